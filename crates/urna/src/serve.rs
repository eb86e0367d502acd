//! `urna serve`, `urna admin`, `urna backup`, `urna restore`: running the bulletin board.
//!
//! Settings come from a TOML file (`--config`), then the environment, then flags (each later
//! source wins). Secrets (SMTP and admin passwords) come from the environment or a prompt,
//! never from flags, so they do not show in `ps`.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use urna_server::db::Db;
use urna_server::mail::SmtpSecurity;
use urna_server::server::BootstrapAdmin;
use urna_server::ServerConfig;

/// `urna serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// A TOML settings file (see README "Running the server").
    #[arg(long, env = "URNA_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address to listen on (port 0 picks a free port; the chosen address is printed).
    #[arg(long, env = "URNA_LISTEN")]
    pub listen: Option<String>,
    /// `sqlite://PATH` (default `sqlite://urna.db`) or `postgres://…`.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,
    /// The address voters reach the server at (goes into the invitation links).
    #[arg(long, env = "URNA_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Write invitations as .eml files into this directory instead of sending them.
    #[arg(long, env = "URNA_MAIL_OUTBOX")]
    pub mail_outbox: Option<PathBuf>,
    /// SMTP server host (the password comes from URNA_SMTP_PASSWORD).
    #[arg(long, env = "URNA_SMTP_HOST")]
    pub smtp_host: Option<String>,
    #[arg(long, env = "URNA_SMTP_PORT")]
    pub smtp_port: Option<u16>,
    /// none, starttls or tls.
    #[arg(long, env = "URNA_SMTP_SECURITY")]
    pub smtp_security: Option<String>,
    #[arg(long, env = "URNA_SMTP_USERNAME")]
    pub smtp_username: Option<String>,
    /// The sender of invitations, e.g. "Valnämnden <val@example.edu>".
    #[arg(long, env = "URNA_MAIL_FROM")]
    pub mail_from: Option<String>,
    /// Logins per minute per client address (0: no limit).
    #[arg(long, env = "URNA_LOGIN_RATE_LIMIT")]
    pub login_rate_limit: Option<u32>,
    /// Ballots per minute per client address (0: no limit).
    #[arg(long, env = "URNA_CAST_RATE_LIMIT")]
    pub cast_rate_limit: Option<u32>,
    /// Send Strict-Transport-Security (behind HTTPS only).
    #[arg(long, env = "URNA_HSTS")]
    pub hsts: Option<bool>,
    /// Take the client address from X-Forwarded-For (behind a reverse proxy only).
    #[arg(long, env = "URNA_TRUST_PROXY")]
    pub trust_proxy: Option<bool>,
    /// Log format: text or json.
    #[arg(long, env = "URNA_LOG_FORMAT")]
    pub log_format: Option<String>,
    /// Largest request body in bytes (roll uploads may be 64 times this; default 1 MiB).
    #[arg(long, env = "URNA_BODY_LIMIT")]
    pub body_limit: Option<usize>,
    /// Seconds a connection may take to send a request's headers, from when it opens or from
    /// the previous response; also the idle keep-alive timeout (default 10; 0: off).
    #[arg(long, env = "URNA_HEADER_TIMEOUT")]
    pub header_timeout: Option<u64>,
    /// Seconds a request body may take to arrive after its headers; then 408 (default 60; 0:
    /// off).
    #[arg(long, env = "URNA_BODY_TIMEOUT")]
    pub body_timeout: Option<u64>,
    /// Most connections open at once; more wait unaccepted until one closes (default 512; 0:
    /// no cap).
    #[arg(long, env = "URNA_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
}

/// `urna admin …`: admin accounts, straight in the database.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an admin account or set its password (read from URNA_ADMIN_PASSWORD or a prompt).
    Add(AdminAddArgs),
}

#[derive(Debug, Args)]
pub struct AdminAddArgs {
    pub username: String,
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://urna.db")]
    pub database_url: String,
}

/// `urna backup`.
#[derive(Debug, Args)]
pub struct BackupArgs {
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://urna.db")]
    pub database_url: String,
    /// The backup file to create (SQLite; for PostgreSQL use pg_dump, see README).
    #[arg(long)]
    pub out: PathBuf,
}

