//! The engine's own finding type: rule, severity, message, a primary label, secondary labels and
//! help, with what a fix should change (`fix`) and the rule pages (`docs`). Renderers convert
//! it at the edge; nothing here knows about miette, JSON or SARIF.

pub mod compact;
pub mod docs;
pub mod fix;

use std::fmt;

use crate::source::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RuleId {
    TlsDisabled,
    TlsInvalidValue,
    TlsWrongParameter,
    TlsNotEnforced,
    TlsUnverifiable,
    ParseError,
    IoError,
    UnusedSuppression,
    ExpiredSuppression,
    InvalidSuppression,
}

impl RuleId {
    pub const ALL: [RuleId; 10] = [
        RuleId::TlsDisabled,
        RuleId::TlsInvalidValue,
        RuleId::TlsWrongParameter,
        RuleId::TlsNotEnforced,
        RuleId::TlsUnverifiable,
        RuleId::ParseError,
        RuleId::IoError,
        RuleId::UnusedSuppression,
        RuleId::ExpiredSuppression,
        RuleId::InvalidSuppression,
    ];

    /// Its place in `ALL` (SARIF's `ruleIndex`, the compact encoding).
    pub fn index(self) -> usize {
        RuleId::ALL.iter().position(|r| *r == self).unwrap_or(0)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RuleId::TlsDisabled => "rds-tls-disabled",
            RuleId::TlsInvalidValue => "rds-tls-invalid-value",
            RuleId::TlsWrongParameter => "rds-tls-wrong-parameter",
            RuleId::TlsNotEnforced => "rds-tls-not-enforced",
            RuleId::TlsUnverifiable => "rds-tls-unverifiable",
            RuleId::ParseError => "parse-error",
            RuleId::IoError => "io-error",
            RuleId::UnusedSuppression => "unused-suppression",
            RuleId::ExpiredSuppression => "expired-suppression",
            RuleId::InvalidSuppression => "invalid-suppression",
        }
    }

    pub fn from_id(id: &str) -> Option<RuleId> {
        RuleId::ALL.into_iter().find(|rule| rule.as_str() == id)
    }

    /// The id nearest to a misspelt one, among `candidates` (for "did you mean").
    pub fn nearest(id: &str, candidates: impl IntoIterator<Item = RuleId>) -> Option<RuleId> {
        let id = id.trim().to_ascii_lowercase();
        candidates
            .into_iter()
            .map(|rule| (strsim::jaro_winkler(&id, rule.as_str()), rule))
            .filter(|(score, _)| *score > 0.8)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, rule)| rule)
    }

    /// ` (did you mean `x`?)` for a misspelt id, else nothing.
    pub fn did_you_mean(id: &str, candidates: impl IntoIterator<Item = RuleId>) -> String {
        RuleId::nearest(id, candidates)
            .map(|rule| format!(" (did you mean `{rule}`?)"))
            .unwrap_or_default()
    }

    pub fn default_severity(self) -> Severity {
        match self {
            RuleId::TlsUnverifiable | RuleId::UnusedSuppression | RuleId::ExpiredSuppression => {
                Severity::Warning
            }
            _ => Severity::Error,
        }
    }

    /// The findings about databases and groups, which suppressions may name.
    pub fn is_tls(self) -> bool {
        matches!(
            self,
            RuleId::TlsDisabled
                | RuleId::TlsInvalidValue
                | RuleId::TlsWrongParameter
                | RuleId::TlsNotEnforced
                | RuleId::TlsUnverifiable
        )
    }

    /// One line on what the rule reports.
    pub fn summary(self) -> &'static str {
        match self {
            RuleId::TlsDisabled => "The governing parameter group turns TLS enforcement off",
            RuleId::TlsInvalidValue => "The TLS parameter is set to a value RDS does not accept",
            RuleId::TlsWrongParameter => {
                "A TLS-looking parameter is set where RDS ignores it, and TLS is not enforced"
            }
            RuleId::TlsNotEnforced => {
                "Nothing in the template guarantees that the database refuses plaintext connections"
            }
            RuleId::TlsUnverifiable => {
                "The engine, version, group or value comes from something the files do not resolve"
            }
            RuleId::ParseError => "A file that should be checked cannot be parsed",
            RuleId::IoError => "A file that should be checked cannot be read",
            RuleId::UnusedSuppression => "A suppression comment or entry suppresses nothing",
            RuleId::ExpiredSuppression => "A suppression is past its `until=` date",
            RuleId::InvalidSuppression => "A suppression names an unknown rule or a bad date",
        }
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

