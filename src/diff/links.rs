//! Links from the Markdown report to the changed lines on the forge: a base URL given with
//! `--link-base`, else, for `--base`, GitHub Actions' or GitLab CI's environment.
//!
//! Every URL is built from validated parts only: an `https` base whose host is a plain DNS name
//! (and port), without user name, query or fragment; its path segments, the repository's name and
//! the file's path percent-encoded segment by segment ([`crate::escape::url_segment`]); a commit
//! id of hex digits; a line number. Nothing of the input reaches a URL unencoded, so a file named
//! `](javascript:x)` or holding `)` or a line break is a path segment, never link syntax.

use crate::escape::url_segment;

/// Where places link to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Links {
    /// The prefix of a head-side file's URL, ending in `/`.
    head: String,
    /// The prefix of a base-side file's URL (the base commit's), when the forge and the commit
    /// are known.
    base: Option<String>,
}

/// The most of a GitHub event payload read for the pull request's head commit.
const MAX_EVENT_BYTES: u64 = 64 << 20;

impl Links {
    /// `--link-base URL`: head-side places link to `URL` + path; base-side places do not (the
    /// base's commit has no place in a URL given as text).
    pub fn explicit(url: &str) -> Result<Links, String> {
        let base = https_base(url).ok_or_else(|| {
            "`--link-base` takes an https URL of a host, without user name, query or fragment \
             (`https://github.com/OWNER/REPO/blob/SHA/`)"
                .to_string()
        })?;
        Ok(Links {
            head: format!("{base}/"),
            base: None,
        })
    }

    /// The forge of the CI run, from its environment (`var`): on GitHub Actions
    /// `GITHUB_SERVER_URL`/`GITHUB_REPOSITORY` at the pull request's head commit (from the event
    /// payload; `GITHUB_SHA` is the merge commit there) or else `GITHUB_SHA`; on GitLab CI
    /// `CI_PROJECT_URL` at `CI_MERGE_REQUEST_SOURCE_BRANCH_SHA` or else `CI_COMMIT_SHA`.
    /// `base_commit` links base-side places. `None` outside these, or when a part is not valid.
    pub fn from_env(
        base_commit: Option<&str>,
        var: &dyn Fn(&str) -> Option<String>,
    ) -> Option<Links> {
        let set = |name: &str| var(name).filter(|v| !v.is_empty());
        let (prefix, head) = if set("GITHUB_ACTIONS").as_deref() == Some("true") {
            let server = https_base(&set("GITHUB_SERVER_URL")?)?;
            let repository = set("GITHUB_REPOSITORY")?;
            let (owner, name) = repository.split_once('/')?;
            if owner.is_empty() || name.is_empty() || name.contains('/') {
                return None;
            }
            let head = pull_request_head(var).or_else(|| set("GITHUB_SHA"))?;
            (
                format!(
                    "{server}/{}/{}/blob/",
                    url_segment(owner),
                    url_segment(name)
                ),
                head,
            )
        } else if set("GITLAB_CI").as_deref() == Some("true") {
            let project = https_base(&set("CI_PROJECT_URL")?)?;
            let head =
                set("CI_MERGE_REQUEST_SOURCE_BRANCH_SHA").or_else(|| set("CI_COMMIT_SHA"))?;
            (format!("{project}/-/blob/"), head)
        } else {
            return None;
        };
        let at = |sha: &str| commit(sha).map(|sha| format!("{prefix}{sha}/"));
        Some(Links {
            head: at(&head)?,
            base: base_commit.and_then(at),
        })
    }

