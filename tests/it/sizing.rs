//! Sizing by every resource (issue #12): the eight findings of the audit, each with its numbers,
//! and a property test that checks the topology search against an independent brute force.

use proptest::prelude::*;
use rediform::cost::PathCost;
use rediform::names::Named;
use rediform::size::{data_gib_per_node, node_ops, Demand, EngineModel, Replicated, Topology};
use rediform::{Catalog, Plan};

use crate::support;

/// The replicated topology a path priced.
fn replicated(cost: &PathCost) -> &Replicated {
    match cost.topology.as_ref().expect("the path has a topology") {
        Topology::ReplicationGroup(r) | Topology::MemorydbCluster(r) => r,
        other => panic!("not a replicated topology: {other:?}"),
    }
}

fn step<'a>(plan: &'a Plan, rule: &str) -> &'a rediform::decide::Step {
    plan.trail
        .iter()
        .find(|s| s.rule.as_str() == rule)
        .unwrap_or_else(|| panic!("no {rule} step in {:#?}", plan.trail))
}

/// Whether `nodes` of `node` with `replicas` per shard clear every constraint of the sizing model,
/// recomputed here from the catalog's figures, not with the search's code.
fn clears(c: &Catalog, d: &Demand, node: &str, shards: u32, replicas: u32, model: EngineModel, memorydb: bool) -> bool {
    let spec = c.node(node).unwrap();
    let shards = f64::from(shards);
    let slack = 1e-9;
    let ops = node_ops(c, model, spec.vcpu);
    // With one node of the shard down.
    let serving = if d.reads_from_replicas {
        f64::from(replicas.max(1))
    } else {
        1.0
    };
    let reads_per_node = d.reads / serving / shards;
    let writes_per_shard = d.writes / shards;
    let mut ok = d.data_gib <= shards * data_gib_per_node(c, spec) * (1.0 + slack)
        && writes_per_shard + reads_per_node <= ops * (1.0 + slack)
        && reads_per_node <= ops * (1.0 + slack);
    if let Some(gbps) = spec.baseline_gbps {
        let bytes = gbps * 1e9 / 8.0 * f64::from(c.capacity.network_use_percent) / 100.0;
        let out_primary = (reads_per_node + writes_per_shard * f64::from(replicas)) * d.bytes_per_op;
        let into_primary = writes_per_shard * d.bytes_per_op;
        ok &= out_primary.max(into_primary) <= bytes * (1.0 + slack);
    }
    if memorydb {
        ok &=
            writes_per_shard * d.bytes_per_op / 1e6 <= c.capacity.memorydb_write_mb_per_sec_per_primary * (1.0 + slack);
    }
    ok
}

// Finding 1: reads, total operations and network are sized.
#[test]
fn a_million_ops_on_5_gb_gets_the_nodes_to_serve_them() {
    let plan = support::plan(&[
        "data.size_gb = 5",
        "traffic.peak_ops_per_sec = 1000000",
        "traffic.average_ops_per_sec = 800000",
        "traffic.read_percent = 95",
    ]);
    let c = Catalog::embedded();
    let r = replicated(&plan.costs.elasticache);
    // Before: 2 x cache.r7g.large, one primary at 1,000,000 ops/s. Each Valkey 8 node serves at
    // most 6 x 100,000 ops/s (catalog [capacity]), so at least 2 shards carry the peak.
    assert!(r.shards >= 2, "{r:?}");
    let per_node = node_ops(&c, EngineModel::ValkeyIoThreads, r.vcpu);
    assert!(f64::from(r.shards) * per_node >= 1_000_000.0, "{r:?}");
    assert_eq!(r.binding, rediform::size::Binding::Primaries, "{r:?}");
    assert!(step(&plan, "sizing")
        .outcome
        .contains("binding: operations on the primaries: 1,000,000 ops/s"));
}

#[test]
fn ninety_thousand_ops_of_8_kb_need_6_gbps_of_network() {
    let plan = support::plan(&[
        "data.size_gb = 5",
        "data.item_kb = 8.0",
        "traffic.peak_ops_per_sec = 90000",
        "traffic.average_ops_per_sec = 60000",
    ]);
    let r = replicated(&plan.costs.elasticache);
    // 90,000 x 80 % reads x 8 KiB out + 18,000 writes x 8 KiB to the replica = 5.90 Gbps out of
    // the primary; before, it landed on cache.r7g.large (0.937 Gbps baseline).
    let sizing = step(&plan, "sizing");
    assert!(
        sizing.answer.contains("network: 5.90 Gbps at the peak"),
        "{}",
        sizing.answer
    );
    let c = Catalog::embedded();
    let gbps = c.node(&r.node_type).unwrap().baseline_gbps.unwrap();
    assert!(f64::from(r.shards) * gbps * 0.8 >= 5.90, "{r:?}");
    assert_eq!(r.binding, rediform::size::Binding::Network, "{r:?}");
}

