//! Structured: flips hex digits of a valid ballot (one of the record's, as the booth sent it)
//! and verifies the result, so the fuzzer spends its time in proof and signature
//! verification rather than in the JSON parser. The input is a ballot index byte, then
//! edits of three bytes each: a little-endian position among the ballot's hex digits and the
//! new digit (low four bits).
//!
//! Invariants: the edited JSON still parses (only hex digits change); it verifies, with the
//! plain verifier and in a batch next to an untouched ballot, iff no byte changed; the
//! untouched ballot in that batch always verifies (a bad ballot cannot make the batch
//! refuse a good one).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use urna_election::ballot::{verify_ballot, verify_ballots_batched, Ballot};
use urna_fuzz::{fixture, rng};

/// Per seed ballot: the byte offsets of its hex digits in its JSON.
fn hex_positions() -> &'static Vec<Vec<usize>> {
    static P: OnceLock<Vec<Vec<usize>>> = OnceLock::new();
    P.get_or_init(|| {
        fixture()
            .ballot_json
            .iter()
            .map(|json| {
                let mut out = Vec::new();
                let mut in_string = false;
                let mut start = 0;
                for (i, b) in json.bytes().enumerate() {
                    if b == b'"' {
                        if in_string {
                            let s = &json[start..i];
                            if s.len() >= 64 && s.bytes().all(|c| c.is_ascii_hexdigit()) {
                                out.extend(start..i);
                            }
                        } else {
                            start = i + 1;
                        }
                        in_string = !in_string;
                    }
                }
                out
            })
            .collect()
    })
}

const DIGITS: &[u8; 16] = b"0123456789abcdef";

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    let Some((&which, edits)) = data.split_first() else {
        return;
    };
    let index = usize::from(which) % f.ballots.len();
    let original = &f.ballot_json[index];
    let positions = &hex_positions()[index];
    let mut json = original.clone().into_bytes();
    for edit in edits.chunks_exact(3) {
        let at = usize::from(u16::from_le_bytes([edit[0], edit[1]])) % positions.len();
        json[positions[at]] = DIGITS[usize::from(edit[2] & 15)];
    }
    let unchanged = json == original.as_bytes();
    let ballot: Ballot = serde_json::from_slice(&json).expect("hex edits keep the JSON valid");
    let plain = verify_ballot(&f.context, &f.credentials, &ballot);
    assert_eq!(
        plain.is_ok(),
        unchanged,
        "verified iff untouched: {plain:?}"
    );

    let other = &f.ballots[(index + 1) % f.ballots.len()];
    let batch = verify_ballots_batched(&f.context, &f.credentials, &[&ballot, other], &mut rng());
    assert_eq!(batch.len(), 2);
    // Same verdict; a refused ballot's reason may name another of its faults (the batch
    // pass reports the first fault it can see without the deferred equations).
    assert_eq!(
        batch[0].is_ok(),
        plain.is_ok(),
        "batch and plain verdicts differ"
    );
    if plain.is_ok() {
        assert_eq!(batch[0], plain, "batch and plain verified ballots differ");
    }
    assert!(
        batch[1].is_ok(),
        "a bad ballot made its batch refuse a good one"
    );
});
