//! Scenario fixtures: every file or folder under `fixtures/cloudformation/` is checked, its
//! human and JSON reports are snapshotted, and the rule ids reported must equal the fixture's
//! own `expect:` line (in its Description), in report order. `expect: none` means clean.

use std::path::{Path, PathBuf};

use intransit::report::{human, json};
use intransit::suppression::Date;
use intransit::{check, Input, Report, Settings};

fn fixture_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// The files of a scenario: the file itself, or a folder's files in name order.
fn scenario_files(path: &Path) -> Vec<PathBuf> {
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    let mut files: Vec<PathBuf> = walk(path);
    files.sort();
    files
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy();
        if path.is_dir() && matches!(name.as_ref(), ".terraform" | ".git" | "node_modules") {
            continue;
        }
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// Runs a scenario as the CLI would, with paths shown relative to `fixtures/`.
pub fn run(path: &Path, require_explicit: bool) -> Report {
    let root = fixture_root();
    let inputs: Vec<Input> = scenario_files(path)
        .into_iter()
        .map(|file| Input {
            display: intransit::source::display_path(&file, &root),
            path: file,
            text: None,
            explicit: path.is_file(),
        })
        .collect();
    let settings = Settings {
        require_explicit,
        base: root.clone(),
        today: Date {
            year: 2026,
            month: 11,
            day: 28,
        },
        ..Settings::default()
    };
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
    let dir = fixture_root().join(dialect);
    let mut scenarios: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    scenarios.sort();
    assert!(!scenarios.is_empty());
    let mut mismatches = Vec::new();
    for scenario in scenarios {
        let name = scenario.file_stem().unwrap().to_string_lossy().into_owned();
        let report = run(&scenario, name.contains("require-explicit"));
        let got: Vec<String> = report.findings.iter().map(|f| f.rule.to_string()).collect();
        let want = expected(&scenario);
        if got != want {
            mismatches.push(format!("{name}: expected {want:?}, reported {got:?}"));
        }
        // Every span lies inside its file and on a character boundary.
        for finding in &report.findings {
            for label in std::iter::once(&finding.primary).chain(&finding.related) {
                let file = report
                    .file(label.span.file)
                    .expect("labels point into kept files");
                assert!(
                    file.text.get(label.span.range()).is_some(),
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
