//! Runs a parsed command line. The only place that prints, reads stdin or decides exit codes.

use std::io::{self, Read, Write};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::{CommandFactory, Parser};

use super::args::{CheckArgs, Cli, Command, ExplainFormat, FailOn, Format, RulesFormat};
use super::{explain, fixing, terminal, write};
use intransit::diagnostic::docs;
use intransit::diagnostic::{RuleId, Severity};
use intransit::pipeline::discover::{discover, excludes_name, Exclude};
use intransit::report::{self, human};
use intransit::settings::config::{self, FailOnValue};
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
        Command::Check(args) => check(*args),
        Command::Explain { rule, format } => explain_rule(&rule, format),
        Command::Rules { format } => rules(format),
        Command::Completions { shell } => {
            let mut stdout = io::stdout().lock();
            clap_complete::generate(shell, &mut Cli::command(), "intransit", &mut stdout);
            Ok(ExitCode::SUCCESS)
        }
        // Reached only with arguments after `server` (the binary's entry point runs the server).
        Command::Server => Err(anyhow::anyhow!("`intransit server` takes no arguments")),
        Command::Man => clap_mangen::Man::new(Cli::command())
            .render(&mut io::stdout().lock())
            .map(|()| ExitCode::SUCCESS)
            .map_err(Into::into),
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

pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .downcast_ref::<io::Error>()
        .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
}

/// A check, resolved: what to read, with which settings, and how to report.
pub struct Run {
    pub args: CheckArgs,
    pub inputs: Vec<Input>,
    pub settings: Settings,
    pub fail_on: FailOn,
    pub cwd: std::path::PathBuf,
    pub started: Instant,
}

