//! Schnorr proofs of knowledge and Schnorr signatures under credential keys (spec §6.4, §6.5).
//!
//! Both prove knowledge of `x` with `X = x·G`: commitment `R = k·G`, challenge `c` from the
//! transcript, response `z = k + c·x`; the verifier checks `z·G - R - c·X = 0`. The signature
//! additionally binds a message. They use different domain separators, so a proof of
//! knowledge can never pass as a signature or the other way round.

use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};

use crate::batch::{Base, EachEquation, Equation, Equations};
use crate::elgamal::{mul_base, PublicKey, SecretScalar};
use crate::encoding::{PointBytes, ScalarBytes};
use crate::error::Result;
use crate::transcript::TranscriptProtocol;

/// Domain separator of the proof of knowledge.
pub const SCHNORR_PROOF_LABEL: &[u8] = b"urna/schnorr-pok/v1";
/// Domain separator of the credential signature.
pub const CREDENTIAL_SIGNATURE_LABEL: &[u8] = b"urna/credential-signature/v1";

/// A commitment and a response: the common shape of both.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct SchnorrCore {
    commitment: PointBytes,
    response: ScalarBytes,
}

impl SchnorrCore {
    fn prove<R: RngCore + CryptoRng>(
        transcript: &mut Transcript,
        secret: &SecretScalar,
        rng: &mut R,
    ) -> Self {
        let mut nonce_rng = transcript.witness_rng(&[secret.expose_secret()], rng);
        let k = SecretScalar::random(&mut nonce_rng);
        let commitment = PointBytes::from_point(&mul_base(k.expose_secret()));
        transcript.append_point_bytes(b"commitment", &commitment);
        let c = transcript.challenge_scalar(b"challenge");
        let response = ScalarBytes::from_scalar(&(k.expose_secret() + c * secret.expose_secret()));
        Self {
            commitment,
            response,
        }
    }

    fn verify_with(
        &self,
        transcript: &mut Transcript,
        public: &PublicKey,
        proof: &'static str,
        equations: &mut impl Equations,
    ) -> Result<()> {
        let commitment = self.commitment.decode("commitment")?;
        let z = self.response.decode("response")?;
        transcript.append_point_bytes(b"commitment", &self.commitment);
        let c = transcript.challenge_scalar(b"challenge");
        // z·G - R - c·X = 0. X is a local point, not a shared one: in a batch of ballots every
        // signature has its own credential key, so sharing would only grow the lookup table.
        let eq = Equation::new(&[
            (z, Base::G),
            (-Scalar::ONE, Base::Local(0)),
            (-c, Base::Local(1)),
        ]);
        equations.check(proof, &[commitment, *public.point()], &[eq])
    }
}

/// Proof of knowledge of the discrete log of a public key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SchnorrProof(SchnorrCore);

impl SchnorrProof {
    /// Proves knowledge of `secret` for `public = secret·G`.
    pub fn prove<R: RngCore + CryptoRng>(
        transcript: &mut Transcript,
        secret: &SecretScalar,
        public: &PublicKey,
        rng: &mut R,
    ) -> Self {
        transcript.proof_domain(SCHNORR_PROOF_LABEL);
        transcript.append_point_bytes(b"public", &public.to_bytes());
        Self(SchnorrCore::prove(transcript, secret, rng))
    }

    /// Verifies the proof on its own.
    pub fn verify(&self, transcript: &mut Transcript, public: &PublicKey) -> Result<()> {
        self.verify_with(transcript, public, &mut EachEquation)
    }

    /// Verifies the proof, sending its equation to `equations`.
    pub fn verify_with(
        &self,
        transcript: &mut Transcript,
        public: &PublicKey,
        equations: &mut impl Equations,
    ) -> Result<()> {
        transcript.proof_domain(SCHNORR_PROOF_LABEL);
        transcript.append_point_bytes(b"public", &public.to_bytes());
        self.0
            .verify_with(transcript, public, "proof of knowledge", equations)
    }

    /// The commitment `R` and response `z` (for tests and vectors).
    pub fn parts(&self) -> (PointBytes, ScalarBytes) {
        (self.0.commitment, self.0.response)
    }

    /// Builds a proof from its parts.
    pub fn from_parts(commitment: PointBytes, response: ScalarBytes) -> Self {
        Self(SchnorrCore {
            commitment,
            response,
        })
    }
}

/// A Schnorr signature under a voter's credential key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CredentialSignature(SchnorrCore);

impl CredentialSignature {
    /// Signs `message` with the credential `secret` whose public credential is `public`.
    pub fn sign<R: RngCore + CryptoRng>(
        transcript: &mut Transcript,
        secret: &SecretScalar,
        public: &PublicKey,
        message: &[u8],
        rng: &mut R,
    ) -> Self {
        transcript.proof_domain(CREDENTIAL_SIGNATURE_LABEL);
        transcript.append_point_bytes(b"public", &public.to_bytes());
        transcript.append_message(b"message", message);
        Self(SchnorrCore::prove(transcript, secret, rng))
    }

    /// Verifies the signature on its own.
    pub fn verify(
        &self,
        transcript: &mut Transcript,
        public: &PublicKey,
        message: &[u8],
    ) -> Result<()> {
        self.verify_with(transcript, public, message, &mut EachEquation)
    }

    /// Verifies the signature, sending its equation to `equations`.
    pub fn verify_with(
        &self,
        transcript: &mut Transcript,
        public: &PublicKey,
        message: &[u8],
        equations: &mut impl Equations,
    ) -> Result<()> {
        transcript.proof_domain(CREDENTIAL_SIGNATURE_LABEL);
        transcript.append_point_bytes(b"public", &public.to_bytes());
        transcript.append_message(b"message", message);
        self.0
            .verify_with(transcript, public, "credential signature", equations)
    }

    /// The commitment `R` and response `z` (for tests and vectors).
    pub fn parts(&self) -> (PointBytes, ScalarBytes) {
        (self.0.commitment, self.0.response)
    }

    /// Builds a signature from its parts.
    pub fn from_parts(commitment: PointBytes, response: ScalarBytes) -> Self {
        Self(SchnorrCore {
            commitment,
            response,
        })
    }
}
