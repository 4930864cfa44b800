//! MX502 fail2ban-trusted-network-missing: an enabled mail jail whose effective whitelist does
//! not cover every trusted network — the admin's own clients get banned (the self-ban).

use super::{jail_list, mail_jails_by_whitelist, Context, Rule};
use crate::diagnostic::{Diagnostic, Severity};

pub static RULE: Rule = Rule {
    code: "MX502",
    name: "fail2ban-trusted-network-missing",
    severity: Severity::Error,
    summary: "a mail jail's effective whitelist misses a trusted network",
    doc: include_str!("../../rules/MX502.md"),
    fatal: false,
    check,
};

fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    let Some(cfg) = cx.fail2ban else {
        return;
    };
    if cx.trusted.is_empty() {
        return;
    }
    for (span, jails) in mail_jails_by_whitelist(cfg) {
        let missing: Vec<&str> = cx
            .trusted
            .iter()
            .filter(|t| !jails[0].covers(&t.network))
            .map(|t| t.text.as_str())
            .collect();
        if missing.is_empty() {
            continue;
        }
        // A whitelist decided in a stock file: point at the user's line enabling the jail.
        let span = if cfg.is_stock(span.file) {
            match jails[0].enabled_by.as_ref().map(|(_, o)| o.span) {
                Some(s) if !cfg.is_stock(s.file) => s,
                _ => continue,
            }
        } else {
            span
        };
        let plural = jails.len() > 1;
        let what = match (&jails[0].ignoreip, plural) {
            (Some(_), false) => "does not ignore",
            (Some(_), true) => "do not ignore",
            (None, false) => "has no `ignoreip`, so it does not ignore",
            (None, true) => "have no `ignoreip`, so they do not ignore",
        };
        let networks = missing.join(" ");
        // Say where the whitelist is decided: the jail's own line or [DEFAULT] (in whatever
        // file it is), not a file name the repository may not use.
        let help = match &jails[0].ignoreip {
            Some(ip) if !ip.from_default => format!(
                "add {networks} to this `ignoreip` of [{}], or start it with `%(known/ignoreip)s` to keep [DEFAULT]'s entries if they include {networks}",
                ip.origin.section
            ),
            Some(_) => format!(
                "add {networks} to this [DEFAULT] `ignoreip`, and write per-jail values as `ignoreip = %(known/ignoreip)s …` so they keep it"
            ),
            None => format!(
                "add `ignoreip = 127.0.0.1/8 ::1 {networks}` to [DEFAULT] (jail.local or a jail.d/*.local file), and write per-jail values as `ignoreip = %(known/ignoreip)s …` so they keep it"
            ),
        };
        let mut d = Diagnostic::new(
            &RULE,
            span,
            format!(
                "{} {what} the trusted {} {}: failed logins from there (a client syncing with an old password) ban the admin's own address",
                jail_list(&jails),
                if missing.len() == 1 { "network" } else { "networks" },
                missing.join(", ")
            ),
        )
        .label("effective whitelist")
        .help(help);
        for t in cx
            .trusted
            .iter()
            .filter(|t| missing.contains(&t.text.as_str()))
        {
            if let Some(origin) = t.origin {
                d = d.related(origin, format!("{} is trusted here", t.text));
            }
        }
        out.push(d);
    }
}
