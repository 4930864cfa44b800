//! explain: recognises one log line of Dovecot, Postfix, fail2ban or firewalld and says what
//! happened, which mxlint rules would have caught the cause before deployment, and the fix.
//!
//! A table of small matchers ([`MATCHERS`]), each a pure function that looks for the fixed
//! text of one upstream message and pulls out its values (service, limit, address, port,
//! name). The formats are the upstream ones, quoted next to each matcher with the source that
//! prints them. Matching is plain substring work on one line (no regex), so any input, however
//! long or odd, costs linear time and never panics. Printing is `report::explain`'s job.

use crate::config::FirewalldVersion;
use crate::model::firewall::catalogue;
use std::net::IpAddr;

/// What one recognised log line means.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Explanation {
    /// A stable identifier of the kind of line (`dovecot-out-of-memory`).
    pub kind: &'static str,
    /// What happened, with the values taken from the line.
    pub what: String,
    /// The rules (codes in `rules::ALL`) that flag the cause before deployment, most direct first.
    pub rules: Vec<&'static str>,
    /// What to change, and the commands that confirm or undo it.
    pub fix: String,
    /// The values the matcher took from the line (`service`, `vsz_limit_mb`, `ip`, …).
    pub values: Vec<(&'static str, String)>,
}

type Matcher = fn(&str) -> Option<Explanation>;

/// Every matcher, most specific first: the first that recognises a line wins.
pub const MATCHERS: &[(&str, Matcher)] = &[
    ("dovecot-out-of-memory", dovecot_exit_out_of_memory),
    (
        "dovecot-transaction-log-map-failed",
        dovecot_transaction_log,
    ),
    ("dovecot-mmap-failed", dovecot_mmap_failed),
    ("dovecot-allocation-failed", dovecot_allocation_failed),
    ("fail2ban-ban", fail2ban_ban),
    ("fail2ban-ignore", fail2ban_ignore),
    ("fail2ban-ignoreip-fatal", fail2ban_bad_ignoreip),
    ("firewalld-fallback", firewalld_fallback),
    ("firewalld-unknown-service", firewalld_unknown_service),
    ("firewalld-invalid-port", firewalld_invalid_port),
    ("firewalld-invalid-config", firewalld_invalid_config),
    ("port-in-use", postfix_bind_in_use),
    ("port-in-use", dovecot_listen_in_use),
    ("connect-failed", connect_failed),
];

/// Explains one log line, or `None` when no matcher knows it.
pub fn explain(line: &str) -> Option<Explanation> {
    let line = line.trim();
    if line.is_empty() {
        return None;
    }
    MATCHERS.iter().find_map(|(_, matcher)| matcher(line))
}

// ---------------------------------------------------------------------------------------------
// Dovecot

/// Services whose processes open mailboxes, as they prefix their log lines (`imap(user)`).
const MAILBOX_SERVICES: &[&str] = &[
    "indexer-worker",
    "imap-hibernate",
    "imap",
    "pop3",
    "lmtp",
    "doveadm",
    "submission",
    "managesieve",
];

/// The master's message when a child exits with `FATAL_OUTOFMEM` (83), from
/// `src/master/service-process.c` `get_exit_status_message()` (same text in 2.3 and 2.4):
/// `service(imap): child 12345 returned error 83 (Out of memory (service imap { vsz_limit=256 MB },
/// you may need to increase it) - set CORE_OUTOFMEM=1 environment to get core dump)`.
/// The `{ vsz_limit=… }` part is absent when the service has no limit.
fn dovecot_exit_out_of_memory(line: &str) -> Option<Explanation> {
    let exit_83 = after(line, "returned error 83")
        .is_some_and(|rest| !rest.starts_with(|c: char| c.is_ascii_digit()));
    let vsz_part = after(line, "Out of memory (service ");
    if !exit_83 && vsz_part.is_none() {
        return None;
    }
    let service = vsz_part
        .and_then(|rest| rest.split_once(" {").map(|(name, _)| name))
        .or_else(|| between(line, "service(", ")"))
        .filter(|s| is_name(s))
        .unwrap_or("a Dovecot");
    let limit_mb = after(line, "vsz_limit=").and_then(leading_number);
    let mut values = vec![("service", service.to_string())];
    let (what, fix) = match limit_mb {
        Some(mb) => {
            values.push(("vsz_limit_mb", mb.to_string()));
            let default = if mb == 256 {
                " (256 MB is Dovecot's built-in default_vsz_limit: nothing in the configuration sets it)"
            } else {
                ""
            };
            (
                format!(
                    "{service} was killed at its {mb} MB vsz_limit{default}: the process ran out of \
                     its address space while opening a mailbox and exited with code 83, dropping \
                     the client's connection."
                ),
                raise_limit_fix(service, mb),
            )
        }
        None => (
            format!(
                "{service} ran out of memory and exited with code 83; no vsz_limit applied, so \
                 the host itself is short of memory (or the limit is `0`/`unlimited`)."
            ),
            "Check the host's memory and swap (`free -m`, `journalctl -k | grep -i oom`); \
             give the mailbox services a bounded limit such as `default_vsz_limit = 1G` so one \
             runaway process cannot take the host down."
                .to_string(),
        ),
    };
    Some(Explanation {
        kind: "dovecot-out-of-memory",
        what,
        rules: vec!["MX301", "MX302", "MX303"],
        fix,
        values,
    })
}

