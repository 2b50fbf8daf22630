//! The normalised policy model every frontend produces and every rule reads.
//!
//! Frontends (JSON, Terraform, CloudFormation, plans) turn their syntax into these types; rules never
//! see `serde_json::Value`, HCL or YAML nodes. Every element keeps the span it was written at, and a
//! value the frontend could not evaluate is [`Scalar::Unknown`] (or a [`Template`] with holes), never
//! read as `*`.

pub mod action;
pub mod arn;
pub mod build;
mod scalar;

pub use scalar::{AttrRef, DocRef, Scalar, Template, TemplatePart, Unknown, UnknownKind};

use crate::source::{Located, Span};

/// How a policy is used. Decides which rules apply (a trust policy has a `Principal`, an identity
/// policy must not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PolicyKind {
    /// Attached to a user, group or role (or a managed policy document).
    Identity,
    /// Attached to a resource: bucket, queue, topic, key, repository, secret.
    Resource,
    /// A role's assume-role policy.
    Trust,
    /// A permissions boundary.
    Boundary,
    /// Not known from the context; rules infer what they can from the document itself.
    Unknown,
}

impl PolicyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyKind::Identity => "identity",
            PolicyKind::Resource => "resource",
            PolicyKind::Trust => "trust",
            PolicyKind::Boundary => "boundary",
            PolicyKind::Unknown => "unknown",
        }
    }
}

/// The syntax a policy was written in, so fixes can be rendered in the file's own style.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Syntax {
    /// A JSON document (a `.json` file, a heredoc, a JSON string inside HCL or YAML).
    Json,
    /// An HCL object passed to `jsonencode(...)`.
    HclObject,
    /// A `data "aws_iam_policy_document"` block.
    HclPolicyDocument,
    /// A YAML mapping in a CloudFormation template.
    Yaml,
}

/// Where a policy document came from and what it is attached to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    /// Resource address or logical name: `aws_iam_policy.ci`, `Resources.CiRole`, `role/ci`.
    pub address: Option<String>,
    /// What the document is in words, for messages: "inline policy `deploy` of role `ci`".
    pub description: Option<String>,
    /// The principal (user, group, role) this policy is attached to, when the input shows it.
    /// Documents and attachments with the same value belong to the same principal.
    pub attached_to: Option<String>,
    /// For an AWS managed policy's own document: its name.
    pub managed_policy: Option<String>,
    /// How the document got here, innermost first: the `file("x.json")` call that loaded it, the
    /// `for_each` instance it is, the module calls it sits in. Every finding of the document shows
    /// these as related locations.
    pub via: Vec<Via>,
    /// The CloudFormation resource type holding the document (`AWS::EC2::VPCEndpoint`), when it
    /// comes from a template. Terraform shows its type in [`Origin::address`] instead.
    pub resource_type: Option<String>,
    /// The resource holding the policy can only be reached from inside a VPC: an OpenSearch or
    /// Elasticsearch domain with `vpc_options` (CloudFormation `VPCOptions`). Its access policy's
    /// `Principal: "*"` is not open to the internet.
    pub in_vpc: bool,
}

impl Origin {
    /// A VPC endpoint policy (`aws_vpc_endpoint`, `aws_vpc_endpoint_policy`,
    /// `AWS::EC2::VPCEndpoint`): a resource policy that only narrows what the endpoint carries.
    pub fn is_vpc_endpoint_policy(&self) -> bool {
        if self.resource_type.as_deref() == Some("AWS::EC2::VPCEndpoint") {
            return true;
        }
        // `aws_vpc_endpoint.x`, `module.m.aws_vpc_endpoint_policy.x["k"]`.
        self.address.as_deref().is_some_and(|a| {
            a.split('.')
                .any(|part| part == "aws_vpc_endpoint" || part == "aws_vpc_endpoint_policy")
        })
    }
}

impl Origin {
    /// The access policy of an OpenSearch or Elasticsearch domain (Terraform
    /// `aws_opensearch_domain`, `aws_elasticsearch_domain` and their `*_domain_policy`;
    /// CloudFormation `AWS::OpenSearchService::Domain`, `AWS::Elasticsearch::Domain`).
    pub fn is_search_domain_policy(&self) -> bool {
        const TYPES: &[&str] = &[
            "aws_opensearch_domain",
            "aws_opensearch_domain_policy",
            "aws_elasticsearch_domain",
            "aws_elasticsearch_domain_policy",
        ];
        if let Some(ty) = &self.resource_type {
            return ty == "AWS::OpenSearchService::Domain" || ty == "AWS::Elasticsearch::Domain";
        }
        self.address.as_deref().is_some_and(|a| {
            a.split('.')
                .any(|part| TYPES.contains(&part.split('[').next().unwrap_or(part)))
        })
    }
}

