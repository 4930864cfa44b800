//! bad_input: the `mxlint` binary on input no one should write — binary files, invalid UTF-8,
//! huge files and lines, absurd nesting, include cycles and include targets that cannot be read.
//!
//! Each test asserts only what a user must be able to rely on: a clear error (exit 2) or a
//! finding (exit 1), never a panic, a stack overflow or a hang. Nothing here measures time;
//! `assert_cmd`'s timeout only turns a hang into a failure.

use assert_cmd::Command;
use predicates::prelude::*;
use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tempfile::TempDir;

/// Far more than the 100 MB file needs even in a debug build; only a hang should reach it.
const HANG: Duration = Duration::from_secs(600);

fn mxlint_check(path: &Path) -> assert_cmd::assert::Assert {
    Command::cargo_bin("mxlint")
        .expect("mxlint binary")
        .args(["check", "--isolated", "--format", "concise"])
        .arg(path)
        .timeout(HANG)
        .assert()
}

fn write(dir: &TempDir, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.path().join(name);
    fs::write(&path, bytes).expect("write fixture");
    path
}

/// Exit 0 or 1 and no panic message: the run finished normally.
fn finished(assert: assert_cmd::assert::Assert) -> assert_cmd::assert::Assert {
    assert
        .code(predicate::in_iter([0, 1]))
        .stderr(predicate::str::contains("panicked").not())
}

#[test]
fn binary_file_is_an_error_naming_the_file() {
    let dir = TempDir::new().unwrap();
    let mut png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".to_vec();
    png.extend(0..=255u8);
    let path = write(&dir, "logo.png", png);
    // The first NUL, right after "\x89PNG\r\n\x1a\n" (two line ends), marks it binary: 3:1.
    mxlint_check(&path)
        .code(2)
        .stderr(predicate::str::contains(format!("{}:3:1:", path.display())))
        .stderr(predicate::str::contains("binary file"))
        .stderr(predicate::str::contains("panicked").not());
}

#[test]
fn nul_byte_in_valid_utf8_is_reported_as_binary() {
    let dir = TempDir::new().unwrap();
    let path = write(&dir, "dovecot.conf", "protocols = imap\nab\0cd\n");
    mxlint_check(&path)
        .code(2)
        .stderr(predicate::str::contains(format!("{}:2:3:", path.display())))
        .stderr(predicate::str::contains("binary"));
}

#[test]
fn invalid_utf8_names_line_and_column() {
    let dir = TempDir::new().unwrap();
    // Latin-1 "café": 0xE9 is the 20th character of line 2.
    let path = write(
        &dir,
        "dovecot.conf",
        b"protocols = imap\nmail_location = caf\xe9\n",
    );
    mxlint_check(&path)
        .code(2)
        .stderr(predicate::str::contains(format!(
            "{}:2:20:",
            path.display()
        )))
        .stderr(predicate::str::contains("not valid UTF-8"));
}

#[test]
fn include_cycle_is_reported_without_hanging() {
    let dir = TempDir::new().unwrap();
    let a = write(&dir, "a.conf", "!include b.conf\n");
    write(&dir, "b.conf", "!include a.conf\n");
    finished(mxlint_check(&a))
        .code(1)
        .stdout(predicate::str::contains("Recursive include file"));
}

#[test]
fn include_of_a_directory_does_not_panic() {
    // doveconf 2.3.19 accepts `!include DIR` silently (it reads nothing from it); mxlint may
    // match that or report it, but must not fail in any other way.
    let dir = TempDir::new().unwrap();
    fs::create_dir(dir.path().join("conf.d")).unwrap();
    let path = write(&dir, "dovecot.conf", "!include conf.d\n");
    mxlint_check(&path)
        .code(predicate::in_iter([1, 2]))
        .stderr(predicate::str::contains("panicked").not());
}

#[test]
fn include_of_a_dangling_symlink_is_reported() {
    // Tests run as root, so a chmod 000 file would still be readable; a symlink to nowhere
    // cannot be opened by anyone.
    let dir = TempDir::new().unwrap();
    std::os::unix::fs::symlink(
        dir.path().join("missing.conf"),
        dir.path().join("10-mail.conf"),
    )
    .unwrap();
    let path = write(&dir, "dovecot.conf", "!include 10-mail.conf\n");
    finished(mxlint_check(&path))
        .code(1)
        .stdout(predicate::str::contains("Couldn't open include file"));
}

/// 10,000 sections inside each other: a recursive parser or model would overflow the stack.
#[test]
fn ten_thousand_nested_sections_do_not_overflow_the_stack() {
    let dir = TempDir::new().unwrap();
    let depth = 10_000;
    let text = format!(
        "{}vsz_limit = 1G\n{}",
        "service a {\n".repeat(depth),
        "}\n".repeat(depth)
    );
    let path = write(&dir, "dovecot.conf", text);
    finished(mxlint_check(&path))
        .code(1)
        .stdout(predicate::str::contains("MX201"));
}

/// Writes `target_bytes` (at least) of a valid 2.3 dovecot.conf: service blocks and settings.
fn write_large_config(path: &Path, target_bytes: usize) {
    let mut out = BufWriter::new(fs::File::create(path).expect("create large file"));
    let head = "protocols = imap pop3 lmtp\ndefault_vsz_limit = 1G\n";
    let block = "service s123 {\n  vsz_limit = 1G\n}\nmail_location = maildir:~/Maildir\n";
    out.write_all(head.as_bytes()).unwrap();
    let mut written = head.len();
    while written < target_bytes {
        out.write_all(block.as_bytes()).unwrap();
        written += block.len();
    }
    out.flush().unwrap();
}

fn large_file_completes(bytes: usize) {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("dovecot.conf");
    write_large_config(&path, bytes);
    finished(mxlint_check(&path));
}

fn long_line_completes(bytes: usize) {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("dovecot.conf");
    let mut out = BufWriter::new(fs::File::create(&path).unwrap());
    out.write_all(b"mail_location = maildir:").unwrap();
    let chunk = [b'a'; 1 << 16];
    for _ in 0..bytes / chunk.len() {
        out.write_all(&chunk).unwrap();
    }
    out.write_all(b"\n").unwrap();
    out.flush().unwrap();
    drop(out);
    finished(mxlint_check(&path));
}

#[test]
fn hundred_megabyte_file_completes() {
    large_file_completes(100 << 20);
}

#[test]
fn fifty_megabyte_line_completes() {
    long_line_completes(50 << 20);
}

/// Regression: 10,000 nested `service a {` gave one MX201 per level, each naming the whole path,
/// so the output grew with the square of the depth (125 MB). Inside a refused section nothing
/// more is reported.
#[test]
fn refused_nesting_is_reported_once() {
    let dir = TempDir::new().unwrap();
    let depth = 10_000;
    let text = format!(
        "protocols = imap\ndefault_vsz_limit = 1G\n{}{}",
        "service a {\n".repeat(depth),
        "}\n".repeat(depth)
    );
    let path = write(&dir, "dovecot.conf", text);
    let out = mxlint_check(&path).code(1).get_output().stdout.clone();
    let out = String::from_utf8(out).unwrap();
    assert_eq!(out.lines().count(), 1, "{}", &out[..out.len().min(2000)]);
    assert!(
        out.contains(":4:1: error[MX201] Unknown setting: service { service { service"),
        "{out}"
    );
}
