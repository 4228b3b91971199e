//! Evaluates Terraform expressions into alternatives: each a value that keeps the span where it
//! is written (a variable default, a tfvars file, a module input), the branch it holds under
//! (conditionals name their condition), and the reference it came through. What cannot be
//! evaluated is `Kind::Unknown` naming the expression; resource references stay references
//! (`references.rs`), and values Terraform knows at plan time are known here too: an object
//! literal is not null whatever its fields, `false && x` is false.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use super::functions;
use super::instance::Instance;
use super::syntax::{Expr, ExprKind, For, Operator, Part};
use crate::model::Branch;
use crate::source::Span;

/// Most alternatives one expression may produce.
pub const MAX_ALTS: usize = 64;
const MAX_DEPTH: usize = 64;

#[derive(Clone, Debug, PartialEq)]
pub struct V {
    pub span: Span,
    pub kind: Kind,
    /// For a boolean that is not decided (unknown, or a root default): the reference it is,
    /// by name, and whether the value is that reference (`true`) or its negation. Conditions
    /// on the same reference then take the same branch wherever they are written.
    pub atom: Option<(Rc<str>, bool)>,
}

/// A value. Lists and maps are shared, so passing a large value around (a locals object, a
/// tfvars list) never copies it.
#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    Null,
    Bool(bool),
    Num(String),
    Str(String),
    List(Rc<Vec<V>>),
    Map(Rc<Vec<(String, V)>>),
    /// A resource, or one of its attributes that links (a name, an id, an ARN).
    Ref(Ref),
    Unknown(String),
}

/// A reference to a resource by its full address (`module.db.aws_db_parameter_group.this`),
/// and the attribute named, if any (`name`, `id`, `arn`, …).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ref {
    pub address: String,
    pub attribute: Option<String>,
}

impl Kind {
    pub fn list(items: Vec<V>) -> Kind {
        Kind::List(Rc::new(items))
    }

    pub fn map(entries: Vec<(String, V)>) -> Kind {
        Kind::Map(Rc::new(entries))
    }
}

#[derive(Clone, Debug)]
pub struct Alt {
    pub v: V,
    pub branch: Branch,
    pub via: Option<Span>,
    /// The value rests on a root variable's default, which `-var` or a tfvars file may
    /// override: a condition on it stays a branch instead of being decided.
    pub soft: bool,
}

pub type Alts = Vec<Alt>;

impl V {
    pub fn new(span: Span, kind: Kind) -> V {
        V {
            span,
            kind,
            atom: None,
        }
    }

    pub fn unknown(span: Span, what: impl Into<String>) -> V {
        V::new(span, Kind::Unknown(what.into()))
    }

    /// The text of a string, number or boolean.
    pub fn scalar(&self) -> Option<String> {
        match &self.kind {
            Kind::Str(s) | Kind::Num(s) => Some(s.clone()),
            Kind::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// The first unknown inside the value, if any.
    pub fn first_unknown(&self) -> Option<&str> {
        match &self.kind {
            Kind::Unknown(what) => Some(what),
            Kind::List(items) => items.iter().find_map(V::first_unknown),
            Kind::Map(entries) => entries.iter().find_map(|(_, v)| v.first_unknown()),
            _ => None,
        }
    }
}

pub fn alt(v: V, branch: &Branch) -> Alt {
    Alt {
        v,
        branch: branch.clone(),
        via: None,
        soft: false,
    }
}

/// Extra names bound while evaluating inside a resource, a dynamic block or a `for`.
#[derive(Clone, Debug, Default)]
pub struct Bindings {
    pub each: Option<(V, V)>,
    pub count_index: Option<V>,
    /// A dynamic block's iterator: name, key, value.
    pub iterator: Option<(String, V, V)>,
    /// A `for` expression's variables, innermost last.
    pub names: Vec<(String, V)>,
}

pub struct Ctx<'a> {
    pub instance: &'a Instance,
    pub bindings: Bindings,
}

/// Evaluated locals of an instance, with the ones being evaluated (cycles become unknowns).
#[derive(Default)]
pub struct LocalCache {
    pub values: RefCell<HashMap<String, Alts>>,
    pub active: RefCell<HashSet<String>>,
}

impl Ctx<'_> {
    pub fn eval(&self, expr: &Expr, branch: &Branch) -> Alts {
        self.eval_at(expr, branch, 0)
    }

