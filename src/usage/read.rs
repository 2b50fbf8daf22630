//! Reading CloudTrail records offline, streamed: no file is ever held whole in memory.
//!
//! One visitor reads every shape CloudTrail records come in: a delivered log file
//! (`{"Records": [...]}`), the output of `aws cloudtrail lookup-events` (`{"Events": [{
//! "CloudTrailEvent": "<record as a JSON string>"}]}`), JSON Lines of single records (CloudTrail
//! Lake exports) and of EventBridge envelopes (`{"detail": <record>}`). Each record is read into a
//! small struct with only the fields usage needs and folded into a [`Tally`] at once; the array is
//! never collected. Gzip is recognised by its magic bytes, whatever the file is named.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// At most this many distinct resources are kept per call; past it the call's resource is
/// "many" and the granted scope is kept (bounded memory whatever the log).
pub const MAX_RESOURCES_PER_CALL: usize = 32;

/// Who made a call, from `userIdentity`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Who {
    pub kind: WhoKind,
    /// The role or user name (`RoleToBeAssumed`, `Alice`), the service (`lambda.amazonaws.com`),
    /// or the account id for the root user.
    pub name: String,
    /// The role or user ARN (the session issuer's for a session), when the record has one.
    pub arn: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WhoKind {
    /// A session of a role (`AssumedRole`): the role is the session issuer.
    Role,
    User,
    /// `WebIdentityUser` or `SAMLUser` calling `AssumeRoleWithWebIdentity`/`SAML`: the role is the
    /// one named in the request.
    Federated,
    Service,
    Root,
    Other,
}

impl WhoKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WhoKind::Role => "role",
            WhoKind::User => "user",
            WhoKind::Federated => "federated",
            WhoKind::Service => "service",
            WhoKind::Root => "root",
            WhoKind::Other => "other",
        }
    }
}

/// One distinct call: who, which event, and whether it was denied.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallKey {
    pub who: Who,
    /// `s3.amazonaws.com`
    pub source: String,
    /// `GetObject`
    pub name: String,
    pub denied: bool,
}

/// What the records of one [`CallKey`] add up to.
#[derive(Debug, Clone, Default)]
pub struct CallStat {
    pub count: u64,
    /// The latest `eventTime`.
    pub last: String,
    /// ARNs the calls named (from request parameters or `resources[]`).
    pub resources: BTreeSet<String>,
    /// Some call named no resource iamlint could read, or more than
    /// [`MAX_RESOURCES_PER_CALL`] were named: the granted scope is kept.
    pub unknown_resource: bool,
}

impl CallStat {
    fn merge(&mut self, other: CallStat) {
        self.count += other.count;
        if other.last > self.last {
            self.last = other.last;
        }
        self.unknown_resource |= other.unknown_resource;
        for r in other.resources {
            self.add_resource(r);
        }
    }

    fn add_resource(&mut self, arn: String) {
        if self.resources.len() >= MAX_RESOURCES_PER_CALL && !self.resources.contains(&arn) {
            self.unknown_resource = true;
        } else {
            self.resources.insert(arn);
        }
    }
}

/// The `--since`/`--until` window: `eventTime`s compared at the precision the bound is written
/// at (`2024-05` takes the whole month), both ends inclusive.
#[derive(Debug, Clone, Default)]
pub struct Window {
    pub since: Option<String>,
    pub until: Option<String>,
}

impl Window {
    /// Checks a bound: `YYYY`, `YYYY-MM`, `YYYY-MM-DD` or `YYYY-MM-DDThh:mm[:ss]` (UTC), with an
    /// optional trailing `Z`.
    pub fn parse_bound(s: &str) -> Result<String, String> {
        let t = s.trim().trim_end_matches('Z');
        let shape = b"0000-00-00T00:00:00";
        let ok = [4, 7, 10, 16, 19].contains(&t.len())
            && t.bytes().zip(shape.iter()).all(|(c, &want)| match want {
                b'0' => c.is_ascii_digit(),
                other => c == other,
            });
        if ok {
            Ok(t.to_string())
        } else {
            Err(format!(
                "`{s}` is not a date: expected YYYY-MM-DD or YYYY-MM-DDThh:mm:ss (UTC)"
            ))
        }
    }

