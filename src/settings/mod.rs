//! Resolved settings for a run: what the library needs, already merged from flags and config
//! (`config`: `intransit.toml`, which the command line and the language server both read).

pub mod config;

use std::collections::HashMap;
use std::path::PathBuf;

use crate::diagnostic::{Finding, RuleId, Severity};
use crate::suppression::Date;

#[derive(Clone, Debug)]
pub struct Settings {
    /// Flag databases that rely on an engine-version default (spec §4, rule 2).
    pub require_explicit: bool,
    /// Per-rule severity overrides; `None` turns the rule off.
    pub severity: HashMap<RuleId, Option<Severity>>,
    /// The date `until=` expiries are compared with.
    pub today: Date,
    /// Terraform variable files applied to every root module, in order (`--var-file`).
    pub var_files: Vec<PathBuf>,
    /// The directory report paths are relative to.
    pub base: PathBuf,
    /// Findings to hide (`--baseline`).
    pub baseline: Option<crate::baseline::Baseline>,
    /// Texts that replace files on disk, by normalized path (fixes being tried, unsaved buffers).
    pub overrides: HashMap<PathBuf, String>,
    /// Files larger than this many bytes are not read (`max-file-size`).
    pub max_file_size: u64,
    /// Brackets nested deeper than this are not parsed (`max-nesting`; the parsers cap it).
    pub max_nesting: usize,
    /// Parse only what the verdict reads (the default); `false` parses every block, which the
    /// tests use to prove both give the same report.
    pub targeted_parsing: bool,
    /// Judge a template or Terraform root that links only inside itself as soon as it is
    /// lowered (the default, see `pipeline::Judged`); `false` judges every database together
    /// at the end, the reference the tests hold the early verdicts to.
    pub early_verdicts: bool,
    /// Keep every database checked in the report (JUnit lists the passing ones as cases);
    /// `false` keeps only their count, for formats that show no more.
    pub list_databases: bool,
    /// Seal the findings of each template or root judged as soon as it is read, and spool
    /// them to a temporary file once they take more than this many bytes (`report::spill`),
    /// so that a large run does not hold every finding until the report. `None`: held as
    /// findings (the language server, `--fix`, library callers).
    pub spill_after: Option<usize>,
    /// Keep with each finding the lines of its files that the human report shows
    /// (`Finding::excerpts`), taken when it is settled, while the text is in hand, so that
    /// the report reads no file again. `false` for the formats that show no lines; the
    /// language server's session never keeps them. Without them the human report shows
    /// findings without their snippets.
    pub excerpts: bool,
}

/// 10 MiB: far above any real template, far below what would strain memory per worker.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 10 * 1024 * 1024;
/// Real templates nest a few dozen levels; HCL's parser recurses, so the cap stays modest.
pub const DEFAULT_MAX_NESTING: usize = 256;

impl Settings {
    /// Gives `finding` the severity `[severity]` sets for its rule; `false` when the rule is
    /// turned off (the finding is dropped).
    pub fn apply_severity(&self, finding: &mut Finding) -> bool {
        match self.severity.get(&finding.rule) {
            Some(None) => false,
            Some(Some(severity)) => {
                finding.severity = *severity;
                true
            }
            None => true,
        }
    }
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            require_explicit: false,
            severity: HashMap::new(),
            today: Date::today(),
            var_files: Vec::new(),
            base: PathBuf::from("."),
            baseline: None,
            overrides: HashMap::new(),
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            max_nesting: DEFAULT_MAX_NESTING,
            targeted_parsing: true,
            early_verdicts: true,
            list_databases: true,
            spill_after: None,
            excerpts: true,
        }
    }
}
