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
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current: Vec<usize> = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        current[0] = i;
        let mut row_min = i;
        for j in 1..=b.len() {
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
