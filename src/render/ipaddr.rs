//! render::ipaddr: the common forms of `ansible.utils.ipaddr`/`ipv4`/`ipv6`/`ipwrap`
//! (collection ansible.utils, `plugins/plugin_utils/base/ipaddr_utils.py`).
//!
//! Supported queries: none (validation: the value if it is an address or network, else
//! `False`; lists are filtered), `address`, `network`, `prefix`, `netmask`, `broadcast`,
//! `host`, `net`, `public`, `private`, `size`, `version`. Other queries are an error naming them.

use super::env::add_filter;
use minijinja::value::ValueKind;
use minijinja::{Environment, Error, ErrorKind, Value};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Registered under their `ansible.utils.` names only: ansible-core 2.19 with the ansible 12
/// package knows neither the short `ipaddr` nor `ansible.netcommon.ipaddr` ("No filter named
/// 'ipaddr'"), so a template using them fails at deploy time and must fail here too.
pub(crate) fn register(env: &mut Environment<'static>) {
    for name in ["ipaddr", "ipv4", "ipv6", "ipwrap"] {
        let names: Vec<&'static str> =
            vec![Box::leak(format!("ansible.utils.{name}").into_boxed_str())];
        let version = match name {
            "ipv4" => Some(4),
            "ipv6" => Some(6),
            _ => None,
        };
        if name == "ipwrap" {
            add_filter(env, &names, ipwrap);
        } else {
            add_filter(env, &names, move |v: Value, q: Option<Value>| {
                filter(v, q, version)
            });
        }
    }
}

/// An address with its prefix length (`/32` or `/128` when none was written).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Net {
    ip: IpAddr,
    prefix: u8,
}

impl Net {
    fn parse(s: &str) -> Option<Net> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let ip: IpAddr = addr.parse().ok()?;
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => match p.parse::<u8>() {
                Ok(n) if n <= max => n,
                _ => prefix_from_netmask(p.parse().ok()?)?,
            },
        };
        Some(Net { ip, prefix })
    }

    fn version(&self) -> u8 {
        if self.ip.is_ipv4() {
            4
        } else {
            6
        }
    }

    fn bits(&self) -> u32 {
        if self.ip.is_ipv4() {
            32
        } else {
            128
        }
    }

    fn as_u128(&self) -> u128 {
        match self.ip {
            IpAddr::V4(a) => u32::from(a).into(),
            IpAddr::V6(a) => u128::from(a),
        }
    }

    fn mask(&self) -> u128 {
        let bits = self.bits();
        let all = if bits == 32 {
            u32::MAX as u128
        } else {
            u128::MAX
        };
        if self.prefix == 0 {
            0
        } else {
            all & !((1u128 << (bits - u32::from(self.prefix))) - 1).min(all)
        }
    }

    fn make(&self, n: u128) -> IpAddr {
        if self.ip.is_ipv4() {
            IpAddr::V4(Ipv4Addr::from(n as u32))
        } else {
            IpAddr::V6(Ipv6Addr::from(n))
        }
    }

    fn network(&self) -> IpAddr {
        self.make(self.as_u128() & self.mask())
    }

    fn broadcast(&self) -> IpAddr {
        let all = if self.ip.is_ipv4() {
            u32::MAX as u128
        } else {
            u128::MAX
        };
        self.make((self.as_u128() & self.mask()) | (!self.mask() & all))
    }

    fn size(&self) -> u128 {
        let host_bits = self.bits() - u32::from(self.prefix);
        if host_bits >= 128 {
            u128::MAX
        } else {
            1u128 << host_bits
        }
    }

    fn is_private(&self) -> bool {
        match self.ip {
            IpAddr::V4(a) => a.is_private() || a.is_loopback() || a.is_link_local(),
            IpAddr::V6(a) => (a.segments()[0] & 0xfe00) == 0xfc00 || a.is_loopback(),
        }
    }
}

fn prefix_from_netmask(mask: Ipv4Addr) -> Option<u8> {
    let m = u32::from(mask);
    let ones = m.leading_ones();
    (m.count_ones() == ones).then_some(ones as u8)
}

fn invalid(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg.into())
}

