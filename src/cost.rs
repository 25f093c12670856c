//! Monthly cost estimates for all four paths (SPEC §5).
//!
//! Input: the workload, its sizes and the catalog's prices. Output: [`Costs`], each path with an
//! on-demand figure, a 1-year reserved figure where one exists, and the lines that make them up.
//! Units are spelled out in every name: serverless compute is priced per **million** ECPUs and
//! storage per GB-hour (aws-facts §5: the seed articles are off by 10^6 here). Must not: decide.

use serde::Serialize;

use crate::catalog::{Catalog, NodePrices};
use crate::names::{Engine, PathId};
use crate::size::{self, Replicated, Sizes};
use crate::units::{plain, round2};
use crate::workload::Workload;

/// KB (the workload's `item_kb`, 1,024 bytes) in a GB of the data lines (MemoryDB data written,
/// self-hosted cross-AZ replication), both read as 2^30 bytes. Whether AWS bills these in 10^9 or
/// 2^30 bytes was not found in any source; the decimal reading would add 7.4 %.
const KB_PER_GB: f64 = 1024.0 * 1024.0;

/// One priced item of a path's estimate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostLine {
    /// What is charged ("2 x cache.r7g.large node-hours").
    pub item: String,
    /// On-demand, USD per month.
    pub on_demand_usd_per_month: f64,
    /// 1-year reserved, USD per month, where reservations exist for it.
    pub reserved_1y_usd_per_month: Option<f64>,
}

/// The estimate for one path.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PathCost {
    /// The engine priced.
    pub engine: Engine,
    /// Topology in a few words ("2 x cache.r7g.large").
    pub summary: String,
    /// On-demand total, USD per month; `None` when the workload does not fit the path.
    pub on_demand_usd_per_month: Option<f64>,
    /// 1-year reserved total, USD per month; `None` where no reservation exists.
    pub reserved_1y_usd_per_month: Option<f64>,
    /// The priced items.
    pub lines: Vec<CostLine>,
    /// True when any figure behind it is derived rather than read off a price list.
    pub uses_estimated_prices: bool,
    /// Why the path cannot be priced, or what the figure leaves out.
    pub note: Option<String>,
    /// The topology priced (issue #12: every path's, so they can be compared).
    pub topology: Option<crate::size::Topology>,
}

/// Estimates for every path, in the order SPEC §2 lists them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Costs {
    /// ElastiCache node-based.
    pub elasticache: PathCost,
    /// ElastiCache Serverless.
    pub serverless: PathCost,
    /// MemoryDB.
    pub memorydb: PathCost,
    /// Self-hosted on EC2.
    #[serde(rename = "self-hosted")]
    pub self_hosted: PathCost,
}

impl Costs {
    /// The estimate of one path.
    pub fn get(&self, path: PathId) -> &PathCost {
        match path {
            PathId::Elasticache => &self.elasticache,
            PathId::Serverless => &self.serverless,
            PathId::Memorydb => &self.memorydb,
            PathId::SelfHosted => &self.self_hosted,
        }
    }
}

/// The engine each path would run for this workload, as priced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Engines {
    /// ElastiCache node-based.
    pub elasticache: Engine,
    /// ElastiCache Serverless.
    pub serverless: Engine,
    /// MemoryDB (Valkey or Redis OSS).
    pub memorydb: Engine,
}

/// Prices every path.
pub fn cost(w: &Workload, sizes: &Sizes, engines: Engines, c: &Catalog) -> Costs {
    use crate::size::Topology;
    let with = |mut cost: PathCost, topology: Option<Topology>| {
        if cost.on_demand_usd_per_month.is_some() {
            cost.topology = topology;
        }
        cost
    };
    let elasticache_topology = if engines.elasticache == Engine::Memcached {
        sizes.memcached.clone().ok().map(Topology::MemcachedCluster)
    } else {
        sizes.elasticache.clone().ok().map(Topology::ReplicationGroup)
    };
    Costs {
        elasticache: with(elasticache(w, sizes, engines.elasticache, c), elasticache_topology),
        serverless: with(
            serverless(w, sizes, engines.serverless, c),
            sizes.serverless.clone().ok().map(Topology::Serverless),
        ),
        memorydb: with(
            memorydb(w, &sizes.memorydb, engines.memorydb, c),
            sizes.memorydb.clone().ok().map(Topology::MemorydbCluster),
        ),
        self_hosted: with(
            self_hosted(w, sizes, c),
            sizes.self_hosted.clone().ok().map(Topology::Ec2Sentinel),
        ),
    }
}

