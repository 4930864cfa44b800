//! MX302 default-vsz-limit-too-small: the global limit is set, but below the configured minimum.

use super::{Context, Rule};
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Severity};
use crate::model::dovecot::VszLimit;
use crate::model::size::format_size_compact;

pub static RULE: Rule = Rule {
    code: "MX302",
    name: "default-vsz-limit-too-small",
    severity: Severity::Error,
    summary: "`default_vsz_limit` is below the minimum mailbox services need",
    doc: include_str!("../../rules/MX302.md"),
    fatal: false,
    check,
};

fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    let Some(dovecot) = cx.dovecot else {
        return;
    };
    let Some(global) = dovecot.default_vsz_limit else {
        return;
    };
    let VszLimit::Bytes(bytes) = global.limit else {
        return;
    };
    let min = cx.settings.min_vsz_limit;
    // 0 is "no limit" in 2.3; in 2.4 MX305 reports it as a startup error.
    if bytes == 0 || bytes >= min {
        return;
    }
    let minimum = format_size_compact(min);
    out.push(
        Diagnostic::new(
            &RULE,
            global.value,
            format!("`default_vsz_limit` is {}, below the minimum of {}", format_size_compact(bytes), format_size_compact(min)),
        )
        .label("too small for mailbox services")
        .help(format!(
            "imap, pop3 and lmtp map a mailbox's index files into memory; a limit under {minimum} kills them with \"error 83\" on large mailboxes"
        ))
        .fix(Fix {
            message: format!("raise to {minimum}"),
            applicability: Applicability::Unsafe,
            edits: vec![Edit::new(global.value, minimum.clone())],
        }),
    );
}
