//! Fault tests over real processes and sockets (issue 7), each bounded in time:
//!
//! - The SMTP server is down when the invitations go out: they stay queued (the admin sees
//!   how many), are retried with back-off, and are delivered exactly once when the server comes
//!   back; the voters vote with the delivered links. Invitations that exhausted their attempts
//!   are reported to the admin as failed, and the admin's retry sends them.
//! - A misbehaving trustee: in the key ceremony a dealer posts a share that does not match its
//!   commitments (encrypted to its victim, so only the victim can tell): the victim's complaint
//!   disqualifies it, the admin sees the blame, the seal lists the qualified dealers and the
//!   election goes on. In the decryption, bad partial decryptions (another trustee's share, a
//!   forged share, swapped proofs) are refused with 422 `invalid_decryption` naming the
//!   trustee, nothing is appended, and the honest trustees publish the right result, which
//!   `urna verify` accepts.
//!
//! The library side of blame (every way a dealer or a decrypting trustee can cheat) is in
//! crates/urna-crypto/tests/tamper.rs and tamper_proofs.rs; these tests are the wire's side.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use support::election::{self, Prepared};
use support::http::{Admin, Api, Reply};
use support::{Database, Server, ServerOptions};
use urna_api::{AdminElection, CreatedElection, MailStatus, OrdererView};
use urna_crypto::dkg::{self, CeremonyTranscript, DkgParameters, KeyShare};
use urna_election::board::{BoardEntry, Event, TrusteeDecryption};
use urna_election::manifest::{ElectionManifest, Trustees};
use urna_election::tally::{decode_tally, decrypt_share};
use urna_server::testing::{ReceivedMail, SmtpSink};

/// Every wait of these tests ends by then (the whole SMTP test takes about 30 s).
const WAIT: Duration = Duration::from_secs(60);

async fn admin_view(admin: &Admin, id: &str) -> AdminElection {
    admin
        .get(&format!("/admin/elections/{id}"))
        .await
        .expect(200)
        .parse()
}

// ---------------------------------------------------------------------------------------------
// The SMTP server down

/// A loopback port that nothing listens on (bound once by the OS's choice, then released).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("local address").port()
}

/// "The SMTP server" as `urna serve` sees it: a TCP relay on a fixed loopback port to an
/// [`SmtpSink`]. Dropping it closes the port and cuts every open connection, so the server
/// meets a refused connection, exactly as when its relay is down.
struct SmtpUp {
    task: tokio::task::JoinHandle<()>,
}

