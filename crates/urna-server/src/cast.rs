//! Casting (spec/api.md §5). Ballots for one election queue up for a worker that verifies
//! whatever has arrived as one batch (one multi-scalar multiplication), then appends the
//! valid ones, records their credentials and adds them to the running tally in one
//! transaction (a group commit), and only after the commit answers each voter.
//!
//! The two stages overlap: while one batch commits, the next ones (up to one per core) are
//! being verified, so neither the proofs nor the durable append waits for the other. Batches
//! commit in the order they were formed.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use rand::rngs::OsRng;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use urna_api::{CastReceipt, ElectionState};
use urna_crypto::Ciphertext;
use urna_election::ballot::{verify_ballots_batched, Ballot, TrackingCode, VerifiedBallot};
use urna_election::board::{CastBallot, Event};
use urna_election::manifest::RevotePolicy;
use urna_election::ElectionError;

use crate::db::VoteOutcome;
use crate::error::{AppError, AppResult};
use crate::state::{AppState, Sealed};

/// One ballot waiting for the worker.
#[derive(Debug)]
pub struct CastJob {
    ballot: Ballot,
    reply: oneshot::Sender<AppResult<CastReceipt>>,
}

/// Casts a ballot; answers after it is durably on the board.
pub async fn cast(state: &AppState, id: &str, ballot: Ballot) -> AppResult<CastReceipt> {
    let sealed = state.sealed(id).await?;
    if ballot.election != sealed.context.fingerprint {
        return Err(AppError::InvalidBallot(
            "this ballot was made for another election (its fingerprint differs)".into(),
        ));
    }
    let (reply, answer) = oneshot::channel();
    state
        .caster(id)
        .send(CastJob { ballot, reply })
        .await
        .map_err(|_| AppError::internal(anyhow::anyhow!("the cast worker stopped")))?;
    answer
        .await
        .map_err(|_| AppError::internal(anyhow::anyhow!("the cast worker dropped a ballot")))?
}

