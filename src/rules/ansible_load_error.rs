//! MX104 ansible-load-error: found while loading or rendering the Ansible repository, not by reading a
//! config model; the Ansible and render stages create these findings, so `check` is empty.

use super::Rule;
use crate::diagnostic::Severity;

pub static RULE: Rule = Rule {
    code: "MX104",
    name: "ansible-load-error",
    severity: Severity::Error,
    summary: "an inventory, vars or playbook file Ansible cannot load",
    doc: include_str!("../../rules/MX104.md"),
    fatal: false,
    check: super::found_by_stage,
};
