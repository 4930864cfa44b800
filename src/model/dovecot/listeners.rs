//! model::dovecot::listeners: the TCP listeners the Dovecot master would open — compiled-in
//! ones included — with the protocol that enables each, its port, address and the line that
//! decided it. Knows nothing about firewalls or Postfix (that is `model::exposure`).
//!
//! Facts (docs/fail2ban-firewalld-postfix.md Part E, Dovecot 2.3.19 `doveconf -a` in `data/`,
//! 2.4 `*-login-settings.c` defaults): a listener listens when its port is not 0 and its
//! service's protocol is empty or enabled in `protocols`; `port = 0` turns off that listener
//! only. 2.3 writes the address as `address` inside the listener, else the global `listen`;
//! 2.4 has no `address` and takes `listen` from the listener, then the service, then the top.

use super::apply::{Applied, ListenerBlock, Scope};
use super::schema::schema;
use super::DovecotVersion;
use crate::parse::dovecot::Value;
use crate::source::Span;

/// One inet listener as the master would create it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listener {
    /// The service that owns it (`imap-login`).
    pub service: String,
    /// The listener's name (`imaps`).
    pub name: String,
    /// The service's protocol (`imap`; `sieve` for managesieve-login; empty: always on).
    pub protocol: String,
    /// `None` when unset or not a number Dovecot would take; `Some(0)` turns it off.
    pub port: Option<u16>,
    /// The listener's own address list, else the service's (2.4), else the global `listen`;
    /// `None`: the compiled default `*, ::` (every address).
    pub address: Option<String>,
    pub ssl: bool,
    /// The service's protocol is empty or listed in `protocols`.
    pub enabled: bool,
    /// The config writes a `port` for it (a compiled-in listener left alone is not explicit).
    pub explicit: bool,
    /// The `port` line that decided it, else its `inet_listener` header; `None` for a
    /// compiled-in listener the config never mentions.
    pub span: Option<Span>,
}

impl Listener {
    /// The master binds it: enabled, with a non-zero port.
    pub fn listens(&self) -> bool {
        self.enabled && self.port.is_some_and(|p| p != 0)
    }

    /// The addresses it binds (`*` and `::` mean every IPv4 / IPv6 address).
    pub fn addresses(&self) -> Vec<&str> {
        match &self.address {
            Some(list) => split_list(list),
            None => vec!["*", "::"],
        }
    }

    /// Every address it binds is loopback, so nothing outside the host can reach it.
    pub fn loopback_only(&self) -> bool {
        let addresses = self.addresses();
        !addresses.is_empty() && addresses.iter().all(|a| crate::net::is_loopback_host(a))
    }

    /// Listens and is reachable from other hosts.
    pub fn exposed(&self) -> bool {
        self.listens() && !self.loopback_only()
    }
}

/// A compiled-in listener: name, port, ssl.
type Compiled = (&'static str, u16, bool);

/// The login services' compiled-in inet listeners per version and their protocols.
/// 2.3: `doveconf -a` (data/dovecot-2.3.19-doveconf-a.txt; managesieve from Pigeonhole's
/// managesieve-login-settings.c). 2.4: `*_login_service_settings_defaults` — submission-login
/// gains `submissions` 465 with ssl there (2.3 defines it but leaves it out of the list).
pub(crate) fn compiled_listeners(
    version: DovecotVersion,
) -> &'static [(&'static str, &'static str, &'static [Compiled])] {
    const V23: &[(&str, &str, &[Compiled])] = &[
        (
            "imap-login",
            "imap",
            &[("imap", 143, false), ("imaps", 993, true)],
        ),
        (
            "pop3-login",
            "pop3",
            &[("pop3", 110, false), ("pop3s", 995, true)],
        ),
        (
            "submission-login",
            "submission",
            &[("submission", 587, false)],
        ),
        ("managesieve-login", "sieve", &[("sieve", 4190, false)]),
    ];
    const V24: &[(&str, &str, &[Compiled])] = &[
        (
            "imap-login",
            "imap",
            &[("imap", 143, false), ("imaps", 993, true)],
        ),
        (
            "pop3-login",
            "pop3",
            &[("pop3", 110, false), ("pop3s", 995, true)],
        ),
        (
            "submission-login",
            "submission",
            &[("submission", 587, false), ("submissions", 465, true)],
        ),
        ("managesieve-login", "sieve", &[("sieve", 4190, false)]),
    ];
    match version {
        DovecotVersion::V2_3 => V23,
        DovecotVersion::V2_4 => V24,
    }
}

