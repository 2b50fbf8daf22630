//! `file://` URIs ↔ paths (RFC 8089): percent-decoding and -encoding of the path, nothing else.
//! Other schemes (`untitled:`) have no path.

use std::path::{Path, PathBuf};

use lsp_types::Uri;

/// The path of a `file:` URI, absolute; `None` for another scheme or a path that is not UTF-8
/// once decoded.
pub fn to_path(uri: &Uri) -> Option<PathBuf> {
    let text = uri.as_str();
    let rest = text.strip_prefix("file://")?;
    // `file:///p` (empty authority) or `file://localhost/p`.
    let path = match rest.find('/') {
        Some(0) => rest,
        Some(at) if rest[..at].eq_ignore_ascii_case("localhost") => &rest[at..],
        _ => return None,
    };
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let decoded = decode(path)?;
    // Windows: `/c:/x` is `c:/x`.
    #[cfg(windows)]
    let decoded = match decoded.as_bytes() {
        [b'/', _, b':', ..] => decoded[1..].to_string(),
        _ => decoded,
    };
    Some(PathBuf::from(decoded))
}

/// The `file:` URI of an absolute path.
pub fn from_path(path: &Path) -> Option<Uri> {
    let text = path.to_str()?.replace('\\', "/");
    let mut out = String::from("file://");
    if !text.starts_with('/') {
        out.push('/');
    }
    for byte in text.bytes() {
        let keep = byte.is_ascii_alphanumeric() || b"-._~/:@!$&'()*+,;=".contains(&byte);
        if keep {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out.parse().ok()
}

fn decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_round_trip_through_percent_encoding() {
        for path in ["/tmp/a b/p.json", "/tmp/ünï/c%d#e?.tf", "/x/y.yaml"] {
            let uri = from_path(Path::new(path)).expect("a UTF-8 absolute path");
            assert!(!uri.as_str().contains([' ', '#', '?']), "{}", uri.as_str());
            assert_eq!(to_path(&uri), Some(PathBuf::from(path)), "{}", uri.as_str());
        }
        let other: Uri = "untitled:Untitled-1".parse().expect("a URI");
        assert_eq!(to_path(&other), None);
        let host: Uri = "file://localhost/etc/p.json".parse().expect("a URI");
        assert_eq!(to_path(&host), Some(PathBuf::from("/etc/p.json")));
    }
}
