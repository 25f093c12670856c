//! `.rediform.lock`: which files of a module directory are rediform's (SPEC §9 "ownership").
//!
//! A file belongs to rediform only if the module's lock lists it *and* its first line (the second
//! after a script's `#!` line) is exactly the header rediform writes for that file name and
//! workload file. Everything else in the directory is the user's: never overwritten, never
//! deleted. The lock also records the workload it was generated for (so `check` can tell a module
//! whose workload is gone or renamed) and a hash of every file (so a report can say a file was
//! edited by hand), and the build of rediform that last changed the module (`--version` prints
//! the same id).
//!
//! The lock is never a reason to skip work (SPEC §9 "trust"): `check` always renders and compares
//! bytes. The build line is provenance only: two builds that render the same files agree on the
//! lock except for that line, which `emit` does not count as a change. Pure: `emit` reads and
//! writes the file.

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The file name, in the module directory (a dot file: Terraform and the walkers ignore it).
pub const FILE_NAME: &str = ".rediform.lock";

/// The build of rediform: its version and a hash of its sources, templates, data and locked
/// dependencies (`build.rs`).
pub const BUILD_ID: &str = env!("REDIFORM_BUILD_ID");

/// FNV-1a, 64 bits: stable across platforms and Rust versions, enough to notice an edit.
pub fn hash(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// What a module runs: `<path> <engine> <port> <engine version> <cluster mode>` (`cluster`,
/// `single`, or `-` where the path has no such choice), and on MemoryDB a sixth word, `search`
/// or `nosearch` (whether the cluster was created with vector search). A module whose cache line
/// changes may replace its cache, or need a change AWS does not make in place (`check` and
/// `generate` say so loudly).
pub fn cache_line(path: &str, engine: &str, port: u16, version: &str, mode: &str, search: Option<bool>) -> String {
    match search {
        None => format!("{path} {engine} {port} {version} {mode}"),
        Some(on) => format!(
            "{path} {engine} {port} {version} {mode} {}",
            if on { "search" } else { "nosearch" }
        ),
    }
}

/// What regenerating a module does to the cache it runs, when it is more than an update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    /// Terraform destroys the cache and creates a new, empty one.
    Replaces(String),
    /// AWS does not make the change in place: the apply fails until it is done by hand. What
    /// changes, and what to do instead.
    NotInPlace(String, &'static str),
}

/// Cluster mode cannot be switched by an apply (ElastiCache User Guide, "Modifying cluster mode").
const CLUSTER_MODE_BY_HAND: &str = "Change cluster mode by hand first (ElastiCache User Guide, \"Modifying cluster mode\": disabled -> compatible -> enabled, one step at a time, with nothing else in the same request; it cannot be turned off), or create a new cache and migrate";

/// MemoryDB search is chosen when a cluster is created (MemoryDB Developer Guide, "Vector search
/// features and limits": "Existing clusters can not be modified to enable search").
/// Self-hosted nodes keep their boot-time configuration (the launch template and the boot script
/// are ignored once they run): a new port would reach the security group only.
const SELF_HOSTED_PORT: &str = "Keep the port: the security group would move to the new one at once while the running nodes keep listening on the old one, cutting clients and replication off. For another port, create a new module (a new workload name) and migrate the data";

const SEARCH_ON_A_NEW_CLUSTER: &str = "Create a new cluster with search (a new module name, or restore a snapshot of this one into it) and move clients over, then delete this one";

impl Transition {
    /// What changes, in words.
    pub fn why(&self) -> &str {
        match self {
            Transition::Replaces(why) | Transition::NotInPlace(why, _) => why,
        }
    }

    /// `replace` or `not-in-place` (JSON).
    pub fn kind(&self) -> &'static str {
        match self {
            Transition::Replaces(_) => "replace",
            Transition::NotInPlace(..) => "not-in-place",
        }
    }

    /// The loud words after the module directory.
    pub fn warning(&self) -> String {
        match self {
            Transition::Replaces(why) => format!(
                "this replaces the cache ({why}): Terraform destroys the old one and creates a new, empty one, so its data is lost unless you take a snapshot first and restore it (or migrate the data), and clients must move to the new endpoint"
            ),
            Transition::NotInPlace(why, how) => format!(
                "this changes the cache in a way AWS does not apply in place ({why}); the apply fails. {how}"
            ),
        }
    }
}

