//! Deterministic benchmark corpus: a third each of CloudFormation YAML, CloudFormation JSON and
//! Terraform files of 10–40 KB, each with a few RDS databases and groups (some compliant, some
//! not) among many unrelated resources, plus `truth.tsv`: the findings intransit must report.
//!
//!     cargo run --release --example gen_corpus -- <files> <out-dir> [seed]

use std::fmt::Write as _;
use std::path::Path;

/// xorshift64*: small, fast, and the same on every machine for a seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// One RDS scenario: engine, version, the group's TLS setting (None: no group), cluster or
/// not, and the rule it must produce (None: compliant).
struct Scenario {
    engine: &'static str,
    version: &'static str,
    family: &'static str,
    parameter: &'static str,
    setting: Option<&'static str>,
    cluster: bool,
    expect: Option<&'static str>,
}

const SCENARIOS: &[Scenario] = &[
    Scenario {
        engine: "postgres",
        version: "14.12",
        family: "postgres14",
        parameter: "rds.force_ssl",
        setting: None,
        cluster: false,
        expect: Some("rds-tls-not-enforced"),
    },
    Scenario {
        engine: "postgres",
        version: "16.4",
        family: "postgres16",
        parameter: "rds.force_ssl",
        setting: None,
        cluster: false,
        expect: None,
    },
    Scenario {
        engine: "mysql",
        version: "8.0.39",
        family: "mysql8.0",
        parameter: "require_secure_transport",
        setting: Some("1"),
        cluster: false,
        expect: None,
    },
    Scenario {
        engine: "mysql",
        version: "8.0.39",
        family: "mysql8.0",
        parameter: "require_secure_transport",
        setting: Some("0"),
        cluster: false,
        expect: Some("rds-tls-disabled"),
    },
    Scenario {
        engine: "aurora-postgresql",
        version: "16.4",
        family: "aurora-postgresql16",
        parameter: "log_connections",
        setting: Some("1"),
        cluster: true,
        expect: Some("rds-tls-not-enforced"),
    },
    Scenario {
        engine: "aurora-mysql",
        version: "8.0.mysql_aurora.3.05.2",
        family: "aurora-mysql8.0",
        parameter: "require_secure_transport",
        setting: Some("ON"),
        cluster: true,
        expect: None,
    },
    Scenario {
        engine: "sqlserver-se",
        version: "15.00.4365.2.v1",
        family: "sqlserver-se-15.0",
        parameter: "rds.force_ssl",
        setting: Some("0"),
        cluster: false,
        expect: Some("rds-tls-disabled"),
    },
    Scenario {
        engine: "mariadb",
        version: "11.4.4",
        family: "mariadb11.4",
        parameter: "require_secure_transport",
        setting: Some("1"),
        cluster: false,
        expect: None,
    },
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(files), Some(out)) = (
        args.get(1).and_then(|n| n.parse::<usize>().ok()),
        args.get(2),
    ) else {
        eprintln!("usage: gen_corpus <files> <out-dir> [seed]");
        std::process::exit(2);
    };
    let seed = args
        .get(3)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x1D5E_ED00);
    let out = Path::new(out);
    std::fs::create_dir_all(out).unwrap();
    let mut rng = Rng(seed | 1);
    let mut truth = String::from("file\tresource\trule\n");
    let mut bytes = 0;
    for i in 0..files {
        let target = 10_000 + rng.below(30_000) as usize;
        let scenarios: Vec<&Scenario> = (0..1 + rng.below(3))
            .map(|_| &SCENARIOS[rng.below(SCENARIOS.len() as u64) as usize])
            .collect();
        let (name, text, names) = match i % 3 {
            0 => {
                let name = format!("cfn-yaml/stack-{i:05}.yaml");
                let (text, names) = yaml(&scenarios, target, &mut rng);
                (name, text, names)
            }
            1 => {
                let name = format!("cfn-json/stack-{i:05}.template.json");
                let (text, names) = json(&scenarios, target, &mut rng);
                (name, text, names)
            }
            _ => {
                let name = format!("terraform/module-{i:05}/main.tf");
                let (text, names) = terraform(&scenarios, target, &mut rng);
                (name, text, names)
            }
        };
        for (scenario, resource) in scenarios.iter().zip(names) {
            if let Some(rule) = scenario.expect {
                // The file a finding points at is the file itself (groups live beside databases).
                writeln!(truth, "{name}\t{resource}\t{rule}").unwrap();
            }
        }
        let path = out.join(&name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        bytes += text.len();
        std::fs::write(path, text).unwrap();
    }
    std::fs::write(out.join("truth.tsv"), truth).unwrap();
    eprintln!(
        "wrote {files} files, {:.1} MB, to {}",
        bytes as f64 / 1e6,
        out.display()
    );
}

