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
use crate::emit::{self, Change, Written};
use crate::error::{Error, Outcome};
use crate::plan::{self, Plan};
use crate::render::{self, Gate, Module, Templates};
use crate::{module, report, workload};

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

/// `--version`: the crate version, the build id `.rediform.lock` records, and the date of the
/// built-in catalog and prices.
fn version() -> &'static str {
    static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    VERSION.get_or_init(|| {
        format!(
            "{} (build {}; {})",
            env!("CARGO_PKG_VERSION"),
            crate::lock::BUILD_ID,
            Catalog::embedded_dates()
        )
    })
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write a commented starter workload file (refuses to overwrite).
    Init {
        /// Where to write it (missing directories are created).
        #[arg(default_value = "workload.toml")]
        file: PathBuf,
        /// Also write a rediform.toml in the current directory that lists the file's directory.
        #[arg(long)]
        project: bool,
    },
    /// Print the decision trail, the sizing and a monthly cost table for all four paths; writes nothing.
    Decide {
        /// Workload files, or directories searched for them (default: `workloads` in rediform.toml).
        #[arg(value_name = "PATH")]
        files: Vec<PathBuf>,
        /// Output format (JSON: an array, one object per workload).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// A TOML file whose prices replace the built-in ones (the keys `rediform prices --format toml` prints).
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
        /// Remove modules whose workload is gone (renamed, remapped or deleted): the files
        /// rediform generated there, never yours. Only on a run over the whole project.
        #[arg(long)]
        prune: bool,
    },
    /// List every file `generate` would create, change or delete; exit 1 if there is any. Writes nothing.
    Check {
        #[command(flatten)]
        args: GenerateArgs,
        /// Show what would change as a unified diff (as `terraform fmt -diff`).
        #[arg(long)]
        diff: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Print the prices in force (built-in, or from --prices / rediform.toml): region, date, sources.
    Prices {
        /// Import AWS Price List offer files instead.
        #[command(subcommand)]
        action: Option<PricesAction>,
        /// A TOML file whose prices replace the built-in ones.
        #[arg(long, value_name = "FILE")]
        prices: Option<PathBuf>,
        /// Output format (toml: a file --prices accepts).
        #[arg(long, value_enum, default_value_t = DataFormat::Text)]
        format: DataFormat,
    },
    /// Print the built-in catalog: node and instance types, sizing assumptions, engine versions.
    Catalog {
        /// Output format.
        #[arg(long, value_enum, default_value_t = DataFormat::Text)]
        format: DataFormat,
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

// Doc comments are the --help text here: no Markdown.
#[allow(clippy::doc_markdown)]
#[derive(Debug, clap::Subcommand)]
enum PricesAction {
    /// Read AWS Price List offer files (AmazonElastiCache, AmazonEC2: the JSON AWS publishes per
    /// service and region) and write the prices of one region as a file --prices accepts.
    Import {
        /// Offer files, e.g. AmazonElastiCache/current/eu-west-1/index.json, downloaded from
        /// https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/<offer>/current/<region>/index.json
        #[arg(value_name = "FILE", required = true)]
        files: Vec<PathBuf>,
        /// The region whose prices are kept (the files' regionCode).
        #[arg(long)]
        region: String,
        /// Write the prices file here (refuses to overwrite) instead of printing it.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// The 1-year reservation priced (standard offering class): one option for the whole file.
        #[arg(long, value_enum, default_value_t = Reservation::No)]
        reserved: Reservation,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Reservation {
    #[value(name = "no-upfront")]
    No,
    #[value(name = "partial-upfront")]
    Partial,
    #[value(name = "all-upfront")]
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DataFormat {
    Text,
    Json,
    Toml,
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
        Err(e) if e.use_stderr() => {
            // An argument error repeats what was typed: escaped, like every user text.
            let text = e.render().to_string();
            let _ = io::stderr().write_all(crate::encode::terminal(&text).as_bytes());
            return Outcome::Invalid;
        }
        Err(e) => {
            // --help and --version: rediform's own text.
            let _ = e.print();
            return Outcome::Success;
        }
    };
    let mut out = Output::new(cli.quiet);
    let outcome = match cli.command {
        Command::Init { file, project } => init(&file, project, &mut out),
        Command::Decide { files, format, prices } => {
            let args = GenerateArgs {
                files,
                out: None,
                as_module: false,
                templates: None,
                prices,
                workloads_only: false,
            };
            decide(&args, format, &mut out)
        }
        Command::Prices {
            action:
                Some(PricesAction::Import {
                    files,
                    region,
                    out: file,
                    reserved,
                }),
            ..
        } => {
            let option = match reserved {
                Reservation::No => crate::import::PurchaseOption::NoUpfront,
                Reservation::Partial => crate::import::PurchaseOption::PartialUpfront,
                Reservation::All => crate::import::PurchaseOption::AllUpfront,
            };
            prices_import(&files, &region, option, file.as_deref(), &mut out)
        }
        Command::Prices { prices, format, .. } => prices_command(prices, format, &mut out),
        Command::Catalog { format } => catalog_command(format, &mut out),
        Command::Generate {
            args,
            force,
            exit_code,
            prune,
        } => generate(&args, force, exit_code, prune, &mut out),
        Command::Check { args, diff, format } => check(&args, format, diff, &mut out),
        Command::Schema => {
            out.data(&workload::json_schema());
            Outcome::Success
        }
        Command::Completions { shell } => {
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "rediform", &mut buf);
            out.data(&String::from_utf8_lossy(&buf));
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
        if self.quiet {
            return;
        }
        self.data(text);
    }

    /// Output that is the command's result (a prices file, a schema, a JSON report): printed
    /// even with `-q`, which silences messages only.
    fn data(&mut self, text: &str) {
        if self.closed {
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

    /// A warning on stderr (printed even with `--quiet`: it is about data), yellow on a terminal.
    fn warn(&mut self, text: &str) {
        let text = crate::encode::terminal(text);
        let text = match text.strip_prefix("warning:") {
            Some(rest) if self.color => format!("\x1b[1;33mwarning\x1b[0m:{rest}"),
            _ => text.into_owned(),
        };
        let _ = io::stderr().write_all(text.as_bytes());
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

/// A path as rediform prints it (text and JSON): control characters escaped, so that a path
/// cannot add a line to the output.
fn display(path: &Path) -> String {
    crate::encode::one_line(&path.display().to_string()).into_owned()
}

/// The largest input rediform reads: a workload file, `rediform.toml`, a `--prices` file or a
/// template is a few kilobytes; a larger one is a mistake (or `/dev/zero`), not a reason to fill
/// the memory.
const MAX_INPUT_BYTES: u64 = 4 * 1024 * 1024;

/// Reads a regular file of at most [`MAX_INPUT_BYTES`] as UTF-8 text. A FIFO, a device or a
/// directory is refused before it is opened (opening a FIFO waits for a writer), a larger file
/// before it is read; a binary or non-UTF-8 file is an input error at its first bad byte.
fn read_text(path: &Path) -> Result<String, Error> {
    use std::io::Read as _;
    let cannot_read = |source| Error::Io {
        action: "cannot read",
        path: path.to_owned(),
        source,
    };
    let refuse = |why: String| Error::Input {
        file: display(path),
        source_text: String::new(),
        diagnostics: vec![Diagnostic::new("", why).at(Some(0..0)).help("name a regular TOML file")],
    };
    let meta = std::fs::metadata(path).map_err(cannot_read)?;
    if !meta.is_file() {
        let what = if meta.is_dir() {
            "a directory"
        } else {
            "not a regular file (a FIFO, socket or device)"
        };
        return Err(refuse(format!("this is {what}; rediform reads regular files only")));
    }
    if meta.len() > MAX_INPUT_BYTES {
        return Err(refuse(format!(
            "this file is {} bytes; rediform reads inputs of at most {MAX_INPUT_BYTES} bytes",
            meta.len()
        )));
    }
    let file = std::fs::File::open(path).map_err(cannot_read)?;
    let mut bytes = Vec::with_capacity(meta.len() as usize + 1);
    file.take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot_read)?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(refuse(format!(
            "this file grew past {MAX_INPUT_BYTES} bytes while it was read"
        )));
    }
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
/// The tables of a workload file: a TOML file with any of them is one (perhaps a damaged one).
const WORKLOAD_TABLES: [&str; 9] = [
    "workload", "data", "traffic", "team", "engine", "network", "alarms", "backup", "override",
];

fn not_a_workload(text: &str) -> Option<Vec<Diagnostic>> {
    let table: toml::Table = toml::from_str(text).ok()?;
    if table.is_empty() || table.keys().any(|k| WORKLOAD_TABLES.contains(&k.as_str())) {
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

fn decide(args: &GenerateArgs, format: Format, out: &mut Output) -> Outcome {
    let job = match project::resolve(args, false) {
        Ok(job) => job,
        Err(e) => return out.error(&e),
    };
    let catalog = match catalog(job.prices.as_deref()) {
        Ok(c) => c,
        Err(e) => return out.error(&e),
    };
    let mut worst = Outcome::Success;
    let mut plans = Vec::new();
    for file in &job.files {
        match plan_file(file, &catalog) {
            Ok(plan) => plans.push((job.source_name(file), plan)),
            Err(e) => worst = worst.max(out.error(&e)),
        }
    }
    match format {
        Format::Json => {
            let only: Vec<Plan> = plans.into_iter().map(|(_, p)| p).collect();
            out.data(&report::json(&only));
        }
        Format::Text => {
            let texts: Vec<String> = plans.iter().map(|(file, plan)| report::text(plan, file)).collect();
            out.data(&texts.join("\n"));
        }
    }
    worst
}

/// `rediform prices`: the prices in force, from `--prices`, else `prices` in rediform.toml, else
/// the built-in ones.
fn prices_command(prices: Option<PathBuf>, format: DataFormat, out: &mut Output) -> Outcome {
    let file = match prices.map_or_else(project::configured_prices, |p| Ok(Some(p))) {
        Ok(f) => f,
        Err(e) => return out.error(&e),
    };
    let catalog = match catalog(file.as_deref()) {
        Ok(c) => c,
        Err(e) => return out.error(&e),
    };
    let origin = file
        .as_ref()
        .map_or_else(|| "built in".to_owned(), |f| format!("from {}", display(f)));
    out.data(&match format {
        DataFormat::Toml => report::prices_toml(&catalog),
        DataFormat::Json => report::prices_json(&catalog, &origin),
        DataFormat::Text => report::prices_text(&catalog, &origin),
    });
    Outcome::Success
}

/// `rediform prices import`: AWS offer files in, a prices file out (stdout or `--out`).
fn prices_import(
    files: &[PathBuf],
    region: &str,
    option: crate::import::PurchaseOption,
    to: Option<&Path>,
    out: &mut Output,
) -> Outcome {
    if !crate::workload::is_region(region) {
        return out.error(&Error::Usage(format!(
            "`{region}` is not an AWS region name (such as \"eu-west-1\")"
        )));
    }
    let mut offers = Vec::new();
    for file in files {
        // The same limits as every input, but for the size: an EC2 offer file is gigabytes,
        // read as a stream, never whole.
        match std::fs::metadata(file) {
            Ok(m) if m.is_file() => {}
            Ok(_) => {
                return out.error(&Error::Usage(format!(
                    "{}: not a regular file; name an offer file (index.json)",
                    display(file)
                )))
            }
            Err(source) => {
                return out.error(&Error::Io {
                    action: "cannot read",
                    path: file.clone(),
                    source,
                })
            }
        }
        let path = file.clone();
        offers.push(crate::import::OfferFile {
            name: display(file),
            open: Box::new(move || Ok(Box::new(std::fs::File::open(&path)?) as Box<dyn crate::import::ReadSeek>)),
        });
    }
    let imported = match crate::import::import(&offers, region, option, &Catalog::embedded()) {
        Ok(i) => i,
        Err(e @ crate::import::ImportError::Io { .. }) => {
            let _ = writeln!(io::stderr(), "error: {}", crate::encode::terminal(&e.to_string()));
            return Outcome::Io;
        }
        Err(e) => return out.error(&Error::Usage(e.to_string())),
    };
    // The file must be one --prices accepts.
    if let Err(e) = Catalog::with_prices(&imported.toml) {
        return out.error(&Error::Usage(format!(
            "rediform bug, please report it: the imported prices do not load: {e}"
        )));
    }
    for line in &imported.skipped {
        out.warn(&format!("warning: {line}\n"));
    }
    match to {
        None => out.data(&imported.toml),
        Some(path) => {
            // Written in full beside its name, then moved into place if nothing is there: a run
            // that fails or is killed leaves no empty or half file behind.
            let dir = path
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let written = tempfile::Builder::new()
                .prefix(".rediform-prices-")
                .tempfile_in(dir)
                .and_then(|mut f| {
                    f.write_all(imported.toml.as_bytes())?;
                    f.as_file().sync_all()?;
                    f.persist_noclobber(path).map(drop).map_err(|e| e.error)
                });
            if let Err(source) = written {
                if source.kind() == io::ErrorKind::AlreadyExists {
                    return out.error(&Error::Usage(format!(
                        "{} already exists; rediform does not overwrite it",
                        display(path)
                    )));
                }
                return out.error(&Error::Io {
                    action: "cannot write",
                    path: path.to_owned(),
                    source,
                });
            }
            let mut text = String::new();
            for line in &imported.summary {
                let _ = writeln!(text, "{line}");
            }
            let _ = writeln!(
                text,
                "wrote {}; use it with --prices {} (or prices = \"...\" in rediform.toml)",
                display(path),
                crate::encode::shell_word(&path.to_string_lossy())
            );
            out.print(&text);
        }
    }
    Outcome::Success
}

/// `rediform catalog`: the built-in node types, sizing assumptions and engine versions.
fn catalog_command(format: DataFormat, out: &mut Output) -> Outcome {
    let catalog = Catalog::embedded();
    out.data(&match format {
        DataFormat::Toml => crate::catalog::CATALOG_TOML.to_owned(),
        DataFormat::Json => report::catalog_json(&catalog),
        DataFormat::Text => report::catalog_text(&catalog),
    });
    Outcome::Success
}

/// Every file under `dir`, at any depth, sorted; entries whose name starts with `.` are skipped,
/// and so are directories below `dir` with a `rediform.toml` or a `.git` of their own: another
/// project's files, generated by it into its own modules (the orphan walk stops there too).
/// Symbolic links to directories are not followed (a link back up the tree would never end);
/// links to files are listed like files.
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
            let kind = entry.file_type().map_err(cannot_list(&current))?;
            if kind.is_dir() {
                if !path.join(crate::config::FILE_NAME).exists() && !path.join(".git").exists() {
                    pending.push(path);
                }
            } else if !(kind.is_symlink() && path.is_dir()) {
                // Regular files, and FIFOs, devices and broken links too: reading one says
                // why it cannot be read, instead of skipping it silently.
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
    let root = project::canonical(dir);
    files_under(dir)?
        .into_iter()
        .filter(|path| path.extension().is_some_and(|e| e == "tera"))
        .map(|path| {
            // A template is rendered into modules and quoted in errors: a link may not bring in a
            // file from elsewhere on the machine.
            if !project::canonical(&path).starts_with(&root) {
                return Err(Error::Usage(format!(
                    "{} is a symbolic link to a file outside the templates directory {}; copy the template in instead",
                    display(&path),
                    display(dir)
                )));
            }
            let name = path.strip_prefix(dir).map_or_else(|_| display(&path), slash_path);
            Ok((name, read_text(&path)?))
        })
        .collect()
}

/// A workload file of the job, read and validated.
struct Unit {
    /// The file as given.
    file: PathBuf,
    /// The file as generated headers name it.
    source: String,
    /// Its text.
    text: String,
    /// The validated workload.
    workload: workload::Workload,
    /// Its module directory.
    dir: PathBuf,
    /// `dir` resolved ([`project::Job::real_dir`]).
    real: PathBuf,
    /// `dir` relative to the project root, as the lock records it.
    relative: Option<String>,
}

/// Two workloads of one region whose modules would create AWS resources of one name: the
/// second apply would fail, or, for alarms, take the first's over. Both are refused. Found by
/// looking names up, not by comparing every pair (a project may hold a thousand workloads).
fn refuse_name_clashes(units: &[Unit], refused: &mut [bool], out: &mut Output) -> Outcome {
    let mut worst = Outcome::Success;
    let mut taken: std::collections::HashMap<(&str, String), usize> = std::collections::HashMap::new();
    let mut clashes = Vec::new();
    for (i, u) in units.iter().enumerate() {
        let region = u.workload.region.as_str();
        taken.insert((region, format!("workload {}", u.workload.name.as_str())), i);
        for (what, name) in crate::naming::names(u.workload.name.as_str()).each() {
            if let Some(&j) = taken.get(&(region, format!("{what} {name}"))) {
                clashes.push((j, i));
            } else {
                taken.insert((region, format!("{what} {name}")), i);
            }
        }
    }
    for (i, u) in units.iter().enumerate() {
        let region = u.workload.region.as_str();
        for base in crate::naming::numbered_bases(u.workload.name.as_str()) {
            if let Some(&j) = taken.get(&(region, format!("workload {base}"))) {
                clashes.push((j, i));
            }
        }
    }
    let mut clashes: Vec<(usize, usize)> = clashes.into_iter().map(|(i, j)| (i.min(j), i.max(j))).collect();
    clashes.sort_unstable();
    clashes.dedup();
    for (i, j) in clashes {
        let (a, b) = (&units[i], &units[j]);
        if a.workload.name == b.workload.name {
            continue;
        }
        let why = crate::naming::clash(a.workload.name.as_str(), b.workload.name.as_str()).unwrap_or_default();
        worst = worst.max(out.error(&Error::Usage(format!(
            "{} (`{}`) and {} (`{}`) would create AWS resources of the same name in {}: {why}; rename one workload; nothing of them was written",
            display(&a.file),
            a.workload.name,
            display(&b.file),
            b.workload.name,
            crate::encode::one_line(&a.workload.region)
        ))));
        refused[i] = true;
        refused[j] = true;
    }
    worst
}

/// A workload's module, rendered, and where it goes.
struct Built {
    module: Module,
    dir: PathBuf,
    /// `dir` resolved.
    real: PathBuf,
    source: String,
}

/// Reads and validates every workload of the job before anything is rendered or written: each
/// problem is reported, and two workloads that would share a module directory (the same name, or
/// two names mapped to one directory in `rediform.toml`) are refused together, naming both files.
fn load_units(job: &project::Job, out: &mut Output) -> (Vec<Unit>, Outcome) {
    let mut worst = Outcome::Success;
    let mut units: Vec<Unit> = Vec::new();
    for file in &job.files {
        match load_workload(file) {
            Ok((text, workload)) => {
                let dir = job.module_dir(workload.name.as_str());
                // Resolved once: each check below, the lock's `dir` and the orphan search use it.
                let real = job.real_dir(&dir);
                let relative = job.relative_real(&real);
                if let Some(why) = job.unfit_module_dir(&real) {
                    worst = worst.max(out.error(&Error::Usage(format!(
                        "{}: the module directory of `{}` is {why} once symbolic links are followed; nothing of it was written. Remove the link, or map the workload to a directory of its own",
                        display(&dir),
                        workload.name
                    ))));
                    continue;
                }
                // Inside the project, a module directory may still lead out of it through a
                // symbolic link (a committed `generated/<name>` link).
                if job.has_project() && !job.allow_outside_root && relative.is_none() {
                    worst = worst.max(out.error(&Error::Usage(format!(
                        "{}: the module directory of `{}` leads outside the repository root (through a symbolic link?); nothing of it was written. Remove the link, or set `allow_outside_root = true` in rediform.toml if that is what you mean",
                        display(&dir),
                        workload.name
                    ))));
                    continue;
                }
                units.push(Unit {
                    source: job.source_name(file),
                    file: file.clone(),
                    text,
                    workload,
                    dir,
                    real,
                    relative,
                });
            }
            Err(e) => worst = worst.max(out.error(&e)),
        }
    }
    // `[modules]` may only name workloads that exist (when the job is the whole project and
    // every file could be read: a file with errors may be the one that has the name).
    let names: Vec<&str> = units.iter().map(|u| u.workload.name.as_str()).collect();
    let complete = worst == Outcome::Success;
    for mapped in &job.mapped_names {
        if !names.contains(&mapped.as_str()) {
            let hint = crate::diag::did_you_mean(mapped, &names)
                .map_or_else(String::new, |best| format!("; did you mean `{best}`?"));
            // With a file that could not be read, the name may be its: still, nothing is
            // written, since a typo would send a module to the wrong directory.
            let whose = if complete {
                "no workload file is named so"
            } else {
                "no readable workload file is named so (one with errors above may be)"
            };
            worst = worst.max(out.error(&Error::Usage(format!(
                "rediform.toml [modules] maps `{}`, but {whose}{hint}; nothing was written",
                crate::encode::one_line(mapped)
            ))));
            return (Vec::new(), worst);
        }
    }
    let mut by_dir: std::collections::BTreeMap<PathBuf, Vec<usize>> = std::collections::BTreeMap::new();
    for (i, unit) in units.iter().enumerate() {
        by_dir.entry(unit.real.clone()).or_default().push(i);
    }
    let mut refused = vec![false; units.len()];
    for (dir, users) in &by_dir {
        if users.len() < 2 {
            continue;
        }
        let names: Vec<String> = users
            .iter()
            .map(|&i| format!("{} (`{}`)", display(&units[i].file), units[i].workload.name))
            .collect();
        let same_name = users
            .iter()
            .all(|&i| units[i].workload.name == units[users[0]].workload.name);
        let why = if same_name {
            "name the same workload; each workload needs its own name (it names the module directory)"
        } else {
            "map to one module directory in rediform.toml [modules]; give each workload its own directory"
        };
        worst = worst.max(out.error(&Error::Usage(format!(
            "{} {why}: {}; nothing of them was written",
            names.join(" and "),
            display(dir)
        ))));
        for &i in users {
            refused[i] = true;
        }
    }
    worst = worst.max(refuse_name_clashes(&units, &mut refused, out));
    let units = units
        .into_iter()
        .zip(refused)
        .filter_map(|(u, refused)| (!refused).then_some(u))
        .collect();
    (units, worst)
}

/// The module of every workload of the job, each rendered in full (SPEC §9 "trust": nothing read
/// from the repository lets a module go unrendered). Workloads are planned and rendered on every
/// CPU; errors are printed in the order of the files, the worst outcome returned beside.
fn modules(job: &project::Job, gate: Gate, out: &mut Output) -> (Vec<Built>, Outcome) {
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
    // The templates compile on a thread of their own while the workload files are read.
    let (compiled, (units, mut worst)) = std::thread::scope(|scope| {
        let compiling = scope.spawn(|| Templates::with_overrides(&overrides));
        let loaded = load_units(job, out);
        (
            compiling.join().expect("compiling the templates does not panic"),
            loaded,
        )
    });
    if units.is_empty() {
        return (Vec::new(), worst);
    }
    let renderer = (|| {
        let catalog = match (&job.prices, &prices) {
            (Some(path), Some(text)) => catalog_with(path, text)?,
            _ => Catalog::embedded(),
        };
        let templates = compiled.map_err(|e| Error::Usage(e.to_string()))?;
        Ok::<_, Error>((catalog, templates))
    })();
    let (catalog, templates) = match renderer {
        Ok(r) => r,
        Err(e) => return (Vec::new(), worst.max(out.error(&e))),
    };
    let build = |unit: &Unit| -> Result<Module, Error> {
        let plan = plan::build(&unit.workload, &catalog).map_err(|d| input_error(&unit.file, &unit.text, d))?;
        let mut spec = module::spec(&plan, &unit.source, job.as_module);
        spec.module_dir.clone_from(&unit.relative);
        render::render_with(&spec, &templates, gate).map_err(|e| render_error(job, &unit.file, &e))
    };
    let results = parallel_map(&units, build);
    let mut done = Vec::new();
    for (unit, result) in units.into_iter().zip(results) {
        match result {
            Ok(module) => done.push(Built {
                module,
                dir: unit.dir,
                real: unit.real,
                source: unit.source,
            }),
            Err(e) => worst = worst.max(out.error(&e)),
        }
    }
    (done, worst)
}

/// A render failure: a bug of rediform's, or of the templates that replace built-in ones.
fn render_error(job: &project::Job, file: &Path, e: &render::RenderError) -> Error {
    Error::Usage(match &job.templates {
        Some(dir) => format!(
            "{}: {e} (templates from {} replace built-in ones: check those first)",
            display(file),
            display(dir)
        ),
        None => format!("{}: rediform bug, please report it: {e}", display(file)),
    })
}

/// `f` over every item, on as many threads as the machine has CPUs (work is handed out one item
/// at a time), the results in the items' order.
fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(items.len());
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut results: Vec<(usize, R)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        mine.push((i, f(item)));
                    }
                    mine
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("a worker does not panic"))
            .collect()
    });
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// A module directory of the project that no workload maps to any more: its workload was
/// renamed, remapped in `[modules]` or deleted.
struct Orphan {
    dir: PathBuf,
    workload: String,
    left: Left,
}

/// Why a module directory is one no workload of the project maps to any more.
enum Left {
    /// Its workload is gone (renamed, remapped, its file deleted): `--prune` removes it.
    Gone,
    /// Its workload file (named here) still exists and is valid but is not among the project's
    /// `workloads` any more: no check keeps it current, and `--prune` leaves it (listed again,
    /// it is the project's module).
    Unlisted(String),
    /// rediform's files without a lock: nothing proves them rediform's, so nothing removes them.
    Unlocked,
    /// A module whose lock says it was generated elsewhere (the directory it names, if any): a
    /// copy, or a lock edited to hide an orphan. Reported, never pruned.
    Elsewhere(Option<String>),
    /// A gone workload's module that `--prune` has emptied but for these files, edited by hand.
    Kept(Vec<String>),
}

impl Orphan {
    /// What `check` and `generate` say of it.
    fn reason(&self) -> String {
        match &self.left {
            Left::Gone => "holds the module of a workload no workload file names any more; generate --prune removes it".to_owned(),
            Left::Unlisted(source) => format!(
                "holds the module of {}, a workload file the project does not list any more (the `workloads` of rediform.toml), so no check keeps it current: list it again, or delete the module yourself (--prune leaves it)",
                crate::encode::one_line(source)
            ),
            Left::Unlocked => "holds files generated by rediform but no .rediform.lock, and no workload maps here; Terraform still reads them: delete the directory yourself, or generate the workload that belongs here (--prune leaves it)".to_owned(),
            Left::Kept(files) => format!(
                "holds what is left of a gone workload's module: {}, edited by hand (so --prune keeps them), and its .rediform.lock; remove them and the lock yourself if the edits are not needed",
                files.iter().map(|f| crate::encode::one_line(f)).collect::<Vec<_>>().join(", ")
            ),
            Left::Elsewhere(dir) => format!(
                "holds a module rediform generated {}, and no workload maps here, so no check keeps it current: if it is a copy you keep (an example), delete its .rediform.lock to make its files yours; else delete the directory (--prune leaves it)",
                dir.as_ref().map_or_else(
                    || "for another directory (its lock names none, and it is not in `out`)".to_owned(),
                    |d| format!("for `{}` (its lock says so)", crate::encode::one_line(d))
                )
            ),
        }
    }
}

/// The orphans of a run over the whole project that read every workload file (a file with
/// errors may be the one that maps to a directory, so no directory is an orphan then).
///
/// A module is the project's, and pruned when its workload is gone, when its lock records the
/// directory it is in, or it sits right in the project's `out` (a lock of an earlier build
/// records none, and an out directory may have moved). Any other module with a lock (a copy, or a lock edited to hide an orphan) is
/// reported and never pruned; a directory with its own `rediform.toml` or `.git` is another
/// project's. A module whose workload file still exists but is not read as a workload any more
/// (emptied, its tables renamed) is an error to report, never an orphan to prune.
fn orphans(job: &project::Job, built: &[Built], complete: bool) -> Result<Vec<Orphan>, Error> {
    if !job.whole_project || !complete {
        return Ok(Vec::new());
    }
    let live: Vec<&Path> = built.iter().map(|b| b.real.as_path()).collect();
    let sources: Vec<&str> = built.iter().map(|b| b.source.as_str()).collect();
    let out = project::canonical(&job.out);
    let mut found = Vec::new();
    for dir in job.module_dirs() {
        let here = project::canonical(&dir);
        if live.contains(&here.as_path()) {
            continue;
        }
        let Some(lock) = emit::current_lock(&dir) else { continue };
        let recorded_here = lock.dir.is_some() && lock.dir == job.relative_dir(&dir);
        let workload = if lock.workload.is_empty() {
            dir.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        } else {
            lock.workload.clone()
        };
        // What the lock says of where it belongs is the repository's word, not proof: a module
        // that does not say it belongs here is still reported, only never pruned.
        // In `out`, a module whose lock names another directory is the project's when `out` has
        // moved; a copy when that directory still holds the module it was copied from.
        let copy_of_live = !recorded_here
            && lock
                .dir
                .as_ref()
                .and_then(|d| job.project_file(d))
                .is_some_and(|d| d.join(crate::lock::FILE_NAME).is_file());
        if !recorded_here && (here.parent() != Some(out.as_path()) || copy_of_live) {
            found.push(Orphan {
                dir,
                workload,
                left: Left::Elsewhere(lock.dir.clone()),
            });
            continue;
        }
        let mut left = Left::Gone;
        let source = job.project_file(&lock.source).filter(|f| f.is_file());
        if let (false, Some(file)) = (sources.contains(&lock.source.as_str()), source) {
            if load_workload(&file).is_err() {
                return Err(Error::Usage(format!(
                    "{} was generated from {}, which still exists but is not read as a workload file any more (emptied, or its [workload] table renamed?): fix that file, or delete it; nothing is pruned meanwhile",
                    display(&dir),
                    crate::encode::one_line(&lock.source)
                )));
            }
            left = Left::Unlisted(lock.source.clone());
        } else if let Some(files) = emit::only_edits_left(&dir) {
            left = Left::Kept(files);
        }
        found.push(Orphan { dir, workload, left });
    }
    // A directory of `out` with rediform's files but no lock (deleted, damaged): still a
    // module Terraform reads, and one no check would see.
    for entry in std::fs::read_dir(&job.out).into_iter().flatten().flatten() {
        let dir = entry.path();
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if is_dir && !live.contains(&project::canonical(&dir).as_path()) && emit::unlocked_module(&dir) {
            let workload = entry.file_name().to_string_lossy().into_owned();
            found.push(Orphan {
                dir,
                workload,
                left: Left::Unlocked,
            });
        }
    }
    Ok(found)
}

/// What the module on disk runs, against what the rendered one would: `Some` when writing it
/// replaces the cache, or changes it in a way AWS does not apply in place.
fn replacement(built: &Built) -> Option<crate::lock::Transition> {
    let old = emit::current_lock(&built.dir)?;
    let new = crate::lock::parse(built.module.files.get(crate::lock::FILE_NAME)?)?;
    if old.cache.is_empty() {
        return None;
    }
    crate::lock::replaces(&old.cache, &new.cache)
}

/// The loud words for a module whose cache is replaced (or changed beyond what AWS does in place).
fn replacement_warning(dir: &Path, transition: &crate::lock::Transition) -> String {
    format!("warning: {}: {}\n", display(dir), transition.warning())
}

fn generate(args: &GenerateArgs, force: bool, exit_code: bool, prune: bool, out: &mut Output) -> Outcome {
    let job = match project::resolve(args, prune) {
        Ok(job) => job,
        Err(e) => return out.error(&e),
    };
    if prune && !job.whole_project {
        return out.error(&Error::Usage(
            "--prune works on the whole project only (no PATH: the workloads of rediform.toml, and no --out: the project's own out), so that no module of a workload left off the command line is taken for an orphan".to_owned(),
        ));
    }
    let (modules, mut worst) = modules(&job, Gate::Every, out);
    let quiet = out.quiet;
    let mut waiting = |dir: &Path| {
        if !quiet {
            let _ = writeln!(
                io::stderr(),
                "waiting for another rediform that is writing {}",
                display(dir)
            );
        }
    };
    for built in &modules {
        let Built { module: m, dir, .. } = built;
        let replaces = replacement(built);
        let changes = match emit::write(m, dir, force, &mut waiting) {
            Ok(Written::Done(changes)) => changes,
            Ok(Written::Refused(changes)) => {
                for c in changes.iter().filter(|c| matches!(c, Change::Foreign { .. })) {
                    worst = worst.max(out.error(&Error::Usage(format!(
                        "{} exists and was not generated by rediform; nothing of {} was written (move the file away, or pass --force to take it over)",
                        display(c.path()),
                        m.name
                    ))));
                }
                continue;
            }
            Err(e) => {
                worst = worst.max(out.error(&Error::from(e)));
                continue;
            }
        };
        if let Some(why) = replaces {
            out.warn(&replacement_warning(dir, &why));
        }
        for stray in changes.iter().filter(|c| matches!(c, Change::Stray { .. })) {
            out.warn(&format!("warning: {} {}\n", display(stray.path()), stray.reason()));
            worst = worst.max(Outcome::Drift);
        }
        let count = |verbs: &[&str]| changes.iter().filter(|c| verbs.contains(&c.verb())).count();
        let written = count(&["create", "update", "delete", "foreign"]);
        if exit_code && written > 0 {
            worst = worst.max(Outcome::Drift);
        }
        out.print(&format!(
            "{}: {} created, {} updated, {} removed, {} unchanged\n",
            display(dir),
            count(&["create", "foreign"]),
            count(&["update"]),
            count(&["delete"]),
            m.files.len() - count(&["create", "foreign", "update"]),
        ));
    }
    let orphans = match orphans(&job, &modules, worst == Outcome::Success) {
        Ok(o) => o,
        Err(e) => {
            worst = worst.max(out.error(&e));
            Vec::new()
        }
    };
    worst.max(settle_orphans(orphans, prune, exit_code, &mut waiting, out))
}

/// The fix `check` suggests, one that works: a file in the way is moved or taken over, an
/// orphan pruned; what generate cannot settle (a stray file, an orphan it must not prune) is
/// the user's to decide, since a fix line that changes nothing would send a hook round in a loop.
fn fix_line(generate: &str, drift: &[(&str, &str, Change)], orphans: &[Orphan]) -> String {
    let by_generate = drift.iter().any(|(_, _, c)| !matches!(c, Change::Stray { .. }))
        || orphans.iter().any(|o| matches!(o.left, Left::Gone));
    if !by_generate {
        return "by hand: each line above says what to do".to_owned();
    }
    // Only a file or a link can be taken over; a directory (or a FIFO, or a file too large to be
    // rediform's) must be moved.
    let immovable = drift.iter().any(|(_, _, c)| {
        matches!(
            c,
            Change::Foreign {
                old: emit::Before::Other,
                ..
            }
        )
    });
    let foreign = drift.iter().any(|(_, _, c)| matches!(c, Change::Foreign { .. }));
    let mut fix = if immovable {
        format!("move what is in the way (a directory or special file at a generated file's name), then: {generate}")
    } else if foreign {
        format!("move the files in the way, or take them over: {generate} --force")
    } else {
        generate.to_owned()
    };
    if orphans.iter().any(|o| matches!(o.left, Left::Gone)) {
        fix.push_str(" --prune");
    }
    fix
}

/// What `generate` does with the orphans it found: `--prune` removes the modules of workloads
/// that are gone; every other orphan is reported.
fn settle_orphans(
    orphans: Vec<Orphan>,
    prune: bool,
    exit_code: bool,
    waiting: &mut dyn FnMut(&Path),
    out: &mut Output,
) -> Outcome {
    let mut worst = Outcome::Success;
    for orphan in orphans {
        if !matches!(orphan.left, Left::Gone) {
            out.warn(&format!("warning: {} {}\n", display(&orphan.dir), orphan.reason()));
            worst = worst.max(Outcome::Drift);
        } else if prune {
            match emit::prune(&orphan.dir, waiting) {
                Ok(pruned) => {
                    out.print(&format!(
                        "{}: {} removed (workload `{}` is gone)\n",
                        display(&orphan.dir),
                        pruned.removed,
                        crate::encode::one_line(&orphan.workload)
                    ));
                    for name in &pruned.kept {
                        out.warn(&format!(
                            "warning: {} kept: it was edited by hand after rediform wrote it; remove it yourself if the edit is not needed\n",
                            display(&orphan.dir.join(name))
                        ));
                    }
                    if exit_code {
                        worst = worst.max(Outcome::Drift);
                    }
                }
                Err(e) => worst = worst.max(out.error(&Error::from(e))),
            }
        } else {
            out.warn(&format!(
                "warning: {} holds the module of workload `{}`, which no workload file names any more (renamed, remapped or deleted); `rediform generate --prune` removes its generated files (a file edited by hand stays: remove it yourself)\n",
                display(&orphan.dir),
                crate::encode::one_line(&orphan.workload)
            ));
        }
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
    reason: &'a str,
}

/// A unified diff of a change, old to new, as `terraform fmt -diff` shows it.
fn unified_diff(change: &Change) -> Option<String> {
    let (old, new): (String, &str) = match change {
        Change::Create { text, .. } => (String::new(), text),
        Change::Update { text, old, .. } => (String::from_utf8_lossy(old).into_owned(), text),
        Change::Delete { old, .. } => (String::from_utf8_lossy(old).into_owned(), ""),
        Change::Foreign { .. } | Change::Leftover { .. } | Change::Stray { .. } => return None,
    };
    let path = display(change.path());
    let diff = similar::TextDiff::from_lines(old.as_str(), new);
    let mut text = diff
        .unified_diff()
        .context_radius(3)
        .header(&format!("old/{path}"), &format!("new/{path}"))
        .to_string();
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Some(text)
}

/// What `check` found, ready to print.
struct DriftReport<'a> {
    entries: &'a [Drift<'a>],
    changes: &'a [(&'a str, &'a str, Change)],
    replacements: &'a [(&'a str, PathBuf, crate::lock::Transition)],
    fix: &'a str,
    modules: usize,
    show_diff: bool,
    clean_run: bool,
}

fn print_drift(out: &mut Output, format: Format, r: &DriftReport) {
    match format {
        Format::Json => {
            let replaces: Vec<serde_json::Value> = r
                .replacements
                .iter()
                .map(|(workload, dir, t)| {
                    serde_json::json!({ "workload": workload, "path": display(dir), "why": t.why(), "kind": t.kind() })
                })
                .collect();
            let report = serde_json::json!({
                // Up to date only if every workload could be checked: a file with errors is not.
                "up_to_date": r.entries.is_empty() && r.clean_run,
                "changes": r.entries,
                "replaces_cache": replaces,
                "fix": if r.entries.is_empty() { None } else { Some(r.fix) },
            });
            let mut text = serde_json::to_string_pretty(&report).expect("a drift report serializes");
            text.push('\n');
            out.data(&text);
        }
        Format::Text if r.entries.is_empty() => {
            if r.clean_run {
                out.print(&format!("{} module(s) up to date\n", r.modules));
            }
        }
        Format::Text => {
            let mut text = String::new();
            for (_, dir, why) in r.replacements {
                text.push_str(&replacement_warning(dir, why));
            }
            for e in r.entries {
                writeln!(text, "{} {}", e.path, e.reason).expect("writing to a String cannot fail");
            }
            if r.show_diff {
                for (_, _, change) in r.changes {
                    text.extend(unified_diff(change));
                }
            }
            writeln!(text, "{} file(s) out of date; fix: {}", r.entries.len(), r.fix)
                .expect("writing to a String cannot fail");
            out.print(&text);
        }
    }
}

fn check(args: &GenerateArgs, format: Format, show_diff: bool, out: &mut Output) -> Outcome {
    let job = match project::resolve(args, false) {
        Ok(job) => job,
        Err(e) => return out.error(&e),
    };
    let (modules, mut worst) = modules(&job, Gate::Caller, out);
    let mut drift = Vec::new();
    let mut replacements = Vec::new();
    for built in &modules {
        let Built {
            module: m, dir, source, ..
        } = built;
        let changes = match emit::diff(m, dir) {
            Ok(changes) => changes,
            Err(e) => {
                worst = worst.max(out.error(&Error::from(e)));
                continue;
            }
        };
        // What would be written must pass the parse gate, as in generate.
        let differing = changes
            .iter()
            .filter(|c| {
                matches!(
                    c,
                    Change::Create { .. } | Change::Update { .. } | Change::Foreign { .. }
                )
            })
            .filter_map(|c| c.path().file_name().and_then(|n| n.to_str()));
        if let Err(e) = m.gate(differing) {
            worst = worst.max(out.error(&render_error(&job, Path::new(source), &e)));
            continue;
        }
        if let Some(why) = replacement(built) {
            replacements.push((m.name.as_str(), dir.clone(), why));
        }
        drift.extend(changes.into_iter().map(|c| (m.name.as_str(), source.as_str(), c)));
    }
    let orphans = match orphans(&job, &modules, worst == Outcome::Success) {
        Ok(o) => o,
        Err(e) => {
            worst = worst.max(out.error(&e));
            Vec::new()
        }
    };
    let mut entries: Vec<Drift> = drift
        .iter()
        .map(|(workload, source, change)| Drift {
            workload,
            source,
            path: display(change.path()),
            change: change.verb(),
            reason: change.reason(),
        })
        .collect();
    let reasons: Vec<String> = orphans.iter().map(Orphan::reason).collect();
    entries.extend(orphans.iter().zip(&reasons).map(|(o, reason)| Drift {
        workload: &o.workload,
        source: "",
        path: display(&o.dir),
        change: "orphan",
        reason,
    }));
    let foreign = drift.iter().any(|(_, _, c)| matches!(c, Change::Foreign { .. }));
    let fix = fix_line(&job.fix, &drift, &orphans);
    print_drift(
        out,
        format,
        &DriftReport {
            entries: &entries,
            changes: &drift,
            replacements: &replacements,
            fix: &fix,
            modules: modules.len(),
            show_diff,
            clean_run: worst == Outcome::Success,
        },
    );
    if entries.is_empty() {
        return worst;
    }
    worst.max(if foreign { Outcome::Invalid } else { Outcome::Drift })
}

fn init(file: &Path, project: bool, out: &mut Output) -> Outcome {
    let create = |path: &Path, text: &str| -> Result<(), Error> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| Error::Io {
                action: "cannot create",
                path: dir.to_owned(),
                source,
            })?;
        }
        let result = std::fs::OpenOptions::new().write(true).create_new(true).open(path);
        match result {
            Ok(mut f) => f.write_all(text.as_bytes()).map_err(|source| Error::Io {
                action: "cannot write",
                path: path.to_owned(),
                source,
            }),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(Error::Usage(format!(
                "{} already exists; rediform init never overwrites a file (name another: rediform init FILE)",
                display(path)
            ))),
            Err(source) => Err(Error::Io {
                action: "cannot write",
                path: path.to_owned(),
                source,
            }),
        }
    };
    let config = Path::new(crate::config::FILE_NAME);
    // A link there (even a dangling one) is something in the way, not a free name.
    if project && std::fs::symlink_metadata(config).is_ok() {
        return out.error(&Error::Usage(format!(
            "{} already exists; rediform init never overwrites a file (run without --project)",
            display(config)
        )));
    }
    // rediform.toml goes here and names the workload directory relative to here.
    let parent = file
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let workloads_dir = project::canonical(parent)
        .strip_prefix(project::canonical(Path::new(".")))
        .map(slash_path);
    if project && workloads_dir.is_err() {
        return out.error(&Error::Usage(format!(
            "{} is outside this directory, where --project writes rediform.toml: run init from the repository root, with a path inside it",
            display(file)
        )));
    }
    if let Err(e) = create(file, STARTER) {
        return out.error(&e);
    }
    let mut text = format!("wrote {}\n", display(file));
    if project {
        let dir = match workloads_dir {
            Ok(d) if !d.is_empty() => d,
            _ => ".".to_owned(),
        };
        let body = format!(
            "# rediform project file: `rediform generate` and `rediform check` with no arguments use it.\nout = \"generated\"\nworkloads = [{}]\n",
            // A TOML string (TOML forbids raw control characters, DEL included, that JSON allows).
            toml::Value::String(dir)
        );
        if let Err(e) = create(config, &body) {
            return out.error(&e);
        }
        let _ = writeln!(text, "wrote {}", display(config));
    }
    let run = if project {
        "rediform generate".to_owned()
    } else {
        format!(
            "rediform generate {}",
            crate::encode::shell_word(&file.to_string_lossy())
        )
    };
    let _ = write!(
        text,
        "next: edit it, run `rediform decide {}` to see the path and costs, then `{run}` to write the Terraform module\neditor completion: `rediform schema > rediform.schema.json` beside it (its #:schema line points there)\n",
        // The path as the shell must be given it (`$'...'` for a control character), not as
        // `display` shows it.
        crate::encode::shell_word(&file.to_string_lossy())
    );
    out.print(&text);
    Outcome::Success
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
