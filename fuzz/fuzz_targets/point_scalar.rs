//! Points, scalars and ciphertexts from raw bytes (spec/crypto.md §2): canonical decoding and
//! group membership, in raw (bincode) and hex (JSON) form.
//!
//! Invariants: whatever decodes re-encodes to exactly the input bytes (the encodings are
//! canonical, so there is one encoding per element); a scalar decodes iff it is reduced mod ℓ;
//! the identity is refused exactly where it must be; hex parses iff it re-prints the same
//! (up to case); bincode and JSON forms decode to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use urna_crypto::curve25519_dalek::scalar::Scalar;
use urna_crypto::curve25519_dalek::traits::IsIdentity;
use urna_crypto::encoding::{decode_nonidentity_point, decode_point, decode_scalar};
use urna_crypto::{
    Ciphertext, CiphertextBytes, Digest32, PointBytes, PublicKey, ScalarBytes, SecretKey,
};

fn check_32(bytes: &[u8; 32]) {
    let point = decode_point(bytes, "p");
    if let Ok(p) = &point {
        assert_eq!(
            &p.compress().to_bytes(),
            bytes,
            "a point decoded from a non-canonical encoding"
        );
    }
    let nonidentity = decode_nonidentity_point(bytes, "p");
    assert_eq!(
        nonidentity.is_ok(),
        point.as_ref().is_ok_and(|p| !p.is_identity()),
        "identity rejection disagrees with decoding"
    );
    let key = PublicKey::from_bytes(&PointBytes(*bytes));
    assert_eq!(key.is_ok(), nonidentity.is_ok());
    if let Ok(key) = key {
        assert_eq!(key.to_bytes().0, *bytes);
        assert_eq!(PublicKey::from_point(*key.point()), key);
    }

    let scalar = decode_scalar(bytes, "s");
    let reduced = Scalar::from_bytes_mod_order(*bytes).to_bytes() == *bytes;
    assert_eq!(scalar.is_ok(), reduced, "scalar accepted iff canonical");
    if let Ok(s) = scalar {
        assert_eq!(&s.to_bytes(), bytes);
        assert_eq!(ScalarBytes::from_scalar(&s).0, *bytes);
    }
    let secret = SecretKey::import_secret_bytes(bytes);
    assert_eq!(secret.is_ok(), reduced);
    if let Ok(secret) = secret {
        assert_eq!(secret.export_secret_bytes(), *bytes);
    }
}

fn check_64(bytes: &[u8; 64]) {
    let wire = CiphertextBytes(*bytes);
    let decoded = Ciphertext::from_bytes(&wire);
    let (a, b) = bytes.split_at(32);
    let halves_ok = decode_point(a.try_into().expect("32"), "a").is_ok()
        && decode_point(b.try_into().expect("32"), "b").is_ok();
    assert_eq!(decoded.is_ok(), halves_ok, "a ciphertext is two points");
    if let Ok(ct) = decoded {
        assert_eq!(ct.to_bytes(), wire, "ciphertext round trip");
    }
}

fn check_hex(text: &str) {
    macro_rules! hex_case {
        ($ty:ty) => {
            if let Ok(v) = <$ty>::from_hex(text) {
                assert_eq!(v.to_hex(), text.to_ascii_lowercase(), "hex round trip");
                let json = serde_json::to_string(&v).expect("encodes");
                assert_eq!(serde_json::from_str::<$ty>(&json).ok(), Some(v));
                let bin = bincode::serialize(&v).expect("encodes");
                assert_eq!(bincode::deserialize::<$ty>(&bin).ok(), Some(v));
            }
            // JSON strings go through the same parser: same verdict.
            let quoted = serde_json::to_string(text).expect("a str encodes");
            assert_eq!(
                serde_json::from_str::<$ty>(&quoted).ok(),
                <$ty>::from_hex(text).ok()
            );
        };
    }
    hex_case!(PointBytes);
    hex_case!(ScalarBytes);
    hex_case!(CiphertextBytes);
    hex_case!(Digest32);
}

fuzz_target!(|data: &[u8]| {
    if let Some(first) = data.first_chunk::<32>() {
        check_32(first);
    }
    if let Some(first) = data.first_chunk::<64>() {
        check_64(first);
    }
    // The binary (bincode) form: a length-prefixed byte string of exactly the right length.
    let point = bincode::deserialize::<PointBytes>(data);
    if let Ok(p) = point {
        assert_eq!(&bincode::serialize(&p).expect("encodes")[8..], &p.0[..]);
        check_32(&p.0);
    }
    if let Ok(c) = bincode::deserialize::<CiphertextBytes>(data) {
        check_64(&c.0);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        check_hex(text);
    }
});
