//! The command line as a user runs it: exit codes, several files, init, schema, help.

use crate::support::{self, rediform};

#[test]
fn decide_prints_path_trail_topology_and_costs() {
    let output = rediform()
        .args(["decide", "fixtures/session-store.toml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8(output.stdout).unwrap();
    for part in [
        "path     elasticache",
        "Why",
        "Topology",
        "Monthly cost estimate",
        "self-hosted",
    ] {
        assert!(text.contains(part), "{part} missing from\n{text}");
    }
}

#[test]
fn several_files_give_a_json_array_and_the_worst_exit_code() {
    let output = rediform()
        .args([
            "decide",
            "--format",
            "json",
            "fixtures/session-store.toml",
            "fixtures/invalid/avg-above-peak.toml",
            "fixtures/order-stream.toml",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let names: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["checkout-sessions", "order-events"]);
    assert!(String::from_utf8(output.stderr)
        .unwrap()
        .contains("avg-above-peak.toml:"));
}

#[test]
fn one_file_gives_an_array_of_one_object_with_the_documented_keys() {
    let output = rediform()
        .args(["decide", "--format", "json", "fixtures/order-stream.toml"])
        .output()
        .unwrap();
    let all: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    // Issue #11: always an array, so a script reads one file and many the same way.
    assert_eq!(all.as_array().map(Vec::len), Some(1), "{all}");
    let json = &all[0];
    for key in [
        "name",
        "path",
        "engine",
        "engine_version",
        "pattern",
        "trail",
        "topology",
        "costs",
    ] {
        assert!(json.get(key).is_some(), "{key} missing");
    }
    for path in ["elasticache", "serverless", "memorydb", "self-hosted"] {
        assert!(json["costs"].get(path).is_some(), "costs.{path} missing");
    }
    let step = &json["trail"][0];
    for key in ["rule", "question", "answer", "outcome"] {
        assert!(step.get(key).is_some(), "trail[0].{key} missing");
    }
}

#[test]
fn a_missing_file_is_an_io_failure() {
    let output = rediform()
        .args(["decide", "fixtures/does-not-exist.toml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    assert!(String::from_utf8(output.stderr)
        .unwrap()
        .contains("cannot read fixtures/does-not-exist.toml"));
}

#[test]
fn bad_usage_exits_2() {
    assert_eq!(rediform().args(["decide"]).output().unwrap().status.code(), Some(2));
    assert_eq!(
        rediform()
            .args(["decide", "--format", "yaml", "x.toml"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
    assert_eq!(rediform().args(["frobnicate"]).output().unwrap().status.code(), Some(2));
}

#[test]
fn init_writes_a_starter_that_decides_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("workload.toml");
    let first = rediform().current_dir(dir.path()).arg("init").output().unwrap();
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(written.starts_with("#:schema ./rediform.schema.json\n# A rediform workload"));
    let decided = rediform().arg("decide").arg(&file).output().unwrap();
    assert_eq!(decided.status.code(), Some(0));
    std::fs::write(&file, "# mine\n").unwrap();
    let second = rediform().current_dir(dir.path()).arg("init").output().unwrap();
    assert_eq!(second.status.code(), Some(2));
    assert!(String::from_utf8(second.stderr).unwrap().contains("already exists"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "# mine\n");
}

#[test]
fn prices_file_changes_the_estimate_and_bad_prices_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let prices = dir.path().join("prices.toml");
    // session-store runs on 2 x cache.r7g.2xlarge; at $0.50/h they stay the cheapest fit.
    std::fs::write(&prices, "[elasticache_nodes.\"cache.r7g.2xlarge\"]\nvalkey = 0.5\n").unwrap();
    let output = rediform()
        .args(["decide", "--format", "json", "fixtures/session-store.toml", "--prices"])
        .arg(&prices)
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        json[0]["costs"]["elasticache"]["lines"][0]["on_demand_usd_per_month"],
        730.0
    );
    std::fs::write(&prices, "[elasticache_node]\nx = 1\n").unwrap();
    let bad = rediform()
        .args(["decide", "fixtures/session-store.toml", "--prices"])
        .arg(&prices)
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8(bad.stderr)
        .unwrap()
        .contains("did you mean `elasticache_nodes`?"));
}

#[test]
fn schema_is_stable() {
    let output = rediform().arg("schema").output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let schema = String::from_utf8(output.stdout).unwrap();
    serde_json::from_str::<serde_json::Value>(&schema).unwrap();
    insta::assert_snapshot!(schema);
}

#[test]
fn help_is_stable() {
    let output = rediform().arg("--help").output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    insta::assert_snapshot!(String::from_utf8(output.stdout).unwrap());
    let decide = rediform().args(["decide", "--help"]).output().unwrap();
    insta::assert_snapshot!("decide_help", String::from_utf8(decide.stdout).unwrap());
}

#[test]
fn completions_are_printed() {
    let output = rediform().args(["completions", "bash"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(String::from_utf8(output.stdout).unwrap().contains("rediform"));
}

#[test]
fn a_closed_stdout_is_not_an_error() {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("rediform"))
        .current_dir(support::root())
        .args([
            "decide",
            "fixtures/cluster-mode-2tb.toml",
            "fixtures/session-store.toml",
            "fixtures/order-stream.toml",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
