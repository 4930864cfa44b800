//! cli_explain: `mxlint explain` (a line as argument or lines on stdin, human and JSON, exit
//! codes), `mxlint completions`, `mxlint man` and `--version` as users run them.

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

const OUT_OF_MEMORY: &str = "Dec  6 10:12:01 mx dovecot: master: Error: service(imap): child 12345 returned error 83 (Out of memory (service imap { vsz_limit=256 MB }, you may need to increase it) - set CORE_OUTOFMEM=1 environment to get core dump)";
const BAN: &str =
    "2026-12-06 17:21:30,375 fail2ban.actions        [13846]: NOTICE  [dovecot] Ban 198.51.100.7";
const UNKNOWN_SERVICE: &str =
    "ERROR: INVALID_SERVICE: Zone 'public': 'submission' not among existing services";

fn mxlint() -> Command {
    let mut cmd = Command::cargo_bin("mxlint").unwrap();
    cmd.env_remove("NO_COLOR");
    cmd
}

fn json_of(output: &[u8]) -> Value {
    serde_json::from_slice(output).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(output));
    })
}

#[test]
fn a_line_as_argument_is_explained_with_its_values() {
    mxlint()
        .args(["explain", OUT_OF_MEMORY])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("dovecot-out-of-memory: "))
        .stdout(predicate::str::contains(
            "imap was killed at its 256 MB vsz_limit",
        ))
        .stdout(predicate::str::contains("MX301 default-vsz-limit-unset"))
        .stdout(predicate::str::contains("`mxlint rule MX301`"))
        .stdout(predicate::str::contains("default_vsz_limit = 1G"));
}

#[test]
fn unquoted_words_are_joined_into_one_line() {
    mxlint()
        .args([
            "explain",
            "postfix/master[812]:",
            "fatal:",
            "bind",
            "0.0.0.0",
            "port",
        ])
        .args(["587:", "Address", "already", "in", "use"])
        .assert()
        .success()
        .stdout(predicate::str::contains("MX404 listener-port-conflict"))
        .stdout(predicate::str::contains("0.0.0.0 port 587"));
}

#[test]
fn stdin_lines_are_explained_and_repeats_grouped() {
    let input = format!("{BAN}\nsome unrelated line\n{UNKNOWN_SERVICE}\n\n{BAN}\n");
    mxlint()
        .arg("explain")
        .write_stdin(input)
        .assert()
        .success()
        .stdout(predicate::str::contains("fail2ban-ban (seen 2 times): "))
        .stdout(predicate::str::contains(
            "fail2ban-client set dovecot unbanip 198.51.100.7",
        ))
        .stdout(predicate::str::contains("firewalld-unknown-service: "))
        .stdout(predicate::str::contains("`smtp-submission`"))
        .stderr(predicate::str::contains("1 other line(s) not recognised"));
}

