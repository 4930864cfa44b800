//! render::filters: Jinja's and Ansible's filters with Ansible 2.19's semantics
//! (`ansible/plugins/filter/core.py`, `mathstuff.py`, `jinja2/filters.py`).
//!
//! Jinja builtins whose minijinja version behaves the same are reused; those that print or
//! coerce values (`join`, `string`, `int`, `bool`, `default`, `unique`) are Python's here.
//! Set filters keep first-seen order (Ansible's order depends on Python's hashing).

use super::dump::{from_py, json_dumps, py_str, to_py, JsonStyle, Py};
use super::env::{add_filter, add_filter_params};
use super::value::{int_value, is_undefinedish, PyDate, RootScope};
use super::yaml_dump::{self, YamlStyle};
use super::{ipaddr, pyre};
use base64::Engine;
use indexmap::IndexMap;
use minijinja::value::{Kwargs, Rest, ValueKind};
use minijinja::{filters as jf, Environment, Error, ErrorKind, State, Value};

/// Short names of every filter, for did-you-mean.
pub(crate) const NAMES: &[&str] = &[
    "abs",
    "attr",
    "b64decode",
    "b64encode",
    "basename",
    "batch",
    "bool",
    "capitalize",
    "checksum",
    "combine",
    "comment",
    "count",
    "d",
    "default",
    "dict2items",
    "dictsort",
    "difference",
    "dirname",
    "extract",
    "first",
    "flatten",
    "float",
    "format",
    "from_json",
    "from_yaml",
    "from_yaml_all",
    "groupby",
    "hash",
    "indent",
    "int",
    "intersect",
    "ipaddr",
    "ipv4",
    "ipv6",
    "ipwrap",
    "items",
    "items2dict",
    "join",
    "last",
    "length",
    "list",
    "log",
    "lower",
    "map",
    "mandatory",
    "max",
    "md5",
    "min",
    "normpath",
    "password_hash",
    "path_join",
    "pow",
    "product",
    "quote",
    "regex_escape",
    "regex_findall",
    "regex_replace",
    "regex_search",
    "reject",
    "rejectattr",
    "replace",
    "reverse",
    "root",
    "round",
    "select",
    "selectattr",
    "sha1",
    "slice",
    "sort",
    "split",
    "splitext",
    "string",
    "subelements",
    "sum",
    "symmetric_difference",
    "ternary",
    "title",
    "to_json",
    "to_nice_json",
    "to_nice_yaml",
    "to_uuid",
    "to_yaml",
    "trim",
    "truncate",
    "type_debug",
    "union",
    "unique",
    "upper",
    "urlencode",
    "zip",
    "zip_longest",
    "random",
    "shuffle",
    "strftime",
    "to_datetime",
    "fileglob",
    "human_readable",
    "human_to_bytes",
    "center",
    "tojson",
    "urlsplit",
    "splitlines",
];

/// Registers `name` and `ansible.builtin.name`, optionally with keyword-capable parameters.
macro_rules! builtin {
    ($env:expr, [$($name:literal),+], $f:expr) => {
        add_filter($env, &[$($name, concat!("ansible.builtin.", $name)),+], $f)
    };
    ($env:expr, [$($name:literal),+], $params:expr, $f:expr) => {
        add_filter_params($env, &[$($name, concat!("ansible.builtin.", $name)),+], $params, $f)
    };
}

pub(crate) fn register(env: &mut Environment<'static>) {
    register_jinja(env);
    register_types(env);
    register_data(env);
    register_sets(env);
    register_text(env);
    register_paths(env);
    register_hashes(env);
    register_serialization(env);
    register_nondeterministic(env);
    ipaddr::register(env);
}

fn register_jinja(env: &mut Environment<'static>) {
    builtin!(env, ["lower"], jf::lower);
    builtin!(env, ["upper"], jf::upper);
    builtin!(env, ["capitalize"], jf::capitalize);
    builtin!(env, ["title"], jf::title);
    builtin!(env, ["replace"], &["old", "new", "count"], replace);
    builtin!(env, ["length", "count"], jf::length);
    builtin!(env, ["dictsort"], jf::dictsort);
    builtin!(env, ["items"], jf::items);
    builtin!(env, ["reverse"], jf::reverse);
    builtin!(env, ["trim"], jf::trim);
    builtin!(env, ["abs"], jf::abs);
    builtin!(env, ["round"], &["precision", "method"], round);
    builtin!(env, ["first"], jf::first);
    builtin!(env, ["last"], jf::last);
    builtin!(env, ["min"], jf::min);
    builtin!(env, ["max"], jf::max);
    builtin!(env, ["sort"], sort);
    builtin!(env, ["list"], jf::list);
    builtin!(env, ["batch"], jf::batch);
    builtin!(env, ["slice"], jf::slice);
    builtin!(env, ["indent"], jf::indent);
    builtin!(env, ["urlencode"], urlencode);
    builtin!(env, ["select"], jf::select);
    builtin!(env, ["selectattr"], jf::selectattr);
    builtin!(env, ["reject"], jf::reject);
    builtin!(env, ["rejectattr"], jf::rejectattr);
    builtin!(env, ["map"], jf::map);
    builtin!(env, ["groupby"], jf::groupby);
    builtin!(env, ["attr"], attr);
    builtin!(env, ["sum"], jf::sum);
    builtin!(env, ["format"], jf::format);
    builtin!(env, ["tojson"], jf::tojson);
    builtin!(env, ["truncate"], minijinja_contrib::filters::truncate);
    builtin!(env, ["center"], &["width"], center);
}

fn register_types(env: &mut Environment<'static>) {
    builtin!(env, ["string"], string);
    builtin!(env, ["int"], &["default", "base"], int);
    builtin!(env, ["float"], &["default"], float);
    builtin!(env, ["bool"], to_bool);
    builtin!(
        env,
        ["default", "d"],
        &["default_value", "boolean"],
        default
    );
    builtin!(
        env,
        ["ternary"],
        &["true_val", "false_val", "none_val"],
        ternary
    );
    builtin!(env, ["mandatory"], &["msg"], mandatory);
    builtin!(env, ["type_debug"], type_debug);
    builtin!(env, ["join"], &["d", "attribute"], join);
}

