//! Fiat–Shamir transcripts (spec §3).
//!
//! Every proof takes a `&mut merlin::Transcript` that the *caller* created and seeded with the
//! context the proof must be bound to (the election fingerprint, the contest and option, the
//! trustee index…). The proof then appends its own domain separator, every public input of its
//! statement and its commitments, in the order the spec lists, before drawing the challenge.

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use merlin::{Transcript, TranscriptRng};
use rand_core::{CryptoRng, RngCore};

use crate::encoding::{CiphertextBytes, PointBytes};

/// Label every Urna transcript starts with (the merlin protocol label).
pub const PROTOCOL_LABEL: &[u8] = b"urna";

/// Creates a transcript bound to `context`, under a purpose label such as `b"ballot"`.
///
/// This is the usual way for callers to start a transcript: the election layer passes its
/// fingerprint as `context`, the key ceremony its session identifier.
pub fn context_transcript(purpose: &[u8], context: &[u8]) -> Transcript {
    let mut transcript = Transcript::new(PROTOCOL_LABEL);
    transcript.append_message(b"purpose", purpose);
    transcript.append_message(b"context", context);
    transcript
}

/// Urna's extension methods on [`Transcript`].
pub trait TranscriptProtocol {
    /// Domain-separates one proof: `label` names the proof and its version, e.g.
    /// `b"urna/range-proof/v1"`.
    fn proof_domain(&mut self, label: &'static [u8]);
    /// Appends a 64-bit integer, little-endian.
    fn append_u64_le(&mut self, label: &'static [u8], value: u64);
    /// Appends a point's canonical encoding.
    fn append_point_bytes(&mut self, label: &'static [u8], point: &PointBytes);
    /// Compresses and appends a point.
    fn append_point(&mut self, label: &'static [u8], point: &RistrettoPoint);
    /// Appends a ciphertext's canonical encoding.
    fn append_ciphertext_bytes(&mut self, label: &'static [u8], ciphertext: &CiphertextBytes);
    /// Draws a challenge scalar, uniform modulo ℓ (64 bytes reduced).
    fn challenge_scalar(&mut self, label: &'static [u8]) -> Scalar;
    /// An RNG for proof nonces, keyed by the transcript so far, the prover's secrets and fresh
    /// randomness: a weak `rng` alone cannot leak the secrets (hedged nonces, spec §3.3).
    fn witness_rng<R: RngCore + CryptoRng>(
        &self,
        witnesses: &[&Scalar],
        rng: &mut R,
    ) -> TranscriptRng;
}

impl TranscriptProtocol for Transcript {
    fn proof_domain(&mut self, label: &'static [u8]) {
        self.append_message(b"proof", label);
    }

    fn append_u64_le(&mut self, label: &'static [u8], value: u64) {
        self.append_message(label, &value.to_le_bytes());
    }

    fn append_point_bytes(&mut self, label: &'static [u8], point: &PointBytes) {
        self.append_message(label, point.as_bytes());
    }

    fn append_point(&mut self, label: &'static [u8], point: &RistrettoPoint) {
        self.append_message(label, point.compress().as_bytes());
    }

    fn append_ciphertext_bytes(&mut self, label: &'static [u8], ciphertext: &CiphertextBytes) {
        self.append_message(label, ciphertext.as_bytes());
    }

    fn challenge_scalar(&mut self, label: &'static [u8]) -> Scalar {
        let mut wide = [0u8; 64];
        self.challenge_bytes(label, &mut wide);
        Scalar::from_bytes_mod_order_wide(&wide)
    }

    fn witness_rng<R: RngCore + CryptoRng>(
        &self,
        witnesses: &[&Scalar],
        rng: &mut R,
    ) -> TranscriptRng {
        let mut builder = self.build_rng();
        for witness in witnesses {
            builder = builder.rekey_with_witness_bytes(b"witness", witness.as_bytes());
        }
        builder.finalize(rng)
    }
}
