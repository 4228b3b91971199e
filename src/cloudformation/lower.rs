//! Turns a template's RDS resources into the model: DB instances and clusters, cluster members,
//! and DB (cluster) parameter groups, with every property the verdict needs as candidates.

use super::resolve::{strings, Resolver, Term};
use crate::diagnostic::fix::Slot;
use crate::model::{
    Branch, Choice, Choices, Database, DatabaseKind, FileModel, GroupLevel, Member, Parameter,
    ParameterGroup, Parameters, Resource, ScopeId, Target, Val,
};
use crate::source::Span;
use crate::tree::{Entry, Node};

/// True when the document is a CloudFormation template (spec: `AWSTemplateFormatVersion` at
/// the top, or a `Resources` map of `Type: AWS::…` entries; SAM and cdk.out included).
pub fn is_template(root: &Node) -> bool {
    if root.get("AWSTemplateFormatVersion").is_some() {
        return true;
    }
    root.get("Resources")
        .and_then(Node::map)
        .is_some_and(|resources| {
            resources.iter().any(|entry| {
                entry
                    .value
                    .get("Type")
                    .and_then(Node::str)
                    .is_some_and(|t| t.starts_with("AWS::"))
            })
        })
}

/// `skipped`: logical IDs of resources targeted reading left out of `root`; `loops`: what
/// writing out `Fn::ForEach` left.
pub fn lower(
    root: &Node,
    skipped: &[String],
    scope: ScopeId,
    loops: &super::foreach::Expanded,
) -> FileModel {
    let resolver = Resolver::new(root, skipped);
    let mut model = FileModel::default();
    lower_with(&resolver, root, scope, loops, &[], &mut model);
    model
}

/// Lowers one template with `resolver` (a nested stack's names, passed values and outputs)
/// into `model`; `stacks` is the chain of stack resources that includes it.
pub fn lower_with(
    resolver: &Resolver,
    root: &Node,
    scope: ScopeId,
    loops: &super::foreach::Expanded,
    stacks: &[(String, Span)],
    model: &mut FileModel,
) {
    let first = model.databases.len();
    for parameter in root.get("Parameters").and_then(Node::map).unwrap_or(&[]) {
        if let Some(allowed) = parameter.value.get("AllowedValues") {
            model.constraints.push(allowed.span);
        }
    }
    for entry in root.get("Resources").and_then(Node::map).unwrap_or(&[]) {
        let Some(type_node) = entry.value.get("Type") else {
            continue;
        };
        let Some(type_name) = type_node.str() else {
            continue;
        };
        let resource = Resource {
            name: resolver.named(&entry.key),
            type_name: type_name.to_string(),
            scope,
            header: entry.key_span,
            type_span: type_node.span,
            span: entry.span(),
            context: None,
            stacks: stacks.to_vec(),
        };
        let properties = entry.value.get("Properties");
        let lowering = Lowering {
            resolver,
            properties,
            entry,
        };
        match type_name {
            "AWS::RDS::DBInstance" => lowering.instance(resource, model),
            "AWS::RDS::DBCluster" => model.databases.push(lowering.cluster(resource)),
            "AWS::RDS::DBParameterGroup" => model.groups.push(lowering.group(
                resource,
                GroupLevel::Instance,
                "DBParameterGroupName",
            )),
            "AWS::RDS::DBClusterParameterGroup" => model.groups.push(lowering.group(
                resource,
                GroupLevel::Cluster,
                "DBClusterParameterGroupName",
            )),
            _ => {}
        }
    }
    // A loop the template does not resolve: its databases cannot be judged. A database a loop
    // wrote gets no edit of its own fragment.
    for db in &mut model.databases[first..] {
        let id = &db.resource.name[resolver.prefix.len()..];
        if loops.generated(id) {
            db.slot = crate::diagnostic::fix::Slot::None;
        }
        if let Some(loop_) = loops.unresolved.iter().find(|u| u.key == id) {
            db.unverifiable = Some(crate::model::Opaque {
                cause: "loop",
                what: loop_.what.clone(),
                span: loop_.span,
            });
        }
    }
}

struct Lowering<'a> {
    resolver: &'a Resolver<'a>,
    properties: Option<&'a Node>,
    entry: &'a Entry,
}

