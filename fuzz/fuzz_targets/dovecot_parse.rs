//! dovecot_parse: arbitrary bytes → dovecot.conf parser, model and rules, as 2.3 and as 2.4.
//!
//! The input is read lossily as UTF-8 (the binary refuses invalid UTF-8 before parsing, so the
//! parser only ever sees `str`). The file lives in a directory that does not exist, so relative
//! `!include`s match nothing; absolute include paths are defused (see [`defuse_includes`]).
//! Besides "no panic", every span a diagnostic carries must be a valid slice of its file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mxlint::config::Settings;
use mxlint::model::dovecot::{load_loaded, DovecotVersion};
use mxlint::parse::dovecot::parse_loaded;
use mxlint::rules::check_dovecot;
use mxlint::source::{SourceDb, Span};

const PATH: &str = "/nonexistent-mxlint-fuzz/dovecot.conf";

fuzz_target!(|data: &[u8]| {
    let text = defuse_includes(String::from_utf8_lossy(data).into_owned());
    for version in [DovecotVersion::V2_3, DovecotVersion::V2_4] {
        let mut db = SourceDb::new();
        let id = db.add(PATH, text.clone());
        let document = parse_loaded(&mut db, id, version);
        for line in &document.lines {
            assert_slice(&db, line.span);
            assert_slice(&db, line.report_span);
        }

        let settings = Settings {
            dovecot_version: Some(version),
            ..Settings::default()
        };
        let config = load_loaded(&mut db, id, &settings);
        for diagnostic in check_dovecot(&config, &settings) {
            assert_slice(&db, diagnostic.primary.span);
            for label in &diagnostic.related {
                assert_slice(&db, label.span);
            }
            for edit in diagnostic.fix.iter().flat_map(|f| &f.edits) {
                assert_slice(&db, edit.span);
            }
        }
    }
});

/// An `!include /dev/zero` or `!include /**` would make the fuzzer read the host's files, so
/// inputs that mention `!include` lose their slashes: relative includes (globs, braces, missing
/// files) are still exercised against the non-existent directory.
fn defuse_includes(text: String) -> String {
    if text.contains("!include") {
        text.replace('/', "_")
    } else {
        text
    }
}

/// `SourceDb::text` slices the file: out of range or off a char boundary panics.
fn assert_slice(db: &SourceDb, span: Span) {
    let _ = db.text(span);
}
