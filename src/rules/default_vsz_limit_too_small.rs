//! MX302 default-vsz-limit-too-small (stub).

use super::{Context, Rule};
use crate::diagnostic::{Diagnostic, Severity};

pub static RULE: Rule = Rule {
    code: "MX302",
    name: "default-vsz-limit-too-small",
    severity: Severity::Warning,
    summary: "",
    doc: "",
    fatal: false,
    check,
};

fn check(_cx: &Context, _out: &mut Vec<Diagnostic>) {}
