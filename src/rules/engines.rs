//! The engine table: one row per engine, mirroring `shared/spec/rule.md` §1. When AWS changes a
//! default, change the spec's table and this one together; each row cites its AWS page.

use crate::model::GroupLevel;

/// How a parameter's value is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueRule {
    /// `1`/`on`/`true` enable, `0`/`off`/`false` disable.
    Boolean,
    /// `DB2COMM`: the comma-separated set must be exactly `{SSL}`; `TCPIP` keeps plaintext open.
    Db2Comm,
}

/// How the default group's family is spelled from engine and version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FamilyStyle {
    /// `postgres14`, `aurora-postgresql16`
    Major,
    /// `mysql8.0`, `mariadb10.6`, `aurora-mysql8.0`
    MajorMinor,
    /// `sqlserver-se-15.0`
    DashMajorZero,
    /// `db2-ae-11.5`
    DashMajorMinor,
    /// `aurora5.6`: one family for every version
    Fixed(&'static str),
}

#[derive(Debug)]
pub struct Engine {
    /// Engine values as RDS spells them (compared case-insensitively).
    pub names: &'static [&'static str],
    pub display: &'static str,
    /// The parameter that enforces TLS; `None` when the engine cannot enforce it at all.
    pub parameter: Option<&'static str>,
    pub values: ValueRule,
    /// The value a fix or a help text sets.
    pub enabling: &'static str,
    /// Where the parameter lives for this engine's databases.
    pub level: GroupLevel,
    /// The default enforces TLS from this version on (`None`: never by default).
    pub enforced_from: Option<&'static [u32]>,
    /// The parameter exists from this version on (`None`: in every version).
    pub parameter_from: Option<&'static [u32]>,
    pub family: FamilyStyle,
    /// What to do when the engine (or an old version of it) cannot enforce TLS.
    pub upgrade: Option<&'static str>,
    /// The AWS page the row's facts come from.
    pub source: &'static str,
}

macro_rules! page {
    ($base:expr, $page:literal) => {
        concat!($base, $page, ".html")
    };
}

