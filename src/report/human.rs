//! `--format human`: miette's graphical report, the only place miette appears. Each finding is
//! adapted at the edge: the primary label on the root cause, secondary labels on the database
//! and the reference; labels in another file (a nested stack's parent, a module's caller) are
//! shown after it, one snippet per file.

use std::fmt;
use std::io::{self, Write};
use std::time::Duration;

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, SourceCode};

use super::Report;
use crate::diagnostic::{Finding, Label, Severity};
use crate::source::{Excerpt, FileId, SourceFile, Span};

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
    let renderer = Renderer::new(options.color, options.width);
    let mut text = String::new();
    for finding in findings {
        let mut adapted = adapt(report, finding);
        let elsewhere = std::mem::take(&mut adapted.elsewhere);
        for diagnostic in std::iter::once(adapted).chain(elsewhere) {
            renderer.render(diagnostic, &mut text)?;
        }
        text.push('\n');
    }
    Ok(text)
}

/// miette's graphical report, for one thread's findings.
struct Renderer {
    /// miette's handler, with our word separator.
    handler: GraphicalReportHandler,
    /// The same, without wrapping: for a diagnostic whose message is laid out already.
    unwrapped: GraphicalReportHandler,
    /// How miette's help line starts (`render_footer`).
    help_indent: String,
    cause_indents: CauseIndents,
    width: usize,
    /// How wide a help line can be (`fits_within`).
    fits: usize,
}

impl Renderer {
    /// A renderer for a report `width` wide; sets this thread's `FITS` for it.
    fn new(color: bool, width: usize) -> Self {
        let theme = if color {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        let help_indent = theme.styles.help.style("  help: ").to_string();
        let cause_indents = CauseIndents::of(&theme);
        let handler = GraphicalReportHandler::new_themed(theme)
            .with_width(width)
            .with_links(false)
            .with_context_lines(CONTEXT_LINES)
            .with_word_separator(textwrap::WordSeparator::Custom(find_words));
        let unwrapped = handler.clone().with_wrap_lines(false);
        let fits = fits_within(width);
        FITS.with(|cell| cell.set(fits));
        Renderer {
            handler,
            unwrapped,
            help_indent,
            cause_indents,
            width,
            fits,
        }
    }

    /// Appends `diagnostic` as miette renders it. Its help is written here, after the rest of
    /// the report, when its rows are known (`lay_out`), as miette's footer would write them;
    /// its message, when its rows are known too, is written by miette without wrapping it.
    /// miette's wrapping, which finds a line's words by line breaking and weighs each, was a
    /// third of the report's cost over JSON's.
    fn render(&self, mut diagnostic: Adapted<'_>, text: &mut String) -> io::Result<()> {
        let help = match diagnostic.help.take().map(|help| lay_out(help, self.fits)) {
            Some(Ok(rows)) => Some(rows),
            Some(Err(help)) => {
                diagnostic.help = Some(help);
                None
            }
            None => None,
        };
        let row = causes_width(&self.cause_indents, diagnostic.severity, self.width);
        let mut laid_out = false;
        if let (Some(row), None) = (row, &diagnostic.help) {
            match lay_out(std::mem::take(&mut diagnostic.message), row) {
                Ok(rows) => (diagnostic.message, laid_out) = (rows, true),
                Err(message) => diagnostic.message = message,
            }
        }
        let handler = if laid_out {
            &self.unwrapped
        } else {
            &self.handler
        };
        handler
            .render_report(text, &diagnostic)
            .map_err(|_| io::Error::other("cannot render a finding"))?;
        if let Some(help) = help {
            for (i, line) in help.split('\n').enumerate() {
                text.push_str(if i == 0 { &self.help_indent } else { HELP_REST });
                text.push_str(line);
                text.push('\n');
            }
        }
        Ok(())
    }
}

/// The display widths of the indents miette's message lines start with (`render_causes`: two
/// spaces, the severity's icon or, after the first line, a bar, and a space).
struct CauseIndents {
    error: usize,
    warning: usize,
    advice: usize,
    rest: usize,
}

impl CauseIndents {
    fn of(theme: &GraphicalTheme) -> Self {
        let width = |icon: &str| 3 + textwrap::core::display_width(icon);
        let c = &theme.characters;
        CauseIndents {
            error: width(&c.error),
            warning: width(&c.warning),
            advice: width(&c.advice),
            rest: width(c.vbar.encode_utf8(&mut [0; 4])),
        }
    }
}

/// How wide each row of a message can be in a report `width` wide (miette wraps it to two
/// columns less, after its indent), when its first row and the rest are as wide: the one case
/// `lay_out` lays out.
fn causes_width(indents: &CauseIndents, severity: miette::Severity, width: usize) -> Option<usize> {
    let first = match severity {
        miette::Severity::Error => indents.error,
        miette::Severity::Warning => indents.warning,
        miette::Severity::Advice => indents.advice,
    };
    let wrap = width.saturating_sub(2);
    (first == indents.rest).then(|| wrap.saturating_sub(first))
}

/// `text` in the rows miette's wrapping (`textwrap::fill` with our `find_words`, first fit,
/// hyphen splitting and word breaking) makes of it when each row can be `row` columns wide
/// after its indent, joined by line breaks; the rows are laid out as they are
/// (`laid_out_as_is`), so written after their indents they are what miette writes. `Err` gives
/// the text back when a line that does not fit is not printable ASCII without leading or
/// trailing spaces, or holds a word longer than a row (textwrap breaks it): miette wraps those.
fn lay_out(text: String, row: usize) -> Result<String, String> {
    if laid_out_as_is(&text, row) {
        return Ok(text);
    }
    let mut rows = String::with_capacity(text.len() + 8);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            rows.push('\n');
        }
        if line_as_is(line, row) {
            rows.push_str(line);
        } else if !rows_of(line, row, &mut rows) {
            return Err(text);
        }
    }
    Ok(rows)
}

