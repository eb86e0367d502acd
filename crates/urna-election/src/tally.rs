//! The homomorphic tally and its threshold decryption (spec/record.md §7).

use std::collections::{BTreeMap, HashMap};

use rand_core::{CryptoRng, RngCore};
use urna_crypto::dkg::KeyShare;
use urna_crypto::threshold::{combine, VerifiedShare};
use urna_crypto::transcript::{context_transcript, TranscriptProtocol};
use urna_crypto::{
    BatchVerifier, Ciphertext, DecryptionShare, Digest32, DlogTable, PointBytes, PublicKey,
    Transcript,
};

use crate::ballot::VerifiedBallot;
use crate::board::{EncryptedTally, TrusteeDecryption};
use crate::error::{ElectionError, Result};
use crate::manifest::{ElectionManifest, RevotePolicy};

/// The transcript for the partial decryption of one tally ciphertext.
pub fn decryption_transcript(
    fingerprint: &Digest32,
    contest: usize,
    selection: usize,
) -> Transcript {
    let mut t = context_transcript(b"tally/v1", fingerprint.as_bytes());
    t.append_u64_le(b"contest", contest as u64);
    t.append_u64_le(b"selection", selection as u64);
    t
}

/// Adds verified ballots into the encrypted totals as they stream past.
///
/// Ballots of equal weight are summed first and multiplied by their weight once at the end,
/// so a weighted roll costs a handful of scalar multiplications, not one per ballot. Under
/// `last-counts` the latest ballot of each credential replaces the earlier ones.
#[derive(Debug)]
pub struct TallyAccumulator {
    shape: Vec<usize>,
    policy: RevotePolicy,
    by_weight: BTreeMap<u64, Vec<Vec<Ciphertext>>>,
    latest: HashMap<PointBytes, (u64, Vec<Vec<Ciphertext>>)>,
    counted: u64,
    weight_counted: u64,
}

impl TallyAccumulator {
    /// An empty tally for the manifest's contests.
    pub fn new(manifest: &ElectionManifest) -> Self {
        Self {
            shape: manifest
                .contests
                .iter()
                .map(|c| c.selection_count())
                .collect(),
            policy: manifest.revote,
            by_weight: BTreeMap::new(),
            latest: HashMap::new(),
            counted: 0,
            weight_counted: 0,
        }
    }

    fn zero(&self) -> Vec<Vec<Ciphertext>> {
        self.shape
            .iter()
            .map(|&n| vec![Ciphertext::zero(); n])
            .collect()
    }

    fn add_into(target: &mut [Vec<Ciphertext>], ballot: &[Vec<Ciphertext>]) {
        for (sums, cts) in target.iter_mut().zip(ballot) {
            for (sum, ct) in sums.iter_mut().zip(cts) {
                *sum += ct;
            }
        }
    }

    /// Adds one ballot (in board order).
    pub fn add(&mut self, ballot: &VerifiedBallot) {
        match self.policy {
            RevotePolicy::Final => {
                let zero = self.zero();
                let sums = self.by_weight.entry(ballot.weight).or_insert(zero);
                Self::add_into(sums, &ballot.ciphertexts);
                self.counted += 1;
                self.weight_counted += ballot.weight;
            }
            RevotePolicy::LastCounts => {
                self.latest.insert(
                    ballot.credential,
                    (ballot.weight, ballot.ciphertexts.clone()),
                );
            }
        }
    }

    /// The encrypted totals, the number of counted ballots and their total weight.
    pub fn finish(mut self) -> (Vec<Vec<Ciphertext>>, u64, u64) {
        for (weight, ciphertexts) in core::mem::take(&mut self.latest).into_values() {
            let zero = self.zero();
            Self::add_into(self.by_weight.entry(weight).or_insert(zero), &ciphertexts);
            self.counted += 1;
            self.weight_counted += weight;
        }
        let mut totals = self.zero();
        for (weight, sums) in &self.by_weight {
            let weighted: Vec<Vec<Ciphertext>> = if *weight == 1 {
                sums.clone()
            } else {
                sums.iter()
                    .map(|c| c.iter().map(|ct| ct.mul_weight(*weight)).collect())
                    .collect()
            };
            Self::add_into(&mut totals, &weighted);
        }
        (totals, self.counted, self.weight_counted)
    }
}

