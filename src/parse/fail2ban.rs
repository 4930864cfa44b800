//! parse::fail2ban: one fail2ban configuration file (grammar/fail2ban.pest) as Python's
//! `configparser` reads it for fail2ban: sections, `key = value` / `key: value` options with
//! lowercased keys, indented continuation lines, comments, and the strict-mode errors.
//!
//! Lines of ASCII text, nearly all of them, are read by a hand-written reader that agrees with the
//! grammar on every ASCII line (a property test compares the two); the grammar reads the rest.
//!
//! This module sees one file. Merging files, `[INCLUDES]`, interpolation and jails belong to
//! `model::fail2ban`. Behaviour follows `configparser.RawConfigParser._read()` (Python 3.11)
//! with fail2ban's options (`inline_comment_prefixes=";"`, configparserinc.py): every error
//! here is fatal for fail2ban (`fail2ban-client` exits 255).

use crate::source::{FileId, Span};
use pest::Parser;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/fail2ban.pest"]
struct IniGrammar;

/// One line's share of a value: the stripped text and its bytes in the file. A multi-line value
/// is its pieces joined with `\n`; a blank line inside the value is an empty piece.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Piece {
    pub text: String,
    pub span: Span,
}

/// `key = value` with its continuation lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IniOption {
    /// Lowercased (`optionxform`).
    pub key: String,
    pub key_span: Span,
    /// The first line of the option, from the key to the end of its value.
    pub span: Span,
    pub pieces: Vec<Piece>,
}

impl IniOption {
    /// The value as configparser stores it: pieces joined with `\n`, trailing blanks removed.
    pub fn value(&self) -> String {
        self.trimmed_pieces()
            .iter()
            .map(|p| p.text.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The pieces without trailing empty ones (what `rstrip()` of the joined value leaves).
    pub fn trimmed_pieces(&self) -> &[Piece] {
        let keep = self
            .pieces
            .iter()
            .rposition(|p| !p.text.is_empty())
            .map_or(0, |i| i + 1);
        &self.pieces[..keep]
    }
}

/// A `[name]` section (all `[DEFAULT]` blocks of one file are one section, as in configparser).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IniSection {
    /// Case-sensitive, as written between the brackets.
    pub name: String,
    /// The `[name]` text of the first header.
    pub header_span: Span,
    pub options: Vec<IniOption>,
}

impl IniSection {
    pub fn get(&self, key: &str) -> Option<&IniOption> {
        self.options.iter().find(|o| o.key == key)
    }
}

/// A fatal error: configparser raises it and fail2ban refuses the whole configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IniError {
    /// The exception text without the `While reading from '…' [line N]: ` prefix.
    pub message: String,
    pub span: Span,
}

/// One parsed file. Sections are in the order of their first header; `DEFAULT` is one of them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IniFile {
    pub sections: Vec<IniSection>,
    /// The first fatal error, if any. configparser stops at duplicates and at a missing section
    /// header; for unparsable lines it reads on and raises at the end (the first one is kept).
    pub error: Option<IniError>,
    /// Section name → index, built on the first lookup (files with thousands of jails).
    index: std::sync::OnceLock<std::collections::HashMap<String, usize>>,
}

impl IniFile {
    /// The same parse for the same text stored as another file (spans moved to `file`).
    pub fn with_file(&self, file: FileId) -> IniFile {
        let mut out = self.clone();
        if let Some(e) = &mut out.error {
            e.span.file = file;
        }
        for section in &mut out.sections {
            section.header_span.file = file;
            for option in &mut section.options {
                option.key_span.file = file;
                option.span.file = file;
                for piece in &mut option.pieces {
                    piece.span.file = file;
                }
            }
        }
        out
    }

    pub fn section(&self, name: &str) -> Option<&IniSection> {
        let index = self.index.get_or_init(|| {
            let mut index = std::collections::HashMap::new();
            for (i, section) in self.sections.iter().enumerate() {
                index.entry(section.name.clone()).or_insert(i);
            }
            index
        });
        self.sections.get(*index.get(name)?)
    }
}

