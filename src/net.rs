//! net: IP addresses and networks as the mail rules compare them (a trusted network against a
//! fail2ban whitelist, a listener address against loopback). Strict parsing: what this accepts
//! is an address or CIDR network in canonical notation, nothing a tool reads leniently.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// An address with a prefix length; a single address has the full length (32 or 128).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Network {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl Network {
    /// Parses `ADDR`, `ADDR/LEN` or `[ADDR]` (IPv6 in brackets). Host bits may be set
    /// (`10.1.2.3/24` is the network 10.1.2.0/24), as fail2ban and firewalld accept.
    pub fn parse(text: &str) -> Option<Network> {
        let text = text.trim();
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => {
                if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) || p.len() > 3 {
                    return None;
                }
                (a, Some(p.parse::<u8>().ok()?))
            }
            None => (text, None),
        };
        let addr = addr
            .strip_prefix('[')
            .and_then(|a| a.strip_suffix(']'))
            .unwrap_or(addr);
        let addr: IpAddr = addr.parse().ok()?;
        let max = max_prefix(addr);
        let prefix = prefix.unwrap_or(max);
        if prefix > max {
            return None;
        }
        Some(Network { addr, prefix }.normalized())
    }

    pub fn single(addr: IpAddr) -> Network {
        Network {
            addr,
            prefix: max_prefix(addr),
        }
    }

    /// The same network with its host bits cleared.
    pub fn normalized(self) -> Network {
        Network {
            addr: mask(self.addr, self.prefix),
            prefix: self.prefix,
        }
    }

    pub fn is_single(&self) -> bool {
        self.prefix == max_prefix(self.addr)
    }

    /// True when every address of `other` lies in `self` (same family only).
    pub fn contains(&self, other: &Network) -> bool {
        let same_family = self.addr.is_ipv4() == other.addr.is_ipv4();
        same_family && other.prefix >= self.prefix && mask(other.addr, self.prefix) == self.addr
    }

    /// True when the whole network is loopback (127.0.0.0/8 or ::1).
    pub fn is_loopback(&self) -> bool {
        Network::parse("127.0.0.0/8").is_some_and(|lo| lo.contains(self))
            || (self.addr == IpAddr::V6(Ipv6Addr::LOCALHOST) && self.prefix == 128)
    }
}

impl std::fmt::Display for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_single() {
            write!(f, "{}", self.addr)
        } else {
            write!(f, "{}/{}", self.addr, self.prefix)
        }
    }
}

fn max_prefix(addr: IpAddr) -> u8 {
    if addr.is_ipv4() {
        32
    } else {
        128
    }
}

fn mask(addr: IpAddr, prefix: u8) -> IpAddr {
    match addr {
        IpAddr::V4(a) => {
            let bits = u32::from(a);
            let m = if prefix == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(prefix.min(32)))
            };
            IpAddr::V4(Ipv4Addr::from(bits & m))
        }
        IpAddr::V6(a) => {
            let bits = u128::from(a);
            let m = if prefix == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(prefix.min(128)))
            };
            IpAddr::V6(Ipv6Addr::from(bits & m))
        }
    }
}

/// True when a listen address (`127.0.0.1`, `[::1]`, `localhost`, `127.0.0.1:25`'s host part)
/// accepts connections only from the host itself.
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim();
    host.eq_ignore_ascii_case("localhost")
        || host.eq_ignore_ascii_case("localhost.localdomain")
        || Network::parse(host).is_some_and(|n| n.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_addresses_and_networks() {
        let n = Network::parse("10.1.2.3/24").unwrap();
        assert_eq!(n.to_string(), "10.1.2.0/24");
        assert!(Network::parse("203.0.113.7").unwrap().is_single());
        assert_eq!(
            Network::parse("[2001:db8::1]").unwrap().to_string(),
            "2001:db8::1"
        );
        for bad in [
            "10.0.0.0/33",
            "10.0.0.0/abc",
            "999.1.1.1",
            "host",
            "",
            "1.2.3.4/",
            "::1/129",
        ] {
            assert!(Network::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn containment_respects_family_and_prefix() {
        let lo = Network::parse("127.0.0.1/8").unwrap();
        assert!(lo.contains(&Network::parse("127.0.0.1").unwrap()));
        assert!(lo.contains(&Network::parse("127.2.0.0/16").unwrap()));
        assert!(!lo.contains(&Network::parse("126.0.0.0/7").unwrap()));
        assert!(!lo.contains(&Network::parse("::1").unwrap()));
        let all = Network::parse("0.0.0.0/0").unwrap();
        assert!(all.contains(&Network::parse("198.51.100.0/24").unwrap()));
        assert!(!all.contains(&Network::parse("2001:db8::/32").unwrap()));
    }

    #[test]
    fn loopback_hosts() {
        for h in ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"] {
            assert!(is_loopback_host(h), "{h}");
        }
        for h in ["0.0.0.0", "*", "::", "10.0.0.1", "mail.example.org", ""] {
            assert!(!is_loopback_host(h), "{h}");
        }
    }
}
