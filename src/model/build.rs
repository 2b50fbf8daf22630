//! Builds a [`PolicyDoc`] from a span-keeping [`Node`] tree (JSON, YAML, or an HCL object), and
//! records every structural problem on the way instead of stopping at the first.

use super::{
    ConditionEntry, ConditionField, ConditionOperator, ListField, Origin, PolicyDoc, PolicyKind,
    PrincipalEntry, PrincipalField, Scalar, Statement, Syntax, Template, TemplatePart, Unknown,
};
use crate::source::{Located, Span};
use crate::text::edit_distance;
use crate::tree::{Node, NodeKind};

const POLICY_KEYS: &[&str] = &["Version", "Id", "Statement"];
const STATEMENT_KEYS: &[&str] = &[
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Principal",
    "NotPrincipal",
    "Condition",
];
const PRINCIPAL_KINDS: &[&str] = &["AWS", "Service", "Federated", "CanonicalUser"];
const VERSIONS: &[&str] = &["2012-10-17", "2008-10-17"];

/// Actions a trust policy grants; a document whose principals are granted only these is a trust
/// policy.
const TRUST_ACTIONS: &[&str] = &[
    "sts:AssumeRole",
    "sts:AssumeRoleWithWebIdentity",
    "sts:AssumeRoleWithSAML",
    "sts:TagSession",
    "sts:SetSourceIdentity",
    "sts:SetContext",
];

/// Builds a policy document. `kind` is what the context says (`Unknown` when it says nothing: the
/// kind is then inferred from the document).
pub fn policy_from_node(
    node: &Node,
    kind: PolicyKind,
    syntax: Syntax,
    path: impl Into<String>,
    origin: Origin,
) -> PolicyDoc {
    let doc = PolicyDoc::new(kind, syntax, node.span, path);
    build_policy(node, None, origin, doc)
}

/// [`policy_from_node`] for a tree that is not needed afterwards (a JSON policy file): each
/// statement's subtree is freed as soon as its statement is built, so the tree and the model of a
/// file with hundreds of thousands of statements are not held in full at the same time.
pub fn policy_from_owned_node(
    mut node: Node,
    kind: PolicyKind,
    syntax: Syntax,
    path: impl Into<String>,
    origin: Origin,
) -> PolicyDoc {
    let doc = PolicyDoc::new(kind, syntax, node.span, path);
    let taken = statement_list(&mut node).map(std::mem::take);
    build_policy(&node, taken, origin, doc)
}

fn build_policy(
    node: &Node,
    taken: Option<Vec<Node>>,
    origin: Origin,
    mut doc: PolicyDoc,
) -> PolicyDoc {
    doc.origin = origin;
    // In Terraform, an attribute that evaluates to null is unset.
    let nullable = matches!(doc.syntax, Syntax::HclObject | Syntax::HclPolicyDocument);
    let mut b = Builder {
        doc: &mut doc,
        nullable,
        taken,
    };
    b.policy(node);
    if doc.kind == PolicyKind::Unknown {
        doc.kind = infer_kind(&doc);
    }
    check_kind(&mut doc);
    doc
}

/// The list of statements `Builder::policy` reads (the entry [`lookup`] finds), when it is a list.
fn statement_list(node: &mut Node) -> Option<&mut Vec<Node>> {
    let NodeKind::Object(entries) = &mut node.kind else {
        return None;
    };
    let i = entries
        .iter()
        .position(|(k, _)| k.value == "Statement")
        .or_else(|| {
            entries
                .iter()
                .position(|(k, _)| k.value.eq_ignore_ascii_case("Statement"))
        })?;
    match &mut entries[i].1.kind {
        NodeKind::Array(items) => Some(items),
        _ => None,
    }
}

/// Identity unless some statement names a principal; then trust when every principal statement only
/// grants role assumption and names no `Resource`/`NotResource` (a trust policy never does; a
/// resource control policy on `sts:` actions does), resource otherwise.
pub fn infer_kind(doc: &PolicyDoc) -> PolicyKind {
    let with_principal: Vec<&Statement> = doc
        .statements
        .iter()
        .filter(|s| s.principal.is_some())
        .collect();
    if with_principal.is_empty() {
        return PolicyKind::Identity;
    }
    let only_assume = with_principal.iter().all(|s| {
        s.resource.is_none()
            && s.actions().is_some_and(|a| {
                a.known().count() > 0
                    && a.known().all(|x| {
                        TRUST_ACTIONS
                            .iter()
                            .any(|t| t.eq_ignore_ascii_case(x.value))
                    })
            })
    });
    if only_assume {
        PolicyKind::Trust
    } else {
        PolicyKind::Resource
    }
}

