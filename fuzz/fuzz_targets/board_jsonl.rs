//! A whole `board.jsonl`, read line by line as `urna verify` and `verify_record_dir` read it
//! (`record::for_each_line`, lines of at most 16 MiB) and fed to the streaming
//! `RecordVerifier` (spec/record.md §7), then `finish` (an unfinished record is allowed, so
//! the checks of every phase are reached by prefixes of the seed records).
//!
//! Invariants: `push_line` one at a time and `push_lines` over windows of lines (the fast
//! path, which parses, hashes and verifies ballots ahead of their place) give the same verdict
//! and the same error; their reports agree; a verified record's event count is its number
//! of lines, and a failure names an event no later than the lines read.
//!
//! Each execution compares one window size with `push_line`, picked by the input's length:
//! comparing both on every input made it three verifications of a record (key ceremony
//! included) an execution.
#![no_main]

use libfuzzer_sys::fuzz_target;
use urna_election::record::for_each_line;
use urna_election::{RecordVerifier, VerifyError};

/// Window sizes for `push_lines`: 3 lines, and all at once, cut the board differently.
const WINDOWS: [usize; 2] = [3, usize::MAX];

fuzz_target!(|data: &[u8]| {
    urna_fuzz::single_thread();
    let mut lines = Vec::new();
    let mut plain = RecordVerifier::new();
    let mut verifier_failed = false;
    let read = for_each_line(data, |line| {
        lines.push(line.to_owned());
        let pushed = plain.push_line(line);
        verifier_failed = pushed.is_err();
        pushed
    });
    // A line the reader refused (too long, not UTF-8) was never pushed: the windowed
    // verifier is compared only on boards that were read to the end or refused by a check.
    let reader_failed = read.is_err() && !verifier_failed;
    let plain_result: Result<serde_json::Value, VerifyError> = read.and_then(|()| {
        let (report, _, _) = plain.finish(false)?;
        Ok(serde_json::to_value(&report).expect("report encodes"))
    });
    if let Ok(report) = &plain_result {
        assert_eq!(report["events"].as_u64(), Some(lines.len() as u64));
    }
    if let Err(e) = &plain_result {
        if let Some(seq) = e.seq {
            assert!(
                seq <= lines.len() as u64,
                "error at an event past the end: {e}"
            );
        }
    }
    if reader_failed {
        return;
    }
    let window = WINDOWS[data.len() % WINDOWS.len()];
    let mut windowed = RecordVerifier::new();
    let result = lines
        .chunks(window.min(lines.len().max(1)))
        .try_for_each(|chunk| windowed.push_lines(chunk))
        .and_then(|()| {
            let (report, _, _) = windowed.finish(false)?;
            Ok(serde_json::to_value(&report).expect("report encodes"))
        });
    assert_eq!(
        result, plain_result,
        "push_lines (window {window}) and push_line differ"
    );
});
