//! No writes without `--fix` (issue 6, point 7): `check` in every format (also with `--output`
//! to a file outside the repository, `--diff` and `--statistics`), `show`, `render` and `server`
//! leave the checked repository exactly as they found it — no file created, modified, deleted,
//! renamed or re-permissioned, hidden files and directories included (no caches, no stray
//! temporary files) — and `--fix` writes exactly the files it says it fixes.
//!
//! Each test copies an example repository into a temporary directory, backdates every mtime so
//! even a same-content rewrite shows, snapshots the tree (kind, bytes, symlink target, mode,
//! mtime, ctime, inode of every entry, directories too: a temporary file created and removed
//! again still changes its directory's mtime), runs mxlint and compares.

mod support;

use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, SystemTime};

/// What is recorded of one entry. ctime changes on any write, chmod, rename or link, and cannot
/// be set back by the writer, so a tool that restores mtimes is caught too.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    kind: &'static str,
    bytes: Option<Vec<u8>>,
    link: Option<PathBuf>,
    mode: u32,
    mtime: (i64, i64),
    ctime: (i64, i64),
    inode: u64,
}

type Snapshot = BTreeMap<PathBuf, Entry>;

/// Every entry under `root` (the root itself as ""), not following symlinks.
fn snapshot(root: &Path) -> Snapshot {
    let mut out = Snapshot::new();
    record(root, Path::new(""), &mut out);
    out
}

fn record(root: &Path, relative: &Path, out: &mut Snapshot) {
    let path = root.join(relative);
    let meta = std::fs::symlink_metadata(&path).unwrap();
    let kind = if meta.is_dir() {
        "dir"
    } else if meta.file_type().is_symlink() {
        "symlink"
    } else {
        "file"
    };
    out.insert(
        relative.to_path_buf(),
        Entry {
            kind,
            bytes: (kind == "file").then(|| std::fs::read(&path).unwrap()),
            link: (kind == "symlink").then(|| std::fs::read_link(&path).unwrap()),
            mode: meta.mode(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
            inode: meta.ino(),
        },
    );
    if kind == "dir" {
        let mut names: Vec<_> = std::fs::read_dir(&path)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        for name in names {
            record(root, &relative.join(name), out);
        }
    }
}

/// Paths whose entry differs between two snapshots (added, removed or changed), described.
fn changes(before: &Snapshot, after: &Snapshot) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    for (path, old) in before {
        match after.get(path) {
            None => {
                out.insert(path.clone(), "deleted".to_string());
            }
            Some(new) if new != old => {
                out.insert(path.clone(), describe(old, new));
            }
            Some(_) => {}
        }
    }
    for path in after.keys().filter(|p| !before.contains_key(*p)) {
        out.insert(path.clone(), "created".to_string());
    }
    out
}

fn describe(old: &Entry, new: &Entry) -> String {
    let mut what = Vec::new();
    if old.kind != new.kind {
        what.push(format!("kind {} → {}", old.kind, new.kind));
    }
    if old.bytes != new.bytes || old.link != new.link {
        what.push("content".to_string());
    }
    if old.mode != new.mode {
        what.push(format!("mode {:o} → {:o}", old.mode, new.mode));
    }
    if old.mtime != new.mtime {
        what.push("mtime".to_string());
    }
    if old.ctime != new.ctime {
        what.push("ctime".to_string());
    }
    if old.inode != new.inode {
        what.push("inode (replaced)".to_string());
    }
    what.join(", ")
}

/// A copy of `examples/<name>` in `parent/repo`, every mtime set to 2001 so any rewrite shows.
fn copied_example(parent: &Path, name: &str) -> PathBuf {
    let repo = parent.join("repo");
    let example = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name);
    support::copy_tree(&example, &repo);
    backdate(&repo);
    repo
}

fn backdate(path: &Path) {
    let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    if path.is_dir() {
        for entry in std::fs::read_dir(path).unwrap() {
            backdate(&entry.unwrap().path());
        }
    }
    // Children first: setting a child's times does not touch its directory's mtime, but be
    // safe about the order anyway.
    let file = std::fs::File::open(path).unwrap();
    file.set_modified(old).unwrap();
}

