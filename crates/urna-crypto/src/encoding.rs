//! Canonical byte encodings (spec §2) and their wire types.
//!
//! Wire types hold bytes exactly as published; `decode*` turns them into validated group
//! elements or fails. Every point goes through RFC 9496 decoding, which rejects non-canonical
//! encodings and anything that is not a Ristretto255 element; every scalar must be canonical
//! (`< ℓ`). In human-readable formats (JSON) the bytes are lower-case hex; in binary formats
//! (bincode) they are raw bytes.

use core::fmt;

use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::IsIdentity;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{CryptoError, Result};

/// Decodes a canonical Ristretto255 point.
pub fn decode_point(bytes: &[u8; 32], field: &'static str) -> Result<RistrettoPoint> {
    CompressedRistretto(*bytes)
        .decompress()
        .ok_or(CryptoError::InvalidPoint { field })
}

/// Decodes a canonical Ristretto255 point and rejects the identity.
pub fn decode_nonidentity_point(bytes: &[u8; 32], field: &'static str) -> Result<RistrettoPoint> {
    let point = decode_point(bytes, field)?;
    if point.is_identity() {
        return Err(CryptoError::IdentityPoint { field });
    }
    Ok(point)
}

/// Decodes a canonical scalar (an integer in `[0, ℓ)`).
pub fn decode_scalar(bytes: &[u8; 32], field: &'static str) -> Result<Scalar> {
    Option::from(Scalar::from_canonical_bytes(*bytes))
        .ok_or(CryptoError::NonCanonicalScalar { field })
}

macro_rules! byte_array_newtype {
    ($(#[$meta:meta])* $name:ident, $len:expr) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub [u8; $len]);

        impl $name {
            /// The raw bytes.
            pub fn as_bytes(&self) -> &[u8; $len] {
                &self.0
            }

            /// Lower-case hex, as in the JSON encoding.
            pub fn to_hex(&self) -> String {
                hex::encode(self.0)
            }

            /// Parses lower- or upper-case hex of exactly the right length.
            pub fn from_hex(text: &str) -> Result<Self> {
                let mut out = [0u8; $len];
                hex::decode_to_slice(text, &mut out).map_err(|_| CryptoError::Malformed {
                    field: stringify!($name),
                    reason: concat!("expected ", stringify!($len), " bytes of hex"),
                })?;
                Ok(Self(out))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.to_hex())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.to_hex())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> core::result::Result<S::Ok, S::Error> {
                if serializer.is_human_readable() {
                    serializer.serialize_str(&self.to_hex())
                } else {
                    serde::Serialize::serialize(&self.0[..], serializer)
                }
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> core::result::Result<Self, D::Error> {
                use serde::de::Error as _;
                if deserializer.is_human_readable() {
                    let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                    Self::from_hex(&text).map_err(D::Error::custom)
                } else {
                    let bytes = <Vec<u8>>::deserialize(deserializer)?;
                    let array: [u8; $len] = bytes.as_slice().try_into().map_err(|_| {
                        D::Error::invalid_length(bytes.len(), &concat!(stringify!($len), " bytes"))
                    })?;
                    Ok(Self(array))
                }
            }
        }
    };
}

byte_array_newtype!(
    /// A 32-byte point encoding as published (not yet validated).
    PointBytes,
    32
);
byte_array_newtype!(
    /// A 32-byte little-endian scalar encoding as published (not yet validated).
    ScalarBytes,
    32
);
byte_array_newtype!(
    /// A 64-byte ciphertext encoding `A ‖ B` as published (not yet validated).
    CiphertextBytes,
    64
);
byte_array_newtype!(
    /// A 32-byte digest (fingerprints, hashes of ballots and board events).
    Digest32,
    32
);

impl PointBytes {
    /// The canonical encoding of a point.
    pub fn from_point(point: &RistrettoPoint) -> Self {
        Self(point.compress().to_bytes())
    }

    /// Decodes and validates the point.
    pub fn decode(&self, field: &'static str) -> Result<RistrettoPoint> {
        decode_point(&self.0, field)
    }

    /// Decodes and validates the point, rejecting the identity.
    pub fn decode_nonidentity(&self, field: &'static str) -> Result<RistrettoPoint> {
        decode_nonidentity_point(&self.0, field)
    }
}

impl ScalarBytes {
    /// The canonical encoding of a scalar.
    pub fn from_scalar(scalar: &Scalar) -> Self {
        Self(scalar.to_bytes())
    }

    /// Decodes and validates the scalar.
    pub fn decode(&self, field: &'static str) -> Result<Scalar> {
        decode_scalar(&self.0, field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_errors() {
        let bytes = PointBytes([7u8; 32]);
        assert_eq!(PointBytes::from_hex(&bytes.to_hex()), Ok(bytes));
        assert!(PointBytes::from_hex("00").is_err());
        assert!(PointBytes::from_hex(&"zz".repeat(32)).is_err());
    }

    #[test]
    fn scalar_must_be_canonical() {
        // ℓ itself is the smallest non-canonical value.
        let mut ell = [0u8; 32];
        ell.copy_from_slice(&hex_literal(
            "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010",
        ));
        assert!(matches!(
            decode_scalar(&ell, "s"),
            Err(CryptoError::NonCanonicalScalar { field: "s" })
        ));
        ell[0] -= 1;
        assert!(decode_scalar(&ell, "s").is_ok());
    }

    #[test]
    fn identity_rejected_where_forbidden() {
        let zero = [0u8; 32];
        assert!(decode_point(&zero, "p").is_ok());
        assert_eq!(
            decode_nonidentity_point(&zero, "p"),
            Err(CryptoError::IdentityPoint { field: "p" })
        );
    }

    fn hex_literal(text: &str) -> Vec<u8> {
        hex::decode(text).unwrap()
    }
}
