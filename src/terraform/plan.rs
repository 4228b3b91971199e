//! Terraform plan JSON (`terraform show -json`): resources from `planned_values` at every module
//! level with their final values, linked by planned names and, where a name is only known after
//! apply, by the references the plan's `configuration` records. Findings point into the plan.

use std::collections::{HashMap, HashSet};

use crate::model::{
    Branch, Choice, Choices, Database, DatabaseKind, FileModel, GroupLevel, Member, Parameter,
    ParameterGroup, Parameters, Resource, ScopeId, Target, Val,
};
use crate::source::{Needles, SourceFile};
use crate::tree::{Node, NodeValue, ParseError, ScalarKind};

/// A plan is JSON with `format_version` and `planned_values` at the top.
pub fn is_plan(text: &str) -> bool {
    static KEYS: Needles<2> = Needles::new(["\"planned_values\"", "\"format_version\""]);
    KEYS.all_in(text.as_bytes())
}

/// The plan's shape where the verdict reads it: a plan whose `planned_values`, modules or
/// resources are not what `terraform show -json` writes is a parse error, never a silent pass.
fn check_shape(root: &Node) -> Result<(), ParseError> {
    let wrong = |node: &Node, what: &str| ParseError {
        message: format!("not a plan as `terraform show -json` writes it: {what}"),
        span: node.span,
        first: None,
    };
    let Some(planned) = root.get("planned_values") else {
        return Ok(());
    };
    planned
        .map()
        .ok_or_else(|| wrong(planned, "`planned_values` is not an object"))?;
    let mut modules: Vec<&Node> = planned.get("root_module").into_iter().collect();
    while let Some(module) = modules.pop() {
        module
            .map()
            .ok_or_else(|| wrong(module, "a module is not an object"))?;
        if let Some(resources) = module.get("resources") {
            let list = resources
                .seq()
                .ok_or_else(|| wrong(resources, "`resources` is not a list"))?;
            for resource in list {
                let address = resource.get("address").and_then(Node::str);
                if resource.map().is_none() || address.is_none() {
                    return Err(wrong(resource, "a resource without an `address`"));
                }
                if let Some(values) = resource.get("values") {
                    if values.map().is_none()
                        && values.scalar().is_none_or(|s| s.kind != ScalarKind::Null)
                    {
                        return Err(wrong(values, "a resource's `values` is not an object"));
                    }
                }
            }
        }
        if let Some(children) = module.get("child_modules") {
            let list = children
                .seq()
                .ok_or_else(|| wrong(children, "`child_modules` is not a list"))?;
            modules.extend(list);
        }
    }
    Ok(())
}

pub fn load(file: &SourceFile, scope: ScopeId) -> Result<FileModel, ParseError> {
    let root = crate::tree::json::parse(file.text(), file.id)?;
    check_shape(&root)?;
    let mut references = HashMap::new();
    if let Some(config) = root.get("configuration").and_then(|c| c.get("root_module")) {
        config_references(config, "", &mut references);
    }
    let mut unknown = HashSet::new();
    for change in root
        .get("resource_changes")
        .and_then(Node::seq)
        .unwrap_or(&[])
    {
        let address = change.get("address").and_then(Node::str).unwrap_or("");
        let after = change.get("change").and_then(|c| c.get("after_unknown"));
        for entry in after.and_then(Node::map).unwrap_or(&[]) {
            if entry.value.str() == Some("true") {
                unknown.insert((base_address(address).to_string(), entry.key.clone()));
            }
        }
    }
    let mut resources: Vec<(String, Vec<&Node>)> = Vec::new();
    if let Some(module) = root
        .get("planned_values")
        .and_then(|p| p.get("root_module"))
    {
        planned(module, &mut resources);
    }
    let plan = Plan {
        references,
        unknown,
    };
    let mut model = FileModel::default();
    for (address, instances) in &resources {
        plan.lower(address, instances, scope, &mut model);
    }
    Ok(model)
}

