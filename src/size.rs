//! Sizing (SPEC §5): node types, shards and replicas for every path.
//!
//! Input: a validated workload and the catalog. Output: [`Sizes`], one result per path; a path the
//! workload cannot fit carries the reason instead (it matters only if that path is chosen).
//! Must not: decide the path or price anything.

use serde::Serialize;

use crate::catalog::{Catalog, NodeSpec};
use crate::names::Environment;
use crate::units::round2;
use crate::workload::Workload;

/// Nodes with replication: an ElastiCache replication group or a MemoryDB cluster.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Replicated {
    /// `cache.r7g.large`, `db.r7g.xlarge` …
    pub node_type: String,
    /// Memory of one node, GiB.
    pub memory_gib: f64,
    /// vCPUs of one node.
    pub vcpu: u32,
    /// Shards (node groups). More than one means cluster mode.
    pub shards: u32,
    /// Replicas in each shard.
    pub replicas_per_shard: u32,
    /// Data one shard may hold under the memory rule, GiB.
    pub data_gib_per_shard: f64,
    /// Every node: primaries and replicas.
    pub nodes: u32,
    /// Cluster mode enabled (data spread over several shards).
    pub cluster_mode: bool,
    /// Every shard has a replica in another AZ (Multi-AZ with automatic failover).
    pub multi_az: bool,
    /// More nodes than the default per-cluster quota (an AWS quota increase is needed first).
    pub needs_quota_increase: bool,
}

/// ElastiCache Serverless usage limits.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServerlessLimits {
    /// `cache_usage_limits.data_storage.maximum`, GB.
    pub data_storage_gb: u64,
    /// `cache_usage_limits.ecpu_per_second.maximum`.
    pub ecpu_per_second: u64,
    /// ECPU/s the peak needs, before headroom and clamping.
    pub peak_ecpu_per_second: f64,
    /// The data the workload declares, GB (`data.size_gb`): what the cache holds normally.
    pub data_gb: f64,
}

/// Self-hosted Valkey with Sentinel on EC2.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SelfHosted {
    /// EC2 instance type (`r7g.xlarge`).
    pub instance_type: String,
    /// RAM of one instance, GiB.
    pub memory_gib: f64,
    /// vCPUs of one instance.
    pub vcpu: u32,
    /// Instances (primary + replicas), one per AZ.
    pub nodes: u32,
    /// Sentinel quorum.
    pub sentinel_quorum: u32,
    /// Valkey `maxmemory`, MiB.
    pub maxmemory_mb: u64,
    /// Root volume per instance, GiB.
    pub root_volume_gb: u32,
    /// Data volume (RDB dumps) per instance, GiB.
    pub data_volume_gb: u32,
    /// Valkey `io-threads` (the main thread counts as one; 1 = no I/O threads).
    pub io_threads: u32,
    /// Provisioned IOPS of each data volume (gp3; the baseline when no more is needed).
    pub data_volume_iops: u32,
    /// Provisioned throughput of each data volume, MiB/s (gp3).
    pub data_volume_mibps: u32,
}

/// IOPS and MiB/s of a gp3 data volume of `volume_gb` GiB that writes or reads `size_gb` GB of
/// RDB in `self_hosted_rdb_seconds` (catalog.toml): at least the baseline, at most the gp3
/// maximum; the IOPS carry the throughput (0.25 MiB/s per IOPS) and stay within 500 IOPS per GiB.
pub fn data_volume_performance(size_gb: f64, volume_gb: u32, c: &Catalog) -> (u32, u32) {
    let s = &c.sizing;
    // SPEC §9: size_gb is GB (10^9 bytes); EBS throughput is MiB/s.
    let data_mib = size_gb * 1e9 / f64::from(1u32 << 20);
    let need = (data_mib / f64::from(s.self_hosted_rdb_seconds)).ceil() as u32;
    let mibps = need.clamp(s.gp3_baseline_mibps, s.gp3_max_mibps);
    let iops_for_mibps = (f64::from(mibps) / s.gp3_mibps_per_iops).ceil() as u32;
    let iops = iops_for_mibps
        .max(s.gp3_baseline_iops)
        .min(s.gp3_max_iops)
        .min(volume_gb.saturating_mul(s.gp3_iops_per_gib).max(s.gp3_baseline_iops));
    (iops, mibps)
}

