//! The record verifier for observers (spec/record.md §8), fed a board page by page so a page
//! can show progress and never hold more than a page of text.

use serde::Serialize;
use urna_election::ballot::ElectionContext;
use urna_election::board::{BoardEntry, EncryptedTally, Event};
use urna_election::verify::CastBallots;
use urna_election::{RecordVerifier, Report, TrackingCode};

use crate::error::{WebError, WebResult};

/// A verifier at some point of a board.
#[derive(Debug, Default)]
pub struct BoardVerifier {
    inner: RecordVerifier,
    tally: Option<EncryptedTally>,
}

/// What a finished verification says (the report, plus the tracking codes checked).
#[derive(Clone, Debug, Serialize)]
pub struct Verdict {
    pub report: Report,
    /// Tracking codes asked about that are on the board.
    pub found: Vec<String>,
    /// Tracking codes asked about that are not.
    pub missing: Vec<String>,
}

/// A verified board, kept for a trustee's decryption.
#[derive(Debug)]
pub struct VerifiedBoard {
    pub report: Report,
    pub context: ElectionContext,
    pub tally: Option<EncryptedTally>,
}

impl BoardVerifier {
    pub fn new() -> Self {
        Self::default()
    }

    /// Board entries checked so far.
    pub fn events(&self) -> u64 {
        self.inner.events()
    }

    /// Checks the next lines of `board.jsonl`, in order.
    pub fn push_lines<'a>(&mut self, lines: impl IntoIterator<Item = &'a str>) -> WebResult<u64> {
        for line in lines {
            let line = line.trim_end_matches(['\r', '\n']);
            if line.is_empty() {
                continue;
            }
            self.inner.push_line(line)?;
            // The tally is kept for a trustee's decryption: the verifier has just checked it.
            if line.contains("\"tally\"") {
                if let Ok(Event::Tally(t)) = BoardEntry::parse_line(line).and_then(|e| e.event()) {
                    self.tally = Some(t);
                }
            }
        }
        Ok(self.inner.events())
    }

    /// Ends the board. With `require_complete`, a board that stops before its result fails.
    /// `receipts` are tracking codes to look for.
    pub fn finish(self, require_complete: bool, receipts: &[String]) -> WebResult<Verdict> {
        let (mut report, _, cast) = self.inner.finish(require_complete)?;
        let (found, missing) = look_up(&cast, receipts)?;
        report.receipts_checked = found.len();
        Ok(Verdict {
            report,
            found,
            missing,
        })
    }

    /// Ends the board, keeping the election context and the verified tally.
    pub fn finish_verified(self) -> WebResult<VerifiedBoard> {
        let (report, context, _) = self.inner.finish(false)?;
        let context = context
            .ok_or_else(|| WebError::new("not_sealed", "the board has no sealed election yet"))?;
        Ok(VerifiedBoard {
            report,
            context,
            tally: self.tally,
        })
    }
}

fn look_up(cast: &CastBallots, receipts: &[String]) -> WebResult<(Vec<String>, Vec<String>)> {
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for text in receipts {
        let code = TrackingCode::parse(text).ok_or_else(|| {
            WebError::new(
                "bad_tracking_code",
                format!("{text:?} is not a tracking code"),
            )
        })?;
        if cast.tracking_codes.contains(&code) {
            found.push(code.0);
        } else {
            missing.push(code.0);
        }
    }
    Ok((found, missing))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::booth::Booth;
    use crate::testing::Fixture;

    fn finished() -> (Fixture, String) {
        let mut fx = Fixture::open(3);
        let booth = Booth::new(&fx.booth_info(), &fx.fragment(0)).unwrap();
        let ballot = booth
            .encrypt(&serde_json::to_string(&fx.valid_votes()).unwrap())
            .unwrap();
        let code = fx.cast_json(&ballot.cast().unwrap()).unwrap();
        fx.election
            .close_and_tally("2027-03-08T16:00:00+01:00")
            .unwrap();
        let mut rng = fx.rng.clone();
        fx.election.decrypt(&[1, 2], &mut rng).unwrap();
        fx.election.publish_result().unwrap();
        (fx, code)
    }

    #[test]
    fn verifies_a_board_page_by_page() {
        let (fx, code) = finished();
        let lines = fx.lines();
        let mut verifier = BoardVerifier::new();
        for page in lines.chunks(2) {
            verifier
                .push_lines(page.iter().map(String::as_str))
                .unwrap();
        }
        assert_eq!(verifier.events(), lines.len() as u64);
        let absent = "AAAA-AAAA-AAAA-AAAA".to_string();
        let verdict = verifier
            .finish(true, &[code.clone(), absent.clone()])
            .unwrap();
        assert!(verdict.report.complete);
        assert_eq!(verdict.found, vec![code]);
        assert_eq!(verdict.missing, vec![absent]);
        let totals = &verdict.report.result.as_ref().unwrap().contests[0].totals;
        // One ballot, cast with weight 1 on the teachers' roll: the totals are its votes.
        assert_eq!(totals, &fx.valid_votes()[0]);
    }

    #[test]
    fn a_tampered_line_is_blamed_on_its_check_and_seq() {
        let (fx, _) = finished();
        let mut lines = fx.lines();
        let last = lines.len() - 1;
        lines.swap(last - 1, last);
        let mut verifier = BoardVerifier::new();
        let err = verifier
            .push_lines(lines.iter().map(String::as_str))
            .unwrap_err();
        assert_eq!(err.code, "check_failed");
        assert!(err.check.is_some());
        assert_eq!(err.seq, Some(last as u64 - 1));
    }

    #[test]
    fn an_incomplete_board_is_refused_only_when_completeness_is_required() {
        let (fx, _) = finished();
        let lines = fx.lines();
        let mut verifier = BoardVerifier::new();
        verifier
            .push_lines(lines[..lines.len() - 1].iter().map(String::as_str))
            .unwrap();
        assert_eq!(verifier.finish(true, &[]).unwrap_err().code, "check_failed");
        let mut verifier = BoardVerifier::new();
        verifier
            .push_lines(lines[..lines.len() - 1].iter().map(String::as_str))
            .unwrap();
        assert!(!verifier.finish(false, &[]).unwrap().report.complete);
    }

    #[test]
    fn a_malformed_tracking_code_is_named() {
        let (fx, _) = finished();
        let mut verifier = BoardVerifier::new();
        verifier
            .push_lines(fx.lines().iter().map(String::as_str))
            .unwrap();
        let err = verifier.finish(true, &["nope".into()]).unwrap_err();
        assert_eq!(err.code, "bad_tracking_code");
    }
}
