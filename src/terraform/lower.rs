//! Turns a module instance's RDS resources into the model: `aws_db_instance`, `aws_rds_cluster`,
//! `aws_rds_cluster_instance`, `aws_db_parameter_group` and `aws_rds_cluster_parameter_group`,
//! named by address. A `count`/`for_each` resource is one resource whose values are the
//! instances' values, each under a branch naming its key.

use super::eval::{Alt, Alts, Bindings, Kind, V};
use super::instance::Instance;
use super::references::{elements, expansions, Expansion};
use super::syntax::{Block, Body, ExprKind};
use crate::model::{
    Branch, Choice, Choices, Database, DatabaseKind, FileModel, GroupLevel, Member, Parameter,
    ParameterGroup, Parameters, Resource, ScopeId, Target, Val,
};

/// `context`: the root the instance is checked from, when its module lies outside it.
pub fn lower(
    instance: &Instance,
    scope: ScopeId,
    context: Option<&std::sync::Arc<str>>,
    model: &mut FileModel,
) {
    for (_, block) in instance.module.blocks("resource") {
        let (Some(type_name), Some(name)) = (block.label(0), block.label(1)) else {
            continue;
        };
        if !matches!(
            type_name,
            "aws_db_instance"
                | "aws_rds_cluster"
                | "aws_rds_cluster_instance"
                | "aws_db_parameter_group"
                | "aws_rds_cluster_parameter_group"
        ) {
            continue;
        }
        let Some(bindings) = expansions(instance, block) else {
            continue;
        };
        let resource = Resource {
            name: format!("{}{type_name}.{name}", instance.prefix),
            type_name: type_name.to_string(),
            scope,
            header: block.header,
            type_span: block.header,
            span: block.span,
            context: context.cloned(),
            stacks: Vec::new(),
        };
        let lowering = Lowering {
            instance,
            block,
            bindings: &bindings,
        };
        match type_name {
            "aws_db_instance" => model.databases.push(Database {
                resource,
                kind: DatabaseKind::Instance,
                identifier: lowering.literal("identifier"),
                engine: lowering.strings("engine"),
                engine_version: lowering.strings("engine_version"),
                group: lowering.targets("parameter_group_name"),
                group_property: "parameter_group_name",
                replica_source: lowering.targets("replicate_source_db"),
                slot: crate::diagnostic::fix::Slot::Block(block.span),
                unverifiable: None,
            }),
            "aws_rds_cluster" => model.databases.push(Database {
                resource,
                kind: DatabaseKind::Cluster,
                identifier: lowering.literal("cluster_identifier"),
                engine: lowering.strings("engine"),
                engine_version: lowering.strings("engine_version"),
                group: lowering.targets("db_cluster_parameter_group_name"),
                group_property: "db_cluster_parameter_group_name",
                replica_source: lowering.targets("replication_source_identifier"),
                slot: crate::diagnostic::fix::Slot::Block(block.span),
                unverifiable: None,
            }),
            "aws_rds_cluster_instance" => model.members.push(Member {
                resource,
                cluster: lowering.targets("cluster_identifier"),
                group: lowering.targets("db_parameter_group_name"),
            }),
            _ => model.groups.push(ParameterGroup {
                level: if type_name == "aws_db_parameter_group" {
                    GroupLevel::Instance
                } else {
                    GroupLevel::Cluster
                },
                name: lowering.literal("name"),
                unresolved_name: lowering.unresolved("name"),
                family: lowering.strings("family"),
                parameters: lowering.parameters(),
                slot: crate::diagnostic::fix::Slot::Block(block.span),
                resource,
            }),
        }
    }
}

struct Lowering<'a> {
    instance: &'a Instance,
    block: &'a Block,
    bindings: &'a [Expansion],
}

