//! report::merge: the JSON outputs of `mxlint check --shard K/N --format json` (one per shard)
//! back into the outcome a single run would have had, for any report format (`mxlint merge`).
//!
//! How each part of a single run is rebuilt:
//!
//! - a finding is identified as in the run itself (code, message, primary and related places and
//!   labels); its host lists from the shards are joined in inventory order, which each shard
//!   records (`shard.repos[].first` + position); help and fix message come from the copy of
//!   its first host, fix edits are joined;
//! - MX001 (unused suppression) is dropped when another shard used that entry
//!   (`shard.used_suppressions`): a directive in a template may suppress findings of hosts
//!   that are all in one shard. Findings without hosts (load errors, malformed directives)
//!   come from every shard that read the file and are kept once;
//! - `summary.files` counts the union of the files the shards read; the other counts follow
//!   from the merged findings;
//! - texts: files findings point into are read from disk (the checkout the shards ran in;
//!   their digest must match) or taken from `shard.sources` (rendered outputs, stock files).
//!
//! The inputs must be complete and agree: same mxlint version, the same N, targets, hosts in
//! scope and fail level, every K from 1 to N exactly once.

use super::json::{self, Range, ShardSection};
use crate::diagnostic::{Applicability, Diagnostic, Edit, FileError, Fix, Label, Severity};
use crate::source::{SourceDb, Span};
use crate::Outcome;
use indexmap::IndexMap;
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// A merged run: its outcome and how `check` would have ended it.
#[derive(Debug)]
pub struct Merged {
    pub outcome: Outcome,
    pub fail_level: Severity,
    pub exit_zero: bool,
    /// The targets the shards checked, as given to `check`.
    pub targets: Vec<String>,
}

/// Why the inputs cannot be merged; the message names the file and what to do.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct MergeError(pub String);

#[derive(Deserialize)]
struct Input {
    version: u32,
    tool: InTool,
    diagnostics: Vec<InDiagnostic>,
    errors: Vec<InError>,
    shard: Option<ShardSection>,
}

#[derive(Deserialize)]
struct InTool {
    version: String,
}

#[derive(Clone, Deserialize)]
struct InDiagnostic {
    code: String,
    severity: String,
    message: String,
    help: Option<String>,
    #[serde(flatten)]
    range: Range,
    #[serde(default)]
    label: String,
    hosts: Vec<String>,
    related: Vec<InRelated>,
    fix: Option<InFix>,
}

#[derive(Clone, PartialEq, Eq, Hash, Deserialize)]
struct InRelated {
    message: String,
    #[serde(flatten)]
    range: Range,
}

#[derive(Clone, Deserialize)]
struct InFix {
    message: String,
    applicability: String,
    edits: Vec<InEdit>,
}

#[derive(Clone, PartialEq, Eq, Deserialize)]
struct InEdit {
    #[serde(flatten)]
    range: Range,
    content: String,
}

#[derive(Clone, PartialEq, Eq, Deserialize)]
struct InError {
    path: String,
    line: Option<usize>,
    column: Option<usize>,
    message: String,
}