/// Appends the rows of `line`, a line longer than `row`, to `out` (`lay_out`); false when it
/// cannot. The words are `find_words`'s, as miette's wrapping finds them: `FITS` is at most
/// `row`, so a line longer than a row is found words in by line breaking, there and here.
fn rows_of(line: &str, row: usize, out: &mut String) -> bool {
    let bytes = line.as_bytes();
    if !printable_ascii(bytes) || bytes.first() == Some(&b' ') || bytes.last() == Some(&b' ') {
        return false;
    }
    // First fit of the fragments textwrap makes (`split_words` with its hyphen splitter, then
    // `break_words`), each from where it starts to where its word and its spaces end: all
    // ASCII, so a fragment's width is its length, and its penalty is empty.
    // (textwrap puts an empty word before the first, which would be a row of its own if the
    // first did not fit on the first row; but no fragment is wider than a row, and the first
    // row is as wide as the rest.)
    let (mut row_start, mut row_end, mut used) = (0, 0, 0);
    let mut place = |start: usize, end: usize, spaced: usize| {
        if end - start > row {
            return false;
        }
        if used + (end - start) > row {
            out.push_str(&line[row_start..row_end]);
            out.push('\n');
            (row_start, used) = (start, 0);
        }
        used += spaced - start;
        row_end = end;
        true
    };
    // The line is longer than `FITS`: these are the words `find_words` finds, each up to the
    // next one's start, its spaces at its end.
    let Some(starts) = word_starts(line) else {
        return false;
    };
    for (i, &start) in starts.iter().enumerate() {
        let spaced = starts.get(i + 1).copied().unwrap_or(line.len());
        let end = start + line[start..spaced].trim_end_matches(' ').len();
        // The hyphen splitter splits after a `-` between two alphanumeric characters.
        let alphanumeric =
            |at: usize| (start..end).contains(&at) && bytes[at].is_ascii_alphanumeric();
        let mut from = start;
        for hyphen in memchr::memchr_iter(b'-', &bytes[start..end]).map(|i| start + i) {
            if hyphen > start && alphanumeric(hyphen - 1) && alphanumeric(hyphen + 1) {
                if !place(from, hyphen + 1, hyphen + 1) {
                    return false;
                }
                from = hyphen + 1;
            }
        }
        if !place(from, end, spaced) {
            return false;
        }
    }
    out.push_str(&line[row_start..row_end]);
    true
}

/// The indent of miette's help lines after the first.
const HELP_REST: &str = "        ";

/// Whether miette's wrapping (`textwrap::fill`) would leave a text as it is, but for each
/// line's indent, in rows `fits` columns wide: each line fits and is not blank, ends in no
/// white space, and holds no carriage return or escape sequence. Such a line's words (one
/// word, from `find_words` when the line fits `FITS`) fit together on its first row: textwrap
/// neither breaks nor changes it.
fn laid_out_as_is(text: &str, fits: usize) -> bool {
    text.split('\n').all(|line| line_as_is(line, fits))
}

/// `laid_out_as_is` for one line.
fn line_as_is(line: &str, fits: usize) -> bool {
    let bytes = line.as_bytes();
    let Some(&last) = bytes.last() else {
        return false;
    };
    // Printable ASCII (most lines) holds neither, and its width is its length.
    if printable_ascii(bytes) {
        return last != b' ' && bytes.len() <= fits;
    }
    !last.is_ascii_whitespace()
        && memchr::memchr2(b'\r', 0x1b, bytes).is_none()
        && textwrap::core::display_width(line) <= fits
}

/// Whether every byte is printable ASCII, a space to a tilde.
fn printable_ascii(bytes: &[u8]) -> bool {
    // Without stopping at the first other byte, so the loop is vectorized.
    bytes
        .iter()
        .fold(true, |all, &b| all & (b.wrapping_sub(b' ') <= b'~' - b' '))
}

thread_local! {
    /// How wide a line can be and still fit on one line wherever miette wraps it in this
    /// thread's report (`fits_within`, set by `render_chunk`).
    static FITS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    /// Where the words of a shorter line start (`find_words`), by line.
    static BREAKS: std::cell::RefCell<std::collections::HashMap<Box<str>, Box<[u32]>>> =
        std::cell::RefCell::default();
}

/// How wide a line can be and fit on one line wherever miette wraps text in a report `width`
/// wide: it wraps to two columns less, after an indent of at most 8 (`  help: `).
fn fits_within(width: usize) -> usize {
    width.saturating_sub(2 + 8)
}

