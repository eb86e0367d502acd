//! # urna-crypto
//!
//! The cryptographic core of Urna, an end-to-end verifiable election system: exponential
//! ElGamal on Ristretto255, the zero-knowledge proofs a ballot and a tally need, a threshold key
//! ceremony for the trustees and threshold decryption. No I/O, no async; it builds for
//! `wasm32-unknown-unknown` so the browser booth uses it unchanged.
//!
//! Every construction is specified in `spec/crypto.md`; section numbers in the docs refer to it.
//!
//! Conventions:
//! - Wire types hold bytes exactly as published ([`PointBytes`], [`CiphertextBytes`], the
//!   proof structs); verification decodes them canonically and hands back validated values.
//! - Proofs take a `&mut merlin::Transcript` that the caller created and bound to its context
//!   (the election fingerprint, say); see [`transcript`].
//! - Secret scalars are wiped on drop and print as `<redacted>`; the only way out is a method
//!   whose name says it exports.
//! - Functions that run in variable time are named `vartime_*`, or documented as such where
//!   they only ever see public data (every verifier).

#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod batch;
pub mod dkg;
pub mod dlog;
pub mod elgamal;
pub mod encoding;
pub mod error;
pub mod proofs;
pub mod threshold;
pub mod transcript;

pub use batch::{BatchVerifier, EachEquation, Equations};
pub use dlog::DlogTable;
pub use elgamal::{
    Ciphertext, EncodedCiphertext, EncryptionKey, Nonce, PrecomputedKey, PublicKey, SecretKey,
    SecretScalar,
};
pub use encoding::{CiphertextBytes, Digest32, PointBytes, ScalarBytes};
pub use error::{CryptoError, Result, TrusteeIndex};
pub use proofs::{CredentialSignature, DleqProof, RangeProof, SchnorrProof, SumProof};
pub use threshold::{DecryptionShare, VerifiedShare};

/// Re-exported for callers that do their own group arithmetic.
pub use curve25519_dalek;
/// Re-exported so that callers create transcripts with the same version of merlin.
pub use merlin::Transcript;
