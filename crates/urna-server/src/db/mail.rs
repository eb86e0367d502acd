//! The invitation queue. A row holds a voter's address and secret link only until the SMTP
//! server accepts the mail; then it is deleted and the roll line is marked invited.

use sqlx::Row;

use super::{now, u64_of, Db, ElectionTx};

/// A mail to queue.
pub struct NewMail {
    pub roll_line: Option<i64>,
    pub recipient: String,
    pub recipient_name: String,
    pub subject: String,
    pub body: String,
}

/// A queued mail, claimed for sending.
#[derive(Clone)]
pub struct MailRow {
    pub id: i64,
    pub election_id: String,
    pub roll_line: Option<i64>,
    pub recipient: String,
    pub recipient_name: String,
    pub subject: String,
    pub body: String,
    pub attempts: u32,
}

impl core::fmt::Debug for NewMail {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // The body holds a credential secret; the recipient is a voter's identity.
        f.debug_struct("NewMail")
            .field("roll_line", &self.roll_line)
            .finish_non_exhaustive()
    }
}

impl Drop for NewMail {
    /// The body holds the voter's link with its credential secret (spec/secrets.md, F2).
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.body);
    }
}

impl Drop for MailRow {
    /// As [`NewMail`]: the claimed body holds the secret link until the mail is sent (F3).
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.body);
    }
}

