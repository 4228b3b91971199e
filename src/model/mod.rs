//! The dialect-neutral view of a scan: databases, cluster members and parameter groups, with every
//! value the verdict needs as a set of candidates (one per `Fn::If` / conditional branch).
//! CloudFormation and Terraform lower into these types; the verdict never sees a dialect.

mod value;

pub use value::{Branch, Choice, Choices, Val};

use crate::source::Span;

/// Where names resolve: one CloudFormation template, one Terraform module instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScopeId(pub u32);

/// A declared resource: its name as users know it (logical ID or address) and where it is.
#[derive(Clone, Debug)]
pub struct Resource {
    pub name: String,
    pub type_name: String,
    pub scope: ScopeId,
    /// The logical ID key / the block's header: the database's "first line".
    pub header: Span,
    /// The `Type` value / the block's type label: where a finding about a missing group points.
    pub type_span: Span,
    /// The whole declaration.
    pub span: Span,
    /// Where it is checked from, when that is not its own directory: the root module (an
    /// example folder, a `terragrunt.hcl` directory) whose call instantiated a shared module.
    /// Several roots calling one module give findings that differ by it.
    pub context: Option<std::sync::Arc<str>>,
    /// The nested stack resources it is included through, from the top template down (each
    /// logical ID and its header in the including template).
    pub stacks: Vec<(String, Span)>,
}

/// What a reference property says: a resource in the same scope, or a literal physical name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Resource(String),
    Name(String),
    /// The ARN of a resource declared in the files (`aws_db_instance.x.arn`): it links like
    /// the resource, but a read replica whose source is an ARN is the cross-region form
    /// (rule.md §7).
    Arn(String),
}

/// An RDS database for the rule: a standalone DB instance or a DB cluster.
#[derive(Clone, Debug)]
pub struct Database {
    pub resource: Resource,
    pub kind: DatabaseKind,
    /// The literal physical identifier (`DBInstanceIdentifier`, `identifier`), for literal links.
    pub identifier: Option<String>,
    pub engine: Choices<String>,
    pub engine_version: Choices<String>,
    /// The governing group property (`Absent` when the property is not set).
    pub group: Choices<Target>,
    /// The property's name as the user writes it (`DBParameterGroupName`, …).
    pub group_property: &'static str,
    /// For a read replica: its source (`Absent` for a primary).
    pub replica_source: Choices<Target>,
    /// Where a fix can add the group property (the `Properties` map, the resource block).
    pub slot: crate::diagnostic::fix::Slot,
    /// Why the database cannot be judged at all, and where (a registry module call the model
    /// cannot place, a database module whose code is not read, a loop over unknown items).
    pub unverifiable: Option<Opaque>,
}

/// A database the front end can place but not read.
#[derive(Clone, Debug)]
pub struct Opaque {
    /// What hides it: `"module"` (a module call) or `"loop"` (an `Fn::ForEach` collection).
    pub cause: &'static str,
    pub what: String,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DatabaseKind {
    Instance,
    /// An Aurora cluster, or a Multi-AZ DB cluster (`DBClusterInstanceClass` set).
    Cluster,
}

/// A DB instance that belongs to a cluster: not a database of its own for this rule, but its
/// instance-level group may hold a parameter that belongs in the cluster's group.
#[derive(Clone, Debug)]
pub struct Member {
    pub resource: Resource,
    pub cluster: Choices<Target>,
    pub group: Choices<Target>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupLevel {
    /// `AWS::RDS::DBParameterGroup`, `aws_db_parameter_group`.
    Instance,
    /// `AWS::RDS::DBClusterParameterGroup`, `aws_rds_cluster_parameter_group`.
    Cluster,
}

#[derive(Clone, Debug)]
pub struct ParameterGroup {
    pub resource: Resource,
    pub level: GroupLevel,
    /// The literal physical name, when the template gives one.
    pub name: Option<String>,
    /// Where the unresolved expression its name comes from is written: a database whose group
    /// is that same expression (`local.parameter_group_name` on both) uses this group.
    pub unresolved_name: Option<Span>,
    pub family: Choices<String>,
    pub parameters: Parameters,
    /// Where a fix can add a parameter.
    pub slot: crate::diagnostic::fix::Slot,
}

#[derive(Clone, Debug)]
pub enum Parameters {
    Absent,
    /// The parameters come from something the files do not resolve.
    Unknown {
        span: Span,
        what: String,
    },
    Known {
        /// The `Parameters` entry / the group block: where a missing parameter is reported.
        span: Span,
        entries: Vec<Parameter>,
    },
}

#[derive(Clone, Debug)]
pub struct Parameter {
    pub name: String,
    pub key_span: Span,
    pub value: Choices<String>,
}

impl Parameters {
    /// Makes each entry say where it is not set: the entries come from several alternatives
    /// (`sides`: the branches of an `Fn::If` between maps, of a `dynamic` block's collections,
    /// of a `for_each` group's keys), and a parameter one side sets and another does not is
    /// `Absent` under the other, so the default is checked there too.
    pub fn complete(&mut self, sides: &[(Branch, Span)]) {
        let Parameters::Known { entries, .. } = self else {
            return;
        };
        if sides.len() < 2 {
            return;
        }
        let mut names: Vec<String> = entries
            .iter()
            .map(|p| p.name.to_ascii_lowercase())
            .collect();
        names.sort();
        names.dedup();
        for name in names {
            let missing: Vec<&(Branch, Span)> = sides
                .iter()
                .filter(|(side, _)| {
                    !entries.iter().any(|p| {
                        p.name.eq_ignore_ascii_case(&name)
                            && p.value.iter().any(|c| c.branch.join(side).is_some())
                    })
                })
                .collect();
            if missing.is_empty() {
                continue;
            }
            let Some(first) = entries
                .iter()
                .position(|p| p.name.eq_ignore_ascii_case(&name))
            else {
                continue;
            };
            let entry = &mut entries[first];
            for (side, span) in missing {
                entry.value.push(Choice {
                    value: Val::Absent,
                    span: *span,
                    branch: side.clone(),
                    via: None,
                });
            }
        }
    }
}

impl ParameterGroup {
    /// The entry named `name` that holds under `branch` (parameter names are case-insensitive
    /// in RDS): the last one with a value for that branch, as a later setting of the same name
    /// wins. Instances of a `for_each` group each set their own entries, under their key.
    pub fn parameter(&self, name: &str, branch: &Branch) -> Option<&Parameter> {
        match &self.parameters {
            Parameters::Known { entries, .. } => entries.iter().rev().find(|p| {
                p.name.eq_ignore_ascii_case(name)
                    && p.value.iter().any(|c| branch.join(&c.branch).is_some())
            }),
            _ => None,
        }
    }

    pub fn entries(&self) -> &[Parameter] {
        match &self.parameters {
            Parameters::Known { entries, .. } => entries,
            _ => &[],
        }
    }
}

/// Everything one file contributes.
#[derive(Debug, Default)]
pub struct FileModel {
    pub databases: Vec<Database>,
    pub members: Vec<Member>,
    pub groups: Vec<ParameterGroup>,
    /// Values that constrain another rather than set it (a parameter's `AllowedValues`): a
    /// finding may point at one, but a fix never rewrites it.
    pub constraints: Vec<Span>,
}

impl FileModel {
    pub fn is_empty(&self) -> bool {
        self.databases.is_empty() && self.members.is_empty() && self.groups.is_empty()
    }
}
