//! `.rediform.lock`: what `generate` wrote into a module directory and from what (issue #6).
//!
//! `check` must answer in milliseconds from a pre-commit hook. Rendering a module takes about a
//! millisecond and compiling the templates ten, so `generate` records, beside the module, the
//! build of rediform, a fingerprint of every input (the workload file, the prices and templates
//! that replace the built-in ones, `--as-module`, the name in the header) and a hash of every file
//! it wrote. When the build and the inputs are the same and every file still has its hash, the
//! module is what `generate` would write again, and `check` need not render it; in every other
//! case it renders and compares byte by byte, as before. Pure: `emit` reads the files.

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The file name, in the module directory (a dot file: Terraform and the walkers ignore it).
pub const FILE_NAME: &str = ".rediform.lock";

/// The build of rediform: its version and a hash of its sources, templates, data and locked
/// dependencies (`build.rs`). A lock from another build is never trusted.
pub const BUILD_ID: &str = env!("REDIFORM_BUILD_ID");

/// FNV-1a, 64 bits: stable across platforms and Rust versions, enough to notice an edit.
pub fn hash(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Everything besides the build that shapes a module.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    /// The workload file as the header names it.
    pub source: &'a str,
    /// The workload file's text.
    pub workload: &'a str,
    /// `--as-module`.
    pub as_module: bool,
    /// The `--prices` file's text.
    pub prices: Option<&'a str>,
    /// The `--templates` overrides (name, text).
    pub templates: &'a [(String, String)],
}

/// The fingerprint of the inputs, as hex.
pub fn fingerprint(inputs: &Inputs) -> String {
    let mut text = String::new();
    // Each part is framed by its length, so that no two different inputs read the same.
    let mut part = |label: &str, value: &str| {
        let _ = write!(text, "{label}:{}:{value};", value.len());
    };
    part("source", inputs.source);
    part("workload", inputs.workload);
    part("as_module", if inputs.as_module { "true" } else { "false" });
    part("prices", inputs.prices.unwrap_or(""));
    for (name, template) in inputs.templates {
        part(name, template);
    }
    format!("{:016x}", hash(text.as_bytes()))
}

/// The lock file of a module: the header, the build, the inputs' fingerprint, and every other
/// file with its hash.
pub fn render(source_file: &str, input: &str, files: &BTreeMap<String, String>) -> String {
    let mut text = crate::render::header(FILE_NAME, source_file);
    text.push_str("# What generate wrote, so that check can tell an unchanged module without rendering it.\n");
    let _ = writeln!(text, "build {BUILD_ID}");
    let _ = writeln!(text, "input {input}");
    for (name, content) in files {
        let _ = writeln!(text, "file {:016x} {name}", hash(content.as_bytes()));
    }
    text
}

/// A parsed lock file.
#[derive(Debug, PartialEq, Eq)]
pub struct Lock {
    /// `build` line.
    pub build: String,
    /// `input` line.
    pub input: String,
    /// (file name, hash) of every file.
    pub files: Vec<(String, u64)>,
}

/// Reads a lock file; `None` when it is not one this build wrote.
pub fn parse(text: &str) -> Option<Lock> {
    let mut lock = Lock {
        build: String::new(),
        input: String::new(),
        files: Vec::new(),
    };
    for line in text.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
        match line.split_once(' ')? {
            ("build", build) => build.clone_into(&mut lock.build),
            ("input", input) => input.clone_into(&mut lock.input),
            ("file", rest) => {
                let (digest, name) = rest.split_once(' ')?;
                lock.files
                    .push((name.to_owned(), u64::from_str_radix(digest, 16).ok()?));
            }
            _ => return None,
        }
    }
    (!lock.build.is_empty() && !lock.input.is_empty()).then_some(lock)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(workload: &str) -> Inputs<'_> {
        Inputs {
            source: "w.toml",
            workload,
            as_module: false,
            prices: None,
            templates: &[],
        }
    }

    #[test]
    fn fnv_1a_matches_its_reference_values() {
        assert_eq!(hash(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(hash(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn every_input_changes_the_fingerprint() {
        let base = fingerprint(&inputs("x = 1"));
        assert_eq!(base, fingerprint(&inputs("x = 1")));
        assert_ne!(base, fingerprint(&inputs("x = 2")));
        assert_ne!(
            base,
            fingerprint(&Inputs {
                as_module: true,
                ..inputs("x = 1")
            })
        );
        assert_ne!(
            base,
            fingerprint(&Inputs {
                source: "v.toml",
                ..inputs("x = 1")
            })
        );
        assert_ne!(
            base,
            fingerprint(&Inputs {
                prices: Some("[ebs]"),
                ..inputs("x = 1")
            })
        );
        let templates = [("elasticache/main.tf.tera".to_owned(), String::new())];
        assert_ne!(
            base,
            fingerprint(&Inputs {
                templates: &templates,
                ..inputs("x = 1")
            })
        );
    }

    #[test]
    fn a_lock_reads_back() {
        let files: BTreeMap<String, String> = [("main.tf".to_owned(), "a = 1\n".to_owned())].into();
        let text = render("w.toml", "00ff", &files);
        assert!(text.starts_with("# Code generated by rediform from w.toml. DO NOT EDIT.\n"));
        let lock = parse(&text).unwrap();
        assert_eq!(lock.build, BUILD_ID);
        assert_eq!(lock.input, "00ff");
        assert_eq!(lock.files, [("main.tf".to_owned(), hash(b"a = 1\n"))]);
        assert_eq!(parse("build x\nfile zz main.tf\n"), None);
        assert_eq!(parse("# only a comment\n"), None);
    }
}
