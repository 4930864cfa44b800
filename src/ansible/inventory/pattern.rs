//! inventory::pattern: host patterns — a play's `hosts:` and `--limit` — evaluated as
//! ansible-core 2.19 `inventory/manager.py` `get_hosts()` evaluates them.
//!
//! A pattern is a list split at `,` (or at `:` and white space when the whole is not one
//! address); each part is a group or host name, a shell glob (`mail*`, `db[0-9]`, matched as
//! Python's `fnmatch`), or `~regex` (matched at the start of the name), with an optional
//! `[i]` / `[a:b]` / `[a:]` subscript. Plain parts come first, then the `&` intersections, then
//! the `!` exclusions, whatever the order they are written in; with only `&`/`!` parts the base is
//! `all`. Hosts come in inventory order: a group's hosts as Ansible walks the group and its
//! descendants, hosts matched by name in the order they were first defined.
//!
//! A part that matches nothing gives Ansible's warning; `localhost`, `127.0.0.1` and `::1`
//! match Ansible's implicit localhost when the inventory does not define them.

use super::address;
use super::ini::is_python_space;
use super::{HostId, Inventory};
use std::collections::HashSet;

/// Names Ansible gives an implicit localhost (`C.LOCALHOST`).
pub const LOCALHOST: [&str; 3] = ["127.0.0.1", "localhost", "::1"];

/// The hosts a pattern selects, with what Ansible would say about it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection<'a> {
    /// Host names in Ansible's order; an implicit localhost is listed by the name used.
    pub hosts: Vec<&'a str>,
    /// Ansible's warnings ("Could not match supplied host pattern, ignoring: web").
    pub warnings: Vec<String>,
    /// Set when Ansible refuses the pattern (a bad `~regex`, a subscript past the last host):
    /// `ansible-playbook` stops there. `hosts` is then empty.
    pub error: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum HostRef {
    Id(HostId),
    Implicit(&'static str),
}

pub(crate) fn select<'a>(inv: &'a Inventory, pattern: &str) -> Selection<'a> {
    let mut eval = Eval {
        inv,
        warnings: Vec::new(),
    };
    let result = eval.patterns(&order(split_host_pattern(pattern)));
    let mut selection = Selection {
        warnings: eval.warnings,
        ..Selection::default()
    };
    match result {
        Ok(mut hosts) => {
            let mut seen = HashSet::new();
            hosts.retain(|h| seen.insert(*h));
            selection.hosts = hosts
                .into_iter()
                .map(|h| match h {
                    HostRef::Id(id) => inv.host(id).name(),
                    HostRef::Implicit(name) => name,
                })
                .collect();
        }
        Err(message) => selection.error = Some(message),
    }
    selection
}

/// `split_host_pattern`.
pub(crate) fn split_host_pattern(pattern: &str) -> Vec<&str> {
    let parts: Vec<&str> = if pattern.contains(',') {
        pattern.split(',').collect()
    } else if address::parse_address(pattern, true).is_some() {
        vec![pattern]
    } else {
        colon_separated(pattern)
    };
    parts
        .into_iter()
        .map(|p| p.trim_matches(is_python_space))
        .filter(|p| !p.is_empty())
        .collect()
}

/// `re.findall(r"(?:[^\s:\[\]]|\[[^\]]*\])+", pattern)`.
fn colon_separated(pattern: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut i = 0;
    let unit = |at: usize| -> Option<usize> {
        let c = pattern[at..].chars().next()?;
        match c {
            '[' => pattern[at + 1..].find(']').map(|close| close + 2),
            ':' | ']' => None,
            c if is_python_space(c) => None,
            c => Some(c.len_utf8()),
        }
    };
    while i < pattern.len() {
        let start = i;
        while let Some(len) = unit(i) {
            i += len;
        }
        if i > start {
            parts.push(&pattern[start..i]);
        } else {
            i += pattern[i..].chars().next().map_or(1, char::len_utf8);
        }
    }
    parts
}

/// `order_patterns`: plain parts, then `&` parts, then `!` parts; `all` when no plain part.
fn order(parts: Vec<&str>) -> Vec<&str> {
    let mut plain = Vec::new();
    let mut both = Vec::new();
    let mut not = Vec::new();
    for p in parts {
        match p.as_bytes()[0] {
            b'!' => not.push(p),
            b'&' => both.push(p),
            _ => plain.push(p),
        }
    }
    if plain.is_empty() {
        plain.push("all");
    }
    plain.extend(both);
    plain.extend(not);
    plain
}

