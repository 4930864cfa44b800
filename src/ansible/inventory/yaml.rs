//! inventory::yaml: a YAML (or JSON) inventory as ansible-core 2.19 `plugins/inventory/yaml.py`
//! reads it: top-level keys are groups, each with optional `hosts`, `vars` and `children`
//! (children nest recursively), a string where a mapping is expected is a one-key mapping, and
//! other keys are skipped with a warning.
//!
//! Values stay the YAML nodes of the file, spans included. Where Ansible rejects the whole file
//! (a non-string host, a `hosts:` list), mxlint reports MX104 at that node and skips only it.

use super::address::{self, expand_hostname_range};
use super::data::Builder;
use super::{load_error, load_warning, GroupId};
use crate::ansible::yaml::{Node, Value};
use crate::diagnostic::Diagnostic;
use indexmap::IndexMap;
use std::sync::Arc;

/// A mapping's entries as Python's dict holds them: a repeated key keeps its first position
/// and its last value.
pub(crate) fn entries(node: &Node) -> Vec<(&Node, &Node)> {
    let Value::Map(pairs) = &node.value else {
        return Vec::new();
    };
    let mut out: Vec<(&Node, &Node)> = Vec::with_capacity(pairs.len());
    for (k, v) in pairs {
        match out
            .iter_mut()
            .find(|(old, _)| same_key(&old.value, &k.value))
        {
            Some(slot) => slot.1 = v,
            None => out.push((k, v)),
        }
    }
    out
}

/// Python's `==` between scalar keys (`1`, `1.0` and `true` are one key).
fn same_key(a: &Value, b: &Value) -> bool {
    let number = |v: &Value| match *v {
        Value::Int(i) => Some(i as f64),
        Value::Float(f) => Some(f),
        Value::Bool(b) => Some(f64::from(u8::from(b))),
        _ => None,
    };
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Str(x) | Value::Unsafe(x), Value::Str(y) | Value::Unsafe(y)) => x == y,
        (Value::Null, Value::Null) => true,
        (Value::Timestamp(x), Value::Timestamp(y)) => x == y,
        _ => matches!((number(a), number(b)), (Some(x), Some(y)) if x == y),
    }
}

/// A variable name as the JSON key Ansible would print for it; `None` for a sequence or
/// mapping (PyYAML refuses those as keys).
pub(crate) fn key_text(node: &Node) -> Option<String> {
    Some(match &node.value {
        Value::Str(s) | Value::Unsafe(s) | Value::Timestamp(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => super::literal::float_repr(*f, true),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".into(),
        Value::Seq(_) | Value::Map(_) | Value::Vault => return None,
    })
}

/// The string a node holds, if it is one (what Python's `isinstance(x, str)` accepts).
fn as_text(node: &Node) -> Option<&str> {
    match &node.value {
        Value::Str(s) | Value::Unsafe(s) => Some(s),
        _ => None,
    }
}

/// Python's type name of a value, for Ansible's messages.
fn type_name(node: &Node) -> &'static str {
    match node.value {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Int(_) => "int",
        Value::Float(_) => "float",
        Value::Str(_) | Value::Unsafe(_) | Value::Vault => "str",
        Value::Timestamp(_) => "datetime.date",
        Value::Seq(_) => "list",
        Value::Map(_) => "dict",
    }
}

/// Whether Python's `bool(value)` is false.
pub(crate) fn is_falsy(node: &Node) -> bool {
    match &node.value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Int(i) => *i == 0,
        Value::Float(f) => *f == 0.0,
        Value::Str(s) | Value::Unsafe(s) => s.is_empty(),
        Value::Seq(items) => items.is_empty(),
        Value::Map(pairs) => pairs.is_empty(),
        Value::Timestamp(_) | Value::Vault => false,
    }
}

/// A section that is a string names one entry: `hosts: mx1` is `hosts: {mx1: null}`.
fn as_section(node: &Node) -> Option<Vec<(Node, Node)>> {
    match &node.value {
        Value::Str(_) | Value::Unsafe(_) => Some(vec![(
            node.clone(),
            Node {
                value: Value::Null,
                span: node.span,
            },
        )]),
        Value::Map(_) => Some(
            entries(node)
                .into_iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        Value::Null => Some(Vec::new()),
        _ => None,
    }
}

struct Reader<'a> {
    b: &'a mut Builder,
    out: &'a mut Vec<Diagnostic>,
}

/// Reads a YAML inventory whose document is the mapping `root`.
pub(crate) fn read(b: &mut Builder, root: &Node, out: &mut Vec<Diagnostic>) {
    let mut r = Reader { b, out };
    for (key, data) in entries(root) {
        r.group(key, data);
    }
}

