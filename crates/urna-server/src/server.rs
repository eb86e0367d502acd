//! Running the server: database, background tasks, listener, graceful shutdown.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

use crate::auth::hash_password;
use crate::config::ServerConfig;
use crate::db::Db;
use crate::mail::Mailer;
use crate::state::AppState;

/// An admin account to make sure of at start (from URNA_ADMIN_USER / URNA_ADMIN_PASSWORD).
#[derive(Clone)]
pub struct BootstrapAdmin {
    pub username: String,
    pub password: String,
}

impl core::fmt::Debug for BootstrapAdmin {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("BootstrapAdmin")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// Creates the admin unless one of that name exists; says what it did.
pub async fn ensure_admin(db: &Db, admin: &BootstrapAdmin) -> anyhow::Result<bool> {
    if db.admin(&admin.username).await?.is_some() {
        return Ok(false);
    }
    let password = admin.password.clone();
    let hash = tokio::task::spawn_blocking(move || hash_password(&password)).await??;
    db.create_admin(&admin.username, &hash).await
}

/// Serves until SIGINT/SIGTERM, then finishes the requests in flight and stops.
pub async fn serve(config: ServerConfig, admin: Option<BootstrapAdmin>) -> anyhow::Result<()> {
    crate::metrics::install();
    let db = Db::connect(&config.database_url).await?;
    match &admin {
        Some(a) => {
            if ensure_admin(&db, a).await? {
                tracing::info!(username = %a.username, "admin account created from URNA_ADMIN_PASSWORD");
            }
        }
        None => {
            if db.admin_count().await? == 0 {
                eprintln!(
                    "urna: there is no admin account yet. Create one with\n  \
                     urna admin add admin\nor start the server with URNA_ADMIN_PASSWORD set \
                     (the account is then called 'admin', or URNA_ADMIN_USER)."
                );
            }
        }
    }
    let mailer_config = config.mailer();
    if let crate::mail::MailerConfig::Outbox(dir) = &mailer_config {
        tracing::warn!(dir = %dir.display(), "no SMTP server configured: mails are written to this directory, not sent");
    }
    let mailer = Mailer::new(&mailer_config).context("mail settings")?;
    let listener = TcpListener::bind(&config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = listener.local_addr()?;
    let mut config = config;
    config.listen = addr.to_string();
    let limits = ConnectionLimits::of(&config);
    let state = AppState::new(db.clone(), config, mailer);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut tasks = Vec::new();
    if state.config.background_tasks {
        tasks.push(tokio::spawn(crate::lifecycle::run_scheduler(
            state.clone(),
            stop_rx.clone(),
        )));
        tasks.push(tokio::spawn(crate::invitations::run_mail_sender(
            state.clone(),
            stop_rx.clone(),
        )));
    }
    let app = crate::api::app(state);
    println!("listening on http://{addr}");
    tracing::info!(%addr, "urna serve ready");
    if !crate::pages::wasm_present() {
        tracing::warn!(
            "the web pages were built without their WebAssembly (web/assets/pkg): the booth, \
             trustee and verifier pages cannot work; run web/build.sh and rebuild"
        );
    }
    accept_loop(listener, app, limits, shutdown_signal()).await;
    tracing::info!("shutting down");
    let _ = stop_tx.send(true);
    for t in tasks {
        let _ = t.await;
    }
    db.close().await;
    Ok(())
}

/// How long a graceful shutdown waits for the connections in flight before it gives up on them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

/// The connection-level limits (see [`ServerConfig`]).
#[derive(Clone, Copy, Debug)]
struct ConnectionLimits {
    header_timeout: Option<Duration>,
    max_connections: usize,
}

impl ConnectionLimits {
    fn of(config: &ServerConfig) -> Self {
        Self {
            header_timeout: (config.header_timeout_secs > 0)
                .then(|| Duration::from_secs(config.header_timeout_secs)),
            max_connections: if config.max_connections == 0 {
                Semaphore::MAX_PERMITS
            } else {
                config.max_connections.min(Semaphore::MAX_PERMITS)
            },
        }
    }
}

/// Accepts and serves HTTP/1 connections until `shutdown` resolves, then stops accepting, lets
/// the requests in flight finish (idle keep-alive connections are closed at once) and returns.
///
/// `axum::serve` has no header-read timeout (a client sending its headers a byte at a time
/// would hold a connection forever) and no connection cap, hence this loop over hyper's
/// HTTP/1 connection. A connection is accepted only with a permit in hand: past
/// `max_connections`, new connections stay in the kernel's listen backlog, not accepted and not
/// served, until one closes. Waiting rather than refusing lets a burst of real voters through a
/// little later; each held connection is bounded by the header and body timeouts, so holding
/// them all costs an attacker a steady stream of fresh connections.
async fn accept_loop(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // E.g. out of file descriptors: wait instead of spinning.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(remote));
            app.clone().oneshot(request.map(Body::new))
        });
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                // Header timeouts, resets and malformed requests: the client's business.
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(SHUTDOWN_GRACE) => {
            tracing::warn!("connections still open {SHUTDOWN_GRACE:?} after the shutdown began; stopping anyway");
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
