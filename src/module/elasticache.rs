//! The ElastiCache node-based module: a Valkey or Redis OSS replication group, or a Memcached
//! cluster (`templates/elasticache/`). Pure: fills the [`ModuleSpec`].

use super::{
    auth, cpu_alarm, memory_alarm, parameter_group_name, replication_lag_alarm, Alarm, CheckovSkip, Ingress, LogGroup,
    MemcachedCluster, ModuleSpec, Parameter, ParameterGroup, ReplicationGroup,
};
use crate::decide::Eviction;
use crate::names::{Engine, Environment};
use crate::plan::Plan;
use crate::size::Replicated;

pub(super) fn replication_group(plan: &Plan, r: &Replicated, spec: &mut ModuleSpec) {
    let name = &plan.name;
    let mut parameters = vec![
        Parameter {
            name: "maxmemory-policy".to_owned(),
            value: plan.eviction.policy_name().to_owned(),
        },
        // aws-facts §3.2: 25 is the default for accounts since 2017; set explicitly so the usable
        // memory the sizing assumed is what the cluster gets.
        Parameter {
            name: "reserved-memory-percent".to_owned(),
            value: "25".to_owned(),
        },
    ];
    if r.cluster_mode {
        parameters.push(Parameter {
            name: "cluster-enabled".to_owned(),
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
            // aws_rules.toml `log-group-vended-prefix`: a /aws/vendedlogs/ group does not grow
            // the account's 5,120-character CloudWatch Logs resource policy.
            name: format!("/aws/vendedlogs/elasticache/{name}/{log_type}"),
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

pub(super) fn memcached(plan: &Plan, m: &crate::size::MemcachedNodes, spec: &mut ModuleSpec) {
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
        engine_release: plan
            .engine_release
            .clone()
            .unwrap_or_else(|| plan.engine_version.to_string()),
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

/// Per-node alarms for ElastiCache node-based clusters (SPEC §6; thresholds per aws-facts §4.5).
pub(super) fn node_alarms(plan: &Plan, vcpu: u32, replicas: bool) -> Vec<Alarm> {
    let a = &plan.alarms;
    let memcached = plan.engine == Engine::Memcached;
    let mut alarms = Vec::new();
    alarms.push(cpu_alarm(plan, vcpu, "AWS/ElastiCache"));
    if !memcached {
        alarms.push(memory_alarm(
            plan,
            "AWS/ElastiCache",
            "DatabaseMemoryUsagePercentage",
            "missing",
            format!(
                "Data memory above {}% for 10 minutes; at 100% the {} policy applies. Check key growth and TTLs; scale up or add shards before writes fail or keys are evicted.",
                a.memory_percent,
                plan.eviction.policy_name()
            ),
        ));
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
        alarms.push(replication_lag_alarm(
            "AWS/ElastiCache",
            "a failover now would lose those writes and reads from it are stale. Check write volume and network.",
        ));
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
