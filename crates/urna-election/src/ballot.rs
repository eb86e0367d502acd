//! Ballots: encryption in the booth, Benaloh audits, verification at the board
//! (spec/record.md §5).

use core::fmt;

use data_encoding::BASE32_NOPAD;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use urna_crypto::transcript::{context_transcript, TranscriptProtocol};
use urna_crypto::{
    BatchVerifier, Ciphertext, CiphertextBytes, CredentialSignature, CryptoError, Digest32,
    EachEquation, EncodedCiphertext, EncryptionKey, Equations, Nonce, PointBytes, PrecomputedKey,
    PublicKey, RangeProof, ScalarBytes, SumProof, Transcript,
};

use crate::credential::{CredentialKey, ValidCredentials};
use crate::error::{ElectionError, Result};
use crate::hash::Hasher;
use crate::manifest::{Contest, ElectionManifest};

/// The ballot format this code writes and reads.
pub const BALLOT_VERSION: u64 = 1;

/// What a ballot is cast in: the election's manifest, key and fingerprint.
#[derive(Clone, Debug)]
pub struct ElectionContext {
    pub manifest: ElectionManifest,
    /// Hash of the board's setup event: what credentials are derived against.
    pub setup_hash: Digest32,
    pub election_key: PublicKey,
    pub fingerprint: Digest32,
}

/// One option's encrypted value and its range proof.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selection {
    pub ciphertext: CiphertextBytes,
    pub proof: RangeProof,
}

/// One contest: a selection per option (blank last, if offered) and the proof of its limits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContestBallot {
    pub selections: Vec<Selection>,
    pub sum_proof: SumProof,
}

/// A cast ballot, as sent to the board.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ballot {
    pub version: u64,
    /// The fingerprint of the election it is cast in.
    pub election: Digest32,
    /// The public credential it is signed under.
    pub credential: PointBytes,
    pub contests: Vec<ContestBallot>,
    pub signature: CredentialSignature,
}

/// A short, human-friendly code that identifies a ballot on the board: 80 bits of the
/// ballot hash in base32, in groups of four.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TrackingCode(pub String);

impl TrackingCode {
    /// The code of a ballot hash.
    pub fn from_hash(hash: &Digest32) -> Self {
        let text = BASE32_NOPAD.encode(&hash.0[..10]);
        let groups: Vec<&str> = text
            .as_bytes()
            .chunks(4)
            .filter_map(|c| core::str::from_utf8(c).ok())
            .collect();
        Self(groups.join("-"))
    }

    /// Normalises what a voter typed (case, spaces, missing dashes).
    pub fn parse(text: &str) -> Option<Self> {
        let cleaned: String = text
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if cleaned.len() != 16 || BASE32_NOPAD.decode(cleaned.as_bytes()).is_err() {
            return None;
        }
        let groups: Vec<&str> = cleaned
            .as_bytes()
            .chunks(4)
            .filter_map(|c| core::str::from_utf8(c).ok())
            .collect();
        Some(Self(groups.join("-")))
    }
}

impl fmt::Display for TrackingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn hash_branches(hasher: &mut Hasher, branches: &[urna_crypto::proofs::Branch]) {
    hasher.u64(branches.len() as u64);
    for b in branches {
        hasher
            .bytes(b.a.as_bytes())
            .bytes(b.b.as_bytes())
            .bytes(b.c.as_bytes())
            .bytes(b.z.as_bytes());
    }
}

impl Ballot {
    /// The hash the voter's credential signs: everything but the signature.
    pub fn content_hash(&self) -> Digest32 {
        let mut hasher = Hasher::new("urna/ballot-content/v1");
        hasher
            .u64(self.version)
            .bytes(self.election.as_bytes())
            .bytes(self.credential.as_bytes());
        hasher.u64(self.contests.len() as u64);
        for contest in &self.contests {
            hasher.u64(contest.selections.len() as u64);
            for selection in &contest.selections {
                hasher.bytes(selection.ciphertext.as_bytes());
                hash_branches(&mut hasher, selection.proof.branches());
            }
            hash_branches(&mut hasher, contest.sum_proof.branches());
        }
        hasher.finish()
    }

    /// The ballot's hash, signature included.
    pub fn hash(&self) -> Digest32 {
        self.hash_given_content(&self.content_hash())
    }

