//! The README's commands as written: every `intransit …` line in its `sh` blocks parses (run in
//! an empty directory, a line may fail for a missing path, never for its options), and the
//! first two commands (demo and tests) are the ones `.ci/run` runs.

use std::process::Command;

/// Shell words of one command line: up to a comment, pipe or redirection; single and double
/// quotes group.
fn words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote = None;
    let mut started = false;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                started = true;
            }
            (None, '#' | '|' | '<' | '>' | '&') => break,
            (None, c) if c.is_whitespace() => {
                if started || !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                    started = false;
                }
            }
            (None, c) => word.push(c),
        }
    }
    if started || !word.is_empty() {
        words.push(word);
    }
    words
}

fn sh_lines(markdown: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut in_sh = false;
    for line in markdown.lines() {
        if line.starts_with("```") {
            in_sh = line.trim() == "```sh";
            continue;
        }
        if in_sh {
            lines.push(line.to_string());
        }
    }
    lines
}

#[test]
fn every_readme_command_parses() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let lines = sh_lines(&readme);
    assert!(
        lines[0].starts_with("cargo run --release -- check demo")
            && lines[1].starts_with("cargo test"),
        "the README starts with the demo and test commands: {lines:?}"
    );
    let dir = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for line in &lines {
        // Commands after `&&` or in a pipeline start a new command.
        for part in line.split("&& ") {
            let words = words(part.trim());
            if words.first().map(String::as_str) != Some("intransit") {
                continue;
            }
            let output = Command::new(env!("CARGO_BIN_EXE_intransit"))
                .args(&words[1..])
                .current_dir(dir.path())
                .stdin(std::process::Stdio::null())
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(
                !stderr.starts_with("error:"),
                "README: `{}` does not parse:\n{stderr}",
                part.trim()
            );
            assert_ne!(output.status.code(), Some(101), "{part}");
            checked += 1;
        }
    }
    assert!(checked >= 30, "only {checked} commands found");
}
