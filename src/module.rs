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
use crate::size::{Replicated, SelfHosted, ServerlessLimits};
use crate::units::{plain, usd};

/// Everything the templates of one module see.
#[derive(Debug, Clone, Serialize)]
pub struct ModuleSpec {
    /// The workload name; also the id of the main resource.
    pub name: String,
    /// The workload file, as the header names it.
    pub source_file: String,
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
    pub name: &'static str,
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
    /// Daily snapshots exist for Valkey and Redis OSS, not Memcached (aws-facts §1.2).
    pub snapshots: bool,
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
    /// Instance keys of the replicas (the primary is `1`), each the index of its subnet.
    pub replicas: Vec<SelfHostedReplica>,
    /// Root volume, GiB.
    pub root_volume_gb: u32,
    /// Data volume for RDB files, GiB.
    pub data_volume_gb: u32,
    /// Sentinel `down-after-milliseconds`.
    pub down_after_ms: u32,
    /// Sentinel `failover-timeout`, milliseconds.
    pub failover_timeout_ms: u32,
    /// Hourly RDB upload to S3 (off when `backup.retention_days = 0`).
    pub backups: bool,
    /// Days a backup object is kept in S3.
    pub backup_expiry_days: u32,
    /// `bucket_prefix` of the backup bucket: at most 37 characters (the provider's limit), so the
    /// workload name is cut to 30 and `-rdb-` added.
    pub backup_bucket_prefix: String,
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
        alarm_targets: Vec::new(),
        alarms: Vec::new(),
        checkov_skips: Vec::new(),
        trail: plan.trail.clone(),
        topology_lines: report::topology_lines(plan),
        cost_rows: cost_rows(plan),
        prices_note: format!(
            "{} list prices as of {}, USD, 730 h/month",
            plan.prices_region, plan.prices_as_of
        ),
        mermaid: mermaid(plan.path),
    };
    match &plan.topology {
        Topology::ReplicationGroup(r) => elasticache_replication_group(plan, r, &mut spec),
        Topology::MemcachedCluster(m) => elasticache_memcached(plan, m, &mut spec),
        Topology::Serverless(l) => serverless(plan, l, &mut spec),
        Topology::MemorydbCluster(r) => memorydb(plan, r, &mut spec),
        Topology::Ec2Sentinel(h) => self_hosted(plan, h, &mut spec),
    }
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

fn elasticache_replication_group(plan: &Plan, r: &Replicated, spec: &mut ModuleSpec) {
    let name = &plan.name;
    let mut parameters = vec![
        Parameter {
            name: "maxmemory-policy",
            value: plan.eviction.policy_name().to_owned(),
        },
        // aws-facts §3.2: 25 is the default for accounts since 2017; set explicitly so the usable
        // memory the sizing assumed is what the cluster gets.
        Parameter {
            name: "reserved-memory-percent",
            value: "25".to_owned(),
        },
    ];
    if r.cluster_mode {
        parameters.push(Parameter {
            name: "cluster-enabled",
            value: "yes".to_owned(),
        });
    }
    spec.parameter_group = Some(ParameterGroup {
        name: parameter_group_name(name, &plan.parameter_group_family, r.cluster_mode),
        family: plan.parameter_group_family.clone(),
        parameters,
    });
    spec.replication_group = Some(ReplicationGroup {
        node_type: r.node_type.clone(),
        cluster_mode: r.cluster_mode,
        shards: r.shards,
        replicas_per_shard: r.replicas_per_shard,
        num_cache_clusters: 1 + r.replicas_per_shard,
        multi_az: r.multi_az,
        automatic_failover: r.multi_az || r.cluster_mode,
        final_snapshot: plan.environment == Environment::Prod,
    });
    spec.auth = Some(auth(name, "aws_elasticache_user"));
    spec.log_groups = ["slow-log", "engine-log"]
        .into_iter()
        .map(|log_type| LogGroup {
            resource: if log_type == "slow-log" {
                "slow_log"
            } else {
                "engine_log"
            },
            log_type,
            name: format!("/aws/elasticache/{name}/{log_type}"),
        })
        .collect();
    spec.ingress = vec![Ingress::clients(
        "clients",
        plan.port,
        format!("{} clients to {}", plan.engine.display_name(), name),
    )];
    spec.alarm_targets = member_cluster_ids(name, r);
    spec.alarms = node_alarms(plan, r.vcpu, r.replicas_per_shard > 0);
    if !r.multi_az {
        spec.checkov_skips.push(CheckovSkip {
            address: "aws_elasticache_replication_group.this",
            id: "CKV2_AWS_50",
            reason: format!(
                "{} environment runs one node without replicas by design (rediform: prod always gets Multi-AZ failover)",
                plan.environment
            ),
        });
    }
}