/// Valkey `io-threads` for an instance with `vcpu` vCPUs. valkey.conf, "THREADED I/O"
/// (valkey-io/valkey `valkey.conf`): enable I/O threads "only in machines that have at least 3 or
/// more cores, leaving at least one spare core ... if you have a four cores boxes, try to use 2 or 3
/// I/O threads, if you have a 8 cores, try to use 6 threads"; "Setting io-threads to 1 will just
/// use the main thread". So three quarters of the vCPUs from 4 up (4 -> 3, 8 -> 6): the rest is
/// left to the RDB fork, Sentinel, the kernel's network work and the CloudWatch agent.
pub fn io_threads(vcpu: u32) -> u32 {
    if vcpu < 4 {
        1
    } else {
        vcpu * 3 / 4
    }
}

/// Why a path cannot hold the workload: the key of the workload file that binds, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SizeError {
    /// The dotted key the user would change (`data.size_gb`, `traffic.peak_ops_per_sec`, ...).
    pub key: &'static str,
    /// One sentence.
    pub message: String,
}

impl SizeError {
    fn new(key: &'static str, message: String) -> SizeError {
        SizeError { key, message }
    }
}

impl std::fmt::Display for SizeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Sizes of all four paths.
#[derive(Debug, Clone, PartialEq)]
pub struct Sizes {
    /// ElastiCache node-based (Valkey/Redis sizing; Memcached uses the same node type).
    pub elasticache: Result<Replicated, SizeError>,
    /// ElastiCache Serverless.
    pub serverless: Result<ServerlessLimits, SizeError>,
    /// MemoryDB.
    pub memorydb: Result<Replicated, SizeError>,
    /// Self-hosted on EC2.
    pub self_hosted: Result<SelfHosted, SizeError>,
}

/// Sizes every path. Overrides of node type, shards and replicas apply to the paths they fit:
/// `cache.*` to ElastiCache, `db.*` to MemoryDB, anything else to self-hosted EC2.
pub fn size(w: &Workload, c: &Catalog) -> Sizes {
    Sizes {
        elasticache: replicated(w, c, "cache.", 0),
        serverless: serverless(w, c),
        memorydb: replicated(w, c, "db.", 1),
        self_hosted: self_hosted(w, c),
    }
}

/// Data a node holds under the memory rule: memory x (1 - reserved) x fill.
pub fn data_gib_per_node(c: &Catalog, spec: &NodeSpec) -> f64 {
    let s = &c.sizing;
    spec.memory_gib * (1.0 - f64::from(s.reserved_memory_percent) / 100.0) * f64::from(s.max_fill_percent) / 100.0
}

/// Shards the write rate needs (SPEC §5: writes per shard assumption).
pub fn write_shards(w: &Workload, c: &Catalog) -> u32 {
    let writes = w.traffic.peak_ops_per_sec as f64 * f64::from(100 - w.traffic.read_percent) / 100.0;
    ((writes / c.sizing.writes_per_shard_ops as f64).ceil() as u32).max(1)
}

