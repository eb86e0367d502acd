//! Urna's benchmark workloads, shared by the criterion targets in `benches/` and by
//! `urna bench`: each hot path comes with its floor, the bare group operations it cannot avoid.
//! `bench/README.md` keeps the measured numbers.

pub mod fixtures;
pub mod interleave;
pub mod suite;
