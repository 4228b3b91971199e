//! Which files a run reads (templates, `.tf`, `.tf.json`, plan JSON): named files as they are, directories walked with the `ignore`
//! crate (parallel-ready, gitignore-style `--exclude` globs), skipping `.git`, `.terraform` and
//! `node_modules`. `.gitignore` files are not honoured: generated templates such as `cdk.out`
//! are usually ignored by git and are exactly what users want checked.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use ignore::WalkBuilder;

use super::Input;
use crate::source::display_path;
use crate::source::normalize;

/// Directories never walked.
const SKIPPED_DIRS: &[&str] = &[".git", ".terraform", ".terragrunt-cache", "node_modules"];
/// Extensions a directory walk picks up.
const EXTENSIONS: &[&str] = &["json", "yaml", "yml", "template", "tf", "tofu", "hcl"];

pub struct Discovered {
    pub inputs: Vec<Input>,
    /// Directories that could not be read: reported, and the rest is checked.
    pub warnings: Vec<String>,
}

/// An `--exclude` or config `exclude` glob and the directory it is relative to.
pub struct Exclude {
    pub root: PathBuf,
    pub glob: String,
}

/// `force_exclude`: the excludes apply to named files and directories too (pre-commit names
/// every changed file); otherwise what is named is checked.
pub fn discover(
    paths: &[PathBuf],
    excludes: &[Exclude],
    force_exclude: bool,
    cwd: &Path,
) -> Result<Discovered> {
    let excluded = exclusions(excludes, cwd)?;
    let mut inputs = Vec::new();
    let mut warnings = Vec::new();
    for path in paths {
        let metadata =
            std::fs::metadata(path).with_context(|| format!("cannot read `{}`", path.display()))?;
        if force_exclude && is_excluded(&excluded, path, metadata.is_dir(), cwd) {
            continue;
        }
        if metadata.is_file() {
            inputs.push(Input {
                path: path.clone(),
                display: display_path(path, cwd),
                text: None,
                explicit: true,
            });
            continue;
        }
        if !metadata.is_dir() {
            bail!("`{}` is neither a file nor a directory", path.display());
        }
        std::fs::read_dir(path).with_context(|| format!("cannot read `{}`", path.display()))?;
        let excluded = excluded.clone();
        let cwd_for_filter = cwd.to_path_buf();
        let mut builder = WalkBuilder::new(path);
        builder
            .standard_filters(false)
            .hidden(false)
            .follow_links(false)
            .filter_entry(move |entry| {
                let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
                if is_dir
                    && entry.depth() > 0
                    && SKIPPED_DIRS.contains(&entry.file_name().to_str().unwrap_or(""))
                {
                    return false;
                }
                !is_excluded(&excluded, entry.path(), is_dir, &cwd_for_filter)
            });
        let (found, mut found_warnings) = walk(&builder, cwd);
        inputs.extend(found);
        found_warnings.sort();
        warnings.extend(found_warnings);
    }
    inputs.sort_by(|a, b| a.display.cmp(&b.display));
    inputs.dedup_by(|a, b| a.display == b.display);
    Ok(Discovered { inputs, warnings })
}

/// Entries a walk visits on the calling thread before it starts over on every core.
const SERIAL_ENTRIES: usize = 2_000;

/// The inputs and warnings of one directory's walk, in no set order (the caller sorts them).
/// A small tree is walked on the calling thread; a larger one (past `SERIAL_ENTRIES`) is
/// walked again on every core, where the threads the parallel walker starts pay for
/// themselves (a few hundred microseconds here, more than a small tree's whole walk).
fn walk(builder: &WalkBuilder, cwd: &Path) -> (Vec<Input>, Vec<String>) {
    let mut found = (Vec::new(), Vec::new());
    let add = |found: &mut (Vec<Input>, Vec<String>), visited| match visited {
        Visited::Input(input) => found.0.push(input),
        Visited::Warning(warning) => found.1.push(warning),
        Visited::Nothing => {}
    };
    let mut entries = builder.build();
    for entry in entries.by_ref().take(SERIAL_ENTRIES) {
        add(&mut found, visit(entry, cwd));
    }
    if entries.next().is_none() {
        return found;
    }
    drop(entries);
    let found = std::sync::Mutex::new((Vec::new(), Vec::new()));
    builder.build_parallel().run(|| {
        let found = &found;
        Box::new(move |entry| {
            let visited = visit(entry, cwd);
            if !matches!(visited, Visited::Nothing) {
                add(
                    &mut found.lock().unwrap_or_else(|e| e.into_inner()),
                    visited,
                );
            }
            ignore::WalkState::Continue
        })
    });
    found.into_inner().unwrap_or_else(|e| e.into_inner())
}

/// What one entry of a walk gives.
enum Visited {
    Input(Input),
    Warning(String),
    Nothing,
}

