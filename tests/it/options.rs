//! The everyday options and the behaviour CI and pre-commit users rely on: `--force-exclude`,
//! `--diff` exit codes and JSON, character columns, widths, "nothing found", refused
//! combinations, colour, `-q`, `--statistics`, `--show-fixes`, `--select`/`--ignore`, "did you
//! mean", `explain` rendering, completions and the man page.

use std::path::Path;
use std::process::{Command, Output};

use crate::cli::{intransit, root, stderr, stdout, write, DISABLED_DB, OPEN_DB, SAFE_DB};

/// Runs the binary with extra environment variables.
fn intransit_env(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_intransit"));
    command.args(args).current_dir(cwd).env_remove("NO_COLOR");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().unwrap()
}

/// Runs the binary in a pseudo-terminal of `columns` columns (util-linux `script`), with TERM.
fn in_terminal(cwd: &Path, args: &str, columns: u16, term: &str) -> String {
    let binary = env!("CARGO_BIN_EXE_intransit");
    let output = Command::new("script")
        .args([
            "-qec",
            &format!("stty rows 24 cols {columns}; {binary} {args}"),
            "/dev/null",
        ])
        .current_dir(cwd)
        .env("TERM", term)
        .env_remove("NO_COLOR")
        .env_remove("FORCE_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .output()
        .expect("util-linux `script` runs");
    String::from_utf8_lossy(&output.stdout).replace('\r', "")
}

const ANSI: &str = "\u{1b}[";

/// The text without ANSI colour sequences.
fn strip_ansi(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn force_exclude_applies_the_excludes_to_named_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "intransit.toml", "exclude = [\"legacy/**\"]\n");
    write(d, "legacy/old.yaml", OPEN_DB);
    write(d, "stacks/new.yaml", SAFE_DB);
    // As pre-commit calls it: every changed file by name.
    let named = intransit(d, &["check", "legacy/old.yaml", "stacks/new.yaml"]);
    assert_eq!(
        named.status.code(),
        Some(1),
        "without it, a named file is checked"
    );
    let forced = intransit(
        d,
        &[
            "check",
            "--force-exclude",
            "legacy/old.yaml",
            "stacks/new.yaml",
        ],
    );
    assert_eq!(forced.status.code(), Some(0), "{}", stdout(&forced));
    assert!(
        stdout(&forced).contains("Checked 1 file"),
        "{}",
        stdout(&forced)
    );
    // Only the excluded file: nothing is checked, and the run says so.
    let only = intransit(d, &["check", "--force-exclude", "legacy/old.yaml"]);
    assert_eq!(only.status.code(), Some(0));
    assert!(stderr(&only).contains("no CloudFormation or Terraform found"));
    // The config can ask for it too, and the flag also covers `--stdin-filename`.
    write(
        d,
        "intransit.toml",
        "exclude = [\"legacy/**\"]\nforce-exclude = true\n",
    );
    let configured = intransit(d, &["check", "legacy/old.yaml"]);
    assert_eq!(configured.status.code(), Some(0));
    let hook = std::fs::read_to_string(root().join(".pre-commit-hooks.yaml")).unwrap();
    assert!(hook.contains("--force-exclude"), "the shipped hook uses it");
}

