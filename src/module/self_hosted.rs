//! The self-hosted module: Valkey with Sentinel on three EC2 instances (`templates/self-hosted/`,
//! SPEC §5, §6; issue #5). Pure: fills the [`ModuleSpec`].

use super::{memory_alarm, Alarm, CheckovSkip, Egress, Ingress, ModuleSpec, SelfHostedCluster, SelfHostedReplica, TLS};
use crate::plan::Plan;
use crate::size::SelfHosted;

/// Namespace of the metrics the nodes' timers publish with `aws cloudwatch put-metric-data`
/// (a custom namespace: any name not starting with `AWS/`).
pub(crate) const NAMESPACE: &str = "rediform/Valkey";

pub(super) fn self_hosted(plan: &Plan, h: &SelfHosted, spec: &mut ModuleSpec) {
    let name = &plan.name;
    let s = &plan.self_hosting;
    spec.min_subnets = h.nodes;
    spec.providers.push(TLS);
    spec.self_hosted = Some(SelfHostedCluster {
        valkey_major: plan.engine_version.major,
        instance_type: h.instance_type.clone(),
        memory_gib: h.memory_gib,
        ami_parameter: s.ami_parameter.clone(),
        maxmemory: format!("{}mb", h.maxmemory_mb),
        maxmemory_percent: s.maxmemory_percent,
        quorum: h.sentinel_quorum,
        io_threads: h.io_threads,
        replicas: (2..=h.nodes)
            .map(|n| SelfHostedReplica {
                key: n.to_string(),
                subnet_index: n - 1,
            })
            .collect(),
        root_volume_gb: h.root_volume_gb,
        data_volume_gb: h.data_volume_gb,
        data_volume_iops: h.data_volume_iops,
        data_volume_mibps: h.data_volume_mibps,
        down_after_ms: s.down_after_ms,
        failover_timeout_ms: s.failover_timeout_ms,
        metrics_namespace: NAMESPACE,
        cert_validity_days: s.cert_validity_days,
        cert_renew_days: s.cert_renew_days,
        cert_alarm_days: s.cert_alarm_days,
        backups: plan.backup.retention_days > 0,
        backup_expiry_days: plan.backup.retention_days.max(1),
        backup_bucket_prefix: crate::naming::names(name).backup_bucket_prefix,
        backup_alarm: (plan.backup.retention_days > 0 && plan.alarms.enabled).then(backup_alarm),
    });
    let port = plan.port;
    spec.ingress = vec![
        Ingress::clients("clients", port, format!("Valkey clients to {name} (TLS)")),
        Ingress::clients(
            "sentinel_clients",
            crate::plan::SENTINEL_PORT,
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
            port: crate::plan::SENTINEL_PORT,
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
            port: crate::plan::SENTINEL_PORT,
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
            "aws_secretsmanager_secret.ca",
            "CKV2_AWS_57",
            "the certificate authority is renewed with the runbook in the README (re-sign with tls_self_signed_cert.ca), not a Lambda",
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

/// An alarm on a health metric the node publishes every minute (1 = up): below 1, or missing,
/// for `minutes` minutes. Missing data is breaching: a node that stopped reporting is not healthy.
fn health_alarm(
    resource: &'static str,
    suffix: &'static str,
    metric: &'static str,
    minutes: u32,
    description: &str,
) -> Alarm {
    Alarm {
        resource,
        suffix,
        namespace: NAMESPACE,
        recover: false,
        metric,
        statistic: "Minimum",
        comparison: "LessThanThreshold",
        threshold: "1".to_owned(),
        period: 60,
        evaluation_periods: minutes,
        datapoints_to_alarm: minutes,
        treat_missing_data: "breaching",
        description: description.to_owned(),
    }
}

/// No backup uploaded for 3 hours: the timer runs hourly on the primary and publishes
/// `BackupUploaded` (dimension `Cluster`) after each upload; silence is breaching, as a timer that
/// fails (IAM, KMS, a full disk, no snapshot) publishes nothing.
fn backup_alarm() -> Alarm {
    Alarm {
        resource: "backup",
        suffix: "backup",
        namespace: NAMESPACE,
        recover: false,
        metric: "BackupUploaded",
        statistic: "Sum",
        comparison: "LessThanThreshold",
        threshold: "1".to_owned(),
        period: 3600,
        evaluation_periods: 3,
        datapoints_to_alarm: 3,
        treat_missing_data: "breaching",
        description: "No RDB backup has reached S3 for 3 hours. On the primary: systemctl status valkey-backup; journalctl -u valkey-backup (the node's role, the bucket's KMS key, free space on /var/lib/valkey).".to_owned(),
    }
}

/// Per-instance alarms (SPEC §6, aws-facts §4.4): `AWS/EC2` CPU and the system status check (with
/// the recover action), and the CloudWatch agent's memory and data-disk use.
fn self_hosted_alarms(plan: &Plan, h: &SelfHosted) -> Vec<Alarm> {
    let mut alarms = host_alarms(plan, h);
    alarms.extend(health_alarms());
    alarms.extend(certificate_and_status_alarms(plan));
    alarms
}

/// The nodes' own health metrics (`user_data.sh.tftpl`, `publish_health`).
fn health_alarms() -> Vec<Alarm> {
    vec![
        health_alarm(
            "valkey",
            "valkey-down",
            "ValkeyUp",
            3,
            "Valkey on this node has not answered INFO for 3 minutes (or the node has stopped reporting). Sentinel fails over if it was the primary. On the node: systemctl status valkey; journalctl -u valkey; /var/log/rediform-boot.log.",
        ),
        health_alarm(
            "sentinel",
            "sentinel-down",
            "SentinelUp",
            3,
            "Sentinel on this node has not answered PING for 3 minutes (or the node has stopped reporting). With two Sentinels down there is no quorum and no failover. On the node: systemctl status valkey-sentinel; journalctl -u valkey-sentinel.",
        ),
        health_alarm(
            "replication",
            "replication",
            "ReplicationLinkUp",
            5,
            "This replica's link to the primary has been down for 5 minutes (master_link_status is not up), or the node has stopped reporting: it serves stale data and cannot take over. On the node: valkey_cli INFO replication; check the primary and the security group (README, \"Which node is primary\").",
        ),
    ]
}

/// CPU, memory and disk of the instance.
fn host_alarms(plan: &Plan, h: &SelfHosted) -> Vec<Alarm> {
    let a = &plan.alarms;
    vec![
        // Valkey runs commands on one thread: on 48 vCPUs, a saturated main thread is 2% of the
        // host's CPUUtilization, which could never reach the threshold. The CloudWatch agent
        // collects per-core cpu_usage_active ("resources": ["*"], "totalcpu": false; AWS-CW-AGENT,
        // CloudWatch-Agent-Configuration-File-Details, "cpu" section) and rolls the cores up to
        // InstanceId (aggregation_dimensions): the Maximum of that series is the busiest core.
        Alarm {
            resource: "cpu",
            suffix: "cpu",
            namespace: "CWAgent",
            recover: false,
            metric: "cpu_usage_active",
            statistic: "Maximum",
            comparison: "GreaterThanThreshold",
            threshold: a.cpu_percent.to_string(),
            period: 60,
            evaluation_periods: 15,
            datapoints_to_alarm: 15,
            treat_missing_data: "missing",
            description: format!(
                "The busiest of the {} vCPUs above {}% for 15 minutes: the Valkey main thread (which runs every command){} is saturated and latency grows. Find hot keys or expensive commands with SLOWLOG GET; move to a larger instance type.",
                h.vcpu,
                a.cpu_percent,
                if h.io_threads > 1 {
                    format!(" or one of its {} I/O threads", h.io_threads - 1)
                } else {
                    String::new()
                }
            ),
        },
        memory_alarm(
            plan,
            "CWAgent",
            "mem_used_percent",
            "breaching",
            format!(
                "Instance memory above {}% for 10 minutes (maxmemory is {}% of RAM; the rest is for the OS, forks for RDB snapshots and replication buffers). Check INFO memory; move to a larger instance type. Missing data counts as breaching: the CloudWatch agent has stopped reporting.",
                a.memory_percent, plan.self_hosting.maxmemory_percent
            ),
        ),
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
    ]
}

/// The node certificate's days left, and the system status check with the recover action.
fn certificate_and_status_alarms(plan: &Plan) -> Vec<Alarm> {
    let s = &plan.self_hosting;
    vec![
        Alarm {
            resource: "certificate",
            suffix: "certificate",
            namespace: NAMESPACE,
            recover: false,
            metric: "CertificateDaysLeft",
            statistic: "Minimum",
            comparison: "LessThanThreshold",
            threshold: s.cert_alarm_days.to_string(),
            // The renewal timer publishes once an hour: three hours without a figure is a timer
            // that no longer runs, as bad as a certificate about to expire.
            period: 3600,
            evaluation_periods: 3,
            datapoints_to_alarm: 3,
            treat_missing_data: "breaching",
            description: format!(
                "The node's TLS certificate expires in fewer than {} days, or the hourly renewal timer has stopped reporting: it should have signed a new one at {} days. On the node: systemctl status valkey-renew-cert.timer; journalctl -u valkey-renew-cert; run /usr/local/bin/valkey-renew-cert (README, \"Certificates\").",
                s.cert_alarm_days, s.cert_renew_days
            ),
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
