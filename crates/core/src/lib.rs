//! Kakehashi's pure core: what the gateway knows (the [`catalog`] of disease lists, templates
//! and mappings) and what it does to a record whatever its source — the [`checks`], machine
//! [`judgment`], the [`conversion`] of one input document into checked records, the adapter
//! [`registry`], and the checks and tests of mapping files ([`mapping_check`],
//! [`mapping_test`]). No HTTP, no database, no clock: an integrator tests an adapter against
//! this crate and the SDK alone, and the gateway, the CLI, the benches and the fuzz targets all
//! run the same code.
#![forbid(unsafe_code)]

pub mod catalog;
pub mod checks;
pub mod conversion;
pub mod judgment;
pub mod mapping_check;
pub mod mapping_test;
pub mod registry;
pub mod rejection;
pub mod review;