#[test]
fn diff_exits_1_when_it_would_change_a_file_or_errors_remain() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "db.yaml", DISABLED_DB);
    let pending = intransit(d, &["check", "--diff", "db.yaml"]);
    assert_eq!(pending.status.code(), Some(1));
    assert!(stderr(&pending).contains("would fix 1 finding in 1 file"));
    // Nothing to fix, but an error remains: still 1, as `check` exits.
    write(d, "db.yaml", OPEN_DB);
    let unfixable = intransit(d, &["check", "--diff", "db.yaml"]);
    assert_eq!(
        (unfixable.status.code(), stdout(&unfixable)),
        (Some(1), String::new())
    );
    write(d, "db.yaml", SAFE_DB);
    let clean = intransit(d, &["check", "--diff", "db.yaml"]);
    assert_eq!(clean.status.code(), Some(0));
    // With --format json the report carries the diff, and stays JSON.
    write(d, "db.yaml", DISABLED_DB);
    let json = intransit(d, &["check", "--diff", "--format", "json", "db.yaml"]);
    assert_eq!(json.status.code(), Some(1));
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(value["summary"]["findings"], 1);
    assert_eq!(value["diffs"][0]["file"], "db.yaml");
    assert!(value["diffs"][0]["diff"]
        .as_str()
        .unwrap()
        .contains("+        rds.force_ssl: \"1\""));
    let sarif = intransit(d, &["check", "--diff", "--format", "sarif", "db.yaml"]);
    assert_eq!(sarif.status.code(), Some(2));
    assert!(stderr(&sarif).contains("only json can carry it"));
    // An absolute path: `a/tmp/…`, not `a//tmp/…`.
    let absolute = d.join("db.yaml");
    let output = intransit(&root(), &["check", "--diff", absolute.to_str().unwrap()]);
    let text = stdout(&output);
    let expected = format!(
        "--- a/{}",
        absolute.to_str().unwrap().trim_start_matches('/')
    );
    assert!(text.starts_with(&expected), "{text}");
}

#[test]
fn human_columns_count_characters_like_every_other_format() {
    let dir = tempfile::tempdir().unwrap();
    let text = "AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n  Params:\n    Type: AWS::RDS::DBParameterGroup\n    Properties: {Family: postgres14, Description: \"Überprüfte Größe\", Parameters: {rds.force_ssl: \"0\"}}\n  Db:\n    Type: AWS::RDS::DBInstance\n    Properties: {Engine: postgres, EngineVersion: \"14.12\", DBParameterGroupName: !Ref Params}\n";
    write(dir.path(), "db.yaml", text);
    let concise = stdout(&intransit(
        dir.path(),
        &["check", "-f", "concise", "db.yaml"],
    ));
    let human = stdout(&intransit(dir.path(), &["check", "db.yaml"]));
    let at = concise.split(": ").next().unwrap();
    // Four two-byte letters before the value: column 99 in characters, 103 in bytes.
    assert_eq!(at, "db.yaml:5:99");
    assert!(human.contains(&format!("[{at}]")), "{human}");
}

#[test]
fn width_follows_the_terminal_or_line_width() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "db.yaml", DISABLED_DB);
    let widest = |text: &str| {
        let plain = strip_ansi(text);
        plain.lines().map(|l| l.chars().count()).max().unwrap_or(0)
    };
    let narrow = in_terminal(dir.path(), "check db.yaml", 80, "xterm");
    assert!(narrow.contains("rds-tls-disabled"), "{narrow}");
    assert!(widest(&narrow) <= 80, "{narrow}");
    assert!(narrow.contains(ANSI), "a terminal gets colour");
    let dumb = in_terminal(dir.path(), "check db.yaml", 80, "dumb");
    assert!(!dumb.contains(ANSI), "TERM=dumb gets none: {dumb}");
    // The message and help wrap; source lines in snippets are shown as they are.
    let piped = stdout(&intransit(
        dir.path(),
        &["check", "--line-width", "60", "db.yaml"],
    ));
    let prose: String = piped
        .lines()
        .filter(|l| l.starts_with("  × ") || l.starts_with("  │ ") || l.starts_with("  help:"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(
        prose.lines().count() >= 3 && widest(&prose) <= 60,
        "{piped}"
    );
    let refused = intransit(dir.path(), &["check", "--line-width", "10", "db.yaml"]);
    assert_eq!(refused.status.code(), Some(2));
}

#[test]
fn colour_follows_flags_then_environment() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "db.yaml", OPEN_DB);
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut all = vec!["check", "db.yaml"];
        all.extend_from_slice(args);
        stdout(&intransit_env(dir.path(), &all, env)).contains(ANSI)
    };
    assert!(!run(&[], &[]), "a pipe gets no colour");
    assert!(run(&[], &[("FORCE_COLOR", "1")]), "GitHub Actions logs");
    assert!(run(&[], &[("CLICOLOR_FORCE", "1")]));
    assert!(!run(&[], &[("FORCE_COLOR", "0")]));
    assert!(!run(&[], &[("FORCE_COLOR", "1"), ("NO_COLOR", "1")]));
    assert!(
        run(&["--color", "always"], &[("NO_COLOR", "1")]),
        "the flag wins"
    );
    assert!(!run(&["--color", "never"], &[("FORCE_COLOR", "1")]));
    assert!(!run(&["--no-color"], &[("FORCE_COLOR", "1")]));
}

