//! Which workload files `generate` and `check` work on, and where each module goes: the command
//! line first, then `rediform.toml` (issue #6). Part of `cli` because it reads the disk (the
//! project file, directories of workloads); the rest of the pipeline never does.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{display, files_under, read_text, slash_path, GenerateArgs};
use crate::config::{self, Config};
use crate::error::Error;

/// What one `generate` or `check` run works on.
#[derive(Debug)]
pub(super) struct Job {
    /// Workload files, in the order given (directories expanded, sorted).
    pub(super) files: Vec<PathBuf>,
    /// The directory of module directories.
    pub(super) out: PathBuf,
    /// `--as-module`.
    pub(super) as_module: bool,
    /// `--templates`.
    pub(super) templates: Option<PathBuf>,
    /// `--prices`.
    pub(super) prices: Option<PathBuf>,
    /// The directory of the `rediform.toml` in use, relative to the current directory.
    base: Option<PathBuf>,
    /// `base`, resolved once (symlinks followed, absolute).
    root: Option<PathBuf>,
    /// The current directory, resolved once.
    cwd: PathBuf,
    /// `out`, resolved once.
    out_real: PathBuf,
    /// Module directories by workload name (from `rediform.toml`, already joined to `base`).
    modules: BTreeMap<String, PathBuf>,
    /// The command that brings the modules up to date.
    pub(super) fix: String,
    /// The workload names `[modules]` maps, when the job is the project's own workload list (a
    /// name no workload file has is then an error); empty when files were named on the command
    /// line (a hook passes a few of them).
    pub(super) mapped_names: Vec<String>,
    /// The job is the whole project (no PATH given: the `workloads` of rediform.toml), so a
    /// module directory no workload maps to is an orphan.
    pub(super) whole_project: bool,
    /// `allow_outside_root` of rediform.toml, or `--out` given on the command line (an explicit
    /// choice, never second-guessed).
    pub(super) allow_outside_root: bool,
}

impl Job {
    /// The module directory of a workload.
    pub(super) fn module_dir(&self, name: &str) -> PathBuf {
        self.modules.get(name).cloned().unwrap_or_else(|| self.out.join(name))
    }

    /// Every directory of the project that holds a module (a `.rediform.lock`): under the
    /// directory of `rediform.toml` (hidden directories and symbolic links not followed), and in
    /// `out`, wherever that is. Where the project's configuration pointed before is found so.
    pub(super) fn module_dirs(&self) -> Vec<PathBuf> {
        let root = match &self.base {
            Some(base) if base.as_os_str().is_empty() => PathBuf::from("."),
            Some(base) => base.clone(),
            None => self.out.clone(),
        };
        let mut dirs = Vec::new();
        for start in [root, self.out.clone()] {
            let mut pending = vec![start];
            while let Some(dir) = pending.pop() {
                if dir.join(crate::lock::FILE_NAME).is_file() {
                    dirs.push(dir.clone());
                }
                for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                    let hidden = entry.file_name().to_string_lossy().starts_with('.');
                    // A directory with a rediform.toml of its own is another project, one with a
                    // .git another repository (a submodule, a vendored checkout): their modules
                    // are their own, never this project's orphans.
                    let nested = entry.path().join(config::FILE_NAME).exists() || entry.path().join(".git").exists();
                    if !hidden && !nested && entry.file_type().is_ok_and(|t| t.is_dir()) {
                        pending.push(entry.path());
                    }
                }
            }
        }
        dirs.sort_by_key(|d| normalize(d));
        dirs.dedup_by_key(|d| normalize(d));
        dirs
    }

    /// A file named relative to the project root (as locks and headers name workload files).
    pub(super) fn project_file(&self, name: &str) -> Option<PathBuf> {
        self.base.as_ref().map(|base| base.join(name))
    }

    /// A module directory resolved (links followed, absolute). `<out>/<name>` that is no link
    /// is where `out` resolves, one name further: one lstat instead of resolving every part of
    /// the path again, for each of many modules.
    pub(super) fn real_dir(&self, dir: &Path) -> PathBuf {
        match dir.strip_prefix(&self.out) {
            Ok(name) if name.components().count() == 1 && !is_link(dir) => self.out_real.join(name),
            _ => canonical(dir),
        }
    }

    /// Why a module directory, resolved ([`Job::real_dir`]), is no place for a module: inside a `.git`, or the
    /// project root or a parent of it (where the user's own files are). Checked whatever
    /// `allow_outside_root` says, as `rediform.toml`'s own paths are.
    pub(super) fn unfit_module_dir(&self, real: &Path) -> Option<&'static str> {
        if real.components().any(|c| c.as_os_str() == ".git") {
            return Some("inside .git");
        }
        // The root holds the user's own files; without a project, a directory above the one
        // the command runs in stands for it. Running inside a module directory is fine.
        let above_home = match &self.root {
            Some(root) => root.starts_with(real),
            None => self.cwd.starts_with(real) && self.cwd != real,
        };
        above_home.then_some("the repository root (or, without a rediform.toml, a directory above the current one)")
    }

    /// Whether a `rediform.toml` is in use.
    pub(super) fn has_project(&self) -> bool {
        self.base.is_some()
    }

    /// A module directory relative to the project root (`rediform.toml`'s directory), with `/`
    /// between its parts; `None` without a project or outside its root.
    pub(super) fn relative_dir(&self, dir: &Path) -> Option<String> {
        self.relative_real(&self.real_dir(dir))
    }

    /// [`Job::relative_dir`] of a directory already resolved ([`Job::real_dir`]).
    pub(super) fn relative_real(&self, real: &Path) -> Option<String> {
        real.strip_prefix(self.root.as_ref()?).ok().map(slash_path)
    }

    /// The workload file as generated headers name it. With a `rediform.toml`, relative to its
    /// directory (the repository root), so the bytes do not depend on where the command runs;
    /// otherwise as typed (only the file name for an absolute path).
    pub(super) fn source_name(&self, file: &Path) -> String {
        if let Some(base) = &self.base {
            let root = if base.as_os_str().is_empty() {
                Path::new(".")
            } else {
                base.as_path()
            };
            // The file's directory resolved, not the file: a link keeps its own name, and the
            // name is the same from any working directory.
            let dir = file
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            if let (Some(name), Ok(root), Ok(dir)) = (file.file_name(), root.canonicalize(), dir.canonicalize()) {
                return slash_path(&relative_to(&root, &dir.join(name)));
            }
        }
        if file.is_relative() {
            slash_path(file)
        } else {
            file.file_name()
                .map_or_else(|| display(file), |n| n.to_string_lossy().into_owned())
        }
    }
}

