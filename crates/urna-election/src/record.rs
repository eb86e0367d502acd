//! The election record on disk (spec/record.md §1): a directory with `board.jsonl` (the whole
//! board, one event per line, in chain order) and derived files for people: `manifest.json`,
//! `result.json`, and, where voters or auditors supplied them, `receipts.txt` (tracking codes
//! voters were given) and `audits.jsonl` (Benaloh-audited ballots).

use std::fs::{self, File};
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use crate::ballot::{AuditedBallot, TrackingCode};
use crate::board::{BoardEntry, Event, MAX_LINE_BYTES};
use crate::error::{ElectionError, Result};
use crate::verify::{check_audits, check_receipts, Check, RecordVerifier, Report, VerifyError};

/// The record format version, written to `format.txt`.
pub const RECORD_FORMAT: &str = "urna-record/v1";

fn io_error(path: &Path, e: std::io::Error) -> ElectionError {
    ElectionError::Record(format!("{}: {e}", path.display()))
}

/// Writes a record directory (creating it).
pub fn write_record(
    dir: &Path,
    entries: &[BoardEntry],
    receipts: &[TrackingCode],
    audits: &[AuditedBallot],
) -> Result<()> {
    fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
    let write =
        |name: &str, f: &dyn Fn(&mut BufWriter<File>) -> std::io::Result<()>| -> Result<()> {
            let path = dir.join(name);
            let mut out = BufWriter::new(File::create(&path).map_err(|e| io_error(&path, e))?);
            f(&mut out)
                .and_then(|_| out.flush())
                .map_err(|e| io_error(&path, e))
        };
    let mut lines = Vec::with_capacity(entries.len());
    for entry in entries {
        lines.push(entry.to_line()?);
    }
    write("format.txt", &|out| writeln!(out, "{RECORD_FORMAT}"))?;
    write("board.jsonl", &|out| {
        lines.iter().try_for_each(|l| writeln!(out, "{l}"))
    })?;
    for entry in entries {
        match entry.event()? {
            Event::Setup(setup) => {
                let json = serde_json::to_string_pretty(&setup.manifest)
                    .map_err(|e| ElectionError::Record(e.to_string()))?;
                write("manifest.json", &|out| writeln!(out, "{json}"))?;
            }
            Event::Result(result) => {
                let json = serde_json::to_string_pretty(&result)
                    .map_err(|e| ElectionError::Record(e.to_string()))?;
                write("result.json", &|out| writeln!(out, "{json}"))?;
            }
            _ => {}
        }
    }
    if !receipts.is_empty() {
        write("receipts.txt", &|out| {
            receipts.iter().try_for_each(|r| writeln!(out, "{r}"))
        })?;
    }
    if !audits.is_empty() {
        let mut audit_lines = Vec::with_capacity(audits.len());
        for a in audits {
            audit_lines
                .push(serde_json::to_string(a).map_err(|e| ElectionError::Record(e.to_string()))?);
        }
        write("audits.jsonl", &|out| {
            audit_lines.iter().try_for_each(|l| writeln!(out, "{l}"))
        })?;
    }
    Ok(())
}

/// Reads lines of at most [`MAX_LINE_BYTES`], calling `f` on each non-empty one.
pub fn for_each_line(
    reader: impl Read,
    mut f: impl FnMut(&str) -> Result<(), VerifyError>,
) -> Result<(), VerifyError> {
    let mut reader = BufReader::new(reader);
    let mut buffer = Vec::new();
    loop {
        buffer.clear();
        let read = (&mut reader)
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut buffer)
            .map_err(|e| VerifyError {
                check: Check::Format,
                seq: None,
                culprit: None,
                message: e.to_string(),
            })?;
        if read == 0 {
            return Ok(());
        }
        if buffer.len() > MAX_LINE_BYTES {
            return Err(VerifyError {
                check: Check::Format,
                seq: None,
                culprit: None,
                message: "a line is too long".into(),
            });
        }
        let line = core::str::from_utf8(&buffer)
            .map_err(|_| VerifyError {
                check: Check::Format,
                seq: None,
                culprit: None,
                message: "a line is not UTF-8".into(),
            })?
            .trim_end_matches(['\n', '\r']);
        if !line.is_empty() {
            f(line)?;
        }
    }
}

/// Options for [`verify_record_dir`].
#[derive(Clone, Debug, Default)]
pub struct VerifyOptions {
    /// Accept a record that stops before the result (a board still in progress).
    pub allow_incomplete: bool,
    /// Extra tracking codes to look for (besides `receipts.txt`).
    pub receipts: Vec<TrackingCode>,
    /// Extra audited ballots to check (besides `audits.jsonl`), e.g. the file a voter's booth
    /// offered after an audit.
    pub audits: Vec<AuditedBallot>,
}

