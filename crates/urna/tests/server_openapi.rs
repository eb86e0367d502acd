//! spec/openapi.json against spec/api.md and the wire types: every route in api.md's tables
//! is in the document and nothing else is; every `$ref` resolves; every path parameter is
//! declared; and real values of the wire types (serialised by serde, and the payloads of the
//! record in spec/vectors/record-v1) match the document's schemas exactly, with no property
//! the schema does not name. So the document cannot drift from the code or the prose.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};
use support::repo_root;
use urna_api::*;
use urna_crypto::Digest32;
use urna_election::board::BoardEntry;
use urna_election::manifest::{Contest, ContestKind, ContestOption, ElectionManifest, Text};

fn openapi() -> Value {
    let text =
        std::fs::read_to_string(repo_root().join("spec/openapi.json")).expect("spec/openapi.json");
    serde_json::from_str(&text).expect("spec/openapi.json is JSON")
}

/// `(METHOD, /full/path)` of every row `| \`METHOD /path…\` | … |` of api.md's tables; the
/// query string is dropped and the `/api/v1` prefix added except for /healthz and /metrics.
fn api_md_routes() -> BTreeSet<(String, String)> {
    let text = std::fs::read_to_string(repo_root().join("spec/api.md")).expect("spec/api.md");
    let mut routes = BTreeSet::new();
    for line in text.lines() {
        let Some(rest) = line.trim_start().strip_prefix("| `") else {
            continue;
        };
        let Some(end) = rest.find('`') else { continue };
        let cell = &rest[..end];
        let Some((method, path)) = cell.split_once(' ') else {
            continue;
        };
        if !["GET", "POST", "PUT", "DELETE", "PATCH"].contains(&method) {
            continue;
        }
        let path = path.split('?').next().unwrap_or(path).trim();
        assert!(path.starts_with('/'), "api.md route {cell:?} has no path");
        let full = if path == "/healthz" || path == "/metrics" {
            path.to_owned()
        } else {
            format!("{API_PREFIX}{path}")
        };
        assert!(
            routes.insert((method.to_owned(), full)),
            "api.md lists {cell:?} twice"
        );
    }
    routes
}

fn openapi_routes(doc: &Value) -> BTreeSet<(String, String)> {
    let mut routes = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, _) in item.as_object().expect("path item") {
            if ["get", "post", "put", "delete", "patch"].contains(&method.as_str()) {
                routes.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    routes
}

#[test]
fn every_route_of_api_md_is_in_openapi_and_nothing_else() {
    let doc = openapi();
    assert!(
        doc["openapi"].as_str().unwrap_or("").starts_with("3.1."),
        "an OpenAPI 3.1 document"
    );
    let md = api_md_routes();
    assert!(md.len() >= 30, "api.md's tables were not parsed: {md:?}");
    let spec = openapi_routes(&doc);
    let missing: Vec<_> = md.difference(&spec).collect();
    let extra: Vec<_> = spec.difference(&md).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "spec/api.md and spec/openapi.json differ:\n  only in api.md: {missing:?}\n  only in openapi.json: {extra:?}"
    );
}

/// Every `{param}` in a path is declared as a path parameter of each of its operations, and
/// every operation answers with at least one documented status.
#[test]
fn path_parameters_are_declared_and_operations_answer() {
    let doc = openapi();
    let mut ids = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        let names: BTreeSet<String> = path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(str::to_owned)
            .collect();
        for (method, op) in item.as_object().expect("item") {
            let declared: BTreeSet<String> = op["parameters"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .filter(|p| p["in"] == "path")
                        .map(|p| p["name"].as_str().unwrap_or("").to_owned())
                        .collect()
                })
                .unwrap_or_default();
            assert_eq!(names, declared, "{method} {path}: path parameters");
            let responses = op["responses"].as_object().expect("responses");
            assert!(
                responses.keys().any(|k| k.starts_with('2')),
                "{method} {path} has no success answer"
            );
            let id = op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path}: operationId"));
            assert!(ids.insert(id.to_owned()), "operationId {id} twice");
        }
    }
}