fn self_hosted(plan: &Plan, h: &SelfHosted, spec: &mut ModuleSpec) {
    let name = &plan.name;
    let s = &plan.self_hosting;
    spec.min_subnets = h.nodes;
    spec.providers.push(TLS);
    spec.self_hosted = Some(SelfHostedCluster {
        instance_type: h.instance_type.clone(),
        memory_gib: h.memory_gib,
        ami_parameter: s.ami_parameter.clone(),
        maxmemory: format!("{}mb", h.maxmemory_mb),
        maxmemory_percent: s.maxmemory_percent,
        quorum: h.sentinel_quorum,
        replicas: (2..=h.nodes)
            .map(|n| SelfHostedReplica {
                key: n.to_string(),
                subnet_index: n - 1,
            })
            .collect(),
        root_volume_gb: h.root_volume_gb,
        data_volume_gb: h.data_volume_gb,
        down_after_ms: s.down_after_ms,
        failover_timeout_ms: s.failover_timeout_ms,
        backups: plan.backup.retention_days > 0,
        backup_expiry_days: plan.backup.retention_days.max(1),
        backup_bucket_prefix: format!(
            "{}-rdb-",
            name.chars().take(30).collect::<String>().trim_end_matches('-')
        ),
    });
    let port = plan.port;
    spec.ingress = vec![
        Ingress::clients("clients", port, format!("Valkey clients to {name} (TLS)")),
        Ingress::clients(
            "sentinel_clients",
            26379,
            format!("Sentinel clients of {name}: ask which node is primary"),
        ),
        Ingress {
            resource: "replication".to_owned(),
            port,
            description: format!("Replication between the {name} nodes"),
            from_self: true,
        },
        Ingress {
            resource: "sentinel_peers".to_owned(),
            port: 26379,
            description: format!("Sentinels of {name} talking to each other"),
            from_self: true,
        },
    ];
    spec.egress = vec![
        Egress {
            resource: "https".to_owned(),
            port: 443,
            description:
                "HTTPS to AWS APIs (SSM, Secrets Manager, S3, CloudWatch) and the Amazon Linux package repositories"
                    .to_owned(),
            to_self: false,
        },
        Egress {
            resource: "replication".to_owned(),
            port,
            description: format!("Replication between the {name} nodes"),
            to_self: true,
        },
        Egress {
            resource: "sentinel_peers".to_owned(),
            port: 26379,
            description: format!("Sentinels of {name} talking to each other"),
            to_self: true,
        },
    ];
    spec.alarm_targets = (1..=h.nodes).map(|n| n.to_string()).collect();
    spec.alarms = self_hosted_alarms(plan, h);
    spec.checkov_skips.extend(self_hosted_checkov_skips());
}

