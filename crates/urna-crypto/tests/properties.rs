//! Property tests: homomorphism, encodings, proofs over random ranges, single-byte tampering of
//! every proof (naive and batched verifiers agree), decoding of random bytes, threshold
//! decryption with any threshold subset, and the bounded discrete log.

use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use urna_crypto::curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
use urna_crypto::curve25519_dalek::ristretto::RistrettoPoint;
use urna_crypto::curve25519_dalek::scalar::Scalar;
use urna_crypto::dkg::{self, CeremonyTranscript, DkgParameters, KeyShare};
use urna_crypto::proofs::Branch;
use urna_crypto::threshold::{combine, vartime_decrypt};
use urna_crypto::transcript::context_transcript;
use urna_crypto::{
    BatchVerifier, Ciphertext, CiphertextBytes, CredentialSignature, CryptoError, DecryptionShare,
    DleqProof, DlogTable, EachEquation, Nonce, PointBytes, PublicKey, RangeProof, ScalarBytes,
    SchnorrProof, SecretKey, SecretScalar, SumProof, Transcript,
};

fn seeded(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

fn g(m: u64) -> RistrettoPoint {
    RISTRETTO_BASEPOINT_POINT * Scalar::from(m)
}

fn ballot(context: u64) -> Transcript {
    context_transcript(b"ballot", &context.to_le_bytes())
}

/// Shamir-dealt key shares (no ceremony).
fn dealt_shares(n: u32, t: u32, rng: &mut ChaCha20Rng) -> (PublicKey, Vec<KeyShare>) {
    let params = DkgParameters::new(n, t).expect("params");
    let coefficients: Vec<Scalar> = (0..t).map(|_| Scalar::random(rng)).collect();
    let election_key = PublicKey::from_point(RISTRETTO_BASEPOINT_POINT * coefficients[0]);
    let shares = (1..=n)
        .map(|i| {
            let x = Scalar::from(u64::from(i));
            let value = coefficients
                .iter()
                .rev()
                .fold(Scalar::ZERO, |acc, a| acc * x + a);
            KeyShare::from_secret(params, i, SecretScalar::from_scalar(value), election_key)
                .expect("share")
        })
        .collect();
    (election_key, shares)
}

fn round_trip<T>(value: &T) -> (T, T)
where
    T: serde::Serialize + serde::de::DeserializeOwned,
{
    let json = serde_json::to_string(value).expect("json");
    let from_json = serde_json::from_str(&json).expect("from json");
    let bin = bincode::serialize(value).expect("bincode");
    let from_bin = bincode::deserialize(&bin).expect("from bincode");
    (from_json, from_bin)
}

/// ℓ, little-endian.
const ELL: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
];

/// Whether the little-endian integer `x` is below ℓ.
fn below_ell(x: &[u8; 32]) -> bool {
    for i in (0..32).rev() {
        if x[i] != ELL[i] {
            return x[i] < ELL[i];
        }
    }
    false
}

fn array32(bytes: &[u8]) -> [u8; 32] {
    bytes.try_into().expect("32 bytes")
}

/// A range proof's branches as one byte string, `a ‖ b ‖ c ‖ z` per branch.
fn branch_bytes(branches: &[Branch]) -> Vec<u8> {
    branches
        .iter()
        .flat_map(|b| [b.a.0, b.b.0, b.c.0, b.z.0].concat())
        .collect()
}

fn branches_from(bytes: &[u8]) -> Vec<Branch> {
    bytes
        .chunks_exact(128)
        .map(|chunk| Branch {
            a: PointBytes(array32(&chunk[..32])),
            b: PointBytes(array32(&chunk[32..64])),
            c: ScalarBytes(array32(&chunk[64..96])),
            z: ScalarBytes(array32(&chunk[96..])),
        })
        .collect()
}

/// Flips the bits of `mask` (non-zero) in byte `index` of `bytes`.
fn flip(bytes: &[u8], index: prop::sample::Index, mask: u8) -> (usize, Vec<u8>) {
    let mut out = bytes.to_vec();
    let i = index.index(out.len());
    out[i] ^= mask;
    (i, out)
}

