//! Hostile input, through the real binary: every case must end with exit 0 or 1 (never 101),
//! print nothing on stderr (no panic, no backtrace), and report its expected diagnostic.
//! Inputs are generated here, so nothing large is committed.

use std::path::Path;
use std::process::{Command, Output};

fn run(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_intransit"))
        .args(args)
        .current_dir(cwd)
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap()
}

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// Checks one file and returns its concise report after the common assertions.
fn check(dir: &Path, name: &str) -> String {
    let output = run(dir, &["check", name, "--format", "concise"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{name}: exit {:?}\n{stderr}",
        output.status.code()
    );
    // A file that is no template is not checked, and the run says so; nothing else is printed.
    let stderr = stderr.replace(
        "intransit: warning: no CloudFormation or Terraform found\n",
        "",
    );
    assert!(stderr.is_empty(), "{name}: stderr {stderr}");
    String::from_utf8(output.stdout).unwrap()
}

#[path = "hostile_cases.rs"]
mod cases;
use cases::{Case, HEADER, OPEN};

#[test]
fn hostile_files_get_a_diagnostic_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cases = cases::cases();
    for Case {
        name,
        bytes,
        expected,
    } in &cases
    {
        write(d, name, bytes);
        let report = check(d, name);
        if expected.is_empty() {
            assert_eq!(report, "", "{name}: expected nothing");
        } else {
            assert!(
                report.contains(expected),
                "{name}: expected `{expected}` in\n{report}"
            );
        }
    }
}

/// The attacks of several files (module fan-out, cycles, chains, large values) end in their
/// finding, never a crash, a hang or a silent pass.
#[test]
fn hostile_trees_get_their_finding() {
    let dir = tempfile::tempdir().unwrap();
    for tree in cases::trees() {
        let root = dir.path().join(tree.name);
        for (name, bytes) in &tree.files {
            write(&root, name, bytes);
        }
        let report = check(&root, ".");
        assert!(
            report.contains(tree.expected),
            "{}: expected `{}` in\n{}",
            tree.name,
            tree.expected,
            &report[..report.len().min(2000)]
        );
    }
    // The human report of a finding past column 65,535 (miette's limit) gives its position.
    let human = run(&dir.path().join("wide-line"), &["check", "."]);
    assert_eq!(
        human.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&human.stderr)
    );
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(
        text.contains("at wide.json:1:70142 (a line too long to show)"),
        "{text}"
    );
}

#[test]
#[ignore = "long (90,000 databases): `cargo test -- --ignored`, as .ci/run does"]
fn ninety_thousand_databases_in_one_template() {
    let dir = tempfile::tempdir().unwrap();
    let tree = cases::many_databases();
    for (name, bytes) in &tree.files {
        write(dir.path(), name, bytes);
    }
    let report = check(dir.path(), ".");
    assert_eq!(report.lines().count(), 90_000);
    assert!(report.contains(tree.expected));
}

#[test]
#[ignore = "long (writes 50 MB): `cargo test -- --ignored`, as .ci/run does"]
fn a_50_mb_template_is_refused_without_being_read() {
    let dir = tempfile::tempdir().unwrap();
    for case in cases::huge() {
        write(dir.path(), case.name, &case.bytes);
    }
    let report = check(dir.path(), ".");
    assert!(
        report.contains("huge.yaml:1:1: error[parse-error]"),
        "{report}"
    );
    assert!(report.contains("over the 10485760-byte limit"), "{report}");
    assert!(
        !report.contains("huge-data.json"),
        "a large non-template is skipped: {report}"
    );
    // The limit is configurable.
    write(dir.path(), "intransit.toml", "max-file-size = 104857600\n");
    let report = check(dir.path(), "huge.yaml");
    assert!(report.contains("rds-tls-not-enforced"), "{report}");
}

