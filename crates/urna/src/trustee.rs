//! `urna trustee`: a trustee's side of the key ceremony and of the decryption, on files.
//!
//! Secrets stay in the trustee's own files (created with mode 0600, never printed); what the
//! commands write with `--out` is public and goes to the board.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use rand::rngs::OsRng;
use serde::de::DeserializeOwned;
use serde::Serialize;
use urna_crypto::dkg::{
    self, CeremonyTranscript, DkgParameters, DkgStateFile, KeyShare, KeyShareFile, Round1Package,
    Round1Secret, Round2Package, Round3Package,
};
use urna_election::board::Event;
use urna_election::record::for_each_line;
use urna_election::tally::{decode_tally, decrypt_share};
use urna_election::{BoardEntry, RecordVerifier};

#[derive(Debug, Subcommand)]
pub enum TrusteeCommand {
    /// Round 1: make a polynomial and a transport key; write the secret state and the public package.
    Start(StartArgs),
    /// Round 2: check everyone's round-1 packages and deal encrypted shares.
    Deal(DealArgs),
    /// Round 3: check the shares dealt to you; write complaints (an empty list means all good).
    Check(CheckArgs),
    /// Finish: compute your key share and the election key from all public packages.
    Finish(FinishArgs),
    /// Decrypt the encrypted tally with your key share (with proofs): from a record on files,
    /// or with --server straight from the server's board, posting the result.
    Decrypt(DecryptArgs),
    /// Run your whole key ceremony against a server: the three rounds, then your key share.
    Ceremony(CeremonyArgs),
}

/// Where a trustee reaches its election on a server.
#[derive(Debug, Args)]
pub struct ServerArgs {
    /// The server, e.g. https://val.example.edu.
    #[arg(long)]
    pub server: Option<String>,
    /// The election's id.
    #[arg(long, requires = "server")]
    pub election: Option<String>,
    /// Your trustee token for this election (or URNA_TRUSTEE_TOKEN, which `ps` does not show).
    #[arg(long, env = "URNA_TRUSTEE_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Seconds between looks at the board while waiting for the other trustees.
    #[arg(long, default_value_t = 2.0)]
    pub poll: f64,
    /// Give up waiting after this many seconds (default: wait as long as it takes).
    #[arg(long)]
    pub timeout: Option<u64>,
}

#[derive(Debug, Args)]
pub struct CeremonyArgs {
    #[command(flatten)]
    pub remote: ServerArgs,
    /// Your private directory: the secret state while the ceremony runs, then your key share
    /// (files created with mode 0600).
    #[arg(long)]
    pub dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct StartArgs {
    /// The ceremony's session: the setup event's hash (hex), as the board shows it.
    #[arg(long)]
    pub context: String,
    #[arg(long)]
    pub trustees: u32,
    #[arg(long)]
    pub threshold: u32,
    /// Your index, 1..=trustees.
    #[arg(long)]
    pub index: u32,
    /// Your secret state file (created, mode 0600).
    #[arg(long)]
    pub state: PathBuf,
    /// Where to write your public round-1 package.
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct DealArgs {
    #[arg(long)]
    pub state: PathBuf,
    /// JSON array of every trustee's round-1 package.
    #[arg(long)]
    pub round1: PathBuf,
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[arg(long)]
    pub state: PathBuf,
    #[arg(long)]
    pub round1: PathBuf,
    /// JSON array of every round-2 package.
    #[arg(long)]
    pub round2: PathBuf,
    #[arg(long)]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct FinishArgs {
    #[arg(long)]
    pub state: PathBuf,
    #[arg(long)]
    pub round1: PathBuf,
    #[arg(long)]
    pub round2: PathBuf,
    /// JSON array of every round-3 package.
    #[arg(long)]
    pub round3: PathBuf,
    /// Your key-share file (created, mode 0600). The state file is deleted afterwards.
    #[arg(long)]
    pub key: PathBuf,
}

#[derive(Debug, Args)]
pub struct DecryptArgs {
    /// Your key-share file.
    #[arg(long, visible_alias = "key-share")]
    pub key: PathBuf,
    /// The election record (a directory with board.jsonl) holding the encrypted tally.
    #[arg(long, required_unless_present = "server", conflicts_with = "server")]
    pub record: Option<PathBuf>,
    /// Where to write your partial decryption.
    #[arg(long, required_unless_present = "server", conflicts_with = "server")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub remote: ServerArgs,
}

/// Reads a key share: the plain key file `urna trustee finish`/`ceremony` writes, or the
/// sealed backup the trustee page downloads (spec/record.md §11), whose passphrase comes from
/// URNA_KEY_PASSPHRASE or a prompt.
pub(crate) fn load_key_share(path: &Path) -> Result<KeyShare> {
    let text = zeroize::Zeroizing::new(
        fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?,
    );
    let value: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    let file: KeyShareFile = if value.get("format").and_then(|f| f.as_str())
        == Some(urna_election::sealed::SEALED_FORMAT)
    {
        let sealed: urna_election::sealed::SealedFile =
            serde_json::from_value(value).with_context(|| format!("parsing {}", path.display()))?;
        let passphrase = match std::env::var("URNA_KEY_PASSPHRASE") {
            Ok(p) => zeroize::Zeroizing::new(p),
            Err(_) => zeroize::Zeroizing::new(
                rpassword::prompt_password(format!("Passphrase for {}: ", sealed.label))
                    .context("reading the passphrase")?,
            ),
        };
        let plain = urna_election::sealed::open(
            &sealed,
            &passphrase,
            urna_election::sealed::TRUSTEE_KEY_SHARE,
        )
        .with_context(|| format!("opening {}", path.display()))?;
        serde_json::from_slice(&plain).with_context(|| format!("parsing {}", path.display()))?
    } else {
        serde_json::from_value(value).with_context(|| format!("parsing {}", path.display()))?
    };
    KeyShare::import_key_file(&file)
        .with_context(|| format!("{} is not a valid key share", path.display()))
}

pub(crate) fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

fn write_public<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    fs::write(path, text + "\n").with_context(|| format!("writing {}", path.display()))
}

/// Writes a secret file readable by its owner only, refusing to overwrite one.
pub(crate) fn write_secret<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {} (it must not exist yet)", path.display()))?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    Ok(())
}

