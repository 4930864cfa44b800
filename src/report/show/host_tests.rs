//! Tests of the host output of `mxlint show`: one host with every part, built from small
//! files, printed as JSON and as tables.

use super::{write_host_human, write_host_json};
use crate::config::{FirewalldVersion, Settings};
use crate::model::dovecot::DovecotVersion;
use crate::model::fail2ban::{load_tree, TreeFile, Trusted};
use crate::model::firewall::{FirewallHost, FirewallOp, OpOrigin, OpTarget};
use crate::model::host::MailHost;
use crate::net::Network;
use crate::source::{SourceDb, Span};
use serde_json::{json, Value};

const DOVECOT: &str =
    "protocols = imap\nservice imap-login {\n  inet_listener imaps {\n    port = 993\n  }\n}\n";
const MASTER: &str = "smtp inet n - n - - smtpd\nsubmission inet n - n - - smtpd\n127.0.0.1:10025 inet n - n - - smtpd\n";
const ZONE: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<zone>\n  <service name=\"ssh\"/>\n  <service name=\"smtp\"/>\n</zone>\n";
const TASKS: &str =
    "- firewalld: port=587/tcp permanent=true\n- firewalld: service=imaps immediate=true\n";
const JAIL: &str = "[DEFAULT]\nignoreip = 127.0.0.1/8 198.51.100.0/24\n\n[dovecot]\nenabled = true\nignoreip = 127.0.0.1/8 mail.example.org\nignorecommand = /usr/local/bin/trusted <ip>\n\n[postfix]\nenabled = false\n";

fn settings() -> Settings {
    let mut settings = Settings {
        dovecot_version: Some(DovecotVersion::V2_3),
        ..Default::default()
    };
    settings.firewalld.version = FirewalldVersion::V2_1;
    settings
}

fn op(db: &SourceDb, tasks: crate::source::FileId, word: &str, target: OpTarget) -> FirewallOp {
    let at = db.file(tasks).text().find(word).unwrap_or_default();
    let permanent = word.contains("587");
    FirewallOp {
        target,
        zone: None,
        permanent,
        immediate: !permanent,
        enable: true,
        offline: false,
        reloaded: false,
        origin: OpOrigin::Module,
        span: Span::new(tasks, at, at + word.len()),
        name_span: Span::new(tasks, at, at + word.len()),
        list: None,
    }
}

/// `mail01`: Dovecot with imaps, Postfix smtp + submission + a loopback service, a public zone
/// file opening smtp, a permanent 587 never reloaded and a runtime-only imaps, and fail2ban
/// whose dovecot jail replaces the DEFAULT whitelist.
fn host(db: &mut SourceDb) -> MailHost {
    let settings = settings();
    let dovecot_file = db.add("dovecot.conf", DOVECOT.into());
    let dovecot = crate::model::dovecot::load_loaded(db, dovecot_file, &settings);
    let master = db.add("master.cf", MASTER.into());
    let postfix =
        crate::model::postfix::model(&crate::parse::postfix::parse_master(master, MASTER), None);
    let zone = db.add("public.xml", ZONE.into());
    let tasks = db.add("tasks.yml", TASKS.into());
    let mut firewall = FirewallHost::new("public");
    firewall
        .zones
        .push(crate::parse::firewalld::parse_zone(zone, "public", ZONE));
    firewall.ops.push(op(
        db,
        tasks,
        "587/tcp",
        OpTarget::Port {
            port: "587".into(),
            proto: "tcp".into(),
        },
    ));
    firewall
        .ops
        .push(op(db, tasks, "imaps", OpTarget::Service("imaps".into())));
    let jail = db.add("jail.local", JAIL.into());
    let fail2ban = load_tree(
        db,
        &[TreeFile {
            rel: "jail.local".into(),
            file: jail,
        }],
        &settings,
    );
    MailHost {
        name: "mail01".into(),
        dovecot: Some(dovecot),
        postfix: Some(std::sync::Arc::new(postfix)),
        fail2ban: Some(std::sync::Arc::new(fail2ban)),
        firewall: Some(firewall),
        trusted: vec![Trusted {
            network: Network::parse("198.51.100.0/24").unwrap(),
            text: "198.51.100.0/24".into(),
            origin: None,
        }],
    }
}

