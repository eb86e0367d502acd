//! A trustee's part in the browser (spec/record.md §4 and §7): the three rounds of the key
//! ceremony and the partial decryption. Between rounds the ceremony state lives sealed under
//! the trustee's passphrase (spec/record.md §11); the key share it ends with is sealed the
//! same way and downloaded as the trustee's backup. Nothing secret is ever returned in clear.

use rand_core::OsRng;
use serde::Serialize;
use urna_api::{BoothInfo, ElectionState, TrusteeView};
use urna_crypto::dkg::{
    self, CeremonyTranscript, DkgParameters, DkgStateFile, KeyShare, KeyShareFile, Round1Package,
    Round1Secret, Round2Package, Round3Package,
};
use urna_crypto::Digest32;
use urna_election::board::{BoardEntry, Event, TrusteeDecryption};
use urna_election::sealed::{self, SealedFile};
use urna_election::tally::{decode_tally, decrypt_share};

use crate::error::{parse, WebError, WebResult};
use crate::verifier::VerifiedBoard;

use urna_election::sealed::{
    TRUSTEE_CEREMONY_STATE as STATE_PURPOSE, TRUSTEE_KEY_SHARE as KEY_PURPOSE,
};

/// The start of the ceremony: the round-1 package to post, and the sealed state to keep.
#[derive(Clone, Debug, Serialize)]
pub struct Started {
    pub package: Round1Package,
    pub sealed_state: SealedFile,
}

/// The end of the ceremony.
#[derive(Clone, Debug, Serialize)]
pub struct Finished {
    /// The key share, sealed under the passphrase: the trustee's backup.
    pub sealed_key: SealedFile,
    pub index: u32,
    pub election_key: String,
    pub verification_key: String,
    pub fingerprint: String,
    /// Ceremony blame that did not stop the election, one sentence each.
    pub blame: Vec<String>,
}

/// Round 3's package and whom this trustee complained about.
#[derive(Clone, Debug, Serialize)]
pub struct Checked {
    pub package: Round3Package,
    pub complaints: Vec<u32>,
}

/// A key share's public facts, shown when a backup is opened.
#[derive(Clone, Debug, Serialize)]
pub struct KeyInfo {
    pub index: u32,
    pub trustees: u32,
    pub threshold: u32,
    pub election_key: String,
    pub verification_key: String,
}

fn view_of(view_json: &str) -> WebResult<TrusteeView> {
    parse("trustee view", view_json)
}

fn session(view: &TrusteeView) -> WebResult<(Digest32, DkgParameters)> {
    match view.state {
        ElectionState::Failed => {
            return Err(WebError::new("ceremony_failed", "the key ceremony failed"))
        }
        ElectionState::Rejected => {
            return Err(WebError::new(
                "rejected",
                "the orderer rejected the election",
            ))
        }
        _ => {}
    }
    let setup_hash = view
        .setup_hash
        .ok_or_else(|| WebError::new("not_started", "the key ceremony has not started"))?;
    let params = DkgParameters::new(view.trustees, view.threshold)
        .map_err(|e| WebError::from_error("bad_input", e))?;
    Ok((setup_hash, params))
}

fn label(view: &TrusteeView) -> String {
    format!("election {}, trustee {}", view.id, view.index)
}

/// Checks the board's first line (the setup) against the ceremony session the server names.
/// Returns the election's manifest title in English and Swedish (`en — sv`) for display.
pub fn check_setup(view_json: &str, setup_line: &str) -> WebResult<String> {
    let view = view_of(view_json)?;
    let (setup_hash, _) = session(&view)?;
    let bad = |reason: &str| WebError::new("bad_setup", reason.to_string());
    let entry = BoardEntry::parse_line(setup_line.trim_end())
        .map_err(|e| WebError::from_error("bad_setup", e))?;
    if entry.seq != 0 || entry.computed_hash() != entry.hash || entry.hash != setup_hash {
        return Err(bad(
            "the board's setup entry does not hash to the ceremony's session",
        ));
    }
    let Ok(Event::Setup(setup)) = entry.event() else {
        return Err(bad("the board does not start with the setup"));
    };
    let t = &setup.manifest.trustees;
    if t.count != view.trustees || t.threshold != view.threshold {
        return Err(bad(
            "the manifest's trustees differ from what the server says",
        ));
    }
    Ok(format!(
        "{} — {}",
        setup.manifest.title.en, setup.manifest.title.sv
    ))
}

