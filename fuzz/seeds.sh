#!/usr/bin/env bash
# Writes the seed corpora fuzz/corpus/<target>/ from real records:
#   - spec/vectors/record-v1 (the complete record of the test-vector generator: the election
#     every ballot target verifies against, see src/lib.rs),
#   - a fresh `urna demo` record with every contest kind, weights and audits (seeded, so the
#     same seeds come out each time for the same urna),
#   - spec/vectors/*.json (points, scalars, ciphertexts, proofs), tests/fixtures (manifests,
#     rolls).
# The seeds are committed (a few KB to ~100 KB per target), so CI does not need this script
# nor an urna binary; rerun it when a format changes.
#
# Usage: fuzz/seeds.sh            (uses target/release/urna, else target/debug/urna)
#        URNA=/path/to/urna fuzz/seeds.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
urna=${URNA:-}
if [ -z "$urna" ]; then
  for candidate in "$root/target/release/urna" "$root/target/debug/urna"; do
    if [ -x "$candidate" ]; then urna=$candidate; break; fi
  done
fi
if [ -z "$urna" ] || [ ! -x "$urna" ]; then
  echo "no urna binary: run 'cargo build --release -p urna' or set URNA" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$urna" demo --voters 6 --options 2 --weighted --audit-every 3 --seed 7 \
  --trustees 3 --threshold 2 --out "$work/demo" >/dev/null
demo="$work/demo/every-kind"
test -s "$demo/board.jsonl"

python3 - "$root" "$here/corpus" "$demo" <<'PY'
import hashlib, json, os, shutil, struct, sys

root, out, demo = sys.argv[1], sys.argv[2], sys.argv[3]
record = os.path.join(root, "spec/vectors/record-v1")
vectors = os.path.join(root, "spec/vectors")
targets = ["point_scalar", "proofs", "ballot_json", "ballot_bincode", "ballot_mutate",
           "board_event", "board_jsonl", "manifest", "roll_csv", "cast_body"]
for t in targets:
    shutil.rmtree(os.path.join(out, t), ignore_errors=True)
    os.makedirs(os.path.join(out, t))

def seed(target, data):
    if isinstance(data, str):
        data = data.encode()
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(out, target, name), "wb") as f:
        f.write(data)

def lines(path):
    with open(path) as f:
        return [l.rstrip("\n") for l in f if l.strip()]

def load(name):
    with open(os.path.join(vectors, name)) as f:
        return json.load(f)

record_board = lines(os.path.join(record, "board.jsonl"))
demo_board = lines(os.path.join(demo, "board.jsonl"))
entries = [json.loads(l) for l in record_board]
ballots = [e["payload"]["ballot"] for e in entries if e["type"] == "ballot"]
compact = lambda v: json.dumps(v, separators=(",", ":"), ensure_ascii=False)

# point_scalar: raw 32/64 bytes, their bincode form (u64 length + bytes), and hex text.
ell = bytes.fromhex("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")
raw = [bytes(32), ell, bytes([ell[0] - 1]) + ell[1:], b"\xff" * 32]
seal = next(e["payload"] for e in entries if e["type"] == "seal")
raw.append(bytes.fromhex(seal["election_key"]))
b0 = ballots[0]
raw.append(bytes.fromhex(b0["contests"][0]["selections"][0]["ciphertext"]))
raw.append(bytes.fromhex(b0["signature"]["response"]))
raw.append(bytes.fromhex(b0["credential"]))
for r in raw:
    seed("point_scalar", r)
    seed("point_scalar", struct.pack("<Q", len(r)) + r)
    seed("point_scalar", r.hex())
seed("point_scalar", raw[4].hex().upper())

# proofs: a kind byte (0 range, 1 sum, 2 credential signature, 3 DLEQ), then the proof JSON.
for kind, (name, field) in enumerate([("range_proof.json", "proof"), ("sum_proof.json", "proof"),
                                      ("credential_signature.json", "signature"),
                                      ("dleq_proof.json", "proof")]):
    for case in load(name)["cases"][:3]:
        seed("proofs", bytes([kind]) + compact(case[field]).encode())

