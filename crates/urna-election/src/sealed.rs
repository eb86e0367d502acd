//! Secrets sealed under a passphrase (spec/record.md §11): a trustee's key share or ceremony
//! state kept in a browser, or downloaded as a backup, is unreadable without the passphrase.
//!
//! The passphrase goes through Argon2id (a fresh 16-byte salt per file) to a 256-bit key that
//! encrypts the secret's JSON with ChaCha20-Poly1305; the file's header (format, purpose and
//! the KDF parameters) is the associated data, so none of it can be changed without the
//! opening failing. Opening is all-or-nothing: a wrong passphrase and a tampered file give
//! the same error.

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use crate::error::{ElectionError, Result};

/// What a trustee's sealed key share is (bound into the file).
pub const TRUSTEE_KEY_SHARE: &str = "urna-trustee-key-share";
/// What a trustee's sealed ceremony state is.
pub const TRUSTEE_CEREMONY_STATE: &str = "urna-trustee-ceremony-state";

/// The format tag of a sealed file.
pub const SEALED_FORMAT: &str = "urna-sealed/v1";

/// Argon2id cost used for new files: 19 MiB, 2 passes, 1 lane (OWASP's recommendation for
/// Argon2id), which a browser computes in about a second.
pub const DEFAULT_MEMORY_KIB: u32 = 19 * 1024;
pub const DEFAULT_PASSES: u32 = 2;

/// The most a file may ask of the opener (so a crafted file cannot exhaust memory or time).
const MAX_MEMORY_KIB: u32 = 256 * 1024;
const MAX_PASSES: u32 = 16;
/// Shortest passphrase accepted when sealing.
pub const MIN_PASSPHRASE_CHARS: usize = 10;

/// Argon2id parameters of one file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    pub memory_kib: u32,
    pub passes: u32,
    /// Hex, 16 bytes.
    pub salt: String,
}

/// A sealed secret, as stored or downloaded (JSON).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedFile {
    pub format: String,
    /// What the secret is, e.g. `trustee-key-share` — bound to the ciphertext.
    pub purpose: String,
    /// A public note for people (election, trustee index), bound to the ciphertext.
    pub label: String,
    pub kdf: KdfParams,
    /// Hex, 12 bytes.
    pub nonce: String,
    /// Hex: ciphertext and tag.
    pub ciphertext: String,
}

fn sealed_error(reason: &'static str) -> ElectionError {
    ElectionError::Sealed(reason)
}

fn derive_key(passphrase: &str, kdf: &KdfParams) -> Result<Zeroizing<[u8; 32]>> {
    if kdf.memory_kib > MAX_MEMORY_KIB || kdf.passes > MAX_PASSES {
        return Err(sealed_error(
            "the file asks for more key-derivation work than allowed",
        ));
    }
    let salt = hex_decode(&kdf.salt, 16).ok_or(sealed_error("the salt is not 16 hex bytes"))?;
    let params = Params::new(kdf.memory_kib, kdf.passes, 1, Some(32))
        .map_err(|_| sealed_error("invalid key-derivation parameters"))?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    let mut key = Zeroizing::new([0u8; 32]);
    argon
        .hash_password_into(passphrase.as_bytes(), &salt, key.as_mut())
        .map_err(|_| sealed_error("key derivation failed"))?;
    Ok(key)
}

fn associated_data(file_format: &str, purpose: &str, label: &str, kdf: &KdfParams) -> Vec<u8> {
    // Length-prefixed, so no two headers give the same bytes.
    let mut out = Vec::new();
    for part in [
        file_format,
        purpose,
        label,
        &kdf.memory_kib.to_string(),
        &kdf.passes.to_string(),
        &kdf.salt,
    ] {
        out.extend_from_slice(&(part.len() as u64).to_le_bytes());
        out.extend_from_slice(part.as_bytes());
    }
    out
}

fn hex_decode(text: &str, len: usize) -> Option<Vec<u8>> {
    let bytes = data_encoding::HEXLOWER_PERMISSIVE
        .decode(text.as_bytes())
        .ok()?;
    (bytes.len() == len).then_some(bytes)
}

fn hex_encode(bytes: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(bytes)
}

/// Seals `secret` under `passphrase` with the default cost.
pub fn seal<R: RngCore + CryptoRng>(
    passphrase: &str,
    purpose: &str,
    label: &str,
    secret: &[u8],
    rng: &mut R,
) -> Result<SealedFile> {
    seal_with_cost(
        passphrase,
        purpose,
        label,
        secret,
        DEFAULT_MEMORY_KIB,
        DEFAULT_PASSES,
        rng,
    )
}

