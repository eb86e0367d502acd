//! `urna demo --server URL`: the offline demo's elections, run through a server's API by
//! separate parties — the admin, each trustee (its own client and token, concurrently), the
//! orderer and the voters (who take their links from the server's mail outbox) — then
//! downloaded as records and verified like `urna verify` does.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use urna_api::client::{Client, ClientError};
use urna_api::{Approve, CreateElection, CreatedElection, ElectionState, Orderer};
use urna_election::ballot::{AuditedBallot, Ballot, TrackingCode};
use urna_election::credential::CredentialSecret;
use urna_election::encrypt_ballot;
use urna_election::record::{verify_record_dir, VerifyOptions};
use urna_election::simulate::random_vote;

use super::record::download_record;
use super::trustee::{CeremonyDone, TrusteeSession};
use super::{admin_password, context_of, refusal, retrying, wait_for_invitations, Say, Wait};
use crate::demo::{print_result, DemoArgs};
use crate::scenario::{department_order, every_kind, DemoElection};

const TEACHERS_ROLL: &str = include_str!("../../../../tests/fixtures/roll-teachers.csv");
const TECHNICAL_STAFF_ROLL: &str =
    include_str!("../../../../tests/fixtures/roll-technical-staff.csv");
const UNION_ROLL: &str = include_str!("../../../../tests/fixtures/roll-union-council-weighted.csv");

/// The person who ordered the elections (tests/fixtures/order-department-board.md).
const ORDERER_NAME: &str = "Prefekt";
const ORDERER_EMAIL: &str = "prefekt@math.example.edu";

/// The roll for a demo election: the fixture roll cut to its voters, or a synthetic one.
fn roll_csv(demo: &DemoElection) -> Result<String> {
    let n = demo.weights.len();
    let fixture = match demo.manifest.election_id.as_str() {
        "teachers" => Some(TEACHERS_ROLL),
        "technical-staff" => Some(TECHNICAL_STAFF_ROLL),
        "union-council" => Some(UNION_ROLL),
        _ => None,
    };
    if let Some(text) = fixture {
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        let header = lines.next().context("an empty fixture roll")?;
        let body: Vec<&str> = lines.take(n).collect();
        if body.len() != n {
            bail!(
                "the fixture roll of {} has only {} voters, not {n}",
                demo.manifest.election_id,
                body.len()
            );
        }
        return Ok(format!("{header}\n{}\n", body.join("\n")));
    }
    let mut csv = String::from(if demo.manifest.weighted {
        "email,name,weight\n"
    } else {
        "email,name\n"
    });
    for (i, w) in demo.weights.iter().enumerate() {
        if demo.manifest.weighted {
            csv.push_str(&format!("voter{i:05}@demo.example,Väljare {i},{w}\n"));
        } else {
            csv.push_str(&format!("voter{i:05}@demo.example,Väljare {i}\n"));
        }
    }
    Ok(csv)
}

/// Address → weight of a roll (header first; weight 1 when the column is absent).
fn roll_weights(csv: &str) -> HashMap<String, u64> {
    csv.lines()
        .skip(1)
        .filter_map(|line| {
            let mut fields = line.split(',');
            let email = fields.next()?.trim().to_ascii_lowercase();
            let weight = fields
                .nth(1)
                .and_then(|w| w.trim().parse().ok())
                .unwrap_or(1);
            Some((email, weight))
        })
        .collect()
}

