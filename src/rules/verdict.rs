//! The verdict (spec §3–4): for each database, every consistent combination of engine, version
//! and governing group candidates ("scenario") must guarantee TLS. Detection only: the problems
//! found here are worded in `message.rs`.

use std::collections::HashSet;

use super::engines::{self, classify, default_for, Engine, Lookup, Setting, Version};
use super::groups::GroupPick;
use super::link::{group_key, GroupLink, Index};
use crate::model::{
    Branch, Choice, Database, DatabaseKind, Member, Parameter, ParameterGroup, Parameters, ScopeId,
    Val,
};
use crate::source::Span;

/// How deep a chain of read replicas is followed.
pub(super) const MAX_REPLICA_DEPTH: usize = 8;

/// What one scenario found wrong. Variants are in the spec's order of specificity.
#[derive(Clone, Debug)]
pub enum Problem<'m> {
    Disabled {
        parameter: &'m Parameter,
        value: String,
        value_span: Span,
        /// The reference the value came through, if it is written elsewhere.
        via: Option<Span>,
    },
    Invalid {
        parameter: &'m Parameter,
        value: String,
        value_span: Span,
        via: Option<Span>,
    },
    WrongParameter {
        parameter: &'m Parameter,
        group: &'m ParameterGroup,
        /// Set when the key sits in a cluster member's instance-level group.
        member: Option<&'m Member>,
    },
    NotEnforced(NotEnforced),
    Unverifiable {
        /// What could not be resolved: "engine", "engine version", "parameter group", …
        field: &'static str,
        what: String,
        span: Span,
        /// The reference on the database that leads to it, when it is written elsewhere.
        via: Option<Span>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotEnforced {
    /// The default group, whose value for this engine and version is off.
    DefaultGroup,
    /// A custom group that does not set the parameter; the default is off.
    GroupWithoutParameter,
    /// The version is not pinned and versions differ in their default.
    Unpinned,
    /// The engine or version has no parameter to enforce TLS with.
    CannotEnforce,
    /// The default enforces TLS, but `--require-explicit` asks for an explicit setting.
    ReliesOnDefault,
}

impl Problem<'_> {
    pub fn rank(&self) -> u8 {
        match self {
            Problem::Disabled { .. } => 0,
            Problem::Invalid { .. } => 1,
            Problem::WrongParameter { .. } => 2,
            Problem::NotEnforced(_) => 3,
            Problem::Unverifiable { .. } => 4,
        }
    }
}

/// The group that governs a scenario.
#[derive(Clone, Copy, Debug)]
pub enum Governing<'m> {
    Declared(&'m ParameterGroup),
    Default,
    Unresolved,
}

/// What the scenario established, for the wording.
#[derive(Clone, Debug)]
pub struct Facts<'m> {
    pub engine: Option<(&'static Engine, String)>,
    pub version: Option<String>,
    /// Where the version is written when it comes in through a reference (a parameter's
    /// allowed value, a map entry, a value a parent stack passes): the value that decides a
    /// version default.
    pub version_at: Option<Span>,
    /// Where the engine and the version are written (when they are), for findings about the
    /// engine itself (one that cannot enforce TLS).
    pub written: (Option<Span>, Option<Span>),
    pub family: Option<String>,
    pub governing: Governing<'m>,
    /// Where the database names its group (the reference value), if it does.
    pub reference: Option<Span>,
    /// The database a replica inherits its group from.
    pub inherited_from: Option<&'m Database>,
    pub branch: Branch,
}

pub struct Verdict<'m> {
    pub problem: Problem<'m>,
    pub facts: Facts<'m>,
}

pub struct Checker<'i, 'm> {
    pub index: &'i Index<'m>,
    pub require_explicit: bool,
    /// Groups some database or member uses (for the unused-disabling-group finding).
    pub used: HashSet<(ScopeId, Span)>,
}

