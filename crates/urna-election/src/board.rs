//! The bulletin board: an append-only, hash-chained log of public events (spec/record.md §6).
//!
//! Each line of `board.jsonl` is one event:
//! `{"seq":N,"prev":"<hex>","type":"<kind>","payload":{…},"hash":"<hex>"}` where
//! `hash = H("urna/board-event/v1"; seq, prev, type, payload)` over the payload's exact bytes
//! as written, and `prev` is the previous event's hash (zeros for the first). Changing,
//! dropping, inserting or reordering any line breaks the chain unless every later hash is
//! recomputed — and the chain head is published continuously, so that is visible too.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use urna_crypto::dkg::{Round1Package, Round2Package, Round3Package};
use urna_crypto::{CiphertextBytes, DecryptionShare, Digest32, PointBytes};

use crate::ballot::Ballot;
use crate::credential::CredentialList;
use crate::error::{ElectionError, Result};
use crate::hash::Hasher;
use crate::manifest::ElectionManifest;

/// The `prev` of the first event.
pub const GENESIS: Digest32 = Digest32([0; 32]);

/// The first event: what is being voted on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Setup {
    pub manifest: ElectionManifest,
}

/// Closes the set-up: the joint key and the fingerprint every proof is bound to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seal {
    /// `H("urna/fingerprint/v1"; prev, election_key)`: commits to everything before it.
    pub fingerprint: Digest32,
    pub election_key: PointBytes,
    /// Trustee `i`'s verification key at position `i-1`.
    pub verification_keys: Vec<PointBytes>,
    /// The dealers whose polynomials make up the key.
    pub qualified: Vec<u32>,
    pub credential_count: u64,
    pub total_weight: u64,
}

/// The orderer's approval of the sealed election.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    pub fingerprint: Digest32,
    pub approved_by: String,
    pub at: String,
}

/// A moment in the election's life (opening).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Moment {
    pub at: String,
}

/// A ballot accepted by the board, with the weight of its credential.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CastBallot {
    pub ballot: Ballot,
    pub weight: u64,
}

/// The end of voting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Close {
    pub at: String,
    /// Number of ballot events on the board.
    pub ballots: u64,
}

/// The homomorphic totals, per contest, per selection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncryptedTally {
    pub contests: Vec<Vec<CiphertextBytes>>,
    /// Ballots that count (after the revote policy).
    pub ballots_counted: u64,
}

/// One trustee's partial decryption of every tally ciphertext.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrusteeDecryption {
    pub trustee: u32,
    pub shares: Vec<Vec<DecryptionShare>>,
}

/// One contest's result: a total per option (blank last, if offered).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContestResult {
    pub contest: String,
    pub totals: Vec<u64>,
}

/// The decrypted result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElectionResult {
    pub contests: Vec<ContestResult>,
    pub ballots_counted: u64,
    /// Sum of the weights of the counted ballots.
    pub weight_counted: u64,
    /// The trustees whose shares were combined.
    pub decrypted_by: Vec<u32>,
}

/// A board event's content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    Setup(Box<Setup>),
    DkgRound1(Round1Package),
    DkgRound2(Round2Package),
    DkgRound3(Round3Package),
    Credentials(CredentialList),
    Seal(Seal),
    Approval(Approval),
    Open(Moment),
    Ballot(Box<CastBallot>),
    Close(Close),
    Tally(EncryptedTally),
    Decryption(TrusteeDecryption),
    Result(ElectionResult),
}

impl Event {
    /// The `type` field.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::Setup(_) => "setup",
            Event::DkgRound1(_) => "dkg-round1",
            Event::DkgRound2(_) => "dkg-round2",
            Event::DkgRound3(_) => "dkg-round3",
            Event::Credentials(_) => "credentials",
            Event::Seal(_) => "seal",
            Event::Approval(_) => "approval",
            Event::Open(_) => "open",
            Event::Ballot(_) => "ballot",
            Event::Close(_) => "close",
            Event::Tally(_) => "tally",
            Event::Decryption(_) => "decryption",
            Event::Result(_) => "result",
        }
    }

    /// The payload as compact JSON.
    pub fn payload_json(&self) -> Result<String> {
        let json = match self {
            Event::Setup(p) => serde_json::to_string(p),
            Event::DkgRound1(p) => serde_json::to_string(p),
            Event::DkgRound2(p) => serde_json::to_string(p),
            Event::DkgRound3(p) => serde_json::to_string(p),
            Event::Credentials(p) => serde_json::to_string(p),
            Event::Seal(p) => serde_json::to_string(p),
            Event::Approval(p) => serde_json::to_string(p),
            Event::Open(p) => serde_json::to_string(p),
            Event::Ballot(p) => serde_json::to_string(p),
            Event::Close(p) => serde_json::to_string(p),
            Event::Tally(p) => serde_json::to_string(p),
            Event::Decryption(p) => serde_json::to_string(p),
            Event::Result(p) => serde_json::to_string(p),
        };
        json.map_err(|e| ElectionError::Record(format!("cannot encode event: {e}")))
    }

    /// Parses a payload of the given kind.
    pub fn parse(kind: &str, payload: &str) -> Result<Self> {
        fn de<T: for<'de> Deserialize<'de>>(kind: &str, payload: &str) -> Result<T> {
            serde_json::from_str(payload)
                .map_err(|e| ElectionError::Record(format!("malformed {kind} event: {e}")))
        }
        Ok(match kind {
            "setup" => Event::Setup(Box::new(de(kind, payload)?)),
            "dkg-round1" => Event::DkgRound1(de(kind, payload)?),
            "dkg-round2" => Event::DkgRound2(de(kind, payload)?),
            "dkg-round3" => Event::DkgRound3(de(kind, payload)?),
            "credentials" => Event::Credentials(de(kind, payload)?),
            "seal" => Event::Seal(de(kind, payload)?),
            "approval" => Event::Approval(de(kind, payload)?),
            "open" => Event::Open(de(kind, payload)?),
            "ballot" => Event::Ballot(Box::new(de(kind, payload)?)),
            "close" => Event::Close(de(kind, payload)?),
            "tally" => Event::Tally(de(kind, payload)?),
            "decryption" => Event::Decryption(de(kind, payload)?),
            "result" => Event::Result(de(kind, payload)?),
            other => {
                return Err(ElectionError::Record(format!(
                    "unknown event type {other:?}"
                )))
            }
        })
    }
}

