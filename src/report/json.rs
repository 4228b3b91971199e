//! `--format json`, version 1, exactly as `cli.md` specifies.

use std::io::{self, Write};

use serde::Serialize;

use super::{Report, Summary};
use crate::diagnostic::Finding;

#[derive(Serialize)]
struct Document<F> {
    version: u32,
    tool: Tool,
    summary: Summary,
    findings: F,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct JsonFinding<'r> {
    rule: &'static str,
    severity: &'static str,
    message: &'r str,
    file: &'r str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    resource: Option<JsonResource<'r>>,
    engine: Option<&'r str>,
    engine_version: Option<&'r str>,
    parameter: Option<&'r str>,
    value: Option<&'r str>,
    related: Vec<Related<'r>>,
    fix: Option<JsonFix<'r>>,
}

#[derive(Serialize)]
struct JsonFix<'r> {
    applicability: &'static str,
    description: &'r str,
}

#[derive(Serialize)]
struct JsonResource<'r> {
    name: &'r str,
    #[serde(rename = "type")]
    type_name: &'r str,
    file: &'r str,
    line: usize,
    /// The root the resource is checked from, when that is not its own directory.
    root: Option<&'r str>,
}

#[derive(Serialize)]
struct Related<'r> {
    message: &'r str,
    file: &'r str,
    line: usize,
    column: usize,
}

pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    // The document with no findings, as serde_json writes it: `"findings": []` comes last, and
    // the findings go between its brackets, rendered a chunk at a time in parallel
    // (`render_windows`), each as serde_json would write it at its depth.
    let empty = Document {
        version: 1,
        tool: Tool {
            name: "intransit",
            version: env!("CARGO_PKG_VERSION"),
        },
        summary: report.summary,
        findings: [(); 0],
    };
    let document = serde_json::to_string_pretty(&empty)?;
    let head = document
        .strip_suffix("]\n}")
        .expect("the findings are the document's last member");
    out.write_all(head.as_bytes())?;
    if report.findings.is_empty() {
        return writeln!(out, "]\n}}");
    }
    super::render_windows(
        report,
        out,
        |chunk| {
            let mut text = String::new();
            for finding in chunk {
                let alone = serde_json::to_string_pretty(&self::finding(report, finding))?;
                // One level into the document and one into the array: strings hold no raw
                // line break, so each line break is one of the layout's.
                text.push_str(",\n    ");
                text.push_str(&alone.replace('\n', "\n    "));
            }
            Ok(text)
        },
        |out, text, first| {
            let text = if first { &text[1..] } else { text };
            out.write_all(text.as_bytes())
        },
    )?;
    writeln!(out, "\n  ]\n}}")
}

fn finding<'r>(report: &'r Report, finding: &'r Finding) -> JsonFinding<'r> {
    let at = report.position(finding.primary.span);
    JsonFinding {
        rule: finding.rule.as_str(),
        severity: finding.severity.as_str(),
        message: &finding.message,
        file: at.file,
        line: at.line,
        column: at.column,
        end_line: at.end_line,
        end_column: at.end_column,
        resource: finding.resource.as_ref().map(|resource| {
            let header = report.position(resource.header);
            JsonResource {
                name: &resource.name,
                type_name: &resource.type_name,
                file: header.file,
                line: header.line,
                root: resource.context.as_deref(),
            }
        }),
        engine: finding.engine.as_deref(),
        engine_version: finding.engine_version.as_deref(),
        parameter: finding.parameter.as_deref(),
        value: finding.value.as_deref(),
        related: finding
            .related
            .iter()
            .map(|label| {
                let at = report.position(label.span);
                Related {
                    message: &label.message,
                    file: at.file,
                    line: at.line,
                    column: at.column,
                }
            })
            .collect(),
        fix: finding.fix.as_ref().map(|fix| JsonFix {
            applicability: fix.applicability.as_str(),
            description: &fix.description,
        }),
    }
}