fn register_data(env: &mut Environment<'static>) {
    builtin!(env, ["flatten"], flatten);
    builtin!(env, ["combine"], combine);
    builtin!(env, ["dict2items"], &["key_name", "value_name"], dict2items);
    builtin!(env, ["items2dict"], items2dict);
    builtin!(env, ["zip"], zip);
    builtin!(env, ["zip_longest"], zip_longest);
    builtin!(env, ["extract"], &["container", "morekeys"], extract);
    builtin!(
        env,
        ["subelements"],
        &["subelements", "skip_missing"],
        subelements
    );
    builtin!(env, ["product"], product);
    builtin!(env, ["log"], &["base"], log);
    builtin!(env, ["pow"], pow);
    builtin!(env, ["root"], &["base"], root);
}

fn register_sets(env: &mut Environment<'static>) {
    builtin!(env, ["unique"], unique);
    builtin!(env, ["union"], union);
    builtin!(env, ["intersect"], intersect);
    builtin!(env, ["difference"], difference);
    builtin!(env, ["symmetric_difference"], symmetric_difference);
}

fn register_text(env: &mut Environment<'static>) {
    builtin!(env, ["split"], &["sep", "maxsplit"], split);
    builtin!(env, ["quote"], quote);
    builtin!(env, ["comment"], comment);
    builtin!(env, ["regex_replace"], pyre::regex_replace);
    builtin!(env, ["regex_search"], pyre::regex_search);
    builtin!(env, ["regex_findall"], pyre::regex_findall);
    builtin!(env, ["regex_escape"], pyre::regex_escape);
}

fn register_paths(env: &mut Environment<'static>) {
    builtin!(env, ["basename"], |s: String| basename(&s).to_string());
    builtin!(env, ["dirname"], |s: String| dirname(&s));
    builtin!(env, ["path_join"], path_join);
    builtin!(env, ["splitext"], splitext);
    builtin!(env, ["normpath"], |s: String| normpath(&s));
}

fn register_hashes(env: &mut Environment<'static>) {
    builtin!(env, ["b64encode"], b64encode);
    builtin!(env, ["b64decode"], b64decode);
    builtin!(env, ["hash"], &["hashtype"], hash);
    builtin!(env, ["md5"], |v: Value| -> Result<String, Error> {
        digest(&text_of(&v)?, "md5")
    });
    builtin!(
        env,
        ["sha1", "checksum"],
        |v: Value| -> Result<String, Error> { digest(&text_of(&v)?, "sha1") }
    );
    builtin!(env, ["to_uuid"], &["namespace"], to_uuid);
}

fn register_serialization(env: &mut Environment<'static>) {
    builtin!(env, ["to_json"], to_json);
    builtin!(env, ["to_nice_json"], to_nice_json);
    builtin!(env, ["to_yaml"], to_yaml);
    builtin!(env, ["to_nice_yaml"], to_nice_yaml);
    builtin!(env, ["from_json"], from_json);
    builtin!(env, ["from_yaml"], from_yaml);
    builtin!(env, ["from_yaml_all"], from_yaml_all);
}

/// Filters whose result changes from run to run: unknown values.
fn register_nondeterministic(env: &mut Environment<'static>) {
    for name in [
        "password_hash",
        "random",
        "shuffle",
        "strftime",
        "fileglob",
        "to_datetime",
    ] {
        let fqcn: &'static str = Box::leak(format!("ansible.builtin.{name}").into_boxed_str());
        add_filter(
            env,
            &[name, fqcn],
            move |state: &State, _args: Rest<Value>| unknown_result(state, name),
        );
    }
}

fn unknown_result(state: &State, name: &str) -> Value {
    match RootScope::of(state) {
        Some(scope) => scope.ctx.unknown(
            name,
            format!("the {name} filter's result changes on every run"),
        ),
        None => Value::from(super::UNKNOWN_PLACEHOLDER),
    }
}

fn invalid(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg.into())
}

/// Python's `str(value)` of a value (`None` → `'None'`).
pub(crate) fn text_of(v: &Value) -> Result<String, Error> {
    if let Some(s) = v.as_str() {
        return Ok(s.to_string());
    }
    if is_undefinedish(v) {
        return Ok(String::new());
    }
    Ok(py_str(&to_py(v)?))
}

// ---- Jinja builtins with Python semantics ----

fn replace(s: Value, old: String, new: String, count: Option<i64>) -> Result<String, Error> {
    let s = text_of(&s)?;
    Ok(match count {
        Some(n) if n >= 0 => s.replacen(&old, &new, n as usize),
        _ => s.replace(&old, &new),
    })
}

/// Jinja's `sort(reverse=False, case_sensitive=False, attribute=None)`, comparing as Python
/// does: numbers with numbers, strings with strings, anything else is an error.
fn sort(v: Value, kwargs: Kwargs) -> Result<Value, Error> {
    let reverse = kwargs.get::<Option<bool>>("reverse")?.unwrap_or(false);
    let key = ItemKey::from_kwargs(&kwargs)?;
    kwargs.assert_all_used()?;
    let mut keyed = Vec::new();
    for item in v.try_iter()? {
        keyed.push((key.of(&item), item));
    }
    let mut error = None;
    keyed.sort_by(|(a, _), (b, _)| {
        python_cmp(a, b).unwrap_or_else(|e| {
            error.get_or_insert(e);
            std::cmp::Ordering::Equal
        })
    });
    if let Some(e) = error {
        return Err(e);
    }
    if reverse {
        keyed.reverse();
    }
    Ok(Value::from(
        keyed.into_iter().map(|(_, v)| v).collect::<Vec<_>>(),
    ))
}

/// What `sort` and `unique` compare items by (`attribute=`, `case_sensitive=`): one
/// definition so the two filters pick the same key for the same item.
struct ItemKey {
    attribute: Option<String>,
    case_sensitive: bool,
}

impl ItemKey {
    fn from_kwargs(kwargs: &Kwargs) -> Result<Self, Error> {
        Ok(ItemKey {
            case_sensitive: kwargs
                .get::<Option<bool>>("case_sensitive")?
                .unwrap_or(false),
            attribute: kwargs.get::<Option<String>>("attribute")?,
        })
    }

    /// The item's attribute path (or the item), lowercased if a string and not case-sensitive.
    fn of(&self, item: &Value) -> Value {
        let key = match &self.attribute {
            Some(a) => item.get_path_or_default(a, &Value::UNDEFINED),
            None => item.clone(),
        };
        match key.as_str() {
            Some(s) if !self.case_sensitive => Value::from(s.to_lowercase()),
            _ => key,
        }
    }
}

