//! The election-record verifier (spec/record.md §8): every check, in one streaming pass.
//!
//! Lines are fed in board order. Chain, order, eligibility and revote checks happen as each
//! line arrives; ballots are buffered in chunks whose proofs are batch-verified on every core
//! and whose ciphertexts are added to the running tally right away, so memory stays flat
//! however long the board is.
//!
//! [`RecordVerifier::push_lines`] takes a window of lines at once: parsing each line, hashing
//! it and batch-verifying the ballots' proofs (the work that grows with the board) then runs
//! on every core, and only the order-dependent checks (sequence, chain, life cycle,
//! eligibility, revotes) and the tally run on the calling thread. It reaches the same verdict
//! as [`RecordVerifier::push_line`] on each line in turn, with the same error.

use std::collections::HashSet;

use serde::Serialize;
use urna_crypto::dkg::{
    vartime_verify_ceremony, CeremonyOutcome, CeremonyTranscript, DkgParameters,
};
use urna_crypto::threshold::VerifiedShare;
use urna_crypto::{Ciphertext, Digest32, DlogTable, PointBytes};

use crate::ballot::{
    verify_ballots_batched, AuditedBallot, Ballot, ElectionContext, TrackingCode, VerifiedBallot,
};
use crate::board::{fingerprint, BoardEntry, CastBallot, ElectionResult, Event, GENESIS};
use crate::credential::ValidCredentials;
use crate::error::ElectionError;
use crate::manifest::{ElectionManifest, RevotePolicy, Text};
use crate::tally::{
    combine_decryptions, decode_tally, dlog_bound, verify_trustee_decryption, TallyAccumulator,
};

/// The numbered checks of spec/record.md §8.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Check {
    Format,
    Sequence,
    Chain,
    EventHash,
    Order,
    Manifest,
    KeyCeremony,
    Credentials,
    Fingerprint,
    Approval,
    BallotElection,
    Eligibility,
    Weight,
    Revote,
    SelectionProof,
    ContestLimits,
    BallotSignature,
    BallotCount,
    Tally,
    PartialDecryption,
    Threshold,
    Result,
    Complete,
    Receipts,
    Audits,
    DerivedFiles,
}

impl Check {
    /// The check's number in the spec, e.g. `V3`.
    pub fn id(&self) -> &'static str {
        match self {
            Check::Format => "V1",
            Check::Sequence => "V2",
            Check::Chain => "V3",
            Check::EventHash => "V4",
            Check::Order => "V5",
            Check::Manifest => "V6",
            Check::KeyCeremony => "V7",
            Check::Credentials => "V8",
            Check::Fingerprint => "V9",
            Check::Approval => "V10",
            Check::BallotElection => "V11",
            Check::Eligibility => "V12",
            Check::Weight => "V13",
            Check::Revote => "V14",
            Check::SelectionProof => "V15",
            Check::ContestLimits => "V16",
            Check::BallotSignature => "V17",
            Check::BallotCount => "V18",
            Check::Tally => "V19",
            Check::PartialDecryption => "V20",
            Check::Threshold => "V21",
            Check::Result => "V22",
            Check::Complete => "V23",
            Check::Receipts => "V24",
            Check::Audits => "V25",
            Check::DerivedFiles => "V26",
        }
    }

    /// A short description.
    pub fn describe(&self) -> &'static str {
        match self {
            Check::Format => "every line is a well-formed event",
            Check::Sequence => "sequence numbers count up from 0",
            Check::Chain => "each event names the previous event's hash",
            Check::EventHash => "each event's hash recomputes",
            Check::Order => "events follow the election's life cycle",
            Check::Manifest => "the manifest is valid",
            Check::KeyCeremony => "the key ceremony is valid",
            Check::Credentials => "the credential list is valid",
            Check::Fingerprint => "the seal's fingerprint and keys recompute",
            Check::Approval => "the orderer approved this fingerprint",
            Check::BallotElection => "each ballot is made for this election",
            Check::Eligibility => "each ballot's credential is on the list",
            Check::Weight => "each ballot carries its credential's weight",
            Check::Revote => "the revote policy holds",
            Check::SelectionProof => "each selection's range proof holds",
            Check::ContestLimits => "each contest's sum proof holds",
            Check::BallotSignature => "each ballot's credential signature holds",
            Check::BallotCount => "the close event counts the ballots",
            Check::Tally => "the encrypted tally is the sum of the counted ballots",
            Check::PartialDecryption => "each partial decryption's proofs hold",
            Check::Threshold => "enough trustees decrypted",
            Check::Result => "the result is the decryption of the tally",
            Check::Complete => "the record is complete",
            Check::Receipts => "every tracking code is on the board",
            Check::Audits => "audited ballots open correctly and were never cast",
            Check::DerivedFiles => "manifest.json and result.json say what the board says",
        }
    }
}

