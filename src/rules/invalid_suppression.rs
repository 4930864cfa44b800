//! MX002 invalid-suppression: found by the suppression pass (`crate::suppress`) after every other rule has run,
//! not by reading a config model, so `check` is empty.

use super::Rule;
use crate::diagnostic::Severity;

pub static RULE: Rule = Rule {
    code: "MX002",
    name: "invalid-suppression",
    severity: Severity::Warning,
    summary: "a `mxlint:` comment that cannot be read: no `=`, unknown rule, typo, empty list",
    doc: include_str!("../../rules/MX002.md"),
    fatal: false,
    check: super::found_by_stage,
};
