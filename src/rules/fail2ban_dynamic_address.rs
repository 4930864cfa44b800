//! MX505 fail2ban-dynamic-address: a host name in `ignoreip`, resolved on every check, so the
//! whitelist silently changes with DNS; or an address from the shared (carrier-grade NAT)
//! range, which the provider hands to other customers.

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
        for e in ip.entries.iter().filter(|e| !e.after_hash) {
            let shared = match &e.class {
                EntryClass::Single(n) => in_shared_range(n),
                EntryClass::Network { network, .. } => in_shared_range(network),
                _ => false,
            };
            if shared && !cfg.is_stock(e.span.file) && !seen.contains(&e.span) {
                seen.push(e.span);
                out.push(
                    Diagnostic::new(
                        &RULE,
                        e.span,
                        format!("`{}` is in the shared address space 100.64.0.0/10 (carrier-grade NAT): the provider reassigns it and shares it among customers, so the whitelist follows whoever holds it", e.text),
                    )
                    .label("a dynamic, shared address")
                    .help("whitelist a stable network the admin connects from (an office or VPN range); for a home connection prefer a VPN or an `ignorecommand` that checks something only the admin has"),
                );
                continue;
            }
            if e.class != EntryClass::Dns {
                continue;
            }
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

/// RFC 6598 shared address space, used by carrier-grade NAT: addresses there move between
/// customers.
fn in_shared_range(net: &crate::net::Network) -> bool {
    crate::net::Network::parse("100.64.0.0/10").is_some_and(|shared| shared.contains(net))
}

#[cfg(test)]
mod tests {
    use crate::config::Settings;
    use crate::model::fail2ban::{load_tree, TreeFile};
    use crate::source::SourceDb;

    #[test]
    fn names_and_shared_addresses_are_flagged_stable_networks_are_not() {
        let text = "[DEFAULT]\nignoreip = 127.0.0.1/8 ::1 198.51.100.0/24 100.72.3.4 admin.dyndns.example.net\n[dovecot]\nenabled = true\n";
        let mut db = SourceDb::new();
        let file = db.add("jail.local", text.to_string());
        let settings = Settings::default();
        let tree = [TreeFile {
            rel: "jail.local".into(),
            file,
        }];
        let cfg = load_tree(&mut db, &tree, &settings);
        let found = crate::rules::check_fail2ban(&cfg, &[], &settings);
        let flagged: Vec<&str> = found
            .iter()
            .filter(|d| d.rule.code == "MX505")
            .map(|d| db.text(d.primary.span))
            .collect();
        assert_eq!(flagged, ["100.72.3.4", "admin.dyndns.example.net"]);
    }
}