fn json_of(db: &SourceDb, host: &MailHost) -> Value {
    let mut out = Vec::new();
    write_host_json(&mut out, db, host, &settings()).unwrap();
    serde_json::from_slice(&out).unwrap()
}

#[test]
fn json_keeps_the_dovecot_keys_on_top_and_adds_each_part() {
    let mut db = SourceDb::new();
    let host = host(&mut db);
    let value = json_of(&db, &host);
    assert_eq!(value["version"], 1);
    assert_eq!(value["host"], "mail01");
    assert_eq!(value["path"], "mail01");
    assert_eq!(value["dovecot_version"], "2.3");
    assert!(value["services"].as_array().is_some_and(|s| !s.is_empty()));
    let imaps = value["listeners"]
        .as_array()
        .and_then(|l| l.iter().find(|l| l["name"] == "imaps"))
        .cloned();
    assert_eq!(
        imaps,
        Some(json!({
            "service": "imap-login", "name": "imaps", "protocol": "imap", "port": 993,
            "address": null, "ssl": true, "enabled": true, "listens": true, "exposed": true,
            "explicit": true, "source": {"path": "dovecot.conf", "line": 4, "column": 5}
        }))
    );
    assert_eq!(
        value["postfix"]["services"][2],
        json!({"name": "127.0.0.1:10025", "host": "127.0.0.1", "port": 10025, "active": true,
               "exposed": false, "wrappermode": false,
               "source": {"path": "master.cf", "line": 3, "column": 1}})
    );
}

#[test]
fn json_requirements_say_what_the_default_zone_opens() {
    let mut db = SourceDb::new();
    let host = host(&mut db);
    let value = json_of(&db, &host);
    let summary: Vec<(Value, Value, Value)> = value["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["what"].clone(),
                r["open"].clone(),
                r["opened_by"]["via"].clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                json!("Postfix smtp (25/tcp)"),
                json!(true),
                json!("service smtp")
            ),
            // 587 is added permanent only, without a reload: not open yet.
            (
                json!("Postfix submission (587/tcp)"),
                json!(false),
                Value::Null
            ),
            (
                json!("Dovecot imap-login listener `imaps` (993/tcp)"),
                json!(true),
                json!("service imaps")
            ),
        ]
    );
    assert_eq!(value["requirements"][2]["opened_by"]["runtime_only"], true);
    assert_eq!(value["requirements"][0]["zone"], "public");
    assert_eq!(
        value["requirements"][0]["opened_by"]["source"],
        json!({"path": "public.xml", "line": 4, "column": 18})
    );
}

#[test]
fn json_firewalld_lists_effective_entries_and_pending_changes() {
    let mut db = SourceDb::new();
    let host = host(&mut db);
    let value = json_of(&db, &host);
    let fw = &value["firewalld"];
    assert_eq!(fw["default_zone"], "public");
    let zone = &fw["zones"][0];
    assert_eq!(zone["file"], "public.xml");
    let entries: Vec<(Value, Value, bool)> = zone["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["name"].clone(),
                e["ports"].clone(),
                e["runtime_only"] == true,
            )
        })
        .collect();
    assert_eq!(
        entries,
        [
            (json!("ssh"), json!(["22/tcp"]), false),
            (json!("smtp"), json!(["25/tcp"]), false),
            (json!("imaps"), json!(["993/tcp"]), true),
        ]
    );
    assert_eq!(
        fw["pending"],
        json!([
            {"zone": "public", "change": "add port 587/tcp", "state": "not-reloaded",
             "source": {"path": "tasks.yml", "line": 1, "column": 19}},
            {"zone": "public", "change": "add service imaps", "state": "runtime-only",
             "source": {"path": "tasks.yml", "line": 2, "column": 22}}
        ])
    );
}

