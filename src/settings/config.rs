//! `intransit.toml`: found in the current directory or its parents, or named by `--config`.
//! Unknown keys, wrong types and unknown rule ids are run failures whose message points at the
//! line. Paths in the file are relative to the file's directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use toml::Spanned;

use crate::diagnostic::{RuleId, Severity};

pub const FILE_NAME: &str = "intransit.toml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    /// gitignore-style globs, relative to the file's directory.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Apply `exclude` to files named on the command line too.
    pub force_exclude: Option<bool>,
    pub fail_on: Option<FailOnValue>,
    pub require_explicit: Option<bool>,
    /// Terraform variable files, relative to the file's directory.
    #[serde(default)]
    pub var_files: Vec<PathBuf>,
    /// Files larger than this many bytes are reported, not read.
    pub max_file_size: Option<u64>,
    /// Brackets nested deeper than this are reported, not parsed.
    pub max_nesting: Option<usize>,
    /// Per-rule severity: `error`, `warning` or `off`.
    #[serde(default)]
    pub severity: BTreeMap<Spanned<String>, SeverityValue>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum FailOnValue {
    Error,
    Warning,
    Never,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum SeverityValue {
    Error,
    Warning,
    Off,
}

/// A loaded config and the directory its relative paths start from.
pub struct Loaded {
    pub config: Config,
    pub dir: PathBuf,
}

/// The named file, else the nearest `intransit.toml` from `cwd` upwards, else none.
pub fn load(named: Option<&Path>, cwd: &Path) -> Result<Option<Loaded>> {
    let path = match named {
        Some(path) => path.to_path_buf(),
        None => match cwd
            .ancestors()
            .map(|dir| dir.join(FILE_NAME))
            .find(|p| p.is_file())
        {
            Some(path) => path,
            None => return Ok(None),
        },
    };
    let bytes = crate::source::read_regular(&path, 1 << 20)
        .with_context(|| format!("cannot read config `{}`", path.display()))?;
    let text = String::from_utf8(bytes)
        .with_context(|| format!("cannot read config `{}`: not UTF-8", path.display()))?;
    let config: Config = toml::from_str(&text)
        .map_err(|error| anyhow::anyhow!("invalid config `{}`: {error}", path.display()))?;
    for key in config.severity.keys() {
        let known = RuleId::from_id(key.get_ref()).is_some();
        if !known {
            let line = text[..key.span().start].matches('\n').count() + 1;
            bail!(
                "invalid config `{}`: line {line}: `{}` in [severity] is not a rule{}; `intransit rules` lists them",
                path.display(),
                key.get_ref(),
                RuleId::did_you_mean(key.get_ref(), RuleId::ALL)
            );
        }
    }
    let dir = path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    Ok(Some(Loaded { config, dir }))
}

impl Config {
    /// The `[severity]` table as the library takes it (`None` turns a rule off).
    pub fn severities(&self) -> Vec<(RuleId, Option<Severity>)> {
        self.severity
            .iter()
            .filter_map(|(key, value)| {
                let rule = RuleId::from_id(key.get_ref())?;
                let severity = match value {
                    SeverityValue::Error => Some(Severity::Error),
                    SeverityValue::Warning => Some(Severity::Warning),
                    SeverityValue::Off => None,
                };
                Some((rule, severity))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_key_parses() {
        let config: Config = toml::from_str(
            "exclude = [\"cdk.out/asset.*/**\"]\nfail-on = \"warning\"\nrequire-explicit = true\nvar-files = [\"env/prod.tfvars\"]\n\n[severity]\nrds-tls-unverifiable = \"error\"\nunused-suppression = \"off\"\n",
        )
        .unwrap();
        assert_eq!(config.fail_on, Some(FailOnValue::Warning));
        let limits: Config = toml::from_str("max-file-size = 1048576\nmax-nesting = 64\n").unwrap();
        assert_eq!(
            (limits.max_file_size, limits.max_nesting),
            (Some(1_048_576), Some(64))
        );
        assert_eq!(config.severities().len(), 2);
    }

    #[test]
    fn unknown_keys_and_wrong_types_are_errors_with_a_line() {
        let error = toml::from_str::<Config>("exclude = []\nfail_on = \"error\"\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("line 2"), "{error}");
        let error = toml::from_str::<Config>("require-explicit = \"yes\"\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("line 1"), "{error}");
    }
}