/// The words textwrap's Unicode line breaking (UAX #14, which miette wraps messages and help
/// with) finds in `line`, found on a shorter line. UAX #14 breaks neither inside a run of ASCII
/// characters of its class AL (letters, `_`, `` ` `` and a few symbols) nor inside a run of
/// ASCII digits, and its rules see such a run as they see one of its characters; so each run
/// is cut to its first character, the words of that line are found (once per thread for each
/// such line: findings of one kind make the same one), and their edges mapped back (the
/// segmenter was a third of the report's time). A line that fits on one line is one word: its
/// breaks are never used.
fn find_words(line: &str) -> Box<dyn Iterator<Item = textwrap::core::Word<'_>> + '_> {
    let unicode = textwrap::WordSeparator::UnicodeBreakProperties;
    // textwrap finds breaks on the line without its ANSI escape sequences: left to it.
    if line.contains('\u{1b}') {
        return unicode.find_words(line);
    }
    // A line that fits is not broken, wherever it could be (textwrap's first fit puts every
    // word on the first line when they fit together, and breaks no word that fits): one word.
    let whole = word(line);
    // (An empty line is no word: textwrap shows it without its indent.)
    if !whole.word.is_empty() && whole.width <= FITS.with(|fits| fits.get()) {
        return Box::new(std::iter::once(whole));
    }
    let Some(starts) = word_starts(line) else {
        return unicode.find_words(line);
    };
    let mut starts = starts.into_iter().peekable();
    Box::new(std::iter::from_fn(move || {
        let start = starts.next()?;
        let end = starts.peek().copied().unwrap_or(line.len());
        Some(word(&line[start..end]))
    }))
}

/// Where the words Unicode line breaking finds in `line` start, found on a shorter line
/// (`find_words`); `None` when a shorter line cannot be made.
fn word_starts(line: &str) -> Option<Vec<usize>> {
    // By bytes: only ASCII ones are left out, so the shorter line is still UTF-8.
    let mut short = Vec::with_capacity(line.len());
    // Where each byte of `short` comes from in `line`.
    let mut from: Vec<u32> = Vec::with_capacity(line.len());
    let mut previous = 0;
    for (i, &byte) in line.as_bytes().iter().enumerate() {
        let class = match byte {
            // UAX #14's class AL (alphabetic) among ASCII characters.
            b'A'..=b'Z' | b'a'..=b'z' | b'#' | b'&' | b'*' | b'<' | b'=' | b'>' | b'@' => 1,
            b'^' | b'_' | b'`' | b'~' => 1,
            // NU (numeric).
            b'0'..=b'9' => 2,
            _ => 0,
        };
        if class != 0 && class == previous {
            continue;
        }
        previous = class;
        short.push(byte);
        from.push(i as u32);
    }
    let short = String::from_utf8(short).ok()?;
    let unicode = textwrap::WordSeparator::UnicodeBreakProperties;
    Some(BREAKS.with_borrow_mut(|known| {
        let map = |starts: &[u32]| starts.iter().map(|&i| from[i as usize] as usize).collect();
        if let Some(starts) = known.get(short.as_str()) {
            return map(starts);
        }
        if known.len() >= 4096 {
            known.clear();
        }
        let starts: Box<[u32]> = unicode
            .find_words(&short)
            .map(|word| (word.word.as_ptr() as usize - short.as_ptr() as usize) as u32)
            .collect();
        let mapped = map(&starts);
        known.insert(short.into_boxed_str(), starts);
        mapped
    }))
}

/// textwrap's display width; a printable ASCII text's (most lines) is its length, without
/// looking each character up.
fn display_width(text: &str) -> usize {
    if printable_ascii(text.as_bytes()) {
        text.len()
    } else {
        textwrap::core::display_width(text)
    }
}

/// `textwrap::core::Word::from`, with the width of `display_width`.
fn word(text: &str) -> textwrap::core::Word<'_> {
    let trimmed = text.trim_end_matches(' ');
    textwrap::core::Word {
        word: trimmed,
        whitespace: &text[trimmed.len()..],
        penalty: "",
        width: display_width(trimmed),
    }
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
struct Adapted<'f> {
    message: String,
    code: Option<&'static str>,
    severity: miette::Severity,
    help: Option<String>,
    source: Option<Source<'f>>,
    labels: Vec<LabeledSpan>,
    /// The labels in other files, one diagnostic per file, rendered after this one.
    elsewhere: Vec<Adapted<'f>>,
}

/// Lines longer than this (minified JSON, a long flow sequence) are not shown as snippets: the
/// finding gives its position in words instead (miette cannot pad past column 65,535, and
/// such a snippet would not be readable anyway).
const MAX_SNIPPET_LINE: usize = 1000;

/// Lines of context around a label (miette's default, set explicitly: excerpts are cut to
/// what it reads).
const CONTEXT_LINES: usize = 1;

/// One file's part of a finding: its source and labels, or, when a label sits on a line too
/// long to show, the positions in words.
struct Snippet<'f> {
    source: Option<Source<'f>>,
    labels: Vec<LabeledSpan>,
    note: Option<String>,
}

/// The lines of `file` kept with `finding` (`excerpt`): none when they were not kept (the file
/// changed before it was settled, or the run kept none), and then no snippet is shown.
fn snippet<'f>(
    report: &Report,
    finding: &'f Finding,
    file: FileId,
    labels: &[(&Label, bool)],
) -> Snippet<'f> {
    let excerpt = finding.excerpts.iter().find(|e| e.file == file);
    if let Some(None) = excerpt.map(|e| &e.pieces) {
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
        return Snippet {
            source: None,
            labels: Vec::new(),
            note: Some(note),
        };
    }
    Snippet {
        source: excerpt.and_then(|excerpt| source(report, excerpt, labels)),
        labels: labels
            .iter()
            .map(|(l, primary)| labeled(l, *primary))
            .collect(),
        note: None,
    }
}

/// `note` first, then `help`, as one help text.
fn with_note(note: Option<String>, help: Option<String>) -> Option<String> {
    match (note, help) {
        (Some(note), Some(help)) => Some(format!("{note}\n{help}")),
        (note, help) => note.or(help),
    }
}

