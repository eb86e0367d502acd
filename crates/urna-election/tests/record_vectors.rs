//! A small election record checked into `spec/vectors/record-v1/`: every future version of the
//! verifier must still accept it and report the same fingerprint, board head, event count and
//! result (`expected.json`). A code change that stops old records verifying fails here.
//!
//! The record is deterministic from its seed (ChaCha20); only the batch-verification weights
//! drawn while casting are random, and they are never written. To regenerate it (which changes
//! the vectors, so only do it on purpose, for a new record format):
//!
//! ```text
//! URNA_WRITE_VECTORS=1 cargo test -p urna-election --test record_vectors
//! ```

use std::fs;
use std::path::PathBuf;

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde::{Deserialize, Serialize};
use urna_crypto::Digest32;
use urna_election::board::{event_hash, ElectionResult, GENESIS};
use urna_election::record::{verify_record_dir, write_record, VerifyOptions, RECORD_FORMAT};
use urna_election::simulate::{random_vote, OfflineElection};
use urna_election::{encrypt_ballot, BoardEntry, ElectionManifest};

const SEED: u64 = 2027;
const VOTERS: usize = 5;

/// What the checked-in record must verify to.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Expected {
    format: String,
    seed: u64,
    fingerprint: Digest32,
    head: Digest32,
    events: u64,
    ballots: u64,
    receipts: usize,
    audits: usize,
    result: ElectionResult,
}

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../spec/vectors/record-v1")
}

fn manifest() -> ElectionManifest {
    let path = format!(
        "{}/../../tests/fixtures/manifests/technical-staff.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

/// Runs the election and writes the record and `expected.json` into `dir`.
fn generate(dir: &std::path::Path) {
    let mut rng = ChaCha20Rng::seed_from_u64(SEED);
    let manifest = manifest();
    let mut election = OfflineElection::setup(manifest.clone()).unwrap();
    election.key_ceremony(None, &mut rng).unwrap();
    let secrets = election.issue_credentials(&[1; VOTERS], &mut rng).unwrap();
    let fingerprint = election.seal().unwrap();
    election
        .approve_and_open("prefekt", "2027-03-01T09:00:00+01:00")
        .unwrap();
    let context = election.context().unwrap().clone();
    let mut ballots = Vec::new();
    let mut audits = Vec::new();
    for (i, secret) in secrets.iter().enumerate() {
        let key = secret.derive_key(&context.setup_hash);
        if i == 0 {
            // The first voter challenges one ballot (Benaloh) before casting a fresh one.
            let vote = random_vote(&manifest, &mut rng);
            let audited = encrypt_ballot(&context, &key, &vote, &mut rng)
                .unwrap()
                .audit();
            assert_eq!(audited.verify(&context).unwrap(), vote);
            audits.push(audited);
        }
        let vote = random_vote(&manifest, &mut rng);
        ballots.push(
            encrypt_ballot(&context, &key, &vote, &mut rng)
                .unwrap()
                .cast(),
        );
    }
    let receipts: Vec<_> = election
        .cast_many(ballots, &mut rng)
        .unwrap()
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    election
        .close_and_tally("2027-03-08T16:00:00+01:00")
        .unwrap();
    election.decrypt(&[1, 3], &mut rng).unwrap();
    let result = election.publish_result().unwrap();

    if dir.exists() {
        fs::remove_dir_all(dir).unwrap();
    }
    write_record(dir, election.entries(), &receipts, &audits).unwrap();
    let last = election.entries().last().unwrap();
    let expected = Expected {
        format: RECORD_FORMAT.into(),
        seed: SEED,
        fingerprint,
        head: last.hash,
        events: election.entries().len() as u64,
        ballots: VOTERS as u64,
        receipts: receipts.len(),
        audits: audits.len(),
        result,
    };
    fs::write(
        dir.join("expected.json"),
        serde_json::to_string_pretty(&expected).unwrap() + "\n",
    )
    .unwrap();
}

fn read_expected() -> Expected {
    serde_json::from_str(&fs::read_to_string(vectors_dir().join("expected.json")).unwrap()).unwrap()
}

fn writing() -> bool {
    std::env::var("URNA_WRITE_VECTORS").is_ok_and(|v| v == "1")
}

#[test]
fn checked_in_record_verifies_to_the_expected_result() {
    if writing() {
        generate(&vectors_dir());
    }
    let dir = vectors_dir();
    let expected = read_expected();
    assert_eq!(
        fs::read_to_string(dir.join("format.txt")).unwrap().trim(),
        expected.format
    );
    let report = verify_record_dir(&dir, &VerifyOptions::default(), |_| {})
        .unwrap_or_else(|e| panic!("the checked-in record no longer verifies: {e}"));
    assert!(report.complete);
    assert_eq!(report.election_id, "technical-staff");
    assert_eq!(report.fingerprint, Some(expected.fingerprint));
    assert_eq!(report.head, expected.head);
    assert_eq!(report.events, expected.events);
    assert_eq!(report.ballots, expected.ballots);
    assert_eq!(report.ballots_counted, Some(expected.ballots));
    assert_eq!(report.receipts_checked, expected.receipts);
    assert_eq!(report.audits_checked, expected.audits);
    assert_eq!(report.result.as_ref(), Some(&expected.result));
    assert!(report.blame.is_empty());
}

#[test]
fn checked_in_board_lines_hash_and_chain() {
    if writing() {
        // The other test (re)writes the files; nothing to check against yet.
        return;
    }
    let expected = read_expected();
    let text = fs::read_to_string(vectors_dir().join("board.jsonl")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len() as u64, expected.events);
    let mut prev = GENESIS;
    for (i, line) in lines.iter().enumerate() {
        let entry = BoardEntry::parse_line(line).unwrap();
        assert_eq!(entry.seq, i as u64, "line {i}");
        assert_eq!(entry.prev, prev, "line {i} names the wrong predecessor");
        assert_eq!(
            event_hash(entry.seq, &entry.prev, &entry.kind, &entry.payload),
            entry.hash,
            "line {i}'s hash does not recompute"
        );
        // The line is byte for byte what the writer makes of it.
        assert_eq!(&entry.to_line().unwrap(), line, "line {i} is not canonical");
        prev = entry.hash;
    }
    assert_eq!(prev, expected.head);
    let first = BoardEntry::parse_line(lines[0]).unwrap();
    assert_eq!(first.kind, "setup");
    let last = BoardEntry::parse_line(lines[lines.len() - 1]).unwrap();
    assert_eq!(last.kind, "result");
}
