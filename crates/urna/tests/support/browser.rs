//! Headless Chromium (Debian's `chromium` and `chromium-driver`) driven over WebDriver, for the
//! browser tests (crates/urna/tests/browser_*.rs).
//!
//! Without chromedriver the browser tests are skipped with a message, unless
//! URNA_REQUIRE_BROWSER is set (CI sets it): then they fail. Screenshots go to
//! `target/browser-artifacts/` (or URNA_BROWSER_ARTIFACTS).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

/// How long a page may take to show what a test waits for.
pub const WAIT: Duration = Duration::from_secs(30);

fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path).chain([PathBuf::from("/usr/bin")]) {
        for name in names {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    None
}

/// Where screenshots and other artifacts are written.
pub fn artifacts_dir() -> PathBuf {
    let dir = std::env::var_os("URNA_BROWSER_ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| super::repo_root().join("target").join("browser-artifacts"));
    std::fs::create_dir_all(&dir).expect("artifacts directory");
    dir
}

/// Whether the pages' WebAssembly was built (web/build.sh).
pub fn wasm_built() -> bool {
    super::repo_root()
        .join("web/assets/pkg/urna_wasm_bg.wasm")
        .is_file()
}

/// A Chromium session. Dropping it ends chromedriver (and with it the browser).
#[derive(Debug)]
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
    downloads: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Whether browser tests must run (CI) rather than be skipped.
fn required() -> bool {
    std::env::var_os("URNA_REQUIRE_BROWSER").is_some()
}

impl Browser {
    /// Starts chromedriver and a headless Chromium with a `width`×`height` window; None (after
    /// saying why) when chromedriver, Chromium or the WebAssembly build is missing and the
    /// browser tests are not required.
    pub async fn start(width: u32, height: u32) -> Option<Browser> {
        let driver = find_program(&["chromedriver"]);
        let chromium = find_program(&["chromium", "chromium-browser", "google-chrome"]);
        let (Some(driver), Some(chromium)) = (driver, chromium) else {
            assert!(
                !required(),
                "URNA_REQUIRE_BROWSER is set but chromium/chromedriver are not installed"
            );
            eprintln!(
                "SKIPPED: browser test (install Debian's chromium and chromium-driver to run it)"
            );
            return None;
        };
        if !wasm_built() {
            assert!(
                !required(),
                "URNA_REQUIRE_BROWSER is set but web/build.sh has not been run"
            );
            eprintln!("SKIPPED: browser test (run web/build.sh first)");
            return None;
        }
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
            listener.local_addr().expect("address").port()
        };
        let child = Command::new(&driver)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting chromedriver");
        let profile = tempfile::Builder::new()
            .prefix("urna-chromium-")
            .tempdir()
            .expect("profile directory");
        let downloads = tempfile::Builder::new()
            .prefix("urna-downloads-")
            .tempdir()
            .expect("downloads directory");
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chromium,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--disable-quic",
                    "--no-first-run",
                    "--lang=en-GB",
                    format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", profile.path().display()),
                ],
                "prefs": {
                    "download.default_directory": downloads.path(),
                    "download.prompt_for_download": false,
                },
            }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(client) => break client,
                Err(e) if started.elapsed() < Duration::from_secs(30) => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => panic!("chromedriver did not start a session: {e}"),
            }
        };
        Some(Browser {
            client,
            driver: child,
            _profile: profile,
            downloads,
        })
    }

    /// Where the browser saves downloads.
    pub fn downloads_dir(&self) -> &Path {
        self.downloads.path()
    }

    /// Waits for a finished download whose name ends with `suffix`; returns its path.
    pub async fn wait_download(&self, suffix: &str) -> PathBuf {
        let started = Instant::now();
        while started.elapsed() < WAIT {
            if let Ok(entries) = std::fs::read_dir(self.downloads.path()) {
                for entry in entries.flatten() {
                    let name = entry.file_name().to_string_lossy().to_string();
                    if name.ends_with(suffix) && !name.ends_with(".crdownload") {
                        return entry.path();
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no download ending in {suffix} after {WAIT:?}");
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("navigate");
    }

    /// Waits for an element matching `css` to exist.
    pub async fn wait_for(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css} after {WAIT:?}: {e}"))
    }

    /// Waits until the element at `css` is displayed and its text contains `text`; returns
    /// the text.
    pub async fn wait_text(&self, css: &str, text: &str) -> String {
        let started = Instant::now();
        let mut last = String::new();
        while started.elapsed() < WAIT {
            if let Ok(el) = self.client.find(Locator::Css(css)).await {
                if el.is_displayed().await.unwrap_or(false) {
                    last = el.text().await.unwrap_or_default();
                    if last.contains(text) {
                        return last;
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{css} never showed {text:?}; last text: {last:?}");
    }

    /// Waits until `css` matches a displayed element.
    pub async fn wait_visible(&self, css: &str) -> Element {
        let started = Instant::now();
        while started.elapsed() < WAIT {
            if let Ok(el) = self.client.find(Locator::Css(css)).await {
                if el.is_displayed().await.unwrap_or(false) {
                    return el;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{css} never became visible");
    }

    /// Runs JavaScript in the page (`arguments[i]` are `args`) and returns its value.
    pub async fn eval(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Runs async JavaScript: the script calls `arguments[arguments.length - 1](value)`.
    pub async fn eval_async(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute_async(script, args)
            .await
            .unwrap_or_else(|e| panic!("async script failed: {e}\n{script}"))
    }

    /// Presses a key in whatever has the focus (keyboard-only use: no clicks).
    pub async fn press(&self, key: Key) {
        self.type_text(&char::from(key).to_string()).await;
    }

    /// Types `text` into whatever has the focus.
    pub async fn type_text(&self, text: &str) {
        let active = self.client.active_element().await.expect("focused element");
        active.send_keys(text).await.expect("typing");
    }

    /// Presses Tab until the focused element matches `css` (at most `limit` times); fails if
    /// it never does, which means the element cannot be reached by keyboard.
    pub async fn tab_to(&self, css: &str, limit: usize) {
        for _ in 0..limit {
            if self.focused_matches(css).await {
                return;
            }
            self.press(Key::Tab).await;
        }
        assert!(
            self.focused_matches(css).await,
            "{css} cannot be reached with Tab (tried {limit} times)"
        );
    }

    /// Whether the focused element matches `css`.
    pub async fn focused_matches(&self, css: &str) -> bool {
        self.eval(
            "return !!document.activeElement && document.activeElement.matches(arguments[0]);",
            vec![json!(css)],
        )
        .await
        .as_bool()
        .unwrap_or(false)
    }

    /// The `lang` attribute of the page.
    pub async fn page_lang(&self) -> String {
        self.eval("return document.documentElement.lang;", vec![])
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Writes a PNG screenshot to the artifacts directory; returns its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("screenshot");
        assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
        let path = artifacts_dir().join(format!("{name}.png"));
        std::fs::write(&path, png).expect("writing the screenshot");
        eprintln!("screenshot: {}", path.display());
        path
    }

    /// The text of the displayed element at `css` (waits for it).
    pub async fn text_of(&self, css: &str) -> String {
        self.wait_visible(css)
            .await
            .text()
            .await
            .unwrap_or_default()
    }

    /// Clicks the element at `css` once it is displayed.
    pub async fn click(&self, css: &str) {
        self.wait_visible(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("clicking {css}: {e}"));
    }

    /// Replaces the value of the input at `css` by typing `text`.
    pub async fn fill(&self, css: &str, text: &str) {
        let input = self.wait_visible(css).await;
        input.clear().await.expect("clear");
        input
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("typing into {css}: {e}"));
    }

    /// Fails if the page shows a key instead of a text (a missing translation).
    pub async fn assert_translated(&self, screen: &str) {
        let missing = self.missing_translations().await;
        assert!(
            missing.is_empty(),
            "{screen}: missing translations {missing:?}"
        );
    }

    /// Fails if the page is wider than the window (a phone would scroll sideways).
    pub async fn assert_fits_width(&self, screen: &str) {
        let overflow = self
            .eval(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
                vec![],
            )
            .await;
        assert!(
            overflow.as_i64().unwrap_or(1) <= 0,
            "{screen}: the page scrolls sideways by {overflow} px"
        );
    }

    /// Scrolls the element with this id into view (before a screenshot).
    pub async fn scroll_to(&self, id: &str) {
        self.eval(
            "document.getElementById(arguments[0]).scrollIntoView();",
            vec![json!(id)],
        )
        .await;
    }

    /// Texts like `[namespace.key]`: what `t()` shows for a missing translation.
    pub async fn missing_translations(&self) -> Vec<String> {
        let value = self
            .eval(
                "return Array.from(document.body.innerText.matchAll(/\\[[a-z_]+\\.[a-z0-9_.]+\\]/g)).map(m => m[0]);",
                vec![],
            )
            .await;
        serde_json::from_value(value).unwrap_or_default()
    }

    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

/// Checks that a path exists and is a non-empty file (for artifacts).
pub fn assert_file(path: &Path) {
    let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    assert!(len > 0, "{} is missing or empty", path.display());
}
