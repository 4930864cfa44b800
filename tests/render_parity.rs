//! render_parity: mxlint's template rendering against ansible-core's `template` module, byte
//! for byte, over the corpus in `tests/fixtures/render-parity/` (templates × 3 hosts).
//!
//! One `ansible-playbook` run renders every template for every host (local connection, no
//! facts, `PYTHONHASHSEED=0`); templates Ansible fails on must fail in mxlint too. Host
//! variables are `group_vars/all.yml` overlaid by `host_vars/<host>.yml`, read with PyYAML
//! (the oracle's own loader) so this test does not depend on mxlint's YAML reader.
//!
//! Needs `ansible-playbook` (on PATH, or the venv `.ci/run` makes). Without it the test prints
//! a notice and passes, unless `CI` is set.

use indexmap::IndexMap;
use mxlint::ansible::yaml::{Node, Value as Y};
use mxlint::ansible::Vars;
use mxlint::render::{Controller, Fleet, Host, RenderJob, Renderer, TemplateSource};
use mxlint::source::{FileId, Span};
use serde_json::Value as Json;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/render-parity")
}

/// `ansible-playbook` on PATH, else the CI venv's.
fn ansible_playbook() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("ansible-playbook"))
        .chain([std::env::temp_dir().join("mxlint-ci-venv/bin/ansible-playbook")])
        .find(|p| p.is_file())
}

/// The Python running `ansible-playbook` (its shebang): it has PyYAML, and the local
/// connection uses it as the managed host's interpreter too.
fn python_for(playbook: &Path) -> PathBuf {
    let script = std::fs::read_to_string(playbook).unwrap_or_default();
    script
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("#!"))
        .map(|l| PathBuf::from(l.split_whitespace().next().unwrap_or("python3")))
        .unwrap_or_else(|| PathBuf::from("python3"))
}

/// The corpus: every `templates/*.j2`, sorted.
fn templates() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixture().join("templates"))
        .expect("templates dir")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".j2"))
        .collect();
    names.sort();
    names
}

/// INI inventory: host order of first appearance and each group's hosts.
fn inventory() -> (Vec<String>, IndexMap<String, Vec<String>>) {
    let text = std::fs::read_to_string(fixture().join("inventory.ini")).expect("inventory");
    let (mut hosts, mut groups) = (Vec::<String>::new(), IndexMap::<String, Vec<String>>::new());
    let mut current = String::from("ungrouped");
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = name.to_string();
            continue;
        }
        let host = line.split_whitespace().next().unwrap_or(line).to_string();
        if !hosts.contains(&host) {
            hosts.push(host.clone());
        }
        groups.entry(current.clone()).or_default().push(host);
    }
    let mut all = IndexMap::new();
    all.insert("all".to_string(), hosts.clone());
    let grouped: Vec<&String> = groups.values().flatten().collect();
    let ungrouped: Vec<String> = hosts
        .iter()
        .filter(|h| !grouped.contains(h) || groups.get("ungrouped").is_some_and(|u| u.contains(h)))
        .cloned()
        .collect();
    all.insert("ungrouped".to_string(), ungrouped);
    for (g, hs) in groups {
        if g != "ungrouped" {
            all.insert(g, hs);
        }
    }
    (hosts, all)
}

const TO_JSON: &str = r#"
import datetime, json, sys, yaml
def tag(v):
    if v is None: return {"t": "null"}
    if isinstance(v, bool): return {"t": "bool", "v": v}
    if isinstance(v, int): return {"t": "int", "v": str(v)}
    if isinstance(v, float): return {"t": "float", "v": repr(v)}
    if isinstance(v, (datetime.date, datetime.datetime)): return {"t": "ts", "v": str(v)}
    if isinstance(v, str): return {"t": "str", "v": v}
    if isinstance(v, list): return {"t": "seq", "v": [tag(i) for i in v]}
    if isinstance(v, dict): return {"t": "map", "v": [[tag(k), tag(x)] for k, x in v.items()]}
    raise TypeError(type(v))
out = {}
for path in sys.argv[1:]:
    with open(path) as f:
        out[path] = tag(yaml.safe_load(f) or {})
json.dump(out, sys.stdout)
"#;