/// A failed check, with the event and the party to blame where known.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VerifyError {
    pub check: Check,
    pub seq: Option<u64>,
    pub culprit: Option<String>,
    pub message: String,
}

impl core::fmt::Display for VerifyError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "check {} failed ({})",
            self.check.id(),
            self.check.describe()
        )?;
        if let Some(seq) = self.seq {
            write!(f, " at event {seq}")?;
        }
        if let Some(culprit) = &self.culprit {
            write!(f, ", culprit: {culprit}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for VerifyError {}

fn fail(check: Check, seq: Option<u64>, message: impl Into<String>) -> VerifyError {
    VerifyError {
        check,
        seq,
        culprit: None,
        message: message.into(),
    }
}

/// What a verified record says.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub election_id: String,
    pub title: Text,
    pub fingerprint: Option<Digest32>,
    pub head: Digest32,
    pub events: u64,
    pub ballots: u64,
    pub ballots_counted: Option<u64>,
    pub result: Option<ElectionResult>,
    /// Key-ceremony blame that did not stop the election.
    pub blame: Vec<String>,
    pub receipts_checked: usize,
    pub audits_checked: usize,
    /// Whether the record reaches the published result.
    pub complete: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    Start,
    Ceremony,
    Sealed,
    Approved,
    Open,
    Closed,
    Tallied,
    Done,
}

/// Ballots buffered before a batch is verified.
const CHUNK: usize = 2048;
/// Ballots per batch within a chunk (one batch per task).
const BATCH: usize = 64;
/// Lines per task in [`RecordVerifier::push_lines`]: each task parses and hashes them and
/// verifies their ballots as one batch. Smaller than [`BATCH`] so the cores finish a window at
/// nearly the same time (the last task decides when the window is done); on two cores 32 and
/// 64 measured the same.
const LINE_BATCH: usize = 32;

/// What the order-dependent checks need of a line: its place in the chain.
#[derive(Clone, Copy, Debug)]
struct Header {
    seq: u64,
    prev: Digest32,
    hash: Digest32,
}

impl Header {
    fn of(entry: &BoardEntry) -> Self {
        Self {
            seq: entry.seq,
            prev: entry.prev,
            hash: entry.hash,
        }
    }
}

/// A line parsed, hashed and, for a ballot cast after the seal, verified on some core; the
/// order-dependent checks are still to come. The errors are kept as text and turned into
/// [`VerifyError`]s in board order, where the line-by-line verifier would raise them.
struct PreparedLine {
    header: Header,
    hash_ok: bool,
    event: Result<Event, String>,
    checked: Option<crate::error::Result<VerifiedBallot>>,
}

/// A ballot waiting for its chunk to be added to the tally.
enum Pending {
    /// Its proofs are still to be checked (it came through [`RecordVerifier::push_line`]).
    Unchecked(Box<CastBallot>),
    /// Checked already, when its line was prepared.
    Checked(crate::error::Result<VerifiedBallot>),
}

/// Verifies a record fed line by line.
pub struct RecordVerifier {
    phase: Phase,
    next_seq: u64,
    head: Digest32,
    setup_hash: Option<Digest32>,
    manifest: Option<ElectionManifest>,
    params: Option<DkgParameters>,
    ceremony: CeremonyTranscript,
    dkg_round: u8,
    credentials: Option<ValidCredentials>,
    outcome: Option<CeremonyOutcome>,
    context: Option<ElectionContext>,
    blame: Vec<String>,
    voted: HashSet<PointBytes>,
    cast: CastBallots,
    pending: Vec<(u64, Pending)>,
    accumulator: Option<TallyAccumulator>,
    ballots: u64,
    totals: Option<Vec<Vec<Ciphertext>>>,
    ballots_counted: Option<u64>,
    weight_counted: u64,
    decryptions: Vec<(u32, Vec<Vec<VerifiedShare>>)>,
    result: Option<ElectionResult>,
}

impl core::fmt::Debug for RecordVerifier {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RecordVerifier")
            .field("phase", &self.phase)
            .field("next_seq", &self.next_seq)
            .finish_non_exhaustive()
    }
}

