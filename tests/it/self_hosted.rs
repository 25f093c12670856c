//! The self-hosted path kept alive for years: boot ordering, a replaced node finding the current
//! primary, certificate renewal, alarms that can fire, disks sized for the RDB (issue #5 follow-ups).
//!
//! Behavioural tests run the functions of the rendered boot script (`user_data.sh.tftpl`, rendered
//! as Terraform would) in bash, with fake `aws`, `valkey-cli`, `systemctl` and `sleep` commands
//! on `PATH` that answer as AWS and Valkey would and record how they were called.

use std::fmt::Write as _;
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
            "aws_secretsmanager_secret_version.ca",
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
    let out = boot.run("read_secret arn:secret");
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "{\"password\":\"p\"}\n");
    assert_eq!(fs::read_to_string(boot.dir().join("tries")).unwrap(), "3\n");
    // Backoff: 2 s, then 4 s.
    assert_eq!(fs::read_to_string(boot.dir().join("slept")).unwrap(), "2\n4\n");

    // A secret that never comes: the read fails after 8 tries, having waited at most a minute each.
    boot.fake("aws", "exit 255");
    fs::remove_file(boot.dir().join("slept")).unwrap();
    let out = boot.run("read_secret arn:secret");
    assert!(!out.status.success(), "{}", text(&out));
    let slept = fs::read_to_string(boot.dir().join("slept")).unwrap();
    assert_eq!(
        slept.lines().collect::<Vec<_>>(),
        ["2", "4", "8", "16", "32", "60", "60"]
    );
}

/// Fakes for the discovery: Parameter Store lists the nodes of the last apply; each Sentinel
/// answers `SENTINEL get-master-addr-by-name` as `sentinels` says (address -> answer; absent:
/// connection refused). Every valkey-cli call is recorded in `cli.log`.
fn discovery_fakes(boot: &Boot, listed: Option<&str>, sentinels: &[(&str, &str)]) {
    let ssm = match listed {
        Some(ips) => format!("echo '{ips}'; exit 0"),
        None => "echo 'An error occurred (ParameterNotFound) when calling the GetParameter operation' >&2; exit 254"
            .to_owned(),
    };
    boot.fake(
        "aws",
        &format!("if [ \"$1 $2\" = \"ssm get-parameter\" ]; then {ssm}; fi\necho \"unexpected aws $*\" >&2; exit 1"),
    );
    let mut cli = String::from("echo \"$VALKEYCLI_AUTH $*\" >>cli.log\nhost=\"\"\nwhile [ $# -gt 0 ]; do if [ \"$1\" = -h ]; then host=$2; fi; shift; done\ncase \"$host\" in\n");
    for (ip, answer) in sentinels {
        let _ = writeln!(cli, "  {ip}) printf '%s\\n' {answer} ;;");
    }
    cli.push_str("  *) echo \"Could not connect to Valkey at $host:26379: Connection refused\" >&2; exit 1 ;;\nesac");
    boot.fake("valkey-cli", &cli);
    boot.fake("sleep", "true");
}

/// Runs the boot script's choice of primary and writes both config files for a node at `my_ip`.
fn configure(boot: &Boot, my_ip: &str) -> (String, String, String) {
    let out = boot.run(&format!(
        "MY_IP={my_ip}; TLS=$PWD; PASSWORD=valkey-pw; SENTINEL_PASSWORD=sentinel-pw\nchoose_primary\nvalkey_conf >valkey.conf\nsentinel_conf >sentinel.conf"
    ));
    assert!(out.status.success(), "{}", text(&out));
    let read = |f: &str| fs::read_to_string(boot.dir().join(f)).unwrap_or_default();
    (read("valkey.conf"), read("sentinel.conf"), read("cli.log"))
}

/// The `replicaof` line of a valkey.conf, if any.
fn replicaof(conf: &str) -> Option<&str> {
    conf.lines().find(|l| l.starts_with("replicaof "))
}

