//! The span-keeping tree both front ends read JSON into (templates, `.tf.json`, tfvars JSON,
//! plan JSON) and the CloudFormation YAML reader builds: JSON-shaped values that keep the byte
//! span of every node and key, with YAML short-form tags already turned into their long forms.

pub mod json;

use crate::diagnostic::Finding;
use crate::source::Span;

#[derive(Clone, Debug)]
pub struct Node {
    pub span: Span,
    pub value: NodeValue,
}

#[derive(Clone, Debug)]
pub enum NodeValue {
    Scalar(Scalar),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

#[derive(Clone, Debug)]
pub struct Scalar {
    pub text: String,
    pub kind: ScalarKind,
}

/// What a scalar was written as. CloudFormation passes every property value to RDS as a string,
/// so the verdict compares `text`; the kind only tells an empty value from an empty string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScalarKind {
    Str,
    Number,
    Bool,
    Null,
}

#[derive(Clone, Debug)]
pub struct Entry {
    pub key: String,
    pub key_span: Span,
    pub value: Node,
}

impl Entry {
    /// From the key to the end of the value.
    pub fn span(&self) -> Span {
        self.key_span.to(self.value.span)
    }
}

/// A parse failure at a location.
#[derive(Clone, Debug)]
pub struct ParseError {
    pub message: String,
    pub span: Span,
    /// A second place the error involves (the first of two duplicate keys).
    pub first: Option<Span>,
}

impl ParseError {
    /// The `parse-error` finding for this failure.
    pub fn finding(&self) -> Finding {
        Finding::parse_error(&self.message, self.span, self.first)
    }
}

impl Node {
    pub fn map(&self) -> Option<&[Entry]> {
        match &self.value {
            NodeValue::Map(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn seq(&self) -> Option<&[Node]> {
        match &self.value {
            NodeValue::Seq(items) => Some(items),
            _ => None,
        }
    }

    pub fn scalar(&self) -> Option<&Scalar> {
        match &self.value {
            NodeValue::Scalar(scalar) => Some(scalar),
            _ => None,
        }
    }

    /// The text of a string, number or boolean scalar.
    pub fn str(&self) -> Option<&str> {
        self.scalar()
            .filter(|s| s.kind != ScalarKind::Null)
            .map(|s| s.text.as_str())
    }

    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.map()?.iter().find(|entry| entry.key == key)
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|entry| &entry.value)
    }

    /// `Some((name, argument))` when the node is an intrinsic function call: a one-entry map
    /// whose key is `Ref`, `Condition` or `Fn::…`.
    pub fn intrinsic(&self) -> Option<(&str, &Node)> {
        match self.map()? {
            [entry]
                if entry.key == "Ref"
                    || entry.key == "Condition"
                    || entry.key.starts_with("Fn::") =>
            {
                Some((entry.key.as_str(), &entry.value))
            }
            _ => None,
        }
    }

    /// How many nodes this subtree holds (for alias expansion budgets).
    pub fn size(&self) -> usize {
        let mut count = 0;
        let mut stack = vec![self];
        while let Some(node) = stack.pop() {
            count += 1;
            match &node.value {
                NodeValue::Scalar(_) => {}
                NodeValue::Seq(items) => stack.extend(items),
                NodeValue::Map(entries) => stack.extend(entries.iter().map(|e| &e.value)),
            }
        }
        count
    }
}

impl Drop for Node {
    /// Drops deep trees without recursion, so a hostile nesting depth cannot overflow the stack.
    fn drop(&mut self) {
        let mut stack: Vec<Node> = Vec::new();
        take_children(&mut self.value, &mut stack);
        while let Some(mut node) = stack.pop() {
            take_children(&mut node.value, &mut stack);
        }
    }
}

fn take_children(value: &mut NodeValue, stack: &mut Vec<Node>) {
    match value {
        NodeValue::Scalar(_) => {}
        NodeValue::Seq(items) => stack.append(items),
        NodeValue::Map(entries) => {
            stack.extend(std::mem::take(entries).into_iter().map(|e| e.value))
        }
    }
}