fn filter(v: Value, query: Option<Value>, version: Option<u8>) -> Result<Value, Error> {
    let query = match &query {
        Some(q) if q.is_none() => String::new(),
        Some(q) => q
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| q.to_string()),
        None => String::new(),
    };
    if matches!(v.kind(), ValueKind::Seq | ValueKind::Iterable) {
        let mut out = Vec::new();
        for item in v.try_iter()? {
            let r = one(&item, &query, version)?;
            if (r.kind() != ValueKind::Bool || r.is_true()) && !r.is_none() {
                out.push(r);
            }
        }
        return Ok(Value::from(out));
    }
    one(&v, &query, version)
}

fn one(v: &Value, query: &str, version: Option<u8>) -> Result<Value, Error> {
    let text = match v.as_str() {
        Some(s) => s.to_string(),
        None if v.kind() == ValueKind::Number => v.to_string(),
        None => return Ok(Value::from(false)),
    };
    let Some(net) = Net::parse(&text) else {
        return Ok(Value::from(false));
    };
    if version.is_some_and(|want| want != net.version()) {
        return Ok(Value::from(false));
    }
    let host_only = u32::from(net.prefix) == net.bits();
    Ok(match query {
        "" => Value::from(text.trim()),
        "address" => {
            if !host_only && net.ip == net.network() && net.size() > 2 {
                Value::from(false)
            } else {
                Value::from(net.ip.to_string())
            }
        }
        "network" => Value::from(net.network().to_string()),
        "prefix" => Value::from(net.prefix),
        "netmask" => Value::from(net.make(net.mask()).to_string()),
        "broadcast" if net.ip.is_ipv4() && !host_only => Value::from(net.broadcast().to_string()),
        "broadcast" => Value::from(()),
        "host" => {
            if !host_only && net.ip == net.network() && net.size() > 2 {
                Value::from(false)
            } else {
                Value::from(format!("{}/{}", net.ip, net.prefix))
            }
        }
        "net" | "subnet" | "cidr" => {
            if net.ip == net.network() {
                Value::from(format!("{}/{}", net.network(), net.prefix))
            } else if query == "net" {
                Value::from(false)
            } else {
                Value::from(format!("{}/{}", net.network(), net.prefix))
            }
        }
        "public" => {
            if net.is_private() {
                Value::from(false)
            } else {
                Value::from(text.trim())
            }
        }
        "private" => {
            if net.is_private() {
                Value::from(text.trim())
            } else {
                Value::from(false)
            }
        }
        "size" => super::value::int_value(net.size() as i128),
        "version" => Value::from(net.version()),
        "ipv4" | "ipv6" => {
            let want = if query == "ipv4" { 4 } else { 6 };
            if net.version() == want {
                Value::from(text.trim())
            } else {
                Value::from(false)
            }
        }
        other => return Err(invalid(format!("ipaddr: unsupported query '{other}'"))),
    })
}

/// `ipwrap`: IPv6 addresses in brackets, anything else unchanged.
fn ipwrap(v: Value) -> Result<Value, Error> {
    if matches!(v.kind(), ValueKind::Seq | ValueKind::Iterable) {
        let items: Result<Vec<Value>, Error> = v.try_iter()?.map(ipwrap).collect();
        return Ok(Value::from(items?));
    }
    let Some(s) = v.as_str() else {
        return Ok(v);
    };
    match Net::parse(s) {
        Some(net) if net.version() == 6 => Ok(Value::from(match s.split_once('/') {
            Some((a, p)) => format!("[{a}]/{p}"),
            None => format!("[{s}]"),
        })),
        _ => Ok(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(v: &str, query: &str) -> String {
        one(&Value::from(v), query, None).unwrap().to_string()
    }

    #[test]
    fn common_queries() {
        assert_eq!(q("192.168.1.5/24", "address"), "192.168.1.5");
        assert_eq!(q("192.168.1.5/24", "network"), "192.168.1.0");
        assert_eq!(q("192.168.1.5/24", "prefix"), "24");
        assert_eq!(q("192.168.1.5/24", "netmask"), "255.255.255.0");
        assert_eq!(q("192.168.1.5/24", "broadcast"), "192.168.1.255");
        assert_eq!(q("not an ip", ""), "False");
        assert_eq!(
            ipwrap(Value::from("2001:db8::1")).unwrap().to_string(),
            "[2001:db8::1]"
        );
    }
}
