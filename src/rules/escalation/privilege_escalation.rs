//! `privilege-escalation`: the rule and its judgement of a group of documents; the paths and their
//! action sets are in `paths`, where a statement grants an action broadly in `grants`, the
//! principal model's view in `principal`.

use std::collections::BTreeMap;

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

mod grants;
mod paths;
mod principal;

use grants::{blanket_deny, broad_allow, grant, Allow, Grant};
use paths::{bit, matched, named, path_sets, paths, ActionSet, Path};
use principal::{boundary_grants, boundary_limit};
pub use principal::{check_principal, contributes, Member, PrincipalInput, StatementSets};

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
            .path(grants[0].path.clone())
            .escalation(
                entries
                    .iter()
                    .map(|(p, _)| crate::finding::EscalationPath {
                        name: p.name.as_str(),
                        actions: p.actions.as_slice(),
                    })
                    .collect(),
            );
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
