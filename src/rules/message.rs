//! Words a verdict: the message says what is wrong (naming database, engine, version, parameter
//! and what to set it to), the labels point at the cause and the database, the help says what to
//! do, in the imperative.

use super::engines::{default_family, Version};
use super::engines::{show_version, Engine};
use super::verdict::{Facts, Governing, NotEnforced, Problem, Verdict};
use crate::diagnostic::fix::{FixRequest, NewGroup};
use crate::diagnostic::{Finding, Label, ResourceInfo, RuleId};
use crate::model::{Database, ParameterGroup, Parameters, Resource};
use crate::source::Span;

pub fn finding(db: &Database, verdict: &Verdict<'_>) -> Finding {
    let facts = &verdict.facts;
    let name = &db.resource.name;
    let described = describe(&db.resource, facts);
    let branch = if !facts.branch.is_empty() {
        format!(" ({})", facts.branch.describe())
    } else {
        String::new()
    };
    let (parameter, enabling) = match &facts.engine {
        Some((row, _)) => (row.parameter.unwrap_or("TLS"), row.enabling),
        None => ("the TLS parameter", "on"),
    };
    let set = match facts.engine.as_ref().and_then(|(row, _)| row.upgrade) {
        Some(upgrade)
            if matches!(
                verdict.problem,
                Problem::NotEnforced(NotEnforced::CannotEnforce)
            ) =>
        {
            upgrade.to_string()
        }
        _ => format!("set {parameter} to {enabling}"),
    };
    let off_here = match parameter {
        "DB2COMM" => "TCPIP keeps the plaintext port open".to_string(),
        _ => format!("{parameter} is off here"),
    };
    let group_name = |group: &ParameterGroup| format!("parameter group `{}`", group.resource.name);
    let governing_name = match facts.governing {
        Governing::Declared(group) => group_name(group),
        _ => "a custom parameter group".to_string(),
    };

    let mut related = vec![Label::new(db.resource.header, "the database")];
    if let Some(reference) = facts.reference {
        related.push(Label::new(reference, "its parameter group is named here"));
    }
    if let Some(source) = facts.inherited_from {
        related.push(Label::new(
            source.resource.header,
            "a read replica uses its source's parameter group",
        ));
    }

    let (rule, message, primary, help, value) = match &verdict.problem {
        Problem::Disabled {
            parameter: p,
            value,
            value_span,
            via,
        } => {
            related.extend(
                via.map(|via| Label::new(via, "the value comes in through this reference")),
            );
            (
            RuleId::TlsDisabled,
            format!(
                "{described} accepts unencrypted connections: {governing_name} sets {} to `{value}`{branch}; {set}",
                p.name
            ),
            Label::new(*value_span, off_here),
            format!("{set} in {governing_name}"),
            Some(value.clone()),
        )
        }
        Problem::Invalid {
            parameter: p,
            value,
            value_span,
            via,
        } => {
            related.extend(
                via.map(|via| Label::new(via, "the value comes in through this reference")),
            );
            (
            RuleId::TlsInvalidValue,
            format!(
                "{described}: {governing_name} sets {} to `{value}`, which RDS does not read as {}{branch}; {set}",
                p.name,
                if parameter == "DB2COMM" { "SSL only" } else { "on or off" }
            ),
            Label::new(*value_span, "not a valid value"),
            if parameter == "DB2COMM" {
                "set DB2COMM to exactly SSL; TCPIP keeps the plaintext port open".to_string()
            } else {
                format!("{set}; RDS accepts 1, 0, ON, OFF, true and false")
            },
            Some(value.clone()),
        )
        }
        Problem::WrongParameter {
            parameter: p,
            group,
            member,
        } => {
            related.push(right_place(db, facts));
            let (message, help) = match member {
                None => (
                    format!(
                        "{described} does not enforce TLS: {} in {} is not a {} parameter{branch}; {set} instead",
                        p.name,
                        group_name(group),
                        engine_display(facts)
                    ),
                    format!("replace `{}` with {parameter} = {enabling}", p.name),
                ),
                Some(member) => (
                    format!(
                        "{described} does not enforce TLS: {} is set in {}, the instance-level group of cluster member `{}`, where Aurora ignores it{branch}; {set} in the cluster's DB cluster parameter group",
                        p.name,
                        group_name(group),
                        member.resource.name
                    ),
                    format!("move {parameter} = {enabling} to the DB cluster parameter group of `{name}`"),
                ),
            };
            (
                RuleId::TlsWrongParameter,
                message,
                Label::new(p.key_span, "RDS ignores this parameter here"),
                help,
                None,
            )
        }
        Problem::NotEnforced(why) => {
            // The version that decides the default, where it is written.
            if let (Some(at), Some(version)) = (facts.version_at, &facts.version) {
                related.push(Label::new(at, format!("the engine version: {version}")));
            }
            let (head, help) = not_enforced(*why, facts, parameter, &governing_name, &set);
            (
                RuleId::TlsNotEnforced,
                format!("{described} {head}{branch}; {set}"),
                not_enforced_label(db, facts, parameter, *why),
                help,
                None,
            )
        }
        Problem::Unverifiable {
            field,
            what,
            span,
            via,
        } => {
            // Point at the expression on the resource; where it leads comes second.
            if via.is_some() {
                related.push(Label::new(*span, "where the value should come from"));
            }
            // A whole module call says what it is; a value says where it comes from.
            let cause = match *field {
                "module" | "loop" => what.clone(),
                _ => format!("its {field} comes from {what}"),
            };
            (
                RuleId::TlsUnverifiable,
                format!(
                    "cannot verify TLS for {described}: {cause}{branch}; make sure {parameter} is {enabling}"
                ),
                Label::new(via.unwrap_or(*span), "not resolved by the scanned files"),
                match *field {
                    "module" => "run `terraform init` so the module's code is under .terraform/modules, give it a version the model knows, or suppress this finding with a reason",
                    "loop" => "give the loop a literal list or a parameter with a Default, or suppress this finding with a reason",
                    _ if what.starts_with("the Serverless variable") => "write the value in the service's `custom` map (or as the variable's literal fallback), or suppress this finding with a reason",
                    _ if db.resource.type_name.starts_with("AWS::") => "give the value in the templates (a parameter Default, a literal, a nested stack's local template), or suppress this finding with a reason",
                    _ => "give the value in the files (a default, a tfvars value, a literal), or suppress this finding with a reason",
                }
                .to_string(),
                None,
            )
        }
    };
    related.extend(stack_labels(&db.resource));
    let mut seen = vec![primary.span];
    related.retain(|label| {
        let fresh = !seen.contains(&label.span);
        seen.push(label.span);
        fresh
    });

    let mut finding = Finding::new(rule, message, primary);
    finding.related = related;
    finding.help = Some(help);
    finding.resource = Some(std::sync::Arc::new(resource_info(&db.resource)));
    finding.engine = facts.engine.as_ref().map(|(_, name)| name.clone());
    finding.engine_version = facts.version.clone();
    finding.parameter = facts
        .engine
        .as_ref()
        .and_then(|(row, _)| row.parameter.map(str::to_string));
    finding.value = value;
    finding.fix_request = fix_request(db, verdict).map(std::sync::Arc::new);
    finding
}

