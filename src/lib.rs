//! Kakehashi (架け橋): an interoperability gateway for Japan's 指定難病 and 小慢 subsidy data.
//! Adapters turn inputs of any shape into canonical sheets; the checks validate and complete
//! them; the store keeps them durably with an audit trail; the API and the CLI expose it all.
#![forbid(unsafe_code)]

// The pure core, re-exported so `crate::catalog::…` paths read as before the move.
pub use kakehashi_core::{catalog, checks, conversion, judgment};

pub mod access_key_notice;
pub mod accounts;
pub mod adapters;
pub mod api;
pub mod audit_anchor;
pub mod auth;
pub mod cli;
pub mod config;
pub mod console;
pub mod decode_budget;
pub mod decode_thread;
pub mod development;
pub mod doctors;
pub mod fhir_audit;
pub mod metrics;
pub mod notice;
pub mod pipeline;
pub mod print;
pub mod push;
pub mod renewal;
pub mod revocation;
pub mod schema;
pub mod server;
pub mod store;
pub mod terminals;
pub mod webhook;
