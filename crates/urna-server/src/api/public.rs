//! Public routes: observers read, voters cast (spec/api.md §4–5).

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::stream;
use serde::Deserialize;
use urna_api::{BallotLookup, BoardPage, BoothInfo, ElectionState, ElectionSummary, Head};
use urna_election::ballot::{Ballot, TrackingCode};
use urna_election::board::{ElectionResult, Event};

use super::{created, election_row, summary};
use crate::auth::ClientIp;
use crate::document::{render_csv, render_html, DocumentElection};
use crate::error::{AppError, AppResult, JsonBody};
use crate::state::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/elections", get(list))
        .route("/elections/{id}", get(one))
        .route("/elections/{id}/head", get(head))
        .route("/elections/{id}/board", get(board_page))
        .route("/elections/{id}/board.jsonl", get(board_stream))
        .route("/elections/{id}/ballots/{code}", get(lookup))
        .route("/elections/{id}/result", get(result))
        .route("/elections/{id}/booth", get(booth))
        .route("/elections/{id}/ballots", post(cast))
        .route("/results.html", get(results_html))
        .route("/results.csv", get(results_csv))
}

async fn openapi() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        super::ops::OPENAPI,
    )
}

async fn list(State(state): State<AppState>) -> AppResult<Json<Vec<ElectionSummary>>> {
    let rows = state.db.public_elections().await?;
    Ok(Json(rows.iter().map(summary).collect::<AppResult<_>>()?))
}

/// A public election (drafts are the admins' business).
async fn public_row(state: &AppState, id: &str) -> AppResult<crate::db::ElectionRow> {
    let row = election_row(state, id).await?;
    if row.state == ElectionState::Draft {
        return Err(AppError::NotFound(format!("no election {id}")));
    }
    Ok(row)
}

async fn one(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AppResult<Json<ElectionSummary>> {
    Ok(Json(summary(&public_row(&state, &id).await?)?))
}

async fn head(State(state): State<AppState>, Path(id): Path<String>) -> AppResult<Json<Head>> {
    let row = public_row(&state, &id).await?;
    Ok(Json(Head {
        entries: row.entries,
        hash: row.head,
    }))
}

#[derive(Debug, Deserialize)]
struct PageQuery {
    from: Option<u64>,
    limit: Option<u64>,
}

const MAX_PAGE: u64 = 1000;

async fn board_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>,
) -> AppResult<Json<BoardPage>> {
    let Query(q) =
        query.map_err(|e| AppError::BadRequest(format!("bad paging parameters: {e}")))?;
    let limit = q.limit.unwrap_or(100);
    if limit == 0 || limit > MAX_PAGE {
        return Err(AppError::BadRequest(format!(
            "limit must be 1..={MAX_PAGE}"
        )));
    }
    public_row(&state, &id).await?;
    let from = q.from.unwrap_or(0);
    if i64::try_from(from).is_err() {
        return Err(AppError::BadRequest("from is out of range".into()));
    }
    let entries = state.db.board_page(&id, from, limit + 1).await?;
    let next = (entries.len() as u64 > limit).then(|| from.saturating_add(limit));
    let lines = entries
        .iter()
        .take(limit as usize)
        .map(|e| e.to_line().map_err(AppError::internal))
        .collect::<AppResult<Vec<_>>>()?;
    Ok(Json(BoardPage { lines, next }))
}

/// The board as `board.jsonl`, read in pages so a large board streams in constant memory.
async fn board_stream(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let row = public_row(&state, &id).await?;
    let end = row.entries;
    let pages = stream::unfold(Some(0u64), move |from| {
        let state = state.clone();
        let id = id.clone();
        async move {
            let from = from?;
            if from >= end {
                return None;
            }
            let chunk = match state
                .db
                .board_page(&id, from, MAX_PAGE.min(end - from))
                .await
            {
                Ok(entries) if !entries.is_empty() => entries,
                Ok(_) => return None,
                Err(e) => return Some((Err(std::io::Error::other(e.to_string())), None)),
            };
            let next = from + chunk.len() as u64;
            let mut text = String::new();
            for entry in &chunk {
                match entry.to_line() {
                    Ok(line) => {
                        text.push_str(&line);
                        text.push('\n');
                    }
                    Err(e) => return Some((Err(std::io::Error::other(e.to_string())), None)),
                }
            }
            Some((Ok::<_, std::io::Error>(text), Some(next)))
        }
    });
    Ok((
        [(header::CONTENT_TYPE, "application/x-ndjson; charset=utf-8")],
        Body::from_stream(pages),
    )
        .into_response())
}

