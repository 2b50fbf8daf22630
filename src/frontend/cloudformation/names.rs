//! Which resource of the template a principal or policy reference names, however it is written.
//!
//! A role is named in `Roles`, `Groups`, `Users`, `RoleName` and `ManagedPolicyArns` as `!Ref Role`,
//! `!GetAtt Role.Arn`, `!Sub '${Role}'`, `!Sub 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/
//! ${Role}'`, the same ARN as an `Fn::Join`, or by the literal name its `RoleName` gives it. Each
//! names the resource `Role`, which the principal model then links like any other key.
//!
//! The written value is flattened into literal text, references to resources of the template and
//! other unknowns (pseudo parameters, parameters without a literal default); it names a resource
//! when exactly one resource is referenced, it is the last part, and what comes before it is
//! nothing or an IAM ARN of the expected kind (`...:iam::...:role/`, any path).

use super::intrinsics::{intrinsic, Scope};
use crate::tree::{Node, NodeKind};

/// How deep a written value is followed (`Fn::Sub` variables, `Fn::Join` items).
const MAX_DEPTH: usize = 16;

/// What a principal reference may name: the resource type and the ARN's resource type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Named {
    Role,
    User,
    Group,
    /// A customer managed policy (`AWS::IAM::ManagedPolicy`), by ARN.
    Policy,
}

impl Named {
    /// From the name used in keys: `role`, `user`, `group`.
    pub fn of_kind(kind: &str) -> Option<Named> {
        match kind {
            "role" => Some(Named::Role),
            "user" => Some(Named::User),
            "group" => Some(Named::Group),
            _ => None,
        }
    }

    pub fn resource_type(self) -> &'static str {
        match self {
            Named::Role => "AWS::IAM::Role",
            Named::User => "AWS::IAM::User",
            Named::Group => "AWS::IAM::Group",
            Named::Policy => "AWS::IAM::ManagedPolicy",
        }
    }

    fn arn_kind(self) -> &'static str {
        match self {
            Named::Role => "role",
            Named::User => "user",
            Named::Group => "group",
            Named::Policy => "policy",
        }
    }

    /// The property that gives a resource of this type its name.
    pub fn name_property(self) -> &'static str {
        match self {
            Named::Role => "RoleName",
            Named::User => "UserName",
            Named::Group => "GroupName",
            Named::Policy => "ManagedPolicyName",
        }
    }

    pub const ALL: [Named; 4] = [Named::Role, Named::User, Named::Group, Named::Policy];
}

#[derive(Debug, PartialEq)]
enum Part {
    Lit(String),
    /// A resource of the template.
    Resource(String),
    /// A value known only at deployment.
    Other,
}

/// The logical id of the resource of type `what` that `raw` (an unevaluated value) names.
pub fn named_resource(scope: &Scope, raw: &Node, what: Named) -> Option<String> {
    let mut parts = Vec::new();
    flatten(scope, raw, &mut parts, 0)?;
    let is_resource = |id: &str| {
        scope
            .resources
            .get(id)
            .is_some_and(|t| t == what.resource_type())
    };
    match parts.as_slice() {
        [Part::Lit(name)] => scope.named.get(&(what, name.clone())).cloned(),
        [before @ .., Part::Resource(id)] if is_resource(id) => {
            if before.iter().any(|p| matches!(p, Part::Resource(_))) {
                return None;
            }
            let prefix: String = before
                .iter()
                .map(|p| match p {
                    Part::Lit(s) => s.as_str(),
                    _ => "?",
                })
                .collect();
            let arn = prefix.is_empty()
                || (prefix.starts_with("arn:")
                    && prefix.contains(":iam::")
                    && prefix.ends_with('/')
                    && prefix.contains(&format!(":{}/", what.arn_kind())));
            arn.then(|| id.clone())
        }
        _ => None,
    }
}

/// `raw` as literal text, resources and unknowns; `None` for what is not a string
/// (`Fn::If`, `Fn::Select`, a list).
fn flatten(scope: &Scope, raw: &Node, out: &mut Vec<Part>, depth: usize) -> Option<()> {
    if depth > MAX_DEPTH {
        return None;
    }
    let Some((name, arg)) = intrinsic(raw) else {
        out.push(Part::Lit(raw.as_str()?.to_string()));
        return Some(());
    };
    match name {
        "Ref" => out.push(reference(scope, arg.as_str()?)),
        "Fn::GetAtt" => {
            let target = match &arg.kind {
                NodeKind::Array(items) => items.first()?.as_str()?,
                _ => arg.as_str()?.split('.').next()?,
            };
            out.push(resource(scope, target));
        }
        "Fn::Sub" => {
            let (text, vars) = match &arg.kind {
                NodeKind::Array(items) => match items.as_slice() {
                    [text, vars] => (text.as_str()?, Some(vars)),
                    [text] => (text.as_str()?, None),
                    _ => return None,
                },
                _ => (arg.as_str()?, None),
            };
            let mut rest = text;
            while let Some(open) = rest.find("${") {
                out.push(Part::Lit(rest[..open].to_string()));
                let after = &rest[open + 2..];
                let close = after.find('}')?;
                let name = after[..close].trim();
                rest = &after[close + 1..];
                if let Some(literal) = name.strip_prefix('!') {
                    out.push(Part::Lit(format!("${{{literal}}}")));
                } else if let Some(var) = vars.and_then(|v| v.get(name)) {
                    flatten(scope, var, out, depth + 1)?;
                } else if let Some((target, _)) = name.split_once('.') {
                    out.push(resource(scope, target));
                } else {
                    out.push(reference(scope, name));
                }
            }
            out.push(Part::Lit(rest.to_string()));
        }
        "Fn::Join" => {
            let NodeKind::Array(args) = &arg.kind else {
                return None;
            };
            let [delim, list] = args.as_slice() else {
                return None;
            };
            let NodeKind::Array(items) = &list.kind else {
                return None;
            };
            let delim = delim.as_str()?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(Part::Lit(delim.to_string()));
                }
                flatten(scope, item, out, depth + 1)?;
            }
        }
        _ => return None,
    }
    out.retain(|p| *p != Part::Lit(String::new()));
    Some(())
}

