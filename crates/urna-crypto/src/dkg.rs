//! Threshold key generation: Pedersen's DKG with joint Feldman VSS (spec §5).
//!
//! `n` trustees, any `t` of whom can decrypt. The rounds are typestates: each consumes the
//! previous secret state, keeps a secret package local and returns a public package to post on
//! the board. Everything posted is public, so an observer can re-run [`vartime_verify_ceremony`]
//! and obtain the same election key, verification keys and blame as the trustees.
//!
//! 1. [`start`]: trustee `i` picks a polynomial `fᵢ` of degree `t-1` and a transport key pair
//!    `(dᵢ, Eᵢ)`, and posts `Eᵢ`, the commitments `Cᵢₖ = aᵢₖ·G` and proofs of knowledge of `dᵢ`
//!    and `aᵢ₀`, bound to the session, its index and all its commitments (so that nobody can
//!    post a key that cancels another's after seeing it).
//! 2. [`Round1Secret::deal`]: after checking everyone's round-1 package, trustee `i` posts
//!    `fᵢ(j)` for every other trustee `j`, encrypted to `Eⱼ`.
//! 3. [`Round2Secret::check`]: trustee `j` decrypts its shares and checks each against the
//!    dealer's commitments; for a bad one it posts a complaint that discloses the decryption
//!    key of that one share with a proof, so anyone can check who lied.
//! 4. [`Round3Secret::finish`]: dealers with a justified complaint or a malformed package are
//!    disqualified; the election key is the sum of the qualified dealers' `C·₀`, and trustee
//!    `j`'s share is the sum of the qualified dealers' `f(j)`.
//!
//! We do not use `frost-ristretto255`'s DKG: it expects shares over private channels (we need
//! them encrypted through a public board), has no public complaint round, and hashes with its
//! own ciphersuite rather than transcripts bound to our election context (spec §5.6).

use core::fmt;

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{Identity, VartimeMultiscalarMul};
use merlin::Transcript;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use crate::elgamal::{mul_base, PublicKey, SecretScalar};
use crate::encoding::{PointBytes, ScalarBytes};
use crate::error::{CryptoError, Result, TrusteeIndex};
use crate::proofs::{DleqProof, SchnorrProof};
use crate::transcript::{context_transcript, TranscriptProtocol};

/// The most trustees a ceremony may have.
pub const MAX_TRUSTEES: u32 = 64;

/// `n` trustees, threshold `t`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DkgParameters {
    pub trustees: u32,
    pub threshold: u32,
}

impl DkgParameters {
    /// Checks `1 ≤ t ≤ n ≤ MAX_TRUSTEES`.
    pub fn new(trustees: u32, threshold: u32) -> Result<Self> {
        if threshold == 0 || threshold > trustees || trustees > MAX_TRUSTEES {
            return Err(CryptoError::InvalidParameter(
                "need 1 ≤ threshold ≤ trustees ≤ 64",
            ));
        }
        Ok(Self {
            trustees,
            threshold,
        })
    }

    fn validate(&self) -> Result<()> {
        Self::new(self.trustees, self.threshold).map(|_| ())
    }

    fn indices(&self) -> impl Iterator<Item = TrusteeIndex> {
        1..=self.trustees
    }

    fn check_index(&self, index: TrusteeIndex) -> Result<()> {
        if index == 0 || index > self.trustees {
            return Err(CryptoError::InvalidParameter("trustee index out of range"));
        }
        Ok(())
    }
}

/// A fresh transcript for one step of the ceremony, bound to the session context, the
/// parameters and the trustee who speaks.
fn step_transcript(
    context: &[u8],
    params: &DkgParameters,
    step: &'static [u8],
    from: TrusteeIndex,
) -> Transcript {
    let mut transcript = context_transcript(b"key-ceremony/v1", context);
    transcript.append_u64_le(b"trustees", u64::from(params.trustees));
    transcript.append_u64_le(b"threshold", u64::from(params.threshold));
    transcript.append_message(b"step", step);
    transcript.append_u64_le(b"from", u64::from(from));
    transcript
}

