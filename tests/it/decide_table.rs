//! The decision table (SPEC §4, STYLE §6): one test per rule, guard and boundary. Each row is a
//! change to the baseline workload (a steady prod cache with no SRE team), the path expected, every
//! rule id the trail records, and the guards that fire.

use rediform::names::Named;
use rediform::Catalog;

use crate::support;

fn fired(plan: &rediform::Plan) -> Vec<&'static str> {
    plan.trail
        .iter()
        .filter(|s| s.outcome.starts_with("fires"))
        .map(|s| s.rule.as_str())
        .collect()
}

fn rules(plan: &rediform::Plan) -> Vec<&'static str> {
    plan.trail.iter().map(|s| s.rule.as_str()).collect()
}

macro_rules! decision {
    ($name:ident: [$($edit:expr),* $(,)?] => $path:literal, rules [$($rule:literal),* $(,)?], fired [$($fired:literal),* $(,)?]) => {
        #[test]
        fn $name() {
            let plan = support::plan(&[$($edit),*]);
            assert_eq!(plan.path.as_str(), $path, "path; trail: {:#?}", plan.trail);
            let expected_rules: Vec<&str> = vec![$($rule),*];
            let expected_fired: Vec<&str> = vec![$($fired),*];
            assert_eq!(rules(&plan), expected_rules, "rules");
            assert_eq!(fired(&plan), expected_fired, "fired guards");
        }
    };
}

const STEADY_TO_Q3: [&str; 6] = [
    "q1-durability",
    "q2-traffic-shape",
    "q3-team",
    "engine",
    "eviction",
    "sizing",
];

#[test]
fn baseline_is_a_steady_managed_cache() {
    let plan = support::plan(&[]);
    assert_eq!(plan.path.as_str(), "elasticache");
    assert_eq!(rules(&plan), STEADY_TO_Q3);
    assert_eq!(plan.pattern.as_str(), "steady");
}

// Q1
decision!(q1_durable_goes_to_memorydb: ["data.must_not_lose_writes = true"] => "memorydb",
    rules ["q1-durability", "engine", "eviction", "sizing"], fired []);
decision!(q1_durable_beats_bursty_traffic: ["data.must_not_lose_writes = true", "traffic.peak_ops_per_sec = 50000"] => "memorydb",
    rules ["q1-durability", "engine", "eviction", "sizing"], fired []);

// Q2: the pattern derivation and its boundaries.
decision!(q2_ratio_8_exactly_is_bursty: ["traffic.peak_ops_per_sec = 16000"] => "serverless",
    rules ["q1-durability", "q2-traffic-shape", "g1-sustained-throughput", "g2-serverless-limits", "g3-features", "g4-serverless-cost", "engine", "eviction"],
    fired []);
decision!(q2_ratio_just_below_8_is_steady: ["traffic.peak_ops_per_sec = 15999"] => "elasticache",
    rules ["q1-durability", "q2-traffic-shape", "q3-team", "engine", "eviction", "sizing"], fired []);
decision!(q2_12_active_hours_is_intermittent: ["traffic.active_hours_per_day = 12"] => "serverless",
    rules ["q1-durability", "q2-traffic-shape", "g1-sustained-throughput", "g2-serverless-limits", "g3-features", "g4-serverless-cost", "engine", "eviction"],
    fired []);
decision!(q2_13_active_hours_is_not_intermittent: ["traffic.active_hours_per_day = 13"] => "elasticache",
    rules ["q1-durability", "q2-traffic-shape", "q3-team", "engine", "eviction", "sizing"], fired []);
decision!(q2_explicit_steady_wins_over_a_10x_ratio: ["traffic.peak_ops_per_sec = 20000", "traffic.pattern = \"steady\""] => "elasticache",
    rules ["q1-durability", "q2-traffic-shape", "q3-team", "engine", "eviction", "sizing"], fired []);
decision!(q2_explicit_bursty_wins_over_a_5x_ratio: ["traffic.pattern = \"bursty\""] => "serverless",
    rules ["q1-durability", "q2-traffic-shape", "g1-sustained-throughput", "g2-serverless-limits", "g3-features", "g4-serverless-cost", "engine", "eviction"],
    fired []);