/// Python's `<` between two values: TypeError across kinds (`'<' not supported between
/// instances of 'int' and 'str'`).
fn python_cmp(a: &Value, b: &Value) -> Result<std::cmp::Ordering, Error> {
    let number = |v: &Value| matches!(v.kind(), ValueKind::Number | ValueKind::Bool);
    let same = (number(a) && number(b))
        || (a.kind() == b.kind() && matches!(a.kind(), ValueKind::String | ValueKind::Seq));
    if !same {
        return Err(invalid(format!(
            "'<' not supported between instances of '{}' and '{}'",
            py_type(a),
            py_type(b)
        )));
    }
    Ok(a.cmp(b))
}

fn py_type(v: &Value) -> &'static str {
    match v.kind() {
        ValueKind::Number if v.is_integer() => "int",
        ValueKind::Number => "float",
        ValueKind::Bool => "bool",
        ValueKind::String => "str",
        ValueKind::Seq => "list",
        ValueKind::Map => "dict",
        ValueKind::None => "NoneType",
        _ => "object",
    }
}

/// Jinja's `attr`: Python's `getattr`, so dict keys are not attributes.
fn attr(v: Value, name: String) -> Result<Value, Error> {
    if matches!(
        v.kind(),
        ValueKind::Map | ValueKind::Seq | ValueKind::String
    ) {
        return Ok(Value::UNDEFINED);
    }
    v.get_attr(&name)
}

/// Jinja's `urlencode`: strings keep `/`; dict items and pairs become a query string with
/// spaces as `+`.
fn urlencode(v: Value) -> Result<String, Error> {
    if let Some(s) = v.as_str() {
        return Ok(url_quote(s, false));
    }
    let pairs: Vec<(Value, Value)> = match v.kind() {
        ValueKind::Map => map_of(&v)?.into_iter().collect(),
        ValueKind::Seq | ValueKind::Iterable => items_of(&v)?
            .into_iter()
            .map(|p| Ok((p.get_item_by_index(0)?, p.get_item_by_index(1)?)))
            .collect::<Result<_, Error>>()?,
        _ => return Ok(url_quote(&text_of(&v)?, false)),
    };
    let mut parts = Vec::with_capacity(pairs.len());
    for (k, val) in pairs {
        parts.push(format!(
            "{}={}",
            url_quote(&text_of(&k)?, true),
            url_quote(&text_of(&val)?, true)
        ));
    }
    Ok(parts.join("&"))
}

