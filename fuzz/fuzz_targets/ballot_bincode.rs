//! Ballots in the binary encoding: the wire types' serde form for non-human-readable formats
//! (raw bytes instead of hex; crates/urna-crypto/src/encoding.rs), decoded with bincode 1 as
//! the crates' own tests use it, with a size limit and no trailing bytes.
//!
//! Invariants: decoding is canonical — what decodes re-encodes to exactly the input bytes;
//! then everything [`urna_fuzz::check_ballot`] asserts (round trips, sound verification).
#![no_main]

use bincode::Options;
use libfuzzer_sys::fuzz_target;
use urna_election::Ballot;
use urna_fuzz::check_ballot;

fn options() -> impl Options {
    bincode::DefaultOptions::new()
        .with_fixint_encoding()
        .with_limit(1 << 20)
        .reject_trailing_bytes()
}

fuzz_target!(|data: &[u8]| {
    let Ok(ballot) = options().deserialize::<Ballot>(data) else {
        return;
    };
    let again = options()
        .serialize(&ballot)
        .expect("a decoded ballot encodes");
    assert_eq!(again, data, "the binary encoding is not canonical");
    check_ballot(&ballot);
});
