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
    let theme = if options.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(options.width)
        .with_links(false);
    let mut texts = Texts::default();
    for finding in &report.findings {
        let adapted = adapt(report, finding, &mut texts);
        let mut text = String::new();
        for diagnostic in std::iter::once(&adapted).chain(&adapted.elsewhere) {
            handler
                .render_report(&mut text, diagnostic)
                .map_err(|_| io::Error::other("cannot render a finding"))?;
        }
        write!(out, "{text}")?;
        writeln!(out)?;
    }
    if options.summary {
        writeln!(out, "{}", summary_line(report, options.elapsed))?;
    }
    Ok(())
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
        let text = report.file(file).and_then(|f| f.load());
        if self.recent.len() == Self::HELD {
            self.recent.remove(0);
        }
        self.recent.push((file, text.clone()));
        text
    }
}

fn adapt(report: &Report, finding: &Finding, texts: &mut Texts) -> Adapted {
    let file = finding.primary.span.file;
    let mut labels = vec![labeled(&finding.primary, true)];
    let mut others: Vec<(FileId, Vec<&Label>)> = Vec::new();
    for label in &finding.related {
        if label.span.file == file {
            labels.push(labeled(label, false));
        } else if let Some((_, group)) = others.iter_mut().find(|(f, _)| *f == label.span.file) {
            group.push(label);
        } else {
            others.push((label.span.file, vec![label]));
        }
    }
    let mut elsewhere: Vec<Adapted> = others
        .into_iter()
        .map(|(other, group)| Adapted {
            message: format!(
                "also in {}",
                report
                    .file(other)
                    .map_or("another file", |f| f.display.as_str())
            ),
            code: None,
            severity: miette::Severity::Advice,
            help: None,
            source: source(report, other, texts),
            labels: group.into_iter().map(|l| labeled(l, false)).collect(),
            elsewhere: Vec::new(),
        })
        .collect();
    let help = finding.help.as_ref().map(|help| {
        let mut help = help.clone();
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
    // The help closes the finding, after the snippets of other files.
    let help = match elsewhere.last_mut() {
        Some(last) => {
            last.help = help;
            None
        }
        None => help,
    };
    Adapted {
        message: finding.message.clone(),
        code: Some(finding.rule.as_str()),
        severity: match finding.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        },
        help,
        source: source(report, file, texts),
        labels,
        elsewhere,
    }
}

/// The file's text for snippets; none when the file changed since it was checked (the
/// message and help still show, without the snippet).
fn source(report: &Report, file: FileId, texts: &mut Texts) -> Option<Source> {
    let text = texts.get(report, file)?;
    report.file(file).map(|f| Source {
        name: f.display.clone(),
        text,
    })
}

/// A file's text under its name, whose location header counts columns in characters (as every
/// other format does) where miette's own counts bytes.
#[derive(Debug)]
struct Source {
    name: String,
    text: Arc<str>,
}

impl miette::SourceCode for Source {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let text: &str = &self.text;
        let contents = text.read_span(span, context_lines_before, context_lines_after)?;
        // The column of where the contents start (the span itself when no context is asked,
        // as for the header).
        let offset = contents.span().offset().min(text.len());
        let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
        let column = text
            .get(line_start..offset)
            .map_or(contents.column(), |s| s.chars().count());
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.name.clone(),
            contents.data(),
            *contents.span(),
            contents.line(),
            column,
            contents.line_count(),
        )))
    }
}

fn labeled(label: &Label, primary: bool) -> LabeledSpan {
    let span = (
        label.span.start as usize,
        (label.span.end - label.span.start) as usize,
    );
    if primary {
        LabeledSpan::new_primary_with_span(Some(label.message.clone()), span)
    } else {
        LabeledSpan::new_with_span(Some(label.message.clone()), span)
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
