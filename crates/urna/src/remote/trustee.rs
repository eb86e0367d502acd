//! A trustee's key ceremony and decryption against a server (`urna trustee ceremony` and
//! `urna trustee decrypt` with `--server`). The same code runs the demo's trustees.
//!
//! The secrets stay in the trustee's directory: the round-1 state (polynomial and transport
//! key) is written there (mode 0600) before anything is posted, so a trustee whose machine or
//! connection fails can run the command again and carry on where the board says it stopped.
//! Only the public packages and the decryption (with its proofs) are sent.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use rand::rngs::OsRng;
use urna_api::client::{Client, ClientError};
use urna_api::{ElectionState, Posted, TrusteeView};
use urna_crypto::dkg::{self, CeremonyTranscript, DkgParameters, Round1Secret};
use urna_crypto::{Digest32, PointBytes};
use urna_election::board::{BoardEntry, EncryptedTally, Event};
use urna_election::tally::{decode_tally, decrypt_share};
use urna_election::RecordVerifier;

use super::record::for_each_board_line;
use super::{refusal, retrying, Say, Wait};
use crate::trustee::{load_key_share, load_state, write_secret};

/// One trustee's access to one election.
#[derive(Clone, Debug)]
pub struct TrusteeSession {
    pub client: Client,
    pub election: String,
    pub token: String,
    pub wait: Wait,
    pub say: Say,
}

/// A finished key ceremony.
#[derive(Clone, Debug)]
pub struct CeremonyDone {
    pub index: u32,
    pub key_file: PathBuf,
    pub election_key: PointBytes,
    pub fingerprint: Digest32,
}

fn terminal(view: &TrusteeView) -> Result<()> {
    match view.state {
        ElectionState::Failed => bail!(
            "the key ceremony of election {} failed; the admin sees why and must start a new \
             election",
            view.id
        ),
        ElectionState::Rejected => bail!("the orderer rejected election {}", view.id),
        _ => Ok(()),
    }
}

fn round_size(view: &TrusteeView, round: usize) -> usize {
    match round {
        1 => view.round1.len(),
        2 => view.round2.len(),
        _ => view.round3.len(),
    }
}

fn posted_by(view: &TrusteeView, round: usize, index: u32) -> bool {
    match round {
        1 => view.round1.iter().any(|p| p.from == index),
        2 => view.round2.iter().any(|p| p.from == index),
        _ => view.round3.iter().any(|p| p.from == index),
    }
}

/// The state after the key ceremony: sealed or beyond.
fn sealed(state: ElectionState) -> bool {
    !matches!(
        state,
        ElectionState::Draft | ElectionState::KeyCeremony | ElectionState::Failed
    )
}

impl TrusteeSession {
    async fn view(&self) -> Result<TrusteeView> {
        retrying(|| self.client.trustee_view(&self.election, &self.token))
            .await
            .map_err(|e| self.refused("the trustee view", &e))
    }

    fn refused(&self, what: &str, e: &ClientError) -> anyhow::Error {
        match e.code() {
            Some("unauthorized" | "forbidden") => anyhow::anyhow!(
                "the server refused {what}: {} — is this the right token for election {}?",
                refusal(e),
                self.election
            ),
            _ => anyhow::anyhow!("the server refused {what}: {}", refusal(e)),
        }
    }

    /// Polls the trustee view until `ready` holds (a failed or rejected election ends it).
    async fn wait_view(
        &self,
        what: &str,
        mut ready: impl FnMut(&TrusteeView) -> bool,
    ) -> Result<TrusteeView> {
        self.wait
            .until(
                what,
                &self.say,
                || self.client.trustee_view(&self.election, &self.token),
                |view| {
                    terminal(view)?;
                    Ok(ready(view).then(|| view.clone()))
                },
            )
            .await
            .map_err(|e| match e.downcast_ref::<ClientError>() {
                Some(c) => self.refused("the trustee view", c),
                None => e,
            })
    }

    /// Waits until every trustee has posted round `round` (or the ceremony has moved on).
    async fn wait_round(&self, round: usize, n: usize) -> Result<TrusteeView> {
        let mut last = usize::MAX;
        let say = self.say.clone();
        self.wait_view(&format!("every round-{round} message"), |view| {
            let have = round_size(view, round);
            if have != last && have < n {
                say.line(format!(
                    "round {round}: {have} of {n} trustees have posted; waiting"
                ));
                last = have;
            }
            have >= n
        })
        .await
    }

