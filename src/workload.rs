//! The workload file (SPEC §3, a stable contract: keys may be added, never renamed).
//!
//! Input: the file's text. Output: a validated [`Workload`] with every default applied, or every
//! [`Diagnostic`] found. The raw serde structs below are also the source of `rediform schema`.
//! Must not: read files, print, or know about node types and prices (those checks need the catalog
//! and live in `plan`).

use schemars::JsonSchema;
use serde::Deserialize;

use crate::diag::{self, Diagnostic};

mod structure;
use crate::names::{DataType, Engine, Environment, MaxmemoryPolicy, PathId, Pattern, Setting};

/// The whole workload file.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "rediform workload",
    description = "A Redis/Valkey workload that rediform turns into a Terraform module for the AWS path that fits it."
)]
pub(crate) struct RawFile {
    workload: RawWorkload,
    data: RawData,
    traffic: RawTraffic,
    team: RawTeam,
    #[serde(default)]
    engine: RawEngine,
    #[serde(default)]
    network: RawNetwork,
    #[serde(default)]
    alarms: RawAlarms,
    #[serde(default)]
    backup: RawBackup,
    #[serde(default, rename = "override")]
    overrides: RawOverride,
}

/// `[workload]`: what it is called and where it runs.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawWorkload {
    /// Required. 1-40 characters, `[a-z][a-z0-9-]*`, no `--`, no trailing `-` (the ElastiCache id rules).
    name: String,
    /// Default "prod".
    environment: Option<Environment>,
    /// Default "us-east-1".
    region: Option<String>,
    /// Optional free text.
    description: Option<String>,
}

/// `[data]`: what is kept in memory.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawData {
    /// Required, > 0: data held in memory, in GB.
    size_gb: f64,
    /// Required (Q1): true if acknowledged writes must survive a failover.
    must_not_lose_writes: bool,
    /// Default false: some keys must never be evicted (sessions without TTL, counters).
    keys_without_ttl: Option<bool>,
    /// Default `["strings"]`.
    types: Option<Vec<DataType>>,
    /// Default 1.0: average value size in KB (ECPU and bandwidth math).
    item_kb: Option<f64>,
    /// Default "auto"; or any maxmemory-policy value to override.
    eviction: Option<Setting<MaxmemoryPolicy>>,
}

/// `[traffic]`: how hard and how often it is used.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawTraffic {
    /// Required, > 0.
    peak_ops_per_sec: u64,
    /// Required, > 0, <= peak.
    average_ops_per_sec: u64,
    /// Default "auto" (derived from active hours and the peak/average ratio).
    pattern: Option<Setting<Pattern>>,
    /// Default 24; 1..24.
    active_hours_per_day: Option<u32>,
    /// Default 80; 0..100.
    read_percent: Option<u32>,
    /// Default false: clients read from replicas too (READONLY / a reader endpoint), so the
    /// sizing spreads reads over every node of a shard instead of the primary alone.
    reads_from_replicas: Option<bool>,
}

/// `[team]`: who runs it and what matters to them.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawTeam {
    /// Required (Q3): dedicated SRE/platform capacity to run it yourself.
    sre_capacity: bool,
    /// Default false (Q4): cost matters more than operational burden.
    cost_sensitive: Option<bool>,
    /// Default false: custom modules/config/versions only self-hosting allows.
    needs_full_control: Option<bool>,
    /// Default 3000: engineer time to run it yourself, USD per month.
    ops_cost_usd_per_month: Option<f64>,
    /// Default "on-demand": the prices the comparisons and guards (G4, G6) use. "reserved-1y":
    /// the organisation buys 1-year reservations (needs prices with reserved terms: `rediform
    /// prices import`); serverless has none and stays on demand.
    pricing: Option<crate::names::Pricing>,
}

/// `[engine]`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawEngine {
    /// Default "valkey"; "valkey" | "redis" | "memcached" | "auto".
    name: Option<Setting<Engine>>,
    /// Default per engine and path (Valkey 8.0, Redis OSS 7.1, Memcached 1.6). A string: "8.0".
    version: Option<String>,
}

/// `[network]`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawNetwork {
    /// Default 6379 (11211 for memcached).
    port: Option<u32>,
}

/// `[alarms]`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawAlarms {
    /// Default true.
    enabled: Option<bool>,
    /// Default 80: alert when memory use passes this percent.
    memory_percent: Option<u32>,
    /// Default 90: CPU alert percent (divided by the vCPU count where `CPUUtilization` is used).
    cpu_percent: Option<u32>,
}

