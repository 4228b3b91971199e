//! References to resources and data sources. A name, id or ARN stays a reference, which links
//! (`aws_db_parameter_group.pg.name`); any other attribute of a resource or data source the
//! verdict reads is the argument as its configuration writes it (`aws_rds_global_cluster.this
//! .engine`, `data.aws_rds_engine_version.pg.version`), because Terraform knows it at plan time;
//! the rest is unknown. An index or a splat over a `count`/`for_each` resource selects its
//! instances: `aws_rds_cluster_parameter_group.default[*].name` with `count = 1` is a list of one.

use super::eval::{alt, combine, Alts, Bindings, Ctx, Kind, Ref, V};
use super::instance::Instance;
use super::syntax::{Block, Expr, Operator};
use crate::model::Branch;
use crate::source::Span;

/// Attributes that name the resource itself: they link, whatever the configuration says.
const LINKS: &[&str] = &["name", "id", "arn", "identifier", "cluster_identifier"];

/// Resource types whose blocks are read: the model's own, and those whose arguments a
/// database's engine or version is often taken from.
pub const READ_RESOURCES: &[&str] = &[
    "aws_db_instance",
    "aws_rds_cluster",
    "aws_rds_cluster_instance",
    "aws_db_parameter_group",
    "aws_rds_cluster_parameter_group",
    "aws_rds_global_cluster",
];

/// Data sources whose arguments are their results for the attributes they set (the engine and
/// the version asked for).
pub const READ_DATA: &[&str] = &["aws_rds_engine_version"];

/// Most instances a splat lists.
const MAX_INSTANCES: usize = 64;

/// One instance of a resource: its bindings (`count.index`, `each`), the branch it exists
/// under (`each.key` is "billing"; `local.enabled` is true), and of that branch what every
/// value of the resource implies by existing, which its candidates leave out (a finding about a
/// resource holds whenever it exists).
pub struct Expansion {
    pub bindings: Bindings,
    pub branch: Branch,
    pub implied: Branch,
}

impl Ctx<'_> {
    /// `TYPE.NAME…` (`mode` "") or `data.TYPE.NAME…` (`mode` "data."), with the operators after
    /// the name.
    pub(super) fn resource_ref(
        &self,
        expr: &Expr,
        (mode, kind, name): (&str, &str, &str),
        ops: &[Operator],
        branch: &Branch,
        depth: usize,
    ) -> Alts {
        let address = format!("{}{mode}{kind}.{name}", self.instance.prefix);
        let module = self.instance.module.clone();
        let block = module.resource(mode, kind, name);
        let (selector, rest) = match ops.first() {
            Some(op @ (Operator::Index(_) | Operator::Splat)) => (Some(op), &ops[1..]),
            _ => (None, ops),
        };
        let attribute = match rest.first() {
            Some(Operator::Attr(a)) => Some(a.as_str()),
            _ => None,
        };
        let after = if attribute.is_some() {
            &rest[1..]
        } else {
            rest
        };
        let readable = match mode {
            "" => READ_RESOURCES.contains(&kind),
            _ => READ_DATA.contains(&kind),
        };
        let reference = Reference {
            ctx: self,
            address: &address,
            block: block.filter(|_| readable),
            attribute,
            data: !mode.is_empty(),
            span: expr.span,
            depth,
        };
        let links = attribute.is_none_or(|a| LINKS.contains(&a));
        let values = match (selector, block) {
            (Some(Operator::Splat), Some(block)) => reference.splat(block, branch),
            (Some(Operator::Index(index)), Some(block)) => reference.indexed(block, index, branch),
            // An argument of a `count`/`for_each` resource named without an instance (which
            // Terraform rejects) is read from its representative instances.
            (None, Some(block)) if !links => {
                let mut out = Vec::new();
                for instance in expansions(self.instance, block).unwrap_or_default() {
                    if let Some(joined) = branch.join(&instance.branch) {
                        let values = reference.value(instance.bindings, &joined);
                        out.extend(values.into_iter().map(|mut a| {
                            a.branch = a.branch.without(&instance.implied);
                            a
                        }));
                    }
                }
                if out.is_empty() {
                    out = reference.value(Bindings::default(), branch);
                }
                out
            }
            // A link, or a resource not declared here (a link that finds nothing, or an
            // unknown attribute).
            _ => reference.value(Bindings::default(), branch),
        };
        let mut values = self.apply(values, after, depth);
        // An argument written in another block comes in through this reference; a link is
        // written here.
        if !links {
            for a in &mut values {
                a.via.get_or_insert(expr.span);
            }
        }
        values
    }
}

