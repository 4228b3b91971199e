//! Scenario loading shared by the fixture and fix harnesses: a fixture is a file or a folder
//! under `fixtures/<dialect>/`, checked as the CLI would check it.

use std::path::{Path, PathBuf};

use intransit::suppression::Date;
use intransit::{Input, Settings};

pub fn fixture_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// The scenarios of a dialect, in name order.
pub fn scenarios(dialect: &str) -> Vec<PathBuf> {
    let mut scenarios: Vec<PathBuf> = std::fs::read_dir(fixture_root().join(dialect))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    scenarios.sort();
    assert!(!scenarios.is_empty());
    // Snapshots are named by stem: `a.yaml` and `a.json` would overwrite each other's.
    let mut stems: Vec<String> = scenarios.iter().map(|s| name(s)).collect();
    stems.sort();
    if let Some(pair) = stems.windows(2).find(|w| w[0] == w[1]) {
        panic!("two {dialect} fixtures share the name `{}`", pair[0]);
    }
    scenarios
}

pub fn name(scenario: &Path) -> String {
    scenario.file_stem().unwrap().to_string_lossy().into_owned()
}

/// The files of a scenario: the file itself, or a folder's files in name order, skipping the
/// folders discovery skips.
pub fn scenario_files(path: &Path) -> Vec<PathBuf> {
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    let mut files = walk(path);
    files.sort();
    files
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let skipped = matches!(
            path.file_name().unwrap().to_str(),
            Some(".terraform" | ".terragrunt-cache" | ".git" | "node_modules")
        );
        if path.is_dir() && !skipped {
            files.extend(walk(&path));
        } else if !path.is_dir() {
            files.push(path);
        }
    }
    files
}

/// The inputs and settings the CLI would use, with paths shown relative to `fixtures/` and a
/// fixed date for `until=` expiries.
pub fn inputs_and_settings(scenario: &Path) -> (Vec<Input>, Settings) {
    let root = fixture_root();
    let inputs = scenario_files(scenario)
        .into_iter()
        .map(|file| Input {
            display: intransit::source::display_path(&file, &root),
            path: file,
            text: None,
            explicit: scenario.is_file(),
        })
        .collect();
    let settings = Settings {
        require_explicit: name(scenario).contains("require-explicit"),
        base: root,
        today: Date {
            year: 2026,
            month: 11,
            day: 28,
        },
        ..Settings::default()
    };
    (inputs, settings)
}
