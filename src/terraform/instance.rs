//! A module instance: the inputs its caller gives, its locals (evaluated lazily, once; cycles
//! become unknowns), its child modules and their outputs.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;

use super::eval::{alt, Alts, Bindings, Ctx, Kind, LocalCache, V};
use super::modules::Module;
use crate::model::Branch;
use crate::source::{FileId, SourceFile, Span};

pub type Files = Rc<RefCell<HashMap<FileId, Arc<SourceFile>>>>;

pub enum Child {
    /// A local or installed module: one instance, or one per `for_each` key (with the key).
    Local(Vec<(Option<String>, Rc<Instance>)>),
    /// A registry module read from its inputs (`registry`).
    Modelled(Rc<super::registry::Modelled>),
    /// An unread module that looks like a database module: one unverifiable database.
    Opaque(Rc<super::registry::Opaque>),
    /// A module whose source is not read (registry, git, a loop); its outputs are unknown.
    Unread(String),
    /// `count = 0` or an empty `for_each` in every branch: never created.
    Absent,
}

pub struct Instance {
    pub module: Rc<Module>,
    /// `""` for the root, `module.db.` for a child.
    pub prefix: String,
    /// `modules.json` key: `db`, `db.sub`.
    pub key: String,
    pub inputs: HashMap<String, Alts>,
    /// The branch this instance exists under (its call's `count` condition, its `for_each`
    /// key) and, of that, what every value implies by existing (left out of candidates).
    pub exists: Branch,
    pub implied: Branch,
    pub locals: LocalCache,
    /// By call name: lowered in that order, so a module called several times gives its
    /// findings in one order on every run (a `HashMap` iterated in a random order).
    pub children: RefCell<std::collections::BTreeMap<String, Child>>,
    pub files: Files,
    /// Names every expression of the instance sees besides Terraform's own (a Terragrunt
    /// config's `dependency` and `include`); empty for a Terraform module.
    pub globals: Vec<(String, V)>,
}

impl Instance {
    pub fn text_of(&self, span: Span) -> Option<String> {
        let files = self.files.borrow();
        files.get(&span.file).map(|f| f.slice(span).to_string())
    }

