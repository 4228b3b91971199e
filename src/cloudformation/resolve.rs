//! Evaluates the intrinsic functions a template uses for engine, version, group and parameter
//! values into candidates: `Ref` (resources, parameter defaults, a parameter's `AllowedValues`
//! when it has no default, values a parent stack passes, `AWS::NoValue`), `Fn::If` (the
//! branches its condition allows, `conditions.rs`), `Fn::Sub`, `Fn::Join`, `Fn::Select`,
//! `Fn::FindInMap` (every entry, when a key is not known) and `Fn::GetAtt` (a nested stack's
//! outputs through `Resolver::outputs`). Anything else is `Unknown`, naming the expression.

use std::collections::HashMap;

use super::serverless::{self, Resolved};
use crate::model::{Branch, Choice, Choices, Val};
use crate::tree::{Node, NodeValue, ScalarKind};

/// Most candidates one expression may produce; past that the value is `Unknown`.
const MAX_CHOICES: usize = 64;
const MAX_DEPTH: usize = 64;

/// What an expression evaluates to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Term {
    Literal(String),
    /// `Ref` to a resource of this template (its physical name or id), by its name in the
    /// stack tree (`Database/Params` in a nested stack).
    Resource(String),
    /// `Fn::GetAtt` of a resource of this template.
    Attribute(String, String),
}

/// A nested stack's output, by stack logical ID and output name, as the parent sees it; `Err`
/// says why it is not known.
pub type Outputs<'t> = &'t dyn Fn(&str, &str, &Branch, usize) -> Result<Choices<Term>, String>;

pub struct Resolver<'t> {
    pub resources: Option<&'t Node>,
    /// Resources targeted reading blanked: declared, though not in `resources`.
    pub skipped: &'t [String],
    pub parameters: Option<&'t Node>,
    pub mappings: Option<&'t Node>,
    pub conditions: Option<&'t Node>,
    /// How this template's resources are named in its stack tree (`Platform/`), `""` at the top.
    pub prefix: String,
    /// The values a parent stack passes for this template's parameters.
    pub passed: HashMap<String, Choices<Term>>,
    /// Passed values that rest on a parent parameter's `Default` (a deployment may override).
    pub overridable_passed: std::collections::HashSet<String>,
    /// The outputs of this template's nested stacks.
    pub outputs: Option<Outputs<'t>>,
    /// A Serverless service's template: its variables are resolved against `custom` (the
    /// outer `Some`; the inner `None` when the file has no `custom` map).
    pub custom: Option<Option<&'t Node>>,
}