/// The checkov findings that do not apply to the self-hosted module, each with its reason.
fn self_hosted_checkov_skips() -> Vec<CheckovSkip> {
    let skip = |address, id, reason: &str| CheckovSkip {
        address,
        id,
        reason: reason.to_owned(),
    };
    // checkov reads aws_instance alone: the root and data volumes are encrypted with the CMK in the
    // launch template, and a root_block_device on the instance cannot be combined with a
    // resolve:ssm image (hashicorp/terraform-provider-aws#43488).
    let volumes = "the root and data volumes are gp3 encrypted with the module's KMS key in aws_launch_template.this; checkov does not read an instance's launch template, and an instance-level root_block_device cannot be used with a resolve:ssm image (terraform-provider-aws#43488)";
    vec![
        skip("aws_instance.primary", "CKV_AWS_8", volumes),
        skip("aws_instance.replica", "CKV_AWS_8", volumes),
        skip(
            "aws_secretsmanager_secret.valkey",
            "CKV2_AWS_57",
            "the Valkey and Sentinel passwords live in the nodes' config files; rotate them with the runbook in the README, not a Lambda",
        ),
        skip(
            "aws_s3_bucket.backups",
            "CKV_AWS_18",
            "server access logs would need a second bucket per module; only the nodes' role can write here (IAM policy, TLS-only bucket policy): use CloudTrail data events for an audit trail",
        ),
        skip(
            "aws_s3_bucket.backups",
            "CKV2_AWS_62",
            "nothing consumes events of the backup bucket: the nodes write hourly and an operator reads when restoring",
        ),
        skip(
            "aws_s3_bucket.backups",
            "CKV_AWS_144",
            "backups restore a single-region cluster in its own region; add replication to another region only as part of a cross-region recovery plan",
        ),
    ]
}

/// Per-instance alarms (SPEC §6, aws-facts §4.4): `AWS/EC2` CPU and the system status check (with
/// the recover action), and the CloudWatch agent's memory and data-disk use.
fn self_hosted_alarms(plan: &Plan, h: &SelfHosted) -> Vec<Alarm> {
    let a = &plan.alarms;
    vec![
        Alarm {
            resource: "cpu",
            suffix: "cpu",
            namespace: "AWS/EC2",
            recover: false,
            metric: "CPUUtilization",
            statistic: "Average",
            comparison: "GreaterThanThreshold",
            threshold: a.cpu_percent.to_string(),
            period: 300,
            evaluation_periods: 3,
            datapoints_to_alarm: 3,
            treat_missing_data: "missing",
            description: format!(
                "Instance CPU above {}% for 15 minutes ({} vCPUs; Valkey runs commands on one thread, with I/O threads beside it). Find hot keys or expensive commands with SLOWLOG GET; move to a larger instance type.",
                a.cpu_percent, h.vcpu
            ),
        },
        Alarm {
            resource: "memory",
            suffix: "memory",
            namespace: "CWAgent",
            recover: false,
            metric: "mem_used_percent",
            statistic: "Average",
            comparison: "GreaterThanThreshold",
            threshold: a.memory_percent.to_string(),
            period: 300,
            evaluation_periods: 2,
            datapoints_to_alarm: 2,
            treat_missing_data: "breaching",
            description: format!(
                "Instance memory above {}% for 10 minutes (maxmemory is {}% of RAM; the rest is for the OS, forks for RDB snapshots and replication buffers). Check INFO memory; move to a larger instance type. Missing data counts as breaching: the CloudWatch agent has stopped reporting.",
                a.memory_percent, plan.self_hosting.maxmemory_percent
            ),
        },
        Alarm {
            resource: "disk",
            suffix: "disk",
            namespace: "CWAgent",
            recover: false,
            metric: "disk_used_percent",
            statistic: "Maximum",
            comparison: "GreaterThanThreshold",
            threshold: "80".to_owned(),
            period: 300,
            evaluation_periods: 2,
            datapoints_to_alarm: 2,
            treat_missing_data: "breaching",
            description: "The data volume (/var/lib/valkey) is more than 80% full: the next RDB snapshot may fail, and with it replication to a new replica. Remove stray files or grow the volume.".to_owned(),
        },
        Alarm {
            resource: "status_check",
            suffix: "status-check",
            namespace: "AWS/EC2",
            recover: true,
            metric: "StatusCheckFailed_System",
            statistic: "Maximum",
            comparison: "GreaterThanOrEqualToThreshold",
            threshold: "1".to_owned(),
            // aws-facts §4.4 (AWS-CW-AGENT UsingAlarmActions): 2 periods of 1 minute for recover.
            period: 60,
            evaluation_periods: 2,
            datapoints_to_alarm: 2,
            treat_missing_data: "missing",
            description: "The system status check failed for 2 minutes: AWS hardware or network trouble. EC2 recovers the instance onto other hardware with the same instance ID, private IP and EBS volumes; its memory is lost, so it restarts as a replica (Sentinel fails over first if it was the primary). Check the node rejoined: see the README.".to_owned(),
        },
    ]
}

