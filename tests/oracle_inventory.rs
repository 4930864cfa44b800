//! oracle_inventory: mxlint's inventory against ansible-core 2.19's for the fixtures under
//! tests/fixtures/inventory — every host's merged variables, the group tree, the host order,
//! the `groups` and `group_names` magic variables, host patterns, host ranges, and INI values
//! read as Python literals (hand-picked and generated).
//!
//! Ansible runs once, in one Python process, through the same calls its CLIs make:
//! `ansible-inventory --list --playbook-dir DIR` (`VariableManager.get_vars(host,
//! stage='all')` minus the internal variables it drops) and `ansible PATTERN --list-hosts`
//! (`InventoryManager.list_hosts`). One start instead of one per fixture and pattern keeps
//! the test a few seconds long. The interpreter is the one of the venv's `ansible-inventory`
//! (on PATH in CI, or `$MXLINT_CI_VENV`, `${TMPDIR:-/tmp}/mxlint-ci-venv` where `.ci/run` puts
//! it). Without it the test prints a notice and passes, unless `CI` is set.

use mxlint::ansible::inventory::{GroupId, Inventory};
use mxlint::ansible::yaml::{Node, Value};
use mxlint::diagnostic::Severity;
use mxlint::source::SourceDb;
use serde_json::{json, Map, Value as J};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const PYTHON: &str = r#"
import sys, json, ast, shlex, warnings as _warnings
from ansible.plugins.loader import init_plugin_loader
init_plugin_loader([])
from ansible import constants as C
from ansible.errors import AnsibleError
from ansible.parsing.dataloader import DataLoader
from ansible.inventory.manager import InventoryManager
from ansible.vars.manager import VariableManager
from ansible.utils.display import Display
from ansible._internal._json._profiles import _inventory_legacy

said = []
Display.warning = lambda self, msg, *a, **k: said.append(str(msg))
Display.error_as_warning = lambda self, msg=None, exception=None, *a, **k: said.append('%s: %s' % (msg, exception))

def tree(inventory):
    # cli/inventory.py json_inventory() without variables
    out, seen = {}, set()
    hosts = frozenset(h.name for h in inventory.get_hosts('all'))
    def fmt(group):
        r = {}
        if group.name != 'all':
            r['hosts'] = [h.name for h in group.hosts if h.name in hosts]
        r['children'] = []
        for sub in group.child_groups:
            r['children'].append(sub.name)
            if sub.name not in seen:
                fmt(sub)
                seen.add(sub.name)
        r = {k: v for k, v in r.items() if v}
        if r:
            out[group.name] = r
    fmt(inventory.groups['all'])
    return out

def inventory(req):
    del said[:]
    loader = DataLoader()
    loader.set_basedir(req['playbook_dir'])
    inv = InventoryManager(loader=loader, sources=req['sources'])
    vm = VariableManager(loader=loader, inventory=inv)
    hosts = inv.get_hosts('all')
    hostvars = {}
    for host in hosts:
        v = vm.get_vars(host=host, include_hostvars=False, stage='all')
        for k in C.INTERNAL_STATIC_VARS:
            v.pop(k, None)
        hostvars[host.name] = v
    result = {
        '_meta': {'hostvars': hostvars},
        'load_warnings': list(said),
        'tree': tree(inv),
        'order': [h.name for h in hosts],
        'groups': inv.get_groups_dict(),
        'group_names': {h.name: h.get_vars()['group_names'] for h in hosts},
        'patterns': {},
    }
    for p in req.get('patterns', []):
        del said[:]
        try:
            inv.subset(None)
            # Ansible warns about a part once per run; mxlint once per pattern.
            inv.clear_caches()
            result['patterns'][p] = {'hosts': [h.name for h in inv.list_hosts(p)], 'warnings': list(said)}
        except Exception as e:
            # AnsibleError, or the IndexError a lone `&` or `!` raises
            result['patterns'][p] = {'error': (str(e).splitlines() or [type(e).__name__])[0]}
    return result

def literals(req):
    # Texts literal_eval fails on with an error ansible does not catch (TypeError) would fail
    # the whole file: they are kept out of it and listed apart.
    kept, refused = [], []
    for text in req['literals']:
        try:
            with _warnings.catch_warnings():
                _warnings.simplefilter('ignore')
                ast.literal_eval(text.strip())
        except (ValueError, SyntaxError):
            pass
        except Exception:
            refused.append(text)
            continue
        kept.append(text)
    with open(req['path'], 'w') as f:
        f.write('h\n[all:vars]\n')
        for i, text in enumerate(kept):
            f.write('v%d = %s\n' % (i, text))
    result = inventory({'sources': [req['path']], 'playbook_dir': req['playbook_dir']})
    result['kept'] = kept
    result['refused'] = refused
    return result