/// Seals with an explicit Argon2id cost (tests use a small one).
pub fn seal_with_cost<R: RngCore + CryptoRng>(
    passphrase: &str,
    purpose: &str,
    label: &str,
    secret: &[u8],
    memory_kib: u32,
    passes: u32,
    rng: &mut R,
) -> Result<SealedFile> {
    if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(sealed_error(
            "the passphrase is too short (at least 10 characters)",
        ));
    }
    let mut salt = [0u8; 16];
    rng.fill_bytes(&mut salt);
    let mut nonce = [0u8; 12];
    rng.fill_bytes(&mut nonce);
    let kdf = KdfParams {
        memory_kib,
        passes,
        salt: hex_encode(&salt),
    };
    let key = derive_key(passphrase, &kdf)?;
    let cipher = ChaCha20Poly1305::new(Key::from_slice(key.as_ref()));
    let aad = associated_data(SEALED_FORMAT, purpose, label, &kdf);
    let ciphertext = cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: secret,
                aad: &aad,
            },
        )
        .map_err(|_| sealed_error("encryption failed"))?;
    Ok(SealedFile {
        format: SEALED_FORMAT.to_string(),
        purpose: purpose.to_string(),
        label: label.to_string(),
        kdf,
        nonce: hex_encode(&nonce),
        ciphertext: hex_encode(&ciphertext),
    })
}

/// Opens a sealed file made for `purpose`. The secret is zeroized when dropped.
pub fn open(file: &SealedFile, passphrase: &str, purpose: &str) -> Result<Zeroizing<Vec<u8>>> {
    if file.format != SEALED_FORMAT {
        return Err(sealed_error("not an Urna sealed file (unknown format)"));
    }
    if file.purpose != purpose {
        return Err(sealed_error(
            "this sealed file holds another kind of secret",
        ));
    }
    let nonce = hex_decode(&file.nonce, 12).ok_or(sealed_error("the nonce is not 12 hex bytes"))?;
    let ciphertext = data_encoding::HEXLOWER_PERMISSIVE
        .decode(file.ciphertext.as_bytes())
        .map_err(|_| sealed_error("the ciphertext is not hex"))?;
    let key = derive_key(passphrase, &file.kdf)?;
    let cipher = ChaCha20Poly1305::new(Key::from_slice(key.as_ref()));
    let aad = associated_data(&file.format, &file.purpose, &file.label, &file.kdf);
    let mut plain = cipher
        .decrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: &ciphertext,
                aad: &aad,
            },
        )
        .map_err(|_| sealed_error("wrong passphrase, or the file was altered"))?;
    let out = Zeroizing::new(plain.clone());
    plain.zeroize();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    const PASS: &str = "correct horse battery staple";

    fn sealed() -> SealedFile {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        seal_with_cost(
            PASS,
            "trustee-key-share",
            "e1 trustee 2",
            b"{\"s\":1}",
            64,
            1,
            &mut rng,
        )
        .unwrap()
    }

    #[test]
    fn round_trip() {
        let file = sealed();
        let plain = open(&file, PASS, "trustee-key-share").unwrap();
        assert_eq!(plain.as_slice(), b"{\"s\":1}");
        assert!(!file.ciphertext.contains(&hex_encode(b"{\"s\":1}")));
    }

    #[test]
    fn wrong_passphrase_is_refused() {
        let err = open(
            &sealed(),
            "correct horse battery stapler",
            "trustee-key-share",
        );
        assert_eq!(
            err,
            Err(ElectionError::Sealed(
                "wrong passphrase, or the file was altered"
            ))
        );
    }

    #[test]
    fn every_header_field_is_bound() {
        type Tamper = Box<dyn Fn(&mut SealedFile)>;
        let tampered: Vec<(&str, Tamper)> = vec![
            ("label", Box::new(|f| f.label.push('x'))),
            ("salt", Box::new(|f| f.kdf.salt = "00".repeat(16))),
            ("passes", Box::new(|f| f.kdf.passes = 2)),
            ("memory", Box::new(|f| f.kdf.memory_kib = 128)),
            ("nonce", Box::new(|f| f.nonce = "00".repeat(12))),
            (
                "ciphertext",
                Box::new(|f| {
                    let mut bytes = data_encoding::HEXLOWER
                        .decode(f.ciphertext.as_bytes())
                        .unwrap();
                    bytes[0] ^= 1;
                    f.ciphertext = hex_encode(&bytes);
                }),
            ),
        ];
        for (field, tamper) in tampered {
            let mut file = sealed();
            tamper(&mut file);
            assert!(
                open(&file, PASS, "trustee-key-share").is_err(),
                "a tampered {field} opened"
            );
        }
    }

    #[test]
    fn purpose_and_format_are_checked() {
        let file = sealed();
        assert!(open(&file, PASS, "ceremony-state").is_err());
        let mut other = file.clone();
        other.format = "urna-sealed/v0".into();
        assert!(open(&other, PASS, "trustee-key-share").is_err());
    }

    #[test]
    fn costly_or_malformed_parameters_are_refused_before_work() {
        let mut file = sealed();
        file.kdf.memory_kib = MAX_MEMORY_KIB + 1;
        assert!(open(&file, PASS, "trustee-key-share").is_err());
        let mut file = sealed();
        file.kdf.salt = "zz".into();
        assert!(open(&file, PASS, "trustee-key-share").is_err());
    }

    #[test]
    fn short_passphrases_are_refused() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        assert!(seal("short", "p", "l", b"x", &mut rng).is_err());
    }
}
