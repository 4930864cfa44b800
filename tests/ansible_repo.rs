//! ansible_repo: `mxlint check`, `render` and `show` on Ansible repositories — findings at the
//! template line with their hosts, `-i`/`-l`/`-e`, every undefined variable, unknown values that
//! silence the checks depending on them, and secrets that never reach any output.

mod support;

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/mail-fleet")
}

fn mxlint() -> Command {
    let mut cmd = Command::cargo_bin("mxlint").unwrap();
    cmd.env("NO_COLOR", "1");
    cmd
}

fn check_json(repo: &Path, extra: &[&str]) -> Value {
    let out = mxlint()
        .args(["check", "--format", "json", "--isolated"])
        .arg(repo)
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.code().is_some_and(|c| c < 2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// (code, path ending, line, hosts) of each finding.
fn findings(json: &Value) -> Vec<(String, String, u64, Vec<String>)> {
    json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let hosts = d["hosts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h.as_str().unwrap().to_string())
                .collect();
            (
                d["code"].as_str().unwrap().to_string(),
                d["path"].as_str().unwrap().to_string(),
                d["line"].as_u64().unwrap(),
                hosts,
            )
        })
        .collect()
}

/// Writes `.mxlint.yml` into `repo` and runs `check --format json` with it.
fn check_json_with_config(repo: &Path, config: &str) -> Value {
    std::fs::write(repo.join(".mxlint.yml"), config).unwrap();
    let out = mxlint()
        .args(["check", "--format", "json"])
        .arg(repo)
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `mxlint show --format json --host HOST REPO`, and the imap service's effective vsz limit.
fn shown_imap_limit(repo: &Path, host: &str) -> Value {
    let out = mxlint()
        .args(["show", "--isolated", "--format", "json", "--host", host])
        .arg(repo)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let services = json["services"].as_array().unwrap();
    let imap = services.iter().find(|s| s["name"] == "imap").unwrap();
    imap["vsz_limit"].clone()
}

fn write_repo(root: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

const PLAY: &str = "- hosts: mail\n  tasks:\n    - ansible.builtin.template:\n        src: dovecot.conf.j2\n        dest: /etc/dovecot/dovecot.conf\n";

/// `mxlint check --format json REPO` with the repository's own `.mxlint.yml`, as the README runs it.
fn check_json_own_config(repo: &Path) -> Value {
    let out = mxlint()
        .args(["check", "--format", "json"])
        .arg(repo)
        .output()
        .unwrap();
    assert!(
        out.status.code().is_some_and(|c| c < 2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

const ALL_HOSTS: [&str; 4] = [
    "imap01.eu.example.org",
    "imap02.eu.example.org",
    "imap01.us.example.org",
    "imap02.us.example.org",
];

#[test]
fn the_incident_repository_reports_at_the_template_lines_with_host_lists() {
    let json = check_json_own_config(&example());
    let found = findings(&json);
    let codes: Vec<&str> = found.iter().map(|f| f.0.as_str()).collect();
    assert_eq!(
        codes,
        ["MX302", "MX301", "MX502", "MX503", "MX401"],
        "{found:#?}"
    );
    let template = "roles/dovecot/templates/dovecot.conf.j2";
    let (code, path, line, hosts) = &found[0];
    assert_eq!((code.as_str(), *line), ("MX302", 14));
    assert!(path.ends_with(template), "{path}");
    assert_eq!(hosts, &["imap02.us.example.org"]);
    let related = &json["diagnostics"][0]["related"][0];
    assert!(
        related["path"]
            .as_str()
            .unwrap()
            .ends_with("host_vars/imap02.us.example.org.yml"),
        "the value's definition is a related location: {related}"
    );
    let (code, path, line, hosts) = &found[1];
    assert_eq!((code.as_str(), *line), ("MX301", 16));
    assert!(path.ends_with(template), "{path}");
    assert_eq!(
        hosts,
        &[
            "imap01.eu.example.org",
            "imap02.eu.example.org",
            "imap01.us.example.org"
        ]
    );

    // Port 587: master.cf enables submission (line 8), the firewall tasks open smtp and imaps.
    let (_, path, line, hosts) = &found[4];
    assert!(
        path.ends_with("roles/postfix/templates/master.cf.j2"),
        "{path}"
    );
    assert_eq!(*line, 8);
    assert_eq!(hosts, &ALL_HOSTS);
    let mx401 = &json["diagnostics"][4];
    let message = mx401["message"].as_str().unwrap();
    assert!(
        message.contains("587/tcp") && message.contains("`FedoraServer`"),
        "{message}"
    );
    assert!(
        mx401["help"].as_str().unwrap().contains("`submission`"),
        "{mx401}"
    );
    let related = mx401["related"][0]["path"].as_str().unwrap();
    assert!(
        related.ends_with("roles/firewall/tasks/main.yml"),
        "{related}"
    );

    // The self-ban: the dovecot jail's own ignoreip (line 16) drops the admin networks.
    for (i, code) in [(2, "MX502"), (3, "MX503")] {
        let (c, path, line, hosts) = &found[i];
        assert_eq!(c, code);
        assert!(
            path.ends_with("roles/fail2ban/templates/jail.local.j2"),
            "{path}"
        );
        assert_eq!(*line, 16);
        assert_eq!(hosts, &ALL_HOSTS);
    }
    let mx502 = &json["diagnostics"][2];
    let message = mx502["message"].as_str().unwrap();
    assert!(
        message.contains("198.51.100.0/24") && message.contains("2001:db8:100::/48"),
        "{message}"
    );
    let trusted_at = mx502["related"][0]["path"].as_str().unwrap();
    assert!(trusted_at.ends_with("group_vars/all.yml"), "{trusted_at}");
}

#[test]
fn the_fixed_twin_passes() {
    let twin = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/mail-fleet-fixed");
    let json = check_json_own_config(&twin);
    assert_eq!(findings(&json), Vec::new());
    mxlint().arg("check").arg(&twin).assert().code(0);
}

#[test]
fn limit_and_extra_vars_work_like_ansible_playbook() {
    let eu: Vec<_> = findings(&check_json(&example(), &["-l", "imap_eu"]))
        .into_iter()
        .filter(|f| f.0.starts_with("MX3"))
        .collect();
    assert_eq!(eu.len(), 1, "{eu:#?}");
    assert_eq!(eu[0].3, ["imap01.eu.example.org", "imap02.eu.example.org"]);
    // A pattern that selects nothing is an error (ansible-playbook refuses it too), not a
    // silent pass of a check that looked at nothing.
    mxlint()
        .args(["check", "-l", "imap_mars"])
        .arg(example())
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "--limit `imap_mars` matches no host of the inventory",
        ));
    let negated = findings(&check_json(&example(), &["--limit", "mail:!imap_eu"]));
    assert!(negated
        .iter()
        .all(|f| f.3.iter().all(|h| h.ends_with(".us.example.org"))));
    // -e wins over host_vars: these fix the vsz findings on every host and open 587; the
    // jail override that drops the [DEFAULT] whitelist stays.
    let fixed = findings(&check_json(
        &example(),
        &[
            "-e",
            "dovecot_vsz_limit=2G",
            "-e",
            r#"{"firewall_mail_services": ["smtp", "submission", "imaps"]}"#,
        ],
    ));
    let codes: Vec<&str> = fixed.iter().map(|f| f.0.as_str()).collect();
    assert_eq!(codes, ["MX503"], "{fixed:#?}");
}

#[test]
fn render_prints_what_ansible_would_write_for_the_host() {
    let template = example().join("roles/dovecot/templates/dovecot.conf.j2");
    let out = mxlint()
        .args(["render", "--host", "imap02.us.example.org"])
        .arg(&template)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("\ndefault_vsz_limit = 512M\n"), "{text}");
    assert!(
        text.contains("mail_max_userip_connections = 50\n"),
        "{text}"
    );
    let out = mxlint()
        .args(["render", "--host", "imap01.eu.example.org"])
        .arg(&template)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains("default_vsz_limit"), "{text}");
    assert!(
        text.contains("mail_max_userip_connections = 20\n"),
        "{text}"
    );
    mxlint()
        .args(["render", "--host", "nope.example.org"])
        .arg(&template)
        .assert()
        .code(2);
}

#[test]
fn show_prints_the_host_model() {
    assert_eq!(
        shown_imap_limit(&example(), "imap02.us.example.org"),
        512u64 << 20
    );
}

#[test]
fn every_undefined_variable_is_reported_with_its_hosts() {
    let dir = tempfile::tempdir().unwrap();
    write_repo(
        dir.path(),
        &[
            ("inventory.ini", "[mail]\nmx1\nmx2\n"),
            ("host_vars/mx1.yml", "dovecot_limit: 1G\nlisten: '*'\n"),
            ("site.yml", PLAY),
            (
                "templates/dovecot.conf.j2",
                "listen = {{ listen }}\ndefault_vsz_limit = {{ dovecot_limit }}\nx = {{ typo_var }}\n",
            ),
        ],
    );
    let found = findings(&check_json(dir.path(), &["--select", "MX102"]));
    let lines: Vec<(u64, Vec<String>)> = found.iter().map(|f| (f.2, f.3.clone())).collect();
    assert_eq!(
        lines,
        [
            (1, vec!["mx2".to_string()]),
            (2, vec!["mx2".to_string()]),
            (3, vec!["mx1".to_string(), "mx2".to_string()]),
        ],
        "{found:#?}"
    );
}

#[test]
fn a_value_only_known_at_deploy_time_silences_the_checks_that_need_it() {
    let dir = tempfile::tempdir().unwrap();
    write_repo(
        dir.path(),
        &[
            ("inventory.ini", "[mail]\nmx1\n"),
            ("site.yml", PLAY),
            (
                "templates/dovecot.conf.j2",
                "default_vsz_limit = {{ ansible_memtotal_mb }}M\n",
            ),
        ],
    );
    let found = findings(&check_json(dir.path(), &[]));
    let codes: Vec<&str> = found.iter().map(|f| f.0.as_str()).collect();
    assert_eq!(codes, ["MX105"], "{found:#?}");
    // `show` marks the limit unknown instead of guessing the compiled default.
    assert_eq!(shown_imap_limit(dir.path(), "mx1"), "unknown");
}

#[test]
fn secrets_never_appear_in_any_output() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "hunter2-do-not-print";
    write_repo(
        dir.path(),
        &[
            ("inventory.ini", "[mail]\nmx1\n"),
            (
                "group_vars/mail.yml",
                &format!("dovecot_db_password: {secret}\nbroken: [\n"),
            ),
            ("host_vars/mx1.yml", &format!("db_password: {secret}\n")),
            ("site.yml", PLAY),
            (
                "templates/dovecot.conf.j2",
                "passdb sql {\n  args = password={{ db_password }} {{ db_password + 1 }}\n}\nsql_password = {{ db_password }}\n",
            ),
        ],
    );
    let template = dir.path().join("templates/dovecot.conf.j2");
    let runs: Vec<Vec<String>> = vec![
        vec!["check".into(), "--isolated".into()],
        vec!["check".into(), "--isolated".into(), "--format=json".into()],
        vec![
            "check".into(),
            "--isolated".into(),
            "--format=concise".into(),
        ],
        vec![
            "render".into(),
            "--host".into(),
            "mx1".into(),
            template.display().to_string(),
        ],
    ];
    for args in runs {
        let mut cmd = mxlint();
        cmd.args(&args);
        if args[0] == "check" {
            cmd.arg(dir.path());
        }
        let out = cmd.output().unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!all.contains(secret), "{args:?} printed the secret:\n{all}");
        assert!(!all.contains("hunter2"), "{args:?}:\n{all}");
    }
}

