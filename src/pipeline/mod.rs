//! The run, stage by stage (ARCHITECTURE.md's pipeline): read and lower each file in parallel
//! (`read`), evaluate Terraform roots, link and judge every database (`rules`), settle
//! positions and fixes (`settle`), then apply suppressions, the baseline and severity
//! overrides. `fixes` repeats the run over fixed texts until nothing changes.

pub mod discover;
mod fixes;
mod read;
pub mod session;
mod settle;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;

pub use fixes::{fix_all, AppliedFix, Fixed};

use crate::diagnostic::Finding;
use crate::model::FileModel;
use crate::report::Report;
use crate::settings::Settings;
use crate::source::{self, FileId, SourceFile, Span};
use crate::suppression::{self, Suppression};
use crate::{rules, terraform};

/// Files the Terraform front end reads together (module files, variable files, Terragrunt
/// configs), not one by one.
fn is_terraform(path: &std::path::Path) -> bool {
    terraform::modules::names_module(path) || terraform::terragrunt::is_config(path)
}

/// Terraform root modules get scope ids from here on; CloudFormation scopes are file ids.
const TERRAFORM_SCOPES: u32 = 1 << 30;

/// One file to check.
#[derive(Clone, Debug)]
pub struct Input {
    pub path: PathBuf,
    /// The path reports show.
    pub display: String,
    /// The text, when it does not come from the file (`--stdin-filename`).
    pub text: Option<String>,
    /// Named on the command line: read even with an unusual extension.
    pub explicit: bool,
}

/// What one file contributed.
#[derive(Default)]
struct FileResult {
    source: Option<Arc<SourceFile>>,
    model: FileModel,
    suppressions: Vec<Suppression>,
    findings: Vec<Finding>,
    scanned: bool,
    /// Nested stacks with a local template.
    stacks: Vec<crate::cloudformation::nested::StackRef>,
}

/// The stack trees of the scanned templates, when some template includes another.
struct StackTrees {
    models: std::collections::HashMap<FileId, FileModel>,
    included: std::collections::HashSet<FileId>,
    /// The templates' sources (a parent with no RDS resource of its own has none yet).
    sources: Vec<Arc<SourceFile>>,
}

fn stack_trees(
    inputs: &[Input],
    results: &[(FileId, &FileResult)],
    settings: &Settings,
) -> Option<StackTrees> {
    use crate::cloudformation::nested;
    let by_path: std::collections::HashMap<PathBuf, usize> = inputs
        .iter()
        .enumerate()
        .map(|(i, input)| (source::normalize(&input.path), i))
        .collect();
    let mut queue: Vec<usize> = results
        .iter()
        .filter(|(_, r)| r.stacks.iter().any(|s| by_path.contains_key(&s.path)))
        .map(|(id, _)| id.0 as usize)
        .collect();
    if queue.is_empty() {
        return None;
    }
    let mut seen = std::collections::HashSet::new();
    let mut templates = Vec::new();
    let mut sources = Vec::new();
    while let Some(i) = queue.pop() {
        if !seen.insert(i) {
            continue;
        }
        let Some((source, template)) = read::template(FileId(i as u32), &inputs[i], settings)
        else {
            continue;
        };
        queue.extend(template.stacks.iter().filter_map(|s| by_path.get(&s.path)));
        sources.push(Arc::new(source));
        templates.push(template);
    }
    templates.sort_by_key(|t| t.id);
    let trees = nested::check(&templates);
    Some(StackTrees {
        models: trees.models.into_iter().collect(),
        included: trees.included,
        sources,
    })
}

