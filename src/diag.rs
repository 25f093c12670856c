//! Diagnostics about an input file: which key, what is wrong, what to do instead.
//!
//! A [`Diagnostic`] names a dotted key (`traffic.average_ops_per_sec`) and may carry a byte span;
//! when it has none, [`Diagnostic::render`] finds the key in the source text, so the stages that
//! validate values need not know about spans. Rendering gives `file:line:col`, the source line and a
//! caret (the layout of just's `src/token.rs`). Pure: builds strings, prints nothing.

use std::fmt::Write as _;
use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// One problem with one input file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Dotted key path (`data.size_gb`); empty when the problem is the file as a whole.
    pub key: String,
    /// Byte range in the source, when the stage that found the problem knows it.
    pub span: Option<Range<usize>>,
    /// What is wrong, one sentence.
    pub message: String,
    /// What to do about it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A problem with `key` (a dotted path, or "" for the file).
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            key: key.into(),
            span: None,
            message: message.into(),
            help: None,
        }
    }

    /// Adds what the user can do.
    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Pins the problem to a byte range.
    #[must_use]
    pub fn at(mut self, span: Option<Range<usize>>) -> Self {
        self.span = span;
        self
    }

    /// `error[key]: message`, then ` --> file:line:col`, the source line, a caret line and the help.
    pub fn render(&self, file: &str, source: &str) -> String {
        let span = self.span.clone().or_else(|| locate(source, &self.key)).unwrap_or(0..0);
        let start = floor_char_boundary(source, span.start.min(source.len()));
        let (line, col) = line_col(source, start);
        let mut out = String::new();
        if self.key.is_empty() {
            let _ = writeln!(out, "error: {}", self.message);
        } else {
            let _ = writeln!(out, "error[{}]: {}", self.key, self.message);
        }
        let text = source.lines().nth(line - 1).unwrap_or("");
        let gutter = line.to_string().len();
        let pad = " ".repeat(gutter);
        let _ = writeln!(out, "{pad}--> {file}:{line}:{col}");
        if !text.is_empty() {
            let line_start = start + 1 - col_byte_offset(source, start);
            let line_end = line_start + text.len();
            let end = floor_char_boundary(source, span.end.clamp(start, line_end));
            let caret_width = source[start..end].chars().count().max(1);
            let _ = writeln!(out, "{pad} |");
            let _ = writeln!(out, "{line} | {text}");
            let _ = writeln!(out, "{pad} | {}{}", " ".repeat(col - 1), "^".repeat(caret_width));
        }
        if let Some(help) = &self.help {
            let _ = writeln!(out, "{pad} = help: {help}");
        }
        out
    }
}

/// Colours rendered diagnostics for a terminal (the words stay the same): `error` in bold red,
/// the gutter and location in blue, the caret in red, `help` in cyan. Only `cli` calls it, and
/// only when stderr is a terminal and `NO_COLOR` is not set.
pub fn colorize(text: &str) -> String {
    const RED: &str = "\x1b[1;31m";
    const BLUE: &str = "\x1b[1;34m";
    const CYAN: &str = "\x1b[1;36m";
    const RESET: &str = "\x1b[0m";
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.split_inclusive('\n') {
        let (body, newline) = line.strip_suffix('\n').map_or((line, ""), |b| (b, "\n"));
        if let Some(rest) = body.strip_prefix("error") {
            let (label, message) = rest.split_once(": ").map_or((rest, ""), |(l, m)| (l, m));
            let _ = write!(out, "{RED}error{label}{RESET}: {message}");
        } else if let Some((pad, rest)) = body.split_once(" = help: ") {
            let _ = write!(out, "{pad} {CYAN}= help:{RESET} {rest}");
        } else if let Some((pad, rest)) = body.split_once("--> ") {
            let _ = write!(out, "{pad}{BLUE}-->{RESET} {rest}");
        } else if let Some((gutter, rest)) = body.split_once(" | ").or_else(|| body.split_once(" |")) {
            if rest.trim_start().starts_with('^') {
                let _ = write!(out, "{BLUE}{gutter} |{RESET} {RED}{rest}{RESET}");
            } else if rest.is_empty() {
                let _ = write!(out, "{BLUE}{gutter} |{RESET}");
            } else {
                let _ = write!(out, "{BLUE}{gutter} |{RESET} {rest}");
            }
        } else {
            out.push_str(body);
        }
        out.push_str(newline);
    }
    out
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(source, offset.min(source.len()));
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}

/// Bytes from the start of the line to `offset`, plus one.
fn col_byte_offset(source: &str, offset: usize) -> usize {
    let offset = floor_char_boundary(source, offset.min(source.len()));
    let line_start = source[..offset].rfind('\n').map_or(0, |i| i + 1);
    offset - line_start + 1
}

fn floor_char_boundary(source: &str, mut offset: usize) -> usize {
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// The closest candidate to `word`, if it is close enough to be a likely typo (edit distance < 3,
/// as just's `src/justfile.rs` suggests recipes).
pub fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::levenshtein(&word.to_lowercase(), c), *c))
        .filter(|(d, _)| *d < 3)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// The span of the value at a dotted key path (or of the table header when the key is absent).
