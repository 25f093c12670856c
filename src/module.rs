//! The Terraform module a plan becomes: every id, name, parameter, port, alarm and table row the
//! templates print, computed here so that templates only lay them out (STYLE §2, SPEC §6).
//!
//! Input: a [`Plan`] and the name of the workload file. Output: a [`ModuleSpec`], serialized into
//! the Tera context. Pure. Must not: format HCL (that is `render` and `hcl`).

use serde::Serialize;

use crate::decide::{Eviction, Step};
use crate::names::{Engine, Environment, Named, PathId};
use crate::plan::{Plan, Topology};
use crate::report;
mod elasticache;
mod memorydb;
mod self_hosted;
mod serverless;

use crate::units::{plain, usd};
pub use elasticache::member_cluster_ids;
pub use memorydb::memorydb_node_names;

/// Everything the templates of one module see.
#[derive(Debug, Clone, Serialize)]
// Each flag decides whether a block or file is printed; a template reads them by name.
#[allow(clippy::struct_excessive_bools)]
pub struct ModuleSpec {
    /// The workload name; also the id of the main resource.
    pub name: String,
    /// The workload file, as the header names it.
    pub source_file: String,
    /// The module directory relative to the project root (recorded in the lock, so that a copy
    /// of the module elsewhere is never taken for one of the project's), when there is a project.
    pub module_dir: Option<String>,
    /// The command that regenerates the module (`rediform generate <file>`, quoted for a shell).
    pub regenerate: String,
    /// `elasticache`, `serverless`, `memorydb`, `self-hosted`.
    pub path: PathId,
    /// "ElastiCache node-based" …
    pub path_title: &'static str,
    /// `valkey`, `redis`, `memcached`.
    pub engine: Engine,
    /// "Valkey", "Redis OSS", "Memcached".
    pub engine_title: &'static str,
    /// `major.minor`.
    pub engine_version: String,
    /// `prod`, `staging`, `dev`.
    pub environment: Environment,
    /// The AWS region of the provider block.
    pub region: String,
    /// One-line description for AWS resources.
    pub description: String,
    /// Client port.
    pub port: u16,
    /// Names derived from the workload name, each within its AWS limit (`crate::naming`).
    pub names: crate::naming::Names,
    /// Terraform refuses to destroy or replace the cluster (`lifecycle { prevent_destroy }`):
    /// `backup.deletion_protection`, by default on for a durable store (MemoryDB) in prod.
    pub deletion_protection: bool,
    /// What the module's KMS key encrypts, in words (the `kms_key_arn` variable and output).
    pub kms_uses: String,
    /// The module has log groups, so a key of the user's needs the CloudWatch Logs statement.
    pub kms_for_logs: bool,
    /// The most `alarm_actions` the variable accepts: CloudWatch takes 5 actions per list
    /// (`aws_rules.toml` `alarm-actions`), less the EC2 recover action where an alarm adds it.
    pub max_alarm_actions: u32,
    /// Omit `providers.tf`.
    pub as_module: bool,
    /// The `maxmemory-policy` in force.
    pub eviction: &'static str,
    /// How eviction is configured, in words for the README.
    pub eviction_note: String,
    /// The parameter group, where the path has one.
    pub parameter_group: Option<ParameterGroup>,
    /// The replication group (ElastiCache Valkey/Redis OSS).
    pub replication_group: Option<ReplicationGroup>,
    /// The Memcached cluster (ElastiCache Memcached).
    pub memcached: Option<MemcachedCluster>,
    /// The serverless cache (ElastiCache Serverless).
    pub serverless: Option<ServerlessCache>,
    /// The MemoryDB cluster.
    pub memorydb: Option<MemorydbCluster>,
    /// Valkey with Sentinel on EC2.
    pub self_hosted: Option<SelfHostedCluster>,
    /// Subnets the module needs at least (3 AZs for Sentinel, 2 elsewhere).
    pub min_subnets: u32,
    /// `required_providers`.
    pub providers: Vec<Provider>,
    /// RBAC users and the secret holding the application password.
    pub auth: Option<Auth>,
    /// Log groups for slow-log and engine-log.
    pub log_groups: Vec<LogGroup>,
    /// Ingress rules: one per port (and per client security group, via `for_each`).
    pub ingress: Vec<Ingress>,
    /// Egress rules (managed paths need none: the service answers on the ingress connections).
    pub egress: Vec<Egress>,
    /// Snapshot settings.
    pub backup: Backup,
    /// Whether alarms are generated.
    pub alarms_enabled: bool,
    /// The cluster takes `var.event_topic_arn` for its event notifications (ElastiCache
    /// node-based and MemoryDB). Never the module's alarm topic: it is encrypted, and ElastiCache
    /// "cannot publish" to an encrypted topic (ElastiCache DG, "Event Notifications and Amazon SNS").
    pub event_topic: bool,
    /// The cluster takes `var.apply_immediately` (ElastiCache node-based: changes wait for the
    /// maintenance window unless applied immediately).
    pub apply_immediately: bool,
    /// The static alarm targets (member cache-cluster ids, node ids).
    pub alarm_targets: Vec<String>,
    /// The alarms.
    pub alarms: Vec<Alarm>,
    /// Inline checkov skips, per resource address, each with its reason.
    pub checkov_skips: Vec<CheckovSkip>,
    /// README: the decision trail.
    pub trail: Vec<Step>,
    /// README: the topology in prose.
    pub topology_lines: Vec<String>,
    /// README: the cost table rows.
    pub cost_rows: Vec<CostRow>,
    /// README: the prices' region and date.
    pub prices_note: String,
    /// README: the prices are not the workload region's.
    pub prices_warning: Option<String>,
    /// What the estimates leave out.
    pub estimate_note: &'static str,
    /// README: the Mermaid flowchart with the taken path highlighted.
    pub mermaid: String,
}

