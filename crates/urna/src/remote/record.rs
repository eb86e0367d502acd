//! `urna record`: downloads elections' boards from a server as record directories, in the
//! format `urna verify` reads (spec/record.md §1).

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::Args;
use urna_api::client::Client;
use urna_crypto::Digest32;
use urna_election::board::{BoardEntry, Event};
use urna_election::record::{verify_record_dir, VerifyOptions, RECORD_FORMAT};

use super::{client, runtime, safe_dir_name};

#[derive(Debug, Args)]
pub struct RecordArgs {
    /// The server, e.g. http://127.0.0.1:8080.
    #[arg(long)]
    pub server: String,
    /// The election to download.
    #[arg(long, required_unless_present = "all", conflicts_with = "all")]
    pub election: Option<String>,
    /// Every public election, one subdirectory each, named by its id.
    #[arg(long)]
    pub all: bool,
    /// The record directory (with --all, the directory of record directories).
    #[arg(long)]
    pub out: PathBuf,
    /// Verify each record after downloading it (a running election as a partial record).
    #[arg(long)]
    pub verify: bool,
}

/// What a download wrote.
#[derive(Clone, Debug)]
pub struct Downloaded {
    pub entries: u64,
    /// The last entry's hash as the server sent it (all zeros for an empty or garbled board).
    pub head: Digest32,
    /// Whether the board holds the result.
    pub published: bool,
}

/// Calls `f` on every line of the election's `board.jsonl`, as it streams in.
pub async fn for_each_board_line(
    client: &Client,
    id: &str,
    mut f: impl FnMut(&str) -> Result<()>,
) -> Result<u64> {
    let mut lines = client.board_stream(id).await?;
    let mut count = 0;
    while let Some(line) = lines.next_line().await? {
        f(&line)?;
        count += 1;
    }
    Ok(count)
}

fn create_file(path: &Path) -> Result<BufWriter<File>> {
    Ok(BufWriter::new(
        File::create(path).with_context(|| format!("creating {}", path.display()))?,
    ))
}

fn write_json_file<T: serde::Serialize>(path: &Path, value: &T) -> Result<()> {
    let mut out = create_file(path)?;
    let json = serde_json::to_string_pretty(value)?;
    writeln!(out, "{json}").with_context(|| format!("writing {}", path.display()))?;
    out.flush()
        .with_context(|| format!("writing {}", path.display()))
}

/// Whether a board line is a setup or a result entry, from the entry's `type`, which comes
/// before the payload in the line (spec/record.md §6.1).
fn kind_hint(line: &str) -> Option<&'static str> {
    let head = &line.as_bytes()[..line.len().min(256)];
    let has = |needle: &[u8]| head.windows(needle.len()).any(|w| w == needle);
    if has(br#""type":"setup""#) {
        Some("setup")
    } else if has(br#""type":"result""#) {
        Some("result")
    } else {
        None
    }
}

/// Writes a record directory from board lines as they arrive: `board.jsonl` goes to a
/// temporary file (never held in memory) and is renamed into place by [`RecordWriter::finish`];
/// `manifest.json` and `result.json` are derived from the setup and result entries as
/// `urna_election::record::write_record` derives them. Files a voter or the demo added
/// (`receipts.txt`, `audits.jsonl`) are left alone.
#[derive(Debug)]
pub struct RecordWriter {
    dir: PathBuf,
    part: PathBuf,
    board: BufWriter<File>,
    manifest: Option<urna_election::ElectionManifest>,
    result: Option<urna_election::board::ElectionResult>,
    last: String,
    entries: u64,
}

impl RecordWriter {
    pub fn create(dir: &Path) -> Result<Self> {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let part = dir.join("board.jsonl.part");
        Ok(Self {
            dir: dir.to_path_buf(),
            board: create_file(&part)?,
            part,
            manifest: None,
            result: None,
            last: String::new(),
            entries: 0,
        })
    }

    /// One line of `board.jsonl`, without its newline.
    pub fn push_line(&mut self, line: &str) -> Result<()> {
        self.board
            .write_all(line.as_bytes())
            .and_then(|()| self.board.write_all(b"\n"))
            .with_context(|| format!("writing {}", self.part.display()))?;
        // Only the setup and the result are parsed here (a board may hold millions of
        // ballots); lines that do not parse are kept as they came: `urna verify` names them.
        if let Some(kind) = kind_hint(line) {
            if let Ok(event) = BoardEntry::parse_line(line).and_then(|e| e.event()) {
                match (kind, event) {
                    ("setup", Event::Setup(setup)) => self.manifest = Some(setup.manifest),
                    ("result", Event::Result(r)) => self.result = Some(r),
                    _ => {}
                }
            }
        }
        self.last.clear();
        self.last.push_str(line);
        self.entries += 1;
        Ok(())
    }

