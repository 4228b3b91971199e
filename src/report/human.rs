//! `--format human`: miette's graphical report, the only place miette appears. Each finding is
//! adapted at the edge: the primary label on the root cause, secondary labels on the database
//! and the reference; labels in another file (a nested stack's parent, a module's caller) are
//! shown after it, one snippet per file.

use std::fmt;
use std::io::{self, Write};
use std::sync::Arc;
use std::time::Duration;

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan};

use super::Report;
use crate::diagnostic::{Finding, Label, Severity};
use crate::source::FileId;

pub struct Options {
    pub color: bool,
    pub width: usize,
    /// The run's duration, shown in the summary line (left out in tests).
    pub elapsed: Option<Duration>,
    /// The summary line at the end (`-q` leaves it out).
    pub summary: bool,
}

pub fn render(report: &Report, options: &Options, out: &mut dyn Write) -> io::Result<()> {
    super::render_windows(
        report,
        out,
        |chunk| render_chunk(report, options, chunk),
        |out, text, _| out.write_all(text.as_bytes()),
    )?;
    if options.summary {
        writeln!(out, "{}", summary_line(report, options.elapsed))?;
    }
    Ok(())
}

/// Consecutive findings, each followed by a blank line.
fn render_chunk(
    report: &Report,
    options: &Options,
    findings: &[std::borrow::Cow<'_, Finding>],
) -> io::Result<String> {
    let theme = if options.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(options.width)
        .with_links(false);
    let mut texts = Texts::default();
    let mut text = String::new();
    for finding in findings {
        let adapted = adapt(report, finding, &mut texts);
        for diagnostic in std::iter::once(&adapted).chain(&adapted.elsewhere) {
            handler
                .render_report(&mut text, diagnostic)
                .map_err(|_| io::Error::other("cannot render a finding"))?;
        }
        text.push('\n');
    }
    Ok(text)
}

/// "Checked 4 files (3 databases): 2 errors, 1 warning, 1 suppressed in 3 ms."
pub fn summary_line(report: &Report, elapsed: Option<Duration>) -> String {
    let s = &report.summary;
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let mut counts = Vec::new();
    if s.errors > 0 {
        counts.push(plural(s.errors, "error"));
    }
    if s.warnings > 0 {
        counts.push(plural(s.warnings, "warning"));
    }
    if counts.is_empty() {
        counts.push("no findings".to_string());
    }
    if s.suppressed > 0 {
        counts.push(format!("{} suppressed", s.suppressed));
    }
    let time = elapsed
        .map(|d| format!(" in {} ms", d.as_millis()))
        .unwrap_or_default();
    format!(
        "Checked {} ({}): {}{time}.",
        plural(s.files_scanned, "file"),
        plural(s.databases, "database"),
        counts.join(", ")
    )
}

#[derive(Debug)]
struct Adapted {
    message: String,
    code: Option<&'static str>,
    severity: miette::Severity,
    help: Option<String>,
    source: Option<Source>,
    labels: Vec<LabeledSpan>,
    /// The labels in other files, one diagnostic per file, rendered after this one.
    elsewhere: Vec<Adapted>,
}

/// The texts of the last few files shown: findings come sorted by file, so each file is read
/// again once, and only a handful are held at a time.
#[derive(Default)]
struct Texts {
    recent: Vec<(FileId, Option<Arc<str>>)>,
}

impl Texts {
    const HELD: usize = 4;

    fn get(&mut self, report: &Report, file: FileId) -> Option<Arc<str>> {
        if let Some((_, text)) = self.recent.iter().find(|(id, _)| *id == file) {
            return text.clone();
        }
        let text = report.file(file).and_then(|f| f.load()).map(shown);
        if self.recent.len() == Self::HELD {
            self.recent.remove(0);
        }
        self.recent.push((file, text.clone()));
        text
    }
}

/// Lines longer than this (minified JSON, a long flow sequence) are not shown as snippets: the
/// finding gives its position in words instead (miette cannot pad past column 65,535, and
/// such a snippet would not be readable anyway).
const MAX_SNIPPET_LINE: usize = 1000;

/// One file's part of a finding: its source and labels, or, when a label sits on a line too
/// long to show, the positions in words.
struct Snippet {
    source: Option<Source>,
    labels: Vec<LabeledSpan>,
    note: Option<String>,
}

fn snippet(report: &Report, file: FileId, labels: &[(&Label, bool)], texts: &mut Texts) -> Snippet {
    let source = source(report, file, labels, texts);
    let too_long = source.as_ref().is_some_and(|source| {
        labels.iter().any(|(label, _)| {
            let text = source.text.as_bytes();
            let at = (label.span.start as usize).min(text.len());
            let start = memchr::memrchr(b'\n', &text[..at]).map_or(0, |i| i + 1);
            let end = memchr::memchr(b'\n', &text[at..]).map_or(text.len(), |i| at + i);
            end - start > MAX_SNIPPET_LINE
        })
    });
    if !too_long {
        return Snippet {
            source,
            labels: labels
                .iter()
                .map(|(l, primary)| labeled(l, *primary))
                .collect(),
            note: None,
        };
    }
    let note = labels
        .iter()
        .map(|(label, _)| {
            let at = report.position(label.span);
            format!(
                "at {}:{}:{} (a line too long to show): {}",
                super::printable(at.file),
                at.line,
                at.column,
                super::printable(&label.message)
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    Snippet {
        source: None,
        labels: Vec::new(),
        note: Some(note),
    }
}

/// `note` first, then `help`, as one help text.
fn with_note(note: Option<String>, help: Option<String>) -> Option<String> {
    match (note, help) {
        (Some(note), Some(help)) => Some(format!("{note}\n{help}")),
        (note, help) => note.or(help),
    }
}

fn adapt(report: &Report, finding: &Finding, texts: &mut Texts) -> Adapted {
    let file = finding.primary.span.file;
    let mut here: Vec<(&Label, bool)> = vec![(&finding.primary, true)];
    let mut others: Vec<(FileId, Vec<(&Label, bool)>)> = Vec::new();
    for label in &finding.related {
        if label.span.file == file {
            here.push((label, false));
        } else if let Some((_, group)) = others.iter_mut().find(|(f, _)| *f == label.span.file) {
            group.push((label, false));
        } else {
            others.push((label.span.file, vec![(label, false)]));
        }
    }
    let mut elsewhere: Vec<Adapted> = others
        .into_iter()
        .map(|(other, group)| {
            let part = snippet(report, other, &group, texts);
            Adapted {
                message: format!(
                    "also in {}",
                    super::printable(
                        report
                            .file(other)
                            .map_or("another file", |f| f.display.as_str())
                    )
                ),
                code: None,
                severity: miette::Severity::Advice,
                help: part.note,
                source: part.source,
                labels: part.labels,
                elsewhere: Vec::new(),
            }
        })
        .collect();
    let help = finding.help.as_ref().map(|help| {
        let mut help = super::printable(help).into_owned();
        match finding.fix.as_ref().map(|f| f.applicability) {
            Some(crate::diagnostic::fix::Applicability::Safe) => {
                help.push_str("\nfixable with --fix")
            }
            Some(crate::diagnostic::fix::Applicability::Unsafe) => {
                help.push_str("\nfixable with --fix --unsafe-fixes")
            }
            None => {}
        }
        help.push_str(&format!("\nsee `intransit explain {}`", finding.rule));
        help
    });
    let part = snippet(report, file, &here, texts);
    // The help closes the finding, after the snippets of other files.
    let help = match elsewhere.last_mut() {
        Some(last) => {
            last.help = with_note(last.help.take(), help);
            None
        }
        None => help,
    };
    Adapted {
        message: super::printable(&finding.message).into_owned(),
        code: Some(finding.rule.as_str()),
        severity: match finding.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        },
        help: with_note(part.note, help),
        source: part.source,
        labels: part.labels,
        elsewhere,
    }
}

/// A text as snippets show it: control characters other than tab and line breaks (an escape
/// sequence in a comment) become `?` (`¿` for the two-byte C1 controls), so no byte offset
/// moves and nothing reaches the terminal raw.
fn shown(text: Arc<str>) -> Arc<str> {
    let unsafe_char = |c: char| c.is_control() && !matches!(c, '\t' | '\n' | '\r');
    if !has_control(&text) {
        return text;
    }
    let replaced: String = text
        .chars()
        .map(|c| match c {
            c if unsafe_char(c) && c.len_utf8() == 1 => "?".to_string(),
            c if unsafe_char(c) => "¿".to_string(),
            c => c.to_string(),
        })
        .collect();
    Arc::from(replaced)
}

/// The file's text for snippets; none when the file changed since it was checked (the
/// message and help still show, without the snippet).
fn source(
    report: &Report,
    file: FileId,
    labels: &[(&Label, bool)],
    texts: &mut Texts,
) -> Option<Source> {
    let text = texts.get(report, file)?;
    let f = report.file(file)?;
    // The lines of the labels' starts were recorded when the file was settled: snippets count
    // lines from there, not from the start of the text.
    let mut anchors: Vec<(usize, usize)> = labels
        .iter()
        .filter_map(|(label, _)| Some((label.span.start as usize, f.known_line(label.span.start)?)))
        .collect();
    anchors.sort_unstable();
    Some(Source {
        name: super::printable(&f.display).into_owned(),
        text,
        anchors,
    })
}

/// Whether `text` holds a control character other than tab and line breaks, by bytes (the
/// check runs over every file a report shows): C0 and DEL are single bytes, and C1 (U+0080 to
/// U+009F, the rest of `char::is_control`) is 0xC2 followed by 0x80 to 0x9F.
fn has_control(text: &str) -> bool {
    let bytes = text.as_bytes();
    let c0 = bytes.iter().fold(false, |found, &b| {
        found | ((b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) | (b == 0x7f))
    });
    c0 || memchr::memchr_iter(0xc2, bytes)
        .any(|i| bytes.get(i + 1).is_some_and(|b| (0x80..=0x9f).contains(b)))
}

/// A file's text under its name, whose location header counts columns in characters (as every
/// other format does) where miette's own counts bytes, and whose snippets are cut from a window
/// around the span (miette's reader for `str` counts lines from the start of the text, once
/// per label: a template with 90,000 findings would be read 270,000 times).
#[derive(Debug)]
struct Source {
    name: String,
    text: Arc<str>,
    /// Offsets whose 0-based lines are known (the labels' starts), sorted: a span's line is
    /// counted from the nearest one before it.
    anchors: Vec<(usize, usize)>,
}

impl Source {
    /// The 0-based line of `offset`.
    fn line_of(&self, offset: usize) -> usize {
        let i = self.anchors.partition_point(|&(at, _)| at <= offset);
        let (at, line) = i.checked_sub(1).map_or((0, 0), |i| self.anchors[i]);
        line + memchr::memchr_iter(b'\n', &self.text.as_bytes()[at..offset]).count()
    }

    /// Where the line holding `offset` starts.
    fn line_start(&self, offset: usize) -> usize {
        memchr::memrchr(b'\n', &self.text.as_bytes()[..offset]).map_or(0, |i| i + 1)
    }
}

impl miette::SourceCode for Source {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let text: &str = &self.text;
        let bytes = text.as_bytes();
        let offset = span.offset().min(text.len());
        let end = (span.offset() + span.len()).min(text.len());
        // The window: whole lines from a few before the span to a few after it.
        let mut first = self.line_of(offset);
        let mut window_start = self.line_start(offset);
        for _ in 0..=context_lines_before {
            if window_start == 0 {
                break;
            }
            window_start = self.line_start(window_start - 1);
            first -= 1;
        }
        let mut window_end = end;
        for _ in 0..=context_lines_after + 1 {
            match memchr::memchr(b'\n', &bytes[window_end.min(bytes.len())..]) {
                Some(i) => window_end = (window_end + i + 1).min(bytes.len()),
                None => {
                    window_end = bytes.len();
                    break;
                }
            }
        }
        let window = &text[window_start..window_end];
        let inner = miette::SourceSpan::new((offset - window_start).into(), end - offset);
        let contents = window.read_span(&inner, context_lines_before, context_lines_after)?;
        let data_start = contents.span().offset() + window_start;
        let line_start = self.line_start(data_start);
        let column = text
            .get(line_start..data_start)
            .map_or(contents.column(), |s| s.chars().count());
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.name.clone(),
            contents.data(),
            miette::SourceSpan::new(data_start.into(), contents.span().len()),
            contents.line() + first,
            column,
            contents.line_count() + first,
        )))
    }
}