/// Seconds of traffic in a month: `average_ops_per_sec` is the average over the active hours.
fn active_seconds_per_month(w: &Workload, c: &Catalog) -> f64 {
    c.prices.meta.hours_per_month * f64::from(w.traffic.active_hours_per_day) / 24.0 * 3600.0
}

fn unavailable(engine: Engine, why: &str) -> PathCost {
    PathCost {
        engine,
        summary: "does not fit".to_owned(),
        on_demand_usd_per_month: None,
        reserved_1y_usd_per_month: None,
        lines: Vec::new(),
        uses_estimated_prices: false,
        note: Some(why.to_owned()),
        topology: None,
    }
}

fn total(engine: Engine, summary: String, lines: Vec<CostLine>, estimated: bool, note: Option<String>) -> PathCost {
    let on_demand = lines.iter().map(|l| l.on_demand_usd_per_month).sum::<f64>();
    let reserved = lines
        .iter()
        .map(|l| l.reserved_1y_usd_per_month)
        .collect::<Option<Vec<f64>>>()
        .map(|v| round2(v.iter().sum()));
    PathCost {
        engine,
        summary,
        on_demand_usd_per_month: Some(round2(on_demand)),
        reserved_1y_usd_per_month: reserved,
        lines,
        uses_estimated_prices: estimated,
        note,
        topology: None,
    }
}

/// Node-hours of a replicated topology priced from a node price table.
fn node_hours(
    nodes: u32,
    node_type: &str,
    prices: Option<&NodePrices>,
    engine: Engine,
    c: &Catalog,
) -> Result<(CostLine, bool), String> {
    let p = prices.ok_or_else(|| format!("no price for {node_type}"))?;
    let hourly = p
        .on_demand(engine)
        .ok_or_else(|| format!("no {engine} price for {node_type}"))?;
    let hours = c.prices.meta.hours_per_month * f64::from(nodes);
    Ok((
        CostLine {
            item: format!("{nodes} x {node_type} node-hours ({engine}, ${hourly}/h)"),
            on_demand_usd_per_month: round2(hourly * hours),
            reserved_1y_usd_per_month: p.reserved_1y(engine).map(|r| round2(r * hours)),
        },
        p.estimate,
    ))
}

fn elasticache(w: &Workload, sizes: &Sizes, engine: Engine, c: &Catalog) -> PathCost {
    let (nodes, node_type) = match (engine, &sizes.elasticache, &sizes.memcached) {
        (Engine::Memcached, _, Ok(m)) => (m.nodes, &m.node_type),
        (Engine::Memcached, _, Err(why)) | (_, Err(why), _) => return unavailable(engine, &why.message),
        (_, Ok(r), _) => (r.nodes, &r.node_type),
    };
    match node_hours(nodes, node_type, c.prices.elasticache_nodes.get(node_type), engine, c) {
        Ok((line, estimated)) => {
            let mut lines = vec![line];
            // Memcached takes no backups (aws_rules.toml `memcached-no-snapshots`).
            if engine != Engine::Memcached {
                lines.extend(elasticache_backups(w, c));
            }
            total(
                engine,
                format!("{nodes} x {node_type}"),
                lines,
                estimated || c.prices.elasticache_backups.estimate,
                None,
            )
        }
        Err(why) => unavailable(engine, &why),
    }
}

/// Daily backups kept `backup.retention_days`, each about the data's size; the first is free.
fn elasticache_backups(w: &Workload, c: &Catalog) -> Option<CostLine> {
    let b = &c.prices.elasticache_backups;
    let billed = (f64::from(w.backup.retention_days) - b.free_backups_per_cluster).max(0.0);
    if billed == 0.0 {
        return None;
    }
    let gb = billed * w.data.size_gb;
    let usd = round2(gb * b.usd_per_gb_month);
    Some(CostLine {
        item: format!(
            "{} daily backups of ~{} GB beyond the free one, {} GB (${}/GB-month)",
            plain(billed),
            plain(w.data.size_gb),
            plain(round2(gb)),
            b.usd_per_gb_month
        ),
        on_demand_usd_per_month: usd,
        reserved_1y_usd_per_month: Some(usd),
    })
}

