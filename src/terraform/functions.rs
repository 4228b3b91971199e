//! Terraform built-in functions and operators, on known values. An unknown argument makes the
//! result unknown (naming it); a function not listed here is unknown by name.

use super::eval::{alt, Alts, Ctx, Kind, V};
use super::syntax::Expr;
use crate::model::Branch;
use crate::source::Span;

pub fn call(name: &str, args: &[V]) -> Kind {
    if let Some(unknown) = args.iter().find_map(|a| match &a.kind {
        Kind::Unknown(what) => Some(what.clone()),
        _ => None,
    }) {
        return Kind::Unknown(unknown);
    }
    let text = |i: usize| args.get(i).and_then(V::scalar);
    let unknown = || {
        Kind::Unknown(format!(
            "a call to `{name}` Terraform evaluates at plan time"
        ))
    };
    match (name, args) {
        ("lower", [_]) => text(0).map_or_else(unknown, |s| Kind::Str(s.to_lowercase())),
        ("upper", [_]) => text(0).map_or_else(unknown, |s| Kind::Str(s.to_uppercase())),
        ("trimspace", [_]) => text(0).map_or_else(unknown, |s| Kind::Str(s.trim().to_string())),
        ("tostring", [v]) => match &v.kind {
            Kind::Null => Kind::Null,
            _ => text(0).map_or_else(unknown, Kind::Str),
        },
        ("tonumber", [v]) => match &v.kind {
            Kind::Null => Kind::Null,
            _ => match text(0) {
                Some(s) if s.trim().parse::<f64>().is_ok() => Kind::Num(s.trim().to_string()),
                _ => unknown(),
            },
        },
        ("tobool", [_]) => match text(0).as_deref() {
            Some("true") => Kind::Bool(true),
            Some("false") => Kind::Bool(false),
            _ => unknown(),
        },
        ("format", [_, ..]) => format(args).unwrap_or_else(unknown),
        ("replace", [_, _, _]) => match (text(0), text(1), text(2)) {
            (Some(s), Some(from), Some(to)) if !(from.starts_with('/') && from.ends_with('/')) => {
                Kind::Str(s.replace(&from, &to))
            }
            _ => unknown(),
        },
        ("split", [_, _]) => match (text(0), text(1)) {
            (Some(sep), Some(s)) => Kind::list(
                s.split(sep.as_str())
                    .map(|p| V::new(args[1].span, Kind::Str(p.into())))
                    .collect(),
            ),
            _ => unknown(),
        },
        ("join", [_, list]) => match (text(0), &list.kind) {
            // `join("", aws_x.y[*].name)` over a resource with `count = 1` is its name.
            (Some(sep), Kind::List(items)) => match items.as_slice() {
                [only] if matches!(only.kind, Kind::Ref(_)) => only.kind.clone(),
                _ => {
                    let parts: Option<Vec<String>> = items.iter().map(V::scalar).collect();
                    parts.map_or_else(unknown, |p| Kind::Str(p.join(&sep)))
                }
            },
            _ => unknown(),
        },
        ("one", [list]) => match &list.kind {
            Kind::List(items) => match items.as_slice() {
                [] => Kind::Null,
                [only] => only.kind.clone(),
                _ => Kind::Unknown("`one` of a list with more than one element".into()),
            },
            Kind::Null => Kind::Null,
            _ => unknown(),
        },
        ("compact", [list]) => match &list.kind {
            Kind::List(items) => Kind::list(
                items
                    .iter()
                    .filter(|v| !matches!(&v.kind, Kind::Null) && v.scalar().as_deref() != Some(""))
                    .cloned()
                    .collect(),
            ),
            _ => unknown(),
        },
        ("coalescelist", lists) => lists
            .iter()
            .find(|l| matches!(&l.kind, Kind::List(items) if !items.is_empty()))
            .map_or_else(unknown, |l| l.kind.clone()),
        ("element", [list, index]) => match (
            &list.kind,
            index.scalar().and_then(|i| i.parse::<usize>().ok()),
        ) {
            (Kind::List(items), Some(i)) if !items.is_empty() => {
                items[i % items.len()].kind.clone()
            }
            _ => unknown(),
        },
        ("lookup", [map, key, rest @ ..]) => match (&map.kind, key.scalar()) {
            (Kind::Map(entries), Some(key)) => {
                match entries.iter().rev().find(|(k, _)| *k == key) {
                    Some((_, v)) => v.kind.clone(),
                    None => rest.first().map_or_else(unknown, |d| d.kind.clone()),
                }
            }
            _ => unknown(),
        },
        ("merge", maps) => {
            let mut merged: Vec<(String, V)> = Vec::new();
            for map in maps {
                match &map.kind {
                    Kind::Map(entries) => {
                        for (k, v) in entries.iter() {
                            merged.retain(|(existing, _)| existing != k);
                            merged.push((k.clone(), v.clone()));
                        }
                    }
                    Kind::Null => {}
                    _ => return unknown(),
                }
            }
            Kind::map(merged)
        }
        ("concat", lists) => {
            let mut all = Vec::new();
            for list in lists {
                match &list.kind {
                    Kind::List(items) => all.extend(items.iter().cloned()),
                    _ => return unknown(),
                }
            }
            Kind::list(all)
        }
        ("flatten", [list]) => {
            let mut all = Vec::new();
            let mut stack = vec![list.clone()];
            while let Some(v) = stack.pop() {
                match &v.kind {
                    Kind::List(items) => stack.extend(items.iter().rev().cloned()),
                    _ => all.push(v),
                }
            }
            Kind::list(all)
        }
        ("coalesce", values) => values
            .iter()
            .find(|v| !matches!(&v.kind, Kind::Null) && v.scalar().as_deref() != Some(""))
            .map_or_else(unknown, |v| v.kind.clone()),
        ("contains", [list, value]) => match (&list.kind, value.scalar()) {
            (Kind::List(items), Some(needle)) => Kind::Bool(
                items
                    .iter()
                    .any(|i| i.scalar().as_deref() == Some(needle.as_str())),
            ),
            _ => unknown(),
        },
        ("keys", [map]) => match &map.kind {
            Kind::Map(entries) => {
                let mut keys: Vec<&String> = entries.iter().map(|(k, _)| k).collect();
                keys.sort();
                Kind::list(
                    keys.into_iter()
                        .map(|k| V::new(map.span, Kind::Str(k.clone())))
                        .collect(),
                )
            }
            _ => unknown(),
        },
        ("values", [map]) => match &map.kind {
            Kind::Map(entries) => {
                let mut sorted: Vec<&(String, V)> = entries.iter().collect();
                sorted.sort_by(|a, b| a.0.cmp(&b.0));
                Kind::list(sorted.into_iter().map(|(_, v)| v.clone()).collect())
            }
            _ => unknown(),
        },
        ("tolist" | "toset", [list]) => match &list.kind {
            Kind::List(_) => list.kind.clone(),
            _ => unknown(),
        },
        ("tomap", [map]) => match &map.kind {
            Kind::Map(_) => map.kind.clone(),
            _ => unknown(),
        },
        ("length", [v]) => match &v.kind {
            Kind::List(items) => Kind::Num(items.len().to_string()),
            Kind::Map(entries) => Kind::Num(entries.len().to_string()),
            Kind::Str(s) => Kind::Num(s.chars().count().to_string()),
            _ => unknown(),
        },
        _ => unknown(),
    }
}

