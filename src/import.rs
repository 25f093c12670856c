//! `rediform prices import` (issue #13): AWS Price List bulk offer files in, a prices file that
//! `--prices` and `rediform.toml` accept out.
//!
//! Input: offer files (`AmazonElastiCache`, `AmazonEC2`, as AWS publishes them per service and
//! region), each readable twice, a region and the catalog. Output: [`Imported`], the prices file
//! as TOML and what was found. Must not: hold a whole offer file in memory (the EC2 one is
//! gigabytes), depend on the order of `products` and `terms` in a file, or guess: a product that
//! matches two ways, or a unit it does not know, is an error or is left out with the reason.
//!
//! The format (AWS Billing User Guide, "Reading the service price list file"; real files use
//! `beginRange`/`endRange`): `{"offerCode", "publicationDate", "products": {sku: {"sku",
//! "productFamily", "attributes": {...}}}, "terms": {"OnDemand" | "Reserved": {sku: {code:
//! {"termAttributes": {...}, "priceDimensions": {rate: {"unit", "pricePerUnit": {"USD": "0.1"},
//! "beginRange", "endRange"}}}}}}}`. Each file is read twice: first the products, keeping the SKUs
//! rediform prices; then the terms of those SKUs only. Product filters and their sources:
//! `/tmp`-free notes in `src/data/import.toml`.

use std::collections::{BTreeMap, HashMap};
use std::fmt::{self, Write as _};
use std::io::Read;

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;

use crate::catalog::Catalog;
use crate::names::Engine;

/// The product filters and units, with their sources (data, not code).
pub const IMPORT_TOML: &str = include_str!("data/import.toml");

/// Hours in a year, to spread a reservation's upfront fee (8,760: 365 x 24).
const HOURS_PER_YEAR: f64 = 8760.0;

/// One thing rediform prices, as an offer file's product can stand for it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Item {
    /// An ElastiCache node type for one engine (`Cache Instance`, `NodeUsage:<type>`).
    Node(String, Engine),
    /// ElastiCache Serverless data stored, per engine (`CachedData:<Engine>`).
    ServerlessStorage(Engine),
    /// ElastiCache Serverless ECPUs, per engine (`ElastiCacheProcessingUnits:<Engine>`).
    ServerlessEcpu(Engine),
    /// ElastiCache backup storage (`Storage Snapshot`, `BackupUsage`).
    Backup,
    /// An EC2 instance type, Linux, shared tenancy, on demand (`BoxUsage:<type>`).
    Instance(String),
    /// gp3 storage (`EBS:VolumeUsage.gp3`).
    Gp3Storage,
    /// gp3 IOPS above the baseline (`EBS:VolumeP-IOPS.gp3`).
    Gp3Iops,
    /// gp3 throughput above the baseline (`EBS:VolumeP-Throughput.gp3`).
    Gp3Throughput,
}

impl fmt::Display for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Item::Node(node, engine) => write!(f, "{node} ({})", engine.display_name()),
            Item::ServerlessStorage(engine) => write!(f, "serverless {} data stored", engine.display_name()),
            Item::ServerlessEcpu(engine) => write!(f, "serverless {} ECPUs", engine.display_name()),
            Item::Backup => f.write_str("ElastiCache backup storage"),
            Item::Instance(t) => write!(f, "EC2 {t} (Linux, shared tenancy)"),
            Item::Gp3Storage => f.write_str("gp3 storage"),
            Item::Gp3Iops => f.write_str("gp3 IOPS"),
            Item::Gp3Throughput => f.write_str("gp3 throughput"),
        }
    }
}

/// The product filters and units of `src/data/import.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Rules {
    elasticache: ElastiCacheRules,
    ec2: Ec2Rules,
    units: Units,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ElastiCacheRules {
    node_family: String,
    node_usage: String,
    serverless_family: String,
    serverless_storage_usage: String,
    serverless_ecpu_usage: String,
    backup_family: String,
    backup_usage: String,
    engines: BTreeMap<String, Engine>,
    #[allow(dead_code)]
    source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Ec2Rules {
    instance_family: String,
    instance_usage: String,
    instance_attributes: BTreeMap<String, String>,
    instance_attributes_if_present: BTreeMap<String, String>,
    gp3_volume: String,
    gp3_storage_family: String,
    gp3_storage_usage: String,
    gp3_iops_family: String,
    gp3_iops_usage: String,
    gp3_throughput_family: String,
    gp3_throughput_usage: String,
    #[allow(dead_code)]
    source: String,
}

/// The units each item is priced in, and the factor to rediform's unit.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Units {
    hourly: Vec<String>,
    gb_month: Vec<String>,
    iops_month: Vec<String>,
    gibps_month: Vec<String>,
    serverless_storage: Vec<String>,
    serverless_ecpu_single: Vec<String>,
    serverless_ecpu_million: Vec<String>,
    #[allow(dead_code)]
    source: String,
}