fn serverless(w: &Workload, sizes: &Sizes, engine: Engine, c: &Catalog) -> PathCost {
    let Some(p) = c.prices.serverless.get(&engine) else {
        return unavailable(engine, &format!("no serverless price for {engine}"));
    };
    let hours = c.prices.meta.hours_per_month;
    let stored_gb = w.data.size_gb.max(p.min_storage_gb);
    let storage = CostLine {
        item: format!(
            "{stored_gb} GB stored x {hours} h (${}/GB-hour)",
            p.storage_usd_per_gb_hour
        ),
        on_demand_usd_per_month: round2(stored_gb * hours * p.storage_usd_per_gb_hour),
        reserved_1y_usd_per_month: None,
    };
    let million_ecpus =
        w.traffic.average_ops_per_sec as f64 * size::ecpu_per_request(w) * active_seconds_per_month(w, c) / 1e6;
    let compute = CostLine {
        item: format!(
            "{:.0} million ECPUs (${}/million ECPUs; {} ops/s x {} ECPU x {} active h/day)",
            million_ecpus,
            p.usd_per_million_ecpu,
            w.traffic.average_ops_per_sec,
            size::ecpu_per_request(w),
            w.traffic.active_hours_per_day
        ),
        on_demand_usd_per_month: round2(million_ecpus * p.usd_per_million_ecpu),
        reserved_1y_usd_per_month: None,
    };
    let note = match &sizes.serverless {
        Ok(_) => Some("no reservations for serverless; storage is metered continuously".to_owned()),
        Err(why) => Some(format!("priced, but the workload does not fit: {why}")),
    };
    let summary = match &sizes.serverless {
        Ok(l) => format!("up to {} GB, {} ECPU/s", l.data_storage_gb, l.ecpu_per_second),
        Err(_) => "over the serverless limits".to_owned(),
    };
    let mut cost = total(engine, summary, vec![storage, compute], p.estimate, note);
    cost.reserved_1y_usd_per_month = None;
    cost
}

fn memorydb(w: &Workload, sized: &Result<Replicated, crate::size::SizeError>, engine: Engine, c: &Catalog) -> PathCost {
    let r = match sized {
        Ok(r) => r,
        Err(why) => return unavailable(engine, &why.message),
    };
    let (nodes, estimated) = match node_hours(
        r.nodes,
        &r.node_type,
        c.prices.memorydb_nodes.get(&r.node_type),
        engine,
        c,
    ) {
        Ok(v) => v,
        Err(why) => return unavailable(engine, &why),
    };
    let d = &c.prices.memorydb_data_written;
    let writes_per_sec = w.traffic.average_ops_per_sec as f64 * f64::from(100 - w.traffic.read_percent) / 100.0;
    let written_gb = writes_per_sec * w.data.item_kb * active_seconds_per_month(w, c) / KB_PER_GB;
    let (billable_gb, price) = match engine {
        Engine::Valkey => ((written_gb - d.valkey_free_gb_per_month).max(0.0), d.valkey_usd_per_gb),
        Engine::Redis | Engine::Memcached => (written_gb, d.redis_usd_per_gb),
    };
    let data_cost = round2(billable_gb * price);
    let data = CostLine {
        item: format!("{written_gb:.0} GB written ({billable_gb:.0} GB billable at ${price}/GB)"),
        on_demand_usd_per_month: data_cost,
        reserved_1y_usd_per_month: Some(data_cost),
    };
    total(
        engine,
        format!("{} x {}", r.nodes, r.node_type),
        vec![nodes, data],
        estimated || d.estimate,
        None,
    )
}