pub fn check(inputs: &[Input], settings: &Settings) -> Report {
    // Files that contribute nothing (most of a large tree) are counted, not kept.
    let scanned = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<(FileId, FileResult)> = inputs
        .par_iter()
        .enumerate()
        .filter(|(_, input)| !is_terraform(&input.path))
        .map(|(i, input)| {
            let id = FileId(i as u32);
            (id, read::read_file(id, input, settings))
        })
        .filter(|(_, result)| {
            if result.scanned {
                scanned.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            result.source.is_some()
                || !result.model.is_empty()
                || !result.suppressions.is_empty()
                || !result.findings.is_empty()
                || !result.stacks.is_empty()
        })
        .collect();

    let mut files: BTreeMap<FileId, Arc<SourceFile>> = BTreeMap::new();
    let mut models = Vec::new();
    let mut suppressions = Vec::new();
    let mut findings = Vec::new();
    let mut scanned = scanned.into_inner();
    // Nested stacks: a tree's top gets the model of the whole tree; included templates get
    // none of their own.
    let borrowed: Vec<(FileId, &FileResult)> = results.iter().map(|(id, r)| (*id, r)).collect();
    let mut trees = stack_trees(inputs, &borrowed, settings);
    drop(borrowed);
    for (id, mut result) in results {
        if let Some(trees) = &mut trees {
            if let Some(model) = trees.models.remove(&id) {
                result.model = model;
            } else if trees.included.contains(&id) {
                result.model = FileModel::default();
            }
        }
        if let Some(source) = result.source {
            files.insert(source.id, source);
        }
        models.push(result.model);
        suppressions.extend(result.suppressions);
        findings.extend(result.findings);
    }
    // Terraform: each directory holding a named or walked `.tf` file is a module; each
    // `terragrunt.hcl` is a config.
    let tf_dirs: Vec<PathBuf> = inputs
        .iter()
        .filter(|input| terraform::modules::names_module(&input.path))
        .map(|input| match input.path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        })
        .collect();
    let configs: Vec<PathBuf> = inputs
        .iter()
        .filter(|input| terraform::terragrunt::is_config(&input.path))
        .map(|input| input.path.clone())
        .collect();
    for source in trees.into_iter().flat_map(|t| t.sources) {
        files.entry(source.id).or_insert(source);
    }
    if !tf_dirs.is_empty() || !configs.is_empty() {
        // An unsaved buffer (`--stdin-filename main.tf`) replaces that file in its module.
        let mut overrides: std::collections::HashMap<PathBuf, String> = inputs
            .iter()
            .filter_map(|i| Some((source::normalize(&i.path), i.text.clone()?)))
            .collect();
        overrides.extend(settings.overrides.clone());
        let ids = std::sync::atomic::AtomicU32::new(inputs.len() as u32);
        let loaded = terraform::check(
            &tf_dirs,
            &configs,
            settings,
            overrides,
            &ids,
            TERRAFORM_SCOPES,
        );
        scanned += loaded.files.len();
        for file in loaded.files {
            files.insert(file.id, file);
        }
        models.extend(loaded.models);
        suppressions.extend(loaded.suppressions);
        findings.extend(loaded.findings);
    }
    let refs: Vec<&FileModel> = models.iter().collect();
    conclude(
        files,
        &refs,
        &suppressions,
        findings,
        scanned,
        settings,
        None,
    )
}

/// The end of every run: link and judge all databases, settle positions and fixes (through
/// `cache` when the run keeps one), apply suppressions, the baseline and severity overrides.
fn conclude(
    mut files: BTreeMap<FileId, Arc<SourceFile>>,
    models: &[&FileModel],
    suppressions: &[Suppression],
    mut findings: Vec<Finding>,
    scanned: usize,
    settings: &Settings,
    cache: Option<&mut settle::Cache>,
) -> Report {
    let databases: Vec<crate::diagnostic::ResourceInfo> = models
        .iter()
        .flat_map(|m| &m.databases)
        .map(|db| rules::resource_info(&db.resource))
        .collect();
    findings.extend(rules::evaluate(models, settings.require_explicit));
    settle::settle(&mut findings, suppressions, &mut files, cache);
    let suppressed =
        suppression::apply(&mut findings, suppressions, settings.today, |span: Span| {
            files
                .get(&span.file)
                .map_or(0, |file| file.line_of(span.start))
        });
    // The baseline keys on the file of the resource (else of the finding), as reports show it.
    let suppressed = suppressed
        + settings.baseline.as_ref().map_or(0, |baseline| {
            let file_of = |finding: &Finding| {
                let span = finding
                    .resource
                    .as_ref()
                    .map_or(finding.primary.span, |r| r.header);
                files
                    .get(&span.file)
                    .map(|f| f.display.clone())
                    .unwrap_or_default()
            };
            baseline.hide(&mut findings, &file_of)
        });
    findings.retain_mut(|finding| match settings.severity.get(&finding.rule) {
        Some(None) => false,
        Some(Some(severity)) => {
            finding.severity = *severity;
            true
        }
        None => true,
    });
    Report::new(files, findings, scanned, databases, suppressed)
}
