//! Which group governs a database (spec §3): the group it names, else a same-region replica's
//! source's group (followed up a chain of replicas), else the default group; each candidate
//! with the branch it holds under.

use super::link::{is_arn, GroupLink};
use super::verdict::{Checker, MAX_REPLICA_DEPTH};
use crate::model::{Branch, Database, Target, Val};
use crate::source::Span;

/// A candidate governing group, with the branch it holds under.
pub(super) struct GroupPick<'m> {
    pub link: Result<GroupLink<'m>, (String, Span, Option<Span>)>,
    pub reference: Option<Span>,
    pub branch: Branch,
    /// The database a replica inherits its group from.
    pub source: Option<&'m Database>,
    /// The database a replica runs the engine of: its source, also when the source is named by
    /// an ARN (a cross-region replica, on the default group of the same engine).
    pub engine_from: Option<&'m Database>,
}

impl<'m> Checker<'_, 'm> {
    pub(super) fn groups(
        &self,
        db: &'m Database,
        branch: Branch,
        depth: usize,
    ) -> Vec<GroupPick<'m>> {
        let scope = db.resource.scope;
        let mut picks = Vec::new();
        for choice in &db.group {
            let Some(branch) = branch.join(&choice.branch) else {
                continue;
            };
            // Where the database names its group: its own property, even when the name
            // itself is written elsewhere (a variable default, a parameter Default).
            let pick = |link| GroupPick {
                link,
                reference: Some(choice.via.unwrap_or(choice.span)),
                branch: branch.clone(),
                source: None,
                engine_from: None,
            };
            match &choice.value {
                Val::Known(target) => picks.push(pick(match self.index.group(scope, target) {
                    GroupLink::External => Err((
                        match target {
                            crate::model::Target::Name(name) => format!(
                                "the parameter group `{name}`, which the scanned files do not declare"
                            ),
                            // A declared resource that is not a parameter group (a database, say).
                            crate::model::Target::Resource(id) | crate::model::Target::Arn(id) => {
                                format!("`{id}`, a resource that is not a parameter group")
                            }
                        },
                        choice.span,
                        choice.via,
                    )),
                    link => Ok(link),
                })),
                // The same unresolved expression as a group's name: that group, whatever the
                // name turns out to be.
                Val::Unknown(what) => picks.push(pick(
                    match self.index.group_named_by(scope, choice.span) {
                        Some(group) => Ok(GroupLink::Declared(group)),
                        None => Err((what.clone(), choice.span, choice.via)),
                    },
                )),
                Val::Absent => picks.extend(self.inherited(db, &branch, depth)),
            }
        }
        picks
    }

    /// The group of a database that names none: a same-region replica's source's, else default.
    fn inherited(&self, db: &'m Database, branch: &Branch, depth: usize) -> Vec<GroupPick<'m>> {
        let default = |branch: Branch| GroupPick {
            link: Ok(GroupLink::Default { family: None }),
            reference: None,
            branch,
            source: None,
            engine_from: None,
        };
        let mut picks = Vec::new();
        for source in &db.replica_source {
            let Some(branch) = branch.join(&source.branch) else {
                continue;
            };
            match &source.value {
                Val::Absent => picks.push(default(branch)),
                Val::Known(target) if is_arn(target) => picks.push(GroupPick {
                    engine_from: self
                        .index
                        .database(db.resource.scope, target)
                        .filter(|origin| !std::ptr::eq(*origin, db)),
                    ..default(branch)
                }),
                Val::Known(target) => match self.index.database(db.resource.scope, target) {
                    Some(origin) if depth < MAX_REPLICA_DEPTH && !std::ptr::eq(origin, db) => {
                        for mut pick in self.groups(origin, branch, depth + 1) {
                            pick.source = Some(origin);
                            pick.engine_from = Some(origin);
                            picks.push(pick);
                        }
                    }
                    Some(_) => picks.push(GroupPick {
                        link: Err((
                            "a chain of read replicas that loops".into(),
                            source.span,
                            source.via,
                        )),
                        reference: None,
                        branch,
                        source: None,
                        engine_from: None,
                    }),
                    None => picks.push(GroupPick {
                        link: Err((
                            format!(
                                "the source database `{}`, which the scanned files do not declare",
                                name_of(target)
                            ),
                            source.span,
                            source.via,
                        )),
                        reference: None,
                        branch,
                        source: None,
                        engine_from: None,
                    }),
                },
                Val::Unknown(what) => picks.push(GroupPick {
                    link: Err((what.clone(), source.span, source.via)),
                    reference: None,
                    branch,
                    source: None,
                    engine_from: None,
                }),
            }
        }
        picks
    }
}

fn name_of(target: &Target) -> &str {
    match target {
        Target::Resource(name) | Target::Name(name) | Target::Arn(name) => name,
    }
}
