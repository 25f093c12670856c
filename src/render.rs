//! Rendering: a [`ModuleSpec`] through the Tera templates into the files of one module.
//!
//! Input: the spec and a [`Templates`] set (embedded in the binary; `--templates DIR` replaces any
//! of them). Output: a [`Module`]: every file rendered, headed "DO NOT EDIT", and every `.tf`
//! parsed and put in `terraform fmt` form by [`crate::hcl`] — a template bug is an error here and
//! never a file on disk. Must not: touch the disk (`cli` reads override templates, `emit` writes).

use std::collections::BTreeMap;
use std::error::Error as _;
use std::fmt::Write as _;

use crate::hcl;
use crate::module::ModuleSpec;
use crate::names::{Engine, Named, PathId};

/// Every template, embedded: one const table is the single list (a test checks `templates/`
/// holds nothing else).
pub const TEMPLATES: &[(&str, &str)] = &[
    ("macros.tera", include_str!("../templates/macros.tera")),
    (
        "common/README.md.tera",
        include_str!("../templates/common/README.md.tera"),
    ),
    (
        "common/providers.tf.tera",
        include_str!("../templates/common/providers.tf.tera"),
    ),
    (
        "common/security.tf.tera",
        include_str!("../templates/common/security.tf.tera"),
    ),
    (
        "common/terraform.tfvars.example.tera",
        include_str!("../templates/common/terraform.tfvars.example.tera"),
    ),
    (
        "common/variables.tf.tera",
        include_str!("../templates/common/variables.tf.tera"),
    ),
    (
        "common/versions.tf.tera",
        include_str!("../templates/common/versions.tf.tera"),
    ),
    (
        "elasticache/alarms.tf.tera",
        include_str!("../templates/elasticache/alarms.tf.tera"),
    ),
    (
        "elasticache/logs.tf.tera",
        include_str!("../templates/elasticache/logs.tf.tera"),
    ),
    (
        "elasticache/main.tf.tera",
        include_str!("../templates/elasticache/main.tf.tera"),
    ),
    (
        "elasticache/network.tf.tera",
        include_str!("../templates/elasticache/network.tf.tera"),
    ),
    (
        "elasticache/outputs.tf.tera",
        include_str!("../templates/elasticache/outputs.tf.tera"),
    ),
    (
        "elasticache/parameters.tf.tera",
        include_str!("../templates/elasticache/parameters.tf.tera"),
    ),
    (
        "memorydb/alarms.tf.tera",
        include_str!("../templates/memorydb/alarms.tf.tera"),
    ),
    (
        "memorydb/main.tf.tera",
        include_str!("../templates/memorydb/main.tf.tera"),
    ),
    (
        "memorydb/network.tf.tera",
        include_str!("../templates/memorydb/network.tf.tera"),
    ),
    (
        "memorydb/outputs.tf.tera",
        include_str!("../templates/memorydb/outputs.tf.tera"),
    ),
    (
        "memorydb/parameters.tf.tera",
        include_str!("../templates/memorydb/parameters.tf.tera"),
    ),
    (
        "self-hosted/alarms.tf.tera",
        include_str!("../templates/self-hosted/alarms.tf.tera"),
    ),
    (
        "self-hosted/backup.tf.tera",
        include_str!("../templates/self-hosted/backup.tf.tera"),
    ),
    (
        "self-hosted/iam.tf.tera",
        include_str!("../templates/self-hosted/iam.tf.tera"),
    ),
    (
        "self-hosted/main.tf.tera",
        include_str!("../templates/self-hosted/main.tf.tera"),
    ),
    (
        "self-hosted/outputs.tf.tera",
        include_str!("../templates/self-hosted/outputs.tf.tera"),
    ),
    (
        "self-hosted/secrets.tf.tera",
        include_str!("../templates/self-hosted/secrets.tf.tera"),
    ),
    (
        "self-hosted/user_data.sh.tftpl.tera",
        include_str!("../templates/self-hosted/user_data.sh.tftpl.tera"),
    ),
    (
        "serverless/alarms.tf.tera",
        include_str!("../templates/serverless/alarms.tf.tera"),
    ),
    (
        "serverless/main.tf.tera",
        include_str!("../templates/serverless/main.tf.tera"),
    ),
    (
        "serverless/outputs.tf.tera",
        include_str!("../templates/serverless/outputs.tf.tera"),
    ),
];

