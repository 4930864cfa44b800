//! parse::postfix: Postfix `master.cf` (grammar/postfix_master.pest) and the `main.cf` settings
//! that decide what is exposed.
//!
//! master(5), Postfix 3.7: blank lines and lines whose first non-blank character is `#` are
//! ignored; a line starting with whitespace continues the previous logical line (a comment line
//! in between does not end it); each logical line has 8 fields, the last being the command and
//! its arguments. Every entry is kept in file order — `postconf -F` prints duplicates too — and
//! [`MasterCf::effective`] applies "only the last one is remembered" for the same service/type.
//! Checked against `postconf -F` in tests/oracle_postconf.rs.

use crate::source::{FileId, Span};
use pest::Parser;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/postfix_master.pest"]
struct MasterGrammar;

/// One field with its span in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub text: String,
    pub span: Span,
}

/// One `master.cf` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MasterEntry {
    pub service: Field,
    pub kind: Field,
    pub private: Field,
    pub unprivileged: Field,
    pub chroot: Field,
    pub wakeup: Field,
    pub process_limit: Field,
    /// The command and its arguments (`smtpd`, `-o`, `smtpd_tls_wrappermode=yes`, …).
    pub command: Vec<Field>,
    /// The whole logical line, continuation lines included.
    pub span: Span,
}

impl MasterEntry {
    /// `-o name=value` overrides, in order.
    pub fn overrides(&self) -> Vec<(&str, &str)> {
        let mut out = Vec::new();
        let mut words = self.command.iter().skip(1).map(|f| f.text.as_str());
        while let Some(word) = words.next() {
            let pair = match word.strip_prefix("-o") {
                Some("") => words.next(),
                Some(glued) => Some(glued),
                None => None,
            };
            if let Some((name, value)) = pair.and_then(|p| p.split_once('=')) {
                out.push((name, value));
            }
        }
        out
    }
}

/// A line postconf refuses (`fatal`: it stops) or skips with a warning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MasterError {
    pub message: String,
    pub span: Span,
    pub fatal: bool,
}

/// A parsed `master.cf`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MasterCf {
    pub entries: Vec<MasterEntry>,
    pub errors: Vec<MasterError>,
}

impl MasterCf {
    /// The entries the master runs: for the same `service/type`, only the last.
    pub fn effective(&self) -> Vec<&MasterEntry> {
        self.entries
            .iter()
            .enumerate()
            .filter(|(i, e)| {
                !self.entries[i + 1..].iter().any(|later| {
                    later.service.text == e.service.text && later.kind.text == e.kind.text
                })
            })
            .map(|(_, e)| e)
            .collect()
    }
}

/// Parses `master.cf` text.
pub fn parse_master(file: FileId, text: &str) -> MasterCf {
    let mut cf = MasterCf::default();
    for (start, end) in logical_lines(text) {
        let line = &blank_comment_lines(&text[start..end]);
        if line.starts_with([' ', '\t']) {
            // postconf: "logical line must not start with whitespace", skipped.
            cf.errors.push(MasterError {
                message: "logical line must not start with whitespace".into(),
                span: Span::new(file, start, end),
                fatal: false,
            });
            continue;
        }
        match MasterGrammar::parse(Rule::entry, line) {
            Ok(mut pairs) => {
                let fields: Vec<Field> = pairs
                    .next()
                    .into_iter()
                    .flat_map(|p| p.into_inner())
                    .filter(|p| p.as_rule() == Rule::field)
                    .map(|p| Field {
                        text: p.as_str().to_string(),
                        span: Span::new(
                            file,
                            start + p.as_span().start(),
                            start + p.as_span().end(),
                        ),
                    })
                    .collect();
                cf.entries.push(entry(fields, Span::new(file, start, end)));
            }
            Err(_) => cf.errors.push(MasterError {
                message: "bad field count".into(),
                span: Span::new(file, start, end),
                fatal: true,
            }),
        }
    }
    cf
}

fn entry(fields: Vec<Field>, span: Span) -> MasterEntry {
    let mut it = fields.into_iter();
    let mut next = || it.next().expect("the grammar requires 8 fields");
    MasterEntry {
        service: next(),
        kind: next(),
        private: next(),
        unprivileged: next(),
        chroot: next(),
        wakeup: next(),
        process_limit: next(),
        command: std::iter::once(next()).chain(it).collect(),
        span,
    }
}

/// A logical line's text with the comment lines inside it turned into spaces (same length, so
/// offsets stay valid): postconf skips them without ending the entry.
fn blank_comment_lines(text: &str) -> String {
    text.split_inclusive('\n')
        .map(|line| {
            if line.trim_start().starts_with('#') {
                // Byte for byte, so multi-byte characters keep their length.
                line.bytes()
                    .map(|b| if b == b'\n' { '\n' } else { ' ' })
                    .collect()
            } else {
                line.to_string()
            }
        })
        .collect()
}

/// Byte ranges of logical lines: a line starting with whitespace continues the previous one
/// (or, first in the file, starts a logical line postconf skips); blank lines and `#` comment
/// lines are skipped without ending it.
fn logical_lines(text: &str) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let content = line.trim_start();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let end = start + line.len();
        let continues = line.starts_with([' ', '\t']);
        match out.last_mut() {
            Some(last) if continues => last.1 = end,
            _ => out.push((start, end)),
        }
    }
    out
}

