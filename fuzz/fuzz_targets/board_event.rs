//! One board event line (spec/record.md §6): `BoardEntry::parse_line`, then the payload's
//! `Event::parse` — what the verifier, the server's board import and the browser verifier do
//! with each line of `board.jsonl`.
//!
//! Invariants: a parsed line re-encodes (`to_line`) to a line that parses to the same entry
//! and is a fixed point; the hash covers the payload's exact text, so it is recomputed the
//! same from the re-encoded line; a parsed event has the line's type and its payload JSON
//! parses back to the same event; a ballot event's ballot passes
//! [`urna_fuzz::check_ballot`].
#![no_main]

use libfuzzer_sys::fuzz_target;
use urna_election::board::{BoardEntry, Event};
use urna_fuzz::check_ballot;

fuzz_target!(|data: &[u8]| {
    let Ok(line) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(entry) = BoardEntry::parse_line(line) else {
        return;
    };
    let out = entry.to_line().expect("a parsed entry encodes");
    let again = BoardEntry::parse_line(&out).expect("its own line parses");
    assert_eq!(again, entry, "line round trip");
    assert_eq!(
        again.to_line().expect("encodes"),
        out,
        "to_line is not a fixed point"
    );
    assert_eq!(again.computed_hash(), entry.computed_hash());

    let Ok(event) = entry.event() else {
        return;
    };
    assert_eq!(
        event.kind(),
        entry.kind,
        "the event's type differs from the line's"
    );
    let payload = event.payload_json().expect("a parsed event encodes");
    let reparsed = Event::parse(event.kind(), &payload).expect("its own payload parses");
    assert_eq!(reparsed, event, "payload round trip");
    assert_eq!(reparsed.payload_json().expect("encodes"), payload);
    if let Event::Ballot(cast) = &event {
        check_ballot(&cast.ballot);
    }
});
