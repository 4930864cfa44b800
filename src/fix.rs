//! fix: applies the edits of safe fixes to file texts (`mxlint check --fix`).
//!
//! Computes new texts only; the binary writes them. Overlapping edits are skipped, so a second
//! run picks up what the first could not apply.

use crate::diagnostic::{Applicability, Diagnostic, Edit};
use crate::source::{FileId, SourceDb};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// A file whose text the fixes change.
#[derive(Debug, PartialEq, Eq)]
pub struct FixedFile {
    pub path: PathBuf,
    pub text: String,
    /// How many fixes went in.
    pub applied: usize,
}

/// New texts for every file that `diagnostics`' safe fixes (and unsafe ones if asked) change.
pub fn fixed_files(
    db: &SourceDb,
    diagnostics: &[Diagnostic],
    include_unsafe: bool,
) -> Vec<FixedFile> {
    let mut by_file: BTreeMap<FileId, Vec<&[Edit]>> = BTreeMap::new();
    for fix in diagnostics.iter().filter_map(|d| d.fix.as_ref()) {
        if fix.applicability == Applicability::Unsafe && !include_unsafe {
            continue;
        }
        let Some(first) = fix.edits.first() else {
            continue;
        };
        if fix.edits.iter().all(|e| e.span.file == first.span.file) {
            by_file.entry(first.span.file).or_default().push(&fix.edits);
        }
    }
    by_file
        .into_iter()
        .map(|(file, mut fixes)| {
            fixes.sort_by_key(|edits| edits.iter().map(|e| e.span.start()).min());
            let text = db.file(file).text();
            let (mut out, mut cursor, mut applied) = (String::with_capacity(text.len() + 64), 0, 0);
            for edits in fixes {
                let mut edits: Vec<&Edit> = edits.iter().collect();
                edits.sort_by_key(|e| e.span.start());
                if edits[0].span.start() < cursor {
                    continue;
                }
                for edit in edits {
                    out.push_str(&text[cursor..edit.span.start()]);
                    out.push_str(&edit.replacement);
                    cursor = edit.span.end();
                }
                applied += 1;
            }
            out.push_str(&text[cursor..]);
            FixedFile {
                path: db.file(file).path().to_path_buf(),
                text: out,
                applied,
            }
        })
        .collect()
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
        let mut files = fixed_files(&db, &diagnostics, false);
        assert_eq!(files.len(), 1, "{diagnostics:?}");
        files.remove(0).text
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
