//! The principal model: every role, user and group of a linted tree with what makes up its
//! permissions, gathered across files.
//!
//! The frontends describe one file each; a role's trust policy, inline policies, attached customer
//! managed policies, AWS managed policies and permissions boundary are usually spread over several
//! files of one Terraform module folder (or sit in one CloudFormation template). After the rules
//! have run on each file, [`Facts::take`] keeps the parts of its model that belong to principals;
//! [`build`] joins the facts of one scope (a Terraform folder, a template) into [`Principal`]s.
//! `check` judges each principal's identity documents together (`privilege-escalation`), and
//! `iamlint principals` lists them with their effective permissions ([`effective`]).
//!
//! A principal's identity ([`Principal::identity`]) does not change when its address does:
//! Terraform `moved {}` blocks are followed back to the first address, and
//! [`effective::Effective::content_key`] fingerprints what it is trusted by and granted, for pairing
//! principals across revisions by content. What cannot be resolved (a policy ARN from a variable
//! without value, a customer managed policy defined outside the tree) is kept as an
//! [`Unresolved`] entry, never read as an empty policy.

pub mod diffview;
pub mod effective;
pub mod trust;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::catalog::Catalog;
use crate::model::{
    Attachment, FileModel, Origin, PolicyDoc, PolicyKind, Scalar, Suppression, Syntax,
};
use crate::rules::escalation::privilege_escalation::{Member, PrincipalInput};
use crate::source::{SourceMap, Span};

/// What kind of principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PrincipalKind {
    Role,
    User,
    Group,
    /// An IAM Identity Center permission set (`AWS::SSO::PermissionSet`,
    /// `aws_ssoadmin_permission_set`): a role in each account it is assigned to.
    PermissionSet,
    /// A policy names it, but the tree does not declare it (a literal name, an expression).
    Unknown,
}

impl PrincipalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalKind::Role => "role",
            PrincipalKind::User => "user",
            PrincipalKind::Group => "group",
            PrincipalKind::PermissionSet => "permission-set",
            PrincipalKind::Unknown => "principal",
        }
    }

    /// The kind a resource type declares (Terraform or CloudFormation). A SAM function or state
    /// machine declares the role SAM creates for it (see [`Facts::take`]).
    fn of_type(ty: &str) -> Option<PrincipalKind> {
        match ty {
            "aws_iam_role"
            | "AWS::IAM::Role"
            | "AWS::Serverless::Function"
            | "AWS::Serverless::StateMachine" => Some(PrincipalKind::Role),
            "aws_iam_user" | "AWS::IAM::User" => Some(PrincipalKind::User),
            "aws_iam_group" | "AWS::IAM::Group" => Some(PrincipalKind::Group),
            "aws_ssoadmin_permission_set" | "AWS::SSO::PermissionSet" => {
                Some(PrincipalKind::PermissionSet)
            }
            _ => None,
        }
    }

    /// The kind a principal key spells: `aws_iam_role.ci`, `module.m.aws_iam_user.u`, `role/ci`.
    fn of_key(key: &str) -> PrincipalKind {
        let last_type = key
            .split('.')
            .rev()
            .find(|part| part.starts_with("aws_iam_") || *part == "aws_ssoadmin_permission_set")
            .unwrap_or("");
        PrincipalKind::of_type(last_type).unwrap_or_else(|| {
            match key.split_once('/').map(|(k, _)| k) {
                Some("role") => PrincipalKind::Role,
                Some("user") => PrincipalKind::User,
                Some("group") => PrincipalKind::Group,
                _ => PrincipalKind::Unknown,
            }
        })
    }
}