impl Default for RecordVerifier {
    fn default() -> Self {
        Self::new()
    }
}

fn ballot_check(error: &ElectionError) -> Check {
    match error {
        ElectionError::Ballot { check, .. } => match *check {
            "ballot.credential" => Check::Eligibility,
            "ballot.selection-proof" => Check::SelectionProof,
            "ballot.contest-limits" => Check::ContestLimits,
            "ballot.signature" => Check::BallotSignature,
            _ => Check::BallotElection,
        },
        _ => Check::BallotElection,
    }
}

impl RecordVerifier {
    /// A verifier at the start of a board.
    pub fn new() -> Self {
        Self {
            phase: Phase::Start,
            next_seq: 0,
            head: GENESIS,
            setup_hash: None,
            manifest: None,
            params: None,
            ceremony: CeremonyTranscript::default(),
            dkg_round: 0,
            credentials: None,
            outcome: None,
            context: None,
            blame: Vec::new(),
            voted: HashSet::new(),
            cast: CastBallots::default(),
            pending: Vec::new(),
            accumulator: None,
            ballots: 0,
            totals: None,
            ballots_counted: None,
            weight_counted: 0,
            decryptions: Vec::new(),
            result: None,
        }
    }

    /// Number of events checked so far.
    pub fn events(&self) -> u64 {
        self.next_seq
    }

    /// The election context once the seal has been checked (for audits and receipts).
    pub fn context(&self) -> Option<&ElectionContext> {
        self.context.as_ref()
    }

    /// The weight of a public credential on the checked list (None if not listed, or before
    /// the list): lets a booth tell a voter early that a link is not for this election.
    pub fn credential_weight(&self, credential: &PointBytes) -> Option<u64> {
        self.credentials
            .as_ref()
            .and_then(|c| c.get(credential))
            .map(|(_, weight)| weight)
    }

    /// Checks one line of `board.jsonl`.
    pub fn push_line(&mut self, line: &str) -> Result<(), VerifyError> {
        let at = Some(self.next_seq);
        let entry =
            BoardEntry::parse_line(line).map_err(|e| fail(Check::Format, at, e.to_string()))?;
        self.push_entry(&entry)
    }

    /// Checks one board entry.
    pub fn push_entry(&mut self, entry: &BoardEntry) -> Result<(), VerifyError> {
        let header = Header::of(entry);
        self.check_place(&header, || entry.computed_hash() == entry.hash)?;
        let event = entry
            .event()
            .map_err(|e| fail(Check::Format, Some(entry.seq), e.to_string()))?;
        self.accept(&header, event, None)
    }

    /// Checks consecutive lines of `board.jsonl`: the same verdict and the same error as
    /// [`push_line`](Self::push_line) on each in turn, but the lines are parsed and hashed,
    /// and the ballots' proofs verified, on every core (with the "parallel" feature). Feed
    /// windows of a few thousand lines: the window is held in memory while it is checked.
    pub fn push_lines<S: AsRef<str> + Sync>(&mut self, lines: &[S]) -> Result<(), VerifyError> {
        let sealed = self.context.as_ref().zip(self.credentials.as_ref());
        let prepared = prepare_lines(sealed, lines);
        for line in prepared {
            let line = line.map_err(|message| fail(Check::Format, Some(self.next_seq), message))?;
            self.check_place(&line.header, || line.hash_ok)?;
            let event = line
                .event
                .map_err(|message| fail(Check::Format, Some(line.header.seq), message))?;
            self.accept(&line.header, event, line.checked)?;
        }
        Ok(())
    }

