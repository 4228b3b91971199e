//! The Terraform syntax the evaluator reads: blocks, attributes and expressions with byte spans,
//! converted from hcl-edit's tree (and, for `.tf.json`, from JSON). Keeping our own small tree
//! lets both front ends feed one evaluator.

use hcl_edit::expr::{BinaryOperator, Expression, ObjectKey, TraversalOperator, UnaryOperator};
use hcl_edit::structure::{Block as HclBlock, BlockLabel, Body as HclBody, Structure};
use hcl_edit::template::Element;
use hcl_edit::Span as _;

use crate::source::{FileId, Shifts, Span};

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
    /// `[for v in xs : f(v) if p(v)]`, `{for k, v in m : k => v}`.
    For(Box<For>),
    /// Syntax the evaluator does not model (`for` expressions, template directives).
    Unsupported(&'static str),
}

/// A `for` expression: over `collection`, binding `key_var` (index or key) and `value_var`; an
/// object when `key` is given (`grouping` for `...`), else a list.
#[derive(Clone, Debug)]
pub struct For {
    pub key_var: Option<String>,
    pub value_var: String,
    pub collection: Expr,
    pub key: Option<Expr>,
    pub value: Expr,
    pub cond: Option<Expr>,
    pub grouping: bool,
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
    parse_in(text, file, &Shifts::default(), true)
}

/// `parse` of a text that may have ranges cut out (targeted reading: `shifts` maps its
/// positions back to the file). `guard`: whether to bound nesting first; a caller that has
/// already found the file no deeper than `MAX_DEPTH` passes `false` (cutting whole blocks out
/// cannot deepen it).
pub fn parse_in(
    text: &str,
    file: FileId,
    shifts: &Shifts,
    guard: bool,
) -> Result<Body, (String, Span)> {
    if let Some(at) = guard
        .then(|| crate::source::too_deep(text, MAX_DEPTH))
        .flatten()
    {
        return Err((
            format!("nesting deeper than {MAX_DEPTH} levels is not supported"),
            shifts.span(file, at, at + 1),
        ));
    }
    // Every entry has its `=` or `:`: a text with fewer of them than the bound holds no object
    // over it, and the exact scan is skipped (a vectorized count instead of a byte loop).
    let separators = memchr::memchr2_iter(b'=', b':', text.as_bytes()).count();
    let (entries, at) = if separators > super::targeted::MAX_OBJECT_ENTRIES {
        super::targeted::largest_object(text)
    } else {
        (0, 0)
    };
    if entries > super::targeted::MAX_OBJECT_ENTRIES {
        return Err((
            format!(
                "an object with about {entries} entries, over the {} this reader parses in \
                 bounded time; split it, or exclude the file",
                super::targeted::MAX_OBJECT_ENTRIES
            ),
            shifts.span(file, at, at + 1),
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
        (message, shifts.span(file, at, at))
    })?;
    Ok(Converter { file, shifts }.body(&body))
}

struct Converter<'s> {
    file: FileId,
    /// Where the parsed text's positions are in the file.
    shifts: &'s Shifts,
}

impl Converter<'_> {
    fn span(&self, range: Option<std::ops::Range<usize>>) -> Span {
        let range = range.unwrap_or(0..0);
        self.shifts.span(self.file, range.start, range.end)
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
            Expression::ForExpr(for_expr) => ExprKind::For(Box::new(For {
                key_var: for_expr
                    .intro
                    .key_var
                    .as_ref()
                    .map(|k| k.value().to_string()),
                value_var: for_expr.intro.value_var.value().to_string(),
                collection: self.expr(&for_expr.intro.collection_expr),
                key: for_expr.key_expr.as_ref().map(|k| self.expr(k)),
                value: self.expr(&for_expr.value_expr),
                cond: for_expr.cond.as_ref().map(|c| self.expr(&c.expr)),
                grouping: for_expr.grouping,
            })),
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
        Ok(Expression::StringTemplate(template)) => Converter {
            file: span.file,
            shifts: &Shifts::default(),
        }
        .template(template.iter()),
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
        ExprKind::For(f) => {
            respan(&mut f.collection, span);
            respan(&mut f.value, span);
            if let Some(key) = &mut f.key {
                respan(key, span);
            }
            if let Some(cond) = &mut f.cond {
                respan(cond, span);
            }
        }
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
    fn deep_nesting_is_an_error() {
        let text = format!("a = {}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(parse(&text, FileId(0)).unwrap_err().0.contains("nesting"));
    }
}
