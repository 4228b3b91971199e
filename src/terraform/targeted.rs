//! Targeted reading for HCL: top-level blocks the verdict never reads are cut out before
//! parsing, and positions mapped back (`source::Shifts`), so a large module parses only its RDS resources, variables,
//! locals and module calls (ARCHITECTURE.md, "Read").

use std::collections::HashSet;

use super::references::{READ_DATA, READ_RESOURCES};
use crate::source::{u8x16, StopSets, Stops, IN_STRING};

/// The names of the locals a module's texts refer to (`local.NAME` anywhere, even in blocks
/// that are blanked: an over-count only keeps a local).
pub fn referenced_locals<'t>(texts: impl IntoIterator<Item = &'t str>) -> HashSet<String> {
    let mut names = HashSet::new();
    for text in texts {
        let bytes = text.as_bytes();
        for at in memchr::memmem::find_iter(bytes, b"local.") {
            // `local.x`, not `global.x` or `mylocal.x`.
            if at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_') {
                continue;
            }
            let start = at + "local.".len();
            let end = bytes[start..]
                .iter()
                .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-'))
                .map_or(bytes.len(), |n| start + n);
            names.insert(text[start..end].to_string());
        }
    }
    names
}

/// The text with top-level blocks the verdict never reads cut out (with where its bytes are
/// in the file, so spans are those of the full text), and, in `locals` blocks, the locals
/// nothing refers to (`referenced`: see `referenced_locals`; a 40,000-key object nobody reads
/// is not parsed). `None` when nothing can be skipped or the text is too unusual to split
/// safely (unbalanced braces, a heredoc at the top level).
pub fn relevant_only(
    text: &str,
    referenced: Option<&HashSet<String>>,
) -> Option<(String, crate::source::Shifts)> {
    let bytes = text.as_bytes();
    let mut skipped: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        // A top-level item starts at a line start; find its first `{` and the matching `}`.
        // Most lines have none (blank lines, attributes of what a `{` opened): only the bytes
        // are searched, and words are read only where a block opens.
        let line_end = memchr::memchr(b'\n', &bytes[i..]).map_or(bytes.len(), |n| i + n);
        let line = &bytes[i..line_end];
        if let Some(brace) = memchr::memchr(b'{', line) {
            let (first, second) = first_two_words(&text[i..line_end]);
            let skip = match (first, second) {
                (Some("resource"), Some(kind)) => !READ_RESOURCES.contains(&first_label(kind)),
                (Some("data"), Some(kind)) => !READ_DATA.contains(&first_label(kind)),
                (Some("provider" | "terraform"), _) => true,
                _ => false,
            };
            let open = i + brace;
            let close = matching_brace(bytes, open)?;
            if skip {
                skipped.push((i, close + 1));
            } else if let (Some("locals"), Some(referenced)) = (first, referenced) {
                unused_locals(text, open, close, referenced, &mut skipped);
            }
            i = close + 1;
        } else {
            if memchr::memchr_iter(b'<', line).any(|k| line.get(k + 1) == Some(&b'<')) {
                return None;
            }
            i = line_end + 1;
        }
    }
    if skipped.is_empty() {
        return None;
    }
    crate::source::cut(text, &skipped)
}

/// The first label of a block, quoted or not, even when the next one touches it: the word
/// after its leading quotes, up to a quote or a brace (by bytes, which are ASCII there).
fn first_label(word: &str) -> &str {
    let word = word.trim_start_matches('"');
    let end = word
        .bytes()
        .position(|b| b == b'"' || b == b'{')
        .unwrap_or(word.len());
    &word[..end]
}

/// A line's first two words, as `split_whitespace` finds them; an ASCII line (most) is split
/// at its bytes, without decoding characters.
fn first_two_words(line: &str) -> (Option<&str>, Option<&str>) {
    if !line.is_ascii() {
        let mut words = line.split_whitespace();
        return (words.next(), words.next());
    }
    // `char::is_whitespace` among ASCII characters: `u8::is_ascii_whitespace` and VT.
    let space = |b: &u8| b.is_ascii_whitespace() || *b == 0x0b;
    let mut words = line
        .as_bytes()
        .split(space)
        .filter(|word| !word.is_empty())
        .map(|word| {
            let start = word.as_ptr() as usize - line.as_ptr() as usize;
            &line[start..start + word.len()]
        });
    (words.next(), words.next())
}

