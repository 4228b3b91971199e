//! Settle: after the verdict, each file that findings or suppressions point into is read once
//! more to resolve fix requests into edits and record the positions reports show.

use std::collections::BTreeMap;
use std::sync::Arc;

use rayon::prelude::*;

use crate::diagnostic::fix::Fix;
use crate::diagnostic::{Finding, Label, RuleId};
use crate::fix;
use crate::report::human::excerpt;
use crate::source::{Excerpt, FileId, SourceFile, Span};
use crate::suppression::Suppression;

/// What `settle` needs of one file: the offsets findings point at, the findings (by index)
/// whose fix edits it, and, when the run keeps excerpts, the findings and suppressions (by
/// index) that point into it.
#[derive(Default)]
struct Needs {
    offsets: Vec<u32>,
    fixes: Vec<usize>,
    shown: Vec<usize>,
    suppressions: Vec<usize>,
}

/// One file settled: its positions recorded (when its text was released), fixes resolved, the
/// lines the human report shows of it for each finding and suppression, or a finding saying it
/// changed.
struct Settled {
    file: Option<SourceFile>,
    fixes: Vec<(usize, Arc<Fix>)>,
    excerpts: Vec<(usize, Excerpt)>,
    suppressions: Vec<(usize, Excerpt)>,
    changed: Option<Box<Finding>>,
}

const CHANGED: &str =
    "this file changed while it was checked; its findings are shown without positions or fixes";

fn settle_file(
    file: &SourceFile,
    mut needs: Needs,
    findings: &[Finding],
    suppressions: &[Suppression],
) -> Settled {
    let Some(loaded) = file.loaded() else {
        let mut finding = Finding::new(
            RuleId::IoError,
            CHANGED,
            Label::new(Span::new(file.id, 0, 0), "here"),
        );
        finding.help = Some("run intransit again".into());
        return Settled {
            file: None,
            fixes: Vec::new(),
            excerpts: Vec::new(),
            suppressions: Vec::new(),
            changed: Some(Box::new(finding)),
        };
    };
    let mut fixes = Vec::with_capacity(needs.fixes.len());
    let fixer = fix::Fixer::new(&loaded);
    for &i in &needs.fixes {
        let Some(request) = &findings[i].fix_request else {
            continue;
        };
        if let Some(fix) = fixer.resolve(request) {
            for edit in fix.edits.iter().filter(|e| e.span.file == file.id) {
                needs.offsets.extend([edit.span.start, edit.span.end]);
            }
            fixes.push((i, Arc::new(fix)));
        }
    }
    // A text kept for the whole run gives its positions itself; one read from disk (again
    // now, or still held by a job settled as soon as it was judged) is released with them.
    let positioned = file
        .is_on_disk()
        .then(|| loaded.with_positions(&needs.offsets));
    let lines = positioned.as_ref().unwrap_or(&loaded);
    let excerpts = needs
        .shown
        .iter()
        .filter_map(|&i| Some((i, excerpt_of(&loaded, lines, &findings[i])?)))
        .collect();
    let suppressions = needs
        .suppressions
        .iter()
        .map(|&i| (i, excerpt(&loaded, lines, &[suppressions[i].span])))
        .collect();
    Settled {
        file: positioned,
        fixes,
        excerpts,
        suppressions,
        changed: None,
    }
}

/// The lines the human report shows of `file` (its text held) for `finding`, when a label
/// points into it; `lines`: the file as settled, which knows the lines of the labels.
fn excerpt_of(file: &SourceFile, lines: &SourceFile, finding: &Finding) -> Option<Excerpt> {
    let spans: Vec<Span> = std::iter::once(&finding.primary)
        .chain(&finding.related)
        .map(|label| label.span)
        .filter(|span| span.file == file.id)
        .collect();
    (!spans.is_empty()).then(|| excerpt(file, lines, &spans))
}

/// Every span a report shows of these findings and suppressions (the positions settling
/// records).
fn spans_used(findings: &[Finding], suppressions: &[Suppression], at: &mut impl FnMut(Span)) {
    for finding in findings.iter() {
        at(finding.primary.span);
        finding.related.iter().for_each(|label| at(label.span));
        if let Some(resource) = &finding.resource {
            at(resource.header);
        }
    }
    for suppression in suppressions {
        at(suppression.span);
        if let Some(owner) = &suppression.owner {
            at(owner.header);
        }
    }
}

