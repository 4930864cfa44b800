//! cli: the `mxlint` binary as users run it — exit codes, subcommands, output formats, config
//! discovery and errors. Fixtures live in `tests/fixtures/cli/`.

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use std::fs;
use std::io::Read;
use std::path::Path;
use std::process::Stdio;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/cli");

fn mxlint() -> Command {
    let mut cmd = Command::cargo_bin("mxlint").unwrap();
    cmd.env_remove("NO_COLOR");
    cmd
}

/// `mxlint` run inside the fixture directory, so paths stay short and relative.
fn in_fixtures() -> Command {
    let mut cmd = mxlint();
    cmd.current_dir(FIXTURES);
    cmd
}

fn stdout_of(cmd: &mut Command) -> String {
    String::from_utf8(cmd.output().unwrap().stdout).unwrap()
}

/// A scratch repository (it has `.git`, so discovery stops there) holding `files`.
fn repo(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join(".git")).unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
    dir
}

fn fixture_text(name: &str) -> String {
    fs::read_to_string(Path::new(FIXTURES).join(name)).unwrap()
}

// ── usage errors ────────────────────────────────────────────────────────────────────────────

#[test]
fn no_subcommand_is_a_usage_error() {
    mxlint().assert().code(2);
}

#[test]
fn check_without_a_path_needs_an_ansible_repository_here() {
    let empty = tempfile::tempdir().unwrap();
    mxlint()
        .current_dir(empty.path())
        .args(["check", "--isolated"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not an Ansible repository"));
}

#[test]
fn unknown_flag_is_a_usage_error() {
    in_fixtures()
        .args(["check", "--frobnicate", "unset/dovecot.conf"])
        .assert()
        .code(2);
}

#[test]
fn bad_select_and_ignore_values_exit_2() {
    for args in [
        &["--select", "MX9"][..],
        &["--select", "no-such-rule"],
        &["--select", "MX301,"],
        &["--ignore", "MX301,bogus"],
        &["--ignore", ""],
    ] {
        in_fixtures()
            .arg("check")
            .args(args)
            .arg("unset/dovecot.conf")
            .assert()
            .code(2)
            .stderr(predicate::str::contains("unknown rule selector"));
    }
}

#[test]
fn bad_option_values_exit_2() {
    for args in [
        &["--dovecot-version", "2.5"][..],
        &["--min-vsz-limit", "512k"],
        &["--min-vsz-limit", "lots"],
        &["--fail-level", "fatal"],
        &["--format", "xml"],
        &["--config", "x.yml", "--isolated"],
    ] {
        in_fixtures()
            .arg("check")
            .args(args)
            .arg("unset/dovecot.conf")
            .assert()
            .code(2);
    }
}

#[test]
fn help_states_the_exit_codes() {
    for args in [&["--help"][..], &["check", "--help"]] {
        mxlint()
            .args(args)
            .assert()
            .success()
            .stdout(predicate::str::contains("Exit status:"))
            .stdout(predicate::str::contains("  2  usage"));
    }
}

// ── rules and rule ──────────────────────────────────────────────────────────────────────────

#[test]
fn rules_lists_every_rule() {
    let out = stdout_of(mxlint().arg("rules"));
    for rule in mxlint::rules::ALL {
        let row = out
            .lines()
            .find(|l| l.starts_with(rule.code))
            .unwrap_or_else(|| panic!("{} missing:\n{out}", rule.code));
        assert!(row.contains(rule.name), "{row}");
        assert!(row.contains(rule.severity.as_str()), "{row}");
    }
}

#[test]
fn rule_by_code_and_by_name_print_the_same_doc() {
    let by_code = stdout_of(mxlint().args(["rule", "MX301"]));
    let by_name = stdout_of(mxlint().args(["rule", "default-vsz-limit-unset"]));
    assert_eq!(by_code, by_name);
    assert!(by_code.contains("MX301"), "{by_code}");
    let rule = mxlint::rules::find("MX301").unwrap();
    if !rule.doc.is_empty() {
        assert_eq!(by_code.trim_end(), rule.doc.trim_end());
    }
}

#[test]
fn unknown_rule_exits_2_with_suggestions() {
    mxlint()
        .args(["rule", "MX3O1"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("unknown rule `MX3O1`"))
        .stderr(predicate::str::contains("did you mean: MX301"));
    mxlint()
        .args(["rule", "default-vsz-limit-unsett"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("MX301"));
}

// ── config files ────────────────────────────────────────────────────────────────────────────

#[test]
fn config_with_unknown_key_exits_2_naming_line_and_column() {
    in_fixtures()
        .args([
            "check",
            "--config",
            "bad-config/mxlint.yml",
            "unset/dovecot.conf",
        ])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(
            "bad-config/mxlint.yml:3:3: unknown key `min_vsz_limit`",
        ));
}

#[test]
fn discovered_config_with_unknown_key_exits_2() {
    let dir = repo(&[
        (".mxlint.yml", "select: [MX3]\nfail_level: error\n"),
        (
            "roles/dovecot/dovecot.conf",
            &fixture_text("unset/dovecot.conf"),
        ),
    ]);
    mxlint()
        .current_dir(dir.path())
        .args(["check", "roles/dovecot/dovecot.conf"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            ".mxlint.yml:2:1: unknown key `fail_level`",
        ));
    // --isolated skips the broken file.
    mxlint()
        .current_dir(dir.path())
        .args([
            "check",
            "--isolated",
            "--exit-zero",
            "roles/dovecot/dovecot.conf",
        ])
        .assert()
        .code(0);
}

#[test]
fn config_with_an_unknown_selector_exits_2() {
    let dir = repo(&[
        (".mxlint.yml", "ignore:\n  - MX301\n  - nope\n"),
        ("dovecot.conf", &fixture_text("unset/dovecot.conf")),
    ]);
    mxlint()
        .current_dir(dir.path())
        .args(["check", "dovecot.conf"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            ".mxlint.yml:3:5: ignore: unknown rule selector",
        ));
}

#[test]
fn config_layers_under_the_command_line() {
    let dir = repo(&[
        (".mxlint.yml", "ignore: [default-vsz-limit-unset]\n"),
        ("dovecot.conf", &fixture_text("unset/dovecot.conf")),
    ]);
    let run = |args: &[&str]| {
        let mut cmd = mxlint();
        cmd.current_dir(dir.path())
            .args(["check", "--format", "concise"])
            .args(args)
            .arg("dovecot.conf");
        let out = cmd.output().unwrap();
        (
            out.status.code(),
            String::from_utf8(out.stdout).unwrap().contains("[MX301]"),
        )
    };
    assert_eq!(run(&[]), (Some(0), false), "the file ignores MX301");
    assert_eq!(run(&["--isolated"]), (Some(1), true));
    assert_eq!(
        run(&["--select", "MX301"]),
        (Some(1), true),
        "--select starts afresh"
    );
}

// ── check ───────────────────────────────────────────────────────────────────────────────────

#[test]
fn missing_default_vsz_limit_is_mx301_and_exits_1() {
    in_fixtures()
        .args(["check", "unset/dovecot.conf"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("[MX301] default-vsz-limit-unset"))
        .stdout(predicate::str::contains("unset/dovecot.conf:"))
        .stdout(predicate::str::contains("see: mxlint rule MX301"))
        .stdout(predicate::str::contains("Found 1 problem"));
}

#[test]
fn exit_zero_and_ignore_turn_findings_into_success() {
    in_fixtures()
        .args(["check", "--exit-zero", "unset/dovecot.conf"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("MX301"));
    in_fixtures()
        .args(["check", "--ignore", "MX301", "unset/dovecot.conf"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("All checks passed."));
}

#[test]
fn findings_below_the_fail_level_do_not_fail() {
    let rule = mxlint::rules::find("MX301").unwrap();
    let above = match rule.severity.as_str() {
        "error" => None,
        "warning" => Some("error"),
        "info" => Some("warning"),
        _ => Some("info"),
    };
    in_fixtures()
        .args([
            "check",
            "--fail-level",
            rule.severity.as_str(),
            "unset/dovecot.conf",
        ])
        .assert()
        .code(1);
    if let Some(above) = above {
        in_fixtures()
            .args(["check", "--fail-level", above, "unset/dovecot.conf"])
            .assert()
            .code(0);
    }
}

#[test]
fn clean_file_passes() {
    in_fixtures()
        .args(["check", "clean/dovecot.conf"])
        .assert()
        .code(0)
        .stdout("All checks passed.\n");
}

#[test]
fn unreadable_file_is_reported_and_the_run_goes_on_then_exits_2() {
    in_fixtures()
        .args([
            "check",
            "--format",
            "concise",
            "missing.conf",
            "unset/dovecot.conf",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with("error: missing.conf"))
        .stdout(predicate::str::contains("unset/dovecot.conf:"));
}

#[test]
fn concise_lines_have_the_gcc_shape_and_relative_paths() {
    let out = stdout_of(in_fixtures().args(["check", "--format", "concise", "unset/dovecot.conf"]));
    let shape =
        predicate::str::is_match(r"^[^:]+:\d+:\d+: (error|warning|info|style)\[MX\d{3}\] .+$")
            .unwrap();
    assert!(!out.is_empty());
    for line in out.lines() {
        assert!(shape.eval(line), "{line:?}");
        assert!(line.starts_with("unset/dovecot.conf:"), "{line:?}");
    }
    assert!(out.lines().any(|l| l.contains("[MX301]")), "{out}");
}

#[test]
fn json_report_parses_and_has_every_field() {
    let out = stdout_of(in_fixtures().args(["check", "--format", "json", "unset/dovecot.conf"]));
    let json: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["version"], 1);
    assert_eq!(json["tool"]["name"], "mxlint");
    assert_eq!(json["tool"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(json["errors"], serde_json::json!([]));
    let diagnostics = json["diagnostics"].as_array().unwrap();
    let mx301 = diagnostics
        .iter()
        .find(|d| d["code"] == "MX301")
        .unwrap_or_else(|| panic!("no MX301 in {json}"));
    for key in [
        "code",
        "name",
        "severity",
        "message",
        "help",
        "path",
        "line",
        "column",
        "end_line",
        "end_column",
        "hosts",
        "related",
        "fix",
    ] {
        assert!(mx301.get(key).is_some(), "{key} missing in {mx301}");
    }
    assert_eq!(mx301["name"], "default-vsz-limit-unset");
    assert_eq!(mx301["path"], "unset/dovecot.conf");
    assert!(mx301["line"].as_u64().unwrap() >= 1);
    assert!(mx301["column"].as_u64().unwrap() >= 1);
    let summary = &json["summary"];
    let total: u64 = ["errors", "warnings", "infos", "styles"]
        .iter()
        .map(|k| summary[k].as_u64().unwrap())
        .sum();
    assert_eq!(total, diagnostics.len() as u64);
    assert_eq!(summary["files"], 1);
}

#[test]
fn json_lists_file_errors() {
    let out = stdout_of(in_fixtures().args(["check", "--format", "json", "missing.conf"]));
    let json: Value = serde_json::from_str(&out).unwrap();
    let errors = json["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["path"], "missing.conf");
    assert!(errors[0]["message"].is_string());
}

#[test]
fn output_to_a_pipe_has_no_escape_codes() {
    let out = stdout_of(in_fixtures().args(["check", "unset/dovecot.conf"]));
    assert!(!out.contains('\u{1b}'), "{out}");
}

#[test]
fn closed_stdout_exits_0_quietly() {
    // 200 findings of human output (over 100 KB) overflow any pipe buffer, so mxlint is still
    // writing after the reader has gone.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_mxlint"))
        .current_dir(FIXTURES)
        .args(["check", "--isolated"])
        .args(std::iter::repeat_n("unset/dovecot.conf", 200))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "stderr: {stderr}");
    assert_eq!(stderr, "");
}

// ── show ────────────────────────────────────────────────────────────────────────────────────

#[test]
fn show_json_is_the_effective_model() {
    let out = stdout_of(in_fixtures().args(["show", "--format", "json", "clean/dovecot.conf"]));
    let json: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["version"], 1);
    assert_eq!(json["path"], "clean/dovecot.conf");
    assert_eq!(json["dovecot_version"], "2.4");
    assert_eq!(json["version_source"], "file");
    assert_eq!(json["protocols"], serde_json::json!(["imap", "lmtp"]));
    let services = json["services"].as_array().unwrap();
    let imap = services.iter().find(|s| s["name"] == "imap").unwrap();
    assert_eq!(imap["enabled"], true);
    assert_eq!(imap["opens_mailboxes"], true);
    assert_eq!(imap["vsz_limit"], 2u64 << 30);
    assert_eq!(imap["source"]["kind"], "default_vsz_limit");
    assert_eq!(imap["source"]["path"], "clean/dovecot.conf");
    assert_eq!(imap["source"]["line"], 4);
    assert!(imap["source"]["column"].as_u64().unwrap() >= 1);
}

#[test]
fn show_marks_the_compiled_default_and_forced_versions() {
    let out = stdout_of(in_fixtures().args([
        "show",
        "--format",
        "json",
        "--dovecot-version",
        "2.4",
        "unset/dovecot.conf",
    ]));
    let json: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["version_source"], "settings");
    let imap = json["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "imap")
        .unwrap()
        .clone();
    assert_eq!(imap["vsz_limit"], 256u64 << 20);
    assert_eq!(
        imap["source"],
        serde_json::json!({"kind": "compiled-default"})
    );
}

#[test]
fn show_human_is_a_table() {
    in_fixtures()
        .args(["show", "clean/dovecot.conf"])
        .assert()
        .success()
        .stdout(predicate::str::contains("clean/dovecot.conf: Dovecot 2.4"))
        .stdout(predicate::str::contains("SERVICE"))
        .stdout(
            predicate::str::is_match(
                r"(?m)^imap +yes +yes +2 G +default_vsz_limit at clean/dovecot.conf:4:",
            )
            .unwrap(),
        );
}

#[test]
fn show_of_a_missing_file_exits_2() {
    in_fixtures()
        .args(["show", "missing.conf"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with("error: missing.conf"));
}

/// `mxlint check --isolated --fix [--unsafe-fixes] PATH`, then the file's new text.
fn fix_file(path: &Path, unsafe_fixes: bool, code: i32) -> String {
    let mut cmd = mxlint();
    cmd.args(["check", "--isolated", "--fix"]);
    if unsafe_fixes {
        cmd.arg("--unsafe-fixes");
    }
    cmd.arg(path).assert().code(code);
    fs::read_to_string(path).unwrap()
}

const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples");

#[test]
fn check_never_writes_without_fix() {
    let original = fs::read_to_string(format!("{EXAMPLES}/fedora-stock/dovecot.conf")).unwrap();
    let dir = repo(&[("dovecot.conf", &original)]);
    let path = dir.path().join("dovecot.conf");
    mxlint()
        .args(["check", "--isolated"])
        .arg(&path)
        .assert()
        .code(1);
    assert_eq!(fs::read_to_string(&path).unwrap(), original);
}

#[test]
fn fix_inserts_the_missing_limit_on_fedoras_stock_config() {
    let original = fs::read_to_string(format!("{EXAMPLES}/fedora-stock/dovecot.conf")).unwrap();
    let dir = repo(&[("dovecot.conf", &original)]);
    let path = dir.path().join("dovecot.conf");
    mxlint()
        .args(["check", "--isolated", "--fix"])
        .arg(&path)
        .assert()
        .code(0)
        .stderr(predicate::str::contains("Applied 1 fix"));
    let fixed = fs::read_to_string(&path).unwrap();
    assert!(
        fixed.contains("  lmtp = yes\n}\ndefault_vsz_limit = 1G\n\nmail_home"),
        "{fixed}"
    );
    // The bundled fixed twin is exactly this, but for its heading comment.
    let twin = fs::read_to_string(format!("{EXAMPLES}/fedora-stock-fixed/dovecot.conf")).unwrap();
    assert_eq!(
        fixed.lines().skip(2).collect::<Vec<_>>(),
        twin.lines().skip(2).collect::<Vec<_>>()
    );
}

#[test]
fn fix_leaves_unsafe_fixes_alone_unless_asked() {
    let text = "protocols = imap\ndefault_vsz_limt = 1G\ndefault_vsz_limit = 1G\n";
    let dir = repo(&[("dovecot.conf", text)]);
    let path = dir.path().join("dovecot.conf");
    assert_eq!(fix_file(&path, false, 1), text, "a rename is an unsafe fix");
    assert_eq!(
        fix_file(&path, true, 0),
        "protocols = imap\ndefault_vsz_limit = 1G\ndefault_vsz_limit = 1G\n"
    );
}

#[test]
fn suppression_comment_silences_one_rule() {
    let text = "# mxlint: disable=default-vsz-limit-unset -- tiny test host\nprotocols = imap\n";
    let dir = repo(&[("dovecot.conf", text)]);
    mxlint()
        .args(["check", "--isolated"])
        .arg(dir.path().join("dovecot.conf"))
        .assert()
        .code(0);
    let text = "protocols = imap lmtp\ndefault_vsz_limit = 1G\n# mxlint: disable=MX303\nservice imap {\n  vsz_limit = 512M\n}\nservice lmtp {\n  vsz_limit = 512M\n}\n";
    let dir = repo(&[("dovecot.conf", text)]);
    let out = stdout_of(
        mxlint()
            .args(["check", "--isolated", "--format", "concise"])
            .arg(dir.path().join("dovecot.conf")),
    );
    assert!(
        out.contains(":8:15: error[MX303]") && !out.contains(":5:"),
        "{out}"
    );
}

#[test]
fn secrets_next_to_a_finding_are_masked_in_every_format() {
    let text = "protocols = imap\nssl_key_password = hunter2-secret\nmail_plugins = quota#acl\nimapc_password = \"x\\qhunter3\"\ndefault_vsz_limit = 1G\n";
    let dir = repo(&[("dovecot.conf", text)]);
    let path = dir.path().join("dovecot.conf");
    for format in ["human", "concise", "json"] {
        for version in ["2.3", "2.4"] {
            let out = mxlint()
                .args([
                    "check",
                    "--isolated",
                    "--no-color",
                    "--format",
                    format,
                    "--dovecot-version",
                    version,
                ])
                .arg(&path)
                .output()
                .unwrap();
            let all = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(
                all.contains("MX204") || version == "2.4",
                "{format} {version}: {all}"
            );
            assert!(
                !all.contains("hunter"),
                "{format} {version} leaks a secret: {all}"
            );
        }
    }
}

#[test]
fn byte_order_mark_is_explained_and_fixable() {
    let dir = repo(&[(
        "dovecot.conf",
        "\u{feff}protocols = imap\ndefault_vsz_limit = 1G\n",
    )]);
    let path = dir.path().join("dovecot.conf");
    let json: Value = serde_json::from_str(&stdout_of(
        mxlint()
            .args(["check", "--isolated", "--format", "json"])
            .arg(&path),
    ))
    .unwrap();
    let d = &json["diagnostics"][0];
    assert_eq!(d["code"], "MX205");
    assert!(
        d["help"].as_str().unwrap().contains("byte order mark"),
        "{d}"
    );
    assert_eq!(
        fix_file(&path, true, 0),
        "protocols = imap\ndefault_vsz_limit = 1G\n"
    );
}

#[test]
fn diff_shows_the_fix_without_writing_and_fix_keeps_permissions_and_line_endings() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dovecot.conf");
    let original = "protocols = imap lmtp\r\nmail_location = maildir:~/Maildir\r\n";
    fs::write(&path, original).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
    let out = mxlint()
        .args(["check", "--isolated", "--diff"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let diff = String::from_utf8(out.stdout).unwrap();
    assert!(diff.contains("+default_vsz_limit = 1G"), "{diff}");
    assert!(diff.starts_with("--- a/"), "{diff}");
    assert_eq!(fs::read_to_string(&path).unwrap(), original, "--diff wrote");

    mxlint()
        .args(["check", "--isolated", "--fix"])
        .arg(&path)
        .assert()
        .code(0);
    let fixed = fs::read_to_string(&path).unwrap();
    assert_eq!(
        fixed,
        "protocols = imap lmtp\r\ndefault_vsz_limit = 1G\r\nmail_location = maildir:~/Maildir\r\n"
    );
    let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
    let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().flatten().collect();
    assert_eq!(leftovers.len(), 1, "no temporary file is left behind");
    // A second run has nothing left to fix and changes nothing.
    mxlint()
        .args(["check", "--isolated", "--fix"])
        .arg(&path)
        .assert()
        .code(0)
        .stderr(predicate::str::contains("Applied").not());
    assert_eq!(fs::read_to_string(&path).unwrap(), fixed);
    mxlint()
        .args(["check", "--isolated", "--unsafe-fixes"])
        .arg(&path)
        .assert()
        .code(2);
}

#[test]
fn fix_keeps_the_default_whitelist_in_jail_overrides() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("jail.local");
    let original = "[DEFAULT]\nignoreip = 127.0.0.1/8 ::1 198.51.100.0/24\n\n[dovecot]\nenabled = true\nignoreip = 127.0.0.1/8 ::1\n\n[postfix-sasl]\nenabled = true\nignoreip =\n";
    fs::write(&path, original).unwrap();
    // Safe: the whitelist only gains what [DEFAULT] already trusts.
    mxlint()
        .args(["check", "--isolated", "--fix"])
        .arg(&path)
        .assert()
        .code(0)
        .stderr(predicate::str::contains("Applied 2 fixes in 1 file(s)."));
    let fixed = fs::read_to_string(&path).unwrap();
    assert!(
        fixed
            .contains("[dovecot]\nenabled = true\nignoreip = %(known/ignoreip)s 127.0.0.1/8 ::1\n"),
        "{fixed}"
    );
    assert!(
        fixed.ends_with("[postfix-sasl]\nenabled = true\nignoreip = %(known/ignoreip)s\n"),
        "{fixed}"
    );
    mxlint()
        .args(["check", "--isolated", "--fix", "--unsafe-fixes"])
        .arg(&path)
        .assert()
        .code(0);
    assert_eq!(fs::read_to_string(&path).unwrap(), fixed);
}
