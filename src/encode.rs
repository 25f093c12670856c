//! The encoders: the one way each kind of output receives a value (SPEC §9 "escaping", issue #10).
//!
//! A value from the workload file (or any other text) reaches a generated file only through one
//! of these, applied by the template engine to every `{{ ... }}` by default (`render` turns Tera's
//! autoescape on for every template, with the encoder of the file's language):
//!
//! - [`hcl_string`]: inside an HCL quoted string (every `.tf` file, `terraform.tfvars.example`);
//! - [`template_text`]: the literal text of a Terraform `templatefile` (`user_data.sh.tftpl`), where
//!   it only ever lands in shell comments;
//! - [`markdown_text`] and [`markdown_code`]: README text and code spans;
//! - [`hash_comment`] and [`html_comment`]: the generated header (the workload file's name);
//! - [`terminal`]: what `cli` prints, so that no raw ESC, BEL or NUL reaches a terminal.
//!
//! Pure functions of strings.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Characters that are shown as an escape wherever text is printed: control characters (C0, DEL,
/// C1), the Unicode line and paragraph separators, the bidirectional controls that can make a
/// line read differently from what it holds ("Trojan Source", CVE-2021-42574), and the
/// zero-width characters that make two different texts look the same.
pub fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}'
                | '\u{2029}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{061c}'
                | '\u{200b}'
                | '\u{200c}'
                | '\u{200d}'
                | '\u{2060}'
                | '\u{feff}'
        )
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
        // The soft hyphen, the invisible operators and deprecated format characters, the
        // interlinear annotation marks, the Mongolian vowel separator and the tag characters.
        || matches!(c, '\u{00ad}' | '\u{180e}')
        || ('\u{2061}'..='\u{2064}').contains(&c)
        || ('\u{206a}'..='\u{206f}').contains(&c)
        || ('\u{fff9}'..='\u{fffb}').contains(&c)
        || ('\u{e0000}'..='\u{e007f}').contains(&c)
        // The soft hyphen, the invisible operators and deprecated format characters, the
        // interlinear annotation marks, the Mongolian vowel separator and the tag characters.
        || matches!(c, '\u{00ad}' | '\u{180e}')
        || ('\u{2061}'..='\u{2064}').contains(&c)
        || ('\u{206a}'..='\u{206f}').contains(&c)
        || ('\u{fff9}'..='\u{fffb}').contains(&c)
        || ('\u{e0000}'..='\u{e007f}').contains(&c)
}

/// `\uXXXX`: the escape HCL, JSON and the terminal all read the same way; past the Basic
/// Multilingual Plane (the tag characters), HCL's `\UXXXXXXXX`, since `\u` takes four digits.
fn push_unicode_escape(out: &mut String, c: char) {
    if u32::from(c) > 0xffff {
        let _ = write!(out, "\\U{:08x}", u32::from(c));
    } else {
        let _ = write!(out, "\\u{:04x}", u32::from(c));
    }
}

/// The text as the body of an HCL quoted string ("..."): `"` and `\` escaped, control and hidden
/// characters as `\n`, `\r`, `\t` or `\uXXXX`, and the template sequences `${` and `%{` doubled to
/// `$${` and `%%{` so Terraform prints them instead of interpolating (HCL native syntax
/// specification, "Template Expressions" and "Escape Sequences"). Terraform reads the result back
/// as exactly the original text.
pub fn hcl_string(text: &str) -> String {
    template_escape(text, true)
}

/// The text as literal text of a Terraform template file (`templatefile`): `${` and `%{` doubled,
/// and, as the text only ever stands in a comment line of the script, every control or hidden
/// character (a line break above all) shown as `\uXXXX`, so it cannot start a command.
pub fn template_text(text: &str) -> String {
    template_escape(text, false)
}