impl Rules {
    fn embedded() -> Rules {
        toml::from_str(IMPORT_TOML).expect("src/data/import.toml is valid")
    }
}

/// A product of an offer file: its family and attributes (every value a string).
#[derive(Debug, Deserialize)]
struct Product {
    #[serde(rename = "productFamily", default)]
    family: String,
    #[serde(default)]
    attributes: BTreeMap<String, serde_json::Value>,
}

impl Product {
    fn attr(&self, key: &str) -> &str {
        self.attributes
            .get(key)
            .and_then(serde_json::Value::as_str)
            .unwrap_or("")
    }
}

/// A term of a SKU: its attributes (reserved terms) and its price dimensions.
#[derive(Debug, Clone, Deserialize)]
struct Term {
    #[serde(rename = "termAttributes", default)]
    attributes: BTreeMap<String, String>,
    #[serde(rename = "priceDimensions", default)]
    dimensions: BTreeMap<String, Dimension>,
}

#[derive(Debug, Clone, Deserialize)]
struct Dimension {
    #[serde(default)]
    unit: String,
    #[serde(rename = "pricePerUnit", default)]
    price: BTreeMap<String, String>,
    #[serde(rename = "beginRange", default)]
    begin: Option<String>,
}

/// Whether `usagetype` is `<suffix>` or `<region prefix>-<suffix>` (us-east-1 has no prefix;
/// other regions one such as `EU-` or `APN1-`).
fn usage_is(usagetype: &str, suffix: &str) -> bool {
    usagetype == suffix
        || usagetype
            .strip_suffix(suffix)
            .and_then(|p| p.strip_suffix('-'))
            .is_some_and(|prefix| {
                !prefix.is_empty() && prefix.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            })
}

/// What a product stands for, if rediform prices it in this region.
fn classify(p: &Product, region: &str, rules: &Rules, catalog: &Catalog) -> Option<Item> {
    if p.attr("regionCode") != region {
        return None;
    }
    let usage = p.attr("usagetype");
    let e = &rules.elasticache;
    // Local Zones and Outposts price the same node type under the parent region's code.
    if !matches!(p.attr("locationType"), "" | "AWS Region") {
        return None;
    }
    if p.family == e.node_family {
        let node = p.attr("instanceType");
        let engine = *e.engines.get(p.attr("cacheEngine"))?;
        let wanted = catalog.node(node).is_some() && node.starts_with("cache.");
        return (wanted && usage_is(usage, &format!("{}{node}", e.node_usage)))
            .then(|| Item::Node(node.to_owned(), engine));
    }
    if p.family == e.serverless_family {
        for (name, engine) in &e.engines {
            if usage_is(usage, &format!("{}{name}", e.serverless_storage_usage)) {
                return Some(Item::ServerlessStorage(*engine));
            }
            if usage_is(usage, &format!("{}{name}", e.serverless_ecpu_usage)) {
                return Some(Item::ServerlessEcpu(*engine));
            }
        }
        return None;
    }
    if p.family == e.backup_family {
        return usage_is(usage, &e.backup_usage).then_some(Item::Backup);
    }
    let c = &rules.ec2;
    if p.family == c.instance_family {
        let instance = p.attr("instanceType");
        let known = catalog.node(instance).is_some() && !instance.starts_with("cache.") && !instance.starts_with("db.");
        let required = c.instance_attributes.iter().all(|(k, v)| p.attr(k) == v);
        // Newer files add `marketoption` (OnDemand vs CapacityBlock); older ones lack it.
        let optional = c
            .instance_attributes_if_present
            .iter()
            .all(|(k, v)| !p.attributes.contains_key(k) || p.attr(k) == v);
        return (known && required && optional && usage_is(usage, &format!("{}{instance}", c.instance_usage)))
            .then(|| Item::Instance(instance.to_owned()));
    }
    if p.attr("volumeApiName") == c.gp3_volume {
        if p.family == c.gp3_storage_family && usage_is(usage, &c.gp3_storage_usage) {
            return Some(Item::Gp3Storage);
        }
        if p.family == c.gp3_iops_family && usage_is(usage, &c.gp3_iops_usage) {
            return Some(Item::Gp3Iops);
        }
    }
    if p.family == c.gp3_throughput_family && usage_is(usage, &c.gp3_throughput_usage) {
        return Some(Item::Gp3Throughput);
    }
    None
}

