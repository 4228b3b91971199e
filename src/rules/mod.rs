//! The rule: link every database to its governing group, decide whether TLS is guaranteed, and
//! word one finding per database that is not (plus explicitly disabling groups nobody uses).

pub mod engines;
mod groups;
mod link;
mod message;
mod verdict;

use std::collections::HashSet;

use crate::diagnostic::{Finding, Label, RuleId};
use crate::model::{FileModel, ParameterGroup, ScopeId, Val};
use crate::source::Span;
use engines::{classify, split_family, Lookup, Setting};
use link::{group_key, GroupLink, Index};
use rayon::prelude::*;
use verdict::Checker;

pub use link::{offered_names, wanted_names};
pub use message::resource_info;

/// The groups one model's databases use.
type Used = HashSet<(ScopeId, Span)>;

pub fn evaluate(models: &[&FileModel], require_explicit: bool) -> Vec<Finding> {
    let index = Index::new(models);
    // Databases are judged in parallel, each model's in order, so the findings keep one order.
    let judged: Vec<(Vec<Finding>, Used)> = models
        .par_iter()
        .map(|model| {
            let mut checker = Checker {
                index: &index,
                require_explicit,
                used: HashSet::new(),
            };
            let findings = model
                .databases
                .iter()
                .filter_map(|db| Some(message::finding(db, &checker.check(db)?)))
                .collect();
            (findings, checker.used)
        })
        .collect();
    let mut checker = Checker {
        index: &index,
        require_explicit,
        used: HashSet::new(),
    };
    let mut findings = Vec::new();
    for (judged, used) in judged {
        findings.extend(judged);
        checker.used.extend(used);
    }
    // A member's instance-level group is in use even though it never governs TLS.
    for member in &index.members {
        for target in member.group.iter().filter_map(|c| c.known()) {
            if let GroupLink::Declared(group) = index.group(member.resource.scope, target) {
                checker.used.insert(group_key(group));
            }
        }
    }
    for model in models {
        for group in &model.groups {
            if !checker.used.contains(&group_key(group)) {
                findings.extend(unused_disabling(group));
            }
        }
    }
    // Rewriting an allowed value would change what may be deployed, not what is: no fix.
    let constraints: Vec<crate::source::Span> = models
        .iter()
        .flat_map(|m| m.constraints.iter().copied())
        .collect();
    if !constraints.is_empty() {
        for finding in &mut findings {
            if let Some(crate::diagnostic::fix::FixRequest::SetValue { span, .. }) =
                finding.fix_request.as_deref()
            {
                if constraints.iter().any(|c| c.contains(*span)) {
                    finding.fix_request = None;
                }
            }
        }
    }
    for finding in &mut findings {
        finding.shrink();
    }
    // Most runs hold these until the report: no room for findings that will not come.
    findings.shrink_to_fit();
    findings
}

/// `rds-tls-disabled` for a group no scanned database uses that turns TLS off explicitly: the
/// next database linked to it would accept plaintext.
fn unused_disabling(group: &ParameterGroup) -> Option<Finding> {
    let family = group.family.iter().find_map(|c| c.known().cloned());
    let row =
        family
            .as_deref()
            .and_then(split_family)
            .and_then(|(engine, _)| match engines::lookup(&engine) {
                Lookup::InScope(row) => Some(row),
                _ => None,
            });
    for parameter in group.entries() {
        let rule = engines::ENGINES.iter().find(|r| {
            r.parameter
                .is_some_and(|p| p.eq_ignore_ascii_case(&parameter.name))
                && row.is_none_or(|row| row.parameter == r.parameter)
        });
        let Some(rule) = rule else { continue };
        for choice in &parameter.value {
            let Val::Known(value) = &choice.value else {
                continue;
            };
            if classify(rule.values, value) != Setting::Disabling {
                continue;
            }
            let enabling = row.unwrap_or(rule).enabling;
            let mut finding = Finding::new(
                RuleId::TlsDisabled,
                format!(
                    "parameter group `{}` sets {} to `{value}`, so any database that uses it accepts unencrypted connections; set {} to {enabling}",
                    group.resource.name, parameter.name, parameter.name
                ),
                Label::new(choice.span, format!("{} is off here", parameter.name)),
            );
            finding.related = vec![Label::new(
                group.resource.header,
                "no scanned database uses this group yet",
            )];
            finding
                .related
                .extend(message::stack_labels(&group.resource));
            finding.help = Some(format!(
                "set {} to {enabling}, or delete the group",
                parameter.name
            ));
            finding.resource = Some(std::sync::Arc::new(resource_info(&group.resource)));
            finding.engine = family
                .as_deref()
                .and_then(split_family)
                .map(|(engine, _)| engine);
            finding.parameter = Some(parameter.name.clone());
            finding.value = Some(value.clone());
            finding.fix_request = Some(std::sync::Arc::new(
                crate::diagnostic::fix::FixRequest::SetValue {
                    span: choice.span,
                    parameter: parameter.name.clone(),
                    enabling: enabling.to_string(),
                },
            ));
            return Some(finding);
        }
    }
    None
}
