//! MX204 dovecot-ambiguous-comment (stub).

use super::{Context, Rule};
use crate::diagnostic::{Diagnostic, Severity};

pub static RULE: Rule = Rule {
    code: "MX204",
    name: "dovecot-ambiguous-comment",
    severity: Severity::Warning,
    summary: "",
    doc: "",
    fatal: false,
    check,
};

fn check(_cx: &Context, _out: &mut Vec<Diagnostic>) {}
