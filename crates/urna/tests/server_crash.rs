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
use support::election::{self, BoardSummary};
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

    // Restart on the same database: every acknowledged ballot is there.
    server.restart();
    assert!(server.healthy());
    for code in &acked {
        api.get(&format!("/elections/{}/ballots/{code}", e.id))
            .await
            .expect(200);
    }
    let records = tempfile::tempdir().unwrap();
    let after_crash = records.path().join("after-crash");
    support::download_record_async(&server.url(), &e.id, &after_crash).await;
    support::assert_verifies(&after_crash, true).await;
    let board =
        BoardSummary::parse(&std::fs::read_to_string(after_crash.join("board.jsonl")).unwrap());
    board.assert_one_ballot_per_credential();
    let on_board = board.codes();
    for code in &acked {
        assert!(
            on_board.contains(code),
            "acknowledged {code} is not in the downloaded record"
        );
    }
    eprintln!(
        "[{:?}] restarted: {} ballots on the board ({} committed without an acknowledgement)",
        started.elapsed(),
        on_board.len(),
        on_board.len() - acked.len()
    );

    // Voting continues: every ballot without an acknowledgement is sent again.
    let (mut accepted, mut committed_before) = (0, 0);
    for ((ballot, _), outcome) in encrypted.iter().zip(&outcomes) {
        if matches!(outcome, Outcome::Acknowledged(_)) {
            continue;
        }
        let code = ballot.tracking_code().0;
        let reply = election::cast(&api, &e.id, ballot).await;
        match (reply.status, reply.error().as_str()) {
            (201, _) => {
                assert!(
                    !on_board.contains(&code),
                    "{code} was on the board yet accepted again"
                );
                accepted += 1;
            }
            (409, "already_voted") => {
                assert!(
                    on_board.contains(&code),
                    "{code}: already_voted, but its ballot is not on the board"
                );
                committed_before += 1;
            }
            _ => panic!("{code} after the restart: {} {}", reply.status, reply.body),
        }
        api.get(&format!("/elections/{}/ballots/{code}", e.id))
            .await
            .expect(200);
    }
    assert_eq!(committed_before, on_board.len() - acked.len());
    assert_eq!(acked.len() + committed_before + accepted, VOTERS);

    // Everybody voted once; the count is every voter's ballot.
    let summary = api
        .get(&format!("/elections/{}", e.id))
        .await
        .expect(200)
        .json();
    assert_eq!(summary["ballots"], VOTERS as u64);
    election::close(&admin, &e.id).await;
    assert_eq!(
        election::decrypt(&api, &e, &[0, 2], &mut rng).await,
        "published"
    );
    assert_eq!(election::result_totals(&api, &e.id).await, expected);
    let complete = records.path().join("complete");
    support::download_record_async(&server.url(), &e.id, &complete).await;
    support::assert_verifies(&complete, false).await;
    let board =
        BoardSummary::parse(&std::fs::read_to_string(complete.join("board.jsonl")).unwrap());
    board.assert_one_ballot_per_credential();
    assert_eq!(board.ballots.len(), VOTERS);
    eprintln!("[{:?}] done", started.elapsed());
}