/// The fix for a mailbox service that hit `mb` MB.
fn raise_limit_fix(service: &str, mb: u64) -> String {
    let to = size_text(suggested_limit_mb(mb));
    let service_block = if MAILBOX_SERVICES.contains(&service) {
        format!(" or `service {service} {{ vsz_limit = {to} }}` for this service only")
    } else {
        String::new()
    };
    let mut fix = format!(
        "Set `default_vsz_limit = {to}` (or more) in dovecot.conf{service_block}; confirm with \
         `doveconf -n | grep vsz` and `systemctl reload dovecot`."
    );
    if mb >= 1024 {
        fix.push_str(
            " A limit this large already is usually outgrown by a bloated index, not a big \
             mailbox: look for a dovecot.index.log of 100+ MB and run `doveadm force-resync -u USER \
             MAILBOX`, and keep `mail_cache_max_size` below the limit.",
        );
    }
    fix
}

/// Twice what was hit, rounded up to whole gigabytes: at least 1G.
fn suggested_limit_mb(hit_mb: u64) -> u64 {
    hit_mb
        .saturating_mul(2)
        .div_ceil(1024)
        .max(1)
        .saturating_mul(1024)
}

/// `1024` → `1G`, `1536` → `1536M`.
fn size_text(mb: u64) -> String {
    if mb % 1024 == 0 {
        format!("{}G", mb / 1024)
    } else {
        format!("{mb}M")
    }
}

/// `Failed to map transaction log %s …: %s` (`src/lib-index/mail-transaction-log-*.c`, 2.3.19
/// `libdovecot-storage.so` strings) when the reason is a memory failure, e.g.
/// `Error: Failed to map transaction log /home/u/Maildir/dovecot.index.log at sync_offset=4096
/// after locking: mmap(size=159383552) failed with file …: Cannot allocate memory`.
fn dovecot_transaction_log(line: &str) -> Option<Explanation> {
    let rest = after(line, "Failed to map transaction log ")?;
    if !is_memory_failure(rest) {
        return None;
    }
    let path = rest
        .split_whitespace()
        .next()
        .unwrap_or("")
        .trim_end_matches(':');
    let service = mailbox_service(line);
    let mut values = vec![("file", path.to_string())];
    if let Some(service) = service {
        values.push(("service", service.to_string()));
    }
    let who = service.unwrap_or("the mail process");
    Some(Explanation {
        kind: "dovecot-transaction-log-map-failed",
        what: format!(
            "{who} could not map the mailbox's transaction log {path} into memory: it does not \
             fit in what is left of the process's vsz_limit, so the mailbox cannot be opened \
             (the next allocation usually ends the process with error 83)."
        ),
        rules: vec!["MX301", "MX302", "MX303"],
        fix: format!(
            "A healthy dovecot.index.log stays around 1 MB; check its size (`ls -l {path}`) and \
             if it is large run `doveadm force-resync -u USER MAILBOX`. Give mailbox services room: \
             `default_vsz_limit = 1G` or more in dovecot.conf{}.",
            service
                .map(|s| format!(" (or `service {s} {{ vsz_limit = 1G }}`)"))
                .unwrap_or_default()
        ),
        values,
    })
}

