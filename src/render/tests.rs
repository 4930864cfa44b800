//! render::tests: Jinja tests (`is defined`, `is string`, …) and Ansible's
//! (`ansible/plugins/test/core.py`, `mathstuff.py`): regex tests, `version`, set tests,
//! `truthy`/`falsy`, `any`/`all`.
//!
//! `defined`/`undefined` treat names already reported undefined as undefined, and unknown
//! values (facts) as defined: they will exist at deploy time.

use super::env::add_test;
use super::pyre::regex_test;
use super::value::is_undefinedish;
use minijinja::tests as jt;
use minijinja::value::{Kwargs, ValueKind};
use minijinja::{Environment, Error, ErrorKind, Value};
use std::cmp::Ordering;

/// Short names of every test, for did-you-mean.
pub(crate) const NAMES: &[&str] = &[
    "defined",
    "undefined",
    "none",
    "string",
    "number",
    "mapping",
    "iterable",
    "sequence",
    "boolean",
    "integer",
    "float",
    "odd",
    "even",
    "divisibleby",
    "lower",
    "upper",
    "in",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "sameas",
    "true",
    "false",
    "match",
    "search",
    "regex",
    "version",
    "version_compare",
    "subset",
    "superset",
    "contains",
    "any",
    "all",
    "truthy",
    "falsy",
    "startingwith",
    "endingwith",
    "escaped",
    "nan",
];

macro_rules! test {
    ($env:expr, [$($name:literal),+], $f:expr) => {
        add_test($env, &[$($name, concat!("ansible.builtin.", $name)),+], $f)
    };
}

pub(crate) fn register(env: &mut Environment<'static>) {
    test!(env, ["defined"], |v: Value| !is_undefinedish(&v));
    test!(env, ["undefined"], |v: Value| is_undefinedish(&v));
    test!(env, ["none"], |v: Value| v.is_none());
    test!(env, ["string"], |v: Value| v.kind() == ValueKind::String);
    test!(env, ["number"], |v: Value| v.kind() == ValueKind::Number);
    test!(env, ["integer"], |v: Value| v.is_integer());
    test!(env, ["float"], |v: Value| v.kind() == ValueKind::Number
        && !v.is_integer());
    test!(env, ["boolean"], |v: Value| v.kind() == ValueKind::Bool);
    test!(env, ["mapping"], |v: Value| v.kind() == ValueKind::Map);
    test!(env, ["sequence"], |v: Value| matches!(
        v.kind(),
        ValueKind::Seq | ValueKind::Map | ValueKind::String | ValueKind::Iterable
    ));
    test!(env, ["iterable"], |v: Value| v.try_iter().is_ok()
        && !is_undefinedish(&v));
    test!(env, ["odd"], jt::is_odd);
    test!(env, ["even"], jt::is_even);
    test!(env, ["divisibleby"], jt::is_divisibleby);
    test!(env, ["lower"], jt::is_lower);
    test!(env, ["upper"], jt::is_upper);
    test!(env, ["in"], jt::is_in);
    test!(env, ["eq", "equalto", "=="], jt::is_eq);
    test!(env, ["ne", "!="], jt::is_ne);
    test!(env, ["lt", "lessthan", "<"], jt::is_lt);
    test!(env, ["le", "<="], jt::is_le);
    test!(env, ["gt", "greaterthan", ">"], jt::is_gt);
    test!(env, ["ge", ">="], jt::is_ge);
    test!(env, ["sameas"], jt::is_sameas);
    test!(env, ["true"], jt::is_true);
    test!(env, ["false"], jt::is_false);
    test!(env, ["startingwith"], jt::is_startingwith);
    test!(env, ["endingwith"], jt::is_endingwith);
    test!(env, ["escaped"], |_v: Value| false);
    test!(env, ["match"], |v: Value, p: String, k: Kwargs| regex_kind(
        &v, &p, &k, "match"
    ));
    test!(
        env,
        ["search"],
        |v: Value, p: String, k: Kwargs| regex_kind(&v, &p, &k, "search")
    );
    test!(env, ["regex"], regex);
    test!(env, ["version", "version_compare"], version);
    test!(env, ["subset", "issubset"], |a: Value,
                                        b: Value|
     -> Result<bool, Error> {
        let b: Vec<Value> = b.try_iter()?.collect();
        Ok(a.try_iter()?.all(|x| b.contains(&x)))
    });
    test!(
        env,
        ["superset", "issuperset"],
        |a: Value, b: Value| -> Result<bool, Error> {
            let a: Vec<Value> = a.try_iter()?.collect();
            Ok(b.try_iter()?.all(|x| a.contains(&x)))
        }
    );
    test!(env, ["contains"], |a: Value,
                              x: Value|
     -> Result<bool, Error> {
        Ok(a.try_iter()?.any(|i| i == x))
    });
    test!(env, ["any"], |a: Value| -> Result<bool, Error> {
        Ok(a.try_iter()?.any(|v| v.is_true()))
    });
    test!(env, ["all"], |a: Value| -> Result<bool, Error> {
        Ok(a.try_iter()?.all(|v| v.is_true()))
    });
    test!(env, ["truthy"], |v: Value, k: Kwargs| truthy(&v, &k));
    test!(env, ["falsy"], |v: Value, k: Kwargs| truthy(&v, &k)
        .map(|t| !t));
    test!(env, ["nan", "isnan"], |v: Value| f64::try_from(v)
        .is_ok_and(f64::is_nan));
}

