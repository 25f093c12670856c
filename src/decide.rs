//! The decision rules (SPEC §4): rule 0, Q1-Q4 in order, the guards G1-G5, then the engine and
//! the eviction policy. Every rule evaluated appends a [`Step`] to the trail.
//!
//! Input: a validated workload and the few sized/priced [`Facts`] the guards need (G2 needs the
//! peak ECPU rate, G4 two monthly estimates, the engine choice the sized node's vCPUs).
//! Output: a [`Decision`]. Pure: no catalog lookups, no I/O.

use serde::Serialize;

use crate::names::{named_enum, DataType, Engine, Environment, MaxmemoryPolicy, PathId, Pattern, Setting};
use crate::units::{plain, thousands, usd};
use crate::workload::Workload;

named_enum! {
    /// The rule behind a trail entry (the JSON `rule`).
    pub enum Rule {
        Override = "override",
        Q1Durability = "q1-durability",
        Q2TrafficShape = "q2-traffic-shape",
        G1SustainedThroughput = "g1-sustained-throughput",
        G2ServerlessLimits = "g2-serverless-limits",
        G3Features = "g3-features",
        G4ServerlessCost = "g4-serverless-cost",
        Q3Team = "q3-team",
        Q4Cost = "q4-cost",
        G5SelfHostJustified = "g5-self-host-justified",
        G6SelfHostCheaper = "g6-self-host-cheaper",
        Engine = "engine",
        Eviction = "eviction",
        MultiAz = "multi-az",
        Sizing = "sizing",
    }
}

/// One entry of the decision trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// Which rule.
    pub rule: Rule,
    /// The question it asks.
    pub question: String,
    /// The workload's answer.
    pub answer: String,
    /// What follows.
    pub outcome: String,
}

/// Sized and priced figures the rules need.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    /// ECPU/s at the peak (peak ops x ECPU per request).
    pub peak_ecpu_per_second: f64,
    /// Serverless ECPU/s limit.
    pub max_ecpu_per_second: u64,
    /// Serverless storage limit, GB.
    pub max_storage_gb: u64,
    /// Serverless monthly estimate, USD.
    pub serverless_usd_per_month: Option<f64>,
    /// The serverless estimate's storage and ECPU parts, USD per month.
    pub serverless_parts_usd_per_month: Option<(f64, f64)>,
    /// ElastiCache node-based on-demand monthly estimate, USD.
    pub elasticache_usd_per_month: Option<f64>,
    /// Self-hosted infrastructure (instances, volumes, backups; not the team's time), USD per month.
    pub self_hosted_infrastructure_usd_per_month: Option<f64>,
    /// The ElastiCache node sized for the data, and its vCPUs.
    pub elasticache_node: Option<(String, u32)>,
    /// The prices G4 and G6 compare: "on-demand" or "1-yr reserved" (`team.pricing`).
    pub pricing: &'static str,
}

/// The eviction behaviour of the chosen path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "policy", rename_all = "kebab-case")]
pub enum Eviction {
    /// A parameter group sets this `maxmemory-policy`.
    Policy(MaxmemoryPolicy),
    /// Serverless: no parameter group, fixed `volatile-lru` (aws-facts §3.3).
    ServerlessFixed,
    /// Memcached: least-recently-used, no policy to set.
    MemcachedLru,
}

impl Eviction {
    /// The policy in force, as Valkey/Redis name it (Memcached: `lru`).
    pub fn policy_name(self) -> &'static str {
        match self {
            Eviction::Policy(p) => crate::names::Named::as_str(p),
            Eviction::ServerlessFixed => "volatile-lru",
            Eviction::MemcachedLru => "lru",
        }
    }
}

/// What the rules decided, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    /// The path.
    pub path: PathId,
    /// The traffic shape, resolved.
    pub pattern: Pattern,
    /// The engine, resolved.
    pub engine: Engine,
    /// The eviction behaviour.
    pub eviction: Eviction,
    /// Every rule evaluated, in order.
    pub trail: Vec<Step>,
}