    /// Whether an `eventTime` (`2014-03-06T21:22:54Z`) is inside the window.
    pub fn contains(&self, time: &str) -> bool {
        let cut = |bound: &str| &time[..bound.len().min(time.len())];
        self.since.as_deref().is_none_or(|s| cut(s) >= s)
            && self.until.as_deref().is_none_or(|u| cut(u) <= u)
    }
}

/// What a set of log files adds up to.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    pub files: u64,
    /// Records read (inside and outside the window).
    pub records: u64,
    /// Records not counted: outside the window, without `eventSource`/`eventName`, or events
    /// AWS itself made (`AwsServiceEvent`).
    pub skipped: u64,
    /// Records of calls denied for lack of permission.
    pub denied: u64,
    /// First and last `eventTime` of the records counted.
    pub first: Option<String>,
    pub last: Option<String>,
    /// Event sources some data event (`managementEvent: false`) was seen for.
    pub data_sources: BTreeSet<String>,
    pub calls: HashMap<CallKey, CallStat>,
}

impl Tally {
    pub fn merge(&mut self, other: Tally) {
        self.files += other.files;
        self.records += other.records;
        self.skipped += other.skipped;
        self.denied += other.denied;
        self.first = min_opt(self.first.take(), other.first);
        self.last = max_opt(self.last.take(), other.last);
        self.data_sources.extend(other.data_sources);
        for (k, v) in other.calls {
            self.calls.entry(k).or_default().merge(v);
        }
    }

    fn add(&mut self, r: Record, window: &Window) {
        self.records += 1;
        let (Some(source), Some(name)) = (r.event_source, r.event_name) else {
            self.skipped += 1;
            return;
        };
        let time = r.event_time.unwrap_or_default();
        if (!time.is_empty() && !window.contains(&time))
            || (time.is_empty() && (window.since.is_some() || window.until.is_some()))
            || r.event_type.as_deref() == Some("AwsServiceEvent")
        {
            self.skipped += 1;
            return;
        }
        if !time.is_empty() {
            self.first = min_opt(self.first.take(), Some(time.clone()));
            self.last = max_opt(self.last.take(), Some(time.clone()));
        }
        if r.management_event == Some(false) || r.event_category.as_deref() == Some("Data") {
            self.data_sources.insert(source.clone());
        }
        let denied = r.error_code.as_deref().is_some_and(is_denied);
        if denied {
            self.denied += 1;
        }
        let region = r.region.unwrap_or_default();
        let account = r.account.unwrap_or_default();
        let identity_arn = r.identity.as_ref().and_then(|i| i.arn.as_deref());
        let partition = partition_of(identity_arn, &r.resource_arns, &region);
        let mut arns = arns_from_params(&source, &r.params, partition, &region, &account);
        if arns.is_empty() {
            arns = r.resource_arns;
        }
        let who = who(r.identity.unwrap_or_default(), &r.params);
        let stat = self.calls.entry(CallKey {
            who,
            source,
            name,
            denied,
        });
        let stat = stat.or_default();
        stat.count += 1;
        if time > stat.last {
            stat.last = time;
        }
        if arns.is_empty() {
            stat.unknown_resource = true;
        }
        for arn in arns {
            stat.add_resource(arn);
        }
    }
}

fn min_opt(a: Option<String>, b: Option<String>) -> Option<String> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn max_opt(a: Option<String>, b: Option<String>) -> Option<String> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// Error codes of a call refused for lack of permission (not of a call that failed otherwise).
pub fn is_denied(code: &str) -> bool {
    matches!(
        code,
        "AccessDenied"
            | "AccessDeniedException"
            | "UnauthorizedOperation"
            | "Client.UnauthorizedOperation"
            | "Client.AccessDenied"
    )
}