/// `Ref` of a name: a resource, a parameter's literal default, or an unknown.
fn reference(scope: &Scope, name: &str) -> Part {
    if scope.resources.contains_key(name) {
        return Part::Resource(name.to_string());
    }
    match scope.params.get(name) {
        Some(p) if !p.ssm && !p.list => match p.default.and_then(Node::as_str) {
            Some(value) => Part::Lit(value.to_string()),
            None => Part::Other,
        },
        _ => Part::Other,
    }
}

fn resource(scope: &Scope, name: &str) -> Part {
    if scope.resources.contains_key(name) {
        Part::Resource(name.to_string())
    } else {
        Part::Other
    }
}

/// The name a resource gives itself in its `RoleName` (`UserName`, ...), when that is literal
/// text or a parameter's literal default.
pub fn own_name(scope: &Scope, props: &Node, what: Named) -> Option<String> {
    let mut parts = Vec::new();
    flatten(scope, props.get(what.name_property())?, &mut parts, 0)?;
    match parts.as_slice() {
        [Part::Lit(name)] => Some(name.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    const TEMPLATE: &str = r#"
Parameters:
  Name: {Type: String, Default: from-param}
  Other: {Type: String}
Resources:
  Role: {Type: AWS::IAM::Role, Properties: {RoleName: my-role}}
  Named: {Type: AWS::IAM::Role, Properties: {RoleName: !Ref Name}}
  Other2: {Type: AWS::IAM::Role}
  Policy: {Type: AWS::IAM::ManagedPolicy}
  User: {Type: AWS::IAM::User}
"#;

    fn named(expr: &str, what: Named) -> Option<String> {
        let root = crate::frontend::cloudformation::yaml::parse(TEMPLATE, FileId(0))
            .unwrap()
            .root
            .unwrap();
        let scope = Scope::new(&root, TEMPLATE);
        let value = crate::frontend::cloudformation::yaml::parse(&format!("v: {expr}"), FileId(0))
            .unwrap()
            .root
            .unwrap();
        named_resource(&scope, value.get("v").unwrap(), what)
    }

    #[test]
    fn every_spelling_of_a_role_names_it() {
        for expr in [
            "!Ref Role",
            "!GetAtt Role.Arn",
            "!GetAtt [Role, Arn]",
            "!Sub '${Role}'",
            "!Sub '${Role.Arn}'",
            "!Sub 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${Role}'",
            "!Sub 'arn:aws:iam::${AWS::AccountId}:role/app/${Role}'",
            "!Sub ['arn:${P}:iam::${AWS::AccountId}:role/${R}', {P: !Ref AWS::Partition, R: !Ref Role}]",
            "!Join ['', ['arn:', !Ref AWS::Partition, ':iam::', !Ref AWS::AccountId, ':role/', !Ref Role]]",
            "!Join [':', [arn, aws, iam, '', !Ref AWS::AccountId, !Sub 'role/${Role}']]",
            "my-role",
        ] {
            assert_eq!(named(expr, Named::Role).as_deref(), Some("Role"), "{expr}");
        }
        assert_eq!(named("from-param", Named::Role).as_deref(), Some("Named"));
        assert_eq!(
            named(
                "!Sub 'arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/${Policy}'",
                Named::Policy
            )
            .as_deref(),
            Some("Policy")
        );
    }

    #[test]
    fn near_misses_name_nothing() {
        for expr in [
            "other-role",
            "!Ref User",
            "!Ref Other",
            "!Sub '${Other}-${Role}'",
            "!Sub '${Role}-suffix'",
            "!Sub 'arn:aws:iam::${AWS::AccountId}:user/${Role}'",
            "!Join ['', [!Ref Role, !Ref Other2]]",
            "!If [C, !Ref Role, !Ref Other2]",
        ] {
            assert_eq!(named(expr, Named::Role), None, "{expr}");
        }
    }
}