// G1
decision!(g1_average_3000_exactly_does_not_fire: ["traffic.peak_ops_per_sec = 30000", "traffic.average_ops_per_sec = 3000"] => "serverless",
    rules ["q1-durability", "q2-traffic-shape", "g1-sustained-throughput", "g2-serverless-limits", "g3-features", "g4-serverless-cost", "engine", "eviction"],
    fired []);
decision!(g1_average_3001_fires: ["traffic.peak_ops_per_sec = 30008", "traffic.average_ops_per_sec = 3001"] => "elasticache",
    rules ["q1-durability", "q2-traffic-shape", "g1-sustained-throughput", "g2-serverless-limits", "g3-features", "g4-serverless-cost", "q3-team", "engine", "eviction", "sizing"],
    fired ["g1-sustained-throughput"]);

// G2: ECPU side (15,000,000 ECPU/s exactly is allowed).
decision!(g2_15m_ecpu_exactly_does_not_fire: ["traffic.peak_ops_per_sec = 150000", "traffic.average_ops_per_sec = 100", "data.item_kb = 100.0", "data.size_gb = 1"] => "serverless",
    rules ["q1-durability", "q2-traffic-shape", "g1-sustained-throughput", "g2-serverless-limits", "g3-features", "g4-serverless-cost", "engine", "eviction"],
    fired []);
decision!(g2_above_15m_ecpu_fires: ["traffic.peak_ops_per_sec = 150001", "traffic.average_ops_per_sec = 100", "data.item_kb = 100.0", "data.size_gb = 1"] => "elasticache",
    rules ["q1-durability", "q2-traffic-shape", "g1-sustained-throughput", "g2-serverless-limits", "g3-features", "g4-serverless-cost", "q3-team", "engine", "eviction", "sizing"],
    fired ["g2-serverless-limits"]);

#[test]
fn g2_5000_gb_exactly_is_within_the_limit_and_5001_is_not() {
    let at = support::plan(&["traffic.pattern = \"bursty\"", "data.size_gb = 5000"]);
    assert!(!fired(&at).contains(&"g2-serverless-limits"), "{:#?}", at.trail);
    let above = support::plan(&["traffic.pattern = \"bursty\"", "data.size_gb = 5001"]);
    assert!(fired(&above).contains(&"g2-serverless-limits"), "{:#?}", above.trail);
    assert_eq!(above.path.as_str(), "elasticache");
}

// G3
decision!(g3_json_with_redis_fires: ["traffic.pattern = \"bursty\"", "data.types = [\"json\"]", "engine.name = \"redis\""] => "elasticache",
    rules ["q1-durability", "q2-traffic-shape", "g1-sustained-throughput", "g2-serverless-limits", "g3-features", "g4-serverless-cost", "q3-team", "engine", "eviction", "sizing"],
    fired ["g3-features"]);
// Serverless has no vector search (ElastiCache runs it on node-based clusters, Valkey 8.2+): G3
// fires for Valkey too, and the plan picks Valkey 8.2.
decision!(g3_vector_with_valkey_fires: ["traffic.pattern = \"bursty\"", "data.types = [\"vector\"]"] => "elasticache",
    rules ["q1-durability", "q2-traffic-shape", "g1-sustained-throughput", "g2-serverless-limits", "g3-features", "g4-serverless-cost", "q3-team", "engine", "eviction", "sizing"],
    fired ["g3-features"]);
decision!(g3_json_with_valkey_does_not_fire: ["traffic.pattern = \"bursty\"", "data.types = [\"json\"]"] => "serverless",
    rules ["q1-durability", "q2-traffic-shape", "g1-sustained-throughput", "g2-serverless-limits", "g3-features", "g4-serverless-cost", "engine", "eviction"],
    fired []);

