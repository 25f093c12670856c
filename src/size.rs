//! Sizing (SPEC §5): node types, shards and replicas for every path.
//!
//! Input: a validated workload and the catalog. Output: [`Sizes`], one result per path; a path the
//! workload cannot fit carries the reason instead (it matters only if that path is chosen).
//! Must not: decide the path or price anything.

use serde::Serialize;

use crate::catalog::{Catalog, NodeSpec};
use crate::names::{DataType, Engine, Environment};
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
    /// The constraint that set the size.
    pub binding: Binding,
    /// Its figures, in words ("network: 5.90 Gbps at the peak, 0.75 Gbps per node").
    pub binding_detail: String,
    /// Every constraint's figures, in words.
    pub constraints: String,
    /// The cheapest topology on another node type, in words, when there is one.
    pub runner_up: Option<String>,
}

/// The deployment a path gets: what sizing found, what cost prices, what the module builds.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Topology {
    /// ElastiCache replication group (Valkey/Redis OSS).
    ReplicationGroup(Replicated),
    /// ElastiCache Memcached cluster, nodes spread across AZs.
    MemcachedCluster(MemcachedNodes),
    /// ElastiCache Serverless.
    Serverless(ServerlessLimits),
    /// MemoryDB cluster.
    MemorydbCluster(Replicated),
    /// EC2 instances with Sentinel.
    Ec2Sentinel(SelfHosted),
}

/// A Memcached cluster: nodes that share the data, no replicas.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MemcachedNodes {
    /// `cache.r7g.2xlarge` …
    pub node_type: String,
    /// Memory of one node, GiB.
    pub memory_gib: f64,
    /// vCPUs of one node.
    pub vcpu: u32,
    /// Nodes.
    pub nodes: u32,
    /// `cross-az` when more than one node.
    pub az_mode: &'static str,
    /// The constraint that set the node count.
    pub binding: Binding,
    /// Its figures, in words.
    pub binding_detail: String,
    /// Every constraint's figures, in words.
    pub constraints: String,
    /// The cheapest cluster on another node type, in words.
    pub runner_up: Option<String>,
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
    /// ElastiCache node-based, Valkey or Redis OSS.
    pub elasticache: Result<Replicated, SizeError>,
    /// ElastiCache node-based, Memcached.
    pub memcached: Result<MemcachedNodes, SizeError>,
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
    // ElastiCache prices and speeds the engine the workload names (Valkey for `auto`; Memcached
    // is sized on its own); MemoryDB runs Valkey 7.2 or Redis OSS (aws-facts §7.2).
    let elasticache_engine = match w.named_engine() {
        Some(Engine::Redis) => Engine::Redis,
        _ => Engine::Valkey,
    };
    let memorydb_engine = elasticache_engine;
    Sizes {
        elasticache: replicated(
            w,
            c,
            ReplicaPath {
                prefix: "cache.",
                min_replicas: 0,
                engine: elasticache_engine,
                model: EngineModel::of(elasticache_engine, w.engine_version),
                write_mb_per_primary: None,
                single_shard: false,
            },
        ),
        memcached: memcached(w, c),
        serverless: serverless(w, c),
        memorydb: replicated(
            w,
            c,
            ReplicaPath {
                prefix: "db.",
                min_replicas: 1,
                engine: memorydb_engine,
                // MemoryDB offers Valkey 7.2 and Redis OSS 7 (aws-facts §7.2): no I/O threads.
                model: EngineModel::EnhancedIo,
                write_mb_per_primary: Some(c.capacity.memorydb_write_mb_per_sec_per_primary),
                // Vector search "is limited to a single shard" and "supports vertical and replica
                // scaling" (MemoryDB Developer Guide, vector-search-limits.html).
                single_shard: w.data.types.contains(&DataType::Vector),
            },
        ),
        self_hosted: self_hosted(w, c),
    }
}

/// Engine auto: Memcached needs at least this many vCPUs to win (SPEC §4; seed: large multi-core
/// nodes).
pub const MEMCACHED_MIN_VCPU: u32 = 8;