/// `mmap(size=%zu) failed with file %s: %m` and `mmap(size=%zu) failed: %m`
/// (`src/lib/mmap-util.c` callers in lib-index; 2.3.19 strings `mmap(size=%zu)` and
/// `%s failed with file %s: %m%s`), only with ENOMEM:
/// `imap(bob)<…>: Error: Mailbox INBOX: mmap(size=755661208) failed with file
/// /var/mail/bob/dovecot.index.cache: Cannot allocate memory`.
fn dovecot_mmap_failed(line: &str) -> Option<Explanation> {
    let rest = after(line, "mmap(size=")?;
    let size = leading_number(rest)?;
    let rest = after(rest, ") failed")?;
    if !rest.contains("Cannot allocate memory") {
        return None;
    }
    let file = after(rest, " with file ").and_then(|f| f.split_once(": ").map(|(path, _)| path));
    let service = mailbox_service(line);
    let mb = size.div_ceil(1024 * 1024);
    let mut values = vec![("size_bytes", size.to_string())];
    if let Some(file) = file {
        values.push(("file", file.to_string()));
    }
    if let Some(service) = service {
        values.push(("service", service.to_string()));
    }
    let who = service.unwrap_or("the mail process");
    let what_file = file.map(|f| format!(" of {f}")).unwrap_or_default();
    let to = size_text(suggested_limit_mb(mb));
    let mut fix = format!(
        "Set `default_vsz_limit = {to}` or more in dovecot.conf (at least twice the largest \
         index file){}; confirm with `doveconf -n | grep vsz`.",
        service
            .map(|s| format!(", or `service {s} {{ vsz_limit = {to} }}`"))
            .unwrap_or_default()
    );
    if file.is_some_and(|f| f.ends_with(".cache")) {
        fix.push_str(
            " For dovecot.index.cache, `mail_cache_max_size` (1G by default, at most 1G) \
             caps the file: keep it below the limit.",
        );
    } else if file.is_some_and(|f| f.ends_with(".log")) {
        fix.push_str(
            " A transaction log this large means rotation stopped: `doveadm force-resync -u USER \
             MAILBOX` rebuilds it.",
        );
    }
    Some(Explanation {
        kind: "dovecot-mmap-failed",
        what: format!(
            "{who} could not map {mb} MB{what_file} into memory (Cannot allocate memory): the \
             file does not fit in the process's vsz_limit, so the mailbox's index is unusable \
             and the process usually dies with error 83 next."
        ),
        rules: vec!["MX301", "MX302", "MX303"],
        fix,
        values,
    })
}

/// Allocation failures in `src/lib` (2.3.19 `libdovecot.so` strings): `block_alloc(%zu): Out of
/// memory`, `pool_system_malloc(%zu): Out of memory`, `pool_system_realloc(%zu): …`,
/// `calloc(1, %zu): …`, `realloc(ptr, %zu): …`, `data stack: Out of memory when allocating %zu
/// bytes`, `mmap_anon(%s, %lu) failed: %m`. Each ends the process with exit code 83.
fn dovecot_allocation_failed(line: &str) -> Option<Explanation> {
    const CALLS: &[&str] = &[
        "block_alloc(",
        "pool_system_malloc(",
        "pool_system_realloc(",
        "calloc(1, ",
        "realloc(ptr, ",
    ];
    let bytes = CALLS
        .iter()
        .find_map(|call| {
            let rest = after(line, call)?;
            let n = leading_number(rest)?;
            rest.contains("): Out of memory").then_some(n)
        })
        .or_else(|| {
            after(line, "data stack: Out of memory when allocating ").and_then(leading_number)
        })
        .or_else(|| {
            let rest = after(line, "mmap_anon(")?;
            rest.contains("Cannot allocate memory")
                .then(|| rest.split_once(", ").and_then(|(_, n)| leading_number(n)))
                .flatten()
        })?;
    let service = mailbox_service(line);
    let mut values = vec![("bytes", bytes.to_string())];
    if let Some(service) = service {
        values.push(("service", service.to_string()));
    }
    let who = service.unwrap_or("a Dovecot process");
    Some(Explanation {
        kind: "dovecot-allocation-failed",
        what: format!(
            "{who} failed to allocate {bytes} bytes and died (exit code 83): it reached its \
             vsz_limit. The master logs the limit in the matching `returned error 83` line."
        ),
        rules: vec!["MX301", "MX302", "MX303"],
        fix: "Set `default_vsz_limit = 1G` or more in dovecot.conf (or raise the service's own \
              `vsz_limit`); confirm with `doveconf -n | grep vsz`. If the limit is already 1G or \
              more, look for a bloated index (`doveadm force-resync -u USER MAILBOX`)."
            .to_string(),
        values,
    })
}

