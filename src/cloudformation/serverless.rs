//! Serverless Framework (rule.md §6, §7): in `serverless.yml` / `serverless.yaml` with a
//! top-level `service` (`service: name` or `service: {name: …}`), the `resources` map
//! (`Resources`, `Outputs`, `Conditions`, …) is a CloudFormation template. Serverless variables
//! are resolved before CloudFormation sees the template: `${self:custom.a.b}` follows the path
//! in the file's `custom` map when the value there is a literal; `${self:custom.x, 'fallback'}`
//! uses the literal fallback otherwise; any other source (`opt:`, `sls:`, `env:`, `ssm:`,
//! `file(…)`, …) is unknown, named as written. `${Name}` and `${AWS::Region}` inside `Fn::Sub`
//! are CloudFormation's, not variables.

use std::path::Path;

use crate::tree::{Node, NodeValue, ScalarKind};

/// How deep variables inside custom values inside variables are followed.
const MAX_DEPTH: usize = 10;

/// Whether a file is a Serverless Framework service file, by its name.
pub fn is_service_file(path: &Path) -> bool {
    matches!(
        path.file_name().and_then(|n| n.to_str()),
        Some("serverless.yml" | "serverless.yaml")
    )
}

/// The service's CloudFormation template (its `resources` map) and its `custom` map, when the
/// document is a service with resources.
pub fn template(root: &Node) -> Option<(Node, Option<Node>)> {
    let service = root.get("service")?;
    let named = service.str().is_some() || service.get("name").and_then(Node::str).is_some();
    if !named {
        return None;
    }
    let resources = root.get("resources")?;
    resources.get("Resources")?.map()?;
    Some((resources.clone(), root.get("custom").cloned()))
}

/// What a string with variables comes to.
pub enum Resolved<'n> {
    /// The whole string is one variable whose value is this literal in `custom`.
    Custom(&'n Node),
    /// The text with every variable in place.
    Text(String),
    /// A variable whose value is not in the file, named.
    Unknown(String),
}

/// Whether `${content}` is a Serverless variable: `source:address` or `source(…)`, where
/// `AWS::Region` and plain names are CloudFormation's.
fn is_variable(content: &str) -> bool {
    let content = content.trim_start();
    let source_len = content
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric())
        .count();
    if source_len == 0 || !content.as_bytes()[0].is_ascii_alphabetic() {
        return false;
    }
    match content.as_bytes().get(source_len) {
        Some(b'(') => true,
        Some(b':') => content.as_bytes().get(source_len + 1) != Some(&b':'),
        _ => false,
    }
}

/// Whether a string holds a Serverless variable.
pub fn has_variables(text: &str) -> bool {
    variables(text).next().is_some()
}

/// The `${…}` variables of a string: (start of `${`, end after `}`, content), nested braces
/// matched.
fn variables(text: &str) -> impl Iterator<Item = (usize, usize, &str)> {
    let bytes = text.as_bytes();
    let mut at = 0;
    std::iter::from_fn(move || {
        while let Some(offset) = text[at..].find("${") {
            let start = at + offset;
            let mut depth = 0usize;
            let mut end = None;
            let mut i = start + 2;
            while i < bytes.len() {
                match bytes[i] {
                    b'{' => depth += 1,
                    b'}' if depth == 0 => {
                        end = Some(i);
                        break;
                    }
                    b'}' => depth -= 1,
                    _ => {}
                }
                i += 1;
            }
            let end = end?;
            let content = &text[start + 2..end];
            at = end + 1;
            if is_variable(content) {
                return Some((start, end + 1, content));
            }
        }
        None
    })
}

/// Resolves the variables of `text` against `custom`.
pub fn resolve<'n>(text: &str, custom: Option<&'n Node>) -> Resolved<'n> {
    resolve_at(text, custom, 0)
}

