//! report::explain: prints what `mxlint explain` recognised in log lines, as text for a person
//! or as versioned JSON (`"version": 1`).
//!
//! The lines are grouped first ([`group`]): a log that repeats the same event a thousand times
//! (same kind, same values) gives one explanation with a count, in the order first seen.

use crate::explain::Explanation;
use crate::rules;
use indexmap::IndexMap;
use serde::Serialize;
use std::io::{self, Write};

/// The schema version of the JSON output.
pub const VERSION: u32 = 1;

/// How long an echoed log line may get before it is cut (in characters).
const ECHO_MAX: usize = 160;

/// One distinct explanation and where it was seen.
#[derive(Debug)]
pub struct Seen {
    pub explanation: Explanation,
    /// 1-based number of the first input line that gave it.
    pub first_line: usize,
    /// That line's text.
    pub text: String,
    pub count: usize,
}

/// Groups `(line number, text, explanation)` triples by explanation, keeping first-seen order.
pub fn group(found: impl IntoIterator<Item = (usize, String, Explanation)>) -> Vec<Seen> {
    let mut seen: IndexMap<Explanation, Seen> = IndexMap::new();
    for (number, text, explanation) in found {
        seen.entry(explanation.clone())
            .and_modify(|s| s.count += 1)
            .or_insert(Seen {
                explanation,
                first_line: number,
                text,
                count: 1,
            });
    }
    seen.into_values().collect()
}

/// Human text: each explanation as a short block, blocks separated by a blank line.
pub fn write_human(out: &mut dyn Write, seen: &[Seen]) -> io::Result<()> {
    for (i, s) in seen.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        let e = &s.explanation;
        let repeat = match s.count {
            1 => String::new(),
            n => format!(" (seen {n} times)"),
        };
        writeln!(out, "{}{repeat}: {}", e.kind, echo(&s.text))?;
        write_field(out, "what", &e.what)?;
        if e.rules.is_empty() {
            write_field(
                out,
                "rules",
                "none: this is not a configuration mistake mxlint checks",
            )?;
        } else {
            let names: Vec<String> = e
                .rules
                .iter()
                .map(|code| match rules::find(code) {
                    Some(rule) => format!("{} {}", rule.code, rule.name),
                    None => (*code).to_string(),
                })
                .collect();
            let docs: Vec<String> = e
                .rules
                .iter()
                .map(|c| format!("`mxlint rule {c}`"))
                .collect();
            write_field(
                out,
                "caught by",
                &format!("{} (`mxlint check` flags the cause)", names.join(", ")),
            )?;
            write_field(out, "rule docs", &docs.join(", "))?;
        }
        write_field(out, "fix", &e.fix)?;
    }
    Ok(())
}

/// One `  label: text` field, wrapped at 100 columns under its own indentation. A `code span`
/// is never split, so commands stay whole for copying.
fn write_field(out: &mut dyn Write, label: &str, text: &str) -> io::Result<()> {
    const WIDTH: usize = 100;
    const INDENT: usize = 13;
    let mut line = format!("  {label}:{}", " ".repeat(INDENT - 3 - label.len().min(9)));
    let mut empty = true;
    for word in unbroken_words(text) {
        if !empty && line.chars().count() + 1 + word.chars().count() > WIDTH {
            writeln!(out, "{}", line.trim_end())?;
            line = " ".repeat(INDENT);
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(&word);
        empty = false;
    }
    writeln!(out, "{}", line.trim_end())
}

/// The words of `text`, a backtick-quoted span (with what sticks to it) counting as one word.
fn unbroken_words(text: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut open = false;
    for word in text.split_whitespace() {
        match words.last_mut() {
            Some(last) if open => {
                last.push(' ');
                last.push_str(word);
            }
            _ => words.push(word.to_string()),
        }
        if word.matches('`').count() % 2 == 1 {
            open = !open;
        }
    }
    words
}

/// The log line as echoed: control characters replaced, cut at [`ECHO_MAX`] characters.
fn echo(text: &str) -> String {
    let mut shown: String = text
        .trim()
        .chars()
        .take(ECHO_MAX)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.trim().chars().count() > ECHO_MAX {
        shown.push('…');
    }
    shown
}

#[derive(Serialize)]
struct Report<'a> {
    version: u32,
    explanations: Vec<JsonExplanation<'a>>,
    /// Input lines no matcher recognised.
    unrecognised: usize,
}

