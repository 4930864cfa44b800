//! MX105 unevaluated-lookup: found while loading or rendering the Ansible repository, not by reading a
//! config model; the Ansible and render stages create these findings, so `check` is empty.

use super::Rule;
use crate::diagnostic::Severity;

pub static RULE: Rule = Rule {
    code: "MX105",
    name: "unevaluated-lookup",
    severity: Severity::Info,
    summary: "a value that only exists on the target or at deploy time; checks depending on it are skipped",
    doc: include_str!("../../rules/MX105.md"),
    fatal: false,
    check: super::found_by_stage,
};