    /// Drops the partial board (a download that failed).
    pub fn abandon(self) {
        let part = self.part.clone();
        drop(self);
        let _ = fs::remove_file(part);
    }

    /// Completes the directory.
    pub fn finish(self) -> Result<Downloaded> {
        let Self {
            dir,
            part,
            board,
            manifest,
            result,
            last,
            entries,
        } = self;
        board
            .into_inner()
            .map_err(|e| e.into_error())
            .and_then(|file| file.sync_all())
            .with_context(|| format!("writing {}", part.display()))?;
        for stale in ["manifest.json", "result.json"] {
            let path = dir.join(stale);
            if path.exists() {
                fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
            }
        }
        let mut format = create_file(&dir.join("format.txt"))?;
        writeln!(format, "{RECORD_FORMAT}")?;
        format.flush()?;
        fs::rename(&part, dir.join("board.jsonl"))
            .with_context(|| format!("renaming {}", part.display()))?;
        if let Some(m) = &manifest {
            write_json_file(&dir.join("manifest.json"), m)?;
        }
        if let Some(r) = &result {
            write_json_file(&dir.join("result.json"), r)?;
        }
        let head = BoardEntry::parse_line(&last)
            .map(|e| e.hash)
            .unwrap_or(Digest32([0; 32]));
        Ok(Downloaded {
            entries,
            head,
            published: result.is_some(),
        })
    }
}

/// Downloads election `id` into the record directory `dir` (see [`RecordWriter`]).
pub async fn download_record(client: &Client, id: &str, dir: &Path) -> Result<Downloaded> {
    let mut writer = RecordWriter::create(dir)?;
    match for_each_board_line(client, id, |line| writer.push_line(line)).await {
        Ok(_) => writer.finish(),
        Err(e) => {
            writer.abandon();
            Err(e.context(format!("downloading the board of election {id}")))
        }
    }
}

