//! Unit tests of the merge model: file order, `[DEFAULT]` inheritance, `%(known/x)s`,
//! interpolation errors, `enabled`.

use super::*;
use crate::config::Settings;
use crate::source::SourceDb;

fn tree(files: &[(&str, &str)]) -> Fail2banConfig {
    tree_v(files, Fail2banVersion::V1_0)
}

fn tree_v(files: &[(&str, &str)], version: Fail2banVersion) -> Fail2banConfig {
    let mut db = SourceDb::new();
    let files: Vec<TreeFile> = files
        .iter()
        .map(|(rel, text)| TreeFile {
            rel: rel.to_string(),
            file: db.add(format!("/etc/fail2ban/{rel}"), text.to_string()),
        })
        .collect();
    let mut settings = Settings::default();
    settings.fail2ban.version = version;
    load_tree(&mut db, &files, &settings)
}

fn ips(cfg: &Fail2banConfig, jail: &str) -> Option<Vec<String>> {
    let j = cfg.jails.iter().find(|j| j.name == jail)?;
    Some(
        j.ignoreip
            .as_ref()?
            .entries
            .iter()
            .map(|e| e.text.clone())
            .collect(),
    )
}

#[test]
fn stock_tree_has_no_whitelist_and_no_enabled_jail() {
    let cfg = tree(&[]);
    assert!(cfg.jails.iter().any(|j| j.name == "dovecot" && j.mail));
    assert_eq!(cfg.enabled_jails().count(), 0);
    assert_eq!(ips(&cfg, "dovecot"), None);
    assert!(!cfg.is_fatal(), "{:?}", cfg.problems);
    assert_eq!(
        cfg.loaded[..3],
        ["paths-common.conf", "paths-fedora.conf", "jail.conf"]
    );
}

#[test]
fn jail_d_local_beats_jail_local_and_jail_key_beats_default() {
    let cfg = tree(&[
        ("jail.d/10-a.conf", "[DEFAULT]\nignoreip = 192.0.2.10\n"),
        (
            "jail.local",
            "[DEFAULT]\nignoreip = 192.0.2.30\n[dovecot]\nenabled = true\n",
        ),
        ("jail.d/05-c.local", "[DEFAULT]\nignoreip = 192.0.2.40\n"),
        ("jail.d/01-x.conf", "[sieve]\nignoreip = 10.9.9.9\n"),
    ]);
    assert_eq!(ips(&cfg, "dovecot").unwrap(), ["192.0.2.40"]);
    assert_eq!(ips(&cfg, "sieve").unwrap(), ["10.9.9.9"]);
    let d = cfg.jails.iter().find(|j| j.name == "dovecot").unwrap();
    assert!(d.enabled && d.ignoreip.as_ref().unwrap().from_default);
}

#[test]
fn per_jail_value_replaces_default_unless_known() {
    let cfg = tree(&[(
        "jail.local",
        "[DEFAULT]\nignoreip = 127.0.0.1/8 ::1 203.0.113.7\n[dovecot]\nignoreip = 10.0.0.0/8\n[postfix]\nignoreip = %(known/ignoreip)s 10.0.0.0/8\n",
    )]);
    let dovecot = cfg.jails.iter().find(|j| j.name == "dovecot").unwrap();
    let replaced = dovecot
        .ignoreip
        .as_ref()
        .unwrap()
        .replaced_default
        .as_ref()
        .unwrap();
    assert_eq!(replaced.lost, ["127.0.0.1/8", "::1", "203.0.113.7"]);
    assert_eq!(
        ips(&cfg, "postfix").unwrap(),
        ["127.0.0.1/8", "::1", "203.0.113.7", "10.0.0.0/8"]
    );
    let postfix = cfg.jails.iter().find(|j| j.name == "postfix").unwrap();
    let ip = postfix.ignoreip.as_ref().unwrap();
    assert!(ip.replaced_default.is_none());
    // The token from DEFAULT points at its bytes on the DEFAULT line.
    assert_eq!(
        ip.entries[2].span.start(),
        "[DEFAULT]\nignoreip = 127.0.0.1/8 ::1 ".len()
    );
}

