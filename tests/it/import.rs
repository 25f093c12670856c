//! `rediform prices import` (issue #13): AWS Price List offer files in, a prices file out.

use std::fs;

use rediform::import::{import, ImportError, OfferFile, PurchaseOption};
use rediform::names::Named;
use rediform::Catalog;

use crate::support::{self, rediform};

fn offer(path: &str) -> OfferFile<'static> {
    let path = support::root().join(path);
    OfferFile {
        name: path.display().to_string(),
        open: Box::new(move || Ok(Box::new(fs::File::open(&path)?) as Box<dyn rediform::import::ReadSeek>)),
    }
}

fn text(name: &str, json: String) -> OfferFile<'static> {
    OfferFile {
        name: name.to_owned(),
        open: Box::new(move || {
            Ok(Box::new(std::io::Cursor::new(json.clone().into_bytes())) as Box<dyn rediform::import::ReadSeek>)
        }),
    }
}

/// An import for us-east-1 against the built-in catalog.
fn us_east_1(files: &[OfferFile<'_>], option: PurchaseOption) -> Result<rediform::import::Imported, ImportError> {
    import(files, "us-east-1", option, &Catalog::embedded())
}

const SAMPLES: [&str; 2] = [
    "fixtures/offers/AmazonElastiCache-us-east-1.json",
    "fixtures/offers/AmazonEC2-us-east-1.json",
];

#[test]
fn an_import_of_the_samples_reproduces_the_built_in_us_east_1_figures() {
    let built_in = Catalog::embedded();
    let imported = import(&SAMPLES.map(offer), "us-east-1", PurchaseOption::NoUpfront, &built_in).unwrap();
    let table: toml::Table = toml::from_str(&imported.toml).unwrap();
    let catalog = Catalog::with_prices(&imported.toml).unwrap();
    assert!(catalog.stale_prices.is_empty(), "same region: nothing is stale");
    // Every figure the import holds (reservations aside: rediform has none built in) is the
    // built-in one.
    let embedded: toml::Table = toml::from_str(&toml::to_string(&built_in.prices).unwrap()).unwrap();
    let mut compared = 0;
    let mut check = |path: &str, got: &toml::Value, want: Option<&toml::Value>| {
        let (got, want) = (got.as_float().unwrap(), want.and_then(toml::Value::as_float).unwrap());
        assert!((got - want).abs() < 1e-12, "{path}: imported {got}, built in {want}");
        compared += 1;
    };
    for (name, value) in &table {
        let t = value.as_table().unwrap();
        let base = embedded[name].as_table().unwrap();
        for (key, v) in t {
            match v {
                toml::Value::Float(_) if name != "meta" && !key.starts_with("reserved_1y") => {
                    check(&format!("{name}.{key}"), v, base.get(key));
                }
                toml::Value::Table(inner) => {
                    for (k, x) in inner
                        .iter()
                        .filter(|(k, x)| x.is_float() && !k.starts_with("reserved_1y"))
                    {
                        check(&format!("{name}.{key}.{k}"), x, base[key].get(k));
                    }
                }
                _ => {}
            }
        }
    }
    // cache.r7g.large x 3 engines, cache.t4g.micro, serverless x 2, backups, 2 instances, gp3 x 3.
    assert_eq!(compared, 12, "{}", imported.toml);
    assert_eq!(table["meta"]["region"].as_str(), Some("us-east-1"));
    assert_eq!(
        table["meta"]["as_of"].as_str(),
        Some("2026-11-20"),
        "the older offer's date"
    );
}

#[test]
fn the_traps_of_the_price_list_are_avoided() {
    let imported = us_east_1(&SAMPLES.map(offer), PurchaseOption::NoUpfront).unwrap();
    let t: toml::Table = toml::from_str(&imported.toml).unwrap();
    let node = &t["elasticache_nodes"]["cache.r7g.large"];
    // Not the SyncDurability add-on ($0.031608) nor extended support: NodeUsage exactly.
    assert_eq!(node["valkey"].as_float(), Some(0.1752));
    assert_eq!(node["redis"].as_float(), Some(0.219));
    // 1-year standard, one option for the whole file (No Upfront by default; the 3-year one is
    // not 1-year); a SKU without it has no reserved price, never another option's.
    assert_eq!(node["reserved_1y_valkey"].as_float(), Some(0.115));
    assert!(node.get("reserved_1y_redis").is_none());
    assert!(
        imported
            .skipped
            .iter()
            .any(|s| s.contains("(Redis OSS): no 1-year standard No Upfront")),
        "{:?}",
        imported.skipped
    );
    assert!(imported.toml.contains("# 1-year reserved prices: standard, No Upfront"));
    // Partial Upfront: the fee spread over 8,760 hours: 0.07 + 613.20 / 8760 = 0.14, and
    // 0.055 + 499.32 / 8760 = 0.112.
    let partial = us_east_1(&SAMPLES.map(offer), PurchaseOption::PartialUpfront).unwrap();
    let t2: toml::Table = toml::from_str(&partial.toml).unwrap();
    let node2 = &t2["elasticache_nodes"]["cache.r7g.large"];
    assert_eq!(node2["reserved_1y_redis"].as_float(), Some(0.14));
    assert_eq!(node2["reserved_1y_valkey"].as_float(), Some(0.112));
    // EC2: Linux, shared tenancy, on demand, capacity used; the convertible reservation is not
    // the standard one.
    let ec2 = &t["ec2_instances"]["r7g.large"];
    assert_eq!(ec2["on_demand"].as_float(), Some(0.1071));
    assert_eq!(ec2["reserved_1y"].as_float(), Some(0.0675));
    // gp3: IOPS above the free tier; throughput per GiB/s-month over 1,024.
    assert_eq!(t["ebs"]["gp3_iops_usd_per_month"].as_float(), Some(0.005));
    assert_eq!(t["ebs"]["gp3_throughput_usd_per_mibps_month"].as_float(), Some(0.04));
    // Nothing of another region, no node type outside the catalog.
    assert!(!imported.toml.contains("0.1944") && !imported.toml.contains("c7gn"));
}

#[test]
fn two_products_for_one_price_are_an_error_not_a_pick() {
    let json = fs::read_to_string(support::root().join(SAMPLES[0])).unwrap();
    let twice = json.replace("SyncDurability-NodeUsage:cache.r7g.large", "NodeUsage:cache.r7g.large");
    let imported = us_east_1(&[text("twice.json", twice)], PurchaseOption::NoUpfront).unwrap();
    // Left out with both SKUs named; the rest of the file imports.
    assert!(
        imported
            .skipped
            .iter()
            .any(|s| s.contains("cache.r7g.large (Valkey) is priced by two products")),
        "{:?}",
        imported.skipped
    );
    let t: toml::Table = toml::from_str(&imported.toml).unwrap();
    assert!(t["elasticache_nodes"]["cache.r7g.large"].get("valkey").is_none());
    assert_eq!(
        t["elasticache_nodes"]["cache.r7g.large"]["redis"].as_float(),
        Some(0.219)
    );
}

#[test]
fn an_unknown_unit_is_left_out_and_named() {
    let json = fs::read_to_string(support::root().join(SAMPLES[0])).unwrap();
    let odd = json.replace("\"GB-Hrs\"", "\"GB-Fortnights\"");
    let imported = us_east_1(&[text("odd.json", odd)], PurchaseOption::NoUpfront).unwrap();
    assert!(!imported.toml.contains("storage_usd_per_gb_hour"));
    assert!(
        imported.skipped.iter().any(|s| s.contains("GB-Fortnights")),
        "{:?}",
        imported.skipped
    );
}

#[test]
fn memorydb_and_other_offers_are_refused_with_the_reason() {
    let err = us_east_1(
        &[offer("fixtures/offers/AmazonMemoryDB-us-east-1.json")],
        PurchaseOption::NoUpfront,
    )
    .unwrap_err();
    assert!(err.to_string().contains("set MemoryDB prices by hand"), "{err}");
    let err = import(
        &[text(
            "s3.json",
            r#"{"offerCode": "AmazonS3", "products": {}, "terms": {}}"#.to_owned(),
        )],
        "us-east-1",
        PurchaseOption::NoUpfront,
        &Catalog::embedded(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("not one rediform imports"), "{err}");
    let err = us_east_1(&[text("bad.json", "[1, 2".to_owned())], PurchaseOption::NoUpfront).unwrap_err();
    assert!(matches!(err, ImportError::Format { .. }), "{err}");
    let err = import(
        &SAMPLES.map(offer),
        "ap-south-2",
        PurchaseOption::NoUpfront,
        &Catalog::embedded(),
    )
    .unwrap_err();
    assert!(matches!(err, ImportError::Empty { .. }), "{err}");
}

/// The workflow of the README: import a region's prices, decide with them; rediform says which
/// figures are still the built-in region's.
#[test]
fn a_workload_in_another_region_is_priced_with_its_imports_and_told_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("eu-west-1.toml");
    let status = rediform()
        .args(["prices", "import", "--region", "eu-west-1", "--out"])
        .arg(&out)
        .arg(support::root().join(SAMPLES[0]))
        .output()
        .unwrap();
    assert_eq!(
        status.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let again = rediform()
        .args(["prices", "import", "--region", "eu-west-1", "--out"])
        .arg(&out)
        .arg(support::root().join(SAMPLES[0]))
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2), "never overwrites");
    let workload = dir.path().join("w.toml");
    fs::write(
        &workload,
        support::workload_text(&["workload.region = \"eu-west-1\"", "data.size_gb = 5"]),
    )
    .unwrap();
    let run = |prices: Option<&std::path::Path>| {
        let mut cmd = rediform();
        cmd.args(["decide", "--format", "json"]).arg(&workload);
        if let Some(p) = prices {
            cmd.arg("--prices").arg(p);
        }
        let output = cmd.output().unwrap();
        assert_eq!(output.status.code(), Some(0));
        serde_json::from_slice::<serde_json::Value>(&output.stdout).unwrap()
    };
    let built_in = run(None);
    let warning = built_in[0]["prices"]["warning"].as_str().unwrap();
    assert!(
        warning.contains("these are us-east-1 prices, but the workload runs in eu-west-1"),
        "{warning}"
    );
    let imported = run(Some(&out));
    let warning = imported[0]["prices"]["warning"].as_str().unwrap();
    assert!(
        warning.contains("the prices file is for eu-west-1") && warning.contains("memorydb_nodes"),
        "{warning}"
    );
    assert_eq!(imported[0]["prices"]["region"], "eu-west-1");
    let line = &imported[0]["costs"]["elasticache"]["lines"][0]["item"];
    assert!(
        line.as_str()
            .unwrap()
            .contains("cache.r7g.large node-hours (valkey, $0.1944/h)"),
        "{line}"
    );
}

