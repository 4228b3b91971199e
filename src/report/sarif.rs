//! `--format sarif`: SARIF 2.1.0 for GitHub code scanning and other consumers. Rules carry the
//! `docs/rules` pages as help; results carry exact regions (never below line 1, always with a
//! location), related locations for secondary labels, and fingerprints that survive edits
//! elsewhere in the file (no line numbers in them).

use std::io::{self, Write};

use serde_json::{json, Value};

use super::{Position, Report};
use crate::diagnostic::docs;
use crate::diagnostic::{Finding, RuleId, Severity};
use crate::source::Span;

/// Where users learn about the tool (SARIF `informationUri`).
pub const INFORMATION_URI: &str = "https://github.com/intransit-dev/intransit";

/// Where the results go in the envelope, which is small and rendered whole; the results are
/// rendered one at a time, so a large run never holds its whole log as a JSON tree.
const RESULTS: &str = "@@intransit-results@@";

pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let rules: Vec<Value> = RuleId::ALL
        .iter()
        .map(|rule| rule_descriptor(*rule))
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "intransit",
                    "version": env!("CARGO_PKG_VERSION"),
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "informationUri": INFORMATION_URI,
                    "rules": rules,
                }
            },
            "columnKind": "unicodeCodePoints",
            "results": RESULTS,
        }]
    });
    let envelope = serde_json::to_string_pretty(&log)?;
    let placeholder = format!("\"{RESULTS}\"");
    let at = envelope
        .find(&placeholder)
        .ok_or_else(|| io::Error::other("the SARIF envelope lost its results"))?;
    let line_start = envelope[..at].rfind('\n').map_or(0, |i| i + 1);
    let indent =
        " ".repeat(envelope[line_start..].len() - envelope[line_start..].trim_start().len());
    write!(out, "{}", &envelope[..at])?;
    // As serde_json's pretty printer lays out an array: one element per line, two spaces in.
    if report.findings.is_empty() {
        out.write_all(b"[]")?;
    } else {
        out.write_all(b"[")?;
        let inner = format!("\n{indent}  ");
        // Each result after a separator; the run's first separator is left out.
        let render = |chunk: &[std::borrow::Cow<'_, Finding>]| -> io::Result<String> {
            let mut texts = String::new();
            for finding in chunk {
                let text = serde_json::to_string_pretty(&result(report, finding))?;
                texts.push(',');
                texts.push_str(&inner);
                // JSON strings hold no raw line breaks, so indenting every line is safe.
                texts.push_str(&text.replace('\n', &inner));
            }
            Ok(texts)
        };
        super::render_windows(report, out, render, |out, text, first| {
            out.write_all(if first {
                &text.as_bytes()[1..]
            } else {
                text.as_bytes()
            })
        })?;
        write!(out, "\n{indent}]")?;
    }
    write!(out, "{}", &envelope[at + placeholder.len()..])?;
    writeln!(out)
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// GitHub's `security-severity` (0.0–10.0): plaintext database connections are High.
fn security_severity(rule: RuleId) -> &'static str {
    match rule {
        RuleId::TlsDisabled | RuleId::TlsWrongParameter => "8.1",
        RuleId::TlsNotEnforced | RuleId::TlsInvalidValue => "7.4",
        RuleId::TlsUnverifiable => "5.0",
        _ => "2.0",
    }
}

fn rule_descriptor(rule: RuleId) -> Value {
    let page = docs::page(rule);
    let mut tags = vec!["security"];
    if rule.is_tls() {
        tags.extend([
            "tls",
            "encryption-in-transit",
            "rds",
            "external/cwe/cwe-319",
        ]);
    }
    json!({
        "id": rule.as_str(),
        "name": pascal_case(rule.as_str()),
        "shortDescription": { "text": rule.summary() },
        "fullDescription": { "text": section(page, "What it checks") },
        "help": {
            "text": section(page, "How to fix"),
            "markdown": page,
        },
        "defaultConfiguration": { "level": level(rule.default_severity()) },
        "properties": {
            "tags": tags,
            "precision": "very-high",
            "security-severity": security_severity(rule),
        }
    })
}

/// The first paragraph under a `## heading` of a rule page, on one line.
fn section(page: &str, heading: &str) -> String {
    let marker = format!("## {heading}\n");
    let Some(start) = page.find(&marker) else {
        return String::new();
    };
    page[start + marker.len()..]
        .trim_start()
        .split("\n\n")
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn pascal_case(id: &str) -> String {
    id.split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map_or(String::new(), |c| c.to_uppercase().chain(chars).collect())
        })
        .collect()
}

