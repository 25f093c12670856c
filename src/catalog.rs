//! The catalog: node types, sizing assumptions, engine versions and prices (SPEC §5).
//!
//! Input: the data files embedded from `src/data/` (every figure with its source and date) and,
//! optionally, a user's `--prices FILE` whose figures replace the embedded ones key by key.
//! Output: a [`Catalog`]. Must not: compute sizes or costs (that is `size` and `cost`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::diag::{self, Diagnostic};
use crate::names::{Engine, PathId};
use crate::workload::EngineVersion;

/// `src/data/catalog.toml`, embedded (`rediform catalog --format toml` prints it).
pub const CATALOG_TOML: &str = include_str!("data/catalog.toml");
const PRICES_TOML: &str = include_str!("data/prices.toml");

/// Everything sizing and costing need to know about AWS.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    meta: Meta,
    /// Sizing assumptions.
    pub sizing: Sizing,
    /// What a node serves (catalog.toml `[capacity]`).
    pub capacity: Capacity,
    /// Where search and vector search run (catalog.toml `[search]`).
    pub search: SearchSupport,
    nodes: BTreeMap<String, NodeSpec>,
    versions: Vec<VersionLine>,
    /// Prices (from prices.toml, possibly overridden).
    #[serde(skip_deserializing)]
    pub prices: Prices,
    /// With a prices file for another region: the tables whose figures are still the built-in
    /// region's (so the estimates mix two regions, and rediform says so).
    #[serde(skip)]
    pub stale_prices: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct Meta {
    as_of: String,
}

/// Sizing assumptions (SPEC §5), each documented with its source in catalog.toml.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Sizing {
    pub reserved_memory_percent: u32,
    pub max_fill_percent: u32,
    pub default_node_quota: u32,
    pub max_shards: u32,
    pub max_replicas_per_shard: u32,
    pub max_nodes_per_cluster: u32,
    pub memcached_max_nodes: u32,
    pub memcached_connections_overhead_mb: u32,
    pub largest_single_shard_node: String,
    pub smallest_cluster_node: String,
    pub self_hosted_maxmemory_percent: u32,
    pub self_hosted_nodes: u32,
    pub self_hosted_sentinel_quorum: u32,
    pub self_hosted_root_volume_gb: u32,
    pub self_hosted_data_volume_factor: f64,
    pub gp3_baseline_iops: u32,
    pub gp3_max_iops: u32,
    pub gp3_iops_per_gib: u32,
    pub gp3_baseline_mibps: u32,
    pub gp3_max_mibps: u32,
    pub gp3_mibps_per_iops: f64,
    pub self_hosted_rdb_seconds: u32,
    pub self_hosted_ami_parameter: String,
    pub self_hosted_sentinel_down_after_ms: u32,
    pub self_hosted_sentinel_failover_timeout_ms: u32,
    pub self_hosted_cert_validity_days: u32,
    pub self_hosted_cert_renew_days: u32,
    pub self_hosted_cert_alarm_days: u32,
    pub serverless_max_storage_gb: u64,
    pub serverless_min_ecpu_per_second: u64,
    pub serverless_max_ecpu_per_second: u64,
    pub serverless_storage_headroom: f64,
    pub serverless_ecpu_headroom: f64,
}

/// How much one node serves, each figure with its source in catalog.toml (SPEC §9 "sizing").
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Capacity {
    pub engine_thread_ops_per_sec: f64,
    pub valkey_io_threads_max_speedup: f64,
    pub enhanced_io_min_vcpu: u32,
    pub enhanced_io_speedup: f64,
    pub memcached_threads_per_vcpu: f64,
    pub network_use_percent: u32,
    pub memorydb_write_mb_per_sec_per_primary: f64,
}

/// Memory and vCPU of one node or instance type.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSpec {
    /// Memory, GiB.
    pub memory_gib: f64,
    /// vCPUs.
    pub vcpu: u32,
    /// Baseline network bandwidth, Gbps, where a source gives it.
    #[serde(default)]
    pub baseline_gbps: Option<f64>,
    /// Where the bandwidth comes from when it is not in `source` (derived figures say so).
    #[serde(default)]
    pub baseline_source: Option<String>,
    /// Where the figures come from.
    pub source: String,
    /// True when a figure is derived rather than read off a source.
    #[serde(default)]
    pub estimate: bool,
}

