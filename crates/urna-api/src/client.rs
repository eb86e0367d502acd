//! An async client for Urna's HTTP API (spec/api.md): one typed method per route.
//!
//! A [`Client`] keeps its own cookie store, so each party (admin, observer, voter) should use
//! its own. After [`Client::admin_login`] it remembers the session's CSRF token and sends it in
//! the `x-csrf-token` header with every POST, PUT and DELETE. Orderer and trustee routes take
//! their personal token as an argument (the orderer's in the path, a trustee's as a Bearer
//! token); the client never stores them.
//!
//! Every failure is a [`ClientError`]; an answer with an error status carries the server's
//! [`ApiErrorBody`], so callers can match on its stable code (`already_voted`, `wrong_state`…).

use std::sync::{Arc, RwLock};
use std::time::Duration;

use reqwest::header::{HeaderValue, CONTENT_TYPE, RETRY_AFTER};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use url::Url;
use urna_election::ballot::Ballot;
use urna_election::board::{ElectionResult, TrusteeDecryption, MAX_LINE_BYTES};

use crate::{
    AddElectionAdmin, AdminElection, ApiErrorBody, Approve, BallotLookup, BoardPage, BoothInfo,
    CastReceipt, CreateElection, CreatedElection, ElectionSummary, Head, LoginRequest, MailStatus,
    NewAdmin, OrdererView, Posted, Reject, RollImported, SessionInfo, TrusteeView, API_PREFIX,
    CSRF_HEADER,
};

/// How long a request may take, end to end, unless the client is built otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// How long connecting may take.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a streamed answer may stay silent.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(60);
/// Error answers are cut to this many bytes when they are not the API's JSON.
const MAX_ERROR_TEXT: usize = 512;

/// An error answer from the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    /// The server's error body; for an answer that is not the API's JSON (a proxy's page), the
    /// code is `http_{status}` and the message the start of the text.
    pub body: ApiErrorBody,
    /// The `Retry-After` of a 429 or 503.
    pub retry_after: Option<Duration>,
}

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server answered with an error status.
    #[error("{method} {path}: {} {} ({}): {}", .error.status, status_reason(.error.status), .error.body.error, .error.body.message)]
    Api {
        method: Method,
        path: String,
        error: Box<ApiError>,
    },
    /// No answer: connection refused or reset, timeout, TLS.
    #[error("{method} {path}: {source}")]
    Transport {
        method: Method,
        path: String,
        #[source]
        source: reqwest::Error,
    },
    /// A success status, but the body is not what the API promises.
    #[error("{method} {path}: unexpected answer: {message}")]
    Decode {
        method: Method,
        path: String,
        message: String,
    },
    /// A bad base URL or path segment.
    #[error("invalid URL: {0}")]
    Url(String),
    /// The client could not be built (TLS back end).
    #[error("cannot build the HTTP client: {0}")]
    Build(#[source] reqwest::Error),
}

fn status_reason(status: u16) -> &'static str {
    StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
}

impl ClientError {
    /// The server's error answer, if there was one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Self::Api { error, .. } => Some(error),
            _ => None,
        }
    }

    /// The API's error code (`already_voted`, `wrong_state`, …), if the server answered.
    pub fn code(&self) -> Option<&str> {
        self.api().map(|e| e.body.error.as_str())
    }

    /// The HTTP status, if the server answered.
    pub fn status(&self) -> Option<u16> {
        self.api().map(|e| e.status)
    }

    /// Whether the server never answered (down, unreachable, too slow): worth retrying.
    pub fn is_transport(&self) -> bool {
        matches!(self, Self::Transport { .. })
    }

    /// Whether the same request may succeed later: no answer, 429, 502, 503 or 504.
    pub fn is_retryable(&self) -> bool {
        self.is_transport() || matches!(self.status(), Some(429 | 502 | 503 | 504))
    }
}

/// Results of the client.
pub type ClientResult<T> = Result<T, ClientError>;

/// Settings of a [`Client`].
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// End-to-end limit of one request (not applied to the streamed board).
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// Longest silence while reading an answer (applies to the streamed board too).
    pub read_timeout: Duration,
    /// Idle connections kept per host (raise for many concurrent requests).
    pub pool_max_idle_per_host: usize,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            read_timeout: DEFAULT_READ_TIMEOUT,
            pool_max_idle_per_host: 32,
        }
    }
}

