//! The hot-path / floor ratios measured with the two interleaved, round by round.
//!
//! Criterion (benches/crypto.rs, benches/dlog.rs) measures one benchmark after the other; on a
//! shared virtual machine whose speed drifts by tens of percent within minutes, the ratio of two
//! such numbers can be off by as much. Here every round runs each entry of a section once, in
//! rotating order, and the ratio is the median over rounds of the per-round ratios, so drift
//! cancels out. Output is a Markdown table (times are medians per unit: per ballot in the
//! 100-ballot batch, per step for baby-step giant-step).
//!
//! `cargo bench -p urna-bench --bench ratios [-- FILTER]` runs the sections whose name contains
//! FILTER (all without one); it takes about 15 s.

use std::hint::black_box;

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use urna_bench::fixtures::{
    prove_ballot, rng, verify_ballot, AggregateFixture, ProveFixture, VerifyFixture, BATCH_BALLOTS,
};
use urna_bench::interleave::{entry, measure, Entry};
use urna_crypto::{DlogTable, EachEquation};

/// Measures and prints one section, with the extra ratios `pairs` asks for.
fn section(name: &str, rounds: usize, entries: Vec<Entry<'_>>, pairs: &[(&str, &str)]) {
    print!("{}", measure(name, rounds, entries).markdown(pairs));
}

fn verify_fixture(
    name: &str,
    count: usize,
    sum_range: &std::ops::RangeInclusive<u64>,
    seed: u64,
) -> VerifyFixture {
    match VerifyFixture::new(count, sum_range, seed) {
        Ok(fixture) => {
            eprintln!("{name}: {}", fixture.describe());
            fixture
        }
        Err(e) => panic!("{name}: the fixture does not build: {e:#}"),
    }
}

fn wanted(filters: &[String], name: &str) -> bool {
    filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str()))
}