/// What one linted file contributes to the principal model, taken from its model once the rules
/// have run (the documents are moved, not copied).
#[derive(Debug)]
pub struct Facts {
    /// The index of the file's report in the run's list.
    pub report: usize,
    /// Files whose facts join: a Terraform file's folder (a module's files share resources), else
    /// the file itself.
    pub scope: PathBuf,
    /// Identity documents of a principal or a standalone managed policy, trust policies.
    pub docs: Vec<PolicyDoc>,
    pub attachments: Vec<Attachment>,
    /// Principals the file declares: kind and key (`aws_iam_role.ci`, `Resources.CiRole`).
    pub declared: Vec<(PrincipalKind, String)>,
    /// Terraform `moved {}` blocks: (from, to) addresses.
    pub moved: Vec<(String, String)>,
    /// Group memberships: (user key, group key).
    pub memberships: Vec<(String, String)>,
    /// Instance profiles: (profile address, role key).
    pub profiles: Vec<(String, String)>,
    /// Folders of the local modules the file calls (see [`Model::is_called`]).
    pub called: Vec<PathBuf>,
    /// Accounts the file is known to deploy to (see [`Model::own_accounts`]).
    pub own_accounts: Vec<String>,
    /// The file's suppression comments, for findings made on its principals.
    pub suppressions: Vec<Suppression>,
}

impl Facts {
    /// Takes what belongs to principals out of a linted file's model, once its rules have run (its
    /// other documents are dropped); `None` when there is nothing (a standalone JSON policy, a
    /// bucket policy), which keeps runs over policy corpora as cheap as before.
    pub fn take(model: &mut FileModel, sources: &SourceMap) -> Option<Facts> {
        let main = sources.main();
        let terraform = main
            .path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("tf"));
        let declared: Vec<(PrincipalKind, String)> = model
            .declared
            .iter()
            .filter_map(|d| {
                let kind = PrincipalKind::of_type(&d.kind)?;
                let key = if terraform {
                    format!("{}.{}", d.kind, d.name)
                } else {
                    format!("Resources.{}", d.name)
                };
                // A SAM resource is a principal when SAM makes it a role: when it has policies
                // (one given its own `Role` has none).
                let sam = d.kind.starts_with("AWS::Serverless::");
                let holds = |key: &str| {
                    model
                        .docs
                        .iter()
                        .any(|doc| doc.origin.attached_to.as_deref() == Some(key))
                        || model
                            .attachments
                            .iter()
                            .any(|a| a.origin.attached_to.as_deref() == Some(key))
                };
                if sam && !holds(&key) {
                    return None;
                }
                Some((kind, key))
            })
            .collect();
        let wanted = |d: &PolicyDoc| match d.kind {
            PolicyKind::Trust => true,
            PolicyKind::Identity => d.origin.attached_to.is_some() || is_managed_doc(&d.origin),
            _ => false,
        };
        let links = std::mem::take(&mut model.links);
        if declared.is_empty()
            && model.attachments.is_empty()
            && links.is_empty()
            && !model.docs.iter().any(wanted)
        {
            return None;
        }
        // The model is done with once the rules have run: its other documents are dropped here.
        let docs: Vec<PolicyDoc> = std::mem::take(&mut model.docs)
            .into_iter()
            .filter(wanted)
            .collect();
        let scope = if terraform {
            crate::root::normalize(&crate::root::absolute(
                main.path.parent().unwrap_or(Path::new(".")),
            ))
        } else {
            crate::root::normalize(&crate::root::absolute(&main.path))
        };
        Some(Facts {
            report: 0,
            scope,
            docs,
            attachments: std::mem::take(&mut model.attachments),
            declared,
            moved: links.moved,
            memberships: links.memberships,
            profiles: links.profiles,
            called: links
                .called
                .iter()
                .map(|d| crate::root::normalize(&crate::root::absolute(d)))
                .collect(),
            own_accounts: links.own_accounts,
            suppressions: model.suppressions.clone(),
        })
    }
}

/// A customer managed policy's own document: Terraform `aws_iam_policy`, CloudFormation
/// `AWS::IAM::ManagedPolicy`. (An `AWS::IAM::Policy` is not one: CloudFormation writes it as an
/// inline policy into each principal it names, and it has no ARN to attach.)
fn is_managed_doc(origin: &Origin) -> bool {
    origin.resource_type.as_deref() == Some("AWS::IAM::ManagedPolicy")
        || origin
            .address
            .as_deref()
            .is_some_and(|a| resource_type_of(a) == Some("aws_iam_policy"))
}

