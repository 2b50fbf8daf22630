use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::model::action::wildcard_match;
use crate::model::arn::{is_broad_resource, parse_arn, resource_heads_agree, ResourcePattern};
use crate::rules::prelude::*;
use crate::text::list_some;

declare_rule! {
    /// Flags principals granted a known privilege-escalation path on every resource it needs.
    ///
    /// ## What it does
    /// Reads the escalation paths of `rules/privesc.toml` (from Rhino Security Labs' research and
    /// cloudsplaining/pathfinding.cloud, each with its source): single actions such as
    /// `iam:CreatePolicyVersion`, `iam:AttachRolePolicy` or `iam:CreateAccessKey`, and combinations
    /// such as `iam:PassRole` + `lambda:CreateFunction` + `lambda:InvokeFunction`. A path is reported
    /// when every one of its actions is granted *broadly* by the identity policies of one principal:
    /// all documents of a file attached to the same user, group or role are judged together; a
    /// document attached to nothing the input shows is judged alone. Then each principal of the
    /// principal model (`docs/principals.md`) is judged with everything it holds across the files
    /// of its Terraform folder or template: inline and customer managed policies, the AWS managed
    /// policies attached to it (read from the embedded data, shown at the attachment), its groups'
    /// policies, within its permissions boundary. Such a finding names the principal, and every
    /// document it takes an action from is a related location; a path one file's documents already
    /// hold is reported there only.
    ///
    /// An action is granted broadly by an Allow statement whose `Action` matches it (or whose
    /// `NotAction` does not), whose `Resource` is `"*"`, `NotResource`, or an ARN naming every
    /// resource of a type *that action acts on* (`arn:aws:iam::*:role/*` for `iam:PassRole`,
    /// `arn:aws:lambda:*:*:function:*` for `lambda:CreateFunction`: only wildcards after the
    /// resource type, compared field by field with the action's ARN formats, so
    /// `cloudformation:*` on `transform/*` does not reach `CreateStack`, and an action without
    /// resource types is reached only through `"*"`), and whose `Condition` is absent or only uses
    /// keys that do not narrow the target (`aws:SecureTransport`, `aws:RequestedRegion`,
    /// `aws:CurrentTime`, `aws:EpochTime`, `aws:MultiFactorAuthPresent`, `aws:MultiFactorAuthAge`,
    /// `aws:UserAgent`, `aws:TokenIssueTime`). Paths that work on the principal itself
    /// (`iam:AttachUserPolicy`, `iam:PutUserPolicy`) are also reached through
    /// `user/${aws:username}`. A positive `iam:PassedToService` condition limits `iam:PassRole` to
    /// the paths of the services it names (`ec2.amazonaws.com` with `ec2:RunInstances` is exactly
    /// the EC2 path) and grants no other action. Any other condition (`iam:PermissionsBoundary`,
    /// `iam:PolicyARN`, a resource tag) or a narrow ARN (`role/app-*`, `role/service-role/*`)
    /// takes the action out. Where a path lists `targets`, only ARNs of those resource types open
    /// it: `ssm:SendCommand` on every instance does, on every SSM document it does not. A Deny on
    /// the action with `Resource: "*"` and no condition removes it. Paths contained in a larger
    /// reported path's actions are not repeated; paths sharing the statement item that grants
    /// their first action are reported together. The message names the resource that makes each
    /// action reachable ("on all resources", or the ARN).
    ///
    /// ## Why is this bad?
    /// Each path lets the principal give itself more rights than its policy states: attach
    /// `AdministratorAccess` to itself, mint keys for an administrator, or run code under a more
    /// privileged role. A policy with such a path is, in effect, an administrator policy.
    ///
    /// ## Example
    /// ```json,fail
    /// {"Version": "2012-10-17", "Statement": [
    ///   {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"},
    ///   {"Effect": "Allow", "Action": ["lambda:CreateFunction", "lambda:InvokeFunction"], "Resource": "*"}
    /// ]}
    /// ```
    ///
    /// Use instead: pass only the function's own role, and only to Lambda.
    /// ```json,pass
    /// {"Version": "2012-10-17", "Statement": [
    ///   {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::111122223333:role/app-function",
    ///    "Condition": {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}},
    ///   {"Effect": "Allow", "Action": ["lambda:CreateFunction", "lambda:InvokeFunction"], "Resource": "arn:aws:lambda:us-east-1:111122223333:function:app-*"}
    /// ]}
    /// ```
    ///
    /// ## Known limitations
    /// A permissions boundary is read as the principal's policies are, by action and resource: an
    /// action passes where a boundary statement grants it broadly itself; boundary conditions other
    /// than those above close it. A boundary that cannot be resolved takes nothing out and makes
    /// the finding low confidence. SCPs and resource policies are not considered.
    ///
    /// ## References
    /// - [Rhino Security Labs: AWS IAM privilege escalation methods](https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/)
    /// - [pathfinding.cloud](https://pathfinding.cloud)
    /// - [cloudsplaining privilege-escalation methods](https://github.com/salesforce/cloudsplaining/blob/master/cloudsplaining/shared/constants.py)
    /// - [Granting a user permissions to pass a role](https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html)
    pub PrivilegeEscalation {
        id: "privilege-escalation",
        category: Escalation,
        severity: Error,
        fix: None,
    }
}

