//! A modelled module call into the model: the database (named `module.<name>`), the groups the
//! module creates from its inputs (`module.<name>.db_parameter_group`, …), and a cluster's
//! members, each value with the span of the input that gives it, so findings point at the
//! call's own text (the `parameters` entry, the `engine_version`, the `module` header).

use std::sync::Arc;

use super::{Copy, Creation, Field, Flag, GroupShape, Modelled, Opaque};
use crate::diagnostic::fix::Slot;
use crate::model::{
    Branch, Choice, Choices, Database, FileModel, Member, ParameterGroup, Parameters, Resource,
    ScopeId, Target, Val,
};
use crate::source::Span;
use crate::terraform::eval::{alt, Alt, Alts, Kind, V};
use crate::terraform::lower::{parameter_list, strings, targets};

/// Lowers a modelled call (or, with `opaque`, an unread database-like one).
pub fn lower(
    call: Result<&Modelled, &Opaque>,
    scope: ScopeId,
    context: Option<&Arc<str>>,
    model: &mut FileModel,
) {
    let call = match call {
        Ok(call) => call,
        Err(opaque) => return lower_opaque(opaque, scope, context, model),
    };
    let shape = call.shape;
    let resource = |name: String, header: Span| Resource {
        name,
        type_name: shape.source.to_string(),
        scope,
        header,
        type_span: header,
        span: call.span,
        context: context.cloned(),
        stacks: Vec::new(),
    };
    let reader = Reader { call };
    let group_address = |group: &GroupShape| format!("{}.{}", call.address, group.suffix);
    let group_shapes: Vec<&GroupShape> = std::iter::once(&shape.group)
        .chain(shape.instance_group.as_ref())
        .collect();
    let mut database: Option<Database> = None;
    let mut groups: Vec<Option<ParameterGroup>> = vec![None; group_shapes.len()];
    let mut members = None;
    for copy in &call.copies {
        // The database and its members, where the module creates the database.
        for (exists, implied) in reader.existence(copy, shape.create, None) {
            let at = |alts: Alts| under(alts, &exists, &implied);
            let replica = at(reader.arg(copy, shape.replica_source));
            let is_replica = replica.iter().any(|a| !matches!(a.v.kind, Kind::Null));
            // A replica takes its source's engine (the module passes `null`).
            let engine = if is_replica {
                vec![Choice::new(Val::Absent, call.header)]
            } else {
                strings(at(reader.arg(copy, shape.engine)))
            };
            let db = database.get_or_insert_with(|| Database {
                resource: resource(call.address.clone(), call.header),
                kind: shape.kind,
                identifier: None,
                engine: Vec::new(),
                engine_version: Vec::new(),
                group: Vec::new(),
                group_property: shape.group_property,
                replica_source: Vec::new(),
                slot: Slot::None,
                unverifiable: call
                    .unplaced
                    .clone()
                    .map(|(what, span)| crate::model::Opaque {
                        cause: "module",
                        what,
                        span,
                    }),
            });
            db.engine.extend(engine);
            db.engine_version
                .extend(strings(at(reader.arg(copy, shape.engine_version))));
            db.group.extend(reader.governing(
                copy,
                &shape.group,
                &group_address(&shape.group),
                &at,
            ));
            db.replica_source.extend(targets(replica));

            let (Some(members_input), Some(member_group)) = (shape.members, &shape.instance_group)
            else {
                continue;
            };
            let listed = at(reader.arg(copy, members_input));
            let any = listed.iter().any(|a| match &a.v.kind {
                Kind::Map(entries) => !entries.is_empty(),
                Kind::Null => false,
                _ => true,
            });
            if !any {
                continue;
            }
            let header = reader.key(members_input).unwrap_or(call.header);
            let member = members.get_or_insert_with(|| Member {
                resource: resource(format!("{}.{members_input}", call.address), header),
                cluster: Vec::new(),
                group: Vec::new(),
            });
            member.cluster.push(Choice {
                value: Val::Known(Target::Resource(call.address.clone())),
                span: header,
                branch: exists.without(&implied),
                via: None,
            });
            member.group.extend(reader.governing(
                copy,
                member_group,
                &group_address(member_group),
                &at,
            ));
        }
        // Each group, where the module creates it (whether or not it creates the database).
        for (slot, group_shape) in groups.iter_mut().zip(&group_shapes) {
            let created = Some(group_shape.created);
            for (exists, implied) in reader.existence(copy, group_shape.requires, created) {
                let at = |alts: Alts| under(alts, &exists, &implied);
                let group = slot.get_or_insert_with(|| {
                    let header = reader.header_of(group_shape);
                    reader.group(resource(group_address(group_shape), header), group_shape)
                });
                reader.add_parameters(group, copy, group_shape, &at);
            }
        }
    }
    model.databases.extend(database);
    model.members.extend(members);
    model.groups.extend(groups.into_iter().flatten());
}

