//! sarif: `mxlint check --format sarif` validated against the SARIF 2.1.0 schema by
//! `check-jsonschema`, and its content checked against what the example repository holds.
//!
//! The schema is `tests/fixtures/sarif-schema-2.1.0.json`, the OASIS draft-07 file
//! (`$id` https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json),
//! copied unchanged. `check-jsonschema` (PyPI 0.39.0, installed by `.ci/run`) must be on PATH
//! (locally: `PATH=/tmp/mxlint-ci-venv/bin:$PATH cargo test --test sarif`). Without it the
//! validation prints a NOTICE and is skipped, unless `CI` is set, where it fails. A known-bad
//! log proves the validator rejects what it should.

use serde_json::Value;
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn schema() -> PathBuf {
    Path::new(ROOT).join("tests/fixtures/sarif-schema-2.1.0.json")
}

/// `mxlint check --format sarif ARGS` run in `dir`; the exit code and the parsed log.
fn sarif(dir: &Path, args: &[&str]) -> (i32, Value) {
    let output = assert_cmd::Command::cargo_bin("mxlint")
        .unwrap()
        .current_dir(dir)
        .args(["check", "--format", "sarif"])
        .args(args)
        .output()
        .unwrap();
    let log = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.code().unwrap_or(-1), log)
}

fn check_jsonschema_available() -> bool {
    let found = Command::new("check-jsonschema")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none_or(|v| v.is_empty()),
            "CI is set but check-jsonschema is not on PATH; .ci/run installs it in its venv"
        );
        eprintln!(
            "NOTICE: check-jsonschema not found on PATH; skipping SARIF schema validation \
             (PATH=/tmp/mxlint-ci-venv/bin:$PATH to run it)"
        );
    }
    found
}

/// Runs check-jsonschema on `log`; Ok(()) when valid, Err(its output) when not.
///
/// `--regex-variant nonunicode`: the OASIS schema's `toolComponent.language` pattern
/// `^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$` has a stray `]`, which ECMAScript accepts only
/// outside unicode mode; with the default variant check-jsonschema 0.39.0 rejects the schema
/// itself ("schemafile was not valid").
fn validate(log: &Value) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("out.sarif");
    fs::write(&file, serde_json::to_vec_pretty(log).unwrap()).unwrap();
    let output = Command::new("check-jsonschema")
        .args(["--regex-variant", "nonunicode", "--schemafile"])
        .arg(schema())
        .arg(&file)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    if output.status.success() {
        Ok(())
    } else {
        Err(text)
    }
}

fn results(log: &Value) -> &Vec<Value> {
    log["runs"][0]["results"].as_array().unwrap()
}

fn result<'a>(log: &'a Value, rule: &str) -> &'a Value {
    results(log)
        .iter()
        .find(|r| r["ruleId"] == rule)
        .unwrap_or_else(|| panic!("no {rule} result"))
}

fn region(location: &Value) -> (u64, u64, u64, u64) {
    let r = &location["physicalLocation"]["region"];
    let n = |k: &str| r[k].as_u64().unwrap();
    (
        n("startLine"),
        n("startColumn"),
        n("endLine"),
        n("endColumn"),
    )
}

fn uri(location: &Value) -> &str {
    location["physicalLocation"]["artifactLocation"]["uri"]
        .as_str()
        .unwrap()
}