/// The resource type of a Terraform address: `aws_iam_policy` of `module.m.aws_iam_policy.p["a"]`.
fn resource_type_of(address: &str) -> Option<&str> {
    let rest = &address[module_prefix(address).len()..];
    rest.split('.').next().filter(|t| t.starts_with("aws_"))
}

/// The `module.NAME[KEY].` steps an address starts with (empty at the root).
pub fn module_prefix(address: &str) -> &str {
    let bytes = address.as_bytes();
    let mut at = 0;
    while address[at..].starts_with("module.") {
        let mut i = at + "module.".len();
        while i < bytes.len() && bytes[i] != b'.' && bytes[i] != b'[' {
            i += 1;
        }
        if i < bytes.len() && bytes[i] == b'[' {
            // Skip the instance key, quoted strings included.
            let mut quoted = false;
            while i < bytes.len() {
                match bytes[i] {
                    b'"' => quoted = !quoted,
                    b'\\' if quoted => i += 1,
                    b']' if !quoted => break,
                    _ => {}
                }
                i += 1;
            }
            i += 1;
        }
        if i >= bytes.len() || bytes[i] != b'.' {
            break;
        }
        at = i + 1;
    }
    &address[..at]
}

/// Where a principal's policy comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PolicySource {
    /// Written on the principal (`aws_iam_role_policy`, `Policies`).
    Inline,
    /// A customer managed policy defined in the tree.
    CustomerManaged,
    /// An AWS managed policy, read from the embedded data.
    AwsManaged,
}

/// A document of the run: the facts it is in and its index there, or an AWS managed policy.
#[derive(Debug, Clone, Copy)]
pub enum DocRef {
    Tree { facts: usize, doc: usize },
    Managed(&'static crate::catalog::ManagedPolicy),
}

impl PartialEq for DocRef {
    fn eq(&self, other: &DocRef) -> bool {
        match (self, other) {
            (DocRef::Tree { facts: a, doc: b }, DocRef::Tree { facts: c, doc: d }) => {
                (a, b) == (c, d)
            }
            (DocRef::Managed(a), DocRef::Managed(b)) => a.name == b.name,
            _ => false,
        }
    }
}

/// One policy of a principal.
#[derive(Debug, Clone)]
pub struct PolicyLink {
    pub source: PolicySource,
    pub doc: DocRef,
    /// The attachment that brings it (facts index and span), when one does.
    pub attached_at: Option<(usize, Span)>,
    /// The group it comes through, for a user's group policies.
    pub via_group: Option<String>,
}

/// Something that decides a principal's permissions but could not be resolved.
#[derive(Debug, Clone, Serialize)]
pub struct Unresolved {
    /// What it is: "attached policy", "permissions boundary".
    pub what: String,
    /// The value as written: `var.policy_arn`, `arn:aws:iam::111122223333:policy/x`.
    pub value: String,
    pub reason: String,
    #[serde(skip)]
    pub at: Option<(usize, Span)>,
}

/// A role, user or group.
#[derive(Debug, Clone)]
pub struct Principal {
    pub kind: PrincipalKind,
    /// Its key in the scope: `aws_iam_role.ci`, `module.m.aws_iam_role.this`, `Resources.CiRole`.
    pub address: String,
    /// The scope (folder or template) it belongs to.
    pub scope: PathBuf,
    /// The facts (file) declaring it, when the tree declares it.
    pub declared_in: Option<usize>,
    /// Earlier addresses, from `moved {}` blocks (newest first).
    pub moved_from: Vec<String>,
    pub trust: Vec<DocRef>,
    pub policies: Vec<PolicyLink>,
    /// Its permissions boundary, when it has one and it is resolved.
    pub boundary: Option<PolicyLink>,
    /// For a user: the groups it is a member of (their policies are in [`Principal::policies`]).
    pub groups: Vec<String>,
    /// For a role: the instance profiles holding it.
    pub instance_profiles: Vec<String>,
    pub unresolved: Vec<Unresolved>,
}

impl Principal {
    /// The short name: `ci` of `aws_iam_role.ci`, `CiRole` of `Resources.CiRole`.
    pub fn name(&self) -> &str {
        let rest = &self.address[module_prefix(&self.address).len()..];
        match rest.split_once('.') {
            Some((_, name)) => name,
            None => rest.rsplit('/').next().unwrap_or(rest),
        }
    }

