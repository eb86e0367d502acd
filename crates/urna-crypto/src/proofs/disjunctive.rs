//! The disjunctive Chaum–Pedersen proof shared by range and sum proofs (spec §6.1).
//!
//! Statement: `(A, B)` encrypts some `v ∈ [lo, hi]` under `K`, i.e. for some `v` in the range
//! `(G, K, A, B - v·G)` is a Diffie–Hellman tuple. One branch per candidate value; the real
//! branch is a Chaum–Pedersen proof, the others are simulated, and the branch challenges must
//! add up to the Fiat–Shamir challenge (Cramer–Damgård–Schoenmakers).
//!
//! The proof keeps its commitments `(aⱼ, bⱼ)` so that verification is a set of linear equations
//! that can be batched.

use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use subtle::{ConditionallySelectable, ConstantTimeEq};

use crate::batch::{Base, Equation, Equations};
use crate::elgamal::{mul_base, Ciphertext, Nonce, PublicKey};
use crate::encoding::{PointBytes, ScalarBytes};
use crate::error::{CryptoError, Result};
use crate::transcript::TranscriptProtocol;

/// The most values one disjunctive proof may range over. Proof size and verification time grow
/// linearly with the range; the manifest layer keeps contests far below this.
pub const MAX_RANGE_VALUES: u64 = 4096;

/// One branch of a disjunctive proof: commitments `a = z·G - c·A`, `b = z·K - c·(B - v·G)`,
/// the branch challenge `c` and the response `z`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Branch {
    pub a: PointBytes,
    pub b: PointBytes,
    pub c: ScalarBytes,
    pub z: ScalarBytes,
}

/// Checks a range and returns its number of values.
pub(crate) fn range_len(lo: u64, hi: u64) -> Result<usize> {
    if lo > hi {
        return Err(CryptoError::InvalidParameter(
            "range minimum exceeds its maximum",
        ));
    }
    // `hi - lo` fits in u64 since lo ≤ hi; the +1 may not (the whole u64 range).
    let len = (hi - lo).saturating_add(1);
    if len > MAX_RANGE_VALUES {
        return Err(CryptoError::InvalidParameter("range has too many values"));
    }
    usize::try_from(len).map_err(|_| CryptoError::InvalidParameter("range has too many values"))
}

/// Proves that `ciphertext = Enc(value; nonce)` with `value ∈ [lo, hi]`. The statement
/// (everything but the commitments) must already be in `transcript`.
///
/// Constant time in `value` and `nonce`: every branch does the same operations, and the real
/// one is chosen with `subtle` selections.
pub(crate) fn prove<R: RngCore + CryptoRng>(
    transcript: &mut Transcript,
    key: &PublicKey,
    ciphertext: &Ciphertext,
    value: u64,
    nonce: &Nonce,
    (lo, hi): (u64, u64),
    rng: &mut R,
) -> Result<Vec<Branch>> {
    let len = range_len(lo, hi)?;
    if value < lo || value > hi {
        return Err(CryptoError::InvalidParameter(
            "value outside the proof's range",
        ));
    }
    let mut nonce_rng = transcript.witness_rng(&[&Scalar::from(value), &nonce.0], rng);
    let w = Scalar::random(&mut nonce_rng);
    let m = Scalar::from(value);
    debug_assert!(
        Ciphertext::encrypt_with_nonce(key, value, nonce) == *ciphertext,
        "the opening must match"
    );

    let mut is_real = Vec::with_capacity(len);
    let mut challenges = Vec::with_capacity(len);
    let mut responses = Vec::with_capacity(len);
    let mut commitments = Vec::with_capacity(len);
    for (j, candidate) in (lo..=hi).enumerate() {
        let real = candidate.ct_eq(&value);
        // The real branch uses (c, z) = (0, w), which makes its commitments (w·G, w·K).
        let c = Scalar::conditional_select(&Scalar::random(&mut nonce_rng), &Scalar::ZERO, real);
        let z = Scalar::conditional_select(&Scalar::random(&mut nonce_rng), &w, real);
        // Since A = r·G and B = m·G + r·K, the commitments a = z·G - c·A and
        // b = z·K - c·(B - v·G) equal (z - c·r)·G and (z - c·r)·K + c·(v - m)·G: the same
        // points for two fixed-base multiplications and one by K instead of four.
        let t = z - c * nonce.0;
        let a = mul_base(&t);
        let b = key.point() * t + mul_base(&(c * (Scalar::from(candidate) - m)));
        let a = PointBytes::from_point(&a);
        let b = PointBytes::from_point(&b);
        transcript.append_u64_le(b"branch", j as u64);
        transcript.append_point_bytes(b"a", &a);
        transcript.append_point_bytes(b"b", &b);
        is_real.push(real);
        challenges.push(c);
        responses.push(z);
        commitments.push((a, b));
    }
    let challenge = transcript.challenge_scalar(b"challenge");
    let simulated_sum: Scalar = challenges.iter().sum();
    let real_c = challenge - simulated_sum;
    let real_z = w + real_c * nonce.0;

    Ok(commitments
        .into_iter()
        .zip(challenges)
        .zip(responses)
        .zip(is_real)
        .map(|((((a, b), c), z), real)| Branch {
            a,
            b,
            c: ScalarBytes::from_scalar(&Scalar::conditional_select(&c, &real_c, real)),
            z: ScalarBytes::from_scalar(&Scalar::conditional_select(&z, &real_z, real)),
        })
        .collect())
}

