//! suggest: "did you mean" — a bounded edit distance and the closest of a set of names.
//!
//! Shared by the models (unknown settings) and the CLI (unknown rule names).

/// Optimal string alignment distance (Levenshtein plus adjacent swaps), or `None` when it is
/// over `max`. Cheap when the answer is `None`: length difference first, then each row's minimum.
pub fn edit_distance(a: &str, b: &str, max: usize) -> Option<usize> {
    if a.is_ascii() && b.is_ascii() {
        bounded(a.as_bytes(), b.as_bytes(), max)
    } else {
        let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
        bounded(&a, &b, max)
    }
}

fn bounded<T: PartialEq>(a: &[T], b: &[T], max: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    // Setting names are short: keep the three rows on the stack when they fit.
    const STACK: usize = 64;
    if b.len() < STACK {
        let mut rows = [[0usize; STACK]; 3];
        bounded_rows(a, b, max, &mut rows)
    } else {
        let mut rows = vec![vec![0usize; b.len() + 1]; 3];
        let [r0, r1, r2] = &mut rows[..] else {
            unreachable!()
        };
        bounded_rows(
            a,
            b,
            max,
            &mut [r0.as_mut_slice(), r1.as_mut_slice(), r2.as_mut_slice()],
        )
    }
}

/// Only cells within `max` of the diagonal can stay within `max`: fill that band, treat the rest
/// as out of reach.
fn bounded_rows<T: PartialEq, R: AsMut<[usize]>>(
    a: &[T],
    b: &[T],
    max: usize,
    rows: &mut [R; 3],
) -> Option<usize> {
    const FAR: usize = usize::MAX / 2;
    let [before, previous, current] = rows;
    let (mut before, mut previous, mut current) =
        (before.as_mut(), previous.as_mut(), current.as_mut());
    for (j, cell) in previous.iter_mut().enumerate().take(b.len() + 1) {
        *cell = if j <= max { j } else { FAR };
    }
    before[..=b.len()].fill(FAR);
    for i in 1..=a.len() {
        let (low, high) = (i.saturating_sub(max).max(1), (i + max).min(b.len()));
        // Cells just outside the band still hold values from two rows ago.
        current[low - 1] = FAR;
        if high < b.len() {
            current[high + 1] = FAR;
        }
        current[0] = if i <= max { i } else { FAR };
        let mut row_min = current[0];
        for j in low..=high {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (previous[j] + 1)
                .min(current[j - 1] + 1)
                .min(previous[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(before[j - 2] + 1);
            }
            current[j] = d;
            row_min = row_min.min(d);
        }
        if row_min > max {
            return None;
        }
        std::mem::swap(&mut before, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    (previous[b.len()] <= max).then_some(previous[b.len()])
}

/// How far a typo may be from a real name and still count as one.
pub fn typo_distance(len: usize) -> usize {
    match len {
        0..=5 => 1,
        6..=10 => 2,
        _ => 3,
    }
}

/// The closest candidate (other than `name` itself) within typo distance of `name`.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let max = typo_distance(name.chars().count());
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .filter_map(|c| edit_distance(name, c, max).map(|d| (d, c)))
        .min()
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("kitten", "sitting", 3), Some(3));
        assert_eq!(edit_distance("kitten", "sitting", 2), None);
        assert_eq!(edit_distance("ab", "ba", 1), Some(1));
        assert_eq!(edit_distance("", "abc", 3), Some(3));
        assert_eq!(edit_distance("çé", "ce", 2), Some(2));
        assert_eq!(edit_distance("same", "same", 0), Some(0));
    }

    /// Plain full-matrix optimal string alignment, to check the banded one against.
    fn reference(a: &[u8], b: &[u8]) -> usize {
        let mut d = vec![vec![0; b.len() + 1]; a.len() + 1];
        for (i, row) in d.iter_mut().enumerate() {
            row[0] = i;
        }
        for (j, cell) in d[0].iter_mut().enumerate() {
            *cell = j;
        }
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                let cost = usize::from(a[i - 1] != b[j - 1]);
                d[i][j] = (d[i - 1][j] + 1)
                    .min(d[i][j - 1] + 1)
                    .min(d[i - 1][j - 1] + cost);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
                }
            }
        }
        d[a.len()][b.len()]
    }

    #[test]
    fn banded_distance_matches_the_full_matrix() {
        // A small deterministic generator over a three-letter alphabet, so near strings abound.
        let mut seed = 0x2545f4914f6cdd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let word = |next: &mut dyn FnMut() -> u64| -> String {
            let len = (next() % 9) as usize;
            (0..len)
                .map(|_| (b'a' + (next() % 3) as u8) as char)
                .collect()
        };
        for _ in 0..5000 {
            let (a, b) = (word(&mut next), word(&mut next));
            let want = reference(a.as_bytes(), b.as_bytes());
            for max in 0..4 {
                assert_eq!(
                    edit_distance(&a, &b, max),
                    (want <= max).then_some(want),
                    "{a:?} {b:?} max {max}"
                );
            }
        }
    }

    #[test]
    fn typos_are_found_and_far_names_left_alone() {
        let keys = ["default_vsz_limit", "vsz_limit", "mail_plugins"];
        assert_eq!(
            did_you_mean("default_vsz_limt", keys),
            Some("default_vsz_limit")
        );
        assert_eq!(did_you_mean("vzs_limit", keys), Some("vsz_limit"));
        assert_eq!(did_you_mean("sieve_script", keys), None);
        assert_eq!(
            did_you_mean("vsz_limit", keys),
            None,
            "an exact name is no typo"
        );
    }
}
