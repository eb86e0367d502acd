//! The voter roll: a CSV file `email,name[,weight]` uploaded by an admin
//! (`PUT /api/v1/admin/elections/{id}/roll`, spec/api.md §8).
//!
//! An import is all or nothing: [`parse_roll`] either returns every voter or every problem it
//! found, each with the 1-based line of the file it is on (line 1 is the header), so the admin
//! can fix the whole file in one go.

use std::collections::HashMap;

use urna_api::LineError;
use urna_election::credential::{MAX_CREDENTIALS, MAX_WEIGHT};

/// One voter of an imported roll.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RollEntry {
    /// The line of the file the voter is on (1-based; line 1 is the header).
    pub line: u64,
    /// The address as written, with its domain lower-cased.
    pub email: String,
    pub name: String,
    /// 1 unless the file gives a weight.
    pub weight: u64,
}

const BOM: char = '\u{feff}';

fn error(line: u64, reason: impl Into<String>) -> LineError {
    LineError {
        line,
        reason: reason.into(),
    }
}

/// The line breaks in `text[from..to]`: LF, CRLF, and a bare CR, as the CSV reader ends
/// records at each of them (a file saved with classic Mac line ends has only CRs). A CR is
/// looked at with the byte after it in the whole text, so a CRLF split by `to` counts once.
fn line_breaks(text: &[u8], from: usize, to: usize) -> u64 {
    let to = to.min(text.len());
    let from = from.min(to);
    let mut breaks = 0;
    for i in from..to {
        match text.get(i) {
            Some(b'\n') => breaks += 1,
            Some(b'\r') if text.get(i + 1) != Some(&b'\n') => breaks += 1,
            _ => {}
        }
    }
    breaks
}

/// The line (1-based) that holds byte `offset` of `bytes`.
fn line_of(bytes: &[u8], offset: usize) -> u64 {
    1 + line_breaks(bytes, 0, offset)
}

fn byte_offset(position: &csv::Position) -> usize {
    usize::try_from(position.byte()).unwrap_or(usize::MAX)
}

/// Turns the byte offsets where records start into 1-based line numbers, in one pass.
struct LineCounter<'a> {
    text: &'a [u8],
    offset: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a [u8]) -> Self {
        Self {
            text,
            offset: 0,
            line: 1,
        }
    }

    /// The line of the record that starts at or after `from` (offsets never go back): the
    /// line breaks of skipped blank lines, and the end of the previous record, come first.
    fn line_of_record(&mut self, from: usize) -> u64 {
        let rest = self.text.get(from..).unwrap_or_default();
        let start = from
            + rest
                .iter()
                .take_while(|&&b| b == b'\r' || b == b'\n')
                .count();
        if start > self.offset {
            self.line += line_breaks(self.text, self.offset, start);
            self.offset = start;
        }
        self.line
    }
}

/// Checks an e-mail address and returns it with its domain lower-cased (the local part is
/// kept as written: only the domain is case-insensitive).
pub fn normalize_email(text: &str) -> Option<String> {
    if text.len() > 254 {
        return None;
    }
    let address: lettre::Address = text.parse().ok()?;
    Some(format!(
        "{}@{}",
        address.user(),
        address.domain().to_lowercase()
    ))
}

/// Parses a weight field (already known to be non-empty).
fn parse_weight(text: &str) -> Result<u64, &'static str> {
    const NOT_POSITIVE: &str = "weight must be a positive integer";
    const TOO_LARGE: &str = "weight is larger than 1000000";
    if let Ok(value) = text.parse::<i64>() {
        return match u64::try_from(value) {
            Ok(0) | Err(_) => Err(NOT_POSITIVE),
            Ok(w) if w > MAX_WEIGHT => Err(TOO_LARGE),
            Ok(w) => Ok(w),
        };
    }
    let digits = text.strip_prefix('+').unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        // All digits, yet too big for an i64.
        return Err(TOO_LARGE);
    }
    if let Some(negative) = text.strip_prefix('-') {
        if !negative.is_empty() && negative.bytes().all(|b| b.is_ascii_digit()) {
            return Err(NOT_POSITIVE);
        }
    }
    match text.parse::<f64>() {
        // 1.5, 2e3, -0.5: numbers, but not whole positive ones.
        Ok(x) if x.is_finite() => Err(NOT_POSITIVE),
        _ => Err("weight is not a number"),
    }
}

