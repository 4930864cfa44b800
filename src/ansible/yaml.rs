//! ansible::yaml: Ansible's YAML (PyYAML, YAML 1.1) read into nodes that keep byte spans.
//!
//! The node types, their lookups (`get` searches from the end, as PyYAML keeps a repeated key's
//! last value) and [`Node::to_json`], which prints a node as `ansible-inventory --list` prints
//! what PyYAML loaded. [`load`] is still a stub: it will build these nodes from saphyr-parser's
//! event stream (plain scalars resolved by [`super::yaml11`], merge keys `<<`, anchors, `!vault`,
//! `!unsafe`, byte spans), which needs saphyr-parser as a direct dependency.
//! Ends at nodes: what a node means to Ansible (a play, an inventory group) is the caller's job.

use std::collections::HashMap;

use crate::source::{FileId, Span};

/// What [`Node::to_json`] prints for a `!vault` value: a placeholder, never the ciphertext.
pub const VAULT_PLACEHOLDER: &str = "<vaulted>";

/// One YAML node with the span of its text in the file.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Span,
}

/// What a node holds once PyYAML's resolution rules are applied.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    /// A date or date-time, kept as written (`2024-01-02`).
    Timestamp(String),
    Seq(Vec<Node>),
    /// Entries in file order after merge keys are applied: the merged entries first (as PyYAML
    /// puts them), then the mapping's own. A repeated key is kept twice and its last value wins
    /// (as in PyYAML), so lookups search from the end; merged entries that an explicit key
    /// overrides are dropped.
    Map(Vec<(Node, Node)>),
    /// `!vault |` ciphertext: opaque, never decrypted, never printed.
    Vault,
    /// `!unsafe` text: a string Ansible never templates.
    Unsafe(String),
}

/// A document that could not be read, at the position the YAML parser gave.
#[derive(Clone, Debug, PartialEq)]
pub struct YamlError {
    pub message: String,
    pub span: Span,
}

impl Node {
    /// The value of the last entry whose key is the string `key` (PyYAML keeps the last).
    pub fn get(&self, key: &str) -> Option<&Node> {
        let entries = self.as_map()?;
        let (_, value) = entries
            .iter()
            .rev()
            .find(|(k, _)| k.as_str() == Some(key))?;
        Some(value)
    }

    /// The text of a string, `!unsafe` included.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) | Value::Unsafe(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        self.value == Value::Null
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// Entries of a mapping whose key is a string, in map order. A repeated key comes more than
    /// once; the last one is the value Ansible sees.
    pub fn map_entries_str(&self) -> impl Iterator<Item = (&str, &Node)> {
        self.as_map()
            .unwrap_or_default()
            .iter()
            .filter_map(|(k, v)| Some((k.as_str()?, v)))
    }

    /// The value as JSON, the way `ansible-inventory --list` prints what PyYAML loaded:
    /// timestamps in Python's ISO format, keys as `json.dumps` writes them (`true`, `null`, `1`),
    /// a repeated key once (first position, last value), `!unsafe` as a plain string (Ansible
    /// wraps it in `{"__ansible_unsafe": …}`), `!vault` as [`VAULT_PLACEHOLDER`], and infinities
    /// and NaN, which JSON cannot hold, as the strings `Infinity`, `-Infinity` and `NaN`.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => int_json(*i),
            Value::Float(f) => float_json(*f),
            Value::Str(s) | Value::Unsafe(s) => J::String(s.clone()),
            Value::Timestamp(t) => J::String(iso_timestamp(t).unwrap_or_else(|| t.clone())),
            Value::Vault => J::String(VAULT_PLACEHOLDER.into()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => map_json(entries),
        }
    }
}

fn int_json(i: i128) -> serde_json::Value {
    if let Ok(small) = i64::try_from(i) {
        small.into()
    } else if let Ok(big) = u64::try_from(i) {
        big.into()
    } else {
        // Python prints the exact digits; JSON readers without big numbers see this float.
        float_json(i as f64)
    }
}

fn float_json(f: f64) -> serde_json::Value {
    match serde_json::Number::from_f64(f) {
        Some(n) => serde_json::Value::Number(n),
        None => serde_json::Value::String(python_float_text(f)),
    }
}