/// Vector search runs where AWS runs it (catalog.toml `[search]`): Valkey 8.2+ on ElastiCache,
/// Redis OSS 7.1 with `search-enabled` on one MemoryDB shard; full-text search nowhere rediform
/// offers; the review found modules that could not run FT.* on every path.
#[test]
fn vector_search_runs_where_aws_runs_it() {
    let c = Catalog::embedded();
    let plan = support::plan(&["data.types = [\"vector\"]"]);
    assert_eq!(plan.engine_version.to_string(), "8.2");
    let plan = support::plan(&[
        "data.types = [\"vector\"]",
        "data.must_not_lose_writes = true",
        "engine.name = \"redis\"",
    ]);
    assert_eq!(plan.vector_search.as_deref(), Some("search-enabled"));
    assert_eq!(plan.engine_version.to_string(), "7.1");
    let refused = |edits: &[&str], key: &str, words: &str| {
        let problems = rediform::build(&support::workload(edits), &c).unwrap_err();
        assert!(
            problems.iter().any(|d| d.key == key && d.message.contains(words)),
            "{edits:?}: {problems:?}"
        );
    };
    refused(
        &["data.types = [\"vector\"]", "engine.version = \"8.0\""],
        "engine.version",
        "Valkey 8.2",
    );
    refused(
        &["data.types = [\"vector\"]", "engine.name = \"redis\""],
        "engine.name",
        "no vector search",
    );
    refused(&["data.types = [\"search\"]"], "data.types", "Valkey 9.0");
    refused(
        &["data.types = [\"vector\"]", "data.must_not_lose_writes = true"],
        "engine.name",
        "Redis OSS 7.1",
    );
    refused(
        &[
            "data.types = [\"vector\"]",
            "data.must_not_lose_writes = true",
            "engine.name = \"redis\"",
            "data.size_gb = 300",
        ],
        "data.size_gb",
        "single shard",
    );
    refused(
        &["data.types = [\"vector\"]", "override.path = \"serverless\""],
        "data.types",
        "node-based",
    );
    refused(
        &["data.types = [\"vector\"]", "override.path = \"self-hosted\""],
        "data.types",
        "search module",
    );
}

/// G4 at its edge: prices set so serverless costs exactly 1.5x ElastiCache on-demand, then a hair more.
/// ElastiCache: 2 x cache.r7g.xlarge (the cheapest fit, cheaper still at $0.50/h) = $730, backups
/// free; serverless: 10 GB x 730 h x $0.15 = $1,095 = 1.5 x.
const G4_EDITS: [&str; 1] = ["traffic.pattern = \"bursty\""];

fn g4_catalog(storage_price: &str) -> Catalog {
    Catalog::with_prices(&format!(
        "[elasticache_nodes.\"cache.r7g.xlarge\"]\nvalkey = 0.5\n[elasticache_backups]\nusd_per_gb_month = 0.0\n[serverless.valkey]\nstorage_usd_per_gb_hour = {storage_price}\nusd_per_million_ecpu = 0.0\nmin_storage_gb = 0.1\n"
    ))
    .unwrap()
}

#[test]
fn g4_exactly_1_5x_does_not_fire() {
    let plan = support::plan_with(&G4_EDITS, &g4_catalog("0.15"));
    assert_eq!(plan.costs.elasticache.on_demand_usd_per_month, Some(730.0));
    assert_eq!(plan.costs.serverless.on_demand_usd_per_month, Some(1095.0));
    assert_eq!(plan.path.as_str(), "serverless", "{:#?}", plan.trail);
    assert!(fired(&plan).is_empty());
}

#[test]
fn g4_above_1_5x_fires() {
    let plan = support::plan_with(&G4_EDITS, &g4_catalog("0.1501"));
    assert_eq!(plan.path.as_str(), "elasticache", "{:#?}", plan.trail);
    assert_eq!(fired(&plan), ["g4-serverless-cost"]);
    let g4 = plan
        .trail
        .iter()
        .find(|s| s.rule.as_str() == "g4-serverless-cost")
        .unwrap();
    assert!(
        g4.answer.contains("$1,095.73") && g4.answer.contains("$730.00") && g4.answer.contains("= $1,095.00 "),
        "{}",
        g4.answer
    );
}

// Q3, Q4, G5
decision!(q3_sre_capacity_without_cost_pressure_stays_managed: ["team.sre_capacity = true"] => "elasticache",
    rules ["q1-durability", "q2-traffic-shape", "q3-team", "q4-cost", "engine", "eviction", "sizing"], fired []);
