//! Registry modules understood without download (rule.md §6, §7). A call of
//! `terraform-aws-modules/rds/aws` or `terraform-aws-modules/rds-aurora/aws` that `terraform
//! init` has not installed is read from its inputs, as a table per module and major version
//! says the module uses them (`rds.rs`, `aurora.rs`): one database named by the module's
//! address, the groups the module would create, and its cluster's members. The version
//! constraint picks the table; a call the table cannot place is unverifiable, never guessed.
//! Other registry or git modules that look like database modules are unverifiable too.

mod aurora;
mod lower;
mod rds;
mod version;

pub use lower::lower;

use std::collections::HashMap;
use std::rc::Rc;

use super::eval::{Alts, Kind, Ref, V};
use super::instance::Child;
use crate::model::{Branch, DatabaseKind, GroupLevel};
use crate::source::Span;

/// How one module, over a range of versions, turns its inputs into a database.
pub struct Shape {
    /// The registry address (`terraform-aws-modules/rds/aws`).
    pub source: &'static str,
    /// The repository, as git sources name it.
    pub git: &'static str,
    /// Every release this table describes, oldest first.
    pub versions: &'static [&'static str],
    /// Every input (variable) of those releases.
    pub inputs: &'static [&'static str],
    pub kind: DatabaseKind,
    /// The database exists when all of these are true.
    pub create: &'static [Flag],
    pub engine: &'static str,
    pub engine_version: &'static str,
    pub replica_source: &'static str,
    /// The property the module sets on the database (for messages).
    pub group_property: &'static str,
    /// The group that governs the database.
    pub group: GroupShape,
    /// The instance-level group of a cluster's members.
    pub instance_group: Option<GroupShape>,
    /// The input listing a cluster's members.
    pub members: Option<&'static str>,
    pub outputs: &'static [(&'static str, Output)],
}

/// A boolean input and its default.
#[derive(Clone, Copy)]
pub struct Flag {
    pub input: &'static str,
    pub default: bool,
}

