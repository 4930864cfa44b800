//! parse::dovecot: dovecot.conf text → the logical lines Dovecot would see, with spans.
//!
//! Reads a file and its `!include`s the way `config_parse_file()` does: physical lines split into
//! content and comment by `grammar/dovecot.pest` (`physical_line`), `\` continuations joined,
//! every logical line classified by the grammar (`logical_line_23`/`_24`) into a [`LineKind`].
//! Includes are expanded in place (glob with braces, relative to the including file, sorted,
//! recursion detected). Lexical pitfalls that Dovecot passes silently (a dropped continuation,
//! an ambiguous `#`) are recorded as [`Note`]s for the rules. What the lines *mean* (sections,
//! settings, filters) is the model's job.

use crate::model::dovecot::DovecotVersion;
pub use crate::source::read_source;
use crate::source::{FileId, SourceDb, Span};
use compact_str::CompactString;
use pest::iterators::Pair;
use pest::Parser;
use std::path::{Path, PathBuf};

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/dovecot.pest"]
struct Grammar;

/// Includes nested deeper than this are reported instead of followed.
const MAX_INCLUDE_DEPTH: usize = 64;
/// More files than this in one configuration are reported instead of read.
const MAX_FILES: usize = 10_000;
/// An include pattern with more `{…}` alternatives than this is reported, not expanded.
const MAX_BRACE_ALTERNATIVES: usize = 1024;

/// A piece of text from the file: its meaning (unescaped) and where it was written. Keys and
/// most values are short: `CompactString` keeps up to 24 bytes inline, without an allocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Text {
    pub text: CompactString,
    pub span: Span,
}

/// How a value was written (Dovecot's line types KEYVALUE, KEYFILE, KEYVARIABLE).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueKind {
    /// Literal text, possibly empty.
    Plain,
    /// `"…"` or `'…'`: quotes stripped and escapes processed.
    Quoted,
    /// `<path`: the value is the file's content; `text` is the path.
    File,
    /// Unquoted text containing `$`: expanded token by token.
    Variable,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Value {
    pub kind: ValueKind,
    /// The value after unescaping (`Quoted`), the path (`File`), or as written.
    pub text: CompactString,
    /// The value as written, quotes included.
    pub span: Span,
    /// 2.4: the first escape sequence Dovecot refuses (`Unknown escape sequence \n`).
    pub bad_escape: Option<Box<Text>>,
}

/// One logical line, classified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LineKind {
    /// `key = value`.
    KeyValue { key: Text, value: Value },
    /// `keyword [name] {`.
    SectionBegin { keyword: Text, name: Option<Text> },
    /// `}`.
    SectionEnd,
    /// 2.4 `group @label name {`.
    GroupBegin { label: Text, name: Text },
    /// `!include` / `!include_try`; the included files' lines follow this one.
    Include { path: Text, try_only: bool },
    /// Dovecot refuses this line; the message is doveconf's own.
    Error { message: String },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub kind: LineKind,
    /// The logical line's content, first to last character (may span physical lines).
    pub span: Span,
    /// The content on the last physical line: where doveconf reports errors.
    pub report_span: Span,
}

/// Something Dovecot accepts silently but that probably does not mean what was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Note {
    /// `#` with no blank before it: Dovecot warns and treats it as a comment.
    AmbiguousComment { hash: Span },
    /// An unterminated quote (often an apostrophe) keeps a later ` #` in the value.
    QuoteHidesComment { quote: Span, hash: Span },
    /// A `\` continuation followed by a blank line, a comment line or the end of the file:
    /// Dovecot discards the pending text.
    ContinuationDropped {
        backslash: Span,
        pending: Span,
        by: Option<Span>,
    },
    /// A UTF-8 byte order mark, which Dovecot reads as part of the first key.
    ByteOrderMark { span: Span },
    /// An include of a rendered host that matches no file the repository produces: the target
    /// is assumed to hold the distribution's stock files there.
    IncludeNotRendered { span: Span, pattern: String },
}

