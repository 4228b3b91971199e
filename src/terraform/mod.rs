//! Terraform: modules of `.tf` / `.tf.json` files, variables and locals, local modules and plan
//! JSON, lowered into the same model as CloudFormation. A directory is one module; directories
//! that another scanned directory calls as a local module are checked through that call.

pub mod eval;
pub mod functions;
pub mod instance;
pub mod json;
pub mod lower;
pub mod modules;
pub mod plan;
pub mod references;
pub mod registry;
pub mod syntax;
pub mod targeted;
pub mod terragrunt;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::AtomicU32;
use std::sync::Arc;

use crate::diagnostic::{Finding, ResourceInfo};
use crate::model::{FileModel, ScopeId};
use crate::source::normalize;
use crate::source::SourceFile;
use crate::suppression::{self, Suppression};
use eval::Alts;
use instance::{default_value, Constants, Instance};
use modules::{Loader, Module};

pub struct Loaded {
    pub models: Vec<FileModel>,
    pub suppressions: Vec<Suppression>,
    pub findings: Vec<Finding>,
    /// The files read, with their texts until `release_texts`: a job settled as soon as it
    /// is judged settles with them in hand instead of reading them again.
    pub files: Vec<Arc<SourceFile>>,
}

impl Loaded {
    /// Drops the texts of the files read from disk (`SourceFile::released`): what is kept
    /// for the end of a run reads them again if it needs them.
    pub fn release_texts(&mut self) {
        for file in &mut self.files {
            *file = Arc::new(file.released());
        }
    }
}

/// What one root or Terragrunt config is checked as.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Job {
    /// A root module directory.
    Root(PathBuf),
    /// A `terragrunt.hcl`.
    Config(PathBuf),
}

/// The directories and configs of a check, normalized, sorted and without duplicates.
pub fn normalized(dirs: &[PathBuf], configs: &[PathBuf]) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let mut dirs: Vec<PathBuf> = dirs
        .iter()
        .map(|d| normalize(d))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    dirs.sort();
    let mut configs: Vec<PathBuf> = configs.iter().map(|c| normalize(c)).collect();
    configs.sort();
    configs.dedup();
    (dirs, configs)
}

/// The directories a config's checking covers: its local source and its own directory.
pub fn config_covers(
    config: &Path,
    settings: &crate::settings::Settings,
    texts: &HashMap<PathBuf, Arc<String>>,
    ids: &AtomicU32,
) -> Vec<PathBuf> {
    let mut loader = loader_for(settings, texts, ids);
    let source =
        terragrunt::load(&mut loader, config).and_then(|config| terragrunt::local_source(&config));
    source
        .into_iter()
        .chain(config.parent().map(normalize))
        .collect()
}

/// Which directories are roots: those no scanned directory calls with a local source and no
/// config covers, then, for directories only a cycle of calls reaches (`a` calls `../b`, `b`
/// calls `../a`), the first of each such group. Configs are jobs of their own.
pub fn jobs(
    dirs: &[PathBuf],
    configs: &[PathBuf],
    calls: &HashMap<PathBuf, Vec<PathBuf>>,
    covered: &[PathBuf],
) -> Vec<Job> {
    let mut called: HashSet<&PathBuf> = calls.values().flatten().collect();
    called.extend(covered);
    let mut roots: Vec<&PathBuf> = dirs.iter().filter(|d| !called.contains(d)).collect();
    let mut reached: HashSet<PathBuf> = HashSet::new();
    let reach = |from: &PathBuf, reached: &mut HashSet<PathBuf>| {
        let mut stack = vec![from.clone()];
        while let Some(dir) = stack.pop() {
            if reached.insert(dir.clone()) {
                stack.extend(calls.get(&dir).into_iter().flatten().cloned());
            }
        }
    };
    for root in &roots {
        reach(root, &mut reached);
    }
    for dir in covered {
        reach(dir, &mut reached);
    }
    for dir in dirs {
        if !reached.contains(dir) {
            reach(dir, &mut reached);
            roots.push(dir);
        }
    }
    roots.sort();
    roots
        .into_iter()
        .map(|d| Job::Root(d.clone()))
        .chain(configs.iter().map(|c| Job::Config(c.clone())))
        .collect()
}