/// A provider requirement.
#[derive(Debug, Clone, Serialize)]
pub struct Provider {
    /// Local name.
    pub name: &'static str,
    /// Registry source.
    pub source: &'static str,
    /// Version constraint.
    pub version: &'static str,
}

/// hashicorp/aws: only arguments valid in both 5.100 and 6.x are emitted (aws-facts §1.3).
const AWS: Provider = Provider {
    name: "aws",
    source: "hashicorp/aws",
    version: ">= 5.100, < 7.0",
};
/// hashicorp/random: `random_password` (3.x; `result` is the attribute read).
const RANDOM: Provider = Provider {
    name: "random",
    source: "hashicorp/random",
    version: ">= 3.5",
};
/// hashicorp/tls: the certificate authority of the self-hosted path.
const TLS: Provider = Provider {
    name: "tls",
    source: "hashicorp/tls",
    version: ">= 4.0",
};

/// A parameter group and its parameters.
#[derive(Debug, Clone, Serialize)]
pub struct ParameterGroup {
    /// Name: the workload, the family with dots as hyphens, and `-cluster` in cluster mode, so a
    /// major upgrade or a cluster-mode change creates a new group before the old one goes.
    pub name: String,
    /// `valkey8`, `redis7`, `memcached1.6` …
    pub family: String,
    /// The parameters.
    pub parameters: Vec<Parameter>,
}

/// One parameter.
#[derive(Debug, Clone, Serialize)]
pub struct Parameter {
    /// Name.
    pub name: String,
    /// Value.
    pub value: String,
}

/// The replication group's shape.
#[derive(Debug, Clone, Serialize)]
// Each flag is a Terraform boolean argument (or the presence of one) that the template prints.
#[allow(clippy::struct_excessive_bools)]
pub struct ReplicationGroup {
    /// Node type.
    pub node_type: String,
    /// Cluster mode enabled.
    pub cluster_mode: bool,
    /// Shards (cluster mode).
    pub shards: u32,
    /// Replicas per shard.
    pub replicas_per_shard: u32,
    /// Primary plus replicas (cluster mode disabled).
    pub num_cache_clusters: u32,
    /// Multi-AZ (a replica in another AZ for every primary).
    pub multi_az: bool,
    /// Automatic failover: with Multi-AZ, and always in cluster mode (AWS requires it there).
    pub automatic_failover: bool,
    /// A final snapshot is taken on destroy (prod).
    pub final_snapshot: bool,
}

/// The Memcached cluster's shape.
#[derive(Debug, Clone, Serialize)]
pub struct MemcachedCluster {
    /// Node type.
    pub node_type: String,
    /// Nodes.
    pub nodes: u32,
    /// `cross-az` or `single-az`.
    pub az_mode: &'static str,
    /// `engine_version`, major.minor.patch as the API wants it for Memcached (the catalog pins
    /// the release: in-transit encryption needs 1.6.12 or later, `aws_rules.toml`).
    pub engine_release: String,
}

