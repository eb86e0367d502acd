//! The harness of the server tests (crates/urna/tests/server_*.rs): throwaway databases
//! (SQLite files, or fresh PostgreSQL databases on URNA_TEST_POSTGRES_URL), `urna serve`
//! processes over real sockets, raw HTTP helpers and the `urna` binary.
//!
//! Each test binary uses a different part of it.
#![allow(dead_code)]

pub mod browser;
pub mod election;
pub mod http;

use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rand::distributions::Alphanumeric;
use rand::Rng;

/// The `urna` binary under test.
pub fn urna_bin() -> &'static str {
    env!("CARGO_BIN_EXE_urna")
}

/// Runs `urna ARGS` to completion.
pub fn run_urna<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    Command::new(urna_bin())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("running urna")
}

/// Runs `urna ARGS` with extra environment variables.
pub fn run_urna_env<I, S>(args: I, env: &[(&str, &str)]) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let mut cmd = Command::new(urna_bin());
    cmd.args(args).stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("running urna")
}

/// Status, stdout and stderr of a finished command, for assertion messages.
pub fn describe(output: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Runs `urna ARGS` and asserts exit status 0; returns stdout.
pub fn urna_ok<I, S>(args: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let args: Vec<std::ffi::OsString> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
    let output = run_urna(&args);
    assert!(
        output.status.success(),
        "urna {:?} failed\n{}",
        args,
        describe(&output)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A path as &str (temporary paths are UTF-8 here).
pub fn p(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

/// `len` random letters and digits.
pub fn random_string(len: usize) -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// The repository's root (for tests/fixtures and spec/).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

// ---------------------------------------------------------------------------------------------
// Databases

/// A database for one test: a SQLite file in a directory the test owns, or a fresh database on
/// the PostgreSQL server named by URNA_TEST_POSTGRES_URL, dropped when this value is dropped.
#[derive(Debug)]
pub struct Database {
    url: String,
    postgres: Option<PostgresDb>,
}

#[derive(Debug)]
struct PostgresDb {
    /// The server URL the database was created from (URNA_TEST_POSTGRES_URL).
    admin_url: String,
    name: String,
}

static DB_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Runs a future to completion on a private runtime in its own thread, so it works from sync
/// code, from Drop and from inside a tokio runtime alike.
pub fn block_on_thread<F, T>(future: F) -> T
where
    F: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(future)
    })
    .join()
    .expect("helper thread panicked")
}

/// URNA_TEST_POSTGRES_URL, or None after printing why the test is skipped. Panics when
/// URNA_REQUIRE_POSTGRES=1 (CI), so a missing PostgreSQL cannot pass as a skip.
pub fn postgres_url_or_skip() -> Option<String> {
    match std::env::var("URNA_TEST_POSTGRES_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            if std::env::var("URNA_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                panic!(
                    "URNA_REQUIRE_POSTGRES=1 but URNA_TEST_POSTGRES_URL is not set: \
                     this test needs PostgreSQL"
                );
            }
            eprintln!("skipped: PostgreSQL not configured (set URNA_TEST_POSTGRES_URL)");
            None
        }
    }
}

impl Database {
    /// `sqlite://DIR/urna.db`.
    pub fn sqlite(dir: &Path) -> Self {
        Self {
            url: format!("sqlite://{}", dir.join("urna.db").display()),
            postgres: None,
        }
    }

    /// A fresh, uniquely named database on URNA_TEST_POSTGRES_URL's server, or None (after
    /// printing "skipped: …") when that is not set. See [`postgres_url_or_skip`].
    pub fn postgres() -> Option<Self> {
        let admin_url = postgres_url_or_skip()?;
        let name = format!(
            "urna_test_{}_{}_{}",
            std::process::id(),
            DB_COUNTER.fetch_add(1, Ordering::SeqCst),
            random_string(6).to_ascii_lowercase()
        );
        let (url, create) = (admin_url.clone(), format!("CREATE DATABASE {name}"));
        block_on_thread(async move {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(&url)
                .await
                .unwrap_or_else(|e| panic!("cannot connect to URNA_TEST_POSTGRES_URL: {e}"));
            sqlx::query(&create)
                .execute(&mut conn)
                .await
                .unwrap_or_else(|e| panic!("{create}: {e}"));
            let _ = conn.close().await;
        });
        let mut url = url::Url::parse(&admin_url).expect("URNA_TEST_POSTGRES_URL is a URL");
        url.set_path(&name);
        Some(Self {
            url: url.to_string(),
            postgres: Some(PostgresDb { admin_url, name }),
        })
    }