    /// The identity key, stable across renames: the scope and the first address `moved {}` blocks
    /// lead back to.
    pub fn identity(&self, root: &Path) -> String {
        let first = self.moved_from.last().unwrap_or(&self.address);
        format!("{}#{first}", shown_scope(&self.scope, root))
    }

    /// How messages name it: "role `aws_iam_role.ci`".
    pub fn label(&self) -> String {
        format!("{} `{}`", self.kind.as_str(), self.address)
    }

    /// True when its permissions boundary is written but could not be resolved.
    pub fn boundary_unknown(&self) -> bool {
        self.unresolved.iter().any(|u| u.what == BOUNDARY)
    }
}

/// A scope as shown: relative to the root when inside it, `.` for the root itself.
pub fn shown_scope(scope: &Path, root: &Path) -> String {
    match scope.strip_prefix(crate::root::normalize(&crate::root::absolute(root))) {
        Ok(rel) if rel.as_os_str().is_empty() => ".".to_string(),
        Ok(rel) => rel.to_string_lossy().replace('\\', "/"),
        Err(_) => scope.to_string_lossy().into_owned(),
    }
}

const BOUNDARY: &str = "permissions boundary";

/// The principal model of a run.
#[derive(Debug, Default)]
pub struct Model {
    pub facts: Vec<Facts>,
    pub principals: Vec<Principal>,
    /// AWS managed policies' documents, parsed once per run, and whether each can take part in
    /// an escalation path ([`crate::rules::escalation::privilege_escalation::contributes`]).
    managed: HashMap<&'static str, (PolicyDoc, bool)>,
    /// What each statement names of the escalation paths' actions, shared by the principals.
    sets: crate::rules::escalation::privilege_escalation::StatementSets,
    /// Terraform folders another folder of the run calls as a local module.
    called: std::collections::HashSet<PathBuf>,
    /// Each scope's own accounts (see [`Model::own_accounts`]), gathered once.
    own: HashMap<PathBuf, Vec<String>>,
}

impl Model {
    /// True when `scope` is a Terraform folder that another folder of the run calls as a local
    /// module: its principals are those of each call (`module.NAME.` addresses in the caller's
    /// scope), and the folder alone is only a template of them.
    pub fn is_called(&self, scope: &Path) -> bool {
        self.called.contains(scope)
    }

    /// The accounts a scope is known to deploy to (its Terraform provider's `allowed_account_ids`
    /// and `assume_role` account), against which a literal account in a trust policy is judged
    /// cross-account or the tree's own; empty when none is known.
    pub fn own_accounts(&self, scope: &Path) -> &[String] {
        self.own.get(scope).map_or(&[], Vec::as_slice)
    }

    /// The document behind a reference.
    pub fn doc(&self, r: DocRef) -> Option<&PolicyDoc> {
        match r {
            DocRef::Tree { facts, doc } => self.facts.get(facts)?.docs.get(doc),
            DocRef::Managed(p) => self.managed.get(p.name.as_str()).map(|(d, _)| d),
        }
    }

