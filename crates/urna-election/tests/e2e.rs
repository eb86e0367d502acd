//! A complete election through the public API, checked against the plaintext count.

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use urna_election::record::{verify_record_dir, write_record, VerifyOptions};
use urna_election::simulate::{random_vote, OfflineElection};
use urna_election::{encrypt_ballot, ElectionManifest};

fn manifest(name: &str) -> ElectionManifest {
    let path = format!(
        "{}/../../tests/fixtures/manifests/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn small_teachers_election_verifies_and_matches_the_plaintext_count() {
    let mut rng = ChaCha20Rng::seed_from_u64(42);
    let manifest = manifest("teachers");
    let mut election = OfflineElection::setup(manifest.clone()).unwrap();
    election.key_ceremony(None, &mut rng).unwrap();
    let secrets = election.issue_credentials(&[1; 20], &mut rng).unwrap();
    election.seal().unwrap();
    election
        .approve_and_open("prefekt", "2027-03-01T09:00:00+01:00")
        .unwrap();
    let context = election.context().unwrap().clone();
    let mut expected: Vec<Vec<u64>> = manifest
        .contests
        .iter()
        .map(|c| vec![0; c.selection_count()])
        .collect();
    let mut ballots = Vec::new();
    let mut audits = Vec::new();
    for (i, secret) in secrets.iter().enumerate() {
        let key = secret.derive_key(&context.setup_hash);
        if i % 7 == 0 {
            let vote = random_vote(&manifest, &mut rng);
            let audited = encrypt_ballot(&context, &key, &vote, &mut rng)
                .unwrap()
                .audit();
            assert_eq!(audited.verify(&context).unwrap(), vote);
            audits.push(audited);
        }
        let vote = random_vote(&manifest, &mut rng);
        for (sum, v) in expected.iter_mut().zip(&vote) {
            for (s, x) in sum.iter_mut().zip(v) {
                *s += x;
            }
        }
        ballots.push(
            encrypt_ballot(&context, &key, &vote, &mut rng)
                .unwrap()
                .cast(),
        );
    }
    let codes: Vec<_> = election
        .cast_many(ballots, &mut rng)
        .unwrap()
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    // A second ballot from the first voter is refused under `final`.
    let again = encrypt_ballot(
        &context,
        &secrets[0].derive_key(&context.setup_hash),
        &random_vote(&manifest, &mut rng),
        &mut rng,
    )
    .unwrap()
    .cast();
    assert!(election.cast_many(vec![again], &mut rng).unwrap()[0].is_err());

    election
        .close_and_tally("2027-03-08T16:00:00+01:00")
        .unwrap();
    election.decrypt(&[1, 3], &mut rng).unwrap();
    let result = election.publish_result().unwrap();
    let totals: Vec<Vec<u64>> = result.contests.iter().map(|c| c.totals.clone()).collect();
    assert_eq!(totals, expected);
    assert_eq!(result.ballots_counted, 20);

    let dir = tempfile::tempdir().unwrap();
    write_record(dir.path(), election.entries(), &codes, &audits).unwrap();
    let report = verify_record_dir(dir.path(), &VerifyOptions::default(), |_| {}).unwrap();
    assert!(report.complete);
    assert_eq!(report.ballots, 20);
    assert_eq!(report.receipts_checked, 20);
    assert_eq!(report.audits_checked, 3);
    assert_eq!(report.result.unwrap(), result);

    // The human-readable result must say what the board says.
    let result_path = dir.path().join("result.json");
    let mut edited = result.clone();
    edited.contests[0].totals[0] += 1;
    std::fs::write(&result_path, serde_json::to_string_pretty(&edited).unwrap()).unwrap();
    let error = verify_record_dir(dir.path(), &VerifyOptions::default(), |_| {}).unwrap_err();
    assert_eq!(error.check, urna_election::Check::DerivedFiles);
}
