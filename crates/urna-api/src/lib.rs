//! The wire types of Urna's HTTP API (spec/api.md). Requests and responses are JSON; board
//! entries travel as the exact lines of the record's `board.jsonl`, because an entry's hash
//! covers the payload's exact bytes (spec/record.md §6.1).
//!
//! The server, the `urna` command-line clients and the browser booth all use these types, so
//! they cannot drift apart. With the `client` feature, [`client::Client`] speaks the API.
#![cfg_attr(
    not(test),
    warn(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use serde::{Deserialize, Serialize};
use urna_crypto::{Digest32, PointBytes};
use urna_election::manifest::ElectionManifest;

#[cfg(feature = "client")]
pub mod client;

/// The prefix of every API route.
pub const API_PREFIX: &str = "/api/v1";
/// The header that carries an admin session's CSRF token on every state-changing request.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The admin session cookie.
pub const SESSION_COOKIE: &str = "urna_session";

/// Where an election is in its life (spec/api.md §3). Transitions only go forward.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ElectionState {
    /// Created; the roll may be (re)imported.
    Draft,
    /// The setup is on the board; the trustees run the key ceremony.
    KeyCeremony,
    /// Sealed (key, credentials, fingerprint); the orderer must approve or reject.
    AwaitingApproval,
    /// Approved; opens at its scheduled time or by hand. Invitations are sent.
    Scheduled,
    /// Ballots are accepted.
    Open,
    /// Closed and the encrypted tally posted; the trustees decrypt.
    Tallying,
    /// The result is on the board.
    Published,
    /// The orderer rejected the construction (terminal).
    Rejected,
    /// The key ceremony could not complete (terminal; see `error`).
    Failed,
}

impl ElectionState {
    /// The name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::KeyCeremony => "key_ceremony",
            Self::AwaitingApproval => "awaiting_approval",
            Self::Scheduled => "scheduled",
            Self::Open => "open",
            Self::Tallying => "tallying",
            Self::Published => "published",
            Self::Rejected => "rejected",
            Self::Failed => "failed",
        }
    }

    /// Parses [`ElectionState::as_str`]'s names.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "draft" => Self::Draft,
            "key_ceremony" => Self::KeyCeremony,
            "awaiting_approval" => Self::AwaitingApproval,
            "scheduled" => Self::Scheduled,
            "open" => Self::Open,
            "tallying" => Self::Tallying,
            "published" => Self::Published,
            "rejected" => Self::Rejected,
            "failed" => Self::Failed,
            _ => return None,
        })
    }
}

/// Every error the API returns: a stable machine code and a sentence for people.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiErrorBody {
    /// e.g. `already_voted`, `invalid_ballot`, `wrong_state`, `unauthorized`.
    pub error: String,
    pub message: String,
    /// Line-numbered problems (roll imports).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<LineError>,
}

/// One bad line of an uploaded file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineError {
    /// 1-based line number in the file (line 1 is the header).
    pub line: u64,
    pub reason: String,
}

/// The chain head of one election's board.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    /// Number of entries on the board.
    pub entries: u64,
    /// Hash of the last entry (all zeros for an empty board).
    pub hash: Digest32,
}

/// What anyone may know about an election.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElectionSummary {
    /// The server's identifier of the election (URL path segment).
    pub id: String,
    pub state: ElectionState,
    pub manifest: ElectionManifest,
    pub head: Head,
    /// After the seal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<Digest32>,
    /// Scheduled opening and closing (RFC 3339 with offset), from the manifest's voting period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opens_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closes_at: Option<String>,
    /// Ballots on the board.
    pub ballots: u64,
    /// Credentials issued (after the seal).
    pub voters: u64,
}

/// What the booth needs to encrypt (spec/api.md §5): available from the seal on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoothInfo {
    pub id: String,
    pub state: ElectionState,
    pub manifest: ElectionManifest,
    pub setup_hash: Digest32,
    pub election_key: PointBytes,
    pub fingerprint: Digest32,
}

/// The answer to a cast ballot, given only after it is durably on the board.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CastReceipt {
    pub tracking_code: String,
    /// The board entry that holds the ballot.
    pub seq: u64,
    pub entry_hash: Digest32,
}

/// A tracking code found on the board.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BallotLookup {
    pub tracking_code: String,
    pub seq: u64,
    pub entry_hash: Digest32,
    /// Whether the ballot counts (false when a later ballot replaced it under `last-counts`).
    pub counted: bool,
}

