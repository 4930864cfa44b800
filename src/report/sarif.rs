//! report::sarif: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.
//!
//! A hand-written subset (as ruff and ansible-lint do), built from mxlint's own diagnostic
//! model and valid against the OASIS schema (`tests/fixtures/sarif-schema-2.1.0.json`, checked
//! by `tests/sarif.rs`). What goes where:
//!
//! - `tool.driver`: name, version, [`INFORMATION_URI`], and one `rules` entry per rule of
//!   [`crate::rules::ALL`] (id = code, name = kebab name, short/full description, `helpUri`
//!   under [`RULE_DOCS_URL`], `help.markdown` = the rule's page, default level).
//! - One result per diagnostic, i.e. per host group: `properties.hosts` lists the hosts and the
//!   message names them; `relatedLocations` are the diagnostic's secondary labels; `fixes` hold
//!   its edits as `artifactChanges[].replacements`.
//! - Regions are 1-based with **UTF-16 code-unit columns** (`columnKind: utf16CodeUnits`, the
//!   spec's default) and an exclusive end column; an empty region is an insertion point.
//! - URIs are relative to the working directory with forward slashes and `uriBaseId`
//!   `%SRCROOT%` (the working directory, in `originalUriBaseIds`); files outside it get an
//!   absolute `file://` URI.
//! - `partialFingerprints[`[`FINGERPRINT_KEY`]`]`: a hash of code, URI and the trimmed text of
//!   the primary line, plus `:N` for the N-th result with the same hash; edits elsewhere in the
//!   file do not change it. `primaryLocationLineHash` is left to `upload-sarif`, which computes it
//!   itself and warns when a tool's value differs from its own.
//! - File errors are `invocations[0].toolExecutionNotifications` (line only: the column of an
//!   unreadable file is not known in UTF-16 units); `executionSuccessful` is false when any.

use super::{portable_path, statistics};
use crate::diagnostic::{Diagnostic, Edit, FileError, Label, Severity};
use crate::rules::{Rule, ALL};
use crate::source::{SourceDb, Span};
use crate::Outcome;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::{self, Write};
use std::path::Path;

/// Where the project lives; `tool.driver.informationUri`.
pub const INFORMATION_URI: &str = env!("CARGO_PKG_REPOSITORY");
/// Base of every rule's `helpUri`: the rule's page `rules/MXnnn.md` in the repository.
pub const RULE_DOCS_URL: &str = concat!(env!("CARGO_PKG_REPOSITORY"), "/blob/main/rules/");
/// The `partialFingerprints` key of mxlint's content fingerprint.
pub const FINGERPRINT_KEY: &str = "mxlintContentHash/v1";
const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const SRCROOT: &str = "%SRCROOT%";

/// Writes the SARIF log for `outcome` (paths relative to the working directory) and a newline.
/// With `with_statistics`, the `--statistics` counts go to `runs[0].properties.statistics`.
pub fn write(out: &mut dyn Write, outcome: &Outcome, with_statistics: bool) -> io::Result<()> {
    let cwd = std::env::current_dir().ok();
    let mut log = log(outcome, cwd.as_deref());
    if with_statistics {
        log["runs"][0]["properties"] = json!({"statistics": statistics(&outcome.diagnostics)});
    }
    serde_json::to_writer_pretty(&mut *out, &log)?;
    writeln!(out)
}