/// `[backup]`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawBackup {
    /// Default 7; 0..35 (0 only outside prod).
    retention_days: Option<u32>,
    /// Default "03:00-04:00" (UTC, daily).
    window: Option<String>,
    /// Default "sun:05:00-sun:06:00" (UTC, weekly).
    maintenance_window: Option<String>,
    /// Default: true for a durable store (MemoryDB) in prod, else false. Terraform refuses to
    /// destroy or replace the cluster (`prevent_destroy`) until this is false and the
    /// module regenerated.
    deletion_protection: Option<bool>,
}

/// `[override]`: escape hatches; each one is recorded in the decision trail.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RawOverride {
    /// Force a path.
    path: Option<PathId>,
    /// Force a node type (`cache.*`, `db.*` or an EC2 type, matching the path).
    node_type: Option<String>,
    /// Force the shard count (1..500).
    shards: Option<u32>,
    /// Force replicas per shard (0..5).
    replicas_per_shard: Option<u32>,
}

/// A workload name that AWS accepts as a replication group, serverless cache and cluster id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct WorkloadName(String);

impl WorkloadName {
    /// The validated name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Checks the ElastiCache id rules (aws-facts §1.2 `replication_group_id`), lowercase only.
    pub fn parse(text: &str) -> Result<Self, String> {
        let problem = if text.is_empty() || text.len() > 40 {
            Some(format!(
                "is {} characters long; it must be 1 to 40",
                text.chars().count()
            ))
        } else if !text.starts_with(|c: char| c.is_ascii_lowercase()) {
            Some("must start with a lowercase letter".to_owned())
        } else if let Some(c) = text
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
        {
            Some(format!("contains `{c}`; only a-z, 0-9 and `-` are allowed"))
        } else if text.contains("--") {
            Some("contains `--`, which AWS rejects in cluster ids".to_owned())
        } else if text.ends_with('-') {
            Some("ends with `-`, which AWS rejects in cluster ids".to_owned())
        } else {
            None
        };
        match problem {
            Some(p) => Err(p),
            None => Ok(WorkloadName(text.to_owned())),
        }
    }
}

impl std::fmt::Display for WorkloadName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An engine version as `major.minor` ("8.0", "7.1", "1.6").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EngineVersion {
    /// Major version.
    pub major: u32,
    /// Minor version.
    pub minor: u32,
}

impl EngineVersion {
    /// Parses `major.minor`.
    pub fn parse(text: &str) -> Option<Self> {
        let (major, minor) = text.split_once('.')?;
        let digits = |s: &str| !s.is_empty() && s.len() <= 3 && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(major) || !digits(minor) {
            return None;
        }
        Some(EngineVersion {
            major: major.parse().ok()?,
            minor: minor.parse().ok()?,
        })
    }
}

impl std::fmt::Display for EngineVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl serde::Serialize for EngineVersion {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A validated workload: every default applied.
#[derive(Debug, Clone, PartialEq)]
pub struct Workload {
    /// `workload.name`.
    pub name: WorkloadName,
    /// `workload.environment`.
    pub environment: Environment,
    /// `workload.region`.
    pub region: String,
    /// `workload.description`.
    pub description: Option<String>,
    /// `[data]`.
    pub data: Data,
    /// `[traffic]`.
    pub traffic: Traffic,
    /// `[team]`.
    pub team: Team,
    /// `engine.name`.
    pub engine: Setting<Engine>,
    /// `engine.version`, when given (the default depends on the path).
    pub engine_version: Option<EngineVersion>,
    /// `network.port`, when given (the default depends on the engine).
    pub port: Option<u16>,
    /// `[alarms]`.
    pub alarms: Alarms,
    /// `[backup]`.
    pub backup: Backup,
    /// `[override]`.
    pub overrides: Overrides,
}

/// `[data]`, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Data {
    /// GB held in memory (> 0).
    pub size_gb: f64,
    /// Q1.
    pub must_not_lose_writes: bool,
    /// Some keys must never be evicted.
    pub keys_without_ttl: bool,
    /// Sorted, without repeats, never empty.
    pub types: Vec<DataType>,
    /// Average value size, KB (> 0).
    pub item_kb: f64,
    /// `auto` or a policy.
    pub eviction: Setting<MaxmemoryPolicy>,
}

/// `[traffic]`, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Traffic {
    /// > 0.
    pub peak_ops_per_sec: u64,
    /// > 0 and <= peak.
    pub average_ops_per_sec: u64,
    /// `auto` or a fixed pattern.
    pub pattern: Setting<Pattern>,
    /// 1..=24.
    pub active_hours_per_day: u32,
    /// 0..=100.
    pub read_percent: u32,
    /// Clients read from replicas too.
    pub reads_from_replicas: bool,
}

