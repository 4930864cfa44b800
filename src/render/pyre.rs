//! render::pyre: Python `re` semantics on fancy-regex — pattern translation (`(?P=name)`,
//! `\Z`, Python's `$` that also matches before a final newline), `re.sub` replacement
//! templates (`\1`, `\g<1>`, `\g<name>`), and the regex filters built on them
//! (`ansible/plugins/filter/core.py`).

use super::dump::{py_str, Py};
use super::filters::text_of;
use fancy_regex::{Captures, Regex, RegexBuilder};
use minijinja::value::{Kwargs, Rest};
use minijinja::{Error, ErrorKind, Value};

fn invalid(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg.into())
}

/// Compiles a Python pattern with `re.I` / `re.M`.
pub(crate) fn compile(pattern: &str, ignorecase: bool, multiline: bool) -> Result<Regex, Error> {
    let translated = translate(pattern, multiline);
    let mut flags = String::new();
    if ignorecase {
        flags.push('i');
    }
    if multiline {
        flags.push('m');
    }
    let full = if flags.is_empty() {
        translated
    } else {
        format!("(?{flags}){translated}")
    };
    RegexBuilder::new(&full)
        .backtrack_limit(1_000_000)
        .build()
        .map_err(|e| invalid(format!("invalid regular expression: {e}")))
}

/// Rewrites the Python-only syntax.
fn translate(p: &str, multiline: bool) -> String {
    let mut out = String::with_capacity(p.len() + 8);
    let mut chars = p.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('Z') if !in_class => out.push_str("\\z"),
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            },
            '[' if !in_class => {
                in_class = true;
                out.push(c);
                if chars.peek() == Some(&'^') {
                    out.push(chars.next().unwrap_or('^'));
                }
                if chars.peek() == Some(&']') {
                    out.push_str("\\]");
                    chars.next();
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            '$' if !in_class && !multiline => out.push_str("(?=\\n?\\z)"),
            '(' if !in_class && p_named_backref(&mut chars, &mut out) => {}
            _ => out.push(c),
        }
    }
    out
}

/// `(?P=name)` → `\k<name>`; returns whether it consumed one.
fn p_named_backref(chars: &mut std::iter::Peekable<std::str::Chars>, out: &mut String) -> bool {
    let rest: String = chars.clone().take(3).collect();
    if rest != "?P=" {
        return false;
    }
    for _ in 0..3 {
        chars.next();
    }
    let name: String = chars.by_ref().take_while(|c| *c != ')').collect();
    out.push_str(&format!("\\k<{name}>"));
    true
}

/// One piece of a parsed `re.sub` replacement template.
enum Piece {
    Text(String),
    Group(usize),
    Named(String),
}

fn parse_template(t: &str) -> Result<Vec<Piece>, Error> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut chars = t.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            text.push(c);
            continue;
        }
        let Some(n) = chars.next() else {
            return Err(invalid("bad escape (end of pattern) in replacement"));
        };
        let group = match n {
            '0'..='9' => {
                let mut digits = n.to_string();
                if let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                Some(Piece::Group(digits.parse().unwrap_or(0)))
            }
            'g' => {
                if chars.next() != Some('<') {
                    return Err(invalid("missing < in \\g replacement"));
                }
                let name: String = chars.by_ref().take_while(|c| *c != '>').collect();
                Some(match name.parse::<usize>() {
                    Ok(i) => Piece::Group(i),
                    Err(_) => Piece::Named(name),
                })
            }
            'n' => {
                text.push('\n');
                None
            }
            't' => {
                text.push('\t');
                None
            }
            'r' => {
                text.push('\r');
                None
            }
            'f' => {
                text.push('\u{c}');
                None
            }
            'v' => {
                text.push('\u{b}');
                None
            }
            'a' => {
                text.push('\u{7}');
                None
            }
            'b' => {
                text.push('\u{8}');
                None
            }
            '\\' => {
                text.push('\\');
                None
            }
            c if c.is_ascii_alphabetic() => {
                return Err(invalid(format!("bad escape \\{c} in replacement")))
            }
            c => {
                text.push('\\');
                text.push(c);
                None
            }
        };
        if let Some(g) = group {
            pieces.push(Piece::Text(std::mem::take(&mut text)));
            pieces.push(g);
        }
    }
    pieces.push(Piece::Text(text));
    Ok(pieces)
}

