//! fix: `mxlint check --fix` / `--diff` on repositories — fixes land in the files users own
//! (templates, vars and tasks YAML, zone templates), a second run changes nothing, files keep
//! their line endings and permissions, and what the fixed repository deploys is checked with
//! the real tools where one can answer (fail2ban-client for the whitelist, firewall-offline-cmd
//! for a zone file). Those parts print a NOTICE and skip locally when the tool is missing, and
//! fail when `CI` is set.

mod support;

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/mail-fleet")
}

fn mxlint() -> Command {
    let mut cmd = Command::cargo_bin("mxlint").unwrap();
    cmd.env_remove("CI");
    cmd
}

/// Every file under `dir` with its bytes and mode.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (Vec<u8>, u32)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let mode = entry.metadata().unwrap().permissions().mode();
                out.insert(path.clone(), (fs::read(&path).unwrap(), mode));
            }
        }
    }
    out
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(dir: &Path, args: &[&str]) -> Run {
    let out = mxlint().arg("check").args(args).arg(dir).output().unwrap();
    Run {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn json(dir: &Path, args: &[&str]) -> (Value, String) {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let r = run(dir, &all);
    let v: Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout));
    (v, r.stderr)
}

fn codes(report: &Value) -> Vec<String> {
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect()
}

fn tool_available(tool: &str, arg: &str) -> bool {
    let ok = std::process::Command::new(tool)
        .arg(arg)
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "{tool} is missing and CI is set"
        );
        eprintln!("NOTICE: {tool} not found: that part of the fix test is skipped");
    }
    ok
}

#[test]
fn fix_repairs_the_example_and_a_second_run_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    support::copy_tree(&example(), &repo);

    let (before, _) = json(&repo, &[]);
    assert_eq!(before["summary"]["fixable"], 3, "{before:#}");
    assert_eq!(before["summary"]["fixable_unsafe"], 1, "{before:#}");

    // Safe fixes: MX301 (insert the limit), MX401 (add the service to the looped list),
    // MX503 (keep [DEFAULT]'s whitelist), which also ends MX502.
    let (after, stderr) = json(&repo, &["--fix"]);
    assert!(stderr.contains("Applied 3 fixes in 3 file(s)."), "{stderr}");
    assert_eq!(codes(&after), ["MX302"], "{after:#}");
    assert_eq!(after["summary"]["fixable"], 0);
    assert_eq!(after["summary"]["fixable_unsafe"], 1);
    let vars = fs::read_to_string(repo.join("group_vars/all.yml")).unwrap();
    assert!(
        vars.contains("firewall_mail_services:\n  - smtp\n  - imaps\n  - submission\n"),
        "{vars}"
    );

    let fixed = snapshot(&repo);
    let again = run(&repo, &["--fix"]);
    assert_eq!(again.code, Some(1));
    assert!(!again.stderr.contains("Applied"), "{}", again.stderr);
    assert_eq!(snapshot(&repo), fixed, "a second --fix changed files");

    // The unsafe fix raises the limit where the value is written: the host's vars file.
    let (last, stderr) = json(&repo, &["--fix", "--unsafe-fixes"]);
    assert!(stderr.contains("Applied 1 fix in 1 file(s)."), "{stderr}");
    assert_eq!(codes(&last), Vec::<String>::new(), "{last:#}");
    let host_vars = fs::read_to_string(repo.join("host_vars/imap02.us.example.org.yml")).unwrap();
    assert!(
        host_vars.contains("\ndovecot_vsz_limit: 1G\n"),
        "{host_vars}"
    );
    let clean = snapshot(&repo);
    let r = run(&repo, &["--fix", "--unsafe-fixes"]);
    assert_eq!(r.code, Some(0), "{}", r.stdout);
    assert_eq!(snapshot(&repo), clean);

    // Only the four files the fixes name changed; nothing else appeared or vanished.
    let original = snapshot(&example());
    let changed: Vec<String> = clean
        .iter()
        .filter(|(p, v)| {
            let rel = p.strip_prefix(&repo).unwrap();
            original.get(&example().join(rel)) != Some(*v)
        })
        .map(|(p, _)| p.strip_prefix(&repo).unwrap().display().to_string())
        .collect();
    assert_eq!(
        changed,
        [
            "group_vars/all.yml",
            "host_vars/imap02.us.example.org.yml",
            "roles/dovecot/templates/dovecot.conf.j2",
            "roles/fail2ban/templates/jail.local.j2",
        ]
    );
    assert_eq!(clean.len(), original.len());

    if tool_available("fail2ban-client", "--version") {
        fixed_whitelist_holds_for_fail2ban(&repo);
    }
}

