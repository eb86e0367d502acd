//! Two `urna serve` processes on one PostgreSQL database. Ballots go to both nodes at once;
//! for many credentials two different ballots are sent to the two nodes at the same instant:
//! exactly one is accepted, the other gets 409 `already_voted`. The board stays one valid
//! chain holding exactly the accepted ballots, both nodes serve the same head, and the
//! decrypted result is the count of the accepted ballots.

mod support;

use futures_util::StreamExt;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use support::election::{self, BoardSummary};
use support::http::{Admin, Api, Reply};
use support::{Database, Server, ServerOptions};
use urna_election::ballot::Ballot;

const VOTERS: usize = 160;
/// Credentials whose two ballots race on the two nodes (the rest vote once, on either node).
const RACING: usize = 100;
const PUBLIC_URL: &str = "https://val.example.edu";

/// One ballot sent: the answer, the ballot and the vote in it.
type Sent = (Reply, Ballot, Vec<Vec<u64>>);

/// What one credential sends: one ballot, or two racing ones.
enum Job {
    Single(usize, Ballot, Vec<Vec<u64>>),
    Race([(Ballot, Vec<Vec<u64>>); 2]),
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_accept_one_ballot_per_credential() {
    let Some(db) = Database::postgres() else {
        return;
    };
    let started = std::time::Instant::now();
    let mail = tempfile::tempdir().unwrap();
    let outbox = mail.path().join("outbox");
    let options = ServerOptions::new(&db)
        .outbox(&outbox)
        .public_url(PUBLIC_URL);
    let node_a = Server::start(options.clone().admin_password("two nodes, one database"));
    let node_b = Server::start(options.admin_password("two nodes, one database"));
    let a = Api::new(&node_a.url());
    let b = Api::new(&node_b.url());
    let nodes = [a.clone(), b.clone()];
    let admin = Admin::login(&a, "admin", node_a.admin_password()).await;
    let mut rng = ChaCha20Rng::seed_from_u64(5);

    // Prepared on node A; both nodes' mail senders share the queue (and here one outbox).
    let (roll, _) = election::roll("math.example.edu", VOTERS);
    let e = election::prepare(&admin, &election::manifest("teachers"), &roll, &mut rng).await;
    // Opened through node B: a session of node A is valid on node B (same database).
    let admin_b = Admin {
        api: b.clone(),
        ..admin.clone()
    };
    election::open(&admin_b, &e.id).await;
    assert_eq!(a.state(&e.id).await, "open");
    let keys = election::outbox_keys(&outbox, PUBLIC_URL, &e, VOTERS).await;

    let context = e.context.clone();
    let jobs: Vec<Job> = tokio::task::spawn_blocking(move || {
        let mut rng = ChaCha20Rng::seed_from_u64(6);
        keys.iter()
            .enumerate()
            .map(|(i, key)| {
                if i < RACING {
                    Job::Race([
                        election::ballot(&context, key, &mut rng),
                        election::ballot(&context, key, &mut rng),
                    ])
                } else {
                    let (ballot, vote) = election::ballot(&context, key, &mut rng);
                    Job::Single(i % 2, ballot, vote)
                }
            })
            .collect()
    })
    .await
    .unwrap();
    eprintln!("[{:?}] open, ballots encrypted", started.elapsed());

    // Everything at once (16 credentials in flight), interleaving races and single ballots.
    let id = e.id.clone();
    let outcomes: Vec<Vec<Sent>> = futures_util::stream::iter(jobs)
        .map(|job| {
            let nodes = nodes.clone();
            let id = id.clone();
            async move {
                match job {
                    Job::Single(node, ballot, vote) => {
                        let reply = election::cast(&nodes[node], &id, &ballot).await;
                        vec![(reply, ballot, vote)]
                    }
                    Job::Race([(b1, v1), (b2, v2)]) => {
                        let (r1, r2) = tokio::join!(
                            election::cast(&nodes[0], &id, &b1),
                            election::cast(&nodes[1], &id, &b2)
                        );
                        vec![(r1, b1, v1), (r2, b2, v2)]
                    }
                }
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    eprintln!("[{:?}] cast", started.elapsed());

    let mut expected = election::zero_totals(&e.manifest);
    let mut accepted = Vec::new();
    let mut wins = [0, 0];
    let mut problems = Vec::new();
    for replies in &outcomes {
        let ok: Vec<_> = replies.iter().filter(|(r, _, _)| r.status == 201).collect();
        if ok.len() != 1 {
            problems.push(format!(
                "{} ballot(s) of one credential accepted: {:?}",
                ok.len(),
                replies
                    .iter()
                    .map(|(r, _, _)| (r.status, r.body.clone()))
                    .collect::<Vec<_>>()
            ));
            continue;
        }
        for (i, (reply, ballot, vote)) in replies.iter().enumerate() {
            if reply.status == 201 {
                let receipt: urna_api::CastReceipt = reply.parse();
                assert_eq!(receipt.tracking_code, ballot.tracking_code().0);
                accepted.push(receipt.tracking_code);
                election::add_vote(&mut expected, vote, 1);
                if replies.len() == 2 {
                    wins[i] += 1;
                }
            } else if (reply.status, reply.error().as_str()) != (409, "already_voted") {
                problems.push(format!(
                    "the losing ballot got {} {}",
                    reply.status, reply.body
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert_eq!(accepted.len(), VOTERS);
    eprintln!("races won by node A {}, node B {}", wins[0], wins[1]);

    // One chain, the same on both nodes, with exactly the accepted ballots.
    let head_a = a.head(&e.id).await;
    assert_eq!(
        head_a,
        b.head(&e.id).await,
        "both nodes serve the same head"
    );
    let records = tempfile::tempdir().unwrap();
    let dir = records.path().join("open");
    support::download_record_async(&node_b.url(), &e.id, &dir).await;
    support::assert_verifies(&dir, true).await;
    let board = BoardSummary::read(&dir);
    board.assert_one_ballot_per_credential();
    // setup, 3 × 3 ceremony rounds, credentials, seal, approval, open.
    assert_eq!(board.non_ballots(), 14, "{:?}", board.kinds);
    assert_eq!(board.kinds.len(), accepted.len() + board.non_ballots());
    assert_eq!(head_a.0 as usize, board.kinds.len());
    assert_eq!(hex::encode(board.head.unwrap().0), head_a.1);
    let on_board = board.codes();
    for code in &accepted {
        assert!(
            on_board.contains(code),
            "accepted {code} is not on the board"
        );
    }
    let lookups = [&a, &b];
    for (i, code) in accepted.iter().enumerate() {
        lookups[i % 2]
            .get(&format!("/elections/{}/ballots/{code}", e.id))
            .await
            .expect(200);
    }

    // Closed on one node, decrypted through the other: the count of the accepted ballots.
    election::close(&admin, &e.id).await;
    assert_eq!(
        election::decrypt(&b, &e, &[1, 2], &mut rng).await,
        "published"
    );
    assert_eq!(election::result_totals(&a, &e.id).await, expected);
    let complete = records.path().join("complete");
    support::download_record_async(&node_a.url(), &e.id, &complete).await;
    support::assert_verifies(&complete, false).await;
    eprintln!("[{:?}] done", started.elapsed());
}