fn who(id: Identity, params: &Params) -> Who {
    let kind = id.ty.as_deref().unwrap_or("");
    match kind {
        "AssumedRole" => {
            let issuer = id.issuer.unwrap_or_default();
            let arn = issuer.arn.unwrap_or_default();
            let name = issuer
                .user_name
                .unwrap_or_else(|| last_segment(&arn).to_string());
            Who {
                kind: WhoKind::Role,
                name,
                arn,
            }
        }
        "IAMUser" => {
            let arn = id.arn.unwrap_or_default();
            Who {
                kind: WhoKind::User,
                name: id
                    .user_name
                    .unwrap_or_else(|| last_segment(&arn).to_string()),
                arn,
            }
        }
        "WebIdentityUser" | "SAMLUser" => {
            let arn = params.role_arn.clone().unwrap_or_default();
            Who {
                kind: WhoKind::Federated,
                name: last_segment(&arn).to_string(),
                arn,
            }
        }
        "AWSService" => Who {
            kind: WhoKind::Service,
            name: id.invoked_by.unwrap_or_default(),
            arn: String::new(),
        },
        "Root" => Who {
            kind: WhoKind::Root,
            name: id.account_id.unwrap_or_default(),
            arn: id.arn.unwrap_or_default(),
        },
        other => Who {
            kind: WhoKind::Other,
            name: if other.is_empty() {
                "unknown".to_string()
            } else {
                other.to_string()
            },
            arn: id.arn.unwrap_or_default(),
        },
    }
}

/// `RoleToBeAssumed` of `arn:aws:iam::123456789012:role/path/RoleToBeAssumed`.
pub fn last_segment(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// The partition of a call: that of the caller's ARN, else of a resource ARN of the record, else
/// the one its region belongs to (`cn-north-1` is in `aws-cn`, `us-gov-west-1` in `aws-us-gov`).
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html>
fn partition_of<'a>(
    identity_arn: Option<&'a str>,
    resources: &'a [String],
    region: &str,
) -> &'a str {
    let of_arn = |arn: &'a str| {
        arn.strip_prefix("arn:")
            .and_then(|rest| rest.split(':').next())
            .filter(|p| p.starts_with("aws"))
    };
    if let Some(p) = identity_arn.and_then(of_arn) {
        return p;
    }
    if let Some(p) = resources.iter().find_map(|a| of_arn(a)) {
        return p;
    }
    match region {
        r if r.starts_with("cn-") => "aws-cn",
        r if r.starts_with("us-gov-") => "aws-us-gov",
        r if r.starts_with("us-isob-") => "aws-iso-b",
        r if r.starts_with("us-iso-") => "aws-iso",
        r if r.starts_with("eusc-") => "aws-eusc",
        _ => "aws",
    }
}