impl Lowering<'_> {
    /// An attribute's alternatives over every instance of the resource.
    /// An attribute's alternatives over every instance of the resource, under `within` (the
    /// branch of the `dynamic` block's collection item being read, if any).
    fn eval(&self, body: &Body, key: &str, extra: &Bindings, within: &Branch) -> Alts {
        let mut out = Vec::new();
        for expansion in self.bindings {
            let mut bindings = expansion.bindings.clone();
            if extra.iterator.is_some() {
                bindings.iterator = extra.iterator.clone();
            }
            let ctx = self.instance.ctx(bindings);
            let Some(branch) = expansion.branch.join(within) else {
                continue;
            };
            let branch = &branch;
            let values = match body.attribute(key) {
                // A value written elsewhere without a reference on the way (`each.value.x`)
                // comes in through what this block writes.
                Some(attribute) => {
                    let written = attribute.value.span;
                    let mut alts = ctx.eval(&attribute.value, branch);
                    for a in &mut alts {
                        if a.via.is_none() && !written.contains(a.v.span) {
                            a.via = Some(written);
                        }
                    }
                    alts
                }
                None => vec![Alt {
                    v: V::new(self.block.header, Kind::Null),
                    branch: branch.clone(),
                    via: None,
                    soft: false,
                }],
            };
            out.extend(values.into_iter().map(|mut a| {
                a.branch = a.branch.without(&expansion.implied);
                a
            }));
        }
        out
    }

    fn strings(&self, key: &str) -> Choices<String> {
        strings(self.eval(
            &self.block.body,
            key,
            &Bindings::default(),
            &Branch::default(),
        ))
    }

    /// A property that names another resource: a reference (its `.arn` is the ARN form), a
    /// literal name, or nothing (`null`, or `""`, which the AWS provider reads as unset).
    fn targets(&self, key: &str) -> Choices<Target> {
        targets(self.eval(
            &self.block.body,
            key,
            &Bindings::default(),
            &Branch::default(),
        ))
    }

    /// Where the one unresolved expression a property comes from is written, if it is one.
    fn unresolved(&self, key: &str) -> Option<crate::source::Span> {
        match self.strings(key).as_slice() {
            [Choice {
                value: Val::Unknown(_),
                span,
                ..
            }] => Some(*span),
            _ => None,
        }
    }

    fn literal(&self, key: &str) -> Option<String> {
        match self.strings(key).as_slice() {
            [Choice {
                value: Val::Known(text),
                ..
            }] => Some(text.clone()),
            _ => None,
        }
    }

    /// `parameter {}` blocks and `dynamic "parameter"` blocks over lists and maps.
    fn parameters(&self) -> Parameters {
        let mut entries = Vec::new();
        // The alternatives the entries come from (each key of a `for_each` group, each
        // collection of a `dynamic` block), so a parameter one of them lacks is absent there.
        let mut sides: Vec<(Branch, crate::source::Span)> = self
            .bindings
            .iter()
            .map(|e| (e.branch.without(&e.implied), self.block.header))
            .collect();
        let body = &self.block.body;
        for block in body.blocks("parameter") {
            let unbound = (&Bindings::default(), &Branch::default());
            if let Err(unknown) = self.parameter(&block.body, unbound, &mut entries) {
                return unknown;
            }
        }
        // `parameter = [{ name = …, value = … }]`: attribute syntax Terraform accepts for blocks.
        if body.attribute("parameter").is_some() {
            for list in self.eval(body, "parameter", &Bindings::default(), &Branch::default()) {
                if let Err(unknown) = parameter_list(&list, &mut entries) {
                    return unknown;
                }
            }
        }
        for dynamic in body
            .blocks("dynamic")
            .filter(|d| d.label(0) == Some("parameter"))
        {
            let iterator = match dynamic.body.attribute("iterator").map(|a| &a.value.kind) {
                Some(ExprKind::Variable(name)) => name.clone(),
                _ => "parameter".to_string(),
            };
            let Some(content) = dynamic.body.blocks("content").next() else {
                continue;
            };
            let collections = self.eval(
                &dynamic.body,
                "for_each",
                &Bindings::default(),
                &Branch::default(),
            );
            for collection in collections {
                sides.push((collection.branch.clone(), collection.v.span));
                if let Some(what) = collection
                    .v
                    .first_unknown()
                    .filter(|_| !matches!(collection.v.kind, Kind::List(_) | Kind::Map(_)))
                {
                    return Parameters::Unknown {
                        span: collection.v.span,
                        what: what.to_string(),
                    };
                }
                let pairs: Vec<(V, V)> = match &collection.v.kind {
                    Kind::List(items) => items
                        .iter()
                        .enumerate()
                        .map(|(i, item)| {
                            (V::new(item.span, Kind::Num(i.to_string())), item.clone())
                        })
                        .collect(),
                    _ => elements(&collection.v),
                };
                for (key, value) in pairs {
                    let bound = Bindings {
                        iterator: Some((iterator.clone(), key, value)),
                        ..Bindings::default()
                    };
                    let item = (&bound, &collection.branch);
                    if let Err(unknown) = self.parameter(&content.body, item, &mut entries) {
                        return unknown;
                    }
                }
            }
        }
        if entries.is_empty()
            && body.attribute("parameter").is_none()
            && body.blocks("parameter").next().is_none()
            && body.blocks("dynamic").next().is_none()
        {
            return Parameters::Absent;
        }
        let mut parameters = Parameters::Known {
            span: self.block.header,
            entries,
        };
        parameters.complete(&sides);
        parameters
    }

    /// One `parameter` block (or a `dynamic` block's content for one item, with its bindings
    /// and the branch the item holds under).
    fn parameter(
        &self,
        body: &Body,
        (bound, within): (&Bindings, &Branch),
        entries: &mut Vec<Parameter>,
    ) -> Result<(), Parameters> {
        let names = self.eval(body, "name", bound, within);
        let values = self.eval(body, "value", bound, within);
        for name in names {
            let Some(text) = name.v.scalar() else {
                return Err(Parameters::Unknown {
                    span: name.v.span,
                    what: unknown_text(&name.v),
                });
            };
            let value: Choices<String> = strings(values.clone())
                .into_iter()
                .filter_map(|c| {
                    Some(Choice {
                        branch: c.branch.join(&name.branch)?,
                        ..c
                    })
                })
                .collect();
            entries.push(Parameter {
                name: text,
                key_span: name.v.span,
                value,
            });
        }
        Ok(())
    }
}