/// The RBAC names of a workload: an application user, a replacement default user, the group
/// (MemoryDB: the ACL).
fn auth(name: &str, user_resource: &'static str) -> Auth {
    Auth {
        app_user_id: format!("{name}-app"),
        default_user_id: format!("{name}-default"),
        user_group_id: name.to_owned(),
        secret_name: format!("{name}/app-user"),
        user_resource,
    }
}

fn memorydb(plan: &Plan, r: &Replicated, spec: &mut ModuleSpec) {
    let name = &plan.name;
    spec.parameter_group = Some(ParameterGroup {
        name: parameter_group_name(name, &plan.parameter_group_family, false),
        family: plan.parameter_group_family.clone(),
        // aws-facts §3.4: MemoryDB's default policy is believed to be noeviction [U]: set it.
        parameters: vec![Parameter {
            name: "maxmemory-policy",
            value: plan.eviction.policy_name().to_owned(),
        }],
    });
    spec.memorydb = Some(MemorydbCluster {
        node_type: r.node_type.clone(),
        shards: r.shards,
        replicas_per_shard: r.replicas_per_shard,
        final_snapshot: plan.environment == Environment::Prod,
    });
    spec.auth = Some(auth(name, "aws_memorydb_user"));
    spec.ingress = vec![Ingress::clients(
        "clients",
        plan.port,
        format!("{} clients to {name}", plan.engine.display_name()),
    )];
    spec.alarm_targets = memorydb_node_names(name, r);
    spec.alarms = memorydb_alarms(plan, r);
}

/// MemoryDB node names, known at generation time: `<cluster>-<shard 0001>-<node 001>` (aws-facts §4.3).
pub fn memorydb_node_names(cluster: &str, r: &Replicated) -> Vec<String> {
    (1..=r.shards)
        .flat_map(|s| (1..=1 + r.replicas_per_shard).map(move |n| format!("{cluster}-{s:04}-{n:03}")))
        .collect()
}

/// Per-node MemoryDB alarms on `ClusterName` + `NodeName` (SPEC §6, aws-facts §4.3).
fn memorydb_alarms(plan: &Plan, r: &Replicated) -> Vec<Alarm> {
    let a = &plan.alarms;
    vec![
        cpu_alarm(plan, r.vcpu, "AWS/MemoryDB"),
        Alarm {
            resource: "memory",
            suffix: "memory",
            namespace: "AWS/MemoryDB",
            recover: false,
            metric: "DatabaseMemoryUsagePercentage",
            statistic: "Average",
            comparison: "GreaterThanThreshold",
            threshold: a.memory_percent.to_string(),
            period: 300,
            evaluation_periods: 2,
            datapoints_to_alarm: 2,
            treat_missing_data: "missing",
            description: format!(
                "Data memory above {}% for 10 minutes; at 100% the {} policy applies and writes fail. Add shards or move to a larger node type before then.",
                a.memory_percent,
                plan.eviction.policy_name()
            ),
        },
        Alarm {
            resource: "replication_lag",
            suffix: "replication-lag",
            namespace: "AWS/MemoryDB",
            recover: false,
            metric: "ReplicationLag",
            statistic: "Maximum",
            comparison: "GreaterThanThreshold",
            threshold: "30".to_owned(),
            period: 60,
            evaluation_periods: 5,
            datapoints_to_alarm: 5,
            // Only replicas publish ReplicationLag; a primary's missing data is not a problem.
            treat_missing_data: "notBreaching",
            description: "A replica has lagged more than 30 seconds for 5 minutes: reads from it are stale and a failover waits for it to catch up. Check write volume and network.".to_owned(),
        },
        Alarm {
            resource: "write_latency",
            suffix: "write-latency",
            namespace: "AWS/MemoryDB",
            recover: false,
            metric: "SuccessfulWriteRequestLatency",
            statistic: "Average",
            comparison: "GreaterThanThreshold",
            // rediform's threshold (AWS publishes none): 10 ms. A write is acknowledged only once
            // the Multi-AZ transaction log has it, so single cross-AZ blips are normal; alarm only
            // when 3 five-minute averages in a row are high (a rolling 15-minute window).
            threshold: "10000".to_owned(),
            period: 300,
            evaluation_periods: 3,
            datapoints_to_alarm: 3,
            // Replicas take no writes and publish no write latency.
            treat_missing_data: "notBreaching",
            description: "Average write latency above 10 ms (10,000 microseconds) for 15 minutes, not a passing cross-AZ blip. Look for large values, big multi-key writes or a saturated primary (see the CPU alarm).".to_owned(),
        },
    ]
}

