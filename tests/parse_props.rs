//! parse_props: property tests — the Dovecot parser, model and rules never panic on any text, and
//! every span a diagnostic carries is a valid slice of its file.
//!
//! Inputs are arbitrary strings and strings built from Dovecot's own tokens (which reach far more
//! of the grammar than random text does). The file sits in a directory that does not exist, so
//! `!include`s match nothing and the test never reads the host's files.

use mxlint::config::Settings;
use mxlint::diagnostic::Diagnostic;
use mxlint::model::dovecot::{load_loaded, DovecotVersion};
use mxlint::parse::dovecot::parse_loaded;
use mxlint::rules::check_dovecot;
use mxlint::source::{SourceDb, Span};
use proptest::prelude::*;

const PATH: &str = "/nonexistent-mxlint-proptest/dovecot.conf";
const VERSIONS: [Option<DovecotVersion>; 3] = [
    Some(DovecotVersion::V2_3),
    Some(DovecotVersion::V2_4),
    // Detected from the text (`dovecot_config_version` anywhere selects 2.4).
    None,
];

/// Pieces of dovecot.conf syntax; multi-byte characters make the char-boundary check bite.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "=",
    "#",
    "\"",
    "'",
    "\\",
    "\n",
    "\r",
    "\r\n",
    "$",
    "<",
    "@",
    "!include ",
    "!include_try ",
    " ",
    "  ",
    "\t",
    "\x0b",
    "\x0c",
    "a",
    "k",
    "x",
    "imap",
    "é",
    "€",
    "\u{feff}",
    "service imap {",
    "service ",
    "inet_listener ",
    "protocol ",
    "namespace ",
    "plugin {",
    "group @",
    "vsz_limit = ",
    "default_vsz_limit = ",
    "service_vsz_limit = ",
    "protocols = ",
    "dovecot_config_version = 2.4.0",
    "256M",
    "1G",
    "0",
    "unlimited",
    "$ENV:X",
];

fn dovecotish() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..120).prop_map(|tokens| tokens.concat())
}

fn arbitrary_text() -> impl Strategy<Value = String> {
    proptest::string::string_regex("(?s).{0,300}").expect("valid regex")
}

/// Parses, models and checks `text` with each version setting; returns the database and the
/// diagnostics of every run.
fn check_all(text: &str) -> Vec<(SourceDb, Vec<Diagnostic>)> {
    VERSIONS
        .iter()
        .map(|&dovecot_version| {
            let mut db = SourceDb::new();
            let id = db.add(PATH, text.to_string());
            if let Some(version) = dovecot_version {
                let document = parse_loaded(&mut db, id, version);
                for line in &document.lines {
                    assert_valid_span(&db, line.span);
                    assert_valid_span(&db, line.report_span);
                }
            }
            let settings = Settings {
                dovecot_version,
                ..Settings::default()
            };
            let config = load_loaded(&mut db, id, &settings);
            let diagnostics = check_dovecot(&config, &settings);
            (db, diagnostics)
        })
        .collect()
}

fn assert_valid_span(db: &SourceDb, span: Span) {
    let text = db.file(span.file).text();
    assert!(
        span.start() <= span.end() && span.end() <= text.len(),
        "span {span:?} outside a file of {} bytes",
        text.len()
    );
    assert!(
        text.is_char_boundary(span.start()) && text.is_char_boundary(span.end()),
        "span {span:?} splits a character in {text:?}"
    );
}

fn assert_all_spans_valid(db: &SourceDb, diagnostics: &[Diagnostic]) {
    for diagnostic in diagnostics {
        assert_valid_span(db, diagnostic.primary.span);
        for label in &diagnostic.related {
            assert_valid_span(db, label.span);
        }
        for edit in diagnostic.fix.iter().flat_map(|fix| &fix.edits) {
            assert_valid_span(db, edit.span);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_text_never_panics(text in arbitrary_text()) {
        check_all(&text);
    }

    #[test]
    fn dovecot_tokens_never_panic(text in dovecotish()) {
        check_all(&text);
    }

    #[test]
    fn diagnostic_spans_lie_in_their_file_on_char_boundaries(
        text in prop_oneof![dovecotish(), arbitrary_text()]
    ) {
        for (db, diagnostics) in check_all(&text) {
            assert_all_spans_valid(&db, &diagnostics);
        }
    }
}
