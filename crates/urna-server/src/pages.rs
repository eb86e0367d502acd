//! The web pages (`web/`): the voting booth, the observer, admin, orderer and trustee pages,
//! with their scripts, translations and the WebAssembly build of `urna-wasm`.
//!
//! A release build embeds every file, so the one binary deploys; a debug build reads them
//! from `web/` at run time, so editing a page needs no rebuild. Every answer carries an ETag
//! (the file's SHA-256) and `no-cache`, so browsers revalidate instead of running stale
//! scripts against a newer server.

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use rust_embed::RustEmbed;

use crate::error::AppError;
use crate::state::AppState;

#[derive(RustEmbed)]
#[folder = "../../web/"]
#[include = "*.html"]
#[include = "assets/**/*"]
#[exclude = "tests/**/*"]
#[exclude = "node_modules/**/*"]
struct Web;

/// The file of the WebAssembly module; its absence means `web/build.sh` was not run.
const WASM: &str = "assets/pkg/urna_wasm_bg.wasm";

/// Whether the WebAssembly build is there (logged at start: without it no page can encrypt).
pub fn wasm_present() -> bool {
    Web::get(WASM).is_some()
}

/// Route → page file.
const PAGES: [(&str, &str); 6] = [
    ("/", "index.html"),
    ("/elections/{id}", "election.html"),
    ("/vote/{id}", "vote.html"),
    ("/admin", "admin.html"),
    ("/orderer/{token}", "orderer.html"),
    ("/trustee/{id}", "trustee.html"),
];

/// The pages' routes. Tokens and credentials travel in fragments (never sent) except the
/// orderer's, which the API has in its path too; the request log cuts it.
pub fn router() -> Router<AppState> {
    PAGES
        .into_iter()
        .fold(Router::new(), |router, (route, page)| {
            router.route(
                route,
                get(move |h: HeaderMap| async move { file(page, &h) }),
            )
        })
        .route("/assets/{*path}", get(asset))
}

async fn asset(Path(path): Path<String>, headers: HeaderMap) -> Response {
    file(&format!("assets/{path}"), &headers)
}

fn file(path: &str, request: &HeaderMap) -> Response {
    let Some(content) = Web::get(path) else {
        return AppError::NotFound(format!("no page {path}")).into_response();
    };
    let etag = format!("\"{}\"", hex::encode(&content.metadata.sha256_hash()[..16]));
    let revalidated = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag));
    let mime = content.metadata.mimetype();
    let mut response = if revalidated {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        content.data.into_owned().into_response()
    };
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(mime) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_and_its_translations_are_embedded() {
        for page in [
            "index.html",
            "election.html",
            "vote.html",
            "admin.html",
            "orderer.html",
            "trustee.html",
        ] {
            assert!(Web::get(page).is_some(), "{page} is missing");
        }
        for lang in ["en", "sv"] {
            assert!(Web::get(&format!("assets/i18n/{lang}/common.json")).is_some());
        }
    }
}