/// The attributes of the `locals` block between `open` and `close` whose names are not
/// referenced: from their line's start to the end of their expression. An attribute whose
/// extent is unclear (a heredoc, unbalanced brackets) is kept.
fn unused_locals(
    text: &str,
    open: usize,
    close: usize,
    referenced: &HashSet<String>,
    skipped: &mut Vec<(usize, usize)>,
) {
    let bytes = text.as_bytes();
    let mut i = match text[open..close].find('\n') {
        Some(n) => open + n + 1,
        None => return,
    };
    while i < close {
        let line_end = text[i..close].find('\n').map_or(close, |n| i + n);
        let line = &text[i..line_end];
        let trimmed = line.trim_start();
        let name_len = trimmed
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-')
            .count();
        let after = trimmed[name_len..].trim_start();
        let is_attribute = name_len > 0 && after.starts_with('=') && !after.starts_with("==");
        if !is_attribute {
            i = line_end + 1;
            continue;
        }
        let value = i + (line.len() - after.len()) + 1;
        let Some(end) = expression_end(bytes, value, close) else {
            return;
        };
        if !referenced.contains(&trimmed[..name_len]) {
            skipped.push((i, end));
        }
        i = end + 1;
    }
}

/// Where the expression starting at `start` ends: the line break at bracket depth 0 (or the
/// block's `close`). `None` for what this scanner does not follow (a heredoc).
fn expression_end(bytes: &[u8], start: usize, close: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = start;
    while i < close {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < close && bytes[i] != b'"' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'#' => {
                while i < close && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < close && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => return None,
            b'<' if bytes.get(i + 1) == Some(&b'<') => return None,
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.checked_sub(1)?,
            b'\n' if depth == 0 => return Some(i),
            _ => {}
        }
        i += 1;
    }
    (depth == 0).then_some(close)
}

/// Object literals with more entries than this are refused before parsing: hcl-edit inserts
/// each entry into a vector map, so parsing an object costs the square of its size (40,000
/// entries take 3 s; 20,000 take under one).
pub const MAX_OBJECT_ENTRIES: usize = 20_000;

