//! Terragrunt (rule.md §6, §7): a `terragrunt.hcl` with `terraform { source = … }` is a root.
//! Its `inputs` (an `include`d parent's merged under its own, as Terragrunt's shallow merge
//! does) are the module's variable values; `dependency` outputs are their `mock_outputs` when
//! those are allowed for `plan`, else unknown; `locals`, `read_terragrunt_config` and the path
//! functions (`find_in_parent_folders`, `get_terragrunt_dir`, …) are evaluated. A local source
//! is checked as a root under the directory's name; a registry source follows the registry
//! model.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

use super::eval::{alt, Alt, Alts, Bindings, Kind, LocalCache, V};
use super::instance::Instance;
use super::modules::{Loader, Module, ModuleFile};
use super::syntax::{Body, Expr, ExprKind, Part};
use crate::diagnostic::Finding;
use crate::model::Branch;
use crate::source::{normalize, Span};

/// How many configs deep `include` and `read_terragrunt_config` are followed.
const MAX_DEPTH: usize = 8;

/// Whether a file is a Terragrunt config that can be a root.
pub fn is_config(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == "terragrunt.hcl")
}

/// What a config says, once its includes are merged.
pub struct Config {
    pub dir: PathBuf,
    /// `terraform { source = … }`: the text and where it is written.
    pub source: Option<(String, Span)>,
    /// The `terraform` block's header (where a registry module's database is reported).
    pub header: Option<Span>,
    /// `inputs`, merged over the included parents' (alternatives of a map).
    pub inputs: Alts,
    /// Where each input is written in the config: its key and its value.
    pub keys: HashMap<String, (Span, Span)>,
}

/// Where a local source points: the module directory (`../modules//rds` is `../modules/rds`).
pub fn local_source(config: &Config) -> Option<PathBuf> {
    let (source, _) = config.source.as_ref()?;
    let path = source.replace("//", "/");
    let path = path.split('?').next().unwrap_or("");
    let local = path.starts_with("./") || path.starts_with("../") || path.starts_with('/');
    local.then(|| normalize(&config.dir.join(path)))
}

/// Reads and evaluates a config and the parents it includes.
pub fn load(loader: &mut Loader<'_>, path: &Path) -> Option<Config> {
    Reading { loader }.config(path, 0)
}

struct Reading<'l, 'c> {
    loader: &'l mut Loader<'c>,
}

/// An evaluated config before merging: its values and where it is written.
struct Evaluated {
    config: Config,
    /// `locals` as one object, for `read_terragrunt_config` and exposed includes.
    locals: V,
}

impl Reading<'_, '_> {
    fn config(&mut self, path: &Path, depth: usize) -> Option<Config> {
        self.evaluate(path, depth).map(|e| e.config)
    }

