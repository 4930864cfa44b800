//! MX504 fail2ban-ignoreip-invalid: `ignoreip` entries that stop fail2ban, whitelist every
//! address, never match, or are a "comment" fail2ban reads as entries. Per target version.

use super::{Context, Rule};
use crate::config::Fail2banVersion;
use crate::diagnostic::{Diagnostic, Severity};
use crate::model::fail2ban::{Entry, EntryClass};
use crate::source::Span;

pub static RULE: Rule = Rule {
    code: "MX504",
    name: "fail2ban-ignoreip-invalid",
    severity: Severity::Error,
    summary: "an `ignoreip` entry stops fail2ban, whitelists everything, or never matches",
    doc: include_str!("../../rules/MX504.md"),
    fatal: false,
    check,
};

fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    let Some(cfg) = cx.fail2ban else {
        return;
    };
    let version = cfg.version;
    // One finding per entry (the same DEFAULT line reaches many jails).
    let mut seen: Vec<(Span, Vec<String>, &Entry)> = Vec::new();
    for jail in cfg.enabled_jails() {
        let Some(ip) = &jail.ignoreip else { continue };
        for e in &ip.entries {
            if cfg.is_stock(e.span.file) {
                continue;
            }
            match seen.iter_mut().find(|(s, _, _)| *s == e.span) {
                Some((_, jails, _)) => jails.push(jail.name.clone()),
                None => seen.push((e.span, vec![jail.name.clone()], e)),
            }
        }
    }
    let mut hash_lines: Vec<Span> = Vec::new();
    for (span, jails, e) in seen {
        let jails = jails.join(", ");
        let v = version.as_str();
        let (message, help) = if e.after_hash {
            if e.text.starts_with('#') && !hash_lines.contains(&span) {
                hash_lines.push(span);
                (
                    format!("`#` does not start a comment inside a fail2ban value: `{}` and the words after it become whitelist entries (jails {jails})", e.text),
                    "put the comment on its own line, or after ` ; ` (a semicolon preceded by a space)".to_string(),
                )
            } else {
                continue;
            }
        } else {
            match &e.class {
                EntryClass::Fatal(msg) => (
                    format!("fail2ban {v} refuses `{}` and the whole server stops at start-up, not just jails {jails}: {msg}", e.text),
                    "write an address or a network with a numeric prefix (`192.168.1.0/24`)".to_string(),
                ),
                EntryClass::MatchesAll(_) if e.text.contains('\t') => (
                    format!("on fail2ban {v} a tab does not separate entries: `{}` is read as one entry with prefix length 0, which whitelists every IPv4 address — jails {jails} never ban IPv4", e.text.escape_debug()),
                    "separate entries with spaces or commas".to_string(),
                ),
                EntryClass::MatchesAll(_) => (
                    format!("`{}` has prefix length 0 on fail2ban {v}: it whitelists every address of its family, so jails {jails} never ban them", e.text.escape_debug()),
                    "write the intended network with its real prefix (`10.0.0.0/24`)".to_string(),
                ),
                EntryClass::Raw if version == Fail2banVersion::V1_0 && e.text.contains('\t') => (
                    format!("on fail2ban {v} a tab does not separate entries: `{}` is one entry that matches nothing (jails {jails})", e.text.escape_debug()),
                    "separate entries with spaces or commas".to_string(),
                ),
                EntryClass::Raw => (
                    format!("`{}` is neither an address, a network nor a host name: fail2ban {v} keeps it and it never matches (jails {jails})", e.text.escape_debug()),
                    "fix the address or network (`192.0.2.7`, `198.51.100.0/24`)".to_string(),
                ),
                _ => continue,
            }
        };
        out.push(
            Diagnostic::new(&RULE, span, message)
                .label("this entry")
                .help(help),
        );
    }
}