/// G1: above this sustained rate provisioned nodes are cheaper (seed: 2,000-3,000 ops/s).
pub const G1_MAX_AVERAGE_OPS: u64 = 3000;
/// Q2: a peak this many times the average is bursty (seed: 8x and 10x bursty, 5x steady).
pub const BURST_RATIO: f64 = 8.0;
/// Q2: at most this many active hours a day is intermittent.
pub const INTERMITTENT_MAX_HOURS: u32 = 12;
/// G4: serverless may cost up to this many times the ElastiCache on-demand estimate.
pub const G4_MAX_COST_RATIO: f64 = 1.5;
/// G6: when cost alone leads to self-hosting, its infrastructure may cost at most this share of
/// ElastiCache node-based on-demand (SPEC §9, "guard G6").
pub const G6_MAX_COST_RATIO: f64 = 0.9;
/// G5: self-hosting pays off from this size (seed: 100+ GB).
pub const G5_MIN_SIZE_GB: f64 = 100.0;
pub use crate::size::MEMCACHED_MIN_VCPU;

fn step(rule: Rule, question: &str, answer: String, outcome: String) -> Step {
    Step {
        rule,
        question: question.to_owned(),
        answer,
        outcome,
    }
}

/// The traffic shape: the explicit `pattern`, else derived from active hours and peak/average.
pub fn resolve_pattern(w: &Workload) -> (Pattern, String) {
    let t = &w.traffic;
    let ratio = t.peak_ops_per_sec as f64 / t.average_ops_per_sec as f64;
    let ratio_text = format!(
        "peak {} / average {} = {:.1}x",
        thousands(t.peak_ops_per_sec),
        thousands(t.average_ops_per_sec),
        ratio
    );
    match t.pattern {
        Setting::Is(p) => (
            p,
            format!(
                "{p} (set in the file; {ratio_text}, {} active h/day)",
                t.active_hours_per_day
            ),
        ),
        Setting::Auto if t.active_hours_per_day <= INTERMITTENT_MAX_HOURS => (
            Pattern::Intermittent,
            format!(
                "intermittent: active {} h/day (<= {INTERMITTENT_MAX_HOURS})",
                t.active_hours_per_day
            ),
        ),
        Setting::Auto if ratio >= BURST_RATIO => (
            Pattern::Bursty,
            format!("bursty: {ratio_text} (>= {}x)", plain(BURST_RATIO)),
        ),
        Setting::Auto => (
            Pattern::Steady,
            format!(
                "steady: {ratio_text} (< {}x), active {} h/day (> {INTERMITTENT_MAX_HOURS})",
                plain(BURST_RATIO),
                t.active_hours_per_day
            ),
        ),
    }
}

/// Q1-Q4 with their guards, without the override.
fn walk(w: &Workload, f: &Facts, trail: &mut Vec<Step>) -> PathId {
    let d = &w.data;
    if d.must_not_lose_writes {
        trail.push(step(
            Rule::Q1Durability,
            "Must acknowledged writes survive a failover?",
            "yes (must_not_lose_writes = true)".to_owned(),
            "memorydb: its Multi-AZ transaction log keeps every acknowledged write through a failover".to_owned(),
        ));
        return PathId::Memorydb;
    }
    trail.push(step(
        Rule::Q1Durability,
        "Must acknowledged writes survive a failover?",
        "no (must_not_lose_writes = false)".to_owned(),
        "a cache may lose its last writes on failover: continue to Q2".to_owned(),
    ));

    let (pattern, answer) = resolve_pattern(w);
    if pattern == Pattern::Steady {
        trail.push(step(
            Rule::Q2TrafficShape,
            "Is the traffic bursty or intermittent?",
            answer,
            "steady traffic runs cheapest on provisioned capacity: continue to Q3".to_owned(),
        ));
    } else {
        trail.push(step(
            Rule::Q2TrafficShape,
            "Is the traffic bursty or intermittent?",
            answer,
            "serverless scales with the traffic, unless a guard applies".to_owned(),
        ));
        let fired = guards(w, f, trail);
        if !fired {
            return PathId::Serverless;
        }
    }

    if !w.team.sre_capacity {
        trail.push(step(
            Rule::Q3Team,
            "Is there dedicated SRE capacity to run it yourself?",
            "no (sre_capacity = false)".to_owned(),
            "elasticache: AWS runs patching, failover and backups".to_owned(),
        ));
        return PathId::Elasticache;
    }
    trail.push(step(
        Rule::Q3Team,
        "Is there dedicated SRE capacity to run it yourself?",
        "yes (sre_capacity = true)".to_owned(),
        "self-hosting is possible: continue to Q4".to_owned(),
    ));

    cost_rules(w, f, trail)
}