fn mxlint(args: &[&std::ffi::OsStr], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mxlint"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// Runs mxlint and asserts it exited with one of `codes` and left `repo` untouched.
fn assert_no_writes(repo: &Path, cwd: &Path, args: &[&std::ffi::OsStr], codes: &[i32]) -> Output {
    let before = snapshot(repo);
    let out = mxlint(args, cwd);
    let shown: Vec<_> = args.iter().map(|a| a.to_string_lossy()).collect();
    assert!(
        out.status.code().is_some_and(|c| codes.contains(&c)),
        "mxlint {} exited {:?}: {}",
        shown.join(" "),
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    let changed = changes(&before, &snapshot(repo));
    assert!(
        changed.is_empty(),
        "mxlint {} changed the repository: {changed:#?}",
        shown.join(" ")
    );
    out
}

fn os(args: &[&str]) -> Vec<std::ffi::OsString> {
    args.iter().map(|a| a.into()).collect()
}

fn refs(args: &[std::ffi::OsString]) -> Vec<&std::ffi::OsStr> {
    args.iter().map(|a| a.as_os_str()).collect()
}

#[test]
fn check_in_every_format_writes_nothing_in_the_repository() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = copied_example(tmp.path(), "mail-fleet");
    let outside = tmp.path().join("reports");
    std::fs::create_dir(&outside).unwrap();
    for format in ["human", "concise", "json", "sarif", "github"] {
        // From inside the repository (relative paths, config discovery from the cwd)…
        let args = os(&["check", "--format", format, "--statistics", "."]);
        let out = assert_no_writes(&repo, &repo, &refs(&args), &[1]);
        assert!(!out.stdout.is_empty(), "{format}: no report on stdout");
        // …and from outside it, the report written to a file outside the repository.
        let report = outside.join(format!("report.{format}"));
        let mut args = os(&["check", "--format", format, "--output"]);
        args.push(report.clone().into());
        args.push(repo.clone().into());
        assert_no_writes(&repo, tmp.path(), &refs(&args), &[1]);
        let written = std::fs::read(&report).unwrap();
        assert!(!written.is_empty(), "{format}: --output wrote nothing");
    }
    // Nothing but the reports appeared beside the repository (no temporary file left behind).
    let names: BTreeSet<String> = std::fs::read_dir(&outside)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 5, "{names:?}");
}

#[test]
fn diff_prints_fixes_without_applying_them() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = copied_example(tmp.path(), "mail-fleet");
    for extra in [&[][..], &["--unsafe-fixes"][..]] {
        let mut args = os(&["check", "--diff"]);
        args.extend(os(extra));
        args.push(".".into());
        let out = assert_no_writes(&repo, &repo, &refs(&args), &[1]);
        let diff = String::from_utf8_lossy(&out.stdout);
        assert!(diff.contains("\n+default_vsz_limit = 1G\n"), "{diff}");
    }
}

#[test]
fn check_of_plain_files_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = copied_example(tmp.path(), "fedora-stock");
    let args = os(&["check", "--diff", "--unsafe-fixes", "dovecot.conf"]);
    assert_no_writes(&repo, &repo, &refs(&args), &[1]);
    let args = os(&["check", "--format", "json", "dovecot.conf"]);
    assert_no_writes(&repo, &repo, &refs(&args), &[1]);
}

#[test]
fn show_and_render_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = copied_example(tmp.path(), "mail-fleet");
    let host = "imap02.us.example.org";
    for format in ["human", "json"] {
        let args = os(&["show", "--host", host, "--format", format, "."]);
        let out = assert_no_writes(&repo, &repo, &refs(&args), &[0]);
        assert!(!out.stdout.is_empty());
    }
    for template in [
        "roles/dovecot/templates/dovecot.conf.j2",
        "roles/postfix/templates/master.cf.j2",
        "roles/fail2ban/templates/jail.local.j2",
    ] {
        let args = os(&["render", "--host", host, template]);
        let out = assert_no_writes(&repo, &repo, &refs(&args), &[0]);
        assert!(String::from_utf8_lossy(&out.stdout).contains("Ansible managed"));
    }
    let tmp = tempfile::tempdir().unwrap();
    let plain = copied_example(tmp.path(), "fedora-stock");
    let args = os(&["show", "dovecot.conf"]);
    assert_no_writes(&plain, &plain, &refs(&args), &[0]);
}

