//! render::dump: values printed the way Python prints them — `str()`/`repr()` for template
//! output, `json.dumps` for `to_json`/`to_nice_json`. YAML output is in [`super::yaml_dump`].
//!
//! Values are first turned into a [`Py`] tree (what the Python object would be), so each
//! printer is a plain recursive function.

use super::value::{is_omit, is_poison, is_unknown, PyDate};
use super::UNKNOWN_PLACEHOLDER;
use minijinja::value::ValueKind;
use minijinja::{Error, ErrorKind, Value};
use std::fmt::Write;

/// A Python value, as Ansible's filters would see it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Py {
    None,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    List(Vec<Py>),
    Dict(Vec<(Py, Py)>),
    Date(PyDate),
    /// A deploy-time value: prints as the placeholder.
    Unknown,
}

/// Converts a minijinja value; undefined values and errors inside it fail.
pub(crate) fn to_py(v: &Value) -> Result<Py, Error> {
    to_py_depth(v, 0)
}

fn to_py_depth(v: &Value, depth: usize) -> Result<Py, Error> {
    if depth > 200 {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            "value nested too deeply",
        ));
    }
    Ok(match v.kind() {
        ValueKind::Undefined => {
            return Err(Error::new(
                ErrorKind::UndefinedError,
                "an undefined value cannot be printed",
            ))
        }
        ValueKind::Invalid => {
            // Surfaces the error the invalid value carries.
            let err = v.get_attr("__never__").err();
            return Err(
                err.unwrap_or_else(|| Error::new(ErrorKind::InvalidOperation, "invalid value"))
            );
        }
        ValueKind::None => Py::None,
        ValueKind::Bool => Py::Bool(v.is_true()),
        ValueKind::Number if v.is_integer() => Py::Int(i128::try_from(v.clone())?),
        ValueKind::Number => Py::Float(f64::try_from(v.clone())?),
        ValueKind::String => Py::Str(v.as_str().unwrap_or_default().to_string()),
        ValueKind::Bytes => {
            Py::Str(String::from_utf8_lossy(v.as_bytes().unwrap_or_default()).into())
        }
        ValueKind::Map => {
            let mut items = Vec::new();
            for key in v.try_iter()? {
                let value = v.get_item(&key)?;
                if is_omit(&value) {
                    continue;
                }
                items.push((
                    to_py_depth(&key, depth + 1)?,
                    to_py_depth(&value, depth + 1)?,
                ));
            }
            Py::Dict(items)
        }
        _ if is_unknown(v) => Py::Unknown,
        _ if is_poison(v) => Py::None,

        ValueKind::Seq | ValueKind::Iterable => {
            let mut items = Vec::new();
            for item in v.try_iter()? {
                if !is_omit(&item) {
                    items.push(to_py_depth(&item, depth + 1)?);
                }
            }
            Py::List(items)
        }
        _ => match v.downcast_object_ref::<PyDate>() {
            Some(d) => Py::Date(d.clone()),
            None => Py::Str(v.to_string()),
        },
    })
}

/// Back to a minijinja value (for `from_json`/`from_yaml`).
pub(crate) fn from_py(p: Py) -> Value {
    match p {
        Py::None => Value::from(()),
        Py::Bool(b) => Value::from(b),
        Py::Int(i) => super::value::int_value(i),
        Py::Float(f) => Value::from(f),
        Py::Str(s) => Value::from(s),
        Py::List(items) => Value::from(items.into_iter().map(from_py).collect::<Vec<_>>()),
        Py::Dict(items) => {
            Value::from_pairs(items.into_iter().map(|(k, v)| (from_py(k), from_py(v))))
        }
        Py::Date(d) => Value::from_object(d),
        Py::Unknown => Value::from(UNKNOWN_PLACEHOLDER),
    }
}

/// What `{{ value }}` prints: `str(value)`, with `None` (and already reported undefined
/// names) as `''`.
pub(crate) fn py_str_top(v: &Value) -> Result<String, Error> {
    if v.is_none() || v.is_undefined() || is_poison(v) || is_omit(v) {
        return Ok(String::new());
    }
    if let Some(s) = v.as_str() {
        return Ok(s.to_string());
    }
    Ok(py_str(&to_py(v)?))
}