/// `[team]`, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Team {
    /// Q3.
    pub sre_capacity: bool,
    /// Q4.
    pub cost_sensitive: bool,
    /// Only self-hosting allows what they need.
    pub needs_full_control: bool,
    /// Engineer time to run it yourself (>= 0).
    pub ops_cost_usd_per_month: f64,
    /// The prices the comparisons and guards use.
    pub pricing: crate::names::Pricing,
}

/// `[alarms]`, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Alarms {
    /// Whether alarms are generated.
    pub enabled: bool,
    /// 1..=100.
    pub memory_percent: u32,
    /// 1..=100.
    pub cpu_percent: u32,
}

/// `[backup]`, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Backup {
    /// 0..=35.
    pub retention_days: u32,
    /// `HH:MM-HH:MM`.
    pub window: String,
    /// `ddd:HH:MM-ddd:HH:MM`.
    pub maintenance_window: String,
    /// `deletion_protection`, when given (the default depends on the path).
    pub deletion_protection: Option<bool>,
}

/// `[override]`, validated for form (the catalog checks node types).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Overrides {
    /// Forced path.
    pub path: Option<PathId>,
    /// Forced node type.
    pub node_type: Option<String>,
    /// Forced shard count (1..=500).
    pub shards: Option<u32>,
    /// Forced replicas per shard (0..=5).
    pub replicas_per_shard: Option<u32>,
}

/// Parses and validates a workload file's text.
///
/// Every problem of the file is reported at once, in the order of the file: the shape first
/// (unknown keys, missing keys, wrong types: `structure`, against the JSON Schema), then the
/// ranges and cross-field rules of the rest. A TOML syntax error stops there, as nothing else
/// can be read.
pub fn parse(text: &str) -> Result<Workload, Vec<Diagnostic>> {
    let mut table: toml::Table = toml::from_str(text).map_err(|e| vec![from_toml_error(text, &e)])?;
    let shape = structure::check(&mut table);
    let raw: RawFile = toml::Value::Table(table)
        .try_into()
        .map_err(|e: toml::de::Error| vec![Diagnostic::new("", e.message().trim().to_owned())])?;
    let mut semantic = Vec::new();
    let workload = validate(raw, &mut semantic);
    // What the checks say of a placeholder (or of a rule that reads one) is not the user's.
    semantic.retain(|d| {
        !shape.patched.iter().any(|p| {
            d.key == *p || d.key.starts_with(&format!("{p}.")) || d.message.contains(p.rsplit('.').next().unwrap_or(p))
        })
    });
    let mut problems = shape.problems;
    for d in &mut problems {
        if d.span.is_none() && shape.unknown.contains(&d.key) {
            d.span = diag::key_span(text, &d.key);
        }
    }
    problems.extend(semantic);
    if problems.is_empty() {
        return Ok(workload);
    }
    // In the order of the file; problems without a place (a missing table) last.
    problems.sort_by_key(|d| {
        d.span
            .clone()
            .or_else(|| diag::locate(text, &d.key))
            .map_or(usize::MAX, |s| s.start)
    });
    Err(problems)
}

/// The JSON Schema of the workload file, from the same types `parse` reads.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(RawFile);
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema serializes");
    text.push('\n');
    text
}

/// Turns a TOML or serde error into a diagnostic with the key and a suggestion.
pub(crate) fn from_toml_error(text: &str, error: &toml::de::Error) -> Diagnostic {
    let message = error.message().trim().to_owned();
    let span = error.span();
    let key = span
        .as_ref()
        .and_then(|s| diag::key_at(text, s.start))
        .unwrap_or_default();
    if let Some((word, expected)) = unknown_name(&message) {
        let candidates: Vec<&str> = expected.iter().map(String::as_str).collect();
        let what = if message.starts_with("unknown field") {
            format!("unknown key `{word}`")
        } else {
            format!("`{word}` is not a valid value")
        };
        let d = Diagnostic::new(key, format!("{what}; expected one of: {}", expected.join(", "))).at(span);
        return match diag::did_you_mean(&word, &candidates) {
            Some(best) => d.help(format!("did you mean `{best}`?")),
            None => d,
        };
    }
    if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|m| m.strip_suffix('`'))
    {
        let full = if key.is_empty() {
            field.to_owned()
        } else {
            format!("{key}.{field}")
        };
        let help = missing_help(&full);
        return Diagnostic::new(full, format!("missing required key `{field}`"))
            .at(span)
            .help(help);
    }
    let d = Diagnostic::new(key.clone(), message).at(span);
    if key == "engine.version" {
        d.help("write the version as a string: version = \"8.0\"")
    } else {
        d
    }
}