fn not_found(path: &Path, e: std::io::Error) -> VerifyError {
    VerifyError {
        check: Check::Format,
        seq: None,
        culprit: None,
        message: format!("{}: {e}", path.display()),
    }
}

/// Verifies a record directory; `progress(events)` is called as lines are checked.
pub fn verify_record_dir(
    dir: &Path,
    options: &VerifyOptions,
    mut progress: impl FnMut(u64),
) -> Result<Report, VerifyError> {
    let board = dir.join("board.jsonl");
    let file = File::open(&board).map_err(|e| not_found(&board, e))?;
    let mut verifier = RecordVerifier::new();
    for_each_line(file, |line| {
        verifier.push_line(line)?;
        progress(verifier.events());
        Ok(())
    })?;
    let (mut report, context, codes) = verifier.finish(!options.allow_incomplete)?;

    let mut receipts = options.receipts.clone();
    let receipts_path = dir.join("receipts.txt");
    if receipts_path.exists() {
        let file = File::open(&receipts_path).map_err(|e| not_found(&receipts_path, e))?;
        for_each_line(file, |line| {
            let code = TrackingCode::parse(line).ok_or_else(|| VerifyError {
                check: Check::Receipts,
                seq: None,
                culprit: None,
                message: format!("{line:?} is not a tracking code"),
            })?;
            receipts.push(code);
            Ok(())
        })?;
    }
    report.receipts_checked = check_receipts(&codes, &receipts)?;
    check_derived_files(
        dir,
        context.as_ref().map(|c| &c.manifest),
        report.result.as_ref(),
    )?;

    let mut audits = options.audits.clone();
    let audits_path = dir.join("audits.jsonl");
    if audits_path.exists() {
        let file = File::open(&audits_path).map_err(|e| not_found(&audits_path, e))?;
        for_each_line(file, |line| {
            let audit: AuditedBallot = serde_json::from_str(line).map_err(|e| VerifyError {
                check: Check::Audits,
                seq: None,
                culprit: None,
                message: format!("malformed audited ballot: {e}"),
            })?;
            audits.push(audit);
            Ok(())
        })?;
    }
    if !audits.is_empty() {
        let Some(context) = context else {
            return Err(VerifyError {
                check: Check::Audits,
                seq: None,
                culprit: None,
                message: "audits without a sealed election".into(),
            });
        };
        report.audits_checked = check_audits(&context, &codes, &audits)?;
    }
    Ok(report)
}

/// The files written for people must agree with the board: a reader of `result.json` must see
/// the verified result, not an edited one.
fn check_derived_files(
    dir: &Path,
    manifest: Option<&crate::manifest::ElectionManifest>,
    result: Option<&crate::board::ElectionResult>,
) -> Result<(), VerifyError> {
    let derived = |message: String| VerifyError {
        check: Check::DerivedFiles,
        seq: None,
        culprit: None,
        message,
    };
    let read = |name: &str| -> Result<Option<String>, VerifyError> {
        let path = dir.join(name);
        if !path.exists() {
            return Ok(None);
        }
        fs::read_to_string(&path)
            .map(Some)
            .map_err(|e| derived(format!("{}: {e}", path.display())))
    };
    if let Some(text) = read("manifest.json")? {
        let parsed: crate::manifest::ElectionManifest = serde_json::from_str(&text)
            .map_err(|e| derived(format!("manifest.json is malformed: {e}")))?;
        if manifest.is_some_and(|m| *m != parsed) {
            return Err(derived(
                "manifest.json differs from the board's manifest".into(),
            ));
        }
    }
    if let Some(text) = read("result.json")? {
        let parsed: crate::board::ElectionResult = serde_json::from_str(&text)
            .map_err(|e| derived(format!("result.json is malformed: {e}")))?;
        if result != Some(&parsed) {
            return Err(derived(
                "result.json differs from the board's verified result".into(),
            ));
        }
    }
    Ok(())
}

/// The record directories under `dir`: `dir` itself if it holds `board.jsonl`, otherwise
/// each immediate subdirectory that does (an election event with parallel elections).
pub fn find_records(dir: &Path) -> Result<Vec<PathBuf>> {
    if dir.join("board.jsonl").is_file() {
        return Ok(vec![dir.to_path_buf()]);
    }
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| io_error(dir, e))? {
        let path = entry.map_err(|e| io_error(dir, e))?.path();
        if path.join("board.jsonl").is_file() {
            found.push(path);
        }
    }
    found.sort();
    if found.is_empty() {
        return Err(ElectionError::Record(format!(
            "{}: no board.jsonl here or in its subdirectories",
            dir.display()
        )));
    }
    Ok(found)
}