/// The `sentinel monitor` line of a sentinel.conf.
fn monitor(conf: &str) -> &str {
    conf.lines()
        .find(|l| l.starts_with("sentinel monitor "))
        .expect("sentinel monitor line")
}

/// Item 2: node 1 is replaced after a failover made node 3 the primary. The new node 1 (new
/// address) finds the Sentinels through Parameter Store, the one on the old node-1 address is
/// gone, the others name node 3: it joins node 3 as a replica instead of starting a second,
/// empty primary.
#[test]
fn a_replaced_node_1_joins_the_current_primary_as_a_replica() {
    let boot = Boot::new(FIXTURE, "");
    discovery_fakes(
        &boot,
        Some("10.0.1.10 10.0.2.20 10.0.3.30"),
        &[("10.0.2.20", "10.0.3.30 6379"), ("10.0.3.30", "10.0.3.30 6379")],
    );
    let (valkey, sentinel, cli) = configure(&boot, "10.0.1.99");
    assert_eq!(replicaof(&valkey), Some("replicaof 10.0.3.30 6379"), "{valkey}");
    assert!(
        monitor(&sentinel).starts_with("sentinel monitor ") && monitor(&sentinel).ends_with(" 10.0.3.30 6379 2"),
        "{sentinel}"
    );
    // It asked over TLS, with the Sentinel password, by the master name Sentinel monitors.
    let name = monitor(&sentinel).split_whitespace().nth(2).unwrap().to_owned();
    assert!(
        cli.lines().any(|l| l.starts_with("sentinel-pw --tls --cacert ")
            && l.ends_with(&format!("-p 26379 SENTINEL get-master-addr-by-name {name}"))),
        "{cli}"
    );
}

/// Item 2: the cluster's first boot. Nothing answers: node 1 is the primary (no `replicaof`,
/// Sentinel monitors itself); node 2, given node 1's address, is its replica.
#[test]
fn at_the_first_boot_node_1_is_primary_and_the_others_follow_it() {
    let node1 = Boot::new(FIXTURE, "");
    discovery_fakes(&node1, None, &[]);
    let (valkey, sentinel, _) = configure(&node1, "10.0.1.10");
    assert_eq!(replicaof(&valkey), None, "{valkey}");
    assert!(monitor(&sentinel).ends_with(" 10.0.1.10 6379 2"), "{sentinel}");

    let node2 = Boot::new(FIXTURE, "10.0.1.10");
    discovery_fakes(&node2, None, &[]);
    let (valkey, sentinel, cli) = configure(&node2, "10.0.2.20");
    assert_eq!(replicaof(&valkey), Some("replicaof 10.0.1.10 6379"), "{valkey}");
    assert!(monitor(&sentinel).ends_with(" 10.0.1.10 6379 2"), "{sentinel}");
    // It did ask node 1's Sentinel first (six rounds, 30 s), and never its own address.
    assert_eq!(cli.lines().count(), 6, "{cli}");
    assert!(!cli.contains("-h 10.0.2.20 "), "{cli}");
}

/// Item 2: a replaced replica follows the primary the Sentinels name, not the first primary it
/// was given (which may be a replica by now).
#[test]
fn a_replaced_replica_follows_the_current_primary_not_node_1() {
    let boot = Boot::new(FIXTURE, "10.0.1.10");
    discovery_fakes(
        &boot,
        Some("10.0.1.10 10.0.2.20 10.0.3.30"),
        &[("10.0.1.10", "10.0.2.20 6379")],
    );
    let (valkey, _, _) = configure(&boot, "10.0.3.77");
    assert_eq!(replicaof(&valkey), Some("replicaof 10.0.2.20 6379"), "{valkey}");
}