struct Reference<'r, 'c> {
    ctx: &'r Ctx<'c>,
    address: &'r str,
    /// The declaring block, when its arguments are read.
    block: Option<&'r Block>,
    attribute: Option<&'r str>,
    /// A data source, whose other attributes Terraform reads from AWS.
    data: bool,
    span: Span,
    depth: usize,
}

impl Reference<'_, '_> {
    /// The referenced attribute of one instance.
    fn value(&self, bindings: Bindings, branch: &Branch) -> Alts {
        let reference = |attribute: Option<&str>| {
            Kind::Ref(Ref {
                address: self.address.to_string(),
                attribute: attribute.map(str::to_string),
            })
        };
        let kind = match self.attribute {
            None => reference(None),
            Some(a) if LINKS.contains(&a) => reference(Some(a)),
            Some(a) => match self.block.map(|b| b.body.attribute(a)) {
                Some(Some(argument)) => {
                    let ctx = Ctx {
                        instance: self.ctx.instance,
                        bindings,
                    };
                    return ctx.eval_nested(&argument.value, branch, self.depth);
                }
                Some(None) if self.data => Kind::Unknown(format!(
                    "the attribute `{a}` of `{}`, which Terraform reads from AWS",
                    self.address
                )),
                Some(None) => Kind::Unknown(format!(
                    "the attribute `{a}` of `{}`, which its configuration does not set",
                    self.address
                )),
                None => Kind::Unknown(format!(
                    "the attribute `{a}` of `{}`, known only after apply",
                    self.address
                )),
            },
        };
        vec![alt(V::new(self.span, kind), branch)]
    }

    /// `x[*]`: a list of every instance's value, for each way the resource can expand.
    fn splat(&self, block: &Block, branch: &Branch) -> Alts {
        let ctx = self.ctx.instance.ctx(Bindings::default());
        let mut out = Vec::new();
        if let Some(count) = block.body.attribute("count") {
            for a in ctx.eval_at(&count.value, branch, self.depth + 1) {
                let Some(n) = a.v.scalar().and_then(|s| s.parse::<usize>().ok()) else {
                    let what =
                        a.v.first_unknown()
                            .unwrap_or("a `count` that is not a number");
                    out.push(alt(V::unknown(self.span, what), &a.branch));
                    continue;
                };
                let parts = (0..n.min(MAX_INSTANCES))
                    .map(|i| {
                        let index = V::new(count.value.span, Kind::Num(i.to_string()));
                        self.value(
                            Bindings {
                                count_index: Some(index),
                                ..Bindings::default()
                            },
                            &a.branch,
                        )
                    })
                    .collect();
                out.extend(combine(self.span, &a.branch, parts, |values| {
                    Kind::list(values.to_vec())
                }));
            }
            return out;
        }
        let parts = match block.body.attribute("for_each") {
            Some(for_each) => {
                let mut parts = Vec::new();
                for a in ctx.eval_at(&for_each.value, branch, self.depth + 1) {
                    for (key, value) in elements(&a.v).into_iter().take(MAX_INSTANCES) {
                        let bindings = Bindings {
                            each: Some((key, value)),
                            ..Bindings::default()
                        };
                        parts.push(self.value(bindings, &a.branch));
                    }
                }
                parts
            }
            None => vec![self.value(Bindings::default(), branch)],
        };
        combine(self.span, branch, parts, |values| {
            Kind::list(values.to_vec())
        })
    }

