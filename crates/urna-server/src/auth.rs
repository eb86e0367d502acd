//! Credentials of the people who run elections: admin passwords (argon2id), sessions with a
//! CSRF token derived from the session token, and the random tokens of trustees and orderers
//! (stored as SHA-256 hashes).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, Method};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use urna_api::{CSRF_HEADER, SESSION_COOKIE};

use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// A fresh 128-bit token, lower-case base32 (26 characters).
pub fn random_token() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    data_encoding::BASE32_NOPAD
        .encode(&bytes)
        .to_ascii_lowercase()
}

/// What the database keeps of a token.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::new()
        .chain_update(b"urna/token/v1\0")
        .chain_update(token.trim().as_bytes())
        .finalize()
        .to_vec()
}

/// The CSRF token of a session: a hash of the session token, so that the database keeps
/// nothing of it (spec/secrets.md F4) and the page, which sees it, learns nothing of the
/// cookie. A cross-site page can read neither.
pub fn csrf_token_for(session_token: &str) -> String {
    hex::encode(
        Sha256::new()
            .chain_update(b"urna/csrf/v1\0")
            .chain_update(session_token.trim().as_bytes())
            .finalize(),
    )
}

/// An argon2id hash in PHC format.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let mut salt = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("cannot hash the password: {e}"))
}

/// Checks a password against a PHC hash (slow on purpose: run off the async threads).
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// The client's address: the socket peer, or X-Forwarded-For's first hop behind a trusted proxy.
pub fn client_ip(parts: &Parts, trust_proxy: bool) -> IpAddr {
    if trust_proxy {
        let forwarded = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse().ok());
        if let Some(ip) = forwarded {
            return ip;
        }
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

/// The client address as an extractor.
#[derive(Clone, Copy, Debug)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> AppResult<Self> {
        Ok(Self(client_ip(parts, state.config.trust_proxy)))
    }
}

/// The session cookie's value.
pub fn session_cookie(parts: &Parts) -> Option<String> {
    session_cookie_value(&parts.headers)
}

/// The session cookie's value from request headers.
pub fn session_cookie_value(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.to_owned())
}

/// A logged-in admin. Unsafe methods also need the CSRF header.
#[derive(Clone)]
pub struct Admin {
    pub id: i64,
    pub username: String,
    pub csrf_token: String,
}

impl std::fmt::Debug for Admin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admin")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("csrf_token", &"<redacted>")
            .finish()
    }
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> AppResult<Self> {
        let token = session_cookie(parts)
            .ok_or_else(|| AppError::Unauthorized("log in as an admin first".into()))?;
        let session = state
            .db
            .session(&token_hash(&token))
            .await?
            .ok_or_else(|| AppError::Unauthorized("the session has ended; log in again".into()))?;
        let csrf_token = csrf_token_for(&token);
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if !safe {
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let ok: bool = sent.as_bytes().ct_eq(csrf_token.as_bytes()).into();
            if !ok {
                return Err(AppError::Csrf);
            }
        }
        Ok(Self {
            id: session.admin_id,
            username: session.username,
            csrf_token,
        })
    }
}

/// A trustee's bearer token (checked against the election in the handler).
#[derive(Clone, Debug)]
pub struct BearerToken(pub String);

impl<S: Send + Sync> FromRequestParts<S> for BearerToken {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> AppResult<Self> {
        parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| Self(t.trim().to_owned()))
            .ok_or_else(|| {
                AppError::Unauthorized("send the trustee token as 'Authorization: Bearer …'".into())
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_themselves() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("correct horsf", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = random_token();
        let b = random_token();
        assert_eq!(a.len(), 26);
        assert_ne!(a, b);
        assert_eq!(token_hash(&a), token_hash(&format!(" {a} ")));
        assert_ne!(token_hash(&a), token_hash(&b));
    }

    /// The CSRF token is a function of the session token alone (so nothing is stored), one per
    /// session, and neither the token nor what the database keeps of it (`token_hash`).
    #[test]
    fn csrf_tokens_derive_from_the_session_token() {
        let a = random_token();
        let b = random_token();
        let csrf = csrf_token_for(&a);
        assert_eq!(csrf.len(), 64);
        assert!(csrf.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(csrf, csrf_token_for(&a));
        assert_ne!(csrf, csrf_token_for(&b));
        assert_ne!(csrf, a);
        assert_ne!(csrf, hex::encode(token_hash(&a)));
        let admin = Admin {
            id: 1,
            username: "it-staff".into(),
            csrf_token: csrf.clone(),
        };
        assert!(!format!("{admin:?}").contains(&csrf));
    }
}
