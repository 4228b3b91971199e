//! Modules: a directory's `.tf`/`.tf.json` files read and parsed once (`Loader`), and
//! instantiated with the variable values its caller passes (or the root's defaults and tfvars),
//! following local child modules and the copies `terraform init` leaves under
//! `.terraform/modules`. An instance's values live in `instance.rs`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

use super::eval::{Alts, Bindings, Kind, LocalCache, V};
use super::instance::{default_value, Child, Files, Instance};
use super::references::elements;
use super::registry;
use super::syntax::{Body, ExprKind};
use crate::diagnostic::Finding;
use crate::model::Branch;
use crate::source::{normalize, Encoding, FileId, SourceFile, Span};

/// How deep local module calls are followed.
const MAX_MODULE_DEPTH: usize = 32;

pub struct ModuleFile {
    pub source: Arc<SourceFile>,
    pub body: Body,
}

pub struct Module {
    pub dir: PathBuf,
    pub files: Vec<ModuleFile>,
    /// The variable files Terraform reads by itself in this directory when it is a root, in
    /// its order (`listing`).
    pub tfvars: Vec<PathBuf>,
    /// Where each name is declared, so a reference is one lookup, not a scan of the module.
    index: Index,
}

/// (file, block) positions by name; locals also by attribute.
#[derive(Default)]
struct Index {
    /// `type.name` for resources, `data.type.name` for data sources.
    resources: HashMap<String, (usize, usize)>,
    locals: HashMap<String, (usize, usize, usize)>,
    outputs: HashMap<String, (usize, usize)>,
}

impl Module {
    pub fn new(dir: PathBuf, files: Vec<ModuleFile>) -> Module {
        let mut index = Index::default();
        for (f, file) in files.iter().enumerate() {
            for (b, block) in file.body.blocks.iter().enumerate() {
                let (first, second) = (block.label(0), block.label(1));
                match (block.kind.as_str(), first, second) {
                    ("resource", Some(kind), Some(name)) => {
                        index
                            .resources
                            .entry(format!("{kind}.{name}"))
                            .or_insert((f, b));
                    }
                    ("data", Some(kind), Some(name)) => {
                        index
                            .resources
                            .entry(format!("data.{kind}.{name}"))
                            .or_insert((f, b));
                    }
                    ("output", Some(name), _) => {
                        index.outputs.entry(name.to_string()).or_insert((f, b));
                    }
                    ("locals", ..) => {
                        for (a, attribute) in block.body.attributes.iter().enumerate() {
                            index
                                .locals
                                .entry(attribute.key.clone())
                                .or_insert((f, b, a));
                        }
                    }
                    _ => {}
                }
            }
        }
        Module {
            dir,
            files,
            tfvars: Vec::new(),
            index,
        }
    }

    /// A `resource` (`mode` "") or `data` (`mode` "data.") block by type and name.
    pub fn resource(&self, mode: &str, kind: &str, name: &str) -> Option<&super::syntax::Block> {
        let &(f, b) = self.index.resources.get(&format!("{mode}{kind}.{name}"))?;
        Some(&self.files[f].body.blocks[b])
    }

    /// The attribute of a `locals` block that declares `name`.
    pub fn local(&self, name: &str) -> Option<&super::syntax::Attribute> {
        let &(f, b, a) = self.index.locals.get(name)?;
        Some(&self.files[f].body.blocks[b].body.attributes[a])
    }

    pub fn output(&self, name: &str) -> Option<&super::syntax::Block> {
        let &(f, b) = self.index.outputs.get(name)?;
        Some(&self.files[f].body.blocks[b])
    }

    pub fn blocks<'m>(
        &'m self,
        kind: &'m str,
    ) -> impl Iterator<Item = (&'m ModuleFile, &'m super::syntax::Block)> + 'm {
        self.files
            .iter()
            .flat_map(move |file| file.body.blocks(kind).map(move |block| (file, block)))
    }
}