/// What the grammar makes of one physical line.
#[derive(Debug, PartialEq, Eq)]
enum Line {
    /// A comment line or a blank line (`blank` when there is no comment at all).
    Empty { blank: bool },
    /// Stripped content: its start offset in the line, its text, its indent in characters.
    Content {
        start: usize,
        text: String,
        indent: usize,
    },
}

/// Parses one file's text.
pub fn parse(file: FileId, text: &str) -> IniFile {
    let mut reader = Reader {
        file,
        out: IniFile::default(),
        current: None,
        option: None,
        indent_level: 0,
        keys: Vec::new(),
        section_index: Default::default(),
    };
    for (start, end) in physical_lines(text) {
        if reader.line(start, &text[start..end]).is_err() {
            break;
        }
    }
    reader.out
}

struct Reader {
    file: FileId,
    out: IniFile,
    /// Index of the current section in `out.sections`.
    current: Option<usize>,
    /// Index of the current option in the current section (None right after a header).
    option: Option<usize>,
    indent_level: usize,
    /// Per section of `out`, its option names: a duplicate is found without a scan (a section
    /// of 200,000 options took minutes).
    keys: Vec<std::collections::HashSet<String>>,
    /// Section name → index in `out.sections`.
    section_index: std::collections::HashMap<String, usize>,
}

/// Raised to stop reading (configparser raises at once for these errors).
struct Stop;

impl Reader {
    fn line(&mut self, base: usize, line: &str) -> Result<(), Stop> {
        match classify(line) {
            Line::Empty { blank } => {
                // empty_lines_in_values: a truly blank line becomes an empty piece.
                let at = Span::new(self.file, base, base);
                if let (true, Some(opt)) = (blank, self.current_option()) {
                    opt.pieces.push(Piece {
                        text: String::new(),
                        span: at,
                    });
                }
                Ok(())
            }
            Line::Content {
                start,
                text,
                indent,
            } => {
                let span = Span::new(self.file, base + start, base + start + text.len());
                if self.option.is_some() && indent > self.indent_level {
                    if let Some(opt) = self.current_option() {
                        opt.pieces.push(Piece { text, span });
                    }
                    return Ok(());
                }
                self.indent_level = indent;
                self.entry(base + start, &text)
            }
        }
    }

    fn current_option(&mut self) -> Option<&mut IniOption> {
        let section = self.out.sections.get_mut(self.current?)?;
        section.options.get_mut(self.option?)
    }

    /// A line that is not a continuation: a header, an option, or an error.
    fn entry(&mut self, at: usize, text: &str) -> Result<(), Stop> {
        let span = |s: usize, e: usize| Span::new(self.file, at + s, at + e);
        match entry_of(text) {
            Entry::Header { name_end } => {
                let name = &text[1..name_end];
                self.header(name, span(0, name_end + 1))
            }
            Entry::Option { .. } | Entry::Junk if self.current.is_none() => self.error(
                "File contains no section headers.".into(),
                span(0, text.len()),
            ),
            Entry::Option {
                key_end,
                value_start,
            } => {
                let option = IniOption {
                    key: text[..key_end].to_lowercase(),
                    key_span: span(0, key_end),
                    span: span(0, text.len()),
                    pieces: vec![Piece {
                        text: text[value_start..].to_string(),
                        span: span(value_start, text.len()),
                    }],
                };
                self.option(option)
            }
            Entry::Junk => {
                // configparser reads on and raises ParsingError at the end of the file.
                self.option = None;
                if self.out.error.is_none() {
                    self.out.error = Some(IniError {
                        message: format!("Source contains parsing errors: {}", py_repr(text)),
                        span: span(0, text.len()),
                    });
                }
                Ok(())
            }
        }
    }

