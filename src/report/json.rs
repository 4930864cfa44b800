//! report::json: the versioned machine-readable report (`"version": 1`).
//!
//! Built from mxlint's own diagnostic model (not miette's JSON handler, whose labels carry only
//! byte offsets). Every position has a path, a 1-based line and a 1-based column in code
//! points; `end_column` is exclusive. `summary.files` counts the files read (checked files and
//! their includes). With `--statistics` a `statistics` array (`code`, `name`, `count`,
//! `fixable`, most frequent first) follows `summary`; without it the key is absent. Adding
//! fields is compatible; renaming or removing one bumps `version`.
//!
//! A `check --shard K/N` run adds what `mxlint merge` needs ([`ShardSection`] under `shard`,
//! and each diagnostic's primary `label`); a plain run has neither key.

use super::{path_of, Statistic, Summary};
use crate::diagnostic::{Applicability, Diagnostic, FileError};
use crate::source::{SourceDb, Span};
use crate::Outcome;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{self, Write};

/// The schema version of this format.
pub const VERSION: u32 = 1;

#[derive(Serialize)]
pub struct Report<'a> {
    pub version: u32,
    pub tool: Tool,
    pub diagnostics: Vec<JsonDiagnostic<'a>>,
    pub errors: Vec<JsonError>,
    pub summary: JsonSummary,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statistics: Option<Vec<Statistic>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardSection>,
}

/// What one shard of a `--shard K/N` run tells `mxlint merge`, beyond its findings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardSection {
    pub index: usize,
    pub count: usize,
    /// The run's `--fail-level` (the config file's, or the flag's) and `--exit-zero`.
    pub fail_level: String,
    pub exit_zero: bool,
    /// The paths given to `check`, as given.
    pub targets: Vec<String>,
    /// Per repository checked: its hosts in scope and the block this shard checked.
    pub repos: Vec<ShardRepo>,
    /// Every file the shard read (the merged `summary.files` counts their union).
    pub files: Vec<String>,
    /// Suppression entries that suppressed a finding here (another shard's MX001 on one of
    /// them is dropped).
    pub used_suppressions: Vec<Range>,
    /// The text (secrets masked) of files findings point into that are not on disk as read:
    /// rendered outputs, stock files.
    pub sources: BTreeMap<String, String>,
    /// FNV-1a (hex) of the other files findings point into, which `merge` reads from disk and
    /// checks against.
    pub digests: BTreeMap<String, String>,
}

/// One repository of a shard: how many hosts are in scope (and a fingerprint of their names
/// in inventory order), and which of them, from position `first` on, this shard checked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardRepo {
    pub path: String,
    pub hosts: usize,
    pub fingerprint: String,
    pub first: usize,
    pub checked: Vec<String>,
}

#[derive(Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

#[derive(Serialize)]
pub struct JsonDiagnostic<'a> {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: &'static str,
    pub message: &'a str,
    pub help: Option<&'a str>,
    #[serde(flatten)]
    pub range: Range,
    /// The primary label (shard output only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<&'a str>,
    pub hosts: &'a [String],
    pub related: Vec<Related<'a>>,
    pub fix: Option<JsonFix<'a>>,
}

/// Where a span is: path, start and (exclusive) end.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Range {
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

#[derive(Serialize)]
pub struct Related<'a> {
    pub message: &'a str,
    #[serde(flatten)]
    pub range: Range,
}

#[derive(Serialize)]
pub struct JsonFix<'a> {
    pub message: &'a str,
    pub applicability: Applicability,
    pub edits: Vec<JsonEdit<'a>>,
}

#[derive(Serialize)]
pub struct JsonEdit<'a> {
    #[serde(flatten)]
    pub range: Range,
    pub content: &'a str,
}

