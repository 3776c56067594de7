//! pinlock-core: read apt repositories the way apt does, resolve pins into a lockfile,
//! and rewrite Ansible apt tasks to those pins.

// Errors carry their context (URL, file, line, package) by value; they are returned once per run,
// so their size does not matter and boxing every variant would only add noise.
#![allow(clippy::result_large_err)]

pub mod ansible;
pub mod auth;
pub mod cache;
pub mod compress;
pub mod constraint;
pub mod deb822;
pub mod fetch;
pub mod fsutil;
pub mod init;
pub mod lock;
pub mod lockfile;
pub mod manifest;
pub mod packages;
pub mod query;
pub mod relation;
pub mod release;
pub mod repository;
pub mod resolve;
pub mod signature;
pub mod source;
pub mod update;
pub mod version;
pub mod yaml_guard;
