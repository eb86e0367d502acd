//! The `urna` commands that speak to a running server through its HTTP API: `record`,
//! `loadtest`, `trustee ceremony|decrypt --server` and `demo --server`.

pub mod demo;
pub mod loadtest;
pub mod record;
pub mod trustee;

use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use urna_api::client::{Client, ClientError, ClientResult};
use urna_api::BoothInfo;
use urna_election::ballot::ElectionContext;

/// The async runtime of the client commands.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// A client for `--server`.
pub fn client(server: &str) -> Result<Client> {
    Client::new(server).with_context(|| format!("--server {server}"))
}

/// The admin password: URNA_ADMIN_PASSWORD (never a flag, so it does not show in `ps`).
pub fn admin_password() -> Result<String> {
    match std::env::var("URNA_ADMIN_PASSWORD") {
        Ok(p) if !p.is_empty() => Ok(p),
        _ => bail!("set URNA_ADMIN_PASSWORD to the admin's password"),
    }
}

/// Whether an election id from a server may name a directory (ids come from the network).
pub fn safe_dir_name(id: &str) -> Result<&str> {
    if id.is_empty()
        || id.len() > 128
        || id.starts_with('.')
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        bail!("the server named an election {id:?}, which cannot be a directory name");
    }
    Ok(id)
}

/// What the booth encrypts in, from the server's booth information.
pub fn context_of(booth: &BoothInfo) -> Result<ElectionContext> {
    Ok(ElectionContext {
        manifest: booth.manifest.clone(),
        setup_hash: booth.setup_hash,
        election_key: urna_crypto::PublicKey::from_bytes(&booth.election_key)
            .context("the server's election key is not a valid point")?,
        fingerprint: booth.fingerprint,
    })
}

/// Prints progress lines for a human, each with a prefix (which party, which election).
#[derive(Clone, Debug)]
pub struct Say {
    prefix: String,
    quiet: bool,
}

impl Say {
    pub fn new(prefix: impl Into<String>) -> Self {
        Self {
            prefix: prefix.into(),
            quiet: false,
        }
    }

    /// Prints nothing.
    pub fn quiet() -> Self {
        Self {
            prefix: String::new(),
            quiet: true,
        }
    }

    pub fn line(&self, message: impl AsRef<str>) {
        if !self.quiet {
            println!("{}{}", self.prefix, message.as_ref());
        }
    }
}

/// How a party waits for the others: poll interval and an optional overall limit.
#[derive(Clone, Copy, Debug)]
pub struct Wait {
    pub poll: Duration,
    pub limit: Option<Duration>,
}

impl Wait {
    /// Polls `fetch` until `ready` gives a value. Unanswered requests (server restarting, 429,
    /// 5xx gateways) are retried; any other refusal ends the wait with its error.
    pub async fn until<T, U, F, Fut>(
        &self,
        what: &str,
        say: &Say,
        mut fetch: F,
        mut ready: impl FnMut(&T) -> Result<Option<U>>,
    ) -> Result<U>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = ClientResult<T>>,
    {
        let start = Instant::now();
        let mut complained = false;
        loop {
            match fetch().await {
                Ok(value) => {
                    if complained {
                        say.line("the server answers again");
                        complained = false;
                    }
                    if let Some(out) = ready(&value)? {
                        return Ok(out);
                    }
                }
                Err(e) if e.is_retryable() => {
                    if !complained {
                        say.line(format!("no answer ({e}); retrying"));
                        complained = true;
                    }
                }
                Err(e) => return Err(e.into()),
            }
            if let Some(limit) = self.limit {
                if start.elapsed() > limit {
                    bail!("gave up waiting for {what} after {} s", limit.as_secs());
                }
            }
            tokio::time::sleep(self.poll).await;
        }
    }
}

/// Retries a request that got no answer (or 429/502/503/504) a few times, with backoff.
pub async fn retrying<T, F, Fut>(mut attempt: F) -> ClientResult<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ClientResult<T>>,
{
    let mut delay = Duration::from_millis(200);
    let mut tries = 0;
    loop {
        match attempt().await {
            Err(e) if e.is_retryable() && tries < 8 => {
                let wait = e
                    .api()
                    .and_then(|a| a.retry_after)
                    .unwrap_or(delay)
                    .min(Duration::from_secs(30));
                tokio::time::sleep(wait).await;
                delay = (delay * 2).min(Duration::from_secs(5));
                tries += 1;
            }
            other => return other,
        }
    }
}

