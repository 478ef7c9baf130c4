//! Kakehashi (架け橋): an interoperability gateway for Japan's 指定難病 and 小慢 subsidy data.
//! Adapters turn inputs of any shape into canonical sheets; the checks validate and complete
//! them; the store keeps them durably with an audit trail; the API and the CLI expose it all.
#![forbid(unsafe_code)]

pub mod access_key_notice;
pub mod accounts;
pub mod api;
pub mod auth;
pub mod catalog;
pub mod checks;
pub mod cli;
pub mod config;
pub mod development;
pub mod doctors;
pub mod fhir_audit;
pub mod judgment;
pub mod metrics;
pub mod notice;
pub mod pipeline;
pub mod print;
pub mod push;
pub mod renewal;
pub mod schema;
pub mod server;
pub mod store;
