//! The raw command line, as clap parses it. `run.rs` resolves it into `Settings`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "intransit",
    version,
    about = "Finds Amazon RDS databases whose CloudFormation does not guarantee TLS"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check templates (files or directories; default ".")
    Check(CheckArgs),
    /// Explain a finding id: what it checks, why, how to fix, examples
    Explain {
        /// A finding id, such as rds-tls-not-enforced
        rule: String,
    },
    /// List the finding ids
    Rules {
        #[arg(long, value_enum, default_value_t = RulesFormat::Text)]
        format: RulesFormat,
    },
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Files or directories to check
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Report format
    #[arg(long, value_enum, default_value_t = Format::Human)]
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
    /// Terraform variable values, like `terraform plan -var-file`; repeatable
    #[arg(long, value_name = "FILE")]
    pub var_file: Vec<PathBuf>,
    /// Read one file's text from stdin and report it under PATH
    #[arg(long, value_name = "PATH")]
    pub stdin_filename: Option<PathBuf>,
    /// Apply safe fixes in place (atomically; files that fail to parse are never rewritten)
    #[arg(long, conflicts_with = "diff")]
    pub fix: bool,
    /// Print the fixes as a unified diff and change nothing
    #[arg(long)]
    pub diff: bool,
    /// Also apply fixes that change which group governs a database (a reboot; clients
    /// without TLS will be refused)
    #[arg(long)]
    pub unsafe_fixes: bool,
    /// Hide the findings recorded in FILE (by rule, file and resource, not by line)
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Record today's findings in FILE, and exit 0
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Plain text without colour (also: the NO_COLOR environment variable)
    #[arg(long)]
    pub no_color: bool,
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
    Text,
    Json,
}
