//! The command line (SPEC §2): clap derive, one function per subcommand, every FILE processed,
//! every error printed, the worst outcome returned. The only module besides `emit` with side effects.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use clap_complete::Shell;

use crate::catalog::Catalog;
use crate::diag::Diagnostic;
use crate::emit::{self, Change};
use crate::error::{Error, Outcome};
use crate::plan::{self, Plan};
use crate::render::{self, Module, Templates};
use crate::{lock, module, report, workload};

mod project;

const STARTER: &str = include_str!("data/starter.toml");

/// Picks the AWS path for a Redis/Valkey workload, explains why, estimates what each path costs.
#[derive(Debug, Parser)]
#[command(name = "rediform", about, long_about = None, max_term_width = 100)]
struct Cli {
    /// Print errors only (exit codes still tell the outcome).
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

/// `--version`: the crate version and the date of the built-in catalog and prices.
fn version() -> &'static str {
    static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    VERSION.get_or_init(|| format!("{} ({})", env!("CARGO_PKG_VERSION"), Catalog::embedded_dates()))
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write a commented starter workload file (refuses to overwrite).
    Init {
        /// Where to write it.
        #[arg(default_value = "workload.toml")]
        file: PathBuf,
    },
    /// Print the decision trail, the sizing and a monthly cost table for all four paths; writes nothing.
    Decide {
        /// Workload files.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// A TOML file whose prices replace the built-in ones (same keys as src/data/prices.toml).
        #[arg(long, value_name = "FILE")]
        prices: Option<PathBuf>,
    },
    /// Write one Terraform module per workload into OUT/<name>/.
    Generate {
        #[command(flatten)]
        args: GenerateArgs,
        /// Take over files in the output directory that rediform did not generate.
        #[arg(long)]
        force: bool,
        /// Exit 1 when a file was created, changed or removed (for pre-commit hooks, which stop
        /// the commit so that the new files can be reviewed and added).
        #[arg(long)]
        exit_code: bool,
    },
    /// List every file `generate` would create, change or delete; exit 1 if there is any. Writes nothing.
    Check {
        #[command(flatten)]
        args: GenerateArgs,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Print the JSON Schema of the workload file (for taplo and editors).
    Schema,
    /// Print shell completions.
    Completions {
        /// The shell.
        shell: Shell,
    },
}

#[derive(Debug, clap::Args)]
struct GenerateArgs {
    /// Workload files, or directories searched for them (default: `workloads` in rediform.toml).
    #[arg(value_name = "PATH")]
    files: Vec<PathBuf>,
    /// Directory that holds one module directory per workload (default: `out` in rediform.toml,
    /// else `generated`).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Generate a child module: no providers.tf (the caller configures the provider).
    #[arg(long)]
    as_module: bool,
    /// A directory of templates that replace the built-in ones of the same name (house conventions).
    #[arg(long, value_name = "DIR")]
    templates: Option<PathBuf>,
    /// A TOML file whose prices replace the built-in ones.
    #[arg(long, value_name = "FILE")]
    prices: Option<PathBuf>,
    /// Skip files that are not workload files (no [workload] table) or no longer exist, as a
    /// pre-commit hook passes every changed .toml.
    #[arg(long)]
    workloads_only: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

/// Runs rediform with these arguments (the first is the program name).
pub fn run<I, T>(args: I) -> Outcome
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let parsed = Cli::command()
        .version(version())
        .try_get_matches_from(args)
        .and_then(|m| <Cli as clap::FromArgMatches>::from_arg_matches(&m));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                Outcome::Invalid
            } else {
                Outcome::Success
            };
        }
    };
    let mut out = Output::new(cli.quiet);
    let outcome = match cli.command {
        Command::Init { file } => init(&file, &mut out),
        Command::Decide { files, format, prices } => decide(&files, format, prices.as_deref(), &mut out),
        Command::Generate { args, force, exit_code } => generate(&args, force, exit_code, &mut out),
        Command::Check { args, format } => check(&args, format, &mut out),
        Command::Schema => {
            out.print(&workload::json_schema());
            Outcome::Success
        }
        Command::Completions { shell } => {
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "rediform", &mut buf);
            out.print(&String::from_utf8_lossy(&buf));
            Outcome::Success
        }
    };
    outcome.max(out.outcome)
}