impl<'t> Resolver<'t> {
    pub fn new(root: &'t Node, skipped: &'t [String]) -> Resolver<'t> {
        Resolver {
            resources: root.get("Resources"),
            skipped,
            parameters: root.get("Parameters"),
            mappings: root.get("Mappings"),
            conditions: root.get("Conditions"),
            prefix: String::new(),
            passed: HashMap::new(),
            overridable_passed: Default::default(),
            outputs: None,
            custom: None,
        }
    }

    /// For a Serverless service's template, with its `custom` map.
    pub fn serverless(mut self, custom: Option<&'t Option<Node>>) -> Resolver<'t> {
        self.custom = custom.map(Option::as_ref);
        self
    }

    /// A resource's name in the stack tree.
    pub fn named(&self, id: &str) -> String {
        format!("{}{id}", self.prefix)
    }

    /// A property's candidates; `None` (property missing) is one `Absent` candidate at `missing`.
    pub fn property(&self, node: Option<&Node>, missing: crate::source::Span) -> Choices<Term> {
        match node {
            Some(node) => self.eval(node, &Branch::default(), 0),
            None => vec![Choice::new(Val::Absent, missing)],
        }
    }

    pub fn eval(&self, node: &Node, branch: &Branch, depth: usize) -> Choices<Term> {
        let one = |value: Val<Term>| {
            vec![Choice {
                value,
                span: node.span,
                branch: branch.clone(),
                via: None,
            }]
        };
        if depth > MAX_DEPTH {
            return one(Val::Unknown("an expression nested too deeply".to_string()));
        }
        if let Some((name, argument)) = node.intrinsic() {
            return self.intrinsic(node, name, argument, branch, depth);
        }
        match &node.value {
            NodeValue::Scalar(s) if s.kind == ScalarKind::Null => one(Val::Absent),
            NodeValue::Scalar(s) if self.custom.is_some() && serverless::has_variables(&s.text) => {
                match serverless::resolve(&s.text, self.custom.flatten()) {
                    // The custom value is where the value is written; the variable leads there.
                    Resolved::Custom(value) => vec![Choice {
                        value: Val::Known(Term::Literal(value.str().unwrap_or("").to_string())),
                        span: value.span,
                        branch: branch.clone(),
                        via: Some(node.span),
                    }],
                    Resolved::Text(text) => one(Val::Known(Term::Literal(text))),
                    Resolved::Unknown(what) => one(Val::Unknown(what)),
                }
            }
            NodeValue::Scalar(s) => one(Val::Known(Term::Literal(s.text.clone()))),
            NodeValue::Seq(_) => one(Val::Unknown("a list where a single value belongs".into())),
            NodeValue::Map(_) => one(Val::Unknown("a map where a single value belongs".into())),
        }
    }

    fn intrinsic(
        &self,
        node: &Node,
        name: &str,
        argument: &Node,
        branch: &Branch,
        depth: usize,
    ) -> Choices<Term> {
        let unknown = |what: String| {
            vec![Choice {
                value: Val::Unknown(what),
                span: node.span,
                branch: branch.clone(),
                via: None,
            }]
        };
        let args = argument.seq().unwrap_or(&[]);
        match name {
            "Ref" => match argument.str() {
                Some(target) => self.reference(node, target, branch, depth),
                None => unknown("a `Ref` without a name".into()),
            },
            "Fn::If" => match args {
                [condition, then, otherwise] => {
                    let Some(condition) = condition.str() else {
                        return unknown("an `Fn::If` whose condition is not a name".into());
                    };
                    let mut choices = Vec::new();
                    for (taken, assumed) in self.branches(condition, branch, depth) {
                        let node = if taken { then } else { otherwise };
                        choices.extend(self.eval(node, &assumed, depth + 1));
                    }
                    cap(choices, node)
                }
                _ => unknown("an `Fn::If` without three arguments".into()),
            },
            "Fn::Sub" => self.sub(node, argument, branch, depth),
            "Fn::Join" => match args {
                [delimiter, items] => {
                    let Some(delimiter) = delimiter.str() else {
                        return unknown("an `Fn::Join` with a computed delimiter".into());
                    };
                    let Some(items) = items.seq() else {
                        return unknown("an `Fn::Join` over a computed list".into());
                    };
                    let parts: Vec<Choices<Term>> = items
                        .iter()
                        .map(|item| self.eval(item, branch, depth + 1))
                        .collect();
                    self.concat(node, branch, parts, delimiter)
                }
                _ => unknown("an `Fn::Join` without two arguments".into()),
            },
            "Fn::Select" => match args {
                [index, list] => {
                    let index = index.str().and_then(|i| i.trim().parse::<usize>().ok());
                    match (index, list.seq()) {
                        (Some(i), Some(items)) if i < items.len() => {
                            self.eval(&items[i], branch, depth + 1)
                        }
                        _ => unknown("an `Fn::Select` over a computed list".into()),
                    }
                }
                _ => unknown("an `Fn::Select` without two arguments".into()),
            },
            "Fn::FindInMap" => self.find_in_map(node, args, branch, depth),
            "Fn::GetAtt" => {
                let parts: Vec<&str> = args.iter().filter_map(Node::str).collect();
                match parts.as_slice() {
                    // `!GetAtt Stack.Outputs.GroupName`: what the nested stack's output is.
                    [resource, attribute]
                        if self.is_resource(resource) && attribute.starts_with("Outputs.") =>
                    {
                        let output = &attribute["Outputs.".len()..];
                        match self.outputs {
                            Some(outputs) if self.is_stack(resource) => {
                                match outputs(resource, output, branch, depth + 1) {
                                    Ok(mut choices) => {
                                        for choice in &mut choices {
                                            choice.via.get_or_insert(node.span);
                                        }
                                        choices
                                    }
                                    Err(what) => unknown(what),
                                }
                            }
                            _ => unknown(format!(
                                "output `{output}` of `{resource}`, a stack this scan does not read"
                            )),
                        }
                    }
                    [resource, attribute] if self.is_resource(resource) => one_known(
                        node,
                        branch,
                        Term::Attribute(self.named(resource), attribute.to_string()),
                    ),
                    _ => unknown(
                        "an `Fn::GetAtt` of a resource this template does not declare".into(),
                    ),
                }
            }
            "Fn::ImportValue" => unknown("`Fn::ImportValue`, an export of another stack".into()),
            other => unknown(format!("`{other}`")),
        }
    }

    fn reference(&self, node: &Node, target: &str, branch: &Branch, depth: usize) -> Choices<Term> {
        let here = |value| {
            vec![Choice {
                value,
                span: node.span,
                branch: branch.clone(),
                via: None,
            }]
        };
        if target == "AWS::NoValue" {
            return here(Val::Absent);
        }
        if target.starts_with("AWS::") {
            return here(Val::Unknown(format!("the pseudo parameter `{target}`")));
        }
        if let Some(parameter) = self.parameters.and_then(|p| p.get(target)) {
            // A parent stack's value for it comes first.
            if let Some(passed) = self.passed.get(target) {
                return passed
                    .iter()
                    .filter_map(|c| {
                        Some(Choice {
                            branch: branch.join(&c.branch)?,
                            via: c.via.or(Some(node.span)),
                            ..c.clone()
                        })
                    })
                    .collect();
            }
            let ssm = parameter
                .get("Type")
                .and_then(Node::str)
                .is_some_and(|t| t.starts_with("AWS::SSM::Parameter::Value"));
            return match (parameter.get("Default"), allowed_values(parameter)) {
                (Some(_), _) if ssm => here(Val::Unknown(format!(
                    "the template parameter `{target}`, read from SSM Parameter Store at deploy time"
                ))),
                (Some(default), _) => {
                    let mut choices = self.eval(default, branch, depth + 1);
                    for choice in &mut choices {
                        choice.via.get_or_insert(node.span);
                    }
                    choices
                }
                // No default: every allowed value is a candidate, named by the parameter.
                (None, Some(allowed)) => {
                    let choices = allowed
                        .iter()
                        .filter_map(|value| {
                            let text = value.str()?;
                            Some(Choice {
                                value: Val::Known(Term::Literal(text.to_string())),
                                span: value.span,
                                branch: branch
                                    .with_value(&self.named(target), &format!("\"{text}\""))?,
                                via: Some(node.span),
                            })
                        })
                        .collect();
                    cap(choices, node)
                }
                (None, None) => here(Val::Unknown(format!(
                    "the template parameter `{target}`, which has no Default"
                ))),
            };
        }
        if self.is_resource(target) {
            return here(Val::Known(Term::Resource(self.named(target))));
        }
        here(Val::Unknown(format!(
            "`{target}`, which is neither a parameter nor a resource of this template"
        )))
    }

    fn is_resource(&self, name: &str) -> bool {
        self.resources.and_then(|r| r.get(name)).is_some() || self.skipped.iter().any(|s| s == name)
    }

    /// A nested stack of this template (a CloudFormation stack or a SAM application).
    fn is_stack(&self, name: &str) -> bool {
        self.resources
            .and_then(|r| r.get(name))
            .and_then(|r| r.get("Type"))
            .and_then(Node::str)
            .is_some_and(super::nested::is_stack_type)
    }

    fn sub(&self, node: &Node, argument: &Node, branch: &Branch, depth: usize) -> Choices<Term> {
        let (template, variables) = match (argument.str(), argument.seq()) {
            (Some(text), _) => (text, None),
            (None, Some([text, variables])) if text.str().is_some() => {
                (text.str().unwrap_or(""), Some(variables))
            }
            _ => return one_unknown(node, branch, "an `Fn::Sub` with a computed template"),
        };
        // Serverless puts its variables in before CloudFormation substitutes.
        let resolved;
        let template = match self.custom {
            Some(custom) if serverless::has_variables(template) => {
                match serverless::resolve(template, custom) {
                    Resolved::Custom(value) => {
                        resolved = value.str().unwrap_or("").to_string();
                        resolved.as_str()
                    }
                    Resolved::Text(text) => {
                        resolved = text;
                        resolved.as_str()
                    }
                    Resolved::Unknown(what) => return one_unknown(node, branch, &what),
                }
            }
            _ => template,
        };
        let mut parts: Vec<Choices<Term>> = Vec::new();
        let mut rest = template;
        while let Some(open) = rest.find("${") {
            let literal = &rest[..open];
            let after = &rest[open + 2..];
            let Some(close) = after.find('}') else {
                break;
            };
            let name = &after[..close];
            parts.push(one_known(node, branch, Term::Literal(literal.to_string())));
            if let Some(escaped) = name.strip_prefix('!') {
                parts.push(one_known(
                    node,
                    branch,
                    Term::Literal(format!("${{{escaped}}}")),
                ));
            } else if let Some(value) = variables.and_then(|v| v.get(name)) {
                parts.push(self.eval(value, branch, depth + 1));
            } else if name.contains('.') {
                return one_unknown(node, branch, &format!("`${{{name}}}` in an `Fn::Sub`"));
            } else {
                let resolved = self.reference(node, name, branch, depth + 1);
                if resolved
                    .iter()
                    .any(|c| matches!(c.value, Val::Known(Term::Resource(_))))
                {
                    return one_unknown(
                        node,
                        branch,
                        &format!("`${{{name}}}` in an `Fn::Sub`, a resource's physical name"),
                    );
                }
                parts.push(resolved);
            }
            rest = &after[close + 1..];
        }
        parts.push(one_known(node, branch, Term::Literal(rest.to_string())));
        self.concat(node, branch, parts, "")
    }

    /// `Fn::FindInMap`: each key may itself be an expression (often `!Ref Env`). A key that
    /// is not known selects every entry of its level, each under a branch naming the key
    /// (`AWS::Region` is "eu-west-1"), so every entry must pass.
    fn find_in_map(
        &self,
        node: &Node,
        args: &[Node],
        branch: &Branch,
        depth: usize,
    ) -> Choices<Term> {
        let (Some(mappings), [map, top, second, ..]) = (self.mappings, args) else {
            return one_unknown(
                node,
                branch,
                "an `Fn::FindInMap` without a map and two keys",
            );
        };
        let mut found = Vec::new();
        for (table, assumed) in self.select(mappings, map, branch, depth, node) {
            let Ok(table) = table else {
                found.push(table.unwrap_err());
                continue;
            };
            for (level, assumed) in self.select(table, top, &assumed, depth, node) {
                let Ok(level) = level else {
                    found.push(level.unwrap_err());
                    continue;
                };
                for (value, assumed) in self.select(level, second, &assumed, depth, node) {
                    match value {
                        Ok(value) => found.extend(self.eval(value, &assumed, depth + 1)),
                        Err(unknown) => found.push(unknown),
                    }
                }
            }
        }
        cap(found, node)
    }

    /// The entries of `table` a key expression selects, each with the branch it holds under:
    /// the entries its candidates name, or every entry when the key is not known. A candidate
    /// the table lacks is an unknown under its branch.
    fn select<'n>(
        &self,
        table: &'n Node,
        key: &Node,
        branch: &Branch,
        depth: usize,
        at: &Node,
    ) -> Vec<(Result<&'n Node, Choice<Term>>, Branch)> {
        let missing = |branch: &Branch| Choice {
            value: Val::Unknown("an `Fn::FindInMap` entry the template's Mappings lack".into()),
            span: at.span,
            branch: branch.clone(),
            via: None,
        };
        let mut out = Vec::new();
        for choice in self.eval(key, branch, depth + 1) {
            match &choice.value {
                Val::Known(Term::Literal(name)) => match table.get(name) {
                    Some(entry) => out.push((Ok(entry), choice.branch)),
                    None => out.push((Err(missing(&choice.branch)), choice.branch)),
                },
                _ => {
                    let name = match key.intrinsic() {
                        Some(("Ref", target)) => self.named(target.str().unwrap_or("a key")),
                        _ => "a key of `Fn::FindInMap`".to_string(),
                    };
                    for entry in table.map().unwrap_or(&[]) {
                        let quoted = format!("\"{}\"", entry.key);
                        if let Some(assumed) = choice.branch.with_value(&name, &quoted) {
                            out.push((Ok(&entry.value), assumed));
                        }
                    }
                }
            }
        }
        out
    }

    /// Every combination of the parts' literal candidates, joined; `Unknown` if any part is.
    fn concat(
        &self,
        node: &Node,
        branch: &Branch,
        parts: Vec<Choices<Term>>,
        delimiter: &str,
    ) -> Choices<Term> {
        let mut partial: Vec<(Vec<String>, Branch)> = vec![(Vec::new(), branch.clone())];
        for part in parts {
            let mut next = Vec::new();
            for (texts, assumed) in &partial {
                for choice in &part {
                    let Some(joined) = assumed.join(&choice.branch) else {
                        continue;
                    };
                    match &choice.value {
                        Val::Known(Term::Literal(text)) => {
                            let mut texts = texts.clone();
                            texts.push(text.clone());
                            next.push((texts, joined));
                        }
                        Val::Unknown(what) => return one_unknown(node, branch, what),
                        _ => {
                            return one_unknown(
                                node,
                                branch,
                                "a reference to a resource inside a string",
                            )
                        }
                    }
                }
            }
            if next.len() > MAX_CHOICES {
                return one_unknown(node, branch, "an expression with too many combinations");
            }
            partial = next;
        }
        partial
            .into_iter()
            .map(|(texts, branch)| Choice {
                value: Val::Known(Term::Literal(texts.join(delimiter))),
                span: node.span,
                branch,
                via: None,
            })
            .collect()
    }
}