/// An ElastiCache Serverless cache: its usage limits and snapshots.
#[derive(Debug, Clone, Serialize)]
pub struct ServerlessCache {
    /// `major_engine_version`: `8` for Valkey 8.x, `7` for Redis OSS 7.x, `1.6` for Memcached.
    pub major_engine_version: String,
    /// `cache_usage_limits.data_storage.maximum`, GB.
    pub max_storage_gb: u64,
    /// `cache_usage_limits.ecpu_per_second.maximum`.
    pub max_ecpu_per_second: u64,
    /// `daily_snapshot_time`, `HH:MM` UTC: the start of `backup.window`.
    pub daily_snapshot_time: String,
}

/// A MemoryDB cluster's shape.
#[derive(Debug, Clone, Serialize)]
pub struct MemorydbCluster {
    /// `db.r7g.large` …
    pub node_type: String,
    /// `num_shards`.
    pub shards: u32,
    /// `num_replicas_per_shard` (at least 1: a shard without a replica stops taking writes when
    /// its primary fails, aws-facts §6).
    pub replicas_per_shard: u32,
    /// A final snapshot is taken on destroy (prod).
    pub final_snapshot: bool,
    /// Created with vector search (`search-enabled`): only a new cluster gets it.
    pub search: bool,
}

/// RBAC: an application user, a disabled default user, the user group, the secret.
#[derive(Debug, Clone, Serialize)]
pub struct Auth {
    /// `user_id` and `user_name` of the application user.
    pub app_user_id: String,
    /// `user_id` of the replacement default user (its `user_name` is `default`).
    pub default_user_id: String,
    /// The user group id.
    pub user_group_id: String,
    /// The Secrets Manager secret name.
    pub secret_name: String,
    /// The Terraform resource type of the application user (`aws_elasticache_user`, `aws_memorydb_user`).
    pub user_resource: &'static str,
}

/// A CloudWatch log group for one log type.
#[derive(Debug, Clone, Serialize)]
pub struct LogGroup {
    /// Terraform resource name (`slow_log`).
    pub resource: &'static str,
    /// `slow-log` or `engine-log`.
    pub log_type: &'static str,
    /// Log group name.
    pub name: String,
}

/// An ingress rule: from every client security group, or from the module's own group.
#[derive(Debug, Clone, Serialize)]
pub struct Ingress {
    /// Terraform resource name.
    pub resource: String,
    /// Port.
    pub port: u16,
    /// Description.
    pub description: String,
    /// From the module's own security group (the nodes talking to each other).
    pub from_self: bool,
}

impl Ingress {
    /// A rule for every client security group in `allowed_security_group_ids`.
    fn clients(resource: &str, port: u16, description: String) -> Ingress {
        Ingress {
            resource: resource.to_owned(),
            port,
            description,
            from_self: false,
        }
    }
}

/// An egress rule: HTTPS to AWS APIs and package repositories, or a port of the module's own group.
#[derive(Debug, Clone, Serialize)]
pub struct Egress {
    /// Terraform resource name.
    pub resource: String,
    /// Port.
    pub port: u16,
    /// Description.
    pub description: String,
    /// To the module's own security group; otherwise to any IPv4 address.
    pub to_self: bool,
}