struct Phases(Vec<(&'static str, Duration)>);

impl Phases {
    fn done(&mut self, name: &'static str, start: Instant) {
        self.0.push((name, start.elapsed()));
    }
}

/// One election as the admin set it up.
struct Setup<'a> {
    demo: &'a DemoElection,
    created: CreatedElection,
    weights: HashMap<String, u64>,
    label: String,
}

/// What one voter did.
struct Voted {
    code: TrackingCode,
    vote: Vec<Vec<u64>>,
    weight: Option<u64>,
    audit: Option<AuditedBallot>,
}

pub async fn run(args: &DemoArgs, server: &str, seed: u64) -> Result<()> {
    let elections = match args.options {
        Some(0) => bail!("--options must be at least 1"),
        Some(k) => vec![every_kind(
            args.voters,
            k,
            args.trustees,
            args.threshold,
            args.weighted,
        )],
        None => department_order(args.voters, args.trustees, args.threshold, args.weighted)?,
    };
    let wait = Wait {
        poll: Duration::from_millis(200),
        limit: Some(Duration::from_secs(args.timeout)),
    };
    let outbox = args.mail_outbox.as_path();
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let mut phases = Phases(Vec::new());
    println!(
        "Urna demo against {server}: {} election(s), {} trustees (any {} decrypt), seed {seed}",
        elections.len(),
        args.trustees,
        args.threshold
    );

    // The admin: logs in, creates the elections, uploads the rolls, starts the ceremonies.
    let start = Instant::now();
    let admin = super::client(server)?;
    let password = admin_password()?;
    admin
        .admin_login(&args.admin_user, &password)
        .await
        .map_err(|e| anyhow::anyhow!("admin login as {}: {}", args.admin_user, refusal(&e)))?;
    drop(password);
    println!("admin: logged in as {}", args.admin_user);
    let mut setups = Vec::new();
    for demo in &elections {
        let created = admin
            .create_election(&CreateElection {
                manifest: demo.manifest.clone(),
                orderer: Orderer {
                    name: ORDERER_NAME.into(),
                    email: ORDERER_EMAIL.into(),
                },
            })
            .await
            .map_err(|e| {
                anyhow::anyhow!("creating {}: {}", demo.manifest.election_id, refusal(&e))
            })?;
        let csv = roll_csv(demo)?;
        let imported = admin
            .put_roll(&created.id, &csv)
            .await
            .map_err(|e| roll_refusal(&demo.manifest.election_id, &e))?;
        let label = format!("[{}] ", demo.manifest.election_id);
        println!(
            "{label}admin: created election {} with {} voters (weight {})",
            created.id, imported.voters, imported.total_weight
        );
        for warning in &imported.warnings {
            println!("{label}admin: warning: {warning}");
        }
        setups.push(Setup {
            demo,
            weights: roll_weights(&csv),
            created,
            label,
        });
    }
    for s in &setups {
        admin.start_ceremony(&s.created.id).await.map_err(|e| {
            anyhow::anyhow!("{}starting the key ceremony: {}", s.label, refusal(&e))
        })?;
    }
    phases.done("admin: create, rolls, ceremony", start);

    // The trustees: each its own client and token, all at once.
    let start = Instant::now();
    let keys_dir = args.out.join("trustees");
    let mut tasks = JoinSet::new();
    for (e, s) in setups.iter().enumerate() {
        for t in &s.created.trustees {
            let session = TrusteeSession {
                client: super::client(server)?,
                election: s.created.id.clone(),
                token: t.token.clone(),
                wait,
                say: Say::quiet(),
            };
            let dir = keys_dir.join(&s.demo.manifest.election_id);
            let index = t.index;
            tasks.spawn(async move { (e, index, session.ceremony(&dir).await) });
        }
    }
    let mut ceremonies: Vec<Vec<CeremonyDone>> = setups.iter().map(|_| Vec::new()).collect();
    while let Some(joined) = tasks.join_next().await {
        let (e, index, outcome) = joined.context("a trustee task stopped")?;
        let label = &setups[e].label;
        let done = outcome.with_context(|| format!("{label}trustee {index}"))?;
        ceremonies[e].push(done);
    }
    for (s, done) in setups.iter().zip(&mut ceremonies) {
        done.sort_by_key(|d| d.index);
        let seen: Vec<_> = done
            .iter()
            .map(|d| (d.fingerprint, d.election_key))
            .collect();
        if seen.windows(2).any(|w| w[0] != w[1]) {
            bail!(
                "{}the trustees computed different election keys or saw different fingerprints",
                s.label
            );
        }
        println!(
            "{}trustees {:?}: key ceremony complete, key shares in {}",
            s.label,
            done.iter().map(|d| d.index).collect::<Vec<_>>(),
            keys_dir.join(&s.demo.manifest.election_id).display()
        );
    }
    phases.done("trustees: key ceremony", start);

    // The orderer reviews the fingerprint and approves; the admin opens.
    let start = Instant::now();
    for (s, done) in setups.iter().zip(&ceremonies) {
        let orderer = super::client(server)?;
        let view = orderer
            .orderer_view(&s.created.orderer_token)
            .await
            .map_err(|e| anyhow::anyhow!("{}orderer: {}", s.label, refusal(&e)))?;
        let fingerprint = view
            .summary
            .fingerprint
            .context("the orderer was shown no fingerprint")?;
        if done.first().map(|d| d.fingerprint) != Some(fingerprint) {
            bail!(
                "{}the orderer was shown another fingerprint than the trustees",
                s.label
            );
        }
        let summary = orderer
            .orderer_approve(
                &s.created.orderer_token,
                &Approve {
                    fingerprint,
                    name: ORDERER_NAME.into(),
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("{}orderer: approving: {}", s.label, refusal(&e)))?;
        println!(
            "{}orderer: approved fingerprint {fingerprint} ({} voters, weight {})",
            s.label, summary.voters, view.total_weight
        );
        let summary = admin
            .open(&s.created.id)
            .await
            .map_err(|e| anyhow::anyhow!("{}admin: opening: {}", s.label, refusal(&e)))?;
        if summary.state != ElectionState::Open {
            bail!(
                "{}the election is {:?} after opening",
                s.label,
                summary.state
            );
        }
        println!("{}admin: voting is open", s.label);
    }
    phases.done("orderer: approve; admin: open", start);

    // The voters: links from the mail outbox; each encrypts in its booth and casts.
    let start = Instant::now();
    let mut voted_all = Vec::new();
    let mut left_open = Vec::new();
    for (e, s) in setups.iter().enumerate() {
        let n = s.demo.weights.len();
        let say = Say::new(format!("{}voters: ", s.label));
        let mut invitations = wait_for_invitations(outbox, &s.created.id, n, wait, &say).await?;
        let unvoted = invitations.split_off(n - args.leave_open.min(n));
        left_open.push(unvoted);
        let voted = vote_all(
            server,
            &s.created.id,
            invitations,
            &s.weights,
            seed.wrapping_add(e as u64),
            args,
        )
        .await
        .with_context(|| format!("{}voting", s.label))?;
        println!(
            "{}voters: {} ballots cast, {} audited first",
            s.label,
            voted.len(),
            voted.iter().filter(|v| v.audit.is_some()).count()
        );
        voted_all.push(voted);
    }
    phases.done("voters: encrypt + cast", start);
    if args.leave_open > 0 {
        leave_open(server, &setups, &ceremonies, &left_open, &decrypting(args));
        return Ok(());
    }

    // The admin closes; `t` trustees decrypt (one stays away when the threshold allows).
    let start = Instant::now();
    for s in &setups {
        let summary = admin
            .close(&s.created.id)
            .await
            .map_err(|e| anyhow::anyhow!("{}admin: closing: {}", s.label, refusal(&e)))?;
        println!(
            "{}admin: voting closed with {} ballots",
            s.label, summary.ballots
        );
    }
    let decrypting = decrypting(args);
    let mut tasks = JoinSet::new();
    for (s, done) in setups.iter().zip(&ceremonies) {
        for d in done.iter().filter(|d| decrypting.contains(&d.index)) {
            let token = s
                .created
                .trustees
                .iter()
                .find(|t| t.index == d.index)
                .map(|t| t.token.clone())
                .context("a trustee without a token")?;
            let session = TrusteeSession {
                client: super::client(server)?,
                election: s.created.id.clone(),
                token,
                wait,
                say: Say::quiet(),
            };
            let key_file = d.key_file.clone();
            let label = s.label.clone();
            let index = d.index;
            tasks.spawn(async move {
                session
                    .decrypt(&key_file)
                    .await
                    .with_context(|| format!("{label}trustee {index}: decrypting"))
            });
        }
    }
    while let Some(joined) = tasks.join_next().await {
        joined.context("a trustee task stopped")??;
    }
    let observer = super::client(server)?;
    for s in &setups {
        wait.until(
            "the result",
            &Say::quiet(),
            || observer.election(&s.created.id),
            |summary| Ok((summary.state == ElectionState::Published).then_some(())),
        )
        .await
        .with_context(|| format!("{}waiting for the result", s.label))?;
        println!(
            "{}trustees {decrypting:?}: decrypted; the result is published",
            s.label
        );
    }
    phases.done("admin: close; trustees: decrypt", start);

    // Anyone: download the records and verify them, receipts and audits included.
    let start = Instant::now();
    let mut all_valid = true;
    for (s, voted) in setups.iter().zip(&voted_all) {
        let ok = check_election(&observer, s, voted, &args.out, &args.lang).await?;
        all_valid &= ok;
    }
    phases.done("record: download + verify", start);
    println!();
    for (name, duration) in &phases.0 {
        println!("  {name:<36} {:>10.1} ms", duration.as_secs_f64() * 1e3);
    }
    println!("\nCheck it yourself:  urna verify {}", args.out.display());
    if all_valid {
        println!("VALID: every check passed.");
        Ok(())
    } else {
        bail!("INVALID: see the failed check above")
    }
}

/// The trustees that decrypt: one stays away when the threshold allows.
fn decrypting(args: &DemoArgs) -> Vec<u32> {
    if args.threshold < args.trustees {
        (2..=args.threshold + 1).collect()
    } else {
        (1..=args.trustees).collect()
    }
}

/// `--leave-open`: voting stays open; says how to vote in the browser and how to finish.
fn leave_open(
    server: &str,
    setups: &[Setup<'_>],
    ceremonies: &[Vec<CeremonyDone>],
    unvoted: &[Vec<super::Invitation>],
    decrypting: &[u32],
) {
    let base = server.trim_end_matches('/');
    println!("\nVoting stays open. Vote in the browser with these links (one ballot each):");
    for (s, links) in setups.iter().zip(unvoted) {
        for (credential, recipient) in links {
            println!(
                "{}{}: {base}/vote/{}#{credential}",
                s.label,
                recipient.as_deref().unwrap_or("voter"),
                s.created.id
            );
        }
    }
    println!("\nWatch the elections at {base}/ and close them at {base}/admin; then decrypt:");
    for (s, done) in setups.iter().zip(ceremonies) {
        for d in done.iter().filter(|d| decrypting.contains(&d.index)) {
            if let Some(t) = s.created.trustees.iter().find(|t| t.index == d.index) {
                println!(
                    "  URNA_TRUSTEE_TOKEN={} urna trustee decrypt --server {base} --election {} --key {}",
                    t.token,
                    s.created.id,
                    d.key_file.display()
                );
            }
        }
    }
}

fn roll_refusal(election: &str, e: &ClientError) -> anyhow::Error {
    let mut text = format!("uploading the roll of {election}: {}", refusal(e));
    if let Some(api) = e.api() {
        for d in api.body.details.iter().take(10) {
            text.push_str(&format!("\n  line {}: {}", d.line, d.reason));
        }
    }
    anyhow::anyhow!(text)
}

/// Every voter of one election, `--concurrency` at a time.
async fn vote_all(
    server: &str,
    id: &str,
    invitations: Vec<super::Invitation>,
    weights: &HashMap<String, u64>,
    seed: u64,
    args: &DemoArgs,
) -> Result<Vec<Voted>> {
    let client = super::client(server)?;
    let limit = Arc::new(Semaphore::new(args.concurrency.max(1)));
    let rate_note = Arc::new(AtomicBool::new(false));
    let mut tasks = JoinSet::new();
    for (i, (credential, recipient)) in invitations.into_iter().enumerate() {
        let client = client.clone();
        let id = id.to_owned();
        let limit = limit.clone();
        let rate_note = rate_note.clone();
        let weight = recipient.and_then(|r| weights.get(&r).copied());
        let audit = args.audit_every > 0 && i % args.audit_every == 0;
        let rng_seed = seed ^ ((i as u64 + 1) << 20);
        let timeout = Duration::from_secs(args.timeout);
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await?;
            let mut voted = vote(
                &client,
                &id,
                &credential,
                audit,
                rng_seed,
                timeout,
                &rate_note,
            )
            .await
            .with_context(|| format!("voter {}", i + 1))?;
            voted.weight = weight;
            anyhow::Ok(voted)
        });
    }
    let mut out = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        out.push(joined.context("a voter task stopped")??);
    }
    Ok(out)
}

