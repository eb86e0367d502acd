//! `urna demo`: a complete election in one process, written out as a verifiable record.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Args;
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;
use urna_election::board::ElectionResult;
use urna_election::record::{verify_record_dir, write_record, VerifyOptions};
use urna_election::simulate::{random_vote, OfflineElection};
use urna_election::{encrypt_ballot, ElectionManifest};

use crate::scenario::{department_order, every_kind, DemoElection};

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Number of voters in all (split between the parallel elections as in the order).
    #[arg(long, default_value_t = 1000)]
    pub voters: usize,
    /// Where to write the records (one subdirectory per election).
    #[arg(long, default_value = "urna-demo")]
    pub out: PathBuf,
    /// Number of trustees.
    #[arg(long, default_value_t = 3)]
    pub trustees: u32,
    /// How many trustees it takes to decrypt.
    #[arg(long, default_value_t = 2)]
    pub threshold: u32,
    /// Instead of the department order, run one election with every kind of contest and
    /// this many options per contest.
    #[arg(long)]
    pub options: Option<usize>,
    /// Add a weighted vote (the union council's delegates, or weights 1–3 with --options).
    #[arg(long)]
    pub weighted: bool,
    /// Seed for a reproducible run (the default draws one).
    #[arg(long)]
    pub seed: Option<u64>,
    /// One voter in this many audits a ballot (Benaloh challenge) before casting.
    #[arg(long, default_value_t = 25)]
    pub audit_every: usize,
    /// Language of the printed result: sv or en.
    #[arg(long, default_value = "en")]
    pub lang: String,
    /// Run the elections through this server's API instead of in one process: the admin,
    /// each trustee, the orderer and the voters are separate clients (the admin's password
    /// comes from URNA_ADMIN_PASSWORD).
    #[arg(long)]
    pub server: Option<String>,
    /// With --server: the server's mail outbox directory, where voters find their invitations.
    #[arg(long, default_value = "urna-outbox")]
    pub mail_outbox: PathBuf,
    /// With --server: the admin account.
    #[arg(long, default_value = "admin")]
    pub admin_user: String,
    /// With --server: voters casting at once.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// With --server: seconds to wait for any one step (the ceremony, the mails, the result).
    #[arg(long, default_value_t = 600)]
    pub timeout: u64,
    /// With --server: leave this many voters of each election without a ballot and stop with
    /// voting open, printing their links — to try the browser booth. Close in /admin, then
    /// decrypt with the printed `urna trustee decrypt` commands.
    #[arg(long, default_value_t = 0, requires = "server")]
    pub leave_open: usize,
}