#[test]
fn facts_come_from_the_fact_cache_then_from_mxlint_yml() {
    let dir = tempfile::tempdir().unwrap();
    write_repo(
        dir.path(),
        &[
            (
                "ansible.cfg",
                "[defaults]\ninventory = hosts.ini\nfact_caching = jsonfile\nfact_caching_connection = .facts\n",
            ),
            ("hosts.ini", "[mail]\nmx1\nmx2\n"),
            (".facts/mx1", r#"{"ansible_memtotal_mb": 4096}"#),
            ("site.yml", PLAY),
            (
                "templates/dovecot.conf.j2",
                "default_vsz_limit = {{ ansible_memtotal_mb // 8 }}M\n",
            ),
        ],
    );
    let codes_hosts = |json: &Value| -> Vec<(String, Vec<String>)> {
        findings(json).into_iter().map(|f| (f.0, f.3)).collect()
    };
    // mx1 from the cache: 512M is too small. mx2 has no fact: unknown, nothing else.
    assert_eq!(
        codes_hosts(&check_json(dir.path(), &[])),
        [
            ("MX105".to_string(), vec!["mx2".to_string()]),
            ("MX302".to_string(), vec!["mx1".to_string()]),
        ]
    );
    let json = check_json_with_config(dir.path(), "facts:\n  ansible_memtotal_mb: 16384\n");
    assert_eq!(
        codes_hosts(&json),
        [("MX302".to_string(), vec!["mx1".to_string()])],
        "the cache wins over the defaults; mx2 now gets 2048M"
    );
}

#[test]
fn filters_mxlint_cannot_run_are_unknown_and_typos_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    write_repo(
        dir.path(),
        &[
            ("inventory.ini", "[mail]\nmx1\n"),
            ("group_vars/all.yml", "x: [a, b]\n"),
            (
                "filter_plugins/local.py",
                "class FilterModule:\n    def filters(self):\n        return {'mail_join': lambda v: ' '.join(v)}\n",
            ),
            (
                "site.yml",
                "- hosts: mail\n  tasks:\n    - template: {src: a.conf.j2, dest: /etc/dovecot/conf.d/a.conf}\n    - template: {src: b.conf.j2, dest: /etc/dovecot/conf.d/b.conf}\n    - template: {src: c.conf.j2, dest: /etc/dovecot/conf.d/c.conf}\n",
            ),
            ("templates/a.conf.j2", "protocols = {{ x | mail_join }}\n"),
            ("templates/b.conf.j2", "protocols = {{ x | community.general.lists_mergeby }}\n"),
            ("templates/c.conf.j2", "protocols = {{ x | to_nice_yml }}\n"),
        ],
    );
    let json = check_json(dir.path(), &[]);
    let found: Vec<(String, String)> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(found.len(), 3, "{found:#?}");
    assert_eq!(found[0].0, "MX105", "{found:#?}");
    assert!(found[0].1.contains("filter_plugins"), "{found:#?}");
    assert_eq!(found[1].0, "MX105", "{found:#?}");
    assert!(found[1].1.contains("community.general"), "{found:#?}");
    assert_eq!(found[2].0, "MX103", "{found:#?}");
    assert!(
        found[2].1.contains("did you mean 'to_nice_yaml'"),
        "{found:#?}"
    );
}

