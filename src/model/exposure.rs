//! model::exposure: what a host's mail daemons need reachable from other hosts, and which
//! ports two daemons both try to bind. Reads the Dovecot and Postfix models; knows nothing
//! about firewalld (MX401 compares these requirements with what a zone opens).
//!
//! Semantics (issue 4 point 5, docs/fail2ban-firewalld-postfix.md Parts D–F): each exposed
//! Postfix inet service is its own requirement (the admin enabled it on purpose); for Dovecot,
//! each enabled client protocol whose listeners are compiled in is one requirement that any of
//! its exposed listeners satisfies (imap *or* imaps), and a listener the config gives a port
//! explicitly is its own requirement. Loopback, `port = 0`, disabled protocols and lmtp need
//! nothing.

use crate::model::dovecot::listeners::compiled_listeners;
use crate::model::dovecot::{DovecotConfig, Listener};
use crate::model::postfix::{InetService, PostfixModel};
use crate::source::Span;
use std::net::IpAddr;

/// Which daemon needs the port.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Daemon {
    Postfix,
    Dovecot,
}

/// A TCP port with its services(5) name (`smtp`, `submission`, `smtps`, `imap`, `imaps`, `pop3`,
/// `pop3s`, `sieve`), or `""` when the port has no well-known mail name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Port {
    pub port: u16,
    pub name: &'static str,
}

impl Port {
    pub fn new(port: u16) -> Port {
        Port {
            port,
            name: well_known_name(port),
        }
    }
}

/// Something clients must be able to reach: any one of `alternatives` open satisfies it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requirement {
    /// For messages: `Postfix submission (587/tcp)`, `Dovecot imap (143/tcp or 993/tcp)`.
    pub what: String,
    pub alternatives: Vec<Port>,
    /// The line that enables it: the master.cf service field; an explicit listener's port
    /// line; for compiled-in Dovecot listeners the line that enabled the protocol (the top of
    /// dovecot.conf when the compiled default enabled it).
    pub span: Span,
    pub daemon: Daemon,
}

/// Dovecot and Postfix both bind `port` on overlapping addresses: one of them fails to start
/// its listener ("Address already in use").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflict {
    pub port: u16,
    /// The Dovecot listener (`submission-login` / `submission`).
    pub dovecot_service: String,
    pub dovecot_listener: String,
    pub dovecot_protocol: String,
    /// The config gives the listener's port explicitly (else it is compiled in).
    pub dovecot_explicit: bool,
    /// The Dovecot line: the listener's port line when explicit, else the line that enabled its
    /// protocol.
    pub dovecot_span: Span,
    /// The master.cf service field as written.
    pub postfix_service: String,
    /// The master.cf service field.
    pub postfix_span: Span,
}

/// The services(5) name of a mail port, `""` for others.
pub fn well_known_name(port: u16) -> &'static str {
    match port {
        25 => "smtp",
        587 => "submission",
        465 => "smtps",
        143 => "imap",
        993 => "imaps",
        110 => "pop3",
        995 => "pop3s",
        4190 => "sieve",
        _ => "",
    }
}

/// Every requirement of the host, Postfix first, each in file order.
pub fn requirements(
    dovecot: Option<&DovecotConfig>,
    postfix: Option<&PostfixModel>,
) -> Vec<Requirement> {
    let mut out = Vec::new();
    if let Some(postfix) = postfix {
        out.extend(postfix.exposed().filter_map(postfix_requirement));
    }
    if let Some(dovecot) = dovecot {
        out.extend(dovecot_requirements(dovecot));
    }
    out
}

fn postfix_requirement(service: &InetService) -> Option<Requirement> {
    let port = Port::new(service.port?);
    Some(Requirement {
        what: format!("Postfix {} ({}/tcp)", service.name, port.port),
        alternatives: vec![port],
        span: service.span,
        daemon: Daemon::Postfix,
    })
}

