//! The one error type of the HTTP layer. Every failure becomes a status, a stable code and a
//! sentence (spec/api.md §1); internal errors are logged and answered with a bare 500.
//!
//! Database failures are told apart from bugs (issue 7, the database fault tests in
//! crates/urna/tests/server_db_faults.rs): a database that cannot be reached (pool timeout,
//! broken connection, PostgreSQL shutting down) is a 503 `unavailable` with `Retry-After`,
//! storage that refuses writes (disk full, file size limit) a 507 `storage_full`. Either way
//! the transaction did not commit, or its outcome is unknown to this server and a retry
//! finds it (spec/api.md §1).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use sqlx::error::DatabaseError;
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
    /// The database cannot be reached now (logged with its cause, answered without it).
    #[error("the database cannot be reached right now; try again in a few seconds")]
    Unavailable(#[source] anyhow::Error),
    /// The database's storage refuses writes (disk full, file size limit); logged with its
    /// cause, answered without it.
    #[error(
        "the server's storage is full and nothing more can be recorded until space is freed; \
         try again later"
    )]
    StorageFull(#[source] anyhow::Error),
    /// A fault of ours: logged with its cause, answered without it.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// Seconds a client is asked to wait (`Retry-After`) after a 503 `unavailable`: about one
/// pool acquire timeout (crate::db), so a retry meets a database that had time to return.
pub const UNAVAILABLE_RETRY_AFTER: u64 = 5;

/// What a database failure means for the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DbFault {
    /// Cannot reach the database: 503 `unavailable`.
    Unavailable,
    /// The storage refuses writes: 507 `storage_full`.
    StorageFull,
}

/// Classifies a sqlx error; None for anything that is not an availability or storage fault
/// (a bug, a constraint, bad data: those stay 500).
pub(crate) fn classify_sqlx(e: &sqlx::Error) -> Option<DbFault> {
    match e {
        // No connection within the acquire timeout, a connection that broke (reset, EOF,
        // refused), TLS to the server failing, SQLite's worker thread gone, or the pool
        // closing during shutdown.
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => Some(DbFault::Unavailable),
        sqlx::Error::Database(db) => {
            if let Some(sqlite) = db.try_downcast_ref::<sqlx::sqlite::SqliteError>() {
                let code = sqlite.code().and_then(|c| c.parse::<i32>().ok())?;
                classify_sqlite_code(code)
            } else {
                classify_sqlstate(&db.code()?)
            }
        }
        _ => None,
    }
}

/// SQLite extended result codes (https://sqlite.org/rescode.html).
fn classify_sqlite_code(extended: i32) -> Option<DbFault> {
    const SQLITE_BUSY: i32 = 5;
    const SQLITE_IOERR: i32 = 10;
    const SQLITE_FULL: i32 = 13;
    const SQLITE_CANTOPEN: i32 = 14;
    /// SQLITE_IOERR_WRITE: a write(2) failed with something other than ENOSPC, e.g. EFBIG
    /// (the file size limit) or EDQUOT (a quota) — storage refusing writes, like a full disk.
    const SQLITE_IOERR_WRITE: i32 = SQLITE_IOERR | (3 << 8);
    match extended {
        SQLITE_FULL | SQLITE_IOERR_WRITE => Some(DbFault::StorageFull),
        _ => match extended & 0xff {
            // BUSY reaches us only after busy_timeout: the writer lock is held too long.
            SQLITE_BUSY | SQLITE_IOERR | SQLITE_CANTOPEN => Some(DbFault::Unavailable),
            _ => None,
        },
    }
}

/// PostgreSQL SQLSTATE codes (https://www.postgresql.org/docs/current/errcodes-appendix.html).
fn classify_sqlstate(code: &str) -> Option<DbFault> {
    match code {
        // disk_full
        "53100" => Some(DbFault::StorageFull),
        // insufficient_resources, out_of_memory, too_many_connections
        "53000" | "53200" | "53300" => Some(DbFault::Unavailable),
        // admin_shutdown, crash_shutdown, cannot_connect_now, database_dropped
        c if c.starts_with("57P") => Some(DbFault::Unavailable),
        // connection_exception and its subclasses
        c if c.starts_with("08") => Some(DbFault::Unavailable),
        _ => None,
    }
}

