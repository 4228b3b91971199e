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
    assert!(stderr.is_empty(), "{name}: stderr {stderr}");
    String::from_utf8(output.stdout).unwrap()
}

const HEADER: &str = "AWSTemplateFormatVersion: \"2010-09-09\"\n";
const OPEN: &str = "AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n  Db:\n    Type: AWS::RDS::DBInstance\n    Properties:\n      Engine: postgres\n      EngineVersion: \"14.12\"\n";

#[test]
fn hostile_files_get_a_diagnostic_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut cases: Vec<(&str, Vec<u8>, &str)> = Vec::new();

    let mut bomb = String::from(HEADER);
    bomb.push_str("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let p = format!("*a{}", i - 1);
        bomb.push_str(&format!("a{i}: &a{i} [{}]\n", vec![p; 10].join(", ")));
    }
    cases.push((
        "alias-bomb.yaml",
        bomb.into_bytes(),
        "aliases expand to more than 100000 nodes",
    ));
    let deep =
        |open: &str, close: &str| format!("{}{}", open.repeat(100_000), close.repeat(100_000));
    cases.push((
        "deep.json",
        format!(
            "{{\"AWSTemplateFormatVersion\": \"2010-09-09\", \"Resources\": {}}}",
            deep("[", "]")
        )
        .into_bytes(),
        "nest deeper than 256 levels",
    ));
    cases.push((
        "deep.yaml",
        format!("{HEADER}Resources: {}", deep("[", "]")).into_bytes(),
        "nest deeper than 256 levels",
    ));
    cases.push((
        "deep/main.tf",
        format!("locals {{\n  x = {}\n}}\n", deep("[", "]")).into_bytes(),
        "nest deeper than 256 levels",
    ));
    cases.push((
        "dupe.yaml",
        format!("{HEADER}Resources:\n  A: 1\n  A: 2\n").into_bytes(),
        "duplicate key `A`",
    ));
    cases.push((
        "list.yaml",
        format!("{HEADER}Resources:\n  - Db\n").into_bytes(),
        "`Resources` must be a map",
    ));
    cases.push((
        "scalar.yaml",
        format!("{HEADER}Resources: nothing\n").into_bytes(),
        "`Resources` must be a map",
    ));
    cases.push((
        "params-string.yaml",
        format!("{HEADER}Resources:\n  P:\n    Type: AWS::RDS::DBParameterGroup\n    Properties: {{Family: postgres14, Description: x, Parameters: rds.force_ssl=1}}\n  Db:\n    Type: AWS::RDS::DBInstance\n    Properties: {{Engine: postgres, EngineVersion: \"14.12\", DBParameterGroupName: !Ref P}}\n").into_bytes(),
        "warning[rds-tls-unverifiable]",
    ));
    let mut invalid = OPEN.as_bytes().to_vec();
    invalid.extend([0xC3, 0x28, b'\n']);
    cases.push(("invalid-utf8.yaml", invalid, "invalid-utf8.yaml:8:1: error[parse-error] cannot parse this file: the file is not valid UTF-8 (byte 155)"));
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(OPEN.encode_utf16().flat_map(u16::to_le_bytes));
    cases.push((
        "utf16.yaml",
        utf16,
        "utf16.yaml:4:11: error[rds-tls-not-enforced]",
    ));
    cases.push((
        "bom.yaml",
        format!("\u{feff}{OPEN}").into_bytes(),
        "bom.yaml:4:11: error[rds-tls-not-enforced]",
    ));
    cases.push((
        "crlf.yaml",
        OPEN.replace('\n', "\r\n").into_bytes(),
        "crlf.yaml:4:11: error[rds-tls-not-enforced]",
    ));
    cases.push((
        "lone-cr.yaml",
        OPEN.replace('\n', "\r").into_bytes(),
        "lone-cr.yaml:4:11: error[rds-tls-not-enforced]",
    ));
    cases.push((
        "attribute/main.tf",
        b"resource \"aws_db_parameter_group\" \"pg\" {\n  family    = \"postgres14\"\n  parameter = [{ name = \"rds.force_ssl\", value = \"0\" }]\n}\n\nresource \"aws_db_instance\" \"db\" {\n  engine               = \"postgres\"\n  engine_version       = \"14.12\"\n  parameter_group_name = aws_db_parameter_group.pg.name\n}\n".to_vec(),
        "main.tf:3:50: error[rds-tls-disabled]",
    ));
    for (name, bytes, expected) in &cases {
        write(d, name, bytes);
        let report = check(d, name);
        assert!(
            report.contains(expected),
            "{name}: expected `{expected}` in\n{report}"
        );
    }

    // Skipped quietly: an empty file, a binary file named .yaml, random JSON.
    for (name, bytes) in [
        ("empty.yaml", Vec::new()),
        ("binary.yaml", (0..=255u8).cycle().take(4096).collect()),
        ("data.json", b"{\"a\": [1, 2]}".to_vec()),
    ] {
        write(d, name, &bytes);
        assert_eq!(check(d, name), "", "{name}");
    }
}

#[test]
fn a_50_mb_template_is_refused_without_being_read() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from(OPEN);
    let line = "# padding padding padding padding padding padding padding padding\n";
    while text.len() < 50 * 1024 * 1024 {
        text.push_str(line);
    }
    write(dir.path(), "huge.yaml", &text);
    write(
        dir.path(),
        "huge-data.json",
        format!("[{}1]", "1, ".repeat(20 * 1024 * 1024)),
    );
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
        .iter()
        .find(|f| f.message.contains("No such file"));
    assert!(gone.is_some(), "{:#?}", report.findings);
}