    /// The URL of line `line` of `path` (relative to the linked tree, `/`-separated) on the head
    /// side or the base side; `None` for a change without a place, or a base-side place when the
    /// base commit is not known.
    pub fn to(&self, path: &str, line: u32, in_head: bool) -> Option<String> {
        if path.is_empty() || line == 0 {
            return None;
        }
        let prefix = if in_head {
            &self.head
        } else {
            self.base.as_ref()?
        };
        let mut segments = Vec::new();
        for segment in path.split('/') {
            if segment.is_empty() || segment == "." || segment == ".." {
                return None;
            }
            segments.push(url_segment(segment));
        }
        Some(format!("{prefix}{}#L{line}", segments.join("/")))
    }
}

/// The head commit of the pull request of a GitHub `pull_request*` event, from the event payload
/// (`GITHUB_EVENT_PATH`).
fn pull_request_head(var: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    use std::io::Read;
    if !var("GITHUB_EVENT_NAME")?.starts_with("pull_request") {
        return None;
    }
    let path = var("GITHUB_EVENT_PATH")?;
    let mut text = Vec::new();
    std::fs::File::open(path)
        .ok()?
        .take(MAX_EVENT_BYTES)
        .read_to_end(&mut text)
        .ok()?;
    let event: serde_json::Value = serde_json::from_slice(&text).ok()?;
    event["pull_request"]["head"]["sha"]
        .as_str()
        .map(str::to_string)
}

/// A commit id: 7 to 64 hex digits (SHA-1 or SHA-256, maybe abbreviated), lower-cased.
fn commit(sha: &str) -> Option<String> {
    ((7..=64).contains(&sha.len()) && sha.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| sha.to_ascii_lowercase())
}