fn check_kind(doc: &mut PolicyDoc) {
    let mut problems = Vec::new();
    for stmt in &doc.statements {
        let head = stmt.span;
        match doc.kind {
            PolicyKind::Identity | PolicyKind::Boundary => {
                if let Some(p) = &stmt.principal {
                    problems.push((
                        p.key,
                        format!(
                            "{} policies cannot name a principal: remove `{}`",
                            doc.kind.as_str(),
                            if p.negated {
                                "NotPrincipal"
                            } else {
                                "Principal"
                            }
                        ),
                    ));
                }
                if stmt.resource.is_none() && stmt.action.is_some() {
                    problems.push((
                        head,
                        "statement has no `Resource` or `NotResource`".to_string(),
                    ));
                }
            }
            PolicyKind::Trust => {
                if stmt.principal.is_none() {
                    problems.push((
                        head,
                        "trust policy statement has no `Principal`".to_string(),
                    ));
                }
                if let Some(r) = &stmt.resource {
                    problems.push((r.key, "trust policies cannot name a `Resource`".to_string()));
                }
            }
            PolicyKind::Resource => {
                if stmt.principal.is_none() {
                    problems.push((
                        head,
                        "resource policy statement has no `Principal` or `NotPrincipal`"
                            .to_string(),
                    ));
                }
            }
            PolicyKind::Unknown => {}
        }
    }
    for (span, message) in problems {
        doc.problem(span, message);
    }
}

struct Builder<'a> {
    doc: &'a mut PolicyDoc,
    /// A null value is the same as an absent one (Terraform).
    nullable: bool,
    /// The statement list, taken out of an owned tree ([`policy_from_owned_node`]).
    taken: Option<Vec<Node>>,
}

