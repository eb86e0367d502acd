//! The workloads: a 10-option ballot as published, its prover and verifier, and the floors the
//! hot paths are measured against. Shared by the criterion targets and `urna bench`.
//!
//! A fixture that fails to build or verify would time the wrong thing, so set-up returns an
//! error instead of measuring.

use std::hint::black_box;
use std::ops::RangeInclusive;

use anyhow::{anyhow, Context, Result};
use curve25519_dalek::constants::{RISTRETTO_BASEPOINT_POINT, RISTRETTO_BASEPOINT_TABLE};
use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoBasepointTable, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use merlin::Transcript;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use urna_crypto::transcript::context_transcript;
use urna_crypto::{
    BatchVerifier, Ciphertext, CiphertextBytes, EachEquation, EncryptionKey, Equations, Nonce,
    PrecomputedKey, PublicKey, RangeProof, SecretKey, SumProof,
};

/// Options on the benchmark ballot.
pub const OPTIONS: usize = 10;
/// Range of each option's ciphertext.
pub const OPTION_RANGE: RangeInclusive<u64> = 0..=1;
/// The ballot's choices: three options marked (valid for both sum ranges below).
pub const VOTES: [u64; OPTIONS] = [1, 0, 0, 1, 0, 0, 0, 1, 0, 0];
/// Ciphertexts aggregated in `aggregate_1000`.
pub const AGGREGATE_N: usize = 1000;
/// Ballots in one batch in `ballot_batch_100`.
pub const BATCH_BALLOTS: usize = 100;

pub fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

pub fn election_key(rng: &mut ChaCha20Rng) -> PublicKey {
    SecretKey::generate(rng).public_key()
}

/// Number of values (branches) in a range.
pub fn branches(range: &RangeInclusive<u64>) -> usize {
    (range.end() - range.start() + 1) as usize
}

// ---------------------------------------------------------------------------------------------
// A 10-option ballot as published: ciphertext bytes, one range proof each, one sum proof.
// ---------------------------------------------------------------------------------------------

#[derive(Debug)]
pub struct Ballot {
    pub ciphertexts: Vec<CiphertextBytes>,
    pub range_proofs: Vec<RangeProof>,
    pub sum_proof: SumProof,
    pub sum_range: RangeInclusive<u64>,
}

pub fn option_transcript(i: usize) -> Transcript {
    context_transcript(b"ballot", &[i as u8])
}

pub fn sum_transcript() -> Transcript {
    context_transcript(b"ballot", &[OPTIONS as u8])
}

/// Encrypts `VOTES` and proves them: 10 × (encrypt + range proof), one sum proof. This is the
/// timed body of `ballot_prove` as well as the fixture builder.
pub fn prove_ballot<K: EncryptionKey>(
    key: &K,
    sum_range: &RangeInclusive<u64>,
    rng: &mut ChaCha20Rng,
) -> urna_crypto::Result<Ballot> {
    let mut ciphertexts = Vec::with_capacity(OPTIONS);
    let mut bytes = Vec::with_capacity(OPTIONS);
    let mut nonces = Vec::with_capacity(OPTIONS);
    let mut range_proofs = Vec::with_capacity(OPTIONS);
    for (i, &vote) in VOTES.iter().enumerate() {
        let (ciphertext, nonce) = Ciphertext::encrypt(key, vote, rng);
        let proof = RangeProof::prove(
            &mut option_transcript(i),
            key,
            &ciphertext,
            vote,
            &nonce,
            OPTION_RANGE,
            rng,
        )?;
        bytes.push(ciphertext.to_bytes());
        ciphertexts.push(ciphertext);
        nonces.push(nonce);
        range_proofs.push(proof);
    }
    let total = VOTES.iter().sum();
    let sum_proof = SumProof::prove(
        &mut sum_transcript(),
        key,
        &ciphertexts,
        total,
        &Nonce::sum(&nonces),
        sum_range.clone(),
        rng,
    )?;
    Ok(Ballot {
        ciphertexts: bytes,
        range_proofs,
        sum_proof,
        sum_range: sum_range.clone(),
    })
}

