//! The voting booth (spec/record.md §5): the credential from the link's fragment, a ballot
//! encrypted, proved and signed, then either cast or audited — never both.

use rand_core::OsRng;
use serde::Serialize;
use urna_api::BoothInfo;
use urna_crypto::{PrecomputedKey, PublicKey};
use urna_election::ballot::{encrypt_ballot_with, AuditedBallot, ElectionContext, EncryptedBallot};
use urna_election::credential::{CredentialKey, CredentialSecret};
use urna_election::manifest::ContestKind;
use urna_election::ElectionError;

use crate::error::{parse, to_json, WebError, WebResult};

/// An election's booth with the voter's credential derived: ready to encrypt.
pub struct Booth {
    context: ElectionContext,
    /// The election key's table, built once when the booth opens (while the voter reads the
    /// ballot): each ballot's prover multiplies by the key dozens of times, and with the table
    /// it takes about a third less time for the same bytes (spec/crypto.md §6.1).
    election_key: PrecomputedKey,
    credential: CredentialKey,
}

impl core::fmt::Debug for Booth {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Booth")
            .field("election", &self.context.manifest.election_id)
            .finish_non_exhaustive()
    }
}

/// The rules of one contest, as the page explains them and validates live.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ContestRulesView {
    /// `single`, `select`, `approval`, `cumulative` or `score`.
    pub kind: &'static str,
    /// Options (without the blank vote).
    pub options: usize,
    /// Points one option may get (1 for everything but cumulative and score).
    pub option_max: u64,
    /// Least and most total over the options.
    pub total_min: u64,
    pub total_max: u64,
    /// Whether a blank vote is offered (the last selection).
    pub blank: bool,
}

fn context_of(info: &BoothInfo) -> WebResult<ElectionContext> {
    info.manifest
        .validate()
        .map_err(|e| WebError::from_error("bad_election", e))?;
    let election_key = PublicKey::from_bytes(&info.election_key)
        .map_err(|e| WebError::from_error("bad_election", e))?;
    Ok(ElectionContext {
        manifest: info.manifest.clone(),
        setup_hash: info.setup_hash,
        election_key,
        fingerprint: info.fingerprint,
    })
}

/// Whether a link fragment holds a well-formed credential (for an early, clear message).
pub fn credential_is_well_formed(fragment: &str) -> bool {
    CredentialSecret::from_link_string(fragment.trim_start_matches('#')).is_ok()
}

impl Booth {
    /// Opens the booth for `info` (the server's `BoothInfo`) with the credential in the link's
    /// fragment. The secret stays here: only the public credential and signatures leave.
    pub fn new(info_json: &str, fragment: &str) -> WebResult<Self> {
        let info: BoothInfo = parse("booth information", info_json)?;
        let context = context_of(&info)?;
        let secret = CredentialSecret::from_link_string(fragment.trim_start_matches('#'))
            .map_err(|e| WebError::from_error("bad_credential", e))?;
        let credential = secret.derive_key(&context.setup_hash);
        let election_key = PrecomputedKey::new(&context.election_key);
        Ok(Self {
            context,
            election_key,
            credential,
        })
    }

    /// The election fingerprint (hex), for the voter to compare with the published one.
    pub fn fingerprint(&self) -> String {
        self.context.fingerprint.to_hex()
    }

    /// The public credential this booth signs with (hex). Public: it is on the board.
    pub fn public_credential(&self) -> String {
        self.credential.public().to_bytes().to_hex()
    }