#[test]
#[ignore = "long (100,000 files): `cargo test -- --ignored`, as .ci/run does"]
fn symlink_loops_outside_links_and_many_empty_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "outside/db.yaml", OPEN);
    write(d, "repo/stacks/keep.txt", "");
    std::os::unix::fs::symlink(d.join("repo"), d.join("repo/stacks/loop")).unwrap();
    std::os::unix::fs::symlink(d.join("outside/db.yaml"), d.join("repo/stacks/linked.yaml"))
        .unwrap();
    for i in 0..100_000 {
        std::fs::File::create(d.join(format!("repo/stacks/empty-{i}.yaml"))).unwrap();
    }
    let report = check(&d.join("repo"), ".");
    // The loop is not followed; the linked file is read through its link; empty files are quiet.
    assert_eq!(report.lines().count(), 1, "{report}");
    assert!(
        report.starts_with("stacks/linked.yaml:4:11: error[rds-tls-not-enforced]"),
        "{report}"
    );
}

/// Through the library, as a walk would hand them over: a file deleted between the walk and
/// the read, a path that cannot be read as a file, and a file without read permission each
/// get an `io-error` at the file, and the other files are still checked.
#[test]
fn files_that_vanish_or_cannot_be_read_are_reported() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "ok.yaml", OPEN);
    write(d, "locked.yaml", OPEN);
    std::fs::create_dir(d.join("folder.yaml")).unwrap();
    let locked = d.join("locked.yaml");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    // Root reads any file; then the locked file is simply checked.
    let readable = std::fs::read(&locked).is_ok();
    let inputs: Vec<intransit::Input> = ["ok.yaml", "gone.yaml", "folder.yaml", "locked.yaml"]
        .iter()
        .map(|name| intransit::Input {
            path: d.join(name),
            display: name.to_string(),
            text: None,
            explicit: false,
        })
        .collect();
    let report = intransit::check(&inputs, &intransit::Settings::default());
    let got: Vec<(String, &str, usize)> = report
        .findings
        .in_memory()
        .iter()
        .map(|f| {
            let at = report.position(f.primary.span);
            (at.file.to_string(), f.rule.as_str(), at.line)
        })
        .collect();
    let mut want = vec![
        ("folder.yaml".to_string(), "io-error", 1),
        ("gone.yaml".to_string(), "io-error", 1),
        (
            "locked.yaml".to_string(),
            if readable {
                "rds-tls-not-enforced"
            } else {
                "io-error"
            },
            if readable { 4 } else { 1 },
        ),
        ("ok.yaml".to_string(), "rds-tls-not-enforced", 4),
    ];
    want.sort();
    assert_eq!(got, want);
    let gone = report
        .findings
        .in_memory()
        .iter()
        .find(|f| f.message.contains("No such file"));
    assert!(gone.is_some(), "{:#?}", report.findings);
}

/// Thirty templates that each include the next twice, forwarding its output through an
/// `Fn::If`, would be a tree of 2^30 stacks: it stops at 16 levels and 4096 templates, each
/// output is worked out once, and the cut is named rather than guessed.
#[test]
fn nested_stack_trees_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for i in 0..30 {
        let next = format!("t{}.yaml", i + 1);
        let text = format!(
            "{HEADER}Conditions:\n  Left: !Equals [!Ref AWS::Region, eu-west-1]\nResources:\n  \
             S1:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n      TemplateURL: {next}\n  \
             S2:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n      TemplateURL: ./{next}\n  \
             Db:\n    Type: AWS::RDS::DBInstance\n    Properties:\n      Engine: postgres\n      \
             EngineVersion: \"14.12\"\n      DBParameterGroupName: !GetAtt S1.Outputs.Group\n\
             Outputs:\n  Group:\n    Value: !If [Left, !GetAtt S1.Outputs.Group, !GetAtt S2.Outputs.Group]\n",
        );
        write(d, &format!("t{i}.yaml"), text);
    }
    write(d, "t30.yaml", OPEN);
    let report = check(d, ".");
    assert!(report.contains("t0.yaml"), "{report}");
    assert!(
        report.contains("nested stack deeper than 16 levels"),
        "{report}"
    );
}