/// The database fault somewhere in an error's chain, if any.
fn classify_chain(e: &anyhow::Error) -> Option<DbFault> {
    e.chain()
        .filter_map(|cause| cause.downcast_ref::<sqlx::Error>())
        .find_map(classify_sqlx)
}

/// Results of the HTTP layer.
pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// A wrapped internal failure; a database fault in its chain makes it
    /// [`AppError::Unavailable`] or [`AppError::StorageFull`] instead.
    pub fn internal(e: impl Into<anyhow::Error>) -> Self {
        let e = e.into();
        match classify_chain(&e) {
            Some(DbFault::Unavailable) => Self::Unavailable(e),
            Some(DbFault::StorageFull) => Self::StorageFull(e),
            None => Self::Internal(e),
        }
    }

    /// The same answer again, for each ballot of a batch that failed as a whole (the cause,
    /// not being `Clone`, is kept as text: it was logged once already).
    pub fn replicate(&self) -> Self {
        let cause = |e: &anyhow::Error| anyhow::anyhow!("{e:#}");
        match self {
            Self::BadRequest(m) => Self::BadRequest(m.clone()),
            Self::InvalidJson(m) => Self::InvalidJson(m.clone()),
            Self::InvalidBallot(m) => Self::InvalidBallot(m.clone()),
            Self::AlreadyVoted => Self::AlreadyVoted,
            Self::WrongState(m) => Self::WrongState(m.clone()),
            Self::NotFound(m) => Self::NotFound(m.clone()),
            Self::Unauthorized(m) => Self::Unauthorized(m.clone()),
            Self::Forbidden(m) => Self::Forbidden(m.clone()),
            Self::Csrf => Self::Csrf,
            Self::RateLimited(s) => Self::RateLimited(*s),
            Self::Conflict(m) => Self::Conflict(m.clone()),
            Self::InvalidRoll(lines) => Self::InvalidRoll(lines.clone()),
            Self::TooLarge => Self::TooLarge,
            Self::Unavailable(e) => Self::Unavailable(cause(e)),
            Self::StorageFull(e) => Self::StorageFull(cause(e)),
            Self::Internal(e) => Self::Internal(cause(e)),
        }
    }

    /// The stable code of this error (spec/api.md §1).
    pub fn code(&self) -> &'static str {
        self.parts().1
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
            Self::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            Self::StorageFull(_) => (StatusCode::INSUFFICIENT_STORAGE, "storage_full"),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> Self {
        Self::internal(e)
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        Self::internal(e)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = self.parts();
        match &self {
            Self::Internal(cause) => {
                tracing::error!(error = %format!("{cause:#}"), "internal error")
            }
            Self::Unavailable(cause) => {
                tracing::warn!(error = %format!("{cause:#}"), "database unavailable")
            }
            Self::StorageFull(cause) => {
                tracing::error!(error = %format!("{cause:#}"), "database storage full")
            }
            _ => {}
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
        let retry_after = match self {
            Self::RateLimited(seconds) => Some(seconds),
            Self::Unavailable(_) => Some(UNAVAILABLE_RETRY_AFTER),
            _ => None,
        };
        if let Some(seconds) = retry_after {
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

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;
    use sqlx::Connection;

    fn io(kind: std::io::ErrorKind) -> sqlx::Error {
        sqlx::Error::Io(std::io::Error::from(kind))
    }

    #[test]
    fn lost_connections_and_pool_timeouts_are_unavailable() {
        for e in [
            sqlx::Error::PoolTimedOut,
            sqlx::Error::PoolClosed,
            sqlx::Error::WorkerCrashed,
            io(std::io::ErrorKind::ConnectionRefused),
            io(std::io::ErrorKind::ConnectionReset),
            io(std::io::ErrorKind::UnexpectedEof),
        ] {
            assert_eq!(classify_sqlx(&e), Some(DbFault::Unavailable), "{e}");
        }
        for e in [
            sqlx::Error::RowNotFound,
            sqlx::Error::ColumnNotFound("x".into()),
            sqlx::Error::Protocol("garbage".into()),
        ] {
            assert_eq!(classify_sqlx(&e), None, "{e}");
        }
    }

    #[test]
    fn postgres_sqlstates() {
        assert_eq!(classify_sqlstate("53100"), Some(DbFault::StorageFull));
        for code in [
            "08000", "08003", "08006", "08P01", "57P01", "57P02", "57P03", "53300",
        ] {
            assert_eq!(
                classify_sqlstate(code),
                Some(DbFault::Unavailable),
                "{code}"
            );
        }
        // Constraints, syntax, serialisation, cancellation: not availability.
        for code in ["23505", "42601", "40001", "57014", "XX000", "22P02"] {
            assert_eq!(classify_sqlstate(code), None, "{code}");
        }
    }

    #[test]
    fn sqlite_result_codes() {
        // SQLITE_FULL, SQLITE_IOERR_WRITE
        for code in [13, 778] {
            assert_eq!(
                classify_sqlite_code(code),
                Some(DbFault::StorageFull),
                "{code}"
            );
        }
        // SQLITE_IOERR, IOERR_READ, IOERR_FSYNC, SQLITE_CANTOPEN, SQLITE_BUSY, BUSY_SNAPSHOT
        for code in [10, 266, 1034, 14, 5, 517] {
            assert_eq!(
                classify_sqlite_code(code),
                Some(DbFault::Unavailable),
                "{code}"
            );
        }
        // SQLITE_ERROR, SQLITE_CORRUPT, SQLITE_CONSTRAINT(_UNIQUE), SQLITE_READONLY
        for code in [1, 11, 19, 2067, 8] {
            assert_eq!(classify_sqlite_code(code), None, "{code}");
        }
    }

    #[test]
    fn the_fault_is_found_under_context_and_bugs_stay_internal() {
        let wrapped = anyhow::Error::from(sqlx::Error::PoolTimedOut).context("loading x");
        assert!(matches!(AppError::from(wrapped), AppError::Unavailable(_)));
        let bug = anyhow::anyhow!("a stored hash is not 32 bytes");
        assert!(matches!(AppError::from(bug), AppError::Internal(_)));
        assert!(matches!(
            AppError::from(sqlx::Error::RowNotFound),
            AppError::Internal(_)
        ));
    }

    async fn answer(e: AppError) -> (u16, Option<String>, serde_json::Value) {
        let response = e.into_response();
        let status = response.status().as_u16();
        let retry = response
            .headers()
            .get(axum::http::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, retry, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn answers_carry_a_stable_code_and_never_the_cause() {
        let cause = || {
            anyhow::Error::from(io(std::io::ErrorKind::ConnectionReset))
                .context("secret-host.internal:5432")
        };
        let (status, retry, body) = answer(AppError::internal(cause())).await;
        assert_eq!((status, retry.as_deref()), (503, Some("5")));
        assert_eq!(body["error"], "unavailable");
        let text = body.to_string();
        assert!(
            !text.contains("secret-host") && !text.contains("reset"),
            "{text}"
        );

        let (status, retry, body) = answer(AppError::StorageFull(cause())).await;
        assert_eq!((status, retry), (507, None));
        assert_eq!(body["error"], "storage_full");
        assert!(!body.to_string().contains("secret-host"));

        // A batch's copies answer the same.
        let original = AppError::Unavailable(cause());
        let (status, _, body) = answer(original.replicate()).await;
        assert_eq!((status, body["error"].as_str()), (503, Some("unavailable")));
    }

    /// A real SQLITE_FULL: the database may not grow past a few pages.
    #[tokio::test]
    async fn a_full_sqlite_database_is_storage_full() {
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect("sqlite::memory:")
            .await
            .unwrap();
        sqlx::query("CREATE TABLE t (b BLOB)")
            .execute(&mut conn)
            .await
            .unwrap();
        sqlx::query("PRAGMA max_page_count = 4")
            .execute(&mut conn)
            .await
            .unwrap();
        let e = sqlx::query("INSERT INTO t (b) VALUES ($1)")
            .bind(vec![7u8; 64 * 1024])
            .execute(&mut conn)
            .await
            .unwrap_err();
        assert_eq!(classify_sqlx(&e), Some(DbFault::StorageFull), "{e}");
        assert!(matches!(
            AppError::from(anyhow::Error::from(e)),
            AppError::StorageFull(_)
        ));
    }

    /// A real SQLITE_CANTOPEN: the database's directory is gone.
    #[tokio::test]
    async fn an_unopenable_sqlite_file_is_unavailable() {
        sqlx::any::install_default_drivers();
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/gone/urna.db?mode=rw", dir.path().display());
        let e = sqlx::AnyConnection::connect(&url).await.unwrap_err();
        assert_eq!(classify_sqlx(&e), Some(DbFault::Unavailable), "{e}");
    }
}