/// Extracts the unknown word and the expected names from serde's `unknown field`/`unknown variant`.
fn unknown_name(message: &str) -> Option<(String, Vec<String>)> {
    let rest = message
        .strip_prefix("unknown field `")
        .or_else(|| message.strip_prefix("unknown variant `"))?;
    let (word, rest) = rest.split_once('`')?;
    let list = rest
        .split_once("expected one of ")
        .map_or_else(|| rest.split_once("expected ").map_or("", |(_, l)| l), |(_, l)| l);
    let expected = list
        .split(", ")
        .map(|s| s.trim_matches(|c| c == '`' || c == ' ').to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    Some((word.to_owned(), expected))
}

fn missing_help(full_key: &str) -> String {
    match full_key {
        "workload" | "data" | "traffic" | "team" => {
            format!("every workload file needs a [{full_key}] table; `rediform init` writes a commented starter file")
        }
        _ => format!(
            "add `{}` (see `rediform init` for a commented example)",
            full_key.rsplit('.').next().unwrap_or(full_key)
        ),
    }
}

/// Collects diagnostics while the tables are validated.
struct Problems<'a>(&'a mut Vec<Diagnostic>);

impl Problems<'_> {
    fn add(&mut self, key: &str, message: String, help: &str) {
        let d = Diagnostic::new(key, message);
        self.0.push(if help.is_empty() { d } else { d.help(help) });
    }

    fn range(&mut self, key: &str, value: u32, range: std::ops::RangeInclusive<u32>, why: &str) {
        if !range.contains(&value) {
            let short = key.rsplit('.').next().unwrap_or(key);
            self.add(
                key,
                format!("{short} must be {} to {}{why}, not {value}", range.start(), range.end()),
                "",
            );
        }
    }
}

/// Every range and cross-field rule of SPEC §3 that needs no catalog.
fn validate(raw: RawFile, problems: &mut Vec<Diagnostic>) -> Workload {
    let mut p = Problems(problems);
    let name = WorkloadName::parse(&raw.workload.name).unwrap_or_else(|why| {
        p.add(
            "workload.name",
            format!("the name `{}` {why}", raw.workload.name),
            "use 1-40 characters: a lowercase letter, then lowercase letters, digits and single hyphens",
        );
        WorkloadName("invalid".to_owned())
    });
    let environment = raw.workload.environment.unwrap_or(Environment::Prod);
    let region = raw.workload.region.unwrap_or_else(|| "us-east-1".to_owned());
    if !is_region(&region) {
        p.add(
            "workload.region",
            format!("`{region}` is not an AWS region name"),
            "write a region such as \"us-east-1\" or \"eu-west-2\"",
        );
    }
    if let Some(text) = &raw.workload.description {
        validate_description(text, &mut p);
    }
    let data = validate_data(raw.data, &mut p);
    let traffic = validate_traffic(&raw.traffic, &mut p);
    let ops_cost = raw.team.ops_cost_usd_per_month.unwrap_or(3000.0);
    if !(ops_cost.is_finite() && (0.0..=10_000_000.0).contains(&ops_cost)) {
        p.add(
            "team.ops_cost_usd_per_month",
            format!("ops_cost_usd_per_month must be 0 to 10000000 (USD a month), not {ops_cost}"),
            "",
        );
    }
    let (engine, engine_version) = validate_engine(&raw.engine, &data, &mut p);
    let port = raw.network.port.and_then(|port| {
        let ok = u16::try_from(port).ok().filter(|port| *port >= 1);
        if ok.is_none() {
            p.add("network.port", format!("port must be 1 to 65535, not {port}"), "");
        }
        ok
    });
    let a = raw.alarms;
    let alarms = Alarms {
        enabled: a.enabled.unwrap_or(true),
        memory_percent: a.memory_percent.unwrap_or(80),
        cpu_percent: a.cpu_percent.unwrap_or(90),
    };
    p.range("alarms.memory_percent", alarms.memory_percent, 1..=100, "");
    p.range("alarms.cpu_percent", alarms.cpu_percent, 1..=100, "");
    let backup = validate_backup(raw.backup, environment, &mut p);
    let overrides = validate_overrides(raw.overrides, environment, &mut p);

    Workload {
        name,
        environment,
        region,
        description: raw.workload.description,
        data,
        traffic,
        team: Team {
            sre_capacity: raw.team.sre_capacity,
            cost_sensitive: raw.team.cost_sensitive.unwrap_or(false),
            needs_full_control: raw.team.needs_full_control.unwrap_or(false),
            ops_cost_usd_per_month: ops_cost,
            pricing: raw.team.pricing.unwrap_or(crate::names::Pricing::OnDemand),
        },
        engine,
        engine_version,
        port,
        alarms,
        backup,
        overrides,
    }
}

/// The longest description every path's API takes: ElastiCache Serverless allows 255 characters
/// (`src/data/aws_rules.toml`, `aws_elasticache_serverless_cache.description`); the strictest path
/// decides, so that a path change never makes a valid file invalid.
pub const DESCRIPTION_MAX_CHARS: usize = 255;

