//! model::postfix: which Postfix `inet` services the master would run and which of them other
//! hosts can reach, from a parsed `master.cf` and the exposure settings of `main.cf`.
//!
//! master(5) and postconf(5), Postfix 3.7 (docs/fail2ban-firewalld-postfix.md Part D): the last
//! entry of the same `service/type` wins; `master_service_disable` turns entries off with
//! match_service.c's patterns (`name/type` or a bare `type`, case-insensitive, `!` negates, the
//! first match decides, `name.type` still read as `name/type`); an inet service field is
//! `[host:]port`, and a service without a host listens on `inet_interfaces`. Knows nothing
//! about firewalls (that is `model::exposure`).

use crate::parse::postfix::{MainCf, MasterCf, MasterEntry};
use crate::source::Span;

/// One effective `inet` entry of `master.cf`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InetService {
    /// The service field as written (`submission`, `127.0.0.1:10025`, `[::1]:2525`).
    pub name: String,
    /// The host part, brackets removed; `None` when the field names only a port.
    pub host: Option<String>,
    /// The port: a number, or a services(5) name mxlint knows (smtp 25, submission 587,
    /// smtps/submissions 465); `None` for other names.
    pub port: Option<u16>,
    /// Not turned off by `master_service_disable`.
    pub active: bool,
    /// Active, bound to a non-loopback host (or to `inet_interfaces` that are not loopback).
    pub exposed: bool,
    /// `-o smtpd_tls_wrappermode=yes`: implicit TLS.
    pub wrappermode: bool,
    /// The service field (the first word of the entry).
    pub span: Span,
    /// The whole logical line.
    pub line: Span,
}

/// What Postfix exposes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PostfixModel {
    /// The effective `inet` entries in file order (the last of duplicates, disabled ones kept
    /// with `active: false`).
    pub services: Vec<InetService>,
    /// `inet_interfaces` names only loopback addresses (`loopback-only`, `localhost`, …).
    pub loopback_only: bool,
    /// The addresses of `inet_interfaces` (`all` by default).
    pub inet_interfaces: Vec<String>,
    /// The `main.cf` line that set `inet_interfaces`.
    pub inet_interfaces_span: Option<Span>,
}

impl PostfixModel {
    /// The exposed services.
    pub fn exposed(&self) -> impl Iterator<Item = &InetService> {
        self.services.iter().filter(|s| s.exposed)
    }
}

/// Builds the model; `main` is `None` when the host has no `main.cf` (Postfix defaults apply).
pub fn model(master: &MasterCf, main: Option<&MainCf>) -> PostfixModel {
    let interfaces = main.map_or_else(|| vec!["all".to_string()], |m| m.inet_interfaces.clone());
    let loopback_only = interfaces_loopback_only(&interfaces);
    let disable: &[String] = main.map_or(&[], |m| &m.master_service_disable);
    let services = master
        .effective()
        .into_iter()
        .filter(|e| e.kind.text == "inet")
        .map(|e| inet_service(e, disable, loopback_only))
        .collect();
    PostfixModel {
        services,
        loopback_only,
        inet_interfaces: interfaces,
        inet_interfaces_span: main.and_then(|m| m.inet_interfaces_span),
    }
}

fn inet_service(entry: &MasterEntry, disable: &[String], loopback_only: bool) -> InetService {
    let name = entry.service.text.clone();
    let (host, port) = split_host_port(&name);
    let active = !disabled(disable, &name, &entry.kind.text);
    let reachable = match &host {
        Some(h) => !crate::net::is_loopback_host(h),
        None => !loopback_only,
    };
    let wrappermode = entry
        .overrides()
        .iter()
        .rev()
        .find(|(k, _)| *k == "smtpd_tls_wrappermode")
        .is_some_and(|(_, v)| v.eq_ignore_ascii_case("yes"));
    InetService {
        port: port_number(port),
        host: host.map(str::to_string),
        active,
        exposed: active && reachable,
        wrappermode,
        span: entry.service.span,
        line: entry.span,
        name,
    }
}

/// `[host:]port`: the host is everything before the last `:`, IPv6 hosts in brackets.
fn split_host_port(field: &str) -> (Option<&str>, &str) {
    match field.rsplit_once(':') {
        Some((host, port)) => {
            let host = host
                .strip_prefix('[')
                .and_then(|h| h.strip_suffix(']'))
                .unwrap_or(host);
            (Some(host), port)
        }
        None => (None, field),
    }
}

/// A port number or one of the services(5) names of mail submission and relay.
pub fn port_number(port: &str) -> Option<u16> {
    match port {
        "smtp" => Some(25),
        "submission" => Some(587),
        "smtps" | "submissions" => Some(465),
        p if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => p.parse().ok(),
        _ => None,
    }
}