/// The mailbox service a Dovecot log line comes from: `imap(bob@example.org)…`,
/// `service(lmtp)`, `dovecot: lmtp(…)`.
fn mailbox_service(line: &str) -> Option<&'static str> {
    MAILBOX_SERVICES.iter().copied().find(|service| {
        line.match_indices(service).any(|(at, _)| {
            let before = line[..at].chars().next_back();
            let boundary = before.is_none_or(|c| c == ' ' || c == '(' || c == ':');
            boundary && line[at + service.len()..].starts_with('(')
        })
    })
}

fn is_memory_failure(text: &str) -> bool {
    text.contains("Cannot allocate memory") || text.contains("Out of memory")
}

// ---------------------------------------------------------------------------------------------
// fail2ban

/// `server/actions.py` (1.0.2 l.506): `logSys.notice("[%s] %sBan %s", jail, 'Restore ' or '', ip)`;
/// in fail2ban.log: `2026-12-06 17:21:30,375 fail2ban.actions        [13846]: NOTICE  [dovecot]
/// Ban 203.0.113.9` (from a run of fail2ban 1.0.2); in the journal the message alone.
fn fail2ban_ban(line: &str) -> Option<Explanation> {
    let (jail, rest) = jail_message(line)?;
    let rest = rest.strip_prefix("Restore ").unwrap_or(rest);
    let ip: IpAddr = rest.strip_prefix("Ban ")?.trim().parse().ok()?;
    let mut rules = vec!["MX502", "MX503"];
    let mut what = format!(
        "fail2ban's `{jail}` jail banned {ip} after repeated authentication failures: every \
         connection from it to the jail's ports is now refused until the ban time ends."
    );
    if ip.is_loopback() {
        rules.insert(0, "MX501");
        what.push_str(
            " It is a loopback address: the host banned itself (webmail or a local client), \
             which happens only with `ignoreself = false` and no 127.0.0.1/8 ::1 in ignoreip.",
        );
    }
    Some(Explanation {
        kind: "fail2ban-ban",
        what,
        rules,
        fix: format!(
            "If {ip} is one of yours (office, VPN, monitoring, a relay), unban it now with \
             `fail2ban-client set {jail} unbanip {ip}` and check the whitelist with \
             `fail2ban-client get {jail} ignoreip`. Add the address or its network to `ignoreip` \
             in jail.local's [DEFAULT]; a jail that sets its own ignoreip must keep \
             `%(known/ignoreip)s` in it. List it under `fail2ban: trusted-networks:` in \
             .mxlint.yml so `mxlint check` keeps it whitelisted in every mail jail."
        ),
        values: vec![("jail", jail.to_string()), ("ip", ip.to_string())],
    })
}

/// `server/filter.py` (1.0.2 l.539): `logSys.info("[%s] Ignore %s by %s", jail, ip, source)` with
/// source `ip`, `dns`, `command` or `ignoreself rule`; from a 1.0.2 run:
/// `fail2ban.filter [13846]: INFO    [dovecot] Ignore 198.51.100.7 by ip`.
/// Not `[jail] Ignore <ip>, expired bantime` (actions.py), which is about an old ban.
fn fail2ban_ignore(line: &str) -> Option<Explanation> {
    let (jail, rest) = jail_message(line)?;
    let (ip, source) = rest.strip_prefix("Ignore ")?.split_once(" by ")?;
    let ip: IpAddr = ip.parse().ok()?;
    let source = source.trim();
    let (how, rules): (&str, Vec<&str>) = match source {
        "ip" => (
            "an address or network in the jail's `ignoreip` matches it",
            vec!["MX504"],
        ),
        "dns" => (
            "a host name in `ignoreip` resolved to it (resolved again on every check)",
            vec!["MX505"],
        ),
        "ignoreself rule" => (
            "it is one of the host's own addresses (`ignoreself = true`)",
            vec!["MX501"],
        ),
        "command" => ("the jail's `ignorecommand` exited 0 for it", vec![]),
        _ => return None,
    };
    let mut fix = format!(
        "Nothing to do if {ip} should never be banned. `fail2ban-client get {jail} ignoreip` \
         shows the whitelist."
    );
    if source == "ip" {
        fix.push_str(
            " If this shows up for addresses nobody whitelisted, an ignoreip entry matches \
             everything: on fail2ban 1.0.2 and older a tab inside the list or a typo in a dotted \
             mask (`10.0.0.0/255.255.255.O`) becomes 0.0.0.0/0, and the jail never bans IPv4 \
             (MX504).",
        );
    }
    Some(Explanation {
        kind: "fail2ban-ignore",
        what: format!(
            "fail2ban's `{jail}` jail saw failures from {ip} but did not count them: {how}. \
             {ip} is already whitelisted."
        ),
        rules,
        fix,
        values: vec![
            ("jail", jail.to_string()),
            ("ip", ip.to_string()),
            ("source", source.to_string()),
        ],
    })
}