/// The fixed jail.local, rendered for a host over Debian's stock /etc/fail2ban: fail2ban's own
/// reading gives the dovecot jail the admin networks.
fn fixed_whitelist_holds_for_fail2ban(repo: &Path) {
    let template = repo.join("roles/fail2ban/templates/jail.local.j2");
    let rendered = mxlint()
        .args(["render", "--host", "imap01.eu.example.org"])
        .arg(&template)
        .output()
        .unwrap();
    assert_eq!(rendered.status.code(), Some(0));
    let etc = tempfile::tempdir().unwrap();
    let dir = etc.path().join("fail2ban");
    let status = std::process::Command::new("cp")
        .args(["-r", "/etc/fail2ban"])
        .arg(&dir)
        .status()
        .unwrap();
    assert!(status.success());
    let _ = fs::remove_dir_all(dir.join("jail.d"));
    fs::write(dir.join("jail.local"), &rendered.stdout).unwrap();
    let out = std::process::Command::new("fail2ban-client")
        .arg("-c")
        .arg(&dir)
        .arg("-d")
        .output()
        .unwrap();
    let dump = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{dump}");
    let line = dump
        .lines()
        .find(|l| l.starts_with("['set', 'dovecot', 'addignoreip'"))
        .unwrap_or_else(|| panic!("no addignoreip for dovecot in:\n{dump}"));
    for network in ["198.51.100.0/24", "2001:db8:100::/48", "127.0.0.1/8", "::1"] {
        assert!(
            line.contains(&format!("'{network}'")),
            "{network} not ignored: {line}"
        );
    }
}

/// A small repository: one group, per-host vars, CRLF files with restrictive modes.
fn crlf_repo(dir: &Path) {
    let files: &[(&str, &str)] = &[
        ("ansible.cfg", "[defaults]\ninventory = hosts.ini\n"),
        ("hosts.ini", "[mail]\nmx1\nmx2\n"),
        (
            "site.yml",
            "- hosts: mail\n  tasks:\n    - name: dovecot\n      ansible.builtin.template:\n        src: templates/dovecot.conf.j2\n        dest: /etc/dovecot/dovecot.conf\n    - name: open\n      ansible.posix.firewalld:\n        service: \"{{ item }}\"\n        permanent: true\n        immediate: true\n        state: enabled\n      loop: \"{{ services }}\"\n",
        ),
        (
            "group_vars/mail.yml",
            "services:\r\n  - \"imaps\"\r\nvsz: '256M'\r\n",
        ),
        ("host_vars/mx2.yml", "vsz: \"512M\"\r\n"),
        (
            "templates/dovecot.conf.j2",
            "protocols = imap pop3\r\ndefault_vsz_limit = {{ vsz }}\r\n",
        ),
        (
            ".mxlint.yml",
            "dovecot:\n  version: \"2.3\"\nfirewalld:\n  version: \"1.3\"\n  default-zone: public\n",
        ),
    ];
    for (name, text) in files {
        let path = dir.join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, text).unwrap();
    }
    for name in [
        "group_vars/mail.yml",
        "host_vars/mx2.yml",
        "templates/dovecot.conf.j2",
    ] {
        fs::set_permissions(dir.join(name), fs::Permissions::from_mode(0o640)).unwrap();
    }
}

#[test]
fn fixes_keep_line_endings_permissions_and_quotes_and_reach_each_hosts_vars() {
    let tmp = tempfile::tempdir().unwrap();
    crlf_repo(tmp.path());
    let (before, _) = json(tmp.path(), &[]);
    assert_eq!(codes(&before), ["MX401", "MX302", "MX302"], "{before:#}");

    let (after, stderr) = json(tmp.path(), &["--fix", "--unsafe-fixes"]);
    assert_eq!(codes(&after), Vec::<String>::new(), "{after:#}\n{stderr}");
    let text = |name: &str| fs::read_to_string(tmp.path().join(name)).unwrap();
    // Each host's value raised where it is written, quotes kept; the list grew in its style.
    assert_eq!(
        text("group_vars/mail.yml"),
        "services:\r\n  - \"imaps\"\r\n  - \"pop3s\"\r\nvsz: '1G'\r\n"
    );
    assert_eq!(text("host_vars/mx2.yml"), "vsz: \"1G\"\r\n");
    // The template itself is untouched: its value comes from the vars.
    assert_eq!(
        text("templates/dovecot.conf.j2"),
        "protocols = imap pop3\r\ndefault_vsz_limit = {{ vsz }}\r\n"
    );
    for name in ["group_vars/mail.yml", "host_vars/mx2.yml"] {
        let mode = fs::metadata(tmp.path().join(name))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o640, "{name}");
    }
    // No temporary file left behind.
    let names: Vec<String> = snapshot(tmp.path())
        .keys()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.contains("mxlint-tmp")), "{names:?}");
}