#[test]
fn nothing_to_check_is_said_and_counts_are_of_templates() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("empty")).unwrap();
    let empty = intransit(d, &["check", "empty"]);
    assert_eq!(empty.status.code(), Some(0));
    assert_eq!(
        stderr(&empty),
        "intransit: warning: no CloudFormation or Terraform found\n"
    );
    write(
        d,
        "k8s/deploy.yaml",
        "apiVersion: apps/v1\nkind: Deployment\n",
    );
    write(d, "k8s/db.yaml", OPEN_DB);
    let counted = stdout(&intransit(d, &["check", "k8s"]));
    assert!(counted.contains("Checked 1 file (1 database)"), "{counted}");
    let quiet = intransit(d, &["check", "-q", "empty"]);
    assert_eq!(stderr(&quiet), "");
}

#[test]
fn combinations_that_mean_nothing_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "db.yaml", OPEN_DB);
    for (args, says) in [
        (vec!["check", "--unsafe-fixes", "db.yaml"], "--fix"),
        (
            vec!["check", "--stdin-filename", "x.yaml", "db.yaml"],
            "cannot be used with",
        ),
        (
            vec!["check", "--fix", "--diff", "db.yaml"],
            "cannot be used with",
        ),
        (
            vec!["check", "--statistics", "-f", "sarif", "db.yaml"],
            "--statistics",
        ),
        (
            vec!["check", "--select", "rds-tls-nope", "db.yaml"],
            "did you mean `rds-tls-not-enforced`",
        ),
        (
            vec!["check", "--write-baseline", "b.json", "--fix", "db.yaml"],
            "--write-baseline",
        ),
    ] {
        let output = intransit(dir.path(), &args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&output).contains(says),
            "{args:?}: {}",
            stderr(&output)
        );
    }
}

#[test]
fn quiet_statistics_select_and_ignore() {
    let cwd = root();
    let quiet = stdout(&intransit(&cwd, &["check", "-q", "demo"]));
    assert!(!quiet.contains("Checked "), "{quiet}");
    let statistics = intransit(&cwd, &["check", "--statistics", "demo"]);
    assert_eq!(
        statistics.status.code(),
        Some(1),
        "the exit code is the check's"
    );
    insta::assert_snapshot!("statistics", stdout(&statistics));
    let json = intransit(&cwd, &["check", "--statistics", "-f", "json", "demo"]);
    let rows: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert!(rows
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["count"].as_u64() > Some(0)));
    let selected = stdout(&intransit(
        &cwd,
        &[
            "check",
            "-f",
            "concise",
            "--select",
            "rds-tls-unverifiable",
            "demo",
        ],
    ));
    assert!(
        selected
            .lines()
            .all(|l| l.contains("[rds-tls-unverifiable]"))
            && !selected.is_empty(),
        "{selected}"
    );
    let ignored = intransit(
        &cwd,
        &[
            "check",
            "-f",
            "concise",
            "--ignore",
            "rds-tls-not-enforced,rds-tls-disabled",
            "--ignore=rds-tls-wrong-parameter",
            "demo",
        ],
    );
    assert!(!stdout(&ignored).contains("not-enforced]"));
    assert!(!stdout(&ignored).contains("tls-disabled]"));
}