/// Verifies a disjunctive proof for `ciphertext` and `[lo, hi]`, sending its equations to
/// `equations`. The statement must already be in `transcript`.
pub(crate) fn verify_with(
    branches: &[Branch],
    transcript: &mut Transcript,
    key: &PublicKey,
    ciphertext: &Ciphertext,
    (lo, hi): (u64, u64),
    proof: &'static str,
    equations: &mut impl Equations,
) -> Result<()> {
    let len = range_len(lo, hi)?;
    if branches.len() != len {
        return Err(CryptoError::Malformed {
            field: proof,
            reason: "wrong number of branches",
        });
    }
    let mut decoded = Vec::with_capacity(len);
    let mut challenge_sum = Scalar::ZERO;
    for (j, branch) in branches.iter().enumerate() {
        let a = branch.a.decode("proof commitment a")?;
        let b = branch.b.decode("proof commitment b")?;
        let c = branch.c.decode("proof challenge")?;
        let z = branch.z.decode("proof response")?;
        transcript.append_u64_le(b"branch", j as u64);
        transcript.append_point_bytes(b"a", &branch.a);
        transcript.append_point_bytes(b"b", &branch.b);
        challenge_sum += c;
        decoded.push((a, b, c, z));
    }
    let challenge = transcript.challenge_scalar(b"challenge");
    if challenge_sum != challenge {
        return Err(CryptoError::InvalidProof { proof });
    }
    // Locals: 0 = A, 1 = B of the statement's ciphertext.
    let locals = [ciphertext.a, ciphertext.b];
    let mut eqs = Vec::with_capacity(2 * len);
    for ((a, b, c, z), candidate) in decoded.iter().zip(lo..=hi) {
        // z·G - a - c·A = 0
        eqs.push(Equation::new(&[
            (*z, Base::G),
            (-Scalar::ONE, Base::Point(a)),
            (-c, Base::Local(0)),
        ]));
        // z·K - b - c·B + c·v·G = 0
        eqs.push(Equation::new(&[
            (*z, Base::Shared(key)),
            (-Scalar::ONE, Base::Point(b)),
            (-c, Base::Local(1)),
            (c * Scalar::from(candidate), Base::G),
        ]));
    }
    equations.check(proof, &locals, &eqs)?;
    Ok(())
}