const PRIVESC_TOML: &str = include_str!("../../../rules/privesc.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Path {
    name: String,
    actions: Vec<String>,
    effect: String,
    source: String,
    /// The service `iam:PassRole` hands the role to on this path (`ec2.amazonaws.com`).
    #[serde(default)]
    passed_to: Option<String>,
    /// The path also works on the principal itself (`user/${aws:username}`).
    #[serde(default)]
    self_target: bool,
    /// The resource types (the catalog's names) through which the path's actions reach what they
    /// take over: `instance` and `managed-instance` for `ssm:SendCommand`, not its `document` or
    /// output `bucket`. Empty: every resource type of the action.
    #[serde(default)]
    targets: Vec<String>,
}

#[derive(Deserialize)]
struct PathFile {
    path: Vec<Path>,
}

fn paths() -> &'static [Path] {
    static PATHS: OnceLock<Vec<Path>> = OnceLock::new();
    PATHS.get_or_init(|| {
        toml::from_str::<PathFile>(PRIVESC_TOML)
            .expect("embedded privesc.toml: [[path]] tables with name, actions, effect, source")
            .path
    })
}

/// A set of the paths' actions: bit `i` stands for `action_names()[i]`.
type ActionSet = u128;

/// The distinct actions of the paths, lower case.
fn action_names() -> &'static [String] {
    static NAMES: OnceLock<Vec<String>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut names: Vec<String> = paths()
            .iter()
            .flat_map(|p| p.actions.iter().map(|a| a.to_ascii_lowercase()))
            .collect();
        names.sort();
        names.dedup();
        names
    })
}

