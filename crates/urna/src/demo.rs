//! `urna demo`: a complete election in one process, written out as a verifiable record.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::Args;
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;
use urna_election::ballot::{AuditedBallot, Ballot, ElectionContext};
use urna_election::board::ElectionResult;
use urna_election::board::MAX_LINE_BYTES;
use urna_election::credential::CredentialSecret;
use urna_election::record::{
    verify_record_dir, write_derived_files, write_record, BoardWriter, VerifyOptions,
};
use urna_election::simulate::{random_vote, OfflineElection};
use urna_election::{encrypt_ballot, ElectionManifest, TrackingCode};

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
    /// Write board.jsonl, receipts.txt and audits.jsonl as the ballots are made, a few
    /// thousand at a time, instead of holding the whole election in memory (which takes about
    /// 56 KB per voter): for records of hundreds of thousands of ballots. The record is the
    /// same as without it (for the same seed) but is not verified here: run `urna verify`.
    #[arg(long, conflicts_with = "server")]
    pub stream: bool,
}

/// Voters encrypted at once with --stream: a multiple of the casting batch, so the board and
/// every random draw are the same as without --stream.
const STREAM_VOTERS: usize = 16 * CAST_BATCH;
/// Ballots the simulated board checks at once (a few in tests, so that a small election
/// streams in several chunks).
const CAST_BATCH: usize = if cfg!(test) { 4 } else { 256 };

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

