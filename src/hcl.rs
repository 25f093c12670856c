//! The HCL gate and the `terraform fmt` pass (SPEC §1, STYLE §4).
//!
//! Input: the text of one rendered file. Output: the same file in the form `terraform fmt` gives it,
//! or an error. Every Terraform file (`.tf`, `.tfvars`, `.tfvars.example`) is parsed with hcl-edit
//! first — a template bug stops here and never reaches the disk — then re-indented and aligned the
//! way `hclwrite` does it (hashicorp/hcl `hclwrite/format.go`: `formatIndent`, `formatCells`), then
//! parsed again and compared with the first tree (hcl-edit's equality ignores whitespace), so the
//! pass can change whitespace and nothing else. Other files pass through. Must not: write files.
//!
//! Why not `hcl::format`: it never aligns `=`, and it drops comments (STYLE §4).

use hcl_edit::parser::parse_body;

/// A rendered file that is not valid HCL, or a formatting pass that would change its meaning.
#[derive(Debug, thiserror::Error)]
pub enum HclError {
    /// hcl-edit could not parse the text.
    #[error("line {line}: {message}\n  {text}")]
    Parse {
        /// 1-based line of the problem.
        line: usize,
        /// The parser's message.
        message: String,
        /// The rendered line.
        text: String,
    },
    /// The formatted text parses to another tree than the rendered one (a bug of this pass).
    #[error("formatting changed the meaning of the file")]
    Changed,
}

/// Whether rediform formats a file of this name as HCL.
pub fn is_hcl(file_name: &str) -> bool {
    let name = file_name.to_ascii_lowercase();
    [".tf", ".tfvars", ".tfvars.example"]
        .iter()
        .any(|ext| name.ends_with(ext))
}

/// Parses a Terraform file and returns it in canonical `terraform fmt` form; other files are
/// returned as they are. [`gate`] then [`format_file`].
pub fn canonicalize(file_name: &str, text: &str) -> Result<String, HclError> {
    if is_hcl(file_name) {
        gate(text)?;
    }
    format_file(file_name, text)
}

/// The parse gate: whether the text is valid HCL (hcl-edit), with the line of the first problem.
/// `generate` runs it on every Terraform file before anything is written; `check`, which writes
/// nothing, runs it on the files that differ from the disk.
pub fn gate(text: &str) -> Result<(), HclError> {
    parse(text).map(drop)
}

/// A Terraform file in canonical `terraform fmt` form (other files as they are), without the
/// parse gate. The pass may change spaces at the start and end of lines and before `=` and
/// comments, nothing else: line by line, the text without its spaces must not change. (Debug
/// builds, and so every test, also parse the result and compare the trees.)
pub fn format_file(file_name: &str, text: &str) -> Result<String, HclError> {
    if !is_hcl(file_name) {
        return Ok(text.to_owned());
    }
    let tidied = tidy(text);
    let formatted = format(&tidied);
    // The pass only adds or removes spaces: the bytes other than spaces and tabs, line breaks
    // included, must be the same.
    if !without_spaces(&tidied).eq(without_spaces(&formatted)) {
        return Err(HclError::Changed);
    }
    debug_assert!(
        match (parse(text), parse(&formatted)) {
            (Ok(before), Ok(after)) => before == after,
            (Err(_), _) => true,
            (Ok(_), Err(_)) => false,
        },
        "formatting changed the tree"
    );
    Ok(formatted)
}

/// The bytes of a text other than spaces and tabs.
fn without_spaces(text: &str) -> impl Iterator<Item = u8> + '_ {
    text.bytes().filter(|b| !matches!(b, b' ' | b'\t'))
}

fn parse(text: &str) -> Result<hcl_edit::structure::Body, HclError> {
    parse_body(text).map_err(|e| {
        let line = e.location().line();
        HclError::Parse {
            line,
            message: e.message().to_owned(),
            text: text
                .lines()
                .nth(line.saturating_sub(1))
                .unwrap_or_default()
                .trim_end()
                .to_owned(),
        }
    })
}

