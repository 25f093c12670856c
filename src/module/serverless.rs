//! The ElastiCache Serverless module (`templates/serverless/`). Pure: fills the [`ModuleSpec`].

use super::{auth, Alarm, Ingress, ModuleSpec, ServerlessCache};
use crate::names::Engine;
use crate::plan::Plan;
use crate::size::ServerlessLimits;
use crate::units::plain;

pub(super) fn serverless(plan: &Plan, l: &ServerlessLimits, spec: &mut ModuleSpec) {
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
    // GB (SPEC §9: size_gb is GB too). The limit is the declared data plus 25 %, so memory_percent
    // (80) of it is the declared data itself: an alarm there fires in normal operation (issue #9).
    // It fires instead halfway between the declared data and the limit, or at memory_percent of
    // the limit when that is higher: growth, with time left to act before writes fail.
    let limit_gb = l.data_storage_gb as f64;
    let threshold_gb = (limit_gb * f64::from(a.memory_percent) / 100.0).max(f64::midpoint(l.data_gb, limit_gb));
    let storage_bytes = (threshold_gb * 1e9).round();
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
                "Data above {} GB for 10 minutes: more than the {} GB the workload file declares, on the way to the {} GB storage limit, where the cache evicts keys with a TTL and then refuses writes. Raise data.size_gb in the workload file (the limit follows) or shorten TTLs.",
                crate::units::plain((threshold_gb * 100.0).round() / 100.0),
                crate::units::plain(l.data_gb),
                l.data_storage_gb
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