def host_lines(req):
    # Lines Ansible's INI plugin raises on (shlex errors, a word without '=', TypeError from
    # literal_eval) fail the whole file: they are kept out of it and listed apart.
    kept, refused = [], []
    for value in req['host_lines']:
        line = 'h%d k=%s' % (len(kept), value)
        try:
            tokens = shlex.split(line.strip(), comments=True)
            if not all('=' in t for t in tokens[1:]):
                raise ValueError('no =')
            for t in tokens[1:]:
                try:
                    with _warnings.catch_warnings():
                        _warnings.simplefilter('ignore')
                        ast.literal_eval(t.split('=', 1)[1])
                except (ValueError, SyntaxError):
                    pass
        except Exception:
            refused.append(value)
            continue
        kept.append(line)
    with open(req['path'], 'w') as f:
        f.write('[g]\n' + ''.join(line + '\n' for line in kept))
    result = inventory({'sources': [req['path']], 'playbook_dir': req['playbook_dir']})
    result['kept'] = kept
    result['refused'] = refused
    return result

def one(req):
    try:
        if 'literals' in req:
            return literals(req)
        if 'host_lines' in req:
            return host_lines(req)
        return inventory(req)
    except Exception as e:
        return {'crash': '%s: %s' % (type(e).__name__, e)}

out = [json.loads(json.dumps(one(r), cls=_inventory_legacy.Encoder)) for r in json.load(sys.stdin)]
json.dump(out, sys.stdout)
"#;

/// One fixture: its inventory sources and playbook directory (relative to the fixture).
struct Case {
    dir: &'static str,
    sources: &'static [&'static str],
    playbook: Option<&'static str>,
    patterns: &'static [&'static str],
}

/// Patterns tried on every fixture.
const COMMON_PATTERNS: &[&str] = &["all", "*", "ungrouped", "nope", "all:!ungrouped"];