/// `aws_db_instance.x["a"]` and `module.m[0].aws_db_instance.x[1]` without their instance keys.
fn base_address(address: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    for c in address.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

fn planned<'n>(module: &'n Node, out: &mut Vec<(String, Vec<&'n Node>)>) {
    for resource in module.get("resources").and_then(Node::seq).unwrap_or(&[]) {
        let address = base_address(resource.get("address").and_then(Node::str).unwrap_or(""));
        match out.iter_mut().find(|(a, _)| *a == address) {
            Some((_, instances)) => instances.push(resource),
            None => out.push((address, vec![resource])),
        }
    }
    for child in module
        .get("child_modules")
        .and_then(Node::seq)
        .unwrap_or(&[])
    {
        planned(child, out);
    }
}

/// `configuration` references per (resource address, attribute), with module prefixes.
fn config_references(
    module: &Node,
    prefix: &str,
    out: &mut HashMap<(String, String), Vec<String>>,
) {
    for resource in module.get("resources").and_then(Node::seq).unwrap_or(&[]) {
        let address = format!(
            "{prefix}{}",
            resource.get("address").and_then(Node::str).unwrap_or("")
        );
        for expression in resource
            .get("expressions")
            .and_then(Node::map)
            .unwrap_or(&[])
        {
            let refs: Vec<String> = expression
                .value
                .get("references")
                .and_then(Node::seq)
                .unwrap_or(&[])
                .iter()
                .filter_map(Node::str)
                .filter_map(|r| resource_of(r).map(|a| format!("{prefix}{a}")))
                .collect();
            if !refs.is_empty() {
                out.insert((address.clone(), expression.key.clone()), refs);
            }
        }
    }
    for call in module
        .get("module_calls")
        .and_then(Node::map)
        .unwrap_or(&[])
    {
        if let Some(child) = call.value.get("module") {
            config_references(child, &format!("{prefix}module.{}.", call.key), out);
        }
    }
}

/// `aws_db_parameter_group.pg.name` names `aws_db_parameter_group.pg`; `var.x` names nothing.
fn resource_of(reference: &str) -> Option<String> {
    let mut parts = reference.split('.');
    let (kind, name) = (parts.next()?, parts.next()?);
    if matches!(
        kind,
        "var" | "local" | "module" | "data" | "each" | "count" | "path" | "terraform"
    ) {
        return None;
    }
    Some(base_address(&format!("{kind}.{name}")))
}

struct Plan {
    references: HashMap<(String, String), Vec<String>>,
    unknown: HashSet<(String, String)>,
}

impl Plan {
    fn lower(&self, address: &str, instances: &[&Node], scope: ScopeId, model: &mut FileModel) {
        let first = instances[0];
        let type_name = first.get("type").and_then(Node::str).unwrap_or("");
        if first.get("mode").and_then(Node::str) == Some("data") {
            return;
        }
        let header = first.get("address").map_or(first.span, |a| a.span);
        let resource = Resource {
            name: address.to_string(),
            type_name: type_name.to_string(),
            scope,
            header,
            type_span: header,
            span: first.span,
            context: None,
            stacks: Vec::new(),
        };
        fn values(node: &Node) -> Option<&Node> {
            node.get("values")
        }
        let branch = |node: &Node| -> Branch {
            match (instances.len(), node.get("index")) {
                (2.., Some(index)) => Branch::default()
                    .with_value("instance", &display(index))
                    .unwrap_or_default(),
                _ => Branch::default(),
            }
        };
        let strings = |attr: &str| -> Choices<String> {
            instances
                .iter()
                .map(|node| {
                    self.string(
                        address,
                        attr,
                        values(node).and_then(|v| v.get(attr)),
                        header,
                        branch(node),
                    )
                })
                .collect()
        };
        let targets = |attr: &str| -> Choices<Target> {
            instances
                .iter()
                .map(|node| {
                    self.target(
                        address,
                        attr,
                        values(node).and_then(|v| v.get(attr)),
                        header,
                        branch(node),
                    )
                })
                .collect()
        };
        let literal = |attr: &str| match strings(attr).as_slice() {
            [Choice {
                value: Val::Known(text),
                ..
            }] => Some(text.clone()),
            _ => None,
        };
        match type_name {
            "aws_db_instance" => model.databases.push(Database {
                identifier: literal("identifier"),
                kind: DatabaseKind::Instance,
                engine: strings("engine"),
                engine_version: strings("engine_version"),
                group: targets("parameter_group_name"),
                group_property: "parameter_group_name",
                replica_source: targets("replicate_source_db"),
                slot: crate::diagnostic::fix::Slot::None,
                unverifiable: None,
                resource,
            }),
            "aws_rds_cluster" => model.databases.push(Database {
                identifier: literal("cluster_identifier"),
                kind: DatabaseKind::Cluster,
                engine: strings("engine"),
                engine_version: strings("engine_version"),
                group: targets("db_cluster_parameter_group_name"),
                group_property: "db_cluster_parameter_group_name",
                replica_source: targets("replication_source_identifier"),
                slot: crate::diagnostic::fix::Slot::None,
                unverifiable: None,
                resource,
            }),
            "aws_rds_cluster_instance" => model.members.push(Member {
                cluster: targets("cluster_identifier"),
                group: targets("db_parameter_group_name"),
                resource,
            }),
            "aws_db_parameter_group" | "aws_rds_cluster_parameter_group" => {
                let mut entries = Vec::new();
                for node in instances {
                    for parameter in values(node)
                        .and_then(|v| v.get("parameter"))
                        .and_then(Node::seq)
                        .unwrap_or(&[])
                    {
                        let (Some(name), Some(value)) =
                            (parameter.get("name"), parameter.get("value"))
                        else {
                            continue;
                        };
                        entries.push(Parameter {
                            name: name.str().unwrap_or("").to_string(),
                            key_span: name.span,
                            value: vec![Choice {
                                value: scalar(value),
                                span: value.span,
                                branch: branch(node),
                                via: None,
                            }],
                        });
                    }
                }
                model.groups.push(ParameterGroup {
                    level: if type_name == "aws_db_parameter_group" {
                        GroupLevel::Instance
                    } else {
                        GroupLevel::Cluster
                    },
                    name: literal("name"),
                    unresolved_name: None,
                    family: strings("family"),
                    slot: crate::diagnostic::fix::Slot::None,
                    parameters: if entries.is_empty() {
                        Parameters::Absent
                    } else {
                        Parameters::Known {
                            span: header,
                            entries,
                        }
                    },
                    resource,
                });
            }
            _ => {}
        }
    }

    fn string(
        &self,
        address: &str,
        attr: &str,
        node: Option<&Node>,
        missing: crate::source::Span,
        branch: Branch,
    ) -> Choice<String> {
        let value = match node {
            Some(node) => scalar(node),
            None if self
                .unknown
                .contains(&(address.to_string(), attr.to_string())) =>
            {
                Val::Unknown(format!("`{attr}`, known only after apply"))
            }
            None => Val::Absent,
        };
        Choice {
            value,
            span: node.map_or(missing, |n| n.span),
            branch,
            via: None,
        }
    }

    fn target(
        &self,
        address: &str,
        attr: &str,
        node: Option<&Node>,
        missing: crate::source::Span,
        branch: Branch,
    ) -> Choice<Target> {
        let key = (address.to_string(), attr.to_string());
        // A reference in the configuration links even when the planned value is a literal.
        let value = match (
            self.references.get(&key).and_then(|r| r.first()),
            node.map(scalar),
        ) {
            (Some(reference), _) => Val::Known(Target::Resource(reference.clone())),
            (None, Some(Val::Known(text))) => Val::Known(Target::Name(text)),
            (None, Some(Val::Absent)) | (None, None) if !self.unknown.contains(&key) => Val::Absent,
            _ => Val::Unknown(format!("`{attr}`, known only after apply")),
        };
        Choice {
            value,
            span: node.map_or(missing, |n| n.span),
            branch,
            via: None,
        }
    }
}

fn scalar(node: &Node) -> Val<String> {
    match &node.value {
        NodeValue::Scalar(s) if s.kind == ScalarKind::Null => Val::Absent,
        NodeValue::Scalar(s) => Val::Known(s.text.clone()),
        _ => Val::Unknown("a list or map where a single value belongs".into()),
    }
}

fn display(index: &Node) -> String {
    match index.scalar() {
        Some(s) if s.kind == ScalarKind::Str => format!("\"{}\"", s.text),
        Some(s) => s.text.clone(),
        None => "?".into(),
    }
}
