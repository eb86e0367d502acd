//! Outgoing mail: invitations to voters and the orderer's review request (spec/api.md §3).
//!
//! A [`Mailer`] either speaks SMTP to a relay (lettre) or, for trials and tests, writes every
//! message as an RFC 5322 `.eml` file into an outbox directory. Both produce the same message:
//! `text/plain; charset=utf-8`, with `Date` and `Message-ID`, the transfer encoding chosen by
//! lettre (quoted-printable or base64 for the Swedish text). The mails carry voters' secret
//! links, so the outbox files are readable by their owner only, and errors never quote a body.
//!
//! [`extract_link`] is the other end: it decodes a received message, whatever its transfer
//! encoding, and finds the voting link in it (tests and `urna demo --server` vote with it).

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::Deserialize;

mod mime;
mod templates;

pub use mime::{extract_link, header, text_body};
pub use templates::{invitation, orderer_request};

/// How the connection to the SMTP server is protected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Plain text (port 25): only for a relay on the same host or a test sink.
    None,
    /// Plain connection upgraded with STARTTLS, which is required (port 587).
    #[default]
    StartTls,
    /// TLS from the first byte ("SMTPS", port 465).
    Tls,
}

impl SmtpSecurity {
    /// The usual port for this kind of connection.
    pub fn default_port(self) -> u16 {
        match self {
            Self::None => 25,
            Self::StartTls => 587,
            Self::Tls => 465,
        }
    }
}

/// The `[smtp]` table of the server's settings.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpConfig {
    /// The relay's host name (also the name its TLS certificate is checked against).
    pub host: String,
    /// 0: the usual port for `security` (25, 587 or 465).
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    /// Never shown by `Debug`.
    pub password: Option<String>,
    /// The sender, e.g. `Urna <urna@example.edu>`.
    pub from: String,
    /// Connection and command timeout in seconds (0: 30).
    pub timeout_secs: u64,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        Self {
            host: "localhost".into(),
            port: 0,
            security: SmtpSecurity::default(),
            username: None,
            password: None,
            from: DEFAULT_FROM.into(),
            timeout_secs: DEFAULT_TIMEOUT_SECS,
        }
    }
}

impl fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("from", &self.from)
            .field("timeout_secs", &self.timeout_secs)
            .finish()
    }
}

impl SmtpConfig {
    /// The port to connect to: `port`, or the usual one for `security` when it is 0.
    pub fn effective_port(&self) -> u16 {
        if self.port == 0 {
            self.security.default_port()
        } else {
            self.port
        }
    }

    fn timeout(&self) -> Duration {
        Duration::from_secs(if self.timeout_secs == 0 {
            DEFAULT_TIMEOUT_SECS
        } else {
            self.timeout_secs
        })
    }
}

/// The sender used when none is configured (and for the outbox).
pub const DEFAULT_FROM: &str = "Urna <urna@localhost>";
const DEFAULT_TIMEOUT_SECS: u64 = 30;

/// Where mail goes.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailerConfig {
    /// Send through an SMTP relay.
    Smtp(SmtpConfig),
    /// Write each message as a `.eml` file into this directory (created if missing).
    Outbox(PathBuf),
}

/// One message to send.
#[derive(Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    /// The recipient's display name (may be empty).
    pub to_name: String,
    pub to_email: String,
    pub subject: String,
    /// The plain-text body (`\n` line ends; any Unicode).
    pub text: String,
}

impl fmt::Debug for OutgoingMail {
    /// Leaves the body out (invitations carry a secret credential) and the recipient too (a
    /// voter's identity has no place in a log; spec/secrets.md).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutgoingMail")
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

impl Drop for OutgoingMail {
    /// An invitation's body holds the voter's credential secret (spec/secrets.md, F3).
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.text);
    }
}

/// Why a message was not sent. The texts never include the message body.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MailError {
    /// The mail settings are unusable (bad sender, host, credentials…).
    #[error("mail settings: {0}")]
    Config(String),
    /// Worth retrying later: connection problems, timeouts, SMTP 4xx answers, disk errors.
    #[error("temporary mail failure: {0}")]
    Transient(String),
    /// Retrying is pointless: SMTP 5xx answers, an invalid recipient address.
    #[error("permanent mail failure: {0}")]
    Permanent(String),
}