/// Checks one job.
pub fn run(
    job: &Job,
    settings: &crate::settings::Settings,
    texts: &HashMap<PathBuf, Arc<String>>,
    ids: &AtomicU32,
    scope: ScopeId,
) -> Loaded {
    match job {
        Job::Root(dir) => check_root(dir, settings, texts, ids, scope),
        Job::Config(path) => check_config(path, settings, texts, ids, scope),
    }
}

/// Texts that replace files on disk, by normalized path, as the Terraform loaders read them.
pub fn texts_of(overrides: &HashMap<PathBuf, String>) -> HashMap<PathBuf, Arc<String>> {
    override_texts(overrides.clone())
}

/// Directories a module directory calls with a `./` or `../` source (see `Scanned::calls`).
pub fn local_calls(
    dir: &Path,
    texts: &HashMap<PathBuf, Arc<String>>,
    max_size: u64,
) -> Vec<PathBuf> {
    scan(dir, texts, max_size).calls
}

/// The jobs of a run over the modules in `dirs` and the Terragrunt configs in `configs`, and
/// the texts that replace files on disk. A directory another scanned directory calls with a
/// `./` or `../` source, or a config uses as its local source, is checked through that caller,
/// not as a root. Each job is checked with `run` (the caller runs them in parallel, each with
/// its own loader and scope), or was checked while planning (`plan`'s `leaf`).
pub struct Plan {
    pub jobs: Vec<Job>,
    /// Each job's key, in the jobs' order: a root's place among the sorted directories, a
    /// config's after them, so keys ascend (callers look them up by binary search). A key is
    /// known before the jobs are (`plan`'s `leaf` gets it).
    pub keys: Vec<u32>,
    pub texts: HashMap<PathBuf, Arc<String>>,
}

/// Plans a run (`Plan`). Each directory is read once to find the directories it calls; one
/// that calls none, that no config covers and that no directory read so far calls, is most
/// likely a root: `leaf` checks it from what was read (`check_scanned`), with its key, and
/// its result comes back at that key's place (one per directory). When a directory read
/// later calls it after all, its key is not among the jobs' and the caller drops that result.
pub fn plan<T: Send>(
    dirs: &[PathBuf],
    configs: &[PathBuf],
    settings: &crate::settings::Settings,
    overrides: HashMap<PathBuf, String>,
    ids: &AtomicU32,
    leaf: impl Fn(u32, modules::Preread, &HashMap<PathBuf, Arc<String>>) -> T + Sync,
) -> (Plan, Vec<Option<T>>) {
    use rayon::prelude::*;
    let (dirs, configs) = normalized(dirs, configs);
    let texts = override_texts(overrides);
    let covered: Vec<PathBuf> = configs
        .par_iter()
        .flat_map_iter(|path| config_covers(path, settings, &texts, ids))
        .collect();
    let covered_set: HashSet<&PathBuf> = covered.iter().collect();
    let called = std::sync::Mutex::new(HashSet::<PathBuf>::new());
    let (called_by, checked): (Vec<Vec<PathBuf>>, Vec<Option<T>>) = dirs
        .par_iter()
        .enumerate()
        .with_max_len(crate::source::FILES_PER_TASK)
        .map(|(key, dir)| {
            let scanned = scan(dir, &texts, settings.max_file_size);
            let calls = scanned.calls;
            let mut known = called.lock().unwrap_or_else(|e| e.into_inner());
            known.extend(calls.iter().cloned());
            let alone = calls.is_empty() && !covered_set.contains(dir) && !known.contains(dir);
            drop(known);
            let checked = alone.then(|| leaf(key as u32, scanned.read, &texts));
            (calls, checked)
        })
        .unzip();
    // Only directories that call another: most call none, and all their results are held now.
    let calls: HashMap<PathBuf, Vec<PathBuf>> = dirs
        .iter()
        .zip(called_by)
        .filter(|(_, to)| !to.is_empty())
        .map(|(dir, to)| (dir.clone(), to))
        .collect();
    let jobs = jobs(&dirs, &configs, &calls, &covered);
    let keys = jobs
        .iter()
        .map(|job| match job {
            Job::Root(dir) => dirs.binary_search(dir).unwrap_or_default() as u32,
            Job::Config(path) => {
                (dirs.len() + configs.binary_search(path).unwrap_or_default()) as u32
            }
        })
        .collect();
    (Plan { jobs, keys, texts }, checked)
}

