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