/// One step of the way a document was reached (see [`Origin::via`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Via {
    pub span: Span,
    /// What happened there, as a label note: "loaded by `file(...)`", "module `ci` called here".
    pub note: String,
    /// For one instance of `count`/`for_each`: its key as Terraform writes it (`"a"`, `0`). Labels
    /// with the same span and note list the keys of every instance a finding was seen in.
    pub key: Option<String>,
}

impl Via {
    pub fn new(span: Span, note: impl Into<String>) -> Self {
        Via {
            span,
            note: note.into(),
            key: None,
        }
    }
}

/// A structural problem the frontend found while building the model (reported by `invalid-policy`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub span: Span,
    pub message: String,
}

/// One policy document.
#[derive(Debug, Clone)]
pub struct PolicyDoc {
    pub kind: PolicyKind,
    pub syntax: Syntax,
    pub origin: Origin,
    /// The whole document.
    pub span: Span,
    /// Logical path of the document, e.g. `aws_iam_policy.ci.policy`; statements append to it.
    pub path: String,
    pub version: Option<Located<Scalar>>,
    pub id: Option<Located<Scalar>>,
    /// Span of the `Statement` key, if written.
    pub statement_key: Option<Span>,
    pub statements: Vec<Statement>,
    pub problems: Vec<Problem>,
    /// Structural parts that could not be evaluated (`Statement = var.statements`).
    pub unresolved: Vec<Located<Unknown>>,
}

impl PolicyDoc {
    /// A VPC endpoint policy (Terraform `aws_vpc_endpoint`, `aws_vpc_endpoint_policy`,
    /// CloudFormation `AWS::EC2::VPCEndpoint`): `"*"` is AWS's default there, and the endpoint
    /// policy only limits what calls through the endpoint may do; identity and resource policies
    /// still decide.
    pub fn is_vpc_endpoint_policy(&self) -> bool {
        self.kind == PolicyKind::Resource
            && (self.origin.is_vpc_endpoint_policy()
                || [&self.origin.address, &self.origin.description]
                    .into_iter()
                    .flatten()
                    .any(|t| t.contains("aws_vpc_endpoint") || t.contains("AWS::EC2::VPCEndpoint"))
                || self.is_standalone_boundary_shape())
    }

    /// A policy file of its own (no resource holds it) written as a VPC endpoint policy (or a
    /// resource control policy) is written: every statement names `Principal: "*"` and a
    /// `Resource`, and an `Allow` gives `"*"` for principal, action and resource at once. A
    /// resource's own policy cannot have that shape: it grants its own service's actions (a key
    /// policy writes `kms:*`) and a bucket policy must name the bucket, so the shape is AWS's
    /// default endpoint policy, which bounds calls and grants nothing. Identity policies have no
    /// `Principal` and are never matched.
    fn is_standalone_boundary_shape(&self) -> bool {
        if self.origin.address.is_some()
            || self.origin.resource_type.is_some()
            || self.syntax != Syntax::Json
            || self.statements.is_empty()
        {
            return false;
        }
        let public = |stmt: &Statement| {
            stmt.principal
                .as_ref()
                .is_some_and(|p| !p.negated && p.public_values().next().is_some())
        };
        let all_star = |field: Option<&ListField>| {
            field.is_some_and(|f| !f.negated && f.items.len() == 1 && f.has_star())
        };
        self.statements
            .iter()
            .all(|stmt| public(stmt) && stmt.resource.is_some())
            && self.statements.iter().any(|stmt| {
                stmt.allows() && all_star(stmt.action.as_ref()) && all_star(stmt.resource.as_ref())
            })
    }

    pub fn new(kind: PolicyKind, syntax: Syntax, span: Span, path: impl Into<String>) -> Self {
        PolicyDoc {
            kind,
            syntax,
            origin: Origin::default(),
            span,
            path: path.into(),
            version: None,
            id: None,
            statement_key: None,
            statements: Vec::new(),
            problems: Vec::new(),
            unresolved: Vec::new(),
        }
    }