/// Python's `urllib.parse.quote` (safe `/` unless for a query string, where `%20` is `+`).
fn url_quote(s: &str, for_qs: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => {
                out.push(b as char)
            }
            b'/' if !for_qs => out.push('/'),
            b' ' if for_qs => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Jinja's `round`: a float, `common` rounds half away from zero.
fn round(value: Value, precision: Option<i32>, method: Option<String>) -> Result<Value, Error> {
    let x = f64::try_from(value).map_err(|_| invalid("round expects a number"))?;
    let digits = precision.unwrap_or(0);
    let p = 10f64.powi(digits);
    let r = match method.as_deref().unwrap_or("common") {
        "common" => python_round(x, digits),
        "ceil" => (x * p).ceil() / p,
        "floor" => (x * p).floor() / p,
        _ => return Err(invalid("method must be common, ceil or floor")),
    };
    Ok(Value::from(r))
}

/// Python's `round(x, n)`: the exact binary value rounded to `n` decimals, ties to even
/// (`round(2.5) == 2`, `round(2.675, 2) == 2.67`); Rust's `{:.n}` formatting does the same.
fn python_round(x: f64, digits: i32) -> f64 {
    if digits >= 0 {
        format!("{:.*}", digits as usize, x).parse().unwrap_or(x)
    } else {
        let p = 10f64.powi(-digits);
        (x / p).round_ties_even() * p
    }
}

fn center(s: Value, width: Option<usize>) -> Result<String, Error> {
    let s = text_of(&s)?;
    let width = width.unwrap_or(80);
    let len = s.chars().count();
    if len >= width {
        return Ok(s);
    }
    // Python's str.center puts the extra space on the right unless the width is odd.
    let total = width - len;
    let left = total / 2 + (total & width & 1);
    Ok(format!(
        "{}{}{}",
        " ".repeat(left),
        s,
        " ".repeat(total - left)
    ))
}

fn string(v: Value) -> Result<String, Error> {
    if v.is_none() {
        return Ok("None".into());
    }
    text_of(&v)
}

/// Jinja's `int`: `int(value)`, else `int(float(value))`, else the default.
fn int(v: Value, default: Option<Value>, base: Option<u32>) -> Result<Value, Error> {
    let fallback = default.unwrap_or(Value::from(0));
    if v.kind() == ValueKind::Bool {
        return Ok(Value::from(i64::from(v.is_true())));
    }
    if v.kind() == ValueKind::Number {
        if v.is_integer() {
            return Ok(v);
        }
        return Ok(f64::try_from(v).map_or(fallback, |f| int_value(f.trunc() as i128)));
    }
    let Some(s) = v.as_str() else {
        return Ok(fallback);
    };
    let base = base.unwrap_or(10);
    if let Some(i) = parse_py_int(s, base) {
        return Ok(int_value(i));
    }
    if base == 10 {
        if let Some(f) = parse_py_float(s) {
            if f.is_finite() {
                return Ok(int_value(f.trunc() as i128));
            }
        }
    }
    Ok(fallback)
}

/// Python's `int(s, base)`: surrounding whitespace, sign, `_` between digits, prefixes for
/// bases 2/8/16.
fn parse_py_int(s: &str, base: u32) -> Option<i128> {
    let t = s.trim();
    let (neg, t) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let lower = t.to_ascii_lowercase();
    let digits = match base {
        16 => lower.strip_prefix("0x").unwrap_or(&lower),
        8 => lower.strip_prefix("0o").unwrap_or(&lower),
        2 => lower.strip_prefix("0b").unwrap_or(&lower),
        _ => &lower,
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
    {
        return None;
    }
    let clean: String = digits.chars().filter(|c| *c != '_').collect();
    let n = i128::from_str_radix(&clean, base).ok()?;
    Some(if neg { -n } else { n })
}

/// Python's `float(s)`.
fn parse_py_float(s: &str) -> Option<f64> {
    let t = s.trim();
    let lower = t.to_ascii_lowercase();
    let body = lower.trim_start_matches(['+', '-']);
    if matches!(body, "inf" | "infinity" | "nan") {
        return lower.parse().ok();
    }
    if t.contains("__") || t.starts_with('_') || t.ends_with('_') {
        return None;
    }
    let clean: String = t.chars().filter(|c| *c != '_').collect();
    if clean.is_empty()
        || !clean
            .chars()
            .all(|c| c.is_ascii_digit() || "+-.eE".contains(c))
    {
        return None;
    }
    clean.parse().ok()
}

fn float(v: Value, default: Option<Value>) -> Result<Value, Error> {
    let fallback = default.unwrap_or(Value::from(0.0));
    Ok(match v.kind() {
        ValueKind::Bool => Value::from(if v.is_true() { 1.0 } else { 0.0 }),
        ValueKind::Number => Value::from(f64::try_from(v)?),
        ValueKind::String => v
            .as_str()
            .and_then(parse_py_float)
            .map_or(fallback, Value::from),
        _ => fallback,
    })
}

/// Ansible's `to_bool`.
fn to_bool(v: Value) -> Result<bool, Error> {
    let text = match v.kind() {
        ValueKind::String => v.as_str().unwrap_or_default().to_lowercase(),
        ValueKind::Bool => (if v.is_true() { "true" } else { "false" }).into(),
        ValueKind::Number if v.is_integer() => text_of(&v)?,
        ValueKind::Number => return Ok(f64::try_from(v)? == 1.0),
        _ => return Ok(false),
    };
    Ok(match text.as_str() {
        "yes" | "on" | "true" | "1" => true,
        "no" | "off" | "false" | "0" => false,
        _ => false,
    })
}

/// Ansible's `default`: only undefined values are replaced (or falsy ones with `boolean`).
/// Takes its arguments as values: `default(none)` must give `None`, not the missing-argument `''`.
fn default(v: Value, args: Rest<Value>) -> Value {
    let fallback = args.first().cloned().unwrap_or(Value::from(""));
    let boolean = args.get(1).is_some_and(Value::is_true);
    if is_undefinedish(&v) || (boolean && !v.is_true()) {
        fallback
    } else {
        v
    }
}

fn ternary(v: Value, yes: Value, no: Value, none: Option<Value>) -> Value {
    match none {
        Some(n) if v.is_none() && !n.is_none() => n,
        _ if v.is_true() => yes,
        _ => no,
    }
}

fn mandatory(v: Value, msg: Option<String>) -> Result<Value, Error> {
    if is_undefinedish(&v) {
        let msg = msg.unwrap_or_else(|| "Mandatory variable not defined.".into());
        return Err(Error::new(ErrorKind::UndefinedError, msg));
    }
    Ok(v)
}

/// Python's type name.
fn type_debug(v: Value) -> Result<String, Error> {
    Ok(match to_py(&v)? {
        Py::None => "NoneType",
        Py::Bool(_) => "bool",
        Py::Int(_) => "int",
        Py::Float(_) => "float",
        Py::Str(_) => "str",
        Py::List(_) => "list",
        Py::Dict(_) => "dict",
        Py::Date(d) if d.time.is_some() => "datetime",
        Py::Date(_) => "date",
        Py::Unknown => "unknown",
    }
    .into())
}

/// Jinja's `join`: `str()` of each item.
fn join(
    state: &State,
    v: Value,
    sep: Option<String>,
    attribute: Option<String>,
) -> Result<String, Error> {
    if let Some(s) = v.as_str() {
        let sep = sep.unwrap_or_default();
        return Ok(s.chars().map(String::from).collect::<Vec<_>>().join(&sep));
    }
    let mut parts = Vec::new();
    for item in v.try_iter()? {
        let item = match &attribute {
            Some(a) => item.get_path_or_default(a, &Value::UNDEFINED),
            None => item,
        };
        parts.push(text_of(&item)?);
    }
    let _ = state;
    Ok(parts.join(&sep.unwrap_or_default()))
}

trait PathGet {
    fn get_path_or_default(&self, path: &str, default: &Value) -> Value;
}

impl PathGet for Value {
    fn get_path_or_default(&self, path: &str, default: &Value) -> Value {
        let mut cur = self.clone();
        for part in path.split('.') {
            let next = match part.parse::<usize>() {
                Ok(i) => cur.get_item_by_index(i).ok(),
                Err(_) => cur.get_attr(part).ok(),
            };
            match next {
                Some(v) if !v.is_undefined() => cur = v,
                _ => return default.clone(),
            }
        }
        cur
    }
}

// ---- data structures ----

fn items_of(v: &Value) -> Result<Vec<Value>, Error> {
    Ok(v.try_iter()?.collect())
}

fn is_sequence(v: &Value) -> bool {
    matches!(v.kind(), ValueKind::Seq | ValueKind::Iterable)
}

/// Ansible's `flatten(levels=None, skip_nulls=True)`.
fn flatten(v: Value, levels: Option<i64>, kwargs: Kwargs) -> Result<Value, Error> {
    let levels = match levels {
        Some(l) => Some(l),
        None => kwargs.get::<Option<i64>>("levels")?,
    };
    let skip_nulls = kwargs.get::<Option<bool>>("skip_nulls")?.unwrap_or(true);
    kwargs.assert_all_used()?;
    let mut out = Vec::new();
    flatten_into(&v, levels, skip_nulls, &mut out)?;
    Ok(Value::from(out))
}

fn flatten_into(
    v: &Value,
    levels: Option<i64>,
    skip: bool,
    out: &mut Vec<Value>,
) -> Result<(), Error> {
    for item in v.try_iter()? {
        if skip && (item.is_none() || matches!(item.as_str(), Some("None" | "null"))) {
            continue;
        }
        match levels {
            _ if !is_sequence(&item) => out.push(item),
            None => flatten_into(&item, None, skip, out)?,
            Some(l) if l >= 1 => flatten_into(&item, Some(l - 1), skip, out)?,
            Some(_) => out.push(item),
        }
    }
    Ok(())
}

type Map = IndexMap<Value, Value>;

fn map_of(v: &Value) -> Result<Map, Error> {
    if v.kind() != ValueKind::Map {
        return Err(invalid(format!("expected a dictionary, got {}", v.kind())));
    }
    let mut m = Map::new();
    for k in v.try_iter()? {
        let val = v.get_item(&k)?;
        m.insert(k, val);
    }
    Ok(m)
}

fn map_value(m: Map) -> Value {
    Value::from_pairs(m)
}

/// Ansible's `combine(*dicts, recursive=False, list_merge='replace')`.
fn combine(args: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let recursive = kwargs.get::<Option<bool>>("recursive")?.unwrap_or(false);
    let list_merge = kwargs
        .get::<Option<String>>("list_merge")?
        .unwrap_or_else(|| "replace".into());
    kwargs.assert_all_used()?;
    let mut dicts = Vec::new();
    for a in args.iter() {
        if is_sequence(a) {
            dicts.extend(items_of(a)?);
        } else {
            dicts.push(a.clone());
        }
    }
    let Some(last) = dicts.pop() else {
        return Ok(map_value(Map::new()));
    };
    let mut result = map_of(&last)?;
    for d in dicts.iter().rev() {
        result = merge_hash(map_of(d)?, result, recursive, &list_merge)?;
    }
    Ok(map_value(result))
}

/// `ansible.utils.vars.merge_hash`: `y` merged into `x`, `y` winning.
fn merge_hash(x: Map, y: Map, recursive: bool, list_merge: &str) -> Result<Map, Error> {
    if !matches!(
        list_merge,
        "replace" | "keep" | "append" | "prepend" | "append_rp" | "prepend_rp"
    ) {
        return Err(invalid(
            "list_merge must be replace, keep, append, prepend, append_rp or prepend_rp",
        ));
    }
    if x.is_empty() || x == y {
        return Ok(y);
    }
    if y.is_empty() {
        return Ok(x);
    }
    let mut x = x;
    for (key, y_value) in y {
        let Some(x_value) = x.get(&key).cloned() else {
            x.insert(key, y_value);
            continue;
        };
        let merged = if x_value.kind() == ValueKind::Map && y_value.kind() == ValueKind::Map {
            if recursive {
                map_value(merge_hash(
                    map_of(&x_value)?,
                    map_of(&y_value)?,
                    true,
                    list_merge,
                )?)
            } else {
                y_value
            }
        } else if x_value.kind() == ValueKind::Seq && y_value.kind() == ValueKind::Seq {
            merge_lists(items_of(&x_value)?, items_of(&y_value)?, list_merge)
        } else {
            y_value
        };
        x.insert(key, merged);
    }
    Ok(x)
}

fn merge_lists(x: Vec<Value>, y: Vec<Value>, how: &str) -> Value {
    let list = match how {
        "keep" => x,
        "append" => x.into_iter().chain(y).collect(),
        "prepend" => y.into_iter().chain(x).collect(),
        "append_rp" => {
            let rest: Vec<Value> = x.into_iter().filter(|v| !y.contains(v)).collect();
            rest.into_iter().chain(y).collect()
        }
        "prepend_rp" => {
            let rest: Vec<Value> = x.into_iter().filter(|v| !y.contains(v)).collect();
            y.into_iter().chain(rest).collect()
        }
        _ => y,
    };
    Value::from(list)
}

fn dict2items(
    v: Value,
    key_name: Option<String>,
    value_name: Option<String>,
) -> Result<Value, Error> {
    let (kn, vn) = (
        key_name.unwrap_or("key".into()),
        value_name.unwrap_or("value".into()),
    );
    let m = map_of(&v).map_err(|_| invalid("dict2items requires a dictionary"))?;
    Ok(Value::from(
        m.into_iter()
            .map(|(k, val)| Value::from_pairs([(kn.clone(), k), (vn.clone(), val)]))
            .collect::<Vec<_>>(),
    ))
}

fn items2dict(v: Value, kwargs: Kwargs) -> Result<Value, Error> {
    let kn = kwargs
        .get::<Option<String>>("key_name")?
        .unwrap_or("key".into());
    let vn = kwargs
        .get::<Option<String>>("value_name")?
        .unwrap_or("value".into());
    kwargs.assert_all_used()?;
    let mut m = Map::new();
    for item in v.try_iter()? {
        let k = item.get_attr(&kn)?;
        let val = item.get_attr(&vn)?;
        if k.is_undefined() || val.is_undefined() {
            return Err(invalid(format!(
                "items2dict requires each dictionary in the list to contain the keys '{kn}' and '{vn}'"
            )));
        }
        m.insert(k, val);
    }
    Ok(map_value(m))
}

/// A Python tuple (from `zip`, `subelements`, `product`, `splitext`): Ansible 2.19 turns
/// tuples into lists when it finalizes a result, so they print as lists.
fn tuple(items: Vec<Value>) -> Value {
    Value::from(items)
}

/// The items of each argument of `zip` and `zip_longest`, which read them alike.
fn zip_lists(first: &Value, others: &[Value]) -> Result<Vec<Vec<Value>>, Error> {
    std::iter::once(first).chain(others).map(items_of).collect()
}

fn zip(first: Value, others: Rest<Value>) -> Result<Value, Error> {
    let lists = zip_lists(&first, &others)?;
    let n = lists.iter().map(Vec::len).min().unwrap_or(0);
    Ok(Value::from(
        (0..n)
            .map(|i| tuple(lists.iter().map(|l| l[i].clone()).collect()))
            .collect::<Vec<_>>(),
    ))
}

fn zip_longest(first: Value, others: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let fill = kwargs
        .get::<Option<Value>>("fillvalue")?
        .unwrap_or(Value::from(()));
    kwargs.assert_all_used()?;
    let lists = zip_lists(&first, &others)?;
    let n = lists.iter().map(Vec::len).max().unwrap_or(0);
    Ok(Value::from(
        (0..n)
            .map(|i| {
                tuple(
                    lists
                        .iter()
                        .map(|l| l.get(i).cloned().unwrap_or(fill.clone()))
                        .collect(),
                )
            })
            .collect::<Vec<_>>(),
    ))
}

fn extract(item: Value, container: Value, morekeys: Option<Value>) -> Result<Value, Error> {
    let mut keys = vec![item];
    match morekeys {
        Some(m) if m.kind() == ValueKind::Seq => keys.extend(items_of(&m)?),
        Some(m) => keys.push(m),
        None => {}
    }
    let mut v = container;
    for k in keys {
        v = v.get_item(&k)?;
    }
    Ok(v)
}

fn subelements(obj: Value, path: Value, skip_missing: Option<bool>) -> Result<Value, Error> {
    let elements = if obj.kind() == ValueKind::Map {
        map_of(&obj)?.into_values().collect()
    } else {
        items_of(&obj)?
    };
    let keys: Vec<String> = match path.as_str() {
        Some(s) => s.split('.').map(String::from).collect(),
        None => items_of(&path)?
            .iter()
            .map(text_of)
            .collect::<Result<_, _>>()?,
    };
    let mut out = Vec::new();
    'elements: for element in elements {
        let mut values = element.clone();
        for k in &keys {
            let next = values.get_item(&Value::from(k.as_str()))?;
            if next.is_undefined() {
                if skip_missing.unwrap_or(false) {
                    continue 'elements;
                }
                return Err(invalid(format!(
                    "could not find '{k}' key in iterated item"
                )));
            }
            values = next;
        }
        if values.kind() != ValueKind::Seq {
            return Err(invalid(format!(
                "the key '{}' should point to a list",
                keys.join(".")
            )));
        }
        for v in values.try_iter()? {
            out.push(tuple(vec![element.clone(), v]));
        }
    }
    Ok(Value::from(out))
}

fn product(first: Value, others: Rest<Value>) -> Result<Value, Error> {
    let mut acc: Vec<Vec<Value>> = items_of(&first)?.into_iter().map(|v| vec![v]).collect();
    for o in others.iter() {
        let items = items_of(o)?;
        acc = acc
            .into_iter()
            .flat_map(|prefix| {
                items.iter().map(move |i| {
                    let mut p = prefix.clone();
                    p.push(i.clone());
                    p
                })
            })
            .collect();
    }
    Ok(Value::from(acc.into_iter().map(tuple).collect::<Vec<_>>()))
}

fn number(v: &Value) -> Result<f64, Error> {
    f64::try_from(v.clone()).map_err(|_| invalid("expected a number"))
}

fn log(x: Value, base: Option<Value>) -> Result<f64, Error> {
    let x = number(&x)?;
    Ok(match base {
        None => x.ln(),
        Some(b) if number(&b)? == 10.0 => x.log10(),
        Some(b) => x.ln() / number(&b)?.ln(),
    })
}

fn pow(x: Value, y: Value) -> Result<f64, Error> {
    Ok(number(&x)?.powf(number(&y)?))
}

fn root(x: Value, base: Option<Value>) -> Result<f64, Error> {
    let x = number(&x)?;
    Ok(match base {
        None => x.sqrt(),
        Some(b) if number(&b)? == 2.0 => x.sqrt(),
        Some(b) => x.powf(1.0 / number(&b)?),
    })
}

// ---- sets: first-seen order ----

/// Jinja's `unique`: first occurrences; strings compared case-insensitively by default.
fn unique(v: Value, kwargs: Kwargs) -> Result<Value, Error> {
    let item_key = ItemKey::from_kwargs(&kwargs)?;
    kwargs.assert_all_used()?;
    let mut seen: Vec<Value> = Vec::new();
    let mut out = Vec::new();
    for item in v.try_iter()? {
        let key = item_key.of(&item);
        if !seen.contains(&key) {
            seen.push(key);
            out.push(item);
        }
    }
    Ok(Value::from(out))
}

fn dedupe(items: impl IntoIterator<Item = Value>) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

fn union(a: Value, b: Value) -> Result<Value, Error> {
    Ok(Value::from(dedupe(
        items_of(&a)?.into_iter().chain(items_of(&b)?),
    )))
}

fn intersect(a: Value, b: Value) -> Result<Value, Error> {
    let b = items_of(&b)?;
    Ok(Value::from(dedupe(
        items_of(&a)?.into_iter().filter(|x| b.contains(x)),
    )))
}

fn difference(a: Value, b: Value) -> Result<Value, Error> {
    let b = items_of(&b)?;
    Ok(Value::from(dedupe(
        items_of(&a)?.into_iter().filter(|x| !b.contains(x)),
    )))
}

fn symmetric_difference(a: Value, b: Value) -> Result<Value, Error> {
    let (a, b) = (items_of(&a)?, items_of(&b)?);
    let left = a.iter().filter(|x| !b.contains(x)).cloned();
    let right = b.iter().filter(|x| !a.contains(x)).cloned();
    Ok(Value::from(dedupe(left.chain(right))))
}

// ---- text ----

/// Ansible's `split`: Python's `str.split(sep=None, maxsplit=-1)`.
fn split(s: Value, sep: Option<Value>, maxsplit: Option<i64>) -> Result<Value, Error> {
    let s = text_of(&s)?;
    let max = maxsplit.filter(|m| *m >= 0).map(|m| m as usize);
    let sep = sep
        .filter(|v| !v.is_none())
        .map(|v| text_of(&v))
        .transpose()?;
    let parts: Vec<Value> = match sep {
        Some(sep) if sep.is_empty() => return Err(invalid("empty separator")),
        Some(sep) => match max {
            Some(m) => s.splitn(m + 1, sep.as_str()).map(Value::from).collect(),
            None => s.split(sep.as_str()).map(Value::from).collect(),
        },
        None => whitespace_split(&s, max)
            .into_iter()
            .map(Value::from)
            .collect(),
    };
    Ok(Value::from(parts))
}

fn whitespace_split(s: &str, max: Option<usize>) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = s.trim_start();
    while !rest.is_empty() {
        if max.is_some_and(|m| out.len() == m) {
            out.push(rest.to_string());
            break;
        }
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        out.push(rest[..end].to_string());
        rest = rest[end..].trim_start();
    }
    out
}