    fn hash_given_content(&self, content_hash: &Digest32) -> Digest32 {
        let (r, z) = self.signature.parts();
        let mut hasher = Hasher::new("urna/ballot/v1");
        hasher
            .bytes(content_hash.as_bytes())
            .bytes(r.as_bytes())
            .bytes(z.as_bytes());
        hasher.finish()
    }

    /// The tracking code shown to the voter.
    pub fn tracking_code(&self) -> TrackingCode {
        TrackingCode::from_hash(&self.hash())
    }
}

fn selection_transcript(
    fingerprint: &Digest32,
    credential: &PointBytes,
    contest: usize,
    option: usize,
) -> Transcript {
    let mut t = context_transcript(b"ballot/v1", fingerprint.as_bytes());
    t.append_point_bytes(b"credential", credential);
    t.append_u64_le(b"contest", contest as u64);
    t.append_u64_le(b"selection", option as u64);
    t
}

fn contest_transcript(
    fingerprint: &Digest32,
    credential: &PointBytes,
    contest: usize,
) -> Transcript {
    let mut t = context_transcript(b"ballot/v1", fingerprint.as_bytes());
    t.append_point_bytes(b"credential", credential);
    t.append_u64_le(b"contest", contest as u64);
    t.append_message(b"selection", b"sum");
    t
}

fn signature_transcript(fingerprint: &Digest32) -> Transcript {
    context_transcript(b"ballot-signature/v1", fingerprint.as_bytes())
}

/// The ciphertexts the sum proof is about: the blank selection counts `blank_weight` times.
fn sum_terms(contest: &Contest, ciphertexts: &[Ciphertext]) -> Vec<Ciphertext> {
    let rules = contest.rules();
    let weight = rules.blank_weight();
    ciphertexts
        .iter()
        .enumerate()
        .map(|(i, ct)| {
            if rules.blank && i == contest.options.len() && weight != 1 {
                ct.mul_weight(weight)
            } else {
                *ct
            }
        })
        .collect()
}

/// One selection's plaintext and randomness: kept by the booth until cast or audit.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Opening {
    pub value: u64,
    pub nonce: ScalarBytes,
}

impl fmt::Debug for Opening {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Opening(<redacted>)")
    }
}

/// A ballot just encrypted in the booth: it can be cast or audited, not both.
pub struct EncryptedBallot {
    ballot: Ballot,
    openings: Vec<Vec<(u64, Nonce)>>,
}

impl fmt::Debug for EncryptedBallot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncryptedBallot")
            .field("tracking_code", &self.ballot.tracking_code())
            .finish_non_exhaustive()
    }
}

impl EncryptedBallot {
    /// The ballot (what would be sent), for showing its tracking code before the choice.
    pub fn ballot(&self) -> &Ballot {
        &self.ballot
    }

    /// Casts: forgets the randomness and hands over the ballot to send.
    pub fn cast(self) -> Ballot {
        self.ballot
    }

    /// Audits (Benaloh challenge): reveals the randomness. Consumes the ballot, so this
    /// ballot can never be cast.
    pub fn audit(self) -> AuditedBallot {
        let openings = self
            .openings
            .iter()
            .map(|contest| {
                contest
                    .iter()
                    .map(|(value, nonce)| Opening {
                        value: *value,
                        nonce: nonce.reveal(),
                    })
                    .collect()
            })
            .collect();
        AuditedBallot {
            ballot: self.ballot,
            openings,
        }
    }
}

/// Encrypts, proves and signs a vote: one value per selection, per contest (blank last).
///
/// Multiplies by the election key variable-base: building a [`PrecomputedKey`] for one ballot
/// costs more than it saves for ordinary ballots. A booth builds the table once per session
/// and calls [`encrypt_ballot_with`]: same ballot, faster prover.
pub fn encrypt_ballot<R: RngCore + CryptoRng>(
    context: &ElectionContext,
    credential: &CredentialKey,
    votes: &[Vec<u64>],
    rng: &mut R,
) -> Result<EncryptedBallot> {
    encrypt_ballot_under(context, &context.election_key, credential, votes, rng)
}

