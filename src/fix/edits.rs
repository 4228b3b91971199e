//! Text edits per syntax: the enabling literal in the old one's style, and a new entry or
//! block placed and indented like its neighbours, with the file's line endings.

use super::Syntax;
use crate::diagnostic::fix::{Edit, NewGroup};
use crate::source::{SourceFile, Span};

/// The enabling literal written the way the old one was: `"0"`→`"1"`, `OFF`→`ON`, `false`→`true`.
pub(super) fn new_literal(old: &str, enabling: &str, syntax: Syntax) -> Option<String> {
    let quote = match old.as_bytes().first() {
        Some(b'"') if old.len() >= 2 && old.ends_with('"') => "\"",
        Some(b'\'') if old.len() >= 2 && old.ends_with('\'') && syntax == Syntax::Yaml => "'",
        _ => "",
    };
    let inner = &old[quote.len()..old.len() - quote.len()];
    let plain = !inner.is_empty()
        && inner
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ',' | ' '))
        && !inner.contains("${");
    if !plain {
        return None;
    }
    let word = |on: &str| match inner {
        s if s.chars().all(|c| c.is_ascii_uppercase()) => on.to_ascii_uppercase(),
        s if s.starts_with(|c: char| c.is_ascii_uppercase()) => {
            let mut w = on.to_string();
            w[..1].make_ascii_uppercase();
            w
        }
        _ => on.to_string(),
    };
    // A boolean parameter keeps the value's style: `OFF` becomes `ON`, `false` `true`, `0` `1`.
    let boolean = enabling == "1" || enabling.eq_ignore_ascii_case("on");
    let value = match inner.to_ascii_lowercase().as_str() {
        _ if !boolean => enabling.to_string(),
        "off" | "on" => word("on"),
        "false" | "true" => word("true"),
        number if number.parse::<f64>().is_ok() => "1".to_string(),
        _ => enabling.to_string(),
    };
    // HCL and JSON strings stay strings; a bare YAML/HCL number stays a number.
    let quote = match (quote, syntax, value.parse::<f64>().is_ok()) {
        ("", Syntax::Json, _) => "\"",
        ("", Syntax::Hcl, false) => "\"",
        (q, _, _) => q,
    };
    Some(format!("{quote}{value}{quote}"))
}

/// The file's line break, from its first one (not a scan of the whole text per fix). `None`
/// for a file whose lines end in a bare CR: fixes that add lines leave it alone rather than
/// mix line breaks.
fn line_ending(file: &SourceFile) -> Option<&'static str> {
    let text = file.text().as_bytes();
    match memchr::memchr2(b'\n', b'\r', text) {
        Some(i) if text[i] == b'\r' && text.get(i + 1) == Some(&b'\n') => Some("\r\n"),
        Some(i) if text[i] == b'\r' => None,
        _ => Some("\n"),
    }
}

/// Byte offset where the line containing `offset` ends (before its line break).
fn line_end(text: &str, offset: usize) -> usize {
    text[offset..]
        .find(['\n', '\r'])
        .map_or(text.len(), |i| offset + i)
}

fn line_start(text: &str, offset: usize) -> usize {
    text[..offset].rfind(['\n', '\r']).map_or(0, |i| i + 1)
}

fn indent_of(text: &str, offset: usize) -> &str {
    let start = line_start(text, offset);
    let line = &text[start..];
    &line[..line.len() - line.trim_start_matches([' ', '\t']).len()]
}

/// Adds `entry` (and an optional nested `child`) to a YAML mapping: after its last line for a
/// block mapping, before the `}` of a flow mapping.
pub(super) fn yaml_entry(
    file: &SourceFile,
    map: Span,
    entry: &str,
    child: Option<&str>,
) -> Option<Edit> {
    let text = file.text();
    let body = text.get(map.range())?;
    if body.starts_with('{') {
        let close = map.end as usize - 1;
        let inner = body[1..body.len() - 1].trim();
        let entry = match child {
            Some(child) => format!("{entry} {{{child}}}"),
            None => entry.to_string(),
        };
        let replacement = if inner.is_empty() {
            entry
        } else {
            format!(", {entry}")
        };
        let at = text[..close].trim_end().len();
        return Some(Edit {
            span: Span::new(map.file, at, at),
            replacement,
        });
    }
    // A block mapping starts at its first key: that is the entries' indentation.
    let indent = indent_of(text, map.start as usize);
    if text[line_start(text, map.start as usize)..map.start as usize].trim() != "" {
        return None;
    }
    let newline = line_ending(file)?;
    let at = line_end(text, map.end as usize);
    let mut replacement = format!("{newline}{indent}{entry}");
    if let Some(child) = child {
        let unit = yaml_indent_unit(text, map.start as usize, indent);
        replacement.push_str(&format!("{newline}{indent}{unit}{child}"));
    }
    Some(Edit {
        span: Span::new(map.file, at, at),
        replacement,
    })
}