fn serverless(plan: &Plan, l: &ServerlessLimits, spec: &mut ModuleSpec) {
    let name = &plan.name;
    let memcached = plan.engine == Engine::Memcached;
    // aws-facts §1.2: `major_engine_version` is the major for Valkey and Redis OSS ("8", "7") and
    // "1.6" for Memcached.
    let major_engine_version = if memcached {
        plan.engine_version.to_string()
    } else {
        plan.engine_version.major.to_string()
    };
    spec.serverless = Some(ServerlessCache {
        major_engine_version,
        max_storage_gb: l.data_storage_gb,
        max_ecpu_per_second: l.ecpu_per_second,
        snapshots: !memcached,
        daily_snapshot_time: plan.backup.window.split('-').next().unwrap_or_default().to_owned(),
    });
    let engine = plan.engine.display_name();
    spec.ingress = if memcached {
        vec![Ingress::clients(
            "clients",
            plan.port,
            format!("{engine} clients to {name}"),
        )]
    } else {
        // aws-facts §3.3, §6 (AWS-EC-SLS-CFG): 6379 reads and writes, 6380 reads with READONLY.
        vec![
            Ingress::clients(
                "clients",
                6379,
                format!("{engine} clients to {name} (reads and writes)"),
            ),
            Ingress::clients("readers", 6380, format!("{engine} clients to {name} (reader endpoint)")),
        ]
    };
    if !memcached {
        spec.auth = Some(auth(name, "aws_elasticache_user"));
    }
    spec.alarm_targets = vec![name.clone()];
    spec.alarms = serverless_alarms(plan, l);
}

