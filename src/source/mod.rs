//! Source files and positions: a `Span` is a byte range in one file; lines and columns are
//! computed only when a report is rendered, through the file's `LineIndex`. The bottom layer:
//! it imports nothing else from the crate.

mod lines;
mod paths;
mod read;
mod scan;

pub use lines::LineIndex;
pub use paths::{display_path, normalize};
pub use read::{read_limited, read_regular, too_large_message, Limited, FILES_PER_TASK};
pub use scan::{
    blank, cut, nesting_error, too_deep, u8x16, GuardSets, Needles, Shifts, StopSets, Stops,
    IN_STRING, OUTSIDE,
};

use std::path::PathBuf;
use std::sync::Arc;

/// Index of a file in the run's file table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// A byte range `[start, end)` in one file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span {
            file,
            start: start as u32,
            end: end.max(start) as u32,
        }
    }

    /// The smallest span covering both (same file assumed).
    pub fn to(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    pub fn contains(self, other: Span) -> bool {
        self.file == other.file && self.start <= other.start && other.end <= self.end
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// The lines of one file that a report shows with a finding (the human report's snippets),
/// taken while the text was in hand, so that the report need not read the file again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Excerpt {
    pub file: FileId,
    /// The file's length in bytes: a piece that reaches it ends with the file.
    pub len: u32,
    /// Parts of the text, in order and apart, each starting at a line start: where it starts
    /// and its text. `None` when the lines are not shown (a label on a line too long to show).
    pub pieces: Option<Vec<(u32, Box<str>)>>,
}

/// How the file's bytes were turned into text; anything but UTF-8 is never rewritten by a fix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    /// UTF-8 with a byte-order mark (kept in `text`; parsers skip it).
    Utf8Bom,
    /// UTF-16 (either byte order), decoded into `text`.
    Utf16,
}

/// One file: its path as the user should see it and, while the file is being read, its text
/// and line index. Once a file is lowered both are released (`released`) when the file on disk
/// holds the text, so a run keeps one file's text per worker, not the tree's. At the end of a
/// run the files findings point into are read once more (`loaded`) to resolve fixes and record
/// the positions reports show (`with_positions`); a file that changed since is refused.
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub id: FileId,
    /// The path used to open the file.
    pub path: PathBuf,
    /// The path shown in reports: relative to the current directory, `/`-separated.
    pub display: String,
    pub encoding: Encoding,
    /// Byte length of the text.
    len: u32,
    /// An `Arc<String>`, not an `Arc<str>`: made from the `String` a read gives without
    /// copying the text.
    kept: Option<Arc<String>>,
    /// Built on first use while the text is kept.
    lines: std::sync::OnceLock<Arc<LineIndex>>,
    /// Positions of the offsets findings point at, recorded for a released file.
    positions: Option<Arc<[(u32, Position)]>>,
    /// Where the text came from: `Disk` texts can be released and read again.
    origin: Origin,
}

/// Where a byte offset is: 1-based line and column, and characters before it in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    pub line: u32,
    pub column: u32,
    pub char_offset: u32,
    /// 0-based column in UTF-16 code units, and in bytes (the language server's encodings).
    pub utf16_column: u32,
    pub byte_column: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Origin {
    /// Read from `path`. The digest, taken when the text is released, tells a re-read of the
    /// same text from a changed file.
    Disk { digest: Option<u64> },
    /// An unsaved buffer, a fix being tried, or text made up for a diagnostic: always kept.
    Memory,
}

impl SourceFile {
    /// A file whose text does not come from its path (or is not what the path holds, like a
    /// lossy decoding); its text is kept for the whole run.
    pub fn new(
        id: FileId,
        path: PathBuf,
        display: String,
        text: Arc<String>,
        encoding: Encoding,
    ) -> SourceFile {
        SourceFile {
            id,
            path,
            display,
            encoding,
            len: text.len() as u32,
            lines: std::sync::OnceLock::new(),
            kept: Some(text),
            positions: None,
            origin: Origin::Memory,
        }
    }

