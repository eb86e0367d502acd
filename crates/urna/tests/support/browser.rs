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

/// Every form in which a secret could leak into a log, a database file or a request, for the
/// privacy tests (tests/server_privacy.rs, tests/browser_privacy.rs), and a scanner for them.
///
/// A secret is turned into "needles": its text forms (as given, lower and upper case) and the
/// text forms of its bytes (hex lower and upper, base64 standard and URL-safe with and without
/// padding, base32 upper and lower), plus the raw bytes for binary files. The scanner looks for
/// the first and the last 16 bytes of each needle, so a secret cut short or embedded in a
/// longer string is found too; 16 bytes of a random encoding do not occur by chance.
///
/// The credential's derived scalar needs SHA-512 (spec/record.md §4), which this crate has no
/// dependency for; [`sha512`] is a plain FIPS 180-4 implementation, checked against a test
/// vector and, for each credential, by recomputing the public credential from the scalar.
pub mod secret_forms {
    use std::collections::HashMap;

    use urna_crypto::curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
    use urna_crypto::curve25519_dalek::scalar::Scalar;
    use urna_crypto::Digest32;

    /// The length of the pieces the scanner compares.
    pub const PIECE: usize = 16;

    const K: [u64; 80] = [
        0x428a2f98d728ae22,
        0x7137449123ef65cd,
        0xb5c0fbcfec4d3b2f,
        0xe9b5dba58189dbbc,
        0x3956c25bf348b538,
        0x59f111f1b605d019,
        0x923f82a4af194f9b,
        0xab1c5ed5da6d8118,
        0xd807aa98a3030242,
        0x12835b0145706fbe,
        0x243185be4ee4b28c,
        0x550c7dc3d5ffb4e2,
        0x72be5d74f27b896f,
        0x80deb1fe3b1696b1,
        0x9bdc06a725c71235,
        0xc19bf174cf692694,
        0xe49b69c19ef14ad2,
        0xefbe4786384f25e3,
        0x0fc19dc68b8cd5b5,
        0x240ca1cc77ac9c65,
        0x2de92c6f592b0275,
        0x4a7484aa6ea6e483,
        0x5cb0a9dcbd41fbd4,
        0x76f988da831153b5,
        0x983e5152ee66dfab,
        0xa831c66d2db43210,
        0xb00327c898fb213f,
        0xbf597fc7beef0ee4,
        0xc6e00bf33da88fc2,
        0xd5a79147930aa725,
        0x06ca6351e003826f,
        0x142929670a0e6e70,
        0x27b70a8546d22ffc,
        0x2e1b21385c26c926,
        0x4d2c6dfc5ac42aed,
        0x53380d139d95b3df,
        0x650a73548baf63de,
        0x766a0abb3c77b2a8,
        0x81c2c92e47edaee6,
        0x92722c851482353b,
        0xa2bfe8a14cf10364,
        0xa81a664bbc423001,
        0xc24b8b70d0f89791,
        0xc76c51a30654be30,
        0xd192e819d6ef5218,
        0xd69906245565a910,
        0xf40e35855771202a,
        0x106aa07032bbd1b8,
        0x19a4c116b8d2d0c8,
        0x1e376c085141ab53,
        0x2748774cdf8eeb99,
        0x34b0bcb5e19b48a8,
        0x391c0cb3c5c95a63,
        0x4ed8aa4ae3418acb,
        0x5b9cca4f7763e373,
        0x682e6ff3d6b2b8a3,
        0x748f82ee5defb2fc,
        0x78a5636f43172f60,
        0x84c87814a1f0ab72,
        0x8cc702081a6439ec,
        0x90befffa23631e28,
        0xa4506cebde82bde9,
        0xbef9a3f7b2c67915,
        0xc67178f2e372532b,
        0xca273eceea26619c,
        0xd186b8c721c0c207,
        0xeada7dd6cde0eb1e,
        0xf57d4f7fee6ed178,
        0x06f067aa72176fba,
        0x0a637dc5a2c898a6,
        0x113f9804bef90dae,
        0x1b710b35131c471b,
        0x28db77f523047d84,
        0x32caab7b40c72493,
        0x3c9ebe0a15c9bebc,
        0x431d67c49c100d4c,
        0x4cc5d4becb3e42b6,
        0x597f299cfc657e2a,
        0x5fcb6fab3ad6faec,
        0x6c44198c4a475817,
    ];