/// One voter: the booth, the credential from the link, maybe an audit, the ballot, the cast.
async fn vote(
    client: &Client,
    id: &str,
    credential: &str,
    audit: bool,
    seed: u64,
    timeout: Duration,
    rate_note: &AtomicBool,
) -> Result<Voted> {
    let booth = retrying(|| client.booth(id))
        .await
        .map_err(|e| anyhow::anyhow!("the booth: {}", refusal(&e)))?;
    if booth.state != ElectionState::Open {
        bail!("the booth says voting is {}", booth.state.as_str());
    }
    let context = context_of(&booth)?;
    let key = CredentialSecret::from_link_string(credential)
        .context("the link holds no credential")?
        .derive_key(&booth.setup_hash);
    let (vote, ballot, audited) = tokio::task::spawn_blocking(move || {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let audited = if audit {
            let vote = random_vote(&context.manifest, &mut rng);
            let audited = encrypt_ballot(&context, &key, &vote, &mut rng)?.audit();
            if audited.verify(&context)? != vote {
                bail!("an audited ballot did not open to its vote");
            }
            Some(audited)
        } else {
            None
        };
        let vote = random_vote(&context.manifest, &mut rng);
        let ballot = encrypt_ballot(&context, &key, &vote, &mut rng)?.cast();
        anyhow::Ok((vote, ballot, audited))
    })
    .await
    .context("the booth stopped")??;
    let code = cast(client, id, &ballot, timeout, rate_note).await?;
    Ok(Voted {
        code,
        vote,
        weight: None,
        audit: audited,
    })
}