/// The remedy, when there is one clear one: set the value where it is written, or add the
/// parameter to the custom group that governs the database.
fn fix_request(db: &Database, verdict: &Verdict<'_>) -> Option<FixRequest> {
    let (row, _) = verdict.facts.engine.as_ref()?;
    let enabling = row.enabling.to_string();
    match (&verdict.problem, verdict.facts.governing) {
        (
            Problem::Disabled {
                parameter,
                value_span,
                ..
            }
            | Problem::Invalid {
                parameter,
                value_span,
                ..
            },
            _,
        ) => Some(FixRequest::SetValue {
            span: *value_span,
            parameter: parameter.name.clone(),
            enabling,
        }),
        (
            Problem::NotEnforced(NotEnforced::GroupWithoutParameter | NotEnforced::ReliesOnDefault),
            Governing::Declared(group),
        ) => Some(FixRequest::AddParameter {
            slot: group.slot,
            parameter: row.parameter?.to_string(),
            enabling,
        }),
        // Another engine's key in the governing group: make it this engine's (unsafe).
        (
            Problem::WrongParameter {
                parameter,
                member: None,
                ..
            },
            _,
        ) => {
            let value = parameter
                .value
                .iter()
                .find(|c| c.known().is_some())
                .map(|c| c.span);
            Some(FixRequest::RenameParameter {
                key: parameter.key_span,
                value,
                parameter: row.parameter?.to_string(),
                enabling,
            })
        }
        // The default group, named nowhere: add a group and name it (unsafe).
        (Problem::NotEnforced(NotEnforced::DefaultGroup), Governing::Default)
            if verdict.facts.inherited_from.is_none()
                && db.group.iter().all(|c| {
                    c.value == crate::model::Val::Absent && c.span == db.resource.header
                }) =>
        {
            let (row, name) = verdict.facts.engine.as_ref()?;
            let version = verdict.facts.version.as_deref().and_then(Version::parse);
            let family = default_family(row, name, version.as_ref())?;
            let short = db
                .resource
                .name
                .rsplit(['.', '/'])
                .next()
                .unwrap_or(&db.resource.name);
            let new_name = match db.slot {
                crate::diagnostic::fix::Slot::Block(_) => format!("{short}_tls"),
                _ => format!("{short}TlsParameters"),
            };
            Some(FixRequest::AddGroup(NewGroup {
                database: db.slot,
                resource: db.resource.span,
                header: db.resource.header,
                type_span: db.resource.type_span,
                name: new_name,
                cluster: db.kind == crate::model::DatabaseKind::Cluster,
                family,
                property: db.group_property.to_string(),
                parameter: row.parameter?.to_string(),
                enabling,
            }))
        }
        _ => None,
    }
}