/// The files one host would have, as rendered from an Ansible repository: destination path →
/// the rendered text's file in the `SourceDb`. Includes resolve against these, not the disk.
#[derive(Clone, Debug, Default)]
pub struct VirtualFs {
    pub files: Vec<(PathBuf, FileId)>,
}

impl VirtualFs {
    fn dest_of(&self, file: FileId) -> Option<&Path> {
        self.files
            .iter()
            .find(|(_, id)| *id == file)
            .map(|(p, _)| p.as_path())
    }

    /// Files matching a glob pattern, sorted by path.
    fn matching(&self, pattern: &str) -> Vec<(PathBuf, FileId)> {
        let options = glob::MatchOptions {
            case_sensitive: true,
            require_literal_separator: true,
            require_literal_leading_dot: true,
        };
        let mut out: Vec<(PathBuf, FileId)> = match glob::Pattern::new(pattern) {
            Ok(p) => self
                .files
                .iter()
                .filter(|(path, _)| p.matches_path_with(path, options))
                .cloned()
                .collect(),
            Err(_) => self
                .files
                .iter()
                .filter(|(path, _)| path.as_os_str() == pattern)
                .cloned()
                .collect(),
        };
        out.sort();
        out
    }
}

/// A dovecot.conf and everything it includes, as lines in processing order.
#[derive(Debug)]
pub struct Document {
    pub version: DovecotVersion,
    /// The top file first, then included files in the order they were read.
    pub files: Vec<FileId>,
    pub lines: Vec<Line>,
    pub notes: Vec<Note>,
}

impl Document {
    pub fn root(&self) -> FileId {
        self.files[0]
    }
}

/// Parses a file already in `db` (and reads its includes from disk).
pub fn parse_loaded(db: &mut SourceDb, root: FileId, version: DovecotVersion) -> Document {
    parse_with(Files::Disk(db), root, version)
}

/// Parses a rendered file whose includes resolve against the host's rendered files. It only
/// reads `db`, so hosts can be parsed side by side.
pub fn parse_virtual(
    db: &SourceDb,
    root: FileId,
    version: DovecotVersion,
    vfs: &VirtualFs,
) -> Document {
    parse_with(Files::Rendered(db, vfs), root, version)
}

/// Where a parse finds its files. From the disk, includes are read into the database as they
/// are met; a rendered host's includes are among its rendered files, already in the database.
enum Files<'a> {
    Disk(&'a mut SourceDb),
    Rendered(&'a SourceDb, &'a VirtualFs),
}

impl<'a> Files<'a> {
    fn db(&self) -> &SourceDb {
        match self {
            Files::Disk(db) => db,
            Files::Rendered(db, _) => db,
        }
    }

    fn vfs(&self) -> Option<&'a VirtualFs> {
        match self {
            Files::Disk(_) => None,
            Files::Rendered(_, vfs) => Some(vfs),
        }
    }
}