/// Where AWS runs search and vector search (catalog.toml `[search]`, with sources).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SearchSupport {
    pub elasticache_vector_min_valkey: String,
    pub elasticache_search_min_valkey: String,
    pub memorydb_vector_engine: Engine,
    pub memorydb_vector_version: String,
    pub memorydb_vector_parameter: String,
}

/// The versions of one engine a path offers, and their parameter group family.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct VersionLine {
    path: PathId,
    engine: Engine,
    versions: Vec<String>,
    family: String,
    #[serde(default)]
    default: Option<String>,
    /// The full release to pin where the API wants major.minor.patch (Memcached node-based).
    #[serde(default)]
    release: Option<String>,
    #[allow(dead_code)]
    source: String,
}

/// Prices, us-east-1, USD (prices.toml).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Prices {
    /// Region, currency, hours per month, date.
    pub meta: PriceMeta,
    /// ElastiCache node-based, per node type.
    pub elasticache_nodes: BTreeMap<String, NodePrices>,
    /// MemoryDB, per node type.
    pub memorydb_nodes: BTreeMap<String, NodePrices>,
    /// MemoryDB data written.
    pub memorydb_data_written: DataWrittenPrices,
    /// EC2 instances for the self-hosted path.
    pub ec2_instances: BTreeMap<String, Ec2Prices>,
    /// EBS volumes.
    pub ebs: EbsPrices,
    /// S3 storage (RDB backups of the self-hosted path).
    pub s3: S3Prices,
    /// ElastiCache node-based backups beyond the free one.
    pub elasticache_backups: BackupPrices,
    /// Data transfer between Availability Zones (self-hosted replication).
    pub data_transfer: TransferPrices,
    /// ElastiCache Serverless, per engine.
    pub serverless: BTreeMap<Engine, ServerlessPrices>,
}

/// Region and unit facts of the price file.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PriceMeta {
    /// The region the prices are for.
    pub region: String,
    /// Always USD.
    pub currency: String,
    /// Hours in a billing month (730).
    pub hours_per_month: f64,
    /// When the prices were compiled.
    pub as_of: String,
}

/// On-demand and 1-year reserved $/node-hour per engine.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct NodePrices {
    pub redis: Option<f64>,
    pub valkey: Option<f64>,
    pub memcached: Option<f64>,
    pub reserved_1y_redis: Option<f64>,
    pub reserved_1y_valkey: Option<f64>,
    pub reserved_1y_memcached: Option<f64>,
    #[serde(default)]
    pub estimate: bool,
    pub source: String,
}

impl NodePrices {
    /// On-demand $/hour for `engine`.
    pub fn on_demand(&self, engine: Engine) -> Option<f64> {
        match engine {
            Engine::Valkey => self.valkey,
            Engine::Redis => self.redis,
            Engine::Memcached => self.memcached,
        }
    }

    /// Effective 1-year reserved $/hour for `engine`.
    pub fn reserved_1y(&self, engine: Engine) -> Option<f64> {
        match engine {
            Engine::Valkey => self.reserved_1y_valkey,
            Engine::Redis => self.reserved_1y_redis,
            Engine::Memcached => self.reserved_1y_memcached,
        }
    }
}

/// MemoryDB charges per GB written.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct DataWrittenPrices {
    pub redis_usd_per_gb: f64,
    pub valkey_usd_per_gb: f64,
    pub valkey_free_gb_per_month: f64,
    #[serde(default)]
    pub estimate: bool,
    pub source: String,
}

/// EC2 on-demand and 1-year reserved $/hour.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Ec2Prices {
    pub on_demand: f64,
    pub reserved_1y: Option<f64>,
    #[serde(default)]
    pub estimate: bool,
    pub source: String,
}

