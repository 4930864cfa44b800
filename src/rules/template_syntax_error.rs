//! MX101 template-syntax-error: found while loading or rendering the Ansible repository, not by reading a
//! config model; the Ansible and render stages create these findings, so `check` is empty.

use super::Rule;
use crate::diagnostic::Severity;

pub static RULE: Rule = Rule {
    code: "MX101",
    name: "template-syntax-error",
    severity: Severity::Error,
    summary: "a template Jinja cannot parse; the deploy fails on every host",
    doc: include_str!("../../rules/MX101.md"),
    fatal: false,
    check: super::found_by_stage,
};
