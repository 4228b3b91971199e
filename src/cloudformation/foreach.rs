//! `Fn::ForEach` (the `AWS::LanguageExtensions` transform, rule.md §6, §7): a loop in
//! `Resources` over a literal list or a `CommaDelimitedList` parameter's default is written out
//! before lowering, one resource per item under its generated logical ID (`Db${Env}` is `DbProd`;
//! `&{Env}` drops non-alphanumerics), with `Ref` of the identifier and `${Identifier}` in
//! `Fn::Sub` replaced by the item. A loop over something the template does not resolve keeps
//! its resources under the keys as written, each to be reported unverifiable.

use crate::source::Span;
use crate::tree::{Entry, Node, NodeValue, Scalar, ScalarKind};

/// How deep loops nest.
const MAX_DEPTH: usize = 8;
/// Most resources one template's loops write out.
const MAX_RESOURCES: usize = 4096;

/// A generated resource the template cannot resolve: its key as written, and why.
#[derive(Clone, Debug)]
pub struct Unresolved {
    pub key: String,
    pub what: String,
    pub span: Span,
}

/// Whether the template asks for the language extensions.
pub fn applies(root: &Node) -> bool {
    match root.get("Transform") {
        Some(transform) => match &transform.value {
            NodeValue::Seq(items) => items
                .iter()
                .any(|i| i.str() == Some("AWS::LanguageExtensions")),
            _ => transform.str() == Some("AWS::LanguageExtensions"),
        },
        None => false,
    }
}

/// What writing out the loops left: the resources a loop wrote, and those whose loop does not
/// resolve.
#[derive(Debug, Default)]
pub struct Expanded {
    /// Logical IDs written by a loop: one fragment serves every item, so a fix that edits it
    /// for one database would edit them all.
    pub generated: Vec<String>,
    pub unresolved: Vec<Unresolved>,
}

impl Expanded {
    pub fn generated(&self, name: &str) -> bool {
        self.generated.iter().any(|g| g == name)
    }
}

/// Writes out the loops of `Resources`.
pub fn expand(root: &mut Node) -> Expanded {
    let parameters = root.get("Parameters").cloned();
    let Some(resources) = root_entry_mut(root, "Resources") else {
        return Expanded::default();
    };
    let NodeValue::Map(entries) = &mut resources.value else {
        return Expanded::default();
    };
    let mut unresolved = Vec::new();
    let mut out = Vec::with_capacity(entries.len());
    let mut generated = Vec::new();
    for entry in std::mem::take(entries) {
        let before = out.len();
        let looped = entry.key.starts_with("Fn::ForEach::");
        expand_entry(entry, parameters.as_ref(), 0, &mut out, &mut unresolved);
        if looped {
            generated.extend(out[before.min(out.len())..].iter().map(|e| e.key.clone()));
        }
    }
    out.truncate(MAX_RESOURCES);
    *entries = out;
    Expanded {
        generated,
        unresolved,
    }
}

fn root_entry_mut<'n>(root: &'n mut Node, key: &str) -> Option<&'n mut Node> {
    match &mut root.value {
        NodeValue::Map(entries) => entries
            .iter_mut()
            .find(|e| e.key == key)
            .map(|e| &mut e.value),
        _ => None,
    }
}

fn expand_entry(
    entry: Entry,
    parameters: Option<&Node>,
    depth: usize,
    out: &mut Vec<Entry>,
    unresolved: &mut Vec<Unresolved>,
) {
    if !entry.key.starts_with("Fn::ForEach::") || depth > MAX_DEPTH || out.len() > MAX_RESOURCES {
        out.push(entry);
        return;
    }
    let loop_name = entry.key["Fn::ForEach::".len()..].to_string();
    let [identifier, collection, template] = entry.value.seq().unwrap_or(&[]) else {
        out.push(entry);
        return;
    };
    let (Some(identifier), Some(template)) = (identifier.str(), template.map()) else {
        out.push(entry);
        return;
    };
    match items(collection, parameters) {
        Ok(items) => {
            for (item, item_span) in items {
                for inner in template {
                    let key = substitute_key(&inner.key, identifier, &item);
                    let mut value = inner.value.clone();
                    replace(&mut value, identifier, &item, item_span);
                    let generated = Entry {
                        key,
                        key_span: inner.key_span,
                        value,
                    };
                    expand_entry(generated, parameters, depth + 1, out, unresolved);
                }
            }
        }
        Err(what) => {
            for inner in template {
                unresolved.push(Unresolved {
                    key: inner.key.clone(),
                    what: format!("the collection of `Fn::ForEach::{loop_name}`, which is {what}"),
                    span: collection.span,
                });
                out.push(inner.clone());
            }
        }
    }
}