#[test]
fn self_reference_and_known_in_default_are_fatal_recursion() {
    for text in [
        "[DEFAULT]\nignoreip = 1.2.3.4\n[postfix-sasl]\nenabled = true\nignoreip = %(ignoreip)s 198.51.100.0/24\n",
        "[DEFAULT]\nignoreip = %(known/ignoreip)s 203.0.113.7\n[postfix-sasl]\nenabled = true\n",
    ] {
        let cfg = tree(&[("jail.local", text)]);
        let p = cfg.problems.iter().find(|p| p.fatal).expect("fatal");
        assert!(
            p.message.starts_with("Recursion limit exceeded in value substitution: option 'ignoreip' in section 'postfix-sasl'"),
            "{}",
            p.message
        );
    }
}

#[test]
fn known_chained_across_two_files_is_fatal() {
    let cfg = tree(&[
        ("jail.local", "[DEFAULT]\nignoreip = 1.1.1.1\n[dovecot]\nenabled = true\nignoreip = %(known/ignoreip)s 2.2.2.2\n"),
        ("jail.d/50.local", "[dovecot]\nignoreip = %(known/ignoreip)s 3.3.3.3\n"),
    ]);
    assert!(cfg.is_fatal());
}

#[test]
fn enabled_values_and_ignored_settings() {
    let cfg = tree(&[
        (
            "jail.local",
            "[default]\nignoreip = 1.2.3.4\n[dovecot]\nenabled = enable\n[sieve]\nenabled = Yes\n",
        ),
        ("fail2ban.local", "[DEFAULT]\nignoreip = 1.2.3.4\n"),
    ]);
    let kinds: Vec<_> = cfg.problems.iter().map(|p| &p.kind).collect();
    assert!(kinds.contains(&&ProblemKind::LowercaseDefault));
    assert!(kinds.contains(&&ProblemKind::IgnoredFile));
    assert!(kinds
        .iter()
        .any(|k| matches!(k, ProblemKind::EnabledReadAsFalse { jail, .. } if jail == "dovecot")));
    let enabled: Vec<_> = cfg.enabled_jails().map(|j| j.name.as_str()).collect();
    assert_eq!(enabled, ["sieve"]);
}

#[test]
fn includes_read_local_after_conf() {
    let cfg = tree(&[
        (
            "jail.local",
            "[INCLUDES]\nbefore = admin-ips.conf\n[DEFAULT]\nignoreip = %(admin_ips)s\n[dovecot]\nenabled = true\n",
        ),
        ("admin-ips.conf", "[DEFAULT]\nadmin_ips = 203.0.113.7\n"),
        ("admin-ips.local", "[DEFAULT]\nadmin_ips = 203.0.113.8\n"),
    ]);
    assert_eq!(ips(&cfg, "dovecot").unwrap(), ["203.0.113.8"]);
    let n = cfg.loaded.len();
    assert_eq!(
        cfg.loaded[n - 3..],
        ["admin-ips.conf", "admin-ips.local", "jail.local"]
    );
}

#[test]
fn wrong_case_jail_is_skipped_for_its_filter() {
    let cfg = tree(&[("jail.local", "[Dovecot]\nenabled = true\n")]);
    let j = cfg.jails.iter().find(|j| j.name == "Dovecot").unwrap();
    assert_eq!(
        j.skipped.as_deref(),
        Some("Unable to read the filter 'Dovecot'")
    );
}

#[test]
fn covers_uses_networks() {
    let cfg = tree(&[(
        "jail.local",
        "[DEFAULT]\nignoreip = 127.0.0.1/8, ::1 198.51.100.0/24 host.example.org\n[dovecot]\nenabled = true\n",
    )]);
    let j = cfg.jails.iter().find(|j| j.name == "dovecot").unwrap();
    assert!(j.covers(&Network::parse("198.51.100.7").unwrap()));
    assert!(!j.covers(&Network::parse("198.51.0.0/16").unwrap()));
    assert!(j.ignores_self());
}