#[test]
fn computed_values_are_not_fixed_in_the_template() {
    let tmp = tempfile::tempdir().unwrap();
    crlf_repo(tmp.path());
    fs::write(
        tmp.path().join("templates/dovecot.conf.j2"),
        "protocols = imap pop3\ndefault_vsz_limit = {{ vsz | default('1G') }}\n",
    )
    .unwrap();
    let (report, _) = json(tmp.path(), &[]);
    let mx302: Vec<&Value> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "MX302")
        .collect();
    assert_eq!(mx302.len(), 2, "{report:#}");
    assert!(mx302.iter().all(|d| d["fix"].is_null()), "{report:#}");
    let before = snapshot(tmp.path());
    let r = run(
        tmp.path(),
        &["--fix", "--unsafe-fixes", "--select", "MX302"],
    );
    assert_eq!(r.code, Some(1));
    assert_eq!(snapshot(tmp.path()), before);
}

#[test]
fn diff_shows_the_fixes_without_writing() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    support::copy_tree(&example(), &repo);
    let before = snapshot(&repo);
    let r = run(&repo, &["--diff"]);
    assert_eq!(r.code, Some(1));
    assert!(r.stdout.contains("\n+  - submission\n"), "{}", r.stdout);
    assert!(
        r.stdout.contains(
            "\n-ignoreip = 127.0.0.1/8 ::1\n+ignoreip = %(known/ignoreip)s 127.0.0.1/8 ::1\n"
        ),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("a//"), "{}", r.stdout);
    assert!(
        r.stderr.contains("Would apply 3 fixes in 3 file(s)"),
        "{}",
        r.stderr
    );
    assert_eq!(snapshot(&repo), before);
}

#[test]
fn unknown_firewalld_services_are_renamed_in_tasks_and_zone_templates() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let files: &[(&str, &str)] = &[
        ("hosts.ini", "[mail]\nmx1\n"),
        (
            "site.yml",
            "- hosts: mail\n  tasks:\n    - ansible.builtin.template:\n        src: templates/zone.xml.j2\n        dest: /etc/firewalld/zones/public.xml\n    - ansible.posix.firewalld:\n        service: \"{{ item }}\"\n        permanent: true\n        state: enabled\n        offline: true\n      loop: [smtp, submission, imapss]\n",
        ),
        (
            "templates/zone.xml.j2",
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<zone>\n  <short>Public</short>\n  <service name=\"ssh\"/>\n  <service name=\"IMAPS\"/>\n</zone>\n",
        ),
        (
            ".mxlint.yml",
            "firewalld:\n  version: \"1.3\"\n  default-zone: public\n",
        ),
    ];
    for (name, text) in files {
        let path = root.join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, text).unwrap();
    }
    let args = ["-i", "hosts.ini", "--playbook", "site.yml"];
    let (before, _) = json(root, &args);
    let mx402: Vec<(&str, &str)> = before["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "MX402")
        .map(|d| {
            (
                d["message"].as_str().unwrap().split('`').nth(1).unwrap(),
                d["fix"]["applicability"].as_str().unwrap_or("none"),
            )
        })
        .collect();
    assert_eq!(
        mx402,
        [
            ("submission", "safe"),
            ("imapss", "unsafe"),
            ("IMAPS", "safe")
        ],
        "{before:#}"
    );
    let zone_before = rendered_zone(root);

    let mut fix_args = args.to_vec();
    fix_args.push("--fix");
    run(root, &fix_args);
    let site = fs::read_to_string(root.join("site.yml")).unwrap();
    assert!(
        site.contains("loop: [smtp, smtp-submission, imapss]"),
        "{site}"
    );
    let zone = fs::read_to_string(root.join("templates/zone.xml.j2")).unwrap();
    assert!(zone.contains("<service name=\"imaps\"/>"), "{zone}");

    fix_args.push("--unsafe-fixes");
    let (after, _) = json(root, &fix_args);
    let left: Vec<String> = codes(&after).into_iter().filter(|c| c == "MX402").collect();
    assert!(left.is_empty(), "{after:#}");
    let site = fs::read_to_string(root.join("site.yml")).unwrap();
    assert!(
        site.contains("loop: [smtp, smtp-submission, imaps]"),
        "{site}"
    );

    // firewalld itself refuses the zone before the fix and accepts it after.
    if tool_available("firewall-offline-cmd", "--version") {
        assert_ne!(firewalld_check(&zone_before), 0);
        assert_eq!(firewalld_check(&rendered_zone(root)), 0);
    }
}

fn rendered_zone(root: &Path) -> Vec<u8> {
    let out = mxlint()
        .current_dir(root)
        .args([
            "render",
            "--host",
            "mx1",
            "-i",
            "hosts.ini",
            "templates/zone.xml.j2",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn firewalld_check(zone: &[u8]) -> i32 {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("zones")).unwrap();
    fs::write(dir.path().join("zones/public.xml"), zone).unwrap();
    let out = std::process::Command::new("firewall-offline-cmd")
        .arg("--system-config")
        .arg(dir.path())
        .arg("--check-config")
        .output()
        .unwrap();
    out.status.code().unwrap_or(-1)
}
