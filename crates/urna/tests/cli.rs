//! The `urna` binary as a user runs it: `demo`, `verify` (text and JSON, on honest and
//! tampered records, exit codes 0/1/2) and the trustee ceremony on files.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn urna(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_urna"))
        .args(args)
        .output()
        .expect("running urna")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn describe(output: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        stdout(output),
        stderr(output)
    )
}

fn p(path: &Path) -> &str {
    path.to_str().expect("UTF-8 temporary path")
}

/// Runs `urna demo --voters 40 --seed 1` into `out`, asserting success.
fn demo(out: &Path) {
    let output = urna(&["demo", "--voters", "40", "--out", p(out), "--seed", "1"]);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    assert!(
        stdout(&output).contains("fingerprint"),
        "{}",
        describe(&output)
    );
}

#[test]
fn demo_then_verify_text_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    demo(&out);
    assert!(out.join("teachers/board.jsonl").is_file());
    assert!(out.join("technical-staff/board.jsonl").is_file());

    let output = urna(&["verify", p(&out)]);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    assert!(stdout(&output).contains("VALID"), "{}", describe(&output));
    assert!(
        !stdout(&output).contains("INVALID"),
        "{}",
        describe(&output)
    );

    // One record directory directly.
    let output = urna(&["verify", p(&out.join("teachers"))]);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));

    let output = urna(&["verify", "--json", p(&out)]);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let json: Value = serde_json::from_str(&stdout(&output))
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", describe(&output)));
    let outcomes = json.as_array().expect("a JSON array");
    assert_eq!(outcomes.len(), 2, "teachers and technical staff");
    for outcome in outcomes {
        assert_eq!(outcome["valid"], Value::Bool(true), "{outcome}");
        assert!(outcome["report"]["fingerprint"].is_string(), "{outcome}");
    }
}

