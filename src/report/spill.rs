//! A report's findings, in memory or spilled. A large run (`Settings::spill_after`) does not
//! hold every finding until the report: each template or root judged and settled as soon as it
//! is read gives its findings as bytes (`Sealed`, `diagnostic::compact`), which the run appends
//! to a `Spool`: memory at first, an unnamed temporary file (exclusive, removed by the system
//! when the run ends) once it holds more than `spill_after` bytes. The report then keeps, per
//! finding, only its sort key and where its bytes are, and decodes the findings one at a time,
//! in order, as a renderer asks for them.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::sync::Arc;

use crate::diagnostic::{compact, Finding, RuleId, Severity};
use crate::source::FileId;

/// About how many bytes of sealed findings are appended to a spool at a time: a template or
/// root with thousands of findings is not held twice, as findings and as one large buffer.
pub const PIECE: usize = 64 << 10;

/// Where a spilled finding sorts and where its bytes are.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Entry {
    /// The file of its primary span, and that span's 1-based line and column.
    pub file: FileId,
    pub line: u32,
    pub column: u32,
    pub rule: RuleId,
    pub severity: Severity,
    /// Where it came from and its place there: what breaks ties between equal keys, so
    /// that the report is the same whichever worker appended first.
    pub order: (Origin, u32),
    offset: u64,
    len: u32,
}

/// What appended sealed findings: forgotten as a whole when that template or job is judged
/// again with others (`Spool::forget`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Origin {
    /// A file read (its id).
    File(u32),
    /// A Terraform job (its index).
    Job(u32),
    /// Findings of the run's end, sealed with the report.
    End,
}

/// The findings of one template or root, settled, as bytes.
#[derive(Debug, Default)]
pub struct Sealed {
    bytes: Vec<u8>,
    entries: Vec<Entry>,
}