/// When the module creates a group.
#[derive(Clone, Copy)]
pub enum Creation {
    /// When a boolean input is true.
    Flag(Flag),
    /// When an object input is given (not null).
    Object(&'static str),
}

/// Where a value is given: an input, or a field of an object input.
#[derive(Clone, Copy)]
pub enum Field {
    Input(&'static str),
    Object(&'static str, &'static str),
}

#[derive(Clone, Copy)]
pub struct GroupShape {
    pub level: GroupLevel,
    pub created: Creation,
    /// Flags that must also be true for the module to create the group (`create`, …).
    pub requires: &'static [Flag],
    pub family: Field,
    /// A list of `{ name, value, apply_method }`.
    pub parameters: Field,
    /// The input naming an existing group, used when none is created.
    pub existing: Option<&'static str>,
    /// The group's name under the module's address (`module.db.db_parameter_group`).
    pub suffix: &'static str,
}

/// Which attribute an output gives.
#[derive(Clone, Copy)]
pub enum Link {
    Id,
    Arn,
}

/// What an output of the module refers to.
#[derive(Clone, Copy)]
pub enum Output {
    Database(Link),
    Group(Link),
    InstanceGroup(Link),
}

/// Module call arguments that are not inputs.
const META_ARGUMENTS: &[&str] = &[
    "source",
    "version",
    "count",
    "for_each",
    "providers",
    "depends_on",
];

/// Words in a source that make a module look like a database module (rule.md §7).
const DATABASE_WORDS: &[&str] = &[
    "rds",
    "aurora",
    "db",
    "database",
    "postgres",
    "postgresql",
    "mysql",
    "mariadb",
    "sqlserver",
];

/// Inputs that make a module call look like a database module.
const DATABASE_INPUTS: &[&str] = &["engine", "family", "parameter_group_name"];

/// A call of a modelled module, with its arguments evaluated in the caller, once per copy
/// (`count`, `for_each`).
pub struct Modelled {
    pub shape: &'static Shape,
    /// The version the constraint picks, for messages.
    pub version: &'static str,
    /// `module.db`, with the caller's prefix.
    pub address: String,
    pub header: Span,
    pub span: Span,
    pub copies: Vec<Copy>,
    /// Where each argument is written: its key and its value.
    pub keys: HashMap<String, (Span, Span)>,
    /// Why the table cannot place the call, and where (an input it does not have).
    pub unplaced: Option<(String, Span)>,
}

/// One copy of a call: its arguments' values, the branch it exists under, and what of that its
/// values imply.
pub struct Copy {
    pub args: HashMap<String, Alts>,
    pub branch: Branch,
    pub implied: Branch,
}

/// A module call whose code is not read and that looks like a database module: one
/// unverifiable database.
pub struct Opaque {
    pub address: String,
    /// The call's `source`.
    pub source: String,
    pub header: Span,
    pub span: Span,
    /// The `source` value.
    pub at: Span,
    pub what: String,
}

/// Where a call of a module that is not read is written.
pub struct Site<'a> {
    /// `module.db`, or a Terragrunt directory (`live/prod/db`).
    pub address: String,
    pub source: &'a str,
    /// The `version` argument and where it is written.
    pub version: Option<(&'a str, Span)>,
    pub header: Span,
    pub span: Span,
    pub source_span: Span,
    /// Each argument by name: its key and its value.
    pub arguments: HashMap<String, (Span, Span)>,
}

/// What a call of an unread module becomes: a modelled module (with its arguments' values,
/// once per copy), an unverifiable database when it looks like a database module, or nothing
/// the rule reads.
pub fn call(site: Site<'_>, copies: Vec<Copy>) -> Child {
    let opaque = |what: String, at: Span| {
        Child::Opaque(Rc::new(Opaque {
            address: site.address.clone(),
            source: site.source.to_string(),
            header: site.header,
            span: site.span,
            at,
            what,
        }))
    };
    let (shape, release) = match recognise(site.source, site.version.map(|(v, _)| v)) {
        Some(Ok(found)) => found,
        Some(Err(why)) => {
            let at = site.version.map_or(site.source_span, |(_, span)| span);
            return opaque(format!("it calls {why}"), at);
        }
        None => {
            let names: Vec<&str> = site.arguments.keys().map(String::as_str).collect();
            if looks_like_database(site.source, &names) {
                return opaque(
                    format!(
                        "it calls the module `{}`, whose code is not read (it is checked once \
                         `terraform init` installs it under .terraform/modules)",
                        site.source
                    ),
                    site.source_span,
                );
            }
            return Child::Unread(site.source.to_string());
        }
    };
    if copies.is_empty() {
        return Child::Absent;
    }
    let mut arguments: Vec<(&str, Span)> = site
        .arguments
        .iter()
        .map(|(name, (key, _))| (name.as_str(), *key))
        .collect();
    arguments.sort_by_key(|(_, span)| span.start);
    Child::Modelled(Rc::new(Modelled {
        shape,
        version: release,
        unplaced: unplaced(shape, release, &arguments),
        address: site.address.clone(),
        header: site.header,
        span: site.span,
        copies,
        keys: site.arguments.clone(),
    }))
}

/// The arguments a modelled module declares as inputs (all of them for another module).
pub fn declared(
    source: &str,
    arguments: &HashMap<String, (Span, Span)>,
) -> HashMap<String, (Span, Span)> {
    let inputs = match recognise(source, None) {
        Some(Ok((shape, _))) => module_inputs(shape.source),
        _ => return arguments.clone(),
    };
    arguments
        .iter()
        .filter(|(name, _)| inputs.iter().any(|i| i == name))
        .map(|(name, spans)| (name.clone(), *spans))
        .collect()
}

/// Every input of every version of a module.
fn module_inputs(source: &str) -> Vec<&'static str> {
    rds::SHAPES
        .iter()
        .chain(aurora::SHAPES)
        .filter(|s| s.source == source)
        .flat_map(|s| s.inputs.iter().copied())
        .collect()
}

/// What the model makes of a non-local source and its `version` argument: `None` when the
/// source is not a module the model knows; else the table for the version the constraint picks,
/// or why there is none.
pub fn recognise(
    source: &str,
    version: Option<&str>,
) -> Option<Result<(&'static Shape, &'static str), String>> {
    let (module, pinned) = module_of(source)?;
    let shapes: Vec<&'static Shape> = rds::SHAPES
        .iter()
        .chain(aurora::SHAPES)
        .filter(|s| s.source == module)
        .collect();
    let constraint = pinned.or(version);
    let mut newest: Option<(&'static Shape, &'static str, [u32; 3])> = None;
    let mut oldest_known: Option<[u32; 3]> = None;
    for shape in &shapes {
        for &release in shape.versions {
            let parsed = version::parse(release).expect("table versions parse");
            oldest_known = Some(oldest_known.map_or(parsed, |o| o.min(parsed)));
            let allowed = match constraint {
                None => true,
                Some(c) => match version::allows(c, parsed) {
                    Some(allowed) => allowed,
                    None => {
                        return Some(Err(format!(
                        "the version constraint `{c}`, which the model of `{module}` cannot read"
                    )))
                    }
                },
            };
            if allowed && newest.is_none_or(|(_, _, n)| parsed > n) {
                newest = Some((shape, release, parsed));
            }
        }
    }
    if let Some((shape, release, _)) = newest {
        return Some(Ok((shape, release)));
    }
    let c = constraint.unwrap_or("");
    // Older: some release before the oldest known one satisfies the constraint.
    let older = oldest_known.is_some_and(|o| {
        (0..o[0]).any(|major| {
            (0..=30).any(|minor| {
                [0, 99]
                    .into_iter()
                    .any(|patch| version::allows(c, [major, minor, patch]) == Some(true))
            })
        })
    });
    Some(Err(if older {
        format!(
            "`{module}` at version `{c}`, older than the releases the model knows ({} and later)",
            shapes.first().map_or("", |s| s.versions[0])
        )
    } else {
        format!("`{module}` at version `{c}`, a release the model does not know")
    }))
}

/// The registry module a source names, and the version it pins (`?ref=`, `?version=`). A
/// subdirectory (`//modules/db_instance`) is another module.
fn module_of(source: &str) -> Option<(&'static str, Option<&str>)> {
    let (path, query) = match source.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (source, None),
    };
    let pinned = query.and_then(|q| {
        q.split('&').find_map(|pair| {
            let (key, value) = pair.split_once('=')?;
            matches!(key, "ref" | "version").then_some(value)
        })
    });
    let path = path
        .trim_start_matches("git::")
        .trim_start_matches("tfr://")
        .trim_start_matches("https://")
        .trim_start_matches("ssh://")
        .trim_start_matches("git@")
        .trim_start_matches('/');
    let path = path.replace("github.com:", "github.com/");
    let path = path.trim_end_matches('/');
    let (path, subdir) = match path.split_once("//") {
        Some((path, subdir)) => (path, subdir.trim_matches('/')),
        None => (path, ""),
    };
    if !subdir.is_empty() {
        return None;
    }
    let path = path.trim_end_matches(".git");
    let registry = path
        .trim_start_matches("registry.terraform.io/")
        .trim_start_matches("registry.opentofu.org/");
    rds::SHAPES
        .iter()
        .chain(aurora::SHAPES)
        .find(|shape| registry == shape.source || path == shape.git)
        .map(|shape| (shape.source, pinned))
}