/// `workload.description`: one line of 1 to 255 characters. Any other character is data: the
/// encoders of `crate::encode` carry it into the module unchanged.
fn validate_description(text: &str, p: &mut Problems<'_>) {
    let chars = text.chars().count();
    if chars == 0 || chars > DESCRIPTION_MAX_CHARS {
        p.add(
            "workload.description",
            format!("description is {chars} characters long; it must be 1 to {DESCRIPTION_MAX_CHARS} (the AWS limit)"),
            "shorten it, or remove the key for the default description",
        );
    }
    if let Some(c) = text.chars().find(|c| crate::encode::is_hidden(*c)) {
        p.add(
            "workload.description",
            format!(
                "description holds the control character U+{:04X}; it must be one line of text",
                // By its code point: printed, a line break or tab would be one in the message.
                u32::from(c)
            ),
            "remove line breaks, tabs and other control characters",
        );
    }
}

fn validate_data(d: RawData, p: &mut Problems<'_>) -> Data {
    if !(d.size_gb.is_finite() && d.size_gb > 0.0 && d.size_gb <= MAX_SIZE_GB) {
        p.add(
            "data.size_gb",
            format!("size_gb must be above 0 and at most {MAX_SIZE_GB}, not {}", d.size_gb),
            "give the data held in memory in GB, e.g. size_gb = 50",
        );
    }
    let item_kb = d.item_kb.unwrap_or(1.0);
    if !(item_kb.is_finite() && item_kb > 0.0 && item_kb <= 524_288.0) {
        p.add(
            "data.item_kb",
            format!("item_kb must be above 0 and at most 524288 (512 MB, the largest value), not {item_kb}"),
            "",
        );
    }
    let mut types = d.types.unwrap_or_else(|| vec![DataType::Strings]);
    types.sort();
    types.dedup();
    if types.is_empty() {
        p.add(
            "data.types",
            "types is empty".to_owned(),
            "list the data types the workload uses, e.g. types = [\"strings\"]",
        );
    }
    let keys_without_ttl = d.keys_without_ttl.unwrap_or(false);
    let eviction = d.eviction.unwrap_or(Setting::Auto);
    if let Setting::Is(policy) = eviction {
        if keys_without_ttl && policy.evicts_keys_without_ttl() {
            p.add(
                "data.eviction",
                format!("eviction = \"{policy}\" evicts keys without a TTL, but keys_without_ttl = true says some must never be evicted"),
                "use a volatile-* policy (only keys with a TTL are evicted) or noeviction, or leave eviction = \"auto\"",
            );
        }
    }
    Data {
        size_gb: d.size_gb,
        must_not_lose_writes: d.must_not_lose_writes,
        keys_without_ttl,
        types,
        item_kb,
        eviction,
    }
}

/// The largest rate rediform sizes: a thousand times the 15,000,000 ECPU/s a serverless cache
/// can take, far beyond any real workload, so that every figure derived from it stays exact.
pub const MAX_OPS_PER_SEC: u64 = 15_000_000_000;

/// The largest dataset rediform sizes, GB: a hundred times MemoryDB's "more than 100 TB per
/// cluster" (aws-facts §6), for the same reason.
pub const MAX_SIZE_GB: f64 = 10_000_000.0;

fn validate_traffic(t: &RawTraffic, p: &mut Problems<'_>) -> Traffic {
    for (key, value) in [
        ("traffic.peak_ops_per_sec", t.peak_ops_per_sec),
        ("traffic.average_ops_per_sec", t.average_ops_per_sec),
    ] {
        if value > MAX_OPS_PER_SEC {
            let short = key.rsplit('.').next().unwrap_or(key);
            p.add(
                key,
                format!("{short} must be at most {MAX_OPS_PER_SEC} (beyond any cache AWS runs), not {value}"),
                "give the operations per second of the whole workload",
            );
        }
    }
    if t.peak_ops_per_sec == 0 {
        p.add(
            "traffic.peak_ops_per_sec",
            "peak_ops_per_sec must be above 0".to_owned(),
            "",
        );
    }
    if t.average_ops_per_sec == 0 {
        p.add(
            "traffic.average_ops_per_sec",
            "average_ops_per_sec must be above 0".to_owned(),
            "",
        );
    }
    if t.average_ops_per_sec > t.peak_ops_per_sec {
        p.add(
            "traffic.average_ops_per_sec",
            format!(
                "average_ops_per_sec ({}) is above peak_ops_per_sec ({}): an average cannot exceed the peak",
                t.average_ops_per_sec, t.peak_ops_per_sec
            ),
            "swap the two figures, or raise peak_ops_per_sec to the busiest second you expect",
        );
    }
    let traffic = Traffic {
        peak_ops_per_sec: t.peak_ops_per_sec,
        average_ops_per_sec: t.average_ops_per_sec,
        pattern: t.pattern.unwrap_or(Setting::Auto),
        active_hours_per_day: t.active_hours_per_day.unwrap_or(24),
        read_percent: t.read_percent.unwrap_or(80),
        reads_from_replicas: t.reads_from_replicas.unwrap_or(false),
    };
    p.range("traffic.active_hours_per_day", traffic.active_hours_per_day, 1..=24, "");
    p.range("traffic.read_percent", traffic.read_percent, 0..=100, "");
    traffic
}