/// `urna restore`.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// A file made by `urna backup`.
    #[arg(long)]
    pub from: PathBuf,
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://urna.db")]
    pub database_url: String,
    /// Replace an existing database.
    #[arg(long)]
    pub force: bool,
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// The settings: file, then environment and flags (clap merges those two).
fn settings(args: &ServeArgs) -> Result<ServerConfig> {
    let mut c = match &args.config {
        Some(path) => ServerConfig::from_file(path)?,
        None => ServerConfig::default(),
    };
    if let Some(v) = &args.listen {
        c.listen = v.clone();
    }
    if let Some(v) = &args.database_url {
        c.database_url = v.clone();
    }
    if let Some(v) = &args.public_url {
        c.public_url = v.clone();
    }
    if let Some(v) = &args.mail_outbox {
        c.mail_outbox = Some(v.clone());
    }
    if let Some(host) = &args.smtp_host {
        let mut smtp = c.smtp.take().unwrap_or_default();
        smtp.host = host.clone();
        c.smtp = Some(smtp);
    }
    if let Some(smtp) = c.smtp.as_mut() {
        if let Some(v) = args.smtp_port {
            smtp.port = v;
        }
        if let Some(v) = &args.smtp_security {
            smtp.security = match v.as_str() {
                "none" => SmtpSecurity::None,
                "starttls" => SmtpSecurity::StartTls,
                "tls" => SmtpSecurity::Tls,
                other => bail!("--smtp-security is none, starttls or tls, not {other:?}"),
            };
        }
        if let Some(v) = &args.smtp_username {
            smtp.username = Some(v.clone());
        }
        if let Some(v) = &args.mail_from {
            smtp.from = v.clone();
        }
        if let Ok(password) = std::env::var("URNA_SMTP_PASSWORD") {
            smtp.password = Some(password);
        }
    }
    if let Some(v) = args.login_rate_limit {
        c.login_rate_limit = v;
    }
    if let Some(v) = args.cast_rate_limit {
        c.cast_rate_limit = v;
    }
    if let Some(v) = args.hsts {
        c.hsts = v;
    }
    if let Some(v) = args.trust_proxy {
        c.trust_proxy = v;
    }
    if let Some(v) = &args.log_format {
        c.log_format = v.clone();
    }
    if let Some(v) = args.body_limit {
        c.body_limit = v;
    }
    if let Some(v) = args.header_timeout {
        c.header_timeout_secs = v;
    }
    if let Some(v) = args.body_timeout {
        c.body_timeout_secs = v;
    }
    if let Some(v) = args.max_connections {
        c.max_connections = v;
    }
    Ok(c)
}

fn init_logs(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("URNA_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

pub fn run_serve(args: &ServeArgs) -> Result<()> {
    let config = settings(args)?;
    init_logs(&config.log_format);
    let admin = std::env::var("URNA_ADMIN_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty())
        .map(|password| BootstrapAdmin {
            username: std::env::var("URNA_ADMIN_USER").unwrap_or_else(|_| "admin".into()),
            password,
        });
    runtime()?.block_on(urna_server::server::serve(config, admin))
}

fn read_password(username: &str) -> Result<String> {
    if let Ok(p) = std::env::var("URNA_ADMIN_PASSWORD") {
        if !p.is_empty() {
            return Ok(p);
        }
    }
    let first = rpassword::prompt_password(format!("New password for {username}: "))
        .context("cannot read the password (set URNA_ADMIN_PASSWORD when there is no terminal)")?;
    let second = rpassword::prompt_password("Again: ")?;
    if first != second {
        bail!("the two passwords differ");
    }
    Ok(first)
}

pub fn run_admin(command: &AdminCommand) -> Result<()> {
    match command {
        AdminCommand::Add(args) => {
            let password = read_password(&args.username)?;
            if password.chars().count() < 12 {
                bail!("a password needs at least 12 characters");
            }
            runtime()?.block_on(async {
                let db = Db::connect(&args.database_url).await?;
                let hash = urna_server::auth::hash_password(&password)?;
                if db.create_admin(&args.username, &hash).await? {
                    println!("created admin {}", args.username);
                } else if db.set_admin_password(&args.username, &hash).await? {
                    println!(
                        "set a new password for admin {} (their sessions ended)",
                        args.username
                    );
                }
                db.close().await;
                Ok(())
            })
        }
    }
}

pub fn run_backup(args: &BackupArgs) -> Result<()> {
    let elections =
        runtime()?.block_on(urna_server::backup::backup(&args.database_url, &args.out))?;
    println!(
        "backed up {} ({elections} elections) to {}",
        args.database_url,
        args.out.display()
    );
    Ok(())
}

pub fn run_restore(args: &RestoreArgs) -> Result<()> {
    let elections = runtime()?.block_on(urna_server::backup::restore(
        &args.from,
        &args.database_url,
        args.force,
    ))?;
    println!(
        "restored {} ({elections} elections) into {}",
        args.from.display(),
        args.database_url
    );
    Ok(())
}