impl core::fmt::Debug for MailRow {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // The body holds a credential secret.
        f.debug_struct("MailRow")
            .field("id", &self.id)
            .field("election_id", &self.election_id)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

impl ElectionTx {
    /// Queues invitations in the election's transaction (sent from the approval on).
    pub async fn queue_mails(&mut self, mails: &[NewMail]) -> anyhow::Result<()> {
        for m in mails {
            sqlx::query(
                "INSERT INTO mail_queue (election_id, roll_line, recipient, recipient_name, \
                 subject, body, next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(self.row.id.as_str())
            .bind(m.roll_line)
            .bind(m.recipient.as_str())
            .bind(m.recipient_name.as_str())
            .bind(m.subject.as_str())
            .bind(m.body.as_str())
            .bind(0_i64)
            .execute(&mut *self.tx)
            .await?;
        }
        Ok(())
    }

    /// Lets the orderer's request (queued at creation, held back) go out: the election is
    /// sealed and can be reviewed.
    pub async fn release_orderer_mail(&mut self) -> anyhow::Result<()> {
        sqlx::query(
            "UPDATE mail_queue SET next_attempt_at = 0 WHERE election_id = $1 AND roll_line IS NULL",
        )
        .bind(self.row.id.as_str())
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Drops every unsent invitation (voting closed, or the election was rejected): their
    /// links are of no use any more and must not linger.
    pub async fn delete_queued_mails(&mut self) -> anyhow::Result<()> {
        sqlx::query("DELETE FROM mail_queue WHERE election_id = $1 AND roll_line IS NOT NULL")
            .bind(self.row.id.as_str())
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }
}

impl Db {
    /// Queues the orderer's request at creation, held until the seal releases it.
    pub async fn queue_orderer_mail(&self, election: &str, mail: &NewMail) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO mail_queue (election_id, roll_line, recipient, recipient_name, subject, \
             body, next_attempt_at) VALUES ($1, NULL, $2, $3, $4, $5, $6)",
        )
        .bind(election)
        .bind(mail.recipient.as_str())
        .bind(mail.recipient_name.as_str())
        .bind(mail.subject.as_str())
        .bind(mail.body.as_str())
        .bind(i64::MAX)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Claims up to `limit` due mails for `lease` seconds: invitations of approved elections
    /// that are not closed, and released orderer requests. Safe across processes: a mail is
    /// claimed by one conditional update.
    pub async fn claim_mails(&self, limit: i64, lease: i64) -> anyhow::Result<Vec<MailRow>> {
        let t = now();
        let rows = sqlx::query(
            "SELECT q.id FROM mail_queue q JOIN elections e ON e.id = q.election_id \
             WHERE q.failed = 0 AND q.next_attempt_at <= $1 AND q.claimed_until <= $1 \
             AND (q.roll_line IS NULL OR e.state IN ('scheduled', 'open')) ORDER BY q.id LIMIT $2",
        )
        .bind(t)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut claimed = Vec::new();
        for r in rows {
            let id: i64 = r.try_get("id")?;
            let done = sqlx::query(
                "UPDATE mail_queue SET claimed_until = $2 WHERE id = $1 AND claimed_until <= $3",
            )
            .bind(id)
            .bind(t + lease)
            .bind(t)
            .execute(&self.pool)
            .await?;
            if done.rows_affected() != 1 {
                continue;
            }
            let row = sqlx::query(
                "SELECT id, election_id, roll_line, recipient, recipient_name, subject, body, \
                 attempts FROM mail_queue WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
            if let Some(r) = row {
                claimed.push(MailRow {
                    id: r.try_get("id")?,
                    election_id: r.try_get("election_id")?,
                    roll_line: r.try_get("roll_line")?,
                    recipient: r.try_get("recipient")?,
                    recipient_name: r.try_get("recipient_name")?,
                    subject: r.try_get("subject")?,
                    body: r.try_get("body")?,
                    attempts: u32::try_from(r.try_get::<i64, _>("attempts")?).unwrap_or(u32::MAX),
                });
            }
        }
        Ok(claimed)
    }

    /// The SMTP server took the mail: forget the address–link pair, keep "invited".
    pub async fn mail_sent(&self, mail: &MailRow) -> anyhow::Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM mail_queue WHERE id = $1")
            .bind(mail.id)
            .execute(&mut *tx)
            .await?;
        if let Some(line) = mail.roll_line {
            sqlx::query("UPDATE roll SET invited = 1 WHERE election_id = $1 AND line = $2")
                .bind(mail.election_id.as_str())
                .bind(line)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A failed attempt: retry at `retry_at`, or give up (`give_up`).
    pub async fn mail_attempt_failed(
        &self,
        mail: &MailRow,
        error: &str,
        retry_at: i64,
        give_up: bool,
    ) -> anyhow::Result<()> {
        sqlx::query(
            "UPDATE mail_queue SET attempts = attempts + 1, next_attempt_at = $2, claimed_until = 0, \
             failed = $3, last_error = $4 WHERE id = $1",
        )
        .bind(mail.id)
        .bind(retry_at)
        .bind(i64::from(give_up))
        .bind(error)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// (queued invitations, failed: (recipient, attempts, error)) of an election.
    pub async fn mail_status(
        &self,
        election: &str,
    ) -> anyhow::Result<(u64, Vec<(String, u32, String)>)> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM mail_queue WHERE election_id = $1 AND failed = 0 \
             AND roll_line IS NOT NULL",
        )
        .bind(election)
        .fetch_one(&self.pool)
        .await?;
        let queued = u64_of(row.try_get("n")?);
        let rows = sqlx::query(
            "SELECT recipient, attempts, last_error FROM mail_queue WHERE election_id = $1 \
             AND failed = 1 ORDER BY id",
        )
        .bind(election)
        .fetch_all(&self.pool)
        .await?;
        let failed = rows
            .iter()
            .map(|r| {
                Ok((
                    r.try_get("recipient")?,
                    u32::try_from(r.try_get::<i64, _>("attempts")?).unwrap_or(u32::MAX),
                    r.try_get::<Option<String>, _>("last_error")?
                        .unwrap_or_default(),
                ))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok((queued, failed))
    }

    /// The queued invitations of an election that failed at least once and wait for their
    /// next attempt: (how many, the error of the one to be retried last, the earliest next
    /// attempt in Unix seconds). What an admin needs to see while the SMTP server is down.
    pub async fn mail_retrying(
        &self,
        election: &str,
    ) -> anyhow::Result<(u64, Option<String>, Option<i64>)> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n, MIN(next_attempt_at) AS next FROM mail_queue \
             WHERE election_id = $1 AND failed = 0 AND roll_line IS NOT NULL AND attempts > 0",
        )
        .bind(election)
        .fetch_one(&self.pool)
        .await?;
        let retrying = u64_of(row.try_get("n")?);
        let next: Option<i64> = row.try_get("next")?;
        let last = sqlx::query(
            "SELECT last_error FROM mail_queue WHERE election_id = $1 AND failed = 0 \
             AND roll_line IS NOT NULL AND attempts > 0 ORDER BY next_attempt_at DESC, id DESC \
             LIMIT 1",
        )
        .bind(election)
        .fetch_optional(&self.pool)
        .await?;
        let last_error = match last {
            Some(r) => r.try_get::<Option<String>, _>("last_error")?,
            None => None,
        };
        Ok((retrying, last_error, next))
    }

    /// Mails waiting in all elections (for /metrics).
    pub async fn mail_queue_length(&self) -> anyhow::Result<u64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM mail_queue WHERE failed = 0")
            .fetch_one(&self.pool)
            .await?;
        Ok(u64_of(row.try_get("n")?))
    }

    /// Puts an election's failed mails back in the queue.
    pub async fn retry_failed_mails(&self, election: &str) -> anyhow::Result<()> {
        sqlx::query(
            "UPDATE mail_queue SET failed = 0, attempts = 0, next_attempt_at = 0, claimed_until = 0 \
             WHERE election_id = $1 AND failed = 1",
        )
        .bind(election)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