# Ballots: JSON as the booth sends them (= the board's payload), one every-kind demo ballot,
# and an audited ballot.
demo_ballot = next(json.loads(l)["payload"]["ballot"] for l in demo_board if '"type":"ballot"' in l)
for b in ballots + [demo_ballot]:
    seed("ballot_json", compact(b))
    seed("cast_body", compact(b))
for a in lines(os.path.join(record, "audits.jsonl")):
    seed("ballot_json", a)

# The same ballots in bincode 1 (fixint): u64 integers and lengths, byte strings as
# length-prefixed bytes, structs as their fields in order.
def u64(n): return struct.pack("<Q", n)
def byts(h): b = bytes.fromhex(h); return u64(len(b)) + b
def branches(bs): return u64(len(bs)) + b"".join(byts(x["a"]) + byts(x["b"]) + byts(x["c"]) + byts(x["z"]) for x in bs)
def bincode_ballot(b):
    out = u64(b["version"]) + byts(b["election"]) + byts(b["credential"]) + u64(len(b["contests"]))
    for c in b["contests"]:
        out += u64(len(c["selections"]))
        for s in c["selections"]:
            out += byts(s["ciphertext"]) + branches(s["proof"])
        out += branches(c["sum_proof"])
    return out + byts(b["signature"]["commitment"]) + byts(b["signature"]["response"])
for b in ballots:
    seed("ballot_bincode", bincode_ballot(b))

# ballot_mutate: a selector (ballot index; high bit: the batch verifier), then edits (u16
# position, digit); untouched and one edit each, for the three ballots of `small_election`
# (src/lib.rs) and both verifiers.
for i in range(3):
    for verifier in (0, 0x80):
        seed("ballot_mutate", bytes([i | verifier]))
        seed("ballot_mutate", bytes([i | verifier, 7, 0, 3]))

# board_event: every line of both records but the repeated big ballots (one of each).
seen_ballot = set()
for src, board in (("record", record_board), ("demo", demo_board)):
    for l in board:
        if '"type":"ballot"' in l:
            if src in seen_ballot: continue
            seen_ballot.add(src)
        seed("board_event", l)

# board_jsonl: the whole record, its prefixes at the phase changes, and the demo record up
# to its second ballot (every contest kind; whole demo boards are too long for max_len).
kinds = [e["type"] for e in entries]
cuts = {len(record_board), kinds.index("ballot"), kinds.index("close") + 1, kinds.index("seal") + 1}
for n in sorted(cuts):
    seed("board_jsonl", "\n".join(record_board[:n]) + "\n")
demo_kinds = [json.loads(l)["type"] for l in demo_board]
seed("board_jsonl", "\n".join(demo_board[:demo_kinds.index("ballot") + 2]) + "\n")

# manifest: the fixtures, the record's and the demo's.
for d in (os.path.join(root, "tests/fixtures/manifests"),):
    for n in sorted(os.listdir(d)):
        seed("manifest", open(os.path.join(d, n), "rb").read())
seed("manifest", open(os.path.join(record, "manifest.json"), "rb").read())
seed("manifest", open(os.path.join(demo, "manifest.json"), "rb").read())

# roll_csv: a flag byte (1 = weighted election), then the file.
fixtures = os.path.join(root, "tests/fixtures")
for n in sorted(os.listdir(fixtures)):
    if n.endswith(".csv"):
        # The header and the first 40 voters: the big rolls repeat one pattern.
        data = b"".join(open(os.path.join(fixtures, n), "rb").readlines()[:41])
        seed("roll_csv", b"\x00" + data)
        seed("roll_csv", b"\x01" + data)
seed("roll_csv", b"\x00\xef\xbb\xbfEmail,Name\r\nanna@example.se,Anna\r\n\r\nbo@EXAMPLE.se,Bo\r\n")

for t in targets:
    d = os.path.join(out, t)
    files = os.listdir(d)
    print(f"{t:15} {len(files):3} seeds {sum(os.path.getsize(os.path.join(d, f)) for f in files):8} bytes")
PY
