//! Paths as reports show them and as module calls compare them.

use std::path::{Component, Path, PathBuf};

/// The path as reports show it: relative to `base` when inside it, with `/` separators.
pub fn display_path(path: &Path, base: &Path) -> String {
    let relative = path
        .strip_prefix(base)
        .ok()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(path);
    let relative = relative.strip_prefix(".").unwrap_or(relative);
    // `sub/../db.yaml` is `db.yaml`: one file, one name.
    let relative = normalize(relative);
    let shown = relative.to_string_lossy().replace('\\', "/");
    if shown.is_empty() {
        path.to_string_lossy().replace('\\', "/")
    } else {
        shown
    }
}

/// `a/./b/../c` as `a/c`, without touching the file system.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir
                if out
                    .components()
                    .next_back()
                    .is_some_and(|c| matches!(c, Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other),
        }
    }
    if out.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        out
    }
}