// Finding 2: MemoryDB's 100 MB/s per primary.
#[test]
fn memorydb_at_25000_writes_of_10_kb_gets_3_shards() {
    let plan = support::plan(&[
        "data.size_gb = 5",
        "data.must_not_lose_writes = true",
        "data.item_kb = 10.0",
        "traffic.peak_ops_per_sec = 50000",
        "traffic.average_ops_per_sec = 30000",
        "traffic.read_percent = 50",
    ]);
    assert_eq!(plan.path.as_str(), "memorydb");
    let r = replicated(&plan.costs.memorydb);
    // 25,000 x 10 KiB = 256 MB/s over 100 MB/s per primary: 3 shards (before: 1).
    assert!(r.shards >= 3, "{r:?}");
    assert!(
        r.constraints
            .contains("write throughput: 256.0 MB/s at the peak, 100 MB/s per primary"),
        "{}",
        r.constraints
    );
}

// Finding 3: a request costs at least one ECPU.
#[test]
fn half_kilobyte_items_at_30000_ops_need_30000_ecpu_per_second() {
    let plan = support::plan(&[
        "traffic.pattern = \"bursty\"",
        "data.item_kb = 0.5",
        "traffic.peak_ops_per_sec = 30000",
        "traffic.average_ops_per_sec = 2000",
    ]);
    let Some(Topology::Serverless(s)) = &plan.costs.serverless.topology else {
        panic!("{:?}", plan.costs.serverless.topology)
    };
    // Before: 30,000 x 0.5 = 15,000 ECPU/s at the peak (x1.5 = 22,500), throttled.
    assert_eq!(s.peak_ecpu_per_second, 30000.0);
    assert!(s.ecpu_per_second >= 30000, "{s:?}");
    // The cost counts one ECPU per request too: 2,000 ops/s x 2,628,000 s x 24 h/24 = 5,256
    // million ECPU a month.
    let ecpu_line = plan
        .costs
        .serverless
        .lines
        .iter()
        .find(|l| l.item.contains("ECPU"))
        .unwrap();
    assert!(ecpu_line.item.contains("5256"), "{}", ecpu_line.item);
}

// Finding 4: Memcached is sized, and a larger cache never costs less.
#[test]
fn memcached_cost_grows_with_the_data() {
    let cost = |gb: f64| {
        let plan = support::plan(&[
            "engine.name = \"memcached\"",
            "data.types = [\"strings\"]",
            &format!("data.size_gb = {gb}"),
        ]);
        plan.costs.elasticache.on_demand_usd_per_month.unwrap()
    };
    let forty = cost(40.0);
    let hundred = cost(100.0);
    // Before: $2,547.70 for 40 GB, $2,233.07 for 100 GB.
    assert!(forty < hundred, "40 GB ${forty} vs 100 GB ${hundred}");
    let mut last = 0.0;
    for gb in [1.0, 5.0, 10.0, 20.0, 40.0, 60.0, 100.0, 150.0, 200.0] {
        let usd = cost(gb);
        assert!(usd >= last, "{gb} GB costs ${usd}, less than ${last}");
        last = usd;
    }
}

// Finding 5: cluster mode when it is cheaper.
#[test]
fn thirty_five_gb_in_prod_runs_on_the_cheapest_shards() {
    let plan = support::plan(&["data.size_gb = 35"]);
    let r = replicated(&plan.costs.elasticache);
    let nodes = &plan.costs.elasticache.lines[0];
    // Before: one cache.r7g.4xlarge pair, $2,038.16; 3 shards of cache.r7g.xlarge cost $1,531.25.
    assert!(nodes.on_demand_usd_per_month <= 1531.25, "{r:?}: {}", nodes.item);
    assert!(r.cluster_mode, "{r:?}");
}

// Finding 6: GB is not GiB.
#[test]
fn size_gb_is_converted_to_gib_before_it_meets_node_memory() {
    // 7.85 GB = 7.31 GiB: one cache.r7g.large shard holds 13.07 x 75 % x 80 % = 7.84 GiB.
    let plan = support::plan(&["data.size_gb = 7.85"]);
    let r = replicated(&plan.costs.elasticache);
    assert_eq!(r.node_type, "cache.r7g.large", "{r:?}");
    assert_eq!(r.shards, 1);
    // 8.5 GB = 7.92 GiB no longer fits it.
    let plan = support::plan(&["data.size_gb = 8.5"]);
    let r = replicated(&plan.costs.elasticache);
    assert!(r.node_type != "cache.r7g.large" || r.shards > 1, "{r:?}");
}