fn loader_for<'c>(
    settings: &'c crate::settings::Settings,
    texts: &'c HashMap<PathBuf, Arc<String>>,
    ids: &'c AtomicU32,
) -> Loader<'c> {
    let mut loader = Loader::new(settings.base.as_path(), ids, texts);
    loader.max_file_size = settings.max_file_size;
    loader.max_nesting = settings.max_nesting;
    loader.targeted = settings.targeted_parsing;
    loader
}

/// One root module and the local modules it calls.
fn check_root(
    dir: &Path,
    settings: &crate::settings::Settings,
    texts: &HashMap<PathBuf, Arc<String>>,
    ids: &AtomicU32,
    scope: ScopeId,
) -> Loaded {
    check_root_with(loader_for(settings, texts, ids), dir, settings, scope)
}

fn check_root_with(
    mut loader: Loader<'_>,
    dir: &Path,
    settings: &crate::settings::Settings,
    scope: ScopeId,
) -> Loaded {
    let cwd = settings.base.as_path();
    let module = loader.module(dir);
    let inputs = root_inputs(&mut loader, &module, &settings.var_files, None);
    let display = Arc::from(crate::source::display_path(&module.dir, cwd));
    let dir = module.dir.clone();
    let model = instantiate_root(&mut loader, module, inputs, (&dir, display), scope);
    finish(loader, model)
}

/// A root checked from what its planning read (`Scanned`): the same as `run` for
/// `Job::Root(dir)`, without listing the directory or reading its files again.
pub fn check_scanned(
    read: modules::Preread,
    settings: &crate::settings::Settings,
    texts: &HashMap<PathBuf, Arc<String>>,
    ids: &AtomicU32,
    scope: ScopeId,
) -> Loaded {
    let dir = read.dir.clone();
    let mut loader = loader_for(settings, texts, ids);
    loader.preread = Some(read);
    check_root_with(loader, &dir, settings, scope)
}

/// A Terragrunt config: the module at its local source checked as a root with its inputs, or
/// a registry source read through the model, named by the config's directory.
fn check_config(
    path: &Path,
    settings: &crate::settings::Settings,
    texts: &HashMap<PathBuf, Arc<String>>,
    ids: &AtomicU32,
    scope: ScopeId,
) -> Loaded {
    let cwd = settings.base.as_path();
    let mut loader = loader_for(settings, texts, ids);
    let mut model = FileModel::default();
    let Some(config) = terragrunt::load(&mut loader, path) else {
        return finish(loader, model);
    };
    let display = terragrunt::name(&config, cwd);
    match (terragrunt::local_source(&config), &config.source) {
        (Some(dir), _) => {
            let module = loader.module(&dir);
            let variables: Vec<&str> = module
                .blocks("variable")
                .filter_map(|(_, v)| v.label(0))
                .collect();
            let given = terragrunt::inputs_for(&config, &variables);
            let inputs = root_inputs(&mut loader, &module, &settings.var_files, Some(given));
            model = instantiate_root(&mut loader, module, inputs, (&config.dir, display), scope);
        }
        (None, Some((source, source_span))) => {
            let header = config.header.unwrap_or(*source_span);
            // Terragrunt passes inputs as `TF_VAR_…`, which Terraform ignores for variables a
            // module does not declare: only the module's own inputs are arguments.
            let site = registry::Site {
                address: display.to_string(),
                source,
                version: None,
                header,
                span: header,
                source_span: *source_span,
                arguments: registry::declared(source, &config.keys),
            };
            let names: Vec<String> = config.keys.keys().cloned().collect();
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            let copies = vec![registry::Copy {
                args: terragrunt::inputs_for(&config, &names),
                branch: Default::default(),
                implied: Default::default(),
            }];
            match registry::call(site, copies) {
                instance::Child::Modelled(call) => {
                    registry::lower(Ok(&call), scope, None, &mut model)
                }
                instance::Child::Opaque(call) => {
                    registry::lower(Err(&call), scope, None, &mut model)
                }
                _ => {}
            }
        }
        (None, None) => {}
    }
    finish(loader, model)
}