/// `format` with `%s`, `%d`, `%v` and `%%`.
fn format(args: &[V]) -> Option<Kind> {
    let spec = args[0].scalar()?;
    let mut out = String::new();
    let mut next = 1;
    let mut chars = spec.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            '%' => out.push('%'),
            's' | 'd' | 'v' => {
                out.push_str(&args.get(next)?.scalar()?);
                next += 1;
            }
            _ => return None,
        }
    }
    Some(Kind::Str(out))
}

/// `try(a, b, …)`: the first argument that evaluates without an unknown; `can(x)` whether it does.
/// How an unknown names a local that depends on itself, or one that is not declared.
pub const SELF_REFERENCE: &str = "which refers to itself";
pub const UNDECLARED: &str = "which is not declared";

pub fn try_call(
    ctx: &Ctx<'_>,
    name: &str,
    args: &[Expr],
    span: Span,
    branch: &Branch,
    _depth: usize,
) -> Alts {
    for arg in args {
        let alts = ctx.eval(arg, branch);
        // A cycle or an undeclared name is an error of the configuration, which Terraform
        // reports before any function runs: `try` does not catch it.
        let static_error = alts
            .iter()
            .filter_map(|a| a.v.first_unknown())
            .any(|what| what.ends_with(SELF_REFERENCE) || what.ends_with(UNDECLARED));
        if static_error {
            return alts;
        }
        if alts.iter().all(|a| a.v.first_unknown().is_none()) {
            if name == "can" {
                return vec![alt(V::new(span, Kind::Bool(true)), branch)];
            }
            return alts;
        }
    }
    vec![alt(
        V::unknown(span, format!("a `{name}` whose arguments are all unknown")),
        branch,
    )]
}