    /// The sequence, chain and event-hash checks (V2–V4), in that order; `hash_ok` says
    /// whether the event's hash recomputes.
    fn check_place(
        &self,
        header: &Header,
        hash_ok: impl FnOnce() -> bool,
    ) -> Result<(), VerifyError> {
        let seq = Some(header.seq);
        if header.seq != self.next_seq {
            return Err(fail(
                Check::Sequence,
                Some(self.next_seq),
                format!("expected event {}, found {}", self.next_seq, header.seq),
            ));
        }
        if header.prev != self.head {
            return Err(fail(
                Check::Chain,
                seq,
                "prev does not match the previous event's hash",
            ));
        }
        if !hash_ok() {
            return Err(fail(
                Check::EventHash,
                seq,
                "the event's hash does not match its content",
            ));
        }
        Ok(())
    }

    /// Applies a well-placed event and moves the head past it.
    fn accept(
        &mut self,
        header: &Header,
        event: Event,
        checked: Option<crate::error::Result<VerifiedBallot>>,
    ) -> Result<(), VerifyError> {
        self.apply(header, event, checked)?;
        self.next_seq += 1;
        self.head = header.hash;
        Ok(())
    }

    fn order(&self, seq: Option<u64>, kind: &str) -> VerifyError {
        fail(
            Check::Order,
            seq,
            format!("a {kind} event is out of place ({:?} phase)", self.phase),
        )
    }