/// Reads module directories once each, allocating file ids and collecting parse errors.
/// A module directory listed, and its module files read, before its loader ran (the run's
/// planning: `super::scan`). Texts are taken as they are used.
pub struct Preread {
    pub dir: PathBuf,
    pub files: Vec<PathBuf>,
    pub tfvars: Vec<PathBuf>,
    pub texts: HashMap<PathBuf, (String, Encoding)>,
}

pub struct Loader<'c> {
    pub cwd: &'c Path,
    /// File ids, shared by the loaders working in parallel.
    ids: &'c std::sync::atomic::AtomicU32,
    /// Parse only the blocks the verdict reads (see `targeted::relevant_only`).
    pub targeted: bool,
    pub files: Files,
    pub findings: Vec<Finding>,
    /// Module files already read, by normalized path: unsaved buffers and fix candidates, and
    /// every file of the scanned directories (read once, shared by all loaders).
    texts: &'c HashMap<PathBuf, Arc<String>>,
    pub max_file_size: u64,
    pub max_nesting: usize,
    cache: HashMap<PathBuf, Rc<Module>>,
    /// What was read of the root's directory before (`Preread`).
    pub preread: Option<Preread>,
    /// Module instances made for the current root, and whether the bound was reported.
    pub instances: usize,
    bound_reported: bool,
}

/// Most module instances one root may have (12 levels each calling the next three times
/// would be 177,147).
pub const MAX_INSTANCES: usize = 10_000;

