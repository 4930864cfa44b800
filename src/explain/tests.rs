//! Log lines as the daemons print them (formats from the upstream sources named in explain.rs;
//! the fail2ban and firewalld ones copied from runs of fail2ban 1.0.2 and firewall-offline-cmd
//! 1.3.3), and near misses that must stay unrecognised.

use super::*;
use crate::model::firewall::catalogue::{defines, Defined};

/// Recognised lines: (line, expected kind).
const RECOGNISED: &[(&str, &str)] = &[
    ("Dec  6 10:12:01 mx dovecot: master: Error: service(imap): child 12345 returned error 83 (Out of memory (service imap { vsz_limit=256 MB }, you may need to increase it) - set CORE_OUTOFMEM=1 environment to get core dump)", "dovecot-out-of-memory"),
    ("lmtp(91): user-lookup(watchdog@invalid)Fatal: master: service(lmtp): child 91 returned error 83 (Out of memory (service lmtp { vsz_limit=1024 MB }, you may need to increase it) - set CORE_OUTOFMEM=1 environment to get core dump)", "dovecot-out-of-memory"),
    ("dovecot[801]: master: Error: service(imap): child 4242 returned error 83 (Out of memory - set CORE_OUTOFMEM=1 environment to get core dump)", "dovecot-out-of-memory"),
    ("imap(bob@example.org)<4711><bq8xYk0f>: Error: Failed to map transaction log /var/vmail/bob/Maildir/dovecot.index.log at sync_offset=4096 after locking: mmap(size=159383552) failed with file /var/vmail/bob/Maildir/dovecot.index.log: Cannot allocate memory", "dovecot-transaction-log-map-failed"),
    ("imap(bob@example.org)<4711><bq8xYk0f>: Error: Mailbox INBOX: mmap(size=755661208) failed with file /var/mail/bob/dovecot.index.cache: Cannot allocate memory", "dovecot-mmap-failed"),
    ("Error: Mailbox INBOX: mmap(size=755661208) failed with file /var/mail/alternc_index/user@domain.example/.INBOX/dovecot.index.cache: Cannot allocate memory", "dovecot-mmap-failed"),
    ("Jun 05 09:14:02 mx dovecot[1200]: imap(alice)<991><aB3>: Fatal: block_alloc(8388608): Out of memory", "dovecot-allocation-failed"),
    ("lmtp(7): Fatal: data stack: Out of memory when allocating 268435456 bytes", "dovecot-allocation-failed"),
    ("2026-12-06 17:21:30,375 fail2ban.actions        [13846]: NOTICE  [dovecot] Ban 203.0.113.9", "fail2ban-ban"),
    ("Dec 06 17:21:30 mx fail2ban-server[13846]: [postfix-sasl] Restore Ban 2001:db8::7", "fail2ban-ban"),
    ("2026-12-06 17:21:30,368 fail2ban.filter         [13846]: INFO    [dovecot] Ignore 198.51.100.7 by ip", "fail2ban-ignore"),
    ("2026-12-06 17:21:30,368 fail2ban.filter         [13846]: INFO    [dovecot] Ignore 198.51.100.8 by dns", "fail2ban-ignore"),
    ("2026-12-06 17:21:19,957 fail2ban                [13320]: ERROR   NOK: (\"invalid literal for int() with base 10: 'abc'\",)", "fail2ban-ignoreip-fatal"),
    ("2026-12-06 17:21:19,957 fail2ban.transmitter    [13333]: ERROR   Command ['server-stream', [['start', 'dovecot']]] has failed. Received ValueError(\"invalid literal for int() with base 10: 'abc'\")", "fail2ban-ignoreip-fatal"),
    ("2026-12-06 17:21:19,957 fail2ban.transmitter    [13333]: ERROR   Command ['server-stream', []] has failed. Received ValueError(\"invalid mask '255.255.0.255', no plen representation\")", "fail2ban-ignoreip-fatal"),
    ("2026-12-06 17:30:00 ERROR: Failed to load user configuration. Falling back to full stock configuration.", "firewalld-fallback"),
    ("Configuration error: INVALID_SERVICE: Zone 'public': 'submission' not among existing services", "firewalld-unknown-service"),
    ("ERROR: INVALID_SERVICE: 'smtp_submission' not among existing services", "firewalld-unknown-service"),
    ("INVALID_SERVICE: get_service(): 'submisson'", "firewalld-unknown-service"),
    ("Error: INVALID_PORT: imap3", "firewalld-invalid-port"),
    ("ERROR: INVALID_PORT: 'imap3' is invalid port range", "firewalld-invalid-port"),
    ("Configuration error: PARSE_ERROR: Unexpected element rich-rule", "firewalld-invalid-config"),
    ("Dec  6 10:00:00 mx postfix/master[812]: fatal: bind 0.0.0.0 port 587: Address already in use", "port-in-use"),
    ("postfix/master[812]: fatal: bind :: port submission: Address already in use", "port-in-use"),
    ("Dec  6 10:00:00 mx dovecot[700]: master: Error: service(submission-login): listen(*, 587) failed: Address already in use", "port-in-use"),
    ("postfix/smtp[2211]: 4F2A31C0: to=<a@example.org>, relay=none, delay=30, status=deferred (connect to mail.example.org[203.0.113.5]:587: Connection refused)", "connect-failed"),
    ("postfix/smtp[2211]: connect to mail.example.org[203.0.113.5]:25: Connection timed out", "connect-failed"),
    ("postfix/smtp[2211]: connect to mail.example.org[2001:db8::5]:25: No route to host", "connect-failed"),
];

