//! The plan: every value the outputs print, computed once (STYLE §2: the IR between model and emit).
//!
//! Input: a validated workload and the catalog. `build` runs size -> cost -> decide and then checks
//! the chosen path against the catalog (engine versions, node types, overrides that mean nothing on
//! that path). Output: a [`Plan`] or every diagnostic. Pure: no I/O.

use crate::catalog::Catalog;
use crate::cost::{self, Costs, Engines};
use crate::decide::{self, Decision, Eviction, Facts, Step};
use crate::diag::Diagnostic;
use crate::names::{DataType, Engine, Environment, PathId, Pattern, Pricing};
use crate::size::{self, Sizes};
use crate::workload::{Alarms, Backup, EngineVersion, Workload};

pub use crate::size::{MemcachedNodes as MemcachedCluster, Topology};

/// The self-hosted settings of the catalog the module prints (SPEC §5, issue #5).
#[derive(Debug, Clone, PartialEq)]
pub struct SelfHosting {
    /// The public SSM parameter naming the AMI.
    pub ami_parameter: String,
    /// `maxmemory` as a share of RAM, percent.
    pub maxmemory_percent: u32,
    /// Sentinel `down-after-milliseconds`.
    pub down_after_ms: u32,
    /// Sentinel `failover-timeout`, milliseconds.
    pub failover_timeout_ms: u32,
    /// Days a node certificate is signed for.
    pub cert_validity_days: u32,
    /// A node signs a new certificate when fewer days than this remain.
    pub cert_renew_days: u32,
    /// The certificate alarm fires when fewer days than this remain.
    pub cert_alarm_days: u32,
}

/// Everything decided and computed for one workload.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// `workload.name`.
    pub name: String,
    /// `workload.environment`.
    pub environment: Environment,
    /// `workload.region`.
    pub region: String,
    /// `workload.description`.
    pub description: Option<String>,
    /// The chosen path.
    pub path: PathId,
    /// The engine.
    pub engine: Engine,
    /// The engine version.
    pub engine_version: EngineVersion,
    /// Parameter group family ("" where the path has none).
    pub parameter_group_family: String,
    /// The release the catalog pins for the version (Memcached node-based), if any.
    pub engine_release: Option<String>,
    /// The traffic shape.
    pub pattern: Pattern,
    /// Eviction behaviour.
    pub eviction: Eviction,
    /// Client port.
    pub port: u16,
    /// The deployment.
    pub topology: Topology,
    /// Monthly estimates for every path.
    pub costs: Costs,
    /// `[alarms]` of the workload.
    pub alarms: Alarms,
    /// `[backup]` of the workload.
    pub backup: Backup,
    /// Self-hosting settings (used by the self-hosted path).
    pub self_hosting: SelfHosting,
    /// Why.
    pub trail: Vec<Step>,
    /// Date of the catalog's figures.
    pub catalog_as_of: String,
    /// Region and date of the prices.
    pub prices_region: String,
    /// Date of the prices.
    pub prices_as_of: String,
    /// The MemoryDB parameter that switches vector search on, when the workload stores vectors
    /// (`search-enabled`; catalog.toml `[search]`).
    pub vector_search: Option<String>,
    /// Said loudly wherever the estimates are shown, when the prices are not the workload's
    /// region's (issue #13): the figures there differ.
    pub prices_warning: Option<String>,
    /// What the estimates rest on, in words: "us-east-1 list prices as of 2026-11-23, USD, 730 h/month".
    pub prices_basis: String,
}

