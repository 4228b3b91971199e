//! The Terraform syntax the evaluator reads: blocks, attributes and expressions with byte spans,
//! converted from hcl-edit's tree (and, for `.tf.json`, from JSON). Keeping our own small tree
//! lets both front ends feed one evaluator.

use hcl_edit::expr::{BinaryOperator, Expression, ObjectKey, TraversalOperator, UnaryOperator};
use hcl_edit::structure::{Block as HclBlock, BlockLabel, Body as HclBody, Structure};
use hcl_edit::template::Element;
use hcl_edit::Span as _;

use crate::source::{FileId, Span};

#[derive(Clone, Debug, Default)]
pub struct Body {
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<Block>,
}

#[derive(Clone, Debug)]
pub struct Attribute {
    pub key: String,
    pub key_span: Span,
    pub value: Expr,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Block {
    pub kind: String,
    pub labels: Vec<(String, Span)>,
    /// From the block type to the last label: the block's "first line".
    pub header: Span,
    pub span: Span,
    pub body: Body,
}

#[derive(Clone, Debug)]
pub struct Expr {
    pub span: Span,
    pub kind: ExprKind,
}

#[derive(Clone, Debug)]
pub enum ExprKind {
    Null,
    Bool(bool),
    Number(String),
    Str(String),
    Template(Vec<Part>),
    Array(Vec<Expr>),
    Object(Vec<(Expr, Expr)>),
    Variable(String),
    Traversal(Box<Expr>, Vec<Operator>),
    Call(String, Vec<Expr>, bool),
    Conditional(Box<Expr>, Box<Expr>, Box<Expr>),
    Unary(&'static str, Box<Expr>),
    Binary(&'static str, Box<Expr>, Box<Expr>),
    /// Syntax the evaluator does not model (`for` expressions, template directives).
    Unsupported(&'static str),
}

#[derive(Clone, Debug)]
pub enum Part {
    Literal(String),
    Interpolation(Expr),
}

#[derive(Clone, Debug)]
pub enum Operator {
    Attr(String),
    Index(Expr),
    Splat,
}

impl Body {
    pub fn attribute(&self, key: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.key == key)
    }

    pub fn blocks<'b>(&'b self, kind: &'b str) -> impl Iterator<Item = &'b Block> + 'b {
        self.blocks.iter().filter(move |b| b.kind == kind)
    }
}

impl Block {
    pub fn label(&self, i: usize) -> Option<&str> {
        self.labels.get(i).map(|(l, _)| l.as_str())
    }
}

impl Expr {
    /// The source text of the expression, for naming branches and unknowns.
    pub fn text<'t>(&self, source: &'t str) -> &'t str {
        source.get(self.span.range()).unwrap_or("")
    }
}

/// Deepest bracket nesting accepted before parsing (hcl-edit's parser recurses).
pub const MAX_DEPTH: usize = 256;

/// Parses a `.tf` file; errors carry a byte offset.
pub fn parse(text: &str, file: FileId) -> Result<Body, (String, Span)> {
    if let Some(at) = crate::source::too_deep(text, MAX_DEPTH) {
        return Err((
            format!("nesting deeper than {MAX_DEPTH} levels is not supported"),
            Span::new(file, at, at + 1),
        ));
    }
    let body: HclBody = hcl_edit::parser::parse_body(text).map_err(|error| {
        let at = error.location().offset().min(text.len());
        let message = error
            .message()
            .lines()
            .next()
            .unwrap_or("syntax error")
            .to_string();
        (message, Span::new(file, at, at))
    })?;
    Ok(Converter { file }.body(&body))
}

/// Resource types the verdict reads; every other `resource` block, and `data`, `provider` and
/// `terraform` blocks, are never read (a reference to them evaluates without their body).
const READ_RESOURCES: &[&str] = &[
    "aws_db_instance",
    "aws_rds_cluster",
    "aws_rds_cluster_instance",
    "aws_db_parameter_group",
    "aws_rds_cluster_parameter_group",
];

