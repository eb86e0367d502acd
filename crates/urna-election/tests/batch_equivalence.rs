//! The batched ballot verifier (one multiscalar multiplication for many ballots, with a
//! per-ballot fallback) against the plain one (each equation on its own): the same verdict for
//! every ballot, honest or tampered, the same error naming the same check, the same decoded
//! ciphertexts, and therefore the same tally.

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde_json::Value;
use urna_crypto::{Digest32, SecretKey};
use urna_election::ballot::{
    encrypt_ballot, verify_ballot, verify_ballots_batched, Ballot, ElectionContext,
};
use urna_election::credential::{CredentialList, ValidCredentials};
use urna_election::simulate::random_vote;
use urna_election::tally::TallyAccumulator;
use urna_election::ElectionManifest;

struct Election {
    context: ElectionContext,
    credentials: ValidCredentials,
    ballots: Vec<Ballot>,
}

/// The teachers' election (11 selections in two contests) with `voters` honest ballots.
fn election(voters: usize, seed: u64) -> Election {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let manifest: ElectionManifest = serde_json::from_str(include_str!(
        "../../../tests/fixtures/manifests/teachers.json"
    ))
    .expect("the teachers' manifest");
    let context = ElectionContext {
        manifest,
        setup_hash: Digest32([7; 32]),
        election_key: SecretKey::generate(&mut rng).public_key(),
        fingerprint: Digest32([8; 32]),
    };
    let (secrets, list) = CredentialList::generate(&context.setup_hash, &vec![1; voters], &mut rng);
    let credentials = list.validate().expect("a valid list");
    let ballots = secrets
        .iter()
        .map(|secret| {
            let key = secret.derive_key(&context.setup_hash);
            let vote = random_vote(&context.manifest, &mut rng);
            encrypt_ballot(&context, &key, &vote, &mut rng)
                .expect("an honest ballot")
                .cast()
        })
        .collect();
    Election {
        context,
        credentials,
        ballots,
    }
}

/// Changes one hex character of the string at `path` (object keys and array indexes).
fn tamper(ballot: &Ballot, path: &[&str]) -> Ballot {
    let mut value = serde_json::to_value(ballot).expect("a ballot serializes");
    let mut at = &mut value;
    for step in path {
        at = match step.parse::<usize>() {
            Ok(i) => &mut at[i],
            Err(_) => &mut at[*step],
        };
    }
    let text = at.as_str().expect("a hex string").to_owned();
    let first = if text.starts_with('0') { '1' } else { '0' };
    *at = Value::String(format!("{first}{}", &text[1..]));
    serde_json::from_value(value).expect("still a well-formed ballot")
}

/// Both verifiers on the same ballots: the results, as comparable strings, plus the tallies.
fn compare(election: &Election, ballots: &[Ballot]) -> Vec<Result<(), String>> {
    let Election {
        context,
        credentials,
        ..
    } = election;
    let refs: Vec<&Ballot> = ballots.iter().collect();
    let batched = verify_ballots_batched(
        context,
        credentials,
        &refs,
        &mut ChaCha20Rng::seed_from_u64(99),
    );
    assert_eq!(batched.len(), ballots.len());
    let mut plain_tally = TallyAccumulator::new(&context.manifest);
    let mut batched_tally = TallyAccumulator::new(&context.manifest);
    let mut verdicts = Vec::new();
    for (i, (ballot, batched)) in ballots.iter().zip(batched).enumerate() {
        let plain = verify_ballot(context, credentials, ballot);
        match (&plain, &batched) {
            (Ok(p), Ok(b)) => {
                assert_eq!(p, b, "ballot {i}: the verified ballots differ");
                plain_tally.add(p);
                batched_tally.add(b);
                verdicts.push(Ok(()));
            }
            (Err(p), Err(b)) => {
                assert_eq!(p.to_string(), b.to_string(), "ballot {i}");
                verdicts.push(Err(p.to_string()));
            }
            _ => panic!("ballot {i}: plain says {plain:?}, batched says {batched:?}"),
        }
    }
    assert_eq!(plain_tally.finish(), batched_tally.finish());
    verdicts
}

fn check_of(verdict: &Result<(), String>) -> &str {
    verdict.as_ref().err().map(String::as_str).unwrap_or("ok")
}

#[test]
fn honest_ballots_verify_alike_and_tally_alike() {
    let election = election(12, 1);
    let verdicts = compare(&election, &election.ballots);
    assert!(verdicts.iter().all(Result::is_ok), "{verdicts:?}");
}

#[test]
fn every_tampered_ballot_is_refused_alike_and_the_honest_ones_still_count() {
    let mut other = election(1, 3).ballots;
    let election = election(10, 2);
    let b = &election.ballots;
    let stranger = other.remove(0);
    let mut swapped = b[5].clone();
    swapped.contests[0].selections.swap(0, 1);
    // One ballot per way to break it, between honest ones; which check fires is the
    // verifiers' business, but both must name the same one.
    let ballots = vec![
        b[0].clone(),
        tamper(
            &b[1],
            &["contests", "0", "selections", "0", "proof", "0", "z"],
        ),
        b[2].clone(),
        tamper(&b[3], &["contests", "0", "sum_proof", "0", "c"]),
        tamper(&b[4], &["contests", "1", "selections", "0", "ciphertext"]),
        swapped,
        b[6].clone(),
        stranger,
        tamper(&b[8], &["signature", "response"]),
        b[9].clone(),
    ];
    let verdicts = compare(&election, &ballots);
    let honest = [0, 2, 6, 9];
    for (i, verdict) in verdicts.iter().enumerate() {
        assert_eq!(
            verdict.is_ok(),
            honest.contains(&i),
            "ballot {i}: {}",
            check_of(verdict)
        );
    }
    assert!(
        check_of(&verdicts[7]).contains("credential"),
        "{}",
        check_of(&verdicts[7])
    );
}

#[test]
fn a_lone_bad_ballot_is_pinpointed_in_a_full_batch() {
    let election = election(64, 4);
    for bad in [0, 31, 63] {
        let mut ballots = election.ballots.clone();
        ballots[bad] = tamper(
            &ballots[bad],
            &["contests", "0", "selections", "1", "proof", "1", "z"],
        );
        let verdicts = compare(&election, &ballots);
        let refused: Vec<usize> = (0..ballots.len())
            .filter(|&i| verdicts[i].is_err())
            .collect();
        assert_eq!(refused, vec![bad]);
    }
}

#[test]
fn a_ballot_from_another_election_is_refused_alike() {
    let election = election(3, 5);
    let mut moved = election.ballots[1].clone();
    moved.election = Digest32([9; 32]);
    let verdicts = compare(
        &election,
        &[
            election.ballots[0].clone(),
            moved,
            election.ballots[2].clone(),
        ],
    );
    assert!(verdicts[0].is_ok() && verdicts[2].is_ok());
    assert!(verdicts[1].is_err());
    assert!(verify_ballot(
        &election.context,
        &election.credentials,
        &election.ballots[1]
    )
    .is_ok());
}
