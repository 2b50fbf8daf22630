//! Where a statement grants a path's action broadly: its conditions, its resources against the
//! action's ARN formats.

use super::paths::Path;
use super::principal::Member;
use crate::model::action::wildcard_match;
use crate::model::arn::{is_broad_resource, parse_arn, resource_heads_agree, ResourcePattern};
use crate::rules::prelude::*;

/// Condition keys that do not narrow who or what an action reaches.
pub(super) const NON_NARROWING_KEYS: &[&str] = &[
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
pub(super) struct Grant {
    /// The `Action` item (or the `NotAction` key) that grants it.
    pub(super) span: Span,
    /// The item as written.
    pub(super) text: String,
    /// The resource that makes the path reachable: `None` for all resources (`"*"`,
    /// `NotResource`), else the ARN as written.
    pub(super) resource: Option<String>,
    pub(super) path: String,
    pub(super) unsure: bool,
    /// The member (see [`Member`]) whose statement grants it.
    pub(super) member: usize,
}

impl Grant {
    pub(super) fn on(&self) -> String {
        match &self.resource {
            None => "on all resources".to_string(),
            Some(r) => format!("on `{r}`"),
        }
    }
}

/// An Allow statement that may grant actions broadly.
#[derive(Clone, Copy)]
pub(super) struct Allow<'a> {
    pub(super) stmt: &'a Statement,
    /// `Some` when its only narrowing condition is `iam:PassedToService` (positive, known values):
    /// it grants `iam:PassRole` to those services only, and no other action.
    pub(super) passed_to: Option<&'a [Located<Scalar>]>,
}

/// Positive string operators whose values name what `iam:PassedToService` may be.
pub(super) const POSITIVE_STRING: &[&str] =
    &["StringEquals", "StringLike", "StringEqualsIgnoreCase"];

/// `None` when the statement's condition narrows what it grants (any key but the non-narrowing
/// ones); `Some(None)` when it does not; `Some(Some(values))` when the only narrowing key is a
/// positive `iam:PassedToService` test.
#[allow(clippy::option_option)]
pub(super) fn conditions(stmt: &Statement) -> Option<Option<&[Located<Scalar>]>> {
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
pub(super) fn is_self_user(value: &str) -> bool {
    parse_arn(value).is_some_and(|a| {
        a.service.eq_ignore_ascii_case("iam")
            && a.resource.starts_with("user/")
            && a.resource.ends_with("${aws:username}")
            && !a.resource[5..a.resource.len() - 15].contains("${")
    })
}

/// Whether the statement has a resource that might be broad (judged per action by [`reach`]).
pub(super) fn may_be_broad(stmt: &Statement) -> bool {
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
pub(super) fn broad_allow(stmt: &Statement) -> Option<Allow<'_>> {
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
pub(super) fn applies(arn: &str, action: &str, targets: &[String]) -> bool {
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
pub(super) fn field_fits(written: &str, template: &str) -> bool {
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
pub(super) fn reach(stmt: &Statement, action: &str, path: &Path) -> Option<(Option<String>, bool)> {
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
pub(super) fn grant(
    allow: Allow<'_>,
    action: &str,
    path: &Path,
    member: &Member<'_>,
) -> Option<Grant> {
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
pub(super) fn blanket_deny(stmt: &Statement) -> bool {
    stmt.effect() == Some(Effect::Deny)
        && !stmt.has_condition()
        && stmt.resources().is_some_and(ListField::has_star)
}