fn resolve_at<'n>(text: &str, custom: Option<&'n Node>, depth: usize) -> Resolved<'n> {
    if depth > MAX_DEPTH {
        return Resolved::Unknown(format!("`{text}`, variables nested too deeply"));
    }
    let found: Vec<(usize, usize, &str)> = variables(text).collect();
    // One variable and nothing else: its custom literal is where the value is written.
    if let [(0, end, content)] = found.as_slice() {
        if *end == text.len() {
            return variable(content, custom, depth);
        }
    }
    let mut out = String::new();
    let mut last = 0;
    for (start, end, content) in found {
        out.push_str(&text[last..start]);
        match variable(content, custom, depth) {
            Resolved::Custom(node) => out.push_str(node.str().unwrap_or("")),
            Resolved::Text(text) => out.push_str(&text),
            unknown @ Resolved::Unknown(_) => return unknown,
        }
        last = end;
    }
    out.push_str(&text[last..]);
    Resolved::Text(out)
}

/// One variable's content (`self:custom.a, 'b'`).
fn variable<'n>(content: &str, custom: Option<&'n Node>, depth: usize) -> Resolved<'n> {
    let (address, fallback) = split_fallback(content);
    let written = format!("${{{content}}}");
    let found = address
        .trim()
        .strip_prefix("self:custom.")
        .and_then(|path| lookup(custom?, path));
    match found {
        Some(node) => match node.scalar() {
            Some(scalar) if scalar.kind == ScalarKind::Null => {
                fallback_or(fallback, &written, custom, depth)
            }
            Some(scalar) if has_variables(&scalar.text) => {
                match resolve_at(&scalar.text, custom, depth + 1) {
                    Resolved::Unknown(what) => Resolved::Unknown(what),
                    resolved => resolved,
                }
            }
            Some(_) => Resolved::Custom(node),
            None => fallback_or(fallback, &written, custom, depth),
        },
        None => fallback_or(fallback, &written, custom, depth),
    }
}

fn fallback_or<'n>(
    fallback: Option<&str>,
    written: &str,
    custom: Option<&'n Node>,
    depth: usize,
) -> Resolved<'n> {
    let unknown = || Resolved::Unknown(format!("the Serverless variable `{written}`"));
    let Some(fallback) = fallback.map(str::trim) else {
        return unknown();
    };
    for quote in ['\'', '"'] {
        if let Some(inner) = fallback
            .strip_prefix(quote)
            .and_then(|f| f.strip_suffix(quote))
        {
            return Resolved::Text(inner.to_string());
        }
    }
    if fallback.starts_with("${") {
        return match resolve_at(fallback, custom, depth + 1) {
            Resolved::Unknown(_) => unknown(),
            resolved => resolved,
        };
    }
    if is_variable(fallback) {
        return match variable(fallback, custom, depth + 1) {
            Resolved::Unknown(_) => unknown(),
            resolved => resolved,
        };
    }
    // A bare number or boolean is a literal too.
    if fallback.parse::<f64>().is_ok() || fallback == "true" || fallback == "false" {
        return Resolved::Text(fallback.to_string());
    }
    unknown()
}

/// `address, fallback` split at the first comma outside quotes and braces.
fn split_fallback(content: &str) -> (&str, Option<&str>) {
    let mut depth = 0usize;
    let mut quote = None;
    for (i, c) in content.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '{') => depth += 1,
            (None, '}') => depth = depth.saturating_sub(1),
            (None, ',') if depth == 0 => return (&content[..i], Some(&content[i + 1..])),
            _ => {}
        }
    }
    (content, None)
}

/// `a.b.0` under `custom`.
fn lookup<'n>(custom: &'n Node, path: &str) -> Option<&'n Node> {
    let mut node = custom;
    for part in path.split('.') {
        node = match &node.value {
            NodeValue::Map(_) => node.get(part)?,
            NodeValue::Seq(items) => items.get(part.parse::<usize>().ok()?)?,
            NodeValue::Scalar(_) => return None,
        };
    }
    Some(node)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_are_told_from_cloudformation_names() {
        assert!(is_variable("self:custom.x"));
        assert!(is_variable("opt:stage, 'dev'"));
        assert!(is_variable("file(./config.yml):db"));
        assert!(!is_variable("AWS::Region"));
        assert!(!is_variable("Environment"));
        assert!(!is_variable("Database.Endpoint.Address"));
        assert_eq!(
            split_fallback("self:custom.x, 'a,b'"),
            ("self:custom.x", Some(" 'a,b'"))
        );
        assert_eq!(
            split_fallback("opt:stage, ${self:custom.y, 'z'}"),
            ("opt:stage", Some(" ${self:custom.y, 'z'}"))
        );
    }
}