/// Why an import failed.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file is not JSON of the offer-file shape.
    #[error("{file}: not an AWS price list offer file: {why}")]
    Format {
        /// The file.
        file: String,
        /// What the JSON reader said.
        why: String,
    },
    /// Reading failed.
    #[error("cannot read {file}: {source}")]
    Io {
        /// The file.
        file: String,
        /// The cause.
        source: std::io::Error,
    },
    /// An offer rediform cannot import, and why.
    #[error("{file}: {why}")]
    Unsupported {
        /// The file.
        file: String,
        /// Why.
        why: String,
    },
    /// Two products priced as one thing: picking one would be a guess.
    #[error("{item} is priced by two products ({first} and {second}) in {file}: rediform will not pick one")]
    Ambiguous {
        /// The file.
        file: String,
        /// What is priced.
        item: String,
        /// One SKU.
        first: String,
        /// The other.
        second: String,
    },
    /// Nothing rediform prices was found for the region.
    #[error("no price rediform uses was found for region {region} in these files (each file must be the offer of that region: …/current/{region}/index.json){left_out}")]
    Empty {
        /// The region.
        region: String,
        /// What was found and left out, one line each after a colon; empty when nothing was.
        left_out: String,
    },
}

/// The first pass over a file: its offer code, date, and the SKUs rediform prices.
struct Scan<'a> {
    region: &'a str,
    rules: &'a Rules,
    catalog: &'a Catalog,
    offer: String,
    date: String,
    wanted: HashMap<String, Item>,
    /// Items priced by two SKUs: (item, first, second).
    twice: Vec<(Item, String, String)>,
}

/// The second pass: the terms of the wanted SKUs.
struct Collect<'a> {
    wanted: &'a HashMap<String, Item>,
    on_demand: HashMap<String, Vec<Term>>,
    reserved: HashMap<String, Vec<Term>>,
}

struct ScanTop<'s, 'a>(&'s mut Scan<'a>);
struct ScanProducts<'s, 'a>(&'s mut Scan<'a>);
struct CollectTop<'s, 'a>(&'s mut Collect<'a>);
struct CollectTerms<'s, 'a>(&'s mut Collect<'a>);
struct CollectKind<'s, 'a> {
    collect: &'s mut Collect<'a>,
    reserved: bool,
}
struct CollectSku<'s> {
    into: &'s mut Vec<Term>,
}