    fn header(&mut self, name: &str, span: Span) -> Result<(), Stop> {
        self.option = None;
        if let Some(&i) = self.section_index.get(name) {
            if name != "DEFAULT" {
                return self.error(format!("section {} already exists", py_repr(name)), span);
            }
            self.current = Some(i);
            return Ok(());
        }
        self.out.sections.push(IniSection {
            name: name.to_string(),
            header_span: span,
            options: Vec::new(),
        });
        self.keys.push(Default::default());
        self.section_index
            .insert(name.to_string(), self.out.sections.len() - 1);
        self.current = Some(self.out.sections.len() - 1);
        Ok(())
    }

    fn option(&mut self, option: IniOption) -> Result<(), Stop> {
        let Some(index) = self.current else {
            return Err(Stop);
        };
        let (Some(section), Some(keys)) =
            (self.out.sections.get_mut(index), self.keys.get_mut(index))
        else {
            return Err(Stop);
        };
        if option.key.is_empty() {
            if self.out.error.is_none() {
                self.out.error = Some(IniError {
                    message: "Source contains parsing errors: an option without a name".into(),
                    span: option.span,
                });
            }
        } else if !keys.insert(option.key.clone()) {
            let message = format!(
                "option {} in section {} already exists",
                py_repr(&option.key),
                py_repr(&section.name)
            );
            return self.error(message, option.key_span);
        }
        section.options.push(option);
        self.option = Some(section.options.len() - 1);
        Ok(())
    }

    fn error(&mut self, message: String, span: Span) -> Result<(), Stop> {
        self.out.error = Some(IniError { message, span });
        Err(Stop)
    }
}

/// Classifies a physical line: ASCII lines (nearly all) by hand, the rest by the grammar; the
/// two agree on every ASCII line (see the tests).
fn classify(line: &str) -> Line {
    if line.is_ascii() {
        classify_ascii(line)
    } else {
        classify_grammar(line)
    }
}

/// [`classify_grammar`] for an ASCII line, without the grammar's per-character machinery.
fn classify_ascii(line: &str) -> Line {
    let bytes = line.as_bytes();
    let ws = |b: u8| is_py_space(char::from(b));
    let indent_end = bytes.iter().position(|&b| !ws(b)).unwrap_or(bytes.len());
    if matches!(bytes.get(indent_end), Some(b'#' | b';')) {
        return Line::Empty { blank: false };
    }
    // The content ends at the first blank that is followed by `;`.
    let comment =
        (indent_end..bytes.len().saturating_sub(1)).find(|&i| ws(bytes[i]) && bytes[i + 1] == b';');
    let content = &line[indent_end..comment.unwrap_or(bytes.len())];
    let text = content.trim_end_matches(is_py_space);
    if text.is_empty() {
        return Line::Empty {
            blank: comment.is_none(),
        };
    }
    Line::Content {
        start: indent_end,
        text: text.to_string(),
        indent: indent_end,
    }
}

/// Classifies a physical line with the grammar.
fn classify_grammar(line: &str) -> Line {
    let Some(pair) = IniGrammar::parse(Rule::physical_line, line)
        .ok()
        .and_then(|mut p| p.next())
        .and_then(|p| p.into_inner().next())
    else {
        // The grammar accepts every line; stay total anyway.
        return Line::Empty { blank: false };
    };
    if pair.as_rule() == Rule::comment_line {
        return Line::Empty { blank: false };
    }
    let mut has_comment = false;
    let mut content = ("", 0);
    for p in pair.into_inner() {
        match p.as_rule() {
            Rule::content => content = (p.as_str(), p.as_span().start()),
            Rule::inline_comment => has_comment = true,
            _ => {}
        }
    }
    let trimmed = content.0.trim_start_matches(is_py_space);
    let start = content.1 + (content.0.len() - trimmed.len());
    let trimmed = trimmed.trim_end_matches(is_py_space);
    if trimmed.is_empty() {
        return Line::Empty {
            blank: !has_comment,
        };
    }
    Line::Content {
        start,
        text: trimmed.to_string(),
        indent: line[..start].chars().count(),
    }
}