fn commitments_transcript(
    context: &[u8],
    params: &DkgParameters,
    from: TrusteeIndex,
    commitments: &[PointBytes],
) -> Transcript {
    let mut transcript = step_transcript(context, params, b"commitments", from);
    for c in commitments {
        transcript.append_point_bytes(b"commitment", c);
    }
    transcript
}

/// The pad that masks the share from `from` to `to`: a hash of the ECDH secret `S = e·E_to`.
fn share_pad(
    context: &[u8],
    params: &DkgParameters,
    from: TrusteeIndex,
    to: TrusteeIndex,
    ephemeral: &PointBytes,
    shared: &PointBytes,
) -> Scalar {
    let mut transcript = step_transcript(context, params, b"share-pad", from);
    transcript.append_u64_le(b"to", u64::from(to));
    transcript.append_point_bytes(b"ephemeral", ephemeral);
    transcript.append_point_bytes(b"shared", shared);
    transcript.challenge_scalar(b"pad")
}

/// `Σₖ Cₖ·xᵏ`: what `f(x)·G` must be (variable-time; public data).
fn vartime_eval_commitments(commitments: &[RistrettoPoint], x: TrusteeIndex) -> RistrettoPoint {
    let x = Scalar::from(u64::from(x));
    let mut power = Scalar::ONE;
    let powers: Vec<Scalar> = commitments
        .iter()
        .map(|_| {
            let p = power;
            power *= x;
            p
        })
        .collect();
    RistrettoPoint::vartime_multiscalar_mul(&powers, commitments)
}

/// Round 1, public: posted by every trustee.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Round1Package {
    pub from: TrusteeIndex,
    pub transport_key: PointBytes,
    pub transport_proof: SchnorrProof,
    pub commitments: Vec<PointBytes>,
    pub constant_proof: SchnorrProof,
}

/// A round-1 package that has been checked.
#[derive(Clone, Debug)]
struct ValidRound1 {
    transport_key: PublicKey,
    commitments: Vec<RistrettoPoint>,
}

fn validate_round1(
    params: &DkgParameters,
    context: &[u8],
    packages: &[Round1Package],
) -> Result<Vec<ValidRound1>> {
    params.validate()?;
    let mut valid = Vec::with_capacity(params.trustees as usize);
    for index in params.indices() {
        let mut matching = packages.iter().filter(|p| p.from == index);
        let package = matching.next().ok_or(CryptoError::Protocol {
            from: index,
            reason: "round-1 package missing",
        })?;
        if matching.next().is_some() {
            return Err(CryptoError::Misbehaviour {
                culprit: index,
                reason: "two round-1 packages",
            });
        }
        valid.push(check_round1_package(params, context, index, package)?);
    }
    if packages.len() != params.trustees as usize {
        return Err(CryptoError::InvalidParameter(
            "round-1 packages from unknown trustees",
        ));
    }
    Ok(valid)
}

/// Checks one trustee's round-1 package on its own (what a board does before it posts one, so
/// that a malformed package is refused instead of voiding the ceremony; spec/crypto.md §5.2).
pub fn verify_round1_package(
    params: &DkgParameters,
    context: &[u8],
    package: &Round1Package,
) -> Result<()> {
    params.validate()?;
    if package.from == 0 || package.from > params.trustees {
        return Err(CryptoError::InvalidParameter(
            "round-1 package from an unknown trustee",
        ));
    }
    check_round1_package(params, context, package.from, package).map(|_| ())
}