/// `team.pricing = "reserved-1y"`: the guards compare reserved prices, which must exist (none is
/// built in); serverless stays on demand.
#[test]
fn reserved_pricing_needs_reserved_prices_and_the_guards_use_them() {
    let w = support::workload(&[
        "team.pricing = \"reserved-1y\"",
        "traffic.pattern = \"bursty\"",
        "data.size_gb = 5",
    ]);
    let problems = rediform::build(&w, &Catalog::embedded()).unwrap_err();
    assert!(
        problems
            .iter()
            .any(|d| d.key == "team.pricing" && d.message.contains("no 1-year reserved price")),
        "{problems:?}"
    );
    let imported = us_east_1(&SAMPLES.map(offer), PurchaseOption::NoUpfront).unwrap();
    let catalog = Catalog::with_prices(&imported.toml).unwrap();
    let plan = rediform::build(&w, &catalog).unwrap();
    let e = &plan.costs.elasticache;
    assert_eq!(e.summary, "2 x cache.r7g.large");
    // 2 nodes x 730 h x $0.115 (No Upfront) = $167.90, plus the backups.
    assert!(
        (e.lines[0].reserved_1y_usd_per_month.unwrap() - 167.9).abs() < 1e-9,
        "{:?}",
        e.lines[0]
    );
    let g4 = plan
        .trail
        .iter()
        .find(|s| s.rule.as_str() == "g4-serverless-cost")
        .unwrap();
    assert!(g4.question.contains("1-yr reserved"), "{g4:?}");
    assert!(
        g4.answer
            .contains(&rediform::units::usd(e.reserved_1y_usd_per_month.unwrap())),
        "{g4:?}"
    );
}

