//! The one error type of the HTTP layer. Every failure becomes a status, a stable code and a
//! sentence (spec/api.md §1); internal errors are logged and answered with a bare 500.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use urna_api::{ApiErrorBody, LineError};

/// What a request can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    InvalidJson(String),
    #[error("{0}")]
    InvalidBallot(String),
    #[error("this credential has already voted; a cast ballot is final")]
    AlreadyVoted,
    #[error("{0}")]
    WrongState(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("missing or wrong CSRF token (send the session's token in the x-csrf-token header)")]
    Csrf,
    #[error("too many requests from this address; try again in {0} s")]
    RateLimited(u64),
    #[error("{0}")]
    Conflict(String),
    #[error("the roll has errors; nothing was imported")]
    InvalidRoll(Vec<LineError>),
    #[error("the request body is too large")]
    TooLarge,
    /// A fault of ours: logged with its cause, answered without it.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// Results of the HTTP layer.
pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// A wrapped internal failure.
    pub fn internal(e: impl Into<anyhow::Error>) -> Self {
        Self::Internal(e.into())
    }

    fn parts(&self) -> (StatusCode, &'static str) {
        match self {
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            Self::InvalidJson(_) => (StatusCode::BAD_REQUEST, "invalid_json"),
            Self::InvalidBallot(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_ballot"),
            Self::AlreadyVoted => (StatusCode::CONFLICT, "already_voted"),
            Self::WrongState(_) => (StatusCode::CONFLICT, "wrong_state"),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Self::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            Self::Csrf => (StatusCode::FORBIDDEN, "csrf"),
            Self::RateLimited(_) => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            Self::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            Self::InvalidRoll(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_roll"),
            Self::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> Self {
        Self::Internal(e)
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        Self::Internal(e.into())
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = self.parts();
        if let Self::Internal(cause) = &self {
            tracing::error!(error = %format!("{cause:#}"), "internal error");
        }
        let details = match &self {
            Self::InvalidRoll(lines) => lines.clone(),
            _ => Vec::new(),
        };
        let body = ApiErrorBody {
            error: code.into(),
            message: self.to_string(),
            details,
        };
        let mut response = (status, Json(body)).into_response();
        if let Self::RateLimited(seconds) = self {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(seconds),
            );
        }
        response
    }
}

/// A JSON body extractor whose rejections are ours (code `invalid_json` / `too_large`),
/// not axum's plain-text ones.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for JsonBody<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        use axum::extract::rejection::JsonRejection;
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(Self(value)),
            Err(JsonRejection::BytesRejection(e))
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE =>
            {
                Err(AppError::TooLarge)
            }
            Err(JsonRejection::MissingJsonContentType(_)) => Err(AppError::InvalidJson(
                "send the body as application/json".into(),
            )),
            Err(e) => Err(AppError::InvalidJson(e.body_text())),
        }
    }
}
