//! Health, metrics and the OpenAPI document.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use crate::error::AppResult;
use crate::state::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
}

async fn healthz(State(state): State<AppState>) -> AppResult<&'static str> {
    state.db.ping().await?;
    Ok("ok")
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    if let Ok(n) = state.db.mail_queue_length().await {
        metrics::gauge!("urna_mail_queue").set(n as f64);
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        crate::metrics::render(),
    )
}

/// The OpenAPI document (spec/openapi.json).
pub(super) const OPENAPI: &str = include_str!("../../../../spec/openapi.json");