fn parse_with(mut files: Files<'_>, root: FileId, version: DovecotVersion) -> Document {
    let doc = Document {
        version,
        files: vec![root],
        lines: Vec::new(),
        notes: Vec::new(),
    };
    let mut reader = Reader {
        stack: vec![canonical(files.db().file(root).path())],
        doc,
        pending: Pending::default(),
    };
    parse_into(&mut files, root, &mut reader);
    let Reader {
        mut doc, pending, ..
    } = reader;
    if let Some(backslash) = pending.backslash {
        doc.notes.push(Note::ContinuationDropped {
            backslash,
            pending: Span::new(
                backslash.file,
                pending.start_in(backslash.file, backslash.start()),
                backslash.end(),
            ),
            by: None,
        });
    }
    doc
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// A logical line being assembled from `\`-continued physical lines.
#[derive(Default)]
struct Pending {
    /// Joined content, one space after each continued piece (as Dovecot appends).
    text: String,
    /// The same, from the grammar's view of the text.
    grammar: String,
    /// (offset in `text`, file, offset in the file, length) of each piece. Pieces may come from
    /// different files: Dovecot keeps the pending text when an included file ends.
    pieces: Vec<(usize, FileId, usize, usize)>,
    backslash: Option<Span>,
}

impl Pending {
    fn push(&mut self, file: FileId, file_start: usize, text: &str, grammar: &str) {
        self.pieces
            .push((self.text.len(), file, file_start, text.len()));
        self.text.push_str(text);
        self.grammar.push_str(grammar);
    }

    /// File offset of a text offset, in the file of the last piece (spans stay in one file:
    /// text from an earlier file maps to the start of the last piece).
    fn to_file(&self, offset: usize) -> usize {
        let (_, last_file, last_start, _) = *self.pieces.last().expect("a piece");
        let i = self.pieces.partition_point(|&(start, ..)| start <= offset) - 1;
        let (start, file, file_start, len) = self.pieces[i];
        if file == last_file {
            file_start + (offset - start).min(len)
        } else {
            last_start
        }
    }

    /// Where the pending text starts, in the file of `file` (or at `fallback`).
    fn start_in(&self, file: FileId, fallback: usize) -> usize {
        match self.pieces.first() {
            Some(&(_, f, start, _)) if f == file => start,
            _ => fallback,
        }
    }
}

/// What the reader carries from line to line and file to file.
struct Reader {
    doc: Document,
    stack: Vec<PathBuf>,
    pending: Pending,
}

fn parse_into(files: &mut Files<'_>, file: FileId, r: &mut Reader) {
    let text = files.db().file(file).shared_text();
    let version = r.doc.version;
    let grammar_text = grammar_input(&text, version);
    if text.starts_with('\u{feff}') {
        r.doc.notes.push(Note::ByteOrderMark {
            span: Span::new(file, 0, 3),
        });
    }
    // One logical line per physical line at most: reserve once instead of regrowing a large Vec.
    r.doc
        .lines
        .reserve(text.bytes().filter(|&b| b == b'\n').count() + 1);
    let mut start = 0;
    while start < text.len() {
        let newline = text[start..].find('\n').map(|i| start + i);
        let mut end = newline.unwrap_or(text.len());
        if newline.is_some() && end > start && text.as_bytes()[end - 1] == b'\r' {
            end -= 1;
        }
        let next = newline.map_or(text.len(), |n| n + 1);
        let physical = physical_parts(&grammar_text[start..end], start);
        let Some(content) = physical.content else {
            // Blank or comment-only: Dovecot discards a pending continuation here.
            if let Some(backslash) = r.pending.backslash.take() {
                let by = physical.comment.unwrap_or(Range { start, end });
                r.doc.notes.push(Note::ContinuationDropped {
                    backslash,
                    pending: Span::new(
                        backslash.file,
                        r.pending.start_in(backslash.file, backslash.start()),
                        backslash.end(),
                    ),
                    by: Some(Span::new(file, by.start, by.end)),
                });
            }
            r.pending = Pending::default();
            start = next;
            continue;
        };
        note_comment(
            &mut r.doc,
            file,
            &grammar_text,
            &physical,
            content,
            physical.comment,
        );
        let piece = &text[content.start..content.end];
        let grammar_piece = &grammar_text[content.start..content.end];
        if let Some(stripped) = piece.strip_suffix('\\') {
            let kept = stripped.trim_end_matches(|c| is_blank(c, version)).len();
            // A line that is only `\` adds nothing, not even the joining space (doveconf 2.3.19).
            if kept > 0 {
                r.pending
                    .push(file, content.start, &piece[..kept], &grammar_piece[..kept]);
                r.pending.text.push(' ');
                r.pending.grammar.push(' ');
            }
            r.pending.backslash = Some(Span::new(file, content.end - 1, content.end));
            start = next;
            continue;
        }
        let line = if r.pending.pieces.is_empty() {
            let to_file = |o| content.start + o;
            logical_line(version, file, (piece, grammar_piece), &to_file, content)
        } else {
            r.pending.push(file, content.start, piece, grammar_piece);
            let joined = std::mem::take(&mut r.pending);
            let whole = Range {
                start: joined.start_in(file, content.start),
                end: content.end,
            };
            let to_file = |o| joined.to_file(o);
            let texts = (joined.text.as_str(), joined.grammar.as_str());
            logical_line(version, file, texts, &to_file, whole).with_report(Span::new(
                file,
                content.start,
                content.end,
            ))
        };
        r.pending = Pending::default();
        let include = match &line.kind {
            LineKind::Include { path, try_only } => Some((path.clone(), *try_only)),
            _ => None,
        };
        r.doc.lines.push(line);
        if let Some((path, try_only)) = include {
            include_files(files, file, &path, try_only, r);
        }
        start = next;
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Range {
    start: usize,
    end: usize,
}

impl Line {
    fn with_report(mut self, report: Span) -> Self {
        self.report_span = report;
        self
    }
}

/// 2.4 treats \v, \f and \r as blanks (`i_isspace()`); map them to spaces, byte for byte, so the
/// grammar sees them as blanks while spans and values still come from the real text.
fn grammar_input(text: &str, version: DovecotVersion) -> std::borrow::Cow<'_, str> {
    let extra_blank = |b: u8| matches!(b, 0x0b | 0x0c | b'\r');
    if version == DovecotVersion::V2_3 || !text.bytes().any(extra_blank) {
        return std::borrow::Cow::Borrowed(text);
    }
    let bytes = text.as_bytes();
    let mapped: Vec<u8> = bytes
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            let crlf = b == b'\r' && bytes.get(i + 1) == Some(&b'\n');
            if extra_blank(b) && !crlf {
                b' '
            } else {
                b
            }
        })
        .collect();
    std::borrow::Cow::Owned(String::from_utf8(mapped).expect("ASCII-for-ASCII mapping"))
}

