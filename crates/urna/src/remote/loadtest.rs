//! `urna loadtest`: casts many ballots at a server and reports throughput and latency.
//!
//! It sets up its own election (admin, three trustees with threshold two, orderer, open) with a
//! synthetic roll, or casts into an open election given `--election` and `--links`. Every
//! ballot is encrypted before the clock starts; then `--concurrency` requests are kept in
//! flight. Each tracking code the server acknowledges (201) is appended to `--codes` at once,
//! so a test that kills the server midway can check that every code in the file is on the
//! board.
//!
//! Before casting, the same ballots are decoded and batch-verified locally on every core, with
//! no HTTP and no database: that verify-only throughput is the ceiling of the server's cast
//! path on this machine, and the report gives cast throughput as a fraction of it.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Args;
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;
use serde::Serialize;
use tokio::task::JoinSet;
use urna_api::client::{Client, ClientOptions};
use urna_api::{Approve, CreateElection, ElectionState, Orderer};
use urna_election::ballot::{verify_ballots_batched, Ballot, ElectionContext};
use urna_election::credential::{CredentialList, CredentialSecret, PublicCredential};
use urna_election::simulate::random_vote;
use urna_election::{encrypt_ballot, ElectionManifest};

use super::trustee::TrusteeSession;
use super::{admin_password, context_of, read_links, refusal, wait_for_invitations, Say, Wait};
use crate::trustee::write_secret;

const MANIFEST: &str = include_str!("../../../../tests/fixtures/manifests/teachers.json");

#[derive(Debug, Args)]
pub struct LoadtestArgs {
    /// The server, e.g. http://127.0.0.1:8080.
    #[arg(long)]
    pub server: String,
    /// Ballots to cast (and voters on the synthetic roll).
    #[arg(long, default_value_t = 1000)]
    pub ballots: usize,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// Append every acknowledged tracking code to this file (one per line, written at once).
    #[arg(long)]
    pub codes: PathBuf,
    /// The server's mail outbox directory, where the invitations of the new election appear.
    #[arg(long, default_value = "urna-outbox")]
    pub mail_outbox: PathBuf,
    /// The admin account (its password comes from URNA_ADMIN_PASSWORD).
    #[arg(long, default_value = "admin")]
    pub admin_user: String,
    /// Cast into this existing, open election instead of setting one up (needs --links).
    #[arg(long, requires = "links")]
    pub election: Option<String>,
    /// With --election: a file of voting links (or bare credentials), one per line.
    #[arg(long, requires = "election")]
    pub links: Option<PathBuf>,
    /// Where the set-up election's trustees keep their key shares and tokens (to decrypt later
    /// with `urna trustee decrypt`).
    #[arg(long, default_value = "urna-loadtest-trustees")]
    pub trustee_dir: PathBuf,
    /// Seconds to wait for any one set-up step (the ceremony, the invitations).
    #[arg(long, default_value_t = 600)]
    pub timeout: u64,
}

/// Ballots per verification batch in the verify-only baseline: the server's default
/// `cast_batch`, so both sides batch alike.
const VERIFY_BATCH: usize = 64;

/// What the casting phase measured.
#[derive(Debug, Default)]
struct Tally {
    /// Latencies of the acknowledged ballots.
    latencies: Vec<Duration>,
    /// Failures by kind (the API's code, or `no_answer`).
    errors: BTreeMap<String, u64>,
}

/// The `q`-quantile (0 < q ≤ 1) of sorted values: the smallest value with at least `q` of them
/// at or below it.
fn quantile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

pub fn run(args: &LoadtestArgs) -> Result<bool> {
    if args.ballots == 0 {
        bail!("--ballots must be at least 1");
    }
    if args.concurrency == 0 {
        bail!("--concurrency must be at least 1");
    }
    super::runtime()?.block_on(run_async(args))
}

#[derive(Serialize)]
struct TrusteeToken<'a> {
    index: u32,
    token: &'a str,
}

