//! The tamper table: one honest election record, and for every check of the verifier a copy
//! doctored so that this check is the one that fails.
//!
//! Each case is made so that the checks before the targeted one pass: where a change touches
//! content, every later event's `prev` and `hash` is recomputed ([`rechain`]), the close
//! event's ballot count is fixed, and where ballots change the encrypted tally, the trustees'
//! partial decryptions and the result are recomputed with the trustees' key shares
//! ([`Fixture::retally`]), and voters' receipts follow their new ballots. Forged ballots are
//! made with the public crypto API and signed with the voter's own credential, so a forged
//! proof is the only thing wrong with them.
//!
//! Every record is checked twice: through `record::verify_record_dir` on a directory and
//! through `RecordVerifier` line by line; both must report the same check, event and culprit.

use std::collections::HashSet;
use std::fs;
use std::ops::RangeInclusive;
use std::path::Path;
use std::sync::OnceLock;

use data_encoding::BASE32_NOPAD;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use sha2::{Digest as _, Sha512};
use urna_crypto::curve25519_dalek::scalar::Scalar;
use urna_crypto::dkg::KeyShare;
use urna_crypto::transcript::{context_transcript, TranscriptProtocol};
use urna_crypto::{
    Ciphertext, CredentialSignature, Digest32, DlogTable, Nonce, PointBytes, PublicKey, RangeProof,
    ScalarBytes, SecretScalar, SumProof, Transcript,
};
use urna_election::ballot::{ContestBallot, Selection, BALLOT_VERSION};
use urna_election::board::{
    event_hash, fingerprint, CastBallot, ContestResult, ElectionResult, GENESIS,
};
use urna_election::credential::{CredentialKey, ValidCredentials};
use urna_election::manifest::ContestRules;
use urna_election::record::{verify_record_dir, write_record, VerifyOptions, RECORD_FORMAT};
use urna_election::simulate::{random_vote, OfflineElection};
use urna_election::tally::{
    combine_decryptions, decode_tally, decrypt_share, encode_tally, verify_trustee_decryption,
    TallyAccumulator,
};
use urna_election::verify::{check_audits, check_receipts};
use urna_election::{
    encrypt_ballot, verify_ballot, AuditedBallot, Ballot, BoardEntry, Check, CredentialList,
    CredentialSecret, ElectionContext, ElectionError, ElectionManifest, Event, RecordVerifier,
    Report, TrackingCode, VerifiedBallot, VerifyError,
};

const OPENS: &str = "2027-03-01T09:00:00+01:00";
const CLOSES: &str = "2027-03-08T16:00:00+01:00";

/// Every check of the verifier; the table must reach each of them.
const ALL_CHECKS: [Check; 25] = [
    Check::Format,
    Check::Sequence,
    Check::Chain,
    Check::EventHash,
    Check::Order,
    Check::Manifest,
    Check::KeyCeremony,
    Check::Credentials,
    Check::Fingerprint,
    Check::Approval,
    Check::BallotElection,
    Check::Eligibility,
    Check::Weight,
    Check::Revote,
    Check::SelectionProof,
    Check::ContestLimits,
    Check::BallotSignature,
    Check::BallotCount,
    Check::Tally,
    Check::PartialDecryption,
    Check::Threshold,
    Check::Result,
    Check::Complete,
    Check::Receipts,
    Check::Audits,
];