/// `path` relative to `root`, both absolute and resolved: `..` for each part of `root` the two
/// do not share (a file outside the root, where `allow_outside_root` lets one be).
fn relative_to(root: &Path, path: &Path) -> PathBuf {
    let (root, path): (Vec<_>, Vec<_>) = (root.components().collect(), path.components().collect());
    let shared = root.iter().zip(&path).take_while(|(a, b)| a == b).count();
    let mut out: PathBuf = root[shared..].iter().map(|_| std::path::Component::ParentDir).collect();
    out.extend(&path[shared..]);
    out
}

/// Whether `path` is a symbolic link itself.
fn is_link(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// What a file is, whichever way it is named: its device and inode (one stat; resolving the path
/// costs a system call per part of it), or where it resolves when it cannot be read.
fn identity(file: &Path) -> (u64, u64, PathBuf) {
    #[cfg(unix)]
    if let Ok(m) = std::fs::metadata(file) {
        use std::os::unix::fs::MetadataExt;
        return (m.dev(), m.ino(), PathBuf::new());
    }
    (0, 0, canonical(file))
}

/// A path with `.` and `a/..` taken out, by its text alone (the directories need not exist yet):
/// two spellings of one module directory compare equal.
pub(super) fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.components().next_back(), Some(Component::Normal(_))) => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// The parts of `p`, queued for [`canonical`] at the front (a link's target) or the back.
fn push_parts(pending: &mut std::collections::VecDeque<std::ffi::OsString>, p: &Path, front: bool) {
    let parts: Vec<std::ffi::OsString> = p
        .components()
        .map(|c| match c {
            std::path::Component::RootDir | std::path::Component::Prefix(_) => "/".into(),
            other => other.as_os_str().to_owned(),
        })
        .collect();
    if front {
        for part in parts.into_iter().rev() {
            pending.push_front(part);
        }
    } else {
        pending.extend(parts);
    }
}

