//! # urna-election
//!
//! Elections on top of `urna-crypto`: the manifest, voter credentials, ballots (with Benaloh
//! audits), the hash-chained board, the homomorphic tally and its threshold decryption, the
//! election record and its verifier. No server, no async; it builds for `wasm32` (without the
//! `parallel` feature) so observers can verify in the browser.
//!
//! The record format and every verification check are specified in `spec/record.md`.

#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod ballot;
pub mod board;
pub mod credential;
pub mod error;
pub mod hash;
pub mod manifest;
pub mod record;
pub mod sealed;
pub mod simulate;
pub mod tally;
pub mod verify;

pub use ballot::{
    encrypt_ballot, verify_ballot, AuditedBallot, Ballot, ElectionContext, TrackingCode,
    VerifiedBallot,
};
pub use board::{Board, BoardEntry, Event};
pub use credential::{CredentialList, CredentialSecret, PublicCredential};
pub use error::{ElectionError, Result};
pub use manifest::{Contest, ContestKind, ContestOption, ElectionManifest, RevotePolicy, Text};
pub use verify::{Check, RecordVerifier, Report, VerifyError};