    /// The URL to give `urna serve --database-url`.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn is_postgres(&self) -> bool {
        self.postgres.is_some()
    }

    /// The SQLite database file and its `-wal`/`-journal` companions that exist (empty on
    /// PostgreSQL): what a disk holds.
    pub fn sqlite_files(&self) -> Vec<PathBuf> {
        let Some(path) = self.url.strip_prefix("sqlite://") else {
            return Vec::new();
        };
        let path = path.split('?').next().unwrap_or(path);
        ["", "-wal", "-journal"]
            .iter()
            .map(|suffix| PathBuf::from(format!("{path}{suffix}")))
            .filter(|p| p.exists())
            .collect()
    }

    /// Every row of every table, each rendered as one lower-case text line, by table name
    /// (for the privacy checks). Blobs appear as hex.
    pub fn dump_rows(&self) -> Vec<(String, Vec<String>)> {
        let url = self.url.clone();
        let postgres = self.is_postgres();
        block_on_thread(async move {
            if postgres {
                dump_postgres(&url).await
            } else {
                dump_sqlite(&url).await
            }
        })
    }
}

async fn dump_sqlite(url: &str) -> Vec<(String, Vec<String>)> {
    use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
    use sqlx::{ConnectOptions, Connection, Row};
    use std::str::FromStr;
    let mut conn: SqliteConnection = SqliteConnectOptions::from_str(url)
        .expect("sqlite url")
        .read_only(true)
        .connect()
        .await
        .expect("open the SQLite database");
    let tables: Vec<String> = sqlx::query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .fetch_all(&mut conn)
    .await
    .expect("list tables")
    .iter()
    .map(|r| r.get::<String, _>(0))
    .collect();
    let mut out = Vec::new();
    for table in tables {
        let columns: Vec<String> =
            sqlx::query(&format!("SELECT name FROM pragma_table_info('{table}')"))
                .fetch_all(&mut conn)
                .await
                .expect("columns")
                .iter()
                .map(|r| r.get::<String, _>(0))
                .collect();
        let expr = columns
            .iter()
            .map(|c| format!("'{c}=' || CASE typeof(\"{c}\") WHEN 'blob' THEN hex(\"{c}\") ELSE quote(\"{c}\") END"))
            .collect::<Vec<_>>()
            .join(" || ' | ' || ");
        let rows: Vec<String> = sqlx::query(&format!("SELECT {expr} FROM \"{table}\""))
            .fetch_all(&mut conn)
            .await
            .expect("rows")
            .iter()
            .map(|r| r.get::<String, _>(0).to_lowercase())
            .collect();
        out.push((table, rows));
    }
    let _ = conn.close().await;
    out
}

