//! The command line as users and scripts meet it: exit codes, formats, `-o`, bad paths,
//! discovery in a mixed repository, `--exclude`, `--stdin-filename`, `explain` and `rules`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub(crate) fn intransit(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_intransit"))
        .args(args)
        .current_dir(cwd)
        .env_remove("NO_COLOR")
        .output()
        .expect("the binary runs")
}

pub(crate) fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

pub(crate) fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// Runs the binary with `stdin` as its standard input.
pub(crate) fn intransit_with_stdin(cwd: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_intransit"))
        .args(args)
        .current_dir(cwd)
        .env_remove("NO_COLOR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

pub(crate) fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

pub(crate) const OPEN_DB: &str = "AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n  Db:\n    Type: AWS::RDS::DBInstance\n    Properties:\n      Engine: postgres\n      EngineVersion: \"14.12\"\n";
pub(crate) const SAFE_DB: &str = "AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n  Db:\n    Type: AWS::RDS::DBInstance\n    Properties:\n      Engine: postgres\n      EngineVersion: \"16.4\"\n";
const UNVERIFIABLE_DB: &str = "AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n  Db:\n    Type: AWS::RDS::DBInstance\n    Properties:\n      Engine: postgres\n      EngineVersion: \"16.4\"\n      DBParameterGroupName: !ImportValue shared-group\n";

#[test]
fn demo_directory_reports_its_findings() {
    let output = intransit(&root(), &["check", "demo", "--format", "concise"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    insta::assert_snapshot!(stdout(&output));
}

#[test]
fn a_mixed_repository_checks_only_templates() {
    // Kubernetes manifests (one broken), a workflow, package.json and node_modules sit beside
    // the one template: only the template is reported, nothing else makes noise.
    let cwd = root().join("fixtures/cli");
    let output = intransit(&cwd, &["check", "mixed-repository", "--format", "concise"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stderr(&output), "");
    insta::assert_snapshot!(stdout(&output));
    let json = intransit(&cwd, &["check", "mixed-repository", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    // Only stacks/db.yaml is a template: the k8s files and the workflow are read and
    // recognised as something else, so they are not counted; node_modules is not walked.
    assert_eq!(report["summary"]["files_scanned"], 1);
}

#[test]
fn exclude_globs_skip_paths() {
    let cwd = root().join("fixtures/cli");
    let output = intransit(
        &cwd,
        &[
            "check",
            "mixed-repository",
            "--exclude",
            "stacks/",
            "--format",
            "concise",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert_eq!(stdout(&output), "");
    let output = intransit(
        &cwd,
        &[
            "check",
            "mixed-repository",
            "--exclude",
            "*.yaml",
            "--format",
            "json",
        ],
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["summary"]["findings"], 0);
}

#[test]
fn exit_codes_follow_fail_on() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "safe.yaml", SAFE_DB);
    write(dir.path(), "warn/db.yaml", UNVERIFIABLE_DB);
    write(dir.path(), "open/db.yaml", OPEN_DB);
    let run = |args: &[&str]| intransit(dir.path(), args).status.code();
    assert_eq!(run(&["check", "safe.yaml"]), Some(0));
    assert_eq!(
        run(&["check", "warn"]),
        Some(0),
        "a warning does not fail by default"
    );
    assert_eq!(run(&["check", "warn", "--fail-on", "warning"]), Some(1));
    assert_eq!(run(&["check", "open"]), Some(1));
    assert_eq!(run(&["check", "open", "--fail-on", "never"]), Some(0));
    assert_eq!(run(&["check", "--fail-on", "sometimes"]), Some(2));
    assert_eq!(run(&["check", "--no-such-flag"]), Some(2));
}

#[test]
fn a_missing_path_is_exit_2_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let output = intransit(dir.path(), &["check", "nowhere/stack.yaml"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(stdout(&output), "");
    insta::assert_snapshot!(stderr(&output).replace(dir.path().to_str().unwrap(), "$TMP"));
}

#[test]
fn an_unreadable_file_in_a_directory_is_reported_and_the_rest_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "stacks/open.yaml", OPEN_DB);
    std::os::unix::fs::symlink(
        dir.path().join("gone.yaml"),
        dir.path().join("stacks/dangling.yaml"),
    )
    .unwrap();
    let output = intransit(dir.path(), &["check", "stacks", "--format", "concise"]);
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!(stdout(&output));
}

#[test]
fn output_file_receives_the_report() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "open.yaml", OPEN_DB);
    let output = intransit(
        dir.path(),
        &[
            "check",
            "open.yaml",
            "--format",
            "json",
            "-o",
            "report.json",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stdout(&output), "");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("report.json")).unwrap()).unwrap();
    assert_eq!(report["findings"][0]["rule"], "rds-tls-not-enforced");
    assert_eq!(report["findings"][0]["file"], "open.yaml");
    let output = intransit(
        dir.path(),
        &["check", "open.yaml", "-o", "missing-dir/report.txt"],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("cannot write the report to `missing-dir/report.txt`"));
}

#[test]
fn links_are_written_through_not_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "real/db.yaml", DISABLED_DB);
    std::os::unix::fs::symlink(d.join("real/db.yaml"), d.join("db.yaml")).unwrap();
    // A report sent to a device through a link is written to the device.
    std::os::unix::fs::symlink("/dev/null", d.join("sink")).unwrap();
    let output = intransit(d, &["check", "db.yaml", "-o", "sink"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(std::fs::symlink_metadata(d.join("sink"))
        .unwrap()
        .is_symlink());
    // A fix through a link rewrites the linked file and keeps the link.
    let output = intransit(d, &["check", "db.yaml", "--fix"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(std::fs::symlink_metadata(d.join("db.yaml"))
        .unwrap()
        .is_symlink());
    assert_eq!(
        std::fs::read_to_string(d.join("real/db.yaml")).unwrap(),
        DISABLED_DB.replace("\"0\"", "\"1\"")
    );
}

#[test]
fn human_output_is_plain_when_not_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "open.yaml", OPEN_DB);
    let output = intransit(dir.path(), &["check", "open.yaml"]);
    let text = stdout(&output);
    assert!(!text.contains('\u{1b}'), "no escape codes when piped");
    let summary = text.lines().last().unwrap();
    assert!(
        summary.starts_with("Checked 1 file (1 database): 1 error in "),
        "{summary}"
    );
    assert!(summary.ends_with(" ms."), "{summary}");
}

#[test]
fn stdin_filename_reports_the_text_under_that_path() {
    let dir = tempfile::tempdir().unwrap();
    let output = intransit_with_stdin(
        dir.path(),
        &[
            "check",
            "--stdin-filename",
            "stacks/db.yaml",
            "--format",
            "concise",
        ],
        OPEN_DB,
    );
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!(stdout(&output));
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_intransit"))
        .args(["check", "fixtures/cloudformation"])
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    // The findings decide the exit code, not the reader that went away.
    assert_eq!(output.status.code(), Some(1), "no panic, and still exit 1");
    assert_eq!(stderr(&output), "");
}

#[test]
fn explain_prints_the_rule_page() {
    let output = intransit(
        &root(),
        &["explain", "rds-tls-not-enforced", "--format", "markdown"],
    );
    assert_eq!(output.status.code(), Some(0));
    let page = stdout(&output);
    assert!(page.starts_with("# rds-tls-not-enforced"));
    for heading in [
        "## What it checks",
        "## Why",
        "## Example",
        "## How to fix",
        "## References",
    ] {
        assert!(page.contains(heading), "missing {heading}");
    }
    let output = intransit(&root(), &["explain", "rds-tls-nope"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("unknown rule `rds-tls-nope`"));
}

#[test]
fn rules_lists_every_finding_id() {
    let output = intransit(&root(), &["rules"]);
    insta::assert_snapshot!(stdout(&output));
    let output = intransit(&root(), &["rules", "--format", "json"]);
    let rules: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(rules.as_array().unwrap().len(), 10);
    assert_eq!(rules[0]["id"], "rds-tls-disabled");
}

#[test]
fn naming_one_tf_file_checks_its_whole_module() {
    // pre-commit passes single files: the finding lives in prod.auto.tfvars, beside main.tf.
    let output = intransit(
        &root(),
        &[
            "check",
            "fixtures/terraform/variables-tfvars/main.tf",
            "--format",
            "concise",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!(stdout(&output));
}

#[test]
fn child_modules_are_checked_through_their_callers_only() {
    let output = intransit(
        &root(),
        &[
            "check",
            "fixtures/terraform/local-modules",
            "--format",
            "json",
        ],
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let names: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["resource"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "module.billing_db.aws_db_instance.this",
            "aws_db_instance.archive"
        ]
    );
}

#[test]
fn var_files_override_defaults_in_order() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "main.tf",
        "variable \"tls\" {\n  default = \"1\"\n}\n\nresource \"aws_db_parameter_group\" \"pg\" {\n  family = \"postgres14\"\n  parameter {\n    name  = \"rds.force_ssl\"\n    value = var.tls\n  }\n}\n\nresource \"aws_db_instance\" \"db\" {\n  engine               = \"postgres\"\n  engine_version       = \"14.12\"\n  parameter_group_name = aws_db_parameter_group.pg.name\n}\n",
    );
    write(dir.path(), "env/dev.tfvars", "tls = \"0\"\n");
    write(dir.path(), "env/prod.tfvars", "tls = \"1\"\n");
    let run = |args: &[&str]| intransit(dir.path(), args);
    assert_eq!(run(&["check", "."]).status.code(), Some(0));
    let dev = run(&[
        "check",
        ".",
        "--var-file",
        "env/dev.tfvars",
        "--format",
        "concise",
    ]);
    assert_eq!(dev.status.code(), Some(1));
    insta::assert_snapshot!(stdout(&dev));
    let last_wins = run(&[
        "check",
        ".",
        "--var-file",
        "env/dev.tfvars",
        "--var-file",
        "env/prod.tfvars",
    ]);
    assert_eq!(last_wins.status.code(), Some(0));
    let missing = run(&["check", ".", "--var-file", "env/none.tfvars"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("cannot read --var-file `env/none.tfvars`"));
}

#[test]
fn stdin_filename_replaces_a_tf_file_in_its_module() {
    // The editor's unsaved buffer fixes the group; the file on disk still disables TLS.
    let dir = tempfile::tempdir().unwrap();
    let on_disk = "resource \"aws_db_parameter_group\" \"pg\" {\n  family = \"postgres14\"\n  parameter {\n    name  = \"rds.force_ssl\"\n    value = \"0\"\n  }\n}\n";
    write(dir.path(), "infra/groups.tf", on_disk);
    write(dir.path(), "infra/db.tf", "resource \"aws_db_instance\" \"db\" {\n  engine               = \"postgres\"\n  engine_version       = \"14.12\"\n  parameter_group_name = aws_db_parameter_group.pg.name\n}\n");
    assert_eq!(
        intransit(dir.path(), &["check", "infra"]).status.code(),
        Some(1)
    );
    let buffer = on_disk.replace("\"0\"", "\"1\"");
    let output = intransit_with_stdin(
        dir.path(),
        &[
            "check",
            "--stdin-filename",
            "infra/groups.tf",
            "--format",
            "concise",
        ],
        &buffer,
    );
    assert_eq!(stdout(&output), "");
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn a_long_chain_of_locals_is_unverifiable_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("locals {\n");
    for i in 0..20_000 {
        text.push_str(&format!("  l{i} = local.l{}\n", i + 1));
    }
    text.push_str("  l20000 = \"14.12\"\n}\n\nresource \"aws_db_instance\" \"db\" {\n  engine         = \"postgres\"\n  engine_version = local.l0\n}\n");
    write(dir.path(), "main.tf", &text);
    let output = intransit(dir.path(), &["check", ".", "--format", "concise"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("warning[rds-tls-unverifiable]"),
        "{}",
        stdout(&output)
    );
    assert!(
        stdout(&output).contains("nested too deeply"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn github_annotations_for_the_demo() {
    let output = intransit(&root(), &["check", "demo", "--format", "github"]);
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!(stdout(&output));
}

#[test]
fn junit_lists_every_database_and_a_failure_per_finding() {
    let output = intransit(
        &root(),
        &[
            "check",
            "demo",
            "fixtures/cloudformation/parse-error-json.json",
            "--format",
            "junit",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    let xml = stdout(&output);
    // Every database checked is a test case, passing ones included.
    assert!(xml.contains(r#"<testcase name="Events" classname="demo/analytics/stack.yaml"/>"#));
    assert!(xml.contains(r#"<error type="parse-error""#));
    insta::assert_snapshot!(xml);
}

const TOML_DB: &str = "AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n  Db:\n    Type: AWS::RDS::DBInstance\n    Properties:\n      Engine: postgres\n      EngineVersion: \"16.4\"\n";

#[test]
fn config_is_found_in_parent_directories_and_its_paths_are_relative_to_it() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "intransit.toml",
        "exclude = [\"stacks/legacy/\"]\nrequire-explicit = true\n\n[severity]\nrds-tls-unverifiable = \"error\"\n",
    );
    write(dir.path(), "stacks/legacy/db.yaml", OPEN_DB);
    write(dir.path(), "stacks/app/db.yaml", TOML_DB);
    write(dir.path(), "stacks/app/shared.yaml", UNVERIFIABLE_DB);
    let app = dir.path().join("stacks/app");
    let output = intransit(&app, &["check", "..", "--format", "concise"]);
    // legacy/ is excluded by the parent's config; require-explicit flags PostgreSQL 16's
    // default; the unverifiable warning is raised to an error.
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!(stdout(&output));
}

#[test]
fn command_line_options_override_the_config() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "intransit.toml",
        "fail-on = \"never\"\n\n[severity]\nrds-tls-not-enforced = \"off\"\n",
    );
    write(dir.path(), "open.yaml", OPEN_DB);
    write(dir.path(), "warn.yaml", UNVERIFIABLE_DB);
    let code = |args: &[&str]| intransit(dir.path(), args).status.code();
    // off: the finding is gone; never: the warning does not fail.
    assert_eq!(code(&["check", "."]), Some(0));
    assert_eq!(code(&["check", ".", "--fail-on", "warning"]), Some(1));
    let json = intransit(dir.path(), &["check", ".", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["summary"]["findings"], 1);
    // --config names another file; the nearest one is then not read.
    write(dir.path(), "strict.toml", "fail-on = \"warning\"\n");
    assert_eq!(code(&["check", ".", "--config", "strict.toml"]), Some(1));
}

#[test]
fn config_var_files_are_relative_to_the_config() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "intransit.toml",
        "var-files = [\"env/dev.tfvars\"]\n",
    );
    write(dir.path(), "env/dev.tfvars", "version = \"14.12\"\n");
    write(dir.path(), "infra/main.tf", "variable \"version\" {\n  default = \"16.4\"\n}\n\nresource \"aws_db_instance\" \"db\" {\n  engine         = \"postgres\"\n  engine_version = var.version\n}\n");
    let output = intransit(
        &dir.path().join("infra"),
        &["check", ".", "--format", "concise"],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("(PostgreSQL 14.12)"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn config_errors_are_exit_2_and_point_at_the_line() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "open.yaml", OPEN_DB);
    let mut messages = Vec::new();
    for (name, text) in [
        ("unknown key", "exclude = []\nfail_on = \"error\"\n"),
        ("wrong type", "require-explicit = \"yes\"\n"),
        ("bad value", "fail-on = \"sometimes\"\n"),
        (
            "unknown rule",
            "[severity]\nrds-tls-unverifiable = \"error\"\nrds-tls-nope = \"off\"\n",
        ),
    ] {
        write(dir.path(), "intransit.toml", text);
        let output = intransit(dir.path(), &["check", "open.yaml"]);
        assert_eq!(output.status.code(), Some(2), "{name}");
        assert_eq!(stdout(&output), "", "{name}");
        messages.push(format!(
            "--- {name}\n{}",
            stderr(&output).replace(dir.path().to_str().unwrap(), "$TMP")
        ));
    }
    let output = intransit(
        dir.path(),
        &["check", "open.yaml", "--config", "missing.toml"],
    );
    assert_eq!(output.status.code(), Some(2));
    messages.push(format!("--- missing --config\n{}", stderr(&output)));
    insta::assert_snapshot!(messages.join("\n"));
}

#[test]
fn a_baseline_hides_todays_findings_and_shows_new_ones() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "stacks/old.yaml", OPEN_DB);
    let recorded = intransit(
        dir.path(),
        &[
            "check",
            "stacks",
            "--write-baseline",
            "baseline.json",
            "--format",
            "concise",
        ],
    );
    assert_eq!(
        recorded.status.code(),
        Some(0),
        "recording accepts today's findings"
    );
    assert!(stderr(&recorded).contains("recorded 1 finding in baseline.json"));
    insta::assert_snapshot!(std::fs::read_to_string(dir.path().join("baseline.json")).unwrap());

    // An edit above the finding moves its line; it stays hidden.
    let moved = OPEN_DB.replace(
        "Resources:\n",
        "Description: moved down\nMetadata: {}\nResources:\n",
    );
    write(dir.path(), "stacks/old.yaml", &moved);
    let output = intransit(
        dir.path(),
        &[
            "check",
            "stacks",
            "--baseline",
            "baseline.json",
            "--format",
            "json",
        ],
    );
    assert_eq!(output.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["summary"]["findings"], 0);
    assert_eq!(report["summary"]["suppressed"], 1);

    // A new database with the same problem is reported.
    write(dir.path(), "stacks/new.yaml", OPEN_DB);
    let output = intransit(
        dir.path(),
        &[
            "check",
            "stacks",
            "--baseline",
            "baseline.json",
            "--format",
            "concise",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).starts_with("stacks/new.yaml:"),
        "{}",
        stdout(&output)
    );

    let missing = intransit(dir.path(), &["check", "stacks", "--baseline", "nope.json"]);
    assert_eq!(missing.status.code(), Some(2));
    write(
        dir.path(),
        "bad.json",
        "{\"version\": 1, \"findings\": [{\"rule\": 3}]}",
    );
    let invalid = intransit(dir.path(), &["check", "stacks", "--baseline", "bad.json"]);
    assert_eq!(invalid.status.code(), Some(2));
    assert!(
        stderr(&invalid).contains("invalid baseline `bad.json`"),
        "{}",
        stderr(&invalid)
    );
}

pub(crate) const DISABLED_DB: &str = "AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n  Params:\n    Type: AWS::RDS::DBParameterGroup\n    Properties:\n      Family: postgres14\n      Description: x\n      Parameters:\n        rds.force_ssl: \"0\"   # was off\n  Db:\n    Type: AWS::RDS::DBInstance\n    Properties:\n      Engine: postgres\n      EngineVersion: \"14.12\"\n      DBParameterGroupName: !Ref Params\n";

#[test]
fn fix_rewrites_files_in_place_and_keeps_their_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "db.yaml", DISABLED_DB);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    let broken = write(
        dir.path(),
        "broken.yaml",
        "AWSTemplateFormatVersion: \"2010-09-09\"\nResources: [\n",
    );
    let output = intransit(dir.path(), &["check", ".", "--fix", "--format", "concise"]);
    // The parse error still fails the run; the fixable finding is gone.
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("found 2 findings (1 fixed, 1 remaining); 1 file rewritten"),
        "{}",
        stderr(&output)
    );
    assert_eq!(stdout(&output).lines().count(), 1, "{}", stdout(&output));
    assert!(stdout(&output).contains("parse-error"));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        DISABLED_DB.replace("\"0\"", "\"1\"")
    );
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o640
    );
    assert_eq!(
        std::fs::read_to_string(&broken).unwrap(),
        "AWSTemplateFormatVersion: \"2010-09-09\"\nResources: [\n"
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 2, "no temporary files left: {leftovers:?}");
    // A second --fix changes nothing.
    let again = intransit(dir.path(), &["check", "db.yaml", "--fix"]);
    assert_eq!(again.status.code(), Some(0));
    assert!(
        stderr(&again).contains("found 0 findings (0 fixed, 0 remaining); 0 files rewritten"),
        "{}",
        stderr(&again)
    );
}

#[test]
fn fix_refuses_read_only_files() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "db.yaml", DISABLED_DB);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
    let output = intransit(
        dir.path(),
        &["check", "db.yaml", "--fix", "--format", "concise"],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("not fixed `db.yaml`: the file is read-only"),
        "{}",
        stderr(&output)
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), DISABLED_DB);
    assert!(
        stdout(&output).contains("rds-tls-disabled"),
        "the finding is still reported"
    );
}

#[test]
fn diff_prints_the_fixes_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "db.yaml", DISABLED_DB);
    let output = intransit(dir.path(), &["check", ".", "--diff"]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "a diff means fixes are pending"
    );
    insta::assert_snapshot!(stdout(&output));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), DISABLED_DB);
    write(
        dir.path(),
        "db.yaml",
        &DISABLED_DB.replace("\"0\"", "\"1\""),
    );
    let clean = intransit(dir.path(), &["check", ".", "--diff"]);
    assert_eq!(
        (clean.status.code(), stdout(&clean)),
        (Some(0), String::new())
    );
}

#[test]
fn fix_with_stdin_prints_the_fixed_text() {
    let dir = tempfile::tempdir().unwrap();
    let output = intransit_with_stdin(
        dir.path(),
        &["check", "--stdin-filename", "stacks/db.yaml", "--fix"],
        DISABLED_DB,
    );
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stdout(&output), DISABLED_DB.replace("\"0\"", "\"1\""));
    assert_eq!(stderr(&output), "");
}
