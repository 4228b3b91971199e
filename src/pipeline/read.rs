//! Reading one file that is not Terraform: decoded, guarded (size, nesting), recognised as a
//! CloudFormation template or a Terraform plan, and lowered; the text is released after.

use std::sync::Arc;

use super::{Early, FileResult, Input, Judged};
use crate::diagnostic::{Finding, Label, RuleId};
use crate::model::{self, FileModel};
use crate::settings::Settings;
use crate::source::{self, decode, too_large_message, FileId, Limited, SourceFile, Span};
use crate::{cloudformation, terraform};

/// An oversized file is a finding when it looks like a template or is Terraform; other large
/// JSON/YAML (lock files, data) is skipped quietly, as any non-template is.
fn too_large(id: FileId, input: &Input, size: u64, head: &[u8], limit: u64) -> FileResult {
    let head = String::from_utf8_lossy(head);
    if !cloudformation::mentions_aws(&head) && !terraform::modules::names_module(&input.path) {
        return FileResult::default();
    }
    failed(
        source_of(id, input, String::new(), source::Encoding::Utf8, false),
        Finding::parse_error(too_large_message(size, limit), Span::new(id, 0, 0), None),
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

/// A file's text: from a fix being tried, an unsaved buffer, or the disk (bounded, decoded).
/// `Err` is the result for a file that cannot be read as text.
fn text_of(
    id: FileId,
    input: &Input,
    settings: &Settings,
) -> Result<(String, source::Encoding, bool), Box<FileResult>> {
    let replaced = settings.overrides.get(&source::normalize(&input.path));
    // A fix being tried replaces even an unsaved buffer: it is the newer text.
    let in_memory = replaced.or(input.text.as_ref());
    let from_disk = in_memory.is_none();
    let bytes = match in_memory {
        Some(text) => text.clone().into_bytes(),
        None => match source::read_limited(&input.path, settings.max_file_size) {
            Ok(Limited::Whole(bytes)) => bytes,
            Ok(Limited::TooLarge { size, head }) => {
                return Err(Box::new(too_large(
                    id,
                    input,
                    size,
                    &head,
                    settings.max_file_size,
                )))
            }
            Err(error) => {
                let what = if input.path.is_dir() {
                    "this directory"
                } else {
                    "this file"
                };
                let mut finding = Finding::new(
                    RuleId::IoError,
                    format!("cannot read {what}: {error}"),
                    Label::new(Span::new(id, 0, 0), "here"),
                );
                finding.help =
                    Some("check the file's permissions; until then it is not checked".into());
                let source = source_of(id, input, String::new(), source::Encoding::Utf8, false);
                return Err(Box::new(failed(source, finding)));
            }
        },
    };
    match decode(bytes) {
        Ok((text, encoding)) => Ok((text, encoding, from_disk)),
        Err((bytes, valid_up_to)) => {
            let lossy = String::from_utf8_lossy(&bytes).into_owned();
            if !cloudformation::mentions_aws(&lossy) {
                return Err(Box::new(FileResult::default()));
            }
            let at = valid_up_to.min(lossy.len());
            let finding = Finding::parse_error(
                format!("the file is not valid UTF-8 (byte {valid_up_to})"),
                Span::new(id, at, at),
                None,
            );
            // Positions refer to the lossy text, which is not what the file holds: kept.
            Err(Box::new(failed(
                source_of(id, input, lossy, source::Encoding::Utf8, false),
                finding,
            )))
        }
    }
}

/// The syntax a file is read with: by its name, or by its first character when named on the
/// command line with another extension.
fn syntax(input: &Input, text: &str) -> Option<cloudformation::Syntax> {
    cloudformation::syntax_of(&input.path, text).or_else(|| {
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
    })
}

/// A template of a stack tree, read again in full, with its source.
pub(super) fn template(
    id: FileId,
    input: &Input,
    settings: &Settings,
) -> Option<(SourceFile, cloudformation::nested::Template)> {
    let (text, encoding, from_disk) = text_of(id, input, settings).ok()?;
    let syntax = syntax(input, &text)?;
    if source::nesting_error(&text, id, settings.max_nesting).is_some() {
        return None;
    }
    let source = source_of(id, input, text, encoding, from_disk);
    let template = cloudformation::read_template(&source, syntax)?;
    Some((source.released(), template))
}

/// `early`: whether a template that links only inside itself is judged here, as soon as it is
/// lowered (see `Judged`), and whether its model is then dropped.
pub(super) fn read_file(
    id: FileId,
    input: &Input,
    settings: &Settings,
    early: Early,
) -> FileResult {
    let (text, encoding, from_disk) = match text_of(id, input, settings) {
        Ok(text) => text,
        Err(result) => return *result,
    };
    let syntax = syntax(input, &text);
    let Some(syntax) = syntax else {
        return FileResult::default();
    };
    let mut masked = None;
    if cloudformation::mentions_aws(&text) {
        // JSON the targeted scanner follows has its depth measured by that pass: the guard
        // need not read it again (and its targeted text is made once).
        let scan = (syntax == cloudformation::Syntax::Json)
            .then(|| cloudformation::targeted::scan_json(&text))
            .flatten();
        let measured = scan.as_ref().map(|scan| scan.deepest);
        if measured.is_none_or(|deepest| deepest > settings.max_nesting) {
            if let Some((message, span)) = source::nesting_error(&text, id, settings.max_nesting) {
                let source = source_of(id, input, text, encoding, from_disk);
                return failed(source.released(), Finding::parse_error(message, span, None));
            }
        }
        if settings.targeted_parsing {
            masked = match scan {
                Some(scan) => scan.masked,
                None if syntax == cloudformation::Syntax::Yaml => {
                    cloudformation::targeted::relevant_only(&text)
                }
                None => None,
            };
        }
    }
    let source = source_of(id, input, text, encoding, from_disk);
    if syntax == cloudformation::Syntax::Json && terraform::plan::is_plan(source.text()) {
        let (model, findings) = match terraform::plan::load(&source, model::ScopeId(id.0)) {
            Ok(model) => (model, Vec::new()),
            Err(error) => (FileModel::default(), vec![error.finding()]),
        };
        return FileResult {
            source: Some(Arc::new(source.released())),
            model,
            findings,
            scanned: true,
            ..FileResult::default()
        };
    }
    // Not a template (a Kubernetes manifest, a workflow): not counted as checked.
    let Some(mut loaded) = cloudformation::load_masked(&source, syntax, masked) else {
        return FileResult::default();
    };
    // Keep the text only where findings can point.
    let keep =
        !loaded.model.is_empty() || !loaded.findings.is_empty() || !loaded.suppressions.is_empty();
    let mut model = loaded.model;
    // A template that includes others is judged with them, as a tree; one that names
    // something by a literal name may link to another file.
    let mut judged = (early != Early::Never && loaded.stacks.is_empty())
        .then(|| Judged::of(&[&model], settings))
        .flatten();
    let mut findings = loaded.findings;
    let mut released = None;
    if let Some(judged) = &mut judged {
        model = FileModel::default();
        // Settled now, with the text in hand: the end of the run need not read it again.
        let file = super::settle::settle_now(
            &source,
            &mut findings,
            &mut judged.findings,
            &mut loaded.suppressions,
            settings.excerpts,
        );
        judged.settled = true;
        let mut sealed = Vec::new();
        judged.seal(
            &loaded.suppressions,
            settings,
            |span| (span.file == id).then(|| file.line_col(span.start)),
            &mut |piece| sealed.push(piece),
        );
        judged.sealed = sealed;
        released = Some(file);
    }
    FileResult {
        source: keep.then(|| Arc::new(released.unwrap_or_else(|| source.released()))),
        model,
        suppressions: loaded.suppressions,
        findings,
        scanned: true,
        stacks: loaded.stacks,
        judged,
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
        Arc::new(text),
        encoding,
    );
    if from_disk {
        file.on_disk()
    } else {
        file
    }
}