/// Whether going from one cache line to another replaces the cache, and in words why. An engine
/// change from Redis OSS to Valkey on the same node-based path is an in-place upgrade (aws-facts
/// §7.1: "cross-engine in-place upgrade Redis OSS -> Valkey supported (no endpoint change)"), and
/// so is a version upgrade there. On serverless, `engine` and `major_engine_version` force a new
/// cache before hashicorp/aws 6.31 (aws-facts TF-CL-6x, #45087), which the module allows. Any
/// other change of path, engine or port creates a new cache. A line without a version (a lock
/// written before versions were recorded) says nothing about the version.
pub fn replaces(old: &str, new: &str) -> Option<Transition> {
    fn parts(l: &str) -> (&str, &str, &str, &str, &str, &str) {
        let mut p = l.split(' ');
        let mut next = || p.next().unwrap_or("");
        (next(), next(), next(), next(), next(), next())
    }
    let major = |v: &str| v.split('.').next().unwrap_or("").to_owned();
    let ((p0, e0, port0, v0, m0, s0), (p1, e1, port1, v1, m1, s1)) = (parts(old), parts(new));
    if p0 == "serverless" && p1 == "serverless" && port0 == port1 {
        let version_change = !v0.is_empty() && !v1.is_empty() && major(v0) != major(v1);
        if e0 == e1 && !version_change {
            return None;
        }
        return Some(Transition::Replaces(format!(
            "serverless {e0} {} -> {e1} {}: hashicorp/aws before 6.31 destroys and re-creates the cache",
            major(v0),
            major(v1)
        )));
    }
    let same_cache =
        (p0, e0, port0) == (p1, e1, port1) || (p0 == p1 && port0 == port1 && e0 == "redis" && e1 == "valkey");
    if same_cache {
        // Cluster mode: disabled -> enabled goes through `compatible` by hand, and back is not
        // possible (ElastiCache User Guide, modify-cluster-mode.html). A line without a mode
        // (an earlier lock) says nothing.
        // Search on MemoryDB: only a new cluster has it. A line without the word (an earlier
        // lock) says nothing.
        return match (m0, m1, s0, s1) {
            ("single", "cluster", ..) => Some(Transition::NotInPlace(
                "cluster mode disabled -> enabled".to_owned(),
                CLUSTER_MODE_BY_HAND,
            )),
            ("cluster", "single", ..) => Some(Transition::NotInPlace(
                "cluster mode enabled -> disabled, which AWS cannot do".to_owned(),
                CLUSTER_MODE_BY_HAND,
            )),
            (_, _, "nosearch", "search") => Some(Transition::NotInPlace(
                "vector search turned on for an existing MemoryDB cluster".to_owned(),
                SEARCH_ON_A_NEW_CLUSTER,
            )),
            _ => None,
        };
    }
    if p0 == "self-hosted" && p1 == "self-hosted" && e0 == e1 && port0 != port1 {
        return Some(Transition::NotInPlace(
            format!("port {port0} -> {port1} on running self-hosted nodes"),
            SELF_HOSTED_PORT,
        ));
    }
    let mut what = Vec::new();
    if p0 != p1 {
        what.push(format!("path {p0} -> {p1}"));
    }
    if e0 != e1 {
        what.push(format!("engine {e0} -> {e1}"));
    }
    if port0 != port1 {
        what.push(format!("port {port0} -> {port1}"));
    }
    Some(Transition::Replaces(what.join(", ")))
}

/// The lock file of a module: the header, the workload, its file, what it runs, the build, and
/// every other file with its hash.
pub fn render(workload: &str, source_file: &str, cache: &str, files: &BTreeMap<String, String>) -> String {
    let mut text = crate::render::header(FILE_NAME, source_file);
    text.push_str(
        "# The files rediform generated here. Only these are rediform's to change or remove: any other file is yours.\n",
    );
    let _ = writeln!(text, "workload {workload}");
    let _ = writeln!(
        text,
        "source {}",
        serde_json::to_string(source_file).expect("a string serializes")
    );
    let _ = writeln!(text, "cache {cache}");
    let _ = writeln!(text, "build {BUILD_ID}");
    for (name, content) in files {
        let _ = writeln!(text, "file {:016x} {name}", hash(content.as_bytes()));
    }
    text
}