/// EBS $/GB-month, and gp3 performance above the baseline.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct EbsPrices {
    pub gp3_usd_per_gb_month: f64,
    /// Per provisioned IOPS-month above the gp3 baseline.
    pub gp3_iops_usd_per_month: f64,
    /// Per provisioned MiB/s-month above the gp3 baseline.
    pub gp3_throughput_usd_per_mibps_month: f64,
    #[serde(default)]
    pub estimate: bool,
    pub source: String,
}

/// ElastiCache backup storage.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct BackupPrices {
    pub free_backups_per_cluster: f64,
    pub usd_per_gb_month: f64,
    #[serde(default)]
    pub estimate: bool,
    pub source: String,
}

/// Data transfer between Availability Zones.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct TransferPrices {
    pub cross_az_usd_per_gb_each_direction: f64,
    #[serde(default)]
    pub estimate: bool,
    pub source: String,
}

/// S3 Standard $/GB-month.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct S3Prices {
    pub standard_usd_per_gb_month: f64,
    #[serde(default)]
    pub estimate: bool,
    pub source: String,
}

/// Serverless $/GB-hour of data and $/million ECPUs.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct ServerlessPrices {
    pub storage_usd_per_gb_hour: f64,
    pub usd_per_million_ecpu: f64,
    pub min_storage_gb: f64,
    #[serde(default)]
    pub estimate: bool,
    pub source: String,
}

/// What went wrong reading a `--prices` file.
#[derive(Debug, thiserror::Error)]
#[error("{} problem(s) in the prices file", .0.len())]
pub struct PricesError(pub Vec<Diagnostic>);

impl Catalog {
    /// The catalog built into the binary.
    pub fn embedded() -> Catalog {
        // The embedded files are tested (`embedded_catalog_loads`); failing here is a build defect.
        let mut catalog: Catalog = toml::from_str(CATALOG_TOML).expect("src/data/catalog.toml is valid");
        catalog.prices = toml::from_str(PRICES_TOML).expect("src/data/prices.toml is valid");
        catalog
    }

    /// The embedded catalog with the figures of a user's prices file put in place of the embedded ones.
    /// Every key of the file must exist in the embedded prices, with a value of the same type.
    pub fn with_prices(text: &str) -> Result<Catalog, PricesError> {
        let mut catalog = Catalog::embedded();
        let overrides: toml::Table =
            toml::from_str(text).map_err(|e| PricesError(vec![crate::workload::from_toml_error(text, &e)]))?;
        let mut merged: toml::Table = toml::from_str(PRICES_TOML).expect("src/data/prices.toml is valid");
        let stale = stale_tables(&merged, &overrides);
        let mut problems = Vec::new();
        // Its words (sources, dates, the region) are printed: text, never terminal controls.
        hidden_characters(&overrides, "", &mut problems);
        merge(&mut merged, overrides, "", &mut problems);
        if !problems.is_empty() {
            return Err(PricesError(problems));
        }
        catalog.prices = toml::Value::Table(merged)
            .try_into()
            .map_err(|e: toml::de::Error| PricesError(vec![Diagnostic::new("", e.message().to_owned())]))?;
        if catalog.prices.meta.region != Catalog::embedded().prices.meta.region {
            catalog.stale_prices = stale;
        }
        let meta = &catalog.prices.meta;
        if !crate::workload::is_region(&meta.region) {
            problems.push(Diagnostic::new(
                "meta.region",
                format!(
                    "`{}` is not an AWS region name (such as \"eu-west-1\")",
                    crate::encode::terminal(&meta.region)
                ),
            ));
        }
        if !is_date(&meta.as_of) {
            problems.push(Diagnostic::new(
                "meta.as_of",
                format!("`{}` is not a date (YYYY-MM-DD)", crate::encode::terminal(&meta.as_of)),
            ));
        }
        if !problems.is_empty() {
            return Err(PricesError(problems));
        }
        // Every figure is printed in dollars; a file in another currency would be mislabelled.
        if catalog.prices.meta.currency != "USD" {
            return Err(PricesError(vec![Diagnostic::new(
                "meta.currency",
                format!(
                    "currency `{}` is not supported: rediform's estimates are in USD",
                    crate::encode::terminal(&catalog.prices.meta.currency)
                ),
            )]));
        }
        Ok(catalog)
    }