impl Builder<'_> {
    fn problem(&mut self, span: Span, message: impl Into<String>) {
        self.doc.problem(span, message);
    }

    /// `lookup`, with a null value read as absent where null means unset.
    fn get<'n>(&self, node: &'n Node, key: &str) -> Option<(&'n Located<String>, &'n Node)> {
        lookup(node, key).filter(|(_, v)| !self.unset(v))
    }

    /// True for a value that stands for "not set": null, in Terraform.
    fn unset(&self, node: &Node) -> bool {
        self.nullable && matches!(node.kind, NodeKind::Null)
    }

    /// Reports keys that are not in `allowed`, and duplicates; returns nothing: values are looked
    /// up afterwards with `lookup`, which also accepts a wrongly cased key.
    fn check_keys(&mut self, node: &Node, allowed: &[&str], what: &str) {
        let mut seen: Vec<&str> = Vec::new();
        for (key, value) in node.entries() {
            if self.unset(value) {
                continue;
            }
            let name = key.value.as_str();
            if seen.contains(&name) {
                self.problem(key.span, format!("duplicate key `{name}` in {what}"));
            }
            seen.push(name);
            if allowed.contains(&name) {
                continue;
            }
            if let Some(right) = allowed.iter().find(|a| a.eq_ignore_ascii_case(name)) {
                self.problem(key.span, format!("`{name}` must be written `{right}`"));
            } else {
                let suggestion = allowed
                    .iter()
                    .map(|a| (edit_distance(a, name), *a))
                    .filter(|(d, _)| *d <= 2)
                    .min();
                let hint = match suggestion {
                    Some((_, a)) => format!(" (did you mean `{a}`?)"),
                    None => format!(" (expected one of {})", allowed.join(", ")),
                };
                self.problem(key.span, format!("unknown key `{name}` in {what}{hint}"));
            }
        }
    }

    /// True for an object. An unknown value is recorded as unresolved; anything else is a problem.
    fn expect_object(&mut self, node: &Node, what: &str) -> bool {
        match &node.kind {
            NodeKind::Object(_) => true,
            NodeKind::Str(Scalar::Unknown(u)) => {
                self.doc
                    .unresolved
                    .push(Located::new((**u).clone(), node.span));
                false
            }
            _ => {
                self.problem(
                    node.span,
                    format!("{what} must be an object, found {}", node.type_name()),
                );
                false
            }
        }
    }

    fn policy(&mut self, node: &Node) {
        if !self.expect_object(node, "a policy") {
            return;
        }
        self.check_keys(node, POLICY_KEYS, "the policy");
        if let Some((_, v)) = self.get(node, "Version") {
            if let Some(s) = self.scalar(v, "Version") {
                if let Some(text) = s.value.as_str() {
                    if !VERSIONS.contains(&text) {
                        self.problem(
                            s.span,
                            format!("`{text}` is not a policy version (use \"2012-10-17\")"),
                        );
                    }
                }
                self.doc.version = Some(s);
            }
        }
        if let Some((_, v)) = self.get(node, "Id") {
            self.doc.id = self.scalar(v, "Id");
        }
        match self.get(node, "Statement") {
            None => self.problem(node.span, "policy has no `Statement`"),
            Some((key, value)) => {
                self.doc.statement_key = Some(key.span);
                match &value.kind {
                    NodeKind::Array(items) => {
                        // Taken out of an owned tree: read from there, each freed once read.
                        let taken = self.taken.take();
                        let count = taken.as_ref().map_or(items.len(), Vec::len);
                        if count == 0 {
                            self.problem(value.span, "`Statement` is an empty list");
                        }
                        self.doc.statements.reserve_exact(count);
                        match taken {
                            Some(items) => {
                                for item in items {
                                    self.statement(&item);
                                }
                            }
                            None => {
                                for item in items {
                                    self.statement(item);
                                }
                            }
                        }
                    }
                    NodeKind::Object(_) => self.statement(value),
                    NodeKind::Str(Scalar::Unknown(u)) => {
                        self.doc
                            .unresolved
                            .push(Located::new((**u).clone(), value.span));
                    }
                    _ => self.problem(
                        value.span,
                        format!(
                            "expected an object or a list for `Statement`, found {}",
                            value.type_name()
                        ),
                    ),
                }
            }
        }
    }

    fn statement(&mut self, node: &Node) {
        let index = self.doc.statements.len();
        let path = format!("{}/Statement[{index}]", self.doc.path);
        let mut stmt = Statement::new(node.span, index, path);
        if !self.expect_object(node, "a statement") {
            return;
        }
        self.check_keys(node, STATEMENT_KEYS, "a statement");
        if let Some((_, v)) = self.get(node, "Sid") {
            stmt.sid = self.scalar(v, "Sid");
        }
        match self.get(node, "Effect") {
            Some((_, v)) => {
                stmt.effect = self.scalar(v, "Effect");
                if let Some(e) = &stmt.effect {
                    if let Some(text) = e.value.as_str() {
                        if text != "Allow" && text != "Deny" {
                            let span = e.span;
                            self.problem(
                                span,
                                format!("`Effect` must be \"Allow\" or \"Deny\", found \"{text}\""),
                            );
                        }
                    }
                }
            }
            None => self.problem(node.span, "statement has no `Effect`"),
        }
        stmt.action = self.either(node, "Action", "NotAction", true);
        stmt.resource = self.either(node, "Resource", "NotResource", false);
        stmt.principal = self.principal(node).map(Box::new);
        if let Some((key, v)) = self.get(node, "Condition") {
            stmt.condition = self.condition(key.span, v).map(Box::new);
        }
        self.doc.statements.push(stmt);
    }

    /// `Action`/`NotAction` (or `Resource`/`NotResource`): exactly one may be present.
    fn either(
        &mut self,
        node: &Node,
        positive: &str,
        negative: &str,
        required: bool,
    ) -> Option<ListField> {
        let pos = self.get(node, positive);
        let neg = self.get(node, negative);
        if let (Some(_), Some((nk, _))) = (pos, neg) {
            self.problem(
                nk.span,
                format!("a statement cannot have both `{positive}` and `{negative}`"),
            );
        }
        let (negated, (key, value)) = match (pos, neg) {
            (Some(p), _) => (false, p),
            (None, Some(n)) => (true, n),
            (None, None) => {
                if required {
                    self.problem(
                        node.span,
                        format!("statement has no `{positive}` or `{negative}`"),
                    );
                }
                return None;
            }
        };
        let name = if negated { negative } else { positive };
        let items = self.string_list(value, name);
        Some(ListField {
            negated,
            key: key.span,
            span: value.span,
            items,
        })
    }

    /// A string or a list of strings.
    fn string_list(&mut self, value: &Node, name: &str) -> Vec<Located<Scalar>> {
        match &value.kind {
            NodeKind::Array(items) => {
                if items.is_empty() {
                    self.problem(value.span, format!("`{name}` is an empty list"));
                }
                let nullable = self.nullable;
                // Sized up front: collecting from a filter leaves room for 4 items at least.
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    if !(nullable && matches!(item.kind, NodeKind::Null)) {
                        out.extend(self.string(item, name));
                    }
                }
                out
            }
            _ => self.string(value, name).into_iter().collect(),
        }
    }

    fn string(&mut self, node: &Node, name: &str) -> Option<Located<Scalar>> {
        match &node.kind {
            NodeKind::Str(s) => Some(Located::new(s.clone(), node.span)),
            _ => {
                self.problem(
                    node.span,
                    format!("expected a string in `{name}`, found {}", node.type_name()),
                );
                None
            }
        }
    }

    /// A single string value (`Sid`, `Effect`, `Version`).
    fn scalar(&mut self, node: &Node, name: &str) -> Option<Located<Scalar>> {
        match &node.kind {
            NodeKind::Str(_) => self.string(node, name),
            _ => {
                self.problem(
                    node.span,
                    format!("expected a string for `{name}`, found {}", node.type_name()),
                );
                None
            }
        }
    }

    fn principal(&mut self, node: &Node) -> Option<PrincipalField> {
        let pos = self.get(node, "Principal");
        let neg = self.get(node, "NotPrincipal");
        if let (Some(_), Some((nk, _))) = (pos, neg) {
            self.problem(
                nk.span,
                "a statement cannot have both `Principal` and `NotPrincipal`",
            );
        }
        let (negated, (key, value)) = match (pos, neg) {
            (Some(p), _) => (false, p),
            (None, Some(n)) => (true, n),
            (None, None) => return None,
        };
        let name = if negated { "NotPrincipal" } else { "Principal" };
        let mut entries = Vec::new();
        match &value.kind {
            NodeKind::Str(s) => {
                if s.as_str().is_some_and(|s| s != "*") {
                    self.problem(
                        value.span,
                        format!("`{name}` must be \"*\" or an object such as {{\"AWS\": \"...\"}}"),
                    );
                }
                entries.push(PrincipalEntry {
                    kind: Located::new("*".to_string(), value.span),
                    values: vec![Located::new(s.clone(), value.span)],
                });
            }
            NodeKind::Object(items) => {
                if items.is_empty() {
                    self.problem(value.span, format!("`{name}` is empty"));
                }
                for (k, v) in items {
                    if self.unset(v) {
                        continue;
                    }
                    // A type with unevaluated parts is unknown, not a misspelling.
                    if !PRINCIPAL_KINDS.contains(&k.value.as_str()) && !k.value.contains("${") {
                        self.problem(
                            k.span,
                            format!(
                                "unknown principal type `{}` (expected one of {})",
                                k.value,
                                PRINCIPAL_KINDS.join(", ")
                            ),
                        );
                    }
                    let values = self.string_list(v, name);
                    entries.push(PrincipalEntry {
                        kind: k.clone(),
                        values,
                    });
                }
            }
            _ => self.problem(
                value.span,
                format!(
                    "expected \"*\" or an object for `{name}`, found {}",
                    value.type_name()
                ),
            ),
        }
        Some(PrincipalField {
            negated,
            key: key.span,
            span: value.span,
            entries,
        })
    }

    fn condition(&mut self, key: Span, node: &Node) -> Option<ConditionField> {
        let NodeKind::Object(ops) = &node.kind else {
            if let NodeKind::Str(Scalar::Unknown(u)) = &node.kind {
                self.doc
                    .unresolved
                    .push(Located::new((**u).clone(), node.span));
            } else {
                self.problem(
                    node.span,
                    format!(
                        "expected an object for `Condition`, found {}",
                        node.type_name()
                    ),
                );
            }
            return None;
        };
        let mut operators = Vec::new();
        for (op, body) in ops {
            if self.unset(body) {
                continue;
            }
            let NodeKind::Object(keys) = &body.kind else {
                self.problem(
                    body.span,
                    format!(
                        "expected an object of condition keys under `{}`, found {}",
                        op.value,
                        body.type_name()
                    ),
                );
                continue;
            };
            let mut entries = Vec::new();
            for (k, values) in keys {
                if self.unset(values) {
                    continue;
                }
                let list = match &values.kind {
                    NodeKind::Array(items) => items.iter().collect::<Vec<_>>(),
                    _ => vec![values],
                };
                let mut vals = Vec::new();
                let nullable = self.nullable;
                for v in list
                    .into_iter()
                    .filter(|v| !(nullable && matches!(v.kind, NodeKind::Null)))
                {
                    match &v.kind {
                        NodeKind::Str(s) => vals.push(Located::new(s.clone(), v.span)),
                        NodeKind::Number(n) => vals.push(Located::new(Scalar::Other(n.clone()), v.span)),
                        NodeKind::Bool(b) => vals.push(Located::new(Scalar::Other(b.to_string()), v.span)),
                        _ => self.problem(
                            v.span,
                            format!("expected a string, number or boolean as a condition value, found {}", v.type_name()),
                        ),
                    }
                }
                entries.push(ConditionEntry {
                    key: Located::new(key_scalar(&k.value), k.span),
                    values: vals,
                });
            }
            operators.push(ConditionOperator {
                name: Located::new(key_scalar(&op.value), op.span),
                entries,
            });
        }
        Some(ConditionField {
            key,
            span: node.span,
            operators,
        })
    }
}

