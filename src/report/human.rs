//! report::human: miette's graphical rendering of each finding, then a summary line.
//!
//! Every file a finding points into is wrapped once (when first needed: a fleet's thousands of
//! rendered files mostly have none) in an [`IndexedSource`], which answers miette's span reads with a
//! binary search over the line starts `source.rs` already computed. miette's own source types
//! rescan the file from byte 0 for every read, which made 2,000 findings on a 1 MB file take
//! seconds (`docs/linter-conventions.md` §9.2).
//!
//! Layout of one finding: `severity[CODE] name`, the message, the labelled lines (related
//! labels in the same file as extra labels), `help:`, a `note:` line per related label in
//! another file, the hosts, and `see: mxlint rule CODE`. File errors go to the error stream
//! as `error: path:line:col: message`.

use super::{location, Summary};
use crate::diagnostic::{Diagnostic, FileError, Severity};
use crate::source::{SourceDb, SourceFile, Span};
use crate::Outcome;
use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    SourceCode, SourceSpan, SpanContents,
};
use std::fmt;
use std::io::{self, Write};
use std::sync::Arc;

/// How the terminal output looks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HumanOptions {
    /// ANSI colors (only for a terminal without `NO_COLOR`).
    pub color: bool,
    /// OSC 8 hyperlinks (only for a terminal; they garble logs and files).
    pub links: bool,
}

/// Writes every finding, then the summary line, to `out`; file errors to `err`.
pub fn write(
    out: &mut dyn Write,
    err: &mut dyn Write,
    outcome: &Outcome,
    options: HumanOptions,
) -> io::Result<()> {
    let renderer = Renderer::new(&outcome.db, options);
    for diagnostic in &outcome.diagnostics {
        out.write_all(renderer.render(diagnostic).as_bytes())?;
    }
    write_file_errors(err, &outcome.errors)?;
    let summary = Summary::of(outcome);
    writeln!(out, "{}", summary.line())?;
    match summary.fix_hint() {
        Some(hint) => writeln!(out, "{hint}"),
        None => Ok(()),
    }
}

/// `error: path:line:col: message`, one per line.
pub fn write_file_errors(err: &mut dyn Write, errors: &[FileError]) -> io::Result<()> {
    for error in errors {
        writeln!(err, "error: {error}")?;
    }
    Ok(())
}

/// Renders single findings; holds one [`IndexedSource`] per file it has shown.
pub struct Renderer<'db> {
    db: &'db SourceDb,
    sources: Vec<std::sync::OnceLock<IndexedSource>>,
    handler: GraphicalReportHandler,
}

impl<'db> Renderer<'db> {
    pub fn new(db: &'db SourceDb, options: HumanOptions) -> Self {
        let theme = if options.color {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        Renderer {
            db,
            sources: db.files().map(|_| std::sync::OnceLock::new()).collect(),
            handler: GraphicalReportHandler::new_themed(theme).with_links(options.links),
        }
    }

    /// One finding as text, ending with a blank line.
    pub fn render(&self, diagnostic: &Diagnostic) -> String {
        let file = diagnostic.primary.span.file;
        let source =
            self.sources[file.0 as usize].get_or_init(|| IndexedSource::new(self.db.file(file)));
        let report = Report::new(diagnostic, source);
        let mut text = String::new();
        if self.handler.render_report(&mut text, &report).is_err() {
            // miette failed to read a span (a bug upstream of us): still say what was found.
            text = format!("{} {}\n", report.header, diagnostic.message);
        }
        for label in &diagnostic.related {
            if label.span.file != diagnostic.primary.span.file {
                let message = related_message(label.message.as_str());
                let at = location(self.db, label.span);
                text.push_str(&format!("  note: {at}: {message}\n"));
            }
        }
        if !diagnostic.hosts.is_empty() {
            text.push_str(&format!("  hosts: {}\n", host_list(&diagnostic.hosts)));
        }
        text.push_str(&format!("  see: mxlint rule {}\n\n", diagnostic.rule.code));
        text
    }
}

fn related_message(message: &str) -> &str {
    if message.is_empty() {
        "related location"
    } else {
        message
    }
}

/// One finding as miette sees it: labels in the primary file only.
struct Report<'a> {
    diagnostic: &'a Diagnostic,
    source: &'a IndexedSource,
    header: String,
    labels: Vec<LabeledSpan>,
}

