//! A whole election through the router in process (no socket): every role's routes, the
//! state machine, casting and the published result, on SQLite. The socket-level tests are in
//! crates/urna/tests/server_*.rs.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use http_body_util::BodyExt;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde_json::Value;
use tower::ServiceExt;
use urna_api::*;
use urna_crypto::dkg::{self, CeremonyTranscript, DkgParameters};
use urna_election::ballot::encrypt_ballot;
use urna_election::board::Event;
use urna_election::credential::CredentialSecret;
use urna_election::manifest::ElectionManifest;
use urna_election::simulate::random_vote;
use urna_election::tally::{decode_tally, decrypt_share};
use urna_election::{BoardEntry, RecordVerifier};
use urna_server::config::ServerConfig;
use urna_server::db::Db;
use urna_server::mail::{extract_link, Mailer, MailerConfig};
use urna_server::server::{ensure_admin, BootstrapAdmin};
use urna_server::{app, AppState};

struct Harness {
    router: axum::Router,
    state: AppState,
    cookie: String,
    csrf: String,
    outbox: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Harness {
    async fn new() -> Self {
        Self::on(None).await
    }

    /// On PostgreSQL when `postgres` is a server URL: a fresh database there.
    async fn on(postgres: Option<&str>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let outbox = dir.path().join("outbox");
        let database_url = match postgres {
            None => format!("sqlite://{}", dir.path().join("urna.db").display()),
            Some(url) => {
                use sqlx::Connection;
                sqlx::any::install_default_drivers();
                let name = format!("urna_flow_{}", urna_server::auth::random_token());
                let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .await
                    .unwrap();
                let mut u = url::Url::parse(url).unwrap();
                u.set_path(&name);
                u.to_string()
            }
        };
        let config = ServerConfig {
            database_url,
            public_url: "https://val.example.edu".into(),
            mail_outbox: Some(outbox.clone()),
            login_rate_limit: 0,
            cast_rate_limit: 0,
            ..ServerConfig::default()
        };
        let db = Db::connect(&config.database_url).await.unwrap();
        ensure_admin(
            &db,
            &BootstrapAdmin {
                username: "admin".into(),
                password: "a long enough password".into(),
            },
        )
        .await
        .unwrap();
        let mailer = Mailer::new(&MailerConfig::Outbox(outbox.clone())).unwrap();
        let state = AppState::new(db, config, mailer);
        let router = app(state.clone());
        let mut h = Self {
            router,
            state,
            cookie: String::new(),
            csrf: String::new(),
            outbox,
            _dir: dir,
        };
        let (status, headers, body) = h
            .raw(
                Method::POST,
                "/api/v1/admin/login",
                Some(
                    serde_json::json!({"username": "admin", "password": "a long enough password"}),
                ),
                &[],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let cookie = headers
            .get(header::SET_COOKIE)
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            cookie.contains("HttpOnly")
                && cookie.contains("SameSite=Strict")
                && cookie.contains("Secure")
        );
        h.cookie = cookie.split(';').next().unwrap().to_owned();
        h.csrf = body["csrf_token"].as_str().unwrap().to_owned();
        h
    }

    async fn raw(
        &self,
        method: Method,
        uri: &str,
        json: Option<Value>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, axum::http::HeaderMap, Value) {
        let mut req = Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let body = match json {
            Some(v) => {
                req = req.header(header::CONTENT_TYPE, "application/json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        let resp = self
            .router
            .clone()
            .oneshot(req.body(body).unwrap())
            .await
            .unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        (status, headers, value)
    }

    async fn public(&self, method: Method, uri: &str, json: Option<Value>) -> (StatusCode, Value) {
        let (s, _, v) = self.raw(method, uri, json, &[]).await;
        (s, v)
    }

    async fn admin(&self, method: Method, uri: &str, json: Option<Value>) -> (StatusCode, Value) {
        let (s, _, v) = self
            .raw(
                method,
                uri,
                json,
                &[("cookie", &self.cookie), (CSRF_HEADER, &self.csrf)],
            )
            .await;
        (s, v)
    }

    async fn put_roll(&self, id: &str, csv: &str) -> (StatusCode, Value) {
        let req = Request::builder()
            .method(Method::PUT)
            .uri(format!("/api/v1/admin/elections/{id}/roll"))
            .header("cookie", &self.cookie)
            .header(CSRF_HEADER, &self.csrf)
            .header(header::CONTENT_TYPE, "text/csv")
            .body(Body::from(csv.to_owned()))
            .unwrap();
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    async fn trustee(
        &self,
        method: Method,
        uri: &str,
        token: &str,
        json: Option<Value>,
    ) -> (StatusCode, Value) {
        let auth = format!("Bearer {token}");
        let (s, _, v) = self
            .raw(method, uri, json, &[("authorization", &auth)])
            .await;
        (s, v)
    }
}

fn manifest(name: &str) -> ElectionManifest {
    let path = format!(
        "{}/../../tests/fixtures/manifests/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn roll(n: usize) -> String {
    let mut csv = String::from("email,name\n");
    for i in 0..n {
        csv.push_str(&format!("voter{i}@math.example.edu,Väljare {i}\n"));
    }
    csv
}

/// Sends every queued mail once (the background sender is not running in this harness).
async fn deliver(outbox: &std::path::Path) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    if let Ok(dir) = std::fs::read_dir(outbox) {
        for e in dir.flatten() {
            out.push(std::fs::read(e.path()).unwrap());
        }
    }
    out
}

/// An election taken through creation, roll, ceremony, approval and opening.
struct OpenElection {
    id: String,
    created: CreatedElection,
    context: urna_election::ballot::ElectionContext,
    keys: Vec<urna_election::credential::CredentialKey>,
    shares: Vec<dkg::KeyShare>,
}

async fn open_election(
    h: &Harness,
    m: &ElectionManifest,
    roll_csv: &str,
    voters: usize,
    rng: &mut ChaCha20Rng,
) -> OpenElection {
    open_election_with(h, m, roll_csv, voters, rng, false).await
}

async fn open_election_with(
    h: &Harness,
    m: &ElectionManifest,
    roll_csv: &str,
    voters: usize,
    rng: &mut ChaCha20Rng,
    scheduled: bool,
) -> OpenElection {
    let (s, created) = h
        .admin(
            Method::POST,
            "/api/v1/admin/elections",
            Some(serde_json::json!({"manifest": m, "orderer": {"name": "Prefekt", "email": "prefekt@math.example.edu"}})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let created: CreatedElection = serde_json::from_value(created).unwrap();
    let id = created.id.clone();
    // Drafts are not public.
    let (s, _) = h
        .public(Method::GET, &format!("/api/v1/elections/{id}"), None)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // The ceremony needs a roll; a bad roll imports nothing.
    let (s, v) = h
        .admin(
            Method::POST,
            &format!("/api/v1/admin/elections/{id}/ceremony"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    let (s, v) = h.put_roll(&id, "email,name\nnot-an-email,X\n").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["error"], "invalid_roll");
    assert_eq!(v["details"][0]["line"], 2);
    let (s, v) = h.put_roll(&id, roll_csv).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["voters"], voters as u64);
    let (s, v) = h
        .admin(
            Method::POST,
            &format!("/api/v1/admin/elections/{id}/ceremony"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["state"], "key_ceremony");
    let (s, v) = h.put_roll(&id, roll_csv).await;
    assert_eq!(
        s,
        StatusCode::CONFLICT,
        "the roll is fixed once the ceremony starts: {v}"
    );

    // The trustees, each with its own token.
    let base = format!("/api/v1/trustee/elections/{id}");
    let (s, view) = h
        .trustee(Method::GET, &base, &created.trustees[0].token, None)
        .await;
    assert_eq!(s, StatusCode::OK, "{view}");
    let view: TrusteeView = serde_json::from_value(view).unwrap();
    let params = DkgParameters::new(view.trustees, view.threshold).unwrap();
    let context = view.setup_hash.unwrap();
    let mut secrets = Vec::new();
    for t in &created.trustees {
        let (secret, package) = dkg::start(params, t.index, context.as_bytes(), rng).unwrap();
        secrets.push(secret);
        let (s, v) = h
            .trustee(
                Method::POST,
                &format!("{base}/round1"),
                &t.token,
                Some(serde_json::to_value(&package).unwrap()),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        // Posting twice, or as somebody else, is refused.
        let (s, v) = h
            .trustee(
                Method::POST,
                &format!("{base}/round1"),
                &t.token,
                Some(serde_json::to_value(&package).unwrap()),
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
    }
    let (_, view) = h
        .trustee(Method::GET, &base, &created.trustees[0].token, None)
        .await;
    let view: TrusteeView = serde_json::from_value(view).unwrap();
    let mut round2 = Vec::new();
    for (secret, t) in secrets.into_iter().zip(&created.trustees) {
        let (next, package) = secret.deal(&view.round1, rng).unwrap();
        round2.push(next);
        let (s, v) = h
            .trustee(
                Method::POST,
                &format!("{base}/round2"),
                &t.token,
                Some(serde_json::to_value(&package).unwrap()),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    let (_, view) = h
        .trustee(Method::GET, &base, &created.trustees[0].token, None)
        .await;
    let view: TrusteeView = serde_json::from_value(view).unwrap();
    let mut round3 = Vec::new();
    let mut last = Value::Null;
    for (secret, t) in round2.into_iter().zip(&created.trustees) {
        let (next, package) = secret.check(&view.round2, rng).unwrap();
        round3.push(next);
        let (s, v) = h
            .trustee(
                Method::POST,
                &format!("{base}/round3"),
                &t.token,
                Some(serde_json::to_value(&package).unwrap()),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        last = v;
    }
    assert_eq!(last["state"], "awaiting_approval");
    let (_, view) = h
        .trustee(Method::GET, &base, &created.trustees[0].token, None)
        .await;
    let view: TrusteeView = serde_json::from_value(view).unwrap();
    let transcript = CeremonyTranscript {
        round1: view.round1.clone(),
        round2: view.round2.clone(),
        round3: view.round3.clone(),
    };
    let shares: Vec<_> = round3
        .into_iter()
        .map(|s| s.finish(&transcript).unwrap().0)
        .collect();

    // Nobody is invited before the orderer approves.
    assert_eq!(
        urna_server::invitations::send_due(&h.state).await.unwrap(),
        1,
        "only the orderer's request goes out"
    );
    // The orderer reviews and approves what it saw.
    let orderer = format!("/api/v1/orderer/{}", created.orderer_token);
    let (s, v) = h.public(Method::GET, &orderer, None).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let review: OrdererView = serde_json::from_value(v).unwrap();
    assert_eq!(review.summary.voters, voters as u64);
    let fingerprint = review.summary.fingerprint.unwrap();
    let (s, v) = h.public(Method::POST, &format!("{orderer}/approve"), Some(serde_json::json!({"fingerprint": urna_crypto::Digest32([1; 32]), "name": "Prefekt"}))).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    let (s, v) = h
        .public(
            Method::POST,
            &format!("{orderer}/approve"),
            Some(serde_json::json!({"fingerprint": fingerprint, "name": "Prefekt"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["state"], "scheduled");
    let (s, v) = h
        .public(Method::GET, &format!("/api/v1/elections/{id}/booth"), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let booth: BoothInfo = serde_json::from_value(v).unwrap();
    assert_eq!(booth.fingerprint, fingerprint);
    let context = urna_election::ballot::ElectionContext {
        manifest: booth.manifest.clone(),
        setup_hash: booth.setup_hash,
        election_key: urna_crypto::PublicKey::from_bytes(&booth.election_key).unwrap(),
        fingerprint: booth.fingerprint,
    };
    // Casting before the opening is refused.
    let early = encrypt_ballot(
        &context,
        &CredentialSecret::generate(rng).derive_key(&booth.setup_hash),
        &random_vote(m, rng),
        rng,
    )
    .unwrap()
    .cast();
    let (s, v) = h
        .public(
            Method::POST,
            &format!("/api/v1/elections/{id}/ballots"),
            Some(serde_json::to_value(&early).unwrap()),
        )
        .await;
    if !scheduled {
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        assert_eq!(v["error"], "wrong_state");
    }
    if scheduled {
        wait_for_state(h, &id, "open").await;
    } else {
        let (s, v) = h
            .admin(
                Method::POST,
                &format!("/api/v1/admin/elections/{id}/open"),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }

    // Invitations go out from the approval on: run the sender's code path once.
    let before = deliver(&h.outbox).await.len();
    let sent = urna_server::invitations::send_due(&h.state).await.unwrap();
    assert_eq!(sent, voters, "every voter gets one mail");
    let mails = deliver(&h.outbox).await;
    assert_eq!(mails.len(), before + voters);
    let prefix = format!("https://val.example.edu/vote/{id}#");
    let keys: Vec<_> = mails
        .iter()
        .filter_map(|raw| extract_link(raw, &prefix))
        .map(|link| {
            let fragment = link.split_once('#').unwrap().1;
            CredentialSecret::from_link_string(fragment)
                .unwrap()
                .derive_key(&booth.setup_hash)
        })
        .collect();
    assert_eq!(keys.len(), voters);
    let (s, v) = h
        .admin(Method::GET, &format!("/api/v1/admin/elections/{id}"), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["mail"]["invited"], voters as u64);
    assert_eq!(v["mail"]["queued"], 0);
    OpenElection {
        id,
        created,
        context,
        keys,
        shares,
    }
}

async fn cast(
    h: &Harness,
    id: &str,
    ballot: &urna_election::ballot::Ballot,
) -> (StatusCode, Value) {
    h.public(
        Method::POST,
        &format!("/api/v1/elections/{id}/ballots"),
        Some(serde_json::to_value(ballot).unwrap()),
    )
    .await
}

/// Closes, lets two of three trustees decrypt, returns the published totals and checks the
/// streamed board verifies as a complete record.
async fn close_and_count(h: &Harness, e: &OpenElection, rng: &mut ChaCha20Rng) -> Vec<Vec<u64>> {
    let id = &e.id;
    let (_, summary) = h
        .public(Method::GET, &format!("/api/v1/elections/{id}"), None)
        .await;
    if summary["state"] == "open" {
        let (s, v) = h
            .admin(
                Method::POST,
                &format!("/api/v1/admin/elections/{id}/close"),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["state"], "tallying");
    }
    let late = encrypt_ballot(
        &e.context,
        &e.keys[0],
        &random_vote(&e.context.manifest, rng),
        rng,
    )
    .unwrap()
    .cast();
    let (s, v) = cast(h, id, &late).await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    let base = format!("/api/v1/trustee/elections/{id}");
    let mut state_after = Value::Null;
    for (share, t) in e.shares.iter().zip(&e.created.trustees).skip(1) {
        let (_, view) = h.trustee(Method::GET, &base, &t.token, None).await;
        let view: TrusteeView = serde_json::from_value(view).unwrap();
        let totals = decode_tally(&view.tally.unwrap()).unwrap();
        let d = decrypt_share(&e.context.fingerprint, share, &totals, rng);
        // Another trustee's token cannot post it.
        let (s, _) = h
            .trustee(
                Method::POST,
                &format!("{base}/decryption"),
                &e.created.trustees[0].token,
                Some(serde_json::to_value(&d).unwrap()),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, v) = h
            .trustee(
                Method::POST,
                &format!("{base}/decryption"),
                &t.token,
                Some(serde_json::to_value(&d).unwrap()),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        state_after = v["state"].clone();
    }
    assert_eq!(state_after, "published");
    let (s, result) = h
        .public(Method::GET, &format!("/api/v1/elections/{id}/result"), None)
        .await;
    assert_eq!(s, StatusCode::OK, "{result}");
    let (s, text) = h
        .public(
            Method::GET,
            &format!("/api/v1/elections/{id}/board.jsonl"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let mut verifier = RecordVerifier::new();
    for line in text.as_str().unwrap().lines() {
        verifier.push_line(line).unwrap();
    }
    verifier.finish(true).unwrap();
    let (s, html) = h
        .public(
            Method::GET,
            &format!("/api/v1/results.html?elections={id}"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(html
        .as_str()
        .unwrap()
        .contains(&e.context.manifest.title.sv));
    result["contests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| serde_json::from_value(c["totals"].clone()).unwrap())
        .collect()
}

async fn wait_for_state(h: &Harness, id: &str, state: &str) {
    for _ in 0..100 {
        let (_, v) = h
            .public(Method::GET, &format!("/api/v1/elections/{id}"), None)
            .await;
        if v["state"] == state {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("election {id} never reached {state}");
}

fn add(expected: &mut [Vec<u64>], vote: &[Vec<u64>], weight: u64) {
    for (sum, v) in expected.iter_mut().zip(vote) {
        for (s, x) in sum.iter_mut().zip(v) {
            *s += x * weight;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_election_runs_end_to_end_through_the_router() {
    full_election(Harness::new().await).await;
}

/// The same on PostgreSQL (URNA_TEST_POSTGRES_URL; CI sets it and URNA_REQUIRE_POSTGRES).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_election_runs_end_to_end_on_postgres() {
    match std::env::var("URNA_TEST_POSTGRES_URL") {
        Ok(url) => full_election(Harness::on(Some(&url)).await).await,
        Err(_) => {
            assert!(
                std::env::var("URNA_REQUIRE_POSTGRES").is_err(),
                "URNA_REQUIRE_POSTGRES is set but URNA_TEST_POSTGRES_URL is not"
            );
            eprintln!("skipped: PostgreSQL not configured (set URNA_TEST_POSTGRES_URL)");
        }
    }
}

async fn full_election(h: Harness) {
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let m = manifest("technical-staff");
    let voters = 12;
    let e = open_election(&h, &m, &roll(voters), voters, &mut rng).await;
    let id = &e.id;
    let mut expected: Vec<Vec<u64>> = m
        .contests
        .iter()
        .map(|c| vec![0; c.selection_count()])
        .collect();
    let mut codes = Vec::new();
    let mut first = None;
    for key in &e.keys {
        let vote = random_vote(&m, &mut rng);
        add(&mut expected, &vote, 1);
        let ballot = encrypt_ballot(&e.context, key, &vote, &mut rng)
            .unwrap()
            .cast();
        let (s, v) = cast(&h, id, &ballot).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let receipt: CastReceipt = serde_json::from_value(v).unwrap();
        assert_eq!(receipt.tracking_code, ballot.tracking_code().0);
        codes.push(receipt.tracking_code);
        first.get_or_insert(ballot);
    }
    // A second ballot under `final`, and the same ballot replayed: both refused, nothing stored.
    let head_before = h
        .public(Method::GET, &format!("/api/v1/elections/{id}/head"), None)
        .await
        .1;
    let again = encrypt_ballot(&e.context, &e.keys[0], &random_vote(&m, &mut rng), &mut rng)
        .unwrap()
        .cast();
    for ballot in [again, first.unwrap()] {
        let (s, v) = cast(&h, id, &ballot).await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        assert_eq!(v["error"], "already_voted");
    }
    let head_after = h
        .public(Method::GET, &format!("/api/v1/elections/{id}/head"), None)
        .await
        .1;
    assert_eq!(head_before, head_after);
    let (s, v) = h
        .public(
            Method::GET,
            &format!("/api/v1/elections/{id}/ballots/{}", codes[3]),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["counted"], true);
    assert_eq!(close_and_count(&h, &e, &mut rng).await, expected);
}

/// A weighted roll under `last-counts`, ballots cast concurrently (so the worker batches them)
/// with revotes: the running tally subtracts replaced ballots and weighs each class once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weighted_revotes_cast_concurrently_count_once_each() {
    let h = Harness::new().await;
    let mut rng = ChaCha20Rng::seed_from_u64(8);
    let mut m = manifest("union-council");
    m.revote = urna_election::manifest::RevotePolicy::LastCounts;
    let weights: Vec<u64> = (0..15).map(|i| 1 + i % 3).collect();
    let mut csv = String::from("email,name,weight\n");
    for (i, w) in weights.iter().enumerate() {
        csv.push_str(&format!("delegate{i}@union.example.org,Delegat {i},{w}\n"));
    }
    let e = open_election(&h, &m, &csv, weights.len(), &mut rng).await;
    // Which key has which weight is not known to the test (the list is sorted and anonymous);
    // the board says: each credential's weight is on its ballot entry.
    let mut last_votes = std::collections::HashMap::new();
    for round in 0..2 {
        let mut tasks = Vec::new();
        for (i, key) in e.keys.iter().enumerate() {
            if round == 1 && i % 2 == 0 {
                continue;
            }
            let vote = random_vote(&m, &mut rng);
            let ballot = encrypt_ballot(&e.context, key, &vote, &mut rng)
                .unwrap()
                .cast();
            last_votes.insert(i, vote);
            let router = h.router.clone();
            let id = e.id.clone();
            tasks.push(tokio::spawn(async move {
                let req = Request::builder()
                    .method(Method::POST)
                    .uri(format!("/api/v1/elections/{id}/ballots"))
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(serde_json::to_string(&ballot).unwrap()))
                    .unwrap();
                let resp = router.oneshot(req).await.unwrap();
                let status = resp.status();
                let bytes = resp.into_body().collect().await.unwrap().to_bytes();
                let v: Value = serde_json::from_slice(&bytes).unwrap();
                (status, v)
            }));
        }
        for t in tasks {
            let (s, v) = t.await.unwrap();
            assert_eq!(s, StatusCode::CREATED, "{v}");
        }
    }
    // Weights per credential from the board's ballot entries.
    let (_, text) = h
        .public(
            Method::GET,
            &format!("/api/v1/elections/{}/board.jsonl", e.id),
            None,
        )
        .await;
    let mut weight_of = std::collections::HashMap::new();
    for line in text.as_str().unwrap().lines() {
        let entry = BoardEntry::parse_line(line).unwrap();
        if let Ok(Event::Ballot(b)) = entry.event() {
            weight_of.insert(b.ballot.credential, b.weight);
        }
    }
    let mut expected: Vec<Vec<u64>> = m
        .contests
        .iter()
        .map(|c| vec![0; c.selection_count()])
        .collect();
    for (i, vote) in &last_votes {
        let credential = e.keys[*i].public().to_bytes();
        add(&mut expected, vote, weight_of[&credential]);
    }
    assert_eq!(weight_of.values().sum::<u64>(), weights.iter().sum::<u64>());
    assert_eq!(close_and_count(&h, &e, &mut rng).await, expected);
}

/// A voting period in local Stockholm time: the scheduler opens the approved election at its
/// start and closes it at its end, with the encrypted tally posted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scheduler_opens_and_closes_on_time() {
    let h = Harness::new().await;
    let (_stop, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(urna_server::lifecycle::run_scheduler(
        h.state.clone(),
        stop_rx,
    ));
    let mut rng = ChaCha20Rng::seed_from_u64(9);
    let mut m = manifest("technical-staff");
    let stockholm: chrono_tz::Tz = "Europe/Stockholm".parse().unwrap();
    let local = |secs: i64| {
        (chrono::Utc::now() + chrono::Duration::seconds(secs))
            .with_timezone(&stockholm)
            .format("%Y-%m-%dT%H:%M:%S")
            .to_string()
    };
    m.voting_period = Some(urna_election::manifest::VotingPeriod {
        opens: local(-60),
        closes: local(6),
        time_zone: "Europe/Stockholm".into(),
    });
    let e = open_election_with(&h, &m, &roll(3), 3, &mut rng, true).await;
    let mut expected: Vec<Vec<u64>> = m
        .contests
        .iter()
        .map(|c| vec![0; c.selection_count()])
        .collect();
    for key in &e.keys {
        let vote = random_vote(&m, &mut rng);
        add(&mut expected, &vote, 1);
        let ballot = encrypt_ballot(&e.context, key, &vote, &mut rng)
            .unwrap()
            .cast();
        let (s, v) = cast(&h, &e.id, &ballot).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    wait_for_state(&h, &e.id, "tallying").await;
    assert_eq!(close_and_count(&h, &e, &mut rng).await, expected);
}
