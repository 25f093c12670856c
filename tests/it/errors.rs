//! Every invalid fixture: exit 2, `file:line:col`, the key and a suggestion (snapshots of stderr).

use crate::support;

#[test]
fn every_invalid_fixture_is_reported() {
    insta::glob!("../../fixtures/invalid", "*.toml", |path| {
        let output = support::rediform()
            .arg("decide")
            .arg(support::rel(path))
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(2),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(output.stdout.is_empty());
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(
            stderr.contains(&format!("{}:", support::rel(path))),
            "no file:line:col in {stderr}"
        );
        insta::assert_snapshot!(stderr);
    });
}

#[test]
fn suggestions_name_the_closest_key_or_value() {
    for (fixture, hint) in [
        ("unknown-table", "did you mean `traffic`?"),
        ("unknown-key", "did you mean `peak_ops_per_sec`?"),
        ("unknown-pattern", "did you mean `steady`?"),
        ("bad-engine-name", "did you mean `valkey`?"),
        ("wrong-node-type", "did you mean `cache.r7g.large`?"),
    ] {
        let output = support::rediform()
            .args(["decide", &format!("fixtures/invalid/{fixture}.toml")])
            .output()
            .unwrap();
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(stderr.contains(hint), "{fixture}: {stderr}");
    }
}
