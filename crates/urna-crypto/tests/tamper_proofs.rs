//! Negative tests: every field of every proof, tampered with one at a time, must make
//! verification fail, and the batched verifier must agree with the naive one.

use core::ops::RangeInclusive;

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use urna_crypto::curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
use urna_crypto::curve25519_dalek::ristretto::RistrettoPoint;
use urna_crypto::curve25519_dalek::scalar::Scalar;
use urna_crypto::dkg::{
    self, CeremonyTranscript, DkgParameters, KeyShare, Round2Package, Round3Secret,
};
use urna_crypto::proofs::Branch;
use urna_crypto::threshold::vartime_decrypt;
use urna_crypto::transcript::context_transcript;
use urna_crypto::{
    BatchVerifier, Ciphertext, CiphertextBytes, CredentialSignature, CryptoError, DecryptionShare,
    DleqProof, DlogTable, Nonce, PointBytes, PublicKey, RangeProof, ScalarBytes, SchnorrProof,
    SecretKey, SecretScalar, SumProof, Transcript,
};

fn seeded(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

/// The bytes of the group order ℓ: the smallest non-canonical scalar.
const ELL: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
];

/// A valid point other than `p`: `p + G`.
fn bump_point(p: &PointBytes) -> PointBytes {
    let point = p.decode("test").expect("valid point");
    PointBytes::from_point(&(point + RISTRETTO_BASEPOINT_POINT))
}

/// A canonical scalar other than `s`: `s + 1`.
fn bump_scalar(s: &ScalarBytes) -> ScalarBytes {
    let scalar = s.decode("test").expect("canonical scalar");
    ScalarBytes::from_scalar(&(scalar + Scalar::ONE))
}

fn random_point(rng: &mut ChaCha20Rng) -> RistrettoPoint {
    RISTRETTO_BASEPOINT_POINT * Scalar::random(rng)
}

// ---------------------------------------------------------------------------------------------
// Range and sum proofs
// ---------------------------------------------------------------------------------------------

/// What a range proof is verified against.
#[derive(Clone)]
struct RangeStatement {
    purpose: &'static [u8],
    context: &'static [u8],
    key: PublicKey,
    ciphertext: CiphertextBytes,
    range: RangeInclusive<u64>,
}

impl RangeStatement {
    fn transcript(&self) -> Transcript {
        context_transcript(self.purpose, self.context)
    }
}

struct RangeFixture {
    statement: RangeStatement,
    proof: RangeProof,
    value: u64,
    nonce: Nonce,
    secret: SecretKey,
}

/// Value 2 in `[0, 3]`: branch 2 is the real one, branch 0 a simulated one.
const RANGE_VALUE: u64 = 2;
const RANGE_REAL: usize = 2;
const RANGE_SIMULATED: usize = 0;

fn range_fixture() -> RangeFixture {
    let mut rng = seeded(100);
    let secret = SecretKey::generate(&mut rng);
    let key = secret.public_key();
    let (ct, nonce) = Ciphertext::encrypt(&key, RANGE_VALUE, &mut rng);
    let statement = RangeStatement {
        purpose: b"ballot",
        context: b"election-A",
        key,
        ciphertext: ct.to_bytes(),
        range: 0..=3,
    };
    let proof = RangeProof::prove(
        &mut statement.transcript(),
        &key,
        &ct,
        RANGE_VALUE,
        &nonce,
        statement.range.clone(),
        &mut rng,
    )
    .expect("prove");
    RangeFixture {
        statement,
        proof,
        value: RANGE_VALUE,
        nonce,
        secret,
    }
}

/// Checks that `proof` fails against `statement` naively, and that a batch holding a valid proof
/// and this one fails too (at queueing time or at `vartime_verify`). Returns the naive error.
fn assert_range_rejected(
    name: &str,
    fixture: &RangeFixture,
    proof: &RangeProof,
    statement: &RangeStatement,
) -> CryptoError {
    let good = &fixture.statement;
    fixture
        .proof
        .verify(
            &mut good.transcript(),
            &good.key,
            &good.ciphertext,
            good.range.clone(),
        )
        .unwrap_or_else(|e| panic!("{name}: the untampered proof must verify: {e}"));

    let naive = proof.verify(
        &mut statement.transcript(),
        &statement.key,
        &statement.ciphertext,
        statement.range.clone(),
    );
    let Err(naive_error) = naive else {
        panic!("{name}: the naive verifier accepted a tampered range proof");
    };

    let mut batch_rng = seeded(7);
    let mut batch = BatchVerifier::new(&mut batch_rng);
    fixture
        .proof
        .verify_with(
            &mut good.transcript(),
            &good.key,
            &good.ciphertext,
            good.range.clone(),
            &mut batch,
        )
        .expect("valid proof queues");
    let queued = proof.verify_with(
        &mut statement.transcript(),
        &statement.key,
        &statement.ciphertext,
        statement.range.clone(),
        &mut batch,
    );
    if queued.is_ok() {
        assert_eq!(
            batch.vartime_verify(),
            Err(CryptoError::BatchFailed),
            "{name}: the batch verifier accepted a tampered range proof"
        );
    }
    naive_error
}

fn with_branch(proof: &[Branch], index: usize, edit: impl Fn(&mut Branch)) -> Vec<Branch> {
    let mut branches = proof.to_vec();
    edit(&mut branches[index]);
    branches
}