    /// Evaluates on behalf of an evaluation already `depth` deep (locals, module outputs).
    pub fn eval_nested(&self, expr: &Expr, branch: &Branch, depth: usize) -> Alts {
        self.eval_at(expr, branch, depth + 1)
    }

    pub(super) fn eval_at(&self, expr: &Expr, branch: &Branch, depth: usize) -> Alts {
        let one = |kind| vec![alt(V::new(expr.span, kind), branch)];
        if depth > MAX_DEPTH {
            return one(Kind::Unknown("an expression nested too deeply".into()));
        }
        match &expr.kind {
            ExprKind::Null => one(Kind::Null),
            ExprKind::Bool(b) => one(Kind::Bool(*b)),
            ExprKind::Number(n) => one(Kind::Num(n.clone())),
            ExprKind::Str(s) => one(Kind::Str(s.clone())),
            ExprKind::Unsupported(what) => one(Kind::Unknown(what.to_string())),
            ExprKind::Template(parts) => {
                let alts: Vec<Alts> = parts
                    .iter()
                    .map(|part| match part {
                        Part::Literal(text) => one(Kind::Str(text.clone())),
                        Part::Interpolation(e) => self.eval_at(e, branch, depth + 1),
                    })
                    .collect();
                combine(expr.span, branch, alts, |values| {
                    let mut out = String::new();
                    for v in values {
                        match (&v.kind, v.scalar()) {
                            (_, Some(text)) => out.push_str(&text),
                            (Kind::Unknown(what), _) => return Kind::Unknown(what.clone()),
                            (Kind::Ref(r), _) => {
                                return Kind::Unknown(format!("an attribute of `{}`", r.address))
                            }
                            _ => return Kind::Unknown("a non-string value in a template".into()),
                        }
                    }
                    Kind::Str(out)
                })
            }
            ExprKind::Array(items) => {
                let alts = items
                    .iter()
                    .map(|e| self.eval_at(e, branch, depth + 1))
                    .collect();
                combine(expr.span, branch, alts, |values| {
                    Kind::list(values.to_vec())
                })
            }
            ExprKind::Object(entries) => {
                let mut alts = Vec::with_capacity(entries.len() * 2);
                for (key, value) in entries {
                    alts.push(self.eval_at(key, branch, depth + 1));
                    alts.push(self.eval_at(value, branch, depth + 1));
                }
                combine(expr.span, branch, alts, |values| {
                    let mut map = Vec::with_capacity(values.len() / 2);
                    for pair in values.chunks(2) {
                        match pair[0].scalar() {
                            Some(key) => map.push((key, pair[1].clone())),
                            None => return Kind::Unknown("an object with a computed key".into()),
                        }
                    }
                    Kind::map(map)
                })
            }
            ExprKind::Conditional(condition, then, otherwise) => {
                // A condition with a fixed known value is decided, as Terraform decides it; an
                // unknown one, or one resting on an overridable root default, keeps both
                // branches, and every branch must pass.
                let text = self.text(condition);
                let mut alts = Vec::new();
                for c in self.eval_at(condition, branch, depth + 1) {
                    if let (Kind::Bool(holds), false) = (&c.v.kind, c.soft) {
                        let taken = if *holds { then } else { otherwise };
                        alts.extend(self.eval_at(taken, &c.branch, depth + 1));
                        continue;
                    }
                    // Named by the reference it rests on, so `local.enabled ? 1 : 0` and
                    // `local.enabled && local.regional ? 1 : 0` agree; else by its text.
                    let (name, polarity) = match &c.v.atom {
                        Some((name, polarity)) => (name.to_string(), *polarity),
                        None => (text.clone(), true),
                    };
                    // A side this branch already rules out is not taken.
                    for (taken, holds) in [(then, polarity), (otherwise, !polarity)] {
                        if let Some(assumed) = c.branch.with(&name, holds) {
                            alts.extend(self.eval_at(taken, &assumed, depth + 1));
                        }
                    }
                }
                cap(alts, expr.span)
            }
            ExprKind::Variable(name) => self.root(expr, name, &[], branch, depth),
            ExprKind::Traversal(root, operators) => match &root.kind {
                ExprKind::Variable(name) => self.root(expr, name, operators, branch, depth),
                _ => {
                    let base = self.eval_at(root, branch, depth + 1);
                    self.apply(base, operators, depth)
                }
            },
            ExprKind::Call(name, args, expand) => {
                if *expand {
                    return one(Kind::Unknown(format!(
                        "a call to `{name}` with expanded arguments"
                    )));
                }
                if name == "try" || name == "can" {
                    return functions::try_call(self, name, args, expr.span, branch, depth);
                }
                let alts = args
                    .iter()
                    .map(|a| self.eval_at(a, branch, depth + 1))
                    .collect();
                combine(expr.span, branch, alts, |values| {
                    functions::call(name, values)
                })
            }
            ExprKind::Unary(op, operand) => {
                let alts = vec![self.eval_at(operand, branch, depth + 1)];
                combine_values(expr.span, branch, alts, |values| {
                    let v = &values[0];
                    match (&v.kind, &v.atom) {
                        // `!local.enabled` is the same reference, negated.
                        (Kind::Unknown(_) | Kind::Bool(_), Some((name, polarity)))
                            if *op == "!" =>
                        {
                            V {
                                atom: Some((name.clone(), !polarity)),
                                ..V::new(v.span, functions::unary(op, v))
                            }
                        }
                        _ => V::new(expr.span, functions::unary(op, v)),
                    }
                })
            }
            ExprKind::Binary(op, lhs, rhs) => {
                let alts = vec![
                    self.eval_at(lhs, branch, depth + 1),
                    self.eval_at(rhs, branch, depth + 1),
                ];
                combine_values(expr.span, branch, alts, |values| {
                    let (a, b) = (&values[0], &values[1]);
                    // `x && true` and `x || false` are `x`, reference and all.
                    let identity = match *op {
                        "&&" => Some(true),
                        "||" => Some(false),
                        _ => None,
                    };
                    let is = |v: &V, value: bool| matches!(v.kind, Kind::Bool(x) if x == value);
                    match identity {
                        Some(unit) if is(a, unit) && b.atom.is_some() => b.clone(),
                        Some(unit) if is(b, unit) && a.atom.is_some() => a.clone(),
                        _ => V::new(expr.span, functions::binary(op, a, b)),
                    }
                })
            }
            ExprKind::For(for_expr) => self.for_expr(for_expr, expr.span, branch, depth),
        }
    }

