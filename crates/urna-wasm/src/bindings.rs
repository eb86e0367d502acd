//! The `wasm-bindgen` layer: what `web/pkg/urna_wasm.js` exports to the pages. Every
//! function is a thin wrapper of the plain Rust in the other modules; errors are thrown as
//! JavaScript `Error`s carrying the [`WebError`]'s `code` (and `check`, `seq`, `culprit`,
//! `contest` where set) for the pages' translation files.

use js_sys::{Function, Reflect};
use wasm_bindgen::prelude::*;

use crate::error::{to_json, WebError};
use crate::{booth, trustee, verifier};

fn throw(e: WebError) -> JsValue {
    let error = js_sys::Error::new(&e.message);
    let set = |key: &str, value: JsValue| {
        // Setting a property on a fresh Error cannot fail; if it did, the message remains.
        let _ = Reflect::set(&error, &JsValue::from_str(key), &value);
    };
    set("code", JsValue::from_str(e.code));
    if let Some(check) = e.check {
        set("check", JsValue::from_str(check));
    }
    if let Some(seq) = e.seq {
        set("seq", JsValue::from_f64(seq as f64));
    }
    if let Some(culprit) = &e.culprit {
        set("culprit", JsValue::from_str(culprit));
    }
    if let Some(contest) = e.contest {
        set("contest", JsValue::from_f64(contest as f64));
    }
    error.into()
}

type JsResult<T> = Result<T, JsValue>;

/// The voting booth of one election with the voter's credential.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Booth(booth::Booth);

#[wasm_bindgen]
impl Booth {
    /// `infoJson`: the server's `GET /elections/{id}/booth` answer; `fragment`: the link's
    /// `#…` part (the credential; it never leaves the browser).
    #[wasm_bindgen(constructor)]
    pub fn new(info_json: &str, fragment: &str) -> JsResult<Booth> {
        booth::Booth::new(info_json, fragment)
            .map(Booth)
            .map_err(throw)
    }

    #[wasm_bindgen(getter)]
    pub fn fingerprint(&self) -> String {
        self.0.fingerprint()
    }

    /// The public credential (on the board's list; shown to nobody, used to look up).
    #[wasm_bindgen(getter, js_name = publicCredential)]
    pub fn public_credential(&self) -> String {
        self.0.public_credential()
    }

    /// Verifies the board's entries up to the seal (an array of `board.jsonl` lines from
    /// seq 0) against this booth's election and credential; returns the credential's weight.
    /// Throws `booth_mismatch`, `not_on_roll`, `not_sealed` or `check_failed`.
    #[wasm_bindgen(js_name = verifySetup)]
    pub fn verify_setup(&self, lines: Vec<String>) -> JsResult<f64> {
        self.0
            .verify_setup(lines.iter().map(String::as_str))
            .map(|w| w as f64)
            .map_err(throw)
    }

    /// `[ContestRules]` as JSON: kind, options, option_max, total_min, total_max, blank.
    pub fn rules(&self) -> JsResult<String> {
        self.0.rules_json().map_err(throw)
    }

    /// Throws `invalid_vote` if one contest's values (JSON array, blank last) break its rules.
    #[wasm_bindgen(js_name = checkContest)]
    pub fn check_contest(&self, contest: usize, values_json: &str) -> JsResult<()> {
        self.0.check_contest(contest, values_json).map_err(throw)
    }

    /// Encrypts, proves and signs (`votesJson`: per contest, per selection, blank last).
    pub fn encrypt(&self, votes_json: &str) -> JsResult<EncryptedBallot> {
        self.0
            .encrypt(votes_json)
            .map(|b| EncryptedBallot(Some(b)))
            .map_err(throw)
    }
}

/// A ballot just encrypted: cast it or audit it, once.
#[wasm_bindgen]
#[derive(Debug)]
pub struct EncryptedBallot(Option<booth::BoothBallot>);

#[wasm_bindgen]
impl EncryptedBallot {
    #[wasm_bindgen(getter, js_name = trackingCode)]
    pub fn tracking_code(&self) -> String {
        self.0
            .as_ref()
            .map(|b| b.tracking_code().to_string())
            .unwrap_or_default()
    }

    fn take(&mut self) -> JsResult<booth::BoothBallot> {
        self.0.take().ok_or_else(|| {
            throw(WebError::new(
                "ballot_used",
                "this ballot was already cast or audited",
            ))
        })
    }

    /// The JSON body to POST; forgets the randomness. Usable once.
    #[wasm_bindgen(js_name = castBody)]
    pub fn cast_body(&mut self) -> JsResult<String> {
        self.take()?.cast().map_err(throw)
    }

    /// The audited ballot (JSON with the randomness); this ballot can never be cast.
    pub fn audit(&mut self) -> JsResult<String> {
        self.take()?.audit().map_err(throw)
    }
}

/// Checks an audited ballot; returns `{tracking_code, fingerprint, votes}` as JSON.
#[wasm_bindgen(js_name = verifyAudit)]
pub fn verify_audit(info_json: &str, audit_json: &str) -> JsResult<String> {
    booth::verify_audit(info_json, audit_json)
        .and_then(|o| to_json(&o))
        .map_err(throw)
}

/// Whether a link fragment holds a well-formed credential.
#[wasm_bindgen(js_name = credentialIsWellFormed)]
pub fn credential_is_well_formed(fragment: &str) -> bool {
    booth::credential_is_well_formed(fragment)
}