/// The text with top-level blocks the verdict never reads replaced by spaces (line breaks and
/// byte offsets kept, so spans are those of the full text). `None` when nothing can be skipped
/// or the text is too unusual to split safely (unbalanced braces, a heredoc at the top level).
pub fn relevant_only(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut skipped: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        // A top-level item starts at a line start; find its first `{` and the matching `}`.
        let line_end = text[i..].find('\n').map_or(bytes.len(), |n| i + n);
        let line = &text[i..line_end];
        let words: Vec<&str> = line.split_whitespace().collect();
        let skip = match words.as_slice() {
            // The first label, quoted or not, even when the next one touches it.
            ["resource", kind, ..] => {
                let kind = kind.trim_start_matches('"').split(['"', '{']).next();
                !kind.is_some_and(|kind| READ_RESOURCES.contains(&kind))
            }
            ["data" | "provider" | "terraform", ..] => true,
            _ => false,
        };
        if line.contains('{') {
            let open = i + line.find('{')?;
            let close = matching_brace(bytes, open)?;
            if skip {
                skipped.push((i, close + 1));
            }
            i = close + 1;
        } else {
            if line.contains("<<") {
                return None;
            }
            i = line_end + 1;
        }
    }
    if skipped.is_empty() {
        return None;
    }
    crate::source::blank(text, &skipped)
}

/// The offset of the `}` closing the `{` at `open`, skipping strings, comments and heredocs.
fn matching_brace(bytes: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = open;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                    i += 1;
                }
                i += 1;
            }
            // A heredoc (`<<EOT` or `<<-EOT`): skip to the line that is only its delimiter.
            b'<' if bytes.get(i + 1) == Some(&b'<') => {
                let mut j = i + 2;
                if bytes.get(j) == Some(&b'-') {
                    j += 1;
                }
                let ident_start = j;
                while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_') {
                    j += 1;
                }
                let delimiter = std::str::from_utf8(&bytes[ident_start..j]).ok()?;
                if delimiter.is_empty() {
                    return None;
                }
                let rest = std::str::from_utf8(&bytes[j..]).ok()?;
                let mut lines = rest.split_inclusive('\n');
                let mut offset = j + lines.next().map_or(0, str::len);
                let mut closed = false;
                for line in lines {
                    offset += line.len();
                    if line.trim() == delimiter {
                        closed = true;
                        break;
                    }
                }
                if !closed {
                    return None;
                }
                i = offset - 1;
            }
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

struct Converter {
    file: FileId,
}

impl Converter {
    fn span(&self, range: Option<std::ops::Range<usize>>) -> Span {
        let range = range.unwrap_or(0..0);
        Span::new(self.file, range.start, range.end)
    }

    fn body(&self, body: &HclBody) -> Body {
        let mut out = Body::default();
        for structure in body.iter() {
            match structure {
                Structure::Attribute(attribute) => out.attributes.push(Attribute {
                    key: attribute.key.value().to_string(),
                    key_span: self.span(attribute.key.span()),
                    value: self.expr(&attribute.value),
                    span: self.span(attribute.span()),
                }),
                Structure::Block(block) => out.blocks.push(self.block(block)),
            }
        }
        out
    }

    fn block(&self, block: &HclBlock) -> Block {
        let ident = self.span(block.ident.span());
        let labels: Vec<(String, Span)> = block
            .labels
            .iter()
            .map(|label| match label {
                BlockLabel::Ident(ident) => (ident.value().to_string(), self.span(ident.span())),
                BlockLabel::String(text) => (text.value().to_string(), self.span(text.span())),
            })
            .collect();
        let header = labels.last().map_or(ident, |(_, span)| ident.to(*span));
        Block {
            kind: block.ident.value().to_string(),
            labels,
            header,
            span: self.span(block.span()),
            body: self.body(&block.body),
        }
    }

