//! What is voted on: the election manifest (spec/record.md §3).
//!
//! An election *event* (say, the 2027 board election of a department) holds one or more
//! elections run in parallel, each with its own roll, key ceremony and board. A manifest
//! describes one of them: its contests, their options and rules, the trustees, the revote
//! policy. Every label a voter reads is given in Swedish and English.

use serde::{Deserialize, Serialize};
use urna_crypto::proofs::MAX_RANGE_VALUES;

use crate::error::{ElectionError, Result};

/// The manifest format this code writes and reads.
pub const MANIFEST_VERSION: u32 = 1;

/// A text in Swedish and English.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Text {
    pub sv: String,
    pub en: String,
}

impl Text {
    /// Builds a text from its two languages.
    pub fn new(sv: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            sv: sv.into(),
            en: en.into(),
        }
    }

    /// The text in `lang` (`"sv"` or anything else for English).
    pub fn get(&self, lang: &str) -> &str {
        if lang == "sv" {
            &self.sv
        } else {
            &self.en
        }
    }
}

/// What happens when a credential casts a second ballot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RevotePolicy {
    /// One ballot per credential; later ones are refused (the default).
    #[default]
    Final,
    /// Later ballots replace earlier ones; the last one counts.
    LastCounts,
}

/// How a contest is voted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum ContestKind {
    /// Exactly one option.
    Single,
    /// Between `min` and `max` options (k of n).
    Select { min: u64, max: u64 },
    /// Any number of options.
    Approval,
    /// Up to `per_option_max` points per option, at most `budget` in all.
    Cumulative { per_option_max: u64, budget: u64 },
    /// A score from 0 to `per_option_max` for every option.
    Score { per_option_max: u64 },
}

/// One option (candidate, answer) of a contest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContestOption {
    pub id: String,
    pub label: Text,
}

/// One question on the ballot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contest {
    pub id: String,
    pub title: Text,
    #[serde(flatten)]
    pub kind: ContestKind,
    pub options: Vec<ContestOption>,
    /// The label of an explicit blank vote, if one is offered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blank: Option<Text>,
}

/// The arithmetic a contest's proofs enforce (spec/record.md §3.2).
///
/// A ballot has one ciphertext per option, plus one for the blank vote if offered (last).
/// Each option encrypts a value in `0..=option_max`, the blank one in `0..=1`; the sum proof
/// covers `Σ options + blank_weight·blank ∈ total_min..=total_max`. With
/// `blank_weight = total_max`, a blank vote leaves no room for any other choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContestRules {
    pub option_max: u64,
    pub total_min: u64,
    pub total_max: u64,
    pub blank: bool,
}

impl ContestRules {
    /// The weight of the blank selection in the sum proof.
    pub fn blank_weight(&self) -> u64 {
        self.total_max
    }

    /// The largest value a selection at `index` may encrypt.
    pub fn selection_max(&self, index: usize, options: usize) -> u64 {
        if self.blank && index == options {
            1
        } else {
            self.option_max
        }
    }
}

impl Contest {
    /// The contest's proof rules.
    pub fn rules(&self) -> ContestRules {
        let n = self.options.len() as u64;
        let (option_max, total_min, total_max) = match self.kind {
            ContestKind::Single => (1, 1, 1),
            ContestKind::Select { min, max } => (1, min, max),
            ContestKind::Approval => (1, 0, n),
            ContestKind::Cumulative {
                per_option_max,
                budget,
            } => (per_option_max, 0, budget),
            ContestKind::Score { per_option_max } => {
                (per_option_max, 0, per_option_max.saturating_mul(n))
            }
        };
        ContestRules {
            option_max,
            total_min,
            total_max,
            blank: self.blank.is_some(),
        }
    }

    /// Number of selections (ciphertexts) a ballot carries for this contest.
    pub fn selection_count(&self) -> usize {
        self.options.len() + usize::from(self.blank.is_some())
    }

