//! MX503 fail2ban-jail-drops-default-whitelist: a jail's own `ignoreip` replaces [DEFAULT]'s
//! instead of extending it, so the entries of [DEFAULT] no longer apply to that jail.

use super::{jail_list, Context, Rule};
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Severity};
use crate::model::fail2ban::Jail;
use crate::source::Span;

pub static RULE: Rule = Rule {
    code: "MX503",
    name: "fail2ban-jail-drops-default-whitelist",
    severity: Severity::Warning,
    summary: "a jail's `ignoreip` replaces the [DEFAULT] whitelist instead of extending it",
    doc: include_str!("../../rules/MX503.md"),
    fatal: false,
    check,
};

fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    let Some(cfg) = cx.fail2ban else {
        return;
    };
    let mut groups: Vec<(crate::source::Span, Vec<&Jail>)> = Vec::new();
    for jail in cfg.enabled_jails() {
        let Some(ip) = &jail.ignoreip else { continue };
        if ip.replaced_default.is_none() || cfg.is_stock(ip.origin.file) {
            continue;
        }
        match groups.iter_mut().find(|(s, _)| *s == ip.origin.span) {
            Some((_, jails)) => jails.push(jail),
            None => groups.push((ip.origin.span, vec![jail])),
        }
    }
    for (span, jails) in groups {
        let Some(ip) = &jails[0].ignoreip else {
            continue;
        };
        let Some(replaced) = &ip.replaced_default else {
            continue;
        };
        let message = if ip.entries.is_empty() {
            format!("empty `ignoreip` in {}: the jail ignores no address at all, [DEFAULT]'s whitelist is dropped", jail_list(&jails))
        } else {
            format!(
                "`ignoreip` of {} replaces [DEFAULT]'s whitelist instead of adding to it: {} no longer ignored there",
                jail_list(&jails),
                replaced.lost.join(", ") + if replaced.lost.len() == 1 { " is" } else { " are" }
            )
        };
        let mut d = Diagnostic::new(&RULE, span, message)
            .label("replaces the [DEFAULT] value")
            .help("start the value with `%(known/ignoreip)s` (`ignoreip = %(known/ignoreip)s 10.0.0.0/8`) to keep [DEFAULT]'s entries, or delete the line");
        if !cfg.is_stock(replaced.default_origin.file) {
            d = d.related(replaced.default_origin.span, "[DEFAULT] whitelist set here");
        }
        if let Some(fix) = keep_default_fix(span, ip) {
            d = d.fix(fix);
        }
        out.push(d);
    }
}

/// Puts `%(known/ignoreip)s` in front of the jail's value. Safe: the whitelist only gains what
/// [DEFAULT] already trusts, which is what an admin who wrote [DEFAULT]'s `ignoreip` meant; no
/// entry is removed. Only when the value is written on this line: entries that come through
/// interpolation live elsewhere.
fn keep_default_fix(line: Span, ip: &crate::model::fail2ban::IgnoreIp) -> Option<Fix> {
    let inside =
        |s: Span| s.file == line.file && s.start() >= line.start() && s.end() <= line.end();
    let (at, text) = match ip.entries.first() {
        None => (line.end(), " %(known/ignoreip)s"),
        Some(first) if inside(first.span) => (first.span.start(), "%(known/ignoreip)s "),
        Some(_) => return None,
    };
    Some(Fix {
        message: "keep [DEFAULT]'s whitelist with `%(known/ignoreip)s`".into(),
        applicability: Applicability::Safe,
        edits: vec![Edit::new(Span::new(line.file, at, at), text)],
    })
}
