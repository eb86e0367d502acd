//! Bad requests against a running `urna serve` with open elections: each one gets its status
//! and stable error code (spec/api.md §1), stores nothing (every board head is unchanged) and
//! leaves the server answering /healthz.

mod support;

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use reqwest::Method;
use serde_json::{json, Value};
use support::election::{self, Prepared};
use support::http::{Admin, Api};
use support::{Database, Server, ServerOptions};
use urna_crypto::dkg::{self, DkgParameters};
use urna_election::ballot::Ballot;
use urna_election::credential::CredentialSecret;

/// One bad request and what it must get.
struct Case {
    name: &'static str,
    method: Method,
    path: String,
    headers: Vec<(String, String)>,
    /// Content type and bytes.
    body: Option<(String, Vec<u8>)>,
    status: u16,
    code: &'static str,
}

impl Case {
    fn new(
        name: &'static str,
        method: Method,
        path: impl Into<String>,
        status: u16,
        code: &'static str,
    ) -> Self {
        Self {
            name,
            method,
            path: path.into(),
            headers: Vec::new(),
            body: None,
            status,
            code,
        }
    }

    fn json(mut self, value: &Value) -> Self {
        self.body = Some((
            "application/json".into(),
            serde_json::to_vec(value).unwrap(),
        ));
        self
    }

    fn raw(mut self, content_type: &str, bytes: impl Into<Vec<u8>>) -> Self {
        self.body = Some((content_type.into(), bytes.into()));
        self
    }

    fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// As the logged-in admin (cookie and CSRF header).
    fn admin(self, admin: &Admin) -> Self {
        self.header("cookie", &admin.cookie)
            .header(urna_api::CSRF_HEADER, &admin.csrf)
    }

    fn bearer(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }
}

fn to_json(ballot: &Ballot) -> Value {
    serde_json::to_value(ballot).unwrap()
}

/// Flips the lowest bit of the first byte of a hex string.
fn flip(hex: &Value) -> Value {
    let mut bytes = hex::decode(hex.as_str().unwrap()).unwrap();
    bytes[0] ^= 1;
    Value::String(hex::encode(bytes))
}