    /// Checks a plaintext vote (one value per selection, blank last) against the rules.
    pub fn check_vote(&self, index: usize, values: &[u64]) -> Result<()> {
        let rules = self.rules();
        let bad = |reason: String| ElectionError::InvalidVote {
            contest: index,
            reason,
        };
        if values.len() != self.selection_count() {
            return Err(bad(format!(
                "expected {} values, got {}",
                self.selection_count(),
                values.len()
            )));
        }
        for (i, &v) in values.iter().enumerate() {
            if v > rules.selection_max(i, self.options.len()) {
                return Err(bad(format!(
                    "value {v} for option {i} is above its maximum"
                )));
            }
        }
        let options = &values[..self.options.len()];
        let total: u64 = options.iter().sum();
        let blank = rules.blank && values.last() == Some(&1);
        if blank {
            if total != 0 {
                return Err(bad("a blank vote cannot also select options".into()));
            }
            return Ok(());
        }
        if total < rules.total_min || total > rules.total_max {
            return Err(bad(format!(
                "the selections add up to {total}; allowed is {} to {}",
                rules.total_min, rules.total_max
            )));
        }
        Ok(())
    }
}

/// The trustees of an election: `count` of them, any `threshold` can decrypt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trustees {
    pub count: u32,
    pub threshold: u32,
    /// Public names of the trustees, in index order (may be empty).
    #[serde(default)]
    pub names: Vec<String>,
}

/// When the election is open, in the organisation's time zone (informative: the board's
/// `open` and `close` events are what count).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VotingPeriod {
    pub opens: String,
    pub closes: String,
    pub time_zone: String,
}

/// One election of an election event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElectionManifest {
    pub version: u32,
    /// The event this election belongs to (shared by its parallel elections).
    pub event: Text,
    /// Short identifier, unique within the event, e.g. `teachers`.
    pub election_id: String,
    pub title: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voting_period: Option<VotingPeriod>,
    pub contests: Vec<Contest>,
    pub trustees: Trustees,
    #[serde(default)]
    pub revote: RevotePolicy,
    /// Whether voters carry weights other than 1.
    #[serde(default)]
    pub weighted: bool,
}

fn manifest_error(path: impl Into<String>, reason: impl Into<String>) -> ElectionError {
    ElectionError::Manifest {
        path: path.into(),
        reason: reason.into(),
    }
}

fn check_text(path: &str, text: &Text) -> Result<()> {
    if text.sv.trim().is_empty() || text.en.trim().is_empty() {
        return Err(manifest_error(path, "needs both Swedish and English text"));
    }
    Ok(())
}

fn check_id(path: &str, id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !ok {
        return Err(manifest_error(
            path,
            "an id is 1–64 characters of a–z, 0–9, - and _",
        ));
    }
    Ok(())
}

/// The most contests, and options per contest, a manifest may have.
pub const MAX_CONTESTS: usize = 64;
pub const MAX_OPTIONS: usize = 256;

