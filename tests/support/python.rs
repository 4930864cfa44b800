//! The Python side of the PyYAML oracle tests (`yaml_load`, `oracle_pyyaml`), shared so they
//! find Python, skip and run their scripts alike. Included with
//! `#[path = "support/python.rs"] mod python;`.

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Whether `python3` can import PyYAML, which every PyYAML oracle needs.
pub fn has_yaml() -> bool {
    Command::new("python3")
        .args(["-c", "import yaml"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Skips `skipping` with a notice when `what` is missing, or fails when `CI` is set, where
/// it must be there.
pub fn skip_or_fail(what: &str, skipping: &str) {
    assert!(
        std::env::var_os("CI").is_none(),
        "CI is set but {what} is missing"
    );
    eprintln!("NOTICE: {what} not found; skipping {skipping}");
}

/// Runs `script` with `python3 -c`, `input` on its stdin, and waits for its output.
pub fn run(script: &str, input: &str, stderr: Stdio) -> Output {
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}