/// Casts until the server acknowledges: waits out rate limits, retries when no answer came
/// (a retry of a ballot that did get in is recognised by its tracking code).
pub async fn cast(
    client: &Client,
    id: &str,
    ballot: &Ballot,
    timeout: Duration,
    rate_note: &AtomicBool,
) -> Result<TrackingCode> {
    let expected = ballot.tracking_code();
    let start = Instant::now();
    let mut retried = false;
    loop {
        let error = match client.cast(id, ballot).await {
            Ok(receipt) => {
                if receipt.tracking_code != expected.0 {
                    bail!(
                        "the server acknowledged tracking code {}, but the ballot's is {expected}",
                        receipt.tracking_code
                    );
                }
                return Ok(expected);
            }
            Err(e) => e,
        };
        match error.code() {
            Some("already_voted" | "conflict") if retried => {
                if client.lookup(id, &expected.0).await?.is_some() {
                    return Ok(expected);
                }
                bail!("casting: {}", refusal(&error));
            }
            _ if error.is_retryable() && start.elapsed() < timeout => {
                if error.status() == Some(429) && !rate_note.swap(true, Ordering::Relaxed) {
                    println!(
                        "note: the server limits ballots per client address; the demo waits \
                         (start the server with --cast-rate-limit 0 for a faster demo)"
                    );
                }
                retried = true;
                let wait = error
                    .api()
                    .and_then(|a| a.retry_after)
                    .unwrap_or(Duration::from_millis(500));
                tokio::time::sleep(wait).await;
            }
            _ => bail!("casting: {}", refusal(&error)),
        }
    }
}