fn labeled(label: &Label, primary: bool) -> LabeledSpan {
    let span = (
        label.span.start as usize,
        (label.span.end - label.span.start) as usize,
    );
    let message = Some(super::printable(&label.message).into_owned());
    if primary {
        LabeledSpan::new_primary_with_span(message, span)
    } else {
        LabeledSpan::new_with_span(message, span)
    }
}

impl fmt::Display for Adapted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Adapted {}

impl Diagnostic for Adapted {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.code.map(|c| Box::new(c) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }
}

#[cfg(test)]
mod tests {
    use super::has_control;
    use proptest::prelude::*;

    fn by_chars(text: &str) -> bool {
        text.chars()
            .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    }

    #[test]
    fn controls_by_bytes_are_controls_by_chars() {
        for text in [
            "",
            "a\tb\r\n",
            "\u{1b}[31m",
            "\u{7f}",
            "\u{85}",
            "\u{9f}",
            "\u{a0}é€😀",
            "\u{0}",
        ] {
            assert_eq!(has_control(text), by_chars(text), "{text:?}");
        }
    }

    proptest! {
        #[test]
        fn agrees_with_char_is_control(text in "\\PC*|[\\x00-\\x{a0}]{0,40}|.{0,40}") {
            prop_assert_eq!(has_control(&text), by_chars(&text));
        }
    }
}
