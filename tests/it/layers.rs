//! The crate's shape: imports flow one way, from the top of the pipeline to the bottom
//! (ARCHITECTURE.md, "Layers"). Every `crate::` path in `src/` is read; a module may use its
//! own module and the layers below its own, never a layer above or a sibling in its layer.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The library's layers, bottom first. A module may import only from earlier rows.
const LIBRARY: &[&[&str]] = &[
    &["source"],
    &["diagnostic"],
    &["tree", "suppression", "baseline"],
    &["settings"],
    &["model"],
    &["cloudformation", "terraform"],
    &["rules"],
    &["fix"],
    &["report"],
    &["pipeline"],
];

/// The binary's modules: each uses the library, and neither uses the other.
const BINARY: &[&[&str]] = &[&["cli", "server"]];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level modules a file's code names through `crate::` (comments left out).
fn crate_paths(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            if let Some(group) = after.strip_prefix('{') {
                // `crate::{a, b::c}`: the first name of each top-level item.
                let mut depth = 0;
                let mut item = String::new();
                for c in group.chars() {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => break,
                        '}' => depth -= 1,
                        ',' if depth == 0 => {
                            found.insert(first_name(&item));
                            item.clear();
                            continue;
                        }
                        _ => {}
                    }
                    item.push(c);
                }
                found.insert(first_name(&item));
            } else {
                found.insert(first_name(after));
            }
            rest = after;
        }
    }
    found.retain(|name| !name.is_empty());
    found
}

fn first_name(text: &str) -> String {
    text.trim()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

fn layer_of(layers: &[&[&str]], module: &str) -> Option<usize> {
    layers.iter().position(|row| row.contains(&module))
}

/// Checks the files under `src/` whose module belongs to `layers`.
fn check(layers: &[&[&str]]) -> Vec<String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut problems = Vec::new();
    for file in files {
        let relative = file.strip_prefix(&src).unwrap();
        let first = relative.components().next().unwrap().as_os_str();
        let module = first.to_string_lossy().trim_end_matches(".rs").to_string();
        if module == "lib" || module == "main" {
            continue;
        }
        let Some(own) = layer_of(layers, &module) else {
            // A module of the other crate (library vs binary), or a new one.
            if layer_of(LIBRARY, &module).is_none() && layer_of(BINARY, &module).is_none() {
                problems.push(format!("{module}: not placed in a layer"));
            }
            continue;
        };
        let text = std::fs::read_to_string(&file).unwrap();
        for used in crate_paths(&text) {
            if used == module {
                continue;
            }
            match layer_of(layers, &used) {
                Some(layer) if layer < own => {}
                Some(_) => problems.push(format!(
                    "{} ({module}) imports `crate::{used}`, which is not below it",
                    relative.display()
                )),
                None => problems.push(format!(
                    "{} ({module}) imports `crate::{used}`, which no layer holds",
                    relative.display()
                )),
            }
        }
    }
    problems
}

#[test]
fn imports_flow_down_the_layers() {
    // The library root's re-exports (`crate::check`) are no layer: modules name `pipeline`.
    let mut problems = check(LIBRARY);
    problems.extend(check(BINARY));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_reader_understands_groups_and_comments() {
    let text = "use crate::{a, b::{c, d}, e};\n// crate::f\nlet x = crate::g::h(); // crate::i";
    let found: Vec<String> = crate_paths(text).into_iter().collect();
    assert_eq!(found, ["a", "b", "e", "g"]);
}