fn adapt<'f>(report: &Report, finding: &'f Finding) -> Adapted<'f> {
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
            let part = snippet(report, finding, other, &group);
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
    let part = snippet(report, finding, file, &here);
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
fn shown(text: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| c.is_control() && !matches!(c, '\t' | '\n' | '\r');
    if !has_control(text) {
        return std::borrow::Cow::Borrowed(text);
    }
    let replaced: String = text
        .chars()
        .map(|c| match c {
            c if unsafe_char(c) && c.len_utf8() == 1 => "?".to_string(),
            c if unsafe_char(c) => "¿".to_string(),
            c => c.to_string(),
        })
        .collect();
    std::borrow::Cow::Owned(replaced)
}

/// A finding's snippet source in `excerpt`'s file: its kept lines under the file's name.
fn source<'f>(
    report: &Report,
    excerpt: &'f Excerpt,
    labels: &[(&Label, bool)],
) -> Option<Source<'f>> {
    let f = report.file(excerpt.file)?;
    let pieces = excerpt.pieces.as_ref()?;
    // The lines of the labels' starts were recorded when the file was settled: snippets count
    // lines from there, not from the start of the text.
    let spans: Vec<Span> = labels.iter().map(|(label, _)| label.span).collect();
    Some(Source {
        name: super::printable(&f.display).into_owned(),
        len: excerpt.len as usize,
        pieces: pieces
            .iter()
            .map(|(start, text)| (*start as usize, &**text))
            .collect(),
        anchors: anchors(f, &spans),
    })
}

/// The starts of `spans` whose lines `file` knows, sorted, with those 0-based lines.
fn anchors(file: &SourceFile, spans: &[Span]) -> Vec<(usize, usize)> {
    let mut anchors: Vec<(usize, usize)> = spans
        .iter()
        .filter_map(|span| Some((span.start as usize, file.known_line(span.start)?)))
        .collect();
    anchors.sort_unstable();
    anchors
}

/// The lines of `file` the human report shows for a finding whose labels there are `spans`,
/// taken from its text (which must be held, as when it is settled): the window around each
/// snippet miette draws (a label, or the labels it draws as one, which this works out as
/// miette does), merged where they meet; or nothing, when a label sits on a line too long to
/// show. `lines`: the file as settled, which knows the lines of the labels' starts (`file`
/// itself while it holds its text). `Settings::excerpts` keeps them with the finding, so the
/// report reads no file again.
pub fn excerpt(file: &SourceFile, lines: &SourceFile, spans: &[Span]) -> Excerpt {
    excerpt_within(file, lines, spans, WHOLE_UP_TO)
}

/// An excerpt whose labels' snippets all lie within this many bytes is kept as one piece,
/// from the first label's window to the last one's, without working out which snippets
/// miette draws.
const WHOLE_UP_TO: usize = 16 << 10;

/// `excerpt`, keeping the lines from the first window to the last whole when they take at
/// most `whole_up_to` bytes.
fn excerpt_within(
    file: &SourceFile,
    lines: &SourceFile,
    spans: &[Span],
    whole_up_to: usize,
) -> Excerpt {
    let text = file.text();
    let mut excerpt = Excerpt {
        file: file.id,
        len: text.len() as u32,
        pieces: None,
    };
    let too_long = spans.iter().any(|span| {
        let bytes = text.as_bytes();
        let at = (span.start as usize).min(bytes.len());
        let start = memchr::memrchr(b'\n', &bytes[..at]).map_or(0, |i| i + 1);
        let end = memchr::memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |i| at + i);
        end - start > MAX_SNIPPET_LINE
    });
    if too_long {
        return excerpt;
    }
    let whole = Source {
        name: String::new(),
        len: text.len(),
        pieces: vec![(0, text)],
        anchors: anchors(lines, spans),
    };
    // Every snippet's window lies within the window of the span from the first label's start
    // to the last label's end.
    let first = spans.iter().map(|s| s.start as usize).min().unwrap_or(0);
    let last = spans.iter().map(|s| s.end as usize).max().unwrap_or(0);
    let hull = miette::SourceSpan::from((first, last.saturating_sub(first)));
    let windows = match whole.window(&hull, CONTEXT_LINES, CONTEXT_LINES) {
        Ok(window) if window.end - window.start <= whole_up_to => vec![(window.start, window.end)],
        _ => drawn_windows(&whole, spans),
    };
    // Windows in order, joined where they meet.
    let mut joined: Vec<(usize, usize)> = Vec::new();
    for (start, end) in windows {
        match joined.last_mut() {
            Some((_, to)) if start <= *to => *to = (*to).max(end),
            _ => joined.push((start, end)),
        }
    }
    let pieces = joined
        .into_iter()
        .map(|(from, to)| (from as u32, shown(&text[from..to]).into()))
        .collect();
    excerpt.pieces = Some(pieces);
    excerpt
}

