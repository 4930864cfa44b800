//! report: turns a check's [`Outcome`](crate::Outcome) into text — human (miette), concise
//! (one line per finding), versioned JSON, SARIF 2.1.0 or GitHub Actions workflow commands —
//! the `--statistics` table, and the effective model of `mxlint show`.
//!
//! This is the only module that formats diagnostics; it writes to the `io::Write` it is given
//! and returns I/O errors (a closed pipe included) to the caller. Exit codes are not its job.
//!
//! Conventions shared by every format: lines and columns are 1-based, columns count Unicode
//! code points and end columns are exclusive; paths are printed as the files were opened, so a
//! path given relative on the command line stays relative. SARIF is the exception: its columns
//! are UTF-16 code units (the spec's default), and SARIF and GitHub paths are relative to the
//! working directory with forward slashes (what code scanning and annotations resolve against).

pub mod concise;
pub mod explain;
pub mod github;
pub mod human;
pub mod json;
pub mod merge;
pub mod rules;
pub mod sarif;
pub mod show;

use crate::diagnostic::{Diagnostic, FileError, Severity};
use crate::source::{FileId, SourceDb, Span};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};
use std::path::{Component, Path};

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
    /// Findings a baseline file accepted (not counted above).
    pub baselined: usize,
    /// Findings with a safe fix, and with a fix only `--unsafe-fixes` applies.
    pub fixable: usize,
    pub fixable_unsafe: usize,
}

impl Summary {
    /// The counts of a whole run, baselined findings included.
    pub fn of(outcome: &crate::Outcome) -> Self {
        Summary {
            baselined: outcome.baselined,
            ..Summary::new(&outcome.db, &outcome.diagnostics, &outcome.errors)
        }
    }

