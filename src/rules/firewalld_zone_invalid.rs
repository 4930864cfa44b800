//! MX405 firewalld-zone-invalid: a zone or service file firewalld refuses to load (malformed
//! XML, an unknown element such as `<rich-rule>`, a missing attribute, a bad port).

use super::{Context, Rule};
use crate::diagnostic::{Diagnostic, Severity};

pub static RULE: Rule = Rule {
    code: "MX405",
    name: "firewalld-zone-invalid",
    severity: Severity::Error,
    summary: "a zone or service file firewalld refuses to load",
    doc: include_str!("../../rules/MX405.md"),
    fatal: true,
    check,
};

fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    let Some(host) = cx.firewall else {
        return;
    };
    let zones = host
        .zones
        .iter()
        .filter_map(|z| Some((z.error.as_ref()?, "zone", &z.name)));
    let services = host
        .services
        .iter()
        .filter_map(|s| Some((s.error.as_ref()?, "service", &s.name)));
    for (error, kind, name) in zones.chain(services) {
        out.push(
            Diagnostic::new(
                &RULE,
                error.span,
                format!(
                    "firewalld refuses {kind} `{name}`: {}; since 1.2 it then falls back to its stock configuration, closing every port this repository opens",
                    error.firewalld_text()
                ),
            )
            .label(error.code.as_str())
            .help(help(&error.message)),
        );
    }
}

fn help(message: &str) -> &'static str {
    if message.contains("rich-rule") {
        "a rich rule is written `<rule>` in zone files (`rich-rule` is the firewall-cmd option name)"
    } else if message.starts_with("Missing attribute") {
        "add the missing attribute; `<port>` needs both `port` and `protocol`"
    } else if message.starts_with("not a valid") {
        "fix the XML; `firewall-offline-cmd --check-config` shows the same error"
    } else {
        "check the file with `firewall-offline-cmd --check-config` before deploying it"
    }
}