impl<'c> Loader<'c> {
    pub fn new(
        cwd: &'c Path,
        ids: &'c std::sync::atomic::AtomicU32,
        texts: &'c HashMap<PathBuf, Arc<String>>,
    ) -> Loader<'c> {
        Loader {
            cwd,
            ids,
            targeted: true,
            files: Rc::new(RefCell::new(HashMap::new())),
            findings: Vec::new(),
            texts,
            max_file_size: crate::settings::DEFAULT_MAX_FILE_SIZE,
            max_nesting: crate::settings::DEFAULT_MAX_NESTING,
            cache: HashMap::new(),
            preread: None,
            instances: 0,
            bound_reported: false,
        }
    }

    /// Reads a file into the table (for tfvars and module files).
    pub fn read(&mut self, path: &Path) -> Option<Arc<SourceFile>> {
        let preread = self.preread.as_mut().and_then(|p| p.texts.remove(path));
        if let Some((text, encoding)) = preread {
            return Some(self.allocate(path, |id, path, display| {
                SourceFile::new(id, path, display, Arc::new(text), encoding).on_disk()
            }));
        }
        if let Some(text) = self.texts.get(&normalize(path)) {
            let text = text.clone();
            return Some(self.allocate(path, |id, path, display| {
                SourceFile::new(id, path, display, text, Encoding::Utf8)
            }));
        }
        let bytes = match crate::source::read_limited(path, self.max_file_size) {
            Ok(crate::source::Limited::Whole(bytes)) => Ok(bytes),
            Ok(crate::source::Limited::TooLarge { size, .. }) => {
                let source = self.allocate(path, |id, path, display| {
                    SourceFile::new(id, path, display, Arc::default(), Encoding::Utf8)
                });
                self.findings.push(Finding::parse_error(
                    crate::source::too_large_message(size, self.max_file_size),
                    Span::new(source.id, 0, 0),
                    None,
                ));
                return None;
            }
            Err(error) => Err(error),
        };
        let (text, encoding) = match bytes.map(crate::source::decode) {
            Ok(Ok(decoded)) => decoded,
            Ok(Err((bytes, at))) => {
                let lossy = String::from_utf8_lossy(&bytes).into_owned();
                let at = at.min(lossy.len());
                let source = self.allocate(path, |id, path, display| {
                    SourceFile::new(id, path, display, Arc::new(lossy), Encoding::Utf8)
                });
                self.findings.push(Finding::parse_error(
                    format!("the file is not valid UTF-8 (byte {at})"),
                    Span::new(source.id, at, at),
                    None,
                ));
                return None;
            }
            Err(error) => {
                // A module file that cannot be read (a FIFO, a device, no permission) is
                // reported, never skipped.
                let source = self.allocate(path, |id, path, display| {
                    SourceFile::new(id, path, display, Arc::default(), Encoding::Utf8)
                });
                let mut finding = Finding::new(
                    crate::diagnostic::RuleId::IoError,
                    format!("cannot read this file: {error}"),
                    crate::diagnostic::Label::new(Span::new(source.id, 0, 0), "here"),
                );
                finding.help =
                    Some("make it a readable regular file; until then it is not checked".into());
                self.findings.push(finding);
                return None;
            }
        };
        Some(self.allocate(path, |id, path, display| {
            SourceFile::new(id, path, display, Arc::new(text), encoding).on_disk()
        }))
    }

    /// Gives the file an id and a place in the table; `make` builds it from id, path and
    /// display path.
    fn allocate(
        &mut self,
        path: &Path,
        make: impl FnOnce(FileId, PathBuf, String) -> SourceFile,
    ) -> Arc<SourceFile> {
        let id = FileId(self.ids.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
        let display = crate::source::display_path(path, self.cwd);
        let source = Arc::new(make(id, path.to_path_buf(), display));
        self.files.borrow_mut().insert(id, source.clone());
        source
    }

    pub fn module(&mut self, dir: &Path) -> Rc<Module> {
        let dir = normalize(dir);
        if let Some(module) = self.cache.get(&dir) {
            return module.clone();
        }
        let (paths, tfvars) = match self.preread.as_mut().filter(|p| p.dir == dir) {
            Some(read) => (
                std::mem::take(&mut read.files),
                std::mem::take(&mut read.tfvars),
            ),
            None => listing(&dir, self.texts),
        };
        let sources: Vec<(PathBuf, Arc<SourceFile>)> = paths
            .into_iter()
            .filter_map(|path| Some((path.clone(), self.read(&path)?)))
            .collect();
        // Locals nothing in the module refers to are not parsed (targeted reading).
        let referenced = super::targeted::referenced_locals(sources.iter().map(|(_, s)| s.text()));
        let mut files = Vec::new();
        for (path, source) in sources {
            let nesting = crate::source::nesting_error(source.text(), source.id, self.max_nesting);
            if let Some((message, span)) = nesting {
                self.findings
                    .push(Finding::parse_error(message, span, None));
                continue;
            }
            let parsed = if is_json_module_file(&path) {
                super::json::parse(source.text(), source.id)
            } else {
                // Blocks the verdict never reads are cut out (positions mapped back); if that
                // text does not parse, the whole file is parsed so the error points at the
                // real text. The nesting check above covers the parser's own when it is as
                // strict.
                let guard = self.max_nesting > super::syntax::MAX_DEPTH;
                let masked = self
                    .targeted
                    .then(|| super::targeted::relevant_only(source.text(), Some(&referenced)))
                    .flatten();
                let id = source.id;
                match masked
                    .map(|(text, shifts)| super::syntax::parse_in(&text, id, &shifts, guard))
                {
                    Some(Ok(body)) => Ok(body),
                    _ => super::syntax::parse_in(source.text(), id, &Default::default(), guard),
                }
            };
            match parsed {
                Ok(body) => files.push(ModuleFile { source, body }),
                Err((message, span)) => self
                    .findings
                    .push(Finding::parse_error(message, span, None)),
            }
        }
        let mut module = Module::new(dir.clone(), files);
        module.tfvars = tfvars;
        let module = Rc::new(module);
        self.cache.insert(dir, module.clone());
        module
    }

    /// Instantiates a module and, recursively, its local child modules. `exists` is the branch
    /// the instance exists under, and `implied` what of it every value assumes.
    #[allow(clippy::too_many_arguments)]
    pub fn instantiate(
        &mut self,
        module: Rc<Module>,
        prefix: String,
        key: String,
        inputs: HashMap<String, Alts>,
        (exists, implied): (Branch, Branch),
        root: &Path,
        chain: &[PathBuf],
    ) -> Rc<Instance> {
        self.instances += 1;
        let instance = Rc::new(Instance {
            module: module.clone(),
            prefix,
            key,
            inputs,
            exists,
            implied,
            locals: LocalCache::default(),
            children: RefCell::new(std::collections::BTreeMap::new()),
            files: self.files.clone(),
            globals: Vec::new(),
        });
        for (_, call) in module.blocks("module") {
            let Some(name) = call.label(0) else { continue };
            let child = self.call(&instance, call, name, root, chain);
            instance
                .children
                .borrow_mut()
                .insert(name.to_string(), child);
        }
        instance
    }

    /// One `module` block of `instance`: its source followed (local, or installed under
    /// `.terraform/modules`) and instantiated once per copy (`count`: one representative where
    /// its count is not 0; `for_each`: one per key), with the call's arguments evaluated in the
    /// caller as the inputs.
    fn call(
        &mut self,
        instance: &Rc<Instance>,
        call: &super::syntax::Block,
        name: &str,
        root: &Path,
        chain: &[PathBuf],
    ) -> Child {
        let source = call
            .body
            .attribute("source")
            .and_then(|a| match &a.value.kind {
                ExprKind::Str(s) => Some(s.clone()),
                _ => None,
            });
        let key = if instance.key.is_empty() {
            name.to_string()
        } else {
            format!("{}.{name}", instance.key)
        };
        let dir = source.as_deref().and_then(|s| {
            if s.starts_with("./") || s.starts_with("../") {
                Some(instance.module.dir.join(s))
            } else {
                installed(root, &key)
            }
        });
        let local = source
            .as_deref()
            .is_some_and(|s| s.starts_with("./") || s.starts_with("../"));
        // Past the depth or the instance bound, a call is one unverifiable database that says
        // so (the bound once per root, not once per call past it).
        let cut = |what: String| {
            Child::Opaque(Rc::new(registry::Opaque {
                address: format!("{}module.{name}", instance.prefix),
                source: source.clone().unwrap_or_default(),
                header: call.header,
                span: call.span,
                at: call
                    .body
                    .attribute("source")
                    .map_or(call.header, |a| a.value.span),
                what,
            }))
        };
        if dir.is_some() && chain.len() >= MAX_MODULE_DEPTH {
            return cut(format!(
                "the module call, which nests modules deeper than {MAX_MODULE_DEPTH} levels; \
                 deeper calls are not followed"
            ));
        }
        if dir.is_some() && self.instances >= MAX_INSTANCES {
            if std::mem::replace(&mut self.bound_reported, true) {
                return Child::Unread("a module past the instance bound".into());
            }
            return cut(format!(
                "the module call, past the {MAX_INSTANCES} module instances one root may \
                 have; it and the calls after it are not followed"
            ));
        }
        let dir = match dir.map(|d| normalize(&d)) {
            Some(dir) if !chain.contains(&dir) && dir.is_dir() => dir,
            Some(dir) if chain.contains(&dir) => {
                return Child::Unread(format!(
                    "{} (it includes itself)",
                    source.unwrap_or_default()
                ))
            }
            // Not installed: a registry module the model knows is read from its inputs; one
            // that looks like a database module cannot be verified.
            _ if !local && source.is_some() => {
                return registry_call(instance, call, name, source.as_deref().unwrap_or(""))
            }
            _ => return Child::Unread(source.unwrap_or_else(|| "a computed source".into())),
        };
        let copies = copies_of(
            instance,
            call,
            &format!("{}module.{name}.", instance.prefix),
        );
        if copies.is_empty() {
            return Child::Absent;
        }
        let child_module = self.module(&dir);
        let mut chain = chain.to_vec();
        chain.push(dir);
        let mut instances = Vec::new();
        for copy in copies {
            let ctx = instance.ctx(copy.bindings);
            let mut child_inputs = HashMap::new();
            for (_, variable) in child_module.blocks("variable") {
                let Some(var) = variable.label(0) else {
                    continue;
                };
                let alts = match call.body.attribute(var) {
                    Some(input) => ctx.eval(&input.value, &copy.branch),
                    None => default_value(variable, var),
                };
                child_inputs.insert(var.to_string(), alts);
            }
            let prefix = format!("{}module.{name}.", instance.prefix);
            let child = self.instantiate(
                child_module.clone(),
                prefix,
                key.clone(),
                child_inputs,
                (copy.branch, copy.implied),
                root,
                &chain,
            );
            instances.push((copy.key, child));
        }
        Child::Local(instances)
    }
}

