//! Exponential ElGamal on Ristretto255 (spec §4).
//!
//! `Enc(m; r) = (A, B) = (r·G, m·G + r·K)` with `K` the election key. Ciphertexts add
//! component-wise, so the sum of encryptions of `m_i` encrypts `Σ m_i`; the plaintext comes back
//! as `m·G`, from which a bounded discrete log recovers `m` (see [`crate::dlog`]).

use core::fmt;
use core::iter::Sum;
use core::ops::{Add, AddAssign, Sub};

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::ristretto::{RistrettoBasepointTable, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::Identity;
use rand_core::{CryptoRng, RngCore};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::encoding::{decode_nonidentity_point, decode_point, CiphertextBytes, PointBytes};
use crate::error::Result;

/// Multiplies the standard generator `G` by a secret scalar (constant time, precomputed table).
pub(crate) fn mul_base(scalar: &Scalar) -> RistrettoPoint {
    RISTRETTO_BASEPOINT_TABLE * scalar
}

/// `2⁻¹ mod ℓ = (ℓ + 1)/2`, little-endian. Provers compute points halved, `(s·2⁻¹)·P`, so that
/// [`encode_doubled`] can encode the points they meant with one shared inversion.
const HALF_BYTES: [u8; 32] = [
    0xf7, 0xe9, 0x7a, 0x2e, 0x8d, 0x31, 0x09, 0x2c, 0x6b, 0xce, 0x7b, 0x51, 0xef, 0x7c, 0x6f, 0x0a,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08,
];

/// The scalar `2⁻¹` (a canonical constant: the reduction leaves it unchanged).
pub(crate) fn half() -> Scalar {
    Scalar::from_bytes_mod_order(HALF_BYTES)
}

/// The canonical encodings of `2·P` for each `P` in `halves`, with one inversion shared by all
/// of them and no square root (`RistrettoPoint::double_and_compress_batch`). A prover that
/// wants to publish `Q = s·B` computes `P = (s·2⁻¹)·B` (scalar arithmetic is cheap) and gets
/// exactly the bytes `Q.compress()` would give: the encoding is canonical (spec §2.1), so only
/// the group element matters. Constant time: the batch inversion skips zeros with
/// conditional assignments, and the rest is `subtle` selections.
pub(crate) fn encode_doubled(halves: &[RistrettoPoint]) -> Vec<PointBytes> {
    RistrettoPoint::double_and_compress_batch(halves)
        .into_iter()
        .map(|c| PointBytes(c.to_bytes()))
        .collect()
}

/// A secret scalar that is wiped on drop and never printed.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SecretScalar(pub(crate) Scalar);

impl SecretScalar {
    /// Draws a uniformly random secret.
    pub fn random<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        Self(Scalar::random(rng))
    }

    /// Wraps a scalar that the caller already treats as secret.
    pub fn from_scalar(scalar: Scalar) -> Self {
        Self(scalar)
    }

    /// The scalar, for arithmetic inside the cryptographic layers.
    pub fn expose_secret(&self) -> &Scalar {
        &self.0
    }

    /// `self·G`.
    pub fn public_point(&self) -> RistrettoPoint {
        mul_base(&self.0)
    }
}

impl fmt::Debug for SecretScalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretScalar(<redacted>)")
    }
}

/// A decryption key for a single-party ElGamal key pair (trustees' transport keys, tests).
/// The election key itself is never held by one party: see [`crate::dkg`].
#[derive(Clone, Debug, Zeroize, ZeroizeOnDrop)]
pub struct SecretKey(pub(crate) SecretScalar);

impl SecretKey {
    /// Generates a fresh key.
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        Self(SecretScalar::random(rng))
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey::from_point(self.0.public_point())
    }

    /// `B - x·A = m·G`: the plaintext as a group element.
    pub fn decrypt_to_point(&self, ciphertext: &Ciphertext) -> RistrettoPoint {
        ciphertext.b - ciphertext.a * self.0.expose_secret()
    }

    /// Exports the key for the holder's own key file; the name says what it does.
    pub fn export_secret_bytes(&self) -> [u8; 32] {
        self.0.expose_secret().to_bytes()
    }

    /// Imports a key from the holder's own key file.
    pub fn import_secret_bytes(bytes: &[u8; 32]) -> Result<Self> {
        let scalar = crate::encoding::decode_scalar(bytes, "secret key")?;
        Ok(Self(SecretScalar(scalar)))
    }
}

