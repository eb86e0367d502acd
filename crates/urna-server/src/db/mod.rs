//! All SQL lives here. One schema for SQLite and PostgreSQL (migrations/), spoken through
//! sqlx's `Any` driver with `$N` placeholders, which both engines accept.
//!
//! Appends to an election's board are serialised by the database: every writing transaction
//! starts by updating the election's row ([`ElectionTx`]), which takes PostgreSQL's row lock or
//! SQLite's write lock before anything is read, so several server processes sharing one
//! PostgreSQL still build one chain.

mod board;
mod mail;
mod users;

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};
use urna_api::ElectionState;
use urna_crypto::Digest32;
use urna_election::board::{event_hash, BoardEntry, Event, GENESIS};

pub use board::{decode_sums, encode_sums, VoteOutcome};
pub use mail::{MailRow, NewMail};
pub use users::SessionRow;

/// How long a query waits for a pooled connection (or for a new one to be opened) before it
/// fails with `PoolTimedOut`, answered 503 `unavailable` (crate::error). Short enough that a
/// voter whose database is down hears so within seconds instead of a hanging request, long
/// enough that a busy but healthy pool does not turn load into errors.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// How long `urna serve` keeps trying to reach its database at start-up (a PostgreSQL that is
/// still starting refuses connections for a while).
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The database behind the board.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    sqlite: bool,
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

pub(crate) fn digest(bytes: &[u8]) -> anyhow::Result<Digest32> {
    let array: [u8; 32] = bytes.try_into().context("a stored hash is not 32 bytes")?;
    Ok(Digest32(array))
}

pub(crate) fn u64_of(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// An election as stored.
#[derive(Clone, Debug)]
pub struct ElectionRow {
    pub id: String,
    pub manifest: String,
    pub state: ElectionState,
    pub orderer_name: String,
    pub orderer_email: String,
    pub opens_at: Option<i64>,
    pub closes_at: Option<i64>,
    pub setup_hash: Option<Digest32>,
    pub fingerprint: Option<Digest32>,
    pub entries: u64,
    pub head: Digest32,
    pub ballots: u64,
    pub voters: u64,
    pub total_weight: u64,
    pub approved_by: Option<String>,
    pub error: Option<String>,
}

const ELECTION_COLUMNS: &str = "id, manifest, state, orderer_name, orderer_email, opens_at, \
    closes_at, setup_hash, fingerprint, entries, head, ballots, voters, total_weight, \
    approved_by, error";

fn election_row(row: &AnyRow) -> anyhow::Result<ElectionRow> {
    let state: String = row.try_get("state")?;
    let opt_digest = |name: &str| -> anyhow::Result<Option<Digest32>> {
        let bytes: Option<Vec<u8>> = row.try_get(name)?;
        bytes.map(|b| digest(&b)).transpose()
    };
    Ok(ElectionRow {
        id: row.try_get("id")?,
        manifest: row.try_get("manifest")?,
        state: ElectionState::parse(&state).context("unknown election state in the database")?,
        orderer_name: row.try_get("orderer_name")?,
        orderer_email: row.try_get("orderer_email")?,
        opens_at: row.try_get("opens_at")?,
        closes_at: row.try_get("closes_at")?,
        setup_hash: opt_digest("setup_hash")?,
        fingerprint: opt_digest("fingerprint")?,
        entries: u64_of(row.try_get("entries")?),
        head: digest(&row.try_get::<Vec<u8>, _>("head")?)?,
        ballots: u64_of(row.try_get("ballots")?),
        voters: u64_of(row.try_get("voters")?),
        total_weight: u64_of(row.try_get("total_weight")?),
        approved_by: row.try_get("approved_by")?,
        error: row.try_get("error")?,
    })
}

/// A new election.
#[derive(Debug)]
pub struct NewElection<'a> {
    pub id: &'a str,
    pub manifest: &'a str,
    pub orderer_name: &'a str,
    pub orderer_email: &'a str,
    pub orderer_token_hash: &'a [u8],
    pub opens_at: Option<i64>,
    pub closes_at: Option<i64>,
    pub admin_id: i64,
    /// (index, name, token hash)
    pub trustees: Vec<(u32, String, Vec<u8>)>,
}

fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

