//! MX102 undefined-variable: found while loading or rendering the Ansible repository, not by reading a
//! config model; the Ansible and render stages create these findings, so `check` is empty.

use super::Rule;
use crate::diagnostic::Severity;

pub static RULE: Rule = Rule {
    code: "MX102",
    name: "undefined-variable",
    severity: Severity::Error,
    summary: "a template uses a variable that is not defined for some hosts",
    doc: include_str!("../../rules/MX102.md"),
    fatal: false,
    check: super::found_by_stage,
};
