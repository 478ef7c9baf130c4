//! JSON Lines exports: one JSON object per line, one sheet per object, read with a mapping of
//! JSON Pointers (`mappings/jsonl/NAME.toml`) to header fields and template items.
//!
//! Modern EHR and registry systems export JSON more readily than CSV; this adapter takes it
//! without a conversion step. It is also the worked example of docs/ADAPTERS.md: a crate, a
//! registration in the gateway's `src/adapters.rs` and a mappings folder are all an adapter
//! needs, and its tests run through `kakehashi-core` alone.
#![forbid(unsafe_code)]

mod adapter;
mod mapping;

pub use adapter::JsonlAdapter;
pub use mapping::{JsonlMapping, ValueMapping};