fn dovecot_requirements(dovecot: &DovecotConfig) -> Vec<Requirement> {
    let mut out = Vec::new();
    let client_services: Vec<&str> = compiled_listeners(dovecot.version)
        .iter()
        .map(|(s, _, _)| *s)
        .collect();
    let exposed: Vec<&Listener> = dovecot
        .listeners
        .iter()
        .filter(|l| l.exposed() && client_services.contains(&l.service.as_str()))
        .collect();
    let mut protocols: Vec<&str> = Vec::new();
    for l in &exposed {
        if !protocols.contains(&l.protocol.as_str()) {
            protocols.push(&l.protocol);
        }
    }
    for protocol in protocols {
        let of_protocol: Vec<&&Listener> =
            exposed.iter().filter(|l| l.protocol == protocol).collect();
        let explicit: Vec<&&Listener> =
            of_protocol.iter().copied().filter(|l| l.explicit).collect();
        if explicit.is_empty() {
            let mut alternatives: Vec<Port> = Vec::new();
            for l in &of_protocol {
                let port = Port::new(l.port.unwrap_or_default());
                if !alternatives.contains(&port) {
                    alternatives.push(port);
                }
            }
            let ports: Vec<String> = alternatives
                .iter()
                .map(|p| format!("{}/tcp", p.port))
                .collect();
            out.push(Requirement {
                what: format!("Dovecot {protocol} ({})", ports.join(" or ")),
                alternatives,
                span: protocol_line(dovecot, protocol),
                daemon: Daemon::Dovecot,
            });
        }
        for l in explicit {
            let port = Port::new(l.port.unwrap_or_default());
            out.push(Requirement {
                what: format!(
                    "Dovecot {} listener `{}` ({}/tcp)",
                    l.service, l.name, port.port
                ),
                alternatives: vec![port],
                span: listener_line(dovecot, l),
                daemon: Daemon::Dovecot,
            });
        }
    }
    out
}

/// The line that enabled `protocol`: its `protocols` line, else the last `protocols` line,
/// else the top of dovecot.conf (the compiled default enabled it).
pub fn protocol_line(dovecot: &DovecotConfig, protocol: &str) -> Span {
    dovecot
        .protocol_lines
        .iter()
        .find(|(p, _)| p == protocol)
        .map(|(_, s)| *s)
        .or(dovecot.protocols_span)
        .unwrap_or_else(|| Span::new(dovecot.root(), 0, 0))
}

/// The line that makes `listener` listen: its port line when the config sets the port, else
/// the line that enabled its protocol.
pub fn listener_line(dovecot: &DovecotConfig, listener: &Listener) -> Span {
    match listener.span {
        Some(span) if listener.explicit => span,
        _ if !listener.protocol.is_empty() => protocol_line(dovecot, &listener.protocol),
        Some(span) => span,
        None => Span::new(dovecot.root(), 0, 0),
    }
}

/// Every Dovecot listener and active Postfix inet service that bind the same port on
/// overlapping addresses.
pub fn conflicts(dovecot: Option<&DovecotConfig>, postfix: Option<&PostfixModel>) -> Vec<Conflict> {
    let (Some(dovecot), Some(postfix)) = (dovecot, postfix) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for l in dovecot.listeners.iter().filter(|l| l.listens()) {
        for s in postfix.services.iter().filter(|s| s.active) {
            if s.port.is_none() || s.port != l.port {
                continue;
            }
            let theirs = postfix_addresses(postfix, s);
            let overlap = l
                .addresses()
                .iter()
                .any(|a| theirs.iter().any(|b| overlaps(a, b)));
            if !overlap {
                continue;
            }
            out.push(Conflict {
                port: s.port.unwrap_or_default(),
                dovecot_service: l.service.clone(),
                dovecot_listener: l.name.clone(),
                dovecot_protocol: l.protocol.clone(),
                dovecot_explicit: l.explicit,
                dovecot_span: listener_line(dovecot, l),
                postfix_service: s.name.clone(),
                postfix_span: s.span,
            });
        }
    }
    out
}

