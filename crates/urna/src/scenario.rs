//! The demo's elections: the department order from `tests/fixtures/` (two staff groups voting
//! in parallel, plus the student union's weighted council vote), or a generic election with
//! every contest kind.

use anyhow::{Context, Result};
use urna_election::manifest::{ContestOption, Trustees};
use urna_election::{Contest, ContestKind, ElectionManifest, Text};

const TEACHERS: &str = include_str!("../../../tests/fixtures/manifests/teachers.json");
const TECHNICAL_STAFF: &str =
    include_str!("../../../tests/fixtures/manifests/technical-staff.json");
const UNION_COUNCIL: &str = include_str!("../../../tests/fixtures/manifests/union-council.json");
const UNION_ROLL: &str = include_str!("../../../tests/fixtures/roll-union-council-weighted.csv");

/// One election of the demo with its roll (one weight per voter).
#[derive(Debug)]
pub struct DemoElection {
    pub manifest: ElectionManifest,
    pub weights: Vec<u64>,
}

fn parse(text: &str, name: &str) -> Result<ElectionManifest> {
    serde_json::from_str(text).with_context(|| format!("embedded manifest {name}"))
}

fn with_trustees(mut manifest: ElectionManifest, count: u32, threshold: u32) -> ElectionManifest {
    if manifest.trustees.count != count {
        manifest.trustees.names.clear();
    }
    manifest.trustees.count = count;
    manifest.trustees.threshold = threshold;
    manifest
}

/// The department order: teachers and technical staff in parallel (voters split 3:2 as in the
/// order's rolls), and with `weighted` the union council's 45 weighted delegates.
pub fn department_order(
    voters: usize,
    trustees: u32,
    threshold: u32,
    weighted: bool,
) -> Result<Vec<DemoElection>> {
    let teachers = voters * 3 / 5;
    let mut out = vec![
        DemoElection {
            manifest: with_trustees(parse(TEACHERS, "teachers")?, trustees, threshold),
            weights: vec![1; teachers],
        },
        DemoElection {
            manifest: with_trustees(
                parse(TECHNICAL_STAFF, "technical-staff")?,
                trustees,
                threshold,
            ),
            weights: vec![1; voters - teachers],
        },
    ];
    if weighted {
        let weights = UNION_ROLL
            .lines()
            .skip(1)
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.rsplit(',').next().unwrap_or("").trim().parse::<u64>())
            .collect::<Result<Vec<u64>, _>>()
            .context("weights in the union council roll")?;
        out.push(DemoElection {
            manifest: with_trustees(parse(UNION_COUNCIL, "union-council")?, trustees, threshold),
            weights,
        });
    }
    out.retain(|e| !e.weights.is_empty());
    Ok(out)
}

/// A generic election with one contest of every kind, `options` options each.
pub fn every_kind(
    voters: usize,
    options: usize,
    trustees: u32,
    threshold: u32,
    weighted: bool,
) -> DemoElection {
    let opts: Vec<ContestOption> = (1..=options)
        .map(|i| ContestOption {
            id: format!("option-{i}"),
            label: Text::new(format!("Alternativ {i}"), format!("Option {i}")),
        })
        .collect();
    let k = options.min(3) as u64;
    let contest = |id: &str, sv: &str, en: &str, kind: ContestKind, blank: bool| Contest {
        id: id.into(),
        title: Text::new(sv, en),
        kind,
        options: opts.clone(),
        blank: blank.then(|| Text::new("Jag röstar blankt", "I vote blank")),
    };
    let manifest = ElectionManifest {
        version: urna_election::manifest::MANIFEST_VERSION,
        event: Text::new("Demonstrationsval", "Demonstration election"),
        election_id: "every-kind".into(),
        title: Text::new("Alla sorters frågor", "Every kind of contest"),
        voting_period: None,
        contests: vec![
            contest("single", "Välj en", "Choose one", ContestKind::Single, true),
            contest(
                "select",
                "Välj upp till tre",
                "Choose up to three",
                ContestKind::Select { min: 1, max: k },
                true,
            ),
            contest(
                "approval",
                "Godkänn valfritt antal",
                "Approve any number",
                ContestKind::Approval,
                false,
            ),
            contest(
                "cumulative",
                "Fördela fem poäng",
                "Spread five points",
                ContestKind::Cumulative {
                    per_option_max: 3,
                    budget: 5,
                },
                false,
            ),
            contest(
                "score",
                "Betygsätt 0–4",
                "Score 0–4",
                ContestKind::Score { per_option_max: 4 },
                false,
            ),
        ],
        trustees: Trustees {
            count: trustees,
            threshold,
            names: Vec::new(),
        },
        revote: Default::default(),
        weighted,
    };
    let weights = (0..voters)
        .map(|i| if weighted { 1 + (i as u64 % 3) } else { 1 })
        .collect();
    DemoElection { manifest, weights }
}