/// GiB in a GB: `size_gb` is GB (10^9 bytes) and node memory GiB (SPEC §9, "units").
pub const GIB_PER_GB: f64 = 1e9 / (1u64 << 30) as f64;

/// Data a node holds under the memory rule: memory x (1 - reserved) x fill, GiB.
pub fn data_gib_per_node(c: &Catalog, spec: &NodeSpec) -> f64 {
    let s = &c.sizing;
    spec.memory_gib * (1.0 - f64::from(s.reserved_memory_percent) / 100.0) * f64::from(s.max_fill_percent) / 100.0
}

/// Data a Memcached node holds: its memory less the connections overhead (Memcached has no
/// `reserved-memory-percent`), filled to the same share as the others.
pub fn memcached_data_gib_per_node(c: &Catalog, spec: &NodeSpec) -> f64 {
    let s = &c.sizing;
    (spec.memory_gib - f64::from(s.memcached_connections_overhead_mb) / 1024.0).max(0.0) * f64::from(s.max_fill_percent)
        / 100.0
}

/// What the workload asks of a topology at its peak (SPEC §9, "sizing").
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Demand {
    /// Data held, GiB.
    pub data_gib: f64,
    /// Peak writes, ops/s.
    pub writes: f64,
    /// Peak reads, ops/s.
    pub reads: f64,
    /// Bytes one operation moves (the value: `item_kb`).
    pub bytes_per_op: f64,
    /// Reads are spread over the replicas too (`traffic.reads_from_replicas`).
    pub reads_from_replicas: bool,
}

impl Demand {
    /// The demand of a workload.
    pub fn of(w: &Workload) -> Demand {
        let peak = w.traffic.peak_ops_per_sec as f64;
        let reads = peak * f64::from(w.traffic.read_percent) / 100.0;
        Demand {
            data_gib: w.data.size_gb * GIB_PER_GB,
            writes: peak - reads,
            reads,
            bytes_per_op: w.data.item_kb * 1024.0,
            reads_from_replicas: w.traffic.reads_from_replicas,
        }
    }
}

/// The constraint that set a topology's size: the one that needs the most shards (or nodes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Binding {
    /// The data, under the memory rule.
    Memory,
    /// Operations on the primaries (writes, and reads unless replicas serve them).
    Primaries,
    /// Reads on the nodes that serve them.
    Reads,
    /// Network bandwidth per node.
    Network,
    /// MemoryDB's write throughput per primary.
    WriteThroughput,
    /// The workload file fixes it (`[override]`).
    Override,
}

/// How fast the engine on a node of `vcpu` vCPUs serves operations, ops/s: the catalog's
/// per-thread figure times the engine's speed-up on that node (catalog.toml `[capacity]`).
pub fn node_ops(c: &Catalog, model: EngineModel, vcpu: u32) -> f64 {
    let k = &c.capacity;
    let speedup = match model {
        EngineModel::ValkeyIoThreads => (f64::from(io_threads(vcpu))).min(k.valkey_io_threads_max_speedup),
        EngineModel::EnhancedIo if vcpu >= k.enhanced_io_min_vcpu => k.enhanced_io_speedup,
        EngineModel::EnhancedIo => 1.0,
        EngineModel::Multithreaded => (f64::from(vcpu) * k.memcached_threads_per_vcpu).max(1.0),
    };
    k.engine_thread_ops_per_sec * speedup
}

/// How an engine uses a node's cores (catalog.toml `[capacity]`, with sources).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineModel {
    /// Valkey 8 and later: I/O threads beside the command thread.
    ValkeyIoThreads,
    /// Redis OSS and Valkey 7.2 on ElastiCache and MemoryDB: one command thread, with AWS's
    /// Enhanced I/O on nodes of 4 vCPUs or more.
    EnhancedIo,
    /// Memcached: every thread serves commands.
    Multithreaded,
}

