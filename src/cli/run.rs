//! Runs a parsed command line. The only place that prints, reads stdin or decides exit codes.

use std::io::{self, IsTerminal, Read, Write};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Parser;

use super::args::{CheckArgs, Cli, Command, FailOn, Format, RulesFormat};
use super::config::{self, FailOnValue};
use super::discovery::{discover, Exclude};
use intransit::diagnostic::{RuleId, Severity};
use intransit::report::{self, human};
use intransit::rules::docs;
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
        var_files,
        base: cwd.clone(),
        ..Settings::default()
    };
    let report = intransit::check(&inputs, &settings);

    let to_terminal = args.output.is_none() && io::stdout().is_terminal();
    let no_color_env = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let mut buffer: Vec<u8> = Vec::new();
    match args.format {
        Format::Human => human::render(
            &report,
            &human::Options {
                color: to_terminal && !args.no_color && !no_color_env,
                width: 100,
                elapsed: Some(started.elapsed()),
            },
            &mut buffer,
        )?,
        Format::Concise => report::concise::render(&report, &mut buffer)?,
        Format::Json => report::json::render(&report, &mut buffer)?,
        Format::Sarif => report::sarif::render(&report, &mut buffer)?,
        Format::Github => report::github::render(&report, &mut buffer)?,
        Format::Junit => report::junit::render(&report, &mut buffer)?,
    }
    match &args.output {
        Some(path) => std::fs::write(path, &buffer)
            .with_context(|| format!("cannot write the report to `{}`", path.display()))?,
        None => {
            let mut stdout = io::stdout().lock();
            stdout.write_all(&buffer)?;
            stdout.flush()?;
        }
    }
    if let Some(path) = &args.write_baseline {
        let baseline = intransit::baseline::Baseline::of(&report);
        let mut text = serde_json::to_vec_pretty(&baseline)?;
        text.push(b'\n');
        write_atomically(path, &text)
            .with_context(|| format!("cannot write the baseline to `{}`", path.display()))?;
        eprintln!(
            "intransit: recorded {} findings in {}",
            report.findings.len(),
            path.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let threshold = match fail_on {
        FailOn::Error => Some(Severity::Error),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Never => None,
    };
    Ok(if report.fails(threshold) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
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

/// Writes through a temporary file in the same directory and a rename, so a reader never sees
/// half a file.
fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => std::path::Path::new("."),
    };
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("baseline");
    let temporary = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    std::fs::write(&temporary, bytes)?;
    std::fs::rename(&temporary, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&temporary);
    })
}
