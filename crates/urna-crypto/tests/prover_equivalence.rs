//! The precomputed-key prover (spec §6.1, implementation note) against the plain one: from the
//! same seeded RNG both give byte-identical ciphertexts and proofs, and what the fast prover
//! makes verifies while any single-byte change to it does not.

use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use urna_crypto::proofs::Branch;
use urna_crypto::transcript::context_transcript;
use urna_crypto::{
    BatchVerifier, Ciphertext, EncodedCiphertext, Nonce, PrecomputedKey, PublicKey, RangeProof,
    SecretKey, SumProof, Transcript,
};

fn selection(context: u64) -> Transcript {
    context_transcript(b"ballot/v1", &context.to_le_bytes())
}

fn seeded(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

/// What one run of a prover produced, as published bytes.
#[derive(Debug, PartialEq, Eq)]
struct Output {
    ciphertexts: Vec<String>,
    range_proofs: Vec<String>,
    sum_proof: String,
}

/// Encrypts `values`, proves each in `0..=max` and their sum in `total`, all from one RNG:
/// the way a booth makes a contest. `fast` picks the precomputed key and the encoded path.
fn prove_contest(
    key: &PublicKey,
    precomputed: &PrecomputedKey,
    fast: bool,
    values: &[u64],
    max: u64,
    total: (u64, u64),
    seed: u64,
) -> Output {
    let mut rng = seeded(seed);
    let mut cts = Vec::new();
    let mut nonces = Vec::new();
    let mut range_proofs = Vec::new();
    for (i, &v) in values.iter().enumerate() {
        let mut t = selection(i as u64);
        let (ct, nonce, proof) = if fast {
            let (ct, nonce) = EncodedCiphertext::encrypt(precomputed, v, &mut rng);
            let proof =
                RangeProof::prove_encoded(&mut t, precomputed, &ct, v, &nonce, 0..=max, &mut rng)
                    .unwrap();
            (*ct.ciphertext(), nonce, proof)
        } else {
            let (ct, nonce) = Ciphertext::encrypt(key, v, &mut rng);
            let proof = RangeProof::prove(&mut t, key, &ct, v, &nonce, 0..=max, &mut rng).unwrap();
            (ct, nonce, proof)
        };
        range_proofs.push(serde_json::to_string(&proof).unwrap());
        cts.push(ct);
        nonces.push(nonce);
    }
    let sum: u64 = values.iter().sum();
    let total_nonce = Nonce::sum(&nonces);
    let mut t = selection(u64::MAX);
    let range = total.0..=total.1;
    let sum_proof = if fast {
        SumProof::prove(
            &mut t,
            precomputed,
            &cts,
            sum,
            &total_nonce,
            range,
            &mut rng,
        )
    } else {
        SumProof::prove(&mut t, key, &cts, sum, &total_nonce, range, &mut rng)
    }
    .unwrap();
    Output {
        ciphertexts: cts.iter().map(|c| c.to_bytes().to_hex()).collect(),
        range_proofs,
        sum_proof: serde_json::to_string(&sum_proof).unwrap(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn precomputed_and_plain_provers_are_byte_identical(
        seed in any::<u64>(),
        values in prop::collection::vec(0u64..=2, 1..5),
        slack in 0u64..3,
    ) {
        let key = SecretKey::generate(&mut seeded(seed ^ 1)).public_key();
        let precomputed = PrecomputedKey::new(&key);
        let sum: u64 = values.iter().sum();
        let total = (sum.saturating_sub(slack), sum + slack);
        let plain = prove_contest(&key, &precomputed, false, &values, 2, total, seed);
        let fast = prove_contest(&key, &precomputed, true, &values, 2, total, seed);
        prop_assert_eq!(plain, fast);
    }

    #[test]
    fn precomputed_encryption_is_the_plain_one(seed in any::<u64>(), value in any::<u64>()) {
        let key = SecretKey::generate(&mut seeded(seed ^ 2)).public_key();
        let precomputed = PrecomputedKey::new(&key);
        let (plain, n1) = Ciphertext::encrypt(&key, value, &mut seeded(seed));
        let (fast, n2) = Ciphertext::encrypt(&precomputed, value, &mut seeded(seed));
        let (encoded, n3) = EncodedCiphertext::encrypt(&precomputed, value, &mut seeded(seed));
        prop_assert_eq!(n1.reveal(), n2.reveal());
        prop_assert_eq!(n1.reveal(), n3.reveal());
        prop_assert_eq!(plain.to_bytes(), fast.to_bytes());
        prop_assert_eq!(*encoded.bytes(), plain.to_bytes());
        prop_assert_eq!(
            Ciphertext::encrypt_with_nonce(&precomputed, value, &n1).to_bytes(),
            plain.to_bytes()
        );
    }
}

/// Every single-byte change of every branch field, one at a time.
fn tampered(branches: &[Branch]) -> Vec<Vec<Branch>> {
    let mut out = Vec::new();
    for j in 0..branches.len() {
        for field in 0..4 {
            for byte in [0usize, 17, 31] {
                let mut copy = branches.to_vec();
                let target = match field {
                    0 => &mut copy[j].a.0,
                    1 => &mut copy[j].b.0,
                    2 => &mut copy[j].c.0,
                    _ => &mut copy[j].z.0,
                };
                target[byte] ^= 0x01;
                out.push(copy);
            }
        }
    }
    out
}

#[test]
fn the_fast_range_proof_verifies_and_a_tampered_one_does_not() {
    let mut rng = seeded(11);
    let key = SecretKey::generate(&mut rng).public_key();
    let precomputed = PrecomputedKey::new(&key);
    let (ct, nonce) = EncodedCiphertext::encrypt(&precomputed, 2, &mut rng);
    let proof = RangeProof::prove_encoded(
        &mut selection(3),
        &precomputed,
        &ct,
        2,
        &nonce,
        0..=3,
        &mut rng,
    )
    .unwrap();
    let verified = proof
        .verify(&mut selection(3), &key, ct.bytes(), 0..=3)
        .unwrap();
    assert_eq!(verified, *ct.ciphertext());
    // In another context (transcript) the same proof does not hold.
    assert!(proof
        .verify(&mut selection(4), &key, ct.bytes(), 0..=3)
        .is_err());
    let cases = tampered(proof.branches());
    assert_eq!(cases.len(), 4 * 4 * 3);
    for branches in cases {
        let bad = RangeProof::from_branches(branches);
        assert_ne!(bad, proof);
        assert!(bad
            .verify(&mut selection(3), &key, ct.bytes(), 0..=3)
            .is_err());
        let mut batch = BatchVerifier::new(&mut seeded(12));
        let deferred = bad.verify_with(&mut selection(3), &key, ct.bytes(), 0..=3, &mut batch);
        assert!(deferred.is_err() || batch.vartime_verify().is_err());
    }
}

#[test]
fn the_fast_sum_proof_verifies_and_a_tampered_one_does_not() {
    let mut rng = seeded(13);
    let key = SecretKey::generate(&mut rng).public_key();
    let precomputed = PrecomputedKey::new(&key);
    let (cts, nonces): (Vec<Ciphertext>, Vec<Nonce>) = [1u64, 0, 1]
        .iter()
        .map(|&v| Ciphertext::encrypt(&precomputed, v, &mut rng))
        .unzip();
    let total_nonce = Nonce::sum(&nonces);
    let proof = SumProof::prove(
        &mut selection(5),
        &precomputed,
        &cts,
        2,
        &total_nonce,
        1..=3,
        &mut rng,
    )
    .unwrap();
    proof.verify(&mut selection(5), &key, &cts, 1..=3).unwrap();
    for branches in tampered(proof.branches()) {
        let bad = SumProof::from_branches(branches);
        assert!(bad.verify(&mut selection(5), &key, &cts, 1..=3).is_err());
    }
}