/// Python's `shlex.quote`.
fn quote(v: Value) -> Result<String, Error> {
    let s = if v.is_none() {
        String::new()
    } else {
        text_of(&v)?
    };
    if s.is_empty() {
        return Ok("''".into());
    }
    let safe = |c: char| c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c);
    if s.chars().all(safe) {
        return Ok(s);
    }
    Ok(format!("'{}'", s.replace('\'', "'\"'\"'")))
}

/// Ansible's `comment(style='plain', **kw)`.
fn comment(text: Value, style: Option<String>, kwargs: Kwargs) -> Result<String, Error> {
    let text = text_of(&text)?;
    let style = style.unwrap_or_else(|| "plain".into());
    let (beginning, decoration, end) = match style.as_str() {
        "plain" => ("", "# ", ""),
        "erlang" => ("", "% ", ""),
        "c" => ("", "// ", ""),
        "cblock" => ("/*", " * ", " */"),
        "xml" => ("<!--", " - ", "-->"),
        _ => return Err(invalid(format!("invalid comment style '{style}'"))),
    };
    let get = |k: &str| -> Result<Option<Value>, Error> { kwargs.get::<Option<Value>>(k) };
    let prepostfix = match get("decoration")? {
        Some(d) => text_of(&d)?,
        None => decoration.to_string(),
    };
    let str_of = |k: &str, default: &str| -> Result<String, Error> {
        Ok(match get(k)? {
            Some(v) => text_of(&v)?,
            None => default.to_string(),
        })
    };
    let newline = str_of("newline", "\n")?;
    let beginning = str_of("beginning", beginning)?;
    let prefix = str_of("prefix", prepostfix.trim_end())?;
    let postfix = str_of("postfix", prepostfix.trim_end())?;
    let end = str_of("end", end)?;
    let decoration = match style.as_str() {
        // The style's own decoration applies unless `decoration` was given.
        _ if get("decoration")?.is_some() => prepostfix.clone(),
        _ => decoration.to_string(),
    };
    let count = |k: &str| -> Result<usize, Error> {
        Ok(get(k)?.map(|v| v.as_usize().unwrap_or(1)).unwrap_or(1))
    };
    let (prefix_count, postfix_count) = (count("prefix_count")?, count("postfix_count")?);
    let _ = kwargs.assert_all_used();
    let mut out = String::new();
    if !beginning.is_empty() {
        out.push_str(&beginning);
        out.push_str(&newline);
    }
    if !prefix.is_empty() {
        let unit = if prefix != newline {
            format!("{prefix}{newline}")
        } else {
            newline.clone()
        };
        out.push_str(&unit.repeat(prefix_count));
    }
    let body = format!(
        "{decoration}{}",
        text.replace(&newline, &format!("{newline}{decoration}"))
    )
    .replace(
        &format!("{decoration}{newline}"),
        &format!("{}{newline}", decoration.trim_end()),
    );
    out.push_str(&body);
    for _ in 0..postfix_count {
        out.push_str(&newline);
        out.push_str(&postfix);
    }
    if !end.is_empty() {
        out.push_str(&newline);
        out.push_str(&end);
    }
    Ok(out)
}