pub fn locate(source: &str, key: &str) -> Option<Range<usize>> {
    if key.is_empty() {
        return None;
    }
    let (root, _) = DeTable::parse_recoverable(source);
    let mut table = root.get_ref();
    let mut best = None;
    let parts: Vec<&str> = key.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        let Some((k, v)) = table.iter().find(|(k, _)| k.get_ref() == part) else {
            return best;
        };
        best = Some(k.span());
        if i + 1 == parts.len() {
            return Some(value_span(k, v));
        }
        match v.get_ref() {
            DeValue::Table(t) => table = t,
            _ => return Some(v.span()),
        }
    }
    best
}

/// The span of the key itself (not its value) at a dotted key path.
pub fn key_span(source: &str, key: &str) -> Option<Range<usize>> {
    let (root, _) = DeTable::parse_recoverable(source);
    let mut table = root.get_ref();
    let parts: Vec<&str> = key.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        let (k, v) = table.iter().find(|(k, _)| k.get_ref() == part)?;
        if i + 1 == parts.len() {
            return Some(k.span());
        }
        match v.get_ref() {
            DeValue::Table(t) => table = t,
            _ => return None,
        }
    }
    None
}

fn value_span(key: &Spanned<std::borrow::Cow<'_, str>>, value: &Spanned<DeValue<'_>>) -> Range<usize> {
    match value.get_ref() {
        // A table's own span can be its whole body; the header key reads better.
        DeValue::Table(_) => key.span(),
        _ => value.span(),
    }
}

/// The dotted path of the innermost key whose key or value span holds `offset`.
pub fn key_at(source: &str, offset: usize) -> Option<String> {
    let (root, _) = DeTable::parse_recoverable(source);
    find_key(root.get_ref(), offset).map(|path| path.join("."))
}

/// Searches every table: a table's own span covers only its `[header]`, not its keys.
fn find_key(table: &DeTable<'_>, offset: usize) -> Option<Vec<String>> {
    for (k, v) in table {
        if let DeValue::Table(t) = v.get_ref() {
            if let Some(mut inner) = find_key(t, offset) {
                inner.insert(0, k.get_ref().to_string());
                return Some(inner);
            }
        }
        let span = v.span();
        if k.span().contains(&offset) || span.contains(&offset) || span.end == offset {
            return Some(vec![k.get_ref().to_string()]);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = "[workload]\nname = \"a\"\n\n[traffic]\npeak_ops_per_sec = 10\n";

    #[test]
    fn colours_change_nothing_but_escape_codes() {
        let d = Diagnostic::new("traffic.pattern", "`stedy` is not valid")
            .at(Some(10..17))
            .help("did you mean `steady`? a | b");
        let plain = d.render("w.toml", "pattern = \"stedy\"\n");
        let coloured = colorize(&plain);
        assert_ne!(plain, coloured);
        let stripped: String = coloured
            .split("\x1b[")
            .enumerate()
            .map(|(i, part)| {
                if i == 0 {
                    part
                } else {
                    part.split_once('m').map_or(part, |(_, t)| t)
                }
            })
            .collect();
        assert_eq!(stripped, plain);
        assert!(
            coloured.contains("\x1b[1;36m= help:\x1b[0m did you mean `steady`? a | b"),
            "{coloured:?}"
        );
    }

    #[test]
    fn line_col_counts_lines_and_chars() {
        assert_eq!(line_col(SRC, 0), (1, 1));
        assert_eq!(line_col(SRC, SRC.find("name").unwrap()), (2, 1));
        assert_eq!(line_col(SRC, SRC.find("10").unwrap()), (5, 20));
        assert_eq!(line_col("é = 1\nx", 7), (2, 1));
    }

    #[test]
    fn locate_finds_values_and_tables() {
        let span = locate(SRC, "traffic.peak_ops_per_sec").unwrap();
        assert_eq!(&SRC[span], "10");
        let span = locate(SRC, "traffic").unwrap();
        assert_eq!(&SRC[span], "traffic");
        // An absent key points at its table.
        let span = locate(SRC, "traffic.pattern").unwrap();
        assert_eq!(&SRC[span], "traffic");
        assert_eq!(locate(SRC, "backup.window"), None);
    }

    #[test]
    fn key_at_names_the_innermost_key() {
        assert_eq!(
            key_at(SRC, SRC.find("10").unwrap()).as_deref(),
            Some("traffic.peak_ops_per_sec")
        );
        assert_eq!(key_at(SRC, SRC.find("name").unwrap()).as_deref(), Some("workload.name"));
    }

    #[test]
    fn did_you_mean_keeps_close_names_only() {
        assert_eq!(did_you_mean("trafic", &["workload", "traffic"]), Some("traffic"));
        assert_eq!(did_you_mean("Steady", &["steady", "bursty"]), Some("steady"));
        assert_eq!(did_you_mean("zzzzzz", &["steady", "bursty"]), None);
    }

    #[test]
    fn render_shows_location_caret_and_help() {
        let d = Diagnostic::new("traffic.peak_ops_per_sec", "must be above 0").help("set it");
        let out = d.render("w.toml", SRC);
        assert_eq!(
            out,
            "error[traffic.peak_ops_per_sec]: must be above 0\n --> w.toml:5:20\n  |\n5 | peak_ops_per_sec = 10\n  |                    ^^\n  = help: set it\n"
        );
    }
}
