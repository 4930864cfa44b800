//! report: turns a check's [`Outcome`](crate::Outcome) into text — human (miette), concise
//! (one line per finding) or versioned JSON — and the effective model of `mxlint show`.
//!
//! This is the only module that formats diagnostics; it writes to the `io::Write` it is given
//! and returns I/O errors (a closed pipe included) to the caller. Exit codes are not its job.
//!
//! Conventions shared by every format: lines and columns are 1-based, columns count Unicode
//! code points and end columns are exclusive; paths are printed as the files were opened, so a
//! path given relative on the command line stays relative.

pub mod concise;
pub mod explain;
pub mod human;
pub mod json;
pub mod rules;
pub mod show;

use crate::diagnostic::{Diagnostic, FileError, Severity};
use crate::source::{FileId, SourceDb, Span};
use std::collections::BTreeSet;
use std::io::{self, Write};

/// Counts of one run, by severity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    pub styles: usize,
    /// Files read (checked files and their includes).
    pub files_checked: usize,
    /// Distinct files holding at least one finding's primary span.
    pub files_with_findings: usize,
    /// Files that could not be checked at all.
    pub file_errors: usize,
}

impl Summary {
    pub fn new(db: &SourceDb, diagnostics: &[Diagnostic], errors: &[FileError]) -> Self {
        let mut summary = Summary {
            files_checked: db.files().count(),
            file_errors: errors.len(),
            ..Summary::default()
        };
        for diagnostic in diagnostics {
            match diagnostic.severity {
                Severity::Error => summary.errors += 1,
                Severity::Warning => summary.warnings += 1,
                Severity::Info => summary.infos += 1,
                Severity::Style => summary.styles += 1,
            }
        }
        summary.files_with_findings = diagnostics
            .iter()
            .map(|d| d.primary.span.file)
            .collect::<BTreeSet<FileId>>()
            .len();
        summary
    }

    pub fn problems(&self) -> usize {
        self.errors + self.warnings + self.infos + self.styles
    }

    /// `Found 3 problems (1 error, 2 warnings) in 1 file.` or `All checks passed.`
    pub fn line(&self) -> String {
        let unreadable = match self.file_errors {
            0 => String::new(),
            n => format!("{} could not be checked.", plural(n, "file", "files")),
        };
        if self.problems() == 0 {
            return if self.file_errors == 0 {
                "All checks passed.".to_string()
            } else {
                format!("No problems found, but {unreadable}")
            };
        }
        let parts: Vec<String> = [
            (self.errors, "error", "errors"),
            (self.warnings, "warning", "warnings"),
            (self.infos, "info", "infos"),
            (self.styles, "style", "styles"),
        ]
        .into_iter()
        .filter(|(n, _, _)| *n > 0)
        .map(|(n, one, many)| plural(n, one, many))
        .collect();
        let mut line = format!(
            "Found {} ({}) in {}.",
            plural(self.problems(), "problem", "problems"),
            parts.join(", "),
            plural(self.files_with_findings, "file", "files"),
        );
        if self.file_errors > 0 {
            line.push(' ');
            line.push_str(&unreadable);
        }
        line
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The path of a file as it was opened.
pub(crate) fn path_of(db: &SourceDb, file: FileId) -> String {
    db.file(file).path().to_string_lossy().into_owned()
}

/// A span as `path:line:col` (1-based, code-point column).
pub(crate) fn location(db: &SourceDb, span: Span) -> String {
    let (start, _) = db.range(span);
    format!("{}:{}:{}", path_of(db, span.file), start.line, start.column)
}

/// Sorts findings by file, position and code, the order every format prints them in.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
}

/// Left-aligned columns two spaces apart; the last column is not padded.
pub(crate) fn write_table<const N: usize>(
    out: &mut dyn Write,
    header: &[&str; N],
    rows: &[[String; N]],
) -> io::Result<()> {
    let mut widths = header.map(|h| h.chars().count());
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let header = header.map(str::to_string);
    for row in std::iter::once(&header).chain(rows) {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == N {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<width$}  ", width = widths[i]));
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(errors: usize, warnings: usize, files: usize, file_errors: usize) -> Summary {
        Summary {
            errors,
            warnings,
            files_with_findings: files,
            file_errors,
            ..Summary::default()
        }
    }

    #[test]
    fn summary_lines() {
        assert_eq!(summary(0, 0, 0, 0).line(), "All checks passed.");
        assert_eq!(
            summary(1, 2, 1, 0).line(),
            "Found 3 problems (1 error, 2 warnings) in 1 file."
        );
        assert_eq!(
            summary(0, 1, 2, 0).line(),
            "Found 1 problem (1 warning) in 2 files."
        );
        assert_eq!(
            summary(0, 0, 0, 2).line(),
            "No problems found, but 2 files could not be checked."
        );
        assert_eq!(
            summary(1, 0, 1, 1).line(),
            "Found 1 problem (1 error) in 1 file. 1 file could not be checked."
        );
    }
}