    /// The source text of an expression, for branch names and messages.
    pub fn text(&self, expr: &Expr) -> String {
        self.instance
            .text_of(expr.span)
            .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|| "a condition".into())
    }

    /// `var.x`, `local.x`, `module.m.out`, `each.value`, `count.index`, `type.name.attr`, ….
    fn root(
        &self,
        expr: &Expr,
        name: &str,
        ops: &[Operator],
        branch: &Branch,
        depth: usize,
    ) -> Alts {
        let unknown = |what: String| vec![alt(V::unknown(expr.span, what), branch)];
        let attr = |i: usize| match ops.get(i) {
            Some(Operator::Attr(a)) => Some(a.as_str()),
            _ => None,
        };
        // An undecided boolean is named by the reference it comes from.
        let atoms = |mut alts: Alts| {
            let name: Rc<str> = Rc::from(self.text(expr));
            for a in &mut alts {
                let undecided = match a.v.kind {
                    Kind::Unknown(_) => true,
                    Kind::Bool(_) => a.soft,
                    _ => false,
                };
                if undecided && a.v.atom.is_none() {
                    a.v.atom = Some((name.clone(), true));
                }
            }
            alts
        };
        // A value from a reference comes in through it: the outermost reference, as written
        // where the value is used (`local.group_name`, not the variable that local reads).
        let via = |mut alts: Alts| {
            for a in &mut alts {
                a.via = Some(expr.span);
            }
            atoms(alts)
        };
        // A `for` variable shadows every other name.
        if let Some((_, value)) = self.bindings.names.iter().rev().find(|(n, _)| n == name) {
            return self.apply(vec![alt(value.clone(), branch)], ops, depth);
        }
        match name {
            "var" => match attr(0) {
                Some(var) => {
                    let base = self.instance.variable(var, expr.span, branch);
                    via(self.apply(base, &ops[1..], depth))
                }
                None => unknown("`var` without a name".into()),
            },
            "local" => match attr(0) {
                Some(local) => {
                    let base = self.instance.local(local, expr.span, branch, depth + 1);
                    via(self.apply(base, &ops[1..], depth))
                }
                None => unknown("`local` without a name".into()),
            },
            "module" => {
                let Some(call) = attr(0) else {
                    return unknown("`module` without a name".into());
                };
                // `module.db.out`, `module.db[0].out`, `module.db["k"].out`, `module.db[*].out`.
                let (selector, rest) = match ops.get(1) {
                    Some(op @ (Operator::Index(_) | Operator::Splat)) => (Some(op), &ops[2..]),
                    _ => (None, &ops[1..]),
                };
                let Some(Operator::Attr(output)) = rest.first() else {
                    return unknown("a whole module object".into());
                };
                let output_of = |key: Option<&str>, branch: &Branch| {
                    self.instance
                        .module_output(call, key, output, expr.span, branch, depth + 1)
                };
                let base = match selector {
                    Some(Operator::Index(index)) => {
                        let mut out = Vec::new();
                        for key in self.eval_at(index, branch, depth + 1) {
                            out.extend(output_of(key.v.scalar().as_deref(), &key.branch));
                        }
                        out
                    }
                    Some(_) => {
                        let parts = vec![output_of(None, branch)];
                        combine(expr.span, branch, parts, |values| {
                            Kind::list(values.to_vec())
                        })
                    }
                    None => output_of(None, branch),
                };
                via(self.apply(base, &rest[1..], depth))
            }
            "each" => match (&self.bindings.each, attr(0)) {
                (Some((key, _)), Some("key")) => {
                    self.apply(vec![alt(key.clone(), branch)], &ops[1..], depth)
                }
                (Some((_, value)), Some("value")) => {
                    self.apply(vec![alt(value.clone(), branch)], &ops[1..], depth)
                }
                _ => unknown("`each` outside a `for_each` resource".into()),
            },
            "count" => match (&self.bindings.count_index, attr(0)) {
                (Some(index), Some("index")) => vec![alt(index.clone(), branch)],
                _ => unknown("`count` outside a `count` resource".into()),
            },
            "data" => match (attr(0), attr(1)) {
                (Some(type_name), Some(data_name)) => atoms(self.resource_ref(
                    expr,
                    ("data.", type_name, data_name),
                    &ops[2..],
                    branch,
                    depth,
                )),
                _ => unknown(format!("the data source `{}`", self.text(expr))),
            },
            "path" | "terraform" | "self" => unknown(format!("`{}`", self.text(expr))),
            _ => {
                if let Some((iterator, key, value)) = &self.bindings.iterator {
                    if iterator == name {
                        return match attr(0) {
                            Some("key") => {
                                self.apply(vec![alt(key.clone(), branch)], &ops[1..], depth)
                            }
                            Some("value") => {
                                self.apply(vec![alt(value.clone(), branch)], &ops[1..], depth)
                            }
                            _ => unknown(format!("`{name}` without `.key` or `.value`")),
                        };
                    }
                }
                match attr(0) {
                    Some(resource) => atoms(self.resource_ref(
                        expr,
                        ("", name, resource),
                        &ops[1..],
                        branch,
                        depth,
                    )),
                    None => unknown(format!("`{name}`, which is not a Terraform reference")),
                }
            }
        }
    }

    /// Applies `.attr`, `[index]` and splats to each alternative.
    pub(super) fn apply(&self, base: Alts, ops: &[Operator], depth: usize) -> Alts {
        let Some((op, rest)) = ops.split_first() else {
            return base;
        };
        let mut out = Vec::new();
        for a in base {
            match op {
                Operator::Attr(name) => {
                    let next = get(&a.v, name, a.v.span);
                    out.extend(self.apply(vec![Alt { v: next, ..a }], rest, depth));
                }
                Operator::Index(index) => {
                    for key in self.eval_at(index, &a.branch, depth + 1) {
                        let Some(joined) = a.branch.join(&key.branch) else {
                            continue;
                        };
                        let next = match key.v.scalar() {
                            Some(k) => get(&a.v, &k, a.v.span),
                            None => V::unknown(a.v.span, "an index computed from an unknown value"),
                        };
                        out.extend(self.apply(
                            vec![Alt {
                                v: next,
                                branch: joined,
                                via: a.via,
                                soft: a.soft || key.soft,
                            }],
                            rest,
                            depth,
                        ));
                    }
                }
                Operator::Splat => {
                    let items: Vec<V> = match &a.v.kind {
                        Kind::List(items) => items.to_vec(),
                        Kind::Null => Vec::new(),
                        _ => vec![a.v.clone()],
                    };
                    let mut values = Vec::with_capacity(items.len());
                    for item in items {
                        let mapped = self.apply(
                            vec![Alt {
                                v: item,
                                ..a.clone()
                            }],
                            rest,
                            depth,
                        );
                        values.extend(mapped.into_iter().map(|m| m.v));
                    }
                    out.push(Alt {
                        v: V::new(a.v.span, Kind::list(values)),
                        ..a
                    });
                    continue;
                }
            }
        }
        out
    }

    /// `[for v in xs : f(v) if p(v)]` and `{for k, v in m : k => v if p(k, v)}`: elements whose
    /// condition is unknown make the result unknown; a condition on an overridable root
    /// default keeps both outcomes, like a conditional.
    fn for_expr(&self, f: &For, span: Span, branch: &Branch, depth: usize) -> Alts {
        let mut out = Vec::new();
        for collection in self.eval_at(&f.collection, branch, depth + 1) {
            let unknown = |what: &str| alt(V::unknown(span, what), &collection.branch);
            let pairs: Vec<(V, V)> = match &collection.v.kind {
                Kind::List(items) => items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| (V::new(item.span, Kind::Num(i.to_string())), item.clone()))
                    .collect(),
                Kind::Map(entries) => entries
                    .iter()
                    .map(|(k, v)| (V::new(v.span, Kind::Str(k.clone())), v.clone()))
                    .collect(),
                Kind::Unknown(what) => {
                    out.push(unknown(what));
                    continue;
                }
                _ => {
                    out.push(unknown("a `for` over a value that is not a collection"));
                    continue;
                }
            };
            // Each partial result: the elements so far, under a branch.
            type Partial = (Vec<(Option<V>, V)>, Branch, bool);
            let mut partial: Vec<Partial> =
                vec![(Vec::new(), collection.branch.clone(), collection.soft)];
            let mut failed: Option<String> = None;
            for (key, value) in pairs {
                let mut names = self.bindings.names.clone();
                if let Some(key_var) = &f.key_var {
                    names.push((key_var.clone(), key.clone()));
                }
                names.push((f.value_var.clone(), value));
                let ctx = Ctx {
                    instance: self.instance,
                    bindings: Bindings {
                        names,
                        ..self.bindings.clone()
                    },
                };
                let mut next: Vec<Partial> = Vec::new();
                for (items, assumed, soft) in &partial {
                    let conditions = match &f.cond {
                        Some(cond) => ctx.eval_at(cond, assumed, depth + 1),
                        None => vec![alt(V::new(span, Kind::Bool(true)), assumed)],
                    };
                    for c in conditions {
                        let outcomes: Vec<(bool, Branch)> = match (&c.v.kind, c.soft) {
                            (Kind::Bool(holds), false) => vec![(*holds, c.branch.clone())],
                            (Kind::Bool(_), true) => {
                                let text = self.text(f.cond.as_ref().expect("a condition"));
                                [true, false]
                                    .into_iter()
                                    .filter_map(|holds| Some((holds, c.branch.with(&text, holds)?)))
                                    .collect()
                            }
                            _ => {
                                failed.get_or_insert_with(|| {
                                    c.v.first_unknown()
                                        .unwrap_or("a `for` condition that is not a boolean")
                                        .to_string()
                                });
                                continue;
                            }
                        };
                        for (holds, taken) in outcomes {
                            if !holds {
                                next.push((items.clone(), taken, *soft || c.soft));
                                continue;
                            }
                            let keys = match &f.key {
                                Some(k) => ctx
                                    .eval_at(k, &taken, depth + 1)
                                    .into_iter()
                                    .map(|a| (Some(a.v), a.branch, a.soft))
                                    .collect(),
                                None => vec![(None, taken.clone(), false)],
                            };
                            for (k, key_branch, key_soft) in keys {
                                for v in ctx.eval_at(&f.value, &key_branch, depth + 1) {
                                    let mut items = items.clone();
                                    items.push((k.clone(), v.v));
                                    next.push((items, v.branch, *soft || key_soft || v.soft));
                                }
                            }
                        }
                    }
                }
                if next.len() > MAX_ALTS {
                    failed.get_or_insert_with(|| "a `for` with too many combinations".into());
                }
                if failed.is_some() {
                    break;
                }
                partial = next;
            }
            if let Some(what) = failed {
                out.push(unknown(&what));
                continue;
            }
            for (items, branch, soft) in partial {
                let kind = if f.key.is_some() {
                    let mut map: Vec<(String, V)> = Vec::with_capacity(items.len());
                    let mut computed = false;
                    for (k, v) in items {
                        match k.as_ref().and_then(V::scalar) {
                            // Later keys win, as for an object literal (grouping aside).
                            Some(k) if !f.grouping => {
                                map.retain(|(existing, _)| *existing != k);
                                map.push((k, v));
                            }
                            _ => computed = true,
                        }
                    }
                    if computed {
                        Kind::Unknown("a `for` with computed or grouped keys".into())
                    } else {
                        Kind::map(map)
                    }
                } else {
                    Kind::list(items.into_iter().map(|(_, v)| v).collect())
                };
                out.push(Alt {
                    v: V::new(span, kind),
                    branch,
                    via: collection.via,
                    soft,
                });
            }
        }
        cap(out, span)
    }
}

