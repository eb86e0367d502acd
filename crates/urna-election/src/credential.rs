//! Voter credentials: eligibility without identity (spec/record.md §4).
//!
//! Each voter gets a random 128-bit credential secret, carried in the fragment of the link in
//! the invitation (browsers never send the fragment to the server). From it and the election's
//! setup hash the voter's credential key `c` is derived; the board only ever knows the public
//! credential `c·G` and the voter's weight. A ballot is signed under its credential.

use std::collections::HashMap;

use data_encoding::BASE32_NOPAD;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha512};
use urna_crypto::curve25519_dalek::scalar::Scalar;
use urna_crypto::{Digest32, PointBytes, PublicKey, SecretScalar};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::{ElectionError, Result};

/// Length of a credential secret in bytes.
pub const CREDENTIAL_SECRET_LEN: usize = 16;

/// A voter's credential secret. Wiped on drop, never printed.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct CredentialSecret([u8; CREDENTIAL_SECRET_LEN]);

impl core::fmt::Debug for CredentialSecret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("CredentialSecret(<redacted>)")
    }
}

impl CredentialSecret {
    /// A fresh random credential.
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        let mut bytes = [0u8; CREDENTIAL_SECRET_LEN];
        rng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// The form that goes into the link fragment: 26 lower-case base32 characters.
    pub fn to_link_string(&self) -> String {
        BASE32_NOPAD.encode(&self.0).to_ascii_lowercase()
    }

    /// Parses the link form (case-insensitive; spaces and dashes are ignored so a voter may
    /// type it from paper).
    pub fn from_link_string(text: &str) -> Result<Self> {
        // Both intermediate copies hold the secret: wiped on drop, on every path (the
        // capacity is reserved up front so no reallocation leaves an unwiped copy behind).
        let mut cleaned = Zeroizing::new(String::with_capacity(text.len()));
        cleaned.extend(
            text.chars()
                .filter(|c| !c.is_whitespace() && *c != '-')
                .map(|c| c.to_ascii_uppercase()),
        );
        let bytes = Zeroizing::new(
            BASE32_NOPAD
                .decode(cleaned.as_bytes())
                .map_err(|_| ElectionError::Credential("not base32"))?,
        );
        let array: [u8; CREDENTIAL_SECRET_LEN] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| ElectionError::Credential("wrong length"))?;
        Ok(Self(array))
    }

    /// The credential key for the election whose setup event hashed to `setup_hash`.
    pub fn derive_key(&self, setup_hash: &Digest32) -> CredentialKey {
        let mut hasher = Sha512::new();
        hasher.update(b"urna/credential/v1");
        hasher.update(setup_hash.as_bytes());
        hasher.update(self.0);
        let mut wide: [u8; 64] = hasher.finalize().into();
        let secret = SecretScalar::from_scalar(Scalar::from_bytes_mod_order_wide(&wide));
        wide.zeroize();
        let public = PublicKey::from_point(secret.public_point());
        CredentialKey { secret, public }
    }
}

/// A derived credential key pair, held by the voter's booth while it signs.
#[derive(Clone, Debug)]
pub struct CredentialKey {
    pub(crate) secret: SecretScalar,
    pub(crate) public: PublicKey,
}

impl CredentialKey {
    /// The public credential.
    pub fn public(&self) -> &PublicKey {
        &self.public
    }
}

/// A public credential on the board, with the voter's weight.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicCredential {
    pub key: PointBytes,
    pub weight: u64,
}

/// The board's list of public credentials: sorted by key, so its order says nothing about
/// the roll's order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialList {
    pub credentials: Vec<PublicCredential>,
}

/// The most credentials one election may have.
pub const MAX_CREDENTIALS: usize = 10_000_000;
/// The largest voter weight.
pub const MAX_WEIGHT: u64 = 1_000_000;