/// Verifies a ballot's 11 proofs, each with its own transcript, sending the equations to
/// `equations` (`EachEquation` is exactly what `RangeProof::verify`/`SumProof::verify` use).
pub fn verify_ballot(
    ballot: &Ballot,
    key: &PublicKey,
    equations: &mut impl Equations,
) -> urna_crypto::Result<Ciphertext> {
    let mut decoded = Vec::with_capacity(OPTIONS);
    for (i, (ciphertext, proof)) in ballot
        .ciphertexts
        .iter()
        .zip(&ballot.range_proofs)
        .enumerate()
    {
        decoded.push(proof.verify_with(
            &mut option_transcript(i),
            key,
            ciphertext,
            OPTION_RANGE,
            equations,
        )?);
    }
    ballot.sum_proof.verify_with(
        &mut sum_transcript(),
        key,
        &decoded,
        ballot.sum_range.clone(),
        equations,
    )
}

/// Points a ballot carries on the wire: ciphertexts' A and B, then every commitment a, b.
pub fn carried_points(ballot: &Ballot) -> (Vec<CompressedRistretto>, Vec<CompressedRistretto>) {
    let mut ciphertext_points = Vec::new();
    for ciphertext in &ballot.ciphertexts {
        let bytes = ciphertext.as_bytes();
        let mut a = [0u8; 32];
        let mut b = [0u8; 32];
        a.copy_from_slice(&bytes[..32]);
        b.copy_from_slice(&bytes[32..]);
        ciphertext_points.push(CompressedRistretto(a));
        ciphertext_points.push(CompressedRistretto(b));
    }
    let mut commitments = Vec::new();
    let all_branches = ballot
        .range_proofs
        .iter()
        .flat_map(|p| p.branches())
        .chain(ballot.sum_proof.branches());
    for branch in all_branches {
        commitments.push(CompressedRistretto(*branch.a.as_bytes()));
        commitments.push(CompressedRistretto(*branch.b.as_bytes()));
    }
    (ciphertext_points, commitments)
}

/// Terms of the one multiscalar multiplication a `BatchVerifier` ends with, for `ballots`
/// ballots (read off `batch.rs`): `G` and `K` once (shared bases), and per proof its two
/// statement points (`Base::Local` A, B: the option's ciphertext, or the aggregate for the sum
/// proof) plus the commitments `a`, `b` of every branch (`Base::Point`).
pub fn batch_terms(ballots: usize, sum_range: &RangeInclusive<u64>) -> usize {
    let per_ballot = OPTIONS * (2 + 2 * branches(&OPTION_RANGE)) + 2 + 2 * branches(sum_range);
    2 + ballots * per_ballot
}

/// The floor of batched verification: decompress exactly the points the ballots carry, then
/// one variable-time multiscalar multiplication with as many terms as the batch verifier's.
///
/// Besides the decompressed points the batch has `G`, `K` and each ballot's aggregate
/// `(ΣA, ΣB)`; these come precomputed here (the batch verifier computes the aggregate with 20
/// point additions, which counts as overhead above the floor).
///
/// With `matched_widths` the scalars have the shape the batch verifier's have: the commitments'
/// coefficients are `-ρ` for a random 128-bit weight `ρ` (sparse NAF, cheaper in Straus), all
/// others full-width. Without, every scalar is a uniformly random full-width one.
#[derive(Debug)]
pub struct Floor {
    pub compressed: Vec<CompressedRistretto>,
    pub fixed_points: Vec<RistrettoPoint>,
    pub scalars: Vec<Scalar>,
}

impl Floor {
    pub fn new(
        ballots: &[Ballot],
        key: &PublicKey,
        matched_widths: bool,
        rng: &mut ChaCha20Rng,
    ) -> Result<Self> {
        let mut fixed_points = vec![RISTRETTO_BASEPOINT_POINT, *key.point()];
        let mut ciphertext_points = Vec::new();
        let mut commitments = Vec::new();
        for ballot in ballots {
            let decoded = ballot
                .ciphertexts
                .iter()
                .map(Ciphertext::from_bytes)
                .collect::<urna_crypto::Result<Vec<_>>>()?;
            let aggregate: Ciphertext = decoded.iter().sum();
            fixed_points.push(*aggregate.a());
            fixed_points.push(*aggregate.b());
            let (c, p) = carried_points(ballot);
            ciphertext_points.extend(c);
            commitments.extend(p);
        }
        let full = fixed_points.len() + ciphertext_points.len();
        let mut scalars: Vec<Scalar> = (0..full).map(|_| Scalar::random(rng)).collect();
        scalars.extend((0..commitments.len()).map(|_| {
            if matched_widths {
                -Scalar::from(rng.gen::<u128>())
            } else {
                Scalar::random(rng)
            }
        }));
        let mut compressed = ciphertext_points;
        compressed.extend(commitments);
        Ok(Self {
            compressed,
            fixed_points,
            scalars,
        })
    }