/// A certificate authority like the module's (ECDSA P-256, self-signed) and the secret holding
/// it, in `dir`; a node certificate for 10.0.1.10 signed by it, valid `days` days, in `dir/tls`.
fn ca_and_node_cert(dir: &Path, days: u32) {
    let sh = |cmd: &str| {
        let out = Command::new("bash")
            .arg("-c")
            .arg(cmd)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "{cmd}: {}", text(&out));
    };
    sh("openssl ecparam -name prime256v1 -genkey -noout -out ca.key 2>/dev/null
        openssl req -x509 -new -key ca.key -subj /CN=test-ca -days 3650 -out ca.pem
        jq -n --rawfile c ca.pem \
          '{password: \"valkey-pw\", sentinel_password: \"sentinel-pw\", ca_cert_pem: $c}' >secret.json
        jq -n --rawfile c ca.pem --rawfile k ca.key '{ca_cert_pem: $c, ca_key_pem: $k}' >ca.json
        mkdir -p tls conf && cp ca.pem tls/ca.crt && printf valkey-pw >conf/password");
    sh(&format!(
        "openssl ecparam -name prime256v1 -genkey -noout -out tls/server.key
         openssl req -new -key tls/server.key -subj /CN=old -out old.csr
         openssl x509 -req -in old.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days {days} -out tls/server.crt 2>/dev/null"
    ));
}

/// The renewal timer's function, run against the files of `ca_and_node_cert`.
const RENEW: &str =
    "TLS=$PWD/tls; CONF_DIR=$PWD/conf; SECRET_ARN=arn:pw; CA_SECRET_ARN=arn:ca; MY_IP=10.0.1.10; INSTANCE_ID=i-0abc; renew_certificate";

/// Fakes for the renewal: Secrets Manager answers `secret.json`, CloudWatch and valkey-cli and
/// systemctl record their calls; chown is a no-op (no valkey user here).
fn renewal_fakes(boot: &Boot) {
    boot.fake(
        "aws",
        r#"case "$1 $2" in
  # The authority's key is in its own secret, the passwords in the clients' one.
  "secretsmanager get-secret-value") case "$*" in *"--secret-id arn:ca "*) cat ca.json ;; *) cat secret.json ;; esac ;;
  "cloudwatch put-metric-data") printf '%s\n' "$*" >>metrics.log ;;
  *) echo "unexpected aws $*" >&2; exit 1 ;;