/// Self-hosted Valkey: three EC2 instances with Sentinel (SPEC §5, §6; issue #5).
#[derive(Debug, Clone, Serialize)]
pub struct SelfHostedCluster {
    /// The Valkey major version the configuration is written for (the boot script stops if the
    /// distribution's package is another).
    pub valkey_major: u32,
    /// `r7g.xlarge` …
    pub instance_type: String,
    /// RAM of one instance, GiB.
    pub memory_gib: f64,
    /// The public SSM parameter that names the current Amazon Linux 2023 arm64 AMI.
    pub ami_parameter: String,
    /// Valkey `maxmemory` with its unit (`12288mb`: 1mb = 1024 x 1024 bytes in valkey.conf).
    pub maxmemory: String,
    /// `maxmemory` as a share of RAM, percent.
    pub maxmemory_percent: u32,
    /// Sentinel quorum.
    pub quorum: u32,
    /// Valkey `io-threads`, from the instance's vCPUs.
    pub io_threads: u32,
    /// Instance keys of the replicas (the primary is `1`), each the index of its subnet.
    pub replicas: Vec<SelfHostedReplica>,
    /// Root volume, GiB.
    pub root_volume_gb: u32,
    /// Data volume for RDB files, GiB.
    pub data_volume_gb: u32,
    /// Provisioned IOPS of the data volume.
    pub data_volume_iops: u32,
    /// Provisioned throughput of the data volume, MiB/s.
    pub data_volume_mibps: u32,
    /// Sentinel `down-after-milliseconds`.
    pub down_after_ms: u32,
    /// Sentinel `failover-timeout`, milliseconds.
    pub failover_timeout_ms: u32,
    /// Namespace of the metrics the nodes publish themselves (certificate, health); the alarms
    /// watch the same namespace with the same single dimension, `InstanceId`.
    pub metrics_namespace: &'static str,
    /// Days a node certificate is signed for.
    pub cert_validity_days: u32,
    /// A node signs a new certificate when fewer days than this remain.
    pub cert_renew_days: u32,
    /// The certificate alarm fires when fewer days than this remain.
    pub cert_alarm_days: u32,
    /// Hourly RDB upload to S3 (off when `backup.retention_days = 0`).
    pub backups: bool,
    /// Days a backup object is kept in S3.
    pub backup_expiry_days: u32,
    /// `bucket_prefix` of the backup bucket: at most 37 characters (the provider's limit), so the
    /// workload name is cut to 30 and `-rdb-` added.
    pub backup_bucket_prefix: String,
    /// The alarm on the hourly upload (with backups and alarms on): one for the cluster, on the
    /// metric the primary's backup timer publishes after each upload, whichever node that is.
    pub backup_alarm: Option<Alarm>,
}

/// One replica instance.
#[derive(Debug, Clone, Serialize)]
pub struct SelfHostedReplica {
    /// `for_each` key (`2`, `3`).
    pub key: String,
    /// Index into `var.subnet_ids`.
    pub subnet_index: u32,
}

/// Snapshot settings.
#[derive(Debug, Clone, Serialize)]
pub struct Backup {
    /// Days kept (0: off).
    pub retention_days: u32,
    /// Daily window.
    pub window: String,
    /// Weekly maintenance window.
    pub maintenance_window: String,
}

/// One alarm per target (member node).
#[derive(Debug, Clone, Serialize)]
pub struct Alarm {
    /// Terraform resource name (`engine_cpu`).
    pub resource: &'static str,
    /// Suffix of the alarm name (`engine-cpu`).
    pub suffix: &'static str,
    /// CloudWatch namespace (`AWS/ElastiCache`, `AWS/MemoryDB`, `AWS/EC2`, `CWAgent`).
    pub namespace: &'static str,
    /// Also run the EC2 recover action (`StatusCheckFailed_System` only, aws-facts §4.4).
    pub recover: bool,
    /// Metric name.
    pub metric: &'static str,
    /// Statistic.
    pub statistic: &'static str,
    /// Comparison operator.
    pub comparison: &'static str,
    /// Threshold, as HCL number text.
    pub threshold: String,
    /// Period, seconds.
    pub period: u32,
    /// Evaluation periods.
    pub evaluation_periods: u32,
    /// Datapoints that must breach.
    pub datapoints_to_alarm: u32,
    /// `missing`, `notBreaching`, `breaching`, `ignore`.
    pub treat_missing_data: &'static str,
    /// What the on-call should do.
    pub description: String,
}

/// An inline checkov skip.
#[derive(Debug, Clone, Serialize)]
pub struct CheckovSkip {
    /// Resource type and name (`aws_elasticache_replication_group.this`).
    pub address: &'static str,
    /// Check id.
    pub id: &'static str,
    /// Why the check does not apply.
    pub reason: String,
}

/// A cost table row of the module README.
#[derive(Debug, Clone, Serialize)]
pub struct CostRow {
    /// Path id.
    pub path: PathId,
    /// Chosen path.
    pub chosen: bool,
    /// Topology summary.
    pub summary: String,
    /// On-demand, formatted.
    pub on_demand: String,
    /// Reserved, formatted.
    pub reserved: String,
}