/// Downloads, verifies and prints one election; returns whether every check passed.
async fn check_election(
    observer: &Client,
    s: &Setup<'_>,
    voted: &[Voted],
    out: &Path,
    lang: &str,
) -> Result<bool> {
    let manifest = &s.demo.manifest;
    let dir: PathBuf = out.join(&manifest.election_id);
    let downloaded = download_record(observer, &s.created.id, &dir).await?;
    let receipts: Vec<TrackingCode> = voted.iter().map(|v| v.code.clone()).collect();
    let audits: Vec<AuditedBallot> = voted.iter().filter_map(|v| v.audit.clone()).collect();
    write_lines(
        &dir.join("receipts.txt"),
        receipts.iter().map(|r| r.0.clone()),
    )?;
    let audit_lines = audits
        .iter()
        .map(serde_json::to_string)
        .collect::<Result<Vec<_>, _>>()?;
    write_lines(&dir.join("audits.jsonl"), audit_lines.into_iter())?;

    // A few tracking codes looked up as a voter would; audited ballots must not be there.
    for code in receipts.iter().take(5) {
        let found = observer.lookup(&s.created.id, &code.0).await?;
        if !found.is_some_and(|f| f.counted) {
            bail!(
                "{}tracking code {code} is not counted on the board",
                s.label
            );
        }
    }
    for a in audits.iter().take(5) {
        let code = a.ballot.tracking_code();
        if observer.lookup(&s.created.id, &code.0).await?.is_some() {
            bail!("{}an audited ballot {code} is on the board", s.label);
        }
    }

    let verify_dir = dir.clone();
    let verdict = tokio::task::spawn_blocking(move || {
        verify_record_dir(&verify_dir, &VerifyOptions::default(), |_| {})
    })
    .await
    .context("the verifier stopped")?;
    println!(
        "\n== {} — {} (election {} on the server)",
        manifest.election_id,
        manifest.title.get(lang),
        s.created.id
    );
    let report = match verdict {
        Ok(report) => report,
        Err(e) => {
            println!("✘ {}\n    {e}", dir.display());
            return Ok(false);
        }
    };
    let Some(result) = &report.result else {
        println!("✘ the record has no result");
        return Ok(false);
    };
    let served = observer.result(&s.created.id).await?;
    if served != *result {
        println!("✘ the server's result differs from the verified record's");
        return Ok(false);
    }
    if voted.iter().all(|v| v.weight.is_some()) {
        let mut expected: Vec<Vec<u64>> = manifest
            .contests
            .iter()
            .map(|c| vec![0; c.selection_count()])
            .collect();
        for v in voted {
            let w = if manifest.weighted {
                v.weight.unwrap_or(1)
            } else {
                1
            };
            for (sums, values) in expected.iter_mut().zip(&v.vote) {
                for (sum, value) in sums.iter_mut().zip(values) {
                    *sum += value * w;
                }
            }
        }
        let totals: Vec<Vec<u64>> = result.contests.iter().map(|c| c.totals.clone()).collect();
        if totals != expected {
            println!("✘ the decrypted result differs from the voters' plaintext count");
            return Ok(false);
        }
    } else {
        println!(
            "(the invitations did not name their recipients: result not compared with the votes)"
        );
    }
    print_result(manifest, result, lang);
    if let Some(fp) = &report.fingerprint {
        println!("fingerprint  {fp}");
    }
    println!("board head   {} ({} events)", report.head, report.events);
    println!(
        "ballots      {} cast, {} audited, decrypted by trustees {:?}",
        report.ballots, report.audits_checked, result.decrypted_by
    );
    println!(
        "receipts     all {} tracking codes are on the board",
        report.receipts_checked
    );
    println!(
        "record       {} ({} entries downloaded)",
        dir.display(),
        downloaded.entries
    );
    println!("✔ verified");
    Ok(report.receipts_checked == voted.len())
}