/// A page of the board: exact `board.jsonl` lines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardPage {
    pub lines: Vec<String>,
    /// Pass as `from` to get the next page; absent at the end of the board.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<u64>,
}

/// `POST /admin/login`.
#[derive(Clone, Serialize, Deserialize)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

impl core::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// An admin session (the cookie is set alongside).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub username: String,
    /// Send in the `x-csrf-token` header with every POST/PUT/DELETE.
    pub csrf_token: String,
}

/// `POST /admin/accounts`.
pub type NewAdmin = LoginRequest;

/// `POST /admin/elections`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateElection {
    pub manifest: ElectionManifest,
    pub orderer: Orderer,
}

/// The person who ordered the election and approves it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Orderer {
    pub name: String,
    pub email: String,
}

/// The answer to [`CreateElection`]: the secrets handed out once (only hashes are stored).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedElection {
    pub id: String,
    /// The orderer's personal link (also mailed to the orderer when the election is sealed).
    pub orderer_link: String,
    /// The orderer's token (the last path segment of the link).
    pub orderer_token: String,
    pub trustees: Vec<TrusteeAccess>,
}

/// One trustee's access token, to be handed to that trustee.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrusteeAccess {
    pub index: u32,
    pub name: String,
    pub token: String,
}

/// `PUT /admin/elections/{id}/roll` answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollImported {
    pub voters: u64,
    pub total_weight: u64,
    /// Things the admin should look at, e.g. voters who are also on the roll of a parallel
    /// election of the same event.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// `POST /admin/elections/{id}/admins`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddElectionAdmin {
    pub username: String,
}

/// What an admin sees of an election.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminElection {
    pub summary: ElectionSummary,
    pub admins: Vec<String>,
    /// Voters on the imported roll.
    pub roll_voters: u64,
    pub roll_weight: u64,
    pub mail: MailStatus,
    /// Why the election failed, or the ceremony's blame.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Round → trustees that posted (1-based indices), during the ceremony.
    pub ceremony_progress: Vec<Vec<u32>>,
    /// Trustees whose decryption is on the board.
    pub decrypted_by: Vec<u32>,
}

/// The invitation queue of one election.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailStatus {
    /// Waiting to be sent (sending starts at the orderer's approval).
    pub queued: u64,
    /// Voters invited (only this fact is kept: no link to their credential).
    pub invited: u64,
    /// Gave up after retries; the admin may retry them.
    pub failed: Vec<FailedMail>,
    /// Of `queued`, the invitations that failed at least once and wait for their next attempt
    /// (e.g. while the SMTP server is down).
    #[serde(default)]
    pub retrying: u64,
    /// Why they wait: the error of the invitation to be retried last (never a link or a body).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// When the first of them is tried again (RFC 3339, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt: Option<String>,
}

/// An invitation that could not be delivered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedMail {
    pub recipient: String,
    pub attempts: u32,
    pub error: String,
}

/// What the orderer reviews before approving (spec/api.md §6).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrdererView {
    pub orderer: Orderer,
    pub summary: ElectionSummary,
    /// Trustees whose key shares make up the election key.
    pub qualified_trustees: Vec<u32>,
    pub total_weight: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
}

/// `POST /orderer/{token}/approve`: the fingerprint echoes what the orderer reviewed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approve {
    pub fingerprint: Digest32,
    /// The approver's name as it goes on the board.
    pub name: String,
}

/// `POST /orderer/{token}/reject`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reject {
    pub reason: String,
}

/// What a trustee sees of its election (spec/api.md §7).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrusteeView {
    pub id: String,
    pub state: ElectionState,
    /// This trustee's index.
    pub index: u32,
    pub trustees: u32,
    pub threshold: u32,
    /// The ceremony's session (the setup event's hash), after the ceremony starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setup_hash: Option<Digest32>,
    pub round1: Vec<urna_crypto::dkg::Round1Package>,
    pub round2: Vec<urna_crypto::dkg::Round2Package>,
    pub round3: Vec<urna_crypto::dkg::Round3Package>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<Digest32>,
    /// The encrypted tally, once posted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tally: Option<urna_election::board::EncryptedTally>,
    /// Trustees whose decryption is on the board.
    pub decrypted_by: Vec<u32>,
}

/// `POST` answers that append to the board.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Posted {
    pub seq: u64,
    pub entry_hash: Digest32,
    /// The state after the post (a last round-3 package seals the election).
    pub state: ElectionState,
}