fn one_known(node: &Node, branch: &Branch, term: Term) -> Choices<Term> {
    vec![Choice {
        value: Val::Known(term),
        span: node.span,
        branch: branch.clone(),
        via: None,
    }]
}

fn one_unknown(node: &Node, branch: &Branch, what: &str) -> Choices<Term> {
    vec![Choice {
        value: Val::Unknown(what.to_string()),
        span: node.span,
        branch: branch.clone(),
        via: None,
    }]
}

fn cap(mut choices: Choices<Term>, node: &Node) -> Choices<Term> {
    if choices.len() > MAX_CHOICES {
        choices.truncate(MAX_CHOICES);
        choices.push(Choice::new(
            Val::Unknown("an expression with too many branches".into()),
            node.span,
        ));
    }
    choices
}

/// A parameter's `AllowedValues`, when it lists them.
fn allowed_values(parameter: &Node) -> Option<&[Node]> {
    parameter
        .get("AllowedValues")
        .and_then(Node::seq)
        .filter(|v| !v.is_empty())
}

/// Candidates of a string-valued property: references to resources are not strings we know.
pub fn strings(choices: Choices<Term>) -> Choices<String> {
    choices
        .into_iter()
        .map(|choice| {
            choice.map(|value| match value {
                Val::Known(Term::Literal(text)) => Val::Known(text),
                Val::Known(Term::Resource(id) | Term::Attribute(id, _)) => {
                    Val::Unknown(format!("an attribute of the resource `{id}`"))
                }
                Val::Absent => Val::Absent,
                Val::Unknown(what) => Val::Unknown(what),
            })
        })
        .collect()
}