/// Prices every path and gathers what the rules weigh (SPEC §4): the facts the guards read.
fn price(w: &Workload, c: &Catalog, sizes: &Sizes) -> (Facts, Costs) {
    let mut facts = Facts {
        peak_ecpu_per_second: w.traffic.peak_ops_per_sec as f64 * size::ecpu_per_request(w),
        max_ecpu_per_second: c.sizing.serverless_max_ecpu_per_second,
        max_storage_gb: c.sizing.serverless_max_storage_gb,
        serverless_usd_per_month: None,
        serverless_parts_usd_per_month: None,
        elasticache_usd_per_month: None,
        self_hosted_infrastructure_usd_per_month: None,
        elasticache_node: sizes.elasticache.as_ref().ok().map(|r| (r.node_type.clone(), r.vcpu)),
        pricing: match w.team.pricing {
            Pricing::OnDemand => "on-demand",
            Pricing::Reserved1y => "1-yr reserved",
        },
    };
    let engines = Engines {
        elasticache: decide::engine_on(w, PathId::Elasticache, &facts),
        serverless: decide::engine_on(w, PathId::Serverless, &facts),
        memorydb: match w.named_engine() {
            Some(Engine::Redis) => Engine::Redis,
            _ => Engine::Valkey,
        },
    };
    let costs = cost::cost(w, sizes, engines, c);
    facts.serverless_usd_per_month = costs.serverless.on_demand_usd_per_month;
    // cost.rs prices serverless as two lines: storage, then ECPUs.
    facts.serverless_parts_usd_per_month = match costs.serverless.lines.as_slice() {
        [storage, ecpu] => Some((storage.on_demand_usd_per_month, ecpu.on_demand_usd_per_month)),
        _ => None,
    };
    // The guards compare on-demand prices, or 1-year reservations where the organisation buys
    // them (`team.pricing`); serverless has no reservations.
    let compared = |p: &cost::PathCost| match w.team.pricing {
        Pricing::OnDemand => p.on_demand_usd_per_month,
        Pricing::Reserved1y => p.reserved_1y_usd_per_month,
    };
    facts.elasticache_usd_per_month = compared(&costs.elasticache);
    // G6 weighs the infrastructure alone: the team's time was accepted by answering Q4.
    facts.self_hosted_infrastructure_usd_per_month =
        compared(&costs.self_hosted).map(|total| crate::units::round2(total - w.team.ops_cost_usd_per_month));
    (facts, costs)
}

/// Sizes, prices and decides; then checks the decision against the catalog.
pub fn build(w: &Workload, c: &Catalog) -> Result<Plan, Vec<Diagnostic>> {
    let sizes = size::size(w, c);
    let (facts, costs) = price(w, c, &sizes);
    let decision = decide::decide(w, &facts);
    if let Some(missing) = missing_reservations(w, &costs, &decision.trail) {
        return Err(vec![missing]);
    }

    let mut problems = Vec::new();
    check_overrides(w, c, decision.path, &mut problems);
    let version = engine_version(w, c, &decision, &mut problems);
    // A bad override is reported once, not again as a sizing failure.
    let topology = if problems.is_empty() {
        topology(w, &sizes, &decision, &mut problems)
    } else {
        None
    };
    let port = port(w, &decision, &mut problems);
    let vector_search = match (version, &topology) {
        (Some(v), Some(t)) => search_support(w, c, &decision, v, t, &mut problems),
        _ => false,
    };
    let (Some(version), Some(topology), true) = (version, topology, problems.is_empty()) else {
        return Err(problems);
    };
    let family = c
        .family_of(decision.path, decision.engine, version)
        .unwrap_or_default()
        .to_owned();
    let engine_release = c.release_of(decision.path, decision.engine, version).map(str::to_owned);
    let mut trail = decision.trail;
    trail.extend(sizing_step(&topology));
    Ok(Plan {
        engine_release,
        name: w.name.to_string(),
        environment: w.environment,
        region: w.region.clone(),
        description: w.description.clone(),
        path: decision.path,
        engine: decision.engine,
        engine_version: version,
        parameter_group_family: family,
        pattern: decision.pattern,
        eviction: decision.eviction,
        port,
        topology,
        costs,
        alarms: w.alarms.clone(),
        backup: w.backup.clone(),
        self_hosting: SelfHosting {
            ami_parameter: c.sizing.self_hosted_ami_parameter.clone(),
            maxmemory_percent: c.sizing.self_hosted_maxmemory_percent,
            down_after_ms: c.sizing.self_hosted_sentinel_down_after_ms,
            failover_timeout_ms: c.sizing.self_hosted_sentinel_failover_timeout_ms,
            cert_validity_days: c.sizing.self_hosted_cert_validity_days,
            cert_renew_days: c.sizing.self_hosted_cert_renew_days,
            cert_alarm_days: c.sizing.self_hosted_cert_alarm_days,
        },
        trail,
        catalog_as_of: c.as_of().to_owned(),
        prices_region: c.prices.meta.region.clone(),
        prices_as_of: c.prices.meta.as_of.clone(),
        vector_search: vector_search.then(|| c.search.memorydb_vector_parameter.clone()),
        prices_warning: prices_warning(w, c),
        prices_basis: format!(
            "{} list prices as of {}, {}, {} h/month",
            c.prices.meta.region,
            c.prices.meta.as_of,
            c.prices.meta.currency,
            crate::units::plain(c.prices.meta.hours_per_month)
        ),
    })
}

