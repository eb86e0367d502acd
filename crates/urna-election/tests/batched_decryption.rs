//! A trustee's partial decryptions are checked as one batch (spec/record.md §8, V20); a bad
//! share must still be found and named by contest and selection, with the same verdict and
//! the same words as the share-by-share check, both on its own and in a record.

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use urna_crypto::{Ciphertext, PointBytes, PublicKey, ScalarBytes};
use urna_election::board::{event_hash, BoardEntry, TrusteeDecryption};
use urna_election::record::{verify_record_dir, write_record, VerifyOptions};
use urna_election::simulate::{random_vote, OfflineElection};
use urna_election::tally::{
    decode_tally, verify_trustee_decryption, verify_trustee_decryption_batched,
    verify_trustee_decryption_each,
};
use urna_election::{encrypt_ballot, Check, ElectionManifest, Event};

fn manifest(name: &str) -> ElectionManifest {
    let path = format!(
        "{}/../../tests/fixtures/manifests/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A finished election with two contests (the teachers' ballot: 8 and 4 selections).
struct Decrypted {
    election: OfflineElection,
    fingerprint: urna_crypto::Digest32,
    totals: Vec<Vec<Ciphertext>>,
    /// The decryption events' board indices and contents, in board order.
    decryptions: Vec<(usize, TrusteeDecryption)>,
}

impl Decrypted {
    fn key(&self, trustee: u32) -> PublicKey {
        *self
            .election
            .key_shares()
            .iter()
            .find(|s| s.index() == trustee)
            .unwrap()
            .verification_key()
    }
}

fn decrypted(name: &str) -> Decrypted {
    let mut rng = ChaCha20Rng::seed_from_u64(6);
    let manifest = manifest(name);
    let mut election = OfflineElection::setup(manifest.clone()).unwrap();
    election.key_ceremony(None, &mut rng).unwrap();
    let weights = vec![1; 4];
    let secrets = election.issue_credentials(&weights, &mut rng).unwrap();
    election.seal().unwrap();
    election
        .approve_and_open("orderer", "2027-03-01T09:00:00+01:00")
        .unwrap();
    let context = election.context().unwrap().clone();
    let ballots = secrets
        .iter()
        .map(|s| {
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
    election.decrypt(&[1, 3], &mut rng).unwrap();
    election.publish_result().unwrap();
    let mut totals = None;
    let mut decryptions = Vec::new();
    for (i, entry) in election.entries().iter().enumerate() {
        match entry.event().unwrap() {
            Event::Tally(t) => totals = Some(decode_tally(&t).unwrap()),
            Event::Decryption(d) => decryptions.push((i, d)),
            _ => {}
        }
    }
    Decrypted {
        fingerprint: context.fingerprint,
        election,
        totals: totals.unwrap(),
        decryptions,
    }
}

/// Every (contest, selection) of the tally.
fn positions(totals: &[Vec<Ciphertext>]) -> Vec<(usize, usize)> {
    totals
        .iter()
        .enumerate()
        .flat_map(|(c, cts)| (0..cts.len()).map(move |s| (c, s)))
        .collect()
}

/// The batched and the plain check must agree exactly: both valid with the same shares, or
/// both failing with the same message.
fn check_both(fx: &Decrypted, decryption: &TrusteeDecryption) -> Result<(), String> {
    let key = fx.key(decryption.trustee);
    let mut rng = ChaCha20Rng::seed_from_u64(99);
    let batched =
        verify_trustee_decryption_batched(&fx.fingerprint, &key, &fx.totals, decryption, &mut rng);
    let os_rng = verify_trustee_decryption(&fx.fingerprint, &key, &fx.totals, decryption);
    let plain = verify_trustee_decryption_each(&fx.fingerprint, &key, &fx.totals, decryption);
    match (&batched, &os_rng, &plain) {
        (Ok(a), Ok(b), Ok(c)) => {
            assert_eq!(a, c);
            assert_eq!(b, c);
            Ok(())
        }
        (Err(a), Err(b), Err(c)) => {
            assert_eq!(a.to_string(), c.to_string());
            assert_eq!(b.to_string(), c.to_string());
            Err(c.to_string())
        }
        _ => panic!("batched {batched:?}, with OsRng {os_rng:?} and plain {plain:?} disagree"),
    }
}

#[test]
fn honest_decryptions_pass_batched_and_plain_alike() {
    let fx = decrypted("teachers");
    assert!(fx.totals.len() > 1, "a ballot with several contests");
    assert_eq!(fx.decryptions.len(), 2);
    for (_, d) in &fx.decryptions {
        check_both(&fx, d).unwrap();
    }
}

#[test]
fn a_wrong_share_point_is_named_by_contest_and_selection() {
    let fx = decrypted("teachers");
    let (_, honest) = &fx.decryptions[0];
    let all = positions(&fx.totals);
    for &(c, s) in &all {
        // Another selection's share: a valid point, the wrong decryption.
        let (oc, os) = all[(all.iter().position(|p| *p == (c, s)).unwrap() + 1) % all.len()];
        let mut bad = honest.clone();
        bad.shares[c][s].share = honest.shares[oc][os].share;
        let message = check_both(&fx, &bad).unwrap_err();
        assert!(
            message.starts_with(&format!(
                "trustee {}: contest {c}, selection {s}: ",
                honest.trustee
            )),
            "{message}"
        );
    }
}

#[test]
fn a_forged_proof_or_a_bad_encoding_is_named_too() {
    let fx = decrypted("teachers");
    let (_, honest) = &fx.decryptions[1];
    let (c, s) = *positions(&fx.totals).last().unwrap();

    let mut forged = honest.clone();
    forged.shares[c][s].proof.z = ScalarBytes([7; 32]);
    let message = check_both(&fx, &forged).unwrap_err();
    assert!(
        message.contains(&format!("contest {c}, selection {s}: ")),
        "{message}"
    );

    let mut undecodable = honest.clone();
    undecodable.shares[0][0].share = PointBytes([0xff; 32]);
    let message = check_both(&fx, &undecodable).unwrap_err();
    assert!(
        message.contains("contest 0, selection 0: invalid point encoding"),
        "{message}"
    );
}

/// With two bad shares the first in board order is named, even when the later one would be
/// caught while queueing (a bad encoding) and the earlier one only by the batch equation.
#[test]
fn the_first_bad_share_is_named() {
    let fx = decrypted("teachers");
    let (_, honest) = &fx.decryptions[0];
    let all = positions(&fx.totals);
    let (c, s) = all[0];
    let (lc, ls) = *all.last().unwrap();
    let mut bad = honest.clone();
    bad.shares[c][s].share = honest.shares[lc][ls].share;
    bad.shares[lc][ls].share = PointBytes([0xff; 32]);
    let message = check_both(&fx, &bad).unwrap_err();
    assert!(
        message.starts_with(&format!(
            "trustee {}: contest {c}, selection {s}: ",
            honest.trustee
        )),
        "{message}"
    );
}

#[test]
fn shape_errors_keep_their_words() {
    let fx = decrypted("teachers");
    let (_, honest) = &fx.decryptions[0];

    let mut short = honest.clone();
    short.shares.pop();
    assert_eq!(
        check_both(&fx, &short).unwrap_err(),
        format!("trustee {}: wrong number of contests", honest.trustee)
    );

    let mut missing = honest.clone();
    missing.shares[0].pop();
    assert!(check_both(&fx, &missing)
        .unwrap_err()
        .ends_with("contest 0: wrong number of shares"));

    let mut other = honest.clone();
    other.shares[0][1].trustee += 1;
    assert!(check_both(&fx, &other)
        .unwrap_err()
        .ends_with("contest 0, selection 1: share names another trustee"));
}

/// Rewrites board entry `i` and re-chains everything after it, so only V20 can object.
fn replace_and_rechain(entries: &mut [BoardEntry], i: usize, event: &Event) {
    entries[i].payload = event.payload_json().unwrap();
    for k in i..entries.len() {
        if k > 0 {
            entries[k].prev = entries[k - 1].hash;
        }
        let e = &entries[k];
        entries[k].hash = event_hash(e.seq, &e.prev, &e.kind, &e.payload);
    }
}

#[test]
fn a_tampered_share_in_a_record_fails_v20_naming_contest_and_selection() {
    let fx = decrypted("teachers");
    let (index, honest) = &fx.decryptions[1];
    let (c, s) = (1, 0);
    let mut bad = honest.clone();
    bad.shares[c][s].share = honest.shares[0][0].share;
    let mut entries = fx.election.entries().to_vec();
    replace_and_rechain(&mut entries, *index, &Event::Decryption(bad));

    let dir = tempfile::tempdir().unwrap();
    write_record(dir.path(), &entries, &[], &[]).unwrap();
    let error = verify_record_dir(dir.path(), &VerifyOptions::default(), |_| {}).unwrap_err();
    assert_eq!(error.check, Check::PartialDecryption);
    assert_eq!(error.seq, Some(*index as u64));
    assert_eq!(error.culprit, Some(format!("trustee {}", honest.trustee)));
    assert!(
        error.message.contains(&format!(
            "trustee {}: contest {c}, selection {s}: ",
            honest.trustee
        )),
        "{error}"
    );

    // The line-by-line verifier says the same.
    let mut verifier = urna_election::RecordVerifier::new();
    let line_error = entries
        .iter()
        .map(|e| verifier.push_line(&e.to_line().unwrap()))
        .find_map(Result::err)
        .unwrap();
    assert_eq!(line_error, error);
}
