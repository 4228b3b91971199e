//! Terraform: modules of `.tf` / `.tf.json` files, variables and locals, local modules and plan
//! JSON, lowered into the same model as CloudFormation. A directory is one module; directories
//! that another scanned directory calls as a local module are checked through that call.

pub mod eval;
pub mod functions;
pub mod json;
pub mod lower;
pub mod modules;
pub mod plan;
pub mod syntax;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diagnostic::{Finding, ResourceInfo};
use crate::model::{FileModel, ScopeId};
use crate::source::SourceFile;
use crate::suppression::{self, Suppression};
use eval::Alts;
use modules::{default_value, normalize, Constants, Instance, Loader, Module};

pub struct Loaded {
    pub models: Vec<FileModel>,
    pub suppressions: Vec<Suppression>,
    pub findings: Vec<Finding>,
    pub files: Vec<Arc<SourceFile>>,
    pub next_id: u32,
}

/// Checks the modules in `dirs`, numbering new files from `first_id` and scopes from `first_scope`.
pub fn check(
    dirs: &[PathBuf],
    settings: &crate::Settings,
    overrides: HashMap<PathBuf, String>,
    first_id: u32,
    first_scope: u32,
) -> Loaded {
    let (var_files, cwd) = (&settings.var_files, settings.base.as_path());
    let mut loader = Loader::new(cwd, first_id);
    loader.max_file_size = settings.max_file_size;
    loader.max_nesting = settings.max_nesting;
    loader.overrides = overrides
        .into_iter()
        .map(|(path, text)| (normalize(&path), text))
        .collect();
    let dirs: Vec<PathBuf> = dirs
        .iter()
        .map(|d| normalize(d))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut dirs = dirs;
    dirs.sort();
    let modules: Vec<std::rc::Rc<Module>> = dirs.iter().map(|d| loader.module(d)).collect();
    let called: HashSet<PathBuf> = modules.iter().flat_map(|m| local_calls(m)).collect();
    let mut models = Vec::new();
    for (i, module) in modules
        .iter()
        .enumerate()
        .filter(|(_, m)| !called.contains(&m.dir))
    {
        let inputs = root_inputs(&mut loader, module, var_files);
        let root = module.dir.clone();
        let instance = loader.instantiate(
            module.clone(),
            String::new(),
            String::new(),
            inputs,
            &root,
            std::slice::from_ref(&root),
        );
        let mut model = FileModel::default();
        lower_all(&instance, ScopeId(first_scope + i as u32), &mut model);
        models.push(model);
    }
    let files: Vec<Arc<SourceFile>> = {
        let mut files: Vec<_> = loader.files.borrow().values().cloned().collect();
        files.sort_by_key(|f| f.id);
        files
    };
    let mut findings = std::mem::take(&mut loader.findings);
    let mut suppressions = Vec::new();
    for file in &files {
        if !modules::is_terraform_file(&file.path) {
            continue;
        }
        let resources = resources_in(file, &loader, cwd);
        suppressions.extend(suppression::from_comments(
            file,
            &resources,
            &["#", "//"],
            &mut findings,
        ));
    }
    Loaded {
        models,
        suppressions,
        findings,
        files,
        next_id: loader.next_id,
    }
}

fn lower_all(instance: &Instance, scope: ScopeId, model: &mut FileModel) {
    lower::lower(instance, scope, model);
    for child in instance.children.borrow().values() {
        if let modules::Child::Local(child) = child {
            lower_all(child, scope, model);
        }
    }
}

/// Directories a module calls with a `./` or `../` source.
fn local_calls(module: &Module) -> Vec<PathBuf> {
    module
        .blocks("module")
        .filter_map(
            |(_, call)| match &call.body.attribute("source")?.value.kind {
                syntax::ExprKind::Str(s) if s.starts_with("./") || s.starts_with("../") => {
                    Some(normalize(&module.dir.join(s)))
                }
                _ => None,
            },
        )
        // A module that calls itself is still a root; the loop is cut when it is instantiated.
        .filter(|dir| *dir != module.dir)
        .collect()
}

/// Root variable values as Terraform takes them: defaults, then `terraform.tfvars`,
/// `terraform.tfvars.json`, `*.auto.tfvars(.json)` in name order, then `--var-file`s in order.
fn root_inputs(
    loader: &mut Loader,
    module: &Module,
    var_files: &[PathBuf],
) -> HashMap<String, Alts> {
    let mut inputs = HashMap::new();
    for (_, variable) in module.blocks("variable") {
        if let Some(name) = variable.label(0) {
            // A root default can be overridden at plan time: conditions on it stay branches.
            let mut alts = default_value(variable, name);
            for a in &mut alts {
                a.soft = true;
            }
            inputs.insert(name.to_string(), alts);
        }
    }
    let mut files = vec![
        module.dir.join("terraform.tfvars"),
        module.dir.join("terraform.tfvars.json"),
    ];
    let mut auto: Vec<PathBuf> = std::fs::read_dir(&module.dir)
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    auto.retain(|p| {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        name.ends_with(".auto.tfvars") || name.ends_with(".auto.tfvars.json")
    });
    auto.sort();
    files.extend(auto);
    files.extend(var_files.iter().cloned());
    for path in files.iter().filter(|p| p.is_file()) {
        let Some(source) = loader.read(path) else {
            continue;
        };
        let values: Result<Vec<(String, syntax::Expr)>, _> =
            if path.to_string_lossy().ends_with(".json") {
                crate::cloudformation::json::parse(&source.text, source.id)
                    .map(|root| {
                        root.map()
                            .unwrap_or(&[])
                            .iter()
                            .map(|e| (e.key.clone(), json::expr(&e.value)))
                            .collect()
                    })
                    .map_err(|e| (e.message, e.span))
            } else {
                syntax::parse(&source.text, source.id).map(|body| {
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
            Err((message, span)) => loader.findings.push(crate::cloudformation::parse_error(
                &crate::cloudformation::node::ParseError {
                    message,
                    span,
                    first: None,
                },
            )),
        }
    }
    inputs
}

/// The resource blocks of one file, as suppressions name them.
fn resources_in(file: &SourceFile, _loader: &Loader, _cwd: &Path) -> Vec<ResourceInfo> {
    let body = if file.path.to_string_lossy().ends_with(".json") {
        json::parse(&file.text, file.id).ok()
    } else {
        syntax::parse(&file.text, file.id).ok()
    };
    body.map(|body| {
        body.blocks("resource")
            .filter_map(|b| {
                Some(ResourceInfo {
                    name: format!("{}.{}", b.label(0)?, b.label(1)?),
                    type_name: b.label(0)?.to_string(),
                    header: b.header,
                    span: b.span,
                })
            })
            .collect()
    })
    .unwrap_or_default()
}