/// The trail's last entry for a path with a topology search (SPEC §9 "sizing"): the topology
/// picked, the constraint that set its size, and the cheapest one on another node type.
fn sizing_step(topology: &Topology) -> Option<Step> {
    let (summary, binding, detail, constraints, runner_up) = match topology {
        Topology::ReplicationGroup(r) | Topology::MemorydbCluster(r) => (
            format!(
                "{} shard(s) x (1 primary + {} replica(s)) of {}",
                r.shards, r.replicas_per_shard, r.node_type
            ),
            r.binding,
            &r.binding_detail,
            &r.constraints,
            &r.runner_up,
        ),
        Topology::MemcachedCluster(m) => (
            format!("{} x {}", m.nodes, m.node_type),
            m.binding,
            &m.binding_detail,
            &m.constraints,
            &m.runner_up,
        ),
        Topology::Serverless(_) | Topology::Ec2Sentinel(_) => return None,
    };
    let binds = match binding {
        size::Binding::Override => "set by [override]".to_owned(),
        _ => format!("binding: {detail}"),
    };
    let runner = runner_up
        .as_ref()
        .map_or_else(String::new, |r| format!("; runner-up: {r}"));
    Some(Step {
        rule: decide::Rule::Sizing,
        question: "Which topology is the cheapest that holds the data, the peak reads and writes and their network?"
            .to_owned(),
        answer: constraints.clone(),
        outcome: format!("{summary}; {binds}{runner}"),
    })
}

fn engine_version(w: &Workload, c: &Catalog, d: &Decision, problems: &mut Vec<Diagnostic>) -> Option<EngineVersion> {
    let path = d.path;
    let engine = d.engine;
    let offered = c.versions(path, engine);
    if offered.is_empty() {
        let help = match (path, engine) {
            (PathId::SelfHosted, _) => {
                "self-hosting runs Valkey (compatible with Redis OSS clients): set engine.name = \"valkey\""
            }
            (PathId::Memorydb, Engine::Memcached) => "MemoryDB runs Valkey or Redis OSS: set engine.name = \"valkey\"",
            _ => "choose another engine or path",
        };
        problems.push(
            Diagnostic::new(
                "engine.name",
                format!("the {} path does not run {}", path, engine.display_name()),
            )
            .help(help),
        );
        return None;
    }
    let Some(version) = w.engine_version else {
        return default_version(w, c, path, engine);
    };
    if c.family_of(path, engine, version).is_some() {
        return Some(version);
    }
    let last = offered.last().copied().unwrap_or_default();
    let mut d = Diagnostic::new(
        "engine.version",
        format!(
            "{} {version} is not offered on the {path} path (offered: {})",
            engine.display_name(),
            offered.join(", ")
        ),
    );
    d = if engine == Engine::Redis && EngineVersion::parse(last).is_some_and(|l| version > l) {
        d.help(format!(
            "Redis OSS on AWS stops at {last}; for newer versions set engine.name = \"valkey\" (a drop-in successor)"
        ))
    } else {
        d.help(format!(
            "use one of {}, or remove version for the default",
            offered.join(", ")
        ))
    };
    problems.push(d);
    None
}

