//! Source files and positions: a `Span` is a byte range in one file; lines and columns are
//! computed only when a report is rendered, through the file's `LineIndex`.

use std::path::{Path, PathBuf};
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

/// How the file's bytes were turned into text; anything but UTF-8 is never rewritten by a fix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    /// UTF-8 with a byte-order mark (kept in `text`; parsers skip it).
    Utf8Bom,
    /// UTF-16 (either byte order), decoded into `text`.
    Utf16,
}

/// One file's text, its path as the user should see it, and its line index.
#[derive(Debug)]
pub struct SourceFile {
    pub id: FileId,
    /// The path used to open the file.
    pub path: PathBuf,
    /// The path shown in reports: relative to the current directory, `/`-separated.
    pub display: String,
    pub text: Arc<str>,
    pub encoding: Encoding,
    pub lines: LineIndex,
}

impl SourceFile {
    pub fn new(
        id: FileId,
        path: PathBuf,
        display: String,
        text: Arc<str>,
        encoding: Encoding,
    ) -> SourceFile {
        let lines = LineIndex::new(&text);
        SourceFile {
            id,
            path,
            display,
            text,
            encoding,
            lines,
        }
    }

    /// 1-based line and column (in Unicode scalar values) of a byte offset.
    pub fn line_col(&self, offset: u32) -> (usize, usize) {
        self.lines.line_col(&self.text, offset as usize)
    }

    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.range()).unwrap_or("")
    }
}

/// Byte offsets where lines start. A line ends at `\n`, `\r\n` or a lone `\r`, as YAML says.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<u32>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0u32];
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => starts.push(i as u32 + 1),
                b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                    starts.push(i as u32 + 2);
                    i += 1;
                }
                b'\r' => starts.push(i as u32 + 1),
                _ => {}
            }
            i += 1;
        }
        LineIndex { starts }
    }

    /// 0-based line number containing `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        match self.starts.binary_search(&(offset as u32)) {
            Ok(line) => line,
            Err(next) => next - 1,
        }
    }

    pub fn line_start(&self, line: usize) -> usize {
        self.starts.get(line).copied().unwrap_or(0) as usize
    }

    /// 1-based line and column; the column counts Unicode scalar values from the line start.
    pub fn line_col(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let line = self.line_of(offset);
        let start = self.line_start(line).min(offset);
        let column = text[start..offset].chars().count();
        (line + 1, column + 1)
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Offset of the first bracket nested deeper than `limit`, skipping quoted strings and `#`
/// comments; a cheap guard that runs before any parser, whose recursion it bounds.
pub fn too_deep(text: &str, limit: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    let mut in_string = false;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match b {
                b'\\' => i += 1,
                b'"' | b'\n' => in_string = false,
                _ => {}
            }
        } else {
            match b {
                b'"' => in_string = true,
                b'#' if i == 0 || bytes[i - 1].is_ascii_whitespace() => {
                    while i < bytes.len() && bytes[i] != b'\n' {
                        i += 1;
                    }
                }
                b'(' | b'[' | b'{' => {
                    depth += 1;
                    if depth > limit {
                        return Some(i);
                    }
                }
                b')' | b']' | b'}' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        i += 1;
    }
    None
}

/// The text with each byte range replaced by spaces, line breaks kept, so offsets, lines and
/// columns stay those of the original (targeted reading). Ranges cover whole lines' content, so
/// a multi-byte character is blanked entirely and the result stays UTF-8.
pub fn blank(text: &str, ranges: &[(usize, usize)]) -> Option<String> {
    let mut masked = text.as_bytes().to_vec();
    for &(start, end) in ranges {
        for byte in masked.get_mut(start..end)? {
            if *byte != b'\n' && *byte != b'\r' {
                *byte = b' ';
            }
        }
    }
    String::from_utf8(masked).ok()
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

/// The path as reports show it: relative to `base` when inside it, with `/` separators.
pub fn display_path(path: &Path, base: &Path) -> String {
    let relative = path
        .strip_prefix(base)
        .ok()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(path);
    let relative = relative.strip_prefix(".").unwrap_or(relative);
    let shown = relative.to_string_lossy().replace('\\', "/");
    if shown.is_empty() {
        path.to_string_lossy().replace('\\', "/")
    } else {
        shown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_breaks_of_every_kind() {
        let text = "a\r\nb\rc\nd";
        let index = LineIndex::new(text);
        assert_eq!(index.line_col(text, 0), (1, 1));
        assert_eq!(index.line_col(text, 3), (2, 1));
        assert_eq!(index.line_col(text, 5), (3, 1));
        assert_eq!(index.line_col(text, 7), (4, 1));
    }

    #[test]
    fn columns_count_scalar_values() {
        let text = "é: ok";
        let index = LineIndex::new(text);
        assert_eq!(index.line_col(text, 4), (1, 4));
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