pub(crate) fn load_state(path: &Path) -> Result<Round1Secret> {
    let file: DkgStateFile = read_json(path)?;
    Ok(Round1Secret::import_state_file(&file)?)
}

pub fn run(command: &TrusteeCommand) -> Result<()> {
    let mut rng = OsRng;
    match command {
        TrusteeCommand::Start(a) => {
            let context = hex::decode(&a.context).context("--context must be hex")?;
            let params = DkgParameters::new(a.trustees, a.threshold)?;
            let (secret, package) = dkg::start(params, a.index, &context, &mut rng)?;
            write_secret(&a.state, &secret.export_state_file())?;
            write_public(&a.out, &package)?;
            println!(
                "Round 1 ready: post {} to the board; keep {} private.",
                a.out.display(),
                a.state.display()
            );
        }
        TrusteeCommand::Deal(a) => {
            let round1: Vec<Round1Package> = read_json(&a.round1)?;
            let (_, package) = load_state(&a.state)?.deal(&round1, &mut rng)?;
            write_public(&a.out, &package)?;
            println!("Round 2 ready: post {} to the board.", a.out.display());
        }
        TrusteeCommand::Check(a) => {
            let round1: Vec<Round1Package> = read_json(&a.round1)?;
            let round2: Vec<Round2Package> = read_json(&a.round2)?;
            let (_, package) = load_state(&a.state)?
                .accept_round1(&round1)?
                .check(&round2, &mut rng)?;
            for complaint in &package.complaints {
                println!(
                    "Complaint: trustee {} dealt you a share that does not match its commitments.",
                    complaint.against
                );
            }
            write_public(&a.out, &package)?;
            println!("Round 3 ready: post {} to the board.", a.out.display());
        }
        TrusteeCommand::Finish(a) => {
            let transcript = CeremonyTranscript {
                round1: read_json(&a.round1)?,
                round2: read_json(&a.round2)?,
                round3: read_json::<Vec<Round3Package>>(&a.round3)?,
            };
            let (round3, _) = load_state(&a.state)?
                .accept_round1(&transcript.round1)?
                .check(&transcript.round2, &mut rng)?;
            let (share, outcome) = round3.finish(&transcript)?;
            write_secret(&a.key, &share.export_key_file())?;
            fs::remove_file(&a.state).with_context(|| format!("removing {}", a.state.display()))?;
            println!(
                "Key ceremony complete. Election key {}",
                outcome.election_key.to_bytes()
            );
            println!(
                "Your verification key {} (trustee {})",
                share.verification_key().to_bytes(),
                share.index()
            );
            for blame in &outcome.blame {
                println!("Blame: trustee {}: {}", blame.culprit, blame.reason);
            }
        }
        TrusteeCommand::Ceremony(a) => {
            crate::remote::trustee::run_ceremony(&a.remote, &a.dir)?;
        }
        TrusteeCommand::Decrypt(a) if a.remote.server.is_some() => {
            crate::remote::trustee::run_decrypt(&a.remote, &a.key)?;
        }
        TrusteeCommand::Decrypt(a) => {
            let (Some(record), Some(out)) = (&a.record, &a.out) else {
                bail!("name --record and --out (or --server, --election and --token)");
            };
            let share = load_key_share(&a.key)?;
            let board = record.join("board.jsonl");
            let reader =
                fs::File::open(&board).with_context(|| format!("opening {}", board.display()))?;
            let mut verifier = RecordVerifier::new();
            let mut tally = None;
            for_each_line(reader, |line| {
                verifier.push_line(line)?;
                if let Ok(Event::Tally(t)) = BoardEntry::parse_line(line).and_then(|e| e.event()) {
                    tally = Some(t);
                }
                Ok(())
            })
            .map_err(|e| anyhow::anyhow!("the record does not verify: {e}"))?;
            let (_, context, _) = verifier
                .finish(false)
                .map_err(|e| anyhow::anyhow!("the record does not verify: {e}"))?;
            let context = context.context("the record has no sealed election")?;
            if context.election_key != *share.election_key() {
                bail!("this key share belongs to another election");
            }
            let tally = tally.context("the record has no encrypted tally yet")?;
            let totals = decode_tally(&tally)?;
            let decryption = decrypt_share(&context.fingerprint, &share, &totals, &mut rng);
            write_public(out, &decryption)?;
            println!(
                "Partial decryption ready: post {} to the board.",
                out.display()
            );
        }
    }
    Ok(())
}