/// Instantiates a root module and lowers its instance tree; `root` is the directory findings
/// name (the module's own, or a Terragrunt config's) and its display path.
fn instantiate_root(
    loader: &mut Loader<'_>,
    module: Rc<Module>,
    inputs: HashMap<String, Alts>,
    (root, display): (&Path, Arc<str>),
    scope: ScopeId,
) -> FileModel {
    let dir = module.dir.clone();
    let instance = loader.instantiate(
        module,
        String::new(),
        String::new(),
        inputs,
        Default::default(),
        &dir,
        std::slice::from_ref(&dir),
    );
    let mut model = FileModel::default();
    let root = Root { dir: root, display };
    lower_all(&instance, scope, &root, &mut model);
    lower::merge_copies(&mut model);
    model
}

/// A root's files, suppressions and findings, once its model is lowered.
fn finish(mut loader: Loader<'_>, model: FileModel) -> Loaded {
    let files: Vec<Arc<SourceFile>> = loader.files.borrow().values().cloned().collect();
    let mut findings = std::mem::take(&mut loader.findings);
    let mut suppressions = Vec::new();
    for file in &files {
        if !modules::is_terraform_file(&file.path)
            || !suppression::mentions_suppression(file.text())
        {
            continue;
        }
        let resources = resources_in(file);
        suppressions.extend(suppression::from_comments(
            file,
            &resources,
            &["#", "//"],
            &mut findings,
        ));
    }
    // Texts are kept until the caller settles or keeps the job (`Loaded::release_texts`).
    Loaded {
        models: vec![model],
        suppressions,
        findings,
        files,
    }
}

/// Whether a module directory lies inside a root's (both normalized; `.` holds every relative
/// path that does not climb out).
fn within(dir: &Path, root: &Path) -> bool {
    if root == Path::new(".") {
        dir.is_relative() && !dir.starts_with("..")
    } else {
        dir.starts_with(root)
    }
}

/// The root module a tree of instances is checked from, as findings name it.
struct Root<'d> {
    dir: &'d Path,
    display: Arc<str>,
}

fn lower_all(instance: &Instance, scope: ScopeId, root: &Root<'_>, model: &mut FileModel) {
    // A module outside the root (`source = "../../"`, an installed module) may be checked from
    // several roots: its findings say which.
    let outside = !within(&instance.module.dir, root.dir);
    lower::lower(instance, scope, outside.then_some(&root.display), model);
    let context = outside.then_some(&root.display);
    for child in instance.children.borrow().values() {
        match child {
            instance::Child::Local(instances) => {
                for (_, child) in instances {
                    lower_all(child, scope, root, model);
                }
            }
            instance::Child::Modelled(call) => registry::lower(Ok(call), scope, context, model),
            instance::Child::Opaque(call) => registry::lower(Err(call), scope, context, model),
            instance::Child::Unread(_) | instance::Child::Absent => {}
        }
    }
}

/// The texts that replace files on disk (unsaved buffers, fixes being tried), by normalized
/// path. Files on disk are read by the loaders, one module at a time.
fn override_texts(overrides: HashMap<PathBuf, String>) -> HashMap<PathBuf, Arc<String>> {
    overrides
        .into_iter()
        .map(|(path, text)| (normalize(&path), Arc::new(text)))
        .collect()
}