    fn evaluate(&mut self, path: &Path, depth: usize) -> Option<Evaluated> {
        let path = normalize(path);
        let dir = path.parent().map_or(PathBuf::from("."), Path::to_path_buf);
        let source = self.loader.read(&path)?;
        let mut body = match super::syntax::parse(source.text(), source.id) {
            Ok(body) => body,
            Err((message, span)) => {
                self.loader
                    .findings
                    .push(Finding::parse_error(message, span, None));
                return None;
            }
        };
        // The includes' directories, for `get_parent_terragrunt_dir()`.
        let parents: Vec<PathBuf> = body
            .blocks("include")
            .filter_map(|b| b.body.attribute("path"))
            .filter_map(|a| {
                let mut expr = a.value.clone();
                substitute(&mut expr, &Paths::new(&dir, None));
                constant_string(&expr)
            })
            .map(|p| resolve(&dir, &p))
            .collect();
        let paths = Paths::new(&dir, parents.first().map(|p| p.parent().unwrap_or(p)));
        let mut reads = Vec::new();
        for item in body.attributes.iter_mut().map(|a| &mut a.value).chain(
            body.blocks
                .iter_mut()
                .flat_map(|b| b.body.attributes.iter_mut().map(|a| &mut a.value)),
        ) {
            substitute(item, &paths);
            collect_reads(item, &mut reads);
        }
        let mut globals: Vec<(String, V)> = Vec::new();
        // `read_terragrunt_config("…")`: that config's locals and inputs, as an object.
        for (name, file) in reads {
            let value = match (depth < MAX_DEPTH).then(|| resolve(&dir, &file)) {
                Some(other) => match self.evaluate(&other, depth + 1) {
                    Some(read) => object(
                        read.locals.span,
                        vec![
                            ("locals".to_string(), read.locals),
                            ("inputs".to_string(), first_value(&read.config.inputs)),
                        ],
                    ),
                    None => V::unknown(source_span(&source), format!("the config `{file}`")),
                },
                None => V::unknown(source_span(&source), "configs that read each other"),
            };
            globals.push((name, value));
        }
        globals.push(("dependency".to_string(), dependencies(&body, &source)));
        let mut included: Vec<Evaluated> = Vec::new();
        let mut exposed = Vec::new();
        for block in body.blocks("include") {
            let Some(parent) = block
                .body
                .attribute("path")
                .and_then(|a| constant_string(&a.value))
                .map(|p| resolve(&dir, &p))
            else {
                continue;
            };
            if depth >= MAX_DEPTH || normalize(&parent) == path {
                continue;
            }
            if let Some(parent) = self.evaluate(&parent, depth + 1) {
                let label = block.label(0).unwrap_or("").to_string();
                exposed.push((
                    label,
                    object(
                        block.header,
                        vec![
                            ("locals".to_string(), parent.locals.clone()),
                            ("inputs".to_string(), first_value(&parent.config.inputs)),
                        ],
                    ),
                ));
                included.push(parent);
            }
        }
        globals.push(("include".to_string(), object(source_span(&source), exposed)));

        let terraform = body.blocks("terraform").next();
        let header = terraform.map(|b| b.header);
        let source_attribute = terraform.and_then(|b| b.body.attribute("source"));
        let module = Rc::new(Module::new(
            dir.clone(),
            vec![ModuleFile {
                source: source.clone(),
                body: Body {
                    attributes: body.attributes.clone(),
                    blocks: body.blocks("locals").cloned().collect(),
                },
            }],
        ));
        let instance = Instance {
            module: module.clone(),
            prefix: String::new(),
            key: String::new(),
            inputs: HashMap::new(),
            exists: Branch::default(),
            implied: Branch::default(),
            locals: LocalCache::default(),
            children: RefCell::new(std::collections::BTreeMap::new()),
            files: self.loader.files.clone(),
            globals,
        };
        let ctx = instance.ctx(Bindings::default());
        let own_source = source_attribute.and_then(|a| {
            let value = ctx.eval(&a.value, &Branch::default());
            value
                .first()
                .and_then(|v| v.v.scalar())
                .map(|text| (text, a.value.span))
        });
        let own_inputs = match body.attribute("inputs") {
            Some(inputs) => ctx.eval(&inputs.value, &Branch::default()),
            None => vec![alt(
                V::new(source_span(&source), Kind::map(Vec::new())),
                &Branch::default(),
            )],
        };
        let mut keys = HashMap::new();
        if let Some(ExprKind::Object(entries)) = body.attribute("inputs").map(|a| &a.value.kind) {
            for (key, value) in entries {
                if let ExprKind::Str(name) = &key.kind {
                    keys.insert(name.clone(), (key.span, value.span));
                }
            }
        }
        let locals_value = {
            let entries: Vec<(String, V)> = module
                .blocks("locals")
                .flat_map(|(_, b)| b.body.attributes.iter())
                .map(|a| {
                    let value = instance.local(&a.key, a.key_span, &Branch::default(), 0);
                    (a.key.clone(), first_value(&value))
                })
                .collect();
            object(source_span(&source), entries)
        };
        // The child's inputs over its parents' (Terragrunt's default, shallow merge), and its
        // source over theirs.
        let mut inputs = own_inputs;
        let mut config_source = own_source;
        let mut config_header = header;
        for parent in &included {
            inputs = merge(&parent.config.inputs, &inputs);
            for (key, spans) in &parent.config.keys {
                keys.entry(key.clone()).or_insert(*spans);
            }
            if config_source.is_none() {
                config_source = parent.config.source.clone();
                config_header = parent.config.header;
            }
        }
        Some(Evaluated {
            config: Config {
                dir,
                source: config_source,
                header: config_header,
                inputs,
                keys,
            },
            locals: locals_value,
        })
    }
}

/// `dependency "name" { … }` blocks as `{ name = { outputs = … } }`: the mock outputs when
/// Terragrunt would use them for `plan`, else unknown.
fn dependencies(body: &Body, source: &crate::source::SourceFile) -> V {
    let mut entries = Vec::new();
    for block in body.blocks("dependency") {
        let Some(name) = block.label(0) else { continue };
        let allowed = block
            .body
            .attribute("mock_outputs_allowed_terraform_commands")
            .is_some_and(|a| match &a.value.kind {
                ExprKind::Array(items) => items
                    .iter()
                    .any(|i| matches!(&i.kind, ExprKind::Str(s) if s == "plan")),
                _ => false,
            });
        let config = block
            .body
            .attribute("config_path")
            .and_then(|a| constant_string(&a.value))
            .unwrap_or_else(|| "a computed path".into());
        let outputs = match (allowed, block.body.attribute("mock_outputs")) {
            (true, Some(mock)) => {
                let constants = super::instance::Constants;
                first_value(&constants.eval(&mock.value))
            }
            _ => V::unknown(
                block.header,
                format!(
                    "the outputs of dependency `{name}` ({config}), which Terragrunt reads from \
                     its state (mock_outputs count only when allowed for plan)"
                ),
            ),
        };
        entries.push((
            name.to_string(),
            object(block.header, vec![("outputs".to_string(), outputs)]),
        ));
    }
    object(source_span(source), entries)
}

