//! MX202 dovecot-version-mismatch: syntax of the other major version, or a 2.4 file without its
//! version lines.

use super::{Context, Rule};
use crate::diagnostic::{Diagnostic, Severity};
use crate::model::dovecot::ProblemKind;

pub static RULE: Rule = Rule {
    code: "MX202",
    name: "dovecot-version-mismatch",
    severity: Severity::Error,
    summary: "2.3 syntax in a 2.4 file or the reverse, or missing 2.4 version settings",
    doc: include_str!("../../rules/MX202.md"),
    fatal: true,
    check,
};

fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    let Some(dovecot) = cx.dovecot else {
        return;
    };
    for problem in &dovecot.problems {
        if let ProblemKind::Version { help } = &problem.kind {
            let label = format!("read as Dovecot {}", dovecot.version.as_str());
            out.push(
                Diagnostic::new(&RULE, problem.span, problem.message.clone())
                    .label(label)
                    .help(help.clone()),
            );
        }
    }
}