/// stdout and stderr; a closed stdout (`rediform decide | head`) ends output quietly. Errors are
/// coloured on a terminal unless `NO_COLOR` is set (no-color.org); `--quiet` prints errors only.
struct Output {
    closed: bool,
    quiet: bool,
    color: bool,
    outcome: Outcome,
}

impl Output {
    fn new(quiet: bool) -> Output {
        use std::io::IsTerminal;
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Output {
            closed: false,
            quiet,
            color: io::stderr().is_terminal() && !no_color,
            outcome: Outcome::Success,
        }
    }

    fn print(&mut self, text: &str) {
        if self.closed || self.quiet {
            return;
        }
        let text = crate::encode::terminal(text);
        let mut stdout = io::stdout().lock();
        if let Err(e) = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
            self.closed = true;
            if e.kind() != io::ErrorKind::BrokenPipe {
                let _ = writeln!(io::stderr(), "error: cannot write to stdout: {e}");
                self.outcome = Outcome::Io;
            }
        }
    }

    fn error(&mut self, error: &Error) -> Outcome {
        // User text in a message (a name, a line of the file) is shown, never obeyed: control
        // characters are escaped before the colours are added.
        let text = crate::encode::terminal(&error.render()).into_owned();
        let text = if self.color { crate::diag::colorize(&text) } else { text };
        let _ = io::stderr().write_all(text.as_bytes());
        self.outcome = self.outcome.max(error.outcome());
        error.outcome()
    }
}

fn display(path: &Path) -> String {
    path.display().to_string()
}

/// Reads a file as UTF-8 text; a binary or non-UTF-8 file is an input error at its first bad byte.
fn read_text(path: &Path) -> Result<String, Error> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        action: "cannot read",
        path: path.to_owned(),
        source,
    })?;
    let bad = |at: usize, message: &str, text: String| Error::Input {
        file: display(path),
        source_text: text,
        diagnostics: vec![Diagnostic::new("", message)
            .at(Some(at..at))
            .help("a workload file is UTF-8 TOML text; `rediform init` writes a starter file")],
    };
    if let Some(at) = bytes.iter().position(|b| *b == 0) {
        return Err(bad(
            at,
            "this is a binary file (it holds NUL bytes), not a TOML workload file",
            String::new(),
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        bad(
            at,
            "the file is not valid UTF-8 text",
            String::from_utf8_lossy(e.as_bytes()).into_owned(),
        )
    })
}

/// The catalog, with the user's prices if given.
fn catalog(prices: Option<&Path>) -> Result<Catalog, Error> {
    let Some(path) = prices else {
        return Ok(Catalog::embedded());
    };
    catalog_with(path, &read_text(path)?)
}

/// The catalog with the prices of a `--prices` file already read.
fn catalog_with(path: &Path, text: &str) -> Result<Catalog, Error> {
    Catalog::with_prices(text).map_err(|e| Error::Input {
        file: display(path),
        source_text: text.to_owned(),
        diagnostics: e.0,
    })
}

/// A workload file's problems, with its text for rendering them.
fn input_error(path: &Path, text: &str, diagnostics: Vec<Diagnostic>) -> Error {
    Error::Input {
        file: display(path),
        source_text: text.to_owned(),
        diagnostics,
    }
}

/// Reads and validates one workload file: its text and the workload.
fn load_workload(path: &Path) -> Result<(String, workload::Workload), Error> {
    let text = read_text(path)?;
    match workload::parse(&text) {
        Ok(w) => Ok((text, w)),
        Err(diagnostics) => Err(input_error(path, &text, not_a_workload(&text).unwrap_or(diagnostics))),
    }
}

