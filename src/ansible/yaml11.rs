//! ansible::yaml11: what a plain (unquoted, untagged) YAML scalar means to Ansible.
//!
//! Ansible loads YAML with PyYAML, which resolves plain scalars by the YAML 1.1 rules of
//! `yaml/resolver.py` and builds values as `yaml/constructor.py` (SafeConstructor) does:
//! `yes`/`off` are booleans, `0644` is octal 420, `1:20` is base 60 (80), a float needs a dot,
//! `1e3` stays a string. No Rust YAML crate does this, so mxlint resolves raw scalars itself.
//! Checked against PyYAML in `tests/oracle_pyyaml.rs`.

/// A resolved plain scalar.
#[derive(Clone, Debug, PartialEq)]
pub enum Scalar {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    /// `2024-01-02` and the other timestamp forms, kept as written.
    Timestamp(String),
    Str(String),
}

/// Resolves a plain scalar as PyYAML's SafeLoader does.
///
/// ```
/// use mxlint::ansible::yaml11::{resolve_plain, Scalar};
/// assert_eq!(resolve_plain("0644"), Scalar::Int(420));
/// assert_eq!(resolve_plain("off"), Scalar::Bool(false));
/// ```
pub fn resolve_plain(text: &str) -> Scalar {
    if matches!(text, "" | "~" | "null" | "Null" | "NULL") {
        return Scalar::Null;
    }
    if let Some(b) = boolean(text) {
        return Scalar::Bool(b);
    }
    if let Some(i) = int(text) {
        return Scalar::Int(i);
    }
    if let Some(f) = float(text) {
        return Scalar::Float(f);
    }
    if is_timestamp(text) {
        return Scalar::Timestamp(text.to_string());
    }
    Scalar::Str(text.to_string())
}

fn boolean(text: &str) -> Option<bool> {
    match text {
        "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => Some(true),
        "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => Some(false),
        _ => None,
    }
}

fn split_sign(text: &str) -> (i128, &str) {
    match text.as_bytes().first() {
        Some(b'-') => (-1, &text[1..]),
        Some(b'+') => (1, &text[1..]),
        _ => (1, text),
    }
}

fn all(text: &str, allowed: impl Fn(u8) -> bool) -> bool {
    !text.is_empty() && text.bytes().all(allowed)
}

/// `[-+]?0b[01_]+ | [-+]?0[0-7_]+ | [-+]?(0|[1-9][0-9_]*) | [-+]?0x[0-9a-fA-F_]+ |
/// [-+]?[1-9][0-9_]*(:[0-5]?[0-9])+`
fn int(text: &str) -> Option<i128> {
    let (sign, body) = split_sign(text);
    let digits = |s: &str, radix: u32| -> Option<i128> {
        let clean: String = s.chars().filter(|&c| c != '_').collect();
        if clean.is_empty() {
            // PyYAML's int('', base) raises; such scalars never reach here as ints in practice.
            return None;
        }
        i128::from_str_radix(&clean, radix).ok()
    };
    let value = if let Some(bin) = body.strip_prefix("0b") {
        all(bin, |b| matches!(b, b'0' | b'1' | b'_')).then(|| digits(bin, 2))??
    } else if let Some(hex) = body.strip_prefix("0x") {
        all(hex, |b| b.is_ascii_hexdigit() || b == b'_').then(|| digits(hex, 16))??
    } else if body == "0" {
        0
    } else if let Some(oct) = body.strip_prefix('0') {
        if !all(oct, |b| matches!(b, b'0'..=b'7' | b'_')) {
            return None;
        }
        // PyYAML drops every `_` first, so `0_` is plain 0.
        if oct.bytes().all(|b| b == b'_') {
            0
        } else {
            digits(oct, 8)?
        }
    } else if body.contains(':') {
        sexagesimal_int(body)?
    } else if body.starts_with(|c: char| c.is_ascii_digit())
        && all(body, |b| b.is_ascii_digit() || b == b'_')
    {
        digits(body, 10)?
    } else {
        return None;
    };
    Some(sign * value)
}

/// `[1-9][0-9_]*(:[0-5]?[0-9])+`, each part a base-60 digit.
fn sexagesimal_int(body: &str) -> Option<i128> {
    let mut parts = body.split(':');
    let head = parts.next()?;
    if !head.starts_with(|c: char| matches!(c, '1'..='9'))
        || !all(head, |b| b.is_ascii_digit() || b == b'_')
    {
        return None;
    }
    let mut value: i128 = head.replace('_', "").parse().ok()?;
    for part in parts {
        if !is_sexagesimal_digit(part) {
            return None;
        }
        value = value.checked_mul(60)?.checked_add(part.parse().ok()?)?;
    }
    Some(value)
}

/// `[0-5]?[0-9]`
fn is_sexagesimal_digit(part: &str) -> bool {
    match part.as_bytes() {
        [d] => d.is_ascii_digit(),
        [t, d] => matches!(t, b'0'..=b'5') && d.is_ascii_digit(),
        _ => false,
    }
}

