//! SHA-256 with domain separation and length prefixes (spec/record.md §2).
//!
//! Every hash in the record starts with its domain string and frames every variable-length
//! field with its length (`u64`, little-endian), so no two different inputs share an encoding.

use sha2::{Digest, Sha256};
use urna_crypto::Digest32;

/// An incremental, domain-separated hash.
#[derive(Clone)]
pub struct Hasher(Sha256);

impl core::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Hasher")
    }
}

impl Hasher {
    /// Starts a hash in `domain`, e.g. `"urna/board-event/v1"`.
    pub fn new(domain: &str) -> Self {
        let mut hasher = Self(Sha256::new());
        hasher.bytes(domain.as_bytes());
        hasher
    }

    /// Appends a length-prefixed byte string.
    pub fn bytes(&mut self, bytes: &[u8]) -> &mut Self {
        self.0.update((bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
        self
    }

    /// Appends an integer (8 bytes, little-endian).
    pub fn u64(&mut self, value: u64) -> &mut Self {
        self.0.update(value.to_le_bytes());
        self
    }

    /// The digest.
    pub fn finish(self) -> Digest32 {
        Digest32(self.0.finalize().into())
    }
}