    /// `--version`'s words for the embedded data: the catalog's date, the prices' region and
    /// date. Read off the `[meta]` tables' lines, without parsing the files (every run prints it
    /// into `--help`'s model, so it must cost nothing).
    pub fn embedded_dates() -> String {
        let value = |text: &'static str, key: &str| {
            text.lines()
                .find_map(|l| {
                    l.strip_prefix(key)?
                        .trim()
                        .strip_prefix('=')?
                        .trim()
                        .strip_prefix('"')?
                        .strip_suffix('"')
                })
                .unwrap_or("?")
        };
        format!(
            "catalog {}, {} prices {}",
            value(CATALOG_TOML, "as_of"),
            value(PRICES_TOML, "region"),
            value(PRICES_TOML, "as_of")
        )
    }

    /// The date the catalog's figures were compiled.
    pub fn as_of(&self) -> &str {
        &self.meta.as_of
    }

    /// The spec of a node or instance type.
    pub fn node(&self, node_type: &str) -> Option<&NodeSpec> {
        self.nodes.get(node_type)
    }

    /// Node types whose name starts with `prefix` (e.g. `cache.r7g.`), smallest memory first.
    pub fn family(&self, prefix: &str) -> Vec<(&str, &NodeSpec)> {
        let mut nodes: Vec<(&str, &NodeSpec)> = self
            .nodes
            .iter()
            .filter(|(name, _)| name.starts_with(prefix))
            .map(|(name, spec)| (name.as_str(), spec))
            .collect();
        nodes.sort_by(|a, b| a.1.memory_gib.total_cmp(&b.1.memory_gib));
        nodes
    }

    /// Node types a path accepts in `override.node_type`.
    pub fn node_names_with_prefix(&self, prefix: &str) -> Vec<&str> {
        self.family(prefix).into_iter().map(|(n, _)| n).collect()
    }

    /// The parameter group family for a version on a path ("" for paths without one), if offered.
    pub fn family_of(&self, path: PathId, engine: Engine, version: EngineVersion) -> Option<&str> {
        let text = version.to_string();
        self.versions
            .iter()
            .find(|l| l.path == path && l.engine == engine && l.versions.contains(&text))
            .map(|l| l.family.as_str())
    }

    /// The release (major.minor.patch) the catalog pins for a version, where it pins one.
    pub fn release_of(&self, path: PathId, engine: Engine, version: EngineVersion) -> Option<&str> {
        let text = version.to_string();
        self.versions
            .iter()
            .find(|l| l.path == path && l.engine == engine && l.versions.contains(&text))
            .and_then(|l| l.release.as_deref())
    }

    /// The default version of an engine on a path.
    pub fn default_version(&self, path: PathId, engine: Engine) -> Option<EngineVersion> {
        self.versions
            .iter()
            .filter(|l| l.path == path && l.engine == engine)
            .find_map(|l| l.default.as_deref())
            .and_then(EngineVersion::parse)
    }

    /// Every version of an engine a path offers, oldest first.
    pub fn versions(&self, path: PathId, engine: Engine) -> Vec<&str> {
        self.versions
            .iter()
            .filter(|l| l.path == path && l.engine == engine)
            .flat_map(|l| l.versions.iter().map(String::as_str))
            .collect()
    }
}

/// Figures a price table may lack in the embedded file because no source gave them (prices.toml
/// says so); a `--prices` file may still supply them. The typed read that follows the merge
/// (`deny_unknown_fields`) rejects one put in a table of the wrong kind.
const OPTIONAL_FIGURES: &[&str] = &[
    "redis",
    "valkey",
    "memcached",
    "reserved_1y_redis",
    "reserved_1y_valkey",
    "reserved_1y_memcached",
    "reserved_1y",
];

/// Figures that are not prices but allowances and floors, the same in every region.
const REGIONLESS_KEYS: &[&str] = &["min_storage_gb", "free_backups_per_cluster", "valkey_free_gb_per_month"];

