//! The HTTP API (spec/api.md): one router per role, merged by [`app`], testable without a
//! socket.

mod admin;
mod ops;
mod orderer;
mod public;
mod trustee;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderName, HeaderValue, Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use http_body::{Body as _, Frame, SizeHint};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use urna_api::{ApiErrorBody, ElectionSummary, Head};

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
        .layer(axum::middleware::from_fn_with_state(
            (state.config.body_timeout_secs > 0)
                .then(|| Duration::from_secs(state.config.body_timeout_secs)),
            guard_body,
        ))
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
pub(crate) fn created<T: serde::Serialize>(value: T) -> Response {
    (StatusCode::CREATED, Json(value)).into_response()
}

/// What a [`GuardedBody`] tells the middleware after the handler ran.
#[derive(Debug, Default)]
struct BodyFlags {
    /// The body was read to its end (or there was none).
    finished: AtomicBool,
    /// The body's deadline passed before its end arrived.
    timed_out: AtomicBool,
}

/// A request body with a deadline for its whole arrival, which records whether it was read to
/// the end. Only the reading of the request is bounded, never the handler's own work: a handler
/// cut off half-way could leave several writes half done.
struct GuardedBody {
    inner: Body,
    deadline: Option<Pin<Box<tokio::time::Sleep>>>,
    flags: Arc<BodyFlags>,
}

impl http_body::Body for GuardedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        if this.flags.timed_out.load(Ordering::Relaxed) {
            return Poll::Ready(Some(Err(axum::Error::new("request body timed out"))));
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(None) => {
                this.flags.finished.store(true, Ordering::Relaxed);
                Poll::Ready(None)
            }
            Poll::Ready(Some(frame)) => {
                if this.inner.is_end_stream() {
                    this.flags.finished.store(true, Ordering::Relaxed);
                }
                Poll::Ready(Some(frame))
            }
            Poll::Pending => {
                let expired = match &mut this.deadline {
                    Some(deadline) => deadline.as_mut().poll(cx).is_ready(),
                    None => false,
                };
                if expired {
                    this.flags.timed_out.store(true, Ordering::Relaxed);
                    Poll::Ready(Some(Err(axum::Error::new("request body timed out"))))
                } else {
                    Poll::Pending
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Bounds the time a request body may take to arrive (`body_timeout_secs`: 408 `timeout`
/// after it), and answers `Connection: close` whenever the response goes out before the body
/// was read to its end (413, a refusal before the body was looked at, a timeout): the rest of
/// that body is still on the socket, so the connection cannot carry another request and a
/// client must not try to reuse it.
async fn guard_body(
    axum::extract::State(timeout): axum::extract::State<Option<Duration>>,
    request: axum::extract::Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let flags = Arc::new(BodyFlags::default());
    if body.is_end_stream() {
        flags.finished.store(true, Ordering::Relaxed);
    }
    let guarded = GuardedBody {
        inner: body,
        deadline: timeout.map(|t| Box::pin(tokio::time::sleep(t))),
        flags: flags.clone(),
    };
    let mut response = next
        .run(axum::extract::Request::from_parts(
            parts,
            Body::new(guarded),
        ))
        .await;
    if flags.timed_out.load(Ordering::Relaxed) {
        tracing::info!("request body did not arrive in time");
        response = (
            StatusCode::REQUEST_TIMEOUT,
            Json(ApiErrorBody {
                error: "timeout".into(),
                message: "the request body did not arrive in time".into(),
                details: Vec::new(),
            }),
        )
            .into_response();
    }
    if !flags.finished.load(Ordering::Relaxed) {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}