/// ARNs the request parameters name, for the parameters iamlint knows, in `partition`.
fn arns_from_params(
    source: &str,
    p: &Params,
    partition: &str,
    region: &str,
    account: &str,
) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(bucket) = &p.bucket_name {
        if p.key.is_some() {
            out.push(format!("arn:{partition}:s3:::{bucket}/*"));
        } else {
            out.push(format!("arn:{partition}:s3:::{bucket}"));
        }
    }
    if let Some(table) = &p.table_name {
        if table.starts_with("arn:") {
            out.push(table.clone());
        } else if source.starts_with("dynamodb.") {
            out.push(format!(
                "arn:{partition}:dynamodb:{region}:{account}:table/{table}"
            ));
        }
    }
    if let Some(function) = &p.function_name {
        if source.starts_with("lambda.") {
            let name = function
                .strip_prefix("arn:")
                .map_or(function.as_str(), |_| {
                    function.split(':').nth(6).unwrap_or(function)
                });
            out.push(format!(
                "arn:{partition}:lambda:{region}:{account}:function:{name}"
            ));
        }
    }
    for arn in [&p.topic_arn, &p.secret_id, &p.key_id] {
        if let Some(a) = arn.as_ref().filter(|a| a.starts_with("arn:")) {
            out.push(a.clone());
        }
    }
    if let Some(url) = &p.queue_url {
        // https://sqs.us-east-1.amazonaws.com/123456789012/queue
        let mut parts = url.rsplit('/');
        if let (Some(name), Some(acct)) = (parts.next(), parts.next()) {
            out.push(format!("arn:{partition}:sqs:{region}:{acct}:{name}"));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The record and its visitor

#[derive(Debug, Default)]
struct Record {
    event_time: Option<String>,
    event_source: Option<String>,
    event_name: Option<String>,
    event_type: Option<String>,
    event_category: Option<String>,
    management_event: Option<bool>,
    error_code: Option<String>,
    region: Option<String>,
    account: Option<String>,
    identity: Option<Identity>,
    params: Params,
    resource_arns: Vec<String>,
}

impl Record {
    fn is_record(&self) -> bool {
        self.event_source.is_some() || self.event_name.is_some()
    }
}

#[derive(Debug, Default, serde::Deserialize)]
struct Identity {
    #[serde(rename = "type", default, deserialize_with = "lenient")]
    ty: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    arn: Option<String>,
    #[serde(rename = "userName", default, deserialize_with = "lenient")]
    user_name: Option<String>,
    #[serde(rename = "accountId", default, deserialize_with = "lenient")]
    account_id: Option<String>,
    #[serde(rename = "invokedBy", default, deserialize_with = "lenient")]
    invoked_by: Option<String>,
    #[serde(rename = "sessionContext", default)]
    session: Option<SessionContext>,
    #[serde(skip)]
    issuer: Option<Issuer>,
}

#[derive(Debug, Default, serde::Deserialize)]
struct SessionContext {
    #[serde(rename = "sessionIssuer", default)]
    issuer: Option<Issuer>,
}

#[derive(Debug, Default, Clone, serde::Deserialize)]
struct Issuer {
    #[serde(default, deserialize_with = "lenient")]
    arn: Option<String>,
    #[serde(rename = "userName", default, deserialize_with = "lenient")]
    user_name: Option<String>,
}

/// The request parameters that name a resource or the assumed role.
#[derive(Debug, Default, serde::Deserialize)]
struct Params {
    #[serde(rename = "bucketName", default, deserialize_with = "lenient")]
    bucket_name: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    key: Option<String>,
    #[serde(rename = "tableName", default, deserialize_with = "lenient")]
    table_name: Option<String>,
    #[serde(rename = "functionName", default, deserialize_with = "lenient")]
    function_name: Option<String>,
    #[serde(rename = "topicArn", default, deserialize_with = "lenient")]
    topic_arn: Option<String>,
    #[serde(rename = "queueUrl", default, deserialize_with = "lenient")]
    queue_url: Option<String>,
    #[serde(rename = "secretId", default, deserialize_with = "lenient")]
    secret_id: Option<String>,
    #[serde(rename = "keyId", default, deserialize_with = "lenient")]
    key_id: Option<String>,
    #[serde(rename = "roleArn", default, deserialize_with = "lenient")]
    role_arn: Option<String>,
}

#[derive(Debug, Default, serde::Deserialize)]
struct ResourceRef {
    #[serde(rename = "ARN", default, deserialize_with = "lenient")]
    arn: Option<String>,
}

/// A string, or anything else read and dropped (a parameter that is an object in some service).
fn lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<String>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("any value")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(None)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(None)
        }
    }
    d.deserialize_any(V)
}

/// `null` or an object of params; anything else dropped.
fn params<'de, D: Deserializer<'de>>(d: D) -> Result<Params, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Params;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("request parameters")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Params, E> {
            Ok(Params::default())
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Params, A::Error> {
            serde::Deserialize::deserialize(de::value::MapAccessDeserializer::new(map))
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Params, E> {
            Ok(Params::default())
        }
    }
    d.deserialize_any(V)
}

thread_local! {
    /// The tally and window of the file this thread is reading: the streaming visitor folds each
    /// record in as it is read (serde's `StreamDeserializer` takes no seed).
    static SINK: RefCell<(Tally, Window)> = RefCell::new(Default::default());
}

fn sink(r: Record) {
    SINK.with(|s| {
        let mut s = s.borrow_mut();
        let (tally, window) = &mut *s;
        tally.add(r, window);
    });
}

/// One top-level JSON value: a container of records (folded into the sink as read), or a record.
struct Top;

impl<'de> serde::Deserialize<'de> for Top {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Top, D::Error> {
        let record = d.deserialize_map(RecordVisitor { top: true })?;
        if record.is_record() {
            sink(record);
        }
        Ok(Top)
    }
}

struct RecordSeed;

impl<'de> DeserializeSeed<'de> for RecordSeed {
    type Value = Record;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Record, D::Error> {
        d.deserialize_map(RecordVisitor { top: false })
    }
}

/// Reads a record's fields; at the top level also `Records`, `Events` and `detail`, whose
/// records go to the sink one by one.
struct RecordVisitor {
    top: bool,
}

