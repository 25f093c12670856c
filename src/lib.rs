//! rediform: a Redis/Valkey workload file in, the AWS path that fits it, why, what each path costs,
//! and a ready-to-apply Terraform module for it out.
//!
//! ```text
//! workload.toml --workload::parse--> Workload --size--> Sizes --cost--> Costs
//!                                        |                                 |
//!                                        +------------decide::decide<------+
//!                                                          |
//!                                   plan::build --> Plan (every printed value computed)
//!                                        |                 |
//!                    report (decide: text / JSON)    module::spec --> ModuleSpec
//!                                                          |
//!                                 render::render (Tera) --> hcl::canonicalize (parse gate + fmt)
//!                                                          |
//!                                     Module --emit::diff/apply--> files (+ lock: .rediform.lock)
//! ```
//!
//! Every stage is a pure function; only `emit` and `cli` touch the disk, and only `cli` prints
//! (`cli::project` finds `rediform.toml`, parsed by `config`, and the workload files).

pub mod catalog;
pub mod cli;
pub mod config;
pub mod cost;
pub mod decide;
pub mod diag;
pub mod emit;
pub mod encode;
pub mod error;
pub mod hcl;
pub mod import;
pub mod lock;
pub mod module;
pub mod names;
pub mod naming;
pub mod plan;
pub mod render;
pub mod report;
pub mod size;
pub mod units;
pub mod workload;

pub use catalog::Catalog;
pub use plan::{build, Plan};
pub use workload::{parse, Workload};
