//! `--format json`, version 1, exactly as `cli.md` specifies.

use std::io::{self, Write};

use serde::Serialize;

use super::{Report, Summary};
use crate::diagnostic::Finding;

#[derive(Serialize)]
struct Document<'r> {
    version: u32,
    tool: Tool,
    summary: Summary,
    findings: Stream<'r>,
}

/// The findings, serialized as they are read: a large report is never held twice.
struct Stream<'r> {
    report: &'r Report,
    /// The first error reading a spilled finding, reported once serializing stops.
    error: std::cell::RefCell<Option<io::Error>>,
}

impl Serialize for Stream<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeSeq};
        let mut seq = serializer.serialize_seq(Some(self.report.findings.len()))?;
        for item in self.report.findings.iter() {
            match item {
                Ok(f) => seq.serialize_element(&finding(self.report, &f))?,
                Err(error) => {
                    let message = error.to_string();
                    *self.error.borrow_mut() = Some(error);
                    return Err(S::Error::custom(message));
                }
            }
        }
        seq.end()
    }
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
    let document = Document {
        version: 1,
        tool: Tool {
            name: "intransit",
            version: env!("CARGO_PKG_VERSION"),
        },
        summary: report.summary,
        findings: Stream {
            report,
            error: std::cell::RefCell::new(None),
        },
    };
    if let Err(error) = serde_json::to_writer_pretty(&mut *out, &document) {
        return Err(document
            .findings
            .error
            .take()
            .unwrap_or_else(|| error.into()));
    }
    writeln!(out)
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