/// Settles a template judged as soon as it was lowered, while its text is still held (its
/// own findings, and the verdict's): the positions its findings and suppressions point at are recorded and its fix requests resolved,
/// so that the end of the run need not read it again. Returns the file released, with those
/// positions. Its findings point only into it (it links to no other file).
pub(super) fn settle_now(
    source: &SourceFile,
    own: &mut [Finding],
    judged: &mut [Finding],
    suppressions: &mut [Suppression],
    excerpts: bool,
) -> SourceFile {
    let mut offsets = Vec::new();
    let mut at = |span: Span| {
        if span.file == source.id {
            offsets.extend([span.start, span.end]);
        }
    };
    spans_used(own, suppressions, &mut at);
    spans_used(judged, &[], &mut at);
    let fixer = fix::Fixer::new(source);
    for finding in own.iter_mut().chain(judged.iter_mut()) {
        let Some(request) = &finding.fix_request else {
            continue;
        };
        if request
            .anchor()
            .is_none_or(|anchor| anchor.file != source.id)
        {
            continue;
        }
        if let Some(fix) = fixer.resolve(request) {
            for edit in fix.edits.iter().filter(|e| e.span.file == source.id) {
                offsets.extend([edit.span.start, edit.span.end]);
            }
            finding.fix = Some(Arc::new(fix));
        }
        // Resolved, or it cannot be: the request is not needed again.
        finding.fix_request = None;
    }
    let positioned = source.with_positions(&offsets);
    if excerpts {
        for finding in own.iter_mut().chain(judged.iter_mut()) {
            finding.excerpts = excerpt_of(source, &positioned, finding)
                .into_iter()
                .collect();
        }
        for suppression in suppressions.iter_mut() {
            if suppression.span.file == source.id {
                suppression.excerpt = Some(excerpt(source, &positioned, &[suppression.span]));
            }
        }
    }
    positioned
}

/// The end of a run: each file that findings or suppressions point into, and whose text was
/// released after lowering, is read once more (in parallel, one file per worker, dropped after)
/// to turn fix requests into edits and to record the positions reports show. A file that
/// changed since it was checked gets no fixes and an `io-error` saying why.
/// What settling each file gave, for a run that settles again after a small change (the
/// language server): a file whose text and needs are the same is not read again.
#[derive(Default)]
pub struct Cache {
    files: std::collections::HashMap<FileId, Kept>,
}

impl Cache {
    /// The entries of `ids`, taken out: a part of a run settles its own files with them.
    pub(super) fn take(&mut self, ids: impl IntoIterator<Item = FileId>) -> Cache {
        let files = ids
            .into_iter()
            .filter_map(|id| Some((id, self.files.remove(&id)?)))
            .collect();
        Cache { files }
    }

    /// Puts back what a part's settling left.
    pub(super) fn merge(&mut self, other: Cache) {
        self.files.extend(other.files);
    }

    /// Forgets the files of parts no longer in the run.
    pub(super) fn forget(&mut self, ids: impl IntoIterator<Item = FileId>) {
        for id in ids {
            self.files.remove(&id);
        }
    }
}

/// A file settled: the key of its needs, the file with its positions, and its fixes in the
/// order of its needs' fixes.
type Kept = (u64, Arc<SourceFile>, Vec<Option<Arc<Fix>>>);

/// A file taken from the cache, with its fixes by finding.
type Reused = (Arc<SourceFile>, Vec<(usize, Arc<Fix>)>);

/// A key for a file's needs: its text's identity and what is asked of it.
fn needs_key(file: &SourceFile, needs: &Needs, findings: &[Finding]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    file.path.hash(&mut hasher);
    file.fingerprint().hash(&mut hasher);
    needs.offsets.hash(&mut hasher);
    for &i in &needs.fixes {
        findings[i].fix_request.hash(&mut hasher);
    }
    hasher.finish()
}