/// match_service.c: the first pattern that matches decides; `!` negates.
fn disabled(patterns: &[String], name: &str, kind: &str) -> bool {
    let name_type = format!("{name}/{kind}");
    for pattern in patterns {
        let bangs = pattern.len() - pattern.trim_start_matches('!').len();
        let pattern = &pattern[bangs..];
        // Backwards compatibility: `name.type` without a `/` means `name/type`.
        let compat;
        let pattern = match pattern.rfind('.') {
            Some(dot) if !pattern.contains('/') => {
                compat = format!("{}/{}", &pattern[..dot], &pattern[dot + 1..]);
                compat.as_str()
            }
            _ => pattern,
        };
        let subject = if pattern.contains('/') {
            name_type.as_str()
        } else {
            kind
        };
        if subject.eq_ignore_ascii_case(pattern) {
            return bangs % 2 == 0;
        }
    }
    false
}

/// `loopback-only`, or a list of only loopback addresses and names. Anything mxlint cannot
/// read (`$myhostname`) counts as reachable.
fn interfaces_loopback_only(interfaces: &[String]) -> bool {
    !interfaces.is_empty()
        && interfaces
            .iter()
            .all(|i| i.eq_ignore_ascii_case("loopback-only") || crate::net::is_loopback_host(i))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::postfix::{parse_main, parse_master};
    use crate::source::FileId;

    fn build(master: &str, main: &str) -> PostfixModel {
        model(&parse_master(FileId(0), master), Some(&parse_main(main)))
    }

    fn exposed(m: &PostfixModel) -> Vec<(&str, Option<u16>)> {
        m.exposed().map(|s| (s.name.as_str(), s.port)).collect()
    }

    #[test]
    fn stock_services_and_loopback_hosts() {
        let master = "smtp inet n - y - - smtpd\n#submission inet n - y - - smtpd\nsubmission inet n - y - - smtpd\n  -o smtpd_tls_security_level=encrypt\nsubmissions inet n - y - - smtpd\n  -o smtpd_tls_wrappermode=yes\n127.0.0.1:10025 inet n - n - - smtpd\n[::1]:2525 inet n - n - - smtpd\nlocalhost:10026 inet n - n - - smtpd\npickup unix n - y 60 1 pickup\n";
        let m = build(master, "");
        assert_eq!(
            exposed(&m),
            [
                ("smtp", Some(25)),
                ("submission", Some(587)),
                ("submissions", Some(465))
            ]
        );
        assert_eq!(m.services.len(), 6);
        assert!(m.services[2].wrappermode && !m.services[1].wrappermode);
        assert_eq!(m.services[4].host.as_deref(), Some("::1"));
        assert_eq!(m.services[4].port, Some(2525));
    }

    #[test]
    fn master_service_disable_in_every_form() {
        let master = "smtp inet n - y - - smtpd\nsubmission inet n - y - - smtpd\nsmtps inet n - y - - smtpd\n";
        for (setting, left) in [
            (
                "master_service_disable = smtp/inet",
                vec!["submission", "smtps"],
            ),
            (
                "master_service_disable = SMTP.INET, smtps/inet",
                vec!["submission"],
            ),
            ("master_service_disable = inet", vec![]),
            ("master_service_disable = !smtp/inet inet", vec!["smtp"]),
            (
                "master_service_disable = smtp/unix",
                vec!["smtp", "submission", "smtps"],
            ),
        ] {
            let m = build(master, setting);
            let names: Vec<&str> = m.exposed().map(|s| s.name.as_str()).collect();
            assert_eq!(names, left, "{setting}");
        }
    }

    #[test]
    fn inet_interfaces_and_duplicates() {
        let master = "smtp inet n - y - - smtpd\n192.0.2.1:submission inet n - y - - smtpd\nsmtp inet n - y - 10 smtpd\n";
        let m = build(master, "inet_interfaces = loopback-only\n");
        assert!(m.loopback_only);
        // A host in master.cf binds that host whatever inet_interfaces says.
        assert_eq!(exposed(&m), [("192.0.2.1:submission", Some(587))]);
        assert_eq!(m.services.len(), 2);
        assert_eq!(m.services[1].name, "smtp");
        let m = build(master, "inet_interfaces = 127.0.0.1, [::1]\n");
        assert!(m.loopback_only);
        let m = build(master, "inet_interfaces = $myhostname, localhost\n");
        assert!(!m.loopback_only);
        assert!(!model(&parse_master(FileId(0), master), None).loopback_only);
    }

    #[test]
    fn ports_by_name_and_number() {
        assert_eq!(port_number("smtps"), Some(465));
        assert_eq!(port_number("2525"), Some(2525));
        assert_eq!(port_number("99999"), None);
        assert_eq!(port_number("lmtp"), None);
        assert_eq!(port_number(""), None);
    }
}