/// The start-up failure of a bad `ignoreip` entry on fail2ban 1.0.2 (`ipdns.py` int() of the
/// prefix). Client: `fail2ban [13320]: ERROR   NOK: ("invalid literal for int() with base 10:
/// 'abc'",)` (`client/fail2banclient.py` l.105); server: `… has failed. Received
/// ValueError("invalid literal for int() with base 10: 'abc'")` — both from a 1.0.2 run with
/// `ignoreip = 127.0.0.1/8 10.0.0.0/abc`. Also `invalid mask '255.255.0.255', no plen
/// representation` (ipdns.py l.570) for a non-contiguous mask.
fn fail2ban_bad_ignoreip(line: &str) -> Option<Explanation> {
    if !(line.contains("NOK: (") || line.contains("ValueError(") || line.contains("fail2ban")) {
        return None;
    }
    let (entry, cause) = if let Some(rest) = after(line, "invalid literal for int() with base 10: ")
    {
        let value = quoted(rest)?;
        (
            format!("/{value}"),
            format!("an `ignoreip` entry has `/{value}` where a prefix length belongs"),
        )
    } else {
        let mask = quoted(after(line, "invalid mask ")?)?;
        after(line, "no plen representation")?;
        (
            format!("/{mask}"),
            format!("an `ignoreip` entry has the mask {mask}, which is not contiguous"),
        )
    };
    Some(Explanation {
        kind: "fail2ban-ignoreip-fatal",
        what: format!(
            "fail2ban-server refused its whole configuration and stopped: {cause}. No jail \
             runs, so nothing is banned (fail2ban 1.0.2 aborts; 1.1.0 keeps the entry as a \
             string that never matches)."
        ),
        rules: vec!["MX504"],
        fix: format!(
            "Find the entry with `fail2ban-client -d | grep addignoreip` (it ends in `{entry}`) \
             and write a network as address/number (`10.0.0.0/8`), entries separated by spaces; \
             check with `fail2ban-client -t`, then `systemctl restart fail2ban`."
        ),
        values: vec![("entry", entry)],
    })
}

/// `[jail] message` inside a fail2ban log line: the jail name and what follows `] `.
fn jail_message(line: &str) -> Option<(&str, &str)> {
    // The jail bracket is the last `[name] ` before the message; the `[pid]` comes earlier.
    line.match_indices("] ").find_map(|(end, _)| {
        let start = line[..end].rfind('[')?;
        let jail = &line[start + 1..end];
        let rest = &line[end + 2..];
        let message = rest.starts_with("Ban ")
            || rest.starts_with("Restore Ban ")
            || rest.starts_with("Ignore ");
        (message && is_name(jail)).then_some((jail, rest))
    })
}

// ---------------------------------------------------------------------------------------------
// firewalld

