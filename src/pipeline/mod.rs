//! The run, stage by stage (ARCHITECTURE.md's pipeline): read and lower each file in parallel
//! (`read`), evaluate Terraform roots, link and judge every database (`rules`), settle
//! positions and fixes (`settle`), then apply suppressions, the baseline and severity
//! overrides. `fixes` repeats the run over fixed texts until nothing changes.

mod fixes;
mod read;
mod settle;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;

pub use fixes::{fix_all, Fixed};

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
}

pub fn check(inputs: &[Input], settings: &Settings) -> Report {
    // Files that contribute nothing (most of a large tree) are counted, not kept.
    let scanned = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<FileResult> = inputs
        .par_iter()
        .enumerate()
        .filter(|(_, input)| !is_terraform(&input.path))
        .map(|(i, input)| read::read_file(FileId(i as u32), input, settings))
        .filter(|result| {
            if result.scanned {
                scanned.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            result.source.is_some()
                || !result.model.is_empty()
                || !result.suppressions.is_empty()
                || !result.findings.is_empty()
        })
        .collect();

    let mut files: BTreeMap<FileId, Arc<SourceFile>> = BTreeMap::new();
    let mut models = Vec::new();
    let mut suppressions = Vec::new();
    let mut findings = Vec::new();
    let mut scanned = scanned.into_inner();
    for result in results {
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
    let databases: Vec<crate::diagnostic::ResourceInfo> = models
        .iter()
        .flat_map(|m| &m.databases)
        .map(|db| rules::resource_info(&db.resource))
        .collect();
    findings.extend(rules::evaluate(&models, settings.require_explicit));
    settle::settle(&mut findings, &suppressions, &mut files);
    let suppressed = suppression::apply(
        &mut findings,
        &suppressions,
        settings.today,
        |span: Span| {
            files
                .get(&span.file)
                .map_or(0, |file| file.line_of(span.start))
        },
    );
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
