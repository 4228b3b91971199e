//! An incremental run for the language server: the same stages as `check`, with what each file
//! and each Terraform root gave kept between runs. A change (an unsaved buffer, a file saved
//! or changed on disk) drops only what it can affect: the file's own reading, the Terraform
//! roots that read it, and what settling it gave. A file or root that links only inside itself
//! is judged as soon as it is read and keeps no model, as in `check`.
//!
//! A run's findings come in parts (`Outcome`): the files and roots whose databases and groups
//! link to each other by name (a group in one template, the database in another) are judged
//! together, as one part, and every other file or root is a part of its own. A part whose
//! members are the same readings as in the last run is the same `Arc` as then, so that an edit
//! judges, settles and sorts again only the part it touches, and the server converts and
//! publishes only what changed. Joined into one report (`Outcome::report`), the parts give
//! what `check` gives.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;

use rayon::prelude::*;

use super::{
    conclude, infos, is_terraform, read, settle, stack_trees, Early, FileResult, Gathered, Input,
    Judged, StackTrees,
};
use crate::model::{FileModel, ScopeId};
use crate::report::Report;
use crate::settings::Settings;
use crate::source::{self, normalize, FileId};
use crate::terraform;

/// Terraform files get ids from here on, never reused (a root checked again gets new ones).
const TERRAFORM_IDS: u32 = 1 << 28;

pub struct Session {
    inputs: Vec<Input>,
    /// Normalized input path to index.
    index: HashMap<PathBuf, usize>,
    settings: Settings,
    /// What reading each non-Terraform input gave.
    reads: Vec<Option<Arc<Read>>>,
    /// The Terraform module directories and Terragrunt configs among the inputs (normalized).
    terraform_inputs: Option<(Vec<PathBuf>, Vec<PathBuf>)>,
    /// The local module calls of each Terraform directory.
    calls: HashMap<PathBuf, Vec<PathBuf>>,
    /// Directories whose calls may have changed (a module file in them changed).
    stale_calls: HashSet<PathBuf>,
    /// What Terragrunt configs cover (their sources and directories), while no config changed.
    covered: Option<Vec<PathBuf>>,
    /// The Terraform jobs (by number), while no call and no cover changed.
    plan: Option<Vec<usize>>,
    /// Every job seen, numbered in order (its scope follows from its number).
    job_numbers: HashMap<terraform::Job, usize>,
    job_list: Vec<terraform::Job>,
    /// What each job gave when it was last checked, by number (`None`: dropped).
    jobs: Vec<Option<Arc<Ran>>>,
    /// The jobs that read each file, and those that read a file in each directory.
    readers: HashMap<PathBuf, Vec<usize>>,
    dir_readers: HashMap<PathBuf, Vec<usize>>,
    ids: AtomicU32,
    /// Each reading and job gets a serial; a part is known by its members' serials.
    serials: AtomicU64,
    /// The parts of the last run, by their members' serials, with the run that last had each.
    parts: HashMap<Box<[u64]>, (Arc<Report>, u64)>,
    /// Runs so far.
    run: u64,
    settled: settle::Cache,
}

/// What reading one input gave, with the names by which it links to other files.
struct Read {
    serial: u64,
    result: FileResult,
    links: Links,
}

/// A Terraform job checked: what it gave, its verdict when it links only inside itself (see
/// `Judged`; its models are then dropped, and it is run again should another file come to
/// name one of its names), and what it read.
struct Ran {
    serial: u64,
    loaded: terraform::Loaded,
    judged: Option<Judged>,
    links: Links,
    reads: Reads,
}

/// The names a reading looks up in other files (none when it was judged alone) and those by
/// which others can find something in it (as the linker keys them).
#[derive(Default)]
struct Links {
    wanted: Vec<String>,
    offered: Vec<String>,
}

impl Links {
    fn of<'m>(models: impl Iterator<Item = &'m FileModel>, judged: Option<&Judged>) -> Links {
        if let Some(judged) = judged {
            return Links {
                wanted: Vec::new(),
                offered: judged.offered.clone(),
            };
        }
        let mut links = Links::default();
        for model in models {
            links.wanted.extend(crate::rules::wanted_names(model));
            links.offered.extend(crate::rules::offered_names(model));
        }
        links
    }
}

