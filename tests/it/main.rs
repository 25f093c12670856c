//! Integration tests: one binary (STYLE §6), one module per concern.

mod aws_rules;
mod cli;
mod decide_table;
mod errors;
mod files;
mod fixtures;
mod generate;
mod import;
mod injection;
mod props;
mod self_hosted;
mod sizing;
mod support;
mod workflow;
