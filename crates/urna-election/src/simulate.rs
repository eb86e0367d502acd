//! A whole election in one process: what `urna demo` runs and what the tests build records
//! with. Each step appends the events a real board would, in the same order, with the same
//! checks the server makes before it appends.

use std::collections::HashSet;

use rand_core::{CryptoRng, RngCore};
use urna_crypto::dkg::{self, CeremonyOutcome, CeremonyTranscript, DkgParameters, KeyShare};
use urna_crypto::{Ciphertext, Digest32, DlogTable, PointBytes};

use crate::ballot::{verify_ballots_batched, Ballot, ElectionContext, TrackingCode};
use crate::board::{
    fingerprint, Approval, Board, BoardEntry, CastBallot, Close, ContestResult, ElectionResult,
    Event, Moment, Seal, Setup,
};
use crate::credential::{CredentialList, CredentialSecret, ValidCredentials};
use crate::error::{ElectionError, Result};
use crate::manifest::{ContestKind, ElectionManifest, RevotePolicy};
use crate::tally::{
    combine_decryptions, decrypt_share, dlog_bound, encode_tally, verify_trustee_decryption,
    TallyAccumulator,
};

/// How a trustee misbehaves in a simulated ceremony (for demos of blame and for tests).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cheat {
    /// Trustee `i` deals a corrupted share to its first recipient.
    BadShare(u32),
}

/// Where a streaming [`OfflineElection`] sends its board entries as they are appended, so a
/// board too big to hold (a million ballots) can still be written.
pub trait EntrySink: Send + Sync + core::fmt::Debug {
    /// Takes the next entry, in board order.
    fn write(&mut self, entry: &BoardEntry) -> Result<()>;
    /// Called once after the last entry (e.g. to flush a file and report a failed write).
    fn finish(&mut self) -> Result<()>;
}

/// An election run in one process.
#[derive(Debug)]
pub struct OfflineElection {
    board: Board,
    /// Every entry, or with a sink, every entry but the ballots.
    entries: Vec<BoardEntry>,
    sink: Option<Box<dyn EntrySink>>,
    manifest: ElectionManifest,
    params: DkgParameters,
    setup_hash: Digest32,
    key_shares: Vec<KeyShare>,
    outcome: Option<CeremonyOutcome>,
    credentials: Option<ValidCredentials>,
    context: Option<ElectionContext>,
    voted: HashSet<PointBytes>,
    accumulator: TallyAccumulator,
    ballots: u64,
    totals: Option<(Vec<Vec<Ciphertext>>, u64, u64)>,
    decrypted_by: Vec<u32>,
}

fn state(what: &str) -> ElectionError {
    ElectionError::Record(format!("not possible now: {what}"))
}

impl OfflineElection {
    /// Posts the manifest.
    pub fn setup(manifest: ElectionManifest) -> Result<Self> {
        manifest.validate()?;
        let params = DkgParameters::new(manifest.trustees.count, manifest.trustees.threshold)?;
        let mut board = Board::new();
        let entry = board.append(&Event::Setup(Box::new(Setup {
            manifest: manifest.clone(),
        })))?;
        let setup_hash = entry.hash;
        Ok(Self {
            board,
            entries: vec![entry],
            sink: None,
            accumulator: TallyAccumulator::new(&manifest),
            manifest,
            params,
            setup_hash,
            key_shares: Vec::new(),
            outcome: None,
            credentials: None,
            context: None,
            voted: HashSet::new(),
            ballots: 0,
            totals: None,
            decrypted_by: Vec::new(),
        })
    }

    fn append(&mut self, event: Event) -> Result<()> {
        let entry = self.board.append(&event)?;
        match &mut self.sink {
            Some(sink) => {
                sink.write(&entry)?;
                // Ballots are what grows; everything else stays for the later steps.
                if !matches!(event, Event::Ballot(_)) {
                    self.entries.push(entry);
                }
            }
            None => self.entries.push(entry),
        }
        Ok(())
    }

    /// From now on, sends every entry to `sink` as it is appended (the entries so far go
    /// first) and keeps no ballot in memory: [`entries`](Self::entries) then leaves the
    /// ballots out. Call [`end_stream`](Self::end_stream) after the last entry.
    pub fn stream_to(&mut self, mut sink: Box<dyn EntrySink>) -> Result<()> {
        if self.sink.is_some() {
            return Err(state("a second sink"));
        }
        for entry in &self.entries {
            sink.write(entry)?;
        }
        self.entries.retain(|e| e.kind != "ballot");
        self.sink = Some(sink);
        Ok(())
    }

    /// Finishes the sink given to [`stream_to`](Self::stream_to), if any.
    pub fn end_stream(&mut self) -> Result<()> {
        match self.sink.take() {
            Some(mut sink) => sink.finish(),
            None => Ok(()),
        }
    }

    /// The setup event's hash: the ceremony's session and the credentials' derivation context.
    pub fn setup_hash(&self) -> Digest32 {
        self.setup_hash
    }

