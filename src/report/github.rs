//! `--format github`: one workflow command per finding, escaped as GitHub's toolkit escapes
//! them (`%`, CR and LF in the message; also `:` and `,` in properties).

use std::io::{self, Write};

use super::Report;
use crate::diagnostic::Severity;

pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    for finding in report.findings.iter() {
        let finding = finding?;
        let at = report.position(finding.primary.span);
        let command = match finding.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        writeln!(
            out,
            "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            property(at.file),
            at.line,
            at.column,
            at.end_line,
            at.end_column,
            property(finding.rule.as_str()),
            data(&finding.message)
        )?;
    }
    Ok(())
}

/// The toolkit's escapes, then any other control character shown, never sent raw.
fn data(text: &str) -> String {
    let escaped = text
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    super::printable(&escaped).into_owned()
}

fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_follows_the_toolkit() {
        assert_eq!(data("50% off\r\nnext"), "50%25 off%0D%0Anext");
        assert_eq!(property("a:b,c%"), "a%3Ab%2Cc%25");
    }
}
