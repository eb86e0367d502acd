//! Two parallel elections over real sockets, on SQLite and on PostgreSQL: `urna serve` sends
//! the invitations through a real SMTP server (the test sink), 3 trustees (t = 2) run the key
//! ceremony and decrypt, 200 voters vote with the link from their mail. Then the record is
//! downloaded and verified, every tracking code is looked up, the result is compared with the
//! plaintext count, the result document holds both elections, and every table of the
//! database is read to check that no voter's address sits next to a credential or a tracking
//! code. One invitation is refused with 451 (retried, delivered), one with 550 (reported to
//! the admin, then retried by hand).

mod support;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use futures_util::StreamExt;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use support::election::{self, Prepared};
use support::http::{Admin, Api};
use support::{Database, Server, ServerOptions};
use urna_api::{AdminElection, BallotLookup, CreatedElection, MailStatus, RollImported};
use urna_election::ballot::Ballot;
use urna_election::board::{BoardEntry, Event};
use urna_election::credential::CredentialKey;
use urna_election::manifest::ElectionManifest;
use urna_server::testing::{ReceivedMail, SmtpSink};

const VOTERS: usize = 100;
const MAIL_TIMEOUT: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_parallel_elections_over_sockets_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    two_parallel_elections(Database::sqlite(dir.path())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_parallel_elections_over_sockets_on_postgres() {
    let Some(db) = Database::postgres() else {
        return;
    };
    two_parallel_elections(db).await;
}

/// One election of the two, with what the test knows about it.
struct Running {
    name: &'static str,
    prepared: Prepared,
    emails: Vec<String>,
    keys: HashMap<String, CredentialKey>,
    expected: Vec<Vec<u64>>,
    codes: Vec<String>,
}

/// The invitations for election `id` among the sink's messages: recipient → link.
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

/// Waits until the sink holds `n` invitations for `id`; returns them.
async fn wait_invitations(
    sink: &SmtpSink,
    public_url: &str,
    id: &str,
    n: usize,
) -> BTreeMap<String, String> {
    support::wait_until_async(
        MAIL_TIMEOUT,
        &format!("{n} invitations for {id}"),
        || async {
            let found = invitations(&sink.messages(), public_url, id);
            (found.len() >= n).then_some(found)
        },
    )
    .await
}

async fn admin_view(admin: &Admin, id: &str) -> AdminElection {
    admin
        .get(&format!("/admin/elections/{id}"))
        .await
        .expect(200)
        .parse()
}

/// The election through creation, roll and ceremony: sealed, awaiting the orderer.
async fn sealed(
    admin: &Admin,
    manifest: &ElectionManifest,
    roll_csv: &str,
    rng: &mut ChaCha20Rng,
) -> (
    CreatedElection,
    RollImported,
    Vec<urna_crypto::dkg::KeyShare>,
) {
    let (created, imported) = election::create_with_roll(admin, manifest, roll_csv).await;
    assert_eq!(imported.voters, VOTERS as u64);
    election::start_ceremony(admin, &created.id).await;
    let shares = election::run_ceremony(&admin.api, &created, rng).await;
    (created, imported, shares)
}

async fn two_parallel_elections(db: Database) {
    let started = std::time::Instant::now();
    let sink = SmtpSink::start().await.unwrap();
    let server = Server::start(ServerOptions::new(&db).smtp(sink.port()));
    let public_url = server.public_url();
    let api = Api::new(&server.url());
    let admin = Admin::login(&api, "admin", server.admin_password()).await;
    let mut rng = ChaCha20Rng::seed_from_u64(2026);

    // Two parallel elections (same event), rolls of 100 from the fixtures; some addresses are
    // on both rolls, and the second upload says so.
    let m_teachers = election::manifest("teachers");
    let m_staff = election::manifest("technical-staff");
    assert_eq!(
        m_teachers.event, m_staff.event,
        "the fixtures are one event"
    );
    let (roll_t, emails_t) = election::fixture_roll("teachers", VOTERS);
    let (roll_s, emails_s) = election::fixture_roll("technical-staff", VOTERS);
    let lower = |v: &[String]| v.iter().map(|e| e.to_lowercase()).collect::<BTreeSet<_>>();
    let shared = lower(&emails_t).intersection(&lower(&emails_s)).count();
    let (created_t, imported_t, shares_t) = sealed(&admin, &m_teachers, &roll_t, &mut rng).await;
    let (created_s, imported_s, shares_s) = sealed(&admin, &m_staff, &roll_s, &mut rng).await;
    assert!(imported_t.warnings.is_empty(), "{:?}", imported_t.warnings);
    if shared > 0 {
        assert!(
            imported_s
                .warnings
                .iter()
                .any(|w| w.contains(&format!("{shared} of these")) && w.contains(&created_t.id)),
            "{shared} shared addresses, warnings {:?}",
            imported_s.warnings
        );
    }

    // The seal sends each orderer their request (and nobody else anything yet).
    let orderer_mails = sink.wait_for(2, MAIL_TIMEOUT).await;
    assert_eq!(orderer_mails.len(), 2, "the two orderer requests");
    for (m, created) in orderer_mails.iter().zip([&created_t, &created_s]) {
        assert_eq!(m.to, vec![election::ORDERER_EMAIL.to_owned()]);
        assert_eq!(m.from, "val@example.edu");
        assert!(
            m.text().contains(&created.orderer_link),
            "the orderer's mail has the link {}:\n{}",
            created.orderer_link,
            m.text()
        );
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(
        sink.messages().len(),
        2,
        "no invitation before the approval"
    );

    // Teachers: the first invitation is refused with 451 and retried; everybody gets one.
    sink.fail_next(1, 451);
    election::approve(&api, &created_t).await;
    eprintln!("[{:?}] sealed, teachers approved", started.elapsed());
    let links_t = wait_invitations(&sink, &public_url, &created_t.id, VOTERS).await;
    assert_eq!(
        links_t.keys().cloned().collect::<BTreeSet<_>>(),
        lower(&emails_t)
    );
    // The sink has the last mail a moment before the server deletes its queue row.
    support::wait_until_async(MAIL_TIMEOUT, "every teacher marked invited", || async {
        let view = admin_view(&admin, &created_t.id).await;
        (view.mail.invited == VOTERS as u64).then_some(())
    })
    .await;
    let view = admin_view(&admin, &created_t.id).await;
    assert_eq!(
        (view.mail.queued, view.mail.failed.len()),
        (0, 0),
        "{:?}",
        view.mail
    );
    eprintln!("[{:?}] teachers invited", started.elapsed());

    // Technical staff: one invitation is refused for good (550) and reported to the admin;
    // the admin's retry delivers it.
    sink.fail_next(1, 550);
    election::approve(&api, &created_s).await;
    wait_invitations(&sink, &public_url, &created_s.id, VOTERS - 1).await;
    let failed = support::wait_until_async(MAIL_TIMEOUT, "the 550 reported", || async {
        let view = admin_view(&admin, &created_s.id).await;
        (!view.mail.failed.is_empty()
            && view.mail.queued == 0
            && view.mail.invited == VOTERS as u64 - 1)
            .then_some(view)
    })
    .await;
    assert_eq!(failed.mail.failed.len(), 1, "{:?}", failed.mail);
    assert_eq!(failed.mail.invited, VOTERS as u64 - 1, "{:?}", failed.mail);
    let refused = &failed.mail.failed[0];
    assert!(
        lower(&emails_s).contains(&refused.recipient.to_lowercase()),
        "{refused:?}"
    );
    assert_eq!(refused.attempts, 1, "a 5xx is not retried: {refused:?}");
    assert!(refused.error.contains("550"), "{refused:?}");
    assert!(
        !invitations(&sink.messages(), &public_url, &created_s.id)
            .contains_key(&refused.recipient.to_lowercase()),
        "the refused mail was not delivered"
    );
    let status: MailStatus = admin
        .post_empty(&format!("/admin/elections/{}/mail/retry", created_s.id))
        .await
        .expect(200)
        .parse();
    assert!(status.failed.is_empty(), "{status:?}");
    let links_s = wait_invitations(&sink, &public_url, &created_s.id, VOTERS).await;
    let ids_s = created_s.id.clone();
    assert_eq!(
        links_s.keys().cloned().collect::<BTreeSet<_>>(),
        lower(&emails_s)
    );
    assert_eq!(sink.messages().len(), 2 + 2 * VOTERS, "no mail twice");
    for m in sink.messages() {
        assert_eq!(m.from, "val@example.edu");
    }
    eprintln!("[{:?}] invitations delivered", started.elapsed());

    // (address, secret of the link) of every invitation, for the on-disk checks.
    let secrets: Vec<(String, String)> = links_t
        .iter()
        .chain(links_s.iter())
        .map(|(email, link)| (email.clone(), link.split_once('#').unwrap().1.to_owned()))
        .collect();

    // Every invitation is sent, so its queue row is gone: on SQLite, no secret may be left in
    // the database file or its write-ahead log (spec/api.md §3). Reported at the end.
    support::wait_until_async(
        MAIL_TIMEOUT,
        "every staff member marked invited",
        || async {
            let view = admin_view(&admin, &ids_s).await;
            (view.mail.invited == VOTERS as u64 && view.mail.queued == 0).then_some(())
        },
    )
    .await;
    let mut disk_problems = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while std::time::Instant::now() < deadline {
        disk_problems =
            secrets_on_disk(&db, &secrets, "once every invitation was sent (after 5 s)");
        if disk_problems.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    // Open both; every voter votes with the credential from their mail.
    let mut elections = Vec::new();
    for (name, created, shares, manifest, emails, links) in [
        (
            "teachers", created_t, shares_t, m_teachers, emails_t, links_t,
        ),
        (
            "technical-staff",
            created_s,
            shares_s,
            m_staff,
            emails_s,
            links_s,
        ),
    ] {
        let context = election::booth_context(&api, &created.id).await;
        election::open(&admin, &created.id).await;
        let keys = links
            .iter()
            .map(|(email, link)| {
                (
                    email.clone(),
                    election::key_of_link(link, &context.setup_hash),
                )
            })
            .collect();
        let expected = election::zero_totals(&manifest);
        elections.push(Running {
            name,
            prepared: Prepared {
                id: created.id.clone(),
                created,
                shares,
                context,
                manifest,
            },
            emails,
            keys,
            expected,
            codes: Vec::new(),
        });
    }
    // Encrypt every ballot first (off the runtime's workers), then cast them all
    // concurrently, the two elections interleaved.
    let jobs: Vec<(usize, urna_election::ballot::ElectionContext, CredentialKey)> = elections
        .iter()
        .enumerate()
        .flat_map(|(i, e)| {
            e.emails.iter().map(move |email| {
                (
                    i,
                    e.prepared.context.clone(),
                    e.keys[&email.to_lowercase()].clone(),
                )
            })
        })
        .collect();
    let seed = 77;
    let encrypted: Vec<(usize, Ballot, Vec<Vec<u64>>)> = tokio::task::spawn_blocking(move || {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let mut out: Vec<_> = jobs
            .into_iter()
            .map(|(i, context, key)| {
                let (ballot, vote) = election::ballot(&context, &key, &mut rng);
                (i, ballot, vote)
            })
            .collect();
        // Interleave the elections.
        out.sort_by_key(|(i, b, _)| (b.tracking_code().0, *i));
        out
    })
    .await
    .unwrap();
    eprintln!(
        "[{:?}] {} ballots encrypted",
        started.elapsed(),
        encrypted.len()
    );
    let ids: Vec<String> = elections.iter().map(|e| e.prepared.id.clone()).collect();
    let results: Vec<(usize, Vec<Vec<u64>>, urna_api::CastReceipt, Ballot)> =
        futures_util::stream::iter(encrypted)
            .map(|(i, ballot, vote)| {
                let api = api.clone();
                let id = ids[i].clone();
                async move {
                    let receipt = election::cast_ok(&api, &id, &ballot).await;
                    (i, vote, receipt, ballot)
                }
            })
            .buffer_unordered(16)
            .collect()
            .await;
    let mut a_ballot = None;
    for (i, vote, receipt, ballot) in results {
        let e = &mut elections[i];
        election::add_vote(&mut e.expected, &vote, 1);
        e.codes.push(receipt.tracking_code);
        a_ballot.get_or_insert((i, ballot));
    }
    eprintln!("[{:?}] {} ballots cast", started.elapsed(), 2 * VOTERS);
    // A second ballot under `final` is refused.
    let (i, replay) = a_ballot.unwrap();
    election::cast(&api, &ids[i], &replay)
        .await
        .expect_error(409, "already_voted");

    // Every tracking code is on its board.
    for e in &elections {
        assert_eq!(e.codes.len(), VOTERS);
        let summary = api
            .get(&format!("/elections/{}", e.prepared.id))
            .await
            .expect(200)
            .json();
        assert_eq!(summary["ballots"], VOTERS as u64, "{}", e.name);
        for code in &e.codes {
            let found: BallotLookup = api
                .get(&format!("/elections/{}/ballots/{code}", e.prepared.id))
                .await
                .expect(200)
                .parse();
            assert_eq!(&found.tracking_code, code);
            assert!(found.counted);
        }
    }

    // Close, two of three trustees decrypt (a different pair each), the result is the count.
    for (e, pair) in elections.iter().zip([[0, 1], [1, 2]]) {
        election::close(&admin, &e.prepared.id).await;
        let state = election::decrypt(&api, &e.prepared, &pair, &mut rng).await;
        assert_eq!(state, "published", "{}", e.name);
        assert_eq!(
            election::result_totals(&api, &e.prepared.id).await,
            e.expected,
            "{}: the published result is the plaintext count",
            e.name
        );
    }
    eprintln!("[{:?}] published", started.elapsed());

    // The records verify, with every receipt.
    let records = tempfile::tempdir().unwrap();
    let mut credentials: Vec<String> = Vec::new();
    for e in &elections {
        let dir = records.path().join(e.name);
        support::download_record_async(&server.url(), &e.prepared.id, &dir).await;
        support::assert_verifies(&dir, false).await;
        let mut args = vec!["verify".to_owned()];
        for code in e.codes.iter().take(5) {
            args.extend(["--receipt".to_owned(), code.clone()]);
        }
        args.push(support::p(&dir).to_owned());
        let out = tokio::task::spawn_blocking(move || support::run_urna(&args))
            .await
            .unwrap();
        assert!(
            out.status.success(),
            "urna verify --receipt …\n{}",
            support::describe(&out)
        );
        let board = std::fs::read_to_string(dir.join("board.jsonl")).unwrap();
        let mut ballots = 0;
        for line in board.lines() {
            match BoardEntry::parse_line(line).unwrap().event().unwrap() {
                Event::Credentials(list) => {
                    assert_eq!(list.credentials.len(), VOTERS);
                    credentials.extend(list.credentials.iter().map(|c| hex::encode(c.key.0)));
                }
                Event::Ballot(_) => ballots += 1,
                _ => {}
            }
        }
        assert_eq!(ballots, VOTERS, "{}", e.name);
    }
    assert_eq!(credentials.len(), 2 * VOTERS);

    // The result document holds both elections.
    let both = format!("{},{}", ids[0], ids[1]);
    let html = api
        .get(&format!("/results.html?elections={both}"))
        .await
        .expect(200)
        .body;
    let csv_text = api
        .get(&format!("/results.csv?elections={both}"))
        .await
        .expect(200)
        .body;
    let mut rows = csv::Reader::from_reader(csv_text.as_bytes());
    let rows: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    for e in &elections {
        let m = &e.prepared.manifest;
        assert!(
            html.contains(&m.title.sv) && html.contains(&m.title.en),
            "{} in results.html",
            e.name
        );
        for (contest, expected) in m.contests.iter().zip(&e.expected) {
            let totals: Vec<u64> = rows
                .iter()
                .filter(|r| {
                    &r[0] == e.prepared.id.as_str() && &r[1] == "total" && r[2] == contest.id
                })
                .map(|r| r[6].parse().unwrap())
                .collect();
            assert_eq!(
                &totals, expected,
                "{} {} in results.csv",
                e.name, contest.id
            );
        }
        let counted: Vec<&str> = rows
            .iter()
            .filter(|r| &r[0] == e.prepared.id.as_str() && &r[1] == "ballots_counted")
            .map(|r| r.get(6).unwrap())
            .collect();
        assert_eq!(
            counted,
            [VOTERS.to_string()],
            "{} ballots_counted in results.csv",
            e.name
        );
    }

    // Privacy: no voter address outside the roll, nothing queued, and no row with an address
    // holds a credential or a tracking code.
    let emails: BTreeSet<String> = elections.iter().flat_map(|e| lower(&e.emails)).collect();
    let codes: Vec<String> = elections
        .iter()
        .flat_map(|e| e.codes.iter().map(|c| c.to_lowercase()))
        .collect();
    let tables = db.dump_rows();
    let names: Vec<&str> = tables.iter().map(|(t, _)| t.as_str()).collect();
    for expected in ["roll", "mail_queue", "board", "ballots", "votes"] {
        assert!(names.contains(&expected), "table {expected} in {names:?}");
    }
    let mut problems = std::mem::take(&mut disk_problems);
    for (table, rows) in &tables {
        if table == "mail_queue" && !rows.is_empty() {
            problems.push(format!(
                "mail_queue holds {} rows after voting closed",
                rows.len()
            ));
        }
        for row in rows {
            let Some(email) = emails.iter().find(|e| row.contains(e.as_str())) else {
                continue;
            };
            if table != "roll" {
                problems.push(format!(
                    "{table}: a voter address ({email}) outside the roll"
                ));
            }
            if let Some(c) = credentials.iter().find(|c| row.contains(c.as_str())) {
                problems.push(format!("{table}: {email} next to the credential {c}"));
            }
            if let Some(c) = codes.iter().find(|c| row.contains(c.as_str())) {
                problems.push(format!("{table}: {email} next to the tracking code {c}"));
            }
        }
    }
    let roll_rows = tables
        .iter()
        .find(|(t, _)| t == "roll")
        .map(|(_, r)| r.len())
        .unwrap();
    assert_eq!(roll_rows, 2 * VOTERS, "the roll table holds both rolls");
    problems.extend(secrets_on_disk(&db, &secrets, "at the end"));
    assert!(problems.is_empty(), "privacy:\n{}", problems.join("\n"));
    eprintln!("[{:?}] done", started.elapsed());
}

/// On SQLite, the files of the database (main file, write-ahead log) that still hold any of
/// the invitation secrets (the fragments of the voting links), as problems to report; says
/// how many of them have their voter's address close by (the same queue row).
fn secrets_on_disk(db: &Database, secrets: &[(String, String)], when: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for file in db.sqlite_files() {
        let bytes = std::fs::read(&file).unwrap();
        // The secrets are ASCII: a lossy text view keeps them intact (and str search is fast).
        let text = String::from_utf8_lossy(&bytes).to_lowercase();
        let (mut found, mut with_address) = (0, 0);
        for (email, secret) in secrets {
            let secret = secret.to_lowercase();
            let Some(at) = text.find(&secret) else {
                continue;
            };
            found += 1;
            let mut from = at.saturating_sub(4096);
            while !text.is_char_boundary(from) {
                from -= 1;
            }
            if text[from..at].contains(email.as_str()) {
                with_address += 1;
            }
        }
        if found > 0 {
            problems.push(format!(
                "{when}: {}: {found} of {} invitation secrets are still in the file, {with_address} \
                 of them within 4 KiB after their voter's address ({} bytes)",
                file.display(),
                secrets.len(),
                bytes.len()
            ));
        }
    }
    problems
}