/// What the grammar's `entry` makes of a line's stripped content (offsets into it).
#[derive(Debug, PartialEq, Eq)]
enum Entry {
    /// `[name]…`: the name runs from 1 to `name_end`, where the last `]` is.
    Header { name_end: usize },
    /// `key = value`: the key is `..key_end`, the value `value_start..`.
    Option { key_end: usize, value_start: usize },
    /// Neither.
    Junk,
}

/// Classifies stripped content: ASCII by hand, the rest by the grammar (they agree on ASCII).
fn entry_of(text: &str) -> Entry {
    if text.is_ascii() {
        entry_ascii(text)
    } else {
        entry_grammar(text)
    }
}

/// [`entry_grammar`] for ASCII text: SECTCRE (greedy to the last `]`), then OPTCRE (the key
/// ends at the first `=` or `:`, blanks before and after the delimiter dropped).
fn entry_ascii(text: &str) -> Entry {
    let bytes = text.as_bytes();
    let ws = |b: u8| is_py_space(char::from(b));
    if bytes.first() == Some(&b'[') {
        if let Some(last) = text.rfind(']').filter(|&i| i > 1) {
            return Entry::Header { name_end: last };
        }
    }
    let Some(delimiter) = bytes.iter().position(|&b| b == b'=' || b == b':') else {
        return Entry::Junk;
    };
    let key_end = bytes[..delimiter]
        .iter()
        .rposition(|&b| !ws(b))
        .map_or(0, |i| i + 1);
    let value_start = bytes[delimiter + 1..]
        .iter()
        .position(|&b| !ws(b))
        .map_or(bytes.len(), |i| delimiter + 1 + i);
    Entry::Option {
        key_end,
        value_start,
    }
}

/// Classifies stripped content with the grammar.
fn entry_grammar(text: &str) -> Entry {
    let parsed = IniGrammar::parse(Rule::entry, text)
        .ok()
        .and_then(|mut p| p.next())
        .and_then(|p| p.into_inner().next());
    let Some(pair) = parsed else {
        return Entry::Junk;
    };
    match pair.as_rule() {
        Rule::header => {
            let name = pair.into_inner().next().map_or(0, |p| p.as_span().end());
            Entry::Header { name_end: name }
        }
        Rule::option => {
            let (mut key_end, mut value_start) = (0, text.len());
            for p in pair.into_inner() {
                match p.as_rule() {
                    Rule::key => key_end = p.as_span().end(),
                    Rule::value => value_start = p.as_span().start(),
                    _ => {}
                }
            }
            Entry::Option {
                key_end,
                value_start,
            }
        }
        _ => Entry::Junk,
    }
}

/// Python's `str.isspace()`.
pub fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

/// Line ranges under Python's universal newlines: `\n`, `\r\n` and `\r` end a line.
fn physical_lines(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                out.push((start, i));
                start = i + 1;
            }
            b'\r' => {
                out.push((start, i));
                if bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if start < bytes.len() {
        out.push((start, bytes.len()));
    }
    out
}

