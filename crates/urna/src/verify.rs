//! `urna verify`: checks an election record and prints a verdict.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Result;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use urna_election::record::{find_records, verify_record_dir, VerifyOptions};
use urna_election::{Report, TrackingCode, VerifyError};

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A record directory (with board.jsonl), or a directory of them.
    pub dir: PathBuf,
    /// Print one JSON document instead of text.
    #[arg(long)]
    pub json: bool,
    /// Accept a record that stops before the result (an election still running).
    #[arg(long)]
    pub partial: bool,
    /// A tracking code that must be on the board (repeatable).
    #[arg(long = "receipt")]
    pub receipts: Vec<String>,
    /// An audited ballot to check, e.g. the file the voting booth offered after an audit
    /// (repeatable): it must open to valid values and must never have been cast.
    #[arg(long = "audit")]
    pub audits: Vec<PathBuf>,
    /// Threads that check proofs, parse and hash the board (default: every core).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
}

#[derive(Serialize)]
struct Outcome {
    record: String,
    valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    report: Option<Report>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<VerifyError>,
    /// How long the record took to check (for the text summary only).
    #[serde(skip)]
    elapsed: Duration,
}

fn count_lines(path: &Path) -> u64 {
    let Ok(mut file) = std::fs::File::open(path) else {
        return 0;
    };
    let mut buffer = vec![0u8; 1 << 16];
    let mut lines = 0;
    while let Ok(n) = file.read(&mut buffer) {
        if n == 0 {
            break;
        }
        lines += buffer[..n].iter().filter(|&&b| b == b'\n').count() as u64;
    }
    lines
}

/// Returns whether every record verified.
///
/// The verification runs in a thread pool of `--threads` threads (by default one per core), so
/// the number of cores it takes can be chosen, e.g. to measure the speed-up.
pub fn run(args: &VerifyArgs) -> Result<bool> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.map_or(0, usize::from))
        .thread_name(|i| format!("urna-verify-{i}"))
        .build()
        .map_err(|e| anyhow::anyhow!("cannot start {:?} threads: {e}", args.threads))?;
    pool.install(|| run_in_pool(args))
}

fn run_in_pool(args: &VerifyArgs) -> Result<bool> {
    let mut receipts = Vec::new();
    for text in &args.receipts {
        receipts.push(
            TrackingCode::parse(text)
                .ok_or_else(|| anyhow::anyhow!("{text:?} is not a tracking code"))?,
        );
    }
    let mut audits = Vec::new();
    for path in &args.audits {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
        audits
            .push(serde_json::from_str(&text).map_err(|e| {
                anyhow::anyhow!("{} is not an audited ballot: {e}", path.display())
            })?);
    }
    let options = VerifyOptions {
        allow_incomplete: args.partial,
        receipts,
        audits,
    };
    let mut outcomes = Vec::new();
    for dir in find_records(&args.dir)? {
        let bar = if args.json {
            ProgressBar::hidden()
        } else {
            let bar = ProgressBar::new(count_lines(&dir.join("board.jsonl")));
            bar.set_style(
                ProgressStyle::with_template(
                    "{msg} [{bar:40}] {pos}/{len} events ({per_sec}, {eta})",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar.set_message(dir.display().to_string());
            bar
        };
        let start = Instant::now();
        // Called once per window of lines, not per line.
        let result = verify_record_dir(&dir, &options, |events| bar.set_position(events));
        let elapsed = start.elapsed();
        bar.finish_and_clear();
        outcomes.push(match result {
            Ok(report) => Outcome {
                record: dir.display().to_string(),
                valid: true,
                report: Some(report),
                error: None,
                elapsed,
            },
            Err(error) => Outcome {
                record: dir.display().to_string(),
                valid: false,
                report: None,
                error: Some(error),
                elapsed,
            },
        });
    }
    let all_valid = outcomes.iter().all(|o| o.valid);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&outcomes)?);
    } else {
        for outcome in &outcomes {
            print_outcome(outcome);
        }
        println!(
            "{}",
            if all_valid {
                "VALID: every check passed."
            } else {
                "INVALID: see the failed check above."
            }
        );
    }
    Ok(all_valid)
}

fn print_outcome(outcome: &Outcome) {
    match (&outcome.report, &outcome.error) {
        (Some(report), _) => {
            println!(
                "✔ {} — {} ({})",
                outcome.record, report.title.en, report.election_id
            );
            if let Some(fp) = &report.fingerprint {
                println!("    fingerprint {fp}");
            }
            println!(
                "    board head  {} after {} events",
                report.head, report.events
            );
            println!(
                "    {} ballots, {} counted; {} tracking codes and {} audited ballots checked",
                report.ballots,
                report
                    .ballots_counted
                    .map_or("not yet".to_string(), |c| c.to_string()),
                report.receipts_checked,
                report.audits_checked
            );
            let seconds = outcome.elapsed.as_secs_f64();
            println!(
                "    checked in {seconds:.1} s ({:.0} ballots/s)",
                report.ballots as f64 / seconds.max(1e-3)
            );
            for blame in &report.blame {
                println!("    note: key ceremony blamed {blame}");
            }
            if let Some(result) = &report.result {
                for contest in &result.contests {
                    println!("    {}: {:?}", contest.contest, contest.totals);
                }
            } else {
                println!("    (no result yet)");
            }
        }
        (None, Some(error)) => println!("✘ {}\n    {error}", outcome.record),
        (None, None) => {}
    }
}