/// The addresses a Postfix service binds: its host, else `inet_interfaces`.
fn postfix_addresses<'a>(postfix: &'a PostfixModel, service: &'a InetService) -> Vec<&'a str> {
    if let Some(host) = &service.host {
        return vec![host.as_str()];
    }
    let mut out = Vec::new();
    for i in &postfix.inet_interfaces {
        match i.to_ascii_lowercase().as_str() {
            "all" => out.extend(["*", "::"]),
            "loopback-only" => out.extend(["127.0.0.1", "::1"]),
            _ => out.push(i.as_str()),
        }
    }
    out
}

/// How a listen address reads for overlap: every IPv4 / IPv6 address, one address, or a name.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Bind {
    AnyV4,
    AnyV6,
    Ip(IpAddr),
    Name(String),
}

fn bind(address: &str) -> Vec<Bind> {
    let a = address.trim();
    let bare = a
        .strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .unwrap_or(a);
    match bare {
        "*" | "0.0.0.0" => vec![Bind::AnyV4],
        "::" => vec![Bind::AnyV6],
        _ if bare.eq_ignore_ascii_case("localhost") => vec![
            Bind::Ip(IpAddr::from([127, 0, 0, 1])),
            Bind::Ip(IpAddr::from(std::net::Ipv6Addr::LOCALHOST)),
        ],
        _ => match bare.parse::<IpAddr>() {
            Ok(ip) => vec![Bind::Ip(ip)],
            Err(_) => vec![Bind::Name(bare.to_ascii_lowercase())],
        },
    }
}

/// Two binds on one port collide: the same address, or a wildcard of the family (both daemons
/// set IPV6_V6ONLY, so `::` and `*` are separate). A host name collides with a wildcard and
/// with itself; against an address mxlint cannot tell and says no.
fn overlaps(a: &str, b: &str) -> bool {
    let (a, b) = (bind(a), bind(b));
    a.iter().any(|x| b.iter().any(|y| bind_overlap(x, y)))
}