fn self_hosted(w: &Workload, sizes: &Sizes, c: &Catalog) -> PathCost {
    let h = match &sizes.self_hosted {
        Ok(h) => h,
        Err(why) => return unavailable(Engine::Valkey, &why.message),
    };
    let Some(p) = c.prices.ec2_instances.get(&h.instance_type) else {
        return unavailable(Engine::Valkey, &format!("no price for EC2 {}", h.instance_type));
    };
    let hours = c.prices.meta.hours_per_month * f64::from(h.nodes);
    let instances = CostLine {
        item: format!("{} x {} instance-hours (${}/h)", h.nodes, h.instance_type, p.on_demand),
        on_demand_usd_per_month: round2(p.on_demand * hours),
        reserved_1y_usd_per_month: p.reserved_1y.map(|r| round2(r * hours)),
    };
    let ebs_gb = f64::from(h.nodes * (h.root_volume_gb + h.data_volume_gb));
    let ebs_cost = round2(ebs_gb * c.prices.ebs.gp3_usd_per_gb_month);
    let ebs = CostLine {
        item: format!("{ebs_gb} GB gp3 (${}/GB-month)", c.prices.ebs.gp3_usd_per_gb_month),
        on_demand_usd_per_month: ebs_cost,
        reserved_1y_usd_per_month: Some(ebs_cost),
    };
    let performance = data_volume_performance(h, c);
    let backups = backup_storage(w, c);
    let ops = round2(w.team.ops_cost_usd_per_month);
    let people = CostLine {
        item: "engineer time to run it (team.ops_cost_usd_per_month)".to_owned(),
        on_demand_usd_per_month: ops,
        reserved_1y_usd_per_month: Some(ops),
    };
    let mut lines = vec![instances, ebs, performance];
    lines.extend(backups);
    lines.extend(cross_az_replication(w, h, c));
    lines.push(people);
    total(
        Engine::Valkey,
        format!("{} x {}", h.nodes, h.instance_type),
        lines,
        p.estimate || c.prices.ebs.estimate || c.prices.s3.estimate || c.prices.data_transfer.estimate,
        Some("S3 requests, data transfer to clients and CloudWatch metrics and alarms not included".to_owned()),
    )
}

/// Replication between the instances, each in its own AZ: every write the primary takes goes to
/// each replica, billed out at the primary and in at the replica.
fn cross_az_replication(w: &Workload, h: &crate::size::SelfHosted, c: &Catalog) -> Option<CostLine> {
    let t = &c.prices.data_transfer;
    let writes = w.traffic.average_ops_per_sec as f64 * f64::from(100 - w.traffic.read_percent) / 100.0;
    let replicas = f64::from(h.nodes.saturating_sub(1));
    let gb = writes * w.data.item_kb * active_seconds_per_month(w, c) * replicas / KB_PER_GB;
    if gb == 0.0 {
        return None;
    }
    let usd = round2(gb * 2.0 * t.cross_az_usd_per_gb_each_direction);
    Some(CostLine {
        item: format!(
            "cross-AZ replication to {} replicas, {} GB a month (${}/GB each direction)",
            plain(replicas),
            plain(round2(gb)),
            t.cross_az_usd_per_gb_each_direction
        ),
        on_demand_usd_per_month: usd,
        reserved_1y_usd_per_month: Some(usd),
    })
}

/// The data volumes' IOPS and throughput above the gp3 baseline (included in the storage price).
fn data_volume_performance(h: &crate::size::SelfHosted, c: &Catalog) -> CostLine {
    let s = &c.sizing;
    let e = &c.prices.ebs;
    let extra_iops = h.data_volume_iops.saturating_sub(s.gp3_baseline_iops);
    let extra_mibps = h.data_volume_mibps.saturating_sub(s.gp3_baseline_mibps);
    let usd = round2(
        f64::from(h.nodes)
            * (f64::from(extra_iops) * e.gp3_iops_usd_per_month
                + f64::from(extra_mibps) * e.gp3_throughput_usd_per_mibps_month),
    );
    CostLine {
        item: format!(
            "{} data volumes at {} IOPS, {} MiB/s: {extra_iops} IOPS (${}/IOPS-month) and {extra_mibps} MiB/s (${}/MiB/s-month) above the gp3 baseline each",
            h.nodes, h.data_volume_iops, h.data_volume_mibps, e.gp3_iops_usd_per_month, e.gp3_throughput_usd_per_mibps_month
        ),
        on_demand_usd_per_month: usd,
        reserved_1y_usd_per_month: Some(usd),
    }
}

/// The hourly RDB copies in S3 Standard: 24 a day, each about the dataset's size, kept
/// `backup.retention_days` and then one more day as a noncurrent version (backup.tf: versioning,
/// `noncurrent_days = 1`). None when backups are off.
fn backup_storage(w: &Workload, c: &Catalog) -> Option<CostLine> {
    let days = w.backup.retention_days;
    if days == 0 {
        return None;
    }
    let copies = 24 * (days + 1);
    let gb = w.data.size_gb * f64::from(copies);
    let price = c.prices.s3.standard_usd_per_gb_month;
    let usd = round2(gb * price);
    Some(CostLine {
        item: format!(
            "S3 backups: {copies} hourly RDB copies of ~{} GB ({days} days kept + 1 day noncurrent), {gb} GB (${price}/GB-month)",
            w.data.size_gb
        ),
        on_demand_usd_per_month: usd,
        reserved_1y_usd_per_month: Some(usd),
    })
}