    /// `privilege-escalation`'s view of a principal, with the facts each member's spans belong
    /// to and the index of its link in [`Principal::policies`]. `only_new` leaves out paths a file's own check reported (see
    /// [`crate::rules::escalation::privilege_escalation::PrincipalInput::only_new`]).
    pub fn escalation_input(
        &self,
        p: &Principal,
        only_new: bool,
    ) -> (PrincipalInput<'_>, Vec<(usize, usize)>) {
        let mut members = Vec::new();
        let mut facts_of = Vec::new();
        // The services that alone may assume the role (none when anyone else may, or when its
        // trust policy is not in the tree): an AWS managed policy AWS requires on such a
        // service's role is the service's to use, as `broad-managed-policy` grades it.
        let own = self.own_accounts(&p.scope);
        let trust_docs: Vec<&PolicyDoc> = p.trust.iter().filter_map(|r| self.doc(*r)).collect();
        let trusted: Vec<trust::Trusted> =
            trust_docs.iter().flat_map(|d| trust::of(d, own)).collect();
        // A role whose trust policies are all in the tree, every statement's `Effect` written out,
        // and none of them allowing anyone (an `Effect` IAM rejects, such as "allow", which
        // `invalid-policy` reports) can be assumed by nobody: it holds no path anyone can take.
        if trusted.is_empty()
            && !p.trust.is_empty()
            && trust_docs.len() == p.trust.len()
            && trust_docs.iter().all(|d| {
                d.statements.iter().all(|s| {
                    s.effect
                        .as_ref()
                        .is_some_and(|e| e.value.as_str().is_some())
                })
            })
        {
            let input = PrincipalInput {
                name: p.label(),
                members: Vec::new(),
                boundary: None,
                only_new,
                sets: Some(&self.sets),
            };
            return (input, Vec::new());
        }
        let only_services = !trusted.is_empty()
            && trusted
                .iter()
                .all(|t| t.kind == "Service" && t.note.is_none());
        let required_by_service = |policy: &str| {
            only_services
                && trusted
                    .iter()
                    .all(|t| crate::catalog::reviewed::service_requires(policy, &t.value))
        };
        // A file's check grouped its documents by `attached_to` (unattached ones alone).
        let mut groups: HashMap<(usize, String), usize> = HashMap::new();
        for (li, link) in p.policies.iter().enumerate() {
            let Some(doc) = self.doc(link.doc) else {
                continue;
            };
            let (facts, group_key, attached) = match (link.doc, link.attached_at) {
                (DocRef::Managed(policy), Some((fi, span))) => {
                    if required_by_service(policy.name.as_str()) {
                        continue;
                    }
                    if !self
                        .managed
                        .get(policy.name.as_str())
                        .is_some_and(|(_, c)| *c)
                    {
                        continue;
                    }
                    (
                        fi,
                        format!("m:{}", policy.name),
                        Some((span, policy.name.as_str())),
                    )
                }
                (DocRef::Tree { facts, doc: di }, _) => {
                    let key = match &doc.origin.attached_to {
                        Some(a) => format!("p:{a}"),
                        None => format!("d:{di}"),
                    };
                    (facts, key, None)
                }
                (DocRef::Managed(_), None) => continue,
            };
            let next = groups.len();
            let group = *groups.entry((facts, group_key)).or_insert(next);
            members.push(Member {
                doc,
                attached,
                group,
                index: 0,
            });
            facts_of.push((facts, li));
        }
        let boundary = if p.boundary_unknown() {
            Some(None)
        } else {
            p.boundary.as_ref().map(|l| self.doc(l.doc))
        };
        let input = PrincipalInput {
            name: p.label(),
            members,
            boundary,
            only_new,
            sets: Some(&self.sets),
        };
        (input, facts_of)
    }

