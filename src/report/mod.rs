//! The result of a run and its renderers, one file per format. Renderers write to any
//! `io::Write`; they never print or exit on their own.

pub mod concise;
pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod sarif;
pub mod spill;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::baseline::{self, Baseline};
use crate::diagnostic::{Finding, ResourceInfo, Severity};
use crate::source::{FileId, SourceFile, Span};

/// Text for a terminal or a line-based format: control characters (a resource name holding
/// an escape sequence, a newline in a file name) are shown as `\u{1b}`, never sent raw.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !any_control(text) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// `text.chars().any(char::is_control)`, by bytes: C0 and DEL are single bytes, and C1
/// (U+0080 to U+009F) is 0xC2 followed by 0x80 to 0x9F.
fn any_control(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.iter().any(|&b| b < 0x20 || b == 0x7f)
        || memchr::memchr_iter(0xc2, bytes)
            .any(|i| bytes.get(i + 1).is_some_and(|b| (0x80..=0x9f).contains(b)))
}

/// Findings rendered per task, and per window of tasks.
const CHUNK: usize = 64;
const WINDOW: usize = 32 * CHUNK;

/// Renders the findings a window at a time: each chunk of a window is read (decoded, for a
/// spilled report) and rendered by one task, in parallel, and the texts then written in
/// order, so the output is the same as one at a time and only a window is held. `first` says
/// whether a chunk is the run's first (a separator before it is left out).
fn render_windows(
    report: &Report,
    out: &mut dyn std::io::Write,
    render: impl Fn(&[std::borrow::Cow<'_, Finding>]) -> std::io::Result<String> + Sync,
    mut write: impl FnMut(&mut dyn std::io::Write, &str, bool) -> std::io::Result<()>,
) -> std::io::Result<()> {
    use rayon::prelude::*;
    let total = report.findings.len();
    let mut first = true;
    for window in (0..total).step_by(WINDOW) {
        let starts: Vec<usize> = (window..total.min(window + WINDOW))
            .step_by(CHUNK)
            .collect();
        // Each task reads its own findings (a spilled report's from the temporary file), so
        // decoding is as parallel as rendering.
        let texts: Vec<std::io::Result<String>> = starts
            .into_par_iter()
            .map(|start| render(&report.findings.range(start..total.min(start + CHUNK))?))
            .collect();
        for text in texts {
            write(out, &text?, first)?;
            first = false;
        }
    }
    Ok(())
}

/// Puts `items` in the order `order` lists their indexes, in place (following each cycle).
fn permute<T>(items: &mut [T], mut order: Vec<usize>) {
    for start in 0..order.len() {
        // `order[i]` is the index of the item that goes to `i`; a done place holds its own.
        let mut i = start;
        while order[i] != start {
            let from = order[i];
            items.swap(i, from);
            order[i] = i;
            i = from;
        }
        order[i] = i;
    }
}

#[derive(Clone, Debug)]
pub struct Report {
    /// The files findings point into.
    pub files: BTreeMap<FileId, Arc<SourceFile>>,
    /// Sorted by file, line, column, rule.
    pub findings: spill::Findings,
    /// Every database checked, in file order (JUnit lists the passing ones too).
    pub databases: Vec<ResourceInfo>,
    pub summary: Summary,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// Files checked: templates, Terraform files, plans, and files of those kinds that could
    /// not be read or parsed (other YAML and JSON is not counted).
    pub files_scanned: usize,
    pub databases: usize,
    pub findings: usize,
    pub errors: usize,
    pub warnings: usize,
    pub suppressed: usize,
}

/// A span as reports show it: path, 1-based start and end line and column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Position<'r> {
    pub file: &'r str,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

impl Report {
    /// `spool`: the findings a large run sealed as it went (`spill`); the report then holds
    /// every finding that way, `findings` sealed after them.
    pub fn new(
        files: BTreeMap<FileId, Arc<SourceFile>>,
        mut findings: Vec<Finding>,
        spool: Option<spill::Spool>,
        files_scanned: usize,
        databases: Vec<ResourceInfo>,
        database_count: usize,
        suppressed: usize,
    ) -> Report {
        // Findings sort by the path shown (a file with none shows as ""), line, column and rule:
        // each file's path is ranked once, so the keys hold no copies of paths.
        let mut shown: Vec<&str> = files.values().map(|f| f.display.as_str()).collect();
        shown.push("");
        shown.sort_unstable();
        shown.dedup();
        let rank = |display: &str| shown.binary_search(&display).unwrap_or(0);
        let ranks: BTreeMap<FileId, usize> = files
            .iter()
            .map(|(id, f)| (*id, rank(&f.display)))
            .collect();
        let unnamed = rank("");
        let key = |finding: &Finding| {
            let id = finding.primary.span.file;
            let file = files.get(&id);
            let (line, column) = file.map_or((0, 0), |f| f.line_col(finding.primary.span.start));
            let rank = ranks.get(&id).copied().unwrap_or(unnamed);
            (rank, line, column, finding.rule)
        };
        let findings = match spool {
            None => {
                findings.sort_by_cached_key(key);
                findings.dedup();
                spill::Findings::Memory(findings)
            }
            Some(mut spool) => {
                // In pieces, as the run sealed the others: never one buffer of them all.
                let mut sealed = spill::Sealed::default();
                for mut finding in findings {
                    // Settled: a request left is one no fix can come of.
                    finding.fix_request = None;
                    let span = finding.primary.span;
                    let (line, column) = files
                        .get(&span.file)
                        .map_or((0, 0), |f| f.line_col(span.start));
                    sealed.push(&finding, line, column);
                    if sealed.bytes() >= spill::PIECE {
                        spool.append(std::mem::take(&mut sealed), spill::Origin::End);
                    }
                }
                spool.append(sealed, spill::Origin::End);
                let (entries, bytes) = spool.finish();
                spill::Findings::Spilled(spill::Spilled::sorted(entries, bytes, |e| {
                    let rank = ranks.get(&e.file).copied().unwrap_or(unnamed);
                    (rank, e.line, e.column, e.rule)
                }))
            }
        };
        // Module instances are lowered in no fixed order: the databases (JUnit's cases) are
        // put in the order of their files and places, as findings are (a database whose file
        // is not known first).
        // Sorted by place, then name and root, through a list of places (JUnit lists every
        // database of a large run: keys holding copies of the names would hold them twice).
        let mut databases = databases;
        let mut order: Vec<(usize, u32, usize)> = databases
            .iter()
            .enumerate()
            .map(|(i, db)| {
                let rank = ranks.get(&db.header.file).map_or(0, |r| r + 1);
                (rank, db.header.start, i)
            })
            .collect();
        order.sort_unstable_by(|a, b| {
            let (x, y) = (&databases[a.2], &databases[b.2]);
            (a.0, a.1, &x.name, x.context.as_deref(), a.2).cmp(&(
                b.0,
                b.1,
                &y.name,
                y.context.as_deref(),
                b.2,
            ))
        });
        permute(
            &mut databases,
            order.into_iter().map(|(_, _, i)| i).collect(),
        );
        let summary = Summary {
            files_scanned,
            databases: database_count,
            findings: findings.len(),
            errors: findings.count(Severity::Error),
            warnings: findings.count(Severity::Warning),
            suppressed,
        };
        Report {
            files,
            findings,
            databases,
            summary,
        }
    }

    pub fn file(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(&id).map(|f| f.as_ref())
    }

    pub fn position(&self, span: Span) -> Position<'_> {
        match self.file(span.file) {
            Some(file) => {
                let (line, column) = file.line_col(span.start);
                let (end_line, end_column) = file.line_col(span.end);
                Position {
                    file: &file.display,
                    line,
                    column,
                    end_line,
                    end_column,
                }
            }
            None => Position {
                file: "",
                line: 1,
                column: 1,
                end_line: 1,
                end_column: 1,
            },
        }
    }

    /// Today's findings as a baseline, each filed under its resource's file.
    pub fn baseline(&self) -> std::io::Result<Baseline> {
        let findings = self.findings.load()?;
        Ok(Baseline::record(&findings, &|finding| {
            self.position(baseline::anchor(finding)).file.to_string()
        }))
    }

    /// Whether any finding is at or above `threshold` (`None`: never fail).
    pub fn fails(&self, threshold: Option<Severity>) -> bool {
        let at_least = |t: Severity| match t {
            Severity::Warning => self.summary.findings > 0,
            Severity::Error => self.summary.errors > 0,
        };
        threshold.is_some_and(at_least)
    }
}

#[cfg(test)]
mod permute_tests {
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn permute_puts_items_where_the_order_says(
            order in (0usize..40).prop_flat_map(|n| Just((0..n).collect::<Vec<_>>()).prop_shuffle())
        ) {
            let items: Vec<String> = (0..order.len()).map(|i| format!("item {i}")).collect();
            let want: Vec<String> = order.iter().map(|&i| items[i].clone()).collect();
            let mut got = items;
            super::permute(&mut got, order);
            prop_assert_eq!(got, want);
        }
    }
}

#[cfg(test)]
mod control_tests {
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn controls_by_bytes_are_controls_by_chars(text in "\\PC*|[\\x00-\\x{a0}\t\n\r]{0,40}|.{0,40}") {
            prop_assert_eq!(super::any_control(&text), text.chars().any(char::is_control));
        }
    }
}