impl Db {
    /// Connects (creating a SQLite file if needed) and brings the schema up to date.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        let sqlite = url.starts_with("sqlite:");
        let url = if sqlite && !url.contains("mode=") {
            let sep = if url.contains('?') { '&' } else { '?' };
            format!("{url}{sep}mode=rwc")
        } else {
            url.to_owned()
        };
        let options = AnyConnectOptions::from_str(&url)
            .with_context(|| format!("invalid database URL {}", redact_url(&url)))?;
        let pool = AnyPoolOptions::new()
            .max_connections(if sqlite { 8 } else { 16 })
            .acquire_timeout(ACQUIRE_TIMEOUT)
            // Idle connections are pinged before use (sqlx's default, kept on purpose): one
            // broken while the database was away is replaced instead of failing a request.
            .test_before_acquire(true)
            .after_release(move |conn, _meta| {
                Box::pin(async move {
                    if !sqlite {
                        return Ok(true);
                    }
                    // SQLite rolls a transaction back by itself when a write fails (a full
                    // disk: SQLITE_FULL, SQLITE_IOERR); sqlx's ROLLBACK then fails and sqlx
                    // goes on counting a transaction that no longer exists. Reused, such a
                    // connection turns the next BEGIN into a SAVEPOINT, and a ROLLBACK TO of
                    // that leaves a real transaction open, holding the write lock (and any
                    // later RELEASE would commit nothing). Seen in
                    // crates/urna/tests/server_db_faults.rs before this check: after the
                    // first failed write, every later write waited out busy_timeout and
                    // failed with SQLITE_BUSY until the process was restarted. So a
                    // connection is pooled again only when sqlx counts no transaction; the
                    // ping first lets the worker run the rollback queued on drop. (PostgreSQL
                    // answers a needless ROLLBACK with a warning, and sqlx's count stays
                    // right.)
                    sqlx::Connection::ping(conn).await?;
                    Ok(!sqlx::Connection::is_in_transaction(conn))
                })
            })
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if sqlite {
                        // WAL lets readers run beside the writer; FULL makes every commit
                        // durable before we acknowledge a ballot.
                        for pragma in [
                            "PRAGMA journal_mode = WAL",
                            "PRAGMA synchronous = FULL",
                            "PRAGMA busy_timeout = 30000",
                            "PRAGMA foreign_keys = ON",
                            // Sent invitations are deleted; their pages must not keep the
                            // address–secret pairs on disk.
                            "PRAGMA secure_delete = ON",
                        ] {
                            sqlx::query(pragma).execute(&mut *conn).await?;
                        }
                    }
                    Ok(())
                })
            })
            .connect_lazy_with(options);
        // The first connection, retried while the database only times out (e.g. PostgreSQL
        // still starting); wrong credentials or a bad path fail at once.
        let started = std::time::Instant::now();
        loop {
            match pool.acquire().await {
                Ok(_) => break,
                Err(sqlx::Error::PoolTimedOut) if started.elapsed() < STARTUP_TIMEOUT => {
                    tracing::warn!(url = %redact_url(&url), "the database does not answer yet; retrying");
                }
                Err(e) => {
                    return Err(e)
                        .with_context(|| format!("cannot open the database {}", redact_url(&url)))
                }
            }
        }
        let db = Self { pool, sqlite };
        let migrator = if sqlite {
            &SQLITE_MIGRATIONS
        } else {
            &POSTGRES_MIGRATIONS
        };
        migrator
            .run(&db.pool)
            .await
            .context("cannot bring the database schema up to date")?;
        Ok(db)
    }

    /// Checks the database answers.
    pub async fn ping(&self) -> anyhow::Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// On SQLite, copies the write-ahead log into the database file and truncates the log, so
    /// that old page images (of deleted invitations, say) do not linger in it. Best effort: a
    /// reader holding an old snapshot makes SQLite skip part of it, and the next call finishes.
    pub async fn checkpoint(&self) -> anyhow::Result<()> {
        if self.sqlite {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    /// Closes every connection.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Creates an election with its trustees' tokens and its first admin.
    pub async fn insert_election(&self, e: &NewElection<'_>) -> anyhow::Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO elections (id, manifest, state, created_at, orderer_name, orderer_email, \
             orderer_token_hash, opens_at, closes_at, head) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(e.id)
        .bind(e.manifest)
        .bind(ElectionState::Draft.as_str())
        .bind(now())
        .bind(e.orderer_name)
        .bind(e.orderer_email)
        .bind(e.orderer_token_hash.to_vec())
        .bind(e.opens_at)
        .bind(e.closes_at)
        .bind(GENESIS.0.to_vec())
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO election_admins (election_id, admin_id) VALUES ($1, $2)")
            .bind(e.id)
            .bind(e.admin_id)
            .execute(&mut *tx)
            .await?;
        for (index, name, token_hash) in &e.trustees {
            sqlx::query(
                "INSERT INTO trustees (election_id, trustee, name, token_hash) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(e.id)
            .bind(i64::from(*index))
            .bind(name.as_str())
            .bind(token_hash.clone())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// One election.
    pub async fn election(&self, id: &str) -> anyhow::Result<Option<ElectionRow>> {
        let row = sqlx::query(&format!(
            "SELECT {ELECTION_COLUMNS} FROM elections WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(election_row).transpose()
    }

    /// Every election past the draft (public).
    pub async fn public_elections(&self) -> anyhow::Result<Vec<ElectionRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {ELECTION_COLUMNS} FROM elections WHERE state <> 'draft' ORDER BY created_at, id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(election_row).collect()
    }

    /// The elections an admin administers.
    pub async fn admin_elections(&self, admin_id: i64) -> anyhow::Result<Vec<ElectionRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {ELECTION_COLUMNS} FROM elections WHERE id IN \
             (SELECT election_id FROM election_admins WHERE admin_id = $1) ORDER BY created_at, id"
        ))
        .bind(admin_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(election_row).collect()
    }

    /// Elections whose scheduled opening or closing is due.
    pub async fn due_elections(&self, at: i64) -> anyhow::Result<Vec<ElectionRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {ELECTION_COLUMNS} FROM elections WHERE \
             (state = 'scheduled' AND opens_at IS NOT NULL AND opens_at <= $1) OR \
             (state = 'open' AND closes_at IS NOT NULL AND closes_at <= $1)"
        ))
        .bind(at)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(election_row).collect()
    }

    /// The election an orderer token belongs to.
    pub async fn election_by_orderer(
        &self,
        token_hash: &[u8],
    ) -> anyhow::Result<Option<ElectionRow>> {
        let row = sqlx::query(&format!(
            "SELECT {ELECTION_COLUMNS} FROM elections WHERE orderer_token_hash = $1"
        ))
        .bind(token_hash.to_vec())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(election_row).transpose()
    }

    /// The trustee a token belongs to in an election.
    pub async fn trustee_by_token(
        &self,
        election: &str,
        token_hash: &[u8],
    ) -> anyhow::Result<Option<u32>> {
        let row =
            sqlx::query("SELECT trustee FROM trustees WHERE election_id = $1 AND token_hash = $2")
                .bind(election)
                .bind(token_hash.to_vec())
                .fetch_optional(&self.pool)
                .await?;
        Ok(row
            .map(|r| r.try_get::<i64, _>("trustee"))
            .transpose()?
            .and_then(|t| u32::try_from(t).ok()))
    }

    /// Whether `admin_id` administers `election`.
    pub async fn is_election_admin(&self, election: &str, admin_id: i64) -> anyhow::Result<bool> {
        let row =
            sqlx::query("SELECT 1 FROM election_admins WHERE election_id = $1 AND admin_id = $2")
                .bind(election)
                .bind(admin_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.is_some())
    }

    /// The usernames administering an election.
    pub async fn election_admins(&self, election: &str) -> anyhow::Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT a.username FROM admins a JOIN election_admins e ON e.admin_id = a.id \
             WHERE e.election_id = $1 ORDER BY a.username",
        )
        .bind(election)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| r.try_get("username").map_err(Into::into))
            .collect()
    }

    /// Adds an admin to an election (idempotent).
    pub async fn add_election_admin(&self, election: &str, admin_id: i64) -> anyhow::Result<()> {
        if self.is_election_admin(election, admin_id).await? {
            return Ok(());
        }
        sqlx::query("INSERT INTO election_admins (election_id, admin_id) VALUES ($1, $2)")
            .bind(election)
            .bind(admin_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Replaces the roll of a draft election; false if the election is no longer a draft.
    pub async fn replace_roll(
        &self,
        election: &str,
        entries: &[crate::roll::RollEntry],
    ) -> anyhow::Result<bool> {
        let mut tx = self.pool.begin().await?;
        let locked =
            sqlx::query("UPDATE elections SET voters = 0 WHERE id = $1 AND state = 'draft'")
                .bind(election)
                .execute(&mut *tx)
                .await?;
        if locked.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query("DELETE FROM roll WHERE election_id = $1")
            .bind(election)
            .execute(&mut *tx)
            .await?;
        for e in entries {
            sqlx::query(
                "INSERT INTO roll (election_id, line, email, name, weight) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(election)
            .bind(i64::try_from(e.line)?)
            .bind(e.email.as_str())
            .bind(e.name.as_str())
            .bind(i64::try_from(e.weight)?)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// (voters, total weight, invited) of the roll.
    pub async fn roll_stats(&self, election: &str) -> anyhow::Result<(u64, u64, u64)> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(weight), 0) AS BIGINT) AS w, \
             CAST(COALESCE(SUM(invited), 0) AS BIGINT) AS i FROM roll WHERE election_id = $1",
        )
        .bind(election)
        .fetch_one(&self.pool)
        .await?;
        Ok((
            u64_of(row.try_get("n")?),
            u64_of(row.try_get("w")?),
            u64_of(row.try_get("i")?),
        ))
    }

    /// The roll: (line, e-mail, name, weight) in file order.
    pub async fn roll(&self, election: &str) -> anyhow::Result<Vec<(i64, String, String, u64)>> {
        let rows = sqlx::query(
            "SELECT line, email, name, weight FROM roll WHERE election_id = $1 ORDER BY line",
        )
        .bind(election)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("line")?,
                    r.try_get("email")?,
                    r.try_get("name")?,
                    u64_of(r.try_get("weight")?),
                ))
            })
            .collect()
    }

    /// Other elections whose rolls share addresses with this one's:
    /// (election, its manifest, shared addresses).
    pub async fn roll_overlaps(
        &self,
        election: &str,
    ) -> anyhow::Result<Vec<(String, String, u64)>> {
        let rows = sqlx::query(
            "SELECT r.election_id, e.manifest, COUNT(*) AS n FROM roll r \
             JOIN elections e ON e.id = r.election_id \
             WHERE r.election_id <> $1 AND r.email IN (SELECT email FROM roll WHERE election_id = $1) \
             GROUP BY r.election_id, e.manifest ORDER BY r.election_id",
        )
        .bind(election)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("election_id")?,
                    r.try_get("manifest")?,
                    u64_of(r.try_get("n")?),
                ))
            })
            .collect()
    }

    /// Opens a writing transaction on one election, locking its board.
    pub async fn lock(&self, election: &str) -> anyhow::Result<Option<ElectionTx>> {
        ElectionTx::begin(&self.pool, election).await
    }
}

