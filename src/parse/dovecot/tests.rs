//! One test per grammar construct: what each kind of line becomes.

use super::*;
use crate::model::dovecot::DovecotVersion::{self, V2_3, V2_4};

fn parse(text: &str, version: DovecotVersion) -> (SourceDb, Document) {
    let mut db = SourceDb::new();
    let id = db.add("test.conf", text.to_string());
    let doc = parse_loaded(&mut db, id, version);
    (db, doc)
}

fn kinds(text: &str, version: DovecotVersion) -> Vec<LineKind> {
    parse(text, version)
        .1
        .lines
        .into_iter()
        .map(|l| l.kind)
        .collect()
}

/// (key, value kind, value text) of the only line.
fn kv(text: &str, version: DovecotVersion) -> (String, ValueKind, String) {
    match kinds(text, version).as_slice() {
        [LineKind::KeyValue { key, value }] => {
            (key.text.to_string(), value.kind, value.text.to_string())
        }
        other => panic!("{text:?}: expected one key = value, got {other:?}"),
    }
}

fn error(text: &str, version: DovecotVersion) -> String {
    match kinds(text, version).as_slice() {
        [LineKind::Error { message }] => message.clone(),
        other => panic!("{text:?}: expected one error line, got {other:?}"),
    }
}

#[test]
fn key_value_keeps_inner_blanks_and_trims_outer() {
    assert_eq!(
        kv("  login_greeting =  a\tb   \n", V2_3),
        ("login_greeting".into(), ValueKind::Plain, "a\tb".into())
    );
}

#[test]
fn empty_value_is_legal() {
    assert_eq!(
        kv("mail_plugins =", V2_3),
        ("mail_plugins".into(), ValueKind::Plain, String::new())
    );
}

#[test]
fn everything_after_equals_is_value() {
    assert_eq!(kv("login_greeting = a=b=c", V2_3).2, "a=b=c");
    assert_eq!(kv("login_greeting = {", V2_3).2, "{");
    assert_eq!(kv("vsz_limit = 1G }", V2_3).2, "1G }");
    assert_eq!(
        error("= x", V2_3),
        "Missing key name ('=' at the beginning of line)"
    );
}

#[test]
fn comments_follow_dovecots_quote_rule() {
    for (line, value) in [
        ("login_greeting = Hello # trailing comment", "Hello"),
        ("mail_plugins = quota#notspace", "quota"),
        (
            "postmaster_address = \"post#master@example.com\" # c",
            "post#master@example.com",
        ),
        ("hostname = 'mail#1.example.com'", "mail#1.example.com"),
        (
            "login_greeting = it's here # not stripped",
            "it's here # not stripped",
        ),
        ("hostname = x \"y # z\" w # real comment", "x \"y # z\" w"),
        ("postmaster_address = \"a@b\" # c \"d\"", "a@b"),
        (
            "postmaster_address = \"unterminated # not a comment",
            "\"unterminated # not a comment",
        ),
    ] {
        assert_eq!(kv(line, V2_3).2, value, "{line}");
    }
}

#[test]
fn glued_hash_and_open_quote_are_noted() {
    let (_, doc) = parse(
        "mail_plugins = quota#x\nlogin_greeting = it's # here\n",
        V2_3,
    );
    assert!(
        matches!(doc.notes[0], Note::AmbiguousComment { .. }),
        "{:?}",
        doc.notes
    );
    assert!(
        matches!(doc.notes[1], Note::QuoteHidesComment { .. }),
        "{:?}",
        doc.notes
    );
}

#[test]
fn comment_and_blank_lines_produce_nothing() {
    assert!(kinds("# c\n\n   \t\n   # indented\n", V2_3).is_empty());
}

#[test]
fn continuation_joins_with_one_space() {
    assert_eq!(
        kv("mail_plugins = quota \\\n     acl   \\\n\tzlib\n", V2_3).2,
        "quota acl zlib"
    );
    assert_eq!(kv("login_greeting = one\\\ntwo", V2_3).2, "one two");
}

