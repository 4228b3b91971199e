//! Fixes: a finding's `FixRequest` (what should change, in model terms) becomes byte-range
//! edits on the file's text through helpers that know YAML (block and flow), JSON and HCL,
//! keep the neighbours' indentation, quoting and line endings, and refuse anything that is not
//! a plain literal. Edits apply back to front; overlapping edits are left for the next round.

mod edits;

use edits::{hcl_block, json_entry, new_literal, yaml_entry};

use crate::source::{SourceFile, Span};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applicability {
    /// Sets the engine's own TLS switch where the template already decides it.
    Safe,
    /// Changes which group governs a database (a reboot; clients without TLS are refused).
    Unsafe,
}

impl Applicability {
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Safe => "safe",
            Applicability::Unsafe => "unsafe",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub span: Span,
    pub replacement: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    pub applicability: Applicability,
    pub description: String,
    pub edits: Vec<Edit>,
}

/// Where a parameter can be added to a group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    /// CloudFormation: the group's `Parameters` map.
    Map(Span),
    /// CloudFormation: the `Properties` map of a group without `Parameters`.
    Properties(Span),
    /// Terraform: the group's resource block.
    Block(Span),
    /// Nowhere we can write (plan JSON, `.tf.json`, computed parameters).
    None,
}

/// What a fix should do, before it is turned into text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FixRequest {
    /// Replace the literal at `span` by the enabling value.
    SetValue {
        span: Span,
        parameter: String,
        enabling: String,
    },
    /// Add `parameter = enabling` to a group.
    AddParameter {
        slot: Slot,
        parameter: String,
        enabling: String,
    },
    /// Unsafe: create a parameter group of `family` that sets the parameter, and name it on
    /// the database (which then leaves the default group: a reboot, plaintext clients refused).
    AddGroup(NewGroup),
    /// Unsafe: turn a TLS-looking parameter RDS ignores into the engine's own, enabled.
    RenameParameter {
        key: Span,
        value: Option<Span>,
        parameter: String,
        enabling: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewGroup {
    /// Where the database's group property goes.
    pub database: Slot,
    /// The database's whole declaration (the new group goes after it) and its first line.
    pub resource: Span,
    pub header: Span,
    /// The `Type` line (CloudFormation), for the file's indentation step.
    pub type_span: Span,
    /// The new group's logical ID or Terraform name.
    pub name: String,
    pub cluster: bool,
    pub family: String,
    /// The database property that names the group (`DBParameterGroupName`, …).
    pub property: String,
    pub parameter: String,
    pub enabling: String,
}

impl FixRequest {
    /// A span inside the file the fix edits.
    pub fn anchor(&self) -> Option<Span> {
        match self {
            FixRequest::SetValue { span, .. } | FixRequest::RenameParameter { key: span, .. } => {
                Some(*span)
            }
            FixRequest::AddParameter { slot, .. } => slot.span(),
            FixRequest::AddGroup(group) => Some(group.resource),
        }
    }
}

impl Slot {
    pub fn span(self) -> Option<Span> {
        match self {
            Slot::Map(s) | Slot::Properties(s) | Slot::Block(s) => Some(s),
            Slot::None => None,
        }
    }
}

/// Turns a request into edits on `file`; `None` when the text is not one we can edit safely.
pub fn resolve(request: &FixRequest, file: &SourceFile) -> Option<Fix> {
    let syntax = Syntax::of(file)?;
    match request {
        FixRequest::SetValue {
            span,
            parameter,
            enabling,
        } => {
            let replacement = new_literal(file.slice(*span), enabling, syntax)?;
            Some(Fix {
                applicability: Applicability::Safe,
                description: format!("set {parameter} to {replacement}"),
                edits: vec![Edit {
                    span: *span,
                    replacement,
                }],
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
        let name = file.path.file_name()?.to_str()?.to_ascii_lowercase();
        if name.ends_with(".tf") {
            Some(Syntax::Hcl)
        } else if name.ends_with(".tf.json") || crate::terraform::plan::is_plan(file.text()) {
            None
        } else if name.ends_with(".json")
            || file
                .text()
                .trim_start_matches('\u{feff}')
                .trim_start()
                .starts_with('{')
        {
            Some(Syntax::Json)
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

/// The outcome of fixing: every file whose text changed, and the report on the fixed texts.
pub struct Fixed {
    /// (path, text before, text after), in path order.
    pub files: Vec<(std::path::PathBuf, String, String)>,
    /// How many edits were applied over all rounds.
    pub applied: usize,
    pub report: crate::Report,
}

/// Applies fixes round by round in memory (a fix may reveal another) until nothing changes.
/// A file whose fixed text no longer parses keeps its text; nothing here writes to disk.
pub fn fix_all(inputs: &[crate::Input], settings: &crate::Settings, allow_unsafe: bool) -> Fixed {
    use crate::terraform::modules::normalize;
    use std::collections::BTreeMap;
    const MAX_ROUNDS: usize = 8;
    let mut settings = settings.clone();
    let mut originals: BTreeMap<std::path::PathBuf, (std::path::PathBuf, String)> = BTreeMap::new();
    let mut frozen: std::collections::HashSet<std::path::PathBuf> =
        std::collections::HashSet::new();
    let mut applied = 0;
    let mut report = crate::check(inputs, &settings);
    for _ in 0..MAX_ROUNDS {
        let mut per_file: BTreeMap<std::path::PathBuf, (&SourceFile, Vec<Edit>)> = BTreeMap::new();
        for finding in &report.findings {
            let Some(fix) = &finding.fix else { continue };
            if fix.applicability == Applicability::Unsafe && !allow_unsafe {
                continue;
            }
            for edit in &fix.edits {
                let Some(file) = report.file(edit.span.file) else {
                    continue;
                };
                let key = normalize(&file.path);
                if frozen.contains(&key) {
                    continue;
                }
                per_file
                    .entry(key)
                    .or_insert((file, Vec::new()))
                    .1
                    .push(edit.clone());
            }
        }
        let mut candidate = settings.clone();
        let mut round = 0;
        for (key, (file, edits)) in &per_file {
            // A file changed on disk since it was checked gets no edits.
            let Some(before) = file.load() else {
                continue;
            };
            let (text, count) = apply(&before, edits);
            if count == 0 || text == *before {
                continue;
            }
            originals
                .entry(key.clone())
                .or_insert_with(|| (file.path.clone(), before.to_string()));
            candidate.overrides.insert(key.clone(), text);
            round += count;
        }
        if round == 0 {
            break;
        }
        let next = crate::check(inputs, &candidate);
        // Never keep a fix that breaks a file: revert it and leave that file alone.
        let broken: Vec<std::path::PathBuf> = next
            .findings
            .iter()
            .filter(|f| f.rule == crate::diagnostic::RuleId::ParseError)
            .filter_map(|f| {
                next.file(f.primary.span.file)
                    .map(|file| normalize(&file.path))
            })
            .filter(|key| per_file.contains_key(key))
            .collect();
        if broken.is_empty() {
            settings = candidate;
            report = next;
            applied += round;
        } else {
            frozen.extend(broken);
        }
    }
    let files = originals
        .into_iter()
        .filter_map(|(key, (path, before))| {
            let after = settings.overrides.get(&key)?.clone();
            (after != before).then_some((path, before, after))
        })
        .collect();
    Fixed {
        files,
        applied,
        report,
    }
}
