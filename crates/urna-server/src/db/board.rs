//! Board reads, ballots, votes and the running tally.

use anyhow::Context;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use urna_crypto::{Ciphertext, CiphertextBytes, Digest32, PointBytes};
use urna_election::board::BoardEntry;

use super::{digest, u64_of, Db, ElectionTx};

fn entry(row: &AnyRow) -> anyhow::Result<BoardEntry> {
    let seq = u64_of(row.try_get("seq")?);
    let hash = digest(&row.try_get::<Vec<u8>, _>("hash")?)?;
    let prev = match row.try_get::<Option<Vec<u8>>, _>("prev")? {
        Some(bytes) => digest(&bytes)?,
        None => urna_election::board::GENESIS,
    };
    Ok(BoardEntry {
        seq,
        prev,
        kind: row.try_get("kind")?,
        payload: row.try_get("payload")?,
        hash,
    })
}

// `prev` is the previous row's hash: a self-join keeps the table free of redundant columns.
const ENTRY_SELECT: &str = "SELECT b.seq, b.kind, b.payload, b.hash, p.hash AS prev FROM board b \
    LEFT JOIN board p ON p.election_id = b.election_id AND p.seq = b.seq - 1";

pub(super) async fn entries_of_kind(
    conn: &mut AnyConnection,
    election: &str,
    kind: &str,
) -> anyhow::Result<Vec<BoardEntry>> {
    let rows = sqlx::query(&format!(
        "{ENTRY_SELECT} WHERE b.election_id = $1 AND b.kind = $2 ORDER BY b.seq"
    ))
    .bind(election)
    .bind(kind)
    .fetch_all(conn)
    .await?;
    rows.iter().map(entry).collect()
}

/// Decodes a stored sum blob (64-byte ciphertexts) into `count` ciphertexts.
pub fn decode_sums(blob: &[u8], count: usize) -> anyhow::Result<Vec<Ciphertext>> {
    if blob.len() != count * 64 {
        anyhow::bail!("a stored tally has the wrong length");
    }
    blob.chunks_exact(64)
        .map(|c| {
            let bytes: [u8; 64] = c.try_into().context("tally chunk")?;
            Ciphertext::from_bytes(&CiphertextBytes(bytes)).context("a stored tally is not valid")
        })
        .collect()
}

/// Encodes ciphertexts for storage.
pub fn encode_sums(sums: &[Ciphertext]) -> Vec<u8> {
    sums.iter().flat_map(|c| c.to_bytes().0).collect()
}

impl Db {
    /// Up to `limit` entries from `from` on.
    pub async fn board_page(
        &self,
        election: &str,
        from: u64,
        limit: u64,
    ) -> anyhow::Result<Vec<BoardEntry>> {
        let rows = sqlx::query(&format!(
            "{ENTRY_SELECT} WHERE b.election_id = $1 AND b.seq >= $2 ORDER BY b.seq LIMIT $3"
        ))
        .bind(election)
        .bind(i64::try_from(from)?)
        .bind(i64::try_from(limit)?)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(entry).collect()
    }

    /// Entries of one kind.
    pub async fn board_entries_of_kind(
        &self,
        election: &str,
        kind: &str,
    ) -> anyhow::Result<Vec<BoardEntry>> {
        let mut conn = self.pool.acquire().await?;
        entries_of_kind(&mut conn, election, kind).await
    }

    /// Where a tracking code is: (seq, entry hash, still counted).
    pub async fn lookup_ballot(
        &self,
        election: &str,
        code: &str,
    ) -> anyhow::Result<Option<(u64, Digest32, bool)>> {
        let row = sqlx::query(
            "SELECT b.seq, e.hash, (SELECT COUNT(*) FROM votes v WHERE v.election_id = b.election_id \
             AND v.seq = b.seq) AS counted FROM ballots b JOIN board e ON e.election_id = b.election_id \
             AND e.seq = b.seq WHERE b.election_id = $1 AND b.tracking_code = $2",
        )
        .bind(election)
        .bind(code)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some((
            u64_of(row.try_get("seq")?),
            digest(&row.try_get::<Vec<u8>, _>("hash")?)?,
            row.try_get::<i64, _>("counted")? > 0,
        )))
    }
}

/// What recording a vote did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VoteOutcome {
    First,
    /// Replaced the ballot at this seq (last-counts).
    Replaced(u64),
    AlreadyVoted,
}

