//! Links databases to parameter groups, replicas to sources and members to clusters, across all
//! scanned files: by resource reference within a scope, and by literal physical name (RDS stores
//! names lowercase, so names compare case-insensitively) across scopes.

use std::collections::HashMap;

use crate::model::{Database, FileModel, Member, ParameterGroup, ScopeId, Target};
use crate::source::Span;

#[derive(Default)]
pub struct Index<'m> {
    groups_by_id: HashMap<(ScopeId, &'m str), &'m ParameterGroup>,
    groups_by_name: HashMap<String, &'m ParameterGroup>,
    /// Groups by the unresolved expression their name comes from.
    groups_by_unresolved_name: HashMap<(ScopeId, Span), &'m ParameterGroup>,
    databases_by_id: HashMap<(ScopeId, &'m str), &'m Database>,
    databases_by_name: HashMap<String, &'m Database>,
    pub members: Vec<&'m Member>,
    /// Members by the cluster they name (the cluster's address in memory), built once.
    members_by_cluster: HashMap<usize, Vec<&'m Member>>,
}

/// Where a database's group reference leads.
#[derive(Clone, Copy, Debug)]
pub enum GroupLink<'m> {
    Declared(&'m ParameterGroup),
    /// The default group; `family` when a literal `default.<family>` name gives it.
    Default {
        family: Option<&'m str>,
    },
    /// A name the scanned files do not declare.
    External,
}

impl<'m> Index<'m> {
    pub fn new(models: &[&'m FileModel]) -> Index<'m> {
        let mut index = Index::default();
        for model in models {
            for group in &model.groups {
                index
                    .groups_by_id
                    .insert((group.resource.scope, group.resource.name.as_str()), group);
                if let Some(name) = &group.name {
                    index
                        .groups_by_name
                        .insert(name.to_ascii_lowercase(), group);
                }
                if let Some(span) = group.unresolved_name {
                    index
                        .groups_by_unresolved_name
                        .insert((group.resource.scope, span), group);
                }
            }
            for database in &model.databases {
                let key = (database.resource.scope, database.resource.name.as_str());
                index.databases_by_id.insert(key, database);
                if let Some(name) = &database.identifier {
                    index
                        .databases_by_name
                        .insert(name.to_ascii_lowercase(), database);
                }
            }
            index.members.extend(&model.members);
        }
        for member in index.members.clone() {
            for target in member.cluster.iter().filter_map(|c| c.known()) {
                if let Some(cluster) = index.database(member.resource.scope, target) {
                    let members = index
                        .members_by_cluster
                        .entry(cluster as *const Database as usize)
                        .or_default();
                    if !members.iter().any(|m| std::ptr::eq(*m, member)) {
                        members.push(member);
                    }
                }
            }
        }
        index
    }

    pub fn group(&self, scope: ScopeId, target: &'m Target) -> GroupLink<'m> {
        match target {
            Target::Resource(id) | Target::Arn(id) => {
                match self.groups_by_id.get(&(scope, id.as_str())) {
                    Some(group) => GroupLink::Declared(group),
                    None => GroupLink::External,
                }
            }
            Target::Name(name) => {
                let lower = name.trim().to_ascii_lowercase();
                if let Some(family) = name
                    .trim()
                    .get("default.".len()..)
                    .filter(|_| lower.starts_with("default."))
                {
                    return GroupLink::Default {
                        family: Some(family),
                    };
                }
                match self.groups_by_name.get(&lower) {
                    Some(group) => GroupLink::Declared(group),
                    None => GroupLink::External,
                }
            }
        }
    }

    /// The group whose name is the unresolved expression written at `span`, if any.
    pub fn group_named_by(&self, scope: ScopeId, span: Span) -> Option<&'m ParameterGroup> {
        self.groups_by_unresolved_name.get(&(scope, span)).copied()
    }

    /// The database a replica source or a member's cluster names, if the scan declares it.
    pub fn database(&self, scope: ScopeId, target: &Target) -> Option<&'m Database> {
        match target {
            Target::Resource(id) | Target::Arn(id) => {
                self.databases_by_id.get(&(scope, id.as_str())).copied()
            }
            Target::Name(name) => self
                .databases_by_name
                .get(&name.trim().to_ascii_lowercase())
                .copied(),
        }
    }

    /// The members of a cluster (by reference or by literal identifier).
    pub fn members_of(&self, cluster: &Database) -> &[&'m Member] {
        self.members_by_cluster
            .get(&(cluster as *const Database as usize))
            .map_or(&[], Vec::as_slice)
    }
}

/// True for an ARN: a replica source in another region (or account).
pub fn is_arn(target: &Target) -> bool {
    match target {
        Target::Arn(_) => true,
        Target::Name(name) => name.trim_start().starts_with("arn:"),
        Target::Resource(_) => false,
    }
}

/// Identity of a group for "used" bookkeeping.
pub fn group_key(group: &ParameterGroup) -> (ScopeId, Span) {
    (group.resource.scope, group.resource.header)
}

/// The literal names `model` looks up in other scopes, as the index compares them (trimmed,
/// lowercase): the groups, replica sources and clusters it names. A `default.` group name
/// needs no lookup and is not one.
pub fn wanted_names(model: &FileModel) -> Vec<String> {
    let mut names = Vec::new();
    let mut want = |choices: &[crate::model::Choice<Target>], group: bool| {
        for target in choices.iter().filter_map(|c| c.known()) {
            if let Target::Name(name) = target {
                let lower = name.trim().to_ascii_lowercase();
                if !(group && lower.starts_with("default.")) {
                    names.push(lower);
                }
            }
        }
    };
    for database in &model.databases {
        want(&database.group, true);
        want(&database.replica_source, false);
    }
    for member in &model.members {
        want(&member.group, true);
        want(&member.cluster, false);
    }
    names
}

/// The literal names by which other scopes can link to something in `model`, as the index
/// keys them: its groups' names and its databases' identifiers.
pub fn offered_names(model: &FileModel) -> Vec<String> {
    let groups = model.groups.iter().filter_map(|g| g.name.as_deref());
    let databases = model
        .databases
        .iter()
        .filter_map(|d| d.identifier.as_deref());
    groups
        .chain(databases)
        .map(str::to_ascii_lowercase)
        .collect()
}
