//! `count` and `for_each` on resources, data sources and module calls: the instances a block
//! stands for, each with its key and the `each`/`count` value its expressions see.

use hcl_edit::expr::{Expression, Traversal, TraversalOperator};
use hcl_edit::structure::Block;
use hcl_edit::visit::{visit_traversal, Visit};
use hcl_edit::Span as _;

use super::eval::{Eval, Src};
use crate::model::{Scalar, Unknown, Via};
use crate::source::{Located, Span};
use crate::tree::{Node, NodeKind};

/// How many instances of one block are linted. Past this, the block is linted once with `each`
/// unknown and an `unresolved-reference` says why: a `for_each` over thousands of keys is data,
/// and linting each copy would only repeat the same findings.
pub const MAX_INSTANCES: usize = 256;

/// How many instances one run (a linted file with every module instance it expands) lints, all
/// blocks together. Each instance is a whole document model and its findings until instances are
/// merged: a 97 KB file of 480 `for_each` resources over 256 keys built 123,000 documents (300 MB;
/// six such folders, 1.1 GB). Past this, a block is linted once with `each`/`count` unknown.
pub const MAX_RUN_INSTANCES: u64 = 4_096;

/// One instance: its key as Terraform writes it in an address (`"a"`, `0`) and the binding its
/// expressions see (`each` = `{key, value}`, or `count` = `{index}`).
#[derive(Debug, Clone)]
pub struct Instance {
    pub key: String,
    name: &'static str,
    value: Node,
}

/// The instances of a block.
#[derive(Debug)]
pub enum Instances {
    /// No `count` or `for_each`: the block itself.
    Single,
    /// A known collection: one entry per instance (none for `count = 0` or an empty map).
    Known {
        items: Vec<Instance>,
        /// The `count`/`for_each` value, where instance labels point.
        span: Span,
        meta: &'static str,
    },
    /// The collection is not known (or too large): linted once with `each`/`count` unknown.
    Unknown {
        unknown: Located<Unknown>,
        meta: &'static str,
    },
}

impl Instances {
    /// Reads `count`/`for_each` of `block` (written in `src`).
    pub fn of(ev: &mut Eval<'_>, src: Src<'_>, block: &Block) -> Instances {
        let (meta, attr) = match (
            block.body.get_attribute("for_each"),
            block.body.get_attribute("count"),
        ) {
            (Some(a), _) => ("for_each", a),
            (None, Some(a)) => ("count", a),
            (None, None) => return Instances::Single,
        };
        let span = Eval::span(src, attr.value.span());
        let text = format!("{meta} = {}", Eval::text_of(src, &attr.value));
        let value = ev.eval(src, &attr.value);
        let unknown = |why: String| Instances::Unknown {
            unknown: Located::new(
                Unknown::new(
                    text.clone(),
                    format!(
                        "{why}: the block is linted once, with `{}` unknown",
                        meta_name(meta)
                    ),
                ),
                span,
            ),
            meta,
        };
        let items: Vec<Instance> = match (meta, &value.kind) {
            ("count", NodeKind::Number(n)) => match n.parse::<usize>() {
                Ok(n) if n > MAX_INSTANCES => {
                    return unknown(format!("{n} instances are more than {MAX_INSTANCES}"))
                }
                Ok(n) => (0..n)
                    .map(|i| Instance {
                        key: i.to_string(),
                        name: "count",
                        value: object(vec![("index", number(i, value.span))], value.span),
                    })
                    .collect(),
                Err(_) => return unknown("`count` is not a whole number".to_string()),
            },
            ("for_each", NodeKind::Object(entries)) => {
                if entries.len() > MAX_INSTANCES {
                    return unknown(format!(
                        "{} instances are more than {MAX_INSTANCES}",
                        entries.len()
                    ));
                }
                entries
                    .iter()
                    .map(|(k, v)| Instance {
                        key: quote(&k.value),
                        name: "each",
                        value: object(
                            vec![
                                (
                                    "key",
                                    Node::new(NodeKind::Str(Scalar::str(&k.value)), k.span),
                                ),
                                ("value", v.clone()),
                            ],
                            v.span,
                        ),
                    })
                    .collect()
            }
            // A set of strings: key and value are the string.
            ("for_each", NodeKind::Array(items)) => {
                if items.len() > MAX_INSTANCES {
                    return unknown(format!(
                        "{} instances are more than {MAX_INSTANCES}",
                        items.len()
                    ));
                }
                let mut out: Vec<Instance> = Vec::new();
                for item in items {
                    let Some(s) = item.as_str() else {
                        return unknown("an element of the set is not a known string".to_string());
                    };
                    let key = quote(s);
                    if out.iter().any(|i| i.key == key) {
                        continue;
                    }
                    out.push(Instance {
                        key,
                        name: "each",
                        value: object(
                            vec![("key", item.clone()), ("value", item.clone())],
                            item.span,
                        ),
                    });
                }
                out
            }
            (_, NodeKind::Str(Scalar::Unknown(u))) => return unknown(u.reason.clone()),
            (_, NodeKind::Null) => return unknown(format!("`{meta}` is null")),
            _ => {
                return unknown(format!(
                    "`{meta}` is {}, not {}",
                    value.type_name(),
                    if meta == "count" {
                        "a number"
                    } else {
                        "a map or a set"
                    }
                ))
            }
        };
        if items.is_empty() {
            // No instance only because of a variable's default (`count = var.create ? 1 : 0`,
            // `create = false`): what the block would grant is not linted (at the defaults its
            // other inputs are often empty too), but never silently: an `unresolved-reference`
            // names it and the variables to set.
            let defaults = defaults_read(ev, &attr.value);
            if !defaults.is_empty() {
                let names: Vec<String> = defaults.iter().map(|n| format!("var.{n}")).collect();
                let note = Located::new(
                    Unknown::new(
                        text.clone(),
                        format!(
                            "no instance at the module's defaults of {}: the block is not linted; give {} a value (a caller, tfvars or --var) to have it checked",
                            crate::text::list_some(&names, 4),
                            if names.len() == 1 { "it" } else { "them" },
                        ),
                    ),
                    span,
                );
                if !ev.notes.contains(&note) {
                    ev.notes.push(note);
                }
            }
        }

        if !ev.spend_instances(items.len()) {
            return unknown(format!(
                "the run already lints {MAX_RUN_INSTANCES} instances"
            ));
        }
        Instances::Known { items, span, meta }
    }

