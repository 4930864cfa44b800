//! report_outputs: `--format github`, `--output FILE` and `--statistics` as users run them on
//! the example repository.

use assert_cmd::Command;
use serde_json::Value;
use std::fs;
use std::path::Path;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const EXAMPLE: &str = "examples/mail-fleet";

fn check(args: &[&str]) -> (i32, String, String) {
    let output = Command::cargo_bin("mxlint")
        .unwrap()
        .current_dir(ROOT)
        .env_remove("NO_COLOR")
        .args(["check"])
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn github_annotations_one_per_finding_then_a_summary() {
    let (code, out, _) = check(&["--format", "github", EXAMPLE]);
    assert_eq!(code, 1);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 6, "{out}");
    assert_eq!(
        lines[1],
        "::error file=examples/mail-fleet/roles/dovecot/templates/dovecot.conf.j2,line=16,col=1,\
         endLine=16,endColumn=1,title=MX301 default-vsz-limit-unset::`default_vsz_limit` is not \
         set: services run with the compiled default of 256M%0Ahosts: imap01.eu.example.org, \
         imap02.eu.example.org, imap01.us.example.org%0Ahelp: imap, lmtp, indexer-worker, \
         imap-hibernate, doveadm can be killed with \"error 83 (Out of memory)\" once a mailbox \
         index outgrows 256M; set `default_vsz_limit = 1G` (or more)"
    );
    let warning = lines.iter().find(|l| l.contains("title=MX503")).unwrap();
    assert!(
        warning.starts_with(
            "::warning file=examples/mail-fleet/roles/fail2ban/templates/jail.local.j2,line=16,"
        ),
        "{warning}"
    );
    // `%(known/ignoreip)s` in the help is escaped, not read as an escape by the runner.
    assert!(warning.contains("`%25(known/ignoreip)s`"), "{warning}");
    assert_eq!(
        lines[5],
        "mxlint: Found 5 problems (4 errors, 1 warning) in 3 files."
    );
}

#[test]
fn output_writes_the_same_report_to_a_file_and_replaces_it() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("mxlint.sarif");
    fs::write(&target, "old report").unwrap();
    let (code, out, _) = check(&[
        "--format",
        "json",
        "--output",
        target.to_str().unwrap(),
        EXAMPLE,
    ]);
    assert_eq!(code, 1, "the exit status does not change with --output");
    assert_eq!(out, "", "nothing on stdout");
    let (_, direct, _) = check(&["--format", "json", EXAMPLE]);
    assert_eq!(fs::read_to_string(&target).unwrap(), direct);
    let left: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["mxlint.sarif"], "no temporary file left behind");
}

#[test]
fn output_into_a_missing_directory_is_an_error_that_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("missing/out.txt");
    let (code, _, err) = check(&[
        "--format",
        "concise",
        "-o",
        target.to_str().unwrap(),
        EXAMPLE,
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("out.txt"), "{err}");
    assert!(!Path::new(&target).exists());
}

#[test]
fn statistics_follow_text_reports_and_live_inside_json_and_sarif() {
    let (_, out, _) = check(&["--format", "concise", "--statistics", EXAMPLE]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 5 + 1 + 5, "{out}");
    assert!(lines[5].starts_with("COUNT  CODE"), "{out}");
    let table: Vec<Vec<&str>> = lines[6..]
        .iter()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        table[0],
        ["1", "MX301", "default-vsz-limit-unset", "1"],
        "ties by code; MX301 has a fix"
    );
    assert!(table.iter().all(|row| row[0] == "1"));

    let (_, json, _) = check(&["--format", "json", "--statistics", EXAMPLE]);
    let json: Value = serde_json::from_str(&json).unwrap();
    let stats = json["statistics"].as_array().unwrap();
    assert_eq!(stats.len(), 5);
    assert_eq!(
        stats[1],
        serde_json::json!({"code": "MX302", "name": "default-vsz-limit-too-small", "count": 1, "fixable": 1})
    );
    let (_, plain, _) = check(&["--format", "json", EXAMPLE]);
    let plain: Value = serde_json::from_str(&plain).unwrap();
    assert!(
        plain.get("statistics").is_none(),
        "absent without --statistics"
    );

    let (_, sarif, _) = check(&["--format", "sarif", "--statistics", EXAMPLE]);
    let sarif: Value = serde_json::from_str(&sarif).unwrap();
    assert_eq!(
        sarif["runs"][0]["properties"]["statistics"],
        json["statistics"]
    );
}
