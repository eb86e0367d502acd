//! An election taken through the API by in-process parties: the admin creates it and uploads
//! the roll, three trustees run the key ceremony with `urna_crypto::dkg` exactly as
//! `urna_election::simulate` does (their secrets stay in the test), the orderer approves,
//! voters take their credentials from the invitation mails, encrypt and cast.

use std::path::Path;
use std::time::Duration;

use rand::{CryptoRng, RngCore};
use serde_json::Value;
use urna_api::{BoothInfo, CastReceipt, CreatedElection, OrdererView, RollImported, TrusteeView};
use urna_crypto::dkg::{self, CeremonyTranscript, DkgParameters, KeyShare};
use urna_crypto::Digest32;
use urna_election::ballot::{encrypt_ballot, Ballot, ElectionContext};
use urna_election::credential::{CredentialKey, CredentialSecret};
use urna_election::manifest::ElectionManifest;
use urna_election::simulate::random_vote;
use urna_election::tally::{decode_tally, decrypt_share};

use super::http::{Admin, Api, Reply};
use super::repo_root;

/// A manifest from tests/fixtures/manifests/NAME.json.
pub fn manifest(name: &str) -> ElectionManifest {
    let path = repo_root().join(format!("tests/fixtures/manifests/{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("manifest")
}

/// A roll of `n` synthetic voters `voterI@DOMAIN` (header included) and their addresses.
pub fn roll(domain: &str, n: usize) -> (String, Vec<String>) {
    let mut csv = String::from("email,name\n");
    let mut emails = Vec::new();
    for i in 0..n {
        let email = format!("voter{i}@{domain}");
        csv.push_str(&format!("{email},Väljare {i}\n"));
        emails.push(email);
    }
    (csv, emails)
}

/// The first `n` voters of a fixture roll (tests/fixtures/roll-NAME.csv) and their addresses.
pub fn fixture_roll(name: &str, n: usize) -> (String, Vec<String>) {
    let path = repo_root().join(format!("tests/fixtures/roll-{name}.csv"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let header = lines.next().expect("header");
    let body: Vec<&str> = lines.filter(|l| !l.trim().is_empty()).take(n).collect();
    assert_eq!(
        body.len(),
        n,
        "{} has fewer than {n} voters",
        path.display()
    );
    let emails = body
        .iter()
        .map(|l| l.split(',').next().unwrap_or("").trim().to_owned())
        .collect();
    (format!("{header}\n{}\n", body.join("\n")), emails)
}

/// An election between creation and opening, with the trustees' key shares.
#[derive(Debug)]
pub struct Prepared {
    pub id: String,
    pub created: CreatedElection,
    pub shares: Vec<KeyShare>,
    pub context: ElectionContext,
    pub manifest: ElectionManifest,
}

impl Prepared {
    pub fn fingerprint(&self) -> Digest32 {
        self.context.fingerprint
    }

    pub fn setup_hash(&self) -> Digest32 {
        self.context.setup_hash
    }
}

/// The orderer of every test election.
pub const ORDERER_EMAIL: &str = "prefekt@math.example.edu";

/// `POST /admin/elections` (orderer `prefekt@math.example.edu`) and `PUT …/roll`.
pub async fn create(admin: &Admin, manifest: &ElectionManifest, roll_csv: &str) -> CreatedElection {
    create_with_roll(admin, manifest, roll_csv).await.0
}

/// [`create`], also returning the roll upload's answer (with its warnings).
pub async fn create_with_roll(
    admin: &Admin,
    manifest: &ElectionManifest,
    roll_csv: &str,
) -> (CreatedElection, RollImported) {
    let created: CreatedElection = admin
        .post(
            "/admin/elections",
            &serde_json::json!({
                "manifest": manifest,
                "orderer": {"name": "Prefekt", "email": ORDERER_EMAIL}
            }),
        )
        .await
        .expect(201)
        .parse();
    let imported: RollImported = admin
        .put_csv(&format!("/admin/elections/{}/roll", created.id), roll_csv)
        .await
        .expect(200)
        .parse();
    (created, imported)
}

/// `POST …/ceremony`: draft → key_ceremony.
pub async fn start_ceremony(admin: &Admin, id: &str) {
    let v = admin
        .post_empty(&format!("/admin/elections/{id}/ceremony"))
        .await
        .expect(200)
        .json();
    assert_eq!(v["state"], "key_ceremony", "{v}");
}

/// The trustee view with the given token.
pub async fn trustee_view(api: &Api, id: &str, token: &str) -> TrusteeView {
    api.trustee_get(&format!("/trustee/elections/{id}"), token)
        .await
        .expect(200)
        .parse()
}

/// Every trustee runs the three rounds through the API; returns their key shares (index order).
pub async fn run_ceremony<R: RngCore + CryptoRng>(
    api: &Api,
    created: &CreatedElection,
    rng: &mut R,
) -> Vec<KeyShare> {
    let id = &created.id;
    let base = format!("/trustee/elections/{id}");
    let view = trustee_view(api, id, &created.trustees[0].token).await;
    let params = DkgParameters::new(view.trustees, view.threshold).expect("parameters");
    let context = view.setup_hash.expect("the ceremony has started");
    let mut round1 = Vec::new();
    for t in &created.trustees {
        let (secret, package) =
            dkg::start(params, t.index, context.as_bytes(), rng).expect("round 1");
        round1.push(secret);
        api.trustee_post(&format!("{base}/round1"), &t.token, &package)
            .await
            .expect(200);
    }
    let view = trustee_view(api, id, &created.trustees[0].token).await;
    let mut round2 = Vec::new();
    for (secret, t) in round1.into_iter().zip(&created.trustees) {
        let (next, package) = secret.deal(&view.round1, rng).expect("round 2");
        round2.push(next);
        api.trustee_post(&format!("{base}/round2"), &t.token, &package)
            .await
            .expect(200);
    }
    let view = trustee_view(api, id, &created.trustees[0].token).await;
    let mut round3 = Vec::new();
    let mut last = Value::Null;
    for (secret, t) in round2.into_iter().zip(&created.trustees) {
        let (next, package) = secret.check(&view.round2, rng).expect("round 3");
        round3.push(next);
        last = api
            .trustee_post(&format!("{base}/round3"), &t.token, &package)
            .await
            .expect(200)
            .json();
    }
    assert_eq!(last["state"], "awaiting_approval", "{last}");
    let view = trustee_view(api, id, &created.trustees[0].token).await;
    let transcript = CeremonyTranscript {
        round1: view.round1,
        round2: view.round2,
        round3: view.round3,
    };
    round3
        .into_iter()
        .map(|s| s.finish(&transcript).expect("finish").0)
        .collect()
}

/// The orderer reviews and approves the fingerprint it saw; returns it.
pub async fn approve(api: &Api, created: &CreatedElection) -> Digest32 {
    let orderer = format!("/orderer/{}", created.orderer_token);
    let review: OrdererView = api.get(&orderer).await.expect(200).parse();
    let fingerprint = review.summary.fingerprint.expect("sealed");
    let v = api
        .post(
            &format!("{orderer}/approve"),
            &serde_json::json!({"fingerprint": fingerprint, "name": "Prefekt"}),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(v["state"], "scheduled", "{v}");
    fingerprint
}

/// What the booth needs, as an encryption context.
pub async fn booth_context(api: &Api, id: &str) -> ElectionContext {
    let booth: BoothInfo = api
        .get(&format!("/elections/{id}/booth"))
        .await
        .expect(200)
        .parse();
    ElectionContext {
        manifest: booth.manifest.clone(),
        setup_hash: booth.setup_hash,
        election_key: urna_crypto::PublicKey::from_bytes(&booth.election_key)
            .expect("election key"),
        fingerprint: booth.fingerprint,
    }
}

/// Creation, roll, ceremony and approval: the election is `scheduled`.
pub async fn prepare<R: RngCore + CryptoRng>(
    admin: &Admin,
    manifest: &ElectionManifest,
    roll_csv: &str,
    rng: &mut R,
) -> Prepared {
    let api = &admin.api;
    let created = create(admin, manifest, roll_csv).await;
    start_ceremony(admin, &created.id).await;
    let shares = run_ceremony(api, &created, rng).await;
    let fingerprint = approve(api, &created).await;
    let context = booth_context(api, &created.id).await;
    assert_eq!(context.fingerprint, fingerprint);
    Prepared {
        id: created.id.clone(),
        created,
        shares,
        context,
        manifest: manifest.clone(),
    }
}

/// `POST …/open`: scheduled → open.
pub async fn open(admin: &Admin, id: &str) {
    let v = admin
        .post_empty(&format!("/admin/elections/{id}/open"))
        .await
        .expect(200)
        .json();
    assert_eq!(v["state"], "open", "{v}");
}

/// `POST …/close`: open → tallying.
pub async fn close(admin: &Admin, id: &str) {
    let v = admin
        .post_empty(&format!("/admin/elections/{id}/close"))
        .await
        .expect(200)
        .json();
    assert_eq!(v["state"], "tallying", "{v}");
}

/// The raw mails in an outbox directory (.eml files).
pub fn outbox_mails(dir: &Path) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        let mut paths: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        paths.sort();
        for path in paths {
            if path.is_file() {
                if let Ok(bytes) = std::fs::read(&path) {
                    out.push(bytes);
                }
            }
        }
    }
    out
}

/// The voting links for election `id` in these mails: `{public_url}/vote/{id}#{credential}`.
pub fn links(mails: &[Vec<u8>], public_url: &str, id: &str) -> Vec<String> {
    let prefix = format!("{}/vote/{id}#", public_url.trim_end_matches('/'));
    mails
        .iter()
        .filter_map(|raw| urna_server::mail::extract_link(raw, &prefix))
        .collect()
}

/// The credential key in a voting link.
pub fn key_of_link(link: &str, setup_hash: &Digest32) -> CredentialKey {
    let fragment = link.split_once('#').expect("a # in the link").1;
    CredentialSecret::from_link_string(fragment)
        .expect("a credential in the link")
        .derive_key(setup_hash)
}

/// Waits until the outbox holds `n` invitations for the election; returns their keys.
pub async fn outbox_keys(
    outbox: &Path,
    public_url: &str,
    e: &Prepared,
    n: usize,
) -> Vec<CredentialKey> {
    let found = super::wait_until_async(
        Duration::from_secs(60),
        "the invitations in the outbox",
        || async {
            let l = links(&outbox_mails(outbox), public_url, &e.id);
            (l.len() >= n).then_some(l)
        },
    )
    .await;
    assert_eq!(found.len(), n, "one invitation per voter");
    found
        .iter()
        .map(|l| key_of_link(l, &e.setup_hash()))
        .collect()
}

/// A random valid ballot for a credential, with the vote in it.
pub fn ballot<R: RngCore + CryptoRng>(
    context: &ElectionContext,
    key: &CredentialKey,
    rng: &mut R,
) -> (Ballot, Vec<Vec<u64>>) {
    let vote = random_vote(&context.manifest, rng);
    let ballot = encrypt_ballot(context, key, &vote, rng)
        .expect("encrypt")
        .cast();
    (ballot, vote)
}

/// `POST /elections/{id}/ballots`.
pub async fn cast(api: &Api, id: &str, ballot: &Ballot) -> Reply {
    api.post(&format!("/elections/{id}/ballots"), ballot).await
}

/// Casts and expects 201; returns the receipt.
pub async fn cast_ok(api: &Api, id: &str, ballot: &Ballot) -> CastReceipt {
    let receipt: CastReceipt = cast(api, id, ballot).await.expect(201).parse();
    assert_eq!(receipt.tracking_code, ballot.tracking_code().0);
    receipt
}

/// Trustees (0-based positions in `created.trustees`) decrypt the tally; returns the state
/// after the last post.
pub async fn decrypt<R: RngCore + CryptoRng>(
    api: &Api,
    e: &Prepared,
    which: &[usize],
    rng: &mut R,
) -> String {
    let base = format!("/trustee/elections/{}", e.id);
    let mut state = String::new();
    for &i in which {
        let t = &e.created.trustees[i];
        let view = trustee_view(api, &e.id, &t.token).await;
        let totals = decode_tally(&view.tally.expect("the tally is posted")).expect("tally");
        let d = decrypt_share(&e.fingerprint(), &e.shares[i], &totals, rng);
        let v = api
            .trustee_post(&format!("{base}/decryption"), &t.token, &d)
            .await
            .expect(200)
            .json();
        state = v["state"].as_str().unwrap_or("").to_owned();
    }
    state
}

/// What [`assert_recovers`] found of the ballots that had no acknowledgement.
#[derive(Debug)]
pub struct Recovery {
    /// On the board already: committed whole before the fault, the answer lost.
    pub committed_before: usize,
    /// Not on the board: accepted when sent again.
    pub accepted_on_retry: usize,
}

/// After a fault (a killed server, a database that went away) during which `ballots` were
/// cast and those with the tracking codes `acked` were acknowledged: every acknowledged
/// ballot is on the board and the partial record verifies with one ballot per credential;
/// every other ballot is sent again and is either accepted now or was committed whole before
/// (409 `already_voted`, and then it is on the board); then the election is closed and
/// decrypted by trustees 0 and 2, the result is `expected`, and the complete record verifies.
#[allow(clippy::too_many_arguments)]
pub async fn assert_recovers<R: RngCore + CryptoRng>(
    server_url: &str,
    api: &Api,
    admin: &Admin,
    e: &Prepared,
    ballots: &[(Ballot, Vec<Vec<u64>>)],
    acked: &[String],
    expected: &[Vec<u64>],
    rng: &mut R,
) -> Recovery {
    let id = &e.id;
    for code in acked {
        api.get(&format!("/elections/{id}/ballots/{code}"))
            .await
            .expect(200);
    }
    let records = tempfile::tempdir().expect("a temporary directory");
    let after = records.path().join("after-fault");
    super::download_record_async(server_url, id, &after).await;
    super::assert_verifies(&after, true).await;
    let board = BoardSummary::read(&after);
    board.assert_one_ballot_per_credential();
    let on_board = board.codes();
    for code in acked {
        assert!(
            on_board.contains(code),
            "acknowledged {code} is not in the downloaded record"
        );
    }

    let (mut accepted_on_retry, mut committed_before) = (0, 0);
    for (ballot, _) in ballots {
        let code = ballot.tracking_code().0;
        if acked.contains(&code) {
            continue;
        }
        let reply = cast(api, id, ballot).await;
        match (reply.status, reply.error().as_str()) {
            (201, _) => {
                assert!(
                    !on_board.contains(&code),
                    "{code} was on the board yet accepted again"
                );
                accepted_on_retry += 1;
            }
            (409, "already_voted") => {
                assert!(
                    on_board.contains(&code),
                    "{code}: already_voted, but its ballot is not on the board"
                );
                committed_before += 1;
            }
            _ => panic!("{code} after the fault: {} {}", reply.status, reply.body),
        }
        api.get(&format!("/elections/{id}/ballots/{code}"))
            .await
            .expect(200);
    }
    assert_eq!(committed_before, on_board.len() - acked.len());
    assert_eq!(
        acked.len() + committed_before + accepted_on_retry,
        ballots.len()
    );

    // Everybody voted once; the count is every voter's ballot.
    let summary = api
        .get(&format!("/elections/{id}"))
        .await
        .expect(200)
        .json();
    assert_eq!(summary["ballots"], ballots.len() as u64);
    close(admin, id).await;
    assert_eq!(decrypt(api, e, &[0, 2], rng).await, "published");
    assert_eq!(result_totals(api, id).await, expected);
    let complete = records.path().join("complete");
    super::download_record_async(server_url, id, &complete).await;
    super::assert_verifies(&complete, false).await;
    let board = BoardSummary::read(&complete);
    board.assert_one_ballot_per_credential();
    assert_eq!(board.ballots.len(), ballots.len());
    Recovery {
        committed_before,
        accepted_on_retry,
    }
}

/// Adds a vote to running totals.
pub fn add_vote(expected: &mut [Vec<u64>], vote: &[Vec<u64>], weight: u64) {
    for (sum, v) in expected.iter_mut().zip(vote) {
        for (s, x) in sum.iter_mut().zip(v) {
            *s += x * weight;
        }
    }
}

/// Zero totals shaped like the manifest's contests.
pub fn zero_totals(manifest: &ElectionManifest) -> Vec<Vec<u64>> {
    manifest
        .contests
        .iter()
        .map(|c| vec![0; c.selection_count()])
        .collect()
}

/// The published totals, per contest.
pub async fn result_totals(api: &Api, id: &str) -> Vec<Vec<u64>> {
    let result = api
        .get(&format!("/elections/{id}/result"))
        .await
        .expect(200)
        .json();
    result["contests"]
        .as_array()
        .expect("contests")
        .iter()
        .map(|c| serde_json::from_value(c["totals"].clone()).expect("totals"))
        .collect()
}

/// What a downloaded `board.jsonl` says about the ballots: every entry's kind in order, and
/// the ballot entries as (credential hex, tracking code).
#[derive(Debug, Default)]
pub struct BoardSummary {
    pub kinds: Vec<String>,
    pub ballots: Vec<(String, String)>,
    /// The public credentials of the `credentials` event (hex).
    pub credentials: Vec<String>,
    pub head: Option<Digest32>,
}

impl BoardSummary {
    /// The summary of `dir/board.jsonl` (a downloaded record).
    pub fn read(dir: &Path) -> Self {
        let path = dir.join("board.jsonl");
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        Self::parse(&text)
    }

    pub fn parse(text: &str) -> Self {
        use urna_election::board::{BoardEntry, Event};
        let mut out = Self::default();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let entry = BoardEntry::parse_line(line).expect("a board line");
            assert_eq!(
                entry.seq as usize,
                out.kinds.len(),
                "board entries in order"
            );
            out.kinds.push(entry.kind.clone());
            out.head = Some(entry.hash);
            match entry.event().expect("a board event") {
                Event::Ballot(b) => out.ballots.push((
                    hex::encode(b.ballot.credential.0),
                    b.ballot.tracking_code().0,
                )),
                Event::Credentials(list) => out
                    .credentials
                    .extend(list.credentials.iter().map(|c| hex::encode(c.key.0))),
                _ => {}
            }
        }
        out
    }

    /// Panics when a credential has two ballots on the board.
    pub fn assert_one_ballot_per_credential(&self) {
        let mut seen = std::collections::HashSet::new();
        for (credential, code) in &self.ballots {
            assert!(
                seen.insert(credential.as_str()),
                "credential {credential} twice on the board (again with {code})"
            );
        }
    }

    /// The tracking codes on the board.
    pub fn codes(&self) -> std::collections::HashSet<String> {
        self.ballots.iter().map(|(_, c)| c.clone()).collect()
    }

    /// Entries that are not ballots.
    pub fn non_ballots(&self) -> usize {
        self.kinds.iter().filter(|k| *k != "ballot").count()
    }
}