/// A path as the file system resolves it, whether it exists yet or not: absolute, every symbolic
/// link followed where it stands (a dangling one too: to where a write through it would land),
/// `..` applied to what the link led to, as the kernel does (never `link/..` taken out by its
/// text), and parts that do not exist yet appended as written. Two spellings of one directory, a
/// symlink to it included, give the same path.
pub(super) fn canonical(path: &Path) -> PathBuf {
    let mut pending: std::collections::VecDeque<std::ffi::OsString> = std::collections::VecDeque::new();
    let mut resolved = PathBuf::from("/");
    if path.is_relative() {
        if let Ok(cwd) = std::env::current_dir() {
            push_parts(&mut pending, &cwd, false);
        }
    }
    push_parts(&mut pending, path, false);
    // A loop of links ends like the kernel's: after 40 of them the rest is taken as written.
    let mut links = 0;
    while let Some(part) = pending.pop_front() {
        match part.to_str() {
            Some("/") => resolved = PathBuf::from("/"),
            Some(".") => {}
            Some("..") => {
                resolved.pop();
            }
            _ => {
                let next = resolved.join(&part);
                let target = (links < 40)
                    .then(|| std::fs::symlink_metadata(&next).ok())
                    .flatten()
                    .filter(|m| m.file_type().is_symlink())
                    .and_then(|_| std::fs::read_link(&next).ok());
                match target {
                    Some(target) => {
                        links += 1;
                        push_parts(&mut pending, &target, true);
                    }
                    None => resolved = next,
                }
            }
        }
    }
    resolved
}

/// The nearest `rediform.toml`: in the current directory or a parent, up to the repository root
/// (a directory holding `.git`). Returns its directory relative to the current one and its path.
fn find_config() -> Option<(PathBuf, PathBuf)> {
    let mut base = PathBuf::new();
    for _ in 0..64 {
        let dir = if base.as_os_str().is_empty() {
            Path::new(".")
        } else {
            base.as_path()
        };
        // Anything by that name is the project file: a FIFO, a device or a dangling link is
        // then refused when read, not taken for no project at all.
        let file = dir.join(config::FILE_NAME);
        if std::fs::symlink_metadata(&file).is_ok() {
            return Some((base, file));
        }
        if dir.join(".git").exists() || dir.canonicalize().ok()?.parent().is_none() {
            return None;
        }
        base.push("..");
    }
    None
}

/// The `prices` of the nearest `rediform.toml`, joined to its directory (`rediform prices`).
/// A `rediform.toml` with mistakes is refused as `generate` refuses it.
pub(super) fn configured_prices() -> Result<Option<PathBuf>, Error> {
    let Some((base, file)) = find_config() else {
        return Ok(None);
    };
    let text = read_text(&file)?;
    let config = config::parse(&text).map_err(|diagnostics| Error::Input {
        file: display(&file),
        source_text: text.clone(),
        diagnostics,
    })?;
    check_config(&config, &file)?;
    Ok(config.prices.map(|p| base.join(p)))
}

/// Resolves the command line against `rediform.toml`.
///
/// `pruning`: `generate --prune` over the whole project, where a `workloads` directory left
/// empty (the last workload deleted) is not an error: its modules are the orphans to remove.
pub(super) fn resolve(args: &GenerateArgs, pruning: bool) -> Result<Job, Error> {
    let found = find_config();
    let (base, config) = match &found {
        Some((base, file)) => {
            if !file.exists() {
                return Err(Error::Usage(format!(
                    "{} is a symbolic link to nothing: point it at the project file, or remove it",
                    display(file)
                )));
            }
            let text = read_text(file)?;
            let config = config::parse(&text).map_err(|diagnostics| Error::Input {
                file: display(file),
                source_text: text.clone(),
                diagnostics,
            })?;
            (Some(base.clone()), config)
        }
        None => (None, Config::default()),
    };
    let at_base = |p: &Path| base.as_ref().map_or_else(|| p.to_owned(), |b| b.join(p));
    if let Some((_, file)) = &found {
        check_config(&config, file)?;
    }
    let paths: Vec<PathBuf> = if args.files.is_empty() {
        if config.workloads.is_empty() {
            return Err(Error::Usage(match &found {
                Some((_, file)) => format!(
                    "no workload files given, and {} lists none: add `workloads = [\"<dir or file>\", ...]` to it, or name the files",
                    display(file)
                ),
                None => "no workload files given, and no rediform.toml (with `workloads = [...]`) in this directory or above it up to the repository root".to_owned(),
            }));
        }
        config.workloads.iter().map(|p| at_base(p)).collect()
    } else {
        args.files.clone()
    };
    let files = gather(&paths, args, pruning)?;
    let out = match (&args.out, &config.out) {
        (Some(out), _) => out.clone(),
        (None, Some(out)) => at_base(out),
        // The default, like every path of rediform.toml, is relative to its directory.
        (None, None) => at_base(Path::new("generated")),
    };
    let fix = fix_command(args);
    let mapped_names = if args.files.is_empty() {
        config.modules.keys().cloned().collect()
    } else {
        Vec::new()
    };
    Ok(Job {
        out_real: canonical(&out),
        allow_outside_root: config.allow_outside_root || args.out.is_some(),
        // `--out` elsewhere is a preview of the project, not the project: its modules are not
        // orphans of it.
        whole_project: args.files.is_empty() && args.out.is_none(),
        mapped_names,
        files,
        out,
        as_module: args.as_module || config.as_module,
        templates: args
            .templates
            .clone()
            .or_else(|| config.templates.as_deref().map(at_base)),
        prices: args.prices.clone().or_else(|| config.prices.as_deref().map(at_base)),
        // `--out` puts every module there, those `[modules]` maps elsewhere included: a preview
        // never writes into the project's own directories.
        modules: if args.out.is_some() {
            BTreeMap::new()
        } else {
            config
                .modules
                .iter()
                .map(|(name, dir)| (name.clone(), at_base(dir)))
                .collect()
        },
        cwd: canonical(Path::new(".")),
        root: base
            .as_ref()
            .map(|b| canonical(if b.as_os_str().is_empty() { Path::new(".") } else { b })),
        base,
        fix,
    })
}