    /// Checks what the server said against its own board: verifies the board's first entries
    /// up to the seal (setup, key ceremony, credential list, seal — every proof), and requires
    /// the manifest, setup hash, election key and fingerprint to be the ones this booth
    /// encrypts under, and this voter's credential to be on the list. A server that handed this
    /// voter another key (one it could decrypt alone) is caught here, before any vote is
    /// encrypted. Returns the credential's weight.
    pub fn verify_setup<'a>(&self, lines: impl IntoIterator<Item = &'a str>) -> WebResult<u64> {
        let mut verifier = urna_election::RecordVerifier::new();
        for line in lines {
            let line = line.trim_end();
            if line.is_empty() {
                continue;
            }
            verifier.push_line(line)?;
            if let Some(context) = verifier.context() {
                let same = context.manifest == self.context.manifest
                    && context.setup_hash == self.context.setup_hash
                    && context.election_key == self.context.election_key
                    && context.fingerprint == self.context.fingerprint;
                if !same {
                    return Err(WebError::new(
                        "booth_mismatch",
                        "the election the server describes is not the one on its board",
                    ));
                }
                let credential = self.credential.public().to_bytes();
                return verifier.credential_weight(&credential).ok_or_else(|| {
                    WebError::new(
                        "not_on_roll",
                        "this voting link's credential is not on the election's list",
                    )
                });
            }
        }
        Err(WebError::new(
            "not_sealed",
            "the board does not reach the election's seal",
        ))
    }

    /// Each contest's rules.
    pub fn rules(&self) -> Vec<ContestRulesView> {
        self.context
            .manifest
            .contests
            .iter()
            .map(|contest| {
                let rules = contest.rules();
                ContestRulesView {
                    kind: match contest.kind {
                        ContestKind::Single => "single",
                        ContestKind::Select { .. } => "select",
                        ContestKind::Approval => "approval",
                        ContestKind::Cumulative { .. } => "cumulative",
                        ContestKind::Score { .. } => "score",
                    },
                    options: contest.options.len(),
                    option_max: rules.option_max,
                    total_min: rules.total_min,
                    total_max: rules.total_max,
                    blank: rules.blank,
                }
            })
            .collect()
    }

    /// The rules as JSON (`[ContestRulesView]`).
    pub fn rules_json(&self) -> WebResult<String> {
        to_json(&self.rules())
    }

    /// Checks one contest's choice against its rules, exactly as the proofs will.
    pub fn check_contest(&self, contest: usize, values_json: &str) -> WebResult<()> {
        let values: Vec<u64> = parse("votes", values_json)?;
        let manifest = &self.context.manifest;
        let c = manifest
            .contests
            .get(contest)
            .ok_or_else(|| WebError::new("bad_input", "no such contest"))?;
        c.check_vote(contest, &values).map_err(vote_error)
    }

    /// Encrypts, proves and signs a vote (`[[value per selection, blank last]]` per contest).
    pub fn encrypt(&self, votes_json: &str) -> WebResult<BoothBallot> {
        let votes: Vec<Vec<u64>> = parse("votes", votes_json)?;
        let encrypted = encrypt_ballot_with(
            &self.context,
            &self.election_key,
            &self.credential,
            &votes,
            &mut OsRng,
        )
        .map_err(vote_error)?;
        Ok(BoothBallot {
            tracking_code: encrypted.ballot().tracking_code().to_string(),
            encrypted,
        })
    }
}

fn vote_error(e: ElectionError) -> WebError {
    match e {
        ElectionError::InvalidVote { contest, reason } => {
            let mut error = WebError::new("invalid_vote", reason);
            error.contest = Some(contest);
            error
        }
        other => WebError::from_error("encryption_failed", other),
    }
}

/// A ballot just encrypted: its tracking code is known; it can be cast or audited once.
pub struct BoothBallot {
    tracking_code: String,
    encrypted: EncryptedBallot,
}

impl core::fmt::Debug for BoothBallot {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("BoothBallot")
            .field("tracking_code", &self.tracking_code)
            .finish_non_exhaustive()
    }
}

impl BoothBallot {
    pub fn tracking_code(&self) -> &str {
        &self.tracking_code
    }

    /// The body of `POST /elections/{id}/ballots`; the randomness is forgotten.
    pub fn cast(self) -> WebResult<String> {
        to_json(&self.encrypted.cast())
    }

    /// Reveals the randomness (Benaloh audit): this ballot can never be cast. The JSON is
    /// what `urna verify-audit`-style tools and [`verify_audit`] check.
    pub fn audit(self) -> WebResult<String> {
        to_json(&self.encrypted.audit())
    }
}

/// What an audit shows: the values each ciphertext encrypts, checked against its proofs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditOutcome {
    pub tracking_code: String,
    pub fingerprint: String,
    /// Per contest, per selection (blank last).
    pub votes: Vec<Vec<u64>>,
}