/// The answers of the server's own faults and limits are documented where they can happen
/// (spec/api.md §1): 503 `unavailable` on every operation that reads or writes the database,
/// 507 `storage_full` on every write, 408 `timeout` on every operation that takes a body.
#[test]
fn fault_and_limit_answers_are_documented_per_operation() {
    let doc = openapi();
    // The two operations that never touch the database.
    let no_database = [("get", "/metrics"), ("get", "/api/v1/openapi.json")];
    let mut missing = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            let responses = op["responses"].as_object().expect("responses");
            let mut expected = Vec::new();
            if !no_database.contains(&(method.as_str(), path.as_str())) {
                expected.push(("503", "Unavailable"));
            }
            if ["post", "put", "delete", "patch"].contains(&method.as_str()) {
                expected.push(("507", "StorageFull"));
            }
            if op.get("requestBody").is_some() {
                expected.push(("408", "Timeout"));
            }
            for (code, name) in expected {
                let reference = format!("#/components/responses/{name}");
                if responses.get(code).and_then(|r| r["$ref"].as_str()) != Some(&reference) {
                    missing.push(format!("{method} {path}: {code} {name}"));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "undocumented answers:\n{}",
        missing.join("\n")
    );
}

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "$ref" {
                    out.push(x.as_str().expect("$ref is a string").to_owned());
                } else {
                    collect_refs(x, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_refs(x, out)),
        _ => {}
    }
}

fn resolve<'a>(doc: &'a Value, reference: &str) -> &'a Value {
    let pointer = reference
        .strip_prefix('#')
        .unwrap_or_else(|| panic!("only local references: {reference}"));
    doc.pointer(pointer)
        .unwrap_or_else(|| panic!("{reference} does not resolve"))
}

#[test]
fn every_reference_resolves_and_every_schema_is_used() {
    let doc = openapi();
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    for r in &refs {
        resolve(&doc, r);
    }
    let used: BTreeSet<&str> = refs
        .iter()
        .map(|r| r.rsplit('/').next().unwrap_or(""))
        .collect();
    for name in doc["components"]["schemas"]
        .as_object()
        .expect("schemas")
        .keys()
    {
        assert!(used.contains(name.as_str()), "schema {name} is never used");
    }
    let schemes = doc["components"]["securitySchemes"]
        .as_object()
        .expect("securitySchemes");
    assert_eq!(schemes["adminSession"]["in"], "cookie");
    assert_eq!(schemes["adminSession"]["name"], SESSION_COOKIE);
    assert_eq!(schemes["csrfToken"]["in"], "header");
    assert_eq!(schemes["csrfToken"]["name"], CSRF_HEADER);
    assert_eq!(schemes["trusteeToken"]["scheme"], "bearer");
}

// ---------------------------------------------------------------------------------------------
// A strict validator for the subset of JSON Schema the document uses.

fn check_pattern(pattern: &str, s: &str) -> bool {
    let hex = |n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    match pattern {
        "^[0-9a-fA-F]{64}$" => hex(64),
        "^[0-9a-fA-F]{128}$" => hex(128),
        "^[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}$" => {
            let groups: Vec<&str> = s.split('-').collect();
            groups.len() == 4
                && groups.iter().all(|g| {
                    g.len() == 4
                        && g.bytes()
                            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
                })
        }
        other => panic!("the test does not know the pattern {other}; teach check_pattern"),
    }
}