#[test]
fn a_repository_that_renders_only_conf_d_files_is_checked_against_the_stock_main_file() {
    let dir = tempfile::tempdir().unwrap();
    write_repo(
        dir.path(),
        &[
            ("inventory.ini", "[mail]\nmx1\nmx2\n"),
            ("host_vars/mx2.yml", "vsz: 2G\n"),
            (
                "site.yml",
                "- hosts: mail\n  tasks:\n    - template: src=10-master.conf.j2 dest=/etc/dovecot/conf.d/10-master.conf\n",
            ),
            (
                "templates/10-master.conf.j2",
                "{% if vsz is defined %}\ndefault_vsz_limit = {{ vsz }}\n{% endif %}\nservice imap {\n}\n",
            ),
        ],
    );
    let found = findings(&check_json(dir.path(), &[]));
    assert_eq!(found.len(), 1, "{found:#?}");
    let (code, path, _, hosts) = &found[0];
    assert_eq!(code, "MX301");
    assert!(path.contains("stock 2.3"), "{path}");
    assert_eq!(hosts, &["mx1"]);
    // No fix may be offered for a file that is not in the repository, and the message says
    // which files it assumed.
    let json = check_json(dir.path(), &[]);
    assert!(json["diagnostics"][0]["fix"].is_null(), "{json}");
    let message = json["diagnostics"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("assuming the target's stock files for") && message.contains("local.conf"),
        "{message}"
    );
}

