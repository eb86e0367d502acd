//! Criterion benchmarks of urna-crypto's hot paths, each beside its bare group-operation floor
//! in the same criterion group, so that the ratio can be read straight off one run.
//!
//! Groups (see `bench/README.md` for the numbers and their analysis):
//! - `single_op`: the group operations everything else is made of;
//! - `aggregate_1000`: summing 1000 decoded ciphertexts vs 2000 bare point additions;
//! - `ballot_verify_sum1to3`, `ballot_verify_sum0to10`: one 10-option ballot (10 range proofs
//!   over `0..=1`, one sum proof) naive, batched, and the floor (decompress what the ballot
//!   carries + one multiscalar multiplication with as many terms as the batch);
//! - `ballot_batch_100`: 100 such ballots in one batch vs the same floor for 100 ballots;
//! - `ballot_prove`: encrypt + prove one ballot (plain key, and with the key's table) vs the
//!   bare scalar multiplications it needs.
//!
//! The bounded discrete log (baby-step giant-step) is in `benches/dlog.rs`; `benches/ratios.rs`
//! re-measures the ratios with the hot path and its floor interleaved, which is robust to the
//! machine's speed drifting during a run.

use std::cell::OnceCell;
use std::hint::black_box;
use std::ops::RangeInclusive;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;
use urna_bench::fixtures::{
    prove_ballot, rng, verify_ballot, AggregateFixture, ProveFixture, VerifyFixture, AGGREGATE_N,
    BATCH_BALLOTS,
};
use urna_crypto::transcript::{context_transcript, TranscriptProtocol};
use urna_crypto::{BatchVerifier, EachEquation, PrecomputedKey};

/// A verification fixture, described on stderr; a fixture that fails to build stops the run.
fn verify_fixture(
    name: &str,
    count: usize,
    sum_range: &RangeInclusive<u64>,
    seed: u64,
) -> VerifyFixture {
    match VerifyFixture::new(count, sum_range, seed) {
        Ok(fixture) => {
            eprintln!("{name}: {}", fixture.describe());
            fixture
        }
        Err(e) => panic!("{name}: the fixture does not build: {e:#}"),
    }
}

fn prove_fixture(sum_range: &RangeInclusive<u64>) -> ProveFixture {
    let fixture = ProveFixture::new(sum_range);
    eprintln!("ballot_prove floor: {}", fixture.describe());
    fixture
}

// ---------------------------------------------------------------------------------------------
// Groups. Fixtures are built lazily (`OnceCell`), inside the first benchmark of the group that
// runs, so that a filtered run (`cargo bench -p urna-bench -- ballot_verify`) or a profile
// (`--profile-time`) does not pay for, or record, the other groups' set-up.
// ---------------------------------------------------------------------------------------------

fn single_ops(c: &mut Criterion) {
    let mut rng = rng(1);
    let p = RistrettoPoint::random(&mut rng);
    let q = RistrettoPoint::random(&mut rng);
    let compressed = p.compress();
    let s = Scalar::random(&mut rng);
    let t = Scalar::random(&mut rng);
    let bytes = s.to_bytes();

    let mut g = c.benchmark_group("single_op");
    g.bench_function("point_add", |b| b.iter(|| black_box(&p) + black_box(&q)));
    g.bench_function("decompress", |b| {
        b.iter(|| black_box(&compressed).decompress())
    });
    g.bench_function("compress", |b| b.iter(|| black_box(&p).compress()));
    g.bench_function("varbase_mul", |b| b.iter(|| black_box(&p) * black_box(&s)));
    g.bench_function("basepoint_table_mul", |b| {
        b.iter(|| RISTRETTO_BASEPOINT_TABLE * black_box(&s))
    });
    g.bench_function("vartime_double_base_mul", |b| {
        b.iter(|| {
            RistrettoPoint::vartime_double_scalar_mul_basepoint(
                black_box(&s),
                black_box(&p),
                black_box(&t),
            )
        })
    });
    // Pieces of the verifiers' bookkeeping, to apportion the overhead above the floors.
    g.bench_function("scalar_mul", |b| b.iter(|| black_box(&s) * black_box(&t)));
    g.bench_function("scalar_from_canonical_bytes", |b| {
        b.iter(|| Scalar::from_canonical_bytes(black_box(bytes)))
    });
    g.bench_function("transcript_new_and_challenge", |b| {
        b.iter(|| {
            let mut t = context_transcript(b"ballot", black_box(&[3u8]));
            t.challenge_scalar(b"challenge")
        })
    });
    g.bench_function("transcript_append_branch", |b| {
        let mut t = context_transcript(b"ballot", &[3u8]);
        let point = urna_crypto::PointBytes::from_point(&p);
        b.iter(|| {
            t.append_u64_le(b"branch", 1);
            t.append_point_bytes(b"a", black_box(&point));
            t.append_point_bytes(b"b", black_box(&point));
        })
    });
    g.bench_function("batch_weight_16_bytes", |b| {
        // What `BatchVerifier::weight` does per equation.
        let mut weights = Transcript::new(b"urna/batch-weights/v1")
            .build_rng()
            .finalize(&mut rng);
        b.iter(|| {
            let mut out = [0u8; 32];
            rand::RngCore::fill_bytes(&mut weights, &mut out[..16]);
            Scalar::from_bytes_mod_order(out)
        })
    });
    g.finish();
}

