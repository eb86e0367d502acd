//! Property tests: homomorphism, encodings, proofs over random ranges, threshold decryption
//! and the bounded discrete log.

use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use urna_crypto::curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
use urna_crypto::curve25519_dalek::ristretto::RistrettoPoint;
use urna_crypto::curve25519_dalek::scalar::Scalar;
use urna_crypto::dkg::{DkgParameters, KeyShare};
use urna_crypto::threshold::{combine, vartime_decrypt};
use urna_crypto::transcript::context_transcript;
use urna_crypto::{
    BatchVerifier, Ciphertext, CiphertextBytes, CredentialSignature, CryptoError, DecryptionShare,
    DleqProof, DlogTable, Nonce, PointBytes, PublicKey, RangeProof, SchnorrProof, SecretKey,
    SecretScalar, SumProof, Transcript,
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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

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
        subset in proptest::sample::subsequence((1u32..=5).collect::<Vec<_>>(), 3)
            .prop_shuffle(),
    ) {
        let mut rng = seeded(seed);
        let (key, key_shares) = dealt_shares(5, 3, &mut rng);
        let (c, _) = Ciphertext::encrypt(&key, m, &mut rng);
        let all: Vec<DecryptionShare> = key_shares
            .iter()
            .map(|s| DecryptionShare::create(&mut context_transcript(b"tally", b""), s, &c, &mut rng))
            .collect();
        let verified: Vec<_> = subset
            .iter()
            .map(|&i| {
                all[(i - 1) as usize]
                    .verify(&mut context_transcript(b"tally", b""), key_shares[(i - 1) as usize].verification_key(), &c)
                    .expect("valid share")
            })
            .collect();
        prop_assert_eq!(combine(&c, &verified, 3), Ok(g(m)));
        let chosen: Vec<DecryptionShare> =
            subset.iter().map(|&i| all[(i - 1) as usize].clone()).collect();
        let d = vartime_decrypt(
            &c,
            &chosen,
            3,
            |i| i.checked_sub(1).and_then(|k| key_shares.get(k as usize)).map(|s| *s.verification_key()),
            || context_transcript(b"tally", b""),
        ).expect("decrypt");
        prop_assert_eq!(d.plaintext, g(m));
        prop_assert_eq!(&d.used, &subset);
        prop_assert!(d.rejected.is_empty());
        prop_assert_eq!(combine(&c, &verified[..2], 3), Err(CryptoError::NotEnoughShares { needed: 3, got: 2 }));
    }

    #[test]
    fn bsgs_finds_any_value_up_to_its_bound(
        (max, m) in (0u64..20_000).prop_flat_map(|max| (Just(max), 0..=max)),
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
