//! MX402 firewall-unknown-service: a service name the target's firewalld does not define and no
//! service file of the repository defines, in a zone file or a zone change.

use super::{Context, Rule};
use crate::config::FirewalldVersion;
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Severity};
use crate::model::firewall::catalogue::{suggest, suggestion};
use crate::model::firewall::{FirewallHost, OpTarget, RichElement};
use crate::parse::firewalld::parse_rich_rule;
use crate::source::{Span, UNKNOWN_PLACEHOLDER};

pub static RULE: Rule = Rule {
    code: "MX402",
    name: "firewall-unknown-service",
    severity: Severity::Error,
    summary: "a firewalld service name the target's firewalld does not define",
    doc: include_str!("../../rules/MX402.md"),
    fatal: true,
    check,
};

fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    let Some(host) = cx.firewall else {
        return;
    };
    let version = cx.settings.firewalld.version;
    for zone in &host.zones {
        let rich = zone.rich_rules.iter().filter_map(|r| match &r.element {
            Some(RichElement::Service(s)) => Some((s, Where::RichRule(&zone.name))),
            _ => None,
        });
        let plain = zone
            .services
            .iter()
            .map(|s| (s, Where::ZoneFile(&zone.name)));
        for (service, at) in plain.chain(rich) {
            if unknown(host, version, &service.name) {
                let renamable = matches!(at, Where::ZoneFile(_));
                let mut d = finding(version, &service.name, service.span, at);
                if renamable {
                    d = with_rename(d, version, &service.name, service.span);
                }
                out.push(d);
            }
        }
    }
    for op in host.ops.iter().filter(|op| op.enable) {
        let name = match &op.target {
            OpTarget::Service(name) => name.clone(),
            OpTarget::RichRule(text) => match parse_rich_rule(text, op.name_span).element {
                Some(RichElement::Service(s)) => s.name,
                _ => continue,
            },
            _ => continue,
        };
        if unknown(host, version, &name) {
            let mut d = finding(version, &name, op.name_span, Where::Task(host.zone_of(op)))
                .related(op.span, "this task changes the zone");
            if matches!(op.target, OpTarget::Service(_)) {
                d = with_rename(d, version, &name, op.name_span);
            }
            out.push(d);
        }
    }
}

/// Renames the service where it is written (only where the text there is the name itself).
/// Safe for the same service under its firewalld name (`submission` → `smtp-submission` on
/// 1.3, `IMAPS` → `imaps`); a near spelling may be another service, so that one is unsafe.
fn with_rename(d: Diagnostic, version: FirewalldVersion, name: &str, at: Span) -> Diagnostic {
    let Some(s) = suggestion(version, name) else {
        return d;
    };
    d.fix(Fix {
        message: format!("rename to `{}`", s.name),
        applicability: if s.same_service {
            Applicability::Safe
        } else {
            Applicability::Unsafe
        },
        edits: vec![Edit::new(at, s.name).expecting(name)],
    })
}

fn unknown(host: &FirewallHost, version: FirewalldVersion, name: &str) -> bool {
    !name.is_empty() && !name.contains(UNKNOWN_PLACEHOLDER) && !host.service_defined(version, name)
}

enum Where<'a> {
    ZoneFile(&'a str),
    RichRule(&'a str),
    Task(&'a str),
}

fn finding(version: FirewalldVersion, name: &str, span: Span, at: Where) -> Diagnostic {
    let v = version.as_str();
    let message = match at {
        Where::ZoneFile(zone) => format!(
            "`{name}` is not a service of firewalld {v}: firewalld refuses zone `{zone}` (INVALID_SERVICE) and, since 1.2, falls back to its stock configuration, closing every port this repository opens"
        ),
        // `--check-config` does not look these up; the daemon does when it applies the rule
        // (firewalld fw_policy.py: get_service raises INVALID_SERVICE).
        Where::RichRule(zone) => format!(
            "`{name}` is not a service of firewalld {v}: `firewall-offline-cmd --check-config` accepts this rich rule in zone `{zone}`, but firewalld fails with INVALID_SERVICE when it applies it"
        ),
        Where::Task(zone) => format!(
            "`{name}` is not a service of firewalld {v}: adding it to zone `{zone}` fails at apply time with INVALID_SERVICE"
        ),
    };
    let mut help = match suggest(version, name) {
        Some(s) => format!("did you mean `{s}`?"),
        None => "use a name from `firewall-cmd --get-services`, or ship a service file in /etc/firewalld/services/".to_string(),
    };
    if name == "submission" && version == FirewalldVersion::V1_3 {
        help.push_str(" `submission` exists only from firewalld 2.1.0; `smtp-submission` works on every version (set `firewalld: {version: \"2.1\"}` in .mxlint.yml if every host runs 2.1 or later)");
    }
    Diagnostic::new(&RULE, span, message)
        .label("unknown service")
        .help(help)
}