impl EngineModel {
    /// The model of the engine a path runs for this workload.
    pub fn of(engine: Engine, version: Option<crate::workload::EngineVersion>) -> EngineModel {
        match engine {
            Engine::Memcached => EngineModel::Multithreaded,
            Engine::Valkey if version.is_none_or(|v| v.major >= 8) => EngineModel::ValkeyIoThreads,
            Engine::Valkey | Engine::Redis => EngineModel::EnhancedIo,
        }
    }
}

/// Network a node can carry, bytes/s: its baseline bandwidth (burst is for seconds; aws-facts §2)
/// times the share the catalog allows. Unknown: no limit is applied.
fn node_bytes_per_sec(c: &Catalog, spec: &NodeSpec) -> Option<f64> {
    spec.baseline_gbps
        .map(|g| g * 1e9 / 8.0 * f64::from(c.capacity.network_use_percent) / 100.0)
}

/// One topology the search looked at.
#[derive(Debug, Clone)]
struct Candidate<'a> {
    node: &'a str,
    spec: &'a NodeSpec,
    shards: u32,
    replicas: u32,
    usd_per_month: f64,
    binding: Binding,
    /// What the node type needs, with the figures of every constraint.
    fit: Fit,
}

impl Candidate<'_> {
    fn nodes(&self) -> u32 {
        self.shards * (1 + self.replicas)
    }

    fn summary(&self) -> String {
        let replicas = if self.replicas == 1 {
            "1 replica".to_owned()
        } else {
            format!("{} replicas", self.replicas)
        };
        let nodes = match self.nodes() {
            1 => "1 node".to_owned(),
            n => format!("{n} nodes"),
        };
        format!(
            "{} shard(s) of {} with {replicas} ({nodes}, {}/month)",
            self.shards,
            self.node,
            crate::units::usd(self.usd_per_month)
        )
    }
}

/// One constraint a topology must clear: the shards (or nodes) it takes, fractional (`0.6`: one
/// shard, 60 % used), and its figures (put in words only when shown: the search weighs thousands).
#[derive(Debug, Clone, Copy)]
struct Need {
    units: f64,
    binding: Binding,
    detail: Detail,
}

/// The figures of a need.
#[derive(Debug, Clone, Copy)]
enum Detail {
    /// GiB of data, GiB one shard (or node) holds, and which.
    Memory(f64, f64, &'static str),
    /// What is served, ops/s at the peak, ops/s one node serves.
    Ops(&'static str, f64, f64),
    /// Bytes/s in the busiest direction, bytes/s one node may carry.
    Network(f64, f64),
    /// MB/s written, MB/s one primary sustains.
    Writes(f64, f64),
}

impl std::fmt::Display for Detail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Detail::Memory(data, per_node, unit) => {
                write!(f, "memory: {data:.2} GiB of data, {per_node:.2} GiB per {unit}")
            }
            Detail::Ops(what, ops, per_node) => write!(
                f,
                "{what}: {} ops/s at the peak, {} per node",
                crate::units::thousands(ops.ceil() as u64),
                crate::units::thousands(per_node as u64)
            ),
            Detail::Network(busiest, bandwidth) => write!(
                f,
                "network: {:.2} Gbps at the peak, {:.2} Gbps per node",
                busiest * 8.0 / 1e9,
                bandwidth * 8.0 / 1e9
            ),
            Detail::Writes(written, limit) => {
                write!(
                    f,
                    "write throughput: {written:.1} MB/s at the peak, {limit} MB/s per primary"
                )
            }
        }
    }
}

/// What a node type needs for a demand: the count, the tightest constraint and every figure.
#[derive(Debug, Clone)]
struct Fit {
    /// Shards (or nodes): the largest need rounded up, at least 1.
    count: u32,
    /// The tightest constraint: the one with the largest need.
    binding: Binding,
    /// Every need, in the order weighed.
    needs: Vec<Need>,
    /// Which need is the tightest.
    tightest: usize,
    /// Words added to the tightest need's (`, and one node to spare`).
    note: &'static str,
}