/// Candidates of a property that names another resource: a reference (its `.arn` is the ARN
/// form), a literal name, or nothing (`null`, or `""`, which the AWS provider reads as unset).
pub fn targets(alts: Alts) -> Choices<Target> {
    alts.into_iter()
        .map(|a| {
            candidate(a, |v| match &v.kind {
                Kind::Ref(r) if r.attribute.as_deref() == Some("arn") => {
                    Val::Known(Target::Arn(r.address.clone()))
                }
                Kind::Ref(r) => Val::Known(Target::Resource(r.address.clone())),
                Kind::Null => Val::Absent,
                _ => match v.scalar() {
                    Some(text) if text.trim().is_empty() => Val::Absent,
                    Some(text) => Val::Known(Target::Name(text)),
                    None => Val::Unknown(unknown_text(v)),
                },
            })
        })
        .collect()
}

/// A list of `{ name = …, value = … }` objects (the `parameter` attribute form, a registry
/// module's `parameters` input) as entries; `Err` with the unknown when it is not one.
pub fn parameter_list(list: &Alt, entries: &mut Vec<Parameter>) -> Result<(), Parameters> {
    let Kind::List(items) = &list.v.kind else {
        return Err(Parameters::Unknown {
            span: list.v.span,
            what: unknown_text(&list.v),
        });
    };
    for item in items.iter() {
        let field = |key: &str| match &item.kind {
            Kind::Map(entries) => entries
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone()),
            _ => None,
        };
        let (Some(name), Some(value)) = (field("name"), field("value")) else {
            return Err(Parameters::Unknown {
                span: item.span,
                what: "a `parameter` entry without `name` and `value`".into(),
            });
        };
        let Some(text) = name.scalar() else {
            return Err(Parameters::Unknown {
                span: name.span,
                what: unknown_text(&name),
            });
        };
        entries.push(Parameter {
            name: text,
            key_span: name.span,
            value: strings(vec![Alt {
                v: value,
                branch: list.branch.clone(),
                via: list.via,
                soft: list.soft,
            }]),
        });
    }
    Ok(())
}

