//! The HTTP cast body, along the path `POST /api/v1/elections/{id}/ballots` takes before the
//! database (crates/urna-server/src/api/public.rs `cast`, crates/urna-server/src/cast.rs):
//! `JsonBody<Ballot>` (axum's `Json`: serde_json from the body bytes, trailing
//! whitespace only), the fingerprint check of `cast::cast`, then the worker's
//! `verify_ballots_batched` over its batch. The handler itself needs a database and a running
//! worker, so the same public functions are called directly (see README.md).
//!
//! Invariants: the batched verdict for the body's ballot equals the plain verifier's; a valid
//! ballot batched with it is never refused because of it; a ballot for another election
//! never verifies; only the record's ballots verify (via [`urna_fuzz::check_ballot`]).
#![no_main]

use libfuzzer_sys::fuzz_target;
use urna_election::ballot::{verify_ballot, verify_ballots_batched, Ballot};
use urna_fuzz::{check_ballot, fixture, rng};

fuzz_target!(|body: &[u8]| {
    let f = fixture();
    // axum's Json extractor: serde_json over the whole body.
    let Ok(ballot) = serde_json::from_slice::<Ballot>(body) else {
        return;
    };
    let plain = verify_ballot(&f.context, &f.credentials, &ballot);
    // cast::cast refuses a ballot for another election before queueing it.
    if ballot.election != f.context.fingerprint {
        assert!(plain.is_err(), "a ballot for another election verified");
        return;
    }
    // The worker batches whatever is queued: here the body's ballot and a valid one.
    let good = &f.ballots[0];
    let results = verify_ballots_batched(&f.context, &f.credentials, &[&ballot, good], &mut rng());
    assert_eq!(results.len(), 2);
    // Same verdict; a refused ballot's reason may name another of its faults (the batch
    // pass reports the first fault it can see without the deferred equations).
    assert_eq!(
        results[0].is_ok(),
        plain.is_ok(),
        "batch and plain verdicts differ"
    );
    if plain.is_ok() {
        assert_eq!(results[0], plain, "batch and plain verified ballots differ");
    }
    assert!(
        results[1].is_ok(),
        "a bad ballot made its batch refuse a good one"
    );
    check_ballot(&ballot);
});