/// The `main.cf` settings that decide exposure, as `postconf -h` gives them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MainCf {
    /// `inet_interfaces` (default `all`).
    pub inet_interfaces: Vec<String>,
    /// `master_service_disable` entries (`smtp/inet`, `inet`; `.` also accepted as separator).
    pub master_service_disable: Vec<String>,
    /// The logical line that set `inet_interfaces` (only from [`parse_main_in`]).
    pub inet_interfaces_span: Option<Span>,
    /// The logical line that set `master_service_disable` (only from [`parse_main_in`]).
    pub master_service_disable_span: Option<Span>,
}

/// Reads `inet_interfaces` and `master_service_disable` from `main.cf` text (last one wins,
/// continuation lines start with whitespace, values split on commas and whitespace).
pub fn parse_main(text: &str) -> MainCf {
    let mut main = parse_main_in(FileId(0), text);
    main.inet_interfaces_span = None;
    main.master_service_disable_span = None;
    main
}

/// [`parse_main`] with the span of each setting's logical line in `file`.
///
/// postconf(5): a logical line starts at a non-blank character in column 1; a line that starts
/// with whitespace continues it; blank lines and lines whose first non-blank character is `#`
/// are skipped without ending it. `#` later in a line is part of the value.
pub fn parse_main_in(file: FileId, text: &str) -> MainCf {
    // (key, value, start, end) per logical line; its physical lines joined with spaces.
    let mut settings: Vec<(String, String, usize, usize)> = Vec::new();
    for (start, end) in logical_lines(text) {
        let logical = &text[start..end];
        // An indented first line is a logical line postconf skips.
        if logical.starts_with([' ', '\t']) {
            continue;
        }
        let mut lines = logical.split('\n');
        let Some((key, first)) = lines.next().and_then(|l| l.split_once('=')) else {
            continue;
        };
        let mut value = first.trim().to_string();
        for line in lines
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            value.push(' ');
            value.push_str(line);
        }
        settings.push((key.trim().to_string(), value, start, end));
    }
    let get = |name: &str| {
        settings
            .iter()
            .rev()
            .find(|(k, ..)| k == name)
            .map(|(_, v, start, end)| (list(v), Span::new(file, *start, *end)))
    };
    let interfaces = get("inet_interfaces");
    let disable = get("master_service_disable");
    MainCf {
        inet_interfaces: interfaces
            .as_ref()
            .map_or_else(|| vec!["all".to_string()], |(v, _)| v.clone()),
        master_service_disable: disable.as_ref().map(|(v, _)| v.clone()).unwrap_or_default(),
        inet_interfaces_span: interfaces.map(|(_, s)| s),
        master_service_disable_span: disable.map(|(_, s)| s),
    }
}

fn list(value: &str) -> Vec<String> {
    value
        .split([',', ' ', '\t'])
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuation_lines_join_and_comments_do_not_end_an_entry() {
        let text = "smtp inet n - y - - smtpd\n# note\n  -o a=b\n\n -o c=d\nsubmission inet n - y - - smtpd\n";
        let cf = parse_master(FileId(0), text);
        assert_eq!(cf.entries.len(), 2);
        assert_eq!(cf.entries[0].overrides(), [("a", "b"), ("c", "d")]);
        assert_eq!(
            &text[cf.entries[0].span.start()..cf.entries[0].span.end()],
            "smtp inet n - y - - smtpd\n# note\n  -o a=b\n\n -o c=d"
        );
    }

    #[test]
    fn fewer_than_eight_fields_is_refused_and_the_last_duplicate_wins() {
        let cf = parse_master(
            FileId(0),
            "smtp inet n - y - - smtpd\nbad line\nsmtp inet n - y - 10 smtpd\n",
        );
        assert_eq!(cf.errors.len(), 1);
        let effective = cf.effective();
        assert_eq!(effective.len(), 1);
        assert_eq!(effective[0].process_limit.text, "10");
    }

    #[test]
    fn main_cf_lists_and_defaults() {
        let main = parse_main("inet_interfaces = localhost,\n  $myhostname\nmaster_service_disable = smtp/inet inet\n");
        assert_eq!(main.inet_interfaces, ["localhost", "$myhostname"]);
        assert_eq!(main.master_service_disable, ["smtp/inet", "inet"]);
        assert_eq!(parse_main("").inet_interfaces, ["all"]);
    }

    #[test]
    fn main_cf_spans_cover_the_logical_line_that_wins() {
        let text =
            "inet_interfaces = all\n# x\ninet_interfaces = localhost,\n  [::1]\nmyhostname = a\n";
        let main = parse_main_in(FileId(3), text);
        let span = main.inet_interfaces_span.unwrap();
        assert_eq!(
            &text[span.start()..span.end()],
            "inet_interfaces = localhost,\n  [::1]"
        );
        assert_eq!(main.inet_interfaces, ["localhost", "[::1]"]);
        assert!(main.master_service_disable_span.is_none());
    }
}
