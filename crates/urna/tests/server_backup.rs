//! `urna backup` of a live SQLite database (while ballots are being cast, and when idle) and
//! `urna restore`: a server on the restored database serves the same head and a valid
//! record, and voting goes on there; restore does not overwrite without `--force` and does
//! not take a file that is not an Urna database.

mod support;

use futures_util::StreamExt;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use support::election::{self, BoardSummary};
use support::http::{Admin, Api};
use support::{p, run_urna, Database, Server, ServerOptions};

const VOTERS: usize = 60;

fn backup(db: &Database, out: &std::path::Path) -> std::process::Output {
    run_urna(["backup", "--database-url", db.url(), "--out", p(out)])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_and_restore_a_running_server() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::sqlite(dir.path());
    let server = Server::start(ServerOptions::new(&db));
    let api = Api::new(&server.url());
    let admin = Admin::login(&api, "admin", server.admin_password()).await;
    let mut rng = ChaCha20Rng::seed_from_u64(31);
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
    let ballots: Vec<_> = tokio::task::spawn_blocking(move || {
        let mut rng = ChaCha20Rng::seed_from_u64(32);
        keys.iter()
            .map(|k| election::ballot(&context, k, &mut rng).0)
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    for ballot in &ballots[..20] {
        election::cast_ok(&api, &e.id, ballot).await;
    }

    // A backup while ballots are being cast is one consistent state: its record verifies.
    let backups = tempfile::tempdir().unwrap();
    let busy = backups.path().join("busy.db");
    let casting = {
        let (api, id, batch) = (api.clone(), e.id.clone(), ballots[20..40].to_vec());
        tokio::spawn(async move {
            futures_util::stream::iter(batch)
                .for_each_concurrent(4, |b| {
                    let (api, id) = (api.clone(), id.clone());
                    async move {
                        election::cast_ok(&api, &id, &b).await;
                    }
                })
                .await
        })
    };
    let out = {
        let (db_url, busy) = (db.url().to_owned(), busy.clone());
        tokio::task::spawn_blocking(move || {
            run_urna(["backup", "--database-url", &db_url, "--out", p(&busy)])
        })
        .await
        .unwrap()
    };
    assert!(
        out.status.success(),
        "backup while casting\n{}",
        support::describe(&out)
    );
    casting.await.unwrap();

    // A backup when idle: the restored server serves exactly this head.
    let head = api.head(&e.id).await;
    let idle = backups.path().join("idle.db");
    let out = tokio::task::spawn_blocking({
        let (db_url, idle) = (db.url().to_owned(), idle.clone());
        move || run_urna(["backup", "--database-url", &db_url, "--out", p(&idle)])
    })
    .await
    .unwrap();
    assert!(out.status.success(), "backup\n{}", support::describe(&out));
    // Backups never overwrite.
    let again = backup(&db, &idle);
    assert!(
        !again.status.success(),
        "a second backup onto the same file\n{}",
        support::describe(&again)
    );
    // The original goes on.
    election::cast_ok(&api, &e.id, &ballots[40]).await;
    assert_ne!(api.head(&e.id).await, head);

    let records = tempfile::tempdir().unwrap();
    for (name, file, exact) in [("busy", &busy, false), ("idle", &idle, true)] {
        let target_dir = tempfile::tempdir().unwrap();
        let restored = Database::sqlite(target_dir.path());
        // The target does not exist yet; --force is harmless then.
        support::urna_ok([
            "restore",
            "--from",
            p(file),
            "--database-url",
            restored.url(),
            "--force",
        ]);
        let restored_server =
            Server::start(ServerOptions::new(&restored).admin_password(server.admin_password()));
        let r = Api::new(&restored_server.url());
        let restored_head = r.head(&e.id).await;
        if exact {
            assert_eq!(
                restored_head, head,
                "the restored server serves the backed-up head"
            );
        } else {
            // Somewhere between 20 ballots and 40.
            assert!(
                (34..=54).contains(&restored_head.0),
                "{name}: {} entries",
                restored_head.0
            );
        }
        let dir = records.path().join(name);
        support::download_record_async(&restored_server.url(), &e.id, &dir).await;
        support::assert_verifies(&dir, true).await;
        let board = BoardSummary::read(&dir);
        board.assert_one_ballot_per_credential();
        assert_eq!(board.kinds.len() as u64, restored_head.0);
        if exact {
            // The restored copy takes the ballot cast on the original after the backup, and
            // the admin session works (the accounts came along).
            election::cast_ok(&r, &e.id, &ballots[40]).await;
            let admin_r = Admin::login(&r, "admin", server.admin_password()).await;
            let view = admin_r
                .get(&format!("/admin/elections/{}", e.id))
                .await
                .expect(200)
                .json();
            assert_eq!(view["summary"]["ballots"], 41);
        }
    }

    // Restore refuses to overwrite without --force, and takes only Urna databases.
    let target_dir = tempfile::tempdir().unwrap();
    let target = Database::sqlite(target_dir.path());
    support::urna_ok([
        "restore",
        "--from",
        p(&idle),
        "--database-url",
        target.url(),
    ]);
    let before = std::fs::read(target_dir.path().join("urna.db")).unwrap();
    let refused = run_urna([
        "restore",
        "--from",
        p(&busy),
        "--database-url",
        target.url(),
    ]);
    assert!(
        !refused.status.success(),
        "restore over an existing database without --force\n{}",
        support::describe(&refused)
    );
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("--force"),
        "{}",
        support::describe(&refused)
    );
    assert_eq!(
        std::fs::read(target_dir.path().join("urna.db")).unwrap(),
        before,
        "unchanged"
    );
    let text = backups.path().join("not-a-database.db");
    std::fs::write(&text, "email,name\nx@example.edu,X\n".repeat(200)).unwrap();
    let empty = backups.path().join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    let other = backups.path().join("other.db");
    block_on_sqlite_create(&other);
    for (what, file) in [
        ("a text file", &text),
        ("an empty file", &empty),
        ("another SQLite database", &other),
    ] {
        let out = run_urna([
            "restore",
            "--from",
            p(file),
            "--database-url",
            target.url(),
            "--force",
        ]);
        assert!(
            !out.status.success(),
            "restore from {what}\n{}",
            support::describe(&out)
        );
        assert_eq!(
            std::fs::read(target_dir.path().join("urna.db")).unwrap(),
            before,
            "{what}: unchanged"
        );
    }
    let missing = run_urna([
        "restore",
        "--from",
        p(&backups.path().join("missing.db")),
        "--database-url",
        target.url(),
        "--force",
    ]);
    assert!(!missing.status.success());
    assert!(server.healthy());
}

/// A SQLite database with a table, but not Urna's.
fn block_on_sqlite_create(path: &std::path::Path) {
    let url = format!("sqlite://{}?mode=rwc", path.display());
    support::block_on_thread(async move {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query("CREATE TABLE notes (x TEXT)")
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
    });
}