/// Describes a refusal for a person: the server's code and message.
pub fn refusal(error: &ClientError) -> String {
    match error.api() {
        Some(api) => format!("{} ({})", api.body.message, api.body.error),
        None => error.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Invitations in the server's mail outbox

/// An invitation found in the outbox: the credential (link fragment) and the recipient.
pub type Invitation = (String, Option<String>);

/// Reads the invitations of one election from the server's mail outbox (`.eml` files), each
/// file once: the server renames a message into place only when it is complete.
#[derive(Debug)]
pub struct Outbox {
    dir: PathBuf,
    marker: String,
    seen: HashMap<PathBuf, Option<Invitation>>,
}

impl Outbox {
    pub fn new(dir: &Path, id: &str) -> Self {
        Self {
            dir: dir.to_path_buf(),
            marker: format!("/vote/{id}#"),
            seen: HashMap::new(),
        }
    }

    /// Every invitation of the election so far, in file-name order.
    pub fn scan(&mut self) -> Result<Vec<Invitation>> {
        let mut paths: Vec<PathBuf> = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "eml"))
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e).with_context(|| format!("reading {}", self.dir.display())),
        };
        paths.sort();
        let mut found = Vec::new();
        for path in paths {
            if let Some(known) = self.seen.get(&path) {
                found.extend(known.clone());
                continue;
            }
            // Unreadable now (permissions, a race): try again next time.
            let Ok(raw) = std::fs::read(&path) else {
                continue;
            };
            let invitation = extract_link(&raw, &self.marker).and_then(|link| {
                link.split_once('#')
                    .map(|(_, fragment)| (fragment.to_owned(), recipient(&raw)))
            });
            found.extend(invitation.clone());
            self.seen.insert(path, invitation);
        }
        Ok(found)
    }
}

/// The voting link in an invitation, from `marker` (`/vote/{id}#`) on. The server's mail
/// module decodes the message whatever its transfer encoding.
pub fn extract_link(raw: &[u8], marker: &str) -> Option<String> {
    urna_server::mail::extract_link(raw, marker)
}

/// The address in the `To` header.
fn recipient(raw: &[u8]) -> Option<String> {
    let to = urna_server::mail::header(raw, "To")?;
    let address = match (to.rfind('<'), to.rfind('>')) {
        (Some(a), Some(b)) if a < b => &to[a + 1..b],
        _ => to.as_str(),
    };
    Some(address.trim().to_ascii_lowercase())
}

/// Waits until the outbox holds `n` invitations for election `id`.
pub async fn wait_for_invitations(
    outbox: &Path,
    id: &str,
    n: usize,
    wait: Wait,
    say: &Say,
) -> Result<Vec<Invitation>> {
    let start = Instant::now();
    let mut reported = usize::MAX;
    let mut scanner = Outbox::new(outbox, id);
    loop {
        let found = scanner.scan()?;
        if found.len() >= n {
            if found.len() > n {
                bail!(
                    "{} holds {} invitations for election {id}, expected {n}",
                    outbox.display(),
                    found.len()
                );
            }
            return Ok(found);
        }
        if found.len() != reported {
            say.line(format!(
                "{} of {n} invitations in {}",
                found.len(),
                outbox.display()
            ));
            reported = found.len();
        }
        if let Some(limit) = wait.limit {
            if start.elapsed() > limit {
                bail!(
                    "only {} of {n} invitations for election {id} reached {} after {} s \
                     (is it the server's --mail-outbox?)",
                    found.len(),
                    outbox.display(),
                    limit.as_secs()
                );
            }
        }
        tokio::time::sleep(wait.poll).await;
    }
}

