//! bad_repos: Ansible repositories no one should write — import and dependency cycles, templates
//! that never end or include themselves, variables defined by each other, absurd host ranges,
//! alias bombs. Each ends with a finding or exit 2, never a panic, a stack overflow or a hang
//! (`assert_cmd`'s timeout only turns a hang into a failure; nothing here measures speed).

use assert_cmd::Command;
use std::path::Path;
use std::time::Duration;

const HANG: Duration = Duration::from_secs(300);

const PLAY: &str = "- hosts: mail\n  tasks:\n    - import_tasks: tasks.yml\n";

fn repo(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

/// Runs `mxlint check` and returns (exit code, concise output); a panic fails the test.
fn check(dir: &Path) -> (i32, String) {
    let out = Command::cargo_bin("mxlint")
        .unwrap()
        .args(["check", "--isolated", "--format", "concise"])
        .arg(dir)
        .timeout(HANG)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    let code = out.status.code().expect("exited, not killed");
    (
        code,
        String::from_utf8_lossy(&out.stdout).into_owned() + &stderr,
    )
}

fn template_task(template: &str) -> String {
    format!("- template:\n    src: {template}\n    dest: /etc/dovecot/dovecot.conf\n")
}

#[test]
fn a_tasks_file_that_imports_itself_is_a_finding() {
    let dir = repo(&[
        ("inventory.ini", "[mail]\nmx1\n"),
        ("site.yml", PLAY),
        ("tasks.yml", "- import_tasks: tasks.yml\n"),
    ]);
    let (code, out) = check(dir.path());
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("MX104") && out.contains("imports itself"),
        "{out}"
    );
}

#[test]
fn roles_that_depend_on_each_other_end() {
    let dir = repo(&[
        ("inventory.ini", "[mail]\nmx1\n"),
        ("site.yml", "- hosts: mail\n  roles: [a]\n"),
        ("roles/a/meta/main.yml", "dependencies: [b]\n"),
        ("roles/b/meta/main.yml", "dependencies: [a]\n"),
        ("roles/a/tasks/main.yml", "- debug: msg=a\n"),
        ("roles/b/tasks/main.yml", "- debug: msg=b\n"),
    ]);
    let (code, out) = check(dir.path());
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("MX104"), "{out}");
}

#[test]
fn templates_that_never_end_hit_a_limit() {
    for (name, text) in [
        ("loop.j2", "{% for i in range(1000000000) %}x{% endfor %}\n"),
        ("self.j2", "{% include 'self.j2' %}\n"),
        (
            "macro.j2",
            "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}\n",
        ),
        (
            "grow.j2",
            "{% set ns = namespace(s='x') %}{% for i in range(100) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}\n",
        ),
    ] {
        let tasks = template_task(name);
        let dir = repo(&[
            ("inventory.ini", "[mail]\nmx1\n"),
            ("site.yml", PLAY),
            ("tasks.yml", &tasks),
            (&format!("templates/{name}"), text),
        ]);
        let (code, out) = check(dir.path());
        assert_eq!(code, 1, "{name}: {out}");
        assert!(out.contains("MX103"), "{name}: {out}");
    }
}

#[test]
fn variables_defined_by_each_other_are_a_finding() {
    let tasks = template_task("t.j2");
    let dir = repo(&[
        ("inventory.ini", "[mail]\nmx1\n"),
        ("group_vars/all.yml", "a: \"{{ b }}\"\nb: \"x{{ a }}\"\n"),
        ("site.yml", PLAY),
        ("tasks.yml", &tasks),
        ("templates/t.j2", "v = {{ a }}\n"),
    ]);
    let (code, out) = check(dir.path());
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("MX103"), "{out}");
}

#[test]
fn absurd_host_ranges_and_alias_bombs_are_refused() {
    let bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\nh: [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n";
    let dir = repo(&[
        ("inventory.ini", "[mail]\nmx[0:999999999]\n"),
        ("group_vars/all.yml", bomb),
        ("site.yml", PLAY),
        ("tasks.yml", "- debug: msg=x\n"),
    ]);
    let (code, out) = check(dir.path());
    assert_eq!(code, 1, "{out}");
    assert!(out.matches("MX104").count() >= 2, "{out}");
}
