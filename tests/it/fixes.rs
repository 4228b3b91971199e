//! Fixes on every fixture: the fixed text parses, the fixed findings are gone, no new finding
//! appears, a second round changes nothing, CRLF files stay CRLF, and each diff is snapshotted.

use std::collections::HashMap;

use crate::common::{inputs_and_settings, name, scenarios};
use intransit::diagnostic::fix::Applicability;
use intransit::diagnostic::RuleId;
use intransit::pipeline::fix_all;
use intransit::{check, Report};

/// (rule, resource) of each finding, as a multiset.
fn keys(report: &Report) -> HashMap<(RuleId, String), usize> {
    let mut keys = HashMap::new();
    for finding in report.findings.in_memory() {
        let resource = finding
            .resource
            .as_ref()
            .map(|r| r.name.clone())
            .unwrap_or_default();
        *keys.entry((finding.rule, resource)).or_default() += 1;
    }
    keys
}

fn fix_dialect(dialect: &str, allow_unsafe: bool) -> usize {
    let mut fixed_scenarios = 0;
    for scenario in scenarios(dialect) {
        let name = name(&scenario);
        let (inputs, settings) = inputs_and_settings(&scenario);
        let before = check(&inputs, &settings);
        let fixable = before
            .findings
            .in_memory()
            .iter()
            .filter(|f| {
                f.fix
                    .as_ref()
                    .is_some_and(|fix| allow_unsafe || fix.applicability == Applicability::Safe)
            })
            .count();
        let fixed = fix_all(&inputs, &settings, allow_unsafe);
        if fixable == 0 {
            assert!(
                fixed.files.is_empty(),
                "{name}: no fix offered, yet files changed"
            );
            continue;
        }
        fixed_scenarios += 1;
        assert!(
            !fixed.files.is_empty(),
            "{name}: {fixable} fixes offered, none applied"
        );

        // The fixed texts parse, and every finding left was there before.
        let after = &fixed.report;
        assert!(
            after
                .findings
                .in_memory()
                .iter()
                .all(|f| f.rule != RuleId::ParseError)
                || before
                    .findings
                    .in_memory()
                    .iter()
                    .any(|f| f.rule == RuleId::ParseError),
            "{name}: a fix broke a file"
        );
        let (was, now) = (keys(&before), keys(after));
        for (key, count) in &now {
            assert!(
                was.get(key).is_some_and(|c| c >= count),
                "{name}: new finding {key:?} after fixing"
            );
        }
        // What is left has no fix of the kind that was applied.
        assert!(
            after.findings.in_memory().iter().all(|f| f
                .fix
                .as_ref()
                .is_none_or(|fix| !allow_unsafe && fix.applicability == Applicability::Unsafe)),
            "{name}: fixable findings remain after fixing"
        );
        assert!(
            after.findings.len() < before.findings.len(),
            "{name}: fixing removed no finding"
        );

        // A second round changes nothing.
        let mut again = settings.clone();
        for (path, _, text) in &fixed.files {
            again
                .overrides
                .insert(intransit::source::normalize(path), text.clone());
        }
        assert!(
            fix_all(&inputs, &again, false).files.is_empty(),
            "{name}: a second --fix changed more"
        );

        let mut diffs = String::new();
        for (path, old, new) in &fixed.files {
            if old.contains("\r\n") && !old.replace("\r\n", "").contains('\n') {
                assert!(
                    !new.replace("\r\n", "").contains('\n'),
                    "{name}: a CRLF file got a bare LF"
                );
            }
            let shown = intransit::source::display_path(path, &crate::common::fixture_root());
            let diff = similar::TextDiff::from_lines(old.as_str(), new.as_str());
            diffs.push_str(
                &diff
                    .unified_diff()
                    .header(&format!("a/{shown}"), &format!("b/{shown}"))
                    .to_string(),
            );
        }
        let suffix = if allow_unsafe { "__unsafe" } else { "" };
        insta::assert_snapshot!(
            format!("{dialect}__{name}{suffix}"),
            diffs.replace('\r', "␍")
        );
    }
    fixed_scenarios
}

#[test]
fn cloudformation_fixes() {
    assert!(fix_dialect("cloudformation", false) >= 10);
}

#[test]
fn terraform_fixes() {
    assert!(fix_dialect("terraform", false) >= 4);
}

#[test]
fn unsafe_fixes_hold_the_same_contract() {
    assert!(fix_dialect("cloudformation", true) >= 10);
    assert!(fix_dialect("terraform", true) >= 4);
}
