//! `cargo bench --bench check`: the time an honest `rediform check` takes (issue #10: every
//! module rendered and compared byte by byte; nothing read from the repository lets a module go
//! unrendered): over 100 workloads (budget 100 ms), over 1,000 (budget 1 s) and over one. It runs
//! the release binary as a user would, on every CPU of the machine (check renders on all of
//! them), on workload files made from the fixtures (names numbered), after one `generate`.
//! Prints the figures and exits 1 when a budget is exceeded.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const RUNS: usize = 15;
const BUDGET_100: Duration = Duration::from_millis(100);
const BUDGET_1000: Duration = Duration::from_secs(1);
/// One workload: most of it is compiling the templates, once per process.
const BUDGET_1: Duration = Duration::from_millis(50);

fn rediform(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rediform"));
    cmd.current_dir(dir).args(args);
    cmd
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

/// `count` workload files in `dir/workloads`, made from the fixtures, each with its own name.
fn workloads(root: &Path, dir: &Path, count: usize) {
    let workloads = dir.join("workloads");
    std::fs::create_dir_all(&workloads).expect("workloads/");
    let mut fixtures: Vec<PathBuf> = std::fs::read_dir(root.join("fixtures"))
        .expect("fixtures/")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    fixtures.sort();
    for i in 0..count {
        let fixture = &fixtures[i % fixtures.len()];
        let text = std::fs::read_to_string(fixture).expect("a fixture");
        let name_line = text.lines().find(|l| l.starts_with("name = ")).expect("a name");
        let name = name_line.trim_start_matches("name = ").trim_matches('"');
        let short = name[..name.len().min(30)].trim_end_matches('-');
        let renamed = text.replacen(name_line, &format!("name = \"{short}-{i:04}\""), 1);
        std::fs::write(workloads.join(format!("w{i:04}.toml")), renamed).expect("a workload");
    }
    let generated = rediform(dir, &["generate", "--quiet", "workloads"])
        .output()
        .expect("generate runs");
    assert!(
        generated.status.success(),
        "{}",
        String::from_utf8_lossy(&generated.stderr)
    );
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let hundred = tempfile::tempdir().expect("a temporary directory");
    workloads(&root, hundred.path(), 100);
    let thousand = tempfile::tempdir().expect("a temporary directory");
    workloads(&root, thousand.path(), 1000);
    // The modules just written reach the disk before the timing starts (no writeback beside it).
    let _ = Command::new("sync").status();

    let (all, all_best) = time(hundred.path(), &["check", "workloads"], 0);
    let (many, many_best) = time(thousand.path(), &["check", "--quiet", "workloads"], 0);
    let (one, one_best) = time(hundred.path(), &["check", "workloads/w0000.toml"], 0);
    let cpus = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    println!("rediform check, every module rendered and compared, {RUNS} runs each, {cpus} CPU(s):");
    for (what, median, best, budget) in [
        ("100 workloads:  ", all, all_best, BUDGET_100),
        ("1,000 workloads:", many, many_best, BUDGET_1000),
        ("1 workload:     ", one, one_best, BUDGET_1),
    ] {
        println!(
            "  {what} median {:.1} ms (fastest {:.1} ms), budget {} ms",
            ms(median),
            ms(best),
            budget.as_millis()
        );
    }
    if all > BUDGET_100 || many > BUDGET_1000 || one > BUDGET_1 {
        eprintln!("over budget");
        std::process::exit(1);
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
