//! The election's state machine (spec/api.md §3). Every transition is one transaction holding
//! the election's board lock: it checks the state, appends the board events and moves the
//! state, or changes nothing.

use rand::rngs::OsRng;
use urna_api::ElectionState;
use urna_crypto::dkg::{self, CeremonyTranscript, DkgParameters};
use urna_crypto::{Ciphertext, Digest32, DlogTable, PublicKey, VerifiedShare};
use urna_election::board::{
    Approval, Close, ContestResult, ElectionResult, Event, Moment, Seal, Setup, TrusteeDecryption,
};
use urna_election::credential::CredentialList;
use urna_election::manifest::ElectionManifest;
use urna_election::tally::{
    combine_decryptions, decode_tally, dlog_bound, encode_tally, verify_trustee_decryption,
};
use urna_election::BoardEntry;

use crate::db::{decode_sums, ElectionRow, ElectionTx, NewMail};
use crate::error::{AppError, AppResult};
use crate::schedule;
use crate::state::AppState;

fn wrong_state(row: &ElectionRow, wanted: &str) -> AppError {
    AppError::WrongState(format!(
        "the election is {}; this needs it {wanted}",
        row.state.as_str().replace('_', " ")
    ))
}

async fn lock(state: &AppState, id: &str) -> AppResult<ElectionTx> {
    state
        .db
        .lock(id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no election {id}")))
}

/// The manifest stored with an election.
pub(crate) fn manifest_of(row: &ElectionRow) -> AppResult<ElectionManifest> {
    serde_json::from_str(&row.manifest).map_err(AppError::internal)
}

fn params_of(manifest: &ElectionManifest) -> AppResult<DkgParameters> {
    DkgParameters::new(manifest.trustees.count, manifest.trustees.threshold)
        .map_err(|e| AppError::BadRequest(format!("trustees: {e}")))
}

fn now_text() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn event_of<T>(entry: &BoardEntry, f: impl Fn(Event) -> Option<T>) -> AppResult<T> {
    entry.event().ok().and_then(f).ok_or_else(|| {
        AppError::internal(anyhow::anyhow!("board entry {} is not readable", entry.seq))
    })
}

fn time_zone(manifest: &ElectionManifest) -> &str {
    manifest
        .voting_period
        .as_ref()
        .map(|p| p.time_zone.as_str())
        .unwrap_or("UTC")
}

/// draft → key_ceremony: posts the setup.
pub async fn start_ceremony(state: &AppState, id: &str) -> AppResult<ElectionRow> {
    let (voters, _, _) = state.db.roll_stats(id).await?;
    let mut tx = lock(state, id).await?;
    if tx.row.state != ElectionState::Draft {
        return Err(wrong_state(&tx.row, "a draft"));
    }
    if voters == 0 {
        return Err(AppError::WrongState(
            "import the voter roll before the key ceremony".into(),
        ));
    }
    let manifest = manifest_of(&tx.row)?;
    params_of(&manifest)?;
    let entry = tx
        .append(&Event::Setup(Box::new(Setup { manifest })))
        .await?;
    tx.row.setup_hash = Some(entry.hash);
    tx.row.state = ElectionState::KeyCeremony;
    Ok(tx.commit().await?)
}

fn sender(event: &Event) -> Option<u32> {
    match event {
        Event::DkgRound1(p) => Some(p.from),
        Event::DkgRound2(p) => Some(p.from),
        Event::DkgRound3(p) => Some(p.from),
        _ => None,
    }
}

/// A trustee's key-ceremony message: checked, posted; the last round-3 message seals.
pub async fn post_ceremony_message(
    state: &AppState,
    id: &str,
    trustee: u32,
    event: Event,
) -> AppResult<(BoardEntry, ElectionRow)> {
    let round = match &event {
        Event::DkgRound1(_) => 1,
        Event::DkgRound2(_) => 2,
        Event::DkgRound3(_) => 3,
        _ => return Err(AppError::BadRequest("not a key-ceremony message".into())),
    };
    let from = sender(&event).unwrap_or(0);
    if from != trustee {
        return Err(AppError::Forbidden(format!(
            "this token belongs to trustee {trustee}, the message says it is from trustee {from}"
        )));
    }
    let mut tx = lock(state, id).await?;
    if tx.row.state != ElectionState::KeyCeremony {
        return Err(wrong_state(&tx.row, "in its key ceremony"));
    }
    let manifest = manifest_of(&tx.row)?;
    let params = params_of(&manifest)?;
    let setup_hash = tx
        .row
        .setup_hash
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("ceremony without setup")))?;
    let n = params.trustees as usize;
    let mut rounds = Vec::new();
    for kind in ["dkg-round1", "dkg-round2", "dkg-round3"] {
        rounds.push(tx.entries_of_kind(kind).await?);
    }
    if round > 1 && rounds[round - 2].len() < n {
        return Err(AppError::WrongState(format!(
            "round {} is not complete yet ({} of {n} trustees posted)",
            round - 1,
            rounds[round - 2].len()
        )));
    }
    for entry in &rounds[round - 1] {
        if event_of(entry, |e| sender(&e))? == trustee {
            return Err(AppError::Conflict(format!(
                "trustee {trustee} already posted its round-{round} message"
            )));
        }
    }
    match &event {
        Event::DkgRound1(p) => dkg::verify_round1_package(&params, setup_hash.as_bytes(), p)
            .map_err(|e| AppError::BadRequest(format!("round-1 package refused: {e}")))?,
        Event::DkgRound2(p) => {
            let mut to: Vec<u32> = p.shares.iter().map(|s| s.to).collect();
            to.sort_unstable();
            let expected: Vec<u32> = (1..=params.trustees).filter(|&i| i != trustee).collect();
            if to != expected {
                return Err(AppError::BadRequest(
                    "a round-2 package must hold one share for every other trustee".into(),
                ));
            }
        }
        _ => {}
    }
    let entry = tx.append(&event).await?;
    rounds[round - 1].push(entry.clone());
    if round == 3 && rounds[2].len() == n {
        seal(state, &mut tx, &manifest, &params, setup_hash, &rounds).await?;
    }
    let row = tx.commit().await?;
    Ok((entry, row))
}