    /// Marks the text as what `decode` makes of the bytes at `path`, so it can be released and
    /// read again.
    pub fn on_disk(mut self) -> SourceFile {
        self.origin = Origin::Disk { digest: None };
        self
    }

    /// The text while it is kept; empty once released (use `load` after lowering).
    pub fn text(&self) -> &str {
        self.kept.as_deref().map_or("", String::as_str)
    }

    /// What identifies this file's text: its length and digest (taken when released, or now
    /// for a kept text).
    pub fn fingerprint(&self) -> (u32, u64) {
        match (self.origin, &self.kept) {
            (Origin::Disk { digest: Some(d) }, _) => (self.len, d),
            (_, Some(text)) => (self.len, digest(text)),
            _ => (self.len, 0),
        }
    }

    /// Whether the text is what the file on disk holds, so it can be released and read again
    /// (else it is kept for the whole run).
    pub fn is_on_disk(&self) -> bool {
        matches!(self.origin, Origin::Disk { .. })
    }

    /// The same file without its text and line index when the file on disk holds the text,
    /// else unchanged.
    pub fn released(&self) -> SourceFile {
        let mut file = self.clone();
        if let Origin::Disk { digest: known } = self.origin {
            // Hashed only now: most files read are dropped, never released.
            let text = self.text();
            file.origin = Origin::Disk {
                digest: known.or_else(|| Some(digest(text))),
            };
            file.kept = None;
            file.lines = std::sync::OnceLock::new();
        }
        file
    }

    /// The text: kept, or read again from disk. `None` when the file cannot be read or no
    /// longer holds the text positions refer to.
    pub fn load(&self) -> Option<Arc<String>> {
        if let Some(text) = &self.kept {
            return Some(text.clone());
        }
        let Origin::Disk {
            digest: Some(expected),
        } = self.origin
        else {
            return None;
        };
        // Bounded by what the text could take on disk (UTF-16 is twice as long, plus a BOM).
        let bytes = read_regular(&self.path, (self.len as u64).saturating_mul(4) + 16).ok()?;
        let (text, _) = decode(bytes).ok()?;
        (text.len() == self.len as usize && digest(&text) == expected).then(|| Arc::new(text))
    }

    /// A copy holding its text and line index (see `load`), for code that edits or shows it.
    pub fn loaded(&self) -> Option<SourceFile> {
        if self.kept.is_some() {
            return Some(self.clone());
        }
        let text = self.load()?;
        let mut file = self.clone();
        file.kept = Some(text);
        Some(file)
    }

    /// This file, released, with the positions of `offsets` recorded (from its text, which
    /// must be held: call on a `loaded` file). Most texts are counted in one pass; others go
    /// through the line index.
    pub fn with_positions(&self, offsets: &[u32]) -> SourceFile {
        let mut file = self.released();
        if file.kept.is_some() {
            return file;
        }
        let mut offsets = offsets.to_vec();
        offsets.sort_unstable();
        offsets.dedup();
        let counted = match (&self.kept, self.lines.get()) {
            (Some(text), None) => lines::counted(text, &offsets),
            _ => None,
        };
        let positions =
            counted.unwrap_or_else(|| offsets.iter().map(|&o| (o, self.position(o))).collect());
        file.positions = Some(positions.into());
        file
    }

    /// Where a byte offset is: from the line index while it is held, else from the recorded
    /// positions; line 1, column 1 for an offset nobody recorded.
    pub fn position(&self, offset: u32) -> Position {
        if let Some(text) = &self.kept {
            let lines = self.lines.get_or_init(|| Arc::new(LineIndex::new(text)));
            let (line, column) = lines.line_col(offset as usize);
            let (utf16, bytes) = lines.lsp_columns(offset as usize);
            return Position {
                line: line as u32,
                column: column as u32,
                char_offset: lines.char_offset(offset as usize) as u32,
                utf16_column: utf16 as u32,
                byte_column: bytes as u32,
            };
        }
        self.positions
            .as_ref()
            .and_then(|p| {
                p.binary_search_by_key(&offset, |e| e.0)
                    .ok()
                    .map(|i| p[i].1)
            })
            .unwrap_or(Position {
                line: 1,
                column: 1,
                char_offset: 0,
                utf16_column: 0,
                byte_column: 0,
            })
    }

