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
use crate::report::spill::{Origin, Sealed, Spool};
use crate::report::Report;
use crate::settings::Settings;
use crate::source::{self, FileId, SourceFile, Span};
use crate::suppression::{self, Suppression};
use crate::{model, rules, terraform};

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
    /// The verdict, when it was reached as soon as the file was lowered (the model is dropped).
    judged: Option<Judged>,
}

/// A template whose databases and groups link only inside it is judged as soon as it is lowered
/// and its model dropped, so that memory does not grow with the files a run has read: what is
/// kept is its findings, its databases for the summary, and the literal names by which other
/// files could link to it. Should another file name one of them, the template is lowered again
/// and judged with the rest (`check`).
struct Judged {
    findings: Vec<Finding>,
    databases: Vec<crate::diagnostic::ResourceInfo>,
    /// How many databases it holds (`databases` lists them when `Settings::list_databases`).
    database_count: usize,
    /// Its groups' names and its databases' identifiers, as the linker keys them.
    offered: Vec<String>,
    /// Whether its file was settled with the verdict (`settle::settle_now`): positions and
    /// fixes of its findings, and of the file's other findings and suppressions.
    settled: bool,
    /// Its findings as bytes, in place of `findings`, once settled (`Settings::spill_after`).
    sealed: Vec<Sealed>,
}

/// Whether reading judges a template that links only inside itself at once (and drops its
/// model: should another file come to name it, it is read again).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Early {
    Never,
    Judge,
}

impl Judged {
    /// The verdict on `models` alone, when nothing in them names something elsewhere.
    fn of(models: &[&FileModel], settings: &Settings) -> Option<Judged> {
        if models.iter().all(|m| m.is_empty())
            || models.iter().any(|m| !rules::wanted_names(m).is_empty())
        {
            return None;
        }
        Some(Judged {
            findings: rules::evaluate(models, settings.require_explicit),
            databases: if settings.list_databases {
                let mut databases: Vec<_> = models.iter().flat_map(|m| infos(m)).collect();
                databases.shrink_to_fit();
                databases
            } else {
                Vec::new()
            },
            database_count: models.iter().map(|m| m.databases.len()).sum(),
            offered: models
                .iter()
                .flat_map(|m| rules::offered_names(m))
                .collect(),
            settled: false,
            sealed: Vec::new(),
        })
    }

    /// Moves its sealed findings to the run's spool, if it has both.
    fn spool(&mut self, spool: &Option<std::sync::Mutex<Spool>>, origin: Origin) {
        if let Some(spool) = spool {
            for sealed in std::mem::take(&mut self.sealed) {
                spool_append(spool, sealed, origin);
            }
        }
    }

    /// Seals its settled findings (`Settings::spill_after`), with the severity overrides
    /// applied, when nothing later can change them (`sealable`). `position`: the
    /// line and column of a primary span; a finding it cannot place stays a finding. The
    /// sealed bytes go to `emit` in pieces of about 64 KB (a root with thousands of module
    /// instances is not held twice, as findings and as one large buffer).
    fn seal(
        &mut self,
        suppressions: &[Suppression],
        settings: &Settings,
        position: impl Fn(Span) -> Option<(usize, usize)>,
        emit: &mut dyn FnMut(Sealed),
    ) {
        if !sealable(settings, suppressions) || self.findings.is_empty() {
            return;
        }
        let mut sealed = Sealed::default();
        let mut kept = Vec::new();
        for mut finding in std::mem::take(&mut self.findings) {
            if !settings.apply_severity(&mut finding) {
                continue;
            }
            // Settled: a request left is one no fix can come of (settling clears it too).
            finding.fix_request = None;
            let placed = position(finding.primary.span)
                .is_some_and(|(line, column)| sealed.push(&finding, line, column));
            if !placed {
                kept.push(finding);
            }
            if sealed.bytes() >= crate::report::spill::PIECE {
                emit(std::mem::take(&mut sealed));
            }
        }
        if !sealed.is_empty() {
            emit(sealed);
        }
        self.findings = kept;
    }
}

/// Whether findings settled with these suppressions in their files are final, so can be
/// sealed: sealing is on, and neither a suppression (whose use is counted across findings)
/// nor a baseline (which counts across files) can still hide one.
fn sealable(settings: &Settings, suppressions: &[Suppression]) -> bool {
    settings.spill_after.is_some() && settings.baseline.is_none() && suppressions.is_empty()
}