impl Fit {
    fn of(needs: Vec<Need>) -> Fit {
        let tightest = needs
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.units.total_cmp(&b.1.units))
            .map(|(i, _)| i)
            .expect("the memory rule is always there");
        Fit {
            count: (needs[tightest].units.ceil().min(f64::from(u32::MAX)) as u32).max(1),
            binding: needs[tightest].binding,
            needs,
            tightest,
            note: "",
        }
    }

    /// The tightest constraint's figures.
    fn why(&self) -> String {
        format!("{}{}", self.needs[self.tightest].detail, self.note)
    }

    /// Every constraint's figures, `; `-separated.
    fn all(&self) -> String {
        self.needs
            .iter()
            .map(|n| n.detail.to_string())
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// The memory rule as a need: the data over what one shard (or node) holds.
fn memory_need(d: &Demand, per_node: f64, unit: &'static str) -> Need {
    Need {
        units: d.data_gib / per_node,
        binding: Binding::Memory,
        detail: Detail::Memory(d.data_gib, per_node, unit),
    }
}

/// Operations as a need: `ops` at the peak over what one node serves.
fn ops_need(what: &'static str, ops: f64, per_node: f64) -> Need {
    Need {
        units: ops / per_node,
        binding: Binding::Primaries,
        detail: Detail::Ops(what, ops, per_node),
    }
}

/// Network as a need: the busiest direction's bytes/s over what one node may carry.
fn network_need(busiest: f64, bandwidth: f64) -> Need {
    Need {
        units: busiest / bandwidth,
        binding: Binding::Network,
        detail: Detail::Network(busiest, bandwidth),
    }
}

/// Shards `spec` needs for `demand` with `replicas` replicas per shard, and what binds.
fn shards_needed(
    c: &Catalog,
    d: &Demand,
    spec: &NodeSpec,
    replicas: u32,
    model: EngineModel,
    write_mb_per_primary: Option<f64>,
) -> Fit {
    let ops = node_ops(c, model, spec.vcpu);
    // Reads spread over the shard's nodes must still be served with one node down (a replica
    // replaced in maintenance, or promoted in a failover): N - 1 nodes serve them ("ensure that
    // you have at least two read replicas", ElastiCache best practices, minimizing downtime).
    let serving = if d.reads_from_replicas {
        f64::from(replicas.max(1))
    } else {
        1.0
    };
    let primary_ops = d.writes + d.reads / serving;
    let replica_ops = if d.reads_from_replicas { d.reads / serving } else { 0.0 };
    let mut needs = vec![
        memory_need(d, data_gib_per_node(c, spec), "shard"),
        ops_need("operations on the primaries", primary_ops, ops),
    ];
    if replica_ops > 0.0 {
        needs.push(Need {
            binding: Binding::Reads,
            ..ops_need("reads on each replica", replica_ops, ops)
        });
    }
    if let Some(bandwidth) = node_bytes_per_sec(c, spec) {
        // Bandwidth holds in each direction (catalog.toml `network_use_percent`). A primary
        // sends its reads and every write to each replica, and receives the writes; a replica
        // receives every write and sends its reads.
        let primary_out = (primary_ops - d.writes + d.writes * f64::from(replicas)) * d.bytes_per_op;
        let primary_in = d.writes * d.bytes_per_op;
        let replica_out = replica_ops * d.bytes_per_op;
        let busiest = primary_out.max(primary_in).max(replica_out);
        needs.push(network_need(busiest, bandwidth));
    }
    if let Some(limit) = write_mb_per_primary {
        let written = d.writes * d.bytes_per_op / 1e6;
        needs.push(Need {
            units: written / limit,
            binding: Binding::WriteThroughput,
            detail: Detail::Writes(written, limit),
        });
    }
    Fit::of(needs)
}

/// The paths with replication and their rules.
#[derive(Debug, Clone, Copy)]
struct ReplicaPath<'a> {
    /// `cache.` or `db.`.
    prefix: &'a str,
    /// Replicas per shard at least (MemoryDB: 1, for Multi-AZ; ElastiCache outside prod: 0).
    min_replicas: u32,
    /// The engine whose prices and speed count.
    engine: Engine,
    model: EngineModel,
    /// MemoryDB's write throughput per primary, MB/s.
    write_mb_per_primary: Option<f64>,
    /// One shard only, on any node size (MemoryDB vector search runs in a single shard).
    single_shard: bool,
}

