//! What `rediform decide` prints: the text a platform engineer reads in a terminal, and the stable
//! JSON form (SPEC §2). Input: a [`Plan`]. Output: a string. Pure: prints nothing itself.

use std::fmt::Write as _;

use serde::Serialize;

use crate::catalog::Catalog;
use crate::cost::{Costs, PathCost};
use crate::decide::Step;
use crate::names::{Named, PathId};
use crate::plan::{Plan, Topology};
use crate::units::{plain, thousands, usd};

/// The JSON object `decide --format json` prints for one workload (keys may be added, never renamed).
#[derive(Debug, Serialize)]
pub struct DecideJson<'a> {
    name: &'a str,
    path: PathId,
    engine: crate::names::Engine,
    engine_version: String,
    pattern: crate::names::Pattern,
    environment: crate::names::Environment,
    region: &'a str,
    eviction: &'static str,
    parameter_group_family: Option<&'a str>,
    port: u16,
    trail: &'a [Step],
    topology: &'a Topology,
    costs: &'a Costs,
    prices: PricesJson<'a>,
}

#[derive(Debug, Serialize)]
struct PricesJson<'a> {
    region: &'a str,
    as_of: &'a str,
    currency: &'static str,
    note: &'static str,
    /// Present when the prices are not the workload region's.
    #[serde(skip_serializing_if = "Option::is_none")]
    warning: Option<&'a str>,
}

/// What the estimates leave out (text, JSON and the module README).
pub const ESTIMATE_NOTE: &str =
    "figures from list prices; taxes, data transfer to clients, serverless and MemoryDB snapshot storage, and support are not included";

impl<'a> DecideJson<'a> {
    /// The JSON view of a plan.
    pub fn new(plan: &'a Plan) -> Self {
        DecideJson {
            name: &plan.name,
            path: plan.path,
            engine: plan.engine,
            engine_version: plan.engine_version.to_string(),
            pattern: plan.pattern,
            environment: plan.environment,
            region: &plan.region,
            eviction: plan.eviction.policy_name(),
            parameter_group_family: Some(plan.parameter_group_family.as_str()).filter(|f| !f.is_empty()),
            port: plan.port,
            trail: &plan.trail,
            topology: &plan.topology,
            costs: &plan.costs,
            prices: PricesJson {
                region: &plan.prices_region,
                as_of: &plan.prices_as_of,
                currency: "USD",
                note: ESTIMATE_NOTE,
                warning: plan.prices_warning.as_deref(),
            },
        }
    }
}

/// `decide --format json` for one or several plans (an array when several files were given).
pub fn json(plans: &[Plan]) -> String {
    let views: Vec<DecideJson<'_>> = plans.iter().map(DecideJson::new).collect();
    let mut text = serde_json::to_string_pretty(&views).expect("plain data serializes");
    text.push('\n');
    text
}

/// `decide` in text form.
pub fn text(plan: &Plan, file: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} ({})", plan.name, crate::encode::one_line(file));
    let _ = writeln!(out, "  path     {} ({})", plan.path, plan.path.display_name());
    let _ = writeln!(
        out,
        "  engine   {} {}, eviction {}",
        plan.engine.display_name(),
        plan.engine_version,
        plan.eviction.policy_name()
    );
    let _ = writeln!(out, "  traffic  {}", plan.pattern);
    let _ = writeln!(out);
    let _ = writeln!(out, "Why");
    for (i, s) in plan.trail.iter().enumerate() {
        let _ = writeln!(out, "  {:>2}. [{}] {}", i + 1, s.rule, s.question);
        let _ = writeln!(out, "      {} -> {}", s.answer, s.outcome);
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "Topology");
    for line in topology_lines(plan) {
        let _ = writeln!(out, "  {line}");
    }
    let _ = writeln!(out);
    out.push_str(&cost_table(plan));
    out
}