/// A public key `K = x·G`, kept with its canonical encoding so transcripts need not recompress.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey {
    point: RistrettoPoint,
    bytes: PointBytes,
}

impl PublicKey {
    /// Wraps a point computed by this process (compresses it once). Unlike
    /// [`PublicKey::from_bytes`] it does not reject the identity: callers that derive keys
    /// from published data check that themselves where it matters.
    pub fn from_point(point: RistrettoPoint) -> Self {
        Self {
            point,
            bytes: PointBytes::from_point(&point),
        }
    }

    /// Decodes a published key; the identity is rejected (it would encrypt in the clear).
    pub fn from_bytes(bytes: &PointBytes) -> Result<Self> {
        let point = decode_nonidentity_point(bytes.as_bytes(), "public key")?;
        Ok(Self {
            point,
            bytes: *bytes,
        })
    }

    /// The group element.
    pub fn point(&self) -> &RistrettoPoint {
        &self.point
    }

    /// The canonical encoding.
    pub fn to_bytes(&self) -> PointBytes {
        self.bytes
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.bytes)
    }
}

/// A public key with a table of its multiples, so that every `r·K` and `t·K` of the prover is a
/// fixed-base multiplication like `r·G`: constant time, and less than half the cost of the
/// variable-base one. The results are the same group elements, hence the same bytes, as with
/// the plain [`PublicKey`] (spec §6.1, implementation note).
///
/// Building the table costs about as much as 35 variable-base multiplications natively (under
/// 20 in WebAssembly, where those are relatively dearer), so it pays for itself after some 60
/// multiplications by `K` natively and 20–30 in WebAssembly. A ballot needs one per encryption
/// plus one per branch of each proof: 33 for ten approval options with a 1–3 sum proof, 7 for
/// a choice of one of two. Build it once per key and session — the booth does, before the
/// voter has chosen — and not per ballot.
///
/// The table holds multiples of a public point and is not secret.
#[derive(Clone)]
pub struct PrecomputedKey {
    key: PublicKey,
    /// About 30 KB: boxed so that moving the key is cheap and WebAssembly's stack is spared.
    table: Box<RistrettoBasepointTable>,
}

impl PrecomputedKey {
    /// Builds the table for `key`: 256 multiples of `K`, each converted to affine form with its
    /// own field inversion (curve25519-dalek does not batch them), which is what it costs.
    pub fn new(key: &PublicKey) -> Self {
        Self {
            key: *key,
            table: Box::new(RistrettoBasepointTable::create(&key.point)),
        }
    }

    /// The key the table is for.
    pub fn public_key(&self) -> &PublicKey {
        &self.key
    }
}

impl fmt::Debug for PrecomputedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrecomputedKey({})", self.key.bytes)
    }
}

impl From<&PublicKey> for PrecomputedKey {
    fn from(key: &PublicKey) -> Self {
        Self::new(key)
    }
}

mod sealed {
    use super::*;

    /// What encryption and the ballot provers need of a key; sealed so that only the two
    /// constant-time implementations below exist.
    pub trait KeyOps {
        /// The public key (its point and canonical encoding).
        fn public_key(&self) -> &PublicKey;
        /// `scalar·K`, constant time in `scalar`.
        fn mul_key(&self, scalar: &Scalar) -> RistrettoPoint;
    }

    impl KeyOps for PublicKey {
        fn public_key(&self) -> &PublicKey {
            self
        }
        fn mul_key(&self, scalar: &Scalar) -> RistrettoPoint {
            // Variable-base, constant-time multiplication.
            self.point * scalar
        }
    }

    impl KeyOps for PrecomputedKey {
        fn public_key(&self) -> &PublicKey {
            &self.key
        }
        fn mul_key(&self, scalar: &Scalar) -> RistrettoPoint {
            // Fixed-base, constant-time multiplication (like `mul_base`).
            &*self.table * scalar
        }
    }

    impl<K: KeyOps + ?Sized> KeyOps for &K {
        fn public_key(&self) -> &PublicKey {
            (**self).public_key()
        }
        fn mul_key(&self, scalar: &Scalar) -> RistrettoPoint {
            (**self).mul_key(scalar)
        }
    }
}

use sealed::KeyOps;

/// A key to encrypt and prove under: a [`PublicKey`], or a [`PrecomputedKey`] for faster
/// provers. Both give byte-identical ciphertexts and proofs. Sealed: implemented only here.
pub trait EncryptionKey: KeyOps {}

