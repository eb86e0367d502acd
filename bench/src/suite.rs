//! What `urna bench` measures: the bare group operations, ballot verification naive and
//! batched beside its floor, aggregation beside bare point additions, the prover, and how many
//! ballots per second this machine verifies on every core.
//!
//! Each ratio comes from one interleaved section (see [`crate::interleave`]): the hot path and
//! its floor run round by round in the same process, so the ratio holds even when the machine's
//! speed drifts. The ballot is the one of `bench/README.md`: 10 options, each a ciphertext with
//! a range proof over 0..=1, and one sum proof over 1..=3 (the proofs only, no credential
//! signature).

use std::hint::black_box;

use anyhow::Result;
use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::VartimeMultiscalarMul;
use rayon::prelude::*;
use serde::Serialize;
use urna_crypto::{EachEquation, PrecomputedKey};

use crate::fixtures::{
    prove_ballot, rng, verify_ballot, AggregateFixture, ProveFixture, VerifyFixture, AGGREGATE_N,
};
use crate::interleave::{entry, measure, Section, Spread};

/// Ballots per batch in the many-ballot sections: what `urna verify` and the server's cast
/// path put in one batch.
pub const BATCH: usize = 64;

/// How long to measure.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// A fraction of the full rounds (1.0 is the default run, about half a minute).
    pub effort: f64,
}

impl Default for Options {
    fn default() -> Self {
        Self { effort: 1.0 }
    }
}

impl Options {
    fn rounds(&self, full: usize) -> usize {
        ((full as f64 * self.effort).round() as usize).max(3)
    }
}

/// One line of `urna bench`: `name value unit`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Metric {
    pub name: String,
    pub value: f64,
    pub unit: &'static str,
}

impl core::fmt::Display for Metric {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Three significant digits are more than this machine's noise allows; more would
        // only suggest a precision the numbers don't have.
        let digits = if self.value.fract() == 0.0 || !self.value.is_finite() {
            0
        } else {
            (2 - self.value.abs().log10().floor() as i32).max(0) as usize
        };
        write!(f, "{} {:.*} {}", self.name, digits, self.value, self.unit)
    }
}

#[derive(Debug, Default)]
struct Metrics(Vec<Metric>);

impl Metrics {
    fn push(&mut self, name: &str, value: f64, unit: &'static str) {
        self.0.push(Metric {
            name: name.to_owned(),
            value,
            unit,
        });
    }

    fn time(&mut self, name: &str, section: &Section, row: &str) {
        if let Some(r) = section.row(row) {
            self.push(name, r.seconds_per_unit * 1e6, "us");
        }
    }

    fn ratio(&mut self, name: &str, spread: Option<Spread>) {
        if let Some(s) = spread {
            self.push(name, s.median, "x");
        }
    }
}