/// The services of the paths' actions, lower case, each with the range of its actions in
/// [`action_names`] (sorted, so a service's actions are neighbours).
fn path_services() -> &'static [(&'static str, std::ops::Range<usize>)] {
    static SERVICES: OnceLock<Vec<(&'static str, std::ops::Range<usize>)>> = OnceLock::new();
    SERVICES.get_or_init(|| {
        let mut services: Vec<(&'static str, std::ops::Range<usize>)> = Vec::new();
        for (i, name) in action_names().iter().enumerate() {
            let service = name.split_once(':').map_or(name.as_str(), |(s, _)| s);
            match services.last_mut() {
                Some((last, range)) if *last == service => range.end = i + 1,
                _ => services.push((service, i..i + 1)),
            }
        }
        services
    })
}

/// Each path's actions, in the order of [`paths`].
fn path_sets() -> &'static [ActionSet] {
    static SETS: OnceLock<Vec<ActionSet>> = OnceLock::new();
    SETS.get_or_init(|| {
        paths()
            .iter()
            .map(|p| p.actions.iter().fold(0, |set, a| set | bit(a)))
            .collect()
    })
}

fn bit(action: &str) -> ActionSet {
    action_names()
        .iter()
        .position(|n| n.eq_ignore_ascii_case(action))
        .map_or(0, |i| 1 << i)
}

/// The paths' actions a pattern matches. Most patterns name a service no path uses
/// (`s3:GetObject`) and are told apart by their service alone; the others are matched against
/// the actions of their service only.
fn matched(pattern: &str) -> ActionSet {
    let names = action_names();
    let range = match pattern.split_once(':') {
        Some((service, _)) if !crate::model::action::has_wildcard(service) => {
            match path_services()
                .iter()
                .find(|(s, _)| s.eq_ignore_ascii_case(service))
            {
                Some((_, range)) => range.clone(),
                None => return 0,
            }
        }
        _ => 0..names.len(),
    };
    range
        .filter(|&i| wildcard_match(pattern, &names[i]))
        .fold(0, |set, i| set | 1 << i)
}

/// The paths' actions a statement's `Action` (or `NotAction`) list names. A `NotAction` list
/// with an unknown entry names none (it might exclude any of them).
fn named(stmt: &Statement) -> ActionSet {
    let Some(list) = stmt.action.as_ref() else {
        return 0;
    };
    let set = list.known().fold(0, |set, p| set | matched(p.value));
    match (list.negated, list.has_unknown()) {
        (false, _) => set,
        (true, true) => 0,
        (true, false) => !set,
    }
}

/// Condition keys that do not narrow who or what an action reaches.
const NON_NARROWING_KEYS: &[&str] = &[
    "aws:SecureTransport",
    "aws:RequestedRegion",
    "aws:CurrentTime",
    "aws:EpochTime",
    "aws:MultiFactorAuthPresent",
    "aws:MultiFactorAuthAge",
    "aws:UserAgent",
    "aws:TokenIssueTime",
];

/// Where an action is granted broadly.
#[derive(Debug, Clone)]
struct Grant {
    /// The `Action` item (or the `NotAction` key) that grants it.
    span: Span,
    /// The item as written.
    text: String,
    /// The resource that makes the path reachable: `None` for all resources (`"*"`,
    /// `NotResource`), else the ARN as written.
    resource: Option<String>,
    path: String,
    unsure: bool,
    /// The member (see [`Member`]) whose statement grants it.
    member: usize,
}

impl Grant {
    fn on(&self) -> String {
        match &self.resource {
            None => "on all resources".to_string(),
            Some(r) => format!("on `{r}`"),
        }
    }
}

/// An Allow statement that may grant actions broadly.
#[derive(Clone, Copy)]
struct Allow<'a> {
    stmt: &'a Statement,
    /// `Some` when its only narrowing condition is `iam:PassedToService` (positive, known values):
    /// it grants `iam:PassRole` to those services only, and no other action.
    passed_to: Option<&'a [Located<Scalar>]>,
}

/// Positive string operators whose values name what `iam:PassedToService` may be.
const POSITIVE_STRING: &[&str] = &["StringEquals", "StringLike", "StringEqualsIgnoreCase"];

/// `None` when the statement's condition narrows what it grants (any key but the non-narrowing
/// ones); `Some(None)` when it does not; `Some(Some(values))` when the only narrowing key is a
/// positive `iam:PassedToService` test.
#[allow(clippy::option_option)]
fn conditions(stmt: &Statement) -> Option<Option<&[Located<Scalar>]>> {
    let Some(c) = stmt.condition.as_ref() else {
        return Some(None);
    };
    let mut passed_to = None;
    for (op, e) in c.entries() {
        let key = e.key.value.as_str()?;
        if NON_NARROWING_KEYS
            .iter()
            .any(|n| n.eq_ignore_ascii_case(key))
        {
            continue;
        }
        let op = op.name.value.as_str()?;
        if key.eq_ignore_ascii_case("iam:PassedToService")
            && POSITIVE_STRING.iter().any(|p| p.eq_ignore_ascii_case(op))
            && passed_to.is_none()
            && e.values.iter().all(|v| v.value.as_str().is_some())
        {
            passed_to = Some(e.values.as_slice());
            continue;
        }
        return None;
    }
    Some(passed_to)
}

