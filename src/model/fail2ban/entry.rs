//! model::fail2ban::entry: how fail2ban's client splits `ignoreip` into entries and how its
//! server reads each entry, per version (`helpers.splitwords()`, `server/ipdns.py IPAddr`).

use crate::config::Fail2banVersion;
use crate::net::Network;
use std::net::IpAddr;

/// What the fail2ban server makes of one `ignoreip` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryClass {
    /// One address (`203.0.113.7`, `[2001:db8::1]`, `::ffff:192.0.2.1`).
    Single(Network),
    /// A network. `plen` is the prefix as fail2ban keeps it: above 32 (IPv4) or 128 (IPv6) the
    /// entry acts as the single address `network` holds.
    Network { network: Network, plen: u32 },
    /// Prefix length 0 (`0.0.0.0/0`, or what a bad mask becomes on 1.0): every address of the
    /// family is ignored, the jail never bans it.
    MatchesAll(Network),
    /// Not an address but a valid host name: resolved on every check (cached 5 minutes).
    Dns,
    /// Neither an address nor a host name (`999.1.1.1`, `not_an_ip`, `#`): kept, never matches.
    Raw,
    /// The server refuses the entry and stops: the message of the exception.
    Fatal(String),
    /// 1.1.1+: `file:PATH`, a lazily reloaded file of addresses.
    File(String),
}