/// `[-+]?([0-9][0-9_]*)\.[0-9_]*([eE][-+][0-9]+)? | \.[0-9][0-9_]*([eE][-+][0-9]+)? |
/// [-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]* | [-+]?\.(inf|Inf|INF) | \.(nan|NaN|NAN)`
fn float(text: &str) -> Option<f64> {
    if matches!(text, ".nan" | ".NaN" | ".NAN") {
        return Some(f64::NAN);
    }
    let (sign, body) = match text.as_bytes().first() {
        Some(b'-') => (-1.0, &text[1..]),
        Some(b'+') => (1.0, &text[1..]),
        _ => (1.0, text),
    };
    if matches!(body, ".inf" | ".Inf" | ".INF") {
        return Some(sign * f64::INFINITY);
    }
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(at) => (&body[..at], Some(&body[at + 1..])),
        None => (body, None),
    };
    if let Some(exp) = exponent {
        // The exponent needs an explicit sign in YAML 1.1.
        let digits = exp.strip_prefix(['-', '+'])?;
        if !all(digits, |b| b.is_ascii_digit()) {
            return None;
        }
    }
    let (whole, fraction) = mantissa.split_once('.')?;
    if !all(fraction, |b| b.is_ascii_digit() || b == b'_') && !fraction.is_empty() {
        return None;
    }
    let value = if whole.contains(':') {
        // Base 60 with a fraction (`1:20.5` = 80.5): no exponent, the fraction on the last part.
        let mut parts = whole.split(':');
        let head = parts.next()?;
        let head_ok = head.starts_with(|c: char| c.is_ascii_digit())
            && all(head, |b| b.is_ascii_digit() || b == b'_');
        if exponent.is_some() || !head_ok {
            return None;
        }
        let mut value: f64 = head.replace('_', "").parse().ok()?;
        let middle: Vec<&str> = parts.collect();
        for (i, part) in middle.iter().enumerate() {
            if !is_sexagesimal_digit(part) {
                return None;
            }
            let digit: f64 = if i + 1 == middle.len() {
                format!("{part}.{}", fraction.replace('_', ""))
                    .parse()
                    .ok()?
            } else {
                part.parse().ok()?
            };
            value = value * 60.0 + digit;
        }
        value
    } else {
        if whole.is_empty() {
            // `.5` is a float only without a sign.
            if sign < 0.0
                || text.starts_with('+')
                || fraction.is_empty()
                || fraction.starts_with('_')
            {
                return None;
            }
        } else if !whole.starts_with(|c: char| c.is_ascii_digit())
            || !all(whole, |b| b.is_ascii_digit() || b == b'_')
        {
            return None;
        }
        let clean: String = format!(
            "{whole}.{fraction}{}",
            exponent.map(|e| format!("e{e}")).unwrap_or_default()
        )
        .chars()
        .filter(|&c| c != '_')
        .collect();
        clean.parse::<f64>().ok()?
    };
    Some(sign * value)
}

/// `YYYY-MM-DD`, or date and time with optional fraction and zone (PyYAML's timestamp regexp).
fn is_timestamp(text: &str) -> bool {
    let b = text.as_bytes();
    let digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    if b.len() == 10
        && digits(&b[..4])
        && b[4] == b'-'
        && digits(&b[5..7])
        && b[7] == b'-'
        && digits(&b[8..10])
    {
        return true;
    }
    // YYYY-M[M]-D[D](T|t|blanks)H[H]:MM:SS(.frac)?(blanks? (Z|±H[H](:MM)?))?
    let Some(rest) = date_prefix(b) else {
        return false;
    };
    let sep = rest
        .iter()
        .take_while(|&&c| c == b' ' || c == b'\t')
        .count();
    let rest = match rest.first() {
        Some(b'T' | b't') if sep == 0 => &rest[1..],
        _ if sep > 0 => &rest[sep..],
        _ => return false,
    };
    let hour = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    if !(1..=2).contains(&hour) || rest.get(hour) != Some(&b':') {
        return false;
    }
    let rest = &rest[hour + 1..];
    if rest.len() < 5 || !digits(&rest[..2]) || rest[2] != b':' || !digits(&rest[3..5]) {
        return false;
    }
    let mut rest = &rest[5..];
    if let Some(frac) = rest.strip_prefix(b".") {
        let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        rest = &frac[n..];
    }
    let blanks = rest
        .iter()
        .take_while(|&&c| c == b' ' || c == b'\t')
        .count();
    let zone = &rest[blanks..];
    match zone {
        [] => blanks == 0,
        [b'Z'] => true,
        [b'+' | b'-', tail @ ..] => {
            let h = tail.iter().take_while(|c| c.is_ascii_digit()).count();
            (1..=2).contains(&h)
                && match &tail[h..] {
                    [] => true,
                    [b':', m1, m2] => m1.is_ascii_digit() && m2.is_ascii_digit(),
                    _ => false,
                }
        }
        _ => false,
    }
}

/// `YYYY-M[M]-D[D]` at the start; returns the rest.
fn date_prefix(b: &[u8]) -> Option<&[u8]> {
    if b.len() < 8 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return None;
    }
    let rest = &b[5..];
    let m = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    if !(1..=2).contains(&m) || rest.get(m) != Some(&b'-') {
        return None;
    }
    let rest = &rest[m + 1..];
    let d = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    (1..=2).contains(&d).then(|| &rest[d..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_values_that_surprise_ansible_users() {
        assert_eq!(resolve_plain("yes"), Scalar::Bool(true));
        assert_eq!(resolve_plain("off"), Scalar::Bool(false));
        assert_eq!(resolve_plain("y"), Scalar::Str("y".into()));
        assert_eq!(resolve_plain("0644"), Scalar::Int(420));
        assert_eq!(resolve_plain("0o644"), Scalar::Str("0o644".into()));
        assert_eq!(resolve_plain("1:20"), Scalar::Int(80));
        assert_eq!(resolve_plain("1e3"), Scalar::Str("1e3".into()));
        assert_eq!(resolve_plain("1.0e+3"), Scalar::Float(1000.0));
        assert_eq!(resolve_plain("~"), Scalar::Null);
        assert_eq!(
            resolve_plain("2024-01-02"),
            Scalar::Timestamp("2024-01-02".into())
        );
        assert_eq!(resolve_plain("1G"), Scalar::Str("1G".into()));
    }
}