/// Parses, validates and plans one workload file.
fn plan_file(path: &Path, catalog: &Catalog) -> Result<Plan, Error> {
    let (text, workload) = load_workload(path)?;
    plan::build(&workload, catalog).map_err(|d| input_error(path, &text, d))
}

/// One clear diagnostic for a TOML file that shares no table with a workload file (a
/// `taplo.toml` or `Cargo.toml` passed by mistake), instead of one per unknown key.
fn not_a_workload(text: &str) -> Option<Vec<Diagnostic>> {
    const TABLES: [&str; 9] = [
        "workload", "data", "traffic", "team", "engine", "network", "alarms", "backup", "override",
    ];
    let table: toml::Table = toml::from_str(text).ok()?;
    if table.is_empty() || table.keys().any(|k| TABLES.contains(&k.as_str())) {
        return None;
    }
    Some(vec![Diagnostic::new(
        "",
        "this TOML file is not a workload file: it has no [workload] table",
    )
    .at(Some(0..0))
    .help(
        "name workload files only (with --workloads-only, generate and check skip other TOML files)",
    )])
}

fn decide(files: &[PathBuf], format: Format, prices: Option<&Path>, out: &mut Output) -> Outcome {
    let catalog = match catalog(prices) {
        Ok(c) => c,
        Err(e) => return out.error(&e),
    };
    let mut worst = Outcome::Success;
    let mut plans = Vec::new();
    for file in files {
        match plan_file(file, &catalog) {
            Ok(plan) => plans.push((display(file), plan)),
            Err(e) => worst = worst.max(out.error(&e)),
        }
    }
    match format {
        Format::Json if !plans.is_empty() => {
            let only: Vec<Plan> = plans.into_iter().map(|(_, p)| p).collect();
            out.print(&report::json(&only, files.len() > 1));
        }
        Format::Json => {}
        Format::Text => {
            let texts: Vec<String> = plans.iter().map(|(file, plan)| report::text(plan, file)).collect();
            out.print(&texts.join("\n"));
        }
    }
    worst
}

