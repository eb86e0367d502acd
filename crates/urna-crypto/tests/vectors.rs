//! Frozen test vectors: `spec/vectors/*.json` (spec/crypto.md §9).
//!
//! Each construction has one JSON file, generated from a seeded `ChaCha20Rng`. Every test here:
//!
//! 1. regenerates the file's contents from the same seed and asserts that they are
//!    byte-for-byte the checked-in file (so a change that silently alters any byte a prover
//!    emits fails here), or, with `URNA_WRITE_VECTORS=1`, (re)writes the file;
//! 2. reads the checked-in file back and verifies every stored proof from the JSON alone
//!    through the public verification API (so vectors made by an older version must keep
//!    verifying: spec §8);
//! 3. verifies the same JSON again with `spec_reference`, a second verifier written from
//!    spec/crypto.md with nothing but `merlin` and `curve25519-dalek`, and compares the
//!    challenges it derives with the ones stored in the file. This is what shows that the
//!    spec, not just the code, describes the bytes.
//!
//! Prover nonces are hedged (transcript, witness and rng: spec §3.3), so with a seeded rng
//! every proof is deterministic.

use std::path::PathBuf;

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use urna_crypto::dkg::{
    self, Blame, CeremonyTranscript, DkgParameters, DkgStateFile, KeyShare, KeyShareFile,
};
use urna_crypto::threshold::{self, lagrange_at_zero, vartime_decrypt};
use urna_crypto::transcript::context_transcript;
use urna_crypto::{
    Ciphertext, CiphertextBytes, CredentialSignature, CryptoError, DecryptionShare, DleqProof,
    DlogTable, Nonce, PointBytes, PublicKey, RangeProof, ScalarBytes, SchnorrProof, SecretKey,
    SecretScalar, SumProof, Transcript,
};

// ---------------------------------------------------------------------------------------------
// Shared plumbing
// ---------------------------------------------------------------------------------------------

const GENERATOR: &str = "crates/urna-crypto/tests/vectors.rs";
const RNG: &str = "rand_chacha::ChaCha20Rng::seed_from_u64(seed) (rand_core 0.6)";

fn vector_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../spec/vectors")
        .join(name)
}

fn writing() -> bool {
    std::env::var("URNA_WRITE_VECTORS").is_ok_and(|v| v == "1")
}

/// Writes (in write mode) or checks byte-equality with the checked-in file, then returns the
/// file as read back from disk, parsed: what the verification steps work from.
fn freeze<T: Serialize + DeserializeOwned>(name: &str, generated: &T) -> T {
    let path = vector_path(name);
    let mut text = serde_json::to_string_pretty(generated).unwrap();
    text.push('\n');
    if writing() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &text).unwrap();
    } else {
        let stored = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "cannot read {}: {e}; run with URNA_WRITE_VECTORS=1 to create it",
                path.display()
            )
        });
        if stored != text {
            let line = stored
                .lines()
                .zip(text.lines())
                .position(|(a, b)| a != b)
                .map_or_else(|| "(length differs)".to_string(), |i| format!("{}", i + 1));
            panic!(
                "{name} no longer matches what the code generates (first difference at line \
                 {line}). Vectors are frozen (spec §8): if this change is intended, it is a new \
                 protocol version, not an edit of v1."
            );
        }
    }
    let stored = std::fs::read_to_string(&path).unwrap();
    serde_json::from_str(&stored).unwrap()
}

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

/// What every file says about itself.
#[derive(Debug, Serialize, Deserialize)]
struct About {
    construction: String,
    spec: String,
    generator: String,
    rng: String,
    seed: u64,
    notes: Vec<String>,
}

fn about(construction: &str, spec: &str, seed: u64, notes: &[&str]) -> About {
    About {
        construction: construction.into(),
        spec: spec.into(),
        generator: GENERATOR.into(),
        rng: RNG.into(),
        seed,
        notes: notes.iter().map(|s| s.to_string()).collect(),
    }
}

/// The start of a transcript: `context_transcript(purpose, context)` (spec §3.1).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct TranscriptStart {
    /// The purpose, as ASCII text.
    purpose: String,
    /// The context bytes, hex.
    context: String,
}

impl TranscriptStart {
    fn new(purpose: &str, context: &[u8]) -> Self {
        Self {
            purpose: purpose.into(),
            context: hex::encode(context),
        }
    }

    fn context_bytes(&self) -> Vec<u8> {
        hex::decode(&self.context).unwrap()
    }

    /// Through the crate's API. `context_transcript` wants a `&'static` purpose; a vector file
    /// is read at run time, so the (short) purpose string is leaked.
    fn api(&self) -> Transcript {
        let purpose: &'static [u8] =
            Box::leak(self.purpose.clone().into_bytes().into_boxed_slice());
        context_transcript(purpose, &self.context_bytes())
    }

    /// Through the spec reference.
    fn reference(&self) -> Transcript {
        spec_reference::context_transcript(self.purpose.as_bytes(), &self.context_bytes())
    }
}

fn fingerprint(rng: &mut ChaCha20Rng) -> [u8; 32] {
    let mut bytes = [0u8; 32];
    rng.fill_bytes(&mut bytes);
    bytes
}

fn scalar_bytes(s: &Scalar) -> ScalarBytes {
    ScalarBytes::from_scalar(s)
}

fn point_bytes(p: &RistrettoPoint) -> PointBytes {
    PointBytes::from_point(p)
}

fn g_times(m: u64) -> RistrettoPoint {
    RISTRETTO_BASEPOINT_POINT * Scalar::from(m)
}

// ---------------------------------------------------------------------------------------------
// The verifier written from spec/crypto.md alone
// ---------------------------------------------------------------------------------------------

/// A second verifier, written from the text of spec/crypto.md with only `merlin` and
/// `curve25519-dalek`: it never calls into `urna_crypto` (it only reads bytes out of the
/// parsed JSON). Each function asserts the spec's verification checks and returns the
/// challenge it derived.
mod spec_reference {
    use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT as G;
    use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
    use curve25519_dalek::scalar::Scalar;
    use curve25519_dalek::traits::{Identity, IsIdentity};
    use merlin::Transcript;

    /// §2.1: RFC 9496 decoding.
    pub fn point(bytes: &[u8; 32]) -> RistrettoPoint {
        CompressedRistretto(*bytes)
            .decompress()
            .expect("§2.1: not a canonical Ristretto255 encoding")
    }

    /// §2.1 for keys: decode and reject the identity.
    pub fn key(bytes: &[u8; 32]) -> RistrettoPoint {
        let p = point(bytes);
        assert!(!p.is_identity(), "§2.1: a key must not be the identity");
        p
    }

    /// §2.2: canonical scalar.
    pub fn scalar(bytes: &[u8; 32]) -> Scalar {
        Option::from(Scalar::from_canonical_bytes(*bytes)).expect("§2.2: scalar not below ℓ")
    }

    pub fn encode(p: &RistrettoPoint) -> [u8; 32] {
        p.compress().to_bytes()
    }

    /// §2.3: A ‖ B.
    pub fn ciphertext(bytes: &[u8; 64]) -> (RistrettoPoint, RistrettoPoint) {
        let mut a = [0u8; 32];
        let mut b = [0u8; 32];
        a.copy_from_slice(&bytes[..32]);
        b.copy_from_slice(&bytes[32..]);
        (point(&a), point(&b))
    }

    pub fn encode_ciphertext(a: &RistrettoPoint, b: &RistrettoPoint) -> [u8; 64] {
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(&encode(a));
        out[32..].copy_from_slice(&encode(b));
        out
    }

    /// §3.1.
    pub fn context_transcript(purpose: &[u8], context: &[u8]) -> Transcript {
        let mut t = Transcript::new(b"urna");
        t.append_message(b"purpose", purpose);
        t.append_message(b"context", context);
        t
    }

    /// §3.1: U64(label, n).
    pub fn append_u64(t: &mut Transcript, label: &'static [u8], n: u64) {
        t.append_message(label, &n.to_le_bytes());
    }