impl EncryptionKey for PublicKey {}
impl EncryptionKey for PrecomputedKey {}
impl<K: EncryptionKey + ?Sized> EncryptionKey for &K {}

/// The randomness `r` of one encryption. Revealing it opens the ciphertext (Benaloh audit);
/// otherwise it is secret, wiped on drop and never printed.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Nonce(pub(crate) Scalar);

impl Nonce {
    /// Draws fresh randomness.
    pub fn random<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        Self(Scalar::random(rng))
    }

    /// The sum of several nonces: the nonce of the sum of their ciphertexts.
    pub fn sum<'a>(nonces: impl IntoIterator<Item = &'a Nonce>) -> Nonce {
        Nonce(nonces.into_iter().map(|n| n.0).sum())
    }

    /// The nonce of `ciphertext.mul_weight(factor)`.
    pub fn scale(&self, factor: u64) -> Nonce {
        Nonce(self.0 * Scalar::from(factor))
    }

    /// Reveals the nonce, for a Benaloh audit of a ballot that will never be cast.
    pub fn reveal(&self) -> crate::encoding::ScalarBytes {
        crate::encoding::ScalarBytes::from_scalar(&self.0)
    }

    /// Takes a revealed nonce back (audit checks).
    pub fn from_revealed(bytes: &crate::encoding::ScalarBytes) -> Result<Self> {
        Ok(Self(bytes.decode("nonce")?))
    }
}

impl fmt::Debug for Nonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Nonce(<redacted>)")
    }
}

/// An exponential ElGamal ciphertext `(A, B)`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Ciphertext {
    pub(crate) a: RistrettoPoint,
    pub(crate) b: RistrettoPoint,
}

impl Ciphertext {
    /// The encryption of 0 with randomness 0: the neutral element of `+`.
    pub fn zero() -> Self {
        Self {
            a: RistrettoPoint::identity(),
            b: RistrettoPoint::identity(),
        }
    }

    /// Encrypts `value` under `key` with fresh randomness; returns the nonce for proofs.
    /// `key` is a [`PublicKey`] or, faster, a [`PrecomputedKey`]: the result is the same.
    pub fn encrypt<K: EncryptionKey + ?Sized, R: RngCore + CryptoRng>(
        key: &K,
        value: u64,
        rng: &mut R,
    ) -> (Self, Nonce) {
        let nonce = Nonce::random(rng);
        (Self::encrypt_with_nonce(key, value, &nonce), nonce)
    }

    /// Encrypts with given randomness (deterministic; used to re-check a Benaloh audit).
    /// Constant time in `value` and `nonce`.
    pub fn encrypt_with_nonce<K: EncryptionKey + ?Sized>(
        key: &K,
        value: u64,
        nonce: &Nonce,
    ) -> Self {
        let a = mul_base(&nonce.0);
        let b = mul_base(&Scalar::from(value)) + key.mul_key(&nonce.0);
        Self { a, b }
    }

    /// The first component `A = r·G`.
    pub fn a(&self) -> &RistrettoPoint {
        &self.a
    }

    /// The second component `B = m·G + r·K`.
    pub fn b(&self) -> &RistrettoPoint {
        &self.b
    }

    /// Builds a ciphertext from components (for code that already validated them).
    pub fn from_points(a: RistrettoPoint, b: RistrettoPoint) -> Self {
        Self { a, b }
    }

    /// Multiplies the plaintext by a public integer (a voter's weight), homomorphically.
    pub fn mul_weight(&self, weight: u64) -> Self {
        let w = Scalar::from(weight);
        Self {
            a: self.a * w,
            b: self.b * w,
        }
    }

    /// Re-randomises: the same plaintext under fresh randomness. Returns the added nonce.
    pub fn rerandomize<K: EncryptionKey + ?Sized, R: RngCore + CryptoRng>(
        &self,
        key: &K,
        rng: &mut R,
    ) -> (Self, Nonce) {
        let (zero, nonce) = Self::encrypt(key, 0, rng);
        (*self + zero, nonce)
    }

    /// The canonical 64-byte encoding `A ‖ B`.
    pub fn to_bytes(&self) -> CiphertextBytes {
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(self.a.compress().as_bytes());
        out[32..].copy_from_slice(self.b.compress().as_bytes());
        CiphertextBytes(out)
    }

