//! The command line: parse arguments, resolve settings, discover files, run the check, render,
//! and turn the outcome into an exit code (0 clean, 1 findings, 2 the run failed).

mod args;
mod explain;
mod fixing;
mod run;
mod terminal;
mod write;

pub use run::main;
