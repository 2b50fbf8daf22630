use std::cell::RefCell;
use std::sync::OnceLock;

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use crate::catalog::{Catalog, ConditionType, ResourceType, Service};
use crate::memo::Shared;

use crate::model::action::has_wildcard;
use crate::rules::prelude::*;
use crate::text::{list_some, thousands};

declare_rule! {
    /// Flags `Resource: "*"` on actions that can be scoped to specific resources.
    ///
    /// ## What it does
    /// For an Allow statement in an identity policy with `"*"` in `Resource`, looks up each action
    /// (expanding wildcards) in the embedded Service Authorization Reference. It fires only when at
    /// least one action accepts a resource type, and names those actions and the ARN formats they
    /// accept. Actions that cannot be scoped (`ecr:GetAuthorizationToken`, `sts:GetCallerIdentity`,
    /// `s3:ListAllMyBuckets`) are never flagged on `"*"`, nor are List and Read actions whose only
    /// resource type is optional (`cloudformation:DescribeStacks`, `cloudwatch:GetMetricData`): called
    /// without a resource they list or read across the account, which only `"*"` allows. Several
    /// optional resource types are alternatives (`s3:GetObject` on an object or an access point
    /// object), so such actions are still flagged. Where AWS documents an action with only optional
    /// resource types on `"*"` (`cloudwatch:PutMetricData`, scoped by `cloudwatch:namespace`), the
    /// reviewed table `rules/reviewed/actions-on-star.tsv` lists it, with the page, and it is left
    /// alone too. Also left alone: resource policies (their `"*"` means the resource they are
    /// attached to, as in a KMS key policy), Deny statements, and statements scoped by a
    /// `ResourceTag` condition (attribute-based access control); a negated one
    /// (`StringNotEquals aws:ResourceTag/team`) scopes nothing and does not count. So are a
    /// statement with a positive, non-`IfExists` condition on a service's ARN-typed key that one
    /// of its actions lists (`ecs:cluster` on `ecs:DescribeContainerInstances`), and one whose
    /// actions another statement of the document denies without condition on every ARN of their
    /// service (`sns:Publish` denied on `arn:aws:sns:*:*:*` leaves only phone numbers, which have
    /// no ARN).
    ///
    /// ## Why is this bad?
    /// `"*"` grants the actions on every resource of the account, present and future: a role that
    /// should pull one image can pull every image, a reader of one bucket reads them all.
    ///
    /// ## Example
    /// ```json,fail
    /// {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], "Resource": "*"}]}
    /// ```
    ///
    /// Use instead:
    /// ```json,pass
    /// {"Version": "2012-10-17", "Statement": [
    ///   {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
    ///   {"Effect": "Allow", "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], "Resource": "arn:aws:ecr:us-east-1:111122223333:repository/app"}
    /// ]}
    /// ```
    ///
    /// ## Fix safety
    /// Display-only: the suggested statements put the ARN templates of the resource types the
    /// actions accept, with `<placeholders>` to fill in, where `"*"` was; actions that cannot be
    /// scoped stay on `"*"` in a statement of their own.
    ///
    /// ## Known limitations
    /// Whether an action runs without a resource is read from the reference's "required" marks,
    /// which are coarse: a few Read actions with one optional type do need it
    /// (`sns:ListTagsForResource`) and are not flagged, and a Write action whose resource is
    /// optional is still flagged unless the reviewed table lists it.
    ///
    /// ## References
    /// - [Actions, resources, and condition keys for AWS services](https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html)
    /// - [IAM JSON policy elements: Resource](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html)
    /// - [Using condition keys to limit access to CloudWatch namespaces](https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/iam-cw-condition-keys-namespace.html)
    pub ResourceStar {
        id: "resource-star",
        category: LeastPrivilege,
        severity: Warning,
        fix: Sometimes,
    }
}

impl Rule for ResourceStar {
    fn check_document(&self, doc: &PolicyDoc, cx: &Ctx, out: &mut Vec<Finding>) {
        if matches!(doc.kind, PolicyKind::Resource | PolicyKind::Trust) {
            return;
        }
        // The document's Deny statements on every ARN of a service, found once: asking every
        // statement's siblings made a document of many `"*"` statements quadratic.
        let denies: Vec<&Statement> = doc
            .statements
            .iter()
            .filter(|d| denies_every_arn(d).is_some())
            .collect();
        for stmt in &doc.statements {
            check_statement(stmt, doc, &denies, cx, out);
        }
    }
}

