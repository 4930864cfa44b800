//! MX501 fail2ban-loopback-not-ignored: an enabled mail jail with `ignoreself = false` whose
//! whitelist lacks loopback, so webmail or a local filter on the same host can be banned.

use super::{jail_list, Context, Rule};
use crate::diagnostic::{Diagnostic, Severity};
use crate::model::fail2ban::Jail;
use crate::net::Network;

pub static RULE: Rule = Rule {
    code: "MX501",
    name: "fail2ban-loopback-not-ignored",
    severity: Severity::Warning,
    summary: "a mail jail with `ignoreself = false` does not whitelist 127.0.0.1/8 and ::1",
    doc: include_str!("../../rules/MX501.md"),
    fatal: false,
    check,
};

fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    let Some(cfg) = cx.fail2ban else {
        return;
    };
    let loopback = [("127.0.0.1/8", "127.0.0.0/8"), ("::1", "::1")];
    let mut groups: Vec<(crate::source::Span, Vec<&Jail>, Vec<&str>)> = Vec::new();
    for jail in cfg.enabled_jails().filter(|j| j.mail && !j.ignores_self()) {
        let Some((_, origin)) = &jail.ignoreself else {
            continue;
        };
        let missing: Vec<&str> = loopback
            .iter()
            .filter(|(_, net)| Network::parse(net).is_some_and(|n| !jail.covers(&n)))
            .map(|(text, _)| *text)
            .collect();
        if missing.is_empty() || cfg.is_stock(origin.file) {
            continue;
        }
        match groups
            .iter_mut()
            .find(|(s, _, m)| *s == origin.span && *m == missing)
        {
            Some((_, jails, _)) => jails.push(jail),
            None => groups.push((origin.span, vec![jail], missing)),
        }
    }
    for (span, jails, missing) in groups {
        let mut d = Diagnostic::new(
            &RULE,
            span,
            format!(
                "`ignoreself = false` and the whitelist of {} lacks {}: connections from this host (webmail, local clients) can be banned",
                jail_list(&jails),
                missing.join(" and ")
            ),
        )
        .label("own addresses no longer ignored")
        .help("add `127.0.0.1/8 ::1` to the `ignoreip` that decides this whitelist (usually [DEFAULT] in jail.local or a jail.d/*.local file), or remove `ignoreself = false`");
        if let Some(ip) = &jails[0].ignoreip {
            if !cfg.is_stock(ip.origin.file) {
                d = d.related(ip.origin.span, "the whitelist that applies");
            }
        }
        out.push(d);
    }
}