fn regex_kind(v: &Value, pattern: &str, kwargs: &Kwargs, kind: &str) -> Result<bool, Error> {
    let r = regex_test(v, pattern, kwargs, kind == "match");
    let _ = kwargs.get::<Option<String>>("match_type");
    kwargs.assert_all_used()?;
    r
}

fn regex(v: Value, pattern: String, kwargs: Kwargs) -> Result<bool, Error> {
    let kind = kwargs
        .get::<Option<String>>("match_type")?
        .unwrap_or_else(|| "search".into());
    regex_kind(&v, &pattern, &kwargs, &kind)
}

/// `truthy(convert_bool=False)`.
fn truthy(v: &Value, kwargs: &Kwargs) -> Result<bool, Error> {
    let convert = kwargs.get::<Option<bool>>("convert_bool")?.unwrap_or(false);
    kwargs.assert_all_used()?;
    if convert {
        let text = v.as_str().map(str::to_lowercase);
        if let Some(t) = text.as_deref() {
            if matches!(t, "yes" | "on" | "true" | "1") {
                return Ok(true);
            }
            if matches!(t, "no" | "off" | "false" | "0") {
                return Ok(false);
            }
        }
    }
    Ok(v.is_true())
}

fn invalid(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg.into())
}

/// Ansible's `version` test: LooseVersion by default, StrictVersion with `strict=True`.
fn version(value: Value, other: Value, op: Option<String>, kwargs: Kwargs) -> Result<bool, Error> {
    let op = match op {
        Some(op) => op,
        None => kwargs
            .get::<Option<String>>("operator")?
            .unwrap_or_else(|| "eq".into()),
    };
    let strict = kwargs.get::<Option<bool>>("strict")?.unwrap_or(false);
    let kind = kwargs.get::<Option<String>>("version_type")?;
    kwargs.assert_all_used()?;
    let (a, b) = (
        super::filters::text_of(&value)?,
        super::filters::text_of(&other)?,
    );
    if a.is_empty() {
        return Err(invalid("version value cannot be empty"));
    }
    let ord = match kind.as_deref() {
        Some("strict") => strict_cmp(&a, &b)?,
        _ if strict => strict_cmp(&a, &b)?,
        _ => loose_cmp(&a, &b)?,
    };
    Ok(match op.as_str() {
        "==" | "=" | "eq" => ord == Ordering::Equal,
        "<" | "lt" => ord == Ordering::Less,
        "<=" | "le" => ord != Ordering::Greater,
        ">" | "gt" => ord == Ordering::Greater,
        ">=" | "ge" => ord != Ordering::Less,
        "!=" | "<>" | "ne" => ord != Ordering::Equal,
        _ => return Err(invalid(format!("invalid version operator '{op}'"))),
    })
}

#[derive(PartialEq, Eq, Debug)]
enum Part {
    Num(u128),
    Word(String),
}

/// LooseVersion's components: digit runs as numbers, letter runs as words, dots dropped.
fn loose_parts(s: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_ascii_digit() {
            let mut n = String::new();
            while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                n.push(*d);
                chars.next();
            }
            parts.push(Part::Num(n.parse().unwrap_or(u128::MAX)));
        } else if c == '.' {
            chars.next();
        } else {
            let mut w = String::new();
            while let Some(d) = chars.peek().filter(|d| !d.is_ascii_digit() && **d != '.') {
                w.push(*d);
                chars.next();
            }
            parts.push(Part::Word(w));
        }
    }
    parts
}

fn loose_cmp(a: &str, b: &str) -> Result<Ordering, Error> {
    let (a, b) = (loose_parts(a), loose_parts(b));
    for (x, y) in a.iter().zip(&b) {
        let ord = match (x, y) {
            (Part::Num(x), Part::Num(y)) => x.cmp(y),
            (Part::Word(x), Part::Word(y)) => x.cmp(y),
            _ => return Err(invalid("cannot compare a number with a word in versions")),
        };
        if ord != Ordering::Equal {
            return Ok(ord);
        }
    }
    Ok(a.len().cmp(&b.len()))
}

/// StrictVersion: `N.N[.N][(a|b)N]`.
/// `(major, minor, patch)` and the optional pre-release (`a1`, `b2`).
type StrictVersion = ((u64, u64, u64), Option<(char, u64)>);

fn strict_parts(s: &str) -> Result<StrictVersion, Error> {
    let bad = || invalid("invalid version number for a strict comparison");
    let (nums, pre) = match s.find(['a', 'b']) {
        Some(i) => (&s[..i], Some(&s[i..])),
        None => (s, None),
    };
    let parts: Vec<u64> = nums
        .split('.')
        .map(|p| p.parse().map_err(|_| bad()))
        .collect::<Result<_, _>>()?;
    let triple = match parts[..] {
        [a, b] => (a, b, 0),
        [a, b, c] => (a, b, c),
        _ => return Err(bad()),
    };
    let pre = match pre {
        Some(p) => Some((
            p.chars().next().unwrap_or('a'),
            p[1..].parse().map_err(|_| bad())?,
        )),
        None => None,
    };
    Ok((triple, pre))
}

fn strict_cmp(a: &str, b: &str) -> Result<Ordering, Error> {
    let (a, b) = (strict_parts(a)?, strict_parts(b)?);
    Ok(a.0.cmp(&b.0).then_with(|| match (a.1, b.1) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => x.cmp(&y),
    }))
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn loose_versions_compare_numerically() {
        assert_eq!(loose_cmp("2.10", "2.9").unwrap(), Ordering::Greater);
        assert_eq!(loose_cmp("1.0", "1.0.0").unwrap(), Ordering::Less);
        assert_eq!(strict_cmp("1.0a1", "1.0").unwrap(), Ordering::Less);
    }
}