/// One line split the way `hclwrite` splits it: the part before the assignment's `=`, the `=` and
/// what follows (when the value ends on the same line), and a trailing comment.
#[derive(Debug, Default)]
struct Line<'a> {
    /// Trimmed text before `=` (or the whole line's code).
    lead: &'a str,
    /// `= value`, trimmed, when the line is a one-line assignment.
    assign: Option<&'a str>,
    /// A trailing comment, trimmed.
    comment: Option<&'a str>,
    /// Net change of open brackets over the line's code.
    net_brackets: i32,
    /// Inside a heredoc: left exactly as it is.
    verbatim: bool,
    /// Indentation, in spaces, computed by `indent`.
    indent: usize,
    /// Spaces added before ` =` so that the run's `=` line up, computed by `align`.
    pad: usize,
}

impl Line<'_> {
    fn lead_columns(&self) -> usize {
        self.indent + self.lead.chars().count()
    }
}

/// What the lexer found on one line.
struct Scan {
    /// Byte offset of the first top-level `=` that is an assignment (not `==`, `!=`, `<=`, `>=`, `=>`).
    equals: Option<usize>,
    /// Byte offset where a trailing comment starts.
    comment: Option<usize>,
    /// Net open brackets up to the comment (`{`, `[`, `(`, `${`, `%{` open; `}`, `]`, `)` close).
    net_brackets: i32,
    /// Net open brackets from `equals` to the comment.
    net_after_equals: i32,
    /// The line opens a heredoc (`<<EOF` / `<<-EOF`): its marker.
    heredoc: Option<String>,
}