/// The windows reading the snippets miette draws touches, in order (`render_snippets`: labels
/// by offset, each joined to the one before when their lines overlap by its test, which reads
/// the joined span).
fn drawn_windows(whole: &Source<'_>, spans: &[Span]) -> Vec<(usize, usize)> {
    let mut labels: Vec<miette::SourceSpan> = spans
        .iter()
        .map(|span| (span.start as usize, (span.end - span.start) as usize).into())
        .collect();
    labels.sort_unstable_by_key(|l| l.offset());
    let mut drawn: Vec<(miette::SourceSpan, usize)> = Vec::new();
    for right in labels {
        let Ok(contents) = whole.read_span(&right, CONTEXT_LINES, CONTEXT_LINES) else {
            continue;
        };
        if let Some(&(left, reach)) = drawn.last() {
            if reach >= contents.line() {
                let end = (left.offset() + left.len()).max(right.offset() + right.len());
                let joined = miette::SourceSpan::from((left.offset(), end - left.offset()));
                if let Ok(contents) = whole.read_span(&joined, CONTEXT_LINES, CONTEXT_LINES) {
                    drawn.pop();
                    drawn.push((joined, contents.line() + contents.line_count()));
                    continue;
                }
            }
        }
        drawn.push((right, contents.line() + contents.line_count()));
    }
    let mut windows: Vec<(usize, usize)> = drawn
        .iter()
        .filter_map(|(span, _)| {
            let window = whole.window(span, CONTEXT_LINES, CONTEXT_LINES).ok()?;
            Some((window.start, window.end))
        })
        .collect();
    windows.sort_unstable();
    windows
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

/// Lines of a file under its name, whose location header counts columns in characters (as
/// every other format does) where miette's own counts bytes, and whose snippets are cut from a
/// window around the span (miette's reader for `str` counts lines from the start of the text,
/// once per label: a template with 90,000 findings would be read 270,000 times). The lines are
/// a finding's excerpt (pieces of the text), or, while one is taken, the whole text.
#[derive(Debug)]
struct Source<'t> {
    name: String,
    /// The file's length.
    len: usize,
    /// Parts of the text, in order and apart, each starting at a line start: where it starts,
    /// and its text.
    pieces: Vec<(usize, &'t str)>,
    /// Offsets whose 0-based lines are known (the labels' starts), sorted: a span's line is
    /// counted from the nearest one before it.
    anchors: Vec<(usize, usize)>,
}

/// What reading a span touches: whole lines from a few before it to a few after, in one piece.
struct Window<'t> {
    /// The piece's text and where it starts in the file.
    text: &'t str,
    base: usize,
    /// The window, in the file.
    start: usize,
    end: usize,
    /// The 0-based line of `start`.
    line: usize,
}

impl<'t> Source<'t> {
    /// The piece holding `offset` (its end included), as where it starts and its text.
    fn piece(&self, offset: usize) -> Result<(usize, &'t str), miette::MietteError> {
        let i = self.pieces.partition_point(|&(start, _)| start <= offset);
        let &(start, text) = i
            .checked_sub(1)
            .and_then(|i| self.pieces.get(i))
            .ok_or(miette::MietteError::OutOfBounds)?;
        if offset > start + text.len() {
            return Err(miette::MietteError::OutOfBounds);
        }
        Ok((start, text))
    }

    /// The 0-based line of `offset` (in the piece `base`, `text`).
    fn line_of(
        &self,
        base: usize,
        text: &str,
        offset: usize,
    ) -> Result<usize, miette::MietteError> {
        let i = self.anchors.partition_point(|&(at, _)| at <= offset);
        let (at, line) = i.checked_sub(1).map_or((0, 0), |i| self.anchors[i]);
        if at < base {
            return Err(miette::MietteError::OutOfBounds);
        }
        Ok(line + memchr::memchr_iter(b'\n', &text.as_bytes()[at - base..offset - base]).count())
    }

    /// The window of whole lines reading `span` with this context covers.
    fn window(
        &self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Window<'t>, miette::MietteError> {
        let offset = span.offset().min(self.len);
        let end = (span.offset() + span.len()).min(self.len);
        let (base, text) = self.piece(offset)?;
        if end > base + text.len() {
            return Err(miette::MietteError::OutOfBounds);
        }
        let bytes = text.as_bytes();
        let mut line = self.line_of(base, text, offset)?;
        let mut start = line_start(bytes, offset - base);
        for _ in 0..=context_lines_before {
            if base + start == 0 {
                break;
            }
            // Lines before the piece were not kept: this is not a span the excerpt is for.
            if start == 0 {
                return Err(miette::MietteError::OutOfBounds);
            }
            start = line_start(bytes, start - 1);
            line -= 1;
        }
        let mut window_end = end - base;
        for _ in 0..=context_lines_after + 1 {
            match memchr::memchr(b'\n', &bytes[window_end..]) {
                Some(i) => window_end += i + 1,
                None if base + bytes.len() == self.len => {
                    window_end = bytes.len();
                    break;
                }
                None => return Err(miette::MietteError::OutOfBounds),
            }
        }
        Ok(Window {
            text,
            base,
            start: base + start,
            end: base + window_end,
            line,
        })
    }
}

