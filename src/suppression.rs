//! Suppressions (cli.md, "Suppressions"): the comment syntax shared by YAML and HCL, what a
//! suppression covers (a resource, or one line), expiry dates, and applying them to findings
//! with `unused-suppression`, `expired-suppression` and `invalid-suppression` reports.

use crate::diagnostic::{Finding, Label, ResourceInfo, RuleId};
use crate::source::{Excerpt, FileId, Needles, SourceFile, Span};

#[derive(Clone, Debug)]
pub struct Suppression {
    /// `None`: every `rds-tls-*` rule (checkov's CKV2_AWS_69 skip).
    pub rules: Option<Vec<RuleId>>,
    pub until: Option<Date>,
    pub span: Span,
    pub scope: Scope,
    /// The resource the suppression belongs to, if any.
    pub owner: Option<ResourceInfo>,
    /// checkov's own skips are not reported as unused: checkov may still need them.
    pub from_checkov: bool,
    /// The lines the human report shows of it, kept when its file was settled
    /// (`Settings::excerpts`), for the unused or expired finding made after.
    pub excerpt: Option<Excerpt>,
}

#[derive(Clone, Debug)]
pub enum Scope {
    /// Findings about this resource or pointing inside it.
    Resource(ResourceInfo),
    /// Findings whose primary span or resource header is on this 0-based line.
    Line(FileId, usize),
}

/// A calendar date for `until=`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    pub fn parse(text: &str) -> Option<Date> {
        let mut parts = text.split('-');
        let year = parts.next()?.parse().ok()?;
        let month = parts.next()?.parse().ok()?;
        let day: u32 = parts.next()?.parse().ok()?;
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let days_in_month = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        // `2027-02-30` is no date.
        (parts.next().is_none() && (1..=days_in_month).contains(&day)).then_some(Date {
            year,
            month,
            day,
        })
    }

    /// The civil date of a count of days since 1970-01-01 (Howard Hinnant's algorithm).
    pub fn from_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    pub fn today() -> Date {
        let seconds = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        Date::from_days(seconds.div_euclid(86_400))
    }
}

/// A suppression comment found in the text.
#[derive(Clone, Debug)]
pub struct Comment {
    pub span: Span,
    /// The 0-based line the comment applies to: its own, or the next one for a comment alone
    /// on its line.
    pub target_line: usize,
    pub directive: Directive,
}

#[derive(Clone, Debug)]
pub enum Directive {
    Intransit {
        rules: Vec<String>,
        until: Option<String>,
    },
    /// `checkov:skip=CKV2_AWS_69`
    CheckovSkip,
}

/// Whether a text could hold a suppression comment (a cheap test before any parse).
pub fn mentions_suppression(text: &str) -> bool {
    static NAMES: Needles<2> = Needles::new(["intransit:ignore", "checkov:skip"]);
    NAMES.any_in(text.as_bytes())
}

/// Finds `intransit:ignore` and `checkov:skip=CKV2_AWS_69` comments opened by one of `markers`
/// (`#`, and `//` in HCL) at the start of a line or after white space.
pub fn scan_comments(text: &str, file: FileId, markers: &[&str]) -> Vec<Comment> {
    if !mentions_suppression(text) {
        return Vec::new();
    }
    let mut comments = Vec::new();
    let mut offset = 0;
    for (line_number, line) in text.split_inclusive(['\n', '\r']).enumerate() {
        let start = offset;
        offset += line.len();
        let Some((at, body)) = comment_body(line, markers) else {
            continue;
        };
        let directive = if let Some(rest) = body.strip_prefix("intransit:ignore") {
            let (ids, _reason) = rest.split_once("--").unwrap_or((rest, ""));
            let mut rules = Vec::new();
            let mut until = None;
            for token in ids.split([',', ' ', '\t']).filter(|t| !t.is_empty()) {
                match token.strip_prefix("until=") {
                    Some(date) => until = Some(date.to_string()),
                    None => rules.push(token.to_string()),
                }
            }
            Directive::Intransit { rules, until }
        } else if let Some(rest) = body.strip_prefix("checkov:skip=") {
            let id = rest.split([':', ' ', ',']).next().unwrap_or("");
            if id != "CKV2_AWS_69" {
                continue;
            }
            Directive::CheckovSkip
        } else {
            continue;
        };
        let standalone = line[..at].trim().is_empty();
        let end = start + line.trim_end().len();
        comments.push(Comment {
            span: Span::new(file, start + at, end),
            target_line: line_number + usize::from(standalone),
            directive,
        });
    }
    comments
}

