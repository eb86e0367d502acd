//! Hot paths and their floors timed interleaved, round by round.
//!
//! Criterion measures one benchmark after the other; on a shared virtual machine whose speed
//! drifts by tens of percent within minutes, the ratio of two such numbers can be off by as
//! much. Here every round runs each entry of a section once, in rotating order, and a ratio is
//! the median over rounds of the per-round ratios, so drift cancels out.

use std::time::Instant;

/// One timed routine of a section; `units` is how many ballots (steps, ciphertexts…) one call
/// handles, so that times come out per unit.
pub struct Entry<'a> {
    name: &'static str,
    units: f64,
    run: Box<dyn FnMut() + 'a>,
}

impl core::fmt::Debug for Entry<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Entry")
            .field("name", &self.name)
            .field("units", &self.units)
            .finish_non_exhaustive()
    }
}

/// A routine to time: `run` handles `units` units per call.
pub fn entry<'a>(name: &'static str, units: f64, run: impl FnMut() + 'a) -> Entry<'a> {
    Entry {
        name,
        units,
        run: Box::new(run),
    }
}

/// A median with the 10th and 90th percentiles around it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spread {
    pub median: f64,
    pub p10: f64,
    pub p90: f64,
}

impl Spread {
    fn of(mut values: Vec<f64>) -> Self {
        values.sort_by(f64::total_cmp);
        let at = |p: f64| -> f64 {
            if values.is_empty() {
                return f64::NAN;
            }
            let i = ((values.len() - 1) as f64 * p).round() as usize;
            values[i.min(values.len() - 1)]
        };
        let median = match values.len() {
            0 => f64::NAN,
            n if n % 2 == 1 => values[n / 2],
            n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
        };
        Self {
            median,
            p10: at(0.1),
            p90: at(0.9),
        }
    }
}

/// One entry's result: seconds per unit, and its ratio to the section's first entry.
#[derive(Clone, Debug)]
pub struct Row {
    pub name: &'static str,
    pub seconds_per_unit: f64,
    pub ratio_to_reference: Spread,
}

/// A measured section.
#[derive(Clone, Debug)]
pub struct Section {
    pub name: String,
    pub rounds: usize,
    pub rows: Vec<Row>,
    /// Per-unit time samples, one vector per row, kept for the extra ratios.
    samples: Vec<Vec<f64>>,
}

impl Section {
    /// The row called `name`.
    pub fn row(&self, name: &str) -> Option<&Row> {
        self.rows.iter().find(|r| r.name == name)
    }

    /// The median over rounds of `a`'s time per unit divided by `b`'s.
    pub fn ratio(&self, a: &str, b: &str) -> Option<Spread> {
        let index = |name: &str| self.rows.iter().position(|r| r.name == name);
        let (a, b) = (index(a)?, index(b)?);
        Some(ratio(&self.samples[a], &self.samples[b]))
    }

    /// The section as a Markdown table (what `cargo bench --bench ratios` prints).
    pub fn markdown(&self, pairs: &[(&str, &str)]) -> String {
        let mut out = format!(
            "\n### {} ({} interleaved rounds)\n\n",
            self.name, self.rounds
        );
        let reference = self.rows.first().map(|r| r.name).unwrap_or("—");
        out.push_str(&format!(
            "| routine | median per unit | ratio to {reference} (p10–p90) |\n| --- | ---: | ---: |\n"
        ));
        for row in &self.rows {
            let r = row.ratio_to_reference;
            out.push_str(&format!(
                "| {} | {} | {:.3}× ({:.3}–{:.3}) |\n",
                row.name,
                format_time(row.seconds_per_unit),
                r.median,
                r.p10,
                r.p90
            ));
        }
        for (a, b) in pairs {
            if let Some(r) = self.ratio(a, b) {
                out.push_str(&format!(
                    "\n{a} / {b}: **{:.2}×** (p10–p90 {:.2}–{:.2})\n",
                    r.median, r.p10, r.p90
                ));
            }
        }
        out
    }
}

fn ratio(a: &[f64], b: &[f64]) -> Spread {
    Spread::of(a.iter().zip(b).map(|(x, y)| x / y).collect())
}

/// Runs `rounds` interleaved rounds of `entries` (after `rounds / 10 + 1` unrecorded warm-up
/// rounds). The first entry is the reference, normally the floor.
pub fn measure(name: impl Into<String>, rounds: usize, mut entries: Vec<Entry<'_>>) -> Section {
    let n = entries.len();
    let rounds = rounds.max(1);
    let warm_up = rounds / 10 + 1;
    let mut samples = vec![Vec::with_capacity(rounds); n];
    for round in 0..warm_up + rounds {
        for k in 0..n {
            let i = (round + k) % n;
            let entry = &mut entries[i];
            let start = Instant::now();
            (entry.run)();
            let elapsed = start.elapsed().as_secs_f64() / entry.units;
            if round >= warm_up {
                samples[i].push(elapsed);
            }
        }
    }
    let rows = entries
        .iter()
        .zip(&samples)
        .map(|(entry, times)| Row {
            name: entry.name,
            seconds_per_unit: Spread::of(times.clone()).median,
            ratio_to_reference: samples
                .first()
                .map(|reference| ratio(times, reference))
                .unwrap_or(Spread {
                    median: f64::NAN,
                    p10: f64::NAN,
                    p90: f64::NAN,
                }),
        })
        .collect();
    Section {
        name: name.into(),
        rounds,
        rows,
        samples,
    }
}

/// A duration for people: ms, µs or ns with three significant digits or so.
pub fn format_time(seconds: f64) -> String {
    if seconds >= 1e-3 {
        format!("{:.3} ms", seconds * 1e3)
    } else if seconds >= 1e-6 {
        format!("{:.2} µs", seconds * 1e6)
    } else {
        format!("{:.1} ns", seconds * 1e9)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_is_the_median_and_its_percentiles() {
        let s = Spread::of((1..=11).rev().map(f64::from).collect());
        assert_eq!(s.median, 6.0);
        assert_eq!(s.p10, 2.0);
        assert_eq!(s.p90, 10.0);
        assert_eq!(Spread::of(vec![1.0, 3.0]).median, 2.0);
        assert!(Spread::of(Vec::new()).median.is_nan());
    }

    #[test]
    fn ratios_are_per_unit_and_per_round() {
        // Every entry runs once per round, warm-up included, in rotating order.
        let counter = std::cell::Cell::new(0u64);
        let spin = |n: u64| {
            let mut x = 0u64;
            for i in 0..n {
                x = std::hint::black_box(x.wrapping_add(i));
            }
            counter.set(counter.get() + 1);
            x
        };
        let section = measure(
            "test",
            9,
            vec![
                entry("reference", 2.0, || {
                    spin(200_000);
                }),
                entry("other", 1.0, || {
                    spin(400_000);
                }),
            ],
        );
        // 9 rounds + 1 warm-up round, two entries each.
        assert_eq!(counter.get(), 20);
        assert_eq!(section.rows.len(), 2);
        assert_eq!(
            section
                .row("reference")
                .map(|r| r.ratio_to_reference.median),
            Some(1.0)
        );
        let other = section.ratio("other", "reference").map(|r| r.median);
        // Times are not asserted (the machine's speed is not ours); the ratio only has to be
        // a real number computed from the samples.
        assert!(other.is_some_and(|r| r.is_finite() && r > 0.0), "{other:?}");
        assert!(section.ratio("missing", "reference").is_none());
        assert!(section
            .markdown(&[("other", "reference")])
            .contains("other / reference"));
    }
}