#[test]
fn continuation_error_reports_the_last_physical_line() {
    let (db, doc) = parse("service imap \\\nfoo\n", V2_3);
    let line = &doc.lines[0];
    assert_eq!(
        line.kind,
        LineKind::Error {
            message: "Expecting '{'".into()
        }
    );
    assert_eq!(
        db.file(line.report_span.file)
            .line_col(line.report_span.start())
            .line,
        2
    );
}

#[test]
fn continuation_header_brace_on_next_line_is_valid() {
    assert!(matches!(
        kinds("service imap \\\n{\n}\n", V2_3)[0],
        LineKind::SectionBegin { .. }
    ));
}

#[test]
fn continuation_dropped_by_blank_or_comment_line() {
    let (_, doc) = parse("login_greeting = one \\\n\nhostname = h\n", V2_3);
    assert_eq!(doc.lines.len(), 1, "the continued line vanishes");
    assert!(matches!(
        doc.notes[0],
        Note::ContinuationDropped { by: Some(_), .. }
    ));
    let (_, doc) = parse("login_greeting = one \\\n# comment\ntwo\n", V2_3);
    assert_eq!(
        doc.lines[0].kind,
        LineKind::Error {
            message: "Expecting '{'".into()
        }
    );
    assert!(matches!(doc.notes[0], Note::ContinuationDropped { .. }));
}

#[test]
fn comment_eats_a_trailing_backslash() {
    let k = kinds(
        "login_greeting = one \\\n  two # comment \\\n  three\n",
        V2_3,
    );
    assert!(matches!(&k[0], LineKind::KeyValue { value, .. } if value.text == "one two"));
    assert_eq!(
        k[1],
        LineKind::Error {
            message: "Expecting '{'".into()
        }
    );
}

