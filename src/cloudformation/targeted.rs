//! Targeted reading for YAML templates: the verdict reads only RDS resources, `Parameters`,
//! `Mappings` and `Conditions`, so other resources and `Outputs` are blanked before parsing
//! (line breaks and byte offsets kept: spans are those of the full text). Most of a real
//! template is unrelated resources, and blank lines cost the parser far less than nodes.

/// The text with unread blocks blanked, or `None` when nothing can be skipped safely.
pub fn relevant_only(text: &str) -> Option<String> {
    let lines: Vec<(usize, &str)> = line_starts(text);
    let mut skipped: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let (start, line) = lines[i];
        if indent(line) == Some(0) && line.starts_with("Outputs:") {
            let end = block_end(&lines, i, 0);
            skipped.push((start, end));
            i = next_index(&lines, end);
            continue;
        }
        if indent(line) == Some(0) && line.trim_end() == "Resources:" {
            i += 1;
            let Some(child) = lines[i..].iter().find_map(|(_, l)| indent(l)) else {
                break;
            };
            if child == 0 {
                continue;
            }
            while i < lines.len() {
                let (start, line) = lines[i];
                match indent(line) {
                    None => i += 1,
                    Some(n) if n < child => break,
                    Some(n) if n > child => return None,
                    Some(_) => {
                        let end = block_end(&lines, i, child);
                        let block = &text[start..end];
                        if is_unread_resource(block) {
                            skipped.push((start, end));
                        }
                        i = next_index(&lines, end);
                    }
                }
            }
            continue;
        }
        i += 1;
    }
    if skipped.is_empty() {
        return None;
    }
    crate::source::blank(text, &skipped)
}

/// A resource block whose `Type` is not RDS and that defines no anchor an alias could use.
fn is_unread_resource(block: &str) -> bool {
    let Some(type_line) = block
        .lines()
        .skip(1)
        .find(|l| l.trim_start().starts_with("Type:"))
    else {
        return false;
    };
    let kind = type_line.trim_start()["Type:".len()..]
        .trim()
        .trim_matches(['"', '\'']);
    kind.starts_with("AWS::")
        && !kind.starts_with("AWS::RDS::")
        && !block.contains('&')
        && !block.contains("<<")
}

/// Offsets of each line's start and the line without its break.
fn line_starts(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        out.push((start, line.trim_end_matches(['\n', '\r'])));
        start += line.len();
    }
    out
}

/// Indentation of a line that holds content; `None` for blank and comment-only lines.
fn indent(line: &str) -> Option<usize> {
    let content = line.trim_start_matches(' ');
    if content.is_empty() || content.starts_with('#') {
        return None;
    }
    Some(line.len() - content.len())
}

/// The byte offset where the block starting at line `i` (indentation `level`) ends: the start
/// of the next line with content at `level` or less.
fn block_end(lines: &[(usize, &str)], i: usize, level: usize) -> usize {
    let mut last = lines[i].0 + lines[i].1.len();
    for (start, line) in &lines[i + 1..] {
        match indent(line) {
            Some(n) if n <= level => return last,
            Some(_) => last = start + line.len(),
            None => {}
        }
    }
    last
}

fn next_index(lines: &[(usize, &str)], end: usize) -> usize {
    lines
        .iter()
        .position(|(start, _)| *start > end)
        .unwrap_or(lines.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unread_resources_and_outputs_are_blanked() {
        let text = "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n    Properties: {BucketName: x}\n  Db:\n    Type: AWS::RDS::DBInstance\n    Properties:\n      Engine: postgres\nOutputs:\n  A:\n    Value: !Ref Db\n";
        let masked = relevant_only(text).unwrap();
        assert_eq!(masked.len(), text.len());
        assert!(!masked.contains("S3") && !masked.contains("Outputs"));
        assert!(masked.contains("AWS::RDS::DBInstance"));
        let anchored =
            "Resources:\n  Base:\n    Type: AWS::S3::Bucket\n    Properties: &p {A: 1}\n";
        assert_eq!(relevant_only(anchored), None);
    }
}
