//! The database failing under `urna serve` while ballots are being cast (issue 7, fault
//! tests), over real processes and sockets:
//!
//! - PostgreSQL made unreachable mid-cast: the server talks to it through a TCP proxy owned by
//!   the test, which is cut (every connection closed, new ones refused) after some ballots were
//!   acknowledged. Every cast during the outage is answered, within a bound, with 503
//!   `unavailable` and `Retry-After`; once the proxy is back the same process recovers on its
//!   own, every acknowledged ballot is on the board, an unacknowledged one either landed whole
//!   (409 `already_voted` on retry) or not at all, the chain verifies and voting continues.
//! - SQLite on a "full disk": the server runs with RLIMIT_FSIZE (every file it writes is
//!   capped, SIGXFSZ ignored, so writes past the cap fail with EFBIG as a full disk fails them
//!   with ENOSPC). Casting until the cap is hit gives 507 `storage_full`, reads keep working,
//!   nothing acknowledged is lost; restarted without the cap, `PRAGMA integrity_check` is ok,
//!   the chain verifies and voting continues.
//!
//! Both end with the election closed and decrypted: the result is every voter's ballot once.

mod support;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use reqwest::Method;
use support::election::{self, Prepared};
use support::http::{Admin, Api};
use support::{Database, Server, ServerOptions};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use urna_api::CastReceipt;
use urna_election::ballot::Ballot;

/// The longest a cast may go unanswered while the database is away. The server's pool gives
/// up on a connection after 5 s (urna-server db::ACQUIRE_TIMEOUT) and batches queue behind
/// one another; this bound only catches a hang, it measures nothing.
const ANSWER_BOUND: Duration = Duration::from_secs(40);

/// How one cast attempt ended.
#[derive(Debug)]
enum Outcome {
    /// 201 with this tracking code.
    Acknowledged(String),
    /// An error answer.
    Refused {
        status: u16,
        code: String,
        retry_after: Option<String>,
        body: String,
    },
    /// No answer (transport error or no answer within ANSWER_BOUND).
    NoAnswer(String),
}

async fn cast_once(api: &Api, path: &str, body: Vec<u8>) -> Outcome {
    let request = api.try_request(Method::POST, path, &[], Some(("application/json", body)));
    match tokio::time::timeout(ANSWER_BOUND, request).await {
        Err(_) => Outcome::NoAnswer(format!("no answer within {ANSWER_BOUND:?}")),
        Ok(Err(e)) => Outcome::NoAnswer(e.to_string()),
        Ok(Ok(reply)) if reply.status == 201 => {
            Outcome::Acknowledged(reply.parse::<CastReceipt>().tracking_code)
        }
        Ok(Ok(reply)) => Outcome::Refused {
            status: reply.status,
            code: reply.error(),
            retry_after: reply
                .headers
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            body: reply.body.clone(),
        },
    }
}

/// An election open for `voters` voters, and every voter's encrypted ballot with its vote.
struct Voting {
    e: Prepared,
    admin: Admin,
    encrypted: Vec<(Ballot, Vec<Vec<u64>>)>,
    expected: Vec<Vec<u64>>,
}

async fn open_election(server: &Server, api: &Api, voters: usize, seed: u64) -> Voting {
    let admin = Admin::login(api, "admin", server.admin_password()).await;
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let (roll, _) = election::roll("math.example.edu", voters);
    let e = election::prepare(
        &admin,
        &election::manifest("technical-staff"),
        &roll,
        &mut rng,
    )
    .await;
    election::open(&admin, &e.id).await;
    let keys = election::outbox_keys(server.outbox(), &server.public_url(), &e, voters).await;
    let context = e.context.clone();
    let encrypted: Vec<(Ballot, Vec<Vec<u64>>)> = tokio::task::spawn_blocking(move || {
        let mut rng = ChaCha20Rng::seed_from_u64(seed + 1);
        keys.iter()
            .map(|k| election::ballot(&context, k, &mut rng))
            .collect()
    })
    .await
    .unwrap();
    let mut expected = election::zero_totals(&e.manifest);
    for (_, vote) in &encrypted {
        election::add_vote(&mut expected, vote, 1);
    }
    Voting {
        e,
        admin,
        encrypted,
        expected,
    }
}