impl Lowering<'_> {
    fn property(&self, name: &str) -> Choices<Term> {
        let node = self.properties.and_then(|p| p.get(name));
        self.resolver.property(node, self.entry.key_span)
    }

    fn string(&self, name: &str) -> Choices<String> {
        strings(self.property(name))
    }

    fn target(&self, name: &str) -> Choices<Target> {
        self.property(name)
            .into_iter()
            .map(|choice| {
                choice.map(|value| match value {
                    Val::Known(Term::Literal(text)) => Val::Known(Target::Name(text)),
                    Val::Known(Term::Resource(id) | Term::Attribute(id, _)) => {
                        Val::Known(Target::Resource(id))
                    }
                    Val::Absent => Val::Absent,
                    Val::Unknown(what) => Val::Unknown(what),
                })
            })
            .collect()
    }

    /// The property's value when it is one literal (physical names used for literal links).
    fn literal(&self, name: &str) -> Option<String> {
        match self.string(name).as_slice() {
            [Choice {
                value: Val::Known(text),
                ..
            }] => Some(text.clone()),
            _ => None,
        }
    }

    /// The `Properties` map, where a fix can add a property.
    fn properties_slot(&self) -> Slot {
        match self.properties {
            Some(properties) if properties.map().is_some() && properties.intrinsic().is_none() => {
                Slot::Properties(properties.span)
            }
            _ => Slot::None,
        }
    }

    fn is_set(&self, name: &str) -> bool {
        self.properties.and_then(|p| p.get(name)).is_some()
    }

    fn instance(&self, resource: Resource, model: &mut FileModel) {
        if self.is_set("DBClusterIdentifier") {
            model.members.push(Member {
                resource,
                cluster: self.target("DBClusterIdentifier"),
                group: self.target("DBParameterGroupName"),
            });
            return;
        }
        model.databases.push(Database {
            resource,
            kind: DatabaseKind::Instance,
            identifier: self.literal("DBInstanceIdentifier"),
            engine: self.string("Engine"),
            engine_version: self.string("EngineVersion"),
            group: self.target("DBParameterGroupName"),
            group_property: "DBParameterGroupName",
            replica_source: self.target("SourceDBInstanceIdentifier"),
            slot: self.properties_slot(),
            unverifiable: None,
        });
    }

    fn cluster(&self, resource: Resource) -> Database {
        Database {
            resource,
            kind: DatabaseKind::Cluster,
            identifier: self.literal("DBClusterIdentifier"),
            engine: self.string("Engine"),
            engine_version: self.string("EngineVersion"),
            group: self.target("DBClusterParameterGroupName"),
            group_property: "DBClusterParameterGroupName",
            replica_source: self.target("ReplicationSourceIdentifier"),
            slot: self.properties_slot(),
            unverifiable: None,
        }
    }

    /// A group's `Parameters` map, or an `Fn::If` between maps (and `AWS::NoValue`): each entry's
    /// values hold under the branch that chose its map. `Err` at what cannot be followed.
    /// `sides` gets each map's (or `AWS::NoValue`'s) branch.
    fn parameter_map(
        &self,
        node: &Node,
        branch: &Branch,
        depth: usize,
        (out, sides): (&mut Vec<Parameter>, &mut Vec<(Branch, Span)>),
    ) -> Result<(), Span> {
        const MAX_DEPTH: usize = 16;
        match node.intrinsic() {
            None => {
                let entries = node.map().ok_or(node.span)?;
                sides.push((branch.clone(), node.span));
                for parameter in entries {
                    let value = self.resolver.eval(&parameter.value, branch, 0);
                    out.push(Parameter {
                        name: parameter.key.clone(),
                        key_span: parameter.key_span,
                        value: strings(value),
                    });
                }
                Ok(())
            }
            Some(("Ref", target)) if target.str() == Some("AWS::NoValue") => {
                sides.push((branch.clone(), node.span));
                Ok(())
            }
            Some(("Fn::If", argument)) if depth < MAX_DEPTH => {
                let [condition, then, otherwise] = argument.seq().unwrap_or(&[]) else {
                    return Err(node.span);
                };
                let condition = condition.str().ok_or(node.span)?;
                for (taken, assumed) in self.resolver.branches(condition, branch, 0) {
                    let side = if taken { then } else { otherwise };
                    self.parameter_map(side, &assumed, depth + 1, (&mut *out, &mut *sides))?;
                }
                Ok(())
            }
            Some(_) => Err(node.span),
        }
    }

    fn group(&self, resource: Resource, level: GroupLevel, name_property: &str) -> ParameterGroup {
        let parameters = match self.properties.and_then(|p| p.entry("Parameters")) {
            None => Parameters::Absent,
            Some(entry) => {
                let mut entries = Vec::new();
                let mut sides = Vec::new();
                let read = (&mut entries, &mut sides);
                match self.parameter_map(&entry.value, &Branch::default(), 0, read) {
                    Ok(()) => {
                        let mut parameters = Parameters::Known {
                            span: entry.key_span,
                            entries,
                        };
                        parameters.complete(&sides);
                        parameters
                    }
                    Err(span) => Parameters::Unknown {
                        span,
                        what: "a `Parameters` value computed by an intrinsic function".into(),
                    },
                }
            }
        };
        let slot = match (&parameters, self.properties) {
            (Parameters::Known { .. }, Some(properties)) => properties
                .get("Parameters")
                .map_or(Slot::None, |map| Slot::Map(map.span)),
            (Parameters::Absent, Some(properties)) if properties.map().is_some() => {
                Slot::Properties(properties.span)
            }
            _ => Slot::None,
        };
        ParameterGroup {
            resource,
            level,
            name: self.literal(name_property),
            unresolved_name: None,
            family: self.string("Family"),
            parameters,
            slot,
        }
    }
}