    /// Posts a message; a message already on the board (a retry after a lost answer) is fine.
    async fn post<F, Fut>(&self, round: usize, index: u32, send: F) -> Result<()>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<Posted, ClientError>>,
    {
        match retrying(send).await {
            Ok(posted) => {
                self.say
                    .line(format!("round {round} posted (board entry {})", posted.seq));
                Ok(())
            }
            Err(e) if e.code() == Some("conflict") => {
                let view = self.view().await?;
                if posted_by(&view, round, index) {
                    self.say
                        .line(format!("round {round} is already on the board"));
                    Ok(())
                } else {
                    Err(self.refused(&format!("the round-{round} message"), &e))
                }
            }
            Err(e) => Err(self.refused(&format!("the round-{round} message"), &e)),
        }
    }

    /// Checks the board's setup event: its hash is the ceremony's session, and its manifest
    /// asks for the trustees the view says. Returns the election's title.
    async fn check_setup(&self, view: &TrusteeView, setup_hash: &Digest32) -> Result<String> {
        let page = retrying(|| self.client.board_page(&self.election, 0, 1))
            .await
            .map_err(|e| self.refused("the board", &e))?;
        let line = page.lines.first().context("the board is empty")?;
        let entry = BoardEntry::parse_line(line).context("the board's first entry")?;
        if entry.seq != 0 || entry.computed_hash() != entry.hash || entry.hash != *setup_hash {
            bail!("the board's setup entry does not hash to the ceremony's session");
        }
        let Event::Setup(setup) = entry.event().context("the board's setup entry")? else {
            bail!("the board does not start with the setup");
        };
        let m = &setup.manifest;
        if m.trustees.count != view.trustees || m.trustees.threshold != view.threshold {
            bail!("the manifest's trustees differ from what the server says");
        }
        Ok(format!("{} — {}", m.event.en, m.title.en))
    }

    /// Runs this trustee's whole key ceremony; writes the key share into `dir`.
    pub async fn ceremony(&self, dir: &Path) -> Result<CeremonyDone> {
        let mut rng = OsRng;
        let mut view = self.view().await?;
        if view.setup_hash.is_none() {
            self.say
                .line("waiting for the admin to start the key ceremony");
            view = self
                .wait_view("the start of the key ceremony", |v| v.setup_hash.is_some())
                .await?;
        }
        terminal(&view)?;
        let setup_hash = view.setup_hash.context("the ceremony has no session")?;
        let index = view.index;
        let n = view.trustees as usize;
        let params = DkgParameters::new(view.trustees, view.threshold)
            .context("the election's trustee parameters")?;
        let title = self.check_setup(&view, &setup_hash).await?;
        self.say.line(format!(
            "election {} ({title}): you are trustee {index} of {n}, any {} decrypt",
            self.election, view.threshold
        ));
        let name = format!("{}-trustee{index}", self.election);
        let state_path = dir.join(format!("{name}.state.json"));
        let key_path = dir.join(format!("{name}.key.json"));
        if key_path.exists() {
            return self.already_finished(&key_path, index).await;
        }
        create_private_dir(dir)?;

        // Round 1: the secret state goes to disk before the package goes to the board.
        if !posted_by(&view, 1, index) {
            let package = if state_path.exists() {
                let secret = load_state(&state_path)?;
                check_state(&secret, &state_path, params, index, &setup_hash)?;
                secret.round1_package(&mut rng)
            } else {
                if sealed(view.state) || round_size(&view, 1) >= n {
                    bail!("the key ceremony went on without trustee {index}");
                }
                let (secret, package) = dkg::start(params, index, setup_hash.as_bytes(), &mut rng)?;
                write_secret(&state_path, &secret.export_state_file())?;
                self.say
                    .line(format!("secret state written to {}", state_path.display()));
                package
            };
            self.post(1, index, || {
                self.client
                    .trustee_round1(&self.election, &self.token, &package)
            })
            .await?;
        } else if !state_path.exists() {
            bail!(
                "your round-1 package is on the board but your state file {} is missing: you \
                 cannot take part any more (tell the admin)",
                state_path.display()
            );
        }
        let secret = load_state(&state_path)?;
        check_state(&secret, &state_path, params, index, &setup_hash)?;
        drop(secret);

        // Round 2: deal once everyone's round 1 is on the board.
        let view = self.wait_round(1, n).await?;
        if !posted_by(&view, 2, index) {
            let (_, package) = load_state(&state_path)?
                .deal(&view.round1, &mut rng)
                .context("checking the round-1 packages")?;
            self.post(2, index, || {
                self.client
                    .trustee_round2(&self.election, &self.token, &package)
            })
            .await?;
        }

        // Round 3: check the shares dealt to this trustee.
        let view = self.wait_round(2, n).await?;
        if !posted_by(&view, 3, index) {
            let (_, package) = load_state(&state_path)?
                .accept_round1(&view.round1)?
                .check(&view.round2, &mut rng)
                .context("checking the shares dealt to you")?;
            for complaint in &package.complaints {
                self.say.line(format!(
                    "complaint: trustee {} dealt you a share that does not match its commitments",
                    complaint.against
                ));
            }
            self.post(3, index, || {
                self.client
                    .trustee_round3(&self.election, &self.token, &package)
            })
            .await?;
        }

        // The seal: the server checks the ceremony, issues the credentials and seals.
        let view = self
            .wait_view("the seal", |v| sealed(v.state) && v.round3.len() >= n)
            .await?;
        let transcript = CeremonyTranscript {
            round1: view.round1.clone(),
            round2: view.round2.clone(),
            round3: view.round3.clone(),
        };
        let (round3, _) = load_state(&state_path)?
            .accept_round1(&transcript.round1)?
            .check(&transcript.round2, &mut rng)?;
        let (share, outcome) = round3
            .finish(&transcript)
            .context("finishing the key ceremony")?;
        let booth = retrying(|| self.client.booth(&self.election))
            .await
            .map_err(|e| self.refused("the booth information", &e))?;
        let election_key = outcome.election_key.to_bytes();
        if booth.election_key != election_key {
            bail!(
                "the server's election key {} is not the one the ceremony produced {}",
                booth.election_key,
                election_key
            );
        }
        if view.fingerprint.is_some_and(|f| f != booth.fingerprint) {
            bail!("the server shows two different fingerprints");
        }
        write_secret(&key_path, &share.export_key_file())?;
        fs::remove_file(&state_path)
            .with_context(|| format!("removing {}", state_path.display()))?;
        for blame in &outcome.blame {
            self.say.line(format!(
                "blame: trustee {}: {}{}",
                blame.culprit,
                blame.reason,
                if blame.disqualified {
                    " (disqualified)"
                } else {
                    ""
                }
            ));
        }
        self.say.line(format!(
            "key ceremony complete: election key {election_key}, your verification key {}",
            share.verification_key().to_bytes()
        ));
        self.say.line(format!(
            "fingerprint {} — the orderer must see the same",
            booth.fingerprint
        ));
        self.say.line(format!(
            "your key share is in {} (keep it secret and safe until the decryption)",
            key_path.display()
        ));
        Ok(CeremonyDone {
            index,
            key_file: key_path,
            election_key,
            fingerprint: booth.fingerprint,
        })
    }