fn check_round1_package(
    params: &DkgParameters,
    context: &[u8],
    index: TrusteeIndex,
    package: &Round1Package,
) -> Result<ValidRound1> {
    let blame = |reason| CryptoError::Misbehaviour {
        culprit: index,
        reason,
    };
    if package.commitments.len() != params.threshold as usize {
        return Err(blame("wrong number of commitments"));
    }
    let transport_key = PublicKey::from_bytes(&package.transport_key)
        .map_err(|_| blame("invalid transport key"))?;
    package
        .transport_proof
        .verify(
            &mut step_transcript(context, params, b"transport-key", index),
            &transport_key,
        )
        .map_err(|_| blame("invalid proof of knowledge of the transport key"))?;
    let commitments = package
        .commitments
        .iter()
        .map(|c| c.decode("commitment"))
        .collect::<Result<Vec<_>>>()
        .map_err(|_| blame("invalid commitment"))?;
    let constant = PublicKey::from_bytes(&package.commitments[0])
        .map_err(|_| blame("invalid constant commitment"))?;
    package
        .constant_proof
        .verify(
            &mut commitments_transcript(context, params, index, &package.commitments),
            &constant,
        )
        .map_err(|_| blame("invalid proof of knowledge of the constant term"))?;
    Ok(ValidRound1 {
        transport_key,
        commitments,
    })
}

/// Round 1, secret: the polynomial and the transport key. Kept by the trustee.
pub struct Round1Secret {
    params: DkgParameters,
    index: TrusteeIndex,
    context: Vec<u8>,
    transport: SecretScalar,
    coefficients: Vec<SecretScalar>,
}

impl fmt::Debug for Round1Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Round1Secret")
            .field("params", &self.params)
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

/// Starts the ceremony for trustee `index` in the session `context`.
pub fn start<R: RngCore + CryptoRng>(
    params: DkgParameters,
    index: TrusteeIndex,
    context: &[u8],
    rng: &mut R,
) -> Result<(Round1Secret, Round1Package)> {
    params.validate()?;
    params.check_index(index)?;
    let secret = Round1Secret {
        params,
        index,
        context: context.to_vec(),
        transport: SecretScalar::random(rng),
        coefficients: (0..params.threshold)
            .map(|_| SecretScalar::random(rng))
            .collect(),
    };
    let package = secret.package(rng);
    Ok((secret, package))
}

impl Round1Secret {
    fn package<R: RngCore + CryptoRng>(&self, rng: &mut R) -> Round1Package {
        let transport_key = PublicKey::from_point(self.transport.public_point());
        let transport_proof = SchnorrProof::prove(
            &mut step_transcript(&self.context, &self.params, b"transport-key", self.index),
            &self.transport,
            &transport_key,
            rng,
        );
        let commitments: Vec<PointBytes> = self
            .coefficients
            .iter()
            .map(|a| PointBytes::from_point(&a.public_point()))
            .collect();
        let constant = PublicKey::from_point(self.coefficients[0].public_point());
        let constant_proof = SchnorrProof::prove(
            &mut commitments_transcript(&self.context, &self.params, self.index, &commitments),
            &self.coefficients[0],
            &constant,
            rng,
        );
        Round1Package {
            from: self.index,
            transport_key: transport_key.to_bytes(),
            transport_proof,
            commitments,
            constant_proof,
        }
    }

    /// `f(x)`, in constant time.
    fn eval(&self, x: TrusteeIndex) -> SecretScalar {
        let x = Scalar::from(u64::from(x));
        let mut acc = Scalar::ZERO;
        for a in self.coefficients.iter().rev() {
            acc = acc * x + a.expose_secret();
        }
        SecretScalar::from_scalar(acc)
    }