    /// Decodes a published ciphertext, validating both points.
    pub fn from_bytes(bytes: &CiphertextBytes) -> Result<Self> {
        let (a_bytes, b_bytes) = split_ciphertext(bytes);
        Ok(Self {
            a: decode_point(&a_bytes, "ciphertext A")?,
            b: decode_point(&b_bytes, "ciphertext B")?,
        })
    }
}

/// A ciphertext with its canonical encoding, computed once: a prover needs the points for the
/// proof and the 64 bytes for the transcript, and the ballot publishes the same bytes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct EncodedCiphertext {
    ciphertext: Ciphertext,
    bytes: CiphertextBytes,
}

impl EncodedCiphertext {
    /// Encodes `ciphertext` (two compressions).
    pub fn new(ciphertext: Ciphertext) -> Self {
        Self {
            bytes: ciphertext.to_bytes(),
            ciphertext,
        }
    }

    /// Like [`Ciphertext::encrypt`] (same nonce drawn from `rng`, same ciphertext), but also
    /// encodes it, computing `A/2` and `B/2` so that both encodings share one inversion (see
    /// `encode_doubled`). Constant time in `value` and the nonce.
    pub fn encrypt<K: EncryptionKey + ?Sized, R: RngCore + CryptoRng>(
        key: &K,
        value: u64,
        rng: &mut R,
    ) -> (Self, Nonce) {
        let nonce = Nonce::random(rng);
        let half = half();
        let r_half = nonce.0 * half;
        let a_half = mul_base(&r_half);
        let b_half = mul_base(&(Scalar::from(value) * half)) + key.mul_key(&r_half);
        let encoded = encode_doubled(&[a_half, b_half]);
        let mut bytes = [0u8; 64];
        for (out, point) in bytes.chunks_exact_mut(32).zip(&encoded) {
            out.copy_from_slice(point.as_bytes());
        }
        let ciphertext = Ciphertext {
            a: a_half + a_half,
            b: b_half + b_half,
        };
        let bytes = CiphertextBytes(bytes);
        debug_assert!(ciphertext.to_bytes() == bytes, "the encodings must agree");
        (Self { ciphertext, bytes }, nonce)
    }

    /// The ciphertext.
    pub fn ciphertext(&self) -> &Ciphertext {
        &self.ciphertext
    }

    /// Its canonical 64-byte encoding `A ‖ B`.
    pub fn bytes(&self) -> &CiphertextBytes {
        &self.bytes
    }
}

impl From<Ciphertext> for EncodedCiphertext {
    fn from(ciphertext: Ciphertext) -> Self {
        Self::new(ciphertext)
    }
}

impl fmt::Debug for EncodedCiphertext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EncodedCiphertext({})", self.bytes)
    }
}

/// Splits `A ‖ B` into its halves.
pub(crate) fn split_ciphertext(bytes: &CiphertextBytes) -> ([u8; 32], [u8; 32]) {
    let mut a = [0u8; 32];
    let mut b = [0u8; 32];
    a.copy_from_slice(&bytes.0[..32]);
    b.copy_from_slice(&bytes.0[32..]);
    (a, b)
}

impl fmt::Debug for Ciphertext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ciphertext({})", self.to_bytes())
    }
}

impl Add for Ciphertext {
    type Output = Ciphertext;
    fn add(self, rhs: Ciphertext) -> Ciphertext {
        Ciphertext {
            a: self.a + rhs.a,
            b: self.b + rhs.b,
        }
    }
}

impl Sub for Ciphertext {
    type Output = Ciphertext;
    fn sub(self, rhs: Ciphertext) -> Ciphertext {
        Ciphertext {
            a: self.a - rhs.a,
            b: self.b - rhs.b,
        }
    }
}

impl AddAssign for Ciphertext {
    fn add_assign(&mut self, rhs: Ciphertext) {
        self.a += rhs.a;
        self.b += rhs.b;
    }
}

impl<'a> AddAssign<&'a Ciphertext> for Ciphertext {
    fn add_assign(&mut self, rhs: &'a Ciphertext) {
        self.a += rhs.a;
        self.b += rhs.b;
    }
}

impl Sum for Ciphertext {
    fn sum<I: Iterator<Item = Ciphertext>>(iter: I) -> Self {
        iter.fold(Ciphertext::zero(), |mut acc, c| {
            acc += c;
            acc
        })
    }
}