/// Builds the module spec of a plan.
pub fn spec(plan: &Plan, source_file: &str, as_module: bool) -> ModuleSpec {
    let name = plan.name.clone();
    let mut spec = ModuleSpec {
        name: name.clone(),
        source_file: source_file.to_owned(),
        module_dir: None,
        regenerate: format!("rediform generate {}", crate::encode::shell_word(source_file)),
        path: plan.path,
        path_title: plan.path.display_name(),
        engine: plan.engine,
        engine_title: plan.engine.display_name(),
        engine_version: plan.engine_version.to_string(),
        environment: plan.environment,
        region: plan.region.clone(),
        description: plan.description.clone().unwrap_or_else(|| {
            format!(
                "{} {} for {} ({}), generated by rediform",
                plan.engine.display_name(),
                plan.path.display_name(),
                name,
                plan.environment
            )
        }),
        port: plan.port,
        names: crate::naming::names(&name),
        deletion_protection: plan
            .backup
            .deletion_protection
            .unwrap_or(plan.environment == Environment::Prod && plan.path == PathId::Memorydb),
        kms_uses: String::new(),
        kms_for_logs: false,
        max_alarm_actions: 5,
        as_module,
        eviction: plan.eviction.policy_name(),
        eviction_note: eviction_note(plan.eviction, plan.path),
        parameter_group: None,
        replication_group: None,
        memcached: None,
        serverless: None,
        memorydb: None,
        self_hosted: None,
        min_subnets: 2,
        providers: vec![AWS, RANDOM],
        auth: None,
        log_groups: Vec::new(),
        ingress: Vec::new(),
        egress: Vec::new(),
        backup: Backup {
            retention_days: plan.backup.retention_days,
            window: plan.backup.window.clone(),
            maintenance_window: plan.backup.maintenance_window.clone(),
        },
        alarms_enabled: plan.alarms.enabled,
        event_topic: matches!(plan.path, PathId::Elasticache | PathId::Memorydb),
        apply_immediately: plan.path == PathId::Elasticache,
        alarm_targets: Vec::new(),
        alarms: Vec::new(),
        checkov_skips: Vec::new(),
        trail: plan.trail.clone(),
        topology_lines: report::topology_lines(plan),
        cost_rows: cost_rows(plan),
        prices_note: plan.prices_basis.clone(),
        prices_warning: plan.prices_warning.clone(),
        estimate_note: report::ESTIMATE_NOTE,
        mermaid: mermaid(plan.path),
    };
    match &plan.topology {
        Topology::ReplicationGroup(r) => elasticache::replication_group(plan, r, &mut spec),
        Topology::MemcachedCluster(m) => elasticache::memcached(plan, m, &mut spec),
        Topology::Serverless(l) => serverless::serverless(plan, l, &mut spec),
        Topology::MemorydbCluster(r) => memorydb::memorydb(plan, r, &mut spec),
        Topology::Ec2Sentinel(h) => self_hosted::self_hosted(plan, h, &mut spec),
    }
    spec.kms_for_logs = !spec.log_groups.is_empty();
    spec.max_alarm_actions = if spec.alarms.iter().any(|a| a.recover) { 4 } else { 5 };
    spec.kms_uses = kms_uses(&spec);
    if spec.auth.is_some() {
        let users = if plan.path == PathId::Memorydb {
            "MemoryDB user"
        } else {
            "ElastiCache RBAC"
        };
        spec.checkov_skips.push(CheckovSkip {
            address: "aws_secretsmanager_secret.app",
            id: "CKV2_AWS_57",
            reason: format!(
                "{users} passwords cannot be rotated by a Secrets Manager rotation function here; rotate with terraform apply -replace=random_password.app (see README)"
            ),
        });
    }
    spec
}

/// What the module's key encrypts, in the words of the `kms_key_arn` variable and output.
fn kms_uses(spec: &ModuleSpec) -> String {
    let mut uses: Vec<&str> = Vec::new();
    match spec.path {
        PathId::SelfHosted => uses.extend(["the EBS volumes", "the backup bucket"]),
        PathId::Elasticache if spec.memcached.is_some() => {}
        PathId::Elasticache | PathId::Serverless | PathId::Memorydb => uses.push("data at rest"),
    }
    if spec.kms_for_logs {
        uses.push("the log groups");
    }
    if spec.auth.is_some() || spec.path == PathId::SelfHosted {
        uses.push("the secret");
    }
    uses.push("the alarm topic");
    let (last, rest) = uses.split_last().expect("the alarm topic is always there");
    let mut text = if rest.is_empty() {
        (*last).to_owned()
    } else {
        format!("{} and {last}", rest.join(", "))
    };
    if spec.memcached.is_some() {
        text.push_str(" (node-based Memcached has no encryption at rest)");
    }
    text
}