fn node(j: &Json) -> Node {
    let v = &j["v"];
    let value = match j["t"].as_str().unwrap_or_default() {
        "null" => Y::Null,
        "bool" => Y::Bool(v.as_bool().unwrap_or_default()),
        "int" => Y::Int(v.as_str().unwrap_or("0").parse().expect("int")),
        "float" => Y::Float(match v.as_str().unwrap_or("0") {
            "inf" => f64::INFINITY,
            "-inf" => f64::NEG_INFINITY,
            "nan" => f64::NAN,
            f => f.parse().expect("float"),
        }),
        "ts" => Y::Timestamp(v.as_str().unwrap_or_default().to_string()),
        "str" => Y::Str(v.as_str().unwrap_or_default().to_string()),
        "seq" => Y::Seq(v.as_array().into_iter().flatten().map(node).collect()),
        "map" => Y::Map(
            v.as_array()
                .into_iter()
                .flatten()
                .map(|kv| (node(&kv[0]), node(&kv[1])))
                .collect(),
        ),
        other => panic!("unknown tag {other}"),
    };
    Node {
        value,
        span: Span::new(FileId(0), 0, 0),
    }
}

/// Each host's flat variables: `group_vars/all.yml` < `host_vars/<host>.yml`.
fn host_vars(python: &Path, hosts: &[String]) -> Vec<Vars> {
    let all = fixture().join("group_vars/all.yml");
    let mut files = vec![all.clone()];
    files.extend(
        hosts
            .iter()
            .map(|h| fixture().join(format!("host_vars/{h}.yml")))
            .filter(|p| p.is_file()),
    );
    let out = Command::new(python)
        .arg("-c")
        .arg(TO_JSON)
        .args(&files)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let docs: Json = serde_json::from_slice(&out.stdout).expect("json");
    let layer = |path: &Path| -> Vars {
        let mut vars = Vars::new();
        if let Y::Map(entries) = node(&docs[path.to_string_lossy().as_ref()]).value {
            for (k, v) in entries {
                if let Y::Str(k) = k.value {
                    vars.insert(k, Arc::new(v));
                }
            }
        }
        vars
    };
    hosts
        .iter()
        .map(|h| {
            let mut vars = layer(&all);
            let file = fixture().join(format!("host_vars/{h}.yml"));
            if file.is_file() {
                vars.extend(layer(&file));
            }
            vars
        })
        .collect()
}

fn controller_hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "localhost".into())
}

fn file_owner(path: &Path) -> String {
    let out = Command::new("stat").args(["-c", "%U"]).arg(path).output();
    out.ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "root".into())
}

/// Runs the play; returns the output directory (`<out>/<host>/<template>`).
fn run_ansible(playbook: &Path, work: &Path, names: &[String], hosts: &[String]) -> PathBuf {
    let python = python_for(playbook);
    let out = work.join("out");
    // The playbook directory's files/ is where lookup('file') looks.
    let files = work.join("files");
    std::fs::create_dir_all(&files).expect("files dir");
    for entry in std::fs::read_dir(fixture().join("files")).expect("fixture files") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), files.join(entry.file_name())).expect("copy");
    }
    for h in hosts {
        std::fs::create_dir_all(out.join(h)).expect("out dir");
    }
    let cfg = work.join("ansible.cfg");
    std::fs::write(
        &cfg,
        format!(
            "[defaults]\ntransport = local\ninterpreter_python = {}\nretry_files_enabled = false\n\
             gathering = explicit\nlocalhost_warning = false\ndeprecation_warnings = false\nforks = 3\n\
             [connection]\npipelining = true\n",
            python.display()
        ),
    )
    .expect("cfg");
    let list = names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let play = format!(
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - ansible.builtin.template:\n        \
         src: \"{fx}/templates/{{{{ item }}}}\"\n        dest: \"{out}/{{{{ inventory_hostname }}}}/{{{{ item }}}}\"\n      \
         loop: [{list}]\n      ignore_errors: true\n",
        fx = fixture().display(),
        out = out.display(),
    );
    std::fs::write(work.join("play.yml"), play).expect("play");
    let status = Command::new(playbook)
        .arg("-i")
        .arg(fixture().join("inventory.ini"))
        .arg(work.join("play.yml"))
        .env("ANSIBLE_CONFIG", &cfg)
        .env("PYTHONHASHSEED", "0")
        .env("ANSIBLE_NOCOLOR", "1")
        .current_dir(work)
        .output()
        .expect("ansible-playbook runs");
    assert!(
        status.status.code().is_some(),
        "ansible-playbook was killed: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    // MXLINT_PARITY_LOG=<file> keeps Ansible's output, to see why a template failed there.
    if let Some(log) = std::env::var_os("MXLINT_PARITY_LOG") {
        std::fs::write(log, &status.stdout).expect("log");
    }
    out
}