/// The files a Terraform job read and their directories (a new file in one of them can join it).
struct Reads {
    files: HashSet<PathBuf>,
    dirs: HashSet<PathBuf>,
}

/// What one run gives: its parts (each a report of its own files and findings, without the
/// summary's count of files scanned), in the order of their first file or root.
pub struct Outcome {
    pub parts: Vec<Arc<Report>>,
    pub files_scanned: usize,
}

impl Outcome {
    /// The parts joined into one report, as `check` gives it (the baseline, which counts
    /// findings across files, is applied here).
    pub fn report(&self, settings: &Settings) -> Report {
        let mut files = BTreeMap::new();
        let mut findings = Vec::new();
        let mut databases = Vec::new();
        let mut suppressed = 0;
        let mut database_count = 0;
        for part in &self.parts {
            database_count += part.summary.databases;
            files.extend(part.files.iter().map(|(id, f)| (*id, f.clone())));
            findings.extend(part.findings.in_memory().iter().cloned());
            databases.extend(part.databases.iter().cloned());
            suppressed += part.summary.suppressed;
        }
        suppressed += super::hide_baselined(&mut findings, &files, settings);
        let scanned = self.files_scanned;
        Report::new(
            files,
            findings,
            None,
            scanned,
            databases,
            database_count,
            suppressed,
        )
    }
}

/// One member of a part: a file read, the stack trees, or a Terraform job.
enum Unit<'a> {
    File(FileId, &'a Read),
    Trees(TreesUnit<'a>),
    Job(&'a Ran),
}

/// Every template of the run's stack trees, judged as one (a tree's findings point into its
/// templates, and templates can be in several trees).
struct TreesUnit<'a> {
    key: u64,
    members: Vec<&'a Read>,
    trees: &'a StackTrees,
    links: Links,
}

impl Unit<'_> {
    fn key(&self) -> u64 {
        match self {
            Unit::File(_, read) => read.serial,
            Unit::Trees(trees) => trees.key,
            Unit::Job(ran) => ran.serial,
        }
    }

    fn links(&self) -> &Links {
        match self {
            Unit::File(_, read) => &read.links,
            Unit::Trees(trees) => &trees.links,
            Unit::Job(ran) => &ran.links,
        }
    }

    fn judged(&self) -> Option<&Judged> {
        match self {
            Unit::File(_, read) => read.result.judged.as_ref(),
            Unit::Trees(_) => None,
            Unit::Job(ran) => ran.judged.as_ref(),
        }
    }

    /// The ids of the files it holds (what settling it may have cached).
    fn file_ids(&self) -> Vec<FileId> {
        match self {
            Unit::File(_, read) => read.result.source.iter().map(|s| s.id).collect(),
            Unit::Trees(trees) => trees
                .members
                .iter()
                .filter_map(|r| r.result.source.as_ref())
                .chain(&trees.trees.sources)
                .map(|s| s.id)
                .collect(),
            Unit::Job(ran) => ran.loaded.files.iter().map(|f| f.id).collect(),
        }
    }

    /// Adds what it gives to a part: its verdict when it is judged alone, else its models
    /// (a unit judged alone is in a part of its own: one that others name is reopened first).
    fn gather<'a>(&'a self, into: &mut Gathered<'a>, list: bool) {
        let verdict = self.judged();
        let mut models: Vec<&'a FileModel> = Vec::new();
        match self {
            Unit::File(id, read) => {
                let result = &read.result;
                add_result(into, result);
                if verdict.is_some_and(|j| j.settled) {
                    into.settled.insert(*id);
                }
                models.push(&result.model);
            }
            Unit::Trees(trees) => {
                for read in &trees.members {
                    add_result(into, &read.result);
                }
                for source in &trees.trees.sources {
                    into.files
                        .entry(source.id)
                        .or_insert_with(|| source.clone());
                }
                models.extend(trees.trees.models.values());
            }
            Unit::Job(ran) => {
                for file in &ran.loaded.files {
                    into.files.insert(file.id, file.clone());
                }
                into.suppressions
                    .extend(ran.loaded.suppressions.iter().cloned());
                into.findings.extend(ran.loaded.findings.iter().cloned());
                models.extend(&ran.loaded.models);
            }
        }
        match verdict {
            Some(judged) => {
                into.findings.extend(judged.findings.iter().cloned());
                into.databases.extend(judged.databases.iter().cloned());
                into.database_count += judged.database_count;
            }
            None => {
                for model in models {
                    into.database_count += model.databases.len();
                    if list {
                        into.databases.extend(infos(model));
                    }
                    into.models.push(model);
                }
            }
        }
    }
}

