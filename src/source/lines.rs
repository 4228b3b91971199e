//! Line indexes: byte offset to 1-based line and column (columns count Unicode scalar values),
//! built with memchr and kept small for ASCII text.

/// Byte offsets where lines start (a line ends at `\n`, `\r\n` or a lone `\r`, as YAML says),
/// plus the few lines that are not ASCII with the byte/character difference before each: lines,
/// columns and character offsets by binary search, without counting from the file's start.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<u32>,
    len: u32,
    wide: Vec<WideLine>,
}

/// A line with multi-byte characters, where bytes and columns differ.
#[derive(Debug, Clone)]
struct WideLine {
    line: u32,
    text: Box<str>,
    /// Bytes minus characters over the wide lines before this one.
    extra_before: u32,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0u32];
        let bytes = text.as_bytes();
        // memchr finds line breaks many bytes at a time; a CRLF's `\n` ends no second line.
        for i in memchr::memchr2_iter(b'\n', b'\r', bytes) {
            match bytes[i] {
                b'\r' if bytes.get(i + 1) == Some(&b'\n') => {}
                _ => starts.push(i as u32 + 1),
            }
        }
        let mut index = LineIndex {
            starts,
            len: text.len() as u32,
            wide: Vec::new(),
        };
        if !text.is_ascii() {
            let mut extra = 0;
            for line in 0..index.starts.len() {
                let start = index.line_start(line);
                let end = index
                    .starts
                    .get(line + 1)
                    .map_or(text.len(), |&e| e as usize);
                let content = &text[start..end];
                if !content.is_ascii() {
                    index.wide.push(WideLine {
                        line: line as u32,
                        text: content.into(),
                        extra_before: extra,
                    });
                    extra += (content.len() - content.chars().count()) as u32;
                }
            }
        }
        index
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

    /// 0-based line, that line's start, and the columns (scalar values) from it to `offset`.
    fn locate(&self, offset: usize) -> (usize, usize, usize, Result<usize, usize>) {
        let offset = offset.min(self.len as usize);
        let line = self.line_of(offset);
        let start = self.line_start(line).min(offset);
        let found = self.wide.binary_search_by_key(&(line as u32), |w| w.line);
        let column = match found {
            Ok(i) => {
                let text = &self.wide[i].text;
                let within = floor_char_boundary(text, (offset - start).min(text.len()));
                text[..within].chars().count()
            }
            Err(_) => offset - start,
        };
        (line, start, column, found)
    }

    /// 0-based columns of `offset` in UTF-16 code units and in bytes (the language server's
    /// position encodings).
    pub fn lsp_columns(&self, offset: usize) -> (usize, usize) {
        let (_, start, column, found) = self.locate(offset);
        let offset = offset.min(self.len as usize);
        match found {
            Ok(i) => {
                let text = &self.wide[i].text;
                let within = floor_char_boundary(text, (offset - start).min(text.len()));
                (text[..within].encode_utf16().count(), within)
            }
            Err(_) => (column, offset - start),
        }
    }

    /// 1-based line and column; the column counts Unicode scalar values from the line start.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let (line, _, column, _) = self.locate(offset);
        (line + 1, column + 1)
    }

    /// Unicode scalar values before `offset`.
    pub fn char_offset(&self, offset: usize) -> usize {
        let (_, start, column, found) = self.locate(offset);
        let extra = match found {
            Ok(i) => self.wide[i].extra_before,
            Err(0) => 0,
            Err(next) => {
                let w = &self.wide[next - 1];
                w.extra_before + (w.text.len() - w.text.chars().count()) as u32
            }
        };
        start - extra as usize + column
    }
}

/// The positions of `offsets` (sorted) in `text`, counted in one pass without an index of
/// every line, when the text is ASCII without `\r` (most files): bytes are characters and
/// `\n` alone ends a line. `None` for any other text. The same positions as `LineIndex`'s.
pub fn counted(text: &str, offsets: &[u32]) -> Option<Vec<(u32, super::Position)>> {
    let bytes = text.as_bytes();
    if !bytes.is_ascii() || memchr::memchr(b'\r', bytes).is_some() {
        return None;
    }
    let (mut line, mut start, mut counted_to) = (0, 0, 0);
    let positions = offsets
        .iter()
        .map(|&offset| {
            let at = (offset as usize).min(bytes.len()).max(counted_to);
            let between = &bytes[counted_to..at];
            let breaks = memchr::memchr_iter(b'\n', between).count();
            if breaks > 0 {
                line += breaks;
                start = counted_to + memchr::memrchr(b'\n', between).map_or(0, |i| i + 1);
            }
            counted_to = at;
            let column = (at - start) as u32;
            let position = super::Position {
                line: line as u32 + 1,
                column: column + 1,
                char_offset: at as u32,
                utf16_column: column,
                byte_column: column,
            };
            (offset, position)
        })
        .collect();
    Some(positions)
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn counted_positions_are_those_of_the_index(
            text in "[a-z \n]{0,200}|[a-z\n]{0,20}[\r\u{e9}]?[a-z\n]{0,20}",
            offsets in prop::collection::vec(0u32..260, 0..12),
        ) {
            let mut offsets = offsets;
            offsets.sort_unstable();
            offsets.dedup();
            let counted = counted(&text, &offsets);
            prop_assert_eq!(counted.is_some(), text.is_ascii() && !text.contains('\r'));
            let index = LineIndex::new(&text);
            for (offset, position) in counted.unwrap_or_default() {
                let (line, column) = index.line_col(offset as usize);
                let (utf16, bytes) = index.lsp_columns(offset as usize);
                prop_assert_eq!(
                    (position.line, position.column, position.char_offset),
                    (line as u32, column as u32, index.char_offset(offset as usize) as u32),
                    "at {}", offset
                );
                prop_assert_eq!((position.utf16_column, position.byte_column), (utf16 as u32, bytes as u32));
            }
        }
    }

    #[test]
    fn line_breaks_of_every_kind() {
        let text = "a\r\nb\rc\nd";
        let index = LineIndex::new(text);
        assert_eq!(index.line_col(0), (1, 1));
        assert_eq!(index.line_col(3), (2, 1));
        assert_eq!(index.line_col(5), (3, 1));
        assert_eq!(index.line_col(7), (4, 1));
    }

    #[test]
    fn columns_count_scalar_values() {
        let text = "é: ok";
        let index = LineIndex::new(text);
        assert_eq!(index.line_col(4), (1, 4));
    }

    #[test]
    fn positions_without_the_text_match_counting_in_it() {
        let text = "\u{feff}a: é\r\nb: 1\nc: \"日本\" # ü\rd\n\né";
        let index = LineIndex::new(text);
        for offset in 0..=text.len() + 2 {
            let at = floor_char_boundary(text, offset.min(text.len()));
            assert_eq!(
                index.char_offset(offset),
                text[..at].chars().count(),
                "at {offset}"
            );
            if text[..at].ends_with('\r') && text[at..].starts_with('\n') {
                continue; // between the two bytes of a CRLF: no column to compare
            }
            let (mut line, mut column) = (1, 1);
            let mut chars = text[..at].chars().peekable();
            while let Some(c) = chars.next() {
                match c {
                    '\r' | '\n' => {
                        if c == '\r' && chars.peek() == Some(&'\n') {
                            chars.next();
                        }
                        (line, column) = (line + 1, 1);
                    }
                    _ => column += 1,
                }
            }
            assert_eq!(index.line_col(offset), (line, column), "at {offset}");
        }
    }
}