    pub fn terms(&self) -> usize {
        self.scalars.len()
    }

    pub fn decompress(&self) -> Option<Vec<RistrettoPoint>> {
        let mut points = Vec::with_capacity(self.scalars.len());
        points.extend_from_slice(&self.fixed_points);
        for c in &self.compressed {
            points.push(c.decompress()?);
        }
        Some(points)
    }

    pub fn msm(&self, points: &[RistrettoPoint]) -> bool {
        RistrettoPoint::vartime_multiscalar_mul(&self.scalars, points).is_identity()
    }

    pub fn run(&self) -> Option<bool> {
        let points = self.decompress()?;
        Some(self.msm(&points))
    }
}

/// Checks the term count against what `BatchVerifier`'s `Debug` reports: a floor of another
/// size than the batch would make the ratio meaningless.
pub fn check_terms(batch: &BatchVerifier, expected: usize, floor: &Floor) -> Result<()> {
    let debug = format!("{batch:?}");
    if debug.contains(&format!("terms: {expected},")) && floor.terms() == expected {
        Ok(())
    } else {
        Err(anyhow!(
            "batch terms mismatch: batch says {debug}, expected {expected}, floor has {}",
            floor.terms()
        ))
    }
}

#[derive(Debug)]
pub struct AggregateFixture {
    pub ciphertexts: Vec<Ciphertext>,
    pub points: Vec<(RistrettoPoint, RistrettoPoint)>,
}

impl Default for AggregateFixture {
    fn default() -> Self {
        Self::new()
    }
}

impl AggregateFixture {
    pub fn new() -> Self {
        let mut rng = rng(2);
        let key = election_key(&mut rng);
        let ciphertexts: Vec<Ciphertext> = (0..AGGREGATE_N)
            .map(|i| Ciphertext::encrypt(&key, (i % 2) as u64, &mut rng).0)
            .collect();
        let points = ciphertexts.iter().map(|c| (*c.a(), *c.b())).collect();
        Self {
            ciphertexts,
            points,
        }
    }

    /// `Σ` over the ciphertexts (`impl Sum<&Ciphertext>`).
    pub fn sum(&self) -> Ciphertext {
        black_box(&self.ciphertexts).iter().sum()
    }

    /// `+=` over the ciphertexts (`impl AddAssign<&Ciphertext>`).
    pub fn add_assign(&self) -> Ciphertext {
        let mut total = Ciphertext::zero();
        for c in black_box(&self.ciphertexts) {
            total += c;
        }
        total
    }

    /// The floor: 2N bare point additions over the same points, in the same layout.
    pub fn floor(&self) -> (RistrettoPoint, RistrettoPoint) {
        let mut a = RistrettoPoint::default();
        let mut b = RistrettoPoint::default();
        for (pa, pb) in black_box(&self.points) {
            a += pa;
            b += pb;
        }
        (a, b)
    }
}

/// One ballot (or many), its floor, and the batch's term count.
#[derive(Debug)]
pub struct VerifyFixture {
    pub key: PublicKey,
    pub ballots: Vec<Ballot>,
    pub terms: usize,
    pub floor: Floor,
    pub floor_full: Floor,
    pub points: Vec<RistrettoPoint>,
}

impl VerifyFixture {
    pub fn new(count: usize, sum_range: &RangeInclusive<u64>, seed: u64) -> Result<Self> {
        let mut rng = rng(seed);
        let key = election_key(&mut rng);
        let ballots = (0..count)
            .map(|_| prove_ballot(&key, sum_range, &mut rng))
            .collect::<urna_crypto::Result<Vec<Ballot>>>()
            .context("proving the benchmark ballots")?;
        let terms = batch_terms(count, sum_range);
        let floor = Floor::new(&ballots, &key, true, &mut rng)?;
        let floor_full = Floor::new(&ballots, &key, false, &mut rng)?;
        let mut batch = BatchVerifier::new(&mut rng);
        for ballot in &ballots {
            verify_ballot(ballot, &key, &mut EachEquation).context("naive verification")?;
            verify_ballot(ballot, &key, &mut batch).context("queueing the batch")?;
        }
        check_terms(&batch, terms, &floor)?;
        batch.vartime_verify().context("batch verification")?;
        let points = floor
            .decompress()
            .ok_or_else(|| anyhow!("a carried point does not decompress"))?;
        Ok(Self {
            key,
            ballots,
            terms,
            floor,
            floor_full,
            points,
        })
    }