const CASES: &[Case] = &[
    Case {
        dir: "ini-basic",
        sources: &["hosts"],
        playbook: None,
        patterns: &[
            "mail",
            "web:&mail",
            "frontends:!web",
            "mx*",
            "10.0.0.5",
            "solo*",
        ],
    },
    Case {
        dir: "ini-crlf",
        sources: &["hosts"],
        playbook: None,
        patterns: &["mail"],
    },
    Case {
        dir: "ini-values",
        sources: &["hosts"],
        playbook: None,
        patterns: &["typed[2:4]", "t?"],
    },
    Case {
        dir: "ini-ranges",
        sources: &["hosts"],
        playbook: None,
        patterns: &[
            "mail[0]",
            "mail[-1]",
            "mail[3:]",
            "mail[2:0]",
            "web[1-2]",
            "backup",
            "bk*",
        ],
    },
    Case {
        dir: "ini-children",
        sources: &["hosts"],
        playbook: None,
        patterns: &[
            "world",
            "europe:&capitals",
            "capitals:!france",
            "paris1",
            "~.*1$",
            "europe[0:1]",
        ],
    },
    Case {
        dir: "ini-priority",
        sources: &["hosts"],
        playbook: None,
        patterns: &[
            "zeta",
            "alpha,beta",
            "gamma:beta:alpha",
            "!alpha",
            "eta:&alpha",
        ],
    },
    Case {
        dir: "ini-dir",
        sources: &["inventory"],
        playbook: None,
        patterns: &["mail", "nested", "db", "ignored_txt", "*.example.org"],
    },
    Case {
        dir: "yaml-basic",
        sources: &["hosts.yml"],
        playbook: None,
        patterns: &[
            "mail",
            "mail_eu[1]",
            "mail:!mail_eu",
            "empty_group",
            "mx-eu*",
            "web,mail_us",
        ],
    },
    Case {
        dir: "yaml-quirks",
        sources: &["inventory.yaml"],
        playbook: None,
        patterns: &["single", "stringy", "typo", "numbers", "2001:db8::1"],
    },
    Case {
        dir: "yaml-noext",
        sources: &["inventory", "extra.json"],
        playbook: None,
        patterns: &["mail_web", "db:&mail", "mx1.example.org"],
    },
    Case {
        dir: "vars-files",
        sources: &["hosts"],
        playbook: None,
        patterns: &["web", "db"],
    },
    Case {
        dir: "playbook-vars",
        sources: &["inventory/hosts.ini"],
        playbook: Some("playbooks"),
        patterns: &["parent", "child"],
    },
    Case {
        dir: "multi-source",
        sources: &["a/hosts", "b/hosts.yml"],
        playbook: None,
        patterns: &["app", "app_child", "app[1]", "shared"],
    },
    // The playbook beside the first source: its layer comes again after the second's, so `a`
    // wins over `b` once more (read twice, not once).
    Case {
        dir: "multi-source",
        sources: &["a/hosts", "b/hosts.yml"],
        playbook: Some("a"),
        patterns: &[],
    },
    // Beside the last source: the same files right after themselves.
    Case {
        dir: "multi-source",
        sources: &["a/hosts", "b/hosts.yml"],
        playbook: Some("b"),
        patterns: &[],
    },
    Case {
        dir: "ungrouped",
        sources: &["hosts.yml"],
        playbook: None,
        patterns: &["web", "direct*", "ungr*", "al*"],
    },
    Case {
        dir: "patterns",
        sources: &["hosts"],
        playbook: None,
        patterns: &[
            "web",
            "web:db",
            "web,db",
            "db:web",
            "web:&eu",
            "eu:!web",
            "&web",
            "!web",
            "web:!web3.example.org",
            "*.example.org:!eu",
            "~(web|db)1",
            "~web[0-9]",
            "w?b*",
            "web[0]",
            "web[1:2]",
            "web[1:]",
            "web[-1]",
            "web[5]",
            "web*[1]",
            "web[x]",
            "~(",
            "localhost",
            "127.0.0.1",
            "nope:web",
            "eu:us:&db",
            "web_canary:&web:!db",
            "db[0-9]*",
            "[wd]*",
            "gw.example.org,web",
        ],
    },
    Case {
        dir: "host-order",
        sources: &["hosts"],
        playbook: None,
        patterns: &["a_first", "b_mid", "h*", "*_deep"],
    },
    Case {
        dir: "yaml-children-repeat",
        sources: &["hosts.yaml"],
        playbook: None,
        patterns: &["mail", "prod", "staging:!prod"],
    },
    Case {
        dir: "broken-ini",
        sources: &["hosts"],
        playbook: None,
        patterns: &[],
    },
    Case {
        dir: "broken-yaml",
        sources: &["hosts.yml"],
        playbook: None,
        patterns: &[],
    },
    Case {
        dir: "cycle",
        sources: &["hosts"],
        playbook: None,
        patterns: &[],
    },
    Case {
        dir: "bad-vars",
        sources: &["hosts"],
        playbook: None,
        patterns: &[],
    },
    Case {
        dir: "yaml-errors",
        sources: &["hosts.yml"],
        playbook: None,
        patterns: &[],
    },
];

/// Host lines with ranges, each read as its own one-group INI inventory.
const RANGES: &[&str] = &[
    "mail[01:05].example.org",
    "h[8:11]",
    "h[0:10:3]",
    "h[:2]",
    "h[5:1]",
    "h[5:1:-2]",
    "h[a:c]",
    "h[y:B]",
    "h[a:e:2]",
    "r[1:2]n[a:b]x[0:1]",
    "h[001:3]",
    "h[1:]",
    "h[1]",
    "h[c:a]",
    "h[1:2:0]",
    "h[a:3]",
    "h[1:2]]x",
    "x]y[1:2]",
    "h[-2:1]",
    "h[01:10:4]:2222",
    "10.0.[0:1].[1:2]",
    "h[1:3]-[a:b]",
    "h[1:2000]",
];