decision!(q4_cost_sensitive_at_160_gb_self_hosts_when_cheaper: ["team.sre_capacity = true", "team.cost_sensitive = true", "data.size_gb = 160", "backup.retention_days = 1"] => "self-hosted",
    rules ["q1-durability", "q2-traffic-shape", "q3-team", "q4-cost", "g5-self-host-justified", "g6-self-host-cheaper", "engine", "eviction"], fired []);
decision!(g5_below_100_gb_fires: ["team.sre_capacity = true", "team.cost_sensitive = true", "data.size_gb = 99.9"] => "elasticache",
    rules ["q1-durability", "q2-traffic-shape", "q3-team", "q4-cost", "g5-self-host-justified", "engine", "eviction", "sizing"],
    fired ["g5-self-host-justified"]);
decision!(g5_full_control_self_hosts_small_data: ["team.sre_capacity = true", "team.cost_sensitive = true", "team.needs_full_control = true"] => "self-hosted",
    rules ["q1-durability", "q2-traffic-shape", "q3-team", "q4-cost", "g5-self-host-justified", "g6-self-host-cheaper", "engine", "eviction"], fired []);
decision!(q3_without_sre_ignores_cost_sensitivity: ["team.cost_sensitive = true", "data.size_gb = 150"] => "elasticache",
    rules ["q1-durability", "q2-traffic-shape", "q3-team", "engine", "eviction", "sizing"], fired []);

// Rule 0: each override.
decision!(override_forces_memorydb: ["override.path = \"memorydb\""] => "memorydb", rules ["override", "engine", "eviction", "sizing"], fired []);
decision!(override_forces_serverless: ["override.path = \"serverless\""] => "serverless", rules ["override", "engine", "eviction"], fired []);
decision!(override_forces_self_hosted: ["override.path = \"self-hosted\""] => "self-hosted", rules ["override", "engine", "eviction"], fired []);
decision!(override_forces_elasticache_over_durability: ["override.path = \"elasticache\"", "data.must_not_lose_writes = true"] => "elasticache",
    rules ["override", "engine", "eviction", "sizing"], fired []);

#[test]
fn override_records_what_the_rules_would_pick_and_the_durability_risk() {
    let plan = support::plan(&["override.path = \"elasticache\"", "data.must_not_lose_writes = true"]);
    let step = &plan.trail[0];
    assert!(
        step.outcome.contains("the rules alone pick memorydb"),
        "{}",
        step.outcome
    );
    assert!(
        step.outcome.contains("can lose acknowledged writes"),
        "{}",
        step.outcome
    );
}

#[test]
fn overrides_of_topology_are_applied() {
    let plan = support::plan(&[
        "override.node_type = \"cache.r7g.xlarge\"",
        "override.shards = 3",
        "override.replicas_per_shard = 2",
    ]);
    let rediform::plan::Topology::ReplicationGroup(r) = &plan.topology else {
        panic!("{:?}", plan.topology)
    };
    assert_eq!(
        (r.node_type.as_str(), r.shards, r.replicas_per_shard, r.nodes),
        ("cache.r7g.xlarge", 3, 2, 9)
    );
    assert!(r.cluster_mode);
}

// Engine and eviction.
#[test]
fn auto_engine_picks_memcached_only_on_8_vcpu_string_caches() {
    // 20 GB needs cache.r7g.2xlarge (8 vCPUs); 15 GB fits cache.r7g.xlarge (4 vCPUs).
    let big = support::plan(&["engine.name = \"auto\"", "data.size_gb = 20"]);
    assert_eq!(big.engine.as_str(), "memcached", "{:#?}", big.trail);
    let small = support::plan(&["engine.name = \"auto\"", "data.size_gb = 15"]);
    assert_eq!(small.engine.as_str(), "valkey");
    let hashes = support::plan(&[
        "engine.name = \"auto\"",
        "data.size_gb = 20",
        "data.types = [\"hashes\"]",
    ]);
    assert_eq!(hashes.engine.as_str(), "valkey");
    let ttl = support::plan(&[
        "engine.name = \"auto\"",
        "data.size_gb = 20",
        "data.keys_without_ttl = true",
    ]);
    assert_eq!(ttl.engine.as_str(), "valkey");
    let serverless = support::plan(&[
        "engine.name = \"auto\"",
        "data.size_gb = 20",
        "override.path = \"serverless\"",
    ]);
    assert_eq!(serverless.engine.as_str(), "valkey");
}