fn filler_yaml(n: usize, rng: &mut Rng) -> String {
    match rng.below(4) {
        0 => format!("  Bucket{n}:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: !Sub \"app-{n}-${{AWS::AccountId}}\"\n      VersioningConfiguration:\n        Status: Enabled\n      BucketEncryption:\n        ServerSideEncryptionConfiguration:\n          - ServerSideEncryptionByDefault:\n              SSEAlgorithm: aws:kms\n      Tags:\n        - Key: team\n          Value: platform\n        - Key: cost-center\n          Value: \"{}\"\n", 1000 + n),
        1 => format!("  Queue{n}:\n    Type: AWS::SQS::Queue\n    Properties:\n      QueueName: !Sub \"${{AWS::StackName}}-queue-{n}\"\n      VisibilityTimeout: 300\n      MessageRetentionPeriod: 1209600\n      RedrivePolicy:\n        deadLetterTargetArn: !GetAtt Dead{n}.Arn\n        maxReceiveCount: 5\n  Dead{n}:\n    Type: AWS::SQS::Queue\n    Properties:\n      MessageRetentionPeriod: 1209600\n"),
        2 => format!("  Role{n}:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument:\n        Version: \"2012-10-17\"\n        Statement:\n          - Effect: Allow\n            Principal:\n              Service: lambda.amazonaws.com\n            Action: sts:AssumeRole\n      Policies:\n        - PolicyName: access-{n}\n          PolicyDocument:\n            Version: \"2012-10-17\"\n            Statement:\n              - Effect: Allow\n                Action:\n                  - s3:GetObject\n                  - s3:PutObject\n                  - sqs:SendMessage\n                Resource: \"*\"\n"),
        _ => format!("  Function{n}:\n    Type: AWS::Lambda::Function\n    Properties:\n      Runtime: python3.12\n      Handler: app.handler\n      MemorySize: 512\n      Timeout: 30\n      Code:\n        ZipFile: |\n          import json\n          def handler(event, context):\n              return {{\"statusCode\": 200, \"body\": json.dumps(event)}}\n      Environment:\n        Variables:\n          STAGE: prod\n          TABLE: table-{n}\n          LOG_LEVEL: info\n"),
    }
}

fn yaml(scenarios: &[&Scenario], target: usize, rng: &mut Rng) -> (String, Vec<String>) {
    let mut text = String::from("AWSTemplateFormatVersion: \"2010-09-09\"\nDescription: generated benchmark stack\nResources:\n");
    let mut names = Vec::new();
    for (k, s) in scenarios.iter().enumerate() {
        let db = format!("Database{k}");
        let (db_type, group_type, group_prop) = if s.cluster {
            (
                "AWS::RDS::DBCluster",
                "AWS::RDS::DBClusterParameterGroup",
                "DBClusterParameterGroupName",
            )
        } else {
            (
                "AWS::RDS::DBInstance",
                "AWS::RDS::DBParameterGroup",
                "DBParameterGroupName",
            )
        };
        if let Some(value) = s.setting {
            writeln!(text, "  Params{k}:\n    Type: {group_type}\n    Properties:\n      Family: {}\n      Description: settings {k}\n      Parameters:\n        {}: \"{value}\"\n        max_connections: \"500\"", s.family, s.parameter).unwrap();
        }
        writeln!(text, "  {db}:\n    Type: {db_type}\n    Properties:\n      Engine: {}\n      EngineVersion: \"{}\"", s.engine, s.version).unwrap();
        if s.setting.is_some() {
            writeln!(text, "      {group_prop}: !Ref Params{k}").unwrap();
        }
        if !s.cluster {
            text.push_str("      DBInstanceClass: db.m6g.large\n      AllocatedStorage: \"100\"\n");
        }
        names.push(db);
    }
    let mut n = 0;
    while text.len() < target {
        text.push_str(&filler_yaml(n, rng));
        n += 1;
    }
    (text, names)
}