/// Sets up an election as the demo does; returns its id and the voters' credentials.
async fn set_up(args: &LoadtestArgs) -> Result<(String, Vec<String>)> {
    let n = args.ballots;
    let wait = Wait {
        poll: Duration::from_millis(200),
        limit: Some(Duration::from_secs(args.timeout)),
    };
    let mut manifest: ElectionManifest =
        serde_json::from_str(MANIFEST).context("the embedded manifest")?;
    manifest.election_id = "loadtest".into();
    manifest.title = urna_election::Text::new("Lasttest", "Load test");
    manifest.voting_period = None;
    manifest.trustees.count = 3;
    manifest.trustees.threshold = 2;
    let width = n.saturating_sub(1).to_string().len().max(4);
    let mut roll = String::from("email,name\n");
    for i in 0..n {
        roll.push_str(&format!("voter{i:0width$}@loadtest.example,Väljare {i}\n"));
    }

    let admin = super::client(&args.server)?;
    let password = admin_password()?;
    admin
        .admin_login(&args.admin_user, &password)
        .await
        .map_err(|e| anyhow::anyhow!("admin login as {}: {}", args.admin_user, refusal(&e)))?;
    drop(password);
    let created = admin
        .create_election(&CreateElection {
            manifest,
            orderer: Orderer {
                name: "Load tester".into(),
                email: "orderer@loadtest.example".into(),
            },
        })
        .await
        .map_err(|e| anyhow::anyhow!("creating the election: {}", refusal(&e)))?;
    let id = created.id.clone();
    println!("election {id}: {n} voters on the roll");
    admin
        .put_roll(&id, &roll)
        .await
        .map_err(|e| anyhow::anyhow!("uploading the roll: {}", refusal(&e)))?;
    admin
        .start_ceremony(&id)
        .await
        .map_err(|e| anyhow::anyhow!("starting the key ceremony: {}", refusal(&e)))?;

    let dir = args.trustee_dir.join(super::safe_dir_name(&id)?);
    let mut tasks = JoinSet::new();
    for t in &created.trustees {
        let session = TrusteeSession {
            client: super::client(&args.server)?,
            election: id.clone(),
            token: t.token.clone(),
            wait,
            say: Say::quiet(),
        };
        let dir = dir.clone();
        let index = t.index;
        tasks.spawn(async move {
            session
                .ceremony(&dir)
                .await
                .with_context(|| format!("trustee {index}"))
        });
    }
    let mut fingerprint = None;
    while let Some(joined) = tasks.join_next().await {
        fingerprint = Some(joined.context("a trustee task stopped")??.fingerprint);
    }
    let tokens: Vec<TrusteeToken> = created
        .trustees
        .iter()
        .map(|t| TrusteeToken {
            index: t.index,
            token: &t.token,
        })
        .collect();
    let tokens_path = dir.join("tokens.json");
    write_secret(&tokens_path, &tokens)?;
    println!(
        "key ceremony done; key shares and trustee tokens in {}",
        dir.display()
    );

    let orderer = super::client(&args.server)?;
    let view = orderer
        .orderer_view(&created.orderer_token)
        .await
        .map_err(|e| anyhow::anyhow!("orderer: {}", refusal(&e)))?;
    let shown = view.summary.fingerprint.context("no fingerprint")?;
    if Some(shown) != fingerprint {
        bail!("the orderer was shown another fingerprint than the trustees");
    }
    orderer
        .orderer_approve(
            &created.orderer_token,
            &Approve {
                fingerprint: shown,
                name: "Load tester".into(),
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("orderer: approving: {}", refusal(&e)))?;
    admin
        .open(&id)
        .await
        .map_err(|e| anyhow::anyhow!("opening: {}", refusal(&e)))?;
    println!("approved and open; waiting for the invitations");
    let invitations = wait_for_invitations(
        &args.mail_outbox,
        &id,
        n,
        Wait {
            poll: Duration::from_millis(500),
            limit: wait.limit,
        },
        &Say::new("  "),
    )
    .await?;
    Ok((id, invitations.into_iter().map(|(c, _)| c).collect()))
}

fn open_codes(path: &Path) -> Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))
}