/// The generated files of one workload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Module {
    /// The workload name: the module's directory.
    pub name: String,
    /// File name -> content, in name order (`.rediform.lock` among them).
    pub files: BTreeMap<String, String>,
    /// File name -> the template it was rendered from (for errors).
    pub templates: BTreeMap<String, String>,
}

impl Module {
    /// The parse gate on every Terraform file, or on those named (SPEC §1: a template bug never
    /// reaches the disk): the first problem, with its template and line.
    pub fn gate<'a>(&self, only: impl IntoIterator<Item = &'a str>) -> Result<(), RenderError> {
        for name in only {
            if let (Some(text), true) = (self.files.get(name), hcl::is_hcl(name)) {
                hcl::gate(text).map_err(|source| RenderError::Hcl {
                    template: self.templates.get(name).cloned().unwrap_or_else(|| name.to_owned()),
                    source,
                })?;
            }
        }
        Ok(())
    }
}

/// Whether `render` runs the parse gate on the Terraform files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Parse every Terraform file: what `generate` writes.
    Every,
    /// Leave it to the caller (`check` compares bytes and gates only the files that differ).
    Caller,
}

/// Why a module could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A template failed to parse or render (Tera keeps the cause in `source()`: printed whole).
    #[error("template {template}: {chain}")]
    Template {
        /// The template.
        template: String,
        /// The error and its causes.
        chain: String,
    },
    /// A rendered `.tf` file is not valid HCL, or formatting would change it.
    #[error("{template} rendered invalid Terraform: {source}")]
    Hcl {
        /// The template.
        template: String,
        /// What the parser said.
        source: hcl::HclError,
    },
}

/// A template set: the embedded templates with any overrides put in their place, compiled into
/// one Tera instance per output language. Autoescape is on for every template, with that
/// language's encoder (`crate::encode`): every `{{ value }}` is encoded unless a template marks it
/// `| safe`, which only text rediform composed itself may be (the README's flowchart and tables).
pub struct Templates {
    /// `.tf` and `.tfvars.example` templates and their macros: values land in HCL strings.
    hcl: tera::Tera,
    /// `README.md.tera`: values land in Markdown text (`| code` makes a code span).
    markdown: tera::Tera,
    /// `.tftpl.tera`: values land in a shell script that is a Terraform template file.
    script: tera::Tera,
    /// The terraform-docs tables already read, by the text of the files they are read from
    /// (without their header lines): most modules of a run share them, and parsing is most of
    /// the cost of a README.
    tf_docs: std::sync::Mutex<std::collections::HashMap<String, String>>,
}

/// The output language of a template, by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Language {
    Hcl,
    Markdown,
    Script,
}

impl Language {
    fn of(template: &str) -> Language {
        if template.ends_with(".md.tera") {
            Language::Markdown
        } else if template.ends_with(".tftpl.tera") {
            Language::Script
        } else {
            Language::Hcl
        }
    }
}

/// `{{ value | code }}` in Markdown templates: the value as a complete code span.
struct CodeSpan;

impl tera::Filter for CodeSpan {
    fn filter(
        &self,
        value: &tera::Value,
        _: &std::collections::HashMap<String, tera::Value>,
    ) -> tera::Result<tera::Value> {
        let text = value.as_str().map_or_else(|| value.to_string(), str::to_owned);
        Ok(tera::Value::String(crate::encode::markdown_code(&text)))
    }

    fn is_safe(&self) -> bool {
        true
    }
}

