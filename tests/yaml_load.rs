//! yaml_load: `ansible::yaml::load` against PyYAML (and Ansible's own loader for `!vault`,
//! `!unsafe` and Ansible-only tags), plus byte spans, secrets and the resource limits.
//!
//! The oracle needs `python3` with PyYAML; documents with Ansible tags also need ansible-core
//! (`.ci/run` installs both). Without them the oracle prints a notice and passes, unless `CI`
//! is set.

use mxlint::ansible::yaml::{load, Node, Value, YamlError};
use mxlint::source::FileId;
use serde_json::{json, Value as Json};
use std::process::Stdio;
use std::time::{Duration, Instant};

#[path = "support/python.rs"]
mod python;

const FILE: FileId = FileId(7);

/// Loads each document and prints it as JSON the way `Node::to_json` does: keys as
/// `json.dumps` names them, timestamps as `isoformat()`, vault values as a placeholder,
/// infinities and NaN as strings.
const PYTHON: &str = r#"
import datetime, json, math, sys, yaml
try:
    from ansible.parsing.yaml.loader import AnsibleLoader
    from ansible.parsing.vault import EncryptedString
except ImportError:
    AnsibleLoader, EncryptedString = None, ()

def number_text(f):
    if math.isnan(f): return "NaN"
    if math.isinf(f): return "Infinity" if f > 0 else "-Infinity"
    return repr(float(f))

def key(k):
    if isinstance(k, str): return str(k)
    if k is True or k is False or k is None: return json.dumps(k)
    if isinstance(k, int): return str(int(k))
    if isinstance(k, float): return number_text(k)
    if isinstance(k, datetime.date): return k.isoformat()
    raise TypeError(type(k))

def norm(v):
    if isinstance(v, EncryptedString): return "<vaulted>"
    if v is None or isinstance(v, bool): return v
    if isinstance(v, int): return int(v)
    if isinstance(v, float): return float(v) if math.isfinite(v) else number_text(v)
    if isinstance(v, datetime.date): return v.isoformat()
    if isinstance(v, str): return str(v)
    if isinstance(v, list): return [norm(x) for x in v]
    if isinstance(v, dict):
        out = {}
        for k, x in v.items(): out[key(k)] = norm(x)
        return out
    raise TypeError(type(v))

def load(text, ansible):
    if not ansible:
        return list(yaml.safe_load_all(text))
    loader = AnsibleLoader(text)
    try:
        docs = []
        while loader.check_data(): docs.append(loader.get_data())
        return docs
    finally:
        loader.dispose()

out = []
for item in json.load(sys.stdin):
    if item["ansible"] and AnsibleLoader is None:
        out.append({"skip": True}); continue
    try: out.append({"ok": [norm(d) for d in load(item["text"], item["ansible"])]})
    except Exception as e: out.append({"err": type(e).__name__})
json.dump(out, sys.stdout)
"#;

