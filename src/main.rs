//! The `intransit` binary: arguments in, exit code out; everything else is in the library.

mod cli;

/// mimalloc instead of the system allocator: parsing allocates many small nodes on two
/// threads at once, where glibc's malloc and free took about 15% of a large run.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::main()
}