// ---- paths (posixpath) ----

fn basename(p: &str) -> &str {
    p.rsplit('/').next().unwrap_or(p)
}

fn dirname(p: &str) -> String {
    let i = p.rfind('/').map_or(0, |i| i + 1);
    let head = &p[..i];
    if !head.is_empty() && !head.chars().all(|c| c == '/') {
        head.trim_end_matches('/').to_string()
    } else {
        head.to_string()
    }
}

fn path_join(v: Value) -> Result<String, Error> {
    let parts: Vec<String> = match v.as_str() {
        Some(s) => vec![s.to_string()],
        None => items_of(&v)?
            .iter()
            .map(text_of)
            .collect::<Result<_, _>>()?,
    };
    let mut out = String::new();
    for p in parts {
        if p.starts_with('/') {
            out = p;
        } else if out.is_empty() || out.ends_with('/') {
            out.push_str(&p);
        } else {
            out.push('/');
            out.push_str(&p);
        }
    }
    Ok(out)
}

fn splitext(s: String) -> Value {
    let base_start = s.rfind('/').map_or(0, |i| i + 1);
    let base = &s[base_start..];
    let leading_dots = base.len() - base.trim_start_matches('.').len();
    let (root, ext) = match base.rfind('.') {
        Some(i) if i > leading_dots - usize::from(leading_dots > 0) && i >= leading_dots => (
            s[..base_start + i].to_string(),
            s[base_start + i..].to_string(),
        ),
        _ => (s.clone(), String::new()),
    };
    tuple(vec![Value::from(root), Value::from(ext)])
}

