//! The booth never sends the credential secret (issue 7, spec/secrets.md §3): Chromium talks
//! to `urna serve` only through a recording TCP proxy in this test, opens a voting link on the
//! proxy's address (the credential is in the fragment), votes and casts. Every byte Chromium
//! sent is then searched for the credential in every form — the link form in any case, its
//! raw bytes (raw, hex, base64, base32) and the derived secret scalar (raw, hex, base64) —
//! while a control shows that the proxy did carry the page load and the ballot (the POST to
//! the ballots route, with the voter's public credential in it). The page keeps nothing of it
//! in cookies or web storage either.
//!
//! Skipped without Chromium unless URNA_REQUIRE_BROWSER is set (see support/browser.rs).

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde_json::json;
use support::browser::secret_forms::CredentialForms;
use support::browser::Browser;
use support::election;
use support::http::{Admin, Api};
use support::{Database, Server, ServerOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const VOTERS: usize = 2;

/// A TCP proxy on loopback that forwards every connection to `target` and keeps, per
/// connection, every byte the client sent (so a secret is never split between two
/// connections' interleaved chunks).
/// The bytes one connection's client sent.
type Record = Arc<Mutex<Vec<u8>>>;

struct RecordingProxy {
    addr: String,
    sent: Arc<Mutex<Vec<Record>>>,
    task: tokio::task::JoinHandle<()>,
}

impl RecordingProxy {
    async fn start(target: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address").to_string();
        let sent: Arc<Mutex<Vec<Record>>> = Arc::default();
        let (target, all) = (target.to_owned(), sent.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                let record: Record = Arc::default();
                all.lock().unwrap().push(record.clone());
                let target = target.clone();
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(&target).await else {
                        return;
                    };
                    let (mut client_read, mut client_write) = client.into_split();
                    let (mut server_read, mut server_write) = server.into_split();
                    let upstream = async {
                        let mut buf = vec![0u8; 16 * 1024];
                        loop {
                            match client_read.read(&mut buf).await {
                                Ok(0) | Err(_) => break,
                                Ok(n) => {
                                    record.lock().unwrap().extend_from_slice(&buf[..n]);
                                    if server_write.write_all(&buf[..n]).await.is_err() {
                                        break;
                                    }
                                }
                            }
                        }
                        let _ = server_write.shutdown().await;
                    };
                    let downstream = async {
                        let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
                        let _ = client_write.shutdown().await;
                    };
                    tokio::join!(upstream, downstream);
                });
            }
        });
        Self { addr, sent, task }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// What the client sent, connection by connection.
    fn requests(&self) -> Vec<Vec<u8>> {
        self.sent
            .lock()
            .unwrap()
            .iter()
            .map(|r| r.lock().unwrap().clone())
            .collect()
    }
}

impl Drop for RecordingProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_booth_never_sends_the_credential_secret() {
    let Some(browser) = Browser::start(1280, 900).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = Database::sqlite(dir.path());
    let server = Server::start(ServerOptions::new(&db));
    let api = Api::new(&server.url());
    let admin = Admin::login(&api, "admin", server.admin_password()).await;
    let mut rng = ChaCha20Rng::seed_from_u64(4711);
    let manifest = election::manifest("teachers");
    let (roll, _) = election::roll("math.example.edu", VOTERS);
    let e = election::prepare(&admin, &manifest, &roll, &mut rng).await;
    election::open(&admin, &e.id).await;
    let public = server.public_url();
    let outbox = server.outbox().to_owned();
    let links = support::wait_until_async(Duration::from_secs(60), "the invitations", || {
        let l = election::links(&election::outbox_mails(&outbox), &public, &e.id);
        async move { (l.len() >= VOTERS).then_some(l) }
    })
    .await;
    let forms = CredentialForms::from_link(&links[0], &e.setup_hash());
    let needles = forms.needles("voter 0");
    let public_hex = hex::encode(forms.public);

    // The voter opens the link on the proxy's address and votes.
    let proxy = RecordingProxy::start(server.addr()).await;
    let link = links[0].replacen(&public, &proxy.url(), 1);
    assert!(
        link.starts_with(&proxy.url()) && link.contains('#'),
        "{link}"
    );
    browser.goto("about:blank").await;
    browser.goto(&link).await;
    browser.wait_for("#setup-status[data-setup=\"ok\"]").await;
    browser.wait_for("#ballot-form").await;
    browser.click("#c0-0").await;
    browser.click("#c1-1").await;
    browser
        .wait_for("#contest-status-1[data-valid=\"true\"]")
        .await;
    browser.click("#to-review").await;
    browser.click("#encrypt").await;
    browser.wait_for("#cast").await;
    browser.click("#cast").await;
    let code = browser.text_of("#tracking-code").await;
    let found = api
        .get(&format!("/elections/{}/ballots/{code}", e.id))
        .await
        .expect(200)
        .json();
    assert_eq!(
        found["tracking_code"],
        json!(code),
        "the ballot is on the board"
    );

    // Nothing of the credential stays in the page's cookies or storage.
    let stored = browser
        .eval(
            "return JSON.stringify([document.cookie, Object.entries(localStorage), \
             Object.entries(sessionStorage), location.href]);",
            vec![],
        )
        .await;
    let stored = stored.as_str().expect("a string").to_owned();
    let in_storage = needles.found_in(stored.as_bytes());
    assert!(
        in_storage.is_empty(),
        "the page keeps the credential: {in_storage:?} in {stored}"
    );

    // Control: the proxy carried the page load (without the fragment) and the ballot.
    let requests = proxy.requests();
    let all: Vec<u8> = requests.concat();
    assert!(
        contains(&all, &format!("GET /vote/{} HTTP/1.1", e.id)),
        "the proxy saw the booth page load"
    );
    let cast = format!("POST /api/v1/elections/{}/ballots HTTP/1.1", e.id);
    let with_ballot: Vec<&Vec<u8>> = requests.iter().filter(|r| contains(r, &cast)).collect();
    assert!(
        !with_ballot.is_empty(),
        "the proxy saw the ballot being cast"
    );
    assert!(
        with_ballot.iter().any(|r| contains(r, &public_hex)),
        "the cast request holds the voter's public credential {public_hex}"
    );

    // The secret: in no request, in no form.
    let mut leaks = Vec::new();
    for (i, bytes) in requests.iter().enumerate() {
        for label in needles.found_in(bytes) {
            leaks.push(format!("connection {i}: {label}"));
        }
    }
    assert!(
        leaks.is_empty(),
        "the browser sent the credential secret ({} connections, {} bytes):\n{}",
        requests.len(),
        all.len(),
        leaks.join("\n")
    );

    // Control for the scanner on this traffic: a request that does carry the secret (here in
    // a query, as a careless page might) is caught.
    let before = proxy.requests().len();
    let status = browser
        .eval_async(
            "const done = arguments[arguments.length - 1]; \
             fetch('/healthz?c=' + arguments[0], {cache: 'no-store'}) \
               .then(r => done(r.status), e => done(String(e)));",
            vec![json!(forms.link_form.to_uppercase())],
        )
        .await;
    assert_eq!(status, json!(200), "the control request went through");
    browser.close().await;
    let caught: Vec<String> = proxy
        .requests()
        .iter()
        .flat_map(|r| needles.found_in(r))
        .collect();
    assert!(
        caught.iter().any(|l| l.contains("link credential")),
        "control: the secret sent on purpose is found ({before} connections before it)"
    );

    eprintln!(
        "{} connections, {} bytes sent by Chromium; {} forms of the secret looked for; none found",
        requests.len(),
        all.len(),
        needles.len()
    );
}