fn spool_append(spool: &std::sync::Mutex<Spool>, sealed: Sealed, origin: Origin) {
    let mut spool = spool.lock().unwrap_or_else(|e| e.into_inner());
    spool.append(sealed, origin);
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
    if results.iter().all(|(_, r)| r.stacks.is_empty()) {
        return None;
    }
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

/// Reads and lowers each template (every input but Terraform's) in parallel; counts the files
/// checked in `scanned` and keeps only the results that hold something.
fn read_templates(
    inputs: &[Input],
    settings: &Settings,
    spool: &Option<std::sync::Mutex<Spool>>,
    scanned: &std::sync::atomic::AtomicUsize,
    early: Early,
) -> Vec<(FileId, FileResult)> {
    inputs
        .par_iter()
        .enumerate()
        .with_max_len(source::FILES_PER_TASK)
        .filter(|(_, input)| !is_terraform(&input.path))
        .map(|(i, input)| {
            let id = FileId(i as u32);
            let mut result = read::read_file(id, input, settings, early);
            if let Some(judged) = &mut result.judged {
                judged.spool(spool, Origin::File(id.0));
            }
            (id, result)
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
                || result.judged.is_some()
        })
        .collect()
}

pub fn check(inputs: &[Input], settings: &Settings) -> Report {
    // Findings sealed as files are judged go to the spool at once (`Settings::spill_after`).
    let spool = settings
        .spill_after
        .map(|after| std::sync::Mutex::new(Spool::new(after)));
    // Files that contribute nothing (most of a large tree) are counted, not kept.
    let scanned = std::sync::atomic::AtomicUsize::new(0);
    let early = if settings.early_verdicts {
        Early::Judge
    } else {
        Early::Never
    };
    // One after the other: read side by side (`rayon::join`), the two saved no time once
    // tasks were short (`FILES_PER_TASK`), and held more at once (a 100k run's peak rose by
    // 20 to 30 MB in every format).
    let results = read_templates(inputs, settings, &spool, &scanned, early);
    let mut terraform = TerraformRun::load(inputs, settings, &spool);
    let mut scanned = scanned.into_inner();
    // Nested stacks: a tree's top gets the model of the whole tree; included templates get
    // none of their own.
    let borrowed: Vec<(FileId, &FileResult)> = results.iter().map(|(id, r)| (*id, r)).collect();
    let mut trees = stack_trees(inputs, &borrowed, settings);
    drop(borrowed);

    // The names the kept models look up; a template judged early that offers one is lowered
    // again and judged with the rest.
    let mut wanted: std::collections::HashSet<String> = std::collections::HashSet::new();
    let tree_models = trees.iter().flat_map(|t| t.models.values());
    let terraform_models = terraform
        .iter()
        .flat_map(|t| t.jobs.iter().flatten())
        .flat_map(|job| &job.loaded.models);
    for model in results
        .iter()
        .map(|(_, r)| &r.model)
        .chain(tree_models)
        .chain(terraform_models)
    {
        wanted.extend(rules::wanted_names(model));
    }
    let mut spool = spool.map(|s| s.into_inner().unwrap_or_else(|e| e.into_inner()));
    if let Some(terraform) = &mut terraform {
        for key in terraform.reopen(&wanted, settings) {
            if let Some(spool) = &mut spool {
                spool.forget(Origin::Job(key));
            }
        }
    }
    let included = |id: &FileId| trees.as_ref().is_some_and(|t| t.included.contains(id));
    let mut relowered: std::collections::HashMap<FileId, FileModel> = results
        .par_iter()
        .filter(|(id, r)| {
            !included(id)
                && r.judged
                    .as_ref()
                    .is_some_and(|j| j.offered.iter().any(|n| wanted.contains(n)))
        })
        .map(|(id, _)| {
            (
                *id,
                read::read_file(*id, &inputs[id.0 as usize], settings, Early::Never).model,
            )
        })
        .collect();

    // Sized once: a large run holds a finding or two per file, and growing by doubling would
    // hold two copies at once.
    let judged_jobs = terraform.iter().flat_map(|t| t.jobs.iter().flatten());
    let (mut finding_count, mut listed_count) = (0, 0);
    for (_, r) in &results {
        finding_count += r.findings.len();
        if let Some(judged) = &r.judged {
            finding_count += judged.findings.len();
            listed_count += judged.databases.len();
        }
        listed_count += r.model.databases.len();
    }
    for job in judged_jobs {
        finding_count += job.loaded.findings.len();
        if let Some(judged) = &job.judged {
            finding_count += judged.findings.len();
            listed_count += judged.databases.len();
        }
        listed_count += job
            .loaded
            .models
            .iter()
            .map(|m| m.databases.len())
            .sum::<usize>();
    }
    let mut files: BTreeMap<FileId, Arc<SourceFile>> = BTreeMap::new();
    let mut models = Vec::new();
    let list = settings.list_databases;
    let mut databases = Vec::with_capacity(if list { listed_count } else { 0 });
    let mut database_count = 0;
    let count = |databases: &mut Vec<_>, database_count: &mut usize, model: &FileModel| {
        *database_count += model.databases.len();
        if list {
            databases.extend(infos(model));
        }
    };
    let mut suppressions = Vec::new();
    let mut findings = Vec::with_capacity(finding_count);
    let mut settled = std::collections::HashSet::new();
    for (id, mut result) in results {
        if let Some(trees) = &mut trees {
            if let Some(model) = trees.models.remove(&id) {
                result.model = model;
            } else if trees.included.contains(&id) {
                result.model = FileModel::default();
                result.judged = None;
                if let Some(spool) = &mut spool {
                    spool.forget(Origin::File(id.0));
                }
            }
        }
        if let Some(source) = result.source {
            files.insert(source.id, source);
        }
        match (result.judged, relowered.remove(&id)) {
            (Some(_), Some(model)) => {
                if let Some(spool) = &mut spool {
                    spool.forget(Origin::File(id.0));
                }
                count(&mut databases, &mut database_count, &model);
                models.push(model);
            }
            (Some(judged), None) => {
                if judged.settled {
                    settled.insert(id);
                }
                database_count += judged.database_count;
                databases.extend(judged.databases);
                findings.extend(judged.findings);
            }
            (None, _) => {
                count(&mut databases, &mut database_count, &result.model);
                models.push(result.model);
            }
        }
        suppressions.extend(result.suppressions);
        findings.extend(result.findings);
    }
    let mut models: Vec<&FileModel> = models.iter().collect();
    for source in trees.into_iter().flat_map(|t| t.sources) {
        files.entry(source.id).or_insert(source);
    }
    if let Some(terraform) = &mut terraform {
        for job in terraform.jobs.iter_mut().flatten() {
            let loaded = &mut job.loaded;
            scanned += loaded.files.len();
            suppressions.append(&mut loaded.suppressions);
            findings.append(&mut loaded.findings);
            match job.judged.take() {
                Some(judged) => {
                    database_count += judged.database_count;
                    databases.extend(judged.databases);
                    findings.extend(judged.findings);
                    if judged.settled {
                        settled.extend(loaded.files.iter().map(|f| f.id));
                    }
                }
                None => {
                    for model in &loaded.models {
                        count(&mut databases, &mut database_count, model);
                    }
                }
            }
            for file in std::mem::take(&mut loaded.files) {
                files.insert(file.id, file);
            }
        }
    }
    models.extend(
        terraform
            .iter()
            .flat_map(|t| t.jobs.iter().flatten())
            .flat_map(|job| &job.loaded.models),
    );
    conclude(
        Gathered {
            files,
            models,
            databases,
            database_count,
            suppressions,
            findings,
            scanned,
            settled,
            spool,
        },
        settings,
        None,
        true,
    )
}

/// The databases of a model, as the summary and JUnit count them.
fn infos(model: &FileModel) -> impl Iterator<Item = crate::diagnostic::ResourceInfo> + '_ {
    model
        .databases
        .iter()
        .map(|db| rules::resource_info(&db.resource))
}