#[derive(Serialize)]
pub struct JsonError {
    pub path: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

#[derive(Serialize)]
pub struct JsonSummary {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    pub styles: usize,
    pub files: usize,
    /// Findings a `--baseline` file accepted (not in `diagnostics`).
    pub baselined: usize,
    /// Findings with a safe fix (`--fix`), and with an unsafe one (`--unsafe-fixes`).
    pub fixable: usize,
    pub fixable_unsafe: usize,
}

/// Writes the whole report as one pretty-printed JSON document and a newline; with
/// `with_statistics`, the `statistics` key too.
pub fn write(out: &mut dyn Write, outcome: &Outcome, with_statistics: bool) -> io::Result<()> {
    let mut report = report(outcome);
    if with_statistics {
        report.statistics = Some(super::statistics(&outcome.diagnostics));
    }
    serde_json::to_writer_pretty(&mut *out, &report)?;
    writeln!(out)
}

pub fn report(outcome: &Outcome) -> Report<'_> {
    let summary = Summary::of(outcome);
    Report {
        version: VERSION,
        tool: Tool {
            name: "mxlint",
            version: env!("CARGO_PKG_VERSION"),
        },
        diagnostics: outcome
            .diagnostics
            .iter()
            .map(|d| diagnostic(&outcome.db, d))
            .collect(),
        errors: outcome.errors.iter().map(error).collect(),
        summary: JsonSummary {
            errors: summary.errors,
            warnings: summary.warnings,
            infos: summary.infos,
            styles: summary.styles,
            files: summary.files_checked,
            baselined: summary.baselined,
            fixable: summary.fixable,
            fixable_unsafe: summary.fixable_unsafe,
        },
        statistics: None,
        shard: None,
    }
}

/// The run-wide facts of a `--shard` run that the outcome does not hold.
pub struct ShardRunInfo {
    pub shard: crate::shard::Shard,
    pub fail_level: crate::diagnostic::Severity,
    pub exit_zero: bool,
    pub targets: Vec<String>,
}

/// [`write`] for one shard of a `--shard K/N` run: the report plus what `mxlint merge` needs.
pub fn write_shard(
    out: &mut dyn Write,
    outcome: &Outcome,
    with_statistics: bool,
    info: &ShardRunInfo,
) -> io::Result<()> {
    let mut report = report(outcome);
    if with_statistics {
        report.statistics = Some(super::statistics(&outcome.diagnostics));
    }
    for (json, d) in report.diagnostics.iter_mut().zip(&outcome.diagnostics) {
        json.label = Some(&d.primary.message);
    }
    report.shard = Some(shard_section(outcome, info));
    serde_json::to_writer_pretty(&mut *out, &report)?;
    writeln!(out)
}

fn shard_section(outcome: &Outcome, info: &ShardRunInfo) -> ShardSection {
    let db = &outcome.db;
    let repos = outcome
        .repos
        .iter()
        .map(|run| ShardRepo {
            path: run.root.to_string_lossy().into_owned(),
            hosts: run.scope.hosts.len(),
            fingerprint: format!("{:016x}", crate::shard::fnv1a(&run.scope.hosts)),
            first: run.scope.checked.start,
            checked: run.scope.hosts[run.scope.checked.clone()].to_vec(),
        })
        .collect();
    let mut files: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (id, _) in db.files() {
        let path = path_of(db, id);
        if seen.insert(path.clone()) {
            files.push(path);
        }
    }
    let mut used: Vec<Range> = outcome
        .repos
        .iter()
        .flat_map(|run| run.used_suppressions.iter().map(|s| range(db, *s)))
        .collect();
    used.sort();
    used.dedup();
    let (sources, digests) = referenced_texts(outcome);
    ShardSection {
        index: info.shard.index,
        count: info.shard.count,
        fail_level: info.fail_level.as_str().to_string(),
        exit_zero: info.exit_zero,
        targets: info.targets.clone(),
        repos,
        files,
        used_suppressions: used,
        sources,
        digests,
    }
}

/// The files findings point into: the masked text of those not on disk as read, the digest of
/// the others.
fn referenced_texts(outcome: &Outcome) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let db = &outcome.db;
    let mut ids: Vec<crate::source::FileId> = Vec::new();
    for d in &outcome.diagnostics {
        ids.push(d.primary.span.file);
        ids.extend(d.related.iter().map(|l| l.span.file));
        if let Some(fix) = &d.fix {
            ids.extend(fix.edits.iter().map(|e| e.span.file));
        }
    }
    ids.sort_unstable();
    ids.dedup();
    let (mut sources, mut digests) = (BTreeMap::new(), BTreeMap::new());
    for id in ids {
        let file = db.file(id);
        let text = file.text();
        let on_disk = !db.is_builtin(id)
            && std::fs::read_to_string(file.path()).is_ok_and(|disk| disk == text);
        if on_disk {
            digests.insert(path_of(db, id), digest(text));
        } else {
            let shown = crate::redact::mask_secrets(text).unwrap_or_else(|| text.to_string());
            sources.insert(path_of(db, id), shown);
        }
    }
    (sources, digests)
}