/// Small documents covering what Ansible repositories use. Merge cases keep overlapping keys
/// to one character where a sequence of aliases is merged: PyYAML 6.0.4 lets the later mapping
/// win for longer keys (it dedups merged keys by string identity), 6.0.3 and the spec the earlier.
const CORPUS: &[&str] = &[
    "a: 1\nb: two\nc: 3.5\n",
    "yes: 1\nno: 2\non: 3\noff: 4\ny: 5\nn: 6\n",
    "mode: 0644\nhex: 0x1F\nbin: 0b101\noct_o: 0o644\nneg: -0644\n",
    "t: 1:20\nf: 1:20.5\nneg: -1:30\nbig: 190:20:30\n",
    "d: 2024-01-02\ndt: 2024-01-02T10:20:30Z\nsp: 2024-01-02 10:20:30.5 +02:00\nn: 2024-1-2 1:02:03\n",
    "a: 2024-01-02 10:20:30\nb: 2024-01-02T10:20:30.000+00:00\nc: 2024-01-02t1:20:30-05:30\n",
    "e: 1e3\nf: 1.0e+3\ng: .5\nh: -.inf\ni: .NaN\nj: 1_000.5\nk: 1.\n",
    "n1: ~\nn2: null\nn3:\nn4: Null\nn5: ''\nn6: NULL\n",
    "q1: 'it''s'\nq2: \"tab\\there\"\nq3: \"\\u00e9\\x41\\N\\_\"\nq4: \"a\\\n  b\"\n",
    "a: \"\\U0001F600\"\nb: \"\\L\\P\\e\\/\\0\"\n",
    "lit: |\n  line1\n  line2\n\nfold: >\n  a\n  b\n\n  c\nnext: 1\n",
    "strip: |-\n  x\n\nkeep: >+\n  y\n\n\nz: 1\n",
    "ind: |2\n    indented\n  x\nfolded_more: >\n  a\n    b\n  c\n",
    "flow: {a: 1, b: [x, y, {c: d}], e: 'q'}\n",
    "seq:\n- a\n- - b\n  - c\n- d: 1\n  e: 2\n",
    "a:\n  - b:\n      c: [1, {d: [2, 3]}]\n",
    "- 1\n- two\n- 3.0\n- [yes, no]\n",
    "empty_seq: []\nempty_map: {}\nnested: [[], {}]\n",
    "a: -1\nb: +1\nc: -0\nd: 00\ne: 09\nf: 0.0\ng: 1_000\n",
    "a: 123456789012345678901234567890\nb: -9223372036854775809\n",
    "a: 1.0\nb: 100.0\nc: 1.0e+20\nd: 0.00001\ne: 6.8523015e+5\n",
    "ports: [25, 587, 465]\nhosts: [mx1.example.com, 'mx2']\n",
    "a: 'é'\nb: \"ü\"\nc: ✓ done\nd: 日本\n",
    "key with spaces: value with spaces\n'quoted key': \"dq\"\n",
    "a: 'multi\n  line'\nb: plain\n  continued\n\n  para\n",
    "a: &a {x: 1, y: 2}\nb:\n  <<: *a\n  y: 3\n",
    "a: &a {x: 1, y: 1}\nb: &b {x: 2, z: 2}\nc:\n  <<: [*a, *b]\n  w: 0\n",
    "base: &base\n  port: 143\n  ssl: yes\nimaps:\n  <<: *base\n  port: 993\n",
    "a: &a {x: 1}\nb: &b {<<: *a, y: 2}\nc: {<<: *b, z: 3}\n",
    "a: &a {xx: 1}\nb: &b {xx: 2, q: 1}\nc:\n  <<: *a\n  <<: *b\n",
    "defaults: &d\n  user: vmail\n  uid: 5000\nmail:\n  <<: *d\n  uid: 8\n  extra: {<<: *d}\n",
    "a: {<<: {x: 1}, y: 2}\nb: {<<: [], c: 1}\n",
    "'<<': {a: 1}\n",
    "a: &a [1, 2]\nb: *a\nc: [*a, *a]\n",
    "a: &s hello\nb: *s\n*s : key\n",
    "a: &x !!str 5\nb: *x\n",
    "a: 1\nb: 2\na: 3\n",
    "yes: 1\ntrue: 2\nTrue: 3\n",
    "1: a\n1.0: b\n2: c\n",
    "1: a\n'1': b\n",
    "~: a\n1.5: b\n1e3: c\n0x10: d\n",
    "dup_in_flow: {a: 1, a: 2}\n",
    "a: 1\r\nb:\r\n  - x\r\n  - y\r\nc: |\r\n  l1\r\n  l2\r\nd: 'q\r\n  r'\r\n",
    "\u{feff}a: 1\nb: é\n",
    "\u{feff}",
    "%YAML 1.2\n---\na: yes\nb: 0644\n",
    "%YAML 1.1\n---\na: on\n",
    "a: 1\n---\nb: 2\n...\n---\n- c\n",
    "a\n...\n---\n",
    "",
    "# just a comment\n",
    "---\n# comment\n",
    "--- |\n  literal doc\n",
    "x: 1\n--- >\n  folded\n  doc\n",
    "a: !!str 0644\nb: !!int '0644'\nc: !!float '1'\nd: !!bool 'yes'\ne: !!null 'x'\n",
    "a: !!int 0o17\nb: !!int '1:30'\nc: !!float 1e3\nd: !!float '1_0'\ne: !!bool OFF\n",
    "a: !!timestamp '2024-01-02'\nb: !!str 2024-01-02\n",
    "a: !!map {x: 1}\nb: !!seq [1]\nc: !!str\n",
    "a: !<tag:yaml.org,2002:str> 12\nb: ! x\nc: ! 12\n",
    "!!str key: 1\n? complex key\n: value\n",
    "a: {? b}\n",
    "a: !!foo x\n",
    "a: !foo x\n",
    "a: !!int foo\n",
    "a: !!bool maybe\n",
    "a: 2024-02-30\n",
    "a: 2024-01-02 25:00:00\n",
    "[a, b]: 1\n",
    "? {a: 1}\n: 1\n",
    "a: b: c\n",
    "a: [1, 2\n",
    "a: 'open\n",
    "a: *nope\n",
    "a: &x 1\n---\nb: *x\n",
    "a: [<<]\n",
    "a: 1\nb:\n  <<: 1\n",
    "a: &a [1]\nb: {<<: [*a]}\n",
    "a: !!str {b: 1}\n",
    "a: !!map x\n",
    "a: !!int [1]\n",
    "%YAML 1.1\n%YAML 1.1\n---\na: 1\n",
    "a: 1\n...\nb\n",
    "...\n",
    "# c\n\n... # end\n",
    "  ...\n",
    "a: 1\n...\n...\n",
    "a: 1\n...\n# c\n",
    "--- a\n...\n--- b\n",
    "a: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  6162\nb: !unsafe '{{ x }}'\n",
    "a: !unsafe '123'\nb: !unsafe yes\nc: !unsafe\nd: !unsafe \"{{ y }}\"\n",
    "a: !unsafe {b: '{{ x }}', c: [1, '{{ y }}']}\n",
    "a: &x !unsafe '{{ y }}'\nb: *x\n",
    "a: !vault 123\n",
    "a: !vault {b: 1}\n",
    "a: !vault-encrypted 'x'\n",
    "a: !!python/dict {b: 1}\nc: !!python/unicode x\n",
    "a: !<!unsafe> x\n",
];

