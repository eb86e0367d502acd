//! The department order at full size, end to end: 3-of-5 trustees with one trustee absent at
//! decryption, 1,000 voters in two parallel elections with separate rolls, the union council's
//! weighted vote, an election with every contest kind (and revotes under `last-counts`), and a
//! key ceremony with a cheating trustee. Every result is compared with the plaintext count of
//! the votes, and every record written to disk verifies.

use std::collections::HashSet;
use std::fs;
use std::path::Path;

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;
use urna_election::board::ElectionResult;
use urna_election::credential::ValidCredentials;
use urna_election::manifest::{ContestOption, Trustees, MANIFEST_VERSION};
use urna_election::record::{find_records, verify_record_dir, write_record, VerifyOptions};
use urna_election::simulate::{random_vote, Cheat, OfflineElection};
use urna_election::{
    encrypt_ballot, verify_ballot, AuditedBallot, Ballot, Contest, ContestKind, ElectionContext,
    ElectionManifest, Event, Report, RevotePolicy, Text,
};

const OPENS: &str = "2027-03-01T09:00:00+01:00";
const CLOSES: &str = "2027-03-08T16:00:00+01:00";

fn fixture(name: &str) -> String {
    let path = format!("{}/../../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    fs::read_to_string(path).unwrap()
}

fn manifest(name: &str) -> ElectionManifest {
    serde_json::from_str(&fixture(&format!("manifests/{name}.json"))).unwrap()
}

/// The manifest with `count` trustees of whom any `threshold` decrypt.
fn with_trustees(mut manifest: ElectionManifest, count: u32, threshold: u32) -> ElectionManifest {
    if manifest.trustees.names.len() != count as usize {
        manifest.trustees.names.clear();
    }
    manifest.trustees.count = count;
    manifest.trustees.threshold = threshold;
    manifest.validate().unwrap();
    manifest
}

/// The rows of a roll (header skipped): one `Vec` of fields per voter.
fn roll(name: &str) -> Vec<Vec<String>> {
    fixture(name)
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split(',').map(|f| f.trim().to_owned()).collect())
        .collect()
}

/// One election to run.
struct Plan {
    manifest: ElectionManifest,
    /// One weight per voter, in roll order.
    weights: Vec<u64>,
    /// The trustees who decrypt, in the order they post.
    decrypting: Vec<u32>,
    /// One voter in this many audits a ballot first (0: nobody).
    audit_every: usize,
    /// Under `last-counts`, the first this many voters vote a second time.
    revoters: usize,
    cheat: Option<Cheat>,
    seed: u64,
}

/// What a run left behind.
struct Ran {
    result: ElectionResult,
    report: Report,
    context: ElectionContext,
    credentials: ValidCredentials,
    /// A ballot cast in this election.
    sample: Ballot,
}

/// Adds `weight` times `vote` to the plaintext count.
fn count(totals: &mut [Vec<u64>], vote: &[Vec<u64>], weight: u64) {
    for (sums, values) in totals.iter_mut().zip(vote) {
        for (sum, value) in sums.iter_mut().zip(values) {
            *sum += weight * value;
        }
    }
}

/// One voter's ballot (and audit) with the voter's own generator, so voters run in parallel
/// and the run stays reproducible.
fn vote(
    plan: &Plan,
    context: &ElectionContext,
    secret: &urna_election::CredentialSecret,
    voter: usize,
    round: u64,
) -> (Vec<Vec<u64>>, Ballot, Option<AuditedBallot>) {
    let mut rng = ChaCha20Rng::seed_from_u64(plan.seed ^ (round << 56) ^ ((voter as u64) << 16));
    let key = secret.derive_key(&context.setup_hash);
    let audit = (plan.audit_every > 0 && voter % plan.audit_every == 0 && round == 0).then(|| {
        let shown = random_vote(&plan.manifest, &mut rng);
        let audited = encrypt_ballot(context, &key, &shown, &mut rng)
            .unwrap()
            .audit();
        assert_eq!(audited.verify(context).unwrap(), shown);
        audited
    });
    let choice = random_vote(&plan.manifest, &mut rng);
    let ballot = encrypt_ballot(context, &key, &choice, &mut rng)
        .unwrap()
        .cast();
    (choice, ballot, audit)
}

