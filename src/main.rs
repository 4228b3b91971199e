//! The `intransit` binary: arguments in, exit code out; everything else is in the library.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
