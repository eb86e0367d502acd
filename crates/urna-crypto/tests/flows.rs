//! End-to-end flows through the public API: encrypt, prove, verify (plain and batched), run a
//! key ceremony, decrypt with a threshold of trustees.

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use urna_crypto::dkg::{self, CeremonyTranscript, DkgParameters, KeyShare};
use urna_crypto::threshold::vartime_decrypt;
use urna_crypto::transcript::context_transcript;
use urna_crypto::{
    BatchVerifier, Ciphertext, CryptoError, DecryptionShare, DlogTable, Nonce, RangeProof,
    SecretKey, SumProof,
};

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

#[test]
fn ballot_like_range_and_sum_proofs_verify_plain_and_batched() -> Result<(), CryptoError> {
    let mut rng = rng(10);
    let key = SecretKey::generate(&mut rng).public_key();
    let choices = [1u64, 0, 1, 0, 0];
    let mut cts = Vec::new();
    let mut nonces = Vec::new();
    let mut proofs = Vec::new();
    for (i, &v) in choices.iter().enumerate() {
        let (ct, nonce) = Ciphertext::encrypt(&key, v, &mut rng);
        let mut t = context_transcript(b"test", &[i as u8]);
        proofs.push(RangeProof::prove(
            &mut t,
            &key,
            &ct,
            v,
            &nonce,
            0..=1,
            &mut rng,
        )?);
        cts.push(ct);
        nonces.push(nonce);
    }
    let total_nonce = Nonce::sum(&nonces);
    let sum = SumProof::prove(
        &mut context_transcript(b"test", b"sum"),
        &key,
        &cts,
        2,
        &total_nonce,
        1..=3,
        &mut rng,
    )?;

    let mut batch = BatchVerifier::new(&mut rng);
    let mut decoded = Vec::new();
    for (i, (ct, proof)) in cts.iter().zip(&proofs).enumerate() {
        let mut t = context_transcript(b"test", &[i as u8]);
        assert_eq!(
            proof.verify(&mut t.clone(), &key, &ct.to_bytes(), 0..=1)?,
            *ct
        );
        decoded.push(proof.verify_with(&mut t, &key, &ct.to_bytes(), 0..=1, &mut batch)?);
    }
    sum.verify(
        &mut context_transcript(b"test", b"sum"),
        &key,
        &decoded,
        1..=3,
    )?;
    sum.verify_with(
        &mut context_transcript(b"test", b"sum"),
        &key,
        &decoded,
        1..=3,
        &mut batch,
    )?;
    batch.vartime_verify()?;

    // The same sum proof does not hold for a narrower range or another context.
    assert!(sum
        .verify(
            &mut context_transcript(b"test", b"sum"),
            &key,
            &decoded,
            3..=3
        )
        .is_err());
    assert!(sum
        .verify(
            &mut context_transcript(b"test", b"other"),
            &key,
            &decoded,
            1..=3
        )
        .is_err());
    Ok(())
}

#[test]
fn cannot_prove_a_value_outside_the_range() {
    let mut rng = rng(11);
    let key = SecretKey::generate(&mut rng).public_key();
    let (ct, nonce) = Ciphertext::encrypt(&key, 2, &mut rng);
    let result = RangeProof::prove(
        &mut context_transcript(b"t", b""),
        &key,
        &ct,
        2,
        &nonce,
        0..=1,
        &mut rng,
    );
    assert!(matches!(result, Err(CryptoError::InvalidParameter(_))));
}

#[test]
fn a_batch_with_one_bad_proof_fails() -> Result<(), CryptoError> {
    let mut rng = rng(12);
    let key = SecretKey::generate(&mut rng).public_key();
    let (ct, nonce) = Ciphertext::encrypt(&key, 1, &mut rng);
    let proof = RangeProof::prove(
        &mut context_transcript(b"t", b""),
        &key,
        &ct,
        1,
        &nonce,
        0..=1,
        &mut rng,
    )?;
    // A proof for a different ciphertext with the same value, queued against `ct`: the
    // challenge check passes only if the transcript matches, so swap only a response.
    let mut branches = proof.branches().to_vec();
    let mut z = branches[0].z.0;
    z[0] ^= 1;
    branches[0].z.0 = z;
    let tampered = RangeProof::from_branches(branches);
    let mut batch = BatchVerifier::new(&mut rng);
    proof.verify_with(
        &mut context_transcript(b"t", b""),
        &key,
        &ct.to_bytes(),
        0..=1,
        &mut batch,
    )?;
    tampered.verify_with(
        &mut context_transcript(b"t", b""),
        &key,
        &ct.to_bytes(),
        0..=1,
        &mut batch,
    )?;
    assert_eq!(batch.vartime_verify(), Err(CryptoError::BatchFailed));
    Ok(())
}

