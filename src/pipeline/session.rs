//! An incremental run for the language server: the same stages as `check`, with what each file
//! and each Terraform root gave kept between runs. A change (an unsaved buffer, a file saved
//! or changed on disk) drops only what it can affect: the file's own reading, the Terraform
//! roots that read it, and what settling it gave. A file or root that links only inside itself
//! is judged once, when it is read (`Judged`), and its verdict reused; the rest is linked and
//! judged again on each run, since a change in one file can change the verdict of a database
//! in another.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU32;
use std::sync::Arc;

use rayon::prelude::*;

use super::{
    conclude, infos, is_terraform, read, settle, stack_trees, Early, FileResult, Gathered, Input,
    Judged,
};
use crate::model::{FileModel, ScopeId};
use crate::report::Report;
use crate::settings::Settings;
use crate::source::{self, normalize, FileId, SourceFile};
use crate::terraform;

/// Terraform files get ids from here on, never reused (a root checked again gets new ones).
const TERRAFORM_IDS: u32 = 1 << 28;

pub struct Session {
    inputs: Vec<Input>,
    /// Normalized input path to index.
    index: HashMap<PathBuf, usize>,
    settings: Settings,
    /// What reading each non-Terraform input gave.
    reads: Vec<Option<Arc<FileResult>>>,
    /// The local module calls of each Terraform directory.
    calls: HashMap<PathBuf, Vec<PathBuf>>,
    /// What Terragrunt configs cover (their sources and directories), while no config changed.
    covered: Option<Vec<PathBuf>>,
    /// Each root or config checked, with its scope and what it read.
    jobs: HashMap<terraform::Job, Ran>,
    scopes: HashMap<terraform::Job, ScopeId>,
    ids: AtomicU32,
    settled: settle::Cache,
}

/// A Terraform job checked: what it gave, its verdict when it links only inside itself (see
/// `Judged`; its models are kept too, for when another file comes to name one of its names),
/// and what it read.
struct Ran {
    loaded: Arc<terraform::Loaded>,
    judged: Option<Judged>,
    reads: Reads,
}

/// The files a Terraform job read and their directories (a new file in one of them can join it).
struct Reads {
    files: HashSet<PathBuf>,
    dirs: HashSet<PathBuf>,
}

impl Session {
    pub fn new(inputs: Vec<Input>, settings: Settings) -> Session {
        let index = inputs
            .iter()
            .enumerate()
            .map(|(i, input)| (normalize(&input.path), i))
            .collect();
        Session {
            reads: vec![None; inputs.len()],
            inputs,
            index,
            settings,
            calls: HashMap::new(),
            covered: None,
            jobs: HashMap::new(),
            scopes: HashMap::new(),
            ids: AtomicU32::new(TERRAFORM_IDS),
            settled: settle::Cache::default(),
        }
    }

