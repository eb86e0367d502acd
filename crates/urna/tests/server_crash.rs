//! `urna serve` on SQLite killed with SIGKILL while ballots are being cast concurrently, then
//! restarted on the same database: every acknowledged ballot is on the board, the board is
//! one valid chain, and voting continues — a ballot whose first attempt was not acknowledged
//! is either accepted now or was committed before the crash (409 `already_voted`, and then
//! it is on the board); no ballot is lost and no credential is on the board twice. Then the
//! election is closed and decrypted and the result is the count of every voter's ballot.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use reqwest::Method;
use support::election;
use support::http::{Admin, Api};
use support::{Database, Server, ServerOptions};
use urna_api::CastReceipt;
use urna_election::ballot::Ballot;

const VOTERS: usize = 300;
/// The server is killed once this many ballots were acknowledged.
const KILL_AFTER: usize = 100;
/// Requests in flight at once.
const CONCURRENCY: usize = 24;

#[derive(Debug)]
enum Outcome {
    /// 201 with this tracking code.
    Acknowledged(String),
    /// No answer (the server died).
    Lost,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_loses_no_acknowledged_ballot() {
    let started = std::time::Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let db = Database::sqlite(dir.path());
    let mut server = Server::start(ServerOptions::new(&db));
    let api = Api::new(&server.url());
    let admin = Admin::login(&api, "admin", server.admin_password()).await;
    let mut rng = ChaCha20Rng::seed_from_u64(99);

    let (roll, _) = election::roll("math.example.edu", VOTERS);
    let e = election::prepare(
        &admin,
        &election::manifest("technical-staff"),
        &roll,
        &mut rng,
    )
    .await;
    election::open(&admin, &e.id).await;
    let keys = election::outbox_keys(server.outbox(), &server.public_url(), &e, VOTERS).await;
    let context = e.context.clone();
    let encrypted: Vec<(Ballot, Vec<Vec<u64>>)> = tokio::task::spawn_blocking(move || {
        let mut rng = ChaCha20Rng::seed_from_u64(100);
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
    eprintln!("[{:?}] open, {VOTERS} ballots encrypted", started.elapsed());

    // Cast everything concurrently; kill the server after KILL_AFTER acknowledgements.
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let kill_now = Arc::new(tokio::sync::Notify::new());
    let permits = Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
    let path = format!("/elections/{}/ballots", e.id);
    let mut tasks = Vec::new();
    for (ballot, _) in &encrypted {
        let body = serde_json::to_vec(ballot).unwrap();
        let code = ballot.tracking_code().0;
        let (api, path, acknowledged, kill_now, permits) = (
            api.clone(),
            path.clone(),
            acknowledged.clone(),
            kill_now.clone(),
            permits.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let _permit = permits.acquire_owned().await.unwrap();
            match api
                .try_request(Method::POST, &path, &[], Some(("application/json", body)))
                .await
            {
                Ok(reply) => {
                    assert_eq!(reply.status, 201, "before the crash: {}", reply.body);
                    let receipt: CastReceipt = reply.parse();
                    assert_eq!(receipt.tracking_code, code);
                    if acknowledged.fetch_add(1, Ordering::SeqCst) + 1 == KILL_AFTER {
                        kill_now.notify_one();
                    }
                    Outcome::Acknowledged(receipt.tracking_code)
                }
                Err(_) => Outcome::Lost,
            }
        }));
    }
    kill_now.notified().await;
    server.kill_9();
    let at_kill = acknowledged.load(Ordering::SeqCst);
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.expect("a casting task panicked"));
    }
    let acked: Vec<String> = outcomes
        .iter()
        .filter_map(|o| match o {
            Outcome::Acknowledged(code) => Some(code.clone()),
            Outcome::Lost => None,
        })
        .collect();
    eprintln!(
        "[{:?}] killed after {at_kill} acknowledgements; {} acknowledged in all, {} without an answer",
        started.elapsed(),
        acked.len(),
        outcomes.len() - acked.len()
    );
    assert!(acked.len() >= KILL_AFTER);
    assert!(
        acked.len() < VOTERS,
        "the kill came after every ballot was cast"
    );

    // Restart on the same database: every acknowledged ballot is there, every other one is
    // cast again, and the election ends with a verified result.
    server.restart();
    assert!(server.healthy());
    let recovery = election::assert_recovers(
        &server.url(),
        &api,
        &admin,
        &e,
        &encrypted,
        &acked,
        &expected,
        &mut rng,
    )
    .await;
    eprintln!(
        "[{:?}] after the restart: {} committed without an acknowledgement, {} accepted on retry",
        started.elapsed(),
        recovery.committed_before,
        recovery.accepted_on_retry
    );
    eprintln!("[{:?}] done", started.elapsed());
}