#[test]
fn eviction_follows_the_workload() {
    let policy = |edits: &[&str]| support::plan(edits).eviction.policy_name();
    assert_eq!(policy(&[]), "allkeys-lru");
    assert_eq!(policy(&["data.keys_without_ttl = true"]), "volatile-lru");
    assert_eq!(policy(&["data.must_not_lose_writes = true"]), "noeviction");
    assert_eq!(policy(&["data.eviction = \"allkeys-lfu\""]), "allkeys-lfu");
    assert_eq!(
        policy(&["traffic.pattern = \"bursty\"", "data.eviction = \"allkeys-lru\""]),
        "volatile-lru"
    );
}

#[test]
fn non_prod_runs_without_replicas_and_says_so() {
    let plan = support::plan(&["workload.environment = \"dev\"", "data.size_gb = 1"]);
    let rediform::plan::Topology::ReplicationGroup(r) = &plan.topology else {
        panic!()
    };
    assert_eq!(
        (r.node_type.as_str(), r.replicas_per_shard, r.multi_az),
        ("cache.t4g.medium", 0, false)
    );
    assert!(rules(&plan).contains(&"multi-az"));
}

#[test]
fn every_rule_id_is_reached_by_some_fixture() {
    let mut seen = std::collections::BTreeSet::new();
    let mut fired_somewhere = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(support::root().join("fixtures")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let w = rediform::parse(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let plan = rediform::build(&w, &Catalog::embedded()).unwrap();
            seen.extend(plan.trail.iter().map(|s| s.rule.as_str()));
            fired_somewhere.extend(fired(&plan));
            seen.insert(plan.path.as_str());
        }
    }
    let mut expected: Vec<&str> = rediform::decide::Rule::ALL.iter().map(|r| r.as_str()).collect();
    expected.extend(rediform::names::PathId::ALL.iter().map(|p| p.as_str()));
    let missing: Vec<&&str> = expected.iter().filter(|r| !seen.contains(*r)).collect();
    assert!(missing.is_empty(), "no fixture reaches {missing:?}");
    let guards = [
        "g1-sustained-throughput",
        "g2-serverless-limits",
        "g3-features",
        "g4-serverless-cost",
        "g5-self-host-justified",
    ];
    let silent: Vec<&&str> = guards.iter().filter(|g| !fired_somewhere.contains(*g)).collect();
    assert!(silent.is_empty(), "no fixture makes {silent:?} fire");
}

/// Self-hosted nodes run Sentinel on 26379 beside Valkey, as the unprivileged valkey user: a
/// client port that clashes with Sentinel (duplicate security group rules, a boot that fails) or
/// needs root is refused (found by the AWS review).
#[test]
fn self_hosted_refuses_the_sentinel_port_and_privileged_ports() {
    for port in [26379, 80] {
        let w = support::workload(&["override.path = \"self-hosted\"", &format!("network.port = {port}")]);
        let problems = rediform::build(&w, &Catalog::embedded()).unwrap_err();
        assert!(
            problems
                .iter()
                .any(|d| d.key == "network.port" && d.message.contains(&port.to_string())),
            "{problems:?}"
        );
    }
    let w = support::workload(&["override.path = \"self-hosted\"", "network.port = 7000"]);
    assert_eq!(rediform::build(&w, &Catalog::embedded()).unwrap().port, 7000);
}

/// Self-hosted installs Amazon Linux 2023's Valkey 8 package: other versions cannot be promised,
/// and the boot script stops if the package is not Valkey 8.
#[test]
fn self_hosted_runs_the_distributions_valkey_8_only() {
    let w = support::workload(&["override.path = \"self-hosted\"", "engine.version = \"7.2\""]);
    let problems = rediform::build(&w, &Catalog::embedded()).unwrap_err();
    assert!(problems.iter().any(|d| d.key == "engine.version"), "{problems:?}");
    let plan = support::plan(&["override.path = \"self-hosted\""]);
    assert_eq!(plan.engine_version.to_string(), "8.0");
}