fn is_blank(c: char, version: DovecotVersion) -> bool {
    c == ' '
        || c == '\t'
        || (version == DovecotVersion::V2_4 && matches!(c, '\x0b' | '\x0c' | '\r'))
}

/// One physical line split by the grammar; offsets are file offsets.
#[derive(Debug, PartialEq, Eq)]
struct Physical {
    content: Option<Range>,
    comment: Option<Range>,
    open_quote: Option<Range>,
}

fn physical_parts(line: &str, base: usize) -> Physical {
    fast::physical(line, base).unwrap_or_else(|| grammar_physical(line, base))
}

/// `physical_line` through pest.
fn grammar_physical(line: &str, base: usize) -> Physical {
    let mut parts = Physical {
        content: None,
        comment: None,
        open_quote: None,
    };
    let pairs = Grammar::parse(Rule::physical_line, line)
        .unwrap_or_else(|e| unreachable!("physical_line accepts every line: {e}"));
    for pair in pairs.flatten() {
        let range = Range {
            start: base + pair.as_span().start(),
            end: base + pair.as_span().end(),
        };
        match pair.as_rule() {
            Rule::content => parts.content = Some(range),
            Rule::comment => parts.comment = Some(range),
            Rule::open_quote => parts.open_quote = Some(range),
            _ => {}
        }
    }
    parts
}

fn note_comment(
    doc: &mut Document,
    file: FileId,
    text: &str,
    physical: &Physical,
    content: Range,
    comment: Option<Range>,
) {
    if let Some(comment) = comment {
        if comment.start == content.end {
            doc.notes.push(Note::AmbiguousComment {
                hash: Span::new(file, comment.start, comment.start + 1),
            });
        }
    }
    if let Some(quote) = physical.open_quote {
        let inside = &text[quote.start..quote.end];
        if let Some(i) = inside.find(" #").or_else(|| inside.find("\t#")) {
            let hash = quote.start + i + 1;
            doc.notes.push(Note::QuoteHidesComment {
                quote: Span::new(file, quote.start, quote.start + 1),
                hash: Span::new(file, hash, hash + 1),
            });
        }
    }
}

