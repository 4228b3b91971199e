//! Nested stacks (rule.md §6, §7): `AWS::CloudFormation::Stack` with a relative local
//! `TemplateURL`, and SAM's `AWS::Serverless::Application` with a local `Location`. A scanned
//! template that no scanned template includes is a top; its stack tree is lowered as one scope,
//! each included template with the values its parent passes, its resources named by the chain
//! of stack logical IDs (`Platform/Database/Db`), and `Fn::GetAtt Stack.Outputs.X` evaluated in
//! the child. An S3 or https URL, a computed URL, or a file the scan does not hold is not
//! followed: the stack's outputs stay unknown.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

use super::foreach::Expanded;
use super::lower::lower_with;
use super::resolve::{Resolver, Term};
use crate::model::{Branch, Choice, Choices, FileModel, ScopeId, Val};
use crate::source::{FileId, Span};
use crate::tree::Node;

/// How deep stacks nest before the rest is not followed.
const MAX_DEPTH: usize = 16;
/// Most template instances one top's tree may hold.
const MAX_INSTANCES: usize = 4096;
/// How deep outputs forwarded through outputs are followed.
const MAX_OUTPUT_DEPTH: usize = 48;

/// A resource type that nests another template.
pub fn is_stack_type(type_name: &str) -> bool {
    matches!(
        type_name,
        "AWS::CloudFormation::Stack" | "AWS::Serverless::Application"
    )
}

/// A nested stack whose template is a local file.
#[derive(Clone, Debug)]
pub struct StackRef {
    /// The stack resource's logical ID.
    pub id: String,
    /// The child template, normalized.
    pub path: PathBuf,
    /// The stack resource's logical ID in the parent.
    pub header: Span,
}

/// The nested stacks of a template whose template is a local path (relative to `dir`).
pub fn local_stacks(root: &Node, dir: &Path) -> Vec<StackRef> {
    let mut out = Vec::new();
    for entry in root.get("Resources").and_then(Node::map).unwrap_or(&[]) {
        let kind = entry.value.get("Type").and_then(Node::str);
        let property = match kind {
            Some("AWS::CloudFormation::Stack") => "TemplateURL",
            Some("AWS::Serverless::Application") => "Location",
            _ => continue,
        };
        let Some(url) = entry
            .value
            .get("Properties")
            .and_then(|p| p.get(property))
            .and_then(Node::str)
        else {
            continue;
        };
        let url = url.trim();
        // `s3://`, `https://` and computed (`${…}`) locations are not files here.
        if url.is_empty() || url.contains("://") || url.contains("${") {
            continue;
        }
        out.push(StackRef {
            id: entry.key.clone(),
            path: crate::source::normalize(&dir.join(url)),
            header: entry.key_span,
        });
    }
    out
}

/// A template of a stack tree, read in full.
pub struct Template {
    pub id: FileId,
    /// Normalized, as `StackRef::path` names it.
    pub path: PathBuf,
    /// The path reports show.
    pub display: Arc<str>,
    pub root: Node,
    pub loops: Expanded,
    pub stacks: Vec<StackRef>,
}

/// What the stack trees give: one model per top template, and the templates checked only
/// through a parent.
pub struct Trees {
    pub models: Vec<(FileId, FileModel)>,
    pub included: HashSet<FileId>,
}