/// Validates `value` against `schema`; objects with `properties` are closed (a property the
/// schema does not name is drift).
fn validate(doc: &Value, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        validate(doc, resolve(doc, r), value, at, errors);
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        for s in all {
            validate(doc, s, value, at, errors);
        }
    }
    if let Some(t) = schema.get("type").and_then(Value::as_str) {
        let ok = match t {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            "null" => value.is_null(),
            other => panic!("type {other}"),
        };
        if !ok {
            errors.push(format!("{at}: expected {t}, got {value}"));
            return;
        }
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        if !values.contains(value) {
            errors.push(format!("{at}: {value} is not one of {values:?}"));
        }
    }
    if let Some(c) = schema.get("const") {
        if c != value {
            errors.push(format!("{at}: {value} is not {c}"));
        }
    }
    if let (Some(p), Some(s)) = (
        schema.get("pattern").and_then(Value::as_str),
        value.as_str(),
    ) {
        if !check_pattern(p, s) {
            errors.push(format!("{at}: {s:?} does not match {p}"));
        }
    }
    if let (Some(min), Some(n)) = (
        schema.get("minimum").and_then(Value::as_i64),
        value.as_i64(),
    ) {
        if n < min {
            errors.push(format!("{at}: {n} < {min}"));
        }
    }
    if let (Some(items), Some(a)) = (schema.get("items"), value.as_array()) {
        for (i, x) in a.iter().enumerate() {
            validate(doc, items, x, &format!("{at}[{i}]"), errors);
        }
    }
    if let (Some(props), Some(obj)) = (
        schema.get("properties").and_then(Value::as_object),
        value.as_object(),
    ) {
        for key in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let key = key.as_str().expect("required names");
            if !obj.contains_key(key) {
                errors.push(format!("{at}: required property {key} is missing"));
            }
        }
        for (k, x) in obj {
            match props.get(k) {
                Some(s) => validate(doc, s, x, &format!("{at}.{k}"), errors),
                None => errors.push(format!("{at}: property {k} is not in the schema")),
            }
        }
    }
}

fn assert_valid(doc: &Value, schema_name: &str, value: &Value) {
    let schema = json!({"$ref": format!("#/components/schemas/{schema_name}")});
    let mut errors = Vec::new();
    validate(doc, &schema, value, schema_name, &mut errors);
    assert!(
        errors.is_empty(),
        "{schema_name} does not match its schema:\n{}",
        errors.join("\n")
    );
}

fn assert_valid_t<T: serde::Serialize>(doc: &Value, schema_name: &str, value: &T) {
    assert_valid(
        doc,
        schema_name,
        &serde_json::to_value(value).expect("serialise"),
    );
}

/// The schema an operation answers with (status `code`, JSON).
fn response_schema<'a>(doc: &'a Value, method: &str, path: &str, code: &str) -> &'a Value {
    let r = &doc["paths"][path][method]["responses"][code];
    let r = match r.get("$ref").and_then(Value::as_str) {
        Some(reference) => resolve(doc, reference),
        None => r,
    };
    &r["content"]["application/json"]["schema"]
}

fn record_events() -> Vec<(String, Value)> {
    let text = std::fs::read_to_string(repo_root().join("spec/vectors/record-v1/board.jsonl"))
        .expect("record");
    text.lines()
        .map(|line| {
            let entry = BoardEntry::parse_line(line).expect("entry");
            let v: Value = serde_json::from_str(line).expect("line");
            (entry.kind.clone(), v["payload"].clone())
        })
        .collect()
}

#[test]
fn board_payloads_match_the_crypto_schemas() {
    let doc = openapi();
    let mut seen = BTreeMap::new();
    for (kind, payload) in record_events() {
        let (schema, value) = match kind.as_str() {
            "setup" => ("ElectionManifest", payload["manifest"].clone()),
            "dkg-round1" => ("Round1Package", payload),
            "dkg-round2" => ("Round2Package", payload),
            "dkg-round3" => ("Round3Package", payload),
            "ballot" => ("Ballot", payload["ballot"].clone()),
            "tally" => ("EncryptedTally", payload),
            "decryption" => ("TrusteeDecryption", payload),
            "result" => ("ElectionResult", payload),
            _ => continue,
        };
        assert_valid(&doc, schema, &value);
        *seen.entry(schema).or_insert(0) += 1;
    }
    assert_eq!(seen.len(), 8, "the record has every payload kind: {seen:?}");
}