fn run_one(demo: &DemoElection, dir: &Path, seed: u64, args: &DemoArgs) -> Result<()> {
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
    // The credential list is one board line; a longer one than a verifier reads (spec/record.md
    // §6.1) would make a record nobody can check, so stop before the hours of voting.
    if let Some(list) = election.entries().last() {
        let bytes = list.to_line()?.len();
        if bytes > MAX_LINE_BYTES {
            bail!(
                "{} voters make a credential list of {:.1} MiB, more than the {} MiB a board \
                 line may have (spec/record.md §6.1): use fewer voters per election",
                demo.weights.len(),
                bytes as f64 / f64::from(1 << 20),
                MAX_LINE_BYTES >> 20
            );
        }
    }
    let fingerprint = election.seal()?;
    election.approve_and_open("orderer", "2027-03-01T09:00:00+01:00")?;
    let context = election.context().context("sealed election")?.clone();

    let mut expected: Vec<Vec<u64>> = manifest
        .contests
        .iter()
        .map(|c| vec![0; c.selection_count()])
        .collect();
    if args.stream {
        return run_streamed(
            demo, dir, seed, args, election, rng, phases, secrets, expected,
        );
    }
    // Voters, each in their own booth: some audit a ballot first, then cast a fresh one.
    let booths = phases.time("voting (encrypt + prove + sign)", || {
        vote(&context, manifest, &secrets, 0, seed, args.audit_every)
    })?;
    let mut ballots = Vec::with_capacity(booths.len());
    let mut audits = Vec::new();
    for ((vote, ballot, audit), weight) in booths.into_iter().zip(&demo.weights) {
        count(&mut expected, &vote, *weight);
        ballots.push(ballot);
        audits.extend(audit);
    }

    let receipts = phases.time("casting (verify + append)", || {
        let mut codes = Vec::with_capacity(ballots.len());
        for chunk in ballots.chunks(CAST_BATCH) {
            for outcome in election.cast_many(chunk.to_vec(), &mut rng)? {
                codes.push(outcome?);
            }
        }
        Ok(codes)
    })?;
    phases.time("close + tally", || {
        Ok(election.close_and_tally("2027-03-08T16:00:00+01:00")?)
    })?;
    let decrypting = decrypting_trustees(args);
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

/// What one voter did: the vote, the ballot cast and the ballot audited before it, if any.
type Booth = (Vec<Vec<u64>>, Ballot, Option<AuditedBallot>);

/// Voters `first..` (one per secret), each in their own booth and with their own generator, so
/// they run in parallel and the outcome does not depend on how they are split up: some audit
/// a ballot first, then cast a fresh one.
fn vote(
    context: &ElectionContext,
    manifest: &ElectionManifest,
    secrets: &[CredentialSecret],
    first: usize,
    seed: u64,
    audit_every: usize,
) -> Result<Vec<Booth>> {
    secrets
        .par_iter()
        .enumerate()
        .map(|(k, secret)| {
            let i = first + k;
            let mut rng = ChaCha20Rng::seed_from_u64(seed ^ ((i as u64 + 1) << 20));
            let key = secret.derive_key(&context.setup_hash);
            let audit = if audit_every > 0 && i % audit_every == 0 {
                let vote = random_vote(manifest, &mut rng);
                let audited = encrypt_ballot(context, &key, &vote, &mut rng)?.audit();
                if audited.verify(context)? != vote {
                    bail!("an audited ballot did not open to its vote");
                }
                Some(audited)
            } else {
                None
            };
            let vote = random_vote(manifest, &mut rng);
            let ballot = encrypt_ballot(context, &key, &vote, &mut rng)?.cast();
            Ok((vote, ballot, audit))
        })
        .collect()
}

/// Adds a weighted vote to the plaintext count.
fn count(expected: &mut [Vec<u64>], vote: &[Vec<u64>], weight: u64) {
    for (sums, values) in expected.iter_mut().zip(vote) {
        for (s, v) in sums.iter_mut().zip(values) {
            *s += v * weight;
        }
    }
}

/// One of a record's line files (receipts.txt, audits.jsonl), created at its first line, as
/// `write_record` leaves out an empty one.
struct LineFile {
    path: PathBuf,
    out: Option<BufWriter<File>>,
    lines: usize,
}

impl LineFile {
    fn new(path: PathBuf) -> Self {
        Self {
            path,
            out: None,
            lines: 0,
        }
    }

    fn write(&mut self, line: &str) -> Result<()> {
        let out = match &mut self.out {
            Some(out) => out,
            None => self.out.insert(BufWriter::new(
                File::create(&self.path).with_context(|| self.path.display().to_string())?,
            )),
        };
        writeln!(out, "{line}").with_context(|| self.path.display().to_string())?;
        self.lines += 1;
        Ok(())
    }

    fn finish(self) -> Result<usize> {
        if let Some(mut out) = self.out {
            out.flush()
                .with_context(|| self.path.display().to_string())?;
        }
        Ok(self.lines)
    }
}

/// The rest of [`run_one`] with --stream: voters vote and the board takes their ballots
/// [`STREAM_VOTERS`] at a time, and every line goes to disk as it is made.
#[allow(clippy::too_many_arguments)]
fn run_streamed(
    demo: &DemoElection,
    dir: &Path,
    seed: u64,
    args: &DemoArgs,
    mut election: OfflineElection,
    mut rng: ChaCha20Rng,
    mut phases: Phases,
    secrets: Vec<CredentialSecret>,
    mut expected: Vec<Vec<u64>>,
) -> Result<()> {
    let manifest = &demo.manifest;
    let context = election.context().context("sealed election")?.clone();
    election.stream_to(Box::new(BoardWriter::create(dir)?))?;
    let mut receipts = LineFile::new(dir.join("receipts.txt"));
    let mut audits = LineFile::new(dir.join("audits.jsonl"));
    phases.time("voting and casting (streamed)", || {
        for (n, chunk) in secrets.chunks(STREAM_VOTERS).enumerate() {
            let first = n * STREAM_VOTERS;
            let booths = vote(&context, manifest, chunk, first, seed, args.audit_every)?;
            let weights = demo.weights.get(first..).unwrap_or_default();
            let mut ballots = Vec::with_capacity(booths.len());
            for ((vote, ballot, audit), weight) in booths.into_iter().zip(weights) {
                count(&mut expected, &vote, *weight);
                ballots.push(ballot);
                if let Some(audit) = audit {
                    audits.write(&serde_json::to_string(&audit)?)?;
                }
            }
            for batch in ballots.chunks(CAST_BATCH) {
                for outcome in election.cast_many(batch.to_vec(), &mut rng)? {
                    let code: TrackingCode = outcome?;
                    receipts.write(&code.to_string())?;
                }
            }
        }
        Ok(())
    })?;
    phases.time("close + tally", || {
        Ok(election.close_and_tally("2027-03-08T16:00:00+01:00")?)
    })?;
    let decrypting = decrypting_trustees(args);
    phases.time("threshold decryption", || {
        Ok(election.decrypt(&decrypting, &mut rng)?)
    })?;
    let result = phases.time("result", || Ok(election.publish_result()?))?;
    let totals: Vec<Vec<u64>> = result.contests.iter().map(|c| c.totals.clone()).collect();
    if totals != expected {
        bail!("the decrypted result differs from the plaintext count");
    }
    let (cast, audited) = phases.time("finish the record files", || {
        election.end_stream()?;
        write_derived_files(dir, election.entries())?;
        Ok((receipts.finish()?, audits.finish()?))
    })?;
    let head = election.entries().last().context("an empty board")?;

    print_result(manifest, &result, &args.lang);
    if let Some(context) = election.context() {
        println!("fingerprint  {}", context.fingerprint);
    }
    println!("board head   {} ({} events)", head.hash, head.seq + 1);
    println!(
        "ballots      {cast} cast, {audited} audited, decrypted by trustees {:?}",
        result.decrypted_by
    );
    println!("record       {} (not verified yet)", dir.display());
    for (name, duration) in &phases.0 {
        println!("  {name:<34} {:>10.1} ms", duration.as_secs_f64() * 1e3);
    }
    Ok(())
}

/// One trustee stays away when the threshold allows it.
fn decrypting_trustees(args: &DemoArgs) -> Vec<u32> {
    if args.threshold < args.trustees {
        (2..=args.threshold + 1).collect()
    } else {
        (1..=args.trustees).collect()
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        demo: DemoArgs,
    }

    fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
        let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read(e.path()).unwrap(),
                )
            })
            .collect();
        out.sort();
        out
    }

    /// --stream writes the very record the in-memory demo writes (over several chunks of
    /// voters here), and it verifies.
    #[test]
    fn a_streamed_demo_writes_the_same_record() {
        let tmp = tempfile::tempdir().unwrap();
        let demo = |name: &str, stream: bool| {
            let out = tmp.path().join(name);
            let mut argv = vec!["urna", "--voters", "150", "--options", "2", "--seed", "5"];
            argv.extend(["--audit-every", "7", "--out", out.to_str().unwrap()]);
            if stream {
                argv.push("--stream");
            }
            run(&Cli::parse_from(argv).demo).unwrap();
            out.join("every-kind")
        };
        const { assert!(150 > 2 * STREAM_VOTERS, "several chunks") };
        let in_memory = demo("memory", false);
        let streamed = demo("streamed", true);
        let written = files(&streamed);
        let names: Vec<&str> = written.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "audits.jsonl",
                "board.jsonl",
                "format.txt",
                "manifest.json",
                "receipts.txt",
                "result.json"
            ]
        );
        assert!(written == files(&in_memory), "the records differ");
        let report = verify_record_dir(&streamed, &VerifyOptions::default(), |_| {}).unwrap();
        assert_eq!(report.ballots, 150);
        assert_eq!(report.receipts_checked, 150);
        assert_eq!(report.audits_checked, 22);
    }
}