    /// A rerun after the key share was written: checks it against the server's seal.
    async fn already_finished(&self, key_path: &Path, index: u32) -> Result<CeremonyDone> {
        let share = load_key_share(key_path)?;
        let view = self.wait_view("the seal", |v| sealed(v.state)).await?;
        let booth = retrying(|| self.client.booth(&self.election))
            .await
            .map_err(|e| self.refused("the booth information", &e))?;
        let election_key = share.election_key().to_bytes();
        if share.index() != index || booth.election_key != election_key {
            bail!(
                "{} exists but is not trustee {index}'s key share of this election",
                key_path.display()
            );
        }
        if view.fingerprint.is_some_and(|f| f != booth.fingerprint) {
            bail!("the server shows two different fingerprints");
        }
        self.say.line(format!(
            "your key ceremony is already finished: your key share is in {}; fingerprint {}",
            key_path.display(),
            booth.fingerprint
        ));
        Ok(CeremonyDone {
            index,
            key_file: key_path.to_path_buf(),
            election_key,
            fingerprint: booth.fingerprint,
        })
    }

    /// Waits for the encrypted tally, checks the whole board, decrypts it with proofs and posts;
    /// returns the post (`None` when none was needed: already posted, or already published).
    pub async fn decrypt(&self, key_file: &Path) -> Result<Option<Posted>> {
        let share = load_key_share(key_file)?;
        let view = self.view().await?;
        if view.index != share.index() {
            bail!(
                "{} is trustee {}'s key share, but this token is trustee {}'s",
                key_file.display(),
                share.index(),
                view.index
            );
        }
        if view.trustees != share.params().trustees || view.threshold != share.params().threshold {
            bail!(
                "{} is a key share of another ceremony ({} of {} trustees)",
                key_file.display(),
                share.params().threshold,
                share.params().trustees
            );
        }
        let index = view.index;
        if view.state != ElectionState::Tallying && view.state != ElectionState::Published {
            self.say.line(format!(
                "the election is {}; waiting for voting to close and the tally",
                view.state.as_str().replace('_', " ")
            ));
        }
        let view = self
            .wait_view("the encrypted tally", |v| {
                v.tally.is_some() || v.state == ElectionState::Published
            })
            .await?;
        if view.decrypted_by.contains(&index) {
            self.say.line("your decryption is already on the board");
            return Ok(None);
        }
        if view.state == ElectionState::Published {
            self.say
                .line("the result is already published; your decryption is not needed");
            return Ok(None);
        }
        let served = view.tally.context("no tally")?;

        // Decrypt only a tally the board proves is the sum of valid ballots: anything else
        // could be one voter's ballot in disguise.
        self.say.line("checking the board before decrypting");
        let (context, tally) = self.verified_tally().await?;
        if context.election_key != *share.election_key() {
            bail!(
                "{} belongs to another election (its election key differs)",
                key_file.display()
            );
        }
        if tally != served {
            bail!("the tally the server shows differs from the one on its board");
        }
        let totals = decode_tally(&tally)?;
        let decryption = decrypt_share(&context.fingerprint, &share, &totals, &mut OsRng);
        let posted = match retrying(|| {
            self.client
                .trustee_decryption(&self.election, &self.token, &decryption)
        })
        .await
        {
            Ok(posted) => posted,
            Err(e) if e.code() == Some("conflict") => {
                self.say.line("your decryption is already on the board");
                return Ok(None);
            }
            Err(e) => return Err(self.refused("the decryption", &e)),
        };
        self.say.line(format!(
            "decryption posted (board entry {}); the election is {}",
            posted.seq,
            posted.state.as_str().replace('_', " ")
        ));
        Ok(Some(posted))
    }

