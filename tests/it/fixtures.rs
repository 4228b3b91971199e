//! Scenario fixtures: every file or folder under `fixtures/cloudformation/` is checked, its
//! human and JSON reports are snapshotted, and the rule ids reported must equal the fixture's
//! own `expect:` line (in its Description), in report order. `expect: none` means clean.

use std::path::Path;

use crate::common::{inputs_and_settings, name, scenario_files, scenarios};
use intransit::report::{human, json};
use intransit::{check, Report};

/// Runs a scenario as the CLI would.
pub fn run(path: &Path) -> Report {
    let (inputs, settings) = inputs_and_settings(path);
    check(&inputs, &settings)
}

fn expected(path: &Path) -> Vec<String> {
    let mut ids = Vec::new();
    let mut declared = false;
    for file in scenario_files(path) {
        let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
        for line in text.lines() {
            if let Some((_, rest)) = line.split_once("expect:") {
                declared = true;
                let rest = rest.split(['"', '\'']).next().unwrap_or("");
                ids.extend(
                    rest.split_whitespace()
                        .filter(|id| *id != "none")
                        .map(str::to_string),
                );
                break;
            }
        }
    }
    assert!(declared, "{} has no `expect:` line", path.display());
    ids
}

fn human_text(report: &Report) -> String {
    let mut out = Vec::new();
    let options = human::Options {
        color: false,
        width: 100,
        elapsed: None,
        summary: true,
    };
    human::render(report, &options, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn json_text(report: &Report) -> String {
    let mut out = Vec::new();
    json::render(report, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn check_dialect(dialect: &str) {
    let mut mismatches = Vec::new();
    for scenario in scenarios(dialect) {
        let name = name(&scenario);
        let report = run(&scenario);
        let got: Vec<String> = report
            .findings
            .in_memory()
            .iter()
            .map(|f| f.rule.to_string())
            .collect();
        let want = expected(&scenario);
        if got != want {
            mismatches.push(format!("{name}: expected {want:?}, reported {got:?}"));
        }
        // Every span lies inside its file and on a character boundary.
        for finding in report.findings.in_memory() {
            for label in std::iter::once(&finding.primary).chain(&finding.related) {
                let file = report
                    .file(label.span.file)
                    .expect("labels point into kept files");
                let text = file.load().expect("the file can be read again");
                assert!(
                    text.get(label.span.range()).is_some(),
                    "{name}: bad span {label:?}"
                );
            }
        }
        insta::assert_snapshot!(format!("{dialect}__{name}__human"), human_text(&report));
        insta::assert_snapshot!(format!("{dialect}__{name}__json"), json_text(&report));
    }
    assert!(
        mismatches.is_empty(),
        "verdicts differ from the fixtures' expect lines:\n{}",
        mismatches.join("\n")
    );
}

#[test]
fn cloudformation_fixtures() {
    check_dialect("cloudformation");
}

#[test]
fn terraform_fixtures() {
    check_dialect("terraform");
}

/// The same files give the same report on every run: no map the run iterates (whose order
/// changes from map to map and from run to run) decides the order of findings, as it did for
/// a module called several times (`one-module-called-four-times`).
#[test]
fn a_report_is_the_same_on_every_run() {
    for dialect in ["cloudformation", "terraform"] {
        for scenario in scenarios(dialect) {
            let first = json_text(&run(&scenario));
            for _ in 0..3 {
                assert_eq!(json_text(&run(&scenario)), first, "{}", scenario.display());
            }
        }
    }
}

/// Targeted reading (unread blocks blanked before parsing) must give the same report, spans
/// included, as parsing every block.
#[test]
fn targeted_and_full_parsing_agree() {
    for dialect in ["cloudformation", "terraform"] {
        for scenario in scenarios(dialect) {
            let (inputs, settings) = inputs_and_settings(&scenario);
            let full = intransit::Settings {
                targeted_parsing: false,
                ..settings.clone()
            };
            let (a, b) = (check(&inputs, &settings), check(&inputs, &full));
            assert_eq!(json_text(&a), json_text(&b), "{}", scenario.display());
        }
    }
}

/// Early verdicts (a template or root that links only inside itself judged as soon as it is
/// read, and settled then) must give the report of judging every database together: on each
/// fixture, and on every fixture of a dialect in one run, where names link across fixtures.
#[test]
fn early_verdicts_agree_with_judging_everything_together() {
    for dialect in ["cloudformation", "terraform"] {
        let mut all = Vec::new();
        let mut base = None;
        for scenario in scenarios(dialect) {
            let (inputs, settings) = inputs_and_settings(&scenario);
            let late = intransit::Settings {
                early_verdicts: false,
                ..settings.clone()
            };
            let (a, b) = (check(&inputs, &settings), check(&inputs, &late));
            assert_eq!(json_text(&a), json_text(&b), "{}", scenario.display());
            all.extend(inputs);
            base.get_or_insert(settings);
        }
        let settings = base.unwrap();
        let late = intransit::Settings {
            early_verdicts: false,
            ..settings.clone()
        };
        let (a, b) = (check(&all, &settings), check(&all, &late));
        assert!(
            a.findings.len() > 50,
            "{dialect}: {} findings",
            a.findings.len()
        );
        assert_eq!(
            json_text(&a),
            json_text(&b),
            "every {dialect} fixture at once"
        );
    }
}

/// Keeping only the count of databases (every format but JUnit) changes nothing a report
/// shows but the list JUnit reads: on each fixture, with early verdicts and without.
#[test]
fn counting_databases_gives_the_report_of_listing_them() {
    let mut databases = 0;
    for dialect in ["cloudformation", "terraform"] {
        for scenario in scenarios(dialect) {
            let (inputs, settings) = inputs_and_settings(&scenario);
            for early_verdicts in [true, false] {
                let listed = intransit::Settings {
                    early_verdicts,
                    ..settings.clone()
                };
                let counted = intransit::Settings {
                    list_databases: false,
                    ..listed.clone()
                };
                let (a, b) = (check(&inputs, &listed), check(&inputs, &counted));
                assert_eq!(json_text(&a), json_text(&b), "{}", scenario.display());
                assert_eq!(a.databases.len(), b.summary.databases);
                assert!(b.databases.is_empty());
                databases += b.summary.databases;
            }
        }
    }
    assert!(databases > 100, "only {databases} databases counted");
}

fn every_format(report: &Report) -> String {
    use intransit::report::{concise, github, junit, sarif};
    let mut out = Vec::new();
    sarif::render(report, &mut out).unwrap();
    concise::render(report, &mut out).unwrap();
    github::render(report, &mut out).unwrap();
    junit::render(
        report,
        Some(intransit::diagnostic::Severity::Warning),
        &mut out,
    )
    .unwrap();
    format!(
        "{}{}{}{:?}",
        json_text(report),
        human_text(report),
        String::from_utf8(out).unwrap(),
        report.summary
    )
}

/// Sealed findings (`Settings::spill_after`: each template or root judged as it is read gives
/// its findings as bytes, spooled to a temporary file past the limit) must give the report of
/// holding every finding, in every format: on each fixture, and on every fixture of a dialect
/// in one run, where templates and roots named by others are judged again and what they
/// sealed is forgotten.
#[test]
fn sealed_findings_give_the_report_of_held_ones() {
    for dialect in ["cloudformation", "terraform"] {
        let mut all = Vec::new();
        let mut base = None;
        let mut sealed_any = 0;
        let mut compare = |inputs: &[intransit::Input], settings: &intransit::Settings| {
            let held = every_format(&check(inputs, settings));
            for after in [0, usize::MAX] {
                let sealing = intransit::Settings {
                    spill_after: Some(after),
                    ..settings.clone()
                };
                let report = check(inputs, &sealing);
                if let intransit::report::spill::Findings::Spilled(spilled) = &report.findings {
                    let (files, jobs) = spilled.sealed_as_read();
                    sealed_any += files + jobs;
                }
                assert_eq!(held, every_format(&report), "spill_after {after}");
            }
        };
        for scenario in scenarios(dialect) {
            let (inputs, settings) = inputs_and_settings(&scenario);
            compare(&inputs, &settings);
            all.extend(inputs);
            base.get_or_insert(settings);
        }
        compare(&all, &base.unwrap());
        assert!(
            sealed_any > 50,
            "{dialect}: {sealed_any} findings sealed as read"
        );
    }
}