    pub fn ctx(&self, mut bindings: Bindings) -> Ctx<'_> {
        if !self.globals.is_empty() {
            let mut names = self.globals.clone();
            names.append(&mut bindings.names);
            bindings.names = names;
        }
        Ctx {
            instance: self,
            bindings,
        }
    }

    pub fn variable(&self, name: &str, span: Span, branch: &Branch) -> Alts {
        match self.inputs.get(name) {
            Some(alts) => join_all(alts, branch),
            None => vec![alt(
                V::unknown(
                    span,
                    format!("`var.{name}`, which this module does not declare"),
                ),
                branch,
            )],
        }
    }

    pub fn local(&self, name: &str, span: Span, branch: &Branch, depth: usize) -> Alts {
        if let Some(alts) = self.locals.values.borrow().get(name) {
            return join_all(alts, branch);
        }
        if !self.locals.active.borrow_mut().insert(name.to_string()) {
            return vec![alt(
                V::unknown(
                    span,
                    format!("`local.{name}`, {}", super::functions::SELF_REFERENCE),
                ),
                branch,
            )];
        }
        let module = self.module.clone();
        let expr = module.local(name).map(|a| &a.value);
        let alts = match expr {
            // The caller's depth carries on, so a long chain of locals ends in an unknown.
            Some(expr) => {
                self.ctx(Bindings::default())
                    .eval_nested(expr, &Branch::default(), depth)
            }
            None => vec![alt(
                V::unknown(
                    span,
                    format!("`local.{name}`, {}", super::functions::UNDECLARED),
                ),
                &Branch::default(),
            )],
        };
        self.locals.active.borrow_mut().remove(name);
        self.locals
            .values
            .borrow_mut()
            .insert(name.to_string(), alts.clone());
        join_all(&alts, branch)
    }

    /// `module.call.output`, or with `key` (`module.call["k"].output`, `module.call[0]…`) the
    /// instance with that `for_each` key (a `count` module has one representative instance).
    pub fn module_output(
        &self,
        call: &str,
        key: Option<&str>,
        output: &str,
        span: Span,
        branch: &Branch,
        depth: usize,
    ) -> Alts {
        let children = self.children.borrow();
        match children.get(call) {
            Some(Child::Local(instances)) => {
                let mut out = Vec::new();
                for (instance_key, child) in instances {
                    if key.is_some() && instance_key.is_some() && instance_key.as_deref() != key {
                        continue;
                    }
                    let Some(joined) = branch.join(&child.exists) else {
                        continue;
                    };
                    let expr = child
                        .module
                        .output(output)
                        .and_then(|b| b.body.attribute("value"))
                        .map(|a| &a.value);
                    match expr {
                        Some(expr) => out.extend(
                            child
                                .ctx(Bindings::default())
                                .eval_nested(expr, &joined, depth)
                                .into_iter()
                                .map(|mut a| {
                                    a.branch = a.branch.without(&child.implied);
                                    a
                                }),
                        ),
                        None => out.push(alt(
                            V::unknown(
                                span,
                                format!(
                                    "output `{output}` of module `{call}`, which it does not declare"
                                ),
                            ),
                            branch,
                        )),
                    }
                }
                if out.is_empty() {
                    out.push(alt(
                        V::unknown(
                            span,
                            format!("an instance of module `{call}` it does not have"),
                        ),
                        branch,
                    ));
                }
                out
            }
            Some(Child::Modelled(modelled)) => {
                vec![alt(super::registry::output(modelled, output, span), branch)]
            }
            Some(Child::Opaque(opaque)) => vec![alt(
                V::unknown(
                    span,
                    format!(
                        "output `{output}` of module `{call}`, whose source `{}` is not read",
                        opaque.source
                    ),
                ),
                branch,
            )],
            Some(Child::Absent) => vec![alt(
                V::unknown(
                    span,
                    format!("output `{output}` of module `{call}`, which is never created"),
                ),
                branch,
            )],
            Some(Child::Unread(source)) => vec![alt(
                V::unknown(
                    span,
                    format!(
                        "output `{output}` of module `{call}`, whose source `{source}` is not read"
                    ),
                ),
                branch,
            )],
            None => vec![alt(
                V::unknown(span, format!("`module.{call}`, which is not declared")),
                branch,
            )],
        }
    }
}

fn join_all(alts: &Alts, branch: &Branch) -> Alts {
    alts.iter()
        .filter_map(|a| {
            let joined = branch.join(&a.branch)?;
            Some(super::eval::Alt {
                branch: joined,
                ..a.clone()
            })
        })
        .collect()
}

/// A variable's default, or an unknown naming the variable.
pub fn default_value(variable: &super::syntax::Block, name: &str) -> Alts {
    let constants = Constants;
    match variable.body.attribute("default") {
        Some(default) => constants.eval(&default.value),
        None => vec![alt(
            V::unknown(
                variable.header,
                format!(
                    "`var.{name}`, which has no default and no value in the scanned tfvars files"
                ),
            ),
            &Branch::default(),
        )],
    }
}

/// Evaluates constant expressions (defaults, tfvars) where no reference can resolve.
pub struct Constants;

impl Constants {
    pub fn eval(&self, expr: &super::syntax::Expr) -> Alts {
        let module = Rc::new(Module::new(PathBuf::new(), Vec::new()));
        let empty = Instance {
            module,
            prefix: String::new(),
            key: String::new(),
            inputs: HashMap::new(),
            exists: Branch::default(),
            implied: Branch::default(),
            locals: LocalCache::default(),
            children: RefCell::new(std::collections::BTreeMap::new()),
            files: Rc::new(RefCell::new(HashMap::new())),
            globals: Vec::new(),
        };
        let alts = empty
            .ctx(Bindings::default())
            .eval(expr, &Branch::default());
        alts.into_iter()
            .map(|mut a| {
                if let Kind::Ref(_) = a.v.kind {
                    a.v.kind = Kind::Unknown("a reference where a constant belongs".into());
                }
                a
            })
            .collect()
    }
}