    /// Checks everyone's round-1 package and posts this trustee's encrypted shares.
    pub fn deal<R: RngCore + CryptoRng>(
        self,
        round1: &[Round1Package],
        rng: &mut R,
    ) -> Result<(Round2Secret, Round2Package)> {
        let secret = self.accept_round1(round1)?;
        let mut shares = Vec::with_capacity(secret.round1.len().saturating_sub(1));
        for to in secret
            .inner
            .params
            .indices()
            .filter(|&j| j != secret.inner.index)
        {
            let recipient = &secret.round1[(to - 1) as usize].transport_key;
            let share = secret.inner.eval(to);
            let ephemeral_secret = SecretScalar::random(rng);
            let ephemeral = PointBytes::from_point(&ephemeral_secret.public_point());
            let shared =
                PointBytes::from_point(&(recipient.point() * ephemeral_secret.expose_secret()));
            let pad = share_pad(
                &secret.inner.context,
                &secret.inner.params,
                secret.inner.index,
                to,
                &ephemeral,
                &shared,
            );
            let masked_share = ScalarBytes::from_scalar(&(share.expose_secret() + pad));
            shares.push(EncryptedShare {
                to,
                ephemeral,
                masked_share,
            });
        }
        let package = Round2Package {
            from: secret.inner.index,
            shares,
        };
        Ok((secret, package))
    }

    /// Checks everyone's round-1 package without dealing: to resume a trustee whose
    /// round-2 package is already on the board.
    pub fn accept_round1(self, round1: &[Round1Package]) -> Result<Round2Secret> {
        let valid = validate_round1(&self.params, &self.context, round1)?;
        let own = &valid[(self.index - 1) as usize];
        if own.transport_key.point() != &self.transport.public_point()
            || own.commitments.first() != Some(&self.coefficients[0].public_point())
        {
            return Err(CryptoError::Protocol {
                from: self.index,
                reason: "own round-1 package is not on the board",
            });
        }
        Ok(Round2Secret {
            inner: self,
            round1: valid,
        })
    }

    /// Exports the secret state to the trustee's own state file (between rounds).
    pub fn export_state_file(&self) -> DkgStateFile {
        DkgStateFile {
            params: self.params,
            index: self.index,
            context: hex::encode(&self.context),
            transport: ScalarBytes::from_scalar(self.transport.expose_secret()),
            coefficients: self
                .coefficients
                .iter()
                .map(|a| ScalarBytes::from_scalar(a.expose_secret()))
                .collect(),
        }
    }

    /// Imports the secret state from the trustee's own state file.
    pub fn import_state_file(file: &DkgStateFile) -> Result<Self> {
        file.params.validate()?;
        file.params.check_index(file.index)?;
        if file.coefficients.len() != file.params.threshold as usize {
            return Err(CryptoError::Malformed {
                field: "state file",
                reason: "wrong number of coefficients",
            });
        }
        let context = hex::decode(&file.context).map_err(|_| CryptoError::Malformed {
            field: "state file",
            reason: "context is not hex",
        })?;
        Ok(Self {
            params: file.params,
            index: file.index,
            context,
            transport: SecretScalar::from_scalar(file.transport.decode("transport secret")?),
            coefficients: file
                .coefficients
                .iter()
                .map(|a| a.decode("coefficient").map(SecretScalar::from_scalar))
                .collect::<Result<_>>()?,
        })
    }

    /// The round-1 package again (same keys, fresh proofs), e.g. after a crash before posting.
    pub fn round1_package<R: RngCore + CryptoRng>(&self, rng: &mut R) -> Round1Package {
        self.package(rng)
    }
}

/// A trustee's secret ceremony state as written to its own file. Never send it anywhere.
#[derive(Clone, Serialize, Deserialize)]
pub struct DkgStateFile {
    pub params: DkgParameters,
    pub index: TrusteeIndex,
    pub context: String,
    pub transport: ScalarBytes,
    pub coefficients: Vec<ScalarBytes>,
}

impl fmt::Debug for DkgStateFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DkgStateFile")
            .field("params", &self.params)
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

impl Drop for DkgStateFile {
    fn drop(&mut self) {
        self.transport.0.zeroize();
        for c in &mut self.coefficients {
            c.0.zeroize();
        }
    }
}

/// One share, encrypted to its recipient: `(e·G, f(to) + H(e·E_to))`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncryptedShare {
    pub to: TrusteeIndex,
    pub ephemeral: PointBytes,
    pub masked_share: ScalarBytes,
}

