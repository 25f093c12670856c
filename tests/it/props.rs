//! Property tests (few cases, fast): no panic on any input, the trail ends at the path,
//! durability means MemoryDB unless overridden, planning and rendering are deterministic, and
//! every valid workload renders a module whose Terraform parses (issue #6).

use proptest::prelude::*;
use rediform::names::Named;
use rediform::Catalog;

use crate::support;

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn any_text_is_parsed_or_refused_without_panicking(text in "\\PC{0,200}") {
        let _ = rediform::parse(&text);
    }

    #[test]
    fn any_edit_of_a_valid_file_is_parsed_or_refused_without_panicking(
        cut in 0usize..200, insert in "[\\[\\]=\"a-z0-9._ \n-]{0,12}"
    ) {
        let text = support::workload_text(&[]);
        let cut = cut.min(text.len());
        let edited = format!("{}{}{}", &text[..cut], insert, &text[cut..]);
        if let Ok(w) = rediform::parse(&edited) {
            if let Ok(plan) = rediform::build(&w, &Catalog::embedded()) {
                let spec = rediform::module::spec(&plan, "w.toml", false);
                let rendered = rediform::render::render(&spec, &rediform::render::Templates::embedded().unwrap());
                prop_assert!(rendered.is_ok(), "{:?}", rendered.err());
            }
        }
    }

    #[test]
    fn valid_workloads_plan_consistently(
        size_gb in 0.1f64..3000.0,
        peak in 1u64..500_000,
        ratio in 1u64..20,
        hours in 1u32..=24,
        durable in any::<bool>(),
        sre in any::<bool>(),
        cost_sensitive in any::<bool>(),
        control in any::<bool>(),
        env in prop::sample::select(vec!["prod", "staging", "dev"]),
    ) {
        let average = (peak / ratio).max(1);
        let size = format!("data.size_gb = {size_gb:.2}");
        let peak_edit = format!("traffic.peak_ops_per_sec = {peak}");
        let avg_edit = format!("traffic.average_ops_per_sec = {average}");
        let hours_edit = format!("traffic.active_hours_per_day = {hours}");
        let durable_edit = format!("data.must_not_lose_writes = {durable}");
        let sre_edit = format!("team.sre_capacity = {sre}");
        let cost_edit = format!("team.cost_sensitive = {cost_sensitive}");
        let control_edit = format!("team.needs_full_control = {control}");
        let env_edit = format!("workload.environment = \"{env}\"");
        let edits = [size.as_str(), &peak_edit, &avg_edit, &hours_edit, &durable_edit, &sre_edit, &cost_edit, &control_edit, &env_edit];
        let w = support::workload(&edits);
        let catalog = Catalog::embedded();
        match rediform::build(&w, &catalog) {
            Ok(plan) => {
                if durable {
                    prop_assert_eq!(plan.path.as_str(), "memorydb");
                }
                // The last path-deciding step names the path the plan took.
                let last = plan.trail.iter().rev()
                    .find(|s| !matches!(s.rule.as_str(), "engine" | "eviction" | "multi-az" | "sizing") && !s.outcome.starts_with("does not fire"))
                    .unwrap();
                prop_assert!(last.outcome.contains(plan.path.as_str()), "{:?} does not end at {}", last, plan.path);
                let again = rediform::build(&w, &catalog).unwrap();
                prop_assert_eq!(&plan, &again);
                // Every module renders: each .tf passed the HCL parse gate inside render (an error
                // otherwise), and two renders give the same bytes.
                let templates = rediform::render::Templates::embedded().unwrap();
                let spec = rediform::module::spec(&plan, "w.toml", false);
                let module = rediform::render::render(&spec, &templates);
                prop_assert!(module.is_ok(), "{:?}", module.err());
                let module = module.unwrap();
                for (name, text) in &module.files {
                    if rediform::hcl::is_hcl(name) {
                        prop_assert!(hcl_edit::parser::parse_body(text).is_ok(), "{} does not parse", name);
                    }
                }
                let twice = rediform::render::render(&rediform::module::spec(&again, "w.toml", false), &templates).unwrap();
                prop_assert_eq!(module, twice);
            }
            // Only a self-hosted dataset too large for one instance may be refused.
            Err(problems) => prop_assert!(
                problems.iter().all(|d| d.message.contains("self-hosting runs a single shard")),
                "{:?}", problems
            ),
        }
    }
}