fn replicated(w: &Workload, c: &Catalog, prefix: &str, min_replicas: u32) -> Result<Replicated, SizeError> {
    let s = &c.sizing;
    let o = &w.overrides;
    let node_override = o.node_type.as_deref().filter(|n| n.starts_with(prefix));
    let prod = w.environment == Environment::Prod;
    let replicas = o
        .replicas_per_shard
        .unwrap_or(if prod { 1 } else { min_replicas })
        .max(min_replicas);
    let data = w.data.size_gb;
    let writes = write_shards(w, c);
    let shards_for = |spec: &NodeSpec| ((data / data_gib_per_node(c, spec)).ceil() as u32).max(writes).max(1);
    let build = |name: &str, spec: &NodeSpec, shards: u32| Replicated {
        node_type: name.to_owned(),
        memory_gib: spec.memory_gib,
        vcpu: spec.vcpu,
        shards,
        replicas_per_shard: replicas,
        data_gib_per_shard: round2(data_gib_per_node(c, spec)),
        nodes: shards * (1 + replicas),
        cluster_mode: shards > 1,
        multi_az: replicas > 0,
        needs_quota_increase: shards * (1 + replicas) > s.default_node_quota,
    };

    if let Some(name) = node_override {
        let spec = c.node(name).ok_or_else(|| {
            SizeError::new(
                "override.node_type",
                format!("override.node_type `{name}` is not in the catalog"),
            )
        })?;
        let shards = o.shards.unwrap_or_else(|| shards_for(spec));
        let holds = data_gib_per_node(c, spec) * f64::from(shards);
        if data > holds {
            return Err(SizeError::new(
                "override.node_type",
                format!(
                    "override.node_type `{name}` holds {:.2} GiB of data per shard, so {shards} shard(s) hold {holds:.2} GiB, less than size_gb = {data}",
                    data_gib_per_node(c, spec)
                ),
            ));
        }
        return Ok(build(name, spec, shards));
    }

    let small = c.family(&format!("{prefix}t4g."));
    let large = c.family(&format!("{prefix}r7g."));
    if let Some(shards) = o.shards {
        let family = if prod { &large } else { &small };
        let pick = family
            .iter()
            .chain(large.iter())
            .find(|(_, spec)| data <= data_gib_per_node(c, spec) * f64::from(shards));
        return match pick {
            Some((name, spec)) => Ok(build(name, spec, shards)),
            None => Err(SizeError::new(
                "override.shards",
                format!("size_gb = {data} does not fit {shards} shard(s) of the largest {prefix}r7g node"),
            )),
        };
    }

    if writes == 1 {
        let single = |(_, spec): &&(&str, &NodeSpec)| data <= data_gib_per_node(c, spec);
        if !prod {
            if let Some((name, spec)) = small.iter().find(single) {
                return Ok(build(name, spec, 1));
            }
        }
        let largest_single = format!("{prefix}{}", s.largest_single_shard_node);
        let limit = c.node(&largest_single).map_or(0.0, |n| n.memory_gib);
        if let Some((name, spec)) = large.iter().filter(|(_, spec)| spec.memory_gib <= limit).find(single) {
            return Ok(build(name, spec, 1));
        }
    }

    let smallest_cluster = c
        .node(&format!("{prefix}{}", s.smallest_cluster_node))
        .map_or(0.0, |n| n.memory_gib);
    let cluster_nodes: Vec<&(&str, &NodeSpec)> = large
        .iter()
        .filter(|(_, spec)| spec.memory_gib >= smallest_cluster)
        .collect();
    let within_quota = cluster_nodes
        .iter()
        .find(|(_, spec)| shards_for(spec) * (1 + replicas) <= s.default_node_quota);
    let (name, spec) = match within_quota.or(cluster_nodes.last()) {
        Some(pick) => **pick,
        None => {
            return Err(SizeError::new(
                "data.size_gb",
                format!("the catalog has no {prefix}r7g node types"),
            ))
        }
    };
    let shards = shards_for(spec);
    if shards > s.max_shards {
        return Err(too_many_shards(c, data, writes, shards, name));
    }
    Ok(build(name, spec, shards))
}

/// More shards than AWS allows: what binds, the data or the writes (SPEC §5: writes per shard).
fn too_many_shards(c: &Catalog, data: f64, writes: u32, shards: u32, node: &str) -> SizeError {
    let s = &c.sizing;
    if writes >= shards {
        SizeError::new(
            "traffic.peak_ops_per_sec",
            format!(
                "the peak writes need {shards} shards ({} writes/s per shard), more than the {} AWS allows",
                s.writes_per_shard_ops, s.max_shards
            ),
        )
    } else {
        SizeError::new(
            "data.size_gb",
            format!(
                "size_gb = {data} needs {shards} shards of {node}, more than the {} AWS allows",
                s.max_shards
            ),
        )
    }
}

