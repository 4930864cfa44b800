//! fix: applies the edits of fixes to file texts (`mxlint check --fix`, `--diff`).
//!
//! Computes new texts only; the binary writes them. A fix is all or nothing: it goes in only
//! when every edit lands in a file on disk (never a built-in stock file), the text each edit
//! expects is still there, and no edit overlaps one of a fix already taken (fixes are taken in
//! file order; the same edit wanted by two findings is made once). What is skipped is picked up
//! by the next pass, which `--fix` runs until nothing changes.

use crate::diagnostic::{Applicability, Diagnostic, Edit};
use crate::source::{FileId, SourceDb};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// A file whose text the fixes change.
#[derive(Debug, PartialEq, Eq)]
pub struct FixedFile {
    pub path: PathBuf,
    pub text: String,
}

/// The outcome of one pass: the changed files and how many fixes went in.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Fixed {
    pub files: Vec<FixedFile>,
    pub applied: usize,
}

/// New texts for every file that `diagnostics`' safe fixes (and unsafe ones if asked) change.
pub fn fixed_files(db: &SourceDb, diagnostics: &[Diagnostic], include_unsafe: bool) -> Fixed {
    // One id per path: a file read twice (two targets) is still one file to write.
    let mut by_path: std::collections::HashMap<&std::path::Path, FileId> = Default::default();
    let canonical: Vec<FileId> = db
        .files()
        .map(|(id, f)| *by_path.entry(f.path()).or_insert(id))
        .collect();
    let mut fixes: Vec<Vec<Edit>> = diagnostics
        .iter()
        .filter_map(|d| d.fix.as_ref())
        .filter(|f| include_unsafe || f.applicability == Applicability::Safe)
        .filter(|f| !f.edits.is_empty() && f.edits.iter().all(|e| applicable(db, e)))
        .map(|f| {
            let mut edits = f.edits.clone();
            for e in &mut edits {
                let file = canonical[e.span.file.0 as usize];
                e.span = crate::source::Span::new(file, e.span.start(), e.span.end());
            }
            edits
        })
        .collect();
    fixes.sort_by_key(|edits| edits.iter().map(|e| (e.span.file, e.span.start())).min());
    fixes.dedup();
    let mut taken: BTreeMap<FileId, Vec<&Edit>> = BTreeMap::new();
    let mut applied = 0;
    for edits in &fixes {
        let fresh: Vec<&Edit> = edits
            .iter()
            .filter(|e| !taken.get(&e.span.file).is_some_and(|t| t.contains(e)))
            .collect();
        let clashes = fresh.iter().any(|e| {
            taken
                .get(&e.span.file)
                .is_some_and(|t| t.iter().any(|other| overlaps(e, other)))
        }) || fresh
            .iter()
            .enumerate()
            .any(|(i, e)| fresh[..i].iter().any(|other| overlaps(e, other)));
        if fresh.is_empty() || clashes {
            continue;
        }
        for e in fresh {
            taken.entry(e.span.file).or_default().push(e);
        }
        applied += 1;
    }
    let files = taken
        .into_iter()
        .map(|(file, mut edits)| {
            edits.sort_by_key(|e| (e.span.start(), e.span.end()));
            let text = db.file(file).text();
            let mut out = String::with_capacity(text.len() + 64);
            let mut cursor = 0;
            for edit in edits {
                out.push_str(&text[cursor..edit.span.start()]);
                out.push_str(&edit.replacement);
                cursor = edit.span.end();
            }
            out.push_str(&text[cursor..]);
            FixedFile {
                path: db.file(file).path().to_path_buf(),
                text: out,
            }
        })
        .collect();
    Fixed { files, applied }
}

/// An edit can go in: a file the user owns, a span inside it on character boundaries, and the
/// expected text still there.
fn applicable(db: &SourceDb, edit: &Edit) -> bool {
    let id = edit.span.file;
    if (id.0 as usize) >= db.len() || db.is_builtin(id) {
        return false;
    }
    match db.file(id).text().get(edit.span.start()..edit.span.end()) {
        Some(now) => edit.expected.as_deref().is_none_or(|e| e == now),
        None => false,
    }
}

/// Two edits in the same file that cannot both go in: their ranges intersect, or both insert
/// at the same place, or one inserts strictly inside the other's range.
fn overlaps(a: &Edit, b: &Edit) -> bool {
    if a.span.file != b.span.file {
        return false;
    }
    let (a0, a1, b0, b1) = (a.span.start(), a.span.end(), b.span.start(), b.span.end());
    match (a0 == a1, b0 == b1) {
        (true, true) => a0 == b0,
        (true, false) => b0 < a0 && a0 < b1,
        (false, true) => a0 < b0 && b0 < a1,
        (false, false) => a0 < b1 && b0 < a1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;
    use crate::model::dovecot::load_loaded;

    fn fix(text: &str) -> String {
        let mut db = SourceDb::new();
        let id = db.add("dovecot.conf", text.to_string());
        let settings = Settings::default();
        let config = load_loaded(&mut db, id, &settings);
        let diagnostics = crate::rules::check_dovecot(&config, &settings);
        let mut fixed = fixed_files(&db, &diagnostics, false);
        assert_eq!(fixed.files.len(), 1, "{diagnostics:?}");
        fixed.files.remove(0).text
    }

    #[test]
    fn mx301_fix_inserts_the_limit_after_protocols() {
        let fixed = fix("dovecot_config_version = 2.4.4\ndovecot_storage_version = 2.4.4\nprotocols {\n  imap = yes\n}\nmail_driver = maildir\n");
        assert_eq!(
            fixed,
            "dovecot_config_version = 2.4.4\ndovecot_storage_version = 2.4.4\nprotocols {\n  imap = yes\n}\ndefault_vsz_limit = 1G\nmail_driver = maildir\n"
        );
    }

    #[test]
    fn fixed_text_no_longer_fires_the_rule() {
        let fixed = fix("protocols = imap lmtp\r\nmail_location = maildir:~/Maildir");
        assert!(
            fixed.contains("lmtp\r\ndefault_vsz_limit = 1G\r\nmail_location"),
            "{fixed:?}"
        );
        let mut db = SourceDb::new();
        let id = db.add("dovecot.conf", fixed.clone());
        let config = load_loaded(&mut db, id, &Settings::default());
        assert!(
            crate::rules::check_dovecot(&config, &Settings::default()).is_empty(),
            "{fixed:?}"
        );
    }
}