/// Every topology of the search space that satisfies every constraint, cheapest first (ties:
/// fewer nodes). The search space: node types of the families the environment allows (prod: r7g,
/// m7g; staging and dev also t4g), one shard (cluster mode disabled) on nodes up to the largest
/// single-shard node, or 2-500 shards (cluster mode) on nodes from the smallest cluster node up;
/// 0-5 replicas, at least the path's and the environment's minimum; at most 500 nodes. The
/// overrides fix their dimension.
fn candidates<'a>(w: &Workload, c: &'a Catalog, path: ReplicaPath<'_>) -> Vec<Candidate<'a>> {
    let s = &c.sizing;
    let o = &w.overrides;
    let d = Demand::of(w);
    let prod = w.environment == Environment::Prod;
    let min_replicas = u32::from(prod).max(path.min_replicas);
    let replica_range: Vec<u32> = match o.replicas_per_shard {
        Some(r) => vec![r.max(path.min_replicas)],
        None => (min_replicas..=s.max_replicas_per_shard).collect(),
    };
    let families: &[&str] = if prod {
        &["r7g.", "m7g."]
    } else {
        &["t4g.", "r7g.", "m7g."]
    };
    let size_rank = |name: &str| c.node(name).map_or(0.0, |n| n.memory_gib);
    let largest_single = size_rank(&format!("{}{}", path.prefix, s.largest_single_shard_node));
    let smallest_cluster = size_rank(&format!("{}{}", path.prefix, s.smallest_cluster_node));
    let price = |node: &str| -> Option<f64> {
        let table = if path.prefix == "db." {
            &c.prices.memorydb_nodes
        } else {
            &c.prices.elasticache_nodes
        };
        table.get(node)?.on_demand(path.engine)
    };
    // A node type override applies to the path whose node types it names.
    let forced = o.node_type.as_deref().filter(|n| n.starts_with(path.prefix));
    let mut out = Vec::new();
    for family in families {
        for (node, spec) in c.family(&format!("{}{family}", path.prefix)) {
            if forced.is_some_and(|n| n != node) {
                continue;
            }
            let Some(hourly) = price(node) else { continue };
            let is_t4g = *family == "t4g.";
            // Search on ElastiCache t4g nodes needs a larger memory reserve than the sizing
            // assumes (ElastiCache search-features-limits.html): not offered there. (MemoryDB
            // runs vector search on t4g: vector-search-limits.html.)
            let searches = w
                .data
                .types
                .iter()
                .any(|t| matches!(t, DataType::Vector | DataType::Search));
            if is_t4g && searches && path.prefix == "cache." {
                continue;
            }
            for &replicas in &replica_range {
                let fit = shards_needed(c, &d, spec, replicas, path.model, path.write_mb_per_primary);
                let (shards, binding) = match o.shards {
                    Some(fixed) if fixed >= fit.count => (fixed, Binding::Override),
                    Some(_) => continue,
                    None => (fit.count, fit.binding),
                };
                if path.single_shard && shards > 1 {
                    continue;
                }
                // One shard runs with cluster mode disabled, on nodes up to the largest single-shard
                // node (any node when one shard is the rule); cluster mode runs on the smallest
                // cluster node or larger, never on t4g.
                let allowed = if shards == 1 {
                    spec.memory_gib <= largest_single || forced.is_some() || path.single_shard
                } else {
                    (spec.memory_gib >= smallest_cluster && !is_t4g) || forced.is_some()
                };
                let nodes = shards.saturating_mul(1 + replicas);
                if !allowed || shards > s.max_shards || nodes > s.max_nodes_per_cluster {
                    continue;
                }
                out.push(Candidate {
                    node,
                    spec,
                    shards,
                    replicas,
                    usd_per_month: hourly * c.prices.meta.hours_per_month * f64::from(nodes),
                    binding,
                    fit,
                });
            }
        }
    }
    out.sort_by(|a, b| {
        a.usd_per_month
            .total_cmp(&b.usd_per_month)
            .then(a.nodes().cmp(&b.nodes()))
            .then(a.node.cmp(b.node))
    });
    out
}