/// The directories of the inputs that are Terraform module files, and the inputs that are
/// Terragrunt configs.
fn terraform_inputs(inputs: &[Input]) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let dirs = inputs
        .iter()
        .filter(|input| terraform::modules::names_module(&input.path))
        .map(|input| match input.path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        })
        .collect();
    let configs = inputs
        .iter()
        .filter(|input| terraform::terragrunt::is_config(&input.path))
        .map(|input| input.path.clone())
        .collect();
    (dirs, configs)
}

/// Settles a job judged as soon as it was checked, with its files just read, and seals its
/// findings (its own and the verdict's, which point only into its files): the end of the run
/// holds neither them nor reads those files again. Not when a suppression or the baseline can
/// still hide a finding (`Judged::seal`).
fn settle_job(
    loaded: &mut terraform::Loaded,
    judged: &mut Judged,
    settings: &Settings,
    spool: &std::sync::Mutex<Spool>,
    origin: Origin,
) {
    if !sealable(settings, &loaded.suppressions) {
        return;
    }
    let mut files: BTreeMap<FileId, Arc<SourceFile>> =
        loaded.files.drain(..).map(|f| (f.id, f)).collect();
    let mut findings = std::mem::take(&mut judged.findings);
    findings.append(&mut loaded.findings);
    settle::settle(
        &mut findings,
        &mut [],
        &mut files,
        &Default::default(),
        None,
        settings.excerpts,
    );
    judged.findings = findings;
    judged.settled = true;
    judged.seal(
        &[],
        settings,
        |span| files.get(&span.file).map(|f| f.line_col(span.start)),
        &mut |sealed| spool_append(spool, sealed, origin),
    );
    loaded.files = files.into_values().collect();
}

