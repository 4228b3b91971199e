//! Times the language server's incremental runs without the LSP transport, for profiling:
//! a session over a directory, then 40 edits of its first YAML template that flip a TLS value
//! and back, printing every tenth edit's time. Reported, never asserted.
//!
//!     cargo run --release --example session_profile -- target/bench/lsp-corpus-10000
//!     perf record -g target/release/examples/session_profile target/bench/lsp-corpus-10000

use std::time::Instant;

// The allocator the binary runs with, so that the times are the server's.
#[cfg(not(feature = "system-alloc"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use intransit::pipeline::discover::discover;
use intransit::pipeline::session::Session;
use intransit::Settings;

fn main() {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: session_profile <directory>");
        std::process::exit(2);
    };
    let cwd = std::env::current_dir().expect("a current directory");
    let found = discover(&[dir.into()], &[], false, &cwd).expect("a directory to check");
    let settings = Settings {
        base: cwd,
        ..Settings::default()
    };
    let Some(target) = found
        .inputs
        .iter()
        .find(|i| i.path.extension().is_some_and(|e| e == "yaml"))
        .map(|i| i.path.clone())
    else {
        eprintln!("no YAML template to edit");
        std::process::exit(2);
    };
    let text = std::fs::read_to_string(&target).expect("the template's text");
    let flipped = text
        .replace("rds.force_ssl: 1", "rds.force_ssl: 0")
        .replace("\"1\"", "\"0\"");
    let mut session = Session::new(found.inputs, settings);
    let start = Instant::now();
    let outcome = session.check();
    eprintln!(
        "first run: {:?}, {} parts, {} findings",
        start.elapsed(),
        outcome.parts.len(),
        outcome
            .parts
            .iter()
            .map(|p| p.findings.len())
            .sum::<usize>()
    );
    for i in 0..40 {
        let start = Instant::now();
        let edit = if i % 2 == 0 { &flipped } else { &text };
        session.set_text(&target, Some(edit.clone()));
        let outcome = session.check();
        if i % 10 == 0 {
            eprintln!(
                "edit {i}: {:?}, {} findings",
                start.elapsed(),
                outcome
                    .parts
                    .iter()
                    .map(|p| p.findings.len())
                    .sum::<usize>()
            );
        }
    }
}