/// The encoded form of the totals.
pub fn encode_tally(totals: &[Vec<Ciphertext>], ballots_counted: u64) -> EncryptedTally {
    EncryptedTally {
        contests: totals
            .iter()
            .map(|c| c.iter().map(|ct| ct.to_bytes()).collect())
            .collect(),
        ballots_counted,
    }
}

/// Decodes a published tally.
pub fn decode_tally(tally: &EncryptedTally) -> Result<Vec<Vec<Ciphertext>>> {
    tally
        .contests
        .iter()
        .map(|c| {
            c.iter()
                .map(|b| Ciphertext::from_bytes(b).map_err(ElectionError::from))
                .collect()
        })
        .collect()
}

/// A trustee's partial decryption of every tally ciphertext.
pub fn decrypt_share<R: RngCore + CryptoRng>(
    fingerprint: &Digest32,
    key_share: &KeyShare,
    totals: &[Vec<Ciphertext>],
    rng: &mut R,
) -> TrusteeDecryption {
    let shares = totals
        .iter()
        .enumerate()
        .map(|(c, cts)| {
            cts.iter()
                .enumerate()
                .map(|(s, ct)| {
                    DecryptionShare::create(
                        &mut decryption_transcript(fingerprint, c, s),
                        key_share,
                        ct,
                        rng,
                    )
                })
                .collect()
        })
        .collect();
    TrusteeDecryption {
        trustee: key_share.index(),
        shares,
    }
}

/// Checks one trustee's partial decryption of every ciphertext (spec/record.md §8, V20).
///
/// All of the trustee's proofs go into one batch (weights from the operating system's RNG),
/// which costs about one multiscalar multiplication instead of one per share. A batch that
/// fails says only that some share is bad, so the shares are then checked one by one: the
/// error names the contest and selection exactly as [`verify_trustee_decryption_each`] does,
/// and the verdict is always that of the plain check.
pub fn verify_trustee_decryption(
    fingerprint: &Digest32,
    verification_key: &PublicKey,
    totals: &[Vec<Ciphertext>],
    decryption: &TrusteeDecryption,
) -> Result<Vec<Vec<VerifiedShare>>> {
    verify_trustee_decryption_batched(
        fingerprint,
        verification_key,
        totals,
        decryption,
        &mut rand_core::OsRng,
    )
}

/// [`verify_trustee_decryption`] with the batch weights drawn from `rng`, which must be
/// unpredictable to the trustee.
pub fn verify_trustee_decryption_batched<R: RngCore + CryptoRng>(
    fingerprint: &Digest32,
    verification_key: &PublicKey,
    totals: &[Vec<Ciphertext>],
    decryption: &TrusteeDecryption,
    rng: &mut R,
) -> Result<Vec<Vec<VerifiedShare>>> {
    match vartime_batch_decryption(fingerprint, verification_key, totals, decryption, rng) {
        Some(verified) => Ok(verified),
        // Something is wrong (or the record is malformed): the plain check finds the first
        // bad share in board order and words the error.
        None => verify_trustee_decryption_each(fingerprint, verification_key, totals, decryption),
    }
}