fn copy_record(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

fn board_lines(record: &Path) -> Vec<String> {
    fs::read_to_string(record.join("board.jsonl"))
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn write_board(record: &Path, lines: &[String]) {
    let mut text = lines.join("\n");
    text.push('\n');
    fs::write(record.join("board.jsonl"), text).unwrap();
}

/// The index of the `n`th ballot line.
fn ballot_line(lines: &[String], n: usize) -> usize {
    lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.contains(r#""type":"ballot""#))
        .nth(n)
        .map(|(i, _)| i)
        .expect("enough ballot lines")
}

/// Changes one hex digit inside the payload of `line` (not its `prev` or `hash`).
fn flip_payload_hex(line: &str) -> String {
    let start = line.find(r#""payload":"#).expect("a payload") + r#""payload":"#.len();
    let end = line.rfind(r#","hash":"#).expect("a hash");
    let bytes = line.as_bytes();
    // The first run of 64 hex digits in the payload; change its sixth digit.
    let mut i = start;
    while i < end {
        if bytes[i] == b'"' {
            let run = bytes[i + 1..end]
                .iter()
                .take_while(|b| b.is_ascii_hexdigit())
                .count();
            if run >= 64 {
                let at = i + 6;
                let old = bytes[at];
                let new = if old == b'0' { '1' } else { '0' };
                let mut out = line.to_owned();
                out.replace_range(at..at + 1, &new.to_string());
                assert_ne!(out, line);
                return out;
            }
        }
        i += 1;
    }
    panic!("no hex string in the payload");
}

fn assert_invalid(record: &Path, check: &str) {
    let output = urna(&["verify", p(record)]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let text = stdout(&output);
    assert!(
        text.contains(&format!("check {check} failed")),
        "expected check {check}: {}",
        describe(&output)
    );
    assert!(text.contains("INVALID"), "{}", describe(&output));

    let output = urna(&["verify", "--json", p(record)]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let json: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(json[0]["valid"], Value::Bool(false));
    assert!(json[0]["error"]["message"].is_string());
}

#[test]
fn tampered_teachers_records_are_invalid() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    demo(&out);
    let teachers = out.join("teachers");
    let lines = board_lines(&teachers);

    // A ballot line deleted: the sequence numbers skip.
    let record = dir.path().join("deleted");
    copy_record(&teachers, &record);
    let mut doctored = lines.clone();
    doctored.remove(ballot_line(&lines, 3));
    write_board(&record, &doctored);
    assert_invalid(&record, "V2");

    // A line duplicated: the sequence number repeats.
    let record = dir.path().join("duplicated");
    copy_record(&teachers, &record);
    let mut doctored = lines.clone();
    let i = ballot_line(&lines, 2);
    doctored.insert(i + 1, lines[i].clone());
    write_board(&record, &doctored);
    assert_invalid(&record, "V2");

    // One hex digit of a ballot's payload changed: its hash no longer recomputes.
    let record = dir.path().join("altered");
    copy_record(&teachers, &record);
    let mut doctored = lines.clone();
    let i = ballot_line(&lines, 1);
    doctored[i] = flip_payload_hex(&lines[i]);
    write_board(&record, &doctored);
    assert_invalid(&record, "V4");

    // The untouched copy still verifies.
    let output = urna(&["verify", p(&teachers)]);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
}

#[test]
fn verify_of_a_missing_directory_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-record");
    let output = urna(&["verify", p(&missing)]);
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    let message = stderr(&output);
    assert!(message.contains("error"), "{}", describe(&output));
    assert!(message.contains("no-such-record"), "{}", describe(&output));
}

#[test]
fn demo_every_kind_weighted() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo2");
    let output = urna(&[
        "demo",
        "--options",
        "3",
        "--weighted",
        "--voters",
        "20",
        "--out",
        p(&out),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    assert!(out.join("every-kind/board.jsonl").is_file());
    let output = urna(&["verify", p(&out)]);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
}

#[test]
fn demo_five_trustees_threshold_three() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo3");
    let output = urna(&[
        "demo",
        "--trustees",
        "5",
        "--threshold",
        "3",
        "--voters",
        "10",
        "--out",
        p(&out),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let output = urna(&["verify", p(&out)]);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
}

#[test]
fn demo_rejects_bad_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bad");
    let output = urna(&[
        "demo",
        "--trustees",
        "2",
        "--threshold",
        "3",
        "--voters",
        "5",
        "--out",
        p(&out),
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    let output = urna(&["demo", "--voters", "0", "--out", p(&out)]);
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
}

/// Reads each file as JSON and writes them as one JSON array.
fn assemble(parts: &[PathBuf], to: &Path) {
    let values: Vec<Value> = parts
        .iter()
        .map(|path| serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap())
        .collect();
    fs::write(to, serde_json::to_string_pretty(&values).unwrap()).unwrap();
}

fn run_ok(args: &[&str]) -> String {
    let output = urna(args);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{args:?}: {}",
        describe(&output)
    );
    stdout(&output)
}

#[test]
fn trustee_ceremony_on_files() {
    use std::os::unix::fs::PermissionsExt;

    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let context = "ab".repeat(32);
    let indices = [1u32, 2, 3];
    let file = |name: &str, i: u32| d.join(format!("{name}{i}.json"));

    for i in indices {
        let out = run_ok(&[
            "trustee",
            "start",
            "--context",
            &context,
            "--trustees",
            "3",
            "--threshold",
            "2",
            "--index",
            &i.to_string(),
            "--state",
            p(&file("state", i)),
            "--out",
            p(&file("round1-", i)),
        ]);
        assert!(out.contains("Round 1 ready"), "{out}");
        let mode = fs::metadata(file("state", i)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "state file mode {mode:o}");
    }

    // `start` refuses to overwrite a secret state file (and leaves it as it was).
    let before = fs::read(file("state", 1)).unwrap();
    let output = urna(&[
        "trustee",
        "start",
        "--context",
        &context,
        "--trustees",
        "3",
        "--threshold",
        "2",
        "--index",
        "1",
        "--state",
        p(&file("state", 1)),
        "--out",
        p(&d.join("round1-again.json")),
    ]);
    assert_ne!(output.status.code(), Some(0), "{}", describe(&output));
    assert!(
        stderr(&output).contains("must not exist"),
        "{}",
        describe(&output)
    );
    assert_eq!(fs::read(file("state", 1)).unwrap(), before);
    assert!(!d.join("round1-again.json").exists());

    let round1 = d.join("round1.json");
    assemble(&indices.map(|i| file("round1-", i)), &round1);
    for i in indices {
        let out = run_ok(&[
            "trustee",
            "deal",
            "--state",
            p(&file("state", i)),
            "--round1",
            p(&round1),
            "--out",
            p(&file("round2-", i)),
        ]);
        assert!(out.contains("Round 2 ready"), "{out}");
    }
    let round2 = d.join("round2.json");
    assemble(&indices.map(|i| file("round2-", i)), &round2);
    for i in indices {
        let out = run_ok(&[
            "trustee",
            "check",
            "--state",
            p(&file("state", i)),
            "--round1",
            p(&round1),
            "--round2",
            p(&round2),
            "--out",
            p(&file("round3-", i)),
        ]);
        assert!(!out.contains("Complaint"), "{out}");
    }
    let round3 = d.join("round3.json");
    assemble(&indices.map(|i| file("round3-", i)), &round3);
    let mut keys = Vec::new();
    for i in indices {
        let out = run_ok(&[
            "trustee",
            "finish",
            "--state",
            p(&file("state", i)),
            "--round1",
            p(&round1),
            "--round2",
            p(&round2),
            "--round3",
            p(&round3),
            "--key",
            p(&file("key", i)),
        ]);
        assert!(!out.contains("Blame"), "{out}");
        let key = out
            .lines()
            .find_map(|l| l.split("Election key ").nth(1))
            .unwrap_or_else(|| panic!("no election key in {out:?}"))
            .trim()
            .to_owned();
        assert_eq!(key.len(), 64, "{key:?}");
        keys.push(key);

        let mode = fs::metadata(file("key", i)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "key file mode {mode:o}");
        assert!(!file("state", i).exists(), "state file {i} not removed");
    }
    assert!(keys.iter().all(|k| *k == keys[0]), "{keys:?}");

    // Finishing again would overwrite the key file: refused (the state is gone anyway).
    let output = urna(&[
        "trustee",
        "finish",
        "--state",
        p(&file("state", 1)),
        "--round1",
        p(&round1),
        "--round2",
        p(&round2),
        "--round3",
        p(&round3),
        "--key",
        p(&file("key", 1)),
    ]);
    assert_ne!(output.status.code(), Some(0), "{}", describe(&output));

    // The key share is for this ceremony's election, not for a demo's.
    let out = d.join("demo");
    demo(&out);
    let decryption = d.join("decryption.json");
    let output = urna(&[
        "trustee",
        "decrypt",
        "--key",
        p(&file("key", 1)),
        "--record",
        p(&out.join("teachers")),
        "--out",
        p(&decryption),
    ]);
    assert_ne!(output.status.code(), Some(0), "{}", describe(&output));
    assert!(
        stderr(&output).contains("another election"),
        "{}",
        describe(&output)
    );
    assert!(!decryption.exists());

    // The browser's sealed backup of the same share is read too (spec/record.md §11): a wrong
    // passphrase is refused, the right one opens it (and reaches the same election check).
    let plain = fs::read(file("key", 1)).unwrap();
    let sealed = urna_election::sealed::seal(
        "a long trustee passphrase",
        urna_election::sealed::TRUSTEE_KEY_SHARE,
        "trustee 1",
        &plain,
        &mut rand::rngs::OsRng,
    )
    .unwrap();
    let sealed_path = d.join("key1.sealed.json");
    fs::write(&sealed_path, serde_json::to_string(&sealed).unwrap()).unwrap();
    let run_sealed = |passphrase: &str| {
        Command::new(env!("CARGO_BIN_EXE_urna"))
            .args(["trustee", "decrypt", "--key", p(&sealed_path), "--record"])
            .arg(out.join("teachers"))
            .arg("--out")
            .arg(&decryption)
            .env("URNA_KEY_PASSPHRASE", passphrase)
            .output()
            .unwrap()
    };
    let output = run_sealed("not the passphrase");
    assert_ne!(output.status.code(), Some(0), "{}", describe(&output));
    assert!(
        stderr(&output).contains("wrong passphrase"),
        "{}",
        describe(&output)
    );
    let output = run_sealed("a long trustee passphrase");
    assert!(
        stderr(&output).contains("another election"),
        "{}",
        describe(&output)
    );
    assert!(!decryption.exists());
}

/// A voter's audit file from the booth is checked with `urna verify --audit`: it verifies
/// when honest, and an audited ballot whose revealed value was changed is refused (V25).
#[test]
fn verify_checks_a_booths_audit_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    demo(&out);
    let record = out.join("teachers");
    let audits = fs::read_to_string(record.join("audits.jsonl")).unwrap();
    let first = audits.lines().next().expect("the demo audits some ballots");
    // The record's own audits.jsonl is moved away so only the given file is checked.
    fs::remove_file(record.join("audits.jsonl")).unwrap();
    let file = dir.path().join("audit.json");
    fs::write(&file, first).unwrap();
    let output = urna(&["verify", "--json", p(&record), "--audit", p(&file)]);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let verdict: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(verdict[0]["report"]["audits_checked"], 1, "{verdict}");

    let mut audit: Value = serde_json::from_str(first).unwrap();
    let value = audit["openings"][0][0]["value"].as_u64().unwrap();
    audit["openings"][0][0]["value"] = (1 - value).into();
    fs::write(&file, audit.to_string()).unwrap();
    let output = urna(&["verify", "--json", p(&record), "--audit", p(&file)]);
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let verdict: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(verdict[0]["error"]["check"], "audits", "{verdict}");

    let output = urna(&[
        "verify",
        p(&record),
        "--audit",
        p(&dir.path().join("none.json")),
    ]);
    assert_ne!(output.status.code(), Some(0), "{}", describe(&output));
    assert!(
        stderr(&output).contains("none.json"),
        "{}",
        describe(&output)
    );
}

/// Every metric `urna bench` promises, with its unit: the names are a stable interface (IT
/// staff compare runs across machines and versions).
const BENCH_METRICS: &[(&str, &str)] = &[
    ("group.point_add", "us"),
    ("group.decompress", "us"),
    ("group.compress", "us"),
    ("group.varbase_mul", "us"),
    ("group.basepoint_mul", "us"),
    ("group.msm_per_term", "us"),
    ("aggregate.floor_per_ciphertext", "us"),
    ("aggregate.per_ciphertext", "us"),
    ("aggregate.ratio_to_floor", "x"),
    ("ballot.verify_floor", "us"),
    ("ballot.verify_naive", "us"),
    ("ballot.verify_batched", "us"),
    ("ballot.naive_ratio_to_floor", "x"),
    ("ballot.batched_ratio_to_floor", "x"),
    ("ballot.naive_over_batched", "x"),
    ("batch64.verify_floor_per_ballot", "us"),
    ("batch64.verify_batched_per_ballot", "us"),
    ("batch64.batched_ratio_to_floor", "x"),
    ("batch64.naive_over_batched", "x"),
    ("prove.encrypt_and_prove", "us"),
    ("prove.encrypt_and_prove_precomputed_key", "us"),
    ("prove.precompute_key_table", "us"),
    ("prove.floor_precomputed_key", "us"),
    ("prove.precomputed_ratio_to_floor", "x"),
    ("verify.threads", "threads"),
    ("verify.ballots_per_second_one_core", "ballots/s"),
    ("verify.ballots_per_second_all_cores", "ballots/s"),
    ("verify.speedup_all_cores", "x"),
];

#[test]
fn bench_prints_every_metric_as_name_value_unit_and_as_json() {
    let output = urna(&["bench", "--quick", "--threads", "2"]);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let text = stdout(&output);
    let lines: Vec<Vec<&str>> = text.lines().map(|l| l.split(' ').collect()).collect();
    assert_eq!(lines.len(), BENCH_METRICS.len(), "{text}");
    for (fields, (name, unit)) in lines.iter().zip(BENCH_METRICS) {
        assert_eq!(fields.len(), 3, "not `name value unit`: {fields:?}");
        assert_eq!((fields[0], fields[2]), (*name, *unit), "{text}");
        let value: f64 = fields[1].parse().expect("a number");
        assert!(value.is_finite() && value > 0.0, "{name} = {value}");
    }
    assert!(text.contains("verify.threads 2 threads"), "{text}");

    let output = urna(&["bench", "--quick", "--json", "--threads", "1"]);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    let metrics = report["metrics"].as_array().expect("metrics");
    let names: Vec<(&str, &str)> = metrics
        .iter()
        .map(|m| (m["name"].as_str().unwrap(), m["unit"].as_str().unwrap()))
        .collect();
    assert_eq!(names, BENCH_METRICS, "{report}");
    let threads = metrics.iter().find(|m| m["name"] == "verify.threads");
    assert_eq!(threads.map(|m| m["value"].as_f64()), Some(Some(1.0)));
    assert_eq!(report["urna"], env!("CARGO_PKG_VERSION"));

    let output = urna(&["bench", "--threads", "many"]);
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
}