/// The tables of `base` (the built-in prices) with a price that `over` does not replace, named as
/// a user would look them up: `s3`, `memorydb_nodes (9 of 9)`.
fn stale_tables(base: &toml::Table, over: &toml::Table) -> Vec<String> {
    let prices = |t: &toml::Table| -> Vec<String> {
        t.iter()
            .filter(|(_, v)| v.is_float() || v.is_integer())
            .filter(|(k, _)| !REGIONLESS_KEYS.contains(&k.as_str()))
            .map(|(k, _)| k.clone())
            .collect()
    };
    let covered =
        |t: &toml::Table, o: Option<&toml::Table>| prices(t).iter().all(|k| o.is_some_and(|o| o.contains_key(k)));
    let mut stale = Vec::new();
    for (name, value) in base {
        let Some(table) = value.as_table() else { continue };
        if name == "meta" {
            continue;
        }
        let over = over.get(name).and_then(toml::Value::as_table);
        if !prices(table).is_empty() {
            if !covered(table, over) {
                stale.push(name.clone());
            }
            continue;
        }
        // A table of tables: a node type, an engine.
        let inner: Vec<(&String, &toml::Table)> = table.iter().filter_map(|(k, v)| Some((k, v.as_table()?))).collect();
        let missing = inner
            .iter()
            .filter(|(k, t)| !covered(t, over.and_then(|o| o.get(*k)).and_then(toml::Value::as_table)))
            .count();
        if missing > 0 {
            stale.push(format!("{name} ({missing} of {})", inner.len()));
        }
    }
    stale
}

/// Puts `over` into `base`, key by key, reporting keys `base` does not have and type changes.
/// A price or figure must be a number from 0 to 10^9 (TOML allows `nan`, `inf`, negative and
/// huge numbers, which would turn every estimate and guard into nonsense), and
/// `meta.hours_per_month` 1 to 744 (31 days).
/// `YYYY-MM-DD`, as the price tables date themselves.
pub fn is_date(text: &str) -> bool {
    let b = text.as_bytes();
    let shaped = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    if !shaped {
        return false;
    }
    let number = |r: std::ops::Range<usize>| text[r].parse::<u32>().unwrap_or(0);
    let (year, month, day) = (number(0..4), number(5..7), number(8..10));
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1900..=2999).contains(&year) && (1..=days).contains(&day)
}

/// Every string of a prices file with a control or hidden character in it, as a problem.
fn hidden_characters(table: &toml::Table, prefix: &str, problems: &mut Vec<Diagnostic>) {
    for (key, value) in table {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            toml::Value::String(text) if text.chars().any(crate::encode::is_hidden) => problems.push(Diagnostic::new(
                &path,
                "holds a control or hidden character; write plain text".to_owned(),
            )),
            toml::Value::Table(inner) => hidden_characters(inner, &path, problems),
            _ => {}
        }
    }
}

/// The largest figure a prices file accepts.
pub const MAX_PRICE: f64 = 1e9;

fn check_number(path: &str, value: &toml::Value, problems: &mut Vec<Diagnostic>) {
    let number = match value {
        toml::Value::Float(f) => *f,
        toml::Value::Integer(i) => *i as f64,
        _ => return,
    };
    let (ok, expected) = if path == "meta.hours_per_month" {
        ((1.0..=744.0).contains(&number), "1 to 744 (the hours of a month)")
    } else {
        // The largest list figure is a few hundred dollars an hour or ten thousand free GB; a
        // billion is a typo, and far larger ones overflow the estimates.
        ((0.0..=MAX_PRICE).contains(&number), "a number from 0 to 1,000,000,000")
    };
    if !ok {
        problems.push(Diagnostic::new(
            path,
            format!("`{path}` must be {expected}, not {number}"),
        ));
    }
}

