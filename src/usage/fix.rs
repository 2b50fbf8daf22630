//! `--fix --unsafe-fixes`: narrows the statements that grant unused actions, in place. An unsafe
//! fix (it grants less: a code path the window did not see may need what it removes), never
//! applied by `--fix` alone.
//!
//! Per statement of the tree that a judged principal's policies hold: its `Action` list becomes
//! the actions it grants that were used or are not observable (a written wildcard kept where
//! every action it matches stays), and, when every one of them was narrowed to the resources the
//! calls named, its `Resource` list becomes those. The replacement list `["a", "b"]` is the same
//! text in JSON, HCL and YAML (a flow sequence). Nothing is edited when:
//! - a principal the logs did not judge (or outside the run) also holds the policy, or two
//!   principals (or two Terraform instances of one statement) would edit it differently;
//! - the list is not a literal written there (a variable, a template, an unknown element);
//! - the statement grants nothing used (it is reported, to remove by hand).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use crate::catalog::Catalog;
use crate::lint::Report;
use crate::model::{ListField, Statement};
use crate::principal::{DocRef, Model};

use super::report::{compress, PrincipalRow, Usage};

/// What `--fix` did.
#[derive(Debug, Default)]
pub struct Applied {
    /// Statements edited.
    pub fixed: usize,
    pub files: Vec<PathBuf>,
    /// Statements left alone, with why (`path:line: reason`).
    pub withheld: Vec<String>,
}

/// One proposed text edit.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Edit {
    start: usize,
    end: usize,
    text: String,
}

#[derive(Default)]
struct FileEdits {
    root: PathBuf,
    original: String,
    /// By (start, end): the replacement (`None` once two proposals differ), and the statement
    /// it edits (the offset of its `Action` list).
    edits: BTreeMap<(usize, usize), (Option<String>, usize)>,
}

/// Computes and writes the fixes (through [`crate::root::write_confined`]).
pub fn apply(usage: &Usage, report: &Report, model: &Model) -> std::io::Result<Applied> {
    let mut out = Applied::default();
    let judged: BTreeSet<usize> = usage
        .principals
        .iter()
        .filter(|r| r.matched_by.is_some())
        .map(|r| r.index)
        .collect();
    let mut files: BTreeMap<PathBuf, FileEdits> = BTreeMap::new();
    for row in usage.principals.iter().filter(|r| r.matched_by.is_some()) {
        let Some(p) = model.principals.get(row.index) else {
            continue;
        };
        for link in &p.policies {
            let DocRef::Tree { facts, .. } = link.doc else {
                continue;
            };
            let Some(doc) = model.doc(link.doc) else {
                continue;
            };
            let Some(file) = model
                .facts
                .get(facts)
                .and_then(|f| report.files.get(f.report))
            else {
                continue;
            };
            // Every principal holding this document must have been judged.
            let holders_judged =
                model.principals.iter().enumerate().all(|(i, q)| {
                    !q.policies.iter().any(|l| l.doc == link.doc) || judged.contains(&i)
                });
            for stmt in doc.statements.iter().filter(|s| s.allows()) {
                let Some(list) = stmt.action.as_ref() else {
                    continue;
                };
                let src = file.sources.get(list.span.file);
                let at = |span: crate::Span| {
                    format!("{}:{}", src.display_path(), src.position(span.start).line)
                };
                let Some(edits) = statement_edits(row, stmt, list, &src.text) else {
                    continue;
                };
                let edits = match edits {
                    Ok(edits) if holders_judged => edits,
                    Ok(_) => {
                        out.withheld.push(format!(
                            "{}: the policy is also held by a principal the logs did not judge",
                            at(list.span)
                        ));
                        continue;
                    }
                    Err(why) => {
                        out.withheld.push(format!("{}: {why}", at(list.span)));
                        continue;
                    }
                };
                let entry = files.entry(src.path.clone()).or_insert_with(|| FileEdits {
                    root: file.sources.root().to_path_buf(),
                    original: src.text.clone(),
                    edits: BTreeMap::new(),
                });
                let statement = list.span.start as usize;
                for e in edits {
                    match entry.edits.get(&(e.start, e.end)) {
                        None => {
                            entry
                                .edits
                                .insert((e.start, e.end), (Some(e.text), statement));
                        }
                        Some((Some(t), _)) if *t == e.text => {}
                        Some(_) => {
                            entry.edits.insert((e.start, e.end), (None, statement));
                        }
                    }
                }
            }
        }
    }
    for (path, f) in files {
        let mut edits: Vec<(usize, usize, String, usize)> = Vec::new();
        for ((start, end), (text, statement)) in f.edits {
            match text {
                Some(t) => edits.push((start, end, t, statement)),
                None => out.withheld.push(format!(
                    "{}: principals (or instances) sharing this statement used different actions",
                    crate::source::display_path(&path)
                )),
            }
        }
        // Apply from the end; overlapping edits are dropped.
        edits.sort_by_key(|e| std::cmp::Reverse(e.0));
        let mut text = f.original.clone();
        let mut limit = usize::MAX;
        // A statement may take two edits (its `Action` and its `Resource` list): count it once.
        let mut statements = BTreeSet::new();
        for (start, end, t, statement) in edits {
            if end > limit || end > text.len() || !text.is_char_boundary(start) {
                continue;
            }
            text.replace_range(start..end, &t);
            limit = start;
            statements.insert(statement);
        }
        if statements.is_empty() || text == f.original {
            continue;
        }
        crate::root::write_confined(&f.root, &path, text.as_bytes())?;
        out.fixed += statements.len();
        out.files.push(path);
    }
    Ok(out)
}

