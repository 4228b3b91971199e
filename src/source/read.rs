//! Reading files for the front ends: bounded by `max-file-size`, with the message both front
//! ends give for a file that is too large.

use std::io::Read;
use std::path::Path;

/// A file's bytes, or its size and first bytes when it is over the limit.
pub enum Limited {
    Whole(Vec<u8>),
    TooLarge { size: u64, head: Vec<u8> },
}

/// Reads a file unless it is larger than `limit`; then only its first 64 KiB, to tell whether
/// it looks like something the user expects checked.
pub fn read_limited(path: &Path, limit: u64) -> std::io::Result<Limited> {
    let mut file = std::fs::File::open(path)?;
    let size = file.metadata()?.len();
    if size <= limit {
        let mut bytes = Vec::with_capacity(size as usize);
        file.read_to_end(&mut bytes)?;
        return Ok(Limited::Whole(bytes));
    }
    let mut head = vec![0; 64 * 1024];
    let n = file.read(&mut head)?;
    head.truncate(n);
    Ok(Limited::TooLarge { size, head })
}

/// Why an oversized file is not read (CloudFormation and Terraform alike).
pub fn too_large_message(size: u64, limit: u64) -> String {
    format!(
        "the file is {size} bytes, over the {limit}-byte limit (`max-file-size` in \
         intransit.toml); it is not read"
    )
}