/// Documents only Ansible's loader accepts (or rejects differently from PyYAML).
fn needs_ansible(text: &str) -> bool {
    ["!vault", "!unsafe", "!!python", "!<!unsafe>"]
        .iter()
        .any(|tag| text.contains(tag))
}

fn skip_or_fail(what: &str) {
    python::skip_or_fail(what, "part of the PyYAML oracle test");
}

fn run_python(texts: &[&str]) -> Vec<Json> {
    let input: Vec<Json> = texts
        .iter()
        .map(|t| json!({"text": t, "ansible": needs_ansible(t)}))
        .collect();
    let out = python::run(
        PYTHON,
        &serde_json::to_string(&input).unwrap(),
        Stdio::null(), // Ansible's duplicate-key and deprecation warnings
    );
    assert!(out.status.success(), "the oracle script failed");
    serde_json::from_slice(&out.stdout).unwrap()
}

fn ours(text: &str) -> Json {
    match load(FILE, text) {
        Ok(docs) => json!({"ok": docs.iter().map(Node::to_json).collect::<Vec<_>>()}),
        Err(e) => json!({"err": e.message}),
    }
}

/// Same documents, and (outside merges, whose order differs between PyYAML releases) the
/// same key order.
fn agrees(text: &str, expected: &Json, got: &Json) -> bool {
    match (expected.get("ok"), got.get("ok")) {
        (Some(e), Some(g)) if text.contains("<<") => e == g,
        (Some(e), Some(g)) => serde_json::to_string(e).ok() == serde_json::to_string(g).ok(),
        (None, None) => true,
        _ => false,
    }
}

#[test]
fn documents_load_like_pyyaml() {
    if !python::has_yaml() {
        skip_or_fail("python3 with PyYAML");
        return;
    }
    assert!(CORPUS.len() >= 60);
    let theirs = run_python(CORPUS);
    let mut mismatches = Vec::new();
    let mut skipped = 0;
    for (text, expected) in CORPUS.iter().zip(&theirs) {
        if expected.get("skip").is_some() {
            skipped += 1;
            continue;
        }
        let got = ours(text);
        if !agrees(text, expected, &got) {
            mismatches.push(format!("{text:?}:\n  PyYAML {expected}\n  mxlint {got}"));
        }
    }
    assert!(CORPUS.len() - skipped >= 60, "too few documents compared");
    if skipped > 0 {
        skip_or_fail("ansible-core (for documents with Ansible tags)");
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} documents differ:\n{}",
        mismatches.len(),
        CORPUS.len() - skipped,
        mismatches.join("\n")
    );
}

fn doc(text: &str) -> Node {
    let mut docs = load(FILE, text).unwrap();
    assert_eq!(docs.len(), 1);
    docs.remove(0)
}