// Finding 7: G6.
#[test]
fn cost_sensitive_at_100_gb_stays_on_elasticache_when_self_hosting_is_dearer() {
    let plan = support::plan(&[
        "team.sre_capacity = true",
        "team.cost_sensitive = true",
        "data.size_gb = 100",
    ]);
    assert_eq!(plan.path.as_str(), "elasticache");
    let g6 = step(&plan, "g6-self-host-cheaper");
    assert!(g6.outcome.starts_with("fires"), "{g6:?}");
    let ops = plan
        .costs
        .self_hosted
        .lines
        .iter()
        .find(|l| l.item.starts_with("engineer time"))
        .unwrap()
        .on_demand_usd_per_month;
    let infra = plan.costs.self_hosted.on_demand_usd_per_month.unwrap() - ops;
    let elasticache = plan.costs.elasticache.on_demand_usd_per_month.unwrap();
    assert!(infra > 0.9 * elasticache, "{infra} vs {elasticache}");
    assert!(g6.answer.contains(&rediform::units::usd(infra)), "{}", g6.answer);
    assert!(g6.answer.contains(&rediform::units::usd(elasticache)), "{}", g6.answer);
}

// Finding 8: the trail says what the workload says.
#[test]
fn the_trail_prints_the_active_hours_the_ecpu_share_and_the_exact_threshold() {
    let plan = support::plan(&["traffic.active_hours_per_day = 13"]);
    let q2 = step(&plan, "q2-traffic-shape");
    assert!(q2.answer.contains("active 13 h/day (> 12)"), "{}", q2.answer);
    // G4 names the charge that dominates: ECPUs here (priced up), storage with the list prices
    // on a large dataset.
    let ecpu_heavy = Catalog::with_prices("[serverless.valkey]\nusd_per_million_ecpu = 1.0\n").unwrap();
    let plan = support::plan_with(&["traffic.pattern = \"bursty\""], &ecpu_heavy);
    let g4 = step(&plan, "g4-serverless-cost");
    assert!(
        g4.outcome.starts_with("fires") && g4.outcome.contains("per-ECPU charge"),
        "{g4:?}"
    );
    let plan = support::plan(&["traffic.pattern = \"bursty\"", "data.size_gb = 400"]);
    let g4 = step(&plan, "g4-serverless-cost");
    assert!(
        g4.outcome.starts_with("fires") && g4.outcome.contains("per-GB-hour storage"),
        "{g4:?}"
    );
}