/// `firewall/core/fw.py` (1.2.0+, 1.3.3 l.635): `log.error("Failed to load user configuration.
/// Falling back to full stock configuration.")`, logged as `ERROR: Failed to load …`.
fn firewalld_fallback(line: &str) -> Option<Explanation> {
    line.contains("Failed to load user configuration. Falling back to full stock configuration")
        .then(|| Explanation {
            kind: "firewalld-fallback",
            what: "firewalld could not load a file in /etc/firewalld and fell back to its stock \
                   configuration: every zone, service and port you configured is dropped; the \
                   host now accepts only ssh and dhcpv6-client, so mail ports are closed."
                .to_string(),
            rules: vec!["MX405", "MX402"],
            fix: "The error firewalld logged next names the file and the problem \
                  (INVALID_SERVICE, INVALID_PORT, PARSE_ERROR, INVALID_ZONE); \
                  `firewall-offline-cmd --check-config` prints it again. Fix that file, then \
                  `firewall-cmd --reload` (the state stays FAILED until it loads cleanly)."
                .to_string(),
            values: vec![],
        })
}

/// `firewall/core/io/policy.py` (1.3.3 l.405): `INVALID_SERVICE: Zone 'public': 'submission'
/// not among existing services` (firewall-offline-cmd 1.3.3 prints it bare, after `Error: ` or
/// `Configuration error: `; the daemon after `ERROR: `); older releases omit `Zone '…': `;
/// `--info-service` prints `INVALID_SERVICE: get_service(): 'submisson'`.
fn firewalld_unknown_service(line: &str) -> Option<Explanation> {
    let rest = after(line, "INVALID_SERVICE: ")?;
    let zone = after(rest, "Zone '")
        .or_else(|| after(rest, "Policy '"))
        .and_then(|z| z.split_once('\'').map(|(name, _)| name));
    let body = match rest.split_once("': ") {
        Some((_, body)) if zone.is_some() => body,
        _ => rest,
    };
    let name = body
        .split_once(" not among existing services")
        .map(|(quoted_name, _)| quoted_name.trim().trim_matches('\''))
        .or_else(|| after(body, "get_service(): ").and_then(quoted))
        .or_else(|| body.split_whitespace().next().map(|w| w.trim_matches('\'')))
        .filter(|n| is_name(n))?;
    let suggestion = catalogue::suggest(FirewalldVersion::V1_3, name)
        .or_else(|| catalogue::suggest(FirewalldVersion::V2_1, name))
        .filter(|s| *s != name);
    let in_zone = zone.map(|z| format!(" in zone `{z}`")).unwrap_or_default();
    let mut what = format!(
        "firewalld does not know a service called `{name}`{in_zone}, so it did not open its port."
    );
    if zone.is_some() {
        what.push_str(
            " In a zone file this also makes the daemon fall back to its stock configuration \
             and drop everything else you configured.",
        );
    }
    let mut fix = match suggestion {
        Some(s) => format!("Use the firewalld service `{s}` instead of `{name}`."),
        None => format!(
            "No stock service is close to `{name}`: define it in \
             /etc/firewalld/services/{name}.xml or open the port itself (`--add-port=PORT/tcp`)."
        ),
    };
    if name == "submission" {
        fix.push_str(
            " `submission` exists only from firewalld 2.1.0; `smtp-submission` works on every \
             version.",
        );
    }
    fix.push_str(" `firewall-cmd --get-services` lists the names this host knows.");
    let mut values = vec![("service", name.to_string())];
    if let Some(zone) = zone {
        values.push(("zone", zone.to_string()));
    }
    if let Some(s) = suggestion {
        values.push(("suggestion", s.to_string()));
    }
    Some(Explanation {
        kind: "firewalld-unknown-service",
        what,
        rules: vec!["MX402", "MX405"],
        fix,
        values,
    })
}

/// `firewall/core/rich.py`, `fw.py`: `Error: INVALID_PORT: imap3` (firewall-offline-cmd 1.3.3,
/// `--add-port=imap3/tcp` and a fail2ban-style rich rule `port port='imap3'`); the zone reader
/// says `INVALID_PORT: 'imap3' is invalid port range`.
fn firewalld_invalid_port(line: &str) -> Option<Explanation> {
    let rest = after(line, "INVALID_PORT: ")?;
    let port = rest
        .split_whitespace()
        .next()?
        .trim_matches(|c: char| c == '\'' || c == '"' || c == ',' || c == ')');
    if port.is_empty() || !port.chars().all(|c| c.is_ascii_graphic()) {
        return None;
    }
    let known = catalogue::suggest(FirewalldVersion::V1_3, port)
        .and_then(|service| {
            let ports = catalogue::service_ports(FirewalldVersion::V1_3, service);
            ports.first().map(|p| (service, p.first))
        })
        .filter(|(_, number)| *number != 0);
    let hint = match known {
        Some((service, number)) => format!(" For `{port}` write {number} (service `{service}`)."),
        None => String::new(),
    };
    Some(Explanation {
        kind: "firewalld-invalid-port",
        what: format!(
            "firewalld refused the port `{port}`: a port must be a number, a range `a-b` or a \
             name in /etc/services. In a zone file the daemon falls back to its stock \
             configuration; from a fail2ban ban action (a jail's `port =` list) the ban fails \
             and the address is not blocked."
        ),
        rules: vec!["MX405"],
        fix: format!(
            "Replace `{port}` in the zone file or in the jail's `port =` list.{hint} `a:b` is \
             not a range for firewalld; write `a-b`."
        ),
        values: vec![("port", port.to_string())],
    })
}