esac"#,
    );
    boot.fake("valkey-cli", r#"echo "$VALKEYCLI_AUTH $*" >>cli.log; echo OK"#);
    boot.fake("systemctl", r#"echo "$*" >>systemctl.log"#);
    boot.fake("chown", "true");
    boot.fake("sleep", "true");
}

/// The `CertificateDaysLeft` values published, with namespace and dimensions checked against the
/// alarms: exactly the namespace of the certificate alarm, and the one dimension `InstanceId`.
fn days_published(boot: &Boot, namespace: &str) -> Vec<i64> {
    let log = fs::read_to_string(boot.dir().join("metrics.log")).unwrap_or_default();
    log.lines()
        .map(|l| {
            assert!(l.contains(&format!("--namespace {namespace} ")), "{l}");
            let data = l.split("--metric-data ").nth(1).unwrap();
            let v: serde_json::Value = serde_json::from_str(data).unwrap();
            let m = &v[0];
            assert_eq!(m["MetricName"], "CertificateDaysLeft", "{l}");
            assert_eq!(
                m["Dimensions"],
                serde_json::json!([{"Name": "InstanceId", "Value": "i-0abc"}]),
                "{l}"
            );
            m["Value"].as_i64().unwrap()
        })
        .collect()
}

/// The certificate alarm of the fixture's module: its namespace and threshold.
fn certificate_alarm() -> (String, f64, &'static str) {
    let plan = rediform::build(
        &rediform::parse(&fs::read_to_string(support::root().join(FIXTURE)).unwrap()).unwrap(),
        &rediform::Catalog::embedded(),
    )
    .unwrap();
    let spec = rediform::module::spec(&plan, "w.toml", false);
    let a = spec
        .alarms
        .iter()
        .find(|a| a.metric == "CertificateDaysLeft")
        .expect("an alarm on the certificate's days left");
    assert_eq!(a.comparison, "LessThanThreshold");
    (
        a.namespace.to_owned(),
        a.threshold.parse().unwrap(),
        a.treat_missing_data,
    )
}

/// Item 1: a certificate with 10 days left is renewed by the hourly timer's function: signed again
/// by the CA from the secret for the full validity, Valkey reloads it with CONFIG SET (no restart),
/// Sentinel restarts, and the days left are published before and after.
#[test]
fn an_expiring_node_certificate_is_renewed_and_reloaded() {
    let boot = Boot::new(FIXTURE, "");
    ca_and_node_cert(boot.dir(), 10);
    renewal_fakes(&boot);
    let out = boot.run(RENEW);
    assert!(out.status.success(), "{}", text(&out));

    let tls = boot.dir().join("tls");
    let check = Command::new("bash")
        .arg("-c")
        .arg("openssl verify -CAfile ca.pem tls/server.crt && openssl x509 -in tls/server.crt -noout -ext subjectAltName && openssl x509 -in tls/server.crt -noout -checkend $((800 * 86400))")
        .current_dir(boot.dir())
        .output()
        .unwrap();
    assert!(check.status.success(), "{}", text(&check));
    assert!(
        String::from_utf8_lossy(&check.stdout).contains("IP Address:10.0.1.10"),
        "{}",
        text(&check)
    );
    // The new key matches the new certificate.
    let pubkey = |args: &str| {
        Command::new("bash")
            .arg("-c")
            .arg(format!("openssl {args} | openssl sha256"))
            .current_dir(&tls)
            .output()
            .unwrap()
            .stdout
    };
    assert_eq!(
        pubkey("x509 -in server.crt -noout -pubkey"),
        pubkey("ec -in server.key -pubout 2>/dev/null")
    );

    let cli = fs::read_to_string(boot.dir().join("cli.log")).unwrap();
    let t = tls.display();
    assert!(
        cli.contains(&format!(
            "valkey-pw --tls --cacert {t}/ca.crt.old -h 10.0.1.10 -p 6379 CONFIG SET tls-cert-file {t}/server.crt tls-key-file {t}/server.key tls-ca-cert-file {t}/ca.crt"
        )),
        "{cli}"
    );
    let systemctl = fs::read_to_string(boot.dir().join("systemctl.log")).unwrap();
    assert_eq!(systemctl, "restart valkey-sentinel.service\n");
    assert!(
        !systemctl.contains("valkey.service"),
        "Valkey itself is never restarted"
    );

    let (namespace, threshold, missing) = certificate_alarm();
    assert_eq!(missing, "breaching", "a renewal timer that stops reporting must alarm");
    let days = days_published(&boot, &namespace);
    assert_eq!(days.len(), 2, "{days:?}");
    assert!(days[0] <= 10 && (days[0] as f64) < threshold, "{days:?}");
    assert!(days[1] >= 820, "{days:?}");
}

/// Item 1: with months left and the same CA, the timer only publishes the days left.
#[test]
fn a_fresh_node_certificate_is_left_alone() {
    let boot = Boot::new(FIXTURE, "");
    ca_and_node_cert(boot.dir(), 400);
    let before = fs::read(boot.dir().join("tls/server.crt")).unwrap();
    renewal_fakes(&boot);
    let out = boot.run(RENEW);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(fs::read(boot.dir().join("tls/server.crt")).unwrap(), before);
    assert!(!boot.dir().join("cli.log").exists());
    assert!(!boot.dir().join("systemctl.log").exists());
    let (namespace, _, _) = certificate_alarm();
    let days = days_published(&boot, &namespace);
    assert!(days.len() == 1 && (399..=400).contains(&days[0]), "{days:?}");
}

/// The spec of the fixture's module.
fn fixture_spec(fixture: &str) -> rediform::module::ModuleSpec {
    let plan = rediform::build(
        &rediform::parse(&fs::read_to_string(support::root().join(fixture)).unwrap()).unwrap(),
        &rediform::Catalog::embedded(),
    )
    .unwrap();
    rediform::module::spec(&plan, "w.toml", false)
}

/// Item 3: no alarm watches host `CPUUtilization` (a single-threaded engine on 48 vCPUs never moves
/// it); the CPU alarm watches the busiest core, which the agent config collects per core; every
/// alarm on a metric the nodes publish themselves treats missing data as breaching.
#[test]
fn the_cpu_alarm_watches_the_busiest_core() {
    let spec = fixture_spec(FIXTURE);
    assert!(
        !spec.alarms.iter().any(|a| a.metric == "CPUUtilization"),
        "{:?}",
        spec.alarms.iter().map(|a| a.metric).collect::<Vec<_>>()
    );
    let cpu = spec.alarms.iter().find(|a| a.resource == "cpu").unwrap();
    assert_eq!(
        (cpu.namespace, cpu.metric, cpu.statistic),
        ("CWAgent", "cpu_usage_active", "Maximum")
    );
    assert_eq!(cpu.threshold, "90");

    // The agent's config in the boot script: per-core CPU, rolled up to InstanceId alone.
    let boot = Boot::new(FIXTURE, "");
    let script = fs::read_to_string(boot.dir().join("user_data.sh")).unwrap();
    let json = script
        .split("amazon-cloudwatch-agent.json <<'EOF'\n")
        .nth(1)
        .unwrap()
        .split("\nEOF\n")
        .next()
        .unwrap();
    let agent: serde_json::Value = serde_json::from_str(json).unwrap();
    let m = &agent["metrics"];
    assert_eq!(m["namespace"], "CWAgent");
    assert_eq!(
        m["append_dimensions"],
        serde_json::json!({"InstanceId": "${aws:InstanceId}"})
    );
    assert_eq!(m["aggregation_dimensions"], serde_json::json!([["InstanceId"]]));
    let c = &m["metrics_collected"]["cpu"];
    assert_eq!(c["measurement"], serde_json::json!(["usage_active"]));
    assert_eq!(c["resources"], serde_json::json!(["*"]));
    assert_eq!(c["totalcpu"], false);

    for a in spec.alarms.iter().filter(|a| a.namespace == rediform_namespace(&spec)) {
        assert_eq!(a.treat_missing_data, "breaching", "{}", a.resource);
    }
}

/// The namespace the nodes publish under (the certificate alarm's).
fn rediform_namespace(spec: &rediform::module::ModuleSpec) -> &'static str {
    spec.self_hosted.as_ref().unwrap().metrics_namespace
}