fn err(text: &str) -> YamlError {
    load(FILE, text).unwrap_err()
}

/// The text a span covers.
fn spanned<'t>(text: &'t str, node: &Node) -> &'t str {
    assert_eq!(node.span.file, FILE);
    &text[node.span.start()..node.span.end()]
}

fn key<'n>(map: &'n Node, name: &str) -> &'n Node {
    map.as_map()
        .unwrap()
        .iter()
        .rev()
        .find(|(k, _)| k.as_str() == Some(name))
        .map(|(k, _)| k)
        .unwrap()
}

#[test]
fn spans_are_byte_offsets_in_non_ascii_text() {
    let text = "é: \"ü\"\nb: 2";
    let root = doc(text);
    assert_eq!(key(&root, "b").span.start(), 9);
    assert_eq!(spanned(text, key(&root, "b")), "b");
    assert_eq!(spanned(text, key(&root, "é")), "é");
    assert_eq!(spanned(text, root.get("é").unwrap()), "\"ü\"");
    assert_eq!(spanned(text, root.get("b").unwrap()), "2");
}

#[test]
fn spans_count_a_bom_and_crlf() {
    let text = "\u{feff}a: é\r\nb: |\r\n  x\r\n  y\r\nc: 1\r\n";
    let root = doc(text);
    assert_eq!(spanned(text, key(&root, "a")), "a");
    assert_eq!(key(&root, "a").span.start(), 3);
    assert_eq!(spanned(text, root.get("a").unwrap()), "é");
    assert_eq!(root.get("b").unwrap().as_str(), Some("x\ny\n"));
    assert_eq!(spanned(text, root.get("b").unwrap()), "|\r\n  x\r\n  y");
    assert_eq!(spanned(text, root.get("c").unwrap()), "1");
}

#[test]
fn value_spans_end_at_their_own_text() {
    let text = "a:\n  b: 1\n  c: [x, y]\n\n# comment\nd: |\n  text\n\n\ne:\nf: >-\n  folded\n# c\ng:\n- &i 1\n- 2\n\nh: last\n";
    let root = doc(text);
    assert_eq!(spanned(text, root.get("a").unwrap()), "b: 1\n  c: [x, y]");
    assert_eq!(
        spanned(text, root.get("a").unwrap().get("c").unwrap()),
        "[x, y]"
    );
    assert_eq!(spanned(text, root.get("d").unwrap()), "|\n  text");
    let empty = root.get("e").unwrap();
    assert!(empty.is_null());
    let e_line = &text[key(&root, "e").span.start()..empty.span.start()];
    assert!(
        !e_line.contains('\n'),
        "an empty value sits on its key's line"
    );
    assert_eq!(spanned(text, root.get("f").unwrap()), ">-\n  folded");
    assert_eq!(spanned(text, root.get("g").unwrap()), "- &i 1\n- 2");
    assert_eq!(spanned(text, &root), &text[..text.len() - 1]);
}

#[test]
fn aliases_and_merged_entries_keep_the_spans_of_their_anchor() {
    let text = "base: &base\n  port: 143\n  ssl: yes\nx: &x [1]\nimaps:\n  <<: *base\n  port: 993\ny: *x\n";
    let root = doc(text);
    let imaps = root.get("imaps").unwrap();
    assert_eq!(imaps.get("port").unwrap().value, Value::Int(993));
    assert_eq!(spanned(text, imaps.get("port").unwrap()), "993");
    let ssl = imaps.get("ssl").unwrap();
    assert_eq!(ssl.value, Value::Bool(true));
    assert_eq!(ssl.span.start(), text.find("yes").unwrap());
    let merged_key = imaps
        .as_map()
        .unwrap()
        .iter()
        .find(|(k, _)| k.as_str() == Some("ssl"));
    assert_eq!(
        merged_key.unwrap().0.span.start(),
        text.find("ssl").unwrap()
    );
    // The merged `port: 143` is overridden, so only the explicit one is kept.
    assert_eq!(
        imaps
            .map_entries_str()
            .filter(|(k, _)| *k == "port")
            .count(),
        1
    );
    assert_eq!(spanned(text, root.get("y").unwrap()), "&x [1]");
}

