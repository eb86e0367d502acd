//! Server settings: a TOML file, overridden by the environment and flags (the CLI merges them).

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::mail::{MailerConfig, SmtpConfig};

/// Everything `urna serve` can be told.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on.
    pub listen: String,
    /// `sqlite://PATH` or `postgres://…`.
    pub database_url: String,
    /// The base URL voters, trustees and the orderer reach the server at.
    pub public_url: String,
    /// Write mails into this directory instead of sending them.
    pub mail_outbox: Option<PathBuf>,
    /// Send mails through this SMTP server.
    pub smtp: Option<SmtpConfig>,
    /// Logins per minute per client address (0: off).
    pub login_rate_limit: u32,
    /// Ballots per minute per client address (0: off).
    pub cast_rate_limit: u32,
    /// Send Strict-Transport-Security.
    pub hsts: bool,
    /// Trust X-Forwarded-For for the client address.
    pub trust_proxy: bool,
    /// `text` or `json`.
    pub log_format: String,
    /// Largest request body in bytes (roll uploads may be up to 64 times this).
    pub body_limit: usize,
    /// Seconds a connection may take to send a request's complete headers, counted from when
    /// it opens or from the previous response: the slow-header (slowloris) bound and the idle
    /// keep-alive timeout in one (hyper starts this timer whenever a connection waits for its
    /// next request). 0: off.
    pub header_timeout_secs: u64,
    /// Seconds a request's whole body may take to arrive, counted from its headers; a body
    /// still incomplete then is answered 408 and the connection closed. 0: off.
    pub body_timeout_secs: u64,
    /// Most connections open at once; further ones wait in the listen backlog (they are not
    /// accepted) until one closes. 0: no cap.
    pub max_connections: usize,
    /// Most ballots verified and committed together.
    pub cast_batch: usize,
    /// Admin sessions last this many hours.
    pub session_hours: u32,
    /// Give up on an invitation after this many attempts.
    pub mail_attempts: u32,
    /// Run the scheduler (opening/closing at scheduled times) and the mail sender.
    pub background_tasks: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            database_url: "sqlite://urna.db".into(),
            public_url: String::new(),
            mail_outbox: None,
            smtp: None,
            login_rate_limit: 10,
            cast_rate_limit: 600,
            hsts: false,
            trust_proxy: false,
            log_format: "text".into(),
            body_limit: 1 << 20,
            header_timeout_secs: 10,
            body_timeout_secs: 60,
            max_connections: 512,
            cast_batch: 64,
            session_hours: 12,
            mail_attempts: 12,
            background_tasks: true,
        }
    }
}

impl ServerConfig {
    /// Reads a TOML settings file.
    pub fn from_file(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
    }

    /// The base URL for links: `public_url`, or `http://LISTEN` when unset.
    pub fn base_url(&self) -> String {
        let base = if self.public_url.is_empty() {
            format!("http://{}", self.listen)
        } else {
            self.public_url.clone()
        };
        base.trim_end_matches('/').to_owned()
    }

    /// How mail leaves the server: SMTP when configured, else the outbox directory
    /// (`urna-outbox` by default, for trials).
    pub fn mailer(&self) -> MailerConfig {
        match (&self.smtp, &self.mail_outbox) {
            (Some(smtp), None) => MailerConfig::Smtp(smtp.clone()),
            (_, Some(dir)) => MailerConfig::Outbox(dir.clone()),
            (None, None) => MailerConfig::Outbox(PathBuf::from("urna-outbox")),
        }
    }
}
