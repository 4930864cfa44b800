//! oracle_fail2ban: mxlint's fail2ban model against Debian's `fail2ban-client -c DIR -d`
//! (fail2ban 1.0.2): for every case directory (Debian's /etc/fail2ban plus the case's files),
//! the same enabled jails, the same `addignoreip` entries, `ignoreself` and `ignorecommand`,
//! the same skipped jails, and exit 255 exactly when mxlint records a fatal problem with the
//! message fail2ban prints. Then every entry's class against `IPAddr` of the same fail2ban.
//!
//! Needs `fail2ban-client` and its Python module (`apt-get install fail2ban`; `.ci/run` installs
//! it). Without it the test prints a notice and passes, unless `CI` is set.

use mxlint::config::{Fail2banVersion, Settings};
use mxlint::model::fail2ban::{load_dir, EntryClass, Fail2banConfig};
use mxlint::source::SourceDb;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};

const ENABLE: &str = "[dovecot]\nenabled = true\n[postfix-sasl]\nenabled = true\n";

fn available() -> bool {
    let ok = Command::new("fail2ban-client")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
        && Path::new("/etc/fail2ban/jail.conf").exists();
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "fail2ban-client is required in CI"
        );
        eprintln!("NOTICE: fail2ban-client or /etc/fail2ban missing; oracle_fail2ban skipped");
    }
    ok
}

