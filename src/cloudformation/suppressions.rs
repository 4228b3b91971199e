//! CloudFormation suppressions: `Metadata.intransit.ignore` entries, checkov's
//! `Metadata.checkov.skip` entries, and YAML comments, each tied to the resource it sits on.

use crate::diagnostic::{Finding, ResourceInfo};
use crate::source::SourceFile;
use crate::suppression::{self, Scope, Suppression};
use crate::tree::Node;

pub fn collect(
    file: &SourceFile,
    root: &Node,
    yaml: bool,
    problems: &mut Vec<Finding>,
) -> Vec<Suppression> {
    let entries = root.get("Resources").and_then(Node::map).unwrap_or(&[]);
    let resources: Vec<ResourceInfo> = entries
        .iter()
        .map(|entry| ResourceInfo {
            name: entry.key.clone(),
            type_name: entry
                .value
                .get("Type")
                .and_then(Node::str)
                .unwrap_or("")
                .to_string(),
            header: entry.key_span,
            span: entry.span(),
            context: None,
        })
        .collect();
    let mut found = Vec::new();
    for (entry, resource) in entries.iter().zip(&resources) {
        let Some(metadata) = entry.value.get("Metadata") else {
            continue;
        };
        metadata_suppressions(metadata, resource, problems, &mut found);
    }
    if yaml {
        found.extend(suppression::from_comments(
            file,
            &resources,
            &["#"],
            problems,
        ));
    }
    found
}

fn metadata_suppressions(
    metadata: &Node,
    resource: &ResourceInfo,
    problems: &mut Vec<Finding>,
    found: &mut Vec<Suppression>,
) {
    let scope = || Scope::Resource(resource.clone());
    let owner = Some(resource.clone());
    for entry in metadata
        .get("intransit")
        .and_then(|n| n.get("ignore"))
        .and_then(Node::seq)
        .unwrap_or(&[])
    {
        let rules: Vec<String> = match entry.get("rule") {
            Some(rule) => match (rule.str(), rule.seq()) {
                (Some(id), _) => vec![id.to_string()],
                (_, Some(ids)) => ids
                    .iter()
                    .filter_map(Node::str)
                    .map(str::to_string)
                    .collect(),
                _ => Vec::new(),
            },
            None => Vec::new(),
        };
        let until = entry.get("until").and_then(Node::str);
        found.extend(suppression::build(
            &rules,
            until,
            entry.span,
            scope(),
            owner.clone(),
            problems,
        ));
    }
    for entry in metadata
        .get("checkov")
        .and_then(|n| n.get("skip"))
        .and_then(Node::seq)
        .unwrap_or(&[])
    {
        if entry.get("id").and_then(Node::str) == Some("CKV2_AWS_69") {
            found.push(Suppression {
                rules: None,
                until: None,
                span: entry.span,
                scope: scope(),
                owner: owner.clone(),
                from_checkov: true,
                excerpt: None,
            });
        }
    }
}