/// Folds entries as a Python dict does (equal keys: first position, last value), then names
/// each key as `json.dumps` does.
fn map_json(entries: &[(Node, Node)]) -> serde_json::Value {
    let mut folded: Vec<(&Node, &Node)> = Vec::with_capacity(entries.len());
    let mut index: HashMap<PyKey, usize> = HashMap::with_capacity(entries.len());
    for (key, value) in entries {
        match index.get(&PyKey::of(key)) {
            Some(&at) => folded[at].1 = value,
            None => {
                index.insert(PyKey::of(key), folded.len());
                folded.push((key, value));
            }
        }
    }
    let mut object = serde_json::Map::with_capacity(folded.len());
    for (key, value) in folded {
        object.insert(json_key(key), value.to_json());
    }
    serde_json::Value::Object(object)
}

/// How `json.dumps` names a dict key: `True` → `true`, `None` → `null`, `1.5` → `1.5`.
fn json_key(key: &Node) -> String {
    match &key.value {
        Value::Str(s) | Value::Unsafe(s) => s.clone(),
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => python_float_text(*f),
        // json.dumps refuses these keys; their text is the closest useful name.
        Value::Timestamp(t) => iso_timestamp(t).unwrap_or_else(|| t.clone()),
        Value::Vault => VAULT_PLACEHOLDER.into(),
        Value::Seq(_) | Value::Map(_) => key.to_json().to_string(),
    }
}

/// Python's `repr(float)` as `json.dumps` writes it (`1e+20`, `1e-05`, `Infinity`).
fn python_float_text(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    let scientific = format!("{f:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if (-4..16).contains(&exponent) {
        let plain = format!("{f}");
        if plain.contains('.') {
            plain
        } else {
            format!("{plain}.0")
        }
    } else {
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exponent.abs())
    }
}

/// A key as Python compares it: `True == 1 == 1.0`, `'a'` equals an unsafe `'a'`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum PyKey {
    Null,
    Int(i128),
    Float(u64),
    Str(String),
    Time(String),
    /// Values Python compares by identity (vaulted strings) or cannot hash: never equal.
    Unique(u32, u32),
}

impl PyKey {
    fn of(node: &Node) -> PyKey {
        match &node.value {
            Value::Null => PyKey::Null,
            Value::Bool(b) => PyKey::Int(i128::from(*b)),
            Value::Int(i) => PyKey::Int(*i),
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 1e38 => PyKey::Int(*f as i128),
            Value::Float(f) => PyKey::Float(f.to_bits()),
            Value::Str(s) | Value::Unsafe(s) => PyKey::Str(s.clone()),
            Value::Timestamp(t) => PyKey::Time(iso_timestamp(t).unwrap_or_else(|| t.clone())),
            Value::Vault | Value::Seq(_) | Value::Map(_) => {
                PyKey::Unique(node.span.start() as u32, node.span.end() as u32)
            }
        }
    }
}

/// Loads every document of a YAML stream (an empty stream gives no documents).
pub fn load(file: FileId, text: &str) -> Result<Vec<Node>, YamlError> {
    let _ = text;
    Err(YamlError {
        message: "YAML loading is not implemented yet".into(),
        span: Span::new(file, 0, 0),
    })
}

/// A timestamp as Python's `isoformat()` prints what PyYAML built (`2024-01-02`,
/// `2024-01-02T10:20:30.500000+02:00`); `None` when PyYAML would refuse it.
fn iso_timestamp(text: &str) -> Option<String> {
    let mut rest = text;
    let year = number(&mut rest, 4, 4)?;
    let month = after(&mut rest, "-").and_then(|_| number(&mut rest, 1, 2))?;
    let day = after(&mut rest, "-").and_then(|_| number(&mut rest, 1, 2))?;
    if year == 0 || !(1..=12).contains(&month) || day == 0 || day > days_in(year, month) {
        return None;
    }
    let date = format!("{year:04}-{month:02}-{day:02}");
    if rest.is_empty() {
        return Some(date);
    }
    rest = rest
        .strip_prefix(['T', 't'])
        .unwrap_or_else(|| rest.trim_start_matches([' ', '\t']));
    let hour = number(&mut rest, 1, 2)?;
    let minute = after(&mut rest, ":").and_then(|_| number(&mut rest, 2, 2))?;
    let second = after(&mut rest, ":").and_then(|_| number(&mut rest, 2, 2))?;
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut out = format!("{date}T{hour:02}:{minute:02}:{second:02}");
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.len()
            - fraction
                .trim_start_matches(|c: char| c.is_ascii_digit())
                .len();
        let micros: String = fraction[..digits]
            .chars()
            .chain("000000".chars())
            .take(6)
            .collect();
        if micros != "000000" {
            out.push('.');
            out.push_str(&micros);
        }
        rest = &fraction[digits..];
    }
    out.push_str(&utc_offset(rest.trim_start_matches([' ', '\t']))?);
    Some(out)
}