/// Template sequences doubled and hidden characters as `\uXXXX`; `quoted` adds the escapes of an
/// HCL quoted string (`"`, `\`, and `\n`, `\r`, `\t` for the common controls).
fn template_escape(text: &str, quoted: bool) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted => out.push_str("\\\""),
            '\\' if quoted => out.push_str("\\\\"),
            '\n' if quoted => out.push_str("\\n"),
            '\r' if quoted => out.push_str("\\r"),
            '\t' if quoted => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if is_hidden(c) => push_unicode_escape(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// The text inside a `#` comment line: control and hidden characters shown as `\uXXXX` (a line
/// break cannot end the comment).
pub fn hash_comment(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_hidden(c) {
            push_unicode_escape(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// The text inside an HTML comment (`<!-- ... -->`, the header of a Markdown file): as
/// [`hash_comment`], and nothing can close the comment early: the second `-` of `--` becomes `\-`
/// and a `>` after `-` becomes `\>`.
pub fn html_comment(text: &str) -> String {
    let text = hash_comment(text);
    let mut out = String::with_capacity(text.len());
    let mut previous = '\0';
    for c in text.chars() {
        match c {
            '-' if previous == '-' => out.push_str("\\-"),
            '>' if previous == '-' => out.push_str("\\>"),
            c => out.push(c),
        }
        previous = c;
    }
    out
}

/// The text as inline Markdown (a paragraph or a table cell): one line, and nothing it holds can
/// open a link, an image, raw HTML, an entity, a code span, emphasis or a new table cell; at the
/// start of a line it cannot begin a heading, list, quote or rule. Characters are
/// backslash-escaped (`CommonMark` 0.31 §2.4: "Any ASCII punctuation character may be
/// backslash-escaped") only where they could mean markup, so the text stays readable in a diff:
/// `_` inside a word (`must_not_lose_writes`) cannot emphasize (§6.2) and stays as it is, and so
/// does `8.0` (a list marker needs a space after it, §5.2). Control and hidden characters become a
/// space.
pub fn markdown_text(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 8);
    let word = |i: Option<usize>| i.and_then(|i| chars.get(i)).is_some_and(|c| c.is_alphanumeric());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' | '`' | '*' | '[' | ']' | '|' | '&' | '~' => {
                out.push('\\');
                out.push(c);
            }
            // Raw HTML and autolinks open with `<` and a letter, `/`, `!` or `?` (§6.5, §6.6).
            '<' if chars
                .get(i + 1)
                .is_none_or(|n| n.is_ascii_alphabetic() || matches!(n, '/' | '!' | '?')) =>
            {
                out.push_str("\\<");
            }
            '_' if !(word(i.checked_sub(1)) && word(Some(i + 1))) => out.push_str("\\_"),
            '#' | '-' | '+' | '=' | '>' if i == 0 => {
                out.push('\\');
                out.push(c);
            }
            // Up to three spaces may come before a block marker, four make a code block (§4.1,
            // §4.4): a leading space or tab becomes its character reference, so the line starts
            // with text.
            c if i == 0 && (c == ' ' || is_hidden(c)) => out.push_str("&#32;"),
            '0'..='9' if i == 0 => {
                // An ordered-list marker: up to 9 digits, then `.` or `)`, then a space or the end.
                let digits = chars.iter().take_while(|d| d.is_ascii_digit()).count();
                out.extend(&chars[..digits]);
                i = digits;
                let marker = chars.get(i).is_some_and(|m| matches!(m, '.' | ')'))
                    && chars.get(i + 1).is_none_or(|n| n.is_whitespace() || is_hidden(*n));
                if marker {
                    out.push('\\');
                    out.push(chars[i]);
                    i += 1;
                }
                continue;
            }
            c if is_hidden(c) => out.push(' '),
            c => out.push(c),
        }
        i += 1;
    }
    out
}

/// The text as a complete Markdown code span: fenced by one backtick more than the longest run of
/// backticks in it (`CommonMark` 0.31 §6.1), padded with spaces where it starts or ends with one, on
/// one line.
pub fn markdown_code(text: &str) -> String {
    let text: String = text.chars().map(|c| if is_hidden(c) { ' ' } else { c }).collect();
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// The text as one word of a POSIX shell command line: as it is when it holds only characters no
/// shell treats specially, else in single quotes (a `'` inside written `'\''`). A word with a
/// control or hidden character (a line break, a bidi mark) is written `$'...'` with that
/// character as `\xNN` or `\uXXXX` (bash, zsh, ksh; POSIX 2024), so the printed command shows
/// and names the real file.
pub fn shell_word(text: &str) -> Cow<'_, str> {
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | ',' | ':' | '=' | '@' | '+');
    if !text.is_empty() && text.chars().all(plain) {
        return Cow::Borrowed(text);
    }
    if text.chars().any(is_hidden) {
        let mut out = String::from("$'");
        for c in text.chars() {
            match c {
                '\\' | '\'' => {
                    out.push('\\');
                    out.push(c);
                }
                c if is_hidden(c) && (c as u32) < 0x80 => {
                    let _ = write!(out, "\\x{:02x}", c as u32);
                }
                c if is_hidden(c) && (c as u32) <= 0xffff => {
                    let _ = write!(out, "\\u{:04x}", c as u32);
                }
                c if is_hidden(c) => {
                    let _ = write!(out, "\\U{:08x}", c as u32);
                }
                c => out.push(c),
            }
        }
        out.push('\'');
        return Cow::Owned(out);
    }
    Cow::Owned(format!("'{}'", text.replace('\'', "'\\''")))
}

/// A value in the boot script template (`.tftpl`): the script is both a Terraform template and
/// shell, and a template (a house override included) may put a value anywhere: in a comment, in
/// quotes, bare. Only letters, digits, spaces and `_.,:=+/@%-` are kept; any other character
/// becomes `_`, so no value can open a quote, a substitution, a command or a `${`/`%{` sequence.
/// The built-in script only interpolates the workload name (`[a-z0-9-]`) and numbers.
pub fn script_text(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, ' ' | '_' | '.' | ',' | ':' | '=' | '+' | '/' | '@' | '%' | '-')
            {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A path or name inside a line of rediform's output: every control and hidden character as
/// `\uXXXX`, line breaks and tabs included, so a name can never start a line of its own (the
/// same rule as inside a `#` comment line).
pub fn one_line(text: &str) -> Cow<'_, str> {
    hash_comment(text)
}

/// The text for a terminal: control and hidden characters as `\uXXXX`, except the line breaks
/// and tabs of rediform's own layout. JSON stays JSON: its strings never hold raw control
/// characters, and `\uXXXX` means the same character there.
pub fn terminal(text: &str) -> Cow<'_, str> {
    let keep = |c: char| c == '\n' || c == '\t' || !is_hidden(c);
    if text.chars().all(keep) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if keep(c) {
            out.push(c);
        } else {
            push_unicode_escape(&mut out, c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hcl_strings_escape_quotes_backslashes_controls_and_templates() {
        assert_eq!(hcl_string(r#"a "b" \ c"#), r#"a \"b\" \\ c"#);
        assert_eq!(hcl_string("x\ny\r\t"), r"x\ny\r\t");
        assert_eq!(hcl_string("${var.x} %{ if } $x %x"), "$${var.x} %%{ if } $x %x");
        assert_eq!(hcl_string("$${a}"), "$$${a}");
        assert_eq!(hcl_string("\u{1b}[31m\u{7}\0"), r"\u001b[31m\u0007\u0000");
        assert_eq!(hcl_string("\u{202e}abc"), r"\u202eabc");
        assert_eq!(hcl_string("ünïcödé ✓"), "ünïcödé ✓");
    }

    #[test]
    fn template_text_doubles_template_sequences_and_keeps_one_line() {
        assert_eq!(template_text("a ${b} %{c}\nrm -rf /"), "a $${b} %%{c}\\u000arm -rf /");
        assert_eq!(template_text("\"quoted\" \\"), "\"quoted\" \\");
    }

    #[test]
    fn comments_stay_one_line() {
        assert_eq!(hash_comment("w.toml"), "w.toml");
        assert_eq!(hash_comment("a\nresource x"), r"a\u000aresource x");
        assert_eq!(html_comment("a-->b"), r"a-\-\>b");
        assert_eq!(html_comment("a->b\n"), r"a-\>b\u000a");
    }

    #[test]
    fn markdown_text_cannot_open_markup() {
        assert_eq!(markdown_text("a | b"), r"a \| b");
        assert_eq!(markdown_text("<img src=x>"), r"\<img src=x>");
        assert_eq!(
            markdown_text("> quote, 2 < 3, a > b, <!--"),
            r"\> quote, 2 < 3, a > b, \<!--"
        );
        assert_eq!(markdown_text("[x](javascript:1)"), r"\[x\](javascript:1)");
        assert_eq!(markdown_text("# h\n- l"), r"\# h - l");
        assert_eq!(markdown_text("- item"), r"\- item");
        // Indented, a marker still opens a block (up to 3 spaces), or the line is code (4).
        assert_eq!(markdown_text("   # h"), r"&#32;  # h");
        assert_eq!(markdown_text("    code"), "&#32;   code");
        assert_eq!(markdown_text("\t> q"), "&#32;> q");
        assert_eq!(markdown_text("\u{1}   # h"), "&#32;   # h");
        assert_eq!(markdown_text("12. x 3. y"), r"12\. x 3. y");
        assert_eq!(markdown_text("8.0 and 15.79 GiB"), "8.0 and 15.79 GiB");
        assert_eq!(markdown_text("7)"), r"7\)");
        assert_eq!(markdown_text("snake_case `x`"), r"snake_case \`x\`");
        assert_eq!(markdown_text("_em_ a _b"), r"\_em\_ a \_b");
        assert_eq!(markdown_text("$1,234.50 - 2 #3"), "$1,234.50 - 2 #3");
    }

    #[test]
    fn code_spans_outlast_the_backticks_inside() {
        assert_eq!(markdown_code("a.toml"), "`a.toml`");
        assert_eq!(markdown_code("a`b"), "``a`b``");
        assert_eq!(markdown_code("`a``"), "``` `a`` ```");
        assert_eq!(markdown_code("a\nb"), "`a b`");
    }

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(shell_word("workloads/orders.toml"), "workloads/orders.toml");
        assert_eq!(shell_word("my file.toml"), "'my file.toml'");
        assert_eq!(shell_word("it's $(x).toml"), r"'it'\''s $(x).toml'");
        assert_eq!(shell_word(""), "''");
        // A control or bidi character: ANSI-C quoting, so the command names the real file.
        assert_eq!(shell_word("a\nb'c.toml"), r"$'a\x0ab\'c.toml'");
        assert_eq!(shell_word("x\u{202e}y"), r"$'x\u202ey'");
    }

    #[test]
    fn the_terminal_sees_no_raw_control_characters() {
        assert_eq!(terminal("ok\n\tline"), "ok\n\tline");
        assert_eq!(terminal("\u{1b}]0;pwned\u{7}"), r"\u001b]0;pwned\u0007");
        assert_eq!(terminal("a\rb\0"), r"a\u000db\u0000");
        // Invisible characters too; past U+FFFF in eight digits, as HCL reads them.
        assert_eq!(terminal("a\u{ad}b"), r"a\u00adb");
        assert_eq!(hcl_string("x\u{e0041}"), r"x\U000e0041");
    }
}