/// Every listener of every service: compiled-in ones first (in the table's order), then the
/// ones only the config defines, in file order.
pub(super) fn resolve(
    version: DovecotVersion,
    applied: &Applied,
    protocols: &[String],
) -> Vec<Listener> {
    let keys = Keys::of(version);
    let global_listen = applied
        .assignments
        .iter()
        .rfind(|a| a.scope == Scope::Root && a.key == "listen")
        .map(|a| a.value.text.to_string());
    let mut out: Vec<Listener> = Vec::new();
    for (service, protocol, defaults) in compiled_listeners(version) {
        for (name, port, ssl) in defaults.iter() {
            out.push(Listener {
                service: service.to_string(),
                name: name.to_string(),
                protocol: protocol.to_string(),
                port: Some(*port),
                address: None,
                ssl: *ssl,
                enabled: false,
                explicit: false,
                span: None,
            });
        }
    }
    for block in &applied.listeners {
        let at = out
            .iter()
            .position(|l| l.service == block.service && l.name == block.name);
        let listener = match at {
            Some(i) => &mut out[i],
            None => {
                out.push(Listener {
                    service: block.service.clone(),
                    name: block.name.clone(),
                    protocol: String::new(),
                    port: Some(0),
                    address: None,
                    ssl: false,
                    enabled: false,
                    explicit: false,
                    span: None,
                });
                let last = out.len() - 1;
                &mut out[last]
            }
        };
        apply_block(listener, block, &keys);
    }
    for listener in &mut out {
        listener.protocol = service_protocol(version, applied, &listener.service);
        listener.enabled = listener.protocol.is_empty() || protocols.contains(&listener.protocol);
        if listener.address.is_none() {
            let service_listen = (version == DovecotVersion::V2_4)
                .then(|| service_listen(applied, &listener.service))
                .flatten();
            listener.address = service_listen.or_else(|| global_listen.clone());
        }
    }
    out
}

/// The canonical keys of a listener's settings in each version.
struct Keys {
    port: &'static str,
    address: &'static str,
    ssl: &'static str,
    protocol: &'static str,
}

impl Keys {
    fn of(version: DovecotVersion) -> Keys {
        match version {
            DovecotVersion::V2_3 => Keys {
                port: "port",
                address: "address",
                ssl: "ssl",
                protocol: "protocol",
            },
            DovecotVersion::V2_4 => Keys {
                port: "inet_listener_port",
                address: "listen",
                ssl: "inet_listener_ssl",
                protocol: "service_protocol",
            },
        }
    }
}

/// Applies one block's settings over what the listener had (blocks of the same name merge,
/// the last value wins).
fn apply_block(listener: &mut Listener, block: &ListenerBlock, keys: &Keys) {
    if listener.span.is_none() {
        listener.span = Some(block.header);
    }
    for (key, value, line) in &block.settings {
        let key = key.as_str();
        if key == keys.port {
            listener.port = parse_port(value);
            listener.explicit = true;
            listener.span = Some(*line);
        } else if key == keys.address {
            let text = value.text.trim();
            listener.address = (!text.is_empty()).then(|| text.to_string());
        } else if key == keys.ssl {
            listener.ssl = matches!(value.text.as_str(), "yes" | "y" | "1" | "true");
        }
    }
}

