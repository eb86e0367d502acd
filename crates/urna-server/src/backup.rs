//! `urna backup` and `urna restore` for SQLite. A backup is `VACUUM INTO`: a consistent
//! snapshot taken inside one read transaction while the server keeps serving. PostgreSQL
//! deployments use `pg_dump` (README, "Backups").

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use sqlx::{Connection, Row};

/// The file path of a `sqlite://PATH` URL.
pub fn sqlite_path(url: &str) -> anyhow::Result<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .context(
            "backup and restore handle SQLite databases (sqlite://PATH); use pg_dump for PostgreSQL",
        )?;
    let path = rest.split('?').next().unwrap_or(rest);
    if path.is_empty() || path == ":memory:" {
        bail!("no database file in {url}");
    }
    Ok(PathBuf::from(path))
}

async fn open(path: &Path, read_only: bool) -> anyhow::Result<sqlx::AnyConnection> {
    sqlx::any::install_default_drivers();
    if !path.exists() {
        bail!("{} does not exist", path.display());
    }
    let mode = if read_only { "ro" } else { "rw" };
    let url = format!("sqlite://{}?mode={mode}", path.display());
    sqlx::AnyConnection::connect(&url)
        .await
        .with_context(|| format!("cannot open {}", path.display()))
}

/// Checks a database file is intact and is an Urna database; returns its number of elections.
pub async fn check(path: &Path) -> anyhow::Result<u64> {
    let mut conn = open(path, true).await?;
    let verdict: String = sqlx::query("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .with_context(|| format!("{} is not a database", path.display()))?
        .try_get(0)?;
    if verdict != "ok" {
        bail!("{} is damaged: {verdict}", path.display());
    }
    let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM elections")
        .fetch_one(&mut conn)
        .await
        .with_context(|| format!("{} is not an Urna database", path.display()))?
        .try_get("n")?;
    conn.close().await?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Writes a consistent copy of the live database at `url` to `out` (which must not exist);
/// returns the number of elections in the copy.
pub async fn backup(url: &str, out: &Path) -> anyhow::Result<u64> {
    let source = sqlite_path(url)?;
    if out.exists() {
        bail!("{} exists already; choose a new file", out.display());
    }
    let target = out
        .to_str()
        .context("the backup path must be valid UTF-8")?
        .replace('\'', "''");
    let mut conn = open(&source, false).await?;
    sqlx::query("PRAGMA busy_timeout = 30000")
        .execute(&mut conn)
        .await?;
    sqlx::query(&format!("VACUUM INTO '{target}'"))
        .execute(&mut conn)
        .await
        .context("the backup failed")?;
    conn.close().await?;
    check(out).await
}

/// Puts a backup in place of the database at `url` (the server must be stopped).
pub async fn restore(from: &Path, url: &str, force: bool) -> anyhow::Result<u64> {
    let target = sqlite_path(url)?;
    let elections = check(from).await?;
    if target.exists() && !force {
        bail!(
            "{} exists; stop the server and pass --force to replace it",
            target.display()
        );
    }
    let tmp = target.with_extension("restoring");
    std::fs::copy(from, &tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::File::open(&tmp)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("cannot sync {}", tmp.display()))?;
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", target.display()));
        if side.exists() {
            std::fs::remove_file(&side)
                .with_context(|| format!("cannot remove {}", side.display()))?;
        }
    }
    std::fs::rename(&tmp, &target)
        .with_context(|| format!("cannot replace {}", target.display()))?;
    Ok(elections)
}