/// `user/${aws:username}` (with any path, partition and account): the principal itself.
fn is_self_user(value: &str) -> bool {
    parse_arn(value).is_some_and(|a| {
        a.service.eq_ignore_ascii_case("iam")
            && a.resource.starts_with("user/")
            && a.resource.ends_with("${aws:username}")
            && !a.resource[5..a.resource.len() - 15].contains("${")
    })
}

/// Whether the statement has a resource that might be broad (judged per action by [`reach`]).
fn may_be_broad(stmt: &Statement) -> bool {
    let Some(resources) = stmt.resource.as_ref() else {
        return false;
    };
    resources.negated
        || resources.items.iter().any(|item| match &item.value {
            Scalar::Str(s) => is_broad_resource(s) || is_self_user(s),
            Scalar::Template(t) => is_broad_resource(&t.with_holes("x")),
            _ => false,
        })
}

/// A statement that can grant actions broadly: an Allow on possibly broad resources without a
/// narrowing condition (other than `iam:PassedToService`).
fn broad_allow(stmt: &Statement) -> Option<Allow<'_>> {
    if !stmt.allows() || !may_be_broad(stmt) {
        return None;
    }
    Some(Allow {
        stmt,
        passed_to: conditions(stmt)?,
    })
}

/// Whether a broad ARN can name a resource `action` acts on: `cloudformation:CreateStack` is not
/// reached through `transform/*`, nor `sagemaker:CreateNotebookInstance` through `training-job/*`.
/// An action the catalog does not know is taken to accept it; one without resource types accepts
/// only `"*"`. With `targets`, only those resource types of the action count (`ssm:SendCommand` on
/// every document reaches no instance).
fn applies(arn: &str, action: &str, targets: &[String]) -> bool {
    let Some(found) = crate::catalog::Catalog::get().action(action) else {
        return true;
    };
    let templates = || {
        found
            .resource_types()
            .filter(|t| targets.is_empty() || targets.iter().any(|n| n == t.name))
            .flat_map(|t| t.arns.iter())
    };
    let Some(written) = parse_arn(arn) else {
        // `arn:aws:*` and the like: matched as text.
        let pattern = crate::model::arn::ArnPattern::new(arn);
        let reached = templates().any(|tmpl| pattern.matches_template(tmpl));
        return reached;
    };
    // Field by field: a wildcard in the region does not reach into the resource, as no region
    // or account holds a colon.
    let resource = ResourcePattern::new(written.resource);
    let reached = templates().filter_map(|t| parse_arn(t)).any(|t| {
        field_fits(written.service, t.service)
            && field_fits(written.region, t.region)
            && field_fits(written.account, t.account)
            && resource_heads_agree(written.resource, t.resource)
            && resource.matches(t.resource)
    });
    reached
}

/// Whether a policy ARN field (wildcards, variables) can equal a template field (literal, empty,
/// or a `${Placeholder}` standing for one or more characters).
fn field_fits(written: &str, template: &str) -> bool {
    if template.contains("${") {
        !written.is_empty()
    } else if template.is_empty() {
        written.bytes().all(|b| b == b'*')
    } else {
        wildcard_match(
            &written.to_ascii_lowercase(),
            &template.to_ascii_lowercase(),
        )
    }
}

/// The resource of the statement through which `action` reaches every resource of a type it acts
/// on (or the principal itself, for a `self_target` path): `Some((None, _))` for all resources,
/// `Some((Some(arn), unsure))` for an ARN.
#[allow(clippy::option_option)]
fn reach(stmt: &Statement, action: &str, path: &Path) -> Option<(Option<String>, bool)> {
    let self_target = path.self_target;
    let resources = stmt.resource.as_ref()?;
    if resources.negated {
        return Some((None, false));
    }
    for item in &resources.items {
        let (text, unsure) = match &item.value {
            Scalar::Str(s) => (s.clone(), false),
            Scalar::Template(t) => (t.with_holes("x"), true),
            _ => continue,
        };
        if text == "*" {
            return Some((None, unsure));
        }
        let broad = is_broad_resource(&text) || (self_target && !unsure && is_self_user(&text));
        if broad && applies(&text, action, &path.targets) {
            return Some((Some(item.value.text().to_string()), unsure));
        }
    }
    None
}