/// Python's `repr()` of a string, as configparser's messages quote names and values.
pub fn py_repr(text: &str) -> String {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> IniFile {
        parse(FileId(0), text)
    }

    fn value(f: &IniFile, sec: &str, key: &str) -> Option<String> {
        f.section(sec)?.get(key).map(|o| o.value())
    }

    #[test]
    fn sections_options_and_delimiters() {
        let f = p("[DEFAULT]\nIgnoreIP = 1.2.3.4\n[dovecot]\nenabled: true\nport=imap\n");
        assert_eq!(f.error, None);
        assert_eq!(value(&f, "DEFAULT", "ignoreip").as_deref(), Some("1.2.3.4"));
        assert_eq!(value(&f, "dovecot", "enabled").as_deref(), Some("true"));
        assert_eq!(value(&f, "dovecot", "port").as_deref(), Some("imap"));
    }

    #[test]
    fn comments_hash_never_inline_semicolon_after_blank() {
        let f = p("[a]\nx = 1.2.3.4 # home\ny = 10.0.0.0/24;office ; note\n; c\n# c\n");
        assert_eq!(value(&f, "a", "x").as_deref(), Some("1.2.3.4 # home"));
        assert_eq!(value(&f, "a", "y").as_deref(), Some("10.0.0.0/24;office"));
    }

    #[test]
    fn continuation_lines_any_indent_comment_lines_dropped() {
        let text = "[a]\nx = one\n\ttwo\n  # gone\n   three ; c\n\n  four\ny = z\n";
        let f = p(text);
        assert_eq!(
            value(&f, "a", "x").as_deref(),
            Some("one\ntwo\nthree\n\nfour")
        );
        let opt = f.section("a").unwrap().get("x").unwrap();
        let two = &opt.pieces[1];
        assert_eq!(&text[two.span.start()..two.span.end()], "two");
        assert_eq!(value(&f, "a", "y").as_deref(), Some("z"));
    }

    #[test]
    fn strict_mode_errors_use_configparser_wording() {
        let f = p("[dovecot]\nx = 1\n[dovecot]\n");
        assert_eq!(f.error.unwrap().message, "section 'dovecot' already exists");
        let f = p("[DEFAULT]\nignoreip = 1\n[DEFAULT]\nIgnoreIP = 2\n");
        assert_eq!(
            f.error.unwrap().message,
            "option 'ignoreip' in section 'DEFAULT' already exists"
        );
        assert!(p("x = 1\n").error.is_some());
        assert!(p("[a]\njunk\n").error.is_some());
    }

    #[test]
    fn header_is_greedy_to_last_bracket_and_case_sensitive() {
        let f = p("[a]]\n[default]\n[Dovecot] trailing\n");
        let names: Vec<_> = f.sections.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["a]", "default", "Dovecot"]);
    }

    #[test]
    fn empty_value_and_crlf() {
        let f = p("[dovecot]\r\nignoreip =\r\nx = 1\r");
        assert_eq!(value(&f, "dovecot", "ignoreip").as_deref(), Some(""));
        assert_eq!(value(&f, "dovecot", "x").as_deref(), Some("1"));
    }

    #[test]
    fn tab_inside_value_is_kept() {
        let f = p("[a]\nignoreip = 127.0.0.1/8\t203.0.113.7\n");
        assert_eq!(
            value(&f, "a", "ignoreip").as_deref(),
            Some("127.0.0.1/8\t203.0.113.7")
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(20_000))]
        /// The hand-written readers of ASCII lines say what the grammar says, on lines built
        /// from the characters that matter (blanks of every kind, brackets, delimiters, comment
        /// marks).
        #[test]
        fn ascii_fast_paths_agree_with_the_grammar(
            line in "[\\[\\]=:;# \t\x0b\x0c\r\x1c-\x1fab]{0,24}"
        ) {
            proptest::prop_assert_eq!(classify_ascii(&line), classify_grammar(&line));
            let text = line.trim_matches(is_py_space);
            proptest::prop_assert_eq!(entry_ascii(text), entry_grammar(text));
        }
    }

    proptest::proptest! {
        #[test]
        fn never_panics(text in "(\\PC|[\\[\\]=:;# \t\r\n])*") {
            let f = parse(FileId(0), &text);
            for s in &f.sections {
                for o in &s.options {
                    for piece in &o.pieces {
                        assert!(piece.span.end() <= text.len());
                        assert_eq!(&text[piece.span.start()..piece.span.end()], piece.text);
                    }
                }
            }
        }
    }
}