fn normpath(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let slashes = if p.starts_with("//") && !p.starts_with("///") {
        2
    } else if p.starts_with('/') {
        1
    } else {
        0
    };
    let mut parts: Vec<&str> = Vec::new();
    for comp in p.split('/') {
        match comp {
            "" | "." => {}
            ".." if slashes == 0 && parts.last().is_none_or(|l| *l == "..") => parts.push(".."),
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    let joined = parts.join("/");
    let out = format!("{}{}", "/".repeat(slashes), joined);
    if out.is_empty() {
        ".".into()
    } else {
        out
    }
}

// ---- hashes and encodings ----

fn b64encode(v: Value, kwargs: Kwargs) -> Result<String, Error> {
    let urlsafe = kwargs.get::<Option<bool>>("urlsafe")?.unwrap_or(false);
    let _ = kwargs.get::<Option<String>>("encoding")?;
    kwargs.assert_all_used()?;
    let s = text_of(&v)?;
    Ok(if urlsafe {
        base64::engine::general_purpose::URL_SAFE.encode(s)
    } else {
        base64::engine::general_purpose::STANDARD.encode(s)
    })
}

fn b64decode(v: Value, kwargs: Kwargs) -> Result<String, Error> {
    let urlsafe = kwargs.get::<Option<bool>>("urlsafe")?.unwrap_or(false);
    let _ = kwargs.get::<Option<String>>("encoding")?;
    kwargs.assert_all_used()?;
    let s = text_of(&v)?;
    let engine = if urlsafe {
        &base64::engine::general_purpose::URL_SAFE
    } else {
        &base64::engine::general_purpose::STANDARD
    };
    let bytes = engine
        .decode(s.trim())
        .map_err(|_| invalid("b64decode: the input is not valid base64"))?;
    String::from_utf8(bytes).map_err(|_| invalid("b64decode: the decoded bytes are not UTF-8"))
}

fn hash(v: Value, kind: Option<String>) -> Result<String, Error> {
    digest(&text_of(&v)?, kind.as_deref().unwrap_or("sha1"))
}

pub(crate) fn digest(s: &str, kind: &str) -> Result<String, Error> {
    use sha2::Digest;
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    Ok(match kind {
        "md5" => hex(&md5::Md5::digest(s.as_bytes())),
        "sha1" => hex(&sha1::Sha1::digest(s.as_bytes())),
        "sha224" => hex(&sha2::Sha224::digest(s.as_bytes())),
        "sha256" => hex(&sha2::Sha256::digest(s.as_bytes())),
        "sha384" => hex(&sha2::Sha384::digest(s.as_bytes())),
        "sha512" => hex(&sha2::Sha512::digest(s.as_bytes())),
        other => return Err(invalid(format!("unsupported hash type '{other}'"))),
    })
}

/// `uuid.uuid5(namespace, name)` with Ansible's default namespace.
fn to_uuid(v: Value, namespace: Option<String>) -> Result<String, Error> {
    use sha1::Digest;
    let ns = namespace.unwrap_or_else(|| "361E6D51-FAEC-444A-9079-341386DA8E2E".into());
    let hex: String = ns.chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 {
        return Err(invalid("invalid namespace for to_uuid"));
    }
    let mut bytes = Vec::with_capacity(16);
    for i in 0..16 {
        bytes.push(
            u8::from_str_radix(&hex[2 * i..2 * i + 2], 16)
                .map_err(|_| invalid("invalid namespace for to_uuid"))?,
        );
    }
    let mut h = sha1::Sha1::new();
    h.update(&bytes);
    h.update(text_of(&v)?.as_bytes());
    let mut d: Vec<u8> = h.finalize()[..16].to_vec();
    d[6] = (d[6] & 0x0f) | 0x50;
    d[8] = (d[8] & 0x3f) | 0x80;
    let x: String = d.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &x[..8],
        &x[8..12],
        &x[12..16],
        &x[16..20],
        &x[20..]
    ))
}