/// An object key as a scalar: a key written with unevaluated `${...}` parts (what an evaluator
/// leaves of an unknown key) is a template whose holes are unknown, never literal text.
fn key_scalar(key: &str) -> Scalar {
    if !key.contains("${") {
        return Scalar::Str(key.to_string());
    }
    let mut parts = Vec::new();
    let mut rest = key;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let mut depth = 1usize;
        let mut end = None;
        for (i, c) in after.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(i);
                        break;
                    }
                }
                _ => {}
            }
        }
        let Some(end) = end else { break };
        if start > 0 {
            parts.push(TemplatePart::Lit(rest[..start].to_string()));
        }
        parts.push(TemplatePart::Hole(Unknown::new(
            &after[..end],
            "part of the key could not be evaluated",
        )));
        rest = &after[end + 1..];
    }
    if !rest.is_empty() {
        parts.push(TemplatePart::Lit(rest.to_string()));
    }
    Scalar::Template(Template { parts })
}

/// The entry for `key`, also accepting a wrongly cased key (reported separately by `check_keys`).
fn lookup<'n>(node: &'n Node, key: &str) -> Option<(&'n Located<String>, &'n Node)> {
    node.entry(key).or_else(|| {
        node.entries()
            .iter()
            .find(|(k, _)| k.value.eq_ignore_ascii_case(key))
            .map(|(k, v)| (k, v))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    fn build(text: &str) -> PolicyDoc {
        let node = crate::json::parse(text, FileId(0), 0).unwrap();
        policy_from_node(
            &node,
            PolicyKind::Unknown,
            Syntax::Json,
            "",
            Origin::default(),
        )
    }

    #[test]
    fn single_statement_object_and_string_values() {
        let doc = build(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#,
        );
        assert!(doc.problems.is_empty(), "{:?}", doc.problems);
        assert_eq!(doc.statements.len(), 1);
        assert_eq!(doc.kind, PolicyKind::Identity);
        let a = doc.statements[0].actions().unwrap();
        assert_eq!(a.items[0].value.as_str(), Some("s3:GetObject"));
    }

    #[test]
    fn kinds_are_inferred() {
        let trust = build(
            r#"{"Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
        );
        assert_eq!(trust.kind, PolicyKind::Trust);
        assert!(trust.problems.is_empty(), "{:?}", trust.problems);
        let resource = build(
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#,
        );
        assert_eq!(resource.kind, PolicyKind::Resource);
    }

    #[test]
    fn structural_problems_are_all_reported() {
        let doc = build(
            r#"{"Version":"2012-10-18","statement":[{"Effect":"allow","Action":[],"NotAction":"x","Foo":1}]}"#,
        );
        let messages: Vec<&str> = doc.problems.iter().map(|p| p.message.as_str()).collect();
        assert!(
            messages
                .iter()
                .any(|m| m.contains("`statement` must be written `Statement`")),
            "{messages:?}"
        );
        assert!(
            messages.iter().any(|m| m.contains("not a policy version")),
            "{messages:?}"
        );
        assert!(
            messages.iter().any(|m| m.contains("\"Allow\" or \"Deny\"")),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.contains("both `Action` and `NotAction`")),
            "{messages:?}"
        );
        assert!(
            messages.iter().any(|m| m.contains("empty list")),
            "{messages:?}"
        );
        assert!(
            messages.iter().any(|m| m.contains("unknown key `Foo`")),
            "{messages:?}"
        );
        assert!(
            messages.iter().any(|m| m.contains("no `Resource`")),
            "{messages:?}"
        );
    }

    #[test]
    fn condition_values_keep_numbers_and_booleans() {
        let doc = build(
            r#"{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":false},"NumericLessThan":{"s3:TlsVersion":1.2}}}]}"#,
        );
        assert!(doc.problems.is_empty(), "{:?}", doc.problems);
        let c = doc.statements[0].condition.as_ref().unwrap();
        let values: Vec<String> = c
            .entries()
            .flat_map(|(_, e)| e.values.iter().map(|v| v.value.text()))
            .collect();
        assert_eq!(values, ["false", "1.2"]);
    }
}