/// Rows `(name, tampered branches)` for every field of a real and a simulated branch, plus
/// dropped, extra and swapped branches.
fn branch_tampering(
    branches: &[Branch],
    real: usize,
    simulated: usize,
) -> Vec<(String, Vec<Branch>)> {
    let mut rows = Vec::new();
    for (kind, index) in [("real", real), ("simulated", simulated)] {
        rows.push((
            format!("{kind} branch {index}: a"),
            with_branch(branches, index, |b| b.a = bump_point(&b.a)),
        ));
        rows.push((
            format!("{kind} branch {index}: b"),
            with_branch(branches, index, |b| b.b = bump_point(&b.b)),
        ));
        rows.push((
            format!("{kind} branch {index}: c"),
            with_branch(branches, index, |b| b.c = bump_scalar(&b.c)),
        ));
        rows.push((
            format!("{kind} branch {index}: z"),
            with_branch(branches, index, |b| b.z = bump_scalar(&b.z)),
        ));
    }
    // Moving challenge weight from one branch to another keeps the sum right; the equations
    // must still catch it.
    rows.push((
        "challenge moved between real and simulated branch".into(),
        {
            let mut v = branches.to_vec();
            let delta = Scalar::from(5u64);
            let c_real = v[real].c.decode("c").expect("c") + delta;
            let c_sim = v[simulated].c.decode("c").expect("c") - delta;
            v[real].c = ScalarBytes::from_scalar(&c_real);
            v[simulated].c = ScalarBytes::from_scalar(&c_sim);
            v
        },
    ));
    rows.push(("dropped last branch".into(), {
        let mut v = branches.to_vec();
        v.pop();
        v
    }));
    rows.push(("dropped real branch".into(), {
        let mut v = branches.to_vec();
        v.remove(real);
        v
    }));
    rows.push(("extra branch (copy of the real one)".into(), {
        let mut v = branches.to_vec();
        v.push(branches[real].clone());
        v
    }));
    rows.push(("swapped real and simulated branches".into(), {
        let mut v = branches.to_vec();
        v.swap(real, simulated);
        v
    }));
    rows.push(("reversed branches".into(), {
        let mut v = branches.to_vec();
        v.reverse();
        v
    }));
    rows
}

#[test]
fn range_proof_rejects_every_tampered_branch_field() {
    let fixture = range_fixture();
    let rows = branch_tampering(fixture.proof.branches(), RANGE_REAL, RANGE_SIMULATED);
    assert!(rows.len() >= 13);
    for (name, branches) in rows {
        let tampered = RangeProof::from_branches(branches);
        assert_range_rejected(&name, &fixture, &tampered, &fixture.statement);
    }
}

#[test]
fn range_proof_dropped_or_extra_branch_is_malformed() {
    let fixture = range_fixture();
    let mut fewer = fixture.proof.branches().to_vec();
    fewer.pop();
    let mut more = fixture.proof.branches().to_vec();
    more.push(more[0].clone());
    for (name, branches) in [("dropped branch", fewer), ("extra branch", more)] {
        let error = assert_range_rejected(
            name,
            &fixture,
            &RangeProof::from_branches(branches),
            &fixture.statement,
        );
        assert!(
            matches!(error, CryptoError::Malformed { .. }),
            "{name}: {error:?}"
        );
    }
}

#[test]
fn range_proof_rejects_another_statement() {
    let fixture = range_fixture();
    let mut rng = seeded(101);
    let base = fixture.statement.clone();
    // A fresh encryption of the same value under the same key.
    let (other_ct, _) = Ciphertext::encrypt(&base.key, fixture.value, &mut rng);
    let (rerandomised, _) = Ciphertext::from_bytes(&base.ciphertext)
        .expect("ct")
        .rerandomize(&base.key, &mut rng);
    let other_key = SecretKey::generate(&mut rng).public_key();
    let rows: Vec<(&str, RangeStatement)> = vec![
        (
            "another ciphertext (fresh encryption of the same value)",
            RangeStatement {
                ciphertext: other_ct.to_bytes(),
                ..base.clone()
            },
        ),
        (
            "re-randomised ciphertext",
            RangeStatement {
                ciphertext: rerandomised.to_bytes(),
                ..base.clone()
            },
        ),
        (
            "other bounds, same length [1, 4]",
            RangeStatement {
                range: 1..=4,
                ..base.clone()
            },
        ),
        (
            "other bounds, wider [0, 4]",
            RangeStatement {
                range: 0..=4,
                ..base.clone()
            },
        ),
        (
            "other bounds, narrower [0, 2]",
            RangeStatement {
                range: 0..=2,
                ..base.clone()
            },
        ),
        (
            "another public key",
            RangeStatement {
                key: other_key,
                ..base.clone()
            },
        ),
        (
            "another transcript context (election-B)",
            RangeStatement {
                context: b"election-B",
                ..base.clone()
            },
        ),
        (
            "another purpose label",
            RangeStatement {
                purpose: b"tally",
                ..base.clone()
            },
        ),
    ];
    for (name, statement) in rows {
        assert_range_rejected(name, &fixture, &fixture.proof, &statement);
    }
}

#[test]
fn range_proof_reversed_min_max_is_an_invalid_parameter() {
    let fixture = range_fixture();
    #[allow(clippy::reversed_empty_ranges)]
    let statement = RangeStatement {
        range: 3..=0,
        ..fixture.statement.clone()
    };
    let error = assert_range_rejected("reversed bounds", &fixture, &fixture.proof, &statement);
    assert!(
        matches!(error, CryptoError::InvalidParameter(_)),
        "{error:?}"
    );
}

#[test]
fn range_proof_non_canonical_scalar_is_reported() {
    let fixture = range_fixture();
    for (name, index, field) in [
        ("c = ℓ in real branch", RANGE_REAL, "c"),
        ("z = ℓ in simulated branch", RANGE_SIMULATED, "z"),
    ] {
        let branches = with_branch(fixture.proof.branches(), index, |b| {
            if field == "c" {
                b.c = ScalarBytes(ELL);
            } else {
                b.z = ScalarBytes(ELL);
            }
        });
        let tampered = RangeProof::from_branches(branches);
        let error = assert_range_rejected(name, &fixture, &tampered, &fixture.statement);
        assert!(
            matches!(error, CryptoError::NonCanonicalScalar { .. }),
            "{name}: {error:?}"
        );
        // The batched path reports the same error when queueing.
        let mut batch_rng = seeded(8);
        let mut batch = BatchVerifier::new(&mut batch_rng);
        let queued = tampered.verify_with(
            &mut fixture.statement.transcript(),
            &fixture.statement.key,
            &fixture.statement.ciphertext,
            fixture.statement.range.clone(),
            &mut batch,
        );
        assert_eq!(queued.err(), Some(error), "{name}: batched error differs");
    }
}