pub fn unary(op: &str, v: &V) -> Kind {
    match (op, &v.kind) {
        ("!", Kind::Bool(b)) => Kind::Bool(!b),
        ("-", Kind::Num(n)) => Kind::Num(format!("-{n}")),
        (_, Kind::Unknown(what)) => Kind::Unknown(what.clone()),
        _ => Kind::Unknown(format!("`{op}` on a value it does not apply to")),
    }
}

pub fn binary(op: &str, a: &V, b: &V) -> Kind {
    // What Terraform knows at plan time whatever the other side is: `false && x` is false,
    // `true || x` is true, and a list or object (even with unknown elements) is not null.
    match (op, &a.kind, &b.kind) {
        ("&&", Kind::Bool(false), _) | ("&&", _, Kind::Bool(false)) => return Kind::Bool(false),
        ("||", Kind::Bool(true), _) | ("||", _, Kind::Bool(true)) => return Kind::Bool(true),
        ("==" | "!=", Kind::Null, other) | ("==" | "!=", other, Kind::Null)
            if !matches!(other, Kind::Unknown(_)) =>
        {
            let equal = matches!(other, Kind::Null);
            return Kind::Bool(if op == "==" { equal } else { !equal });
        }
        _ => {}
    }
    if let Some(what) = a.first_unknown().or(b.first_unknown()) {
        return Kind::Unknown(what.to_string());
    }
    let numbers = || {
        Some((
            a.scalar()?.parse::<f64>().ok()?,
            b.scalar()?.parse::<f64>().ok()?,
        ))
    };
    let number = |n: f64| {
        Kind::Num(if n.fract() == 0.0 {
            format!("{}", n as i64)
        } else {
            n.to_string()
        })
    };
    match op {
        "==" => Kind::Bool(a.kind == b.kind || (a.scalar().is_some() && a.scalar() == b.scalar())),
        "!=" => {
            Kind::Bool(!(a.kind == b.kind || (a.scalar().is_some() && a.scalar() == b.scalar())))
        }
        "&&" | "||" => match (&a.kind, &b.kind) {
            (Kind::Bool(x), Kind::Bool(y)) => {
                Kind::Bool(if op == "&&" { *x && *y } else { *x || *y })
            }
            _ => Kind::Unknown(format!("`{op}` on values that are not booleans")),
        },
        _ => match numbers() {
            Some((x, y)) => match op {
                "+" => number(x + y),
                "-" => number(x - y),
                "*" => number(x * y),
                "/" if y != 0.0 => number(x / y),
                "%" if y != 0.0 => number(x % y),
                "<" => Kind::Bool(x < y),
                ">" => Kind::Bool(x > y),
                "<=" => Kind::Bool(x <= y),
                ">=" => Kind::Bool(x >= y),
                _ => Kind::Unknown(format!("`{op}` on these numbers")),
            },
            None => Kind::Unknown(format!("`{op}` on values that are not numbers")),
        },
    }
}