/// Lines that look close but mean something else.
const NEAR_MISSES: &[&str] = &[
    "",
    "   ",
    "service(imap): child 12345 returned error 89 (Fatal failure)",
    "service(imap): child 12345 returned error 830 (nothing)",
    "kernel: Out of memory: Killed process 4242 (imap) total-vm:1048576kB, anon-rss:0kB",
    "imap(bob): Error: mmap(size=4096) failed with file /x/dovecot.index: Invalid argument",
    "imap(bob): Error: Failed to map transaction log /x/dovecot.index.log for all-view: corrupted",
    "2026-12-06 17:21:35,590 fail2ban.actions        [13846]: NOTICE  [dovecot] Unban 203.0.113.9",
    "2026-12-06 17:21:30,368 fail2ban.filter         [13846]: INFO    [dovecot] Found 203.0.113.9 - 2026-12-06 17:21:30",
    "fail2ban.actions        [13846]: NOTICE  [dovecot] Ban not-an-address",
    "fail2ban.actions        [13846]: INFO    [dovecot] Ignore 203.0.113.9, expired bantime",
    "fail2ban.actions        [13846]: NOTICE  [dovecot] 203.0.113.9 already banned",
    "Traceback: ValueError: invalid literal for int() with base 10: 'abc'",
    "INVALID_SERVICE: ",
    "success",
    "postfix/master[812]: fatal: bind 0.0.0.0 port 587: Permission denied",
    "dovecot: master: Error: service(imap-login): listen(*, 143) failed: Permission denied",
    "postfix/smtp[2211]: connect to 127.0.0.1[127.0.0.1]:10024: Connection refused",
    "postfix/smtp[2211]: connect to mail.example.org[203.0.113.5]:25: Connection reset by peer",
    "postfix/smtp[2211]: connect to mail.example.org[not-an-ip]:25: Connection refused",
];

fn explained(line: &str) -> Explanation {
    explain(line).unwrap_or_else(|| panic!("not recognised: {line}"))
}

fn value<'a>(e: &'a Explanation, key: &str) -> Option<&'a str> {
    e.values
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.as_str())
}

#[test]
fn every_recognised_line_has_its_kind() {
    for (line, kind) in RECOGNISED {
        assert_eq!(explained(line).kind, *kind, "{line}");
    }
}

#[test]
fn near_misses_are_not_recognised() {
    for line in NEAR_MISSES {
        assert_eq!(explain(line), None, "{line}");
    }
}

#[test]
fn every_code_named_is_a_registered_rule() {
    for (line, _) in RECOGNISED {
        for code in explained(line).rules {
            assert!(crate::rules::find(code).is_some(), "{code} from {line}");
        }
    }
}

#[test]
fn every_matcher_kind_has_a_sample_line() {
    for (kind, _) in MATCHERS {
        assert!(
            RECOGNISED.iter().any(|(_, k)| k == kind),
            "no sample line for {kind}"
        );
    }
}

#[test]
fn out_of_memory_names_the_service_and_its_limit() {
    let e = explained(RECOGNISED[0].0);
    assert_eq!(value(&e, "service"), Some("imap"));
    assert_eq!(value(&e, "vsz_limit_mb"), Some("256"));
    assert!(
        e.what.contains("imap was killed at its 256 MB"),
        "{}",
        e.what
    );
    assert!(e.what.contains("built-in default"), "{}", e.what);
    assert_eq!(e.rules[0], "MX301");
    assert!(e.fix.contains("default_vsz_limit = 1G"), "{}", e.fix);
    assert!(
        e.fix.contains("service imap { vsz_limit = 1G }"),
        "{}",
        e.fix
    );
}