/// `value.name` or `value["name"]` / `value[0]`.
pub(super) fn get(value: &V, key: &str, span: Span) -> V {
    match &value.kind {
        Kind::Map(entries) => entries
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| V::new(span, Kind::Null)),
        Kind::List(items) => match key.parse::<usize>() {
            Ok(i) if i < items.len() => items[i].clone(),
            _ => V::unknown(span, format!("index `{key}` of a list of {}", items.len())),
        },
        // A part of an unknown is unknown, but not the same boolean as the whole.
        Kind::Unknown(what) => V::unknown(value.span, what.clone()),
        // `aws_x.y.name` is kept as a link; `.id` of a module output that is one stays one.
        Kind::Ref(_) => value.clone(),
        Kind::Null => V::new(span, Kind::Null),
        _ => V::unknown(span, format!("`.{key}` of a value that has no attributes")),
    }
}

/// Every consistent combination of the parts' alternatives, folded by `f` into a value; a
/// single value passed through unchanged keeps the span where it is written.
pub fn combine(span: Span, branch: &Branch, parts: Vec<Alts>, f: impl Fn(&[V]) -> Kind) -> Alts {
    combine_values(span, branch, parts, |values| {
        let kind = f(values);
        match values {
            [only] if only.kind == kind => only.clone(),
            _ => V::new(span, kind),
        }
    })
}

