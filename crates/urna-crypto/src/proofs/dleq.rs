//! Chaum–Pedersen proof of equality of discrete logs (spec §6.6).
//!
//! Statement: `X = s·G` and `Y = s·H` for the same secret `s`. Commitments `R₁ = k·G`,
//! `R₂ = k·H`; response `z = k + c·s`; the verifier checks `z·G - R₁ - c·X = 0` and
//! `z·H - R₂ - c·Y = 0`. Used for partial decryptions (`H` = the tally's `A`, `Y` = the share)
//! and for key-ceremony complaints.

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};

use crate::batch::{Base, EachEquation, Equation, Equations};
use crate::elgamal::{mul_base, PublicKey, SecretScalar};
use crate::encoding::{PointBytes, ScalarBytes};
use crate::error::Result;
use crate::transcript::TranscriptProtocol;

/// Domain separator of the proof.
pub const DLEQ_PROOF_LABEL: &[u8] = b"urna/dleq/v1";

/// Proof that `log_G X = log_H Y`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DleqProof {
    pub r1: PointBytes,
    pub r2: PointBytes,
    pub z: ScalarBytes,
}

fn append_statement(transcript: &mut Transcript, x: &PublicKey, h: &PointBytes, y: &PointBytes) {
    transcript.proof_domain(DLEQ_PROOF_LABEL);
    transcript.append_point_bytes(b"x", &x.to_bytes());
    transcript.append_point_bytes(b"h", h);
    transcript.append_point_bytes(b"y", y);
}

impl DleqProof {
    /// Proves `x = s·G`, `y = s·h`; returns `y` (encoded) with the proof.
    pub fn prove<R: RngCore + CryptoRng>(
        transcript: &mut Transcript,
        secret: &SecretScalar,
        x: &PublicKey,
        h: &RistrettoPoint,
        rng: &mut R,
    ) -> (PointBytes, Self) {
        let y = h * secret.expose_secret();
        let y_bytes = PointBytes::from_point(&y);
        append_statement(transcript, x, &PointBytes::from_point(h), &y_bytes);
        let mut nonce_rng = transcript.witness_rng(&[secret.expose_secret()], rng);
        let k = SecretScalar::random(&mut nonce_rng);
        let r1 = PointBytes::from_point(&mul_base(k.expose_secret()));
        let r2 = PointBytes::from_point(&(h * k.expose_secret()));
        transcript.append_point_bytes(b"r1", &r1);
        transcript.append_point_bytes(b"r2", &r2);
        let c = transcript.challenge_scalar(b"challenge");
        let z = ScalarBytes::from_scalar(&(k.expose_secret() + c * secret.expose_secret()));
        (y_bytes, Self { r1, r2, z })
    }

    /// Verifies the proof on its own; returns the validated `y`.
    pub fn verify(
        &self,
        transcript: &mut Transcript,
        x: &PublicKey,
        h: &RistrettoPoint,
        y: &PointBytes,
    ) -> Result<RistrettoPoint> {
        self.verify_with(transcript, x, h, y, &mut EachEquation)
    }

    /// Verifies the proof, sending its equations to `equations`; returns the validated `y`.
    pub fn verify_with(
        &self,
        transcript: &mut Transcript,
        x: &PublicKey,
        h: &RistrettoPoint,
        y: &PointBytes,
        equations: &mut impl Equations,
    ) -> Result<RistrettoPoint> {
        let y_point = y.decode("dleq y")?;
        let r1 = self.r1.decode("dleq r1")?;
        let r2 = self.r2.decode("dleq r2")?;
        let z = self.z.decode("dleq response")?;
        append_statement(transcript, x, &PointBytes::from_point(h), y);
        transcript.append_point_bytes(b"r1", &self.r1);
        transcript.append_point_bytes(b"r2", &self.r2);
        let c = transcript.challenge_scalar(b"challenge");
        // Locals: 0 = R₁, 1 = R₂, 2 = H, 3 = Y.
        let locals = [r1, r2, *h, y_point];
        let eqs = [
            Equation::new(&[
                (z, Base::G),
                (-Scalar::ONE, Base::Local(0)),
                (-c, Base::Shared(x)),
            ]),
            Equation::new(&[
                (z, Base::Local(2)),
                (-Scalar::ONE, Base::Local(1)),
                (-c, Base::Local(3)),
            ]),
        ];
        equations.check("equality-of-logs proof", &locals, &eqs)?;
        Ok(y_point)
    }
}
