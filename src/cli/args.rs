//! The raw command line, as clap parses it. `run.rs` resolves it into `Settings`; the same
//! definitions give `completions` and `man`.

use std::path::PathBuf;

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};

pub const ABOUT: &str =
    "Finds Amazon RDS databases whose CloudFormation or Terraform does not guarantee TLS";

#[derive(Parser, Debug)]
#[command(name = "intransit", version, about = ABOUT)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check CloudFormation and Terraform (files or directories; default ".")
    Check(Box<CheckArgs>),
    /// Explain a finding id: what it checks, why, how to fix, examples
    Explain {
        /// A finding id, such as rds-tls-not-enforced
        rule: String,
        /// `terminal`: formatted for reading here; `markdown`: the page's source
        #[arg(short = 'f', long, value_enum, default_value_t = ExplainFormat::Terminal)]
        format: ExplainFormat,
    },
    /// List the finding ids
    Rules {
        #[arg(short = 'f', long, value_enum, default_value_t = RulesFormat::Human)]
        format: RulesFormat,
    },
    /// Run the language server over stdio (LSP), for editors (docs/editors.md)
    Server,
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish)
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `intransit man > intransit.1`
    Man,
}

#[derive(Args, Debug)]
#[command(group(ArgGroup::new("fixing").args(["fix", "diff"])))]
pub struct CheckArgs {
    /// Files or directories to check
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Report format
    #[arg(short = 'f', long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Write the report to FILE instead of stdout
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Which findings make the exit code 1 [default: error]
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Config file [default: the nearest intransit.toml in the current directory or its parents]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Also flag databases that rely on an engine-version default
    #[arg(long)]
    pub require_explicit: bool,
    /// Skip matching paths (gitignore-style globs); repeatable
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Apply the excludes to files named on the command line too (as pre-commit passes them)
    #[arg(long)]
    pub force_exclude: bool,
    /// Terraform variable values, like `terraform plan -var-file`; repeatable
    #[arg(long, value_name = "FILE")]
    pub var_file: Vec<PathBuf>,
    /// Read one file's text from stdin and report it under PATH (no other paths)
    #[arg(long, value_name = "PATH", conflicts_with = "paths")]
    pub stdin_filename: Option<PathBuf>,
    /// Apply safe fixes in place (atomically; files that fail to parse are never rewritten)
    #[arg(long)]
    pub fix: bool,
    /// Print the fixes as a unified diff and change nothing (exit 1 when there are any)
    #[arg(long)]
    pub diff: bool,
    /// With --fix or --diff: also the fixes that change which group governs a database (a
    /// reboot; clients without TLS will be refused)
    #[arg(long, requires = "fixing")]
    pub unsafe_fixes: bool,
    /// List the fixes applied (with --fix) or available
    #[arg(long)]
    pub show_fixes: bool,
    /// Hide the findings recorded in FILE (by rule, file and resource, not by line)
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Record today's findings in FILE, and exit 0
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Only these finding ids, for this run (comma-separated; repeatable)
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    pub select: Vec<String>,
    /// Leave out these finding ids, for this run (comma-separated; repeatable)
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    pub ignore: Vec<String>,
    /// Findings only: no summary line
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Counts per finding id instead of the findings
    #[arg(long)]
    pub statistics: bool,
    /// Colour: auto (a terminal that is not TERM=dumb), always, never; FORCE_COLOR and
    /// CLICOLOR_FORCE force it, NO_COLOR turns it off
    #[arg(long, value_enum, value_name = "WHEN")]
    pub color: Option<Color>,
    /// Plain text without colour (as --color never)
    #[arg(long)]
    pub no_color: bool,
    /// Wrap the human report at N columns [default: the terminal's width, else 100]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(40..))]
    pub line_width: Option<u16>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Human,
    Concise,
    Json,
    Sarif,
    Github,
    Junit,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailOn {
    Error,
    Warning,
    Never,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum RulesFormat {
    /// A table (also: text)
    #[value(alias = "text")]
    Human,
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExplainFormat {
    Terminal,
    Markdown,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Color {
    Auto,
    Always,
    Never,
}
