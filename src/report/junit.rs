//! `--format junit`: JUnit XML for CI dashboards. One test case per database checked (passing
//! or failing), a `<failure>` per finding at or above the run's `--fail-on` threshold (others
//! are the case's `<system-out>`, so the dashboard and the exit code agree), and `<error>` for
//! files that could not be parsed or read; findings about other resources (an unused group, a
//! suppression) get their own case.

use std::borrow::Cow;
use std::io::{self, Write};

use super::Report;
use crate::diagnostic::{Finding, ResourceInfo, RuleId, Severity};

/// One test case: classname (file), name (resource or file), its findings (by their place in
/// the report, read again when the case is written: a large report's are not all held), and
/// whether one is an error or fails the run.
struct Case<'r> {
    file: &'r str,
    name: Cow<'r, str>,
    findings: Vec<u32>,
    error: bool,
    failure: bool,
}

/// The cases by a hash of (file, name): the first case of each hash, and the others of a hash
/// two pairs share (rare).
#[derive(Default)]
struct Index {
    first: std::collections::HashMap<u64, u32>,
    more: std::collections::HashMap<u64, Vec<u32>>,
}

impl Index {
    fn find(&self, hash: u64, cases: &[Case<'_>], file: &str, name: &str) -> Option<usize> {
        let is = |i: &usize| cases[*i].file == file && cases[*i].name == name;
        let first = self.first.get(&hash).map(|&i| i as usize);
        first.filter(is).or_else(|| {
            let more = self.more.get(&hash)?;
            more.iter().map(|&i| i as usize).find(is)
        })
    }

    fn add(&mut self, hash: u64, case: usize) {
        match self.first.entry(hash) {
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(case as u32);
            }
            std::collections::hash_map::Entry::Occupied(_) => {
                self.more.entry(hash).or_default().push(case as u32);
            }
        }
    }
}

/// `threshold`: the lowest severity that fails the run (`None`: nothing does).
pub fn render(report: &Report, threshold: Option<Severity>, out: &mut dyn Write) -> io::Result<()> {
    let is_error = |f: &Finding| matches!(f.rule, RuleId::ParseError | RuleId::IoError);
    let fails = |f: &Finding| threshold.is_some_and(|t| f.severity >= t);
    let mut cases: Vec<Case<'_>> = report
        .databases
        .iter()
        .map(|db| Case {
            file: report.position(db.header).file,
            name: case_name(db),
            findings: Vec::new(),
            error: false,
            failure: false,
        })
        .collect();
    // The first case of each (file, name), as findings join it; keyed by a hash of the pair,
    // so the cases' strings are not held twice (pairs with the same hash are told apart; the
    // hasher is randomly keyed, as names come from the templates).
    let state = std::collections::hash_map::RandomState::new();
    let key = |file: &str, name: &str| {
        use std::hash::BuildHasher;
        state.hash_one((file, name))
    };
    let mut index = Index::default();
    for i in 0..cases.len() {
        let hash = key(cases[i].file, &cases[i].name);
        if index
            .find(hash, &cases, cases[i].file, &cases[i].name)
            .is_none()
        {
            index.add(hash, i);
        }
    }
    for (n, finding) in report.findings.iter().enumerate() {
        let finding = finding?;
        let (file, name) = match &finding.resource {
            Some(resource) => (
                report.position(resource.header).file,
                Cow::Owned(case_name(resource).into_owned()),
            ),
            None => {
                let file = report.position(finding.primary.span).file;
                (file, Cow::Borrowed(file))
            }
        };
        let hash = key(file, &name);
        let i = match index.find(hash, &cases, file, &name) {
            Some(i) => i,
            None => {
                index.add(hash, cases.len());
                cases.push(Case {
                    file,
                    name,
                    findings: Vec::new(),
                    error: false,
                    failure: false,
                });
                cases.len() - 1
            }
        };
        let case = &mut cases[i];
        case.findings.push(n as u32);
        case.error |= is_error(&finding);
        case.failure |= fails(&finding);
    }
    let errors = cases.iter().filter(|c| c.error).count();
    let failures = cases.iter().filter(|c| c.failure && !c.error).count();
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
    for case in &cases {
        let head = format!(
            r#"    <testcase name="{}" classname="{}""#,
            escape(&case.name),
            escape(case.file)
        );
        if case.findings.is_empty() {
            writeln!(out, "{head}/>")?;
            continue;
        }
        writeln!(out, "{head}>")?;
        for &n in &case.findings {
            let finding = report.findings.get(n as usize)?;
            let finding = &*finding;
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
fn case_name(resource: &ResourceInfo) -> Cow<'_, str> {
    match &resource.context {
        Some(root) => Cow::Owned(format!("{} in {root}", resource.name)),
        None => Cow::Borrowed(&resource.name),
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