/// Sends one LSP message, Content-Length framed.
fn send(stdin: &mut impl Write, message: Value) {
    let body = message.to_string();
    write!(stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
    stdin.flush().unwrap();
}

#[test]
fn server_session_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = copied_example(tmp.path(), "mail-fleet");
    let before = snapshot(&repo);
    let mut child = Command::new(env!("CARGO_BIN_EXE_mxlint"))
        .arg("server")
        .current_dir(&repo)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let messages = support::lsp_messages(stdout);
    let wait_for = |matches: &dyn Fn(&Value) -> bool| loop {
        let message = messages
            .recv_timeout(Duration::from_secs(60))
            .expect("an answer from mxlint server");
        if matches(&message) {
            return message;
        }
    };

    let root = format!("file://{}", repo.display());
    send(
        &mut stdin,
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
               "params": {"processId": null, "rootUri": root, "capabilities": {}}}),
    );
    wait_for(&|m| m["id"] == 1);
    send(
        &mut stdin,
        json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}),
    );
    // Open a template with an unsaved edit: the server checks the edited text and must not
    // save it (nor anything else).
    let template = repo.join("roles/dovecot/templates/dovecot.conf.j2");
    let uri = format!("file://{}", template.display());
    let edited = std::fs::read_to_string(&template).unwrap() + "# unsaved edit\n";
    send(
        &mut stdin,
        json!({"jsonrpc": "2.0", "method": "textDocument/didOpen",
               "params": {"textDocument": {"uri": uri, "languageId": "jinja", "version": 1, "text": edited}}}),
    );
    let published = wait_for(&|m| {
        m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
    });
    let diagnostics = published["params"]["diagnostics"].clone();
    assert!(
        diagnostics
            .as_array()
            .is_some_and(|d| d.iter().any(|d| d["code"] == "MX301")),
        "{published}"
    );
    // Asking for quick fixes returns edits; it must not apply them.
    send(
        &mut stdin,
        json!({"jsonrpc": "2.0", "id": 2, "method": "textDocument/codeAction",
               "params": {"textDocument": {"uri": uri},
                          "range": {"start": {"line": 0, "character": 0}, "end": {"line": 40, "character": 0}},
                          "context": {"diagnostics": diagnostics}}}),
    );
    wait_for(&|m| m["id"] == 2);
    send(
        &mut stdin,
        json!({"jsonrpc": "2.0", "id": 3, "method": "shutdown", "params": null}),
    );
    wait_for(&|m| m["id"] == 3);
    send(&mut stdin, json!({"jsonrpc": "2.0", "method": "exit"}));
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
    let changed = changes(&before, &snapshot(&repo));
    assert!(
        changed.is_empty(),
        "mxlint server changed the repository: {changed:#?}"
    );
}

/// The files a `--diff` names (`+++ b/PATH` headers), as paths relative to `repo`.
fn files_in_diff(diff: &str, repo: &Path) -> BTreeSet<PathBuf> {
    diff.lines()
        .filter_map(|l| l.strip_prefix("+++ b/"))
        .map(|p| {
            let p = Path::new(p);
            let relative = p.strip_prefix(repo).unwrap_or(p);
            // `check .` names them `./roles/…`.
            relative
                .components()
                .filter(|c| *c != std::path::Component::CurDir)
                .collect()
        })
        .collect()
}

#[test]
fn fix_writes_exactly_the_files_it_reports() {
    for extra in [&[][..], &["--unsafe-fixes"][..]] {
        let tmp = tempfile::tempdir().unwrap();
        let repo = copied_example(tmp.path(), "mail-fleet");
        let mut diff_args = os(&["check", "--diff"]);
        diff_args.extend(os(extra));
        diff_args.push(".".into());
        let diff = assert_no_writes(&repo, &repo, &refs(&diff_args), &[1]);
        let promised = files_in_diff(&String::from_utf8_lossy(&diff.stdout), &repo);
        assert!(!promised.is_empty(), "the example has fixes");

        let before = snapshot(&repo);
        let mut args = os(&["check", "--fix"]);
        args.extend(os(extra));
        args.push(".".into());
        let out = mxlint(&refs(&args), &repo);
        assert!(matches!(out.status.code(), Some(0 | 1)), "{out:?}");
        let report = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        let summary = format!("in {} file(s)", promised.len());
        assert!(
            report.contains(&summary),
            "expected `{summary}` in {report}"
        );

        let changed = changes(&before, &snapshot(&repo));
        let written: BTreeSet<PathBuf> = changed
            .keys()
            .filter(|p| before.get(*p).is_some_and(|e| e.kind == "file"))
            .cloned()
            .collect();
        assert_eq!(written, promised, "{changed:#?}");
        for path in &written {
            assert_ne!(before[path].bytes, snapshot(&repo)[path].bytes, "{path:?}");
            assert_eq!(before[path].mode, snapshot(&repo)[path].mode, "{path:?}");
        }
        // Besides the fixed files only their directories may change (an atomic replace renames
        // a temporary file into place); nothing is created or deleted.
        for (path, what) in &changed {
            let is_parent = written.iter().any(|w| w.parent() == Some(path.as_path()));
            assert!(
                written.contains(path) || (is_parent && !what.contains("created")),
                "{path:?}: {what}"
            );
        }
        // Running --diff again finds nothing left to fix in those files.
        let again = mxlint(&refs(&diff_args), &repo);
        let left = files_in_diff(&String::from_utf8_lossy(&again.stdout), &repo);
        assert!(left.is_empty(), "{left:?}");
    }
}
