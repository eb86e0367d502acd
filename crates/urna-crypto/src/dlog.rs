//! Bounded discrete logarithm for decrypted totals (spec §7.3): baby-step giant-step.
//!
//! A tally decrypts to `m·G` with `m` at most the largest possible total of its option. A table
//! of `⌈√(max+1)⌉` baby steps `j·G` answers any `m ≤ max` in at most as many giant steps; one
//! table serves every option of an election. Totals are public, so all of this is
//! variable-time.

use std::collections::HashMap;

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{Identity, IsIdentity};

use crate::error::{CryptoError, Result};

/// The largest bound a table may be built for (`2⁴⁰`, about 10¹²: a table of 2²⁰ entries).
pub const MAX_DLOG_BOUND: u64 = 1 << 40;

/// Baby steps for totals up to `max`.
#[derive(Clone)]
pub struct DlogTable {
    max: u64,
    step: u64,
    baby: HashMap<[u8; 32], u64>,
    /// `-(step·G)/2`: one giant step, halved for batch encoding.
    half_giant: RistrettoPoint,
    /// `1/2 mod ℓ`.
    half: Scalar,
}

/// Points encoded per batch (one field inversion each).
const BATCH: usize = 256;

impl core::fmt::Debug for DlogTable {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("DlogTable")
            .field("max", &self.max)
            .field("step", &self.step)
            .finish()
    }
}

impl DlogTable {
    /// Builds the table for totals in `0..=max`.
    pub fn new(max: u64) -> Result<Self> {
        if max > MAX_DLOG_BOUND {
            return Err(CryptoError::InvalidParameter(
                "discrete-log bound too large",
            ));
        }
        // ⌈√(max+1)⌉, at least 1.
        let mut step = (((max as f64) + 1.0).sqrt().ceil() as u64).max(1);
        while step.saturating_mul(step) < max + 1 {
            step += 1;
        }
        // Compressing is the cost of both phases; `double_and_compress_batch` encodes 2·P for
        // a whole batch with one inversion, so we feed it halves: j·(G/2) encodes as j·G.
        let half = Scalar::from(2u64).invert();
        let half_g = RISTRETTO_BASEPOINT_POINT * half;
        let mut baby = HashMap::with_capacity(step as usize);
        baby.insert(RistrettoPoint::identity().compress().to_bytes(), 0);
        let mut halves = Vec::with_capacity(BATCH);
        let mut point = half_g;
        let mut j = 1;
        while j < step {
            halves.clear();
            while halves.len() < BATCH && j + (halves.len() as u64) < step {
                halves.push(point);
                point += half_g;
            }
            for (k, encoded) in RistrettoPoint::double_and_compress_batch(&halves)
                .into_iter()
                .enumerate()
            {
                baby.insert(encoded.to_bytes(), j + k as u64);
            }
            j += halves.len() as u64;
        }
        Ok(Self {
            max,
            step,
            baby,
            half_giant: -(half_g * Scalar::from(step)),
            half,
        })
    }

    /// The bound the table was built for.
    pub fn max(&self) -> u64 {
        self.max
    }

    /// Finds `m ≤ max` with `m·G = point`, or fails if there is none.
    pub fn vartime_log(&self, point: &RistrettoPoint) -> Result<u64> {
        let giant_steps = self.max / self.step + 1;
        let mut current = point * self.half;
        let mut halves = Vec::with_capacity(BATCH);
        let mut i = 0;
        while i < giant_steps {
            halves.clear();
            while halves.len() < BATCH && i + (halves.len() as u64) < giant_steps {
                halves.push(current);
                current += self.half_giant;
            }
            // The batch encoder cannot take the identity; its encoding is all zeros.
            let encodings: Vec<[u8; 32]> = if halves.iter().any(|p| p.is_identity()) {
                halves
                    .iter()
                    .map(|p| (p + p).compress().to_bytes())
                    .collect()
            } else {
                RistrettoPoint::double_and_compress_batch(&halves)
                    .iter()
                    .map(|c| c.to_bytes())
                    .collect()
            };
            for (k, encoded) in encodings.iter().enumerate() {
                if let Some(j) = self.baby.get(encoded) {
                    let m = (i + k as u64) * self.step + j;
                    return if m <= self.max {
                        Ok(m)
                    } else {
                        Err(CryptoError::DlogOutOfRange { max: self.max })
                    };
                }
            }
            i += halves.len() as u64;
        }
        Err(CryptoError::DlogOutOfRange { max: self.max })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_small_value_and_nothing_above() {
        let table = DlogTable::new(50).unwrap();
        for m in 0..=50u64 {
            assert_eq!(
                table.vartime_log(&(RISTRETTO_BASEPOINT_POINT * Scalar::from(m))),
                Ok(m)
            );
        }
        for m in [51u64, 52, 60, 1000] {
            assert_eq!(
                table.vartime_log(&(RISTRETTO_BASEPOINT_POINT * Scalar::from(m))),
                Err(CryptoError::DlogOutOfRange { max: 50 })
            );
        }
    }

    #[test]
    fn large_bound() {
        let Ok(table) = DlogTable::new(1_000_000) else {
            panic!("table")
        };
        for m in [0u64, 1, 999, 1000, 1001, 123_456, 999_999, 1_000_000] {
            assert_eq!(
                table.vartime_log(&(RISTRETTO_BASEPOINT_POINT * Scalar::from(m))),
                Ok(m)
            );
        }
        assert!(DlogTable::new(MAX_DLOG_BOUND + 1).is_err());
    }
}