/// A layout the examples do not use: inventory directory with its own group_vars, playbook in
/// playbooks/, roles_path, a copied main file, conf.d templates from a loop, a registered
/// result in `when:`, and a fact.
#[test]
fn an_unseen_repository_layout_reports_at_the_right_lines_for_the_right_hosts() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/unseen-repo");
    let json = check_json(&repo, &[]);
    let found = findings(&json);
    let summary: Vec<(&str, String, u64, Vec<String>)> = found
        .iter()
        .map(|(code, path, line, hosts)| {
            let file = path.rsplit("roles/mail/").next().unwrap().to_string();
            (code.as_str(), file, *line, hosts.clone())
        })
        .collect();
    let both = vec![
        "mx-a.example.net".to_string(),
        "mx-b.example.net".to_string(),
    ];
    assert_eq!(
        summary,
        [
            (
                "MX303",
                "templates/conf.d/10-master.conf.j2".to_string(),
                3,
                vec!["mx-a.example.net".to_string()]
            ),
            (
                "MX105",
                "templates/conf.d/15-lda.conf.j2".to_string(),
                2,
                both
            ),
        ],
        "{found:#?}"
    );
    let origin = json["diagnostics"][0]["related"][0]["path"]
        .as_str()
        .unwrap();
    assert!(
        origin.ends_with("inventories/production/group_vars/mailservers.yml"),
        "{origin}"
    );
}