/// `combine` with `f` building the whole value. Parts with one alternative each (most
/// expressions) are folded in one pass, so a 40,000-item list costs 40,000 steps, not 40,000².
pub fn combine_values(
    span: Span,
    branch: &Branch,
    parts: Vec<Alts>,
    f: impl Fn(&[V]) -> V,
) -> Alts {
    if parts.iter().all(|p| p.len() == 1) {
        let mut values = Vec::with_capacity(parts.len());
        let mut vias = Vec::with_capacity(parts.len());
        let mut joined = branch.clone();
        let mut soft = false;
        for part in parts {
            let a = part.into_iter().next().expect("one alternative");
            let Some(next) = joined.join(&a.branch) else {
                return Vec::new();
            };
            joined = next;
            soft |= a.soft;
            values.push(a.v);
            vias.push(a.via);
        }
        let (v, via) = folded(&values, &vias, &f);
        return vec![Alt {
            v,
            branch: joined,
            via,
            soft,
        }];
    }
    type Partial = (Vec<V>, Vec<Option<Span>>, Branch, bool);
    let mut partial: Vec<Partial> = vec![(Vec::new(), Vec::new(), branch.clone(), false)];
    for part in parts {
        let mut next = Vec::new();
        for (values, vias, assumed, soft) in &partial {
            for a in &part {
                let Some(joined) = assumed.join(&a.branch) else {
                    continue;
                };
                let mut values = values.clone();
                values.push(a.v.clone());
                let mut vias = vias.clone();
                vias.push(a.via);
                next.push((values, vias, joined, *soft || a.soft));
            }
        }
        if next.len() > MAX_ALTS {
            return vec![alt(
                V::unknown(span, "an expression with too many combinations"),
                branch,
            )];
        }
        partial = next;
    }
    partial
        .into_iter()
        .map(|(values, vias, branch, soft)| {
            let (v, via) = folded(&values, &vias, &f);
            Alt {
                v,
                branch,
                via,
                soft,
            }
        })
        .collect()
}