/// `(offset of the marker, text after it trimmed)` for a line holding a comment.
fn comment_body<'l>(line: &'l str, markers: &[&str]) -> Option<(usize, &'l str)> {
    for marker in markers {
        let mut from = 0;
        while let Some(found) = line[from..].find(marker) {
            let at = from + found;
            let opens = at == 0 || line[..at].ends_with([' ', '\t']);
            if opens {
                let body = line[at + marker.len()..].trim();
                if body.starts_with("intransit:") || body.starts_with("checkov:") {
                    return Some((at, body));
                }
            }
            from = at + marker.len();
        }
    }
    None
}

/// The suppressions a file's comments make: a comment on a resource's first line (or the line
/// above it) covers that resource; any other covers its target line.
pub fn from_comments(
    file: &SourceFile,
    resources: &[ResourceInfo],
    markers: &[&str],
    problems: &mut Vec<Finding>,
) -> Vec<Suppression> {
    let mut found = Vec::new();
    for comment in scan_comments(file.text(), file.id, markers) {
        let owner = resources
            .iter()
            .find(|r| file.line_of(r.header.start) == comment.target_line)
            .cloned();
        let scope = match &owner {
            Some(resource) => Scope::Resource(resource.clone()),
            None => Scope::Line(file.id, comment.target_line),
        };
        let owner = owner.or_else(|| {
            resources
                .iter()
                .find(|r| r.span.contains(comment.span))
                .cloned()
        });
        found.extend(from_comment(&comment, scope, owner, problems));
    }
    found
}

/// Checks a comment's rule ids and date; problems become `invalid-suppression` findings.
pub fn from_comment(
    comment: &Comment,
    scope: Scope,
    owner: Option<ResourceInfo>,
    problems: &mut Vec<Finding>,
) -> Option<Suppression> {
    match &comment.directive {
        Directive::CheckovSkip => Some(Suppression {
            rules: None,
            until: None,
            span: comment.span,
            scope,
            owner,
            from_checkov: true,
            excerpt: None,
        }),
        Directive::Intransit { rules, until } => build(
            rules,
            until.as_deref(),
            comment.span,
            scope,
            owner,
            problems,
        ),
    }
}

/// A suppression from rule ids and an optional date, reporting unknown ids and bad dates.
pub fn build(
    rules: &[String],
    until: Option<&str>,
    span: Span,
    scope: Scope,
    owner: Option<ResourceInfo>,
    problems: &mut Vec<Finding>,
) -> Option<Suppression> {
    let mut invalid = |message: String| {
        let mut finding = Finding::new(
            RuleId::InvalidSuppression,
            message,
            Label::new(span, "this suppression"),
        );
        finding.resource = owner.clone().map(std::sync::Arc::new);
        finding.help =
            Some("name rules as `intransit rules` lists them, and dates as YYYY-MM-DD".into());
        problems.push(finding);
    };
    let mut known = Vec::new();
    for id in rules {
        match RuleId::from_id(id).filter(|rule| rule.is_tls()) {
            Some(rule) => known.push(rule),
            None => invalid(format!(
                "the suppression names `{id}`, which is not a rule a suppression can name{}",
                RuleId::did_you_mean(id, RuleId::ALL.into_iter().filter(|r| r.is_tls()))
            )),
        }
    }
    if rules.is_empty() {
        invalid("the suppression names no rule; name the rules it suppresses".to_string());
    }
    let until = match until.map(|text| (text, Date::parse(text))) {
        Some((text, None)) => {
            invalid(format!(
                "`until={text}` is not a date of the form YYYY-MM-DD"
            ));
            return None;
        }
        Some((_, date)) => date,
        None => None,
    };
    (!known.is_empty()).then_some(Suppression {
        rules: Some(known),
        until,
        span,
        scope,
        owner,
        from_checkov: false,
        excerpt: None,
    })
}