    pub fn inputs(&self) -> &[Input] {
        &self.inputs
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Whether `path` is one of the files this session checks.
    pub fn holds(&self, path: &Path) -> bool {
        self.index.contains_key(&normalize(path))
    }

    /// The text of an open buffer (`None`: the buffer closed, the file on disk counts again).
    pub fn set_text(&mut self, path: &Path, text: Option<String>) {
        let key = normalize(path);
        let same = self.settings.overrides.get(&key) == text.as_ref();
        if same {
            return;
        }
        match text {
            Some(text) => self.settings.overrides.insert(key.clone(), text),
            None => self.settings.overrides.remove(&key),
        };
        self.changed(&key);
    }

    /// A file changed on disk (saved, or changed by another program).
    pub fn changed_on_disk(&mut self, path: &Path) {
        self.changed(&normalize(path));
    }

    /// Drops what a change of `path` can affect.
    fn changed(&mut self, path: &Path) {
        if let Some(&i) = self.index.get(path) {
            self.reads[i] = None;
        }
        let dir = path
            .parent()
            .map(normalize)
            .unwrap_or_else(|| PathBuf::from("."));
        if terraform::modules::names_module(path) {
            self.calls.remove(&dir);
        }
        if terraform::terragrunt::is_config(path) || terraform::modules::names_module(path) {
            self.covered = None;
        }
        self.jobs
            .retain(|_, ran| !ran.reads.files.contains(path) && !ran.reads.dirs.contains(&dir));
        // Nested stacks read their children again on every run; nothing else to drop.
    }

    /// Checks every input, reusing what no change affected.
    pub fn check(&mut self) -> Report {
        let settings = &self.settings;
        let early = if settings.early_verdicts {
            Early::Keep
        } else {
            Early::Never
        };
        // Reading: the inputs whose reading was dropped, in parallel.
        let missing: Vec<usize> = (0..self.inputs.len())
            .filter(|&i| self.reads[i].is_none() && !is_terraform(&self.inputs[i].path))
            .collect();
        let fresh: Vec<(usize, FileResult)> = missing
            .par_iter()
            .map(|&i| {
                (
                    i,
                    read::read_file(FileId(i as u32), &self.inputs[i], settings, early),
                )
            })
            .collect();
        for (i, result) in fresh {
            self.reads[i] = Some(Arc::new(result));
        }
        let results: Vec<(FileId, Arc<FileResult>)> = self
            .reads
            .iter()
            .enumerate()
            .filter_map(|(i, r)| Some((FileId(i as u32), r.clone()?)))
            .collect();

        let mut files: BTreeMap<FileId, Arc<SourceFile>> = BTreeMap::new();
        let mut suppressions = Vec::new();
        let mut findings = Vec::new();
        let mut scanned = 0;
        let borrowed: Vec<(FileId, &FileResult)> =
            results.iter().map(|(id, r)| (*id, r.as_ref())).collect();
        let trees = stack_trees(&self.inputs, &borrowed, settings);
        // Each file's model (or its tree's), with its verdict when it was judged on its own.
        let mut candidates: Vec<(Option<FileId>, &FileModel, Option<&Judged>)> = Vec::new();
        for (id, result) in &results {
            scanned += usize::from(result.scanned);
            if let Some(source) = &result.source {
                files.insert(source.id, source.clone());
            }
            match &trees {
                Some(trees) if trees.models.contains_key(id) => {
                    candidates.push((None, &trees.models[id], None))
                }
                Some(trees) if trees.included.contains(id) => {}
                _ => candidates.push((Some(*id), &result.model, result.judged.as_ref())),
            }
            suppressions.extend(result.suppressions.iter().cloned());
            findings.extend(result.findings.iter().cloned());
        }
        for source in trees.iter().flat_map(|t| t.sources.iter()) {
            files.entry(source.id).or_insert_with(|| source.clone());
        }

        // Terraform: the roots as the calls say now, each checked again only when dropped.
        let dirs: Vec<PathBuf> = self
            .inputs
            .iter()
            .filter(|input| terraform::modules::names_module(&input.path))
            .map(|input| match input.path.parent() {
                Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
                _ => PathBuf::from("."),
            })
            .collect();
        let configs: Vec<PathBuf> = self
            .inputs
            .iter()
            .filter(|input| terraform::terragrunt::is_config(&input.path))
            .map(|input| input.path.clone())
            .collect();
        let (dirs, configs) = terraform::normalized(&dirs, &configs);
        let texts = terraform::texts_of(&settings.overrides);
        let unknown: Vec<&PathBuf> = dirs
            .iter()
            .filter(|d| !self.calls.contains_key(*d))
            .collect();
        let found: Vec<(PathBuf, Vec<PathBuf>)> = unknown
            .par_iter()
            .map(|dir| {
                let calls = terraform::local_calls(dir, &texts, settings.max_file_size);
                ((*dir).clone(), calls)
            })
            .collect();
        self.calls.extend(found);
        let covered = match &self.covered {
            Some(covered) => covered.clone(),
            None => configs
                .par_iter()
                .flat_map_iter(|path| terraform::config_covers(path, settings, &texts, &self.ids))
                .collect(),
        };
        self.covered = Some(covered.clone());
        let jobs = terraform::jobs(&dirs, &configs, &self.calls, &covered);
        for job in &jobs {
            if !self.scopes.contains_key(job) {
                let scope = ScopeId(super::TERRAFORM_SCOPES + self.scopes.len() as u32);
                self.scopes.insert(job.clone(), scope);
            }
        }
        let todo: Vec<(terraform::Job, ScopeId)> = jobs
            .iter()
            .filter(|job| !self.jobs.contains_key(*job))
            .map(|job| (job.clone(), self.scopes[job]))
            .collect();
        let ran: Vec<(terraform::Job, terraform::Loaded, Option<Judged>)> = todo
            .into_par_iter()
            .map(|(job, scope)| {
                let loaded = terraform::run(&job, settings, &texts, &self.ids, scope);
                let models: Vec<&FileModel> = loaded.models.iter().collect();
                let judged = settings
                    .early_verdicts
                    .then(|| Judged::of(&models, settings))
                    .flatten();
                (job, loaded, judged)
            })
            .collect();
        for (job, loaded, judged) in ran {
            let files: HashSet<PathBuf> = loaded.files.iter().map(|f| normalize(&f.path)).collect();
            let dirs = files
                .iter()
                .filter_map(|p| p.parent().map(normalize))
                .collect();
            let ran = Ran {
                loaded: Arc::new(loaded),
                judged,
                reads: Reads { files, dirs },
            };
            self.jobs.insert(job, ran);
        }
        let current: HashSet<&terraform::Job> = jobs.iter().collect();
        self.jobs.retain(|job, _| current.contains(job));
        for job in &jobs {
            let ran = &self.jobs[job];
            scanned += ran.loaded.files.len();
            for file in &ran.loaded.files {
                files.insert(file.id, file.clone());
            }
            for model in &ran.loaded.models {
                candidates.push((None, model, ran.judged.as_ref()));
            }
            suppressions.extend(ran.loaded.suppressions.iter().cloned());
            findings.extend(ran.loaded.findings.iter().cloned());
        }
        // A verdict reached alone stands unless a model judged with the rest names one of the
        // names it offers; then its models are judged with the rest (as `check` does).
        let wanted: HashSet<String> = candidates
            .iter()
            .filter(|(_, _, judged)| judged.is_none())
            .flat_map(|(_, model, _)| crate::rules::wanted_names(model))
            .collect();
        let mut models: Vec<&FileModel> = Vec::new();
        let mut databases = Vec::new();
        let mut used: HashSet<*const Judged> = HashSet::new();
        let mut settled = HashSet::new();
        for (id, model, judged) in candidates {
            match judged {
                Some(judged) if !judged.offered.iter().any(|n| wanted.contains(n)) => {
                    // A job's models share one verdict: taken once.
                    if used.insert(judged as *const Judged) {
                        findings.extend(judged.findings.iter().cloned());
                        databases.extend(judged.databases.iter().cloned());
                    }
                    // A template settled when it was read is not settled again.
                    if let (true, Some(id)) = (judged.settled, id) {
                        settled.insert(id);
                    }
                }
                _ => {
                    databases.extend(infos(model));
                    models.push(model);
                }
            }
        }
        conclude(
            Gathered {
                files,
                models,
                databases,
                suppressions,
                findings,
                scanned,
                settled,
            },
            settings,
            Some(&mut self.settled),
        )
    }
}

/// The text a session checks for `path`: its open buffer, else the file on disk.
pub fn text_of(session: &Session, path: &Path) -> Option<String> {
    if let Some(text) = session.settings.overrides.get(&normalize(path)) {
        return Some(text.clone());
    }
    let bytes = source::read_regular(path, session.settings.max_file_size).ok()?;
    source::decode(bytes).ok().map(|(text, _)| text)
}