    /// Runs the key ceremony among all trustees, posting every message.
    pub fn key_ceremony<R: RngCore + CryptoRng>(
        &mut self,
        cheat: Option<Cheat>,
        rng: &mut R,
    ) -> Result<&CeremonyOutcome> {
        let context = self.setup_hash;
        let mut transcript = CeremonyTranscript::default();
        let mut round1 = Vec::new();
        for i in 1..=self.params.trustees {
            let (secret, package) = dkg::start(self.params, i, context.as_bytes(), rng)?;
            round1.push(secret);
            transcript.round1.push(package);
        }
        let mut round2 = Vec::new();
        for secret in round1 {
            let (next, mut package) = secret.deal(&transcript.round1, rng)?;
            if let (Some(Cheat::BadShare(cheater)), Some(share)) =
                (cheat, package.shares.first_mut())
            {
                if cheater == package.from {
                    share.masked_share.0[0] ^= 1;
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
        let mut outcome = None;
        for secret in round3 {
            let (share, o) = secret.finish(&transcript)?;
            self.key_shares.push(share);
            outcome = Some(o);
        }
        for p in &transcript.round1 {
            self.append(Event::DkgRound1(p.clone()))?;
        }
        for p in &transcript.round2 {
            self.append(Event::DkgRound2(p.clone()))?;
        }
        for p in &transcript.round3 {
            self.append(Event::DkgRound3(p.clone()))?;
        }
        self.outcome = outcome;
        self.outcome
            .as_ref()
            .ok_or_else(|| state("key ceremony without trustees"))
    }

    /// Makes one credential per roll entry (its weight) and posts the public list.
    pub fn issue_credentials<R: RngCore + CryptoRng>(
        &mut self,
        weights: &[u64],
        rng: &mut R,
    ) -> Result<Vec<CredentialSecret>> {
        if !self.manifest.weighted && weights.iter().any(|&w| w != 1) {
            return Err(ElectionError::Record(
                "weights given for an unweighted election".into(),
            ));
        }
        let (secrets, list) = CredentialList::generate(&self.setup_hash, weights, rng);
        self.credentials = Some(list.validate()?);
        self.append(Event::Credentials(list))?;
        Ok(secrets)
    }

    /// Seals the election: posts the joint key and the fingerprint.
    pub fn seal(&mut self) -> Result<Digest32> {
        let (Some(outcome), Some(credentials)) = (&self.outcome, &self.credentials) else {
            return Err(state("seal before the ceremony and the credentials"));
        };
        let election_key = outcome.election_key;
        let fp = fingerprint(&self.board.head(), &election_key.to_bytes());
        let seal = Seal {
            fingerprint: fp,
            election_key: election_key.to_bytes(),
            verification_keys: outcome
                .verification_keys
                .iter()
                .map(|k| k.to_bytes())
                .collect(),
            qualified: outcome.qualified.clone(),
            credential_count: credentials.len() as u64,
            total_weight: credentials.total_weight(),
        };
        self.append(Event::Seal(seal))?;
        self.context = Some(ElectionContext {
            manifest: self.manifest.clone(),
            setup_hash: self.setup_hash,
            election_key,
            fingerprint: fp,
        });
        Ok(fp)
    }

    /// The context voters encrypt in (after the seal).
    pub fn context(&self) -> Option<&ElectionContext> {
        self.context.as_ref()
    }

    /// The orderer approves; then the election opens.
    pub fn approve_and_open(&mut self, approved_by: &str, at: &str) -> Result<()> {
        let fingerprint = self
            .context
            .as_ref()
            .ok_or_else(|| state("approval before the seal"))?
            .fingerprint;
        self.append(Event::Approval(Approval {
            fingerprint,
            approved_by: approved_by.into(),
            at: at.into(),
        }))?;
        self.append(Event::Open(Moment { at: at.into() }))?;
        Ok(())
    }

    /// Casts ballots as the board would: each is checked (batched), and appended only if it
    /// passes; returns per ballot its tracking code or why it was refused.
    pub fn cast_many<R: RngCore + CryptoRng>(
        &mut self,
        ballots: Vec<Ballot>,
        rng: &mut R,
    ) -> Result<Vec<Result<TrackingCode>>> {
        let (Some(context), Some(credentials)) = (&self.context, &self.credentials) else {
            return Err(state("casting before the seal"));
        };
        let refs: Vec<&Ballot> = ballots.iter().collect();
        let verified = verify_ballots_batched(context, credentials, &refs, rng);
        let mut out = Vec::with_capacity(ballots.len());
        for (ballot, result) in ballots.into_iter().zip(verified) {
            let outcome = result.and_then(|v| {
                if self.manifest.revote == RevotePolicy::Final && self.voted.contains(&v.credential)
                {
                    return Err(ElectionError::Ballot {
                        check: "ballot.revote",
                        reason: "this credential has already voted".into(),
                    });
                }
                Ok(v)
            });
            match outcome {
                Ok(v) => {
                    self.voted.insert(v.credential);
                    self.accumulator.add(&v);
                    let code = TrackingCode::from_hash(&v.hash);
                    self.append(Event::Ballot(Box::new(CastBallot {
                        ballot,
                        weight: v.weight,
                    })))?;
                    self.ballots += 1;
                    out.push(Ok(code));
                }
                Err(e) => out.push(Err(e)),
            }
        }
        Ok(out)
    }

    /// Closes voting and posts the encrypted tally.
    pub fn close_and_tally(&mut self, at: &str) -> Result<()> {
        self.append(Event::Close(Close {
            at: at.into(),
            ballots: self.ballots,
        }))?;
        let accumulator =
            core::mem::replace(&mut self.accumulator, TallyAccumulator::new(&self.manifest));
        let (totals, counted, weight) = accumulator.finish();
        self.append(Event::Tally(encode_tally(&totals, counted)))?;
        self.totals = Some((totals, counted, weight));
        Ok(())
    }

    /// The listed trustees decrypt (each share is checked before it is posted).
    pub fn decrypt<R: RngCore + CryptoRng>(&mut self, trustees: &[u32], rng: &mut R) -> Result<()> {
        let (Some((totals, _, _)), Some(context), Some(outcome)) =
            (&self.totals, &self.context, &self.outcome)
        else {
            return Err(state("decryption before the tally"));
        };
        let mut events = Vec::new();
        for &t in trustees {
            let share = self
                .key_shares
                .iter()
                .find(|s| s.index() == t)
                .ok_or_else(|| ElectionError::Record(format!("no trustee {t}")))?;
            let decryption = decrypt_share(&context.fingerprint, share, totals, rng);
            let key = outcome
                .verification_key(t)
                .ok_or_else(|| state("unknown trustee"))?;
            verify_trustee_decryption(&context.fingerprint, &key, totals, &decryption)?;
            events.push(decryption);
        }
        for d in events {
            self.decrypted_by.push(d.trustee);
            self.append(Event::Decryption(d))?;
        }
        Ok(())
    }

    /// Combines the first `t` decryptions and posts the result.
    pub fn publish_result(&mut self) -> Result<ElectionResult> {
        let Some((totals, counted, weight)) = &self.totals else {
            return Err(state("result before the tally"));
        };
        let Some(credentials) = &self.credentials else {
            return Err(state("result without credentials"));
        };
        let Some(context) = &self.context else {
            return Err(state("result before the seal"));
        };
        let Some(outcome) = &self.outcome else {
            return Err(state("result before the ceremony"));
        };
        let threshold = self.params.threshold as usize;
        let table = DlogTable::new(dlog_bound(&self.manifest, credentials.total_weight()))?;
        let mut verified = Vec::new();
        for entry in self.entries.iter().filter(|e| e.kind == "decryption") {
            if let Event::Decryption(d) = entry.event()? {
                let key = outcome
                    .verification_key(d.trustee)
                    .ok_or_else(|| state("unknown trustee"))?;
                verified.push(verify_trustee_decryption(
                    &context.fingerprint,
                    &key,
                    totals,
                    &d,
                )?);
            }
        }
        let values = combine_decryptions(totals, &verified, threshold, &table)?;
        let result = ElectionResult {
            contests: self
                .manifest
                .contests
                .iter()
                .zip(values)
                .map(|(c, totals)| ContestResult {
                    contest: c.id.clone(),
                    totals,
                })
                .collect(),
            ballots_counted: *counted,
            weight_counted: *weight,
            decrypted_by: self.decrypted_by.iter().take(threshold).copied().collect(),
        };
        self.append(Event::Result(result.clone()))?;
        Ok(result)
    }

    /// Every board entry so far (without the ballots once the board is streamed).
    pub fn entries(&self) -> &[BoardEntry] {
        &self.entries
    }

    /// The trustees' key shares (a real election never has them in one place).
    pub fn key_shares(&self) -> &[KeyShare] {
        &self.key_shares
    }
}

/// A random valid vote for every contest of `manifest` (blank sometimes, where offered).
pub fn random_vote<R: RngCore>(manifest: &ElectionManifest, rng: &mut R) -> Vec<Vec<u64>> {
    let mut below = |n: u64| if n == 0 { 0 } else { rng.next_u64() % n };
    manifest
        .contests
        .iter()
        .map(|contest| {
            let rules = contest.rules();
            let n = contest.options.len();
            let mut values = vec![0u64; contest.selection_count()];
            if rules.blank && below(10) == 0 {
                values[n] = 1;
                return values;
            }
            match contest.kind {
                ContestKind::Single => values[below(n as u64) as usize] = 1,
                ContestKind::Select { .. } | ContestKind::Approval => {
                    let k = rules.total_min + below(rules.total_max - rules.total_min + 1);
                    let mut picked = 0;
                    while picked < k {
                        let i = below(n as u64) as usize;
                        if values[i] == 0 {
                            values[i] = 1;
                            picked += 1;
                        }
                    }
                }
                ContestKind::Cumulative {
                    per_option_max,
                    budget,
                } => {
                    let mut left = budget;
                    for v in values.iter_mut().take(n) {
                        let x = below(per_option_max.min(left) + 1);
                        *v = x;
                        left -= x;
                    }
                }
                ContestKind::Score { per_option_max } => {
                    for v in values.iter_mut().take(n) {
                        *v = below(per_option_max + 1);
                    }
                }
            }
            values
        })
        .collect()
}
