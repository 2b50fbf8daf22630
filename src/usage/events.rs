//! CloudTrail events to IAM actions: the event source's service prefix, the event name through
//! the catalog, and the reviewed table `rules/usage/event-names.tsv` for the names that differ
//! (one line per exception with the AWS page behind it).

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::catalog::Catalog;
use crate::model::action::wildcard_match;

const TABLE: &str = include_str!("../../rules/usage/event-names.tsv");

/// One line of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub kind: Kind,
    pub source: &'static str,
    pub name: &'static str,
    pub actions: Vec<&'static str>,
    pub url: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Service,
    Event,
    Dated,
    None,
    Data,
}

/// The table, parsed once; a malformed line is a test failure (`table_parses`), and is skipped
/// at run time.
pub struct Table {
    pub rows: Vec<Row>,
    services: HashMap<&'static str, &'static str>,
    events: HashMap<(&'static str, &'static str), usize>,
}

pub fn table() -> &'static Table {
    static TABLE_ONCE: LazyLock<Table> = LazyLock::new(|| parse(TABLE).0);
    &TABLE_ONCE
}

/// Parses the table; the second value lists the lines that could not be read.
fn parse(text: &'static str) -> (Table, Vec<usize>) {
    let mut rows = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&'static str> = line.split('\t').collect();
        let [kind, source, name, actions, url] = cols[..] else {
            bad.push(i + 1);
            continue;
        };
        let kind = match kind {
            "service" => Kind::Service,
            "event" => Kind::Event,
            "dated" => Kind::Dated,
            "none" => Kind::None,
            "data" => Kind::Data,
            _ => {
                bad.push(i + 1);
                continue;
            }
        };
        if !url.starts_with("https://docs.aws.amazon.com/") {
            bad.push(i + 1);
            continue;
        }
        let actions = if actions == "-" {
            Vec::new()
        } else {
            actions.split(',').collect()
        };
        rows.push(Row {
            kind,
            source,
            name,
            actions,
            url,
        });
    }
    let mut services = HashMap::new();
    let mut events = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        match r.kind {
            Kind::Service => {
                if let Some(prefix) = r.actions.first() {
                    services.insert(r.source, *prefix);
                }
            }
            Kind::Event | Kind::None => {
                events.insert((r.source, r.name), i);
            }
            _ => {}
        }
    }
    (
        Table {
            rows,
            services,
            events,
        },
        bad,
    )
}

/// How an event was mapped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mapped {
    /// The IAM actions the call needs (catalog names), and the table's URL when an exception
    /// decided.
    Actions(Vec<String>, Option<&'static str>),
    /// The call needs no permission.
    NoPermission,
    /// Neither the catalog nor the table knows it.
    Unknown,
}

impl Table {
    /// The service prefix of an event source: `s3` of `s3.amazonaws.com`, `cloudwatch` of
    /// `monitoring.amazonaws.com`.
    pub fn prefix<'a>(&self, source: &'a str) -> &'a str {
        if let Some(p) = self.services.get(source) {
            return p;
        }
        source.strip_suffix(".amazonaws.com").unwrap_or(source)
    }

    /// The actions a call needs.
    pub fn map(&self, source: &str, name: &str) -> Mapped {
        let dated = self
            .rows
            .iter()
            .any(|r| r.kind == Kind::Dated && r.source == source);
        let name = if dated { strip_date(name) } else { name };
        if let Some(&i) = self.events.get(&(source, name)) {
            if let Some(row) = self.rows.get(i) {
                if row.kind == Kind::None {
                    return Mapped::NoPermission;
                }
                let actions = row
                    .actions
                    .iter()
                    .map(|a| canonical(a).unwrap_or_else(|| a.to_string()))
                    .collect();
                return Mapped::Actions(actions, Some(row.url));
            }
        }
        let prefix = self.prefix(source);
        match canonical(&format!("{prefix}:{name}")) {
            Some(a) => Mapped::Actions(vec![a], None),
            None => Mapped::Unknown,
        }
    }

    /// Whether an action is a data event CloudTrail records only when asked to, and for which
    /// event source.
    pub fn data_source(&self, action: &str) -> Option<&'static str> {
        self.rows
            .iter()
            .filter(|r| r.kind == Kind::Data)
            .find(|r| {
                r.actions
                    .iter()
                    .any(|p| wildcard_match(&p.to_ascii_lowercase(), &action.to_ascii_lowercase()))
            })
            .map(|r| r.source)
    }
}

/// The catalog's spelling of an action (`s3:GetObject`), if it exists.
fn canonical(action: &str) -> Option<String> {
    Catalog::get().action(action).map(|a| a.full_name())
}

/// `GetFunction` of `GetFunction20150331v2`, `ListTags` of `ListTags20170331`.
pub fn strip_date(name: &str) -> &str {
    let mut end = name.len();
    let bytes = name.as_bytes();
    // An optional `v<digits>` after the date.
    let mut i = end;
    while i > 0 && bytes[i - 1].is_ascii_digit() {
        i -= 1;
    }
    if i < end && i > 0 && bytes[i - 1] == b'v' {
        end = i - 1;
    }
    let digits = name[..end]
        .bytes()
        .rev()
        .take_while(u8::is_ascii_digit)
        .count();
    if digits == 8 && end > 8 {
        &name[..end - 8]
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_parses() {
        let (t, bad) = parse(TABLE);
        assert!(bad.is_empty(), "unreadable lines: {bad:?}");
        assert!(t.rows.len() > 20);
        // Every action the table names exists in the catalog (or is a pattern that matches one).
        for r in &t.rows {
            for a in &r.actions {
                if r.kind == Kind::Service {
                    assert!(Catalog::get().service(a).is_some(), "{a}");
                } else {
                    assert!(!Catalog::get().expand(a).is_empty(), "{a} matches nothing");
                }
            }
        }
    }

    #[test]
    fn dates_are_stripped() {
        assert_eq!(strip_date("GetFunction20150331v2"), "GetFunction");
        assert_eq!(strip_date("ListTags20170331"), "ListTags");
        assert_eq!(strip_date("Invoke"), "Invoke");
        assert_eq!(strip_date("GetObject"), "GetObject");
    }

    #[test]
    fn names_map_through_the_table_and_the_catalog() {
        let t = table();
        let actions = |s: &str, n: &str| match t.map(s, n) {
            Mapped::Actions(a, _) => a,
            other => panic!("{s} {n}: {other:?}"),
        };
        assert_eq!(
            actions("s3.amazonaws.com", "ListBuckets"),
            ["s3:ListAllMyBuckets"]
        );
        assert_eq!(
            actions("s3.amazonaws.com", "CopyObject"),
            ["s3:GetObject", "s3:PutObject"]
        );
        assert_eq!(
            actions("lambda.amazonaws.com", "GetFunction20150331v2"),
            ["lambda:GetFunction"]
        );
        assert_eq!(
            actions("monitoring.amazonaws.com", "PutMetricData"),
            ["cloudwatch:PutMetricData"]
        );
        assert_eq!(
            t.map("sts.amazonaws.com", "GetCallerIdentity"),
            Mapped::NoPermission
        );
        assert_eq!(t.map("s3.amazonaws.com", "NoSuchCall"), Mapped::Unknown);
        assert_eq!(t.data_source("s3:GetObject"), Some("s3.amazonaws.com"));
        assert_eq!(t.data_source("s3:CreateBucket"), None);
    }
}