impl<'de> Visitor<'de> for RecordVisitor {
    type Value = Record;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a CloudTrail record or an object with `Records` or `Events`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Record, A::Error> {
        let mut r = Record::default();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "eventTime" => r.event_time = map.next_value_seed(Lenient)?,
                "eventSource" => r.event_source = map.next_value_seed(Lenient)?,
                "eventName" => r.event_name = map.next_value_seed(Lenient)?,
                "eventType" => r.event_type = map.next_value_seed(Lenient)?,
                "eventCategory" => r.event_category = map.next_value_seed(Lenient)?,
                "errorCode" => r.error_code = map.next_value_seed(Lenient)?,
                "awsRegion" => r.region = map.next_value_seed(Lenient)?,
                "recipientAccountId" => r.account = map.next_value_seed(Lenient)?,
                "managementEvent" => r.management_event = map.next_value::<Option<bool>>()?,
                "userIdentity" => {
                    let mut id: Option<Identity> = map.next_value()?;
                    if let Some(id) = &mut id {
                        id.issuer = id.session.take().and_then(|s| s.issuer);
                    }
                    r.identity = id;
                }
                "requestParameters" => r.params = map.next_value_seed(ParamsSeed)?,
                "resources" => {
                    let refs: Option<Vec<ResourceRef>> = map.next_value()?;
                    r.resource_arns = refs
                        .unwrap_or_default()
                        .into_iter()
                        .filter_map(|x| x.arn)
                        .map(|arn| generalize_arn(&arn))
                        .collect();
                }
                "Records" if self.top => map.next_value_seed(Each(EachKind::Records))?,
                "Events" if self.top => map.next_value_seed(Each(EachKind::Lookup))?,
                "detail" if self.top => {
                    let inner = map.next_value_seed(RecordSeed)?;
                    if inner.is_record() {
                        sink(inner);
                    }
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(r)
    }
}

/// An S3 object ARN as its bucket's objects (`arn:aws:s3:::bucket/*`): a minimal policy names
/// buckets, not each key.
fn generalize_arn(arn: &str) -> String {
    let partition = arn.strip_prefix("arn:").and_then(|r| r.split(':').next());
    let rest = partition.and_then(|p| arn.strip_prefix(&format!("arn:{p}:s3:::")));
    if let (Some(partition), Some(rest)) = (partition, rest) {
        if let Some((bucket, _)) = rest.split_once('/') {
            return format!("arn:{partition}:s3:::{bucket}/*");
        }
    }
    arn.to_string()
}

struct Lenient;

impl<'de> DeserializeSeed<'de> for Lenient {
    type Value = Option<String>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<String>, D::Error> {
        lenient(d)
    }
}

struct ParamsSeed;

impl<'de> DeserializeSeed<'de> for ParamsSeed {
    type Value = Params;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Params, D::Error> {
        params(d)
    }
}

#[derive(Clone, Copy)]
enum EachKind {
    /// `Records`: records.
    Records,
    /// `Events` of `lookup-events`: objects whose `CloudTrailEvent` is a record as a string.
    Lookup,
}

struct Each(EachKind);

impl<'de> DeserializeSeed<'de> for Each {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Each {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of records")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        match self.0 {
            EachKind::Records => {
                while let Some(r) = seq.next_element_seed(RecordSeed)? {
                    sink(r);
                }
            }
            EachKind::Lookup => {
                while let Some(e) = seq.next_element::<LookupEvent>()? {
                    let Some(text) = e.cloudtrail_event else {
                        continue;
                    };
                    let mut de = serde_json::Deserializer::from_str(&text);
                    let record = RecordSeed
                        .deserialize(&mut de)
                        .map_err(|e| de::Error::custom(format!("in `CloudTrailEvent`: {e}")))?;
                    sink(record);
                }
            }
        }
        Ok(())
    }
}

#[derive(serde::Deserialize)]
struct LookupEvent {
    #[serde(rename = "CloudTrailEvent", default)]
    cloudtrail_event: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Files

/// A log file that could not be read, located where serde_json says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogError {
    pub path: PathBuf,
    /// 1-based line and column, when known.
    pub at: Option<(usize, usize)>,
    pub message: String,
}

impl fmt::Display for LogError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let path = crate::source::display_path(&self.path);
        match self.at {
            Some((line, col)) => write!(f, "{path}:{line}:{col}: {}", self.message),
            None => write!(f, "{path}: {}", self.message),
        }
    }
}