/// Q4, G5 and G6: with SRE capacity, does cost send it to self-hosting?
fn cost_rules(w: &Workload, f: &Facts, trail: &mut Vec<Step>) -> PathId {
    let d = &w.data;
    if !w.team.cost_sensitive {
        trail.push(step(
            Rule::Q4Cost,
            "Does cost matter more than operational burden?",
            "no (cost_sensitive = false)".to_owned(),
            "elasticache: the managed service is worth its premium".to_owned(),
        ));
        return PathId::Elasticache;
    }
    trail.push(step(
        Rule::Q4Cost,
        "Does cost matter more than operational burden?",
        "yes (cost_sensitive = true)".to_owned(),
        "self-hosted, unless G5 applies".to_owned(),
    ));
    let control = w.team.needs_full_control;
    let big = d.size_gb >= G5_MIN_SIZE_GB;
    let answer = format!(
        "needs_full_control = {control}; size_gb = {} ({} {})",
        plain(d.size_gb),
        if big { ">=" } else { "<" },
        plain(G5_MIN_SIZE_GB)
    );
    if !(control || big) {
        trail.push(step(
            Rule::G5SelfHostJustified,
            "Is self-hosting justified: full control needed, or 100 GB and more?",
            answer,
            "fires: below 100 GB the savings do not pay for running it yourself: elasticache".to_owned(),
        ));
        return PathId::Elasticache;
    }
    trail.push(step(
        Rule::G5SelfHostJustified,
        "Is self-hosting justified: full control needed, or 100 GB and more?",
        answer,
        "does not fire".to_owned(),
    ));
    let question = format!(
        "Does self-hosting cost at most 90% of ElastiCache {} (infrastructure alone)?",
        f.pricing
    );
    let question = question.as_str();
    if control {
        trail.push(step(
            Rule::G6SelfHostCheaper,
            question,
            "needs_full_control = true: the reason is control, not cost".to_owned(),
            "does not apply: self-hosted".to_owned(),
        ));
        return PathId::SelfHosted;
    }
    g6(f, trail)
}

/// G6: self-hosting for cost alone must cost at most 90 % of ElastiCache on-demand.
fn g6(f: &Facts, trail: &mut Vec<Step>) -> PathId {
    let question = format!(
        "Does self-hosting cost at most 90% of ElastiCache {} (infrastructure alone)?",
        f.pricing
    );
    let question = question.as_str();
    let (Some(own), Some(managed)) = (f.self_hosted_infrastructure_usd_per_month, f.elasticache_usd_per_month) else {
        trail.push(step(
            Rule::G6SelfHostCheaper,
            question,
            "no estimate to compare with".to_owned(),
            "does not fire: self-hosted".to_owned(),
        ));
        return PathId::SelfHosted;
    };
    let limit = G6_MAX_COST_RATIO * managed;
    let answer = format!(
        "self-hosted infrastructure {} vs 90% of elasticache {} {} = {} per month",
        usd(own),
        f.pricing,
        usd(managed),
        usd_exact(limit)
    );
    if own <= limit {
        trail.push(step(
            Rule::G6SelfHostCheaper,
            question,
            answer,
            "does not fire: self-hosted".to_owned(),
        ));
        return PathId::SelfHosted;
    }
    trail.push(step(
        Rule::G6SelfHostCheaper,
        question,
        answer,
        "fires: running it yourself would not save enough on the infrastructure to pay for the risk: elasticache"
            .to_owned(),
    ));
    PathId::Elasticache
}

/// A dollar figure with as many decimals as it has (up to 4): a threshold must not read as equal
/// to the figure it is compared with ($575.535, not $575.54, against $575.54).
fn usd_exact(x: f64) -> String {
    if ((x * 100.0).round() - x * 100.0).abs() < 1e-6 {
        return usd(x);
    }
    let fraction = format!("{:.4}", x.fract());
    let digits = fraction
        .trim_start_matches('0')
        .trim_start_matches('.')
        .trim_end_matches('0');
    format!("{}.{digits}", usd(x.trunc()).trim_end_matches(".00"))
}