/// The scope of job number `job` (a job keeps its number, so its scope, for the session).
fn job_scope(job: usize) -> ScopeId {
    ScopeId(super::TERRAFORM_SCOPES + job as u32)
}

/// What a file read gives any part it is in: its source, suppressions and own findings.
fn add_result(into: &mut Gathered<'_>, result: &FileResult) {
    if let Some(source) = &result.source {
        into.files.insert(source.id, source.clone());
    }
    into.suppressions
        .extend(result.suppressions.iter().cloned());
    into.findings.extend(result.findings.iter().cloned());
}

/// Finds the sets of units that link to each other (union-find over indexes).
struct Sets(Vec<usize>);

impl Sets {
    fn find(&mut self, mut i: usize) -> usize {
        while self.0[i] != i {
            self.0[i] = self.0[self.0[i]];
            i = self.0[i];
        }
        i
    }

    fn join(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        if a != b {
            self.0[a.max(b)] = a.min(b);
        }
    }
}

impl Session {
    pub fn new(inputs: Vec<Input>, mut settings: Settings) -> Session {
        // Its reports go to an editor, which shows no snippets; and settling reuses files it
        // does not read again (`settle::Cache`).
        settings.excerpts = false;
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
            terraform_inputs: None,
            calls: HashMap::new(),
            stale_calls: HashSet::new(),
            covered: None,
            plan: None,
            job_numbers: HashMap::new(),
            job_list: Vec::new(),
            jobs: Vec::new(),
            readers: HashMap::new(),
            dir_readers: HashMap::new(),
            ids: AtomicU32::new(TERRAFORM_IDS),
            serials: AtomicU64::new(0),
            parts: HashMap::new(),
            run: 0,
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
            self.stale_calls.insert(dir.clone());
        }
        if terraform::terragrunt::is_config(path) || terraform::modules::names_module(path) {
            self.covered = None;
        }
        let readers = self.readers.get(path).into_iter().flatten();
        let dropped: Vec<usize> = readers
            .chain(self.dir_readers.get(&dir).into_iter().flatten())
            .copied()
            .collect();
        for job in dropped {
            self.set_ran(job, None);
        }
        // Nested stacks read their children again on every run; nothing else to drop.
    }

    fn serial(&self) -> u64 {
        self.serials.fetch_add(1, Ordering::Relaxed)
    }

    /// Reads the inputs whose reading was dropped, in parallel.
    fn read_missing(&mut self) {
        let settings = &self.settings;
        let early = if settings.early_verdicts {
            Early::Judge
        } else {
            Early::Never
        };
        let missing: Vec<usize> = (0..self.inputs.len())
            .filter(|&i| self.reads[i].is_none() && !is_terraform(&self.inputs[i].path))
            .collect();
        let fresh: Vec<(usize, FileResult)> = missing
            .par_iter()
            .map(|&i| {
                let id = FileId(i as u32);
                (i, read::read_file(id, &self.inputs[i], settings, early))
            })
            .collect();
        for (i, result) in fresh {
            let links = Links::of(std::iter::once(&result.model), result.judged.as_ref());
            self.reads[i] = Some(Arc::new(Read {
                serial: self.serial(),
                result,
                links,
            }));
        }
    }

    /// The Terraform jobs as the calls say now, each checked again only when dropped.
    fn run_terraform(&mut self) -> Vec<usize> {
        let settings = &self.settings;
        let inputs = &self.inputs;
        let (dirs, configs) = self.terraform_inputs.get_or_insert_with(|| {
            let (dirs, configs) = super::terraform_inputs(inputs);
            terraform::normalized(&dirs, &configs)
        });
        if dirs.is_empty() && configs.is_empty() {
            return Vec::new();
        }
        let texts = terraform::texts_of(&settings.overrides);
        // Calls found again where a module file changed; the plan stands if they are the same.
        let stale: Vec<PathBuf> = self.stale_calls.drain().collect();
        let unknown: Vec<&PathBuf> = dirs
            .iter()
            .filter(|d| !self.calls.contains_key(*d) || stale.contains(d))
            .collect();
        let found: Vec<(PathBuf, Vec<PathBuf>)> = unknown
            .par_iter()
            .map(|dir| {
                let calls = terraform::local_calls(dir, &texts, settings.max_file_size);
                ((*dir).clone(), calls)
            })
            .collect();
        for (dir, calls) in found {
            if self.calls.get(&dir) != Some(&calls) {
                self.calls.insert(dir, calls);
                self.plan = None;
            }
        }
        let covered = match &self.covered {
            Some(covered) => covered.clone(),
            None => {
                let covered: Vec<PathBuf> = configs
                    .par_iter()
                    .flat_map_iter(|path| {
                        terraform::config_covers(path, settings, &texts, &self.ids)
                    })
                    .collect();
                if self.plan.is_some() && self.covered.as_ref() != Some(&covered) {
                    self.plan = None;
                }
                covered
            }
        };
        self.covered = Some(covered.clone());
        let jobs = match &self.plan {
            Some(jobs) => jobs.clone(),
            None => {
                let found = terraform::jobs(dirs, configs, &self.calls, &covered);
                let mut numbers = Vec::with_capacity(found.len());
                for job in found {
                    let next = self.job_list.len();
                    let number = *self.job_numbers.entry(job.clone()).or_insert(next);
                    if number == next {
                        self.job_list.push(job);
                        self.jobs.push(None);
                    }
                    numbers.push(number);
                }
                // Jobs no longer in the plan are forgotten.
                let current: HashSet<usize> = numbers.iter().copied().collect();
                for job in 0..self.jobs.len() {
                    if !current.contains(&job) {
                        self.set_ran(job, None);
                    }
                }
                numbers
            }
        };
        self.plan = Some(jobs.clone());
        let settings = &self.settings;
        let todo: Vec<usize> = jobs
            .iter()
            .copied()
            .filter(|&job| self.jobs[job].is_none())
            .collect();
        let ran: Vec<(usize, terraform::Loaded, Option<Judged>)> = todo
            .into_par_iter()
            .map(|job| {
                let scope = job_scope(job);
                let mut loaded =
                    terraform::run(&self.job_list[job], settings, &texts, &self.ids, scope);
                loaded.release_texts();
                let models: Vec<&FileModel> = loaded.models.iter().collect();
                let judged = settings
                    .early_verdicts
                    .then(|| Judged::of(&models, settings))
                    .flatten();
                if judged.is_some() {
                    loaded.models = Vec::new();
                }
                (job, loaded, judged)
            })
            .collect();
        for (job, loaded, judged) in ran {
            let ran = self.ran(loaded, judged);
            self.set_ran(job, Some(Arc::new(ran)));
        }
        jobs
    }

    /// Records what job `job` gave (or that it was dropped), with the files it read.
    fn set_ran(&mut self, job: usize, ran: Option<Arc<Ran>>) {
        fn unlist(map: &mut HashMap<PathBuf, Vec<usize>>, path: &PathBuf, job: usize) {
            if let Some(jobs) = map.get_mut(path) {
                jobs.retain(|j| *j != job);
                if jobs.is_empty() {
                    map.remove(path);
                }
            }
        }
        if let Some(old) = self.jobs[job].take() {
            for file in &old.reads.files {
                unlist(&mut self.readers, file, job);
            }
            for dir in &old.reads.dirs {
                unlist(&mut self.dir_readers, dir, job);
            }
        }
        if let Some(ran) = &ran {
            for file in &ran.reads.files {
                self.readers.entry(file.clone()).or_default().push(job);
            }
            for dir in &ran.reads.dirs {
                self.dir_readers.entry(dir.clone()).or_default().push(job);
            }
        }
        self.jobs[job] = ran;
    }

    /// What job `job` gave in this run.
    fn ran_of(&self, job: usize) -> &Arc<Ran> {
        self.jobs[job]
            .as_ref()
            .expect("every job of the plan is checked")
    }

    fn ran(&self, loaded: terraform::Loaded, judged: Option<Judged>) -> Ran {
        let files: HashSet<PathBuf> = loaded.files.iter().map(|f| normalize(&f.path)).collect();
        let dirs = files
            .iter()
            .filter_map(|p| p.parent().map(normalize))
            .collect();
        let links = Links::of(loaded.models.iter(), judged.as_ref());
        Ran {
            serial: self.serial(),
            loaded,
            judged,
            links,
            reads: Reads { files, dirs },
        }
    }

    /// A file or job judged alone keeps no model; when another comes to name one of the names
    /// it offers, it is read (or run) again, keeping its model, to be judged with that one.
    fn reopen(&mut self, jobs: &[usize], wanted: &HashSet<String>) {
        let offers = |judged: &Option<Judged>| {
            judged
                .as_ref()
                .is_some_and(|j| j.offered.iter().any(|n| wanted.contains(n)))
        };
        let settings = &self.settings;
        let files: Vec<usize> = (0..self.reads.len())
            .filter(|&i| {
                self.reads[i]
                    .as_ref()
                    .is_some_and(|r| offers(&r.result.judged))
            })
            .collect();
        let read: Vec<(usize, FileResult)> = files
            .par_iter()
            .map(|&i| {
                let id = FileId(i as u32);
                (
                    i,
                    read::read_file(id, &self.inputs[i], settings, Early::Never),
                )
            })
            .collect();
        for (i, result) in read {
            let links = Links::of(std::iter::once(&result.model), None);
            self.reads[i] = Some(Arc::new(Read {
                serial: self.serial(),
                result,
                links,
            }));
        }
        let todo: Vec<usize> = jobs
            .iter()
            .copied()
            .filter(|&job| offers(&self.ran_of(job).judged))
            .collect();
        if todo.is_empty() {
            return;
        }
        let texts = terraform::texts_of(&settings.overrides);
        let ran: Vec<(usize, terraform::Loaded)> = todo
            .into_par_iter()
            .map(|job| {
                let scope = job_scope(job);
                let mut loaded =
                    terraform::run(&self.job_list[job], settings, &texts, &self.ids, scope);
                loaded.release_texts();
                (job, loaded)
            })
            .collect();
        for (job, loaded) in ran {
            let ran = self.ran(loaded, None);
            self.set_ran(job, Some(Arc::new(ran)));
        }
    }

    /// Checks every input, reusing what no change affected.
    pub fn check(&mut self) -> Outcome {
        self.read_missing();
        let jobs = self.run_terraform();
        // The names the files, trees and jobs not judged alone look up: a file or job judged
        // alone that offers one is read again with its model.
        let trees = {
            let borrowed: Vec<(FileId, &FileResult)> = (self.reads.iter().enumerate())
                .filter_map(|(i, r)| Some((FileId(i as u32), &r.as_ref()?.result)))
                .collect();
            stack_trees(&self.inputs, &borrowed, &self.settings)
        };
        let mut wanted: HashSet<String> = HashSet::new();
        let reads_wanted = self.reads.iter().flatten().map(|r| &r.links.wanted);
        let jobs_wanted = jobs.iter().map(|&job| &self.ran_of(job).links.wanted);
        for names in reads_wanted.chain(jobs_wanted) {
            wanted.extend(names.iter().cloned());
        }
        for model in trees.iter().flat_map(|t| t.models.values()) {
            wanted.extend(crate::rules::wanted_names(model));
        }
        if !wanted.is_empty() {
            self.reopen(&jobs, &wanted);
        }
        let settings = &self.settings;
        let reads: Vec<(FileId, Arc<Read>)> = self
            .reads
            .iter()
            .enumerate()
            .filter_map(|(i, r)| Some((FileId(i as u32), r.clone()?)))
            .collect();
        let rans: Vec<Arc<Ran>> = jobs.iter().map(|&job| self.ran_of(job).clone()).collect();
        let mut files_scanned = 0;

        // The units: each file read that gives something, the stack trees, each job.
        let mut units: Vec<Unit> = Vec::with_capacity(reads.len() + rans.len() + 1);
        let mut in_trees: Vec<&Read> = Vec::new();
        for (id, read) in &reads {
            let result = &read.result;
            files_scanned += usize::from(result.scanned);
            let in_tree = trees
                .as_ref()
                .is_some_and(|t| t.models.contains_key(id) || t.included.contains(id));
            if in_tree {
                in_trees.push(read);
            } else if result.source.is_some()
                || !result.model.is_empty()
                || !result.suppressions.is_empty()
                || !result.findings.is_empty()
                || result.judged.is_some()
            {
                units.push(Unit::File(*id, read));
            }
        }
        if let Some(trees) = &trees {
            use std::hash::{Hash, Hasher};
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            for read in &in_trees {
                read.serial.hash(&mut hasher);
            }
            units.push(Unit::Trees(TreesUnit {
                key: hasher.finish() | 1 << 63,
                members: in_trees,
                links: Links::of(trees.models.values(), None),
                trees,
            }));
        }
        for ran in &rans {
            files_scanned += ran.loaded.files.len();
            units.push(Unit::Job(ran));
        }

        // Units that link by a name some unit looks up are judged together.
        let mut sets = Sets((0..units.len()).collect());
        if !wanted.is_empty() {
            let mut first: HashMap<&str, usize> = HashMap::new();
            for (i, unit) in units.iter().enumerate() {
                let links = unit.links();
                for name in links.wanted.iter().chain(&links.offered) {
                    if let Some(name) = wanted.get(name) {
                        let j = *first.entry(name.as_str()).or_insert(i);
                        sets.join(i, j);
                    }
                }
            }
        }
        // A set's root is its first unit: the parts come in the order of their first unit, and
        // each part's units in theirs (so its key is the same while its members are).
        let n = units.len();
        let roots: Vec<usize> = (0..n).map(|i| sets.find(i)).collect();
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|&i| roots[i]);
        let mut groups: Vec<&[usize]> = Vec::new();
        let mut rest = order.as_slice();
        while let Some(&first) = rest.first() {
            let len = rest
                .iter()
                .take_while(|&&i| roots[i] == roots[first])
                .count();
            let (group, tail) = rest.split_at(len);
            groups.push(group);
            rest = tail;
        }
        let flat: Vec<u64> = order.iter().map(|&i| units[i].key()).collect();
        let mut at = 0;
        let keys: Vec<&[u64]> = groups
            .iter()
            .map(|g| {
                at += g.len();
                &flat[at - g.len()..at]
            })
            .collect();

        // Parts: the same members as in the last run give the same part; the rest are judged
        // and settled again, in parallel, each settling its own files.
        self.run += 1;
        let run = self.run;
        let mut todo: Vec<(usize, settle::Cache)> = Vec::new();
        for (g, key) in keys.iter().enumerate() {
            match self.parts.get_mut(*key) {
                Some((_, seen)) => *seen = run,
                None => {
                    let ids = groups[g].iter().flat_map(|&i| units[i].file_ids());
                    todo.push((g, self.settled.take(ids)));
                }
            }
        }
        let made: Vec<(usize, Report, settle::Cache)> = todo
            .into_par_iter()
            .map(|(g, mut cache)| {
                let members = groups[g];
                debug_assert!(
                    members.len() == 1 || members.iter().all(|&i| units[i].judged().is_none())
                );
                let mut gathered = Gathered::default();
                for &i in members {
                    units[i].gather(&mut gathered, settings.list_databases);
                }
                (
                    g,
                    conclude(gathered, settings, Some(&mut cache), false),
                    cache,
                )
            })
            .collect();
        let mut fresh_ids: HashSet<FileId> = HashSet::new();
        for (g, report, cache) in made {
            fresh_ids.extend(report.files.keys().copied());
            self.settled.merge(cache);
            self.parts.insert(keys[g].into(), (Arc::new(report), run));
        }
        // What settling the parts no longer in the run gave is forgotten.
        let settled = &mut self.settled;
        self.parts.retain(|_, (part, seen)| {
            if *seen != run {
                let gone = part.files.keys().filter(|id| !fresh_ids.contains(id));
                settled.forget(gone.copied());
            }
            *seen == run
        });
        let parts = keys.iter().map(|key| self.parts[*key].0.clone()).collect();
        Outcome {
            parts,
            files_scanned,
        }
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