#[test]
fn dest_kinds_in_mxlint_yml_classify_other_destinations() {
    let dir = tempfile::tempdir().unwrap();
    write_repo(
        dir.path(),
        &[
            ("inventory.ini", "[mail]\nmx1\n"),
            (
                "site.yml",
                "- hosts: mail\n  tasks:\n    - template: {src: d.conf.j2, dest: /opt/dovecot/etc/dovecot.conf}\n",
            ),
            ("templates/d.conf.j2", "protocols = imap\n"),
        ],
    );
    assert!(findings(&check_json(dir.path(), &[])).is_empty());
    let json = check_json_with_config(
        dir.path(),
        "dest-kinds:\n  \"/opt/dovecot/etc/*.conf\": dovecot\n",
    );
    let codes: Vec<String> = findings(&json).into_iter().map(|f| f.0).collect();
    assert_eq!(codes, ["MX301"]);
    std::fs::write(
        dir.path().join(".mxlint.yml"),
        "dest-kinds:\n  \"/opt/dovecot/etc/*.conf\": dovecott\n",
    )
    .unwrap();
    mxlint()
        .arg("check")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("did you mean `dovecot`"));
}

/// Copies the example repository into a fresh directory (a config file can then be added).
fn example_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    support::copy_tree(&example(), dir.path());
    dir
}

#[test]
fn config_severity_per_file_ignores_inventory_and_playbooks_apply_to_repositories() {
    let dir = example_copy();
    let repo = dir.path();
    // The inventory moves; only the config file says where it is now.
    std::fs::create_dir_all(repo.join("inventories")).unwrap();
    std::fs::rename(
        repo.join("inventory.ini"),
        repo.join("inventories/mail.ini"),
    )
    .unwrap();
    std::fs::write(repo.join("ansible.cfg"), "[defaults]\nroles_path = roles\n").unwrap();
    let config = "dovecot:\n  version: \"2.4\"\nfirewalld:\n  default-zone: FedoraServer\nfail2ban:\n  trusted-networks-var: admin_networks\ninventory: inventories/mail.ini\nplaybooks: site.yml\nseverity:\n  MX5: info\n  MX503: style\nper-file-ignores:\n  \"roles/dovecot/**\": [MX3]\n";
    let json = check_json_with_config(repo, config);
    let got: Vec<(String, String)> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> =
        [("MX502", "info"), ("MX503", "style"), ("MX401", "error")]
            .iter()
            .map(|(c, s)| (c.to_string(), s.to_string()))
            .collect();
    assert_eq!(got, expected, "{json}");
    // `mxlint config` shows what the check used.
    let out = mxlint().arg("config").arg(repo).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("\"MX503\": style"), "{text}");
    assert!(text.contains("\"roles/dovecot/**\": [\"MX3\"]"), "{text}");
    assert!(text.contains("inventories/mail.ini"), "{text}");
}