/// [`encrypt_ballot`] with the election key's table built once by the caller (the booth
/// builds it per session): every multiplication by the election key is a fixed-base one. The
/// ballot is byte for byte the one [`encrypt_ballot`] makes from the same `rng`.
/// `key` must be the table of `context.election_key`.
pub fn encrypt_ballot_with<R: RngCore + CryptoRng>(
    context: &ElectionContext,
    key: &PrecomputedKey,
    credential: &CredentialKey,
    votes: &[Vec<u64>],
    rng: &mut R,
) -> Result<EncryptedBallot> {
    if *key.public_key() != context.election_key {
        return Err(
            CryptoError::InvalidParameter("the precomputed key is not the election's key").into(),
        );
    }
    encrypt_ballot_under(context, key, credential, votes, rng)
}

/// Encrypts, proves and signs under `key`, which is `context.election_key` or its table.
fn encrypt_ballot_under<K: EncryptionKey + ?Sized, R: RngCore + CryptoRng>(
    context: &ElectionContext,
    key: &K,
    credential: &CredentialKey,
    votes: &[Vec<u64>],
    rng: &mut R,
) -> Result<EncryptedBallot> {
    let manifest = &context.manifest;
    if votes.len() != manifest.contests.len() {
        return Err(ElectionError::InvalidVote {
            contest: votes.len(),
            reason: "wrong number of contests".into(),
        });
    }
    let credential_bytes = credential.public().to_bytes();
    let mut contests = Vec::with_capacity(votes.len());
    let mut openings = Vec::with_capacity(votes.len());
    for (c, (contest, values)) in manifest.contests.iter().zip(votes).enumerate() {
        contest.check_vote(c, values)?;
        let rules = contest.rules();
        let mut selections = Vec::with_capacity(values.len());
        let mut ciphertexts = Vec::with_capacity(values.len());
        let mut contest_openings = Vec::with_capacity(values.len());
        for (i, &value) in values.iter().enumerate() {
            // Encoded once, for the proof's transcript and the ballot alike.
            let (ct, nonce) = EncodedCiphertext::encrypt(key, value, rng);
            let mut t = selection_transcript(&context.fingerprint, &credential_bytes, c, i);
            let proof = RangeProof::prove_encoded(
                &mut t,
                key,
                &ct,
                value,
                &nonce,
                0..=rules.selection_max(i, contest.options.len()),
                rng,
            )?;
            selections.push(Selection {
                ciphertext: *ct.bytes(),
                proof,
            });
            ciphertexts.push(*ct.ciphertext());
            contest_openings.push((value, nonce));
        }
        // The sum proof's witness: the weighted total and the weighted nonce sum.
        let blank_index = contest.options.len();
        let weight_of = |i: usize| {
            if rules.blank && i == blank_index {
                rules.blank_weight()
            } else {
                1
            }
        };
        let total: u64 = values
            .iter()
            .enumerate()
            .map(|(i, v)| v * weight_of(i))
            .sum();
        let weighted_nonces: Vec<Nonce> = contest_openings
            .iter()
            .enumerate()
            .map(|(i, (_, n))| n.scale(weight_of(i)))
            .collect();
        let total_nonce = Nonce::sum(&weighted_nonces);
        let mut t = contest_transcript(&context.fingerprint, &credential_bytes, c);
        let sum_proof = SumProof::prove(
            &mut t,
            key,
            &sum_terms(contest, &ciphertexts),
            total,
            &total_nonce,
            rules.total_min..=rules.total_max,
            rng,
        )?;
        contests.push(ContestBallot {
            selections,
            sum_proof,
        });
        openings.push(contest_openings);
    }
    let mut ballot = Ballot {
        version: BALLOT_VERSION,
        election: context.fingerprint,
        credential: credential_bytes,
        contests,
        signature: CredentialSignature::from_parts(PointBytes([0; 32]), ScalarBytes([0; 32])),
    };
    let message = ballot.content_hash();
    ballot.signature = CredentialSignature::sign(
        &mut signature_transcript(&context.fingerprint),
        &credential.secret,
        &credential.public,
        message.as_bytes(),
        rng,
    );
    Ok(EncryptedBallot { ballot, openings })
}

/// A ballot whose randomness was revealed for a Benaloh audit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditedBallot {
    pub ballot: Ballot,
    pub openings: Vec<Vec<Opening>>,
}