/// `excerpts`: keep, with each finding and suppression, the lines the human report shows of
/// them (`Settings::excerpts`; the language server's session, which settles with a `cache`,
/// keeps none).
pub(super) fn settle(
    findings: &mut Vec<Finding>,
    suppressions: &mut [Suppression],
    files: &mut BTreeMap<FileId, Arc<SourceFile>>,
    settled_already: &std::collections::HashSet<FileId>,
    mut cache: Option<&mut Cache>,
    excerpts: bool,
) {
    let mut needs: BTreeMap<FileId, Needs> = BTreeMap::new();
    let mut at = |span: Span| {
        let offsets = &mut needs.entry(span.file).or_default().offsets;
        offsets.extend([span.start, span.end]);
    };
    spans_used(findings, suppressions, &mut at);
    for (i, finding) in findings.iter().enumerate() {
        if let Some(anchor) = finding.fix_request.as_ref().and_then(|r| r.anchor()) {
            needs.entry(anchor.file).or_default().fixes.push(i);
        }
    }
    if excerpts {
        for (i, finding) in findings.iter().enumerate() {
            let mut files: Vec<FileId> = std::iter::once(&finding.primary)
                .chain(&finding.related)
                .map(|label| label.span.file)
                .collect();
            files.sort_unstable();
            files.dedup();
            for file in files {
                needs.entry(file).or_default().shown.push(i);
            }
        }
        for (i, suppression) in suppressions.iter().enumerate() {
            needs
                .entry(suppression.span.file)
                .or_default()
                .suppressions
                .push(i);
        }
    }
    // Templates settled when they were judged (`settle_now`) are not read again.
    needs.retain(|id, _| !settled_already.contains(id));
    for needs in needs.values_mut() {
        needs.offsets.sort_unstable();
        needs.offsets.dedup();
    }
    // What the cache already holds is reused; the rest is settled in parallel.
    let mut reused: Vec<Reused> = Vec::new();
    let mut keys: std::collections::HashMap<FileId, u64> = std::collections::HashMap::new();
    if let Some(cache) = cache.as_deref_mut() {
        needs.retain(|id, needs| {
            let Some(file) = files.get(id) else {
                return true;
            };
            let key = needs_key(file, needs, findings);
            keys.insert(*id, key);
            match cache.files.get(id) {
                Some((known, settled, fixes)) if *known == key => {
                    let fixes = needs
                        .fixes
                        .iter()
                        .zip(fixes)
                        .filter_map(|(&i, fix)| Some((i, fix.clone()?)))
                        .collect();
                    reused.push((settled.clone(), fixes));
                    false
                }
                _ => true,
            }
        });
    }
    let settled: Vec<(FileId, Vec<usize>, Settled)> = needs
        .into_par_iter()
        .filter_map(|(id, needs)| {
            let order = needs.fixes.clone();
            Some((
                id,
                order,
                settle_file(files.get(&id)?, needs, findings, suppressions),
            ))
        })
        .collect();
    for (file, fixes) in reused {
        files.insert(file.id, file);
        for (i, fix) in fixes {
            findings[i].fix = Some(fix);
        }
    }
    for (id, order, settled) in settled {
        let file = match settled.file {
            Some(file) => {
                let file = Arc::new(file);
                files.insert(file.id, file.clone());
                Some(file)
            }
            None => files.get(&id).cloned(),
        };
        if let (Some(cache), Some(file), None) = (cache.as_deref_mut(), &file, &settled.changed) {
            let key = keys.get(&id).copied();
            if let Some(key) = key {
                let by_order = order
                    .iter()
                    .map(|i| {
                        settled
                            .fixes
                            .iter()
                            .find(|(j, _)| j == i)
                            .map(|(_, f)| f.clone())
                    })
                    .collect();
                cache.files.insert(id, (key, file.clone(), by_order));
            }
        }
        for (i, fix) in settled.fixes {
            findings[i].fix = Some(fix);
        }
        for (i, excerpt) in settled.excerpts {
            let mut kept = std::mem::take(&mut findings[i].excerpts).into_vec();
            kept.push(excerpt);
            findings[i].excerpts = kept.into();
        }
        for (i, excerpt) in settled.suppressions {
            suppressions[i].excerpt = Some(excerpt);
        }
        findings.extend(settled.changed.map(|f| *f));
    }
    // Every request is resolved now, or cannot be: none is needed again (a large run holds its
    // findings until the report).
    for finding in findings.iter_mut() {
        finding.fix_request = None;
    }
    // Files no longer asked about are forgotten.
    if let Some(cache) = cache {
        cache.files.retain(|id, _| keys.contains_key(id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn released(path: &std::path::Path, text: &str) -> BTreeMap<FileId, Arc<SourceFile>> {
        let file = SourceFile::new(
            FileId(0),
            path.to_path_buf(),
            "db.yaml".into(),
            Arc::new(text.to_string()),
            crate::source::Encoding::Utf8,
        )
        .on_disk();
        BTreeMap::from([(FileId(0), Arc::new(file.released()))])
    }

    #[test]
    fn positions_are_recorded_from_a_second_read_unless_the_file_changed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.yaml");
        let text = "a: é\nb: 1\n";
        std::fs::write(&path, text).unwrap();
        let finding = || {
            Finding::new(
                RuleId::TlsNotEnforced,
                "x",
                Label::new(Span::new(FileId(0), 9, 10), "here"),
            )
        };

        let settled = |findings: &mut Vec<Finding>, files: &mut BTreeMap<_, _>| {
            settle(findings, &mut [], files, &Default::default(), None, true)
        };

        let mut files = released(&path, text);
        let mut findings = vec![finding()];
        settled(&mut findings, &mut files);
        assert_eq!(findings.len(), 1);
        assert_eq!(files[&FileId(0)].line_col(9), (2, 4));
        assert_eq!(files[&FileId(0)].char_offset(9), 8);
        assert_eq!(files[&FileId(0)].text(), "", "the text is not kept");

        // Changed between the check and the second read: no positions, and a finding says so.
        std::fs::write(&path, "b: 1\na: é\n").unwrap();
        let mut files = released(&path, text);
        let mut findings = vec![finding()];
        settled(&mut findings, &mut files);
        assert_eq!(findings.len(), 2);
        assert_eq!(findings[1].rule, RuleId::IoError);
        assert!(findings[1].message.contains("changed while it was checked"));
        assert_eq!(files[&FileId(0)].line_col(9), (1, 1));
    }
}