async fn lookup(
    State(state): State<AppState>,
    Path((id, code)): Path<(String, String)>,
) -> AppResult<Json<BallotLookup>> {
    public_row(&state, &id).await?;
    let code = TrackingCode::parse(&code)
        .ok_or_else(|| AppError::BadRequest("that is not a tracking code".into()))?;
    let (seq, entry_hash, counted) =
        state.db.lookup_ballot(&id, &code.0).await?.ok_or_else(|| {
            AppError::NotFound("no ballot with this tracking code on the board".into())
        })?;
    Ok(Json(BallotLookup {
        tracking_code: code.0,
        seq,
        entry_hash,
        counted,
    }))
}

async fn published_result(state: &AppState, id: &str) -> AppResult<ElectionResult> {
    let row = public_row(state, id).await?;
    if row.state != ElectionState::Published {
        return Err(AppError::NotFound("the result is not published yet".into()));
    }
    let entry = state
        .db
        .board_entries_of_kind(id, "result")
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("published without a result")))?;
    match entry.event().map_err(AppError::internal)? {
        Event::Result(r) => Ok(r),
        _ => Err(AppError::internal(anyhow::anyhow!("result entry"))),
    }
}

async fn result(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AppResult<Json<ElectionResult>> {
    Ok(Json(published_result(&state, &id).await?))
}

async fn booth(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> AppResult<Json<BoothInfo>> {
    let row = public_row(&state, &id).await?;
    let sealed = state.sealed(&id).await?;
    Ok(Json(BoothInfo {
        id,
        state: row.state,
        manifest: sealed.context.manifest.clone(),
        setup_hash: sealed.context.setup_hash,
        election_key: sealed.context.election_key.to_bytes(),
        fingerprint: sealed.context.fingerprint,
    }))
}

async fn cast(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    JsonBody(ballot): JsonBody<Ballot>,
) -> AppResult<Response> {
    state.check_cast_rate(ip)?;
    let row = public_row(&state, &id).await?;
    if row.state != ElectionState::Open {
        return Err(AppError::WrongState(format!(
            "voting is not open (the election is {})",
            row.state.as_str().replace('_', " ")
        )));
    }
    let receipt = crate::cast::cast(&state, &id, ballot).await?;
    Ok(created(receipt))
}

#[derive(Debug, Deserialize)]
struct DocumentQuery {
    elections: String,
}

async fn document(state: &AppState, ids: &str) -> AppResult<Vec<DocumentElection>> {
    let mut out = Vec::new();
    for id in ids.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let result = published_result(state, id).await?;
        let row = public_row(state, id).await?;
        let sealed = state.sealed(id).await?;
        out.push(DocumentElection {
            id: id.to_owned(),
            manifest: sealed.context.manifest.clone(),
            result,
            voters: row.voters,
            total_weight: row.total_weight,
            fingerprint: sealed.context.fingerprint,
            head: row.head,
            entries: row.entries,
        });
    }
    if out.is_empty() {
        return Err(AppError::BadRequest(
            "name the elections: ?elections=ID,ID".into(),
        ));
    }
    Ok(out)
}

async fn results_html(
    State(state): State<AppState>,
    Query(q): Query<DocumentQuery>,
) -> AppResult<Response> {
    let elections = document(&state, &q.elections).await?;
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let html = render_html(&elections, &now, &state.config.base_url());
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response())
}

async fn results_csv(
    State(state): State<AppState>,
    Query(q): Query<DocumentQuery>,
) -> AppResult<Response> {
    let elections = document(&state, &q.elections).await?;
    let csv = render_csv(&elections).map_err(AppError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"result.csv\"",
            ),
        ],
        csv,
    )
        .into_response())
}