fn eviction_note(e: Eviction, path: PathId) -> String {
    match e {
        Eviction::Policy(p) => {
            let where_ = match path {
                PathId::SelfHosted => "written into valkey.conf by the boot script",
                PathId::Elasticache | PathId::Memorydb | PathId::Serverless => "set in the module's parameter group",
            };
            format!("`maxmemory-policy = {p}`, {where_}")
        }
        Eviction::ServerlessFixed => {
            "`volatile-lru`, fixed: serverless caches have no parameter group, so only keys with a TTL are evicted; keys without a TTL stay until deleted, and once they fill the storage limit writes fail: give cache keys a TTL"
                .to_owned()
        }
        Eviction::MemcachedLru => "least-recently-used, built into Memcached (no policy to set)".to_owned(),
    }
}

/// Parameter group name: AWS allows letters, digits and hyphens, so the family's dots become hyphens.
fn parameter_group_name(name: &str, family: &str, cluster_mode: bool) -> String {
    let family = family.replace(['.', '_'], "-");
    if cluster_mode {
        format!("{name}-{family}-cluster")
    } else {
        format!("{name}-{family}")
    }
}

/// The RBAC names of a workload: an application user, a replacement default user, the group
/// (MemoryDB: the ACL).
fn auth(name: &str, user_resource: &'static str) -> Auth {
    let names = crate::naming::names(name);
    Auth {
        app_user_id: names.app_user,
        default_user_id: names.default_user,
        user_group_id: name.to_owned(),
        secret_name: format!("{name}/app-user"),
        user_resource,
    }
}

/// The memory alarm of a path: `metric` (a percentage) above `alarms.memory_percent` for 10
/// minutes; `treat_missing_data` says what silence means.
fn memory_alarm(
    plan: &Plan,
    namespace: &'static str,
    metric: &'static str,
    treat_missing_data: &'static str,
    description: String,
) -> Alarm {
    Alarm {
        resource: "memory",
        suffix: "memory",
        namespace,
        recover: false,
        metric,
        statistic: "Average",
        comparison: "GreaterThanThreshold",
        threshold: plan.alarms.memory_percent.to_string(),
        period: 300,
        evaluation_periods: 2,
        datapoints_to_alarm: 2,
        treat_missing_data,
        description,
    }
}

/// The replication-lag alarm of a path with replicas: `ReplicationLag` above 30 seconds for 5
/// minutes. Only replicas publish the metric, so a primary's silence is not a problem.
fn replication_lag_alarm(namespace: &'static str, description: &str) -> Alarm {
    Alarm {
        resource: "replication_lag",
        suffix: "replication-lag",
        namespace,
        recover: false,
        metric: "ReplicationLag",
        statistic: "Maximum",
        comparison: "GreaterThanThreshold",
        threshold: "30".to_owned(),
        period: 60,
        evaluation_periods: 5,
        datapoints_to_alarm: 5,
        treat_missing_data: "notBreaching",
        description: format!("A replica has lagged more than 30 seconds for 5 minutes: {description}"),
    }
}

/// The CPU alarm of one node (aws-facts §4.5, AWS-EC-MON; MemoryDB follows the same guidance).
fn cpu_alarm(plan: &Plan, vcpu: u32, namespace: &'static str) -> Alarm {
    let a = &plan.alarms;
    let memcached = plan.engine == Engine::Memcached;
    // aws-facts §4.5 (AWS-EC-MON): Valkey/Redis run commands on one thread, so on nodes with 2 vCPUs
    // or fewer watch CPUUtilization at the threshold divided by the cores; on larger nodes watch
    // EngineCPUUtilization. Memcached is multi-threaded: CPUUtilization as is.
    let (metric, threshold, what) = if memcached {
        ("CPUUtilization", f64::from(a.cpu_percent), "host CPU")
    } else if vcpu <= 2 {
        (
            "CPUUtilization",
            f64::from(a.cpu_percent) / f64::from(vcpu),
            "host CPU (threshold divided by the vCPU count)",
        )
    } else {
        (
            "EngineCPUUtilization",
            f64::from(a.cpu_percent),
            "the engine thread's CPU",
        )
    };
    Alarm {
        resource: "cpu",
        suffix: "cpu",
        namespace,
        recover: false,
        metric,
        statistic: "Average",
        comparison: "GreaterThanThreshold",
        threshold: plain(threshold),
        period: 300,
        evaluation_periods: 3,
        datapoints_to_alarm: 3,
        treat_missing_data: "missing",
        description: if memcached {
            format!(
                "{metric} above {}% for 15 minutes: {what} is saturated and latency will grow. Scale up the node type or add nodes.",
                plain(threshold)
            )
        } else {
            format!(
                "{metric} above {}% for 15 minutes: {what} is saturated and latency will grow. Find hot keys or expensive commands in the slow log; scale up the node type or add shards.",
                plain(threshold)
            )
        },
    }
}