/// The workload files of `paths` (files as given, directories searched), each file once
/// however it is reached.
fn gather(paths: &[PathBuf], args: &GenerateArgs, pruning: bool) -> Result<Vec<PathBuf>, Error> {
    let mut files: Vec<PathBuf> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for path in paths {
        let found = expand(path, args.workloads_only)?;
        // A directory (or a workloads entry) with no workload file in it is a mistake to say,
        // not an empty success; a hook passing changed files (--workloads-only) may find none.
        let emptied = pruning && args.files.is_empty() && path.is_dir();
        if found.is_empty() && !args.workloads_only && !emptied {
            return Err(Error::Usage(if path.is_dir() {
                format!(
                    "no workload files found in {} (a workload file is a .toml file with a [workload] table){}",
                    display(path),
                    if args.files.is_empty() {
                        "; if you deleted the last one, `rediform generate --prune` removes its module"
                    } else {
                        ""
                    }
                )
            } else {
                format!("{} does not exist", display(path))
            }));
        }
        // One file reached two ways (`w` and `./w`, a link) is read once.
        for file in found {
            if seen.insert(identity(&file)) {
                files.push(file);
            }
        }
    }
    Ok(files)
}

/// The command that brings the tree up to date, as it would be typed: every path one shell
/// word, and the options of this run that change what is written.
fn fix_command(args: &GenerateArgs) -> String {
    let word = |p: &std::path::Path| crate::encode::shell_word(&p.display().to_string()).into_owned();
    let mut words = vec!["rediform generate".to_owned()];
    for (flag, value) in [
        ("--out", &args.out),
        ("--templates", &args.templates),
        ("--prices", &args.prices),
    ] {
        if let Some(value) = value {
            words.push(format!("{flag} {}", word(value)));
        }
    }
    if args.as_module {
        words.push("--as-module".to_owned());
    }
    if args.workloads_only {
        words.push("--workloads-only".to_owned());
    }
    // A path that starts with `-` would read as an option: `--` ends the options then.
    if args.files.iter().any(|f| f.to_string_lossy().starts_with('-')) {
        words.push("--".to_owned());
    }
    words.extend(args.files.iter().map(|f| word(f)));
    words.join(" ")
}