/// Runs the election, checks the result against the plaintext count, writes the record to
/// `dir` and verifies it from there.
fn run(plan: &Plan, dir: &Path) -> Ran {
    let manifest = &plan.manifest;
    let n = plan.weights.len();
    let mut rng = ChaCha20Rng::seed_from_u64(plan.seed);
    let mut election = OfflineElection::setup(manifest.clone()).unwrap();
    let outcome = election.key_ceremony(plan.cheat, &mut rng).unwrap().clone();
    let trustees: Vec<u32> = (1..=manifest.trustees.count).collect();
    match plan.cheat {
        None => {
            assert!(outcome.blame.is_empty());
            assert_eq!(outcome.qualified, trustees);
        }
        Some(Cheat::BadShare(cheater)) => {
            assert_eq!(outcome.blame.len(), 1, "{:?}", outcome.blame);
            assert_eq!(outcome.blame[0].culprit, cheater);
            assert!(outcome.blame[0].disqualified);
            let honest: Vec<u32> = trustees.into_iter().filter(|&t| t != cheater).collect();
            assert_eq!(outcome.qualified, honest);
        }
    }
    let secrets = election.issue_credentials(&plan.weights, &mut rng).unwrap();
    election.seal().unwrap();
    election.approve_and_open("prefekt", OPENS).unwrap();
    let context = election.context().unwrap().clone();

    let first: Vec<_> = secrets
        .par_iter()
        .enumerate()
        .map(|(i, secret)| vote(plan, &context, secret, i, 0))
        .collect();
    let revoters = if manifest.revote == RevotePolicy::LastCounts {
        plan.revoters
    } else {
        0
    };
    let second: Vec<_> = secrets[..revoters]
        .par_iter()
        .enumerate()
        .map(|(i, secret)| vote(plan, &context, secret, i, 1))
        .collect();

    // The plaintext count: each voter's last vote, at the voter's weight.
    let mut expected: Vec<Vec<u64>> = manifest
        .contests
        .iter()
        .map(|c| vec![0; c.selection_count()])
        .collect();
    for (i, (choice, _, _)) in first.iter().enumerate() {
        let last = second.get(i).map_or(choice, |(again, _, _)| again);
        count(&mut expected, last, plan.weights[i]);
    }

    let sample = first[0].1.clone();
    let mut audits = Vec::new();
    let mut ballots = Vec::new();
    for (_, ballot, audit) in first {
        ballots.push(ballot);
        audits.extend(audit);
    }
    let mut receipts = Vec::new();
    for batch in [ballots, second.into_iter().map(|(_, b, _)| b).collect()] {
        for code in election.cast_many(batch, &mut rng).unwrap() {
            receipts.push(code.unwrap());
        }
    }
    assert_eq!(receipts.len(), n + revoters);
    election.close_and_tally(CLOSES).unwrap();
    election.decrypt(&plan.decrypting, &mut rng).unwrap();
    let result = election.publish_result().unwrap();

    let totals: Vec<Vec<u64>> = result.contests.iter().map(|c| c.totals.clone()).collect();
    assert_eq!(
        totals, expected,
        "{}: result vs plaintext count",
        manifest.election_id
    );
    let ids: Vec<&str> = result.contests.iter().map(|c| c.contest.as_str()).collect();
    let manifest_ids: Vec<&str> = manifest.contests.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, manifest_ids);
    assert_eq!(result.ballots_counted, n as u64);
    assert_eq!(result.weight_counted, plan.weights.iter().sum::<u64>());
    let threshold = manifest.trustees.threshold as usize;
    assert_eq!(result.decrypted_by, plan.decrypting[..threshold]);

    write_record(dir, election.entries(), &receipts, &audits).unwrap();
    let report = verify_record_dir(dir, &VerifyOptions::default(), |_| {}).unwrap();
    assert!(report.complete);
    assert_eq!(report.election_id, manifest.election_id);
    assert_eq!(report.fingerprint, Some(context.fingerprint));
    assert_eq!(report.ballots, (n + revoters) as u64);
    assert_eq!(report.ballots_counted, Some(n as u64));
    assert_eq!(report.receipts_checked, n + revoters);
    assert_eq!(report.audits_checked, audits.len());
    assert_eq!(report.result.as_ref(), Some(&result));
    assert_eq!(report.blame.len(), outcome.blame.len());

    let credentials = election
        .entries()
        .iter()
        .find_map(|e| match e.event().unwrap() {
            Event::Credentials(list) => Some(list.validate().unwrap()),
            _ => None,
        })
        .unwrap();
    assert_eq!(credentials.len(), n);
    Ran {
        result,
        report,
        context,
        credentials,
        sample,
    }
}

