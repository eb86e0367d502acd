//! `RecordVerifier::push_lines` (lines parsed, hashed and verified on every core, a window at
//! a time) must reach the same verdict as `push_line` on each line in turn, with the same
//! error (check, event, culprit and message), whatever the window size — also when a record
//! has several faults on either side of the point where buffered ballots are verified (every
//! 2,048 ballots), and when the seal and ballots share a window.

use std::sync::OnceLock;

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;
use urna_election::board::{event_hash, BoardEntry};
use urna_election::record::{verify_record_dir, write_record, VerifyOptions};
use urna_election::simulate::{random_vote, OfflineElection};
use urna_election::{
    encrypt_ballot, Check, ElectionManifest, Event, RecordVerifier, Report, VerifyError,
};

/// More ballots than the verifier buffers before it checks them (2,048).
const BALLOTS: usize = 2100;

fn manifest() -> ElectionManifest {
    let path = format!(
        "{}/../../tests/fixtures/manifests/technical-staff.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// An honest board with [`BALLOTS`] ballots.
fn honest() -> &'static [BoardEntry] {
    static BOARD: OnceLock<Vec<BoardEntry>> = OnceLock::new();
    BOARD.get_or_init(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(2048);
        let manifest = manifest();
        let mut election = OfflineElection::setup(manifest.clone()).unwrap();
        election.key_ceremony(None, &mut rng).unwrap();
        let secrets = election
            .issue_credentials(&vec![1; BALLOTS], &mut rng)
            .unwrap();
        election.seal().unwrap();
        election
            .approve_and_open("orderer", "2027-03-01T09:00:00+01:00")
            .unwrap();
        let context = election.context().unwrap().clone();
        let ballots: Vec<_> = secrets
            .par_iter()
            .enumerate()
            .map(|(i, s)| {
                let mut rng = ChaCha20Rng::seed_from_u64(i as u64);
                let key = s.derive_key(&context.setup_hash);
                let vote = random_vote(&manifest, &mut rng);
                encrypt_ballot(&context, &key, &vote, &mut rng)
                    .unwrap()
                    .cast()
            })
            .collect();
        for outcome in election.cast_many(ballots, &mut rng).unwrap() {
            outcome.unwrap();
        }
        election
            .close_and_tally("2027-03-08T16:00:00+01:00")
            .unwrap();
        election.decrypt(&[1, 2], &mut rng).unwrap();
        election.publish_result().unwrap();
        election.entries().to_vec()
    })
}

/// The board index of the `n`th ballot.
fn ballot(entries: &[BoardEntry], n: usize) -> usize {
    entries
        .iter()
        .enumerate()
        .filter(|(_, e)| e.kind == "ballot")
        .nth(n)
        .unwrap()
        .0
}

/// Recomputes every `prev` and `hash` from entry `from` on.
fn rechain(entries: &mut [BoardEntry], from: usize) {
    for k in from..entries.len() {
        if k > 0 {
            entries[k].prev = entries[k - 1].hash;
        }
        let e = &entries[k];
        entries[k].hash = event_hash(e.seq, &e.prev, &e.kind, &e.payload);
    }
}

/// Swaps two selections' range proofs in the `n`th ballot (it keeps its shape and its
/// signature covers the swap, so only the proof check objects) and re-chains the board.
fn forge_proof(entries: &mut [BoardEntry], n: usize) -> usize {
    let i = ballot(entries, n);
    let Event::Ballot(mut cast) = entries[i].event().unwrap() else {
        unreachable!()
    };
    let selections = &mut cast.ballot.contests[0].selections;
    let first = selections[0].proof.clone();
    selections[0].proof = selections[1].proof.clone();
    selections[1].proof = first;
    entries[i].payload = Event::Ballot(cast).payload_json().unwrap();
    rechain(entries, i);
    i
}

/// What a verification says, in a form two verifiers can be compared by.
#[derive(Debug, PartialEq)]
enum Verdict {
    Valid {
        head: String,
        events: u64,
        ballots: u64,
        result: String,
    },
    Invalid(VerifyError),
}

fn verdict(outcome: Result<Report, VerifyError>) -> Verdict {
    match outcome {
        Ok(report) => Verdict::Valid {
            head: report.head.to_string(),
            events: report.events,
            ballots: report.ballots,
            result: serde_json::to_string(&report.result).unwrap(),
        },
        Err(e) => Verdict::Invalid(e),
    }
}

fn line_by_line(lines: &[String]) -> Result<Report, VerifyError> {
    let mut verifier = RecordVerifier::new();
    for line in lines {
        verifier.push_line(line)?;
    }
    Ok(verifier.finish(true)?.0)
}

fn in_windows(lines: &[String], window: usize) -> Result<Report, VerifyError> {
    let mut verifier = RecordVerifier::new();
    for chunk in lines.chunks(window) {
        verifier.push_lines(chunk)?;
    }
    Ok(verifier.finish(true)?.0)
}