/// A call of a module that is not read: modelled from its inputs (`registry`), an unverifiable
/// database when it looks like a database module, else unread.
fn registry_call(
    instance: &Rc<Instance>,
    call: &super::syntax::Block,
    name: &str,
    source: &str,
) -> Child {
    let address = format!("{}module.{name}", instance.prefix);
    let version = call
        .body
        .attribute("version")
        .and_then(|a| match &a.value.kind {
            ExprKind::Str(s) => Some((s.as_str(), a.value.span)),
            _ => None,
        });
    let site = registry::Site {
        address: address.clone(),
        source,
        version,
        header: call.header,
        span: call.span,
        source_span: call
            .body
            .attribute("source")
            .map_or(call.header, |a| a.value.span),
        arguments: call
            .body
            .attributes
            .iter()
            .map(|a| (a.key.clone(), (a.key_span, a.value.span)))
            .collect(),
    };
    let mut copies = Vec::new();
    for copy in copies_of(instance, call, &format!("{address}.")) {
        let ctx = instance.ctx(copy.bindings);
        let args = call
            .body
            .attributes
            .iter()
            .map(|a| (a.key.clone(), ctx.eval(&a.value, &copy.branch)))
            .collect();
        copies.push(registry::Copy {
            args,
            branch: copy.branch,
            implied: copy.implied,
        });
    }
    registry::call(site, copies)
}