fn validate_engine(e: &RawEngine, data: &Data, p: &mut Problems<'_>) -> (Setting<Engine>, Option<EngineVersion>) {
    let engine = e.name.unwrap_or(Setting::Is(Engine::Valkey));
    let version = e.version.as_deref().and_then(|v| {
        let parsed = EngineVersion::parse(v);
        if parsed.is_none() {
            p.add(
                "engine.version",
                format!("`{v}` is not a major.minor version"),
                "write it as \"8.0\", \"7.1\" or \"1.6\"",
            );
        }
        parsed
    });
    if engine == Setting::Auto && version.is_some() {
        p.add(
            "engine.version",
            "a version needs a named engine: with name = \"auto\" the version follows the engine rediform picks"
                .to_owned(),
            "remove version, or set name = \"valkey\", \"redis\" or \"memcached\"",
        );
    }
    if engine != Setting::Is(Engine::Memcached) {
        return (engine, version);
    }
    if data.must_not_lose_writes {
        p.add(
            "engine.name",
            "memcached keeps no replicas and no persistence, so it cannot honour must_not_lose_writes = true"
                .to_owned(),
            "use engine name = \"valkey\" (MemoryDB keeps acknowledged writes), or set must_not_lose_writes = false",
        );
    }
    if data.keys_without_ttl {
        p.add(
            "engine.name",
            "memcached evicts any key under memory pressure, so it cannot honour keys_without_ttl = true".to_owned(),
            "use engine name = \"valkey\", or set keys_without_ttl = false",
        );
    }
    if let Some(other) = data.types.iter().find(|t| **t != DataType::Strings) {
        p.add(
            "engine.name",
            format!("memcached stores only strings, but data.types lists `{other}`"),
            "use engine name = \"valkey\", or list only \"strings\"",
        );
    }
    if data.eviction != Setting::Auto {
        p.add(
            "data.eviction",
            "memcached has no maxmemory-policy: it always evicts least-recently-used items".to_owned(),
            "remove eviction, or use engine name = \"valkey\"",
        );
    }
    (engine, version)
}

fn validate_backup(b: RawBackup, environment: Environment, p: &mut Problems<'_>) -> Backup {
    let retention_days = b.retention_days.unwrap_or(7);
    p.range("backup.retention_days", retention_days, 0..=35, " (the AWS limit)");
    if retention_days == 0 && environment == Environment::Prod {
        p.add(
            "backup.retention_days",
            "retention_days = 0 turns backups off, which is allowed only outside prod".to_owned(),
            "keep at least 1 day in prod, or set workload.environment = \"staging\" or \"dev\"",
        );
    }
    let window = b.window.unwrap_or_else(|| "03:00-04:00".to_owned());
    if !is_daily_window(&window) {
        p.add(
            "backup.window",
            format!("`{window}` is not a daily window"),
            "write it as \"HH:MM-HH:MM\" in UTC, e.g. \"03:00-04:00\"",
        );
    }
    let maintenance_window = b.maintenance_window.unwrap_or_else(|| "sun:05:00-sun:06:00".to_owned());
    if !is_weekly_window(&maintenance_window) {
        p.add(
            "backup.maintenance_window",
            format!("`{maintenance_window}` is not a weekly window"),
            "write it as \"ddd:HH:MM-ddd:HH:MM\" in UTC, e.g. \"sun:05:00-sun:06:00\"",
        );
    }
    if is_daily_window(&window) && is_weekly_window(&maintenance_window) {
        window_rules(&window, &maintenance_window, p);
    }
    Backup {
        retention_days,
        window,
        maintenance_window,
        deletion_protection: b.deletion_protection,
    }
}

/// Minutes since midnight of `HH:MM`.
fn minutes(clock: &str) -> u32 {
    let (h, m) = clock.split_once(':').unwrap_or(("0", "0"));
    h.parse::<u32>().unwrap_or(0) * 60 + m.parse::<u32>().unwrap_or(0)
}