/// Every file under `dir`, at any depth, sorted; entries whose name starts with `.` are skipped.
fn files_under(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let cannot_list = |path: &Path| {
        let path = path.to_owned();
        move |source| Error::Io {
            action: "cannot list",
            path,
            source,
        }
    };
    let mut found = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).map_err(cannot_list(&current))? {
            let entry = entry.map_err(cannot_list(&current))?;
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

/// A relative path with `/` between its parts, whatever the platform.
fn slash_path(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Reads every template file under `dir` (names relative to it, `elasticache/main.tf.tera`).
fn template_overrides(dir: &Path) -> Result<Vec<(String, String)>, Error> {
    files_under(dir)?
        .into_iter()
        .filter(|path| path.extension().is_some_and(|e| e == "tera"))
        .map(|path| {
            let name = path.strip_prefix(dir).map_or_else(|_| display(&path), slash_path);
            Ok((name, read_text(&path)?))
        })
        .collect()
}

/// A workload's module: rendered, or known to be on disk as `generate` would write it.
enum Built {
    /// Rendered, to be compared with `dir` (and written by `generate`).
    Rendered {
        module: Module,
        dir: PathBuf,
        source: String,
    },
    /// `dir` holds it already, by its lock file: `files` files, nothing rendered.
    Unchanged { dir: PathBuf, files: usize },
}

/// The catalog and templates, built when the first module must be rendered (compiling the
/// templates is most of the cost of a `check` that finds nothing to do).
struct Renderer {
    catalog: Catalog,
    templates: Templates,
}

/// The module of every workload of the job; errors are printed, the worst outcome returned
/// beside. A module whose lock file vouches for it is not rendered (`crate::lock`).
fn modules(job: &project::Job, out: &mut Output) -> (Vec<Built>, Outcome) {
    let inputs = (|| {
        let prices = job.prices.as_deref().map(read_text).transpose()?;
        let overrides = match &job.templates {
            Some(dir) => template_overrides(dir)?,
            None => Vec::new(),
        };
        Ok::<_, Error>((prices, overrides))
    })();
    let (prices, overrides) = match inputs {
        Ok(i) => i,
        Err(e) => return (Vec::new(), out.error(&e)),
    };
    let mut renderer: Option<Renderer> = None;
    let mut worst = Outcome::Success;
    let mut names: Vec<String> = Vec::new();
    let mut built = Vec::new();
    for file in &job.files {
        let source = job.source_name(file);
        let result = load_workload(file).and_then(|(text, workload)| {
            let name = workload.name.to_string();
            if names.contains(&name) {
                return Err(Error::Usage(format!(
                    "{}: another workload file is also named `{name}`; each workload needs its own name (its module directory)",
                    display(file)
                )));
            }
            names.push(name.clone());
            let dir = job.module_dir(&name);
            let input = lock::fingerprint(&lock::Inputs {
                source: &source,
                workload: &text,
                as_module: job.as_module,
                prices: prices.as_deref(),
                templates: &overrides,
            });
            if let Some(files) = emit::unchanged(&dir, &input) {
                return Ok(Built::Unchanged { dir, files });
            }
            let r = match &renderer {
                Some(r) => r,
                None => renderer.insert(Renderer {
                    catalog: match (&job.prices, &prices) {
                        (Some(path), Some(text)) => catalog_with(path, text)?,
                        _ => Catalog::embedded(),
                    },
                    templates: Templates::with_overrides(&overrides).map_err(|e| Error::Usage(e.to_string()))?,
                }),
            };
            let plan = plan::build(&workload, &r.catalog).map_err(|d| input_error(file, &text, d))?;
            let spec = module::spec(&plan, &source, job.as_module);
            let mut module = render::render(&spec, &r.templates).map_err(|e| {
                Error::Usage(match &job.templates {
                    Some(dir) => format!(
                        "{}: {e} (templates from {} replace built-in ones: check those first)",
                        display(file),
                        dir.display()
                    ),
                    None => format!("{}: rediform bug, please report it: {e}", display(file)),
                })
            })?;
            let lock_file = lock::render(&source, &input, &module.files);
            module.files.insert(lock::FILE_NAME.to_owned(), lock_file);
            Ok(Built::Rendered { module, dir, source })
        });
        match result {
            Ok(b) => built.push(b),
            Err(e) => worst = worst.max(out.error(&e)),
        }
    }
    (built, worst)
}

fn generate(args: &GenerateArgs, force: bool, exit_code: bool, out: &mut Output) -> Outcome {
    let job = match project::resolve(args) {
        Ok(job) => job,
        Err(e) => return out.error(&e),
    };
    let (modules, mut worst) = modules(&job, out);
    for built in &modules {
        let (m, dir) = match built {
            Built::Unchanged { dir, files } => {
                out.print(&format!(
                    "{}: 0 created, 0 updated, 0 removed, {files} unchanged\n",
                    dir.display()
                ));
                continue;
            }
            Built::Rendered { module, dir, .. } => (module, dir),
        };
        let changes = match emit::diff(m, dir) {
            Ok(c) => c,
            Err(e) => {
                worst = worst.max(out.error(&Error::from(e)));
                continue;
            }
        };
        let foreign: Vec<&Change> = changes.iter().filter(|c| matches!(c, Change::Foreign(..))).collect();
        if !foreign.is_empty() && !force {
            for c in foreign {
                worst = worst.max(out.error(&Error::Usage(format!(
                    "{} exists and was not generated by rediform; nothing of {} was written (move the file away, or pass --force to take it over)",
                    c.path().display(),
                    m.name
                ))));
            }
            continue;
        }
        if let Err(e) = emit::apply(&changes, force) {
            worst = worst.max(out.error(&Error::from(e)));
            continue;
        }
        let count = |verb: &str| {
            changes
                .iter()
                .filter(|c| c.verb() == verb || (verb == "create" && c.verb() == "foreign"))
                .count()
        };
        if exit_code && !changes.is_empty() {
            worst = worst.max(Outcome::Drift);
        }
        out.print(&format!(
            "{}: {} created, {} updated, {} removed, {} unchanged\n",
            dir.display(),
            count("create"),
            count("update"),
            count("delete"),
            m.files.len() - count("create") - count("update"),
        ));
    }
    worst
}

/// One file `generate` would touch, for `check --format json` (keys may be added, never renamed).
#[derive(serde::Serialize)]
struct Drift<'a> {
    workload: &'a str,
    source: &'a str,
    path: String,
    change: &'static str,
    reason: &'static str,
}

fn check(args: &GenerateArgs, format: Format, out: &mut Output) -> Outcome {
    let job = match project::resolve(args) {
        Ok(job) => job,
        Err(e) => return out.error(&e),
    };
    let (modules, mut worst) = modules(&job, out);
    let mut drift = Vec::new();
    for built in &modules {
        let Built::Rendered { module: m, dir, source } = built else {
            continue;
        };
        match emit::diff(m, dir) {
            Ok(changes) => drift.extend(changes.into_iter().map(|c| (m.name.as_str(), source.as_str(), c))),
            Err(e) => worst = worst.max(out.error(&Error::from(e))),
        }
    }
    let entries: Vec<Drift> = drift
        .iter()
        .map(|(workload, source, change)| Drift {
            workload,
            source,
            path: display(change.path()),
            change: change.verb(),
            reason: match change {
                Change::Create(..) => "would be created",
                Change::Update(..) => "would change",
                Change::Delete(_) => "would be deleted (no longer generated)",
                Change::Foreign(..) => "is in the way: not generated by rediform",
            },
        })
        .collect();
    match format {
        Format::Json => {
            let report = serde_json::json!({
                "up_to_date": entries.is_empty(),
                "changes": entries,
                "fix": if entries.is_empty() { None } else { Some(&job.fix) },
            });
            let mut text = serde_json::to_string_pretty(&report).expect("a drift report serializes");
            text.push('\n');
            out.print(&text);
        }
        Format::Text if entries.is_empty() => {}
        Format::Text => {
            let mut text = String::new();
            for e in &entries {
                writeln!(text, "{} {}", e.path, e.reason).expect("writing to a String cannot fail");
            }
            writeln!(text, "{} file(s) out of date; run: {}", entries.len(), job.fix)
                .expect("writing to a String cannot fail");
            out.print(&text);
        }
    }
    if drift.is_empty() {
        return worst;
    }
    let foreign = drift.iter().any(|(_, _, c)| matches!(c, Change::Foreign(..)));
    worst.max(if foreign { Outcome::Invalid } else { Outcome::Drift })
}

fn init(file: &Path, out: &mut Output) -> Outcome {
    let result = std::fs::OpenOptions::new().write(true).create_new(true).open(file);
    let written = match result {
        Ok(mut f) => f.write_all(STARTER.as_bytes()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            return out.error(&Error::Usage(format!(
                "{} already exists; rediform init never overwrites a file (name another: rediform init FILE)",
                file.display()
            )));
        }
        Err(e) => Err(e),
    };
    match written {
        Ok(()) => {
            out.print(&format!(
                "wrote {0}\nnext: edit it, then run `rediform decide {0}`\neditor completion: `rediform schema > rediform.schema.json` beside it (its #:schema line points there)\n",
                file.display()
            ));
            Outcome::Success
        }
        Err(source) => out.error(&Error::Io {
            action: "cannot write",
            path: file.to_owned(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_starter_file_is_a_valid_workload() {
        let w = workload::parse(STARTER).unwrap();
        assert_eq!(w.name.as_str(), "my-cache");
        plan::build(&w, &Catalog::embedded()).unwrap();
    }

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
