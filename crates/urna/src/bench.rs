//! `urna bench`: sizes a server. Measures the bare group operations and, beside them, what
//! Urna does with them (verify a ballot naive and batched, aggregate ciphertexts, encrypt and
//! prove, verify on every core), and prints one `name value unit` line per metric.
//!
//! The workloads and the interleaved timing live in the `urna-bench` crate, so these numbers
//! and the criterion benchmarks of `bench/` measure the same code.

use std::io::Write;

use anyhow::{Context, Result};
use clap::Args;
use serde::Serialize;
use urna_bench::suite::{self, Metric, Options};

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Print the metrics as one JSON document instead of `name value unit` lines.
    #[arg(long)]
    pub json: bool,
    /// A short run (a tenth of the rounds, a few seconds): noisier numbers, for a first look.
    #[arg(long)]
    pub quick: bool,
    /// Threads for the every-core measurement (default: every core).
    #[arg(long)]
    pub threads: Option<usize>,
}

#[derive(Serialize)]
struct Report<'a> {
    urna: &'static str,
    optimized: bool,
    metrics: &'a [Metric],
}

pub fn run(args: &BenchArgs) -> Result<bool> {
    if cfg!(debug_assertions) {
        eprintln!("warning: this is a debug build of urna; build with --release to size a server");
    }
    let options = Options {
        effort: if args.quick { 0.1 } else { 1.0 },
    };
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(threads) = args.threads {
        pool = pool.num_threads(threads.max(1));
    }
    let pool = pool.build().context("starting the worker threads")?;
    let metrics =
        pool.install(|| suite::run(&options, |section| eprintln!("measuring {section}…")))?;
    let mut out = std::io::stdout().lock();
    if args.json {
        let report = Report {
            urna: env!("CARGO_PKG_VERSION"),
            optimized: !cfg!(debug_assertions),
            metrics: &metrics,
        };
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        for metric in &metrics {
            writeln!(out, "{metric}")?;
        }
    }
    Ok(true)
}