/// Whether a call of an unread module looks like a database module: its source names one, or
/// it passes a database's inputs.
pub fn looks_like_database(source: &str, inputs: &[&str]) -> bool {
    let words = source
        .split(|c: char| !c.is_ascii_alphanumeric())
        .map(str::to_ascii_lowercase);
    words
        .into_iter()
        .any(|w| DATABASE_WORDS.contains(&w.as_str()))
        || inputs.iter().any(|i| DATABASE_INPUTS.contains(i))
}

/// The first argument of a call the table does not know, with the message saying so.
pub fn unplaced(
    shape: &Shape,
    version: &str,
    arguments: &[(&str, Span)],
) -> Option<(String, Span)> {
    arguments
        .iter()
        .find(|(name, _)| !META_ARGUMENTS.contains(name) && !shape.inputs.contains(name))
        .map(|(name, span)| {
            (
                format!(
                    "the input `{name}`, which `{}` {version} does not have, so the model cannot \
                     say how the module uses it",
                    shape.source
                ),
                *span,
            )
        })
}

/// An output of a modelled call: a link to its database or a group it creates, else unknown.
pub fn output(call: &Modelled, name: &str, span: Span) -> V {
    let link = |address: String, link: Link| {
        Kind::Ref(Ref {
            address,
            attribute: Some(match link {
                Link::Id => "id".to_string(),
                Link::Arn => "arn".to_string(),
            }),
        })
    };
    let group = |shape: Option<&GroupShape>, l| {
        shape.map(|g| link(format!("{}.{}", call.address, g.suffix), l))
    };
    let kind = call
        .shape
        .outputs
        .iter()
        .find(|(output, _)| *output == name)
        .and_then(|(_, output)| match *output {
            Output::Database(l) => Some(link(call.address.clone(), l)),
            Output::Group(l) => group(Some(&call.shape.group), l),
            Output::InstanceGroup(l) => group(call.shape.instance_group.as_ref(), l),
        })
        .unwrap_or_else(|| {
            Kind::Unknown(format!(
                "output `{name}` of `{}` ({} {}), which the model of its inputs does not give",
                call.address, call.shape.source, call.version
            ))
        });
    V::new(span, kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_and_versions_pick_a_table() {
        let pick = |source: &str, version: Option<&str>| {
            recognise(source, version).map(|r| r.map(|(s, v)| (s.source, v)))
        };
        assert_eq!(
            pick("terraform-aws-modules/rds/aws", Some("~> 6.0")),
            Some(Ok(("terraform-aws-modules/rds/aws", "6.13.1")))
        );
        assert_eq!(
            pick("registry.terraform.io/terraform-aws-modules/rds/aws", None),
            Some(Ok(("terraform-aws-modules/rds/aws", "7.2.0")))
        );
        assert_eq!(
            pick(
                "tfr:///terraform-aws-modules/rds-aurora/aws?version=9.3.1",
                None
            ),
            Some(Ok(("terraform-aws-modules/rds-aurora/aws", "9.3.1")))
        );
        assert_eq!(
            pick(
                "git::https://github.com/terraform-aws-modules/terraform-aws-rds.git?ref=v5.2.0",
                None
            ),
            Some(Ok(("terraform-aws-modules/rds/aws", "5.2.0")))
        );
        assert!(pick("terraform-aws-modules/rds/aws", Some("~> 4.0"))
            .unwrap()
            .unwrap_err()
            .contains("older than the releases the model knows (5.0.0 and later)"));
        assert!(pick("terraform-aws-modules/rds/aws", Some("~> 9.0"))
            .unwrap()
            .unwrap_err()
            .contains("does not know"));
        assert_eq!(
            pick("terraform-aws-modules/rds/aws//modules/db_instance", None),
            None
        );
        assert_eq!(pick("terraform-aws-modules/vpc/aws", None), None);
    }

    #[test]
    fn what_looks_like_a_database_module() {
        assert!(looks_like_database("cloudposse/rds-cluster/aws", &[]));
        assert!(looks_like_database("git::https://example.com/db.git", &[]));
        assert!(looks_like_database("acme/storage/aws", &["engine"]));
        assert!(!looks_like_database(
            "terraform-aws-modules/vpc/aws",
            &["cidr"]
        ));
        assert!(!looks_like_database("acme/dynamodb-table/aws", &["name"]));
    }
}