/// The grant of `action` on `path` by a statement [`broad_allow`] accepted.
fn grant(allow: Allow<'_>, action: &str, path: &Path, member: &Member<'_>) -> Option<Grant> {
    let stmt = allow.stmt;
    if let Some(services) = allow.passed_to {
        // The condition is in the request context of `iam:PassRole` only; the role must be
        // handed to the service this path uses.
        let wanted = path.passed_to.as_deref()?;
        if !action.eq_ignore_ascii_case("iam:PassRole")
            || !services
                .iter()
                .filter_map(|v| v.value.as_str())
                .any(|s| wildcard_match(&s.to_ascii_lowercase(), wanted))
        {
            return None;
        }
    }
    let list = stmt.action.as_ref()?;
    let (span, text) = if list.negated {
        if list.has_unknown() || list.known().any(|p| wildcard_match(p.value, action)) {
            return None;
        }
        (list.key, "NotAction".to_string())
    } else {
        let item = list.known().find(|p| wildcard_match(p.value, action))?;
        (item.span, item.value.to_string())
    };
    let (resource, unsure) = reach(stmt, action, path)?;
    // A policy whose text is not in the tree is shown where it is attached.
    let span = member.attached.map_or(span, |(at, _)| at);
    Some(Grant {
        span,
        text,
        resource,
        path: stmt.path.clone(),
        unsure,
        member: member.index,
    })
}

/// A Deny statement on everything, without conditions.
fn blanket_deny(stmt: &Statement) -> bool {
    stmt.effect() == Some(Effect::Deny)
        && !stmt.has_condition()
        && stmt.resources().is_some_and(ListField::has_star)
}

impl Rule for PrivilegeEscalation {
    fn check_file(&self, file: &FileModel, _cx: &Ctx, out: &mut Vec<Finding>) {
        // Identity documents grouped by principal; unattached documents alone.
        let mut groups: BTreeMap<String, Vec<&PolicyDoc>> = BTreeMap::new();
        for (i, doc) in file.docs.iter().enumerate() {
            if doc.kind != PolicyKind::Identity {
                continue;
            }
            let key = match &doc.origin.attached_to {
                Some(p) => format!("p:{p}"),
                None => format!("d:{i:08}"),
            };
            groups.entry(key).or_default().push(doc);
        }
        for docs in groups.values() {
            let members: Vec<Member<'_>> = docs
                .iter()
                .enumerate()
                .map(|(index, doc)| Member {
                    doc,
                    attached: None,
                    group: 0,
                    index,
                })
                .collect();
            check_group(&members, None, out, &mut Vec::new());
        }
    }
}

/// One document of a group judged together: the identity documents of one principal.
#[derive(Debug, Clone, Copy)]
pub struct Member<'a> {
    pub doc: &'a PolicyDoc,
    /// For a policy whose text is not in the linted tree (an AWS managed policy): the span of its
    /// attachment and its name. Every grant it makes is shown there.
    pub attached: Option<(Span, &'a str)>,
    /// Members with the same group were already judged together on their own (one file's
    /// documents of one principal): a path found within one group was reported there.
    pub group: usize,
    /// Position in the member list (set by [`check_principal`]).
    pub index: usize,
}

/// A principal of the principal model ([`crate::principal`]), as this rule reads it.
#[derive(Debug, Clone)]
pub struct PrincipalInput<'a> {
    /// How messages name it: "role `aws_iam_role.ci`".
    pub name: String,
    /// Its identity documents: inline, customer managed, AWS managed, its groups'.
    pub members: Vec<Member<'a>>,
    /// Its permissions boundary: `None` without one, `Some(None)` when it could not be resolved,
    /// `Some(Some(doc))` when its document is known.
    #[allow(clippy::option_option)]
    pub boundary: Option<Option<&'a PolicyDoc>>,
    /// Only report paths no group of its members holds alone (`check`); `false` lists every path
    /// (`iamlint principals`).
    pub only_new: bool,
    /// The paths' actions each statement names, shared by the principals of a run (a policy
    /// attached to many principals is read once).
    pub sets: Option<&'a StatementSets>,
}