/// The log files under `paths`: a named file whatever its name, and under a folder (any tree, the
/// `AWSLogs/<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/` layout included) every regular file
/// named `*.json`, `*.jsonl`, `*.ndjson` or one of them with `.gz`. Hidden entries and symbolic
/// links below a folder are passed by. Sorted, so runs are deterministic.
pub fn discover(paths: &[PathBuf], errors: &mut Vec<LogError>) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for path in paths {
        match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => walk(path, &mut out, errors),
            Ok(m) if m.is_file() => out.push(path.clone()),
            Ok(_) => errors.push(LogError {
                path: path.clone(),
                at: None,
                message: "not a regular file or folder".to_string(),
            }),
            Err(e) => errors.push(LogError {
                path: path.clone(),
                at: None,
                message: format!("cannot read: {e}"),
            }),
        }
    }
    out.sort();
    out.dedup();
    out
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, errors: &mut Vec<LogError>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            errors.push(LogError {
                path: dir.to_path_buf(),
                at: None,
                message: format!("cannot read folder: {e}"),
            });
            return;
        }
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') {
            continue;
        }
        let Ok(ty) = entry.file_type() else {
            continue;
        };
        let path = entry.path();
        if ty.is_dir() {
            walk(&path, out, errors);
        } else if ty.is_file() && is_log_name(&name) {
            out.push(path);
        }
    }
}

fn is_log_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    let base = name.strip_suffix(".gz").unwrap_or(&name);
    base.ends_with(".json") || base.ends_with(".jsonl") || base.ends_with(".ndjson")
}

/// Reads one log file into a tally: streamed, gzip or not. An empty file, or one that is not
/// JSON, is an error located at the line and column serde_json stopped at.
pub fn read_file(path: &Path, window: &Window) -> Result<Tally, LogError> {
    let err = |at: Option<(usize, usize)>, message: String| LogError {
        path: path.to_path_buf(),
        at,
        message,
    };
    let file = std::fs::File::open(path).map_err(|e| err(None, format!("cannot read: {e}")))?;
    let mut reader = BufReader::with_capacity(256 * 1024, file);
    let gzip = reader
        .fill_buf()
        .map_err(|e| err(None, format!("cannot read: {e}")))?
        .starts_with(&[0x1f, 0x8b]);
    let mut reader: Box<dyn Read> = if gzip {
        Box::new(flate2::bufread::MultiGzDecoder::new(reader))
    } else {
        Box::new(reader)
    };
    // A delivered file is a few MB: read whole, it parses from a slice (several times faster
    // than serde_json's byte-at-a-time reader). A bigger one streams, so memory stays bounded.
    // The buffer is the thread's own, kept from file to file: a fresh one per file was freed to
    // the system and faulted in again each time (system time near half the run).
    let mut head = FILE_BUFFER.with(|b| std::mem::take(&mut *b.borrow_mut()));
    head.clear();
    let read = (&mut reader)
        .take(WHOLE_FILE_BYTES)
        .read_to_end(&mut head)
        .map_err(|e| err(None, format!("cannot read: {e}")));
    let result = match read {
        Err(e) => Err(e),
        Ok(_) if (head.len() as u64) < WHOLE_FILE_BYTES => {
            let result = read_slice(&head, window);
            FILE_BUFFER.with(|b| *b.borrow_mut() = head);
            result.map_err(|(at, m)| err(at, m))
        }
        // Past the limit the file streams; the buffer goes with it, so none this size is kept.
        Ok(_) => {
            let rest = BufReader::with_capacity(256 * 1024, reader);
            read_stream(std::io::Cursor::new(head).chain(rest), window)
                .map_err(|(at, m)| err(at, m))
        }
    };
    let mut tally = result?;
    tally.files = 1;
    Ok(tally)
}