/// What miette's reader for a text (`context_info` in its `source_impls.rs`) gives for a span
/// of `input`: the lines it covers with their context, the 0-based line they start on, the
/// span's column when no line before is asked for, and the line breaks read. Its loop goes a
/// byte at a time; this one jumps between line breaks, and does the same at each (a proptest
/// holds the two together).
fn context_info(
    input: &[u8],
    span_offset: usize,
    span_len: usize,
    before: usize,
    after: usize,
) -> Option<Contents> {
    // Where the span's last byte is (an empty span's is the byte before it), for the line
    // break test and for every other byte: miette writes the two differently.
    let last_at_break = span_offset + span_len.saturating_sub(1);
    let last = (span_offset + span_len).saturating_sub(1);
    let (mut line_count, mut start_line, mut start_column) = (0, 0, 0);
    let mut before_starts = std::collections::VecDeque::with_capacity(before + 1);
    let (mut current_line_start, mut end_lines) = (0, 0);
    let (mut post_span, mut post_span_got_newline) = (false, false);
    let mut offset = 0;
    while offset < input.len() {
        // The bytes up to the next line break: counted, and the first at or past the span's
        // last byte marks the end of the span.
        let run_end =
            memchr::memchr2(b'\r', b'\n', &input[offset..]).map_or(input.len(), |n| offset + n);
        let past = last.max(offset);
        let stop = (past < run_end && end_lines >= after).then_some(past);
        let counted_end = stop.map_or(run_end, |at| at + 1).min(span_offset);
        start_column += counted_end.saturating_sub(offset);
        if past < run_end {
            post_span = true;
        }
        if let Some(at) = stop {
            offset = at + 1;
            break;
        }
        offset = run_end;
        if offset == input.len() {
            break;
        }
        // A line break (`\r\n` is one).
        line_count += 1;
        if input[offset] == b'\r' && input.get(offset + 1) == Some(&b'\n') {
            offset += 1;
        }
        if offset < span_offset {
            start_column = 0;
            before_starts.push_back(current_line_start);
            if before_starts.len() > before {
                start_line += 1;
                before_starts.pop_front();
            }
        } else if offset >= last_at_break && post_span {
            start_column = 0;
            if post_span_got_newline {
                end_lines += 1;
            } else {
                post_span_got_newline = true;
            }
            if end_lines >= after {
                offset += 1;
                break;
            }
        }
        current_line_start = offset + 1;
        if offset >= last {
            post_span = true;
            if end_lines >= after {
                offset += 1;
                break;
            }
        }
        offset += 1;
    }
    if offset < last {
        return None;
    }
    let start = before_starts
        .front()
        .copied()
        .unwrap_or(if before == 0 { span_offset } else { 0 });
    Some(Contents {
        start,
        end: offset,
        line: start_line,
        column: if before == 0 { start_column } else { 0 },
        line_count,
    })
}

/// `context_info`'s answer: the bytes `start..end` of its input, and where they are.
struct Contents {
    start: usize,
    end: usize,
    line: usize,
    column: usize,
    line_count: usize,
}

/// Where the line holding byte `at` of `bytes` starts (`bytes` starts at a line start).
fn line_start(bytes: &[u8], at: usize) -> usize {
    memchr::memrchr(b'\n', &bytes[..at]).map_or(0, |i| i + 1)
}

impl SourceCode for Source<'_> {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let window = self.window(span, context_lines_before, context_lines_after)?;
        let (base, text) = (window.base, window.text);
        let offset = span.offset().min(self.len);
        let end = (span.offset() + span.len()).min(self.len);
        let lines = &text[window.start - base..window.end - base];
        let contents = context_info(
            lines.as_bytes(),
            offset - window.start,
            end - offset,
            context_lines_before,
            context_lines_after,
        )
        .ok_or(miette::MietteError::OutOfBounds)?;
        let data_start = contents.start + window.start - base;
        let column = text
            .get(line_start(text.as_bytes(), data_start)..data_start)
            .map_or(contents.column, |s| s.chars().count());
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.name.clone(),
            &lines.as_bytes()[contents.start..contents.end],
            miette::SourceSpan::new((base + data_start).into(), contents.end - contents.start),
            contents.line + window.line,
            column,
            contents.line_count + window.line,
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

impl fmt::Display for Adapted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Adapted<'_> {}

