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
use crate::{module, report, workload};

const STARTER: &str = include_str!("data/starter.toml");

/// Picks the AWS path for a Redis/Valkey workload, explains why, estimates what each path costs.
#[derive(Debug, Parser)]
#[command(name = "rediform", version, about, long_about = None, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
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
    },
    /// List every file `generate` would create, change or delete; exit 1 if there is any. Writes nothing.
    Check {
        #[command(flatten)]
        args: GenerateArgs,
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
    /// Workload files.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Directory that holds one module directory per workload.
    #[arg(long, value_name = "DIR", default_value = "generated")]
    out: PathBuf,
    /// Generate a child module: no providers.tf (the caller configures the provider).
    #[arg(long)]
    as_module: bool,
    /// A directory of templates that replace the built-in ones of the same name (house conventions).
    #[arg(long, value_name = "DIR")]
    templates: Option<PathBuf>,
    /// A TOML file whose prices replace the built-in ones.
    #[arg(long, value_name = "FILE")]
    prices: Option<PathBuf>,
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
    let cli = match Cli::try_parse_from(args) {
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
    let mut out = Output::default();
    let outcome = match cli.command {
        Command::Init { file } => init(&file, &mut out),
        Command::Decide { files, format, prices } => decide(&files, format, prices.as_deref(), &mut out),
        Command::Generate { args, force } => generate(&args, force, &mut out),
        Command::Check { args } => check(&args, &mut out),
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

/// stdout and stderr; a closed stdout (`rediform decide | head`) ends output quietly.
#[derive(Default)]
struct Output {
    closed: bool,
    outcome: Outcome,
}

impl Output {
    fn print(&mut self, text: &str) {
        if self.closed {
            return;
        }
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
        let _ = io::stderr().write_all(error.render().as_bytes());
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
    let text = read_text(path)?;
    Catalog::with_prices(&text).map_err(|e| Error::Input {
        file: display(path),
        source_text: text,
        diagnostics: e.0,
    })
}

/// Parses, validates and plans one workload file.
fn plan_file(path: &Path, catalog: &Catalog) -> Result<Plan, Error> {
    let text = read_text(path)?;
    let input_error = |diagnostics| Error::Input {
        file: display(path),
        source_text: text.clone(),
        diagnostics,
    };
    let workload = workload::parse(&text).map_err(input_error)?;
    plan::build(&workload, catalog).map_err(input_error)
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

/// The workload file as the generated header names it: the path as typed when relative, so the
/// same input gives the same bytes on every machine; only the file name when absolute.
fn source_name(path: &Path) -> String {
    if path.is_relative() {
        path.components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/")
    } else {
        path.file_name()
            .map_or_else(|| display(path), |n| n.to_string_lossy().into_owned())
    }
}

/// Reads every template file under `dir` (names relative to it).
fn template_overrides(dir: &Path) -> Result<Vec<(String, String)>, Error> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(current) = pending.pop() {
        let entries = std::fs::read_dir(&current).map_err(|source| Error::Io {
            action: "cannot read templates in",
            path: current.clone(),
            source,
        })?;
        for entry in entries {
            let path = entry
                .map_err(|source| Error::Io {
                    action: "cannot read templates in",
                    path: current.clone(),
                    source,
                })?
                .path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "tera") {
                let name = path.strip_prefix(dir).map_or_else(|_| display(&path), source_name);
                found.push((name, read_text(&path)?));
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Renders the module of every file; errors are printed, the worst outcome returned beside.
fn modules(args: &GenerateArgs, out: &mut Output) -> (Vec<Module>, Outcome) {
    let setup = catalog(args.prices.as_deref()).and_then(|c| {
        let overrides = match &args.templates {
            Some(dir) => template_overrides(dir)?,
            None => Vec::new(),
        };
        let templates = Templates::with_overrides(&overrides).map_err(|e| Error::Usage(e.to_string()))?;
        Ok((c, templates))
    });
    let (catalog, templates) = match setup {
        Ok(s) => s,
        Err(e) => return (Vec::new(), out.error(&e)),
    };
    let mut worst = Outcome::Success;
    let mut modules: Vec<Module> = Vec::new();
    for file in &args.files {
        let result = plan_file(file, &catalog).and_then(|plan| {
            let spec = module::spec(&plan, &source_name(file), args.as_module);
            render::render(&spec, &templates).map_err(|e| {
                Error::Usage(match &args.templates {
                    Some(dir) => format!(
                        "{}: {e} (templates from {} replace built-in ones: check those first)",
                        display(file),
                        dir.display()
                    ),
                    None => format!("{}: rediform bug, please report it: {e}", display(file)),
                })
            })
        });
        match result {
            Ok(m) if modules.iter().any(|other| other.name == m.name) => {
                worst = worst.max(out.error(&Error::Usage(format!(
                    "{}: another workload file is also named `{}`; each workload needs its own name (its module directory)",
                    display(file),
                    m.name
                ))));
            }
            Ok(m) => modules.push(m),
            Err(e) => worst = worst.max(out.error(&e)),
        }
    }
    (modules, worst)
}

fn generate(args: &GenerateArgs, force: bool, out: &mut Output) -> Outcome {
    let (modules, mut worst) = modules(args, out);
    for m in &modules {
        let dir = args.out.join(&m.name);
        let changes = match emit::diff(m, &dir) {
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

fn check(args: &GenerateArgs, out: &mut Output) -> Outcome {
    let (modules, mut worst) = modules(args, out);
    let mut drift = Vec::new();
    for m in &modules {
        match emit::diff(m, &args.out.join(&m.name)) {
            Ok(changes) => drift.extend(changes),
            Err(e) => worst = worst.max(out.error(&Error::from(e))),
        }
    }
    if drift.is_empty() {
        return worst;
    }
    let mut text = String::new();
    for change in &drift {
        let what = match change {
            Change::Create(..) => "would be created",
            Change::Update(..) => "would change",
            Change::Delete(_) => "would be deleted (no longer generated)",
            Change::Foreign(..) => "is in the way: not generated by rediform",
        };
        writeln!(text, "{} {what}", change.path().display()).expect("writing to a String cannot fail");
    }
    let files: Vec<String> = args.files.iter().map(|f| display(f)).collect();
    writeln!(
        text,
        "{} file(s) out of date; run: rediform generate {}{}",
        drift.len(),
        files.join(" "),
        if args.out == Path::new("generated") {
            String::new()
        } else {
            format!(" --out {}", args.out.display())
        }
    )
    .expect("writing to a String cannot fail");
    out.print(&text);
    let foreign = drift.iter().any(|c| matches!(c, Change::Foreign(..)));
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
                "wrote {0}\nnext: edit it, then run `rediform decide {0}`\n",
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