fn visit(entry: Result<ignore::DirEntry, ignore::Error>, cwd: &Path) -> Visited {
    match entry {
        // Symlinked files are read through the link (a dangling one is an `io-error`);
        // symlinked directories are not followed, so a link loop cannot trap the walk;
        // a link to a FIFO, socket or device is skipped like one met directly.
        Ok(entry)
            if entry
                .file_type()
                .is_some_and(|t| t.is_file() || t.is_symlink()) =>
        {
            let linked = entry.file_type().is_some_and(|t| t.is_symlink());
            if !has_candidate_extension(entry.path()) {
                return Visited::Nothing;
            }
            if linked && std::fs::metadata(entry.path()).is_ok_and(|m| !m.is_file()) {
                return Visited::Nothing;
            }
            Visited::Input(Input {
                path: entry.path().to_path_buf(),
                display: display_path(entry.path(), cwd),
                text: None,
                explicit: false,
            })
        }
        Ok(_) => Visited::Nothing,
        // A directory that cannot be read is checked as an input, so it is an
        // `io-error` finding (which fails the run) rather than a note on stderr.
        Err(error) => match error_path(&error) {
            Some(path) => Visited::Input(Input {
                path: path.to_path_buf(),
                display: display_path(path, cwd),
                text: None,
                explicit: true,
            }),
            None => Visited::Warning(error.to_string()),
        },
    }
}

/// The path an error of the walk is about.
fn error_path(error: &ignore::Error) -> Option<&Path> {
    match error {
        ignore::Error::WithPath { path, .. } => Some(path),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        _ => None,
    }
}

/// By the name's extension; a name that is not UTF-8 is judged by its lossy form (and read).
fn has_candidate_extension(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default()
        .to_ascii_lowercase();
    name.rsplit_once('.')
        .is_some_and(|(_, ext)| EXTENSIONS.contains(&ext))
}

/// Most exclude globs one run takes: the matcher compiles them into one automaton, and
/// 100,000 of them took 600 MB.
const MAX_EXCLUDES: usize = 10_000;

/// One matcher per root directory, each matching paths relative to its root.
fn exclusions(excludes: &[Exclude], cwd: &Path) -> Result<Vec<(PathBuf, Gitignore)>> {
    if excludes.len() > MAX_EXCLUDES {
        bail!(
            "{} exclude globs, over the {MAX_EXCLUDES} one run takes; use fewer, broader ones",
            excludes.len()
        );
    }
    let mut roots: Vec<(PathBuf, GitignoreBuilder)> = Vec::new();
    for exclude in excludes {
        let root = cwd.join(&exclude.root);
        if !roots.iter().any(|(r, _)| *r == root) {
            roots.push((root.clone(), GitignoreBuilder::new(&root)));
        }
        let builder = &mut roots.iter_mut().find(|(r, _)| *r == root).unwrap().1;
        builder
            .add_line(None, &exclude.glob)
            .with_context(|| format!("bad exclude glob `{}`", exclude.glob))?;
    }
    roots
        .into_iter()
        .map(|(root, builder)| {
            Ok((
                root,
                builder.build().context("cannot build the exclude globs")?,
            ))
        })
        .collect()
}

/// Whether `--stdin-filename PATH` is excluded (with `--force-exclude`).
pub fn excludes_name(excludes: &[Exclude], path: &Path, cwd: &Path) -> Result<bool> {
    Ok(is_excluded(&exclusions(excludes, cwd)?, path, false, cwd))
}

fn is_excluded(excluded: &[(PathBuf, Gitignore)], path: &Path, is_dir: bool, cwd: &Path) -> bool {
    let absolute = normalize(&cwd.join(path));
    excluded.iter().any(|(root, matcher)| {
        let Ok(relative) = absolute.strip_prefix(normalize(root)) else {
            return false;
        };
        !relative.as_os_str().is_empty()
            && matcher
                .matched_path_or_any_parents(relative, is_dir)
                .is_ignore()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tree past `SERIAL_ENTRIES` is walked again on every core: the same inputs, sorted,
    /// with skipped directories and excludes honoured as in a small tree's walk.
    #[test]
    fn a_large_tree_is_walked_in_parallel_with_the_same_filters() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let mut expected = Vec::new();
        for d in 0..50 {
            let sub = root.join(format!("d{d:02}"));
            std::fs::create_dir(&sub).unwrap();
            for f in 0..50 {
                let name = match f % 3 {
                    0 => format!("t{f:02}.yaml"),
                    1 => format!("m{f:02}.tf"),
                    _ => format!("n{f:02}.txt"),
                };
                std::fs::write(sub.join(&name), "").unwrap();
                if f % 3 != 2 && d != 7 {
                    expected.push(format!("d{d:02}/{name}"));
                }
            }
        }
        for skipped in [".terraform", "node_modules"] {
            std::fs::create_dir(root.join(skipped)).unwrap();
            std::fs::write(root.join(skipped).join("x.tf"), "").unwrap();
        }
        let excludes = [Exclude {
            root: root.to_path_buf(),
            glob: "d07/".to_string(),
        }];
        let small = discover(&[root.join("d00")], &[], false, root).unwrap();
        assert_eq!(small.inputs.len(), 34, "a small tree, walked on one thread");
        let found = discover(&[root.to_path_buf()], &excludes, false, root).unwrap();
        expected.sort();
        let shown: Vec<&str> = found.inputs.iter().map(|i| i.display.as_str()).collect();
        assert_eq!(shown, expected);
        assert!(found.warnings.is_empty());
    }
}