/// Round 3: what an offer file holds stays data, a bad price is left out with its SKU, a price
/// two ways is never picked, and `-q` does not swallow the prices file.
#[test]
fn hostile_offer_files_are_read_as_data() {
    let json = fs::read_to_string(support::root().join(SAMPLES[0])).unwrap();
    let hostile = json
        .replace("\"2026-11-23T00:00:00Z\"", "\"2026-11-23\\nerror: fake\"")
        .replace("\"0.2190000000\"", "\"NaN\"");
    let imported = us_east_1(&[text("h.json", hostile)], PurchaseOption::NoUpfront).unwrap();
    assert!(
        imported.summary.iter().all(|l| !l.contains('\n')),
        "{:?}",
        imported.summary
    );
    assert!(
        imported
            .skipped
            .iter()
            .any(|s| s.contains("REDISR7GLARGE001") && s.contains("NaN")),
        "{:?}",
        imported.skipped
    );
    Catalog::with_prices(&imported.toml).unwrap();
    // Two on-demand terms for one SKU: left out.
    let two = json.replace(
        "\"VALKEYR7GLARGE01.JRTCKXETXF\": {",
        "\"VALKEYR7GLARGE01.OTHERTERM1\": {\"priceDimensions\": {\"x\": {\"unit\": \"Hrs\", \"pricePerUnit\": {\"USD\": \"99\"}}}}, \"VALKEYR7GLARGE01.JRTCKXETXF\": {",
    );
    let imported = us_east_1(&[text("two.json", two)], PurchaseOption::NoUpfront).unwrap();
    assert!(!imported.toml.contains("99.0"), "{}", imported.toml);
    assert!(
        imported.skipped.iter().any(|s| s.contains("2 on-demand terms")),
        "{:?}",
        imported.skipped
    );
    // The same prices in two files: all left out, and the error says why.
    let twice = [text("a.json", json.clone()), text("b.json", json.clone())];
    let err = us_east_1(&twice, PurchaseOption::NoUpfront).unwrap_err().to_string();
    assert!(err.contains("priced by 2 offer files: left out"), "{err}");
    // -q silences messages, not the prices file.
    let output = rediform()
        .args(["-q", "prices", "import", "--region", "us-east-1"])
        .arg(support::root().join(SAMPLES[0]))
        .output()
        .unwrap();
    assert!(String::from_utf8(output.stdout).unwrap().contains("[elasticache_nodes"));
}