/// The digest `merge` compares a file on disk against.
pub fn digest(text: &str) -> String {
    format!("{:016x}", crate::shard::fnv1a([text]))
}

fn diagnostic<'a>(db: &SourceDb, d: &'a Diagnostic) -> JsonDiagnostic<'a> {
    JsonDiagnostic {
        code: d.rule.code,
        name: d.rule.name,
        severity: d.severity.as_str(),
        message: &d.message,
        help: d.help.as_deref(),
        range: range(db, d.primary.span),
        label: None,
        hosts: &d.hosts,
        related: d
            .related
            .iter()
            .map(|label| Related {
                message: &label.message,
                range: range(db, label.span),
            })
            .collect(),
        fix: d.fix.as_ref().map(|fix| JsonFix {
            message: &fix.message,
            applicability: fix.applicability,
            edits: fix
                .edits
                .iter()
                .map(|edit| JsonEdit {
                    range: range(db, edit.span),
                    content: &edit.replacement,
                })
                .collect(),
        }),
    }
}

pub(crate) fn range(db: &SourceDb, span: Span) -> Range {
    let (start, end) = db.range(span);
    Range {
        path: path_of(db, span.file),
        line: start.line,
        column: start.column,
        end_line: end.line,
        end_column: end.column,
    }
}

fn error(e: &FileError) -> JsonError {
    JsonError {
        path: e.path.to_string_lossy().into_owned(),
        line: e.position.map(|(line, _)| line),
        column: e.position.map(|(_, column)| column),
        message: e.message.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{Edit, Fix};

    #[test]
    fn every_field_in_place() {
        let mut outcome = Outcome::default();
        let file = outcome.db.add("dovecot.conf", "a = 1\nçé = 2\n".into());
        let rule = crate::rules::find("MX301").unwrap();
        let mut diagnostic = Diagnostic::new(rule, Span::new(file, 6, 10), "msg")
            .help("do this")
            .related(Span::new(file, 0, 1), "see a")
            .fix(Fix {
                message: "replace".into(),
                applicability: Applicability::Safe,
                edits: vec![Edit::new(Span::new(file, 13, 14), "3")],
            });
        diagnostic.hosts.push("mx1".into());
        outcome.diagnostics.push(diagnostic);
        outcome.errors.push(FileError {
            path: "bad.conf".into(),
            position: Some((3, 2)),
            message: "invalid UTF-8".into(),
        });
        let mut out = Vec::new();
        write(&mut out, &outcome, false).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let expected = serde_json::json!({
            "version": 1,
            "tool": {"name": "mxlint", "version": env!("CARGO_PKG_VERSION")},
            "diagnostics": [{
                "code": "MX301",
                "name": rule.name,
                "severity": rule.severity.as_str(),
                "message": "msg",
                "help": "do this",
                "path": "dovecot.conf",
                "line": 2, "column": 1, "end_line": 2, "end_column": 3,
                "hosts": ["mx1"],
                "related": [{"message": "see a", "path": "dovecot.conf",
                             "line": 1, "column": 1, "end_line": 1, "end_column": 2}],
                "fix": {"message": "replace", "applicability": "safe",
                        "edits": [{"path": "dovecot.conf", "line": 2, "column": 6,
                                   "end_line": 2, "end_column": 7, "content": "3"}]}
            }],
            "errors": [{"path": "bad.conf", "line": 3, "column": 2, "message": "invalid UTF-8"}],
            "summary": {
                "errors": 0, "warnings": 0, "infos": 0, "styles": 0, "files": 1,
                "baselined": 0,
                "fixable": 1,
                "fixable_unsafe": 0
            }
        });
        let mut expected = expected;
        let key = match rule.severity.as_str() {
            "error" => "errors",
            "warning" => "warnings",
            "info" => "infos",
            _ => "styles",
        };
        expected["summary"][key] = 1.into();
        assert_eq!(value, expected);
    }

    #[test]
    fn empty_report_has_null_free_arrays() {
        let value = serde_json::to_value(report(&Outcome::default())).unwrap();
        assert_eq!(value["diagnostics"], serde_json::json!([]));
        assert_eq!(value["errors"], serde_json::json!([]));
        assert_eq!(value["summary"]["files"], 0);
    }
}