fn serverless(w: &Workload, c: &Catalog) -> Result<ServerlessLimits, SizeError> {
    let s = &c.sizing;
    let storage = ((w.data.size_gb * s.serverless_storage_headroom).ceil() as u64).max(1);
    let peak_ecpu = w.traffic.peak_ops_per_sec as f64 * ecpu_per_request(w);
    if w.data.size_gb > s.serverless_max_storage_gb as f64 {
        return Err(SizeError::new(
            "data.size_gb",
            format!(
                "size_gb = {} is above the {} GB a serverless cache can hold",
                w.data.size_gb, s.serverless_max_storage_gb
            ),
        ));
    }
    if peak_ecpu > s.serverless_max_ecpu_per_second as f64 {
        return Err(SizeError::new(
            "traffic.peak_ops_per_sec",
            format!(
                "the peak needs {peak_ecpu:.0} ECPU/s, above the {} ECPU/s a serverless cache allows",
                s.serverless_max_ecpu_per_second
            ),
        ));
    }
    let ecpu = ((peak_ecpu * s.serverless_ecpu_headroom).ceil() as u64)
        .clamp(s.serverless_min_ecpu_per_second, s.serverless_max_ecpu_per_second);
    Ok(ServerlessLimits {
        data_storage_gb: storage.min(s.serverless_max_storage_gb),
        ecpu_per_second: ecpu,
        peak_ecpu_per_second: peak_ecpu,
        data_gb: w.data.size_gb,
    })
}

/// ECPUs one request consumes: 1 ECPU per KB transferred (aws-facts §5, AWS-PRICE-EC).
pub fn ecpu_per_request(w: &Workload) -> f64 {
    w.data.item_kb
}

fn self_hosted(w: &Workload, c: &Catalog) -> Result<SelfHosted, SizeError> {
    let s = &c.sizing;
    let maxmemory_share = f64::from(s.self_hosted_maxmemory_percent) / 100.0;
    let fill = f64::from(s.max_fill_percent) / 100.0;
    let data = w.data.size_gb;
    let family = c.family("r7g.");
    let forced = w
        .overrides
        .node_type
        .as_deref()
        .filter(|n| !n.starts_with("cache.") && !n.starts_with("db."));
    let pick = if let Some(name) = forced {
        let spec = c.node(name).ok_or_else(|| {
            SizeError::new(
                "override.node_type",
                format!("override.node_type `{name}` is not in the catalog"),
            )
        })?;
        if data > spec.memory_gib * maxmemory_share * fill {
            return Err(SizeError::new(
                "override.node_type",
                format!(
                    "override.node_type `{name}` has {} GiB of RAM: maxmemory {:.1} GiB holds {:.1} GiB of data, less than size_gb = {data}",
                    spec.memory_gib,
                    spec.memory_gib * maxmemory_share,
                    spec.memory_gib * maxmemory_share * fill
                ),
            ));
        }
        (name, spec)
    } else {
        let fits = family
            .iter()
            .find(|(_, spec)| data <= spec.memory_gib * maxmemory_share * fill);
        let Some(pick) = fits else {
            let (name, spec) = family.last().ok_or_else(|| {
                SizeError::new("data.size_gb", "the catalog has no EC2 r7g instance types".to_owned())
            })?;
            return Err(SizeError::new(
                "data.size_gb",
                format!(
                    "size_gb = {data} does not fit the largest EC2 instance {name} ({} GiB RAM, maxmemory {:.0} GiB, {:.0} GiB for data); self-hosting runs a single shard",
                    spec.memory_gib,
                    spec.memory_gib * maxmemory_share,
                    spec.memory_gib * maxmemory_share * fill
                ),
            ));
        };
        *pick
    };
    let (name, spec) = pick;
    let maxmemory_gib = spec.memory_gib * maxmemory_share;
    let data_volume_gb = ((maxmemory_gib * s.self_hosted_data_volume_factor).ceil() as u32).max(1);
    let (data_volume_iops, data_volume_mibps) = data_volume_performance(data, data_volume_gb, c);
    Ok(SelfHosted {
        instance_type: name.to_owned(),
        memory_gib: spec.memory_gib,
        vcpu: spec.vcpu,
        nodes: s.self_hosted_nodes,
        sentinel_quorum: s.self_hosted_sentinel_quorum,
        maxmemory_mb: (maxmemory_gib * 1024.0).floor() as u64,
        root_volume_gb: s.self_hosted_root_volume_gb,
        data_volume_gb,
        io_threads: io_threads(spec.vcpu),
        data_volume_iops,
        data_volume_mibps,
    })
}