fn expand(pieces: &[Piece], caps: &Captures<'_, str>, out: &mut String) -> Result<(), Error> {
    for p in pieces {
        match p {
            Piece::Text(t) => out.push_str(t),
            Piece::Group(i) => {
                if *i >= caps.len() {
                    return Err(invalid(format!("invalid group reference {i}")));
                }
                out.push_str(caps.get(*i).map_or("", |m| m.as_str()));
            }
            Piece::Named(n) => out.push_str(caps.name(n).map_or("", |m| m.as_str())),
        }
    }
    Ok(())
}

/// `re.subn`: the result and the number of substitutions.
pub(crate) fn subn(
    re: &Regex,
    repl: &str,
    s: &str,
    count: usize,
) -> Result<(String, usize), Error> {
    let pieces = parse_template(repl)?;
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    let mut n = 0;
    for caps in re.captures_iter(s) {
        let caps = caps.map_err(|e| invalid(format!("regular expression failed: {e}")))?;
        let m = caps.get(0).expect("group 0 always matches");
        out.push_str(&s[last..m.start()]);
        expand(&pieces, &caps, &mut out)?;
        last = m.end();
        n += 1;
        if count > 0 && n == count {
            break;
        }
    }
    out.push_str(&s[last..]);
    Ok((out, n))
}

fn flag(kwargs: &Kwargs, name: &str) -> Result<bool, Error> {
    Ok(kwargs.get::<Option<bool>>(name)?.unwrap_or(false))
}

/// Compiles a filter's pattern with its `ignorecase` and `multiline` keywords, which every
/// regex filter reads alike.
fn compile_kwargs(pattern: &str, kwargs: &Kwargs) -> Result<Regex, Error> {
    compile(
        pattern,
        flag(kwargs, "ignorecase")?,
        flag(kwargs, "multiline")?,
    )
}

pub(crate) fn regex_replace(
    value: Value,
    pattern: Option<String>,
    replacement: Option<String>,
    kwargs: Kwargs,
) -> Result<String, Error> {
    let s = text_of(&value)?;
    let re = compile_kwargs(&pattern.unwrap_or_default(), &kwargs)?;
    let count = kwargs.get::<Option<usize>>("count")?.unwrap_or(0);
    let mandatory = kwargs.get::<Option<usize>>("mandatory_count")?.unwrap_or(0);
    kwargs.assert_all_used()?;
    let (out, n) = subn(&re, &replacement.unwrap_or_default(), &s, count)?;
    if mandatory != 0 && mandatory != n {
        return Err(invalid(format!(
            "the pattern should match {mandatory} times, but matches {n} times"
        )));
    }
    Ok(out)
}

pub(crate) fn regex_search(
    value: Value,
    pattern: String,
    args: Rest<String>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    let s = text_of(&value)?;
    let re = compile_kwargs(&pattern, &kwargs)?;
    kwargs.assert_all_used()?;
    let mut groups: Vec<Result<usize, String>> = Vec::new();
    for arg in args.iter() {
        if let Some(name) = arg.strip_prefix("\\g<").and_then(|r| r.strip_suffix('>')) {
            groups.push(Err(name.to_string()));
        } else if let Some(num) = arg.strip_prefix('\\').and_then(|r| r.parse().ok()) {
            groups.push(Ok(num));
        } else {
            return Err(invalid("regex_search: unknown argument"));
        }
    }
    let caps = re
        .captures(&s)
        .map_err(|e| invalid(format!("regular expression failed: {e}")))?;
    let Some(caps) = caps else {
        return Ok(Value::from(()));
    };
    if groups.is_empty() {
        return Ok(Value::from(caps.get(0).map_or("", |m| m.as_str())));
    }
    let group_value =
        |m: Option<fancy_regex::Match>| m.map_or(Value::from(()), |m| Value::from(m.as_str()));
    Ok(Value::from(
        groups
            .iter()
            .map(|g| match g {
                Ok(i) => group_value(caps.get(*i)),
                Err(name) => group_value(caps.name(name)),
            })
            .collect::<Vec<_>>(),
    ))
}