struct Eval<'a> {
    inv: &'a Inventory,
    warnings: Vec<String>,
}

impl Eval<'_> {
    fn warn(&mut self, message: String) {
        if !self.warnings.contains(&message) {
            self.warnings.push(message);
        }
    }

    /// `_evaluate_patterns`.
    fn patterns(&mut self, patterns: &[&str]) -> Result<Vec<HostRef>, String> {
        let mut hosts: Vec<HostRef> = Vec::new();
        for p in patterns {
            if let Some(id) = self.inv.host_id(p) {
                hosts.push(HostRef::Id(id));
                continue;
            }
            let that = self.one(p)?;
            match p.as_bytes()[0] {
                b'!' | b'&' => {
                    let keep = p.starts_with('&');
                    let that: HashSet<HostRef> = that.into_iter().collect();
                    hosts.retain(|h| that.contains(h) == keep);
                }
                _ => {
                    let existing: HashSet<HostRef> = hosts.iter().copied().collect();
                    hosts.extend(that.into_iter().filter(|h| !existing.contains(h)));
                }
            }
        }
        Ok(hosts)
    }

    /// `_match_one_pattern`: one part without its `&`/`!`, subscript applied.
    fn one(&mut self, pattern: &str) -> Result<Vec<HostRef>, String> {
        let pattern = pattern.strip_prefix(['&', '!']).unwrap_or(pattern);
        if pattern.is_empty() {
            // Ansible fails with an IndexError on a lone `&` or `!`.
            return Err("Invalid host pattern: `&` or `!` without a name".into());
        }
        let (expr, subscript) = self.split_subscript(pattern);
        let hosts = self.enumerate(expr)?;
        apply_subscript(hosts, subscript)
            .ok_or_else(|| format!("No hosts matched the subscripted pattern '{pattern}'"))
    }

    fn split_subscript<'p>(&mut self, pattern: &'p str) -> (&'p str, Option<(i64, Option<i64>)>) {
        if pattern.starts_with('~') || !pattern.ends_with(']') {
            return (pattern, None);
        }
        let Some(open) = pattern.rfind('[').filter(|&at| at > 0) else {
            return (pattern, None);
        };
        let inner = &pattern[open + 1..pattern.len() - 1];
        let number = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        let parse = |t: &str| t.parse::<i64>().unwrap_or(i64::MAX);
        let digits = inner.strip_prefix('-').unwrap_or(inner);
        if number(digits) {
            let index = if inner.starts_with('-') {
                -parse(digits)
            } else {
                parse(digits)
            };
            return (&pattern[..open], Some((index, None)));
        }
        let Some(sep) = inner.find([':', '-']) else {
            return (pattern, None);
        };
        let (start, end) = (&inner[..sep], &inner[sep + 1..]);
        if !number(start) || !(end.is_empty() || number(end)) {
            return (pattern, None);
        }
        if inner.as_bytes()[sep] == b'-' {
            self.warn(
                "Use [x:y] inclusive subscripts instead of [x-y] which has been removed".into(),
            );
        }
        let end = if end.is_empty() { -1 } else { parse(end) };
        (&pattern[..open], Some((parse(start), Some(end))))
    }

    /// `_enumerate_matches`: groups matching the pattern give their hosts; hosts are matched by
    /// name when no group matched or the pattern is a regex or glob.
    fn enumerate(&mut self, pattern: &str) -> Result<Vec<HostRef>, String> {
        let matcher =
            Matcher::new(pattern).ok_or_else(|| format!("Invalid host list pattern: {pattern}"))?;
        let mut results = Vec::new();
        let mut matched_group = false;
        for (g, group) in self.inv.groups.iter().enumerate() {
            if matcher.is_match(&group.name) {
                matched_group = true;
                results.extend(self.inv.group_hosts[g].iter().map(|&h| HostRef::Id(h)));
            }
        }
        let special = pattern.starts_with('~') || pattern.contains(['.', '?', '*', '[']);
        if !matched_group || special {
            for (h, host) in self.inv.hosts.iter().enumerate() {
                if matcher.is_match(&host.name) {
                    results.push(HostRef::Id(HostId(h as u32)));
                }
            }
        }
        if results.is_empty() {
            // `get_host` of a localhost name: the inventory's first localhost-like host, else
            // the implicit one.
            if let Some(name) = LOCALHOST.iter().find(|&&l| l == pattern) {
                let first = self
                    .inv
                    .hosts
                    .iter()
                    .position(|h| LOCALHOST.contains(&h.name()));
                results.push(match first {
                    Some(h) => HostRef::Id(HostId(h as u32)),
                    None => HostRef::Implicit(name),
                });
            }
        }
        if results.is_empty() && !matched_group && pattern != "all" {
            self.warn(format!(
                "Could not match supplied host pattern, ignoring: {pattern}"
            ));
        }
        Ok(results)
    }
}