/// Round 1: draws this trustee's polynomial; returns the package and the sealed state.
pub fn start(view_json: &str, passphrase: &str) -> WebResult<Started> {
    let view = view_of(view_json)?;
    let (setup_hash, params) = session(&view)?;
    if view.round1.iter().any(|p| p.from == view.index) {
        return Err(WebError::new(
            "already_started",
            "your round-1 package is already on the board; open your saved state instead",
        ));
    }
    let (secret, package) = dkg::start(params, view.index, setup_hash.as_bytes(), &mut OsRng)
        .map_err(|e| WebError::from_error("ceremony_failed", e))?;
    let state = secret.export_state_file();
    let json = serde_json::to_vec(&state).map_err(|e| WebError::from_error("internal", e))?;
    let json = zeroize::Zeroizing::new(json);
    let sealed_state = sealed::seal(passphrase, STATE_PURPOSE, &label(&view), &json, &mut OsRng)
        .map_err(|e| WebError::from_error("weak_passphrase", e))?;
    Ok(Started {
        package,
        sealed_state,
    })
}

fn open_state(view: &TrusteeView, sealed_json: &str, passphrase: &str) -> WebResult<Round1Secret> {
    let (setup_hash, params) = session(view)?;
    let file: SealedFile = parse("sealed state", sealed_json)?;
    let plain = sealed::open(&file, passphrase, STATE_PURPOSE)
        .map_err(|e| WebError::from_error("cannot_open", e))?;
    let state: DkgStateFile =
        serde_json::from_slice(&plain).map_err(|e| WebError::from_error("cannot_open", e))?;
    if state.params != params || state.index != view.index || state.context != setup_hash.to_hex() {
        return Err(WebError::new(
            "wrong_state_file",
            "this saved state belongs to another ceremony or trustee",
        ));
    }
    Round1Secret::import_state_file(&state).map_err(|e| WebError::from_error("cannot_open", e))
}

/// Round 1 again (after a reload, if the package never reached the board).
pub fn round1(view_json: &str, sealed_state: &str, passphrase: &str) -> WebResult<Round1Package> {
    let view = view_of(view_json)?;
    Ok(open_state(&view, sealed_state, passphrase)?.round1_package(&mut OsRng))
}

fn all_round(view: &TrusteeView, round: usize) -> WebResult<()> {
    let have = match round {
        1 => view.round1.len(),
        _ => view.round2.len(),
    };
    if have < view.trustees as usize {
        return Err(WebError::new(
            "waiting",
            format!(
                "{have} of {} trustees have posted round {round}",
                view.trustees
            ),
        ));
    }
    Ok(())
}

/// Round 2: deals encrypted shares to the others (needs every round-1 package).
pub fn deal(view_json: &str, sealed_state: &str, passphrase: &str) -> WebResult<Round2Package> {
    let view = view_of(view_json)?;
    all_round(&view, 1)?;
    let (_, package) = open_state(&view, sealed_state, passphrase)?
        .deal(&view.round1, &mut OsRng)
        .map_err(|e| WebError::from_error("ceremony_failed", e))?;
    Ok(package)
}

/// Round 3: checks the shares dealt to this trustee; complains about bad ones.
pub fn check(view_json: &str, sealed_state: &str, passphrase: &str) -> WebResult<Checked> {
    let view = view_of(view_json)?;
    all_round(&view, 2)?;
    let (_, package) = open_state(&view, sealed_state, passphrase)?
        .accept_round1(&view.round1)
        .and_then(|s| s.check(&view.round2, &mut OsRng))
        .map_err(|e| WebError::from_error("ceremony_failed", e))?;
    let complaints = package.complaints.iter().map(|c| c.against).collect();
    Ok(Checked {
        package,
        complaints,
    })
}