/// The lines of `text` that hold `source`, each once, as `str::lines` gives them: found by a
/// vectorized search, not by reading every line.
fn lines_naming_source(text: &str) -> impl Iterator<Item = &str> {
    static SOURCE: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"source"));
    let bytes = text.as_bytes();
    let mut after = 0;
    SOURCE.find_iter(bytes).filter_map(move |at| {
        if at < after {
            return None;
        }
        let start = memchr::memrchr(b'\n', &bytes[..at]).map_or(0, |n| n + 1);
        let (end, broken) = match memchr::memchr(b'\n', &bytes[at..]) {
            Some(n) => (at + n, true),
            None => (bytes.len(), false),
        };
        after = end;
        let line = &text[start..end];
        Some(match broken {
            true => line.strip_suffix('\r').unwrap_or(line),
            false => line,
        })
    })
}

/// A module directory as its planning read it: its listing, the texts of its module files
/// read from disk (those that decoded; the loader reads the others again and reports why),
/// and the directories it calls with a `./` or `../` source. A root that calls none is checked
/// from these texts at once (`check_scanned`): its files are not read a second time.
pub struct Scanned {
    pub read: modules::Preread,
    /// Found by scanning text (no parse): `source = "./db"` in `.tf`, `"source": "./db"` in
    /// `.tf.json`. A module that calls itself is still a root; the loop is cut when it is
    /// instantiated.
    pub calls: Vec<PathBuf>,
}

/// Reads and scans one module directory (`Scanned`).
pub fn scan(dir: &Path, texts: &HashMap<PathBuf, Arc<String>>, max_size: u64) -> Scanned {
    let dir = normalize(dir);
    let listing = modules::listing(&dir, texts);
    let mut read = HashMap::new();
    let mut calls = Vec::new();
    for path in &listing.0 {
        if let Some(text) = texts.get(&normalize(path)) {
            calls.extend(local_calls_in(&dir, text));
            continue;
        }
        let Ok(crate::source::Limited::Whole(bytes)) = crate::source::read_limited(path, max_size)
        else {
            continue;
        };
        if let Ok(decoded) = crate::source::decode(bytes) {
            calls.extend(local_calls_in(&dir, &decoded.0));
            read.insert(path.clone(), decoded);
        }
    }
    let (files, tfvars) = listing;
    Scanned {
        read: modules::Preread {
            dir,
            files,
            tfvars,
            texts: read,
        },
        calls,
    }
}

/// The `./` and `../` sources one module file of `dir` names.
fn local_calls_in<'t>(dir: &'t Path, text: &'t str) -> impl Iterator<Item = PathBuf> + 't {
    lines_naming_source(text).filter_map(move |line| {
        let line = line.trim_start().trim_start_matches('"');
        let rest = line.strip_prefix("source")?;
        let rest = rest.trim_start_matches('"').trim_start();
        let rest = rest.strip_prefix(['=', ':'])?;
        let value = rest
            .trim()
            .strip_prefix('"')
            .and_then(|v| v.split('"').next())?;
        if !(value.starts_with("./") || value.starts_with("../")) {
            return None;
        }
        let target = normalize(&dir.join(value));
        (target != dir).then_some(target)
    })
}