/// `_apply_subscript`; `None` for Python's `IndexError`.
fn apply_subscript(
    hosts: Vec<HostRef>,
    subscript: Option<(i64, Option<i64>)>,
) -> Option<Vec<HostRef>> {
    let Some((start, end)) = subscript else {
        return Some(hosts);
    };
    if hosts.is_empty() {
        return Some(hosts);
    }
    let len = hosts.len() as i64;
    let index = |i: i64| -> Option<usize> {
        let i = if i < 0 { i + len } else { i };
        (0..len).contains(&i).then_some(i as usize)
    };
    match end {
        // `if end:` — 0 is false, so `[x:0]` is `[x]`.
        None | Some(0) => Some(vec![hosts[index(start)?]]),
        Some(end) => {
            let end = if end == -1 { len - 1 } else { end };
            let from = start.clamp(0, len) as usize;
            let to = end.saturating_add(1).clamp(0, len) as usize;
            Some(if from < to {
                hosts[from..to].to_vec()
            } else {
                Vec::new()
            })
        }
    }
}

/// A glob (as `fnmatch.translate` reads it) or, after `~`, a regular expression matched at
/// the start of the name (`re.match`).
enum Matcher {
    Glob(Vec<Glob>),
    Regex(fancy_regex::Regex),
}

#[derive(Debug, PartialEq)]
enum Glob {
    Char(char),
    Any,
    Star,
    /// `[...]`: inclusive ranges (a single character is a one-character range).
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
    Never,
}

impl Matcher {
    fn new(pattern: &str) -> Option<Matcher> {
        match pattern.strip_prefix('~') {
            Some(regex) => fancy_regex::Regex::new(&format!(r"\A(?:{regex})"))
                .ok()
                .map(Matcher::Regex),
            None => glob(pattern).map(Matcher::Glob),
        }
    }

    fn is_match(&self, name: &str) -> bool {
        match self {
            Matcher::Regex(re) => re.is_match(name).unwrap_or(false),
            Matcher::Glob(tokens) => glob_match(tokens, &name.chars().collect::<Vec<_>>()),
        }
    }
}

/// `fnmatch.translate`, to tokens; `None` where the regex it builds fails to compile.
fn glob(pattern: &str) -> Option<Vec<Glob>> {
    let pat: Vec<char> = pattern.chars().collect();
    let n = pat.len();
    let mut out = Vec::new();
    let mut i = 0;
    while i < n {
        let c = pat[i];
        i += 1;
        match c {
            '*' => {
                if out.last() != Some(&Glob::Star) {
                    out.push(Glob::Star);
                }
            }
            '?' => out.push(Glob::Any),
            '[' => {
                let mut j = i;
                if j < n && pat[j] == '!' {
                    j += 1;
                }
                if j < n && pat[j] == ']' {
                    j += 1;
                }
                while j < n && pat[j] != ']' {
                    j += 1;
                }
                if j >= n {
                    out.push(Glob::Char('['));
                    continue;
                }
                out.push(class(&pat, i, j)?);
                i = j + 1;
            }
            c => out.push(Glob::Char(c)),
        }
    }
    Some(out)
}

/// The class `pat[i..j]` (after `[`, before `]`), with translate's range handling: a `-`
/// between two characters is a range, an empty range (`z-a`) is dropped with its ends.
fn class(pat: &[char], i: usize, j: usize) -> Option<Glob> {
    let body = &pat[i..j];
    let mut chunks: Vec<Vec<char>> = if !body.contains(&'-') {
        vec![body.to_vec()]
    } else {
        let mut chunks = Vec::new();
        let mut start = i;
        let mut k = if pat[i] == '!' { i + 2 } else { i + 1 };
        while let Some(found) = (k..j).find(|&x| pat[x] == '-') {
            chunks.push(pat[start..found].to_vec());
            start = found + 1;
            k = found + 3;
        }
        let last = pat[start..j].to_vec();
        if last.is_empty() {
            chunks.last_mut()?.push('-');
        } else {
            chunks.push(last);
        }
        for k in (1..chunks.len()).rev() {
            let (prev_last, next_first) = (*chunks[k - 1].last()?, *chunks[k].first()?);
            if prev_last > next_first {
                let next = chunks.remove(k);
                chunks[k - 1].pop();
                chunks[k - 1].extend_from_slice(&next[1..]);
            }
        }
        chunks
    };
    let flat: Vec<char> = chunks.concat();
    if flat.is_empty() && chunks.len() <= 1 {
        return Some(Glob::Never);
    }
    let negated = chunks.first().and_then(|c| c.first()) == Some(&'!');
    if negated {
        chunks[0].remove(0);
        if chunks.len() == 1 && chunks[0].is_empty() {
            return Some(Glob::Any);
        }
    }
    let mut ranges: Vec<(char, char)> = Vec::new();
    for (k, chunk) in chunks.iter().enumerate() {
        let mut chars = chunk.iter().copied();
        if k > 0 {
            let lo = ranges.pop().map(|r| r.0)?;
            let hi = chars.next()?;
            ranges.push((lo, hi));
        }
        ranges.extend(chars.map(|c| (c, c)));
    }
    Some(Glob::Class { negated, ranges })
}