    fn managed_doc(&mut self, policy: &'static crate::catalog::ManagedPolicy) {
        self.managed.entry(policy.name.as_str()).or_insert_with(|| {
            let path = format!("aws-managed:{}", policy.name);
            let origin = Origin {
                managed_policy: Some(policy.name.clone()),
                description: Some(format!("AWS managed policy `{}`", policy.name)),
                ..Origin::default()
            };
            let doc = crate::frontend::json::managed_policy_doc(policy, path.clone(), origin)
                .unwrap_or_else(|| {
                    PolicyDoc::new(PolicyKind::Identity, Syntax::Json, Span::default(), path)
                });
            let contributes = crate::rules::escalation::privilege_escalation::contributes(&doc);
            (doc, contributes)
        });
    }
}

/// A resource address without the instance key of its own resource (`aws_iam_role.ci[0]` →
/// `aws_iam_role.ci`; module instance keys stay: `module.a["x"].aws_iam_role.ci`). A role with
/// `count` or `for_each` writes its trust policy and boundary per instance, while attachments and
/// policies name it as `aws_iam_role.ci[0].name` or `[each.key]`, which the frontends key without
/// the index: every instance is one principal.
fn instance_base(address: &str) -> &str {
    // After the module steps, `TYPE.NAME[KEY]`: type and name hold no bracket.
    let prefix = module_prefix(address).len();
    match address[prefix..].find('[') {
        Some(at) if address.ends_with(']') => &address[..prefix + at],
        _ => address,
    }
}

/// Joins the facts of a run into principals, scope by scope, in a stable order (scope, then
/// address).
pub fn build(facts: Vec<Facts>) -> Model {
    let mut model = Model {
        facts,
        ..Model::default()
    };
    let mut scopes: BTreeMap<PathBuf, Vec<usize>> = BTreeMap::new();
    for (i, f) in model.facts.iter().enumerate() {
        scopes.entry(f.scope.clone()).or_default().push(i);
        for dir in &f.called {
            if *dir != f.scope {
                model.called.insert(dir.clone());
            }
        }
        if !f.own_accounts.is_empty() {
            let own = model.own.entry(f.scope.clone()).or_default();
            own.extend(f.own_accounts.iter().cloned());
            own.sort();
            own.dedup();
        }
    }
    for (scope, members) in scopes {
        build_scope(&mut model, &scope, &members);
    }
    model
}

fn build_scope(model: &mut Model, scope: &Path, members: &[usize]) {
    // Every principal key: declared ones, and those documents and attachments name.
    let mut keys: BTreeMap<String, (PrincipalKind, Option<usize>)> = BTreeMap::new();
    for &fi in members {
        let f = &model.facts[fi];
        for (kind, key) in &f.declared {
            keys.insert(key.clone(), (*kind, Some(fi)));
        }
    }
    let mut named = |key: &str| {
        keys.entry(key.to_string())
            .or_insert_with(|| (PrincipalKind::of_key(key), None));
    };
    for &fi in members {
        let f = &model.facts[fi];
        for d in &f.docs {
            match (d.kind, &d.origin.attached_to, &d.origin.address) {
                (PolicyKind::Identity, Some(p), _) => named(p),
                (PolicyKind::Trust, _, Some(a)) => named(instance_base(a)),
                _ => {}
            }
        }
        for a in &f.attachments {
            if let Some(p) = &a.origin.attached_to {
                named(p);
            }
        }
        for (user, group) in &f.memberships {
            named(user);
            named(group);
        }
        for (_, role) in &f.profiles {
            named(role);
        }
    }
    let moved: Vec<(String, String)> = members
        .iter()
        .flat_map(|&fi| model.facts[fi].moved.iter().cloned())
        .collect();
    let mut built: Vec<Principal> = Vec::new();
    for (key, (kind, declared_in)) in keys {
        let mut p = Principal {
            kind,
            address: key.clone(),
            scope: scope.to_path_buf(),
            declared_in,
            moved_from: moved_from(&key, &moved),
            trust: Vec::new(),
            policies: Vec::new(),
            boundary: None,
            groups: Vec::new(),
            instance_profiles: Vec::new(),
            unresolved: Vec::new(),
        };
        for &fi in members {
            let f = &model.facts[fi];
            p.groups.extend(
                f.memberships
                    .iter()
                    .filter(|(user, _)| *user == key)
                    .map(|(_, group)| group.clone()),
            );
            p.instance_profiles.extend(
                f.profiles
                    .iter()
                    .filter(|(_, role)| *role == key)
                    .map(|(profile, _)| profile.clone()),
            );
        }
        let mut wanted_managed = Vec::new();
        for &fi in members {
            let f = &model.facts[fi];
            for (di, d) in f.docs.iter().enumerate() {
                let here = DocRef::Tree { facts: fi, doc: di };
                match d.kind {
                    PolicyKind::Trust
                        if d.origin.address.as_deref().map(instance_base) == Some(key.as_str()) =>
                    {
                        p.trust.push(here);
                    }
                    PolicyKind::Identity
                        if d.origin.attached_to.as_deref() == Some(key.as_str()) =>
                    {
                        let source = if is_managed_doc(&d.origin) {
                            PolicySource::CustomerManaged
                        } else {
                            PolicySource::Inline
                        };
                        push_link(
                            &mut p.policies,
                            PolicyLink {
                                source,
                                doc: here,
                                attached_at: None,
                                via_group: None,
                            },
                        );
                    }
                    _ => {}
                }
            }
            for a in &f.attachments {
                let boundary = a.is_permissions_boundary();
                let mine = if boundary {
                    a.origin.address.as_deref().map(instance_base) == Some(key.as_str())
                } else {
                    a.origin.attached_to.as_deref() == Some(key.as_str())
                };
                if !mine {
                    continue;
                }
                let at = (fi, a.policy_arn.span);
                let what = if boundary {
                    BOUNDARY
                } else {
                    "attached policy"
                };
                let link = match resolve(model, members, a) {
                    Ok(Target::Tree(doc)) => PolicyLink {
                        source: PolicySource::CustomerManaged,
                        doc,
                        attached_at: Some(at),
                        via_group: None,
                    },
                    Ok(Target::Managed(policy)) => {
                        wanted_managed.push(policy);
                        PolicyLink {
                            source: PolicySource::AwsManaged,
                            doc: DocRef::Managed(policy),
                            attached_at: Some(at),
                            via_group: None,
                        }
                    }
                    Err(reason) => {
                        p.unresolved.push(Unresolved {
                            what: what.to_string(),
                            value: match &a.policy_arn.value {
                                Scalar::Unknown(u) => u.expr.clone(),
                                other => other.text(),
                            },
                            reason,
                            at: Some(at),
                        });
                        continue;
                    }
                };
                if boundary {
                    p.boundary = Some(link);
                } else {
                    push_link(&mut p.policies, link);
                }
            }
        }
        if p.kind == PrincipalKind::Unknown && p.declared_in.is_none() {
            p.unresolved.push(Unresolved {
                what: "principal".to_string(),
                value: key.clone(),
                reason: "not declared in the linted files (a name, a variable or a module's output): it may hold more policies than these".to_string(),
                at: None,
            });
        }
        for policy in wanted_managed {
            model.managed_doc(policy);
        }
        built.push(p);
    }
    // A user holds its groups' policies too.
    for i in 0..built.len() {
        let groups = built[i].groups.clone();
        for g in groups {
            let Some(group) = built.iter().position(|p| p.address == g) else {
                continue;
            };
            let links: Vec<PolicyLink> = built[group]
                .policies
                .iter()
                .filter(|l| l.via_group.is_none())
                .map(|l| PolicyLink {
                    via_group: Some(g.clone()),
                    ..l.clone()
                })
                .collect();
            for link in links {
                push_link(&mut built[i].policies, link);
            }
        }
    }
    model.principals.extend(built);
}

/// Adds a policy link unless the same document is already linked.
fn push_link(links: &mut Vec<PolicyLink>, link: PolicyLink) {
    if !links.iter().any(|l| l.doc == link.doc) {
        links.push(link);
    }
}

/// The addresses `moved {}` blocks lead back from `key`, newest first (cycles stop).
fn moved_from(key: &str, moved: &[(String, String)]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut at = key.to_string();
    while let Some((from, _)) = moved.iter().find(|(_, to)| *to == at) {
        if *from == key || out.contains(from) {
            break;
        }
        out.push(from.clone());
        at = from.clone();
    }
    out
}

enum Target {
    Tree(DocRef),
    Managed(&'static crate::catalog::ManagedPolicy),
}

/// The document an attachment's policy ARN names: an AWS managed policy, a customer managed
/// policy of the same scope (`aws_iam_policy.x.arn`, `!Ref Policy`), or why it is unknown.
fn resolve(model: &Model, members: &[usize], a: &Attachment) -> Result<Target, String> {
    let catalog = Catalog::get();
    // An AWS managed policy whose partition is a placeholder (`!Sub 'arn:${AWS::Partition}:iam::
    // aws:policy/X'`), read as the managed-policy rules read it.
    if let (Scalar::Template(_), crate::rules::managed::common::Resolved::Managed { policy, .. }) = (
        &a.policy_arn.value,
        crate::rules::managed::common::resolve(a, catalog),
    ) {
        return Ok(Target::Managed(policy));
    }
    match &a.policy_arn.value {
        Scalar::Str(arn) => {
            if let Some(policy) = catalog.managed_policy(arn) {
                return Ok(Target::Managed(policy));
            }
            if arn.contains(":iam::aws:policy/") {
                return Err("not an AWS managed policy iamlint knows".to_string());
            }
            Err("a customer managed policy not defined in the linted files".to_string())
        }
        Scalar::Unknown(u) => {
            let prefix = a.origin.address.as_deref().map_or("", module_prefix);
            let target = match &u.reference {
                Some(r) => Some(format!("{prefix}{}", r.address)),
                None => cfn_ref(&u.expr),
            };
            if let Some(target) = target {
                for &fi in members {
                    let found = model.facts[fi].docs.iter().position(|d| {
                        is_managed_doc(&d.origin)
                            && d.origin.address.as_deref().is_some_and(|addr| {
                                addr == target
                                    || addr
                                        .strip_prefix(target.as_str())
                                        .is_some_and(|rest| rest.starts_with('['))
                            })
                    });
                    if let Some(doc) = found {
                        return Ok(Target::Tree(DocRef::Tree { facts: fi, doc }));
                    }
                }
            }
            Err(u.reason.clone())
        }
        other => Err(format!(
            "`{}` cannot be evaluated before deployment",
            other.text()
        )),
    }
}

/// `Resources.Name` of a CloudFormation `!Ref Name` / `{"Ref": "Name"}` as written.
fn cfn_ref(expr: &str) -> Option<String> {
    let rest = expr
        .trim()
        .strip_prefix("!Ref")
        .or_else(|| expr.trim().strip_prefix("{\"Ref\""))?;
    let name: String = rest
        .trim_start_matches([' ', ':', '"'])
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    (!name.is_empty()).then(|| format!("Resources.{name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_prefixes_skip_instance_keys() {
        assert_eq!(module_prefix("aws_iam_role.r"), "");
        assert_eq!(module_prefix("module.a.aws_iam_role.r"), "module.a.");
        assert_eq!(
            module_prefix("module.a[\"x.]y\"].module.b[0].aws_iam_role.r"),
            "module.a[\"x.]y\"].module.b[0]."
        );
        assert_eq!(
            resource_type_of("module.a.aws_iam_policy.p[\"k\"]"),
            Some("aws_iam_policy")
        );
    }

    #[test]
    fn instance_bases_drop_only_the_resources_own_key() {
        assert_eq!(instance_base("aws_iam_role.ci[0]"), "aws_iam_role.ci");
        assert_eq!(
            instance_base("aws_iam_role.ci[\"a.]b\"]"),
            "aws_iam_role.ci"
        );
        assert_eq!(instance_base("aws_iam_role.ci"), "aws_iam_role.ci");
        assert_eq!(
            instance_base("module.a[\"x.]y\"].module.b[0].aws_iam_role.r[1]"),
            "module.a[\"x.]y\"].module.b[0].aws_iam_role.r"
        );
        assert_eq!(
            instance_base("module.a[0].aws_iam_role.r"),
            "module.a[0].aws_iam_role.r"
        );
    }

    #[test]
    fn moved_chains_lead_back_and_stop_at_cycles() {
        let moved = vec![
            ("aws_iam_role.a".to_string(), "aws_iam_role.b".to_string()),
            ("aws_iam_role.b".to_string(), "aws_iam_role.c".to_string()),
        ];
        assert_eq!(
            moved_from("aws_iam_role.c", &moved),
            ["aws_iam_role.b", "aws_iam_role.a"]
        );
        let cycle = vec![
            ("x".to_string(), "y".to_string()),
            ("y".to_string(), "x".to_string()),
        ];
        assert_eq!(moved_from("y", &cycle), ["x"]);
    }

    #[test]
    fn kinds_from_keys() {
        assert_eq!(
            PrincipalKind::of_key("module.m.aws_iam_user.u"),
            PrincipalKind::User
        );
        assert_eq!(PrincipalKind::of_key("role/ci"), PrincipalKind::Role);
        assert_eq!(
            PrincipalKind::of_key("var.role_name"),
            PrincipalKind::Unknown
        );
        assert_eq!(cfn_ref("!Ref Policy"), Some("Resources.Policy".to_string()));
    }
}