/// Python's `str()`.
pub(crate) fn py_str(p: &Py) -> String {
    match p {
        Py::Str(s) => s.clone(),
        Py::Date(d) => d.py_str(),
        _ => py_repr(p),
    }
}

/// Python's `repr()`.
pub(crate) fn py_repr(p: &Py) -> String {
    let mut out = String::new();
    write_repr(&mut out, p);
    out
}

fn write_repr(out: &mut String, p: &Py) {
    match p {
        Py::None => out.push_str("None"),
        Py::Bool(true) => out.push_str("True"),
        Py::Bool(false) => out.push_str("False"),
        Py::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Py::Float(f) => out.push_str(&float_repr(*f)),
        Py::Str(s) => str_repr(out, s),
        Py::Date(d) => out.push_str(&d.py_repr()),
        Py::Unknown => out.push_str(UNKNOWN_PLACEHOLDER),
        Py::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_repr(out, item);
            }
            out.push(']');
        }
        Py::Dict(items) => {
            out.push('{');
            for (i, (k, v)) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_repr(out, k);
                out.push_str(": ");
                write_repr(out, v);
            }
            out.push('}');
        }
    }
}

/// Python's `repr(str)`: single quotes unless the text has `'` and no `"`.
pub(crate) fn str_repr(out: &mut String, s: &str) {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if !is_printable(c) => {
                let n = c as u32;
                let _ = match n {
                    0..=0xff => write!(out, "\\x{n:02x}"),
                    0x100..=0xffff => write!(out, "\\u{n:04x}"),
                    _ => write!(out, "\\U{n:08x}"),
                };
            }
            c => out.push(c),
        }
    }
    out.push(quote);
}

/// Python's `str.isprintable()` for one character (close enough: controls, separators other
/// than space, format characters and noncharacters are not printable).
fn is_printable(c: char) -> bool {
    let n = c as u32;
    !(c.is_control()
        || matches!(n, 0xa0 | 0xad | 0x1680 | 0x180e | 0x2000..=0x200f | 0x2028..=0x202f | 0x205f..=0x2064 | 0x2066..=0x206f | 0x3000 | 0xfeff | 0xfff9..=0xfffb | 0xe000..=0xf8ff | 0xd800..=0xdfff)
        || (n & 0xfffe) == 0xfffe)
}

/// Python's `repr(float)`: shortest round-trip digits, exponent form below 1e-4 and from 1e16.
pub(crate) fn float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let sign = if f < 0.0 { "-" } else { "" };
    if (-4..16).contains(&exp) {
        let mut s = if exp >= 0 {
            let point = exp as usize + 1;
            if digits.len() > point {
                format!("{}.{}", &digits[..point], &digits[point..])
            } else {
                format!("{}{}.0", digits, "0".repeat(point - digits.len()))
            }
        } else {
            format!("0.{}{}", "0".repeat((-exp - 1) as usize), digits)
        };
        s.insert_str(0, sign);
        s
    } else {
        let (first, rest) = digits.split_at(1);
        let frac = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{first}{frac}e{esign}{:02}", exp.abs())
    }
}

/// `json.dumps` options Ansible's filters use.
pub(crate) struct JsonStyle {
    pub indent: Option<usize>,
    pub sort_keys: bool,
    pub ensure_ascii: bool,
}

/// Python's `json.dumps` (Ansible's encoder: dates as ISO strings).
pub(crate) fn json_dumps(p: &Py, style: &JsonStyle) -> Result<String, Error> {
    let mut out = String::new();
    write_json(&mut out, p, style, 0)?;
    Ok(out)
}