fn main() {
    // `cargo bench` passes `--bench`; a positional argument is a filter, unless it is the value
    // of one of criterion's options (`cargo bench -- --measurement-time 5` reaches us too).
    const TAKES_VALUE: &[&str] = &[
        "--measurement-time",
        "--sample-size",
        "--warm-up-time",
        "--profile-time",
        "--save-baseline",
        "--baseline",
        "--baseline-lenient",
        "--load-baseline",
        "--noise-threshold",
        "--confidence-level",
        "--significance-level",
        "--nresamples",
        "--plotting-backend",
        "--output-format",
        "--format",
        "--color",
        "--sampling-mode",
    ];
    let mut filters: Vec<String> = Vec::new();
    let mut skip_value = false;
    for arg in std::env::args().skip(1) {
        if skip_value {
            skip_value = false;
        } else if arg.starts_with('-') {
            skip_value = !arg.contains('=') && TAKES_VALUE.contains(&arg.as_str());
        } else {
            filters.push(arg);
        }
    }
    if std::env::args().any(|a| a == "--list") {
        return;
    }

    if wanted(&filters, "ratios/aggregate_1000") {
        let f = AggregateFixture::new();
        section(
            "ratios/aggregate_1000",
            300,
            vec![
                entry("floor_2000_point_adds", 1.0, || {
                    black_box(f.floor());
                }),
                entry("ciphertext_sum", 1.0, || {
                    black_box(f.sum());
                }),
                entry("ciphertext_add_assign", 1.0, || {
                    black_box(f.add_assign());
                }),
            ],
            &[],
        );
    }

    for (name, sum_range) in [
        ("ratios/ballot_verify_sum1to3", 1..=3),
        ("ratios/ballot_verify_sum0to10", 0..=10),
    ] {
        if !wanted(&filters, name) {
            continue;
        }
        let f = verify_fixture(name, 1, &sum_range, 3);
        let mut rng_a = rng(6);
        let mut rng_b = rng(7);
        section(
            name,
            150,
            vec![
                entry("floor", 1.0, || {
                    black_box(f.floor.run());
                }),
                entry("naive", 1.0, || {
                    let _ = black_box(verify_ballot(&f.ballots[0], &f.key, &mut EachEquation));
                }),
                entry("batched", 1.0, || {
                    let _ = black_box(f.verify_batched(&mut rng_a, false));
                }),
                entry("batched_presized", 1.0, || {
                    let _ = black_box(f.verify_batched(&mut rng_b, true));
                }),
            ],
            &[("naive", "batched")],
        );
    }

    if wanted(&filters, "ratios/ballot_batch_100") {
        let f = verify_fixture("ratios/ballot_batch_100", BATCH_BALLOTS, &(1..=3), 4);
        let mut rng_a = rng(6);
        let per_batch = BATCH_BALLOTS as f64;
        section(
            "ratios/ballot_batch_100",
            12,
            vec![
                entry("floor (per ballot)", per_batch, || {
                    black_box(f.floor.run());
                }),
                entry("batched (per ballot)", per_batch, || {
                    let _ = black_box(f.verify_batched(&mut rng_a, false));
                }),
                entry("naive, one ballot", 1.0, || {
                    let _ = black_box(verify_ballot(&f.ballots[0], &f.key, &mut EachEquation));
                }),
            ],
            &[("naive, one ballot", "batched (per ballot)")],
        );
    }

    if wanted(&filters, "ratios/ballot_prove") {
        let sum_range = 1..=3;
        let f = ProveFixture::new(&sum_range);
        eprintln!("ratios/ballot_prove floor: {}", f.describe());
        let (mut rng_a, mut rng_b) = (rng(8), rng(8));
        section(
            "ratios/ballot_prove",
            40,
            vec![
                entry("floor_scalar_muls", 1.0, || {
                    black_box(f.muls());
                }),
                entry("floor_scalar_muls_precomputed_key", 1.0, || {
                    black_box(f.muls_precomputed());
                }),
                entry("floor_scalar_muls_and_encodings", 1.0, || {
                    black_box(f.muls_and_encodings());
                }),
                entry("encrypt_and_prove", 1.0, || {
                    let _ = black_box(prove_ballot(&f.key, &sum_range, &mut rng_a));
                }),
                entry("encrypt_and_prove_precomputed_key", 1.0, || {
                    let _ = black_box(prove_ballot(&f.precomputed, &sum_range, &mut rng_b));
                }),
            ],
            &[
                (
                    "encrypt_and_prove_precomputed_key",
                    "floor_scalar_muls_precomputed_key",
                ),
                ("encrypt_and_prove", "encrypt_and_prove_precomputed_key"),
            ],
        );
    }

    if wanted(&filters, "ratios/bsgs_1e6") {
        let max = 1_000_000u64;
        let step = 1001.0; // ⌈√(10⁶ + 1)⌉ baby steps; the worst case takes 1000 giant steps.
        let worst = RISTRETTO_BASEPOINT_POINT * Scalar::from(max);
        let table = DlogTable::new(max);
        let points: Vec<RistrettoPoint> = (1..=1001u64)
            .map(|i| RISTRETTO_BASEPOINT_POINT * Scalar::from(i))
            .collect();
        section(
            "ratios/bsgs_1e6 (per step)",
            30,
            vec![
                entry("compress (one per step)", 1001.0, || {
                    for p in black_box(&points) {
                        black_box(p.compress());
                    }
                }),
                entry("table_new_1e6", step, || {
                    let _ = black_box(DlogTable::new(black_box(max)));
                }),
                entry("vartime_log_worst_1e6", 1000.0, || {
                    if let Ok(t) = &table {
                        let _ = black_box(t.vartime_log(black_box(&worst)));
                    }
                }),
                entry("double_and_compress_batch", 1001.0, || {
                    black_box(RistrettoPoint::double_and_compress_batch(black_box(
                        &points,
                    )));
                }),
            ],
            &[],
        );
    }
}
