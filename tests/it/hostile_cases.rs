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

/// A directory of files to check together, and what the concise report must contain.
pub struct Tree {
    pub name: &'static str,
    pub files: Vec<(String, Vec<u8>)>,
    pub expected: &'static str,
}

/// The attacks that need several files or a large generated one (issue 14): each must end in
/// its finding, in bounded time and memory (`bench/hostile.sh` measures them).
pub fn trees() -> Vec<Tree> {
    let mut trees = Vec::new();
    let tree = |name, files: Vec<(String, String)>, expected| Tree {
        name,
        files: files
            .into_iter()
            .map(|(n, t)| (n, t.into_bytes()))
            .collect(),
        expected,
    };
    const DB: &str = "resource \"aws_db_instance\" \"db\" {\n  engine         = \"postgres\"\n  engine_version = \"14.12\"\n}\n";
    // A 40,000-item list for an unused variable, and a 40,000-key local nobody reads.
    let items: Vec<String> = (0..40_000).map(|i| format!("\"item-{i}\"")).collect();
    trees.push(tree(
        "tfvars-list",
        vec![
            (
                "terraform.tfvars".into(),
                format!("unused = [{}]\n", items.join(",")),
            ),
            ("main.tf".into(), format!("variable \"unused\" {{}}\n{DB}")),
        ],
        "error[rds-tls-not-enforced]",
    ));
    let keys: String = (0..40_000)
        .map(|i| format!("    k{i} = \"v{i}\"\n"))
        .collect();
    trees.push(tree(
        "locals-unused",
        vec![(
            "main.tf".into(),
            format!("locals {{\n  big = {{\n{keys}  }}\n}}\n{DB}"),
        )],
        "error[rds-tls-not-enforced]",
    ));
    // The same object read by the database: refused before hcl-edit's quadratic parse.
    trees.push(tree(
        "locals-read",
        vec![(
            "main.tf".into(),
            format!(
                "locals {{\n  big = {{\n{keys}  }}\n}}\nresource \"aws_db_instance\" \"db\" {{\n  engine = \"postgres\"\n  engine_version = local.big.k1\n}}\n"
            ),
        )],
        "over the 20000 this reader parses in bounded time",
    ));
    // 12 levels each calling the next three times: 177,147 instances without the bound.
    let mut fan = Vec::new();
    for level in 0..12 {
        let mut text = String::from("variable \"v\" {\n  default = \"x\"\n}\n");
        if level < 11 {
            for k in 0..3 {
                text.push_str(&format!(
                    "module \"m{k}\" {{\n  source = \"../l{}\"\n  v      = var.v\n}}\n",
                    level + 1
                ));
            }
        } else {
            text.push_str(DB);
        }
        fan.push((format!("l{level}/main.tf"), text));
    }
    trees.push(tree("fan-out", fan, "past the 10000 module instances"));
    // `a` calls `../b` and `b` calls `../a`: neither is anybody's child only.
    trees.push(tree(
        "module-cycle-dirs",
        vec![
            (
                "a/main.tf".into(),
                format!("module \"b\" {{\n  source = \"../b\"\n}}\n{DB}"),
            ),
            (
                "b/main.tf".into(),
                format!("module \"a\" {{\n  source = \"../a\"\n}}\n{DB}"),
            ),
        ],
        "`module.b.aws_db_instance.db` in `a`",
    ));
    // A chain of 40 local modules: cut at 32 levels, and the cut said.
    let chain: Vec<(String, String)> = (0..40)
        .map(|i| {
            let text = if i < 39 {
                format!("module \"next\" {{\n  source = \"../d{}\"\n}}\n", i + 1)
            } else {
                DB.to_string()
            };
            (format!("d{i}/main.tf"), text)
        })
        .collect();
    trees.push(tree("module-chain", chain, "deeper than 32 levels"));
    // `try()` around a cycle of locals: Terraform rejects the cycle, so no default is taken.
    trees.push(tree(
        "try-cycle",
        vec![(
            "main.tf".into(),
            "locals {\n  a = try(local.b, \"16.4\")\n  b = local.a\n}\nresource \"aws_db_instance\" \"db\" {\n  engine         = \"postgres\"\n  engine_version = local.a\n}\n".into(),
        )],
        "which refers to itself",
    ));
    // A template in the second document of a YAML stream.
    trees.push(tree(
        "multi-document",
        vec![(
            "bundle.yaml".into(),
            format!("apiVersion: v1\nkind: ConfigMap\n---\n{OPEN}"),
        )],
        "from one YAML document",
    ));
    // 2 MB of tiny nested arrays: refused before the tree costs hundreds of megabytes.
    trees.push(tree(
        "nested-arrays-json",
        vec![(
            "arrays.json".into(),
            format!(
                "{{\"AWSTemplateFormatVersion\": \"2010-09-09\", \"Resources\": {{\"Db\": {{\"Type\": \"AWS::RDS::DBInstance\", \"Properties\": {{\"Tags\": [{}]}}}}}}}}",
                vec!["[[],[]]"; 450_000].join(",")
            ),
        )],
        "more than 2000000 values",
    ));
    trees.push(tree(
        "nested-arrays-yaml",
        vec![(
            "arrays.yaml".into(),
            format!(
                "{OPEN}      Tags: [{}]\n",
                vec!["[1,[2]]"; 300_000].join(",")
            ),
        )],
        "more than 1000000 values",
    ));
    // A finding past column 65,535 (minified JSON): the human report gives the position.
    let queue = format!(
        "{{\"Type\": \"AWS::SQS::Queue\", \"Properties\": {{\"QueueName\": \"{}\"}}}}",
        "q".repeat(70_000)
    );
    trees.push(tree(
        "wide-line",
        vec![(
            "wide.json".into(),
            format!(
                "{{\"AWSTemplateFormatVersion\": \"2010-09-09\", \"Resources\": {{\"Pad\": {queue}, \"Db\": {{\"Type\": \"AWS::RDS::DBInstance\", \"Properties\": {{\"Engine\": \"postgres\", \"EngineVersion\": \"14.12\"}}}}}}}}"
            ),
        )],
        "wide.json:1:70142: error[rds-tls-not-enforced]",
    ));
    trees
}

/// 90,000 databases in one template (9.8 MB): once 30 s, quadratic in the template's size.
pub fn many_databases() -> Tree {
    let mut text = String::from(HEADER);
    text.push_str("Resources:\n");
    for i in 0..90_000 {
        text.push_str(&format!(
            "  Db{i}:\n    Type: AWS::RDS::DBInstance\n    Properties:\n      Engine: postgres\n      EngineVersion: \"14.12\"\n"
        ));
    }
    Tree {
        name: "many-databases",
        files: vec![("many.yaml".into(), text.into_bytes())],
        expected: "`Db89999` (PostgreSQL 14.12) does not enforce TLS",
    }
}