impl MailError {
    /// Whether sending the same message again later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Transient(_))
    }

    /// The kind of failure, for the log: a remote SMTP answer may quote the recipient's
    /// address, so its text goes only to the queue row the admin sees (spec/secrets.md, F7).
    pub fn category(&self) -> &'static str {
        match self {
            Self::Config(_) => "mail settings",
            Self::Transient(_) => "temporary mail failure",
            Self::Permanent(_) => "permanent mail failure",
        }
    }
}

/// Sends [`OutgoingMail`]s through SMTP or into an outbox directory. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Mailer {
    from: Mailbox,
    kind: MailerKind,
}

#[derive(Clone, Debug)]
enum MailerKind {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
    },
    Outbox {
        dir: PathBuf,
    },
}

impl Mailer {
    /// Checks the settings and prepares the transport (no connection is made yet). An outbox
    /// directory is created (mode 0700 on Unix) if missing.
    pub fn new(config: &MailerConfig) -> Result<Mailer, MailError> {
        match config {
            MailerConfig::Smtp(smtp) => Self::smtp(smtp),
            MailerConfig::Outbox(dir) => {
                create_private_dir(dir).map_err(|e| {
                    MailError::Config(format!("cannot create the outbox {}: {e}", dir.display()))
                })?;
                Ok(Mailer {
                    from: parse_from(DEFAULT_FROM)?,
                    kind: MailerKind::Outbox { dir: dir.clone() },
                })
            }
        }
    }

    fn smtp(config: &SmtpConfig) -> Result<Mailer, MailError> {
        let host = config.host.trim();
        if host.is_empty() {
            return Err(MailError::Config("the SMTP host is empty".into()));
        }
        let from = parse_from(&config.from)?;
        let tls_error = |e: lettre::transport::smtp::Error| {
            MailError::Config(format!("TLS settings for {host}: {e}"))
        };
        let builder = match config.security {
            SmtpSecurity::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
            SmtpSecurity::StartTls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host).map_err(tls_error)?
            }
            SmtpSecurity::Tls => {
                AsyncSmtpTransport::<Tokio1Executor>::relay(host).map_err(tls_error)?
            }
        };
        let mut builder = builder
            .port(config.effective_port())
            .timeout(Some(config.timeout()));
        match (&config.username, &config.password) {
            (Some(user), Some(password)) => {
                builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
            }
            (None, None) => {}
            (Some(_), None) => {
                return Err(MailError::Config(
                    "an SMTP username is set but no password".into(),
                ))
            }
            (None, Some(_)) => {
                return Err(MailError::Config(
                    "an SMTP password is set but no username".into(),
                ))
            }
        }
        Ok(Mailer {
            from,
            kind: MailerKind::Smtp {
                transport: builder.build(),
            },
        })
    }

    /// The sender of every message.
    pub fn from(&self) -> &Mailbox {
        &self.from
    }

    /// Whether messages go to an outbox directory rather than an SMTP server.
    pub fn is_outbox(&self) -> bool {
        matches!(self.kind, MailerKind::Outbox { .. })
    }

    /// Sends one message. `Ok` means the SMTP server accepted it (or the file is in place).
    pub async fn send(&self, mail: &OutgoingMail) -> Result<(), MailError> {
        let message = self.message(mail)?;
        match &self.kind {
            MailerKind::Smtp { transport } => transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(smtp_error),
            MailerKind::Outbox { dir } => {
                let dir = dir.clone();
                let bytes = message.formatted();
                tokio::task::spawn_blocking(move || write_outbox(&dir, &bytes))
                    .await
                    .map_err(|e| MailError::Transient(format!("outbox writer: {e}")))?
                    .map_err(|e| MailError::Transient(format!("cannot write to the outbox: {e}")))
            }
        }
    }

    /// The RFC 5322 message for `mail`.
    fn message(&self, mail: &OutgoingMail) -> Result<Message, MailError> {
        let address: Address = mail.to_email.trim().parse().map_err(|e| {
            MailError::Permanent(format!(
                "invalid recipient address {:?}: {e}",
                mail.to_email
            ))
        })?;
        let name = mail.to_name.trim();
        let to = Mailbox::new((!name.is_empty()).then(|| name.to_owned()), address);
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.as_str())
            .message_id(Some(message_id(self.from.email.domain())))
            .date_now()
            .header(ContentType::TEXT_PLAIN)
            .body(mail.text.clone())
            .map_err(|e| MailError::Permanent(format!("cannot build the message: {e}")))
    }
}