#[test]
fn range_proof_invalid_point_is_reported() {
    let fixture = range_fixture();
    for (name, index, field) in [
        ("a = ff..ff in real branch", RANGE_REAL, "a"),
        ("b = ff..ff in simulated branch", RANGE_SIMULATED, "b"),
    ] {
        let branches = with_branch(fixture.proof.branches(), index, |b| {
            if field == "a" {
                b.a = PointBytes([0xff; 32]);
            } else {
                b.b = PointBytes([0xff; 32]);
            }
        });
        let tampered = RangeProof::from_branches(branches);
        let error = assert_range_rejected(name, &fixture, &tampered, &fixture.statement);
        assert!(
            matches!(error, CryptoError::InvalidPoint { .. }),
            "{name}: {error:?}"
        );
    }
    // An invalid ciphertext encoding is rejected the same way.
    let mut bad_ct = fixture.statement.ciphertext;
    bad_ct.0[..32].copy_from_slice(&[0xff; 32]);
    let statement = RangeStatement {
        ciphertext: bad_ct,
        ..fixture.statement.clone()
    };
    let error = assert_range_rejected(
        "ciphertext A = ff..ff",
        &fixture,
        &fixture.proof,
        &statement,
    );
    assert!(
        matches!(error, CryptoError::InvalidPoint { .. }),
        "{error:?}"
    );
}

#[test]
fn range_proof_fixture_is_sound_baseline() {
    // Sanity: the fixture itself verifies naive and batched, and the ciphertext opens.
    let fixture = range_fixture();
    let s = &fixture.statement;
    let ct = fixture
        .proof
        .verify(&mut s.transcript(), &s.key, &s.ciphertext, s.range.clone())
        .expect("verifies");
    assert_eq!(
        Ciphertext::encrypt_with_nonce(&s.key, fixture.value, &fixture.nonce),
        ct
    );
    assert_eq!(
        fixture.secret.decrypt_to_point(&ct),
        RISTRETTO_BASEPOINT_POINT * Scalar::from(fixture.value)
    );
    let mut batch_rng = seeded(9);
    let mut batch = BatchVerifier::new(&mut batch_rng);
    fixture
        .proof
        .verify_with(
            &mut s.transcript(),
            &s.key,
            &s.ciphertext,
            s.range.clone(),
            &mut batch,
        )
        .expect("queues");
    assert_eq!(batch.vartime_verify(), Ok(()));
}

/// What a sum proof is verified against.
#[derive(Clone)]
struct SumStatement {
    purpose: &'static [u8],
    context: &'static [u8],
    key: PublicKey,
    ciphertexts: Vec<Ciphertext>,
    range: RangeInclusive<u64>,
}

impl SumStatement {
    fn transcript(&self) -> Transcript {
        context_transcript(self.purpose, self.context)
    }
}

struct SumFixture {
    statement: SumStatement,
    proof: SumProof,
    values: Vec<u64>,
}

/// Values 1, 0, 1 (total 2) in `[1, 3]`: branch 1 is real, branch 0 simulated.
const SUM_REAL: usize = 1;
const SUM_SIMULATED: usize = 0;

fn sum_fixture() -> SumFixture {
    let mut rng = seeded(200);
    let key = SecretKey::generate(&mut rng).public_key();
    let values = vec![1u64, 0, 1];
    let mut ciphertexts = Vec::new();
    let mut nonces = Vec::new();
    for &v in &values {
        let (ct, nonce) = Ciphertext::encrypt(&key, v, &mut rng);
        ciphertexts.push(ct);
        nonces.push(nonce);
    }
    let statement = SumStatement {
        purpose: b"ballot",
        context: b"election-A",
        key,
        ciphertexts,
        range: 1..=3,
    };
    let proof = SumProof::prove(
        &mut statement.transcript(),
        &key,
        &statement.ciphertexts,
        values.iter().sum(),
        &Nonce::sum(&nonces),
        statement.range.clone(),
        &mut rng,
    )
    .expect("prove");
    SumFixture {
        statement,
        proof,
        values,
    }
}

fn assert_sum_rejected(
    name: &str,
    fixture: &SumFixture,
    proof: &SumProof,
    statement: &SumStatement,
) -> CryptoError {
    let good = &fixture.statement;
    fixture
        .proof
        .verify(
            &mut good.transcript(),
            &good.key,
            &good.ciphertexts,
            good.range.clone(),
        )
        .unwrap_or_else(|e| panic!("{name}: the untampered proof must verify: {e}"));

    let naive = proof.verify(
        &mut statement.transcript(),
        &statement.key,
        &statement.ciphertexts,
        statement.range.clone(),
    );
    let Err(naive_error) = naive else {
        panic!("{name}: the naive verifier accepted a tampered sum proof");
    };

    let mut batch_rng = seeded(17);
    let mut batch = BatchVerifier::new(&mut batch_rng);
    fixture
        .proof
        .verify_with(
            &mut good.transcript(),
            &good.key,
            &good.ciphertexts,
            good.range.clone(),
            &mut batch,
        )
        .expect("valid proof queues");
    let queued = proof.verify_with(
        &mut statement.transcript(),
        &statement.key,
        &statement.ciphertexts,
        statement.range.clone(),
        &mut batch,
    );
    if queued.is_ok() {
        assert_eq!(
            batch.vartime_verify(),
            Err(CryptoError::BatchFailed),
            "{name}: the batch verifier accepted a tampered sum proof"
        );
    }
    naive_error
}

#[test]
fn sum_proof_rejects_every_tampered_branch_field() {
    let fixture = sum_fixture();
    let rows = branch_tampering(fixture.proof.branches(), SUM_REAL, SUM_SIMULATED);
    for (name, branches) in rows {
        let tampered = SumProof::from_branches(branches);
        assert_sum_rejected(&name, &fixture, &tampered, &fixture.statement);
    }
}

#[test]
fn sum_proof_dropped_or_extra_branch_is_malformed() {
    let fixture = sum_fixture();
    let mut fewer = fixture.proof.branches().to_vec();
    fewer.remove(0);
    let mut more = fixture.proof.branches().to_vec();
    more.insert(0, more[2].clone());
    for (name, branches) in [("dropped branch", fewer), ("extra branch", more)] {
        let error = assert_sum_rejected(
            name,
            &fixture,
            &SumProof::from_branches(branches),
            &fixture.statement,
        );
        assert!(
            matches!(error, CryptoError::Malformed { .. }),
            "{name}: {error:?}"
        );
    }
}