fn ansible_python() -> Option<PathBuf> {
    let venv = std::env::var_os("MXLINT_CI_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("mxlint-ci-venv"));
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    on_path
        .into_iter()
        .chain([venv.join("bin")])
        .map(|dir| dir.join("ansible-inventory"))
        .filter_map(|script| std::fs::read_to_string(script).ok())
        .filter_map(|text| {
            let python = text.lines().next()?.strip_prefix("#!")?.trim().to_string();
            Some(PathBuf::from(python))
        })
        .find(|python| python.exists())
}

fn fixture(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/inventory")
        .join(dir)
}

/// A YAML node as the JSON ansible-inventory prints (vault ciphertext left out).
fn node_json(node: &Node) -> J {
    match &node.value {
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Int(i) => i64::try_from(*i)
            .map(J::from)
            .or_else(|_| u64::try_from(*i).map(J::from))
            .unwrap_or_else(|_| json!(*i as f64)),
        Value::Float(f) => json!(f),
        Value::Str(s) | Value::Timestamp(s) => J::String(s.clone()),
        Value::Unsafe(s) => json!({ "__ansible_unsafe": s }),
        Value::Vault => json!({ "__ansible_vault": "VAULT" }),
        Value::Seq(items) => J::Array(items.iter().map(node_json).collect()),
        Value::Map(pairs) => {
            let mut map = Map::new();
            for (k, v) in pairs {
                let key = match &k.value {
                    Value::Str(s) | Value::Unsafe(s) | Value::Timestamp(s) => s.clone(),
                    Value::Null => "null".into(),
                    other => node_json(&Node {
                        value: other.clone(),
                        span: k.span,
                    })
                    .to_string(),
                };
                map.insert(key, node_json(v));
            }
            J::Object(map)
        }
    }
}

/// Ansible's side made comparable: vault ciphertext replaced as in [`node_json`].
fn normalise(value: &mut J) {
    match value {
        J::Object(map) => {
            if map.contains_key("__ansible_vault") {
                map.insert("__ansible_vault".into(), json!("VAULT"));
            }
            map.values_mut().for_each(normalise);
        }
        J::Array(items) => items.iter_mut().for_each(normalise),
        _ => {}
    }
}

/// The JSON of ansible-inventory's group tree for our inventory.
fn tree(inv: &Inventory) -> J {
    fn format(inv: &Inventory, g: GroupId, out: &mut Map<String, J>, seen: &mut Vec<GroupId>) {
        let group = inv.group(g);
        let mut entry = Map::new();
        if group.name() != "all" {
            let hosts: Vec<&str> = group.hosts().iter().map(|&h| inv.host(h).name()).collect();
            if !hosts.is_empty() {
                entry.insert("hosts".into(), json!(hosts));
            }
        }
        let children: Vec<&str> = group
            .children()
            .iter()
            .map(|&c| inv.group(c).name())
            .collect();
        if !children.is_empty() {
            entry.insert("children".into(), json!(children));
        }
        for &c in group.children() {
            if !seen.contains(&c) {
                format(inv, c, out, seen);
                seen.push(c);
            }
        }
        if !entry.is_empty() {
            out.insert(group.name().to_string(), J::Object(entry));
        }
    }
    let mut out = Map::new();
    format(inv, GroupId(0), &mut out, &mut Vec::new());
    J::Object(out)
}

/// Whether Ansible's host order depends on a Python `set` somewhere in this inventory: when
/// `Group.get_hosts()` walks a level holding two groups that both lead to groups not seen yet,
/// the next level's order follows their memory addresses. Host lists are then compared as sets.
fn order_is_arbitrary(inv: &Inventory) -> bool {
    (0..inv.groups().len()).any(|g| {
        let start = GroupId(g as u32);
        let mut seen = vec![start];
        seen.extend(inv.group(start).children());
        let mut level = seen.clone();
        while !level.is_empty() {
            let mut next = Vec::new();
            let mut parents = 0;
            for &g in &level {
                let new: Vec<GroupId> = inv
                    .group(g)
                    .children()
                    .iter()
                    .copied()
                    .filter(|c| !seen.contains(c) && !next.contains(c))
                    .collect();
                parents += usize::from(!new.is_empty());
                next.extend(new);
            }
            if parents > 1 {
                return true;
            }
            seen.extend(&next);
            level = next;
        }
        false
    })
}

/// What mxlint makes of a fixture, in the shape of the Python side's answer.
fn ours(sources: &[PathBuf], playbook: Option<&Path>, patterns: &[String]) -> (J, Problems) {
    let mut db = SourceDb::new();
    let (inv, mut found) = Inventory::load(&mut db, sources);
    let mut hostvars = Map::new();
    let mut group_names = Map::new();
    for name in inv.host_names() {
        let (vars, more) = inv.host_vars(&mut db, name, playbook);
        found.extend(more);
        let vars: Map<String, J> = vars
            .iter()
            .map(|(k, v)| (k.clone(), node_json(v)))
            .collect();
        hostvars.insert(name.to_string(), J::Object(vars));
        group_names.insert(name.to_string(), json!(inv.group_names(name)));
    }
    let mut selected = Map::new();
    for p in patterns {
        let s = inv.select_with_problems(p);
        let answer = match s.error {
            Some(e) => json!({ "error": e }),
            None => json!({ "hosts": s.hosts, "warnings": s.warnings }),
        };
        selected.insert(p.clone(), answer);
    }
    let mut problems = Problems::default();
    for d in &found {
        let (start, _) = db.range(d.primary.span);
        let path = db.file(d.primary.span.file).path().display().to_string();
        let text = format!("{path}:{}: {}", start.line, d.message);
        match d.severity {
            Severity::Error => problems.errors.push(text),
            _ => problems.warnings.push(text),
        }
    }
    let answer = json!({
        "_meta": { "hostvars": hostvars },
        "tree": tree(&inv),
        "order": inv.host_names().collect::<Vec<_>>(),
        "groups": inv
            .groups_map()
            .into_iter()
            .map(|(g, hosts)| (g, json!(hosts)))
            .collect::<Map<String, J>>(),
        "group_names": group_names,
        "patterns": selected,
        "arbitrary_order": order_is_arbitrary(&inv),
    });
    (answer, problems)
}

/// What went wrong while reading: errors (Ansible gives up on the file or the variables) and
/// warnings (Ansible skips a part and reads on).
#[derive(Debug, Default)]
struct Problems {
    errors: Vec<String>,
    warnings: Vec<String>,
}

/// Ansible's load problems: failed sources and a crash as errors, the YAML plugin's
/// "Skipping" and vars files found where a directory belongs as warnings.
fn their_problems(answer: &J) -> Problems {
    let mut problems = Problems::default();
    let warnings = answer["load_warnings"].as_array().into_iter().flatten();
    for w in warnings.filter_map(J::as_str) {
        if w.starts_with("Failed to parse") || w.starts_with("Unable to parse") {
            problems.errors.push(w.to_string());
        } else if w.starts_with("Skipping") || w.starts_with("Found group_vars") {
            problems.warnings.push(w.to_string());
        }
    }
    // A broken vars file makes Ansible raise when the variables are asked for.
    problems
        .errors
        .extend(answer["crash"].as_str().map(str::to_string));
    problems
}

/// Host lists sorted, where Ansible's order is arbitrary.
fn unordered(value: &J) -> J {
    match value {
        J::Array(items) => {
            let mut items = items.clone();
            items.sort_by_key(|v| v.to_string());
            J::Array(items)
        }
        J::Object(map) => J::Object(map.iter().map(|(k, v)| (k.clone(), unordered(v))).collect()),
        other => other.clone(),
    }
}

fn compare(label: &str, theirs: &J, ours: &J, mismatches: &mut Vec<String>) {
    let arbitrary = ours["arbitrary_order"] == J::Bool(true);
    let hosts = |v: &J| if arbitrary { unordered(v) } else { v.clone() };
    for key in ["order", "tree", "groups", "group_names"] {
        let order_matters = matches!(key, "tree" | "group_names");
        if order_matters && theirs[key] != ours[key] || hosts(&theirs[key]) != hosts(&ours[key]) {
            mismatches.push(format!(
                "{label}: {key}\n  ansible: {}\n  mxlint:  {}",
                theirs[key], ours[key]
            ));
        }
    }
    let empty = Map::new();
    let their_vars = theirs["_meta"]["hostvars"].as_object().unwrap_or(&empty);
    let our_vars = ours["_meta"]["hostvars"].as_object().unwrap_or(&empty);
    for (host, vars) in their_vars {
        let mine = our_vars.get(host).unwrap_or(&J::Null);
        if vars != mine {
            mismatches.push(format!(
                "{label}: vars of {host}\n  ansible: {vars}\n  mxlint:  {mine}"
            ));
        }
    }
    for host in our_vars.keys().filter(|h| !their_vars.contains_key(*h)) {
        mismatches.push(format!("{label}: mxlint has host {host}, ansible does not"));
    }
    let their_patterns = theirs["patterns"].as_object().unwrap_or(&empty);
    for (pattern, answer) in their_patterns {
        let mine = &ours["patterns"][pattern];
        let same = match (answer.get("error"), mine.get("error")) {
            (Some(_), Some(_)) => true,
            (None, None) => {
                hosts(&answer["hosts"]) == hosts(&mine["hosts"])
                    && answer["warnings"].as_array().map(Vec::is_empty)
                        == mine["warnings"].as_array().map(Vec::is_empty)
            }
            _ => false,
        };
        if !same {
            mismatches.push(format!(
                "{label}: pattern {pattern:?}\n  ansible: {answer}\n  mxlint:  {mine}"
            ));
        }
    }
}

fn run_python(python: &Path, requests: &J, work: &Path) -> Vec<J> {
    let config = work.join("ansible.cfg");
    std::fs::write(&config, "").unwrap();
    let mut child = Command::new(python)
        .args(["-c", PYTHON])
        .current_dir(work)
        .env("ANSIBLE_CONFIG", &config)
        .env("ANSIBLE_HOME", work.join("home"))
        .env("ANSIBLE_LOCAL_TEMP", work.join("tmp"))
        .env("ANSIBLE_DEPRECATION_WARNINGS", "False")
        .env("ANSIBLE_INVENTORY_UNPARSED_WARNING", "False")
        .env("ANSIBLE_NOCOLOR", "1")
        .env("PYTHONHASHSEED", "0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let input = serde_json::to_vec(requests).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(
        out.status.success(),
        "ansible harness failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Values for `[all:vars]` lines: hand-picked, then generated from the tokens that matter.
fn literal_corpus() -> Vec<String> {
    let mut texts: Vec<String> = [
        "5",
        "-5",
        "+5",
        "--5",
        "0",
        "00",
        "0_0",
        "0644",
        "0o644",
        "0O17",
        "0x1f",
        "0X_1F",
        "0b101",
        "1_000",
        "1__0",
        "1_",
        "1e3",
        "1E-3",
        "1.5",
        ".5",
        "5.",
        "1.e5",
        "0777.5",
        "07e1",
        "1e",
        "1j",
        "2.5J",
        "1+2j",
        "-1-2j",
        "1j+1",
        "1+2",
        "-(1)",
        "(-1)",
        "((1))",
        "(1,)",
        "()",
        "[]",
        "{}",
        "set()",
        "set",
        "True",
        "False",
        "None",
        "true",
        "none",
        "yes",
        "...",
        "Ellipsis",
        "'a'",
        "\"a\"",
        "'a' 'b'",
        "'a' b'b'",
        "b'x'",
        "rb'\\x'",
        "u'x'",
        "f'x'",
        "'''t'''",
        "'\\x41\\101\\u00e9\\U0001F600'",
        "'\\q'",
        "r'\\n'",
        "'\\x4'",
        "[1, 'a', [2, (3,)]]",
        "{'a': 1, 'a': 2}",
        "{1: 'x', True: 'y'}",
        "{1, 2, 1}",
        "{'k': {'n': None}}",
        "1, 2",
        "1,",
        ",",
        "[1,]",
        "[,]",
        "{**a}",
        "[*a]",
        "not 1",
        "1 if 1 else 2",
        "hello world",
        "hello # c",
        "5 # c",
        "x=1",
        "a:b",
        "[1, 2",
        "'open",
        "\"mixed'",
        "é",
        "'é'",
        "12345678901234567890",
        "-0",
        "-0.0",
        "9",
        "2024-01-02",
        "1:20",
        "~",
        "{[1]: 2}",
        "{[1]}",
        "{(1, [2])}",
        "{1: {}}",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let tokens = [
        "0", "1", "7", "_", ".", "e", "-", "+", "j", "x", "o", "'", "\"", "[", "]", "(", ")", "{",
        "}", ",", ":", " ", "a", "b", "r", "True", "None", "#", "\\",
    ];
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..1500 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut x = seed;
        let len = 1 + (x % 6) as usize;
        x /= 6;
        let mut text = String::new();
        for _ in 0..len {
            text.push_str(tokens[(x % tokens.len() as u64) as usize]);
            x /= tokens.len() as u64;
        }
        let text = text.trim().to_string();
        if !text.is_empty() {
            texts.push(text);
        }
    }
    texts
}

/// `[all:vars]` values read as Python literals: each kept text against Ansible's value, each
/// refused one (Ansible fails the file) against an MX104 error. The number compared.
fn literals_match(answer: &J, path: &Path, work: &Path, mismatches: &mut Vec<String>) -> usize {
    let mut theirs = answer.clone();
    normalise(&mut theirs);
    let (mine, _) = ours(&[path.to_path_buf()], None, &[]);
    let kept = theirs["kept"].as_array().unwrap();
    let their_vars = &theirs["_meta"]["hostvars"]["h"];
    let our_vars = &mine["_meta"]["hostvars"]["h"];
    for (i, text) in kept.iter().enumerate() {
        let key = format!("v{i}");
        if their_vars[&key] != our_vars[&key] {
            mismatches.push(format!(
                "literal {text}: ansible {}, mxlint {}",
                their_vars[&key], our_vars[&key]
            ));
        }
    }
    for text in theirs["refused"].as_array().unwrap() {
        let refused = work.join("refused.ini");
        let line = format!("h\n[all:vars]\nv = {}\n", text.as_str().unwrap());
        std::fs::write(&refused, line).unwrap();
        if ours(&[refused], None, &[]).1.errors.is_empty() {
            mismatches.push(format!(
                "literal {text}: ansible fails the file, mxlint accepts it"
            ));
        }
    }
    kept.len()
}

/// Host lines `hN k=VALUE`: shlex splitting and literal values together, the same way.
fn host_lines_match(answer: &J, path: &Path, work: &Path, mismatches: &mut Vec<String>) -> usize {
    let mut theirs = answer.clone();
    normalise(&mut theirs);
    let (mine, problems) = ours(&[path.to_path_buf()], None, &[]);
    if !problems.errors.is_empty() {
        mismatches.push(format!("host lines: mxlint refuses {problems:?}"));
    }
    let kept = theirs["kept"].as_array().unwrap();
    for (i, line) in kept.iter().enumerate() {
        let host = format!("h{i}");
        let their_vars = &theirs["_meta"]["hostvars"][&host];
        let our_vars = &mine["_meta"]["hostvars"][&host];
        if their_vars != our_vars {
            mismatches.push(format!(
                "host line {line}: ansible {their_vars}, mxlint {our_vars}"
            ));
        }
    }
    for value in theirs["refused"].as_array().unwrap() {
        let refused = work.join("refused-line.ini");
        std::fs::write(&refused, format!("[g]\nh0 k={}\n", value.as_str().unwrap())).unwrap();
        if ours(&[refused], None, &[]).1.errors.is_empty() {
            mismatches.push(format!(
                "host line value {value}: ansible fails the file, mxlint accepts it"
            ));
        }
    }
    kept.len()
}

/// A xorshift stream of `count` strings of 1 to `max` tokens.
fn generated(seed: u64, count: usize, max: u64, tokens: &[&str]) -> Vec<String> {
    let mut seed = seed;
    let mut out = Vec::new();
    for _ in 0..count {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut x = seed;
        let len = 1 + x % max;
        x /= max;
        let mut text = String::new();
        for _ in 0..len {
            text.push_str(tokens[(x % tokens.len() as u64) as usize]);
            x /= tokens.len() as u64;
        }
        if !out.contains(&text) {
            out.push(text);
        }
    }
    out
}

/// Host patterns built from the names of the `patterns` fixture and pattern syntax.
fn generated_patterns() -> Vec<String> {
    let tokens = [
        "web",
        "db",
        "mail",
        "eu",
        "us",
        "gw",
        "*",
        "?",
        "[0]",
        "[1:]",
        "[-1]",
        "[0:1]",
        ":",
        ",",
        "&",
        "!",
        "~",
        "w",
        ".",
        "example",
        "org",
        "1",
        "2",
        "localhost",
        "web_canary",
        " ",
    ];
    generated(0x9e37_79b9_7f4a_7c15, 300, 6, &tokens)
}

/// Values after `k=` on a host line: quotes, escapes, comments and literal syntax.
fn host_line_corpus() -> Vec<String> {
    let mut values: Vec<String> = [
        "1",
        "'1'",
        "\"'1'\"",
        "a\\ b",
        "\"a\\\"b\"",
        "'a\\'",
        "x#y",
        "\"x#y\"",
        "\"[1, 2]\"",
        "'{\"a\": [1]}'",
        "\"'a' 'b'\"",
        "True",
        "\"\"",
        "''",
        "'a'\"b\"c",
        "é",
        "\"b'x'\"",
        "1,2",
        "a=b",
        "\"a b\" c=d",
        "\\#",
        "'#'",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let tokens = [
        "a", "1", "=", "'", "\"", "\\", "#", " ", "[", "]", "{", "}", ":", ",", ".", "True", "0x1",
        "-", "é", "\t", "k=",
    ];
    values.extend(generated(0x2545_f491_4f6c_dd1d, 1500, 8, &tokens));
    values
}

/// One inventory compared: what to load and which patterns to try.
struct Planned {
    label: String,
    sources: Vec<PathBuf>,
    playbook: Option<PathBuf>,
    patterns: Vec<String>,
}

#[test]
fn inventories_match_ansible() {
    let Some(python) = ansible_python() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but ansible-core's ansible-inventory is not found"
        );
        eprintln!("NOTICE: ansible-inventory not found; skipping the inventory oracle test");
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let empty = work.path().join("no-playbook");
    std::fs::create_dir_all(&empty).unwrap();

    let mut requests = Vec::new();
    let mut plan: Vec<Planned> = Vec::new();
    for case in CASES {
        let dir = fixture(case.dir);
        let sources: Vec<PathBuf> = case.sources.iter().map(|s| dir.join(s)).collect();
        let playbook = case.playbook.map(|p| dir.join(p));
        let patterns: Vec<String> = COMMON_PATTERNS
            .iter()
            .chain(case.patterns)
            .map(|p| p.to_string())
            .collect();
        requests.push(json!({
            "sources": sources,
            "playbook_dir": playbook.clone().unwrap_or_else(|| empty.clone()),
            "patterns": patterns,
        }));
        plan.push(Planned {
            label: match case.playbook {
                Some(p) => format!("{} (playbook dir {p})", case.dir),
                None => case.dir.to_string(),
            },
            sources,
            playbook,
            patterns,
        });
    }
    let ranges_dir = work.path().join("ranges");
    std::fs::create_dir_all(&ranges_dir).unwrap();
    for (i, range) in RANGES.iter().enumerate() {
        let path = ranges_dir.join(format!("r{i}"));
        std::fs::write(&path, format!("[g]\n{range}\n")).unwrap();
        requests.push(json!({ "sources": [path], "playbook_dir": empty }));
        plan.push(Planned {
            label: format!("range {range:?}"),
            sources: vec![path],
            playbook: None,
            patterns: Vec::new(),
        });
    }
    let patterns = generated_patterns();
    requests.push(json!({
        "sources": [fixture("patterns").join("hosts")],
        "playbook_dir": empty,
        "patterns": patterns,
    }));
    plan.push(Planned {
        label: "patterns (generated)".into(),
        sources: vec![fixture("patterns").join("hosts")],
        playbook: None,
        patterns,
    });
    let literal_path = work.path().join("literals.ini");
    requests.push(json!({
        "literals": literal_corpus(),
        "path": literal_path,
        "playbook_dir": empty,
    }));
    let lines_path = work.path().join("host-lines.ini");
    requests.push(json!({
        "host_lines": host_line_corpus(),
        "path": lines_path,
        "playbook_dir": empty,
    }));

    let answers = run_python(&python, &J::Array(requests), work.path());
    let mut mismatches = Vec::new();
    let mut compared = 0;
    for (planned, mut theirs) in plan.iter().zip(answers.iter().cloned()) {
        let label = &planned.label;
        normalise(&mut theirs);
        let (mine, problems) = ours(
            &planned.sources,
            planned.playbook.as_deref(),
            &planned.patterns,
        );
        let theirs_said = their_problems(&theirs);
        let differ = |a: &[String], b: &[String]| a.is_empty() != b.is_empty();
        if differ(&theirs_said.errors, &problems.errors)
            || theirs_said.errors.is_empty() && differ(&theirs_said.warnings, &problems.warnings)
        {
            mismatches.push(format!(
                "{label}: load problems\n  ansible: {theirs_said:?}\n  mxlint:  {problems:?}"
            ));
        }
        // Ansible drops the rest of a file at its first error; mxlint reads on, so the
        // contents of broken sources are not compared.
        if theirs_said.errors.is_empty() {
            compare(label, &theirs, &mine, &mut mismatches);
            compared += 1;
        }
    }

    let [.., literal_answer, lines_answer] = &answers[..] else {
        panic!("no answers for the literal and host line corpora");
    };
    let kept = literals_match(literal_answer, &literal_path, work.path(), &mut mismatches);
    let lines = host_lines_match(lines_answer, &lines_path, work.path(), &mut mismatches);
    assert!(compared >= 20, "only {compared} inventories compared");
    assert!(kept > 1000, "only {kept} literals compared");
    assert!(lines > 500, "only {lines} host lines compared");
    assert!(
        mismatches.is_empty(),
        "{} differences from ansible-core:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}