fn write_json(out: &mut String, p: &Py, style: &JsonStyle, level: usize) -> Result<(), Error> {
    match p {
        Py::None => out.push_str("null"),
        Py::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Py::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Py::Float(f) if f.is_nan() => out.push_str("NaN"),
        Py::Float(f) if f.is_infinite() => {
            out.push_str(if *f > 0.0 { "Infinity" } else { "-Infinity" })
        }
        Py::Float(f) => out.push_str(&float_repr(*f)),
        Py::Str(s) => json_str(out, s, style.ensure_ascii),
        Py::Date(d) => json_str(out, &d.iso('T'), style.ensure_ascii),
        Py::Unknown => json_str(out, UNKNOWN_PLACEHOLDER, false),
        Py::List(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return Ok(());
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                json_separator(out, style, level + 1, i == 0);
                write_json(out, item, style, level + 1)?;
            }
            json_close(out, style, level);
            out.push(']');
        }
        Py::Dict(items) => {
            if items.is_empty() {
                out.push_str("{}");
                return Ok(());
            }
            let mut entries: Vec<(String, &Py)> = Vec::with_capacity(items.len());
            for (k, v) in items {
                entries.push((json_key(k)?, v));
            }
            if style.sort_keys {
                entries.sort_by(|a, b| a.0.cmp(&b.0));
            }
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                json_separator(out, style, level + 1, i == 0);
                json_str(out, k, style.ensure_ascii);
                out.push_str(": ");
                write_json(out, v, style, level + 1)?;
            }
            json_close(out, style, level);
            out.push('}');
        }
    }
    Ok(())
}

fn json_separator(out: &mut String, style: &JsonStyle, level: usize, first: bool) {
    match style.indent {
        Some(n) => {
            if !first {
                out.push(',');
            }
            out.push('\n');
            out.push_str(&" ".repeat(n * level));
        }
        None if !first => out.push_str(", "),
        None => {}
    }
}

fn json_close(out: &mut String, style: &JsonStyle, level: usize) {
    if let Some(n) = style.indent {
        out.push('\n');
        out.push_str(&" ".repeat(n * level));
    }
}

/// JSON object keys: strings as is, scalars converted as `json.dumps` does.
fn json_key(k: &Py) -> Result<String, Error> {
    Ok(match k {
        Py::Str(s) => s.clone(),
        Py::None => "null".into(),
        Py::Bool(b) => if *b { "true" } else { "false" }.into(),
        Py::Int(i) => i.to_string(),
        Py::Float(f) => float_repr(*f),
        Py::Date(d) => d.iso('T'),
        _ => {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                "keys must be str, int, float, bool or None",
            ))
        }
    })
}

fn json_str(out: &mut String, s: &str, ensure_ascii: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (ensure_ascii && !c.is_ascii()) => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_like_python_repr() {
        for (f, want) in [
            (1.0, "1.0"),
            (0.1, "0.1"),
            (1e16, "1e+16"),
            (12345678901234567.0, "1.2345678901234568e+16"),
            (1.5e-7, "1.5e-07"),
            (0.0001, "0.0001"),
            (123.456, "123.456"),
            (-2.5, "-2.5"),
            (1e22, "1e+22"),
            (1e15, "1000000000000000.0"),
        ] {
            assert_eq!(float_repr(f), want);
        }
    }

    #[test]
    fn strings_repr_with_pythons_quotes() {
        let r = |s: &str| py_repr(&Py::Str(s.into()));
        assert_eq!(r("it's"), "\"it's\"");
        assert_eq!(r("x'y\"z"), "'x\\'y\"z'");
        assert_eq!(r("a\nb\u{1}"), "'a\\nb\\x01'");
        assert_eq!(r("é"), "'é'");
    }

    #[test]
    fn json_matches_python_defaults() {
        let v = Py::Dict(vec![
            (Py::Str("b".into()), Py::Str("<é>".into())),
            (Py::Str("a".into()), Py::List(vec![Py::Int(1), Py::None])),
        ]);
        let compact = JsonStyle {
            indent: None,
            sort_keys: false,
            ensure_ascii: true,
        };
        assert_eq!(
            json_dumps(&v, &compact).unwrap(),
            r#"{"b": "<\u00e9>", "a": [1, null]}"#
        );
        let nice = JsonStyle {
            indent: Some(4),
            sort_keys: true,
            ensure_ascii: true,
        };
        assert_eq!(
            json_dumps(&v, &nice).unwrap(),
            "{\n    \"a\": [\n        1,\n        null\n    ],\n    \"b\": \"<\\u00e9>\"\n}"
        );
    }
}