/// A transaction holding one election's board lock.
#[derive(Debug)]
pub struct ElectionTx {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    pub row: ElectionRow,
}

impl ElectionTx {
    async fn begin(pool: &AnyPool, election: &str) -> anyhow::Result<Option<Self>> {
        let mut tx = pool.begin().await?;
        // A write first: SQLite takes its write lock here (waiting on busy_timeout, never
        // failing on a stale snapshot), PostgreSQL the row's lock.
        let locked = sqlx::query("UPDATE elections SET entries = entries WHERE id = $1")
            .bind(election)
            .execute(&mut *tx)
            .await?;
        if locked.rows_affected() != 1 {
            return Ok(None);
        }
        let row = sqlx::query(&format!(
            "SELECT {ELECTION_COLUMNS} FROM elections WHERE id = $1"
        ))
        .bind(election)
        .fetch_one(&mut *tx)
        .await?;
        let row = election_row(&row)?;
        Ok(Some(Self { tx, row }))
    }

    /// Chains `event` onto the board.
    pub async fn append(&mut self, event: &Event) -> anyhow::Result<BoardEntry> {
        let payload = event.payload_json()?;
        let kind = event.kind().to_owned();
        let seq = self.row.entries;
        let hash = event_hash(seq, &self.row.head, &kind, &payload);
        sqlx::query(
            "INSERT INTO board (election_id, seq, kind, payload, hash) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(self.row.id.as_str())
        .bind(i64::try_from(seq)?)
        .bind(kind.as_str())
        .bind(payload.as_str())
        .bind(hash.0.to_vec())
        .execute(&mut *self.tx)
        .await?;
        let entry = BoardEntry {
            seq,
            prev: self.row.head,
            kind,
            payload,
            hash,
        };
        self.row.entries += 1;
        self.row.head = hash;
        Ok(entry)
    }

    /// Board entries of one kind, in order (read inside the lock).
    pub async fn entries_of_kind(&mut self, kind: &str) -> anyhow::Result<Vec<BoardEntry>> {
        board::entries_of_kind(&mut self.tx, &self.row.id, kind).await
    }

    /// Writes the row back (head, counters, state, …) and commits.
    pub async fn commit(mut self) -> anyhow::Result<ElectionRow> {
        let r = &self.row;
        sqlx::query(
            "UPDATE elections SET state = $2, entries = $3, head = $4, ballots = $5, voters = $6, \
             total_weight = $7, setup_hash = $8, fingerprint = $9, approved_by = $10, error = $11, \
             opens_at = $12, closes_at = $13 WHERE id = $1",
        )
        .bind(r.id.as_str())
        .bind(r.state.as_str())
        .bind(i64::try_from(r.entries)?)
        .bind(r.head.0.to_vec())
        .bind(i64::try_from(r.ballots)?)
        .bind(i64::try_from(r.voters)?)
        .bind(i64::try_from(r.total_weight)?)
        .bind(r.setup_hash.map(|d| d.0.to_vec()))
        .bind(r.fingerprint.map(|d| d.0.to_vec()))
        .bind(r.approved_by.clone())
        .bind(r.error.clone())
        .bind(r.opens_at)
        .bind(r.closes_at)
        .execute(&mut *self.tx)
        .await?;
        self.tx.commit().await?;
        Ok(self.row)
    }
}
