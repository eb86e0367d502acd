//! Checking verification equations one by one or all at once (spec §3.4).
//!
//! Every proof in this crate reduces to equations of the form `Σ sᵢ·Pᵢ = 0`. A proof's verifier
//! hands them to an [`Equations`] sink: [`EachEquation`] evaluates each on the spot (naive, and
//! able to say which proof failed), [`BatchVerifier`] multiplies each by a fresh random 128-bit
//! weight and folds everything into a single variable-time multiscalar multiplication. A false
//! equation survives the folding with probability at most 2⁻¹²⁸.
//!
//! Both are variable-time: they only ever see public data.

use core::fmt;
use std::collections::HashMap;

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use merlin::{Transcript, TranscriptRng};
use rand_core::{CryptoRng, RngCore};

use crate::elgamal::PublicKey;
use crate::encoding::PointBytes;
use crate::error::{CryptoError, Result};

/// A base point in a verification equation.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Base<'a> {
    /// The standard generator `G`.
    G,
    /// A long-lived key that many proofs share (the election key, a trustee key); a batch adds
    /// up its coefficients so it costs one term however often it occurs.
    Shared(&'a PublicKey),
    /// The `i`-th point of the proof's own statement (its ciphertext, say); a batch adds up its
    /// coefficients over the proof's equations.
    Local(usize),
    /// Any other point.
    Point(&'a RistrettoPoint),
}

/// One equation `Σ sᵢ·Pᵢ = 0` of at most four terms.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Equation<'a> {
    terms: [(Scalar, Base<'a>); 4],
    len: usize,
}

impl<'a> Equation<'a> {
    pub(crate) fn new(terms: &[(Scalar, Base<'a>)]) -> Self {
        let mut out = [(Scalar::ZERO, Base::G); 4];
        let len = terms.len().min(4);
        debug_assert_eq!(len, terms.len(), "an equation has at most four terms");
        out[..len].copy_from_slice(&terms[..len]);
        Self { terms: out, len }
    }

    fn terms(&self) -> &[(Scalar, Base<'a>)] {
        &self.terms[..self.len]
    }
}

/// Somewhere to send a proof's verification equations.
pub trait Equations {
    /// Checks (or queues) the equations of one proof; `locals` are the points `Base::Local`
    /// refers to, and `proof` names the proof for error messages.
    #[doc(hidden)]
    #[allow(private_interfaces)]
    fn check(
        &mut self,
        proof: &'static str,
        locals: &[RistrettoPoint],
        equations: &[Equation<'_>],
    ) -> Result<()>;
}

/// Evaluates each equation on its own: the plain (naive) verifier, which also says exactly
/// which proof failed.
#[derive(Debug, Default, Clone, Copy)]
pub struct EachEquation;

impl Equations for EachEquation {
    #[allow(private_interfaces)]
    fn check(
        &mut self,
        proof: &'static str,
        locals: &[RistrettoPoint],
        equations: &[Equation<'_>],
    ) -> Result<()> {
        for equation in equations {
            let mut points = [RISTRETTO_BASEPOINT_POINT; 4];
            for (slot, (_, base)) in points.iter_mut().zip(equation.terms()) {
                *slot = match base {
                    Base::G => RISTRETTO_BASEPOINT_POINT,
                    Base::Shared(key) => *key.point(),
                    Base::Local(i) => *locals.get(*i).ok_or(CryptoError::InvalidProof { proof })?,
                    Base::Point(p) => **p,
                };
            }
            let sum = RistrettoPoint::vartime_multiscalar_mul(
                equation.terms().iter().map(|(s, _)| s),
                &points[..equation.len],
            );
            if !sum.is_identity() {
                return Err(CryptoError::InvalidProof { proof });
            }
        }
        Ok(())
    }
}

/// Folds many equations into one multiscalar multiplication.
///
/// Queue proofs with their `verify_with` methods, then call [`BatchVerifier::vartime_verify`];
/// nothing queued may be trusted before it returns `Ok`.
pub struct BatchVerifier {
    weights: TranscriptRng,
    g: Scalar,
    /// Shared bases and their summed coefficients; `shared_index` finds a key's slot.
    shared: Vec<(RistrettoPoint, Scalar)>,
    shared_index: HashMap<PointBytes, usize>,
    scalars: Vec<Scalar>,
    points: Vec<RistrettoPoint>,
    equations: usize,
}

impl fmt::Debug for BatchVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchVerifier")
            .field("equations", &self.equations)
            .field("terms", &(self.points.len() + self.shared.len() + 1))
            .finish_non_exhaustive()
    }
}

impl BatchVerifier {
    /// A new, empty batch. The weights come from `rng`, which must be unpredictable to whoever
    /// made the proofs.
    pub fn new<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        Self::with_capacity(rng, 0)
    }

    /// A new batch with room for `terms` point terms.
    pub fn with_capacity<R: RngCore + CryptoRng>(rng: &mut R, terms: usize) -> Self {
        let weights = Transcript::new(b"urna/batch-weights/v1")
            .build_rng()
            .finalize(rng);
        Self {
            weights,
            g: Scalar::ZERO,
            shared: Vec::new(),
            shared_index: HashMap::new(),
            scalars: Vec::with_capacity(terms),
            points: Vec::with_capacity(terms),
            equations: 0,
        }
    }

    /// How many equations are queued.
    pub fn equations(&self) -> usize {
        self.equations
    }

    /// Draws `count` independent 128-bit weights with one call into the PRF.
    fn weights(&mut self, count: usize) -> Vec<Scalar> {
        let mut bytes = vec![0u8; 16 * count];
        self.weights.fill_bytes(&mut bytes);
        bytes
            .chunks_exact(16)
            .map(|chunk| {
                let mut wide = [0u8; 32];
                wide[..16].copy_from_slice(chunk);
                Scalar::from_bytes_mod_order(wide)
            })
            .collect()
    }

    /// Checks all queued equations at once.
    pub fn vartime_verify(self) -> Result<()> {
        let scalars = core::iter::once(self.g)
            .chain(self.shared.iter().map(|(_, s)| *s))
            .chain(self.scalars);
        let points = core::iter::once(RISTRETTO_BASEPOINT_POINT)
            .chain(self.shared.iter().map(|(p, _)| *p))
            .chain(self.points);
        if RistrettoPoint::vartime_multiscalar_mul(scalars, points).is_identity() {
            Ok(())
        } else {
            Err(CryptoError::BatchFailed)
        }
    }
}

impl Equations for BatchVerifier {
    #[allow(private_interfaces)]
    fn check(
        &mut self,
        proof: &'static str,
        locals: &[RistrettoPoint],
        equations: &[Equation<'_>],
    ) -> Result<()> {
        let mut local_coefficients = vec![Scalar::ZERO; locals.len()];
        let weights = self.weights(equations.len());
        for (equation, rho) in equations.iter().zip(weights) {
            self.equations += 1;
            for (s, base) in equation.terms() {
                let coefficient = rho * s;
                match base {
                    Base::G => self.g += coefficient,
                    Base::Shared(key) => {
                        let slot = *self.shared_index.entry(key.to_bytes()).or_insert_with(|| {
                            self.shared.push((*key.point(), Scalar::ZERO));
                            self.shared.len() - 1
                        });
                        self.shared[slot].1 += coefficient;
                    }
                    Base::Local(i) => {
                        *local_coefficients
                            .get_mut(*i)
                            .ok_or(CryptoError::InvalidProof { proof })? += coefficient
                    }
                    Base::Point(p) => {
                        self.scalars.push(coefficient);
                        self.points.push(**p);
                    }
                }
            }
        }
        self.scalars.extend(local_coefficients);
        self.points.extend_from_slice(locals);
        Ok(())
    }
}