/// The file's indentation step: entries' indentation minus their parent key's.
fn yaml_indent_unit<'t>(text: &'t str, entries_start: usize, indent: &'t str) -> &'t str {
    let mut at = line_start(text, entries_start);
    while at > 0 {
        let previous = line_start(text, at - 1);
        let line = &text[previous..at];
        let own = indent_of(text, previous);
        if !line.trim().is_empty()
            && !line.trim_start().starts_with('#')
            && own.len() < indent.len()
        {
            return &indent[own.len()..];
        }
        at = previous;
    }
    "  "
}

/// Adds `entry` to a JSON object after its last member, on its own line like its neighbours.
pub(super) fn json_entry(file: &SourceFile, object: Span, entry: &str) -> Option<Edit> {
    let text = file.text();
    let body = text.get(object.range())?;
    if !body.starts_with('{') || !body.ends_with('}') {
        return None;
    }
    let close = object.end as usize - 1;
    let last = text[..close].trim_end().len();
    if last == object.start as usize + 1 {
        return Some(Edit {
            span: Span::new(object.file, last, last),
            replacement: entry.to_string(),
        });
    }
    let one_line = !body.contains('\n');
    let replacement = if one_line {
        format!(", {entry}")
    } else {
        format!(
            ",{}{}{entry}",
            line_ending(file)?,
            indent_of(text, last - 1)
        )
    };
    Some(Edit {
        span: Span::new(object.file, last, last),
        replacement,
    })
}

/// The offsets of a multi-line HCL block's `}` and of the start of its line, when the brace
/// stands on a line of its own (where new content can go just above it).
fn closing_brace(text: &str, block: Span) -> Option<(usize, usize)> {
    let body = text.get(block.range())?;
    if !body.ends_with('}') || !body.contains('\n') {
        return None;
    }
    let close = block.end as usize - 1;
    let close_line = line_start(text, close);
    (text[close_line..close].trim() == "").then_some((close, close_line))
}

/// Adds a `parameter {}` block before the closing brace of an HCL block.
pub(super) fn hcl_block(
    file: &SourceFile,
    block: Span,
    parameter: &str,
    enabling: &str,
) -> Option<Edit> {
    let text = file.text();
    let (close, close_line) = closing_brace(text, block)?;
    let outer = indent_of(text, close);
    // The body's own indentation (tabs or spaces), from its first non-blank line.
    let first_body_line = text[block.start as usize..close]
        .split_inclusive('\n')
        .skip(1)
        .find(|line| !line.trim().is_empty());
    let inner = first_body_line
        .map(|line| &line[..line.len() - line.trim_start_matches([' ', '\t']).len()])
        .filter(|inner| inner.len() > outer.len())
        .unwrap_or("  ");
    let unit = inner
        .strip_prefix(outer)
        .filter(|u| !u.is_empty())
        .unwrap_or("  ");
    let newline = line_ending(file)?;
    let replacement = format!(
        "{newline}{inner}parameter {{{newline}{inner}{unit}name  = \"{parameter}\"{newline}{inner}{unit}value = \"{enabling}\"{newline}{inner}}}{newline}"
    );
    // Insert after the last non-blank content, so the block keeps one closing line.
    let at = text[..close_line]
        .trim_end_matches(['\n', '\r', ' ', '\t'])
        .len();
    Some(Edit {
        span: Span::new(block.file, at, close_line),
        replacement,
    })
}

/// A key or name in its old quoting: `require_secure_transport` → `rds.force_ssl`.
pub(super) fn rename_literal(old: &str, new: &str) -> Option<String> {
    let quote = match old.as_bytes().first() {
        Some(b'"') if old.len() >= 2 && old.ends_with('"') => "\"",
        Some(b'\'') if old.len() >= 2 && old.ends_with('\'') => "'",
        _ => "",
    };
    let inner = &old[quote.len()..old.len() - quote.len()];
    inner
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        .then(|| format!("{quote}{new}{quote}"))
}

/// Two insertions at one point become one edit, in order.
fn merged(mut edits: Vec<Edit>) -> Vec<Edit> {
    edits.sort_by_key(|e| e.span.start);
    let mut out: Vec<Edit> = Vec::new();
    for edit in edits {
        match out.last_mut() {
            Some(last) if last.span == edit.span && edit.span.start == edit.span.end => {
                last.replacement.push_str(&edit.replacement)
            }
            _ => out.push(edit),
        }
    }
    out
}