/// Item 3: io-threads follow the instance's vCPUs (Valkey's valkey.conf: 8 cores, 6 threads).
#[test]
fn io_threads_are_sized_to_the_vcpus() {
    assert_eq!(rediform::size::io_threads(2), 1);
    assert_eq!(rediform::size::io_threads(4), 3);
    assert_eq!(rediform::size::io_threads(8), 6);
    assert_eq!(rediform::size::io_threads(48), 36);
    // The fixture's r7g.12xlarge (48 vCPUs) gets 36, written into valkey.conf by the boot script.
    let boot = Boot::new(FIXTURE, "");
    discovery_fakes(&boot, None, &[]);
    let (valkey, _, _) = configure(&boot, "10.0.1.10");
    assert!(valkey.lines().any(|l| l == "io-threads 36"), "{valkey}");
    // A 2-vCPU r7g.large keeps the main thread alone.
    let small = Boot::new("fixtures/full-control-small.toml", "");
    discovery_fakes(&small, None, &[]);
    let (valkey, _, _) = configure(&small, "10.0.1.10");
    assert!(valkey.lines().any(|l| l == "io-threads 1"), "{valkey}");
}

/// Item 3: the health timer's function publishes, under the alarms' namespace and with the one
/// dimension `InstanceId`, exactly the metrics the valkey-down, sentinel-down and replication alarms
/// watch: here a replica whose link is down, and whose Sentinel does not answer.
#[test]
fn the_health_timer_publishes_what_the_alarms_watch() {
    let spec = fixture_spec(FIXTURE);
    let namespace = rediform_namespace(&spec);
    let health: Vec<&str> = spec
        .alarms
        .iter()
        .filter(|a| a.namespace == namespace && a.metric != "CertificateDaysLeft")
        .map(|a| a.metric)
        .collect();
    assert_eq!(health, ["ValkeyUp", "SentinelUp", "ReplicationLinkUp"]);

    let boot = Boot::new(FIXTURE, "10.0.1.10");
    boot.fake(
        "aws",
        r#"[ "$1 $2" = "cloudwatch put-metric-data" ] || exit 1; printf '%s\n' "$*" >>metrics.log"#,
    );
    boot.fake(
        "valkey-cli",
        r#"[ "$VALKEYCLI_AUTH" = p ] || { echo "NOAUTH Authentication required."; exit 0; }
case "$*" in
  *"-p 6379 INFO replication") printf '# Replication\r\nrole:slave\r\nmaster_host:10.0.1.10\r\nmaster_link_status:down\r\n' ;;
  *) echo "Could not connect" >&2; exit 1 ;;