/// Runs one verification naively and in a batch after a valid proof; returns whether each
/// path accepted, checking that a batch that fails early fails with the naive error.
macro_rules! naive_and_batched {
    (|$eq:ident| valid: $valid:expr, tampered: $tampered:expr $(,)?) => {{
        let naive = {
            let $eq = &mut EachEquation;
            $tampered
        };
        let mut batch = BatchVerifier::new(&mut seeded(5));
        {
            let $eq = &mut batch;
            $valid.expect("the valid proof queues");
        }
        let queued = {
            let $eq = &mut batch;
            $tampered
        };
        let batched = match queued {
            Ok(_) => batch.vartime_verify().is_ok(),
            Err(e) => {
                prop_assert_eq!(
                    Some(e),
                    naive.clone().err(),
                    "batched and naive errors differ"
                );
                false
            }
        };
        (naive.is_ok(), batched)
    }};
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn addition_is_homomorphic(seed: u64, a in 0u64..1000, b in 0u64..1000) {
        let mut rng = seeded(seed);
        let sk = SecretKey::generate(&mut rng);
        let pk = sk.public_key();
        let (ca, _) = Ciphertext::encrypt(&pk, a, &mut rng);
        let (cb, _) = Ciphertext::encrypt(&pk, b, &mut rng);
        let table = DlogTable::new(2000).expect("table");
        prop_assert_eq!(table.vartime_log(&sk.decrypt_to_point(&(ca + cb))), Ok(a + b));
        let mut acc = Ciphertext::zero();
        acc += ca;
        acc += &cb;
        prop_assert_eq!(acc, ca + cb);
        prop_assert_eq!([ca, cb].iter().sum::<Ciphertext>(), ca + cb);
        prop_assert_eq!(sk.decrypt_to_point(&((ca + cb) - cb)), g(a));
    }

    #[test]
    fn weights_multiply_the_plaintext(seed: u64, a in 0u64..50, w in 0u64..50, b in 0u64..50, v in 0u64..50) {
        let mut rng = seeded(seed);
        let sk = SecretKey::generate(&mut rng);
        let pk = sk.public_key();
        let (ca, na) = Ciphertext::encrypt(&pk, a, &mut rng);
        let (cb, nb) = Ciphertext::encrypt(&pk, b, &mut rng);
        let weighted = ca.mul_weight(w) + cb.mul_weight(v);
        let table = DlogTable::new(5000).expect("table");
        prop_assert_eq!(table.vartime_log(&sk.decrypt_to_point(&weighted)), Ok(a * w + b * v));
        // The nonce of the weighted ciphertext is the weighted nonce.
        prop_assert_eq!(
            Ciphertext::encrypt_with_nonce(&pk, a * w, &na.scale(w)),
            ca.mul_weight(w)
        );
        prop_assert_eq!(
            Ciphertext::encrypt_with_nonce(&pk, a + b, &Nonce::sum([&na, &nb])),
            ca + cb
        );
    }

    #[test]
    fn rerandomisation_keeps_the_plaintext(seed: u64, m in 0u64..1000) {
        let mut rng = seeded(seed);
        let sk = SecretKey::generate(&mut rng);
        let pk = sk.public_key();
        let (c, nonce) = Ciphertext::encrypt(&pk, m, &mut rng);
        let (re, added) = c.rerandomize(&pk, &mut rng);
        prop_assert_ne!(re, c);
        prop_assert_ne!(re.a(), c.a());
        prop_assert_ne!(re.b(), c.b());
        prop_assert_ne!(re.to_bytes(), c.to_bytes());
        prop_assert_eq!(sk.decrypt_to_point(&re), g(m));
        prop_assert_eq!(Ciphertext::encrypt_with_nonce(&pk, m, &Nonce::sum([&nonce, &added])), re);
        // A proof for the original does not carry over to the re-randomised ciphertext.
        let proof = RangeProof::prove(&mut ballot(seed), &pk, &c, m, &nonce, m..=m + 1, &mut rng)
            .expect("prove");
        prop_assert!(proof.verify(&mut ballot(seed), &pk, &c.to_bytes(), m..=m + 1).is_ok());
        prop_assert!(proof.verify(&mut ballot(seed), &pk, &re.to_bytes(), m..=m + 1).is_err());
    }

    #[test]
    fn wire_types_round_trip_through_json_and_bincode(seed: u64, m in 0u64..4, extra in 0u64..3) {
        let mut rng = seeded(seed);
        let sk = SecretKey::generate(&mut rng);
        let pk = sk.public_key();
        let (c, nonce) = Ciphertext::encrypt(&pk, m, &mut rng);
        let bytes = c.to_bytes();
        let (j, b) = round_trip(&bytes);
        prop_assert_eq!(j, bytes);
        prop_assert_eq!(b, bytes);
        prop_assert_eq!(Ciphertext::from_bytes(&j), Ok(c));
        prop_assert_eq!(
            serde_json::to_string(&bytes).expect("json"),
            format!("\"{}\"", bytes.to_hex())
        );
        let key_bytes = pk.to_bytes();
        let (j, b) = round_trip(&key_bytes);
        prop_assert_eq!(j, key_bytes);
        prop_assert_eq!(b, key_bytes);

        let range = 0..=3 + extra;
        let proof = RangeProof::prove(&mut ballot(seed), &pk, &c, m, &nonce, range.clone(), &mut rng)
            .expect("prove");
        let (j, b) = round_trip(&proof);
        prop_assert_eq!(&j, &proof);
        prop_assert_eq!(&b, &proof);
        prop_assert!(j.verify(&mut ballot(seed), &pk, &bytes, range.clone()).is_ok());
        prop_assert!(b.verify(&mut ballot(seed), &pk, &bytes, range).is_ok());

        let (c2, n2) = Ciphertext::encrypt(&pk, 1, &mut rng);
        let cts = [c, c2];
        let sum = SumProof::prove(
            &mut ballot(seed), &pk, &cts, m + 1, &Nonce::sum([&nonce, &n2]), 1..=5, &mut rng,
        ).expect("sum");
        let (j, b) = round_trip(&sum);
        prop_assert_eq!(&j, &sum);
        prop_assert_eq!(&b, &sum);
        prop_assert!(b.verify(&mut ballot(seed), &pk, &cts, 1..=5).is_ok());

        let secret = SecretScalar::random(&mut rng);
        let public = PublicKey::from_point(secret.public_point());
        let pok = SchnorrProof::prove(&mut ballot(seed), &secret, &public, &mut rng);
        let (j, b) = round_trip(&pok);
        prop_assert_eq!(&j, &pok);
        prop_assert_eq!(&b, &pok);
        let sig = CredentialSignature::sign(&mut ballot(seed), &secret, &public, b"m", &mut rng);
        let (j, b) = round_trip(&sig);
        prop_assert_eq!(&j, &sig);
        prop_assert_eq!(&b, &sig);
        prop_assert!(b.verify(&mut ballot(seed), &public, b"m").is_ok());
        let (_, dleq) = DleqProof::prove(&mut ballot(seed), &secret, &public, c.a(), &mut rng);
        let (j, b) = round_trip(&dleq);
        prop_assert_eq!(&j, &dleq);
        prop_assert_eq!(&b, &dleq);

        let (_, shares) = dealt_shares(3, 2, &mut rng);
        let share = DecryptionShare::create(&mut ballot(seed), &shares[1], &c, &mut rng);
        let (j, b) = round_trip(&share);
        prop_assert_eq!(&j, &share);
        prop_assert_eq!(&b, &share);
        prop_assert!(b.verify(&mut ballot(seed), shares[1].verification_key(), &c).is_ok());
    }

    #[test]
    fn any_value_in_a_small_range_proves_and_verifies(
        seed: u64,
        (lo, hi, value) in (0u64..50, 0u64..6)
            .prop_flat_map(|(lo, len)| (Just(lo), Just(lo + len), lo..=lo + len)),
    ) {
        let mut rng = seeded(seed);
        let pk = SecretKey::generate(&mut rng).public_key();
        let (c, nonce) = Ciphertext::encrypt(&pk, value, &mut rng);
        let proof = RangeProof::prove(&mut ballot(seed), &pk, &c, value, &nonce, lo..=hi, &mut rng)
            .expect("prove");
        prop_assert_eq!(proof.branches().len() as u64, hi - lo + 1);
        prop_assert_eq!(proof.verify(&mut ballot(seed), &pk, &c.to_bytes(), lo..=hi), Ok(c));
        let mut batch = BatchVerifier::new(&mut rng);
        prop_assert_eq!(
            proof.verify_with(&mut ballot(seed), &pk, &c.to_bytes(), lo..=hi, &mut batch),
            Ok(c)
        );
        // A sum proof over the same ciphertext split in two also verifies, both ways.
        let (c1, n1) = Ciphertext::encrypt(&pk, 0, &mut rng);
        let cts = [c, c1];
        let sum = SumProof::prove(
            &mut ballot(seed), &pk, &cts, value, &Nonce::sum([&nonce, &n1]), lo..=hi, &mut rng,
        ).expect("sum");
        prop_assert_eq!(sum.verify(&mut ballot(seed), &pk, &cts, lo..=hi), Ok(c + c1));
        prop_assert!(sum.verify_with(&mut ballot(seed), &pk, &cts, lo..=hi, &mut batch).is_ok());
        prop_assert_eq!(batch.vartime_verify(), Ok(()));
    }

    #[test]
    fn values_outside_the_range_are_refused_by_the_prover(
        seed: u64,
        lo in 1u64..50,
        len in 0u64..6,
        below in any::<bool>(),
        distance in 1u64..20,
    ) {
        let hi = lo + len;
        let value = if below { lo.saturating_sub(distance) } else { hi + distance };
        prop_assume!(value < lo || value > hi);
        let mut rng = seeded(seed);
        let pk = SecretKey::generate(&mut rng).public_key();
        let (c, nonce) = Ciphertext::encrypt(&pk, value, &mut rng);
        let proof = RangeProof::prove(&mut ballot(seed), &pk, &c, value, &nonce, lo..=hi, &mut rng);
        prop_assert!(matches!(proof, Err(CryptoError::InvalidParameter(_))));
        let sum = SumProof::prove(&mut ballot(seed), &pk, &[c], value, &nonce, lo..=hi, &mut rng);
        prop_assert!(matches!(sum, Err(CryptoError::InvalidParameter(_))));
    }

    #[test]
    fn random_bytes_decode_canonically_or_are_rejected(bytes in any::<[u8; 32]>(), other in any::<[u8; 32]>()) {
        let encoded = PointBytes(bytes);
        match encoded.decode("p") {
            Ok(point) => prop_assert_eq!(PointBytes::from_point(&point), encoded),
            Err(e) => prop_assert_eq!(e, CryptoError::InvalidPoint { field: "p" }),
        }
        // With the top bit set the field element is at least 2²⁵⁵ > p: never canonical.
        let mut high = bytes;
        high[31] |= 0x80;
        prop_assert!(PointBytes(high).decode("p").is_err());
        let _ = PublicKey::from_bytes(&encoded);
        let mut wide = [0u8; 64];
        wide[..32].copy_from_slice(&bytes);
        wide[32..].copy_from_slice(&other);
        let ct = CiphertextBytes(wide);
        if let Ok(decoded) = Ciphertext::from_bytes(&ct) {
            prop_assert_eq!(decoded.to_bytes(), ct);
        }
    }

    #[test]
    fn valid_points_round_trip(scalar in any::<[u8; 32]>()) {
        let point = RISTRETTO_BASEPOINT_POINT * Scalar::from_bytes_mod_order(scalar);
        let encoded = PointBytes::from_point(&point);
        prop_assert_eq!(encoded.decode("p"), Ok(point));
        let hex = encoded.to_hex();
        prop_assert_eq!(PointBytes::from_hex(&hex), Ok(encoded));
        prop_assert_eq!(PointBytes::from_hex(&hex.to_uppercase()), Ok(encoded));
    }

    #[test]
    fn any_threshold_subset_decrypts_to_the_same_plaintext(
        seed: u64,
        m in 0u64..100,
        (n, t, subset) in (1u32..=6)
            .prop_flat_map(|n| (Just(n), 1..=n))
            .prop_flat_map(|(n, t)| {
                let all: Vec<u32> = (1..=n).collect();
                (
                    Just(n),
                    Just(t),
                    proptest::sample::subsequence(all, t as usize..=n as usize).prop_shuffle(),
                )
            }),
    ) {
        let mut rng = seeded(seed);
        let (key, key_shares) = dealt_shares(n, t, &mut rng);
        let (c, _) = Ciphertext::encrypt(&key, m, &mut rng);
        let chosen: Vec<DecryptionShare> = subset
            .iter()
            .map(|&i| {
                DecryptionShare::create(
                    &mut context_transcript(b"tally", b""),
                    &key_shares[(i - 1) as usize],
                    &c,
                    &mut rng,
                )
            })
            .collect();
        let verified: Vec<_> = chosen
            .iter()
            .map(|d| {
                d.verify(
                    &mut context_transcript(b"tally", b""),
                    key_shares[(d.trustee - 1) as usize].verification_key(),
                    &c,
                )
                .expect("valid share")
            })
            .collect();
        let t = t as usize;
        // Every window of t shares interpolates to the same plaintext.
        for window in verified.windows(t) {
            prop_assert_eq!(combine(&c, window, t), Ok(g(m)));
        }
        let d = vartime_decrypt(
            &c,
            &chosen,
            t,
            |i| i.checked_sub(1).and_then(|k| key_shares.get(k as usize)).map(|s| *s.verification_key()),
            || context_transcript(b"tally", b""),
        ).expect("decrypt");
        prop_assert_eq!(d.plaintext, g(m));
        prop_assert_eq!(&d.used[..], &subset[..t]);
        prop_assert!(d.rejected.is_empty());
        prop_assert_eq!(
            combine(&c, &verified[..t - 1], t),
            Err(CryptoError::NotEnoughShares { needed: t, got: t - 1 })
        );
    }

    #[test]
    fn bsgs_finds_any_value_up_to_its_bound(
        (max, m) in prop_oneof![0u64..2_000, 0u64..(1 << 24)].prop_flat_map(|max| (Just(max), 0..=max)),
        above in 1u64..1000,
    ) {
        let table = DlogTable::new(max).expect("table");
        prop_assert_eq!(table.max(), max);
        prop_assert_eq!(table.vartime_log(&g(m)), Ok(m));
        prop_assert_eq!(table.vartime_log(&g(max)), Ok(max));
        prop_assert_eq!(table.vartime_log(&g(0)), Ok(0));
        prop_assert_eq!(
            table.vartime_log(&g(max + above)),
            Err(CryptoError::DlogOutOfRange { max })
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn any_single_byte_change_to_a_range_or_sum_proof_is_rejected_naive_and_batched(
        seed: u64,
        (lo, hi, value) in (0u64..20, 0u64..5)
            .prop_flat_map(|(lo, len)| (Just(lo), Just(lo + len), lo..=lo + len)),
        index: prop::sample::Index,
        mask in 1u8..=255,
    ) {
        let mut rng = seeded(seed);
        let pk = SecretKey::generate(&mut rng).public_key();
        let (c, nonce) = Ciphertext::encrypt(&pk, value, &mut rng);
        let ct = c.to_bytes();
        let proof = RangeProof::prove(&mut ballot(seed), &pk, &c, value, &nonce, lo..=hi, &mut rng)
            .expect("prove");
        let bytes = branch_bytes(proof.branches());
        prop_assert_eq!(branches_from(&bytes), proof.branches().to_vec());
        let (at, flipped) = flip(&bytes, index, mask);
        let tampered = RangeProof::from_branches(branches_from(&flipped));
        let (naive, batched) = naive_and_batched!(
            |eq| valid: proof.verify_with(&mut ballot(seed), &pk, &ct, lo..=hi, eq),
            tampered: tampered.verify_with(&mut ballot(seed), &pk, &ct, lo..=hi, eq),
        );
        prop_assert!(!naive && !batched, "byte {} ^ {:#04x}: naive {}, batched {}", at, mask, naive, batched);
        // The ciphertext, one byte changed.
        let (at, flipped) = flip(&ct.0, index, mask);
        let other = CiphertextBytes(flipped.try_into().expect("64 bytes"));
        let (naive, batched) = naive_and_batched!(
            |eq| valid: proof.verify_with(&mut ballot(seed), &pk, &ct, lo..=hi, eq),
            tampered: proof.verify_with(&mut ballot(seed), &pk, &other, lo..=hi, eq),
        );
        prop_assert!(!naive && !batched, "ciphertext byte {}: naive {}, batched {}", at, naive, batched);
        // The same branches as a sum proof over [c] are valid only under the sum label.
        let sum = SumProof::prove(&mut ballot(seed), &pk, &[c], value, &nonce, lo..=hi, &mut rng)
            .expect("sum");
        let (at, flipped) = flip(&branch_bytes(sum.branches()), index, mask);
        let tampered = SumProof::from_branches(branches_from(&flipped));
        let (naive, batched) = naive_and_batched!(
            |eq| valid: sum.verify_with(&mut ballot(seed), &pk, &[c], lo..=hi, eq),
            tampered: tampered.verify_with(&mut ballot(seed), &pk, &[c], lo..=hi, eq),
        );
        prop_assert!(!naive && !batched, "sum byte {}: naive {}, batched {}", at, naive, batched);
    }

    #[test]
    fn other_bounds_are_rejected_naive_and_batched(
        seed: u64,
        (lo, hi, value) in (0u64..20, 0u64..5)
            .prop_flat_map(|(lo, len)| (Just(lo), Just(lo + len), lo..=lo + len)),
        (other_lo, other_hi) in (0u64..25, 0u64..6).prop_map(|(lo, len)| (lo, lo + len)),
    ) {
        prop_assume!((other_lo, other_hi) != (lo, hi));
        let mut rng = seeded(seed);
        let pk = SecretKey::generate(&mut rng).public_key();
        let (c, nonce) = Ciphertext::encrypt(&pk, value, &mut rng);
        let ct = c.to_bytes();
        let proof = RangeProof::prove(&mut ballot(seed), &pk, &c, value, &nonce, lo..=hi, &mut rng)
            .expect("prove");
        let (naive, batched) = naive_and_batched!(
            |eq| valid: proof.verify_with(&mut ballot(seed), &pk, &ct, lo..=hi, eq),
            tampered: proof.verify_with(&mut ballot(seed), &pk, &ct, other_lo..=other_hi, eq),
        );
        prop_assert!(!naive && !batched);
    }

    #[test]
    fn any_single_byte_change_to_a_schnorr_proof_or_signature_is_rejected(
        seed: u64,
        message in proptest::collection::vec(any::<u8>(), 0..40),
        index: prop::sample::Index,
        mask in 1u8..=255,
    ) {
        let mut rng = seeded(seed);
        let secret = SecretScalar::random(&mut rng);
        let public = PublicKey::from_point(secret.public_point());
        let pok = SchnorrProof::prove(&mut ballot(seed), &secret, &public, &mut rng);
        let sig = CredentialSignature::sign(&mut ballot(seed), &secret, &public, &message, &mut rng);
        for (kind, (r, z)) in [("proof of knowledge", pok.parts()), ("signature", sig.parts())] {
            let (at, flipped) = flip(&[r.0, z.0].concat(), index, mask);
            let r2 = PointBytes(array32(&flipped[..32]));
            let z2 = ScalarBytes(array32(&flipped[32..]));
            let (naive, batched) = if kind == "signature" {
                let tampered = CredentialSignature::from_parts(r2, z2);
                naive_and_batched!(
                    |eq| valid: sig.verify_with(&mut ballot(seed), &public, &message, eq),
                    tampered: tampered.verify_with(&mut ballot(seed), &public, &message, eq),
                )
            } else {
                let tampered = SchnorrProof::from_parts(r2, z2);
                naive_and_batched!(
                    |eq| valid: pok.verify_with(&mut ballot(seed), &public, eq),
                    tampered: tampered.verify_with(&mut ballot(seed), &public, eq),
                )
            };
            prop_assert!(!naive && !batched, "{} byte {}: naive {}, batched {}", kind, at, naive, batched);
        }
        // The message, one byte changed (or one byte appended to an empty one).
        let other = if message.is_empty() {
            vec![mask]
        } else {
            flip(&message, index, mask).1
        };
        let (naive, batched) = naive_and_batched!(
            |eq| valid: sig.verify_with(&mut ballot(seed), &public, &message, eq),
            tampered: sig.verify_with(&mut ballot(seed), &public, &other, eq),
        );
        prop_assert!(!naive && !batched);
    }

    #[test]
    fn any_single_byte_change_to_a_decryption_share_is_rejected(
        seed: u64,
        m in 0u64..50,
        index: prop::sample::Index,
        mask in 1u8..=255,
    ) {
        let mut rng = seeded(seed);
        let (key, key_shares) = dealt_shares(3, 2, &mut rng);
        let (c, _) = Ciphertext::encrypt(&key, m, &mut rng);
        let share = DecryptionShare::create(&mut ballot(seed), &key_shares[1], &c, &mut rng);
        let vk = *key_shares[1].verification_key();
        // trustee (4 bytes LE) ‖ share ‖ r1 ‖ r2 ‖ z
        let bytes = [
            &share.trustee.to_le_bytes()[..],
            &share.share.0,
            &share.proof.r1.0,
            &share.proof.r2.0,
            &share.proof.z.0,
        ]
        .concat();
        // One byte in each field in turn, so that the short trustee field is always covered.
        for (field, range) in [
            ("trustee", 0..4),
            ("share", 4..36),
            ("r1", 36..68),
            ("r2", 68..100),
            ("z", 100..132),
        ] {
            let at = range.start + index.index(range.len());
            let mut flipped = bytes.clone();
            flipped[at] ^= mask;
            let tampered = DecryptionShare {
                trustee: u32::from_le_bytes(flipped[..4].try_into().expect("4 bytes")),
                share: PointBytes(array32(&flipped[4..36])),
                proof: DleqProof {
                    r1: PointBytes(array32(&flipped[36..68])),
                    r2: PointBytes(array32(&flipped[68..100])),
                    z: ScalarBytes(array32(&flipped[100..])),
                },
            };
            let (naive, batched) = naive_and_batched!(
                |eq| valid: share.verify_with(&mut ballot(seed), &vk, &c, eq),
                tampered: tampered.verify_with(&mut ballot(seed), &vk, &c, eq),
            );
            prop_assert!(!naive && !batched, "{} byte {}: naive {}, batched {}", field, at, naive, batched);
        }
    }

    #[test]
    fn tampered_serialisations_decode_to_the_original_or_do_not_verify(
        seed: u64,
        index: prop::sample::Index,
        mask in 1u8..=127,
    ) {
        let mut rng = seeded(seed);
        let pk = SecretKey::generate(&mut rng).public_key();
        let (c, nonce) = Ciphertext::encrypt(&pk, 1, &mut rng);
        let ct = c.to_bytes();
        let proof = RangeProof::prove(&mut ballot(seed), &pk, &c, 1, &nonce, 0..=2, &mut rng)
            .expect("prove");
        let json = serde_json::to_string(&proof).expect("json");
        let bin = bincode::serialize(&proof).expect("bincode");
        // One byte of the JSON text (kept ASCII, so still a string) or of the binary form.
        let (_, text) = flip(json.as_bytes(), index, mask);
        let text = String::from_utf8(text).expect("ASCII stays UTF-8");
        let (_, raw) = flip(&bin, index, mask);
        let candidates = [
            serde_json::from_str::<RangeProof>(&text).ok(),
            bincode::deserialize::<RangeProof>(&raw).ok(),
        ];
        for decoded in candidates.into_iter().flatten() {
            let verified = decoded.verify(&mut ballot(seed), &pk, &ct, 0..=2).is_ok();
            // Only a change that decodes to the very same proof (e.g. a hex digit's case) may
            // still verify.
            prop_assert_eq!(verified, decoded == proof);
        }
    }

    #[test]
    fn random_scalar_bytes_decode_exactly_when_canonical(bytes in any::<[u8; 32]>()) {
        let encoded = ScalarBytes(bytes);
        match encoded.decode("s") {
            Ok(scalar) => {
                prop_assert!(below_ell(&bytes));
                prop_assert_eq!(ScalarBytes::from_scalar(&scalar), encoded);
            }
            Err(e) => {
                prop_assert!(!below_ell(&bytes));
                prop_assert_eq!(e, CryptoError::NonCanonicalScalar { field: "s" });
            }
        }
        // The canonical representative of the same residue always decodes, to that residue.
        let reduced = Scalar::from_bytes_mod_order(bytes);
        prop_assert_eq!(ScalarBytes::from_scalar(&reduced).decode("s"), Ok(reduced));
        let mut high = bytes;
        high[31] |= 0x80;
        prop_assert!(ScalarBytes(high).decode("s").is_err());
    }

    #[test]
    fn random_wire_input_never_panics_and_what_decodes_round_trips(
        raw in proptest::collection::vec(any::<u8>(), 0..300),
        text in "\\PC{0,80}",
        hex_text in "[0-9a-fA-F]{0,140}",
    ) {
        fn check<T>(raw: &[u8], text: &str) -> Result<(), TestCaseError>
        where
            T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + core::fmt::Debug,
        {
            if let Ok(value) = bincode::deserialize::<T>(raw) {
                let again: T = bincode::deserialize(&bincode::serialize(&value).expect("ser"))
                    .expect("round trip");
                prop_assert_eq!(again, value);
            }
            if let Ok(value) = serde_json::from_str::<T>(text) {
                let again: T = serde_json::from_str(&serde_json::to_string(&value).expect("ser"))
                    .expect("round trip");
                prop_assert_eq!(again, value);
            }
            Ok(())
        }
        let quoted = format!("\"{hex_text}\"");
        for t in [text.as_str(), quoted.as_str()] {
            check::<PointBytes>(&raw, t)?;
            check::<ScalarBytes>(&raw, t)?;
            check::<CiphertextBytes>(&raw, t)?;
            check::<RangeProof>(&raw, t)?;
            check::<SchnorrProof>(&raw, t)?;
            check::<DecryptionShare>(&raw, t)?;
            check::<dkg::Round1Package>(&raw, t)?;
            check::<dkg::Round2Package>(&raw, t)?;
            check::<CeremonyTranscript>(&raw, t)?;
        }
        // Hex of the right length parses exactly when it is the right length.
        prop_assert_eq!(PointBytes::from_hex(&hex_text).is_ok(), hex_text.len() == 64);
        prop_assert_eq!(CiphertextBytes::from_hex(&hex_text).is_ok(), hex_text.len() == 128);
        // Decoding any 64 bytes as a ciphertext either fails or re-encodes identically.
        if raw.len() >= 64 {
            let ct = CiphertextBytes(raw[..64].try_into().expect("64 bytes"));
            if let Ok(decoded) = Ciphertext::from_bytes(&ct) {
                prop_assert_eq!(decoded.to_bytes(), ct);
            }
        }
    }
}

proptest! {
    // A whole key ceremony per case: fewer cases.
    #![proptest_config(ProptestConfig::with_cases(8))]

    #[test]
    fn ceremony_messages_round_trip_and_re_verify_to_the_same_outcome(
        seed: u64,
        (n, t) in (1u32..=4).prop_flat_map(|n| (Just(n), 1..=n)),
    ) {
        let mut rng = seeded(seed);
        let params = DkgParameters::new(n, t).expect("params");
        let context = seed.to_le_bytes();
        let mut transcript = CeremonyTranscript::default();
        let mut secrets = Vec::new();
        for i in 1..=n {
            let (secret, package) = dkg::start(params, i, &context, &mut rng).expect("start");
            secrets.push(secret);
            transcript.round1.push(package);
        }
        let mut round2 = Vec::new();
        for secret in secrets {
            let (next, package) = secret.deal(&transcript.round1, &mut rng).expect("deal");
            round2.push(next);
            transcript.round2.push(package);
        }
        for secret in round2 {
            let (_, package) = secret.check(&transcript.round2, &mut rng).expect("check");
            transcript.round3.push(package);
        }
        let outcome = dkg::vartime_verify_ceremony(&params, &context, &transcript)
            .expect("honest ceremony");
        prop_assert!(outcome.blame.is_empty());
        let (from_json, from_bin) = round_trip(&transcript);
        prop_assert_eq!(&from_json, &transcript);
        prop_assert_eq!(&from_bin, &transcript);
        let expected = Ok(outcome);
        prop_assert_eq!(dkg::vartime_verify_ceremony(&params, &context, &from_json), expected.clone());
        prop_assert_eq!(dkg::vartime_verify_ceremony(&params, &context, &from_bin), expected);
    }
}
