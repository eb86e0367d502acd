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
use crate::simulate::EntrySink;
use crate::verify::{
    check_audits, check_audits_from, check_receipts, Check, RecordVerifier, Report, VerifyError,
};

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
    write_derived_files(dir, entries)?;
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

/// The fewest lines of `board.jsonl` handed to [`RecordVerifier::push_lines`] at once: a
/// window is checked in 32-line tasks and ends when its slowest task does, so it needs many
/// tasks per core; 2,048 ballot lines of a typical ballot are about 40 MB of text.
const WINDOW_LINES: usize = 2048;
/// With many cores a window grows to this many lines (16 tasks per core) ...
const WINDOW_LINES_PER_THREAD: usize = 16 * 32;
/// ... but not beyond this, nor beyond [`WINDOW_BYTES`], so memory stays bounded.
const WINDOW_LINES_MAX: usize = 8192;
/// A window also ends once it holds this many bytes (a line may have up to 16 MiB).
const WINDOW_BYTES: usize = 64 << 20;

/// Lines per window on this machine's (or this thread pool's) cores.
fn window_lines() -> usize {
    #[cfg(feature = "parallel")]
    let threads = rayon::current_num_threads();
    #[cfg(not(feature = "parallel"))]
    let threads = 1;
    (threads * WINDOW_LINES_PER_THREAD).clamp(WINDOW_LINES, WINDOW_LINES_MAX)
}
/// Audited ballots read, parsed and opened at once.
const AUDIT_WINDOW: usize = 256;

fn format_error(message: impl Into<String>) -> VerifyError {
    VerifyError {
        check: Check::Format,
        seq: None,
        culprit: None,
        message: message.into(),
    }
}

/// Reads non-empty lines of at most [`MAX_LINE_BYTES`], without their line endings.
struct LineReader<R> {
    reader: BufReader<R>,
    /// The last line's length: the next one is likely as long (ballots are).
    capacity: usize,
}

impl<R: Read> LineReader<R> {
    fn new(reader: R) -> Self {
        Self {
            reader: BufReader::new(reader),
            capacity: 0,
        }
    }

    /// The next non-empty line, or `None` at the end.
    fn next_line(&mut self) -> Result<Option<String>, VerifyError> {
        loop {
            let mut buffer = Vec::with_capacity(self.capacity + 2);
            let read = (&mut self.reader)
                .take(MAX_LINE_BYTES as u64 + 1)
                .read_until(b'\n', &mut buffer)
                .map_err(|e| format_error(e.to_string()))?;
            if read == 0 {
                return Ok(None);
            }
            if buffer.len() > MAX_LINE_BYTES {
                return Err(format_error("a line is too long"));
            }
            let mut line =
                String::from_utf8(buffer).map_err(|_| format_error("a line is not UTF-8"))?;
            let len = line.trim_end_matches(['\n', '\r']).len();
            line.truncate(len);
            if !line.is_empty() {
                self.capacity = len;
                return Ok(Some(line));
            }
        }
    }
}

/// Writes the files derived from the board for people, `manifest.json` and `result.json`,
/// from the setup and result events among `entries` (the others are skipped unparsed, so the
/// entries of a streamed board, without its ballots, are enough).
pub fn write_derived_files(dir: &Path, entries: &[BoardEntry]) -> Result<()> {
    for entry in entries
        .iter()
        .filter(|e| e.kind == "setup" || e.kind == "result")
    {
        let (name, json) = match entry.event()? {
            Event::Setup(setup) => (
                "manifest.json",
                serde_json::to_string_pretty(&setup.manifest),
            ),
            Event::Result(result) => ("result.json", serde_json::to_string_pretty(&result)),
            _ => continue,
        };
        let json = json.map_err(|e| ElectionError::Record(e.to_string()))?;
        let path = dir.join(name);
        fs::write(&path, format!("{json}\n")).map_err(|e| io_error(&path, e))?;
    }
    Ok(())
}

/// Writes a record's `board.jsonl` one entry at a time, as a streamed election appends them
/// ([`OfflineElection::stream_to`](crate::simulate::OfflineElection::stream_to)), so the
/// board is never all in memory. Creating it writes `format.txt`; the derived files come
/// from [`write_derived_files`] at the end.
#[derive(Debug)]
pub struct BoardWriter {
    path: PathBuf,
    out: BufWriter<File>,
}

impl BoardWriter {
    /// Creates `dir` (if needed), `format.txt` and an empty `board.jsonl`.
    pub fn create(dir: &Path) -> Result<Self> {
        fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
        let format = dir.join("format.txt");
        fs::write(&format, format!("{RECORD_FORMAT}\n")).map_err(|e| io_error(&format, e))?;
        let path = dir.join("board.jsonl");
        let file = File::create(&path).map_err(|e| io_error(&path, e))?;
        Ok(Self {
            out: BufWriter::with_capacity(1 << 20, file),
            path,
        })
    }
}

impl EntrySink for BoardWriter {
    fn write(&mut self, entry: &BoardEntry) -> Result<()> {
        let line = entry.to_line()?;
        writeln!(self.out, "{line}").map_err(|e| io_error(&self.path, e))
    }

    fn finish(&mut self) -> Result<()> {
        self.out.flush().map_err(|e| io_error(&self.path, e))
    }
}

