//! oracle_dovecot_listeners: mxlint's Dovecot listeners against Debian's `doveconf` 2.3.19
//! (docs/fail2ban-firewalld-postfix.md Part E, "Listener oracle").
//!
//! For every configuration below, `doveconf -c F -a` is walked block by block (`service NAME {`,
//! `inet_listener NAME {`, `protocol`, `port`, `address`, `ssl`, global `listen`) and
//! `doveconf -c F -h protocols` gives the enabled protocols. A listener LISTENs when its port is
//! neither empty nor 0 and its service's protocol is empty or enabled. The set of LISTENing
//! `(service, listener, port, addresses, ssl)` must equal mxlint's, and the protocols too.
//! A configuration doveconf refuses (rc ≠ 0) must give mxlint a fatal problem as well.
//!
//! Every case names `protocols` explicitly: Debian builds 2.3 with an empty compiled default
//! where upstream (and Fedora) have `imap pop3 lmtp`, which mxlint follows. `sieve` needs
//! Pigeonhole, which Debian's dovecot-core lacks: the one sieve case checks that both refuse it.
//!
//! Needs `doveconf` (`apt-get install --no-install-recommends dovecot-core`; `.ci/run` installs
//! it). Without it the test prints a notice and passes, unless `CI` is set.

mod support;

use mxlint::config::Settings;
use mxlint::model::dovecot::{load, DovecotVersion, ProblemKind};
use mxlint::source::SourceDb;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;

/// `(what it tests, dovecot.conf)`.
const CASES: &[(&str, &str)] = &[
    ("compiled defaults, imap pop3 lmtp", "protocols = imap pop3 lmtp\n"),
    (
        "doc example: submission enabled",
        "protocols = imap pop3 lmtp submission\n",
    ),
    ("only lmtp: nothing listens", "protocols = lmtp\n"),
    ("empty protocols", "protocols =\n"),
    (
        "port 0 on imap and pop3 keeps imaps and pop3s",
        "protocols = imap pop3 lmtp\nservice imap-login {\n  inet_listener imap {\n    port = 0\n  }\n}\nservice pop3-login {\n  inet_listener pop3 {\n    port = 0\n  }\n}\n",
    ),
    (
        "loopback address on imap",
        "protocols = imap\nservice imap-login {\n  inet_listener imap {\n    address = 127.0.0.1\n  }\n}\n",
    ),
    (
        "global listen",
        "protocols = imap pop3\nlisten = 127.0.0.1, ::1\n",
    ),
    (
        "global listen plus a listener's own address",
        "protocols = imap\nlisten = 192.0.2.10\nservice imap-login {\n  inet_listener imaps {\n    address = 198.51.100.7\n  }\n}\n",
    ),
    (
        "extra listener on another port",
        "protocols = imap\nservice imap-login {\n  inet_listener imap_alt {\n    port = 1143\n  }\n  inet_listener imaps {\n    port = 10993\n    ssl = yes\n  }\n}\n",
    ),
    (
        "extra listener without a port stays off",
        "protocols = imap\nservice imap-login {\n  inet_listener spare {\n    address = *\n  }\n}\n",
    ),
    (
        "ssl turned on for the plain listener",
        "protocols = pop3\nservice pop3-login {\n  inet_listener pop3 {\n    ssl = yes\n  }\n}\n",
    ),
    (
        "submission on another port",
        "protocols = submission\nservice submission-login {\n  inet_listener submission {\n    port = 10587\n  }\n}\n",
    ),
    (
        "stock-style blocks with commented ports",
        "protocols = imap pop3 lmtp\nservice imap-login {\n  inet_listener imap {\n    #port = 143\n  }\n  inet_listener imaps {\n    #port = 993\n    #ssl = yes\n  }\n}\nservice pop3-login {\n  inet_listener pop3 {\n    #port = 110\n  }\n}\n",
    ),
    (
        "protocols extended with $protocols",
        "protocols = imap\nprotocols = $protocols pop3\n",
    ),
    (
        "two blocks of the same listener merge",
        "protocols = imap\nservice imap-login {\n  inet_listener imap {\n    port = 1143\n  }\n}\nservice imap-login {\n  inet_listener imap {\n    address = 10.0.0.1\n  }\n}\n",
    ),
    (
        "a login service moved to another protocol",
        "protocols = pop3\nservice imap-login {\n  protocol = pop3\n}\n",
    ),
    (
        "lmtp over TCP",
        "protocols = lmtp\nservice lmtp {\n  inet_listener lmtp {\n    port = 24\n    address = 127.0.0.1\n  }\n}\n",
    ),
    (
        "listeners inside a protocol filter are not the master's",
        "protocols = imap\nprotocol imap {\n  mail_max_userip_connections = 20\n}\n",
    ),
    (
        "sieve without Pigeonhole is refused",
        "protocols = imap sieve\n",
    ),
];

/// What one tool says listens.
type Listen = (String, String, u16, String, bool);