#[test]
fn two_parallel_elections_of_1000_voters_with_a_trustee_absent() {
    let teachers_roll = roll("roll-teachers.csv");
    let staff_roll = roll("roll-technical-staff.csv");
    assert_eq!((teachers_roll.len(), staff_roll.len()), (1200, 800));
    let teachers = Plan {
        manifest: with_trustees(manifest("teachers"), 5, 3),
        weights: vec![1; teachers_roll[..600].len()],
        // Trustee 3 is away.
        decrypting: vec![5, 1, 4, 2],
        audit_every: 50,
        revoters: 0,
        cheat: None,
        seed: 600,
    };
    let staff = Plan {
        manifest: with_trustees(manifest("technical-staff"), 5, 3),
        weights: vec![1; staff_roll[..400].len()],
        // Trustee 1 is away.
        decrypting: vec![2, 3, 4, 5],
        audit_every: 50,
        revoters: 0,
        cheat: None,
        seed: 400,
    };
    assert_eq!(teachers.weights.len() + staff.weights.len(), 1000);
    assert_eq!(teachers.manifest.event, staff.manifest.event);

    let event = tempfile::tempdir().unwrap();
    let teachers_dir = event.path().join("teachers");
    let staff_dir = event.path().join("technical-staff");
    let t = run(&teachers, &teachers_dir);
    let s = run(&staff, &staff_dir);
    assert_eq!(t.result.decrypted_by, [5, 1, 4]);
    assert_eq!(s.result.decrypted_by, [2, 3, 4]);
    assert_eq!(t.report.audits_checked, 12);
    assert_eq!(s.report.audits_checked, 8);

    // Separate elections: separate keys and fingerprints, and a ballot of one is refused by
    // the other.
    assert_ne!(t.context.fingerprint, s.context.fingerprint);
    assert_ne!(t.context.election_key, s.context.election_key);
    assert!(verify_ballot(&s.context, &s.credentials, &t.sample).is_err());
    assert!(verify_ballot(&t.context, &t.credentials, &s.sample).is_err());
    verify_ballot(&t.context, &t.credentials, &t.sample).unwrap();

    // The event's directory holds both records; each verifies on its own.
    let found = find_records(event.path()).unwrap();
    assert_eq!(found, vec![teachers_dir, staff_dir]);
    let heads: HashSet<_> = found
        .iter()
        .map(|dir| {
            verify_record_dir(dir, &VerifyOptions::default(), |_| {})
                .unwrap()
                .head
        })
        .collect();
    assert_eq!(heads.len(), 2);
}

