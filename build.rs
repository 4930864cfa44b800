//! Sets `MXLINT_VERSION` for `mxlint --version`: the crate version, plus the short git revision
//! when the crate is built from its own git checkout (`0.1.0 (6611054)`). A build from a
//! tarball, a checkout nested in another repository, or a machine without git gets the plain
//! version; nothing here can fail the build.

use std::path::Path;
use std::process::Command;

fn main() {
    let version = env("CARGO_PKG_VERSION").unwrap_or_default();
    let full = match git_revision() {
        Some(rev) => format!("{version} ({rev})"),
        None => version,
    };
    println!("cargo:rustc-env=MXLINT_VERSION={full}");
    println!("cargo:rerun-if-env-changed=MXLINT_GIT_REVISION");
}

/// `MXLINT_GIT_REVISION` when a packager sets it, else `git rev-parse --short HEAD` of this
/// crate's own repository.
fn git_revision() -> Option<String> {
    if let Some(rev) = env("MXLINT_GIT_REVISION").filter(|r| !r.trim().is_empty()) {
        return Some(rev.trim().to_string());
    }
    let manifest_dir = env("CARGO_MANIFEST_DIR")?;
    // A tarball unpacked inside some other repository must not report that repository's HEAD.
    let top = git(&manifest_dir, &["rev-parse", "--show-toplevel"])?;
    if !same_dir(Path::new(&top), Path::new(&manifest_dir)) {
        return None;
    }
    // Rebuild when HEAD moves: HEAD itself (a branch switch) and the branch it points to.
    // (A path that does not exist would make cargo rerun this script on every build.)
    for name in ["HEAD", "packed-refs"] {
        if let Some(path) = git(&manifest_dir, &["rev-parse", "--git-path", name]) {
            let path = in_dir(&manifest_dir, &path);
            if Path::new(&path).exists() {
                println!("cargo:rerun-if-changed={path}");
            }
        }
    }
    if let Some(branch) = git(&manifest_dir, &["symbolic-ref", "-q", "HEAD"]) {
        if let Some(path) = git(&manifest_dir, &["rev-parse", "--git-path", &branch]) {
            let path = in_dir(&manifest_dir, &path);
            if Path::new(&path).exists() {
                println!("cargo:rerun-if-changed={path}");
            }
        }
    }
    git(&manifest_dir, &["rev-parse", "--short", "HEAD"])
}

/// Runs git in `dir`; its trimmed stdout when it succeeds with some output.
fn git(dir: &str, args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    let text = text.trim();
    (output.status.success() && !text.is_empty()).then(|| text.to_string())
}

fn in_dir(dir: &str, path: &str) -> String {
    Path::new(dir).join(path).display().to_string()
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}