pub fn run(args: &RecordArgs) -> Result<bool> {
    let client = client(&args.server)?;
    runtime()?.block_on(async {
        let targets: Vec<(String, PathBuf)> = if args.all {
            let elections = client.elections().await?;
            if elections.is_empty() {
                bail!("the server has no public elections yet");
            }
            let mut targets = Vec::new();
            for e in elections {
                let dir = args.out.join(safe_dir_name(&e.id)?);
                targets.push((e.id, dir));
            }
            targets
        } else {
            let id = args.election.clone().context("name --election or --all")?;
            vec![(id, args.out.clone())]
        };
        let mut all_valid = true;
        for (id, dir) in targets {
            let done = download_record(&client, &id, &dir).await?;
            println!(
                "{id}: {} entries, head {} → {}{}",
                done.entries,
                done.head,
                dir.display(),
                if done.published {
                    ""
                } else {
                    " (no result yet: verify with --partial)"
                }
            );
            if args.verify {
                let options = VerifyOptions {
                    allow_incomplete: !done.published,
                    receipts: Vec::new(),
                    audits: Vec::new(),
                };
                let dir2 = dir.clone();
                let verdict =
                    tokio::task::spawn_blocking(move || verify_record_dir(&dir2, &options, |_| {}))
                        .await
                        .context("the verifier stopped")?;
                match verdict {
                    Ok(report) => println!(
                        "  ✔ verified: {} events, {} ballots{}",
                        report.events,
                        report.ballots,
                        if report.complete {
                            ", result checked"
                        } else {
                            ""
                        }
                    ),
                    Err(e) => {
                        println!("  ✘ {e}");
                        all_valid = false;
                    }
                }
            }
        }
        Ok(all_valid)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;
    use urna_election::encrypt_ballot;
    use urna_election::record::write_record;
    use urna_election::simulate::{random_vote, OfflineElection};

    /// The board of a small simulated election, stopping after `voters` ballots when `close`
    /// is false.
    fn board(close: bool) -> (Vec<BoardEntry>, Vec<urna_election::TrackingCode>) {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let manifest = crate::scenario::department_order(10, 3, 2, false)
            .unwrap()
            .remove(1)
            .manifest;
        let mut election = OfflineElection::setup(manifest.clone()).unwrap();
        election.key_ceremony(None, &mut rng).unwrap();
        let secrets = election.issue_credentials(&[1; 4], &mut rng).unwrap();
        election.seal().unwrap();
        election
            .approve_and_open("orderer", "2027-03-01T09:00:00+01:00")
            .unwrap();
        let context = election.context().unwrap().clone();
        let ballots: Vec<_> = secrets
            .iter()
            .map(|s| {
                let key = s.derive_key(&context.setup_hash);
                let vote = random_vote(&manifest, &mut rng);
                encrypt_ballot(&context, &key, &vote, &mut rng)
                    .unwrap()
                    .cast()
            })
            .collect();
        let codes: Vec<_> = election
            .cast_many(ballots, &mut rng)
            .unwrap()
            .into_iter()
            .map(|c| c.unwrap())
            .collect();
        if close {
            election
                .close_and_tally("2027-03-08T16:00:00+01:00")
                .unwrap();
            election.decrypt(&[1, 3], &mut rng).unwrap();
            election.publish_result().unwrap();
        }
        (election.entries().to_vec(), codes)
    }

    fn write(dir: &Path, entries: &[BoardEntry]) -> Downloaded {
        let mut writer = RecordWriter::create(dir).unwrap();
        for e in entries {
            writer.push_line(&e.to_line().unwrap()).unwrap();
        }
        writer.finish().unwrap()
    }

    #[test]
    fn a_streamed_record_is_the_record_write_record_writes() {
        let (entries, codes) = board(true);
        let tmp = tempfile::tempdir().unwrap();
        let streamed = tmp.path().join("streamed");
        let reference = tmp.path().join("reference");
        let done = write(&streamed, &entries);
        assert_eq!(done.entries, entries.len() as u64);
        assert_eq!(done.head, entries.last().unwrap().hash);
        assert!(done.published);
        write_record(&reference, &entries, &[], &[]).unwrap();
        for name in ["format.txt", "board.jsonl", "manifest.json", "result.json"] {
            assert_eq!(
                fs::read(streamed.join(name)).unwrap(),
                fs::read(reference.join(name)).unwrap(),
                "{name}"
            );
        }
        assert!(!streamed.join("board.jsonl.part").exists());
        let options = VerifyOptions {
            allow_incomplete: false,
            receipts: codes,
            audits: Vec::new(),
        };
        let report = verify_record_dir(&streamed, &options, |_| {}).unwrap();
        assert!(report.complete);
        assert_eq!(report.receipts_checked, 4);
    }

    #[test]
    fn a_running_election_is_a_partial_record_and_a_rerun_replaces_it() {
        let (entries, _) = board(false);
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("r");
        let done = write(&dir, &entries);
        assert!(!done.published);
        assert!(!dir.join("result.json").exists());
        let partial = VerifyOptions {
            allow_incomplete: true,
            receipts: Vec::new(),
            audits: Vec::new(),
        };
        verify_record_dir(&dir, &partial, |_| {}).unwrap();
        assert!(verify_record_dir(&dir, &VerifyOptions::default(), |_| {}).is_err());

        // The same directory, later: the whole board again, now published.
        fs::write(dir.join("receipts.txt"), "").unwrap();
        let (complete, _) = board(true);
        let done = write(&dir, &complete);
        assert!(done.published);
        verify_record_dir(&dir, &VerifyOptions::default(), |_| {}).unwrap();
        assert!(dir.join("receipts.txt").exists(), "a voter's file is kept");
    }

    #[test]
    fn an_abandoned_download_leaves_no_board() {
        let tmp = tempfile::tempdir().unwrap();
        let mut writer = RecordWriter::create(tmp.path()).unwrap();
        writer.push_line("{\"seq\":0}").unwrap();
        writer.abandon();
        assert!(!tmp.path().join("board.jsonl").exists());
        assert!(!tmp.path().join("board.jsonl.part").exists());
    }

    #[test]
    fn kinds_are_seen_before_the_payload() {
        let (entries, _) = board(true);
        let kinds: Vec<_> = entries
            .iter()
            .map(|e| kind_hint(&e.to_line().unwrap()))
            .collect();
        assert_eq!(kinds.first(), Some(&Some("setup")));
        assert_eq!(kinds.last(), Some(&Some("result")));
        assert_eq!(kinds.iter().flatten().count(), 2);
    }
}
