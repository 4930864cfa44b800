//! MX305 vsz-limit-invalid-for-version (stub).

use super::{Context, Rule};
use crate::diagnostic::{Diagnostic, Severity};

pub static RULE: Rule = Rule {
    code: "MX305",
    name: "vsz-limit-invalid-for-version",
    severity: Severity::Warning,
    summary: "",
    doc: "",
    fatal: false,
    check,
};

fn check(_cx: &Context, _out: &mut Vec<Diagnostic>) {}