/// `re.findall`: whole matches, the group, or tuples of groups.
pub(crate) fn regex_findall(value: Value, pattern: String, kwargs: Kwargs) -> Result<Value, Error> {
    let s = text_of(&value)?;
    let re = compile_kwargs(&pattern, &kwargs)?;
    kwargs.assert_all_used()?;
    let groups = re.captures_len() - 1;
    let mut out = Vec::new();
    for caps in re.captures_iter(&s) {
        let caps = caps.map_err(|e| invalid(format!("regular expression failed: {e}")))?;
        let text = |i: usize| Value::from(caps.get(i).map_or("", |m| m.as_str()));
        out.push(match groups {
            0 => text(0),
            1 => text(1),
            n => Value::from((1..=n).map(text).collect::<Vec<_>>()),
        });
    }
    Ok(Value::from(out))
}

/// Python's `re.escape` (3.7+: only special characters).
pub(crate) fn regex_escape(value: Value, re_type: Option<String>) -> Result<String, Error> {
    let s = text_of(&value)?;
    match re_type.as_deref().unwrap_or("python") {
        "python" => Ok(s
            .chars()
            .fold(String::with_capacity(s.len()), |mut out, c| {
                if "()[]{}?*+-|^$\\.&~# \t\n\r\u{b}\u{c}".contains(c) {
                    out.push('\\');
                }
                out.push(c);
                out
            })),
        "posix_basic" => Ok(s.chars().fold(String::new(), |mut out, c| {
            if "].[^$*\\".contains(c) {
                out.push('\\');
            }
            out.push(c);
            out
        })),
        other => Err(invalid(format!("regex type ({other}) not implemented"))),
    }
}

/// The `match`/`search`/`regex` tests.
pub(crate) fn regex_test(
    value: &Value,
    pattern: &str,
    kwargs: &Kwargs,
    anchored: bool,
) -> Result<bool, Error> {
    let s = match value.as_str() {
        Some(s) => s.to_string(),
        None => py_str(&Py::Str(text_of(value)?)),
    };
    let re = compile(
        pattern,
        flag(kwargs, "ignorecase")?,
        flag(kwargs, "multiline")?,
    )?;
    match re
        .find(&s)
        .map_err(|e| invalid(format!("regular expression failed: {e}")))?
    {
        Some(m) => Ok(!anchored || m.start() == 0 || anchored_at_start(&re, &s)),
        None => Ok(false),
    }
}

/// `re.match`: does a match start at 0 (not just the leftmost one)?
fn anchored_at_start(re: &Regex, s: &str) -> bool {
    let anchored = format!("\\A(?:{})", re.as_str());
    Regex::new(&anchored)
        .ok()
        .and_then(|r| r.is_match(s).ok())
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_replacement_templates() {
        let re = compile(r"(?P<k>\w+)=(\d+)", false, false).unwrap();
        let (out, n) = subn(&re, r"\g<k>:\2 \1", "a=1 b=22", 0).unwrap();
        assert_eq!((out.as_str(), n), ("a:1 a b:22 b", 2));
    }

    #[test]
    fn dollar_matches_before_a_final_newline_like_python() {
        let re = compile("x$", false, false).unwrap();
        assert!(re.is_match("ax\n").unwrap());
        assert!(!re.is_match("x\ny").unwrap());
    }
}