/// Round 3: a partial import keeps the provenance of the figures it does not hold, and reserved
/// pricing needs reserved prices only where a guard compares them.
#[test]
fn partial_imports_keep_provenance_and_reserved_pricing_asks_only_what_it_uses() {
    let imported = us_east_1(&SAMPLES.map(offer), PurchaseOption::NoUpfront).unwrap();
    let c = Catalog::with_prices(&imported.toml).unwrap();
    // cache.t4g.micro: only Valkey imported; Redis OSS and Memcached stay built in, and say so.
    let micro = &c.prices.elasticache_nodes["cache.t4g.micro"];
    assert!(
        micro.source.contains("AWS Price List")
            && micro
                .source
                .contains("built in (not in the prices file): memcached, redis"),
        "{}",
        micro.source
    );
    // A durable workload goes to MemoryDB before any guard: no reserved price is needed.
    let w = support::workload(&["team.pricing = \"reserved-1y\"", "data.must_not_lose_writes = true"]);
    rediform::build(&w, &Catalog::embedded()).unwrap();
}

/// Round 4: a wanted SKU without terms, a figure past any list price in rediform's unit, and one
/// item in two files (its reservation included, whatever their order) are left out with a
/// warning, never a crash or a pick.
#[test]
fn damaged_and_doubled_offers_leave_items_out_without_a_crash() {
    let json = fs::read_to_string(support::root().join(SAMPLES[0])).unwrap();
    let mut d: serde_json::Value = serde_json::from_str(&json).unwrap();
    d["terms"]["OnDemand"]
        .as_object_mut()
        .unwrap()
        .remove("VALKEYR7GLARGE01");
    let imported = us_east_1(&[text("noterm.json", d.to_string())], PurchaseOption::NoUpfront).unwrap();
    assert!(
        imported
            .skipped
            .iter()
            .any(|s| s.contains("VALKEYR7GLARGE01") && s.contains("no on-demand price")),
        "{:?}",
        imported.skipped
    );
    let costly = json.replace("\"0.0000000023\"", "\"5000\"");
    let imported = us_east_1(&[text("costly.json", costly)], PurchaseOption::NoUpfront).unwrap();
    assert!(
        imported
            .skipped
            .iter()
            .any(|s| s.contains("usd_per_million_ecpu") && s.contains("past any list price")),
        "{:?}",
        imported.skipped
    );
    Catalog::with_prices(&imported.toml).unwrap();
    // The same node type in two files of different reserved prices (the second file holds only
    // it): neither order picks one.
    let dearer = json.replace("\"0.1150000000\"", "\"0.2300000000\"");
    assert_ne!(dearer, json, "the sample holds the reserved price");
    let mut only: serde_json::Value = serde_json::from_str(&dearer).unwrap();
    only["products"]
        .as_object_mut()
        .unwrap()
        .retain(|sku, _| sku == "VALKEYR7GLARGE01");
    let only = only.to_string();
    for files in [
        [text("a.json", json.clone()), text("new.json", only.clone())],
        [text("new.json", only.clone()), text("a.json", json.clone())],
    ] {
        let imported = us_east_1(&files, PurchaseOption::NoUpfront).unwrap();
        let t: toml::Table = toml::from_str(&imported.toml).unwrap();
        let node = t["elasticache_nodes"].get("cache.r7g.large");
        assert!(
            node.is_none_or(|n| n.get("reserved_1y_valkey").is_none() && n.get("valkey").is_none()),
            "{node:?}"
        );
    }
}

/// Round 4: a prices file's words are printed (warnings, `rediform prices`): a region that is
/// not one, a date that is not one, or a control character in any text is refused.
#[test]
fn a_prices_file_says_its_region_date_and_sources_in_plain_text() {
    for (text, key) in [
        ("[meta]\nregion = \"us-east-1\\u001b]0;t\\u0007\"\n", "meta.region"),
        ("[meta]\nas_of = \"2026\\\"x\\u202e\"\n", "meta.as_of"),
        (
            "[elasticache_backups]\nsource = \"mine\\u001b[2J\"\n",
            "elasticache_backups.source",
        ),
    ] {
        let err = Catalog::with_prices(text).map(|_| ()).unwrap_err();
        assert!(format!("{err:?}").contains(key), "{text}: {err:?}");
    }
}

/// Round 6: a date of the right shape that is no date (month 13, February 30) is refused.
#[test]
fn impossible_dates_are_not_dates() {
    for (date, ok) in [
        ("2026-02-28", true),
        ("2024-02-29", true),
        ("2026-02-30", false),
        ("2026-13-01", false),
        ("0000-00-00", false),
        ("9999-99-99", false),
    ] {
        assert_eq!(rediform::catalog::is_date(date), ok, "{date}");
    }
}