    pub fn new(db: &SourceDb, diagnostics: &[Diagnostic], errors: &[FileError]) -> Self {
        let mut summary = Summary {
            files_checked: db.files().count(),
            file_errors: errors.len(),
            ..Summary::default()
        };
        for diagnostic in diagnostics {
            match diagnostic.fix.as_ref().map(|f| f.applicability) {
                Some(crate::diagnostic::Applicability::Safe) => summary.fixable += 1,
                Some(crate::diagnostic::Applicability::Unsafe) => summary.fixable_unsafe += 1,
                None => {}
            }
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
        let baselined = match self.baselined {
            0 => String::new(),
            n => format!(" {} baselined.", plural(n, "finding", "findings")),
        };
        if self.problems() == 0 {
            return if self.file_errors == 0 {
                format!("All checks passed.{baselined}")
            } else {
                format!("No problems found, but {unreadable}{baselined}")
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
        line.push_str(&baselined);
        line
    }
}

impl Summary {
    /// `[*] 2 fixable with the --fix option (1 hidden fix can be enabled with the
    /// --unsafe-fixes option).`, when anything is fixable.
    pub fn fix_hint(&self) -> Option<String> {
        let hidden = match self.fixable_unsafe {
            0 => String::new(),
            1 => " (1 hidden fix can be enabled with the --unsafe-fixes option)".to_string(),
            n => format!(" ({n} hidden fixes can be enabled with the --unsafe-fixes option)"),
        };
        match (self.fixable, self.fixable_unsafe) {
            (0, 0) => None,
            (0, n) => Some(format!(
                "No fixes available ({} with the --unsafe-fixes option).",
                plural(
                    n,
                    "hidden fix can be enabled",
                    "hidden fixes can be enabled"
                )
            )),
            (n, _) => Some(format!("[*] {n} fixable with the --fix option{hidden}.")),
        }
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

/// A file's path relative to `base` (the working directory) when it lies under it, else as
/// opened; separators are forward slashes and a leading `./` is dropped. For SARIF URIs and
/// GitHub annotations, which resolve paths against the repository root.
pub(crate) fn portable_path(path: &Path, base: Option<&Path>) -> String {
    let relative = match base {
        Some(base) if path.is_absolute() => path.strip_prefix(base).unwrap_or(path),
        _ => path,
    };
    let parts: Vec<String> = relative
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .map(|c| match c {
            Component::RootDir => String::new(),
            other => other.as_os_str().to_string_lossy().replace('\\', "/"),
        })
        .collect();
    match parts.as_slice() {
        [] => ".".to_string(),
        [root] if root.is_empty() => "/".to_string(),
        _ => parts.join("/"),
    }
}

/// How many findings one rule has (`--statistics`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Statistic {
    pub code: &'static str,
    pub name: &'static str,
    pub count: usize,
    /// How many of them carry a fix (safe or unsafe).
    pub fixable: usize,
}

/// Findings counted per rule, most frequent first (ties by code), as ruff's `--statistics`.
pub fn statistics(diagnostics: &[Diagnostic]) -> Vec<Statistic> {
    let mut by_code: BTreeMap<&'static str, Statistic> = BTreeMap::new();
    for d in diagnostics {
        let entry = by_code.entry(d.rule.code).or_insert(Statistic {
            code: d.rule.code,
            name: d.rule.name,
            count: 0,
            fixable: 0,
        });
        entry.count += 1;
        entry.fixable += usize::from(d.fix.is_some());
    }
    let mut stats: Vec<Statistic> = by_code.into_values().collect();
    stats.sort_by(|a, b| b.count.cmp(&a.count).then(a.code.cmp(b.code)));
    stats
}

/// The `--statistics` table after a text report: count, code, name, fixable count.
pub fn write_statistics(out: &mut dyn Write, diagnostics: &[Diagnostic]) -> io::Result<()> {
    let rows: Vec<[String; 4]> = statistics(diagnostics)
        .into_iter()
        .map(|s| {
            [
                s.count.to_string(),
                s.code.to_string(),
                s.name.to_string(),
                s.fixable.to_string(),
            ]
        })
        .collect();
    if rows.is_empty() {
        return writeln!(out, "No findings.");
    }
    write_table(out, &["COUNT", "CODE", "NAME", "FIXABLE"], &rows)
}

/// Sorts findings by file path, position and code (then message and labels), the order every
/// format prints them in. Paths, not the order files were read in: a `--shard` run reads
/// another subset in another order, and its merged findings must come out as a single run's.
/// Each fix's edits are put in the same order, for the same reason (hosts of one finding may
/// contribute edits in any order).
pub fn sort(db: &SourceDb, diagnostics: &mut [Diagnostic]) {
    let place = |span: Span| (path_of(db, span.file), span.start(), span.end());
    for d in diagnostics.iter_mut() {
        if let Some(fix) = &mut d.fix {
            fix.edits
                .sort_by_cached_key(|e| (place(e.span), e.replacement.clone()));
        }
    }
    diagnostics.sort_by_cached_key(|d| {
        let related: Vec<_> = d
            .related
            .iter()
            .map(|l| (place(l.span), l.message.clone()))
            .collect();
        (
            place(d.primary.span),
            d.rule.code,
            d.message.clone(),
            d.primary.message.clone(),
            related,
        )
    });
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
    fn portable_paths_are_relative_with_forward_slashes() {
        let base = Path::new("/srv/repo");
        let p = |s: &str| portable_path(Path::new(s), Some(base));
        assert_eq!(p("/srv/repo/roles/a.j2"), "roles/a.j2");
        assert_eq!(p("./roles/a.j2"), "roles/a.j2");
        assert_eq!(p("/etc/dovecot/dovecot.conf"), "/etc/dovecot/dovecot.conf");
        assert_eq!(
            p("<mxlint stock fail2ban>/jail.conf"),
            "<mxlint stock fail2ban>/jail.conf"
        );
        assert_eq!(portable_path(Path::new("/srv/x"), None), "/srv/x");
    }

    #[test]
    fn statistics_sort_by_count_then_code() {
        let mut db = SourceDb::new();
        let file = db.add("f", "a\nb\n".into());
        let rule = |code| crate::rules::find(code).unwrap();
        let finding = |code| Diagnostic::new(rule(code), Span::new(file, 0, 1), "m");
        let diagnostics = vec![
            finding("MX503"),
            finding("MX301"),
            finding("MX503"),
            finding("MX201"),
        ];
        let stats = statistics(&diagnostics);
        let order: Vec<(&str, usize)> = stats.iter().map(|s| (s.code, s.count)).collect();
        assert_eq!(order, [("MX503", 2), ("MX201", 1), ("MX301", 1)]);
        let mut out = Vec::new();
        write_statistics(&mut out, &diagnostics).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert!(
            lines[1].starts_with("2 ") && lines[1].contains(rule("MX503").name),
            "{text}"
        );
    }

    #[test]
    fn fix_hints_count_safe_and_hidden_fixes() {
        let hint = |fixable, fixable_unsafe| {
            Summary {
                fixable,
                fixable_unsafe,
                ..Summary::default()
            }
            .fix_hint()
        };
        assert_eq!(hint(0, 0), None);
        assert_eq!(
            hint(2, 0).as_deref(),
            Some("[*] 2 fixable with the --fix option.")
        );
        assert_eq!(
            hint(1, 1).as_deref(),
            Some("[*] 1 fixable with the --fix option (1 hidden fix can be enabled with the --unsafe-fixes option).")
        );
        assert_eq!(
            hint(0, 3).as_deref(),
            Some("No fixes available (3 hidden fixes can be enabled with the --unsafe-fixes option).")
        );
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
