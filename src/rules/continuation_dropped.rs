//! MX203 dovecot-continuation-dropped: a `\` line followed by a blank line, a comment line or
//! the end of the file, where Dovecot silently throws the pending text away.

use super::{Context, Rule};
use crate::diagnostic::{Diagnostic, Severity};
use crate::parse::dovecot::Note;

pub static RULE: Rule = Rule {
    code: "MX203",
    name: "dovecot-continuation-dropped",
    severity: Severity::Error,
    summary: "a `\\` continuation is followed by a blank or comment line and silently discarded",
    doc: include_str!("../../rules/MX203.md"),
    fatal: false,
    check,
};

fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    let Some(dovecot) = cx.dovecot else {
        return;
    };
    for note in &dovecot.document.notes {
        let Note::ContinuationDropped {
            backslash,
            pending,
            by,
        } = note
        else {
            continue;
        };
        let what = if by.is_some() {
            "the next line is blank or a comment"
        } else {
            "the file ends"
        };
        let mut d = Diagnostic::new(&RULE, *pending, format!("this line is silently discarded: it ends in `\\` but {what}"))
            .label("Dovecot drops this text")
            .related(*backslash, "continues onto the next line")
            .help("remove the trailing `\\`, or move the blank or comment line out of the continued statement");
        if let Some(by) = by {
            d = d.related(*by, "this line ends the continuation");
        }
        out.push(d);
    }
}