    /// §3.2: 64 challenge bytes, little-endian, reduced mod ℓ.
    pub fn challenge(t: &mut Transcript, label: &'static [u8]) -> Scalar {
        let mut wide = [0u8; 64];
        t.challenge_bytes(label, &mut wide);
        Scalar::from_bytes_mod_order_wide(&wide)
    }

    pub struct Branch {
        pub a: [u8; 32],
        pub b: [u8; 32],
        pub c: [u8; 32],
        pub z: [u8; 32],
    }

    /// §6.2 / §6.3 statement, then §6.1.
    pub fn range_or_sum(
        mut t: Transcript,
        domain: &'static [u8],
        key_bytes: &[u8; 32],
        ciphertext_bytes: &[u8; 64],
        (lo, hi): (u64, u64),
        branches: &[Branch],
    ) -> Scalar {
        let k = key(key_bytes);
        let (a_ct, b_ct) = ciphertext(ciphertext_bytes);
        t.append_message(b"proof", domain);
        append_u64(&mut t, b"min", lo);
        append_u64(&mut t, b"max", hi);
        t.append_message(b"key", key_bytes);
        t.append_message(b"ciphertext", ciphertext_bytes);
        // §6.1 checks 1–2.
        assert!(lo <= hi && hi - lo < 4096);
        assert_eq!(branches.len() as u64, hi - lo + 1);
        // Check 3.
        let mut decoded = Vec::new();
        for (j, branch) in branches.iter().enumerate() {
            decoded.push((
                point(&branch.a),
                point(&branch.b),
                scalar(&branch.c),
                scalar(&branch.z),
            ));
            append_u64(&mut t, b"branch", j as u64);
            t.append_message(b"a", &branch.a);
            t.append_message(b"b", &branch.b);
        }
        // Checks 4–5.
        let c = challenge(&mut t, b"challenge");
        let sum: Scalar = decoded.iter().map(|d| d.2).sum();
        assert_eq!(
            sum, c,
            "§6.1: branch challenges must add up to the challenge"
        );
        // Check 6.
        for ((a, b, c_j, z_j), v) in decoded.iter().zip(lo..=hi) {
            assert_eq!(G * z_j, a + a_ct * c_j, "§6.1: z·G = a + c·A");
            assert_eq!(
                k * z_j,
                b + (b_ct - G * Scalar::from(v)) * c_j,
                "§6.1: z·K = b + c·(B − v·G)"
            );
        }
        c
    }

    /// §6.4 (message = None) and §6.5 (message = Some).
    pub fn schnorr(
        mut t: Transcript,
        public_bytes: &[u8; 32],
        message: Option<&[u8]>,
        commitment_bytes: &[u8; 32],
        response_bytes: &[u8; 32],
    ) -> Scalar {
        let x = key(public_bytes);
        let r = point(commitment_bytes);
        let z = scalar(response_bytes);
        match message {
            None => t.append_message(b"proof", b"urna/schnorr-pok/v1"),
            Some(_) => t.append_message(b"proof", b"urna/credential-signature/v1"),
        }
        t.append_message(b"public", public_bytes);
        if let Some(m) = message {
            t.append_message(b"message", m);
        }
        t.append_message(b"commitment", commitment_bytes);
        let c = challenge(&mut t, b"challenge");
        assert_eq!(G * z, r + x * c, "§6.4: z·G = R + c·X");
        c
    }

    /// §6.6.
    pub fn dleq(
        mut t: Transcript,
        x_bytes: &[u8; 32],
        h: &RistrettoPoint,
        y_bytes: &[u8; 32],
        r1_bytes: &[u8; 32],
        r2_bytes: &[u8; 32],
        z_bytes: &[u8; 32],
    ) -> Scalar {
        let x = key(x_bytes);
        let y = point(y_bytes);
        let r1 = point(r1_bytes);
        let r2 = point(r2_bytes);
        let z = scalar(z_bytes);
        t.append_message(b"proof", b"urna/dleq/v1");
        t.append_message(b"x", x_bytes);
        t.append_message(b"h", &encode(h));
        t.append_message(b"y", y_bytes);
        t.append_message(b"r1", r1_bytes);
        t.append_message(b"r2", r2_bytes);
        let c = challenge(&mut t, b"challenge");
        assert_eq!(G * z, r1 + x * c, "§6.6: z·G = R₁ + c·X");
        assert_eq!(h * z, r2 + y * c, "§6.6: z·H = R₂ + c·Y");
        c
    }

    /// §7.1: the partial-decryption statement, then §6.6 with H = A.
    #[allow(clippy::too_many_arguments)]
    pub fn partial_decryption(
        mut t: Transcript,
        trustee: u32,
        ciphertext_bytes: &[u8; 64],
        verification_key: &[u8; 32],
        share: &[u8; 32],
        r1: &[u8; 32],
        r2: &[u8; 32],
        z: &[u8; 32],
    ) -> Scalar {
        let (a, _) = ciphertext(ciphertext_bytes);
        t.append_message(b"proof", b"urna/partial-decryption/v1");
        append_u64(&mut t, b"trustee", u64::from(trustee));
        t.append_message(b"ciphertext", ciphertext_bytes);
        dleq(t, verification_key, &a, share, r1, r2, z)
    }

    /// §7.2.
    pub fn lagrange(indices: &[u32]) -> Vec<Scalar> {
        indices
            .iter()
            .map(|&i| {
                let mut num = Scalar::ONE;
                let mut den = Scalar::ONE;
                for &j in indices.iter().filter(|&&j| j != i) {
                    num *= Scalar::from(u64::from(j));
                    den *= Scalar::from(u64::from(j)) - Scalar::from(u64::from(i));
                }
                num * den.invert()
            })
            .collect()
    }

    /// §7.3 by brute force: the m ≤ max with m·G = point.
    pub fn small_log(point: &RistrettoPoint, max: u64) -> Option<u64> {
        let mut acc = RistrettoPoint::identity();
        for m in 0..=max {
            if acc == *point {
                return Some(m);
            }
            acc += G;
        }
        None
    }

    /// §5.1: the transcript of one step of the key ceremony.
    pub fn step_transcript(context: &[u8], n: u32, t: u32, step: &[u8], from: u32) -> Transcript {
        let mut tr = context_transcript(b"key-ceremony/v1", context);
        append_u64(&mut tr, b"trustees", u64::from(n));
        append_u64(&mut tr, b"threshold", u64::from(t));
        tr.append_message(b"step", step);
        append_u64(&mut tr, b"from", u64::from(from));
        tr
    }

    /// §5.3: the pad of the share from `from` to `to`.
    pub fn share_pad(
        context: &[u8],
        (n, t): (u32, u32),
        from: u32,
        to: u32,
        ephemeral: &[u8; 32],
        shared: &[u8; 32],
    ) -> Scalar {
        let mut tr = step_transcript(context, n, t, b"share-pad", from);
        append_u64(&mut tr, b"to", u64::from(to));
        tr.append_message(b"ephemeral", ephemeral);
        tr.append_message(b"shared", shared);
        challenge(&mut tr, b"pad")
    }

    /// `Σₖ Cₖ·xᵏ`.
    pub fn eval_commitments(commitments: &[RistrettoPoint], x: u32) -> RistrettoPoint {
        let mut acc = RistrettoPoint::identity();
        let mut power = Scalar::ONE;
        for c in commitments {
            acc += c * power;
            power *= Scalar::from(u64::from(x));
        }
        acc
    }

    /// `Σₖ aₖ·xᵏ`.
    pub fn eval_polynomial(coefficients: &[Scalar], x: u32) -> Scalar {
        let mut acc = Scalar::ZERO;
        for a in coefficients.iter().rev() {
            acc = acc * Scalar::from(u64::from(x)) + a;
        }
        acc
    }
}

// ---------------------------------------------------------------------------------------------
// elgamal.json (§4)
// ---------------------------------------------------------------------------------------------

const ELGAMAL_SEED: u64 = 1001;

#[derive(Debug, Serialize, Deserialize)]
struct ElgamalFile {
    about: About,
    /// `x`.
    secret_key: ScalarBytes,
    /// `K = x·G`.
    public_key: PointBytes,
    encryptions: Vec<Encryption>,
    sum: Opened,
    weighted: Weighted,
}