/// After the fault: nothing acknowledged is lost, every other ballot can be cast again, and
/// the election ends with a verified result (`election::assert_recovers`).
async fn finish(server: &Server, api: &Api, v: &Voting, outcomes: &[Outcome], seed: u64) {
    let acked: Vec<String> = outcomes
        .iter()
        .filter_map(|o| match o {
            Outcome::Acknowledged(code) => Some(code.clone()),
            _ => None,
        })
        .collect();
    let mut rng = ChaCha20Rng::seed_from_u64(seed + 2);
    let recovery = election::assert_recovers(
        &server.url(),
        api,
        &v.admin,
        &v.e,
        &v.encrypted,
        &acked,
        &v.expected,
        &mut rng,
    )
    .await;
    eprintln!(
        "after the fault: {} acknowledged, {} committed without an acknowledgement, {} \
         accepted on retry",
        acked.len(),
        recovery.committed_before,
        recovery.accepted_on_retry
    );
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL unreachable mid-cast

/// A TCP proxy in front of the database: `cut` closes every connection through it and stops
/// listening (new connections are refused), `restore` listens again on the same port.
struct Proxy {
    port: u16,
    target: SocketAddr,
    accept: Option<JoinHandle<()>>,
    conns: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut proxy = Self {
            port,
            target,
            accept: None,
            conns: Arc::default(),
        };
        proxy.serve(listener);
        proxy
    }

    fn serve(&mut self, listener: TcpListener) {
        let (target, conns) = (self.target, self.conns.clone());
        self.accept = Some(tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    continue;
                };
                let conn = tokio::spawn(async move {
                    if let Ok(mut upstream) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                    }
                });
                conns.lock().unwrap().push(conn);
            }
        }));
    }

    /// Stops listening, then closes every proxied connection (both sides).
    async fn cut(&mut self) {
        if let Some(accept) = self.accept.take() {
            accept.abort();
            let _ = accept.await;
        }
        let conns: Vec<_> = self.conns.lock().unwrap().drain(..).collect();
        for conn in &conns {
            conn.abort();
        }
        for conn in conns {
            let _ = conn.await;
        }
        // Refused now: nothing listens on the port.
        assert!(
            TcpStream::connect(("127.0.0.1", self.port)).await.is_err(),
            "the cut proxy still accepts connections"
        );
    }

    async fn restore(&mut self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port))
            .await
            .expect("the proxy's port again");
        self.serve(listener);
    }
}