/// Lowers every stack tree the templates form.
pub fn check(templates: &[Template]) -> Trees {
    let by_path: HashMap<&Path, usize> = templates
        .iter()
        .enumerate()
        .map(|(i, t)| (t.path.as_path(), i))
        .collect();
    let children = |t: &Template| -> Vec<(usize, usize)> {
        t.stacks
            .iter()
            .enumerate()
            .filter_map(|(s, stack)| Some((s, *by_path.get(stack.path.as_path())?)))
            .collect()
    };
    let mut included: HashSet<usize> = HashSet::new();
    for template in templates {
        included.extend(children(template).into_iter().map(|(_, c)| c));
    }
    // Tops: templates nobody includes; then, for templates only a cycle reaches, the first.
    let mut tops: Vec<usize> = (0..templates.len())
        .filter(|i| !included.contains(i))
        .collect();
    let mut reached: HashSet<usize> = HashSet::new();
    let mut forests = Vec::new();
    let mut next = 0;
    loop {
        while let Some(top) = tops.pop() {
            let instances = instantiate(templates, top, &children);
            reached.extend(instances.iter().map(|i| i.template));
            forests.push(instances);
        }
        while next < templates.len() && reached.contains(&next) {
            next += 1;
        }
        if next == templates.len() {
            break;
        }
        tops.push(next);
    }
    // A template reached from several tops is named by each top's file too.
    let mut tops_of: HashMap<usize, HashSet<usize>> = HashMap::new();
    for instances in &forests {
        for instance in instances {
            tops_of
                .entry(instance.template)
                .or_default()
                .insert(instances[0].template);
        }
    }
    let mut models = Vec::new();
    for instances in forests {
        let top = instances[0].template;
        let tree = Tree {
            templates,
            instances,
            passed: RefCell::default(),
            busy: RefCell::default(),
            outputs: RefCell::default(),
        };
        let scope = ScopeId(templates[top].id.0);
        let mut model = FileModel::default();
        for (i, instance) in tree.instances.iter().enumerate() {
            let template = &templates[instance.template];
            let first = model.databases.len();
            let (groups, members) = (model.groups.len(), model.members.len());
            tree.with_resolver(i, |resolver| {
                lower_with(
                    resolver,
                    &template.root,
                    scope,
                    &template.loops,
                    &instance.chain,
                    &mut model,
                )
            });
            if i > 0 && tops_of[&instance.template].len() > 1 {
                let context: Arc<str> = templates[top].display.clone();
                let resources = model.databases[first..]
                    .iter_mut()
                    .map(|d| &mut d.resource)
                    .chain(model.groups[groups..].iter_mut().map(|g| &mut g.resource))
                    .chain(model.members[members..].iter_mut().map(|m| &mut m.resource));
                for resource in resources {
                    resource.context = Some(context.clone());
                }
            }
        }
        models.push((templates[top].id, model));
    }
    Trees {
        models,
        included: included.into_iter().map(|i| templates[i].id).collect(),
    }
}

/// One use of a template in a tree.
struct Instance {
    template: usize,
    /// Names of its resources start with this (`Platform/Database/`).
    prefix: String,
    /// The including instance and the index of the stack in its template's `stacks`.
    parent: Option<(usize, usize)>,
    /// Stack resources from the top down: logical ID and header.
    chain: Vec<(String, Span)>,
    /// Its followed stacks: logical ID to instance.
    children: HashMap<String, usize>,
    /// Stacks with a scanned template that are not followed, and why.
    cut: HashMap<String, &'static str>,
}

/// The instances under `top`, depth first; a template already on the path is not followed.
fn instantiate(
    templates: &[Template],
    top: usize,
    children: &dyn Fn(&Template) -> Vec<(usize, usize)>,
) -> Vec<Instance> {
    let mut instances = vec![Instance {
        template: top,
        prefix: String::new(),
        parent: None,
        chain: Vec::new(),
        children: HashMap::new(),
        cut: HashMap::new(),
    }];
    let mut stack = vec![(0usize, vec![top])];
    while let Some((i, path)) = stack.pop() {
        let template = &templates[instances[i].template];
        for (s, child) in children(template) {
            let stack_ref = &template.stacks[s];
            let cut = if path.contains(&child) {
                Some("a nested stack that includes its own template again")
            } else if path.len() > MAX_DEPTH {
                Some("a nested stack deeper than 16 levels")
            } else if instances.len() >= MAX_INSTANCES {
                Some("a nested stack past the 4096 templates one tree may hold")
            } else {
                None
            };
            if let Some(why) = cut {
                instances[i].cut.insert(stack_ref.id.clone(), why);
                continue;
            }
            let mut chain = instances[i].chain.clone();
            chain.push((stack_ref.id.clone(), stack_ref.header));
            let j = instances.len();
            instances.push(Instance {
                template: child,
                prefix: format!("{}{}/", instances[i].prefix, stack_ref.id),
                parent: Some((i, s)),
                chain,
                children: HashMap::new(),
                cut: HashMap::new(),
            });
            instances[i].children.insert(stack_ref.id.clone(), j);
            let mut deeper = path.clone();
            deeper.push(child);
            stack.push((j, deeper));
        }
    }
    instances
}

/// The values a parent passes to one instance.
#[derive(Default)]
struct Passed {
    values: HashMap<String, Choices<Term>>,
    overridable: HashSet<String>,
}

/// An output's candidates, or why it is not known.
type Worked = Result<Choices<Term>, String>;

struct Tree<'t> {
    templates: &'t [Template],
    instances: Vec<Instance>,
    passed: RefCell<HashMap<usize, Rc<Passed>>>,
    /// Instances whose passed values are being worked out (a cycle through outputs).
    busy: RefCell<HashSet<usize>>,
    /// Outputs worked out, by instance and name, under no assumption (joined with the
    /// caller's branch on use, so a tree forwarding outputs is evaluated once per output).
    outputs: RefCell<HashMap<(usize, String), Worked>>,
}

