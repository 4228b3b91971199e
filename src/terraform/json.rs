//! `.tf.json`: Terraform's JSON syntax, read with the same span-keeping JSON reader as
//! CloudFormation and converted to the shared syntax. Strings are templates (`"${var.x}"`);
//! which keys are nested blocks comes from the block type, as Terraform's own schema says.

use super::syntax::{template_from_text, Attribute, Block, Body, Expr, ExprKind};
use crate::source::{FileId, Span};
use crate::tree::{Node, NodeValue, ScalarKind};

/// Nested block types inside a resource body; everything else is an attribute.
const NESTED_BLOCKS: &[&str] = &["parameter", "dynamic", "content", "lifecycle", "timeouts"];

pub fn parse(text: &str, file: FileId) -> Result<Body, (String, Span)> {
    let root = crate::tree::json::parse(text, file).map_err(|e| (e.message, e.span))?;
    let mut body = Body::default();
    for entry in root.map().unwrap_or(&[]) {
        let labels = match entry.key.as_str() {
            "resource" | "data" => 2,
            "variable" | "output" | "module" | "provider" => 1,
            _ => 0,
        };
        if matches!(entry.key.as_str(), "locals" | "terraform") || labels > 0 {
            blocks(
                &entry.key,
                entry.key_span,
                &entry.value,
                labels,
                Vec::new(),
                &mut body.blocks,
            );
        }
    }
    Ok(body)
}

/// Unfolds `{"label": {"label": {body}}}` (or arrays of bodies) into blocks.
fn blocks(
    kind: &str,
    header: Span,
    node: &Node,
    labels_left: usize,
    labels: Vec<(String, Span)>,
    out: &mut Vec<Block>,
) {
    if labels_left == 0 {
        let bodies: Vec<&Node> = match &node.value {
            NodeValue::Seq(items) => items.iter().collect(),
            _ => vec![node],
        };
        for item in bodies {
            // In JSON the innermost label key (the resource name) is the block's first line.
            let header = labels.last().map_or(header, |(_, s)| *s);
            out.push(Block {
                kind: kind.to_string(),
                labels: labels.clone(),
                header,
                span: header.to(item.span),
                body: body(item),
            });
        }
        return;
    }
    for entry in node.map().unwrap_or(&[]) {
        let mut labels = labels.clone();
        labels.push((entry.key.clone(), entry.key_span));
        blocks(kind, header, &entry.value, labels_left - 1, labels, out);
    }
}

fn body(node: &Node) -> Body {
    let mut body = Body::default();
    for entry in node.map().unwrap_or(&[]) {
        if NESTED_BLOCKS.contains(&entry.key.as_str())
            && matches!(entry.value.value, NodeValue::Map(_) | NodeValue::Seq(_))
        {
            let labels = usize::from(entry.key == "dynamic");
            blocks(
                &entry.key,
                entry.key_span,
                &entry.value,
                labels,
                Vec::new(),
                &mut body.blocks,
            );
        } else {
            body.attributes.push(Attribute {
                key: entry.key.clone(),
                key_span: entry.key_span,
                value: expr(&entry.value),
                span: entry.span(),
            });
        }
    }
    body
}

pub fn expr(node: &Node) -> Expr {
    let kind = match &node.value {
        NodeValue::Scalar(s) => match s.kind {
            ScalarKind::Null => ExprKind::Null,
            ScalarKind::Bool => ExprKind::Bool(s.text == "true"),
            ScalarKind::Number => ExprKind::Number(s.text.clone()),
            ScalarKind::Str => return template_from_text(&s.text, node.span),
        },
        NodeValue::Seq(items) => ExprKind::Array(items.iter().map(expr).collect()),
        NodeValue::Map(entries) => ExprKind::Object(
            entries
                .iter()
                .map(|e| {
                    (
                        Expr {
                            span: e.key_span,
                            kind: ExprKind::Str(e.key.clone()),
                        },
                        expr(&e.value),
                    )
                })
                .collect(),
        ),
    };
    Expr {
        span: node.span,
        kind,
    }
}
