//! shard: `check --shard K/N` and `mxlint merge` — for N in 1, 2, 3 and 7, the merged JSON and
//! SARIF of all shards equal a single run's (findings, host lists in inventory order, MX001
//! across shards, summary, exit status), every host is in exactly one shard, an empty shard
//! works; bad shard values and inputs that do not make one run exit 2. And the progress bar:
//! drawn on a terminal for a large fleet in human output, never into a pipe or machine format.

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn mxlint(cwd: &Path) -> Command {
    let mut cmd = Command::cargo_bin("mxlint").unwrap();
    cmd.env("NO_COLOR", "1").current_dir(cwd);
    cmd
}

fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

const GROUPS: [(&str, usize); 3] = [("eu", 17), ("us", 17), ("ap", 16)];

/// The 50 hosts of [`fleet`], in inventory order.
fn fleet_hosts() -> Vec<String> {
    GROUPS
        .iter()
        .flat_map(|(group, n)| (1..=*n).map(move |i| format!("{group}{i:02}.example.org")))
        .collect()
}

/// A generated repository of 50 hosts in three groups, made so that merging has work to do:
/// findings on some hosts of several shards (MX303 on eu05 and on us03, MX301 on every us host),
/// a suppression only the ap hosts (the last shard) use, one nobody uses (MX001), a malformed
/// one (MX002), a host_vars file that does not load (MX104), a variable only eu defines
/// (MX102 on the other hosts), a play whose pattern lists the groups out of inventory order,
/// and a plain Dovecot file beside it as a second target.
fn fleet() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let mut inventory = String::new();
    for (group, n) in GROUPS {
        inventory.push_str(&format!("[{group}]\n{group}[01:{n:02}].example.org\n\n"));
    }
    inventory.push_str("[mail:children]\neu\nus\nap\n");
    write(root, "repo/inventory.ini", &inventory);
    write(
        root,
        "repo/ansible.cfg",
        "[defaults]\ninventory = inventory.ini\n",
    );
    write(
        root,
        "repo/site.yml",
        "- name: Mail servers\n  hosts: ap:us:eu\n  roles:\n    - dovecot\n",
    );
    write(
        root,
        "repo/roles/dovecot/tasks/main.yml",
        "- name: Configure Dovecot
  ansible.builtin.template:
    src: dovecot.conf.j2
    dest: /etc/dovecot/dovecot.conf
- name: Message of the day
  ansible.builtin.template:
    src: motd.j2
    dest: /etc/motd
",
    );
    write(
        root,
        "repo/roles/dovecot/templates/dovecot.conf.j2",
        "# {{ inventory_hostname }}
# mxlint: disabel=MX301
protocols = imap lmtp
{% if vsz is defined %}
# mxlint: disable=MX302 -- small mailboxes in ap
default_vsz_limit = {{ vsz }}
{% endif %}
# mxlint: disable=MX303
mail_location = maildir:~/Maildir
{% if imap_vsz is defined %}
service imap {
  vsz_limit = {{ imap_vsz }}
}
{% endif %}
",
    );
    write(root, "repo/roles/dovecot/templates/motd.j2", "{{ motd }}\n");
    write(root, "repo/group_vars/eu.yml", "vsz: 2G\nmotd: Welcome\n");
    write(root, "repo/group_vars/ap.yml", "vsz: 512M\n");
    write(
        root,
        "repo/host_vars/eu05.example.org.yml",
        "imap_vsz: 128M\n",
    );
    write(
        root,
        "repo/host_vars/us03.example.org.yml",
        "imap_vsz: 128M\n",
    );
    write(root, "repo/host_vars/ap02.example.org.yml", "vsz: [512M\n");
    write(root, "plain/dovecot.conf", "protocols = imap\n");
    dir
}