pub static ENGINES: &[Engine] = &[
    Engine {
        names: &["postgres"],
        display: "PostgreSQL",
        parameter: Some("rds.force_ssl"),
        values: ValueRule::Boolean,
        enabling: "1",
        level: GroupLevel::Instance,
        enforced_from: Some(&[15]),
        parameter_from: None,
        upgrade: None,
        family: FamilyStyle::Major,
        source: page!(
            "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/",
            "ssl-certificate-rotation-postgresql"
        ),
    },
    Engine {
        names: &["aurora-postgresql"],
        display: "Aurora PostgreSQL",
        parameter: Some("rds.force_ssl"),
        values: ValueRule::Boolean,
        enabling: "1",
        level: GroupLevel::Cluster,
        enforced_from: Some(&[17]),
        parameter_from: None,
        upgrade: None,
        family: FamilyStyle::Major,
        source: page!(
            "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/",
            "AuroraPostgreSQL.Security"
        ),
    },
    Engine {
        names: &[
            "sqlserver-ee",
            "sqlserver-se",
            "sqlserver-ex",
            "sqlserver-web",
            "sqlserver-dev-ee",
        ],
        display: "SQL Server",
        parameter: Some("rds.force_ssl"),
        values: ValueRule::Boolean,
        enabling: "1",
        level: GroupLevel::Instance,
        enforced_from: None,
        parameter_from: None,
        upgrade: None,
        family: FamilyStyle::DashMajorZero,
        source: page!(
            "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/",
            "SQLServer.Concepts.General.SSL.Using"
        ),
    },
    Engine {
        names: &["mysql"],
        display: "MySQL",
        parameter: Some("require_secure_transport"),
        values: ValueRule::Boolean,
        enabling: "ON",
        level: GroupLevel::Instance,
        enforced_from: Some(&[9, 7]),
        parameter_from: None,
        upgrade: None,
        family: FamilyStyle::MajorMinor,
        source: page!(
            "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/",
            "mysql-ssl-connections.require-ssl"
        ),
    },
    Engine {
        names: &["mariadb"],
        display: "MariaDB",
        parameter: Some("require_secure_transport"),
        values: ValueRule::Boolean,
        enabling: "ON",
        level: GroupLevel::Instance,
        enforced_from: Some(&[11, 8]),
        parameter_from: Some(&[10, 5]),
        upgrade: Some("upgrade to MariaDB 10.5 or later, then set require_secure_transport to ON"),
        family: FamilyStyle::MajorMinor,
        source: page!(
            "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/",
            "mariadb-ssl-connections.require-ssl"
        ),
    },
    Engine {
        names: &["aurora-mysql"],
        display: "Aurora MySQL",
        parameter: Some("require_secure_transport"),
        values: ValueRule::Boolean,
        enabling: "ON",
        level: GroupLevel::Cluster,
        // Version 8.4 (`8.4.mysql_aurora.*`, family aurora-mysql8.4) sets it ON by default:
        // "AuroraMySQL.Upgrade-v3-v84-security".
        enforced_from: Some(&[8, 4]),
        parameter_from: None,
        upgrade: None,
        family: FamilyStyle::MajorMinor,
        source: page!(
            "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/",
            "AuroraMySQL.Security"
        ),
    },
    Engine {
        names: &["aurora"],
        display: "Aurora MySQL",
        parameter: None,
        values: ValueRule::Boolean,
        enabling: "ON",
        level: GroupLevel::Cluster,
        enforced_from: None,
        parameter_from: None,
        upgrade: Some(
            "upgrade to Aurora MySQL version 2 or later (engine aurora-mysql), then set \
             require_secure_transport to ON in its DB cluster parameter group",
        ),
        family: FamilyStyle::Fixed("aurora5.6"),
        source: page!(
            "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/",
            "AuroraMySQL.Security"
        ),
    },
    Engine {
        names: &["db2-ae", "db2-se"],
        display: "Db2",
        parameter: Some("DB2COMM"),
        values: ValueRule::Db2Comm,
        enabling: "SSL",
        level: GroupLevel::Instance,
        enforced_from: None,
        parameter_from: None,
        upgrade: None,
        family: FamilyStyle::DashMajorMinor,
        source: page!(
            "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/",
            "Db2.Concepts.SSL"
        ),
    },
];

/// Engines the rule leaves alone (spec §1, last row), as prefixes.
const OUT_OF_SCOPE: &[&str] = &["oracle-", "custom-", "neptune", "docdb"];

/// Parameter names that look like TLS switches; when RDS ignores one where it is set, the
/// finding is `rds-tls-wrong-parameter` (spec §5).
pub const TLS_LOOKING: &[&str] = &[
    "rds.force_ssl",
    "require_secure_transport",
    "ssl",
    "force_ssl",
    "rds.require_secure_transport",
];

