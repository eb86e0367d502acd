//! The orderer's routes (spec/api.md §6): the personal token in the path.

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use urna_api::{Approve, ElectionSummary, Orderer, OrdererView, Reject};

use super::summary;
use crate::auth::token_hash;
use crate::db::ElectionRow;
use crate::error::{AppError, AppResult, JsonBody};
use crate::lifecycle;
use crate::state::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/orderer/{token}", get(view))
        .route("/orderer/{token}/approve", post(approve))
        .route("/orderer/{token}/reject", post(reject))
}

async fn election(state: &AppState, token: &str) -> AppResult<ElectionRow> {
    state
        .db
        .election_by_orderer(&token_hash(token))
        .await?
        .ok_or_else(|| AppError::NotFound("this approval link is not valid".into()))
}

async fn view(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> AppResult<Json<OrdererView>> {
    let row = election(&state, &token).await?;
    let qualified = match state.sealed(&row.id).await {
        Ok(sealed) => sealed.seal.qualified.clone(),
        Err(_) => Vec::new(),
    };
    Ok(Json(OrdererView {
        orderer: Orderer {
            name: row.orderer_name.clone(),
            email: row.orderer_email.clone(),
        },
        summary: summary(&row)?,
        qualified_trustees: qualified,
        total_weight: row.total_weight,
        approved_by: row.approved_by.clone(),
    }))
}

async fn approve(
    State(state): State<AppState>,
    Path(token): Path<String>,
    JsonBody(req): JsonBody<Approve>,
) -> AppResult<Json<ElectionSummary>> {
    let row = election(&state, &token).await?;
    let row = lifecycle::approve(&state, &row.id, &req.fingerprint, &req.name).await?;
    tracing::info!(election = %row.id, "approved by the orderer");
    Ok(Json(summary(&row)?))
}

async fn reject(
    State(state): State<AppState>,
    Path(token): Path<String>,
    JsonBody(req): JsonBody<Reject>,
) -> AppResult<Json<ElectionSummary>> {
    let row = election(&state, &token).await?;
    if req.reason.trim().is_empty() {
        return Err(AppError::BadRequest(
            "say why the election is rejected".into(),
        ));
    }
    let row = lifecycle::reject(&state, &row.id, &req.reason).await?;
    tracing::info!(election = %row.id, "rejected by the orderer");
    Ok(Json(summary(&row)?))
}
