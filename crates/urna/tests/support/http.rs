//! Raw HTTP against a running server: every answer as status + headers + body, so tests can
//! check the exact error codes (spec/api.md §1).

use std::io::{Read, Write};
use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// One answer.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    /// The body as JSON (Null when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    /// The body as a wire type; panics with the body when it does not parse.
    pub fn parse<T: DeserializeOwned>(&self) -> T {
        serde_json::from_str(&self.body).unwrap_or_else(|e| {
            panic!(
                "cannot parse the answer ({e}): {} {}",
                self.status, self.body
            )
        })
    }

    /// The `error` code of an error body ("" when there is none).
    pub fn error(&self) -> String {
        self.json()["error"].as_str().unwrap_or("").to_owned()
    }

    /// Asserts the status; returns self for chaining.
    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(self.status, status, "unexpected answer: {}", self.body);
        self
    }

    /// Asserts status and error code.
    #[track_caller]
    pub fn expect_error(self, status: u16, code: &str) -> Self {
        assert_eq!(
            (self.status, self.error().as_str()),
            (status, code),
            "unexpected answer: {}",
            self.body
        );
        self
    }
}

/// Paths are taken as given when they start with `/api/`, `/healthz` or `/metrics`; anything
/// else gets the `/api/v1` prefix.
pub fn full_path(path: &str) -> String {
    if path.starts_with("/api/") || path.starts_with("/healthz") || path.starts_with("/metrics") {
        path.to_owned()
    } else {
        format!("{}{path}", urna_api::API_PREFIX)
    }
}

/// An HTTP client for one server.
#[derive(Clone, Debug)]
pub struct Api {
    pub base: String,
    client: reqwest::Client,
}

impl Api {
    pub fn new(base: &str) -> Self {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(120))
            .pool_max_idle_per_host(64)
            .build()
            .expect("HTTP client");
        Self {
            base: base.trim_end_matches('/').to_owned(),
            client,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, full_path(path))
    }

    /// Any request: method, path, extra headers, optional body with its content type.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<(&str, Vec<u8>)>,
    ) -> Reply {
        let build = || {
            let mut req = self.client.request(method.clone(), self.url(path));
            for (k, v) in headers {
                req = req.header(*k, *v);
            }
            if let Some((content_type, bytes)) = &body {
                req = req
                    .header("content-type", *content_type)
                    .body(bytes.clone());
            }
            req
        };
        let resp = match build().send().await {
            Ok(resp) => resp,
            // The server closes a connection after refusing a body it did not read; a pooled
            // connection can be picked for the next request just as it closes. A GET is
            // idempotent, so it is retried once on a fresh connection, as browsers do.
            Err(e) if method == Method::GET && !e.is_timeout() => build()
                .send()
                .await
                .unwrap_or_else(|e| panic!("{method} {path} (retried): {e}")),
            Err(e) => panic!("{method} {path}: {e}"),
        };
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.text().await.unwrap_or_default();
        Reply {
            status,
            headers,
            body,
        }
    }

    /// Like [`Api::request`] but returns the transport error instead of panicking.
    pub async fn try_request(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<(&str, Vec<u8>)>,
    ) -> Result<Reply, reqwest::Error> {
        let mut req = self.client.request(method, self.url(path));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some((content_type, bytes)) = body {
            req = req.header("content-type", content_type).body(bytes);
        }
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.text().await?;
        Ok(Reply {
            status,
            headers,
            body,
        })
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.request(Method::GET, path, &[], None).await
    }

    pub async fn post<T: Serialize + ?Sized>(&self, path: &str, json: &T) -> Reply {
        let bytes = serde_json::to_vec(json).expect("JSON");
        self.request(Method::POST, path, &[], Some(("application/json", bytes)))
            .await
    }

    /// POST with a raw body sent as application/json (for malformed bodies).
    pub async fn post_raw(&self, path: &str, body: &[u8]) -> Reply {
        self.request(
            Method::POST,
            path,
            &[],
            Some(("application/json", body.to_vec())),
        )
        .await
    }

    /// A trustee's GET.
    pub async fn trustee_get(&self, path: &str, token: &str) -> Reply {
        let auth = format!("Bearer {token}");
        self.request(Method::GET, path, &[("authorization", &auth)], None)
            .await
    }

    /// A trustee's POST.
    pub async fn trustee_post<T: Serialize + ?Sized>(
        &self,
        path: &str,
        token: &str,
        json: &T,
    ) -> Reply {
        let auth = format!("Bearer {token}");
        let bytes = serde_json::to_vec(json).expect("JSON");
        self.request(
            Method::POST,
            path,
            &[("authorization", &auth)],
            Some(("application/json", bytes)),
        )
        .await
    }

    /// `GET /elections/{id}/head` as (entries, hash hex).
    pub async fn head(&self, id: &str) -> (u64, String) {
        let v = self
            .get(&format!("/elections/{id}/head"))
            .await
            .expect(200)
            .json();
        (
            v["entries"].as_u64().expect("entries"),
            v["hash"].as_str().expect("hash").to_owned(),
        )
    }

    /// `GET /elections/{id}` → state.
    pub async fn state(&self, id: &str) -> String {
        self.get(&format!("/elections/{id}"))
            .await
            .expect(200)
            .json()["state"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    }

    /// Whether `/healthz` answers 200 `ok`.
    pub async fn healthy(&self) -> bool {
        match self.try_request(Method::GET, "/healthz", &[], None).await {
            Ok(r) => r.status == 200 && r.body.trim() == "ok",
            Err(_) => false,
        }
    }

    /// The whole `board.jsonl`.
    pub async fn board_jsonl(&self, id: &str) -> String {
        self.get(&format!("/elections/{id}/board.jsonl"))
            .await
            .expect(200)
            .body
    }
}