/// Round 2, public: a dealer's encrypted shares for every other trustee.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Round2Package {
    pub from: TrusteeIndex,
    pub shares: Vec<EncryptedShare>,
}

/// The decoded shares of a well-formed round-2 package, by recipient.
struct ValidRound2 {
    shares: Vec<Option<(RistrettoPoint, Scalar, PointBytes)>>,
}

/// Structural checks anyone can make; `Err(reason)` disqualifies the dealer.
fn validate_round2(
    params: &DkgParameters,
    dealer: TrusteeIndex,
    packages: &[Round2Package],
) -> Result<ValidRound2, &'static str> {
    let mut matching = packages.iter().filter(|p| p.from == dealer);
    let package = matching.next().ok_or("posted no shares")?;
    if matching.next().is_some() {
        return Err("posted two round-2 packages");
    }
    if package.shares.len() != params.trustees as usize - 1 {
        return Err("posted the wrong number of shares");
    }
    let mut shares = vec![None; params.trustees as usize];
    for share in &package.shares {
        if share.to == 0 || share.to > params.trustees || share.to == dealer {
            return Err("posted a share for an unknown recipient");
        }
        let slot = &mut shares[(share.to - 1) as usize];
        if slot.is_some() {
            return Err("posted two shares for one recipient");
        }
        let ephemeral = share
            .ephemeral
            .decode_nonidentity("ephemeral")
            .map_err(|_| "posted an invalid ephemeral key")?;
        let masked = share
            .masked_share
            .decode("masked share")
            .map_err(|_| "posted a non-canonical share")?;
        *slot = Some((ephemeral, masked, share.ephemeral));
    }
    Ok(ValidRound2 { shares })
}

/// Round 2, secret: round 1 plus everyone's checked commitments.
pub struct Round2Secret {
    inner: Round1Secret,
    round1: Vec<ValidRound1>,
}

impl fmt::Debug for Round2Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Round2Secret")
            .field("index", &self.inner.index)
            .finish_non_exhaustive()
    }
}

/// A complaint against a dealer whose share did not match its commitments. It discloses the
/// ECDH secret of that one share, `S = d·P`, with a proof that `log_G E = log_P S`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Complaint {
    pub against: TrusteeIndex,
    pub shared_secret: PointBytes,
    pub proof: DleqProof,
}

/// Round 3, public: a trustee's complaints (none means: all my shares were good).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Round3Package {
    pub from: TrusteeIndex,
    pub complaints: Vec<Complaint>,
}

fn complaint_transcript(
    context: &[u8],
    params: &DkgParameters,
    from: TrusteeIndex,
    against: TrusteeIndex,
) -> Transcript {
    let mut transcript = step_transcript(context, params, b"complaint", from);
    transcript.append_u64_le(b"against", u64::from(against));
    transcript
}

impl Round2Secret {
    /// Decrypts and checks the shares dealt to this trustee; complains about bad ones.
    pub fn check<R: RngCore + CryptoRng>(
        self,
        round2: &[Round2Package],
        rng: &mut R,
    ) -> Result<(Round3Secret, Round3Package)> {
        let me = self.inner.index;
        let params = self.inner.params;
        let mut received = Vec::new();
        let mut complaints = Vec::new();
        for dealer in params.indices().filter(|&j| j != me) {
            // A malformed package is public: everyone disqualifies the dealer without a complaint.
            let Ok(valid) = validate_round2(&params, dealer, round2) else {
                continue;
            };
            let Some((ephemeral, masked, ephemeral_bytes)) = valid.shares[(me - 1) as usize] else {
                continue;
            };
            let shared =
                PointBytes::from_point(&(ephemeral * self.inner.transport.expose_secret()));
            let pad = share_pad(
                &self.inner.context,
                &params,
                dealer,
                me,
                &ephemeral_bytes,
                &shared,
            );
            let share = SecretScalar::from_scalar(masked - pad);
            let expected =
                vartime_eval_commitments(&self.round1[(dealer - 1) as usize].commitments, me);
            if share.public_point() == expected {
                received.push((dealer, share));
            } else {
                let own_key = &self.round1[(me - 1) as usize].transport_key;
                let (shared_secret, proof) = DleqProof::prove(
                    &mut complaint_transcript(&self.inner.context, &params, me, dealer),
                    &self.inner.transport,
                    own_key,
                    &ephemeral,
                    rng,
                );
                complaints.push(Complaint {
                    against: dealer,
                    shared_secret,
                    proof,
                });
            }
        }
        let package = Round3Package {
            from: me,
            complaints,
        };
        Ok((
            Round3Secret {
                inner: self,
                received,
            },
            package,
        ))
    }
}