/// Root variable values as Terraform takes them: defaults, then `terraform.tfvars`,
/// `terraform.tfvars.json`, `*.auto.tfvars(.json)` in name order, then `--var-file`s in order.
/// `terragrunt`: the values a Terragrunt config gives (as `TF_VAR_…`, over the defaults and
/// under the tfvars files); its runs set variables only so, so defaults are not overridden
/// at plan time either.
fn root_inputs(
    loader: &mut Loader,
    module: &Module,
    var_files: &[PathBuf],
    terragrunt: Option<HashMap<String, Alts>>,
) -> HashMap<String, Alts> {
    let mut inputs = HashMap::new();
    let overridable = terragrunt.is_none();
    let mut given = terragrunt.unwrap_or_default();
    for (_, variable) in module.blocks("variable") {
        if let Some(name) = variable.label(0) {
            if let Some(alts) = given.remove(name) {
                inputs.insert(name.to_string(), alts);
                continue;
            }
            // A root default can be overridden at plan time: conditions on it stay branches.
            let mut alts = default_value(variable, name);
            for a in &mut alts {
                a.soft = overridable;
            }
            inputs.insert(name.to_string(), alts);
        }
    }
    // The directory's own variable files were found when its files were listed.
    let given_files = var_files.iter().filter(|p| p.is_file());
    for path in module.tfvars.iter().chain(given_files) {
        let Some(source) = loader.read(path) else {
            continue;
        };
        let values: Result<Vec<(String, syntax::Expr)>, _> =
            if path.to_string_lossy().ends_with(".json") {
                crate::tree::json::parse(source.text(), source.id)
                    .map(|root| {
                        root.map()
                            .unwrap_or(&[])
                            .iter()
                            .map(|e| (e.key.clone(), json::expr(&e.value)))
                            .collect()
                    })
                    .map_err(|e| (e.message, e.span))
            } else {
                syntax::parse(source.text(), source.id).map(|body| {
                    body.attributes
                        .into_iter()
                        .map(|a| (a.key, a.value))
                        .collect()
                })
            };
        match values {
            Ok(values) => {
                for (name, expr) in values {
                    if inputs.contains_key(&name) {
                        inputs.insert(name, Constants.eval(&expr));
                    }
                }
            }
            Err((message, span)) => loader
                .findings
                .push(Finding::parse_error(message, span, None)),
        }
    }
    inputs
}

/// The resource blocks of one file, as suppressions name them.
fn resources_in(file: &SourceFile) -> Vec<ResourceInfo> {
    let body = if file.path.to_string_lossy().ends_with(".json") {
        json::parse(file.text(), file.id).ok()
    } else {
        syntax::parse(file.text(), file.id).ok()
    };
    body.map(|body| {
        body.blocks("resource")
            .filter_map(|b| {
                Some(ResourceInfo {
                    name: format!("{}.{}", b.label(0)?, b.label(1)?),
                    type_name: b.label(0)?.to_string(),
                    header: b.header,
                    span: b.span,
                    context: None,
                })
            })
            .collect()
    })
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Planning checks a directory that calls none as a root at once; one a directory read
    /// after it calls is not a job, so its caller drops what was checked.
    #[test]
    fn a_directory_checked_while_planning_is_dropped_when_one_read_later_calls_it() {
        let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/terraform");
        let shared = base.join("examples-sharing-a-module");
        let dirs = [
            shared.clone(),
            shared.join("examples/complete"),
            shared.join("examples/simple"),
            base.join("variables-tfvars"),
        ];
        let settings = crate::settings::Settings::default();
        let ids = AtomicU32::new(0);
        // One worker: the directories are read in order, the shared module first.
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let (plan, checked) = pool.install(|| {
            plan(
                &dirs,
                &[],
                &settings,
                HashMap::new(),
                &ids,
                |key, read, _| (key, read.dir, read.texts.len()),
            )
        });
        let checked: Vec<(u32, PathBuf, usize)> = checked.into_iter().flatten().collect();
        assert_eq!(
            checked,
            [
                (0, shared.clone(), 1),
                (3, base.join("variables-tfvars"), 1)
            ],
            "each directory that calls none, with the texts read of it"
        );
        assert_eq!(
            plan.jobs,
            [
                Job::Root(shared.join("examples/complete")),
                Job::Root(shared.join("examples/simple")),
                Job::Root(base.join("variables-tfvars")),
            ]
        );
        assert_eq!(
            plan.keys,
            [1, 2, 3],
            "the shared module's key 0 is not a job's"
        );
    }

    proptest::proptest! {
        #[test]
        fn the_lines_naming_source_are_those_of_str_lines(
            text in "(source|sour|ce|\r|\n|x|\"| |=|é){0,40}",
        ) {
            let fast: Vec<&str> = super::lines_naming_source(&text).collect();
            let lines: Vec<&str> = text.lines().filter(|l| l.contains("source")).collect();
            proptest::prop_assert_eq!(fast, lines);
        }
    }
}