impl ElectionManifest {
    /// Checks everything the proofs and the verifier rely on.
    pub fn validate(&self) -> Result<()> {
        if self.version != MANIFEST_VERSION {
            return Err(manifest_error(
                "version",
                format!("unsupported version {}", self.version),
            ));
        }
        check_text("event", &self.event)?;
        check_id("election_id", &self.election_id)?;
        check_text("title", &self.title)?;
        urna_crypto::dkg::DkgParameters::new(self.trustees.count, self.trustees.threshold)
            .map_err(|e| manifest_error("trustees", e.to_string()))?;
        if !self.trustees.names.is_empty()
            && self.trustees.names.len() != self.trustees.count as usize
        {
            return Err(manifest_error(
                "trustees.names",
                "give a name for every trustee or none",
            ));
        }
        if self.contests.is_empty() || self.contests.len() > MAX_CONTESTS {
            return Err(manifest_error(
                "contests",
                format!("need 1 to {MAX_CONTESTS} contests"),
            ));
        }
        for (i, contest) in self.contests.iter().enumerate() {
            let path = format!("contests[{i}]");
            check_id(&format!("{path}.id"), &contest.id)?;
            if self.contests[..i].iter().any(|c| c.id == contest.id) {
                return Err(manifest_error(format!("{path}.id"), "duplicate contest id"));
            }
            check_text(&format!("{path}.title"), &contest.title)?;
            if let Some(blank) = &contest.blank {
                check_text(&format!("{path}.blank"), blank)?;
            }
            let n = contest.options.len();
            if n == 0 || n > MAX_OPTIONS {
                return Err(manifest_error(
                    format!("{path}.options"),
                    format!("need 1 to {MAX_OPTIONS} options"),
                ));
            }
            for (j, option) in contest.options.iter().enumerate() {
                check_id(&format!("{path}.options[{j}].id"), &option.id)?;
                if contest.options[..j].iter().any(|o| o.id == option.id) {
                    return Err(manifest_error(
                        format!("{path}.options[{j}].id"),
                        "duplicate option id",
                    ));
                }
                check_text(&format!("{path}.options[{j}].label"), &option.label)?;
            }
            let rules = contest.rules();
            let kind_path = format!("{path}.type");
            match contest.kind {
                ContestKind::Select { min, max } if min > max || max == 0 || max > n as u64 => {
                    return Err(manifest_error(
                        kind_path,
                        "need min ≤ max, 1 ≤ max ≤ number of options",
                    ));
                }
                ContestKind::Cumulative {
                    per_option_max,
                    budget,
                } if per_option_max == 0 || budget == 0 => {
                    return Err(manifest_error(
                        kind_path,
                        "per-option maximum and budget must be positive",
                    ));
                }
                ContestKind::Score { per_option_max: 0 } => {
                    return Err(manifest_error(
                        kind_path,
                        "the per-option maximum must be positive",
                    ));
                }
                _ => {}
            }
            if rules.option_max >= MAX_RANGE_VALUES
                || rules.total_max - rules.total_min >= MAX_RANGE_VALUES
            {
                return Err(manifest_error(kind_path, "ranges too large to prove"));
            }
            if rules.blank && rules.total_max == 0 {
                return Err(manifest_error(
                    format!("{path}.blank"),
                    "a blank vote needs a positive maximum",
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contest(kind: ContestKind, options: usize, blank: bool) -> Contest {
        Contest {
            id: "c".into(),
            title: Text::new("Fråga", "Question"),
            kind,
            options: (0..options)
                .map(|i| ContestOption {
                    id: format!("o{i}"),
                    label: Text::new(format!("Alt {i}"), format!("Opt {i}")),
                })
                .collect(),
            blank: blank.then(|| Text::new("Blankt", "Blank")),
        }
    }

    #[test]
    fn vote_rules_by_kind() {
        let c = contest(ContestKind::Select { min: 0, max: 3 }, 7, true);
        assert!(c.check_vote(0, &[1, 1, 1, 0, 0, 0, 0, 0]).is_ok());
        assert!(
            c.check_vote(0, &[0, 0, 0, 0, 0, 0, 0, 1]).is_ok(),
            "blank alone"
        );
        assert!(
            c.check_vote(0, &[1, 1, 1, 1, 0, 0, 0, 0]).is_err(),
            "over-vote"
        );
        assert!(
            c.check_vote(0, &[1, 0, 0, 0, 0, 0, 0, 1]).is_err(),
            "blank with a choice"
        );
        let single = contest(ContestKind::Single, 3, false);
        assert!(single.check_vote(0, &[0, 0, 0]).is_err(), "under-vote");
        assert!(single.check_vote(0, &[0, 1, 0]).is_ok());
        let cumulative = contest(
            ContestKind::Cumulative {
                per_option_max: 3,
                budget: 4,
            },
            3,
            false,
        );
        assert!(cumulative.check_vote(0, &[3, 1, 0]).is_ok());
        assert!(cumulative.check_vote(0, &[3, 2, 0]).is_err(), "over budget");
        assert!(
            cumulative.check_vote(0, &[4, 0, 0]).is_err(),
            "over per-option maximum"
        );
    }
}