impl Label {
    pub fn new(span: Span, message: impl Into<String>) -> Label {
        Label {
            span,
            message: message.into(),
        }
    }
}

/// The resource a finding is about, as reports name it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceInfo {
    pub name: String,
    pub type_name: String,
    pub header: Span,
    pub span: Span,
    /// The root it is checked from, when that is not its own directory (`model::Resource`).
    pub context: Option<std::sync::Arc<str>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub rule: RuleId,
    pub severity: Severity,
    pub message: String,
    pub primary: Label,
    pub related: Vec<Label>,
    pub help: Option<String>,
    pub resource: Option<std::sync::Arc<ResourceInfo>>,
    pub engine: Option<String>,
    pub engine_version: Option<String>,
    pub parameter: Option<String>,
    pub value: Option<String>,
    /// What a fix should change, from the verdict (resolved into `fix` with the file's text).
    /// Out of line, as the fix and the resource: most findings of a large run are held until
    /// the end, and a finding is a third of the size with them behind a pointer; shared, so
    /// that the language server's runs copy a finding cheaply.
    pub fix_request: Option<std::sync::Arc<fix::FixRequest>>,
    pub fix: Option<std::sync::Arc<fix::Fix>>,
    /// The lines of its files the human report shows, one per file its labels point into,
    /// kept when it was settled (`Settings::excerpts`); none for reports that show no lines.
    pub excerpts: Box<[crate::source::Excerpt]>,
}

impl Finding {
    /// Gives back what its strings hold beyond their length (formatted messages grow by
    /// doubling): a large run holds every finding until the report.
    pub fn shrink(&mut self) {
        let strings = [
            Some(&mut self.message),
            self.help.as_mut(),
            self.engine.as_mut(),
            self.engine_version.as_mut(),
            self.parameter.as_mut(),
            self.value.as_mut(),
        ];
        for string in strings.into_iter().flatten() {
            string.shrink_to_fit();
        }
        self.primary.message.shrink_to_fit();
        self.related.shrink_to_fit();
        for label in &mut self.related {
            label.message.shrink_to_fit();
        }
    }

    pub fn new(rule: RuleId, message: impl Into<String>, primary: Label) -> Finding {
        Finding {
            rule,
            severity: rule.default_severity(),
            message: message.into(),
            primary,
            related: Vec::new(),
            help: None,
            resource: None,
            engine: None,
            engine_version: None,
            parameter: None,
            value: None,
            fix_request: None,
            fix: None,
            excerpts: Box::default(),
        }
    }

    /// A file that should be checked cannot be parsed (or read as text): at `span`, with the
    /// first of two duplicate keys as `first`.
    pub fn parse_error(message: impl fmt::Display, span: Span, first: Option<Span>) -> Finding {
        let mut finding = Finding::new(
            RuleId::ParseError,
            format!("cannot parse this file: {message}"),
            Label::new(span, "here"),
        );
        if let Some(first) = first {
            finding
                .related
                .push(Label::new(first, "first defined here"));
        }
        finding.help = Some("fix the syntax; until then nothing in this file is checked".into());
        finding
    }
}
#[cfg(test)]
mod size {
    /// A large run holds every finding until the end: the rarely large parts stay boxed.
    #[test]
    fn a_finding_stays_small() {
        assert!(std::mem::size_of::<super::Finding>() <= 256);
    }
}
