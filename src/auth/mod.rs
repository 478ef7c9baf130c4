//! Authentication and authorisation: passwords, the administrators' second factor, bearer
//! tokens, the caller as handlers see it, and the per-object access rules.

pub mod access;
pub mod password;
mod principal;
pub mod token;
pub mod totp;

pub use principal::{AppPrincipal, Caller, Principal};
