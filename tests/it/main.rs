//! The integration tests, in one binary so the crate and its dependencies are linked once:
//! scenario fixtures and their snapshots, fix round-trips, the command line, SARIF, hostile
//! input and property tests. The long hostile and fuzz runs are opt-in (CONTRIBUTING.md).

mod attacks;
mod cli;
mod common;
mod fixes;
mod fixtures;
mod fuzz;
mod hostile;
mod layers;
mod options;
mod readme;
mod registry;
mod sarif;
mod session;
