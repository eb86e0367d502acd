//! Urna's bulletin-board server: elections run by IT staff over HTTP, on SQLite by default and
//! PostgreSQL at scale (spec/api.md). The board itself is the record format of
//! spec/record.md; this crate adds roles, the lifecycle, storage and mail around it.
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod api;
pub mod auth;
pub mod backup;
pub mod cast;
pub mod config;
pub mod db;
pub mod document;
pub mod error;
pub mod invitations;
pub mod lifecycle;
pub mod mail;
pub mod metrics;
pub mod pages;
pub mod roll;
pub mod schedule;
pub mod server;
pub mod state;
#[doc(hidden)]
pub mod testing;

pub use api::app;
pub use config::ServerConfig;
pub use state::AppState;