/// Runs every measurement; `progress` hears the name of each section as it starts.
pub fn run(options: &Options, mut progress: impl FnMut(&str)) -> Result<Vec<Metric>> {
    let mut out = Metrics::default();

    progress("group operations");
    let mut r = rng(11);
    let points: Vec<RistrettoPoint> = (0..64).map(|_| RistrettoPoint::random(&mut r)).collect();
    let compressed: Vec<_> = points.iter().map(|p| p.compress()).collect();
    let scalars: Vec<Scalar> = (0..64).map(|_| Scalar::random(&mut r)).collect();
    let n = points.len() as f64;
    let group = measure(
        "group",
        options.rounds(200),
        vec![
            entry("point_add", n, || {
                let mut acc = RistrettoPoint::default();
                for p in black_box(&points) {
                    acc += p;
                }
                black_box(acc);
            }),
            entry("decompress", n, || {
                for c in black_box(&compressed) {
                    black_box(c.decompress());
                }
            }),
            entry("compress", n, || {
                for p in black_box(&points) {
                    black_box(p.compress());
                }
            }),
            entry("varbase_mul", n, || {
                for (p, s) in black_box(&points).iter().zip(&scalars) {
                    black_box(p * s);
                }
            }),
            entry("basepoint_mul", n, || {
                for s in black_box(&scalars) {
                    black_box(RISTRETTO_BASEPOINT_TABLE * s);
                }
            }),
            entry("msm_per_term", n, || {
                black_box(RistrettoPoint::vartime_multiscalar_mul(
                    black_box(&scalars),
                    black_box(&points),
                ));
            }),
        ],
    );
    for op in [
        "point_add",
        "decompress",
        "compress",
        "varbase_mul",
        "basepoint_mul",
        "msm_per_term",
    ] {
        out.time(&format!("group.{op}"), &group, op);
    }

    progress("aggregation");
    let aggregate = AggregateFixture::new();
    let per = AGGREGATE_N as f64;
    let section = measure(
        "aggregate",
        options.rounds(300),
        vec![
            entry("floor", per, || {
                black_box(aggregate.floor());
            }),
            entry("aggregate", per, || {
                black_box(aggregate.add_assign());
            }),
        ],
    );
    out.time("aggregate.floor_per_ciphertext", &section, "floor");
    out.time("aggregate.per_ciphertext", &section, "aggregate");
    out.ratio(
        "aggregate.ratio_to_floor",
        section.ratio("aggregate", "floor"),
    );

    progress("one ballot");
    let one = VerifyFixture::new(1, &(1..=3), 3)?;
    let ballot = one
        .ballots
        .first()
        .ok_or_else(|| anyhow::anyhow!("no ballot"))?;
    let mut weights = rng(6);
    let section = measure(
        "ballot",
        options.rounds(150),
        vec![
            entry("floor", 1.0, || {
                black_box(one.floor.run());
            }),
            entry("naive", 1.0, || {
                let _ = black_box(verify_ballot(ballot, &one.key, &mut EachEquation));
            }),
            entry("batched", 1.0, || {
                let _ = black_box(one.verify_batched(&mut weights, false));
            }),
        ],
    );
    out.time("ballot.verify_floor", &section, "floor");
    out.time("ballot.verify_naive", &section, "naive");
    out.time("ballot.verify_batched", &section, "batched");
    out.ratio(
        "ballot.naive_ratio_to_floor",
        section.ratio("naive", "floor"),
    );
    out.ratio(
        "ballot.batched_ratio_to_floor",
        section.ratio("batched", "floor"),
    );
    out.ratio(
        "ballot.naive_over_batched",
        section.ratio("naive", "batched"),
    );

    progress("a batch of ballots");
    let many = VerifyFixture::new(BATCH, &(1..=3), 4)?;
    let first = many
        .ballots
        .first()
        .ok_or_else(|| anyhow::anyhow!("no ballot"))?;
    let per = BATCH as f64;
    let section = measure(
        "batch",
        options.rounds(15),
        vec![
            entry("floor", per, || {
                black_box(many.floor.run());
            }),
            entry("batched", per, || {
                let _ = black_box(many.verify_batched(&mut weights, false));
            }),
            entry("naive", 1.0, || {
                let _ = black_box(verify_ballot(first, &many.key, &mut EachEquation));
            }),
        ],
    );
    out.time("batch64.verify_floor_per_ballot", &section, "floor");
    out.time("batch64.verify_batched_per_ballot", &section, "batched");
    out.ratio(
        "batch64.batched_ratio_to_floor",
        section.ratio("batched", "floor"),
    );
    out.ratio(
        "batch64.naive_over_batched",
        section.ratio("naive", "batched"),
    );

    progress("the prover");
    let prover = ProveFixture::new(&(1..=3));
    let (mut plain_rng, mut table_rng) = (rng(8), rng(8));
    let section = measure(
        "prove",
        options.rounds(40),
        vec![
            entry("floor", 1.0, || {
                black_box(prover.muls_precomputed());
            }),
            entry("plain_key", 1.0, || {
                let _ = black_box(prove_ballot(&prover.key, &(1..=3), &mut plain_rng));
            }),
            entry("precomputed_key", 1.0, || {
                let _ = black_box(prove_ballot(&prover.precomputed, &(1..=3), &mut table_rng));
            }),
            entry("key_table", 1.0, || {
                black_box(PrecomputedKey::new(&prover.key));
            }),
        ],
    );
    out.time("prove.encrypt_and_prove", &section, "plain_key");
    out.time(
        "prove.encrypt_and_prove_precomputed_key",
        &section,
        "precomputed_key",
    );
    out.time("prove.precompute_key_table", &section, "key_table");
    out.time("prove.floor_precomputed_key", &section, "floor");
    out.ratio(
        "prove.precomputed_ratio_to_floor",
        section.ratio("precomputed_key", "floor"),
    );

    progress("every core");
    let threads = rayon::current_num_threads();
    // The same batches on one core and on all of them, interleaved; each call verifies
    // `threads` batches so both sides do the same work.
    let mut seeds = rng(9);
    let section = measure(
        "cores",
        options.rounds(10),
        vec![
            entry("one_core", (threads * BATCH) as f64, || {
                for _ in 0..threads {
                    let _ = black_box(many.verify_batched(&mut seeds, false));
                }
            }),
            entry("all_cores", (threads * BATCH) as f64, || {
                (0..threads).into_par_iter().for_each(|t| {
                    let mut weights = rng(100 + t as u64);
                    let _ = black_box(many.verify_batched(&mut weights, false));
                });
            }),
        ],
    );
    out.push("verify.threads", threads as f64, "threads");
    if let (Some(one_core), Some(all)) = (section.row("one_core"), section.row("all_cores")) {
        out.push(
            "verify.ballots_per_second_one_core",
            1.0 / one_core.seconds_per_unit,
            "ballots/s",
        );
        out.push(
            "verify.ballots_per_second_all_cores",
            1.0 / all.seconds_per_unit,
            "ballots/s",
        );
    }
    out.ratio(
        "verify.speedup_all_cores",
        section.ratio("one_core", "all_cores"),
    );
    Ok(out.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_lines_are_name_value_unit() {
        let m = |value: f64| Metric {
            name: "group.compress".into(),
            value,
            unit: "us",
        };
        assert_eq!(m(5.234).to_string(), "group.compress 5.23 us");
        assert_eq!(m(0.2214).to_string(), "group.compress 0.221 us");
        assert_eq!(m(1234.6).to_string(), "group.compress 1235 us");
        assert_eq!(m(0.0).to_string(), "group.compress 0 us");
        assert_eq!(m(2.0).to_string(), "group.compress 2 us");
    }
}