#[test]
fn show_fixes_lists_what_is_available_and_what_was_applied() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "db.yaml", DISABLED_DB);
    let available = stdout(&intransit(
        dir.path(),
        &["check", "-f", "concise", "--show-fixes", "db.yaml"],
    ));
    assert!(
        available.contains(
            "1 fix available:\n  db.yaml:9:24: rds-tls-disabled: set rds.force_ssl to \"1\""
        ),
        "{available}"
    );
    let applied = intransit(
        dir.path(),
        &["check", "-f", "concise", "--fix", "--show-fixes", "db.yaml"],
    );
    assert_eq!(applied.status.code(), Some(0));
    assert!(
        stdout(&applied).contains("Fixed 1 finding:\n  db.yaml:9:24: rds-tls-disabled"),
        "{}",
        stdout(&applied)
    );
    assert!(stderr(&applied).contains("found 1 finding (1 fixed, 0 remaining); 1 file rewritten"));
}

#[test]
fn help_rules_explain_and_did_you_mean() {
    let cwd = root();
    let help = stdout(&intransit(&cwd, &["--help"]));
    assert!(help.contains("CloudFormation or Terraform does not guarantee TLS"));
    for format in ["human", "text"] {
        let rules = intransit(&cwd, &["rules", "--format", format]);
        assert_eq!(rules.status.code(), Some(0));
        assert!(stdout(&rules).starts_with("rds-tls-disabled"));
    }
    let typo = intransit(&cwd, &["explain", "rds-tls-not-enforce"]);
    assert_eq!(typo.status.code(), Some(2));
    assert!(stderr(&typo).contains("did you mean `rds-tls-not-enforced`?"));
    // Rendered for a terminal: headings, wrapped paragraphs, indented code, no Markdown marks.
    let page = in_terminal(&cwd, "explain rds-tls-disabled", 72, "dumb");
    assert!(page.starts_with("rds-tls-disabled\n"), "{page}");
    assert!(!page.contains("## "), "{page}");
    // Only code and a single unbreakable word (a long URL) may pass the width.
    let unbreakable = |l: &str| l.trim_start_matches(['•', ' ']).split(' ').count() == 1;
    assert!(
        page.lines()
            .all(|l| l.chars().count() <= 72 || l.starts_with("    ") || unbreakable(l)),
        "{page}"
    );
    assert!(page.contains("    Resources:"), "{page}");
    // A parse error's help names its page too.
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "bad.yaml",
        "AWSTemplateFormatVersion: \"2010-09-09\"\nResources: [\n",
    );
    let human = stdout(&intransit(dir.path(), &["check", "bad.yaml"]));
    assert!(
        human.contains("see `intransit explain parse-error`"),
        "{human}"
    );
    // A misspelt id in a suppression gets the nearest one.
    write(
        dir.path(),
        "db.yaml",
        &format!("{OPEN_DB}    # intransit:ignore rds-tls-not-enforce -- typo\n"),
    );
    let suppressed = stdout(&intransit(
        dir.path(),
        &["check", "-f", "concise", "db.yaml"],
    ));
    assert!(
        suppressed.contains("(did you mean `rds-tls-not-enforced`?)"),
        "{suppressed}"
    );
}

#[test]
fn completions_and_man_page_come_from_the_same_arguments() {
    let cwd = root();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let output = intransit(&cwd, &["completions", shell]);
        assert_eq!(output.status.code(), Some(0), "{shell}");
        assert!(stdout(&output).contains("force-exclude"), "{shell}");
    }
    let man = stdout(&intransit(&cwd, &["man"]));
    assert!(
        man.starts_with(".ie \\n(.g .ds Aq"),
        "{}",
        &man[..80.min(man.len())]
    );
    assert!(man.contains(".TH intransit"));
}