impl CredentialList {
    /// Makes one credential per weight (a roll in any order) and the sorted public list.
    /// The secrets come back in roll order, for the invitations.
    pub fn generate<R: RngCore + CryptoRng>(
        setup_hash: &Digest32,
        weights: &[u64],
        rng: &mut R,
    ) -> (Vec<CredentialSecret>, CredentialList) {
        let secrets: Vec<CredentialSecret> = weights
            .iter()
            .map(|_| CredentialSecret::generate(rng))
            .collect();
        let credentials = secrets
            .iter()
            .zip(weights)
            .map(|(s, &weight)| PublicCredential {
                key: s.derive_key(setup_hash).public.to_bytes(),
                weight,
            })
            .collect();
        (secrets, Self::from_unsorted(credentials))
    }

    /// Sorts a list of public credentials (e.g. from a separate credential authority).
    pub fn from_unsorted(mut credentials: Vec<PublicCredential>) -> Self {
        credentials.sort_by_key(|c| c.key);
        Self { credentials }
    }

    /// Checks the list and indexes it.
    pub fn validate(&self) -> Result<ValidCredentials> {
        if self.credentials.is_empty() || self.credentials.len() > MAX_CREDENTIALS {
            return Err(ElectionError::Record(
                "the credential list is empty or too long".into(),
            ));
        }
        let mut by_key = HashMap::with_capacity(self.credentials.len());
        let mut total_weight: u64 = 0;
        for (i, credential) in self.credentials.iter().enumerate() {
            if i > 0 && self.credentials[i - 1].key >= credential.key {
                return Err(ElectionError::Record(format!(
                    "credential {i} is out of order or repeated"
                )));
            }
            if credential.weight == 0 || credential.weight > MAX_WEIGHT {
                return Err(ElectionError::Record(format!(
                    "credential {i} has weight {}",
                    credential.weight
                )));
            }
            let key = PublicKey::from_bytes(&credential.key).map_err(|_| {
                ElectionError::Record(format!("credential {i} is not a valid public key"))
            })?;
            total_weight += credential.weight;
            by_key.insert(credential.key, (key, credential.weight));
        }
        Ok(ValidCredentials {
            by_key,
            total_weight,
        })
    }
}

/// A checked credential list, indexed by key.
#[derive(Clone, Debug)]
pub struct ValidCredentials {
    by_key: HashMap<PointBytes, (PublicKey, u64)>,
    total_weight: u64,
}

impl ValidCredentials {
    /// The credential's key and weight, if it is on the list.
    pub fn get(&self, key: &PointBytes) -> Option<(PublicKey, u64)> {
        self.by_key.get(key).copied()
    }

    /// Number of credentials.
    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    /// Whether the list is empty (never, once validated).
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// Sum of all weights: the most any option can total, per point of its maximum.
    pub fn total_weight(&self) -> u64 {
        self.total_weight
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn link_string_round_trip_and_derivation() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(5);
        let secret = CredentialSecret::generate(&mut rng);
        let text = secret.to_link_string();
        assert_eq!(text.len(), 26);
        let back = CredentialSecret::from_link_string(&text.to_uppercase()).unwrap();
        let setup = Digest32([1; 32]);
        assert_eq!(
            back.derive_key(&setup).public,
            secret.derive_key(&setup).public
        );
        assert_ne!(
            secret.derive_key(&Digest32([2; 32])).public,
            secret.derive_key(&setup).public
        );
        assert!(CredentialSecret::from_link_string("abc").is_err());
        assert_eq!(format!("{secret:?}"), "CredentialSecret(<redacted>)");
    }

    #[test]
    fn list_is_sorted_and_checked() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(6);
        let (secrets, list) = CredentialList::generate(&Digest32([0; 32]), &[1, 2, 3], &mut rng);
        assert_eq!(secrets.len(), 3);
        let valid = list.validate().unwrap();
        assert_eq!(valid.total_weight(), 6);
        let mut unsorted = list.clone();
        unsorted.credentials.swap(0, 1);
        assert!(unsorted.validate().is_err());
        let mut zero = list;
        zero.credentials[0].weight = 0;
        assert!(zero.validate().is_err());
    }
}
