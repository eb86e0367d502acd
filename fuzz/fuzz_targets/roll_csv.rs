//! The voter roll CSV (crates/urna-server/src/roll.rs `parse_roll`, compiled from that file), as uploaded by an admin
//! (`PUT /api/v1/admin/elections/{id}/roll`). The first byte says whether the election is
//! weighted; the rest is the file.
//!
//! Invariants: all or nothing — voters or errors, never neither; voters come in file order
//! with strictly increasing lines, unique addresses, non-empty names, weights in 1..=10^6
//! (only 1 if unweighted); errors are sorted and every line number lies in the file.
#![no_main]

use std::collections::HashSet;

use libfuzzer_sys::fuzz_target;

/// The server's roll parser, compiled from its own source file: the function the upload
/// handler calls, without building the rest of the server (README.md).
#[path = "../../crates/urna-server/src/roll.rs"]
#[allow(dead_code)]
mod roll;

use roll::{normalize_email, parse_roll};

fuzz_target!(|data: &[u8]| {
    let Some((&flags, file)) = data.split_first() else {
        return;
    };
    let weighted = flags & 1 == 1;
    // Lines end at LF, CRLF or a bare CR (the CSV reader's record ends).
    let bare_crs = file
        .windows(2)
        .filter(|w| w[0] == b'\r' && w[1] != b'\n')
        .count()
        + usize::from(file.last() == Some(&b'\r'));
    let last_line = 1 + (file.iter().filter(|&&b| b == b'\n').count() + bare_crs) as u64;
    match parse_roll(file, weighted) {
        Ok(voters) => {
            assert!(!voters.is_empty(), "an accepted roll with no voters");
            let mut seen = HashSet::new();
            let mut previous = 1;
            for v in &voters {
                assert!(
                    v.line > previous && v.line <= last_line,
                    "line {} out of order",
                    v.line
                );
                previous = v.line;
                assert!(!v.name.is_empty() && v.name.trim() == v.name);
                assert!((1..=1_000_000).contains(&v.weight));
                assert!(weighted || v.weight == 1);
                assert!(
                    seen.insert(v.email.clone()),
                    "duplicate address {}",
                    v.email
                );
                // The stored address is already normal.
                assert_eq!(normalize_email(&v.email).as_deref(), Some(v.email.as_str()));
            }
        }
        Err(errors) => {
            assert!(!errors.is_empty(), "a refused roll with no reason");
            assert!(
                errors.windows(2).all(|w| w[0].line <= w[1].line),
                "errors not sorted"
            );
            for e in &errors {
                assert!(
                    e.line >= 1 && e.line <= last_line,
                    "error line {} outside the file",
                    e.line
                );
                assert!(!e.reason.is_empty());
            }
        }
    }
});
