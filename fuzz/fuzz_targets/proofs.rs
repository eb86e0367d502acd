//! Proofs as published (JSON wire types) verified against a fixed statement: the first case of
//! each of spec/vectors/{range_proof,sum_proof,credential_signature,dleq_proof}.json. The first
//! input byte picks the proof type, the rest is its JSON.
//!
//! Invariants: a parsed proof round-trips through JSON and bincode; the plain verifier and
//! the batch verifier agree; and only the vector's own proof verifies — any other accepted
//! proof for the same statement would be a forgery (spec/crypto.md §6–§7).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use serde::de::DeserializeOwned;
use serde_json::Value;
use urna_crypto::transcript::context_transcript;
use urna_crypto::{
    BatchVerifier, Ciphertext, CiphertextBytes, CredentialSignature, DleqProof, PointBytes,
    PublicKey, RangeProof, SumProof, Transcript,
};
use urna_fuzz::assert_json_round_trip;

struct Case<P> {
    purpose: &'static [u8],
    context: Vec<u8>,
    proof: P,
}

impl<P> Case<P> {
    fn transcript(&self) -> Transcript {
        context_transcript(self.purpose, &self.context)
    }
}

struct Statements {
    range: (Case<RangeProof>, PublicKey, CiphertextBytes, u64, u64),
    sum: (Case<SumProof>, PublicKey, Vec<Ciphertext>, u64, u64),
    signature: (Case<CredentialSignature>, PublicKey, Vec<u8>),
    dleq: (Case<DleqProof>, PublicKey, PointBytes, PointBytes),
}

fn field<T: DeserializeOwned>(v: &Value, name: &str) -> T {
    serde_json::from_value(v[name].clone()).unwrap_or_else(|e| panic!("vector field {name}: {e}"))
}

fn case<P: DeserializeOwned>(file: &Value, proof_field: &str) -> (Case<P>, Value) {
    let c = file["cases"][0].clone();
    let purpose: String = field(&c["transcript"], "purpose");
    let context: String = field(&c["transcript"], "context");
    (
        Case {
            purpose: Box::leak(purpose.into_bytes().into_boxed_slice()),
            context: hex::decode(context).expect("hex context"),
            proof: field(&c, proof_field),
        },
        c,
    )
}

fn statements() -> &'static Statements {
    static S: OnceLock<Statements> = OnceLock::new();
    S.get_or_init(build_plain)
}

/// The fixture is right: each vector's own proof verifies, both ways.
fn self_check() {
    static C: OnceLock<()> = OnceLock::new();
    C.get_or_init(|| {
        let s = statements();
        for batch in [false, true] {
            assert!(range_ok(
                &s.range.0.proof,
                &mut s.range.0.transcript(),
                batch
            ));
            assert!(sum_ok(&s.sum.0.proof, &mut s.sum.0.transcript(), batch));
            assert!(sig_ok(
                &s.signature.0.proof,
                &mut s.signature.0.transcript(),
                batch
            ));
            assert!(dleq_ok(&s.dleq.0.proof, &mut s.dleq.0.transcript(), batch));
        }
    });
}

fn rng() -> rand_chacha::ChaCha20Rng {
    urna_fuzz::rng()
}

fn range_ok(p: &RangeProof, t: &mut Transcript, batch: bool) -> bool {
    let (_, key, ct, min, max) = &statements().range;
    if batch {
        let mut b = BatchVerifier::new(&mut rng());
        p.verify_with(t, key, ct, *min..=*max, &mut b).is_ok() && b.vartime_verify().is_ok()
    } else {
        p.verify(t, key, ct, *min..=*max).is_ok()
    }
}

fn sum_ok(p: &SumProof, t: &mut Transcript, batch: bool) -> bool {
    let (_, key, cts, min, max) = &statements().sum;
    if batch {
        let mut b = BatchVerifier::new(&mut rng());
        p.verify_with(t, key, cts, *min..=*max, &mut b).is_ok() && b.vartime_verify().is_ok()
    } else {
        p.verify(t, key, cts, *min..=*max).is_ok()
    }
}