fn sample_manifest() -> ElectionManifest {
    let text = std::fs::read_to_string(repo_root().join("tests/fixtures/manifests/teachers.json"))
        .expect("manifest");
    let mut m: ElectionManifest = serde_json::from_str(&text).expect("manifest");
    // Every contest kind, so each kind's fields are checked.
    let option = |id: &str| ContestOption {
        id: id.into(),
        label: Text::new(id, id),
    };
    for (i, kind) in [
        ContestKind::Approval,
        ContestKind::Cumulative {
            per_option_max: 2,
            budget: 3,
        },
        ContestKind::Score { per_option_max: 5 },
    ]
    .into_iter()
    .enumerate()
    {
        m.contests.push(Contest {
            id: format!("extra-{i}"),
            title: Text::new("Fråga", "Question"),
            kind,
            options: vec![option("a"), option("b")],
            blank: None,
        });
    }
    m
}

#[test]
fn wire_types_match_their_schemas() {
    let doc = openapi();
    let d = Digest32([7; 32]);
    let manifest = sample_manifest();
    let events = record_events();
    let head = Head {
        entries: 12,
        hash: d,
    };
    let summary = ElectionSummary {
        id: "e1".into(),
        state: ElectionState::Open,
        manifest: manifest.clone(),
        head: head.clone(),
        fingerprint: Some(d),
        opens_at: Some("2027-03-01T09:00:00+01:00".into()),
        closes_at: Some("2027-03-08T16:00:00+01:00".into()),
        ballots: 3,
        voters: 10,
    };
    let bare = ElectionSummary {
        fingerprint: None,
        opens_at: None,
        closes_at: None,
        state: ElectionState::Draft,
        ..summary.clone()
    };
    let mail = MailStatus {
        queued: 1,
        invited: 2,
        failed: vec![FailedMail {
            recipient: "a@b.se".into(),
            attempts: 5,
            error: "550".into(),
        }],
        retrying: 1,
        last_error: Some("temporary mail failure: connection refused".into()),
        next_attempt: Some("2027-03-01T08:00:04Z".into()),
    };
    let created = CreatedElection {
        id: "e1".into(),
        orderer_link: "https://val.example.edu/orderer/abc".into(),
        orderer_token: "abc".into(),
        trustees: vec![TrusteeAccess {
            index: 1,
            name: "T".into(),
            token: "tok".into(),
        }],
    };
    let payload = |kind: &str| {
        events
            .iter()
            .find(|(k, _)| k == kind)
            .map(|(_, p)| p.clone())
            .unwrap_or_else(|| panic!("{kind} in the record"))
    };
    let view = TrusteeView {
        id: "e1".into(),
        state: ElectionState::Tallying,
        index: 1,
        trustees: 3,
        threshold: 2,
        setup_hash: Some(d),
        round1: vec![serde_json::from_value(payload("dkg-round1")).expect("round 1")],
        round2: vec![serde_json::from_value(payload("dkg-round2")).expect("round 2")],
        round3: vec![serde_json::from_value(payload("dkg-round3")).expect("round 3")],
        fingerprint: Some(d),
        tally: Some(serde_json::from_value(payload("tally")).expect("tally")),
        decrypted_by: vec![2],
    };
    let cases: Vec<(&str, Value)> = vec![
        (
            "ApiError",
            serde_json::to_value(ApiErrorBody {
                error: "invalid_roll".into(),
                message: "m".into(),
                details: vec![LineError {
                    line: 7,
                    reason: "invalid e-mail address".into(),
                }],
            })
            .unwrap(),
        ),
        (
            "ApiError",
            serde_json::to_value(ApiErrorBody {
                error: "not_found".into(),
                message: "m".into(),
                details: vec![],
            })
            .unwrap(),
        ),
        ("Head", serde_json::to_value(&head).unwrap()),
        ("ElectionSummary", serde_json::to_value(&summary).unwrap()),
        ("ElectionSummary", serde_json::to_value(&bare).unwrap()),
        (
            "BoothInfo",
            serde_json::to_value(BoothInfo {
                id: "e1".into(),
                state: ElectionState::Scheduled,
                manifest: manifest.clone(),
                setup_hash: d,
                election_key: urna_crypto::PointBytes([1; 32]),
                fingerprint: d,
            })
            .unwrap(),
        ),
        (
            "CastReceipt",
            serde_json::to_value(CastReceipt {
                tracking_code: "MFRG-GZDF-MZTW-Q2LK".into(),
                seq: 9,
                entry_hash: d,
            })
            .unwrap(),
        ),
        (
            "BallotLookup",
            serde_json::to_value(BallotLookup {
                tracking_code: "MFRG-GZDF-MZTW-Q2LK".into(),
                seq: 9,
                entry_hash: d,
                counted: true,
            })
            .unwrap(),
        ),
        (
            "BoardPage",
            serde_json::to_value(BoardPage {
                lines: vec!["{}".into()],
                next: Some(100),
            })
            .unwrap(),
        ),
        (
            "BoardPage",
            serde_json::to_value(BoardPage {
                lines: vec![],
                next: None,
            })
            .unwrap(),
        ),
        (
            "LoginRequest",
            serde_json::to_value(LoginRequest {
                username: "admin".into(),
                password: "a long password".into(),
            })
            .unwrap(),
        ),
        (
            "NewAdmin",
            serde_json::to_value(NewAdmin {
                username: "admin2".into(),
                password: "a long password".into(),
            })
            .unwrap(),
        ),
        (
            "SessionInfo",
            serde_json::to_value(SessionInfo {
                username: "admin".into(),
                csrf_token: "x".into(),
            })
            .unwrap(),
        ),
        (
            "CreateElection",
            serde_json::to_value(CreateElection {
                manifest: manifest.clone(),
                orderer: Orderer {
                    name: "P".into(),
                    email: "p@x.se".into(),
                },
            })
            .unwrap(),
        ),
        ("CreatedElection", serde_json::to_value(&created).unwrap()),
        (
            "RollImported",
            serde_json::to_value(RollImported {
                voters: 2,
                total_weight: 2,
                warnings: vec!["also on teachers".into()],
            })
            .unwrap(),
        ),
        (
            "AddElectionAdmin",
            serde_json::to_value(AddElectionAdmin {
                username: "b".into(),
            })
            .unwrap(),
        ),
        (
            "AdminElection",
            serde_json::to_value(AdminElection {
                summary: summary.clone(),
                admins: vec!["admin".into()],
                roll_voters: 10,
                roll_weight: 10,
                mail: mail.clone(),
                error: Some("blame".into()),
                ceremony_progress: vec![vec![1, 2, 3], vec![], vec![]],
                decrypted_by: vec![],
            })
            .unwrap(),
        ),
        ("MailStatus", serde_json::to_value(&mail).unwrap()),
        (
            "OrdererView",
            serde_json::to_value(OrdererView {
                orderer: Orderer {
                    name: "P".into(),
                    email: "p@x.se".into(),
                },
                summary: summary.clone(),
                qualified_trustees: vec![1, 2, 3],
                total_weight: 10,
                approved_by: Some("P".into()),
            })
            .unwrap(),
        ),
        (
            "Approve",
            serde_json::to_value(Approve {
                fingerprint: d,
                name: "P".into(),
            })
            .unwrap(),
        ),
        (
            "Reject",
            serde_json::to_value(Reject {
                reason: "wrong roll".into(),
            })
            .unwrap(),
        ),
        ("TrusteeView", serde_json::to_value(&view).unwrap()),
        (
            "Posted",
            serde_json::to_value(Posted {
                seq: 4,
                entry_hash: d,
                state: ElectionState::AwaitingApproval,
            })
            .unwrap(),
        ),
    ];
    let mut covered = BTreeSet::new();
    for (name, value) in &cases {
        assert_valid(&doc, name, value);
        covered.insert(*name);
    }
    // Every ElectionState variant is in the enum.
    for state in [
        ElectionState::Draft,
        ElectionState::KeyCeremony,
        ElectionState::AwaitingApproval,
        ElectionState::Scheduled,
        ElectionState::Open,
        ElectionState::Tallying,
        ElectionState::Published,
        ElectionState::Rejected,
        ElectionState::Failed,
    ] {
        assert_valid_t(&doc, "ElectionState", &state);
    }
    // The answers of the main routes use these schemas.
    for (method, path, code, schema) in [
        ("get", "/api/v1/elections/{id}", "200", "ElectionSummary"),
        (
            "post",
            "/api/v1/elections/{id}/ballots",
            "201",
            "CastReceipt",
        ),
        ("post", "/api/v1/admin/elections", "201", "CreatedElection"),
        (
            "get",
            "/api/v1/trustee/elections/{id}",
            "200",
            "TrusteeView",
        ),
        ("post", "/api/v1/elections/{id}/ballots", "409", "ApiError"),
    ] {
        assert_eq!(
            response_schema(&doc, method, path, code)["$ref"],
            format!("#/components/schemas/{schema}"),
            "{method} {path} {code}"
        );
    }
    // Every schema with properties in the document is checked by a value here or above.
    let crypto: BTreeSet<&str> = [
        "ElectionManifest",
        "Round1Package",
        "Round2Package",
        "Round3Package",
        "Ballot",
        "EncryptedTally",
        "TrusteeDecryption",
        "ElectionResult",
    ]
    .into();
    let mut unchecked = Vec::new();
    for (name, schema) in doc["components"]["schemas"].as_object().expect("schemas") {
        if schema.get("properties").is_some()
            && !covered.contains(name.as_str())
            && !crypto.contains(name.as_str())
        {
            // Nested schemas are checked through their parents.
            let nested = [
                "Text",
                "ContestOption",
                "Contest",
                "Trustees",
                "VotingPeriod",
                "LineError",
                "Orderer",
                "TrusteeAccess",
                "FailedMail",
                "SchnorrProof",
                "ProofBranch",
                "Selection",
                "ContestBallot",
                "DleqProof",
                "EncryptedShare",
                "Complaint",
                "DecryptionShare",
                "ContestResult",
            ];
            if !nested.contains(&name.as_str()) {
                unchecked.push(name.clone());
            }
        }
    }
    assert!(
        unchecked.is_empty(),
        "schemas no test value covers: {unchecked:?}"
    );
}