/// A client of one Urna server. Cheap to clone; clones share the cookie store and the
/// session's CSRF token.
#[derive(Clone, Debug)]
pub struct Client {
    http: reqwest::Client,
    /// The server's root, ending in `/`.
    root: Url,
    timeout: Duration,
    csrf: Arc<RwLock<Option<String>>>,
}

/// Checks a value that goes into one path segment (ids, tokens, tracking codes).
fn segment(value: &str) -> ClientResult<&str> {
    if value.is_empty()
        || !value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'))
        || value == "."
        || value == ".."
    {
        return Err(ClientError::Url(format!(
            "{value:?} cannot be a path segment (letters, digits, '-', '_', '.' and '~' only)"
        )));
    }
    Ok(value)
}

/// A comma-separated list of election ids for the result documents.
fn id_list(ids: &[&str]) -> ClientResult<String> {
    if ids.is_empty() {
        return Err(ClientError::Url("name at least one election".into()));
    }
    Ok(ids
        .iter()
        .map(|id| segment(id))
        .collect::<ClientResult<Vec<_>>>()?
        .join(","))
}

impl Client {
    /// A client for the server at `base_url` (e.g. `http://127.0.0.1:8080`; a trailing
    /// `/api/v1` is accepted too).
    pub fn new(base_url: &str) -> ClientResult<Self> {
        Self::with_options(base_url, ClientOptions::default())
    }