/// The items a loop runs over, with where each is written.
fn items(collection: &Node, parameters: Option<&Node>) -> Result<Vec<(String, Span)>, String> {
    if let Some(list) = collection.seq() {
        return list
            .iter()
            .map(|item| {
                item.str()
                    .map(|s| (s.to_string(), item.span))
                    .ok_or_else(|| "computed by an intrinsic function".to_string())
            })
            .collect();
    }
    match collection.intrinsic() {
        Some(("Ref", target)) => {
            let name = target.str().unwrap_or("");
            let parameter = parameters
                .and_then(|p| p.get(name))
                .ok_or_else(|| format!("`{name}`, not a parameter of this template"))?;
            let default = parameter
                .get("Default")
                .ok_or_else(|| format!("the parameter `{name}`, which has no Default"))?;
            let text = default
                .str()
                .ok_or_else(|| format!("the parameter `{name}`, whose Default is not a list"))?;
            Ok(text
                .split(',')
                .map(|item| (item.trim().to_string(), default.span))
                .filter(|(item, _)| !item.is_empty())
                .collect())
        }
        _ => Err("computed by an intrinsic function".into()),
    }
}

/// `Db${Env}` and `Db&{Env}` with the item in place (`&{}` keeps only alphanumerics).
fn substitute_key(key: &str, identifier: &str, item: &str) -> String {
    let plain: String = item.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    key.replace(&format!("${{{identifier}}}"), item)
        .replace(&format!("&{{{identifier}}}"), &plain)
}

/// Replaces `Ref` of the identifier by the item, and `${identifier}` / `&{identifier}` in every
/// string of the fragment (AWS replaces "all instances" in the output value, so `!Ref Db${Env}`
/// and `!Sub orders-${Env}` both work); `Ref` of an `Fn::Sub` left without variables becomes a
/// plain `Ref`.
fn replace(node: &mut Node, identifier: &str, item: &str, item_span: Span) {
    let mut stack = vec![node];
    while let Some(node) = stack.pop() {
        let target = match node.intrinsic() {
            Some(("Ref", target)) => target.str() == Some(identifier),
            _ => false,
        };
        if target {
            node.value = NodeValue::Scalar(Scalar {
                text: item.to_string(),
                kind: ScalarKind::Str,
            });
            node.span = item_span;
            continue;
        }
        match &mut node.value {
            NodeValue::Scalar(scalar) => {
                if scalar.kind == ScalarKind::Str {
                    scalar.text = substitute_key(&scalar.text, identifier, item);
                }
            }
            NodeValue::Seq(items) => stack.extend(items.iter_mut()),
            NodeValue::Map(entries) => {
                if let [entry] = entries.as_mut_slice() {
                    if entry.key == "Ref" {
                        collapse_sub(&mut entry.value, identifier, item);
                    }
                }
                for entry in entries.iter_mut() {
                    stack.push(&mut entry.value);
                }
            }
        }
    }
}

/// `Ref: {Fn::Sub: Params${Env}}` is `Ref: ParamsProd` once the item is in place.
fn collapse_sub(target: &mut Node, identifier: &str, item: &str) {
    let Some(("Fn::Sub", template)) = target.intrinsic() else {
        return;
    };
    let Some(text) = template.str() else {
        return;
    };
    let text = substitute_key(text, identifier, item);
    if !text.contains("${") {
        target.value = NodeValue::Scalar(Scalar {
            text,
            kind: ScalarKind::Str,
        });
    }
}
