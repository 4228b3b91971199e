//! intransit: finds Amazon RDS databases whose CloudFormation or Terraform does not guarantee
//! TLS.
//!
//! `check` reads the given files, links every database to its parameter group and returns a
//! `Report`; it never prints and never exits. The modules are layered as the pipeline runs,
//! each importing only those below it (ARCHITECTURE.md, "Layers"): `source`, `diagnostic`,
//! `tree` / `suppression` / `baseline`, `settings`, `model`, the front ends (`cloudformation`,
//! `terraform`), `rules`, `fix`, `report`, and `pipeline` on top.

pub mod baseline;
pub mod cloudformation;
pub mod diagnostic;
pub mod fix;
pub mod model;
pub mod pipeline;
pub mod report;
pub mod rules;
pub mod settings;
pub mod source;
pub mod suppression;
pub mod terraform;
pub mod tree;

pub use pipeline::{check, Input};
pub use report::{Report, Summary};
pub use settings::Settings;