const PG_VOTERS: usize = 90;
/// The proxy is cut once this many ballots were acknowledged.
const CUT_AFTER: usize = 30;
const CONCURRENCY: usize = 16;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_unreachable_mid_cast_is_a_clear_503_and_the_server_recovers() {
    let Some(db) = Database::postgres() else {
        return;
    };
    let started = Instant::now();
    let mut url = url::Url::parse(db.url()).unwrap();
    let target: SocketAddr =
        tokio::net::lookup_host((url.host_str().unwrap(), url.port().unwrap_or(5432)))
            .await
            .unwrap()
            .next()
            .expect("URNA_TEST_POSTGRES_URL's host has an address");
    let mut proxy = Proxy::start(target).await;
    url.set_port(Some(proxy.port)).unwrap();
    let mut opts = ServerOptions::new(&db);
    opts.database_url = url.to_string();
    let server = Server::start(opts);
    let api = Api::new(&server.url());
    let v = open_election(&server, &api, PG_VOTERS, 7).await;
    let id = v.e.id.clone();
    eprintln!(
        "[{:?}] open, {PG_VOTERS} ballots encrypted",
        started.elapsed()
    );

    // Cast everything concurrently; cut the database off after CUT_AFTER acknowledgements.
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let cut_now = Arc::new(tokio::sync::Notify::new());
    let permits = Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
    let path = format!("/elections/{id}/ballots");
    let mut tasks = Vec::new();
    for (ballot, _) in &v.encrypted {
        let body = serde_json::to_vec(ballot).unwrap();
        let (api, path, acknowledged, cut_now, permits) = (
            api.clone(),
            path.clone(),
            acknowledged.clone(),
            cut_now.clone(),
            permits.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let _permit = permits.acquire_owned().await.unwrap();
            let outcome = cast_once(&api, &path, body).await;
            if matches!(outcome, Outcome::Acknowledged(_))
                && acknowledged.fetch_add(1, Ordering::SeqCst) + 1 == CUT_AFTER
            {
                cut_now.notify_one();
            }
            outcome
        }));
    }
    cut_now.notified().await;
    proxy.cut().await;
    let at_cut = acknowledged.load(Ordering::SeqCst);
    eprintln!(
        "[{:?}] database cut off after {at_cut} acknowledgements",
        started.elapsed()
    );

    // While it is away, reads fail the same clear way, and health says so.
    let reply = api
        .get(&format!("/elections/{id}/board?from=0&limit=5"))
        .await;
    assert_eq!(
        (reply.status, reply.error().as_str()),
        (503, "unavailable"),
        "a read during the outage: {}",
        reply.body
    );
    assert!(!api.healthy().await, "healthy without its database");

    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.expect("a casting task panicked"));
    }
    let mut unavailable = 0;
    for outcome in &outcomes {
        match outcome {
            Outcome::Acknowledged(_) => {}
            Outcome::Refused {
                status,
                code,
                retry_after,
                body,
            } => {
                assert_eq!(
                    (*status, code.as_str()),
                    (503, "unavailable"),
                    "a cast during the outage: {body}"
                );
                let seconds: u64 = retry_after
                    .as_deref()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or_else(|| panic!("503 without a Retry-After in seconds: {body}"));
                assert!(seconds > 0);
                // The answer tells what to do and nothing about the internals.
                let message = serde_json::from_str::<serde_json::Value>(body).unwrap()["message"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                assert!(message.contains("try again"), "{message}");
                for internal in ["sqlx", "pool", "connection", &proxy.port.to_string()] {
                    assert!(!body.contains(internal), "{internal:?} in {body}");
                }
                unavailable += 1;
            }
            Outcome::NoAnswer(why) => panic!("a cast during the outage got no answer: {why}"),
        }
    }
    let acked = outcomes.len() - unavailable;
    eprintln!(
        "[{:?}] during the outage: {acked} acknowledged in all, {unavailable} answered 503",
        started.elapsed()
    );
    assert!(acked >= CUT_AFTER);
    assert!(unavailable > 0, "no cast met the outage");

    // The database returns: the same process recovers on its own.
    proxy.restore().await;
    support::wait_until_async(Duration::from_secs(30), "the server to recover", || {
        let api = api.clone();
        async move { api.healthy().await.then_some(()) }
    })
    .await;
    eprintln!("[{:?}] recovered", started.elapsed());

    finish(&server, &api, &v, &outcomes, 7).await;
    eprintln!("[{:?}] done", started.elapsed());
}

// ---------------------------------------------------------------------------------------------
// SQLite on a full disk

const SQLITE_VOTERS: usize = 120;
/// The cap on every file the capped server writes. The write-ahead log starts empty (it is
/// truncated before), so it is the log that hits the cap: a few dozen ballots' commits.
const FILE_SIZE_CAP: u64 = 1024 * 1024;

/// `PRAGMA integrity_check` on the SQLite file (no server running on it).
async fn integrity_check(db: &Database) -> Vec<String> {
    sqlite_exec(db, "PRAGMA integrity_check").await
}