/// The zone reader's other refusals (firewall-offline-cmd 1.3.3): `PARSE_ERROR: Unexpected
/// element rich-rule`, `INVALID_ZONE: not a valid zone file: mismatched tag: line 4, column 2`.
fn firewalld_invalid_config(line: &str) -> Option<Explanation> {
    let (code, detail) = ["PARSE_ERROR: ", "INVALID_ZONE: "]
        .iter()
        .find_map(|code| after(line, code).map(|d| (code.trim_end_matches(": "), d.trim())))?;
    Some(Explanation {
        kind: "firewalld-invalid-config",
        what: format!(
            "firewalld cannot read a zone or service file ({code}: {detail}); since firewalld \
             1.2 the daemon then drops the whole user configuration and keeps only its stock \
             zones, closing the mail ports."
        ),
        rules: vec!["MX405"],
        fix: "`firewall-offline-cmd --check-config` names the file; fix it (`<rule>` not \
              `<rich-rule>`, well-formed XML), then `firewall-cmd --reload`."
            .to_string(),
        values: vec![("error", code.to_string())],
    })
}

// ---------------------------------------------------------------------------------------------
// Ports: listeners and clients

/// Postfix `util/inet_listen.c`: `msg_fatal("bind %s port %s: %m", …)` (3.7 `libpostfix-util`
/// string `bind %s port %s: %m`): `postfix/master[812]: fatal: bind 0.0.0.0 port 587: Address
/// already in use`.
fn postfix_bind_in_use(line: &str) -> Option<Explanation> {
    let rest = after(line, "bind ")?;
    let (addr, rest) = rest.split_once(" port ")?;
    let (port, reason) = rest.split_once(": ")?;
    if !reason.starts_with("Address already in use") || addr.contains(' ') {
        return None;
    }
    let port = port_number(port)?;
    Some(port_in_use("Postfix", addr, port))
}

/// Dovecot `src/master/service-listen.c`: `service_error(service, "listen(%s, %u) failed: %m")`,
/// prefixed `service(NAME): ` (2.3.19 strings `listen(%s, %u) failed: %m`):
/// `master: Error: service(submission-login): listen(*, 587) failed: Address already in use`.
fn dovecot_listen_in_use(line: &str) -> Option<Explanation> {
    let rest = after(line, "listen(")?;
    let (inside, reason) = rest.split_once(") failed: ")?;
    if !reason.starts_with("Address already in use") {
        return None;
    }
    let (addr, port) = inside.split_once(", ")?;
    let port = port_number(port)?;
    let service = between(line, "service(", ")").filter(|s| is_name(s));
    let who = match service {
        Some(s) => format!("Dovecot's {s}"),
        None => "Dovecot".to_string(),
    };
    let mut explanation = port_in_use(&who, addr, port);
    if let Some(s) = service {
        explanation.values.push(("service", s.to_string()));
    }
    Some(explanation)
}

fn port_in_use(who: &str, addr: &str, port: u16) -> Explanation {
    let mut fix = format!(
        "`ss -ltnp 'sport = :{port}'` shows which process holds port {port}. Keep one listener: "
    );
    match port {
        587 | 465 => fix.push_str(
            "when Postfix handles submission, take `submission` out of Dovecot's `protocols` \
             (or set its `inet_listener submission { port = 0 }`); when Dovecot's submission \
             proxy should, comment out `submission inet` (and `submissions`/`smtps`) in master.cf.",
        ),
        _ => {
            fix.push_str("move one of the services to another port or bind it to another address.")
        }
    }
    Explanation {
        kind: "port-in-use",
        what: format!(
            "{who} could not listen on {addr} port {port}: another process already listens \
             there. Whichever daemon starts second loses the port (Dovecot does not start at \
             all), so clients reach the wrong daemon or nothing after a reboot changes the order."
        ),
        rules: vec!["MX404"],
        fix,
        values: vec![("address", addr.to_string()), ("port", port.to_string())],
    }
}