/// What `rediform.toml` may not say: a glob among `workloads` (rediform searches directories;
/// it does not expand patterns), or an output directory outside the repository root unless
/// `allow_outside_root = true`.
fn check_config(config: &Config, file: &Path) -> Result<(), Error> {
    let problem = |what: String| Error::Usage(format!("{}: {what}", display(file)));
    // No file system takes a NUL in a path.
    let paths = config
        .out
        .iter()
        .chain(&config.workloads)
        .chain(&config.templates)
        .chain(&config.prices);
    if let Some(bad) = paths
        .chain(config.modules.values())
        .find(|p| p.as_os_str().as_encoded_bytes().contains(&0))
    {
        return Err(problem(format!("the path `{}` holds a NUL character", display(bad))));
    }
    for w in &config.workloads {
        let text = w.to_string_lossy();
        if text.is_empty() {
            return Err(problem(
                "`workloads` has an empty entry; name files or directories".to_owned(),
            ));
        }
        if text.contains(['*', '?', '[']) {
            return Err(problem(format!(
                "`workloads` entry `{text}` is a glob; name files or directories (a directory is searched for workload files at any depth)"
            )));
        }
    }
    let base = file.parent().unwrap_or(Path::new("."));
    let root = canonical(base);
    let outside =
        |p: &Path| p.is_absolute() || normalize(p).components().next() == Some(std::path::Component::ParentDir);
    // A workload file outside the repository would be named in headers by a path that leaves
    // it, and read from wherever a checkout puts it: inside, unless allowed. A file may be a
    // link (to a shared file); the directories that lead to it may not leave the root.
    for w in &config.workloads {
        let parent = canonical(&base.join(w).parent().map_or_else(|| base.to_owned(), Path::to_owned));
        let real = if base.join(w).is_dir() {
            canonical(&base.join(w))
        } else {
            parent
        };
        if !config.allow_outside_root && (outside(w) || !real.starts_with(&root)) {
            return Err(problem(format!(
                "`workloads` entry `{}` is outside the repository root; use a path inside it, or set `allow_outside_root = true` if that is what you mean",
                display(w)
            )));
        }
    }
    // What rediform reads and may quote in an error (a line of a prices file with a mistake):
    // from the repository, unless allowed, so that an edit of rediform.toml cannot print a line
    // of any file the CI machine can read.
    for (key, p) in [("prices", &config.prices), ("templates", &config.templates)] {
        let Some(p) = p else { continue };
        if !config.allow_outside_root && (outside(p) || !canonical(&base.join(p)).starts_with(&root)) {
            return Err(problem(format!(
                "`{key}` = \"{}\" is outside the repository root; use a path inside it, or set `allow_outside_root = true` if that is what you mean",
                display(p)
            )));
        }
    }
    let modules = config
        .modules
        .iter()
        .map(|(name, d)| (format!("[modules] `{}`", crate::encode::one_line(name)), d, true));
    for (what, dir, is_module) in config.out.iter().map(|d| ("`out`".to_owned(), d, false)).chain(modules) {
        // Resolved as the file system does: a symlink may lead into .git or out of the root.
        let real = canonical(&base.join(dir));
        let in_git = real.components().any(|c| c.as_os_str() == ".git");
        // A module directory is one directory of its own; the root holds the user's README.
        let the_root = is_module && real == root;
        if dir.as_os_str().is_empty() || in_git || the_root {
            return Err(problem(format!(
                "{what} = \"{}\" is not a place for a module: name a directory of its own (not empty, not the repository root, not inside .git)",
                display(dir)
            )));
        }
        if !config.allow_outside_root && (outside(dir) || !real.starts_with(&root)) {
            return Err(problem(format!(
                "{what} = \"{}\" is outside the repository root, where generate would write; use a path inside it, or set `allow_outside_root = true` if that is what you mean",
                display(dir)
            )));
        }
    }
    Ok(())
}

/// A file as given, or every workload file under a directory (sorted, hidden entries and
/// `rediform.toml` skipped; other TOML files, such as `taplo.toml`, left alone). With
/// `only_workloads` (a pre-commit hook passes every changed `.toml` of the repository), a named
/// file that is not a workload is left out, and so is one that no longer exists.
fn expand(path: &Path, only_workloads: bool) -> Result<Vec<PathBuf>, Error> {
    if !path.is_dir() {
        let keep = !only_workloads || (path.exists() && is_workload(path));
        return Ok(if keep { vec![path.to_owned()] } else { Vec::new() });
    }
    Ok(files_under(path)?
        .into_iter()
        .filter(|file| {
            file.extension().is_some_and(|e| e.eq_ignore_ascii_case("toml"))
                && file.file_name().is_some_and(|n| n != config::FILE_NAME)
                && is_workload(file)
        })
        .collect())
}

/// Whether a TOML file is, or was meant to be, a workload file: it has any table of one
/// (`[workload]`, `[data]`, `[traffic]` …), or it cannot be read or parsed. A damaged workload file
/// is then reported rather than skipped (skipped, its module would look like an orphan that
/// `--prune` removes); a file that cannot be read as an input (a FIFO, a device, a file too large:
/// `read_text`'s limits) says why.
fn is_workload(path: &Path) -> bool {
    let Ok(text) = read_text(path) else {
        return true;
    };
    match toml::from_str::<toml::Table>(&text) {
        Ok(table) => table.keys().any(|k| super::WORKLOAD_TABLES.contains(&k.as_str())),
        Err(_) => true,
    }
}
