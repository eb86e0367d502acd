//! Secrets and privacy over a whole election on a real `urna serve` (issue 7, spec/secrets.md):
//! the server runs with `URNA_LOG=debug` (every crate at debug: our spans, tower-http's request
//! events, sqlx's statements, hyper) and sends its invitations over SMTP to a sink, as in
//! production. The test keeps every secret the election produced — the admin password, session
//! cookie and CSRF token, the orderer's and the trustees' tokens, the trustees' ceremony state
//! (transport key, polynomial coefficients) and key shares, and every voter's credential (link
//! form, raw bytes, derived scalar) — and then checks:
//!
//! * the server's log holds none of them in any encoding, and no voter's address or name at
//!   all (while it does show the requests that cast the ballots: the log is really verbose);
//! * the database files (main file and write-ahead log), while the server runs and after it
//!   stopped, hold none of them either, raw or encoded;
//! * the mail queue is empty once the invitations were sent;
//! * the schema is the one reviewed in spec/secrets.md §4: the only tables with a voter's
//!   identity (`roll`, `mail_queue`) have no column for a ballot, a credential or a board
//!   position, and no row holding a voter's address holds a public credential or a tracking
//!   code;
//! * the public credential list is sorted by key, not in roll order.
//!
//! Ballot encryption randomness is not checked: `encrypt_ballot` draws and drops it inside the
//! library, where the test cannot see it (its absence from the wire is what the proofs imply).

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use support::browser::secret_forms::{self, CredentialForms, Needles};
use support::election::{self, BoardSummary, Prepared};
use support::http::{Admin, Api};
use support::{Database, Server, ServerOptions};
use urna_api::CreatedElection;
use urna_crypto::dkg::{self, CeremonyTranscript, DkgParameters, KeyShare};
use urna_server::testing::SmtpSink;

const VOTERS: usize = 8;

/// The log level the server runs at: the most verbose an operator would turn on to chase a
/// problem in production. `trace` adds only the inner workings of hyper and h2 (frame and
/// buffer bookkeeping), not anything Urna or sqlx logs, and is too much to run with.
const LOG_LEVEL: &str = "debug";

/// The schema reviewed in spec/secrets.md §4, table by table. A change here needs a new review
/// of what the table can link (identity ↔ credential or ballot) before it is added.
const REVIEWED_SCHEMA: &[(&str, &[&str])] = &[
    (
        "_sqlx_migrations",
        &[
            "version",
            "description",
            "installed_on",
            "success",
            "checksum",
            "execution_time",
        ],
    ),
    ("admins", &["id", "username", "password_hash", "created_at"]),
    ("ballots", &["election_id", "tracking_code", "seq"]),
    ("board", &["election_id", "seq", "kind", "payload", "hash"]),
    ("election_admins", &["election_id", "admin_id"]),
    (
        "elections",
        &[
            "id",
            "manifest",
            "state",
            "created_at",
            "orderer_name",
            "orderer_email",
            "orderer_token_hash",
            "opens_at",
            "closes_at",
            "setup_hash",
            "fingerprint",
            "entries",
            "head",
            "ballots",
            "voters",
            "total_weight",
            "approved_by",
            "error",
        ],
    ),
    (
        "mail_queue",
        &[
            "id",
            "election_id",
            "roll_line",
            "recipient",
            "recipient_name",
            "subject",
            "body",
            "attempts",
            "next_attempt_at",
            "claimed_until",
            "failed",
            "last_error",
        ],
    ),
    (
        "roll",
        &["election_id", "line", "email", "name", "weight", "invited"],
    ),
    ("sessions", &["token_hash", "admin_id", "expires_at"]),
    ("tally", &["election_id", "weight", "sums"]),
    (
        "trustees",
        &["election_id", "trustee", "name", "token_hash"],
    ),
    ("votes", &["election_id", "credential", "seq", "weight"]),
];

/// Tables that hold a voter's identity (address, name, roll line).
const IDENTITY_TABLES: &[&str] = &["roll", "mail_queue"];

/// Column names that would tie a row to a ballot, a credential or a place on the board.
const BALLOT_SIDE_COLUMNS: &[&str] = &[
    "credential",
    "tracking_code",
    "seq",
    "payload",
    "hash",
    "ballot",
    "key",
    "public_key",
    "sums",
];

/// The trustees' secrets, kept by the test-side trustees.
#[derive(Default)]
struct TrusteeSecrets {
    needles: Needles,
}

