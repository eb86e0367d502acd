//! Criterion benchmarks of the bounded discrete log (`DlogTable`, baby-step giant-step) for
//! totals up to 10⁶ and 10⁹, beside the cost of one point compression: each baby step and each
//! giant step is one compression, one point addition and one hash-map operation.
//!
//! `double_and_compress_batch_per_point` shows what a step's compression could cost if the
//! steps were compressed in batches (curve25519-dalek's `double_and_compress_batch`, which
//! shares one field inversion across the batch and needs no square root).

// A table that fails to build or a log that is not found would time the wrong thing; aborting
// the run during set-up is the right reaction, so `expect` is fine here (never in a timed loop).
#![allow(clippy::expect_used)]

use std::cell::OnceCell;
use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use urna_crypto::DlogTable;

/// Points per call in `double_and_compress_batch_per_point`.
const COMPRESS_BATCH: usize = 1024;

/// `⌈√(max+1)⌉`, the number of baby steps `DlogTable::new(max)` takes.
fn steps(max: u64) -> u64 {
    let mut step = ((max as f64 + 1.0).sqrt().ceil() as u64).max(1);
    while step * step < max + 1 {
        step += 1;
    }
    step
}

fn single_steps(c: &mut Criterion) {
    let point = RISTRETTO_BASEPOINT_POINT * Scalar::from(123_456_789u64);
    let other = RISTRETTO_BASEPOINT_POINT * Scalar::from(987_654_321u64);
    let batch: Vec<RistrettoPoint> = (1..=COMPRESS_BATCH as u64)
        .map(|i| point * Scalar::from(i))
        .collect();

    let mut g = c.benchmark_group("bsgs");
    g.sample_size(20);
    g.bench_function("compress_one", |b| b.iter(|| black_box(&point).compress()));
    g.bench_function("point_add_one", |b| {
        b.iter(|| black_box(&point) + black_box(&other))
    });
    g.throughput(Throughput::Elements(COMPRESS_BATCH as u64));
    g.bench_function("double_and_compress_batch_per_point", |b| {
        b.iter(|| RistrettoPoint::double_and_compress_batch(black_box(&batch)))
    });
    g.finish();
}

fn tables(c: &mut Criterion) {
    let mut g = c.benchmark_group("bsgs");
    // The 10⁹ table and worst-case log take a few tenths of a second each: flat sampling with
    // ten samples keeps the group short.
    g.sampling_mode(SamplingMode::Flat);
    g.sample_size(10);
    for (label, max) in [("1e6", 1_000_000u64), ("1e9", 1_000_000_000u64)] {
        let fixture = OnceCell::new();
        let fixture = || {
            fixture.get_or_init(|| {
                let step = steps(max);
                // Worst case: `max` itself needs the most giant steps, ⌊max/step⌋ + 1 compressions.
                let worst = RISTRETTO_BASEPOINT_POINT * Scalar::from(max);
                let table = DlogTable::new(max).expect("table builds");
                let found = table.vartime_log(&worst).expect("the maximum has a log");
                if found != max {
                    eprintln!("bsgs {label}: log of the maximum came back as {found}");
                    std::process::exit(1);
                }
                eprintln!(
                    "bsgs {label}: {step} baby steps, {} giant-step compressions in the worst case",
                    max / step + 1
                );
                (table, worst)
            })
        };
        // Throughput in steps: one compression, addition and hash-map operation each.
        g.throughput(Throughput::Elements(steps(max)));
        g.bench_function(format!("table_new_{label}"), |b| {
            b.iter(|| DlogTable::new(black_box(max)))
        });
        g.throughput(Throughput::Elements(max / steps(max) + 1));
        g.bench_function(format!("vartime_log_worst_{label}"), |b| {
            let (table, worst) = fixture();
            b.iter(|| table.vartime_log(black_box(worst)))
        });
    }
    g.finish();
}

fn config() -> Criterion {
    // Short by default, as in benches/crypto.rs.
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .without_plots()
}

criterion_group! {
    name = benches;
    config = config();
    targets = single_steps, tables
}
criterion_main!(benches);