    /// `checked` is the ballot's verification if it was done while its line was prepared.
    fn apply(
        &mut self,
        entry: &Header,
        event: Event,
        checked: Option<crate::error::Result<VerifiedBallot>>,
    ) -> Result<(), VerifyError> {
        let seq = Some(entry.seq);
        match event {
            Event::Setup(setup) => {
                if self.phase != Phase::Start {
                    return Err(self.order(seq, "setup"));
                }
                setup
                    .manifest
                    .validate()
                    .map_err(|e| fail(Check::Manifest, seq, e.to_string()))?;
                let params = DkgParameters::new(
                    setup.manifest.trustees.count,
                    setup.manifest.trustees.threshold,
                )
                .map_err(|e| fail(Check::Manifest, seq, e.to_string()))?;
                self.params = Some(params);
                self.setup_hash = Some(entry.hash);
                self.accumulator = Some(TallyAccumulator::new(&setup.manifest));
                self.manifest = Some(setup.manifest);
                self.phase = Phase::Ceremony;
            }
            Event::DkgRound1(p) => self.ceremony_message(seq, 1, |c| c.round1.push(p))?,
            Event::DkgRound2(p) => self.ceremony_message(seq, 2, |c| c.round2.push(p))?,
            Event::DkgRound3(p) => self.ceremony_message(seq, 3, |c| c.round3.push(p))?,
            Event::Credentials(list) => {
                if self.phase != Phase::Ceremony || self.credentials.is_some() {
                    return Err(self.order(seq, "credentials"));
                }
                let weighted = self.manifest.as_ref().is_some_and(|m| m.weighted);
                if !weighted && list.credentials.iter().any(|c| c.weight != 1) {
                    return Err(fail(
                        Check::Credentials,
                        seq,
                        "a credential has a weight other than 1 in an unweighted election",
                    ));
                }
                self.credentials = Some(
                    list.validate()
                        .map_err(|e| fail(Check::Credentials, seq, e.to_string()))?,
                );
            }
            Event::Seal(seal) => {
                if self.phase != Phase::Ceremony {
                    return Err(self.order(seq, "seal"));
                }
                let (Some(params), Some(setup_hash), Some(manifest), Some(credentials)) = (
                    self.params,
                    self.setup_hash,
                    self.manifest.clone(),
                    self.credentials.as_ref(),
                ) else {
                    return Err(fail(
                        Check::Order,
                        seq,
                        "seal before the manifest and the credentials",
                    ));
                };
                let outcome =
                    vartime_verify_ceremony(&params, setup_hash.as_bytes(), &self.ceremony)
                        .map_err(|e| VerifyError {
                            check: Check::KeyCeremony,
                            seq,
                            culprit: e.culprit().map(|c| format!("trustee {c}")),
                            message: e.to_string(),
                        })?;
                for b in &outcome.blame {
                    self.blame
                        .push(format!("trustee {}: {}", b.culprit, b.reason));
                }
                let expected_fingerprint =
                    fingerprint(&entry.prev, &outcome.election_key.to_bytes());
                let keys: Vec<PointBytes> = outcome
                    .verification_keys
                    .iter()
                    .map(|k| k.to_bytes())
                    .collect();
                let checks = [
                    (
                        seal.election_key == outcome.election_key.to_bytes(),
                        "election key",
                    ),
                    (seal.verification_keys == keys, "verification keys"),
                    (seal.qualified == outcome.qualified, "qualified trustees"),
                    (
                        seal.credential_count == credentials.len() as u64,
                        "credential count",
                    ),
                    (
                        seal.total_weight == credentials.total_weight(),
                        "total weight",
                    ),
                    (seal.fingerprint == expected_fingerprint, "fingerprint"),
                ];
                if let Some((_, what)) = checks.iter().find(|(ok, _)| !ok) {
                    return Err(fail(
                        Check::Fingerprint,
                        seq,
                        format!("the seal's {what} does not recompute"),
                    ));
                }
                self.context = Some(ElectionContext {
                    manifest,
                    setup_hash,
                    election_key: outcome.election_key,
                    fingerprint: expected_fingerprint,
                });
                self.outcome = Some(outcome);
                self.phase = Phase::Sealed;
            }
            Event::Approval(approval) => {
                if self.phase != Phase::Sealed {
                    return Err(self.order(seq, "approval"));
                }
                if Some(approval.fingerprint) != self.context.as_ref().map(|c| c.fingerprint) {
                    return Err(fail(
                        Check::Approval,
                        seq,
                        "the approval names another fingerprint",
                    ));
                }
                self.phase = Phase::Approved;
            }
            Event::Open(_) => {
                if self.phase != Phase::Approved {
                    return Err(fail(
                        Check::Order,
                        seq,
                        "the election opened without the orderer's approval",
                    ));
                }
                self.phase = Phase::Open;
            }
            Event::Ballot(cast) => {
                if self.phase != Phase::Open {
                    return Err(self.order(seq, "ballot"));
                }
                self.ballots += 1;
                let Some(credentials) = self.credentials.as_ref() else {
                    return Err(self.order(seq, "ballot"));
                };
                let Some((_, weight)) = credentials.get(&cast.ballot.credential) else {
                    return Err(fail(
                        Check::Eligibility,
                        seq,
                        "the ballot's credential is not on the list",
                    ));
                };
                if cast.weight != weight {
                    return Err(fail(
                        Check::Weight,
                        seq,
                        format!(
                            "the ballot carries weight {} but its credential has weight {weight}",
                            cast.weight
                        ),
                    ));
                }
                let first = self.voted.insert(cast.ballot.credential);
                let policy = self.manifest.as_ref().map(|m| m.revote).unwrap_or_default();
                if !first && policy == RevotePolicy::Final {
                    return Err(fail(
                        Check::Revote,
                        seq,
                        "a second ballot under a credential whose ballot is final",
                    ));
                }
                let pending = match checked {
                    Some(result) => Pending::Checked(result),
                    None => Pending::Unchecked(cast),
                };
                self.pending.push((entry.seq, pending));
                if self.pending.len() >= CHUNK {
                    self.flush()?;
                }
            }
            Event::Close(close) => {
                if self.phase != Phase::Open {
                    return Err(self.order(seq, "close"));
                }
                if close.ballots != self.ballots {
                    return Err(fail(
                        Check::BallotCount,
                        seq,
                        format!(
                            "close says {} ballots, the board has {}",
                            close.ballots, self.ballots
                        ),
                    ));
                }
                self.flush()?;
                self.phase = Phase::Closed;
            }
            Event::Tally(tally) => {
                if self.phase != Phase::Closed {
                    return Err(self.order(seq, "tally"));
                }
                let accumulator = self
                    .accumulator
                    .take()
                    .ok_or_else(|| self.order(seq, "tally"))?;
                let (totals, counted, weight) = accumulator.finish();
                let published =
                    decode_tally(&tally).map_err(|e| fail(Check::Tally, seq, e.to_string()))?;
                if published != totals {
                    return Err(fail(
                        Check::Tally,
                        seq,
                        "the encrypted tally is not the sum of the counted ballots",
                    ));
                }
                if tally.ballots_counted != counted {
                    return Err(fail(
                        Check::Tally,
                        seq,
                        format!(
                            "tally counts {} ballots, not {counted}",
                            tally.ballots_counted
                        ),
                    ));
                }
                self.totals = Some(totals);
                self.ballots_counted = Some(counted);
                self.weight_counted = weight;
                self.phase = Phase::Tallied;
            }
            Event::Decryption(decryption) => {
                if self.phase != Phase::Tallied {
                    return Err(self.order(seq, "decryption"));
                }
                let culprit = Some(format!("trustee {}", decryption.trustee));
                let (Some(outcome), Some(context), Some(totals)) =
                    (&self.outcome, &self.context, &self.totals)
                else {
                    return Err(self.order(seq, "decryption"));
                };
                if self
                    .decryptions
                    .iter()
                    .any(|(t, _)| *t == decryption.trustee)
                {
                    return Err(VerifyError {
                        check: Check::PartialDecryption,
                        seq,
                        culprit,
                        message: "a second decryption".into(),
                    });
                }
                let Some(key) = outcome.verification_key(decryption.trustee) else {
                    return Err(VerifyError {
                        check: Check::PartialDecryption,
                        seq,
                        culprit,
                        message: "unknown trustee".into(),
                    });
                };
                let verified =
                    verify_trustee_decryption(&context.fingerprint, &key, totals, &decryption)
                        .map_err(|e| VerifyError {
                            check: Check::PartialDecryption,
                            seq,
                            culprit,
                            message: e.to_string(),
                        })?;
                self.decryptions.push((decryption.trustee, verified));
            }
            Event::Result(result) => {
                if self.phase != Phase::Tallied {
                    return Err(self.order(seq, "result"));
                }
                self.check_result(seq, &result)?;
                self.result = Some(result);
                self.phase = Phase::Done;
            }
        }
        Ok(())
    }