/// The SARIF log as a JSON value; `base` is the directory relative URIs resolve against.
pub fn log(outcome: &Outcome, base: Option<&Path>) -> Value {
    let cx = Cx {
        db: &outcome.db,
        base,
    };
    let mut seen: HashMap<String, usize> = HashMap::new();
    let results: Vec<Value> = outcome
        .diagnostics
        .iter()
        .map(|d| {
            let mut r = result(&cx, d);
            let hash = fingerprint(&cx, d);
            let n = seen.entry(hash.clone()).or_insert(0);
            *n += 1;
            r["partialFingerprints"] = json!({ FINGERPRINT_KEY: format!("{hash}:{n}") });
            r
        })
        .collect();
    let mut run = json!({
        "tool": {"driver": driver()},
        "invocations": [invocation(&cx, &outcome.errors)],
        "columnKind": "utf16CodeUnits",
        "results": results,
    });
    if let Some(root) = base.and_then(directory_uri) {
        run["originalUriBaseIds"] = json!({ SRCROOT: {"uri": root} });
    }
    json!({"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]})
}

struct Cx<'a> {
    db: &'a SourceDb,
    base: Option<&'a Path>,
}

fn driver() -> Value {
    json!({
        "name": "mxlint",
        "version": env!("CARGO_PKG_VERSION"),
        "semanticVersion": env!("CARGO_PKG_VERSION"),
        "informationUri": INFORMATION_URI,
        "rules": ALL.iter().map(|r| rule(r)).collect::<Vec<_>>(),
    })
}

fn rule(rule: &Rule) -> Value {
    let doc = if rule.doc.trim().is_empty() {
        format!("# {} {}\n\n{}\n", rule.code, rule.name, rule.summary)
    } else {
        rule.doc.to_string()
    };
    json!({
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": first_paragraph(rule.doc).unwrap_or_else(|| rule.summary.to_string())},
        "helpUri": format!("{RULE_DOCS_URL}{}.md", rule.code),
        "help": {"text": doc, "markdown": doc},
        "defaultConfiguration": {"level": level(rule.severity)},
        "properties": {"severity": rule.severity.as_str()},
    })
}

/// The first paragraph after the `# MXnnn name` title, joined into one line.
fn first_paragraph(doc: &str) -> Option<String> {
    let paragraph: Vec<&str> = doc
        .lines()
        .map(str::trim)
        .skip_while(|l| l.is_empty() || l.starts_with('#'))
        .take_while(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    (!paragraph.is_empty()).then(|| paragraph.join(" "))
}

/// SARIF has three result levels: info and style are `note`.
fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info | Severity::Style => "note",
    }
}

fn result(cx: &Cx, d: &Diagnostic) -> Value {
    let mut text = d.message.clone();
    if !d.hosts.is_empty() {
        text.push_str(&format!("\nhosts: {}", d.hosts.join(", ")));
    }
    if let Some(help) = &d.help {
        text.push_str(&format!("\nhelp: {help}"));
    }
    let mut result = json!({
        "ruleId": d.rule.code,
        "level": level(d.severity),
        "message": {"text": text},
        "locations": [location(cx, &d.primary, None)],
        "properties": {"hosts": d.hosts, "severity": d.severity.as_str()},
    });
    if let Some(index) = ALL.iter().position(|r| r.code == d.rule.code) {
        result["ruleIndex"] = index.into();
    }
    if !d.related.is_empty() {
        result["relatedLocations"] = d
            .related
            .iter()
            .enumerate()
            .map(|(i, label)| location(cx, label, Some(i)))
            .collect();
    }
    if let Some(fix) = d.fix.as_ref().filter(|f| !f.edits.is_empty()) {
        result["fixes"] = json!([{
            "description": {"text": fix.message},
            "artifactChanges": artifact_changes(cx, &fix.edits),
            "properties": {"applicability": fix.applicability},
        }]);
    }
    result
}

/// A location with its label as message; related locations also get an `id`.
fn location(cx: &Cx, label: &Label, id: Option<usize>) -> Value {
    let mut location = json!({
        "physicalLocation": {
            "artifactLocation": artifact(cx, label.span),
            "region": region(cx.db, label.span),
        }
    });
    if let Some(id) = id {
        location["id"] = id.into();
    }
    if !label.message.is_empty() {
        location["message"] = json!({"text": label.message});
    }
    location
}

/// One change per file, its edits in order as replacements.
fn artifact_changes(cx: &Cx, edits: &[Edit]) -> Vec<Value> {
    let mut changes: Vec<(crate::source::FileId, Vec<Value>)> = Vec::new();
    for edit in edits {
        let replacement = json!({
            "deletedRegion": region(cx.db, edit.span),
            "insertedContent": {"text": edit.replacement},
        });
        match changes.iter_mut().find(|(file, _)| *file == edit.span.file) {
            Some((_, replacements)) => replacements.push(replacement),
            None => changes.push((edit.span.file, vec![replacement])),
        }
    }
    changes
        .into_iter()
        .map(|(file, replacements)| {
            json!({
                "artifactLocation": artifact_for_path(cx.db.file(file).path(), cx.base),
                "replacements": replacements,
            })
        })
        .collect()
}

fn artifact(cx: &Cx, span: Span) -> Value {
    artifact_for_path(cx.db.file(span.file).path(), cx.base)
}

fn artifact_for_path(path: &Path, base: Option<&Path>) -> Value {
    let portable = portable_path(path, base);
    if portable.starts_with('/') {
        json!({"uri": format!("file://{}", encode_uri_path(&portable))})
    } else {
        json!({"uri": encode_uri_path(&portable), "uriBaseId": SRCROOT})
    }
}