async fn run_async(args: &LoadtestArgs) -> Result<bool> {
    let (id, credentials) = match (&args.election, &args.links) {
        (Some(id), Some(links)) => {
            let credentials = read_links(links)?;
            if credentials.len() < args.ballots {
                bail!(
                    "{} holds {} links, fewer than --ballots {}",
                    links.display(),
                    credentials.len(),
                    args.ballots
                );
            }
            (id.clone(), credentials)
        }
        _ => set_up(args).await?,
    };
    let credentials: Vec<String> = credentials.into_iter().take(args.ballots).collect();
    let mut codes_file = open_codes(&args.codes)?;
    codes_file.flush()?;

    let client = Client::with_options(
        &args.server,
        ClientOptions {
            pool_max_idle_per_host: args.concurrency,
            ..ClientOptions::default()
        },
    )?;
    let booth = client
        .booth(&id)
        .await
        .map_err(|e| anyhow::anyhow!("the booth of election {id}: {}", refusal(&e)))?;
    if booth.state != ElectionState::Open {
        bail!("election {id} is {}, not open", booth.state.as_str());
    }
    let context = context_of(&booth)?;

    // Every ballot encrypted, proved, signed and encoded before the clock starts.
    let start = Instant::now();
    let seed = rand::rngs::OsRng.next_u64();
    let encrypted: Vec<(String, Vec<u8>, PublicCredential)> = credentials
        .par_iter()
        .enumerate()
        .map(|(i, credential)| {
            let key = CredentialSecret::from_link_string(credential)
                .with_context(|| format!("link {} holds no credential", i + 1))?
                .derive_key(&context.setup_hash);
            let mut rng = ChaCha20Rng::seed_from_u64(seed ^ ((i as u64 + 1) << 20));
            let vote = random_vote(&context.manifest, &mut rng);
            let ballot = encrypt_ballot(&context, &key, &vote, &mut rng)?.cast();
            let public = PublicCredential {
                key: key.public().to_bytes(),
                weight: 1,
            };
            Ok((
                ballot.tracking_code().0,
                serde_json::to_vec(&ballot)?,
                public,
            ))
        })
        .collect::<Result<_>>()?;
    let n = encrypted.len();
    println!(
        "{n} ballots encrypted in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    let (ballots, publics): (Vec<(String, Vec<u8>)>, Vec<PublicCredential>) = encrypted
        .into_iter()
        .map(|(code, body, public)| ((code, body), public))
        .unzip();
    let verify_only = verify_only_rate(&context, publics, &ballots)?;
    println!(
        "{n} ballots decoded and verified locally in batches of {VERIFY_BATCH} on {} threads: \
         {verify_only:.1} ballots/s; casting with {} in flight",
        rayon::current_num_threads(),
        args.concurrency
    );

    let ballots = Arc::new(ballots);
    let next = Arc::new(AtomicUsize::new(0));
    let acknowledged = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let codes = Arc::new(Mutex::new(codes_file));
    let start = Instant::now();
    let mut workers = JoinSet::new();
    for _ in 0..args.concurrency.min(n) {
        let client = client.clone();
        let id = id.clone();
        let ballots = ballots.clone();
        let next = next.clone();
        let acknowledged = acknowledged.clone();
        let failed = failed.clone();
        let codes = codes.clone();
        workers.spawn(async move {
            let mut tally = Tally::default();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((code, body)) = ballots.get(i) else {
                    break;
                };
                let sent = Instant::now();
                let outcome = client.cast_json(&id, body.clone()).await;
                let latency = sent.elapsed();
                let error = match outcome {
                    Ok(receipt) if receipt.tracking_code == *code => {
                        // The 201 came: the code goes to the file before anything else.
                        let written = codes
                            .lock()
                            .map_err(|_| std::io::Error::other("poisoned"))
                            .and_then(|mut f| {
                                f.write_all(format!("{code}\n").as_bytes())?;
                                f.flush()
                            });
                        match written {
                            Ok(()) => {
                                tally.latencies.push(latency);
                                acknowledged.fetch_add(1, Ordering::Relaxed);
                                continue;
                            }
                            Err(_) => "codes_file_write".to_owned(),
                        }
                    }
                    Ok(_) => "wrong_tracking_code".to_owned(),
                    Err(e) => match e.code() {
                        Some(code) => code.to_owned(),
                        None if e.is_transport() => "no_answer".to_owned(),
                        None => "bad_answer".to_owned(),
                    },
                };
                failed.fetch_add(1, Ordering::Relaxed);
                *tally.errors.entry(error).or_default() += 1;
            }
            tally
        });
    }
    let ticker = {
        let acknowledged = acknowledged.clone();
        let failed = failed.clone();
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(Duration::from_secs(5));
            interval.tick().await;
            loop {
                interval.tick().await;
                println!(
                    "  {:>8.1} s: {} acknowledged, {} failed",
                    start.elapsed().as_secs_f64(),
                    acknowledged.load(Ordering::Relaxed),
                    failed.load(Ordering::Relaxed)
                );
            }
        })
    };
    let mut total = Tally::default();
    while let Some(joined) = workers.join_next().await {
        let tally = joined.context("a casting task stopped")?;
        total.latencies.extend(tally.latencies);
        for (k, v) in tally.errors {
            *total.errors.entry(k).or_default() += v;
        }
    }
    let elapsed = start.elapsed();
    ticker.abort();

    let ok = total.latencies.len();
    let errors: u64 = total.errors.values().sum();
    total.latencies.sort_unstable();
    println!("\nelection      {id}");
    println!(
        "ballots       {ok} of {n} acknowledged in {:.2} s: {:.1} ballots/s",
        elapsed.as_secs_f64(),
        ok as f64 / elapsed.as_secs_f64().max(1e-9)
    );
    println!(
        "latency       p50 {}  p90 {}  p99 {}  max {}",
        ms(quantile(&total.latencies, 0.50)),
        ms(quantile(&total.latencies, 0.90)),
        ms(quantile(&total.latencies, 0.99)),
        ms(total.latencies.last().copied().unwrap_or_default())
    );
    let cast_rate = ok as f64 / elapsed.as_secs_f64().max(1e-9);
    println!(
        "verify-only   {verify_only:.1} ballots/s here; cast / verify-only = {:.2} \
         (meaningful when the server runs on this machine)",
        cast_rate / verify_only.max(1e-9)
    );
    println!("codes         {} (appended)", args.codes.display());
    if errors > 0 {
        let summary: Vec<String> = total
            .errors
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        println!("failed        {errors}: {}", summary.join(", "));
        if total.errors.contains_key("rate_limited") {
            println!("              (start the server with --cast-rate-limit 0 for load tests)");
        }
    }
    Ok(errors == 0)
}