/// A logged-in admin: the session cookie and CSRF token, sent by hand so tests can leave
/// either out.
#[derive(Clone, Debug)]
pub struct Admin {
    pub api: Api,
    /// `urna_session=…`
    pub cookie: String,
    pub csrf: String,
}

impl Admin {
    pub async fn login(api: &Api, username: &str, password: &str) -> Self {
        let reply = api
            .post(
                "/admin/login",
                &serde_json::json!({"username": username, "password": password}),
            )
            .await
            .expect(200);
        let cookie = reply
            .headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(urna_api::SESSION_COOKIE))
            .expect("the login sets the session cookie");
        let cookie = cookie.split(';').next().expect("cookie").trim().to_owned();
        let csrf = reply.json()["csrf_token"]
            .as_str()
            .expect("csrf_token")
            .to_owned();
        Self {
            api: api.clone(),
            cookie,
            csrf,
        }
    }

    fn headers(&self) -> [(&str, &str); 2] {
        [
            ("cookie", self.cookie.as_str()),
            (urna_api::CSRF_HEADER, self.csrf.as_str()),
        ]
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.api
            .request(Method::GET, path, &self.headers()[..1], None)
            .await
    }

    pub async fn post<T: Serialize + ?Sized>(&self, path: &str, json: &T) -> Reply {
        let bytes = serde_json::to_vec(json).expect("JSON");
        self.api
            .request(
                Method::POST,
                path,
                &self.headers(),
                Some(("application/json", bytes)),
            )
            .await
    }

    /// A POST without a body (state transitions).
    pub async fn post_empty(&self, path: &str) -> Reply {
        self.api
            .request(Method::POST, path, &self.headers(), None)
            .await
    }

    pub async fn put_csv(&self, path: &str, csv: &str) -> Reply {
        self.api
            .request(
                Method::PUT,
                path,
                &self.headers(),
                Some(("text/csv", csv.as_bytes().to_vec())),
            )
            .await
    }
}

/// A plain GET over a std socket (for sync code such as `Drop` and health checks): (status,
/// body).
pub fn blocking_get(url: &str) -> std::io::Result<(u16, String)> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| std::io::Error::other("http:// only"))?;
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let mut stream = std::net::TcpStream::connect(host)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )?;
    let mut text = String::new();
    stream.read_to_string(&mut text)?;
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}