impl<'a> Sum<&'a Ciphertext> for Ciphertext {
    fn sum<I: Iterator<Item = &'a Ciphertext>>(iter: I) -> Self {
        iter.fold(Ciphertext::zero(), |mut acc, c| {
            acc += c;
            acc
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    #[test]
    fn homomorphic_sum_and_weight() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let sk = SecretKey::generate(&mut rng);
        let pk = sk.public_key();
        let (c1, _) = Ciphertext::encrypt(&pk, 3, &mut rng);
        let (c2, _) = Ciphertext::encrypt(&pk, 4, &mut rng);
        let total = (c1 + c2).mul_weight(2);
        assert_eq!(sk.decrypt_to_point(&total), mul_base(&Scalar::from(14u64)));
        let (re, _) = total.rerandomize(&pk, &mut rng);
        assert_ne!(re, total);
        assert_eq!(sk.decrypt_to_point(&re), sk.decrypt_to_point(&total));
    }

    #[test]
    fn encoding_round_trip_rejects_invalid() {
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        let pk = SecretKey::generate(&mut rng).public_key();
        let (c, _) = Ciphertext::encrypt(&pk, 1, &mut rng);
        let bytes = c.to_bytes();
        assert_eq!(Ciphertext::from_bytes(&bytes), Ok(c));
        let mut bad = bytes;
        bad.0[63] = 0xff; // high bit set: never canonical
        assert!(Ciphertext::from_bytes(&bad).is_err());
    }

    #[test]
    fn half_is_the_inverse_of_two() {
        assert_eq!(half() * Scalar::from(2u64), Scalar::ONE);
        assert_eq!(half().to_bytes(), HALF_BYTES, "the constant is canonical");
    }

    #[test]
    fn batched_encoding_of_doubles_matches_compress() {
        let mut rng = ChaCha20Rng::seed_from_u64(4);
        let mut halves = vec![RistrettoPoint::identity(), mul_base(&Scalar::ONE)];
        for _ in 0..6 {
            halves.push(RistrettoPoint::random(&mut rng));
            halves.push(mul_base(&(Scalar::random(&mut rng) * half())));
        }
        // Points that went through a decoding have other internal representatives.
        let decoded = decode_point(&PointBytes::from_point(&halves[2]).0, "p").unwrap();
        halves.push(decoded);
        halves.push(-decoded);
        let encoded = encode_doubled(&halves);
        assert_eq!(encoded.len(), halves.len());
        for (p, bytes) in halves.iter().zip(&encoded) {
            assert_eq!(*bytes, PointBytes::from_point(&(p + p)));
        }
        assert_eq!(encoded[0], PointBytes([0; 32]), "2·O = O");
        assert!(encode_doubled(&[]).is_empty());
    }

    #[test]
    fn precomputed_and_encoded_encryption_match_the_plain_one() {
        let mut rng = ChaCha20Rng::seed_from_u64(5);
        let pk = SecretKey::generate(&mut rng).public_key();
        let pre = PrecomputedKey::new(&pk);
        assert_eq!(pre.public_key(), &pk);
        assert_eq!(
            format!("{pre:?}"),
            format!("PrecomputedKey({})", pk.to_bytes())
        );
        for value in [0u64, 1, 2, 7, u64::MAX] {
            let seed = value.wrapping_mul(31);
            let (plain, n1) =
                Ciphertext::encrypt(&pk, value, &mut ChaCha20Rng::seed_from_u64(seed));
            let (fast, n2) =
                Ciphertext::encrypt(&pre, value, &mut ChaCha20Rng::seed_from_u64(seed));
            let (encoded, n3) =
                EncodedCiphertext::encrypt(&pre, value, &mut ChaCha20Rng::seed_from_u64(seed));
            assert_eq!(n1.0, n2.0);
            assert_eq!(n1.0, n3.0);
            assert_eq!(plain.to_bytes(), fast.to_bytes());
            assert_eq!(*encoded.bytes(), plain.to_bytes());
            assert_eq!(*encoded.ciphertext(), plain);
            assert_eq!(EncodedCiphertext::from(plain), encoded);
        }
    }

    #[test]
    fn secrets_are_redacted() {
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let sk = SecretKey::generate(&mut rng);
        let text = format!("{sk:?}");
        assert!(text.contains("redacted"));
        assert!(!text.contains(&hex::encode(sk.export_secret_bytes())));
        assert_eq!(
            format!("{:?}", Nonce::random(&mut rng)),
            "Nonce(<redacted>)"
        );
    }
}
