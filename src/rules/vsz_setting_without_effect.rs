//! MX304 vsz-setting-without-effect (stub).

use super::{Context, Rule};
use crate::diagnostic::{Diagnostic, Severity};

pub static RULE: Rule = Rule {
    code: "MX304",
    name: "vsz-setting-without-effect",
    severity: Severity::Warning,
    summary: "",
    doc: "",
    fatal: false,
    check,
};

fn check(_cx: &Context, _out: &mut Vec<Diagnostic>) {}