/// [`named`] per statement, remembered for a run over principals. Keys are the statements'
/// addresses: valid while the documents they belong to are neither moved nor dropped, which the
/// principal model guarantees for the run it holds this in.
#[derive(Debug, Default)]
pub struct StatementSets(std::sync::RwLock<std::collections::HashMap<usize, ActionSet>>);

impl StatementSets {
    fn named(&self, stmt: &Statement) -> ActionSet {
        let key = std::ptr::from_ref(stmt) as usize;
        if let Some(set) = self.0.read().ok().and_then(|m| m.get(&key).copied()) {
            return set;
        }
        let set = named(stmt);
        if let Ok(mut m) = self.0.write() {
            m.insert(key, set);
        }
        set
    }
}

/// Judges a principal's identity documents together, within its permissions boundary. Each
/// finding comes with the member each of its locations is in (the primary first, then each
/// related label), so that spans of several files can be told apart.
pub fn check_principal(principal: &PrincipalInput<'_>, out: &mut Vec<(Finding, Vec<usize>)>) {
    let mut members = principal.members.clone();
    for (i, m) in members.iter_mut().enumerate() {
        m.index = i;
    }
    let (mut findings, mut places) = (Vec::new(), Vec::new());
    check_group(&members, Some(principal), &mut findings, &mut places);
    out.extend(findings.into_iter().zip(places));
}

/// Whether a document can take part in a path: it grants one of the paths' actions broadly, or
/// denies actions on everything. A principal's AWS managed policies that cannot (`ReadOnlyAccess`
/// grants no path action on all resources) are left out of its check, once per policy and run.
pub fn contributes(doc: &PolicyDoc) -> bool {
    doc.statements
        .iter()
        .any(|s| blanket_deny(s) || broad_allow(s).is_some_and(|a| named(a.stmt) != 0))
}

/// What a permissions boundary lets through of the paths' actions, and whether findings are
/// unsure: a boundary that could not be resolved takes nothing out. The boundary's Allow
/// statements are read as the principal's own are, by action and resource: an action passes
/// where a boundary statement grants it broadly itself (see [`boundary_grants`]).
fn boundary_limit(boundary: Option<Option<&PolicyDoc>>) -> (ActionSet, bool) {
    match boundary {
        None => (!0, false),
        Some(None) => (!0, true),
        Some(Some(doc)) => {
            let allowed = doc
                .statements
                .iter()
                .filter_map(broad_allow)
                .fold(0, |set, a| set | named(a.stmt));
            (allowed, doc.statements.iter().any(|s| s.effect().is_none()))
        }
    }
}

/// Whether a known boundary lets `action` through on every resource of a type `path` needs: one
/// of its statements grants it as broadly as a path requires (a boundary allowing
/// `iam:PassRole` on `role/app-*` only closes the path, as the same grant in a policy would).
fn boundary_grants(boundary: Option<Option<&PolicyDoc>>, action: &str, path: &Path) -> bool {
    let Some(Some(doc)) = boundary else {
        return true;
    };
    let member = Member {
        doc,
        attached: None,
        group: usize::MAX,
        index: 0,
    };
    doc.statements
        .iter()
        .filter_map(broad_allow)
        .any(|a| grant(a, action, path, &member).is_some())
}