/// The ceremony is complete: check it, issue the credentials, queue the invitations, seal.
async fn seal(
    state: &AppState,
    tx: &mut ElectionTx,
    manifest: &ElectionManifest,
    params: &DkgParameters,
    setup_hash: Digest32,
    rounds: &[Vec<BoardEntry>],
) -> AppResult<()> {
    let mut transcript = CeremonyTranscript::default();
    for entry in rounds.iter().flatten() {
        match entry.event().map_err(AppError::internal)? {
            Event::DkgRound1(p) => transcript.round1.push(p),
            Event::DkgRound2(p) => transcript.round2.push(p),
            Event::DkgRound3(p) => transcript.round3.push(p),
            _ => {}
        }
    }
    let outcome = match dkg::vartime_verify_ceremony(params, setup_hash.as_bytes(), &transcript) {
        Ok(outcome) => outcome,
        Err(e) => {
            tx.row.state = ElectionState::Failed;
            tx.row.error = Some(format!("the key ceremony failed: {e}"));
            return Ok(());
        }
    };
    if !outcome.blame.is_empty() {
        let blame: Vec<String> = outcome
            .blame
            .iter()
            .map(|b| format!("trustee {}: {}", b.culprit, b.reason))
            .collect();
        tx.row.error = Some(format!("key ceremony blame: {}", blame.join("; ")));
    }
    let roll = state.db.roll(&tx.row.id).await?;
    let weights: Vec<u64> = roll.iter().map(|r| r.3).collect();
    let (secrets, list) = CredentialList::generate(&setup_hash, &weights, &mut OsRng);
    let valid = list
        .validate()
        .map_err(|e| AppError::BadRequest(format!("credentials: {e}")))?;
    let base = state.config.base_url();
    let opens = tx
        .row
        .opens_at
        .map(|t| schedule::local(t, time_zone(manifest)));
    let closes = tx
        .row
        .closes_at
        .map(|t| schedule::local(t, time_zone(manifest)));
    let mut mails = Vec::with_capacity(roll.len());
    for ((line, email, name, _), secret) in roll.iter().zip(&secrets) {
        // The link and the mail body carry the credential secret: wiped when dropped
        // (spec/secrets.md, F2).
        let fragment = zeroize::Zeroizing::new(secret.to_link_string());
        let link = zeroize::Zeroizing::new(format!("{base}/vote/{}#{}", tx.row.id, *fragment));
        let mut mail =
            crate::mail::invitation(manifest, &link, name, opens.as_deref(), closes.as_deref());
        mails.push(NewMail {
            roll_line: Some(*line),
            recipient: email.clone(),
            recipient_name: name.clone(),
            subject: std::mem::take(&mut mail.subject),
            body: std::mem::take(&mut mail.text),
        });
    }
    drop(secrets);
    tx.append(&Event::Credentials(list)).await?;
    let election_key = outcome.election_key.to_bytes();
    let fingerprint = urna_election::board::fingerprint(&tx.row.head, &election_key);
    tx.append(&Event::Seal(Seal {
        fingerprint,
        election_key,
        verification_keys: outcome
            .verification_keys
            .iter()
            .map(|k| k.to_bytes())
            .collect(),
        qualified: outcome.qualified.clone(),
        credential_count: valid.len() as u64,
        total_weight: valid.total_weight(),
    }))
    .await?;
    tx.queue_mails(&mails).await?;
    tx.release_orderer_mail().await?;
    tx.row.fingerprint = Some(fingerprint);
    tx.row.voters = valid.len() as u64;
    tx.row.total_weight = valid.total_weight();
    tx.row.state = ElectionState::AwaitingApproval;
    Ok(())
}