/// Classifies one logical line. `to_file` maps an offset in `line` to a file offset.
/// `original` and `grammar` have the same length (see [`grammar_input`]).
fn logical_line(
    version: DovecotVersion,
    file: FileId,
    (original, grammar): (&str, &str),
    to_file: &dyn Fn(usize) -> usize,
    whole: Range,
) -> Line {
    let cx = LineCtx {
        version,
        file,
        original,
        to_file,
    };
    let whole_span = Span::new(file, whole.start, whole.end);
    let kind = fast::kind(grammar, &cx).unwrap_or_else(|| grammar_kind(version, grammar, &cx));
    Line {
        kind,
        span: whole_span,
        report_span: whole_span,
    }
}

/// `logical_line_23`/`_24` through pest.
fn grammar_kind(version: DovecotVersion, grammar: &str, cx: &LineCtx<'_>) -> LineKind {
    let rule = match version {
        DovecotVersion::V2_3 => Rule::logical_line_23,
        DovecotVersion::V2_4 => Rule::logical_line_24,
    };
    match Grammar::parse(rule, grammar) {
        Ok(mut pairs) => {
            let top = pairs.next().expect("one logical line");
            let inner = top.into_inner().next().expect("one line kind");
            line_kind(version, inner, cx)
        }
        Err(e) => unreachable!("logical lines always classify: {e}"),
    }
}

/// One logical line being converted: the real text (the grammar may have seen 2.4 blanks mapped
/// to spaces) and the map from line offsets to file offsets.
struct LineCtx<'a> {
    version: DovecotVersion,
    file: FileId,
    original: &'a str,
    to_file: &'a dyn Fn(usize) -> usize,
}

impl LineCtx<'_> {
    fn span(&self, start: usize, end: usize) -> Span {
        let start_in_file = (self.to_file)(start);
        Span::new(
            self.file,
            start_in_file,
            (self.to_file)(end).max(start_in_file),
        )
    }

    /// The original text under a pair.
    fn str(&self, pair: &Pair<'_, Rule>) -> &str {
        &self.original[pair.as_span().start()..pair.as_span().end()]
    }

    fn text(&self, pair: &Pair<'_, Rule>) -> Text {
        Text {
            text: CompactString::from(self.str(pair)),
            span: self.span(pair.as_span().start(), pair.as_span().end()),
        }
    }
}

fn line_kind(version: DovecotVersion, pair: Pair<'_, Rule>, cx: &LineCtx<'_>) -> LineKind {
    match pair.as_rule() {
        Rule::include => include(pair, cx),
        Rule::keyvalue | Rule::keyvalue_24 => keyvalue(version, pair, cx),
        Rule::section_end => LineKind::SectionEnd,
        Rule::section_begin => section_begin(pair, cx),
        Rule::group_begin => group_begin(pair, cx),
        Rule::garbage_after_brace => LineKind::Error {
            message: "Garbage after '{'".into(),
        },
        Rule::expecting_brace => LineKind::Error {
            message: "Expecting '{'".into(),
        },
        _ => unexpected(&pair),
    }
}

fn include(pair: Pair<'_, Rule>, cx: &LineCtx<'_>) -> LineKind {
    let mut inner = pair.into_inner();
    let kind = inner.next().expect("include kind");
    let path = inner.next().expect("include path");
    LineKind::Include {
        path: cx.text(&path),
        try_only: kind.as_str() == "!include_try",
    }
}