impl Sealed {
    /// Adds a settled finding whose primary span starts at `line`, `column`; `false` (and
    /// nothing added) when it cannot be sealed (it still carries a fix request).
    pub fn push(&mut self, finding: &Finding, line: usize, column: usize) -> bool {
        let offset = self.bytes.len();
        if !compact::encode(finding, &mut self.bytes) {
            return false;
        }
        self.entries.push(Entry {
            file: finding.primary.span.file,
            line: line as u32,
            column: column as u32,
            rule: finding.rule,
            severity: finding.severity,
            order: (Origin::End, self.entries.len() as u32),
            offset: offset as u64,
            len: (self.bytes.len() - offset) as u32,
        });
        true
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// How many bytes its findings take.
    pub fn bytes(&self) -> usize {
        self.bytes.len()
    }
}

/// Where the bytes are.
#[derive(Debug)]
enum Store {
    Memory(Vec<u8>),
    Disk(BufWriter<File>),
    /// Writing the temporary file failed; the report says so when it is read.
    Failed(String),
}

/// The sealed findings of a run, in the order they were appended.
#[derive(Debug)]
pub struct Spool {
    after: usize,
    store: Store,
    written: u64,
    entries: Vec<Entry>,
    forgotten: std::collections::HashSet<Origin>,
}

impl Spool {
    /// A spool that moves to a temporary file once it holds more than `after` bytes.
    pub fn new(after: usize) -> Spool {
        Spool {
            after,
            store: Store::Memory(Vec::new()),
            written: 0,
            entries: Vec::new(),
            forgotten: Default::default(),
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether it moved to its file.
    pub fn on_disk(&self) -> bool {
        !matches!(self.store, Store::Memory(_))
    }

    /// Drops the findings `origin` appended (its bytes stay; they are not read).
    pub fn forget(&mut self, origin: Origin) {
        self.forgotten.insert(origin);
    }

    pub fn append(&mut self, sealed: Sealed, origin: Origin) {
        let base = self.written;
        // Numbered as appended: what one origin appends in pieces keeps its order.
        let first = self.entries.len() as u32;
        self.entries.extend(
            sealed
                .entries
                .into_iter()
                .enumerate()
                .map(|(i, mut entry)| {
                    entry.offset += base;
                    entry.order = (origin, first + i as u32);
                    entry
                }),
        );
        self.written += sealed.bytes.len() as u64;
        if let Store::Memory(bytes) = &mut self.store {
            if bytes.len() + sealed.bytes.len() <= self.after {
                // The first buffer is taken as it is (a large Terraform root's can be most
                // of the run's): never two copies at once.
                if bytes.is_empty() {
                    *bytes = sealed.bytes;
                } else {
                    bytes.extend_from_slice(&sealed.bytes);
                }
                return;
            }
            // No temporary file can be made (a read-only `TMPDIR`): the run holds its findings,
            // as it would without sealing.
            let Ok(file) = tempfile::tempfile() else {
                self.after = usize::MAX;
                bytes.extend_from_slice(&sealed.bytes);
                return;
            };
            // What it held, then what came: never both in one buffer.
            let held = std::mem::take(bytes);
            let mut out = BufWriter::with_capacity(1 << 16, file);
            self.store = match out
                .write_all(&held)
                .and_then(|()| out.write_all(&sealed.bytes))
            {
                Ok(()) => Store::Disk(out),
                Err(error) => Store::Failed(error.to_string()),
            };
            return;
        }
        if let Store::Disk(out) = &mut self.store {
            if let Err(error) = out.write_all(&sealed.bytes) {
                self.store = Store::Failed(error.to_string());
            }
        }
    }

    /// The findings appended, and where their bytes are (flushed), for a report.
    pub(crate) fn finish(mut self) -> (Vec<Entry>, Bytes) {
        if !self.forgotten.is_empty() {
            self.entries
                .retain(|e| !self.forgotten.contains(&e.order.0));
        }
        (self.entries, self.store.finish())
    }
}

impl Store {
    fn finish(self) -> Bytes {
        match self {
            Store::Memory(bytes) => Bytes::Memory(Arc::from(bytes)),
            Store::Disk(out) => match out.into_inner() {
                Ok(file) => Bytes::Disk(Arc::new(file)),
                Err(error) => Bytes::Failed(error.into_error().to_string()),
            },
            Store::Failed(error) => Bytes::Failed(error),
        }
    }
}

/// The spooled bytes, written (shared when a report is cloned).
#[derive(Clone, Debug)]
pub(crate) enum Bytes {
    Memory(Arc<[u8]>),
    Disk(Arc<File>),
    /// Writing the temporary file failed: each finding read says so.
    Failed(String),
}

impl Bytes {
    fn read(&self, entry: &Entry) -> io::Result<Cow<'static, Finding>> {
        let start = entry.offset as usize;
        let finding = match self {
            Bytes::Memory(bytes) => bytes
                .get(start..start + entry.len as usize)
                .and_then(compact::decode),
            Bytes::Disk(file) => {
                let mut buffer = vec![0; entry.len as usize];
                file.read_exact_at(&mut buffer, entry.offset)?;
                compact::decode(&buffer)
            }
            Bytes::Failed(error) => {
                return Err(io::Error::other(format!(
                    "cannot write the temporary file that holds the findings: {error}"
                )))
            }
        };
        finding.map(Cow::Owned).ok_or_else(|| {
            io::Error::other("the temporary file that holds the findings was changed")
        })
    }
}

/// The most bytes one read of the temporary file takes for a run of findings
/// (`Findings::range`): findings sorted next to each other were mostly sealed next to each
/// other, and one read of their span replaces a read for each.
const SPAN_READ: u64 = 256 << 10;

impl Bytes {
    /// The findings of `entries`: from one read of the span they lie in, when it is short
    /// (`SPAN_READ`), else one read each.
    fn read_all(&self, entries: &[Entry]) -> io::Result<Vec<Cow<'static, Finding>>> {
        let Bytes::Disk(file) = self else {
            return entries.iter().map(|e| self.read(e)).collect();
        };
        let start = entries.iter().map(|e| e.offset).min().unwrap_or(0);
        let end = entries
            .iter()
            .map(|e| e.offset + u64::from(e.len))
            .max()
            .unwrap_or(0);
        if end - start > SPAN_READ || entries.len() < 2 {
            return entries.iter().map(|e| self.read(e)).collect();
        }
        let mut span = vec![0; (end - start) as usize];
        file.read_exact_at(&mut span, start)?;
        entries
            .iter()
            .map(|e| {
                let at = (e.offset - start) as usize;
                span.get(at..at + e.len as usize)
                    .and_then(compact::decode)
                    .map(Cow::Owned)
                    .ok_or_else(|| {
                        io::Error::other("the temporary file that holds the findings was changed")
                    })
            })
            .collect()
    }
}

/// A report's findings: in memory, or spilled (sorted keys; bytes in a temporary file).
#[derive(Clone, Debug)]
pub enum Findings {
    Memory(Vec<Finding>),
    Spilled(Spilled),
}

#[derive(Clone, Debug)]
pub struct Spilled {
    pub(crate) entries: Vec<Entry>,
    pub(crate) bytes: Bytes,
}

impl Default for Findings {
    fn default() -> Findings {
        Findings::Memory(Vec::new())
    }
}

impl Findings {
    pub fn len(&self) -> usize {
        match self {
            Findings::Memory(findings) => findings.len(),
            Findings::Spilled(spilled) => spilled.entries.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The findings of a report that was not spilled (every report but a large `check`'s);
    /// a spilled report's are read with `iter`.
    pub fn in_memory(&self) -> &[Finding] {
        match self {
            Findings::Memory(findings) => findings,
            Findings::Spilled(_) => &[],
        }
    }

    /// The findings in report order; a spilled finding is read from its file as it comes.
    pub fn iter(&self) -> impl Iterator<Item = io::Result<Cow<'_, Finding>>> + '_ {
        let (memory, spilled) = match self {
            Findings::Memory(findings) => (findings.as_slice(), None),
            Findings::Spilled(spilled) => (&[][..], Some(spilled)),
        };
        memory.iter().map(|f| Ok(Cow::Borrowed(f))).chain(
            spilled
                .into_iter()
                .flat_map(|s| s.entries.iter().map(|e| s.bytes.read(e))),
        )
    }

    /// The finding at `index` in report order (`None` past the end reads as an error).
    pub fn get(&self, index: usize) -> io::Result<Cow<'_, Finding>> {
        let missing = || io::Error::other(format!("no finding {index} in the report"));
        match self {
            Findings::Memory(findings) => {
                findings.get(index).map(Cow::Borrowed).ok_or_else(missing)
            }
            Findings::Spilled(spilled) => {
                let entry = spilled.entries.get(index).ok_or_else(missing)?;
                spilled.bytes.read(entry)
            }
        }
    }

    /// The findings at `range` in report order (a spilled report's read together, see
    /// `SPAN_READ`).
    pub fn range(&self, range: std::ops::Range<usize>) -> io::Result<Vec<Cow<'_, Finding>>> {
        let missing = || io::Error::other(format!("no finding {} in the report", range.end - 1));
        match self {
            Findings::Memory(findings) => Ok(findings
                .get(range.clone())
                .ok_or_else(missing)?
                .iter()
                .map(Cow::Borrowed)
                .collect()),
            Findings::Spilled(spilled) => {
                let entries = spilled.entries.get(range.clone()).ok_or_else(missing)?;
                spilled.bytes.read_all(entries)
            }
        }
    }

    /// Every finding, read into memory (tests, and the rare caller that needs them all).
    pub fn load(&self) -> io::Result<Cow<'_, [Finding]>> {
        match self {
            Findings::Memory(findings) => Ok(Cow::Borrowed(findings)),
            Findings::Spilled(_) => self
                .iter()
                .map(|f| f.map(Cow::into_owned))
                .collect::<io::Result<Vec<_>>>()
                .map(Cow::Owned),
        }
    }

