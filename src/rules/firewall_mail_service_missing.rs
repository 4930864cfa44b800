//! MX401 firewall-mail-service-missing: a port Postfix or Dovecot serves clients on that the
//! host's firewalld zone does not open.

use super::{Context, Rule};
use crate::diagnostic::{Applicability, Diagnostic, Fix, Severity};
use crate::model::exposure::{requirements, Daemon, Port, Requirement};
use crate::model::firewall::catalogue::mail_service_for_port;
use crate::model::firewall::{FirewallHost, OpTarget};

pub static RULE: Rule = Rule {
    code: "MX401",
    name: "firewall-mail-service-missing",
    severity: Severity::Error,
    summary: "a mail port the daemons listen on that the host's firewalld zone does not open",
    doc: include_str!("../../rules/MX401.md"),
    fatal: false,
    check,
};

fn check(cx: &Context, out: &mut Vec<Diagnostic>) {
    let Some(fw) = cx.firewall else {
        return;
    };
    let version = cx.settings.firewalld.version;
    let zone = fw.default_zone.as_str();
    for req in requirements(cx.dovecot, cx.postfix) {
        let open_in = |zone: &str| {
            req.alternatives
                .iter()
                .any(|p| fw.opens(version, zone, p.port, "tcp").is_some())
        };
        if open_in(zone) {
            continue;
        }
        // Opened in a zone the repository binds an interface or source to: clients there
        // reach it, and mxlint cannot tell which zone the others arrive in.
        let elsewhere = other_zones(fw)
            .into_iter()
            .find(|z| *z != zone && open_in(z));
        if elsewhere.is_some_and(|z| is_bound(fw, z)) {
            continue;
        }
        out.push(finding(cx, fw, &req, zone, elsewhere));
    }
}

fn finding(
    cx: &Context,
    fw: &FirewallHost,
    req: &Requirement,
    zone: &str,
    elsewhere: Option<&str>,
) -> Diagnostic {
    let version = cx.settings.firewalld.version;
    let ports: Vec<String> = req
        .alternatives
        .iter()
        .map(|p| format!("{}/tcp", p.port))
        .collect();
    let message = match elsewhere {
        Some(other) => format!(
            "{} is enabled, but only zone `{other}` opens it and nothing binds that zone: clients arrive in the default zone `{zone}`",
            req.what
        ),
        None => format!(
            "{} is enabled, but firewalld zone `{zone}` opens {}",
            req.what,
            if ports.len() == 1 {
                format!("no {}", ports[0])
            } else {
                format!("none of {}", ports.join(", "))
            }
        ),
    };
    let suggested = suggested_port(&req.alternatives);
    let service = mail_service_for_port(version, suggested.port);
    let help = if service.is_empty() {
        format!(
            "open the port in zone `{zone}`: `port: {}/tcp` with `permanent: true` and `immediate: true` (or `<port port=\"{}\" protocol=\"tcp\"/>` in the zone file)",
            suggested.port, suggested.port
        )
    } else {
        let portable = if service == "submission" {
            " (`smtp-submission` also works, on every firewalld version)"
        } else {
            ""
        };
        format!(
            "add the firewalld service `{service}` to zone `{zone}`{portable}: `service: {service}` with `permanent: true` and `immediate: true`, or `<service name=\"{service}\"/>` in the zone file; firewalld {} is the target (`firewalld.version`)",
            version.as_str()
        )
    };
    // A protocol no line enables (Dovecot's compiled-in `protocols`): there is no line to point
    // at, so the finding goes on the firewall side, where the fix usually is.
    let by_default =
        req.daemon == Daemon::Dovecot && cx.dovecot.is_some_and(|d| d.protocol_lines.is_empty());
    let firewall_span = fw
        .zone_file(zone)
        .map(|f| crate::source::Span::new(f.file, 0, 0))
        .or_else(|| {
            fw.ops
                .iter()
                .find(|op| fw.zone_of(op) == zone && !matches!(op.target, OpTarget::Other))
                .or(fw.ops.first())
                .map(|op| op.span)
        });
    if let (true, Some(at)) = (by_default, firewall_span) {
        return Diagnostic::new(
            &RULE,
            at,
            format!("{message} (nothing sets Dovecot's `protocols`, so its compiled-in default serves it)"),
        )
        .label(format!("zone `{zone}` is managed here"))
        .help(format!(
            "{help}; or set `protocols` to only what the host serves (for example `protocols = imap lmtp`) in a file the repository writes"
        ));
    }
    let mut d = Diagnostic::new(&RULE, req.span, message)
        .label("enabled here")
        .help(help);
    if let Some(fix) = add_to_list_fix(fw, zone, service) {
        d = d.fix(fix);
    }
    if let Some(at) = firewall_span {
        let what = if fw.zone_file(zone).is_some() {
            format!("zone file of `{zone}`")
        } else {
            format!("the firewall tasks for zone `{zone}`")
        };
        d = d.related(at, what);
    }
    d
}

/// Appends `service` to the YAML list a task loops over to open services in `zone`, when
/// there is one: a task that enables its entries as services in that zone, permanently and
/// in effect now (so the new entry is opened the same way as its neighbours). Safe: the
/// daemon already listens there; the entry only lets clients reach it.
fn add_to_list_fix(fw: &FirewallHost, zone: &str, service: &str) -> Option<Fix> {
    if service.is_empty() {
        return None;
    }
    let list = fw
        .ops
        .iter()
        .filter(|op| op.enable && op.permanent && op.in_effect() && fw.zone_of(op) == zone)
        .filter(|op| matches!(op.target, OpTarget::Service(_)))
        .find_map(|op| op.list.as_deref())?;
    if list.contains(service) {
        return None;
    }
    Some(Fix {
        message: format!("add `{service}` to the services the firewall task opens"),
        applicability: Applicability::Safe,
        edits: vec![list.append(service)],
    })
}

/// The alternative to suggest: the implicit-TLS port when there is one (993 over 143).
fn suggested_port(alternatives: &[Port]) -> Port {
    alternatives
        .iter()
        .copied()
        .find(|p| matches!(p.port, 993 | 995 | 465))
        .or_else(|| alternatives.first().copied())
        .unwrap_or(Port::new(0))
}

/// Zones the repository changes or writes besides the default one.
fn other_zones(fw: &FirewallHost) -> Vec<&str> {
    let mut zones: Vec<&str> = fw
        .ops
        .iter()
        .filter_map(|op| op.zone.as_deref())
        .chain(fw.zones.iter().map(|z| z.name.as_str()))
        .collect();
    zones.sort_unstable();
    zones.dedup();
    zones
}

/// True when the repository binds something (interface, source) to `zone`.
fn is_bound(fw: &FirewallHost, zone: &str) -> bool {
    fw.zone_file(zone).is_some_and(|z| !z.sources.is_empty())
        || fw
            .ops
            .iter()
            .any(|op| op.zone.as_deref() == Some(zone) && op.enable && op.target == OpTarget::Other)
}
