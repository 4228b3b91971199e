//! `--format junit`: JUnit XML for CI dashboards. One test case per database checked (passing
//! or failing), a `<failure>` per finding at or above the run's `--fail-on` threshold (others
//! are the case's `<system-out>`, so the dashboard and the exit code agree), and `<error>` for
//! files that could not be parsed or read; findings about other resources (an unused group, a
//! suppression) get their own case.

use std::io::{self, Write};

use super::Report;
use crate::diagnostic::{Finding, ResourceInfo, RuleId, Severity};

/// `threshold`: the lowest severity that fails the run (`None`: nothing does).
pub fn render(report: &Report, threshold: Option<Severity>, out: &mut dyn Write) -> io::Result<()> {
    // Each database's findings join its case: JUnit holds them all (as it lists every
    // database).
    let all = report.findings.load()?;
    // (classname = file, name = resource or file, findings)
    let mut cases: Vec<(String, String, Vec<&Finding>)> = report
        .databases
        .iter()
        .map(|db| {
            (
                report.position(db.header).file.to_string(),
                case_name(db),
                Vec::new(),
            )
        })
        .collect();
    // The first case of each (file, name), as findings join it.
    let mut index: std::collections::HashMap<(String, String), usize> =
        std::collections::HashMap::new();
    for (i, (file, name, _)) in cases.iter().enumerate() {
        index.entry((file.clone(), name.clone())).or_insert(i);
    }
    for finding in all.iter() {
        let (file, name) = match &finding.resource {
            Some(resource) => (
                report.position(resource.header).file.to_string(),
                case_name(resource),
            ),
            None => {
                let file = report.position(finding.primary.span).file.to_string();
                (file.clone(), file)
            }
        };
        match index.get(&(file.clone(), name.clone())) {
            Some(&i) => cases[i].2.push(finding),
            None => {
                index.insert((file.clone(), name.clone()), cases.len());
                cases.push((file, name, vec![finding]));
            }
        }
    }
    let is_error = |f: &&Finding| matches!(f.rule, RuleId::ParseError | RuleId::IoError);
    let fails = |f: &&Finding| threshold.is_some_and(|t| f.severity >= t);
    let errors = cases
        .iter()
        .filter(|(_, _, fs)| fs.iter().any(is_error))
        .count();
    let failures = cases
        .iter()
        .filter(|(_, _, fs)| fs.iter().any(fails) && !fs.iter().any(is_error))
        .count();
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="intransit" tests="{}" failures="{failures}" errors="{errors}">"#,
        cases.len()
    )?;
    writeln!(
        out,
        r#"  <testsuite name="intransit: RDS transport encryption" tests="{}" failures="{failures}" errors="{errors}">"#,
        cases.len()
    )?;
    for (file, name, findings) in &cases {
        let head = format!(
            r#"    <testcase name="{}" classname="{}""#,
            escape(name),
            escape(file)
        );
        if findings.is_empty() {
            writeln!(out, "{head}/>")?;
            continue;
        }
        writeln!(out, "{head}>")?;
        for finding in findings {
            let at = report.position(finding.primary.span);
            if !is_error(finding) && !fails(finding) {
                writeln!(
                    out,
                    r#"      <system-out>{}:{}:{}: {}[{}] {}</system-out>"#,
                    escape(at.file),
                    at.line,
                    at.column,
                    finding.severity.as_str(),
                    finding.rule,
                    escape(&finding.message)
                )?;
                continue;
            }
            let tag = if is_error(finding) {
                "error"
            } else {
                "failure"
            };
            writeln!(
                out,
                r#"      <{tag} type="{}" message="{}">{}:{}:{}: {}[{}] {}</{tag}>"#,
                finding.rule,
                escape(&finding.message),
                escape(at.file),
                at.line,
                at.column,
                finding.severity.as_str(),
                finding.rule,
                escape(&finding.message)
            )?;
        }
        writeln!(out, "    </testcase>")?;
    }
    writeln!(out, "  </testsuite>")?;
    writeln!(out, "</testsuites>")
}

/// A resource's case: its name, and the root it is checked from when several may check it.
fn case_name(resource: &ResourceInfo) -> String {
    match &resource.context {
        Some(root) => format!("{} in {root}", resource.name),
        None => resource.name.clone(),
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 forbids most control characters even escaped.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('?'),
            c => out.push(c),
        }
    }
    out
}