#[test]
fn json_fail2ban_puts_enabled_jails_first_with_their_whitelist() {
    let mut db = SourceDb::new();
    let host = host(&mut db);
    let value = json_of(&db, &host);
    let f2b = &value["fail2ban"];
    assert_eq!(f2b["version"], "1.1");
    assert_eq!(f2b["enabled"], 1);
    assert_eq!(
        f2b["trusted"],
        json!([{"text": "198.51.100.0/24", "source": null}])
    );
    let jails = f2b["jails"].as_array().unwrap();
    assert_eq!(jails.len(), f2b["disabled"].as_u64().unwrap() as usize + 1);
    let dovecot = &jails[0];
    assert_eq!(dovecot["name"], "dovecot");
    assert_eq!(dovecot["ignorecommand"], "/usr/local/bin/trusted <ip>");
    assert_eq!(dovecot["ignoreself"], true);
    assert_eq!(
        dovecot["ignoreip"],
        json!({
            "source": {"path": "jail.local", "line": 6, "column": 1},
            "section": "dovecot", "from_default": false,
            "entries": [
                {"text": "127.0.0.1/8", "class": "network", "after_hash": false,
                 "source": {"path": "jail.local", "line": 6, "column": 12}},
                {"text": "mail.example.org", "class": "dns", "after_hash": false,
                 "source": {"path": "jail.local", "line": 6, "column": 24}}
            ],
            "lost_from_default": ["198.51.100.0/24"]
        })
    );
    assert_eq!(dovecot["misses_trusted"], json!(["198.51.100.0/24"]));
    let postfix = jails.iter().find(|j| j["name"] == "postfix");
    assert!(postfix.is_some_and(|j| j["enabled"] == false && j["misses_trusted"] == json!([])));
    assert!(jails[1..].iter().all(|j| j["enabled"] == false));
}

#[test]
fn json_without_dovecot_has_no_dovecot_keys_and_null_parts() {
    let mut db = SourceDb::new();
    let master = db.add("master.cf", MASTER.into());
    let host = MailHost {
        name: "master.cf".into(),
        postfix: Some(std::sync::Arc::new(crate::model::postfix::model(
            &crate::parse::postfix::parse_master(master, MASTER),
            None,
        ))),
        ..MailHost::default()
    };
    let value = json_of(&db, &host);
    let keys: Vec<&str> = value
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "version",
            "host",
            "postfix",
            "requirements",
            "firewalld",
            "fail2ban"
        ]
    );
    assert_eq!(value["requirements"][1]["open"], Value::Null);
    assert_eq!(value["requirements"][1]["zone"], Value::Null);
}

#[test]
fn human_prints_one_section_per_part() {
    let mut db = SourceDb::new();
    let host = host(&mut db);
    let mut out = Vec::new();
    write_host_human(&mut out, &db, &host, &settings()).unwrap();
    let text = String::from_utf8(out).unwrap();
    let tail = &text[text.find("\nPostfix:").unwrap_or_default()..];
    assert_eq!(
        tail,
        "\nPostfix: inet_interfaces = all (default)\n\
SERVICE          HOST       PORT   ACTIVE  EXPOSED  WRAPPER  LINE
smtp             -          25     yes     yes      no       master.cf:1:1
submission       -          587    yes     yes      no       master.cf:2:1
127.0.0.1:10025  127.0.0.1  10025  yes     no       no       master.cf:3:1

must be reachable (firewalld zone public):
NEEDS                                          OPEN  OPENED BY                                      NEEDED BY
Postfix smtp (25/tcp)                          yes   service smtp at public.xml:4:18                master.cf:1:1
Postfix submission (587/tcp)                   no    -                                              master.cf:2:1
Dovecot imap-login listener `imaps` (993/tcp)  yes   service imaps at tasks.yml:2:22, runtime only  dovecot.conf:4:5

firewalld: default zone public
zone public (file public.xml):
ENTRY          OPENS    SET BY
service ssh    22/tcp   public.xml:3:18
service smtp   25/tcp   public.xml:4:18
service imaps  993/tcp  tasks.yml:2:22 (runtime only)
not durably in effect:
ZONE    CHANGE             STATE         SET BY
public  add port 587/tcp   not-reloaded  tasks.yml:1:19
public  add service imaps  runtime-only  tasks.yml:2:22

fail2ban 1.1: 1 enabled, 90 disabled jails
trusted networks: 198.51.100.0/24
JAIL     IGNORESELF  IGNORECOMMAND                IGNOREIP SET BY            MISSES TRUSTED
dovecot  yes         /usr/local/bin/trusted <ip>  dovecot at jail.local:6:1  198.51.100.0/24
whitelist:
JAILS    ENTRY             CLASS    AT
dovecot  127.0.0.1/8       network  jail.local:6:12
dovecot  mail.example.org  dns      jail.local:6:24
"
    );
    assert!(text.starts_with("mail01: Dovecot 2.3"));
    assert!(text.contains("\nlisteners:\nSERVICE "));
}