/// Postfix `smtp/smtp_connect.c` (3.7 string `connect to %s[%s]:%d: %m`), as in
/// `status=deferred (connect to mail.example.org[203.0.113.5]:25: Connection timed out)`; other
/// clients log the same shape. Only the mail ports: a refused content filter on 10024 is not a
/// firewall matter.
fn connect_failed(line: &str) -> Option<Explanation> {
    let rest = after(line, "connect to ")?;
    let (host, rest) = rest.split_once('[')?;
    let (ip, rest) = rest.split_once("]:")?;
    let (port, reason) = rest.split_once(": ")?;
    let port = port_number(port)?;
    let service = mail_port_service(port)?;
    let ip: IpAddr = ip.parse().ok()?;
    let host = host.trim();
    if host.contains(' ') {
        return None;
    }
    let (what, rules) = if reason.starts_with("Connection refused") {
        (
            format!(
                "{host} ({ip}) answered that nothing accepts connections on port {port}: the \
                 daemon is not running or not listening on that address (or lost the port to \
                 another daemon), or a firewall rule rejects with a TCP reset."
            ),
            vec!["MX401", "MX404"],
        )
    } else if reason.starts_with("Connection timed out") {
        (
            format!(
                "Nothing answered on {host} ({ip}) port {port}: packets are dropped on the \
                 way, usually because the host's firewall zone does not open the port (or a \
                 `drop` zone or a provider firewall)."
            ),
            vec!["MX401"],
        )
    } else if reason.starts_with("No route to host") {
        (
            format!(
                "{host} ({ip}) rejected the connection to port {port} with an ICMP \
                 \"host prohibited\": firewalld's answer for a port its zone does not open."
            ),
            vec!["MX401"],
        )
    } else {
        return None;
    };
    Some(Explanation {
        kind: "connect-failed",
        what,
        rules,
        fix: format!(
            "On {host}: `ss -ltnp 'sport = :{port}'` shows whether something listens, \
             `firewall-cmd --list-all` whether the zone opens it. Open it with \
             `firewall-cmd --permanent --add-service={service} && firewall-cmd --reload` (the \
             `ansible.posix.firewalld` task needs `permanent: true` and `immediate: true`)."
        ),
        values: vec![
            ("host", host.to_string()),
            ("ip", ip.to_string()),
            ("port", port.to_string()),
            ("firewalld_service", service.to_string()),
        ],
    })
}

/// The firewalld service that opens a mail port: the name every version knows
/// (`smtp-submission` for 587), from the catalogue.
fn mail_port_service(port: u16) -> Option<&'static str> {
    let name = crate::model::firewall::catalogue::mail_service_for_port(
        crate::config::FirewalldVersion::V1_3,
        port,
    );
    (!name.is_empty()).then_some(name)
}

/// A port as logs write it: a number, or an /etc/services name (`submission`).
fn port_number(text: &str) -> Option<u16> {
    let text = text.trim();
    text.parse()
        .ok()
        .or_else(|| catalogue::etc_services_port(text, Some("tcp")))
}

// ---------------------------------------------------------------------------------------------
// Text helpers

/// The text after the first `needle`.
fn after<'a>(hay: &'a str, needle: &str) -> Option<&'a str> {
    hay.find(needle).map(|at| &hay[at + needle.len()..])
}

/// The text between the first `start` and the next `end` after it.
fn between<'a>(hay: &'a str, start: &str, end: &str) -> Option<&'a str> {
    after(hay, start)?.split_once(end).map(|(inside, _)| inside)
}

/// The first `'…'` in `text`.
fn quoted(text: &str) -> Option<&str> {
    between(text, "'", "'")
}

/// The decimal number `text` starts with.
fn leading_number(text: &str) -> Option<u64> {
    let end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    text[..end].parse().ok()
}

/// A service, jail or zone name: short, no spaces or brackets.
fn is_name(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@' | '/'))
}

#[cfg(test)]
mod tests;
