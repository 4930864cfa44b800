//! MX203 dovecot-continuation-dropped (stub).

use super::{Context, Rule};
use crate::diagnostic::{Diagnostic, Severity};

pub static RULE: Rule = Rule {
    code: "MX203",
    name: "dovecot-continuation-dropped",
    severity: Severity::Warning,
    summary: "",
    doc: "",
    fatal: false,
    check,
};

fn check(_cx: &Context, _out: &mut Vec<Diagnostic>) {}
