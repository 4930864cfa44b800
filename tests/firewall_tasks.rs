//! firewall_tasks: the firewalld changes mxlint reads off a repository's tasks, per host —
//! module arguments in both styles, loops, `when:`, `firewall-cmd` in command/shell, and
//! which changes a reload makes effective.

use mxlint::model::firewall::{FirewallOp, OpOrigin, OpTarget};
use mxlint::repo::firewall::host_firewall;
use mxlint::repo::{load, RepoOptions};
use std::path::Path;

/// (what, zone, permanent, immediate, enable, reloaded, "origin written-text")
type Row = (String, Option<String>, bool, bool, bool, bool, String);

fn actions_of(host: &str) -> Vec<Row> {
    let root = Path::new("tests/fixtures/firewall-tasks");
    let loaded = load(root, &RepoOptions::default());
    assert!(
        loaded.diagnostics.is_empty(),
        "{:?}",
        loaded
            .diagnostics
            .iter()
            .map(|d| &d.message)
            .collect::<Vec<_>>()
    );
    let index = loaded.fleet.host_index(host).expect("host");
    host_firewall(&loaded.firewall, index, "public")
        .ops
        .iter()
        .map(|a: &FirewallOp| {
            let what = match &a.target {
                OpTarget::Service(s) => format!("service {s}"),
                OpTarget::Port { port, proto } => format!("port {port}/{proto}"),
                OpTarget::RichRule(r) => format!("rule {r}"),
                OpTarget::Other => "other".into(),
            };
            let origin = match a.origin {
                OpOrigin::Module => "module",
                OpOrigin::Command => "command",
            };
            (
                what,
                a.zone.clone(),
                a.permanent,
                a.immediate,
                a.enable,
                a.reloaded,
                format!("{origin} {}", loaded.db.text(a.name_span)),
            )
        })
        .collect()
}

fn row(
    what: &str,
    zone: Option<&str>,
    permanent: bool,
    immediate: bool,
    reloaded: bool,
    written: &str,
) -> Row {
    (
        what.to_string(),
        zone.map(str::to_string),
        permanent,
        immediate,
        true,
        reloaded,
        written.to_string(),
    )
}

#[test]
fn module_command_and_shell_changes_per_host() {
    let common_head = vec![
        // The loop items point at their entries in group_vars.
        row("service smtp", None, true, true, true, "module smtp"),
        row(
            "service smtp-submission",
            None,
            true,
            true,
            true,
            "module smtp-submission",
        ),
    ];
    let common_tail = vec![
        row(
            "service submission",
            Some("public"),
            true,
            false,
            true,
            "command submission",
        ),
        row("port 465/tcp", None, true, false, true, "command 465/tcp"),
        row("port 465/tcp", None, false, true, true, "command 465/tcp"),
        // `firewalld: service=imaps state=enabled`: neither flag set means runtime only.
        row("service imaps", None, false, true, true, "module imaps"),
        // Permanent only, and no reload after it.
        row("service pop3s", None, true, false, false, "module pop3s"),
    ];
    let mut mx1 = common_head.clone();
    mx1.extend(common_tail.clone());
    assert_eq!(actions_of("mx1.example.org"), mx1);

    // mx2 also opens 4190 in FedoraServer; its handler (firewall-cmd --reload) applies it.
    let mut mx2 = common_head;
    mx2.push(row(
        "port 4190/tcp",
        Some("FedoraServer"),
        true,
        false,
        true,
        // The span is the value inside the quotes (what a rename would replace).
        "module {{ item.port }}/{{ item.proto }}",
    ));
    mx2.extend(common_tail);
    assert_eq!(actions_of("mx2.example.org"), mx2);
}
