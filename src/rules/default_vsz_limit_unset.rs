//! MX301 default-vsz-limit-unset: nothing sets the global limit, so mailbox services run at the
//! compiled 256M — the "error 83" outage.

use super::{Context, Rule};
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Severity};
use crate::model::dovecot::{LimitOrigin, MAILBOX_SERVICES};
use crate::model::size::format_size_compact;
use crate::parse::dovecot::Note;

pub static RULE: Rule = Rule {
    code: "MX301",
    name: "default-vsz-limit-unset",
    severity: Severity::Error,
    summary: "no `default_vsz_limit`: mailbox services run at the compiled 256M",
    doc: include_str!("../../rules/MX301.md"),
    fatal: false,
    check,
};

fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    let Some(dovecot) = cx.dovecot else {
        return;
    };
    // In the order of MAILBOX_SERVICES: imap first, the usual victim.
    let at_default: Vec<&str> = MAILBOX_SERVICES
        .iter()
        .copied()
        .filter(|name| {
            dovecot
                .service(name)
                .is_some_and(|s| s.enabled && s.origin == LimitOrigin::Compiled)
        })
        .collect();
    if at_default.is_empty() {
        return;
    }
    let minimum = format_size_compact(cx.settings.min_vsz_limit);
    let line = format!("default_vsz_limit = {minimum}{}", dovecot.newline);
    let at = dovecot.insert_point;
    // On a rendered host, includes the repository does not produce are the target's stock
    // files, assumed to set no limit: say so, since that is an assumption.
    let assumed: Vec<&str> = dovecot
        .document
        .notes
        .iter()
        .filter_map(|n| match n {
            Note::IncludeNotRendered { pattern, .. } => Some(pattern.as_str()),
            _ => None,
        })
        .collect();
    let stock = if assumed.is_empty() {
        String::new()
    } else {
        format!(
            " (assuming the target's stock files for {}, which set no limit)",
            assumed.join(", ")
        )
    };
    out.push(
        Diagnostic::new(&RULE, at, format!("`default_vsz_limit` is not set: services run with the compiled default of 256M{stock}"))
            .label(format!("add `default_vsz_limit = {minimum}` here"))
            .help(format!(
                "{} can be killed with \"error 83 (Out of memory)\" once a mailbox index outgrows 256M; set `default_vsz_limit = {minimum}` (or more)",
                at_default.join(", ")
            ))
            .fix(Fix {
                message: format!("insert `default_vsz_limit = {minimum}`"),
                applicability: Applicability::Safe,
                edits: vec![Edit::new(at, line)],
            }),
    );
}