/// A small lexer for one line of HCL: enough to tell strings, comments, brackets and `=` apart.
/// Quoted strings cannot span lines in HCL; heredocs are handled by the caller.
fn scan(line: &str) -> Scan {
    let bytes = line.as_bytes();
    let mut s = Scan {
        equals: None,
        comment: None,
        net_brackets: 0,
        net_after_equals: 0,
        heredoc: None,
    };
    // Open quoted strings and, inside them, the interpolation depth where each one started.
    let mut in_string = false;
    let mut string_stack: Vec<i32> = Vec::new();
    let mut depth = 0i32;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let next = bytes.get(i + 1).copied();
        if in_string {
            match b {
                b'\\' => i += 1,
                b'"' => {
                    in_string = false;
                    string_stack.pop();
                }
                b'$' | b'%' if next == Some(b'{') && bytes.get(i.wrapping_sub(1)) != Some(&b) => {
                    in_string = false;
                    s.net_brackets += 1;
                    if s.equals.is_some() {
                        s.net_after_equals += 1;
                    }
                    depth += 1;
                    i += 1;
                }
                _ => {}
            }
            i += 1;
            continue;
        }
        let bracket = match b {
            b'{' | b'[' | b'(' => 1,
            b'}' | b']' | b')' => -1,
            _ => 0,
        };
        if bracket != 0 {
            s.net_brackets += bracket;
            if s.equals.is_some() {
                s.net_after_equals += bracket;
            }
            depth += bracket;
            if bracket < 0 && string_stack.last() == Some(&depth) {
                // The `}` closed an interpolation: back inside the string.
                in_string = true;
            }
            i += 1;
            continue;
        }
        match b {
            b'"' => {
                in_string = true;
                string_stack.push(depth);
            }
            b'#' => {
                s.comment = Some(i);
                break;
            }
            b'/' if next == Some(b'/') || next == Some(b'*') => {
                s.comment = Some(i);
                break;
            }
            b'<' if next == Some(b'<') => {
                let rest = line[i + 2..].trim_start_matches('-');
                let marker: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !marker.is_empty() {
                    s.heredoc = Some(marker);
                    break;
                }
                i += 1;
            }
            b'=' => {
                let prev = if i > 0 { bytes[i - 1] } else { b' ' };
                let is_operator = matches!(next, Some(b'=' | b'>')) || matches!(prev, b'=' | b'!' | b'<' | b'>');
                if is_operator {
                    i += 1;
                } else if s.equals.is_none() && i > 0 && !line[..i].trim().is_empty() {
                    s.equals = Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    s
}

/// Formats HCL text as `terraform fmt` does: indentation by bracket depth, `=` aligned across
/// consecutive one-line assignments, trailing comments aligned likewise, no trailing spaces.
/// Tested against pairs made by terraform fmt itself (`tests/it/fmt/`).
pub fn format(text: &str) -> String {
    let mut lines: Vec<Line> = Vec::new();
    let mut heredoc: Option<String> = None;
    for raw in text.lines() {
        if let Some(marker) = &heredoc {
            // The content and the closing marker stay exactly as written.
            if raw.trim() == marker {
                heredoc = None;
            }
            lines.push(Line {
                lead: raw,
                verbatim: true,
                ..Line::default()
            });
            continue;
        }
        let code = raw.trim();
        let s = scan(code);
        let (code_part, comment) = match s.comment {
            Some(at) => (code[..at].trim_end(), Some(code[at..].trim_end())),
            None => (code, None),
        };
        let (lead, assign) = match s.equals {
            // hclwrite moves `= value` into its own cell only when the value closes on this line.
            Some(at) if s.net_after_equals == 0 => (code_part[..at].trim_end(), Some(code_part[at + 1..].trim())),
            _ => (code_part, None),
        };
        // A comment alone on its line is part of the lead, as in hclwrite.
        let (lead, comment) = if lead.is_empty() && assign.is_none() {
            (comment.unwrap_or(""), None)
        } else {
            (lead, comment)
        };
        heredoc = s.heredoc;
        lines.push(Line {
            lead,
            assign,
            comment,
            net_brackets: s.net_brackets,
            ..Line::default()
        });
    }
    indent(&mut lines);
    align(&mut lines);
    render(&lines)
}

/// `formatIndent`: two spaces per open bracket level; a line that closes brackets is dedented first.
fn indent(lines: &mut [Line]) {
    let mut stack: Vec<i32> = Vec::new();
    for line in lines.iter_mut().filter(|l| !l.verbatim) {
        if line.lead.is_empty() && line.assign.is_none() {
            continue;
        }
        let net = line.net_brackets;
        match net.cmp(&0) {
            std::cmp::Ordering::Greater => {
                line.indent = 2 * stack.len();
                stack.push(net);
            }
            std::cmp::Ordering::Less => {
                let mut closing = -net;
                while closing > 0 {
                    let Some(top) = stack.last_mut() else { break };
                    if *top > closing {
                        *top -= closing;
                        closing = 0;
                    } else {
                        closing -= *top;
                        stack.pop();
                    }
                }
                line.indent = 2 * stack.len();
            }
            std::cmp::Ordering::Equal => line.indent = 2 * stack.len(),
        }
    }
}

/// `formatCells`, first half: aligns `=` over runs of consecutive one-line assignments (trailing
/// comments are aligned by `render`, once the code columns are known).
fn align(lines: &mut [Line]) {
    for run in runs(lines, |l| l.assign.is_some()) {
        let max = run.iter().map(|&i| lines[i].lead_columns()).max().unwrap_or(0);
        for i in run {
            lines[i].pad = max - lines[i].lead_columns();
        }
    }
}

/// Maximal runs of consecutive lines for which `f` holds, as line indexes. Heredoc lines belong to
/// the line that opened them (hclwrite sees one line): they neither join nor break a run.
fn runs(lines: &[Line], f: impl Fn(&Line) -> bool) -> Vec<Vec<usize>> {
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if line.verbatim {
            continue;
        }
        if f(line) {
            current.push(i);
        } else if !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

fn render(lines: &[Line]) -> String {
    // The width of a line's code, in characters, as written below.
    let width = |l: &Line| {
        if l.verbatim {
            return l.lead.chars().count();
        }
        let assign = l
            .assign
            .map_or(0, |a| l.pad + 2 + if a.is_empty() { 0 } else { 1 + a.chars().count() });
        l.indent + l.lead.chars().count() + assign
    };
    let mut comment_pad = vec![0usize; lines.len()];
    for run in runs(lines, |l| l.comment.is_some()) {
        let max = run.iter().map(|&i| width(&lines[i])).max().unwrap_or(0);
        for i in run {
            comment_pad[i] = max - width(&lines[i]);
        }
    }
    let spaces = |out: &mut String, n: usize| out.extend(std::iter::repeat_n(' ', n));
    let mut out = String::with_capacity(lines.iter().map(|l| l.lead.len() + 16).sum());
    for (i, l) in lines.iter().enumerate() {
        if l.verbatim {
            out.push_str(l.lead);
            out.push('\n');
            continue;
        }
        let start = out.len();
        spaces(&mut out, l.indent);
        out.push_str(l.lead);
        if let Some(a) = l.assign {
            spaces(&mut out, l.pad + 1);
            out.push('=');
            if !a.is_empty() {
                out.push(' ');
                out.push_str(a);
            }
        }
        if let Some(c) = l.comment {
            spaces(&mut out, comment_pad[i] + 1);
            out.push_str(c);
        }
        let kept = out[start..].trim_end().len();
        out.truncate(start + kept);
        out.push('\n');
    }
    out
}

/// rediform's own tidying on top of `terraform fmt` (which keeps blank lines as they are): no blank
/// line at the start, one at most between two lines, one newline at the end. Heredocs are kept.
pub fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut heredoc: Option<String> = None;
    let mut blank = false;
    for line in text.lines() {
        if let Some(marker) = &heredoc {
            if line.trim() == marker {
                heredoc = None;
            }
        } else if line.trim().is_empty() {
            blank = !out.is_empty();
            continue;
        } else if line.contains("<<") {
            heredoc = scan(line.trim()).heredoc;
        }
        if blank {
            out.push('\n');
            blank = false;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn formats(before: &str, after: &str) {
        assert_eq!(format(before), after);
        assert_eq!(format(after), after, "not idempotent");
    }

    #[test]
    fn aligns_equals_over_a_run_and_restarts_after_a_blank_line() {
        formats(
            "resource \"a\" \"b\" {\n  name = \"x\"\n  description = \"y\"\n\n  tags = var.tags\n}\n",
            "resource \"a\" \"b\" {\n  name        = \"x\"\n  description = \"y\"\n\n  tags = var.tags\n}\n",
        );
    }

    #[test]
    fn a_multi_line_value_ends_the_run_and_its_items_align_among_themselves() {
        formats(
            "x {\n  a = 1\n  policy = jsonencode({\n    Version = \"1\"\n    Statement = []\n  })\n  bb = 2\n}\n",
            "x {\n  a = 1\n  policy = jsonencode({\n    Version   = \"1\"\n    Statement = []\n  })\n  bb = 2\n}\n",
        );
    }

    #[test]
    fn reindents_by_bracket_depth() {
        formats(
            "a {\nb {\n        c = [\n1,\n]\n}\n}\n",
            "a {\n  b {\n    c = [\n      1,\n    ]\n  }\n}\n",
        );
    }

    #[test]
    fn operators_and_strings_are_not_assignments() {
        formats(
            "v {\n  condition = var.a == \"x=y\" || var.b >= 2\n  e = \"${a}=${b}\"\n}\n",
            "v {\n  condition = var.a == \"x=y\" || var.b >= 2\n  e         = \"${a}=${b}\"\n}\n",
        );
    }

    #[test]
    fn an_object_item_on_one_line_counts_its_first_equals_only() {
        formats(
            "s {\n  Principal = { AWS = \"x\" }\n  Action = \"kms:*\"\n}\n",
            "s {\n  Principal = { AWS = \"x\" }\n  Action    = \"kms:*\"\n}\n",
        );
    }

    #[test]
    fn comments_stay_and_trailing_comments_align() {
        formats(
            "# head\n\na {\n  # about b\n  b = 1 # one\n  ccc = 22 # two\n}\n",
            "# head\n\na {\n  # about b\n  b   = 1  # one\n  ccc = 22 # two\n}\n",
        );
    }

    #[test]
    fn heredocs_are_left_alone() {
        // terraform fmt: the heredoc belongs to the line that opens it, so `t` still aligns with `s`.
        formats(
            "a {\n  longer = 1\n  s = <<-EOT\n      keep  =   this\n    EOT\n  t = 1\n}\n",
            "a {\n  longer = 1\n  s      = <<-EOT\n      keep  =   this\n    EOT\n  t      = 1\n}\n",
        );
    }

    #[test]
    fn tidy_collapses_blank_lines_but_not_in_heredocs() {
        assert_eq!(tidy("\n\na = 1\n\n\n\nb = 2\n\n\n"), "a = 1\n\nb = 2\n");
        let heredoc = "s = <<EOT\n\n\nx\nEOT\n";
        assert_eq!(tidy(heredoc), heredoc);
    }

    #[test]
    fn canonicalize_rejects_invalid_hcl_and_names_the_line() {
        let err = canonicalize("main.tf", "a {\n  b = \n}\n").unwrap_err();
        assert!(matches!(err, HclError::Parse { line: 2 | 3, .. }), "{err}");
        assert_eq!(canonicalize("README.md", "a {").unwrap(), "a {");
    }
}