impl ElectionTx {
    /// Records `credential`'s ballot at `seq`: refused if it voted before, unless `replace`
    /// (last-counts), which returns the replaced ballot's seq. One row per credential and
    /// election, written under the election's lock, is what makes a double vote impossible
    /// whatever the number of server processes.
    pub async fn record_vote(
        &mut self,
        credential: &PointBytes,
        seq: u64,
        weight: u64,
        replace: bool,
    ) -> anyhow::Result<VoteOutcome> {
        let previous =
            sqlx::query("SELECT seq FROM votes WHERE election_id = $1 AND credential = $2")
                .bind(self.row.id.as_str())
                .bind(credential.0.to_vec())
                .fetch_optional(&mut *self.tx)
                .await?;
        match previous {
            Some(_) if !replace => Ok(VoteOutcome::AlreadyVoted),
            Some(row) => {
                let old = u64_of(row.try_get("seq")?);
                sqlx::query("UPDATE votes SET seq = $3 WHERE election_id = $1 AND credential = $2")
                    .bind(self.row.id.as_str())
                    .bind(credential.0.to_vec())
                    .bind(i64::try_from(seq)?)
                    .execute(&mut *self.tx)
                    .await?;
                Ok(VoteOutcome::Replaced(old))
            }
            None => {
                sqlx::query(
                    "INSERT INTO votes (election_id, credential, seq, weight) VALUES ($1, $2, $3, $4)",
                )
                .bind(self.row.id.as_str())
                .bind(credential.0.to_vec())
                .bind(i64::try_from(seq)?)
                .bind(i64::try_from(weight)?)
                .execute(&mut *self.tx)
                .await?;
                Ok(VoteOutcome::First)
            }
        }
    }

    /// Whether a tracking code is already on the board.
    pub async fn has_tracking_code(&mut self, code: &str) -> anyhow::Result<bool> {
        let row =
            sqlx::query("SELECT 1 FROM ballots WHERE election_id = $1 AND tracking_code = $2")
                .bind(self.row.id.as_str())
                .bind(code)
                .fetch_optional(&mut *self.tx)
                .await?;
        Ok(row.is_some())
    }

    /// Indexes a cast ballot by tracking code.
    pub async fn insert_tracking_code(&mut self, code: &str, seq: u64) -> anyhow::Result<()> {
        sqlx::query("INSERT INTO ballots (election_id, tracking_code, seq) VALUES ($1, $2, $3)")
            .bind(self.row.id.as_str())
            .bind(code)
            .bind(i64::try_from(seq)?)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// The payload of entry `seq`.
    pub async fn payload(&mut self, seq: u64) -> anyhow::Result<String> {
        let row = sqlx::query("SELECT payload FROM board WHERE election_id = $1 AND seq = $2")
            .bind(self.row.id.as_str())
            .bind(i64::try_from(seq)?)
            .fetch_one(&mut *self.tx)
            .await?;
        Ok(row.try_get("payload")?)
    }

    /// Adds `delta` (subtractions included) to the weight class's running sums.
    pub async fn add_to_tally(&mut self, weight: u64, delta: &[Ciphertext]) -> anyhow::Result<()> {
        let row = sqlx::query("SELECT sums FROM tally WHERE election_id = $1 AND weight = $2")
            .bind(self.row.id.as_str())
            .bind(i64::try_from(weight)?)
            .fetch_optional(&mut *self.tx)
            .await?;
        match row {
            Some(row) => {
                let blob: Vec<u8> = row.try_get("sums")?;
                let mut sums = decode_sums(&blob, delta.len())?;
                for (s, d) in sums.iter_mut().zip(delta) {
                    *s += d;
                }
                sqlx::query("UPDATE tally SET sums = $3 WHERE election_id = $1 AND weight = $2")
                    .bind(self.row.id.as_str())
                    .bind(i64::try_from(weight)?)
                    .bind(encode_sums(&sums))
                    .execute(&mut *self.tx)
                    .await?;
            }
            None => {
                sqlx::query("INSERT INTO tally (election_id, weight, sums) VALUES ($1, $2, $3)")
                    .bind(self.row.id.as_str())
                    .bind(i64::try_from(weight)?)
                    .bind(encode_sums(delta))
                    .execute(&mut *self.tx)
                    .await?;
            }
        }
        Ok(())
    }

    /// Counted ballots and their weight, inside the lock.
    pub async fn vote_counts(&mut self) -> anyhow::Result<(u64, u64)> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(weight), 0) AS BIGINT) AS w FROM votes \
             WHERE election_id = $1",
        )
        .bind(self.row.id.as_str())
        .fetch_one(&mut *self.tx)
        .await?;
        Ok((u64_of(row.try_get("n")?), u64_of(row.try_get("w")?)))
    }

    /// The running tally: (weight, sums) per weight class, inside the lock.
    pub async fn tally_rows(&mut self) -> anyhow::Result<Vec<(u64, Vec<u8>)>> {
        let rows =
            sqlx::query("SELECT weight, sums FROM tally WHERE election_id = $1 ORDER BY weight")
                .bind(self.row.id.as_str())
                .fetch_all(&mut *self.tx)
                .await?;
        rows.iter()
            .map(|r| Ok((u64_of(r.try_get("weight")?), r.try_get("sums")?)))
            .collect()
    }
}