/// After the seal: derives the key share, checks the server's election key against it, and
/// seals the share under the passphrase.
pub fn finish(
    view_json: &str,
    booth_json: &str,
    sealed_state: &str,
    passphrase: &str,
) -> WebResult<Finished> {
    let view = view_of(view_json)?;
    let booth: BoothInfo = parse("booth information", booth_json)?;
    if view.round3.len() < view.trustees as usize {
        return Err(WebError::new("waiting", "round 3 is not complete"));
    }
    let transcript = CeremonyTranscript {
        round1: view.round1.clone(),
        round2: view.round2.clone(),
        round3: view.round3.clone(),
    };
    let (round3, _) = open_state(&view, sealed_state, passphrase)?
        .accept_round1(&transcript.round1)
        .and_then(|s| s.check(&transcript.round2, &mut OsRng))
        .map_err(|e| WebError::from_error("ceremony_failed", e))?;
    let (share, outcome) = round3
        .finish(&transcript)
        .map_err(|e| WebError::from_error("ceremony_failed", e))?;
    let election_key = outcome.election_key.to_bytes();
    if booth.election_key != election_key {
        return Err(WebError::new(
            "key_mismatch",
            format!(
                "the server's election key {} is not the one the ceremony produced {}",
                booth.election_key, election_key
            ),
        ));
    }
    if view.fingerprint.is_some_and(|f| f != booth.fingerprint) {
        return Err(WebError::new(
            "key_mismatch",
            "the server shows two different fingerprints",
        ));
    }
    let file = share.export_key_file();
    let json = zeroize::Zeroizing::new(
        serde_json::to_vec(&file).map_err(|e| WebError::from_error("internal", e))?,
    );
    let sealed_key = sealed::seal(passphrase, KEY_PURPOSE, &label(&view), &json, &mut OsRng)
        .map_err(|e| WebError::from_error("weak_passphrase", e))?;
    Ok(Finished {
        sealed_key,
        index: share.index(),
        election_key: election_key.to_hex(),
        verification_key: share.verification_key().to_bytes().to_hex(),
        fingerprint: booth.fingerprint.to_hex(),
        blame: outcome
            .blame
            .iter()
            .map(|b| {
                format!(
                    "trustee {}: {}{}",
                    b.culprit,
                    b.reason,
                    if b.disqualified {
                        " (disqualified)"
                    } else {
                        ""
                    }
                )
            })
            .collect(),
    })
}

fn open_key(sealed_json: &str, passphrase: &str) -> WebResult<KeyShare> {
    let file: SealedFile = parse("key backup", sealed_json)?;
    let plain = sealed::open(&file, passphrase, KEY_PURPOSE)
        .map_err(|e| WebError::from_error("cannot_open", e))?;
    let key: KeyShareFile =
        serde_json::from_slice(&plain).map_err(|e| WebError::from_error("cannot_open", e))?;
    KeyShare::import_key_file(&key).map_err(|e| WebError::from_error("cannot_open", e))
}

/// Opens a key backup and tells whose share it is (nothing secret).
pub fn key_info(sealed_json: &str, passphrase: &str) -> WebResult<KeyInfo> {
    let share = open_key(sealed_json, passphrase)?;
    Ok(KeyInfo {
        index: share.index(),
        trustees: share.params().trustees,
        threshold: share.params().threshold,
        election_key: share.election_key().to_bytes().to_hex(),
        verification_key: share.verification_key().to_bytes().to_hex(),
    })
}

