//! Trustee routes (spec/api.md §7): a bearer token per trustee and election.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use urna_api::{ApiErrorBody, Posted, TrusteeView};
use urna_crypto::dkg::{Round1Package, Round2Package, Round3Package};
use urna_election::board::{Event, TrusteeDecryption};

use super::election_row;
use crate::auth::{token_hash, BearerToken};
use crate::error::{AppError, AppResult, JsonBody};
use crate::lifecycle::{self, manifest_of, DecryptionRefusal};
use crate::state::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/trustee/elections/{id}", get(view))
        .route("/trustee/elections/{id}/round1", post(round1))
        .route("/trustee/elections/{id}/round2", post(round2))
        .route("/trustee/elections/{id}/round3", post(round3))
        .route("/trustee/elections/{id}/decryption", post(decryption))
}

async fn trustee(state: &AppState, id: &str, token: &BearerToken) -> AppResult<u32> {
    state
        .db
        .trustee_by_token(id, &token_hash(&token.0))
        .await?
        .ok_or_else(|| {
            AppError::Unauthorized("this trustee token is not valid for this election".into())
        })
}

async fn view(
    State(state): State<AppState>,
    Path(id): Path<String>,
    token: BearerToken,
) -> AppResult<Json<TrusteeView>> {
    let index = trustee(&state, &id, &token).await?;
    let row = election_row(&state, &id).await?;
    let manifest = manifest_of(&row)?;
    let mut view = TrusteeView {
        id: id.clone(),
        state: row.state,
        index,
        trustees: manifest.trustees.count,
        threshold: manifest.trustees.threshold,
        setup_hash: row.setup_hash,
        round1: Vec::new(),
        round2: Vec::new(),
        round3: Vec::new(),
        fingerprint: row.fingerprint,
        tally: None,
        decrypted_by: Vec::new(),
    };
    for kind in [
        "dkg-round1",
        "dkg-round2",
        "dkg-round3",
        "tally",
        "decryption",
    ] {
        for entry in state.db.board_entries_of_kind(&id, kind).await? {
            match entry.event().map_err(AppError::internal)? {
                Event::DkgRound1(p) => view.round1.push(p),
                Event::DkgRound2(p) => view.round2.push(p),
                Event::DkgRound3(p) => view.round3.push(p),
                Event::Tally(t) => view.tally = Some(t),
                Event::Decryption(d) => view.decrypted_by.push(d.trustee),
                _ => {}
            }
        }
    }
    Ok(Json(view))
}

async fn post_message(
    state: &AppState,
    id: &str,
    token: &BearerToken,
    event: Event,
) -> AppResult<Json<Posted>> {
    let index = trustee(state, id, token).await?;
    let (entry, row) = lifecycle::post_ceremony_message(state, id, index, event).await?;
    Ok(Json(Posted {
        seq: entry.seq,
        entry_hash: entry.hash,
        state: row.state,
    }))
}

async fn round1(
    State(state): State<AppState>,
    Path(id): Path<String>,
    token: BearerToken,
    JsonBody(p): JsonBody<Round1Package>,
) -> AppResult<Json<Posted>> {
    post_message(&state, &id, &token, Event::DkgRound1(p)).await
}

async fn round2(
    State(state): State<AppState>,
    Path(id): Path<String>,
    token: BearerToken,
    JsonBody(p): JsonBody<Round2Package>,
) -> AppResult<Json<Posted>> {
    post_message(&state, &id, &token, Event::DkgRound2(p)).await
}

async fn round3(
    State(state): State<AppState>,
    Path(id): Path<String>,
    token: BearerToken,
    JsonBody(p): JsonBody<Round3Package>,
) -> AppResult<Json<Posted>> {
    post_message(&state, &id, &token, Event::DkgRound3(p)).await
}

/// The stable code of a refused partial decryption (422): its shares or proofs do not check
/// against the trustee's verification key, and the message names the trustee and the first
/// bad share. Nothing is appended; the trustee may post a correct decryption later.
pub const INVALID_DECRYPTION: &str = "invalid_decryption";

async fn decryption(
    State(state): State<AppState>,
    Path(id): Path<String>,
    token: BearerToken,
    JsonBody(d): JsonBody<TrusteeDecryption>,
) -> Result<Json<Posted>, Response> {
    let index = trustee(&state, &id, &token)
        .await
        .map_err(IntoResponse::into_response)?;
    match lifecycle::post_decryption(&state, &id, index, d).await {
        Ok((entry, row)) => Ok(Json(Posted {
            seq: entry.seq,
            entry_hash: entry.hash,
            state: row.state,
        })),
        Err(DecryptionRefusal::Other(e)) => Err(e.into_response()),
        Err(refusal @ DecryptionRefusal::Invalid { .. }) => Err((
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(ApiErrorBody {
                error: INVALID_DECRYPTION.into(),
                message: refusal.to_string(),
                details: Vec::new(),
            }),
        )
            .into_response()),
    }
}
