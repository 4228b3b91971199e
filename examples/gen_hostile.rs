//! Writes the hostile inputs of `tests/hostile/cases.rs` out for `bench/hostile.sh`: each case
//! in a directory of its own, plus the 50 MB template and a directory of 100,000 empty files.
//! Prints one line per case: directory, path to check, and what the report must contain.
//!
//! Usage: cargo run --release --example gen_hostile -- OUT_DIR

#[path = "../tests/it/hostile_cases.rs"]
mod cases;

use std::path::Path;

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap_or(dir))?;
    std::fs::write(path, bytes)
}

fn main() -> std::io::Result<()> {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/bench/hostile".into());
    let out = Path::new(&out);
    if out.exists() {
        std::fs::remove_dir_all(out)?;
    }
    for (i, case) in cases::cases().into_iter().enumerate() {
        let dir = out.join(format!("{i:02}"));
        write(&dir, case.name, &case.bytes)?;
        println!("{}\t{}\t{}", dir.display(), case.name, case.expected);
    }
    // Several files, or a large one: each with its own bounds (seconds, MB) where the default
    // (1 s, 64 MB) does not fit what the case must hold.
    let bounds = |name: &str| match name {
        "nested-arrays-yaml" => "\t1\t256",
        "nested-arrays-json" => "\t1\t64",
        "many-databases" => "\t5\t512",
        _ => "",
    };
    for tree in cases::trees().into_iter().chain([cases::many_databases()]) {
        let dir = out.join(tree.name);
        for (name, bytes) in &tree.files {
            write(&dir, name, bytes)?;
        }
        println!(
            "{}\t.\t{}{}",
            dir.display(),
            tree.expected,
            bounds(tree.name)
        );
    }
    let dir = out.join("huge");
    for case in cases::huge() {
        write(&dir, case.name, &case.bytes)?;
    }
    println!("{}\t.\tover the 10485760-byte limit", dir.display());
    let dir = out.join("empty-100k");
    std::fs::create_dir_all(&dir)?;
    for i in 0..100_000 {
        std::fs::File::create(dir.join(format!("empty-{i}.yaml")))?;
    }
    println!("{}\t.\t", dir.display());
    // Templates without a database, 1,000 and 10,000 of them (30 KB each): memory must not
    // grow with the tree when nothing is kept.
    let mut plain = String::from(cases::HEADER);
    plain.push_str("Resources:\n");
    for i in 0..200 {
        plain.push_str(&format!(
            "  Bucket{i}:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: !Sub \"${{AWS::StackName}}-{i}\"\n      Tags: [{{Key: team, Value: data}}]\n"
        ));
    }
    for count in [1_000, 10_000] {
        let dir = out.join(format!("plain-{}k", count / 1000));
        std::fs::create_dir_all(&dir)?;
        for i in 0..count {
            std::fs::write(dir.join(format!("stack-{i:05}.yaml")), &plain)?;
        }
        println!("{}\t.\t", dir.display());
    }
    Ok(())
}