/// The ceremony of `support::election::run_ceremony`, keeping each trustee's secret state
/// (transport key and polynomial coefficients) and final key share as needles.
async fn ceremony(
    api: &Api,
    created: &CreatedElection,
    rng: &mut ChaCha20Rng,
    secrets: &mut TrusteeSecrets,
) -> Vec<KeyShare> {
    let id = &created.id;
    let base = format!("/trustee/elections/{id}");
    let view = election::trustee_view(api, id, &created.trustees[0].token).await;
    let params = DkgParameters::new(view.trustees, view.threshold).expect("parameters");
    let context = view.setup_hash.expect("the ceremony has started");
    let mut round1 = Vec::new();
    for t in &created.trustees {
        let (secret, package) =
            dkg::start(params, t.index, context.as_bytes(), rng).expect("round 1");
        let state = secret.export_state_file();
        secrets.needles.add_bytes(
            &format!("trustee {} transport key", t.index),
            &state.transport.0,
            true,
        );
        for (k, c) in state.coefficients.iter().enumerate() {
            secrets
                .needles
                .add_bytes(&format!("trustee {} coefficient {k}", t.index), &c.0, true);
        }
        round1.push(secret);
        api.trustee_post(&format!("{base}/round1"), &t.token, &package)
            .await
            .expect(200);
    }
    let view = election::trustee_view(api, id, &created.trustees[0].token).await;
    let mut round2 = Vec::new();
    for (secret, t) in round1.into_iter().zip(&created.trustees) {
        let (next, package) = secret.deal(&view.round1, rng).expect("round 2");
        round2.push(next);
        api.trustee_post(&format!("{base}/round2"), &t.token, &package)
            .await
            .expect(200);
    }
    let view = election::trustee_view(api, id, &created.trustees[0].token).await;
    let mut round3 = Vec::new();
    for (secret, t) in round2.into_iter().zip(&created.trustees) {
        let (next, package) = secret.check(&view.round2, rng).expect("round 3");
        round3.push(next);
        api.trustee_post(&format!("{base}/round3"), &t.token, &package)
            .await
            .expect(200);
    }
    let view = election::trustee_view(api, id, &created.trustees[0].token).await;
    let transcript = CeremonyTranscript {
        round1: view.round1,
        round2: view.round2,
        round3: view.round3,
    };
    let shares: Vec<KeyShare> = round3
        .into_iter()
        .map(|s| s.finish(&transcript).expect("finish").0)
        .collect();
    for share in &shares {
        let file = share.export_key_file();
        secrets.needles.add_bytes(
            &format!("trustee {} key share", file.index),
            &file.secret.0,
            true,
        );
    }
    shares
}

/// A roll of voters whose names and addresses occur nowhere else (a name like "Voter 1" would
/// also match "Voter 10").
fn distinctive_roll(n: usize) -> (String, Vec<(String, String)>) {
    let mut csv = String::from("email,name\n");
    let mut voters = Vec::new();
    for _ in 0..n {
        let tag = support::random_string(8).to_lowercase();
        let email = format!("ada.{tag}@math.example.edu");
        let name = format!("Väljare Lövgren-{tag}");
        csv.push_str(&format!("{email},{name}\n"));
        voters.push((email, name));
    }
    (csv, voters)
}

/// Every `local@domain.tld` in a text (lower case).
fn addresses(text: &str) -> BTreeSet<String> {
    let is_part = |c: char| c.is_ascii_alphanumeric() || "._%+-".contains(c);
    let mut out = BTreeSet::new();
    for (at, _) in text.match_indices('@') {
        let local: String = text[..at]
            .chars()
            .rev()
            .take_while(|c| is_part(*c))
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let domain: String = text[at + 1..].chars().take_while(|c| is_part(*c)).collect();
        let domain = domain.trim_end_matches('.');
        if !local.is_empty() && domain.contains('.') {
            out.insert(format!("{local}@{domain}").to_lowercase());
        }
    }
    out
}

/// Table → column names, from the SQLite file itself.
fn sqlite_schema(db: &Database) -> Vec<(String, Vec<String>)> {
    let url = db.url().to_owned();
    support::block_on_thread(async move {
        use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
        use sqlx::{ConnectOptions, Connection, Row};
        use std::str::FromStr;
        let mut conn: SqliteConnection = SqliteConnectOptions::from_str(&url)
            .expect("sqlite url")
            .read_only(true)
            .connect()
            .await
            .expect("open the SQLite database");
        let tables: Vec<String> = sqlx::query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             ORDER BY name",
        )
        .fetch_all(&mut conn)
        .await
        .expect("tables")
        .iter()
        .map(|r| r.get::<String, _>(0))
        .collect();
        let mut out = Vec::new();
        for table in tables {
            let columns = sqlx::query("SELECT name FROM pragma_table_info(?) ORDER BY cid")
                .bind(&table)
                .fetch_all(&mut conn)
                .await
                .expect("columns")
                .iter()
                .map(|r| r.get::<String, _>(0))
                .collect();
            out.push((table, columns));
        }
        let _ = conn.close().await;
        out
    })
}