fn ff() -> Value {
    Value::String("ff".repeat(32))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_are_refused_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = Database::sqlite(dir.path());
    let server = Server::start(ServerOptions::new(&db));
    let api = Api::new(&server.url());
    let admin = Admin::login(&api, "admin", server.admin_password()).await;
    let mut rng = ChaCha20Rng::seed_from_u64(11);

    // A: open, 4 voters, one of whom has voted.
    let (roll_a, _) = election::roll("math.example.edu", 4);
    let a: Prepared = election::prepare(
        &admin,
        &election::manifest("technical-staff"),
        &roll_a,
        &mut rng,
    )
    .await;
    election::open(&admin, &a.id).await;
    let keys_a = election::outbox_keys(server.outbox(), &server.public_url(), &a, 4).await;
    let (voted, _) = election::ballot(&a.context, &keys_a[0], &mut rng);
    election::cast_ok(&api, &a.id, &voted).await;
    // B: a parallel election, voted in and closed.
    let (roll_b, _) = election::roll("teachers.example.edu", 2);
    let b = election::prepare(&admin, &election::manifest("teachers"), &roll_b, &mut rng).await;
    election::open(&admin, &b.id).await;
    let keys_b = election::outbox_keys(server.outbox(), &server.public_url(), &b, 2).await;
    let (cast_b, _) = election::ballot(&b.context, &keys_b[0], &mut rng);
    election::cast_ok(&api, &b.id, &cast_b).await;
    election::close(&admin, &b.id).await;
    // C: in its key ceremony, nobody has posted.
    let mut roll_c = String::from("email,name,weight\n");
    for i in 0..3 {
        roll_c.push_str(&format!(
            "delegate{i}@union.example.org,Delegat {i},{}\n",
            i + 1
        ));
    }
    let c = election::create(&admin, &election::manifest("union-council"), &roll_c).await;
    election::start_ceremony(&admin, &c.id).await;
    // D: a draft without a roll.
    let d = election::create(
        &admin,
        &election::manifest("technical-staff"),
        "email,name\nx@math.example.edu,X\n",
    )
    .await;
    // E: sealed, awaiting the orderer.
    let e = election::create(&admin, &election::manifest("technical-staff"), &roll_a).await;
    election::start_ceremony(&admin, &e.id).await;
    election::run_ceremony(&api, &e, &mut rng).await;
    assert_eq!(api.state(&e.id).await, "awaiting_approval");

    // Ballots to tamper with: fresh listed credentials of A, so only the tampering is wrong.
    let (good, _) = election::ballot(&a.context, &keys_a[1], &mut rng);
    let (other, _) = election::ballot(&a.context, &keys_a[2], &mut rng);
    let (again, _) = election::ballot(&a.context, &keys_a[0], &mut rng);
    let unlisted_key = CredentialSecret::generate(&mut rng).derive_key(&a.setup_hash());
    let (unlisted, _) = election::ballot(&a.context, &unlisted_key, &mut rng);
    let (for_b, _) = election::ballot(&b.context, &keys_b[1], &mut rng);
    let g = to_json(&good);
    let tamper = |f: &dyn Fn(&mut Value)| {
        let mut v = g.clone();
        f(&mut v);
        v
    };
    // A valid round-1 package of C's trustee 1 (and a broken one).
    let c_view = election::trustee_view(&api, &c.id, &c.trustees[0].token).await;
    let params = DkgParameters::new(c_view.trustees, c_view.threshold).unwrap();
    let (_, package) =
        dkg::start(params, 1, c_view.setup_hash.unwrap().as_bytes(), &mut rng).unwrap();
    let package = serde_json::to_value(&package).unwrap();
    let mut bad_package = package.clone();
    bad_package["constant_proof"]["response"] = flip(&bad_package["constant_proof"]["response"]);

    let ballots = |id: &str| format!("/elections/{id}/ballots");
    let cast_a = ballots(&a.id);
    let t_a = &a.created.trustees;
    let roll_errors =
        std::fs::read(support::repo_root().join("tests/fixtures/roll-with-errors.csv")).unwrap();
    let mut big = br#"{"version":1,"padding":""#.to_vec();
    big.extend(std::iter::repeat_n(b'x', 2 << 20));
    big.extend(br#""}"#);

    let cases = vec![
        // Malformed bodies.
        Case::new("truncated JSON", Method::POST, &cast_a, 400, "invalid_json")
            .raw("application/json", &b"{\"version\":"[..]),
        Case::new("not JSON", Method::POST, &cast_a, 400, "invalid_json")
            .raw("application/json", &b"hello"[..]),
        Case::new("a JSON array", Method::POST, &cast_a, 400, "invalid_json").json(&json!([])),
        Case::new(
            "an empty object",
            Method::POST,
            &cast_a,
            400,
            "invalid_json",
        )
        .json(&json!({})),
        Case::new(
            "no content type",
            Method::POST,
            &cast_a,
            400,
            "invalid_json",
        )
        .raw("text/plain", serde_json::to_vec(&g).unwrap()),
        Case::new(
            "version is a string",
            Method::POST,
            &cast_a,
            400,
            "invalid_json",
        )
        .json(&tamper(&|v| v["version"] = json!("one"))),
        Case::new(
            "contests is a number",
            Method::POST,
            &cast_a,
            400,
            "invalid_json",
        )
        .json(&tamper(&|v| v["contests"] = json!(5))),
        Case::new(
            "signature missing",
            Method::POST,
            &cast_a,
            400,
            "invalid_json",
        )
        .json(&tamper(&|v| {
            v.as_object_mut().unwrap().remove("signature");
        })),
        Case::new(
            "credential hex too short",
            Method::POST,
            &cast_a,
            400,
            "invalid_json",
        )
        .json(&tamper(&|v| v["credential"] = json!("abcd"))),
        Case::new(
            "credential not hex",
            Method::POST,
            &cast_a,
            400,
            "invalid_json",
        )
        .json(&tamper(&|v| v["credential"] = json!("zz".repeat(32)))),
        Case::new(
            "ciphertext of 32 bytes",
            Method::POST,
            &cast_a,
            400,
            "invalid_json",
        )
        .json(&tamper(&|v| {
            v["contests"][0]["selections"][0]["ciphertext"] = json!("00".repeat(32))
        })),
        Case::new("oversized body", Method::POST, &cast_a, 413, "too_large")
            .raw("application/json", big),
        // Well-formed ballots that are not valid.
        Case::new(
            "unknown ballot version",
            Method::POST,
            &cast_a,
            422,
            "invalid_ballot",
        )
        .json(&tamper(&|v| v["version"] = json!(2))),
        Case::new("no contests", Method::POST, &cast_a, 422, "invalid_ballot")
            .json(&tamper(&|v| v["contests"] = json!([]))),
        Case::new(
            "a selection missing",
            Method::POST,
            &cast_a,
            422,
            "invalid_ballot",
        )
        .json(&tamper(&|v| {
            v["contests"][0]["selections"].as_array_mut().unwrap().pop();
        })),
        Case::new(
            "non-canonical point in a ciphertext",
            Method::POST,
            &cast_a,
            422,
            "invalid_ballot",
        )
        .json(&tamper(&|v| {
            v["contests"][0]["selections"][0]["ciphertext"] = json!("ff".repeat(64))
        })),
        Case::new(
            "non-canonical point in a range proof",
            Method::POST,
            &cast_a,
            422,
            "invalid_ballot",
        )
        .json(&tamper(&|v| {
            v["contests"][0]["selections"][0]["proof"][0]["a"] = ff()
        })),
        Case::new(
            "non-canonical scalar in a range proof",
            Method::POST,
            &cast_a,
            422,
            "invalid_ballot",
        )
        .json(&tamper(&|v| {
            v["contests"][0]["selections"][0]["proof"][0]["z"] = ff()
        })),
        Case::new(
            "range-proof response with one byte flipped",
            Method::POST,
            &cast_a,
            422,
            "invalid_ballot",
        )
        .json(&tamper(&|v| {
            let z = &mut v["contests"][0]["selections"][0]["proof"][0]["z"];
            *z = flip(z);
        })),
        Case::new(
            "sum-proof response with one byte flipped",
            Method::POST,
            &cast_a,
            422,
            "invalid_ballot",
        )
        .json(&tamper(&|v| {
            let z = &mut v["contests"][0]["sum_proof"][0]["z"];
            *z = flip(z);
        })),
        Case::new(
            "signature response with one byte flipped",
            Method::POST,
            &cast_a,
            422,
            "invalid_ballot",
        )
        .json(&tamper(&|v| {
            let r = &mut v["signature"]["response"];
            *r = flip(r);
        })),
        Case::new(
            "another credential's signature",
            Method::POST,
            &cast_a,
            422,
            "invalid_ballot",
        )
        .json(&tamper(&|v| {
            v["signature"] = to_json(&other)["signature"].clone()
        })),
        Case::new(
            "another listed credential put on the ballot",
            Method::POST,
            &cast_a,
            422,
            "invalid_ballot",
        )
        .json(&tamper(&|v| {
            v["credential"] = to_json(&other)["credential"].clone()
        })),
        Case::new(
            "ballot for another election",
            Method::POST,
            &cast_a,
            422,
            "invalid_ballot",
        )
        .json(&to_json(&for_b)),
        Case::new(
            "fingerprint of no election",
            Method::POST,
            &cast_a,
            422,
            "invalid_ballot",
        )
        .json(&tamper(&|v| v["election"] = json!("11".repeat(32)))),
        // Credentials.
        Case::new(
            "non-canonical credential (32 bytes 0xff)",
            Method::POST,
            &cast_a,
            403,
            "forbidden",
        )
        .json(&tamper(&|v| v["credential"] = ff())),
        Case::new(
            "identity credential",
            Method::POST,
            &cast_a,
            403,
            "forbidden",
        )
        .json(&tamper(&|v| v["credential"] = json!("00".repeat(32)))),
        Case::new(
            "unlisted credential",
            Method::POST,
            &cast_a,
            403,
            "forbidden",
        )
        .json(&to_json(&unlisted)),
        Case::new(
            "replayed ballot",
            Method::POST,
            &cast_a,
            409,
            "already_voted",
        )
        .json(&to_json(&voted)),
        Case::new(
            "second ballot of a credential",
            Method::POST,
            &cast_a,
            409,
            "already_voted",
        )
        .json(&to_json(&again)),
        Case::new(
            "closed election",
            Method::POST,
            ballots(&b.id),
            409,
            "wrong_state",
        )
        .json(&to_json(&for_b)),
        Case::new(
            "election still in its ceremony",
            Method::POST,
            ballots(&c.id),
            409,
            "wrong_state",
        )
        .json(&g),
        Case::new(
            "unknown election",
            Method::POST,
            ballots("no-such-election"),
            404,
            "not_found",
        )
        .json(&g),
        Case::new(
            "draft election",
            Method::POST,
            ballots(&d.id),
            404,
            "not_found",
        )
        .json(&g),
        // Public reads.
        Case::new(
            "unknown election summary",
            Method::GET,
            "/elections/no-such-election",
            404,
            "not_found",
        ),
        Case::new(
            "unknown election head",
            Method::GET,
            "/elections/no-such-election/head",
            404,
            "not_found",
        ),
        Case::new(
            "unknown tracking code",
            Method::GET,
            format!("/elections/{}/ballots/AAAA-AAAA-AAAA-AAAA", a.id),
            404,
            "not_found",
        ),
        Case::new(
            "malformed tracking code",
            Method::GET,
            format!("/elections/{}/ballots/not-a-code", a.id),
            400,
            "bad_request",
        ),
        Case::new(
            "page limit 0",
            Method::GET,
            format!("/elections/{}/board?limit=0", a.id),
            400,
            "bad_request",
        ),
        Case::new(
            "page limit 1001",
            Method::GET,
            format!("/elections/{}/board?limit=1001", a.id),
            400,
            "bad_request",
        ),
        Case::new(
            "negative from",
            Method::GET,
            format!("/elections/{}/board?from=-1", a.id),
            400,
            "bad_request",
        ),
        Case::new(
            "from past what the database can index",
            Method::GET,
            format!("/elections/{}/board?from={}", a.id, u64::MAX),
            400,
            "bad_request",
        ),
        Case::new(
            "limit not a number",
            Method::GET,
            format!("/elections/{}/board?limit=ten", a.id),
            400,
            "bad_request",
        ),
        Case::new(
            "result before publication",
            Method::GET,
            format!("/elections/{}/result", a.id),
            404,
            "not_found",
        ),
        Case::new(
            "unknown route",
            Method::GET,
            "/api/v1/no-such-route",
            404,
            "not_found",
        ),
        Case::new(
            "result document without elections",
            Method::GET,
            "/results.csv?elections=",
            400,
            "bad_request",
        ),
        // Admin authentication.
        Case::new(
            "login with a wrong password",
            Method::POST,
            "/admin/login",
            401,
            "unauthorized",
        )
        .json(&json!({"username": "admin", "password": "not the password at all"})),
        Case::new(
            "login as nobody",
            Method::POST,
            "/admin/login",
            401,
            "unauthorized",
        )
        .json(&json!({"username": "nobody", "password": "not the password at all"})),
        Case::new(
            "login without a password",
            Method::POST,
            "/admin/login",
            400,
            "invalid_json",
        )
        .json(&json!({"username": "admin"})),
        Case::new(
            "admin route without a cookie",
            Method::GET,
            "/admin/elections",
            401,
            "unauthorized",
        ),
        Case::new(
            "admin route with a forged session",
            Method::GET,
            "/admin/elections",
            401,
            "unauthorized",
        )
        .header("cookie", "urna_session=abcdefghijklmnopqrstuvwxyz"),
        Case::new(
            "trustee token on an admin route",
            Method::POST,
            format!("/admin/elections/{}/close", a.id),
            401,
            "unauthorized",
        )
        .bearer(&t_a[0].token),
        Case::new(
            "missing CSRF header",
            Method::POST,
            format!("/admin/elections/{}/close", a.id),
            403,
            "csrf",
        )
        .header("cookie", &admin.cookie),
        Case::new(
            "wrong CSRF token",
            Method::POST,
            format!("/admin/elections/{}/close", a.id),
            403,
            "csrf",
        )
        .header("cookie", &admin.cookie)
        .header(urna_api::CSRF_HEADER, "not-the-token"),
        Case::new(
            "another admin's election",
            Method::GET,
            "/admin/elections/no-such-election",
            404,
            "not_found",
        )
        .admin(&admin),
        Case::new(
            "open an open election",
            Method::POST,
            format!("/admin/elections/{}/open", a.id),
            409,
            "wrong_state",
        )
        .admin(&admin),
        Case::new(
            "ceremony of an open election",
            Method::POST,
            format!("/admin/elections/{}/ceremony", a.id),
            409,
            "wrong_state",
        )
        .admin(&admin),
        Case::new(
            "invalid manifest (threshold above trustees)",
            Method::POST,
            "/admin/elections",
            400,
            "bad_request",
        )
        .admin(&admin)
        .json(&{
            let mut m = serde_json::to_value(election::manifest("technical-staff")).unwrap();
            m["trustees"]["threshold"] = json!(5);
            json!({"manifest": m, "orderer": {"name": "P", "email": "p@math.example.edu"}})
        }),
        Case::new(
            "orderer without an address",
            Method::POST,
            "/admin/elections",
            400,
            "bad_request",
        )
        .admin(&admin)
        .json(&json!({
            "manifest": election::manifest("technical-staff"),
            "orderer": {"name": "P", "email": "not-an-address"}
        })),
        Case::new(
            "short password for a new admin",
            Method::POST,
            "/admin/accounts",
            400,
            "bad_request",
        )
        .admin(&admin)
        .json(&json!({"username": "second", "password": "short"})),
        // Rolls.
        Case::new(
            "roll with errors",
            Method::PUT,
            format!("/admin/elections/{}/roll", d.id),
            422,
            "invalid_roll",
        )
        .admin(&admin)
        .raw("text/csv", roll_errors),
        Case::new(
            "roll of an open election",
            Method::PUT,
            format!("/admin/elections/{}/roll", a.id),
            409,
            "wrong_state",
        )
        .admin(&admin)
        .raw("text/csv", roll_a.clone()),
        // The orderer.
        Case::new(
            "unknown orderer link",
            Method::GET,
            "/orderer/nosuchtoken",
            404,
            "not_found",
        ),
        Case::new(
            "approve with a wrong fingerprint",
            Method::POST,
            format!("/orderer/{}/approve", e.orderer_token),
            409,
            "conflict",
        )
        .json(&json!({"fingerprint": "22".repeat(32), "name": "Prefekt"})),
        Case::new(
            "approve without a name",
            Method::POST,
            format!("/orderer/{}/approve", e.orderer_token),
            400,
            "bad_request",
        )
        .json(&json!({"fingerprint": "22".repeat(32), "name": " "})),
        Case::new(
            "reject without a reason",
            Method::POST,
            format!("/orderer/{}/reject", e.orderer_token),
            400,
            "bad_request",
        )
        .json(&json!({"reason": ""})),
        Case::new(
            "approve an approved election",
            Method::POST,
            format!("/orderer/{}/approve", a.created.orderer_token),
            409,
            "wrong_state",
        )
        .json(&json!({"fingerprint": a.fingerprint(), "name": "Prefekt"})),
        // Trustees.
        Case::new(
            "round 1 from the wrong trustee",
            Method::POST,
            format!("/trustee/elections/{}/round1", c.id),
            403,
            "forbidden",
        )
        .bearer(&c.trustees[1].token)
        .json(&package),
        Case::new(
            "round 1 with a broken proof",
            Method::POST,
            format!("/trustee/elections/{}/round1", c.id),
            400,
            "bad_request",
        )
        .bearer(&c.trustees[0].token)
        .json(&bad_package),
        Case::new(
            "round 2 before round 1 is complete",
            Method::POST,
            format!("/trustee/elections/{}/round2", c.id),
            409,
            "wrong_state",
        )
        .bearer(&c.trustees[0].token)
        .json(&json!({"from": 1, "shares": []})),
        Case::new(
            "round 1 without a token",
            Method::POST,
            format!("/trustee/elections/{}/round1", c.id),
            401,
            "unauthorized",
        )
        .json(&package),
        Case::new(
            "round 1 with a wrong token",
            Method::POST,
            format!("/trustee/elections/{}/round1", c.id),
            401,
            "unauthorized",
        )
        .bearer("abcdefghijklmnopqrstuvwxyz")
        .json(&package),
        Case::new(
            "another election's trustee token",
            Method::POST,
            format!("/trustee/elections/{}/round1", c.id),
            401,
            "unauthorized",
        )
        .bearer(&t_a[0].token)
        .json(&package),
        Case::new(
            "round 1 of a malformed package",
            Method::POST,
            format!("/trustee/elections/{}/round1", c.id),
            400,
            "invalid_json",
        )
        .bearer(&c.trustees[0].token)
        .json(&json!({"from": 1})),
        Case::new(
            "decryption while voting is open",
            Method::POST,
            format!("/trustee/elections/{}/decryption", a.id),
            409,
            "wrong_state",
        )
        .bearer(&t_a[0].token)
        .json(&json!({"trustee": 1, "shares": []})),
        Case::new(
            "decryption for another trustee",
            Method::POST,
            format!("/trustee/elections/{}/decryption", b.id),
            403,
            "forbidden",
        )
        .bearer(&b.created.trustees[0].token)
        .json(&json!({"trustee": 2, "shares": []})),
    ];
    assert!(cases.len() >= 30);

    let watched = [a.id.clone(), b.id.clone(), c.id.clone(), e.id.clone()];
    let mut heads = Vec::new();
    for id in &watched {
        heads.push(api.head(id).await);
    }
    let roll_d_before = admin
        .get(&format!("/admin/elections/{}", d.id))
        .await
        .expect(200)
        .json()["roll_voters"]
        .clone();
    let mut failures = Vec::new();
    for case in &cases {
        let headers: Vec<(&str, &str)> = case
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let body = case.body.as_ref().map(|(t, b)| (t.as_str(), b.clone()));
        let reply = api
            .request(case.method.clone(), &case.path, &headers, body)
            .await;
        if reply.status != case.status || reply.error() != case.code {
            failures.push(format!(
                "{}: expected {} {}, got {} {}",
                case.name,
                case.status,
                case.code,
                reply.status,
                reply.body.chars().take(300).collect::<String>()
            ));
        } else if case.status != 404 || reply.body.contains("message") {
            // Every error has a message for people.
            let v = reply.json();
            if v["message"].as_str().is_none_or(str::is_empty) {
                failures.push(format!("{}: no message in {}", case.name, reply.body));
            }
        }
        if case.code == "invalid_roll" {
            let lines: Vec<u64> = reply.json()["details"]
                .as_array()
                .map(|d| d.iter().filter_map(|x| x["line"].as_u64()).collect())
                .unwrap_or_default();
            if lines != [7, 8, 9, 10, 11, 12, 13] {
                failures.push(format!(
                    "{}: line details {lines:?}, expected lines 7–13",
                    case.name
                ));
            }
        }
        if reply.status >= 500 {
            failures.push(format!("{}: a 5xx answer", case.name));
        }
        for (id, before) in watched.iter().zip(&heads) {
            let now = api.head(id).await;
            if &now != before {
                failures.push(format!(
                    "{}: the board of {id} changed: {before:?} → {now:?}",
                    case.name
                ));
            }
        }
        if !api.healthy().await {
            panic!(
                "{}: the server stopped answering /healthz\n{}",
                case.name,
                failures.join("\n")
            );
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} bad requests were not handled as specified:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    // Nothing was stored: the roll of D is unchanged, the states are, and the credentials
    // whose ballots were tampered with can still vote.
    assert_eq!(
        admin
            .get(&format!("/admin/elections/{}", d.id))
            .await
            .expect(200)
            .json()["roll_voters"],
        roll_d_before
    );
    assert_eq!(api.state(&a.id).await, "open");
    assert_eq!(api.state(&e.id).await, "awaiting_approval");
    assert_eq!(api.state(&c.id).await, "key_ceremony");
    election::cast_ok(&api, &a.id, &good).await;
    election::cast_ok(&api, &a.id, &other).await;
    assert!(server.healthy());

    // The board is still one valid record in progress.
    let out = dir.path().join("record-a");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("board.jsonl"), api.board_jsonl(&a.id).await).unwrap();
    support::urna_ok(["verify", "--partial", support::p(&out)]);
}

/// Requests no router sees: a body larger than the limit without a content length, and a
/// connection that sends garbage. The server keeps answering.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_on_the_socket_does_not_hurt() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let db = Database::sqlite(dir.path());
    let server = Server::start(ServerOptions::new(&db));
    for garbage in [
        &b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"[..],
        &b"GET / HTTP/9.9\r\n\r\n"[..],
        &b"POST /api/v1/admin/login HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n"[..],
        &b"\r\n\r\n\r\n"[..],
    ] {
        let mut s = std::net::TcpStream::connect(server.addr()).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
        let _ = s.write_all(garbage);
        let mut buf = Vec::new();
        let _ = s.read_to_end(&mut buf);
        assert!(server.healthy(), "after {garbage:?}");
    }
    // A chunked body above the limit, to the login route.
    let api = Api::new(&server.url());
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..64).map(|_| Ok(vec![b' '; 64 * 1024])).collect();
    let client = reqwest::Client::new();
    let resp = client
        .post(api.url("/admin/login"))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await;
    if let Ok(resp) = resp {
        assert_eq!(resp.status().as_u16(), 413);
    }
    assert!(api.healthy().await);
}
