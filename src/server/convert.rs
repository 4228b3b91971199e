//! Between the library's types and the protocol's: file URIs and paths, byte offsets and
//! positions in the negotiated encoding, findings and diagnostics, fixes and workspace edits.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use lsp_types::{
    Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString,
    Position, Range, TextEdit, Uri,
};

use intransit::diagnostic::{Finding, Severity};
use intransit::report::Report;
use intransit::source::{LineIndex, Span};

/// How `character` in a position counts: UTF-16 code units (the default) or bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf16,
    Utf8,
}

/// `file:///a/b%20c.yaml` for an absolute path (bytes outside the unreserved set escaped).
pub fn uri_of(path: &Path) -> Option<Uri> {
    use std::os::unix::ffi::OsStrExt;
    let absolute = std::path::absolute(path).ok()?;
    let mut text = String::from("file://");
    for &b in absolute.as_os_str().as_bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            text.push(b as char);
        } else {
            text.push_str(&format!("%{b:02X}"));
        }
    }
    text.parse().ok()
}

/// The path of a `file:` URI (percent escapes decoded); `None` for other schemes.
pub fn path_of(uri: &Uri) -> Option<PathBuf> {
    use std::os::unix::ffi::OsStringExt;
    let text = uri.as_str();
    let rest = text.strip_prefix("file://")?;
    // `file://localhost/x` and `file:///x` name the same file.
    let path = match rest.find('/') {
        Some(at) => &rest[at..],
        None => return None,
    };
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1..i + 3)) {
            (b'%', Some(hex)) => match u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16) {
                Ok(b) => {
                    out.push(b);
                    i += 3;
                    continue;
                }
                Err(_) => out.push(b'%'),
            },
            (b, _) => out.push(b),
        }
        i += 1;
    }
    Some(PathBuf::from(std::ffi::OsString::from_vec(out)))
}

/// A byte span of a checked file as a range, from the positions the report recorded.
pub fn range(report: &Report, span: Span, encoding: Encoding) -> Range {
    let Some(file) = report.file(span.file) else {
        return Range::default();
    };
    let at = |offset: u32| {
        let p = file.position(offset);
        Position {
            line: p.line.saturating_sub(1),
            character: match encoding {
                Encoding::Utf16 => p.utf16_column,
                Encoding::Utf8 => p.byte_column,
            },
        }
    };
    Range {
        start: at(span.start),
        end: at(span.end),
    }
}

/// A byte range of `text` as a range (for edits, computed from the text itself).
pub fn text_range(lines: &LineIndex, start: u32, end: u32, encoding: Encoding) -> Range {
    let at = |offset: u32| {
        let line = lines.line_of(offset as usize);
        let (utf16, bytes) = lines.lsp_columns(offset as usize);
        Position {
            line: line as u32,
            character: match encoding {
                Encoding::Utf16 => utf16 as u32,
                Encoding::Utf8 => bytes as u32,
            },
        }
    };
    Range {
        start: at(start),
        end: at(end),
    }
}

/// A finding as a diagnostic in the file of its primary label; related labels become related
/// information (in whatever file they are).
/// `uri_of`, worked out once per path (a refresh converts every finding of the workspace).
#[derive(Default)]
pub struct Uris(std::collections::HashMap<PathBuf, Option<Uri>>);

impl Uris {
    pub fn get(&mut self, path: &Path) -> Option<Uri> {
        if let Some(uri) = self.0.get(path) {
            return uri.clone();
        }
        let uri = uri_of(path);
        self.0.insert(path.to_path_buf(), uri.clone());
        uri
    }
}

pub fn diagnostic(
    report: &Report,
    finding: &Finding,
    encoding: Encoding,
    uris: &mut Uris,
) -> Diagnostic {
    let related: Vec<DiagnosticRelatedInformation> = finding
        .related
        .iter()
        .filter_map(|label| {
            let file = report.file(label.span.file)?;
            Some(DiagnosticRelatedInformation {
                location: Location {
                    uri: uris.get(&file.path)?,
                    range: range(report, label.span, encoding),
                },
                message: label.message.clone(),
            })
        })
        .collect();
    let mut message = finding.message.clone();
    if let Some(help) = &finding.help {
        message.push_str("\n\n");
        message.push_str(help);
    }
    Diagnostic {
        range: range(report, finding.primary.span, encoding),
        severity: Some(match finding.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(finding.rule.to_string())),
        code_description: None,
        source: Some("intransit".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: None,
    }
}

/// A fix's edits, by the URI of the file each changes; `text` gives a file's current text.
/// (`WorkspaceEdit::changes` is keyed by `Uri`, whose parsed parts are cached in a `Cell`; its
/// hash and equality are those of the text.)
#[allow(clippy::mutable_key_type)]
pub fn edits(
    report: &Report,
    fix: &intransit::diagnostic::fix::Fix,
    encoding: Encoding,
    text: &dyn Fn(&Path) -> Option<String>,
) -> Option<HashMap<Uri, Vec<TextEdit>>> {
    let mut out: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
    let mut lines: HashMap<PathBuf, LineIndex> = HashMap::new();
    for edit in &fix.edits {
        let file = report.file(edit.span.file)?;
        if !lines.contains_key(&file.path) {
            lines.insert(file.path.clone(), LineIndex::new(&text(&file.path)?));
        }
        let index = &lines[&file.path];
        out.entry(uri_of(&file.path)?).or_default().push(TextEdit {
            range: text_range(index, edit.span.start, edit.span.end, encoding),
            new_text: edit.replacement.clone(),
        });
    }
    Some(out)
}

/// Whether two ranges overlap or touch.
pub fn touches(a: &Range, b: &Range) -> bool {
    let before = |x: &Position, y: &Position| (x.line, x.character) < (y.line, y.character);
    !(before(&a.end, &b.start) || before(&b.end, &a.start))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_and_paths_round_trip() {
        let path = Path::new("/tmp/a b/é#.yaml");
        let uri = uri_of(path).unwrap();
        assert_eq!(uri.as_str(), "file:///tmp/a%20b/%C3%A9%23.yaml");
        assert_eq!(path_of(&uri).unwrap(), path);
        let local: Uri = "file://localhost/x/y.tf".parse().unwrap();
        assert_eq!(path_of(&local).unwrap(), Path::new("/x/y.tf"));
        let other: Uri = "untitled:Untitled-1".parse().unwrap();
        assert_eq!(path_of(&other), None);
    }
}
