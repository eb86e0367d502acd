//! Running the server: database, background tasks, listener, graceful shutdown.

use std::net::SocketAddr;

use anyhow::Context;
use tokio::net::TcpListener;

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
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .context("server")?;
    tracing::info!("shutting down");
    let _ = stop_tx.send(true);
    for t in tasks {
        let _ = t.await;
    }
    db.close().await;
    Ok(())
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