/// Alarms of a serverless cache, on the `clusterId` dimension (aws-facts §4.2, §4.5).
fn serverless_alarms(plan: &Plan, l: &ServerlessLimits) -> Vec<Alarm> {
    let a = &plan.alarms;
    // The storage limit is in GB and the metric in bytes (aws-facts §5): taken as 10^9 bytes per
    // GB, the smaller reading, so the alarm fires early rather than late.
    let storage_bytes = l.data_storage_gb as f64 * 1e9 * f64::from(a.memory_percent) / 100.0;
    // ElastiCacheProcessingUnits is a count per period; the limit is a rate (aws-facts §4.5):
    // compare the one-minute sum with the limit times 60 seconds.
    let period = 60;
    let ecpu_per_period = l.ecpu_per_second as f64 * f64::from(period) * f64::from(a.cpu_percent) / 100.0;
    let latency = |resource, suffix, metric, what: &str| {
        Alarm {
        resource,
        suffix,
        namespace: "AWS/ElastiCache",
        recover: false,
        metric,
        statistic: "Average",
        comparison: "GreaterThanThreshold",
        // rediform's threshold, not an AWS figure: AWS publishes none for serverless.
        threshold: "1000".to_owned(),
        period: 300,
        evaluation_periods: 3,
        datapoints_to_alarm: 3,
        treat_missing_data: "notBreaching",
        description: format!(
            "Average {what} latency above 1 ms (1,000 microseconds) for 15 minutes. Look for large values or expensive commands, and for ThrottledCmds: the cache may be at its usage limits."
        ),
    }
    };
    vec![
        Alarm {
            resource: "storage",
            suffix: "storage",
            namespace: "AWS/ElastiCache",
            recover: false,
            metric: "BytesUsedForCache",
            statistic: "Maximum",
            comparison: "GreaterThanThreshold",
            threshold: plain(storage_bytes),
            period: 300,
            evaluation_periods: 2,
            datapoints_to_alarm: 2,
            treat_missing_data: "missing",
            description: format!(
                "Data above {}% of the {} GB storage limit for 10 minutes: at the limit the cache evicts keys with a TTL and then refuses writes. Raise cache_usage_limits.data_storage.maximum (data.size_gb in the workload file) or shorten TTLs.",
                a.memory_percent, l.data_storage_gb
            ),
        },
        Alarm {
            resource: "ecpu",
            suffix: "ecpu",
            namespace: "AWS/ElastiCache",
            recover: false,
            metric: "ElastiCacheProcessingUnits",
            statistic: "Sum",
            comparison: "GreaterThanThreshold",
            threshold: plain(ecpu_per_period),
            period,
            evaluation_periods: 5,
            datapoints_to_alarm: 5,
            treat_missing_data: "notBreaching",
            description: format!(
                "ECPUs above {}% of the {} ECPU/s limit for 5 minutes (the metric is a count per minute: the threshold is the limit x 60 s). At the limit commands are throttled: raise cache_usage_limits.ecpu_per_second.maximum (traffic.peak_ops_per_sec in the workload file).",
                a.cpu_percent, l.ecpu_per_second
            ),
        },
        Alarm {
            resource: "throttled",
            suffix: "throttled",
            namespace: "AWS/ElastiCache",
            recover: false,
            metric: "ThrottledCmds",
            statistic: "Sum",
            comparison: "GreaterThanThreshold",
            threshold: "0".to_owned(),
            period: 60,
            evaluation_periods: 5,
            datapoints_to_alarm: 2,
            treat_missing_data: "notBreaching",
            description: "Commands were throttled in 2 of the last 5 minutes: the cache hit its ECPU limit or scaled too slowly for a burst. Raise the usage limits or smooth the traffic.".to_owned(),
        },
        latency("read_latency", "read-latency", "SuccessfulReadRequestLatency", "read"),
        latency("write_latency", "write-latency", "SuccessfulWriteRequestLatency", "write"),
    ]
}

fn elasticache_memcached(plan: &Plan, m: &crate::plan::MemcachedCluster, spec: &mut ModuleSpec) {
    let name = &plan.name;
    spec.parameter_group = Some(ParameterGroup {
        name: parameter_group_name(name, &plan.parameter_group_family, false),
        family: plan.parameter_group_family.clone(),
        parameters: Vec::new(),
    });
    spec.memcached = Some(MemcachedCluster {
        node_type: m.node_type.clone(),
        nodes: m.nodes,
        az_mode: m.az_mode,
    });
    spec.ingress = vec![Ingress::clients(
        "clients",
        plan.port,
        format!("Memcached clients to {name}"),
    )];
    spec.alarm_targets = (1..=m.nodes).map(|n| format!("{n:04}")).collect();
    spec.alarms = node_alarms(plan, m.vcpu, false);
}