/// The cheapest topology of a replicated path (within the default node quota when one is), and
/// the runner-up, or why none holds the workload.
fn replicated(w: &Workload, c: &Catalog, path: ReplicaPath<'_>) -> Result<Replicated, SizeError> {
    let s = &c.sizing;
    let all = candidates(w, c, path);
    let within: Vec<&Candidate> = all.iter().filter(|k| k.nodes() <= s.default_node_quota).collect();
    let pool: Vec<&Candidate> = if within.is_empty() {
        all.iter().collect()
    } else {
        within
    };
    let Some(best) = pool.first() else {
        return Err(no_topology(w, c, path));
    };
    let runner_up = pool.iter().find(|k| k.node != best.node).map(|k| k.summary());
    Ok(Replicated {
        node_type: best.node.to_owned(),
        memory_gib: best.spec.memory_gib,
        vcpu: best.spec.vcpu,
        shards: best.shards,
        replicas_per_shard: best.replicas,
        data_gib_per_shard: round2(data_gib_per_node(c, best.spec)),
        nodes: best.nodes(),
        cluster_mode: best.shards > 1,
        multi_az: best.replicas > 0,
        needs_quota_increase: best.nodes() > s.default_node_quota,
        binding: best.binding,
        binding_detail: best.fit.why(),
        constraints: best.fit.all(),
        runner_up,
    })
}

/// Why no topology of the search space holds the workload: the constraint that needs the most
/// shards on the largest node, as the key the user would change.
fn no_topology(w: &Workload, c: &Catalog, path: ReplicaPath<'_>) -> SizeError {
    let s = &c.sizing;
    let forced = w.overrides.node_type.as_deref().filter(|n| n.starts_with(path.prefix));
    if let Some(node) = forced {
        if c.node(node).is_none() {
            return SizeError::new(
                "override.node_type",
                format!("override.node_type `{node}` is not in the catalog"),
            );
        }
    }
    let largest = c
        .family(&format!("{}r7g.", path.prefix))
        .last()
        .map(|(n, spec)| ((*n).to_owned(), (*spec).clone()));
    let Some((name, spec)) = largest else {
        return SizeError::new(
            "data.size_gb",
            format!("the catalog has no {}r7g node types", path.prefix),
        );
    };
    let d = Demand::of(w);
    let replicas = w.overrides.replicas_per_shard.unwrap_or(1).max(path.min_replicas);
    if path.single_shard {
        let fit = shards_needed(c, &d, &spec, replicas, path.model, path.write_mb_per_primary);
        let (why, binding) = (fit.why(), fit.binding);
        let key = if binding == Binding::Memory {
            "data.size_gb"
        } else {
            "traffic.peak_ops_per_sec"
        };
        return SizeError::new(
            key,
            format!("vector search on MemoryDB runs in a single shard, and even one of {name} cannot hold it ({why})"),
        );
    }
    let fit = shards_needed(c, &d, &spec, replicas, path.model, path.write_mb_per_primary);
    let (shards, binding, why) = (fit.count, fit.binding, fit.why());
    if let Some(fixed) = w.overrides.shards {
        if fixed < shards {
            return SizeError::new(
                "override.shards",
                format!("{fixed} shard(s) cannot hold the workload ({why}; {shards} shards of {name} needed)"),
            );
        }
    }
    let key = match binding {
        Binding::Memory | Binding::Override => "data.size_gb",
        Binding::Primaries | Binding::Reads | Binding::Network | Binding::WriteThroughput => "traffic.peak_ops_per_sec",
    };
    let key = if forced.is_some() { "override.node_type" } else { key };
    SizeError::new(
        key,
        format!(
            "no topology holds it: {why}, so {shards} shards of {name}, more than the {} shards and {} nodes AWS allows",
            s.max_shards, s.max_nodes_per_cluster
        ),
    )
}