/// Round 3, secret: the shares received and checked.
pub struct Round3Secret {
    inner: Round2Secret,
    received: Vec<(TrusteeIndex, SecretScalar)>,
}

impl fmt::Debug for Round3Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Round3Secret")
            .field("index", &self.inner.inner.index)
            .finish_non_exhaustive()
    }
}

/// Every public message of a ceremony, as posted on the board.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CeremonyTranscript {
    pub round1: Vec<Round1Package>,
    pub round2: Vec<Round2Package>,
    pub round3: Vec<Round3Package>,
}

/// Why a trustee was blamed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blame {
    pub culprit: TrusteeIndex,
    pub reason: String,
    /// Whether the culprit was removed from the qualified dealers.
    pub disqualified: bool,
}

/// What a ceremony produced, recomputable by anyone from its public messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CeremonyOutcome {
    pub params: DkgParameters,
    /// The joint election key `K = Σ_{j∈QUAL} Cⱼ₀`.
    pub election_key: PublicKey,
    /// The dealers whose polynomials make up the key.
    pub qualified: Vec<TrusteeIndex>,
    /// `Xᵢ = xᵢ·G` for trustee `i` at position `i-1`.
    pub verification_keys: Vec<PublicKey>,
    pub blame: Vec<Blame>,
}

impl CeremonyOutcome {
    /// Trustee `i`'s verification key.
    pub fn verification_key(&self, index: TrusteeIndex) -> Option<PublicKey> {
        index
            .checked_sub(1)
            .and_then(|i| self.verification_keys.get(i as usize))
            .copied()
    }
}

