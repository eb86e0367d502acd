//! spec/threat-model.md stays honest: every threat row names at least one test, every test it
//! names exists (a function, or a case of a table-driven test), and every fuzz target in
//! fuzz/fuzz_targets/ is described in fuzz/README.md and has a long run recorded there of at
//! least 10^7 executions, but for the listed targets, which must not claim it.

mod support;

use std::collections::BTreeSet;
use std::path::Path;

fn threat_model() -> String {
    let path = support::repo_root().join("spec/threat-model.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A reference to a test: `path::function` or `path::"case"`.
#[derive(Debug, PartialEq)]
struct TestRef {
    file: String,
    item: Item,
}

#[derive(Debug, PartialEq)]
enum Item {
    Function(String),
    Case(String),
}

/// Every `` `crates/…/tests/….rs::name` `` or `` `…::"case"` `` in `text`.
fn references(text: &str) -> Vec<TestRef> {
    let mut refs = Vec::new();
    for span in text.split('`').skip(1).step_by(2) {
        let Some((file, item)) = span.split_once("::") else {
            continue;
        };
        if !file.ends_with(".rs") || !file.contains("/tests/") {
            continue;
        }
        let item = match item.strip_prefix('"').and_then(|c| c.strip_suffix('"')) {
            Some(case) => Item::Case(case.to_owned()),
            None => Item::Function(item.to_owned()),
        };
        refs.push(TestRef {
            file: file.to_owned(),
            item,
        });
    }
    refs
}

/// Whether `source` defines a test function `name` (sync or async).
fn defines_function(source: &str, name: &str) -> bool {
    source.lines().any(|line| {
        let line = line.trim_start();
        let line = line.strip_prefix("pub ").unwrap_or(line);
        let line = line.strip_prefix("async ").unwrap_or(line);
        line.strip_prefix("fn ")
            .and_then(|rest| rest.strip_prefix(name))
            .is_some_and(|rest| rest.starts_with('(') || rest.starts_with('<'))
    })
}

#[test]
fn the_reference_parser_finds_functions_and_cases() {
    let refs = references(
        "| x | `crates/a/tests/b.rs::one_test`, `crates/a/tests/b.rs::\"a case\"` and `not::this` |",
    );
    assert_eq!(
        refs,
        vec![
            TestRef {
                file: "crates/a/tests/b.rs".into(),
                item: Item::Function("one_test".into())
            },
            TestRef {
                file: "crates/a/tests/b.rs".into(),
                item: Item::Case("a case".into())
            },
        ]
    );
    assert!(defines_function("async fn one_test() {", "one_test"));
    assert!(defines_function("    fn one_test() {", "one_test"));
    assert!(!defines_function("fn one_test_more() {", "one_test"));
    assert!(!defines_function("// one_test()", "one_test"));
}

#[test]
fn every_threat_names_a_test_that_exists() {
    let text = threat_model();
    assert!(
        !text.contains("TODO"),
        "spec/threat-model.md still has a TODO"
    );
    let root = support::repo_root();
    let mut rows = 0;
    let mut missing = Vec::new();
    for line in text.lines() {
        // Threat rows: `| V-1 | …`, `| B-11 | …`.
        let Some(id) = line
            .strip_prefix("| ")
            .and_then(|rest| rest.split_once(" |"))
            .map(|(id, _)| id)
        else {
            continue;
        };
        let is_threat_id = id.split_once('-').is_some_and(|(letter, number)| {
            letter.len() == 1
                && letter.chars().all(|c| c.is_ascii_uppercase())
                && number.parse::<u32>().is_ok()
        });
        if !is_threat_id {
            continue;
        }
        rows += 1;
        let refs = references(line);
        if refs.is_empty() {
            missing.push(format!("{id}: names no test"));
        }
        for r in refs {
            let path = root.join(&r.file);
            let source = match std::fs::read_to_string(&path) {
                Ok(s) => s,
                Err(e) => {
                    missing.push(format!("{id}: {}: {e}", r.file));
                    continue;
                }
            };
            let found = match &r.item {
                Item::Function(name) => defines_function(&source, name),
                Item::Case(case) => source.contains(&format!("\"{case}\"")),
            };
            if !found {
                missing.push(format!("{id}: {}::{:?} not found", r.file, r.item));
            }
        }
    }
    assert!(rows >= 30, "only {rows} threat rows were found");
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

/// The fuzz targets, by file name.
fn fuzz_targets(root: &Path) -> BTreeSet<String> {
    let dir = root.join("fuzz/fuzz_targets");
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_suffix(".rs"))
                .map(str::to_owned)
        })
        .collect()
}