/// A port as Dovecot reads it: a decimal number up to 65535.
fn parse_port(value: &Value) -> Option<u16> {
    let text = value.text.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// The service's protocol: the config's `protocol` (last wins), else the compiled one.
fn service_protocol(version: DovecotVersion, applied: &Applied, service: &str) -> String {
    let keys = Keys::of(version);
    let slash = format!("service/{service}/{}", keys.protocol);
    let mut written = applied.assignments.iter().filter(|a| match &a.scope {
        Scope::Service {
            name,
            listener: false,
        } => name == service && a.key == keys.protocol,
        Scope::Root => a.key == slash,
        _ => false,
    });
    if let Some(a) = written.next_back() {
        return a.value.text.to_string();
    }
    compiled_listeners(version)
        .iter()
        .find(|(s, _, _)| *s == service)
        .map(|(_, p, _)| *p)
        .or_else(|| schema(version).service_protocol(service))
        .unwrap_or_default()
        .to_string()
}

/// 2.4: a `listen` written directly in `service NAME { }`.
fn service_listen(applied: &Applied, service: &str) -> Option<String> {
    applied
        .assignments
        .iter()
        .rfind(|a| {
            a.key == "listen"
                && matches!(&a.scope, Scope::Service { name, listener: false } if name == service)
        })
        .map(|a| a.value.text.trim().to_string())
        .filter(|t| !t.is_empty())
}

/// For each enabled protocol, the top-level line that enabled it: the last `protocols = …`
/// line naming it (2.3 `$protocols` keeps the earlier line), or a 2.4 `protocols { x = yes }`
/// item. Protocols enabled by the compiled default have none.
pub(super) fn protocol_lines(
    version: DovecotVersion,
    applied: &Applied,
    protocols: &[String],
) -> Vec<(String, Span)> {
    let mut lines: Vec<(String, Span)> = Vec::new();
    for a in applied
        .assignments
        .iter()
        .filter(|a| a.scope == Scope::Root)
    {
        if a.key == "protocols" {
            let separators: &[char] = match version {
                DovecotVersion::V2_3 => &[' ', '\t'],
                DovecotVersion::V2_4 => &[' ', '\t', ','],
            };
            let mut next: Vec<(String, Span)> = Vec::new();
            for item in a.value.text.split(separators).filter(|s| !s.is_empty()) {
                let item = item.trim_matches('"');
                if item == "$protocols" && version == DovecotVersion::V2_3 {
                    next.extend(lines.iter().cloned());
                } else {
                    next.push((item.to_string(), a.line));
                }
            }
            lines = next;
        } else if let Some(item) = a.key.strip_prefix("protocols/") {
            lines.retain(|(p, _)| p != item);
            lines.push((item.to_string(), a.line));
        }
    }
    // Keep the first mention per protocol, only for protocols that ended up enabled.
    let mut out: Vec<(String, Span)> = Vec::new();
    for (p, span) in lines {
        if protocols.contains(&p) && !out.iter().any(|(q, _)| *q == p) {
            out.push((p, span));
        }
    }
    out
}

/// The last top-level line that sets `protocols` (a whole line or a 2.4 list item).
pub(super) fn protocols_span(applied: &Applied) -> Option<Span> {
    applied
        .assignments
        .iter()
        .filter(|a| a.scope == Scope::Root)
        .filter(|a| a.key == "protocols" || a.key.starts_with("protocols/"))
        .map(|a| a.line)
        .next_back()
}

/// Dovecot's address lists are separated by commas and blanks.
fn split_list(list: &str) -> Vec<&str> {
    list.split([',', ' ', '\t'])
        .map(|s| s.trim_matches('"'))
        .filter(|s| !s.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;
    use crate::model::dovecot::{load_loaded, DovecotConfig};
    use crate::source::SourceDb;

    fn load(text: &str, version: DovecotVersion) -> DovecotConfig {
        let mut db = SourceDb::default();
        let file = db.add("dovecot.conf", text.to_string());
        let settings = Settings {
            dovecot_version: Some(version),
            ..Default::default()
        };
        load_loaded(&mut db, file, &settings)
    }

    /// `(service/name, port)` of the listeners that listen.
    fn listening(config: &DovecotConfig) -> Vec<String> {
        config
            .listeners
            .iter()
            .filter(|l| l.listens())
            .map(|l| format!("{}/{} {}", l.service, l.name, l.port.unwrap_or_default()))
            .collect()
    }

    #[test]
    fn compiled_2_3_listeners_match_the_doveconf_dump() {
        // Every `inet_listener` block of `doveconf -a` (2.3.19) with its port and ssl.
        let dump = include_str!("../../../data/dovecot-2.3.19-doveconf-a.txt");
        let mut found: Vec<(String, String, u16, bool)> = Vec::new();
        let mut service = String::new();
        let mut lines = dump.lines();
        while let Some(line) = lines.next() {
            if let Some(name) = line
                .strip_prefix("service ")
                .and_then(|l| l.strip_suffix(" {"))
            {
                service = name.to_string();
            }
            let Some(name) = line
                .trim_start()
                .strip_prefix("inet_listener ")
                .and_then(|l| l.strip_suffix(" {"))
            else {
                continue;
            };
            let (mut port, mut ssl) = (0, false);
            for inner in lines.by_ref() {
                let inner = inner.trim();
                if inner == "}" {
                    break;
                }
                if let Some(p) = inner.strip_prefix("port = ") {
                    port = p.parse().unwrap();
                }
                if inner == "ssl = yes" {
                    ssl = true;
                }
            }
            found.push((service.clone(), name.to_string(), port, ssl));
        }
        let ours: Vec<(String, String, u16, bool)> = compiled_listeners(DovecotVersion::V2_3)
            .iter()
            .filter(|(s, _, _)| *s != "managesieve-login") // Pigeonhole's, not in the dump
            .flat_map(|(s, _, d)| {
                d.iter()
                    .map(move |(n, p, ssl)| (s.to_string(), n.to_string(), *p, *ssl))
            })
            .collect();
        assert_eq!(found, ours);
    }

    #[test]
    fn defaults_follow_the_enabled_protocols() {
        let config = load("protocols = imap lmtp submission\n", DovecotVersion::V2_3);
        assert_eq!(
            listening(&config),
            [
                "imap-login/imap 143",
                "imap-login/imaps 993",
                "submission-login/submission 587"
            ]
        );
        let imaps = config.listeners.iter().find(|l| l.name == "imaps").unwrap();
        assert!(imaps.ssl && !imaps.explicit && imaps.span.is_none());
        assert!(imaps.exposed());
    }

    #[test]
    fn port_zero_turns_off_one_listener_only() {
        let text = "protocols = imap pop3\nservice imap-login {\n  inet_listener imap {\n    port = 0\n  }\n}\nservice pop3-login {\n  inet_listener pop3 {\n    port = 0\n  }\n}\n";
        let config = load(text, DovecotVersion::V2_3);
        assert_eq!(
            listening(&config),
            ["imap-login/imaps 993", "pop3-login/pop3s 995"]
        );
        let imap = config.listeners.iter().find(|l| l.name == "imap").unwrap();
        assert!(imap.explicit);
        assert_eq!(imap.span.map(|s| s.start()), text.find("port = 0"));
    }

    #[test]
    fn loopback_addresses_are_not_exposed() {
        let config = load(
            "protocols = imap\nservice imap-login {\n  inet_listener imap {\n    address = 127.0.0.1, ::1\n  }\n}\n",
            DovecotVersion::V2_3,
        );
        let imap = config.listeners.iter().find(|l| l.name == "imap").unwrap();
        assert!(imap.listens() && imap.loopback_only() && !imap.exposed());
        let imaps = config.listeners.iter().find(|l| l.name == "imaps").unwrap();
        assert!(imaps.exposed());
        let global = load(
            "protocols = imap\nlisten = localhost\n",
            DovecotVersion::V2_3,
        );
        assert!(global.listeners.iter().all(|l| !l.exposed()));
        let all = load("protocols = imap\nlisten = *, ::\n", DovecotVersion::V2_3);
        assert!(all.listeners.iter().any(|l| l.exposed()));
    }

    #[test]
    fn extra_listeners_and_changed_protocols() {
        let text = "protocols = imap\nservice imap-login {\n  inet_listener imap_alt {\n    port = 1143\n  }\n}\nservice lmtp {\n  inet_listener lmtp {\n    port = 24\n  }\n}\n";
        let config = load(text, DovecotVersion::V2_3);
        assert_eq!(
            listening(&config),
            [
                "imap-login/imap 143",
                "imap-login/imaps 993",
                "imap-login/imap_alt 1143"
            ]
        );
        let moved = load(
            "protocols = pop3\nservice imap-login {\n  protocol = pop3\n}\n",
            DovecotVersion::V2_3,
        );
        assert!(listening(&moved).contains(&"imap-login/imap 143".to_string()));
    }

    #[test]
    fn dovecot_2_4_block_protocols_listen_and_submissions() {
        let text = "dovecot_config_version = 2.4.4\ndovecot_storage_version = 2.4.4\nprotocols {\n  submission = yes\n  imap = yes\n}\nservice imap-login {\n  inet_listener imap {\n    listen = 127.0.0.1\n  }\n  inet_listener imaps {\n    port = 0\n  }\n}\n";
        let config = load(text, DovecotVersion::V2_4);
        assert_eq!(
            listening(&config),
            [
                "imap-login/imap 143",
                "submission-login/submission 587",
                "submission-login/submissions 465"
            ]
        );
        let imap = config.listeners.iter().find(|l| l.name == "imap").unwrap();
        assert!(imap.loopback_only());
        let line = |p: &str| {
            config
                .protocol_lines
                .iter()
                .find(|(q, _)| q == p)
                .map(|(_, s)| s.start())
        };
        assert_eq!(line("imap"), text.find("imap = yes"));
        assert_eq!(line("submission"), text.find("submission = yes"));
    }

    #[test]
    fn protocol_lines_keep_the_line_that_named_each_protocol() {
        let text = "protocols = imap\nprotocols = $protocols pop3\n";
        let config = load(text, DovecotVersion::V2_3);
        assert_eq!(config.protocols, ["imap", "pop3"]);
        assert_eq!(
            config
                .protocol_lines
                .iter()
                .map(|(p, s)| (p.as_str(), s.start()))
                .collect::<Vec<_>>(),
            [("imap", 0), ("pop3", text.find("protocols = $").unwrap())]
        );
        assert_eq!(
            config.protocols_span.map(|s| s.start()),
            text.find("protocols = $")
        );
        // The compiled default names no line.
        assert!(load("", DovecotVersion::V2_3).protocol_lines.is_empty());
    }
}
