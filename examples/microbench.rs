//! Throughput of each reader and of the whole check, on texts already in memory, one thread:
//! YAML, JSON and HCL, each full and targeted; the verdict alone (linking and judging lowered
//! models); and `check` (parse, lower, verdict) end to end.
//!
//!     cargo run --release --example gen_corpus -- 1000 target/bench/corpus-1k
//!     cargo run --release --example microbench -- target/bench/corpus-1k
//!
//! `ONLY=<part of a name>` runs those measurements alone; `ROUNDS=<n>` does each n times
//! instead of for a second, for an instruction count under callgrind that does not move:
//!
//!     ONLY="yaml, mask" ROUNDS=1 valgrind --tool=callgrind target/release/examples/microbench

use std::path::{Path, PathBuf};
use std::time::Instant;

use intransit::source::FileId;
use intransit::{Input, Settings};

fn files(dir: &Path, ext: &str) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.to_string_lossy().ends_with(ext) {
                out.push((path.clone(), std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    out
}

/// Whether `ONLY` (a part of a measurement's name) leaves out `name`.
fn skipped(name: &str) -> bool {
    std::env::var("ONLY").is_ok_and(|only| !name.contains(&only))
}

/// Whether a measurement is done `ROUNDS` times over its texts, when set (under callgrind,
/// whose instruction counts are then the same from run to run), else for a second.
fn more_rounds(rounds: usize, started: Instant) -> bool {
    match std::env::var("ROUNDS")
        .ok()
        .and_then(|r| r.parse::<usize>().ok())
    {
        Some(wanted) => rounds < wanted,
        None => rounds == 0 || started.elapsed().as_secs_f64() < 1.0,
    }
}

/// Runs `f` over every text until at least a second has passed (or `ROUNDS` times); prints
/// MB/s.
fn measure(name: &str, texts: &[(PathBuf, String)], mut f: impl FnMut(&str)) {
    if skipped(name) {
        return;
    }
    let bytes: usize = texts.iter().map(|(_, t)| t.len()).sum();
    let started = Instant::now();
    let mut rounds = 0;
    while more_rounds(rounds, started) {
        for (_, text) in texts {
            f(text);
        }
        rounds += 1;
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{name:<28}{:>8.1} MB/s",
        (bytes * rounds) as f64 / seconds / 1e6
    );
}

fn main() {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "target/bench/corpus-1k".into()),
    );
    let yaml = files(&dir, ".yaml");
    let json = files(&dir, ".json");
    let hcl = files(&dir, ".tf");
    let id = FileId(0);
    measure("yaml, full", &yaml, |t| {
        drop(intransit::cloudformation::yaml::parse(t, id))
    });
    measure("yaml, targeted", &yaml, |t| {
        let masked = intransit::cloudformation::targeted::relevant_only(t);
        drop(intransit::cloudformation::yaml::parse(
            masked.as_ref().map_or(t, |m| &m.text),
            id,
        ))
    });
    measure("json, full", &json, |t| {
        drop(intransit::tree::json::parse(t, id))
    });
    measure("json, targeted", &json, |t| {
        let masked = intransit::cloudformation::targeted::relevant_only_json(t);
        drop(intransit::tree::json::parse(
            masked.as_ref().map_or(t, |m| &m.text),
            id,
        ))
    });
    measure("yaml, mask only", &yaml, |t| {
        drop(intransit::cloudformation::targeted::relevant_only(t))
    });
    measure("json, mask only", &json, |t| {
        drop(intransit::cloudformation::targeted::relevant_only_json(t))
    });
    measure("too_deep yaml", &yaml, |t| {
        std::hint::black_box(intransit::source::too_deep(t, 256));
    });
    measure("too_deep json", &json, |t| {
        std::hint::black_box(intransit::source::too_deep(t, 256));
    });
    measure("too_deep hcl", &hcl, |t| {
        std::hint::black_box(intransit::source::too_deep(t, 256));
    });
    for (name, set) in [("yaml", &yaml), ("json", &json)] {
        if skipped("cut by targeted reading") {
            break;
        }
        let (mut total, mut cut, mut kept) = (0usize, 0usize, 0usize);
        for (_, t) in set.iter() {
            total += t.len();
            let m = if name == "yaml" {
                intransit::cloudformation::targeted::relevant_only(t)
            } else {
                intransit::cloudformation::targeted::relevant_only_json(t)
            };
            if let Some(m) = m {
                // Unread blocks are cut out: what the parser is spared.
                cut += t.len().saturating_sub(m.text.len());
                kept += 1;
            }
        }
        println!(
            "{name}: {total} bytes, {cut} cut, {kept}/{} targeted",
            set.len()
        );
    }
    measure("hcl, full", &hcl, |t| {
        drop(intransit::terraform::syntax::parse(t, id))
    });
    measure(
        "hcl, targeted",
        &hcl,
        |t| match intransit::terraform::targeted::relevant_only(t, None) {
            Some((text, shifts)) => drop(intransit::terraform::syntax::parse_in(
                &text, id, &shifts, true,
            )),
            None => drop(intransit::terraform::syntax::parse(t, id)),
        },
    );
    if skipped("verdict") {
        return;
    }
    // The verdict alone: every CloudFormation template lowered once, then linked and judged.
    let models: Vec<intransit::model::FileModel> = yaml
        .iter()
        .chain(&json)
        .enumerate()
        .filter_map(|(i, (path, text))| {
            let file = intransit::source::SourceFile::new(
                FileId(i as u32),
                path.clone(),
                path.display().to_string(),
                std::sync::Arc::new(text.clone()),
                intransit::source::Encoding::Utf8,
            );
            let syntax = if path.to_string_lossy().ends_with(".json") {
                intransit::cloudformation::Syntax::Json
            } else {
                intransit::cloudformation::Syntax::Yaml
            };
            intransit::cloudformation::load(&file, syntax, true).map(|l| l.model)
        })
        .collect();
    let databases: usize = models.iter().map(|m| m.databases.len()).sum();
    let started = Instant::now();
    let mut rounds = 0;
    while more_rounds(rounds, started) {
        let refs: Vec<&intransit::model::FileModel> = models.iter().collect();
        drop(intransit::rules::evaluate(&refs, false));
        rounds += 1;
    }
    let per_database = started.elapsed().as_secs_f64() / (rounds * databases.max(1)) as f64;
    println!(
        "{:<28}{:>8.2} µs per database  ({databases} databases)",
        "verdict",
        per_database * 1e6
    );
    if skipped("check, CloudFormation") {
        return;
    }
    // The whole check on in-memory CloudFormation texts: read, parse, lower, verdict, report.
    let settings = Settings::default();
    let mut all: Vec<(PathBuf, String)> = yaml.clone();
    all.extend(json.clone());
    let inputs: Vec<Input> = all
        .iter()
        .map(|(path, text)| Input {
            path: path.clone(),
            display: path.display().to_string(),
            text: Some(text.clone()),
            explicit: true,
        })
        .collect();
    let one_pass = |inputs: &[Input]| drop(intransit::check(inputs, &settings));
    let bytes: usize = all.iter().map(|(_, t)| t.len()).sum();
    let started = Instant::now();
    one_pass(&inputs);
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{:<28}{:>8.1} MB/s  ({} templates, all cores)",
        "check, CloudFormation",
        bytes as f64 / seconds / 1e6,
        inputs.len()
    );
}