    fn ceremony_message(
        &mut self,
        seq: Option<u64>,
        round: u8,
        push: impl FnOnce(&mut CeremonyTranscript),
    ) -> Result<(), VerifyError> {
        if self.phase != Phase::Ceremony || round < self.dkg_round {
            return Err(self.order(seq, "key-ceremony"));
        }
        let limit = self.params.map(|p| p.trustees as usize).unwrap_or(0);
        let count = match round {
            1 => self.ceremony.round1.len(),
            2 => self.ceremony.round2.len(),
            _ => self.ceremony.round3.len(),
        };
        if count >= limit {
            return Err(fail(
                Check::KeyCeremony,
                seq,
                "more key-ceremony messages than trustees",
            ));
        }
        self.dkg_round = round;
        push(&mut self.ceremony);
        Ok(())
    }

    fn check_result(&self, seq: Option<u64>, result: &ElectionResult) -> Result<(), VerifyError> {
        let (Some(params), Some(totals), Some(manifest)) =
            (self.params, &self.totals, &self.manifest)
        else {
            return Err(self.order(seq, "result"));
        };
        let threshold = params.threshold as usize;
        if self.decryptions.len() < threshold {
            return Err(fail(
                Check::Threshold,
                seq,
                format!(
                    "{} of the needed {threshold} trustees decrypted",
                    self.decryptions.len()
                ),
            ));
        }
        let total_weight = self
            .credentials
            .as_ref()
            .map(|c| c.total_weight())
            .unwrap_or(0);
        let table = DlogTable::new(dlog_bound(manifest, total_weight))
            .map_err(|e| fail(Check::Result, seq, e.to_string()))?;
        let shares: Vec<Vec<Vec<VerifiedShare>>> =
            self.decryptions.iter().map(|(_, s)| s.clone()).collect();
        let values = combine_decryptions(totals, &shares, threshold, &table)
            .map_err(|e| fail(Check::Result, seq, e.to_string()))?;
        let used: Vec<u32> = self
            .decryptions
            .iter()
            .take(threshold)
            .map(|(t, _)| *t)
            .collect();
        let expected_ids = manifest.contests.iter().map(|c| c.id.as_str());
        let published_ids = result.contests.iter().map(|c| c.contest.as_str());
        let published: Vec<&Vec<u64>> = result.contests.iter().map(|c| &c.totals).collect();
        let matches = published_ids.eq(expected_ids)
            && published.iter().copied().eq(values.iter())
            && result.ballots_counted == self.ballots_counted.unwrap_or(0)
            && result.weight_counted == self.weight_counted
            && result.decrypted_by == used;
        if !matches {
            return Err(fail(
                Check::Result,
                seq,
                "the published result is not the decryption of the tally",
            ));
        }
        Ok(())
    }

