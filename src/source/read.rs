//! Reading files for the front ends: bounded by `max-file-size`, with the message both front
//! ends give for a file that is too large.

use std::io::Read;
use std::path::Path;

/// The most files one parallel task reads in a row (`with_max_len` on the loops over files).
/// Rayon splits a range only while another worker asks for work, so a range's last pieces can
/// be thousands of files long: one worker read them while the other had nothing left, and a
/// run of 100,000 files ended with half a second on one core.
pub const FILES_PER_TASK: usize = 32;

/// A file's bytes, or its size and first bytes when it is over the limit.
pub enum Limited {
    Whole(Vec<u8>),
    TooLarge { size: u64, head: Vec<u8> },
}

/// Reads a file unless it is larger than `limit`; then only its first 64 KiB, to tell whether
/// it looks like something the user expects checked. Only a regular file is read: the open
/// does not wait for a FIFO's writer, and a FIFO, socket or device (`/dev/zero` behind a
/// symlink) is an error; a file that grows while it is read is still read only up to the limit.
pub fn read_limited(path: &Path, limit: u64) -> std::io::Result<Limited> {
    let (mut file, size) = open_regular(path)?;
    if size <= limit {
        // One read, of one byte more than the size the file had when opened: when it gives
        // that size, the file is read (a regular file's read stops short only at its end). A
        // file that grew meanwhile, or a read that stopped short of the size, is read on until
        // a read finds the end, up to one byte past the limit. The buffer is not zeroed first
        // (`read_into_spare`): the read fills it.
        let mut bytes: Vec<u8> = Vec::with_capacity(size as usize + 1);
        loop {
            if bytes.len() == bytes.capacity() {
                if bytes.len() as u64 > limit {
                    break;
                }
                let grown = (bytes.len() * 2).min(limit.saturating_add(1) as usize);
                bytes.reserve_exact(grown.max(bytes.len() + 1) - bytes.len());
            }
            match read_into_spare(&file, &mut bytes) {
                Ok(0) => break,
                Ok(_) if bytes.len() as u64 == size && bytes.len() < bytes.capacity() => break,
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if bytes.len() as u64 <= limit {
            return Ok(Limited::Whole(bytes));
        }
        let size = bytes.len() as u64;
        bytes.truncate(64 * 1024);
        return Ok(Limited::TooLarge { size, head: bytes });
    }
    let mut head = vec![0; 64 * 1024];
    let n = file.read(&mut head)?;
    head.truncate(n);
    Ok(Limited::TooLarge { size, head })
}

/// One `read(2)` into the spare capacity of `bytes`, whose length grows by what it read: the
/// memory is not zeroed first, which cost as much as the read itself for a file the page cache
/// holds.
fn read_into_spare(file: &std::fs::File, bytes: &mut Vec<u8>) -> std::io::Result<usize> {
    use std::os::fd::AsRawFd;
    let spare = bytes.spare_capacity_mut();
    // SAFETY: read(2) writes at most `spare.len()` bytes, from the start of `spare`, which is
    // memory the vector owns; the `n` bytes it reports are then initialized.
    let n = unsafe { libc::read(file.as_raw_fd(), spare.as_mut_ptr().cast(), spare.len()) };
    let n = usize::try_from(n).map_err(|_| std::io::Error::last_os_error())?;
    // SAFETY: `n <= spare.len()`, and those bytes were just written.
    unsafe { bytes.set_len(bytes.len() + n) };
    Ok(n)
}

/// A file's bytes when it is a regular file of at most `limit` bytes; otherwise an error
/// saying which (for the config, a baseline, `modules.json`, a re-read).
pub fn read_regular(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    match read_limited(path, limit)? {
        Limited::Whole(bytes) => Ok(bytes),
        Limited::TooLarge { size, .. } => Err(std::io::Error::other(format!(
            "the file is {size} bytes, over the {limit}-byte limit"
        ))),
    }
}

/// Opens a regular file without blocking on a FIFO, and refuses anything else; with its size.
fn open_regular(path: &Path) -> std::io::Result<(std::fs::File, u64)> {
    use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
    // O_NONBLOCK: opening a FIFO for reading returns at once instead of waiting for a writer
    // (reads of a regular file are unaffected). O_NOCTTY: a terminal never becomes ours.
    const O_NONBLOCK: i32 = 0o4000;
    const O_NOCTTY: i32 = 0o400;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(O_NONBLOCK | O_NOCTTY)
        .open(path)?;
    let metadata = file.metadata()?;
    let kind = metadata.file_type();
    if kind.is_file() {
        return Ok((file, metadata.len()));
    }
    let what = if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_char_device() || kind.is_block_device() {
        "a device"
    } else if kind.is_socket() {
        "a socket"
    } else if kind.is_dir() {
        "a directory"
    } else {
        "not a file"
    };
    Err(std::io::Error::other(format!(
        "it is {what}, not a regular file"
    )))
}

/// Why an oversized file is not read (CloudFormation and Terraform alike).
pub fn too_large_message(size: u64, limit: u64) -> String {
    format!(
        "the file is {size} bytes, over the {limit}-byte limit (`max-file-size` in \
         intransit.toml); it is not read"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_up_to_the_limit_and_the_size_past_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.yaml");
        for (text, limit, whole) in [
            ("", 0, true),
            ("abc", 3, true),
            ("abcd", 3, false),
            ("abc", 100, true),
        ] {
            std::fs::write(&path, text).unwrap();
            match read_limited(&path, limit).unwrap() {
                Limited::Whole(bytes) => {
                    assert!(whole, "{text:?} within {limit}");
                    assert_eq!(bytes, text.as_bytes());
                }
                Limited::TooLarge { size, head } => {
                    assert!(!whole, "{text:?} over {limit}");
                    assert_eq!(size, text.len() as u64);
                    assert_eq!(head, text.as_bytes());
                }
            }
        }
        let error = read_limited(dir.path(), 10).err().unwrap();
        assert!(error.to_string().contains("a directory"), "{error}");
    }
}
