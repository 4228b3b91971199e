//! SARIF output: the invariants GitHub code scanning relies on, and fingerprint stability across
//! unrelated edits. Validation against the official 2.1.0 schema (`tests/data/`, a copy of
//! `shared/data/sarif-schema-2.1.0.json`) runs in `.ci/run` with Python's `jsonschema` and
//! Microsoft's SARIF multitool, two real validators, over the same output (fixtures and demo).

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn sarif(cwd: &Path, args: &[&str]) -> serde_json::Value {
    let output = Command::new(env!("CARGO_BIN_EXE_intransit"))
        .args(["check", "--format", "sarif"])
        .args(args)
        .current_dir(cwd)
        .output()
        .unwrap();
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn every_fixture_meets_what_code_scanning_needs() {
    let log = sarif(&root(), &["fixtures", "demo"]);

    let results = log["runs"][0]["results"].as_array().unwrap();
    assert!(results.len() > 50, "the fixtures produce many results");
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    for result in results {
        let rule = &rules[result["ruleIndex"].as_u64().unwrap() as usize];
        assert_eq!(rule["id"], result["ruleId"]);
        let location = &result["locations"][0]["physicalLocation"];
        let uri = location["artifactLocation"]["uri"].as_str().unwrap();
        assert!(
            !uri.is_empty() && !uri.starts_with('/'),
            "relative uri: {uri}"
        );
        assert_eq!(location["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        for key in ["startLine", "startColumn", "endLine", "endColumn"] {
            assert!(
                location["region"][key].as_u64().unwrap() >= 1,
                "{key} >= 1 in {result}"
            );
        }
        assert!(
            result["partialFingerprints"]["intransit/v1"]
                .as_str()
                .unwrap()
                .len()
                == 16
        );
    }
    for rule in rules {
        assert!(rule["properties"]["tags"]
            .as_array()
            .unwrap()
            .contains(&"security".into()));
        assert!(rule["properties"]["security-severity"]
            .as_str()
            .unwrap()
            .parse::<f64>()
            .is_ok());
        assert!(
            !rule["help"]["text"].as_str().unwrap().is_empty(),
            "{}",
            rule["id"]
        );
        assert!(
            !rule["fullDescription"]["text"].as_str().unwrap().is_empty(),
            "{}",
            rule["id"]
        );
    }
    assert_eq!(log["runs"][0]["columnKind"], "unicodeCodePoints");
}

#[test]
fn fingerprints_survive_an_unrelated_edit_above() {
    let dir = tempfile::tempdir().unwrap();
    let template = "AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n  Params:\n    Type: AWS::RDS::DBParameterGroup\n    Properties:\n      Family: postgres14\n      Description: x\n      Parameters:\n        rds.force_ssl: \"0\"\n  Db:\n    Type: AWS::RDS::DBInstance\n    Properties:\n      Engine: postgres\n      EngineVersion: \"14.12\"\n      DBParameterGroupName: !Ref Params\n  Other:\n    Type: AWS::RDS::DBInstance\n    Properties:\n      Engine: mysql\n      EngineVersion: 8.0.39\n";
    let path = dir.path().join("db.yaml");
    std::fs::write(&path, template).unwrap();
    let fingerprints = |log: &serde_json::Value| -> Vec<(String, u64, String)> {
        log["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["ruleId"].as_str().unwrap().to_string(),
                    r["locations"][0]["physicalLocation"]["region"]["startLine"]
                        .as_u64()
                        .unwrap(),
                    r["partialFingerprints"]["intransit/v1"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                )
            })
            .collect()
    };
    let before = fingerprints(&sarif(dir.path(), &["db.yaml"]));
    let edited = template.replace(
        "Resources:\n",
        "Description: added later\nMetadata:\n  Owner: data-team\nResources:\n",
    );
    std::fs::write(&path, edited).unwrap();
    let after = fingerprints(&sarif(dir.path(), &["db.yaml"]));
    assert_eq!(before.len(), 2);
    for ((rule_a, line_a, print_a), (rule_b, line_b, print_b)) in before.iter().zip(&after) {
        assert_eq!(rule_a, rule_b);
        assert_eq!(*line_b, line_a + 3, "the finding moved down");
        assert_eq!(print_a, print_b, "but kept its fingerprint");
    }
    assert_ne!(before[0].2, before[1].2, "different findings differ");
}

#[test]
fn demo_sarif_snapshot() {
    let log = sarif(&root(), &["demo"]);
    insta::assert_json_snapshot!(log["runs"][0]["results"]);
}