#[test]
fn merge_keys_follow_the_spec() {
    let root = doc("a: &a {x: 1, y: 1}\nb: &b {x: 2, z: 2}\nc:\n  <<: [*a, *b]\n  w: 0\n");
    assert_eq!(
        root.get("c").unwrap().to_json().to_string(),
        r#"{"x":1,"y":1,"z":2,"w":0}"#
    );
    let root = doc("a: &a {k: 1}\nb: &b {k: 2}\nc:\n  <<: *a\n  <<: *b\n");
    assert_eq!(root.get("c").unwrap().to_json(), json!({"k": 2}));
    let root = doc("a: &a {k: 1}\nc: {k: 0, <<: *a}\n");
    assert_eq!(root.get("c").unwrap().to_json(), json!({"k": 0}));
}

#[test]
fn duplicate_keys_are_kept_and_the_last_wins() {
    let text = "a: 1\nb: 2\na: 3\n";
    let root = doc(text);
    assert_eq!(root.as_map().unwrap().len(), 3);
    assert_eq!(root.get("a").unwrap().value, Value::Int(3));
    assert_eq!(spanned(text, key(&root, "a")), "a");
    assert_eq!(key(&root, "a").span.start(), 10);
    let keys: Vec<&str> = root.map_entries_str().map(|(k, _)| k).collect();
    assert_eq!(keys, ["a", "b", "a"]);
    assert_eq!(root.to_json().to_string(), r#"{"a":3,"b":2}"#);
}

#[test]
fn non_string_keys_print_as_json_dumps_names_them() {
    let root = doc("yes: a\n1: b\n~: c\n1.5: d\n2024-01-02: e\nname: f\n");
    assert_eq!(
        root.to_json().to_string(),
        r#"{"true":"b","null":"c","1.5":"d","2024-01-02":"e","name":"f"}"#
    );
    assert!(
        root.get("yes").is_none(),
        "`yes` as a key is the boolean True"
    );
    let keys: Vec<&str> = root.map_entries_str().map(|(k, _)| k).collect();
    assert_eq!(keys, ["name"]);
}

#[test]
fn scalars_and_helpers() {
    let root =
        doc("s: text\nb: off\nn: ~\ni: 0644\nf: 1.5\nt: 2024-01-02 10:20:30.5 +02:00\nl: [1]\n");
    assert_eq!(root.get("s").unwrap().as_str(), Some("text"));
    assert_eq!(root.get("b").unwrap().as_bool(), Some(false));
    assert!(root.get("n").unwrap().is_null());
    assert_eq!(root.get("i").unwrap().value, Value::Int(420));
    assert_eq!(root.get("f").unwrap().value, Value::Float(1.5));
    assert_eq!(root.get("l").unwrap().as_seq().unwrap().len(), 1);
    assert_eq!(
        root.get("t").unwrap().value,
        Value::Timestamp("2024-01-02 10:20:30.5 +02:00".into())
    );
    assert_eq!(
        root.get("t").unwrap().to_json(),
        json!("2024-01-02T10:20:30.500000+02:00")
    );
    assert!(root.get("s").unwrap().get("x").is_none());
    assert_eq!(
        doc("- .inf\n- .nan\n").to_json(),
        json!(["Infinity", "NaN"])
    );
}

#[test]
fn vault_ciphertext_is_never_kept_or_printed() {
    let text = "password: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  SECRETCIPHERTEXT\nother: 1\n";
    let root = doc(text);
    let vaulted = root.get("password").unwrap();
    assert_eq!(vaulted.value, Value::Vault);
    assert_eq!(
        spanned(text, vaulted),
        "!vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  SECRETCIPHERTEXT"
    );
    assert!(!format!("{root:?}").contains("SECRETCIPHERTEXT"));
    assert!(!format!("{root:#?}").contains("ANSIBLE_VAULT"));
    let json = root.to_json().to_string();
    assert!(!json.contains("SECRETCIPHERTEXT"));
    assert_eq!(root.to_json()["password"], json!("<vaulted>"));
}

#[test]
fn ansible_tags_are_honoured_and_other_tags_refused() {
    let root = doc("a: !unsafe '{{ x }}'\nb: !unsafe '1'\nc: !unsafe {d: '{{ y }}'}\n");
    assert_eq!(
        root.get("a").unwrap().value,
        Value::Unsafe("{{ x }}".into())
    );
    assert_eq!(root.get("a").unwrap().as_str(), Some("{{ x }}"));
    // Ansible re-resolves `!unsafe` scalars as plain ones, quotes or not.
    assert_eq!(root.get("b").unwrap().value, Value::Int(1));
    assert_eq!(
        root.get("c").unwrap().get("d").unwrap().value,
        Value::Unsafe("{{ y }}".into())
    );
    for text in [
        "a: !foo x\n",
        "a: !!foo x\n",
        "a: !vault 12\n",
        "a: !vault [x]\n",
        "a: !!binary aGVsbG8=\n",
        "a: !!set {x}\n",
        "a: !Unsafe x\n",
    ] {
        let error = err(text);
        assert_eq!(error.span.start(), 3, "{text:?}: {error:?}");
    }
    assert_eq!(
        err("a: !foo x\n").message,
        "could not determine a constructor for the tag '!foo'"
    );
}

#[test]
fn errors_never_quote_values() {
    for text in [
        "password: \"hunter2\n",
        "password: !!int hunter2\n",
        "password: hunter2: x\n",
        "password: [hunter2\n",
        "password: !vault hunter2: x\n",
        "password: 2024-02-30\nhunter2: x\n",
    ] {
        let error = err(text);
        assert!(!error.message.contains("hunter2"), "{text:?}: {error:?}");
        assert!(error.span.end() <= text.len());
    }
    let error = err("a: 1\nb: [1, 2\n");
    assert_eq!(error.span.start(), 14, "{error:?}");
    let error = err("a: 1\nb: *missing\n");
    assert_eq!(error.span.start(), 8, "{error:?}");
}

#[test]
fn streams_like_pyyaml() {
    assert!(load(FILE, "").unwrap().is_empty());
    assert!(load(FILE, "# only a comment\n").unwrap().is_empty());
    assert!(load(FILE, "\u{feff}").unwrap().is_empty());
    let docs = load(FILE, "a: 1\n---\n---\n# c\n...\n").unwrap();
    assert_eq!(docs.len(), 3);
    assert!(docs[1].is_null() && docs[2].is_null());
    assert_eq!(
        doc("%YAML 1.2\n---\na: yes\n").get("a").unwrap().as_bool(),
        Some(true)
    );
}

fn quickly<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{what} took {:?}",
        start.elapsed()
    );
    out
}