    /// Streams and verifies the board (as a partial record); returns its context and tally.
    async fn verified_tally(
        &self,
    ) -> Result<(urna_election::ballot::ElectionContext, EncryptedTally)> {
        let mut verifier = RecordVerifier::new();
        let mut tally = None;
        for_each_board_line(&self.client, &self.election, |line| {
            verifier
                .push_line(line)
                .map_err(|e| anyhow::anyhow!("the board does not verify: {e}"))?;
            if line.contains("\"tally\"") {
                if let Ok(Event::Tally(t)) = BoardEntry::parse_line(line).and_then(|e| e.event()) {
                    tally = Some(t);
                }
            }
            Ok(())
        })
        .await?;
        let (_, context, _) = verifier
            .finish(false)
            .map_err(|e| anyhow::anyhow!("the board does not verify: {e}"))?;
        let context = context.context("the board has no sealed election")?;
        let tally = tally.context("the board has no encrypted tally yet")?;
        Ok((context, tally))
    }
}

/// The state file must be this trustee's, for this ceremony.
fn check_state(
    secret: &Round1Secret,
    path: &Path,
    params: DkgParameters,
    index: u32,
    setup_hash: &Digest32,
) -> Result<()> {
    let file = secret.export_state_file();
    if file.params != params || file.index != index || file.context != setup_hash.to_hex() {
        bail!(
            "{} is the state of another ceremony or trustee",
            path.display()
        );
    }
    Ok(())
}

/// Creates the trustee's directory, readable by its owner only.
fn create_private_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .with_context(|| format!("creating {}", dir.display()))
}

fn session(args: &crate::trustee::ServerArgs) -> Result<TrusteeSession> {
    let server = args
        .server
        .as_deref()
        .context("name the server with --server")?;
    let election = args
        .election
        .clone()
        .context("name the election with --election")?;
    let token = args
        .token
        .clone()
        .filter(|t| !t.trim().is_empty())
        .context("give your trustee token with --token or URNA_TRUSTEE_TOKEN")?;
    if !(args.poll.is_finite() && args.poll > 0.0 && args.poll <= 3600.0) {
        bail!("--poll is a number of seconds, more than 0 and at most 3600");
    }
    Ok(TrusteeSession {
        client: super::client(server)?,
        say: Say::new(format!("[{election}] ")),
        election,
        token: token.trim().to_owned(),
        wait: Wait {
            poll: std::time::Duration::from_secs_f64(args.poll),
            limit: args.timeout.map(std::time::Duration::from_secs),
        },
    })
}

/// `urna trustee ceremony --server …`.
pub fn run_ceremony(args: &crate::trustee::ServerArgs, dir: &Path) -> Result<()> {
    let session = session(args)?;
    super::runtime()?.block_on(session.ceremony(dir))?;
    Ok(())
}

/// `urna trustee decrypt --server …`.
pub fn run_decrypt(args: &crate::trustee::ServerArgs, key_file: &Path) -> Result<()> {
    let session = session(args)?;
    super::runtime()?.block_on(session.decrypt(key_file))?;
    Ok(())
}