esac"#,
    );
    let conf = boot.dir().join("etc");
    fs::create_dir(&conf).unwrap();
    // The passwords come from the root-only copies, not from the config files the servers
    // rewrite with quotes (`requirepass "p"`).
    fs::write(conf.join("password"), "p").unwrap();
    fs::write(conf.join("sentinel-password"), "p").unwrap();
    let out = boot.run("MY_IP=10.0.2.20; INSTANCE_ID=i-0abc; TLS=$PWD; CONF_DIR=$PWD/etc\npublish_health");
    assert!(out.status.success(), "{}", text(&out));
    let log = fs::read_to_string(boot.dir().join("metrics.log")).unwrap();
    assert_eq!(log.lines().count(), 1, "one call per minute: {log}");
    assert!(log.contains(&format!("--namespace {namespace} ")), "{log}");
    let data: serde_json::Value = serde_json::from_str(log.trim_end().split("--metric-data ").nth(1).unwrap()).unwrap();
    let published: Vec<(String, i64)> = data
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            assert_eq!(
                m["Dimensions"],
                serde_json::json!([{"Name": "InstanceId", "Value": "i-0abc"}])
            );
            (
                m["MetricName"].as_str().unwrap().to_owned(),
                m["Value"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        published,
        [
            ("ValkeyUp".to_owned(), 1),
            ("SentinelUp".to_owned(), 0),
            ("ReplicationLinkUp".to_owned(), 0)
        ]
    );
}

/// Item 5: the data volume writes or reads the dataset in 10 minutes, within gp3's limits (EBS
/// User Guide: 3,000 IOPS and 125 MiB/s included, up to 16,000 IOPS and 1,000 MiB/s, 0.25 MiB/s
/// per IOPS, 500 IOPS per GiB).
#[test]
fn data_volumes_are_sized_for_the_rdb() {
    let c = rediform::Catalog::embedded();
    let perf = |gb: f64, vol: u32| rediform::size::data_volume_performance(gb, vol, &c);
    // 8 GB in 600 s is 13 MiB/s: the baseline is enough.
    assert_eq!(perf(8.0, 24), (3000, 125));
    // 200 GB = 190,735 MiB in 600 s: 318 MiB/s, carried by the baseline IOPS (318 x 4 < 3,000).
    assert_eq!(perf(200.0, 576), (3000, 318));
    // 700 GB would need 1,113 MiB/s: capped at 1,000, which needs 4,000 IOPS.
    assert_eq!(perf(700.0, 1200), (4000, 1000));

    // The launch template provisions them on the data volume (parsed main.tf).
    let m = generate(&support::root().join(FIXTURE)).unwrap();
    let body = hcl_edit::parser::parse_body(&m.files["main.tf"]).unwrap();
    let lt = body
        .get_blocks("resource")
        .find(|b| b.labels.iter().any(|l| l.as_str() == "aws_launch_template"))
        .unwrap();
    let data = lt
        .body
        .get_blocks("block_device_mappings")
        .find(|b| {
            b.body
                .get_attribute("device_name")
                .unwrap()
                .value
                .to_string()
                .contains("/dev/sdf")
        })
        .unwrap();
    let ebs = data.body.get_blocks("ebs").next().unwrap();
    let attr = |k: &str| ebs.body.get_attribute(k).unwrap().value.to_string().trim().to_owned();
    assert_eq!(
        (attr("iops"), attr("throughput")),
        ("3000".to_owned(), "318".to_owned())
    );
}