fn fuzz_readme(root: &Path) -> String {
    let path = root.join("fuzz/README.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The text under the heading that starts with `heading`, up to the next `## ` heading.
fn readme_section<'a>(readme: &'a str, heading: &str) -> &'a str {
    readme
        .split_once(&format!("\n{heading}"))
        .and_then(|(_, rest)| rest.split_once('\n'))
        .and_then(|(_, body)| body.split("\n## ").next())
        .unwrap_or_else(|| panic!("no section '{heading}' in fuzz/README.md"))
}

/// The first cell of each table row in `section`, without its backticks.
fn first_cells(section: &str) -> BTreeSet<String> {
    section
        .lines()
        .filter_map(|line| line.strip_prefix('|'))
        .filter_map(|row| row.split('|').next())
        .map(|cell| cell.trim().trim_matches('`').to_owned())
        .collect()
}

#[test]
fn every_fuzz_target_is_described() {
    let root = support::repo_root();
    let targets = fuzz_targets(&root);
    let described = first_cells(readme_section(&fuzz_readme(&root), "## Targets"));
    let missing: Vec<_> = targets.difference(&described).collect();
    assert!(
        missing.is_empty(),
        "fuzz targets without a row in the Targets table of fuzz/README.md: {missing:?}"
    );
}

/// Targets whose long run is still short of 10^7 executions: a new target goes here until its
/// run is made. Each must still have a recorded run, and its row must not say "done".
const NOT_YET_TEN_MILLION: [&str; 0] = [];

#[test]
fn every_fuzz_target_has_a_recorded_long_run() {
    let root = support::repo_root();
    let targets = fuzz_targets(&root);
    assert!(targets.len() >= 10, "only {} fuzz targets", targets.len());
    let readme = fuzz_readme(&root);
    let section = readme_section(&readme, "## Long runs");
    let mut recorded = BTreeSet::new();
    let mut wrong = Vec::new();
    for line in section.lines() {
        // `| `target` | executions | exec/s | time | corpus | status |`
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 7 {
            continue;
        }
        let name = cells[1].trim_matches('`');
        if !targets.contains(name) {
            continue;
        }
        let digits: String = cells[2]
            .split_whitespace()
            .find(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()))
            .unwrap_or("")
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        let executions = digits.parse::<u64>().unwrap_or(0);
        let status = cells[6];
        let exempt = NOT_YET_TEN_MILLION.contains(&name);
        if executions == 0 {
            wrong.push(format!("{name}: no execution count in {:?}", cells[2]));
        } else if executions >= 10_000_000 {
            if exempt {
                wrong.push(format!(
                    "{name} reached 10^7: take it off NOT_YET_TEN_MILLION"
                ));
            }
        } else if !exempt {
            wrong.push(format!("{name}: only {executions} executions"));
        } else if status.starts_with("done") {
            wrong.push(format!(
                "{name}: {executions} executions, yet the row says done"
            ));
        }
        recorded.insert(name.to_owned());
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let unrecorded: Vec<_> = targets.difference(&recorded).collect();
    assert!(
        unrecorded.is_empty(),
        "fuzz targets without a recorded run in fuzz/README.md: {unrecorded:?}"
    );
}