/// A lock with the module directory recorded after its `cache` line.
pub fn with_dir(lock: &str, dir: &str) -> String {
    let mut out = String::with_capacity(lock.len() + dir.len() + 8);
    for line in lock.split_inclusive('\n') {
        out.push_str(line);
        if line.starts_with("cache ") {
            let _ = writeln!(out, "dir {}", serde_json::to_string(dir).expect("a string serializes"));
        }
    }
    out
}

/// The text of a lock without its first `build` line (with its line break): what two builds
/// that render the same module agree on. Every other byte counts: a second `build` line, CRLF
/// line ends or a missing final newline make two locks differ.
pub fn without_build(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut skipped = false;
    for line in text.split_inclusive('\n') {
        if !skipped && line.starts_with("build ") {
            skipped = true;
            continue;
        }
        out.push_str(line);
    }
    out
}

/// A parsed lock file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lock {
    /// The workload name (empty in a lock written before rediform recorded it).
    pub workload: String,
    /// The workload file as the headers name it.
    pub source: String,
    /// The build that last changed the module (empty when not recorded).
    pub build: String,
    /// What the module runs (`cache_line`; empty when not recorded).
    pub cache: String,
    /// (file name, hash) of every file rediform generated here.
    pub files: Vec<(String, u64)>,
    /// The module directory relative to the project root, as `generate` wrote it (absent in a
    /// lock written without a project or before rediform recorded it).
    pub dir: Option<String>,
    /// Workload files that earlier files of the module may still name in their headers: only in
    /// the lock `generate` writes while it replaces the files (a run killed then leaves files of
    /// both workload files, and both are rediform's).
    pub previous: Vec<String>,
}

impl Lock {
    /// Whether a file's header is rediform's for this module: it names the lock's workload file
    /// or a previous one.
    pub fn headed(&self, name: &str, text: &str) -> bool {
        std::iter::once(&self.source)
            .chain(&self.previous)
            .any(|source| crate::render::has_header(name, source, text))
    }

    /// The lock written while `generate` replaces files: the new lock, the files it removes
    /// still listed, the workload file the old files name kept as `previous`, and the old
    /// cache line kept (so that a run killed before the end still warns about a replaced cache
    /// next time).
    pub fn transitional(
        new: &str,
        old: Option<&Lock>,
        removed: &[(String, u64)],
        replaced: &[(String, u64)],
    ) -> String {
        let mut text = String::with_capacity(new.len() + 256);
        for line in new.split_inclusive('\n') {
            match (line.strip_prefix("cache "), old) {
                (Some(_), Some(old)) if !old.cache.is_empty() => {
                    let _ = writeln!(text, "cache {}", old.cache);
                }
                _ => text.push_str(line),
            }
        }
        if let Some(old) = old {
            let new_source = parse(new).map(|l| l.source).unwrap_or_default();
            for source in std::iter::once(&old.source).chain(&old.previous) {
                if *source != new_source {
                    let _ = writeln!(
                        text,
                        "previous {}",
                        serde_json::to_string(source).expect("a string serializes")
                    );
                }
            }
        }
        // Files removed, and the old hash of files replaced (a file not renamed yet is still the
        // old one: not an edit).
        for (name, hash) in removed.iter().chain(replaced) {
            let _ = writeln!(text, "file {hash:016x} {name}");
        }
        text
    }
    /// Whether the lock lists this file.
    pub fn lists(&self, name: &str) -> bool {
        self.files.iter().any(|(f, _)| f == name)
    }

    /// Whether the lock records these bytes for this file: the hash rediform wrote, or, in a lock
    /// written while files are replaced, the old file's hash as well.
    pub fn wrote(&self, name: &str, bytes: &[u8]) -> bool {
        let h = hash(bytes);
        self.files.iter().any(|(f, recorded)| f == name && *recorded == h)
    }
}