#[test]
fn json_lists_explanations_rules_and_values() {
    let input = format!("{OUT_OF_MEMORY}\nnoise\n{BAN}\n{BAN}\n");
    let output = mxlint()
        .args(["explain", "--format", "json"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let json = json_of(&output.stdout);
    assert_eq!(json["version"], 1);
    assert_eq!(json["unrecognised"], 1);
    let list = json["explanations"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["kind"], "dovecot-out-of-memory");
    assert_eq!(list[0]["line"], 1);
    assert_eq!(list[0]["values"]["vsz_limit_mb"], "256");
    assert_eq!(list[0]["values"]["service"], "imap");
    assert_eq!(list[0]["rules"][0]["code"], "MX301");
    assert_eq!(list[0]["rules"][0]["name"], "default-vsz-limit-unset");
    assert_eq!(list[0]["rules"][0]["doc"], "mxlint rule MX301");
    assert_eq!(list[1]["kind"], "fail2ban-ban");
    assert_eq!(list[1]["line"], 3);
    assert_eq!(list[1]["count"], 2);
    assert_eq!(list[1]["values"]["ip"], "198.51.100.7");
}

#[test]
fn an_unknown_line_exits_1_with_a_short_message() {
    mxlint()
        .args(["explain", "kernel: eth0: link up"])
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicate::str::contains("not a line mxlint knows"));
    mxlint()
        .arg("explain")
        .write_stdin("one\ntwo\n")
        .assert()
        .code(1);
    mxlint().arg("explain").write_stdin("").assert().code(1);
    let output = mxlint()
        .args(["explain", "--format", "json", "nothing here"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let json = json_of(&output.stdout);
    assert_eq!(json["explanations"].as_array().map(Vec::len), Some(0));
    assert_eq!(json["unrecognised"], 1);
}

#[test]
fn endless_lines_and_invalid_utf8_are_survived() {
    // 1 MB without a newline, invalid UTF-8, then a real line without a final newline.
    let mut input = vec![b'x'; 1 << 20];
    input.extend_from_slice(b"\n\xff\xfe broken\n");
    input.extend_from_slice(UNKNOWN_SERVICE.as_bytes());
    mxlint()
        .arg("explain")
        .write_stdin(input)
        .assert()
        .success()
        .stdout(predicate::str::contains("firewalld-unknown-service"));
}

#[test]
fn bash_completion_knows_the_subcommands() {
    let output = mxlint().args(["completions", "bash"]).output().unwrap();
    assert!(output.status.success());
    let script = String::from_utf8(output.stdout).unwrap();
    for name in [
        "check",
        "explain",
        "completions",
        "man",
        "rules",
        "show",
        "--format",
    ] {
        assert!(script.contains(name), "{name} missing");
    }
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let output = mxlint().args(["completions", shell]).output().unwrap();
        assert!(output.status.success(), "{shell}");
        let script = String::from_utf8(output.stdout).unwrap();
        assert!(script.contains("explain"), "{shell}");
    }
    mxlint().args(["completions", "tcsh"]).assert().code(2);
}

#[test]
fn the_man_page_is_roff() {
    let output = mxlint().arg("man").output().unwrap();
    assert!(output.status.success());
    let page = String::from_utf8(output.stdout).unwrap();
    // clap_mangen opens with the `\*(Aq` string definition (.ie/.el), then the title.
    let title = page
        .lines()
        .find(|l| !l.starts_with(".ie") && !l.starts_with(".el"))
        .unwrap_or_default();
    assert!(title.starts_with(".TH mxlint 1"), "{page}");
    assert!(page.contains("explain"), "{page}");
    render_with_groff(&page);
}

/// groff reads the page without a warning (`-ww` turns them all on). Skips with a NOTICE when
/// groff is missing, and fails then under CI (Debian package `groff-base`).
fn render_with_groff(page: &str) {
    let run = std::process::Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let Ok(mut child) = run else {
        assert!(
            std::env::var_os("CI").is_none(),
            "groff is missing under CI"
        );
        eprintln!("NOTICE: groff not installed; the man page was not rendered");
        return;
    };
    if let Some(mut stdin) = child.stdin.take() {
        use std::io::Write;
        stdin.write_all(page.as_bytes()).unwrap();
    }
    let output = child.wait_with_output().unwrap();
    let warnings = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success() && warnings.is_empty(), "{warnings}");
}

#[test]
fn version_shows_the_crate_version_and_git_revision() {
    let output = mxlint().arg("--version").output().unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.starts_with(&format!("mxlint {}", env!("CARGO_PKG_VERSION"))),
        "{text}"
    );
    // Built from this checkout: the revision is the one git reports here.
    let git = std::process::Command::new("git")
        .args([
            "-C",
            env!("CARGO_MANIFEST_DIR"),
            "rev-parse",
            "--short",
            "HEAD",
        ])
        .output();
    let top = std::process::Command::new("git")
        .args([
            "-C",
            env!("CARGO_MANIFEST_DIR"),
            "rev-parse",
            "--show-toplevel",
        ])
        .output();
    if let (Ok(git), Ok(top)) = (git, top) {
        let top = String::from_utf8_lossy(&top.stdout).trim().to_string();
        let own = std::fs::canonicalize(top).ok()
            == std::fs::canonicalize(env!("CARGO_MANIFEST_DIR")).ok();
        if git.status.success() && own {
            let rev = String::from_utf8_lossy(&git.stdout).trim().to_string();
            assert!(text.contains(&format!("({rev})")), "{text} lacks {rev}");
        }
    }
}
