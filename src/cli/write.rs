//! Writing files: reports, baselines and fixed templates go through an exclusive temporary
//! file with an unpredictable name in the target's directory (`tempfile`), synced, then
//! renamed over the target, so a reader sees the old file or the new one, never half; the
//! temporary file is removed on any failure and on Ctrl-C or SIGTERM (`interrupt_cleanup`).
//! A fixed template whose inode carries more than its bytes (other hard links, extended
//! attributes, an owner the new file could not be given) is written in place instead, with a
//! backup copy kept until the write is complete.

use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Temporary files being written: removed if the run is interrupted.
static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// On Ctrl-C or SIGTERM, remove the temporary files being written, then exit 130. Installed
/// before the first temporary file is made (the handler is a thread of its own: a run that
/// writes no file does not start it).
fn interrupt_cleanup() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let _ = ctrlc::set_handler(|| {
            if let Ok(live) = LIVE.lock() {
                for path in live.iter() {
                    let _ = std::fs::remove_file(path);
                }
            }
            std::process::exit(130);
        });
    });
}

fn track(path: &Path, live: bool) {
    if let Ok(mut paths) = LIVE.lock() {
        if live {
            paths.push(path.to_path_buf());
        } else {
            paths.retain(|p| p != path);
        }
    }
}

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
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    interrupt_cleanup();
    let temporary = tempfile::Builder::new()
        .prefix(".intransit-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    let name = temporary.path().to_path_buf();
    track(&name, true);
    let written = (|| {
        let mut out = io::BufWriter::with_capacity(64 * 1024, temporary);
        write(&mut out)?;
        let temporary = out.into_inner().map_err(|e| e.into_error())?;
        temporary.as_file().sync_all()?;
        let permissions = permissions.unwrap_or_else(|| std::fs::Permissions::from_mode(0o644));
        temporary.as_file().set_permissions(permissions)?;
        temporary.persist(path).map_err(|e| e.error)?;
        Ok(())
    })();
    track(&name, false);
    written
}

/// Replaces a fixed template's text, keeping what its inode carries: mode always; owner, other
/// hard links and extended attributes by writing in place when a rename would lose them.
pub fn replace_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let metadata = std::fs::metadata(path)?;
    // SAFETY: geteuid and getegid have no preconditions.
    let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
    let foreign_owner = (metadata.uid(), metadata.gid()) != (uid, gid);
    if metadata.nlink() > 1 || has_xattrs(path) || (foreign_owner && uid != 0) {
        return in_place(path, bytes);
    }
    let permissions = metadata.permissions();
    let owner = foreign_owner.then(|| (metadata.uid(), metadata.gid()));
    atomically_with(path, Some(permissions), |out| {
        out.write_all(bytes)?;
        Ok(())
    })?;
    // Root rewrote another user's file: give it back.
    if let Some((uid, gid)) = owner {
        std::os::unix::fs::chown(path, Some(uid), Some(gid))?;
    }
    Ok(())
}

/// Writes through the existing inode, after copying the original beside it; the copy is
/// removed once the new text is on disk, and named in the error if the write fails.
fn in_place(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    let original = std::fs::read(path)?;
    let mut backup = tempfile::Builder::new()
        .prefix(".intransit-")
        .suffix(".orig")
        .tempfile_in(dir.unwrap_or(Path::new(".")))?;
    backup.write_all(&original)?;
    backup.as_file().sync_all()?;
    let mut file = std::fs::OpenOptions::new().write(true).open(path)?;
    let written = file
        .write_all(bytes)
        .and_then(|()| file.set_len(bytes.len() as u64))
        .and_then(|()| file.sync_all());
    match written {
        Ok(()) => Ok(()),
        Err(error) => {
            let kept = backup.keep().map(|(_, p)| p).unwrap_or_default();
            Err(io::Error::other(format!(
                "{error}; the original text is in `{}`",
                kept.display()
            )))
        }
    }
}

/// Whether the file has extended attributes (which a rename onto a new file would drop).
#[cfg(target_os = "linux")]
fn has_xattrs(path: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(name) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: a valid C string and a null buffer of size 0 ask only for the list's size.
    let size = unsafe { libc::listxattr(name.as_ptr(), std::ptr::null_mut(), 0) };
    size > 0
}

#[cfg(not(target_os = "linux"))]
fn has_xattrs(_path: &Path) -> bool {
    false
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

    #[test]
    fn hard_links_stay_one_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.yaml");
        std::fs::write(&path, "original text").unwrap();
        std::fs::hard_link(&path, dir.path().join("other-name.yaml")).unwrap();
        replace_file(&path, b"fixed").unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("other-name.yaml")).unwrap(),
            "fixed"
        );
        assert_eq!(std::fs::metadata(&path).unwrap().nlink(), 2);
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            2,
            "no backup left"
        );
    }
}
