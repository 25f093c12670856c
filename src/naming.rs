//! AWS names derived from the workload name, each within the limit of the argument it fills
//! (issue #9: `<name>-app` overflowed MemoryDB's 40 characters, `<name>-` the IAM role prefix's 38).
//!
//! The limits are data: `max_chars` of the rules in `src/data/aws_rules.toml`, each with its
//! source; `tests/it/aws_rules.rs` checks every generated module against the same table. A name that
//! would be too long is cut and given a stable 6-digit hash of the whole name, so two workloads
//! whose names share a long beginning never share a derived name. Pure.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

/// `src/data/aws_rules.toml`, embedded.
pub const AWS_RULES_TOML: &str = include_str!("data/aws_rules.toml");

#[derive(Deserialize)]
struct Rules {
    rule: Vec<Rule>,
}

#[derive(Deserialize)]
struct Rule {
    id: String,
    max_chars: Option<usize>,
}

/// `max_chars` of every rule that has one, by rule id.
fn limits() -> &'static BTreeMap<String, usize> {
    static LIMITS: OnceLock<BTreeMap<String, usize>> = OnceLock::new();
    LIMITS.get_or_init(|| {
        let rules: Rules =
            toml::from_str(AWS_RULES_TOML).expect("src/data/aws_rules.toml is valid (a unit test reads it)");
        rules
            .rule
            .into_iter()
            .filter_map(|r| Some((r.id, r.max_chars?)))
            .collect()
    })
}

/// The `max_chars` of a rule of `aws_rules.toml`.
///
/// # Panics
/// When the rule does not exist or has no `max_chars`: a bug, caught by the unit test below for
/// every name this module derives.
pub fn limit(rule: &str) -> usize {
    *limits()
        .get(rule)
        .unwrap_or_else(|| panic!("aws_rules.toml has no rule `{rule}` with max_chars"))
}

/// `base` followed by `suffix`, within the limit of `rule`: as it is when it fits, otherwise
/// `base` cut short, a hyphen and six hex digits of a hash of the whole name, then `suffix`.
/// `base` is a workload name (a letter first, `[a-z0-9-]`), so the result keeps that form.
pub fn fit(rule: &str, base: &str, suffix: &str) -> String {
    let max = limit(rule);
    let whole = format!("{base}{suffix}");
    if whole.chars().count() <= max {
        return whole;
    }
    let hash = crate::lock::hash(whole.as_bytes()) & 0x00ff_ffff;
    let keep = max.saturating_sub(suffix.chars().count() + 7);
    let cut: String = base.chars().take(keep).collect();
    format!("{}-{hash:06x}{suffix}", cut.trim_end_matches('-'))
}

/// The derived names of one module.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Names {
    /// The application's RBAC user (`user_id` and `user_name`; MemoryDB `user_name`).
    pub app_user: String,
    /// The replacement `default` user's `user_id` (ElastiCache).
    pub default_user: String,
    /// `name_prefix` of the self-hosted nodes' IAM role.
    pub iam_role_prefix: String,
    /// `name_prefix` of their instance profile.
    pub instance_profile_prefix: String,
    /// `bucket_prefix` of the self-hosted backup bucket.
    pub backup_bucket_prefix: String,
}

/// S3 bucket names may not start with `sthree-` or `amzn-s3-demo-` (`xn--` cannot occur: a
/// workload name has no `--`): such a workload name gets `rdb-` in front (`aws_rules.toml`
/// `s3-bucket-prefix`).
fn bucket_base(name: &str) -> String {
    if ["sthree-", "amzn-s3-demo-"].iter().any(|p| name.starts_with(p)) {
        format!("rdb-{name}")
    } else {
        name.to_owned()
    }
}

/// The derived names of the module of workload `name`.
pub fn names(name: &str) -> Names {
    // The app user's limit is the stricter of ElastiCache's and MemoryDB's (both 40).
    let user_rule = if limit("memorydb-user-name") < limit("elasticache-user-id") {
        "memorydb-user-name"
    } else {
        "elasticache-user-id"
    };
    Names {
        app_user: fit(user_rule, name, "-app"),
        default_user: fit("elasticache-user-id", name, "-default"),
        iam_role_prefix: fit("iam-role-name-prefix", name, "-"),
        instance_profile_prefix: fit("instance-profile-name-prefix", name, "-"),
        backup_bucket_prefix: fit("s3-bucket-prefix", &bucket_base(name), "-rdb-"),
    }
}