impl<'de> DeserializeSeed<'de> for ScanTop<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ScanTop<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an offer file object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "offerCode" => self.0.offer = map.next_value()?,
                "publicationDate" => self.0.date = map.next_value()?,
                "products" => map.next_value_seed(ScanProducts(&mut *self.0))?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for ScanProducts<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ScanProducts<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("the products of an offer file, by SKU")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let s = self.0;
        while let Some(sku) = map.next_key::<String>()? {
            let product: Product = map.next_value()?;
            let Some(item) = classify(&product, s.region, s.rules, s.catalog) else {
                continue;
            };
            // A SKU written twice (JSON allows a repeated key; serde keeps reading) is as
            // ambiguous as two SKUs for one item.
            let repeated = s.wanted.contains_key(&sku);
            if repeated && !s.twice.iter().any(|(i, _, _)| *i == item) {
                s.twice.push((item.clone(), sku.clone(), sku.clone()));
            }
            if let Some((other, _)) = s.wanted.iter().find(|(k, i)| **i == item && **k != sku) {
                if !s.twice.iter().any(|(i, _, _)| *i == item) {
                    s.twice.push((item.clone(), other.clone(), sku.clone()));
                }
            }
            s.wanted.insert(sku, item);
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for CollectTop<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for CollectTop<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an offer file object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == "terms" {
                map.next_value_seed(CollectTerms(&mut *self.0))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for CollectTerms<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for CollectTerms<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("the terms of an offer file")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(kind) = map.next_key::<String>()? {
            match kind.as_str() {
                // FlatRate and any later term type have another shape: not rediform's.
                "OnDemand" | "Reserved" => map.next_value_seed(CollectKind {
                    collect: &mut *self.0,
                    reserved: kind == "Reserved",
                })?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for CollectKind<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for CollectKind<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("terms by SKU")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(sku) = map.next_key::<String>()? {
            if self.collect.wanted.contains_key(&sku) {
                let by_sku = if self.reserved {
                    &mut self.collect.reserved
                } else {
                    &mut self.collect.on_demand
                };
                map.next_value_seed(CollectSku {
                    into: by_sku.entry(sku).or_default(),
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for CollectSku<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for CollectSku<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("the terms of one SKU")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(_code) = map.next_key::<IgnoredAny>()? {
            self.into.push(map.next_value()?);
        }
        Ok(())
    }
}

/// An offer file to import: its name (for messages) and a way to read it from the start, twice.
pub struct OfferFile<'a> {
    /// The file as the user named it.
    pub name: String,
    /// Opens it (once: both passes read the same open file, so a file replaced between them
    /// cannot mix two offers).
    pub open: Box<dyn Fn() -> std::io::Result<Box<dyn ReadSeek>> + 'a>,
}

/// A file read from the start twice.
pub trait ReadSeek: Read + std::io::Seek {}
impl<T: Read + std::io::Seek> ReadSeek for T {}

/// A streaming JSON reader over an offer file.
type OfferReader<'f> = serde_json::Deserializer<serde_json::de::IoRead<std::io::BufReader<&'f mut Box<dyn ReadSeek>>>>;

/// What an import found.
#[derive(Debug)]
pub struct Imported {
    /// The prices file (TOML text, with a header comment).
    pub toml: String,
    /// One line per offer file: its offer code, date and what it priced.
    pub summary: Vec<String>,
    /// What was found but left out, and why (a unit rediform does not know …).
    pub skipped: Vec<String>,
}

/// A price read off a term: `$` per `unit`.
struct Price {
    usd: f64,
    unit: String,
}

/// What one offer file says of one item.
struct Found {
    price: Price,
    reserved: Option<(f64, &'static str)>,
    source: String,
}

/// The on-demand price of a SKU, and a note when it was read off a tiered price. A tiered price
/// (several dimensions with ranges) gives the price paid at scale: for a price "above the
/// baseline" (gp3 IOPS and throughput) the tier that starts highest; for any other the first
/// tier that is not free (a free first tier, an allowance, would price everything at $0).
fn on_demand_price(terms: &[Term], above_baseline: bool) -> Option<(Price, Option<String>)> {
    let mut dims: Vec<&Dimension> = terms.iter().flat_map(|t| t.dimensions.values()).collect();
    let begin = |d: &Dimension| d.begin.as_deref().and_then(|b| b.parse::<f64>().ok()).unwrap_or(0.0);
    let usd = |d: &Dimension| d.price.get("USD").and_then(|p| p.parse::<f64>().ok());
    dims.sort_by(|a, b| begin(a).total_cmp(&begin(b)));
    let (dim, note) = match dims.as_slice() {
        [] => return None,
        [one] => (*one, None),
        many => {
            let dim = if above_baseline {
                *many.last()?
            } else {
                many.iter()
                    .copied()
                    .find(|d| usd(d).is_some_and(|p| p > 0.0))
                    .unwrap_or(many[0])
            };
            let note = format!(
                "tiered price: the tier from {} {} is used (${} per {})",
                dim.begin.as_deref().unwrap_or("0"),
                dim.unit,
                dim.price.get("USD").map_or("?", String::as_str),
                dim.unit
            );
            (dim, Some(note))
        }
    };
    Some((
        Price {
            usd: usd(dim)?,
            unit: dim.unit.clone(),
        },
        note,
    ))
}

/// The currencies of a SKU's prices other than USD (an offer of the China regions is in CNY).
fn other_currencies(terms: &[Term]) -> Vec<String> {
    let mut found: Vec<String> = terms
        .iter()
        .flat_map(|t| t.dimensions.values())
        .flat_map(|d| d.price.keys())
        .filter(|c| *c != "USD")
        .cloned()
        .collect();
    found.sort();
    found.dedup();
    found
}

/// The 1-year reservation the import reads (`--reserved`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PurchaseOption {
    /// No upfront fee: the highest effective rate, the one most organisations start with.
    NoUpfront,
    /// Part upfront, the rest hourly.
    PartialUpfront,
    /// All upfront.
    AllUpfront,
}

impl PurchaseOption {
    /// The offer file's spellings: ElastiCache and EC2 instances, and EC2 Dedicated Hosts.
    fn spellings(self) -> [&'static str; 2] {
        match self {
            PurchaseOption::NoUpfront => ["No Upfront", "NoUpfront"],
            PurchaseOption::PartialUpfront => ["Partial Upfront", "PartialUpfront"],
            PurchaseOption::AllUpfront => ["All Upfront", "AllUpfront"],
        }
    }

    /// As the prices file and messages say it.
    pub fn name(self) -> &'static str {
        self.spellings()[0]
    }
}

/// The effective hourly price of a 1-year standard reservation with this purchase option: the
/// upfront fee spread over the year's 8,760 hours, plus the hourly rate. `None` when the SKU has
/// no such reservation (never another option instead: one import, one option).
fn reserved_1y_hourly(terms: &[Term], option: PurchaseOption) -> Option<(f64, &'static str)> {
    let one_year: Vec<&Term> = terms
        .iter()
        .filter(|t| {
            t.attributes.get("LeaseContractLength").is_some_and(|l| l == "1yr")
                && t.attributes.get("OfferingClass").is_none_or(|c| c == "standard")
        })
        .collect();
    let term = one_year.iter().find(|t| {
        t.attributes
            .get("PurchaseOption")
            .is_some_and(|p| option.spellings().contains(&p.as_str()))
    })?;
    let mut hourly = 0.0;
    for d in term.dimensions.values() {
        let usd: f64 = d.price.get("USD")?.parse().ok()?;
        match d.unit.as_str() {
            "Hrs" => hourly += usd,
            "Quantity" => hourly += usd / HOURS_PER_YEAR,
            _ => return None,
        }
    }
    // Six decimals: a hundredth of a cent per hour, as AWS prints its rates.
    Some(((hourly * 1e6).round() / 1e6, option.name()))
}

/// Whether rediform imports this offer (the file's `offerCode`).
fn offer_supported(file: &str, offer: &str) -> Result<(), ImportError> {
    match offer {
        "AmazonElastiCache" | "AmazonEC2" => Ok(()),
        "AmazonMemoryDB" => {
            Err(ImportError::Unsupported {
                file: file.to_owned(),
                why: "AmazonMemoryDB offers cannot be imported yet: the product attributes of that file are not documented in any source rediform's data was checked against; set MemoryDB prices by hand in the prices file (`rediform prices --format toml` shows the keys)".to_owned(),
            })
        }
        other => {
            Err(ImportError::Unsupported {
                file: file.to_owned(),
                why: format!(
                    "offer `{}` is not one rediform imports (AmazonElastiCache, AmazonEC2)",
                    // Quoted, not repeated: a damaged file's "offer code" may be megabytes.
                    crate::encode::one_line(&other.chars().take(80).collect::<String>())
                ),
            })
        }
    }
}

/// The prices file's tables from what the files said: an item two files price (offers of two
/// dates?) is left out whole, and so is serverless priced by half.
fn tabulate(found: BTreeMap<Item, Vec<Found>>, units: &Units, skipped: &mut Vec<String>) -> PricesTable {
    let mut table = PricesTable::default();
    // An item two files price (offers of two dates?) is left out whole, its reservation and
    // source with it, whatever the order of the files: picking one would be a guess.
    for (item, mut prices) in found {
        if prices.len() > 1 {
            skipped.push(format!(
                "{item}: priced by {} offer files: left out, not picked",
                prices.len()
            ));
            continue;
        }
        let Found {
            price,
            reserved,
            source,
        } = prices.remove(0);
        if let Err(why) = table.put(&item, &price, reserved, &source, units) {
            skipped.push(format!("{item}: {why}"));
        }
    }
    // Serverless is priced by both its storage and its ECPUs: half of them would pair an
    // imported figure with a built-in one of another region.
    table.serverless.retain(|engine, t| {
        let whole = t.contains_key("storage_usd_per_gb_hour") && t.contains_key("usd_per_million_ecpu");
        if !whole {
            skipped.push(format!(
                "serverless {engine}: only one of its two prices (storage, ECPUs) was found: both left out"
            ));
        }
        whole
    });
    table
}

/// Reads the offer files (each twice, never whole) and writes the prices of `region` rediform
/// uses as a prices file.
pub fn import(
    files: &[OfferFile<'_>],
    region: &str,
    reserved_option: PurchaseOption,
    catalog: &Catalog,
) -> Result<Imported, ImportError> {
    let rules = Rules::embedded();
    let mut found: BTreeMap<Item, Vec<Found>> = BTreeMap::new();
    let mut summary = Vec::new();
    let mut skipped = Vec::new();
    let mut dates = Vec::new();
    for file in files {
        let mut opened = (file.open)().map_err(|source| ImportError::Io {
            file: file.name.clone(),
            source,
        })?;
        let mut read =
            |pass: &mut dyn FnMut(&mut OfferReader) -> Result<(), serde_json::Error>| -> Result<(), ImportError> {
                std::io::Seek::rewind(&mut opened).map_err(|source| ImportError::Io {
                    file: file.name.clone(),
                    source,
                })?;
                let mut de =
                    serde_json::Deserializer::from_reader(std::io::BufReader::with_capacity(1 << 16, &mut opened));
                pass(&mut de).map_err(|e| ImportError::Format {
                    file: file.name.clone(),
                    why: e.to_string(),
                })
            };
        let mut scan = Scan {
            region,
            rules: &rules,
            catalog,
            offer: String::new(),
            date: String::new(),
            wanted: HashMap::new(),
            twice: Vec::new(),
        };
        read(&mut |de| ScanTop(&mut scan).deserialize(de))?;
        offer_supported(&file.name, &scan.offer)?;
        // An item two products price is left out, with both SKUs named: picking one would be a
        // guess; the rest of the file still imports.
        for (item, first, second) in std::mem::take(&mut scan.twice) {
            skipped.push(
                ImportError::Ambiguous {
                    file: file.name.clone(),
                    item: item.to_string(),
                    first,
                    second,
                }
                .to_string(),
            );
            scan.wanted.retain(|_, i| *i != item);
        }
        let mut collect = Collect {
            wanted: &scan.wanted,
            on_demand: HashMap::new(),
            reserved: HashMap::new(),
        };
        read(&mut |de| CollectTop(&mut collect).deserialize(de))?;
        // Text of the file reaches messages and the prices file: one line each, whatever it holds.
        scan.offer = crate::encode::one_line(&scan.offer).into_owned();
        scan.date = crate::encode::one_line(&scan.date).into_owned();
        let date = scan.date.get(..10).unwrap_or(&scan.date).to_owned();
        // The prices file is dated by it: a file without a date (YYYY-MM-DD...) is not an offer.
        if !crate::catalog::is_date(&date) {
            return Err(ImportError::Format {
                file: file.name.clone(),
                why: format!("publicationDate `{}` is not a date", scan.date),
            });
        }
        let priced = price_file(&file.name, &scan, &collect, reserved_option, &mut found, &mut skipped)?;
        summary.push(format!(
            "{}: {} published {}, {} price(s) for {region}",
            file.name, scan.offer, scan.date, priced
        ));
        dates.push(date);
    }
    let table = tabulate(found, &rules.units, &mut skipped);
    if table.is_empty() {
        let left_out = if skipped.is_empty() {
            String::new()
        } else {
            format!("; what was found was left out:\n  {}", skipped.join("\n  "))
        };
        return Err(ImportError::Empty {
            region: region.to_owned(),
            left_out,
        });
    }
    dates.sort();
    let as_of = dates.first().cloned().unwrap_or_default();
    Ok(Imported {
        toml: table.render(region, &as_of, reserved_option, &summary),
        summary,
        skipped,
    })
}

/// Reads the prices of the wanted SKUs of one offer file into `found`; returns how many were
/// read. What cannot be priced is said in `skipped`.
fn price_file(
    file: &str,
    scan: &Scan<'_>,
    collect: &Collect<'_>,
    reserved_option: PurchaseOption,
    found: &mut BTreeMap<Item, Vec<Found>>,
    skipped: &mut Vec<String>,
) -> Result<usize, ImportError> {
    let date = scan.date.get(..10).unwrap_or(&scan.date);
    let mut priced = 0;
    let mut skus: Vec<(&String, &Item)> = scan.wanted.iter().collect();
    skus.sort_by(|a, b| a.1.cmp(b.1));
    for (key, item) in skus {
        // The SKU as the file spells it finds its terms; escaped, it is shown.
        let sku = crate::encode::one_line(key);
        let source = format!(
            "AWS Price List, offer {} published {date}, SKU {sku} ({item})",
            scan.offer
        );
        let above_baseline = matches!(item, Item::Gp3Iops | Item::Gp3Throughput);
        let terms = collect.on_demand.get(key).map_or(&[][..], Vec::as_slice);
        if terms.len() > 1 {
            skipped.push(format!(
                "{item}: SKU {sku} has {} on-demand terms: left out, not picked",
                terms.len()
            ));
            continue;
        }
        let currencies = other_currencies(terms);
        if !currencies.is_empty()
            && terms
                .iter()
                .flat_map(|t| t.dimensions.values())
                .all(|d| !d.price.contains_key("USD"))
        {
            return Err(ImportError::Unsupported {
                file: file.to_owned(),
                why: format!(
                    "prices in {} (an offer of the China regions?): rediform's estimates are in USD",
                    currencies.join(", ")
                ),
            });
        }
        let Some((mut price, note)) = on_demand_price(terms, above_baseline) else {
            skipped.push(format!("{item}: SKU {sku} has no on-demand price in USD"));
            continue;
        };
        price.unit = crate::encode::one_line(&price.unit).into_owned();
        // A list price is a small positive number; anything else is a damaged file.
        if !(price.usd.is_finite() && (0.0..=1e6).contains(&price.usd)) {
            skipped.push(format!("{item}: SKU {sku} has the price {}: left out", price.usd));
            continue;
        }
        price.usd = price.usd.abs();
        if let Some(note) = note {
            skipped.push(format!("{item}: {note}"));
        }
        let reserved = collect
            .reserved
            .get(key)
            .and_then(|t| reserved_1y_hourly(t, reserved_option))
            .filter(|(usd, _)| usd.is_finite() && (0.0..=1e6).contains(usd));
        if collect.reserved.contains_key(key)
            && reserved.is_none()
            && matches!(item, Item::Node(..) | Item::Instance(_))
        {
            skipped.push(format!(
                "{item}: no 1-year standard {} reservation: its reserved price is left out",
                reserved_option.name()
            ));
        }
        found.entry(item.clone()).or_default().push(Found {
            price,
            reserved,
            source,
        });
        priced += 1;
    }
    Ok(priced)
}

/// The prices found, by the tables of a prices file.
#[derive(Default)]
struct PricesTable {
    elasticache_nodes: BTreeMap<String, toml::Table>,
    serverless: BTreeMap<String, toml::Table>,
    backups: toml::Table,
    ec2_instances: BTreeMap<String, toml::Table>,
    ebs: toml::Table,
}

impl PricesTable {
    fn is_empty(&self) -> bool {
        self.elasticache_nodes.is_empty()
            && self.serverless.is_empty()
            && self.backups.is_empty()
            && self.ec2_instances.is_empty()
            && self.ebs.is_empty()
    }

    /// Puts one price in its table, in rediform's unit; `Err` says why it cannot.
    fn put(
        &mut self,
        item: &Item,
        price: &Price,
        reserved: Option<(f64, &str)>,
        source: &str,
        units: &Units,
    ) -> Result<(), String> {
        let unit_is = |allowed: &[String]| allowed.iter().any(|u| u == &price.unit);
        // The key and the figure in rediform's unit, from the units the offer may use.
        let (key, factor): (String, f64) = match item {
            Item::Node(_, engine) if unit_is(&units.hourly) => (engine.to_string(), 1.0),
            Item::Instance(_) if unit_is(&units.hourly) => ("on_demand".to_owned(), 1.0),
            Item::ServerlessStorage(_) if unit_is(&units.serverless_storage) => {
                ("storage_usd_per_gb_hour".to_owned(), 1.0)
            }
            Item::ServerlessEcpu(_) if unit_is(&units.serverless_ecpu_single) => {
                ("usd_per_million_ecpu".to_owned(), 1e6)
            }
            Item::ServerlessEcpu(_) if unit_is(&units.serverless_ecpu_million) => {
                ("usd_per_million_ecpu".to_owned(), 1.0)
            }
            Item::Backup if unit_is(&units.gb_month) => ("usd_per_gb_month".to_owned(), 1.0),
            Item::Gp3Storage if unit_is(&units.gb_month) => ("gp3_usd_per_gb_month".to_owned(), 1.0),
            Item::Gp3Iops if unit_is(&units.iops_month) => ("gp3_iops_usd_per_month".to_owned(), 1.0),
            // Priced per GiB/s-month; rediform counts MiB/s.
            Item::Gp3Throughput if unit_is(&units.gibps_month) => {
                ("gp3_throughput_usd_per_mibps_month".to_owned(), 1.0 / 1024.0)
            }
            _ => {
                return Err(format!(
                    "unit `{}` is not one rediform knows for it: left out",
                    price.unit
                ))
            }
        };
        let value = price.usd * factor;
        // In rediform's unit, a figure past what a prices file accepts is a damaged file.
        if !(0.0..=crate::catalog::MAX_PRICE).contains(&value) {
            return Err(format!("`{key}` would be {value}, past any list price: left out"));
        }
        let table = match item {
            Item::Node(node, _) => self.elasticache_nodes.entry(node.clone()).or_default(),
            Item::Instance(instance) => self.ec2_instances.entry(instance.clone()).or_default(),
            Item::ServerlessStorage(engine) | Item::ServerlessEcpu(engine) => {
                self.serverless.entry(engine.to_string()).or_default()
            }
            Item::Backup => &mut self.backups,
            Item::Gp3Storage | Item::Gp3Iops | Item::Gp3Throughput => &mut self.ebs,
        };
        match (item, reserved) {
            (Item::Node(_, engine), Some((hourly, option))) => {
                table.insert(format!("reserved_1y_{engine}"), toml::Value::Float(hourly));
                append_source(table, &format!("{source} (1-year reserved: {option})"));
            }
            (Item::Instance(_), Some((hourly, option))) => {
                table.insert("reserved_1y".to_owned(), toml::Value::Float(hourly));
                append_source(table, &format!("{source} (1-year reserved: {option})"));
            }
            _ => append_source(table, source),
        }
        table.insert(key, toml::Value::Float(value));
        table.insert("estimate".to_owned(), toml::Value::Boolean(false));
        Ok(())
    }

    fn render(&self, region: &str, as_of: &str, option: PurchaseOption, summary: &[String]) -> String {
        let mut root = toml::Table::new();
        let mut meta = toml::Table::new();
        meta.insert("region".to_owned(), region.into());
        meta.insert("currency".to_owned(), "USD".into());
        meta.insert("hours_per_month".to_owned(), toml::Value::Float(730.0));
        meta.insert("as_of".to_owned(), as_of.into());
        root.insert("meta".to_owned(), meta.into());
        let nested = |tables: &BTreeMap<String, toml::Table>| -> toml::Value {
            toml::Value::Table(
                tables
                    .iter()
                    .map(|(k, t)| (k.clone(), toml::Value::Table(t.clone())))
                    .collect(),
            )
        };
        if !self.elasticache_nodes.is_empty() {
            root.insert("elasticache_nodes".to_owned(), nested(&self.elasticache_nodes));
        }
        if !self.serverless.is_empty() {
            root.insert("serverless".to_owned(), nested(&self.serverless));
        }
        if !self.backups.is_empty() {
            root.insert("elasticache_backups".to_owned(), self.backups.clone().into());
        }
        if !self.ec2_instances.is_empty() {
            root.insert("ec2_instances".to_owned(), nested(&self.ec2_instances));
        }
        if !self.ebs.is_empty() {
            root.insert("ebs".to_owned(), self.ebs.clone().into());
        }
        let mut text = String::from("# Prices imported by `rediform prices import` from AWS Price List offer files:\n");
        for line in summary {
            text.push_str("#   ");
            text.push_str(&crate::encode::hash_comment(line));
            text.push('\n');
        }
        let _ = writeln!(
            text,
            "# 1-year reserved prices: standard, {}, the upfront fee spread over 8,760 hours.",
            option.name()
        );
        text.push_str("# Pass it with --prices, or `prices = \"<this file>\"` in rediform.toml. Figures it does not\n# hold stay rediform's built-in us-east-1 ones, and rediform says so when the regions differ.\n\n");
        text.push_str(&toml::to_string(&root).expect("a prices table serializes"));
        text
    }
}

/// Adds a source to a table's `source`, once.
fn append_source(t: &mut toml::Table, source: &str) {
    let joined = match t.get("source").and_then(toml::Value::as_str) {
        Some(old) if old.contains(source) => old.to_owned(),
        Some(old) => format!("{old}; {source}"),
        None => source.to_owned(),
    };
    t.insert("source".to_owned(), joined.into());
}