#[test]
fn weighted_union_council_vote() {
    let rows = roll("roll-union-council-weighted.csv");
    let weights: Vec<u64> = rows.iter().map(|r| r[2].parse().unwrap()).collect();
    assert_eq!(weights.len(), 45);
    assert!(weights.iter().all(|w| (1..=3).contains(w)));
    let plan = Plan {
        manifest: with_trustees(manifest("union-council"), 5, 3),
        weights,
        // Trustee 2 is away.
        decrypting: vec![1, 3, 4, 5],
        audit_every: 15,
        revoters: 0,
        cheat: None,
        seed: 45,
    };
    assert!(plan.manifest.weighted);
    let dir = tempfile::tempdir().unwrap();
    let ran = run(&plan, dir.path());
    let total: u64 = ran.result.contests[0].totals.iter().sum();
    assert_eq!(total, plan.weights.iter().sum::<u64>());
    assert_eq!(ran.report.audits_checked, 3);
}

/// An election with one contest of every kind.
fn every_kind_manifest() -> ElectionManifest {
    let options = |n: usize| -> Vec<ContestOption> {
        (1..=n)
            .map(|i| ContestOption {
                id: format!("option-{i}"),
                label: Text::new(format!("Alternativ {i}"), format!("Option {i}")),
            })
            .collect()
    };
    let contest = |id: &str, kind: ContestKind, n: usize, blank: bool| Contest {
        id: id.into(),
        title: Text::new(format!("Fråga {id}"), format!("Question {id}")),
        kind,
        options: options(n),
        blank: blank.then(|| Text::new("Jag röstar blankt", "I vote blank")),
    };
    let manifest = ElectionManifest {
        version: MANIFEST_VERSION,
        event: Text::new("Provval", "Test election"),
        election_id: "every-kind".into(),
        title: Text::new("Alla sorters frågor", "Every kind of contest"),
        voting_period: None,
        contests: vec![
            contest("single", ContestKind::Single, 4, true),
            contest("select", ContestKind::Select { min: 1, max: 2 }, 5, true),
            contest("approval", ContestKind::Approval, 4, false),
            contest(
                "cumulative",
                ContestKind::Cumulative {
                    per_option_max: 3,
                    budget: 5,
                },
                4,
                false,
            ),
            contest("score", ContestKind::Score { per_option_max: 4 }, 3, false),
        ],
        trustees: Trustees {
            count: 5,
            threshold: 3,
            names: Vec::new(),
        },
        revote: RevotePolicy::LastCounts,
        weighted: false,
    };
    manifest.validate().unwrap();
    manifest
}

#[test]
fn every_contest_kind_with_revotes() {
    let plan = Plan {
        manifest: every_kind_manifest(),
        weights: vec![1; 120],
        // Trustee 4 is away.
        decrypting: vec![3, 5, 1, 2],
        audit_every: 20,
        revoters: 15,
        cheat: None,
        seed: 5,
    };
    let dir = tempfile::tempdir().unwrap();
    let ran = run(&plan, dir.path());
    assert_eq!(ran.report.ballots, 135);
    // Every kind was really voted: blanks where offered, points and scores above 1.
    let totals = |id: &str| {
        &ran.result
            .contests
            .iter()
            .find(|c| c.contest == id)
            .unwrap()
            .totals
    };
    assert!(*totals("single").last().unwrap() > 0, "blank votes");
    assert!(*totals("select").last().unwrap() > 0, "blank votes");
    assert!(totals("cumulative").iter().sum::<u64>() > 120);
    assert!(totals("score").iter().sum::<u64>() > 120);
}

#[test]
fn a_cheating_trustee_is_blamed_and_the_election_still_decrypts() {
    let plan = Plan {
        manifest: with_trustees(manifest("technical-staff"), 5, 3),
        weights: vec![1; 30],
        // The cheater, disqualified as a dealer, still holds a valid share and decrypts.
        decrypting: vec![2, 4, 5],
        audit_every: 10,
        revoters: 0,
        cheat: Some(Cheat::BadShare(2)),
        seed: 2,
    };
    let dir = tempfile::tempdir().unwrap();
    let ran = run(&plan, dir.path());
    assert_eq!(ran.report.blame.len(), 1);
    assert!(
        ran.report.blame[0].starts_with("trustee 2:"),
        "{:?}",
        ran.report.blame
    );
    assert_eq!(ran.result.decrypted_by, [2, 4, 5]);
}