/// One statement of a document whose every-ARN denies are `denies`.
fn check_statement(
    stmt: &Statement,
    doc: &PolicyDoc,
    denies: &[&Statement],
    cx: &Ctx,
    out: &mut Vec<Finding>,
) {
    if !stmt.allows() {
        return;
    }
    let Some(resources) = stmt.resources() else {
        return;
    };
    let Some(star) = resources.known().find(|r| r.value == "*") else {
        return;
    };
    let Some(actions) = stmt.actions() else {
        return;
    };
    // A tag condition scopes the statement (attribute-based access control) unless it is
    // negated: `StringNotEquals aws:ResourceTag/team = x` still reaches every other resource.
    if stmt.condition.as_ref().is_some_and(|c| {
        c.entries().any(|(op, e)| {
            let negated = op
                .name
                .value
                .as_str()
                .is_none_or(|o| o.to_ascii_lowercase().contains("not"));
            !negated
                && e.key
                    .value
                    .as_str()
                    .is_some_and(|k| k.to_ascii_lowercase().contains("resourcetag/"))
        })
    }) {
        return;
    }
    if denied_on_every_arn(stmt, denies) || scoped_by_resource_key(stmt, cx) {
        return;
    }
    let entries: Vec<(Held, &str, Span)> = actions
        .known()
        .map(|a| (Entry::of(cx.catalog, a.value), a.value, a.span))
        .collect();
    let Some(union) = Union::of(&entries) else {
        return;
    };
    let names: Vec<String> = union
        .written
        .iter()
        .map(|&i| entries[i].1.to_string())
        .collect();
    let scoped = if names.iter().any(|n| has_wildcard(n)) {
        format!(
            "{} of the actions {} can be scoped",
            thousands(union.count),
            if names.len() == 1 {
                "it matches"
            } else {
                "they match"
            }
        )
    } else if union.count == 1 {
        "it can be scoped".to_string()
    } else {
        "they can be scoped".to_string()
    };
    let message = format!(
        "`\"*\"` grants {} on every resource, though {scoped}",
        list_some(&names, 3)
    );
    let templates = union.templates();
    let help = match (templates.len(), union.more_templates) {
        (0, _) => "scope the resources to the ARNs this principal uses".to_string(),
        (1, 0) => format!("scope the resource to ARNs of the form `{}`", templates[0]),
        (n, 0) => format!(
            "scope the resources to ARNs of the forms {}",
            list_some(templates, 3.min(n))
        ),
        (_, more) => {
            // The summary of `"*"` keeps the first templates and the count of the others.
            let shown: Vec<String> = templates.iter().map(|t| format!("`{t}`")).collect();
            format!(
                "scope the resources to ARNs of the forms {} and {} more",
                shown.join(", "),
                more
            )
        }
    };
    let mut finding = ResourceStar::finding(star.span, message)
        .help(help)
        .path(stmt.path.clone());
    if let Some(fix) = scoped_statements(stmt, doc, &entries) {
        finding = finding.fix(fix);
    }
    for &i in union.written.iter().take(5) {
        finding = finding.related(entries[i].2, "can be scoped");
    }
    out.push(finding.build());
}