/// The mail-fleet example, copied so every run reads the same relative paths.
fn example() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/mail-fleet");
    copy_dir(&from, &dir.path().join("repo"));
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Runs `mxlint` in `cwd`; stdout and the exit code (which must not be a crash).
fn run(cwd: &Path, args: &[&str]) -> (String, i32) {
    let out = mxlint(cwd).args(args).output().unwrap();
    let code = out.status.code().expect("exited");
    (String::from_utf8(out.stdout).unwrap(), code)
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// Runs shard 1..=n of `check TARGETS --format json`, each written to a file; their paths.
fn shards(cwd: &Path, targets: &[&str], n: usize) -> Vec<PathBuf> {
    (1..=n)
        .map(|k| {
            let file = cwd.join(format!("shard-{k}-of-{n}.json"));
            let spec = format!("{k}/{n}");
            let mut args = vec!["check", "--format", "json", "--shard", &spec];
            args.extend(targets);
            let (out, code) = run(cwd, &args);
            assert!(code < 2, "shard {spec} exited {code}: {out}");
            std::fs::write(&file, out).unwrap();
            file
        })
        .collect()
}

fn merge(cwd: &Path, files: &[PathBuf], format: &str) -> (String, i32) {
    let mut args = vec!["merge", "--format", format];
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    args.extend(names.iter().map(String::as_str));
    run(cwd, &args)
}

/// For N in 1, 2, 3, 7: all shards merged equal the single run, in JSON and SARIF, with the
/// same exit status; every host is checked by exactly one shard, in inventory order.
fn assert_merges_to_single_run(cwd: &Path, targets: &[&str], hosts: &[String]) {
    let check = |format: &str| {
        let mut args = vec!["check", "--format", format];
        args.extend(targets);
        run(cwd, &args)
    };
    let (single_json, single_code) = check("json");
    let (single_sarif, _) = check("sarif");
    let single = json(&single_json);
    assert!(single_code < 2, "{single_json}");
    assert!(
        !single["diagnostics"].as_array().unwrap().is_empty(),
        "the fixture must have findings to merge"
    );
    for n in [1, 2, 3, 7] {
        let files = shards(cwd, targets, n);
        let (merged, code) = merge(cwd, &files, "json");
        assert_eq!(json(&merged), single, "N = {n}");
        assert_eq!(code, single_code, "N = {n}");
        let (merged_sarif, _) = merge(cwd, &files, "sarif");
        let (a, b) = (json(&merged_sarif), json(&single_sarif));
        assert_eq!(a["runs"][0]["results"], b["runs"][0]["results"], "N = {n}");
        assert_eq!(a, b, "N = {n}");
        let mut checked = Vec::new();
        for file in &files {
            let shard = json(&std::fs::read_to_string(file).unwrap());
            let repo = &shard["shard"]["repos"][0];
            for host in repo["checked"].as_array().unwrap() {
                checked.push(host.as_str().unwrap().to_string());
            }
        }
        assert_eq!(
            checked, hosts,
            "N = {n}: each host once, blocks in inventory order"
        );
    }
}

#[test]
fn merged_shards_of_the_example_equal_a_single_run() {
    let dir = example();
    let hosts: Vec<String> = ["imap01.eu", "imap02.eu", "imap01.us", "imap02.us"]
        .iter()
        .map(|h| format!("{h}.example.org"))
        .collect();
    assert_merges_to_single_run(dir.path(), &["repo"], &hosts);
}

#[test]
fn merged_shards_of_a_generated_fleet_equal_a_single_run() {
    let dir = fleet();
    let (single, _) = run(
        dir.path(),
        &["check", "--format", "json", "repo", "plain/dovecot.conf"],
    );
    let single = json(&single);
    let codes: Vec<&str> = single["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    // What the fixture is for: each of these must be in the single run for the test to mean it.
    for code in ["MX001", "MX002", "MX102", "MX104", "MX301", "MX303"] {
        assert!(codes.contains(&code), "{code} missing: {codes:?}");
    }
    let unused: Vec<u64> = single["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == "MX001")
        .map(|d| d["line"].as_u64().unwrap())
        .collect();
    assert_eq!(
        unused,
        [8],
        "only the MX303 entry is unused; ap hosts use MX302's"
    );
    // The play lists ap before us; findings list hosts in inventory order all the same.
    let mx102 = single["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "MX102")
        .unwrap();
    let not_eu: Vec<String> = fleet_hosts()
        .into_iter()
        .filter(|h| !h.starts_with("eu"))
        .collect();
    assert_eq!(mx102["hosts"], serde_json::json!(not_eu));
    assert_merges_to_single_run(dir.path(), &["repo", "plain/dovecot.conf"], &fleet_hosts());
}

#[test]
fn a_shard_with_no_hosts_reports_what_is_not_per_host() {
    let dir = example();
    // Four hosts in seven shards: shard 1 has none.
    let (out, code) = run(
        dir.path(),
        &["check", "--format", "json", "--shard", "1/7", "repo"],
    );
    assert_eq!(code, 0, "{out}");
    let shard = json(&out);
    assert_eq!(shard["shard"]["repos"][0]["checked"], serde_json::json!([]));
    assert_eq!(shard["shard"]["repos"][0]["hosts"], 4);
    assert!(shard["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["hosts"].as_array().unwrap().is_empty()));
}

#[test]
fn bad_shard_values_are_usage_errors() {
    let dir = example();
    for bad in ["0/3", "4/3", "1/0", "x/2", "3", "1/2/3"] {
        let out = mxlint(dir.path())
            .args(["check", "--shard", bad, "repo"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("--shard") && err.contains(bad), "{bad}: {err}");
    }
    let out = mxlint(dir.path())
        .args(["check", "--shard", "1/2", "--fix", "repo"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "--shard with --fix");
}

/// Merges `files` expecting exit 2 and a message containing `expected`.
fn assert_merge_fails(cwd: &Path, files: &[PathBuf], expected: &str) {
    let mut cmd = mxlint(cwd);
    cmd.args(["merge", "--format", "json"]).args(files);
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(expected), "expected `{expected}` in: {err}");
}

#[test]
fn inputs_that_do_not_make_one_run_are_refused() {
    let dir = example();
    let cwd = dir.path();
    let three = shards(cwd, &["repo"], 3);
    let two = shards(cwd, &["repo"], 2);
    assert_merge_fails(cwd, &three[..2], "missing shard output(s): 3/3");
    assert_merge_fails(cwd, &[three[0].clone(), two[1].clone()], "shard counts");
    assert_merge_fails(cwd, &[two[0].clone(), two[0].clone()], "are both shard 1/2");
    let (plain, _) = run(cwd, &["check", "--format", "json", "repo"]);
    write(cwd, "plain.json", &plain);
    assert_merge_fails(cwd, &[cwd.join("plain.json")], "not a shard's output");
    write(cwd, "garbage.json", "{\"version\": 1");
    assert_merge_fails(cwd, &[cwd.join("garbage.json")], "garbage.json");
    assert_merge_fails(cwd, &[cwd.join("absent.json")], "cannot read");
    // Another run: a limit changes the hosts in scope.
    let out = mxlint(cwd)
        .args([
            "check", "--format", "json", "--shard", "2/2", "-l", "imap_eu", "repo",
        ])
        .output()
        .unwrap();
    write(cwd, "limited.json", &String::from_utf8(out.stdout).unwrap());
    assert_merge_fails(
        cwd,
        &[two[0].clone(), cwd.join("limited.json")],
        "inventories",
    );
    // A file findings point into changed after the shards ran.
    let template = cwd.join("repo/roles/dovecot/templates/dovecot.conf.j2");
    let text = std::fs::read_to_string(&template).unwrap();
    std::fs::write(&template, format!("# edited\n{text}")).unwrap();
    assert_merge_fails(cwd, &two, "changed since the shards checked it");
}

#[test]
fn merge_exits_as_check_with_the_shards_fail_level() {
    let dir = example();
    let cwd = dir.path();
    // The example has errors and one warning: failing at error exits 1, exit-zero 0.
    for (flags, expected) in [(&["--fail-level", "error"][..], 1), (&["--exit-zero"], 0)] {
        let files: Vec<PathBuf> = (1..=2)
            .map(|k| {
                let spec = format!("{k}/2");
                let mut args = vec!["check", "--format", "json", "--shard", &spec, "repo"];
                args.extend(flags);
                let (out, _) = run(cwd, &args);
                let file = cwd.join(format!("fl-{k}.json"));
                std::fs::write(&file, out).unwrap();
                file
            })
            .collect();
        let (_, code) = merge(cwd, &files, "concise");
        assert_eq!(code, expected, "{flags:?}");
    }
}

#[test]
fn no_progress_bytes_when_stderr_is_not_a_terminal() {
    let dir = fleet();
    for format in ["human", "concise", "json"] {
        let out = mxlint(dir.path())
            .args(["check", "--format", format, "repo"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !err.contains('\r') && !err.contains('\u{1b}') && !err.contains("checking hosts"),
            "{format}: {err:?}"
        );
    }
}

/// `script` (util-linux) gives mxlint a terminal, as a person running it has.
fn on_a_terminal(cwd: &Path, command: &str) -> Option<String> {
    let bin = assert_cmd::cargo::cargo_bin("mxlint");
    let line = format!("{} {command} >/dev/null", bin.display());
    let out = std::process::Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .output()
        .ok()?;
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn a_progress_bar_on_a_terminal_for_a_large_fleet_in_human_output_only() {
    let dir = fleet();
    let Some(human) = on_a_terminal(dir.path(), "check repo") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but `script` is missing"
        );
        eprintln!("NOTICE: `script` (util-linux) not found; skipping the terminal test");
        return;
    };
    assert!(human.contains("checking hosts"), "{human:?}");
    assert!(human.contains("/50"), "{human:?}");
    let machine = on_a_terminal(dir.path(), "check --format json repo").unwrap();
    assert!(!machine.contains("checking hosts"), "{machine:?}");
    // The example's four hosts are too few for a bar.
    let small = example();
    let few = on_a_terminal(small.path(), "check repo").unwrap();
    assert!(!few.contains("checking hosts"), "{few:?}");
}