#[test]
fn an_alias_bomb_is_refused_quickly() {
    let mut text = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for level in 1..10 {
        let prev = level - 1;
        let refs = vec![format!("*a{prev}"); 10].join(", ");
        text.push_str(&format!("a{level}: &a{level} [{refs}]\n"));
    }
    let error = quickly("the bomb", || err(&text));
    assert!(
        error.message.starts_with("alias expansion exceeds"),
        "{error:?}"
    );
    // A long string copied many times counts by its bytes.
    let big = "x".repeat(1 << 20);
    let text = format!("a: &a {big}\nb: [{}]\n", vec!["*a"; 100].join(", "));
    let error = quickly("the string bomb", || err(&text));
    assert!(
        error.message.starts_with("alias expansion exceeds"),
        "{error:?}"
    );
}

#[test]
fn deep_nesting_is_refused_quickly() {
    let flow = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let block = format!("{}x\n", "- ".repeat(10_000));
    let maps = format!("{}1{}", "{a: ".repeat(10_000), "}".repeat(10_000));
    for text in [flow, block, maps] {
        let error = quickly("deep nesting", || err(&text));
        // saphyr-parser stops flow nesting at 255 levels itself.
        assert!(
            error.message.starts_with("nesting deeper than")
                || error.message == "recursion limit exceeded",
            "{error:?}"
        );
    }
    // Aliases cannot stack anchored depth past the limit either.
    let nest = |inner: &str| format!("{}{inner}{}", "[".repeat(200), "]".repeat(200));
    let text = format!(
        "a0: &a0 {}\na1: &a1 {}\na2: &a2 {}\na3: &a3 {}\na4: {}\n",
        nest("1"),
        nest("*a0"),
        nest("*a1"),
        nest("*a2"),
        nest("*a3")
    );
    let error = quickly("deep aliases", || err(&text));
    assert!(
        error.message.starts_with("nesting deeper than"),
        "{error:?}"
    );
    // The deepest tree accepted can still be cloned, printed, compared and dropped on a test
    // thread's small stack.
    let deepest = format!("{}x\n", "- ".repeat(999));
    let root = doc(&deepest);
    assert_eq!(root.clone(), root);
    assert!(format!("{root:?}").len() > 999);
    assert!(root.to_json().to_string().starts_with("[[[["));
}
