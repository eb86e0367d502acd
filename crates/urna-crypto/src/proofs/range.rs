//! Range and sum proofs over ciphertexts (spec §6.2, §6.3).

use core::ops::RangeInclusive;

use merlin::Transcript;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};

use super::disjunctive::{self, Branch};
use crate::batch::{EachEquation, Equations};
use crate::elgamal::{Ciphertext, EncodedCiphertext, EncryptionKey, Nonce, PublicKey};
use crate::encoding::CiphertextBytes;
use crate::error::Result;
use crate::transcript::TranscriptProtocol;

/// Domain separator of the range proof.
pub const RANGE_PROOF_LABEL: &[u8] = b"urna/range-proof/v1";
/// Domain separator of the sum proof.
pub const SUM_PROOF_LABEL: &[u8] = b"urna/sum-proof/v1";

fn append_statement(
    transcript: &mut Transcript,
    label: &'static [u8],
    key: &PublicKey,
    ciphertext: &CiphertextBytes,
    range: &RangeInclusive<u64>,
) {
    transcript.proof_domain(label);
    transcript.append_u64_le(b"min", *range.start());
    transcript.append_u64_le(b"max", *range.end());
    transcript.append_point_bytes(b"key", &key.to_bytes());
    transcript.append_ciphertext_bytes(b"ciphertext", ciphertext);
}

fn bounds(range: &RangeInclusive<u64>) -> (u64, u64) {
    (*range.start(), *range.end())
}

/// Proof that a ciphertext encrypts an integer in a public range `[min, max]` (for one option
/// of a ballot, `[0, L]`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RangeProof {
    branches: Vec<Branch>,
}

impl RangeProof {
    /// Proves that `ciphertext = Enc(value; nonce)` with `value ∈ range`. `key` is the
    /// [`PublicKey`] or, for a faster prover with the same output, a
    /// [`crate::PrecomputedKey`].
    pub fn prove<K: EncryptionKey + ?Sized, R: RngCore + CryptoRng>(
        transcript: &mut Transcript,
        key: &K,
        ciphertext: &Ciphertext,
        value: u64,
        nonce: &Nonce,
        range: RangeInclusive<u64>,
        rng: &mut R,
    ) -> Result<Self> {
        let encoded = EncodedCiphertext::new(*ciphertext);
        Self::prove_encoded(transcript, key, &encoded, value, nonce, range, rng)
    }

    /// Like [`RangeProof::prove`], for a ciphertext whose encoding the caller already has
    /// (from [`EncodedCiphertext::encrypt`]), so that it is not compressed again.
    pub fn prove_encoded<K: EncryptionKey + ?Sized, R: RngCore + CryptoRng>(
        transcript: &mut Transcript,
        key: &K,
        ciphertext: &EncodedCiphertext,
        value: u64,
        nonce: &Nonce,
        range: RangeInclusive<u64>,
        rng: &mut R,
    ) -> Result<Self> {
        append_statement(
            transcript,
            RANGE_PROOF_LABEL,
            key.public_key(),
            ciphertext.bytes(),
            &range,
        );
        let branches = disjunctive::prove(
            transcript,
            key,
            ciphertext.ciphertext(),
            value,
            nonce,
            bounds(&range),
            rng,
        )?;
        Ok(Self { branches })
    }

    /// Verifies the proof for the published `ciphertext`, checking each equation on its own,
    /// and returns the validated ciphertext.
    pub fn verify(
        &self,
        transcript: &mut Transcript,
        key: &PublicKey,
        ciphertext: &CiphertextBytes,
        range: RangeInclusive<u64>,
    ) -> Result<Ciphertext> {
        self.verify_with(transcript, key, ciphertext, range, &mut EachEquation)
    }

    /// Verifies the proof, sending its equations to `equations` (a [`crate::BatchVerifier`]
    /// defers them: the returned ciphertext is valid only once the batch verifies).
    pub fn verify_with(
        &self,
        transcript: &mut Transcript,
        key: &PublicKey,
        ciphertext: &CiphertextBytes,
        range: RangeInclusive<u64>,
        equations: &mut impl Equations,
    ) -> Result<Ciphertext> {
        let decoded = Ciphertext::from_bytes(ciphertext)?;
        append_statement(transcript, RANGE_PROOF_LABEL, key, ciphertext, &range);
        disjunctive::verify_with(
            &self.branches,
            transcript,
            key,
            &decoded,
            bounds(&range),
            "range proof",
            equations,
        )?;
        Ok(decoded)
    }

    /// The proof's branches (one per value in the range).
    pub fn branches(&self) -> &[Branch] {
        &self.branches
    }

    /// Builds a proof from branches, e.g. to tamper with one in a test.
    pub fn from_branches(branches: Vec<Branch>) -> Self {
        Self { branches }
    }
}

/// Proof that the sum of several ciphertexts encrypts an integer in `[min, max]` (a contest's
/// selection limits). The statement is the aggregate ciphertext `(ΣAᵢ, ΣBᵢ)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SumProof {
    branches: Vec<Branch>,
}

impl SumProof {
    /// Proves that `Σ ciphertexts` encrypts `total ∈ range`, where `total_nonce` is the sum of
    /// the ciphertexts' nonces (see [`Nonce::sum`]).
    ///
    /// `key` is the [`PublicKey`] or, for a faster prover with the same output, a
    /// [`crate::PrecomputedKey`].
    pub fn prove<K: EncryptionKey + ?Sized, R: RngCore + CryptoRng>(
        transcript: &mut Transcript,
        key: &K,
        ciphertexts: &[Ciphertext],
        total: u64,
        total_nonce: &Nonce,
        range: RangeInclusive<u64>,
        rng: &mut R,
    ) -> Result<Self> {
        let aggregate: Ciphertext = ciphertexts.iter().sum();
        append_statement(
            transcript,
            SUM_PROOF_LABEL,
            key.public_key(),
            &aggregate.to_bytes(),
            &range,
        );
        let branches = disjunctive::prove(
            transcript,
            key,
            &aggregate,
            total,
            total_nonce,
            bounds(&range),
            rng,
        )?;
        Ok(Self { branches })
    }

    /// Verifies the proof, checking each equation on its own; returns the aggregate.
    pub fn verify(
        &self,
        transcript: &mut Transcript,
        key: &PublicKey,
        ciphertexts: &[Ciphertext],
        range: RangeInclusive<u64>,
    ) -> Result<Ciphertext> {
        self.verify_with(transcript, key, ciphertexts, range, &mut EachEquation)
    }

    /// Verifies the proof, sending its equations to `equations`; returns the aggregate.
    pub fn verify_with(
        &self,
        transcript: &mut Transcript,
        key: &PublicKey,
        ciphertexts: &[Ciphertext],
        range: RangeInclusive<u64>,
        equations: &mut impl Equations,
    ) -> Result<Ciphertext> {
        let aggregate: Ciphertext = ciphertexts.iter().sum();
        append_statement(
            transcript,
            SUM_PROOF_LABEL,
            key,
            &aggregate.to_bytes(),
            &range,
        );
        disjunctive::verify_with(
            &self.branches,
            transcript,
            key,
            &aggregate,
            bounds(&range),
            "sum proof",
            equations,
        )?;
        Ok(aggregate)
    }

    /// The proof's branches (one per value in the range).
    pub fn branches(&self) -> &[Branch] {
        &self.branches
    }

    /// Builds a proof from branches, e.g. to tamper with one in a test.
    pub fn from_branches(branches: Vec<Branch>) -> Self {
        Self { branches }
    }
}