fn chain(e: &tera::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

/// Tera's `range(end, start=0, step_by=1)`, refused past 10,000 items (a template lays out a few
/// shards or nodes, never millions).
fn bounded_range(args: &std::collections::HashMap<String, tera::Value>) -> tera::Result<tera::Value> {
    let number = |key: &str, default: Option<i64>| -> tera::Result<i64> {
        match args.get(key) {
            Some(v) => v
                .as_i64()
                .ok_or_else(|| tera::Error::msg(format!("range: `{key}` must be a whole number"))),
            None => default.ok_or_else(|| tera::Error::msg(format!("range: `{key}` is required"))),
        }
    };
    let (start, end, step) = (
        number("start", Some(0))?,
        number("end", None)?,
        number("step_by", Some(1))?,
    );
    if step <= 0 {
        return Err(tera::Error::msg("range: `step_by` must be 1 or more"));
    }
    // In i128: i64 bounds far apart (or a huge step) must not wrap past the check.
    let count = ((i128::from(end) - i128::from(start)).max(0) + i128::from(step) - 1) / i128::from(step);
    if count > 10_000 {
        return Err(tera::Error::msg("range: more than 10,000 items"));
    }
    Ok(tera::Value::Array(
        (start..end)
            .step_by(usize::try_from(step).unwrap_or(1))
            .map(tera::Value::from)
            .collect(),
    ))
}

impl Templates {
    /// The templates built into the binary.
    pub fn embedded() -> Result<Templates, RenderError> {
        Templates::with_overrides(&[])
    }

    /// The embedded templates with some replaced (`--templates DIR`): names are relative to
    /// `templates/` (`elasticache/main.tf.tera`); an unknown name is an error, not ignored.
    pub fn with_overrides(overrides: &[(String, String)]) -> Result<Templates, RenderError> {
        let mut sources: BTreeMap<&str, &str> = TEMPLATES.iter().copied().collect();
        for (name, text) in overrides {
            if !sources.contains_key(name.as_str()) {
                let known: Vec<&str> = sources.keys().copied().collect();
                return Err(RenderError::Template {
                    template: name.clone(),
                    chain: format!("not a rediform template; the templates are: {}", known.join(", ")),
                });
            }
            sources.insert(name, text);
        }
        let compile = |language: Language, escape: fn(&str) -> String| {
            let mut tera = tera::Tera::default();
            // Every template of the instance: the empty suffix matches every name.
            tera.autoescape_on(vec![""]);
            tera.set_escape_fn(escape);
            // A module is the same bytes on every machine: no template (an override included)
            // reads the environment, and none makes a list large enough to exhaust memory.
            tera.register_function("get_env", |_: &std::collections::HashMap<String, tera::Value>| {
                Err(tera::Error::msg(
                    "get_env is not available in rediform templates: a module must be the same on every machine",
                ))
            });
            tera.register_function("range", bounded_range);
            if language == Language::Markdown {
                tera.register_filter("code", CodeSpan);
            }
            let own: Vec<(&str, &str)> = sources
                .iter()
                .filter(|(name, _)| Language::of(name) == language)
                .map(|(name, text)| (*name, *text))
                .collect();
            tera.add_raw_templates(own).map_err(|e| RenderError::Template {
                template: "templates".to_owned(),
                chain: chain(&e),
            })?;
            Ok(tera)
        };
        Ok(Templates {
            hcl: compile(Language::Hcl, crate::encode::hcl_string)?,
            markdown: compile(Language::Markdown, crate::encode::markdown_text)?,
            script: compile(Language::Script, crate::encode::script_text)?,
            tf_docs: std::sync::Mutex::default(),
        })
    }

    /// [`tf_docs`] of these files, read once per distinct text.
    fn tf_docs(&self, files: &BTreeMap<String, String>) -> String {
        let mut key = String::new();
        for name in ["versions.tf", "variables.tf", "outputs.tf"] {
            let text = files.get(name).map_or("", String::as_str);
            key.push_str(text.split_once('\n').map_or(text, |(_, rest)| rest));
            key.push('\0');
        }
        // A poisoned memo (a panic elsewhere) is only a cache: read the files again.
        if let Some(hit) = self.tf_docs.lock().ok().and_then(|memo| memo.get(&key).cloned()) {
            return hit;
        }
        let tables = tf_docs(files);
        if let Ok(mut memo) = self.tf_docs.lock() {
            memo.insert(key, tables.clone());
        }
        tables
    }

    fn tera(&self, template: &str) -> &tera::Tera {
        match Language::of(template) {
            Language::Hcl => &self.hcl,
            Language::Markdown => &self.markdown,
            Language::Script => &self.script,
        }
    }
}

/// Output file -> template, for a module of this spec: the common files, the path's own (each
/// `templates/<path>/<file>.tera`), and `alarms.tf` when alarms are on.
fn layout(spec: &ModuleSpec) -> Vec<(&'static str, String)> {
    let mut files = vec!["versions.tf"];
    if !spec.as_module {
        files.push("providers.tf");
    }
    files.extend(["variables.tf", "security.tf", "terraform.tfvars.example"]);
    let mut layout: Vec<(&'static str, String)> = files.into_iter().map(|f| (f, format!("common/{f}.tera"))).collect();
    let (dir, own): (&str, &[&'static str]) = match spec.path {
        PathId::Elasticache if spec.engine == Engine::Memcached => {
            ("elasticache", &["main.tf", "network.tf", "parameters.tf", "outputs.tf"])
        }
        PathId::Elasticache => (
            "elasticache",
            &["main.tf", "network.tf", "parameters.tf", "outputs.tf", "logs.tf"],
        ),
        PathId::Serverless => ("serverless", &["main.tf", "outputs.tf"]),
        PathId::Memorydb => ("memorydb", &["main.tf", "network.tf", "parameters.tf", "outputs.tf"]),
        PathId::SelfHosted => (
            "self-hosted",
            &[
                "main.tf",
                "iam.tf",
                "backup.tf",
                "secrets.tf",
                "outputs.tf",
                "user_data.sh.tftpl",
            ],
        ),
    };
    layout.extend(own.iter().map(|f| (*f, format!("{dir}/{f}.tera"))));
    if spec.alarms_enabled {
        layout.push(("alarms.tf", format!("{dir}/alarms.tf.tera")));
    }
    layout
}

/// Whether rediform generates a file of this name on some path (`main.tf`, `logs.tf`,
/// `user_data.sh.tftpl`, the README …): the names of the built-in templates.
pub fn is_generated_name(name: &str) -> bool {
    TEMPLATES.iter().any(|(template, _)| {
        template
            .rsplit('/')
            .next()
            .and_then(|file| file.strip_suffix(".tera"))
            .is_some_and(|file| file == name)
    })
}

/// The header every generated file starts with (SPEC §6); the workload file's name goes through
/// the comment encoder of the file's language, so it stays one comment line whatever it holds.
/// `terraform.tfvars.example` is meant to be copied and edited: its header says so instead of "DO
/// NOT EDIT", so that a copy never reads as generated (SPEC §9 "ownership").
pub fn header(file_name: &str, source_file: &str) -> String {
    let lower = file_name.to_ascii_lowercase();
    if std::path::Path::new(&lower).extension().is_some_and(|e| e == "md") {
        format!(
            "<!-- Code generated by rediform from {}. DO NOT EDIT. -->\n\n",
            crate::encode::html_comment(source_file)
        )
    } else if lower.ends_with(".tfvars.example") {
        format!(
            "# Example values written by rediform for the module of {}: copy this file to terraform.tfvars and edit the copy, which is yours.\n\n",
            crate::encode::hash_comment(source_file)
        )
    } else if std::path::Path::new(&lower).extension().is_some_and(|e| e == "tftpl") {
        // Terraform's templatefile() reads this file: `${` and `%{` in the name must stay text.
        format!(
            "# Code generated by rediform from {}. DO NOT EDIT.\n\n",
            crate::encode::template_text(&crate::encode::hash_comment(source_file))
        )
    } else {
        format!(
            "# Code generated by rediform from {}. DO NOT EDIT.\n\n",
            crate::encode::hash_comment(source_file)
        )
    }
}

/// The line of a file that holds its header: the first, or the second after a script's `#!`.
pub fn header_line(text: &str) -> Option<&str> {
    let mut lines = text.lines();
    match lines.next() {
        Some(first) if first.starts_with("#!") => lines.next(),
        first => first,
    }
}

/// Whether a line is the header rediform writes on a `.tf` file, for any workload file.
pub fn is_tf_header(line: &str) -> bool {
    let header = header("main.tf", "@");
    let (before, after) = header
        .lines()
        .next()
        .and_then(|l| l.split_once('@'))
        .expect("the header names the workload file");
    line.len() > before.len() + after.len() && line.starts_with(before) && line.ends_with(after)
}

/// Whether a file's text carries exactly the header rediform writes for this file name and
/// workload file (one half of ownership; the lock is the other).
pub fn has_header(file_name: &str, source_file: &str, text: &str) -> bool {
    header_line(text).is_some_and(|line| header(file_name, source_file).lines().next() == Some(line))
}

/// The text with the header in front, or, for a script, right after its `#!` line (which must
/// stay first).
fn with_header(file_name: &str, source_file: &str, text: &str) -> String {
    let header = header(file_name, source_file);
    match text.split_once('\n') {
        Some((shebang, rest)) if shebang.starts_with("#!") => format!("{shebang}\n{}\n{rest}", header.trim_end()),
        _ => format!("{header}{text}"),
    }
}

/// Renders every file of the module, its lock among them; every Terraform file passes the parse
/// gate.
pub fn render(spec: &ModuleSpec, templates: &Templates) -> Result<Module, RenderError> {
    render_with(spec, templates, Gate::Every)
}

/// Renders every file of the module, with the parse gate as `gate` says.
pub fn render_with(spec: &ModuleSpec, templates: &Templates, gate: Gate) -> Result<Module, RenderError> {
    let mut context = tera::Context::from_serialize(spec).map_err(|e| RenderError::Template {
        template: "context".to_owned(),
        chain: chain(&e),
    })?;
    let mut files: BTreeMap<String, String> = BTreeMap::new();
    let mut sources: BTreeMap<String, String> = BTreeMap::new();
    for (file, template) in layout(spec) {
        let text = render_one(templates, &template, &context)?;
        let text = with_header(file, &spec.source_file, text.trim_start_matches('\n'));
        if gate == Gate::Every && hcl::is_hcl(file) {
            hcl::gate(&text).map_err(|source| RenderError::Hcl {
                template: template.clone(),
                source,
            })?;
        }
        let text = hcl::format_file(file, &text).map_err(|source| RenderError::Hcl {
            template: template.clone(),
            source,
        })?;
        files.insert(file.to_owned(), text);
        sources.insert(file.to_owned(), template);
    }
    let tf_docs = templates.tf_docs(&files);
    context.insert("tf_docs", &tf_docs);
    let readme = render_one(templates, "common/README.md.tera", &context)?;
    let mut readme = format!("{}{}", header("README.md", &spec.source_file), readme.trim_end());
    readme.push('\n');
    files.insert("README.md".to_owned(), readme);
    sources.insert("README.md".to_owned(), "common/README.md.tera".to_owned());
    let mode = match &spec.replication_group {
        Some(rg) if rg.cluster_mode => "cluster",
        Some(_) => "single",
        None => "-",
    };
    let cache = crate::lock::cache_line(
        spec.path.as_str(),
        spec.engine.as_str(),
        spec.port,
        &spec.engine_version,
        mode,
        spec.memorydb.as_ref().map(|m| m.search),
    );
    let mut lock = crate::lock::render(&spec.name, &spec.source_file, &cache, &files);
    if let Some(dir) = &spec.module_dir {
        lock = crate::lock::with_dir(&lock, dir);
    }
    files.insert(crate::lock::FILE_NAME.to_owned(), lock);
    Ok(Module {
        name: spec.name.clone(),
        files,
        templates: sources,
    })
}

fn render_one(templates: &Templates, template: &str, context: &tera::Context) -> Result<String, RenderError> {
    templates
        .tera(template)
        .render(template, context)
        .map_err(|e| RenderError::Template {
            template: template.to_owned(),
            chain: chain(&e),
        })
}

/// The Requirements, Inputs and Outputs tables between the terraform-docs markers, read back from
/// the rendered files (as terraform-docs reads them), so the README and the code cannot disagree.
fn tf_docs(files: &BTreeMap<String, String>) -> String {
    let body = |name: &str| files.get(name).and_then(|t| hcl_edit::parser::parse_body(t).ok());
    // terraform-docs escapes every `_` of a name. Names are identifiers in the built-in
    // templates; a template of the user's could write any label, so a name that is not one is
    // shown as text, with no anchor.
    let esc = |s: &str| s.replace('_', "\\_");
    let identifier = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    // terraform-docs' name cell: an anchor, then the name linking to it.
    let cell = |kind: &str, name: &str| {
        if !identifier(name) {
            return crate::encode::markdown_text(name);
        }
        format!(
            "<a name=\"{kind}_{name}\"></a> [{}](#{kind}\\_{})",
            esc(name),
            esc(name)
        )
    };
    let string_of = |block: &hcl_edit::structure::Block, key: &str| {
        block.body.get_attribute(key).map(|a| {
            a.value
                .as_str()
                .map_or_else(|| a.value.to_string().trim().to_owned(), str::to_owned)
        })
    };
    let mut out = String::from("<!-- BEGIN_TF_DOCS -->\n## Requirements\n\n| Name | Version |\n|------|---------|\n");
    if let Some(versions) = body("versions.tf") {
        for terraform in versions.get_blocks("terraform") {
            if let Some(v) = string_of(terraform, "required_version") {
                writeln!(
                    out,
                    "| {} | {} |",
                    cell("requirement", "terraform"),
                    crate::encode::markdown_text(&v)
                )
                .expect("writing to a String cannot fail");
            }
            for providers in terraform.body.get_blocks("required_providers") {
                for attr in providers.body.attributes() {
                    let name = attr.key.as_str();
                    let version = attr.value.as_object().and_then(|o| {
                        o.iter()
                            .find(|(k, _)| k.as_ident().is_some_and(|i| i.as_str() == "version"))
                            .and_then(|(_, v)| v.expr().as_str().map(str::to_owned))
                    });
                    writeln!(
                        out,
                        "| {} | {} |",
                        cell("requirement", name),
                        crate::encode::markdown_text(&version.unwrap_or_default())
                    )
                    .expect("writing to a String cannot fail");
                }
            }
        }
    }
    out.push_str("\n## Inputs\n\n| Name | Description | Type | Default | Required |\n|------|-------------|------|---------|:--------:|\n");
    if let Some(vars) = body("variables.tf") {
        for v in vars.get_blocks("variable") {
            let Some(name) = v.labels.first().map(hcl_edit::structure::BlockLabel::as_str) else {
                continue;
            };
            let description = string_of(v, "description").unwrap_or_default();
            let ty = v
                .body
                .get_attribute("type")
                .map_or_else(|| "any".to_owned(), |a| a.value.to_string().trim().to_owned());
            let default = v
                .body
                .get_attribute("default")
                .map(|a| a.value.to_string().trim().to_owned());
            // A template of the user's may put any text in a default: each value is a code span
            // that nothing in it can close, and a `|` cannot end the table cell (GFM §4.10).
            let code = |text: &str| crate::encode::markdown_code(text).replace('|', "\\|");
            let (default, required) = match default {
                Some(d) => (code(&d), "no"),
                None => ("n/a".to_owned(), "yes"),
            };
            writeln!(
                out,
                "| {} | {} | {} | {default} | {required} |",
                cell("input", name),
                crate::encode::markdown_text(&description),
                code(&ty)
            )
            .expect("writing to a String cannot fail");
        }
    }
    out.push_str("\n## Outputs\n\n| Name | Description |\n|------|-------------|\n");
    if let Some(outputs) = body("outputs.tf") {
        for o in outputs.get_blocks("output") {
            let Some(name) = o.labels.first().map(hcl_edit::structure::BlockLabel::as_str) else {
                continue;
            };
            let description = string_of(o, "description").unwrap_or_default();
            writeln!(
                out,
                "| {} | {} |",
                cell("output", name),
                crate::encode::markdown_text(&description)
            )
            .expect("writing to a String cannot fail");
        }
    }
    out.push_str("<!-- END_TF_DOCS -->");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_in_templates_is_in_the_table_and_back() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut on_disk = Vec::new();
        for dir in std::fs::read_dir(&root).unwrap() {
            let dir = dir.unwrap().path();
            if dir.is_dir() {
                for f in std::fs::read_dir(&dir).unwrap() {
                    let f = f.unwrap().path();
                    on_disk.push(f.strip_prefix(&root).unwrap().display().to_string());
                }
            } else {
                on_disk.push(dir.strip_prefix(&root).unwrap().display().to_string());
            }
        }
        on_disk.sort();
        let mut table: Vec<String> = TEMPLATES.iter().map(|(n, _)| (*n).to_owned()).collect();
        table.sort();
        assert_eq!(on_disk, table);
    }

    #[test]
    fn a_script_keeps_its_shebang_first() {
        assert_eq!(
            with_header("user_data.sh.tftpl", "w.toml", "#!/bin/bash\nset -e\n"),
            "#!/bin/bash\n# Code generated by rediform from w.toml. DO NOT EDIT.\nset -e\n"
        );
        assert!(with_header("main.tf", "w.toml", "a = 1\n").starts_with("# Code generated"));
    }

    #[test]
    fn an_unknown_override_is_refused() {
        let err = Templates::with_overrides(&[("elasticache/mian.tf.tera".to_owned(), String::new())])
            .err()
            .unwrap();
        assert!(err.to_string().contains("not a rediform template"), "{err}");
    }
}
