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
use crate::elgamal::{encode_doubled, half, mul_base, Ciphertext, EncryptionKey, Nonce, PublicKey};
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
/// Constant time in `value` and `nonce`: every branch does the same operations (the same
/// fixed-base or `key` multiplications, whether `key` is plain or precomputed), the real one
/// is chosen with `subtle` selections, and apart from refusing a value outside the range no
/// branch or index depends on the secrets. The commitments are computed halved and encoded
/// together by `encode_doubled` (one shared inversion); the bytes, the transcript and the
/// order of the nonce draws are those of computing and compressing each commitment on its own
/// (spec §6.1, implementation note).
pub(crate) fn prove<K: EncryptionKey + ?Sized, R: RngCore + CryptoRng>(
    transcript: &mut Transcript,
    key: &K,
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

    let half = half();
    let mut is_real = Vec::with_capacity(len);
    let mut challenges = Vec::with_capacity(len);
    let mut responses = Vec::with_capacity(len);
    // aⱼ/2 and bⱼ/2 for every branch, in order: a₀/2, b₀/2, a₁/2, b₁/2, …
    let mut halves = Vec::with_capacity(2 * len);
    for candidate in lo..=hi {
        let real = candidate.ct_eq(&value);
        // The real branch uses (c, z) = (0, w), which makes its commitments (w·G, w·K).
        let c = Scalar::conditional_select(&Scalar::random(&mut nonce_rng), &Scalar::ZERO, real);
        let z = Scalar::conditional_select(&Scalar::random(&mut nonce_rng), &w, real);
        // Since A = r·G and B = m·G + r·K, the commitments a = z·G - c·A and
        // b = z·K - c·(B - v·G) equal t·G and t·K + c·(v - m)·G with t = z - c·r: two
        // fixed-base multiplications and one by K instead of four. Halved for the encoding.
        let t_half = (z - c * nonce.0) * half;
        halves.push(mul_base(&t_half));
        halves.push(key.mul_key(&t_half) + mul_base(&(c * (Scalar::from(candidate) - m) * half)));
        is_real.push(real);
        challenges.push(c);
        responses.push(z);
    }
    let encoded = encode_doubled(&halves);
    let mut commitments = Vec::with_capacity(len);
    for (j, pair) in encoded.chunks_exact(2).enumerate() {
        let (a, b) = (pair[0], pair[1]);
        transcript.append_u64_le(b"branch", j as u64);
        transcript.append_point_bytes(b"a", &a);
        transcript.append_point_bytes(b"b", &b);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elgamal::{PrecomputedKey, SecretKey};
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    /// The prover as first written: each commitment computed whole, multiplied by `K`
    /// variable-base, compressed on its own and appended at once. The optimised prover must
    /// give the same bytes.
    fn reference_prove(
        transcript: &mut Transcript,
        key: &PublicKey,
        value: u64,
        nonce: &Nonce,
        (lo, hi): (u64, u64),
        rng: &mut ChaCha20Rng,
    ) -> Vec<Branch> {
        let mut nonce_rng = transcript.witness_rng(&[&Scalar::from(value), &nonce.0], rng);
        let w = Scalar::random(&mut nonce_rng);
        let m = Scalar::from(value);
        let mut simulated = Vec::new();
        let mut commitments = Vec::new();
        for (j, candidate) in (lo..=hi).enumerate() {
            let c = Scalar::random(&mut nonce_rng);
            let z = Scalar::random(&mut nonce_rng);
            let (c, z) = if candidate == value {
                (Scalar::ZERO, w)
            } else {
                (c, z)
            };
            let t = z - c * nonce.0;
            let a = PointBytes::from_point(&mul_base(&t));
            let b = PointBytes::from_point(
                &(key.point() * t + mul_base(&(c * (Scalar::from(candidate) - m)))),
            );
            transcript.append_u64_le(b"branch", j as u64);
            transcript.append_point_bytes(b"a", &a);
            transcript.append_point_bytes(b"b", &b);
            simulated.push((c, z, candidate == value));
            commitments.push((a, b));
        }
        let challenge = transcript.challenge_scalar(b"challenge");
        let real_c = challenge - simulated.iter().map(|(c, _, _)| c).sum::<Scalar>();
        let real_z = w + real_c * nonce.0;
        commitments
            .into_iter()
            .zip(simulated)
            .map(|((a, b), (c, z, real))| {
                let (c, z) = if real { (real_c, real_z) } else { (c, z) };
                Branch {
                    a,
                    b,
                    c: ScalarBytes::from_scalar(&c),
                    z: ScalarBytes::from_scalar(&z),
                }
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Halved commitments with one batched encoding, with and without the key's table,
        /// give exactly the reference prover's branches and leave the transcript in the same
        /// state.
        #[test]
        fn optimised_prover_matches_the_reference(
            seed in any::<u64>(),
            lo in 0u64..4,
            width in 0u64..5,
            position in 0u64..5,
        ) {
            let hi = lo + width;
            let value = lo + position % (width + 1);
            let mut rng = ChaCha20Rng::seed_from_u64(seed);
            let key = SecretKey::generate(&mut rng).public_key();
            let precomputed = PrecomputedKey::new(&key);
            let (ciphertext, nonce) = Ciphertext::encrypt(&key, value, &mut rng);
            let start = |label: &'static [u8]| Transcript::new(label);

            let mut t_ref = start(b"equivalence");
            let expected = reference_prove(
                &mut t_ref, &key, value, &nonce, (lo, hi), &mut ChaCha20Rng::seed_from_u64(!seed),
            );
            let mut t_plain = start(b"equivalence");
            let plain = prove(
                &mut t_plain, &key, &ciphertext, value, &nonce, (lo, hi),
                &mut ChaCha20Rng::seed_from_u64(!seed),
            ).unwrap();
            let mut t_pre = start(b"equivalence");
            let fast = prove(
                &mut t_pre, &precomputed, &ciphertext, value, &nonce, (lo, hi),
                &mut ChaCha20Rng::seed_from_u64(!seed),
            ).unwrap();
            prop_assert_eq!(&plain, &expected);
            prop_assert_eq!(&fast, &expected);
            let after = |t: &mut Transcript| t.challenge_scalar(b"after");
            let reference_state = after(&mut t_ref);
            prop_assert_eq!(after(&mut t_plain), reference_state);
            prop_assert_eq!(after(&mut t_pre), reference_state);
        }
    }
}