/// One Terraform job (a root or a Terragrunt config) checked: its models kept for the end, or
/// judged at once (`Judged`) and dropped. `key`: the job's key in the plan (`Plan::keys`), its
/// scope's number and its findings' origin.
struct TerraformJob {
    key: u32,
    loaded: terraform::Loaded,
    judged: Option<Judged>,
}

/// Terraform: each directory holding a named or walked `.tf` file is a module; each
/// `terragrunt.hcl` is a config. Jobs are checked in parallel, each judged as soon as it is
/// checked when it links only inside itself; most roots are checked while the run is planned,
/// from what planning read of them (`terraform::plan`).
struct TerraformRun {
    plan: terraform::Plan,
    ids: std::sync::atomic::AtomicU32,
    /// By key (`Plan::keys`, ascending in the plan's order); a key that is no job's has none.
    jobs: Vec<Option<TerraformJob>>,
}

impl TerraformRun {
    fn load(
        inputs: &[Input],
        settings: &Settings,
        spool: &Option<std::sync::Mutex<Spool>>,
    ) -> Option<TerraformRun> {
        let (tf_dirs, configs) = terraform_inputs(inputs);
        if tf_dirs.is_empty() && configs.is_empty() {
            return None;
        }
        // An unsaved buffer (`--stdin-filename main.tf`) replaces that file in its module.
        let mut overrides: std::collections::HashMap<PathBuf, String> = inputs
            .iter()
            .filter_map(|i| Some((source::normalize(&i.path), i.text.clone()?)))
            .collect();
        overrides.extend(settings.overrides.clone());
        let ids = std::sync::atomic::AtomicU32::new(inputs.len() as u32);
        let (plan, checked) = terraform::plan(
            &tf_dirs,
            &configs,
            settings,
            overrides,
            &ids,
            |key, read, texts| {
                let scope = TerraformRun::scope(key);
                let loaded = terraform::check_scanned(read, settings, texts, &ids, scope);
                TerraformRun::judge(key, loaded, settings, spool)
            },
        );
        // By key: the jobs checked while planning, in their directories' places, and the
        // others run now in theirs (configs' places follow the directories').
        let mut jobs = checked;
        let places = plan.keys.last().map_or(0, |&k| k as usize + 1);
        if jobs.len() < places {
            jobs.resize_with(places, || None);
        }
        let todo: Vec<(usize, u32)> = plan
            .keys
            .iter()
            .enumerate()
            .filter(|(_, &key)| jobs[key as usize].is_none())
            .map(|(i, &key)| (i, key))
            .collect();
        let ran: Vec<TerraformJob> = todo
            .into_par_iter()
            .map(|(i, key)| {
                let loaded = TerraformRun::run(&plan, &ids, i, settings);
                TerraformRun::judge(key, loaded, settings, spool)
            })
            .collect();
        for job in ran {
            let key = job.key as usize;
            jobs[key] = Some(job);
        }
        // Checked as roots while planning, then found called by a directory read later.
        for (key, job) in jobs.iter_mut().enumerate() {
            if job.is_some() && plan.keys.binary_search(&(key as u32)).is_err() {
                *job = None;
                if let Some(spool) = spool {
                    let mut spool = spool.lock().unwrap_or_else(|e| e.into_inner());
                    spool.forget(Origin::Job(key as u32));
                }
            }
        }
        Some(TerraformRun { plan, ids, jobs })
    }

    fn scope(key: u32) -> model::ScopeId {
        model::ScopeId(TERRAFORM_SCOPES + key)
    }

