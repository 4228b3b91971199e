//! intransit: finds Amazon RDS databases whose CloudFormation does not guarantee TLS.
//!
//! `check` reads the given files, links every database to its parameter group and returns a
//! `Report`; it never prints and never exits. Rendering lives in `report`, the CLI in the binary.

pub mod baseline;
pub mod cloudformation;
pub mod diagnostic;
pub mod fix;
pub mod model;
pub mod report;
pub mod rules;
pub mod settings;
pub mod source;
pub mod suppression;
pub mod terraform;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;

use diagnostic::{Finding, Label, RuleId};
use model::FileModel;
pub use report::{Report, Summary};
pub use settings::Settings;
use source::{decode, FileId, SourceFile, Span};
use suppression::Suppression;

/// A file's bytes, or its size and first bytes when it is over the limit.
pub enum Limited {
    Whole(Vec<u8>),
    TooLarge { size: u64, head: Vec<u8> },
}

/// Reads a file unless it is larger than `limit`; then only its first 64 KiB, to tell whether
/// it looks like something the user expects checked.
pub fn read_limited(path: &std::path::Path, limit: u64) -> std::io::Result<Limited> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let size = file.metadata()?.len();
    if size <= limit {
        let mut bytes = Vec::with_capacity(size as usize);
        file.read_to_end(&mut bytes)?;
        return Ok(Limited::Whole(bytes));
    }
    let mut head = vec![0; 64 * 1024];
    let n = file.read(&mut head)?;
    head.truncate(n);
    Ok(Limited::TooLarge { size, head })
}

/// An oversized file is a finding when it looks like a template or is Terraform; other large
/// JSON/YAML (lock files, data) is skipped quietly, as any non-template is.
fn too_large(id: FileId, input: &Input, size: u64, head: &[u8], limit: u64) -> FileResult {
    let head = String::from_utf8_lossy(head);
    if !cloudformation::mentions_aws(&head) && !terraform::modules::names_module(&input.path) {
        return FileResult {
            scanned: true,
            ..FileResult::default()
        };
    }
    failed(
        source_of(id, input, String::new(), source::Encoding::Utf8, false),
        parse_error(too_large_message(size, limit), Span::new(id, 0, 0)),
    )
}

/// Why an oversized file is not read (CloudFormation and Terraform alike).
pub(crate) fn too_large_message(size: u64, limit: u64) -> String {
    format!(
        "the file is {size} bytes, over the {limit}-byte limit (`max-file-size` in \
         intransit.toml); it is not read"
    )
}

/// A file that yields one finding and nothing else; `source` is what positions refer to.
fn failed(source: SourceFile, finding: Finding) -> FileResult {
    FileResult {
        source: Some(Arc::new(source)),
        findings: vec![finding],
        scanned: true,
        ..FileResult::default()
    }
}

fn parse_error(message: String, span: Span) -> Finding {
    cloudformation::parse_error(&cloudformation::node::ParseError {
        message,
        span,
        first: None,
    })
}

/// Terraform root modules get scope ids from here on; CloudFormation scopes are file ids.
const TERRAFORM_SCOPES: u32 = 1 << 30;

/// One file to check.
#[derive(Clone, Debug)]
pub struct Input {
    pub path: PathBuf,
    /// The path reports show.
    pub display: String,
    /// The text, when it does not come from the file (`--stdin-filename`).
    pub text: Option<String>,
    /// Named on the command line: read even with an unusual extension.
    pub explicit: bool,
}

/// What one file contributed.
#[derive(Default)]
struct FileResult {
    source: Option<Arc<SourceFile>>,
    model: FileModel,
    suppressions: Vec<Suppression>,
    findings: Vec<Finding>,
    scanned: bool,
}