    /// One line on what is measured, for the benchmark's log.
    pub fn describe(&self) -> String {
        let sum_range = &self
            .ballots
            .first()
            .map(|b| b.sum_range.clone())
            .unwrap_or(0..=0);
        format!(
            "{} ballot(s), {} points carried, {} batch terms, {} equations",
            self.ballots.len(),
            self.floor.compressed.len(),
            self.terms,
            self.ballots.len() * 2 * (OPTIONS * branches(&OPTION_RANGE) + branches(sum_range))
        )
    }

    pub fn verify_batched(&self, rng: &mut ChaCha20Rng, presized: bool) -> urna_crypto::Result<()> {
        let mut batch = if presized {
            BatchVerifier::with_capacity(rng, self.terms)
        } else {
            BatchVerifier::new(rng)
        };
        for ballot in &self.ballots {
            verify_ballot(ballot, &self.key, &mut batch)?;
        }
        batch.vartime_verify()
    }
}

/// The floor of `ballot_prove`: the scalar multiplications the prover cannot avoid, and the
/// election key with its table.
pub struct ProveFixture {
    pub key: PublicKey,
    /// The key's fixed-base table, as the booth builds it once per session.
    pub precomputed: PrecomputedKey,
    /// The same table built with dalek directly, for the floor.
    pub key_table: RistrettoBasepointTable,
    /// Scalars multiplied by `G` (through dalek's basepoint table).
    pub base_scalars: Vec<Scalar>,
    /// Scalars multiplied by the election key `K`.
    pub key_scalars: Vec<Scalar>,
    /// Points the prover encodes (each ciphertext, each statement aggregate, each commitment).
    pub encodings: usize,
}

impl core::fmt::Debug for ProveFixture {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl ProveFixture {
    pub fn new(sum_range: &RangeInclusive<u64>) -> Self {
        let mut rng = rng(5);
        let key = election_key(&mut rng);
        // Operations `prove_ballot` performs (read off elgamal.rs and disjunctive.rs, spec
        // §6.1): encrypt = r·G, m·G and r·K; every branch of a disjunctive proof computes its
        // commitments as t·G and t·K + c·(v − m)·G, so 2 multiplications by G and one by K.
        // Encodings: the options' ciphertexts, the sum proof's aggregate, every commitment
        // (batched in the prover, one by one in the `muls_and_encodings` floor).
        let n_branches = OPTIONS * branches(&OPTION_RANGE) + branches(sum_range);
        let base_muls = 2 * OPTIONS + 2 * n_branches;
        let key_muls = OPTIONS + n_branches;
        let encodings = 2 * (OPTIONS + 1) + 2 * n_branches;
        Self {
            precomputed: PrecomputedKey::new(&key),
            key_table: RistrettoBasepointTable::create(key.point()),
            key,
            base_scalars: (0..base_muls).map(|_| Scalar::random(&mut rng)).collect(),
            key_scalars: (0..key_muls).map(|_| Scalar::random(&mut rng)).collect(),
            encodings,
        }
    }

    /// One line on what the floor counts, for the benchmark's log.
    pub fn describe(&self) -> String {
        format!(
            "{} multiplications by G, {} by the election key, {} encodings",
            self.base_scalars.len(),
            self.key_scalars.len(),
            self.encodings
        )
    }

    /// The floor with a plain key: the multiplications by `K` are variable-base.
    pub fn muls(&self) -> RistrettoPoint {
        let mut acc = RistrettoPoint::default();
        for s in black_box(&self.base_scalars) {
            acc += RISTRETTO_BASEPOINT_TABLE * s;
        }
        for s in black_box(&self.key_scalars) {
            acc += self.key.point() * s;
        }
        acc
    }

    /// The floor with the key's table: every multiplication is fixed-base.
    pub fn muls_precomputed(&self) -> RistrettoPoint {
        let mut acc = RistrettoPoint::default();
        for s in black_box(&self.base_scalars) {
            acc += RISTRETTO_BASEPOINT_TABLE * s;
        }
        for s in black_box(&self.key_scalars) {
            acc += &self.key_table * s;
        }
        acc
    }

    /// The plain-key floor plus one compression per encoded point (what the prover did before
    /// it encoded its commitments in one batch).
    pub fn muls_and_encodings(&self) -> [u8; 32] {
        let acc = self.muls();
        let mut last = acc.compress();
        for _ in 1..self.encodings {
            last = black_box(acc).compress();
        }
        last.to_bytes()
    }
}
