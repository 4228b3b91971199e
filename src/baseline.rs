//! Baselines: today's findings recorded by rule, file and resource name, and the root a shared
//! module is checked from (never by line, so edits elsewhere do not revive them), and hidden on
//! later runs. A key recorded N times hides
//! at most N findings, so a second identical problem on the same resource still shows.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::diagnostic::Finding;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub version: u32,
    pub findings: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub rule: String,
    pub file: String,
    pub resource: String,
    /// The root the resource is checked from, when several roots check one module.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root: Option<String>,
    #[serde(default = "one")]
    pub count: usize,
}

fn one() -> usize {
    1
}

type Key = (String, String, String, Option<String>);

impl Baseline {
    /// The baseline of `findings`, sorted for stable diffs; `file_of` gives the path a
    /// finding's resource (else the finding) is reported in.
    pub fn record(findings: &[Finding], file_of: &dyn Fn(&Finding) -> String) -> Baseline {
        let mut counts: BTreeMap<Key, usize> = BTreeMap::new();
        for finding in findings {
            *counts.entry(key(finding, file_of)).or_default() += 1;
        }
        Baseline {
            version: 1,
            findings: counts
                .into_iter()
                .map(|((rule, file, resource, root), count)| Entry {
                    rule,
                    file,
                    resource,
                    root,
                    count,
                })
                .collect(),
        }
    }

    /// Removes the findings the baseline records; returns how many it hid.
    pub fn hide(&self, findings: &mut Vec<Finding>, file_of: &dyn Fn(&Finding) -> String) -> usize {
        let mut left: BTreeMap<Key, usize> = BTreeMap::new();
        for entry in &self.findings {
            *left
                .entry((
                    entry.rule.clone(),
                    entry.file.clone(),
                    entry.resource.clone(),
                    entry.root.clone(),
                ))
                .or_default() += entry.count;
        }
        let before = findings.len();
        findings.retain(|finding| match left.get_mut(&key(finding, file_of)) {
            Some(n) if *n > 0 => {
                *n -= 1;
                false
            }
            _ => true,
        });
        before - findings.len()
    }
}

/// Where a finding is filed for a baseline: its resource's first line, else its own span.
pub fn anchor(finding: &Finding) -> crate::source::Span {
    finding
        .resource
        .as_ref()
        .map_or(finding.primary.span, |r| r.header)
}

/// Rule, the file of the resource (else of the finding), and the resource name.
fn key(finding: &Finding, file_of: &dyn Fn(&Finding) -> String) -> Key {
    (
        finding.rule.to_string(),
        file_of(finding),
        finding
            .resource
            .as_ref()
            .map(|r| r.name.clone())
            .unwrap_or_default(),
        finding
            .resource
            .as_ref()
            .and_then(|r| r.context.as_deref().map(str::to_string)),
    )
}