    /// A client with other timeouts or pool size.
    pub fn with_options(base_url: &str, options: ClientOptions) -> ClientResult<Self> {
        let mut root = Url::parse(base_url.trim())
            .map_err(|e| ClientError::Url(format!("{base_url}: {e}")))?;
        if !matches!(root.scheme(), "http" | "https") || root.cannot_be_a_base() {
            return Err(ClientError::Url(format!(
                "{base_url}: the server's URL must start with http:// or https://"
            )));
        }
        root.set_query(None);
        root.set_fragment(None);
        let mut path = root.path().trim_end_matches('/').to_owned();
        if let Some(stripped) = path.strip_suffix(API_PREFIX) {
            path = stripped.to_owned();
        }
        root.set_path(&format!("{path}/"));
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .use_rustls_tls()
            .connect_timeout(options.connect_timeout)
            .read_timeout(options.read_timeout)
            .pool_max_idle_per_host(options.pool_max_idle_per_host)
            // `urna serve` closes a connection idle for its header timeout (10 s by default);
            // dropping ours earlier keeps a request from going out on one being closed.
            .pool_idle_timeout(Duration::from_secs(5))
            .user_agent(concat!("urna/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(ClientError::Build)?;
        Ok(Self {
            http,
            root,
            timeout: options.timeout,
            csrf: Arc::new(RwLock::new(None)),
        })
    }

    /// The server's root URL (ending in `/`).
    pub fn base_url(&self) -> &Url {
        &self.root
    }

    /// The URL of an API path (`/elections/…`, under `/api/v1`).
    pub fn api_url(&self, path: &str) -> ClientResult<Url> {
        self.root_url(&format!("{}{path}", API_PREFIX.trim_start_matches('/')))
    }

    /// The URL of a path relative to the server's root (`healthz`).
    fn root_url(&self, relative: &str) -> ClientResult<Url> {
        self.root
            .join(relative.trim_start_matches('/'))
            .map_err(|e| ClientError::Url(format!("{relative}: {e}")))
    }

    /// The session's CSRF token, after [`Client::admin_login`].
    pub fn csrf_token(&self) -> Option<String> {
        self.csrf.read().ok().and_then(|guard| guard.clone())
    }

    fn set_csrf(&self, token: Option<String>) {
        if let Ok(mut guard) = self.csrf.write() {
            *guard = token;
        }
    }

    fn request(&self, method: Method, url: Url) -> RequestBuilder {
        let state_changing = matches!(method, Method::POST | Method::PUT | Method::DELETE);
        let mut builder = self.http.request(method, url);
        if state_changing {
            if let Some(token) = self.csrf_token() {
                if let Ok(value) = HeaderValue::from_str(&token) {
                    builder = builder.header(CSRF_HEADER, value);
                }
            }
        }
        builder
    }

    /// Sends and turns an error status into [`ClientError::Api`].
    async fn send(
        &self,
        method: Method,
        path: &str,
        builder: RequestBuilder,
        timeout: Option<Duration>,
    ) -> ClientResult<Response> {
        let builder = match timeout {
            Some(t) => builder.timeout(t),
            None => builder,
        };
        let response = builder
            .send()
            .await
            .map_err(|source| ClientError::Transport {
                method: method.clone(),
                path: path.to_owned(),
                source,
            })?;
        if response.status().is_success() {
            return Ok(response);
        }
        Err(ClientError::Api {
            error: Box::new(error_of(response).await),
            method,
            path: path.to_owned(),
        })
    }

    async fn json<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&(dyn ErasedBody + Sync)>,
        bearer: Option<&str>,
    ) -> ClientResult<T> {
        let response = self.call(method.clone(), path, body, bearer).await?;
        decode(method, path, response).await
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&(dyn ErasedBody + Sync)>,
        bearer: Option<&str>,
    ) -> ClientResult<Response> {
        let url = self.api_url(path)?;
        let mut builder = self.request(method.clone(), url);
        if let Some(token) = bearer {
            builder = builder.bearer_auth(token);
        }
        if let Some(body) = body {
            let bytes = body.to_json().map_err(|e| ClientError::Decode {
                method: method.clone(),
                path: path.to_owned(),
                message: format!("cannot encode the request: {e}"),
            })?;
            builder = builder.header(CONTENT_TYPE, "application/json").body(bytes);
        }
        self.send(method, path, builder, Some(self.timeout)).await
    }

    async fn text(&self, path: &str) -> ClientResult<String> {
        let response = self.call(Method::GET, path, None, None).await?;
        response.text().await.map_err(|e| ClientError::Decode {
            method: Method::GET,
            path: path.to_owned(),
            message: e.to_string(),
        })
    }

    // -----------------------------------------------------------------------------------------
    // Operations

    /// `GET /healthz`: whether the server and its database answer.
    pub async fn healthz(&self) -> ClientResult<String> {
        let url = self.root_url("healthz")?;
        let response = self
            .send(
                Method::GET,
                "/healthz",
                self.request(Method::GET, url),
                Some(self.timeout),
            )
            .await?;
        response.text().await.map_err(|e| ClientError::Decode {
            method: Method::GET,
            path: "/healthz".into(),
            message: e.to_string(),
        })
    }

    /// `GET /openapi.json`.
    pub async fn openapi(&self) -> ClientResult<serde_json::Value> {
        self.json(Method::GET, "/openapi.json", None, None).await
    }

    // -----------------------------------------------------------------------------------------
    // Public routes

    /// `GET /elections`: every election past `draft`.
    pub async fn elections(&self) -> ClientResult<Vec<ElectionSummary>> {
        self.json(Method::GET, "/elections", None, None).await
    }

    /// `GET /elections/{id}`.
    pub async fn election(&self, id: &str) -> ClientResult<ElectionSummary> {
        let path = format!("/elections/{}", segment(id)?);
        self.json(Method::GET, &path, None, None).await
    }

    /// `GET /elections/{id}/head`.
    pub async fn head(&self, id: &str) -> ClientResult<Head> {
        let path = format!("/elections/{}/head", segment(id)?);
        self.json(Method::GET, &path, None, None).await
    }

    /// `GET /elections/{id}/board?from=SEQ&limit=N`.
    pub async fn board_page(&self, id: &str, from: u64, limit: u64) -> ClientResult<BoardPage> {
        let path = format!(
            "/elections/{}/board?from={from}&limit={limit}",
            segment(id)?
        );
        self.json(Method::GET, &path, None, None).await
    }

    /// `GET /elections/{id}/board.jsonl`, read line by line as it arrives (constant memory).
    pub async fn board_stream(&self, id: &str) -> ClientResult<BoardLines> {
        let path = format!("/elections/{}/board.jsonl", segment(id)?);
        let url = self.api_url(&path)?;
        // No end-to-end limit: a large board takes a while; the read timeout still applies.
        let response = self
            .send(Method::GET, &path, self.request(Method::GET, url), None)
            .await?;
        Ok(BoardLines {
            response,
            path,
            buffer: Vec::new(),
            done: false,
        })
    }

    /// `GET /elections/{id}/ballots/{tracking_code}`; `None` when no ballot has the code.
    pub async fn lookup(
        &self,
        id: &str,
        tracking_code: &str,
    ) -> ClientResult<Option<BallotLookup>> {
        let path = format!(
            "/elections/{}/ballots/{}",
            segment(id)?,
            segment(tracking_code)?
        );
        match self.json(Method::GET, &path, None, None).await {
            Ok(found) => Ok(Some(found)),
            Err(e) if e.status() == Some(404) && e.code() == Some("not_found") => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `GET /elections/{id}/result` (404 `not_found` until published).
    pub async fn result(&self, id: &str) -> ClientResult<ElectionResult> {
        let path = format!("/elections/{}/result", segment(id)?);
        self.json(Method::GET, &path, None, None).await
    }

    /// `GET /results.html?elections=ID,ID…`: the printable result document.
    pub async fn results_html(&self, ids: &[&str]) -> ClientResult<String> {
        self.text(&format!("/results.html?elections={}", id_list(ids)?))
            .await
    }

    /// `GET /results.csv?elections=ID,ID…`.
    pub async fn results_csv(&self, ids: &[&str]) -> ClientResult<String> {
        self.text(&format!("/results.csv?elections={}", id_list(ids)?))
            .await
    }

    // -----------------------------------------------------------------------------------------
    // Voting

    /// `GET /elections/{id}/booth` (from the seal on).
    pub async fn booth(&self, id: &str) -> ClientResult<BoothInfo> {
        let path = format!("/elections/{}/booth", segment(id)?);
        self.json(Method::GET, &path, None, None).await
    }

    /// `POST /elections/{id}/ballots`: 201 with the receipt once the ballot is committed.
    pub async fn cast(&self, id: &str, ballot: &Ballot) -> ClientResult<CastReceipt> {
        let path = format!("/elections/{}/ballots", segment(id)?);
        self.json(Method::POST, &path, Some(&Json(ballot)), None)
            .await
    }

    /// Like [`Client::cast`], for a ballot already encoded as JSON (load tests encode ahead).
    pub async fn cast_json(&self, id: &str, ballot_json: Vec<u8>) -> ClientResult<CastReceipt> {
        let path = format!("/elections/{}/ballots", segment(id)?);
        let url = self.api_url(&path)?;
        let builder = self
            .request(Method::POST, url)
            .header(CONTENT_TYPE, "application/json")
            .body(ballot_json);
        let response = self
            .send(Method::POST, &path, builder, Some(self.timeout))
            .await?;
        decode(Method::POST, &path, response).await
    }

    // -----------------------------------------------------------------------------------------
    // Orderer

    /// `GET /orderer/{token}`.
    pub async fn orderer_view(&self, token: &str) -> ClientResult<OrdererView> {
        let path = format!("/orderer/{}", segment(token)?);
        self.json(Method::GET, &path, None, None)
            .await
            .map_err(redact_orderer)
    }

    /// `POST /orderer/{token}/approve`: the fingerprint must be the one reviewed.
    pub async fn orderer_approve(
        &self,
        token: &str,
        approve: &Approve,
    ) -> ClientResult<ElectionSummary> {
        let path = format!("/orderer/{}/approve", segment(token)?);
        self.json(Method::POST, &path, Some(&Json(approve)), None)
            .await
            .map_err(redact_orderer)
    }

    /// `POST /orderer/{token}/reject`.
    pub async fn orderer_reject(
        &self,
        token: &str,
        reject: &Reject,
    ) -> ClientResult<ElectionSummary> {
        let path = format!("/orderer/{}/reject", segment(token)?);
        self.json(Method::POST, &path, Some(&Json(reject)), None)
            .await
            .map_err(redact_orderer)
    }

    // -----------------------------------------------------------------------------------------
    // Trustees

    /// `GET /trustee/elections/{id}` with the trustee's token.
    pub async fn trustee_view(&self, id: &str, token: &str) -> ClientResult<TrusteeView> {
        let path = format!("/trustee/elections/{}", segment(id)?);
        self.json(Method::GET, &path, None, Some(token)).await
    }

    async fn trustee_post<T: Serialize + Sync>(
        &self,
        id: &str,
        token: &str,
        what: &str,
        body: &T,
    ) -> ClientResult<Posted> {
        let path = format!("/trustee/elections/{}/{what}", segment(id)?);
        self.json(Method::POST, &path, Some(&Json(body)), Some(token))
            .await
    }

    /// `POST /trustee/elections/{id}/round1`.
    pub async fn trustee_round1(
        &self,
        id: &str,
        token: &str,
        package: &urna_crypto::dkg::Round1Package,
    ) -> ClientResult<Posted> {
        self.trustee_post(id, token, "round1", package).await
    }

    /// `POST /trustee/elections/{id}/round2`.
    pub async fn trustee_round2(
        &self,
        id: &str,
        token: &str,
        package: &urna_crypto::dkg::Round2Package,
    ) -> ClientResult<Posted> {
        self.trustee_post(id, token, "round2", package).await
    }

    /// `POST /trustee/elections/{id}/round3`.
    pub async fn trustee_round3(
        &self,
        id: &str,
        token: &str,
        package: &urna_crypto::dkg::Round3Package,
    ) -> ClientResult<Posted> {
        self.trustee_post(id, token, "round3", package).await
    }

    /// `POST /trustee/elections/{id}/decryption`.
    pub async fn trustee_decryption(
        &self,
        id: &str,
        token: &str,
        decryption: &TrusteeDecryption,
    ) -> ClientResult<Posted> {
        self.trustee_post(id, token, "decryption", decryption).await
    }

    // -----------------------------------------------------------------------------------------
    // Admin

    /// `POST /admin/login`: keeps the session cookie and the CSRF token.
    pub async fn admin_login(&self, username: &str, password: &str) -> ClientResult<SessionInfo> {
        let request = LoginRequest {
            username: username.to_owned(),
            password: password.to_owned(),
        };
        let session: SessionInfo = self
            .json(Method::POST, "/admin/login", Some(&Json(&request)), None)
            .await?;
        self.set_csrf(Some(session.csrf_token.clone()));
        Ok(session)
    }

    /// `POST /admin/logout`.
    pub async fn admin_logout(&self) -> ClientResult<()> {
        self.call(Method::POST, "/admin/logout", None, None).await?;
        self.set_csrf(None);
        Ok(())
    }

    /// `GET /admin/session`: refreshes the remembered CSRF token too.
    pub async fn admin_session(&self) -> ClientResult<SessionInfo> {
        let session: SessionInfo = self.json(Method::GET, "/admin/session", None, None).await?;
        self.set_csrf(Some(session.csrf_token.clone()));
        Ok(session)
    }

    /// `POST /admin/accounts`.
    pub async fn admin_create_account(&self, account: &NewAdmin) -> ClientResult<()> {
        self.call(Method::POST, "/admin/accounts", Some(&Json(account)), None)
            .await?;
        Ok(())
    }

    /// `GET /admin/elections`: those this admin administers.
    pub async fn admin_elections(&self) -> ClientResult<Vec<AdminElection>> {
        self.json(Method::GET, "/admin/elections", None, None).await
    }

    /// `POST /admin/elections`: the answer holds the orderer's and the trustees' tokens (once).
    pub async fn create_election(&self, request: &CreateElection) -> ClientResult<CreatedElection> {
        self.json(Method::POST, "/admin/elections", Some(&Json(request)), None)
            .await
    }

    /// `GET /admin/elections/{id}`.
    pub async fn admin_election(&self, id: &str) -> ClientResult<AdminElection> {
        let path = format!("/admin/elections/{}", segment(id)?);
        self.json(Method::GET, &path, None, None).await
    }

    /// `POST /admin/elections/{id}/admins`.
    pub async fn add_election_admin(
        &self,
        id: &str,
        username: &str,
    ) -> ClientResult<AdminElection> {
        let path = format!("/admin/elections/{}/admins", segment(id)?);
        let body = AddElectionAdmin {
            username: username.to_owned(),
        };
        self.json(Method::POST, &path, Some(&Json(&body)), None)
            .await
    }

    /// `PUT /admin/elections/{id}/roll` with a CSV roll (`email,name[,weight]`, header first).
    /// A roll with errors is refused whole: 422 `invalid_roll`, every bad line in `details`.
    pub async fn put_roll(&self, id: &str, csv: &str) -> ClientResult<RollImported> {
        let path = format!("/admin/elections/{}/roll", segment(id)?);
        let url = self.api_url(&path)?;
        let builder = self
            .request(Method::PUT, url)
            .header(CONTENT_TYPE, "text/csv; charset=utf-8")
            .body(csv.to_owned());
        let response = self
            .send(Method::PUT, &path, builder, Some(self.timeout))
            .await?;
        decode(Method::PUT, &path, response).await
    }

    async fn admin_step(&self, id: &str, step: &str) -> ClientResult<ElectionSummary> {
        let path = format!("/admin/elections/{}/{step}", segment(id)?);
        self.json(Method::POST, &path, None, None).await
    }

    /// `POST /admin/elections/{id}/ceremony`: draft → key_ceremony.
    pub async fn start_ceremony(&self, id: &str) -> ClientResult<ElectionSummary> {
        self.admin_step(id, "ceremony").await
    }

    /// `POST /admin/elections/{id}/open`: scheduled → open.
    pub async fn open(&self, id: &str) -> ClientResult<ElectionSummary> {
        self.admin_step(id, "open").await
    }

    /// `POST /admin/elections/{id}/close`: open → tallying.
    pub async fn close(&self, id: &str) -> ClientResult<ElectionSummary> {
        self.admin_step(id, "close").await
    }

    /// `POST /admin/elections/{id}/mail/retry`: queues the failed invitations again.
    pub async fn retry_mail(&self, id: &str) -> ClientResult<MailStatus> {
        let path = format!("/admin/elections/{}/mail/retry", segment(id)?);
        self.json(Method::POST, &path, None, None).await
    }
}

/// The orderer's token is a secret in the path: keep it out of error messages.
fn redact_orderer(error: ClientError) -> ClientError {
    let redact = |path: String| {
        let mut parts: Vec<String> = path.split('/').map(str::to_owned).collect();
        if let Some(i) = parts.iter().position(|p| p == "orderer") {
            if let Some(token) = parts.get_mut(i + 1) {
                *token = "…".into();
            }
        }
        parts.join("/")
    };
    match error {
        ClientError::Api {
            method,
            path,
            error,
        } => ClientError::Api {
            method,
            path: redact(path),
            error,
        },
        ClientError::Transport {
            method,
            path,
            source,
        } => ClientError::Transport {
            method,
            path: redact(path),
            source: source.without_url(),
        },
        ClientError::Decode {
            method,
            path,
            message,
        } => ClientError::Decode {
            method,
            path: redact(path),
            message,
        },
        other => other,
    }
}

/// A request body, encoded when sent.
trait ErasedBody {
    fn to_json(&self) -> serde_json::Result<Vec<u8>>;
}

struct Json<'a, T: ?Sized>(&'a T);

impl<T: Serialize + ?Sized> ErasedBody for Json<'_, T> {
    fn to_json(&self) -> serde_json::Result<Vec<u8>> {
        serde_json::to_vec(self.0)
    }
}

async fn decode<T: DeserializeOwned>(
    method: Method,
    path: &str,
    response: Response,
) -> ClientResult<T> {
    let bytes = response
        .bytes()
        .await
        .map_err(|source| ClientError::Transport {
            method: method.clone(),
            path: path.to_owned(),
            source,
        })?;
    serde_json::from_slice(&bytes).map_err(|e| ClientError::Decode {
        method,
        path: path.to_owned(),
        message: e.to_string(),
    })
}

fn retry_after(response: &Response) -> Option<Duration> {
    let value = response.headers().get(RETRY_AFTER)?.to_str().ok()?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// Reads an error answer: the API's JSON body, or the start of whatever else came.
async fn error_of(response: Response) -> ApiError {
    let status = response.status().as_u16();
    let retry_after = retry_after(&response);
    let bytes = response.bytes().await.unwrap_or_default();
    let body = serde_json::from_slice::<ApiErrorBody>(&bytes).unwrap_or_else(|_| {
        let text = String::from_utf8_lossy(&bytes[..bytes.len().min(MAX_ERROR_TEXT)])
            .trim()
            .to_owned();
        ApiErrorBody {
            error: format!("http_{status}"),
            message: if text.is_empty() {
                status_reason(status).to_owned()
            } else {
                text
            },
            details: Vec::new(),
        }
    });
    ApiError {
        status,
        body,
        retry_after,
    }
}

/// The lines of a streamed `board.jsonl`, as they arrive.
#[derive(Debug)]
pub struct BoardLines {
    response: Response,
    path: String,
    buffer: Vec<u8>,
    done: bool,
}

impl BoardLines {
    /// The next non-empty line (without its newline), or `None` at the end of the board.
    /// A line longer than the record format allows, or not UTF-8, is an error.
    pub async fn next_line(&mut self) -> ClientResult<Option<String>> {
        loop {
            if let Some(end) = self.buffer.iter().position(|&b| b == b'\n') {
                let mut line: Vec<u8> = self.buffer.drain(..=end).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                if line.is_empty() {
                    continue;
                }
                return self.utf8(line).map(Some);
            }
            if self.buffer.len() > MAX_LINE_BYTES {
                return Err(self.bad("a board line is longer than the record format allows"));
            }
            if self.done {
                if self.buffer.is_empty() {
                    return Ok(None);
                }
                let line = core::mem::take(&mut self.buffer);
                return self.utf8(line).map(Some);
            }
            match self.response.chunk().await {
                Ok(Some(chunk)) => self.buffer.extend_from_slice(&chunk),
                Ok(None) => self.done = true,
                Err(source) => {
                    return Err(ClientError::Transport {
                        method: Method::GET,
                        path: self.path.clone(),
                        source,
                    })
                }
            }
        }
    }

    fn utf8(&self, line: Vec<u8>) -> ClientResult<String> {
        String::from_utf8(line).map_err(|_| self.bad("a board line is not UTF-8"))
    }

    fn bad(&self, message: &str) -> ClientError {
        ClientError::Decode {
            method: Method::GET,
            path: self.path.clone(),
            message: message.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_normalised() {
        for base in [
            "http://127.0.0.1:8080",
            "http://127.0.0.1:8080/",
            "http://127.0.0.1:8080/api/v1",
            "http://127.0.0.1:8080/api/v1/",
        ] {
            let client = Client::new(base).unwrap();
            assert_eq!(client.base_url().as_str(), "http://127.0.0.1:8080/");
            assert_eq!(
                client.api_url("/elections/e-1/head").unwrap().as_str(),
                "http://127.0.0.1:8080/api/v1/elections/e-1/head"
            );
            assert_eq!(
                client.root_url("healthz").unwrap().as_str(),
                "http://127.0.0.1:8080/healthz"
            );
        }
        let client = Client::new("https://val.example.edu/urna").unwrap();
        assert_eq!(
            client.api_url("/elections").unwrap().as_str(),
            "https://val.example.edu/urna/api/v1/elections"
        );
        assert!(Client::new("ftp://example.edu").is_err());
        assert!(Client::new("not a url").is_err());
    }

    #[test]
    fn path_segments_are_checked() {
        assert!(segment("teachers").is_ok());
        assert!(segment("ABCD-EFGH-IJKL-MNOP").is_ok());
        for bad in ["", ".", "..", "a/b", "a?b", "a#b", "a b", "ä"] {
            assert!(segment(bad).is_err(), "{bad:?}");
        }
        assert_eq!(id_list(&["a", "b"]).unwrap(), "a,b");
        assert!(id_list(&[]).is_err());
        assert!(id_list(&["a,b"]).is_err());
    }

    #[test]
    fn orderer_tokens_are_redacted_from_errors() {
        let error = redact_orderer(ClientError::Decode {
            method: Method::GET,
            path: "/orderer/SECRETTOKEN/approve".into(),
            message: "x".into(),
        });
        let text = error.to_string();
        assert!(!text.contains("SECRETTOKEN"), "{text}");
        assert!(text.contains("/orderer/…/approve"), "{text}");
    }
}