/// For a price table (`source` in it) that `over` covers in part: the source and estimate mark
/// the merged table must carry, naming the figures still built in.
fn kept_provenance(base: &toml::Table, over: &toml::Table) -> Option<(String, bool)> {
    let base_source = base.get("source")?.as_str()?;
    let figures: Vec<&String> = base
        .iter()
        .filter(|(k, v)| (v.is_float() || v.is_integer()) && !REGIONLESS_KEYS.contains(&k.as_str()))
        .map(|(k, _)| k)
        .collect();
    let kept: Vec<&str> = figures
        .iter()
        .filter(|k| !over.contains_key(k.as_str()))
        .map(|k| k.as_str())
        .collect();
    if kept.is_empty() || kept.len() == figures.len() {
        return None;
    }
    let over_source = over
        .get("source")
        .and_then(toml::Value::as_str)
        .unwrap_or("the prices file");
    let estimate = base.get("estimate").and_then(toml::Value::as_bool).unwrap_or(false)
        || over.get("estimate").and_then(toml::Value::as_bool).unwrap_or(false);
    Some((
        format!(
            "{over_source}; built in (not in the prices file): {} from {base_source}",
            kept.join(", ")
        ),
        estimate,
    ))
}

fn merge(base: &mut toml::Table, over: toml::Table, prefix: &str, problems: &mut Vec<Diagnostic>) {
    for (key, value) in over {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        check_number(&path, &value, problems);
        let is_price_table = base.contains_key("source");
        if !base.contains_key(&key) && is_price_table && OPTIONAL_FIGURES.contains(&key.as_str()) {
            match value {
                toml::Value::Float(_) => {
                    base.insert(key, value);
                }
                toml::Value::Integer(i) => {
                    base.insert(key, toml::Value::Float(i as f64));
                }
                other => problems.push(Diagnostic::new(
                    path,
                    format!("expected a float, found a {}", other.type_str()),
                )),
            }
            continue;
        }
        let Some(slot) = base.get_mut(&key) else {
            let known: Vec<&str> = base.keys().map(String::as_str).collect();
            let mut d = Diagnostic::new(path, format!("`{key}` is not a key of the prices file"));
            d = match diag::did_you_mean(&key, &known) {
                Some(best) => d.help(format!("did you mean `{best}`?")),
                None => d.help(format!("expected one of: {}", known.join(", "))),
            };
            problems.push(d);
            continue;
        };
        match (slot, value) {
            (toml::Value::Table(b), toml::Value::Table(o)) => {
                let provenance = kept_provenance(b, &o);
                merge(b, o, &path, problems);
                // A price table the file covers in part keeps the built-in figures' source and
                // estimate mark beside the file's (a partial import must not relabel them).
                if let Some((source, estimate)) = provenance {
                    b.insert("source".to_owned(), source.into());
                    b.insert("estimate".to_owned(), estimate.into());
                }
            }
            (slot @ toml::Value::Float(_), toml::Value::Integer(i)) => *slot = toml::Value::Float(i as f64),
            // Every figure is read as a float, so 730.0 stands for 730 (`rediform prices --format
            // toml` writes floats).
            (slot @ toml::Value::Integer(_), value @ toml::Value::Float(_)) => *slot = value,
            (slot, value) if slot.type_str() == value.type_str() => *slot = value,
            (slot, value) => problems.push(Diagnostic::new(
                path,
                format!("expected a {}, found a {}", slot.type_str(), value.type_str()),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_in_another_currency_are_refused_and_the_hours_are_used() {
        let err = Catalog::with_prices("[meta]\ncurrency = \"EUR\"\n").unwrap_err();
        assert_eq!(err.0[0].key, "meta.currency");
        let c = Catalog::with_prices("[meta]\nhours_per_month = 744\n").unwrap();
        assert_eq!(c.prices.meta.hours_per_month, 744.0);
    }

    #[test]
    fn embedded_catalog_loads() {
        let c = Catalog::embedded();
        assert_eq!(c.prices.meta.region, "us-east-1");
        assert_eq!(c.prices.meta.hours_per_month, 730.0);
        assert_eq!(c.node("cache.r7g.large").unwrap().memory_gib, 13.07);
        let r7g = c.node_names_with_prefix("cache.r7g.");
        assert_eq!(r7g.first(), Some(&"cache.r7g.large"));
        assert_eq!(r7g.last(), Some(&"cache.r7g.16xlarge"));
    }

    #[test]
    fn embedded_dates_are_the_meta_tables() {
        let c = Catalog::embedded();
        assert_eq!(
            Catalog::embedded_dates(),
            format!(
                "catalog {}, {} prices {}",
                c.as_of(),
                c.prices.meta.region,
                c.prices.meta.as_of
            )
        );
    }

    #[test]
    fn every_node_type_has_a_price_and_every_price_a_node() {
        let c = Catalog::embedded();
        let p = &c.prices;
        for name in c.nodes.keys() {
            let priced = p.elasticache_nodes.contains_key(name)
                || p.memorydb_nodes.contains_key(name)
                || p.ec2_instances.contains_key(name);
            assert!(priced, "{name} has no price");
        }
        for name in p
            .elasticache_nodes
            .keys()
            .chain(p.memorydb_nodes.keys())
            .chain(p.ec2_instances.keys())
        {
            assert!(c.node(name).is_some(), "{name} is priced but not in the catalog");
        }
        for engine in [Engine::Valkey, Engine::Redis, Engine::Memcached] {
            assert!(p.serverless.contains_key(&engine), "no serverless price for {engine}");
        }
    }

    #[test]
    fn versions_and_families() {
        let c = Catalog::embedded();
        let v = |s| EngineVersion::parse(s).unwrap();
        assert_eq!(
            c.family_of(PathId::Elasticache, Engine::Valkey, v("8.1")),
            Some("valkey8")
        );
        assert_eq!(
            c.family_of(PathId::Elasticache, Engine::Valkey, v("7.2")),
            Some("valkey7")
        );
        assert_eq!(
            c.family_of(PathId::Elasticache, Engine::Redis, v("7.1")),
            Some("redis7")
        );
        assert_eq!(c.family_of(PathId::Elasticache, Engine::Redis, v("7.2")), None);
        assert_eq!(
            c.family_of(PathId::Memorydb, Engine::Valkey, v("7.2")),
            Some("memorydb_valkey7")
        );
        assert_eq!(c.default_version(PathId::Elasticache, Engine::Valkey), Some(v("8.0")));
        assert_eq!(c.default_version(PathId::Elasticache, Engine::Redis), Some(v("7.1")));
        assert_eq!(c.default_version(PathId::Memorydb, Engine::Valkey), Some(v("7.2")));
        assert_eq!(c.default_version(PathId::Serverless, Engine::Memcached), Some(v("1.6")));
    }

    #[test]
    fn a_prices_file_replaces_single_figures() {
        let c = Catalog::with_prices("[elasticache_nodes.\"cache.r7g.large\"]\nvalkey = 1\n").unwrap();
        assert_eq!(c.prices.elasticache_nodes["cache.r7g.large"].valkey, Some(1.0));
        let embedded = Catalog::embedded();
        assert_eq!(
            c.prices.elasticache_nodes["cache.r7g.large"].redis,
            embedded.prices.elasticache_nodes["cache.r7g.large"].redis
        );
    }

    #[test]
    fn a_prices_file_may_supply_a_figure_the_embedded_file_leaves_out() {
        let c = Catalog::with_prices("[ec2_instances.\"r7g.large\"]\nreserved_1y = 0.07\n").unwrap();
        assert_eq!(c.prices.ec2_instances["r7g.large"].reserved_1y, Some(0.07));
        // An optional figure in a table of the wrong kind is still refused.
        assert!(Catalog::with_prices("[ec2_instances.\"r7g.large\"]\nreserved_1y_valkey = 0.07\n").is_err());
        assert!(Catalog::with_prices("[ebs]\nreserved_1y = 0.07\n").is_err());
    }

    #[test]
    fn a_prices_file_with_unknown_keys_or_types_is_refused() {
        let err = Catalog::with_prices("[serverles.valkey]\nstorage_usd_per_gb_hour = 1.0\n").unwrap_err();
        assert_eq!(err.0[0].key, "serverles");
        assert_eq!(err.0[0].help.as_deref(), Some("did you mean `serverless`?"));
        let err = Catalog::with_prices("[ebs]\ngp3_usd_per_gb_month = \"cheap\"\n").unwrap_err();
        assert_eq!(err.0[0].key, "ebs.gp3_usd_per_gb_month");
        assert!(
            err.0[0].message.contains("expected a float, found a string"),
            "{}",
            err.0[0].message
        );
    }
}