fn keyvalue(version: DovecotVersion, pair: Pair<'_, Rule>, cx: &LineCtx<'_>) -> LineKind {
    let mut inner = pair.into_inner();
    let key_pair = inner.next().expect("key");
    let key = match key_pair.as_rule() {
        Rule::quoted_key => {
            let mut key = cx.text(&key_pair);
            let raw = cx.str(&key_pair);
            key.text = unescape_24(&raw[1..raw.len() - 1]).unwrap_or_else(|_| raw.into());
            key
        }
        _ => cx.text(&key_pair),
    };
    if key.text.is_empty() && key_pair.as_rule() == Rule::key {
        return LineKind::Error {
            message: "Missing key name ('=' at the beginning of line)".into(),
        };
    }
    let value_pair = inner.next().expect("value");
    LineKind::KeyValue {
        key,
        value: value(version, value_pair, cx),
    }
}

fn value(version: DovecotVersion, pair: Pair<'_, Rule>, cx: &LineCtx<'_>) -> Value {
    let whole = cx.span(pair.as_span().start(), pair.as_span().end());
    let (kind, text, bad_escape) = match pair.as_rule() {
        Rule::file_value => {
            let path = pair.into_inner().next().expect("file path");
            (ValueKind::File, cx.str(&path).into(), None)
        }
        Rule::variable_value => (ValueKind::Variable, cx.str(&pair).into(), None),
        Rule::plain_value => (ValueKind::Plain, cx.str(&pair).into(), None),
        Rule::quoted_value => {
            let inner = match pair.into_inner().next() {
                Some(p) if p.as_rule() != Rule::single_quote_char => p,
                _ => return quoted_empty(whole),
            };
            let raw = cx.str(&inner);
            match version {
                DovecotVersion::V2_3 => (ValueKind::Quoted, unescape_23(raw), None),
                DovecotVersion::V2_4 => match unescape_24(raw) {
                    Ok(text) => (ValueKind::Quoted, text, None),
                    Err(at) => {
                        let seq: String = raw[at..].chars().take(2).collect();
                        let start = inner.as_span().start() + at;
                        let bad = Text {
                            text: seq.as_str().into(),
                            span: cx.span(start, start + seq.len()),
                        };
                        (ValueKind::Quoted, raw.into(), Some(Box::new(bad)))
                    }
                },
            }
        }
        _ => unexpected(&pair),
    };
    Value {
        kind,
        text,
        span: whole,
        bad_escape,
    }
}

fn quoted_empty(span: Span) -> Value {
    Value {
        kind: ValueKind::Quoted,
        text: CompactString::default(),
        span,
        bad_escape: None,
    }
}

fn section_begin(pair: Pair<'_, Rule>, cx: &LineCtx<'_>) -> LineKind {
    let mut inner = pair.into_inner();
    let keyword = cx.text(&inner.next().expect("keyword"));
    let name = inner
        .find(|p| p.as_rule() == Rule::section_name)
        .map(|n| section_name(n, cx));
    LineKind::SectionBegin { keyword, name }
}

fn section_name(pair: Pair<'_, Rule>, cx: &LineCtx<'_>) -> Text {
    let inner = pair.into_inner().next().expect("name kind");
    let mut text = cx.text(&inner);
    if inner.as_rule() == Rule::quoted_name {
        let raw = cx.str(&inner);
        text.text = unescape_23(&raw[1..raw.len() - 1]);
    }
    text
}

fn group_begin(pair: Pair<'_, Rule>, cx: &LineCtx<'_>) -> LineKind {
    let mut inner = pair.into_inner();
    let label = cx.text(&inner.next().expect("label"));
    let name = section_name(inner.next().expect("group name"), cx);
    LineKind::GroupBegin { label, name }
}

#[track_caller]
fn unexpected(pair: &Pair<'_, Rule>) -> ! {
    unreachable!("grammar produced {:?} where it cannot", pair.as_rule())
}