/// Most `for_each` keys of one module call that are instantiated.
const MAX_MODULE_KEYS: usize = 32;

/// One copy of a module call: the bindings its arguments are evaluated with, the branch it
/// exists under, what of that its values imply, and its `for_each` key.
struct Copy {
    bindings: Bindings,
    branch: Branch,
    implied: Branch,
    key: Option<String>,
}

/// The copies of a module call, as `references::expansions` gives a resource's instances:
/// none when it is never created.
fn copies_of(instance: &Instance, call: &super::syntax::Block, prefix: &str) -> Vec<Copy> {
    let exists = &instance.exists;
    let ctx = instance.ctx(Bindings::default());
    if let Some(count) = call.body.attribute("count") {
        let alts = ctx.eval(&count.value, exists);
        let existing: Vec<Branch> = alts
            .iter()
            .filter(|a| a.v.scalar().as_deref() != Some("0"))
            .map(|a| a.branch.clone())
            .collect();
        let all = existing.len() == alts.len();
        let implied = match existing.as_slice() {
            [only] if !all => only.without(exists),
            _ => Branch::default(),
        };
        let index = V::new(count.value.span, Kind::Num("0".into()));
        return existing
            .into_iter()
            .map(|branch| Copy {
                bindings: Bindings {
                    count_index: Some(index.clone()),
                    ..Bindings::default()
                },
                branch: if all { exists.clone() } else { branch },
                implied: instance.implied.join(&implied).unwrap_or_default(),
                key: None,
            })
            .take(if all { 1 } else { usize::MAX })
            .collect();
    }
    let Some(for_each) = call.body.attribute("for_each") else {
        return vec![Copy {
            bindings: Bindings::default(),
            branch: exists.clone(),
            implied: instance.implied.clone(),
            key: None,
        }];
    };
    let mut out = Vec::new();
    for a in ctx.eval(&for_each.value, exists) {
        for (key, value) in elements(&a.v).into_iter().take(MAX_MODULE_KEYS) {
            let text = key.scalar();
            let branch = match &text {
                Some(k) => a
                    .branch
                    .with_value(&format!("{prefix}each.key"), &format!("\"{k}\"")),
                None => Some(a.branch.clone()),
            };
            let Some(branch) = branch else { continue };
            out.push(Copy {
                bindings: Bindings {
                    each: Some((key, value)),
                    ..Bindings::default()
                },
                branch,
                implied: instance.implied.clone(),
                key: text,
            });
        }
    }
    out
}