    fn expr(&self, expr: &Expression) -> Expr {
        let span = self.span(expr.span());
        let kind = match expr {
            Expression::Null(_) => ExprKind::Null,
            Expression::Bool(b) => ExprKind::Bool(*b.value()),
            Expression::Number(n) => ExprKind::Number(n.value().to_string()),
            Expression::String(s) => ExprKind::Str(s.value().to_string()),
            Expression::Array(array) => {
                ExprKind::Array(array.iter().map(|e| self.expr(e)).collect())
            }
            Expression::Object(object) => ExprKind::Object(
                object
                    .iter()
                    .map(|(key, value)| {
                        let key = match key {
                            ObjectKey::Ident(ident) => Expr {
                                span: self.span(ident.span()),
                                kind: ExprKind::Str(ident.value().to_string()),
                            },
                            ObjectKey::Expression(expr) => self.expr(expr),
                        };
                        (key, self.expr(value.expr()))
                    })
                    .collect(),
            ),
            Expression::StringTemplate(template) => self.template(template.iter()),
            Expression::HeredocTemplate(heredoc) => self.template(heredoc.template.iter()),
            Expression::Parenthesis(inner) => return self.expr(inner.inner()),
            Expression::Variable(name) => ExprKind::Variable(name.value().to_string()),
            Expression::Conditional(c) => ExprKind::Conditional(
                Box::new(self.expr(&c.cond_expr)),
                Box::new(self.expr(&c.true_expr)),
                Box::new(self.expr(&c.false_expr)),
            ),
            Expression::FuncCall(call) => {
                let mut name = String::new();
                for part in &call.name.namespace {
                    name.push_str(part.value().as_str());
                    name.push_str("::");
                }
                name.push_str(call.name.name.value().as_str());
                ExprKind::Call(
                    name,
                    call.args.iter().map(|a| self.expr(a)).collect(),
                    call.args.expand_final(),
                )
            }
            Expression::Traversal(traversal) => ExprKind::Traversal(
                Box::new(self.expr(&traversal.expr)),
                traversal
                    .operators
                    .iter()
                    .map(|op| match op.value() {
                        TraversalOperator::GetAttr(ident) => {
                            Operator::Attr(ident.value().to_string())
                        }
                        TraversalOperator::Index(index) => Operator::Index(self.expr(index)),
                        TraversalOperator::LegacyIndex(index) => Operator::Index(Expr {
                            span: self.span(index.span()),
                            kind: ExprKind::Number(index.value().to_string()),
                        }),
                        TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                            Operator::Splat
                        }
                    })
                    .collect(),
            ),
            Expression::UnaryOp(op) => ExprKind::Unary(
                match op.operator.value() {
                    UnaryOperator::Neg => "-",
                    UnaryOperator::Not => "!",
                },
                Box::new(self.expr(&op.expr)),
            ),
            Expression::BinaryOp(op) => ExprKind::Binary(
                binary(*op.operator.value()),
                Box::new(self.expr(&op.lhs_expr)),
                Box::new(self.expr(&op.rhs_expr)),
            ),
            Expression::ForExpr(_) => ExprKind::Unsupported("a `for` expression"),
        };
        Expr { span, kind }
    }

    fn template<'e>(&self, elements: impl Iterator<Item = &'e Element>) -> ExprKind {
        let mut parts = Vec::new();
        for element in elements {
            match element {
                Element::Literal(text) => parts.push(Part::Literal(text.value().to_string())),
                Element::Interpolation(interpolation) => {
                    parts.push(Part::Interpolation(self.expr(&interpolation.expr)))
                }
                Element::Directive(_) => return ExprKind::Unsupported("a template directive"),
            }
        }
        match parts.as_slice() {
            [] => ExprKind::Str(String::new()),
            [Part::Literal(text)] => ExprKind::Str(text.clone()),
            // `"${x}"` is `x` itself, not its string form (Terraform unwraps it).
            [Part::Interpolation(only)] => only.kind.clone(),
            _ => ExprKind::Template(parts),
        }
    }
}

/// Parses a template given as text (a `.tf.json` string); every part gets `span`.
pub fn template_from_text(text: &str, span: Span) -> Expr {
    if !text.contains("${") && !text.contains("%{") {
        return Expr {
            span,
            kind: ExprKind::Str(text.to_string()),
        };
    }
    let quoted = format!(
        "\"{}\"",
        text.replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n")
    );
    let kind = match hcl_edit::parser::parse_expr(&quoted) {
        Ok(Expression::StringTemplate(template)) => {
            Converter { file: span.file }.template(template.iter())
        }
        Ok(Expression::String(s)) => ExprKind::Str(s.value().to_string()),
        _ => ExprKind::Unsupported("a template that does not parse"),
    };
    let mut expr = Expr { span, kind };
    respan(&mut expr, span);
    expr
}