impl<'a> Report<'a> {
    fn new(diagnostic: &'a Diagnostic, source: &'a IndexedSource) -> Self {
        let file = diagnostic.primary.span.file;
        let mut labels = vec![LabeledSpan::new_primary_with_span(
            non_empty(&diagnostic.primary.message),
            source.displayable(diagnostic.primary.span),
        )];
        labels.extend(
            diagnostic
                .related
                .iter()
                .filter(|label| label.span.file == file)
                .map(|label| {
                    LabeledSpan::new_with_span(
                        non_empty(&label.message),
                        source.displayable(label.span),
                    )
                }),
        );
        Report {
            diagnostic,
            source,
            header: format!(
                "{}[{}] {}",
                diagnostic.severity.as_str(),
                diagnostic.rule.code,
                diagnostic.rule.name
            ),
            labels,
        }
    }
}

fn non_empty(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_string())
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.header, self.diagnostic.message)
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(&self.header))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Info | Severity::Style => miette::Severity::Advice,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.diagnostic
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }
}

/// A file's text with its line starts, shared with the [`SourceDb`] (no copy).
#[derive(Clone, Debug)]
pub struct IndexedSource {
    name: String,
    text: Arc<str>,
    line_starts: Arc<[usize]>,
}

impl IndexedSource {
    pub fn new(file: &SourceFile) -> Self {
        IndexedSource {
            name: file.path().to_string_lossy().into_owned(),
            // Context lines may hold passwords: show a masked copy (same byte offsets).
            text: crate::redact::mask_secrets(file.text())
                .map_or_else(|| file.shared_text(), Arc::from),
            line_starts: file.line_starts(),
        }
    }

    /// The span miette should underline. An insertion point at the very end of a file that ends
    /// with a newline sits on an empty last line, which miette does not draw (the label would
    /// vanish), so it is shown at the end of the line before instead.
    fn displayable(&self, span: Span) -> SourceSpan {
        let at_empty_last_line =
            span.is_empty() && span.start() == self.text.len() && self.text.ends_with('\n');
        if at_empty_last_line {
            (span.start() - 1, 0).into()
        } else {
            (span.start(), span.len()).into()
        }
    }

    /// 0-based line holding byte `offset`.
    fn line_of(&self, offset: usize) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(line) => line,
            Err(next) => next - 1,
        }
    }

    /// Byte offset just past line `line`, its terminator included.
    fn line_end(&self, line: usize) -> usize {
        self.line_starts
            .get(line + 1)
            .copied()
            .unwrap_or(self.text.len())
    }
}

impl SourceCode for IndexedSource {
    /// Same contract as miette's `[u8]` implementation: with context lines the contents start
    /// at the beginning of the first context line (column 0); without, at the span itself with
    /// the span's column. Columns here count code points, like the rest of mxlint.
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let start = span.offset();
        let end = start + span.len();
        if end > self.text.len() {
            return Err(MietteError::OutOfBounds);
        }
        let first = self.line_of(start);
        // The end is exclusive: a span ending right after a newline stays on its own line.
        let last = self.line_of(end.saturating_sub(1).max(start));
        let last_context = (last + context_lines_after).min(self.line_starts.len() - 1);
        let (data_start, line, column) = if context_lines_before == 0 {
            let line_start = self.line_starts[first];
            let column = self
                .text
                .get(line_start..start)
                .map_or(start - line_start, |s| s.chars().count());
            (start, first, column)
        } else {
            let line = first.saturating_sub(context_lines_before);
            (self.line_starts[line], line, 0)
        };
        let data_end = self.line_end(last_context).max(data_start);
        let data = &self.text.as_bytes()[data_start..data_end];
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            data,
            (data_start, data_end - data_start).into(),
            line,
            column,
            last_context + 1 - line,
        )))
    }
}

