//! Did-you-mean: edit distance and ranking.

/// Optimal-string-alignment distance (Levenshtein plus adjacent transpositions), ASCII
/// case-insensitive, on bytes.
#[cfg(test)]
pub fn distance(a: &str, b: &str) -> usize {
    distance_within(a, b, usize::MAX).unwrap_or(usize::MAX)
}

/// [`distance`], or `None` as soon as it must exceed `max`: a did-you-mean compares the query with
/// every action of a service, and almost all are far off. Those are mostly ruled out before the
/// table is filled, by the letters the two do not share ([`shared_letters`]).
pub fn distance_within(a: &str, b: &str, max: usize) -> Option<usize> {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    // Each edit changes at most one letter of each side, a transposition none: a letter of the
    // longer side without a partner in the other costs at least one edit.
    if a.len().max(b.len()) - shared_letters(a, b) > max {
        return None;
    }
    let same = |x: u8, y: u8| x.eq_ignore_ascii_case(&y);
    let w = b.len() + 1;
    // Three rows: i-2, i-1, i; rotated by swapping, not by moving their cells.
    let mut prev2 = vec![0usize; w];
    let mut prev: Vec<usize> = (0..w).collect();
    let mut cur = vec![0usize; w];
    for i in 1..=a.len() {
        cur[0] = i;
        let mut row_min = cur[0];
        for j in 1..=b.len() {
            let cost = usize::from(!same(a[i - 1], b[j - 1]));
            let mut d = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && same(a[i - 1], b[j - 2]) && same(a[i - 2], b[j - 1]) {
                d = d.min(prev2[j - 2] + 1);
            }
            cur[j] = d;
            row_min = row_min.min(d);
        }
        // Every later cell descends from this row (a transposition from the row before it costs
        // one more than a cell of it), so none can come back under `max`.
        if row_min > max {
            return None;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    Some(prev[b.len()]).filter(|d| *d <= max)
}

/// How many letters of `a` can be paired with an equal letter of `b` (ASCII case-insensitive),
/// each letter used once.
fn shared_letters(a: &[u8], b: &[u8]) -> usize {
    let mut counts = [0u32; 256];
    for &x in a {
        counts[usize::from(x.to_ascii_lowercase())] += 1;
    }
    let mut shared = 0;
    for &y in b {
        let slot = &mut counts[usize::from(y.to_ascii_lowercase())];
        if *slot > 0 {
            *slot -= 1;
            shared += 1;
        }
    }
    shared
}

/// The largest distance worth suggesting for a query of this length: about a third of it,
/// at least 1 and at most `cap`.
pub fn threshold(len: usize, cap: usize) -> usize {
    (len / 3).clamp(1, cap)
}

/// Keeps the candidates within `max_distance` of `query`, best first; ties by case-insensitive
/// name, then by name, so the order is deterministic.
pub fn rank<'a>(
    query: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    max_distance: usize,
) -> Vec<(usize, &'a str)> {
    let mut out: Vec<(usize, &'a str)> = candidates
        .into_iter()
        .filter(|c| c.len().abs_diff(query.len()) <= max_distance)
        .filter_map(|c| distance_within(query, c, max_distance).map(|d| (d, c)))
        .collect();
    sort_ranked(&mut out);
    out
}

pub fn sort_ranked(v: &mut [(usize, &str)]) {
    v.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| a.1.to_ascii_lowercase().cmp(&b.1.to_ascii_lowercase()))
            .then_with(|| a.1.cmp(b.1))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(distance("", ""), 0);
        assert_eq!(distance("abc", ""), 3);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("GetObjects", "GetObject"), 1);
        assert_eq!(distance("getobject", "GetObject"), 0);
        assert_eq!(distance("GetObjcet", "GetObject"), 1);
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("ca", "abc"), 3);
    }

    #[test]
    fn bounded_distance_agrees_with_the_full_one() {
        let words = [
            "",
            "a",
            "GetObject",
            "GetObjects",
            "getobjcet",
            "PutObject",
            "ListBucket",
            "kitten",
            "sitting",
            "ca",
            "abc",
            "DescribeInstances",
            "DescribeInstance",
            "s3",
            "sqs",
        ];
        for a in words {
            for b in words {
                let full = distance(a, b);
                for max in 0..6 {
                    let bounded = distance_within(a, b, max);
                    assert_eq!(bounded, Some(full).filter(|d| *d <= max), "{a} {b} {max}");
                }
            }
        }
    }

    #[test]
    fn ranking_is_deterministic() {
        let r = rank("s4", ["s3", "S3x", "sqs", "sns", "ec2"], 1);
        assert_eq!(r, vec![(1, "s3")]);
        let r = rank("ab", ["ac", "Aa", "aa"], 1);
        assert_eq!(r, vec![(1, "Aa"), (1, "aa"), (1, "ac")]);
    }
}