/// `https://host[:port]/seg/...` without a trailing `/`, each path segment encoded; `None` unless
/// `url` is `https://` (any case) then a host of DNS labels (ASCII letters, digits, `-`), an
/// optional port, and a path without `?`, `#`, `.` or `..` segments. A user name (`@`), an IP
/// literal in brackets, or any other scheme (`javascript:`, `http:`) is refused.
fn https_base(url: &str) -> Option<String> {
    let scheme = url.get(..8)?;
    if !scheme.eq_ignore_ascii_case("https://") {
        return None;
    }
    let rest = &url[8..];
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let (host, port) = match authority.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    };
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if host.is_empty() || host.len() > 253 || !host.split('.').all(label_ok) {
        return None;
    }
    if port.is_some_and(|p| p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    if path.contains(['?', '#']) {
        return None;
    }
    let mut out = format!("https://{}", host.to_ascii_lowercase());
    if let Some(port) = port {
        out.push(':');
        out.push_str(port);
    }
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        if segment == "." || segment == ".." {
            return None;
        }
        out.push('/');
        out.push_str(&url_segment(segment));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const SHA: &str = "0123456789abcdef0123456789abcdef01234567";
    const BASE_SHA: &str = "89abcdef0123456789abcdef0123456789abcdef";

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn explicit_base_takes_only_https_urls_of_a_host() {
        let links = Links::explicit("https://GitHub.com/o/r/blob/abc1234/").unwrap();
        assert_eq!(
            links.to("infra/main.tf", 12, true).as_deref(),
            Some("https://github.com/o/r/blob/abc1234/infra/main.tf#L12")
        );
        // No base commit: base-side places are not linked; nor is a change without a line.
        assert_eq!(links.to("infra/main.tf", 12, false), None);
        assert_eq!(links.to("infra/main.tf", 0, true), None);
        for bad in [
            "javascript:alert(1)//",
            "http://github.com/o/r/blob/x/",
            "https://user@github.com/o/",
            "https://github.com/o/r?x=1",
            "https://github.com/o/r#x",
            "https://[::1]/x",
            "https://github.com:x/o",
            "https://exa mple.com/",
            "https://-evil.com/",
            "https://github.com/o/../r",
            "https://",
            "",
        ] {
            assert!(Links::explicit(bad).is_err(), "{bad}");
        }
        // Odd characters of the path are encoded, not refused.
        let odd = Links::explicit("https://git.example:8443/a b/(c)/").unwrap();
        assert_eq!(
            odd.to("p.json", 1, true).as_deref(),
            Some("https://git.example:8443/a%20b/%28c%29/p.json#L1")
        );
    }

    /// A hostile file path is encoded segment by segment: no `(`, `)`, `[`, `]`, space, quote,
    /// `:`, `<` or line break reaches the URL.
    #[test]
    fn file_paths_are_encoded() {
        let links = Links::explicit("https://github.com/o/r/blob/abc1234").unwrap();
        let url = links
            .to("a/](javascript:alert(1)) [x]\n<y>\"`|.json", 3, true)
            .unwrap();
        assert_eq!(
            url,
            "https://github.com/o/r/blob/abc1234/a/%5D%28javascript%3Aalert%281%29%29%20%5Bx%5D%0A%3Cy%3E%22%60%7C.json#L3"
        );
        assert_eq!(links.to("a/../b", 3, true), None);
        assert_eq!(links.to("a//b", 3, true), None);
    }

    #[test]
    fn github_actions_links_the_pull_requests_head_and_the_base() {
        let dir = tempfile::tempdir().unwrap();
        let event = dir.path().join("event.json");
        std::fs::write(
            &event,
            format!(r#"{{"pull_request": {{"head": {{"sha": "{SHA}"}}}}}}"#),
        )
        .unwrap();
        let event = event.to_string_lossy().into_owned();
        let github = [
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_SERVER_URL", "https://github.com"),
            ("GITHUB_REPOSITORY", "octo/app"),
            ("GITHUB_SHA", "fedcba9876543210fedcba9876543210fedcba98"),
            ("GITHUB_EVENT_NAME", "pull_request"),
            ("GITHUB_EVENT_PATH", event.as_str()),
        ];
        let links = Links::from_env(Some(BASE_SHA), &env(&github)).unwrap();
        assert_eq!(
            links.to("p.json", 4, true).unwrap(),
            format!("https://github.com/octo/app/blob/{SHA}/p.json#L4")
        );
        assert_eq!(
            links.to("p.json", 9, false).unwrap(),
            format!("https://github.com/octo/app/blob/{BASE_SHA}/p.json#L9")
        );
        // A push: GITHUB_SHA.
        let mut push = github.to_vec();
        push[4] = ("GITHUB_EVENT_NAME", "push");
        let links = Links::from_env(None, &env(&push)).unwrap();
        assert_eq!(
            links.to("p.json", 4, true).unwrap(),
            "https://github.com/octo/app/blob/fedcba9876543210fedcba9876543210fedcba98/p.json#L4"
        );
        assert_eq!(links.to("p.json", 4, false), None);
        // Parts that are not valid give no links.
        for (i, value) in [
            (1, "javascript:alert(1)"),
            (2, "octo"),
            (2, "octo/app/x"),
            (3, "HEAD; rm -rf /"),
        ] {
            let mut bad = push.clone();
            bad[i].1 = value;
            assert_eq!(Links::from_env(None, &env(&bad)), None, "{value}");
        }
        assert_eq!(Links::from_env(None, &env(&[])), None);
    }

    #[test]
    fn gitlab_ci_links_the_merge_requests_source_commit() {
        let gitlab = [
            ("GITLAB_CI", "true"),
            ("CI_PROJECT_URL", "https://gitlab.example.com/group/sub/app"),
            ("CI_COMMIT_SHA", BASE_SHA),
            ("CI_MERGE_REQUEST_SOURCE_BRANCH_SHA", SHA),
        ];
        let links = Links::from_env(None, &env(&gitlab)).unwrap();
        assert_eq!(
            links.to("infra/main.tf", 2, true).unwrap(),
            format!("https://gitlab.example.com/group/sub/app/-/blob/{SHA}/infra/main.tf#L2")
        );
        let links = Links::from_env(None, &env(&gitlab[..3])).unwrap();
        assert!(links.to("a", 1, true).unwrap().contains(BASE_SHA));
    }
}
