//! The election manifest (spec/record.md §3): JSON → `ElectionManifest` → `validate`, as the
//! admin API's create (crates/urna-server/src/api/admin.rs) and the verifier's setup check do.
//!
//! Invariants: JSON round trip; the record verifier accepts a setup event with this manifest
//! iff `validate` does; for a valid manifest every contest's rules are consistent (min ≤ max,
//! a selection count of options plus blank), the plaintext vote checks of the booth run
//! without overflow on the extreme votes, and the tally's discrete-log bound and
//! accumulator can be built.
#![no_main]

use libfuzzer_sys::fuzz_target;
use urna_election::board::{Board, Event, Setup};
use urna_election::tally::{dlog_bound, TallyAccumulator};
use urna_election::{ElectionManifest, RecordVerifier};
use urna_fuzz::assert_json_round_trip;

fuzz_target!(|data: &[u8]| {
    let Ok(manifest) = serde_json::from_slice::<ElectionManifest>(data) else {
        return;
    };
    assert_json_round_trip(&manifest);
    let valid = manifest.validate();

    let entry = Board::new()
        .append(&Event::Setup(Box::new(Setup {
            manifest: manifest.clone(),
        })))
        .expect("a setup event encodes");
    let mut verifier = RecordVerifier::new();
    let accepted = verifier.push_entry(&entry);
    assert_eq!(
        accepted.is_ok(),
        valid.is_ok(),
        "verifier and validate disagree: {accepted:?}"
    );
    if valid.is_err() {
        return;
    }

    for (i, contest) in manifest.contests.iter().enumerate() {
        let rules = contest.rules();
        let n = contest.options.len();
        assert_eq!(contest.selection_count(), n + usize::from(rules.blank));
        assert!(rules.total_min <= rules.total_max, "contest {i}: min > max");
        // The extreme votes: nothing, every selection at its maximum, a blank vote.
        let zeros = vec![0; contest.selection_count()];
        let _ = contest.check_vote(i, &zeros);
        let maxed: Vec<u64> = (0..contest.selection_count())
            .map(|s| rules.selection_max(s, n))
            .collect();
        let _ = contest.check_vote(i, &maxed);
        if rules.blank {
            let mut blank = zeros.clone();
            if let Some(last) = blank.last_mut() {
                *last = 1;
            }
            assert!(
                contest.check_vote(i, &blank).is_ok(),
                "contest {i}: a blank vote is refused"
            );
        }
    }
    let _ = dlog_bound(&manifest, 1);
    let _ = dlog_bound(&manifest, 1_000_000 * 10_000_000);
    let _ = TallyAccumulator::new(&manifest);
});