fn parse_from(from: &str) -> Result<Mailbox, MailError> {
    from.trim()
        .parse()
        .map_err(|e| MailError::Config(format!("invalid sender address {from:?}: {e}")))
}

/// 5xx answers are permanent; everything else (4xx, connection, TLS, timeouts) may pass.
fn smtp_error(e: lettre::transport::smtp::Error) -> MailError {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    if e.is_permanent() {
        MailError::Permanent(text)
    } else {
        MailError::Transient(text)
    }
}

fn unix_millis() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}

fn random_token() -> String {
    let bytes: [u8; 10] = rand::random();
    data_encoding::BASE32_NOPAD
        .encode(&bytes)
        .to_ascii_lowercase()
}

fn message_id(domain: &str) -> String {
    let domain = if domain.is_empty() {
        "localhost"
    } else {
        domain
    };
    format!("<{}.{}@{domain}>", unix_millis(), random_token())
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Writes `<unix-millis>-<random>.eml` atomically: a hidden temporary file (mode 0600) in
/// the same directory, synced, then renamed into place.
fn write_outbox(dir: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;

    create_private_dir(dir)?;
    let name = format!("{}-{}.eml", unix_millis(), random_token());
    let final_path = dir.join(&name);
    let temp_path = dir.join(format!(".{name}.tmp"));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let result = (|| {
        let mut file = options.open(&temp_path)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&temp_path, &final_path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp_path);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::SmtpSink;
    use urna_election::manifest::{
        Contest, ContestKind, ContestOption, ElectionManifest, RevotePolicy, Text, Trustees,
        MANIFEST_VERSION,
    };

    pub(super) fn manifest(revote: RevotePolicy) -> ElectionManifest {
        ElectionManifest {
            version: MANIFEST_VERSION,
            event: Text::new("Styrelseval 2027", "Board election 2027"),
            election_id: "larare".into(),
            title: Text::new(
                "Val av lärarrepresentanter",
                "Election of teacher representatives",
            ),
            voting_period: None,
            contests: vec![Contest {
                id: "styrelse".into(),
                title: Text::new("Styrelse", "Board"),
                kind: ContestKind::Single,
                options: vec![ContestOption {
                    id: "a".into(),
                    label: Text::new("Åsa Öberg", "Åsa Öberg"),
                }],
                blank: None,
            }],
            trustees: Trustees {
                count: 3,
                threshold: 2,
                names: vec![],
            },
            revote,
            weighted: false,
        }
    }

    const LINK: &str =
        "http://127.0.0.1:8080/vote/e-4f2a#cred-ABCDEFGHIJKLMNOPQRSTUVWXYZ234567abcdefghij=x";

    fn invitation_to(email: &str) -> OutgoingMail {
        let mut mail = invitation(
            &manifest(RevotePolicy::Final),
            LINK,
            "Väljare Åström",
            Some("2027-03-01 09:00 (Europe/Stockholm)"),
            Some("2027-03-08 17:00 (Europe/Stockholm)"),
        );
        mail.to_email = email.into();
        mail
    }

    fn smtp_mailer(port: u16) -> Mailer {
        Mailer::new(&MailerConfig::Smtp(SmtpConfig {
            host: "127.0.0.1".into(),
            port,
            security: SmtpSecurity::None,
            from: "Urna <urna@example.edu>".into(),
            timeout_secs: 10,
            ..SmtpConfig::default()
        }))
        .unwrap()
    }

    #[tokio::test]
    async fn smtp_delivers_an_invitation_whose_link_survives() {
        let sink = SmtpSink::start().await.unwrap();
        let mailer = smtp_mailer(sink.port());
        mailer
            .send(&invitation_to("voter1@math.example.edu"))
            .await
            .unwrap();
        let got = sink.wait_for(1, Duration::from_secs(10)).await;
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].from, "urna@example.edu");
        assert_eq!(got[0].to, vec!["voter1@math.example.edu".to_owned()]);
        let raw = &got[0].raw;
        assert!(raw.is_ascii(), "lettre encodes headers and body to ASCII");
        assert_eq!(
            extract_link(raw, "http://127.0.0.1:8080/vote/").as_deref(),
            Some(LINK)
        );
        assert_eq!(
            extract_link(raw, "http://127.0.0.1:8080/vote/e-4f2a#").as_deref(),
            Some(LINK)
        );
        assert_eq!(extract_link(raw, "http://127.0.0.1:8080/vote/other#"), None);
        let subject = header(raw, "Subject").unwrap();
        assert_eq!(
            subject,
            "Röstkort: Val av lärarrepresentanter / Voting card: Election of teacher representatives"
        );
        let to = header(raw, "To").unwrap();
        assert!(to.contains("Väljare Åström"), "{to}");
        assert!(header(raw, "Message-ID")
            .unwrap()
            .ends_with("@example.edu>"));
        assert!(header(raw, "Date").is_some());
        assert!(header(raw, "Content-Type")
            .unwrap()
            .to_ascii_lowercase()
            .contains("text/plain; charset=utf-8"));
        let body = text_body(raw);
        assert!(body.contains("Väljare Åström"));
        assert!(body.contains("röstberättigad"), "Swedish survives");
        assert_eq!(
            body.trim_end(),
            invitation_to("x@y.z").text.replace("\r\n", "\n").trim_end()
        );

        // Several messages over several connections.
        for i in 0..3 {
            mailer
                .send(&invitation_to(&format!("v{i}@example.edu")))
                .await
                .unwrap();
        }
        assert_eq!(sink.wait_for(4, Duration::from_secs(10)).await.len(), 4);
    }

    #[tokio::test]
    async fn smtp_failures_are_classified() {
        let sink = SmtpSink::start().await.unwrap();
        let mailer = smtp_mailer(sink.port());
        let mail = invitation_to("voter@example.edu");

        sink.fail_next(1, 451);
        let e = mailer.send(&mail).await.unwrap_err();
        assert!(matches!(e, MailError::Transient(_)), "{e:?}");
        assert!(e.is_transient());
        assert!(e.to_string().contains("451"), "{e}");
        assert!(!e.to_string().contains("cred-"), "no secret in errors: {e}");

        sink.fail_next(1, 550);
        let e = mailer.send(&mail).await.unwrap_err();
        assert!(matches!(e, MailError::Permanent(_)), "{e:?}");
        assert!(!e.is_transient());

        assert!(sink.messages().is_empty(), "refused messages are not kept");
        mailer.send(&mail).await.unwrap();
        assert_eq!(sink.wait_for(1, Duration::from_secs(10)).await.len(), 1);

        let e = mailer
            .send(&invitation_to("not an address"))
            .await
            .unwrap_err();
        assert!(matches!(e, MailError::Permanent(_)), "{e:?}");
        let e = mailer.send(&invitation_to("")).await.unwrap_err();
        assert!(matches!(e, MailError::Permanent(_)), "{e:?}");
    }

    #[tokio::test]
    async fn an_unreachable_server_is_transient() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let e = smtp_mailer(port)
            .send(&invitation_to("voter@example.edu"))
            .await
            .unwrap_err();
        assert!(matches!(e, MailError::Transient(_)), "{e:?}");
    }

    #[test]
    fn the_blocking_sink_works_from_other_runtimes() {
        let sink = SmtpSink::start_blocking().unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let mailer = smtp_mailer(sink.port());
            let mut tasks = Vec::new();
            for i in 0..5 {
                let mailer = mailer.clone();
                tasks.push(tokio::spawn(async move {
                    mailer
                        .send(&invitation_to(&format!("v{i}@example.edu")))
                        .await
                }));
            }
            for t in tasks {
                t.await.unwrap().unwrap();
            }
        });
        let got = sink.wait_for_blocking(5, Duration::from_secs(10));
        assert_eq!(got.len(), 5);
        let mut to: Vec<_> = got.iter().flat_map(|m| m.to.clone()).collect();
        to.sort();
        assert_eq!(to[0], "v0@example.edu");
        assert!(got
            .iter()
            .all(|m| extract_link(&m.raw, "http://127.0.0.1:8080/vote/").as_deref() == Some(LINK)));
    }

    #[tokio::test]
    async fn the_outbox_holds_private_complete_messages() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = dir.path().join("outbox");
        let mailer = Mailer::new(&MailerConfig::Outbox(outbox.clone())).unwrap();
        assert!(mailer.is_outbox());
        mailer
            .send(&invitation_to("voter1@example.edu"))
            .await
            .unwrap();
        mailer
            .send(&invitation_to("voter2@example.edu"))
            .await
            .unwrap();
        let mut names: Vec<String> = std::fs::read_dir(&outbox)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names.len(), 2, "no temporary files left: {names:?}");
        for name in &names {
            let (millis, rest) = name.split_once('-').unwrap();
            assert!(millis.parse::<u128>().is_ok(), "{name}");
            assert!(rest.ends_with(".eml") && rest.len() > 4, "{name}");
            let path = outbox.join(name);
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(&path).unwrap().permissions().mode();
                assert_eq!(mode & 0o777, 0o600, "{name}: {mode:o}");
            }
            let raw = std::fs::read(&path).unwrap();
            assert!(header(&raw, "To").unwrap().contains("@example.edu"));
            assert!(header(&raw, "Message-ID").is_some());
            assert!(header(&raw, "Date").is_some());
            assert!(header(&raw, "Subject").unwrap().starts_with("Röstkort: "));
            assert_eq!(
                extract_link(&raw, "http://127.0.0.1:8080/vote/").as_deref(),
                Some(LINK)
            );
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&outbox).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "the outbox is private: {mode:o}");
        }
        let e = mailer.send(&invitation_to("no-at-sign")).await.unwrap_err();
        assert!(matches!(e, MailError::Permanent(_)));
        assert_eq!(std::fs::read_dir(&outbox).unwrap().count(), 2);
    }

    #[test]
    fn config_checks_and_defaults() {
        let c: SmtpConfig = toml::from_str(
            r#"
            host = "smtp.example.edu"
            security = "tls"
            username = "urna"
            password = "hunter2-very-secret"
            from = "Urna <urna@example.edu>"
            "#,
        )
        .unwrap();
        assert_eq!(c.security, SmtpSecurity::Tls);
        assert_eq!(c.effective_port(), 465);
        assert_eq!(c.timeout_secs, 30);
        let debug = format!("{c:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("<redacted>"), "{debug}");
        assert!(Mailer::new(&MailerConfig::Smtp(c.clone())).is_ok());
        let mailer = Mailer::new(&MailerConfig::Smtp(c.clone())).unwrap();
        assert!(!format!("{mailer:?}").contains("hunter2"));

        for (text, security) in [
            ("none", SmtpSecurity::None),
            ("starttls", SmtpSecurity::StartTls),
            ("tls", SmtpSecurity::Tls),
        ] {
            let c: SmtpConfig = toml::from_str(&format!("security = \"{text}\"")).unwrap();
            assert_eq!(c.security, security);
        }
        assert!(toml::from_str::<SmtpConfig>("security = \"ssl\"").is_err());
        assert!(toml::from_str::<SmtpConfig>("hots = \"x\"").is_err());
        let d = SmtpConfig::default();
        assert_eq!(d.security, SmtpSecurity::StartTls);
        assert_eq!(d.effective_port(), 587);

        let bad = |c: SmtpConfig| {
            matches!(
                Mailer::new(&MailerConfig::Smtp(c)),
                Err(MailError::Config(_))
            )
        };
        assert!(bad(SmtpConfig {
            from: "not a mailbox".into(),
            ..c.clone()
        }));
        assert!(bad(SmtpConfig {
            host: " ".into(),
            ..c.clone()
        }));
        assert!(bad(SmtpConfig {
            password: None,
            ..c.clone()
        }));
        assert!(bad(SmtpConfig {
            username: None,
            ..c.clone()
        }));
        let mail = OutgoingMail {
            to_name: "A".into(),
            to_email: "a@b.c".into(),
            subject: "S".into(),
            text: "secret-link".into(),
        };
        assert!(!format!("{mail:?}").contains("secret-link"));
    }
}