fn result(report: &Report, finding: &Finding) -> Value {
    let index = finding.rule.index();
    let related: Vec<Value> = finding
        .related
        .iter()
        .enumerate()
        .map(|(i, label)| {
            json!({
                "id": i + 1,
                "message": { "text": label.message },
                "physicalLocation": physical(report, label.span),
            })
        })
        .collect();
    let mut result = json!({
        "ruleId": finding.rule.as_str(),
        "ruleIndex": index,
        "level": level(finding.severity),
        "message": { "text": finding.message },
        "locations": [{ "physicalLocation": physical(report, finding.primary.span) }],
        "partialFingerprints": { "intransit/v1": fingerprint(report, finding) },
    });
    if !related.is_empty() {
        result["relatedLocations"] = Value::Array(related);
    }
    if let Some(fix) = &finding.fix {
        let replacements: Vec<Value> = fix
            .edits
            .iter()
            .map(|edit| {
                json!({
                    "deletedRegion": { "charOffset": char_offset(report, edit.span.start, edit.span), "charLength": char_length(report, edit.span) },
                    "insertedContent": { "text": edit.replacement },
                })
            })
            .collect();
        let file = report.position(finding.primary.span).file;
        let target = fix
            .edits
            .first()
            .map_or(file, |e| report.position(e.span).file);
        result["fixes"] = json!([{
            "description": { "text": fix.description },
            "artifactChanges": [{
                "artifactLocation": { "uri": uri(target), "uriBaseId": "%SRCROOT%" },
                "replacements": replacements,
            }],
        }]);
    }
    result
}

/// SARIF offsets count characters (as `columnKind` says), not bytes.
fn char_offset(report: &Report, offset: u32, span: Span) -> usize {
    report.file(span.file).map_or(0, |f| f.char_offset(offset))
}

fn char_length(report: &Report, span: Span) -> usize {
    report.file(span.file).map_or(0, |f| {
        f.char_offset(span.end)
            .saturating_sub(f.char_offset(span.start))
    })
}

fn physical(report: &Report, span: Span) -> Value {
    let at: Position<'_> = report.position(span);
    // An empty span (a parse error's point) still covers one character, as viewers expect.
    let end_column = if at.end_line == at.line && at.end_column <= at.column {
        at.column + 1
    } else {
        at.end_column
    };
    json!({
        "artifactLocation": { "uri": uri(at.file), "uriBaseId": "%SRCROOT%" },
        "region": {
            "startLine": at.line.max(1),
            "startColumn": at.column.max(1),
            "endLine": at.end_line.max(at.line).max(1),
            "endColumn": end_column.max(1),
        }
    })
}

/// A relative URI reference: `/`-separated, with characters outside RFC 3986's set escaped.
fn uri(path: &str) -> String {
    let mut out = String::new();
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    if out.is_empty() {
        out.push('.');
    }
    out
}

/// Stable across edits elsewhere: rule, file, resource (and the root checking it) and message,
/// never lines or offsets.
/// (The message names the values found, so a finding whose cause changes is a new one.)
fn fingerprint(report: &Report, finding: &Finding) -> String {
    let file = report.position(finding.primary.span).file;
    let resource = finding.resource.as_ref().map_or("", |r| r.name.as_str());
    let mut key = format!(
        "{}\u{0}{file}\u{0}{resource}\u{0}{}",
        finding.rule, finding.message
    );
    // Several roots checking one module: one finding each.
    if let Some(root) = finding.resource.as_ref().and_then(|r| r.context.as_deref()) {
        key.push('\u{0}');
        key.push_str(root);
    }
    // FNV-1a, 64 bits: deterministic across runs and platforms.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in key.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_and_names() {
        let page =
            "# x\n\n## What it checks\n\nOne\nline.\n\nSecond.\n\n## How to fix\n\nFix it.\n";
        assert_eq!(section(page, "What it checks"), "One line.");
        assert_eq!(section(page, "How to fix"), "Fix it.");
        assert_eq!(pascal_case("rds-tls-not-enforced"), "RdsTlsNotEnforced");
        assert_eq!(uri("stacks/my db.yaml"), "stacks/my%20db.yaml");
    }
}