fn check(args: CheckArgs) -> Result<ExitCode> {
    let started = Instant::now();
    refuse_combinations(&args)?;
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
    let force_exclude = args.force_exclude || file.force_exclude.unwrap_or(false);
    let (var_files, var_files_from): (Vec<std::path::PathBuf>, &str) = if args.var_file.is_empty() {
        (
            file.var_files.iter().map(|p| config_dir.join(p)).collect(),
            "the `var-files` entry",
        )
    } else {
        (args.var_file.clone(), "--var-file")
    };
    let fail_on = args.fail_on.unwrap_or(match file.fail_on {
        Some(FailOnValue::Warning) => FailOn::Warning,
        Some(FailOnValue::Never) => FailOn::Never,
        Some(FailOnValue::Error) | None => FailOn::Error,
    });
    let inputs = match &args.stdin_filename {
        Some(path) => {
            // Decoded as a file on disk is (UTF-8, with a BOM, UTF-16 with a BOM), and bounded
            // by the same `max-file-size`: a text cut at the bound would be checked wrongly.
            let limit = file
                .max_file_size
                .unwrap_or(intransit::settings::DEFAULT_MAX_FILE_SIZE);
            let mut bytes = Vec::new();
            io::stdin()
                .take(limit.saturating_add(1))
                .read_to_end(&mut bytes)
                .context("cannot read the file's text from stdin")?;
            if bytes.len() as u64 > limit {
                bail!(
                    "the text on stdin is over the {limit}-byte limit (`max-file-size` in intransit.toml)"
                );
            }
            let text = match intransit::source::decode(bytes) {
                Ok((text, _)) => text,
                Err((_, at)) => bail!(
                    "the text on stdin is not valid UTF-8 (byte {at}), nor UTF-16 with a byte-order mark"
                ),
            };
            if force_exclude && excludes_name(&excludes, path, &cwd)? {
                Vec::new()
            } else {
                vec![Input {
                    path: path.clone(),
                    display: display_path(path, &cwd),
                    text: Some(text),
                    explicit: true,
                }]
            }
        }
        None => {
            let found = discover(&args.paths, &excludes, force_exclude, &cwd)?;
            for warning in &found.warnings {
                eprintln!("intransit: warning: {warning}");
            }
            found.inputs
        }
    };
    // One file (a pre-commit hook's, an editor's) is checked on this thread alone: starting the
    // pool's threads would take longer than the check.
    if inputs.len() == 1 {
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .use_current_thread()
            .build_global();
    }
    // A variable file must be a regular file: a FIFO would hang, a directory says nothing.
    // A report or baseline written over a file this run reads would destroy it.
    // Compared by device and inode (a symlink or hard link to a template is the template),
    // and only when the output exists: nothing this run reads can be a file that is not there.
    for (option, output) in [
        ("-o", &args.output),
        ("--write-baseline", &args.write_baseline),
    ] {
        use rayon::prelude::*;
        use std::os::unix::fs::MetadataExt;
        let Some(output) = output.as_ref() else {
            continue;
        };
        // A device or a pipe (`-o /dev/null`) is written as it is, and only regular files are
        // read: it cannot be one of them.
        let Ok(target) = std::fs::metadata(output) else {
            continue;
        };
        if !target.is_file() {
            continue;
        }
        let is_output = |path: &std::path::PathBuf| {
            std::fs::metadata(path)
                .is_ok_and(|m| m.dev() == target.dev() && m.ino() == target.ino())
        };
        let read = inputs.par_iter().any(|input| is_output(&input.path))
            || var_files.iter().chain(args.config.iter()).any(is_output);
        if read {
            let shown = std::fs::canonicalize(output).unwrap_or_else(|_| output.clone());
            bail!(
                "{option} `{}` is a file this run reads; write it elsewhere",
                shown.display()
            );
        }
    }
    for var_file in &var_files {
        let metadata = std::fs::metadata(var_file)
            .with_context(|| format!("cannot read {var_files_from} `{}`", var_file.display()))?;
        if !metadata.is_file() {
            bail!(
                "cannot read {var_files_from} `{}`: it is not a regular file",
                var_file.display()
            );
        }
    }
    let baseline = match &args.baseline {
        Some(path) => {
            let text = intransit::source::read_regular(path, 256 << 20)
                .with_context(|| format!("cannot read --baseline `{}`", path.display()))?;
            let baseline: intransit::baseline::Baseline = serde_json::from_slice(&text)
                .with_context(|| format!("invalid baseline `{}`", path.display()))?;
            if baseline.version != 1 {
                bail!(
                    "invalid baseline `{}`: version {} (this intransit reads version 1)",
                    path.display(),
                    baseline.version
                );
            }
            Some(baseline)
        }
        None => None,
    };
    let mut severity: std::collections::HashMap<RuleId, Option<Severity>> =
        file.severities().into_iter().collect();
    // `--select` keeps only its ids and `--ignore` drops its ids, for this run.
    let select = rule_ids("--select", &args.select)?;
    let ignore = rule_ids("--ignore", &args.ignore)?;
    for rule in RuleId::ALL {
        if (!select.is_empty() && !select.contains(&rule)) || ignore.contains(&rule) {
            severity.insert(rule, None);
        }
    }
    let settings = Settings {
        baseline,
        require_explicit: args.require_explicit || file.require_explicit.unwrap_or(false),
        severity,
        max_file_size: file
            .max_file_size
            .unwrap_or(intransit::settings::DEFAULT_MAX_FILE_SIZE),
        max_nesting: file
            .max_nesting
            .unwrap_or(intransit::settings::DEFAULT_MAX_NESTING),
        var_files,
        base: cwd.clone(),
        // Only JUnit lists each database (passing ones as cases); the others show a count.
        list_databases: args.format == Format::Junit,
        // A check seals findings as files are judged, and moves them to a temporary file past
        // 1 MB (about 2,000 findings); `--fix` reads the findings themselves.
        spill_after: (!args.fix && !args.diff).then_some(SPILL_AFTER),
        // Only the human report shows lines of the files (kept as each is settled).
        excerpts: args.format == Format::Human && !args.statistics,
        ..Settings::default()
    };
    let run = Run {
        args,
        inputs,
        settings,
        fail_on,
        cwd,
        started,
    };
    if run.args.fix || run.args.diff {
        return fixing::run(&run);
    }
    let report = intransit::check(&run.inputs, &run.settings);
    render_and_exit(&run, &report, &[])
}

/// Bytes of sealed findings a check holds before it spools them to a temporary file.
const SPILL_AFTER: usize = 1 << 20;