    /// `x[0]`, `x["key"]`: the instance with that `count.index` or `each.key`.
    fn indexed(&self, block: &Block, index: &Expr, branch: &Branch) -> Alts {
        // The index is the referring expression's (`[each.key]` of the resource that refers);
        // the instances are the referenced resource's.
        let ctx = self.ctx.instance.ctx(Bindings::default());
        let mut out = Vec::new();
        for key in self.ctx.eval_at(index, branch, self.depth + 1) {
            let Some(text) = key.v.scalar() else {
                out.push(alt(
                    V::unknown(self.span, "an instance key Terraform computes"),
                    &key.branch,
                ));
                continue;
            };
            if block.body.attribute("for_each").is_none() {
                let bindings = Bindings {
                    count_index: Some(key.v.clone()),
                    ..Bindings::default()
                };
                out.extend(self.value(bindings, &key.branch));
                continue;
            }
            let for_each = &block.body.attribute("for_each").expect("checked").value;
            for a in ctx.eval_at(for_each, &key.branch, self.depth + 1) {
                let found = elements(&a.v)
                    .into_iter()
                    .find(|(k, _)| k.scalar().as_deref() == Some(text.as_str()));
                match found {
                    Some(each) => {
                        let bindings = Bindings {
                            each: Some(each),
                            ..Bindings::default()
                        };
                        out.extend(self.value(bindings, &a.branch));
                    }
                    None => out.push(alt(
                        V::unknown(
                            self.span,
                            format!("the instance `{text}` of `{}`", self.address),
                        ),
                        &a.branch,
                    )),
                }
            }
        }
        out
    }
}

/// The `count`/`for_each` instances of a resource; `None` when the resource is never created
/// (`count = 0` in every branch, an empty `for_each`). A `count` resource is one representative
/// instance (`count.index` 0) under each branch where its count is not 0, so its values are
/// read where it exists (`count = local.enabled ? 1 : 0`: where `local.enabled` is true); a
/// `for_each` one is an instance per key, each under a branch naming its key, so instances
/// never pair with each other.
pub fn expansions(instance: &Instance, block: &Block) -> Option<Vec<Expansion>> {
    let ctx = instance.ctx(Bindings::default());
    // The module instance's own existence comes first.
    let base = &instance.exists;
    let expansion = |bindings, branch, implied: &Branch| Expansion {
        bindings,
        branch,
        implied: instance.implied.join(implied).unwrap_or_default(),
    };
    if let Some(count) = block.body.attribute("count") {
        let alts = ctx.eval(&count.value, base);
        let existing: Vec<Branch> = alts
            .iter()
            .filter(|a| a.v.scalar().as_deref() != Some("0"))
            .map(|a| a.branch.clone())
            .collect();
        if existing.is_empty() {
            return None;
        }
        let index = V::new(count.value.span, Kind::Num("0".into()));
        let bindings = Bindings {
            count_index: Some(index),
            ..Bindings::default()
        };
        // Created in every branch: no assumption to make.
        if existing.len() == alts.len() {
            return Some(vec![expansion(bindings, base.clone(), &Branch::default())]);
        }
        // Created in one branch: every value assumes it, so none needs to say so.
        let implied = match existing.as_slice() {
            [only] => only.without(base),
            _ => Branch::default(),
        };
        return Some(
            existing
                .into_iter()
                .map(|branch| expansion(bindings.clone(), branch, &implied))
                .collect(),
        );
    }
    let Some(for_each) = block.body.attribute("for_each") else {
        return Some(vec![expansion(
            Bindings::default(),
            base.clone(),
            &Branch::default(),
        )]);
    };
    let mut out = Vec::new();
    for a in ctx.eval(&for_each.value, base) {
        for (key, value) in elements(&a.v) {
            let branch = match key.scalar() {
                Some(k) => a.branch.with_value("each.key", &format!("\"{k}\"")),
                None => Some(a.branch.clone()),
            };
            let Some(branch) = branch else { continue };
            let bindings = Bindings {
                each: Some((key, value)),
                ..Bindings::default()
            };
            out.push(expansion(bindings, branch, &Branch::default()));
        }
    }
    (!out.is_empty()).then_some(out)
}

/// The (key, value) pairs a `for_each` iterates: a map's entries, a set's items (key = value),
/// or one unknown pair.
pub fn elements(v: &V) -> Vec<(V, V)> {
    match &v.kind {
        Kind::Map(entries) => entries
            .iter()
            .map(|(k, value)| (V::new(value.span, Kind::Str(k.clone())), value.clone()))
            .collect(),
        Kind::List(items) => items
            .iter()
            .map(|item| (item.clone(), item.clone()))
            .collect(),
        Kind::Null => Vec::new(),
        _ => vec![(v.clone(), v.clone())],
    }
}