fn first_difference(a: &str, b: &str) -> String {
    let (al, bl): (Vec<&str>, Vec<&str>) = (a.split('\n').collect(), b.split('\n').collect());
    for i in 0..al.len().max(bl.len()) {
        let (x, y) = (al.get(i), bl.get(i));
        if x != y {
            return format!(
                "  line {}:\n  - ansible: {:?}\n  + mxlint:  {:?}",
                i + 1,
                x.unwrap_or(&"<none>"),
                y.unwrap_or(&"<none>")
            );
        }
    }
    "  (same lines; trailing bytes differ)".into()
}

#[test]
fn templates_render_as_ansible_renders_them() {
    let Some(playbook) = ansible_playbook() else {
        if std::env::var_os("CI").is_some() {
            panic!("ansible-playbook is required in CI");
        }
        eprintln!("NOTICE: ansible-playbook not found; skipping the render parity test");
        return;
    };
    let names = templates();
    assert!(
        names.len() >= 45,
        "the corpus has {} templates",
        names.len()
    );
    let (hosts, groups) = inventory();
    let work = tempfile::tempdir().expect("tempdir");
    let out = run_ansible(&playbook, work.path(), &names, &hosts);
    let vars = host_vars(&python_for(&playbook), &hosts);
    let fleet = Fleet::new(
        hosts
            .iter()
            .zip(vars)
            .map(|(h, v)| {
                let mut group_names: Vec<String> = groups
                    .iter()
                    .filter(|(g, hs)| *g != "all" && *g != "ungrouped" && hs.contains(h))
                    .map(|(g, _)| g.clone())
                    .collect();
                group_names.sort();
                Host {
                    name: h.clone(),
                    vars: v,
                    group_names,
                }
            })
            .collect(),
        groups.clone(),
    );
    let renderer = Renderer::new();
    let fx = fixture();
    let mut mismatches = Vec::new();
    let mut compared = 0;
    for name in &names {
        let path = fx.join("templates").join(name);
        let text: Arc<str> = std::fs::read_to_string(&path).expect("template").into();
        for (i, host) in hosts.iter().enumerate() {
            let mut job = RenderJob::new(
                TemplateSource {
                    path: path.clone(),
                    text: text.clone(),
                },
                i,
            );
            job.src = path.to_string_lossy().into_owned();
            job.dest = out.join(host).join(name).to_string_lossy().into_owned();
            job.search_paths = vec![work.path().to_path_buf()];
            job.controller = Controller {
                hostname: controller_hostname(),
                template_uid: file_owner(&path),
                playbook_dir: Some(work.path().to_path_buf()),
                ..Controller::default()
            };
            let ours = renderer.render(&fleet, &job);
            let theirs = std::fs::read(out.join(host).join(name))
                .ok()
                .map(|b| String::from_utf8(b).expect("utf-8 output"));
            compared += 1;
            match (&theirs, &ours.text) {
                (Some(a), Some(b)) if a == b => {}
                (None, None) => {}
                (Some(a), Some(b)) => mismatches.push(format!(
                    "{name} @ {host}: output differs\n{}",
                    first_difference(a, b)
                )),
                (Some(_), None) => mismatches.push(format!(
                    "{name} @ {host}: Ansible renders it, mxlint fails: {:?}",
                    ours.problems
                )),
                (None, Some(_)) => {
                    mismatches.push(format!("{name} @ {host}: Ansible fails, mxlint renders it"))
                }
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {compared} renders differ from Ansible:\n{}",
        mismatches.len(),
        mismatches
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