    /// A job just checked, judged at once when it links only inside itself (and then settled
    /// and spooled with its texts in hand), its texts released.
    fn judge(
        key: u32,
        mut loaded: terraform::Loaded,
        settings: &Settings,
        spool: &Option<std::sync::Mutex<Spool>>,
    ) -> TerraformJob {
        let models: Vec<&FileModel> = loaded.models.iter().collect();
        let mut judged = settings
            .early_verdicts
            .then(|| Judged::of(&models, settings))
            .flatten();
        if let Some(judged) = &mut judged {
            loaded.models = Vec::new();
            if let Some(spool) = spool {
                settle_job(&mut loaded, judged, settings, spool, Origin::Job(key));
            }
        }
        loaded.release_texts();
        TerraformJob {
            key,
            loaded,
            judged,
        }
    }

    fn run(
        plan: &terraform::Plan,
        ids: &std::sync::atomic::AtomicU32,
        i: usize,
        settings: &Settings,
    ) -> terraform::Loaded {
        let scope = TerraformRun::scope(plan.keys[i]);
        terraform::run(&plan.jobs[i], settings, &plan.texts, ids, scope)
    }

    /// Checks the judged jobs that offer a name in `wanted` again, keeping their models;
    /// returns their keys.
    fn reopen(
        &mut self,
        wanted: &std::collections::HashSet<String>,
        settings: &Settings,
    ) -> Vec<u32> {
        let reopened: Vec<(usize, terraform::Loaded)> = self
            .jobs
            .par_iter()
            .flatten()
            .filter(|job| {
                job.judged
                    .as_ref()
                    .is_some_and(|j| j.offered.iter().any(|n| wanted.contains(n)))
            })
            .filter_map(|job| {
                let i = self.plan.keys.binary_search(&job.key).ok()?;
                let mut loaded = TerraformRun::run(&self.plan, &self.ids, i, settings);
                loaded.release_texts();
                Some((job.key as usize, loaded))
            })
            .collect();
        let mut keys = Vec::with_capacity(reopened.len());
        for (key, loaded) in reopened {
            self.jobs[key] = Some(TerraformJob {
                key: key as u32,
                loaded,
                judged: None,
            });
            keys.push(key as u32);
        }
        keys
    }
}

/// What the stages before the verdict gathered: the files findings can point into, the models
/// still to be judged, the databases of all (the summary counts them), suppressions, the
/// findings so far, and how many files were checked.
#[derive(Default)]
struct Gathered<'m> {
    files: BTreeMap<FileId, Arc<SourceFile>>,
    models: Vec<&'m FileModel>,
    databases: Vec<crate::diagnostic::ResourceInfo>,
    /// How many databases were checked (`databases` lists them when asked to).
    database_count: usize,
    suppressions: Vec<Suppression>,
    findings: Vec<Finding>,
    scanned: usize,
    /// Files settled already (judged and settled as soon as they were read).
    settled: std::collections::HashSet<FileId>,
    /// The findings sealed as they were judged (`Settings::spill_after`).
    spool: Option<crate::report::spill::Spool>,
}

/// The end of every run: link and judge the databases still to be judged, settle positions and
/// fixes (through `cache` when the run keeps one), apply suppressions, the `baseline` (unless
/// the caller applies it to several parts together) and severity overrides.
fn conclude(
    gathered: Gathered<'_>,
    settings: &Settings,
    cache: Option<&mut settle::Cache>,
    baseline: bool,
) -> Report {
    let Gathered {
        mut files,
        models,
        databases,
        database_count,
        suppressions,
        mut findings,
        scanned,
        settled,
        spool,
    } = gathered;
    let mut suppressions = suppressions;
    findings.extend(rules::evaluate(&models, settings.require_explicit));
    settle::settle(
        &mut findings,
        &mut suppressions,
        &mut files,
        &settled,
        cache,
        settings.excerpts,
    );
    let suppressions = &suppressions;
    let suppressed =
        suppression::apply(&mut findings, suppressions, settings.today, |span: Span| {
            files
                .get(&span.file)
                .map_or(0, |file| file.line_of(span.start))
        });
    let suppressed = suppressed
        + if baseline {
            hide_baselined(&mut findings, &files, settings)
        } else {
            0
        };
    findings.retain_mut(|finding| settings.apply_severity(finding));
    Report::new(
        files,
        findings,
        spool,
        scanned,
        databases,
        database_count,
        suppressed,
    )
}

/// Hides the findings the baseline lists, keyed on the file of the resource (else of the
/// finding), as reports show it; returns how many.
fn hide_baselined(
    findings: &mut Vec<Finding>,
    files: &BTreeMap<FileId, Arc<SourceFile>>,
    settings: &Settings,
) -> usize {
    settings.baseline.as_ref().map_or(0, |baseline| {
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
        baseline.hide(findings, &file_of)
    })
}