fn sig_ok(p: &CredentialSignature, t: &mut Transcript, batch: bool) -> bool {
    let (_, key, message) = &statements().signature;
    if batch {
        let mut b = BatchVerifier::new(&mut rng());
        p.verify_with(t, key, message, &mut b).is_ok() && b.vartime_verify().is_ok()
    } else {
        p.verify(t, key, message).is_ok()
    }
}

fn dleq_ok(p: &DleqProof, t: &mut Transcript, batch: bool) -> bool {
    let (_, x, h, y) = &statements().dleq;
    let Ok(h) = h.decode("h") else { return false };
    if batch {
        let mut b = BatchVerifier::new(&mut rng());
        p.verify_with(t, x, &h, y, &mut b).is_ok() && b.vartime_verify().is_ok()
    } else {
        p.verify(t, x, &h, y).is_ok()
    }
}

fn build_plain() -> Statements {
    let load = |text: &str| -> Value { serde_json::from_str(text).expect("vector file") };
    let range = load(include_str!("../../spec/vectors/range_proof.json"));
    let sum = load(include_str!("../../spec/vectors/sum_proof.json"));
    let sig = load(include_str!("../../spec/vectors/credential_signature.json"));
    let dleq = load(include_str!("../../spec/vectors/dleq_proof.json"));
    let key = |file: &Value| PublicKey::from_bytes(&field(file, "key")).expect("key");
    let (rc, r) = case::<RangeProof>(&range, "proof");
    let (sc, s) = case::<SumProof>(&sum, "proof");
    let cts: Vec<CiphertextBytes> = field(&s, "ciphertexts");
    let cts = cts
        .iter()
        .map(|c| Ciphertext::from_bytes(c).expect("ct"))
        .collect();
    let (gc, g) = case::<CredentialSignature>(&sig, "signature");
    let message: String = field(&g, "message");
    let (dc, d) = case::<DleqProof>(&dleq, "proof");
    Statements {
        range: (
            rc,
            key(&range),
            field(&r, "ciphertext"),
            field(&r, "min"),
            field(&r, "max"),
        ),
        sum: (sc, key(&sum), cts, field(&s, "min"), field(&s, "max")),
        signature: (
            gc,
            PublicKey::from_bytes(&field(&g, "public")).expect("public"),
            hex::decode(message).expect("hex"),
        ),
        dleq: (
            dc,
            PublicKey::from_bytes(&field(&d, "x")).expect("x"),
            field(&d, "h"),
            field(&d, "y"),
        ),
    }
}

fn check<P>(json: &[u8], case: &Case<P>, ok: impl Fn(&P, &mut Transcript, bool) -> bool)
where
    P: serde::Serialize + DeserializeOwned + PartialEq + core::fmt::Debug,
{
    let Ok(proof) = serde_json::from_slice::<P>(json) else {
        return;
    };
    assert_json_round_trip(&proof);
    let bin = bincode::serialize(&proof).expect("bincode");
    assert_eq!(bincode::deserialize::<P>(&bin).ok().as_ref(), Some(&proof));
    let each = ok(&proof, &mut case.transcript(), false);
    let batch = ok(&proof, &mut case.transcript(), true);
    assert_eq!(each, batch, "plain and batch verification disagree");
    if each {
        assert_eq!(
            proof, case.proof,
            "a proof other than the vector's verified"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&kind, json)) = data.split_first() else {
        return;
    };
    self_check();
    let s = statements();
    match kind % 4 {
        0 => check(json, &s.range.0, range_ok),
        1 => check(json, &s.sum.0, sum_ok),
        2 => check(json, &s.signature.0, sig_ok),
        _ => check(json, &s.dleq.0, dleq_ok),
    }
});