/// 2.3 `str_unescape()`: `\X` → `X` for any X.
fn unescape_23(raw: &str) -> CompactString {
    if !raw.contains('\\') {
        return raw.into();
    }
    let mut out = CompactString::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// 2.4 `config_str_unescape()`: only `\\` and `\"`; anything else is an error at that offset.
fn unescape_24(raw: &str) -> Result<CompactString, usize> {
    if !raw.contains('\\') {
        return Ok(raw.into());
    }
    let mut out = CompactString::with_capacity(raw.len());
    let mut iter = raw.char_indices();
    while let Some((i, c)) = iter.next() {
        if c == '\\' {
            match iter.next() {
                Some((_, n @ ('\\' | '"'))) => out.push(n),
                _ => return Err(i),
            }
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

/// Expands an `!include` and parses each matched file, in Dovecot's order. A failure turns the
/// include line into an error line (for `!include_try`, only recursion and limits do).
fn include_files(files: &mut Files<'_>, from: FileId, path: &Text, try_only: bool, r: &mut Reader) {
    let include_line = r.doc.lines.len() - 1;
    let expanded = match files.vfs() {
        Some(vfs) => expand_virtual_include(files, from, path, vfs, r),
        None => expand_include(files, from, path, try_only, r),
    };
    if let Err(message) = expanded {
        r.doc.lines[include_line].kind = LineKind::Error { message };
    }
}

fn expand_include(
    files: &mut Files<'_>,
    from: FileId,
    path: &Text,
    try_only: bool,
    r: &mut Reader,
) -> Result<(), String> {
    let pattern = relative_to(files.db().file(from).path(), &path.text);
    let matches = glob_brace(&pattern)?;
    if matches.is_empty() {
        return if try_only {
            Ok(())
        } else {
            Err("No matches".into())
        };
    }
    for matched in matches {
        if matched.is_dir() {
            // glob() matches directories too; Dovecot opens one and reads nothing from it.
            continue;
        }
        let canon = canonical(&matched);
        may_enter(r, &canon)?;
        let read = match files {
            Files::Disk(db) => read_included(db, &matched),
            Files::Rendered(..) => Err(format!("{}: not a rendered file", matched.display())),
        };
        let id = match read {
            Ok(id) => id,
            Err(_) if try_only => continue,
            Err(message) => return Err(message),
        };
        parse_included(files, id, canon, r);
    }
    Ok(())
}

/// Refuses an include that recurses or passes the depth and file-count limits.
fn may_enter(r: &Reader, path: &Path) -> Result<(), String> {
    if r.stack.iter().any(|p| p == path) {
        return Err(format!("Recursive include file: {}", path.display()));
    }
    if r.stack.len() >= MAX_INCLUDE_DEPTH || r.doc.files.len() >= MAX_FILES {
        return Err(format!(
            "Includes nested too deeply or too many files (limits: depth {MAX_INCLUDE_DEPTH}, {MAX_FILES} files): {}",
            path.display()
        ));
    }
    Ok(())
}

/// Parses an included file in place, with `path` on the include stack meanwhile.
fn parse_included(files: &mut Files<'_>, id: FileId, path: PathBuf, r: &mut Reader) {
    r.doc.files.push(id);
    r.stack.push(path);
    parse_into(files, id, r);
    r.stack.pop();
}

/// An include on a rendered host: matched against the files the repository renders for it.
/// Nothing matching means the target's own (stock) files, which mxlint notes and does not read.
fn expand_virtual_include(
    files: &mut Files<'_>,
    from: FileId,
    path: &Text,
    vfs: &VirtualFs,
    r: &mut Reader,
) -> Result<(), String> {
    let including = vfs.dest_of(from).map_or_else(
        || files.db().file(from).path().to_path_buf(),
        Path::to_path_buf,
    );
    let pattern = relative_to(&including, &path.text);
    let alternatives = expand_braces(&pattern.to_string_lossy()).ok_or_else(|| {
        format!("Include pattern expands to more than {MAX_BRACE_ALTERNATIVES} {{…}} alternatives; mxlint does not follow it")
    })?;
    let matches: Vec<(PathBuf, FileId)> =
        alternatives.iter().flat_map(|a| vfs.matching(a)).collect();
    if matches.is_empty() {
        r.doc.notes.push(Note::IncludeNotRendered {
            span: path.span,
            pattern: pattern.to_string_lossy().into_owned(),
        });
        return Ok(());
    }
    for (dest, id) in matches {
        may_enter(r, &dest)?;
        parse_included(files, id, dest, r);
    }
    Ok(())
}

fn read_included(db: &mut SourceDb, path: &Path) -> Result<FileId, String> {
    // Opened first for doveconf's wording of the error; an unsaved buffer needs no file.
    let opened = match db.overlay().get(path) {
        Some(_) => Ok(()),
        None => std::fs::File::open(path).map(drop),
    };
    if let Err(e) = opened {
        return Err(format!(
            "Couldn't open include file {}: {}",
            path.display(),
            io_reason(&e)
        ));
    }
    read_source(db, path).map_err(|e| format!("{}: {}", path.display(), e.message))
}

/// The strerror-style text of an I/O error, without Rust's "(os error N)".
fn io_reason(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// Dovecot's `fix_relative_path()`: relative to the directory of the including file.
fn relative_to(including: &Path, path: &str) -> PathBuf {
    if path.starts_with('/') {
        return PathBuf::from(path);
    }
    match including.to_str().and_then(|p| p.rfind('/')) {
        Some(slash) => PathBuf::from(format!("{}{path}", &including.to_str().unwrap()[..=slash])),
        None => PathBuf::from(path),
    }
}

/// glob(3) with GLOB_BRACE: each brace alternative globbed in order, its matches sorted.
fn glob_brace(pattern: &Path) -> Result<Vec<PathBuf>, String> {
    let pattern = pattern.to_string_lossy();
    let options = glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: true,
    };
    let mut out = Vec::new();
    let alternatives = expand_braces(&pattern).ok_or_else(|| {
        format!("Include pattern expands to more than {MAX_BRACE_ALTERNATIVES} {{…}} alternatives; mxlint does not follow it")
    })?;
    for alternative in alternatives {
        let mut matched: Vec<PathBuf> = match glob::glob_with(&alternative, options) {
            Ok(paths) => paths.filter_map(Result::ok).collect(),
            Err(_) => {
                let literal = PathBuf::from(&alternative);
                if literal.exists() {
                    vec![literal]
                } else {
                    Vec::new()
                }
            }
        };
        matched.sort();
        out.extend(matched);
    }
    Ok(out)
}

/// Expands `{a,b}` alternatives (nested too), left to right. Unbalanced braces stay literal.
/// `None` past [`MAX_BRACE_ALTERNATIVES`]: `{a,b,c}{a,b,c}…` grows exponentially.
fn expand_braces(pattern: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    expand_into(pattern, 0, &mut out)?;
    Some(out)
}

fn expand_into(pattern: &str, depth: usize, out: &mut Vec<String>) -> Option<()> {
    let Some(open) = pattern.find('{').filter(|_| depth <= 16) else {
        out.push(pattern.to_string());
        return (out.len() <= MAX_BRACE_ALTERNATIVES).then_some(());
    };
    let bytes = pattern.as_bytes();
    let (mut level, mut close, mut commas) = (0, None, Vec::new());
    for (i, &b) in bytes.iter().enumerate().skip(open) {
        match b {
            b'{' => level += 1,
            b'}' => {
                level -= 1;
                if level == 0 {
                    close = Some(i);
                    break;
                }
            }
            b',' if level == 1 => commas.push(i),
            _ => {}
        }
    }
    let Some(close) = close else {
        out.push(pattern.to_string());
        return (out.len() <= MAX_BRACE_ALTERNATIVES).then_some(());
    };
    let (head, tail) = (&pattern[..open], &pattern[close + 1..]);
    let mut bounds = vec![open];
    bounds.extend(commas);
    bounds.push(close);
    for w in bounds.windows(2) {
        let alternative = format!("{head}{}{tail}", &pattern[w[0] + 1..w[1]]);
        expand_into(&alternative, depth + 1, out)?;
    }
    Some(())
}

mod fast;
#[cfg(test)]
mod tests;