/// Reads a links file: one voting link (or bare credential) per line.
pub fn read_links(path: &Path) -> Result<Vec<String>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| match l.split_once('#') {
            Some((_, fragment)) => fragment.to_owned(),
            None => l.to_owned(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_names_from_the_server_are_checked() {
        assert!(safe_dir_name("k3j4h5g6f7d8").is_ok());
        assert!(safe_dir_name("teachers").is_ok());
        for bad in ["", ".", "..", "../x", "a/b", ".hidden", "a\\b", "ä"] {
            assert!(safe_dir_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn links_are_read_from_the_outbox() {
        let dir = tempfile::tempdir().unwrap();
        let mail = "From: Urna <urna@localhost>\r\nTo: \"Väljare 1\" <Voter1@Example.org>\r\n\
                    Subject: Rösta\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
                    Hej!\r\nhttp://127.0.0.1:8080/vote/abc123#mfrggzdfmztwq2lknnwg23tpoa\r\n";
        std::fs::write(dir.path().join("1-a.eml"), mail).unwrap();
        std::fs::write(dir.path().join("2-b.eml"), mail.replace("abc123", "other")).unwrap();
        std::fs::write(dir.path().join(".3-c.eml.tmp"), mail).unwrap();
        let found = Outbox::new(dir.path(), "abc123").scan().unwrap();
        assert_eq!(
            found,
            vec![(
                "mfrggzdfmztwq2lknnwg23tpoa".to_owned(),
                Some("voter1@example.org".to_owned())
            )]
        );
        assert!(Outbox::new(&dir.path().join("missing"), "abc123")
            .scan()
            .unwrap()
            .is_empty());
    }

    #[test]
    fn links_files_take_links_or_bare_credentials() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("links.txt");
        std::fs::write(&path, "http://h/vote/e#abc\n\n# comment\ndef\n").unwrap();
        assert_eq!(read_links(&path).unwrap(), vec!["abc", "def"]);
    }
}

/// Every client route against a live server that has run `urna demo --server` (ignored by
/// default): `URNA_TEST_SERVER=http://127.0.0.1:8080 URNA_ADMIN_PASSWORD=… cargo test -p urna
/// --bin urna -- --ignored live_server`.
#[cfg(test)]
mod live {
    use urna_api::client::Client;
    use urna_api::{ElectionState, NewAdmin};

    #[test]
    #[ignore]
    fn live_server_routes() {
        let server = std::env::var("URNA_TEST_SERVER").expect("URNA_TEST_SERVER");
        let password = std::env::var("URNA_ADMIN_PASSWORD").expect("URNA_ADMIN_PASSWORD");
        super::runtime().unwrap().block_on(async {
            let public = Client::new(&server).unwrap();
            assert_eq!(public.healthz().await.unwrap().trim(), "ok");
            assert!(public.openapi().await.unwrap()["paths"].is_object());
            let elections = public.elections().await.unwrap();
            let published = elections
                .iter()
                .find(|e| e.state == ElectionState::Published)
                .expect("a published election");
            let id = published.id.as_str();
            assert_eq!(public.election(id).await.unwrap().id, id);
            let head = public.head(id).await.unwrap();
            let page = public.board_page(id, 0, 5).await.unwrap();
            assert_eq!(page.lines.len(), 5);
            assert_eq!(page.next, Some(5));
            let mut stream = public.board_stream(id).await.unwrap();
            let mut lines = 0;
            let mut code = None;
            while let Some(line) = stream.next_line().await.unwrap() {
                lines += 1;
                let entry = urna_election::BoardEntry::parse_line(&line).unwrap();
                if let Ok(urna_election::board::Event::Ballot(b)) = entry.event() {
                    code = Some(b.ballot.tracking_code());
                }
            }
            assert_eq!(lines, head.entries);
            let code = code.expect("a ballot");
            let found = public.lookup(id, &code.0).await.unwrap().unwrap();
            assert!(found.counted);
            assert!(public
                .lookup(id, "AAAA-AAAA-AAAA-AAAA")
                .await
                .unwrap()
                .is_none());
            let bad = public.lookup(id, "nonsense").await.unwrap_err();
            assert_eq!(bad.code(), Some("bad_request"), "{bad}");
            let missing = public.head("nosuchelection").await.unwrap_err();
            assert_eq!(
                (missing.status(), missing.code()),
                (Some(404), Some("not_found"))
            );
            let result = public.result(id).await.unwrap();
            assert!(result.ballots_counted > 0);
            assert!(public.results_html(&[id]).await.unwrap().contains("<html"));
            assert!(!public.results_csv(&[id]).await.unwrap().is_empty());

            // Without a session every admin route refuses.
            let refused = public.admin_elections().await.unwrap_err();
            assert_eq!(refused.status(), Some(401), "{refused}");
            let admin = Client::new(&server).unwrap();
            let wrong = admin
                .admin_login("admin", "wrong password!")
                .await
                .unwrap_err();
            assert_eq!(wrong.status(), Some(401), "{wrong}");
            let session = admin.admin_login("admin", &password).await.unwrap();
            assert_eq!(
                admin.csrf_token().as_deref(),
                Some(session.csrf_token.as_str())
            );
            assert_eq!(admin.admin_session().await.unwrap().username, "admin");
            let mine = admin.admin_elections().await.unwrap();
            assert!(mine.iter().any(|e| e.summary.id == id));
            let view = admin.admin_election(id).await.unwrap();
            assert_eq!(view.summary.id, id);
            let mail = admin.retry_mail(id).await.unwrap();
            assert!(mail.failed.is_empty());
            let name = format!("helper{}", rand::random::<u32>());
            admin
                .admin_create_account(&NewAdmin {
                    username: name.clone(),
                    password: "another long password".into(),
                })
                .await
                .unwrap();
            let with = admin.add_election_admin(id, &name).await.unwrap();
            assert!(with.admins.contains(&name));
            // The booth of a closed election still answers; casting does not.
            let booth = public.booth(id).await.unwrap();
            assert_eq!(booth.state, ElectionState::Published);
            // A wrong orderer token, a wrong trustee token.
            let no = public
                .orderer_view("aaaaaaaaaaaaaaaaaaaaaaaaaa")
                .await
                .unwrap_err();
            assert!(
                !no.to_string().contains("aaaaaaaaaaaaaaaaaaaaaaaaaa"),
                "{no}"
            );
            let no = public
                .trustee_view(id, "aaaaaaaaaaaaaaaaaaaaaaaaaa")
                .await
                .unwrap_err();
            assert_eq!(no.status(), Some(401), "{no}");
            admin.admin_logout().await.unwrap();
            assert!(admin.csrf_token().is_none());
            assert_eq!(admin.admin_session().await.unwrap_err().status(), Some(401));
        });
    }
}
