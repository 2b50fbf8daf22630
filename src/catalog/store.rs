//! The embedded Service Authorization Reference (`rules/catalog/catalog.jsonl`, one service per line,
//! sorted by prefix; layout in `rules/catalog/README.md`), parsed lazily one service at a time.
//!
//! Cost model: the first use reads the small generated `index.tsv` (prefix and byte offset of each
//! line, 9 KB) instead of scanning the 2.4 MB text; a service's line is parsed (by the strict reader
//! below) the first time that service is asked for and kept in a `OnceLock`.
//! Loading every service parses in parallel (rayon).

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::OnceLock;

use super::{
    AccessLevels, Action, ActionResource, ConditionKey, ConditionType, ResourceType, Service,
};

const CATALOG_JSONL: &str = include_str!("../../rules/catalog/catalog.jsonl");
const CATALOG_INDEX: &str = include_str!("../../rules/catalog/index.tsv");

/// Compares ASCII case-insensitively, byte by byte (the order the data files are sorted in).
pub(super) fn cmp_ci(a: &str, b: &str) -> Ordering {
    // Every lookup binary-searches with this: equal bytes (the usual case) skip the case folding.
    let (a, b) = (a.as_bytes(), b.as_bytes());
    for (x, y) in a.iter().zip(b) {
        if x != y {
            let (x, y) = (x.to_ascii_lowercase(), y.to_ascii_lowercase());
            if x != y {
                return x.cmp(&y);
            }
        }
    }
    a.len().cmp(&b.len())
}

pub(super) struct Entry {
    pub prefix: &'static str,
    /// The service fields of this service's ARN templates (`s3`, `execute-api`), lower case,
    /// comma-separated: the index's third column.
    pub arn_services: &'static str,
    text: &'static str,
    /// Byte range of the line in `text`, without its newline. Not sliced up front: touching every
    /// line would fault in every page of the embedded text.
    start: usize,
    end: usize,
    slot: OnceLock<Loaded>,
}

pub(super) struct Loaded {
    pub service: Service,
    /// Condition keys of each (action, resource type) pair, indexed like `service.actions[i].resources[j]`.
    pub entry_keys: Vec<Vec<Vec<&'static str>>>,
}

impl Entry {
    pub fn get(&'static self) -> &'static Loaded {
        self.slot.get_or_init(|| {
            let loaded = parse_service(self.line());
            assert_eq!(
                loaded.service.prefix, self.prefix,
                "embedded catalog index.tsv matches catalog.jsonl (regenerate both with cargo xtask gen-data)"
            );
            loaded
        })
    }

    fn line(&self) -> &'static str {
        self.text
            .get(self.start..self.end)
            .expect("embedded catalog index.tsv offsets fall on line starts of catalog.jsonl")
    }
}

pub(super) struct Store {
    entries: Vec<Entry>,
}

static STORE: OnceLock<Store> = OnceLock::new();

pub(super) fn store() -> &'static Store {
    STORE.get_or_init(|| Store::new(CATALOG_JSONL, CATALOG_INDEX))
}

impl Store {
    /// Splits `text` at the offsets of `index` (`prefix \t offset \t arn,services` lines, sorted
    /// by prefix).
    fn new(text: &'static str, index: &'static str) -> Store {
        let starts: Vec<(&'static str, usize, &'static str)> = index
            .split_terminator('\n')
            .map(|l| {
                let mut fields = l.split('\t');
                fields
                    .next()
                    .zip(fields.next().and_then(|o| o.parse().ok()))
                    .zip(fields.next())
                    .map(|((p, o), a)| (p, o, a))
                    .expect("embedded catalog index.tsv: lines are `prefix<TAB>offset<TAB>arn services`")
            })
            .collect();
        let entries = starts
            .iter()
            .enumerate()
            .map(|(i, &(prefix, start, arn_services))| Entry {
                prefix,
                arn_services,
                text,
                start,
                // The next line's start minus the newline.
                end: starts
                    .get(i + 1)
                    .map_or(text.len(), |n| n.1)
                    .saturating_sub(1),
                slot: OnceLock::new(),
            })
            .collect();
        Store { entries }
    }