#[test]
fn quoted_values_unescape_per_version() {
    assert_eq!(
        kv(
            r#"login_greeting = "  padded \"quoted\" \\ back \n  ""#,
            V2_3
        )
        .2,
        "  padded \"quoted\" \\ back n  "
    );
    assert_eq!(
        kv(r"login_greeting = 'single \'q\' x'", V2_3).2,
        "single 'q' x"
    );
    assert_eq!(
        kv(r#"login_greeting = "a \"b\" \\ c""#, V2_4).2,
        "a \"b\" \\ c"
    );
    match kinds(r#"login_greeting = "bad \n escape""#, V2_4).as_slice() {
        [LineKind::KeyValue { value, .. }] => {
            assert_eq!(value.bad_escape.as_ref().unwrap().text, "\\n")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn half_quoted_values_stay_literal() {
    assert_eq!(kv(r#"login_greeting = "a" b"#, V2_3).2, "\"a\" b");
    assert_eq!(
        kv(r#"login_greeting = foo "bar baz" qux"#, V2_3).2,
        "foo \"bar baz\" qux"
    );
    assert_eq!(
        kv(r#"x = "1G""#, V2_3),
        ("x".into(), ValueKind::Quoted, "1G".into())
    );
}

#[test]
fn file_values() {
    assert_eq!(
        kv("ssl_cert = <  /etc/ssl/x.pem", V2_3),
        ("ssl_cert".into(), ValueKind::File, "/etc/ssl/x.pem".into())
    );
    assert_eq!(kv("login_greeting = <<END", V2_4).2, "<END");
}

#[test]
fn dollar_anywhere_unquoted_is_a_variable() {
    assert_eq!(
        kv("mail_plugins = $mail_plugins quota", V2_3).1,
        ValueKind::Variable
    );
    assert_eq!(kv("login_greeting = pre$x", V2_3).1, ValueKind::Variable);
    assert_eq!(
        kv("vsz_limit = $SET:default_vsz_limit", V2_4).1,
        ValueKind::Variable
    );
    assert_eq!(kv("login_greeting = \"$x\"", V2_3).1, ValueKind::Quoted);
}

#[test]
fn sections() {
    match kinds(
        "service imap {\n}\nnamespace \"my inbox\" {\n}\nprotocols {\n}\n",
        V2_4,
    )
    .as_slice()
    {
        [LineKind::SectionBegin {
            keyword,
            name: Some(name),
        }, LineKind::SectionEnd, LineKind::SectionBegin {
            name: Some(quoted), ..
        }, LineKind::SectionEnd, LineKind::SectionBegin { name: None, .. }, LineKind::SectionEnd] =>
        {
            assert_eq!(
                (keyword.text.as_str(), name.text.as_str()),
                ("service", "imap")
            );
            assert_eq!(quoted.text, "my inbox");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn section_errors_carry_doveconfs_messages() {
    for (line, message) in [
        ("service imap { vsz_limit = 1G }", "Garbage after '{'"),
        ("service imap", "Expecting '{'"),
        ("service imap{", "Expecting '{'"),
        ("default_vsz_limit 512M", "Expecting '{'"),
        ("login_greeting", "Expecting '{'"),
        ("}}", "Expecting '{'"),
        ("} }", "Expecting '{'"),
        ("service a b {", "Expecting '{'"),
    ] {
        assert_eq!(error(line, V2_3), message, "{line}");
    }
}

#[test]
fn section_end_alone_even_with_a_comment() {
    assert_eq!(kinds("} # c", V2_3), vec![LineKind::SectionEnd]);
}

#[test]
fn quoted_keys_only_in_24() {
    assert_eq!(
        kv(r#""default_vsz_limit" = 1G"#, V2_4).0,
        "default_vsz_limit"
    );
    assert_eq!(
        kv(r#""default_vsz_limit" = 1G"#, V2_3).0,
        "\"default_vsz_limit\""
    );
}

#[test]
fn groups_only_in_24() {
    match kinds("group @vsz big {\n}\n@vsz = big\n", V2_4).as_slice() {
        [LineKind::GroupBegin { label, name }, LineKind::SectionEnd, LineKind::KeyValue { key, .. }] =>
        {
            assert_eq!(
                (label.text.as_str(), name.text.as_str(), key.text.as_str()),
                ("@vsz", "big", "@vsz")
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        kinds("group @vsz big {", V2_3)[0],
        LineKind::Error { .. }
    ));
}

#[test]
fn slash_path_keys_are_plain_keys() {
    assert_eq!(
        kv("service/imap/vsz_limit = 1G", V2_3).0,
        "service/imap/vsz_limit"
    );
}

#[test]
fn crlf_and_missing_final_newline() {
    assert_eq!(kv("default_vsz_limit = 1G\r\n", V2_3).2, "1G");
    assert_eq!(kinds("a = 1\r\nb = 2", V2_3).len(), 2);
}

#[test]
fn byte_order_mark_is_part_of_the_first_key() {
    let (_, doc) = parse("\u{feff}default_vsz_limit = 1G\n", V2_3);
    assert!(
        matches!(&doc.lines[0].kind, LineKind::KeyValue { key, .. } if key.text == "\u{feff}default_vsz_limit")
    );
    assert!(matches!(doc.notes[0], Note::ByteOrderMark { .. }));
}

#[test]
fn version_24_treats_vertical_tab_as_blank() {
    assert_eq!(kv("default_vsz_limit =\x0b1G", V2_4).2, "1G");
    assert_eq!(kv("default_vsz_limit =\x0b1G", V2_3).2, "\x0b1G");
}

#[test]
fn include_lines() {
    match kinds(
        "!include_try conf.d/*.conf\n!include = x\n!include=x\n",
        V2_3,
    )
    .as_slice()
    {
        [LineKind::Include {
            path,
            try_only: true,
        }, LineKind::Error { message }, LineKind::KeyValue { key, .. }] => {
            assert_eq!(path.text, "conf.d/*.conf");
            assert_eq!(message, "No matches", "the path is `= x`");
            assert_eq!(
                key.text, "!include",
                "`!include=x` is a setting named !include"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_lone_backslash_line_adds_nothing() {
    assert_eq!(kv("login_greeting = a \\\n\\\nb\n", V2_3).2, "a b");
}

#[test]
fn spans_point_at_the_text() {
    let (db, doc) = parse("# c\n  default_vsz_limit = 1G # x\n", V2_3);
    match &doc.lines[0].kind {
        LineKind::KeyValue { key, value } => {
            assert_eq!(db.text(key.span), "default_vsz_limit");
            assert_eq!(db.text(value.span), "1G");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn braces_expand_left_to_right() {
    assert_eq!(
        expand_braces("a{b,c{d,e}}f").unwrap(),
        ["abf", "acdf", "acef"]
    );
    assert_eq!(expand_braces("a{b").unwrap(), ["a{b"]);
}

#[test]
fn exponential_brace_patterns_are_refused_not_expanded() {
    let pattern = "{a,b,c,d,e,f,g,h,i,j}".repeat(9);
    assert_eq!(expand_braces(&pattern), None);
    let k = kinds(&format!("!include /nonexistent/{pattern}\n"), V2_3);
    assert!(
        matches!(&k[0], LineKind::Error { message } if message.contains("alternatives")),
        "{k:?}"
    );
}

mod fast_paths {
    use super::super::{fast, grammar_kind, grammar_physical, LineCtx};
    use super::*;
    use proptest::prelude::*;

    /// Lines built from the pieces that matter to the grammar.
    fn line() -> impl Strategy<Value = String> {
        let piece = prop::sample::select(vec![
            "service",
            "imap",
            "vsz_limit",
            "group",
            "@g",
            "!include",
            "!include_try",
            "a.b/c-d",
            "1G",
            "{",
            "}",
            "=",
            "#",
            "\"",
            "'",
            "\\",
            "$x",
            "<",
            "<<",
            " ",
            " ",
            "\t",
            "\x0b",
            "x",
            "é",
        ]);
        // Whole shapes too, so that near-misses of the fast paths' patterns come up often.
        let shape = prop::sample::select(vec![
            "service imap {",
            "service imap{",
            "key = value",
            "key=\"v\"",
            "k = 'a#b'",
            "k = \"x",
            "} ",
            "}}",
            "protocols {",
            "a b c {",
            "mailbox \"Sent Messages\" {",
            "service \"imap\"{",
            "n \"a\\\"b\" {",
            "x = \"a\\\"b\"",
            "k = \"\\n\"",
        ]);
        let part = prop_oneof![3 => piece, 1 => shape];
        prop::collection::vec(part, 0..10).prop_map(|p| p.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        #[test]
        fn fast_physical_agrees_with_the_grammar(line in line()) {
            if let Some(fast) = fast::physical(&line, 7) {
                prop_assert_eq!(fast, grammar_physical(&line, 7), "{:?}", line);
            }
        }

        #[test]
        fn fast_logical_agrees_with_the_grammar(line in line(), v24 in any::<bool>()) {
            let line = line.trim_matches([' ', '\t']);
            if line.is_empty() {
                return Ok(());
            }
            let version = if v24 { V2_4 } else { V2_3 };
            let to_file = |o| o + 3;
            let cx = LineCtx { version, file: FileId(0), original: line, to_file: &to_file };
            if let Some(fast) = fast::kind(line, &cx) {
                prop_assert_eq!(fast, grammar_kind(version, line, &cx), "{:?}", line);
            }
        }
    }

    #[test]
    fn common_lines_take_the_fast_path() {
        assert!(fast::physical("  default_vsz_limit = 1G # c", 0).is_some());
        assert!(fast::physical("  login_greeting = \"it's # here\" # c", 0).is_some());
        let to_file = |o| o;
        for line in [
            "default_vsz_limit = 1G",
            "}",
            "service imap {",
            "protocols {",
            "service/imap/vsz_limit = 1G",
            "login_greeting = \"Hello \\\"x\\\"\"",
            "hostname = 'a#b'",
            "mailbox \"Sent Messages\" {",
        ] {
            let cx = LineCtx {
                version: V2_3,
                file: FileId(0),
                original: line,
                to_file: &to_file,
            };
            assert!(fast::kind(line, &cx).is_some(), "{line}");
        }
    }
}