/// The cheapest Memcached cluster: nodes of one type that hold the data (the memory rule), serve
/// the peak (every thread serves commands) and carry its network, with one node to spare in prod
/// (at least 2, one per AZ, `cross-az`), at most the catalog's `memcached_max_nodes` (`aws_rules.toml`
/// `memcached-nodes`). With `engine.name = "auto"` only nodes of `MEMCACHED_MIN_VCPU` vCPUs or
/// more: the reason auto picks Memcached is its threads on large nodes (SPEC §4).
fn memcached(w: &Workload, c: &Catalog) -> Result<MemcachedNodes, SizeError> {
    let max_nodes = c.sizing.memcached_max_nodes;
    let d = Demand::of(w);
    let prod = w.environment == Environment::Prod;
    let floor = if prod { 2 } else { 1 };
    let min_vcpu = if w.engine == crate::names::Setting::Auto {
        MEMCACHED_MIN_VCPU
    } else {
        0
    };
    let families: &[&str] = if prod {
        &["r7g.", "m7g."]
    } else {
        &["t4g.", "r7g.", "m7g."]
    };
    let mut found: Vec<(f64, u32, &str, &NodeSpec, Binding, Fit)> = Vec::new();
    for family in families {
        for (node, spec) in c.family(&format!("cache.{family}")) {
            if w.overrides
                .node_type
                .as_deref()
                .is_some_and(|n| n.starts_with("cache.") && n != node)
            {
                continue;
            }
            if spec.vcpu < min_vcpu {
                continue;
            }
            let Some(hourly) = c
                .prices
                .elasticache_nodes
                .get(node)
                .and_then(|p| p.on_demand(Engine::Memcached))
            else {
                continue;
            };
            let mut fit = memcached_fit(c, &d, spec);
            // Memcached has no replicas: in prod one node more than the load needs, so that the
            // others carry it while a node is replaced (its keys are refilled from the backend).
            let spare = u32::from(prod);
            let needed = (fit.count + spare).max(floor);
            if spare > 0 {
                fit.note = ", and one node to spare";
            }
            let (nodes, binding) = match w.overrides.shards {
                Some(fixed) if fixed >= needed => (fixed, Binding::Override),
                Some(_) => continue,
                None => (needed, fit.binding),
            };
            if nodes > max_nodes {
                continue;
            }
            found.push((
                hourly * c.prices.meta.hours_per_month * f64::from(nodes),
                nodes,
                node,
                spec,
                binding,
                fit,
            ));
        }
    }
    found.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(b.2)));
    let Some((_, nodes, node, spec, binding, fit)) = found.first().cloned() else {
        let bigger = if min_vcpu > 0 {
            format!(" of {min_vcpu}+ vCPUs")
        } else {
            String::new()
        };
        return Err(SizeError::new(
            if w.overrides.node_type.is_some() {
                "override.node_type"
            } else {
                "data.size_gb"
            },
            format!("no Memcached cluster of at most {max_nodes} nodes{bigger} holds it"),
        ));
    };
    let runner_up = found
        .iter()
        .find(|k| k.2 != node)
        .map(|k| format!("{} x {} ({}/month)", k.1, k.2, crate::units::usd(k.0)));
    Ok(MemcachedNodes {
        node_type: node.to_owned(),
        memory_gib: spec.memory_gib,
        vcpu: spec.vcpu,
        nodes,
        az_mode: if nodes > 1 { "cross-az" } else { "single-az" },
        binding,
        binding_detail: fit.why(),
        constraints: fit.all(),
        runner_up,
    })
}