fn token_matches(token: &Glob, c: char) -> bool {
    match token {
        Glob::Char(x) => *x == c,
        Glob::Any => true,
        Glob::Class { negated, ranges } => {
            ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != *negated
        }
        Glob::Never | Glob::Star => false,
    }
}

/// Whole-name glob match, backtracking to the last `*`.
fn glob_match(tokens: &[Glob], name: &[char]) -> bool {
    let (mut t, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        if t < tokens.len() && tokens[t] == Glob::Star {
            star = Some((t, n));
            t += 1;
        } else if t < tokens.len() && token_matches(&tokens[t], name[n]) {
            t += 1;
            n += 1;
        } else if let Some((st, sn)) = star {
            t = st + 1;
            n = sn + 1;
            star = Some((st, sn + 1));
        } else {
            return false;
        }
    }
    tokens[t..].iter().all(|tok| *tok == Glob::Star)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, name: &str) -> bool {
        Matcher::new(pattern).unwrap().is_match(name)
    }

    #[test]
    fn patterns_split_like_ansible() {
        assert_eq!(split_host_pattern("a, b ,c"), ["a", "b", "c"]);
        assert_eq!(split_host_pattern("web:&db:!x"), ["web", "&db", "!x"]);
        assert_eq!(split_host_pattern("mail[1:3]"), ["mail[1:3]"]);
        assert_eq!(split_host_pattern("web[0]:db"), ["web[0]", "db"]);
        assert_eq!(split_host_pattern("host:22"), ["host:22"]);
        assert_eq!(split_host_pattern("a b"), ["a", "b"]);
        assert_eq!(order(vec!["!a", "&b", "c"]), ["c", "&b", "!a"]);
        assert_eq!(order(vec!["!a"]), ["all", "!a"]);
    }

    #[test]
    fn globs_follow_fnmatch() {
        assert!(matches("mail*", "mail01"));
        assert!(!matches("mail*", "Mail01"));
        assert!(matches("m?il", "mail"));
        assert!(matches("db[0-9]", "db7"));
        assert!(!matches("db[!0-9]", "db7"));
        assert!(matches("db[!0-9]", "dbx"));
        assert!(!matches("a[z-a]b", "a-b"));
        assert!(matches("x[", "x["));
        assert!(matches("*.example.org", "mx.example.org"));
        assert!(matches("~mx\\d", "mx1.example.org"));
        assert!(!matches("~\\d", "mx1"));
        assert!(Matcher::new("~(").is_none());
    }

    #[test]
    fn subscripts_slice_inclusively() {
        let hosts: Vec<HostRef> = (0..5).map(|i| HostRef::Id(HostId(i))).collect();
        let ids = |s| {
            apply_subscript(hosts.clone(), s).map(|v| {
                v.into_iter()
                    .map(|h| match h {
                        HostRef::Id(id) => id.0,
                        HostRef::Implicit(_) => 99,
                    })
                    .collect::<Vec<_>>()
            })
        };
        assert_eq!(ids(Some((1, None))), Some(vec![1]));
        assert_eq!(ids(Some((-1, None))), Some(vec![4]));
        assert_eq!(ids(Some((1, Some(3)))), Some(vec![1, 2, 3]));
        assert_eq!(ids(Some((3, Some(-1)))), Some(vec![3, 4]));
        assert_eq!(ids(Some((2, Some(0)))), Some(vec![2]));
        assert_eq!(ids(Some((9, None))), None);
        assert_eq!(ids(Some((9, Some(12)))), Some(vec![]));
    }
}