fn json(scenarios: &[&Scenario], target: usize, rng: &mut Rng) -> (String, Vec<String>) {
    use serde_json::{json, Map, Value};
    let mut resources = Map::new();
    let mut names = Vec::new();
    for (k, s) in scenarios.iter().enumerate() {
        let db = format!("Database{k}");
        let (db_type, group_type, group_prop) = if s.cluster {
            (
                "AWS::RDS::DBCluster",
                "AWS::RDS::DBClusterParameterGroup",
                "DBClusterParameterGroupName",
            )
        } else {
            (
                "AWS::RDS::DBInstance",
                "AWS::RDS::DBParameterGroup",
                "DBParameterGroupName",
            )
        };
        let mut properties = json!({"Engine": s.engine, "EngineVersion": s.version});
        if let Some(value) = s.setting {
            resources.insert(format!("Params{k}"), json!({"Type": group_type, "Properties": {"Family": s.family, "Description": "settings", "Parameters": {s.parameter: value, "max_connections": "500"}}}));
            properties[group_prop] = json!({"Ref": format!("Params{k}")});
        }
        resources.insert(
            db.clone(),
            json!({"Type": db_type, "Properties": properties}),
        );
        names.push(db);
    }
    let mut n = 0;
    loop {
        let text = serde_json::to_string_pretty(&json!({"AWSTemplateFormatVersion": "2010-09-09", "Resources": Value::Object(resources.clone())})).unwrap();
        if text.len() >= target {
            return (text + "\n", names);
        }
        for _ in 0..8 {
            resources.insert(format!("Table{n}"), json!({"Type": "AWS::DynamoDB::Table", "Properties": {"BillingMode": "PAY_PER_REQUEST", "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}], "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}], "StreamSpecification": {"StreamViewType": "NEW_AND_OLD_IMAGES"}, "Tags": [{"Key": "team", "Value": format!("team-{}", rng.below(50))}]}}));
            n += 1;
        }
    }
}

fn terraform(scenarios: &[&Scenario], target: usize, rng: &mut Rng) -> (String, Vec<String>) {
    let mut text = String::new();
    let mut names = Vec::new();
    for (k, s) in scenarios.iter().enumerate() {
        let (db_type, group_type, group_attr) = if s.cluster {
            (
                "aws_rds_cluster",
                "aws_rds_cluster_parameter_group",
                "db_cluster_parameter_group_name",
            )
        } else {
            (
                "aws_db_instance",
                "aws_db_parameter_group",
                "parameter_group_name",
            )
        };
        if let Some(value) = s.setting {
            writeln!(text, "resource \"{group_type}\" \"params_{k}\" {{\n  name   = \"params-{k}\"\n  family = \"{}\"\n\n  parameter {{\n    name  = \"{}\"\n    value = \"{value}\"\n  }}\n}}\n", s.family, s.parameter).unwrap();
        }
        writeln!(text, "resource \"{db_type}\" \"db_{k}\" {{\n  engine         = \"{}\"\n  engine_version = \"{}\"", s.engine, s.version).unwrap();
        if s.setting.is_some() {
            writeln!(text, "  {group_attr} = {group_type}.params_{k}.name").unwrap();
        }
        text.push_str("}\n\n");
        names.push(format!("{db_type}.db_{k}"));
    }
    let mut n = 0;
    while text.len() < target {
        match rng.below(3) {
            0 => writeln!(text, "resource \"aws_s3_bucket\" \"bucket_{n}\" {{\n  bucket = \"app-{n}-${{var.account}}\"\n  tags = {{\n    team        = \"platform\"\n    cost_center = \"{}\"\n  }}\n}}\n", 1000 + n).unwrap(),
            1 => writeln!(text, "resource \"aws_iam_role_policy\" \"policy_{n}\" {{\n  name = \"policy-{n}\"\n  role = \"role-{n}\"\n  policy = jsonencode({{\n    Version = \"2012-10-17\"\n    Statement = [{{\n      Effect   = \"Allow\"\n      Action   = [\"s3:GetObject\", \"s3:PutObject\", \"sqs:SendMessage\"]\n      Resource = \"*\"\n    }}]\n  }})\n}}\n").unwrap(),
            _ => writeln!(text, "resource \"aws_security_group_rule\" \"ingress_{n}\" {{\n  type              = \"ingress\"\n  from_port         = {}\n  to_port           = {}\n  protocol          = \"tcp\"\n  cidr_blocks       = [\"10.{}.0.0/16\"]\n  security_group_id = \"sg-{n:08x}\"\n}}\n", 1000 + n % 5000, 1000 + n % 5000, n % 255).unwrap(),
        }
        n += 1;
    }
    (text, names)
}