fn region(db: &SourceDb, span: Span) -> Value {
    let (start, end) = db.range_utf16(span);
    json!({
        "startLine": start.line,
        "startColumn": start.column,
        "endLine": end.line,
        "endColumn": end.column,
    })
}

fn invocation(cx: &Cx, errors: &[FileError]) -> Value {
    let notifications: Vec<Value> = errors
        .iter()
        .map(|e| {
            let mut physical = Map::new();
            physical.insert(
                "artifactLocation".into(),
                artifact_for_path(&e.path, cx.base),
            );
            if let Some((line, _)) = e.position {
                physical.insert("region".into(), json!({"startLine": line.max(1)}));
            }
            json!({
                "level": "error",
                "message": {"text": e.message},
                "locations": [{"physicalLocation": physical}],
            })
        })
        .collect();
    json!({
        "executionSuccessful": errors.is_empty(),
        "toolExecutionNotifications": notifications,
    })
}

/// Hash of code, URI and the trimmed primary line: the same finding keeps it when lines are
/// added or removed elsewhere in the file.
fn fingerprint(cx: &Cx, d: &Diagnostic) -> String {
    let span = d.primary.span;
    let file = cx.db.file(span.file);
    let line = file.line_range(file.line_index(span.start().min(file.text().len())));
    let uri = portable_path(file.path(), cx.base);
    let mut hasher = Sha256::new();
    for part in [d.rule.code, uri.as_str(), file.text()[line].trim()] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hasher.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Percent-encodes what may not stand in a URI path (RFC 3986 `pchar` and `/` stay), and `:`
/// so a relative path's first segment is never read as a scheme.
fn encode_uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        let keep = byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=@/".contains(&byte);
        if keep {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `file:///dir/` for an absolute directory (the trailing slash makes it a base).
fn directory_uri(dir: &Path) -> Option<String> {
    let portable = portable_path(dir, None);
    if !portable.starts_with('/') {
        return None;
    }
    let encoded = encode_uri_path(&portable);
    Some(if encoded.ends_with('/') {
        format!("file://{encoded}")
    } else {
        format!("file://{encoded}/")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{Applicability, Fix};

    fn outcome_with(text: &str, span: (usize, usize), code: &str) -> Outcome {
        let mut outcome = Outcome::default();
        let file = outcome.db.add("/srv/repo/conf/dovecot.conf", text.into());
        let rule = crate::rules::find(code).unwrap();
        outcome.diagnostics.push(Diagnostic::new(
            rule,
            Span::new(file, span.0, span.1),
            "msg",
        ));
        outcome
    }

    fn first_result(outcome: &Outcome) -> Value {
        log(outcome, Some(Path::new("/srv/repo")))["runs"][0]["results"][0].clone()
    }

    #[test]
    fn regions_count_utf16_code_units_from_one() {
        // Line 2 is `é📬 = x`: 'é' is 1 UTF-16 unit, '📬' is 2, so `x` starts at column 7 (it
        // is column 6 in code points, as the other formats count).
        let text = "a = 1\né📬 = x\n";
        let x = text.find('x').unwrap();
        let result = first_result(&outcome_with(text, (x, x + 1), "MX301"));
        let region = &result["locations"][0]["physicalLocation"]["region"];
        assert_eq!(
            region,
            &json!({"startLine": 2, "startColumn": 7, "endLine": 2, "endColumn": 8})
        );
        let artifact = &result["locations"][0]["physicalLocation"]["artifactLocation"];
        assert_eq!(
            artifact,
            &json!({"uri": "conf/dovecot.conf", "uriBaseId": "%SRCROOT%"})
        );
    }

    #[test]
    fn fingerprint_survives_edits_elsewhere_but_not_on_the_line() {
        let key = |text: &str, needle: &str| {
            let at = text.find(needle).unwrap();
            let result = first_result(&outcome_with(text, (at, at + needle.len()), "MX301"));
            result["partialFingerprints"][FINGERPRINT_KEY].clone()
        };
        let original = key("a = 1\n  vsz = 2\nb = 3\n", "vsz");
        assert_eq!(
            original,
            key("# new comment\na = 1\n\n  vsz = 2\nb = 4\n", "vsz"),
            "lines added above and changed below"
        );
        assert_eq!(original, key("a = 1\nvsz = 2   \n", "vsz"), "indentation");
        assert_ne!(
            original,
            key("a = 1\n  vsz = 3\n", "vsz"),
            "the line itself"
        );
        assert!(original.as_str().unwrap().ends_with(":1"), "{original}");
    }

    #[test]
    fn same_line_twice_gets_distinct_fingerprints() {
        let mut outcome = outcome_with("x = 1\nx = 1\n", (0, 1), "MX301");
        let again = Diagnostic::new(
            outcome.diagnostics[0].rule,
            Span::new(outcome.diagnostics[0].primary.span.file, 6, 7),
            "msg",
        );
        outcome.diagnostics.push(again);
        let log = log(&outcome, None);
        let prints: Vec<&str> = (0..2)
            .map(|i| {
                log["runs"][0]["results"][i]["partialFingerprints"][FINGERPRINT_KEY]
                    .as_str()
                    .unwrap()
            })
            .collect();
        assert_eq!(prints[0].split(':').next(), prints[1].split(':').next());
        assert_ne!(prints[0], prints[1]);
    }

    #[test]
    fn hosts_related_and_fix_in_place() {
        let mut outcome = outcome_with("a = 1\nçé = 2\n", (6, 10), "MX302");
        let file = outcome.diagnostics[0].primary.span.file;
        let d = outcome.diagnostics.pop().unwrap();
        let mut d = d
            .help("raise it")
            .related(Span::new(file, 0, 1), "from here")
            .fix(Fix {
                message: "set 1G".into(),
                applicability: Applicability::Unsafe,
                edits: vec![Edit::new(Span::new(file, 13, 14), "1G")],
            });
        d.hosts = vec!["mx1".into(), "mx2".into()];
        outcome.diagnostics.push(d);
        let result = first_result(&outcome);
        assert_eq!(result["ruleId"], "MX302");
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(ALL[index].code, "MX302");
        assert_eq!(result["properties"]["hosts"], json!(["mx1", "mx2"]));
        let text = result["message"]["text"].as_str().unwrap();
        assert_eq!(text, "msg\nhosts: mx1, mx2\nhelp: raise it");
        let related = &result["relatedLocations"][0];
        assert_eq!(related["message"]["text"], "from here");
        assert_eq!(related["physicalLocation"]["region"]["startColumn"], 1);
        let change = &result["fixes"][0]["artifactChanges"][0];
        assert_eq!(change["artifactLocation"]["uri"], "conf/dovecot.conf");
        assert_eq!(
            change["replacements"][0],
            json!({"deletedRegion": {"startLine": 2, "startColumn": 6, "endLine": 2, "endColumn": 7},
                   "insertedContent": {"text": "1G"}})
        );
    }

    #[test]
    fn file_errors_are_notifications_and_fail_the_invocation() {
        let mut outcome = Outcome::default();
        outcome.errors.push(FileError {
            path: "dir with space/bad.conf".into(),
            position: Some((3, 2)),
            message: "invalid UTF-8".into(),
        });
        let log = log(&outcome, Some(Path::new("/srv/my repo")));
        let invocation = &log["runs"][0]["invocations"][0];
        assert_eq!(invocation["executionSuccessful"], false);
        let note = &invocation["toolExecutionNotifications"][0];
        let physical = &note["locations"][0]["physicalLocation"];
        assert_eq!(
            physical["artifactLocation"]["uri"],
            "dir%20with%20space/bad.conf"
        );
        assert_eq!(physical["region"], json!({"startLine": 3}));
        assert_eq!(
            log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"],
            "file:///srv/my%20repo/"
        );
    }

    #[test]
    fn every_rule_has_metadata() {
        let driver = driver();
        let rules = driver["rules"].as_array().unwrap();
        assert_eq!(rules.len(), ALL.len());
        for (value, rule) in rules.iter().zip(ALL) {
            assert_eq!(value["id"], rule.code);
            assert_eq!(value["name"], rule.name);
            let full = value["fullDescription"]["text"].as_str().unwrap();
            assert!(!full.is_empty() && !full.starts_with('#'), "{full}");
            assert!(value["helpUri"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/{}.md", rule.code)));
        }
        assert_eq!(
            first_paragraph("# MX1 x\n\nFlags a\nthing.\n\n## More\n").as_deref(),
            Some("Flags a thing.")
        );
    }

    #[test]
    fn uris_escape_what_a_uri_cannot_hold() {
        assert_eq!(encode_uri_path("a b/c:d/é"), "a%20b/c%3Ad/%C3%A9");
        assert_eq!(
            artifact_for_path(
                Path::new("/etc/dovecot/dovecot.conf"),
                Some(Path::new("/srv"))
            ),
            json!({"uri": "file:///etc/dovecot/dovecot.conf"})
        );
    }
}
