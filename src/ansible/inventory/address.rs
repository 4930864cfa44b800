//! inventory::address: one host entry of an inventory as Ansible reads it — `host:port`,
//! `[addr]:port`, and `[a:b]` / `[a:b:step]` ranges — without touching the inventory itself.
//!
//! Copies ansible-core 2.19 `parsing/utils/addresses.py` `parse_address()` and
//! `plugins/inventory/__init__.py` `expand_hostname_range()`, quirks included (the doc comments
//! name them). Ends at host names: groups and variables are the callers' business.

use std::ops::Range;

/// The most host names one range expression may produce. Ansible has no limit (a range of 10^9
/// hosts makes it run out of memory); mxlint refuses such a line instead.
pub const MAX_RANGE_HOSTS: usize = 1_000_000;

/// A host identifier split from its optional port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Address<'a> {
    pub host: &'a str,
    /// The port and the byte range of its digits in the parsed text.
    pub port: Option<(u64, Range<usize>)>,
}

/// `parse_address(text, allow_ranges)`: `None` where Ansible raises "Not a valid network
/// hostname" (or finds a range it was told not to accept).
///
/// Both port forms are tried in turn, the second on what the first left (so `[h:22]:33` ends as
/// host `h`, port 22, as in Ansible's loop that `continue`s instead of `break`ing).
pub(crate) fn parse_address(text: &str, allow_ranges: bool) -> Option<Address<'_>> {
    let mut host = text;
    let mut start = 0;
    let mut port: Option<Range<usize>> = None;
    if let Some((inner, digits)) = split_bracketed_port(host) {
        port = Some(digits);
        host = inner;
        start = 1;
    }
    if let Some(digits) = split_port(host) {
        port = Some(start + digits.start..start + digits.end);
        host = &host[..digits.start - 1];
    }
    if !(is_ipv6(host) || is_hostname(host)) {
        return None;
    }
    if !allow_ranges && host.contains('[') {
        return None;
    }
    let port = match port {
        // Ansible keeps any number of digits (a Python int); a port too long for u64 is no
        // port any host listens on, so it is treated as not a valid address.
        Some(range) => Some((text[range.clone()].parse::<u64>().ok()?, range)),
        None => None,
    };
    Some(Address { host, port })
}

/// `^\[(.+)\]:([0-9]+)$`: the inner text and the range of the port digits.
fn split_bracketed_port(text: &str) -> Option<(&str, Range<usize>)> {
    if !text.starts_with('[') {
        return None;
    }
    // The port digits run to the end, so only the last `]:` can start them.
    let at = text.rfind("]:")?;
    let digits = &text[at + 2..];
    let valid = at >= 2 && !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    valid.then(|| (&text[1..at], at + 2..text.len()))
}

/// `^((?:[^:\[\]]|\[[^\]]*\])*):([0-9]+)$`: the range of the port digits.
fn split_port(text: &str) -> Option<Range<usize>> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'[' => match text[i + 1..].find(']') {
                Some(close) => i += close + 2,
                None => break,
            },
            b':' | b']' => break,
            _ => i += 1,
        }
    }
    let digits = text.get(i + 1..)?;
    let valid = bytes.get(i) == Some(&b':')
        && !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit());
    valid.then(|| i + 1..text.len())
}