/// Reads lines of at most [`MAX_LINE_BYTES`], calling `f` on each non-empty one.
pub fn for_each_line(
    reader: impl Read,
    mut f: impl FnMut(&str) -> Result<(), VerifyError>,
) -> Result<(), VerifyError> {
    let mut lines = LineReader::new(reader);
    while let Some(line) = lines.next_line()? {
        f(&line)?;
    }
    Ok(())
}

/// Like [`for_each_line`], but hands `f` windows of up to `max_lines` lines (or about
/// `max_bytes`). A line that cannot be read fails only after the lines before it were
/// handled, as it would line by line.
fn for_each_window(
    reader: impl Read,
    max_lines: usize,
    max_bytes: usize,
    mut f: impl FnMut(&[String]) -> Result<(), VerifyError>,
) -> Result<(), VerifyError> {
    let mut lines = LineReader::new(reader);
    let mut window = Vec::with_capacity(max_lines);
    loop {
        let mut bytes = 0;
        let mut end = None;
        while window.len() < max_lines && bytes < max_bytes {
            match lines.next_line() {
                Ok(Some(line)) => {
                    bytes += line.len();
                    window.push(line);
                }
                Ok(None) => {
                    end = Some(Ok(()));
                    break;
                }
                Err(e) => {
                    end = Some(Err(e));
                    break;
                }
            }
        }
        if !window.is_empty() {
            f(&window)?;
            window.clear();
        }
        if let Some(end) = end {
            return end;
        }
    }
}

/// Parses a window of `audits.jsonl` (on every core); the first malformed line in order fails.
fn parse_audits(lines: &[String]) -> Result<Vec<AuditedBallot>, VerifyError> {
    let parse = |line: &String| {
        serde_json::from_str::<AuditedBallot>(line).map_err(|e| VerifyError {
            check: Check::Audits,
            seq: None,
            culprit: None,
            message: format!("malformed audited ballot: {e}"),
        })
    };
    #[cfg(feature = "parallel")]
    let parsed: Vec<Result<AuditedBallot, VerifyError>> = {
        use rayon::prelude::*;
        lines.par_iter().map(parse).collect()
    };
    #[cfg(not(feature = "parallel"))]
    let parsed: Vec<Result<AuditedBallot, VerifyError>> = lines.iter().map(parse).collect();
    parsed.into_iter().collect()
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
///
/// The board is read and checked a window of lines at a time (parsed, hashed and verified on
/// every core), and receipts and audits are streamed too, so memory stays flat apart from
/// what grows with the roll (the credential list, who has voted, the cast tracking codes).
pub fn verify_record_dir(
    dir: &Path,
    options: &VerifyOptions,
    mut progress: impl FnMut(u64),
) -> Result<Report, VerifyError> {
    let board = dir.join("board.jsonl");
    let file = File::open(&board).map_err(|e| not_found(&board, e))?;
    let mut verifier = RecordVerifier::new();
    for_each_window(file, window_lines(), WINDOW_BYTES, |lines| {
        verifier.push_lines(lines)?;
        progress(verifier.events());
        Ok(())
    })?;
    let (mut report, context, codes) = verifier.finish(!options.allow_incomplete)?;

    // Every line of receipts.txt must be a tracking code before any is looked up: read it
    // twice rather than hold it.
    let receipts_path = dir.join("receipts.txt");
    let has_receipts = receipts_path.exists();
    let read_receipts = |each: &mut dyn FnMut(TrackingCode) -> Result<(), VerifyError>| {
        let file = File::open(&receipts_path).map_err(|e| not_found(&receipts_path, e))?;
        for_each_line(file, |line| {
            let code = TrackingCode::parse(line).ok_or_else(|| VerifyError {
                check: Check::Receipts,
                seq: None,
                culprit: None,
                message: format!("{line:?} is not a tracking code"),
            })?;
            each(code)
        })
    };
    if has_receipts {
        read_receipts(&mut |_| Ok(()))?;
    }
    let mut receipts_checked = check_receipts(&codes, &options.receipts)?;
    if has_receipts {
        read_receipts(&mut |code| {
            receipts_checked += check_receipts(&codes, core::slice::from_ref(&code))?;
            Ok(())
        })?;
    }
    report.receipts_checked = receipts_checked;
    check_derived_files(
        dir,
        context.as_ref().map(|c| &c.manifest),
        report.result.as_ref(),
    )?;

    // Likewise every line of audits.jsonl must parse before any audit is opened.
    let audits_path = dir.join("audits.jsonl");
    let open_audits = || File::open(&audits_path).map_err(|e| not_found(&audits_path, e));
    let mut in_file = 0;
    if audits_path.exists() {
        for_each_window(open_audits()?, AUDIT_WINDOW, WINDOW_BYTES, |lines| {
            in_file += parse_audits(lines)?.len();
            Ok(())
        })?;
    }
    if !options.audits.is_empty() || in_file > 0 {
        let Some(context) = context else {
            return Err(VerifyError {
                check: Check::Audits,
                seq: None,
                culprit: None,
                message: "audits without a sealed election".into(),
            });
        };
        let mut checked = check_audits(&context, &codes, &options.audits)?;
        if in_file > 0 {
            for_each_window(open_audits()?, AUDIT_WINDOW, WINDOW_BYTES, |lines| {
                let audits = parse_audits(lines)?;
                checked += check_audits_from(&context, &codes, &audits, checked)?;
                Ok(())
            })?;
        }
        report.audits_checked = checked;
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
