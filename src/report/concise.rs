//! `PATH:LINE:COLUMN: SEVERITY[RULE-ID] MESSAGE`, one line per finding (editors, grep).

use std::io::{self, Write};

use super::{printable, Report};

pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    for finding in report.findings.iter() {
        let finding = finding?;
        let at = report.position(finding.primary.span);
        writeln!(
            out,
            "{}:{}:{}: {}[{}] {}",
            printable(at.file),
            at.line,
            at.column,
            finding.severity.as_str(),
            finding.rule,
            printable(&finding.message)
        )?;
    }
    Ok(())
}