#[test]
fn listeners_agree_with_doveconf() {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let path = tmp.path().join("dovecot.conf");
    std::fs::write(&path, "protocols = imap\n").expect("write");
    match support::doveconf(&["-c".as_ref(), path.as_os_str(), "-a".as_ref()]) {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!(
            "doveconf refuses a minimal config (users dovecot/dovenull missing?): {}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            assert!(
                std::env::var_os("CI").is_none_or(|v| v.is_empty()),
                "CI is set but doveconf is not installed; .ci/run installs dovecot-core"
            );
            let _ = writeln!(
                std::io::stderr(),
                "NOTICE: doveconf not found; skipping the Dovecot listener oracle test"
            );
            return;
        }
        Err(e) => panic!("cannot run doveconf: {e}"),
    }
    let mut failures = Vec::new();
    let mut listens = 0;
    for (about, text) in CASES {
        std::fs::write(&path, text).expect("write");
        match compare(&path) {
            Ok(n) => listens += n,
            Err(why) => failures.push(format!("── {about}\n{text}{why}\n")),
        }
    }
    assert!(CASES.len() >= 10);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Guards against a walker that finds nothing on either side.
    assert!(
        listens >= 40,
        "only {listens} listening listeners in all cases"
    );
}

/// Compares one file; returns how many listeners listen.
fn compare(path: &Path) -> Result<usize, String> {
    let all = support::doveconf(&["-c".as_ref(), path.as_os_str(), "-a".as_ref()])
        .map_err(|e| e.to_string())?;
    let mut db = SourceDb::default();
    let settings = Settings {
        dovecot_version: Some(DovecotVersion::V2_3),
        ..Default::default()
    };
    let config = load(&mut db, path, &settings).map_err(|e| format!("{e:?}"))?;
    let refused = config
        .problems
        .iter()
        .any(|p| p.kind == ProblemKind::Syntax);
    if !all.status.success() {
        return if refused {
            Ok(0)
        } else {
            Err(format!(
                "doveconf refuses it, mxlint does not: {}",
                String::from_utf8_lossy(&all.stderr)
            ))
        };
    }
    if refused {
        return Err(format!("mxlint refuses it: {:?}", config.problems));
    }
    let protocols = support::doveconf(&[
        "-c".as_ref(),
        path.as_os_str(),
        "-h".as_ref(),
        "protocols".as_ref(),
    ])
    .map_err(|e| e.to_string())?;
    let theirs_protocols: Vec<String> = String::from_utf8_lossy(&protocols.stdout)
        .split_whitespace()
        .map(str::to_string)
        .collect();
    if theirs_protocols != config.protocols {
        return Err(format!(
            "protocols: doveconf {theirs_protocols:?}, mxlint {:?}",
            config.protocols
        ));
    }
    let theirs = doveconf_listens(&String::from_utf8_lossy(&all.stdout), &theirs_protocols);
    let ours: BTreeSet<Listen> = config
        .listeners
        .iter()
        .filter(|l| l.listens())
        .map(|l| {
            let address = normalise(l.address.as_deref().unwrap_or("*, ::"));
            let port = l.port.unwrap_or_default();
            (l.service.clone(), l.name.clone(), port, address, l.ssl)
        })
        .collect();
    if theirs != ours {
        return Err(format!(
            "listeners differ:\n doveconf: {theirs:?}\n mxlint:   {ours:?}"
        ));
    }
    Ok(theirs.len())
}

/// Walks `doveconf -a`: every inet listener with a port whose service's protocol is enabled.
fn doveconf_listens(dump: &str, protocols: &[String]) -> BTreeSet<Listen> {
    let global = dump
        .lines()
        .find_map(|l| l.strip_prefix("listen = "))
        .unwrap_or("");
    let mut out = BTreeSet::new();
    let mut service = String::new();
    // Listeners of the current service, until its `protocol` line is read.
    let mut pending: Vec<Listen> = Vec::new();
    let mut listener: Option<(String, String, String, bool)> = None; // name, port, address, ssl
    for line in dump.lines() {
        let depth = line.len() - line.trim_start().len();
        let line = line.trim();
        if depth == 0 {
            if let Some(name) = line
                .strip_prefix("service ")
                .and_then(|l| l.strip_suffix(" {"))
            {
                service = name.to_string();
                pending.clear();
            }
            continue;
        }
        if let Some(name) = line
            .strip_prefix("inet_listener ")
            .and_then(|l| l.strip_suffix(" {"))
        {
            listener = Some((name.to_string(), String::new(), String::new(), false));
            continue;
        }
        if let Some((name, port, address, ssl)) = listener.as_mut() {
            match line
                .split_once(" = ")
                .unwrap_or((line.trim_end_matches(" ="), ""))
            {
                ("port", v) => *port = v.to_string(),
                ("address", v) => *address = v.to_string(),
                ("ssl", v) => *ssl = v == "yes",
                _ if line == "}" => {
                    let port: u16 = port.parse().unwrap_or(0);
                    if port != 0 {
                        let address = if address.is_empty() { global } else { address };
                        pending.push((
                            service.clone(),
                            name.clone(),
                            port,
                            normalise(address),
                            *ssl,
                        ));
                    }
                    listener = None;
                }
                _ => {}
            }
            continue;
        }
        if depth == 2 {
            if let Some(protocol) = line.strip_prefix("protocol =").map(str::trim) {
                if protocol.is_empty() || protocols.iter().any(|p| p == protocol) {
                    out.extend(pending.drain(..));
                }
                pending.clear();
            }
        }
    }
    out
}

/// An address list in one spelling: items in order, joined by `,`.
fn normalise(list: &str) -> String {
    list.split([',', ' '])
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(",")
}
