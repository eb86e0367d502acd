//! An election run in-process for the tests of this crate.

use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use urna_api::{BoothInfo, ElectionState};
use urna_election::ballot::ElectionContext;
use urna_election::credential::CredentialSecret;
use urna_election::manifest::ElectionManifest;
use urna_election::simulate::OfflineElection;

pub(crate) const TEACHERS: &str = include_str!("../../../tests/fixtures/manifests/teachers.json");

pub(crate) struct Fixture {
    pub election: OfflineElection,
    pub secrets: Vec<CredentialSecret>,
    pub rng: ChaCha20Rng,
}

impl Fixture {
    /// A sealed, open election of the teachers' manifest with `voters` credentials.
    pub fn open(voters: usize) -> Self {
        Self::open_seeded(voters, 2027)
    }

    /// The same, from another seed: another key, other credentials.
    pub fn open_seeded(voters: usize, seed: u64) -> Self {
        let manifest: ElectionManifest = serde_json::from_str(TEACHERS).unwrap();
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let mut election = OfflineElection::setup(manifest).unwrap();
        election.key_ceremony(None, &mut rng).unwrap();
        let secrets = election
            .issue_credentials(&vec![1; voters], &mut rng)
            .unwrap();
        election.seal().unwrap();
        election
            .approve_and_open("Orderer", "2027-03-01T09:00:00+01:00")
            .unwrap();
        Self {
            election,
            secrets,
            rng,
        }
    }

    pub fn context(&self) -> &ElectionContext {
        self.election.context().unwrap()
    }

    pub fn booth_info(&self) -> String {
        let c = self.context();
        serde_json::to_string(&BoothInfo {
            id: "e1".into(),
            state: ElectionState::Open,
            manifest: c.manifest.clone(),
            setup_hash: c.setup_hash,
            election_key: c.election_key.to_bytes(),
            fingerprint: c.fingerprint,
        })
        .unwrap()
    }

    pub fn fragment(&self, voter: usize) -> String {
        format!("#{}", self.secrets[voter].to_link_string())
    }

    /// One choice per contest that every contest kind accepts: its first options up to its
    /// minimum (at least one), no blank vote.
    pub fn valid_votes(&self) -> Vec<Vec<u64>> {
        self.context()
            .manifest
            .contests
            .iter()
            .map(|c| {
                let rules = c.rules();
                let mut values = vec![0; c.selection_count()];
                let picks = rules.total_min.max(1).min(c.options.len() as u64);
                for v in values.iter_mut().take(picks as usize) {
                    *v = 1;
                }
                values
            })
            .collect()
    }

    /// Casts a ballot given as the booth's JSON, as the board would.
    pub fn cast_json(&mut self, body: &str) -> Result<String, String> {
        let ballot = serde_json::from_str(body).map_err(|e| e.to_string())?;
        let mut results = self
            .election
            .cast_many(vec![ballot], &mut self.rng)
            .map_err(|e| e.to_string())?;
        match results.pop() {
            Some(Ok(code)) => Ok(code.to_string()),
            Some(Err(e)) => Err(e.to_string()),
            None => Err("nothing cast".into()),
        }
    }

    /// The board as `board.jsonl` lines.
    pub fn lines(&self) -> Vec<String> {
        self.election
            .entries()
            .iter()
            .map(|e| e.to_line().unwrap())
            .collect()
    }
}