/// A path whose actions are all granted, with the grant of each action (in the path's order).
type OpenPath = (&'static Path, Vec<Grant>);

fn check_group(
    members: &[Member<'_>],
    principal: Option<&PrincipalInput<'_>>,
    out: &mut Vec<Finding>,
    places: &mut Vec<Vec<usize>>,
) {
    let statements = || {
        members
            .iter()
            .flat_map(|m| m.doc.statements.iter().map(move |s| (m, s)))
    };
    // Each statement is judged once (conditions, resources), not once per action looked up; most
    // groups have no broad Allow at all and are done here.
    let allows: Vec<(Allow<'_>, ActionSet, &Member<'_>)> = statements()
        .filter_map(|(m, s)| broad_allow(s).map(|a| (a, m)))
        .map(|(a, m)| {
            let set = match principal.and_then(|p| p.sets) {
                Some(sets) => sets.named(a.stmt),
                None => named(a.stmt),
            };
            (a, set, m)
        })
        .filter(|(_, set, _)| *set != 0)
        .collect();
    if allows.is_empty() {
        return;
    }
    let denied: ActionSet = statements()
        .filter(|(_, s)| blanket_deny(s))
        .filter_map(|(_, s)| s.actions())
        .flat_map(|a| a.known())
        .fold(0, |set, p| set | matched(p.value));
    let boundary = principal.and_then(|p| p.boundary);
    let (limit, boundary_unsure) = boundary_limit(boundary);
    let granted: ActionSet = allows.iter().fold(0, |set, (_, s, _)| set | s) & !denied & limit;
    // The grant of each action, once looked up per kind of path (what it passes to, whether the
    // principal itself is a target).
    let mut grants: std::collections::HashMap<(u32, Option<&str>, bool), Option<Grant>> =
        std::collections::HashMap::new();
    let mut lookup = |action: &str, path: &'static Path| -> Option<Grant> {
        let bit = bit(action);
        grants
            .entry((
                bit.trailing_zeros(),
                path.passed_to.as_deref(),
                path.self_target,
            ))
            .or_insert_with(|| {
                if !boundary_grants(boundary, action, path) {
                    return None;
                }
                allows
                    .iter()
                    .filter(|(_, set, _)| set & bit != 0)
                    .find_map(|&(s, _, m)| grant(s, action, path, m))
            })
            .clone()
    };
    let mut open: Vec<OpenPath> = Vec::new();
    for (path, needs) in paths().iter().zip(path_sets()) {
        if needs & granted != *needs {
            continue;
        }
        let found: Option<Vec<Grant>> = path.actions.iter().map(|a| lookup(a, path)).collect();
        if let Some(found) = found {
            open.push((path, found));
        }
    }
    // Drop paths whose actions strictly contain another open path's actions.
    let contains = |big: &Path, small: &Path| {
        big.actions.len() > small.actions.len()
            && small
                .actions
                .iter()
                .all(|a| big.actions.iter().any(|b| b.eq_ignore_ascii_case(a)))
    };
    let kept: Vec<&OpenPath> = open
        .iter()
        .filter(|(p, _)| !open.iter().any(|(q, _)| contains(p, q)))
        // On a principal, a path whose grants all come from one group was reported there.
        .filter(|(_, g)| !principal.is_some_and(|p| p.only_new && reported_alone(members, g)))
        .collect();
    // One finding per statement item granting the paths' first action.
    let mut by_item: BTreeMap<(Span, String), Vec<&OpenPath>> = BTreeMap::new();
    for entry in kept {
        let first = &entry.1[0];
        by_item
            .entry((first.span, first.text.clone()))
            .or_default()
            .push(entry);
    }
    for ((span, text), entries) in by_item {
        let (path, grants) = entries[0];
        let names: Vec<String> = entries.iter().map(|(p, _)| p.name.clone()).collect();
        let first = &path.actions[0];
        let on = grants[0].on();
        // A grant from an AWS managed policy is shown at its attachment: name the policy.
        let of_policy = match members[grants[0].member].attached {
            Some((_, policy)) if principal.is_some() => {
                format!(" of AWS managed policy `{policy}`")
            }
            _ => String::new(),
        };
        let grants_first = if text.eq_ignore_ascii_case(first) && of_policy.is_empty() {
            format!("`{first}` {on}")
        } else {
            format!("`{text}`{of_policy} grants `{first}` {on}")
        };
        let whose = principal.map_or_else(String::new, |p| format!(" for {}", p.name));
        let message = if entries.len() == 1 {
            let rest: Vec<String> = path.actions[1..].to_vec();
            let what = if rest.is_empty() {
                grants_first
            } else {
                format!("{grants_first}, together with {}", list_some(&rest, 3))
            };
            format!(
                "{what}{whose}: a known privilege-escalation path ({}: {})",
                path.name, path.effect
            )
        } else {
            format!(
                "`{text}`{of_policy} opens {} known privilege-escalation paths{whose} ({})",
                entries.len(),
                list_some(&names, 3)
            )
        };
        let mut finding = PrivilegeEscalation::finding(span, message)
            .help(format!(
                "scope these actions to the resources this principal manages (not `*` or `role/*`), or add conditions such as `iam:PassedToService` or `iam:PermissionsBoundary`; see {}",
                path.source
            ))
            .unsure_if(
                boundary_unsure || entries.iter().any(|(_, g)| g.iter().any(|x| x.unsure)),
            )
            .path(grants[0].path.clone());
        let mut related: Vec<Span> = vec![span];
        let mut place: Vec<usize> = vec![grants[0].member];
        for (p, g) in &entries {
            for (action, grant) in p.actions.iter().zip(g.iter()).skip(1) {
                if related.contains(&grant.span) || related.len() > 5 {
                    continue;
                }
                related.push(grant.span);
                place.push(grant.member);
                let source =
                    principal.map_or_else(String::new, |_| source_of(&members[grant.member]));
                finding = finding.related(
                    grant.span,
                    format!("grants `{action}` {}{source}", grant.on()),
                );
            }
        }
        out.push(finding.build());
        places.push(place);
    }
}

/// Where a member's grant comes from, for a label: " in policy `aws_iam_policy.x`", " from AWS
/// managed policy `AdministratorAccess` attached here".
fn source_of(member: &Member<'_>) -> String {
    if let Some((_, name)) = member.attached {
        return format!(" from AWS managed policy `{name}` attached here");
    }
    match (&member.doc.origin.description, &member.doc.origin.address) {
        (Some(d), _) => format!(" in {d}"),
        (None, Some(a)) => format!(" in `{a}`"),
        (None, None) => format!(" in `{}`", member.doc.path),
    }
}

/// True when every grant comes from members of one group without an attached (out-of-tree)
/// policy: that group, judged on its own, reported the path.
fn reported_alone(members: &[Member<'_>], grants: &[Grant]) -> bool {
    let mut groups = grants.iter().map(|g| &members[g.member]);
    let Some(first) = groups.next() else {
        return true;
    };
    first.attached.is_none() && groups.all(|m| m.attached.is_none() && m.group == first.group)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_sets_hold_every_path_action() {
        assert!(action_names().len() <= ActionSet::BITS as usize);
        for p in paths() {
            for a in &p.actions {
                assert_ne!(bit(a), 0, "{a}");
                assert_eq!(matched(a), bit(a), "{a} matches itself only");
            }
        }
        assert_eq!(matched("*").count_ones() as usize, action_names().len());
        assert_eq!(matched("s3:GetObject"), 0);
        assert_eq!(matched("IAM:passrole"), bit("iam:PassRole"));
        // The shortcuts by service give what matching every action gives.
        for pattern in [
            "*",
            "iam:*",
            "iam:Create*",
            "*:Create*",
            "lambda:*Function*",
            "ec2:RunInstances",
            "ec2*:*",
            "s3:*",
            "sts:AssumeRole",
            "i?m:Put*",
            "glue:Update*",
            "nothing",
        ] {
            let brute = action_names()
                .iter()
                .enumerate()
                .filter(|(_, n)| wildcard_match(pattern, n))
                .fold(0, |set: ActionSet, (i, _)| set | 1 << i);
            assert_eq!(matched(pattern), brute, "{pattern}");
        }
    }

    #[test]
    fn every_path_names_catalog_actions() {
        let catalog = crate::catalog::Catalog::get();
        assert!(paths().len() >= 40);
        for p in paths() {
            assert!(p.source.starts_with("https://"), "{}", p.name);
            for a in &p.actions {
                assert!(catalog.action(a).is_some(), "{}: {a}", p.name);
            }
            // A target that names no resource type of the actions would close the path silently.
            for t in &p.targets {
                assert!(
                    p.actions.iter().any(|a| catalog
                        .action(a)
                        .is_some_and(|found| found.resource_types().any(|r| r.name == t))),
                    "{}: no action of the path acts on `{t}`",
                    p.name
                );
            }
        }
    }
}
