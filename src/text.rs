//! Small text helpers shared by rules and outputs.

/// Levenshtein distance over characters, case-insensitive (did-you-mean).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().flat_map(char::to_lowercase).collect();
    let b: Vec<char> = b.chars().flat_map(char::to_lowercase).collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// `1 action`, `3 actions`, `22,320 actions`.
pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{} {word}s", thousands(n))
    }
}

/// `22320` → `22,320`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Joins names as `a`, `a and b`, `a, b and 3 more`.
pub fn list_some<S: AsRef<str>>(items: &[S], max: usize) -> String {
    // Built with `push_str`: a large report formats this message once per finding.
    let shown = items.len().min(max);
    let rest = items.len() - shown;
    let mut out = String::new();
    for (i, item) in items.iter().take(shown).enumerate() {
        if i > 0 {
            out.push_str(if rest == 0 && i == shown - 1 {
                " and "
            } else {
                ", "
            });
        }
        out.push('`');
        out.push_str(item.as_ref());
        out.push('`');
    }
    if rest > 0 && shown > 0 {
        out.push_str(" and ");
        out.push_str(&rest.to_string());
        out.push_str(" more");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance() {
        assert_eq!(edit_distance("GetObjects", "getobject"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn numbers() {
        assert_eq!(thousands(7), "7");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(22320), "22,320");
        assert_eq!(plural(2542, "action"), "2,542 actions");
        assert_eq!(plural(1, "action"), "1 action");
    }

    #[test]
    fn lists() {
        let items: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        assert_eq!(list_some(&items[..1], 2), "`a`");
        assert_eq!(list_some(&items[..2], 2), "`a` and `b`");
        assert_eq!(list_some(&items, 2), "`a`, `b` and 1 more");
        assert_eq!(list_some(&items, 3), "`a`, `b` and `c`");
        let none: [&str; 0] = [];
        assert_eq!(list_some(&none, 3), "");
        assert_eq!(list_some(&items, 0), "");
        assert_eq!(list_some(&items[..2], 1), "`a` and 1 more");
    }
}