/// The record verifier, fed the board's lines in order.
#[wasm_bindgen]
#[derive(Debug)]
pub struct Verifier(Option<verifier::BoardVerifier>);

impl Verifier {
    fn inner(&mut self) -> JsResult<&mut verifier::BoardVerifier> {
        self.0
            .as_mut()
            .ok_or_else(|| throw(WebError::new("verifier_used", "this verifier has finished")))
    }

    fn take(&mut self) -> JsResult<verifier::BoardVerifier> {
        self.0
            .take()
            .ok_or_else(|| throw(WebError::new("verifier_used", "this verifier has finished")))
    }
}

#[wasm_bindgen]
impl Verifier {
    #[wasm_bindgen(constructor)]
    pub fn new() -> Verifier {
        Verifier(Some(verifier::BoardVerifier::new()))
    }

    /// Entries checked so far.
    #[wasm_bindgen(getter)]
    pub fn events(&self) -> f64 {
        self.0.as_ref().map_or(0, |v| v.events()) as f64
    }

    /// Checks the next lines (an array of `board.jsonl` lines); calls `progress(events)` every
    /// `every` lines (0: never). Throws `check_failed` with `check`, `seq` and `culprit`.
    #[wasm_bindgen(js_name = pushLines)]
    pub fn push_lines(
        &mut self,
        lines: Vec<String>,
        progress: Option<Function>,
        every: usize,
    ) -> JsResult<f64> {
        let inner = self.inner()?;
        let step = if every == 0 {
            lines.len().max(1)
        } else {
            every
        };
        for chunk in lines.chunks(step) {
            let events = inner
                .push_lines(chunk.iter().map(String::as_str))
                .map_err(throw)?;
            if let Some(f) = &progress {
                f.call1(&JsValue::NULL, &JsValue::from_f64(events as f64))?;
            }
        }
        Ok(inner.events() as f64)
    }

    /// Ends the board; returns `{report, found, missing}` as JSON (`receipts`: tracking codes
    /// to look for).
    pub fn finish(&mut self, require_complete: bool, receipts: Vec<String>) -> JsResult<String> {
        self.take()?
            .finish(require_complete, &receipts)
            .and_then(|v| to_json(&v))
            .map_err(throw)
    }

    /// Ends the board and makes this trustee's partial decryption of its verified tally.
    #[wasm_bindgen(js_name = trusteeDecrypt)]
    pub fn trustee_decrypt(
        &mut self,
        view_json: &str,
        sealed_key: &str,
        passphrase: &str,
    ) -> JsResult<String> {
        let board = self.take()?.finish_verified().map_err(throw)?;
        trustee::decrypt(&board, view_json, sealed_key, passphrase)
            .and_then(|d| to_json(&d))
            .map_err(throw)
    }
}

impl Default for Verifier {
    fn default() -> Self {
        Self::new()
    }
}

/// Checks the board's setup line against the trustee view; returns the election's title.
#[wasm_bindgen(js_name = trusteeCheckSetup)]
pub fn trustee_check_setup(view_json: &str, setup_line: &str) -> JsResult<String> {
    trustee::check_setup(view_json, setup_line).map_err(throw)
}

/// Round 1: `{package, sealed_state}` as JSON.
#[wasm_bindgen(js_name = trusteeStart)]
pub fn trustee_start(view_json: &str, passphrase: &str) -> JsResult<String> {
    trustee::start(view_json, passphrase)
        .and_then(|s| to_json(&s))
        .map_err(throw)
}

/// Round 1's package again, from the sealed state.
#[wasm_bindgen(js_name = trusteeRound1)]
pub fn trustee_round1(view_json: &str, sealed_state: &str, passphrase: &str) -> JsResult<String> {
    trustee::round1(view_json, sealed_state, passphrase)
        .and_then(|p| to_json(&p))
        .map_err(throw)
}

/// Round 2's package.
#[wasm_bindgen(js_name = trusteeDeal)]
pub fn trustee_deal(view_json: &str, sealed_state: &str, passphrase: &str) -> JsResult<String> {
    trustee::deal(view_json, sealed_state, passphrase)
        .and_then(|p| to_json(&p))
        .map_err(throw)
}

/// Round 3: `{package, complaints}` as JSON.
#[wasm_bindgen(js_name = trusteeCheck)]
pub fn trustee_check(view_json: &str, sealed_state: &str, passphrase: &str) -> JsResult<String> {
    trustee::check(view_json, sealed_state, passphrase)
        .and_then(|p| to_json(&p))
        .map_err(throw)
}

/// After the seal: `{sealed_key, index, election_key, verification_key, fingerprint, blame}`.
#[wasm_bindgen(js_name = trusteeFinish)]
pub fn trustee_finish(
    view_json: &str,
    booth_json: &str,
    sealed_state: &str,
    passphrase: &str,
) -> JsResult<String> {
    trustee::finish(view_json, booth_json, sealed_state, passphrase)
        .and_then(|f| to_json(&f))
        .map_err(throw)
}

/// Opens a key backup: `{index, trustees, threshold, election_key, verification_key}`.
#[wasm_bindgen(js_name = trusteeKeyInfo)]
pub fn trustee_key_info(sealed_key: &str, passphrase: &str) -> JsResult<String> {
    trustee::key_info(sealed_key, passphrase)
        .and_then(|k| to_json(&k))
        .map_err(throw)
}

/// The crate's version, for the pages' footer and bug reports.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