/// The database files' problems: any needle found in the main file or its write-ahead log.
fn secrets_in_files(db: &Database, needles: &Needles, when: &str) -> Vec<String> {
    let files = db.sqlite_files();
    assert!(!files.is_empty(), "the SQLite database file exists");
    let mut problems = Vec::new();
    for file in files {
        let bytes = std::fs::read(&file).expect("read the database file");
        for label in needles.found_in(&bytes) {
            problems.push(format!("{when}: {label} in {}", file.display()));
        }
    }
    problems
}

#[test]
fn the_scanner_and_its_encodings_are_right() {
    use secret_forms::{base32, base32_decode, base64, sha512};
    assert_eq!(
        hex::encode(sha512(b"abc")),
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
         2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
    );
    // Two blocks.
    assert_eq!(hex::encode(&sha512(&[b'a'; 200])[..8]), "4b11459c33f52a22");
    assert_eq!(base64(b"foob", false, true), "Zm9vYg==");
    assert_eq!(base64(b"foob", true, false), "Zm9vYg");
    assert_eq!(base64(&[0xfb, 0xff], true, true), "-_8=");
    assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
    assert_eq!(base32_decode("mzxw6ytboi").unwrap(), b"foobar");
    // A secret is found whole, cut short, embedded, upper-cased or base64-encoded.
    let mut n = Needles::default();
    n.add_text("token", "k3vq7m2xw9p4r8t6y5u1z0a2b3");
    n.add_bytes("key", &[7u8; 32], true);
    assert!(n
        .found_in(b"nothing to see here, really nothing")
        .is_empty());
    let hits = n.found_in(b"log: token=K3VQ7M2XW9P4R8T6Y5U1Z0A2B3 end");
    assert!(hits.contains(&"token (upper case)".to_owned()), "{hits:?}");
    let hits = n.found_in(b"...m2xw9p4r8t6y5u1z0a2b3\"");
    assert!(hits.contains(&"token (as is)".to_owned()), "{hits:?}");
    let cut = &hex::encode([7u8; 32])[..20];
    assert!(!n.found_in(cut.as_bytes()).is_empty(), "a cut hex form");
    let b64 = base64(&[7u8; 32], false, true);
    assert!(!n.found_in(format!("x{b64}x").as_bytes()).is_empty());
    let mut blob = vec![0u8; 100];
    blob.extend_from_slice(&[7u8; 32]);
    assert_eq!(n.found_in(&blob), ["key (raw bytes)"]);
    assert_eq!(
        addresses("to Ada <ada.x@math.example.edu>, a@b, x@y.org."),
        BTreeSet::from(["ada.x@math.example.edu".to_owned(), "x@y.org".to_owned()])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_in_logs_or_database_and_no_identity_next_to_a_ballot() {
    let started = std::time::Instant::now();
    let sink = SmtpSink::start().await.expect("SMTP sink");
    let dir = tempfile::tempdir().unwrap();
    let db = Database::sqlite(dir.path());
    let mut opts = ServerOptions::new(&db).smtp(sink.port());
    opts.env.push(("URNA_LOG".to_owned(), LOG_LEVEL.to_owned()));
    let mut server = Server::start(opts);
    let api = Api::new(&server.url());
    let admin = Admin::login(&api, "admin", server.admin_password()).await;
    let mut rng = ChaCha20Rng::seed_from_u64(7007);

    // The secrets of the people running the election.
    let mut needles = Needles::default();
    needles.add_text("admin password", server.admin_password());
    let session = admin
        .cookie
        .split_once('=')
        .expect("name=value")
        .1
        .to_owned();
    needles.add_text("admin session cookie", &session);
    // Derived from the session token; the database keeps nothing of either (F4).
    needles.add_text("admin CSRF token", &admin.csrf);

    let manifest = election::manifest("teachers");
    let (roll, voters) = distinctive_roll(VOTERS);
    let created = election::create(&admin, &manifest, &roll).await;
    needles.add_text("orderer token", &created.orderer_token);
    for t in &created.trustees {
        needles.add_text(&format!("trustee {} token", t.index), &t.token);
    }
    election::start_ceremony(&admin, &created.id).await;
    let mut trustees = TrusteeSecrets::default();
    let shares = ceremony(&api, &created, &mut rng, &mut trustees).await;
    needles.extend(trustees.needles);
    let fingerprint = election::approve(&api, &created).await;
    let context = election::booth_context(&api, &created.id).await;
    assert_eq!(context.fingerprint, fingerprint);
    let e = Prepared {
        id: created.id.clone(),
        created,
        shares,
        context,
        manifest,
    };
    election::open(&admin, &e.id).await;

    // The invitations, by recipient.
    let prefix = format!("{}/vote/{}#", server.public_url(), e.id);
    let mails = support::wait_until_async(Duration::from_secs(60), "the invitations", || {
        let (mails, prefix) = (sink.messages(), prefix.clone());
        async move {
            let invitations: Vec<_> = mails
                .into_iter()
                .filter(|m| m.link(&prefix).is_some())
                .collect();
            (invitations.len() >= VOTERS).then_some(invitations)
        }
    })
    .await;
    assert_eq!(mails.len(), VOTERS, "one invitation per voter");
    let mut credentials = Vec::new();
    for (email, _) in &voters {
        let mail = mails
            .iter()
            .find(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(email)))
            .unwrap_or_else(|| panic!("no invitation to {email}"));
        let link = mail.link(&prefix).expect("a link");
        let forms = CredentialForms::from_link(&link, &e.setup_hash());
        // Control: the scanner finds the credential in the mail that carried it.
        let in_mail = forms.needles(email).found_in(&mail.raw);
        assert!(
            in_mail
                .iter()
                .any(|l| l.ends_with("link credential (as is)")),
            "control: the credential is found in its invitation ({in_mail:?})"
        );
        needles.extend(forms.needles(email));
        credentials.push((link, forms));
    }
    eprintln!(
        "[{:?}] open; {} needles (forms of secrets) to look for",
        started.elapsed(),
        needles.len()
    );

    // Everyone votes (in a different order than the roll's), the trustees decrypt.
    let mut order: Vec<usize> = (0..VOTERS).collect();
    order.reverse();
    order.swap(1, 4);
    let mut expected = election::zero_totals(&e.manifest);
    let mut codes = Vec::new();
    for &i in &order {
        let key = election::key_of_link(&credentials[i].0, &e.setup_hash());
        let (ballot, vote) = election::ballot(&e.context, &key, &mut rng);
        let receipt = election::cast_ok(&api, &e.id, &ballot).await;
        codes.push(receipt.tracking_code.to_lowercase());
        election::add_vote(&mut expected, &vote, 1);
    }
    election::close(&admin, &e.id).await;
    let state = election::decrypt(&api, &e, &[0, 2], &mut rng).await;
    assert_eq!(state, "published");
    assert_eq!(election::result_totals(&api, &e.id).await, expected);
    eprintln!("[{:?}] published", started.elapsed());

    // The board: the credential list is sorted by key and is not in roll order.
    let board = BoardSummary::parse(&api.board_jsonl(&e.id).await);
    let in_roll_order: Vec<String> = credentials
        .iter()
        .map(|(_, f)| hex::encode(f.public))
        .collect();
    let mut sorted = in_roll_order.clone();
    sorted.sort();
    assert_eq!(
        board.credentials, sorted,
        "the public credential list is the voters' credentials sorted by key"
    );
    assert_ne!(
        board.credentials, in_roll_order,
        "the public credential list is not in roll order (1 in {VOTERS}! by chance)"
    );
    assert_eq!(board.ballots.len(), VOTERS);

    // The mail queue empties once the SMTP server took every mail (the orderer's too).
    let tables = support::wait_until_async(Duration::from_secs(60), "an empty mail queue", || {
        let rows = db.dump_rows();
        async move {
            rows.iter()
                .any(|(t, r)| t == "mail_queue" && r.is_empty())
                .then_some(rows)
        }
    })
    .await;

    // The schema is the reviewed one; identity tables have no ballot-side column.
    let schema = sqlite_schema(&db);
    let reviewed: Vec<(String, Vec<String>)> = REVIEWED_SCHEMA
        .iter()
        .map(|(t, c)| (t.to_string(), c.iter().map(|c| c.to_string()).collect()))
        .collect();
    assert_eq!(
        schema, reviewed,
        "the database schema changed: review what the new columns can link and update \
         spec/secrets.md §4 and REVIEWED_SCHEMA"
    );
    for (table, columns) in &schema {
        if IDENTITY_TABLES.contains(&table.as_str()) {
            for c in columns {
                assert!(
                    !BALLOT_SIDE_COLUMNS
                        .iter()
                        .any(|b| c == b || c.contains("credential") || c.contains("ballot")),
                    "{table}.{c}: a table with voters' identities has a ballot-side column"
                );
            }
        }
    }

    // No row outside the roll names a voter; no row with an identity holds a public credential
    // or a tracking code.
    let mut problems = Vec::new();
    let emails: Vec<String> = voters.iter().map(|(e, _)| e.to_lowercase()).collect();
    let names: Vec<String> = voters.iter().map(|(_, n)| n.to_lowercase()).collect();
    let mut roll_rows = 0;
    for (table, rows) in &tables {
        for row in rows {
            let identity = emails
                .iter()
                .chain(&names)
                .find(|x| row.contains(x.as_str()));
            let Some(identity) = identity else { continue };
            if table == "roll" {
                roll_rows += 1;
            } else {
                problems.push(format!("{table}: a voter's identity ({identity})"));
            }
            if let Some(c) = in_roll_order.iter().find(|c| row.contains(c.as_str())) {
                problems.push(format!("{table}: {identity} next to the credential {c}"));
            }
            if let Some(c) = codes.iter().find(|c| row.contains(c.as_str())) {
                problems.push(format!("{table}: {identity} next to the tracking code {c}"));
            }
        }
    }
    assert_eq!(roll_rows, VOTERS, "the roll holds every voter (control)");
    let votes = tables
        .iter()
        .find(|(t, _)| t == "votes")
        .map(|(_, r)| r.clone())
        .unwrap_or_default();
    assert_eq!(votes.len(), VOTERS, "one vote row per credential (control)");
    assert!(
        votes
            .iter()
            .all(|r| in_roll_order.iter().any(|c| r.contains(c.as_str()))),
        "the votes table holds public credentials in hex (control for the check above)"
    );

    // No secret in the database files, running and stopped.
    // Control: the same scan does find the public credentials (the `votes` table keeps them
    // raw, the board in hex), so the files read are the live database.
    let mut public = Needles::default();
    for (i, (_, f)) in credentials.iter().enumerate() {
        public.add_bytes(&format!("public credential {i}"), &f.public, true);
    }
    let files: Vec<u8> = db
        .sqlite_files()
        .iter()
        .flat_map(|f| std::fs::read(f).expect("read the database file"))
        .collect();
    let found = public.found_in(&files);
    for i in 0..VOTERS {
        assert!(
            found
                .iter()
                .any(|l| l.starts_with(&format!("public credential {i} ("))),
            "control: public credential {i} is not in the database files"
        );
    }
    let disk_needles = needles.clone();
    problems.extend(secrets_in_files(&db, &disk_needles, "running"));

    // The log: no secret in any encoding, no voter's address or name, no address of anyone but
    // the election's staff; and it did see every ballot being cast.
    let log = server.log();
    let log_lower = log.to_lowercase();
    for label in needles.found_in(log.as_bytes()) {
        problems.push(format!("server log: {label}"));
    }
    for (email, name) in &voters {
        for x in [email, name] {
            if log_lower.contains(&x.to_lowercase()) {
                problems.push(format!("server log: the voter's {x}"));
            }
        }
        let tag = email.split(['.', '@']).nth(1).expect("a tag");
        if log_lower.contains(tag) {
            problems.push(format!("server log: part of {email}"));
        }
    }
    // Not even the staff's addresses (the orderer's is in the database): the log is shipped
    // and kept in places the database is not, and needs no personal data.
    let found = addresses(&log);
    if !found.is_empty() {
        problems.push(format!("server log: e-mail addresses {found:?}"));
    }
    let cast_lines = log
        .lines()
        .filter(|l| l.contains(&format!("/elections/{}/ballots", e.id)))
        .count();
    assert!(
        cast_lines >= VOTERS && log.contains("DEBUG"),
        "the log is at debug level and shows the casts ({cast_lines} lines; {} bytes)",
        log.len()
    );
    eprintln!(
        "[{:?}] log: {} lines, {} bytes, {cast_lines} about casting; addresses in it: {found:?}",
        started.elapsed(),
        log.lines().count(),
        log.len()
    );

    assert!(server.stop(), "urna serve stops cleanly");
    problems.extend(secrets_in_files(&db, &disk_needles, "stopped"));
    assert!(
        problems.is_empty(),
        "secrets or identities where they must not be:\n{}",
        problems.join("\n")
    );
    eprintln!("[{:?}] done", started.elapsed());
}