    /// How many findings have `severity`.
    pub fn count(&self, severity: Severity) -> usize {
        match self {
            Findings::Memory(findings) => {
                findings.iter().filter(|f| f.severity == severity).count()
            }
            Findings::Spilled(spilled) => spilled
                .entries
                .iter()
                .filter(|e| e.severity == severity)
                .count(),
        }
    }
}

impl Spilled {
    /// How many of its findings were sealed as their template or job was read, by files and
    /// by Terraform jobs (the rest were sealed with the report).
    pub fn sealed_as_read(&self) -> (usize, usize) {
        let count = |f: fn(&Origin) -> bool| self.entries.iter().filter(|e| f(&e.order.0)).count();
        (
            count(|o| matches!(o, Origin::File(_))),
            count(|o| matches!(o, Origin::Job(_))),
        )
    }

    /// Sorts `entries` by `key`, then by where they came from (`Entry::order`), and drops a
    /// finding equal to the one before it, as an in-memory report sorts and dedups its
    /// findings.
    pub(crate) fn sorted<K: Ord>(
        mut entries: Vec<Entry>,
        bytes: Bytes,
        key: impl Fn(&Entry) -> K,
    ) -> Spilled {
        entries.sort_by_cached_key(|e| (key(e), e.order));
        let mut kept: Vec<Entry> = Vec::with_capacity(entries.len());
        let mut last: Option<Finding> = None;
        // Findings can be equal only at one place, with one rule.
        let place = |e: &Entry| (e.file, e.line, e.column, e.rule);
        for (i, entry) in entries.iter().enumerate() {
            let same_key_as_previous = i > 0 && place(&entries[i - 1]) == place(entry);
            let next_same = entries
                .get(i + 1)
                .is_some_and(|after| place(after) == place(entry));
            if !same_key_as_previous && !next_same {
                last = None;
                kept.push(*entry);
                continue;
            }
            // Equal keys are rare (two findings at one place): those are read and compared
            // (one that cannot be read is kept: reading it for the report says why).
            let Ok(finding) = bytes.read(entry).map(Cow::into_owned) else {
                last = None;
                kept.push(*entry);
                continue;
            };
            if same_key_as_previous && last.as_ref() == Some(&finding) {
                continue;
            }
            last = Some(finding);
            kept.push(*entry);
        }
        kept.shrink_to_fit();
        Spilled {
            entries: kept,
            bytes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Label;
    use crate::source::Span;

    fn finding(file: u32, at: u32, message: &str) -> Finding {
        Finding::new(
            RuleId::TlsNotEnforced,
            message,
            Label::new(
                Span::new(FileId(file), at as usize, at as usize + 1),
                "here",
            ),
        )
    }

    fn spool(after: usize) -> Spool {
        let mut spool = Spool::new(after);
        for file in [2, 0, 1, 3] {
            let mut sealed = Sealed::default();
            for (line, message) in [(5, "b"), (3, "a"), (3, "a"), (3, "c")] {
                assert!(sealed.push(&finding(file, line, message), line as usize, 1));
            }
            spool.append(sealed, Origin::File(file));
        }
        spool.forget(Origin::File(3));
        spool
    }

    #[test]
    fn what_one_origin_appends_in_pieces_keeps_its_order() {
        let mut spool = Spool::new(0);
        let mut first = Sealed::default();
        assert!(first.push(&finding(0, 5, "p"), 5, 1));
        assert!(first.push(&finding(0, 3, "x"), 3, 1));
        let mut second = Sealed::default();
        assert!(second.push(&finding(0, 3, "y"), 3, 1));
        spool.append(first, Origin::File(0));
        spool.append(second, Origin::File(0));
        let (entries, bytes) = spool.finish();
        let findings = Findings::Spilled(Spilled::sorted(entries, bytes, |e| (e.file, e.line)));
        let got: Vec<String> = findings
            .iter()
            .map(|f| f.unwrap().message.clone())
            .collect();
        assert_eq!(got, ["x", "y", "p"]);
    }

    #[test]
    fn a_range_reads_what_each_finding_read_alone_gives() {
        for after in [usize::MAX, 0] {
            let (entries, bytes) = spool(after).finish();
            let findings = Findings::Spilled(Spilled::sorted(entries, bytes, |e| (e.file, e.line)));
            let one_by_one: Vec<Finding> = (0..findings.len())
                .map(|i| findings.get(i).unwrap().into_owned())
                .collect();
            for start in 0..findings.len() {
                for end in start..=findings.len() {
                    let read: Vec<Finding> = findings
                        .range(start..end)
                        .unwrap()
                        .into_iter()
                        .map(Cow::into_owned)
                        .collect();
                    assert_eq!(read, one_by_one[start..end]);
                }
            }
            assert!(findings.range(0..findings.len() + 1).is_err());
        }
        // A run whose span is longer than one read takes is read finding by finding.
        let mut spool = Spool::new(0);
        let long = "x".repeat(SPAN_READ as usize);
        for (file, message) in [(0, "a"), (1, long.as_str()), (2, "b")] {
            let mut sealed = Sealed::default();
            assert!(sealed.push(&finding(file, 1, message), 1, 1));
            spool.append(sealed, Origin::File(file));
        }
        let (entries, bytes) = spool.finish();
        let findings = Findings::Spilled(Spilled::sorted(entries, bytes, |e| (e.file, e.line)));
        let messages: Vec<usize> = findings
            .range(0..3)
            .unwrap()
            .iter()
            .map(|f| f.message.len())
            .collect();
        assert_eq!(messages, [1, SPAN_READ as usize, 1]);
    }

    #[test]
    fn a_spool_without_a_temporary_directory_stays_in_memory() {
        // A child process, so that TMPDIR is not changed under the other tests.
        if std::env::var_os("INTRANSIT_SPOOL_CHILD").is_none() {
            let status = std::process::Command::new(std::env::current_exe().unwrap())
                .args([
                    "--exact",
                    "report::spill::tests::a_spool_without_a_temporary_directory_stays_in_memory",
                ])
                .env("INTRANSIT_SPOOL_CHILD", "1")
                .env("TMPDIR", "/nonexistent/intransit-spool")
                .stdout(std::process::Stdio::null())
                .status()
                .unwrap();
            assert!(status.success());
            return;
        }
        let spool = spool(0);
        assert!(!spool.on_disk());
        let (entries, bytes) = spool.finish();
        let findings = Findings::Spilled(Spilled::sorted(entries, bytes, |e| (e.file, e.line)));
        assert_eq!(findings.iter().filter(|f| f.is_ok()).count(), 9);
    }

    #[test]
    fn a_spool_moves_to_its_file_past_its_limit_and_reads_back_sorted_and_deduplicated() {
        for (after, on_disk) in [(usize::MAX, false), (0, true)] {
            let spool = spool(after);
            assert_eq!(spool.on_disk(), on_disk);
            assert_eq!(spool.len(), 16);
            let (entries, bytes) = spool.finish();
            let spilled = Spilled::sorted(entries, bytes, |e| (e.file, e.line));
            let findings = Findings::Spilled(spilled);
            let got: Vec<(u32, u32, String)> = findings
                .iter()
                .map(|f| {
                    let f = f.unwrap();
                    (
                        f.primary.span.file.0,
                        f.primary.span.start,
                        f.message.clone(),
                    )
                })
                .collect();
            let mut want = Vec::new();
            for file in 0..3 {
                for (at, message) in [(3, "a"), (3, "c"), (5, "b")] {
                    want.push((file, at, message.to_string()));
                }
            }
            assert_eq!(got, want);
            assert_eq!(findings.len(), 9);
            assert_eq!(findings.count(Severity::Error), 9);
        }
    }
}
