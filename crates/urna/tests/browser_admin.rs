//! The admin and orderer pages in Chromium: sign-in (wrong, then right password), a new
//! election built in the form (with the client's checks refusing an empty form), the one-time
//! links, a roll with errors (every bad line reported, nothing imported) and a good roll, the
//! key ceremony followed live, the orderer's review in Swedish with the fingerprint the test
//! computes from the board, a rejection (reason shown to the admin) of a second election that
//! was imported from a manifest file, approval, opening, turnout, closing, the count and the
//! result document.

mod support;

use std::collections::BTreeMap;

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde_json::json;
use support::browser::{assert_file, Browser};
use support::election::{self, Prepared};
use support::http::{Admin, Api};
use support::{repo_root, Database, Server, ServerOptions};
use urna_api::{CreatedElection, TrusteeAccess};
use urna_election::manifest::ElectionManifest;

const VOTERS: usize = 4;

async fn is_hidden(browser: &Browser, id: &str) -> bool {
    browser
        .eval(
            "const e = document.getElementById(arguments[0]); return !e || e.hidden;",
            vec![json!(id)],
        )
        .await
        .as_bool()
        .unwrap_or(false)
}

/// The one-time links on the "created" view, as the API's CreatedElection.
async fn created_from_page(browser: &Browser, public_url: &str) -> CreatedElection {
    browser.wait_visible("#created-warning").await;
    let warning = browser.text_of("#created-warning").await;
    assert!(warning.contains("shown only this once"), "{warning}");
    let orderer_link = browser.text_of("#orderer-link").await;
    let prefix = format!("{public_url}/orderer/");
    let orderer_token = orderer_link
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{orderer_link} starts with {prefix}"))
        .to_owned();
    let rows = browser
        .eval(
            "return Array.from(document.querySelectorAll('#trustee-links li')).map(li =>
               [Number(li.dataset.trustee), li.querySelector('.secret-name').textContent,
                li.querySelector('.secret-link').textContent]);",
            vec![],
        )
        .await;
    let rows: Vec<(u32, String, String)> = serde_json::from_value(rows).unwrap();
    let mut id = String::new();
    let trustees = rows
        .into_iter()
        .map(|(index, name, link)| {
            let (path, token) = link.split_once('#').expect("a token in the fragment");
            let this = path
                .strip_prefix(&format!("{public_url}/trustee/"))
                .unwrap_or_else(|| panic!("{link}"));
            assert!(id.is_empty() || id == this, "one election in every link");
            id = this.to_owned();
            TrusteeAccess {
                index,
                name: name
                    .split_once(": ")
                    .map(|(_, n)| n.to_owned())
                    .unwrap_or(name),
                token: token.to_owned(),
            }
        })
        .collect();
    CreatedElection {
        id,
        orderer_link,
        orderer_token,
        trustees,
    }
}

