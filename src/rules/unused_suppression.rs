//! MX001 unused-suppression: found by the suppression pass (`crate::suppress`) after every other rule has run,
//! not by reading a config model, so `check` is empty.

use super::Rule;
use crate::diagnostic::Severity;

pub static RULE: Rule = Rule {
    code: "MX001",
    name: "unused-suppression",
    severity: Severity::Warning,
    summary: "a suppression comment that suppresses nothing in this run",
    doc: include_str!("../../rules/MX001.md"),
    fatal: false,
    check: super::found_by_stage,
};
