//! report::github: GitHub Actions workflow commands, one annotation per finding.
//!
//! `::error file=P,line=L,col=C,endLine=L2,endColumn=C2,title=MX301 name::message` (warning →
//! `::warning`, info and style → `::notice`), escaped as actions/toolkit's `escapeData` and
//! `escapeProperty` do. Paths are relative to the working directory with forward slashes (run
//! from the repository root); lines are 1-based, columns 1-based code points with an exclusive
//! end. `col`/`endColumn` are left out for ranges over several lines (GitHub cannot show them,
//! ruff#22074). The message carries the hosts and the help.
//!
//! GitHub shows only the first 10 annotations of each kind per step, so the output ends with a
//! plain summary line (counts) and, past 10 of a kind, a hint to upload SARIF instead. File
//! errors are `::error` annotations too.

use super::{portable_path, Summary};
use crate::diagnostic::{Diagnostic, FileError, Severity};
use crate::Outcome;
use std::io::{self, Write};
use std::path::Path;

/// Annotations of one kind GitHub shows per step; the rest are dropped silently.
pub const ANNOTATION_LIMIT: usize = 10;

/// Writes one workflow command per finding and file error, then the summary line.
pub fn write(out: &mut dyn Write, outcome: &Outcome) -> io::Result<()> {
    let cwd = std::env::current_dir().ok();
    write_with_base(out, outcome, cwd.as_deref())
}

/// [`write`] with paths relative to `base`.
pub fn write_with_base(
    out: &mut dyn Write,
    outcome: &Outcome,
    base: Option<&Path>,
) -> io::Result<()> {
    for d in &outcome.diagnostics {
        writeln!(out, "{}", annotation(outcome, d, base))?;
    }
    for e in &outcome.errors {
        writeln!(out, "{}", file_error(e, base))?;
    }
    let summary = Summary::new(&outcome.db, &outcome.diagnostics, &outcome.errors);
    writeln!(out, "mxlint: {}", summary.line())?;
    let over: Vec<String> = [
        ("error", summary.errors + summary.file_errors),
        ("warning", summary.warnings),
        ("notice", summary.infos + summary.styles),
    ]
    .into_iter()
    .filter(|(_, n)| *n > ANNOTATION_LIMIT)
    .map(|(kind, n)| format!("{n} {kind}"))
    .collect();
    if !over.is_empty() {
        writeln!(
            out,
            "mxlint: GitHub shows only the first {ANNOTATION_LIMIT} annotations of each kind per step \
             ({} annotations written); every finding is listed above, and `--format sarif` with \
             github/codeql-action/upload-sarif shows them all",
            over.join(", ")
        )?;
    }
    Ok(())
}

fn command(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info | Severity::Style => "notice",
    }
}

fn annotation(outcome: &Outcome, d: &Diagnostic, base: Option<&Path>) -> String {
    let span = d.primary.span;
    let (start, end) = outcome.db.range(span);
    let path = portable_path(outcome.db.file(span.file).path(), base);
    let mut properties = vec![("file", path), ("line", start.line.to_string())];
    if start.line == end.line {
        properties.push(("col", start.column.to_string()));
    }
    properties.push(("endLine", end.line.to_string()));
    if start.line == end.line {
        properties.push(("endColumn", end.column.to_string()));
    }
    properties.push(("title", format!("{} {}", d.rule.code, d.rule.name)));
    let mut message = d.message.clone();
    if !d.hosts.is_empty() {
        message.push_str(&format!("\nhosts: {}", d.hosts.join(", ")));
    }
    if let Some(help) = &d.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    format_command(command(d.severity), &properties, &message)
}

fn file_error(e: &FileError, base: Option<&Path>) -> String {
    let mut properties = vec![("file", portable_path(&e.path, base))];
    if let Some((line, column)) = e.position {
        properties.push(("line", line.to_string()));
        properties.push(("col", column.to_string()));
    }
    properties.push(("title", "mxlint: file not checked".to_string()));
    format_command("error", &properties, &e.message)
}

/// `::name key=value,key=value::message` with toolkit escaping.
fn format_command(name: &str, properties: &[(&str, String)], message: &str) -> String {
    let properties: Vec<String> = properties
        .iter()
        .map(|(key, value)| format!("{key}={}", escape_property(value)))
        .collect();
    format!(
        "::{name} {}::{}",
        properties.join(","),
        escape_data(message)
    )
}

/// actions/toolkit `escapeData`: `%`, `\r`, `\n`.
pub(crate) fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// actions/toolkit `escapeProperty`: as [`escape_data`], plus `:` and `,`.
pub(crate) fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Span;

    #[test]
    fn escaping_follows_the_toolkit() {
        assert_eq!(escape_data("50% a:b,c\r\nd"), "50%25 a:b,c%0D%0Ad");
        assert_eq!(escape_property("50% a:b,c\r\nd"), "50%25 a%3Ab%2Cc%0D%0Ad");
        // `%` first, so the escapes themselves are not escaped again.
        assert_eq!(escape_data("%0A\n"), "%250A%0A");
    }

    #[test]
    fn one_command_per_finding_with_hosts_and_summary() {
        let mut outcome = Outcome::default();
        let file = outcome
            .db
            .add("/srv/repo/a,b:c.conf", "x = 1\nçé = 50%\n".into());
        let rule = crate::rules::find("MX302").unwrap();
        let mut d = Diagnostic::new(rule, Span::new(file, 13, 16), "too small: 50%").help("raise");
        d.hosts = vec!["mx1".into(), "mx2".into()];
        outcome.diagnostics.push(d);
        let mut out = Vec::new();
        write_with_base(&mut out, &outcome, Some(Path::new("/srv/repo"))).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            format!(
                "::{} file=a%2Cb%3Ac.conf,line=2,col=6,endLine=2,endColumn=9,title=MX302 {}::too small: 50%25%0Ahosts: mx1, mx2%0Ahelp: raise",
                command(rule.severity),
                rule.name
            )
        );
        assert_eq!(lines[1], "mxlint: Found 1 problem (1 error) in 1 file.");
        assert_eq!(lines.len(), 2);
    }

    #[test]
    fn multi_line_ranges_have_no_columns_and_many_findings_warn() {
        let mut outcome = Outcome::default();
        let file = outcome.db.add("a.conf", "x = 1\ny = 2\n".into());
        let rule = crate::rules::find("MX503").unwrap();
        for _ in 0..11 {
            let mut d = Diagnostic::new(rule, Span::new(file, 0, 8), "m");
            d.severity = Severity::Warning;
            outcome.diagnostics.push(d);
        }
        let mut out = Vec::new();
        write_with_base(&mut out, &outcome, None).unwrap();
        let text = String::from_utf8(out).unwrap();
        let first = text.lines().next().unwrap();
        assert!(
            first.starts_with("::warning file=a.conf,line=1,endLine=2,title="),
            "{first}"
        );
        let last = text.lines().last().unwrap();
        assert!(last.contains("11 warning annotations"), "{last}");
    }
}