/// The child's map over the parent's, key by key, for every pair of alternatives that agree.
fn merge(parent: &Alts, child: &Alts) -> Alts {
    let mut out = Vec::new();
    for p in parent {
        for c in child {
            let Some(branch) = p.branch.join(&c.branch) else {
                continue;
            };
            let kind = match (&p.v.kind, &c.v.kind) {
                (Kind::Map(under), Kind::Map(over)) => {
                    let mut merged: Vec<(String, V)> = under
                        .iter()
                        .filter(|(k, _)| !over.iter().any(|(o, _)| o == k))
                        .cloned()
                        .collect();
                    merged.extend(over.iter().cloned());
                    Kind::map(merged)
                }
                (_, Kind::Map(_)) | (Kind::Null, _) => c.v.kind.clone(),
                (Kind::Unknown(what), _) | (_, Kind::Unknown(what)) => Kind::Unknown(what.clone()),
                _ => c.v.kind.clone(),
            };
            out.push(Alt {
                v: V::new(c.v.span, kind),
                branch,
                via: None,
                soft: c.soft || p.soft,
            });
        }
    }
    out
}

fn object(span: Span, entries: Vec<(String, V)>) -> V {
    V::new(span, Kind::map(entries))
}

/// The one value of alternatives that have one, else the first.
fn first_value(alts: &Alts) -> V {
    alts.first()
        .map(|a| a.v.clone())
        .unwrap_or_else(|| V::new(Span::new(crate::source::FileId(0), 0, 0), Kind::Null))
}

fn source_span(source: &crate::source::SourceFile) -> Span {
    Span::new(source.id, 0, 0)
}

/// A path a config names, relative to its directory (absolute paths stay).
fn resolve(dir: &Path, path: &str) -> PathBuf {
    normalize(&dir.join(path))
}

/// A string literal (after substitution), if the expression is one.
fn constant_string(expr: &Expr) -> Option<String> {
    match &expr.kind {
        ExprKind::Str(s) => Some(s.clone()),
        _ => None,
    }
}

/// What the path functions of one config evaluate to.
struct Paths {
    dir: PathBuf,
    parent: PathBuf,
}

impl Paths {
    /// Terragrunt's path functions return absolute paths.
    fn new(dir: &Path, parent: Option<&Path>) -> Paths {
        let absolute =
            |p: &Path| normalize(&std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()));
        Paths {
            dir: absolute(dir),
            parent: absolute(parent.unwrap_or(dir)),
        }
    }

    /// A call of a Terragrunt function with literal arguments, as a string; `None` for others.
    fn call(&self, name: &str, args: &[String]) -> Option<String> {
        let shown = |p: &Path| p.to_string_lossy().replace('\\', "/");
        Some(match (name, args) {
            ("get_terragrunt_dir", []) => shown(&self.dir),
            ("get_parent_terragrunt_dir", _) => shown(&self.parent),
            ("get_original_terragrunt_dir", []) => shown(&self.dir),
            ("path_relative_to_include", _) => {
                let relative = self.dir.strip_prefix(&self.parent).unwrap_or(&self.dir);
                match shown(relative).as_str() {
                    "" => ".".to_string(),
                    other => other.to_string(),
                }
            }
            ("path_relative_from_include", _) => {
                let depth = self
                    .dir
                    .strip_prefix(&self.parent)
                    .map_or(0, |r| r.components().count());
                match depth {
                    0 => ".".to_string(),
                    n => vec![".."; n].join("/"),
                }
            }
            ("find_in_parent_folders", rest) => {
                let file = rest.first().map_or("terragrunt.hcl", String::as_str);
                let mut at = self.dir.parent();
                let mut found = None;
                while let Some(dir) = at {
                    let candidate = dir.join(file);
                    if candidate.is_file() {
                        found = Some(candidate);
                        break;
                    }
                    at = dir.parent();
                }
                match found {
                    Some(path) => shown(&path),
                    None => rest.get(1)?.clone(),
                }
            }
            ("get_repo_root", []) | ("get_path_to_repo_root", []) => {
                let mut at = Some(self.dir.as_path());
                let mut root = None;
                while let Some(dir) = at {
                    if dir.join(".git").exists() {
                        root = Some(dir.to_path_buf());
                        break;
                    }
                    at = dir.parent();
                }
                let root = root?;
                if name == "get_repo_root" {
                    shown(&root)
                } else {
                    let depth = self
                        .dir
                        .strip_prefix(&root)
                        .map_or(0, |r| r.components().count());
                    vec![".."; depth.max(1)].join("/")
                }
            }
            ("get_env", [variable, rest @ ..]) => std::env::var(variable)
                .ok()
                .or_else(|| rest.first().cloned())?,
            _ => return None,
        })
    }
}