/// Merges the shard outputs `inputs` (path, text); paths in them resolve against the working
/// directory, as they were printed.
pub fn merge(inputs: &[(PathBuf, String)]) -> Result<Merged, MergeError> {
    let mut shards = read_inputs(inputs)?;
    check_complete(&shards)?;
    shards.sort_by_key(|(_, input, _)| input.index);
    let order = HostOrder::new(&shards)?;
    let first = &shards[0].1;
    let mut used: HashSet<&Range> = HashSet::new();
    let mut files: IndexMap<&str, ()> = IndexMap::new();
    let (mut sources, mut digests) = (HashMap::new(), HashMap::new());
    let shard_texts = |s: &std::collections::BTreeMap<String, String>| {
        s.iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect::<Vec<_>>()
    };
    let mut errors: Vec<&InError> = Vec::new();
    let mut findings: IndexMap<Identity, Acc> = IndexMap::new();
    for (_, shard, report) in &shards {
        used.extend(&shard.used_suppressions);
        files.extend(shard.files.iter().map(|f| (f.as_str(), ())));
        sources.extend(shard_texts(&shard.sources));
        digests.extend(shard_texts(&shard.digests));
        for e in &report.errors {
            if !errors.contains(&e) {
                errors.push(e);
            }
        }
        for d in &report.diagnostics {
            let rank = order.rank(&d.hosts);
            findings
                .entry(Identity::of(d))
                .or_insert_with(|| Acc::new(d, rank))
                .add(d, rank, &order);
        }
    }
    findings.retain(|_, acc| !(acc.base.code == "MX001" && used.contains(&acc.base.range)));
    let mut db = SourceDb::new();
    let texts = Texts {
        sources: &sources,
        digests: &digests,
    };
    let mut ids = HashMap::new();
    for path in files.keys() {
        let referenced = sources.contains_key(*path) || digests.contains_key(*path);
        let text = if referenced {
            texts.get(path)?
        } else {
            String::new()
        };
        ids.insert(path.to_string(), db.add(*path, text));
    }
    let mut outcome = Outcome {
        errors: errors.into_iter().map(file_error).collect(),
        ..Outcome::default()
    };
    for acc in findings.into_values() {
        let d = acc.into_diagnostic(&mut db, &mut ids, &texts)?;
        outcome.diagnostics.push(d);
    }
    outcome.db = db;
    super::sort(&outcome.db, &mut outcome.diagnostics);
    let fail_level = Severity::parse(&first.fail_level).ok_or_else(|| {
        MergeError(format!(
            "{}: unknown fail level `{}`",
            shards[0].0.display(),
            first.fail_level
        ))
    })?;
    Ok(Merged {
        outcome,
        fail_level,
        exit_zero: first.exit_zero,
        targets: first.targets.clone(),
    })
}

type Shard<'a> = (&'a Path, ShardSection, Input);

fn read_inputs(inputs: &[(PathBuf, String)]) -> Result<Vec<Shard<'_>>, MergeError> {
    let mut out = Vec::new();
    for (path, text) in inputs {
        let shown = path.display();
        let mut input: Input = serde_json::from_str(text).map_err(|e| {
            MergeError(format!(
                "{shown}: not the JSON output of `mxlint check --format json`: {e}"
            ))
        })?;
        if input.version != json::VERSION {
            return Err(MergeError(format!(
                "{shown}: JSON version {}, this mxlint merges version {}",
                input.version,
                json::VERSION
            )));
        }
        let shard = input.shard.take().ok_or_else(|| {
            MergeError(format!(
                "{shown}: not a shard's output (no `shard` section); run `mxlint check --shard K/N --format json`"
            ))
        })?;
        out.push((path.as_path(), shard, input));
    }
    if out.is_empty() {
        return Err(MergeError("no shard outputs to merge".into()));
    }
    Ok(out)
}