/// The per-election worker: batches whatever is queued.
pub(crate) async fn worker(state: AppState, id: String, mut queue: mpsc::Receiver<CastJob>) {
    let cap = state.config.cast_batch.max(1);
    // Batches being verified while one commits: one per core. A full pipeline makes the
    // queue wait, so batches grow under load and stay small (fast answers) when it is light.
    let depth = std::thread::available_parallelism().map_or(2, |n| n.get());
    let (checked_tx, mut checked_rx) = mpsc::channel::<JoinHandle<Option<Checked>>>(depth);
    let committer = {
        let state = state.clone();
        let id = id.clone();
        tokio::spawn(async move {
            while let Some(handle) = checked_rx.recv().await {
                match handle.await {
                    Ok(Some(checked)) => commit_and_answer(&state, &id, checked).await,
                    Ok(None) => {}
                    // The batch's reply channels are gone with the task: each voter gets an
                    // internal error from `cast`, and nothing was written.
                    Err(e) => {
                        tracing::error!(election = %id, error = %e, "a verification task failed")
                    }
                }
            }
        })
    };
    while let Some(first) = queue.recv().await {
        let mut batch = vec![first];
        while batch.len() < cap {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let handle = tokio::spawn(check(state.clone(), id.clone(), batch));
        if checked_tx.send(handle).await.is_err() {
            break;
        }
    }
    drop(checked_tx);
    if let Err(e) = committer.await {
        tracing::error!(election = %id, error = %e, "the cast committer stopped");
    }
}

/// A verified batch waiting for its commit.
struct Checked {
    sealed: Arc<Sealed>,
    replies: Vec<oneshot::Sender<AppResult<CastReceipt>>>,
    /// One slot per ballot: an answer already (refused), or `None` until the commit.
    answers: Vec<Option<AppResult<CastReceipt>>>,
    valid: Vec<(usize, Ballot, VerifiedBallot)>,
}

fn ballot_error(e: ElectionError) -> AppError {
    match e {
        ElectionError::Ballot {
            check: "ballot.credential",
            reason,
        } => AppError::Forbidden(format!(
            "the ballot's credential is not on this election's list: {reason}"
        )),
        other => AppError::InvalidBallot(other.to_string()),
    }
}

/// Verifies a batch; answers at once if nothing in it can be committed.
async fn check(state: AppState, id: String, batch: Vec<CastJob>) -> Option<Checked> {
    let sealed = match state.sealed(&id).await {
        Ok(s) => s,
        Err(e) => {
            // A database fault stays what it is (503/507, retry); anything else means the
            // election cannot take ballots.
            let e = match e {
                AppError::Unavailable(_) | AppError::StorageFull(_) | AppError::Internal(_) => e,
                other => AppError::WrongState(other.to_string()),
            };
            for job in batch {
                let _ = job.reply.send(Err(e.replicate()));
            }
            return None;
        }
    };
    let (ballots, replies): (Vec<Ballot>, Vec<_>) =
        batch.into_iter().map(|j| (j.ballot, j.reply)).unzip();
    let started = Instant::now();
    let checked = {
        let sealed = sealed.clone();
        tokio::task::spawn_blocking(move || {
            let refs: Vec<&Ballot> = ballots.iter().collect();
            let results =
                verify_ballots_batched(&sealed.context, &sealed.credentials, &refs, &mut OsRng);
            (ballots, results)
        })
        .await
    };
    let (ballots, results) = match checked {
        Ok(r) => r,
        Err(e) => {
            for reply in replies {
                let _ = reply.send(Err(AppError::internal(anyhow::anyhow!("verifier: {e}"))));
            }
            return None;
        }
    };
    metrics::histogram!("urna_ballot_verify_seconds").record(started.elapsed().as_secs_f64());
    let mut answers: Vec<Option<AppResult<CastReceipt>>> = Vec::with_capacity(ballots.len());
    let mut valid = Vec::new();
    for (i, (ballot, result)) in ballots.into_iter().zip(results).enumerate() {
        match result {
            Ok(v) => {
                answers.push(None);
                valid.push((i, ballot, v));
            }
            Err(e) => {
                metrics::counter!("urna_ballots_refused_total", "reason" => "invalid").increment(1);
                answers.push(Some(Err(ballot_error(e))));
            }
        }
    }
    Some(Checked {
        sealed,
        replies,
        answers,
        valid,
    })
}

/// Commits a verified batch (a no-op if every ballot was refused) and answers each voter.
async fn commit_and_answer(state: &AppState, id: &str, checked: Checked) {
    let Checked {
        sealed,
        replies,
        mut answers,
        valid,
    } = checked;
    if !valid.is_empty() {
        let valid_count = valid.len();
        match commit(state, id, &sealed, valid).await {
            Ok(outcomes) => {
                for (i, outcome) in outcomes {
                    if let Some(slot) = answers.get_mut(i) {
                        *slot = Some(outcome);
                    }
                }
            }
            // Nothing of the batch is acknowledged: the transaction rolled back, or (a
            // connection lost during COMMIT) its outcome is unknown here, and a retry of such
            // a ballot gets 409 `already_voted` if it did land. Every ballot that was waiting
            // for this commit gets the same answer.
            Err(e) => {
                match &e {
                    AppError::Internal(cause) => tracing::error!(
                        election = %id, error = %format!("{cause:#}"), "cast commit failed"
                    ),
                    AppError::Unavailable(cause) | AppError::StorageFull(cause) => {
                        tracing::warn!(
                            election = %id, ballots = valid_count, code = e.code(),
                            error = %format!("{cause:#}"), "cast commit failed"
                        )
                    }
                    _ => {}
                }
                let e = match e {
                    AppError::Internal(_) => {
                        AppError::internal(anyhow::anyhow!("commit failed (logged above)"))
                    }
                    AppError::Unavailable(_) | AppError::StorageFull(_) => e,
                    other => AppError::WrongState(other.to_string()),
                };
                for slot in answers.iter_mut().filter(|a| a.is_none()) {
                    *slot = Some(Err(e.replicate()));
                }
            }
        }
    }
    for (reply, answer) in replies.into_iter().zip(answers) {
        let answer =
            answer.unwrap_or_else(|| Err(AppError::internal(anyhow::anyhow!("no answer"))));
        if answer.is_ok() {
            metrics::counter!("urna_ballots_cast_total").increment(1);
        }
        let _ = reply.send(answer);
    }
}

/// Appends the verified ballots in one transaction; returns each one's answer by index.
async fn commit(
    state: &AppState,
    id: &str,
    sealed: &Arc<Sealed>,
    valid: Vec<(usize, Ballot, VerifiedBallot)>,
) -> AppResult<Vec<(usize, AppResult<CastReceipt>)>> {
    let mut tx = state
        .db
        .lock(id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no election {id}")))?;
    if tx.row.state != ElectionState::Open {
        return Err(AppError::WrongState(format!(
            "voting is not open (the election is {})",
            tx.row.state.as_str().replace('_', " ")
        )));
    }
    let last_counts = sealed.context.manifest.revote == RevotePolicy::LastCounts;
    let width: usize = sealed
        .context
        .manifest
        .contests
        .iter()
        .map(|c| c.selection_count())
        .sum();
    let mut deltas: BTreeMap<u64, Vec<Ciphertext>> = BTreeMap::new();
    let mut out = Vec::with_capacity(valid.len());
    for (i, ballot, v) in valid {
        let code = TrackingCode::from_hash(&v.hash);
        if tx.has_tracking_code(&code.0).await? {
            out.push((
                i,
                Err(if last_counts {
                    AppError::Conflict("this exact ballot is already on the board".into())
                } else {
                    AppError::AlreadyVoted
                }),
            ));
            continue;
        }
        let seq = tx.row.entries;
        match tx
            .record_vote(&v.credential, seq, v.weight, last_counts)
            .await?
        {
            VoteOutcome::AlreadyVoted => {
                metrics::counter!("urna_ballots_refused_total", "reason" => "already_voted")
                    .increment(1);
                out.push((i, Err(AppError::AlreadyVoted)));
                continue;
            }
            VoteOutcome::Replaced(old) => {
                // The replaced ballot leaves the running tally.
                let payload = tx.payload(old).await?;
                let Event::Ballot(previous) =
                    Event::parse("ballot", &payload).map_err(AppError::internal)?
                else {
                    return Err(AppError::internal(anyhow::anyhow!(
                        "replaced entry is not a ballot"
                    )));
                };
                let delta = deltas
                    .entry(v.weight)
                    .or_insert_with(|| vec![Ciphertext::zero(); width]);
                let old_cts = previous
                    .ballot
                    .contests
                    .iter()
                    .flat_map(|c| c.selections.iter());
                for (d, c) in delta.iter_mut().zip(old_cts) {
                    let old = Ciphertext::from_bytes(&c.ciphertext).map_err(AppError::internal)?;
                    *d = *d - old;
                }
            }
            VoteOutcome::First => {}
        }
        let delta = deltas
            .entry(v.weight)
            .or_insert_with(|| vec![Ciphertext::zero(); width]);
        for (d, c) in delta.iter_mut().zip(v.ciphertexts.iter().flatten()) {
            *d += c;
        }
        let entry = tx
            .append(&Event::Ballot(Box::new(CastBallot {
                ballot,
                weight: v.weight,
            })))
            .await?;
        tx.insert_tracking_code(&code.0, seq).await?;
        tx.row.ballots += 1;
        out.push((
            i,
            Ok(CastReceipt {
                tracking_code: code.0,
                seq: entry.seq,
                entry_hash: entry.hash,
            }),
        ));
    }
    for (weight, delta) in &deltas {
        tx.add_to_tally(*weight, delta).await?;
    }
    tx.commit().await?;
    Ok(out)
}