/// awaiting_approval → scheduled: the orderer approves what they reviewed.
pub async fn approve(
    state: &AppState,
    id: &str,
    fingerprint: &Digest32,
    name: &str,
) -> AppResult<ElectionRow> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AppError::BadRequest(
            "give your name (at most 200 characters)".into(),
        ));
    }
    let mut tx = lock(state, id).await?;
    if tx.row.state != ElectionState::AwaitingApproval {
        return Err(wrong_state(&tx.row, "awaiting approval"));
    }
    if tx.row.fingerprint.as_ref() != Some(fingerprint) {
        return Err(AppError::Conflict(
            "the fingerprint does not match the sealed election: reload and review again".into(),
        ));
    }
    tx.append(&Event::Approval(Approval {
        fingerprint: *fingerprint,
        approved_by: name.to_owned(),
        at: now_text(),
    }))
    .await?;
    tx.row.approved_by = Some(name.to_owned());
    tx.row.state = ElectionState::Scheduled;
    Ok(tx.commit().await?)
}

/// awaiting_approval → rejected (the unsent invitations are deleted).
pub async fn reject(state: &AppState, id: &str, reason: &str) -> AppResult<ElectionRow> {
    let mut tx = lock(state, id).await?;
    if tx.row.state != ElectionState::AwaitingApproval {
        return Err(wrong_state(&tx.row, "awaiting approval"));
    }
    tx.row.state = ElectionState::Rejected;
    tx.row.error = Some(format!("rejected by the orderer: {}", reason.trim()));
    tx.delete_queued_mails().await?;
    Ok(tx.commit().await?)
}

/// scheduled → open.
pub async fn open(state: &AppState, id: &str) -> AppResult<ElectionRow> {
    let mut tx = lock(state, id).await?;
    if tx.row.state != ElectionState::Scheduled {
        return Err(wrong_state(&tx.row, "approved and not yet open"));
    }
    tx.append(&Event::Open(Moment { at: now_text() })).await?;
    tx.row.state = ElectionState::Open;
    Ok(tx.commit().await?)
}

/// open → tallying: posts the close and the encrypted tally (the running sums, each weight
/// class multiplied by its weight once).
pub async fn close(state: &AppState, id: &str) -> AppResult<ElectionRow> {
    let mut tx = lock(state, id).await?;
    if tx.row.state != ElectionState::Open {
        return Err(wrong_state(&tx.row, "open"));
    }
    let manifest = manifest_of(&tx.row)?;
    let shape: Vec<usize> = manifest
        .contests
        .iter()
        .map(|c| c.selection_count())
        .collect();
    let count: usize = shape.iter().sum();
    let mut flat = vec![Ciphertext::zero(); count];
    for (weight, blob) in tx.tally_rows().await? {
        let sums = decode_sums(&blob, count)?;
        for (t, s) in flat.iter_mut().zip(sums) {
            *t += &if weight == 1 { s } else { s.mul_weight(weight) };
        }
    }
    let mut totals = Vec::with_capacity(shape.len());
    let mut rest = flat.as_slice();
    for n in shape {
        let (head, tail) = rest.split_at(n.min(rest.len()));
        totals.push(head.to_vec());
        rest = tail;
    }
    let (counted, _) = tx.vote_counts().await?;
    let ballots = tx.row.ballots;
    tx.append(&Event::Close(Close {
        at: now_text(),
        ballots,
    }))
    .await?;
    tx.append(&Event::Tally(encode_tally(&totals, counted)))
        .await?;
    tx.row.state = ElectionState::Tallying;
    tx.delete_queued_mails().await?;
    Ok(tx.commit().await?)
}