/// Member cache-cluster ids, known at generation time (aws-facts §4.1): `<id>-00N` with cluster mode
/// disabled, `<id>-000S-00N` with it enabled.
pub fn member_cluster_ids(id: &str, r: &Replicated) -> Vec<String> {
    let per_shard = 1 + r.replicas_per_shard;
    if r.cluster_mode {
        (1..=r.shards)
            .flat_map(|s| (1..=per_shard).map(move |n| format!("{id}-{s:04}-{n:03}")))
            .collect()
    } else {
        (1..=per_shard).map(|n| format!("{id}-{n:03}")).collect()
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

/// Per-node alarms for ElastiCache node-based clusters (SPEC §6; thresholds per aws-facts §4.5).
fn node_alarms(plan: &Plan, vcpu: u32, replicas: bool) -> Vec<Alarm> {
    let a = &plan.alarms;
    let memcached = plan.engine == Engine::Memcached;
    let mut alarms = Vec::new();
    alarms.push(cpu_alarm(plan, vcpu, "AWS/ElastiCache"));
    if !memcached {
        alarms.push(Alarm {
            resource: "memory",
            suffix: "memory",
            namespace: "AWS/ElastiCache",
            recover: false,
            metric: "DatabaseMemoryUsagePercentage",
            statistic: "Average",
            comparison: "GreaterThanThreshold",
            threshold: a.memory_percent.to_string(),
            period: 300,
            evaluation_periods: 2,
            datapoints_to_alarm: 2,
            treat_missing_data: "missing",
            description: format!(
                "Data memory above {}% for 10 minutes; at 100% the {} policy applies. Check key growth and TTLs; scale up or add shards before writes fail or keys are evicted.",
                a.memory_percent,
                plan.eviction.policy_name()
            ),
        });
    }
    let evicting_is_normal = matches!(plan.eviction, Eviction::Policy(p) if p.evicts_keys_without_ttl()) || memcached;
    alarms.push(Alarm {
        resource: "evictions",
        suffix: "evictions",
        namespace: "AWS/ElastiCache",
        recover: false,
        metric: "Evictions",
        statistic: "Sum",
        comparison: "GreaterThanThreshold",
        threshold: "0".to_owned(),
        period: 300,
        evaluation_periods: if evicting_is_normal { 3 } else { 1 },
        datapoints_to_alarm: if evicting_is_normal { 3 } else { 1 },
        treat_missing_data: "notBreaching",
        description: if evicting_is_normal {
            format!(
                "Keys evicted for 15 minutes in a row: the cache is full and the hit rate will drop. Scale up or add {} if the misses hurt.",
                if memcached { "nodes" } else { "shards" }
            )
        } else {
            format!(
                "Keys were evicted under {}: keys that must stay may be gone. Scale up or add shards now; check for keys written without a TTL.",
                plan.eviction.policy_name()
            )
        },
    });
    alarms.push(Alarm {
        resource: "connections",
        suffix: "connections",
        namespace: "AWS/ElastiCache",
        recover: false,
        metric: "CurrConnections",
        statistic: "Maximum",
        comparison: "GreaterThanThreshold",
        // ElastiCache's maxclients is 65,000 (aws-facts §3.3); warn at 80 % of it.
        threshold: "52000".to_owned(),
        period: 300,
        evaluation_periods: 2,
        datapoints_to_alarm: 2,
        treat_missing_data: "missing",
        description: "Connections above 52,000 (80% of maxclients 65,000): new clients will soon be refused. Look for connection leaks or missing pooling in the clients.".to_owned(),
    });
    if replicas {
        alarms.push(Alarm {
            resource: "replication_lag",
            suffix: "replication-lag",
            namespace: "AWS/ElastiCache",
            recover: false,
            metric: "ReplicationLag",
            statistic: "Maximum",
            comparison: "GreaterThanThreshold",
            threshold: "30".to_owned(),
            period: 60,
            evaluation_periods: 5,
            datapoints_to_alarm: 5,
            // Only replicas publish ReplicationLag; a primary's missing data is not a problem.
            treat_missing_data: "notBreaching",
            description: "A replica has lagged more than 30 seconds for 5 minutes: a failover now would lose those writes and reads from it are stale. Check write volume and network.".to_owned(),
        });
    }
    alarms.push(Alarm {
        resource: "swap",
        suffix: "swap",
        namespace: "AWS/ElastiCache",
        recover: false,
        metric: "SwapUsage",
        statistic: "Average",
        comparison: "GreaterThanThreshold",
        // aws-facts §4.1 (AWS-EC-MON): swap above 50 MB signals memory pressure.
        threshold: "52428800".to_owned(),
        period: 300,
        evaluation_periods: 2,
        datapoints_to_alarm: 2,
        treat_missing_data: "missing",
        description: "Swap above 50 MB for 10 minutes: the node is short of memory and latency suffers. Raise reserved memory or move to a larger node type.".to_owned(),
    });
    alarms
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
