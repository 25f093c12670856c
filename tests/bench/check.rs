//! `cargo bench --bench check`: the time `rediform check` takes over 100 workloads, and over one
//! (issue #6: under 100 ms and under 5 ms on one core). It runs the release binary as a user
//! would, pinned to one CPU (`taskset`) where the machine has it, on 100 workload files made
//! from the fixtures (names numbered), after one `generate`. Prints the figures and exits 1 when
//! a budget is exceeded.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const RUNS: usize = 15;
const BUDGET_100: Duration = Duration::from_millis(100);
const BUDGET_1: Duration = Duration::from_millis(5);

fn rediform(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rediform"));
    cmd.current_dir(dir).args(args);
    cmd
}

/// Runs this benchmark again pinned to CPU 0 with `taskset` (the runs of rediform inherit the
/// affinity, so no `taskset` start-up is timed with them); `false` where there is no taskset.
fn rerun_pinned() -> bool {
    if std::env::var_os("REDIFORM_BENCH_PINNED").is_some() {
        return false;
    }
    let Ok(me) = std::env::current_exe() else { return false };
    let status = Command::new("taskset")
        .args(["-c", "0"])
        .arg(me)
        .args(std::env::args_os().skip(1))
        .env("REDIFORM_BENCH_PINNED", "1")
        .status();
    match status {
        Ok(s) => std::process::exit(s.code().unwrap_or(1)),
        Err(_) => false,
    }
}

/// The median and the fastest of `RUNS` runs; every run must exit with `code`.
fn time(dir: &Path, args: &[&str], code: i32) -> (Duration, Duration) {
    let mut runs: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            let out = rediform(dir, args).output().expect("rediform runs");
            let took = start.elapsed();
            assert_eq!(
                out.status.code(),
                Some(code),
                "rediform {args:?}: {}",
                String::from_utf8_lossy(&out.stdout)
            );
            took
        })
        .collect();
    runs.sort();
    (runs[RUNS / 2], runs[0])
}

fn main() {
    let pinned = !rerun_pinned() && std::env::var_os("REDIFORM_BENCH_PINNED").is_some();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().expect("a temporary directory");
    let workloads = dir.path().join("workloads");
    std::fs::create_dir(&workloads).expect("workloads/");
    let mut fixtures: Vec<PathBuf> = std::fs::read_dir(root.join("fixtures"))
        .expect("fixtures/")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    fixtures.sort();
    for i in 0..100 {
        let fixture = &fixtures[i % fixtures.len()];
        let text = std::fs::read_to_string(fixture).expect("a fixture");
        let name_line = text.lines().find(|l| l.starts_with("name = ")).expect("a name");
        let name = name_line.trim_start_matches("name = ").trim_matches('"');
        let short = name[..name.len().min(30)].trim_end_matches('-');
        let renamed = text.replacen(name_line, &format!("name = \"{short}-{i:03}\""), 1);
        std::fs::write(workloads.join(format!("w{i:03}.toml")), renamed).expect("a workload");
    }
    let generated = rediform(dir.path(), &["generate", "--quiet", "workloads"])
        .output()
        .expect("generate runs");
    assert!(
        generated.status.success(),
        "{}",
        String::from_utf8_lossy(&generated.stderr)
    );

    let (all, all_best) = time(dir.path(), &["check", "workloads"], 0);
    let (one, one_best) = time(dir.path(), &["check", "workloads/w000.toml"], 0);
    // Without the lock files check renders every module and compares it byte by byte (what it
    // does for a workload that changed): reported, not budgeted.
    let generated = rediform(dir.path(), &["generate", "--quiet", "--out", "unlocked", "workloads"])
        .output()
        .expect("generate runs");
    assert!(generated.status.success());
    for module in std::fs::read_dir(dir.path().join("unlocked")).expect("unlocked/") {
        std::fs::remove_file(module.expect("a module").path().join(".rediform.lock")).expect("a lock file");
    }
    let (render, render_best) = time(dir.path(), &["check", "--quiet", "--out", "unlocked", "workloads"], 1);
    let cpus = if pinned {
        "pinned to one CPU"
    } else {
        "not pinned (no taskset)"
    };
    println!("rediform check, {RUNS} runs each, {cpus}:");
    println!(
        "  100 workloads: median {:.1} ms (fastest {:.1} ms), budget {} ms",
        ms(all),
        ms(all_best),
        BUDGET_100.as_millis()
    );
    println!(
        "  1 workload:    median {:.1} ms (fastest {:.1} ms), budget {} ms",
        ms(one),
        ms(one_best),
        BUDGET_1.as_millis()
    );
    println!(
        "  100 workloads, every module rendered and compared (no lock files): median {:.1} ms (fastest {:.1} ms)",
        ms(render),
        ms(render_best)
    );
    if all > BUDGET_100 || one > BUDGET_1 {
        eprintln!("over budget");
        std::process::exit(1);
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
