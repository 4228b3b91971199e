//! Fix rounds: fixes are applied in memory and the run repeated on the fixed texts (a fix may
//! reveal another) until nothing changes; a fix that breaks a file is reverted.

use super::{check, Input};
use crate::diagnostic::fix::{Applicability, Edit};
use crate::fix::apply;
use crate::report::Report;
use crate::settings::Settings;
use crate::source::SourceFile;

/// The outcome of fixing: every file whose text changed, and the report on the fixed texts.
pub struct Fixed {
    /// (path, text before, text after), in path order.
    pub files: Vec<(std::path::PathBuf, String, String)>,
    /// How many edits were applied over all rounds.
    pub applied: usize,
    /// The findings whose fixes were applied, where they were (in the text of their round).
    pub fixes: Vec<AppliedFix>,
    /// The report on the texts as they were.
    pub initial: Report,
    /// The report on the fixed texts.
    pub report: Report,
}

/// One finding fixed.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct AppliedFix {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub rule: crate::diagnostic::RuleId,
    pub description: String,
}

/// Applies fixes round by round in memory (a fix may reveal another) until nothing changes.
/// A file whose fixed text no longer parses keeps its text; nothing here writes to disk.
pub fn fix_all(inputs: &[Input], settings: &Settings, allow_unsafe: bool) -> Fixed {
    use crate::source::normalize;
    use std::collections::BTreeMap;
    const MAX_ROUNDS: usize = 8;
    // Fixes are read from the findings themselves: held in memory, never spilled.
    let mut settings = Settings {
        spill_after: None,
        ..settings.clone()
    };
    let mut originals: BTreeMap<std::path::PathBuf, (std::path::PathBuf, String)> = BTreeMap::new();
    let mut frozen: std::collections::HashSet<std::path::PathBuf> =
        std::collections::HashSet::new();
    let mut applied = 0;
    let mut fixes: Vec<AppliedFix> = Vec::new();
    let initial = check(inputs, &settings);
    let mut report = initial.clone();
    for _ in 0..MAX_ROUNDS {
        let mut per_file: BTreeMap<std::path::PathBuf, (&SourceFile, Vec<Edit>)> = BTreeMap::new();
        for finding in report.findings.in_memory() {
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
        let next = check(inputs, &candidate);
        // Never keep a fix that breaks a file: revert it and leave that file alone.
        let broken: Vec<std::path::PathBuf> = next
            .findings
            .in_memory()
            .iter()
            .filter(|f| f.rule == crate::diagnostic::RuleId::ParseError)
            .filter_map(|f| {
                next.file(f.primary.span.file)
                    .map(|file| normalize(&file.path))
            })
            .filter(|key| per_file.contains_key(key))
            .collect();
        if broken.is_empty() {
            // What this round fixed: findings whose edits went into a changed file.
            for finding in report.findings.in_memory() {
                let Some(fix) = &finding.fix else { continue };
                if fix.applicability == Applicability::Unsafe && !allow_unsafe {
                    continue;
                }
                let changed = fix.edits.iter().all(|edit| {
                    report.file(edit.span.file).is_some_and(|file| {
                        candidate.overrides.get(&normalize(&file.path))
                            != settings.overrides.get(&normalize(&file.path))
                    })
                });
                if changed && !fix.edits.is_empty() {
                    let at = report.position(finding.primary.span);
                    fixes.push(AppliedFix {
                        file: at.file.to_string(),
                        line: at.line,
                        column: at.column,
                        rule: finding.rule,
                        description: fix.description.clone(),
                    });
                }
            }
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
    fixes.sort();
    fixes.dedup();
    Fixed {
        files,
        applied,
        fixes,
        initial,
        report,
    }
}
