//! The MemoryDB module (`templates/memorydb/`). Pure: fills the [`ModuleSpec`].

use super::{
    auth, cpu_alarm, memory_alarm, parameter_group_name, replication_lag_alarm, Alarm, Ingress, MemorydbCluster,
    ModuleSpec, Parameter, ParameterGroup,
};
use crate::names::Environment;
use crate::plan::Plan;
use crate::size::Replicated;

pub(super) fn memorydb(plan: &Plan, r: &Replicated, spec: &mut ModuleSpec) {
    let name = &plan.name;
    spec.parameter_group = Some(ParameterGroup {
        name: parameter_group_name(name, &plan.parameter_group_family, false),
        family: plan.parameter_group_family.clone(),
        // aws-facts §3.4: MemoryDB's default policy is believed to be noeviction [U]: set it.
        parameters: std::iter::once(Parameter {
            name: "maxmemory-policy".to_owned(),
            value: plan.eviction.policy_name().to_owned(),
        })
        // Vector search is switched on by a parameter (catalog.toml `[search]`).
        .chain(plan.vector_search.iter().map(|parameter| Parameter {
            name: parameter.clone(),
            value: "yes".to_owned(),
        }))
        .collect(),
    });
    spec.memorydb = Some(MemorydbCluster {
        node_type: r.node_type.clone(),
        shards: r.shards,
        replicas_per_shard: r.replicas_per_shard,
        final_snapshot: plan.environment == Environment::Prod,
        search: plan.vector_search.is_some(),
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
        memory_alarm(
            plan,
            "AWS/MemoryDB",
            "DatabaseMemoryUsagePercentage",
            "missing",
            format!(
                "Data memory above {}% for 10 minutes; at 100% the {} policy applies and writes fail. Add shards or move to a larger node type before then.",
                a.memory_percent,
                plan.eviction.policy_name()
            ),
        ),
        replication_lag_alarm(
            "AWS/MemoryDB",
            "reads from it are stale and a failover waits for it to catch up. Check write volume and network.",
        ),
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
