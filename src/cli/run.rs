//! Runs a parsed command line. The only place that prints, reads stdin or decides exit codes.

use std::io::{self, IsTerminal, Read, Write};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Parser;

use super::args::{CheckArgs, Cli, Command, FailOn, Format, RulesFormat};
use super::config::{self, FailOnValue};
use super::discovery::{discover, Exclude};
use intransit::diagnostic::docs;
use intransit::diagnostic::{RuleId, Severity};
use intransit::report::{self, human};
use intransit::source::display_path;
use intransit::{Input, Settings};

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() { 2 } else { 0 });
        }
    };
    let outcome = match cli.command {
        Command::Check(args) => check(args),
        Command::Explain { rule } => explain(&rule),
        Command::Rules { format } => rules(format),
    };
    match outcome {
        Ok(code) => code,
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("intransit: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .downcast_ref::<io::Error>()
        .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
}

fn check(args: CheckArgs) -> Result<ExitCode> {
    let started = Instant::now();
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    // Command-line options override the config file; `--exclude` globs add to its list.
    let loaded = config::load(args.config.as_deref(), &cwd)?;
    let (file, config_dir) = match &loaded {
        Some(loaded) => (&loaded.config, loaded.dir.clone()),
        None => (&config::Config::default(), cwd.clone()),
    };
    let mut excludes: Vec<Exclude> = file
        .exclude
        .iter()
        .map(|glob| Exclude {
            root: config_dir.clone(),
            glob: glob.clone(),
        })
        .collect();
    excludes.extend(args.exclude.iter().map(|glob| Exclude {
        root: cwd.clone(),
        glob: glob.clone(),
    }));
    let var_files: Vec<std::path::PathBuf> = if args.var_file.is_empty() {
        file.var_files.iter().map(|p| config_dir.join(p)).collect()
    } else {
        args.var_file.clone()
    };
    let fail_on = args.fail_on.unwrap_or(match file.fail_on {
        Some(FailOnValue::Warning) => FailOn::Warning,
        Some(FailOnValue::Never) => FailOn::Never,
        Some(FailOnValue::Error) | None => FailOn::Error,
    });
    let inputs = match &args.stdin_filename {
        Some(path) => {
            let mut text = String::new();
            io::stdin()
                .read_to_string(&mut text)
                .context("cannot read the file's text from stdin")?;
            vec![Input {
                path: path.clone(),
                display: display_path(path, &cwd),
                text: Some(text),
                explicit: true,
            }]
        }
        None => {
            let found = discover(&args.paths, &excludes, &cwd)?;
            for warning in &found.warnings {
                eprintln!("intransit: warning: {warning}");
            }
            found.inputs
        }
    };
    for var_file in &var_files {
        std::fs::metadata(var_file)
            .with_context(|| format!("cannot read --var-file `{}`", var_file.display()))?;
    }
    let baseline = match &args.baseline {
        Some(path) => {
            let text = std::fs::read(path)
                .with_context(|| format!("cannot read --baseline `{}`", path.display()))?;
            let baseline: intransit::baseline::Baseline = serde_json::from_slice(&text)
                .with_context(|| format!("invalid baseline `{}`", path.display()))?;
            Some(baseline)
        }
        None => None,
    };
    let settings = Settings {
        baseline,
        require_explicit: args.require_explicit || file.require_explicit.unwrap_or(false),
        severity: file.severities().into_iter().collect(),
        max_file_size: file
            .max_file_size
            .unwrap_or(intransit::settings::DEFAULT_MAX_FILE_SIZE),
        max_nesting: file
            .max_nesting
            .unwrap_or(intransit::settings::DEFAULT_MAX_NESTING),
        var_files,
        base: cwd.clone(),
        ..Settings::default()
    };
    if args.fix || args.diff {
        return fix(&args, &inputs, &settings, &cwd);
    }
    let report = intransit::check(&inputs, &settings);

    render_and_exit(&args, &report, started, fail_on)
}

/// Renders the report where `-o` says (stdout by default) and turns it into an exit code.
fn render_and_exit(
    args: &CheckArgs,
    report: &intransit::Report,
    started: Instant,
    fail_on: FailOn,
) -> Result<ExitCode> {
    let to_terminal = args.output.is_none() && io::stdout().is_terminal();
    let no_color_env = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    // Streamed to the destination as it is rendered; a report file appears whole or not at all.
    let render = |out: &mut dyn Write| -> io::Result<()> {
        match args.format {
            Format::Human => human::render(
                report,
                &human::Options {
                    color: to_terminal && !args.no_color && !no_color_env,
                    width: 100,
                    elapsed: Some(started.elapsed()),
                },
                out,
            ),
            Format::Concise => report::concise::render(report, out),
            Format::Json => report::json::render(report, out),
            Format::Sarif => report::sarif::render(report, out),
            Format::Github => report::github::render(report, out),
            Format::Junit => report::junit::render(report, out),
        }
    };
    match &args.output {
        // A device or pipe (`-o /dev/null`, `-o /dev/stdout`) is written as it is, never
        // replaced by a rename.
        Some(path) if path.exists() && !path.is_file() => std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .and_then(|file| buffered(file, render))
            .with_context(|| format!("cannot write the report to `{}`", path.display()))?,
        Some(path) => write_atomically_with(path, None, render)
            .with_context(|| format!("cannot write the report to `{}`", path.display()))?,
        None => buffered(io::stdout().lock(), render)?,
    }
    if let Some(path) = &args.write_baseline {
        let baseline = report.baseline();
        let mut text = serde_json::to_vec_pretty(&baseline)?;
        text.push(b'\n');
        write_atomically(path, &text, None)
            .with_context(|| format!("cannot write the baseline to `{}`", path.display()))?;
        eprintln!(
            "intransit: recorded {} findings in {}",
            report.findings.len(),
            path.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    Ok(exit_code(report, fail_on))
}

fn explain(id: &str) -> Result<ExitCode> {
    let rule = RuleId::from_id(id)
        .with_context(|| format!("unknown rule `{id}`; `intransit rules` lists them"))?;
    let mut stdout = io::stdout().lock();
    stdout.write_all(docs::page(rule).as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

fn rules(format: RulesFormat) -> Result<ExitCode> {
    let mut stdout = io::stdout().lock();
    match format {
        RulesFormat::Text => {
            for rule in RuleId::ALL {
                writeln!(
                    stdout,
                    "{:<24} {:<8} {}",
                    rule.as_str(),
                    rule.default_severity().as_str(),
                    rule.summary()
                )?;
            }
        }
        RulesFormat::Json => {
            let rules: Vec<_> = RuleId::ALL
                .iter()
                .map(|rule| {
                    serde_json::json!({
                        "id": rule.as_str(),
                        "severity": rule.default_severity().as_str(),
                        "summary": rule.summary(),
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut stdout, &rules)?;
            writeln!(stdout)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes to `to` through a buffer, flushed at the end.
fn buffered(
    to: impl Write,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let mut out = io::BufWriter::with_capacity(64 * 1024, to);
    write(&mut out)?;
    out.flush()
}

/// Writes through a temporary file in the same directory and a rename, so a reader never sees
/// half a file.
fn write_atomically(
    path: &std::path::Path,
    bytes: &[u8],
    permissions: Option<std::fs::Permissions>,
) -> io::Result<()> {
    write_atomically_with(path, permissions, |out| out.write_all(bytes))
}

/// `write_atomically` for content written piece by piece (a report rendered as it goes).
fn write_atomically_with(
    path: &std::path::Path,
    permissions: Option<std::fs::Permissions>,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => std::path::Path::new("."),
    };
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("baseline");
    let temporary = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| {
        let mut out = io::BufWriter::with_capacity(64 * 1024, std::fs::File::create(&temporary)?);
        write(&mut out)?;
        out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        if let Some(permissions) = permissions {
            std::fs::set_permissions(&temporary, permissions)?;
        }
        std::fs::rename(&temporary, path)
    })();
    written.inspect_err(|_| {
        let _ = std::fs::remove_file(&temporary);
    })
}

/// `--fix` and `--diff`: fixes computed in memory by the library, then written (atomically,
/// keeping permissions, refusing read-only files and files changed since they were read) or
/// shown as a unified diff.
fn fix(
    args: &CheckArgs,
    inputs: &[Input],
    settings: &Settings,
    cwd: &std::path::Path,
) -> Result<ExitCode> {
    let started = Instant::now();
    let fail_on = args.fail_on.unwrap_or(FailOn::Error);
    let fixed = intransit::pipeline::fix_all(inputs, settings, args.unsafe_fixes);
    if args.diff {
        let mut out = io::stdout().lock();
        for (path, before, after) in &fixed.files {
            let shown = display_path(path, cwd);
            let diff = similar::TextDiff::from_lines(before.as_str(), after.as_str());
            write!(
                out,
                "{}",
                diff.unified_diff()
                    .header(&format!("a/{shown}"), &format!("b/{shown}"))
            )?;
        }
        return Ok(if fixed.files.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    if args.stdin_filename.is_some() {
        // Editors: the fixed buffer on stdout, the remaining findings on stderr.
        let text = match fixed.files.first() {
            Some((_, _, after)) => after.clone(),
            None => inputs[0].text.clone().unwrap_or_default(),
        };
        io::stdout().lock().write_all(text.as_bytes())?;
        let mut buffer = Vec::new();
        report::concise::render(&fixed.report, &mut buffer)?;
        io::stderr().lock().write_all(&buffer)?;
        return Ok(exit_code(&fixed.report, fail_on));
    }
    let mut written = 0;
    for (path, before, after) in &fixed.files {
        let shown = display_path(path, cwd);
        match write_fixed(path, before, after) {
            Ok(()) => written += 1,
            Err(why) => eprintln!("intransit: not fixed `{shown}`: {why}"),
        }
    }
    eprintln!(
        "intransit: applied {} fixes in {written} file{}",
        fixed.applied,
        if written == 1 { "" } else { "s" }
    );
    // Report what is on disk now, whatever could or could not be written.
    let report = intransit::check(inputs, settings);
    render_and_exit(args, &report, started, fail_on)
}

fn exit_code(report: &intransit::Report, fail_on: FailOn) -> ExitCode {
    let threshold = match fail_on {
        FailOn::Error => Some(Severity::Error),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Never => None,
    };
    if report.fails(threshold) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Writes a fixed file only if it still holds the text the fix was computed from and is not
/// read-only; through a temporary file and a rename, with the original's permissions.
fn write_fixed(path: &std::path::Path, before: &str, after: &str) -> Result<(), String> {
    // Through a symlink, the file it points at is rewritten; the link stays a link.
    let path = &std::fs::canonicalize(path).map_err(|e| e.to_string())?;
    let metadata = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if metadata.permissions().readonly() {
        return Err("the file is read-only".into());
    }
    let now = std::fs::read(path).map_err(|e| e.to_string())?;
    if now != before.as_bytes() {
        return Err("the file changed since it was read".into());
    }
    write_atomically(path, after.as_bytes(), Some(metadata.permissions()))
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_interrupted_write_leaves_the_original_intact() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.yaml");
        std::fs::write(&path, "original").unwrap();
        // Simulate the write failing half-way: the temporary file's name is taken by a folder.
        let temporary = dir
            .path()
            .join(format!(".db.yaml.{}.tmp", std::process::id()));
        std::fs::create_dir(&temporary).unwrap();
        assert!(write_atomically(&path, b"fixed", None).is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "original");
        std::fs::remove_dir(&temporary).unwrap();
        write_atomically(&path, b"fixed", None).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "fixed");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file left"
        );
    }

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