/// `JailReader.convert()` → `splitwords()`: 1.0 splits on space, comma and newline only;
/// 1.1 on any whitespace and comma. Each piece is stripped, empty ones dropped.
/// Returns byte ranges into `value`.
pub fn split_entries(value: &str, version: Fail2banVersion) -> Vec<(usize, usize)> {
    let is_sep = |c: char| match version {
        Fail2banVersion::V1_0 => matches!(c, ' ' | ',' | '\n'),
        _ => c == ',' || crate::parse::fail2ban::is_py_space(c),
    };
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in value
        .char_indices()
        .chain(std::iter::once((value.len(), ' ')))
    {
        let sep = i == value.len() || is_sep(c);
        match (sep, start) {
            (true, Some(s)) => {
                let piece = &value[s..i];
                let lead = piece.len()
                    - piece
                        .trim_start_matches(crate::parse::fail2ban::is_py_space)
                        .len();
                let trimmed = piece.trim_matches(crate::parse::fail2ban::is_py_space);
                if !trimmed.is_empty() {
                    out.push((s + lead, s + lead + trimmed.len()));
                }
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    out
}

/// An address as `IPAddr` holds it.
#[derive(Clone, Copy, Debug)]
struct Ip {
    addr: Option<IpAddr>,
    plen: u32,
}

/// Classifies one entry the way `Filter.addIgnoreIP()` → `IPAddr(entry)` reads it.
pub fn classify(entry: &str, version: Fail2banVersion) -> EntryClass {
    if version >= Fail2banVersion::V1_1_1 {
        if let Some(path) = entry.strip_prefix("file:") {
            return EntryClass::File(path.to_string());
        }
    }
    match ipaddr(entry, version, 0) {
        Err(message) => EntryClass::Fatal(message),
        Ok(Ip { addr: None, .. }) if is_host_name(entry) => EntryClass::Dns,
        Ok(Ip { addr: None, .. }) => EntryClass::Raw,
        Ok(Ip {
            addr: Some(addr),
            plen,
        }) => {
            let max = if addr.is_ipv4() { 32 } else { 128 };
            let network = Network {
                addr,
                prefix: plen.min(max) as u8,
            }
            .normalized();
            match plen {
                0 => EntryClass::MatchesAll(network),
                p if p == max => EntryClass::Single(network),
                _ => EntryClass::Network { network, plen },
            }
        }
    }
}

/// `IPAddr.__new__` with `__wrap_ipstr` and `__init`.
fn ipaddr(text: &str, version: Fail2banVersion, depth: u8) -> Result<Ip, String> {
    let text = if text.len() > 2 && text.starts_with('[') && text.ends_with(']') {
        &text[1..text.len() - 1]
    } else {
        text
    };
    let Some((addr, suffix)) = text.split_once('/') else {
        return Ok(plain(text));
    };
    let cidr = match version {
        Fail2banVersion::V1_0 => suffix_1_0(suffix, version, depth)?,
        _ => match suffix_1_1(addr, suffix, version, depth)? {
            Some(cidr) => cidr,
            None => return Ok(plain(text)),
        },
    };
    if cidr == -1 {
        return Ok(plain(addr));
    }
    if cidr < -1 {
        return Ok(Ip {
            addr: None,
            plen: 0,
        });
    }
    let ip = inet_pton(addr);
    let Some(ip) = ip else {
        return Ok(Ip {
            addr: None,
            plen: 0,
        });
    };
    let cidr = u32::try_from(cidr).unwrap_or(u32::MAX);
    Ok(Ip {
        addr: Some(ip),
        plen: cidr,
    })
}

/// 1.0.2: a suffix with `.` or `:` is a mask (`masktoplen`), else `int()` — which raises.
fn suffix_1_0(suffix: &str, version: Fail2banVersion, depth: u8) -> Result<i64, String> {
    if suffix.contains(['.', ':']) {
        return mask_to_plen(suffix, version, depth).map(i64::from);
    }
    py_int(suffix).ok_or_else(|| {
        format!(
            "invalid literal for int() with base 10: {}",
            py_repr(suffix)
        )
    })
}

/// 1.1: `IP_W_CIDR_CRE` must match (an IPv4/IPv6-looking address, `/`, digits or a mask);
/// otherwise the whole entry is a raw string.
fn suffix_1_1(
    addr: &str,
    suffix: &str,
    version: Fail2banVersion,
    depth: u8,
) -> Result<Option<i64>, String> {
    if !(looks_ipv4(addr) || looks_ipv6(addr)) {
        return Ok(None);
    }
    if !suffix.is_empty() && suffix.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(Some(suffix.parse::<i64>().unwrap_or(i64::MAX)));
    }
    if looks_ipv4(suffix) || looks_ipv6(suffix) {
        return mask_to_plen(suffix, version, depth).map(|p| Some(i64::from(p)));
    }
    Ok(None)
}

/// `IPAddr(mask).maskplen`: an unparsable mask has address 0, i.e. prefix length 0.
fn mask_to_plen(mask: &str, version: Fail2banVersion, depth: u8) -> Result<u32, String> {
    if depth > 4 {
        return Ok(0);
    }
    let ip = ipaddr(mask, version, depth + 1)?;
    let value: u128 = match ip.addr {
        None => 0,
        Some(IpAddr::V4(a)) => {
            let bits = u32::from(a);
            let bits = if ip.plen < 32 {
                bits & !(u32::MAX.checked_shr(ip.plen).unwrap_or(0))
            } else {
                bits
            };
            u128::from(bits)
        }
        Some(IpAddr::V6(a)) => {
            let bits = u128::from(a);
            if ip.plen < 128 {
                bits & !(u128::MAX.checked_shr(ip.plen).unwrap_or(0))
            } else {
                bits
            }
        }
    };
    plen_of_mask(value).ok_or_else(|| {
        let shown = match ip.addr {
            Some(a) if ip.plen >= if a.is_ipv4() { 32 } else { 128 } => a.to_string(),
            Some(a) => format!("{a}/{}", ip.plen),
            None => mask.to_string(),
        };
        format!("invalid mask {}, no plen representation", py_repr(&shown))
    })
}

/// `IPAddr.MAP_ADDR2MASKPLEN`: contiguous 32-bit and 128-bit masks by integer value.
fn plen_of_mask(value: u128) -> Option<u32> {
    if value == 0 {
        return Some(0);
    }
    let m4 = u128::from(u32::MAX);
    for plen in 1..=32u32 {
        if value == m4 ^ (m4 >> plen) {
            return Some(plen);
        }
    }
    (1..=128u32).find(|&plen| value == u128::MAX ^ u128::MAX.checked_shr(plen).unwrap_or(0))
}

/// An entry without a usable suffix: an address, an IPv4-mapped IPv6 address (read as IPv4),
/// or a raw string.
fn plain(text: &str) -> Ip {
    match inet_pton(text) {
        Some(IpAddr::V6(a)) if a.to_ipv4_mapped().is_some() => Ip {
            addr: a.to_ipv4_mapped().map(IpAddr::V4),
            plen: 32,
        },
        Some(a) => Ip {
            addr: Some(a),
            plen: if a.is_ipv4() { 32 } else { 128 },
        },
        None => Ip {
            addr: None,
            plen: 0,
        },
    }
}

/// `socket.inet_pton` for AF_INET then AF_INET6 (glibc: no leading zeros, no zone ids).
fn inet_pton(text: &str) -> Option<IpAddr> {
    text.parse::<IpAddr>().ok()
}

/// Python `int()` on a string: blanks around, a sign, digits with single `_` between.
fn py_int(text: &str) -> Option<i64> {
    let t = text.trim_matches(crate::parse::fail2ban::is_py_space);
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let ok = !digits.is_empty()
        && !digits.starts_with('_')
        && !digits.ends_with('_')
        && !digits.contains("__")
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'_');
    if !ok {
        return None;
    }
    let n: i64 = digits.replace('_', "").parse().unwrap_or(i64::MAX);
    Some(if neg { -n } else { n })
}

/// `IP_4_RE`: `(?:\d{1,3}\.){3}\d{1,3}`.
fn looks_ipv4(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 4
        && parts
            .iter()
            .all(|p| (1..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
}

/// `IP_6_RE`, loosely: hex digits and colons with at least one `::` or seven colons.
fn looks_ipv6(s: &str) -> bool {
    s.contains(':') && s.bytes().all(|b| b.is_ascii_hexdigit() || b == b':') && s.len() >= 2
}

/// A syntactically valid DNS name (letters, digits, `-`, dots; at least one letter).
pub fn is_host_name(s: &str) -> bool {
    let s = s.strip_suffix('.').unwrap_or(s);
    !s.is_empty()
        && s.len() <= 253
        && s.bytes().any(|b| b.is_ascii_alphabetic())
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

fn py_repr(s: &str) -> String {
    crate::parse::fail2ban::py_repr(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Fail2banVersion::*;

    fn split(v: &str, version: Fail2banVersion) -> Vec<&str> {
        split_entries(v, version)
            .into_iter()
            .map(|(s, e)| &v[s..e])
            .collect()
    }

    #[test]
    fn tabs_separate_only_from_1_1() {
        let v = "127.0.0.1/8\t203.0.113.7, ::1\nhome";
        assert_eq!(split(v, V1_0), ["127.0.0.1/8\t203.0.113.7", "::1", "home"]);
        assert_eq!(
            split(v, V1_1),
            ["127.0.0.1/8", "203.0.113.7", "::1", "home"]
        );
    }

    /// The doc's A9 table, both versions.
    #[test]
    fn classification_follows_the_version_table() {
        let net = |s: &str| Network::parse(s).unwrap();
        for v in [V1_0, V1_1] {
            assert_eq!(classify("mail.example.org", v), EntryClass::Dns);
            assert_eq!(classify("999.1.1.1", v), EntryClass::Raw);
            assert_eq!(classify("not_an_ip", v), EntryClass::Raw);
            assert_eq!(
                classify("192.168.1.0/255.255.255.0", v),
                EntryClass::Network {
                    network: net("192.168.1.0/24"),
                    plen: 24
                }
            );
            assert_eq!(
                classify("[2001:db8::1]", v),
                EntryClass::Single(net("2001:db8::1"))
            );
            assert!(matches!(
                classify("203.0.113.7/33", v),
                EntryClass::Network { plen: 33, .. }
            ));
            assert_eq!(
                classify("192.168.1.0/255.255.0.255", v),
                EntryClass::Fatal("invalid mask '255.255.0.255', no plen representation".into())
            );
        }
        assert_eq!(
            classify("10.0.0.0/abc", V1_0),
            EntryClass::Fatal("invalid literal for int() with base 10: 'abc'".into())
        );
        assert_eq!(classify("10.0.0.0/abc", V1_1), EntryClass::Raw);
        assert!(matches!(
            classify("127.0.0.1/8\t203.0.113.7", V1_0),
            EntryClass::MatchesAll(_)
        ));
        assert!(matches!(
            classify("10.0.0.0/255.255.255.O", V1_0),
            EntryClass::MatchesAll(_)
        ));
        assert_eq!(classify("10.0.0.0/255.255.255.O", V1_1), EntryClass::Raw);
        assert_eq!(classify("file:/etc/x", V1_1), EntryClass::Raw);
        assert_eq!(
            classify("file:/etc/x", V1_1_1),
            EntryClass::File("/etc/x".into())
        );
    }
}