#[test]
fn sum_proof_rejects_another_statement() {
    let fixture = sum_fixture();
    let mut rng = seeded(201);
    let base = fixture.statement.clone();
    let (fresh, _) = Ciphertext::encrypt(&base.key, fixture.values[0], &mut rng);
    let mut replaced = base.ciphertexts.clone();
    replaced[0] = fresh;
    let mut dropped = base.ciphertexts.clone();
    dropped.pop();
    let mut extra = base.ciphertexts.clone();
    extra.push(Ciphertext::encrypt(&base.key, 0, &mut rng).0);
    let mut reordered = base.ciphertexts.clone();
    reordered.swap(0, 1);
    let other_key = SecretKey::generate(&mut rng).public_key();
    let rows: Vec<(&str, SumStatement)> = vec![
        (
            "another ciphertext (fresh encryption of the same value)",
            SumStatement {
                ciphertexts: replaced,
                ..base.clone()
            },
        ),
        (
            "one ciphertext fewer",
            SumStatement {
                ciphertexts: dropped,
                ..base.clone()
            },
        ),
        (
            "one extra encryption of zero",
            SumStatement {
                ciphertexts: extra,
                ..base.clone()
            },
        ),
        (
            "other bounds, same length [0, 2]",
            SumStatement {
                range: 0..=2,
                ..base.clone()
            },
        ),
        (
            "other bounds, narrower [2, 2]",
            SumStatement {
                range: 2..=2,
                ..base.clone()
            },
        ),
        (
            "another public key",
            SumStatement {
                key: other_key,
                ..base.clone()
            },
        ),
        (
            "another transcript context (election-B)",
            SumStatement {
                context: b"election-B",
                ..base.clone()
            },
        ),
        (
            "another purpose label",
            SumStatement {
                purpose: b"tally",
                ..base.clone()
            },
        ),
    ];
    for (name, statement) in rows {
        assert_sum_rejected(name, &fixture, &fixture.proof, &statement);
    }
    // The aggregate is all that is proved: reordering the same ciphertexts is not tampering.
    fixture
        .proof
        .verify(
            &mut base.transcript(),
            &base.key,
            &reordered,
            base.range.clone(),
        )
        .expect("the sum does not depend on the order");
}