/// A schema with a property the serde type lacks, or without one it has, fails the check
/// (the validator itself is tested).
#[test]
fn the_validator_catches_drift() {
    let doc = openapi();
    let mut v = serde_json::to_value(Head {
        entries: 1,
        hash: Digest32([0; 32]),
    })
    .unwrap();
    v["extra"] = json!(1);
    let mut errors = Vec::new();
    validate(
        &doc,
        &json!({"$ref": "#/components/schemas/Head"}),
        &v,
        "Head",
        &mut errors,
    );
    assert!(errors.iter().any(|e| e.contains("extra")), "{errors:?}");
    let v = json!({"entries": 1, "hash": "zz"});
    let mut errors = Vec::new();
    validate(
        &doc,
        &json!({"$ref": "#/components/schemas/Head"}),
        &v,
        "Head",
        &mut errors,
    );
    assert!(
        errors.iter().any(|e| e.contains("does not match")),
        "{errors:?}"
    );
    let v = json!({"entries": 1});
    let mut errors = Vec::new();
    validate(
        &doc,
        &json!({"$ref": "#/components/schemas/Head"}),
        &v,
        "Head",
        &mut errors,
    );
    assert!(errors.iter().any(|e| e.contains("missing")), "{errors:?}");
}

/// The server serves the document verbatim (needs `urna serve`; see server_bad_input.rs for
/// the other routes).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_serves_the_document() {
    let dir = tempfile::tempdir().unwrap();
    let db = support::Database::sqlite(dir.path());
    let server = support::Server::start(support::ServerOptions::new(&db));
    let api = support::http::Api::new(&server.url());
    let reply = api.get("/openapi.json").await.expect(200);
    assert_eq!(
        serde_json::from_str::<Value>(&reply.body).unwrap(),
        openapi(),
        "GET /api/v1/openapi.json is spec/openapi.json"
    );
}
