//! Ballots and audited ballots in JSON (spec/record.md §5): the form the booth sends, the
//! board stores and `audits.jsonl` holds. Raw bytes → `Ballot` / `AuditedBallot` → verified
//! against the fixed election of `spec/vectors/record-v1`.
//!
//! Invariants ([`urna_fuzz::check_ballot`]): JSON and bincode round trips; the tracking code
//! parses back; only a ballot of the record verifies, and its verification describes it. An
//! audited ballot that opens returns one value per selection, and only for a recorded ballot.
#![no_main]

use libfuzzer_sys::fuzz_target;
use urna_election::AuditedBallot;
use urna_fuzz::{assert_json_round_trip, check_ballot, fixture};

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    if let Ok(ballot) = serde_json::from_slice(data) {
        check_ballot(&ballot);
    }
    if let Ok(audited) = serde_json::from_slice::<AuditedBallot>(data) {
        assert_json_round_trip(&audited);
        if let Ok(values) = audited.verify(&f.context) {
            // Opening needs valid proofs and a signature under the ballot's credential: only
            // the record's own audited ballots can do that, with their own openings.
            let known = f
                .audits
                .iter()
                .find(|a| a.ballot == audited.ballot)
                .expect("an audited ballot that is not in the record opened");
            let expected: Vec<Vec<u64>> = known
                .openings
                .iter()
                .map(|c| c.iter().map(|o| o.value).collect())
                .collect();
            assert_eq!(values, expected);
            assert_eq!(audited.openings, known.openings);
        }
    }
});
