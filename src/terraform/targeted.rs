//! Targeted reading for HCL: top-level blocks the verdict never reads are blanked before
//! parsing, with offsets kept, so a large module parses only its RDS resources, variables,
//! locals and module calls (ARCHITECTURE.md, "Read").

use super::references::{READ_DATA, READ_RESOURCES};

/// The text with top-level blocks the verdict never reads replaced by spaces (line breaks and
/// byte offsets kept, so spans are those of the full text). `None` when nothing can be skipped
/// or the text is too unusual to split safely (unbalanced braces, a heredoc at the top level).
pub fn relevant_only(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut skipped: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        // A top-level item starts at a line start; find its first `{` and the matching `}`.
        let line_end = text[i..].find('\n').map_or(bytes.len(), |n| i + n);
        let line = &text[i..line_end];
        let words: Vec<&str> = line.split_whitespace().collect();
        let skip = match words.as_slice() {
            // The first label, quoted or not, even when the next one touches it.
            ["resource", kind, ..] => {
                let kind = kind.trim_start_matches('"').split(['"', '{']).next();
                !kind.is_some_and(|kind| READ_RESOURCES.contains(&kind))
            }
            ["data", kind, ..] => {
                let kind = kind.trim_start_matches('"').split(['"', '{']).next();
                !kind.is_some_and(|kind| READ_DATA.contains(&kind))
            }
            ["provider" | "terraform", ..] => true,
            _ => false,
        };
        if line.contains('{') {
            let open = i + line.find('{')?;
            let close = matching_brace(bytes, open)?;
            if skip {
                skipped.push((i, close + 1));
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
    crate::source::blank(text, &skipped)
}

/// The offset of the `}` closing the `{` at `open`, skipping strings, comments and heredocs.
fn matching_brace(bytes: &[u8], open: usize) -> Option<usize> {
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
                while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_') {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;
    use crate::terraform::syntax::parse;

    #[test]
    fn unread_blocks_are_blanked_with_offsets_kept() {
        let text = "resource \"aws_s3_bucket\" \"b\" {\n  tags = { a = \"}\" }\n}\nresource \"aws_db_instance\" \"d\" {\n  engine = \"postgres\"\n}\n";
        let masked = relevant_only(text).unwrap();
        assert_eq!(masked.len(), text.len());
        assert!(!masked.contains("aws_s3_bucket"));
        let body = parse(&masked, FileId(0)).unwrap();
        let engine = &body.blocks[0].body.attribute("engine").unwrap().value;
        assert_eq!(&text[engine.span.range()], "\"postgres\"");
        assert_eq!(relevant_only("variable \"x\" {}\n"), None);
        let heredoc = "resource \"aws_iam_policy\" \"p\" {\n  policy = <<-EOT\n    { \"a\": \"}\" }\n  EOT\n}\nresource \"aws_db_instance\" \"d\" {\n}\n";
        let masked = relevant_only(heredoc).expect("a heredoc in an unread block is skipped");
        assert!(!masked.contains("aws_iam_policy") && masked.contains("aws_db_instance"));
        // A label touching the type (found by the fuzz test) still names a read resource.
        let touching =
            "resource \"aws_db_instance\"a\"d\" {\n}\nresource \"aws_s3_bucket\"\"b\"{\n}\n";
        let masked = relevant_only(touching).unwrap();
        assert!(masked.contains("aws_db_instance") && !masked.contains("aws_s3_bucket"));
    }
}