pub fn strings(alts: Alts) -> Choices<String> {
    alts.into_iter()
        .map(|a| {
            candidate(a, |v| match &v.kind {
                Kind::Null => Val::Absent,
                _ => match v.scalar() {
                    Some(text) => Val::Known(text),
                    None => Val::Unknown(unknown_text(v)),
                },
            })
        })
        .collect()
}

/// A candidate from an alternative: its value, where it is written, its branch and reference.
fn candidate<T>(a: Alt, value: impl FnOnce(&V) -> Val<T>) -> Choice<T> {
    Choice {
        value: value(&a.v),
        span: a.v.span,
        branch: a.branch,
        via: a.via,
    }
}

fn unknown_text(v: &V) -> String {
    match &v.kind {
        Kind::Unknown(what) => what.clone(),
        Kind::Ref(r) => format!("an attribute of `{}`", r.address),
        Kind::List(_) => "a list where a single value belongs".into(),
        Kind::Map(_) => "a map where a single value belongs".into(),
        _ => "a value of the wrong type".into(),
    }
}

/// The copies of one block that a `for_each` module call makes (one per key, each under its
/// key's branch) become one resource whose candidates are all of theirs, as a `for_each`
/// resource's instances are: one finding for the block, naming the failing key.
pub fn merge_copies(model: &mut FileModel) {
    fn merged<T: Clone + PartialEq>(a: &Option<T>, b: &Option<T>) -> Option<T> {
        (a == b).then(|| a.clone()).flatten()
    }
    let key = |r: &Resource| (r.scope, r.name.clone(), r.span);
    let mut databases: Vec<Database> = Vec::with_capacity(model.databases.len());
    let mut seen = std::collections::HashMap::new();
    for db in model.databases.drain(..) {
        match seen.get(&key(&db.resource)) {
            Some(&i) => {
                let first: &mut Database = &mut databases[i];
                first.identifier = merged(&first.identifier, &db.identifier);
                first.engine.extend(db.engine);
                first.engine_version.extend(db.engine_version);
                first.group.extend(db.group);
                first.replica_source.extend(db.replica_source);
            }
            None => {
                seen.insert(key(&db.resource), databases.len());
                databases.push(db);
            }
        }
    }
    model.databases = databases;
    let mut groups: Vec<ParameterGroup> = Vec::with_capacity(model.groups.len());
    seen.clear();
    for group in model.groups.drain(..) {
        match seen.get(&key(&group.resource)) {
            Some(&i) => {
                let first: &mut ParameterGroup = &mut groups[i];
                first.name = merged(&first.name, &group.name);
                first.unresolved_name = merged(&first.unresolved_name, &group.unresolved_name);
                first.family.extend(group.family);
                first.parameters = match (
                    std::mem::replace(&mut first.parameters, Parameters::Absent),
                    group.parameters,
                ) {
                    (unknown @ Parameters::Unknown { .. }, _)
                    | (_, unknown @ Parameters::Unknown { .. }) => unknown,
                    (
                        Parameters::Known { span, mut entries },
                        Parameters::Known { entries: more, .. },
                    ) => {
                        entries.extend(more);
                        Parameters::Known { span, entries }
                    }
                    (Parameters::Absent, other) | (other, Parameters::Absent) => other,
                };
            }
            None => {
                seen.insert(key(&group.resource), groups.len());
                groups.push(group);
            }
        }
    }
    model.groups = groups;
    let mut members: Vec<Member> = Vec::with_capacity(model.members.len());
    seen.clear();
    for member in model.members.drain(..) {
        match seen.get(&key(&member.resource)) {
            Some(&i) => {
                members[i].cluster.extend(member.cluster);
                members[i].group.extend(member.group);
            }
            None => {
                seen.insert(key(&member.resource), members.len());
                members.push(member);
            }
        }
    }
    model.members = members;
}