fn write_lines(path: &Path, lines: impl Iterator<Item = String>) -> Result<()> {
    use std::io::Write;
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut out = std::io::BufWriter::new(file);
    for line in lines {
        writeln!(out, "{line}")?;
    }
    out.flush()
        .with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rolls_are_cut_from_the_fixtures() {
        let elections = department_order(10, 3, 2, true).unwrap();
        let rolls: Vec<String> = elections.iter().map(|e| roll_csv(e).unwrap()).collect();
        assert_eq!(rolls[0].lines().count(), 1 + 6);
        assert_eq!(rolls[1].lines().count(), 1 + 4);
        assert_eq!(rolls[2].lines().count(), 1 + 45);
        assert!(rolls[0].starts_with("email,name\n"));
        let weights = roll_weights(&rolls[2]);
        assert_eq!(weights.len(), 45);
        assert_eq!(
            weights.values().sum::<u64>(),
            elections[2].weights.iter().sum::<u64>()
        );
        assert_eq!(weights.get("mohammed.sjogren@union.example.org"), Some(&3));
        let teachers = roll_weights(&rolls[0]);
        assert!(teachers.values().all(|&w| w == 1));
    }

    #[test]
    fn synthetic_rolls_carry_weights() {
        let e = every_kind(5, 3, 3, 2, true);
        let csv = roll_csv(&e).unwrap();
        assert!(csv.starts_with("email,name,weight\n"));
        let weights = roll_weights(&csv);
        assert_eq!(weights.get("voter00001@demo.example"), Some(&2));
    }
}
