//! The pages load in Chromium with their WebAssembly, in both languages.

mod support;

use support::browser::Browser;
use support::{Database, Server, ServerOptions};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_load_with_their_webassembly_in_both_languages() {
    let Some(browser) = Browser::start(1280, 900).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = Database::sqlite(dir.path());
    let server = Server::start(ServerOptions::new(&db));
    browser.goto(&format!("{}/?lang=en", server.url())).await;
    browser.wait_text("header .brand", "Urna").await;
    assert_eq!(browser.page_lang().await, "en");
    let version = browser
        .eval_async(
            "const done = arguments[arguments.length - 1];
             import('/assets/js/wasm.js').then(m => m.loadUrna()).then(u => done(u.version()), e => done('error: ' + e));",
            vec![],
        )
        .await;
    assert_eq!(version.as_str(), Some(env!("CARGO_PKG_VERSION")));
    browser.goto(&format!("{}/?lang=sv", server.url())).await;
    browser.wait_visible("header .brand").await;
    assert_eq!(browser.page_lang().await, "sv");
    // The choice is remembered without the query.
    browser.goto(&server.url()).await;
    browser.wait_visible("header .brand").await;
    assert_eq!(browser.page_lang().await, "sv");
    browser.close().await;
}

/// The pages are served (without a browser): types, the CSP that lets WebAssembly run and
/// nothing inline, revalidation by ETag, and 404 for what is not there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_are_served_with_types_csp_and_etags() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::sqlite(dir.path());
    let server = Server::start(ServerOptions::new(&db));
    let http = reqwest::Client::new();
    let get = |path: &str| http.get(format!("{}{path}", server.url())).send();
    for (path, page) in [
        ("/", "index.js"),
        ("/elections/abc", "election.js"),
        ("/vote/abc", "vote.js"),
        ("/admin", "admin.js"),
        ("/orderer/some-token", "orderer.js"),
        ("/trustee/abc", "trustee.js"),
    ] {
        let reply = get(path).await.unwrap();
        assert_eq!(reply.status(), 200, "{path}");
        let headers = reply.headers().clone();
        assert!(headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self' 'wasm-unsafe-eval'"),
            "{csp}"
        );
        let scripts = csp
            .split(';')
            .find(|d| d.trim().starts_with("script-src"))
            .unwrap();
        assert!(!scripts.contains("unsafe-inline"), "{csp}");
        assert_eq!(headers["cache-control"], "no-cache");
        let body = reply.text().await.unwrap();
        assert!(
            body.contains(&format!("/assets/js/{page}")),
            "{path} loads {page}"
        );
    }
    let wasm = get("/assets/pkg/urna_wasm_bg.wasm").await.unwrap();
    if support::browser::wasm_built() {
        assert_eq!(wasm.status(), 200);
        assert_eq!(wasm.headers()["content-type"], "application/wasm");
    } else {
        assert_eq!(wasm.status(), 404);
    }
    let js = get("/assets/js/i18n.js").await.unwrap();
    assert!(js.headers()["content-type"]
        .to_str()
        .unwrap()
        .contains("javascript"));
    let etag = js.headers()["etag"].to_str().unwrap().to_string();
    let again = http
        .get(format!("{}/assets/js/i18n.js", server.url()))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert!(again.bytes().await.unwrap().is_empty());
    let changed = http
        .get(format!("{}/assets/js/i18n.js", server.url()))
        .header("if-none-match", "\"something else\"")
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 200);
    for missing in [
        "/assets/js/nothing.js",
        "/assets/../Cargo.toml",
        "/assets/%2e%2e/Cargo.toml",
        "/vote",
        "/trustee",
    ] {
        let reply = get(missing).await.unwrap();
        assert_eq!(reply.status(), 404, "{missing}");
    }
}
