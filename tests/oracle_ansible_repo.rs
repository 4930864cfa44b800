//! oracle_ansible_repo: whole repositories rendered by real Ansible and by mxlint, file by file.
//!
//! Each repository under tests/fixtures/ansible-repos/ writes its templates to
//! `{{ out_dir }}/{{ inventory_hostname }}/…`. ansible-playbook runs it with a local connection
//! into one temporary directory, mxlint's loader into another (same `-e out_dir=…`), and every
//! file must exist in both with the same bytes. This pins what no single-template test can:
//! inventory and group_vars/host_vars precedence, play `vars`/`vars_files`, role defaults, vars
//! and parameters, `import_tasks`, blocks, `when:`, loops, free-form arguments and `#jinja2:`.
//!
//! Needs `ansible-playbook` on PATH (`.ci/run` installs ansible-core in a venv). Without it the
//! test prints a notice and passes, unless `CI` is set.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ansible-repos")
}

/// `ansible-playbook` from PATH, or the local CI venv.
fn ansible_playbook() -> Option<PathBuf> {
    let candidates = [
        PathBuf::from("ansible-playbook"),
        PathBuf::from("/tmp/mxlint-ci-venv/bin/ansible-playbook"),
    ];
    candidates.into_iter().find(|c| {
        Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// The Python interpreter Ansible runs on: the path at the end of `--version`'s
/// `python version = 3.11.7 (…) [GCC …] (/path/to/python3)` line.
fn python_for(playbook: &Path) -> PathBuf {
    let output = Command::new(playbook).arg("--version").output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.lines()
        .find(|l| l.trim_start().starts_with("python version ="))
        .and_then(|l| {
            let l = l.trim_end().strip_suffix(')')?;
            Some(PathBuf::from(&l[l.rfind('(')? + 1..]))
        })
        .unwrap_or_else(|| PathBuf::from("python3"))
}

/// Every file under `dir`, by path relative to it.
fn files_under(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.insert(rel, std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    out
}

fn run_ansible(playbook: &Path, repo: &Path, out: &Path, tmp: &Path) {
    let python = python_for(playbook);
    let result = Command::new(playbook)
        .current_dir(repo)
        .arg("site.yml")
        .arg("-e")
        .arg(format!("out_dir={}", out.display()))
        .args(["-e", "ansible_connection=local"])
        .arg("-e")
        .arg(format!("ansible_python_interpreter={}", python.display()))
        .env("ANSIBLE_CONFIG", repo.join("ansible.cfg"))
        .env("ANSIBLE_LOCAL_TEMP", tmp.join("local"))
        .env("ANSIBLE_REMOTE_TEMP", tmp.join("remote"))
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_RETRY_FILES_ENABLED", "0")
        .env("PYTHONHASHSEED", "0")
        .output()
        .expect("ansible-playbook runs");
    assert!(
        result.status.success(),
        "ansible-playbook failed on {}:\n{}",
        repo.display(),
        String::from_utf8_lossy(&result.stdout)
    );
}

fn run_mxlint(repo: &Path, out: &Path) -> BTreeMap<String, String> {
    let options = mxlint::repo::RepoOptions {
        extra_vars: vec![format!("out_dir={}", out.display())],
        ..Default::default()
    };
    let loaded = mxlint::repo::load(repo, &options);
    let mut files = BTreeMap::new();
    for f in &loaded.files {
        let Some(rel) = Path::new(&f.dest).strip_prefix(out).ok() else {
            continue;
        };
        let text = loaded.db.file(f.file).text().to_string();
        files.insert(rel.to_string_lossy().into_owned(), text);
    }
    let problems: Vec<String> = loaded
        .diagnostics
        .iter()
        .map(|d| format!("{} {}", d.rule.code, d.message))
        .collect();
    assert!(problems.is_empty(), "{}: {problems:#?}", repo.display());
    files
}

#[test]
fn repositories_render_like_ansible_playbook() {
    let Some(playbook) = ansible_playbook() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but ansible-playbook is missing"
        );
        eprintln!("NOTICE: ansible-playbook not found; skipping the Ansible repository oracle");
        return;
    };
    let mut repos: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("site.yml").is_file())
        .collect();
    repos.sort();
    assert!(!repos.is_empty());
    let mut mismatches = Vec::new();
    for repo in &repos {
        let tmp = tempfile::tempdir().unwrap();
        let (theirs_dir, ours_dir) = (tmp.path().join("ansible"), tmp.path().join("mxlint"));
        run_ansible(&playbook, repo, &theirs_dir, tmp.path());
        let theirs = files_under(&theirs_dir);
        let ours = run_mxlint(repo, &ours_dir);
        assert!(
            !theirs.is_empty(),
            "{}: Ansible wrote nothing",
            repo.display()
        );
        let names: std::collections::BTreeSet<&String> = theirs.keys().chain(ours.keys()).collect();
        for name in names {
            let (a, b) = (theirs.get(name), ours.get(name));
            if a != b {
                mismatches.push(format!(
                    "{} {name}:\n  ansible: {a:?}\n  mxlint:  {b:?}",
                    repo.file_name().unwrap().to_string_lossy()
                ));
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

/// `ansible-inventory --list` (the CLI itself) against mxlint's per-host inventory variables on
/// the repositories' own inventories: INI with ranges, YAML with children, inventory directories
/// with their own group_vars/host_vars, and group_vars/host_vars beside the playbook.
#[test]
fn inventory_variables_match_the_ansible_inventory_cli() {
    let Some(playbook) = ansible_playbook() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but ansible-inventory is missing"
        );
        eprintln!("NOTICE: ansible-inventory not found; skipping the CLI inventory comparison");
        return;
    };
    let cli = playbook.with_file_name("ansible-inventory");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cases = [
        ("examples/mail-fleet", "inventory.ini", "."),
        (
            "tests/fixtures/ansible-repos/precedence",
            "inventory.yml",
            ".",
        ),
        (
            "tests/fixtures/unseen-repo",
            "inventories/production/hosts.yml",
            "playbooks",
        ),
    ];
    for (repo, inventory, playbook_dir) in cases {
        let repo = root.join(repo);
        let tmp = tempfile::tempdir().unwrap();
        let out = Command::new(&cli)
            .current_dir(&repo)
            .args(["--list", "-i", inventory, "--playbook-dir", playbook_dir])
            .env("ANSIBLE_CONFIG", tmp.path().join("none.cfg"))
            .env("ANSIBLE_LOCAL_TEMP", tmp.path().join("local"))
            .env("ANSIBLE_NOCOLOR", "1")
            .output()
            .expect("ansible-inventory runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let theirs: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut db = mxlint::source::SourceDb::new();
        let (inv, problems) =
            mxlint::ansible::inventory::Inventory::load(&mut db, &[repo.join(inventory)]);
        assert!(problems.is_empty(), "{}: {problems:?}", repo.display());
        let hostvars = theirs["_meta"]["hostvars"].as_object().unwrap();
        let ours: Vec<String> = inv.host_names().map(str::to_string).collect();
        let mut theirs_hosts: Vec<&String> = hostvars.keys().collect();
        theirs_hosts.sort();
        let mut ours_sorted: Vec<&String> = ours.iter().collect();
        ours_sorted.sort();
        assert_eq!(ours_sorted, theirs_hosts, "{}: hosts", repo.display());
        for host in &ours {
            let (vars, _) = inv.host_vars(&mut db, host, Some(&repo.join(playbook_dir)));
            let ours_json: serde_json::Map<String, serde_json::Value> =
                vars.iter().map(|(k, v)| (k.clone(), v.to_json())).collect();
            assert_eq!(
                serde_json::Value::Object(ours_json),
                hostvars[host],
                "{} {host}",
                repo.display()
            );
        }
    }
}