/// Options that make no sense together fail the run (exit 2) instead of being ignored.
fn refuse_combinations(args: &CheckArgs) -> Result<()> {
    if args.diff && !matches!(args.format, Format::Human | Format::Json) {
        bail!(
            "--diff prints a unified diff; of the report formats only json can carry it (--format json)"
        );
    }
    if args.statistics && !matches!(args.format, Format::Human | Format::Concise | Format::Json) {
        bail!(
            "--statistics prints counts per finding id as a table or as json, not as {:?}",
            args.format
        );
    }
    if args.statistics && args.diff {
        bail!("--statistics and --diff each replace the report; choose one");
    }
    if args.write_baseline.is_some() && (args.fix || args.diff) {
        bail!("--write-baseline records the findings as they are; run it without --fix or --diff");
    }
    Ok(())
}

/// Rule ids from `--select`/`--ignore`; an unknown one fails the run with the nearest id.
fn rule_ids(option: &str, ids: &[String]) -> Result<Vec<RuleId>> {
    ids.iter()
        .filter(|id| !id.trim().is_empty())
        .map(|id| {
            RuleId::from_id(id.trim()).with_context(|| {
                format!(
                    "{option}: `{id}` is not a finding id{}; `intransit rules` lists them",
                    RuleId::did_you_mean(id, RuleId::ALL)
                )
            })
        })
        .collect()
}

/// Renders the report where `-o` says (stdout by default) and turns it into an exit code.
/// `fixed`: the fixes `--fix` applied, for `--show-fixes`.
pub fn render_and_exit(
    run: &Run,
    report: &intransit::Report,
    fixed: &[intransit::pipeline::AppliedFix],
) -> Result<ExitCode> {
    let args = &run.args;
    let to_stdout = args.output.is_none();
    let color = terminal::color(args.color, args.no_color, to_stdout);
    // Streamed to the destination as it is rendered; a report file appears whole or not at all.
    let render = |out: &mut dyn Write| -> io::Result<()> {
        if args.statistics {
            return statistics(report, args.format, args.quiet, out);
        }
        match args.format {
            Format::Human => human::render(
                report,
                &human::Options {
                    color,
                    width: terminal::width(args.line_width, to_stdout),
                    elapsed: Some(run.started.elapsed()),
                    summary: !args.quiet,
                },
                out,
            )?,
            Format::Concise => report::concise::render(report, out)?,
            Format::Json => report::json::render(report, out)?,
            Format::Sarif => report::sarif::render(report, out)?,
            Format::Github => report::github::render(report, out)?,
            Format::Junit => report::junit::render(report, threshold(run.fail_on), out)?,
        }
        if args.show_fixes && matches!(args.format, Format::Human | Format::Concise) {
            show_fixes(report, fixed, args.fix, out)?;
        }
        Ok(())
    };
    let written = match &args.output {
        // A device or pipe (`-o /dev/null`, `-o /dev/stdout`) is written as it is, never
        // replaced by a rename.
        Some(path) if path.exists() && !path.is_file() => std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .and_then(|file| write::buffered(file, render))
            .with_context(|| format!("cannot write the report to `{}`", path.display())),
        Some(path) => write::atomically_with(path, None, render)
            .with_context(|| format!("cannot write the report to `{}`", path.display())),
        None => write::buffered(io::stdout().lock(), render).map_err(Into::into),
    };
    match written {
        // A reader that stopped reading (`| head`) does not change what the findings say.
        Err(error) if is_broken_pipe(&error) => {}
        other => other?,
    }
    if args.show_fixes && !matches!(args.format, Format::Human | Format::Concise) {
        let mut buffer = Vec::new();
        show_fixes(report, fixed, args.fix, &mut buffer)?;
        io::stderr().lock().write_all(&buffer)?;
    }
    if report.summary.files_scanned == 0 && args.stdin_filename.is_none() && !args.quiet {
        eprintln!("intransit: warning: no CloudFormation or Terraform found");
    }
    if let Some(path) = &args.write_baseline {
        let baseline = report.baseline()?;
        let mut text = serde_json::to_vec_pretty(&baseline)?;
        text.push(b'\n');
        write::atomically(path, &text, None)
            .with_context(|| format!("cannot write the baseline to `{}`", path.display()))?;
        eprintln!(
            "intransit: recorded {} in {}",
            plural(report.findings.len(), "finding"),
            path.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    Ok(exit_code(report, run.fail_on))
}

/// `--statistics`: one line per finding id (count, id, severity, how many are fixable), or
/// the same as JSON.
fn statistics(
    report: &intransit::Report,
    format: Format,
    quiet: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut rows: Vec<(RuleId, Severity, usize, usize)> = Vec::new();
    for finding in report.findings.iter() {
        let finding = finding?;
        let fixable = usize::from(finding.fix.is_some());
        match rows
            .iter_mut()
            .find(|r| r.0 == finding.rule && r.1 == finding.severity)
        {
            Some(row) => {
                row.2 += 1;
                row.3 += fixable;
            }
            None => rows.push((finding.rule, finding.severity, 1, fixable)),
        }
    }
    rows.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.as_str().cmp(b.0.as_str())));
    if format == Format::Json {
        let rows: Vec<_> = rows
            .iter()
            .map(|(rule, severity, count, fixable)| {
                serde_json::json!({
                    "rule": rule.as_str(),
                    "severity": severity.as_str(),
                    "count": count,
                    "fixable": fixable,
                })
            })
            .collect();
        serde_json::to_writer_pretty(&mut *out, &rows)?;
        return writeln!(out);
    }
    for (rule, severity, count, fixable) in &rows {
        let fixable = match fixable {
            0 => String::new(),
            n => format!("  ({n} fixable)"),
        };
        let line = format!(
            "{count:>6}  {:<24} {:<8}{fixable}",
            rule.as_str(),
            severity.as_str()
        );
        writeln!(out, "{}", line.trim_end())?;
    }
    if !quiet {
        writeln!(out, "Found {}.", plural(report.findings.len(), "finding"))?;
    }
    Ok(())
}

