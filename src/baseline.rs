//! baseline: the findings a repository already had when it adopted mxlint, so a run reports
//! only new ones (`--write-baseline FILE`, then `--baseline FILE`).
//!
//! An entry names a finding by rule code, file (relative to the base directory, `/`-separated)
//! and a content fingerprint: a hash of the code, the trimmed text of the finding's primary
//! line and how many identical lines come before it in the file. Line numbers are left out on
//! purpose, so an edit elsewhere in the file that shifts lines does not bring findings back;
//! editing the line itself does. Hosts are written for the reader and ignored when matching.
//! This module reads and writes baseline files; the CLI decides when.

use crate::diagnostic::Diagnostic;
use crate::source::{FileId, SourceDb};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Component, Path};

/// The format version this mxlint writes and reads.
pub const VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub version: u32,
    pub entries: Vec<Entry>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub code: String,
    pub file: String,
    pub fingerprint: String,
    #[serde(default)]
    pub hosts: Vec<String>,
}

/// Why a baseline file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("cannot read baseline {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("baseline {path} is not a mxlint baseline: {message}")]
    Invalid { path: String, message: String },
    #[error("baseline {path} has version {found}; this mxlint reads version {VERSION} (write it again with --write-baseline)")]
    Version { path: String, found: u32 },
}

/// Reads a baseline file.
pub fn load(path: &Path) -> Result<Baseline, BaselineError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| BaselineError::Read {
        path: shown.clone(),
        source,
    })?;
    let baseline: Baseline = serde_json::from_str(&text).map_err(|e| BaselineError::Invalid {
        path: shown.clone(),
        message: e.to_string(),
    })?;
    if baseline.version != VERSION {
        return Err(BaselineError::Version {
            path: shown,
            found: baseline.version,
        });
    }
    Ok(baseline)
}

/// The baseline of these findings, files relative to `base`, in the findings' order.
pub fn of(db: &SourceDb, diagnostics: &[Diagnostic], base: &Path) -> Baseline {
    let mut fingerprints = Fingerprints::default();
    Baseline {
        version: VERSION,
        entries: diagnostics
            .iter()
            .map(|d| Entry {
                code: d.rule.code.to_string(),
                file: relative(db.file(d.primary.span.file).path(), base),
                fingerprint: fingerprints.of(db, d),
                hosts: d.hosts.clone(),
            })
            .collect(),
    }
}

/// The baseline as written to disk: pretty JSON and a final newline, for readable diffs.
pub fn to_json(baseline: &Baseline) -> String {
    let mut text = serde_json::to_string_pretty(baseline).unwrap_or_default();
    text.push('\n');
    text
}

/// Drops the findings the baseline lists; returns how many. Each entry matches one finding, so
/// a second identical problem on another identical line is still reported.
pub fn filter(
    db: &SourceDb,
    diagnostics: &mut Vec<Diagnostic>,
    baseline: &Baseline,
    base: &Path,
) -> usize {
    let mut left: HashMap<(String, String, String), usize> = HashMap::new();
    for e in &baseline.entries {
        *left
            .entry((e.code.clone(), e.file.clone(), e.fingerprint.clone()))
            .or_default() += 1;
    }
    let mut fingerprints = Fingerprints::default();
    let before = diagnostics.len();
    diagnostics.retain(|d| {
        let file = relative(db.file(d.primary.span.file).path(), base);
        let fingerprint = fingerprints.of(db, d);
        match left.get_mut(&(d.rule.code.to_string(), file, fingerprint)) {
            Some(n) if *n > 0 => {
                *n -= 1;
                false
            }
            _ => true,
        }
    });
    before - diagnostics.len()
}

/// Fingerprints, with each file's occurrence counts computed once.
#[derive(Default)]
struct Fingerprints {
    /// Per file: for each line, how many identical (trimmed) lines come before it.
    occurrences: HashMap<FileId, Vec<usize>>,
}

impl Fingerprints {
    fn of(&mut self, db: &SourceDb, d: &Diagnostic) -> String {
        let file = db.file(d.primary.span.file);
        let index = file.line_index(d.primary.span.start());
        let occurrence = self
            .occurrences
            .entry(d.primary.span.file)
            .or_insert_with(|| {
                let mut seen: HashMap<&str, usize> = HashMap::new();
                (0..file.line_count())
                    .map(|i| {
                        let n = seen
                            .entry(file.text()[file.line_range(i)].trim())
                            .or_default();
                        *n += 1;
                        *n - 1
                    })
                    .collect()
            })
            .get(index)
            .copied()
            .unwrap_or(0);
        let line = file.text()[file.line_range(index)].trim();
        let mut hash = Sha256::new();
        for part in [d.rule.code, line, &occurrence.to_string()] {
            hash.update(part.as_bytes());
            hash.update([0]);
        }
        hash.finalize()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// `path` relative to `base` with `/` separators (`./` and the base removed), else as given.
pub fn relative(path: &Path, base: &Path) -> String {
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let full = absolute(path);
    let shown = full.strip_prefix(absolute(base)).unwrap_or(path);
    shown
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Span;

    fn finding(db: &SourceDb, file: FileId, line: usize) -> Diagnostic {
        let start = db.file(file).line_range(line).start;
        Diagnostic::new(
            &crate::rules::unused_suppression::RULE,
            Span::new(file, start + 2, start + 3),
            "m",
        )
    }

    #[test]
    fn fingerprints_follow_content_not_line_numbers() {
        let mut db = SourceDb::new();
        let a = db.add("a.conf", "x = 1\ny = 2\ny = 2\n".into());
        let b = db.add("a.conf", "\n\n# new\nx = 1\ny = 2\ny = 2\n".into());
        let mut f = Fingerprints::default();
        let before: Vec<String> = (0..3).map(|l| f.of(&db, &finding(&db, a, l))).collect();
        let after: Vec<String> = (3..6).map(|l| f.of(&db, &finding(&db, b, l))).collect();
        assert_eq!(before, after);
        // Identical lines are told apart by their order.
        assert_ne!(before[1], before[2]);
    }

    #[test]
    fn filter_drops_each_listed_finding_once() {
        let mut db = SourceDb::new();
        let file = db.add("a.conf", "x = 1\nx = 1\n".into());
        let found = vec![finding(&db, file, 0), finding(&db, file, 1)];
        let baseline = of(&db, &found[..1], Path::new("."));
        let mut again = found.clone();
        again.push(finding(&db, file, 0));
        assert_eq!(filter(&db, &mut again, &baseline, Path::new(".")), 1);
        assert_eq!(again.len(), 2, "the second line and the duplicate stay");
    }

    #[test]
    fn paths_are_relative_to_the_base_with_slashes() {
        assert_eq!(
            relative(Path::new("./repo/roles/x.j2"), Path::new("repo")),
            "roles/x.j2"
        );
        assert_eq!(
            relative(Path::new("./site.yml"), Path::new(".")),
            "site.yml"
        );
    }
}