/// The topology in a few lines of prose.
pub fn topology_lines(plan: &Plan) -> Vec<String> {
    match &plan.topology {
        Topology::ReplicationGroup(r) | Topology::MemorydbCluster(r) => {
            let what = if matches!(plan.topology, Topology::MemorydbCluster(_)) {
                "MemoryDB cluster"
            } else {
                "replication group"
            };
            let mut lines = vec![format!(
                "{what}: {} shard(s) x (1 primary + {} replica(s)) = {} x {} ({} GiB, {} vCPU each)",
                r.shards,
                r.replicas_per_shard,
                r.nodes,
                r.node_type,
                plain(r.memory_gib),
                r.vcpu
            )];
            // MemoryDB has no cluster-mode switch: every cluster endpoint speaks the cluster
            // protocol, one shard or many (MemoryDB Developer Guide, "Accessing MemoryDB",
            // nodes-connecting.html), so clients must be cluster-aware.
            let mode = if matches!(plan.topology, Topology::MemorydbCluster(_)) {
                "always cluster mode (clients must be cluster-aware)"
            } else if r.cluster_mode {
                "cluster mode enabled"
            } else {
                "cluster mode disabled"
            };
            lines.push(format!(
                "up to {} GiB of data per shard under the memory rule; {mode}; {}",
                plain(r.data_gib_per_shard),
                if r.multi_az {
                    "Multi-AZ with automatic failover"
                } else {
                    "single AZ, no failover"
                }
            ));
            if r.needs_quota_increase {
                lines.push(format!(
                    "{} nodes: above the default quota of 90 nodes per cluster; request an increase first",
                    r.nodes
                ));
            }
            lines
        }
        Topology::MemcachedCluster(m) => vec![format!(
            "Memcached cluster: {} x {} ({} GiB, {} vCPU each), {}",
            m.nodes,
            m.node_type,
            plain(m.memory_gib),
            m.vcpu,
            m.az_mode
        )],
        Topology::Serverless(l) => vec![format!(
            "serverless cache: data storage up to {} GB, up to {} ECPU/s (peak needs {})",
            thousands(l.data_storage_gb),
            thousands(l.ecpu_per_second),
            thousands(l.peak_ecpu_per_second.ceil() as u64)
        )],
        Topology::Ec2Sentinel(h) => vec![
            format!(
                "{} x EC2 {} ({} GiB, {} vCPU) in 3 AZs: 1 primary + {} replicas, Sentinel quorum {}",
                h.nodes,
                h.instance_type,
                plain(h.memory_gib),
                h.vcpu,
                h.nodes - 1,
                h.sentinel_quorum
            ),
            format!(
                "maxmemory {} MiB; gp3 volumes {} GiB root + {} GiB data ({} IOPS, {} MiB/s) per instance",
                thousands(h.maxmemory_mb),
                h.root_volume_gb,
                h.data_volume_gb,
                thousands(u64::from(h.data_volume_iops)),
                h.data_volume_mibps
            ),
        ],
    }
}

/// The monthly cost table for all four paths (text).
pub fn cost_table(plan: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Monthly cost estimate ({})", plan.prices_basis);
    if let Some(warning) = &plan.prices_warning {
        let _ = writeln!(out, "  warning: {warning}");
    }
    let rows: Vec<(PathId, &PathCost)> = PathId::ALL.iter().map(|p| (*p, plan.costs.get(*p))).collect();
    let width = rows.iter().map(|(_, c)| c.summary.len()).max().unwrap_or(0).max(8);
    let _ = writeln!(
        out,
        "  {:<13} {:<width$}  {:>12}  {:>13}",
        "path", "topology", "on-demand", "1-yr reserved"
    );
    for (path, c) in rows {
        let mark = if path == plan.path { "*" } else { " " };
        let money = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), usd);
        let _ = writeln!(
            out,
            "  {:<13} {:<width$}  {:>12}  {:>13}",
            format!("{path}{mark}"),
            c.summary,
            money(c.on_demand_usd_per_month),
            money(c.reserved_1y_usd_per_month)
        );
    }
    let _ = writeln!(
        out,
        "  * chosen path. Self-hosted includes team.ops_cost_usd_per_month."
    );
    let estimated = plan.costs.elasticache.uses_estimated_prices
        || plan.costs.serverless.uses_estimated_prices
        || plan.costs.memorydb.uses_estimated_prices
        || plan.costs.self_hosted.uses_estimated_prices;
    if estimated {
        let _ = writeln!(
            out,
            "  Some prices behind these figures are derived, not read off a price list (`rediform prices` shows each source)."
        );
    }
    let _ = writeln!(out, "  Estimates only: {ESTIMATE_NOTE}.");
    out
}