impl Diagnostic for Adapted<'_> {
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
    use super::{find_words, fits_within, has_control, FITS};
    use crate::diagnostic::Label;
    use crate::source::{FileId, SourceFile, Span};
    use miette::{GraphicalReportHandler, GraphicalTheme};
    use proptest::prelude::*;

    fn words(words: Box<dyn Iterator<Item = textwrap::core::Word<'_>> + '_>) -> Vec<String> {
        words
            .map(|w| format!("{:?}{:?}{:?}{}", w.word, w.whitespace, w.penalty, w.width))
            .collect()
    }

    fn unicode_words(line: &str) -> Vec<String> {
        words(textwrap::WordSeparator::UnicodeBreakProperties.find_words(line))
    }

    #[test]
    fn words_are_those_of_unicode_line_breaking() {
        for line in [
            "",
            " ",
            "  lead",
            "`Db00042` (PostgreSQL 14.12) accepts unencrypted connections: parameter group \
             `Params` sets rds.force_ssl to `0` (when `IsProd` is false); set it to 1",
            "see `intransit explain rds-tls-disabled`",
            "module.billing_db.aws_db_instance.this[\"eu-west-1\"] and/or $100 50% 1.2.3 v14.12a",
            "Platform/Database/Db ${self:custom.x} a!b a?b a|b (x) [y] {z} \"q\" 'q'",
            "naïve café 中文字 😀 a\u{301}b \u{a0}x “quoted” ‘s’ שלום ไทย",
            "\u{1b}[31mred\u{1b}[0m text",
            "`Database0` (Aurora PostgreSQL 16.4) does not enforce TLS: parameter group `Params0` \
             does not set rds.force_ssl, and Aurora PostgreSQL does not enforce it by default; set \
             rds.force_ssl to 1",
        ] {
            assert_eq!(words(find_words(line)), unicode_words(line), "{line:?}");
        }
    }

    /// `text` wrapped as miette wraps it (no smawk: first fit), to `width` after `indent`.
    fn filled(text: &str, width: usize, indent: (&str, &str), ours: bool) -> String {
        let separator = if ours {
            textwrap::WordSeparator::Custom(find_words)
        } else {
            textwrap::WordSeparator::UnicodeBreakProperties
        };
        let options = textwrap::Options::new(width.saturating_sub(2))
            .initial_indent(indent.0)
            .subsequent_indent(indent.1)
            .word_separator(separator);
        FITS.with(|fits| fits.set(fits_within(width)));
        let text = textwrap::fill(text, options);
        FITS.with(|fits| fits.set(0));
        text
    }

    /// A diagnostic with labels at `spans` (the first primary) over `source`, rendered.
    fn rendered(source: super::Source<'_>, spans: &[Span]) -> String {
        let adapted = super::Adapted {
            message: "m".into(),
            code: None,
            severity: miette::Severity::Error,
            help: None,
            source: Some(source),
            labels: spans
                .iter()
                .enumerate()
                .map(|(i, span)| super::labeled(&Label::new(*span, format!("l{i}")), i == 0))
                .collect(),
            elsewhere: Vec::new(),
        };
        let handler = GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
            .with_width(80)
            .with_links(false)
            .with_context_lines(super::CONTEXT_LINES);
        let mut out = String::new();
        handler.render_report(&mut out, &adapted).unwrap();
        out
    }

    /// Text of `lines` joined by `\n`, or `\r\n` where `crlf` says, and spans at char
    /// boundaries from `(at, len)` fractions of the text.
    fn text_and_spans(lines: &[String], crlf: &[bool], spans: &[(f64, u8)]) -> (String, Vec<Span>) {
        let mut text = String::new();
        for (i, line) in lines.iter().enumerate() {
            text.push_str(line);
            text.push_str(if crlf[i % crlf.len()] { "\r\n" } else { "\n" });
        }
        let boundary = |mut at: usize| {
            while !text.is_char_boundary(at) {
                at += 1;
            }
            at
        };
        let spans = spans
            .iter()
            .map(|&(at, len)| {
                let start = boundary((at * text.len() as f64) as usize);
                let end = boundary((start + len as usize).min(text.len()));
                Span::new(FileId(0), start, end)
            })
            .collect();
        (text, spans)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]
        #[test]
        fn snippets_from_excerpts_are_those_of_the_whole_text(
            lines in prop::collection::vec("[a-z é\t\u{1}\u{85}]{0,10}", 1..300),
            crlf in prop::collection::vec(any::<bool>(), 1..4),
            spans in prop::collection::vec((0.0f64..1.0, 0u8..40), 1..5),
            whole_up_to in prop::sample::select(vec![0, 200, usize::MAX]),
        ) {
            let (text, spans) = text_and_spans(&lines, &crlf, &spans);
            let file = SourceFile::new(
                FileId(0),
                "t.yaml".into(),
                "t.yaml".into(),
                std::sync::Arc::new(text.clone()),
                crate::source::Encoding::Utf8,
            );
            let anchors = super::anchors(&file, &spans);
            let shown = super::shown(&text);
            let whole = super::Source {
                name: "t.yaml".into(),
                len: text.len(),
                pieces: vec![(0, &shown)],
                anchors: anchors.clone(),
            };
            let excerpt = super::excerpt_within(&file, &file, &spans, whole_up_to);
            let pieces = excerpt.pieces.as_ref().unwrap();
            let kept = super::Source {
                name: "t.yaml".into(),
                len: excerpt.len as usize,
                pieces: pieces.iter().map(|(start, text)| (*start as usize, &**text)).collect(),
                anchors,
            };
            prop_assert_eq!(rendered(kept, &spans), rendered(whole, &spans));
            if whole_up_to == 0 {
                let kept: usize = pieces.iter().map(|(_, text)| text.len()).sum();
                prop_assert!(kept <= text.len());
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn text_is_wrapped_as_with_unicode_line_breaking(
            text in "([a-z0-9`(),.:;/!?'\"-]{0,12}( {1,2}|\n)?){0,12}",
            width in 0usize..60,
            indent in prop::sample::select(vec![
                ("", ""),
                ("  × ", "  │ "),
                ("  help: ", "        "),
                ("  ☞ ", "  │ "),
            ]),
        ) {
            prop_assert_eq!(filled(&text, width, indent, true), filled(&text, width, indent, false));
        }

        #[test]
        fn words_agree_with_unicode_line_breaking(
            line in "[a-zA-Z0-9 _`'\"()\\[\\]{}.,:;!?/|$%+\\\\#&*<=>@^~-]{0,40}|[a-c1-2 .,:;(){}\"'/!?$%+-]{0,30}|[a-b0-1 .(\u{a0}\u{2014}\u{201c}\u{201d}\u{2018}\u{2019}\u{301}\u{200d}\u{5d0}\u{e01}\u{4e00}\u{3002}\u{ff08}\u{1f600}-]{0,30}"
        ) {
            prop_assert_eq!(words(find_words(&line)), unicode_words(&line));
        }
    }

    proptest! {
        #[test]
        fn display_width_is_textwraps(text in "[ -~]{0,40}|[\\x00-\\x{a0}\u{1b}]{0,40}|.{0,40}") {
            prop_assert_eq!(super::display_width(&text), textwrap::core::display_width(&text));
        }
    }

    /// A diagnostic with `message` and `help` and no snippet, as the report renders it, and as
    /// miette renders it with its own wrapping.
    fn both_ways(
        message: &str,
        help: Option<&str>,
        severity: miette::Severity,
        width: usize,
        color: bool,
    ) -> (String, String) {
        let diagnostic = || super::Adapted {
            message: message.into(),
            code: Some("rds-tls-disabled"),
            severity,
            help: help.map(Into::into),
            source: None,
            labels: Vec::new(),
            elsewhere: Vec::new(),
        };
        let renderer = super::Renderer::new(color, width);
        let mut ours = String::new();
        renderer.render(diagnostic(), &mut ours).unwrap();
        let mut theirs = String::new();
        renderer
            .handler
            .render_report(&mut theirs, &diagnostic())
            .unwrap();
        FITS.with(|fits| fits.set(0));
        (ours, theirs)
    }

    /// The messages and help of findings are laid out here (`lay_out`), not wrapped by miette,
    /// and come out as miette wraps them.
    #[test]
    fn findings_are_laid_out_here_as_miette_wraps_them() {
        let message = "`Database0` (Aurora PostgreSQL 16.4) does not enforce TLS: parameter group \
                       `Params0` does not set rds.force_ssl, and Aurora PostgreSQL does not \
                       enforce it by default; set rds.force_ssl to 1";
        let help = "create a parameter group with rds.force_ssl = 1, and name it in the \
                    database's parameter group property (DBClusterParameterGroupName)\n\
                    fixable with --fix --unsafe-fixes\nsee `intransit explain rds-tls-disabled`";
        for width in [40, 60, 80, 100] {
            let row = super::causes_width(
                &super::CauseIndents::of(&GraphicalTheme::unicode()),
                miette::Severity::Error,
                width,
            )
            .unwrap();
            FITS.with(|fits| fits.set(fits_within(width)));
            let rows = super::lay_out(message.into(), row).unwrap();
            assert!(rows.lines().count() >= 2, "{rows}");
            assert!(super::lay_out(help.into(), fits_within(width)).is_ok());
            for color in [false, true] {
                let (ours, theirs) =
                    both_ways(message, Some(help), miette::Severity::Error, width, color);
                assert_eq!(ours, theirs);
            }
        }
        FITS.with(|fits| fits.set(0));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// Whatever the message and help, laid out here or left to miette, the report is what
        /// miette's wrapping makes of them: words longer than a row, hyphens, double spaces,
        /// trailing spaces, characters other than ASCII, lines of help, any width and severity.
        #[test]
        fn laid_out_text_is_what_miette_wraps(
            message in prop::collection::vec(
                "[a-zA-Z0-9`(),.:;/'\"_-]{1,9}|[a-z-]{1,4}-[a-z]{1,4}|--[a-z]{1,3}|[a-z]{15,50}|é[a-z]{0,3}|[0-9.]{1,6}",
                1..30,
            ).prop_flat_map(|words| {
                let n = words.len();
                (Just(words), prop::collection::vec(prop::sample::select(vec![" ", " ", " ", "  "]), n))
            }),
            help in proptest::option::of(prop::collection::vec("[a-z`=.-]{1,8}( {1,2}[a-z`=.-]{1,12}){0,14} ?", 1..4)),
            severity in prop::sample::select(vec![
                miette::Severity::Error,
                miette::Severity::Warning,
                miette::Severity::Advice,
            ]),
            width in 8usize..110,
            color in proptest::bool::ANY,
        ) {
            let (words, spaces) = message;
            let mut text = String::new();
            for (word, space) in words.iter().zip(&spaces) {
                text.push_str(word);
                text.push_str(space);
            }
            let text = text.trim_end();
            let help = help.map(|lines| lines.join("\n"));
            let (ours, theirs) = both_ways(text, help.as_deref(), severity, width, color);
            prop_assert_eq!(ours, theirs);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 2000,
            max_global_rejects: 100_000,
            ..ProptestConfig::default()
        })]
        /// Help written as it is (`laid_out_as_is`) is what miette's footer would write: its
        /// indent (coloured or not) and each line, as `textwrap::fill` lays it out with our
        /// word separator.
        #[test]
        fn help_that_fits_is_written_as_miette_writes_it(
            lines in prop::collection::vec(
                "[a-zé0-9`(),.:;/!?'\"-]{1,10}([ \t]{1,2}[a-zé0-9`(),.:;/!?'\"-]{1,10}){0,4}",
                1..4,
            ),
            width in 20usize..60,
            color in proptest::bool::ANY,
        ) {
            let text = lines.join("\n");
            let fits = fits_within(width);
            prop_assume!(super::laid_out_as_is(&text, fits));
            let theme = if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
            let indent = theme.styles.help.style("  help: ").to_string();
            let ours: Vec<String> = text
                .split('\n')
                .enumerate()
                .map(|(i, line)| format!("{}{line}", if i == 0 { indent.as_str() } else { super::HELP_REST }))
                .collect();
            // miette's own indent, not ours.
            prop_assert_eq!(ours.join("\n"), filled(&text, width, (&indent, "        "), true));
        }

    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        /// `context_info` answers as miette's reader for a byte slice does, for any span and
        /// context, line breaks of every kind included.
        #[test]
        fn context_is_read_as_miette_reads_it(
            text in "[ab\r\n]{0,40}",
            offset in 0usize..44,
            len in 0usize..8,
            before in 0usize..3,
            after in 0usize..3,
        ) {
            use miette::SourceCode;
            let bytes = text.as_bytes();
            // Spans within the text, as `Source::read_span` asks (miette's reader panics past it).
            let offset = offset.min(bytes.len());
            let len = len.min(bytes.len() - offset);
            let theirs = bytes.read_span(&miette::SourceSpan::new(offset.into(), len), before, after);
            let ours = super::context_info(bytes, offset, len, before, after);
            match (theirs, ours) {
                (Ok(theirs), Some(ours)) => {
                    let start = theirs.data().as_ptr() as usize - bytes.as_ptr() as usize;
                    prop_assert_eq!(
                        (start, start + theirs.data().len(), theirs.span().offset(), theirs.span().len()),
                        (ours.start, ours.end, ours.start, ours.end - ours.start)
                    );
                    prop_assert_eq!(
                        (theirs.line(), theirs.column(), theirs.line_count()),
                        (ours.line, ours.column, ours.line_count)
                    );
                }
                (Err(_), None) => {}
                (theirs, ours) => prop_assert!(false, "miette {:?}, ours {:?}", theirs.is_ok(), ours.is_some()),
            }
        }
    }

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
