//! model::firewall::catalogue: the stock firewalld service names per version, their ports and
//! includes, the `/etc/services` names firewalld resolves in `<port port="NAME">`, and the
//! "did you mean" and port → mail service tables the firewall rules need.
//!
//! Data: `data/firewalld/services-1.3.tsv` (Debian's firewalld 1.3.3 files, checked against
//! them in tests/oracle_firewalld.rs), `services-2.1.tsv` (changes up to v2.1.0, each with its
//! source, plus names whose release is not established) and `etc-services.tsv` (netbase 6.4).

use crate::config::FirewalldVersion;
use std::collections::HashMap;
use std::sync::OnceLock;

const SERVICES_1_3: &str = include_str!("../../../data/firewalld/services-1.3.tsv");
const SERVICES_2_1: &str = include_str!("../../../data/firewalld/services-2.1.tsv");
const ETC_SERVICES: &str = include_str!("../../../data/firewalld/etc-services.tsv");

/// A port or port range with its protocol (`587/tcp`, `5646-5647/tcp`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PortSpec {
    pub first: u16,
    pub last: u16,
    pub proto: &'static str,
}

impl PortSpec {
    pub fn contains(&self, port: u16, proto: &str) -> bool {
        self.proto == proto && self.first <= port && port <= self.last
    }
}

impl std::fmt::Display for PortSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.first == self.last {
            write!(f, "{}/{}", self.first, self.proto)
        } else {
            write!(f, "{}-{}/{}", self.first, self.last, self.proto)
        }
    }
}

/// One stock service definition (`/usr/lib/firewalld/services/NAME.xml`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceDef {
    pub name: &'static str,
    pub ports: Vec<PortSpec>,
    /// `<protocol value=…>` entries (`gre`, `112`).
    pub protocols: Vec<&'static str>,
    /// `<include service=…>` entries, unresolved.
    pub includes: Vec<&'static str>,
}

/// Whether a version ships a service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Defined {
    Yes,
    No,
    /// Upstream has it, but whether it was released by this version is not established.
    Unsure,
}

struct Catalogue {
    services: HashMap<&'static str, ServiceDef>,
    unsure: Vec<&'static str>,
}

fn catalogue(version: FirewalldVersion) -> &'static Catalogue {
    static V1_3: OnceLock<Catalogue> = OnceLock::new();
    static V2_1: OnceLock<Catalogue> = OnceLock::new();
    match version {
        FirewalldVersion::V1_3 => V1_3.get_or_init(|| load(&[SERVICES_1_3])),
        FirewalldVersion::V2_1 => V2_1.get_or_init(|| load(&[SERVICES_1_3, SERVICES_2_1])),
    }
}

/// Reads the base table and applies change files: `+`/`~` lines add or replace, `?` lines name
/// services of unknown release.
fn load(tables: &[&'static str]) -> Catalogue {
    let mut services = HashMap::new();
    let mut unsure = Vec::new();
    for line in tables.iter().flat_map(|t| t.lines()) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix('?') {
            unsure.push(name.trim());
            continue;
        }
        let line = line.trim_start_matches(['+', '~']);
        if let Some(def) = service_line(line) {
            services.insert(def.name, def);
        }
    }
    Catalogue { services, unsure }
}

fn service_line(line: &'static str) -> Option<ServiceDef> {
    let mut cols = line.split('\t');
    let name = cols.next()?;
    let list = |col: Option<&'static str>| -> Vec<&'static str> {
        match col {
            Some("-") | None => Vec::new(),
            Some(text) => text.split(',').collect(),
        }
    };
    let ports = list(cols.next())
        .into_iter()
        .filter_map(parse_port_spec)
        .collect();
    Some(ServiceDef {
        name,
        ports,
        protocols: list(cols.next()),
        includes: list(cols.next()),
    })
}

/// `587/tcp` or `5646-5647/tcp` with numbers only.
pub fn parse_port_spec(text: &str) -> Option<PortSpec> {
    let (range, proto) = text.split_once('/')?;
    let (first, last) = port_range(range)?;
    Some(PortSpec {
        first,
        last,
        proto: intern_proto(proto)?,
    })
}

/// A port protocol firewalld accepts (`check_tcpudp`), as a static string.
pub fn intern_proto(proto: &str) -> Option<&'static str> {
    ["tcp", "udp", "sctp", "dccp"]
        .into_iter()
        .find(|p| *p == proto)
}