    /// Verifies the buffered ballots and adds them to the tally.
    fn flush(&mut self) -> Result<(), VerifyError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let pending = core::mem::take(&mut self.pending);
        let (Some(context), Some(credentials)) = (&self.context, &self.credentials) else {
            return Err(fail(
                Check::Order,
                pending.first().map(|p| p.0),
                "ballots before the seal",
            ));
        };
        let unchecked: Vec<&Ballot> = pending
            .iter()
            .filter_map(|(_, p)| match p {
                Pending::Unchecked(cast) => Some(&cast.ballot),
                Pending::Checked(_) => None,
            })
            .collect();
        let mut results = verify_chunk(context, credentials, &unchecked).into_iter();
        let accumulator = self
            .accumulator
            .as_mut()
            .ok_or_else(|| fail(Check::Order, None, "no tally"))?;
        for (seq, p) in pending {
            let result = match p {
                Pending::Checked(result) => result,
                Pending::Unchecked(_) => results.next().unwrap_or_else(|| {
                    Err(ElectionError::Record("a ballot was left unverified".into()))
                }),
            };
            let verified = result.map_err(|e| fail(ballot_check(&e), Some(seq), e.to_string()))?;
            self.cast
                .tracking_codes
                .insert(TrackingCode::from_hash(&verified.hash));
            self.cast.contents.insert(verified.content_hash);
            accumulator.add(&verified);
        }
        Ok(())
    }

    /// Ends the record. With `require_complete`, a record that stops before its result fails.
    pub fn finish(
        mut self,
        require_complete: bool,
    ) -> Result<(Report, Option<ElectionContext>, CastBallots), VerifyError> {
        self.flush()?;
        let complete = self.phase == Phase::Done;
        if require_complete && !complete {
            let message = match self.phase {
                Phase::Start => "the record is empty".to_string(),
                _ => format!("the record ends before the result ({:?} phase)", self.phase),
            };
            return Err(fail(Check::Complete, None, message));
        }
        let manifest = self.manifest.as_ref();
        let report = Report {
            election_id: manifest.map(|m| m.election_id.clone()).unwrap_or_default(),
            title: manifest
                .map(|m| m.title.clone())
                .unwrap_or_else(|| Text::new("", "")),
            fingerprint: self.context.as_ref().map(|c| c.fingerprint),
            head: self.head,
            events: self.next_seq,
            ballots: self.ballots,
            ballots_counted: self.ballots_counted,
            result: self.result.clone(),
            blame: self.blame.clone(),
            receipts_checked: 0,
            audits_checked: 0,
            complete,
        };
        Ok((report, self.context, self.cast))
    }
}

fn verify_chunk(
    context: &ElectionContext,
    credentials: &ValidCredentials,
    ballots: &[&Ballot],
) -> Vec<crate::error::Result<VerifiedBallot>> {
    let run = |batch: &[&Ballot]| {
        verify_ballots_batched(context, credentials, batch, &mut rand_core::OsRng)
    };
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        ballots.par_chunks(BATCH).flat_map_iter(run).collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        ballots.chunks(BATCH).flat_map(run).collect()
    }
}

/// Parses, hashes and (once `sealed` gives the context and the credential list) verifies a
/// window of lines, [`LINE_BATCH`] lines per task; the results come back in order.
fn prepare_lines<S: AsRef<str> + Sync>(
    sealed: Option<(&ElectionContext, &ValidCredentials)>,
    lines: &[S],
) -> Vec<Result<PreparedLine, String>> {
    let run = |batch: &[S]| prepare_batch(sealed, batch);
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        lines.par_chunks(LINE_BATCH).flat_map_iter(run).collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        lines.chunks(LINE_BATCH).flat_map(run).collect()
    }
}