impl AuditedBallot {
    /// Checks that the ballot is valid and encrypts exactly the revealed values; returns them
    /// (per contest, per selection) for the voter to compare with what they chose.
    pub fn verify(&self, context: &ElectionContext) -> Result<Vec<Vec<u64>>> {
        let verified = verify_ballot_unlisted(context, &self.ballot)?;
        let fail = |reason: &str| ElectionError::Ballot {
            check: "audit.opening",
            reason: reason.into(),
        };
        if self.openings.len() != verified.ciphertexts.len() {
            return Err(fail("wrong number of contests"));
        }
        let mut values = Vec::with_capacity(self.openings.len());
        for (openings, ciphertexts) in self.openings.iter().zip(&verified.ciphertexts) {
            if openings.len() != ciphertexts.len() {
                return Err(fail("wrong number of selections"));
            }
            let mut contest_values = Vec::with_capacity(openings.len());
            for (opening, ct) in openings.iter().zip(ciphertexts) {
                let nonce =
                    Nonce::from_revealed(&opening.nonce).map_err(|_| fail("invalid randomness"))?;
                if Ciphertext::encrypt_with_nonce(&context.election_key, opening.value, &nonce)
                    != *ct
                {
                    return Err(fail("a ciphertext does not encrypt the revealed value"));
                }
                contest_values.push(opening.value);
            }
            values.push(contest_values);
        }
        Ok(values)
    }
}

/// A ballot whose every proof and signature held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedBallot {
    pub credential: PointBytes,
    pub weight: u64,
    /// What the credential signed: the same for a ballot and a re-signed copy of it.
    pub content_hash: Digest32,
    pub hash: Digest32,
    /// Decoded ciphertexts, per contest, per selection: ready to be added to the tally.
    pub ciphertexts: Vec<Vec<Ciphertext>>,
}

fn reject(check: &'static str, reason: impl Into<String>) -> ElectionError {
    ElectionError::Ballot {
        check,
        reason: reason.into(),
    }
}

/// Checks shape, eligibility and decodes; sends every proof's equations to `equations`.
fn verify_ballot_with(
    context: &ElectionContext,
    credential_key: &PublicKey,
    weight: u64,
    ballot: &Ballot,
    equations: &mut impl Equations,
) -> Result<VerifiedBallot> {
    if ballot.version != BALLOT_VERSION {
        return Err(reject(
            "ballot.version",
            format!("unsupported ballot version {}", ballot.version),
        ));
    }
    if ballot.election != context.fingerprint {
        return Err(reject(
            "ballot.election",
            "the ballot was made for another election",
        ));
    }
    let manifest = &context.manifest;
    if ballot.contests.len() != manifest.contests.len() {
        return Err(reject("ballot.shape", "wrong number of contests"));
    }
    let key = &context.election_key;
    let mut ciphertexts = Vec::with_capacity(ballot.contests.len());
    for (c, (contest, contest_ballot)) in manifest.contests.iter().zip(&ballot.contests).enumerate()
    {
        if contest_ballot.selections.len() != contest.selection_count() {
            return Err(reject(
                "ballot.shape",
                format!("contest {c}: wrong number of selections"),
            ));
        }
        let rules = contest.rules();
        let mut decoded = Vec::with_capacity(contest_ballot.selections.len());
        for (i, selection) in contest_ballot.selections.iter().enumerate() {
            let mut t = selection_transcript(&context.fingerprint, &ballot.credential, c, i);
            let range = 0..=rules.selection_max(i, contest.options.len());
            let ct = selection
                .proof
                .verify_with(&mut t, key, &selection.ciphertext, range, equations)
                .map_err(|e| {
                    reject(
                        "ballot.selection-proof",
                        format!("contest {c}, selection {i}: {e}"),
                    )
                })?;
            decoded.push(ct);
        }
        let mut t = contest_transcript(&context.fingerprint, &ballot.credential, c);
        contest_ballot
            .sum_proof
            .verify_with(
                &mut t,
                key,
                &sum_terms(contest, &decoded),
                rules.total_min..=rules.total_max,
                equations,
            )
            .map_err(|e| reject("ballot.contest-limits", format!("contest {c}: {e}")))?;
        ciphertexts.push(decoded);
    }
    let content_hash = ballot.content_hash();
    ballot
        .signature
        .verify_with(
            &mut signature_transcript(&context.fingerprint),
            credential_key,
            content_hash.as_bytes(),
            equations,
        )
        .map_err(|e| reject("ballot.signature", e.to_string()))?;
    Ok(VerifiedBallot {
        credential: ballot.credential,
        weight,
        content_hash,
        hash: ballot.hash_given_content(&content_hash),
        ciphertexts,
    })
}