/// An approximate count of the entries of the largest object expression `{…}` in the text (the
/// `=` and `:` at its own depth; strings and comments skipped), and where it opens.
pub fn largest_object(text: &str) -> (usize, usize) {
    let bytes = text.as_bytes();
    let mut stack: Vec<(usize, usize, bool)> = Vec::new();
    let mut largest = (0, 0);
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            // An object expression follows `=`, `:`, `(`, `[`, `,` or `?`; a block body follows
            // its labels (block bodies are plain vectors in hcl-edit: not counted).
            b'{' => {
                let before = bytes[..i].iter().rev().find(|b| !b.is_ascii_whitespace());
                let object = matches!(before, Some(b'=' | b':' | b'(' | b'[' | b',' | b'?'));
                stack.push((i, 0, object));
            }
            b'}' => {
                if let Some((open, count, true)) = stack.pop() {
                    if count > largest.0 {
                        largest = (count, open);
                    }
                }
            }
            b'=' | b':' if bytes.get(i + 1) != Some(&b'=') && bytes.get(i + 1) != Some(&b':') => {
                if let Some(top) = stack.last_mut() {
                    top.1 += 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    largest
}

/// The bytes the brace matcher acts on, and those that end or escape a string (`Stops`).
struct BraceSets;

impl StopSets for BraceSets {
    #[inline]
    fn lanes(v: u8x16) -> [u8x16; 2] {
        let eq = |byte: u8| v.simd_eq(u8x16::splat(byte));
        [
            eq(b'"') | eq(b'#') | eq(b'/') | eq(b'<') | eq(b'{') | eq(b'}'),
            eq(b'"') | eq(b'\\'),
        ]
    }
}

/// The offset of the `}` closing the `{` at `open`, skipping strings, comments and heredocs.
fn matching_brace(bytes: &[u8], open: usize) -> Option<usize> {
    let mut stops = Stops::<BraceSets>::new(bytes);
    let mut depth = 0usize;
    let mut i = open;
    loop {
        i = stops.next_unquoted(i)?;
        match bytes[i] {
            b'"' => {
                // To the closing quote; `\` escapes the byte after it.
                i += 1;
                loop {
                    i = stops.next(IN_STRING, i)?;
                    if bytes[i] == b'"' {
                        break;
                    }
                    i += 2;
                }
            }
            b'#' => i += memchr::memchr(b'\n', &bytes[i..]).unwrap_or(bytes.len() - i),
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i += memchr::memchr(b'\n', &bytes[i..]).unwrap_or(bytes.len() - i);
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                    i += 1;
                }
                i += 1;
            }
            // A heredoc (`<<EOT` or `<<-EOT`): skip to the line that is only its delimiter.
            b'<' if bytes.get(i + 1) == Some(&b'<') => {
                let mut j = i + 2;
                if bytes.get(j) == Some(&b'-') {
                    j += 1;
                }
                let ident_start = j;
                while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_') {
                    j += 1;
                }
                let delimiter = &bytes[ident_start..j];
                if delimiter.is_empty() {
                    return None;
                }
                // Lines split at line breaks are whole characters: each is text.
                let mut lines = bytes[j..].split_inclusive(|&b| b == b'\n');
                let mut offset = j + lines.next().map_or(0, <[u8]>::len);
                let mut closed = false;
                for line in lines {
                    offset += line.len();
                    let line = std::str::from_utf8(line).ok()?;
                    if line.trim().as_bytes() == delimiter {
                        closed = true;
                        break;
                    }
                }
                if !closed {
                    return None;
                }
                i = offset - 1;
            }
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;
    use crate::terraform::syntax::parse_in;

    #[test]
    fn unread_blocks_are_cut_out_and_spans_mapped_back() {
        let text = "resource \"aws_s3_bucket\" \"b\" {\n  tags = { a = \"}\" }\n}\nresource \"aws_db_instance\" \"d\" {\n  engine = \"postgres\"\n}\n";
        let (masked, shifts) = relevant_only(text, None).unwrap();
        assert!(masked.starts_with("\nresource \"aws_db_instance\""));
        let body = parse_in(&masked, FileId(0), &shifts, true).unwrap();
        let engine = &body.blocks[0].body.attribute("engine").unwrap().value;
        assert_eq!(&text[engine.span.range()], "\"postgres\"");
        assert!(relevant_only("variable \"x\" {}\n", None).is_none());
        let heredoc = "resource \"aws_iam_policy\" \"p\" {\n  policy = <<-EOT\n    { \"a\": \"}\" }\n  EOT\n}\nresource \"aws_db_instance\" \"d\" {\n}\n";
        let (masked, _) =
            relevant_only(heredoc, None).expect("a heredoc in an unread block is skipped");
        assert!(!masked.contains("aws_iam_policy") && masked.contains("aws_db_instance"));
        // A label touching the type (found by the fuzz test) still names a read resource.
        let touching =
            "resource \"aws_db_instance\"a\"d\" {\n}\nresource \"aws_s3_bucket\"\"b\"{\n}\n";
        let (masked, _) = relevant_only(touching, None).unwrap();
        assert!(masked.contains("aws_db_instance") && !masked.contains("aws_s3_bucket"));
    }

    #[test]
    fn locals_nobody_reads_are_cut_out() {
        let text = "locals {\n  big = {\n    a = \"}\"\n  }\n  used = \"x\" # local.big in a comment\n  also = [1,\n    2]\n}\nresource \"aws_db_instance\" \"d\" {\n  identifier = local.used\n}\n";
        let referenced = referenced_locals([text]);
        assert!(referenced.contains("used") && referenced.contains("big"));
        let only_used: HashSet<String> = ["used".to_string()].into();
        let (masked, shifts) = relevant_only(text, Some(&only_used)).unwrap();
        assert!(!masked.contains("big =") && !masked.contains("also") && masked.contains("used ="));
        let body = parse_in(&masked, FileId(0), &shifts, true).unwrap();
        let used = body.blocks[0].body.attribute("used").unwrap();
        assert_eq!(&text[used.value.span.range()], "\"x\"");
    }

    /// The brace matcher as first written (a byte at a time), to compare the fast one with.
    fn matching_brace_reference(bytes: &[u8], open: usize) -> Option<usize> {
        let mut depth = 0usize;
        let mut i = open;
        while i < bytes.len() {
            match bytes[i] {
                b'"' => {
                    i += 1;
                    while i < bytes.len() && bytes[i] != b'"' {
                        if bytes[i] == b'\\' {
                            i += 1;
                        }
                        i += 1;
                    }
                }
                b'#' => {
                    while i < bytes.len() && bytes[i] != b'\n' {
                        i += 1;
                    }
                }
                b'/' if bytes.get(i + 1) == Some(&b'/') => {
                    while i < bytes.len() && bytes[i] != b'\n' {
                        i += 1;
                    }
                }
                b'/' if bytes.get(i + 1) == Some(&b'*') => {
                    i += 2;
                    while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                        i += 1;
                    }
                    i += 1;
                }
                // A heredoc (`<<EOT` or `<<-EOT`): skip to the line that is only its delimiter.
                b'<' if bytes.get(i + 1) == Some(&b'<') => {
                    let mut j = i + 2;
                    if bytes.get(j) == Some(&b'-') {
                        j += 1;
                    }
                    let ident_start = j;
                    while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_')
                    {
                        j += 1;
                    }
                    let delimiter = std::str::from_utf8(&bytes[ident_start..j]).ok()?;
                    if delimiter.is_empty() {
                        return None;
                    }
                    let rest = std::str::from_utf8(&bytes[j..]).ok()?;
                    let mut lines = rest.split_inclusive('\n');
                    let mut offset = j + lines.next().map_or(0, str::len);
                    let mut closed = false;
                    for line in lines {
                        offset += line.len();
                        if line.trim() == delimiter {
                            closed = true;
                            break;
                        }
                    }
                    if !closed {
                        return None;
                    }
                    i = offset - 1;
                }
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(i);
                    }
                }
                _ => {}
            }
            i += 1;
        }
        None
    }

    /// `relevant_only`'s loop over top-level lines as first written (every line's words read,
    /// `str` searches), to compare the byte searches with.
    fn relevant_only_reference(
        text: &str,
        referenced: Option<&HashSet<String>>,
    ) -> Option<(String, crate::source::Shifts)> {
        let bytes = text.as_bytes();
        let mut skipped: Vec<(usize, usize)> = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            let line_end = text[i..].find('\n').map_or(bytes.len(), |n| i + n);
            let line = &text[i..line_end];
            let mut words = line.split_whitespace();
            let first = words.next();
            let skip = match (first, words.next()) {
                (Some("resource"), Some(kind)) => {
                    let kind = kind.trim_start_matches('"').split(['"', '{']).next();
                    !kind.is_some_and(|kind| READ_RESOURCES.contains(&kind))
                }
                (Some("data"), Some(kind)) => {
                    let kind = kind.trim_start_matches('"').split(['"', '{']).next();
                    !kind.is_some_and(|kind| READ_DATA.contains(&kind))
                }
                (Some("provider" | "terraform"), _) => true,
                _ => false,
            };
            if line.contains('{') {
                let open = i + line.find('{')?;
                let close = matching_brace(bytes, open)?;
                if skip {
                    skipped.push((i, close + 1));
                } else if let (Some("locals"), Some(referenced)) = (first, referenced) {
                    unused_locals(text, open, close, referenced, &mut skipped);
                }
                i = close + 1;
            } else {
                if line.contains("<<") {
                    return None;
                }
                i = line_end + 1;
            }
        }
        if skipped.is_empty() {
            return None;
        }
        crate::source::cut(text, &skipped)
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4000))]
        #[test]
        fn the_first_two_words_are_split_whitespaces(line in "[a \t\x0b\x0c\r\u{2003}\u{85}é\"{]{0,20}") {
            let mut words = line.split_whitespace();
            proptest::prop_assert_eq!(first_two_words(&line), (words.next(), words.next()));
        }

        #[test]
        fn top_level_lines_are_read_as_by_the_first_loop(
            pieces in proptest::collection::vec(proptest::sample::select(vec![
                "resource \"aws_s3_bucket\" \"b\" {\n  x = \"}\"\n}\n", "locals {\n  y = 1\n  x = {}\n}\n",
                "resource \"aws_db_instance\" \"d\" {\n  engine = local.x\n}\n",
                "resource \"aws_s3_bucket\" \"b\" {\n", "resource \"aws_db_instance\" \"d\" {\n",
                "resource\t\"aws_s3_bucket\"\"b\"{", "data \"aws_iam_policy\" \"p\" {\n",
                "data \"aws_db_instance\" \"p\" {\n", "provider \"aws\" {\n", "terraform {\n",
                "locals {\n", "variable \"v\" {\n", "module \"m\" {\n", "  x = local.y\n",
                "  y = \"}\" # {\n", "  p = <<EOT\n", "EOT\n", "  z = [1,\n", "]\n", "}\n", "}",
                "\n", "\r\n", " ", "\u{2003}", "é", "<<", "<", "#", "{", "\"", "x = 1\n",
            ]), 0..24),
        ) {
            let text = pieces.concat();
            let referenced = referenced_locals([text.as_str()]);
            for referenced in [None, Some(&referenced)] {
                let fast = relevant_only(&text, referenced).map(|(cut, _)| cut);
                let first = relevant_only_reference(&text, referenced).map(|(cut, _)| cut);
                proptest::prop_assert_eq!(fast, first);
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4000))]
        #[test]
        fn the_fast_brace_matcher_agrees_with_the_byte_at_a_time_one(
            text in "[{}\"\\\\#/*<\\-EOT\n aé]{0,200}",
            open in 0usize..8,
        ) {
            let bytes = text.as_bytes();
            if let Some(open) = bytes.iter().skip(open).position(|&b| b == b'{').map(|n| n + open) {
                proptest::prop_assert_eq!(
                    matching_brace(bytes, open),
                    matching_brace_reference(bytes, open)
                );
            }
        }

        /// Blocks of a few hundred bytes, mostly balanced, with strings, escapes, comments and
        /// heredocs across the scanner's 64-byte blocks.
        #[test]
        fn the_brace_matcher_agrees_across_blocks(
            pieces in proptest::collection::vec(proptest::sample::select(vec![
                "{", "}", "{\n  a = {}\n", "\"}\"", "\"\\\"{\"", "\"\\\\\"", "# }\n", "// {\n",
                "/* } */", "<<EOT\n}\nEOT\n", "<<-X\n  {\n  X\n", "<", "/", "\n", "  x = 1\n", "é",
            ]), 1..100),
        ) {
            let text = pieces.concat();
            let bytes = text.as_bytes();
            if let Some(open) = memchr::memchr(b'{', bytes) {
                proptest::prop_assert_eq!(
                    matching_brace(bytes, open),
                    matching_brace_reference(bytes, open)
                );
            }
        }
    }

    proptest::proptest! {
        /// A block's first label is what splitting at quotes and braces gave.
        #[test]
        fn the_first_label_is_what_a_split_gives(word in "[\"{a_é-]{0,12}") {
            let split = word.trim_start_matches('"').split(['"', '{']).next().unwrap_or("");
            proptest::prop_assert_eq!(first_label(&word), split);
        }
    }
}