    pub fn entries(&'static self) -> &'static [Entry] {
        &self.entries
    }

    /// Service entry by prefix, case-insensitive (the file is sorted by prefix).
    pub fn find(&'static self, prefix: &str) -> Option<&'static Entry> {
        self.entries
            .binary_search_by(|e| cmp_ci(e.prefix, prefix))
            .ok()
            .map(|i| &self.entries[i])
    }

    /// Parses every service not parsed yet (in parallel), then yields them in prefix order.
    pub fn load_all(&'static self) -> impl Iterator<Item = &'static Loaded> {
        use crate::par::prelude::*;
        if self.entries.iter().any(|e| e.slot.get().is_none()) {
            self.entries.par_iter().for_each(|e| {
                e.get();
            });
        }
        self.entries.iter().map(Entry::get)
    }
}

/// A strict reader for the generated lines: compact, escape-free JSON of a known shape (see
/// `rules/catalog/README.md`). Hand-written because it builds the public types directly, about three
/// times faster than going through serde and intermediate vectors; `None` means the line is not in
/// the generated shape.
struct Reader {
    text: &'static str,
    pos: usize,
}

impl Reader {
    fn new(text: &'static str) -> Reader {
        Reader { text, pos: 0 }
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        (self.peek()? == b).then(|| self.pos += 1)
    }

    fn lit(&mut self, s: &str) -> Option<()> {
        self.text[self.pos..]
            .starts_with(s)
            .then(|| self.pos += s.len())
    }

    /// A string without escapes, borrowed from the text.
    fn str(&mut self) -> Option<&'static str> {
        self.eat(b'"')?;
        let rest = &self.text[self.pos..];
        let len = rest.find('"')?;
        let s = &rest[..len];
        if s.contains('\\') {
            return None;
        }
        self.pos += len + 1;
        Some(s)
    }

    fn bool(&mut self) -> Option<bool> {
        if self.lit("true").is_some() {
            Some(true)
        } else {
            self.lit("false").map(|()| false)
        }
    }

    /// `[item,item,...]`
    fn list<T>(&mut self, mut item: impl FnMut(&mut Reader) -> Option<T>) -> Option<Vec<T>> {
        self.eat(b'[')?;
        let mut out = Vec::new();
        if self.eat(b']').is_some() {
            return Some(out);
        }
        loop {
            out.push(item(self)?);
            if self.eat(b']').is_some() {
                return Some(out);
            }
            self.eat(b',')?;
        }
    }

    fn strings(&mut self) -> Option<Vec<&'static str>> {
        self.list(Reader::str)
    }

    fn conditions(&mut self) -> Option<Vec<(&'static str, &'static str)>> {
        self.list(|r| {
            r.eat(b'[')?;
            let key = r.str()?;
            r.eat(b',')?;
            let ty = r.str()?;
            r.eat(b']')?;
            Some((key, ty))
        })
    }
}

fn parse_service(line: &'static str) -> Loaded {
    read_service(line).expect(
        "embedded catalog.jsonl: every line is a service record in the generated shape (cargo xtask gen-data)",
    )
}

fn read_service(line: &'static str) -> Option<Loaded> {
    let mut r = Reader::new(line);
    r.lit("{\"prefix\":")?;
    let prefix = r.str()?.to_string();
    r.lit(",\"name\":")?;
    let name = r.str()?.to_string();
    r.lit(",\"actions\":")?;
    let mut entry_keys = Vec::new();
    let actions = r.list(|r| {
        r.eat(b'[')?;
        let name = r.str()?;
        r.eat(b',')?;
        let access = AccessLevels::parse(r.str()?);
        r.eat(b',')?;
        let mut keys = Vec::new();
        let resources = r.list(|r| {
            r.eat(b'[')?;
            let name = r.str()?;
            r.eat(b',')?;
            let required = r.bool()?;
            r.eat(b',')?;
            keys.push(r.list(Reader::str)?);
            r.eat(b']')?;
            Some(ActionResource {
                name,
                required,
                type_index: None,
            })
        })?;
        r.eat(b',')?;
        let condition_keys = r.strings()?;
        // A fifth element, present only when not empty: the dependent actions.
        let dependent_actions = if r.peek() == Some(b',') {
            r.eat(b',')?;
            r.strings()?
        } else {
            Vec::new()
        };
        r.eat(b']')?;
        entry_keys.push(keys);
        Some(Action {
            name,
            access,
            resources,
            condition_keys,
            dependent_actions,
        })
    })?;
    r.lit(",\"resources\":")?;
    let resource_types = r.list(|r| {
        r.eat(b'[')?;
        let name = r.str()?;
        r.eat(b',')?;
        let arns = r.strings()?;
        r.eat(b',')?;
        let condition_keys = r.strings()?;
        r.eat(b']')?;
        Some(ResourceType {
            name,
            arns,
            condition_keys,
        })
    })?;
    // Resolve each action's resource rows to indices once (the types are sorted
    // case-insensitively, as `embedded_data_is_sorted_for_binary_search` checks).
    let mut actions = actions;
    for a in &mut actions {
        for row in &mut a.resources {
            row.type_index = resource_types
                .binary_search_by(|t: &ResourceType| cmp_ci(t.name, row.name))
                .ok();
        }
    }
    r.lit(",\"conditions\":")?;
    let condition_keys = r
        .conditions()?
        .into_iter()
        .map(|(key, ty)| ConditionKey {
            key: key.to_string(),
            ty: ConditionType::parse(ty),
        })
        .collect();
    r.eat(b'}')?;
    (r.pos == line.len()).then_some(Loaded {
        service: Service {
            prefix,
            name,
            actions,
            resource_types,
            condition_keys,
        },
        entry_keys,
    })
}

/// Every condition key the catalog defines, across services, without parsing the services: only
/// the `"conditions"` tail of each line (the last field) is read.
pub(super) struct ConditionTable {
    /// Lower-cased key → (key as written, type). Keys without placeholders.
    pub exact: HashMap<String, (&'static str, ConditionType)>,
    /// Keys with placeholders (`${TagKey}`, `<key>`, trailing `/tag-key` or `/`; see
    /// [`super::pattern::placeholder_match`]), sorted case-insensitively.
    pub patterns: Vec<(&'static str, ConditionType)>,
}

static CONDITIONS: OnceLock<ConditionTable> = OnceLock::new();

pub(super) fn condition_table() -> &'static ConditionTable {
    CONDITIONS.get_or_init(|| {
        let mut exact: HashMap<String, (&'static str, ConditionType, bool)> = HashMap::new();
        let mut patterns: Vec<(&'static str, ConditionType)> = Vec::new();
        for entry in store().entries() {
            let line = entry.line();
            let tail = line
                .rfind(",\"conditions\":")
                .and_then(|i| line.get(i + ",\"conditions\":".len()..line.len() - 1))
                .expect("embedded catalog.jsonl: every line ends with the \"conditions\" field");
            let keys = Reader::new(tail)
                .conditions()
                .expect("embedded catalog.jsonl: \"conditions\" is a list of [key, type]");
            for (key, ty) in keys {
                let ty = ConditionType::parse(ty);
                if super::pattern::has_placeholder(key) {
                    if !patterns.iter().any(|(k, _)| k.eq_ignore_ascii_case(key)) {
                        patterns.push((key, ty));
                    }
                    continue;
                }
                // The first service wins, except that a service's own prefix beats a foreign one.
                let own = key
                    .split_once(':')
                    .is_some_and(|(p, _)| p.eq_ignore_ascii_case(entry.prefix));
                let lower = key.to_ascii_lowercase();
                match exact.get(&lower) {
                    Some((_, _, true)) => {}
                    Some(_) if !own => {}
                    _ => {
                        exact.insert(lower, (key, ty, own));
                    }
                }
            }
        }
        patterns.sort_by(|a, b| cmp_ci(a.0, b.0).then_with(|| a.0.cmp(b.0)));
        ConditionTable {
            exact: exact
                .into_iter()
                .map(|(k, (key, ty, _))| (k, (key, ty)))
                .collect(),
            patterns,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The byte loop orders as comparing the lower-cased texts does.
    #[test]
    fn case_insensitive_order() {
        let words = [
            "",
            "a",
            "A",
            "ab",
            "aB",
            "Ab",
            "b",
            "ListRoles",
            "ListRoleTags",
            "listroles",
            "ec2",
            "ec2-instance-connect",
            "a_b",
            "a[b",
            "Z",
            "z",
            "~",
            "aa",
            "a2c",
        ];
        for a in words {
            for b in words {
                let expected = a.to_ascii_lowercase().cmp(&b.to_ascii_lowercase());
                assert_eq!(cmp_ci(a, b), expected, "{a:?} vs {b:?}");
            }
        }
    }

    #[test]
    fn a_lookup_parses_only_its_service() {
        // A private store over the real data, so other tests cannot load services in it.
        let store: &'static Store = Box::leak(Box::new(Store::new(CATALOG_JSONL, CATALOG_INDEX)));
        assert_eq!(store.entries().len(), 457);
        let loaded = || {
            store
                .entries()
                .iter()
                .filter(|e| e.slot.get().is_some())
                .count()
        };
        assert_eq!(loaded(), 0);
        let ecr = store.find("ECR").expect("ecr in the catalog");
        assert_eq!(ecr.get().service.prefix, "ecr");
        assert_eq!(loaded(), 1);
        assert!(store.find("nosuchservice").is_none());
        assert_eq!(store.load_all().count(), 457);
        assert_eq!(loaded(), 457);
    }

    #[test]
    fn reader_agrees_with_serde_json() {
        // The hand-written reader and a JSON parser see the same facts in every line.
        for line in CATALOG_JSONL.split_terminator('\n') {
            let v: serde_json::Value = serde_json::from_str(line).expect("valid JSON");
            let l = parse_service(line);
            assert_eq!(v["prefix"], l.service.prefix.as_str());
            let actions = v["actions"].as_array().expect("actions");
            assert_eq!(actions.len(), l.service.actions.len());
            for (a, (b, keys)) in actions
                .iter()
                .zip(l.service.actions.iter().zip(&l.entry_keys))
            {
                assert_eq!(a[0], b.name);
                assert_eq!(AccessLevels::parse(a[1].as_str().expect("level")), b.access);
                let rows = a[2].as_array().expect("rows");
                assert_eq!(rows.len(), b.resources.len());
                for ((row, res), k) in rows.iter().zip(&b.resources).zip(keys) {
                    assert_eq!(row[0], res.name);
                    assert_eq!(row[1], res.required);
                    assert_eq!(row[2].as_array().expect("keys").len(), k.len());
                }
                assert_eq!(a[3].as_array().expect("keys").len(), b.condition_keys.len());
                let deps = a.get(4).and_then(|d| d.as_array()).map_or(0, Vec::len);
                assert_eq!(deps, b.dependent_actions.len());
                assert!(a.get(4).is_none() || deps > 0, "an empty fifth element");
            }
            let resources = v["resources"].as_array().expect("resources");
            assert_eq!(resources.len(), l.service.resource_types.len());
            for (a, b) in resources.iter().zip(&l.service.resource_types) {
                assert_eq!(a[0], b.name);
                assert_eq!(a[1].as_array().expect("arns").len(), b.arns.len());
            }
            assert_eq!(
                v["conditions"].as_array().expect("conditions").len(),
                l.service.condition_keys.len()
            );
        }
    }

    #[test]
    fn reader_rejects_other_shapes() {
        assert!(read_service(
            "{\"prefix\":\"x\",\"name\":\"X\",\"actions\":[],\"resources\":[],\"conditions\":[]}"
        )
        .is_some());
        for bad in [
            "",
            "{\"prefix\":\"x\"}",
            "{\"prefix\":\"x\",\"name\":\"X\",\"actions\":[],\"resources\":[],\"conditions\":[]}x",
            "{\"prefix\":\"x\",\"name\":\"X\\\"\",\"actions\":[],\"resources\":[],\"conditions\":[]}",
            "{ \"prefix\":\"x\",\"name\":\"X\",\"actions\":[],\"resources\":[],\"conditions\":[]}",
        ] {
            assert!(read_service(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn index_matches_the_lines() {
        let lines: Vec<&str> = CATALOG_JSONL.split_terminator('\n').collect();
        let store = store();
        assert_eq!(store.entries().len(), lines.len());
        for (e, l) in store.entries().iter().zip(lines) {
            assert_eq!(e.line(), l);
        }
    }

    #[test]
    fn every_resource_row_resolves_to_its_type() {
        for l in store().load_all() {
            for a in &l.service.actions {
                for row in &a.resources {
                    let t = row
                        .type_index
                        .and_then(|i| l.service.resource_types.get(i))
                        .unwrap_or_else(|| panic!("{}:{} {}", l.service.prefix, a.name, row.name));
                    assert!(t.name.eq_ignore_ascii_case(row.name));
                }
            }
        }
    }

    #[test]
    fn index_lists_the_arn_services_of_each_line() {
        for e in store().entries() {
            let mut fields: Vec<String> = e
                .get()
                .service
                .resource_types
                .iter()
                .flat_map(|t| t.arns.iter())
                .filter_map(|arn| arn.split(':').nth(2))
                .map(str::to_ascii_lowercase)
                .collect();
            fields.sort();
            fields.dedup();
            let listed: Vec<&str> = e.arn_services.split_terminator(',').collect();
            assert_eq!(listed, fields, "{}", e.prefix);
        }
    }

    #[test]
    fn condition_table_covers_every_service_key() {
        let t = condition_table();
        assert!(t.exact.contains_key("s3:prefix"));
        assert!(t
            .patterns
            .iter()
            .any(|(k, _)| *k == "s3:ExistingObjectTag/<key>"));
        // 1,600 distinct keys (case-insensitive), 140 of them patterns (131 `${...}`, 4 `<key>`,
        // 2 `/tag-key`, 3 bare trailing `/`).
        assert_eq!(t.exact.len() + t.patterns.len(), 1_600);
        assert_eq!(t.patterns.len(), 140);
    }
}