/// One task of [`prepare_lines`]: its ballots are verified as one batch. A ballot that will
/// fail an order-dependent check is verified for nothing, which costs time only on a bad
/// record.
fn prepare_batch<S: AsRef<str>>(
    sealed: Option<(&ElectionContext, &ValidCredentials)>,
    lines: &[S],
) -> Vec<Result<PreparedLine, String>> {
    let mut prepared: Vec<Result<PreparedLine, String>> = lines
        .iter()
        .map(|line| {
            let entry = BoardEntry::parse_line(line.as_ref()).map_err(|e| e.to_string())?;
            Ok(PreparedLine {
                header: Header::of(&entry),
                hash_ok: entry.computed_hash() == entry.hash,
                event: entry.event().map_err(|e| e.to_string()),
                checked: None,
            })
        })
        .collect();
    let Some((context, credentials)) = sealed else {
        return prepared;
    };
    let (slots, ballots): (Vec<usize>, Vec<&Ballot>) = prepared
        .iter()
        .enumerate()
        .filter_map(|(i, line)| match line {
            Ok(PreparedLine {
                event: Ok(Event::Ballot(cast)),
                ..
            }) => Some((i, &cast.ballot)),
            _ => None,
        })
        .unzip();
    if ballots.is_empty() {
        return prepared;
    }
    let results = verify_ballots_batched(context, credentials, &ballots, &mut rand_core::OsRng);
    for (slot, result) in slots.into_iter().zip(results) {
        if let Some(Ok(line)) = prepared.get_mut(slot) {
            // The order-dependent checks only need the credential and the weight: drop the
            // contests (most of the ballot) so the window holds less until they run.
            if let Ok(Event::Ballot(cast)) = &mut line.event {
                cast.ballot.contests = Vec::new();
            }
            line.checked = Some(result);
        }
    }
    prepared
}

/// What was cast, for checking receipts and audits after the board.
#[derive(Clone, Debug, Default)]
pub struct CastBallots {
    /// The tracking codes of the cast ballots.
    pub tracking_codes: HashSet<TrackingCode>,
    /// Their content hashes (what the credential signed), which a re-signature cannot change.
    pub contents: HashSet<Digest32>,
}

/// Checks voters' tracking codes against the board's ballots.
pub fn check_receipts(cast: &CastBallots, receipts: &[TrackingCode]) -> Result<usize, VerifyError> {
    for receipt in receipts {
        if !cast.tracking_codes.contains(receipt) {
            return Err(VerifyError {
                check: Check::Receipts,
                seq: None,
                culprit: Some("the board".into()),
                message: format!(
                    "tracking code {receipt} is not on the board: a ballot was dropped"
                ),
            });
        }
    }
    Ok(receipts.len())
}

/// Checks audited ballots: each opens to valid values and was never cast.
pub fn check_audits(
    context: &ElectionContext,
    cast: &CastBallots,
    audits: &[AuditedBallot],
) -> Result<usize, VerifyError> {
    check_audits_from(context, cast, audits, 0)
}

/// [`check_audits`] for a stretch of a longer list whose first audit is number `first`: the
/// audits are opened on every core, and the first failure in list order is the error.
pub(crate) fn check_audits_from(
    context: &ElectionContext,
    cast: &CastBallots,
    audits: &[AuditedBallot],
    first: usize,
) -> Result<usize, VerifyError> {
    let open = |audit: &AuditedBallot| audit.verify(context).map(|_| ());
    #[cfg(feature = "parallel")]
    let opened: Vec<crate::error::Result<()>> = {
        use rayon::prelude::*;
        audits.par_iter().map(open).collect()
    };
    #[cfg(not(feature = "parallel"))]
    let opened: Vec<crate::error::Result<()>> = audits.iter().map(open).collect();
    for (k, (audit, opened)) in audits.iter().zip(opened).enumerate() {
        let i = first + k;
        opened.map_err(|e| fail(Check::Audits, None, format!("audited ballot {i}: {e}")))?;
        // Compare what was signed, not the tracking code: the audited ballot's randomness is
        // public, so a copy with a fresh signature would be the same vote, cast.
        if cast.contents.contains(&audit.ballot.content_hash()) {
            return Err(fail(
                Check::Audits,
                None,
                format!("audited ballot {i} was cast afterwards"),
            ));
        }
    }
    Ok(audits.len())
}