/// Where `terraform init` put a non-local module, from `.terraform/modules/modules.json`.
fn installed(root: &Path, key: &str) -> Option<PathBuf> {
    let manifest = crate::source::read_regular(
        &root.join(".terraform/modules/modules.json"),
        crate::settings::DEFAULT_MAX_FILE_SIZE,
    )
    .ok()?;
    let manifest: serde_json::Value = serde_json::from_slice(&manifest).ok()?;
    let entry = manifest["Modules"]
        .as_array()?
        .iter()
        .find(|m| m["Key"] == key)?;
    Some(root.join(entry["Dir"].as_str()?))
}

/// A file whose change means its directory's module must be checked (pre-commit passes the
/// changed files): configuration and variable files.
pub fn names_module(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    is_terraform_file(path) || name.ends_with(".tfvars") || name.ends_with(".tfvars.json")
}

/// A module file: Terraform's `.tf` and `.tf.json`, OpenTofu's `.tofu` and `.tofu.json`.
pub fn is_terraform_file(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    is_terraform_name(&name)
}

/// A module file's name: `.tf`, `.tf.json`, `.tofu`, `.tofu.json`.
fn is_terraform_name(name: &str) -> bool {
    [".tf", ".tf.json", ".tofu", ".tofu.json"]
        .iter()
        .any(|ext| name.ends_with(ext))
}

/// A module file in JSON syntax (`.tf.json`, `.tofu.json`).
pub fn is_json_module_file(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    name.ends_with(".tf.json") || name.ends_with(".tofu.json")
}

/// Whether a file name is one Terraform reads variable values from by itself:
/// `terraform.tfvars(.json)` or `*.auto.tfvars(.json)`.
fn is_tfvars(name: &str) -> bool {
    matches!(name, "terraform.tfvars" | "terraform.tfvars.json")
        || name.ends_with(".auto.tfvars")
        || name.ends_with(".auto.tfvars.json")
}

/// One listing of a module directory: the files of its module, in name order (its regular
/// module files on disk and the texts that stand for files: an unsaved buffer for a file not
/// yet written; where `x.tofu` and `x.tf`, or `x.tofu.json` and `x.tf.json`, are both there,
/// only `x.tofu` is read, as OpenTofu reads them), and the variable files Terraform reads by
/// itself when it is a root, in the order it reads them (`terraform.tfvars`,
/// `terraform.tfvars.json`, then `*.auto.tfvars(.json)` by name).
pub fn listing(dir: &Path, texts: &HashMap<PathBuf, Arc<String>>) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let dir = normalize(dir);
    let mut paths: Vec<PathBuf> = Vec::new();
    let mut tfvars: Vec<PathBuf> = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for entry in entries.filter_map(|e| e.ok()) {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let terraform = is_terraform_name(&name);
            if !terraform && !is_tfvars(&name) {
                continue;
            }
            // The entry's type comes with the listing: only a symlink costs a stat.
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let path = entry.path();
            if !(kind.is_file() || (kind.is_symlink() && path.is_file())) {
                continue;
            }
            if terraform {
                paths.push(path);
            } else {
                tfvars.push(path);
            }
        }
    }
    // `terraform.tfvars` sorts before `terraform.tfvars.json`; both before the others.
    let fixed = |p: &Path| p.ends_with("terraform.tfvars") || p.ends_with("terraform.tfvars.json");
    tfvars.sort_by(|a, b| (!fixed(a), a).cmp(&(!fixed(b), b)));
    for path in texts.keys() {
        if is_terraform_file(path) && path.parent().map(normalize).as_ref() == Some(&dir) {
            let path = dir.join(path.file_name().unwrap_or_default());
            if !paths.contains(&path) {
                paths.push(path);
            }
        }
    }
    let shadowed = |path: &PathBuf| {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        let tofu = if let Some(stem) = name.strip_suffix(".tf.json") {
            format!("{stem}.tofu.json")
        } else if let Some(stem) = name.strip_suffix(".tf") {
            format!("{stem}.tofu")
        } else {
            return false;
        };
        paths.contains(&path.with_file_name(tofu))
    };
    let mut kept: Vec<PathBuf> = paths.iter().filter(|p| !shadowed(p)).cloned().collect();
    kept.sort();
    (kept, tfvars)
}