/// `N` or `N-M` with numbers 0–65535 and N ≤ M.
pub fn port_range(text: &str) -> Option<(u16, u16)> {
    let number = |t: &str| -> Option<u16> {
        if t.is_empty() || t.len() > 5 || !t.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        t.parse().ok()
    };
    match text.split_once('-') {
        // firewalld swaps a reversed range (functions.getPortRange).
        Some((a, b)) => {
            let (a, b) = (number(a)?, number(b)?);
            Some((a.min(b), a.max(b)))
        }
        None => number(text).map(|n| (n, n)),
    }
}

/// A port as firewalld reads it (`check_port` → `getPortRange`): a number, a range, or an
/// `/etc/services` name for `proto` (any protocol when `proto` is None).
pub fn resolve_port(text: &str, proto: Option<&str>) -> Option<(u16, u16)> {
    port_range(text).or_else(|| etc_services_port(text, proto).map(|p| (p, p)))
}

/// The stock definition of `name` in `version`.
pub fn service(version: FirewalldVersion, name: &str) -> Option<&'static ServiceDef> {
    catalogue(version).services.get(name)
}

/// Whether `version` ships `name`.
pub fn defines(version: FirewalldVersion, name: &str) -> Defined {
    let cat = catalogue(version);
    if cat.services.contains_key(name) {
        Defined::Yes
    } else if cat.unsure.contains(&name) {
        Defined::Unsure
    } else {
        Defined::No
    }
}

/// Every stock service name of `version`, sorted.
pub fn service_names(version: FirewalldVersion) -> Vec<&'static str> {
    let mut names: Vec<_> = catalogue(version).services.keys().copied().collect();
    names.sort_unstable();
    names
}

/// The ports a stock service opens, includes resolved (firewalld ignores include loops).
pub fn service_ports(version: FirewalldVersion, name: &str) -> Vec<PortSpec> {
    let mut out = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    let mut todo = vec![name];
    while let Some(next) = todo.pop() {
        if seen.contains(&next) || seen.len() > 64 {
            continue;
        }
        seen.push(next);
        if let Some(def) = service(version, next) {
            out.extend(def.ports.iter().copied());
            todo.extend(def.includes.iter().copied());
        }
    }
    out.sort();
    out.dedup();
    out
}

/// A close stock name for an unknown one: known confusions first (the `/etc/services`,
/// Dovecot and Postfix names for the same thing), then a small edit distance.
pub fn suggest(version: FirewalldVersion, name: &str) -> Option<&'static str> {
    suggestion(version, name).map(|s| s.name)
}

/// A suggested service name, and whether it is the same service under its firewalld name (a
/// known alias, or case and `_`): then renaming changes nothing but the name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Suggestion {
    pub name: &'static str,
    pub same_service: bool,
}

/// See [`suggest`].
pub fn suggestion(version: FirewalldVersion, name: &str) -> Option<Suggestion> {
    let known: &[(&str, &str)] = &[
        ("submission", "smtp-submission"),
        ("submissions", "smtps"),
        ("ssmtp", "smtps"),
        ("urd", "smtps"),
        ("sieve", "managesieve"),
        ("imap2", "imap"),
        ("imap3", "imap"),
        ("pop", "pop3"),
        ("pop-3", "pop3"),
        ("pop3-ssl", "pop3s"),
        ("imap-ssl", "imaps"),
    ];
    let lower = name.to_ascii_lowercase().replace('_', "-");
    let same = |name| Suggestion {
        name,
        same_service: true,
    };
    if let Some(&(_, to)) = known.iter().find(|(from, _)| *from == lower) {
        if let Some(def) = service(version, to) {
            return Some(same(def.name));
        }
    }
    if let Some(def) = service(version, &lower) {
        return Some(same(def.name));
    }
    let names = service_names(version);
    let max = if lower.len() <= 4 { 1 } else { 2 };
    names
        .iter()
        .filter_map(|n| crate::suggest::edit_distance(&lower, n, max).map(|d| (d, *n)))
        .min()
        .map(|(_, name)| Suggestion {
            name,
            same_service: false,
        })
}