/// What AWS refuses of the two windows (`aws_rules.toml` `windows`): either shorter than 60
/// minutes ("Snapshot window must be at least 60 minutes.", "The minimum maintenance window is a
/// 60 minute period."), or the daily window overlapping the weekly one ("The snapshot window and
/// maintenance window must not overlap."). Both wrap: past midnight, past Saturday.
fn window_rules(daily: &str, weekly: &str, p: &mut Problems<'_>) {
    const DAY: u32 = 24 * 60;
    const WEEK: u32 = 7 * DAY;
    const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let (a, b) = daily.split_once('-').unwrap_or_default();
    let (start, end) = (minutes(a), minutes(b));
    let daily_len = (end + DAY - start) % DAY;
    let at = |part: &str| {
        let (day, clock) = part.split_once(':').unwrap_or_default();
        DAYS.iter().position(|d| *d == day).unwrap_or(0) as u32 * DAY + minutes(clock)
    };
    let (w_start, w_end) = weekly.split_once('-').map(|(x, y)| (at(x), at(y))).unwrap_or_default();
    let weekly_len = (w_end + WEEK - w_start) % WEEK;
    if daily_len < 60 {
        p.add(
            "backup.window",
            format!("the backup window `{daily}` is {daily_len} minutes long; AWS needs at least 60"),
            "widen it, e.g. \"03:00-04:00\"",
        );
    }
    if weekly_len < 60 {
        p.add(
            "backup.maintenance_window",
            format!("the maintenance window `{weekly}` is {weekly_len} minutes long; AWS needs at least 60"),
            "widen it, e.g. \"sun:05:00-sun:06:00\"",
        );
    }
    // Two stretches of a circular week overlap when one starts inside the other.
    let inside = |t: u32, from: u32, len: u32| (t + WEEK - from) % WEEK < len;
    let overlaps = (0..7).any(|day| {
        let d_start = day * DAY + start;
        inside(d_start, w_start, weekly_len) || inside(w_start, d_start, daily_len)
    });
    if overlaps {
        p.add(
            "backup.window",
            format!("the backup window `{daily}` overlaps the maintenance window `{weekly}`; AWS refuses overlapping windows"),
            "move one of them, e.g. backups at \"03:00-04:00\" and maintenance at \"sun:05:00-sun:06:00\"",
        );
    }
}

fn validate_overrides(o: RawOverride, environment: Environment, p: &mut Problems<'_>) -> Overrides {
    if let Some(shards) = o.shards {
        p.range("override.shards", shards, 1..=500, " (the AWS limit)");
    }
    if let Some(replicas) = o.replicas_per_shard {
        p.range("override.replicas_per_shard", replicas, 0..=5, " (the AWS limit)");
        if replicas == 0 && environment == Environment::Prod {
            p.add(
                "override.replicas_per_shard",
                "replicas_per_shard = 0 leaves prod without Multi-AZ failover".to_owned(),
                "keep at least 1 replica in prod, or set workload.environment = \"staging\" or \"dev\"",
            );
        }
    }
    if o.node_type.as_deref() == Some("") {
        p.add(
            "override.node_type",
            "node_type is empty".to_owned(),
            "remove it, or name a node type such as \"cache.r7g.large\"",
        );
    }
    Overrides {
        path: o.path,
        node_type: o.node_type,
        shards: o.shards,
        replicas_per_shard: o.replicas_per_shard,
    }
}

/// `us-east-1`, `eu-west-2`, `us-gov-west-1`, `ap-southeast-4` …
pub fn is_region(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let lower = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase());
    let number = |s: &str| !s.is_empty() && s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit());
    match parts.as_slice() {
        [geo, area, n] => geo.len() == 2 && lower(geo) && lower(area) && number(n),
        [geo, gov, area, n] => geo.len() == 2 && lower(geo) && lower(gov) && lower(area) && number(n),
        _ => false,
    }
}

fn is_clock(text: &str) -> bool {
    let Some((h, m)) = text.split_once(':') else {
        return false;
    };
    h.len() == 2 && m.len() == 2 && h.parse::<u32>().is_ok_and(|h| h < 24) && m.parse::<u32>().is_ok_and(|m| m < 60)
}

fn is_daily_window(text: &str) -> bool {
    text.split_once('-')
        .is_some_and(|(a, b)| is_clock(a) && is_clock(b) && a != b)
}

fn is_weekly_window(text: &str) -> bool {
    const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let part = |s: &str| s.split_once(':').is_some_and(|(d, c)| DAYS.contains(&d) && is_clock(c));
    text.split_once('-').is_some_and(|(a, b)| part(a) && part(b) && a != b)
}