/// What one `Action` entry contributes. Computed once per distinct entry in a run: a repository
/// repeats `"*"` and `s3:*` in many statements (`"*"` alone matches some 18,000 actions), and a
/// managed-policy corpus repeats the same action names thousands of times.
struct Entry {
    /// Whether the entry matches any action at all.
    matches: bool,
    /// Whether a matched action suits `"*"` (see [`on_star`]).
    any_on_star: bool,
    /// The matched actions that can be scoped and need a resource, in [`Catalog::expand`] order.
    scopable: Vec<ActionRef>,
    /// The one service of `scopable`, when there is one: entries of different services share no
    /// action.
    service: Option<&'static Service>,
    /// How often each resource type is accepted by `scopable`.
    histogram: OnceLock<Vec<(&'static ResourceType, usize)>>,
    /// ARN templates of the resource types `scopable` accepts, most used first, then plainest.
    templates: OnceLock<Vec<&'static str>>,
    /// How the entry is written in the suggested fix.
    fix: OnceLock<EntryFix>,
    /// `scopable` as a set of action addresses, built when another entry must be checked against it.
    members: OnceLock<HashSet<usize>>,
}

enum EntryFix {
    /// Matches no action: no fix is offered for the statement.
    NoMatch,
    /// Stays on `"*"` as written.
    OnStar,
    /// The ARN templates (with placeholders) of the plainest resource type of each action, sorted.
    Scoped(Vec<String>),
    /// More templates than a suggestion should hold: no fix is offered for the statement.
    TooMany,
}

/// Entries shared by the threads (`"*"` is worth computing once), by pattern (at most this many
/// distinct patterns per run) and by catalog action. They are kept for the whole run, so they are
/// leaked and handed out as plain references: no reference counts for the threads to contend on.
static PATTERNS: Shared<String, &'static Entry> = Shared::new(4096);
static ACTIONS: Shared<usize, &'static Entry> = Shared::new(usize::MAX);

thread_local! {
    /// Each thread's view of the shared tables, asked first: most lookups find an entry already
    /// computed, and the shared tables take a lock.
    static NEAR_ACTIONS: RefCell<HashMap<usize, &'static Entry>> = RefCell::default();
    static NEAR_PATTERNS: RefCell<HashMap<String, &'static Entry>> = RefCell::default();
}

/// An entry: one of the shared tables', or one computed for a single statement (an action the
/// catalog does not know, or a pattern past the table's bound).
enum Held {
    Kept(&'static Entry),
    Own(Box<Entry>),
}

impl std::ops::Deref for Held {
    type Target = Entry;

    fn deref(&self) -> &Entry {
        match self {
            Held::Kept(e) => e,
            Held::Own(e) => e,
        }
    }
}

fn keep(entry: Entry) -> &'static Entry {
    Box::leak(Box::new(entry))
}

impl Entry {
    fn of(catalog: &Catalog, action: &str) -> Held {
        if action == "*" {
            // Everything: summarised by `rules/catalog/star-summary.tsv`, never expanded here.
            return Held::Kept(star_entry());
        }
        if !has_wildcard(action) {
            let Some(found) = catalog.action(action) else {
                return Held::Own(Box::new(Self::compute(Vec::new())));
            };
            // Keyed by the action, not the text: the catalog's actions bound the table.
            let key = address(&found);
            if let Some(e) = NEAR_ACTIONS.with(|t| t.borrow().get(&key).copied()) {
                return Held::Kept(e);
            }
            let e = ACTIONS.get_or_compute(&key, || keep(Self::compute(vec![found])));
            NEAR_ACTIONS.with(|t| t.borrow_mut().insert(key, e));
            return Held::Kept(e);
        }
        if let Some(e) = NEAR_PATTERNS.with(|t| t.borrow().get(action).copied()) {
            return Held::Kept(e);
        }
        let compute = || Self::compute(catalog.expand(action));
        match PATTERNS.get_or_compute_if_room(action, || keep(compute())) {
            Some(e) => {
                NEAR_PATTERNS.with(|t| t.borrow_mut().insert(action.to_string(), e));
                Held::Kept(e)
            }
            None => Held::Own(Box::new(compute())),
        }
    }

    fn compute(matched: Vec<ActionRef>) -> Entry {
        let scopable: Vec<ActionRef> = matched.iter().filter(|a| !on_star(a)).copied().collect();
        let service = scopable
            .first()
            .map(|a| a.service)
            .filter(|first| scopable.iter().all(|a| std::ptr::eq(a.service, *first)));
        Entry {
            matches: !matched.is_empty(),
            any_on_star: matched.iter().any(on_star),
            scopable,
            service,
            histogram: OnceLock::new(),
            templates: OnceLock::new(),
            fix: OnceLock::new(),
            members: OnceLock::new(),
        }
    }

    fn templates(&self) -> &[&'static str] {
        self.templates
            .get_or_init(|| templates_of(self.histogram()))
    }