async fn dump_postgres(url: &str) -> Vec<(String, Vec<String>)> {
    use sqlx::{Connection, Row};
    let mut conn = sqlx::PgConnection::connect(url).await.expect("connect");
    let tables: Vec<String> = sqlx::query(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1",
    )
    .fetch_all(&mut conn)
    .await
    .expect("list tables")
    .iter()
    .map(|r| r.get::<String, _>(0))
    .collect();
    let mut out = Vec::new();
    for table in tables {
        // A whole row as text: bytea columns come out as \x… hex.
        let rows: Vec<String> = sqlx::query(&format!("SELECT t::text FROM \"{table}\" t"))
            .fetch_all(&mut conn)
            .await
            .expect("rows")
            .iter()
            .map(|r| r.get::<String, _>(0).to_lowercase())
            .collect();
        out.push((table, rows));
    }
    let _ = conn.close().await;
    out
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Some(pg) = self.postgres.take() {
            let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", pg.name);
            let result = std::panic::catch_unwind(|| {
                block_on_thread(async move {
                    use sqlx::Connection;
                    let mut conn = sqlx::PgConnection::connect(&pg.admin_url).await?;
                    sqlx::query(&sql).execute(&mut conn).await?;
                    conn.close().await
                })
            });
            match result {
                Ok(Ok(())) => {}
                Ok(Err(e)) => eprintln!("warning: could not drop a test database: {e}"),
                Err(_) => eprintln!("warning: could not drop a test database"),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Servers

/// Where the server's mail goes.
#[derive(Clone, Debug)]
pub enum Mail {
    /// `--mail-outbox DIR`: one .eml file per mail.
    Outbox(PathBuf),
    /// `--smtp-host 127.0.0.1 --smtp-port PORT --smtp-security none` (e.g. an SmtpSink).
    Smtp(u16),
}

/// The sender the servers on an SMTP sink are given (`--mail-from`).
pub const MAIL_FROM: &str = "Urna <val@example.edu>";

/// How to start `urna serve`.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    pub database_url: String,
    /// None: an `outbox` directory in the server's working directory.
    pub mail: Option<Mail>,
    /// `--public-url`; None leaves the default (`http://` + the bound address).
    pub public_url: Option<String>,
    /// More arguments for `urna serve`.
    pub extra_args: Vec<String>,
    /// More environment variables.
    pub env: Vec<(String, String)>,
    /// The admin password (URNA_ADMIN_PASSWORD); random when None.
    pub admin_password: Option<String>,
    /// Print the server log's tail on drop even when the test passed.
    pub always_print_log: bool,
    /// `--cast-rate-limit` and `--login-rate-limit` (per minute and client address); off (0)
    /// unless a test is about them.
    pub rate_limits: (u32, u32),
    /// RLIMIT_FSIZE for the server process, in bytes: no file it writes may grow past this
    /// (a full disk, as far as the process can tell), with SIGXFSZ ignored so a write past it
    /// fails with EFBIG instead of killing the process. None: no limit.
    pub file_size_limit: Option<u64>,
}

impl ServerOptions {
    pub fn new(db: &Database) -> Self {
        Self {
            database_url: db.url().to_owned(),
            mail: None,
            public_url: None,
            extra_args: Vec::new(),
            env: Vec::new(),
            admin_password: None,
            always_print_log: std::env::var("URNA_TEST_SERVER_LOG").is_ok(),
            rate_limits: (0, 0),
            file_size_limit: None,
        }
    }

    /// See [`ServerOptions::file_size_limit`].
    pub fn file_size_limit(mut self, bytes: Option<u64>) -> Self {
        self.file_size_limit = bytes;
        self
    }

    /// Turns the rate limits on: ballots and logins per minute per client address.
    pub fn rate_limits(mut self, cast_per_minute: u32, login_per_minute: u32) -> Self {
        self.rate_limits = (cast_per_minute, login_per_minute);
        self
    }

    pub fn smtp(mut self, port: u16) -> Self {
        self.mail = Some(Mail::Smtp(port));
        self
    }

    pub fn outbox(mut self, dir: &Path) -> Self {
        self.mail = Some(Mail::Outbox(dir.to_owned()));
        self
    }

    pub fn public_url(mut self, url: &str) -> Self {
        self.public_url = Some(url.to_owned());
        self
    }

    pub fn admin_password(mut self, password: &str) -> Self {
        self.admin_password = Some(password.to_owned());
        self
    }
}

/// A running `urna serve`. Killed (SIGKILL) on drop; its log's tail is printed when the test
/// is failing (or always, with URNA_TEST_SERVER_LOG set).
#[derive(Debug)]
pub struct Server {
    opts: ServerOptions,
    child: Option<Child>,
    addr: String,
    admin_password: String,
    outbox: PathBuf,
    log_path: PathBuf,
    workdir: tempfile::TempDir,
    starts: u32,
}

/// How long `urna serve` may take to print its address.
const START_TIMEOUT: Duration = Duration::from_secs(60);

impl Server {
    /// Starts `urna serve --listen 127.0.0.1:0 …` and waits for `listening on http://ADDR`.
    pub fn start(opts: ServerOptions) -> Self {
        let workdir = tempfile::Builder::new()
            .prefix("urna-serve-")
            .tempdir()
            .expect("temporary directory");
        let outbox = match &opts.mail {
            Some(Mail::Outbox(dir)) => dir.clone(),
            _ => workdir.path().join("outbox"),
        };
        let admin_password = opts
            .admin_password
            .clone()
            .unwrap_or_else(|| format!("test-{}", random_string(24)));
        let log_path = workdir.path().join("server.log");
        let mut server = Self {
            opts,
            child: None,
            addr: String::new(),
            admin_password,
            outbox,
            log_path,
            workdir,
            starts: 0,
        };
        server.spawn("127.0.0.1:0");
        server
    }

    /// Changes the options of the next [`Server::restart`].
    pub fn options_mut(&mut self) -> &mut ServerOptions {
        &mut self.opts
    }

    fn spawn(&mut self, listen: &str) {
        let mut cmd = match self.opts.file_size_limit {
            None => Command::new(urna_bin()),
            // The workspace forbids unsafe code, so no `pre_exec` + setrlimit here: a shell
            // ignores SIGXFSZ (an ignored signal stays ignored across exec) and util-linux's
            // prlimit sets the limit, then both exec `urna` in place (same pid).
            Some(bytes) => {
                let mut cmd = Command::new("sh");
                cmd.arg("-c")
                    .arg(format!(
                        r#"trap '' XFSZ; exec prlimit --fsize={bytes}:{bytes} -- "$0" "$@""#
                    ))
                    .arg(urna_bin());
                cmd
            }
        };
        cmd.arg("serve")
            .args(["--listen", listen])
            .args(["--database-url", &self.opts.database_url])
            .args(["--cast-rate-limit", &self.opts.rate_limits.0.to_string()])
            .args(["--login-rate-limit", &self.opts.rate_limits.1.to_string()]);
        if let Some(url) = &self.opts.public_url {
            cmd.args(["--public-url", url]);
        }
        match &self.opts.mail {
            Some(Mail::Smtp(port)) => {
                cmd.args(["--smtp-host", "127.0.0.1", "--smtp-port", &port.to_string()])
                    .args(["--smtp-security", "none"])
                    .args(["--mail-from", MAIL_FROM]);
            }
            Some(Mail::Outbox(_)) | None => {
                cmd.arg("--mail-outbox").arg(&self.outbox);
            }
        }
        cmd.args(&self.opts.extra_args);
        // Nothing from the test's own environment may change the server's settings.
        for (key, _) in std::env::vars() {
            if key.starts_with("URNA_") || key == "DATABASE_URL" {
                cmd.env_remove(&key);
            }
        }
        cmd.env("URNA_ADMIN_USER", "admin")
            .env("URNA_ADMIN_PASSWORD", &self.admin_password)
            .env("URNA_LOG", "info,sqlx=warn");
        for (k, v) in &self.opts.env {
            cmd.env(k, v);
        }
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)
            .expect("server log");
        self.starts += 1;
        writeln!(&log, "===== start {} (listen {listen})", self.starts).ok();
        cmd.current_dir(self.workdir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log.try_clone().expect("log")));
        let mut child = cmd.spawn().expect("spawning urna serve");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut log = log;
            let mut tx = Some(tx);
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                writeln!(log, "[stdout] {line}").ok();
                if let Some(addr) = line.trim().strip_prefix("listening on http://") {
                    if let Some(tx) = tx.take() {
                        let _ = tx.send(addr.trim().to_owned());
                    }
                }
            }
        });
        let deadline = Instant::now() + START_TIMEOUT;
        let addr = loop {
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(addr) => break addr,
                Err(mpsc::RecvTimeoutError::Timeout) if Instant::now() < deadline => {
                    if let Ok(Some(status)) = child.try_wait() {
                        self.child = None;
                        panic!(
                            "urna serve exited with {status} before listening\n{}",
                            self.log_tail(60)
                        );
                    }
                }
                Err(_) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!(
                        "urna serve did not say where it listens\n{}",
                        self.log_tail(60)
                    );
                }
            }
        };
        self.addr = addr;
        self.child = Some(child);
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `127.0.0.1:PORT`.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// The base of the links in mails: `--public-url`, or the server's own URL.
    pub fn public_url(&self) -> String {
        self.opts
            .public_url
            .clone()
            .unwrap_or_else(|| self.url())
            .trim_end_matches('/')
            .to_owned()
    }

    /// The admin account's password (user `admin`).
    pub fn admin_password(&self) -> &str {
        &self.admin_password
    }

    pub fn database_url(&self) -> &str {
        &self.opts.database_url
    }

    /// The `--mail-outbox` directory (unused with SMTP).
    pub fn outbox(&self) -> &Path {
        &self.outbox
    }

    /// The server's working directory.
    pub fn workdir(&self) -> &Path {
        self.workdir.path()
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut() {
            Some(c) => matches!(c.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// SIGKILL: no chance to finish anything.
    pub fn kill_9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM, then waits for the graceful shutdown; returns whether it exited successfully.
    pub fn stop(&mut self) -> bool {
        let Some(mut child) = self.child.take() else {
            return false;
        };
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("kill -TERM");
        assert!(status.success(), "kill -TERM failed");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match child.try_wait() {
                Ok(Some(status)) => return status.success(),
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50))
                }
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!(
                        "urna serve did not stop within 30 s of SIGTERM\n{}",
                        self.log_tail(40)
                    );
                }
            }
        }
    }

    /// Starts the server again on the same database, options and address (kills it first if
    /// it still runs).
    pub fn restart(&mut self) {
        self.kill_9();
        let listen = self.addr.clone();
        // The port is free once the old process is gone; allow for a slow release.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if std::net::TcpListener::bind(&listen).is_ok() || Instant::now() > deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        self.spawn(&listen);
    }

    /// The last `lines` lines of the server's log (stderr and stdout).
    pub fn log_tail(&self, lines: usize) -> String {
        let mut text = String::new();
        if let Ok(mut f) = std::fs::File::open(&self.log_path) {
            let len = f.metadata().map(|m| m.len()).unwrap_or(0);
            let _ = f.seek(SeekFrom::Start(len.saturating_sub(256 * 1024)));
            let _ = f.read_to_string(&mut text);
        }
        let all: Vec<&str> = text.lines().collect();
        let tail = &all[all.len().saturating_sub(lines)..];
        format!(
            "--- server log ({}), last {} lines:\n{}",
            self.log_path.display(),
            tail.len(),
            tail.join("\n")
        )
    }

    /// The whole log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// Whether `/healthz` answers `ok`.
    pub fn healthy(&self) -> bool {
        http::blocking_get(&format!("{}/healthz", self.url()))
            .map(|(status, body)| status == 200 && body.trim() == "ok")
            .unwrap_or(false)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill_9();
        if std::thread::panicking() || self.opts.always_print_log {
            eprintln!("{}", self.log_tail(80));
        }
    }
}