/// Every shard of one run, each once, agreeing on what was checked.
fn check_complete(shards: &[Shard<'_>]) -> Result<(), MergeError> {
    let (first_path, first, first_input) = &shards[0];
    let mut seen: HashMap<usize, &Path> = HashMap::new();
    for (path, shard, input) in shards {
        let differs = |what: &str| {
            Err(MergeError(format!(
                "{} and {} come from different runs: their {what} differ",
                first_path.display(),
                path.display()
            )))
        };
        if input.tool.version != first_input.tool.version {
            return differs("mxlint versions");
        }
        if shard.count != first.count {
            return differs("shard counts (N)");
        }
        if shard.targets != first.targets {
            return differs("checked paths");
        }
        let scope = |s: &ShardSection| -> Vec<(String, usize, String)> {
            s.repos
                .iter()
                .map(|r| (r.path.clone(), r.hosts, r.fingerprint.clone()))
                .collect()
        };
        if scope(shard) != scope(first) {
            return differs("inventories (hosts in scope)");
        }
        if (&shard.fail_level, shard.exit_zero) != (&first.fail_level, first.exit_zero) {
            return differs("fail levels");
        }
        if let Some(other) = seen.insert(shard.index, path) {
            return Err(MergeError(format!(
                "{} and {} are both shard {}/{}",
                other.display(),
                path.display(),
                shard.index,
                shard.count
            )));
        }
    }
    let missing: Vec<String> = (1..=first.count)
        .filter(|k| !seen.contains_key(k))
        .map(|k| format!("{k}/{}", first.count))
        .collect();
    if !missing.is_empty() {
        return Err(MergeError(format!(
            "missing shard output(s): {} (every shard of the run must be merged)",
            missing.join(", ")
        )));
    }
    Ok(())
}

/// Each host's position in its repository's scope (inventory order), from the shards' blocks.
struct HostOrder {
    /// Per repository: host name → position.
    repos: Vec<HashMap<String, usize>>,
}

impl HostOrder {
    fn new(shards: &[Shard<'_>]) -> Result<Self, MergeError> {
        let count = shards[0].1.repos.len();
        let mut repos = vec![HashMap::new(); count];
        for (path, shard, _) in shards {
            for (i, repo) in shard.repos.iter().enumerate() {
                let expected = crate::shard::Shard {
                    index: shard.index,
                    count: shard.count,
                }
                .range(repo.hosts);
                if repo.first != expected.start || repo.checked.len() != expected.len() {
                    return Err(MergeError(format!(
                        "{}: shard {}/{} of {} should check hosts {}..{} of {}, not {} from {}",
                        path.display(),
                        shard.index,
                        shard.count,
                        repo.path,
                        expected.start,
                        expected.end,
                        repo.hosts,
                        repo.checked.len(),
                        repo.first
                    )));
                }
                for (j, host) in repo.checked.iter().enumerate() {
                    repos[i].insert(host.clone(), repo.first + j);
                }
            }
        }
        Ok(HostOrder { repos })
    }

    /// The position of `host` in the first repository whose scope has all of `hosts`.
    fn position(&self, hosts: &[String], host: &str) -> usize {
        self.repos
            .iter()
            .find(|r| hosts.iter().all(|h| r.contains_key(h)))
            .and_then(|r| r.get(host).copied())
            .unwrap_or(usize::MAX)
    }

    /// Where a copy of a finding stands in the single run: its first host's position; a copy
    /// without hosts (found while loading) comes before all.
    fn rank(&self, hosts: &[String]) -> Option<usize> {
        hosts.iter().map(|h| self.position(hosts, h)).min()
    }
}

/// What makes two findings one, as the run itself merges them (hosts aside).
#[derive(PartialEq, Eq, Hash)]
struct Identity {
    code: String,
    message: String,
    range: Range,
    label: String,
    related: Vec<InRelated>,
}

impl Identity {
    fn of(d: &InDiagnostic) -> Self {
        Identity {
            code: d.code.clone(),
            message: d.message.clone(),
            range: d.range.clone(),
            label: d.label.clone(),
            related: d.related.clone(),
        }
    }
}

/// One finding being merged.
struct Acc {
    /// The copy of the first host (severity, help).
    base: InDiagnostic,
    rank: Option<usize>,
    hosts: Vec<(usize, String)>,
    /// The first host's fix message, every edit once, unsafe when any copy's fix is.
    fix: Option<(Option<usize>, InFix)>,
}

impl Acc {
    fn new(d: &InDiagnostic, rank: Option<usize>) -> Self {
        Acc {
            base: d.clone(),
            rank,
            hosts: Vec::new(),
            fix: None,
        }
    }

    fn add(&mut self, d: &InDiagnostic, rank: Option<usize>, order: &HostOrder) {
        if rank < self.rank {
            self.base = d.clone();
            self.rank = rank;
        }
        for host in &d.hosts {
            if !self.hosts.iter().any(|(_, h)| h == host) {
                self.hosts
                    .push((order.position(&d.hosts, host), host.clone()));
            }
        }
        let Some(fix) = &d.fix else { return };
        match &mut self.fix {
            None => self.fix = Some((rank, fix.clone())),
            Some((fix_rank, merged)) => {
                if rank < *fix_rank {
                    *fix_rank = rank;
                    merged.message = fix.message.clone();
                }
                if fix.applicability == "unsafe" {
                    merged.applicability = fix.applicability.clone();
                }
                for edit in &fix.edits {
                    if !merged.edits.contains(edit) {
                        merged.edits.push(edit.clone());
                    }
                }
            }
        }
    }

    fn into_diagnostic(
        mut self,
        db: &mut SourceDb,
        ids: &mut HashMap<String, crate::source::FileId>,
        texts: &Texts,
    ) -> Result<Diagnostic, MergeError> {
        let base = &self.base;
        let rule = crate::rules::find(&base.code)
            .ok_or_else(|| MergeError(format!("unknown rule `{}` in the inputs", base.code)))?;
        let severity = Severity::parse(&base.severity).ok_or_else(|| {
            MergeError(format!(
                "unknown severity `{}` in the inputs",
                base.severity
            ))
        })?;
        let mut span = |r: &Range| span_of(db, ids, texts, r);
        let mut d = Diagnostic::new(rule, span(&base.range)?, base.message.clone())
            .label(base.label.clone());
        d.severity = severity;
        d.help = base.help.clone();
        for related in &base.related {
            d.related
                .push(Label::new(span(&related.range)?, related.message.clone()));
        }
        self.hosts.sort_by_key(|(position, _)| *position);
        d.hosts = self.hosts.into_iter().map(|(_, h)| h).collect();
        if let Some((_, fix)) = self.fix {
            let mut edits = Vec::new();
            for e in &fix.edits {
                edits.push(Edit::new(span(&e.range)?, e.content.clone()));
            }
            d.fix = Some(Fix {
                message: fix.message,
                applicability: if fix.applicability == "unsafe" {
                    Applicability::Unsafe
                } else {
                    Applicability::Safe
                },
                edits,
            });
        }
        Ok(d)
    }
}

/// Where the texts of the files findings point into come from.
struct Texts<'a> {
    sources: &'a HashMap<String, String>,
    digests: &'a HashMap<String, String>,
}

impl Texts<'_> {
    fn get(&self, path: &str) -> Result<String, MergeError> {
        if let Some(text) = self.sources.get(path) {
            return Ok(text.clone());
        }
        let text = std::fs::read_to_string(path).map_err(|e| {
            MergeError(format!(
                "cannot read {path}: {e}; run `mxlint merge` in the checkout the shards checked"
            ))
        })?;
        match self.digests.get(path) {
            Some(digest) if *digest != json::digest(&text) => Err(MergeError(format!(
                "{path} changed since the shards checked it; merge in the same checkout"
            ))),
            _ => Ok(text),
        }
    }
}