    fn histogram(&self) -> &[(&'static ResourceType, usize)] {
        self.histogram
            .get_or_init(|| ActionRef::count_resource_types(&self.scopable))
    }

    /// How the entry, as `written`, appears in the suggested statements.
    fn fix(&self, written: &str) -> &EntryFix {
        self.fix
            .get_or_init(|| self.compute_fix(has_wildcard(written)))
    }

    fn compute_fix(&self, wildcard: bool) -> EntryFix {
        if !self.matches {
            return EntryFix::NoMatch;
        }
        if wildcard && self.any_on_star {
            // A pattern that also matches actions needing `"*"` stays on `"*"` as written.
            return EntryFix::OnStar;
        }
        // The plainest template of each action, once each (by identity: an expansion repeats them).
        let mut plainest: Vec<&'static str> = Vec::new();
        let mut seen = HashSet::new();
        let mut any_unscopable = self.any_on_star;
        for a in &self.scopable {
            let best = a
                .resource_types()
                .flat_map(|t| t.arns.iter())
                .min_by(|x, y| x.len().cmp(&y.len()).then_with(|| x.cmp(y)));
            match best {
                Some(t) => {
                    if seen.insert(t.as_ptr()) {
                        plainest.push(t);
                    }
                }
                None => any_unscopable = true,
            }
        }
        if plainest.is_empty() || (any_unscopable && wildcard) {
            return EntryFix::OnStar;
        }
        let mut templates: Vec<String> = Vec::new();
        for t in plainest {
            let filled = crate::recipes::fill_with_placeholders(t);
            if !templates.contains(&filled) {
                templates.push(filled);
                if templates.len() > MAX_TEMPLATES {
                    return EntryFix::TooMany;
                }
            }
        }
        templates.sort();
        EntryFix::Scoped(templates)
    }

    fn contains(&self, a: &ActionRef) -> bool {
        self.members
            .get_or_init(|| self.scopable.iter().map(address).collect())
            .contains(&address(a))
    }
}

fn address(a: &ActionRef) -> usize {
    std::ptr::from_ref(a.action) as usize
}

/// An action that `"*"` suits: it accepts no resource type, lists and reads without one, or AWS
/// documents it on `"*"` (`rules/reviewed/actions-on-star.tsv`).
fn on_star(a: &ActionRef) -> bool {
    !a.action.is_scopable() || a.action.runs_without_resource() || a.reviewed_on_star().is_some()
}

/// ARN templates of the resource types, most used first, then plainest. Counted per resource type
/// first (an expansion names the same few types over and over), then per template text.
fn templates_of(types: &[(&'static ResourceType, usize)]) -> Vec<&'static str> {
    let mut counts: HashMap<&'static str, usize> = HashMap::new();
    for (t, n) in types {
        for arn in &t.arns {
            *counts.entry(*arn).or_default() += n;
        }
    }
    sorted(counts.into_iter().map(|(t, n)| (n, t)).collect())
}

/// A statement's list of actions is short: its templates are counted in a vector, without the
/// per-service counters and the hash map that a wildcard's thousands of actions need.
const FEW_ACTIONS: usize = 32;

/// [`templates_of`] the resource types of `actions`.
fn templates_of_actions(actions: &[ActionRef]) -> Vec<&'static str> {
    if actions.len() > FEW_ACTIONS {
        return templates_of(&ActionRef::count_resource_types(actions));
    }
    let mut counts: Vec<(usize, &'static str)> = Vec::new();
    for a in actions {
        for t in a.resource_types() {
            for &arn in &t.arns {
                match counts.iter_mut().find(|(_, known)| *known == arn) {
                    Some((n, _)) => *n += 1,
                    None => counts.push((1, arn)),
                }
            }
        }
    }
    sorted(counts)
}

/// Templates by count, most used first, then plainest (shortest), then by text.
fn sorted(mut counts: Vec<(usize, &'static str)>) -> Vec<&'static str> {
    counts.sort_by(|(na, a), (nb, b)| nb.cmp(na).then(a.len().cmp(&b.len())).then(a.cmp(b)));
    counts.into_iter().map(|(_, t)| t).collect()
}

/// The scopable actions of a statement's entries together.
struct Union<'e> {
    /// Distinct scopable actions.
    count: usize,
    /// Templates beyond those [`Union::templates`] lists (only the summary of `"*"` has any).
    more_templates: usize,
    /// Entries (indices) that add scopable actions not granted by an earlier entry.
    written: Vec<usize>,
    templates: UnionTemplates<'e>,
}

enum UnionTemplates<'e> {
    /// One entry covers all the others: its templates are the union's.
    Entry(&'e Entry),
    Own(Vec<&'static str>),
}

impl<'e> Union<'e> {
    /// `None` when no entry grants a scopable action.
    fn of(entries: &'e [(Held, &str, Span)]) -> Option<Union<'e>> {
        if let Some(star) = entries.iter().position(|(_, text, _)| *text == "*") {
            return Some(Union::with_star(entries, star));
        }
        let (widest, _) = entries
            .iter()
            .enumerate()
            .filter(|(_, (e, ..))| !e.scopable.is_empty())
            .max_by(|(i, (a, ..)), (j, (b, ..))| {
                a.scopable.len().cmp(&b.scopable.len()).then(j.cmp(i))
            })?;
        let big: &Entry = &entries[widest].0;
        let covered = entries
            .iter()
            .enumerate()
            .all(|(i, (e, ..))| i == widest || e.scopable.iter().all(|a| big.contains(a)));
        // Actions of the entries seen so far (by address): an entry is named only for what it adds.
        let mut seen = HashSet::new();
        let mut written = Vec::new();
        if covered {
            // Entries after the widest add nothing; those before it are all inside it.
            for (i, (e, ..)) in entries.iter().enumerate().take(widest) {
                let before = seen.len();
                seen.extend(e.scopable.iter().map(address));
                if seen.len() > before {
                    written.push(i);
                }
            }
            if seen.len() < big.scopable.len() {
                written.push(widest);
            }
            return Some(Union {
                more_templates: 0,
                count: big.scopable.len(),
                written,
                templates: UnionTemplates::Entry(big),
            });
        }
        Union::of_services(entries).or_else(|| Some(Union::generic(entries)))
    }

    /// The union when entry `star` is `"*"`: it covers every other entry, so the union is what
    /// `"*"` grants, read from the precomputed summary. Entries before it are named for the
    /// actions they add, as [`Union::of`] names entries before the widest one.
    fn with_star(entries: &'e [(Held, &str, Span)], star: usize) -> Union<'e> {
        let summary = star_summary();
        let mut seen = HashSet::new();
        let mut written = Vec::new();
        for (i, (e, ..)) in entries.iter().enumerate().take(star) {
            let before = seen.len();
            seen.extend(e.scopable.iter().map(address));
            if seen.len() > before {
                written.push(i);
            }
        }
        if seen.len() < summary.count {
            written.push(star);
        }
        Union {
            more_templates: summary.more_templates,
            count: summary.count,
            written,
            templates: UnionTemplates::Own(summary.templates.clone()),
        }
    }

    /// The union of any entries, action by action.
    fn generic(entries: &'e [(Held, &str, Span)]) -> Union<'e> {
        let mut seen = HashSet::new();
        let mut written = Vec::new();
        let mut all: Vec<ActionRef> = Vec::new();
        for (i, (e, ..)) in entries.iter().enumerate() {
            let before = all.len();
            all.extend(e.scopable.iter().filter(|a| seen.insert(address(a))));
            if all.len() > before {
                written.push(i);
            }
        }
        Union {
            more_templates: 0,
            count: all.len(),
            written,
            templates: UnionTemplates::Own(templates_of_actions(&all)),
        }
    }

    /// The union of entries of distinct single services (`s3:Get*`, `ec2:Describe*`): no action
    /// is in two of them, so their counts add up and each entry's resource types are counted
    /// once per run, not once per statement. `None` when two entries may overlap.
    fn of_services(entries: &'e [(Held, &str, Span)]) -> Option<Union<'e>> {
        let mut services: Vec<&'static Service> = Vec::new();
        let mut written = Vec::new();
        let mut histogram: Vec<(&'static ResourceType, usize)> = Vec::new();
        let mut count = 0;
        for (i, (e, ..)) in entries.iter().enumerate() {
            if e.scopable.is_empty() {
                continue;
            }
            let service = e.service?;
            if services.iter().any(|s| std::ptr::eq(*s, service)) {
                return None;
            }
            services.push(service);
            written.push(i);
            count += e.scopable.len();
            histogram.extend_from_slice(e.histogram());
        }
        Some(Union {
            more_templates: 0,
            count,
            written,
            templates: UnionTemplates::Own(templates_of(&histogram)),
        })
    }

    fn templates(&self) -> &[&'static str] {
        match &self.templates {
            UnionTemplates::Entry(e) => e.templates(),
            UnionTemplates::Own(t) => t,
        }
    }
}

/// What `"*"` grants that can be scoped: the count of such actions and the most used ARN templates.
/// Precomputed from the embedded catalog (`cargo xtask gen-star` writes
/// `rules/catalog/star-summary.tsv`; a test checks it is up to date), so that a small file with
/// `"Action": "*"` does not parse the whole catalog.
pub struct StarSummary {
    pub count: usize,
    /// How many templates there are beyond `templates`.
    pub more_templates: usize,
    /// The first [`STAR_TEMPLATES`] templates, most used first.
    pub templates: Vec<&'static str>,
}

/// How many templates the summary keeps: messages show three and count the rest.
const STAR_TEMPLATES: usize = 3;

const STAR_SUMMARY_TSV: &str = include_str!("../../../rules/catalog/star-summary.tsv");

fn star_summary() -> &'static StarSummary {
    static SUMMARY: OnceLock<StarSummary> = OnceLock::new();
    SUMMARY.get_or_init(|| {
        let mut count = 0;
        let mut total: usize = 0;
        let mut templates = Vec::new();
        for line in STAR_SUMMARY_TSV.lines().filter(|l| !l.starts_with('#')) {
            match line.split_once('\t') {
                Some(("count", n)) => count = n.parse().unwrap_or(0),
                Some(("templates", n)) => total = n.parse().unwrap_or(0),
                Some(("template", t)) => templates.push(t),
                _ => {}
            }
        }
        StarSummary {
            count,
            more_templates: total.saturating_sub(templates.len()),
            templates,
        }
    })
}

/// The entry of `"*"`: matches every action, some of which suit `"*"`; its scopable actions are
/// not listed (see [`star_summary`]).
fn star_entry() -> &'static Entry {
    static STAR: OnceLock<&'static Entry> = OnceLock::new();
    STAR.get_or_init(|| {
        keep(Entry {
            matches: true,
            any_on_star: true,
            scopable: Vec::new(),
            service: None,
            histogram: OnceLock::new(),
            templates: OnceLock::new(),
            fix: OnceLock::new(),
            members: OnceLock::new(),
        })
    })
}

/// The text of `rules/catalog/star-summary.tsv`, computed from the whole catalog.
pub fn star_summary_text() -> String {
    let full = Entry::compute(Catalog::get().expand("*"));
    let templates = full.templates();
    let mut out = String::from(
        "# What \"*\" grants that resource-star can scope: generated from rules/catalog by\n# `cargo xtask gen-star`; do not edit (a test checks it is up to date).\n",
    );
    out.push_str(&format!("count\t{}\n", full.scopable.len()));
    out.push_str(&format!("templates\t{}\n", templates.len()));
    for t in templates.iter().take(STAR_TEMPLATES) {
        out.push_str(&format!("template\t{t}\n"));
    }
    out
}

/// A suggested statement lists at most this many ARN templates.
const MAX_TEMPLATES: usize = 4;

/// The statement split in two: unscopable actions on `"*"`, the rest on the ARN templates (with
/// placeholders) of the plainest resource type each accepts. `None` when a value is unknown, a
/// condition cannot be copied, or the templates are too many to be a useful suggestion.
///
/// `entries` are the known `Action` entries, in order.
fn scoped_statements(
    stmt: &Statement,
    doc: &PolicyDoc,
    entries: &[(Held, &str, Span)],
) -> Option<Fix> {
    use crate::fix::{ConditionSpec, PolicySpec, ResourceValue, StatementSpec};
    let actions = stmt.actions()?;
    if actions.has_unknown() || stmt.resources()?.items.len() != 1 {
        return None;
    }
    let mut conditions = Vec::new();
    if let Some(c) = &stmt.condition {
        for (op, entry) in c.entries() {
            let values: Option<Vec<String>> = entry
                .values
                .iter()
                .map(|v| v.value.literal().map(str::to_string))
                .collect();
            conditions.push(ConditionSpec {
                test: op.name.value.as_str()?.to_string(),
                key: entry.key.value.as_str()?.to_string(),
                values: values?,
            });
        }
    }
    let mut unscopable: Vec<String> = Vec::new();
    // (templates, actions as written), in first-seen order.
    let mut groups: Vec<(&[String], Vec<String>)> = Vec::new();
    for (entry, action, _) in entries {
        match entry.fix(action) {
            EntryFix::NoMatch | EntryFix::TooMany => return None,
            EntryFix::OnStar => unscopable.push(action.to_string()),
            EntryFix::Scoped(templates) => match groups.iter_mut().find(|(t, _)| t == templates) {
                Some((_, a)) => a.push(action.to_string()),
                None => groups.push((templates, vec![action.to_string()])),
            },
        }
    }
    if groups.is_empty() {
        return None;
    }
    let sid = stmt
        .sid
        .as_ref()
        .and_then(|s| s.value.as_str())
        .unwrap_or_default()
        .to_string();
    let mut spec = PolicySpec::default();
    if !unscopable.is_empty() {
        spec.statements.push(StatementSpec {
            sid: String::new(),
            actions: unscopable,
            resources: vec![ResourceValue::Arn("*".to_string())],
            conditions: conditions.clone(),
        });
    }
    for (templates, actions) in groups {
        spec.statements.push(StatementSpec {
            sid: String::new(),
            actions,
            resources: templates.iter().cloned().map(ResourceValue::Arn).collect(),
            conditions: conditions.clone(),
        });
    }
    if let Some(first) = spec.statements.first_mut() {
        first.sid = sid;
    }
    Some(Fix {
        title: "scope the statement to ARNs (fill in the <placeholders>)".to_string(),
        applicability: Applicability::DisplayOnly,
        edits: Vec::new(),
        snippet: Some(crate::fix::render_statements(&spec, doc.syntax)),
    })
}

/// The service of a Deny statement without condition on every ARN of one service
/// (`arn:aws:sns:*:*:*`), if that is what it is.
fn denies_every_arn(deny: &Statement) -> Option<&str> {
    if deny.effect() != Some(Effect::Deny) || deny.condition.is_some() {
        return None;
    }
    let resources = deny.resources().filter(|r| !r.negated)?;
    resources.known().find_map(|x| {
        let parts: Vec<&str> = x.value.splitn(6, ':').collect();
        match parts.as_slice() {
            ["arn", _, svc, "*", "*", "*"] => Some(*svc),
            _ => None,
        }
    })
}

/// True when another statement of the document (one of `denies`, from [`denies_every_arn`])
/// denies, without condition, each action of `stmt` on every ARN of its service
/// (`arn:aws:sns:*:*:*`): what the `Allow` on `"*"` leaves is only what has no ARN
/// (`sns:Publish` to a phone number), which cannot be scoped.
fn denied_on_every_arn(stmt: &Statement, denies: &[&Statement]) -> bool {
    if denies.is_empty() {
        return false;
    }
    let Some(allowed) = stmt.actions().filter(|a| !a.negated && !a.has_unknown()) else {
        return false;
    };
    let services: Vec<&str> = allowed
        .known()
        .filter_map(|a| a.value.split_once(':').map(|(s, _)| s))
        .collect();
    let Some(service) = services.first() else {
        return false;
    };
    if !services.iter().all(|s| s.eq_ignore_ascii_case(service)) {
        return false;
    }
    denies.iter().any(|deny| {
        deny.index != stmt.index
            && deny.resources().is_some_and(|r| {
                r.known().any(|x| {
                    let parts: Vec<&str> = x.value.splitn(6, ':').collect();
                    matches!(parts.as_slice(), ["arn", _, svc, "*", "*", "*"] if svc.eq_ignore_ascii_case(service))
                })
            })
            && deny.actions().is_some_and(|d| {
                !d.negated
                    && (d.has_star()
                        || allowed
                            .known()
                            .all(|a| d.known().any(|x| x.value.eq_ignore_ascii_case(a.value))))
            })
    })
}

/// True when a condition with a positive operator (no `Not`, no `IfExists`) names a resource by a
/// service's own ARN-typed key that an action of the statement lists (`ecs:cluster` on
/// `ecs:DescribeContainerInstances`): AWS's way to scope actions whose resource is the cluster's
/// member. A request without the key fails the condition, so no other resource is reached.
fn scoped_by_resource_key(stmt: &Statement, cx: &Ctx) -> bool {
    let Some(condition) = &stmt.condition else {
        return false;
    };
    let Some(actions) = stmt.actions().filter(|a| !a.negated) else {
        return false;
    };
    condition.entries().any(|(op, e)| {
        let (Some(op), Some(key)) = (op.name.value.as_str(), e.key.value.as_str()) else {
            return false;
        };
        let lower = op.to_ascii_lowercase();
        if lower.contains("not") || lower.ends_with("ifexists") || op.contains(':') {
            return false;
        }
        if e.values.is_empty() || e.values.iter().any(|v| v.value.literal() == Some("*")) {
            return false;
        }
        let resource_key = cx.catalog.condition_key(key).is_some_and(|info| {
            !info.global && matches!(info.ty, ConditionType::Arn | ConditionType::ArrayOfArn)
        });
        resource_key
            && actions.known().any(|a| {
                cx.catalog.action(a.value).is_some_and(|found| {
                    found
                        .applicable_condition_keys()
                        .iter()
                        .any(|k| k.eq_ignore_ascii_case(key))
                })
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(actions: &[&'static str]) -> Vec<(Held, &'static str, Span)> {
        let catalog = Catalog::get();
        actions
            .iter()
            .map(|a| (Entry::of(catalog, a), *a, Span::default()))
            .collect()
    }

    /// The committed summary of `"*"` is what the catalog gives today.
    #[test]
    fn star_summary_is_up_to_date() {
        assert_eq!(
            STAR_SUMMARY_TSV,
            star_summary_text(),
            "rules/catalog/star-summary.tsv is stale: run `cargo xtask gen-star`"
        );
        assert!(star_summary().count > 10_000);
        assert_eq!(star_summary().templates.len(), STAR_TEMPLATES);
    }

    /// The `"*"` shortcut gives what expanding `"*"` gives (count, named entries, first templates).
    #[test]
    fn star_shortcut_matches_the_expansion() {
        let catalog = Catalog::get();
        for actions in [
            &["*"][..],
            &["s3:GetObject", "*"],
            &["*", "ec2:*"],
            &["sts:GetCallerIdentity", "*"],
        ] {
            let fast_entries = entries(actions);
            let fast = Union::of(&fast_entries).expect("\"*\" grants scopable actions");
            let slow_entries: Vec<(Held, &str, Span)> = actions
                .iter()
                .map(|a| {
                    let held = if *a == "*" {
                        Held::Own(Box::new(Entry::compute(catalog.expand("*"))))
                    } else {
                        Entry::of(catalog, a)
                    };
                    (held, *a, Span::default())
                })
                .collect();
            let slow = Union::generic(&slow_entries);
            assert_eq!(fast.count, slow.count, "{actions:?}");
            assert_eq!(fast.written, slow.written, "{actions:?}");
            assert_eq!(
                fast.templates(),
                &slow.templates()[..STAR_TEMPLATES],
                "{actions:?}"
            );
            assert_eq!(
                fast.templates().len() + fast.more_templates,
                slow.templates().len(),
                "{actions:?}"
            );
        }
    }

    /// The per-service shortcut gives what the action-by-action union gives, and declines entries
    /// that may overlap.
    #[test]
    fn union_of_services_matches_generic() {
        let disjoint: &[&[&str]] = &[
            &["s3:Get*", "ec2:Describe*", "iam:GetRole"],
            &["kms:Encrypt", "s3:*", "dynamodb:PutItem", "sqs:SendMessage"],
            &[
                "logs:CreateLogStream",
                "ecr:BatchGetImage",
                "lambda:InvokeFunction",
            ],
        ];
        for actions in disjoint {
            let entries = entries(actions);
            let fast = Union::of_services(&entries).expect("entries of distinct services");
            let slow = Union::generic(&entries);
            assert_eq!(fast.count, slow.count, "{actions:?}");
            assert_eq!(fast.written, slow.written, "{actions:?}");
            assert_eq!(fast.templates(), slow.templates(), "{actions:?}");
            assert!(fast.count > 0);
        }
        for overlapping in [
            &["s3:Get*", "s3:GetObject"][..],
            // (`"*"` itself never reaches the shortcut: `Union::with_star` takes it first.)
            &["*:Get*", "s3:GetObject"],
            &["s3:Put*", "*:Get*"],
        ] {
            assert!(
                Union::of_services(&entries(overlapping)).is_none(),
                "{overlapping:?}"
            );
        }
    }
}