impl SmtpUp {
    async fn start(port: u16, sink: &SmtpSink) -> Self {
        let to = sink.port();
        let listener = support::wait_until_async(
            Duration::from_secs(10),
            "the SMTP port to be free",
            || async {
                tokio::net::TcpListener::bind(("127.0.0.1", port))
                    .await
                    .ok()
            },
        )
        .await;
        let task = tokio::spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            while let Ok((mut inbound, _)) = listener.accept().await {
                connections.spawn(async move {
                    if let Ok(mut outbound) =
                        tokio::net::TcpStream::connect(("127.0.0.1", to)).await
                    {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        Self { task }
    }
}

impl Drop for SmtpUp {
    fn drop(&mut self) {
        // Aborting drops the listener and the JoinSet, which aborts every relayed connection.
        self.task.abort();
    }
}

/// The invitations for election `id` among the sink's messages: recipient → link. Panics
/// when a voter got two.
fn invitations(messages: &[ReceivedMail], public_url: &str, id: &str) -> BTreeMap<String, String> {
    let prefix = format!("{public_url}/vote/{id}#");
    let mut out = BTreeMap::new();
    for m in messages {
        if let Some(link) = m.link(&prefix) {
            assert_eq!(m.to.len(), 1, "one recipient per invitation: {:?}", m.to);
            let previous = out.insert(m.to[0].to_lowercase(), link);
            assert!(previous.is_none(), "{} was invited twice to {id}", m.to[0]);
        }
    }
    out
}

/// How many of the sink's messages carry this election's orderer link.
fn orderer_mails(messages: &[ReceivedMail], created: &CreatedElection) -> usize {
    let (base, _) = created
        .orderer_link
        .rsplit_once('/')
        .expect("an orderer link");
    messages
        .iter()
        .filter(|m| m.link(&format!("{base}/")).as_deref() == Some(created.orderer_link.as_str()))
        .count()
}

/// The server log without terminal colour codes.
fn plain_log(server: &Server) -> String {
    let log = server.log();
    let mut out = String::with_capacity(log.len());
    let mut chars = log.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ … final byte in @..~
            for d in chars.by_ref() {
                if ('@'..='~').contains(&d) && d != '[' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The server's "mail not sent" lines for election `id` with `attempts=N`.
fn failed_attempts(log: &str, id: &str, attempts: u32) -> Vec<String> {
    let election = format!("election={id}");
    let attempt = format!("attempts={attempts} ");
    log.lines()
        .filter(|l| l.contains("mail not sent") && l.contains(&election) && l.contains(&attempt))
        .map(str::to_owned)
        .collect()
}

fn assert_queue(mail: &MailStatus, queued: u64, invited: u64, what: &str) {
    assert_eq!(
        (mail.queued, mail.invited),
        (queued, invited),
        "{what}: {mail:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invitations_outlast_an_smtp_outage_and_are_delivered_once() {
    const VOTERS: usize = 5;
    const FAILING: usize = 3;
    /// Attempts before a mail is given up (the `mail_attempts` setting): with the server's
    /// back-off of 4 s then 8 s, the third attempt comes 12 s after the first.
    const ATTEMPTS: u32 = 3;

    let dir = tempfile::tempdir().unwrap();
    let db = Database::sqlite(dir.path());
    let smtp_port = free_port();
    let config = dir.path().join("urna.toml");
    std::fs::write(&config, format!("mail_attempts = {ATTEMPTS}\n")).unwrap();
    let mut opts = ServerOptions::new(&db).smtp(smtp_port);
    opts.extra_args = vec!["--config".into(), config.to_str().unwrap().into()];
    let server = Server::start(opts);
    let public_url = server.public_url();
    let api = Api::new(&server.url());
    let admin = Admin::login(&api, "admin", server.admin_password()).await;
    let sink = SmtpSink::start().await.unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(7_001);
    let manifest = election::manifest("technical-staff");

    // Nothing listens on the SMTP port when the orderer approves: the invitations are queued.
    let (roll, emails) = election::roll("outage.example.edu", VOTERS);
    let e = election::prepare(&admin, &manifest, &roll, &mut rng).await;
    let view = admin_view(&admin, &e.id).await;
    assert_queue(&view.mail, VOTERS as u64, 0, "queued at the approval");
    assert!(view.mail.failed.is_empty(), "{:?}", view.mail);

    // Every invitation is tried, fails, and is tried again after its back-off; meanwhile the
    // admin sees all of them waiting, none lost and none given up.
    let first = support::wait_until_async(WAIT, "every invitation's second attempt", || async {
        let log = plain_log(&server);
        (failed_attempts(&log, &e.id, 2).len() > VOTERS).then(|| failed_attempts(&log, &e.id, 1))
    })
    .await;
    assert!(
        first.len() > VOTERS,
        "each invitation and the orderer's request failed once: {first:#?}"
    );
    for line in &first {
        assert!(line.contains("give_up=false"), "{line}");
        assert!(line.contains("temporary mail failure"), "{line}");
    }
    let view = admin_view(&admin, &e.id).await;
    assert_queue(&view.mail, VOTERS as u64, 0, "waiting out the outage");
    assert!(view.mail.failed.is_empty(), "{:?}", view.mail);
    // … and why: every one of them failed and waits for a retry at a stated time.
    assert_eq!(view.mail.retrying, VOTERS as u64, "{:?}", view.mail);
    let why = view.mail.last_error.clone().unwrap_or_default();
    assert!(why.starts_with("temporary mail failure"), "{why:?}");
    assert!(!why.contains("/vote/"), "no link in errors: {why}");
    let next = view.mail.next_attempt.clone().expect("the next attempt");
    assert!(
        next.len() == 20 && next.ends_with('Z') && next.as_bytes()[10] == b'T',
        "RFC 3339 UTC: {next}"
    );
    assert!(sink.messages().is_empty());

    // The SMTP server comes back: the next retry delivers every invitation, once.
    let up = SmtpUp::start(smtp_port, &sink).await;
    let delivered = support::wait_until_async(WAIT, "the invitations after the outage", || {
        let (sink, public_url, id) = (&sink, &public_url, &e.id);
        async move {
            let found = invitations(&sink.messages(), public_url, id);
            (found.len() >= VOTERS).then_some(found)
        }
    })
    .await;
    let invited: BTreeSet<String> = delivered.keys().cloned().collect();
    let expected: BTreeSet<String> = emails.iter().map(|e| e.to_lowercase()).collect();
    assert_eq!(invited, expected, "every voter got an invitation");
    let links: BTreeSet<&String> = delivered.values().collect();
    assert_eq!(links.len(), VOTERS, "each voter has a link of their own");
    let view = support::wait_until_async(WAIT, "the queue to empty", || async {
        let view = admin_view(&admin, &e.id).await;
        (view.mail.queued == 0 && view.mail.invited == VOTERS as u64).then_some(view)
    })
    .await;
    assert!(view.mail.failed.is_empty(), "{:?}", view.mail);
    assert_eq!(view.mail.retrying, 0, "{:?}", view.mail);
    assert_eq!(
        (&view.mail.last_error, &view.mail.next_attempt),
        (&None, &None)
    );
    assert_eq!(
        orderer_mails(&sink.messages(), &e.created),
        1,
        "the orderer's request was retried and delivered too"
    );

    // The voters vote with the delivered links; the result counts every ballot.
    election::open(&admin, &e.id).await;
    let mut totals = election::zero_totals(&manifest);
    for link in delivered.values() {
        let key = election::key_of_link(link, &e.setup_hash());
        let (ballot, vote) = election::ballot(&e.context, &key, &mut rng);
        election::cast_ok(&api, &e.id, &ballot).await;
        election::add_vote(&mut totals, &vote, 1);
    }
    election::close(&admin, &e.id).await;
    assert_eq!(
        election::decrypt(&api, &e, &[0, 1], &mut rng).await,
        "published"
    );
    assert_eq!(election::result_totals(&api, &e.id).await, totals);

    // Down again for a second election: its invitations exhaust their attempts and are
    // reported as failed, with the attempts made and the last error.
    drop(up);
    let (roll, emails) = election::roll("failing.example.edu", FAILING);
    let f = election::prepare(&admin, &manifest, &roll, &mut rng).await;
    let view = support::wait_until_async(WAIT, "the invitations to be given up", || async {
        let view = admin_view(&admin, &f.id).await;
        let failed: BTreeSet<String> = view
            .mail
            .failed
            .iter()
            .map(|m| m.recipient.to_lowercase())
            .collect();
        emails
            .iter()
            .all(|e| failed.contains(&e.to_lowercase()))
            .then_some(view)
    })
    .await;
    assert_queue(&view.mail, 0, 0, "given up");
    for failed in &view.mail.failed {
        assert_eq!(failed.attempts, ATTEMPTS, "{failed:?}");
        assert!(
            failed.error.starts_with("temporary mail failure"),
            "the admin sees why: {failed:?}"
        );
        assert!(!failed.error.contains("/vote/"), "no link in errors");
    }
    let given_up = failed_attempts(&plain_log(&server), &f.id, ATTEMPTS);
    assert!(given_up.len() >= FAILING, "{given_up:#?}");
    assert!(given_up.iter().all(|l| l.contains("give_up=true")));
    assert!(invitations(&sink.messages(), &public_url, &f.id).is_empty());

    // The SMTP server is back and the admin retries: each is delivered once.
    let _up = SmtpUp::start(smtp_port, &sink).await;
    let retried: MailStatus = admin
        .post_empty(&format!("/admin/elections/{}/mail/retry", f.id))
        .await
        .expect(200)
        .parse();
    assert!(retried.failed.is_empty(), "{retried:?}");
    assert!(
        retried.queued + retried.invited == FAILING as u64,
        "back in the queue: {retried:?}"
    );
    let delivered = support::wait_until_async(WAIT, "the retried invitations", || {
        let (sink, public_url, id) = (&sink, &public_url, &f.id);
        async move {
            let found = invitations(&sink.messages(), public_url, id);
            (found.len() >= FAILING).then_some(found)
        }
    })
    .await;
    assert_eq!(delivered.len(), FAILING);
    support::wait_until_async(WAIT, "the retried queue to empty", || async {
        let view = admin_view(&admin, &f.id).await;
        (view.mail.queued == 0
            && view.mail.invited == FAILING as u64
            && view.mail.failed.is_empty())
        .then_some(())
    })
    .await;
    assert_eq!(orderer_mails(&sink.messages(), &f.created), 1);

    // Nothing was sent twice, in either election.
    let messages = sink.messages();
    assert_eq!(invitations(&messages, &public_url, &e.id).len(), VOTERS);
    assert_eq!(invitations(&messages, &public_url, &f.id).len(), FAILING);
    assert_eq!(
        messages.len(),
        VOTERS + FAILING + 2,
        "invitations and two orderer requests"
    );
}

// ---------------------------------------------------------------------------------------------
// A misbehaving trustee

/// Runs the key ceremony through the API with every trustee honest except `cheater`, whose
/// round-2 share for `victim` is off by one bit of its masked value: still a well-formed
/// share (the server cannot tell, it is encrypted to the victim) but one that does not match
/// the cheater's commitments. Returns the key shares (index order) and the outcome every
/// trustee computed.
async fn ceremony_with_a_bad_share(
    api: &Api,
    created: &CreatedElection,
    cheater: u32,
    victim: u32,
    rng: &mut ChaCha20Rng,
) -> (Vec<KeyShare>, dkg::CeremonyOutcome) {
    let id = &created.id;
    let base = format!("/trustee/elections/{id}");
    let view = election::trustee_view(api, id, &created.trustees[0].token).await;
    let params = DkgParameters::new(view.trustees, view.threshold).unwrap();
    let context = view.setup_hash.unwrap();
    let mut round1 = Vec::new();
    for t in &created.trustees {
        let (secret, package) = dkg::start(params, t.index, context.as_bytes(), rng).unwrap();
        round1.push(secret);
        api.trustee_post(&format!("{base}/round1"), &t.token, &package)
            .await
            .expect(200);
    }
    let view = election::trustee_view(api, id, &created.trustees[0].token).await;
    let mut round2 = Vec::new();
    for (secret, t) in round1.into_iter().zip(&created.trustees) {
        let (next, mut package) = secret.deal(&view.round1, rng).unwrap();
        if t.index == cheater {
            let share = package
                .shares
                .iter_mut()
                .find(|s| s.to == victim)
                .expect("a share for the victim");
            share.masked_share.0[0] ^= 1;
        }
        round2.push(next);
        // Posted with the cheater's own token, and accepted: only the victim can see the lie.
        api.trustee_post(&format!("{base}/round2"), &t.token, &package)
            .await
            .expect(200);
    }
    let view = election::trustee_view(api, id, &created.trustees[0].token).await;
    let mut round3 = Vec::new();
    let mut last = serde_json::Value::Null;
    for (secret, t) in round2.into_iter().zip(&created.trustees) {
        let (next, package) = secret.check(&view.round2, rng).unwrap();
        let against: Vec<u32> = package.complaints.iter().map(|c| c.against).collect();
        let expected = if t.index == victim {
            vec![cheater]
        } else {
            vec![]
        };
        assert_eq!(against, expected, "trustee {}'s complaints", t.index);
        round3.push(next);
        last = api
            .trustee_post(&format!("{base}/round3"), &t.token, &package)
            .await
            .expect(200)
            .json();
    }
    assert_eq!(last["state"], "awaiting_approval", "{last}");
    let view = election::trustee_view(api, id, &created.trustees[0].token).await;
    let transcript = CeremonyTranscript {
        round1: view.round1,
        round2: view.round2,
        round3: view.round3,
    };
    let mut shares = Vec::new();
    let mut outcome = None;
    for secret in round3 {
        let (share, o) = secret.finish(&transcript).unwrap();
        shares.push(share);
        outcome = Some(o);
    }
    (shares, outcome.unwrap())
}

/// Trustee `index` (1-based) posts `d`.
async fn post_decryption(
    api: &Api,
    created: &CreatedElection,
    index: u32,
    d: &TrusteeDecryption,
) -> Reply {
    let t = &created.trustees[(index - 1) as usize];
    api.trustee_post(
        &format!("/trustee/elections/{}/decryption", created.id),
        &t.token,
        d,
    )
    .await
}

/// Asserts a 422 `invalid_decryption` that names the trustee, and that the board did not move.
async fn assert_refused(api: &Api, id: &str, reply: Reply, trustee: u32, head: &(u64, String)) {
    let reply = reply.expect_error(422, "invalid_decryption");
    let message = reply.json()["message"].as_str().unwrap_or("").to_owned();
    assert!(
        message.contains(&format!("trustee {trustee}'s decryption is refused")),
        "the refusal blames trustee {trustee}: {message}"
    );
    assert_eq!(&api.head(id).await, head, "nothing was appended");
}

fn manifest_with_trustees(count: u32, threshold: u32) -> ElectionManifest {
    let mut manifest = election::manifest("technical-staff");
    manifest.trustees = Trustees {
        count,
        threshold,
        names: (1..=count).map(|i| format!("Förtroendevald {i}")).collect(),
    };
    manifest
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cheating_trustee_is_blamed_and_the_honest_ones_decrypt() {
    const VOTERS: usize = 6;
    // 5 trustees, any 3 decrypt; trustee 5 cheats in the ceremony, trustee 2 in the decryption.
    const CHEATER: u32 = 5;
    const VICTIM: u32 = 1;
    let dir = tempfile::tempdir().unwrap();
    let db = Database::sqlite(dir.path());
    let server = Server::start(ServerOptions::new(&db));
    let public_url = server.public_url();
    let api = Api::new(&server.url());
    let admin = Admin::login(&api, "admin", server.admin_password()).await;
    let mut rng = ChaCha20Rng::seed_from_u64(7_002);
    let manifest = manifest_with_trustees(5, 3);
    let (roll, _) = election::roll("trustees.example.edu", VOTERS);

    // (a) The key ceremony with a bad share: sealed without the cheater, who is blamed.
    let created = election::create(&admin, &manifest, &roll).await;
    election::start_ceremony(&admin, &created.id).await;
    let (shares, outcome) =
        ceremony_with_a_bad_share(&api, &created, CHEATER, VICTIM, &mut rng).await;
    assert_eq!(outcome.qualified, vec![1, 2, 3, 4]);
    let view = admin_view(&admin, &created.id).await;
    let blame = view.error.clone().unwrap_or_default();
    assert!(
        blame.contains(&format!(
            "trustee {CHEATER}: dealt trustee {VICTIM} an invalid share"
        )),
        "the admin sees the blame, naming the trustee: {blame:?}"
    );
    assert_eq!(view.summary.state.as_str(), "awaiting_approval");
    let board = api.board_jsonl(&created.id).await;
    let seal = board
        .lines()
        .filter_map(
            |l| match BoardEntry::parse_line(l).unwrap().event().unwrap() {
                Event::Seal(s) => Some(s),
                _ => None,
            },
        )
        .next()
        .expect("a seal on the board");
    assert_eq!(
        seal.qualified,
        vec![1, 2, 3, 4],
        "the seal lists the qualified"
    );
    assert_eq!(seal.election_key, outcome.election_key.to_bytes());
    let review: OrdererView = api
        .get(&format!("/orderer/{}", created.orderer_token))
        .await
        .expect(200)
        .parse();
    assert_eq!(review.qualified_trustees, vec![1, 2, 3, 4]);

    // The election goes on: approved, voted in, closed.
    election::approve(&api, &created).await;
    let context = election::booth_context(&api, &created.id).await;
    let e = Prepared {
        id: created.id.clone(),
        created: created.clone(),
        shares,
        context,
        manifest: manifest.clone(),
    };
    let keys = election::outbox_keys(server.outbox(), &public_url, &e, VOTERS).await;
    election::open(&admin, &e.id).await;
    let mut totals = election::zero_totals(&manifest);
    for key in &keys {
        let (ballot, vote) = election::ballot(&e.context, key, &mut rng);
        election::cast_ok(&api, &e.id, &ballot).await;
        election::add_vote(&mut totals, &vote, 1);
    }
    election::close(&admin, &e.id).await;

    // (b) The decryption.
    let view = election::trustee_view(&api, &e.id, &created.trustees[0].token).await;
    let tally = decode_tally(&view.tally.expect("the tally")).unwrap();
    let fingerprint = e.fingerprint();
    let honest = |i: u32, rng: &mut ChaCha20Rng| {
        decrypt_share(&fingerprint, &e.shares[(i - 1) as usize], &tally, rng)
    };
    let head = api.head(&e.id).await;

    // The disqualified dealer may not decrypt, even correctly.
    let d5 = honest(CHEATER, &mut rng);
    let reply = post_decryption(&api, &created, CHEATER, &d5)
        .await
        .expect_error(403, "forbidden");
    assert!(reply.body.contains("disqualified"), "{}", reply.body);
    assert_eq!(api.head(&e.id).await, head);

    // Trustee 2 posts trustee 1's shares (valid proofs, the wrong key) as its own.
    let mut d = honest(1, &mut rng);
    d.trustee = 2;
    for s in d.shares.iter_mut().flatten() {
        s.trustee = 2;
    }
    let reply = post_decryption(&api, &created, 2, &d).await;
    assert_refused(&api, &e.id, reply, 2, &head).await;

    // Trustee 2 posts its own decryption with one share replaced by another trustee's.
    let mut d = honest(2, &mut rng);
    d.shares[0][0].share = honest(3, &mut rng).shares[0][0].share;
    let reply = post_decryption(&api, &created, 2, &d).await;
    assert_refused(&api, &e.id, reply, 2, &head).await;

    // Trustee 4 posts its shares with their proofs swapped.
    let mut d4_bad = honest(4, &mut rng);
    let first = d4_bad.shares[0][0].proof.clone();
    d4_bad.shares[0][0].proof = d4_bad.shares[0][1].proof.clone();
    d4_bad.shares[0][1].proof = first;
    let reply = post_decryption(&api, &created, 4, &d4_bad).await;
    assert_refused(&api, &e.id, reply, 4, &head).await;
    // The operator's log names each refused trustee too.
    let log = plain_log(&server);
    for trustee in [2, 4] {
        assert!(
            log.lines().any(|l| l.contains("partial decryption refused")
                && l.contains(&format!("election={}", e.id))
                && l.contains(&format!("trustee={trustee} "))),
            "the log blames trustee {trustee}"
        );
    }
    let view = admin_view(&admin, &e.id).await;
    assert!(view.decrypted_by.is_empty(), "{:?}", view.decrypted_by);
    assert_eq!(view.summary.state.as_str(), "tallying");

    // The honest ones go on. Trustee 4, refused before, now posts a correct decryption: a
    // refusal leaves nothing behind, so it counts.
    let state = post_decryption(&api, &created, 1, &honest(1, &mut rng))
        .await
        .expect(200)
        .json()["state"]
        .clone();
    assert_eq!(state, "tallying");
    let state = post_decryption(&api, &created, 4, &honest(4, &mut rng))
        .await
        .expect(200)
        .json()["state"]
        .clone();
    assert_eq!(state, "tallying");
    let state = post_decryption(&api, &created, 3, &honest(3, &mut rng))
        .await
        .expect(200)
        .json()["state"]
        .clone();
    assert_eq!(state, "published");
    assert_eq!(election::result_totals(&api, &e.id).await, totals);
    let result = api
        .get(&format!("/elections/{}/result", e.id))
        .await
        .expect(200)
        .json();
    assert_eq!(
        result["decrypted_by"],
        serde_json::json!([1, 4, 3]),
        "{result}"
    );
    assert_eq!(admin_view(&admin, &e.id).await.decrypted_by, vec![1, 4, 3]);

    // Trustee 2's correct decryption after the result is too late, and changes nothing.
    let head = api.head(&e.id).await;
    post_decryption(&api, &created, 2, &honest(2, &mut rng))
        .await
        .expect_error(409, "wrong_state");
    assert_eq!(api.head(&e.id).await, head);

    // Only accepted decryptions are on the board, and the record verifies.
    let board = api.board_jsonl(&e.id).await;
    let decrypted: Vec<u32> = board
        .lines()
        .filter_map(
            |l| match BoardEntry::parse_line(l).unwrap().event().unwrap() {
                Event::Decryption(d) => Some(d.trustee),
                _ => None,
            },
        )
        .collect();
    assert_eq!(decrypted, vec![1, 4, 3]);
    let record = dir.path().join("record");
    support::download_record_async(&server.url(), &e.id, &record).await;
    support::assert_verifies(&record, false).await;
}
