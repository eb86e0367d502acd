//! Threshold decryption (spec §7).
//!
//! Each trustee `i` holds a share `xᵢ` of the election secret and publishes `Dᵢ = xᵢ·A` for a
//! ciphertext `(A, B)`, with a proof that `log_G Xᵢ = log_A Dᵢ` where `Xᵢ = xᵢ·G` is its public
//! verification key from the key ceremony. Any `t` valid shares give
//! `m·G = B - Σ λᵢ·Dᵢ` with Lagrange coefficients `λᵢ` at zero.

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::VartimeMultiscalarMul;
use merlin::Transcript;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};

use crate::batch::{EachEquation, Equations};
use crate::dkg::KeyShare;
use crate::elgamal::{Ciphertext, PublicKey};
use crate::encoding::PointBytes;
use crate::error::{CryptoError, Result, TrusteeIndex};
use crate::proofs::DleqProof;
use crate::transcript::TranscriptProtocol;

/// Domain separator of a partial decryption.
pub const PARTIAL_DECRYPTION_LABEL: &[u8] = b"urna/partial-decryption/v1";

fn append_statement(transcript: &mut Transcript, trustee: TrusteeIndex, ciphertext: &Ciphertext) {
    transcript.proof_domain(PARTIAL_DECRYPTION_LABEL);
    transcript.append_u64_le(b"trustee", u64::from(trustee));
    transcript.append_ciphertext_bytes(b"ciphertext", &ciphertext.to_bytes());
}

/// One trustee's partial decryption of one ciphertext, as published.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecryptionShare {
    pub trustee: TrusteeIndex,
    pub share: PointBytes,
    pub proof: DleqProof,
}

/// A partial decryption whose proof has been checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerifiedShare {
    trustee: TrusteeIndex,
    point: RistrettoPoint,
}

impl VerifiedShare {
    /// The trustee who made it.
    pub fn trustee(&self) -> TrusteeIndex {
        self.trustee
    }

    /// Skips verification: only for shares this process computed itself.
    pub fn new_unchecked(trustee: TrusteeIndex, point: RistrettoPoint) -> Self {
        Self { trustee, point }
    }
}

impl DecryptionShare {
    /// Computes `Dᵢ = xᵢ·A` and its proof.
    pub fn create<R: RngCore + CryptoRng>(
        transcript: &mut Transcript,
        key_share: &KeyShare,
        ciphertext: &Ciphertext,
        rng: &mut R,
    ) -> Self {
        append_statement(transcript, key_share.index(), ciphertext);
        let (share, proof) = DleqProof::prove(
            transcript,
            key_share.secret(),
            key_share.verification_key(),
            &ciphertext.a,
            rng,
        );
        Self {
            trustee: key_share.index(),
            share,
            proof,
        }
    }

    /// Verifies the share against the trustee's verification key, on its own.
    pub fn verify(
        &self,
        transcript: &mut Transcript,
        verification_key: &PublicKey,
        ciphertext: &Ciphertext,
    ) -> Result<VerifiedShare> {
        self.verify_with(transcript, verification_key, ciphertext, &mut EachEquation)
    }

    /// Verifies the share, sending the equations to `equations`.
    pub fn verify_with(
        &self,
        transcript: &mut Transcript,
        verification_key: &PublicKey,
        ciphertext: &Ciphertext,
        equations: &mut impl Equations,
    ) -> Result<VerifiedShare> {
        append_statement(transcript, self.trustee, ciphertext);
        let point = self.proof.verify_with(
            transcript,
            verification_key,
            &ciphertext.a,
            &self.share,
            equations,
        )?;
        Ok(VerifiedShare {
            trustee: self.trustee,
            point,
        })
    }
}

/// Lagrange coefficients at zero for distinct non-zero indices.
pub fn lagrange_at_zero(indices: &[TrusteeIndex]) -> Result<Vec<Scalar>> {
    let mut out = Vec::with_capacity(indices.len());
    for (k, &i) in indices.iter().enumerate() {
        if i == 0 || indices[..k].contains(&i) {
            return Err(CryptoError::InvalidParameter(
                "trustee indices must be distinct and non-zero",
            ));
        }
        let xi = Scalar::from(u64::from(i));
        let mut numerator = Scalar::ONE;
        let mut denominator = Scalar::ONE;
        for &j in indices.iter().filter(|&&j| j != i) {
            let xj = Scalar::from(u64::from(j));
            numerator *= xj;
            denominator *= xj - xi;
        }
        out.push(numerator * denominator.invert());
    }
    Ok(out)
}

/// Combines the first `threshold` verified shares into the plaintext point `m·G`.
pub fn combine(
    ciphertext: &Ciphertext,
    shares: &[VerifiedShare],
    threshold: usize,
) -> Result<RistrettoPoint> {
    if threshold == 0 || shares.len() < threshold {
        return Err(CryptoError::NotEnoughShares {
            needed: threshold.max(1),
            got: shares.len(),
        });
    }
    let used = &shares[..threshold];
    let indices: Vec<TrusteeIndex> = used.iter().map(|s| s.trustee).collect();
    let lambdas = lagrange_at_zero(&indices)?;
    let combined = RistrettoPoint::vartime_multiscalar_mul(&lambdas, used.iter().map(|s| s.point));
    Ok(ciphertext.b - combined)
}

/// The outcome of a decryption: the plaintext point and who was blamed on the way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decryption {
    /// `m·G`.
    pub plaintext: RistrettoPoint,
    /// The trustees whose shares were combined.
    pub used: Vec<TrusteeIndex>,
    /// Shares that failed, with the trustee to blame.
    pub rejected: Vec<(TrusteeIndex, CryptoError)>,
}

/// Verifies every share, blames the invalid ones and combines `threshold` valid ones.
///
/// `verification_key(i)` gives trustee `i`'s key (or `None` for an unknown trustee);
/// `transcript()` makes a fresh transcript seeded with the decryption's context.
pub fn vartime_decrypt(
    ciphertext: &Ciphertext,
    shares: &[DecryptionShare],
    threshold: usize,
    verification_key: impl Fn(TrusteeIndex) -> Option<PublicKey>,
    mut transcript: impl FnMut() -> Transcript,
) -> Result<Decryption> {
    let mut valid: Vec<VerifiedShare> = Vec::with_capacity(shares.len());
    let mut rejected = Vec::new();
    let mut seen = Vec::with_capacity(shares.len());
    for share in shares {
        // Only a trustee's first share counts, valid or not: a second attempt is misbehaviour.
        let first = !seen.contains(&share.trustee);
        seen.push(share.trustee);
        let outcome = match verification_key(share.trustee) {
            None => Err(CryptoError::Misbehaviour {
                culprit: share.trustee,
                reason: "unknown trustee",
            }),
            Some(_) if !first => Err(CryptoError::Misbehaviour {
                culprit: share.trustee,
                reason: "second decryption share",
            }),
            Some(key) => share
                .verify(&mut transcript(), &key, ciphertext)
                .map_err(|_| CryptoError::Misbehaviour {
                    culprit: share.trustee,
                    reason: "invalid partial decryption",
                }),
        };
        match outcome {
            Ok(verified) => valid.push(verified),
            Err(error) => rejected.push((share.trustee, error)),
        }
    }
    let plaintext = combine(ciphertext, &valid, threshold)?;
    Ok(Decryption {
        plaintext,
        used: valid.iter().take(threshold).map(|s| s.trustee).collect(),
        rejected,
    })
}