/// G1-G4; returns whether any fired. Every guard is evaluated and recorded.
fn guards(w: &Workload, f: &Facts, trail: &mut Vec<Step>) -> bool {
    let t = &w.traffic;
    let d = &w.data;
    let mut fired = false;
    let mut guard = |rule, question: &str, hit: bool, answer: String, why: &str| {
        fired |= hit;
        let outcome = if hit {
            format!("fires: {why}; continue to Q3")
        } else {
            "does not fire".to_owned()
        };
        trail.push(step(rule, question, answer, outcome));
    };

    let g1 = t.average_ops_per_sec > G1_MAX_AVERAGE_OPS;
    guard(
        Rule::G1SustainedThroughput,
        "Is the sustained throughput above 3,000 ops/s?",
        g1,
        format!("average {} ops/s", thousands(t.average_ops_per_sec)),
        "at this sustained rate provisioned nodes are cheaper",
    );

    let too_big = d.size_gb > f.max_storage_gb as f64;
    let too_fast = f.peak_ecpu_per_second > f.max_ecpu_per_second as f64;
    guard(
        Rule::G2ServerlessLimits,
        "Is it beyond the serverless limits (5,000 GB, 15,000,000 ECPU/s)?",
        too_big || too_fast,
        format!(
            "size_gb = {}; peak {} ECPU/s ({} ops/s x {} KB)",
            plain(d.size_gb),
            thousands(f.peak_ecpu_per_second.ceil() as u64),
            thousands(t.peak_ops_per_sec),
            plain(d.item_kb)
        ),
        "a serverless cache cannot hold it",
    );

    let modules: Vec<&str> = d
        .types
        .iter()
        .filter(|t| matches!(t, DataType::Json | DataType::Search | DataType::Vector))
        .map(|t| crate::names::Named::as_str(*t))
        .collect();
    let redis = w.engine == Setting::Is(Engine::Redis);
    // SPEC §4 G3 names Redis OSS; search and vector fire it for any engine too: ElastiCache runs
    // them "on node-based clusters" only (catalog.toml [search], with its sources).
    let search: Vec<&str> = modules.iter().copied().filter(|m| *m != "json").collect();
    guard(
        Rule::G3Features,
        "Does it need JSON, search or vector with engine redis, or search or vector at all?",
        (redis && !modules.is_empty()) || !search.is_empty(),
        if modules.is_empty() {
            "no json, search or vector in data.types".to_owned()
        } else {
            format!("data.types has {} with engine {}", modules.join(", "), w.engine)
        },
        if search.is_empty() {
            "serverless Redis OSS has no module support"
        } else {
            "serverless has no search or vector search: ElastiCache offers them on node-based clusters only"
        },
    );

    let (hit, answer) = match (f.serverless_usd_per_month, f.elasticache_usd_per_month) {
        (Some(s), Some(e)) => (
            s > G4_MAX_COST_RATIO * e,
            format!(
                "serverless {} vs 1.5 x elasticache {} {} = {} per month",
                usd(s),
                f.pricing,
                usd(e),
                usd_exact(G4_MAX_COST_RATIO * e)
            ),
        ),
        _ => (false, "no ElastiCache estimate to compare with".to_owned()),
    };
    // Name the charge that makes serverless expensive: storage (GB-hours) or compute (ECPUs).
    let why = match f.serverless_parts_usd_per_month {
        Some((storage, ecpu)) if ecpu > storage => {
            "the per-ECPU charge of a sustained request rate makes serverless the expensive choice"
        }
        _ => "the per-GB-hour storage charge makes serverless the expensive choice",
    };
    guard(
        Rule::G4ServerlessCost,
        &format!("Would serverless cost more than 1.5 x ElastiCache {}?", f.pricing),
        hit,
        answer,
        why,
    );
    fired
}

/// Decides the path, the engine and the eviction policy.
pub fn decide(w: &Workload, f: &Facts) -> Decision {
    let mut trail = Vec::new();
    let (pattern, _) = resolve_pattern(w);
    let path = match w.overrides.path {
        Some(forced) => {
            let mut scratch = Vec::new();
            let rules = walk(w, f, &mut scratch);
            let mut outcome = if rules == forced {
                format!("{forced} (forced; the rules pick the same path)")
            } else {
                format!("{forced} (forced; the rules alone pick {rules})")
            };
            if w.data.must_not_lose_writes && forced != PathId::Memorydb {
                outcome
                    .push_str("; must_not_lose_writes = true, but this path can lose acknowledged writes on failover");
            }
            trail.push(step(
                Rule::Override,
                "Is the path forced?",
                format!("override.path = \"{forced}\""),
                outcome,
            ));
            forced
        }
        None => walk(w, f, &mut trail),
    };

    let engine = engine(w, path, f, &mut trail);
    let eviction = eviction(w, path, engine, &mut trail);
    if w.environment != Environment::Prod && matches!(path, PathId::Elasticache) && engine != Engine::Memcached {
        let replicas = w.overrides.replicas_per_shard.unwrap_or(0);
        if replicas == 0 {
            trail.push(step(
                Rule::MultiAz,
                "Does it run Multi-AZ with automatic failover?",
                format!("environment = \"{}\", 0 replicas", w.environment),
                "Multi-AZ is off: losing the node loses the cache until it is replaced (fine outside prod)".to_owned(),
            ));
        }
    }
    Decision {
        path,
        pattern,
        engine,
        eviction,
        trail,
    }
}

