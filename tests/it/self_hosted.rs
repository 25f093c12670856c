//! The self-hosted path kept alive for years: boot ordering, a replaced node finding the current
//! primary, certificate renewal, alarms that can fire, disks sized for the RDB (issue #5 follow-ups).
//!
//! Behavioural tests run the functions of the rendered boot script (`user_data.sh.tftpl`, rendered
//! as Terraform would) in bash, with fake `aws`, `valkey-cli`, `systemctl` and `sleep` commands
//! on `PATH` that answer as AWS and Valkey would and record how they were called.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::generate::{generate, render_templatefile};
use crate::support;

/// The feature-store fixture: self-hosted on r7g.12xlarge.
const FIXTURE: &str = "fixtures/feature-store-self-hosted.toml";

/// A rendered boot script in a scratch directory, with `bin/` for fake commands.
pub(crate) struct Boot {
    dir: tempfile::TempDir,
    script: PathBuf,
}

impl Boot {
    /// The boot script of a fixture, rendered with `primary_ip` ("" for node 1, the first primary).
    pub(crate) fn new(fixture: &str, primary_ip: &str) -> Boot {
        let m = generate(&support::root().join(fixture)).unwrap();
        let main = &m.files["main.tf"];
        let boot = main.split("boot = {").nth(1).unwrap().split('}').next().unwrap();
        // Literals of local.boot are kept; values Terraform computes at apply time get stand-ins.
        let mut vars: Vec<(String, String)> = boot
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| {
                let (k, v) = (k.trim(), v.trim());
                let literal = v.starts_with('"') || v.parse::<f64>().is_ok() || v == "true" || v == "false";
                let value = if literal { v.trim_matches('"') } else { k };
                (k.to_owned(), value.to_owned())
            })
            .collect();
        vars.push(("primary_ip".to_owned(), primary_ip.to_owned()));
        let refs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let script = render_templatefile(&m.files["user_data.sh.tftpl"], &refs);
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("bin")).unwrap();
        let path = dir.path().join("user_data.sh");
        fs::write(&path, script).unwrap();
        Boot { dir, script: path }
    }

    /// The scratch directory.
    pub(crate) fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A fake command on `PATH`: a bash script with this body.
    pub(crate) fn fake(&self, name: &str, body: &str) {
        let path = self.dir.path().join("bin").join(name);
        fs::write(&path, format!("#!/bin/bash\n{body}\n")).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    }

    /// Sources the script (which defines its functions and runs nothing) and runs `snippet`,
    /// in the scratch directory, with the fakes first on `PATH`.
    pub(crate) fn run(&self, snippet: &str) -> Output {
        let path = format!(
            "{}:{}",
            self.dir.path().join("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        Command::new("bash")
            .arg("-c")
            .arg(format!("set -euo pipefail\nsource \"$1\"\n{snippet}"))
            .arg("boot-test")
            .arg(&self.script)
            .current_dir(self.dir.path())
            .env("PATH", path)
            .env("HOME", self.dir.path())
            .output()
            .unwrap()
    }
}

/// Output as text, for messages.
fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Item 4, boot ordering: every instance waits for the secret's value and the role's permissions
/// (read from the parsed main.tf, not grepped).
#[test]
fn the_nodes_boot_after_their_secret_and_permissions() {
    let m = generate(&support::root().join(FIXTURE)).unwrap();
    let body = hcl_edit::parser::parse_body(&m.files["main.tf"]).unwrap();
    let mut instances = 0;
    for block in body.get_blocks("resource") {
        let labels: Vec<&str> = block
            .labels
            .iter()
            .map(hcl_edit::structure::BlockLabel::as_str)
            .collect();
        if labels.first() != Some(&"aws_instance") {
            continue;
        }
        instances += 1;
        let deps = block
            .body
            .get_attribute("depends_on")
            .unwrap_or_else(|| panic!("{labels:?} has no depends_on"))
            .value
            .to_string();
        for needed in [
            "aws_secretsmanager_secret_version.valkey",
            "aws_iam_role_policy.node",
            "aws_iam_role_policy_attachment.ssm",
            "aws_iam_role_policy_attachment.cloudwatch_agent",
        ] {
            assert!(deps.contains(needed), "{labels:?} does not depend on {needed}: {deps}");
        }
    }
    assert_eq!(instances, 2, "aws_instance.primary and aws_instance.replica");
}

/// Item 4: the secret read is retried with backoff (IAM and a new secret take time to propagate).
#[test]
fn the_boot_script_retries_the_secret_read() {
    let boot = Boot::new(FIXTURE, "");
    // Secrets Manager refuses twice (the role's policy has not reached it yet), then answers.
    boot.fake(
        "aws",
        r#"n=$(cat tries 2>/dev/null || echo 0); echo $((n + 1)) >tries
if [ "$n" -lt 2 ]; then echo "AccessDeniedException" >&2; exit 255; fi
echo '{"password":"p"}'"#,
    );
    boot.fake("sleep", r#"echo "$1" >>slept"#);
    let out = boot.run("read_secret");
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "{\"password\":\"p\"}\n");
    assert_eq!(fs::read_to_string(boot.dir().join("tries")).unwrap(), "3\n");
    // Backoff: 2 s, then 4 s.
    assert_eq!(fs::read_to_string(boot.dir().join("slept")).unwrap(), "2\n4\n");

    // A secret that never comes: the read fails after 8 tries, having waited at most a minute each.
    boot.fake("aws", "exit 255");
    fs::remove_file(boot.dir().join("slept")).unwrap();
    let out = boot.run("read_secret");
    assert!(!out.status.success(), "{}", text(&out));
    let slept = fs::read_to_string(boot.dir().join("slept")).unwrap();
    assert_eq!(
        slept.lines().collect::<Vec<_>>(),
        ["2", "4", "8", "16", "32", "60", "60"]
    );
}
