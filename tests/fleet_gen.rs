//! The fleet benchmark's generator (benches/fleet/gen.rs) writes repositories mxlint checks
//! without trouble, and mxlint finds exactly the mistakes the generator planted: a smoke test,
//! so `cargo test` stays fast (the benchmark itself runs only under `cargo bench --bench fleet`).

#[path = "../benches/fleet/gen.rs"]
mod gen;

use serde_json::Value;
use std::collections::BTreeSet;
use std::process::Command;

/// (host, code) for every host a diagnostic names.
fn findings(json: &Value) -> BTreeSet<(String, String)> {
    let mut found = BTreeSet::new();
    for d in json["diagnostics"].as_array().expect("diagnostics array") {
        let code = d["code"].as_str().expect("code").to_string();
        for host in d["hosts"].as_array().into_iter().flatten() {
            found.insert((host.as_str().expect("host").to_string(), code.clone()));
        }
    }
    found
}

fn check_generated_fleet(n: usize) {
    let fleet = gen::plan(n);
    let dir = tempfile::tempdir().unwrap();
    gen::write_repo(&fleet, dir.path()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_mxlint"))
        .args(["check", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "findings expected; stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(json["errors"].as_array().map(Vec::len), Some(0), "{json}");
    let expected: BTreeSet<(String, String)> = fleet
        .hosts
        .iter()
        .flat_map(|h| h.expected.iter().map(|c| (h.name.clone(), c.to_string())))
        .collect();
    assert_eq!(findings(&json), expected);
    // Every finding names hosts: nothing was reported about a file as a whole.
    for d in json["diagnostics"].as_array().unwrap() {
        assert!(d["hosts"].as_array().is_some_and(|h| !h.is_empty()), "{d}");
    }
}

#[test]
fn ten_host_fleet_gets_exactly_the_planted_findings() {
    let fleet = gen::plan(10);
    // The plan must plant each kind of mistake and leave some hosts correct, or the check
    // below would prove little.
    let codes: BTreeSet<&str> = fleet
        .hosts
        .iter()
        .flat_map(|h| h.expected.clone())
        .collect();
    assert_eq!(codes, BTreeSet::from(["MX301", "MX302", "MX401"]));
    assert!(fleet.hosts.iter().filter(|h| h.expected.is_empty()).count() >= 5);
    check_generated_fleet(10);
}

#[test]
fn hundred_host_fleet_with_every_kind_of_override_gets_exactly_the_planted_findings() {
    let fleet = gen::plan(100);
    let overrides: BTreeSet<&str> = fleet
        .hosts
        .iter()
        .flat_map(|h| h.vars.keys().copied())
        .collect();
    assert!(
        overrides.contains("dovecot_imap_vsz_limit"),
        "{overrides:?}"
    );
    assert!(fleet
        .hosts
        .iter()
        .any(|h| h.in_pop3 && h.expected.is_empty()));
    check_generated_fleet(100);
}

#[test]
fn same_size_gives_the_same_repository() {
    assert_eq!(
        gen::repo_files(&gen::plan(100)),
        gen::repo_files(&gen::plan(100))
    );
    assert_ne!(
        gen::repo_files(&gen::plan(100)),
        gen::repo_files(&gen::plan(101))
    );
}