/// Why a trustee's partial decryption was not appended.
#[derive(Debug, thiserror::Error)]
pub enum DecryptionRefusal {
    /// The decryption does not check against the trustee's verification key (a share or a
    /// DLEQ proof is wrong, or its shape does not fit the tally): the trustee is to blame
    /// (spec/crypto.md §7.1; spec/record.md §8, V20). Nothing was appended, and the trustee
    /// may post a correct decryption later.
    #[error("trustee {trustee}'s decryption is refused: {reason}")]
    Invalid { trustee: u32, reason: String },
    /// Anything else: wrong state, wrong trustee, disqualified, already posted, internal.
    #[error(transparent)]
    Other(#[from] AppError),
}

/// A trustee's partial decryption: verified, posted; the `t`-th publishes the result.
///
/// The decryption's proofs are checked before the election's board lock is taken (the tally,
/// the seal and the verification keys no longer change once the election is tallying), so a
/// trustee posting garbage costs the board no time under its lock; the checks of state and of
/// a repeated post are made again under the lock.
pub async fn post_decryption(
    state: &AppState,
    id: &str,
    trustee: u32,
    decryption: TrusteeDecryption,
) -> Result<(BoardEntry, ElectionRow), DecryptionRefusal> {
    if decryption.trustee != trustee {
        return Err(AppError::Forbidden(format!(
            "this token belongs to trustee {trustee}, the decryption says trustee {}",
            decryption.trustee
        ))
        .into());
    }
    let row = state
        .db
        .election(id)
        .await
        .map_err(AppError::from)?
        .ok_or_else(|| AppError::NotFound(format!("no election {id}")))?;
    if row.state != ElectionState::Tallying {
        return Err(wrong_state(&row, "closed and awaiting decryption").into());
    }
    let sealed = state.sealed(id).await?;
    if !sealed.seal.qualified.contains(&trustee) {
        return Err(AppError::Forbidden(format!(
            "trustee {trustee} was disqualified in the key ceremony"
        ))
        .into());
    }
    let mut posted = Vec::new();
    for entry in state
        .db
        .board_entries_of_kind(id, "decryption")
        .await
        .map_err(AppError::from)?
    {
        let d = event_of(&entry, |e| match e {
            Event::Decryption(d) => Some(d),
            _ => None,
        })?;
        posted.push(d.trustee);
    }
    if posted.contains(&trustee) {
        return Err(already_decrypted(trustee).into());
    }
    let tally_entry = state
        .db
        .board_entries_of_kind(id, "tally")
        .await
        .map_err(AppError::from)?
        .into_iter()
        .next()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("tallying without a tally")))?;
    let encrypted = event_of(&tally_entry, |e| match e {
        Event::Tally(t) => Some(t),
        _ => None,
    })?;
    let totals = decode_tally(&encrypted).map_err(AppError::internal)?;
    let key = verification_key(&sealed.seal, trustee)?;
    let fingerprint = sealed.context.fingerprint;
    // One DLEQ check per selection: off the async workers.
    let (decryption, totals, checked) = tokio::task::spawn_blocking(move || {
        let checked = verify_trustee_decryption(&fingerprint, &key, &totals, &decryption);
        (decryption, totals, checked)
    })
    .await
    .map_err(AppError::internal)?;
    let mine = match checked {
        Ok(shares) => shares,
        Err(e) => {
            tracing::warn!(election = %id, trustee, error = %e, "partial decryption refused");
            return Err(DecryptionRefusal::Invalid {
                trustee,
                reason: e.to_string(),
            });
        }
    };
    let ballots_counted = encrypted.ballots_counted;
    Ok(append_decryption(
        state,
        id,
        &sealed,
        trustee,
        decryption,
        (mine, &totals, ballots_counted),
    )
    .await?)
}