/// With `team.pricing = "reserved-1y"`, the reserved prices the guards the walk evaluated
/// needed: ElastiCache's for G4 and G6, self-hosting's for G6 (unless it did not apply). None is
/// built in (no public source gave them): they come from a prices file.
fn missing_reservations(w: &Workload, costs: &Costs, trail: &[Step]) -> Option<Diagnostic> {
    if w.team.pricing != Pricing::Reserved1y {
        return None;
    }
    let evaluated = |rule: decide::Rule| {
        trail
            .iter()
            .any(|s| s.rule == rule && !s.outcome.starts_with("does not apply"))
    };
    let (g4, g6) = (
        evaluated(decide::Rule::G4ServerlessCost),
        evaluated(decide::Rule::G6SelfHostCheaper),
    );
    let lacks = |p: &cost::PathCost| p.on_demand_usd_per_month.is_some() && p.reserved_1y_usd_per_month.is_none();
    let mut missing = Vec::new();
    if (g4 || g6) && lacks(&costs.elasticache) {
        missing.push(format!("elasticache ({})", costs.elasticache.summary));
    }
    if g6 && lacks(&costs.self_hosted) {
        missing.push(format!("self-hosted ({})", costs.self_hosted.summary));
    }
    if missing.is_empty() {
        return None;
    }
    Some(
        Diagnostic::new(
            "team.pricing",
            format!(
                "pricing = \"reserved-1y\", but the prices in force have no 1-year reserved price for {}",
                missing.join(" and ")
            ),
        )
        .help("import prices with reserved terms (`rediform prices import`) and pass them with --prices, or remove pricing"),
    )
}

/// Said wherever the estimates are shown when the prices are not all the workload region's.
fn prices_warning(w: &Workload, c: &Catalog) -> Option<String> {
    let region = &c.prices.meta.region;
    if &w.region != region {
        return Some(format!(
            "these are {region} prices, but the workload runs in {}, where prices differ: import that region's prices (rediform prices import) and pass them with --prices",
            w.region
        ));
    }
    if c.stale_prices.is_empty() {
        return None;
    }
    Some(format!(
        "the prices file is for {region}, but it leaves these at rediform's built-in {} figures: {}; add them to the prices file",
        Catalog::embedded().prices.meta.region,
        c.stale_prices.join(", ")
    ))
}

/// The default version, raised to the first that runs vector search when the workload stores
/// vectors (catalog.toml `[search]`).
fn default_version(w: &Workload, c: &Catalog, path: PathId, engine: Engine) -> Option<EngineVersion> {
    let default = c.default_version(path, engine);
    if !w.data.types.contains(&DataType::Vector) || w.data.types.contains(&DataType::Search) {
        return default;
    }
    let s = &c.search;
    let wanted = match (path, engine) {
        (PathId::Elasticache, Engine::Valkey) => EngineVersion::parse(&s.elasticache_vector_min_valkey),
        (PathId::Memorydb, e) if e == s.memorydb_vector_engine => EngineVersion::parse(&s.memorydb_vector_version),
        _ => None,
    };
    match (default, wanted) {
        (Some(d), Some(v)) if d < v && c.family_of(path, engine, v).is_some() => Some(v),
        _ => default,
    }
}