/// The edits of one statement for one principal: `None` when it grants nothing unused,
/// `Err` when it cannot be edited.
fn statement_edits(
    row: &PrincipalRow,
    stmt: &Statement,
    list: &ListField,
    text: &str,
) -> Option<Result<Vec<Edit>, String>> {
    let catalog = Catalog::get();
    let unused: BTreeSet<&str> = row.unused.iter().map(|u| u.action.as_str()).collect();
    let mut granted: BTreeSet<String> = BTreeSet::new();
    for pattern in list.known() {
        for a in catalog.expand(pattern.value) {
            granted.insert(a.full_name());
        }
    }
    if list.negated {
        return granted
            .iter()
            .any(|a| unused.contains(a.as_str()))
            .then(|| Err("a `NotAction` statement: narrow it by hand".to_string()));
    }
    if !granted.iter().any(|a| unused.contains(a.as_str())) {
        return None;
    }
    let keep: BTreeSet<String> = granted
        .iter()
        .filter(|a| row.scopes.contains_key(a.as_str()))
        .cloned()
        .collect();
    if keep.is_empty() {
        return Some(Err(
            "grants nothing the principal used: remove the statement".to_string(),
        ));
    }
    if list.has_unknown() || !literal_list(text, list.span.start, list.span.end) {
        return Some(Err(
            "the action list is not a literal written here".to_string()
        ));
    }
    let written: Vec<String> = list.known().map(|a| a.value.to_string()).collect();
    let actions = compress(keep.clone(), &written, false);
    let mut edits = vec![Edit {
        start: list.span.start as usize,
        end: list.span.end as usize,
        text: render(&actions),
    }];
    // Resources: only when every kept action was narrowed to named resources, without conditions.
    let mut resources: BTreeSet<String> = BTreeSet::new();
    let narrowed = keep.iter().all(|a| {
        row.scopes.get(a).is_some_and(|scopes| {
            scopes.iter().all(|s| {
                resources.extend(s.resources.iter().cloned());
                s.narrowed
            })
        })
    });
    if let Some(res) = stmt.resource.as_ref() {
        let resource_literal =
            !res.negated && !res.has_unknown() && literal_list(text, res.span.start, res.span.end);
        if narrowed && resource_literal && stmt.condition.is_none() {
            let resources: Vec<String> = resources.into_iter().collect();
            edits.push(Edit {
                start: res.span.start as usize,
                end: res.span.end as usize,
                text: render(&resources),
            });
        }
    }
    Some(Ok(edits))
}

/// Whether `text[start..end]` is a literal string or list written in place (not a reference).
fn literal_list(text: &str, start: u32, end: u32) -> bool {
    let Some(slice) = text.get(start as usize..end as usize) else {
        return false;
    };
    let t = slice.trim_start();
    let opens =
        t.starts_with('[') || t.starts_with('"') || t.starts_with('-') || t.starts_with('\'');
    let plain_yaml = !t.is_empty()
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || ":*?-_".contains(c));
    (opens || plain_yaml)
        && !slice.contains("${")
        && !slice.contains("var.")
        && !slice.contains("local.")
        && !slice.contains('!')
        && !slice.contains('#')
}

/// `["a", "b"]`: a JSON list, an HCL list and a YAML flow sequence alike.
fn render(items: &[String]) -> String {
    let quoted: Vec<String> = items
        .iter()
        .map(|i| serde_json::to_string(i).unwrap_or_else(|_| format!("\"{i}\"")))
        .collect();
    format!("[{}]", quoted.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_literals_written_in_place_are_edited() {
        assert!(literal_list(r#"["s3:*", "dynamodb:*"]"#, 0, 21));
        assert!(literal_list("s3:*", 0, 4));
        assert!(literal_list("- s3:*\n  - sqs:*", 0, 15));
        assert!(!literal_list("var.actions", 0, 11));
        assert!(!literal_list("!Ref Actions", 0, 12));
        assert!(!literal_list(r#"["${local.a}"]"#, 0, 13));
        assert_eq!(
            render(&["s3:GetObject".to_string(), "s3:PutObject".to_string()]),
            r#"["s3:GetObject", "s3:PutObject"]"#
        );
    }
}