    /// The instances to build, each with the binding to push and the `via` step naming it; one
    /// unnamed pass for `Single` and `Unknown`.
    pub fn passes(&self, address: &str) -> Vec<Pass> {
        match self {
            Instances::Single => vec![Pass {
                key: None,
                binding: None,
                via: None,
            }],
            // `each.value.arn` then says why it is unknown: the collection is.
            Instances::Unknown { unknown, meta } => vec![Pass {
                key: None,
                binding: Some((
                    if *meta == "count" { "count" } else { "each" },
                    Node::new(
                        NodeKind::Str(Scalar::unknown(Unknown::new(
                            unknown.value.expr.clone(),
                            format!("the `{meta}` collection is not known"),
                        ))),
                        unknown.span,
                    ),
                )),
                via: None,
            }],
            Instances::Known { items, span, meta } => items
                .iter()
                .map(|i| Pass {
                    key: Some(i.key.clone()),
                    binding: Some((i.name, i.value.clone())),
                    via: Some(Via {
                        span: *span,
                        note: format!("in these instances of `{address}` (`{meta}`)"),
                        key: Some(i.key.clone()),
                    }),
                })
                .collect(),
        }
    }

    /// Why `each`/`count` stay unknown, when they do.
    pub fn unresolved(&self) -> Option<&Located<Unknown>> {
        match self {
            Instances::Unknown { unknown, .. } => Some(unknown),
            _ => None,
        }
    }
}

/// One build of a block: an instance, or the block itself.
#[derive(Debug, Clone)]
pub struct Pass {
    pub key: Option<String>,
    pub binding: Option<(&'static str, Node)>,
    pub via: Option<Via>,
}

impl Pass {
    /// `aws_iam_policy.p` → `aws_iam_policy.p["a"]`.
    pub fn address(&self, address: &str) -> String {
        match &self.key {
            Some(k) => format!("{address}[{k}]"),
            None => address.to_string(),
        }
    }

    /// Runs `f` with this instance's `each`/`count` bound.
    pub fn with<T>(&self, ev: &mut Eval<'_>, f: impl FnOnce(&mut Eval<'_>) -> T) -> T {
        let Some((name, value)) = &self.binding else {
            return f(ev);
        };
        ev.bindings
            .push([(name.to_string(), value.clone())].into_iter().collect());
        // Documents built for one instance must not be reused by the next.
        let saved_docs = std::mem::take(&mut ev.docs);
        let out = f(ev);
        ev.docs = saved_docs;
        ev.bindings.pop();
        out
    }
}

fn meta_name(meta: &str) -> &'static str {
    if meta == "count" {
        "count.index"
    } else {
        "each"
    }
}

/// A map key as Terraform writes it in an address: `"a"`, with quotes and escapes.
fn quote(key: &str) -> String {
    serde_json::to_string(key).unwrap_or_else(|_| format!("\"{key}\""))
}

fn object(entries: Vec<(&str, Node)>, span: Span) -> Node {
    Node::new(
        NodeKind::Object(
            entries
                .into_iter()
                .map(|(k, v)| (Located::new(k.to_string(), span), v))
                .collect(),
        ),
        span,
    )
}

fn number(n: usize, span: Span) -> Node {
    Node::new(NodeKind::Number(n.to_string()), span)
}

/// The variables `expr` reads (directly or through locals) that take their `default`: no caller,
/// tfvars file or `--var` sets them.
fn defaults_read(ev: &Eval<'_>, expr: &Expression) -> Vec<String> {
    struct Refs {
        vars: Vec<String>,
        locals: Vec<String>,
    }
    impl Visit for Refs {
        fn visit_traversal(&mut self, t: &Traversal) {
            if let Expression::Variable(root) = &t.expr {
                if let Some(TraversalOperator::GetAttr(name)) =
                    t.operators.first().map(|o| o.value())
                {
                    let name = name.as_str().to_string();
                    match root.as_str() {
                        "var" if !self.vars.contains(&name) => self.vars.push(name),
                        "local" if !self.locals.contains(&name) => self.locals.push(name),
                        _ => {}
                    }
                }
            }
            visit_traversal(self, t);
        }
    }
    let mut refs = Refs {
        vars: Vec::new(),
        locals: Vec::new(),
    };
    refs.visit_expr(expr);
    // Locals read by the expression, and the locals they read, a bounded number of them.
    let mut i = 0;
    while i < refs.locals.len() && i < 64 {
        if let Some((_, attr)) = ev.module.local(&refs.locals[i]) {
            refs.visit_expr(&attr.value);
        }
        i += 1;
    }
    refs.vars
        .into_iter()
        .filter(|name| {
            !ev.inputs.contains_key(name)
                && ev
                    .module
                    .variable(name)
                    .is_some_and(|(_, block)| block.body.get_attribute("default").is_some())
        })
        .collect()
}
