//! The `intransit` binary: arguments in, exit code out; everything else is in the library.

mod cli;
mod server;

/// mimalloc instead of the system allocator: parsing allocates many small nodes on two
/// threads at once, where glibc's malloc and free took about 15% of a large run. The
/// `system-alloc` feature keeps the system's, for heap profilers that see only malloc.
#[cfg(not(feature = "system-alloc"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    // `intransit server` speaks LSP on stdio; everything else is the command line (which also
    // documents `server` in its help).
    let mut args = std::env::args_os().skip(1);
    if args.next().is_some_and(|a| a == "server") && args.next().is_none() {
        return server::main();
    }
    cli::main()
}
