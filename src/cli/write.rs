//! Writing files: reports, baselines and fixed templates go through an exclusive temporary
//! file with an unpredictable name in the target's directory (`tempfile`), synced, then
//! renamed over the target, so a reader sees the old file or the new one, never half; the
//! temporary file is removed on any failure.

use std::io::{self, Write};
use std::path::Path;

/// Writes to `to` through a buffer, flushed at the end.
pub fn buffered(
    to: impl Write,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let mut out = io::BufWriter::with_capacity(64 * 1024, to);
    write(&mut out)?;
    out.flush()
}

/// Replaces `path` with `bytes` atomically; `permissions` are the original file's (a new file
/// gets 0644).
pub fn atomically(
    path: &Path,
    bytes: &[u8],
    permissions: Option<std::fs::Permissions>,
) -> io::Result<()> {
    atomically_with(path, permissions, |out| out.write_all(bytes))
}

/// `atomically` for content written piece by piece (a report rendered as it goes).
pub fn atomically_with(
    path: &Path,
    permissions: Option<std::fs::Permissions>,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let temporary = tempfile::Builder::new()
        .prefix(".intransit-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    let mut out = io::BufWriter::with_capacity(64 * 1024, temporary);
    write(&mut out)?;
    let temporary = out.into_inner().map_err(|e| e.into_error())?;
    temporary.as_file().sync_all()?;
    let permissions = permissions.unwrap_or_else(|| std::fs::Permissions::from_mode(0o644));
    temporary.as_file().set_permissions(permissions)?;
    temporary.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_the_original_and_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.yaml");
        std::fs::write(&path, "original").unwrap();
        let failed = atomically_with(&path, None, |out| {
            out.write_all(b"half")?;
            Err(io::Error::other("interrupted"))
        });
        assert!(failed.is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "original");
        atomically(&path, b"fixed", None).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "fixed");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file left"
        );
    }
}