#[test]
fn example_repository_log_is_valid_and_complete() {
    let (code, log) = sarif(Path::new(ROOT), &["examples/mail-fleet"]);
    assert_eq!(code, 1, "findings exit 1 in SARIF mode too");
    if check_jsonschema_available() {
        validate(&log).unwrap_or_else(|e| panic!("invalid SARIF: {e}"));
    }

    let run = &log["runs"][0];
    assert_eq!(run["columnKind"], "utf16CodeUnits");
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), mxlint::rules::ALL.len());

    let ids: BTreeSet<&str> = results(&log)
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        BTreeSet::from(["MX301", "MX302", "MX401", "MX502", "MX503"])
    );
    for r in results(&log) {
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(
            rules[index]["id"], r["ruleId"],
            "ruleIndex points at its rule"
        );
        assert_eq!(
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"],
            "%SRCROOT%"
        );
    }

    let template = "examples/mail-fleet/roles/dovecot/templates/dovecot.conf.j2";
    // MX301: the insertion point after `protocols` on line 16, three hosts, a safe fix.
    let unset = result(&log, "MX301");
    assert_eq!(uri(&unset["locations"][0]), template);
    assert_eq!(region(&unset["locations"][0]), (16, 1, 16, 1));
    assert_eq!(
        unset["properties"]["hosts"],
        serde_json::json!([
            "imap01.eu.example.org",
            "imap02.eu.example.org",
            "imap01.us.example.org"
        ])
    );
    assert!(unset["message"]["text"]
        .as_str()
        .unwrap()
        .contains("hosts: imap01.eu.example.org, imap02.eu.example.org, imap01.us.example.org"));
    let replacement = &unset["fixes"][0]["artifactChanges"][0]["replacements"][0];
    assert_eq!(
        replacement["insertedContent"]["text"],
        "default_vsz_limit = 1G\n"
    );

    // MX302: the 512M of the fourth host, with the host_vars line as related location.
    let small = result(&log, "MX302");
    assert_eq!(region(&small["locations"][0]).0, 14);
    assert_eq!(
        small["properties"]["hosts"],
        serde_json::json!(["imap02.us.example.org"])
    );
    let related = &small["relatedLocations"][0];
    assert_eq!(
        uri(related),
        "examples/mail-fleet/host_vars/imap02.us.example.org.yml"
    );
    assert_eq!(region(related).0, 2);

    // MX401 on the submission line of master.cf.j2 for all four hosts; MX502 names group_vars.
    let exposed = result(&log, "MX401");
    assert_eq!(
        uri(&exposed["locations"][0]),
        "examples/mail-fleet/roles/postfix/templates/master.cf.j2"
    );
    assert_eq!(region(&exposed["locations"][0]).0, 8);
    assert_eq!(exposed["properties"]["hosts"].as_array().unwrap().len(), 4);
    let trusted = result(&log, "MX502");
    assert!(trusted["relatedLocations"]
        .as_array()
        .unwrap()
        .iter()
        .all(|l| uri(l) == "examples/mail-fleet/group_vars/all.yml"));

    let prints: BTreeSet<&str> = results(&log)
        .iter()
        .map(|r| {
            r["partialFingerprints"][mxlint::report::sarif::FINGERPRINT_KEY]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(
        prints.len(),
        results(&log).len(),
        "fingerprints differ: {prints:?}"
    );
}

#[test]
fn plain_file_with_a_fix_and_an_unreadable_file() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join(".git")).unwrap();
    fs::write(
        dir.path().join("dovecot.conf"),
        "dovecot_config_version = 2.4.0\ndovecot_storage_version = 2.4.0\nprotocols = imap lmtp\n",
    )
    .unwrap();
    let (code, log) = sarif(dir.path(), &["dovecot.conf"]);
    assert_eq!(code, 1);
    let unset = result(&log, "MX301");
    assert_eq!(uri(&unset["locations"][0]), "dovecot.conf");
    assert_eq!(unset["properties"]["hosts"], serde_json::json!([]));
    assert_eq!(unset["fixes"][0]["properties"]["applicability"], "safe");
    let root = log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    assert!(
        root.starts_with("file:///") && root.ends_with('/'),
        "{root}"
    );

    fs::write(dir.path().join("bad.conf"), b"protocols = imap\n\xff\n").unwrap();
    let (code, broken) = sarif(dir.path(), &["bad.conf"]);
    assert_eq!(code, 2, "an unreadable file still ends the run with 2");
    let invocation = &broken["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let note = &invocation["toolExecutionNotifications"][0];
    assert_eq!(uri(&note["locations"][0]), "bad.conf");
    assert_eq!(
        note["locations"][0]["physicalLocation"]["region"]["startLine"],
        2
    );

    if check_jsonschema_available() {
        validate(&log).unwrap_or_else(|e| panic!("invalid SARIF: {e}"));
        validate(&broken).unwrap_or_else(|e| panic!("invalid SARIF: {e}"));
    }
}

#[test]
fn the_validator_rejects_a_broken_log() {
    if !check_jsonschema_available() {
        return;
    }
    let (_, log) = sarif(Path::new(ROOT), &["examples/mail-fleet"]);
    for (pointer, bad) in [
        (
            "/runs/0/results/0/locations/0/physicalLocation/region/startLine",
            0.into(),
        ),
        ("/runs/0/results/0/level", "fatal".into()),
        ("/version", "2.0.0".into()),
    ] {
        let mut broken = log.clone();
        *broken.pointer_mut(pointer).unwrap() = bad;
        assert!(validate(&broken).is_err(), "{pointer} accepted");
    }
}
