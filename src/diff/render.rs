//! The outputs of `iamlint diff`: human, JSON, Markdown and GitHub annotations.
//!
//! Every value from the two sides (policy addresses, paths, messages, action names, revisions,
//! errors) is escaped where it is written, by the escaping layer ([`crate::escape`]): as one line
//! of text in the human output, as a code span it cannot close in Markdown, as a workflow-command
//! field in the GitHub output. [`render`] then passes every line through [`escape::line`] (or the
//! JSON through [`escape::Json`]).

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::links::Links;
use super::{Change, DiffFormat, DiffReport, Direction, FailOn};
use crate::catalog::AccessLevels;
use crate::escape::{self, github_message, github_property, markdown_code};
use crate::text::{plural, thousands};

/// Policies in output order: those with a widening first, then by address; within a policy,
/// widenings first.
fn grouped(report: &DiffReport) -> Vec<(&str, Vec<&Change>)> {
    let mut by_policy: BTreeMap<&str, Vec<&Change>> = BTreeMap::new();
    for c in &report.changes {
        by_policy.entry(c.policy.as_str()).or_default().push(c);
    }
    let mut groups: Vec<(&str, Vec<&Change>)> = by_policy.into_iter().collect();
    for (_, changes) in &mut groups {
        changes.sort_by_key(|c| (c.direction, c.kind));
    }
    groups.sort_by_key(|(policy, changes)| {
        (
            !changes.iter().any(|c| c.direction == Direction::Widening),
            *policy,
        )
    });
    groups
}

fn summary(report: &DiffReport) -> String {
    format!(
        "{}, {}",
        plural(report.widenings(), "widening"),
        plural(report.narrowings(), "narrowing")
    )
}

/// `path:line:col`, with `(base)` after a place in the base side (a removed line).
fn location(c: &Change) -> String {
    let at = if c.line == 0 {
        c.path.clone()
    } else {
        format!("{}:{}:{}", c.path, c.line, c.column)
    };
    if c.in_head || at.is_empty() {
        at
    } else {
        format!("{at} (base)")
    }
}