#[derive(Debug, Serialize, Deserialize)]
struct Encryption {
    plaintext: u64,
    nonce: ScalarBytes,
    /// `m·G`.
    plaintext_point: PointBytes,
    ciphertext: CiphertextBytes,
}

/// A ciphertext with its opening.
#[derive(Debug, Serialize, Deserialize)]
struct Opened {
    plaintext: u64,
    nonce: ScalarBytes,
    ciphertext: CiphertextBytes,
    /// `B − x·A = m·G`.
    decrypted_point: PointBytes,
}

#[derive(Debug, Serialize, Deserialize)]
struct Weighted {
    weight: u64,
    /// The weighted sum: `(w·ΣA, w·ΣB)`.
    plaintext: u64,
    nonce: ScalarBytes,
    ciphertext: CiphertextBytes,
    decrypted_point: PointBytes,
}

fn generate_elgamal() -> ElgamalFile {
    let mut rng = rng(ELGAMAL_SEED);
    let sk = SecretKey::generate(&mut rng);
    let pk = sk.public_key();
    let plaintexts = [0u64, 1, 1, 5, 1_000_000];
    let mut encryptions = Vec::new();
    let mut cts = Vec::new();
    let mut nonces = Vec::new();
    for &m in &plaintexts {
        let (ct, nonce) = Ciphertext::encrypt(&pk, m, &mut rng);
        encryptions.push(Encryption {
            plaintext: m,
            nonce: nonce.reveal(),
            plaintext_point: point_bytes(&g_times(m)),
            ciphertext: ct.to_bytes(),
        });
        cts.push(ct);
        nonces.push(nonce);
    }
    let total: Ciphertext = cts.iter().sum();
    let total_nonce = Nonce::sum(&nonces);
    let total_m: u64 = plaintexts.iter().sum();
    let weight = 3u64;
    let weighted = total.mul_weight(weight);
    ElgamalFile {
        about: about(
            "exponential ElGamal on Ristretto255",
            "spec/crypto.md §4",
            ELGAMAL_SEED,
            &[
                "ciphertext = A ‖ B with A = r·G, B = m·G + r·K (§2.3, §4)",
                "sum: component-wise sum of all encryptions; its nonce is the sum of their nonces",
                "weighted: the sum multiplied by the weight (both components)",
            ],
        ),
        secret_key: ScalarBytes(sk.export_secret_bytes()),
        public_key: pk.to_bytes(),
        encryptions,
        sum: Opened {
            plaintext: total_m,
            nonce: total_nonce.reveal(),
            ciphertext: total.to_bytes(),
            decrypted_point: point_bytes(&sk.decrypt_to_point(&total)),
        },
        weighted: Weighted {
            weight,
            plaintext: total_m * weight,
            nonce: total_nonce.scale(weight).reveal(),
            ciphertext: weighted.to_bytes(),
            decrypted_point: point_bytes(&sk.decrypt_to_point(&weighted)),
        },
    }
}