/// Gives every node of an expression parsed from a JSON string the string's span.
fn respan(expr: &mut Expr, span: Span) {
    expr.span = span;
    match &mut expr.kind {
        ExprKind::Template(parts) => parts.iter_mut().for_each(|p| {
            if let Part::Interpolation(e) = p {
                respan(e, span)
            }
        }),
        ExprKind::Array(items) => items.iter_mut().for_each(|e| respan(e, span)),
        ExprKind::Object(entries) => entries.iter_mut().for_each(|(k, v)| {
            respan(k, span);
            respan(v, span)
        }),
        ExprKind::Traversal(root, ops) => {
            respan(root, span);
            for op in ops {
                if let Operator::Index(e) = op {
                    respan(e, span)
                }
            }
        }
        ExprKind::Call(_, args, _) => args.iter_mut().for_each(|e| respan(e, span)),
        ExprKind::Conditional(a, b, c) => {
            respan(a, span);
            respan(b, span);
            respan(c, span)
        }
        ExprKind::Unary(_, e) => respan(e, span),
        ExprKind::Binary(_, a, b) => {
            respan(a, span);
            respan(b, span)
        }
        _ => {}
    }
}

fn binary(op: BinaryOperator) -> &'static str {
    match op {
        BinaryOperator::Eq => "==",
        BinaryOperator::NotEq => "!=",
        BinaryOperator::LessEq => "<=",
        BinaryOperator::GreaterEq => ">=",
        BinaryOperator::Less => "<",
        BinaryOperator::Greater => ">",
        BinaryOperator::Plus => "+",
        BinaryOperator::Minus => "-",
        BinaryOperator::Mul => "*",
        BinaryOperator::Div => "/",
        BinaryOperator::Mod => "%",
        BinaryOperator::And => "&&",
        BinaryOperator::Or => "||",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_point_at_labels_and_values() {
        let text = "resource \"aws_db_instance\" \"main\" {\n  engine = \"postgres\"\n  count = var.n > 0 ? 1 : 0\n}\n";
        let body = parse(text, FileId(0)).unwrap();
        let block = &body.blocks[0];
        assert_eq!(
            &text[block.header.range()],
            "resource \"aws_db_instance\" \"main\""
        );
        let engine = block.body.attribute("engine").unwrap();
        assert_eq!(&text[engine.value.span.range()], "\"postgres\"");
        assert!(matches!(
            block.body.attribute("count").unwrap().value.kind,
            ExprKind::Conditional(..)
        ));
    }

    #[test]
    fn unread_blocks_are_blanked_with_offsets_kept() {
        let text = "resource \"aws_s3_bucket\" \"b\" {\n  tags = { a = \"}\" }\n}\nresource \"aws_db_instance\" \"d\" {\n  engine = \"postgres\"\n}\n";
        let masked = relevant_only(text).unwrap();
        assert_eq!(masked.len(), text.len());
        assert!(!masked.contains("aws_s3_bucket"));
        let body = parse(&masked, FileId(0)).unwrap();
        let engine = &body.blocks[0].body.attribute("engine").unwrap().value;
        assert_eq!(&text[engine.span.range()], "\"postgres\"");
        assert_eq!(relevant_only("variable \"x\" {}\n"), None);
        let heredoc = "resource \"aws_iam_policy\" \"p\" {\n  policy = <<-EOT\n    { \"a\": \"}\" }\n  EOT\n}\nresource \"aws_db_instance\" \"d\" {\n}\n";
        let masked = relevant_only(heredoc).expect("a heredoc in an unread block is skipped");
        assert!(!masked.contains("aws_iam_policy") && masked.contains("aws_db_instance"));
        // A label touching the type (found by the fuzz test) still names a read resource.
        let touching =
            "resource \"aws_db_instance\"a\"d\" {\n}\nresource \"aws_s3_bucket\"\"b\"{\n}\n";
        let masked = relevant_only(touching).unwrap();
        assert!(masked.contains("aws_db_instance") && !masked.contains("aws_s3_bucket"));
    }

    #[test]
    fn deep_nesting_is_an_error() {
        let text = format!("a = {}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(parse(&text, FileId(0)).unwrap_err().0.contains("nesting"));
    }
}