/// What a Memcached node type needs for a demand: every node serves reads and writes alike.
fn memcached_fit(c: &Catalog, d: &Demand, spec: &NodeSpec) -> Fit {
    let ops = node_ops(c, EngineModel::Multithreaded, spec.vcpu);
    let peak = d.writes + d.reads;
    let mut needs = vec![
        memory_need(d, memcached_data_gib_per_node(c, spec), "node"),
        ops_need("operations", peak, ops),
    ];
    if let Some(bandwidth) = node_bytes_per_sec(c, spec) {
        // Reads go out, writes come in: the busier direction binds.
        let busiest = d.reads.max(d.writes) * d.bytes_per_op;
        needs.push(network_need(busiest, bandwidth));
    }
    Fit::of(needs)
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

/// ECPUs one request consumes: 1 ECPU per KB transferred, and at least 1 (aws-facts §5,
/// AWS-PRICE-EC; SPEC §9 "Serverless": `max(1, item_kb)`).
pub fn ecpu_per_request(w: &Workload) -> f64 {
    w.data.item_kb.max(1.0)
}

fn self_hosted(w: &Workload, c: &Catalog) -> Result<SelfHosted, SizeError> {
    let s = &c.sizing;
    let maxmemory_share = f64::from(s.self_hosted_maxmemory_percent) / 100.0;
    let fill = f64::from(s.max_fill_percent) / 100.0;
    let d = Demand::of(w);
    let data = d.data_gib;
    let family = c.family("r7g.");
    let replicas = s.self_hosted_nodes.saturating_sub(1);
    let model = EngineModel::of(Engine::Valkey, None);
    // The traffic a node must carry: every node of the single shard, the data aside.
    let traffic = Demand { data_gib: 0.0, ..d };
    let carries = |spec: &NodeSpec| shards_needed(c, &traffic, spec, replicas, model, None);
    let holds = |spec: &NodeSpec| spec.memory_gib * maxmemory_share * fill;
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
        if data > holds(spec) {
            return Err(SizeError::new(
                "override.node_type",
                format!(
                    "override.node_type `{name}` has {} GiB of RAM: maxmemory {:.1} GiB holds {:.1} GiB of data, less than size_gb = {} ({data:.2} GiB)",
                    spec.memory_gib,
                    spec.memory_gib * maxmemory_share,
                    holds(spec),
                    w.data.size_gb
                ),
            ));
        }
        let fit = carries(spec);
        let (shards, why) = (fit.count, fit.why());
        if shards > 1 {
            return Err(SizeError::new(
                "override.node_type",
                format!("override.node_type `{name}` cannot carry the peak on one primary ({why}); self-hosting runs a single shard"),
            ));
        }
        (name, spec)
    } else {
        let fits = family
            .iter()
            .find(|(_, spec)| data <= holds(spec) && carries(spec).count == 1);
        let Some(pick) = fits else {
            let (name, spec) = family.last().ok_or_else(|| {
                SizeError::new("data.size_gb", "the catalog has no EC2 r7g instance types".to_owned())
            })?;
            if data > holds(spec) {
                return Err(SizeError::new(
                    "data.size_gb",
                    format!(
                        "size_gb = {} ({data:.2} GiB) does not fit the largest EC2 instance {name} ({} GiB RAM, maxmemory {:.0} GiB, {:.0} GiB for data); self-hosting runs a single shard",
                        w.data.size_gb,
                        spec.memory_gib,
                        spec.memory_gib * maxmemory_share,
                        holds(spec)
                    ),
                ));
            }
            let why = carries(spec).why();
            return Err(SizeError::new(
                "traffic.peak_ops_per_sec",
                format!(
                    "the peak does not fit the largest EC2 instance {name} ({why}); self-hosting runs a single shard"
                ),
            ));
        };
        *pick
    };
    let (name, spec) = pick;
    let maxmemory_gib = spec.memory_gib * maxmemory_share;
    let data_volume_gb = ((maxmemory_gib * s.self_hosted_data_volume_factor).ceil() as u32).max(1);
    let (data_volume_iops, data_volume_mibps) = data_volume_performance(w.data.size_gb, data_volume_gb, c);
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
