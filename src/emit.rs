//! Writing modules to disk (SPEC §6, §8): the only module besides `cli` with side effects.
//!
//! [`diff`] compares a rendered [`Module`] with its directory and lists every [`Change`]; it only
//! reads. [`apply`] carries the changes out: each file is written to a temporary file in the same
//! directory and renamed over the old one, so a failure leaves every file whole. A file without the
//! generated header is never overwritten or deleted (unless `force`); generated files the module no
//! longer has (the path changed) are removed.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::render::{Module, GENERATED_MARK};

/// What `generate` would do to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A new file.
    Create(PathBuf, String),
    /// A generated file whose content changes.
    Update(PathBuf, String),
    /// A generated file the module no longer has.
    Delete(PathBuf),
    /// A hand-written file (no generated header) where the module wants a file.
    Foreign(PathBuf, String),
}

impl Change {
    /// The file concerned.
    pub fn path(&self) -> &Path {
        match self {
            Change::Create(p, _) | Change::Update(p, _) | Change::Delete(p) | Change::Foreign(p, _) => p,
        }
    }

    /// `create`, `update`, `delete` or `foreign`.
    pub fn verb(&self) -> &'static str {
        match self {
            Change::Create(..) => "create",
            Change::Update(..) => "update",
            Change::Delete(_) => "delete",
            Change::Foreign(..) => "foreign",
        }
    }
}