/// Counts by access level, most powerful first: `Permissions management 2, Write 5, Read 1`.
fn levels(c: &Change) -> String {
    AccessLevels::LISTING_ORDER
        .iter()
        .filter_map(|l| {
            c.access_levels
                .get(l)
                .map(|n| format!("{l} {}", thousands(*n)))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Writes `report` in `format`, every line through the escaping layer.
pub fn render(
    report: &DiffReport,
    format: DiffFormat,
    color: bool,
    links: Option<&Links>,
    w: &mut dyn Write,
) -> io::Result<()> {
    match format {
        DiffFormat::Json => json(report, &mut escape::Json::new(w)),
        DiffFormat::Github => github(report, w),
        DiffFormat::Human | DiffFormat::Markdown => {
            let mut lines = escape::Lines::new(w);
            if format == DiffFormat::Human {
                human(report, color, &mut lines)?;
            } else {
                markdown(report, links, &mut lines)?;
            }
            lines.flush()
        }
    }
}

fn human(report: &DiffReport, color: bool, w: &mut dyn Write) -> io::Result<()> {
    use escape::text;
    writeln!(
        w,
        "iamlint diff: {} -> {}",
        text(&report.base),
        text(&report.head)
    )?;
    for e in &report.base_errors {
        writeln!(w, "note: in {}: {}", text(&report.base), text(e))?;
    }
    for e in &report.errors {
        writeln!(w, "error: {}", text(e))?;
    }
    if report.changes.is_empty() {
        writeln!(w, "\nno permission change")?;
        return Ok(());
    }
    for (policy, changes) in grouped(report) {
        writeln!(w, "\n{}", text(policy))?;
        for c in changes {
            let sign = match (c.direction, color) {
                (Direction::Widening, false) => "+",
                (Direction::Narrowing, false) => "-",
                // Red for what is granted, green for what is taken away.
                (Direction::Widening, true) => "\x1b[1;31m+\x1b[0m",
                (Direction::Narrowing, true) => "\x1b[32m-\x1b[0m",
            };
            let unjudged = if c.judged { "" } else { " [cannot be judged]" };
            writeln!(
                w,
                "  {sign} {} {}{unjudged}: {}",
                c.kind.as_str(),
                text(&location(c)),
                text(&c.message)
            )?;
            if !c.access_levels.is_empty() {
                writeln!(w, "      by access level: {}", levels(c))?;
            }
        }
    }
    writeln!(w, "\n{}", summary(report))
}

/// At most this many action names per change in JSON (`actions_total` has the count).
const MAX_JSON_ACTIONS: usize = 1000;

fn json(report: &DiffReport, w: &mut dyn Write) -> io::Result<()> {
    use serde_json::{json, Value};
    let changes: Vec<Value> = report
        .changes
        .iter()
        .map(|c| {
            json!({
                "direction": c.direction.as_str(),
                "kind": c.kind.as_str(),
                "policy": c.policy,
                "path": c.path,
                "line": c.line,
                "column": c.column,
                "side": if c.in_head { "head" } else { "base" },
                "message": c.message,
                "actions": c.actions.iter().take(MAX_JSON_ACTIONS).collect::<Vec<_>>(),
                "actions_total": c.actions_total,
                "access_levels": c.access_levels,
                "judged": c.judged,
                "suppressed_by_change": c.suppressed_by_change,
                "level": c.level.as_str(),
            })
        })
        .collect();
    let doc = json!({
        "version": 1,
        "base": report.base,
        "head": report.head,
        "changes": changes,
        "summary": {"widenings": report.widenings(), "narrowings": report.narrowings()},
        "errors": report.errors,
        "base_errors": report.base_errors,
    });
    serde_json::to_writer_pretty(&mut *w, &doc)?;
    writeln!(w)
}

/// A value in a table cell: a code span it cannot close, `|` escaped.
fn cell(s: &str) -> String {
    markdown_code(s, true)
}

/// A value outside the table: a code span it cannot close.
fn code(s: &str) -> String {
    markdown_code(s, false)
}

/// At most this many action names per change in Markdown (a comment is limited to 65,536 characters).
const MAX_MARKDOWN_ACTIONS: usize = 40;

/// What a group's widenings grant, by access level, most powerful first: `Write 3, Read 1`.
fn new_by_level(changes: &[&Change]) -> String {
    let mut total: BTreeMap<&str, usize> = BTreeMap::new();
    for c in changes
        .iter()
        .filter(|c| c.direction == Direction::Widening && c.level != FailOn::None)
    {
        for (level, n) in &c.access_levels {
            *total.entry(level).or_default() += n;
        }
    }
    AccessLevels::LISTING_ORDER
        .iter()
        .filter_map(|l| total.get(l).map(|n| format!("{l} {}", thousands(*n))))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Per principal (or policy): who can assume it, what is new by access level, then one row per
/// change with its resource, conditions and place (`path:line`, base-side places marked).
fn markdown(report: &DiffReport, links: Option<&Links>, w: &mut dyn Write) -> io::Result<()> {
    writeln!(w, "### iamlint diff: {}", summary(report))?;
    writeln!(w, "\n{} → {}\n", code(&report.base), code(&report.head))?;
    for e in &report.errors {
        writeln!(w, "- **error**: {}", code(e))?;
    }
    if report.changes.is_empty() {
        writeln!(w, "No permission change.")?;
        return Ok(());
    }
    let groups = grouped(report);
    for (policy, changes) in &groups {
        writeln!(w, "\n**{}**\n", code(policy))?;
        if let Some(who) = report.assumable_by.get(*policy) {
            let who: Vec<String> = who.iter().map(|t| code(t)).collect();
            let who = if who.is_empty() {
                "no trust policy in the tree".to_string()
            } else {
                who.join(", ")
            };
            writeln!(w, "- assumable by: {who}")?;
        }
        let by_level = new_by_level(changes);
        if !by_level.is_empty() {
            writeln!(w, "- new by access level: {by_level}")?;
        }
        writeln!(w, "\n| | Change | Access | Where |")?;
        writeln!(w, "|---|---|---|---|")?;
        for c in changes {
            let icon = match (c.direction, c.judged, c.level) {
                (Direction::Widening, _, FailOn::None) => "⚪ not effective",
                (Direction::Widening, true, _) => "🔺 widening",
                (Direction::Widening, false, _) => "❔ cannot be judged",
                (Direction::Narrowing, _, _) => "🔻 narrowing",
            };
            let level = if c.direction == Direction::Widening {
                format!("{} ", c.level.as_str())
            } else {
                String::new()
            };
            // The place, as a link to the changed line when the forge is known: iamlint's own
            // link, whose text is the place's code span and whose URL is built from encoded parts.
            let place = match links.and_then(|l| l.to(&c.path, c.line, c.in_head)) {
                Some(url) => format!("[{}]({url})", cell(&location(c))),
                None => cell(&location(c)),
            };
            writeln!(
                w,
                "| {icon} | **{}** {} | {level}{} | {place} |",
                c.kind.as_str(),
                cell(&c.message),
                levels(c),
            )?;
        }
    }
    writeln!(w, "\n<details><summary>Actions by change</summary>\n")?;
    for (policy, changes) in &groups {
        for c in changes.iter().filter(|c| !c.actions.is_empty()) {
            writeln!(
                w,
                "- {} {} ({}): {}",
                code(policy),
                c.kind.as_str(),
                levels(c),
                c.actions
                    .iter()
                    .take(MAX_MARKDOWN_ACTIONS)
                    .map(|a| code(a))
                    .collect::<Vec<_>>()
                    .join(", ")
            )?;
            if c.actions_total > MAX_MARKDOWN_ACTIONS {
                writeln!(
                    w,
                    "  and {} more",
                    thousands(c.actions_total - MAX_MARKDOWN_ACTIONS)
                )?;
            }
        }
    }
    writeln!(w, "\n</details>")
}

fn github(report: &DiffReport, w: &mut dyn Write) -> io::Result<()> {
    let mut command = |line: String| writeln!(w, "{}", escape::command_line(&line));
    for e in &report.errors {
        command(format!("::error title=iamlint diff::{}", github_message(e)))?;
    }
    for c in &report.changes {
        // Actions outside the permissions boundary (level `none`) grant nothing: a notice.
        let level = match (c.direction, c.level) {
            (Direction::Widening, FailOn::None) | (Direction::Narrowing, _) => "notice",
            (Direction::Widening, _) => "warning",
        };
        let title = github_property(&format!("{} ({})", c.kind.as_str(), c.policy));
        let message = github_message(&c.message);
        if c.in_head && c.line > 0 {
            command(format!(
                "::{level} file={},line={},col={},title={title}::{message}",
                github_property(&c.path),
                c.line,
                c.column
            ))?;
        } else {
            // Removed lines have no place in the head tree: an annotation on the run.
            command(format!(
                "::{level} title={title}::{message} (was at {})",
                github_message(&location(c))
            ))?;
        }
    }
    let line = format!("iamlint diff: {}", summary(report));
    writeln!(w, "{}", escape::line(&line))
}