/// Replaces calls of Terragrunt's path functions by the strings they return.
fn substitute(expr: &mut Expr, paths: &Paths) {
    let mut stack = vec![expr];
    while let Some(expr) = stack.pop() {
        if let ExprKind::Call(name, args, false) = &expr.kind {
            let literal: Option<Vec<String>> = args.iter().map(constant_string).collect();
            if let Some(text) = literal.and_then(|args| paths.call(name, &args)) {
                expr.kind = ExprKind::Str(text);
                continue;
            }
        }
        match &mut expr.kind {
            ExprKind::Template(parts) => {
                for part in parts {
                    if let Part::Interpolation(e) = part {
                        stack.push(e);
                    }
                }
            }
            ExprKind::Array(items) => stack.extend(items.iter_mut()),
            ExprKind::Object(entries) => {
                for (k, v) in entries {
                    stack.push(k);
                    stack.push(v);
                }
            }
            ExprKind::Call(_, args, _) => stack.extend(args.iter_mut()),
            ExprKind::Conditional(a, b, c) => {
                stack.push(a);
                stack.push(b);
                stack.push(c);
            }
            ExprKind::Unary(_, e) => stack.push(e),
            ExprKind::Binary(_, a, b) => {
                stack.push(a);
                stack.push(b);
            }
            ExprKind::Traversal(root, _) => stack.push(root),
            ExprKind::For(f) => {
                stack.push(&mut f.collection);
                stack.push(&mut f.value);
            }
            _ => {}
        }
    }
}

/// Replaces `read_terragrunt_config("path")` calls by a name bound to that config's values.
fn collect_reads(expr: &mut Expr, reads: &mut Vec<(String, String)>) {
    let mut stack = vec![expr];
    while let Some(expr) = stack.pop() {
        if let ExprKind::Call(name, args, false) = &expr.kind {
            if name == "read_terragrunt_config" {
                if let Some(path) = args.first().and_then(constant_string) {
                    let bound = format!("__read_terragrunt_config_{}", reads.len());
                    reads.push((bound.clone(), path));
                    expr.kind = ExprKind::Variable(bound);
                    continue;
                }
            }
        }
        match &mut expr.kind {
            ExprKind::Template(parts) => {
                for part in parts {
                    if let Part::Interpolation(e) = part {
                        stack.push(e);
                    }
                }
            }
            ExprKind::Array(items) => stack.extend(items.iter_mut()),
            ExprKind::Object(entries) => {
                for (k, v) in entries {
                    stack.push(k);
                    stack.push(v);
                }
            }
            ExprKind::Call(_, args, _) => stack.extend(args.iter_mut()),
            ExprKind::Conditional(a, b, c) => {
                stack.push(a);
                stack.push(b);
                stack.push(c);
            }
            ExprKind::Traversal(root, _) => stack.push(root),
            _ => {}
        }
    }
}

/// The module's root variables as the config gives them: its inputs, under the defaults; the
/// module directory's tfvars still apply on top, as Terraform reads them there.
pub fn inputs_for(config: &Config, variables: &[&str]) -> HashMap<String, Alts> {
    let mut out = HashMap::new();
    for name in variables {
        let mut values = Vec::new();
        for a in &config.inputs {
            match &a.v.kind {
                // The value is written where it is: the map's reference is not its elements'.
                Kind::Map(entries) => {
                    if let Some((_, v)) = entries.iter().rev().find(|(k, _)| k == name) {
                        values.push(Alt {
                            v: v.clone(),
                            via: None,
                            ..a.clone()
                        });
                    }
                }
                Kind::Unknown(what) => values.push(Alt {
                    v: V::unknown(a.v.span, what.clone()),
                    ..a.clone()
                }),
                _ => {}
            }
        }
        if !values.is_empty() {
            out.insert(name.to_string(), values);
        }
    }
    out
}

/// The display name of the config's directory, relative to the current directory.
pub fn name(config: &Config, cwd: &Path) -> Arc<str> {
    Arc::from(crate::source::display_path(&config.dir, cwd))
}
