//! Structured: flips hex digits of a valid ballot (of [`urna_fuzz::small_election`], as the
//! booth sends it) and verifies the result, so the fuzzer spends its time in proof and signature
//! verification rather than in the JSON parser. The input is a selector byte, then edits of
//! three bytes each: a little-endian position among the ballot's hex digits and the new digit
//! (low four bits). The selector's low seven bits pick the ballot; its high bit picks the
//! verifier: the plain one, or a batch of the edited ballot and an untouched one.
//!
//! Invariants: the edited JSON still parses (only hex digits change); it verifies, with
//! either verifier, iff no byte changed (so the two verifiers agree, each against the same
//! ground truth); a verified ballot is the untouched one; the untouched ballot in a batch
//! always verifies (a bad ballot cannot make the batch refuse a good one). One verifier per
//! execution: running both on every input made this target four ballot verifications an
//! execution.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use urna_election::ballot::{verify_ballot, verify_ballots_batched, Ballot};
use urna_fuzz::{rng, small_election};

/// Per ballot of the small election: the byte offsets of its hex digits in its JSON.
fn hex_positions() -> &'static Vec<Vec<usize>> {
    static P: OnceLock<Vec<Vec<usize>>> = OnceLock::new();
    P.get_or_init(|| {
        small_election()
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
    let f = small_election();
    let Some((&selector, edits)) = data.split_first() else {
        return;
    };
    let batched = selector & 0x80 != 0;
    let index = usize::from(selector & 0x7f) % f.ballots.len();
    let original = &f.ballot_json[index];
    let positions = &hex_positions()[index];
    let mut json = original.clone().into_bytes();
    for edit in edits.chunks_exact(3) {
        let at = usize::from(u16::from_le_bytes([edit[0], edit[1]])) % positions.len();
        json[positions[at]] = DIGITS[usize::from(edit[2] & 15)];
    }
    let unchanged = json == original.as_bytes();
    let ballot: Ballot = serde_json::from_slice(&json).expect("hex edits keep the JSON valid");

    let verified = if batched {
        let other = &f.ballots[(index + 1) % f.ballots.len()];
        let mut batch =
            verify_ballots_batched(&f.context, &f.credentials, &[&ballot, other], &mut rng());
        assert_eq!(batch.len(), 2);
        assert!(
            batch[1].is_ok(),
            "a bad ballot made its batch refuse a good one: {:?}",
            batch[1]
        );
        batch.swap_remove(0)
    } else {
        verify_ballot(&f.context, &f.credentials, &ballot)
    };
    assert_eq!(
        verified.is_ok(),
        unchanged,
        "verified iff untouched (batched: {batched}): {verified:?}"
    );
    if let Ok(verified) = verified {
        // Untouched: both verifiers return the same value.
        let other_way = if batched {
            verify_ballot(&f.context, &f.credentials, &ballot)
        } else {
            verify_ballots_batched(&f.context, &f.credentials, &[&ballot], &mut rng())
                .swap_remove(0)
        };
        assert_eq!(
            other_way.as_ref(),
            Ok(&verified),
            "batch and plain verified ballots differ"
        );
    }
});