/// A host list a terminal can show: the first hosts, then how many more (JSON has them all).
fn host_list(hosts: &[String]) -> String {
    const SHOWN: usize = 8;
    if hosts.len() <= SHOWN {
        return hosts.join(", ");
    }
    format!(
        "{} and {} more ({} hosts)",
        hosts[..SHOWN - 2].join(", "),
        hosts.len() - (SHOWN - 2),
        hosts.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    fn source(text: &str) -> (SourceDb, IndexedSource) {
        let mut db = SourceDb::new();
        let id = db.add("dovecot.conf", text.to_string());
        let indexed = IndexedSource::new(db.file(id));
        (db, indexed)
    }

    /// What miette's stock `str` source returns, for comparison.
    fn stock(text: &str, offset: usize, len: usize, ctx: usize) -> (Vec<u8>, usize, usize) {
        let contents = text.read_span(&(offset, len).into(), ctx, ctx).unwrap();
        (contents.data().to_vec(), contents.line(), contents.column())
    }

    fn ours(src: &IndexedSource, offset: usize, len: usize, ctx: usize) -> (Vec<u8>, usize, usize) {
        let contents = src.read_span(&(offset, len).into(), ctx, ctx).unwrap();
        (contents.data().to_vec(), contents.line(), contents.column())
    }

    #[test]
    fn indexed_source_matches_the_stock_source_with_context() {
        let text = "a = 1\nbb = 2\nccc = 3\ndddd = 4\nlast";
        let (_db, src) = source(text);
        for (offset, len) in [(0, 1), (6, 2), (13, 7), (10, 12), (29, 4), (21, 0)] {
            assert_eq!(
                ours(&src, offset, len, 1),
                stock(text, offset, len, 1),
                "{offset}+{len}"
            );
        }
    }

    #[test]
    fn indexed_source_without_context_starts_at_the_span() {
        let text = "a = 1\nçé = 2\n";
        let (_db, src) = source(text);
        let (data, line, column) = ours(&src, 13, 1, 0);
        assert_eq!((line, column), (1, 5), "columns count code points");
        assert_eq!(data, b"2\n");
        assert!(src.read_span(&(text.len(), 1).into(), 0, 0).is_err());
    }

    #[test]
    fn renders_code_message_labels_help_and_hint() {
        let (db, _) = source("protocols = imap\ndefault_vsz_limit = 128M\n");
        let rule = crate::rules::find("MX302").unwrap();
        let span = Span::new(FileId(0), 37, 41);
        let diagnostic = Diagnostic::new(rule, span, "128M is too small")
            .label("set here")
            .help("raise it to 1G")
            .related(Span::new(FileId(0), 0, 9), "imap enabled here");
        let text = Renderer::new(&db, HumanOptions::default()).render(&diagnostic);
        let severity = rule.severity.as_str();
        assert!(
            text.starts_with(&format!("{severity}[MX302] {}\n", rule.name)),
            "{text}"
        );
        assert!(text.contains("128M is too small"), "{text}");
        assert!(text.contains("[dovecot.conf:2:21]"), "{text}");
        assert!(text.contains("set here"), "{text}");
        assert!(text.contains("imap enabled here"), "{text}");
        assert!(text.contains("help: raise it to 1G"), "{text}");
        assert!(text.ends_with("  see: mxlint rule MX302\n\n"), "{text}");
        assert!(
            !text.contains('\u{1b}'),
            "no escapes without color and links: {text}"
        );
    }

    #[test]
    fn insertion_point_after_the_last_newline_stays_visible() {
        let (db, _) = source("protocols = imap\n");
        let rule = crate::rules::find("MX301").unwrap();
        let diagnostic =
            Diagnostic::new(rule, Span::new(FileId(0), 17, 17), "message").label("add it here");
        let text = Renderer::new(&db, HumanOptions::default()).render(&diagnostic);
        assert!(text.contains("add it here"), "{text}");
    }

    #[test]
    fn related_label_in_another_file_is_a_note_line() {
        let mut db = SourceDb::new();
        let main = db.add("dovecot.conf", "!include conf.d/10-master.conf\n".into());
        let other = db.add("conf.d/10-master.conf", "x = 1\nservice imap {\n".into());
        let rule = crate::rules::find("MX301").unwrap();
        let diagnostic = Diagnostic::new(rule, Span::new(main, 0, 8), "message")
            .related(Span::new(other, 6, 13), "service defined here");
        let text = Renderer::new(&db, HumanOptions::default()).render(&diagnostic);
        assert!(
            text.contains("  note: conf.d/10-master.conf:2:1: service defined here\n"),
            "{text}"
        );
    }
}