fn run_ceremony(
    params: DkgParameters,
    context: &[u8],
    cheater: Option<u32>,
    rng: &mut ChaCha20Rng,
) -> Result<(Vec<KeyShare>, dkg::CeremonyOutcome), CryptoError> {
    let mut secrets = Vec::new();
    let mut transcript = CeremonyTranscript::default();
    for i in 1..=params.trustees {
        let (secret, package) = dkg::start(params, i, context, rng)?;
        secrets.push(secret);
        transcript.round1.push(package);
    }
    let mut round2 = Vec::new();
    for secret in secrets {
        let (next, mut package) = secret.deal(&transcript.round1, rng)?;
        if Some(package.from) == cheater {
            // Corrupt the share for the first recipient.
            package.shares[0].masked_share.0[0] ^= 1;
        }
        round2.push(next);
        transcript.round2.push(package);
    }
    let mut round3 = Vec::new();
    for secret in round2 {
        let (next, package) = secret.check(&transcript.round2, rng)?;
        round3.push(next);
        transcript.round3.push(package);
    }
    let mut shares = Vec::new();
    let mut outcome = None;
    for secret in round3 {
        let (share, o) = secret.finish(&transcript)?;
        shares.push(share);
        outcome = Some(o);
    }
    let observed = dkg::vartime_verify_ceremony(&params, context, &transcript)?;
    assert_eq!(Some(&observed), outcome.as_ref());
    Ok((shares, observed))
}

#[test]
fn ceremony_and_threshold_decryption() -> Result<(), CryptoError> {
    let mut rng = rng(13);
    let params = DkgParameters::new(5, 3)?;
    let (shares, outcome) = run_ceremony(params, b"election-setup", None, &mut rng)?;
    assert!(outcome.blame.is_empty());
    assert_eq!(outcome.qualified, vec![1, 2, 3, 4, 5]);
    let key = outcome.election_key;
    let cts: Vec<Ciphertext> = (0..7)
        .map(|_| Ciphertext::encrypt(&key, 1, &mut rng).0)
        .collect();
    let total: Ciphertext = cts.iter().sum();
    // Trustees 2, 4, 5 decrypt; trustee 4 cheats by using a wrong share, so 1 must step in.
    let mut published = Vec::new();
    for share in &shares {
        if [1, 2, 4, 5].contains(&share.index()) {
            let mut d = DecryptionShare::create(
                &mut context_transcript(b"tally", b""),
                share,
                &total,
                &mut rng,
            );
            if share.index() == 4 {
                d.share = urna_crypto::PointBytes::from_point(total.a());
            }
            published.push(d);
        }
    }
    let decryption = vartime_decrypt(
        &total,
        &published,
        3,
        |i| outcome.verification_key(i),
        || context_transcript(b"tally", b""),
    )?;
    assert_eq!(decryption.rejected.len(), 1);
    assert_eq!(decryption.rejected[0].1.culprit(), Some(4));
    assert_eq!(decryption.used, vec![1, 2, 5]);
    let table = DlogTable::new(10)?;
    assert_eq!(table.vartime_log(&decryption.plaintext)?, 7);
    Ok(())
}

#[test]
fn ceremony_with_a_cheating_dealer_names_it_and_completes() -> Result<(), CryptoError> {
    let mut rng = rng(14);
    let params = DkgParameters::new(3, 2)?;
    let (shares, outcome) = run_ceremony(params, b"setup", Some(2), &mut rng)?;
    assert_eq!(outcome.qualified, vec![1, 3]);
    assert_eq!(outcome.blame.len(), 1);
    assert_eq!(outcome.blame[0].culprit, 2);
    assert!(outcome.blame[0].disqualified);
    // Any two trustees still decrypt.
    let key = outcome.election_key;
    let (ct, _) = Ciphertext::encrypt(&key, 5, &mut rng);
    for pair in [[0usize, 1], [0, 2], [1, 2]] {
        let published: Vec<DecryptionShare> = pair
            .iter()
            .map(|&k| {
                DecryptionShare::create(
                    &mut context_transcript(b"d", b""),
                    &shares[k],
                    &ct,
                    &mut rng,
                )
            })
            .collect();
        let d = vartime_decrypt(
            &ct,
            &published,
            2,
            |i| outcome.verification_key(i),
            || context_transcript(b"d", b""),
        )?;
        assert_eq!(DlogTable::new(10)?.vartime_log(&d.plaintext)?, 5);
    }
    Ok(())
}