    /// 1-based line and column (in Unicode scalar values) of a byte offset.
    pub fn line_col(&self, offset: u32) -> (usize, usize) {
        let at = self.position(offset);
        (at.line as usize, at.column as usize)
    }

    /// 0-based line of a byte offset, when it is known: the text is kept, or the offset's
    /// position was recorded.
    pub fn known_line(&self, offset: u32) -> Option<usize> {
        if self.kept.is_some() {
            return Some(self.line_of(offset));
        }
        let positions = self.positions.as_ref()?;
        let i = positions.binary_search_by_key(&offset, |e| e.0).ok()?;
        Some(positions[i].1.line as usize - 1)
    }

    /// 0-based line of a byte offset.
    pub fn line_of(&self, offset: u32) -> usize {
        self.line_col(offset).0 - 1
    }

    /// The number of Unicode scalar values before a byte offset (SARIF's `charOffset`).
    pub fn char_offset(&self, offset: u32) -> usize {
        self.position(offset).char_offset as usize
    }

    /// The span's text while the text is kept; empty once released.
    pub fn slice(&self, span: Span) -> &str {
        self.text().get(span.range()).unwrap_or("")
    }
}

fn digest(text: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(text.as_bytes())
}

/// Turns raw bytes into text. An error when the bytes are neither UTF-8 nor BOM-marked UTF-16:
/// the bytes back, with the byte offset of the first invalid sequence.
pub fn decode(bytes: Vec<u8>) -> Result<(String, Encoding), (Vec<u8>, usize)> {
    if let Some(rest) = bytes
        .strip_prefix(&[0xFF, 0xFE])
        .or_else(|| bytes.strip_prefix(&[0xFE, 0xFF]))
    {
        let little = bytes[0] == 0xFF;
        let units: Vec<u16> = rest
            .chunks(2)
            .map(|pair| {
                let pair = [pair[0], *pair.get(1).unwrap_or(&0)];
                if little {
                    u16::from_le_bytes(pair)
                } else {
                    u16::from_be_bytes(pair)
                }
            })
            .collect();
        return match String::from_utf16(&units) {
            Ok(text) => Ok((text, Encoding::Utf16)),
            Err(_) => Err((bytes, 0)),
        };
    }
    match String::from_utf8(bytes) {
        Ok(text) if text.starts_with('\u{feff}') => Ok((text, Encoding::Utf8Bom)),
        Ok(text) => Ok((text, Encoding::Utf8)),
        Err(error) => {
            let at = error.utf8_error().valid_up_to();
            Err((error.into_bytes(), at))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_released_file_is_read_again_only_while_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.yaml");
        std::fs::write(&path, "a: é\n").unwrap();
        let file = SourceFile::new(
            FileId(0),
            path.clone(),
            "t.yaml".into(),
            Arc::new("a: é\n".to_string()),
            Encoding::Utf8,
        )
        .on_disk();
        let released = file.loaded().unwrap().with_positions(&[5]);
        assert_eq!(released.text(), "");
        assert_eq!(released.line_col(5), (1, 5));
        assert_eq!(released.char_offset(5), 4);
        assert_eq!(
            released.load().as_deref().map(String::as_str),
            Some("a: é\n")
        );
        assert_eq!(released.loaded().unwrap().line_col(6), (2, 1));
        std::fs::write(&path, "a: e\n").unwrap();
        assert_eq!(released.load(), None);
        let memory = SourceFile::new(
            FileId(1),
            path,
            "t".into(),
            Arc::new("x".to_string()),
            Encoding::Utf8,
        );
        assert_eq!(memory.released().text(), "x");
    }

    #[test]
    fn utf16_is_decoded() {
        let mut bytes = vec![0xFF, 0xFE];
        for unit in "a: 1".encode_utf16() {
            bytes.extend(unit.to_le_bytes());
        }
        assert_eq!(decode(bytes), Ok(("a: 1".to_string(), Encoding::Utf16)));
        assert_eq!(decode(vec![b'a', 0xC3]), Err((vec![b'a', 0xC3], 1)));
    }
}