/// The nested stack resources a template's resource is included through, from the top.
pub fn stack_labels(resource: &Resource) -> impl Iterator<Item = Label> + '_ {
    resource
        .stacks
        .iter()
        .map(|(id, span)| Label::new(*span, format!("included through the nested stack `{id}`")))
}

pub fn resource_info(resource: &Resource) -> ResourceInfo {
    ResourceInfo {
        name: resource.name.clone(),
        type_name: resource.type_name.clone(),
        header: resource.header,
        span: resource.span,
        context: resource.context.clone(),
    }
}

/// "`ProdDb` (PostgreSQL 14.9)", "`module.db.aws_db_instance.this` in `examples/complete` (…)"
fn describe(resource: &Resource, facts: &Facts<'_>) -> String {
    let name = match &resource.context {
        Some(context) => format!("`{}` in `{context}`", resource.name),
        None => format!("`{}`", resource.name),
    };
    match (&facts.engine, &facts.version) {
        (Some((row, _)), Some(version)) if !version.trim().is_empty() => {
            format!("{name} ({} {})", row.display, version.trim())
        }
        (Some((row, _)), _) => format!("{name} ({}, version not pinned)", row.display),
        (None, _) => name,
    }
}

fn engine_display(facts: &Facts<'_>) -> &'static str {
    facts
        .engine
        .as_ref()
        .map(|(row, _)| row.display)
        .unwrap_or("RDS")
}

fn not_enforced(
    why: NotEnforced,
    facts: &Facts<'_>,
    parameter: &str,
    governing: &str,
    set: &str,
) -> (String, String) {
    let row: Option<&Engine> = facts.engine.as_ref().map(|(row, _)| *row);
    let display = engine_display(facts);
    let from = row
        .and_then(|r| r.enforced_from)
        .map(show_version)
        .unwrap_or_default();
    match why {
        NotEnforced::DefaultGroup => {
            let family = facts
                .family
                .clone()
                .or_else(|| {
                    let (row, name) = facts.engine.as_ref()?;
                    let version = facts.version.as_deref().and_then(super::engines::Version::parse);
                    super::engines::default_family(row, name, version.as_ref())
                })
                .map(|f| format!(" (default.{f})"))
                .unwrap_or_default();
            (
                format!("does not enforce TLS: it uses the default parameter group{family}, where {parameter} is off"),
                format!("create a parameter group with {parameter} = {}, and name it in the database's parameter group property", row.map(|r| r.enabling).unwrap_or("1")),
            )
        }
        NotEnforced::GroupWithoutParameter => (
            format!(
                "does not enforce TLS: {governing} does not set {parameter}, and {display} does not enforce it by default"
            ),
            format!("{set} in {governing}"),
        ),
        NotEnforced::Unpinned => {
            let exists = row
                .and_then(|r| r.parameter_from)
                .map(|v| format!("{parameter} exists from {display} {} on and ", show_version(v)))
                .unwrap_or_default();
            (
                format!(
                    "does not guarantee TLS: the engine version is not pinned, and {exists}{display} enforces {parameter} by default only from {from} on"
                ),
                format!("{set} in {governing}, or pin the engine version to {from} or later"),
            )
        }
        NotEnforced::CannotEnforce => {
            let head = match row.and_then(|r| r.parameter_from) {
                Some(v) => format!(
                    "cannot enforce TLS: {parameter} exists only from {display} {} on",
                    show_version(v)
                ),
                None => "cannot enforce TLS: this engine has no parameter that refuses plaintext connections".to_string(),
            };
            (head, set.to_string())
        }
        NotEnforced::ReliesOnDefault => (
            format!(
                "relies on the engine default for {parameter} ({display} enforces it from {from} on), and explicit settings are required"
            ),
            format!("{set} explicitly in {governing} (asked for by --require-explicit)"),
        ),
    }
}

/// Where a `rds-tls-not-enforced` finding points: the group's `Parameters`, the group, the
/// literal default name, or the database's type line.
fn not_enforced_label(
    db: &Database,
    facts: &Facts<'_>,
    parameter: &str,
    why: NotEnforced,
) -> Label {
    // An engine (or version) without the parameter: the engine or version is the cause.
    if why == NotEnforced::CannotEnforce {
        let row = facts.engine.as_ref().map(|(row, _)| *row);
        let (engine_at, version_at) = facts.written;
        let at = match row.and_then(|r| r.parameter_from) {
            Some(_) => facts.version_at.or(version_at),
            None => engine_at,
        };
        if let (Some(at), Some(row)) = (at, row) {
            let what = match row.parameter_from {
                Some(v) => format!(
                    "{} exists only from {} {} on",
                    row.parameter.unwrap_or("the TLS parameter"),
                    row.display,
                    show_version(v)
                ),
                None => "this engine has no TLS parameter".to_string(),
            };
            return Label::new(at, what);
        }
    }
    match facts.governing {
        Governing::Declared(group) => match &group.parameters {
            Parameters::Known { span, .. } => {
                Label::new(*span, format!("{parameter} is not set here"))
            }
            _ => Label::new(
                group.resource.header,
                format!("this group does not set {parameter}"),
            ),
        },
        _ => match facts.reference {
            Some(reference) => Label::new(reference, "a default parameter group"),
            None => Label::new(
                db.resource.type_span,
                "no parameter group enforces TLS here",
            ),
        },
    }
}

/// Where the right parameter belongs (secondary label of `rds-tls-wrong-parameter`).
fn right_place(db: &Database, facts: &Facts<'_>) -> Label {
    let span: Span = match facts.governing {
        Governing::Declared(group) => match &group.parameters {
            Parameters::Known { span, .. } => *span,
            _ => group.resource.header,
        },
        _ => facts.reference.unwrap_or(db.resource.type_span),
    };
    Label::new(span, "the TLS parameter belongs in this group")
}