/// Checks a whole ceremony from its public messages and computes its outcome (spec §5.5).
///
/// A bad round-1 package voids the ceremony (an error naming the culprit: restart without
/// it). Bad shares only disqualify their dealer, and the ceremony completes with the others.
pub fn vartime_verify_ceremony(
    params: &DkgParameters,
    context: &[u8],
    transcript: &CeremonyTranscript,
) -> Result<CeremonyOutcome> {
    let round1 = validate_round1(params, context, &transcript.round1)?;
    let mut disqualified = vec![false; params.trustees as usize];
    let mut blame = Vec::new();
    let mut round2 = Vec::with_capacity(params.trustees as usize);
    for dealer in params.indices() {
        match validate_round2(params, dealer, &transcript.round2) {
            Ok(valid) => round2.push(Some(valid)),
            Err(reason) => {
                disqualified[(dealer - 1) as usize] = true;
                blame.push(Blame {
                    culprit: dealer,
                    reason: reason.into(),
                    disqualified: true,
                });
                round2.push(None);
            }
        }
    }
    if transcript
        .round2
        .iter()
        .any(|p| p.from == 0 || p.from > params.trustees)
    {
        return Err(CryptoError::InvalidParameter(
            "round-2 package from an unknown trustee",
        ));
    }
    for complainer in params.indices() {
        let mut matching = transcript.round3.iter().filter(|p| p.from == complainer);
        let package = matching.next().ok_or(CryptoError::Protocol {
            from: complainer,
            reason: "round-3 package missing",
        })?;
        if matching.next().is_some() {
            return Err(CryptoError::Misbehaviour {
                culprit: complainer,
                reason: "two round-3 packages",
            });
        }
        let complainer_key = &round1[(complainer - 1) as usize].transport_key;
        for (k, complaint) in package.complaints.iter().enumerate() {
            let against = complaint.against;
            let false_complaint = |reason: &str| Blame {
                culprit: complainer,
                reason: reason.into(),
                disqualified: false,
            };
            if against == 0 || against > params.trustees || against == complainer {
                blame.push(false_complaint("complained about an unknown trustee"));
                continue;
            }
            if package.complaints[..k].iter().any(|c| c.against == against) {
                blame.push(false_complaint("complained twice about one dealer"));
                continue;
            }
            let Some(valid) = &round2[(against - 1) as usize] else {
                // The dealer is already disqualified for a malformed package.
                continue;
            };
            let Some((ephemeral, masked, ephemeral_bytes)) =
                valid.shares[(complainer - 1) as usize]
            else {
                continue;
            };
            let mut t = complaint_transcript(context, params, complainer, against);
            if complaint
                .proof
                .verify(&mut t, complainer_key, &ephemeral, &complaint.shared_secret)
                .is_err()
            {
                blame.push(false_complaint("complaint with an invalid proof"));
                continue;
            }
            let pad = share_pad(
                context,
                params,
                against,
                complainer,
                &ephemeral_bytes,
                &complaint.shared_secret,
            );
            let share = masked - pad;
            let expected =
                vartime_eval_commitments(&round1[(against - 1) as usize].commitments, complainer);
            if mul_base(&share) == expected {
                blame.push(false_complaint("complained about a valid share"));
            } else if !disqualified[(against - 1) as usize] {
                disqualified[(against - 1) as usize] = true;
                blame.push(Blame {
                    culprit: against,
                    reason: format!("dealt trustee {complainer} an invalid share"),
                    disqualified: true,
                });
            }
        }
    }
    if transcript.round3.len() != params.trustees as usize {
        return Err(CryptoError::InvalidParameter(
            "round-3 packages from unknown trustees",
        ));
    }
    let qualified: Vec<TrusteeIndex> = params
        .indices()
        .filter(|&j| !disqualified[(j - 1) as usize])
        .collect();
    if qualified.is_empty() {
        return Err(CryptoError::InvalidParameter(
            "every dealer was disqualified",
        ));
    }
    // Σ over qualified dealers of each coefficient commitment, then Xᵢ = Σₖ Cₖ·iᵏ.
    let mut joint = vec![RistrettoPoint::identity(); params.threshold as usize];
    for &j in &qualified {
        for (acc, c) in joint.iter_mut().zip(&round1[(j - 1) as usize].commitments) {
            *acc += c;
        }
    }
    let election_key = PublicKey::from_point(joint[0]);
    if election_key.point() == &RistrettoPoint::identity() {
        return Err(CryptoError::InvalidParameter(
            "the joint key is the identity",
        ));
    }
    let verification_keys = params
        .indices()
        .map(|i| PublicKey::from_point(vartime_eval_commitments(&joint, i)))
        .collect();
    Ok(CeremonyOutcome {
        params: *params,
        election_key,
        qualified,
        verification_keys,
        blame,
    })
}

impl Round3Secret {
    /// Reads the complaints, computes the outcome and this trustee's key share.
    pub fn finish(self, transcript: &CeremonyTranscript) -> Result<(KeyShare, CeremonyOutcome)> {
        let round1 = &self.inner.inner;
        let outcome = vartime_verify_ceremony(&round1.params, &round1.context, transcript)?;
        let mut secret = Scalar::ZERO;
        for &dealer in &outcome.qualified {
            if dealer == round1.index {
                secret += round1.eval(round1.index).expose_secret();
            } else {
                let share = self
                    .received
                    .iter()
                    .find(|(from, _)| *from == dealer)
                    .ok_or(CryptoError::Protocol {
                        from: dealer,
                        reason: "no valid share from a qualified dealer",
                    })?;
                secret += share.1.expose_secret();
            }
        }
        let secret = SecretScalar::from_scalar(secret);
        let verification_key = outcome
            .verification_key(round1.index)
            .ok_or(CryptoError::InvalidParameter("trustee index out of range"))?;
        if &secret.public_point() != verification_key.point() {
            return Err(CryptoError::Protocol {
                from: round1.index,
                reason: "key share does not match its verification key",
            });
        }
        let share = KeyShare {
            params: round1.params,
            index: round1.index,
            secret,
            verification_key,
            election_key: outcome.election_key,
        };
        Ok((share, outcome))
    }
}