fn bind_overlap(a: &Bind, b: &Bind) -> bool {
    use Bind::*;
    match (a, b) {
        (AnyV4, AnyV4) | (AnyV6, AnyV6) => true,
        (AnyV4, Ip(ip)) | (Ip(ip), AnyV4) => ip.is_ipv4(),
        (AnyV6, Ip(ip)) | (Ip(ip), AnyV6) => ip.is_ipv6(),
        (AnyV4 | AnyV6, Name(_)) | (Name(_), AnyV4 | AnyV6) => true,
        (Ip(x), Ip(y)) => x == y,
        (Name(x), Name(y)) => x == y,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;
    use crate::model::dovecot::{load_loaded, DovecotVersion};
    use crate::parse::postfix::{parse_main, parse_master};
    use crate::source::{FileId, SourceDb};

    fn dovecot(db: &mut SourceDb, text: &str) -> DovecotConfig {
        let file = db.add("dovecot.conf", text.to_string());
        let settings = Settings {
            dovecot_version: Some(DovecotVersion::V2_3),
            ..Default::default()
        };
        load_loaded(db, file, &settings)
    }

    fn postfix(master: &str, main: &str) -> PostfixModel {
        crate::model::postfix::model(&parse_master(FileId(7), master), Some(&parse_main(main)))
    }

    fn summary(reqs: &[Requirement]) -> Vec<(String, Vec<u16>)> {
        reqs.iter()
            .map(|r| {
                (
                    r.what.clone(),
                    r.alternatives.iter().map(|p| p.port).collect(),
                )
            })
            .collect()
    }

    #[test]
    fn implicit_dovecot_listeners_are_one_requirement_per_protocol() {
        let mut db = SourceDb::default();
        let text = "protocols = imap pop3 lmtp sieve\nservice pop3-login {\n  inet_listener pop3 {\n    port = 0\n  }\n}\n";
        let d = dovecot(&mut db, text);
        let reqs = requirements(Some(&d), None);
        assert_eq!(
            summary(&reqs),
            [
                (
                    "Dovecot imap (143/tcp or 993/tcp)".to_string(),
                    vec![143, 993]
                ),
                ("Dovecot pop3 (995/tcp)".to_string(), vec![995]),
                ("Dovecot sieve (4190/tcp)".to_string(), vec![4190]),
            ]
        );
        assert!(reqs
            .iter()
            .all(|r| r.span.start() == 0 && r.daemon == Daemon::Dovecot));
        assert_eq!(reqs[0].alternatives[1].name, "imaps");
    }

    #[test]
    fn explicit_listeners_are_their_own_requirement() {
        let mut db = SourceDb::default();
        let text = "protocols = imap\nservice imap-login {\n  inet_listener imap {\n    address = 127.0.0.1\n  }\n  inet_listener imaps {\n    port = 993\n  }\n  inet_listener alt {\n    port = 1143\n  }\n}\n";
        let d = dovecot(&mut db, text);
        let reqs = requirements(Some(&d), None);
        assert_eq!(
            summary(&reqs),
            [
                (
                    "Dovecot imap-login listener `imaps` (993/tcp)".to_string(),
                    vec![993]
                ),
                (
                    "Dovecot imap-login listener `alt` (1143/tcp)".to_string(),
                    vec![1143]
                ),
            ]
        );
        assert_eq!(Some(reqs[0].span.start()), text.find("port = 993"));
        assert_eq!(reqs[1].alternatives[0].name, "");
    }

    #[test]
    fn postfix_services_are_explicit_requirements() {
        let p = postfix(
            "smtp inet n - y - - smtpd\nsubmission inet n - y - - smtpd\n127.0.0.1:10025 inet n - n - - smtpd\nflush unix n - y 1000? 0 flush\n",
            "",
        );
        let reqs = requirements(None, Some(&p));
        assert_eq!(
            summary(&reqs),
            [
                ("Postfix smtp (25/tcp)".to_string(), vec![25]),
                ("Postfix submission (587/tcp)".to_string(), vec![587]),
            ]
        );
        assert_eq!(reqs[1].span, p.services[1].span);
        let quiet = postfix(
            "smtp inet n - y - - smtpd\n",
            "inet_interfaces = loopback-only\n",
        );
        assert!(requirements(None, Some(&quiet)).is_empty());
    }

    #[test]
    fn dovecot_submission_collides_with_postfix_submission() {
        let mut db = SourceDb::default();
        let text = "protocols = imap submission\n";
        let d = dovecot(&mut db, text);
        let p = postfix(
            "smtp inet n - y - - smtpd\nsubmission inet n - y - - smtpd\n",
            "",
        );
        let found = conflicts(Some(&d), Some(&p));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].port, 587);
        assert_eq!(found[0].dovecot_listener, "submission");
        assert_eq!(found[0].dovecot_span.start(), 0);
        assert_eq!(found[0].postfix_service, "submission");
        // Postfix bound to another address, or Dovecot's listener off: no collision.
        let elsewhere = postfix("192.0.2.1:submission inet n - y - - smtpd\n", "");
        let d_local = dovecot(&mut db, "protocols = submission\nlisten = 192.0.2.2\n");
        assert!(conflicts(Some(&d_local), Some(&elsewhere)).is_empty());
        // A wildcard on one side takes the port on every address of the family.
        assert_eq!(conflicts(Some(&d), Some(&elsewhere)).len(), 1);
        let off = dovecot(
            &mut db,
            "protocols = submission\nservice submission-login {\n  inet_listener submission {\n    port = 0\n  }\n}\n",
        );
        assert!(conflicts(Some(&off), Some(&p)).is_empty());
        let disabled = postfix(
            "submission inet n - y - - smtpd\n",
            "master_service_disable = submission/inet\n",
        );
        assert!(conflicts(Some(&d), Some(&disabled)).is_empty());
    }

    #[test]
    fn overlap_rules() {
        assert!(overlaps("*", "127.0.0.1"));
        assert!(!overlaps("*", "::1"));
        assert!(overlaps("::", "[::1]"));
        assert!(overlaps("localhost", "127.0.0.1"));
        assert!(!overlaps("192.0.2.1", "192.0.2.2"));
        assert!(overlaps("mail.example.org", "*"));
        assert!(!overlaps("mail.example.org", "192.0.2.1"));
    }
}
