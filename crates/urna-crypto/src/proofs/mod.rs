//! Non-interactive zero-knowledge proofs (spec §6).

pub mod disjunctive;
pub mod dleq;
pub mod range;
pub mod schnorr;

pub use disjunctive::{Branch, MAX_RANGE_VALUES};
pub use dleq::DleqProof;
pub use range::{RangeProof, SumProof};
pub use schnorr::{CredentialSignature, SchnorrProof};