/// CloudFormation YAML: `Property: !Ref NewGroup` on the database, and the group after it.
pub(super) fn yaml_new_group(file: &SourceFile, group: &NewGroup) -> Option<Vec<Edit>> {
    let super::Slot::Properties(properties) = group.database else {
        return None;
    };
    let text = file.text();
    let link = yaml_entry(
        file,
        properties,
        &format!("{}: !Ref {}", group.property, group.name),
        None,
    )?;
    let header_indent = indent_of(text, group.header.start as usize);
    let type_indent = indent_of(text, group.type_span.start as usize);
    let unit = type_indent
        .strip_prefix(header_indent)
        .filter(|u| !u.is_empty())?;
    let kind = if group.cluster {
        "DBClusterParameterGroup"
    } else {
        "DBParameterGroup"
    };
    let newline = line_ending(file)?;
    let lines = [
        format!("{header_indent}{}:", group.name),
        format!("{header_indent}{unit}Type: AWS::RDS::{kind}"),
        format!("{header_indent}{unit}Properties:"),
        format!("{header_indent}{unit}{unit}Family: {}", group.family),
        format!("{header_indent}{unit}{unit}Description: Requires TLS for every connection"),
        format!("{header_indent}{unit}{unit}Parameters:"),
        format!(
            "{header_indent}{unit}{unit}{unit}{}: \"{}\"",
            group.parameter, group.enabling
        ),
    ];
    let at = line_end(text, group.resource.end as usize);
    let resource = Edit {
        span: Span::new(file.id, at, at),
        replacement: lines.iter().map(|l| format!("{newline}{l}")).collect(),
    };
    Some(merged(vec![link, resource]))
}

/// Terraform: the group property in the database block, and a group block after it.
pub(super) fn hcl_new_group(file: &SourceFile, group: &NewGroup) -> Option<Vec<Edit>> {
    let super::Slot::Block(block) = group.database else {
        return None;
    };
    let text = file.text();
    let (close, close_line) = closing_brace(text, block)?;
    let kind = if group.cluster {
        "aws_rds_cluster_parameter_group"
    } else {
        "aws_db_parameter_group"
    };
    let outer = indent_of(text, close);
    let newline = line_ending(file)?;
    let inner = format!("{outer}  ");
    let at = text[..close_line]
        .trim_end_matches(['\n', '\r', ' ', '\t'])
        .len();
    let link = Edit {
        span: Span::new(file.id, at, close_line),
        replacement: format!(
            "{newline}{inner}{} = {kind}.{}.name{newline}",
            group.property, group.name
        ),
    };
    let lines = [
        format!("resource \"{kind}\" \"{}\" {{", group.name),
        format!("  family = \"{}\"", group.family),
        String::new(),
        "  parameter {".to_string(),
        format!("    name  = \"{}\"", group.parameter),
        format!("    value = \"{}\"", group.enabling),
        "  }".to_string(),
        "}".to_string(),
    ];
    let new_block: Vec<String> = lines
        .iter()
        .map(|l| {
            if l.is_empty() {
                String::new()
            } else {
                format!("{outer}{l}")
            }
        })
        .collect();
    let after = block.end as usize;
    let resource = Edit {
        span: Span::new(file.id, after, after),
        replacement: format!("{newline}{newline}{}", new_block.join(newline)),
    };
    Some(vec![link, resource])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_keep_their_style() {
        let set = |old: &str, syntax| new_literal(old, "1", syntax);
        assert_eq!(set("\"0\"", Syntax::Yaml).as_deref(), Some("\"1\""));
        assert_eq!(set("'0'", Syntax::Yaml).as_deref(), Some("'1'"));
        assert_eq!(set("0", Syntax::Yaml).as_deref(), Some("1"));
        assert_eq!(set("OFF", Syntax::Yaml).as_deref(), Some("ON"));
        assert_eq!(set("False", Syntax::Yaml).as_deref(), Some("True"));
        assert_eq!(set("\"off\"", Syntax::Json).as_deref(), Some("\"on\""));
        assert_eq!(set("0", Syntax::Hcl).as_deref(), Some("1"));
        assert_eq!(set("\"yes\"", Syntax::Hcl).as_deref(), Some("\"1\""));
        assert_eq!(
            new_literal("TCPIP,SSL", "SSL", Syntax::Yaml).as_deref(),
            Some("SSL")
        );
        assert_eq!(set("\"${var.x}\"", Syntax::Hcl), None);
        assert_eq!(set("coalesce(\"\", \"0\")", Syntax::Hcl), None);
    }
}
