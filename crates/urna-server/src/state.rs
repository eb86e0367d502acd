//! What every handler shares: the database, the settings, the mailer, rate limiters and the
//! cache of sealed elections (immutable after the seal, so caching them per process is safe).

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use governor::clock::DefaultClock;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use tokio::sync::{mpsc, RwLock};
use urna_api::ElectionState;
use urna_election::ballot::ElectionContext;
use urna_election::board::{Event, Seal};
use urna_election::credential::ValidCredentials;
use urna_election::manifest::ElectionManifest;

use crate::cast::CastJob;
use crate::config::ServerConfig;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::mail::Mailer;

type KeyedLimiter = RateLimiter<IpAddr, DefaultKeyedStateStore<IpAddr>, DefaultClock>;

/// An election from its seal on: what ballots are checked against.
#[derive(Debug)]
pub struct Sealed {
    pub context: ElectionContext,
    pub credentials: ValidCredentials,
    pub seal: Seal,
}

/// The shared state (cheap to clone).
#[derive(Clone, Debug)]
pub struct AppState(Arc<Inner>);

/// What [`AppState`] holds.
#[derive(Debug)]
pub struct Inner {
    pub db: Db,
    pub config: ServerConfig,
    pub mailer: Mailer,
    sealed: RwLock<HashMap<String, Arc<Sealed>>>,
    casters: std::sync::Mutex<HashMap<String, mpsc::Sender<CastJob>>>,
    login_limiter: Option<KeyedLimiter>,
    cast_limiter: Option<KeyedLimiter>,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

fn retry_after(not_until: governor::NotUntil<governor::clock::QuantaInstant>) -> AppError {
    use governor::clock::Clock;
    let wait = not_until.wait_time_from(DefaultClock::default().now());
    // Rounded up: a client that waits exactly Retry-After seconds must find its allowance back.
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    AppError::RateLimited(seconds.max(1))
}

fn limiter(per_minute: u32) -> Option<KeyedLimiter> {
    NonZeroU32::new(per_minute).map(|n| RateLimiter::keyed(Quota::per_minute(n)))
}

impl AppState {
    /// State over an open database.
    pub fn new(db: Db, config: ServerConfig, mailer: Mailer) -> Self {
        Self(Arc::new(Inner {
            login_limiter: limiter(config.login_rate_limit),
            cast_limiter: limiter(config.cast_rate_limit),
            db,
            config,
            mailer,
            sealed: RwLock::new(HashMap::new()),
            casters: std::sync::Mutex::new(HashMap::new()),
        }))
    }

    /// Refuses a login attempt over the per-address limit.
    pub fn check_login_rate(&self, ip: IpAddr) -> AppResult<()> {
        match &self.login_limiter {
            Some(l) => l.check_key(&ip).map_err(retry_after),
            None => Ok(()),
        }
    }

    /// Refuses a ballot over the per-address limit.
    pub fn check_cast_rate(&self, ip: IpAddr) -> AppResult<()> {
        match &self.cast_limiter {
            Some(l) => l.check_key(&ip).map_err(retry_after),
            None => Ok(()),
        }
    }

    /// The sealed election `id` (loaded from the board once).
    pub async fn sealed(&self, id: &str) -> AppResult<Arc<Sealed>> {
        if let Some(s) = self.sealed.read().await.get(id) {
            return Ok(s.clone());
        }
        let row = self
            .db
            .election(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("no election {id}")))?;
        let (Some(setup_hash), Some(fingerprint)) = (row.setup_hash, row.fingerprint) else {
            return Err(AppError::WrongState(
                "the election is not sealed yet (its key ceremony is not finished)".into(),
            ));
        };
        if matches!(row.state, ElectionState::Failed | ElectionState::Rejected) {
            return Err(AppError::WrongState(format!(
                "the election was {}",
                row.state.as_str()
            )));
        }
        let manifest: ElectionManifest =
            serde_json::from_str(&row.manifest).map_err(AppError::internal)?;
        let event = |kind: &'static str| async move {
            let entries = self.db.board_entries_of_kind(id, kind).await?;
            let entry = entries
                .into_iter()
                .next()
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("sealed without {kind}")))?;
            entry.event().map_err(AppError::internal)
        };
        let Event::Seal(seal) = event("seal").await? else {
            return Err(AppError::internal(anyhow::anyhow!("seal entry")));
        };
        let Event::Credentials(list) = event("credentials").await? else {
            return Err(AppError::internal(anyhow::anyhow!("credentials entry")));
        };
        let credentials = list.validate().map_err(AppError::internal)?;
        let election_key =
            urna_crypto::PublicKey::from_bytes(&seal.election_key).map_err(AppError::internal)?;
        let sealed = Arc::new(Sealed {
            context: ElectionContext {
                manifest,
                setup_hash,
                election_key,
                fingerprint,
            },
            credentials,
            seal,
        });
        self.sealed
            .write()
            .await
            .insert(id.to_owned(), sealed.clone());
        Ok(sealed)
    }

    /// The queue of the election's cast worker, started on first use.
    pub(crate) fn caster(&self, id: &str) -> mpsc::Sender<CastJob> {
        let mut casters = match self.casters.lock() {
            Ok(c) => c,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(tx) = casters.get(id).filter(|tx| !tx.is_closed()) {
            return tx.clone();
        }
        let (tx, rx) = mpsc::channel(4 * self.config.cast_batch.max(1));
        casters.insert(id.to_owned(), tx.clone());
        tokio::spawn(crate::cast::worker(self.clone(), id.to_owned(), rx));
        tx
    }
}