/// The node types, shard counts and replica counts the search may use, by the SPEC §5 rules.
fn search_space(c: &Catalog, prefix: &str, prod: bool, min_replicas: u32) -> Vec<(String, u32, u32)> {
    let s = &c.sizing;
    let families: &[&str] = if prod {
        &["r7g.", "m7g."]
    } else {
        &["t4g.", "r7g.", "m7g."]
    };
    let memory = |n: &str| c.node(&format!("{prefix}{n}")).unwrap().memory_gib;
    let mut out = Vec::new();
    for family in families {
        for (node, spec) in c.family(&format!("{prefix}{family}")) {
            for replicas in min_replicas..=s.max_replicas_per_shard {
                for shards in 1..=s.max_shards {
                    let single = shards == 1 && spec.memory_gib <= memory(&s.largest_single_shard_node);
                    let cluster =
                        shards > 1 && *family != "t4g." && spec.memory_gib >= memory(&s.smallest_cluster_node);
                    if (single || cluster) && shards * (1 + replicas) <= s.max_nodes_per_cluster {
                        out.push((node.to_owned(), shards, replicas));
                    }
                }
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    /// The chosen topology clears every constraint, and no topology of the search space that
    /// clears them all costs less (within the default node quota when the chosen one is).
    #[test]
    fn the_chosen_topology_fits_and_nothing_cheaper_does(
        size_gb in 0.1f64..600.0,
        peak in 100u64..1_500_000,
        read_percent in 0u32..=100,
        item_kb in 0.1f64..64.0,
        from_replicas in any::<bool>(),
        env in prop::sample::select(vec!["prod", "dev"]),
        durable in any::<bool>(),
    ) {
        let edits = [
            format!("data.size_gb = {size_gb:.2}"),
            format!("data.item_kb = {item_kb:.2}"),
            format!("traffic.peak_ops_per_sec = {peak}"),
            format!("traffic.average_ops_per_sec = {}", (peak / 2).max(1)),
            format!("traffic.read_percent = {read_percent}"),
            format!("traffic.reads_from_replicas = {from_replicas}"),
            format!("workload.environment = \"{env}\""),
            format!("data.must_not_lose_writes = {durable}"),
        ];
        let edits: Vec<&str> = edits.iter().map(String::as_str).collect();
        let w = support::workload(&edits);
        let c = Catalog::embedded();
        let Ok(plan) = rediform::build(&w, &c) else { return Ok(()) };
        let d = Demand::of(&w);
        let prod = env == "prod";
        for (cost, prefix, memorydb, table) in [
            (&plan.costs.elasticache, "cache.", false, &c.prices.elasticache_nodes),
            (&plan.costs.memorydb, "db.", true, &c.prices.memorydb_nodes),
        ] {
            let Some(Topology::ReplicationGroup(r) | Topology::MemorydbCluster(r)) = &cost.topology else { continue };
            // MemoryDB offers Valkey 7.2 and Redis OSS 7: one command thread with Enhanced I/O.
            let model = if memorydb { EngineModel::EnhancedIo } else { EngineModel::of(cost.engine, None) };
            prop_assert!(clears(&c, &d, &r.node_type, r.shards, r.replicas_per_shard, model, memorydb), "{:?} does not clear {:?}", r, d);
            let price = |node: &str| table.get(node).and_then(|p| p.on_demand(cost.engine));
            let chosen = price(&r.node_type).unwrap() * f64::from(r.nodes);
            let min_replicas = u32::from(memorydb || prod);
            let quota = c.sizing.default_node_quota;
            for (node, shards, replicas) in search_space(&c, prefix, prod, min_replicas) {
                let nodes = shards * (1 + replicas);
                if r.nodes <= quota && nodes > quota {
                    continue;
                }
                let Some(hourly) = price(&node) else { continue };
                if hourly * f64::from(nodes) < chosen - 1e-9 {
                    prop_assert!(
                        !clears(&c, &d, &node, shards, replicas, model, memorydb),
                        "{} x {} with {} replicas (${}/h) clears the workload and costs less than {:?} (${}/h)",
                        shards, node, replicas, hourly * f64::from(nodes), r, chosen
                    );
                }
            }
        }
    }
}

/// Round-2 review: sizing that survives the loss of a node, and what AWS really offers.
#[test]
fn reads_spread_over_replicas_are_served_with_one_node_down() {
    // 400,000 reads/s from replicas on Valkey 8: with one replica, a failover leaves one node to
    // serve them all, so the shard's nodes are sized as if there were one fewer.
    let plan = support::plan(&[
        "data.size_gb = 5",
        "traffic.peak_ops_per_sec = 420000",
        "traffic.average_ops_per_sec = 300000",
        "traffic.read_percent = 95",
        "traffic.reads_from_replicas = true",
    ]);
    let r = replicated(&plan.costs.elasticache);
    let c = Catalog::embedded();
    let per_node = node_ops(&c, EngineModel::ValkeyIoThreads, r.vcpu);
    let serving = f64::from(r.replicas_per_shard.max(1));
    let reads = 420_000.0 * 0.95 / f64::from(r.shards);
    assert!(reads / serving + 21_000.0 / f64::from(r.shards) <= per_node, "{r:?}");
}

#[test]
fn memcached_nodes_lose_only_their_connection_overhead_and_prod_keeps_one_to_spare() {
    let c = Catalog::embedded();
    let small = c.node("cache.t4g.small").unwrap();
    let held = rediform::size::memcached_data_gib_per_node(&c, small);
    // (1.37 GiB - 100 MB) x 80 %: no 25 % reserve.
    assert!((held - (1.37 - 100.0 / 1024.0) * 0.8).abs() < 1e-9, "{held}");
    let needed = |env: &str| {
        let plan = support::plan(&[
            "engine.name = \"memcached\"",
            "data.types = [\"strings\"]",
            "data.size_gb = 100",
            &format!("workload.environment = \"{env}\""),
        ]);
        match plan.costs.elasticache.topology.unwrap() {
            Topology::MemcachedCluster(m) => (m.nodes, m.node_type, m.memory_gib),
            other => panic!("{other:?}"),
        }
    };
    let (nodes, node, _) = needed("prod");
    let spec = c.node(&node).unwrap();
    let data = 100.0 * rediform::size::GIB_PER_GB;
    let minimum = (data / rediform::size::memcached_data_gib_per_node(&c, spec)).ceil() as u32;
    assert_eq!(nodes, minimum.max(1) + 1, "{node}");
}

#[test]
fn memorydb_vector_search_is_sized_on_one_shard_of_any_size() {
    let plan = support::plan(&[
        "data.types = [\"vector\"]",
        "data.must_not_lose_writes = true",
        "engine.name = \"redis\"",
        "data.size_gb = 100",
    ]);
    let r = replicated(&plan.costs.memorydb);
    // 93.13 GiB: one db.r7g.8xlarge (209.55 GiB; 125.73 GiB of data), not 3 shards.
    assert_eq!((r.shards, r.node_type.as_str()), (1, "db.r7g.8xlarge"), "{r:?}");
    assert_eq!(plan.vector_search.as_deref(), Some("search-enabled"));
}