/// The span of a JSON range, the file read into `db` on first use.
fn span_of(
    db: &mut SourceDb,
    ids: &mut HashMap<String, crate::source::FileId>,
    texts: &Texts,
    range: &Range,
) -> Result<Span, MergeError> {
    let id = match ids.get(&range.path) {
        Some(id) => *id,
        None => {
            let id = db.add(range.path.as_str(), texts.get(&range.path)?);
            ids.insert(range.path.clone(), id);
            id
        }
    };
    let file = db.file(id);
    let at = |line: usize, column: usize| -> Result<usize, MergeError> {
        offset(file, line, column).ok_or_else(|| {
            MergeError(format!(
                "{}:{line}:{column} is not in the file; merge in the checkout the shards checked",
                range.path
            ))
        })
    };
    let start = at(range.line, range.column)?;
    let end = at(range.end_line, range.end_column)?;
    Ok(Span::new(id, start, end.max(start)))
}

/// The byte offset of a 1-based line and code-point column, the inverse of
/// [`crate::source::SourceFile::line_col`].
fn offset(file: &crate::source::SourceFile, line: usize, column: usize) -> Option<usize> {
    let index = line.checked_sub(1)?;
    if index >= file.line_count() {
        return None;
    }
    let start = file.line_range(index).start;
    let rest = &file.text()[start..];
    let skip = column.checked_sub(1)?;
    match rest.char_indices().nth(skip) {
        Some((at, _)) => Some(start + at),
        None if rest.chars().count() == skip => Some(file.text().len()),
        None => None,
    }
}

fn file_error(e: &InError) -> FileError {
    FileError {
        path: PathBuf::from(&e.path),
        position: e.line.zip(e.column),
        message: e.message.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_invert_line_columns() {
        let mut db = SourceDb::new();
        let id = db.add("f", "ab\nçé = 1\r\nlast".to_string());
        let file = db.file(id);
        for at in 0..=file.text().len() {
            if !file.text().is_char_boundary(at) {
                continue;
            }
            let lc = file.line_col(at);
            assert_eq!(offset(file, lc.line, lc.column), Some(at), "{at}");
        }
        assert_eq!(offset(file, 9, 1), None);
        assert_eq!(offset(file, 0, 1), None);
    }
}