#[test]
fn a_limit_of_a_gigabyte_points_at_a_bloated_index() {
    let e = explained(RECOGNISED[1].0);
    assert_eq!(value(&e, "service"), Some("lmtp"));
    assert!(!e.what.contains("built-in default"), "{}", e.what);
    assert!(e.fix.contains("default_vsz_limit = 2G"), "{}", e.fix);
    assert!(e.fix.contains("doveadm force-resync"), "{}", e.fix);
}

#[test]
fn out_of_memory_without_a_limit_blames_the_host() {
    let e = explained(RECOGNISED[2].0);
    assert_eq!(value(&e, "vsz_limit_mb"), None);
    assert!(e.what.contains("no vsz_limit applied"), "{}", e.what);
}

#[test]
fn mmap_failure_gives_size_file_and_service() {
    let e = explained(RECOGNISED[4].0);
    assert_eq!(value(&e, "size_bytes"), Some("755661208"));
    assert_eq!(value(&e, "file"), Some("/var/mail/bob/dovecot.index.cache"));
    assert_eq!(value(&e, "service"), Some("imap"));
    assert!(e.what.contains("721 MB"), "{}", e.what);
    assert!(e.fix.contains("default_vsz_limit = 2G"), "{}", e.fix);
    assert!(e.fix.contains("mail_cache_max_size"), "{}", e.fix);
    // Without a service prefix the explanation still stands.
    assert_eq!(value(&explained(RECOGNISED[5].0), "service"), None);
}

#[test]
fn transaction_log_failure_names_the_log() {
    let e = explained(RECOGNISED[3].0);
    assert_eq!(
        value(&e, "file"),
        Some("/var/vmail/bob/Maildir/dovecot.index.log")
    );
    assert!(e.fix.contains("force-resync"), "{}", e.fix);
}

#[test]
fn allocation_failure_gives_the_size() {
    let e = explained(RECOGNISED[6].0);
    assert_eq!(value(&e, "bytes"), Some("8388608"));
    assert_eq!(value(&e, "service"), Some("imap"));
    assert_eq!(
        value(&explained(RECOGNISED[7].0), "bytes"),
        Some("268435456")
    );
}

#[test]
fn a_ban_says_how_to_unban_and_whitelist() {
    let e = explained(RECOGNISED[8].0);
    assert_eq!(value(&e, "jail"), Some("dovecot"));
    assert_eq!(value(&e, "ip"), Some("203.0.113.9"));
    assert_eq!(e.rules, ["MX502", "MX503"]);
    assert!(
        e.fix
            .contains("fail2ban-client set dovecot unbanip 203.0.113.9"),
        "{}",
        e.fix
    );
    let restored = explained(RECOGNISED[9].0);
    assert_eq!(value(&restored, "jail"), Some("postfix-sasl"));
    assert_eq!(value(&restored, "ip"), Some("2001:db8::7"));
}

#[test]
fn a_banned_loopback_address_is_the_self_ban() {
    let e = explained("fail2ban.actions [1]: NOTICE  [dovecot] Ban 127.0.0.1");
    assert_eq!(e.rules[0], "MX501");
}

#[test]
fn an_ignored_address_is_already_whitelisted() {
    let e = explained(RECOGNISED[10].0);
    assert_eq!(value(&e, "ip"), Some("198.51.100.7"));
    assert!(e.what.contains("already whitelisted"), "{}", e.what);
    assert_eq!(e.rules, ["MX504"]);
    assert_eq!(explained(RECOGNISED[11].0).rules, ["MX505"]);
    let own = explained("fail2ban.filter [1]: INFO    [sshd] Ignore 192.0.2.1 by ignoreself rule");
    assert_eq!(own.rules, ["MX501"]);
    let command = explained("fail2ban.filter [1]: INFO    [sshd] Ignore 192.0.2.1 by command");
    assert!(command.rules.is_empty());
}

#[test]
fn a_fatal_ignoreip_entry_is_named() {
    for line in [RECOGNISED[12].0, RECOGNISED[13].0] {
        let e = explained(line);
        assert_eq!(value(&e, "entry"), Some("/abc"), "{line}");
        assert_eq!(e.rules, ["MX504"]);
    }
    let mask = explained(RECOGNISED[14].0);
    assert_eq!(value(&mask, "entry"), Some("/255.255.0.255"));
}