/// Removes suppressed findings; returns how many were suppressed and adds the warnings about
/// expired and unused suppressions.
pub fn apply(
    findings: &mut Vec<Finding>,
    suppressions: &[Suppression],
    today: Date,
    line_of: impl Fn(Span) -> usize,
) -> usize {
    let active = |s: &Suppression| s.until.is_none_or(|until| today <= until);
    let mut used = vec![false; suppressions.len()];
    let before = findings.len();
    findings.retain(|finding| {
        if !finding.rule.is_tls() {
            return true;
        }
        let hit = suppressions.iter().position(|s| {
            active(s)
                && s.rules
                    .as_ref()
                    .is_none_or(|rules| rules.contains(&finding.rule))
                && covers(s, finding, &line_of)
        });
        if let Some(i) = hit {
            used[i] = true;
        }
        hit.is_none()
    });
    let suppressed = before - findings.len();
    for (suppression, used) in suppressions.iter().zip(used) {
        let report = |rule: RuleId, message: String, help: &str| {
            let mut finding = Finding::new(
                rule,
                message,
                Label::new(suppression.span, "this suppression"),
            );
            finding.resource = suppression.owner.clone().map(std::sync::Arc::new);
            finding.help = Some(help.to_string());
            finding.excerpts = suppression.excerpt.iter().cloned().collect();
            finding
        };
        if !active(suppression) {
            let until = suppression.until.expect("inactive means dated");
            findings.push(report(
                RuleId::ExpiredSuppression,
                format!(
                    "this suppression expired on {}-{:02}-{:02} and no longer hides findings",
                    until.year, until.month, until.day
                ),
                "fix the finding, or extend `until=` with a reason",
            ));
        } else if !used && !suppression.from_checkov {
            findings.push(report(
                RuleId::UnusedSuppression,
                "this suppression suppresses nothing".to_string(),
                "remove it",
            ));
        }
    }
    suppressed
}

fn covers(suppression: &Suppression, finding: &Finding, line_of: &impl Fn(Span) -> usize) -> bool {
    match &suppression.scope {
        Scope::Resource(resource) => {
            finding
                .resource
                .as_ref()
                .is_some_and(|r| r.header == resource.header)
                || resource.span.contains(finding.primary.span)
        }
        Scope::Line(file, line) => {
            let on_line = |span: Span| span.file == *file && line_of(span) == *line;
            on_line(finding.primary.span)
                || finding.resource.as_ref().is_some_and(|r| on_line(r.header))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(
            Date::from_days(0),
            Date {
                year: 1970,
                month: 1,
                day: 1
            }
        );
        assert_eq!(
            Date::from_days(20_785),
            Date {
                year: 2026,
                month: 11,
                day: 28
            }
        );
        assert!(Date::parse("2027-02-30").is_none());
        assert!(Date::parse("2027-02-29").is_none());
        assert!(Date::parse("2028-02-29").is_some());
        assert!(Date::parse("2100-02-29").is_none());
        assert!(Date::parse("2027-04-31").is_none());
        assert!(Date::parse("2027-13-01").is_none());
    }

    #[test]
    fn comments_above_and_after() {
        let text = "A:\n  # intransit:ignore rds-tls-disabled until=2030-01-01 -- why\n  B: 1 # checkov:skip=CKV2_AWS_69: ok\n  C: '#intransit:ignore x'\n";
        let comments = scan_comments(text, FileId(0), &["#"]);
        assert_eq!(comments.len(), 2);
        assert_eq!(comments[0].target_line, 2);
        assert!(
            matches!(&comments[0].directive, Directive::Intransit { rules, until }
            if rules == &["rds-tls-disabled"] && until.as_deref() == Some("2030-01-01"))
        );
        assert_eq!(comments[1].target_line, 2);
        assert!(matches!(comments[1].directive, Directive::CheckovSkip));
    }
}
