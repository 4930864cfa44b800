//! MX103 template-render-error: found while loading or rendering the Ansible repository, not by reading a
//! config model; the Ansible and render stages create these findings, so `check` is empty.

use super::Rule;
use crate::diagnostic::Severity;

pub static RULE: Rule = Rule {
    code: "MX103",
    name: "template-render-error",
    severity: Severity::Error,
    summary: "rendering fails: unknown filter or test, runtime error, or a limit hit",
    doc: include_str!("../../rules/MX103.md"),
    fatal: false,
    check: super::found_by_stage,
};