    pub fn problem(&mut self, span: Span, message: impl Into<String>) {
        self.problems.push(Problem {
            span,
            message: message.into(),
        });
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// `Action`/`NotAction`, `Resource`/`NotResource`: a list of strings, possibly negated.
#[derive(Debug, Clone)]
pub struct ListField {
    /// True for `NotAction` / `NotResource` / `NotPrincipal`.
    pub negated: bool,
    /// The key as written (`"Action"`, `actions`, `not_resources`).
    pub key: Span,
    /// The value: a string or the whole list.
    pub span: Span,
    pub items: Vec<Located<Scalar>>,
}

impl ListField {
    pub fn known(&self) -> impl Iterator<Item = Located<&str>> {
        self.items.iter().filter_map(|item| {
            item.value.as_str().map(|s| Located {
                value: s,
                span: item.span,
            })
        })
    }

    pub fn has_unknown(&self) -> bool {
        self.items.iter().any(|item| item.value.as_str().is_none())
    }

    /// True when a known item is exactly `*`.
    pub fn has_star(&self) -> bool {
        self.known().any(|s| s.value == "*")
    }
}

/// One entry of a `Principal`: `{"AWS": [...]}`, `{"Service": "..."}`, or the bare `"*"`.
#[derive(Debug, Clone)]
pub struct PrincipalEntry {
    /// `AWS`, `Service`, `Federated`, `CanonicalUser`; `*` for the bare string form.
    pub kind: Located<String>,
    pub values: Vec<Located<Scalar>>,
}

#[derive(Debug, Clone)]
pub struct PrincipalField {
    pub negated: bool,
    pub key: Span,
    pub span: Span,
    pub entries: Vec<PrincipalEntry>,
}

impl PrincipalField {
    /// Every principal value that grants anyone: bare `"*"` or `{"AWS": "*"}`.
    pub fn public_values(&self) -> impl Iterator<Item = &Located<Scalar>> {
        self.entries
            .iter()
            .filter(|e| e.kind.value == "*" || e.kind.value == "AWS")
            .flat_map(|e| e.values.iter())
            .filter(|v| v.value.as_str() == Some("*"))
    }
}

/// `"StringEquals": {"aws:SourceAccount": ["1"]}` is one operator with one entry.
#[derive(Debug, Clone)]
pub struct ConditionOperator {
    pub name: Located<Scalar>,
    pub entries: Vec<ConditionEntry>,
}

#[derive(Debug, Clone)]
pub struct ConditionEntry {
    pub key: Located<Scalar>,
    pub values: Vec<Located<Scalar>>,
}

#[derive(Debug, Clone)]
pub struct ConditionField {
    pub key: Span,
    pub span: Span,
    pub operators: Vec<ConditionOperator>,
}

impl ConditionField {
    /// Every (operator, entry) pair.
    pub fn entries(&self) -> impl Iterator<Item = (&ConditionOperator, &ConditionEntry)> {
        self.operators
            .iter()
            .flat_map(|op| op.entries.iter().map(move |e| (op, e)))
    }

    /// True when any condition uses one of `keys` (case-insensitive).
    pub fn uses_key(&self, keys: &[&str]) -> bool {
        self.entries().any(|(_, e)| {
            e.key
                .value
                .as_str()
                .is_some_and(|k| keys.iter().any(|want| k.eq_ignore_ascii_case(want)))
        })
    }
}

#[derive(Debug, Clone)]
pub struct Statement {
    /// The whole statement.
    pub span: Span,
    /// Position in the document's statement list.
    pub index: usize,
    /// Logical path: `<doc path>/Statement[2]`.
    pub path: String,
    pub sid: Option<Located<Scalar>>,
    pub effect: Option<Located<Scalar>>,
    pub action: Option<ListField>,
    pub resource: Option<ListField>,
    /// Boxed, as `condition`: most statements have neither, and a policy may have 400,000 statements.
    pub principal: Option<Box<PrincipalField>>,
    pub condition: Option<Box<ConditionField>>,
}

impl Statement {
    pub fn new(span: Span, index: usize, path: String) -> Self {
        Statement {
            span,
            index,
            path,
            sid: None,
            effect: None,
            action: None,
            resource: None,
            principal: None,
            condition: None,
        }
    }

    /// The effect, when it is known and valid.
    pub fn effect(&self) -> Option<Effect> {
        match self.effect.as_ref()?.value.as_str()? {
            "Allow" => Some(Effect::Allow),
            "Deny" => Some(Effect::Deny),
            _ => None,
        }
    }

    /// True for an `Allow` statement. Statements with an unknown effect are treated as allows with
    /// low confidence by the rules that care; this returns false for them.
    pub fn allows(&self) -> bool {
        self.effect() == Some(Effect::Allow)
    }

    pub fn has_condition(&self) -> bool {
        self.condition
            .as_ref()
            .is_some_and(|c| !c.operators.is_empty())
    }

    /// The positive `Action` list (not `NotAction`).
    pub fn actions(&self) -> Option<&ListField> {
        self.action.as_ref().filter(|a| !a.negated)
    }

    /// The positive `Resource` list (not `NotResource`).
    pub fn resources(&self) -> Option<&ListField> {
        self.resource.as_ref().filter(|r| !r.negated)
    }

    /// The span to point at when talking about the statement as a whole: its `Sid`, or else its
    /// `Effect`, or else the statement itself.
    pub fn head_span(&self) -> Span {
        self.sid
            .as_ref()
            .map(|s| s.span)
            .or(self.effect.as_ref().map(|e| e.span))
            .unwrap_or(self.span)
    }
}

/// An attachment of an existing policy (usually AWS managed) to a principal, by ARN.
#[derive(Debug, Clone)]
pub struct Attachment {
    /// The policy ARN as written.
    pub policy_arn: Located<Scalar>,
    pub origin: Origin,
}

impl Attachment {
    /// True for a permissions boundary: it limits, it grants nothing. Frontends describe boundaries
    /// as "permissions boundary of ...".
    pub fn is_permissions_boundary(&self) -> bool {
        self.origin
            .description
            .as_deref()
            .is_some_and(|d| d.starts_with("permissions boundary"))
    }
}

/// A resource the input declares, so fixes can refer to it instead of writing a placeholder:
/// Terraform `aws_ecr_repository.app` is `{kind: "aws_ecr_repository", name: "app"}`,
/// CloudFormation `Resources.Repo` of type `AWS::ECR::Repository` is
/// `{kind: "AWS::ECR::Repository", name: "Repo"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    pub kind: String,
    pub name: String,
}

/// A comment that asks iamlint to ignore some rules somewhere.
#[derive(Debug, Clone)]
pub struct Suppression {
    /// The comment itself.
    pub span: Span,
    /// Rule ids as written (validated later, so unknown ones can be reported).
    pub rules: Vec<Located<String>>,
    pub reason: Option<String>,
    /// What the comment covers: the comment's own line and the node that starts on the next line.
    /// `None` means the whole file.
    pub scope: Option<Span>,
}

/// Everything a frontend found in one input file.
#[derive(Debug, Default)]
pub struct FileModel {
    pub docs: Vec<PolicyDoc>,
    pub attachments: Vec<Attachment>,
    /// Resources the file (module, template) declares, for fixes that refer to them.
    pub declared: Vec<Declared>,
    pub suppressions: Vec<Suppression>,
    /// Values that could not be evaluated and left no trace in a document (a whole policy built
    /// from an unknown variable): reported by `unresolved-reference`.
    pub unresolved: Vec<Located<Unknown>>,
    /// Malformed input: reported as errors (`path:line:col: message`, exit code 2).
    pub errors: Vec<crate::source::ParseError>,
    /// True when the file was recognised as something iamlint reads. A directory scan stays silent
    /// about files that are not policies; an explicitly named one is reported.
    pub recognised: bool,
    /// How principals are linked besides policies, for the principal model.
    pub links: PrincipalLinks,
}

/// What a file says about principals besides policies, keyed as the principal model keys them
/// (`aws_iam_user.u`, `module.m.aws_iam_role.r`, `Resources.User`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrincipalLinks {
    /// Terraform `moved {}` blocks: (from, to) addresses.
    pub moved: Vec<(String, String)>,
    /// Group memberships: (user key, group key).
    pub memberships: Vec<(String, String)>,
    /// Instance profiles: (profile address, role key).
    pub profiles: Vec<(String, String)>,
    /// Folders of local Terraform modules the file calls (their principals are the callers').
    pub called: Vec<std::path::PathBuf>,
    /// Accounts the file is known to deploy to: a Terraform `provider "aws"` block's
    /// `allowed_account_ids` and the account of its `assume_role` `role_arn`.
    pub own_accounts: Vec<String>,
}

impl PrincipalLinks {
    pub fn is_empty(&self) -> bool {
        self.moved.is_empty()
            && self.memberships.is_empty()
            && self.profiles.is_empty()
            && self.called.is_empty()
            && self.own_accounts.is_empty()
    }
}