/// `rediform prices --format toml`: the prices in force as a file `--prices` accepts.
pub fn prices_toml(catalog: &Catalog) -> String {
    toml::to_string(&catalog.prices).expect("prices serialize")
}

/// `rediform prices --format json`: `{"origin", "prices"}`.
pub fn prices_json(catalog: &Catalog, origin: &str) -> String {
    let mut text = serde_json::to_string_pretty(&serde_json::json!({ "origin": origin, "prices": &catalog.prices }))
        .expect("prices serialize");
    text.push('\n');
    text
}

/// One line per figure and its source: what `rediform prices` and `rediform catalog` print.
fn listing(out: &mut String, value: &serde_json::Value, path: &str) {
    let serde_json::Value::Object(map) = value else {
        let _ = writeln!(out, "  {path} = {value}");
        return;
    };
    let figures: Vec<String> = map
        .iter()
        .filter(|(k, v)| !v.is_object() && !v.is_array() && *k != "source" && !v.is_null())
        .map(|(k, v)| format!("{k} = {}", v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
        .collect();
    if !figures.is_empty() {
        let _ = writeln!(out, "  {path}: {}", figures.join(", "));
        if let Some(source) = map.get("source").and_then(serde_json::Value::as_str) {
            let _ = writeln!(out, "      source: {source}");
        }
    }
    for (k, v) in map.iter().filter(|(_, v)| v.is_object()) {
        let child = if path.is_empty() {
            k.clone()
        } else {
            format!("{path}.{k}")
        };
        listing(out, v, &child);
    }
}

/// `rediform prices` as text: where the prices come from, then every figure with its source.
pub fn prices_text(catalog: &Catalog, origin: &str) -> String {
    let m = &catalog.prices.meta;
    let mut out = format!(
        "prices in force: {origin}; {} {}, as of {}, {} hours a month\n",
        m.region, m.currency, m.as_of, m.hours_per_month
    );
    let value = serde_json::to_value(&catalog.prices).expect("prices serialize");
    if let serde_json::Value::Object(map) = &value {
        for (section, v) in map.iter().filter(|(k, _)| *k != "meta") {
            listing(&mut out, v, section);
        }
    }
    out
}

/// `rediform catalog --format json`.
pub fn catalog_json(catalog: &Catalog) -> String {
    let mut text = serde_json::to_string_pretty(catalog).expect("the catalog serializes");
    text.push('\n');
    text
}

/// `rediform catalog` as text: every node type, sizing figure and engine version, with sources.
pub fn catalog_text(catalog: &Catalog) -> String {
    let mut out = format!("built-in catalog, as of {}\n", catalog.as_of());
    let value = serde_json::to_value(catalog).expect("the catalog serializes");
    if let serde_json::Value::Object(map) = &value {
        for (section, v) in map.iter().filter(|(k, _)| *k != "meta" && *k != "prices") {
            match v {
                serde_json::Value::Array(lines) => {
                    for line in lines {
                        listing(&mut out, line, section);
                    }
                }
                other => listing(&mut out, other, section),
            }
        }
    }
    out
}
