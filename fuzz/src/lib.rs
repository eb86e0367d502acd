//! Shared fixtures for the fuzz targets: a real, fixed election to check ballots and proofs
//! against, and helpers every target uses.
//!
//! The election is `spec/vectors/record-v1` (a complete record made by the test-vector
//! generator): its setup, key ceremony, credentials and seal give the [`ElectionContext`] and
//! the credential list a ballot is verified against, exactly as the server holds them for a
//! sealed election; its ballot events give valid ballots to mutate.

use std::sync::OnceLock;

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use urna_election::ballot::{AuditedBallot, Ballot, ElectionContext};
use urna_election::board::{BoardEntry, Event};
use urna_election::credential::ValidCredentials;
use urna_election::RecordVerifier;

/// The record's `board.jsonl`.
pub const RECORD_BOARD: &str = include_str!("../../spec/vectors/record-v1/board.jsonl");

/// The record's `audits.jsonl`.
pub const RECORD_AUDITS: &str = include_str!("../../spec/vectors/record-v1/audits.jsonl");

/// A sealed election: what a ballot is checked against.
pub struct Fixture {
    pub context: ElectionContext,
    pub credentials: ValidCredentials,
    /// The valid ballots cast in the record, in board order.
    pub ballots: Vec<Ballot>,
    /// The record's audited ballots (`audits.jsonl`).
    pub audits: Vec<AuditedBallot>,
    /// Each ballot's compact JSON (as the booth sends it, and as it is on the board).
    pub ballot_json: Vec<String>,
}

/// The fixture, built once per process.
pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        single_thread();
        let mut verifier = RecordVerifier::new();
        let mut credentials = None;
        let mut ballots = Vec::new();
        for line in RECORD_BOARD.lines().filter(|l| !l.is_empty()) {
            let entry = BoardEntry::parse_line(line).expect("record-v1 line");
            match entry.event().expect("record-v1 event") {
                Event::Credentials(list) => {
                    credentials = Some(list.validate().expect("record-v1 credentials"))
                }
                Event::Ballot(cast) => ballots.push(cast.ballot),
                _ => {}
            }
            if verifier.context().is_none() {
                verifier.push_line(line).expect("record-v1 verifies");
            }
        }
        let context = verifier.context().expect("record-v1 is sealed").clone();
        let ballot_json = ballots
            .iter()
            .map(|b| serde_json::to_string(b).expect("ballot to JSON"))
            .collect();
        let audits = RECORD_AUDITS
            .lines()
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_str(l).expect("record-v1 audit"))
            .collect();
        Fixture {
            audits,
            context,
            credentials: credentials.expect("record-v1 has credentials"),
            ballots,
            ballot_json,
        }
    })
}

/// The smallest ballot an election can have, for `ballot_mutate`: record-v1's election with
/// its contest cut to two options and no blank (two 0/1 proofs, a one-branch sum proof and
/// the signature, against four 0/1 proofs in the record's ballots), under a fresh key, three
/// voters, one ballot each. Made here from a fixed seed, so every run mutates the same
/// ballots. The context is built directly, as the server holds it for a sealed election; the
/// setup hash and fingerprint are fixed digests, since only the ballot checks use them.
pub fn small_election() -> &'static Fixture {
    static SMALL: OnceLock<Fixture> = OnceLock::new();
    SMALL.get_or_init(|| {
        use urna_crypto::encoding::Digest32;
        use urna_election::ballot::encrypt_ballot;
        use urna_election::CredentialList;

        let mut rng = ChaCha20Rng::seed_from_u64(0x736d616c6c);
        let mut manifest = fixture().context.manifest.clone();
        let contest = &mut manifest.contests[0];
        contest.options.truncate(2);
        contest.blank = None;
        manifest.validate().expect("the cut manifest is valid");
        let secret = urna_crypto::SecretKey::generate(&mut rng);
        let context = ElectionContext {
            manifest,
            setup_hash: Digest32([0x5e; 32]),
            election_key: secret.public_key(),
            fingerprint: Digest32([0xf1; 32]),
        };
        let (secrets, list) = CredentialList::generate(&context.setup_hash, &[1, 1, 1], &mut rng);
        let ballots: Vec<Ballot> = secrets
            .iter()
            .enumerate()
            .map(|(voter, secret)| {
                let key = secret.derive_key(&context.setup_hash);
                let vote = vec![if voter % 2 == 0 {
                    vec![1, 0]
                } else {
                    vec![0, 1]
                }];
                encrypt_ballot(&context, &key, &vote, &mut rng)
                    .expect("a valid vote encrypts")
                    .cast()
            })
            .collect();
        let ballot_json = ballots
            .iter()
            .map(|b| serde_json::to_string(b).expect("ballot to JSON"))
            .collect();
        Fixture {
            context,
            credentials: list.validate().expect("generated credentials are valid"),
            ballots,
            audits: Vec::new(),
            ballot_json,
        }
    })
}

/// A deterministic RNG (batch verification weights): a crash must reproduce from its input.
pub fn rng() -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(0x75726e61)
}

/// Rayon's global pool with one thread: the targets run on one core, as the runs are
/// specified (the record verifier parallelises with the `parallel` feature, which the server
/// dependency turns on).
pub fn single_thread() {
    // Fails only if the pool already exists, which is fine.
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build_global();
}

/// JSON of `value` parsed back must be `value`, and its JSON must be a fixed point: the
/// encoding is canonical once parsed (spec/record.md §1: compact JSON, fields in order).
pub fn assert_json_round_trip<T>(value: &T)
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + core::fmt::Debug,
{
    let json = serde_json::to_string(value).expect("a parsed value encodes");
    let again: T = serde_json::from_str(&json).expect("its own JSON parses");
    assert_eq!(&again, value, "JSON round trip changed the value");
    let json_again = serde_json::to_string(&again).expect("encodes");
    assert_eq!(json, json_again, "JSON encoding is not a fixed point");
}

/// What every target that gets a [`Ballot`] checks: its JSON and bincode round trips, that its
/// tracking code parses back, and, against the fixed election, that the plain verifier's
/// verdict is sound — only a ballot cast in the record verifies (a new one would need a
/// voter's credential secret), and what it returns describes that very ballot.
pub fn check_ballot(ballot: &Ballot) {
    assert_json_round_trip(ballot);
    let bin = bincode::serialize(ballot).expect("bincode encodes");
    assert_eq!(
        bincode::deserialize::<Ballot>(&bin).ok().as_ref(),
        Some(ballot),
        "bincode round trip"
    );
    let code = ballot.tracking_code();
    assert_eq!(
        urna_election::TrackingCode::parse(&code.0).as_ref(),
        Some(&code),
        "a tracking code parses back"
    );
    let f = fixture();
    if let Ok(verified) = urna_election::verify_ballot(&f.context, &f.credentials, ballot) {
        assert!(
            f.ballots.contains(ballot),
            "a ballot that is not in the record verified"
        );
        assert_eq!(verified.credential, ballot.credential);
        assert_eq!(verified.content_hash, ballot.content_hash());
        assert_eq!(verified.hash, ballot.hash());
        let shape: Vec<usize> = ballot.contests.iter().map(|c| c.selections.len()).collect();
        let decoded: Vec<usize> = verified.ciphertexts.iter().map(Vec::len).collect();
        assert_eq!(shape, decoded);
        for (contest, cts) in ballot.contests.iter().zip(&verified.ciphertexts) {
            for (selection, ct) in contest.selections.iter().zip(cts) {
                assert_eq!(
                    ct.to_bytes(),
                    selection.ciphertext,
                    "decoded ciphertext differs"
                );
            }
        }
    }
}