#[test]
fn an_unknown_service_gets_the_catalogue_suggestion() {
    let e = explained(RECOGNISED[16].0);
    assert_eq!(value(&e, "service"), Some("submission"));
    assert_eq!(value(&e, "zone"), Some("public"));
    assert_eq!(value(&e, "suggestion"), Some("smtp-submission"));
    assert_eq!(e.rules, ["MX402", "MX405"]);
    assert!(e.fix.contains("only from firewalld 2.1.0"), "{}", e.fix);

    let old = explained(RECOGNISED[17].0);
    assert_eq!(value(&old, "service"), Some("smtp_submission"));
    assert_eq!(value(&old, "zone"), None);
    assert_eq!(value(&old, "suggestion"), Some("smtp-submission"));

    let typo = explained(RECOGNISED[18].0);
    assert_eq!(value(&typo, "service"), Some("submisson"));
    let suggestion = value(&typo, "suggestion").unwrap_or_default();
    assert!(
        matches!(defines(FirewalldVersion::V2_1, suggestion), Defined::Yes),
        "{suggestion}"
    );
}

#[test]
fn an_invalid_port_gets_its_number() {
    for line in [RECOGNISED[19].0, RECOGNISED[20].0] {
        let e = explained(line);
        assert_eq!(value(&e, "port"), Some("imap3"), "{line}");
        assert!(e.fix.contains("write 143"), "{}", e.fix);
    }
    let from_fail2ban =
        explained("fail2ban.utils [9]: ERROR   7f3a -- stderr: 'Error: INVALID_PORT: imap3'");
    assert_eq!(value(&from_fail2ban, "port"), Some("imap3"));
}

#[test]
fn port_conflicts_name_the_port() {
    let postfix = explained(RECOGNISED[22].0);
    assert_eq!(value(&postfix, "address"), Some("0.0.0.0"));
    assert_eq!(value(&postfix, "port"), Some("587"));
    assert_eq!(postfix.rules, ["MX404"]);
    assert!(
        postfix.fix.contains("ss -ltnp 'sport = :587'"),
        "{}",
        postfix.fix
    );
    assert_eq!(value(&explained(RECOGNISED[23].0), "port"), Some("587"));
    let dovecot = explained(RECOGNISED[24].0);
    assert_eq!(value(&dovecot, "service"), Some("submission-login"));
    assert!(
        dovecot.what.starts_with("Dovecot's submission-login"),
        "{}",
        dovecot.what
    );
}

#[test]
fn connection_failures_name_host_port_and_service() {
    let refused = explained(RECOGNISED[25].0);
    assert_eq!(value(&refused, "host"), Some("mail.example.org"));
    assert_eq!(value(&refused, "ip"), Some("203.0.113.5"));
    assert_eq!(value(&refused, "port"), Some("587"));
    assert_eq!(refused.rules, ["MX401", "MX404"]);
    assert!(
        refused.fix.contains("--add-service=smtp-submission"),
        "{}",
        refused.fix
    );
    let timed_out = explained(RECOGNISED[26].0);
    assert_eq!(timed_out.rules, ["MX401"]);
    assert!(
        timed_out.fix.contains("--add-service=smtp "),
        "{}",
        timed_out.fix
    );
    assert_eq!(
        value(&explained(RECOGNISED[27].0), "ip"),
        Some("2001:db8::5")
    );
}

#[test]
fn suggested_limits_round_up_to_gigabytes() {
    assert_eq!(suggested_limit_mb(256), 1024);
    assert_eq!(suggested_limit_mb(721), 2048);
    assert_eq!(suggested_limit_mb(1024), 2048);
    assert_eq!(
        suggested_limit_mb(u64::MAX),
        u64::MAX,
        "saturates, never overflows"
    );
    assert_eq!(size_text(1024), "1G");
}

proptest::proptest! {
    /// Arbitrary text built from the matchers' own fragments never panics.
    #[test]
    fn never_panics(parts in proptest::collection::vec(
        proptest::sample::select(vec![
            "returned error 83", "Out of memory (service ", " { vsz_limit=", "99999999999999999999",
            " MB }", "service(", ")", "(", "mmap(size=", ") failed", " with file ", ": ",
            "Cannot allocate memory", "Failed to map transaction log ", "block_alloc(",
            "): Out of memory", "mmap_anon(", ", ", "[", "] ", "Ban ", "Ignore ", " by ", "ip",
            "203.0.113.9", "NOK: (", "invalid literal for int() with base 10: ", "'", "invalid mask ",
            "no plen representation", "INVALID_SERVICE: ", "Zone '", " not among existing services",
            "get_service(): ", "INVALID_PORT: ", "PARSE_ERROR: ", "bind ", " port ",
            "Address already in use", "listen(", ") failed: ", "connect to ", "]:", "587",
            "Connection refused", "é", "\u{0}", " ",
        ]),
        0..24,
    )) {
        let line: String = parts.concat();
        let _ = explain(&line);
    }
}