async fn sqlite_exec(db: &Database, sql: &'static str) -> Vec<String> {
    use sqlx::{ConnectOptions, Connection, Row};
    use std::str::FromStr;
    let url = db.url().to_owned();
    support::block_on_thread(async move {
        let mut conn = sqlx::sqlite::SqliteConnectOptions::from_str(&url)
            .unwrap()
            .connect()
            .await
            .expect("open the SQLite database");
        let rows = sqlx::query(sql).fetch_all(&mut conn).await.expect(sql);
        let out = rows
            .iter()
            .map(|r| {
                r.try_get::<String, _>(0)
                    .or_else(|_| r.try_get::<i64, _>(0).map(|n| n.to_string()))
                    .unwrap_or_default()
            })
            .collect();
        conn.close().await.unwrap();
        out
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_on_a_full_disk_is_a_clear_507_and_nothing_is_corrupted() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let db = Database::sqlite(dir.path());
    let mut server = Server::start(ServerOptions::new(&db));
    let api = Api::new(&server.url());
    let v = open_election(&server, &api, SQLITE_VOTERS, 11).await;
    let id = v.e.id.clone();
    eprintln!(
        "[{:?}] open, {SQLITE_VOTERS} ballots encrypted",
        started.elapsed()
    );

    // Restart with every file capped, the write-ahead log emptied first.
    server.kill_9();
    assert_eq!(
        sqlite_exec(&db, "PRAGMA wal_checkpoint(TRUNCATE)").await[0],
        "0",
        "the checkpoint was not complete"
    );
    let sizes: Vec<(String, u64)> = db
        .sqlite_files()
        .iter()
        .map(|p| (p.display().to_string(), p.metadata().unwrap().len()))
        .collect();
    eprintln!("files before the cap: {sizes:?}; cap {FILE_SIZE_CAP} bytes per file");
    server.options_mut().file_size_limit = Some(FILE_SIZE_CAP);
    server.restart();

    // Cast everything, a few at a time, until the disk is "full" and past it.
    let permits = Arc::new(tokio::sync::Semaphore::new(4));
    let path = format!("/elections/{id}/ballots");
    let mut tasks = Vec::new();
    for (ballot, _) in &v.encrypted {
        let body = serde_json::to_vec(ballot).unwrap();
        let (api, path, permits) = (api.clone(), path.clone(), permits.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = permits.acquire_owned().await.unwrap();
            cast_once(&api, &path, body).await
        }));
    }
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.expect("a casting task panicked"));
    }
    let mut full = 0;
    for outcome in &outcomes {
        match outcome {
            Outcome::Acknowledged(_) => {}
            Outcome::Refused {
                status, code, body, ..
            } => {
                assert_eq!(
                    (*status, code.as_str()),
                    (507, "storage_full"),
                    "a cast on the full disk: {body}"
                );
                for internal in ["sqlx", "sqlite", "disk I/O", "urna.db"] {
                    assert!(!body.contains(internal), "{internal:?} in {body}");
                }
                full += 1;
            }
            Outcome::NoAnswer(why) => panic!("a cast on the full disk got no answer: {why}"),
        }
    }
    let acked = outcomes.len() - full;
    eprintln!(
        "[{:?}] capped: {acked} acknowledged, {full} answered 507",
        started.elapsed()
    );
    assert!(full > 0, "the cap was never reached");
    assert!(acked > 0, "the cap left no room for a single ballot");
    assert!(server.is_running(), "the capped server died");
    // Reads need no room.
    api.get(&format!("/elections/{id}")).await.expect(200);
    let codes: HashSet<&String> = outcomes
        .iter()
        .filter_map(|o| match o {
            Outcome::Acknowledged(c) => Some(c),
            _ => None,
        })
        .collect();
    for code in codes {
        api.get(&format!("/elections/{id}/ballots/{code}"))
            .await
            .expect(200);
    }

    // Room again: the file is sound and the same database serves on.
    server.kill_9();
    assert_eq!(integrity_check(&db).await, ["ok"]);
    server.options_mut().file_size_limit = None;
    server.restart();
    finish(&server, &api, &v, &outcomes, 11).await;
    server.kill_9();
    assert_eq!(integrity_check(&db).await, ["ok"]);
    eprintln!("[{:?}] done", started.elapsed());
}