/// An unread call that looks like a database module: a database that cannot be verified.
fn lower_opaque(call: &Opaque, scope: ScopeId, context: Option<&Arc<str>>, model: &mut FileModel) {
    let absent = || vec![Choice::new(Val::Absent, call.header)];
    let nothing = || vec![Choice::new(Val::Absent, call.header)];
    model.databases.push(Database {
        resource: Resource {
            name: call.address.clone(),
            type_name: "module".to_string(),
            scope,
            header: call.header,
            type_span: call.header,
            span: call.span,
            context: context.cloned(),
            stacks: Vec::new(),
        },
        kind: crate::model::DatabaseKind::Instance,
        identifier: None,
        engine: absent(),
        engine_version: absent(),
        group: nothing(),
        group_property: "parameter_group_name",
        replica_source: nothing(),
        slot: Slot::None,
        unverifiable: Some(crate::model::Opaque {
            cause: "module",
            what: call.what.clone(),
            span: call.at,
        }),
    });
}

/// Reads a call's arguments as the module would.
struct Reader<'c> {
    call: &'c Modelled,
}

impl Reader<'_> {
    /// An argument's values in one copy; `null` at the module header when it is not given.
    fn arg(&self, copy: &Copy, input: &str) -> Alts {
        match copy.args.get(input) {
            Some(alts) => alts.clone(),
            None => vec![alt(V::new(self.call.header, Kind::Null), &copy.branch)],
        }
    }

    /// A field: an input, or a field of an object input (`null` when the object is).
    fn field(&self, copy: &Copy, field: Field) -> Alts {
        match field {
            Field::Input(input) => self.arg(copy, input),
            Field::Object(object, name) => self
                .arg(copy, object)
                .into_iter()
                .map(|a| {
                    let v = match &a.v.kind {
                        Kind::Map(_) => crate::terraform::eval::get(&a.v, name, a.v.span),
                        Kind::Unknown(_) => a.v.clone(),
                        _ => V::new(a.v.span, Kind::Null),
                    };
                    Alt { v, ..a }
                })
                .collect(),
        }
    }

    fn key(&self, input: &str) -> Option<Span> {
        self.call.keys.get(input).map(|(key, _)| *key)
    }

    /// Where a group is reported: its parameters' input, else what creates it, else the call.
    fn header_of(&self, group: &GroupShape) -> Span {
        let created = match group.created {
            Creation::Flag(flag) => flag.input,
            Creation::Object(object) => object,
        };
        let parameters = match group.parameters {
            Field::Input(input) | Field::Object(input, _) => input,
        };
        self.key(parameters)
            .or_else(|| self.key(created))
            .unwrap_or(self.call.header)
    }

    /// The branches where every flag is true (and, with `created`, the module creates the
    /// group): an unknown flag may be either, so what it gates is checked. Each branch comes
    /// with what it implies.
    fn existence(
        &self,
        copy: &Copy,
        flags: &[Flag],
        created: Option<Creation>,
    ) -> Vec<(Branch, Branch)> {
        let mut conditions: Vec<(&str, Option<bool>)> =
            flags.iter().map(|f| (f.input, Some(f.default))).collect();
        match created {
            Some(Creation::Flag(flag)) => conditions.push((flag.input, Some(flag.default))),
            Some(Creation::Object(object)) => conditions.push((object, None)),
            None => {}
        }
        let mut partial = vec![copy.branch.clone()];
        for (input, default) in conditions {
            let mut next = Vec::new();
            for branch in &partial {
                for a in self.arg(copy, input) {
                    let Some(joined) = branch.join(&a.branch) else {
                        continue;
                    };
                    // A flag: true, false, or its default when null; an object: given or not.
                    let holds = match (&a.v.kind, default) {
                        (Kind::Bool(b), Some(_)) => *b,
                        (Kind::Null, Some(default)) => default,
                        (Kind::Null, None) => false,
                        _ => true,
                    };
                    if holds {
                        next.push(joined);
                    }
                }
            }
            partial = next;
        }
        let implied = match partial.as_slice() {
            [only] => copy
                .implied
                .join(&only.without(&copy.branch))
                .unwrap_or_default(),
            _ => copy.implied.clone(),
        };
        partial.into_iter().map(|b| (b, implied.clone())).collect()
    }

    /// The group a database (or member) is governed by: the one the module creates where it
    /// does, else the existing one it is given, else the default group.
    fn governing(
        &self,
        copy: &Copy,
        group: &GroupShape,
        address: &str,
        at: &impl Fn(Alts) -> Alts,
    ) -> Choices<Target> {
        let created = match group.created {
            Creation::Flag(flag) => at(self.arg(copy, flag.input))
                .into_iter()
                .map(|a| {
                    let created = match &a.v.kind {
                        Kind::Bool(b) => Some(*b),
                        Kind::Null => Some(flag.default),
                        _ => None,
                    };
                    (a, created)
                })
                .collect::<Vec<_>>(),
            Creation::Object(object) => at(self.arg(copy, object))
                .into_iter()
                .map(|a| {
                    let created = match &a.v.kind {
                        Kind::Unknown(_) => None,
                        Kind::Null => Some(false),
                        _ => Some(true),
                    };
                    (a, created)
                })
                .collect(),
        };
        let mut out = Vec::new();
        for (a, created) in created {
            match created {
                Some(true) => out.push(Choice {
                    value: Val::Known(Target::Resource(address.to_string())),
                    span: a.v.span,
                    branch: a.branch,
                    via: None,
                }),
                Some(false) => match group.existing {
                    Some(existing) => {
                        let given = at(self.arg(copy, existing));
                        out.extend(targets(
                            given
                                .into_iter()
                                .filter_map(|g| {
                                    Some(Alt {
                                        branch: g.branch.join(&a.branch)?,
                                        ..g
                                    })
                                })
                                .collect(),
                        ));
                    }
                    None => out.push(Choice {
                        value: Val::Absent,
                        span: self.call.header,
                        branch: a.branch,
                        via: None,
                    }),
                },
                None => out.push(Choice {
                    value: Val::Unknown(
                        a.v.first_unknown()
                            .unwrap_or("whether the module creates its parameter group")
                            .to_string(),
                    ),
                    span: a.v.span,
                    branch: a.branch,
                    via: None,
                }),
            }
        }
        out
    }

    fn group(&self, resource: Resource, group: &GroupShape) -> ParameterGroup {
        ParameterGroup {
            resource,
            level: group.level,
            name: None,
            unresolved_name: None,
            family: Vec::new(),
            parameters: Parameters::Absent,
            slot: Slot::None,
        }
    }

    /// One copy's family and parameters, added to the group's candidates.
    fn add_parameters(
        &self,
        into: &mut ParameterGroup,
        copy: &Copy,
        group: &GroupShape,
        at: &impl Fn(Alts) -> Alts,
    ) {
        into.family
            .extend(strings(at(self.field(copy, group.family))));
        if matches!(into.parameters, Parameters::Unknown { .. }) {
            return;
        }
        let mut entries = match std::mem::replace(&mut into.parameters, Parameters::Absent) {
            Parameters::Known { entries, .. } => entries,
            _ => Vec::new(),
        };
        for list in at(self.field(copy, group.parameters)) {
            if matches!(list.v.kind, Kind::Null) {
                continue;
            }
            if let Err(unknown) = parameter_list(&list, &mut entries) {
                into.parameters = unknown;
                return;
            }
        }
        into.parameters = Parameters::Known {
            span: into.resource.header,
            entries,
        };
    }
}

/// The alternatives that hold under `exists`, without what it implies.
fn under(alts: Alts, exists: &Branch, implied: &Branch) -> Alts {
    alts.into_iter()
        .filter_map(|a| {
            let branch = a.branch.join(exists)?.without(implied);
            Some(Alt { branch, ..a })
        })
        .collect()
}
