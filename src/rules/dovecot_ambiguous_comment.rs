//! MX204 dovecot-ambiguous-comment: `#` glued to a value, or an unmatched quote (usually an
//! apostrophe) that keeps a later ` #` comment in the value.

use super::{Context, Rule};
use crate::diagnostic::{Diagnostic, Severity};
use crate::parse::dovecot::Note;

pub static RULE: Rule = Rule {
    code: "MX204",
    name: "dovecot-ambiguous-comment",
    severity: Severity::Warning,
    summary: "a `#` whose meaning depends on Dovecot's quote rule",
    doc: include_str!("../../rules/MX204.md"),
    fatal: false,
    check,
};

fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    let Some(dovecot) = cx.dovecot else {
        return;
    };
    for note in &dovecot.document.notes {
        match note {
            Note::AmbiguousComment { hash } => out.push(
                Diagnostic::new(&RULE, *hash, "`#` directly after a value starts a comment")
                    .label("everything from here is a comment")
                    .help("put a space before `#` if a comment is meant, or quote the value if `#` belongs to it"),
            ),
            Note::QuoteHidesComment { quote, hash } => out.push(
                Diagnostic::new(&RULE, *hash, "this `#` is part of the value, not a comment")
                    .label("kept in the value")
                    .related(*quote, "this unmatched quote hides every later `#`")
                    .help("move the comment to a line of its own, or quote the whole value"),
            ),
            _ => {}
        }
    }
}