fn fixture_path(name: &str) -> String {
    format!("{}/../../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn manifest(name: &str) -> ElectionManifest {
    let text = fs::read_to_string(fixture_path(&format!("manifests/{name}.json"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The weights of the union council's weighted roll, in roll order.
fn union_weights() -> Vec<u64> {
    fs::read_to_string(fixture_path("roll-union-council-weighted.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.rsplit(',').next().unwrap().trim().parse().unwrap())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Voters: the credential key derived outside the crate, so tests can sign what they forge.
// ---------------------------------------------------------------------------------------------

/// A voter of the fixture: the credential secret from the invitation and the key derived
/// from it (as `CredentialSecret::derive_key` does, spec/record.md §4), so the test can sign.
struct Voter {
    secret: CredentialSecret,
    signing_key: SecretScalar,
    public: PublicKey,
}

impl Voter {
    fn new(secret: CredentialSecret, setup_hash: &Digest32) -> Self {
        let raw = BASE32_NOPAD
            .decode(secret.to_link_string().to_ascii_uppercase().as_bytes())
            .unwrap();
        let mut hasher = Sha512::new();
        hasher.update(b"urna/credential/v1");
        hasher.update(setup_hash.as_bytes());
        hasher.update(&raw);
        let wide: [u8; 64] = hasher.finalize().into();
        let signing_key = SecretScalar::from_scalar(Scalar::from_bytes_mod_order_wide(&wide));
        let public = PublicKey::from_point(signing_key.public_point());
        assert_eq!(
            public.to_bytes(),
            secret.derive_key(setup_hash).public().to_bytes(),
            "the test derives credential keys as the crate does"
        );
        Self {
            secret,
            signing_key,
            public,
        }
    }

    fn credential(&self) -> PointBytes {
        self.public.to_bytes()
    }

    fn key(&self, context: &ElectionContext) -> CredentialKey {
        self.secret.derive_key(&context.setup_hash)
    }

    /// Signs the ballot's content for the election it names, as the booth does.
    fn sign(&self, ballot: &mut Ballot, rng: &mut ChaCha20Rng) {
        ballot.signature = CredentialSignature::sign(
            &mut context_transcript(b"ballot-signature/v1", ballot.election.as_bytes()),
            &self.signing_key,
            &self.public,
            ballot.content_hash().as_bytes(),
            rng,
        );
    }
}

// The ballot transcripts of spec/record.md §5, rebuilt from the public transcript API.

fn selection_transcript(
    fingerprint: &Digest32,
    credential: &PointBytes,
    contest: usize,
    selection: usize,
) -> Transcript {
    let mut t = context_transcript(b"ballot/v1", fingerprint.as_bytes());
    t.append_point_bytes(b"credential", credential);
    t.append_u64_le(b"contest", contest as u64);
    t.append_u64_le(b"selection", selection as u64);
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

/// Encrypts and proves `votes` like the booth, except that contest `c`'s sum proof is made
/// for `sum_range(c, rules)` (the honest range is `rules.total_min..=rules.total_max`), which
/// lets a test prove a total the contest does not allow. Signed with the voter's credential.
fn forge_ballot(
    context: &ElectionContext,
    voter: &Voter,
    votes: &[Vec<u64>],
    sum_range: impl Fn(usize, ContestRules) -> RangeInclusive<u64>,
    rng: &mut ChaCha20Rng,
) -> Ballot {
    let key = &context.election_key;
    let credential = voter.credential();
    let mut contests = Vec::new();
    for (c, (contest, values)) in context.manifest.contests.iter().zip(votes).enumerate() {
        let rules = contest.rules();
        let n = contest.options.len();
        let weight_of = |i: usize| {
            if rules.blank && i == n {
                rules.blank_weight()
            } else {
                1
            }
        };
        let mut selections = Vec::new();
        let mut terms = Vec::new();
        let mut nonces = Vec::new();
        let mut total = 0;
        for (i, &value) in values.iter().enumerate() {
            let (ct, nonce) = Ciphertext::encrypt(key, value, rng);
            let proof = RangeProof::prove(
                &mut selection_transcript(&context.fingerprint, &credential, c, i),
                key,
                &ct,
                value,
                &nonce,
                0..=rules.selection_max(i, n),
                rng,
            )
            .unwrap();
            selections.push(Selection {
                ciphertext: ct.to_bytes(),
                proof,
            });
            terms.push(ct.mul_weight(weight_of(i)));
            nonces.push(nonce.scale(weight_of(i)));
            total += value * weight_of(i);
        }
        let sum_proof = SumProof::prove(
            &mut contest_transcript(&context.fingerprint, &credential, c),
            key,
            &terms,
            total,
            &Nonce::sum(&nonces),
            sum_range(c, rules),
            rng,
        )
        .unwrap();
        contests.push(ContestBallot {
            selections,
            sum_proof,
        });
    }
    let mut ballot = Ballot {
        version: BALLOT_VERSION,
        election: context.fingerprint,
        credential,
        contests,
        signature: CredentialSignature::from_parts(PointBytes([0; 32]), ScalarBytes([0; 32])),
    };
    voter.sign(&mut ballot, rng);
    ballot
}

fn honest_range(_: usize, rules: ContestRules) -> RangeInclusive<u64> {
    rules.total_min..=rules.total_max
}

// ---------------------------------------------------------------------------------------------
// Board editing.
// ---------------------------------------------------------------------------------------------

/// The event of one entry, as the variant asked for.
macro_rules! get {
    ($entries:expr, $i:expr, $variant:ident) => {
        match $entries[$i].event().unwrap() {
            Event::$variant(inner) => inner,
            other => panic!(
                "event {} is a {} event, not {}",
                $i,
                other.kind(),
                stringify!($variant)
            ),
        }
    };
}

/// Replaces the content of entry `i` (its chain fields are left for [`rechain`]).
fn set(entries: &mut [BoardEntry], i: usize, event: &Event) {
    entries[i].kind = event.kind().to_owned();
    entries[i].payload = event.payload_json().unwrap();
}

/// An entry to insert; [`rechain`] gives it its place in the chain.
fn unchained(event: &Event) -> BoardEntry {
    BoardEntry {
        seq: 0,
        prev: GENESIS,
        kind: event.kind().to_owned(),
        payload: event.payload_json().unwrap(),
        hash: GENESIS,
    }
}

/// Renumbers the entries in order and recomputes every `prev` and `hash`.
fn rechain(entries: &mut [BoardEntry]) {
    for (i, entry) in entries.iter_mut().enumerate() {
        entry.seq = i as u64;
    }
    rehash(entries);
}

/// Recomputes every `prev` and `hash`, keeping the sequence numbers as they are.
fn rehash(entries: &mut [BoardEntry]) {
    let mut prev = GENESIS;
    for entry in entries.iter_mut() {
        entry.prev = prev;
        entry.hash = event_hash(entry.seq, &entry.prev, &entry.kind, &entry.payload);
        prev = entry.hash;
    }
}

fn find(entries: &[BoardEntry], kind: &str) -> usize {
    entries
        .iter()
        .position(|e| e.kind == kind)
        .unwrap_or_else(|| panic!("no {kind} event"))
}

fn find_all(entries: &[BoardEntry], kind: &str) -> Vec<usize> {
    (0..entries.len())
        .filter(|&i| entries[i].kind == kind)
        .collect()
}

/// A record as it lies on disk: the lines of `board.jsonl`, `receipts.txt` and `audits.jsonl`.
#[derive(Clone, Debug)]
struct Record {
    board: Vec<String>,
    receipts: Vec<String>,
    audits: Vec<String>,
}

/// A record being doctored.
#[derive(Clone, Debug)]
struct Work {
    entries: Vec<BoardEntry>,
    receipts: Vec<TrackingCode>,
    audits: Vec<AuditedBallot>,
}

impl Work {
    fn record(&self) -> Record {
        Record {
            board: self.entries.iter().map(|e| e.to_line().unwrap()).collect(),
            receipts: self.receipts.iter().map(|r| r.to_string()).collect(),
            audits: self
                .audits
                .iter()
                .map(|a| serde_json::to_string(a).unwrap())
                .collect(),
        }
    }
}

fn write_lines(path: &Path, lines: &[String]) {
    let mut text = String::new();
    for line in lines {
        text.push_str(line);
        text.push('\n');
    }
    fs::write(path, text).unwrap();
}

/// Verifies the record as a directory, the way `urna verify` does.
fn verify_on_disk(record: &Record) -> Result<Report, VerifyError> {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("format.txt"), format!("{RECORD_FORMAT}\n")).unwrap();
    write_lines(&dir.path().join("board.jsonl"), &record.board);
    if !record.receipts.is_empty() {
        write_lines(&dir.path().join("receipts.txt"), &record.receipts);
    }
    if !record.audits.is_empty() {
        write_lines(&dir.path().join("audits.jsonl"), &record.audits);
    }
    verify_record_dir(dir.path(), &VerifyOptions::default(), |_| {})
}

/// Verifies the record line by line with `RecordVerifier`, then its receipts and audits.
fn verify_in_memory(record: &Record) -> Result<Report, VerifyError> {
    let mut verifier = RecordVerifier::new();
    for line in &record.board {
        verifier.push_line(line)?;
    }
    let (mut report, context, codes) = verifier.finish(true)?;
    let receipts: Vec<TrackingCode> = record
        .receipts
        .iter()
        .map(|r| TrackingCode::parse(r).unwrap())
        .collect();
    report.receipts_checked = check_receipts(&codes, &receipts)?;
    if !record.audits.is_empty() {
        let audits: Vec<AuditedBallot> = record
            .audits
            .iter()
            .map(|a| serde_json::from_str(a).unwrap())
            .collect();
        report.audits_checked = check_audits(context.as_ref().unwrap(), &codes, &audits)?;
    }
    Ok(report)
}

/// Both verifiers; they must agree on the check, the event and the culprit.
fn verify_both(record: &Record) -> Result<Report, VerifyError> {
    let on_disk = verify_on_disk(record);
    let in_memory = verify_in_memory(record);
    match (&on_disk, &in_memory) {
        (Ok(a), Ok(b)) => assert_eq!(a.head, b.head),
        (Err(a), Err(b)) => assert_eq!(
            (a.check, a.seq, &a.culprit),
            (b.check, b.seq, &b.culprit),
            "the directory and the line-by-line verifier disagree"
        ),
        _ => panic!(
            "the directory and the line-by-line verifier disagree: {on_disk:?} vs {in_memory:?}"
        ),
    }
    on_disk
}

// ---------------------------------------------------------------------------------------------
// The honest election.
// ---------------------------------------------------------------------------------------------

/// An honest election and everything needed to doctor its record consistently.
struct Fixture {
    manifest: ElectionManifest,
    context: ElectionContext,
    entries: Vec<BoardEntry>,
    receipts: Vec<TrackingCode>,
    audits: Vec<AuditedBallot>,
    key_shares: Vec<KeyShare>,
    voters: Vec<Voter>,
    /// What each voter cast, in roll order.
    votes: Vec<Vec<Vec<u64>>>,
    credentials: ValidCredentials,
    result: ElectionResult,
    /// A second run of the same manifest: another ceremony, so another key and fingerprint.
    other: ElectionContext,
}

impl Fixture {
    fn build(
        manifest: ElectionManifest,
        weights: &[u64],
        audited: &[usize],
        decrypting: &[u32],
        seed: u64,
    ) -> Self {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let mut election = OfflineElection::setup(manifest.clone()).unwrap();
        election.key_ceremony(None, &mut rng).unwrap();
        let secrets = election.issue_credentials(weights, &mut rng).unwrap();
        election.seal().unwrap();
        election.approve_and_open("prefekt", OPENS).unwrap();
        let context = election.context().unwrap().clone();
        let voters: Vec<Voter> = secrets
            .into_iter()
            .map(|s| Voter::new(s, &context.setup_hash))
            .collect();
        let audits: Vec<AuditedBallot> = audited
            .iter()
            .map(|&i| {
                let vote = random_vote(&manifest, &mut rng);
                let audit = encrypt_ballot(&context, &voters[i].key(&context), &vote, &mut rng)
                    .unwrap()
                    .audit();
                assert_eq!(audit.verify(&context).unwrap(), vote);
                audit
            })
            .collect();
        let votes: Vec<Vec<Vec<u64>>> = voters
            .iter()
            .map(|_| random_vote(&manifest, &mut rng))
            .collect();
        let ballots = voters
            .iter()
            .zip(&votes)
            .map(|(voter, vote)| {
                encrypt_ballot(&context, &voter.key(&context), vote, &mut rng)
                    .unwrap()
                    .cast()
            })
            .collect();
        let receipts = election
            .cast_many(ballots, &mut rng)
            .unwrap()
            .into_iter()
            .map(|r| r.unwrap())
            .collect();
        election.close_and_tally(CLOSES).unwrap();
        election.decrypt(decrypting, &mut rng).unwrap();
        let result = election.publish_result().unwrap();
        let entries = election.entries().to_vec();
        let credentials = get!(entries, find(&entries, "credentials"), Credentials)
            .validate()
            .unwrap();

        let mut other = OfflineElection::setup(manifest.clone()).unwrap();
        other.key_ceremony(None, &mut rng).unwrap();
        other.issue_credentials(&[1], &mut rng).unwrap();
        other.seal().unwrap();
        let other = other.context().unwrap().clone();
        assert_ne!(other.fingerprint, context.fingerprint);

        Self {
            key_shares: election.key_shares().to_vec(),
            manifest,
            context,
            entries,
            receipts,
            audits,
            voters,
            votes,
            credentials,
            result,
            other,
        }
    }

    fn work(&self) -> Work {
        Work {
            entries: self.entries.clone(),
            receipts: self.receipts.clone(),
            audits: self.audits.clone(),
        }
    }

    fn honest(&self) -> Record {
        self.work().record()
    }

    fn threshold(&self) -> usize {
        self.manifest.trustees.threshold as usize
    }

    fn key_share(&self, trustee: u32) -> &KeyShare {
        self.key_shares
            .iter()
            .find(|s| s.index() == trustee)
            .unwrap()
    }

    /// Where voter `voter`'s (first) ballot is on the board.
    fn ballot_index(&self, entries: &[BoardEntry], voter: usize) -> usize {
        let credential = self.voters[voter].credential();
        find_all(entries, "ballot")
            .into_iter()
            .find(|&i| get!(entries, i, Ballot).ballot.credential == credential)
            .unwrap()
    }

    /// Voter `voter`'s cast ballot.
    fn cast_ballot(&self, voter: usize) -> Ballot {
        get!(
            self.entries,
            self.ballot_index(&self.entries, voter),
            Ballot
        )
        .ballot
    }

    /// Puts `ballot` in the place of voter `voter`'s ballot; the voter's receipt follows.
    fn replace_ballot(&self, work: &mut Work, voter: usize, ballot: Ballot) -> usize {
        let i = self.ballot_index(&work.entries, voter);
        let old = get!(work.entries, i, Ballot);
        let (old_code, new_code) = (old.ballot.tracking_code(), ballot.tracking_code());
        for receipt in &mut work.receipts {
            if *receipt == old_code {
                *receipt = new_code.clone();
            }
        }
        let cast = CastBallot {
            ballot,
            weight: old.weight,
        };
        set(&mut work.entries, i, &Event::Ballot(Box::new(cast)));
        i
    }

    /// Appends `ballot` after the last ballot; its voter gets a receipt.
    fn insert_ballot(&self, work: &mut Work, ballot: Ballot, weight: u64) -> usize {
        let close = find(&work.entries, "close");
        work.receipts.push(ballot.tracking_code());
        let cast = CastBallot { ballot, weight };
        work.entries
            .insert(close, unchained(&Event::Ballot(Box::new(cast))));
        close
    }

    /// Recomputes everything the ballots determine: the close event's count, the encrypted
    /// tally (every ballot event, at the weight it carries), the partial decryptions of the
    /// trustees who decrypted, and the result. Then rechains.
    fn retally(&self, entries: &mut [BoardEntry], rng: &mut ChaCha20Rng) {
        let close = find(entries, "close");
        let mut accumulator = TallyAccumulator::new(&self.manifest);
        for i in find_all(entries, "ballot") {
            let cast = get!(entries, i, Ballot);
            let ciphertexts = cast
                .ballot
                .contests
                .iter()
                .map(|c| {
                    c.selections
                        .iter()
                        .map(|s| Ciphertext::from_bytes(&s.ciphertext).unwrap())
                        .collect()
                })
                .collect();
            accumulator.add(&VerifiedBallot {
                credential: cast.ballot.credential,
                weight: cast.weight,
                content_hash: cast.ballot.content_hash(),
                hash: cast.ballot.hash(),
                ciphertexts,
            });
        }
        let mut close_event = get!(entries, close, Close);
        close_event.ballots = find_all(&entries[..close], "ballot").len() as u64;
        set(entries, close, &Event::Close(close_event));
        let (totals, counted, weight) = accumulator.finish();
        self.redecrypt(entries, &totals, counted, weight, rng);
    }

    /// Publishes `totals` as the encrypted tally, with fresh, valid partial decryptions of it
    /// by the same trustees and the result they give. Then rechains.
    fn redecrypt(
        &self,
        entries: &mut [BoardEntry],
        totals: &[Vec<Ciphertext>],
        counted: u64,
        weight: u64,
        rng: &mut ChaCha20Rng,
    ) {
        let seal = get!(entries, find(entries, "seal"), Seal);
        let fingerprint = seal.fingerprint;
        let tally = find(entries, "tally");
        set(entries, tally, &Event::Tally(encode_tally(totals, counted)));
        let mut decryptions = Vec::new();
        for i in find_all(entries, "decryption") {
            let trustee = get!(entries, i, Decryption).trustee;
            let decryption = decrypt_share(&fingerprint, self.key_share(trustee), totals, rng);
            set(entries, i, &Event::Decryption(decryption.clone()));
            decryptions.push(decryption);
        }
        let threshold = self.threshold();
        let verified: Vec<_> = decryptions
            .iter()
            .take(threshold)
            .map(|d| {
                let key = self.key_share(d.trustee).verification_key();
                verify_trustee_decryption(&fingerprint, key, totals, d).unwrap()
            })
            .collect();
        let table = DlogTable::new(4096).unwrap();
        let values = combine_decryptions(totals, &verified, threshold, &table).unwrap();
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
            ballots_counted: counted,
            weight_counted: weight,
            decrypted_by: decryptions
                .iter()
                .take(threshold)
                .map(|d| d.trustee)
                .collect(),
        };
        let at = find(entries, "result");
        set(entries, at, &Event::Result(result));
        rechain(entries);
    }

    /// The same key ceremony with another credential list: every later event is made again
    /// (new seal and fingerprint, every voter on the list votes as before, tally, decryptions
    /// and result). Audits, bound to the old fingerprint, are left out.
    fn rerun_with_credentials(&self, list: CredentialList, rng: &mut ChaCha20Rng) -> Work {
        let at = find(&self.entries, "credentials");
        let mut entries = self.entries[..at].to_vec();
        entries.push(unchained(&Event::Credentials(list.clone())));
        rechain(&mut entries);
        let valid = list.validate().unwrap();
        let mut seal = get!(self.entries, find(&self.entries, "seal"), Seal);
        seal.fingerprint = fingerprint(&entries[at].hash, &seal.election_key);
        seal.credential_count = valid.len() as u64;
        seal.total_weight = valid.total_weight();
        let mut approval = get!(self.entries, find(&self.entries, "approval"), Approval);
        approval.fingerprint = seal.fingerprint;
        let context = ElectionContext {
            fingerprint: seal.fingerprint,
            ..self.context.clone()
        };
        entries.push(unchained(&Event::Seal(seal)));
        entries.push(unchained(&Event::Approval(approval)));
        entries.push(self.entries[find(&self.entries, "open")].clone());
        let mut receipts = Vec::new();
        for (voter, vote) in self.voters.iter().zip(&self.votes) {
            let Some((_, weight)) = valid.get(&voter.credential()) else {
                continue;
            };
            let ballot = encrypt_ballot(&context, &voter.key(&context), vote, rng)
                .unwrap()
                .cast();
            receipts.push(ballot.tracking_code());
            let cast = CastBallot { ballot, weight };
            entries.push(unchained(&Event::Ballot(Box::new(cast))));
        }
        let close = find(&self.entries, "close");
        entries.extend_from_slice(&self.entries[close..]);
        self.retally(&mut entries, rng);
        Work {
            entries,
            receipts,
            audits: Vec::new(),
        }
    }
}

/// Teachers' election: 3 trustees (threshold 2), 12 voters, 3 of whom audit a ballot first;
/// all three trustees decrypt (the result combines trustees 1 and 2).
fn teachers() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE
        .get_or_init(|| Fixture::build(manifest("teachers"), &[1; 12], &[0, 5, 10], &[1, 2, 3], 7))
}

/// The union council's weighted vote: the first 8 delegates of its roll, trustees 3 and 1
/// decrypt.
fn union_council() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let weights: Vec<u64> = union_weights().into_iter().take(8).collect();
        assert!(weights.iter().any(|&w| w > 1));
        Fixture::build(manifest("union-council"), &weights, &[], &[3, 1], 8)
    })
}

// ---------------------------------------------------------------------------------------------
// Line edits (no rechaining).
// ---------------------------------------------------------------------------------------------

/// Changes one alphanumeric character near the middle of the line's payload.
fn alter_payload(line: &str) -> String {
    let start = line.find("\"payload\":").unwrap() + "\"payload\":".len();
    let end = line.rfind(",\"hash\":").unwrap();
    let bytes = line.as_bytes();
    let mid = (start + end) / 2;
    let at = (mid..end)
        .chain((start..mid).rev())
        .find(|&i| bytes[i].is_ascii_alphanumeric())
        .unwrap();
    let mut out = bytes.to_vec();
    out[at] = match bytes[at] {
        b'9' => b'0',
        b'z' => b'a',
        b'Z' => b'A',
        c => c + 1,
    };
    String::from_utf8(out).unwrap()
}

/// Changes the first hex digit of the field `"name":"…"`.
fn alter_hex_field(line: &str, name: &str) -> String {
    let key = format!("\"{name}\":\"");
    let at = line.find(&key).unwrap() + key.len();
    let mut out = line.as_bytes().to_vec();
    out[at] = if out[at] == b'0' { b'1' } else { b'0' };
    String::from_utf8(out).unwrap()
}

/// Adds one to the line's sequence number.
fn alter_seq(line: &str) -> String {
    let entry = BoardEntry::parse_line(line).unwrap();
    line.replacen(
        &format!("\"seq\":{}", entry.seq),
        &format!("\"seq\":{}", entry.seq + 1),
        1,
    )
}

// ---------------------------------------------------------------------------------------------
// The table.
// ---------------------------------------------------------------------------------------------

struct Case {
    name: &'static str,
    record: Record,
    check: Check,
    seq: Option<u64>,
    culprit: Option<&'static str>,
}

fn case(
    name: &'static str,
    record: Record,
    check: Check,
    seq: Option<usize>,
    culprit: Option<&'static str>,
) -> Case {
    Case {
        name,
        record,
        check,
        seq: seq.map(|s| s as u64),
        culprit,
    }
}

#[allow(clippy::too_many_lines)]
fn cases() -> Vec<Case> {
    let fx = teachers();
    let mut rng = ChaCha20Rng::seed_from_u64(2027);
    let rng = &mut rng;
    let honest = fx.honest();
    let ballots = find_all(&fx.entries, "ballot");
    let (first_ballot, last_ballot) = (ballots[0], *ballots.last().unwrap());
    let close = find(&fx.entries, "close");
    let result = find(&fx.entries, "result");
    let decryptions = find_all(&fx.entries, "decryption");
    let seal = find(&fx.entries, "seal");
    let mut cases = Vec::new();

    // V1: a line that is not JSON.
    let mut record = honest.clone();
    record.board[first_ballot + 2] = "this line is not JSON".into();
    cases.push(case(
        "a line that is not JSON",
        record,
        Check::Format,
        Some(first_ballot + 2),
        None,
    ));

    // V2: two ballot lines swapped, as they are.
    let mut record = honest.clone();
    record.board.swap(first_ballot + 3, first_ballot + 4);
    cases.push(case(
        "two ballot lines swapped",
        record,
        Check::Sequence,
        Some(first_ballot + 3),
        None,
    ));

    // V2: a gap in the numbering, every hash recomputed.
    let mut w = fx.work();
    for entry in &mut w.entries[first_ballot..] {
        entry.seq += 1;
    }
    rehash(&mut w.entries);
    cases.push(case(
        "a gap in the sequence numbers, hashes recomputed",
        w.record(),
        Check::Sequence,
        Some(first_ballot),
        None,
    ));

    // V3: two ballot events swapped and renumbered, prev and hash left as they were.
    let mut w = fx.work();
    w.entries.swap(first_ballot + 3, first_ballot + 4);
    w.entries[first_ballot + 3].seq -= 1;
    w.entries[first_ballot + 4].seq += 1;
    cases.push(case(
        "two ballot events swapped and renumbered",
        w.record(),
        Check::Chain,
        Some(first_ballot + 3),
        None,
    ));

    // V4: a payload edited without rechaining (the opening moved an hour earlier).
    let mut w = fx.work();
    let open = find(&w.entries, "open");
    w.entries[open].payload = w.entries[open].payload.replace("09:00", "08:00");
    assert_ne!(w.entries[open].payload, fx.entries[open].payload);
    cases.push(case(
        "a payload edited, chain left alone",
        w.record(),
        Check::EventHash,
        Some(open),
        None,
    ));

    // V5: the approval dropped: the election opens straight after the seal.
    let mut w = fx.work();
    let approval = find(&w.entries, "approval");
    w.entries.remove(approval);
    rechain(&mut w.entries);
    cases.push(case(
        "opened without the orderer's approval",
        w.record(),
        Check::Order,
        Some(approval),
        None,
    ));

    // V5: the last ballot moved after the close (the close counts the others).
    let mut w = fx.work();
    let late = w.entries.remove(last_ballot);
    w.entries.insert(close, late);
    fx.retally(&mut w.entries, rng);
    cases.push(case(
        "a ballot after the close",
        w.record(),
        Check::Order,
        Some(close),
        None,
    ));

    // V6: an invalid manifest (threshold above the number of trustees).
    let mut w = fx.work();
    let mut setup = get!(w.entries, 0, Setup);
    setup.manifest.trustees.threshold = setup.manifest.trustees.count + 1;
    set(&mut w.entries, 0, &Event::Setup(setup));
    rechain(&mut w.entries);
    cases.push(case(
        "an invalid manifest",
        w.record(),
        Check::Manifest,
        Some(0),
        None,
    ));

    // V7 (manifest altered): a valid manifest with a candidate renamed. The setup hash is the
    // key ceremony's session, so the first trustee's round-1 proofs no longer verify: the key
    // ceremony check fails at the seal and names trustee 1, though the manifest is at fault.
    let mut w = fx.work();
    let mut setup = get!(w.entries, 0, Setup);
    setup.manifest.contests[0].options[0].label.en = "Someone Else".into();
    setup.manifest.validate().unwrap();
    set(&mut w.entries, 0, &Event::Setup(setup));
    rechain(&mut w.entries);
    cases.push(case(
        "a valid manifest altered, rechained",
        w.record(),
        Check::KeyCeremony,
        Some(seal),
        Some("trustee 1"),
    ));

    // V7: trustee 2's round-1 commitments altered.
    let mut w = fx.work();
    let i = find_all(&w.entries, "dkg-round1")[1];
    let mut package = get!(w.entries, i, DkgRound1);
    assert_eq!(package.from, 2);
    package.commitments[1] = package.commitments[0];
    set(&mut w.entries, i, &Event::DkgRound1(package));
    rechain(&mut w.entries);
    cases.push(case(
        "a trustee's round-1 commitments altered",
        w.record(),
        Check::KeyCeremony,
        Some(seal),
        Some("trustee 2"),
    ));

    // V7: one round-3 message posted twice.
    let mut w = fx.work();
    let round3 = find_all(&w.entries, "dkg-round3");
    let extra = w.entries[round3[0]].clone();
    w.entries.insert(round3[2] + 1, extra);
    rechain(&mut w.entries);
    cases.push(case(
        "more key-ceremony messages than trustees",
        w.record(),
        Check::KeyCeremony,
        Some(round3[2] + 1),
        None,
    ));

    // V8: a credential of weight 0.
    let mut w = fx.work();
    let at = find(&w.entries, "credentials");
    let mut list = get!(w.entries, at, Credentials);
    list.credentials[3].weight = 0;
    set(&mut w.entries, at, &Event::Credentials(list));
    rechain(&mut w.entries);
    cases.push(case(
        "a credential of weight 0",
        w.record(),
        Check::Credentials,
        Some(at),
        None,
    ));

    // V8: a credential listed twice.
    let mut w = fx.work();
    let mut list = get!(w.entries, at, Credentials);
    let twin = list.credentials[4];
    list.credentials.insert(4, twin);
    set(&mut w.entries, at, &Event::Credentials(list));
    rechain(&mut w.entries);
    cases.push(case(
        "a credential listed twice",
        w.record(),
        Check::Credentials,
        Some(at),
        None,
    ));

    // V9: a wrong fingerprint in the seal (and the approval approves it).
    let mut w = fx.work();
    let mut seal_event = get!(w.entries, seal, Seal);
    seal_event.fingerprint.0[0] ^= 1;
    let approval = find(&w.entries, "approval");
    let mut approval_event = get!(w.entries, approval, Approval);
    approval_event.fingerprint = seal_event.fingerprint;
    set(&mut w.entries, seal, &Event::Seal(seal_event));
    set(&mut w.entries, approval, &Event::Approval(approval_event));
    rechain(&mut w.entries);
    cases.push(case(
        "a wrong fingerprint in the seal",
        w.record(),
        Check::Fingerprint,
        Some(seal),
        None,
    ));

    // V9: the seal miscounts the credentials.
    let mut w = fx.work();
    let mut seal_event = get!(w.entries, seal, Seal);
    seal_event.credential_count += 1;
    set(&mut w.entries, seal, &Event::Seal(seal_event));
    rechain(&mut w.entries);
    cases.push(case(
        "the seal miscounts the credentials",
        w.record(),
        Check::Fingerprint,
        Some(seal),
        None,
    ));

    // V10: the approval names another election's fingerprint.
    let mut w = fx.work();
    let mut approval_event = get!(w.entries, approval, Approval);
    approval_event.fingerprint = fx.other.fingerprint;
    set(&mut w.entries, approval, &Event::Approval(approval_event));
    rechain(&mut w.entries);
    cases.push(case(
        "an approval of another fingerprint",
        w.record(),
        Check::Approval,
        Some(approval),
        None,
    ));

    // V11: a ballot made for the second election (its key and fingerprint) by an eligible
    // voter of this one, in the place of that voter's ballot. (Its ciphertexts are under the
    // other key, so no consistent tally exists: the tally is left as it was.)
    let mut w = fx.work();
    let vote = random_vote(&fx.manifest, rng);
    let replayed = encrypt_ballot(&fx.other, &fx.voters[2].key(&fx.context), &vote, rng)
        .unwrap()
        .cast();
    assert_eq!(replayed.election, fx.other.fingerprint);
    let at = fx.replace_ballot(&mut w, 2, replayed);
    rechain(&mut w.entries);
    cases.push(case(
        "a ballot from another election",
        w.record(),
        Check::BallotElection,
        Some(at),
        None,
    ));

    // V11: a ballot under this election's key but bound to another fingerprint, tallied.
    let mut w = fx.work();
    let elsewhere = ElectionContext {
        fingerprint: fx.other.fingerprint,
        ..fx.context.clone()
    };
    let vote = random_vote(&fx.manifest, rng);
    let ballot = encrypt_ballot(&elsewhere, &fx.voters[3].key(&fx.context), &vote, rng)
        .unwrap()
        .cast();
    let at = fx.replace_ballot(&mut w, 3, ballot);
    fx.retally(&mut w.entries, rng);
    cases.push(case(
        "a ballot bound to another fingerprint, tallied",
        w.record(),
        Check::BallotElection,
        Some(at),
        None,
    ));

    // V12: a valid ballot from a credential that is not on the list, tallied.
    let mut w = fx.work();
    let stranger = CredentialSecret::generate(rng).derive_key(&fx.context.setup_hash);
    let vote = random_vote(&fx.manifest, rng);
    let ballot = encrypt_ballot(&fx.context, &stranger, &vote, rng)
        .unwrap()
        .cast();
    let at = fx.insert_ballot(&mut w, ballot, 1);
    fx.retally(&mut w.entries, rng);
    cases.push(case(
        "a ballot from an unlisted credential",
        w.record(),
        Check::Eligibility,
        Some(at),
        None,
    ));

    // V14: a second ballot from voter 0 under `final`, tallied.
    let mut w = fx.work();
    let vote = random_vote(&fx.manifest, rng);
    let again = encrypt_ballot(&fx.context, &fx.voters[0].key(&fx.context), &vote, rng)
        .unwrap()
        .cast();
    let at = fx.insert_ballot(&mut w, again, 1);
    fx.retally(&mut w.entries, rng);
    cases.push(case(
        "a second ballot under final",
        w.record(),
        Check::Revote,
        Some(at),
        None,
    ));

    // V15: voter 4's deputy vote moved to another candidate by adding Enc(1) to one
    // ciphertext and subtracting it from another: the contest's sum is unchanged, so its
    // sum proof still holds; re-signed by the voter, tallied (the result moves the vote).
    let mut w = fx.work();
    let mut ballot = fx.cast_ballot(4);
    let chosen = fx.votes[4][1].iter().position(|&v| v == 1).unwrap();
    let other = (chosen + 1) % fx.votes[4][1].len();
    let (delta, _) = Ciphertext::encrypt(&fx.context.election_key, 1, rng);
    let selections = &mut ballot.contests[1].selections;
    for (i, add) in [(chosen, false), (other, true)] {
        let ct = Ciphertext::from_bytes(&selections[i].ciphertext).unwrap();
        let moved = if add { ct + delta } else { ct - delta };
        selections[i].ciphertext = moved.to_bytes();
    }
    fx.voters[4].sign(&mut ballot, rng);
    let at = fx.replace_ballot(&mut w, 4, ballot);
    fx.retally(&mut w.entries, rng);
    let moved = get!(w.entries, find(&w.entries, "result"), Result);
    assert_ne!(moved.contests[1].totals, fx.result.contests[1].totals);
    cases.push(case(
        "a vote moved between ciphertexts, sum kept, re-signed",
        w.record(),
        Check::SelectionProof,
        Some(at),
        None,
    ));

    // V16: an over-vote: four members where at most three may be chosen. Every selection
    // proof is honest; the sum proof proves 4 ∈ 1..=4, which has as many branches as 0..=3.
    let mut w = fx.work();
    let mut vote = fx.votes[6].clone();
    vote[0] = vec![1, 1, 1, 1, 0, 0, 0, 0];
    let over = forge_ballot(
        &fx.context,
        &fx.voters[6],
        &vote,
        |c, rules| {
            if c == 0 {
                1..=4
            } else {
                honest_range(c, rules)
            }
        },
        rng,
    );
    let at = fx.replace_ballot(&mut w, 6, over);
    fx.retally(&mut w.entries, rng);
    cases.push(case(
        "an over-vote with a forged sum proof",
        w.record(),
        Check::ContestLimits,
        Some(at),
        None,
    ));

    // V16: an under-vote in the single-choice contest: nothing chosen, the sum proof proves
    // 0 ∈ 0..=0 (one branch, like 1..=1).
    let mut w = fx.work();
    let mut vote = fx.votes[7].clone();
    vote[1] = vec![0; 4];
    let under = forge_ballot(
        &fx.context,
        &fx.voters[7],
        &vote,
        |c, rules| {
            if c == 1 {
                0..=0
            } else {
                honest_range(c, rules)
            }
        },
        rng,
    );
    let at = fx.replace_ballot(&mut w, 7, under);
    fx.retally(&mut w.entries, rng);
    cases.push(case(
        "an under-vote in a single-choice contest",
        w.record(),
        Check::ContestLimits,
        Some(at),
        None,
    ));

    // V16: a sum proof taken from another voter's ballot, re-signed.
    let mut w = fx.work();
    let mut ballot = fx.cast_ballot(8);
    ballot.contests[0].sum_proof = fx.cast_ballot(9).contests[0].sum_proof.clone();
    fx.voters[8].sign(&mut ballot, rng);
    let at = fx.replace_ballot(&mut w, 8, ballot);
    rechain(&mut w.entries);
    cases.push(case(
        "a sum proof copied from another ballot",
        w.record(),
        Check::ContestLimits,
        Some(at),
        None,
    ));

    // V17: one byte of a signature changed (the receipt follows the new tracking code).
    let mut w = fx.work();
    let mut ballot = fx.cast_ballot(9);
    let (commitment, mut response) = ballot.signature.parts();
    response.0[0] ^= 1;
    ballot.signature = CredentialSignature::from_parts(commitment, response);
    let at = fx.replace_ballot(&mut w, 9, ballot);
    rechain(&mut w.entries);
    cases.push(case(
        "a signature byte changed",
        w.record(),
        Check::BallotSignature,
        Some(at),
        None,
    ));

    // V18: the close event miscounts.
    let mut w = fx.work();
    let mut close_event = get!(w.entries, close, Close);
    close_event.ballots += 1;
    set(&mut w.entries, close, &Event::Close(close_event));
    rechain(&mut w.entries);
    cases.push(case(
        "the close event miscounts the ballots",
        w.record(),
        Check::BallotCount,
        Some(close),
        None,
    ));

    // V19: one more vote for the first member in the encrypted tally, decrypted by the
    // trustees and published: every decryption proof and the result match the false tally.
    let mut w = fx.work();
    let tally = find(&w.entries, "tally");
    let mut totals = decode_tally(&get!(w.entries, tally, Tally)).unwrap();
    totals[0][0] += Ciphertext::encrypt(&fx.context.election_key, 1, rng).0;
    let (counted, weight) = (fx.result.ballots_counted, fx.result.weight_counted);
    fx.redecrypt(&mut w.entries, &totals, counted, weight, rng);
    let forged = get!(w.entries, result, Result);
    assert_eq!(
        forged.contests[0].totals[0],
        fx.result.contests[0].totals[0] + 1
    );
    cases.push(case(
        "a wrong encrypted tally, consistently decrypted",
        w.record(),
        Check::Tally,
        Some(tally),
        None,
    ));

    // V19: the tally miscounts the ballots.
    let mut w = fx.work();
    let mut tally_event = get!(w.entries, tally, Tally);
    tally_event.ballots_counted -= 1;
    set(&mut w.entries, tally, &Event::Tally(tally_event));
    rechain(&mut w.entries);
    cases.push(case(
        "the tally miscounts the ballots",
        w.record(),
        Check::Tally,
        Some(tally),
        None,
    ));

    // V20: trustee 3 (whose shares the result does not use) posts a wrong share.
    let mut w = fx.work();
    let mut decryption = get!(w.entries, decryptions[2], Decryption);
    assert_eq!(decryption.trustee, 3);
    decryption.shares[0][0].share = decryption.shares[0][1].share;
    set(
        &mut w.entries,
        decryptions[2],
        &Event::Decryption(decryption),
    );
    rechain(&mut w.entries);
    cases.push(case(
        "a wrong partial decryption",
        w.record(),
        Check::PartialDecryption,
        Some(decryptions[2]),
        Some("trustee 3"),
    ));

    // V20: trustee 2's decryption posted again in the place of trustee 3's.
    let mut w = fx.work();
    w.entries[decryptions[2]] = w.entries[decryptions[1]].clone();
    rechain(&mut w.entries);
    cases.push(case(
        "a trustee decrypts twice",
        w.record(),
        Check::PartialDecryption,
        Some(decryptions[2]),
        Some("trustee 2"),
    ));

    // V21: only one decryption (threshold 2) left; the result kept.
    let mut w = fx.work();
    w.entries
        .drain(decryptions[1]..=decryptions[2])
        .for_each(drop);
    rechain(&mut w.entries);
    cases.push(case(
        "too few partial decryptions",
        w.record(),
        Check::Threshold,
        Some(result - 2),
        None,
    ));

    // V22: a total changed in the result.
    let mut w = fx.work();
    let mut published = get!(w.entries, result, Result);
    published.contests[1].totals[0] += 1;
    set(&mut w.entries, result, &Event::Result(published));
    rechain(&mut w.entries);
    cases.push(case(
        "a wrong result",
        w.record(),
        Check::Result,
        Some(result),
        None,
    ));

    // V22: the result names the wrong trustees.
    let mut w = fx.work();
    let mut published = get!(w.entries, result, Result);
    published.decrypted_by = vec![1, 3];
    set(&mut w.entries, result, &Event::Result(published));
    rechain(&mut w.entries);
    cases.push(case(
        "a result naming other trustees",
        w.record(),
        Check::Result,
        Some(result),
        None,
    ));

    // V23: the record stops before the result.
    let mut w = fx.work();
    w.entries.pop();
    cases.push(case(
        "a record truncated before the result",
        w.record(),
        Check::Complete,
        None,
        None,
    ));

    // V23: the record stops at the close.
    let mut w = fx.work();
    w.entries.truncate(close + 1);
    cases.push(case(
        "a record truncated at the close",
        w.record(),
        Check::Complete,
        None,
        None,
    ));

    // V24: voter 5's ballot dropped; the close count, tally, decryptions and result are
    // recomputed without it, so the board is consistent; only the voter's receipt shows it.
    let mut w = fx.work();
    let dropped = fx.ballot_index(&w.entries, 5);
    w.entries.remove(dropped);
    fx.retally(&mut w.entries, rng);
    assert!(verify_in_memory(&Record {
        receipts: Vec::new(),
        ..w.record()
    })
    .is_ok());
    cases.push(case(
        "a dropped ballot, board rebuilt without it",
        w.record(),
        Check::Receipts,
        None,
        Some("the board"),
    ));

    // V25: voter 5's audited ballot cast in the place of the ballot the voter cast (the
    // voter's receipt is that ballot's code), tallied.
    let mut w = fx.work();
    fx.replace_ballot(&mut w, 5, fx.audits[1].ballot.clone());
    fx.retally(&mut w.entries, rng);
    cases.push(case(
        "an audited ballot that was cast",
        w.record(),
        Check::Audits,
        None,
        None,
    ));

    // V25: an audit's revealed value changed.
    let mut w = fx.work();
    w.audits[2].openings[0][0].value ^= 1;
    cases.push(case(
        "an audit that does not open to its values",
        w.record(),
        Check::Audits,
        None,
        None,
    ));

    // V13 (weighted election): a delegate of weight 3 posted with weight 1, tallied at 1.
    let ux = union_council();
    let mut w = ux.work();
    let heavy = (0..ux.voters.len())
        .find(|&v| {
            ux.credentials
                .get(&ux.voters[v].credential())
                .is_some_and(|(_, weight)| weight == 3)
        })
        .unwrap();
    let at = ux.ballot_index(&w.entries, heavy);
    let mut cast = *get!(w.entries, at, Ballot);
    cast.weight = 1;
    set(&mut w.entries, at, &Event::Ballot(Box::new(cast)));
    ux.retally(&mut w.entries, rng);
    cases.push(case(
        "a weighted ballot posted with another weight",
        w.record(),
        Check::Weight,
        Some(at),
        None,
    ));

    cases
}

#[test]
fn the_honest_records_verify() {
    for fx in [teachers(), union_council()] {
        let record = fx.honest();
        let report = verify_both(&record).unwrap();
        assert!(report.complete);
        assert_eq!(report.result.as_ref(), Some(&fx.result));
        assert_eq!(report.receipts_checked, fx.voters.len());
        assert_eq!(report.audits_checked, fx.audits.len());
        // The record as `write_record` lays it out verifies the same.
        let dir = tempfile::tempdir().unwrap();
        write_record(dir.path(), &fx.entries, &fx.receipts, &fx.audits).unwrap();
        let written = verify_record_dir(dir.path(), &VerifyOptions::default(), |_| {}).unwrap();
        assert_eq!(written.head, report.head);
    }
    let fx = union_council();
    let weights: u64 = fx
        .voters
        .iter()
        .map(|v| fx.credentials.get(&v.credential()).unwrap().1)
        .sum();
    assert_eq!(fx.result.weight_counted, weights);
}

#[test]
fn the_test_helpers_make_valid_records_and_ballots() {
    let fx = teachers();
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    // A ballot forged with honest ranges is a valid ballot.
    let ballot = forge_ballot(
        &fx.context,
        &fx.voters[1],
        &fx.votes[1],
        honest_range,
        &mut rng,
    );
    verify_ballot(&fx.context, &fx.credentials, &ballot).unwrap();
    // Re-tallying an untouched board reproduces the result (fresh decryption proofs).
    let mut w = fx.work();
    fx.retally(&mut w.entries, &mut rng);
    let report = verify_both(&w.record()).unwrap();
    assert_eq!(report.result.as_ref(), Some(&fx.result));
    // The same ballots cast again after the same credentials: a board that verifies.
    let list = get!(fx.entries, find(&fx.entries, "credentials"), Credentials);
    let rerun = fx.rerun_with_credentials(list, &mut rng);
    let report = verify_both(&rerun.record()).unwrap();
    assert_eq!(report.result.as_ref(), Some(&fx.result));
}

#[test]
fn forged_ballots_break_only_their_sum_proof() {
    let fx = teachers();
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let voter = &fx.voters[6];
    let mut vote = fx.votes[6].clone();
    vote[0] = vec![1, 1, 1, 1, 0, 0, 0, 0];
    let wide = |c: usize, rules: ContestRules| {
        if c == 0 {
            1..=4
        } else {
            honest_range(c, rules)
        }
    };
    let over = forge_ballot(&fx.context, voter, &vote, wide, &mut rng);
    match verify_ballot(&fx.context, &fx.credentials, &over) {
        Err(ElectionError::Ballot { check, .. }) => assert_eq!(check, "ballot.contest-limits"),
        other => panic!("an over-vote was not refused for its limits: {other:?}"),
    }
    // Everything else about it holds: each selection's range proof, the sum proof for the
    // range it was made for, and the voter's signature.
    let key = &fx.context.election_key;
    let fp = &fx.context.fingerprint;
    for (c, (contest, ballot)) in fx.manifest.contests.iter().zip(&over.contests).enumerate() {
        let rules = contest.rules();
        let mut decoded = Vec::new();
        for (i, selection) in ballot.selections.iter().enumerate() {
            let range = 0..=rules.selection_max(i, contest.options.len());
            decoded.push(
                selection
                    .proof
                    .verify(
                        &mut selection_transcript(fp, &over.credential, c, i),
                        key,
                        &selection.ciphertext,
                        range,
                    )
                    .unwrap()
                    .mul_weight(if rules.blank && i == contest.options.len() {
                        rules.blank_weight()
                    } else {
                        1
                    }),
            );
        }
        let proven = wide(c, rules);
        ballot
            .sum_proof
            .verify(
                &mut contest_transcript(fp, &over.credential, c),
                key,
                &decoded,
                proven,
            )
            .unwrap();
    }
    over.signature
        .verify(
            &mut context_transcript(b"ballot-signature/v1", fp.as_bytes()),
            &voter.public,
            over.content_hash().as_bytes(),
        )
        .unwrap();
    // The booth itself refuses such a vote.
    assert!(encrypt_ballot(&fx.context, &voter.key(&fx.context), &vote, &mut rng).is_err());
}

#[test]
fn tamper_table() {
    let cases = cases();
    assert!(cases.len() >= 18);
    let mut failures = Vec::new();
    let mut reached = HashSet::new();
    for case in &cases {
        match verify_both(&case.record) {
            Ok(_) => failures.push(format!("{}: verified", case.name)),
            Err(e) => {
                eprintln!("{:<55} {e}", case.name);
                reached.insert(e.check);
                let got = (e.check, e.seq, e.culprit.as_deref());
                let want = (case.check, case.seq, case.culprit);
                if got != want {
                    failures.push(format!(
                        "{}: expected {want:?}, got {got:?} ({e})",
                        case.name
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let missing: Vec<Check> = ALL_CHECKS
        .iter()
        .filter(|c| !reached.contains(*c))
        .copied()
        .collect();
    assert!(missing.is_empty(), "no case reaches {missing:?}");
}

#[test]
fn deleting_duplicating_or_altering_any_single_line_fails() {
    let honest = teachers().honest();
    let n = honest.board.len();
    let with_board = |board: Vec<String>| Record {
        board,
        ..honest.clone()
    };
    for i in 0..n {
        let mut deleted = honest.board.clone();
        deleted.remove(i);
        let e = verify_in_memory(&with_board(deleted)).unwrap_err();
        let expected = if i + 1 == n {
            Check::Complete
        } else {
            Check::Sequence
        };
        assert_eq!(e.check, expected, "line {i} deleted: {e}");

        let mut duplicated = honest.board.clone();
        duplicated.insert(i, honest.board[i].clone());
        let e = verify_in_memory(&with_board(duplicated)).unwrap_err();
        assert_eq!(e.check, Check::Sequence, "line {i} duplicated: {e}");
        assert_eq!(e.seq, Some(i as u64 + 1), "line {i} duplicated: {e}");

        let line = &honest.board[i];
        let edits = [
            (
                "payload",
                alter_payload(line),
                &[Check::EventHash, Check::Format][..],
            ),
            (
                "hash",
                alter_hex_field(line, "hash"),
                &[Check::EventHash][..],
            ),
            ("prev", alter_hex_field(line, "prev"), &[Check::Chain][..]),
            ("seq", alter_seq(line), &[Check::Sequence][..]),
        ];
        for (what, edited, expected) in edits {
            assert_ne!(&edited, line);
            let mut board = honest.board.clone();
            board[i] = edited;
            let e = verify_in_memory(&with_board(board)).unwrap_err();
            assert!(
                expected.contains(&e.check),
                "line {i}, {what} altered: expected one of {expected:?}, got {e}"
            );
            assert_eq!(e.seq, Some(i as u64), "line {i}, {what} altered: {e}");
        }
    }
}

#[test]
fn a_rewritten_board_verifies_only_under_another_head() {
    // Rewriting history and recomputing the chain is not visible in the record alone: it is
    // the published chain head (and the voters' receipts) that give it away.
    let fx = teachers();
    let mut rng = ChaCha20Rng::seed_from_u64(4);
    let honest = verify_both(&fx.honest()).unwrap();
    let ballots = find_all(&fx.entries, "ballot");

    let mut swapped = fx.work();
    swapped.entries.swap(ballots[0], ballots[1]);
    rechain(&mut swapped.entries);
    let report = verify_both(&swapped.record()).unwrap();
    assert_eq!(report.result, honest.result);
    assert_ne!(report.head, honest.head);

    let mut dropped = fx.work();
    dropped.entries.remove(ballots[0]);
    fx.retally(&mut dropped.entries, &mut rng);
    dropped.receipts.clear();
    let report = verify_both(&dropped.record()).unwrap();
    assert_eq!(report.ballots, ballots.len() as u64 - 1);
    assert_ne!(report.head, honest.head);
}

#[test]
fn an_unfinished_board_verifies_only_when_allowed() {
    let fx = teachers();
    let mut w = fx.work();
    w.entries.truncate(find(&w.entries, "close"));
    w.audits.clear();
    let dir = tempfile::tempdir().unwrap();
    write_record(dir.path(), &w.entries, &w.receipts, &w.audits).unwrap();
    let e = verify_record_dir(dir.path(), &VerifyOptions::default(), |_| {}).unwrap_err();
    assert_eq!((e.check, e.seq), (Check::Complete, None));
    let options = VerifyOptions {
        allow_incomplete: true,
        ..VerifyOptions::default()
    };
    let report = verify_record_dir(dir.path(), &options, |_| {}).unwrap();
    assert!(!report.complete);
    assert_eq!(report.ballots, fx.voters.len() as u64);
    assert_eq!(report.receipts_checked, fx.voters.len());
    assert_eq!(report.result, None);
}

#[test]
fn an_unweighted_election_refuses_weights_other_than_one() {
    let fx = teachers();
    assert!(!fx.manifest.weighted);
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let mut list = get!(fx.entries, find(&fx.entries, "credentials"), Credentials);
    list.credentials[0].weight = 50;
    let rerun = fx.rerun_with_credentials(list, &mut rng);
    match verify_both(&rerun.record()) {
        Err(e) => assert!(
            matches!(e.check, Check::Credentials | Check::Weight),
            "refused, but by {e}"
        ),
        Ok(report) => panic!(
            "a one-voter-one-vote election verified with a voter of weight 50: \
             weight counted {} for {} ballots",
            report.result.map(|r| r.weight_counted).unwrap_or(0),
            report.ballots
        ),
    }
}

#[test]
fn an_audited_ballot_cast_with_a_fresh_signature_is_caught() {
    let fx = teachers();
    let mut rng = ChaCha20Rng::seed_from_u64(6);
    let mut w = fx.work();
    let mut ballot = fx.audits[1].ballot.clone();
    fx.voters[5].sign(&mut ballot, &mut rng);
    assert_eq!(ballot.content_hash(), fx.audits[1].ballot.content_hash());
    assert_ne!(ballot.tracking_code(), fx.audits[1].ballot.tracking_code());
    fx.replace_ballot(&mut w, 5, ballot);
    fx.retally(&mut w.entries, &mut rng);
    match verify_both(&w.record()) {
        Err(e) => assert_eq!(e.check, Check::Audits, "{e}"),
        Ok(_) => panic!("a ballot whose randomness was revealed in an audit was counted"),
    }
}