/// Item 5: the self-hosted estimate prices the provisioned throughput above the gp3 baseline and
/// the hourly RDB copies kept in S3 Standard (src/data/prices.toml, each figure with its source).
#[test]
fn the_self_hosted_cost_prices_disk_performance_and_backups() {
    let plan = rediform::build(
        &rediform::parse(&fs::read_to_string(support::root().join(FIXTURE)).unwrap()).unwrap(),
        &rediform::Catalog::embedded(),
    )
    .unwrap();
    let c = rediform::Catalog::embedded();
    let lines = &plan.costs.self_hosted.lines;
    let find = |what: &str| {
        lines
            .iter()
            .find(|l| l.item.contains(what))
            .unwrap_or_else(|| panic!("no line with {what}: {lines:#?}"))
    };
    // 3 volumes x (318 - 125) MiB/s x $0.04; no IOPS above 3,000.
    let perf = find("above the gp3 baseline");
    let expected = 3.0 * 193.0 * c.prices.ebs.gp3_throughput_usd_per_mibps_month;
    assert!((perf.on_demand_usd_per_month - expected).abs() < 0.01, "{perf:?}");
    // 200 GB x 24 copies a day x (7 days + 1 noncurrent) x $0.023 per GB-month.
    let s3 = find("S3 backups");
    let expected = 200.0 * 24.0 * 8.0 * c.prices.s3.standard_usd_per_gb_month;
    assert!((s3.on_demand_usd_per_month - expected).abs() < 0.01, "{s3:?}");
    let total: f64 = lines.iter().map(|l| l.on_demand_usd_per_month).sum();
    assert!((plan.costs.self_hosted.on_demand_usd_per_month.unwrap() - total).abs() < 0.01);

    // No backups, no S3 line.
    let plan = support::plan(&[
        "workload.environment = \"dev\"",
        "backup.retention_days = 0",
        "team.sre_capacity = true",
        "team.cost_sensitive = true",
        "team.needs_full_control = true",
    ]);
    assert!(plan.costs.self_hosted.lines.iter().all(|l| !l.item.contains("S3")));
}

/// Round 4 review: clients read the passwords' secret; the authority's key is in a secret of its
/// own that only the nodes' role reads (`GetSecretValue` returns a whole secret).
#[test]
fn clients_secret_holds_no_certificate_authority_key() {
    let dir = tempfile::tempdir().unwrap();
    let out = rediform::cli::run([
        "rediform",
        "-q",
        "generate",
        "--out",
        dir.path().to_str().unwrap(),
        &support::root().join(FIXTURE).display().to_string(),
    ]);
    assert_eq!(out, rediform::error::Outcome::Success);
    let module = fs::read_dir(dir.path()).unwrap().next().unwrap().unwrap().path();
    let secrets: hcl::Body = hcl::from_str(&fs::read_to_string(module.join("secrets.tf")).unwrap()).unwrap();
    let text = hcl::to_string(&secrets).unwrap();
    let valkey = text
        .split("resource \"aws_secretsmanager_secret_version\" \"valkey\"")
        .nth(1)
        .unwrap();
    let valkey = valkey.split("resource ").next().unwrap();
    assert!(
        !valkey.contains("ca_key_pem") && valkey.contains("password"),
        "{valkey}"
    );
    let ca = text
        .split("resource \"aws_secretsmanager_secret_version\" \"ca\"")
        .nth(1)
        .unwrap();
    assert!(ca.contains("ca_key_pem"), "{ca}");
    let iam = fs::read_to_string(module.join("iam.tf")).unwrap();
    assert!(iam.contains("aws_secretsmanager_secret.ca.arn"), "{iam}");
}