pub enum Lookup {
    InScope(&'static Engine),
    OutOfScope,
    Unrecognised,
}

pub fn lookup(engine: &str) -> Lookup {
    let engine = engine.trim().to_ascii_lowercase();
    if let Some(row) = ENGINES
        .iter()
        .find(|row| row.names.contains(&engine.as_str()))
    {
        return Lookup::InScope(row);
    }
    if OUT_OF_SCOPE.iter().any(|prefix| engine.starts_with(prefix)) {
        return Lookup::OutOfScope;
    }
    Lookup::Unrecognised
}

/// Splits a family (`postgres14`, `sqlserver-se-15.0`, `aurora5.6`) into engine and version.
pub fn split_family(family: &str) -> Option<(String, String)> {
    let family = family.trim().to_ascii_lowercase();
    if family == "aurora5.6" {
        return Some(("aurora".to_string(), "5.6".to_string()));
    }
    let mut names: Vec<&str> = ENGINES
        .iter()
        .flat_map(|row| row.names.iter().copied())
        .collect();
    names.sort_by_key(|name| std::cmp::Reverse(name.len()));
    names.into_iter().find_map(|name| {
        let rest = family.strip_prefix(name)?;
        let rest = rest.strip_prefix('-').unwrap_or(rest);
        rest.starts_with(|c: char| c.is_ascii_digit())
            .then(|| (name.to_string(), rest.to_string()))
    })
}

/// The family of the default group for an engine and version, when the version says enough.
pub fn default_family(engine: &Engine, name: &str, version: Option<&Version>) -> Option<String> {
    if let FamilyStyle::Fixed(family) = engine.family {
        return Some(family.to_string());
    }
    let version = version?;
    let major = *version.parts.first()?;
    let minor = version.parts.get(1).copied();
    Some(match engine.family {
        FamilyStyle::Major if name == "postgres" && major < 10 => {
            format!("{name}{major}.{}", minor?)
        }
        FamilyStyle::Major => format!("{name}{major}"),
        FamilyStyle::MajorMinor => format!("{name}{major}.{}", minor?),
        FamilyStyle::DashMajorZero => format!("{name}-{major}.0"),
        FamilyStyle::DashMajorMinor => format!("{name}-{major}.{}", minor?),
        FamilyStyle::Fixed(_) => unreachable!("handled above"),
    })
}

/// The leading numeric components of an engine version: `8.0.mysql_aurora.3.04.0` is `[8, 0]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    pub parts: Vec<u32>,
}

impl Version {
    pub fn parse(text: &str) -> Option<Version> {
        let parts: Vec<u32> = text
            .trim()
            .split('.')
            .map_while(|part| part.parse().ok())
            .collect();
        (!parts.is_empty()).then_some(Version { parts })
    }

    /// `Some(true)` when this version is at or after `threshold`, `None` when the version is
    /// too coarse to say (`9` against `9.7`).
    pub fn at_least(&self, threshold: &[u32]) -> Option<bool> {
        for (i, want) in threshold.iter().enumerate() {
            match self.parts.get(i) {
                Some(have) if have != want => return Some(have > want),
                Some(_) => {}
                None => return threshold[i..].iter().all(|t| *t == 0).then_some(true),
            }
        }
        Some(true)
    }
}

pub fn show_version(parts: &[u32]) -> String {
    parts
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

/// What the engine does when no parameter group sets the parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Default {
    Enforced,
    NotEnforced,
    /// The engine (or this version of it) has no way to enforce TLS.
    CannotEnforce,
    /// The version is not known well enough to say.
    Undetermined,
}

pub fn default_for(engine: &Engine, version: Option<&Version>) -> Default {
    if engine.parameter.is_none() {
        return Default::CannotEnforce;
    }
    let decide = |threshold: &[u32]| version.and_then(|v| v.at_least(threshold));
    if let Some(from) = engine.parameter_from {
        match decide(from) {
            Some(false) => return Default::CannotEnforce,
            Some(true) => {}
            None => return Default::Undetermined,
        }
    }
    match engine.enforced_from {
        None => Default::NotEnforced,
        Some(from) => match decide(from) {
            Some(true) => Default::Enforced,
            Some(false) => Default::NotEnforced,
            None => Default::Undetermined,
        },
    }
}

/// How an explicit value reads (spec §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setting {
    Enabling,
    Disabling,
    Invalid,
}