pub fn check(inputs: &[Input], settings: &Settings) -> Report {
    // Files that contribute nothing (most of a large tree) are counted, not kept.
    let scanned = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<FileResult> = inputs
        .par_iter()
        .enumerate()
        .filter(|(_, input)| !terraform::modules::names_module(&input.path))
        .map(|(i, input)| read_file(FileId(i as u32), input, settings))
        .filter(|result| {
            if result.scanned {
                scanned.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            result.source.is_some()
                || !result.model.is_empty()
                || !result.suppressions.is_empty()
                || !result.findings.is_empty()
        })
        .collect();

    let mut files: BTreeMap<FileId, Arc<SourceFile>> = BTreeMap::new();
    let mut models = Vec::new();
    let mut suppressions = Vec::new();
    let mut findings = Vec::new();
    let mut scanned = scanned.into_inner();
    for result in results {
        if let Some(source) = result.source {
            files.insert(source.id, source);
        }
        models.push(result.model);
        suppressions.extend(result.suppressions);
        findings.extend(result.findings);
    }
    // Terraform: each directory holding a named or walked `.tf` file is a module.
    let tf_dirs: Vec<PathBuf> = inputs
        .iter()
        .filter(|input| terraform::modules::names_module(&input.path))
        .map(|input| match input.path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        })
        .collect();
    if !tf_dirs.is_empty() {
        // An unsaved buffer (`--stdin-filename main.tf`) replaces that file in its module.
        let mut overrides: std::collections::HashMap<PathBuf, String> = inputs
            .iter()
            .filter_map(|i| Some((terraform::modules::normalize(&i.path), i.text.clone()?)))
            .collect();
        overrides.extend(settings.overrides.clone());
        let ids = std::sync::atomic::AtomicU32::new(inputs.len() as u32);
        let loaded = terraform::check(&tf_dirs, settings, overrides, &ids, TERRAFORM_SCOPES);
        scanned += loaded.files.len();
        for file in loaded.files {
            files.insert(file.id, file);
        }
        models.extend(loaded.models);
        suppressions.extend(loaded.suppressions);
        findings.extend(loaded.findings);
    }
    let databases: Vec<diagnostic::ResourceInfo> = models
        .iter()
        .flat_map(|m| &m.databases)
        .map(|db| rules::resource_info(&db.resource))
        .collect();
    findings.extend(rules::evaluate(&models, settings.require_explicit));
    settle(&mut findings, &suppressions, &mut files);
    let suppressed = suppression::apply(
        &mut findings,
        &suppressions,
        settings.today,
        |span: Span| {
            files
                .get(&span.file)
                .map_or(0, |file| file.line_of(span.start))
        },
    );
    // The baseline keys on the file of the resource (else of the finding), as reports show it.
    let suppressed = suppressed
        + settings.baseline.as_ref().map_or(0, |baseline| {
            let file_of = |finding: &Finding| {
                let span = finding
                    .resource
                    .as_ref()
                    .map_or(finding.primary.span, |r| r.header);
                files
                    .get(&span.file)
                    .map(|f| f.display.clone())
                    .unwrap_or_default()
            };
            baseline.hide(&mut findings, &file_of)
        });
    findings.retain_mut(|finding| match settings.severity.get(&finding.rule) {
        Some(None) => false,
        Some(Some(severity)) => {
            finding.severity = *severity;
            true
        }
        None => true,
    });
    Report::new(files, findings, scanned, databases, suppressed)
}

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
    fixes: Vec<(usize, fix::Fix)>,
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
    for &i in &needs.fixes {
        let Some(request) = &findings[i].fix_request else {
            continue;
        };
        if let Some(fix) = fix::resolve(request, &loaded) {
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
fn settle(
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

fn read_file(id: FileId, input: &Input, settings: &Settings) -> FileResult {
    let replaced = settings
        .overrides
        .get(&terraform::modules::normalize(&input.path));
    // A fix being tried replaces even an unsaved buffer: it is the newer text.
    let in_memory = replaced.or(input.text.as_ref());
    let from_disk = in_memory.is_none();
    let bytes = match in_memory {
        Some(text) => text.clone().into_bytes(),
        None => match read_limited(&input.path, settings.max_file_size) {
            Ok(Limited::Whole(bytes)) => bytes,
            Ok(Limited::TooLarge { size, head }) => {
                return too_large(id, input, size, &head, settings.max_file_size)
            }
            Err(error) => {
                let mut finding = Finding::new(
                    RuleId::IoError,
                    format!("cannot read this file: {error}"),
                    Label::new(Span::new(id, 0, 0), "here"),
                );
                finding.help =
                    Some("check the file's permissions; until then it is not checked".into());
                let source = source_of(id, input, String::new(), source::Encoding::Utf8, false);
                return failed(source, finding);
            }
        },
    };
    let (text, encoding) = match decode(bytes) {
        Ok(decoded) => decoded,
        Err((bytes, valid_up_to)) => {
            let lossy = String::from_utf8_lossy(&bytes).into_owned();
            if !cloudformation::mentions_aws(&lossy) {
                return FileResult {
                    scanned: true,
                    ..FileResult::default()
                };
            }
            let at = valid_up_to.min(lossy.len());
            let finding = parse_error(
                format!("the file is not valid UTF-8 (byte {valid_up_to})"),
                Span::new(id, at, at),
            );
            // Positions refer to the lossy text, which is not what the file holds: kept.
            return failed(
                source_of(id, input, lossy, source::Encoding::Utf8, false),
                finding,
            );
        }
    };
    let syntax = cloudformation::syntax_of(&input.path, &text).or_else(|| {
        input.explicit.then(|| {
            if text
                .trim_start_matches('\u{feff}')
                .trim_start()
                .starts_with('{')
            {
                cloudformation::Syntax::Json
            } else {
                cloudformation::Syntax::Yaml
            }
        })
    });
    let Some(syntax) = syntax else {
        return FileResult::default();
    };
    if cloudformation::mentions_aws(&text) {
        if let Some((message, span)) = source::nesting_error(&text, id, settings.max_nesting) {
            let source = source_of(id, input, text, encoding, from_disk);
            return failed(source.released(), parse_error(message, span));
        }
    }
    let source = source_of(id, input, text, encoding, from_disk);
    if syntax == cloudformation::Syntax::Json && terraform::plan::is_plan(source.text()) {
        let (model, findings) = match terraform::plan::load(&source, model::ScopeId(id.0)) {
            Ok(model) => (model, Vec::new()),
            Err(error) => (
                FileModel::default(),
                vec![cloudformation::parse_error(&error)],
            ),
        };
        return FileResult {
            source: Some(Arc::new(source.released())),
            model,
            findings,
            scanned: true,
            ..FileResult::default()
        };
    }
    let Some(loaded) = cloudformation::load(&source, syntax, settings.targeted_parsing) else {
        return FileResult {
            scanned: true,
            ..FileResult::default()
        };
    };
    // Keep the text only where findings can point.
    let keep =
        !loaded.model.is_empty() || !loaded.findings.is_empty() || !loaded.suppressions.is_empty();
    FileResult {
        source: keep.then(|| Arc::new(source.released())),
        model: loaded.model,
        suppressions: loaded.suppressions,
        findings: loaded.findings,
        scanned: true,
    }
}

/// A file's source. Text `from_disk` can be released after lowering and read again; anything
/// else (an unsaved buffer, a fix being tried, text made up for a diagnostic) is kept.
fn source_of(
    id: FileId,
    input: &Input,
    text: String,
    encoding: source::Encoding,
    from_disk: bool,
) -> SourceFile {
    let file = SourceFile::new(
        id,
        input.path.clone(),
        input.display.clone(),
        Arc::from(text),
        encoding,
    );
    if from_disk {
        file.on_disk()
    } else {
        file
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
            source::Encoding::Utf8,
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