fn already_decrypted(trustee: u32) -> AppError {
    AppError::Conflict(format!("trustee {trustee} already posted its decryption"))
}

/// Trustee `t`'s verification key from the seal.
fn verification_key(seal: &Seal, t: u32) -> AppResult<PublicKey> {
    t.checked_sub(1)
        .and_then(|i| seal.verification_keys.get(i as usize))
        .and_then(|b| PublicKey::from_bytes(b).ok())
        .ok_or_else(|| AppError::Forbidden(format!("no trustee {t}")))
}

/// Appends a verified decryption under the board lock and publishes the result when it is the
/// `t`-th.
async fn append_decryption(
    state: &AppState,
    id: &str,
    sealed: &crate::state::Sealed,
    trustee: u32,
    decryption: TrusteeDecryption,
    (mine, totals, ballots_counted): (Vec<Vec<VerifiedShare>>, &[Vec<Ciphertext>], u64),
) -> AppResult<(BoardEntry, ElectionRow)> {
    let mut tx = lock(state, id).await?;
    if tx.row.state != ElectionState::Tallying {
        return Err(wrong_state(&tx.row, "closed and awaiting decryption"));
    }
    let fingerprint = sealed.context.fingerprint;
    let mut verified = Vec::new();
    for entry in tx.entries_of_kind("decryption").await? {
        let d = event_of(&entry, |e| match e {
            Event::Decryption(d) => Some(d),
            _ => None,
        })?;
        if d.trustee == trustee {
            return Err(already_decrypted(trustee));
        }
        let key = verification_key(&sealed.seal, d.trustee)?;
        let shares = verify_trustee_decryption(&fingerprint, &key, totals, &d)
            .map_err(AppError::internal)?;
        verified.push((d.trustee, shares));
    }
    let entry = tx.append(&Event::Decryption(decryption)).await?;
    verified.push((trustee, mine));
    let manifest = &sealed.context.manifest;
    let threshold = manifest.trustees.threshold as usize;
    if verified.len() >= threshold {
        let bound = dlog_bound(manifest, sealed.credentials.total_weight());
        let (done_by, shares): (Vec<u32>, Vec<_>) = verified.into_iter().unzip();
        let values = tokio::task::block_in_place(|| {
            let table = DlogTable::new(bound).map_err(|e| e.to_string())?;
            combine_decryptions(totals, &shares, threshold, &table).map_err(|e| e.to_string())
        })
        .map_err(|e| AppError::internal(anyhow::anyhow!("combining the decryptions: {e}")))?;
        let (_, weight_counted) = tx.vote_counts().await?;
        let result = ElectionResult {
            contests: manifest
                .contests
                .iter()
                .zip(values)
                .map(|(c, totals)| ContestResult {
                    contest: c.id.clone(),
                    totals,
                })
                .collect(),
            ballots_counted,
            weight_counted,
            decrypted_by: done_by.iter().take(threshold).copied().collect(),
        };
        tx.append(&Event::Result(result)).await?;
        tx.row.state = ElectionState::Published;
    }
    let row = tx.commit().await?;
    Ok((entry, row))
}

/// Opens and closes elections whose scheduled time has come (every node runs this; the
/// transitions' state checks make a double run harmless).
pub async fn run_scheduler(state: AppState, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    loop {
        match state.db.due_elections(crate::db::now()).await {
            Ok(due) => {
                for row in due {
                    let outcome = match row.state {
                        ElectionState::Scheduled => open(&state, &row.id).await,
                        _ => close(&state, &row.id).await,
                    };
                    match outcome {
                        Ok(r) => tracing::info!(
                            election = %r.id,
                            state = r.state.as_str(),
                            "scheduled transition"
                        ),
                        Err(AppError::WrongState(_)) => {}
                        Err(e) => tracing::warn!(
                            election = %row.id,
                            error = %e,
                            "scheduled transition failed"
                        ),
                    }
                }
            }
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "scheduler cannot read the database")
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
            _ = shutdown.changed() => return,
        }
    }
}
