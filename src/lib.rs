//! rediform: a Redis/Valkey workload file in, the AWS path that fits it and why out.
//!
//! ```text
//! workload.toml --workload::parse--> Workload --size--> Sizes --cost--> Costs
//!                                        |                                 |
//!                                        +------------decide::decide<------+
//!                                                          |
//!                                   plan::build --> Plan (every printed value computed)
//!                                                          |
//!                                          report (decide: text / JSON)
//! ```
//!
//! Every stage is a pure function; only `cli` reads files and prints.

pub mod catalog;
pub mod cli;
pub mod config;
pub mod cost;
pub mod decide;
pub mod diag;
pub mod emit;
pub mod error;
pub mod hcl;
pub mod lock;
pub mod module;
pub mod names;
pub mod plan;
pub mod render;
pub mod report;
pub mod size;
pub mod units;
pub mod workload;

pub use catalog::Catalog;
pub use plan::{build, Plan};
pub use workload::{parse, Workload};