#[test]
fn sum_proof_non_canonical_scalar_and_invalid_point() {
    let fixture = sum_fixture();
    type Row = (&'static str, Vec<Branch>, fn(&CryptoError) -> bool);
    let rows: Vec<Row> = vec![
        (
            "c = ℓ in real branch",
            with_branch(fixture.proof.branches(), SUM_REAL, |b| {
                b.c = ScalarBytes(ELL)
            }),
            |e| matches!(e, CryptoError::NonCanonicalScalar { .. }),
        ),
        (
            "z = ℓ in simulated branch",
            with_branch(fixture.proof.branches(), SUM_SIMULATED, |b| {
                b.z = ScalarBytes(ELL)
            }),
            |e| matches!(e, CryptoError::NonCanonicalScalar { .. }),
        ),
        (
            "a = ff..ff in real branch",
            with_branch(fixture.proof.branches(), SUM_REAL, |b| {
                b.a = PointBytes([0xff; 32])
            }),
            |e| matches!(e, CryptoError::InvalidPoint { .. }),
        ),
        (
            "b = ff..ff in simulated branch",
            with_branch(fixture.proof.branches(), SUM_SIMULATED, |b| {
                b.b = PointBytes([0xff; 32])
            }),
            |e| matches!(e, CryptoError::InvalidPoint { .. }),
        ),
    ];
    for (name, branches, expected) in rows {
        let error = assert_sum_rejected(
            name,
            &fixture,
            &SumProof::from_branches(branches),
            &fixture.statement,
        );
        assert!(expected(&error), "{name}: {error:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Schnorr proofs of knowledge and credential signatures
// ---------------------------------------------------------------------------------------------

fn pok_transcript(context: &[u8]) -> Transcript {
    context_transcript(b"credential", context)
}

#[test]
fn schnorr_proof_rejects_tampering() {
    let mut rng = seeded(300);
    let secret = SecretScalar::random(&mut rng);
    let public = PublicKey::from_point(secret.public_point());
    let other = PublicKey::from_point(SecretScalar::random(&mut rng).public_point());
    let proof = SchnorrProof::prove(&mut pok_transcript(b"A"), &secret, &public, &mut rng);
    proof
        .verify(&mut pok_transcript(b"A"), &public)
        .expect("valid proof");
    let (commitment, response) = proof.parts();
    let rows: Vec<(&str, SchnorrProof, PublicKey, &[u8])> = vec![
        (
            "commitment",
            SchnorrProof::from_parts(bump_point(&commitment), response),
            public,
            b"A",
        ),
        (
            "response",
            SchnorrProof::from_parts(commitment, bump_scalar(&response)),
            public,
            b"A",
        ),
        ("public key", proof.clone(), other, b"A"),
        ("context", proof.clone(), public, b"B"),
    ];
    for (name, tampered, key, context) in rows {
        assert!(
            tampered.verify(&mut pok_transcript(context), &key).is_err(),
            "schnorr {name}: accepted"
        );
        let mut batch_rng = seeded(301);
        let mut batch = BatchVerifier::new(&mut batch_rng);
        let queued = tampered.verify_with(&mut pok_transcript(context), &key, &mut batch);
        assert!(
            queued.is_err() || batch.vartime_verify() == Err(CryptoError::BatchFailed),
            "schnorr {name}: batch accepted"
        );
    }
    // Another purpose label.
    assert!(proof
        .verify(&mut context_transcript(b"other-purpose", b"A"), &public)
        .is_err());
    // Encoding errors.
    assert!(matches!(
        SchnorrProof::from_parts(commitment, ScalarBytes(ELL))
            .verify(&mut pok_transcript(b"A"), &public),
        Err(CryptoError::NonCanonicalScalar { .. })
    ));
    assert!(matches!(
        SchnorrProof::from_parts(PointBytes([0xff; 32]), response)
            .verify(&mut pok_transcript(b"A"), &public),
        Err(CryptoError::InvalidPoint { .. })
    ));
}

#[test]
fn credential_signature_rejects_tampering() {
    let mut rng = seeded(310);
    let secret = SecretScalar::random(&mut rng);
    let public = PublicKey::from_point(secret.public_point());
    let other = PublicKey::from_point(SecretScalar::random(&mut rng).public_point());
    let message: &[u8] = b"ballot hash 1234";
    let sig = CredentialSignature::sign(
        &mut pok_transcript(b"A"),
        &secret,
        &public,
        message,
        &mut rng,
    );
    sig.verify(&mut pok_transcript(b"A"), &public, message)
        .expect("valid signature");
    let (commitment, response) = sig.parts();
    /// (name, signature, key, message, context)
    type Row<'a> = (&'a str, CredentialSignature, PublicKey, &'a [u8], &'a [u8]);
    let rows: Vec<Row> = vec![
        (
            "commitment",
            CredentialSignature::from_parts(bump_point(&commitment), response),
            public,
            message,
            b"A",
        ),
        (
            "response",
            CredentialSignature::from_parts(commitment, bump_scalar(&response)),
            public,
            message,
            b"A",
        ),
        ("public key", sig.clone(), other, message, b"A"),
        ("message", sig.clone(), public, b"ballot hash 1235", b"A"),
        ("empty message", sig.clone(), public, b"", b"A"),
        ("context", sig.clone(), public, message, b"B"),
    ];
    for (name, tampered, key, msg, context) in rows {
        assert!(
            tampered
                .verify(&mut pok_transcript(context), &key, msg)
                .is_err(),
            "signature {name}: accepted"
        );
        let mut batch_rng = seeded(311);
        let mut batch = BatchVerifier::new(&mut batch_rng);
        let queued = tampered.verify_with(&mut pok_transcript(context), &key, msg, &mut batch);
        assert!(
            queued.is_err() || batch.vartime_verify() == Err(CryptoError::BatchFailed),
            "signature {name}: batch accepted"
        );
    }
    assert!(matches!(
        CredentialSignature::from_parts(commitment, ScalarBytes(ELL)).verify(
            &mut pok_transcript(b"A"),
            &public,
            message
        ),
        Err(CryptoError::NonCanonicalScalar { .. })
    ));
    assert!(matches!(
        CredentialSignature::from_parts(PointBytes([0xff; 32]), response).verify(
            &mut pok_transcript(b"A"),
            &public,
            message
        ),
        Err(CryptoError::InvalidPoint { .. })
    ));
}

#[test]
fn proof_of_knowledge_and_signature_are_domain_separated() {
    let mut rng = seeded(320);
    let secret = SecretScalar::random(&mut rng);
    let public = PublicKey::from_point(secret.public_point());
    let pok = SchnorrProof::prove(&mut pok_transcript(b"A"), &secret, &public, &mut rng);
    let (c, z) = pok.parts();
    for message in [&b""[..], b"x"] {
        assert!(
            CredentialSignature::from_parts(c, z)
                .verify(&mut pok_transcript(b"A"), &public, message)
                .is_err(),
            "a proof of knowledge passed as a signature on {message:?}"
        );
    }
    for message in [&b""[..], b"x"] {
        let sig = CredentialSignature::sign(
            &mut pok_transcript(b"A"),
            &secret,
            &public,
            message,
            &mut rng,
        );
        let (c, z) = sig.parts();
        assert!(
            SchnorrProof::from_parts(c, z)
                .verify(&mut pok_transcript(b"A"), &public)
                .is_err(),
            "a signature on {message:?} passed as a proof of knowledge"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// DLEQ proofs and decryption shares
// ---------------------------------------------------------------------------------------------

#[test]
fn dleq_proof_rejects_tampering() {
    let mut rng = seeded(400);
    let secret = SecretScalar::random(&mut rng);
    let x = PublicKey::from_point(secret.public_point());
    let h = random_point(&mut rng);
    let t = || context_transcript(b"dleq", b"A");
    let (y, proof) = DleqProof::prove(&mut t(), &secret, &x, &h, &mut rng);
    assert_eq!(
        proof.verify(&mut t(), &x, &h, &y),
        Ok(h * secret.expose_secret())
    );
    let other_x = PublicKey::from_point(SecretScalar::random(&mut rng).public_point());
    let other_h = random_point(&mut rng);
    /// (name, proof, x, h, y, context)
    type Row<'a> = (
        &'a str,
        DleqProof,
        PublicKey,
        RistrettoPoint,
        PointBytes,
        &'a [u8],
    );
    let rows: Vec<Row> = vec![
        (
            "r1",
            DleqProof {
                r1: bump_point(&proof.r1),
                ..proof.clone()
            },
            x,
            h,
            y,
            b"A",
        ),
        (
            "r2",
            DleqProof {
                r2: bump_point(&proof.r2),
                ..proof.clone()
            },
            x,
            h,
            y,
            b"A",
        ),
        (
            "z",
            DleqProof {
                z: bump_scalar(&proof.z),
                ..proof.clone()
            },
            x,
            h,
            y,
            b"A",
        ),
        ("share y", proof.clone(), x, h, bump_point(&y), b"A"),
        ("wrong base h", proof.clone(), x, other_h, y, b"A"),
        (
            "wrong verification key x",
            proof.clone(),
            other_x,
            h,
            y,
            b"A",
        ),
        ("context", proof.clone(), x, h, y, b"B"),
    ];
    for (name, tampered, key, base, share, context) in rows {
        let tr = || context_transcript(b"dleq", context);
        assert!(
            tampered.verify(&mut tr(), &key, &base, &share).is_err(),
            "dleq {name}: accepted"
        );
        let mut batch_rng = seeded(401);
        let mut batch = BatchVerifier::new(&mut batch_rng);
        let queued = tampered.verify_with(&mut tr(), &key, &base, &share, &mut batch);
        assert!(
            queued.is_err() || batch.vartime_verify() == Err(CryptoError::BatchFailed),
            "dleq {name}: batch accepted"
        );
    }
    assert!(matches!(
        DleqProof {
            z: ScalarBytes(ELL),
            ..proof.clone()
        }
        .verify(&mut t(), &x, &h, &y),
        Err(CryptoError::NonCanonicalScalar { .. })
    ));
    assert!(matches!(
        DleqProof {
            r2: PointBytes([0xff; 32]),
            ..proof.clone()
        }
        .verify(&mut t(), &x, &h, &y),
        Err(CryptoError::InvalidPoint { .. })
    ));
    assert!(matches!(
        proof.verify(&mut t(), &x, &h, &PointBytes([0xff; 32])),
        Err(CryptoError::InvalidPoint { .. })
    ));
}

/// Shamir-dealt key shares (no ceremony): `n` trustees, threshold `t`.
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

fn tally_transcript() -> Transcript {
    context_transcript(b"tally", b"election-A")
}

#[test]
fn decryption_share_rejects_tampering() {
    let mut rng = seeded(410);
    let (key, shares) = dealt_shares(3, 2, &mut rng);
    let (ct, _) = Ciphertext::encrypt(&key, 4, &mut rng);
    let (other_ct, _) = Ciphertext::encrypt(&key, 4, &mut rng);
    let share = DecryptionShare::create(&mut tally_transcript(), &shares[0], &ct, &mut rng);
    let vk = *shares[0].verification_key();
    let other_vk = *shares[1].verification_key();
    share
        .verify(&mut tally_transcript(), &vk, &ct)
        .expect("valid share");
    let other_base = Ciphertext::from_points(random_point(&mut rng), *ct.b());
    let other_b = Ciphertext::from_points(*ct.a(), random_point(&mut rng));
    let rows: Vec<(&str, DecryptionShare, PublicKey, Ciphertext)> = vec![
        (
            "r1",
            DecryptionShare {
                proof: DleqProof {
                    r1: bump_point(&share.proof.r1),
                    ..share.proof.clone()
                },
                ..share.clone()
            },
            vk,
            ct,
        ),
        (
            "r2",
            DecryptionShare {
                proof: DleqProof {
                    r2: bump_point(&share.proof.r2),
                    ..share.proof.clone()
                },
                ..share.clone()
            },
            vk,
            ct,
        ),
        (
            "z",
            DecryptionShare {
                proof: DleqProof {
                    z: bump_scalar(&share.proof.z),
                    ..share.proof.clone()
                },
                ..share.clone()
            },
            vk,
            ct,
        ),
        (
            "share",
            DecryptionShare {
                share: bump_point(&share.share),
                ..share.clone()
            },
            vk,
            ct,
        ),
        (
            "share replaced by A (decrypting with x = 1)",
            DecryptionShare {
                share: PointBytes::from_point(ct.a()),
                ..share.clone()
            },
            vk,
            ct,
        ),
        ("wrong base (another A)", share.clone(), vk, other_base),
        ("wrong ciphertext (another B)", share.clone(), vk, other_b),
        ("wrong ciphertext (fresh)", share.clone(), vk, other_ct),
        ("wrong verification key", share.clone(), other_vk, ct),
        (
            "wrong trustee index",
            DecryptionShare {
                trustee: 2,
                ..share.clone()
            },
            vk,
            ct,
        ),
    ];
    for (name, tampered, key, ciphertext) in rows {
        assert!(
            tampered
                .verify(&mut tally_transcript(), &key, &ciphertext)
                .is_err(),
            "decryption share {name}: accepted"
        );
        let mut batch_rng = seeded(411);
        let mut batch = BatchVerifier::new(&mut batch_rng);
        let queued = tampered.verify_with(&mut tally_transcript(), &key, &ciphertext, &mut batch);
        assert!(
            queued.is_err() || batch.vartime_verify() == Err(CryptoError::BatchFailed),
            "decryption share {name}: batch accepted"
        );
    }
    // Another context.
    assert!(share
        .verify(&mut context_transcript(b"tally", b"election-B"), &vk, &ct)
        .is_err());
}

// ---------------------------------------------------------------------------------------------
// Threshold decryption
// ---------------------------------------------------------------------------------------------

fn shares_for(
    key_shares: &[KeyShare],
    which: &[u32],
    ct: &Ciphertext,
    rng: &mut ChaCha20Rng,
) -> Vec<DecryptionShare> {
    which
        .iter()
        .map(|&i| {
            DecryptionShare::create(
                &mut tally_transcript(),
                &key_shares[(i - 1) as usize],
                ct,
                rng,
            )
        })
        .collect()
}

fn vk_of(key_shares: &[KeyShare]) -> impl Fn(u32) -> Option<PublicKey> + '_ {
    move |i| {
        i.checked_sub(1)
            .and_then(|k| key_shares.get(k as usize))
            .map(|s| *s.verification_key())
    }
}

fn corrupt(share: &mut DecryptionShare) {
    share.proof.z = bump_scalar(&share.proof.z);
}

#[test]
fn threshold_too_few_shares() {
    let mut rng = seeded(500);
    let (key, key_shares) = dealt_shares(5, 3, &mut rng);
    let (ct, _) = Ciphertext::encrypt(&key, 6, &mut rng);
    let published = shares_for(&key_shares, &[2, 5], &ct, &mut rng);
    assert_eq!(
        vartime_decrypt(&ct, &published, 3, vk_of(&key_shares), tally_transcript),
        Err(CryptoError::NotEnoughShares { needed: 3, got: 2 })
    );
    // Three shares of which one is invalid: still too few valid ones.
    let mut published = shares_for(&key_shares, &[1, 2, 5], &ct, &mut rng);
    corrupt(&mut published[1]);
    assert_eq!(
        vartime_decrypt(&ct, &published, 3, vk_of(&key_shares), tally_transcript),
        Err(CryptoError::NotEnoughShares { needed: 3, got: 2 })
    );
    assert_eq!(
        vartime_decrypt(&ct, &[], 3, vk_of(&key_shares), tally_transcript),
        Err(CryptoError::NotEnoughShares { needed: 3, got: 0 })
    );
}

#[test]
fn threshold_unknown_trustee_is_blamed() {
    let mut rng = seeded(510);
    let (key, key_shares) = dealt_shares(5, 3, &mut rng);
    let (ct, _) = Ciphertext::encrypt(&key, 6, &mut rng);
    let mut published = shares_for(&key_shares, &[1, 2, 3], &ct, &mut rng);
    let mut stranger = published[0].clone();
    stranger.trustee = 9;
    published.insert(1, stranger);
    let mut zero = published[0].clone();
    zero.trustee = 0;
    published.push(zero);
    let d = vartime_decrypt(&ct, &published, 3, vk_of(&key_shares), tally_transcript)
        .expect("three honest shares");
    assert_eq!(d.used, vec![1, 2, 3]);
    assert_eq!(
        d.rejected,
        vec![
            (
                9,
                CryptoError::Misbehaviour {
                    culprit: 9,
                    reason: "unknown trustee"
                }
            ),
            (
                0,
                CryptoError::Misbehaviour {
                    culprit: 0,
                    reason: "unknown trustee"
                }
            ),
        ]
    );
    assert_eq!(
        DlogTable::new(10).expect("table").vartime_log(&d.plaintext),
        Ok(6)
    );
}

#[test]
fn threshold_second_share_from_a_trustee_is_rejected_even_if_the_first_was_invalid() {
    let mut rng = seeded(520);
    let (key, key_shares) = dealt_shares(5, 3, &mut rng);
    let (ct, _) = Ciphertext::encrypt(&key, 6, &mut rng);
    let mut bad_first = shares_for(&key_shares, &[1], &ct, &mut rng);
    corrupt(&mut bad_first[0]);
    let good_second = shares_for(&key_shares, &[1], &ct, &mut rng);
    let others = shares_for(&key_shares, &[2, 3, 4], &ct, &mut rng);
    let published: Vec<DecryptionShare> = bad_first
        .into_iter()
        .chain(good_second)
        .chain(others)
        .collect();
    let d = vartime_decrypt(&ct, &published, 3, vk_of(&key_shares), tally_transcript)
        .expect("three honest shares");
    assert_eq!(d.used, vec![2, 3, 4]);
    assert_eq!(d.rejected.len(), 2);
    assert_eq!(
        d.rejected[0],
        (
            1,
            CryptoError::Misbehaviour {
                culprit: 1,
                reason: "invalid partial decryption"
            }
        )
    );
    assert_eq!(
        d.rejected[1],
        (
            1,
            CryptoError::Misbehaviour {
                culprit: 1,
                reason: "second decryption share"
            }
        )
    );
    assert_eq!(
        DlogTable::new(10).expect("table").vartime_log(&d.plaintext),
        Ok(6)
    );

    // A valid first share followed by a duplicate: the duplicate is blamed, the first counts.
    let mut published = shares_for(&key_shares, &[1, 1, 2, 3], &ct, &mut rng);
    published.push(published[0].clone());
    let d = vartime_decrypt(&ct, &published, 3, vk_of(&key_shares), tally_transcript)
        .expect("three valid shares");
    assert_eq!(d.used, vec![1, 2, 3]);
    assert_eq!(d.rejected.len(), 2);
    assert!(d.rejected.iter().all(|(i, e)| *i == 1
        && *e
            == CryptoError::Misbehaviour {
                culprit: 1,
                reason: "second decryption share"
            }));
    assert_eq!(
        DlogTable::new(10).expect("table").vartime_log(&d.plaintext),
        Ok(6)
    );
}

#[test]
fn threshold_one_bad_share_is_blamed_and_decryption_succeeds() {
    let mut rng = seeded(530);
    let (key, key_shares) = dealt_shares(5, 3, &mut rng);
    let (ct, _) = Ciphertext::encrypt(&key, 9, &mut rng);
    let mut published = shares_for(&key_shares, &[3, 1, 4, 5], &ct, &mut rng);
    published[1].share = bump_point(&published[1].share);
    let d = vartime_decrypt(&ct, &published, 3, vk_of(&key_shares), tally_transcript)
        .expect("three honest shares");
    assert_eq!(d.used, vec![3, 4, 5]);
    assert_eq!(d.rejected.len(), 1);
    assert_eq!(d.rejected[0].0, 1);
    assert_eq!(d.rejected[0].1.culprit(), Some(1));
    assert_eq!(
        DlogTable::new(20).expect("table").vartime_log(&d.plaintext),
        Ok(9)
    );
    // Shares made under another context are all rejected.
    let d = vartime_decrypt(&ct, &published, 3, vk_of(&key_shares), || {
        context_transcript(b"tally", b"election-B")
    });
    assert_eq!(d, Err(CryptoError::NotEnoughShares { needed: 3, got: 0 }));
}

// ---------------------------------------------------------------------------------------------
// Key ceremony
// ---------------------------------------------------------------------------------------------

const CEREMONY: &[u8] = b"ceremony-A";

/// Runs rounds 1–3, letting `tamper` edit the round-2 packages before anyone checks them.
fn ceremony_rounds(
    params: DkgParameters,
    rng: &mut ChaCha20Rng,
    tamper: impl FnOnce(&mut Vec<Round2Package>),
) -> (CeremonyTranscript, Vec<Round3Secret>) {
    let mut transcript = CeremonyTranscript::default();
    let mut secrets = Vec::new();
    for i in 1..=params.trustees {
        let (secret, package) = dkg::start(params, i, CEREMONY, rng).expect("start");
        secrets.push(secret);
        transcript.round1.push(package);
    }
    let mut round2 = Vec::new();
    for secret in secrets {
        let (next, package) = secret.deal(&transcript.round1, rng).expect("deal");
        round2.push(next);
        transcript.round2.push(package);
    }
    tamper(&mut transcript.round2);
    let mut round3 = Vec::new();
    for secret in round2 {
        let (next, package) = secret.check(&transcript.round2, rng).expect("check");
        round3.push(next);
        transcript.round3.push(package);
    }
    (transcript, round3)
}

fn honest_transcript(seed: u64) -> (DkgParameters, CeremonyTranscript) {
    let mut rng = seeded(seed);
    let params = DkgParameters::new(3, 2).expect("params");
    let (transcript, _) = ceremony_rounds(params, &mut rng, |_| {});
    dkg::vartime_verify_ceremony(&params, CEREMONY, &transcript).expect("honest ceremony");
    (params, transcript)
}

#[test]
fn ceremony_corrupted_round1_proofs_blame_their_trustee() {
    let (params, honest) = honest_transcript(600);
    type Edit = fn(&mut dkg::Round1Package);
    let rows: Vec<(&str, Edit)> = vec![
        ("constant_proof response", |p| {
            let (c, z) = p.constant_proof.parts();
            p.constant_proof = SchnorrProof::from_parts(c, bump_scalar(&z));
        }),
        ("constant_proof commitment", |p| {
            let (c, z) = p.constant_proof.parts();
            p.constant_proof = SchnorrProof::from_parts(bump_point(&c), z);
        }),
        ("transport_proof response", |p| {
            let (c, z) = p.transport_proof.parts();
            p.transport_proof = SchnorrProof::from_parts(c, bump_scalar(&z));
        }),
        ("transport_proof commitment", |p| {
            let (c, z) = p.transport_proof.parts();
            p.transport_proof = SchnorrProof::from_parts(bump_point(&c), z);
        }),
        ("constant_proof non-canonical response", |p| {
            let (c, _) = p.constant_proof.parts();
            p.constant_proof = SchnorrProof::from_parts(c, ScalarBytes(ELL));
        }),
        ("transport key replaced", |p| {
            p.transport_key = bump_point(&p.transport_key);
        }),
        ("commitment replaced", |p| {
            p.commitments[1] = bump_point(&p.commitments[1]);
        }),
        ("constant commitment replaced", |p| {
            p.commitments[0] = bump_point(&p.commitments[0]);
        }),
        ("a commitment dropped", |p| {
            p.commitments.pop();
        }),
    ];
    for culprit in [1u32, 3] {
        for (name, edit) in &rows {
            let mut transcript = honest.clone();
            edit(&mut transcript.round1[(culprit - 1) as usize]);
            let error =
                dkg::vartime_verify_ceremony(&params, CEREMONY, &transcript).expect_err(name);
            assert_eq!(
                error.culprit(),
                Some(culprit),
                "{name} of trustee {culprit}: {error:?}"
            );
        }
    }
}

#[test]
fn ceremony_round1_package_replayed_under_another_index_is_rejected() {
    let (params, honest) = honest_transcript(610);
    // Trustee 1's package posted as trustee 2's.
    let mut transcript = honest.clone();
    let mut replay = transcript.round1[0].clone();
    replay.from = 2;
    transcript.round1[1] = replay.clone();
    let error = dkg::vartime_verify_ceremony(&params, CEREMONY, &transcript)
        .expect_err("a replayed round-1 package must not verify");
    assert_eq!(error.culprit(), Some(2), "{error:?}");
    // Posted in addition to trustee 2's own package.
    let mut transcript = honest.clone();
    transcript.round1.push(replay);
    let error = dkg::vartime_verify_ceremony(&params, CEREMONY, &transcript)
        .expect_err("two round-1 packages from one trustee");
    assert_eq!(error.culprit(), Some(2), "{error:?}");
    // Under another ceremony context, every package fails.
    let error =
        dkg::vartime_verify_ceremony(&params, b"ceremony-B", &honest).expect_err("another context");
    assert_eq!(error.culprit(), Some(1), "{error:?}");
}

#[test]
fn ceremony_malformed_round2_package_disqualifies_its_dealer() {
    type Edit = fn(&mut Round2Package);
    let rows: Vec<(&str, Edit)> = vec![
        ("missing share", |p| {
            p.shares.pop();
        }),
        ("share addressed to the dealer itself", |p| {
            p.shares[0].to = p.from;
        }),
        ("duplicate recipient", |p| {
            p.shares[1].to = p.shares[0].to;
        }),
        ("share for an unknown recipient", |p| {
            p.shares[0].to = 99;
        }),
        ("extra share", |p| {
            let extra = p.shares[0].clone();
            p.shares.push(extra);
        }),
        ("invalid ephemeral key", |p| {
            p.shares[0].ephemeral = PointBytes([0xff; 32]);
        }),
        ("non-canonical masked share", |p| {
            p.shares[0].masked_share = ScalarBytes(ELL);
        }),
    ];
    let params = DkgParameters::new(4, 2).expect("params");
    let dealer = 2u32;
    for (k, (name, edit)) in rows.iter().enumerate() {
        let mut rng = seeded(620 + k as u64);
        let (transcript, round3) = ceremony_rounds(params, &mut rng, |packages| {
            edit(&mut packages[(dealer - 1) as usize]);
        });
        let outcome = dkg::vartime_verify_ceremony(&params, CEREMONY, &transcript)
            .unwrap_or_else(|e| panic!("{name}: the ceremony must complete: {e:?}"));
        assert!(
            outcome
                .blame
                .iter()
                .any(|b| b.culprit == dealer && b.disqualified),
            "{name}: dealer not blamed: {:?}",
            outcome.blame
        );
        assert_eq!(outcome.qualified, vec![1, 3, 4], "{name}");
        // Every trustee finishes with the same outcome, and the shares work.
        let mut key_shares = Vec::new();
        for secret in round3 {
            let (share, own) = secret
                .finish(&transcript)
                .unwrap_or_else(|e| panic!("{name}: finish: {e:?}"));
            assert_eq!(own, outcome, "{name}");
            key_shares.push(share);
        }
        let (ct, _) = Ciphertext::encrypt(&outcome.election_key, 3, &mut rng);
        let published = shares_for(&key_shares, &[1, 4], &ct, &mut rng);
        let d = vartime_decrypt(
            &ct,
            &published,
            2,
            |i| outcome.verification_key(i),
            tally_transcript,
        )
        .unwrap_or_else(|e| panic!("{name}: decrypt: {e:?}"));
        assert_eq!(
            DlogTable::new(10).expect("table").vartime_log(&d.plaintext),
            Ok(3),
            "{name}"
        );
    }
}

#[test]
fn ceremony_missing_round3_package_is_an_error() {
    let mut rng = seeded(640);
    let params = DkgParameters::new(3, 2).expect("params");
    let (mut transcript, round3) = ceremony_rounds(params, &mut rng, |_| {});
    transcript.round3.remove(2);
    assert_eq!(
        dkg::vartime_verify_ceremony(&params, CEREMONY, &transcript),
        Err(CryptoError::Protocol {
            from: 3,
            reason: "round-3 package missing"
        })
    );
    for secret in round3 {
        assert!(secret.finish(&transcript).is_err());
    }
}

#[test]
fn ceremony_duplicate_round3_package_blames_its_sender() {
    let mut rng = seeded(650);
    let params = DkgParameters::new(3, 2).expect("params");
    let (mut transcript, _) = ceremony_rounds(params, &mut rng, |_| {});
    let again = transcript.round3[0].clone();
    transcript.round3.push(again);
    let error = dkg::vartime_verify_ceremony(&params, CEREMONY, &transcript)
        .expect_err("two round-3 packages");
    assert_eq!(error.culprit(), Some(1));
}
