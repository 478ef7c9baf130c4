//! The reference receiver: the national DB's side of `kakehashi-push/1`, played locally.
//!
//! The gateway's push path must be tested against something that behaves like the national
//! DB — mutual TLS, a sealed payload, idempotency keys, precise refusals — without the national
//! DB. This crate is that stand-in, used by the end-to-end tests, demos (`kakehashi receiver`)
//! and the conformance kit; `conformance/push/PROTOCOL.md` is the contract it implements.
//!
//! - [`config`]: where its certificates, keys and data live;
//! - [`protocol`]: the wire types and constants of `kakehashi-push/1`;
//! - [`server`]: [`Receiver`], the HTTPS server (client certificates required);
//! - `intake`: one delivery from request to receipt, `refusal` its error answers, `schema` the
//!   canonical sheet check, `store` the SQLite file that holds receipts and counters.
//!
//! A receipt is committed to disk (SQLite WAL, `synchronous=FULL`) before `201` is answered,
//! and keyed by the idempotency key, so a retried delivery is answered with the same receipt
//! and never stored twice. Documents are never logged.
#![forbid(unsafe_code)]

pub mod config;
mod error;
mod intake;
pub mod protocol;
mod refusal;
mod schema;
pub mod server;
mod store;

pub use config::ReceiverConfig;
pub use error::ReceiverError;
pub use server::Receiver;
