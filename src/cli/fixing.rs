//! `--fix` and `--diff`: fixes computed in memory by the library, then written (atomically,
//! keeping permissions, refusing read-only files and files changed since they were read) or
//! shown as a unified diff.

use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};

use super::args::Format;
use super::run::{exit_code, plural, render_and_exit, Run};
use super::write;
use intransit::report;
use intransit::source::display_path;

pub fn run(run: &Run) -> Result<ExitCode> {
    let args = &run.args;
    let fixed = intransit::pipeline::fix_all(&run.inputs, &run.settings, args.unsafe_fixes);
    if args.diff {
        return diff(run, &fixed);
    }
    if args.stdin_filename.is_some() {
        // Editors: the fixed buffer on stdout, the remaining findings on stderr.
        let text = match fixed.files.first() {
            Some((_, _, after)) => after.clone(),
            None => run
                .inputs
                .first()
                .and_then(|i| i.text.clone())
                .unwrap_or_default(),
        };
        io::stdout().lock().write_all(text.as_bytes())?;
        let mut buffer = Vec::new();
        report::concise::render(&fixed.report, &mut buffer)?;
        io::stderr().lock().write_all(&buffer)?;
        return Ok(exit_code(&fixed.report, run.fail_on));
    }
    let mut written = 0;
    for (path, before, after) in &fixed.files {
        let shown = display_path(path, &run.cwd);
        match write_fixed(path, before, after) {
            Ok(()) => written += 1,
            Err(why) => eprintln!("intransit: not fixed `{shown}`: {why}"),
        }
    }
    // Report what is on disk now, whatever could or could not be written.
    let report = intransit::check(&run.inputs, &run.settings);
    if !args.quiet {
        let remaining = report.findings.len();
        let fixes = if written == fixed.files.len() {
            fixed.fixes.len()
        } else {
            // Some files could not be written: count what is gone from the report.
            fixed.initial.findings.len().saturating_sub(remaining)
        };
        eprintln!(
            "intransit: found {} ({fixes} fixed, {remaining} remaining); {} rewritten",
            plural(fixes + remaining, "finding"),
            plural(written, "file")
        );
    }
    render_and_exit(run, &report, &fixed.fixes)
}

/// `--diff`: the unified diff on stdout (or inside the JSON report), nothing written. Exits as
/// `check` does, and 1 when a file would change.
fn diff(run: &Run, fixed: &intransit::pipeline::Fixed) -> Result<ExitCode> {
    let args = &run.args;
    let diffs: Vec<(String, String)> = fixed
        .files
        .iter()
        .map(|(path, before, after)| {
            let shown = display_path(path, &run.cwd);
            // `a//tmp/x.yaml` for an absolute path would not apply with `patch -p1`.
            let relative = shown.trim_start_matches('/');
            let text = similar::TextDiff::from_lines(before.as_str(), after.as_str())
                .unified_diff()
                .header(&format!("a/{relative}"), &format!("b/{relative}"))
                .to_string();
            (shown, text)
        })
        .collect();
    let mut text = Vec::new();
    if args.format == Format::Json {
        let mut buffer = Vec::new();
        report::json::render(&fixed.initial, &mut buffer)?;
        let mut value: serde_json::Value = serde_json::from_slice(&buffer)?;
        value["diffs"] = diffs
            .iter()
            .map(|(file, diff)| serde_json::json!({ "file": file, "diff": diff }))
            .collect();
        serde_json::to_writer_pretty(&mut text, &value)?;
        text.push(b'\n');
    } else {
        for (_, diff) in &diffs {
            text.extend_from_slice(diff.as_bytes());
        }
    }
    let written = match &args.output {
        Some(path) => write::atomically(path, &text, None)
            .with_context(|| format!("cannot write the diff to `{}`", path.display())),
        None => io::stdout().lock().write_all(&text).map_err(Into::into),
    };
    match written {
        Err(error) if super::run::is_broken_pipe(&error) => {}
        other => other?,
    }
    if !args.quiet && args.format != Format::Json {
        eprintln!(
            "intransit: would fix {} in {}",
            plural(fixed.fixes.len(), "finding"),
            plural(diffs.len(), "file")
        );
    }
    let code = exit_code(&fixed.initial, run.fail_on);
    Ok(if diffs.is_empty() {
        code
    } else {
        ExitCode::from(1)
    })
}

/// Writes a fixed file only if it still holds the text the fix was computed from and is not
/// read-only; through a temporary file and a rename, or in place when the file has other hard
/// links, extended attributes or an owner the new file could not have (`write::replace_file`).
fn write_fixed(path: &Path, before: &str, after: &str) -> Result<(), String> {
    // Through a symlink, the file it points at is rewritten; the link stays a link.
    let path = &std::fs::canonicalize(path).map_err(|e| e.to_string())?;
    let metadata = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if metadata.permissions().readonly() {
        return Err("the file is read-only".into());
    }
    let now = intransit::source::read_regular(path, before.len() as u64 * 4 + 16)
        .map_err(|e| e.to_string())?;
    if now != before.as_bytes() {
        return Err("the file changed since it was read".into());
    }
    write::replace_file(path, after.as_bytes()).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_changed_since_it_was_read_is_not_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.yaml");
        std::fs::write(&path, "edited meanwhile").unwrap();
        let refused = write_fixed(&path, "as read", "fixed").unwrap_err();
        assert_eq!(refused, "the file changed since it was read");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "edited meanwhile");
    }
}
