//! The one error type of the cryptographic layer.

use thiserror::Error;

/// Index of a trustee in a threshold key: `1..=n`, as in the spec (§5).
pub type TrusteeIndex = u32;

/// Everything that can go wrong in `urna-crypto`.
///
/// Where a named party misbehaved the variant carries it as `culprit`, so that the layers
/// above can publish blame rather than just fail.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// Bytes that are not the canonical encoding of a Ristretto255 point (RFC 9496 §4.3.1).
    #[error("invalid point encoding in {field}")]
    InvalidPoint { field: &'static str },
    /// The identity element where a non-trivial point is required.
    #[error("{field} must not be the identity element")]
    IdentityPoint { field: &'static str },
    /// Bytes that are not a canonical scalar (an integer below the group order ℓ).
    #[error("non-canonical scalar in {field}")]
    NonCanonicalScalar { field: &'static str },
    /// A byte string of the wrong length or form.
    #[error("malformed {field}: {reason}")]
    Malformed {
        field: &'static str,
        reason: &'static str,
    },
    /// A proof whose verification equations do not hold.
    #[error("invalid {proof}")]
    InvalidProof { proof: &'static str },
    /// A batch of proofs did not verify; at least one of them is invalid.
    #[error("batch verification failed")]
    BatchFailed,
    /// A range or parameter that makes no sense (e.g. `min > max`, a value outside its range).
    #[error("invalid parameter: {0}")]
    InvalidParameter(&'static str),
    /// A decrypted total is larger than the discrete-log table can recover.
    #[error("decrypted value is outside the range 0..={max}")]
    DlogOutOfRange { max: u64 },
    /// Fewer valid decryption shares than the threshold.
    #[error("need {needed} valid decryption shares, have {got}")]
    NotEnoughShares { needed: usize, got: usize },
    /// A trustee broke the key-generation or decryption protocol.
    #[error("trustee {culprit} misbehaved: {reason}")]
    Misbehaviour {
        culprit: TrusteeIndex,
        reason: &'static str,
    },
    /// A message in the key-generation protocol is missing or duplicated.
    #[error("protocol message from trustee {from}: {reason}")]
    Protocol {
        from: TrusteeIndex,
        reason: &'static str,
    },
}

impl CryptoError {
    /// The trustee to blame, if the error is one party's fault.
    pub fn culprit(&self) -> Option<TrusteeIndex> {
        match self {
            CryptoError::Misbehaviour { culprit, .. } => Some(*culprit),
            _ => None,
        }
    }
}

/// Result alias for this crate.
pub type Result<T, E = CryptoError> = core::result::Result<T, E>;
