//! `rediform.toml`: the project file at the root of an infra repo (issue #6), so that `generate`
//! and `check` (and the pre-commit hooks) need no arguments.
//!
//! Input: the file's text. Output: a [`Config`] with every path still relative to the directory
//! that holds the file (`cli` finds the file and joins the paths). Must not: read or walk anything.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use crate::diag::Diagnostic;

/// The file name looked for in the current directory and its parents, up to the repository root.
pub const FILE_NAME: &str = "rediform.toml";

/// A `rediform.toml`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Default `--out`: the directory that holds one module directory per workload.
    pub out: Option<PathBuf>,
    /// Workload files or directories (searched for `*.toml` workloads) used when no FILE is given.
    #[serde(default)]
    pub workloads: Vec<PathBuf>,
    /// Default `--as-module`.
    #[serde(default)]
    pub as_module: bool,
    /// Default `--templates`.
    pub templates: Option<PathBuf>,
    /// Default `--prices`.
    pub prices: Option<PathBuf>,
    /// Module directory per workload name, instead of `<out>/<name>`.
    #[serde(default)]
    pub modules: BTreeMap<String, PathBuf>,
    /// Allow `out` and `[modules]` directories outside the directory of `rediform.toml` (the
    /// repository root). Off by default: a path that leaves the repository is almost always a
    /// mistake, and `generate` writes there.
    #[serde(default)]
    pub allow_outside_root: bool,
}

/// Parses a `rediform.toml`; a problem names the key and the position, as in workload files.
pub fn parse(text: &str) -> Result<Config, Vec<Diagnostic>> {
    toml::from_str(text).map_err(|e| vec![crate::workload::from_toml_error(text, &e)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_read() {
        let c = parse(
            "out = \"infra/cache\"\nworkloads = [\"workloads\"]\nas_module = true\n\n[modules]\norders = \"infra/prod/orders\"\n",
        )
        .unwrap();
        assert_eq!(c.out, Some(PathBuf::from("infra/cache")));
        assert_eq!(c.workloads, [PathBuf::from("workloads")]);
        assert!(c.as_module);
        assert_eq!(c.modules["orders"], PathBuf::from("infra/prod/orders"));
        assert_eq!(parse("").unwrap(), Config::default());
    }

    #[test]
    fn an_unknown_key_is_an_error_with_a_position() {
        let d = parse("out = \"x\"\nworkload = [\"w\"]\n").unwrap_err();
        assert!(d[0].message.contains("unknown key `workload`"), "{}", d[0].message);
        assert_eq!(d[0].help.as_deref(), Some("did you mean `workloads`?"));
        assert!(d[0].span.is_some());
    }
}
