//! oracle_pyyaml: mxlint's YAML 1.1 plain-scalar resolution against PyYAML's `safe_load`, the
//! loader behind Ansible. Hand-picked scalars plus generated ones from the characters that
//! matter (digits, `_`, `:`, `.`, signs, exponents, prefixes, words).
//!
//! Needs `python3` with PyYAML (ansible-core brings it; `.ci/run` installs it). Without it the
//! test prints a notice and passes, unless `CI` is set.

use mxlint::ansible::yaml11::{resolve_plain, Scalar};
use serde_json::Value;
use std::process::Stdio;

#[path = "support/python.rs"]
mod python;

const PYTHON: &str = r#"
import json, sys, yaml, datetime
out = []
for text in json.load(sys.stdin):
    try:
        doc = yaml.safe_load("v: " + text + "\n")
        v = doc["v"]
    except Exception:
        out.append(None); continue
    if v is None: out.append(["null"])
    elif isinstance(v, bool): out.append(["bool", v])
    elif isinstance(v, int): out.append(["int", str(v)])
    elif isinstance(v, float): out.append(["float", repr(v)])
    elif isinstance(v, (datetime.date, datetime.datetime)): out.append(["timestamp"])
    elif isinstance(v, str): out.append(["str", v])
    else: out.append(None)
json.dump(out, sys.stdout)
"#;

fn corpus() -> Vec<String> {
    let mut texts: Vec<String> = [
        "yes",
        "Yes",
        "YES",
        "no",
        "NO",
        "on",
        "On",
        "off",
        "OFF",
        "true",
        "False",
        "y",
        "n",
        "Y",
        "yEs",
        "~",
        "null",
        "Null",
        "NULL",
        "nUll",
        "0",
        "00",
        "0644",
        "0o644",
        "0755",
        "08",
        "09",
        "-0644",
        "+12",
        "-0",
        "1_000",
        "0b1010",
        "0b102",
        "0x1F",
        "0xg",
        "-0x1f",
        "1:20",
        "1:60",
        "1:5:9",
        "0:20",
        "1:20:",
        "190:20:30",
        "1:2.5",
        "1:20.5",
        "1.5",
        "1.",
        ".5",
        "-.5",
        "+.5",
        "1e3",
        "1.0e3",
        "1.0e+3",
        "1.0E-3",
        "1.e+3",
        ".inf",
        "-.inf",
        "+.Inf",
        ".NaN",
        ".nan",
        "-.nan",
        "1_0.5_0",
        "._5",
        "2024-01-02",
        "2024-1-2",
        "2024-01-02T10:20:30Z",
        "2024-01-02 10:20:30.5 +02:00",
        "2024-01-02t1:20:30",
        "2024-01-02T10:20:30+2",
        "2024-01-02 10:20",
        "20240102",
        "1G",
        "256M",
        "imap",
        "0x",
        "0b",
        "+",
        "-1_",
        "1__2",
        "123456789012345678901234567890",
        "-9223372036854775809",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // Generated: short strings over the characters the resolver cares about.
    let alphabet = [
        "0", "1", "7", "8", "_", ":", ".", "e", "+", "-", "x", "b", "5", "9", "E",
    ];
    let mut seed = 0x9e3779b97f4a7c15u64;
    for _ in 0..3000 {
        let mut s = String::new();
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let len = 1 + (seed % 7) as usize;
        let mut x = seed;
        for _ in 0..len {
            s.push_str(alphabet[(x % alphabet.len() as u64) as usize]);
            x /= alphabet.len() as u64;
        }
        texts.push(s);
    }
    texts
}

fn ours(text: &str) -> Value {
    match resolve_plain(text) {
        Scalar::Null => serde_json::json!(["null"]),
        Scalar::Bool(b) => serde_json::json!(["bool", b]),
        Scalar::Int(i) => serde_json::json!(["int", i.to_string()]),
        Scalar::Float(f) => serde_json::json!(["float", python_repr(f)]),
        Scalar::Timestamp(_) => serde_json::json!(["timestamp"]),
        Scalar::Str(s) => serde_json::json!(["str", s]),
    }
}

/// Python's `repr()` of a float, for the values this corpus produces.
fn python_repr(f: f64) -> String {
    if f.is_nan() {
        "nan".into()
    } else if f.is_infinite() {
        if f > 0.0 { "inf" } else { "-inf" }.into()
    } else if f == f.trunc() && f.abs() < 1e16 {
        format!("{f:.1}")
    } else if f.abs() >= 1e16 || (f != 0.0 && f.abs() < 1e-4) {
        let s = format!("{f:e}");
        let (m, e) = s.split_once('e').unwrap();
        let e: i32 = e.parse().unwrap();
        format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs())
    } else {
        format!("{f}")
    }
}

#[test]
fn plain_scalars_resolve_like_pyyaml() {
    if !python::has_yaml() {
        python::skip_or_fail("python3 with PyYAML", "the PyYAML oracle test");
        return;
    }
    let texts = corpus();
    let out = python::run(
        PYTHON,
        &serde_json::to_string(&texts).unwrap(),
        Stdio::inherit(),
    );
    let theirs: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let mut compared = 0;
    let mut mismatches = Vec::new();
    for (text, expected) in texts.iter().zip(theirs) {
        if expected.is_null() {
            continue; // not a plain scalar PyYAML can load as a value
        }
        compared += 1;
        let got = ours(text);
        if got != expected {
            mismatches.push(format!("{text:?}: PyYAML {expected}, mxlint {got}"));
        }
    }
    assert!(compared > 1000, "only {compared} scalars compared");
    assert!(
        mismatches.is_empty(),
        "{} of {compared} differ:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}
