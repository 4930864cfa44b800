//! suppress: `mxlint: disable=` in the files users edit (Jinja comments in templates, YAML
//! comments on tasks, XML comments in zone files), MX001/MX002 about the directives, and the
//! baseline round trip, all through the `mxlint` binary on small repositories.

use assert_cmd::Command;
use std::path::Path;

fn mxlint() -> Command {
    let mut cmd = Command::cargo_bin("mxlint").unwrap();
    cmd.env("NO_COLOR", "1");
    cmd
}

fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

const INVENTORY: &str = "[mail]\nmx1.example.org\nmx2.example.org\n";

/// Two hosts; a Dovecot template, a zone template and a firewalld task.
const SITE: &str = "- hosts: mail
  tasks:
    - ansible.builtin.template:
        src: templates/dovecot.conf.j2
        dest: /etc/dovecot/dovecot.conf
    - ansible.builtin.template:
        src: templates/public.xml.j2
        dest: /etc/firewalld/zones/public.xml
    - name: open imaps
      ansible.posix.firewalld:
        service: imaps
        permanent: true
        state: enabled
";

const GOOD_DOVECOT: &str = "protocols = imap\ndefault_vsz_limit = 1G\n";
const GOOD_ZONE: &str =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<zone>\n  <service name=\"imaps\"/>\n</zone>\n";

fn repo(dovecot: &str, zone: &str, site: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "inventory.ini", INVENTORY);
    write(dir.path(), "site.yml", site);
    write(dir.path(), "templates/dovecot.conf.j2", dovecot);
    write(dir.path(), "templates/public.xml.j2", zone);
    dir
}

