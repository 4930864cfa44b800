//! MX505 fail2ban-dynamic-address: a host name in `ignoreip`, resolved on every check, so the
//! whitelist silently changes with DNS.

use super::{Context, Rule};
use crate::config::Fail2banVersion;
use crate::diagnostic::{Diagnostic, Severity};
use crate::model::fail2ban::EntryClass;
use crate::source::Span;

pub static RULE: Rule = Rule {
    code: "MX505",
    name: "fail2ban-dynamic-address",
    severity: Severity::Info,
    summary: "a host name in a mail jail's `ignoreip` is resolved on every check",
    doc: include_str!("../../rules/MX505.md"),
    fatal: false,
    check,
};

fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    let Some(cfg) = cx.fail2ban else {
        return;
    };
    let mut seen: Vec<Span> = Vec::new();
    for jail in cfg.enabled_jails().filter(|j| j.mail) {
        let Some(ip) = &jail.ignoreip else { continue };
        for e in ip
            .entries
            .iter()
            .filter(|e| e.class == EntryClass::Dns && !e.after_hash)
        {
            if cfg.is_stock(e.span.file) || seen.contains(&e.span) {
                continue;
            }
            seen.push(e.span);
            let file_hint = if cfg.version >= Fail2banVersion::V1_1_1 {
                ", an `ignorecommand`, or a `file:` list you update"
            } else {
                " or an `ignorecommand`"
            };
            out.push(
                Diagnostic::new(
                    &RULE,
                    e.span,
                    format!("`{}` is a host name: fail2ban resolves it on every check (results cached 5 minutes), so when its address changes or DNS fails the admin is banned like anyone else", e.text),
                )
                .label("resolved per check")
                .help(format!("prefer the stable network the client connects from{file_hint}")),
            );
        }
    }
}
