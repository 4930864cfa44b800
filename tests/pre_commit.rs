//! pre_commit: the hooks of `.pre-commit-hooks.yaml` as pre-commit itself runs them
//! (`pre-commit try-repo`, which builds mxlint with `cargo install` as `language: rust` does)
//! on a copy of the example repository and on its fixed twin.
//!
//! Needs `pre-commit` (PyPI; `.ci/run` installs it into its venv) and git. Without them the test
//! prints a notice and passes, unless `CI` is set. The hook environment is kept under
//! `CARGO_TARGET_TMPDIR`, so only the first run (per mxlint revision) pays for the build.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

fn tool_works(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A git repository holding a copy of `example`, committed.
fn git_copy(example: &str, into: &Path) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let repo = into.join(example);
    support::copy_tree(&root.join("examples").join(example), &repo);
    for args in [
        &["init", "-q"][..],
        &["add", "-A"],
        &[
            "-c",
            "user.email=ci@example.org",
            "-c",
            "user.name=ci",
            "commit",
            "-q",
            "-m",
            "example",
        ],
    ] {
        let status = Command::new("git")
            .args(args)
            .current_dir(&repo)
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    }
    repo
}

/// `pre-commit try-repo MXLINT mxlint --all-files` in `repo`: (exit code, output).
fn try_repo(repo: &Path) -> (Option<i32>, String) {
    let home = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pre-commit-home");
    let out = Command::new("pre-commit")
        .args([
            "try-repo",
            env!("CARGO_MANIFEST_DIR"),
            "mxlint",
            "--all-files",
        ])
        .current_dir(repo)
        .env("PRE_COMMIT_HOME", &home)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

#[test]
fn the_hook_checks_the_whole_repository_and_passes_the_fixed_twin() {
    if !tool_works("pre-commit") || !tool_works("git") {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but pre-commit or git is missing"
        );
        eprintln!("NOTICE: pre-commit or git not found; skipping the pre-commit hook test");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let broken = git_copy("mail-fleet", tmp.path());
    let (code, text) = try_repo(&broken);
    assert_eq!(code, Some(1), "{text}");
    for expected in ["MX301", "MX302", "MX401", "MX502", "master.cf.j2:8:1"] {
        assert!(text.contains(expected), "{expected} missing:\n{text}");
    }
    let fixed = git_copy("mail-fleet-fixed", tmp.path());
    let (code, text) = try_repo(&fixed);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("Passed"), "{text}");
}
