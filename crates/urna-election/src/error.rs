//! The error type of the election layer.

use thiserror::Error;
use urna_crypto::CryptoError;

/// What can go wrong when building, casting or checking an election.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ElectionError {
    /// The manifest is inconsistent; `path` says where (e.g. `contests[1].options`).
    #[error("invalid manifest at {path}: {reason}")]
    Manifest { path: String, reason: String },
    /// A plaintext vote that breaks its contest's rules (the booth says this to the voter).
    #[error("contest {contest}: {reason}")]
    InvalidVote { contest: usize, reason: String },
    /// A ballot that does not fit its election, with the part at fault.
    #[error("ballot rejected ({check}): {reason}")]
    Ballot { check: &'static str, reason: String },
    /// A board event or record that is malformed or out of place.
    #[error("{0}")]
    Record(String),
    /// A credential string that is not one of ours.
    #[error("invalid credential: {0}")]
    Credential(&'static str),
    /// A sealed secret that cannot be opened or made (spec/record.md §11).
    #[error("sealed file: {0}")]
    Sealed(&'static str),
    /// A failure in the cryptographic layer.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
}

/// Result alias for this crate.
pub type Result<T, E = ElectionError> = core::result::Result<T, E>;