/// Every way of verifying the lines agrees; returns the common verdict.
fn verify_every_way(lines: &[String]) -> Verdict {
    let expected = verdict(line_by_line(lines));
    for window in [1, 500, lines.len()] {
        assert_eq!(
            verdict(in_windows(lines, window)),
            expected,
            "push_lines with windows of {window} lines disagrees with push_line"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(dir.path().join("board.jsonl"), text).unwrap();
    assert_eq!(
        verdict(verify_record_dir(
            dir.path(),
            &VerifyOptions::default(),
            |_| {}
        )),
        expected,
        "verify_record_dir disagrees with push_line"
    );
    expected
}

fn lines(entries: &[BoardEntry]) -> Vec<String> {
    entries.iter().map(|e| e.to_line().unwrap()).collect()
}

fn invalid(verdict: Verdict) -> VerifyError {
    match verdict {
        Verdict::Invalid(e) => e,
        Verdict::Valid { .. } => panic!("a doctored record verified"),
    }
}

#[test]
fn an_honest_board_verifies_the_same_in_windows_and_on_disk() {
    let entries = honest();
    match verify_every_way(&lines(entries)) {
        Verdict::Valid {
            events, ballots, ..
        } => {
            assert_eq!(events, entries.len() as u64);
            assert_eq!(ballots, BALLOTS as u64);
        }
        Verdict::Invalid(e) => panic!("{e}"),
    }
    // The whole record as written, receipts and all, still verifies.
    let dir = tempfile::tempdir().unwrap();
    write_record(dir.path(), entries, &[], &[]).unwrap();
    let report = verify_record_dir(dir.path(), &VerifyOptions::default(), |_| {}).unwrap();
    assert!(report.complete);
}

#[test]
fn a_forged_proof_is_found_at_its_ballot() {
    let mut entries = honest().to_vec();
    let at = forge_proof(&mut entries, 2070);
    let e = invalid(verify_every_way(&lines(&entries)));
    assert_eq!((e.check, e.seq), (Check::SelectionProof, Some(at as u64)));
}

/// Ballot proofs are checked when 2,048 ballots are buffered: a chain break before that
/// point is reported first, one after it is not.
#[test]
fn faults_on_both_sides_of_a_flush_keep_their_order() {
    let mut entries = honest().to_vec();
    let forged = forge_proof(&mut entries, 10);

    let mut before = entries.clone();
    let broken = ballot(&before, 1000);
    before[broken].prev.0[0] ^= 1;
    let e = invalid(verify_every_way(&lines(&before)));
    assert_eq!((e.check, e.seq), (Check::Chain, Some(broken as u64)));

    let mut after = entries.clone();
    let broken = ballot(&after, 2060);
    after[broken].prev.0[0] ^= 1;
    let e = invalid(verify_every_way(&lines(&after)));
    assert_eq!(
        (e.check, e.seq),
        (Check::SelectionProof, Some(forged as u64))
    );
}

#[test]
fn a_bad_hash_after_a_bad_proof_in_the_last_chunk_is_reported_first() {
    let mut entries = honest().to_vec();
    forge_proof(&mut entries, 2060);
    let broken = ballot(&entries, 2070);
    entries[broken].hash.0[5] ^= 1;
    let e = invalid(verify_every_way(&lines(&entries)));
    assert_eq!((e.check, e.seq), (Check::EventHash, Some(broken as u64)));
}

#[test]
fn malformed_lines_and_payloads_are_format_errors_at_their_place() {
    let entries = honest();
    let mut text = lines(entries);
    let at = ballot(entries, 1500);
    text[at] = "{\"seq\": not json".into();
    let e = invalid(verify_every_way(&text));
    assert_eq!((e.check, e.seq), (Check::Format, Some(at as u64)));

    // A ballot payload that is JSON but not a ballot, properly hashed and chained.
    let mut doctored = entries.to_vec();
    let at = ballot(entries, 3);
    doctored[at].payload = "{\"ballot\":17,\"weight\":1}".into();
    rechain(&mut doctored, at);
    let e = invalid(verify_every_way(&lines(&doctored)));
    assert_eq!((e.check, e.seq), (Check::Format, Some(at as u64)));
    assert!(e.message.contains("malformed ballot event"), "{e}");

    // A wrong sequence number.
    let mut doctored = entries.to_vec();
    let at = ballot(entries, 2099);
    doctored[at].seq += 1;
    let e = invalid(verify_every_way(&lines(&doctored)));
    assert_eq!((e.check, e.seq), (Check::Sequence, Some(at as u64)));
}

#[test]
fn a_second_ballot_under_a_final_credential_is_a_revote_error() {
    let mut entries = honest().to_vec();
    // The first ballot again, just before the close (re-chained and recounted by position).
    let first = ballot(&entries, 0);
    let last = ballot(&entries, BALLOTS - 1);
    let mut copy = entries[first].clone();
    copy.seq = entries[last].seq;
    entries[last] = copy;
    rechain(&mut entries, last);
    let e = invalid(verify_every_way(&lines(&entries)));
    assert_eq!((e.check, e.seq), (Check::Revote, Some(last as u64)));
}