/// Verifies a ballot's proofs and signature without an eligibility list (audits; the
/// credential must still be a valid key).
fn verify_ballot_unlisted(context: &ElectionContext, ballot: &Ballot) -> Result<VerifiedBallot> {
    let key = PublicKey::from_bytes(&ballot.credential)
        .map_err(|e| reject("ballot.credential", e.to_string()))?;
    verify_ballot_with(context, &key, 1, ballot, &mut EachEquation)
}

fn lookup_credential(credentials: &ValidCredentials, ballot: &Ballot) -> Result<(PublicKey, u64)> {
    credentials.get(&ballot.credential).ok_or_else(|| {
        reject(
            "ballot.credential",
            "the credential is not on the election's list",
        )
    })
}

/// Verifies one ballot, checking each equation on its own (the plain verifier).
pub fn verify_ballot(
    context: &ElectionContext,
    credentials: &ValidCredentials,
    ballot: &Ballot,
) -> Result<VerifiedBallot> {
    let (key, weight) = lookup_credential(credentials, ballot)?;
    verify_ballot_with(context, &key, weight, ballot, &mut EachEquation)
}

/// Verifies many ballots with one batch; if the batch fails, falls back to checking each
/// ballot on its own so the error names the ballot and the proof at fault. The results come
/// back in order.
pub fn verify_ballots_batched<R: RngCore + CryptoRng>(
    context: &ElectionContext,
    credentials: &ValidCredentials,
    ballots: &[&Ballot],
    rng: &mut R,
) -> Vec<Result<VerifiedBallot>> {
    let mut batch = BatchVerifier::new(rng);
    let pending: Vec<Result<VerifiedBallot>> = ballots
        .iter()
        .map(|ballot| {
            let (key, weight) = lookup_credential(credentials, ballot)?;
            verify_ballot_with(context, &key, weight, ballot, &mut batch)
        })
        .collect();
    if batch.vartime_verify().is_ok() {
        return pending;
    }
    pending
        .into_iter()
        .zip(ballots)
        .map(|(result, ballot)| result.and_then(|_| verify_ballot(context, credentials, ballot)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credential::CredentialSecret;
    use crate::simulate::random_vote;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;
    use urna_crypto::SecretKey;

    fn context(rng: &mut ChaCha20Rng) -> ElectionContext {
        let manifest = include_str!("../../../tests/fixtures/manifests/teachers.json");
        ElectionContext {
            manifest: serde_json::from_str(manifest).unwrap(),
            setup_hash: Digest32([1; 32]),
            election_key: SecretKey::generate(rng).public_key(),
            fingerprint: Digest32([2; 32]),
        }
    }

    /// The booth's prover (the key's table, encodings computed once) makes the very ballot,
    /// signature and openings included, that the plain one makes from the same RNG.
    #[test]
    fn the_precomputed_key_makes_the_same_ballot() {
        let mut rng = ChaCha20Rng::seed_from_u64(9);
        let context = context(&mut rng);
        let credential = CredentialSecret::generate(&mut rng).derive_key(&context.setup_hash);
        let key = PrecomputedKey::new(&context.election_key);
        for seed in 0..4 {
            let vote = random_vote(&context.manifest, &mut rng);
            let plain = encrypt_ballot(&context, &credential, &vote, &mut seeded(seed))
                .unwrap()
                .audit();
            let fast = encrypt_ballot_with(&context, &key, &credential, &vote, &mut seeded(seed))
                .unwrap()
                .audit();
            assert_eq!(
                serde_json::to_string(&fast).unwrap(),
                serde_json::to_string(&plain).unwrap()
            );
            assert_eq!(fast.verify(&context).unwrap(), vote);
        }
        let vote = random_vote(&context.manifest, &mut rng);
        let other = PrecomputedKey::new(&SecretKey::generate(&mut rng).public_key());
        assert!(matches!(
            encrypt_ballot_with(&context, &other, &credential, &vote, &mut rng),
            Err(ElectionError::Crypto(CryptoError::InvalidParameter(_)))
        ));
    }

    fn seeded(seed: u64) -> ChaCha20Rng {
        ChaCha20Rng::seed_from_u64(seed)
    }
}