impl Tree<'_> {
    /// Runs `f` with the resolver of instance `i`: its names, passed values and outputs.
    fn with_resolver<R>(&self, i: usize, f: impl FnOnce(&Resolver) -> R) -> R {
        let instance = &self.instances[i];
        let root = &self.templates[instance.template].root;
        let hook = |stack: &str, output: &str, branch: &Branch, depth: usize| {
            self.output(i, stack, output, branch, depth)
        };
        let passed = self.passed(i);
        let mut resolver = Resolver::new(root, &[]);
        resolver.prefix = instance.prefix.clone();
        resolver.passed = passed.values.clone();
        resolver.overridable_passed = passed.overridable.clone();
        resolver.outputs = Some(&hook);
        f(&resolver)
    }

    /// The stack resource that includes instance `i`, in its parent's template.
    fn stack_node(&self, i: usize) -> Option<(usize, &Node)> {
        let (parent, s) = self.instances[i].parent?;
        let template = &self.templates[self.instances[parent].template];
        let id = &template.stacks[s].id;
        let node = template.root.get("Resources")?.get(id)?;
        Some((parent, node))
    }

    fn passed(&self, i: usize) -> Rc<Passed> {
        if let Some(passed) = self.passed.borrow().get(&i) {
            return passed.clone();
        }
        let Some((parent, stack)) = self.stack_node(i) else {
            return Rc::default();
        };
        let parameters = stack.get("Properties").and_then(|p| p.get("Parameters"));
        let declared: Vec<String> = self.templates[self.instances[i].template]
            .root
            .get("Parameters")
            .and_then(Node::map)
            .unwrap_or(&[])
            .iter()
            .map(|e| e.key.clone())
            .collect();
        let all_unknown = |what: &str, span: Span| Passed {
            values: declared
                .iter()
                .map(|name| {
                    let choice = Choice::new(Val::Unknown(what.to_string()), span);
                    (name.clone(), vec![choice])
                })
                .collect(),
            overridable: HashSet::new(),
        };
        if !self.busy.borrow_mut().insert(i) {
            let span = parameters.map_or(stack.span, |p| p.span);
            return Rc::new(all_unknown(
                "a value that depends on itself through nested stack outputs",
                span,
            ));
        }
        let passed = match parameters {
            None => Passed::default(),
            Some(map) if map.intrinsic().is_some() || map.map().is_none() => all_unknown(
                "the stack's `Parameters`, computed by an intrinsic function",
                map.span,
            ),
            Some(map) => self.with_resolver(parent, |resolver| {
                let mut passed = Passed::default();
                for entry in map.map().unwrap_or(&[]) {
                    let choices = resolver.eval(&entry.value, &Branch::default(), 0);
                    if resolver.overridable(&entry.value, 0) {
                        passed.overridable.insert(entry.key.clone());
                    }
                    passed.values.insert(entry.key.clone(), choices);
                }
                passed
            }),
        };
        self.busy.borrow_mut().remove(&i);
        let passed = Rc::new(passed);
        self.passed.borrow_mut().insert(i, passed.clone());
        passed
    }

    /// `Fn::GetAtt Stack.Outputs.Name` in instance `i`.
    fn output(
        &self,
        i: usize,
        stack: &str,
        output: &str,
        branch: &Branch,
        depth: usize,
    ) -> Result<Choices<Term>, String> {
        let Some(&child) = self.instances[i].children.get(stack) else {
            let why = self.instances[i]
                .cut
                .get(stack)
                .copied()
                .unwrap_or("a nested stack whose template this scan does not read");
            return Err(format!("output `{output}` of `{stack}`, {why}"));
        };
        let key = (child, output.to_string());
        let cached = self.outputs.borrow().get(&key).cloned();
        let choices = match cached {
            Some(done) => done?,
            None => {
                if depth > MAX_OUTPUT_DEPTH {
                    return Err(format!(
                        "output `{output}` of `{stack}`, forwarded too deeply"
                    ));
                }
                let root = &self.templates[self.instances[child].template].root;
                let done = match root
                    .get("Outputs")
                    .and_then(|o| o.get(output))
                    .and_then(|o| o.get("Value"))
                {
                    Some(value) => Ok(self.with_resolver(child, |resolver| {
                        resolver.eval(value, &Branch::default(), depth + 1)
                    })),
                    None => Err(format!(
                        "output `{output}` of `{stack}`, which its template does not declare"
                    )),
                };
                self.outputs.borrow_mut().insert(key, done.clone());
                done?
            }
        };
        Ok(choices
            .into_iter()
            .filter_map(|c| {
                Some(Choice {
                    branch: branch.join(&c.branch)?,
                    ..c
                })
            })
            .collect())
    }
}