/// The hash of one event.
pub fn event_hash(seq: u64, prev: &Digest32, kind: &str, payload: &str) -> Digest32 {
    let mut hasher = Hasher::new("urna/board-event/v1");
    hasher
        .u64(seq)
        .bytes(prev.as_bytes())
        .bytes(kind.as_bytes())
        .bytes(payload.as_bytes());
    hasher.finish()
}

/// The fingerprint sealed at `prev` with `election_key`.
pub fn fingerprint(prev: &Digest32, election_key: &PointBytes) -> Digest32 {
    let mut hasher = Hasher::new("urna/fingerprint/v1");
    hasher.bytes(prev.as_bytes()).bytes(election_key.as_bytes());
    hasher.finish()
}

/// One line of the board, as stored and published.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoardEntry {
    pub seq: u64,
    pub prev: Digest32,
    pub kind: String,
    /// The payload's exact JSON text (what the hash covers).
    pub payload: String,
    pub hash: Digest32,
}

#[derive(Serialize)]
struct LineOut<'a> {
    seq: u64,
    prev: &'a Digest32,
    #[serde(rename = "type")]
    kind: &'a str,
    payload: &'a RawValue,
    hash: &'a Digest32,
}

#[derive(Deserialize)]
struct LineIn<'a> {
    seq: u64,
    prev: Digest32,
    #[serde(rename = "type")]
    kind: String,
    #[serde(borrow)]
    payload: &'a RawValue,
    hash: Digest32,
}

/// The most bytes one board line may have (a ballot with the largest contests fits easily).
pub const MAX_LINE_BYTES: usize = 16 << 20;

impl BoardEntry {
    /// The `board.jsonl` line (without the newline).
    pub fn to_line(&self) -> Result<String> {
        let payload: &RawValue = serde_json::from_str(&self.payload)
            .map_err(|e| ElectionError::Record(format!("payload is not JSON: {e}")))?;
        serde_json::to_string(&LineOut {
            seq: self.seq,
            prev: &self.prev,
            kind: &self.kind,
            payload,
            hash: &self.hash,
        })
        .map_err(|e| ElectionError::Record(format!("cannot encode line: {e}")))
    }

    /// Parses a line, without checking anything but its form.
    pub fn parse_line(line: &str) -> Result<Self> {
        if line.len() > MAX_LINE_BYTES {
            return Err(ElectionError::Record("line too long".into()));
        }
        let parsed: LineIn<'_> = serde_json::from_str(line)
            .map_err(|e| ElectionError::Record(format!("not a board event: {e}")))?;
        Ok(Self {
            seq: parsed.seq,
            prev: parsed.prev,
            kind: parsed.kind,
            payload: parsed.payload.get().to_owned(),
            hash: parsed.hash,
        })
    }

    /// Recomputes the hash from the other fields.
    pub fn computed_hash(&self) -> Digest32 {
        event_hash(self.seq, &self.prev, &self.kind, &self.payload)
    }

    /// Parses the payload.
    pub fn event(&self) -> Result<Event> {
        Event::parse(&self.kind, &self.payload)
    }
}

/// Appends events to a chain.
#[derive(Clone, Debug)]
pub struct Board {
    next_seq: u64,
    head: Digest32,
}

impl Default for Board {
    fn default() -> Self {
        Self::new()
    }
}

impl Board {
    /// An empty board.
    pub fn new() -> Self {
        Self {
            next_seq: 0,
            head: GENESIS,
        }
    }

    /// Continues a board whose last entry is `last`.
    pub fn resume(last: &BoardEntry) -> Self {
        Self {
            next_seq: last.seq + 1,
            head: last.hash,
        }
    }

    /// The hash of the last event (the chain head).
    pub fn head(&self) -> Digest32 {
        self.head
    }

    /// The sequence number the next event gets.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Chains `event` after the head.
    pub fn append(&mut self, event: &Event) -> Result<BoardEntry> {
        let payload = event.payload_json()?;
        let kind = event.kind().to_owned();
        let hash = event_hash(self.next_seq, &self.head, &kind, &payload);
        let entry = BoardEntry {
            seq: self.next_seq,
            prev: self.head,
            kind,
            payload,
            hash,
        };
        self.next_seq += 1;
        self.head = hash;
        Ok(entry)
    }
}
