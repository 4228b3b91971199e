//! The registry model and installed code agree (rule.md §6): every published example under
//! `fixtures/terraform/registry-*-examples/` is checked as a user writes it (the model reads
//! the calls' inputs), and again with `.terraform/modules` holding a module in the published
//! module's shape (`tests/it/registry_modules/`, as `terraform init` would leave it). The
//! verdicts, database by database, must be the same.

use std::path::{Path, PathBuf};

use intransit::{check, Input, Report, Settings};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The example folders: one root module each.
fn examples() -> Vec<PathBuf> {
    let mut found = Vec::new();
    for suite in ["registry-rds-examples", "registry-aurora-examples"] {
        let dir = root().join("fixtures/terraform").join(suite);
        for entry in std::fs::read_dir(&dir).unwrap() {
            found.push(entry.unwrap().path());
        }
    }
    found.sort();
    assert!(found.len() >= 15, "the published examples are fixtures");
    found
}

fn run(dir: &Path) -> Report {
    let inputs: Vec<Input> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "tf"))
        .map(|path| Input {
            display: path.file_name().unwrap().to_string_lossy().into_owned(),
            path,
            text: None,
            explicit: false,
        })
        .collect();
    let settings = Settings {
        base: dir.to_path_buf(),
        ..Settings::default()
    };
    check(&inputs, &settings)
}

/// What each finding says about which module call: rule, engine, version, parameter, value.
fn verdicts(report: &Report) -> Vec<String> {
    let mut out: Vec<String> = report
        .findings
        .in_memory()
        .iter()
        .map(|f| {
            let name = f.resource.as_ref().map_or("", |r| r.name.as_str());
            let call: Vec<&str> = name.split('.').take(2).collect();
            format!(
                "{} {} {:?} {:?} {:?} {:?}",
                call.join("."),
                f.rule,
                f.engine,
                f.engine_version,
                f.parameter,
                f.value
            )
        })
        .collect();
    out.sort();
    out
}

/// The module calls of an example's main.tf: name, source and version as written.
fn calls(text: &str) -> Vec<(String, String, Option<String>)> {
    let mut calls = Vec::new();
    let value = |line: &str| line.split('"').nth(1).map(str::to_string);
    let mut current: Option<(String, Option<String>, Option<String>)> = None;
    for line in text.lines() {
        let trimmed = line.trim();
        if let Some(rest) = trimmed.strip_prefix("module \"") {
            current = Some((rest.split('"').next().unwrap().to_string(), None, None));
        } else if let Some((_, source, version)) = current.as_mut() {
            if trimmed.starts_with("source") {
                *source = value(trimmed);
            } else if trimmed.starts_with("version") {
                *version = value(trimmed);
            } else if line.starts_with('}') {
                let (name, source, version) = current.take().unwrap();
                calls.push((name, source.unwrap(), version));
            }
        }
    }
    calls
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// The example with `.terraform/modules` holding each registry module it calls.
fn installed(example: &Path, scratch: &Path) -> PathBuf {
    let dir = scratch.join(example.file_name().unwrap());
    copy_dir(example, &dir);
    let text = std::fs::read_to_string(example.join("main.tf")).unwrap();
    let mut modules = vec![serde_json::json!({"Key": "", "Source": "", "Dir": "."})];
    for (name, source, version) in calls(&text) {
        let (shape, release) =
            intransit::terraform::registry::recognise(&source, version.as_deref())
                .expect("a modelled module")
                .expect("a version the model knows");
        let major: u32 = release.split('.').next().unwrap().parse().unwrap();
        let reduction = match shape.source {
            "terraform-aws-modules/rds/aws" => "rds",
            _ if major >= 10 => "rds-aurora-v10",
            _ => "rds-aurora-v9",
        };
        copy_dir(
            &root().join("tests/it/registry_modules").join(reduction),
            &dir.join(".terraform/modules").join(&name),
        );
        modules.push(serde_json::json!({
            "Key": name,
            "Source": format!("registry.terraform.io/{}", shape.source),
            "Version": release,
            "Dir": format!(".terraform/modules/{name}"),
        }));
    }
    std::fs::write(
        dir.join(".terraform/modules/modules.json"),
        serde_json::json!({ "Modules": modules }).to_string(),
    )
    .unwrap();
    dir
}

#[test]
fn the_registry_model_and_installed_modules_agree_on_the_published_examples() {
    let scratch = tempfile::tempdir().unwrap();
    let mut findings = 0;
    for example in examples() {
        let name = example.file_name().unwrap().to_string_lossy().into_owned();
        let modelled = run(&example);
        let real = run(&installed(&example, scratch.path()));
        // Each path ran: the model names databases by the call, the code by its resources.
        assert!(
            modelled.databases.iter().all(|d| !d.name.contains(".aws_")),
            "{name}: modelled {:?}",
            modelled.databases
        );
        assert!(
            real.databases.iter().all(|d| d.name.contains(".aws_")),
            "{name}: installed {:?}",
            real.databases
        );
        assert_eq!(
            modelled.databases.len(),
            real.databases.len(),
            "{name}: the same databases"
        );
        assert_eq!(
            verdicts(&modelled),
            verdicts(&real),
            "{name}: the model and the installed module differ"
        );
        findings += modelled.findings.len();
    }
    assert!(findings >= 10, "the examples have findings to agree on");
}
