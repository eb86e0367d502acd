//! The HTTP API (spec/api.md): one router per role, merged by [`app`], testable without a
//! socket.

mod admin;
mod ops;
mod orderer;
mod public;
mod trustee;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderName, HeaderValue, Request};
use axum::response::IntoResponse;
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use urna_api::{ElectionSummary, Head};

use crate::db::ElectionRow;
use crate::error::{AppError, AppResult};
use crate::lifecycle::manifest_of;
use crate::schedule::rfc3339;
use crate::state::AppState;

/// The whole application.
pub fn app(state: AppState) -> Router {
    let api = Router::new()
        .merge(public::router())
        .merge(admin::router())
        .merge(orderer::router())
        .merge(trustee::router());
    let mut router = Router::new()
        .nest(urna_api::API_PREFIX, api)
        .merge(ops::router())
        .merge(crate::pages::router())
        .fallback(|| async { AppError::NotFound("no such route".into()) })
        .layer(DefaultBodyLimit::max(state.config.body_limit))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                // The path only: never the query or headers (the orderer's token is in the path
                // of its own routes, so those are cut).
                let path = req.uri().path();
                let path = if path.contains("/orderer/") {
                    "/api/v1/orderer/…"
                } else {
                    path
                };
                tracing::info_span!("http", method = %req.method(), path = %path)
            }),
        );
    let headers: [(HeaderName, &'static str); 6] = [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; \
             img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; \
             form-action 'self'",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (HeaderName::from_static("cross-origin-opener-policy"), "same-origin"),
        (HeaderName::from_static("permissions-policy"), "camera=(), microphone=(), geolocation=()"),
    ];
    for (name, value) in headers {
        router = router.layer(SetResponseHeaderLayer::if_not_present(
            name,
            HeaderValue::from_static(value),
        ));
    }
    if state.config.hsts {
        router = router.layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        ));
    }
    router.with_state(state)
}

/// The public summary of an election row.
pub(crate) fn summary(row: &ElectionRow) -> AppResult<ElectionSummary> {
    Ok(ElectionSummary {
        id: row.id.clone(),
        state: row.state,
        manifest: manifest_of(row)?,
        head: Head {
            entries: row.entries,
            hash: row.head,
        },
        fingerprint: row.fingerprint,
        opens_at: row.opens_at.map(rfc3339),
        closes_at: row.closes_at.map(rfc3339),
        ballots: row.ballots,
        voters: row.voters,
    })
}

pub(crate) async fn election_row(state: &AppState, id: &str) -> AppResult<ElectionRow> {
    state
        .db
        .election(id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no election {id}")))
}

/// JSON with status 201.
pub(crate) fn created<T: serde::Serialize>(value: T) -> axum::response::Response {
    (axum::http::StatusCode::CREATED, axum::Json(value)).into_response()
}
