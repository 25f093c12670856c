//! Shared helpers: a baseline workload edited key by key, and the rediform binary.

use std::path::{Path, PathBuf};

use rediform::{Catalog, Plan, Workload};

/// A prod cache at steady traffic with no SRE team: the rules pick elasticache.
pub(crate) const BASELINE: &str = r#"
[workload]
name = "baseline"

[data]
size_gb = 10
must_not_lose_writes = false

[traffic]
peak_ops_per_sec = 10000
average_ops_per_sec = 2000

[team]
sre_capacity = false
"#;

/// The baseline with `key = value` edits (dotted keys, TOML values) applied.
pub(crate) fn workload_text(edits: &[&str]) -> String {
    let mut table: toml::Table = toml::from_str(BASELINE).expect("baseline parses");
    for edit in edits {
        let (key, value) = edit.split_once('=').expect("edit is key = value");
        let value: toml::Table = toml::from_str(&format!("v = {}", value.trim())).expect("edit value parses");
        let value = value["v"].clone();
        let parts: Vec<&str> = key.trim().split('.').collect();
        let (last, tables) = parts.split_last().expect("a key");
        let mut slot = &mut table;
        for part in tables {
            slot = slot
                .entry((*part).to_owned())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()))
                .as_table_mut()
                .expect("a table");
        }
        slot.insert((*last).to_owned(), value);
    }
    toml::to_string(&table).expect("serializes")
}

/// Parses the edited baseline.
#[track_caller]
pub(crate) fn workload(edits: &[&str]) -> Workload {
    let text = workload_text(edits);
    rediform::parse(&text).unwrap_or_else(|d| panic!("{edits:?} is invalid: {d:?}"))
}

/// Plans the edited baseline with the embedded catalog.
#[track_caller]
pub(crate) fn plan(edits: &[&str]) -> Plan {
    plan_with(edits, &Catalog::embedded())
}

/// Plans the edited baseline with a given catalog.
#[track_caller]
pub(crate) fn plan_with(edits: &[&str], catalog: &Catalog) -> Plan {
    let w = workload(edits);
    rediform::build(&w, catalog).unwrap_or_else(|d| panic!("{edits:?} does not plan: {d:?}"))
}

/// The repository root.
pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A command running the built rediform binary.
pub(crate) fn rediform() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("rediform").expect("binary built");
    cmd.current_dir(root()).env_remove("NO_COLOR");
    cmd
}

/// The built rediform binary as a plain `std::process::Command`, for runs the test spawns and
/// watches (kills, runs at the same time).
pub(crate) fn rediform_process() -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin!("rediform"));
    cmd.current_dir(root()).env_remove("NO_COLOR");
    cmd
}

/// A path relative to the repository root, as the user would type it.
pub(crate) fn rel(path: &Path) -> String {
    path.strip_prefix(root()).unwrap_or(path).display().to_string()
}