/// Ballots per second this machine decodes and batch-verifies on every core: what the server
/// must do for each ballot whatever else it does. Every ballot must verify.
fn verify_only_rate(
    context: &ElectionContext,
    publics: Vec<PublicCredential>,
    ballots: &[(String, Vec<u8>)],
) -> Result<f64> {
    // The voters' own public credentials stand in for the board's list: the lookup costs the
    // same, and a loadtest against an existing election need not download the list.
    let credentials = CredentialList::from_unsorted(publics)
        .validate()
        .context("the voters' public credentials")?;
    let start = Instant::now();
    let verified = ballots
        .par_chunks(VERIFY_BATCH)
        .map(|chunk| -> Result<usize> {
            let decoded = chunk
                .iter()
                .map(|(_, body)| serde_json::from_slice::<Ballot>(body))
                .collect::<serde_json::Result<Vec<Ballot>>>()?;
            let refs: Vec<&Ballot> = decoded.iter().collect();
            let results =
                verify_ballots_batched(context, &credentials, &refs, &mut rand::rngs::OsRng);
            Ok(results.iter().filter(|r| r.is_ok()).count())
        })
        .sum::<Result<usize>>()?;
    let elapsed = start.elapsed().as_secs_f64();
    if verified != ballots.len() {
        bail!(
            "{} of {} ballots failed local verification before casting",
            ballots.len() - verified,
            ballots.len()
        );
    }
    Ok(verified as f64 / elapsed.max(1e-9))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles() {
        let v: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(quantile(&v, 0.5), Duration::from_millis(50));
        assert_eq!(quantile(&v, 0.9), Duration::from_millis(90));
        assert_eq!(quantile(&v, 0.99), Duration::from_millis(99));
        assert_eq!(quantile(&v, 1.0), Duration::from_millis(100));
        assert_eq!(quantile(&[], 0.5), Duration::ZERO);
        let one = [Duration::from_millis(7)];
        assert_eq!(quantile(&one, 0.01), Duration::from_millis(7));
    }
}
