//! Did-you-mean: edit distance and ranking.

/// Optimal-string-alignment distance (Levenshtein plus adjacent transpositions), ASCII
/// case-insensitive, on bytes.
pub fn distance(a: &str, b: &str) -> usize {
    let a: Vec<u8> = a.bytes().map(|c| c.to_ascii_lowercase()).collect();
    let b: Vec<u8> = b.bytes().map(|c| c.to_ascii_lowercase()).collect();
    let w = b.len() + 1;
    // Three rows: i-2, i-1, i.
    let mut rows = vec![0usize; 3 * w];
    for (j, cell) in rows[w..2 * w].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        let (prev2, rest) = rows.split_at_mut(w);
        let (prev, cur) = rest.split_at_mut(w);
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(prev2[j - 2] + 1);
            }
            cur[j] = d;
        }
        rows.rotate_left(w);
    }
    rows[w + b.len()]
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
        .map(|c| (distance(query, c), c))
        .filter(|(d, _)| *d <= max_distance)
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
    fn ranking_is_deterministic() {
        let r = rank("s4", ["s3", "S3x", "sqs", "sns", "ec2"], 1);
        assert_eq!(r, vec![(1, "s3")]);
        let r = rank("ab", ["ac", "Aa", "aa"], 1);
        assert_eq!(r, vec![(1, "Aa"), (1, "aa"), (1, "ac")]);
    }
}