/// The partial decryption of a tally the board proves is the sum of valid ballots; anything
/// else could be one voter's ballot in disguise, so the board must have been verified first.
pub fn decrypt(
    board: &VerifiedBoard,
    view_json: &str,
    sealed_key: &str,
    passphrase: &str,
) -> WebResult<TrusteeDecryption> {
    let view = view_of(view_json)?;
    let share = open_key(sealed_key, passphrase)?;
    if share.index() != view.index {
        return Err(WebError::new(
            "wrong_key",
            format!(
                "this is trustee {}'s key share, but you are trustee {}",
                share.index(),
                view.index
            ),
        ));
    }
    if board.context.election_key != *share.election_key() {
        return Err(WebError::new(
            "wrong_key",
            "this key share belongs to another election",
        ));
    }
    let tally = board
        .tally
        .as_ref()
        .ok_or_else(|| WebError::new("waiting", "the board has no encrypted tally yet"))?;
    if view.tally.as_ref().is_some_and(|served| served != tally) {
        return Err(WebError::new(
            "tally_mismatch",
            "the tally the server shows differs from the one on its board",
        ));
    }
    let totals = decode_tally(tally).map_err(|e| WebError::from_error("bad_input", e))?;
    Ok(decrypt_share(
        &board.context.fingerprint,
        &share,
        &totals,
        &mut OsRng,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use urna_crypto::{Ciphertext, DlogTable};
    use urna_election::ballot::ElectionContext;
    use urna_election::board::{Board, Setup};
    use urna_election::manifest::ElectionManifest;
    use urna_election::tally::{combine_decryptions, encode_tally, verify_trustee_decryption};

    const PASS: &str = "a long trustee passphrase";

    struct Ceremony {
        views: Vec<TrusteeView>,
        setup_line: String,
        manifest: ElectionManifest,
    }

    fn ceremony() -> Ceremony {
        let mut manifest: ElectionManifest =
            serde_json::from_str(crate::testing::TEACHERS).unwrap();
        manifest.trustees.count = 3;
        manifest.trustees.threshold = 2;
        manifest.trustees.names.clear();
        let mut board = Board::new();
        let setup = board
            .append(&Event::Setup(Box::new(Setup {
                manifest: manifest.clone(),
            })))
            .unwrap();
        let views = (1..=3)
            .map(|index| TrusteeView {
                id: "e1".into(),
                state: ElectionState::KeyCeremony,
                index,
                trustees: 3,
                threshold: 2,
                setup_hash: Some(setup.hash),
                round1: vec![],
                round2: vec![],
                round3: vec![],
                fingerprint: None,
                tally: None,
                decrypted_by: vec![],
            })
            .collect();
        Ceremony {
            views,
            setup_line: setup.to_line().unwrap(),
            manifest,
        }
    }

    fn json<T: Serialize>(value: &T) -> String {
        serde_json::to_string(value).unwrap()
    }

    fn broadcast(views: &mut [TrusteeView], f: impl Fn(&mut TrusteeView)) {
        for v in views {
            f(v);
        }
    }

    #[test]
    fn three_trustees_run_the_ceremony_and_two_decrypt() {
        let mut c = ceremony();
        assert!(check_setup(&json(&c.views[0]), &c.setup_line)
            .unwrap()
            .contains("Teachers"));
        let started: Vec<Started> = c
            .views
            .iter()
            .map(|v| start(&json(v), PASS).unwrap())
            .collect();
        for s in &started {
            let text = json(&s.sealed_state);
            assert!(!text.contains("coefficients"), "the state is sealed");
        }
        let packages: Vec<_> = started.iter().map(|s| s.package.clone()).collect();
        broadcast(&mut c.views, |v| v.round1 = packages.clone());
        // A second start is refused once the package is on the board.
        assert_eq!(
            start(&json(&c.views[0]), PASS).unwrap_err().code,
            "already_started"
        );

        let states: Vec<String> = started.iter().map(|s| json(&s.sealed_state)).collect();
        // Round 2 needs the passphrase and the right state.
        assert_eq!(
            deal(&json(&c.views[0]), &states[0], "not the passphrase")
                .unwrap_err()
                .code,
            "cannot_open"
        );
        assert_eq!(
            deal(&json(&c.views[0]), &states[1], PASS).unwrap_err().code,
            "wrong_state_file"
        );
        let round2: Vec<_> = (0..3)
            .map(|i| deal(&json(&c.views[i]), &states[i], PASS).unwrap())
            .collect();
        broadcast(&mut c.views, |v| v.round2 = round2.clone());
        let round3: Vec<_> = (0..3)
            .map(|i| check(&json(&c.views[i]), &states[i], PASS).unwrap())
            .collect();
        assert!(round3.iter().all(|r| r.complaints.is_empty()));
        let packages3: Vec<_> = round3.iter().map(|r| r.package.clone()).collect();
        broadcast(&mut c.views, |v| v.round3 = packages3.clone());

        let outcome = dkg::vartime_verify_ceremony(
            &DkgParameters::new(3, 2).unwrap(),
            c.views[0].setup_hash.unwrap().as_bytes(),
            &CeremonyTranscript {
                round1: c.views[0].round1.clone(),
                round2: c.views[0].round2.clone(),
                round3: c.views[0].round3.clone(),
            },
        )
        .unwrap();
        let fingerprint = Digest32([7; 32]);
        let booth = BoothInfo {
            id: "e1".into(),
            state: ElectionState::AwaitingApproval,
            manifest: c.manifest.clone(),
            setup_hash: c.views[0].setup_hash.unwrap(),
            election_key: outcome.election_key.to_bytes(),
            fingerprint,
        };
        let finished: Vec<Finished> = (0..3)
            .map(|i| finish(&json(&c.views[i]), &json(&booth), &states[i], PASS).unwrap())
            .collect();
        let sealed_keys: Vec<String> = finished.iter().map(|f| json(&f.sealed_key)).collect();
        assert!(!sealed_keys[0].contains("\"secret\""));
        let info = key_info(&sealed_keys[1], PASS).unwrap();
        assert_eq!((info.index, info.threshold), (2, 2));
        assert_eq!(info.election_key, outcome.election_key.to_bytes().to_hex());

        // A server that shows another key is caught.
        let mut lying = booth.clone();
        lying.election_key = urna_crypto::PublicKey::from_point(
            urna_crypto::curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT,
        )
        .to_bytes();
        assert_eq!(
            finish(&json(&c.views[0]), &json(&lying), &states[0], PASS)
                .unwrap_err()
                .code,
            "key_mismatch"
        );

        // Decrypt a tally of 5 and 2 under the joint key.
        let mut rng = OsRng;
        let key = outcome.election_key;
        let totals: Vec<Vec<Ciphertext>> = vec![c.manifest.contests[0]
            .options
            .iter()
            .enumerate()
            .map(|(i, _)| Ciphertext::encrypt(&key, if i == 0 { 5 } else { 2 }, &mut rng).0)
            .collect()];
        let context = ElectionContext {
            manifest: c.manifest.clone(),
            setup_hash: booth.setup_hash,
            election_key: key,
            fingerprint,
        };
        let board = VerifiedBoard {
            report: empty_report(),
            context,
            tally: Some(encode_tally(&totals, 7)),
        };
        let decryptions: Vec<_> = [0usize, 2]
            .iter()
            .map(|&i| {
                let d = decrypt(&board, &json(&c.views[i]), &sealed_keys[i], PASS).unwrap();
                verify_trustee_decryption(&fingerprint, &outcome.verification_keys[i], &totals, &d)
                    .unwrap()
            })
            .collect();
        let table = DlogTable::new(16).unwrap();
        let values = combine_decryptions(&totals, &decryptions, 2, &table).unwrap();
        assert_eq!(values[0][0], 5);
        assert!(values[0][1..].iter().all(|&v| v == 2));

        // Someone else's key file, or a tally that differs from the board's, is refused.
        assert_eq!(
            decrypt(&board, &json(&c.views[0]), &sealed_keys[1], PASS)
                .unwrap_err()
                .code,
            "wrong_key"
        );
        let mut served = c.views[0].clone();
        served.tally = Some(encode_tally(&totals, 8));
        assert_eq!(
            decrypt(&board, &json(&served), &sealed_keys[0], PASS)
                .unwrap_err()
                .code,
            "tally_mismatch"
        );
    }

    fn empty_report() -> urna_election::Report {
        let mut v = crate::verifier::BoardVerifier::new();
        v.push_lines([]).unwrap();
        v.finish(false, &[]).unwrap().report
    }

    #[test]
    fn a_setup_line_of_another_session_is_refused() {
        let c = ceremony();
        let other = ceremony();
        let mut view = c.views[0].clone();
        view.setup_hash = Some(Digest32([1; 32]));
        assert_eq!(
            check_setup(&json(&view), &other.setup_line)
                .unwrap_err()
                .code,
            "bad_setup"
        );
        let mut not_started = c.views[0].clone();
        not_started.setup_hash = None;
        assert_eq!(
            start(&json(&not_started), PASS).unwrap_err().code,
            "not_started"
        );
        assert_eq!(
            start(&json(&c.views[0]), "short").unwrap_err().code,
            "weak_passphrase"
        );
    }
}