/// Polls `check` every 50 ms until it returns Some, or panics after `timeout` with `what`.
pub fn wait_until<T>(timeout: Duration, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = check() {
            return v;
        }
        if Instant::now() > deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The async twin of [`wait_until`].
pub async fn wait_until_async<T, F, Fut>(timeout: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        if Instant::now() > deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Records

/// Whether this `urna` has the `record` subcommand (written concurrently with these tests).
pub fn urna_has_record() -> bool {
    static HAS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *HAS.get_or_init(|| {
        let help = run_urna(["--help"]);
        String::from_utf8_lossy(&help.stdout)
            .lines()
            .any(|l| l.trim_start().starts_with("record "))
    })
}

/// Downloads election `id`'s record from the server at `base` into the new directory `out`:
/// with `urna record --server … --election … --out …` when the binary has it, else by
/// streaming `board.jsonl` and writing `format.txt`. Blocking (run it off the runtime's
/// workers with [`download_record_async`]).
pub fn download_record(base: &str, id: &str, out: &Path) {
    if urna_has_record() {
        urna_ok([
            "record",
            "--server",
            base,
            "--election",
            id,
            "--out",
            p(out),
        ]);
        assert!(
            out.join("board.jsonl").is_file(),
            "urna record wrote no board.jsonl"
        );
        return;
    }
    std::fs::create_dir_all(out).expect("record directory");
    let url = format!(
        "{}{}/elections/{id}/board.jsonl",
        base.trim_end_matches('/'),
        urna_api::API_PREFIX
    );
    let board = block_on_thread(async move {
        let resp = reqwest::get(&url).await.expect("GET board.jsonl");
        assert_eq!(resp.status().as_u16(), 200, "GET {url}");
        resp.bytes().await.expect("board.jsonl body")
    });
    std::fs::write(out.join("board.jsonl"), &board).expect("write board.jsonl");
    std::fs::write(out.join("format.txt"), "urna-record/v1\n").expect("write format.txt");
}

/// [`download_record`] on a blocking thread.
pub async fn download_record_async(base: &str, id: &str, out: &Path) {
    let (base, id, out) = (base.to_owned(), id.to_owned(), out.to_owned());
    tokio::task::spawn_blocking(move || download_record(&base, &id, &out))
        .await
        .expect("download_record panicked");
}

/// `urna verify [--partial] DIR`, on a blocking thread; returns the finished command.
pub async fn verify_record(dir: &Path, partial: bool) -> Output {
    let dir = dir.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut args = vec!["verify".to_owned()];
        if partial {
            args.push("--partial".to_owned());
        }
        args.push(p(&dir).to_owned());
        run_urna(&args)
    })
    .await
    .expect("urna verify panicked")
}

/// Asserts that `urna verify [--partial] DIR` exits 0.
pub async fn assert_verifies(dir: &Path, partial: bool) {
    let output = verify_record(dir, partial).await;
    assert!(
        output.status.success(),
        "urna verify{} {} failed\n{}",
        if partial { " --partial" } else { "" },
        dir.display(),
        describe(&output)
    );
}