impl Reader<'_> {
    /// `_parse_group`: the group's name (the group exists only when `data` is a mapping or
    /// null, as in Ansible).
    fn group(&mut self, key: &Node, data: &Node) -> Option<String> {
        let Some(name) = as_text(key) else {
            if matches!(data.value, Value::Map(_) | Value::Null) {
                let message = format!(
                    "Unable to add group {}: Invalid group name supplied, expected a string but got {}",
                    key_text(key).unwrap_or_default(),
                    type_name(key)
                );
                self.out.push(load_error(key.span, message));
            }
            return None;
        };
        if !matches!(data.value, Value::Map(_) | Value::Null) {
            let message = format!("Skipping '{name}' as this is not a valid group definition");
            self.out.push(load_warning(key.span, message));
            return Some(name.to_string());
        }
        if name.is_empty() {
            let message = "Unable to add group : Invalid empty/false group name provided: ";
            self.out.push(load_error(key.span, message.into()));
            return None;
        }
        let group = self.b.add_group(name, Some(key.span));
        for (section_key, section) in entries(data) {
            self.section(group, name, section_key, section);
        }
        Some(name.to_string())
    }

    fn section(&mut self, group: GroupId, name: &str, key: &Node, data: &Node) {
        let known = as_text(key).filter(|k| matches!(*k, "vars" | "children" | "hosts"));
        let Some(pairs) = (if known.is_some() {
            as_section(data)
        } else {
            matches!(data.value, Value::Map(_) | Value::Null).then(Vec::new)
        }) else {
            let key = key_text(key).unwrap_or_default();
            let message = if known.is_some() {
                format!(
                    "Invalid \"{key}\" entry for \"{name}\" group, requires a dictionary, found \"{}\" instead.",
                    type_name(data)
                )
            } else {
                format!(
                    "Skipping key ({key}) in group ({name}) as it is not a mapping, it is a {}",
                    type_name(data)
                )
            };
            let report = if known.is_some() {
                load_error
            } else {
                load_warning
            };
            self.out.push(report(data.span, message));
            return;
        };
        match known {
            Some("vars") => self.vars(group, &pairs),
            Some("children") => self.children(group, &pairs),
            Some("hosts") => self.hosts(group, &pairs),
            _ if data.value == Value::Null => {}
            _ => {
                let message = format!(
                    "Skipping unexpected key ({}) in group ({name}), only \"vars\", \"children\" and \"hosts\" are valid",
                    key_text(key).unwrap_or_default()
                );
                self.out.push(load_warning(key.span, message));
            }
        }
    }

    fn vars(&mut self, group: GroupId, pairs: &[(Node, Node)]) {
        for (key, value) in pairs {
            let Some(name) = key_text(key) else {
                self.out.push(load_error(
                    key.span,
                    "a variable name must be a scalar".into(),
                ));
                continue;
            };
            if let Err(message) = self.b.set_group_var(group, name, Arc::new(value.clone())) {
                self.out.push(load_error(value.span, message));
            }
        }
    }

    fn children(&mut self, group: GroupId, pairs: &[(Node, Node)]) {
        for (key, data) in pairs {
            let Some(child) = self.group(key, data) else {
                continue;
            };
            if let Err(message) = self.b.add_child(group, &child, key.span) {
                self.out.push(load_error(key.span, message));
            }
        }
    }

    fn hosts(&mut self, group: GroupId, pairs: &[(Node, Node)]) {
        for (key, vars) in pairs {
            let Some(pattern) = as_text(key) else {
                let message = format!(
                    "Host pattern {} must be a string. Enclose integers/floats in quotation marks.",
                    key_text(key).unwrap_or_default()
                );
                self.out.push(load_error(key.span, message));
                continue;
            };
            let (names, port) = match expand(pattern, key) {
                Ok(found) => found,
                Err(message) => {
                    self.out.push(load_error(key.span, message));
                    continue;
                }
            };
            let vars = if is_falsy(vars) {
                Vec::new()
            } else if let Value::Map(_) = vars.value {
                entries(vars)
            } else {
                let message = format!(
                    "Invalid data from file, expected dictionary and got a {} for host {pattern}",
                    type_name(vars)
                );
                self.out.push(load_error(vars.span, message));
                continue;
            };
            let mut values: IndexMap<String, Arc<Node>> = IndexMap::new();
            for (k, v) in vars {
                match key_text(k) {
                    Some(name) => {
                        values.insert(name, Arc::new(v.clone()));
                    }
                    None => self.out.push(load_error(
                        k.span,
                        "a variable name must be a scalar".into(),
                    )),
                }
            }
            for name in names {
                if name.is_empty() {
                    let message = "Invalid empty host name provided: ".to_string();
                    self.out.push(load_error(key.span, message));
                    break;
                }
                let host = self.b.add_host(&name, group, port.as_ref(), key.span);
                for (k, v) in &values {
                    self.b.set_host_var(host, k.clone(), Arc::clone(v));
                }
            }
        }
    }
}

/// The base plugin's `_expand_hostpattern`: host names and the port node.
fn expand(pattern: &str, key: &Node) -> Result<(Vec<String>, Option<Arc<Node>>), String> {
    let (host, port) = match address::parse_address(pattern, true) {
        Some(a) => (a.host, a.port.map(|(p, _)| p)),
        None => (pattern, None),
    };
    let names = if host.contains('[') {
        expand_hostname_range(host).map_err(|e| e.0)?
    } else {
        vec![host.to_string()]
    };
    let port = port.map(|p| {
        Arc::new(Node {
            value: Value::Int(i128::from(p)),
            span: key.span,
        })
    });
    Ok((names, port))
}
