//! Every fixture's whole `decide` output as an insta snapshot (text and JSON), and cost figures
//! recomputed by hand.

use rediform::{report, Catalog};

use crate::support;

#[test]
fn decide_every_fixture() {
    insta::glob!("../../fixtures", "*.toml", |path| {
        // globset's `*` crosses `/`: fixtures/invalid/ has its own test (errors.rs).
        if path.parent().is_some_and(|p| p.ends_with("invalid")) {
            return;
        }
        let text = std::fs::read_to_string(path).unwrap();
        let w = rediform::parse(&text).unwrap();
        let plan = rediform::build(&w, &Catalog::embedded()).unwrap();
        let file = support::rel(path);
        let out = format!(
            "{}\n--- decide --format json ---\n{}",
            report::text(&plan, &file),
            report::json(std::slice::from_ref(&plan))
        );
        insta::assert_snapshot!(out);
    });
}

/// Round prices make the arithmetic checkable on paper.
fn round_prices() -> Catalog {
    Catalog::with_prices(
        "[elasticache_nodes.\"cache.r7g.large\"]\nvalkey = 0.2\nreserved_1y_valkey = 0.13\n\
         [serverless.valkey]\nstorage_usd_per_gb_hour = 0.1\nusd_per_million_ecpu = 0.002\nmin_storage_gb = 0.1\n\
         [memorydb_nodes.\"db.r7g.large\"]\nvalkey = 0.3\n\
         [memorydb_data_written]\nvalkey_usd_per_gb = 0.04\nvalkey_free_gb_per_month = 10240\nredis_usd_per_gb = 0.2\n",
    )
    .unwrap()
}

#[test]
fn serverless_cost_by_hand() {
    // 4 GB stored all month: 4 GB x 730 h x $0.10/GB-hour = $292.00.
    // 2,000 ops/s x 2 KB = 4,000 ECPU/s; x 3,600 s x 730 h = 10,512,000,000 ECPUs = 10,512 million
    // x $0.002 per million = $21.02 (not $21 billion: the price is per *million* ECPUs).
    let plan = support::plan_with(
        &["data.size_gb = 4", "data.item_kb = 2.0", "traffic.pattern = \"bursty\""],
        &round_prices(),
    );
    let s = &plan.costs.serverless;
    assert_eq!(s.lines[0].on_demand_usd_per_month, 292.0);
    assert_eq!(s.lines[1].on_demand_usd_per_month, 21.02);
    assert_eq!(s.on_demand_usd_per_month, Some(313.02));
    assert_eq!(s.reserved_1y_usd_per_month, None);
    // Intermittent: half the active hours, half the ECPUs; storage is metered all month.
    let half = support::plan_with(
        &[
            "data.size_gb = 4",
            "data.item_kb = 2.0",
            "traffic.active_hours_per_day = 12",
        ],
        &round_prices(),
    );
    assert_eq!(half.costs.serverless.on_demand_usd_per_month, Some(292.0 + 10.51));
}

#[test]
fn node_based_cost_by_hand() {
    // 5 GB fits one cache.r7g.large (13.07 GiB x 75 % x 80 % = 7.84 GiB); prod adds a replica:
    // 2 nodes x 730 h x $0.20 = $292.00 on-demand, x $0.13 = $189.80 reserved; 7 daily backups,
    // one free: 6 x 5 GB x $0.085 = $2.55.
    let plan = support::plan_with(&["data.size_gb = 5"], &round_prices());
    let e = &plan.costs.elasticache;
    assert_eq!(e.summary, "2 x cache.r7g.large");
    assert_eq!(e.lines[0].on_demand_usd_per_month, 292.0);
    assert_eq!(e.lines[1].on_demand_usd_per_month, 2.55);
    assert_eq!(e.on_demand_usd_per_month, Some(294.55));
    assert_eq!(e.reserved_1y_usd_per_month, Some(192.35));
}

#[test]
fn memorydb_cost_by_hand() {
    // 2 x db.r7g.large x 730 h x $0.30 = $438.00; writes: 2,000 ops/s x 20 % x 1 KB over a month
    // = 400 KB/s x 2,628,000 s = 1,002.5 GB, inside Valkey's 10 TB free allowance: $0.
    let plan = support::plan_with(
        &["data.size_gb = 5", "data.must_not_lose_writes = true"],
        &round_prices(),
    );
    let m = &plan.costs.memorydb;
    assert_eq!(m.summary, "2 x db.r7g.large");
    assert_eq!(m.lines[0].on_demand_usd_per_month, 438.0);
    assert_eq!(m.lines[1].on_demand_usd_per_month, 0.0);
    assert!(m.lines[1].item.starts_with("1003 GB written"), "{}", m.lines[1].item);
}

#[test]
fn self_hosted_cost_adds_engineer_time() {
    let plan = support::plan(&["team.ops_cost_usd_per_month = 1234"]);
    let h = &plan.costs.self_hosted;
    let people = h.lines.iter().find(|l| l.item.starts_with("engineer time")).unwrap();
    assert_eq!(people.on_demand_usd_per_month, 1234.0);
    let sum: f64 = h.lines.iter().map(|l| l.on_demand_usd_per_month).sum();
    assert!((h.on_demand_usd_per_month.unwrap() - sum).abs() < 0.01);
}