/// A trustee's share `xᵢ` of the election secret, with the public keys it belongs to.
#[derive(Clone)]
pub struct KeyShare {
    params: DkgParameters,
    index: TrusteeIndex,
    secret: SecretScalar,
    verification_key: PublicKey,
    election_key: PublicKey,
}

impl fmt::Debug for KeyShare {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyShare")
            .field("index", &self.index)
            .field("verification_key", &self.verification_key)
            .field("election_key", &self.election_key)
            .field("secret", &"<redacted>")
            .finish()
    }
}

impl KeyShare {
    /// The trustee's index.
    pub fn index(&self) -> TrusteeIndex {
        self.index
    }

    /// The ceremony's parameters.
    pub fn params(&self) -> DkgParameters {
        self.params
    }

    /// `Xᵢ = xᵢ·G`.
    pub fn verification_key(&self) -> &PublicKey {
        &self.verification_key
    }

    /// The joint election key.
    pub fn election_key(&self) -> &PublicKey {
        &self.election_key
    }

    pub(crate) fn secret(&self) -> &SecretScalar {
        &self.secret
    }

    /// Builds a share from a secret held elsewhere (tests, dealer-based set-ups). Checks that
    /// the secret matches the verification key.
    pub fn from_secret(
        params: DkgParameters,
        index: TrusteeIndex,
        secret: SecretScalar,
        election_key: PublicKey,
    ) -> Result<Self> {
        params.validate()?;
        params.check_index(index)?;
        let verification_key = PublicKey::from_point(secret.public_point());
        Ok(Self {
            params,
            index,
            secret,
            verification_key,
            election_key,
        })
    }

    /// Exports the share to the trustee's own key file.
    pub fn export_key_file(&self) -> KeyShareFile {
        KeyShareFile {
            params: self.params,
            index: self.index,
            secret: ScalarBytes::from_scalar(self.secret.expose_secret()),
            verification_key: self.verification_key.to_bytes(),
            election_key: self.election_key.to_bytes(),
        }
    }

    /// Imports a share from the trustee's own key file, checking it is consistent.
    pub fn import_key_file(file: &KeyShareFile) -> Result<Self> {
        let secret = SecretScalar::from_scalar(file.secret.decode("key share")?);
        let election_key = PublicKey::from_bytes(&file.election_key)?;
        let share = Self::from_secret(file.params, file.index, secret, election_key)?;
        if share.verification_key.to_bytes() != file.verification_key {
            return Err(CryptoError::Malformed {
                field: "key file",
                reason: "secret does not match the verification key",
            });
        }
        Ok(share)
    }
}

/// A key share as written to the trustee's own key file. Never send it anywhere.
#[derive(Clone, Serialize, Deserialize)]
pub struct KeyShareFile {
    pub params: DkgParameters,
    pub index: TrusteeIndex,
    pub secret: ScalarBytes,
    pub verification_key: PointBytes,
    pub election_key: PointBytes,
}

impl fmt::Debug for KeyShareFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyShareFile")
            .field("index", &self.index)
            .field("verification_key", &self.verification_key)
            .finish_non_exhaustive()
    }
}

impl Drop for KeyShareFile {
    fn drop(&mut self) {
        self.secret.0.zeroize();
    }
}