/// Round 5 review: the hourly backup uploads one whole snapshot even when Valkey renames a new
/// `dump.rdb` over the old one mid-upload (the upload reads through a hard link), then publishes
/// the metric the `backup` alarm watches: same namespace, metric and single dimension.
#[test]
fn the_backup_uploads_one_whole_snapshot_and_reports_it() {
    let boot = Boot::new(FIXTURE, "");
    let script = fs::read_to_string(&boot.script).unwrap();
    let body = script
        .split("cat >/usr/local/bin/valkey-backup <<'EOF'\n")
        .nth(1)
        .unwrap()
        .split("\nEOF\n")
        .next()
        .unwrap();
    let dir = boot.dir();
    let data = dir.join("data");
    fs::create_dir(&data).unwrap();
    fs::write(data.join("dump.rdb"), "OLD SNAPSHOT").unwrap();
    fs::write(dir.join("password"), "pw").unwrap();
    fs::write(
        dir.join("node.env"),
        format!(
            "NAME=w-cache\nREGION=eu-west-1\nBUCKET=b\nINSTANCE_ID=i-0abc\nMY_IP=10.0.1.10\nPORT=6379\nMETRICS_NAMESPACE=rediform/Valkey\nCONF_DIR={}\n",
            dir.display()
        ),
    )
    .unwrap();
    let backup = body
        .replace("/etc/rediform/node.env", &dir.join("node.env").display().to_string())
        .replace("/var/lib/valkey", &data.display().to_string());
    fs::write(dir.join("valkey-backup"), backup).unwrap();
    boot.fake(
        "valkey-cli",
        r#"[ "$VALKEYCLI_AUTH" = pw ] && echo master || echo NOAUTH"#,
    );
    // Valkey finishes a save while the upload runs: a new file renamed over dump.rdb.
    boot.fake(
        "aws",
        &format!(
            r#"case "$1 $2" in
  "s3 cp") printf 'NEW SNAPSHOT' >{data}/tmp.rdb; mv {data}/tmp.rdb {data}/dump.rdb; cat "$5" >uploaded; echo "$6" >uploaded-to ;;
  "cloudwatch put-metric-data") printf '%s\n' "$*" >>metrics.log ;;
  *) exit 1 ;;
esac"#,
            data = data.display()
        ),
    );
    let out = boot.run("bash ./valkey-backup");
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(fs::read_to_string(dir.join("uploaded")).unwrap(), "OLD SNAPSHOT");
    assert!(fs::read_to_string(dir.join("uploaded-to"))
        .unwrap()
        .starts_with("s3://b/w-cache/i-0abc/dump-"));
    let leftovers: Vec<_> = fs::read_dir(&data).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers, ["dump.rdb"], "the link is removed");
    let spec = fixture_spec(FIXTURE);
    let alarm = spec.self_hosted.as_ref().unwrap().backup_alarm.clone().unwrap();
    let log = fs::read_to_string(dir.join("metrics.log")).unwrap();
    assert!(log.contains(&format!("--namespace {} ", alarm.namespace)), "{log}");
    let data: serde_json::Value = serde_json::from_str(log.trim_end().split("--metric-data ").nth(1).unwrap()).unwrap();
    assert_eq!(data[0]["MetricName"], alarm.metric);
    assert_eq!(
        data[0]["Dimensions"],
        serde_json::json!([{"Name": "Cluster", "Value": "w-cache"}])
    );
    let alarms = generate(&support::root().join(FIXTURE)).unwrap().files["alarms.tf"].clone();
    assert!(alarms.contains("Cluster = local.name"), "{alarms}");
}
