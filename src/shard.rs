//! shard: which slice of a repository's hosts one run of a CI matrix checks (`--shard K/N`).
//!
//! The hosts in scope (the inventory's hosts in inventory order, within `--limit`) are cut into
//! N contiguous blocks of nearly equal size; shard K checks block K. Contiguous blocks rather
//! than a hash of each name: the shards are as even as they can be (sizes differ by at most
//! one host, where a hash leaves some shards empty on small fleets), the split depends only on
//! the inventory (not on the machine, the Rust version or the thread count), and hosts of one
//! group stay together, so they share renders and parsed files within their shard. The price:
//! adding a host moves the block boundaries, which does not matter since every CI run computes
//! its shards afresh. How the outputs are merged back is `report::merge`'s job.

use std::ops::Range;

/// Shard `index` of `count` (1-based, `1 <= index <= count`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// The whole fleet as one shard.
    pub const ALL: Shard = Shard { index: 1, count: 1 };

    /// Reads `K/N`; the error says what is wrong for a usage message.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let (k, n) = text
            .split_once('/')
            .ok_or_else(|| format!("`{text}` is not K/N (e.g. 2/5: the second of five shards)"))?;
        let number = |s: &str, what: &str| {
            s.trim()
                .parse::<usize>()
                .map_err(|_| format!("`{s}` in `{text}` is not a {what}"))
        };
        let (index, count) = (number(k, "shard number")?, number(n, "shard count")?);
        if count == 0 {
            return Err(format!("`{text}`: the shard count N must be at least 1"));
        }
        if index == 0 || index > count {
            return Err(format!(
                "`{text}`: the shard number K must be between 1 and N ({count})"
            ));
        }
        Ok(Shard { index, count })
    }

    /// The positions, among `hosts` hosts in scope, that this shard checks: block K of N
    /// contiguous blocks whose sizes differ by at most one.
    pub fn range(self, hosts: usize) -> Range<usize> {
        let bound = |k: usize| {
            // hosts * k / count without overflow for any realistic fleet.
            (hosts as u128 * k as u128 / self.count as u128) as usize
        };
        bound(self.index - 1)..bound(self.index)
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// 64-bit FNV-1a of `parts`, each followed by a 0 byte: a fingerprint that is the same on
/// every machine and build (std's `DefaultHasher` promises neither), used to tell whether two
/// shards saw the same inventory.
pub fn fnv1a(parts: impl IntoIterator<Item = impl AsRef<[u8]>>) -> u64 {
    parts.into_iter().fold(FNV_OFFSET, |hash, part| {
        fnv1a_continue(fnv1a_continue(hash, part.as_ref()), &[0])
    })
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

fn fnv1a_continue(mut hash: u64, bytes: &[u8]) -> u64 {
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(PRIME);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_k_of_n_and_rejects_the_rest() {
        assert_eq!(Shard::parse("2/5"), Ok(Shard { index: 2, count: 5 }));
        assert_eq!(Shard::parse("1/1"), Ok(Shard::ALL));
        for bad in ["0/3", "4/3", "1/0", "x/2", "2", "1/2/3", "-1/2", ""] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn blocks_cover_every_host_once_and_are_even() {
        for hosts in [0, 1, 2, 5, 49, 50, 1000] {
            for count in 1..=9 {
                let ranges: Vec<Range<usize>> = (1..=count)
                    .map(|index| Shard { index, count }.range(hosts))
                    .collect();
                assert_eq!(ranges[0].start, 0);
                assert_eq!(ranges[count - 1].end, hosts);
                for pair in ranges.windows(2) {
                    assert_eq!(pair[0].end, pair[1].start);
                }
                let sizes: Vec<usize> = ranges.iter().map(|r| r.len()).collect();
                let (min, max) = (sizes.iter().min(), sizes.iter().max());
                assert!(
                    max.unwrap() - min.unwrap() <= 1,
                    "{hosts} hosts / {count}: {sizes:?}"
                );
            }
        }
    }

    #[test]
    fn fnv1a_matches_the_published_vectors() {
        // From the FNV reference test suite (draft-eastlake-fnv, 64-bit FNV-1a).
        assert_eq!(fnv1a_continue(FNV_OFFSET, b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a_continue(FNV_OFFSET, b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a_continue(FNV_OFFSET, b"foobar"), 0x8594_4171_f739_67e8);
        assert_eq!(
            fnv1a(["foo", "bar"]),
            fnv1a_continue(FNV_OFFSET, b"foo\0bar\0")
        );
        assert_ne!(fnv1a(["ab", "c"]), fnv1a(["a", "bc"]));
    }
}