/// `path:line code` of each finding (`--format concise`), and the exit code.
fn check(dir: &Path, extra: &[&str]) -> (Vec<String>, i32) {
    let out = mxlint()
        .args(["check", "--isolated", "--format", "concise"])
        .args(extra)
        .arg(dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let prefix = format!("{}/", dir.display());
    let found = stdout
        .lines()
        .map(|l| {
            let l = l.strip_prefix(&prefix).unwrap_or(l);
            let mut parts = l.splitn(4, ':');
            let (path, line) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            let code = l.split('[').nth(1).and_then(|c| c.split(']').next());
            format!("{path}:{line} {}", code.unwrap_or("?"))
        })
        .collect();
    (found, out.status.code().unwrap_or(-1))
}

/// The firewalld task with its finding silenced, so each test sees only what it is about.
fn quiet_site() -> String {
    SITE.replace(
        "    - name: open imaps",
        "    # mxlint: disable=MX403 -- a handler reloads\n    - name: open imaps",
    )
}

#[test]
fn jinja_comment_in_a_template_suppresses_mx301_for_every_host() {
    let dovecot = "protocols = imap\n";
    let dir = repo(dovecot, GOOD_ZONE, &quiet_site());
    let (found, _) = check(dir.path(), &[]);
    assert_eq!(found, ["templates/dovecot.conf.j2:1 MX301"]);
    let suppressed = format!("{{# mxlint: disable=MX301 -- systemd sets the limit #}}\n{dovecot}");
    write(dir.path(), "templates/dovecot.conf.j2", &suppressed);
    assert_eq!(check(dir.path(), &[]), (vec![], 0));
}

#[test]
fn jinja_comment_covers_the_block_it_stands_before() {
    let dovecot = "protocols = imap pop3\ndefault_vsz_limit = 1G\n{# mxlint: disable=MX303 -- small on purpose #}\nservice imap {\n  vsz_limit = 256M\n}\nservice pop3 {\n  vsz_limit = 256M\n}\n";
    let dir = repo(dovecot, GOOD_ZONE, &quiet_site());
    let (found, _) = check(dir.path(), &["--select", "MX3"]);
    assert_eq!(found, ["templates/dovecot.conf.j2:8 MX303"]);
}

#[test]
fn yaml_comment_suppresses_mx403_on_the_task() {
    let dir = repo(GOOD_DOVECOT, GOOD_ZONE, SITE);
    assert_eq!(check(dir.path(), &[]).0, ["site.yml:9 MX403"]);
    write(dir.path(), "site.yml", &quiet_site());
    assert_eq!(check(dir.path(), &[]), (vec![], 0));
}

#[test]
fn xml_comment_in_a_zone_file_suppresses_mx402() {
    let zone = GOOD_ZONE.replace(
        "</zone>",
        "  <!-- mxlint: disable=MX402 -- a custom service the role installs -->\n  <service name=\"smtp_submission\"/>\n</zone>",
    );
    let dir = repo(GOOD_DOVECOT, &zone, &quiet_site());
    assert_eq!(check(dir.path(), &[]), (vec![], 0));
    let unsuppressed = zone.replace(
        "<!-- mxlint: disable=MX402 -- a custom service the role installs -->",
        "<!-- a custom service -->",
    );
    write(dir.path(), "templates/public.xml.j2", &unsuppressed);
    assert_eq!(
        check(dir.path(), &[]).0,
        ["templates/public.xml.j2:5 MX402"]
    );
}

#[test]
fn a_directive_that_suppresses_nothing_is_mx001_unless_its_rule_is_not_selected() {
    let dovecot =
        format!("{GOOD_DOVECOT}# mxlint: disable=MX303\nservice imap {{\n  vsz_limit = 2G\n}}\n");
    let dir = repo(&dovecot, GOOD_ZONE, &quiet_site());
    assert_eq!(
        check(dir.path(), &[]),
        (vec!["templates/dovecot.conf.j2:3 MX001".to_string()], 1)
    );
    assert_eq!(
        check(dir.path(), &["--ignore", "MX303"]).0,
        Vec::<String>::new()
    );
    // Used for one host only is used.
    let one_host = dovecot.replace(
        "2G",
        "{{ '256M' if inventory_hostname == 'mx1.example.org' else '2G' }}",
    );
    write(dir.path(), "templates/dovecot.conf.j2", &one_host);
    assert_eq!(check(dir.path(), &[]), (vec![], 0));
}

#[test]
fn a_malformed_directive_is_mx002() {
    for directive in [
        "{# mxlint: disable= #}",
        "{# mxlint: disable=MX999 #}",
        "{# mxlint: disable MX301 #}",
        "{# mxlint: disbale=MX301 #}",
    ] {
        let dovecot =
            format!("protocols = imap\ndefault_vsz_limit = 1G\n{directive}\nmail_debug = no\n");
        let dir = repo(&dovecot, GOOD_ZONE, &quiet_site());
        assert_eq!(
            check(dir.path(), &[]).0,
            ["templates/dovecot.conf.j2:3 MX002"],
            "{directive}"
        );
    }
}

#[test]
fn a_baseline_survives_shifted_lines_and_lets_new_problems_through() {
    let dovecot =
        "protocols = imap\ndefault_vsz_limit = 1G\nservice imap {\n  vsz_limit = 256M\n}\n";
    let dir = repo(dovecot, GOOD_ZONE, SITE);
    let baseline = dir.path().join("mxlint-baseline.json");
    let baseline_arg = baseline.to_str().unwrap();
    assert_eq!(check(dir.path(), &[]).0.len(), 2);
    let (found, code) = check(dir.path(), &["--write-baseline", baseline_arg]);
    assert_eq!((found.len(), code), (0, 0));
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&baseline).unwrap()).unwrap();
    assert_eq!(written["version"], 1);
    assert_eq!(written["entries"][0]["file"], "site.yml");
    assert_eq!(written["entries"][1]["file"], "templates/dovecot.conf.j2");
    assert_eq!(
        check(dir.path(), &["--baseline", baseline_arg]),
        (vec![], 0)
    );

    // A blank line at the top moves every finding down: still baselined.
    write(
        dir.path(),
        "templates/dovecot.conf.j2",
        &format!("\n{dovecot}"),
    );
    assert_eq!(
        check(dir.path(), &["--baseline", baseline_arg]),
        (vec![], 0)
    );
    let out = mxlint()
        .args(["check", "--isolated", "--baseline", baseline_arg])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("2 findings baselined."));

    // A new problem is the only one reported.
    let worse = format!("\n{dovecot}service indexer-worker {{\n  vsz_limit = 128M\n}}\n");
    write(dir.path(), "templates/dovecot.conf.j2", &worse);
    assert_eq!(
        check(dir.path(), &["--baseline", baseline_arg]),
        (vec!["templates/dovecot.conf.j2:8 MX303".to_string()], 1)
    );
}

#[test]
fn a_missing_or_corrupt_baseline_is_exit_2_with_the_reason() {
    let dir = repo(GOOD_DOVECOT, GOOD_ZONE, SITE);
    let missing = dir.path().join("none.json");
    let corrupt = dir.path().join("corrupt.json");
    std::fs::write(&corrupt, "{\"version\": 1, \"entries\": [{\"code\": 3}]}").unwrap();
    for (file, says) in [
        (&missing, "cannot read baseline"),
        (&corrupt, "is not a mxlint baseline"),
    ] {
        let out = mxlint()
            .args(["check", "--isolated", "--baseline"])
            .arg(file)
            .arg(dir.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{stderr}");
    }
}