struct Phases(Vec<(&'static str, Duration)>);

impl Phases {
    fn time<T>(&mut self, name: &'static str, f: impl FnOnce() -> Result<T>) -> Result<T> {
        let start = Instant::now();
        let out = f()?;
        self.0.push((name, start.elapsed()));
        Ok(out)
    }
}

pub fn run(args: &DemoArgs) -> Result<()> {
    if args.voters == 0 {
        bail!("--voters must be at least 1");
    }
    urna_crypto::dkg::DkgParameters::new(args.trustees, args.threshold)
        .context("--trustees/--threshold")?;
    let seed = args.seed.unwrap_or_else(|| rand::rngs::OsRng.next_u64());
    if let Some(server) = &args.server {
        return crate::remote::runtime()?.block_on(crate::remote::demo::run(args, server, seed));
    }
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
    println!(
        "Urna demo: {} election(s), {} trustees (any {} decrypt), seed {seed}",
        elections.len(),
        args.trustees,
        args.threshold
    );
    for (i, election) in elections.iter().enumerate() {
        let dir = args.out.join(&election.manifest.election_id);
        run_one(election, &dir, seed.wrapping_add(i as u64), args)?;
    }
    println!("\nCheck it yourself:  urna verify {}", args.out.display());
    Ok(())
}

fn run_one(demo: &DemoElection, dir: &std::path::Path, seed: u64, args: &DemoArgs) -> Result<()> {
    let manifest = &demo.manifest;
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut phases = Phases(Vec::new());
    println!(
        "\n== {} — {} ({} voters)",
        manifest.election_id,
        manifest.title.get(&args.lang),
        demo.weights.len()
    );

    let mut election = OfflineElection::setup(manifest.clone())?;
    phases.time("key ceremony", || {
        Ok(election.key_ceremony(None, &mut rng).map(|_| ())?)
    })?;
    let secrets = phases.time("credentials", || {
        Ok(election.issue_credentials(&demo.weights, &mut rng)?)
    })?;
    let fingerprint = election.seal()?;
    election.approve_and_open("orderer", "2027-03-01T09:00:00+01:00")?;
    let context = election.context().context("sealed election")?.clone();

    // Voters, each in their own booth: some audit a ballot first, then cast a fresh one.
    let booths = phases.time("voting (encrypt + prove + sign)", || {
        secrets
            .par_iter()
            .enumerate()
            .map(|(i, secret)| {
                let mut rng = ChaCha20Rng::seed_from_u64(seed ^ ((i as u64 + 1) << 20));
                let key = secret.derive_key(&context.setup_hash);
                let audit = if args.audit_every > 0 && i % args.audit_every == 0 {
                    let vote = random_vote(manifest, &mut rng);
                    let audited = encrypt_ballot(&context, &key, &vote, &mut rng)?.audit();
                    if audited.verify(&context)? != vote {
                        bail!("an audited ballot did not open to its vote");
                    }
                    Some(audited)
                } else {
                    None
                };
                let vote = random_vote(manifest, &mut rng);
                let ballot = encrypt_ballot(&context, &key, &vote, &mut rng)?.cast();
                Ok((vote, ballot, audit))
            })
            .collect::<Result<Vec<_>>>()
    })?;
    let mut expected: Vec<Vec<u64>> = manifest
        .contests
        .iter()
        .map(|c| vec![0; c.selection_count()])
        .collect();
    let mut ballots = Vec::with_capacity(booths.len());
    let mut audits = Vec::new();
    for ((vote, ballot, audit), weight) in booths.into_iter().zip(&demo.weights) {
        for (sums, values) in expected.iter_mut().zip(&vote) {
            for (s, v) in sums.iter_mut().zip(values) {
                *s += v * weight;
            }
        }
        ballots.push(ballot);
        audits.extend(audit);
    }

    let receipts = phases.time("casting (verify + append)", || {
        let mut codes = Vec::with_capacity(ballots.len());
        for chunk in ballots.chunks(256) {
            for outcome in election.cast_many(chunk.to_vec(), &mut rng)? {
                codes.push(outcome?);
            }
        }
        Ok(codes)
    })?;
    phases.time("close + tally", || {
        Ok(election.close_and_tally("2027-03-08T16:00:00+01:00")?)
    })?;
    // One trustee stays away when the threshold allows it.
    let decrypting: Vec<u32> = if args.threshold < args.trustees {
        (2..=args.threshold + 1).collect()
    } else {
        (1..=args.trustees).collect()
    };
    phases.time("threshold decryption", || {
        Ok(election.decrypt(&decrypting, &mut rng)?)
    })?;
    let result = phases.time("result", || Ok(election.publish_result()?))?;
    let totals: Vec<Vec<u64>> = result.contests.iter().map(|c| c.totals.clone()).collect();
    if totals != expected {
        bail!("the decrypted result differs from the plaintext count");
    }
    phases.time("write record", || {
        Ok(write_record(dir, election.entries(), &receipts, &audits)?)
    })?;
    let report = phases.time("verify record", || {
        verify_record_dir(dir, &VerifyOptions::default(), |_| {})
            .map_err(|e| anyhow::anyhow!("{e}"))
    })?;

    print_result(manifest, &result, &args.lang);
    println!("fingerprint  {fingerprint}");
    println!("board head   {} ({} events)", report.head, report.events);
    println!(
        "ballots      {} cast, {} audited, decrypted by trustees {:?}",
        report.ballots,
        audits.len(),
        result.decrypted_by
    );
    println!("record       {}", dir.display());
    for (name, duration) in &phases.0 {
        println!("  {name:<34} {:>10.1} ms", duration.as_secs_f64() * 1e3);
    }
    Ok(())
}

pub(crate) fn print_result(manifest: &ElectionManifest, result: &ElectionResult, lang: &str) {
    let weighted = if manifest.weighted { " (weighted)" } else { "" };
    println!(
        "result{weighted}: {} ballots counted",
        result.ballots_counted
    );
    for (contest, totals) in manifest.contests.iter().zip(&result.contests) {
        println!("  {}", contest.title.get(lang));
        let mut labels: Vec<&str> = contest.options.iter().map(|o| o.label.get(lang)).collect();
        if let Some(blank) = &contest.blank {
            labels.push(blank.get(lang));
        }
        for (label, total) in labels.iter().zip(&totals.totals) {
            println!("    {label:<32} {total:>8}");
        }
    }
}