/// `Z`, `±H[H][:MM]` or nothing, as Python prints the offset (`+00:00`, `-05:30`).
fn utc_offset(zone: &str) -> Option<String> {
    let minutes = match zone {
        "" => return Some(String::new()),
        "Z" => 0,
        _ => {
            let sign = if zone.starts_with('-') { -1 } else { 1 };
            let mut rest = zone.strip_prefix(['+', '-'])?;
            let hours = number(&mut rest, 1, 2)?;
            let minutes = match after(&mut rest, ":") {
                Some(()) => number(&mut rest, 2, 2)?,
                None => 0,
            };
            if !rest.is_empty() {
                return None;
            }
            sign * i64::from(hours * 60 + minutes)
        }
    };
    // Python's timezone() takes offsets strictly within a day.
    if minutes.abs() >= 24 * 60 {
        return None;
    }
    let sign = if minutes < 0 { '-' } else { '+' };
    Some(format!(
        "{sign}{:02}:{:02}",
        minutes.abs() / 60,
        minutes.abs() % 60
    ))
}

/// Reads `min..=max` ASCII digits from the front of `rest`.
fn number(rest: &mut &str, min: usize, max: usize) -> Option<u32> {
    let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if digits < min || digits > max {
        return None;
    }
    let value = rest[..digits].parse().ok()?;
    *rest = &rest[digits..];
    Some(value)
}

fn after(rest: &mut &str, prefix: &str) -> Option<()> {
    *rest = rest.strip_prefix(prefix)?;
    Some(())
}

fn days_in(year: u32, month: u32) -> u32 {
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_print_as_python_isoformat() {
        let iso = |t: &str| iso_timestamp(t);
        assert_eq!(iso("2024-01-02").as_deref(), Some("2024-01-02"));
        assert_eq!(
            iso("2024-1-2T1:02:03.1234567-05:30").as_deref(),
            Some("2024-01-02T01:02:03.123456-05:30")
        );
        assert_eq!(
            iso("2024-01-02 10:20:30 Z").as_deref(),
            Some("2024-01-02T10:20:30+00:00")
        );
        assert_eq!(
            iso("2024-01-02T10:20:30.000-00:00").as_deref(),
            Some("2024-01-02T10:20:30+00:00")
        );
        assert_eq!(iso("2024-02-30"), None);
        assert_eq!(iso("2024-01-02 24:00:00"), None);
        assert_eq!(iso("2024-01-02T10:20:30+25:00"), None);
    }

    #[test]
    fn python_float_repr() {
        assert_eq!(python_float_text(1.5), "1.5");
        assert_eq!(python_float_text(100.0), "100.0");
        assert_eq!(python_float_text(1e20), "1e+20");
        assert_eq!(python_float_text(1e-5), "1e-05");
        assert_eq!(python_float_text(f64::NEG_INFINITY), "-Infinity");
    }

    fn node(value: Value, at: usize) -> Node {
        Node {
            value,
            span: Span::new(FileId(0), at, at + 1),
        }
    }

    #[test]
    fn repeated_keys_read_as_python_dicts() {
        let entries = vec![
            (node(Value::Str("a".into()), 0), node(Value::Int(1), 1)),
            (node(Value::Bool(true), 2), node(Value::Vault, 3)),
            (node(Value::Int(1), 4), node(Value::Float(f64::INFINITY), 5)),
            (node(Value::Unsafe("a".into()), 6), node(Value::Null, 7)),
        ];
        let map = node(Value::Map(entries), 0);
        assert!(map.get("a").unwrap().is_null());
        let keys: Vec<&str> = map.map_entries_str().map(|(k, _)| k).collect();
        assert_eq!(keys, ["a", "a"]);
        assert_eq!(map.to_json().to_string(), r#"{"a":null,"true":"Infinity"}"#);
        assert_eq!(node(Value::Vault, 0).to_json(), VAULT_PLACEHOLDER);
        assert!(node(Value::Int(1), 0).get("a").is_none());
    }
}