thread_local! {
    /// The buffer a thread reads a whole file into (`read_file`), reused for the next file.
    static FILE_BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Files (decompressed) up to this size are read whole and parsed from memory.
pub const WHOLE_FILE_BYTES: u64 = 32 * 1024 * 1024;

/// Reads top-level JSON values from memory into a tally.
pub fn read_slice(
    bytes: &[u8],
    window: &Window,
) -> Result<Tally, (Option<(usize, usize)>, String)> {
    read_values(
        serde_json::Deserializer::from_slice(bytes).into_iter::<Top>(),
        window,
    )
}

/// Reads a stream of top-level JSON values into a tally.
pub fn read_stream(
    reader: impl Read,
    window: &Window,
) -> Result<Tally, (Option<(usize, usize)>, String)> {
    read_values(
        serde_json::Deserializer::from_reader(reader).into_iter::<Top>(),
        window,
    )
}

fn read_values<'de, R: serde_json::de::Read<'de>>(
    stream: serde_json::StreamDeserializer<'de, R, Top>,
    window: &Window,
) -> Result<Tally, (Option<(usize, usize)>, String)> {
    SINK.with(|s| *s.borrow_mut() = (Tally::default(), window.clone()));
    let mut values = 0usize;
    let mut failed = None;
    for value in stream {
        match value {
            Ok(Top) => values += 1,
            Err(e) => {
                let at = (e.line() > 0).then(|| (e.line(), e.column().max(1)));
                let message = if e.is_io() {
                    format!("cannot read: {e}")
                } else {
                    strip_position(&e.to_string())
                };
                failed = Some((at, message));
                break;
            }
        }
    }
    let (tally, _) = SINK.with(|s| std::mem::take(&mut *s.borrow_mut()));
    if let Some(f) = failed {
        return Err(f);
    }
    if values == 0 {
        return Err((
            Some((1, 1)),
            "empty log file: expected CloudTrail records".to_string(),
        ));
    }
    Ok(tally)
}

/// serde_json's message without its trailing " at line L column C" (the location is printed
/// in front, as every iamlint error is).
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// Reads every file in parallel; `progress` is called with the number of files done.
pub fn read_all(
    files: &[PathBuf],
    window: &Window,
    progress: &(dyn Fn(usize) + Sync),
) -> (Tally, Vec<LogError>) {
    use rayon::prelude::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let done = AtomicUsize::new(0);
    let (tally, mut errors) = files
        .par_iter()
        .map(|path| {
            let result = read_file(path, window);
            progress(done.fetch_add(1, Ordering::Relaxed) + 1);
            result
        })
        .fold(
            || (Tally::default(), Vec::new()),
            |(mut tally, mut errors), r| {
                match r {
                    Ok(t) => tally.merge(t),
                    Err(e) => errors.push(e),
                }
                (tally, errors)
            },
        )
        .reduce(
            || (Tally::default(), Vec::new()),
            |(mut a, mut ea), (b, eb)| {
                a.merge(b);
                ea.extend(eb);
                (a, ea)
            },
        );
    errors.sort_by(|a, b| a.path.cmp(&b.path));
    (tally, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(text: &str) -> Tally {
        let streamed = read_stream(text.as_bytes(), &Window::default()).expect("reads");
        let whole = read_slice(text.as_bytes(), &Window::default()).expect("reads");
        assert_eq!(streamed.records, whole.records);
        assert_eq!(streamed.calls.len(), whole.calls.len());
        whole
    }

    #[test]
    fn window_compares_at_the_bound_precision() {
        let w = Window {
            since: Some("2024-05".into()),
            until: Some("2024-05-31".into()),
        };
        assert!(w.contains("2024-05-01T00:00:00Z"));
        assert!(w.contains("2024-05-31T23:59:59Z"));
        assert!(!w.contains("2024-04-30T23:59:59Z"));
        assert!(!w.contains("2024-06-01T00:00:00Z"));
        assert!(Window::parse_bound("2024-13").is_ok());
        assert!(Window::parse_bound("yesterday").is_err());
        assert!(Window::parse_bound("2024-05-01T10:00:00Z").is_ok());
    }

    #[test]
    fn records_lookup_events_and_lines_read_alike() {
        let record = r#"{"eventTime":"2024-05-01T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/Alice","userName":"Alice"}}"#;
        let delivered = format!(r#"{{"Records":[{record},{record}]}}"#);
        let escaped = serde_json::to_string(record).expect("string");
        let lookup = format!(
            r#"{{"Events":[{{"EventId":"x","CloudTrailEvent":{escaped}}},{{"CloudTrailEvent":{escaped}}}]}}"#
        );
        let lines = format!("{record}\n{{\"detail\":{record}}}\n");
        for text in [delivered, lookup, lines] {
            let t = tally(&text);
            assert_eq!(t.records, 2, "{text}");
            let (key, stat) = t.calls.iter().next().expect("one call");
            assert_eq!(key.who.name, "Alice");
            assert_eq!(key.who.kind, WhoKind::User);
            assert_eq!(stat.count, 2);
        }
    }

    #[test]
    fn the_file_buffer_is_kept_and_a_smaller_file_reads_alone() {
        let record = |name: &str| {
            format!(
                r#"{{"eventTime":"2024-05-01T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"{name}","userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/Alice","userName":"Alice"}}}}"#
            )
        };
        let dir = tempfile::tempdir().expect("tempdir");
        let big = dir.path().join("big.json");
        let many: Vec<String> = (0..50).map(|_| record("ListBuckets")).collect();
        std::fs::write(&big, format!(r#"{{"Records":[{}]}}"#, many.join(","))).expect("write");
        let small = dir.path().join("small.json");
        std::fs::write(
            &small,
            format!(r#"{{"Records":[{}]}}"#, record("GetObject")),
        )
        .expect("write");
        // Each test runs on a thread of its own, so the buffer seen here is this test's.
        let t = read_file(&big, &Window::default()).expect("reads");
        assert_eq!(t.records, 50);
        let kept = FILE_BUFFER.with(|b| b.borrow().capacity());
        assert!(
            kept >= many.len() * many[0].len(),
            "buffer not kept: {kept}"
        );
        // The next file reuses it; nothing of the bigger file is read again.
        let t = read_file(&small, &Window::default()).expect("reads");
        assert_eq!(t.records, 1);
        let (key, _) = t.calls.iter().next().expect("one call");
        assert_eq!(key.name, "GetObject");
        assert_eq!(FILE_BUFFER.with(|b| b.borrow().capacity()), kept);
    }

    #[test]
    fn arns_from_request_parameters_take_the_partition_of_the_event() {
        // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html (partitions)
        let resources_of = |identity: &str, region: &str| {
            let text = format!(
                r#"{{"eventTime":"2024-05-01T10:00:00Z","eventSource":"dynamodb.amazonaws.com","eventName":"Query","awsRegion":"{region}","recipientAccountId":"111122223333","userIdentity":{{"type":"IAMUser","userName":"Alice"{identity}}},"requestParameters":{{"tableName":"orders"}}}}"#
            );
            let t = tally(&text);
            let (_, stat) = t.calls.into_iter().next().expect("one call");
            stat.resources.into_iter().collect::<Vec<_>>()
        };
        let table = |partition: &str, region: &str| {
            vec![format!(
                "arn:{partition}:dynamodb:{region}:111122223333:table/orders"
            )]
        };
        // The caller's ARN says the partition.
        let cn = r#","arn":"arn:aws-cn:iam::111122223333:user/Alice""#;
        assert_eq!(
            resources_of(cn, "cn-north-1"),
            table("aws-cn", "cn-north-1")
        );
        // Without one, the region does.
        assert_eq!(
            resources_of("", "us-gov-west-1"),
            table("aws-us-gov", "us-gov-west-1")
        );
        assert_eq!(resources_of("", "eu-west-1"), table("aws", "eu-west-1"));
        let aws = r#","arn":"arn:aws:iam::111122223333:user/Alice""#;
        assert_eq!(resources_of(aws, "us-east-1"), table("aws", "us-east-1"));
        // An object of `resources[]` stands for its bucket's objects, in its own partition.
        assert_eq!(
            generalize_arn("arn:aws-cn:s3:::b/k/1"),
            "arn:aws-cn:s3:::b/*"
        );
        assert_eq!(generalize_arn("arn:aws:s3:::b/k"), "arn:aws:s3:::b/*");
    }

    #[test]
    fn empty_and_malformed_input_are_located_errors() {
        let empty = read_stream(&b"  \n"[..], &Window::default()).expect_err("empty");
        assert_eq!(empty.0, Some((1, 1)));
        let text = &b"{\"Records\": [\n {\"eventName\": }]}"[..];
        let bad = read_slice(text, &Window::default()).expect_err("malformed");
        assert_eq!(bad.0.map(|p| p.0), Some(2));
        let bad = read_stream(text, &Window::default()).expect_err("malformed");
        assert_eq!(bad.0.map(|p| p.0), Some(2));
    }
}