/// Whether the path, engine and version run the search the workload's types ask for
/// (catalog.toml `[search]`); a problem for each that cannot. Returns whether MemoryDB's vector
/// search must be switched on.
fn search_support(
    w: &Workload,
    c: &Catalog,
    d: &Decision,
    version: EngineVersion,
    topology: &Topology,
    problems: &mut Vec<Diagnostic>,
) -> bool {
    let s = &c.search;
    let vector = w.data.types.contains(&DataType::Vector);
    let search = w.data.types.contains(&DataType::Search);
    if !vector && !search {
        return false;
    }
    let mut refuse = |key: &str, message: String, help: &str| {
        problems.push(Diagnostic::new(key, message).help(help));
    };
    let remove = "remove it from data.types, or run it outside rediform's modules";
    match d.path {
        PathId::Elasticache if search => refuse(
            "data.types",
            format!(
                "`search` (full-text search) needs Valkey {} or later on ElastiCache, which rediform does not offer yet",
                s.elasticache_search_min_valkey
            ),
            remove,
        ),
        PathId::Elasticache if d.engine != Engine::Valkey => refuse(
            "engine.name",
            format!(
                "`vector` needs Valkey {} or later on ElastiCache; {} has no vector search",
                s.elasticache_vector_min_valkey,
                d.engine.display_name()
            ),
            "set engine.name = \"valkey\"",
        ),
        PathId::Elasticache => {
            let min = EngineVersion::parse(&s.elasticache_vector_min_valkey);
            if min.is_some_and(|m| version < m) {
                refuse(
                    "engine.version",
                    format!(
                        "`vector` needs Valkey {} or later on ElastiCache, not {version}",
                        s.elasticache_vector_min_valkey
                    ),
                    &format!("set engine.version = \"{}\", or remove version", s.elasticache_vector_min_valkey),
                );
            }
        }
        PathId::Memorydb if search => refuse(
            "data.types",
            "`search` (full-text search) is not offered by MemoryDB, only vector search".to_owned(),
            remove,
        ),
        PathId::Memorydb => {
            let wanted = EngineVersion::parse(&s.memorydb_vector_version);
            if d.engine != s.memorydb_vector_engine || Some(version) != wanted {
                refuse(
                    "engine.name",
                    format!(
                        "`vector` on MemoryDB needs {} {} (vector search is enabled on that version only), not {} {version}",
                        s.memorydb_vector_engine.display_name(),
                        s.memorydb_vector_version,
                        d.engine.display_name()
                    ),
                    &format!(
                        "set engine.name = \"{}\" and engine.version = \"{}\" (or remove version)",
                        s.memorydb_vector_engine, s.memorydb_vector_version
                    ),
                );
            } else if let Topology::MemorydbCluster(r) = topology {
                if r.shards > 1 {
                    refuse(
                        "data.size_gb",
                        format!(
                            "MemoryDB runs vector search in a single shard; this workload needs {} shards of {}",
                            r.shards, r.node_type
                        ),
                        "hold less data per cluster, or set override.node_type to a larger node",
                    );
                } else {
                    return true;
                }
            }
        }
        PathId::Serverless => refuse(
            "data.types",
            "serverless has no search or vector search: ElastiCache offers them on node-based clusters".to_owned(),
            "remove override.path = \"serverless\"",
        ),
        PathId::SelfHosted => refuse(
            "data.types",
            "self-hosted nodes install Valkey from the Amazon Linux repositories, without the search module".to_owned(),
            remove,
        ),
    }
    false
}

fn check_overrides(w: &Workload, c: &Catalog, path: PathId, problems: &mut Vec<Diagnostic>) {
    let o = &w.overrides;
    let prefix = match path {
        PathId::Elasticache => Some("cache."),
        PathId::Memorydb => Some("db."),
        PathId::SelfHosted => Some("r7g."),
        PathId::Serverless => None,
    };
    if let Some(node) = &o.node_type {
        match prefix {
            None => problems.push(
                Diagnostic::new(
                    "override.node_type",
                    "serverless has no node types: it scales by usage limits",
                )
                .help("remove node_type, or force a node-based path with override.path"),
            ),
            Some(prefix) if !(node.starts_with(prefix) && c.node(node).is_some()) => {
                let names = c.node_names_with_prefix(prefix);
                let d = Diagnostic::new(
                    "override.node_type",
                    format!("`{node}` is not a node type of the {path} path"),
                );
                problems.push(match crate::diag::did_you_mean(node, &names) {
                    Some(best) => d.help(format!("did you mean `{best}`?")),
                    None => d.help(format!("use one of: {}", names.join(", "))),
                });
            }
            Some(_) => {}
        }
    }
    let no_shards = match path {
        PathId::Serverless => Some("serverless has no shards or replicas to set"),
        PathId::SelfHosted => Some("self-hosting runs one shard on 3 instances (a primary and 2 replicas)"),
        PathId::Elasticache | PathId::Memorydb => None,
    };
    if let Some(why) = no_shards {
        for (key, set) in [
            ("override.shards", o.shards.is_some()),
            ("override.replicas_per_shard", o.replicas_per_shard.is_some()),
        ] {
            if set {
                problems.push(Diagnostic::new(key, why).help("remove it, or force another path with override.path"));
            }
        }
    }
    if path == PathId::Memorydb && o.replicas_per_shard == Some(0) {
        problems.push(
            Diagnostic::new(
                "override.replicas_per_shard",
                "MemoryDB needs at least 1 replica per shard for Multi-AZ",
            )
            .help("set replicas_per_shard to 1 or more"),
        );
    }
    if path == PathId::Elasticache && w.named_engine() == Some(Engine::Memcached) && o.replicas_per_shard.is_some() {
        problems.push(
            Diagnostic::new("override.replicas_per_shard", "Memcached has no replicas")
                .help("remove replicas_per_shard; use override.shards for the number of nodes"),
        );
    }
}

