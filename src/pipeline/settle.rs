//! Settle: after the verdict, each file that findings or suppressions point into is read once
//! more to resolve fix requests into edits and record the positions reports show.

use std::collections::BTreeMap;
use std::sync::Arc;

use rayon::prelude::*;

use crate::diagnostic::fix::Fix;
use crate::diagnostic::{Finding, Label, RuleId};
use crate::fix;
use crate::source::{FileId, SourceFile, Span};
use crate::suppression::Suppression;

/// What `settle` needs of one file: the offsets findings point at, and the findings (by index)
/// whose fix edits it.
#[derive(Default)]
struct Needs {
    offsets: Vec<u32>,
    fixes: Vec<usize>,
}

/// One file settled: its positions recorded (when its text was released), fixes resolved, or
/// a finding saying it changed.
struct Settled {
    file: Option<SourceFile>,
    fixes: Vec<(usize, Fix)>,
    changed: Option<Finding>,
}

const CHANGED: &str =
    "this file changed while it was checked; its findings are shown without positions or fixes";

fn settle_file(file: &SourceFile, mut needs: Needs, findings: &[Finding]) -> Settled {
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
            changed: Some(finding),
        };
    };
    let mut fixes = Vec::new();
    let fixer = fix::Fixer::new(&loaded);
    for &i in &needs.fixes {
        let Some(request) = &findings[i].fix_request else {
            continue;
        };
        if let Some(fix) = fixer.resolve(request) {
            for edit in fix.edits.iter().filter(|e| e.span.file == file.id) {
                needs.offsets.extend([edit.span.start, edit.span.end]);
            }
            fixes.push((i, fix));
        }
    }
    Settled {
        file: (!file.is_kept()).then(|| loaded.with_positions(&needs.offsets)),
        fixes,
        changed: None,
    }
}

/// The end of a run: each file that findings or suppressions point into, and whose text was
/// released after lowering, is read once more (in parallel, one file per worker, dropped after)
/// to turn fix requests into edits and to record the positions reports show. A file that
/// changed since it was checked gets no fixes and an `io-error` saying why.
pub(super) fn settle(
    findings: &mut Vec<Finding>,
    suppressions: &[Suppression],
    files: &mut BTreeMap<FileId, Arc<SourceFile>>,
) {
    let mut needs: BTreeMap<FileId, Needs> = BTreeMap::new();
    let mut at = |span: Span| {
        let offsets = &mut needs.entry(span.file).or_default().offsets;
        offsets.extend([span.start, span.end]);
    };
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
    for (i, finding) in findings.iter().enumerate() {
        if let Some(anchor) = finding.fix_request.as_ref().and_then(|r| r.anchor()) {
            needs.entry(anchor.file).or_default().fixes.push(i);
        }
    }
    let settled: Vec<Settled> = needs
        .into_par_iter()
        .filter_map(|(id, needs)| Some(settle_file(files.get(&id)?, needs, findings)))
        .collect();
    for settled in settled {
        if let Some(file) = settled.file {
            files.insert(file.id, Arc::new(file));
        }
        for (i, fix) in settled.fixes {
            findings[i].fix = Some(fix);
        }
        findings.extend(settled.changed);
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
            Arc::from(text),
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

        let mut files = released(&path, text);
        let mut findings = vec![finding()];
        settle(&mut findings, &[], &mut files);
        assert_eq!(findings.len(), 1);
        assert_eq!(files[&FileId(0)].line_col(9), (2, 4));
        assert_eq!(files[&FileId(0)].char_offset(9), 8);
        assert_eq!(files[&FileId(0)].text(), "", "the text is not kept");

        // Changed between the check and the second read: no positions, and a finding says so.
        std::fs::write(&path, "b: 1\na: é\n").unwrap();
        let mut files = released(&path, text);
        let mut findings = vec![finding()];
        settle(&mut findings, &[], &mut files);
        assert_eq!(findings.len(), 2);
        assert_eq!(findings[1].rule, RuleId::IoError);
        assert!(findings[1].message.contains("changed while it was checked"));
        assert_eq!(files[&FileId(0)].line_col(9), (1, 1));
    }
}