impl<'m> Checker<'_, 'm> {
    /// The most specific problem over all scenarios, or `None` when every one guarantees TLS.
    pub fn check(&mut self, db: &'m Database) -> Option<Verdict<'m>> {
        // A database the front end could not read at all (a module call it cannot place).
        if let Some(opaque) = &db.unverifiable {
            return Some(Verdict {
                problem: Problem::Unverifiable {
                    field: opaque.cause,
                    what: opaque.what.clone(),
                    span: opaque.span,
                    via: None,
                },
                facts: Facts {
                    engine: None,
                    version: None,
                    version_at: None,
                    written: (None, None),
                    family: None,
                    governing: Governing::Unresolved,
                    reference: None,
                    inherited_from: None,
                    branch: Branch::default(),
                },
            });
        }
        let picks = self.groups(db, Branch::default(), 0);
        let source = picks.iter().find_map(|p| p.engine_from);
        let inherit = |own: &'m [Choice<String>],
                       from: fn(&'m Database) -> &'m [Choice<String>]| {
            match source {
                Some(src) if own.iter().all(|c| c.value == Val::Absent) => from(src),
                _ => own,
            }
        };
        let engines = inherit(&db.engine, |d| &d.engine);
        let versions = inherit(&db.engine_version, |d| &d.engine_version);
        let mut scenarios = Vec::new();
        for pick in &picks {
            for engine in engines {
                for version in versions {
                    let Some(branch) = pick
                        .branch
                        .join(&engine.branch)
                        .and_then(|b| b.join(&version.branch))
                    else {
                        continue;
                    };
                    scenarios.push((pick, engine, version, branch));
                }
            }
        }
        let mut worst: Option<Verdict<'m>> = None;
        for (pick, engine, version, branch) in scenarios {
            let mut found = Vec::new();
            self.scenario(db, pick, engine, version, branch, &mut found);
            for verdict in found {
                if worst
                    .as_ref()
                    .is_none_or(|w| verdict.problem.rank() < w.problem.rank())
                {
                    worst = Some(verdict);
                }
            }
        }
        worst
    }

    fn scenario(
        &mut self,
        db: &'m Database,
        pick: &GroupPick<'m>,
        engine: &'m Choice<String>,
        version: &'m Choice<String>,
        branch: Branch,
        out: &mut Vec<Verdict<'m>>,
    ) {
        let group = match &pick.link {
            Ok(GroupLink::Declared(group)) => {
                self.used.insert(group_key(group));
                Some(*group)
            }
            _ => None,
        };
        let family: Option<String> = match &pick.link {
            Ok(GroupLink::Declared(group)) => group
                .family
                .iter()
                .filter(|c| branch.join(&c.branch).is_some())
                .find_map(|c| c.known().cloned()),
            Ok(GroupLink::Default { family }) => family.map(str::to_string),
            _ => None,
        };
        let from_family = family.as_deref().and_then(engines::split_family);
        let mut facts = Facts {
            engine: None,
            version: None,
            version_at: None,
            written: (
                matches!(engine.value, Val::Known(_)).then_some(engine.span),
                matches!(version.value, Val::Known(_)).then_some(version.span),
            ),
            family: family.clone(),
            governing: match (&pick.link, group) {
                (_, Some(group)) => Governing::Declared(group),
                (Ok(_), None) => Governing::Default,
                (Err(_), None) => Governing::Unresolved,
            },
            reference: pick.reference,
            inherited_from: pick.source,
            branch,
        };
        let mut report = |problem: Problem<'m>, facts: &Facts<'m>| {
            out.push(Verdict {
                problem,
                facts: facts.clone(),
            })
        };

        // Engine: the database's own, else the group's family (spec §1, last paragraph).
        // An empty value is no value (Terraform's `engine_version = ""` default is unset).
        let engine_name = match &engine.value {
            Val::Known(name) if !name.trim().is_empty() => Some(name.trim().to_ascii_lowercase()),
            _ => from_family.as_ref().map(|(name, _)| name.clone()),
        };
        let Some(engine_name) = engine_name else {
            let problem = match (&engine.value, &pick.link) {
                (Val::Unknown(what), _) => unverifiable_at("engine", what, engine),
                (_, Err((what, span, via))) => Problem::Unverifiable {
                    field: "parameter group",
                    what: what.clone(),
                    span: *span,
                    via: *via,
                },
                _ => unverifiable(
                    "engine",
                    "nothing: no Engine is set and no parameter group family names one",
                    db.resource.header,
                ),
            };
            return report(problem, &facts);
        };
        let row = match engines::lookup(&engine_name) {
            Lookup::InScope(row) => row,
            Lookup::OutOfScope | Lookup::Unrecognised => return,
        };
        // An Aurora engine on a DB instance without a cluster is not a database of its own.
        if row.level == crate::model::GroupLevel::Cluster && db.kind == DatabaseKind::Instance {
            return;
        }
        facts.engine = Some((row, engine_name));

        // Version: the database's own, else the group's family.
        let version_text = match &version.value {
            Val::Known(text) if !text.trim().is_empty() => Some(text.trim().to_string()),
            _ => from_family.as_ref().map(|(_, v)| v.clone()),
        };
        facts.version = version_text.clone();
        facts.version_at = match &version.value {
            Val::Known(_) if version.via.is_some() => Some(version.span),
            _ => None,
        };
        let parsed = version_text.as_deref().and_then(Version::parse);
        // An engine (or version) that has no TLS parameter cannot enforce it, whatever its
        // group says or whether the group is known.
        if default_for(row, parsed.as_ref()) == engines::Default::CannotEnforce {
            return report(Problem::NotEnforced(NotEnforced::CannotEnforce), &facts);
        }

        let group = match (&pick.link, group) {
            (Err((what, span, via)), _) => {
                let problem = Problem::Unverifiable {
                    field: "parameter group",
                    what: what.clone(),
                    span: *span,
                    via: *via,
                };
                return report(problem, &facts);
            }
            (_, group) => group,
        };
        if let Some(group) = group {
            if let Parameters::Unknown { span, what } = &group.parameters {
                return report(unverifiable("parameter list", what, *span), &facts);
            }
            let explicit = row
                .parameter
                .and_then(|name| group.parameter(name, &facts.branch));
            if let Some(parameter) = explicit {
                // Where the parameter is not set (the other side of an `Fn::If`), the default
                // decides, under that side's branch.
                let mut falls_back: Option<Branch> = None;
                for choice in &parameter.value {
                    let Some(branch) = facts.branch.join(&choice.branch) else {
                        continue;
                    };
                    let facts = Facts {
                        branch,
                        ..facts.clone()
                    };
                    match &choice.value {
                        Val::Known(value) => match classify(row.values, value) {
                            Setting::Enabling => {}
                            Setting::Disabling => report(
                                Problem::Disabled {
                                    parameter,
                                    value: value.clone(),
                                    value_span: choice.span,
                                    via: choice.via,
                                },
                                &facts,
                            ),
                            Setting::Invalid => report(
                                Problem::Invalid {
                                    parameter,
                                    value: value.clone(),
                                    value_span: choice.span,
                                    via: choice.via,
                                },
                                &facts,
                            ),
                        },
                        Val::Unknown(what) => {
                            report(unverifiable_at("parameter value", what, choice), &facts)
                        }
                        Val::Absent => {
                            falls_back.get_or_insert(facts.branch);
                        }
                    }
                }
                match falls_back {
                    Some(branch) => facts.branch = branch,
                    None => return,
                }
            }
        }

        // No explicit value: the engine default for the pinned version (spec §4).
        let not_enforced = match default_for(row, parsed.as_ref()) {
            engines::Default::Enforced if !self.require_explicit => return,
            engines::Default::Enforced => NotEnforced::ReliesOnDefault,
            engines::Default::CannotEnforce => NotEnforced::CannotEnforce,
            engines::Default::Undetermined => {
                if let Val::Unknown(what) = &version.value {
                    return report(unverifiable_at("engine version", what, version), &facts);
                }
                NotEnforced::Unpinned
            }
            engines::Default::NotEnforced if group.is_some() => NotEnforced::GroupWithoutParameter,
            engines::Default::NotEnforced => NotEnforced::DefaultGroup,
        };
        if not_enforced != NotEnforced::ReliesOnDefault {
            if let Some(problem) = self.misplaced(db, row, group, &facts.branch) {
                return report(problem, &facts);
            }
        }
        report(Problem::NotEnforced(not_enforced), &facts)
    }

    /// A TLS-looking parameter set where RDS ignores it: in the governing group under another
    /// name, or (for clusters) in a member's instance-level group.
    fn misplaced(
        &mut self,
        db: &'m Database,
        row: &Engine,
        group: Option<&'m ParameterGroup>,
        branch: &Branch,
    ) -> Option<Problem<'m>> {
        let right = row.parameter?;
        let looks_like_tls = |name: &str| {
            engines::TLS_LOOKING
                .iter()
                .any(|tls| tls.eq_ignore_ascii_case(name))
        };
        // Only what is set under this scenario's branch (not the other side of an `Fn::If`).
        let set = |p: &Parameter| {
            p.value
                .iter()
                .any(|c| c.value != Val::Absent && branch.join(&c.branch).is_some())
        };
        if let Some(group) = group {
            if let Some(parameter) = group
                .entries()
                .iter()
                .find(|p| looks_like_tls(&p.name) && !p.name.eq_ignore_ascii_case(right) && set(p))
            {
                return Some(Problem::WrongParameter {
                    parameter,
                    group,
                    member: None,
                });
            }
        }
        if db.kind != DatabaseKind::Cluster {
            return None;
        }
        for &member in self.index.members_of(db) {
            for choice in &member.group {
                if branch.join(&choice.branch).is_none() {
                    continue;
                }
                let Some(target) = choice.known() else {
                    continue;
                };
                let GroupLink::Declared(group) = self.index.group(member.resource.scope, target)
                else {
                    continue;
                };
                self.used.insert(group_key(group));
                if let Some(parameter) = group.entries().iter().find(|p| {
                    (looks_like_tls(&p.name) || p.name.eq_ignore_ascii_case(right)) && set(p)
                }) {
                    return Some(Problem::WrongParameter {
                        parameter,
                        group,
                        member: Some(member),
                    });
                }
            }
        }
        None
    }
}

fn unverifiable<'m>(field: &'static str, what: &str, span: Span) -> Problem<'m> {
    Problem::Unverifiable {
        field,
        what: what.to_string(),
        span,
        via: None,
    }
}

/// Unverifiable through a candidate that may have come in through a reference.
fn unverifiable_at<'m, T>(field: &'static str, what: &str, choice: &Choice<T>) -> Problem<'m> {
    Problem::Unverifiable {
        field,
        what: what.to_string(),
        span: choice.span,
        via: choice.via,
    }
}