/// Reads a lock file; `None` when it is not one rediform wrote (its first line is not the
/// header, or a line is not of the lock's form). Locks of earlier versions (`input` lines, no
/// `source` line) are read too: the workload file is then taken from the header.
pub fn parse(text: &str) -> Option<Lock> {
    let first = text.lines().next()?;
    let from_header = first
        .strip_prefix("# Code generated by rediform from ")?
        .strip_suffix(". DO NOT EDIT.")?;
    let mut lock = Lock {
        workload: String::new(),
        source: String::new(),
        build: String::new(),
        cache: String::new(),
        files: Vec::new(),
        previous: Vec::new(),
        dir: None,
    };
    let mut source = None;
    for line in text.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
        match line.split_once(' ')? {
            ("workload", name) => name.clone_into(&mut lock.workload),
            ("source", json) => source = Some(serde_json::from_str::<String>(json).ok()?),
            ("build", build) => build.clone_into(&mut lock.build),
            ("cache", cache) => cache.clone_into(&mut lock.cache),
            ("previous", json) => lock.previous.push(serde_json::from_str::<String>(json).ok()?),
            ("dir", json) => lock.dir = Some(serde_json::from_str::<String>(json).ok()?),
            ("input", _) => {}
            ("file", rest) => {
                let (digest, name) = rest.split_once(' ')?;
                if name.is_empty() || name.contains(['/', '\\']) || name == "." || name == ".." {
                    return None;
                }
                lock.files
                    .push((name.to_owned(), u64::from_str_radix(digest, 16).ok()?));
            }
            _ => return None,
        }
    }
    lock.source = source.unwrap_or_else(|| from_header.to_owned());
    // The header must be the one rediform writes for this workload file.
    (crate::render::header(FILE_NAME, &lock.source).lines().next() == Some(first)).then_some(lock)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_1a_matches_its_reference_values() {
        assert_eq!(hash(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(hash(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn a_lock_reads_back() {
        let files: BTreeMap<String, String> = [("main.tf".to_owned(), "a = 1\n".to_owned())].into();
        let text = render("orders", "w.toml", "elasticache valkey 6379", &files);
        assert!(text.starts_with("# Code generated by rediform from w.toml. DO NOT EDIT.\n"));
        let lock = parse(&text).unwrap();
        assert_eq!(lock.workload, "orders");
        assert_eq!(lock.source, "w.toml");
        assert_eq!(lock.build, BUILD_ID);
        assert_eq!(lock.files, [("main.tf".to_owned(), hash(b"a = 1\n"))]);
        assert!(lock.lists("main.tf") && !lock.lists("terraform.tfvars"));
        assert_eq!(parse("build x\nfile zz main.tf\n"), None);
        assert_eq!(parse("# only a comment\n"), None);
    }

    #[test]
    fn an_odd_workload_file_name_reads_back_exactly() {
        let source = "dir/we\"ird\n${x}.toml";
        let text = render("w", source, "serverless valkey 6379", &BTreeMap::new());
        assert_eq!(
            text.lines().next().unwrap().chars().filter(|c| c.is_control()).count(),
            0
        );
        assert_eq!(parse(&text).unwrap().source, source);
    }

    #[test]
    fn a_lock_cannot_name_a_file_outside_its_directory() {
        let text = render("w", "w.toml", "memorydb valkey 6379", &BTreeMap::new());
        assert!(parse(&format!("{text}file 00 ../../etc/passwd\n")).is_none());
        assert!(parse(&format!("{text}file 00 sub/x.tf\n")).is_none());
    }

    #[test]
    fn a_change_of_path_engine_or_port_replaces_the_cache_but_redis_to_valkey_does_not() {
        let old = cache_line("elasticache", "redis", 6379, "7.1", "single", None);
        assert_eq!(replaces(&old, &old), None);
        assert_eq!(
            replaces(&old, &cache_line("elasticache", "valkey", 6379, "8.0", "single", None)),
            None
        );
        assert_eq!(
            replaces(&old, &cache_line("serverless", "valkey", 6379, "8.0", "-", None)),
            Some(Transition::Replaces(
                "path elasticache -> serverless, engine redis -> valkey".to_owned()
            ))
        );
        assert!(
            replaces(&cache_line("elasticache", "valkey", 6379, "8.0", "single", None), &old).is_some(),
            "no downgrade"
        );
        assert!(replaces(&old, &cache_line("elasticache", "redis", 6380, "7.1", "single", None)).is_some());
        // A lock of an earlier build has no version: nothing is said about it.
        assert_eq!(replaces("elasticache redis 6379", &old), None);
    }

    #[test]
    fn serverless_replaces_its_cache_on_a_new_engine_or_major_version() {
        let v7 = cache_line("serverless", "valkey", 6379, "7.2", "-", None);
        assert_eq!(
            replaces(&v7, &cache_line("serverless", "valkey", 6379, "7.3", "-", None)),
            None
        );
        let message = replaces(&v7, &cache_line("serverless", "valkey", 6379, "8.0", "-", None)).unwrap();
        assert!(
            message.why().contains("valkey 7 -> valkey 8") && message.why().contains("6.31"),
            "{message:?}"
        );
        assert!(replaces(&cache_line("serverless", "redis", 6379, "7.1", "-", None), &v7).is_some());
        assert_eq!(replaces("serverless valkey 6379", &v7), None);
    }

    /// Cluster mode is not changed in place (found by the AWS review: a workload that grew past
    /// one shard produced a change `ModifyReplicationGroup` refuses).
    #[test]
    fn a_change_of_cluster_mode_is_not_in_place() {
        let single = cache_line("elasticache", "valkey", 6379, "8.0", "single", None);
        let cluster = cache_line("elasticache", "valkey", 6379, "8.0", "cluster", None);
        assert!(matches!(replaces(&single, &cluster), Some(Transition::NotInPlace(..))));
        assert!(matches!(replaces(&cluster, &single), Some(Transition::NotInPlace(..))));
        assert!(replaces(&single, &cluster).unwrap().warning().contains("compatible"));
        assert_eq!(
            replaces("elasticache valkey 6379 8.0", &cluster),
            None,
            "an earlier lock says nothing"
        );
    }

    /// Found by the round-5 AWS review: a port change on self-hosted nodes was called a
    /// replacement, but nothing is replaced: the security group moves, the nodes do not.
    #[test]
    fn a_self_hosted_port_change_is_not_in_place() {
        let old = cache_line("self-hosted", "valkey", 6380, "8.0", "-", None);
        let new = cache_line("self-hosted", "valkey", 6390, "8.0", "-", None);
        let t = replaces(&old, &new).unwrap();
        assert!(matches!(t, Transition::NotInPlace(..)), "{t:?}");
        assert!(t.warning().contains("Keep the port"), "{}", t.warning());
    }

    /// MemoryDB search is only for a new cluster (found by the round-4 AWS review: adding
    /// `vector` edited the parameter group in place, without a word).
    #[test]
    fn search_turned_on_for_a_memorydb_cluster_is_not_in_place() {
        let plain = cache_line("memorydb", "redis", 6379, "7.1", "-", Some(false));
        let search = cache_line("memorydb", "redis", 6379, "7.1", "-", Some(true));
        let t = replaces(&plain, &search).unwrap();
        assert!(matches!(t, Transition::NotInPlace(..)));
        assert!(t.warning().contains("new cluster with search"), "{}", t.warning());
        assert!(!t.warning().contains("cluster mode"), "{}", t.warning());
        assert_eq!(
            replaces("memorydb redis 6379 7.1 -", &search),
            None,
            "an earlier lock says nothing"
        );
        assert_eq!(replaces(&search, &search), None);
    }

    #[test]
    fn a_lock_of_an_earlier_version_is_read() {
        let old = "# Code generated by rediform from fixtures/a.toml. DO NOT EDIT.\n# What generate wrote.\nbuild 0.1.0-x\ninput 00ff\nfile 0000000000000001 main.tf\n";
        let lock = parse(old).unwrap();
        assert_eq!(lock.source, "fixtures/a.toml");
        assert!(lock.lists("main.tf"));
    }

    #[test]
    fn only_the_build_line_is_ignored_between_builds() {
        let files: BTreeMap<String, String> = [("main.tf".to_owned(), "a = 1\n".to_owned())].into();
        let a = render("w", "w.toml", "elasticache redis 6379", &files);
        let b = a.replace(BUILD_ID, "0.0.0-other");
        assert_eq!(without_build(&a), without_build(&b));
        assert_ne!(without_build(&a), without_build(&a.replace("main.tf", "x.tf")));
    }
}