// ---- serialization ----

fn to_json(v: Value, kwargs: Kwargs) -> Result<String, Error> {
    let indent = kwargs.get::<Option<usize>>("indent")?;
    dump_json(&v, indent, false, &kwargs)
}

fn to_nice_json(v: Value, indent: Option<usize>, kwargs: Kwargs) -> Result<String, Error> {
    let indent = match indent {
        Some(i) => Some(i),
        None => kwargs.get::<Option<usize>>("indent")?,
    };
    dump_json(&v, Some(indent.unwrap_or(4)), true, &kwargs)
}

/// `json.dumps` for `to_json` and `to_nice_json`, which differ only in their defaults:
/// reads the `sort_keys` and `ensure_ascii` keywords and refuses any other left over.
fn dump_json(
    v: &Value,
    indent: Option<usize>,
    sort_keys: bool,
    kwargs: &Kwargs,
) -> Result<String, Error> {
    let sort_keys = kwargs
        .get::<Option<bool>>("sort_keys")?
        .unwrap_or(sort_keys);
    let ensure_ascii = kwargs.get::<Option<bool>>("ensure_ascii")?.unwrap_or(true);
    kwargs.assert_all_used()?;
    json_dumps(
        &to_py(v)?,
        &JsonStyle {
            indent,
            sort_keys,
            ensure_ascii,
        },
    )
}

fn yaml_kwargs(kwargs: &Kwargs, indent: usize, flow: Option<bool>) -> Result<YamlStyle, Error> {
    let indent = kwargs.get::<Option<usize>>("indent")?.unwrap_or(indent);
    let flow = match kwargs.get::<Option<Value>>("default_flow_style")? {
        Some(v) if v.is_none() => None,
        Some(v) => Some(v.is_true()),
        None => flow,
    };
    let sort_keys = kwargs.get::<Option<bool>>("sort_keys")?.unwrap_or(true);
    let width = kwargs.get::<Option<usize>>("width")?.unwrap_or(80);
    let _ = kwargs.get::<Option<bool>>("allow_unicode")?;
    let _ = kwargs.get::<Option<bool>>("explicit_start")?;
    kwargs.assert_all_used()?;
    Ok(YamlStyle {
        indent: indent.clamp(2, 9),
        flow,
        sort_keys,
        width,
    })
}

fn to_yaml(v: Value, kwargs: Kwargs) -> Result<String, Error> {
    yaml_dump::dump(&to_py(&v)?, yaml_kwargs(&kwargs, 2, None)?)
}

fn to_nice_yaml(v: Value, indent: Option<usize>, kwargs: Kwargs) -> Result<String, Error> {
    let mut style = yaml_kwargs(&kwargs, indent.unwrap_or(4), Some(false))?;
    if let Some(i) = indent {
        style.indent = i.clamp(2, 9);
    }
    yaml_dump::dump(&to_py(&v)?, style)
}

fn from_json(v: Value) -> Result<Value, Error> {
    let s = text_of(&v)?;
    let parsed: serde_json::Value = serde_json::from_str(&s)
        .map_err(|e| invalid(format!("from_json: invalid JSON at line {}", e.line())))?;
    Ok(from_py(json_to_py(parsed)))
}

fn json_to_py(j: serde_json::Value) -> Py {
    match j {
        serde_json::Value::Null => Py::None,
        serde_json::Value::Bool(b) => Py::Bool(b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Py::Int(i.into()),
            None => match n.as_u64() {
                Some(u) => Py::Int(u.into()),
                None => Py::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
        },
        serde_json::Value::String(s) => Py::Str(s),
        serde_json::Value::Array(a) => Py::List(a.into_iter().map(json_to_py).collect()),
        serde_json::Value::Object(o) => Py::Dict(
            o.into_iter()
                .map(|(k, v)| (Py::Str(k), json_to_py(v)))
                .collect(),
        ),
    }
}

fn load_yaml_docs(v: &Value) -> Result<Vec<Py>, Error> {
    let s = text_of(v)?;
    let docs = crate::ansible::yaml::load(crate::source::FileId(u32::MAX), &s)
        .map_err(|e| invalid(format!("from_yaml: {}", e.message)))?;
    Ok(docs.iter().map(node_to_py).collect())
}

fn from_yaml(v: Value) -> Result<Value, Error> {
    if v.is_none() {
        return Ok(v);
    }
    Ok(load_yaml_docs(&v)?
        .into_iter()
        .next()
        .map_or(Value::from(()), from_py))
}

fn from_yaml_all(v: Value) -> Result<Value, Error> {
    if v.is_none() {
        return Ok(Value::from(Vec::<Value>::new()));
    }
    Ok(Value::from(
        load_yaml_docs(&v)?
            .into_iter()
            .map(from_py)
            .collect::<Vec<_>>(),
    ))
}

fn node_to_py(n: &crate::ansible::yaml::Node) -> Py {
    use crate::ansible::yaml::Value as Y;
    match &n.value {
        Y::Null => Py::None,
        Y::Bool(b) => Py::Bool(*b),
        Y::Int(i) => Py::Int(*i),
        Y::Float(f) => Py::Float(*f),
        Y::Str(s) | Y::Unsafe(s) => Py::Str(s.clone()),
        Y::Timestamp(t) => PyDate::parse(t).map_or(Py::Str(t.clone()), Py::Date),
        Y::Seq(items) => Py::List(items.iter().map(node_to_py).collect()),
        Y::Map(entries) => {
            let mut out: Vec<(Py, Py)> = Vec::new();
            for (k, v) in entries {
                let (k, v) = (node_to_py(k), node_to_py(v));
                match out.iter_mut().find(|(ek, _)| *ek == k) {
                    Some(slot) => slot.1 = v,
                    None => out.push((k, v)),
                }
            }
            Py::Dict(out)
        }
        Y::Vault => Py::Unknown,
    }
}