/// Why the disk could not be read or written.
#[derive(Debug, thiserror::Error)]
#[error("{action} {}: {source}", path.display())]
pub struct EmitError {
    /// What was being done.
    pub action: &'static str,
    /// The file or directory.
    pub path: PathBuf,
    /// The cause.
    pub source: std::io::Error,
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> EmitError {
    let path = path.to_owned();
    move |source| EmitError { action, path, source }
}

/// Whether a file's text starts with rediform's header: its first line, or its second after a
/// script's `#!` line.
pub fn is_generated(text: &str) -> bool {
    let mut lines = text.lines();
    match lines.next() {
        Some(first) if first.starts_with("#!") => lines.next().is_some_and(|second| second.contains(GENERATED_MARK)),
        Some(first) => first.contains(GENERATED_MARK),
        None => false,
    }
}

/// Whether `dir` holds exactly what a `generate` with these inputs wrote, by its lock file
/// (`crate::lock`): same build, same inputs, every recorded file unchanged and no other generated
/// file beside them. Returns the number of files (the lock included) when it does. Reads only;
/// any doubt is `None`, and the caller renders and compares instead.
pub fn unchanged(dir: &Path, input: &str) -> Option<usize> {
    let text = fs::read_to_string(dir.join(crate::lock::FILE_NAME)).ok()?;
    let lock = crate::lock::parse(&text)?;
    if lock.build != crate::lock::BUILD_ID || lock.input != input {
        return None;
    }
    for (name, digest) in &lock.files {
        if crate::lock::hash(&fs::read(dir.join(name)).ok()?) != *digest {
            return None;
        }
    }
    for entry in fs::read_dir(dir).ok()? {
        let path = entry.ok()?.path();
        let name = path.file_name()?.to_str()?;
        if name == crate::lock::FILE_NAME || lock.files.iter().any(|(f, _)| f == name) || !path.is_file() {
            continue;
        }
        if generated_head(&path) {
            return None;
        }
    }
    Some(lock.files.len() + 1)
}

/// Whether a file starts with rediform's header (reads its first 256 bytes only).
fn generated_head(path: &Path) -> bool {
    let mut head = [0u8; 256];
    let n = fs::File::open(path)
        .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
        .unwrap_or(0);
    is_generated(&String::from_utf8_lossy(&head[..n]))
}

/// Every change that writing `module` into `dir` would make. Reads only.
pub fn diff(module: &Module, dir: &Path) -> Result<Vec<Change>, EmitError> {
    let mut changes = Vec::new();
    if dir.exists() && !dir.is_dir() {
        return Err(EmitError {
            action: "cannot write the module into",
            path: dir.to_owned(),
            source: std::io::Error::other("it is a file, not a directory"),
        });
    }
    for (name, text) in &module.files {
        let path = dir.join(name);
        match fs::read(&path) {
            Ok(old) if old == text.as_bytes() => {}
            Ok(old) if is_generated(&String::from_utf8_lossy(&old)) => changes.push(Change::Update(path, text.clone())),
            Ok(_) => changes.push(Change::Foreign(path, text.clone())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => changes.push(Change::Create(path, text.clone())),
            Err(e) => return Err(io("cannot read", &path)(e)),
        }
    }
    if dir.is_dir() {
        let mut stale = Vec::new();
        for entry in fs::read_dir(dir).map_err(io("cannot list", dir))? {
            let path = entry.map_err(io("cannot list", dir))?.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            if module.files.contains_key(name) || !path.is_file() {
                continue;
            }
            // Only files carrying our header are ours to remove; terraform.tfvars, .terraform.lock.hcl
            // and anything else hand-written stay.
            if generated_head(&path) {
                stale.push(Change::Delete(path));
            }
        }
        stale.sort_by(|a, b| a.path().cmp(b.path()));
        changes.extend(stale);
    }
    Ok(changes)
}

/// Carries out the changes. `Foreign` files are taken over only with `force`; otherwise nothing
/// is written and the caller reports them (check for them before calling).
pub fn apply(changes: &[Change], force: bool) -> Result<(), EmitError> {
    for change in changes {
        match change {
            Change::Create(path, text) | Change::Update(path, text) => write_atomic(path, text)?,
            Change::Foreign(path, text) if force => write_atomic(path, text)?,
            Change::Foreign(..) => {}
            Change::Delete(path) => fs::remove_file(path).map_err(io("cannot remove", path))?,
        }
    }
    Ok(())
}

/// Writes via a temporary file in the same directory and a rename: the old file or the new one,
/// never half of either.
fn write_atomic(path: &Path, text: &str) -> Result<(), EmitError> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    fs::create_dir_all(dir).map_err(io("cannot create", dir))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.rediform-{}.tmp", std::process::id()));
    let result = fs::File::create(&tmp)
        .and_then(|mut f| {
            f.write_all(text.as_bytes())?;
            f.sync_all()
        })
        .and_then(|()| fs::rename(&tmp, path));
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(io("cannot write", path)(e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn module(files: &[(&str, &str)]) -> Module {
        Module {
            name: "m".to_owned(),
            files: files
                .iter()
                .map(|(n, t)| ((*n).to_owned(), (*t).to_owned()))
                .collect::<BTreeMap<_, _>>(),
        }
    }

    const GEN: &str = "# Code generated by rediform from w.toml. DO NOT EDIT.\n";

    #[test]
    fn the_header_of_a_script_follows_its_shebang() {
        assert!(is_generated(&format!("#!/bin/bash\n{GEN}echo\n")));
        assert!(!is_generated("#!/bin/bash\necho\n"));
        assert!(!is_generated(&format!("\n{GEN}")));
    }

    #[test]
    fn diff_then_apply_then_nothing_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let m = module(&[("main.tf", &format!("{GEN}a = 1\n"))]);
        let changes = diff(&m, dir.path()).unwrap();
        assert_eq!(changes.iter().map(Change::verb).collect::<Vec<_>>(), ["create"]);
        apply(&changes, false).unwrap();
        assert!(diff(&m, dir.path()).unwrap().is_empty());
    }

    #[test]
    fn the_lock_file_vouches_only_for_what_is_still_there() {
        let dir = tempfile::tempdir().unwrap();
        let mut m = module(&[
            ("main.tf", &format!("{GEN}a = 1\n")),
            ("outputs.tf", &format!("{GEN}b = 2\n")),
        ]);
        let lock = crate::lock::render("w.toml", "0123", &m.files);
        m.files.insert(crate::lock::FILE_NAME.to_owned(), lock);
        apply(&diff(&m, dir.path()).unwrap(), false).unwrap();
        assert_eq!(unchanged(dir.path(), "0123"), Some(3));
        // Other inputs, an edited file, a missing file, a stray generated file: no vouching.
        assert_eq!(unchanged(dir.path(), "0124"), None);
        fs::write(dir.path().join("notes.md"), "mine\n").unwrap();
        assert_eq!(
            unchanged(dir.path(), "0123"),
            Some(3),
            "a hand-written file is no reason to render"
        );
        fs::write(dir.path().join("old.tf"), format!("{GEN}c = 3\n")).unwrap();
        assert_eq!(unchanged(dir.path(), "0123"), None);
        fs::remove_file(dir.path().join("old.tf")).unwrap();
        fs::write(dir.path().join("main.tf"), format!("{GEN}a = 2\n")).unwrap();
        assert_eq!(unchanged(dir.path(), "0123"), None);
        fs::remove_file(dir.path().join("main.tf")).unwrap();
        assert_eq!(unchanged(dir.path(), "0123"), None);
    }

    #[test]
    fn hand_written_files_are_foreign_and_kept_and_stale_generated_files_go() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("main.tf"), "a = 1\n").unwrap();
        fs::write(dir.path().join("mine.tf"), "b = 2\n").unwrap();
        fs::write(dir.path().join("old.tf"), format!("{GEN}c = 3\n")).unwrap();
        let m = module(&[("main.tf", &format!("{GEN}a = 1\n"))]);
        let changes = diff(&m, dir.path()).unwrap();
        let verbs: Vec<(&str, String)> = changes
            .iter()
            .map(|c| (c.verb(), c.path().file_name().unwrap().to_string_lossy().into_owned()))
            .collect();
        assert_eq!(
            verbs,
            [("foreign", "main.tf".to_owned()), ("delete", "old.tf".to_owned())]
        );
        apply(&changes, false).unwrap();
        assert_eq!(fs::read_to_string(dir.path().join("main.tf")).unwrap(), "a = 1\n");
        assert!(dir.path().join("mine.tf").exists());
        assert!(!dir.path().join("old.tf").exists());
        apply(&diff(&m, dir.path()).unwrap(), true).unwrap();
        assert!(is_generated(&fs::read_to_string(dir.path().join("main.tf")).unwrap()));
    }
}
