//! Admin accounts and sessions.

use sqlx::Row;

use super::{now, u64_of, Db};

/// A live admin session.
#[derive(Clone, Debug)]
pub struct SessionRow {
    pub admin_id: i64,
    pub username: String,
}

impl Db {
    /// (id, argon2 hash) of an admin.
    pub async fn admin(&self, username: &str) -> anyhow::Result<Option<(i64, String)>> {
        let row = sqlx::query("SELECT id, password_hash FROM admins WHERE username = $1")
            .bind(username)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok((r.try_get("id")?, r.try_get("password_hash")?)))
            .transpose()
    }

    /// Number of admin accounts.
    pub async fn admin_count(&self) -> anyhow::Result<u64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM admins")
            .fetch_one(&self.pool)
            .await?;
        Ok(u64_of(row.try_get("n")?))
    }

    /// Creates an admin; false if the name is taken.
    pub async fn create_admin(&self, username: &str, password_hash: &str) -> anyhow::Result<bool> {
        let done = sqlx::query(
            "INSERT INTO admins (username, password_hash, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (username) DO NOTHING",
        )
        .bind(username)
        .bind(password_hash)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Sets an existing admin's password and ends their sessions.
    pub async fn set_admin_password(
        &self,
        username: &str,
        password_hash: &str,
    ) -> anyhow::Result<bool> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query("UPDATE admins SET password_hash = $2 WHERE username = $1")
            .bind(username)
            .bind(password_hash)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "DELETE FROM sessions WHERE admin_id IN (SELECT id FROM admins WHERE username = $1)",
        )
        .bind(username)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Stores a session (only the token's hash; its CSRF token derives from the token) and
    /// drops expired ones.
    pub async fn create_session(
        &self,
        token_hash: &[u8],
        admin_id: i64,
        expires_at: i64,
    ) -> anyhow::Result<()> {
        sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
            .bind(now())
            .execute(&self.pool)
            .await?;
        sqlx::query("INSERT INTO sessions (token_hash, admin_id, expires_at) VALUES ($1, $2, $3)")
            .bind(token_hash.to_vec())
            .bind(admin_id)
            .bind(expires_at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The live session of a token hash.
    pub async fn session(&self, token_hash: &[u8]) -> anyhow::Result<Option<SessionRow>> {
        let row = sqlx::query(
            "SELECT s.admin_id, a.username FROM sessions s \
             JOIN admins a ON a.id = s.admin_id WHERE s.token_hash = $1 AND s.expires_at > $2",
        )
        .bind(token_hash.to_vec())
        .bind(now())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(SessionRow {
                admin_id: r.try_get("admin_id")?,
                username: r.try_get("username")?,
            })
        })
        .transpose()
    }

    /// Ends a session.
    pub async fn delete_session(&self, token_hash: &[u8]) -> anyhow::Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash.to_vec())
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{random_token, token_hash};

    /// A board made by schema 1 (the CSRF token in `sessions`) is brought to schema 2 when the
    /// new server opens it: the column is gone and a session from before still logs in (its
    /// CSRF token is now derived from its token).
    #[tokio::test]
    async fn a_schema_one_board_upgrades_and_its_sessions_live_on() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let first = dir.path().join("schema-1");
        std::fs::create_dir(&first)?;
        std::fs::write(
            first.join("0001_initial.sql"),
            include_str!("../../migrations/sqlite/0001_initial.sql"),
        )?;
        let url = format!("sqlite:{}?mode=rwc", dir.path().join("board.db").display());
        sqlx::any::install_default_drivers();
        let token = random_token();
        {
            let pool = sqlx::AnyPool::connect(&url).await?;
            sqlx::migrate::Migrator::new(first.as_path())
                .await?
                .run(&pool)
                .await?;
            sqlx::query(
                "INSERT INTO admins (id, username, password_hash, created_at) \
                 VALUES (7, 'it-staff', 'x', 0)",
            )
            .execute(&pool)
            .await?;
            sqlx::query(
                "INSERT INTO sessions (token_hash, admin_id, csrf_token, expires_at) \
                 VALUES ($1, 7, 'stored-in-clear', $2)",
            )
            .bind(token_hash(&token))
            .bind(now() + 3600)
            .execute(&pool)
            .await?;
            pool.close().await;
        }

        let db = Db::connect(&url).await?;
        let columns: Vec<String> = sqlx::query("SELECT name FROM pragma_table_info('sessions')")
            .fetch_all(&db.pool)
            .await?
            .iter()
            .map(|r| r.try_get("name"))
            .collect::<Result<_, _>>()?;
        assert_eq!(columns, ["token_hash", "admin_id", "expires_at"]);
        let session = db.session(&token_hash(&token)).await?;
        let session = session.ok_or_else(|| anyhow::anyhow!("the old session is gone"))?;
        assert_eq!(
            (session.admin_id, session.username.as_str()),
            (7, "it-staff")
        );
        Ok(())
    }
}