fn aggregate(c: &mut Criterion) {
    let fixture = OnceCell::new();
    let fixture = || fixture.get_or_init(AggregateFixture::new);

    let mut g = c.benchmark_group("aggregate_1000");
    g.throughput(Throughput::Elements(AGGREGATE_N as u64));
    g.bench_function("ciphertext_sum", |b| {
        let f = fixture();
        b.iter(|| f.sum())
    });
    g.bench_function("ciphertext_add_assign", |b| {
        let f = fixture();
        b.iter(|| f.add_assign())
    });
    g.bench_function("floor_2000_point_adds", |b| {
        let f = fixture();
        b.iter(|| f.floor())
    });
    g.finish();
}

fn ballot_verify(c: &mut Criterion, name: &str, sum_range: RangeInclusive<u64>) {
    let fixture = OnceCell::new();
    let fixture = || fixture.get_or_init(|| verify_fixture(name, 1, &sum_range, 3));

    let mut g = c.benchmark_group(name);
    g.bench_function("naive", |b| {
        let f = fixture();
        b.iter(|| verify_ballot(black_box(&f.ballots[0]), &f.key, &mut EachEquation))
    });
    g.bench_function("batched", |b| {
        let (f, mut rng) = (fixture(), rng(6));
        b.iter(|| black_box(f).verify_batched(&mut rng, false))
    });
    g.bench_function("batched_presized", |b| {
        let (f, mut rng) = (fixture(), rng(6));
        b.iter(|| black_box(f).verify_batched(&mut rng, true))
    });
    g.bench_function("batched_queue_only", |b| {
        let (f, mut rng) = (fixture(), rng(6));
        b.iter(|| {
            let mut batch = BatchVerifier::new(&mut rng);
            verify_ballot(black_box(&f.ballots[0]), &f.key, &mut batch)?;
            Ok::<_, urna_crypto::CryptoError>(batch)
        })
    });
    g.bench_function("floor", |b| {
        let f = fixture();
        b.iter(|| black_box(&f.floor).run())
    });
    g.bench_function("floor_decompress_only", |b| {
        let f = fixture();
        b.iter(|| black_box(&f.floor).decompress())
    });
    g.bench_function("floor_msm_only", |b| {
        let f = fixture();
        b.iter(|| black_box(&f.floor).msm(black_box(&f.points)))
    });
    g.bench_function("floor_full_width_scalars", |b| {
        let f = fixture();
        b.iter(|| black_box(&f.floor_full).run())
    });
    g.finish();
}

fn ballot_verify_1to3(c: &mut Criterion) {
    ballot_verify(c, "ballot_verify_sum1to3", 1..=3);
}

fn ballot_verify_0to10(c: &mut Criterion) {
    ballot_verify(c, "ballot_verify_sum0to10", 0..=10);
}

fn ballot_batch(c: &mut Criterion) {
    let name = "ballot_batch_100";
    let fixture = OnceCell::new();
    let fixture = || fixture.get_or_init(|| verify_fixture(name, BATCH_BALLOTS, &(1..=3), 4));

    let mut g = c.benchmark_group(name);
    g.sampling_mode(SamplingMode::Flat);
    g.sample_size(10);
    g.throughput(Throughput::Elements(BATCH_BALLOTS as u64));
    g.bench_function("batched", |b| {
        let (f, mut rng) = (fixture(), rng(6));
        b.iter(|| black_box(f).verify_batched(&mut rng, false))
    });
    g.bench_function("floor", |b| {
        let f = fixture();
        b.iter(|| black_box(&f.floor).run())
    });
    g.bench_function("floor_msm_only", |b| {
        let f = fixture();
        b.iter(|| black_box(&f.floor).msm(black_box(&f.points)))
    });
    g.finish();
}

fn ballot_prove(c: &mut Criterion) {
    let sum_range = 1..=3;
    let fixture = OnceCell::new();
    let fixture = || fixture.get_or_init(|| prove_fixture(&sum_range));

    let mut g = c.benchmark_group("ballot_prove");
    g.bench_function("encrypt_and_prove", |b| {
        let (f, mut rng) = (fixture(), rng(7));
        b.iter(|| prove_ballot(&f.key, &sum_range, &mut rng))
    });
    g.bench_function("encrypt_and_prove_precomputed_key", |b| {
        let (f, mut rng) = (fixture(), rng(7));
        b.iter(|| prove_ballot(&f.precomputed, &sum_range, &mut rng))
    });
    g.bench_function("precompute_key_table", |b| {
        let f = fixture();
        b.iter(|| PrecomputedKey::new(black_box(&f.key)))
    });
    g.bench_function("floor_scalar_muls", |b| {
        let f = fixture();
        b.iter(|| f.muls())
    });
    g.bench_function("floor_scalar_muls_precomputed_key", |b| {
        let f = fixture();
        b.iter(|| f.muls_precomputed())
    });
    g.bench_function("floor_scalar_muls_and_encodings", |b| {
        let f = fixture();
        b.iter(|| f.muls_and_encodings())
    });
    g.finish();
}

fn config() -> Criterion {
    // Short by default so that the whole `cargo bench -p urna-bench` stays within a few minutes
    // on two cores; command-line flags (`--sample-size`, `--measurement-time`,
    // `--warm-up-time`) override these for groups that do not set their own.
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(20)
        .without_plots()
}

criterion_group! {
    name = benches;
    config = config();
    targets = single_ops, aggregate, ballot_verify_1to3, ballot_verify_0to10, ballot_batch,
        ballot_prove
}
criterion_main!(benches);