impl Names {
    /// Each derived name, with what it names.
    pub fn each(&self) -> [(&'static str, &str); 5] {
        [
            ("RBAC user", &self.app_user),
            ("default user", &self.default_user),
            ("IAM role prefix", &self.iam_role_prefix),
            ("instance profile prefix", &self.instance_profile_prefix),
            ("backup bucket prefix", &self.backup_bucket_prefix),
        ]
    }
}

/// The workload names whose member nodes and alarm targets are spelled like `name` itself, so
/// that their alarms (`<target>-cpu`) and member nodes would be named like the cache and alarms
/// of `name`: every part of `name` followed by one of the suffixes rediform gives them, `-` and
/// 3 digits (a replication group's members), 4 digits (Memcached nodes), 4 and 3 (a shard's
/// members, MemoryDB nodes), or one digit from 1 (the self-hosted nodes).
pub fn numbered_bases(name: &str) -> impl Iterator<Item = &str> {
    // `digits` of width n and within the range rediform numbers: members 001-006 (a primary and
    // at most 5 replicas), shards and Memcached nodes 0001-0500 (the shard quota), nodes 1-3.
    let numbered = |t: &str, n: usize, most: u32| {
        t.len() == n && t.chars().all(|c| c.is_ascii_digit()) && t.parse::<u32>().is_ok_and(|v| (1..=most).contains(&v))
    };
    name.match_indices('-')
        .filter(move |(i, _)| {
            let rest = &name[i + 1..];
            match rest.split_once('-') {
                None => numbered(rest, 3, 6) || numbered(rest, 4, 500) || numbered(rest, 1, 3),
                Some((a, b)) => numbered(a, 4, 500) && numbered(b, 3, 6),
            }
        })
        .map(|(i, _)| &name[..i])
}

/// Why the modules of two workloads in one region would create AWS resources of the same name,
/// or `None`: a name one derives by cutting and hashing equals the other's, or one workload's
/// member nodes and alarms are named like the other's cache and alarms ([`numbered_bases`]).
pub fn clash(a: &str, b: &str) -> Option<String> {
    let (x, y) = (names(a), names(b));
    if let Some(((what, name), _)) = x.each().into_iter().zip(y.each()).find(|(p, q)| p.1 == q.1) {
        return Some(format!("both would have the {what} `{name}`"));
    }
    let (short, long) = if a.len() < b.len() { (a, b) } else { (b, a) };
    numbered_bases(long).any(|base| base == short).then(|| {
        format!("the member nodes and alarms of `{short}` (`{short}-0001-001`, `{short}-1-cpu`, ...) take the names of `{long}`'s")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the round-5 attack: names that a cut or a numbered suffix make equal.
    #[test]
    fn clashing_workload_names_are_found() {
        let long = "forty-character-name-on-elasticache-0001";
        let cut = names(long).app_user.trim_end_matches("-app").to_owned();
        assert!(clash(long, &cut).is_some(), "{cut}");
        assert!(clash("orders", "orders-0001").is_some());
        assert!(clash("ledger-1", "ledger").is_some());
        assert!(clash("orders", "orders-0001-002").is_some());
        assert!(clash("orders", "orders-eu").is_none());
        assert!(clash("orders", "orders-2024-eu").is_none());
        assert!(clash("orders", "orders-42").is_none());
        assert!(clash("orders", "orders-1-2").is_none());
        assert!(clash("orders", "orders-3").is_some());
        assert!(clash("orders", "orders-7").is_none());
        assert!(clash("orders", "orders-2024").is_none());
        assert!(clash("orders", "orders2").is_none());
    }

    #[test]
    fn short_names_are_kept_and_long_ones_cut_with_a_hash() {
        assert_eq!(fit("memorydb-user-name", "orders", "-app"), "orders-app");
        let long = "a".repeat(38);
        let fitted = fit("memorydb-user-name", &long, "-app");
        assert_eq!(fitted.len(), 40, "{fitted}");
        assert!(
            fitted.starts_with("aaaaaaaaaaaaaaaaaaaaaaaaaaaaa-") && fitted.ends_with("-app"),
            "{fitted}"
        );
        // Names that differ only past the cut stay different.
        let other = fit("memorydb-user-name", &format!("{}b", "a".repeat(37)), "-app");
        assert_ne!(fitted, other);
        assert_eq!(fit("memorydb-user-name", &long, "-app"), fitted, "stable");
    }

    #[test]
    fn a_bucket_never_starts_with_a_reserved_prefix() {
        assert_eq!(names("sthree-cache").backup_bucket_prefix, "rdb-sthree-cache-rdb-");
        assert_eq!(names("orders").backup_bucket_prefix, "orders-rdb-");
    }

    #[test]
    fn a_cut_never_leaves_two_hyphens() {
        let name = format!("{}-b-c-d-e-f", "a".repeat(25));
        let fitted = fit("iam-role-name-prefix", &name, "-");
        assert!(!fitted.contains("--"), "{fitted}");
        assert!(fitted.len() <= 38, "{fitted}");
    }

    #[test]
    fn every_derived_name_of_the_longest_workload_name_fits() {
        let longest = format!("w{}", "x".repeat(39));
        let n = names(&longest);
        for (rule, value) in [
            ("memorydb-user-name", &n.app_user),
            ("elasticache-user-id", &n.app_user),
            ("elasticache-user-id", &n.default_user),
            ("iam-role-name-prefix", &n.iam_role_prefix),
            ("instance-profile-name-prefix", &n.instance_profile_prefix),
            ("s3-bucket-prefix", &n.backup_bucket_prefix),
        ] {
            assert!(value.chars().count() <= limit(rule), "{rule}: {value}");
        }
    }
}