/// The combined value, and the reference it came through: an unknown that is a part's unknown
/// is that part (where it arises, and how it came in), a value that is one part's value
/// (`coalesce`, `one`) comes through that part's reference, else through the first.
fn folded(values: &[V], vias: &[Option<Span>], f: &impl Fn(&[V]) -> V) -> (V, Option<Span>) {
    let v = f(values);
    let from = values.iter().position(|part| match (&v.kind, &part.kind) {
        (Kind::Unknown(what), Kind::Unknown(theirs)) => what == theirs,
        _ => part.span == v.span && part.kind == v.kind,
    });
    match from {
        // Where the part's unknown arises, but the boolean `f` made of it (`x == "a"` is not
        // the same condition as `x`).
        Some(i) if matches!(v.kind, Kind::Unknown(_)) => (
            V {
                atom: v.atom,
                ..values[i].clone()
            },
            vias[i],
        ),
        Some(i) => (v, vias[i]),
        None => (v, vias.iter().flatten().next().copied()),
    }
}

pub fn cap(mut alts: Alts, span: Span) -> Alts {
    if alts.len() > MAX_ALTS {
        alts.truncate(MAX_ALTS);
        alts.push(alt(
            V::unknown(span, "an expression with too many branches"),
            &Branch::default(),
        ));
    }
    alts
}