pub fn classify(rule: ValueRule, value: &str) -> Setting {
    let value = value.trim().to_ascii_lowercase();
    match rule {
        ValueRule::Boolean => match value.as_str() {
            "1" | "on" | "true" => Setting::Enabling,
            "0" | "off" | "false" => Setting::Disabling,
            _ => Setting::Invalid,
        },
        ValueRule::Db2Comm => {
            let items: Vec<&str> = value
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect();
            if items.contains(&"tcpip") {
                Setting::Disabling
            } else if !items.is_empty() && items.iter().all(|item| *item == "ssl") {
                Setting::Enabling
            } else {
                Setting::Invalid
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine(name: &str) -> &'static Engine {
        match lookup(name) {
            Lookup::InScope(row) => row,
            _ => panic!("{name} is in the table"),
        }
    }

    #[test]
    fn defaults_follow_the_spec_table() {
        let v = |s: &str| Version::parse(s);
        let check = |name: &str, version: &str| default_for(engine(name), v(version).as_ref());
        assert_eq!(check("postgres", "14.9"), Default::NotEnforced);
        assert_eq!(check("postgres", "15"), Default::Enforced);
        assert_eq!(check("aurora-postgresql", "16.4"), Default::NotEnforced);
        assert_eq!(check("aurora-postgresql", "17.1"), Default::Enforced);
        assert_eq!(check("mysql", "8.0.39"), Default::NotEnforced);
        assert_eq!(check("mysql", "9.7.0"), Default::Enforced);
        assert_eq!(check("mysql", "9"), Default::Undetermined);
        assert_eq!(check("mariadb", "10.4.34"), Default::CannotEnforce);
        assert_eq!(check("mariadb", "11.4.3"), Default::NotEnforced);
        assert_eq!(check("mariadb", "11.8.1"), Default::Enforced);
        assert_eq!(
            check("aurora-mysql", "8.0.mysql_aurora.3.05.2"),
            Default::NotEnforced
        );
        assert_eq!(
            check("aurora-mysql", "5.7.mysql_aurora.2.11.2"),
            Default::NotEnforced
        );
        assert_eq!(
            check("aurora-mysql", "8.4.mysql_aurora.4.0.0"),
            Default::Enforced
        );
        assert_eq!(check("aurora-mysql", "8"), Default::Undetermined);
        assert_eq!(check("aurora", "5.6.10a"), Default::CannotEnforce);
        assert_eq!(
            check("sqlserver-se", "15.00.4365.2.v1"),
            Default::NotEnforced
        );
        assert_eq!(
            check("DB2-SE", "11.5.9.0.sb00000000.r1"),
            Default::NotEnforced
        );
        assert_eq!(default_for(engine("postgres"), None), Default::Undetermined);
    }

    #[test]
    fn values_follow_the_spec() {
        assert_eq!(classify(ValueRule::Boolean, " ON "), Setting::Enabling);
        assert_eq!(classify(ValueRule::Boolean, "False"), Setting::Disabling);
        assert_eq!(classify(ValueRule::Boolean, "yes"), Setting::Invalid);
        assert_eq!(classify(ValueRule::Db2Comm, "SSL"), Setting::Enabling);
        assert_eq!(
            classify(ValueRule::Db2Comm, "TCPIP,SSL"),
            Setting::Disabling
        );
        assert_eq!(classify(ValueRule::Db2Comm, "ssl, "), Setting::Enabling);
        assert_eq!(classify(ValueRule::Db2Comm, ""), Setting::Invalid);
    }

    #[test]
    fn families_split_and_join() {
        let split = |f: &str| split_family(f).unwrap();
        assert_eq!(split("postgres14"), ("postgres".into(), "14".into()));
        assert_eq!(
            split("aurora-postgresql16"),
            ("aurora-postgresql".into(), "16".into())
        );
        assert_eq!(
            split("aurora-mysql8.0"),
            ("aurora-mysql".into(), "8.0".into())
        );
        assert_eq!(
            split("sqlserver-se-15.0"),
            ("sqlserver-se".into(), "15.0".into())
        );
        assert_eq!(split("db2-ae-11.5"), ("db2-ae".into(), "11.5".into()));
        assert_eq!(split("aurora5.6"), ("aurora".into(), "5.6".into()));
        let family = |name: &str, version: &str| {
            default_family(engine(name), name, Version::parse(version).as_ref()).unwrap()
        };
        assert_eq!(family("postgres", "14.9"), "postgres14");
        assert_eq!(family("mysql", "8.0.35"), "mysql8.0");
        assert_eq!(
            family("sqlserver-ee", "16.00.4095.4.v1"),
            "sqlserver-ee-16.0"
        );
        assert_eq!(family("db2-se", "11.5.9.0"), "db2-se-11.5");
    }
}
