//! Fixes: a finding's `FixRequest` (what should change, in model terms) becomes byte-range
//! edits on the file's text through helpers that know YAML (block and flow), JSON and HCL,
//! keep the neighbours' indentation, quoting and line endings, and refuse anything that is not
//! a plain literal. Edits apply back to front; overlapping edits are left for the next round.

mod edits;

use edits::{hcl_block, json_entry, new_literal, yaml_entry};

use crate::diagnostic::fix::{Applicability, Edit, Fix, FixRequest, Slot};
use crate::source::SourceFile;

/// Turns a request into edits on `file`; `None` when the text is not one we can edit safely.
pub fn resolve(request: &FixRequest, file: &SourceFile) -> Option<Fix> {
    Fixer::new(file).resolve(request)
}

/// Resolves the requests of one file: its syntax and (for `Fn::If`) its tree are worked out
/// once, not once per finding (a template with 90,000 findings is not read 90,000 times), and
/// only for a file with a request to resolve (telling a plan apart reads the whole text).
pub struct Fixer<'f> {
    file: &'f SourceFile,
    syntax: std::cell::OnceCell<Option<Syntax>>,
    tree: std::cell::OnceCell<Option<crate::tree::Node>>,
}

impl<'f> Fixer<'f> {
    pub fn new(file: &'f SourceFile) -> Fixer<'f> {
        Fixer {
            file,
            syntax: std::cell::OnceCell::new(),
            tree: std::cell::OnceCell::new(),
        }
    }

    /// The file's tree, parsed on first use (YAML and JSON only).
    fn tree(&self) -> Option<&crate::tree::Node> {
        self.tree
            .get_or_init(|| {
                let text = self.file.text();
                match self.syntax()? {
                    Syntax::Yaml => crate::cloudformation::yaml::parse(text, self.file.id).ok(),
                    Syntax::Json => crate::tree::json::parse(text, self.file.id).ok(),
                    Syntax::Hcl => None,
                }
            })
            .as_ref()
    }

    pub fn resolve(&self, request: &FixRequest) -> Option<Fix> {
        resolve_with(self, request)
    }

    fn syntax(&self) -> Option<Syntax> {
        *self.syntax.get_or_init(|| Syntax::of(self.file))
    }
}

fn resolve_with(fixer: &Fixer<'_>, request: &FixRequest) -> Option<Fix> {
    let file = fixer.file;
    let syntax = fixer.syntax()?;
    match request {
        FixRequest::SetValue {
            span,
            parameter,
            enabling,
        } => {
            let replacement = new_literal(file.slice(*span), enabling, syntax)?;
            // `!If [IsProd, "1", "0"]` whose other side already enables becomes the value.
            let span = match syntax {
                Syntax::Yaml | Syntax::Json => {
                    collapsible_if(fixer, *span, enabling).unwrap_or(*span)
                }
                Syntax::Hcl => *span,
            };
            Some(Fix {
                applicability: Applicability::Safe,
                description: format!("set {parameter} to {replacement}"),
                edits: vec![Edit { span, replacement }],
            })
        }
        FixRequest::AddParameter {
            slot,
            parameter,
            enabling,
        } => {
            let edit = match (slot, syntax) {
                (Slot::Map(span), Syntax::Yaml) => {
                    yaml_entry(file, *span, &format!("{parameter}: \"{enabling}\""), None)?
                }
                (Slot::Properties(span), Syntax::Yaml) => yaml_entry(
                    file,
                    *span,
                    "Parameters:",
                    Some(&format!("{parameter}: \"{enabling}\"")),
                )?,
                (Slot::Map(span), Syntax::Json) => {
                    json_entry(file, *span, &format!("\"{parameter}\": \"{enabling}\""))?
                }
                (Slot::Properties(span), Syntax::Json) => json_entry(
                    file,
                    *span,
                    &format!("\"Parameters\": {{\"{parameter}\": \"{enabling}\"}}"),
                )?,
                (Slot::Block(span), Syntax::Hcl) => hcl_block(file, *span, parameter, enabling)?,
                _ => return None,
            };
            Some(Fix {
                applicability: Applicability::Safe,
                description: format!("add {parameter} = \"{enabling}\" to the parameter group"),
                edits: vec![edit],
            })
        }
        FixRequest::AddGroup(group) => {
            let edits = match syntax {
                Syntax::Yaml => edits::yaml_new_group(file, group)?,
                Syntax::Hcl => edits::hcl_new_group(file, group)?,
                Syntax::Json => return None,
            };
            Some(Fix {
                applicability: Applicability::Unsafe,
                description: format!(
                    "add parameter group `{}` ({}, {} = \"{}\") and name it on the database",
                    group.name, group.family, group.parameter, group.enabling
                ),
                edits,
            })
        }
        FixRequest::RenameParameter {
            key,
            value,
            parameter,
            enabling,
        } => {
            let mut edits = vec![Edit {
                span: *key,
                replacement: edits::rename_literal(file.slice(*key), parameter)?,
            }];
            if let Some(value) = value {
                edits.push(Edit {
                    span: *value,
                    replacement: new_literal(file.slice(*value), enabling, syntax)?,
                });
            }
            Some(Fix {
                applicability: Applicability::Unsafe,
                description: format!("replace it with {parameter} = \"{enabling}\""),
                edits,
            })
        }
    }
}

/// The `Fn::If` whose side is the value at `span`, when its other side is already an enabling
/// literal: setting the value makes both sides equal, so the whole `Fn::If` is the value.
fn collapsible_if(
    fixer: &Fixer<'_>,
    span: crate::source::Span,
    enabling: &str,
) -> Option<crate::source::Span> {
    use crate::tree::{Node, NodeValue};
    let file = fixer.file;
    // Only a value written inside brackets (`[IsProd, "1", "0"]`, a JSON array) or in a
    // block list can be an `Fn::If` side: look at the text before it first.
    let before = &file.text()[..span.start as usize];
    let context = before.trim_end_matches([' ', '\t', '\n', '\r', ',', '"', '\'']);
    if !(context.ends_with(['[', ',', '-']) || context.ends_with(|c: char| c.is_alphanumeric())) {
        return None;
    }
    let root = fixer.tree()?;
    let enables = |node: &Node| {
        node.str().is_some_and(|value| {
            let value = value.trim().to_ascii_lowercase();
            match enabling.to_ascii_lowercase().as_str() {
                "1" | "on" => matches!(value.as_str(), "1" | "on" | "true"),
                other => value == other,
            }
        })
    };
    // Down the nodes that contain the value, to the innermost `Fn::If` with it as a side.
    let mut node = root;
    let mut found = None;
    loop {
        if let Some(("Fn::If", argument)) = node.intrinsic() {
            if let Some([_, then, otherwise]) = argument.seq() {
                for (side, other) in [(then, otherwise), (otherwise, then)] {
                    if side.span == span && enables(other) {
                        found = Some(node.span);
                    }
                }
            }
        }
        let children: Vec<&Node> = match &node.value {
            NodeValue::Scalar(_) => Vec::new(),
            NodeValue::Seq(items) => items.iter().collect(),
            NodeValue::Map(entries) => entries.iter().map(|e| &e.value).collect(),
        };
        match children.into_iter().find(|c| c.span.contains(span)) {
            Some(child) if child.span != node.span || child.span != span => node = child,
            _ => break,
        }
        if node.span == span {
            break;
        }
    }
    // The `Fn::If` must be written where a value goes: its text starts with `!If` or `{`.
    let found = found?;
    let written = file.slice(found);
    (written.starts_with("!If") || written.starts_with('{')).then_some(found)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Syntax {
    Yaml,
    Json,
    Hcl,
}

impl Syntax {
    /// Only files people write: never a plan, never a decoded UTF-16 file, never `.tf.json`.
    fn of(file: &SourceFile) -> Option<Syntax> {
        if file.encoding == crate::source::Encoding::Utf16 {
            return None;
        }
        let name = file
            .path
            .file_name()?
            .to_string_lossy()
            .to_ascii_lowercase();
        if name.ends_with(".tf") || name.ends_with(".tofu") || name.ends_with(".hcl") {
            Some(Syntax::Hcl)
        } else if crate::terraform::modules::is_json_module_file(&file.path) {
            None
        } else if name.ends_with(".json")
            || file
                .text()
                .trim_start_matches('\u{feff}')
                .trim_start()
                .starts_with('{')
        {
            // A plan is JSON (as the front end reads one): only JSON is searched for its keys.
            (!crate::terraform::plan::is_plan(file.text())).then_some(Syntax::Json)
        } else {
            Some(Syntax::Yaml)
        }
    }
}

/// Applies non-overlapping edits (identical duplicates collapse); returns the new text and how
/// many edits were applied. Overlapping ones wait for the next round.
pub fn apply(text: &str, edits: &[Edit]) -> (String, usize) {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.span.start, e.span.end));
    sorted.dedup();
    let mut chosen: Vec<&Edit> = Vec::new();
    for edit in sorted {
        if chosen.last().is_none_or(|last| {
            last.span.end <= edit.span.start
                && !(last.span.start == last.span.end && last.span.start == edit.span.start)
        }) {
            chosen.push(edit);
        }
    }
    let mut out = text.to_string();
    for edit in chosen.iter().rev() {
        out.replace_range(edit.span.range(), &edit.replacement);
    }
    (out, chosen.len())
}
