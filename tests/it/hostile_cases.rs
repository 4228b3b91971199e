//! The hostile inputs, shared by `tests/hostile.rs` (each must get its diagnostic, never a
//! crash) and `examples/gen_hostile.rs` (which writes them out for `bench/hostile.sh`, where
//! each must stay within its time and memory bound). Generated, so nothing large is committed.

pub const HEADER: &str = "AWSTemplateFormatVersion: \"2010-09-09\"\n";
pub const OPEN: &str = "AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n  Db:\n    Type: AWS::RDS::DBInstance\n    Properties:\n      Engine: postgres\n      EngineVersion: \"14.12\"\n";

/// One file to check (`name`, relative to its directory) and what the concise report must
/// contain; an empty `expected` means the report must be empty.
pub struct Case {
    pub name: &'static str,
    pub bytes: Vec<u8>,
    pub expected: &'static str,
}

impl Case {
    fn new(name: &'static str, bytes: Vec<u8>, expected: &'static str) -> Case {
        Case {
            name,
            bytes,
            expected,
        }
    }
}

/// Files that each get one diagnostic (or, for the last few, are skipped quietly).
pub fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    let mut bomb = String::from(HEADER);
    bomb.push_str("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let p = format!("*a{}", i - 1);
        bomb.push_str(&format!("a{i}: &a{i} [{}]\n", vec![p; 10].join(", ")));
    }
    cases.push(Case::new(
        "alias-bomb.yaml",
        bomb.into_bytes(),
        "aliases expand to more than 100000 nodes",
    ));
    let deep =
        |open: &str, close: &str| format!("{}{}", open.repeat(100_000), close.repeat(100_000));
    cases.push(Case::new(
        "deep.json",
        format!(
            "{{\"AWSTemplateFormatVersion\": \"2010-09-09\", \"Resources\": {}}}",
            deep("[", "]")
        )
        .into_bytes(),
        "nest deeper than 256 levels",
    ));
    cases.push(Case::new(
        "deep.yaml",
        format!("{HEADER}Resources: {}", deep("[", "]")).into_bytes(),
        "nest deeper than 256 levels",
    ));
    cases.push(Case::new(
        "deep/main.tf",
        format!("locals {{\n  x = {}\n}}\n", deep("[", "]")).into_bytes(),
        "nest deeper than 256 levels",
    ));
    cases.push(Case::new(
        "dupe.yaml",
        format!("{HEADER}Resources:\n  A: 1\n  A: 2\n").into_bytes(),
        "duplicate key `A`",
    ));
    cases.push(Case::new(
        "list.yaml",
        format!("{HEADER}Resources:\n  - Db\n").into_bytes(),
        "`Resources` must be a map",
    ));
    cases.push(Case::new(
        "scalar.yaml",
        format!("{HEADER}Resources: nothing\n").into_bytes(),
        "`Resources` must be a map",
    ));
    cases.push(Case::new(
        "params-string.yaml",
        format!("{HEADER}Resources:\n  P:\n    Type: AWS::RDS::DBParameterGroup\n    Properties: {{Family: postgres14, Description: x, Parameters: rds.force_ssl=1}}\n  Db:\n    Type: AWS::RDS::DBInstance\n    Properties: {{Engine: postgres, EngineVersion: \"14.12\", DBParameterGroupName: !Ref P}}\n").into_bytes(),
        "warning[rds-tls-unverifiable]",
    ));
    let mut invalid = OPEN.as_bytes().to_vec();
    invalid.extend([0xC3, 0x28, b'\n']);
    cases.push(Case::new("invalid-utf8.yaml", invalid, "invalid-utf8.yaml:8:1: error[parse-error] cannot parse this file: the file is not valid UTF-8 (byte 155)"));
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(OPEN.encode_utf16().flat_map(u16::to_le_bytes));
    cases.push(Case::new(
        "utf16.yaml",
        utf16,
        "utf16.yaml:4:11: error[rds-tls-not-enforced]",
    ));
    cases.push(Case::new(
        "bom.yaml",
        format!("\u{feff}{OPEN}").into_bytes(),
        "bom.yaml:4:11: error[rds-tls-not-enforced]",
    ));
    cases.push(Case::new(
        "crlf.yaml",
        OPEN.replace('\n', "\r\n").into_bytes(),
        "crlf.yaml:4:11: error[rds-tls-not-enforced]",
    ));
    cases.push(Case::new(
        "lone-cr.yaml",
        OPEN.replace('\n', "\r").into_bytes(),
        "lone-cr.yaml:4:11: error[rds-tls-not-enforced]",
    ));
    cases.push(Case::new(
        "attribute/main.tf",
        b"resource \"aws_db_parameter_group\" \"pg\" {\n  family    = \"postgres14\"\n  parameter = [{ name = \"rds.force_ssl\", value = \"0\" }]\n}\n\nresource \"aws_db_instance\" \"db\" {\n  engine               = \"postgres\"\n  engine_version       = \"14.12\"\n  parameter_group_name = aws_db_parameter_group.pg.name\n}\n".to_vec(),
        "main.tf:3:50: error[rds-tls-disabled]",
    ));
    // Skipped quietly: an empty file, a binary file named .yaml, random JSON.
    cases.push(Case::new("empty.yaml", Vec::new(), ""));
    cases.push(Case::new(
        "binary.yaml",
        (0..=255u8).cycle().take(4096).collect(),
        "",
    ));
    cases.push(Case::new("data.json", b"{\"a\": [1, 2]}".to_vec(), ""));
    cases
}

/// A 50 MB template (refused by `max-file-size` without being read) and a 60 MB data file
/// (skipped).
pub fn huge() -> Vec<Case> {
    let mut text = String::from(OPEN);
    let line = "# padding padding padding padding padding padding padding padding\n";
    while text.len() < 50 * 1024 * 1024 {
        text.push_str(line);
    }
    vec![
        Case::new(
            "huge.yaml",
            text.into_bytes(),
            "over the 10485760-byte limit",
        ),
        Case::new(
            "huge-data.json",
            format!("[{}1]", "1, ".repeat(20 * 1024 * 1024)).into_bytes(),
            "",
        ),
    ]
}