#[derive(Serialize)]
struct JsonExplanation<'a> {
    kind: &'static str,
    line: usize,
    text: &'a str,
    count: usize,
    what: &'a str,
    rules: Vec<JsonRule>,
    fix: &'a str,
    values: std::collections::BTreeMap<&'static str, &'a str>,
}

#[derive(Serialize)]
struct JsonRule {
    code: &'static str,
    name: &'static str,
    doc: String,
}

/// The JSON report: `{"version": 1, "explanations": [...], "unrecognised": N}`.
pub fn write_json(out: &mut dyn Write, seen: &[Seen], unrecognised: usize) -> io::Result<()> {
    let explanations = seen
        .iter()
        .map(|s| {
            let e = &s.explanation;
            JsonExplanation {
                kind: e.kind,
                line: s.first_line,
                text: s.text.trim(),
                count: s.count,
                what: &e.what,
                rules: e
                    .rules
                    .iter()
                    .filter_map(|code| rules::find(code))
                    .map(|r| JsonRule {
                        code: r.code,
                        name: r.name,
                        doc: format!("mxlint rule {}", r.code),
                    })
                    .collect(),
                fix: &e.fix,
                values: e.values.iter().map(|(k, v)| (*k, v.as_str())).collect(),
            }
        })
        .collect();
    let report = Report {
        version: VERSION,
        explanations,
        unrecognised,
    };
    serde_json::to_writer_pretty(&mut *out, &report).map_err(io::Error::other)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(kind: &'static str) -> Explanation {
        Explanation {
            kind,
            what: "what happened ".repeat(20),
            rules: vec!["MX301"],
            fix: "fix".into(),
            values: vec![("service", "imap".into())],
        }
    }

    #[test]
    fn repeats_are_grouped_in_first_seen_order() {
        let seen = group([
            (1, "a".to_string(), sample("b-kind")),
            (2, "b".to_string(), sample("a-kind")),
            (3, "c".to_string(), sample("b-kind")),
        ]);
        let summary: Vec<(&str, usize, usize)> = seen
            .iter()
            .map(|s| (s.explanation.kind, s.first_line, s.count))
            .collect();
        assert_eq!(summary, [("b-kind", 1, 2), ("a-kind", 2, 1)]);
    }

    #[test]
    fn human_text_wraps_and_names_the_rule() {
        let seen = group([(1, "x\ty".to_string(), sample("k"))]);
        let mut out = Vec::new();
        write_human(&mut out, &seen).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("k: x y\n"), "{text}");
        assert!(text.lines().all(|l| l.chars().count() <= 100), "{text}");
        assert!(text.contains("MX301 default-vsz-limit-unset"), "{text}");
        assert!(
            text.contains("  rule docs: `mxlint rule MX301`\n"),
            "{text}"
        );
    }

    #[test]
    fn code_spans_are_not_split() {
        let words = unbroken_words("run `fail2ban-client set x unbanip 1.2.3.4`, then `a` b");
        assert_eq!(
            words,
            [
                "run",
                "`fail2ban-client set x unbanip 1.2.3.4`,",
                "then",
                "`a`",
                "b"
            ]
        );
    }

    #[test]
    fn long_lines_are_cut_when_echoed() {
        let long = "é".repeat(500);
        let shown = echo(&long);
        assert_eq!(shown.chars().count(), ECHO_MAX + 1);
        assert!(shown.ends_with('…'));
    }
}