/// The engine a path runs for this workload: the named one, or for `auto` Memcached only for a pure
/// string cache on an ElastiCache node with 8+ vCPUs (SPEC §4), else Valkey.
pub fn engine_on(w: &Workload, path: PathId, f: &Facts) -> Engine {
    engine_choice(w, path, f).0
}

fn engine_choice(w: &Workload, path: PathId, f: &Facts) -> (Engine, String, String) {
    match w.engine {
        Setting::Is(e) => (e, format!("engine.name = \"{e}\""), e.display_name().to_owned()),
        Setting::Auto => {
            let strings = w.data.types == [DataType::Strings];
            let plain_cache = strings && !w.data.must_not_lose_writes && !w.data.keys_without_ttl;
            let big_node = f
                .elasticache_node
                .as_ref()
                .filter(|(_, vcpu)| *vcpu >= MEMCACHED_MIN_VCPU);
            match (path, plain_cache, big_node) {
                (PathId::Elasticache, true, Some((node, vcpu))) => (
                    Engine::Memcached,
                    format!("auto: strings only, no durability, every key may be evicted; {node} has {vcpu} vCPUs"),
                    "Memcached: multi-threaded Memcached wins on large multi-core nodes for pure string caching"
                        .to_owned(),
                ),
                _ => (
                    Engine::Valkey,
                    "auto".to_owned(),
                    "Valkey: Memcached only for pure string caches on ElastiCache nodes with 8+ vCPUs".to_owned(),
                ),
            }
        }
    }
}

fn engine(w: &Workload, path: PathId, f: &Facts, trail: &mut Vec<Step>) -> Engine {
    let (engine, answer, mut outcome) = engine_choice(w, path, f);
    if engine == Engine::Memcached && path == PathId::Elasticache {
        outcome.push_str("; Memcached has no replication: a failed node loses its share of the cache");
    }
    trail.push(step(Rule::Engine, "Which engine?", answer, outcome));
    engine
}

fn eviction(w: &Workload, path: PathId, engine: Engine, trail: &mut Vec<Step>) -> Eviction {
    const Q: &str = "Which eviction policy?";
    let d = &w.data;
    let (eviction, answer, outcome) = if path == PathId::Serverless && engine != Engine::Memcached {
        let answer = match d.eviction {
            Setting::Is(p) if p != MaxmemoryPolicy::VolatileLru => {
                format!("eviction = \"{p}\" cannot be applied: serverless has no parameter group")
            }
            _ => format!("eviction = \"{}\"", d.eviction),
        };
        let ttl = if d.keys_without_ttl {
            "keys without a TTL are never evicted, so memory can fill: watch BytesUsedForCache"
        } else {
            "only keys with a TTL are evicted: give cache keys a TTL"
        };
        (
            Eviction::ServerlessFixed,
            answer,
            format!("volatile-lru, fixed on serverless; {ttl}"),
        )
    } else if engine == Engine::Memcached {
        (
            Eviction::MemcachedLru,
            "memcached".to_owned(),
            "least-recently-used, built into Memcached".to_owned(),
        )
    } else {
        match d.eviction {
            Setting::Is(p) => (
                Eviction::Policy(p),
                format!("eviction = \"{p}\""),
                format!("{p} (set in the file)"),
            ),
            Setting::Auto if path == PathId::Memorydb || d.must_not_lose_writes => (
                Eviction::Policy(MaxmemoryPolicy::Noeviction),
                "auto; a durable store".to_owned(),
                "noeviction: a database must refuse writes rather than drop data".to_owned(),
            ),
            Setting::Auto if d.keys_without_ttl => (
                Eviction::Policy(MaxmemoryPolicy::VolatileLru),
                "auto; keys_without_ttl = true".to_owned(),
                "volatile-lru: only keys with a TTL are evicted".to_owned(),
            ),
            Setting::Auto => (
                Eviction::Policy(MaxmemoryPolicy::AllkeysLru),
                "auto; a cache whose keys may all be evicted".to_owned(),
                "allkeys-lru: the common choice for caches (noeviction would make writes fail when full)".to_owned(),
            ),
        }
    };
    trail.push(step(Rule::Eviction, Q, answer, outcome));
    eviction
}