/// The election fingerprint the board's own seal gives, checked by the verifier.
async fn board_fingerprint(api: &Api, id: &str) -> String {
    let board = api.board_jsonl(id).await;
    let mut verifier = urna_election::verify::RecordVerifier::new();
    for line in board.lines().filter(|l| !l.trim().is_empty()) {
        verifier.push_line(line).expect("the board verifies");
    }
    verifier
        .context()
        .expect("the board is sealed")
        .fingerprint
        .to_hex()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_run_an_election_and_the_orderer_reviews_it() {
    let Some(browser) = Browser::start(1280, 900).await else {
        return;
    };
    let started = std::time::Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let db = Database::sqlite(dir.path());
    let server = Server::start(ServerOptions::new(&db));
    let base = server.url();
    let public_url = server.public_url();
    let public_url = public_url.trim_end_matches('/');
    let api = Api::new(&base);
    let mut rng = ChaCha20Rng::seed_from_u64(5150);

    // Sign in: a wrong password first.
    browser.goto(&format!("{base}/admin?lang=en")).await;
    browser.wait_visible("#login-view").await;
    assert_eq!(browser.page_lang().await, "en");
    browser.fill("#login-username", "admin").await;
    browser.fill("#login-password", "not-the-password").await;
    browser.click("#login-submit").await;
    let wrong = browser
        .wait_text("#login-error", "Wrong user name or password")
        .await;
    assert!(!wrong.contains('['), "{wrong}");
    assert!(is_hidden(&browser, "list-view").await, "still signed out");
    browser.assert_translated("login").await;
    browser
        .fill("#login-password", server.admin_password())
        .await;
    browser.click("#login-submit").await;
    browser.wait_visible("#list-view").await;
    browser.wait_text("#no-elections", "no elections").await;
    browser.wait_text("#session-user", "admin").await;
    let admin = Admin::login(&api, "admin", server.admin_password()).await;

    // A new election in the form. An empty form is refused by the page, nothing is sent.
    browser.click("#new-election").await;
    browser.wait_visible("#f-event-sv").await;
    browser.click("#create-submit").await;
    let refused = browser.wait_text("#create-error", "problems").await;
    assert!(refused.contains("Nothing was sent"), "{refused}");
    let orderer_error = browser.text_of("#f-orderer-email-error").await;
    assert!(orderer_error.contains("valid e-mail"), "{orderer_error}");
    assert_eq!(
        browser
            .eval(
                "return document.getElementById('f-title-en').getAttribute('aria-invalid');",
                vec![]
            )
            .await,
        json!("true")
    );
    let listed = admin.get("/admin/elections").await.expect(200).json();
    assert_eq!(listed, json!([]), "nothing created");

    browser
        .fill("#f-event-sv", "Val till institutionsstyrelsen 2027")
        .await;
    browser
        .fill("#f-event-en", "Election to the department board 2027")
        .await;
    browser.fill("#f-title-sv", "Lärare och forskare").await;
    browser
        .fill("#f-title-en", "Teachers and researchers")
        .await;
    // Contest 1: two of three, with a blank vote.
    browser.fill("#c0-title-sv", "Ledamöter").await;
    browser.fill("#c0-title-en", "Members").await;
    browser.click("#c0-type option[value=\"select\"]").await;
    browser.fill("#c0-max", "2").await;
    browser.click("#c0-add-option").await;
    let members = [
        ("Karin Lindqvist", "Karin Lindqvist"),
        ("Per Sjögren", "Per Sjögren"),
        ("Elin Bäckström", "Elin Bäckström"),
    ];
    for (j, (sv, en)) in members.iter().enumerate() {
        browser.fill(&format!("#c0-o{j}-sv"), sv).await;
        browser.fill(&format!("#c0-o{j}-en"), en).await;
    }
    browser.click("#c0-blank").await;
    browser.fill("#c0-blank-sv", "Jag röstar blankt").await;
    browser.fill("#c0-blank-en", "I vote blank").await;
    // Contest 2: a yes/no question.
    browser.click("#add-contest").await;
    browser.fill("#c1-title-sv", "Ska styrelsen utökas?").await;
    browser
        .fill("#c1-title-en", "Shall the board be enlarged?")
        .await;
    for (j, (sv, en)) in [("Ja", "Yes"), ("Nej", "No")].iter().enumerate() {
        browser.fill(&format!("#c1-o{j}-sv"), sv).await;
        browser.fill(&format!("#c1-o{j}-en"), en).await;
    }
    let trustees = [
        "Valnämndens ordförande",
        "Facklig representant",
        "IT-säkerhet",
    ];
    for (k, name) in trustees.iter().enumerate() {
        browser.fill(&format!("#t{k}-name"), name).await;
    }
    browser.fill("#f-threshold", "2").await;
    browser.fill("#f-orderer-name", "Prefekt Eva").await;
    browser
        .fill("#f-orderer-email", "prefekt@math.example.edu")
        .await;
    // A rule the page lets through but the server refuses: its reason shows at the field.
    browser.click("#c1-type option[value=\"score\"]").await;
    browser.fill("#c1-pom", "5000").await;
    browser.click("#create-submit").await;
    let refused = browser
        .wait_text("#create-error", "The server refused the election")
        .await;
    assert!(refused.contains("ranges too large"), "{refused}");
    let at_field = browser.text_of("#c1-type-error").await;
    assert!(at_field.contains("ranges too large"), "{at_field}");
    let listed = admin.get("/admin/elections").await.expect(200).json();
    assert_eq!(listed, json!([]), "nothing created");
    browser.click("#c1-type option[value=\"single\"]").await;
    assert_eq!(
        browser
            .eval("return document.getElementById('c1-o1-sv').value;", vec![])
            .await,
        json!("Nej"),
        "nothing typed is lost"
    );
    browser.click("#create-submit").await;
    let created = created_from_page(&browser, public_url).await;
    assert_eq!(created.trustees.len(), 3);
    assert_eq!(created.trustees[1].name, trustees[1]);
    let id = created.id.clone();
    browser.assert_translated("created").await;

    // What the server stored is what the form said, in both languages.
    let stored = admin
        .get(&format!("/admin/elections/{id}"))
        .await
        .expect(200)
        .json();
    let manifest: ElectionManifest =
        serde_json::from_value(stored["summary"]["manifest"].clone()).unwrap();
    assert_eq!(manifest.title.sv, "Lärare och forskare");
    assert_eq!(manifest.election_id, "teachers-and-researchers");
    assert_eq!(manifest.contests.len(), 2);
    let c0 = serde_json::to_value(&manifest.contests[0]).unwrap();
    assert_eq!(c0["type"], "select");
    assert_eq!((c0["min"].clone(), c0["max"].clone()), (json!(0), json!(2)));
    assert_eq!(c0["options"][1]["id"], "per-sjogren");
    assert_eq!(c0["options"][2]["label"]["sv"], "Elin Bäckström");
    assert_eq!(c0["blank"]["en"], "I vote blank");
    assert_eq!(manifest.contests[1].options[1].label.sv, "Nej");
    assert_eq!(
        (manifest.trustees.count, manifest.trustees.threshold),
        (3, 2)
    );
    assert!(manifest.voting_period.is_none());

    // The roll with errors: every bad line reported, in words, and nothing imported.
    browser.click("#created-continue").await;
    browser.wait_visible("#roll-text").await;
    assert!(browser
        .text_of("#detail-title")
        .await
        .contains("Teachers and researchers"));
    let facts = browser.text_of("#detail-body dl.facts").await;
    assert!(
        facts.contains("2 of 3 needed to count") && facts.contains("Members, Shall the board"),
        "{facts}"
    );
    let bad_roll =
        std::fs::read_to_string(repo_root().join("tests/fixtures/roll-with-errors.csv")).unwrap();
    let expected_text =
        std::fs::read_to_string(repo_root().join("tests/fixtures/roll-with-errors.expected.txt"))
            .unwrap();
    let expected: Vec<u64> = expected_text
        .lines()
        .filter_map(|l| l.strip_prefix("line "))
        .map(|l| l.split(':').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(expected, [7, 8, 9, 10, 11, 12, 13]);
    browser.fill("#roll-text", &bad_roll).await;
    browser.click("#roll-submit").await;
    browser.wait_visible("#roll-errors").await;
    let shown = browser
        .eval(
            "return Array.from(document.querySelectorAll('#roll-errors li')).map(li =>
               [Number(li.dataset.line), li.querySelector('[data-reason]').dataset.reason, li.textContent]);",
            vec![],
        )
        .await;
    let shown: Vec<(u64, String, String)> = serde_json::from_value(shown).unwrap();
    let lines: Vec<u64> = shown.iter().map(|(l, _, _)| *l).collect();
    assert_eq!(lines, expected, "every bad line, and only those: {shown:?}");
    let reasons: BTreeMap<u64, (String, String)> = shown
        .into_iter()
        .map(|(l, r, text)| (l, (r, text)))
        .collect();
    assert!(
        reasons.values().all(|(r, _)| r != "other"),
        "every reason translated: {reasons:?}"
    );
    assert_eq!(reasons[&7].0, "invalid_email");
    assert_eq!(reasons[&8].0, "missing_email");
    assert!(
        reasons[&9].1.contains("Line 9:")
            && reasons[&9].1.contains("same e-mail address as line 2"),
        "{:?}",
        reasons[&9]
    );
    assert_eq!(reasons[&12].0, "weight_not_number");
    assert_eq!(reasons[&13].0, "too_many_fields");
    let summary = browser.text_of("#roll-errors-summary").await;
    assert!(
        summary.contains("7 errors") && summary.contains("nothing was imported"),
        "{summary}"
    );
    assert!(browser.text_of("#roll-stats").await.contains("No roll"));
    assert_eq!(
        browser
            .eval(
                "return document.getElementById('roll-text').value.length;",
                vec![]
            )
            .await,
        json!(bad_roll.replace("\r\n", "\n").chars().count()),
        "the pasted roll is kept for correcting"
    );
    let stored = admin
        .get(&format!("/admin/elections/{id}"))
        .await
        .expect(200)
        .json();
    assert_eq!(stored["roll_voters"], 0, "nothing imported");
    assert!(
        browser
            .eval(
                "return document.getElementById('ceremony-start').disabled;",
                vec![]
            )
            .await
            .as_bool()
            .unwrap(),
        "no ceremony without a roll"
    );
    assert_file(&browser.screenshot("admin-roll-errors").await);
    browser.assert_translated("roll errors").await;

    // A good roll, from a file.
    let (roll, _) = election::roll("math.example.edu", VOTERS);
    let roll_path = dir.path().join("roll.csv");
    std::fs::write(&roll_path, &roll).unwrap();
    browser
        .wait_for("#roll-file")
        .await
        .send_keys(roll_path.to_str().unwrap())
        .await
        .expect("choosing the roll file");
    let imported = browser.text_of("#roll-result[data-ok=\"true\"]").await;
    assert!(imported.contains("4 voters"), "{imported}");
    browser
        .wait_text("#roll-stats", "4 voters on the roll")
        .await;
    assert_eq!(
        browser
            .eval(
                "return document.querySelectorAll('#roll-errors').length;",
                vec![]
            )
            .await,
        json!(0)
    );

    // The key ceremony, followed live while the trustees post over the API.
    browser.click("#ceremony-start").await;
    browser.wait_for("#ceremony-progress").await;
    let waiting = browser.text_of("#ceremony-status").await;
    assert!(waiting.contains("Round 1 of 3: 0 of 3"), "{waiting}");
    let shares = election::run_ceremony(&api, &created, &mut rng).await;
    browser.wait_visible("#ceremony-done").await;
    let posted = browser
        .eval(
            "return Array.from(document.querySelectorAll('#ceremony-progress td')).map(td => td.dataset.posted);",
            vec![],
        )
        .await;
    assert_eq!(posted, json!(vec!["true"; 9]), "3 trustees × 3 rounds");
    let announced = browser
        .eval(
            "return document.getElementById('detail-live').textContent;",
            vec![],
        )
        .await;
    assert_eq!(announced, json!("The election is now: Awaiting approval."));
    let approval = browser
        .text_of("#approval-status[data-approval=\"waiting\"]")
        .await;
    assert!(approval.contains("waiting for approval"), "{approval}");
    let fingerprint = board_fingerprint(&api, &id).await;
    assert_eq!(browser.text_of("#detail-fingerprint").await, fingerprint);
    assert_file(&browser.screenshot("admin-election-en").await);
    browser.assert_translated("election (en)").await;
    eprintln!("ceremony done after {:?}", started.elapsed());

    // A second election, imported from the teachers manifest file; its orderer rejects it.
    browser.goto(&format!("{base}/admin?lang=en#/new")).await;
    browser.wait_visible("#f-event-sv").await;
    browser.click("#import summary").await;
    let manifest_path = repo_root()
        .join("tests/fixtures/manifests/teachers.json")
        .canonicalize()
        .unwrap();
    browser
        .wait_visible("#import-file")
        .await
        .send_keys(manifest_path.to_str().unwrap())
        .await
        .expect("choosing the manifest");
    browser
        .wait_text("#import-done", "Teachers and researchers")
        .await;
    let filled = browser
        .eval(
            "return ['f-title-en', 'c1-o1-sv', 'c0-max', 't2-name', 'f-threshold', 'f-election-id']
               .map(id => document.getElementById(id).value);",
            vec![],
        )
        .await;
    assert_eq!(
        filled,
        json!([
            "Teachers and researchers",
            "Dmitri Ivanov",
            "3",
            "IT-säkerhetsansvarig / IT security officer",
            "2",
            "teachers"
        ])
    );
    browser.fill("#f-orderer-name", "Prefekt Eva").await;
    browser
        .fill("#f-orderer-email", "prefekt@math.example.edu")
        .await;
    browser.click("#create-submit").await;
    let second = created_from_page(&browser, public_url).await;
    let teachers = election::manifest("teachers");
    let stored = admin
        .get(&format!("/admin/elections/{}", second.id))
        .await
        .expect(200)
        .json();
    assert_eq!(
        serde_json::from_value::<ElectionManifest>(stored["summary"]["manifest"].clone()).unwrap(),
        teachers,
        "the imported manifest is stored unchanged"
    );
    admin
        .put_csv(&format!("/admin/elections/{}/roll", second.id), &roll)
        .await
        .expect(200);
    election::start_ceremony(&admin, &second.id).await;
    election::run_ceremony(&api, &second, &mut rng).await;
    browser
        .goto(&format!("{}?lang=en", second.orderer_link))
        .await;
    browser.wait_visible("#reject-form").await;
    browser.click("#reject").await;
    browser.wait_text("#reject-error", "Write a reason").await;
    assert_eq!(api.state(&second.id).await, "awaiting_approval");
    let reason = "The deputies contest lacks a candidate.";
    browser.fill("#reject-reason", reason).await;
    browser.click("#reject").await;
    browser
        .wait_text("[data-decision=\"rejected\"]", "You have rejected")
        .await;
    browser
        .goto(&format!("{}?lang=en", second.orderer_link))
        .await;
    browser.wait_visible("[data-decision=\"rejected\"]").await;
    assert_eq!(
        browser
            .eval(
                "return document.querySelectorAll('#approve-form, #reject-form').length;",
                vec![]
            )
            .await,
        json!(0),
        "a decided election offers no decision"
    );
    browser
        .goto(&format!("{base}/admin?lang=en#/elections/{}", second.id))
        .await;
    assert_eq!(browser.text_of("#rejection-reason").await, reason);
    browser.wait_text("#approval-status", "rejected").await;

    // The orderer of the first election reviews it in Swedish and approves.
    browser
        .goto(&format!("{}?lang=sv", created.orderer_link))
        .await;
    browser.wait_visible("#approve-form").await;
    assert_eq!(browser.page_lang().await, "sv");
    assert_eq!(
        browser.text_of("#orderer-heading").await,
        "Granska och godkänn valet"
    );
    let shown_fingerprint = browser.text_of("#fingerprint").await;
    assert_eq!(
        shown_fingerprint.len(),
        64 + 15,
        "16 groups: {shown_fingerprint}"
    );
    assert_eq!(shown_fingerprint.replace(' ', ""), fingerprint);
    let review = browser.text_of("#review").await;
    for text in [
        "Ledamöter",
        "Members",
        "Per Sjögren",
        "Jag röstar blankt",
        "Välj mellan 0 och 2 av de 3 alternativen",
        "Ska styrelsen utökas?",
        "Shall the board be enlarged?",
        "Nej",
        "4 väljare",
        "Facklig representant",
        "vilka 2 som helst",
    ] {
        assert!(review.contains(text), "{text:?} not in {review}");
    }
    let check = browser
        .wait_text(
            "#fingerprint-check[data-check=\"ok\"]",
            "Kontrollerat i din webbläsare",
        )
        .await;
    assert!(check.contains("exakt det här fingeravtrycket"), "{check}");
    browser.assert_translated("orderer (sv)").await;
    assert_file(&browser.screenshot("orderer-sv").await);
    browser.click("#approve").await;
    browser.wait_text("#approve-error", "Kryssa i rutan").await;
    assert_eq!(api.state(&id).await, "awaiting_approval");
    browser.click("#approve-confirm").await;
    browser.click("#approve").await;
    browser
        .wait_text("[data-decision=\"approved\"]", "Godkänt av Prefekt Eva")
        .await;
    assert_eq!(api.state(&id).await, "scheduled");
    browser.goto(&created.orderer_link).await;
    browser.wait_visible("[data-decision=\"approved\"]").await;
    assert_eq!(
        browser
            .eval(
                "return document.querySelectorAll('#approve-form').length;",
                vec![]
            )
            .await,
        json!(0)
    );

    // Open, two ballots, turnout, close.
    browser
        .goto(&format!("{base}/admin?lang=en#/elections/{id}"))
        .await;
    browser.click("#open-voting").await;
    browser.wait_text("#turnout", "0 of 4 voters").await;
    let context = election::booth_context(&api, &id).await;
    assert_eq!(context.fingerprint.to_hex(), fingerprint);
    let prepared = Prepared {
        id: id.clone(),
        created: created.clone(),
        shares,
        context: context.clone(),
        manifest: manifest.clone(),
    };
    let keys = election::outbox_keys(server.outbox(), public_url, &prepared, VOTERS).await;
    let ballots: Vec<_> = tokio::task::spawn_blocking(move || {
        let mut rng = ChaCha20Rng::seed_from_u64(5151);
        keys.iter()
            .take(2)
            .map(|k| election::ballot(&context, k, &mut rng))
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    let mut expected_totals = election::zero_totals(&manifest);
    for (ballot, vote) in &ballots {
        election::cast_ok(&api, &id, ballot).await;
        election::add_vote(&mut expected_totals, vote, 1);
    }
    let turnout = browser
        .wait_text("#turnout", "2 of 4 voters have voted")
        .await;
    assert!(turnout.contains("50.0%"), "{turnout}");
    browser.click("#lang-switch button[data-lang=\"sv\"]").await;
    let turnout = browser.wait_text("#turnout", "2 av 4 väljare").await;
    assert!(turnout.contains("50,0"), "{turnout}");
    browser.assert_translated("election (sv)").await;
    browser.click("#lang-switch button[data-lang=\"en\"]").await;
    browser.wait_text("#turnout", "2 of 4").await;
    browser.click("#close-voting").await;
    browser.wait_text("#close-warning", "final").await;
    assert_eq!(
        api.state(&id).await,
        "open",
        "nothing closes before the confirmation"
    );
    browser.click("#close-confirm").await;
    browser.wait_text("#decryption", "0 of the 2 needed").await;

    // The count: two trustees decrypt; the page shows the result's links.
    assert_eq!(
        election::decrypt(&api, &prepared, &[0, 2], &mut rng).await,
        "published"
    );
    browser.wait_visible("#published").await;
    let by = browser.text_of("#decrypted-by").await;
    assert!(by.contains(trustees[0]) && by.contains(trustees[2]), "{by}");
    let href = |css: &'static str| {
        let browser = &browser;
        async move {
            browser
                .eval(
                    "return document.querySelector(arguments[0]).getAttribute('href');",
                    vec![json!(css)],
                )
                .await
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let html_href = href("#result-html").await;
    assert_eq!(html_href, format!("/api/v1/results.html?elections={id}"));
    let html = reqwest::get(format!("{base}{html_href}")).await.unwrap();
    assert_eq!(html.status(), 200);
    let html = html.text().await.unwrap();
    assert!(html.contains("Teachers and researchers") && html.contains(&fingerprint));
    let csv_href = href("#result-csv").await;
    let csv = reqwest::get(format!("{base}{csv_href}"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut totals: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for row in csv.lines().skip(1) {
        let f: Vec<&str> = row.split(',').collect();
        if f.get(1) == Some(&"total") {
            totals
                .entry(f[2].to_owned())
                .or_default()
                .push(f[6].parse().unwrap());
        }
    }
    let want: BTreeMap<String, Vec<u64>> = manifest
        .contests
        .iter()
        .map(|c| c.id.clone())
        .zip(expected_totals.clone())
        .collect();
    assert_eq!(
        totals, want,
        "the document's totals are the votes cast: {csv}"
    );
    assert_eq!(election::result_totals(&api, &id).await, expected_totals);

    // The list: both elections, their states, the result document for the selection.
    browser.goto(&format!("{base}/admin?lang=en#/")).await;
    let first = browser
        .text_of(&format!("li[data-election=\"{id}\"]"))
        .await;
    assert!(
        first.contains("Result published") && first.contains("2 ballots cast"),
        "{first}"
    );
    let rejected = browser
        .text_of(&format!("li[data-election=\"{}\"]", second.id))
        .await;
    assert!(rejected.contains("Rejected"), "{rejected}");
    assert!(
        rejected.contains("1 March 2027 at 09:00"),
        "times in the election's own zone: {rejected}"
    );
    assert_eq!(
        browser
            .eval(
                &format!(
                    "return document.querySelectorAll('#doc-{}').length;",
                    second.id
                ),
                vec![]
            )
            .await,
        json!(0),
        "only published elections go into the document"
    );
    assert!(
        browser
            .eval(
                "return document.getElementById('documents-html').hasAttribute('href');",
                vec![]
            )
            .await
            .as_bool()
            == Some(false)
    );
    browser.click(&format!("#doc-{id}")).await;
    browser
        .wait_text("#documents-selection", "Elections selected: 1")
        .await;
    assert_eq!(
        href("#documents-csv").await,
        format!("/api/v1/results.csv?elections={id}")
    );
    assert_file(&browser.screenshot("admin-elections").await);
    browser.assert_translated("elections").await;

    // A narrow phone: the list fits; then sign out.
    browser.client.set_window_size(320, 800).await.unwrap();
    browser
        .assert_fits_width("no sideways scrolling at 320 px")
        .await;
    browser.goto(&format!("{base}/admin?lang=sv#/new")).await;
    browser.wait_visible("#c0-o1-en").await;
    browser.assert_fits_width("the form fits 320 px").await;
    browser.assert_translated("new election (sv)").await;
    assert_file(&browser.screenshot("admin-new-phone-sv").await);
    browser.client.set_window_size(1280, 900).await.unwrap();
    browser.click("#logout").await;
    browser.wait_visible("#login-view").await;
    browser.goto(&format!("{base}/admin?lang=en")).await;
    browser.wait_visible("#login-view").await;
    let session = api.get("/admin/session").await;
    assert_eq!(session.status, 401, "no session without the cookie");

    eprintln!("admin test took {:?}", started.elapsed());
    browser.close().await;
}