impl Workload {
    /// The explicit engine, if the user named one.
    pub fn named_engine(&self) -> Option<Engine> {
        self.engine.fixed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window_problems(daily: &str, weekly: &str) -> Vec<String> {
        let mut all = Vec::new();
        window_rules(daily, weekly, &mut Problems(&mut all));
        all.into_iter().map(|d| d.message).collect()
    }

    #[test]
    fn windows_must_last_an_hour_and_not_overlap() {
        assert!(window_problems("03:00-04:00", "sun:05:00-sun:06:00").is_empty());
        assert!(window_problems("23:30-00:30", "sun:05:00-sun:06:00").is_empty());
        assert_eq!(window_problems("03:00-03:30", "sun:05:00-sun:06:00").len(), 1);
        assert_eq!(window_problems("03:00-04:00", "sun:05:00-sun:05:30").len(), 1);
        let overlap = window_problems("05:30-06:30", "sun:05:00-sun:06:00");
        assert!(overlap[0].contains("overlaps"), "{overlap:?}");
        // Across midnight and across the end of the week.
        assert!(!window_problems("23:30-00:30", "mon:00:00-mon:01:00").is_empty());
        assert!(!window_problems("01:00-02:00", "sun:23:30-mon:01:30").is_empty());
        assert!(window_problems("02:00-03:00", "sun:23:30-mon:01:30").is_empty());
    }

    const MINIMAL: &str = r#"
[workload]
name = "orders"
[data]
size_gb = 10
must_not_lose_writes = false
[traffic]
peak_ops_per_sec = 1000
average_ops_per_sec = 500
[team]
sre_capacity = false
"#;

    #[test]
    fn defaults_are_applied() {
        let w = parse(MINIMAL).unwrap();
        assert_eq!(w.environment, Environment::Prod);
        assert_eq!(w.region, "us-east-1");
        assert_eq!(w.data.types, vec![DataType::Strings]);
        assert_eq!(w.data.item_kb, 1.0);
        assert_eq!(w.traffic.active_hours_per_day, 24);
        assert_eq!(w.traffic.read_percent, 80);
        assert_eq!(w.team.ops_cost_usd_per_month, 3000.0);
        assert_eq!(w.engine, Setting::Is(Engine::Valkey));
        assert_eq!(w.alarms.memory_percent, 80);
        assert_eq!(w.backup.window, "03:00-04:00");
        assert_eq!(w.backup.maintenance_window, "sun:05:00-sun:06:00");
    }

    #[test]
    fn names_follow_the_aws_id_rules() {
        assert!(WorkloadName::parse("checkout-sessions").is_ok());
        assert!(WorkloadName::parse(&"a".repeat(40)).is_ok());
        for bad in ["", "1abc", "Abc", "a--b", "a-", "a_b", &"a".repeat(41)] {
            assert!(WorkloadName::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn versions_parse_major_minor() {
        assert_eq!(EngineVersion::parse("8.0"), Some(EngineVersion { major: 8, minor: 0 }));
        assert_eq!(EngineVersion::parse("1.6").unwrap().to_string(), "1.6");
        for bad in ["8", "8.0.1", "v8.0", ".1", "8."] {
            assert_eq!(EngineVersion::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn windows_and_regions() {
        assert!(is_daily_window("03:00-04:00"));
        assert!(!is_daily_window("3:00-04:00"));
        assert!(!is_daily_window("25:00-04:00"));
        assert!(is_weekly_window("sun:05:00-sun:06:00"));
        assert!(!is_weekly_window("sunday:05:00-sun:06:00"));
        assert!(is_region("us-east-1") && is_region("us-gov-west-1") && is_region("ap-southeast-4"));
        assert!(!is_region("us-east") && !is_region("US-EAST-1") && !is_region("useast1"));
    }

    #[test]
    fn unknown_names_are_extracted_from_serde_messages() {
        let (word, expected) =
            unknown_name("unknown variant `stedy`, expected one of `auto`, `steady`, `bursty`").unwrap();
        assert_eq!(word, "stedy");
        assert_eq!(expected, ["auto", "steady", "bursty"]);
        let (word, expected) = unknown_name("unknown field `x`, expected `name`").unwrap();
        assert_eq!(
            (word.as_str(), expected.as_slice()),
            ("x", ["name".to_owned()].as_slice())
        );
    }

    #[test]
    fn every_problem_in_a_file_is_reported() {
        let text = MINIMAL
            .replace(
                "average_ops_per_sec = 500",
                "average_ops_per_sec = 5000\nread_percent = 120",
            )
            .replace("size_gb = 10", "size_gb = -1");
        let keys: Vec<String> = parse(&text).unwrap_err().into_iter().map(|d| d.key).collect();
        assert_eq!(
            keys,
            ["data.size_gb", "traffic.average_ops_per_sec", "traffic.read_percent"]
        );
    }
}
