//! What YAML tags and plain scalars mean in a template: CloudFormation's short forms (`!Ref`,
//! `!GetAtt Db.Endpoint.Address`, `!If`) become the long forms JSON templates write, core-schema
//! tags (`!!str`) retype scalars, and plain scalars take YAML 1.2 core-schema types.

use std::borrow::Cow;

use saphyr_parser::Tag;

use crate::tree::{Entry, Node, NodeValue, Scalar, ScalarKind};

/// YAML 1.2 core schema types for plain scalars.
pub(super) fn plain_kind(text: &str) -> ScalarKind {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => ScalarKind::Null,
        "true" | "True" | "TRUE" | "false" | "False" | "FALSE" => ScalarKind::Bool,
        _ if is_number(text) => ScalarKind::Number,
        _ => ScalarKind::Str,
    }
}

fn is_number(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits.starts_with("0x") || digits.starts_with("0o") {
        return digits.len() > 2 && digits[2..].chars().all(|c| c.is_ascii_hexdigit());
    }
    matches!(digits, ".inf" | ".Inf" | ".INF" | ".nan" | ".NaN" | ".NAN")
        || (digits.starts_with(|c: char| c.is_ascii_digit() || c == '.')
            && digits.parse::<f64>().is_ok())
}

/// Turns CloudFormation short forms into long forms and applies core-schema tags.
pub(super) fn apply_tag(node: Node, tag: Option<Cow<'_, Tag>>) -> Node {
    let Some(tag) = tag else {
        return node;
    };
    match (tag.handle.as_str(), tag.suffix.as_str()) {
        ("!", name) if !name.is_empty() => {
            let span = node.span;
            let (key, argument) = match name {
                "Ref" | "Condition" => (name.to_string(), node),
                "GetAtt" => ("Fn::GetAtt".to_string(), split_get_att(node)),
                _ => (format!("Fn::{name}"), node),
            };
            Node {
                span,
                value: NodeValue::Map(vec![Entry {
                    key,
                    key_span: span,
                    value: argument,
                }]),
            }
        }
        ("!!", core) | ("tag:yaml.org,2002:", core) => retype(node, core),
        _ => node,
    }
}

/// `!GetAtt Db.Endpoint.Address` is `["Db", "Endpoint.Address"]`.
fn split_get_att(node: Node) -> Node {
    let Some(text) = node.str() else {
        return node;
    };
    let Some((resource, attribute)) = text.split_once('.') else {
        return node;
    };
    let span = node.span;
    let item = |text: &str| Node {
        span,
        value: NodeValue::Scalar(Scalar {
            text: text.to_string(),
            kind: ScalarKind::Str,
        }),
    };
    Node {
        span,
        value: NodeValue::Seq(vec![item(resource), item(attribute)]),
    }
}

fn retype(mut node: Node, core: &str) -> Node {
    if let NodeValue::Scalar(scalar) = &mut node.value {
        scalar.kind = match core {
            "str" => ScalarKind::Str,
            "int" | "float" => ScalarKind::Number,
            "bool" => ScalarKind::Bool,
            "null" => ScalarKind::Null,
            _ => scalar.kind,
        };
    }
    node
}
