//! CloudFormation: recognise templates (JSON and YAML, SAM and cdk.out included), read them with
//! spans, lower their RDS resources into the model, and collect their suppressions.

mod conditions;
pub mod foreach;
pub mod lower;
pub mod nested;
pub mod resolve;
pub mod serverless;
pub mod suppressions;
mod tags;
pub mod targeted;
pub mod yaml;

use std::path::Path;

use crate::diagnostic::Finding;
use crate::model::{FileModel, ScopeId};
use crate::source::{FileId, Needles, Shifts, SourceFile};
use crate::suppression::Suppression;
use crate::tree;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    Json,
    Yaml,
}

/// The syntax a file would be read with, from its name (`.template` by its first character).
pub fn syntax_of(path: &Path, text: &str) -> Option<Syntax> {
    let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
    if name.ends_with(".tf.json") || name.ends_with(".tofu.json") {
        return None;
    }
    match name.rsplit_once('.')?.1 {
        "json" => Some(Syntax::Json),
        "yaml" | "yml" => Some(Syntax::Yaml),
        "template" => Some(
            if text
                .trim_start_matches('\u{feff}')
                .trim_start()
                .starts_with('{')
            {
                Syntax::Json
            } else {
                Syntax::Yaml
            },
        ),
        _ => None,
    }
}

/// Whether a file could be a template at all: its text names an AWS type or the format version.
/// Files that do not are skipped without a parse (and a parse error in them is not reported).
pub fn mentions_aws(text: &str) -> bool {
    static NAMES: Needles<2> = Needles::new(["AWS::", "AWSTemplateFormatVersion"]);
    NAMES.any_in(text.as_bytes())
}

pub struct Loaded {
    pub model: FileModel,
    pub suppressions: Vec<Suppression>,
    pub findings: Vec<Finding>,
    /// Its nested stacks with a local template (`nested::check` reads them with their parent).
    pub stacks: Vec<nested::StackRef>,
}

/// Reads one file; `None` when it is not a CloudFormation template.
pub fn load(file: &SourceFile, syntax: Syntax, targeted: bool) -> Option<Loaded> {
    let masked = match syntax {
        _ if !targeted || !mentions_aws(file.text()) => None,
        Syntax::Json => targeted::relevant_only_json(file.text()),
        Syntax::Yaml => targeted::relevant_only(file.text()),
    };
    load_masked(file, syntax, masked)
}

/// `load` with the targeted text already made (`None`: the file is parsed whole).
pub fn load_masked(
    file: &SourceFile,
    syntax: Syntax,
    masked: Option<targeted::Masked>,
) -> Option<Loaded> {
    if !mentions_aws(file.text()) {
        return None;
    }
    // Unread blocks are cut out first; if that text does not parse, the whole file is parsed,
    // so an error points at what the user wrote.
    type Parse = fn(&str, FileId, &Shifts) -> Result<tree::Node, tree::ParseError>;
    let parse: Parse = match syntax {
        Syntax::Json => tree::json::parse_cut,
        Syntax::Yaml => yaml::parse_cut,
    };
    let full =
        || parse(file.text(), file.id, &Shifts::default()).map(|root| (root, Vec::<String>::new()));
    let parsed = match masked {
        Some(masked) => parse(&masked.text, file.id, &masked.shifts)
            .map(|root| (root, masked.skipped))
            .or_else(|_| full()),
        None => full(),
    };
    let (root, skipped) = match parsed {
        Ok(parsed) => parsed,
        Err(error) => {
            return Some(Loaded {
                model: FileModel::default(),
                suppressions: Vec::new(),
                findings: vec![error.finding()],
                stacks: Vec::new(),
            })
        }
    };
    let (mut root, custom) = template_of(file, root)?;
    let mut findings = Vec::new();
    // An empty `Resources:` (null) is left alone: targeted reading blanks unread resources.
    let malformed = |e: &&tree::Entry| {
        matches!(e.value.value, tree::NodeValue::Seq(_))
            || e.value
                .scalar()
                .is_some_and(|s| s.kind != tree::ScalarKind::Null)
    };
    if let Some(resources) = root.entry("Resources").filter(malformed) {
        findings.push(Finding::parse_error(
            "`Resources` must be a map from logical IDs to resources",
            resources.value.span,
            None,
        ));
    }
    let loops = expand_loops(&mut root);
    let suppressions = suppressions::collect(file, &root, syntax == Syntax::Yaml, &mut findings);
    let mut model = FileModel::default();
    let resolver = resolve::Resolver::new(&root, &skipped).serverless(custom.as_ref());
    lower::lower_with(
        &resolver,
        &root,
        ScopeId(file.id.0),
        &loops,
        &[],
        &mut model,
    );
    Some(Loaded {
        model,
        suppressions,
        findings,
        stacks: nested::local_stacks(&root, &directory(file)),
    })
}

/// The template a document holds: itself, or a Serverless service's `resources` (with its
/// `custom` map, the outer `Some` saying the file is a service); `None` when it holds none.
#[allow(clippy::type_complexity)]
fn template_of(
    file: &SourceFile,
    root: tree::Node,
) -> Option<(tree::Node, Option<Option<tree::Node>>)> {
    if serverless::is_service_file(&file.path) {
        if let Some((template, custom)) = serverless::template(&root) {
            return lower::is_template(&template).then_some((template, Some(custom)));
        }
    }
    lower::is_template(&root).then_some((root, None))
}

fn expand_loops(root: &mut tree::Node) -> foreach::Expanded {
    if foreach::applies(root) {
        foreach::expand(root)
    } else {
        foreach::Expanded::default()
    }
}

fn directory(file: &SourceFile) -> std::path::PathBuf {
    match file.path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    }
}

/// Reads a template of a stack tree in full (no targeted reading: the tree needs its
/// `Outputs`); `None` when it does not parse or is no template.
pub fn read_template(file: &SourceFile, syntax: Syntax) -> Option<nested::Template> {
    if !mentions_aws(file.text()) {
        return None;
    }
    let root = match syntax {
        Syntax::Json => tree::json::parse(file.text(), file.id),
        Syntax::Yaml => yaml::parse(file.text(), file.id),
    }
    .ok()?;
    // A Serverless service is no nested stack's template: CloudFormation never reads it.
    let (mut root, None) = template_of(file, root)? else {
        return None;
    };
    let loops = expand_loops(&mut root);
    Some(nested::Template {
        id: file.id,
        path: crate::source::normalize(&file.path),
        display: std::sync::Arc::from(file.display.as_str()),
        stacks: nested::local_stacks(&root, &directory(file)),
        root,
        loops,
    })
}