fn topology(w: &Workload, sizes: &Sizes, d: &Decision, problems: &mut Vec<Diagnostic>) -> Option<Topology> {
    // The key that binds: the override when one forces the node type, else what the sizing names.
    let fail = |problems: &mut Vec<Diagnostic>, why: &crate::size::SizeError, help: &str| {
        let key = if w.overrides.node_type.is_some() {
            "override.node_type"
        } else {
            why.key
        };
        problems.push(Diagnostic::new(key, format!("{why} ({} path)", d.path)).help(help));
        None
    };
    match d.path {
        PathId::Elasticache if d.engine == Engine::Memcached => match &sizes.memcached {
            Ok(m) => Some(Topology::MemcachedCluster(m.clone())),
            Err(why) => fail(problems, why, "choose a larger node type or more nodes"),
        },
        PathId::Elasticache => match &sizes.elasticache {
            Ok(r) => Some(Topology::ReplicationGroup(r.clone())),
            Err(why) => fail(problems, why, "choose a larger node type or more shards"),
        },
        PathId::Memorydb => match &sizes.memorydb {
            Ok(r) => Some(Topology::MemorydbCluster(r.clone())),
            Err(why) => fail(problems, why, "choose a larger node type or more shards"),
        },
        PathId::Serverless => match &sizes.serverless {
            Ok(l) => Some(Topology::Serverless(l.clone())),
            Err(why) => fail(problems, why, "remove override.path = \"serverless\" to let the rules pick a node-based path"),
        },
        PathId::SelfHosted => match &sizes.self_hosted {
            Ok(h) => Some(Topology::Ec2Sentinel(h.clone())),
            Err(why) => fail(
                problems,
                why,
                "a sharded deployment needs a managed path: set team.cost_sensitive = false, or override.path = \"elasticache\"",
            ),
        },
    }
}

fn port(w: &Workload, d: &Decision, problems: &mut Vec<Diagnostic>) -> u16 {
    let default = if d.engine == Engine::Memcached { 11211 } else { 6379 };
    match (d.path, w.port) {
        (PathId::Serverless, Some(p)) if p != default => {
            problems.push(
                Diagnostic::new(
                    "network.port",
                    format!("serverless listens on {default} (and 6380 for reads); port {p} cannot be set"),
                )
                .help("remove network.port"),
            );
            default
        }
        (PathId::SelfHosted, Some(p)) if p == SENTINEL_PORT || p < 1024 => {
            let why = if p == SENTINEL_PORT {
                "is Sentinel's port on the self-hosted nodes".to_owned()
            } else {
                "is a privileged port: Valkey runs as the unprivileged valkey user and cannot bind it".to_owned()
            };
            problems.push(
                Diagnostic::new("network.port", format!("port {p} {why}"))
                    .help("pick another port from 1024 to 65535, or remove network.port for 6379"),
            );
            default
        }
        (_, Some(p)) => p,
        (_, None) => default,
    }
}

/// The port Sentinel listens on, beside Valkey, on every self-hosted node.
pub const SENTINEL_PORT: u16 = 26379;