#[test]
fn elgamal_vectors() -> Result<(), CryptoError> {
    let file = freeze("elgamal.json", &generate_elgamal());

    // Through the API.
    let sk = SecretKey::import_secret_bytes(&file.secret_key.0)?;
    let pk = PublicKey::from_bytes(&file.public_key)?;
    assert_eq!(sk.public_key(), pk);
    let table = DlogTable::new(10_000_000)?;
    let mut cts = Vec::new();
    for e in &file.encryptions {
        let ct = Ciphertext::from_bytes(&e.ciphertext)?;
        assert_eq!(ct.to_bytes(), e.ciphertext, "canonical re-encoding");
        let nonce = Nonce::from_revealed(&e.nonce)?;
        assert_eq!(Ciphertext::encrypt_with_nonce(&pk, e.plaintext, &nonce), ct);
        let m_point = sk.decrypt_to_point(&ct);
        assert_eq!(PointBytes::from_point(&m_point), e.plaintext_point);
        assert_eq!(table.vartime_log(&m_point)?, e.plaintext);
        cts.push(ct);
    }
    let total: Ciphertext = cts.iter().sum();
    assert_eq!(total.to_bytes(), file.sum.ciphertext);
    let total_nonce = Nonce::from_revealed(&file.sum.nonce)?;
    assert_eq!(
        Ciphertext::encrypt_with_nonce(&pk, file.sum.plaintext, &total_nonce),
        total
    );
    assert_eq!(
        PointBytes::from_point(&sk.decrypt_to_point(&total)),
        file.sum.decrypted_point
    );
    let weighted = total.mul_weight(file.weighted.weight);
    assert_eq!(weighted.to_bytes(), file.weighted.ciphertext);
    assert_eq!(
        table.vartime_log(&sk.decrypt_to_point(&weighted))?,
        file.weighted.plaintext
    );
    assert_eq!(
        Ciphertext::encrypt_with_nonce(
            &pk,
            file.weighted.plaintext,
            &Nonce::from_revealed(&file.weighted.nonce)?
        ),
        weighted
    );
    // A wrong opening does not match.
    assert_ne!(
        Ciphertext::encrypt_with_nonce(&pk, file.sum.plaintext + 1, &total_nonce),
        total
    );

    // Through the spec reference: Enc(m; r) = (r·G, m·G + r·K).
    use spec_reference as spec;
    let x = spec::scalar(&file.secret_key.0);
    let k = spec::key(&file.public_key.0);
    assert_eq!(RISTRETTO_BASEPOINT_POINT * x, k);
    let mut sum = (RistrettoPoint::default(), RistrettoPoint::default());
    for e in &file.encryptions {
        let r = spec::scalar(&e.nonce.0);
        let a = RISTRETTO_BASEPOINT_POINT * r;
        let b = g_times(e.plaintext) + k * r;
        assert_eq!(spec::encode_ciphertext(&a, &b), e.ciphertext.0);
        let (a2, b2) = spec::ciphertext(&e.ciphertext.0);
        assert_eq!(spec::encode(&(b2 - a2 * x)), e.plaintext_point.0);
        sum = (sum.0 + a2, sum.1 + b2);
    }
    assert_eq!(
        spec::encode_ciphertext(&sum.0, &sum.1),
        file.sum.ciphertext.0
    );
    let w = Scalar::from(file.weighted.weight);
    assert_eq!(
        spec::encode_ciphertext(&(sum.0 * w), &(sum.1 * w)),
        file.weighted.ciphertext.0
    );
    assert_eq!(
        spec::small_log(&spec::point(&file.sum.decrypted_point.0), 2_000_000),
        Some(file.sum.plaintext)
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// range_proof.json (§6.1, §6.2)
// ---------------------------------------------------------------------------------------------

const RANGE_SEED: u64 = 1002;

#[derive(Debug, Serialize, Deserialize)]
struct RangeFile {
    about: About,
    /// The election key `K`.
    key: PointBytes,
    cases: Vec<RangeCase>,
}

#[derive(Debug, Serialize, Deserialize)]
struct RangeCase {
    name: String,
    transcript: TranscriptStart,
    min: u64,
    max: u64,
    /// Prover input (secret in real use).
    value: u64,
    /// Prover input (secret in real use).
    nonce: ScalarBytes,
    ciphertext: CiphertextBytes,
    /// One branch `{a, b, c, z}` per value `min..=max`, in order.
    proof: RangeProof,
    /// Intermediate: the Fiat–Shamir challenge `c = Σ cⱼ`.
    challenge: ScalarBytes,
}

fn reference_branches(branches: &[urna_crypto::proofs::Branch]) -> Vec<spec_reference::Branch> {
    branches
        .iter()
        .map(|b| spec_reference::Branch {
            a: b.a.0,
            b: b.b.0,
            c: b.c.0,
            z: b.z.0,
        })
        .collect()
}

fn generate_range() -> Result<RangeFile, CryptoError> {
    let mut rng = rng(RANGE_SEED);
    let key = SecretKey::generate(&mut rng).public_key();
    let fp = fingerprint(&mut rng);
    let mut cases = Vec::new();
    for (name, value, min, max) in [
        ("approval: 0 in [0, 1]", 0u64, 0u64, 1u64),
        ("approval: 1 in [0, 1]", 1, 0, 1),
        ("score: 3 in [0, 5]", 3, 0, 5),
        ("shifted range: 4 in [2, 4]", 4, 2, 4),
        ("single value: 7 in [7, 7]", 7, 7, 7),
    ] {
        let start = TranscriptStart::new("ballot/v1", &fp);
        let (ct, nonce) = Ciphertext::encrypt(&key, value, &mut rng);
        let proof = RangeProof::prove(
            &mut start.api(),
            &key,
            &ct,
            value,
            &nonce,
            min..=max,
            &mut rng,
        )?;
        let challenge = spec_reference::range_or_sum(
            start.reference(),
            b"urna/range-proof/v1",
            &key.to_bytes().0,
            &ct.to_bytes().0,
            (min, max),
            &reference_branches(proof.branches()),
        );
        cases.push(RangeCase {
            name: name.into(),
            transcript: start,
            min,
            max,
            value,
            nonce: nonce.reveal(),
            ciphertext: ct.to_bytes(),
            proof,
            challenge: scalar_bytes(&challenge),
        });
    }
    Ok(RangeFile {
        about: about(
            "range proof (disjunctive Chaum–Pedersen)",
            "spec/crypto.md §6.1, §6.2",
            RANGE_SEED,
            &[
                "transcript: context_transcript(purpose, context), then the §6.2 statement and the §6.1 branches",
                "value and nonce are the prover's secrets, given so that the ciphertext can be re-derived",
            ],
        ),
        key: key.to_bytes(),
        cases,
    })
}

#[test]
fn range_proof_vectors() -> Result<(), CryptoError> {
    let file = freeze("range_proof.json", &generate_range()?);
    let key = PublicKey::from_bytes(&file.key)?;
    for case in &file.cases {
        // Through the API.
        let decoded = case.proof.verify(
            &mut case.transcript.api(),
            &key,
            &case.ciphertext,
            case.min..=case.max,
        )?;
        assert_eq!(decoded.to_bytes(), case.ciphertext);
        assert_eq!(
            Ciphertext::encrypt_with_nonce(&key, case.value, &Nonce::from_revealed(&case.nonce)?),
            decoded
        );
        // The same proof does not verify for another range or another context.
        assert!(case
            .proof
            .verify(
                &mut case.transcript.api(),
                &key,
                &case.ciphertext,
                case.min..=case.max + 1,
            )
            .is_err());
        assert!(case
            .proof
            .verify(
                &mut context_transcript(b"ballot/v1", b"another election"),
                &key,
                &case.ciphertext,
                case.min..=case.max,
            )
            .is_err());
        // Through the spec reference.
        let c = spec_reference::range_or_sum(
            case.transcript.reference(),
            b"urna/range-proof/v1",
            &file.key.0,
            &case.ciphertext.0,
            (case.min, case.max),
            &reference_branches(case.proof.branches()),
        );
        assert_eq!(scalar_bytes(&c), case.challenge, "{}", case.name);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// sum_proof.json (§6.1, §6.3)
// ---------------------------------------------------------------------------------------------

const SUM_SEED: u64 = 1003;

#[derive(Debug, Serialize, Deserialize)]
struct SumFile {
    about: About,
    key: PointBytes,
    cases: Vec<SumCase>,
}

#[derive(Debug, Serialize, Deserialize)]
struct SumCase {
    name: String,
    transcript: TranscriptStart,
    min: u64,
    max: u64,
    /// Prover inputs: each selection's value and nonce.
    values: Vec<u64>,
    nonces: Vec<ScalarBytes>,
    ciphertexts: Vec<CiphertextBytes>,
    /// Intermediate: the statement `(ΣAᵢ, ΣBᵢ)`, its value and nonce.
    aggregate: CiphertextBytes,
    total: u64,
    total_nonce: ScalarBytes,
    proof: SumProof,
    challenge: ScalarBytes,
}

fn generate_sum() -> Result<SumFile, CryptoError> {
    let mut rng = rng(SUM_SEED);
    let key = SecretKey::generate(&mut rng).public_key();
    let fp = fingerprint(&mut rng);
    let mut cases = Vec::new();
    for (name, values, min, max) in [
        (
            "choose 1 to 2 of 4: two chosen",
            vec![1u64, 0, 1, 0],
            1u64,
            2u64,
        ),
        ("choose at most 1 of 3: none chosen", vec![0, 0, 0], 0, 1),
        ("cumulative: 5 points over 3 options", vec![2, 0, 3], 5, 5),
    ] {
        let start = TranscriptStart::new("ballot/v1", &fp);
        let mut cts = Vec::new();
        let mut nonces = Vec::new();
        for &v in &values {
            let (ct, nonce) = Ciphertext::encrypt(&key, v, &mut rng);
            cts.push(ct);
            nonces.push(nonce);
        }
        let total: u64 = values.iter().sum();
        let total_nonce = Nonce::sum(&nonces);
        let proof = SumProof::prove(
            &mut start.api(),
            &key,
            &cts,
            total,
            &total_nonce,
            min..=max,
            &mut rng,
        )?;
        let aggregate: Ciphertext = cts.iter().sum();
        let challenge = spec_reference::range_or_sum(
            start.reference(),
            b"urna/sum-proof/v1",
            &key.to_bytes().0,
            &aggregate.to_bytes().0,
            (min, max),
            &reference_branches(proof.branches()),
        );
        cases.push(SumCase {
            name: name.into(),
            transcript: start,
            min,
            max,
            values,
            nonces: nonces.iter().map(Nonce::reveal).collect(),
            ciphertexts: cts.iter().map(Ciphertext::to_bytes).collect(),
            aggregate: aggregate.to_bytes(),
            total,
            total_nonce: total_nonce.reveal(),
            proof,
            challenge: scalar_bytes(&challenge),
        });
    }
    Ok(SumFile {
        about: about(
            "sum proof (disjunctive Chaum–Pedersen on the aggregate ciphertext)",
            "spec/crypto.md §6.1, §6.3",
            SUM_SEED,
            &[
                "the statement is the aggregate (ΣAᵢ, ΣBᵢ): only its encoding enters the transcript, not the individual ciphertexts",
            ],
        ),
        key: key.to_bytes(),
        cases,
    })
}

#[test]
fn sum_proof_vectors() -> Result<(), CryptoError> {
    let file = freeze("sum_proof.json", &generate_sum()?);
    let key = PublicKey::from_bytes(&file.key)?;
    for case in &file.cases {
        // Through the API.
        let cts = case
            .ciphertexts
            .iter()
            .map(Ciphertext::from_bytes)
            .collect::<Result<Vec<_>, _>>()?;
        let aggregate =
            case.proof
                .verify(&mut case.transcript.api(), &key, &cts, case.min..=case.max)?;
        assert_eq!(aggregate.to_bytes(), case.aggregate);
        assert_eq!(
            Ciphertext::encrypt_with_nonce(
                &key,
                case.total,
                &Nonce::from_revealed(&case.total_nonce)?
            ),
            aggregate
        );
        // Dropping a ciphertext changes the statement.
        assert!(case
            .proof
            .verify(
                &mut case.transcript.api(),
                &key,
                &cts[1..],
                case.min..=case.max
            )
            .is_err());
        // Through the spec reference.
        let mut a = RistrettoPoint::default();
        let mut b = RistrettoPoint::default();
        for ct in &case.ciphertexts {
            let (ai, bi) = spec_reference::ciphertext(&ct.0);
            a += ai;
            b += bi;
        }
        let aggregate = spec_reference::encode_ciphertext(&a, &b);
        assert_eq!(aggregate, case.aggregate.0);
        let c = spec_reference::range_or_sum(
            case.transcript.reference(),
            b"urna/sum-proof/v1",
            &file.key.0,
            &aggregate,
            (case.min, case.max),
            &reference_branches(case.proof.branches()),
        );
        assert_eq!(scalar_bytes(&c), case.challenge, "{}", case.name);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// schnorr_proof.json (§6.4) and credential_signature.json (§6.5)
// ---------------------------------------------------------------------------------------------

const SCHNORR_SEED: u64 = 1004;
const SIGNATURE_SEED: u64 = 1005;

#[derive(Debug, Serialize, Deserialize)]
struct SchnorrFile {
    about: About,
    cases: Vec<SchnorrCase>,
}

#[derive(Debug, Serialize, Deserialize)]
struct SchnorrCase {
    name: String,
    transcript: TranscriptStart,
    /// Prover input `x`.
    secret: ScalarBytes,
    /// `X = x·G`.
    public: PointBytes,
    proof: SchnorrProof,
    challenge: ScalarBytes,
}

fn generate_schnorr() -> SchnorrFile {
    let mut rng = rng(SCHNORR_SEED);
    let mut cases = Vec::new();
    for (name, purpose) in [
        (
            "proof of knowledge under a caller's context",
            "trustee-key/v1",
        ),
        ("another key and context", "example/v1"),
    ] {
        let context = fingerprint(&mut rng);
        let start = TranscriptStart::new(purpose, &context);
        let secret = SecretScalar::random(&mut rng);
        let public = PublicKey::from_point(secret.public_point());
        let proof = SchnorrProof::prove(&mut start.api(), &secret, &public, &mut rng);
        let (r, z) = proof.parts();
        let challenge =
            spec_reference::schnorr(start.reference(), &public.to_bytes().0, None, &r.0, &z.0);
        cases.push(SchnorrCase {
            name: name.into(),
            transcript: start,
            secret: scalar_bytes(secret.expose_secret()),
            public: public.to_bytes(),
            proof,
            challenge: scalar_bytes(&challenge),
        });
    }
    SchnorrFile {
        about: about(
            "Schnorr proof of knowledge of a discrete logarithm",
            "spec/crypto.md §6.4",
            SCHNORR_SEED,
            &["proof = {commitment R, response z}; z·G = R + c·X"],
        ),
        cases,
    }
}

#[test]
fn schnorr_proof_vectors() -> Result<(), CryptoError> {
    let file = freeze("schnorr_proof.json", &generate_schnorr());
    for case in &file.cases {
        let public = PublicKey::from_bytes(&case.public)?;
        case.proof.verify(&mut case.transcript.api(), &public)?;
        let secret = SecretScalar::from_scalar(case.secret.decode("secret")?);
        assert_eq!(PublicKey::from_point(secret.public_point()), public);
        // Not valid as a credential signature (other domain), nor in another context.
        let (r, z) = case.proof.parts();
        assert!(CredentialSignature::from_parts(r, z)
            .verify(&mut case.transcript.api(), &public, b"")
            .is_err());
        assert!(case
            .proof
            .verify(&mut context_transcript(b"other/v1", b""), &public)
            .is_err());
        let c = spec_reference::schnorr(
            case.transcript.reference(),
            &case.public.0,
            None,
            &r.0,
            &z.0,
        );
        assert_eq!(scalar_bytes(&c), case.challenge, "{}", case.name);
    }
    Ok(())
}

#[derive(Debug, Serialize, Deserialize)]
struct SignatureFile {
    about: About,
    cases: Vec<SignatureCase>,
}

#[derive(Debug, Serialize, Deserialize)]
struct SignatureCase {
    name: String,
    transcript: TranscriptStart,
    /// The credential secret `c` (prover input).
    secret: ScalarBytes,
    /// The public credential `c·G`.
    public: PointBytes,
    /// The signed message, hex.
    message: String,
    signature: CredentialSignature,
    challenge: ScalarBytes,
}

fn generate_signature() -> SignatureFile {
    let mut rng = rng(SIGNATURE_SEED);
    let fp = fingerprint(&mut rng);
    let mut cases = Vec::new();
    let mut ballot_hash = [0u8; 32];
    rng.fill_bytes(&mut ballot_hash);
    for (name, message) in [
        ("signature over a 32-byte ballot hash", ballot_hash.to_vec()),
        ("signature over the empty message", Vec::new()),
        (
            "signature over a longer message",
            b"Urna credential signature test vector".to_vec(),
        ),
    ] {
        let start = TranscriptStart::new("ballot-signature/v1", &fp);
        let secret = SecretScalar::random(&mut rng);
        let public = PublicKey::from_point(secret.public_point());
        let signature =
            CredentialSignature::sign(&mut start.api(), &secret, &public, &message, &mut rng);
        let (r, z) = signature.parts();
        let challenge = spec_reference::schnorr(
            start.reference(),
            &public.to_bytes().0,
            Some(&message),
            &r.0,
            &z.0,
        );
        cases.push(SignatureCase {
            name: name.into(),
            transcript: start,
            secret: scalar_bytes(secret.expose_secret()),
            public: public.to_bytes(),
            message: hex::encode(&message),
            signature,
            challenge: scalar_bytes(&challenge),
        });
    }
    SignatureFile {
        about: about(
            "Schnorr signature under a voter credential",
            "spec/crypto.md §6.5",
            SIGNATURE_SEED,
            &["signature = {commitment R, response z}; z·G = R + c·X"],
        ),
        cases,
    }
}

#[test]
fn credential_signature_vectors() -> Result<(), CryptoError> {
    let file = freeze("credential_signature.json", &generate_signature());
    for case in &file.cases {
        let public = PublicKey::from_bytes(&case.public)?;
        let message = hex::decode(&case.message).unwrap();
        case.signature
            .verify(&mut case.transcript.api(), &public, &message)?;
        assert!(case
            .signature
            .verify(&mut case.transcript.api(), &public, b"another message")
            .is_err());
        let (r, z) = case.signature.parts();
        assert!(SchnorrProof::from_parts(r, z)
            .verify(&mut case.transcript.api(), &public)
            .is_err());
        let c = spec_reference::schnorr(
            case.transcript.reference(),
            &case.public.0,
            Some(&message),
            &r.0,
            &z.0,
        );
        assert_eq!(scalar_bytes(&c), case.challenge, "{}", case.name);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// dleq_proof.json (§6.6)
// ---------------------------------------------------------------------------------------------

const DLEQ_SEED: u64 = 1006;

#[derive(Debug, Serialize, Deserialize)]
struct DleqFile {
    about: About,
    cases: Vec<DleqCase>,
}

#[derive(Debug, Serialize, Deserialize)]
struct DleqCase {
    name: String,
    transcript: TranscriptStart,
    /// Prover input `s`.
    secret: ScalarBytes,
    /// `X = s·G`.
    x: PointBytes,
    /// The second base `H`.
    h: PointBytes,
    /// `Y = s·H`.
    y: PointBytes,
    proof: DleqProof,
    challenge: ScalarBytes,
}

fn generate_dleq() -> DleqFile {
    let mut rng = rng(DLEQ_SEED);
    let mut cases = Vec::new();
    for name in [
        "equality of logs for a random second base",
        "another secret and base",
    ] {
        let context = fingerprint(&mut rng);
        let start = TranscriptStart::new("example/v1", &context);
        let secret = SecretScalar::random(&mut rng);
        let x = PublicKey::from_point(secret.public_point());
        let h = RistrettoPoint::random(&mut rng);
        let (y, proof) = DleqProof::prove(&mut start.api(), &secret, &x, &h, &mut rng);
        let challenge = spec_reference::dleq(
            start.reference(),
            &x.to_bytes().0,
            &h,
            &y.0,
            &proof.r1.0,
            &proof.r2.0,
            &proof.z.0,
        );
        cases.push(DleqCase {
            name: name.into(),
            transcript: start,
            secret: scalar_bytes(secret.expose_secret()),
            x: x.to_bytes(),
            h: point_bytes(&h),
            y,
            proof,
            challenge: scalar_bytes(&challenge),
        });
    }
    DleqFile {
        about: about(
            "Chaum–Pedersen proof of equality of discrete logarithms",
            "spec/crypto.md §6.6",
            DLEQ_SEED,
            &["proof = {r1 = k·G, r2 = k·H, z = k + c·s}"],
        ),
        cases,
    }
}

#[test]
fn dleq_proof_vectors() -> Result<(), CryptoError> {
    let file = freeze("dleq_proof.json", &generate_dleq());
    for case in &file.cases {
        let x = PublicKey::from_bytes(&case.x)?;
        let h = case.h.decode("h")?;
        let y = case
            .proof
            .verify(&mut case.transcript.api(), &x, &h, &case.y)?;
        assert_eq!(h * case.secret.decode("secret")?, y);
        // Another Y (here: H itself) does not verify.
        assert!(case
            .proof
            .verify(&mut case.transcript.api(), &x, &h, &case.h)
            .is_err());
        let c = spec_reference::dleq(
            case.transcript.reference(),
            &case.x.0,
            &spec_reference::point(&case.h.0),
            &case.y.0,
            &case.proof.r1.0,
            &case.proof.r2.0,
            &case.proof.z.0,
        );
        assert_eq!(scalar_bytes(&c), case.challenge, "{}", case.name);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// dkg.json (§5)
// ---------------------------------------------------------------------------------------------

const DKG_SEED: u64 = 1007;

#[derive(Debug, Serialize, Deserialize)]
struct DkgFile {
    about: About,
    cases: Vec<DkgCase>,
}

#[derive(Debug, Serialize, Deserialize)]
struct DkgCase {
    name: String,
    /// The session context, hex (the election layer uses its setup event's hash).
    context: String,
    params: DkgParameters,
    /// Prover inputs: each trustee's transport secret `dᵢ` and coefficients `aᵢₖ`.
    trustee_secrets: Vec<TrusteeSecrets>,
    /// Everything posted on the board.
    transcript: CeremonyTranscript,
    intermediate: DkgIntermediate,
    outcome: DkgOutcome,
}

#[derive(Debug, Serialize, Deserialize)]
struct TrusteeSecrets {
    index: u32,
    transport_secret: ScalarBytes,
    coefficients: Vec<ScalarBytes>,
}

#[derive(Debug, Serialize, Deserialize)]
struct DkgIntermediate {
    round1_challenges: Vec<Round1Challenges>,
    shares: Vec<ShareIntermediate>,
    complaint_challenges: Vec<ComplaintChallenge>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Round1Challenges {
    from: u32,
    transport_proof: ScalarBytes,
    constant_proof: ScalarBytes,
}

#[derive(Debug, Serialize, Deserialize)]
struct ShareIntermediate {
    from: u32,
    to: u32,
    /// `S = e·E_to = d_to·P`.
    shared_secret: PointBytes,
    pad: ScalarBytes,
    /// `masked_share − pad`.
    share: ScalarBytes,
    /// Whether `share·G = Σₖ C_from,k · toᵏ`.
    valid: bool,
}

#[derive(Debug, Serialize, Deserialize)]
struct ComplaintChallenge {
    from: u32,
    against: u32,
    challenge: ScalarBytes,
}

#[derive(Debug, Serialize, Deserialize)]
struct DkgOutcome {
    qualified: Vec<u32>,
    election_key: PointBytes,
    /// `Xⱼ` for j = 1..n.
    verification_keys: Vec<PointBytes>,
    blame: Vec<Blame>,
    /// Each trustee's secret share `xⱼ` (outputs of `finish`).
    key_shares: Vec<ScalarBytes>,
}

/// Runs a ceremony through the API. `corrupt = Some((dealer, recipient))` adds 1 to the
/// masked share that dealer posts for that recipient.
fn run_ceremony(
    params: DkgParameters,
    context: &[u8],
    corrupt: Option<(u32, u32)>,
    rng: &mut ChaCha20Rng,
) -> Result<(Vec<DkgStateFile>, CeremonyTranscript, Vec<KeyShare>), CryptoError> {
    let mut states = Vec::new();
    let mut secrets = Vec::new();
    let mut transcript = CeremonyTranscript::default();
    for i in 1..=params.trustees {
        let (secret, package) = dkg::start(params, i, context, rng)?;
        states.push(secret.export_state_file());
        secrets.push(secret);
        transcript.round1.push(package);
    }
    let mut round2 = Vec::new();
    for secret in secrets {
        let (next, mut package) = secret.deal(&transcript.round1, rng)?;
        if let Some((dealer, recipient)) = corrupt {
            if package.from == dealer {
                let share = package
                    .shares
                    .iter_mut()
                    .find(|s| s.to == recipient)
                    .unwrap();
                let masked = share.masked_share.decode("masked")? + Scalar::ONE;
                share.masked_share = ScalarBytes::from_scalar(&masked);
            }
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
    for secret in round3 {
        let (share, _) = secret.finish(&transcript)?;
        shares.push(share);
    }
    Ok((states, transcript, shares))
}

/// Everything the spec reference derives from a ceremony's public messages and its trustees'
/// secrets (asserting every check on the way).
fn reference_ceremony(
    context: &[u8],
    params: DkgParameters,
    secrets: &[TrusteeSecrets],
    transcript: &CeremonyTranscript,
) -> (DkgIntermediate, DkgOutcome) {
    use spec_reference as spec;
    let (n, t) = (params.trustees, params.threshold);
    let mut round1_challenges = Vec::new();
    let mut commitments = Vec::new();
    let mut transport_keys = Vec::new();
    let mut coefficients = Vec::new();
    for i in 1..=n {
        let package = transcript.round1.iter().find(|p| p.from == i).unwrap();
        let own = secrets.iter().find(|s| s.index == i).unwrap();
        assert_eq!(package.commitments.len(), t as usize);
        let (r, z) = package.transport_proof.parts();
        let transport_proof = spec::schnorr(
            spec::step_transcript(context, n, t, b"transport-key", i),
            &package.transport_key.0,
            None,
            &r.0,
            &z.0,
        );
        let mut tr = spec::step_transcript(context, n, t, b"commitments", i);
        for c in &package.commitments {
            tr.append_message(b"commitment", &c.0);
        }
        let (r, z) = package.constant_proof.parts();
        let constant_proof = spec::schnorr(tr, &package.commitments[0].0, None, &r.0, &z.0);
        round1_challenges.push(Round1Challenges {
            from: i,
            transport_proof: scalar_bytes(&transport_proof),
            constant_proof: scalar_bytes(&constant_proof),
        });
        // The secrets match what was posted.
        let d = spec::scalar(&own.transport_secret.0);
        assert_eq!(
            spec::encode(&(RISTRETTO_BASEPOINT_POINT * d)),
            package.transport_key.0
        );
        let a: Vec<Scalar> = own
            .coefficients
            .iter()
            .map(|c| spec::scalar(&c.0))
            .collect();
        for (ak, ck) in a.iter().zip(&package.commitments) {
            assert_eq!(spec::encode(&(RISTRETTO_BASEPOINT_POINT * ak)), ck.0);
        }
        transport_keys.push(spec::key(&package.transport_key.0));
        commitments.push(
            package
                .commitments
                .iter()
                .map(|c| spec::point(&c.0))
                .collect::<Vec<_>>(),
        );
        coefficients.push((d, a));
    }

    // §5.3/§5.4: decrypt every share with its recipient's transport secret.
    let mut shares = Vec::new();
    for dealer in 1..=n {
        let package = transcript.round2.iter().find(|p| p.from == dealer).unwrap();
        assert_eq!(package.shares.len(), n as usize - 1);
        for share in &package.shares {
            let (d_to, _) = &coefficients[(share.to - 1) as usize];
            let ephemeral = spec::key(&share.ephemeral.0);
            let shared = spec::encode(&(ephemeral * d_to));
            let pad = spec::share_pad(
                context,
                (n, t),
                dealer,
                share.to,
                &share.ephemeral.0,
                &shared,
            );
            let value = spec::scalar(&share.masked_share.0) - pad;
            let valid = RISTRETTO_BASEPOINT_POINT * value
                == spec::eval_commitments(&commitments[(dealer - 1) as usize], share.to);
            // A valid share is the dealer's polynomial at the recipient's index.
            let (_, a) = &coefficients[(dealer - 1) as usize];
            assert_eq!(valid, value == spec::eval_polynomial(a, share.to));
            shares.push(ShareIntermediate {
                from: dealer,
                to: share.to,
                shared_secret: PointBytes(shared),
                pad: scalar_bytes(&pad),
                share: scalar_bytes(&value),
                valid,
            });
        }
    }

    // §5.4/§5.5: complaints.
    let mut complaint_challenges = Vec::new();
    let mut disqualified = vec![false; n as usize];
    for complainer in 1..=n {
        let package = transcript
            .round3
            .iter()
            .find(|p| p.from == complainer)
            .unwrap();
        for complaint in &package.complaints {
            let against = complaint.against;
            let dealt = transcript
                .round2
                .iter()
                .find(|p| p.from == against)
                .unwrap()
                .shares
                .iter()
                .find(|s| s.to == complainer)
                .unwrap();
            let mut tr = spec::step_transcript(context, n, t, b"complaint", complainer);
            spec::append_u64(&mut tr, b"against", u64::from(against));
            let c = spec::dleq(
                tr,
                &transcript.round1[(complainer - 1) as usize].transport_key.0,
                &spec::key(&dealt.ephemeral.0),
                &complaint.shared_secret.0,
                &complaint.proof.r1.0,
                &complaint.proof.r2.0,
                &complaint.proof.z.0,
            );
            complaint_challenges.push(ComplaintChallenge {
                from: complainer,
                against,
                challenge: scalar_bytes(&c),
            });
            let pad = spec::share_pad(
                context,
                (n, t),
                against,
                complainer,
                &dealt.ephemeral.0,
                &complaint.shared_secret.0,
            );
            let value = spec::scalar(&dealt.masked_share.0) - pad;
            if RISTRETTO_BASEPOINT_POINT * value
                != spec::eval_commitments(&commitments[(against - 1) as usize], complainer)
            {
                disqualified[(against - 1) as usize] = true;
            }
        }
    }
    // Every invalid share was complained about, and its dealer disqualified.
    for s in &shares {
        assert!(s.valid || disqualified[(s.from - 1) as usize]);
    }

    // §5.5: QUAL, the election key and the verification keys.
    let qualified: Vec<u32> = (1..=n)
        .filter(|&i| !disqualified[(i - 1) as usize])
        .collect();
    let mut joint = vec![RistrettoPoint::default(); t as usize];
    for &i in &qualified {
        for (acc, c) in joint.iter_mut().zip(&commitments[(i - 1) as usize]) {
            *acc += c;
        }
    }
    let verification_keys: Vec<PointBytes> = (1..=n)
        .map(|j| PointBytes(spec::encode(&spec::eval_commitments(&joint, j))))
        .collect();
    // xⱼ = Σ_{i∈QUAL} fᵢ(j), and xⱼ·G = Xⱼ.
    let key_shares: Vec<ScalarBytes> = (1..=n)
        .map(|j| {
            let x: Scalar = qualified
                .iter()
                .map(|&i| spec::eval_polynomial(&coefficients[(i - 1) as usize].1, j))
                .sum();
            assert_eq!(
                spec::encode(&(RISTRETTO_BASEPOINT_POINT * x)),
                verification_keys[(j - 1) as usize].0
            );
            scalar_bytes(&x)
        })
        .collect();
    let blame = (1..=n)
        .filter(|&i| disqualified[(i - 1) as usize])
        .map(|i| {
            let complainer = shares.iter().find(|s| s.from == i && !s.valid).unwrap().to;
            Blame {
                culprit: i,
                reason: format!("dealt trustee {complainer} an invalid share"),
                disqualified: true,
            }
        })
        .collect();
    (
        DkgIntermediate {
            round1_challenges,
            shares,
            complaint_challenges,
        },
        DkgOutcome {
            qualified,
            election_key: PointBytes(spec::encode(&joint[0])),
            verification_keys,
            blame,
            key_shares,
        },
    )
}

fn generate_dkg() -> Result<DkgFile, CryptoError> {
    let mut rng = rng(DKG_SEED);
    let params = DkgParameters::new(3, 2)?;
    let mut cases = Vec::new();
    for (name, corrupt) in [
        ("honest ceremony, n = 3, t = 2", None),
        (
            "dealer 2 deals trustee 1 a bad share; trustee 1 complains; 2 is disqualified",
            Some((2u32, 1u32)),
        ),
    ] {
        let context = fingerprint(&mut rng);
        let (states, transcript, key_shares) = run_ceremony(params, &context, corrupt, &mut rng)?;
        let trustee_secrets: Vec<TrusteeSecrets> = states
            .iter()
            .map(|s| TrusteeSecrets {
                index: s.index,
                transport_secret: s.transport,
                coefficients: s.coefficients.clone(),
            })
            .collect();
        let (intermediate, outcome) =
            reference_ceremony(&context, params, &trustee_secrets, &transcript);
        // The API's trustees ended up with the shares the reference computed.
        let exported: Vec<ScalarBytes> = key_shares
            .iter()
            .map(|k| k.export_key_file().secret)
            .collect();
        assert_eq!(exported, outcome.key_shares);
        cases.push(DkgCase {
            name: name.into(),
            context: hex::encode(context),
            params,
            trustee_secrets,
            transcript,
            intermediate,
            outcome,
        });
    }
    Ok(DkgFile {
        about: about(
            "key ceremony: Pedersen DKG (joint Feldman VSS) with encrypted shares and public complaints",
            "spec/crypto.md §5",
            DKG_SEED,
            &[
                "transcript is what the board holds; outcome is what vartime_verify_ceremony computes from it (§5.5)",
                "trustee_secrets and key_shares are secret in real use; they are given so that every share and pad can be re-derived",
                "intermediate.shares: S = d_to·ephemeral, pad from §5.3, share = masked_share − pad",
            ],
        ),
        cases,
    })
}

#[test]
fn dkg_vectors() -> Result<(), CryptoError> {
    let file = freeze("dkg.json", &generate_dkg()?);
    for case in &file.cases {
        let context = hex::decode(&case.context).unwrap();
        // Through the API: an observer's view.
        let outcome = dkg::vartime_verify_ceremony(&case.params, &context, &case.transcript)?;
        assert_eq!(outcome.qualified, case.outcome.qualified, "{}", case.name);
        assert_eq!(outcome.election_key.to_bytes(), case.outcome.election_key);
        let vks: Vec<PointBytes> = outcome
            .verification_keys
            .iter()
            .map(PublicKey::to_bytes)
            .collect();
        assert_eq!(vks, case.outcome.verification_keys);
        assert_eq!(outcome.blame, case.outcome.blame);
        // Each key share is consistent with its verification key and the election key.
        for (j, secret) in case.outcome.key_shares.iter().enumerate() {
            KeyShare::import_key_file(&KeyShareFile {
                params: case.params,
                index: j as u32 + 1,
                secret: *secret,
                verification_key: case.outcome.verification_keys[j],
                election_key: case.outcome.election_key,
            })?;
        }
        // The same messages under another session context do not verify.
        assert!(
            dkg::vartime_verify_ceremony(&case.params, b"another session", &case.transcript)
                .is_err()
        );
        // Through the spec reference.
        let (intermediate, outcome) = reference_ceremony(
            &context,
            case.params,
            &case.trustee_secrets,
            &case.transcript,
        );
        assert_eq!(
            serde_json::to_value(&intermediate).unwrap(),
            serde_json::to_value(&case.intermediate).unwrap(),
            "{}",
            case.name
        );
        assert_eq!(
            serde_json::to_value(&outcome).unwrap(),
            serde_json::to_value(&case.outcome).unwrap(),
            "{}",
            case.name
        );
    }
    // The second case really exercises a complaint.
    assert_eq!(file.cases[1].intermediate.complaint_challenges.len(), 1);
    assert_eq!(file.cases[1].outcome.qualified, vec![1, 3]);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// threshold_decryption.json (§7)
// ---------------------------------------------------------------------------------------------

const THRESHOLD_SEED: u64 = 1008;

#[derive(Debug, Serialize, Deserialize)]
struct ThresholdFile {
    about: About,
    params: DkgParameters,
    election_key: PointBytes,
    /// `Xⱼ` for j = 1..n, from the key ceremony.
    verification_keys: Vec<PointBytes>,
    /// Prover inputs: each trustee's `xⱼ`.
    key_shares: Vec<ScalarBytes>,
    /// The encrypted votes that were added up.
    ballots: Vec<Encryption>,
    /// `(ΣAᵢ, ΣBᵢ)`: the ciphertext being decrypted.
    tally: CiphertextBytes,
    transcript: TranscriptStart,
    /// One partial decryption per trustee, as published.
    decryption_shares: Vec<DecryptionShare>,
    /// Intermediate: each share's DLEQ challenge, in the same order.
    challenges: Vec<ScalarBytes>,
    /// Combinations of `t` shares: all give the same plaintext.
    combinations: Vec<Combination>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Combination {
    trustees: Vec<u32>,
    lagrange: Vec<ScalarBytes>,
    /// `M = B − Σ λᵢ·Dᵢ`.
    plaintext_point: PointBytes,
    value: u64,
}

fn generate_threshold() -> Result<ThresholdFile, CryptoError> {
    let mut rng = rng(THRESHOLD_SEED);
    let params = DkgParameters::new(3, 2)?;
    let session = fingerprint(&mut rng);
    let (_, _, key_shares) = run_ceremony(params, &session, None, &mut rng)?;
    let key = *key_shares[0].election_key();
    let mut ballots = Vec::new();
    let mut cts = Vec::new();
    for m in [1u64, 0, 1, 1, 0, 1, 1] {
        let (ct, nonce) = Ciphertext::encrypt(&key, m, &mut rng);
        ballots.push(Encryption {
            plaintext: m,
            nonce: nonce.reveal(),
            plaintext_point: point_bytes(&g_times(m)),
            ciphertext: ct.to_bytes(),
        });
        cts.push(ct);
    }
    let tally: Ciphertext = cts.iter().sum();
    let start = TranscriptStart::new("tally/v1", &fingerprint(&mut rng));
    let decryption_shares: Vec<DecryptionShare> = key_shares
        .iter()
        .map(|k| DecryptionShare::create(&mut start.api(), k, &tally, &mut rng))
        .collect();
    let challenges = decryption_shares
        .iter()
        .zip(&key_shares)
        .map(|(d, k)| {
            scalar_bytes(&spec_reference::partial_decryption(
                start.reference(),
                d.trustee,
                &tally.to_bytes().0,
                &k.verification_key().to_bytes().0,
                &d.share.0,
                &d.proof.r1.0,
                &d.proof.r2.0,
                &d.proof.z.0,
            ))
        })
        .collect();
    let mut combinations = Vec::new();
    for pair in [[1u32, 2], [1, 3], [2, 3], [3, 1]] {
        let verified: Vec<_> = pair
            .iter()
            .map(|&i| {
                let d = &decryption_shares[(i - 1) as usize];
                d.verify(
                    &mut start.api(),
                    key_shares[(i - 1) as usize].verification_key(),
                    &tally,
                )
            })
            .collect::<Result<_, _>>()?;
        let m_point = threshold::combine(&tally, &verified, 2)?;
        combinations.push(Combination {
            trustees: pair.to_vec(),
            lagrange: lagrange_at_zero(&pair)?.iter().map(scalar_bytes).collect(),
            plaintext_point: point_bytes(&m_point),
            value: DlogTable::new(100)?.vartime_log(&m_point)?,
        });
    }
    Ok(ThresholdFile {
        about: about(
            "threshold decryption: partial decryptions with DLEQ proofs, Lagrange combination, bounded discrete log",
            "spec/crypto.md §7",
            THRESHOLD_SEED,
            &[
                "the keys come from an n = 3, t = 2 key ceremony (§5) run from the same seed",
                "each partial decryption uses a fresh transcript context_transcript(purpose, context), then §7.1",
                "combinations: any t valid shares, in the order listed, give the same plaintext point",
            ],
        ),
        params,
        election_key: key.to_bytes(),
        verification_keys: key_shares
            .iter()
            .map(|k| k.verification_key().to_bytes())
            .collect(),
        key_shares: key_shares
            .iter()
            .map(|k| k.export_key_file().secret)
            .collect(),
        ballots,
        tally: tally.to_bytes(),
        transcript: start,
        decryption_shares,
        challenges,
        combinations,
    })
}

#[test]
fn threshold_decryption_vectors() -> Result<(), CryptoError> {
    let file = freeze("threshold_decryption.json", &generate_threshold()?);
    let tally = Ciphertext::from_bytes(&file.tally)?;
    let sum: Ciphertext = file
        .ballots
        .iter()
        .map(|b| Ciphertext::from_bytes(&b.ciphertext))
        .collect::<Result<Vec<_>, _>>()?
        .iter()
        .sum();
    assert_eq!(sum, tally);
    let expected: u64 = file.ballots.iter().map(|b| b.plaintext).sum();
    let vk = |i: u32| {
        i.checked_sub(1)
            .and_then(|i| file.verification_keys.get(i as usize))
            .map(|k| PublicKey::from_bytes(k).unwrap())
    };

    // Through the API: all shares verify, any t of them decrypt.
    let decryption = vartime_decrypt(
        &tally,
        &file.decryption_shares,
        file.params.threshold as usize,
        vk,
        || file.transcript.api(),
    )?;
    assert!(decryption.rejected.is_empty());
    assert_eq!(decryption.used, vec![1, 2]);
    let table = DlogTable::new(100)?;
    assert_eq!(table.vartime_log(&decryption.plaintext)?, expected);
    for combination in &file.combinations {
        let verified: Vec<_> = combination
            .trustees
            .iter()
            .map(|&i| {
                file.decryption_shares[(i - 1) as usize].verify(
                    &mut file.transcript.api(),
                    &vk(i).unwrap(),
                    &tally,
                )
            })
            .collect::<Result<_, _>>()?;
        let m_point = threshold::combine(&tally, &verified, 2)?;
        assert_eq!(
            PointBytes::from_point(&m_point),
            combination.plaintext_point
        );
        assert_eq!(table.vartime_log(&m_point)?, combination.value);
        assert_eq!(combination.value, expected);
        let lagrange: Vec<ScalarBytes> = lagrange_at_zero(&combination.trustees)?
            .iter()
            .map(scalar_bytes)
            .collect();
        assert_eq!(lagrange, combination.lagrange);
    }
    // A share does not verify under another trustee's key.
    assert!(file.decryption_shares[0]
        .verify(&mut file.transcript.api(), &vk(2).unwrap(), &tally)
        .is_err());
    // The key shares are the secrets behind the verification keys.
    for (j, x) in file.key_shares.iter().enumerate() {
        assert_eq!(
            PointBytes::from_point(&(RISTRETTO_BASEPOINT_POINT * x.decode("x")?)),
            file.verification_keys[j]
        );
    }

    // Through the spec reference.
    use spec_reference as spec;
    for (d, c) in file.decryption_shares.iter().zip(&file.challenges) {
        let challenge = spec::partial_decryption(
            file.transcript.reference(),
            d.trustee,
            &file.tally.0,
            &file.verification_keys[(d.trustee - 1) as usize].0,
            &d.share.0,
            &d.proof.r1.0,
            &d.proof.r2.0,
            &d.proof.z.0,
        );
        assert_eq!(scalar_bytes(&challenge), *c);
    }
    let (_, b) = spec::ciphertext(&file.tally.0);
    for combination in &file.combinations {
        let lambdas = spec::lagrange(&combination.trustees);
        assert_eq!(
            lambdas.iter().map(scalar_bytes).collect::<Vec<_>>(),
            combination.lagrange
        );
        let mut m_point = b;
        for (lambda, &i) in lambdas.iter().zip(&combination.trustees) {
            m_point -= spec::point(&file.decryption_shares[(i - 1) as usize].share.0) * lambda;
        }
        assert_eq!(spec::encode(&m_point), combination.plaintext_point.0);
        assert_eq!(spec::small_log(&m_point, 100), Some(combination.value));
    }
    Ok(())
}