    /// SHA-512 (FIPS 180-4).
    pub fn sha512(data: &[u8]) -> [u8; 64] {
        let mut h: [u64; 8] = [
            0x6a09e667f3bcc908,
            0xbb67ae8584caa73b,
            0x3c6ef372fe94f82b,
            0xa54ff53a5f1d36f1,
            0x510e527fade682d1,
            0x9b05688c2b3e6c1f,
            0x1f83d9abfb41bd6b,
            0x5be0cd19137e2179,
        ];
        let mut message = data.to_vec();
        message.push(0x80);
        while message.len() % 128 != 112 {
            message.push(0);
        }
        message.extend_from_slice(&((data.len() as u128) * 8).to_be_bytes());
        for block in message.chunks_exact(128) {
            let mut w = [0u64; 80];
            for (t, word) in block.chunks_exact(8).enumerate() {
                w[t] = u64::from_be_bytes(word.try_into().expect("8 bytes"));
            }
            for t in 16..80 {
                let s0 = w[t - 15].rotate_right(1) ^ w[t - 15].rotate_right(8) ^ (w[t - 15] >> 7);
                let s1 = w[t - 2].rotate_right(19) ^ w[t - 2].rotate_right(61) ^ (w[t - 2] >> 6);
                w[t] = w[t - 16]
                    .wrapping_add(s0)
                    .wrapping_add(w[t - 7])
                    .wrapping_add(s1);
            }
            let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = h;
            for t in 0..80 {
                let s1 = e.rotate_right(14) ^ e.rotate_right(18) ^ e.rotate_right(41);
                let ch = (e & f) ^ (!e & g);
                let t1 = hh
                    .wrapping_add(s1)
                    .wrapping_add(ch)
                    .wrapping_add(K[t])
                    .wrapping_add(w[t]);
                let s0 = a.rotate_right(28) ^ a.rotate_right(34) ^ a.rotate_right(39);
                let maj = (a & b) ^ (a & c) ^ (b & c);
                let t2 = s0.wrapping_add(maj);
                hh = g;
                g = f;
                f = e;
                e = d.wrapping_add(t1);
                d = c;
                c = b;
                b = a;
                a = t1.wrapping_add(t2);
            }
            for (x, y) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
                *x = x.wrapping_add(y);
            }
        }
        let mut out = [0u8; 64];
        for (chunk, word) in out.chunks_exact_mut(8).zip(h) {
            chunk.copy_from_slice(&word.to_be_bytes());
        }
        out
    }

    const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    /// Base64 (RFC 4648 §4, or §5 with `url`), padded or not.
    pub fn base64(bytes: &[u8], url: bool, pad: bool) -> String {
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
            for i in 0..=chunk.len() {
                let c = BASE64[((n >> (18 - 6 * i)) & 63) as usize];
                out.push(match (url, c) {
                    (true, b'+') => '-',
                    (true, b'/') => '_',
                    _ => c as char,
                });
            }
            if pad {
                for _ in chunk.len()..3 {
                    out.push('=');
                }
            }
        }
        out
    }

    /// Base32 (RFC 4648 §6), upper case, no padding.
    pub fn base32(bytes: &[u8]) -> String {
        let mut out = String::new();
        let (mut buffer, mut bits) = (0u64, 0);
        for b in bytes {
            buffer = (buffer << 8) | u64::from(*b);
            bits += 8;
            while bits >= 5 {
                bits -= 5;
                out.push(BASE32[((buffer >> bits) & 31) as usize] as char);
            }
        }
        if bits > 0 {
            out.push(BASE32[((buffer << (5 - bits)) & 31) as usize] as char);
        }
        out
    }

    /// Decodes unpadded base32 of any case; None if a character is not base32.
    pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        let (mut buffer, mut bits) = (0u64, 0);
        for c in text.bytes() {
            let v = BASE32.iter().position(|&x| x == c.to_ascii_uppercase())? as u64;
            buffer = (buffer << 5) | v;
            bits += 5;
            if bits >= 8 {
                bits -= 8;
                out.push((buffer >> bits) as u8);
            }
        }
        Some(out)
    }

    /// One secret's needles, each with a label saying what it is.
    #[derive(Clone, Debug, Default)]
    pub struct Needles(pub Vec<(String, Vec<u8>)>);

    impl Needles {
        /// The encodings of a byte string (and the raw bytes when `raw`).
        pub fn add_bytes(&mut self, what: &str, bytes: &[u8], raw: bool) {
            let hex = hex::encode(bytes);
            let forms = [
                ("hex", hex.clone()),
                ("HEX", hex.to_ascii_uppercase()),
                ("base64", base64(bytes, false, true)),
                ("base64 unpadded", base64(bytes, false, false)),
                ("base64url", base64(bytes, true, true)),
                ("base64url unpadded", base64(bytes, true, false)),
                ("BASE32", base32(bytes)),
                ("base32", base32(bytes).to_ascii_lowercase()),
            ];
            for (form, text) in forms {
                self.push(format!("{what} ({form})"), text.into_bytes());
            }
            if raw {
                self.push(format!("{what} (raw bytes)"), bytes.to_vec());
            }
        }

        /// A text secret as given, in lower and upper case, and the encodings of its bytes.
        pub fn add_text(&mut self, what: &str, text: &str) {
            self.push(format!("{what} (as is)"), text.as_bytes().to_vec());
            self.push(
                format!("{what} (lower case)"),
                text.to_lowercase().into_bytes(),
            );
            self.push(
                format!("{what} (upper case)"),
                text.to_uppercase().into_bytes(),
            );
            self.add_bytes(what, text.as_bytes(), false);
        }

        fn push(&mut self, label: String, bytes: Vec<u8>) {
            assert!(
                bytes.len() >= PIECE,
                "{label} is shorter than {PIECE} bytes: the scanner would miss it"
            );
            self.0.push((label, bytes));
        }

        pub fn extend(&mut self, other: Needles) {
            self.0.extend(other.0);
        }

        pub fn len(&self) -> usize {
            self.0.len()
        }

        /// The labels of the needles whose first or last [`PIECE`] bytes occur in `haystack`
        /// (each label once, in needle order).
        pub fn found_in(&self, haystack: &[u8]) -> Vec<String> {
            let mut pieces: HashMap<&[u8], Vec<usize>> = HashMap::new();
            for (i, (_, bytes)) in self.0.iter().enumerate() {
                pieces.entry(&bytes[..PIECE]).or_default().push(i);
                pieces
                    .entry(&bytes[bytes.len() - PIECE..])
                    .or_default()
                    .push(i);
            }
            let mut hit = vec![false; self.0.len()];
            for window in haystack.windows(PIECE) {
                if let Some(needles) = pieces.get(window) {
                    for &i in needles {
                        hit[i] = true;
                    }
                }
            }
            self.0
                .iter()
                .zip(hit)
                .filter(|(_, h)| *h)
                .map(|((label, _), _)| label.clone())
                .collect()
        }
    }

    /// A voter's credential in every form: the link fragment, its 16 raw bytes, the derived
    /// secret scalar `c` and the public credential `c·G` (spec/record.md §4).
    #[derive(Clone, Debug)]
    pub struct CredentialForms {
        pub link_form: String,
        pub raw: Vec<u8>,
        pub scalar: [u8; 32],
        pub public: [u8; 32],
    }

    impl CredentialForms {
        /// From a voting link (or just its fragment) of the election with this setup hash.
        /// Checks the derivation against `urna_election` (the public credential must match).
        pub fn from_link(link: &str, setup_hash: &Digest32) -> Self {
            let fragment = link.rsplit_once('#').map_or(link, |(_, f)| f).to_owned();
            let raw = base32_decode(&fragment).expect("a base32 credential");
            assert_eq!(raw.len(), 16, "a 128-bit credential");
            let mut input = b"urna/credential/v1".to_vec();
            input.extend_from_slice(setup_hash.as_bytes());
            input.extend_from_slice(&raw);
            let scalar = Scalar::from_bytes_mod_order_wide(&sha512(&input));
            let public = (RISTRETTO_BASEPOINT_POINT * scalar).compress().to_bytes();
            let key = urna_election::credential::CredentialSecret::from_link_string(&fragment)
                .expect("the library parses the link")
                .derive_key(setup_hash);
            assert_eq!(
                public,
                key.public().to_bytes().0,
                "the test's derivation of the credential scalar matches the library's"
            );
            Self {
                link_form: fragment,
                raw,
                scalar: scalar.to_bytes(),
                public,
            }
        }

        /// The secret's needles: the link form (any case), the raw bytes and the scalar in
        /// every encoding (and raw). Not the public credential, which is public.
        pub fn needles(&self, voter: &str) -> Needles {
            let mut n = Needles::default();
            n.add_text(&format!("{voter}: link credential"), &self.link_form);
            n.add_bytes(&format!("{voter}: credential bytes"), &self.raw, true);
            n.add_bytes(&format!("{voter}: credential scalar"), &self.scalar, true);
            n
        }
    }
}