/// Checks an audited ballot against the election: valid proofs, and every ciphertext
/// encrypts the revealed value. Independent of the booth that made it.
pub fn verify_audit(info_json: &str, audit_json: &str) -> WebResult<AuditOutcome> {
    let info: BoothInfo = parse("booth information", info_json)?;
    let context = context_of(&info)?;
    let audited: AuditedBallot = parse("audited ballot", audit_json)?;
    let votes = audited
        .verify(&context)
        .map_err(|e| WebError::from_error("audit_failed", e))?;
    Ok(AuditOutcome {
        tracking_code: audited.ballot.tracking_code().to_string(),
        fingerprint: context.fingerprint.to_hex(),
        votes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Fixture;

    fn json<T: Serialize>(value: &T) -> String {
        serde_json::to_string(value).unwrap()
    }

    #[test]
    fn encrypts_casts_and_audits() {
        let mut fx = Fixture::open(3);
        let info = fx.booth_info();
        let booth = Booth::new(&info, &fx.fragment(0)).unwrap();
        assert_eq!(booth.fingerprint(), fx.context().fingerprint.to_hex());
        let votes = fx.valid_votes();
        let ballot = booth.encrypt(&json(&votes)).unwrap();
        let code = ballot.tracking_code().to_string();
        let audit = ballot.audit().unwrap();
        let outcome = verify_audit(&info, &audit).unwrap();
        assert_eq!(outcome.votes, votes);
        assert_eq!(outcome.tracking_code, code);
        // The audited ballot is not castable in spirit; the board accepts its bytes, which
        // is why the booth never offers it (the record's audit check catches a cast one).

        let cast = booth.encrypt(&json(&votes)).unwrap();
        let code = cast.tracking_code().to_string();
        let body = cast.cast().unwrap();
        assert!(
            !body.contains("nonce"),
            "a cast ballot carries no randomness"
        );
        assert!(!body.contains(fx.fragment(0).trim_start_matches('#')));
        assert_eq!(fx.cast_json(&body).unwrap(), code);
    }

    #[test]
    fn a_tampered_audit_is_refused() {
        let fx = Fixture::open(3);
        let info = fx.booth_info();
        let booth = Booth::new(&info, &fx.fragment(1)).unwrap();
        let audit = booth
            .encrypt(&json(&fx.valid_votes()))
            .unwrap()
            .audit()
            .unwrap();
        let mut value: serde_json::Value = serde_json::from_str(&audit).unwrap();
        let first = &mut value["openings"][0][0]["value"];
        let flipped = 1 - first.as_u64().unwrap();
        *first = flipped.into();
        let err = verify_audit(&info, &value.to_string()).unwrap_err();
        assert_eq!(err.code, "audit_failed");
        // Another election's booth information does not check it either.
        let other = Fixture::open_seeded(1, 1);
        let err = verify_audit(&other.booth_info(), &audit).unwrap_err();
        assert_eq!(err.code, "audit_failed");
    }

    #[test]
    fn a_credential_of_another_election_is_refused_by_the_board() {
        let mut fx = Fixture::open(2);
        let stranger = Fixture::open_seeded(2, 1);
        let booth = Booth::new(&fx.booth_info(), &stranger.fragment(0)).unwrap();
        let body = booth
            .encrypt(&json(&fx.valid_votes()))
            .unwrap()
            .cast()
            .unwrap();
        assert!(fx.cast_json(&body).is_err());
    }

    #[test]
    fn the_setup_is_checked_against_the_board() {
        let fx = Fixture::open(2);
        let lines = fx.lines();
        let booth = Booth::new(&fx.booth_info(), &fx.fragment(1)).unwrap();
        assert_eq!(
            booth
                .verify_setup(lines.iter().map(String::as_str))
                .unwrap(),
            1
        );
        // Only the entries before the seal: not enough.
        let seal = lines.iter().position(|l| l.contains("\"seal\"")).unwrap();
        assert_eq!(
            booth
                .verify_setup(lines[..seal].iter().map(String::as_str))
                .unwrap_err()
                .code,
            "not_sealed"
        );
        // A server that shows another election's key, or a link of another election.
        let other = Fixture::open_seeded(2, 9);
        let lying = Booth::new(&other.booth_info(), &fx.fragment(1)).unwrap();
        assert_eq!(
            lying
                .verify_setup(lines.iter().map(String::as_str))
                .unwrap_err()
                .code,
            "booth_mismatch"
        );
        let stranger = Booth::new(&fx.booth_info(), &other.fragment(0)).unwrap();
        assert_eq!(
            stranger
                .verify_setup(lines.iter().map(String::as_str))
                .unwrap_err()
                .code,
            "not_on_roll"
        );
        // A tampered board entry fails its check.
        let mut tampered = lines.clone();
        tampered[0] = tampered[0].replacen("Teachers", "Teechers", 1);
        let err = booth
            .verify_setup(tampered.iter().map(String::as_str))
            .unwrap_err();
        assert_eq!(err.code, "check_failed");
    }

    #[test]
    fn bad_inputs_are_named() {
        let fx = Fixture::open(1);
        let info = fx.booth_info();
        assert_eq!(
            Booth::new(&info, "#not-a-credential").unwrap_err().code,
            "bad_credential"
        );
        assert!(!credential_is_well_formed("#abc"));
        assert!(credential_is_well_formed(&fx.fragment(0)));
        assert_eq!(
            Booth::new("{}", &fx.fragment(0)).unwrap_err().code,
            "bad_input"
        );
        let mut bad_key: serde_json::Value = serde_json::from_str(&info).unwrap();
        bad_key["election_key"] = "00".repeat(32).into();
        assert_eq!(
            Booth::new(&bad_key.to_string(), &fx.fragment(0))
                .unwrap_err()
                .code,
            "bad_election"
        );
        let booth = Booth::new(&info, &fx.fragment(0)).unwrap();
        assert_eq!(booth.encrypt("[]").unwrap_err().code, "invalid_vote");
        assert_eq!(booth.encrypt("nonsense").unwrap_err().code, "bad_input");
        let rules = booth.rules();
        let too_many = vec![1u64; rules[0].options];
        assert!(rules[0].total_max < rules[0].options as u64);
        let err = booth.check_contest(0, &json(&too_many)).unwrap_err();
        assert_eq!((err.code, err.contest), ("invalid_vote", Some(0)));
        assert!(booth.check_contest(0, &json(&fx.valid_votes()[0])).is_ok());
        assert_eq!(booth.check_contest(99, "[]").unwrap_err().code, "bad_input");
    }
}