/// Python's `\w` for `str` patterns.
pub(crate) fn is_word_char(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// Ansible's `hostname` pattern: dot-separated labels of word characters, `-` and
/// `[a:b]` ranges, each starting with a word character or a range and not ending in `-`/`_`.
/// (Its `ipv4` pattern only accepts what this one accepts as well.)
fn is_hostname(text: &str) -> bool {
    text.split('.').all(is_label)
}

fn is_label(label: &str) -> bool {
    let mut rest = label;
    let mut last = None;
    while let Some(c) = rest.chars().next() {
        if c == '[' {
            let Some(len) = alphanumeric_range_len(rest) else {
                return false;
            };
            rest = &rest[len..];
            last = Some(']');
        } else if is_word_char(c) || (c == '-' && last.is_some()) {
            rest = &rest[c.len_utf8()..];
            last = Some(c);
        } else {
            return false;
        }
    }
    matches!(last, Some(c) if c != '-' && c != '_')
}

/// `\[(?:[a-z]:[a-z]|[0-9]+:[0-9]+)(?::[0-9]+)?\]` (case-insensitive): the length it matches.
fn alphanumeric_range_len(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 1;
    let letter = |i: usize| bytes.get(i).is_some_and(|b| b.is_ascii_alphabetic());
    if letter(1) && bytes.get(2) == Some(&b':') && letter(3) {
        i = 4;
    } else {
        i += digits_len(&bytes[i..]).filter(|&n| n > 0)?;
        (bytes.get(i) == Some(&b':')).then_some(())?;
        i += 1;
        i += digits_len(&bytes[i..]).filter(|&n| n > 0)?;
    }
    if bytes.get(i) == Some(&b':') {
        i += 1;
        i += digits_len(&bytes[i..]).filter(|&n| n > 0)?;
    }
    (bytes.get(i) == Some(&b']')).then_some(i + 1)
}

fn digits_len(bytes: &[u8]) -> Option<usize> {
    Some(bytes.iter().take_while(|b| b.is_ascii_digit()).count())
}

/// Ansible's `ipv6` pattern, where a component may also be a `[x:y]` hexadecimal range.
fn is_ipv6(text: &str) -> bool {
    if text.contains('.') {
        return is_ipv4_in_ipv6(text);
    }
    let Some(parts) = split_colons(text) else {
        return false;
    };
    if !text.contains("::") {
        return parts.len() == 8 && parts.iter().all(|p| is_ipv6_component(p));
    }
    let at = text.find("::").expect("checked");
    let (left, right) = (&text[..at], &text[at + 2..]);
    let count = |side: &str| -> Option<usize> {
        if side.is_empty() {
            return Some(0);
        }
        let parts = split_colons(side)?;
        parts
            .iter()
            .all(|p| is_ipv6_component(p))
            .then_some(parts.len())
    };
    match (count(left), count(right)) {
        (Some(l), Some(r)) if l == 0 || r == 0 => l + r <= 6,
        (Some(l), Some(r)) => l + r <= 7,
        _ => false,
    }
}

/// `(?:0:){6}V4`, `::(?:ffff:)?V4` or `(?:0:){5}ffff:V4`, where each part of the dotted V4
/// is an IPv6 component (Ansible's pattern says so).
fn is_ipv4_in_ipv6(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    ["0:0:0:0:0:0:", "::ffff:", "::", "0:0:0:0:0:ffff:"]
        .iter()
        .any(|prefix| lower.starts_with(prefix) && is_dotted_quad(&text[prefix.len()..]))
}

fn is_dotted_quad(text: &str) -> bool {
    let parts: Vec<&str> = text.split('.').collect();
    parts.len() == 4 && parts.iter().all(|p| is_ipv6_component(p))
}

/// Splits on `:` outside brackets; `None` for an unclosed bracket.
fn split_colons(text: &str) -> Option<Vec<&str>> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut depth = false;
    for (i, c) in text.char_indices() {
        match c {
            '[' => depth = true,
            ']' => depth = false,
            ':' if !depth => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    (!depth).then(|| {
        parts.push(&text[start..]);
        parts
    })
}

/// `[0-9a-f]{1,4}` or `\[[0-9a-f]+:[0-9a-f]+(?::[0-9]+)?\]`, case-insensitive.
fn is_ipv6_component(text: &str) -> bool {
    if let Some(inner) = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        let parts: Vec<&str> = inner.split(':').collect();
        let hex = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_hexdigit());
        let dec = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
        return match parts.as_slice() {
            [a, b] => hex(a) && hex(b),
            [a, b, step] => hex(a) && hex(b) && dec(step),
            _ => false,
        };
    }
    (1..=4).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Why a host range cannot be expanded (Ansible's message where it has one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RangeError(pub String);

/// `expand_hostname_range(line)` for a line holding `[`: every host name, in Ansible's order.
///
/// Quirks kept: the first `[` and the first `]` split the line even when the `]` comes first;
/// `[a:c]` finds its bounds as substrings of `a…zA…Z`; a leading zero pads every number to the
/// width of the begin bound; a descending range gives no host at all.
pub(crate) fn expand_hostname_range(line: &str) -> Result<Vec<String>, RangeError> {
    let (head, seq, tail) = split_range(line)?;
    let tails = if tail.contains('[') && seq.len() > 0 {
        expand_hostname_range(&tail)?
    } else {
        vec![tail]
    };
    let total = seq.len().saturating_mul(tails.len());
    if total > MAX_RANGE_HOSTS {
        return Err(too_many(total));
    }
    let mut hosts = Vec::with_capacity(total);
    for i in 0..seq.len() {
        let middle = seq.item(i);
        for tail in &tails {
            hosts.push(format!("{head}{middle}{tail}"));
        }
    }
    Ok(hosts)
}

fn too_many(count: usize) -> RangeError {
    RangeError(format!(
        "host range gives {count} hosts; mxlint expands at most {MAX_RANGE_HOSTS}"
    ))
}

const LETTERS: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// The values one `[begin:end:step]` stands for, produced lazily so a huge range is refused
/// before anything is allocated.
enum Sequence {
    Letters(Vec<char>),
    Numbers {
        begin: i128,
        step: i128,
        count: usize,
        width: Option<usize>,
    },
}

impl Sequence {
    fn len(&self) -> usize {
        match self {
            Sequence::Letters(letters) => letters.len(),
            Sequence::Numbers { count, .. } => *count,
        }
    }

    fn item(&self, i: usize) -> String {
        match self {
            Sequence::Letters(letters) => letters[i].to_string(),
            Sequence::Numbers {
                begin, step, width, ..
            } => {
                let n = begin + step * i as i128;
                match width {
                    Some(width) => zfill(&n.to_string(), *width),
                    None => n.to_string(),
                }
            }
        }
    }
}

/// Python's `str.zfill`: zeros after the sign up to `width` characters.
fn zfill(text: &str, width: usize) -> String {
    let len = text.chars().count();
    if len >= width {
        return text.to_string();
    }
    let (sign, digits) = match text.strip_prefix(['-', '+']) {
        Some(rest) => (&text[..1], rest),
        None => ("", text),
    };
    format!("{sign}{}{digits}", "0".repeat(width - len))
}

fn split_range(line: &str) -> Result<(String, Sequence, String), RangeError> {
    let marked = line.replacen('[', "|", 1).replacen(']', "|", 1);
    let parts: Vec<&str> = marked.split('|').collect();
    let [head, nrange, tail] = parts[..] else {
        return Err(RangeError(if parts.len() < 3 {
            format!(
                "not enough values to unpack (expected 3, got {})",
                parts.len()
            )
        } else {
            "too many values to unpack (expected 3)".to_string()
        }));
    };
    let bounds: Vec<&str> = nrange.split(':').collect();
    if bounds.len() != 2 && bounds.len() != 3 {
        return Err(RangeError(
            "host range must be begin:end or begin:end:step".into(),
        ));
    }
    let begin = if bounds[0].is_empty() { "0" } else { bounds[0] };
    let end = bounds[1];
    let step = bounds.get(2).copied();
    if end.is_empty() {
        return Err(RangeError("host range must specify end value".into()));
    }
    let width = if begin.starts_with('0') && begin.chars().count() > 1 {
        if begin.chars().count() != end.chars().count() {
            return Err(RangeError(
                "host range must specify equal-length begin and end formats".into(),
            ));
        }
        Some(begin.chars().count())
    } else {
        None
    };
    let seq = match (LETTERS.find(begin), LETTERS.find(end)) {
        (Some(b), Some(e)) => {
            if b > e {
                return Err(RangeError("host range must have begin <= end".into()));
            }
            match step.map_or(Some(1), python_int) {
                Some(s) if s > 0 => {
                    let letters: Vec<char> = LETTERS[b..=e].chars().step_by(s as usize).collect();
                    // `fill` applies to letters too, but a letter bound never starts with `0`.
                    Sequence::Letters(letters)
                }
                // A zero step fails the slice; Python then tries the bounds as numbers.
                Some(0) => return Err(int_error(begin)),
                Some(_) => Sequence::Letters(Vec::new()),
                None => return Err(int_error(begin)),
            }
        }
        _ => numbers(begin, end, step, width)?,
    };
    Ok((head.to_string(), seq, tail.to_string()))
}

fn numbers(
    begin: &str,
    end: &str,
    step: Option<&str>,
    width: Option<usize>,
) -> Result<Sequence, RangeError> {
    let b = python_int(begin).ok_or_else(|| int_error(begin))?;
    let e = python_int(end).ok_or_else(|| int_error(end))?;
    let s = match step {
        Some(step) => python_int(step).ok_or_else(|| int_error(step))?,
        None => 1,
    };
    if s == 0 {
        return Err(RangeError("range() arg 3 must not be zero".into()));
    }
    // range(b, e + 1, s)
    let stop = e + 1;
    let count = if s > 0 && stop > b {
        (stop - b - 1) / s + 1
    } else if s < 0 && stop < b {
        (b - stop - 1) / -s + 1
    } else {
        0
    };
    let count = usize::try_from(count)
        .ok()
        .filter(|&c| c <= MAX_RANGE_HOSTS)
        .ok_or_else(|| too_many(usize::try_from(count).unwrap_or(usize::MAX)))?;
    Ok(Sequence::Numbers {
        begin: b,
        step: s,
        count,
        width,
    })
}

fn int_error(text: &str) -> RangeError {
    RangeError(format!("invalid literal for int() with base 10: '{text}'"))
}

/// Python's `int(text)` for the forms an inventory holds: surrounding whitespace, a sign, ASCII
/// digits with single `_` between them. `None` where Python raises (or beyond `i128`).
pub(crate) fn python_int(text: &str) -> Option<i128> {
    let t = text.trim_matches(|c: char| super::ini::is_python_space(c));
    let (negative, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
        || !digits.bytes().all(|b| b.is_ascii_digit() || b == b'_')
    {
        return None;
    }
    let value: i128 = digits.replace('_', "").parse().ok()?;
    Some(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand(line: &str) -> Vec<String> {
        expand_hostname_range(line).unwrap()
    }

    #[test]
    fn numeric_ranges_keep_the_begin_width() {
        assert_eq!(
            expand("mail[01:03].example.org"),
            [
                "mail01.example.org",
                "mail02.example.org",
                "mail03.example.org"
            ]
        );
        assert_eq!(expand("h[8:11]"), ["h8", "h9", "h10", "h11"]);
        assert_eq!(expand("h[0:10:5]"), ["h0", "h5", "h10"]);
        assert_eq!(expand("h[:2]"), ["h0", "h1", "h2"]);
        assert_eq!(expand("h[5:1]"), Vec::<String>::new());
        assert_eq!(expand("h[5:1:-2]"), ["h5", "h3"]);
    }

    #[test]
    fn letter_ranges_and_several_ranges_multiply() {
        assert_eq!(expand("db-[a:c]"), ["db-a", "db-b", "db-c"]);
        assert_eq!(expand("[y:B]"), ["y", "z", "A", "B"]);
        assert_eq!(expand("r[1:2]n[a:b]"), ["r1na", "r1nb", "r2na", "r2nb"]);
        assert_eq!(expand("x[a:e:2]"), ["xa", "xc", "xe"]);
    }

    #[test]
    fn bad_ranges_are_errors() {
        for bad in [
            "h[1]",
            "h[1:]",
            "h[01:100]",
            "h[c:a]",
            "h[1:2:0]",
            "h[a:3]",
            "h[1:2",
            "h[1|2]",
        ] {
            assert!(expand_hostname_range(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_hundred_thousand_hosts_expand_and_a_billion_are_refused() {
        assert_eq!(expand("m[1:100000]").len(), 100_000);
        let error = expand_hostname_range("m[1:1000000000]").unwrap_err();
        assert!(error.0.contains("at most"), "{error:?}");
        // Two ranges multiply: 2000 x 2000 is refused before anything is built.
        assert!(expand_hostname_range("m[1:2000]x[1:2000]").is_err());
    }

    #[test]
    fn addresses_split_their_port() {
        let a = parse_address("mail1.example.org:2222", true).unwrap();
        assert_eq!(
            (a.host, a.port),
            ("mail1.example.org", Some((2222, 18..22)))
        );
        let a = parse_address("[fe80::1]:22", true).unwrap();
        assert_eq!((a.host, a.port.map(|p| p.0)), ("fe80::1", Some(22)));
        let a = parse_address("mail[01:20]:22", true).unwrap();
        assert_eq!(a.host, "mail[01:20]");
        assert!(parse_address("mail[01:20]", false).is_none());
        assert!(parse_address("fe80::1", true).unwrap().port.is_none());
        assert!(parse_address("192.0.2.1", true).is_some());
        assert!(parse_address("::ffff:192.0.2.1", true).is_some());
        for bad in [
            "host@x:22",
            "-h",
            "h-",
            "a..b",
            "web:&db",
            "~x",
            "h*",
            "",
            "web[0]",
        ] {
            assert!(parse_address(bad, true).is_none(), "{bad}");
        }
    }
}