/// `--show-fixes`: the fixes applied (with `--fix`), or those available.
fn show_fixes(
    report: &intransit::Report,
    fixed: &[intransit::pipeline::AppliedFix],
    fixing: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    if fixing {
        writeln!(out, "Fixed {}:", plural(fixed.len(), "finding"))?;
        for fix in fixed {
            writeln!(
                out,
                "  {}:{}:{}: {}: {}",
                fix.file, fix.line, fix.column, fix.rule, fix.description
            )?;
        }
        return Ok(());
    }
    let findings = report.findings.load()?;
    let available: Vec<_> = findings
        .iter()
        .filter_map(|f| Some((f, f.fix.as_ref()?)))
        .collect();
    let unsafe_count = available
        .iter()
        .filter(|(_, fix)| fix.applicability == intransit::diagnostic::fix::Applicability::Unsafe)
        .count();
    writeln!(
        out,
        "{} available{}:",
        plural(available.len(), "fix"),
        match unsafe_count {
            0 => String::new(),
            n => format!(" ({n} with --unsafe-fixes)"),
        }
    )?;
    for (finding, fix) in available {
        let at = report.position(finding.primary.span);
        let marker = match fix.applicability {
            intransit::diagnostic::fix::Applicability::Safe => "",
            intransit::diagnostic::fix::Applicability::Unsafe => " [unsafe]",
        };
        writeln!(
            out,
            "  {}:{}:{}: {}: {}{marker}",
            at.file, at.line, at.column, finding.rule, fix.description
        )?;
    }
    Ok(())
}

pub fn plural(n: usize, word: &str) -> String {
    let suffix = match (n, word.ends_with('x')) {
        (1, _) => "",
        (_, true) => "es",
        _ => "s",
    };
    format!("{n} {word}{suffix}")
}

fn explain_rule(id: &str, format: ExplainFormat) -> Result<ExitCode> {
    let rule = RuleId::from_id(id.trim()).with_context(|| {
        format!(
            "unknown rule `{id}`{}; `intransit rules` lists them",
            RuleId::did_you_mean(id, RuleId::ALL)
        )
    })?;
    let page = docs::page(rule);
    let text = match format {
        ExplainFormat::Markdown => page.to_string(),
        ExplainFormat::Terminal => {
            let width = terminal::width(None, true).min(100);
            explain::render(page, width, terminal::color(None, false, true))
        }
    };
    let mut stdout = io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    if !text.ends_with('\n') {
        writeln!(stdout)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn rules(format: RulesFormat) -> Result<ExitCode> {
    let mut stdout = io::stdout().lock();
    match format {
        RulesFormat::Human => {
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

pub fn threshold(fail_on: FailOn) -> Option<Severity> {
    match fail_on {
        FailOn::Error => Some(Severity::Error),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Never => None,
    }
}

pub fn exit_code(report: &intransit::Report, fail_on: FailOn) -> ExitCode {
    if report.fails(threshold(fail_on)) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