/// The firewalld service to add for a mail port: the newest portable name per version.
pub fn mail_service_for_port(version: FirewalldVersion, port: u16) -> &'static str {
    match port {
        25 => "smtp",
        465 => "smtps",
        587 if version >= FirewalldVersion::V2_1 => "submission",
        587 => "smtp-submission",
        143 => "imap",
        993 => "imaps",
        110 => "pop3",
        995 => "pop3s",
        4190 => "managesieve",
        _ => "",
    }
}

struct EtcService {
    names: Vec<&'static str>,
    port: u16,
    proto: &'static str,
}

fn etc_services() -> &'static [EtcService] {
    static TABLE: OnceLock<Vec<EtcService>> = OnceLock::new();
    TABLE.get_or_init(|| {
        ETC_SERVICES
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|line| {
                let mut cols = line.split('\t');
                let name = cols.next()?;
                let (port, proto) = cols.next()?.split_once('/')?;
                let mut names = vec![name];
                names.extend(
                    cols.next()
                        .filter(|a| *a != "-")
                        .into_iter()
                        .flat_map(|a| a.split(',')),
                );
                Some(EtcService {
                    names,
                    port: port.parse().ok()?,
                    proto,
                })
            })
            .collect()
    })
}

/// The port of an `/etc/services` name or alias (Debian 12's file) for `proto`, or for any
/// protocol when `proto` is None, as `getservbyname` answers.
pub fn etc_services_port(name: &str, proto: Option<&str>) -> Option<u16> {
    etc_services()
        .iter()
        .find(|s| proto.is_none_or(|p| p == s.proto) && s.names.contains(&name))
        .map(|s| s.port)
}

#[cfg(test)]
mod tests {
    use super::*;
    use FirewalldVersion::{V1_3, V2_1};

    #[test]
    fn counts_and_mail_services() {
        assert_eq!(service_names(V1_3).len(), 221);
        assert_eq!(
            service_names(V2_1).len(),
            221 + 3,
            "submission, dns-over-quic, vrrp"
        );
        assert_eq!(defines(V1_3, "submission"), Defined::No);
        assert_eq!(defines(V2_1, "submission"), Defined::Yes);
        assert_eq!(defines(V2_1, "gitea"), Defined::Unsure);
        assert_eq!(defines(V1_3, "gitea"), Defined::No);
        let tcp = |p| PortSpec {
            first: p,
            last: p,
            proto: "tcp",
        };
        assert_eq!(service_ports(V1_3, "smtp-submission"), vec![tcp(587)]);
        assert_eq!(service_ports(V2_1, "smtp-submission"), vec![tcp(587)]);
        assert!(service(V2_1, "smtp-submission").unwrap().ports.is_empty());
        assert_eq!(service_ports(V2_1, "managesieve"), vec![tcp(4190)]);
        // freeipa-4 is includes only.
        assert!(service_ports(V1_3, "freeipa-4").contains(&tcp(443)));
    }

    #[test]
    fn suggestions() {
        assert_eq!(suggest(V2_1, "smtp_submission"), Some("smtp-submission"));
        assert_eq!(suggest(V1_3, "submission"), Some("smtp-submission"));
        assert_eq!(suggest(V2_1, "sieve"), Some("managesieve"));
        assert_eq!(suggest(V2_1, "submissions"), Some("smtps"));
        assert_eq!(suggest(V2_1, "imap3"), Some("imap"));
        assert_eq!(suggest(V2_1, "IMAPS"), Some("imaps"));
        assert_eq!(suggest(V2_1, "qqqqqqqqqq"), None);
    }

    #[test]
    fn mail_ports() {
        assert_eq!(mail_service_for_port(V2_1, 587), "submission");
        assert_eq!(mail_service_for_port(V1_3, 587), "smtp-submission");
        assert_eq!(mail_service_for_port(V1_3, 4190), "managesieve");
    }

    #[test]
    fn etc_services_names() {
        assert_eq!(etc_services_port("submission", Some("tcp")), Some(587));
        assert_eq!(etc_services_port("smtps", Some("tcp")), Some(465));
        assert_eq!(etc_services_port("sieve", None), Some(4190));
        assert_eq!(etc_services_port("imap", Some("tcp")), Some(143));
        assert_eq!(etc_services_port("imap3", Some("tcp")), None);
        assert_eq!(resolve_port("4190-4191", None), Some((4190, 4191)));
        assert_eq!(resolve_port("0:65535", None), None);
        assert_eq!(resolve_port("70000", None), None);
    }
}