fn cost_rows(plan: &Plan) -> Vec<CostRow> {
    PathId::ALL
        .iter()
        .map(|p| {
            let c = plan.costs.get(*p);
            let money = |v: Option<f64>| v.map_or_else(|| "n/a".to_owned(), usd);
            CostRow {
                path: *p,
                chosen: *p == plan.path,
                summary: c.summary.clone(),
                on_demand: money(c.on_demand_usd_per_month),
                reserved: money(c.reserved_1y_usd_per_month),
            }
        })
        .collect()
}

/// The four questions as a Mermaid flowchart, the taken path's node highlighted.
fn mermaid(path: PathId) -> String {
    let node = match path {
        PathId::Memorydb => "MDB",
        PathId::Serverless => "SLS",
        PathId::Elasticache => "EC",
        PathId::SelfHosted => "SH",
    };
    format!(
        "flowchart TD\n  Q1{{Q1: must acknowledged writes survive a failover?}} -->|yes| MDB[MemoryDB]\n  Q1 -->|no| Q2{{Q2: bursty or intermittent traffic?}}\n  Q2 -->|yes, no guard fires| SLS[ElastiCache Serverless]\n  Q2 -->|steady, or a guard fires| Q3{{Q3: dedicated SRE capacity?}}\n  Q3 -->|no| EC[ElastiCache node-based]\n  Q3 -->|yes| Q4{{Q4: cost over operational burden?}}\n  Q4 -->|no, or G5 fires| EC\n  Q4 -->|yes| SH[Self-hosted Valkey on EC2]\n  classDef chosen fill:#2e7d32,color:#fff,stroke:#1b5e20,stroke-width:3px\n  class {node} chosen\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::size::Replicated;

    fn replicated(shards: u32, replicas: u32) -> Replicated {
        Replicated {
            node_type: "cache.r7g.large".to_owned(),
            memory_gib: 13.07,
            vcpu: 2,
            shards,
            replicas_per_shard: replicas,
            data_gib_per_shard: 7.84,
            nodes: shards * (1 + replicas),
            cluster_mode: shards > 1,
            multi_az: replicas > 0,
            needs_quota_increase: false,
            binding: crate::size::Binding::Memory,
            binding_detail: String::new(),
            constraints: String::new(),
            runner_up: None,
        }
    }

    #[test]
    fn member_ids_follow_the_elasticache_naming() {
        assert_eq!(
            member_cluster_ids("orders", &replicated(1, 1)),
            ["orders-001", "orders-002"]
        );
        assert_eq!(
            member_cluster_ids("orders", &replicated(2, 1)),
            [
                "orders-0001-001",
                "orders-0001-002",
                "orders-0002-001",
                "orders-0002-002"
            ]
        );
    }

    #[test]
    fn memorydb_node_names_follow_the_memorydb_naming() {
        assert_eq!(
            memorydb_node_names("ledger", &replicated(2, 1)),
            [
                "ledger-0001-001",
                "ledger-0001-002",
                "ledger-0002-001",
                "ledger-0002-002"
            ]
        );
    }

    #[test]
    fn parameter_group_names_have_no_dots() {
        assert_eq!(
            parameter_group_name("page-cache", "memcached1.6", false),
            "page-cache-memcached1-6"
        );
        assert_eq!(
            parameter_group_name("orders", "valkey8", true),
            "orders-valkey8-cluster"
        );
        assert_eq!(
            parameter_group_name("ledger", "memorydb_redis7", false),
            "ledger-memorydb-redis7"
        );
    }
}