/// Queues every share of the decryption into one batch; `None` if anything at all is amiss
/// (shape, encoding or the batch equation), leaving the wording to the plain check.
fn vartime_batch_decryption<R: RngCore + CryptoRng>(
    fingerprint: &Digest32,
    verification_key: &PublicKey,
    totals: &[Vec<Ciphertext>],
    decryption: &TrusteeDecryption,
    rng: &mut R,
) -> Option<Vec<Vec<VerifiedShare>>> {
    if decryption.shares.len() != totals.len() {
        return None;
    }
    let mut batch = BatchVerifier::new(rng);
    let mut verified = Vec::with_capacity(totals.len());
    for (c, (shares, cts)) in decryption.shares.iter().zip(totals).enumerate() {
        if shares.len() != cts.len() {
            return None;
        }
        let mut contest = Vec::with_capacity(cts.len());
        for (s, (share, ct)) in shares.iter().zip(cts).enumerate() {
            if share.trustee != decryption.trustee {
                return None;
            }
            let v = share
                .verify_with(
                    &mut decryption_transcript(fingerprint, c, s),
                    verification_key,
                    ct,
                    &mut batch,
                )
                .ok()?;
            contest.push(v);
        }
        verified.push(contest);
    }
    // Nothing queued may be used before the batch holds.
    batch.vartime_verify().ok()?;
    Some(verified)
}

/// Checks one trustee's partial decryption share by share (the plain verifier): the first bad
/// share, in contest and selection order, is named in the error.
pub fn verify_trustee_decryption_each(
    fingerprint: &Digest32,
    verification_key: &PublicKey,
    totals: &[Vec<Ciphertext>],
    decryption: &TrusteeDecryption,
) -> Result<Vec<Vec<VerifiedShare>>> {
    let blame =
        |reason: String| ElectionError::Record(format!("trustee {}: {reason}", decryption.trustee));
    if decryption.shares.len() != totals.len() {
        return Err(blame("wrong number of contests".into()));
    }
    let mut verified = Vec::with_capacity(totals.len());
    for (c, (shares, cts)) in decryption.shares.iter().zip(totals).enumerate() {
        if shares.len() != cts.len() {
            return Err(blame(format!("contest {c}: wrong number of shares")));
        }
        let mut contest = Vec::with_capacity(cts.len());
        for (s, (share, ct)) in shares.iter().zip(cts).enumerate() {
            if share.trustee != decryption.trustee {
                return Err(blame(format!(
                    "contest {c}, selection {s}: share names another trustee"
                )));
            }
            let v = share
                .verify(
                    &mut decryption_transcript(fingerprint, c, s),
                    verification_key,
                    ct,
                )
                .map_err(|e| blame(format!("contest {c}, selection {s}: {e}")))?;
            contest.push(v);
        }
        verified.push(contest);
    }
    Ok(verified)
}

/// Combines `threshold` verified decryptions into the totals, recovered by `table`.
pub fn combine_decryptions(
    totals: &[Vec<Ciphertext>],
    decryptions: &[Vec<Vec<VerifiedShare>>],
    threshold: usize,
    table: &DlogTable,
) -> Result<Vec<Vec<u64>>> {
    if decryptions.len() < threshold {
        return Err(urna_crypto::CryptoError::NotEnoughShares {
            needed: threshold,
            got: decryptions.len(),
        }
        .into());
    }
    let used = &decryptions[..threshold];
    totals
        .iter()
        .enumerate()
        .map(|(c, cts)| {
            cts.iter()
                .enumerate()
                .map(|(s, ct)| {
                    let shares: Vec<VerifiedShare> = used.iter().map(|d| d[c][s]).collect();
                    let point = combine(ct, &shares, threshold)?;
                    Ok(table.vartime_log(&point)?)
                })
                .collect()
        })
        .collect()
}

/// The largest total any selection can reach: the bound for the discrete-log table.
pub fn dlog_bound(manifest: &ElectionManifest, total_weight: u64) -> u64 {
    let per_selection = manifest
        .contests
        .iter()
        .map(|c| {
            let rules = c.rules();
            rules.option_max.max(u64::from(rules.blank))
        })
        .max()
        .unwrap_or(1);
    total_weight.saturating_mul(per_selection)
}