/// Parses a voter roll: a header `email,name` or `email,name,weight` (any case; a UTF-8 BOM is
/// tolerated), then one voter per line. Blank lines are skipped and fields are trimmed; a
/// missing weight is 1, and an unweighted election (`weighted == false`) accepts no other.
///
/// Returns every voter in file order, or, if anything is wrong, every problem found (sorted
/// by line) and no voters.
pub fn parse_roll(bytes: &[u8], weighted: bool) -> Result<Vec<RollEntry>, Vec<LineError>> {
    parse_roll_limited(bytes, weighted, MAX_CREDENTIALS)
}

fn parse_roll_limited(
    bytes: &[u8],
    weighted: bool,
    max_voters: usize,
) -> Result<Vec<RollEntry>, Vec<LineError>> {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            return Err(vec![error(
                line_of(bytes, e.valid_up_to()),
                "this line is not valid UTF-8 text (save the roll as UTF-8 CSV)",
            )])
        }
    };
    let text = text.strip_prefix(BOM).unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());

    let mut errors = Vec::new();
    let mut entries = Vec::new();
    // Normalised address → the line it was first seen on.
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut header: Option<usize> = None; // number of columns the header names
    let mut record = csv::StringRecord::new();
    let mut too_many_reported = false;

    // The reader's own line numbers drift over skipped blank lines and CRLF endings, so lines
    // are counted here: from the byte where each record starts.
    let mut lines = LineCounter::new(text.as_bytes());
    loop {
        let before = byte_offset(reader.position());
        let read = reader.read_record(&mut record);
        let line = lines.line_of_record(before);
        match read {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                errors.push(error(line, format!("cannot read this line: {e}")));
                break;
            }
        }
        let mut fields: Vec<&str> = record.iter().map(str::trim).collect();
        // Empty trailing fields (`a@b.se,Anna,` from a spreadsheet) are no fields.
        while fields.last().is_some_and(|f| f.is_empty()) {
            fields.pop();
        }
        if fields.is_empty() {
            continue; // a blank line
        }

        let Some(columns) = header else {
            let names: Vec<String> = fields.iter().map(|f| f.to_lowercase()).collect();
            match names.as_slice() {
                [e, n] if e == "email" && n == "name" => header = Some(2),
                [e, n, w] if e == "email" && n == "name" && w == "weight" => header = Some(3),
                _ => {
                    // Without a header the columns mean nothing: stop here.
                    return Err(vec![error(
                        1,
                        "the first line must be the header email,name or email,name,weight",
                    )]);
                }
            }
            continue;
        };

        if fields.len() > columns {
            errors.push(error(line, "too many fields"));
            continue;
        }
        let mut ok = true;
        let email = fields.first().copied().unwrap_or_default();
        let name = fields.get(1).copied().unwrap_or_default();
        let weight_text = fields.get(2).copied().unwrap_or_default();

        let mut normalized = None;
        if email.is_empty() {
            errors.push(error(line, "missing e-mail"));
            ok = false;
        } else if let Some(address) = normalize_email(email) {
            if let Some(first) = seen.get(&address) {
                errors.push(error(
                    line,
                    format!("duplicate e-mail (same as line {first})"),
                ));
                ok = false;
            } else {
                seen.insert(address.clone(), line);
                normalized = Some(address);
            }
        } else {
            errors.push(error(line, "invalid e-mail address"));
            ok = false;
        }

        if name.is_empty() {
            errors.push(error(line, "missing name"));
            ok = false;
        }

        let weight = if weight_text.is_empty() {
            1
        } else {
            match parse_weight(weight_text) {
                Ok(1) => 1,
                Ok(_) if !weighted => {
                    errors.push(error(
                        line,
                        "weights are not allowed in an unweighted election",
                    ));
                    ok = false;
                    1
                }
                Ok(w) => w,
                Err(reason) => {
                    errors.push(error(line, reason));
                    ok = false;
                    1
                }
            }
        };

        if entries.len() >= max_voters && !too_many_reported {
            errors.push(error(
                line,
                format!("the roll has more than {max_voters} voters"),
            ));
            too_many_reported = true;
        }
        if let (true, Some(email)) = (ok, normalized) {
            // Kept while errors exist too, only to count voters against the limit.
            entries.push(RollEntry {
                line,
                email,
                name: name.to_owned(),
                weight,
            });
        }
    }

    if header.is_none() {
        return Err(vec![error(
            1,
            "the file is empty (the first line must be the header email,name or email,name,weight)",
        )]);
    }
    if errors.is_empty() && entries.is_empty() {
        errors.push(error(1, "the roll has no voters"));
    }
    if errors.is_empty() {
        Ok(entries)
    } else {
        errors.sort_by_key(|e| e.line);
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WITH_ERRORS: &str = include_str!("../../../tests/fixtures/roll-with-errors.csv");
    const WITH_ERRORS_EXPECTED: &str =
        include_str!("../../../tests/fixtures/roll-with-errors.expected.txt");
    const TEACHERS: &str = include_str!("../../../tests/fixtures/roll-teachers.csv");
    const TECHNICAL: &str = include_str!("../../../tests/fixtures/roll-technical-staff.csv");
    const UNION: &str = include_str!("../../../tests/fixtures/roll-union-council-weighted.csv");

    fn errors(text: &str, weighted: bool) -> Vec<(u64, String)> {
        parse_roll(text.as_bytes(), weighted)
            .expect_err("the roll should be refused")
            .into_iter()
            .map(|e| (e.line, e.reason))
            .collect()
    }

    fn one(line: u64, reason: &str) -> Vec<(u64, String)> {
        vec![(line, reason.to_owned())]
    }

    #[test]
    fn the_fixture_with_errors_reports_exactly_the_expected_lines() {
        let expected: Vec<(u64, String)> = WITH_ERRORS_EXPECTED
            .lines()
            .filter_map(|l| l.strip_prefix("line "))
            .filter_map(|l| l.split_once(": "))
            .map(|(n, reason)| (n.parse().unwrap(), reason.to_owned()))
            .collect();
        assert_eq!(expected.len(), 7, "the expected file parses");
        for weighted in [true, false] {
            let got = errors(WITH_ERRORS, weighted);
            assert_eq!(got, expected, "weighted = {weighted}");
            assert!(got.iter().all(|(line, _)| *line != 14));
        }
    }

    #[test]
    fn the_valid_fixtures_import() {
        let teachers = parse_roll(TEACHERS.as_bytes(), false).unwrap();
        assert_eq!(teachers.len(), 1200);
        assert!(teachers.iter().all(|e| e.weight == 1));
        assert_eq!(teachers[0].line, 2);
        assert_eq!(teachers[0].email, "ngoc.kowalska@math.example.edu");
        assert_eq!(teachers[1].name, "Björn Bianchi");
        assert_eq!(teachers[1199].line, 1201);

        let technical = parse_roll(TECHNICAL.as_bytes(), false).unwrap();
        assert_eq!(technical.len(), 800);
        assert_eq!(technical.iter().map(|e| e.weight).sum::<u64>(), 800);

        let union = parse_roll(UNION.as_bytes(), true).unwrap();
        assert_eq!(union.len(), 45);
        assert!(union.iter().all(|e| (1..=3).contains(&e.weight)));
        assert!(union.iter().any(|e| e.weight == 3));
        assert!(union.iter().any(|e| e.weight == 2));
        let expected_weight: u64 = UNION
            .lines()
            .skip(1)
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.rsplit(',').next().unwrap().trim().parse::<u64>().unwrap())
            .sum();
        assert_eq!(union.iter().map(|e| e.weight).sum::<u64>(), expected_weight);
        assert!(expected_weight > 45);

        // The same file in an unweighted election: every weight above 1 is refused.
        let refused = errors(UNION, false);
        let heavy = union.iter().filter(|e| e.weight != 1).count();
        assert_eq!(refused.len(), heavy);
        assert!(refused
            .iter()
            .all(|(_, r)| r == "weights are not allowed in an unweighted election"));
    }

    #[test]
    fn headers() {
        let header_error = "the first line must be the header email,name or email,name,weight";
        assert_eq!(errors("mail,name\na@b.se,A\n", false), one(1, header_error));
        assert_eq!(
            errors("a@b.se,Anna\nb@b.se,Bo\n", false),
            one(1, header_error),
            "missing header"
        );
        assert_eq!(
            errors("email,name,weight,extra\na@b.se,A\n", false),
            one(1, header_error)
        );
        // Any case, spaces around, a BOM.
        let ok = parse_roll(" Email , NAME \na@b.se,A\n".as_bytes(), false).unwrap();
        assert_eq!(ok.len(), 1);
        let ok = parse_roll("\u{feff}email,name,Weight\na@b.se,A,2\n".as_bytes(), true).unwrap();
        assert_eq!(ok[0].weight, 2);
        // A weight column under a two-column header is one field too many.
        assert_eq!(
            errors("email,name\na@b.se,A,1\n", false),
            one(2, "too many fields")
        );
    }

    #[test]
    fn empty_files() {
        assert_eq!(
            errors("email,name\n", false),
            one(1, "the roll has no voters")
        );
        assert_eq!(
            errors("email,name,weight\r\n\r\n  \r\n", true),
            one(1, "the roll has no voters")
        );
        let empty = errors("", false);
        assert_eq!(empty.len(), 1);
        assert_eq!(empty[0].0, 1);
        assert!(empty[0].1.starts_with("the file is empty"));
        assert_eq!(errors("\n\n", false).len(), 1);
    }

    #[test]
    fn non_utf8_reports_the_first_bad_line() {
        let mut bytes = b"email,name\na@b.se,Anna\nb@b.se,".to_vec();
        bytes.extend_from_slice(&[0xc5, 0x20]); // Latin-1 'Å' followed by a space
        bytes.extend_from_slice(b"berg\nc@b.se,\xe5sa\n");
        let errors = parse_roll(&bytes, false).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line, 3);
        assert!(errors[0].reason.contains("UTF-8"));
    }

    #[test]
    fn weights() {
        let roll = "email,name,weight\n\
                    a@b.se,A,1\n\
                    b@b.se,B,\n\
                    c@b.se,C\n\
                    d@b.se,D,1000000\n\
                    e@b.se,E, 7 \n";
        let entries = parse_roll(roll.as_bytes(), true).unwrap();
        let weights: Vec<u64> = entries.iter().map(|e| e.weight).collect();
        assert_eq!(weights, [1, 1, 1, 1_000_000, 7]);

        let bad = "email,name,weight\n\
                   a@b.se,A,0\n\
                   b@b.se,B,-1\n\
                   c@b.se,C,1.5\n\
                   d@b.se,D,1000001\n\
                   e@b.se,E,99999999999999999999999\n\
                   f@b.se,F,many\n\
                   g@b.se,G,NaN\n";
        let reasons: Vec<(u64, String)> = [
            (2, "weight must be a positive integer"),
            (3, "weight must be a positive integer"),
            (4, "weight must be a positive integer"),
            (5, "weight is larger than 1000000"),
            (6, "weight is larger than 1000000"),
            (7, "weight is not a number"),
            (8, "weight is not a number"),
        ]
        .into_iter()
        .map(|(l, r)| (l, r.to_owned()))
        .collect();
        assert_eq!(errors(bad, true), reasons);
        // A broken weight is reported as such in an unweighted election too.
        assert_eq!(errors(bad, false), reasons);
    }

    #[test]
    fn weights_in_an_unweighted_election() {
        let roll = "email,name,weight\na@b.se,A,1\nb@b.se,B,2\nc@b.se,C\n";
        assert_eq!(
            errors(roll, false),
            one(3, "weights are not allowed in an unweighted election")
        );
        assert_eq!(parse_roll(roll.as_bytes(), true).unwrap().len(), 3);
        // Explicit weights of 1 are fine.
        let ones = "email,name,weight\na@b.se,A,1\nb@b.se,B,1\n";
        assert_eq!(parse_roll(ones.as_bytes(), false).unwrap().len(), 2);
    }

    #[test]
    fn quoted_fields_with_commas_and_quotes() {
        let roll = "email,name\n\
                    \"a@b.se\",\"Lindqvist, Karin\"\n\
                    b@b.se,\"Bo \"\"Bosse\"\" Ek\"\n\
                    c@b.se,\"Two\nlines\"\n\
                    d@b.se,Dan\n";
        let entries = parse_roll(roll.as_bytes(), false).unwrap();
        assert_eq!(entries[0].name, "Lindqvist, Karin");
        assert_eq!(entries[1].name, "Bo \"Bosse\" Ek");
        assert_eq!(entries[2].name, "Two\nlines");
        assert_eq!(entries[2].line, 4);
        assert_eq!(entries[3].line, 6, "lines count file lines, not records");
        let bad = "email,name\n\"a@b.se\",\"Lindqvist, Karin\",x\n";
        assert_eq!(errors(bad, false), one(2, "too many fields"));
    }

    #[test]
    fn crlf_and_blank_lines() {
        let roll = "email,name\r\n\r\na@b.se,Anna\r\n   \r\nb@b.se , Bo \r\n";
        let entries = parse_roll(roll.as_bytes(), false).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!((entries[0].line, entries[1].line), (3, 5));
        assert_eq!(entries[1].email, "b@b.se");
        assert_eq!(entries[1].name, "Bo");
        let bad = "email,name\r\na@b.se,Anna\r\n\r\nnot-mail,X\r\n";
        assert_eq!(errors(bad, false), one(4, "invalid e-mail address"));
    }

    /// Found by the roll_csv fuzz target (fuzz/regressions/roll_csv): the CSV reader ends a
    /// record at a bare CR too, so lines must be counted the same way.
    #[test]
    fn bare_cr_line_ends_count_as_lines() {
        let roll = "email,name\ranna@example.se,Anna\r\rbo@example.se,Bo\r";
        let entries = parse_roll(roll.as_bytes(), false).unwrap();
        assert_eq!((entries[0].line, entries[1].line), (2, 4));
        let mixed = "email,name\r\na@b.se,Anna\rb@b.se,Bo\nc@b.se,Cia\r\n";
        let entries = parse_roll(mixed.as_bytes(), false).unwrap();
        let lines: Vec<u64> = entries.iter().map(|e| e.line).collect();
        assert_eq!(lines, [2, 3, 4]);
        let twice = "email,name\ra@b.se,Anna\ra@b.se,Anna again\r";
        let errs = errors(twice, false);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert_eq!(errs[0].0, 3);
        assert!(errs[0].1.contains("line 2"), "{errs:?}");
    }

    #[test]
    fn addresses() {
        let roll = "email,name\n\
                    Anna.Berg@Math.Example.EDU,Anna\n\
                    anna.berg@math.example.edu,Anna again\n\
                    ANNA.BERG@MATH.EXAMPLE.EDU,Anna in capitals\n\
                    Anna.Berg@math.example.edu,Duplicate\n";
        assert_eq!(
            errors(roll, false),
            one(5, "duplicate e-mail (same as line 2)")
        );
        let ok = "email,name\nAnna.Berg@Math.Example.EDU,Anna\nanna.berg@math.example.edu,A\n";
        let entries = parse_roll(ok.as_bytes(), false).unwrap();
        assert_eq!(entries[0].email, "Anna.Berg@math.example.edu");
        assert_eq!(entries[1].email, "anna.berg@math.example.edu");

        for bad in ["anna", "anna@", "@b.se", "a b@c.se", "a@b@c.se", "a@b .se"] {
            assert_eq!(
                errors(&format!("email,name\n{bad},X\n"), false),
                one(2, "invalid e-mail address"),
                "{bad}"
            );
        }
        assert_eq!(
            errors("email,name\na@b.se\n", false),
            one(2, "missing name")
        );
        assert_eq!(
            errors("email,name\na@b.se,\n", false),
            one(2, "missing name")
        );
    }

    #[test]
    fn trailing_empty_fields_are_ignored() {
        let roll = "email,name\na@b.se,Anna,\nb@b.se,Bo, , \n";
        assert_eq!(parse_roll(roll.as_bytes(), false).unwrap().len(), 2);
        let roll = "email,name,weight\na@b.se,Anna,2,\n";
        assert_eq!(parse_roll(roll.as_bytes(), true).unwrap()[0].weight, 2);
        assert_eq!(
            errors("email,name\na@b.se,Anna,,x\n", false),
            one(2, "too many fields")
        );
    }

    #[test]
    fn too_many_voters() {
        let roll = "email,name\na@b.se,A\nb@b.se,B\nc@b.se,C\nd@b.se,D\n";
        assert_eq!(
            parse_roll_limited(roll.as_bytes(), false, 4).unwrap().len(),
            4
        );
        let refused = parse_roll_limited(roll.as_bytes(), false, 3).unwrap_err();
        assert_eq!(refused, vec![error(5, "the roll has more than 3 voters")]);
    }

    #[test]
    fn every_problem_is_reported_sorted_by_line() {
        let roll = "email,name,weight\n\
                    ,\"\",0\n\
                    ok@b.se,Ok,1\n\
                    x,Y,1,2\n\
                    ok@b.se,Again,x\n";
        assert_eq!(
            errors(roll, true),
            vec![
                (2, "missing e-mail".to_owned()),
                (2, "missing name".to_owned()),
                (2, "weight must be a positive integer".to_owned()),
                (4, "too many fields".to_owned()),
                (5, "duplicate e-mail (same as line 3)".to_owned()),
                (5, "weight is not a number".to_owned()),
            ]
        );
    }
}
