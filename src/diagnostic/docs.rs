//! The rule pages under `docs/rules/`, compiled in for `intransit explain`.

use crate::diagnostic::RuleId;

pub fn page(rule: RuleId) -> &'static str {
    match rule {
        RuleId::TlsDisabled => include_str!("../../docs/rules/rds-tls-disabled.md"),
        RuleId::TlsInvalidValue => include_str!("../../docs/rules/rds-tls-invalid-value.md"),
        RuleId::TlsWrongParameter => include_str!("../../docs/rules/rds-tls-wrong-parameter.md"),
        RuleId::TlsNotEnforced => include_str!("../../docs/rules/rds-tls-not-enforced.md"),
        RuleId::TlsUnverifiable => include_str!("../../docs/rules/rds-tls-unverifiable.md"),
        RuleId::ParseError => include_str!("../../docs/rules/parse-error.md"),
        RuleId::IoError => include_str!("../../docs/rules/io-error.md"),
        RuleId::UnusedSuppression => include_str!("../../docs/rules/unused-suppression.md"),
        RuleId::ExpiredSuppression => include_str!("../../docs/rules/expired-suppression.md"),
        RuleId::InvalidSuppression => include_str!("../../docs/rules/invalid-suppression.md"),
    }
}