/// Every row of the notes' "Recorded outcomes" table, and a few more.
fn cases() -> Vec<(&'static str, Vec<(&'static str, String)>)> {
    let local = |text: &str| vec![("jail.local", format!("{text}\n{ENABLE}"))];
    vec![
        ("stock, two mail jails enabled", vec![("jail.local", ENABLE.into())]),
        ("default list", local("[DEFAULT]\nignoreip = 127.0.0.1/8 ::1 203.0.113.7")),
        (
            "jail replaces default",
            vec![("jail.local", format!("[DEFAULT]\nignoreip = 127.0.0.1/8 ::1 203.0.113.7\n{ENABLE}ignoreip = 10.0.0.0/8\n"))],
        ),
        (
            "known extends default",
            vec![("jail.local", "[DEFAULT]
ignoreip = 127.0.0.1/8 ::1 203.0.113.7
[postfix-sasl]
enabled = true
[dovecot]
enabled = true
ignoreip = %(known/ignoreip)s 10.0.0.0/8
".to_string())],
        ),
        (
            "default/ignoreip",
            vec![("jail.local", "[DEFAULT]
ignoreip = 127.0.0.1/8 ::1
[postfix-sasl]
enabled = true
[dovecot]
enabled = true
ignoreip = %(default/ignoreip)s 10.0.0.0/8
".to_string())],
        ),
        (
            "file order",
            vec![
                ("jail.d/10-a.conf", "[DEFAULT]\nignoreip = 192.0.2.10\n".into()),
                ("jail.d/20-b.conf", "[DEFAULT]\nignoreip = 192.0.2.20\n".into()),
                ("jail.local", format!("[DEFAULT]\nignoreip = 192.0.2.30\n{ENABLE}")),
                ("jail.d/05-c.local", "[DEFAULT]\nignoreip = 192.0.2.40\n".into()),
            ],
        ),
        (
            "jail key in jail.d beats DEFAULT in jail.local",
            vec![
                ("jail.d/10-dovecot.conf", "[dovecot]\nignoreip = 10.9.9.9\n".into()),
                ("jail.local", format!("[DEFAULT]\nignoreip = 127.0.0.1/8\n{ENABLE}")),
            ],
        ),
        (
            "self reference",
            vec![("jail.local", format!("[DEFAULT]\nignoreip = 127.0.0.1/8\n{ENABLE}ignoreip = %(ignoreip)s 198.51.100.0/24\n"))],
        ),
        ("known in DEFAULT", local("[DEFAULT]\nignoreip = %(known/ignoreip)s 203.0.113.7")),
        (
            "known chained across files",
            vec![
                ("jail.local", "[DEFAULT]
ignoreip = 127.0.0.1/8
[postfix-sasl]
enabled = true
[dovecot]
enabled = true
ignoreip = %(known/ignoreip)s 10.0.0.1
".to_string()),
                ("jail.d/50.local", "[dovecot]\nignoreip = %(known/ignoreip)s 10.0.0.2\n".into()),
            ],
        ),
        (
            "odd entries",
            local("[DEFAULT]\nignoreip = 999.1.1.1 203.0.113.7/33 mail.example.org not_an_ip 192.168.1.0/255.255.255.0 10.1.2.3/24 [2001:db8::1]"),
        ),
        ("bad suffix", local("[DEFAULT]\nignoreip = 10.0.0.0/abc")),
        ("non-contiguous mask", local("[DEFAULT]\nignoreip = 192.168.1.0/255.255.0.255")),
        ("file entry", local("[DEFAULT]\nignoreip = file:/etc/fail2ban/ignoreip.txt")),
        (
            "comments, commas, tab",
            local("[DEFAULT]\nignoreip = 127.0.0.1/8, ::1 # admin home ; real comment\n    # dropped\n    127.0.0.1/8\t203.0.113.7,10.0.0.0/255.255.255.O"),
        ),
        ("semicolon glued", local("[DEFAULT]\nignoreip = 198.51.100.0/24;office")),
        (
            "enabled values",
            vec![("jail.local", "[dovecot]\nenabled = True\n[postfix-sasl]\nenabled = yes\n[postfix]\nenabled = on\n[sieve]\nenabled = 1\n[recidive]\nenabled = enable\n[courier-auth]\nenabled = y\n".into())],
        ),
        (
            "includes with local",
            vec![
                ("jail.local", format!("[INCLUDES]\nbefore = admin-ips.conf\n[DEFAULT]\nignoreip = 127.0.0.1/8 %(admin_ips)s\n{ENABLE}")),
                ("admin-ips.conf", "[DEFAULT]\nadmin_ips = 203.0.113.7\n".into()),
                ("admin-ips.local", "[DEFAULT]\nadmin_ips = 203.0.113.8\n".into()),
            ],
        ),
        ("duplicate key", local("[DEFAULT]\nignoreip = 1.2.3.4\nIgnoreIP = 5.6.7.8")),
        ("duplicate section", vec![("jail.local", format!("{ENABLE}[dovecot]\nport = imap\n"))]),
        (
            "ignoreself, ignorecommand, ignorecache",
            local("[DEFAULT]\nignoreself = false\nignorecommand = /usr/local/bin/known-ip <ip>\nignorecache = key=\"<ip>\", max-count=100, max-time=5m"),
        ),
        ("empty jail ignoreip", vec![("jail.local", format!("[DEFAULT]\nignoreip = 127.0.0.1/8\n{ENABLE}ignoreip =\n"))]),
        (
            "key case and wrong-case section",
            vec![("jail.local", "[DEFAULT]\nIgnoreIP = 10.0.0.1\n[Dovecot]\nenabled = true\n[dovecot]\nenabled = true\n".into())],
        ),
        ("lower-case default", local("[default]\nignoreip = 127.0.0.1/8 203.0.113.7")),
        (
            "ignoreip in fail2ban.local",
            vec![
                ("fail2ban.local", "[DEFAULT]\nignoreip = 127.0.0.1/8 203.0.113.7\n".into()),
                ("jail.local", ENABLE.into()),
            ],
        ),
        ("dynamic name", local("[DEFAULT]\nignoreip = 127.0.0.1/8 admin-home.dyndns.example.net")),
        (
            "admin whitelist in jail.d lost to jail value",
            vec![
                ("jail.local", "[postfix-sasl]\nenabled = true\n[dovecot]\nenabled = true\nignoreip = 127.0.0.1/8\n".into()),
                ("jail.d/99-admin-whitelist.local", "[DEFAULT]\nignoreip = 127.0.0.1/8 ::1 203.0.113.7\n".into()),
            ],
        ),
        (
            "multi-line value with blank line and interpolation",
            local("[DEFAULT]\nnets = 10.0.0.0/8\n\n  172.16.0.0/12\nignoreip = 127.0.0.1/8\n  %(nets)s\n  %(__name__)s.example.org"),
        ),
        ("missing interpolation key", local("[DEFAULT]\nignoreip = %(nope)s")),
        ("bad percent", local("[DEFAULT]\nignoreip = 10.0.0.1 50%")),
    ]
}

/// What fail2ban says: per enabled jail the ignore settings, skipped jails, exit code, error.
#[derive(Debug, Default, PartialEq)]
struct Outcome {
    jails: BTreeMap<String, JailIgnore>,
    skipped: Vec<String>,
    fatal: Option<String>,
}

#[derive(Debug, Default, PartialEq)]
struct JailIgnore {
    addignoreip: Option<Vec<String>>,
    ignoreself: Option<bool>,
    ignorecommand: Option<String>,
}

const TO_JSON: &str = "import sys, ast, json\nfor l in sys.stdin:\n    if l.startswith('['):\n        print(json.dumps(ast.literal_eval(l)))\n";

fn fail2ban(dir: &Path) -> Outcome {
    let out = Command::new("fail2ban-client")
        .arg("-c")
        .arg(dir)
        .arg("-d")
        .output()
        .expect("fail2ban-client runs");
    let mut outcome = Outcome::default();
    if out.status.code() == Some(255) {
        let stderr = String::from_utf8_lossy(&out.stderr).to_string()
            + &String::from_utf8_lossy(&out.stdout);
        let line = stderr
            .lines()
            .find_map(|l| {
                l.split_once("Failed during configuration: ")
                    .map(|(_, m)| m)
            })
            .unwrap_or("?");
        outcome.fatal = Some(line.to_string());
        return outcome;
    }
    let mut py = Command::new("/usr/bin/python3")
        .arg("-c")
        .arg(TO_JSON)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3");
    use std::io::Write;
    py.stdin.take().unwrap().write_all(&out.stdout).unwrap();
    let json = py.wait_with_output().unwrap();
    for line in String::from_utf8_lossy(&json.stdout).lines() {
        let v: Vec<Value> = serde_json::from_str(line).unwrap();
        let s = |i: usize| v.get(i).and_then(Value::as_str).unwrap_or("").to_string();
        match (s(0).as_str(), s(2).as_str()) {
            ("add", _) => {
                outcome.jails.entry(s(1)).or_default();
            }
            ("config-error", _) => {
                let name = s(1).split('\'').nth(1).unwrap_or("").to_string();
                outcome.skipped.push(name);
            }
            ("set", "addignoreip") => {
                outcome.jails.entry(s(1)).or_default().addignoreip =
                    Some((3..v.len()).map(s).collect());
            }
            ("set", "ignoreself") => {
                outcome.jails.entry(s(1)).or_default().ignoreself = v[3].as_bool();
            }
            ("set", "ignorecommand") => {
                outcome.jails.entry(s(1)).or_default().ignorecommand = Some(s(3));
            }
            _ => {}
        }
    }
    outcome
}

fn ours(cfg: &Fail2banConfig) -> Outcome {
    let mut outcome = Outcome::default();
    if let Some(p) = cfg.problems.iter().find(|p| p.fatal) {
        outcome.fatal = Some(p.message.clone());
        return outcome;
    }
    for jail in cfg.jails.iter().filter(|j| j.enabled) {
        if jail.skipped.is_some() {
            outcome.skipped.push(jail.name.clone());
            continue;
        }
        outcome.jails.insert(
            jail.name.clone(),
            JailIgnore {
                addignoreip: jail
                    .ignoreip
                    .as_ref()
                    .map(|i| i.entries.iter().map(|e| e.text.clone()).collect()),
                ignoreself: jail.ignoreself.as_ref().map(|(b, _)| *b),
                ignorecommand: jail.ignorecommand.as_ref().map(|(c, _)| c.clone()),
            },
        );
    }
    outcome
}

fn copy_dir(from: &Path, to: &Path) {
    let status = Command::new("cp")
        .arg("-r")
        .arg(from)
        .arg(to)
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn effective_whitelists_match_fail2ban_client() {
    if !available() {
        return;
    }
    let cases = cases();
    assert!(cases.len() >= 25);
    let mut settings = Settings::default();
    settings.fail2ban.version = Fail2banVersion::V1_0;
    let mut entries: Vec<(String, EntryClass)> = Vec::new();
    let mut failures = Vec::new();
    let (mut fatal, mut with_ignoreip) = (0, 0);
    for (name, files) in &cases {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("fail2ban");
        copy_dir(Path::new("/etc/fail2ban"), &dir);
        for (rel, text) in files {
            let path = dir.join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let theirs = fail2ban(&dir);
        let mut db = SourceDb::new();
        let cfg = load_dir(&mut db, &dir, &settings).unwrap();
        let mine = ours(&cfg);
        let agree = match (&theirs.fatal, &mine.fatal) {
            (Some(t), Some(m)) => t.ends_with(m.as_str()) || t.contains(m.as_str()),
            _ => theirs == mine,
        };
        fatal += usize::from(theirs.fatal.is_some());
        with_ignoreip += usize::from(theirs.jails.values().any(|j| j.addignoreip.is_some()));
        if !agree {
            failures.push(format!(
                "{name}:\n  fail2ban {theirs:?}\n  mxlint   {mine:?}"
            ));
        }
        for jail in cfg.enabled_jails() {
            for e in jail.ignoreip.iter().flat_map(|i| &i.entries) {
                entries.push((e.text.clone(), e.class.clone()));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The corpus exercises both outcomes (a guard against a comparison that sees nothing).
    assert!(
        fatal >= 7 && with_ignoreip >= 15,
        "fatal {fatal}, with ignoreip {with_ignoreip}"
    );
    assert!(entries.len() >= 40, "{} entries", entries.len());
    classes_match_ipaddr(&entries);
}

const CLASSIFY: &str = r#"import sys, json
from fail2ban.server.ipdns import IPAddr
for line in sys.stdin:
    t = json.loads(line)
    try:
        ip = IPAddr(t)
        c = 'single' if ip.isValid and ip.isSingle else ('network' if ip.isValid else 'raw')
        print(json.dumps([c, ip.isValid and ip.plen == 0]))
    except Exception as e:
        print(json.dumps(['error', str(e)]))
"#;

/// Every entry mxlint classified, against `IPAddr` of Debian's fail2ban 1.0.2.
fn classes_match_ipaddr(entries: &[(String, EntryClass)]) {
    let mut extra: Vec<(String, EntryClass)> = [
        "0.0.0.0/0",
        "10.0.0.1/-1",
        "::ffff:192.0.2.1",
        "2001:db8::/ffff:ffff::",
        "10.0.0.0/ 8",
        "1.2.3.4/32",
        "[::1]",
        "01.2.3.4",
        "fe80::1%eth0",
        "10.0.0.0/255.255.255.0/8",
        "a/b/c",
    ]
    .iter()
    .map(|t| {
        (
            t.to_string(),
            mxlint::model::fail2ban::entry::classify(t, Fail2banVersion::V1_0),
        )
    })
    .collect();
    extra.extend_from_slice(entries);
    let input: String = extra
        .iter()
        .map(|(t, _)| serde_json::to_string(t).unwrap() + "\n")
        .collect();
    let mut py = Command::new("/usr/bin/python3")
        .arg("-c")
        .arg(CLASSIFY)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3");
    use std::io::Write;
    py.stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = py.wait_with_output().unwrap();
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), extra.len());
    let mut failures = Vec::new();
    for ((text, class), theirs) in extra.iter().zip(&lines) {
        let mine = match class {
            EntryClass::Single(_) => serde_json::json!(["single", false]),
            EntryClass::Network { .. } => serde_json::json!(["network", false]),
            EntryClass::MatchesAll(_) => serde_json::json!(["network", true]),
            EntryClass::Dns | EntryClass::Raw | EntryClass::File(_) => {
                serde_json::json!(["raw", false])
            }
            EntryClass::Fatal(m) => serde_json::json!(["error", m]),
        };
        if &mine != theirs {
            failures.push(format!("{text:?}: IPAddr {theirs} mxlint {mine}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
