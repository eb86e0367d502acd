//! The voting booth in Chromium, opened from the invitation links the server mailed: a voter
//! votes with the keyboard only, is stopped when choosing too many, reviews, encrypts, audits
//! once (the page's own check, the downloaded file with `urna verify --audit`, the spoiled
//! encryption never on the board), starts over and casts, and finds the tracking code on the
//! observer page; a second voter votes in Swedish; the first link again says "already voted";
//! damaged links show an error and no ballot; on a phone, choices survive a language switch and
//! a cast whose request fails and whose answer is then lost is retried with the same encrypted
//! ballot until its receipt; the published totals are exactly what was cast.

mod support;

use std::time::Instant;

use fantoccini::key::Key;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde_json::{json, Value};
use support::browser::Browser;
use support::election;
use support::http::{Admin, Api};
use support::{Database, Server, ServerOptions};

const VOTERS: usize = 4;

async fn attr(browser: &Browser, css: &str, name: &str) -> Value {
    browser
        .eval(
            "const e = document.querySelector(arguments[0]); return e ? e.getAttribute(arguments[1]) : null;",
            vec![json!(css), json!(name)],
        )
        .await
}

async fn checked(browser: &Browser, css: &str) -> bool {
    browser
        .eval(
            "return document.querySelector(arguments[0]).checked;",
            vec![json!(css)],
        )
        .await
        .as_bool()
        .expect("a checkbox or radio")
}

async fn exists(browser: &Browser, css: &str) -> bool {
    browser
        .eval(
            "return document.querySelector(arguments[0]) !== null;",
            vec![json!(css)],
        )
        .await
        .as_bool()
        .unwrap_or(false)
}

/// Tabs to `css` and presses a key there (keyboard only).
async fn tab_press(browser: &Browser, css: &str, key: Key) {
    browser.tab_to(css, 40).await;
    browser.press(key).await;
}

/// The page's step heading has the focus (moved there on every step).
async fn assert_heading_focused(browser: &Browser, step: &str) {
    assert!(
        browser.focused_matches("#step-heading").await,
        "{step}: the focus is not on the step heading"
    );
}

/// Opens a booth link as a fresh page load (a link differing only in its fragment from the
/// page shown would otherwise not reload it).
async fn open(browser: &Browser, url: &str) {
    browser.goto("about:blank").await;
    browser.goto(url).await;
}

/// A text of the booth's translations (web/assets/i18n/LANG/booth.json), e.g. "ballot.heading".
fn booth_text(lang: &str, key: &str) -> String {
    let path = support::repo_root().join(format!("web/assets/i18n/{lang}/booth.json"));
    let texts: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    key.split('.')
        .fold(&texts, |v, part| &v[part])
        .as_str()
        .unwrap_or_else(|| panic!("no {lang} text {key}"))
        .to_owned()
}

/// A voting link with `?lang=…` before its fragment, on the test's server address.
fn with_lang(link: &str, public_url: &str, base: &str, lang: &str) -> String {
    let link = link.replacen(public_url.trim_end_matches('/'), base, 1);
    let (path, fragment) = link.split_once('#').expect("a fragment");
    format!("{path}?lang={lang}#{fragment}")
}

/// `urna verify --json --partial RECORD --audit FILE`, as a voter would run it.
async fn verify_audit(record: &std::path::Path, audit: &std::path::Path) -> std::process::Output {
    let (record, audit) = (record.to_path_buf(), audit.to_path_buf());
    tokio::task::spawn_blocking(move || {
        support::run_urna([
            "verify",
            "--json",
            "--partial",
            support::p(&record),
            "--audit",
            support::p(&audit),
        ])
    })
    .await
    .expect("the verifier ran")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn voters_vote_audit_and_cast_in_the_booth() {
    let Some(browser) = Browser::start(1280, 900).await else {
        return;
    };
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let db = Database::sqlite(dir.path());
    let server = Server::start(ServerOptions::new(&db));
    let base = server.url();
    let public = server.public_url();
    let api = Api::new(&base);
    let admin = Admin::login(&api, "admin", server.admin_password()).await;
    let mut rng = ChaCha20Rng::seed_from_u64(5150);

    // Teachers: contest 0 chooses at most 3 of 7 (blank offered), contest 1 exactly one of 4.
    let manifest = election::manifest("teachers");
    let (roll, _) = election::roll("math.example.edu", VOTERS);
    let e = election::prepare(&admin, &manifest, &roll, &mut rng).await;
    election::open(&admin, &e.id).await;
    let outbox = server.outbox().to_owned();
    let links = support::wait_until_async(
        std::time::Duration::from_secs(60),
        "the invitations in the outbox",
        || async {
            let l = election::links(&election::outbox_mails(&outbox), &public, &e.id);
            (l.len() >= VOTERS).then_some(l)
        },
    )
    .await;
    assert_eq!(links.len(), VOTERS, "one invitation per voter");
    let members: Vec<&str> = manifest.contests[0]
        .options
        .iter()
        .map(|o| o.label.en.as_str())
        .collect();
    let second: Vec<&str> = manifest.contests[1]
        .options
        .iter()
        .map(|o| o.label.en.as_str())
        .collect();
    assert_eq!((members.len(), second.len()), (7, 4), "the fixture changed");
    eprintln!("election ready after {:?}", started.elapsed());

    // ---- Voter 1, English, keyboard only ----------------------------------------------------
    let fragment = links[0].split_once('#').unwrap().1.to_owned();
    open(&browser, &with_lang(&links[0], &public, &base, "en")).await;
    let setup = browser
        .wait_text(
            "#setup-status[data-setup=\"ok\"]",
            "The election's setup is checked",
        )
        .await;
    assert!(setup.contains("voting link is on the list"), "{setup}");
    let href = browser.eval("return location.href;", vec![]).await;
    let href = href.as_str().unwrap();
    assert!(
        !href.contains('#') && !href.contains(&fragment),
        "the credential is removed from the address bar: {href}"
    );
    browser.wait_for("#ballot-form").await;
    assert_heading_focused(&browser, "ballot").await;
    assert_eq!(browser.text_of("#election-title").await, manifest.title.en);
    let period = browser.text_of("#voting-period").await;
    assert!(period.contains("2027"), "{period}");
    assert!(
        !exists(&browser, "#voter-weight").await,
        "a weight of 1 is not shown"
    );
    let rules = browser.text_of("#contest-rules-0").await;
    assert!(
        rules.contains("at most 3") && rules.contains("vote blank"),
        "{rules}"
    );
    let rules = browser.text_of("#contest-rules-1").await;
    assert!(rules.contains("exactly one"), "{rules}");
    assert_eq!(attr(&browser, "#c0-0", "type").await, json!("checkbox"));
    assert_eq!(attr(&browser, "#c1-0", "type").await, json!("radio"));
    // Nothing chosen in the single-choice contest: blocked.
    assert_eq!(
        attr(&browser, "#to-review", "aria-disabled").await,
        json!("true")
    );

    // Four members where at most three are allowed: a message, and Next stays blocked.
    for k in 0..4 {
        tab_press(&browser, &format!("#c0-{k}"), Key::Space).await;
        assert!(checked(&browser, &format!("#c0-{k}")).await, "#c0-{k}");
    }
    let status = browser
        .wait_text(
            "#contest-status-0[data-valid=\"false\"]",
            "at most 3 are allowed",
        )
        .await;
    assert!(status.contains("chosen 4"), "{status}");
    // The single-choice contest with the arrow keys: Space on the first, ArrowDown moves on.
    tab_press(&browser, "#c1-0", Key::Space).await;
    assert!(checked(&browser, "#c1-0").await);
    browser.press(Key::Down).await;
    assert!(browser.focused_matches("#c1-1").await);
    assert!(checked(&browser, "#c1-1").await && !checked(&browser, "#c1-0").await);
    browser
        .wait_for("#contest-status-1[data-valid=\"true\"]")
        .await;
    assert_eq!(
        attr(&browser, "#to-review", "aria-disabled").await,
        json!("true")
    );
    // Trying to go on anyway: the reason names the contest and the focus goes back to it.
    tab_press(&browser, "#to-review", Key::Enter).await;
    let reason = browser.text_of("#next-reason").await;
    assert!(reason.contains(&manifest.contests[0].title.en), "{reason}");
    assert!(browser.focused_matches("#contest-0 input").await);
    assert_eq!(attr(&browser, "#step", "data-step").await, json!("choose"));
    // Shift+Tab back to the fourth box and untick it: valid.
    browser.tab_to("#c0-3", 10).await;
    browser.press(Key::Space).await;
    browser
        .wait_for("#contest-status-0[data-valid=\"true\"]")
        .await;
    assert_eq!(
        attr(&browser, "#to-review", "aria-disabled").await,
        json!("false")
    );
    browser.assert_translated("ballot (en)").await;
    support::browser::assert_file(&browser.screenshot("booth-en").await);

    // Review: the choices listed; on to encryption.
    tab_press(&browser, "#to-review", Key::Enter).await;
    let review = browser.text_of("#review-list").await;
    for name in &members[..3] {
        assert!(review.contains(name), "{review}");
    }
    assert!(
        !review.contains(members[3]) && review.contains(second[1]) && !review.contains(second[0]),
        "{review}"
    );
    assert_heading_focused(&browser, "review").await;
    tab_press(&browser, "#encrypt", Key::Enter).await;
    browser.wait_for("#encrypted").await;
    let spoiled = browser.text_of("#pending-code").await;
    assert_eq!(spoiled.len(), 19, "a tracking code: {spoiled}");
    assert_heading_focused(&browser, "encrypted").await;

    // Audit once.
    tab_press(&browser, "#audit", Key::Enter).await;
    let check = browser.text_of("#audit-check").await;
    assert_eq!(
        attr(&browser, "#audit-check", "data-ok").await,
        json!("true"),
        "{check}"
    );
    assert!(check.contains("Audit passed"), "{check}");
    let opened = browser.text_of("#audit-list").await;
    assert!(
        members[..3].iter().all(|n| opened.contains(n)) && opened.contains(second[1]),
        "{opened}"
    );
    assert!(browser.text_of("#spoiled").await.contains(&spoiled));
    support::browser::assert_file(&browser.screenshot("booth-audit-en").await);
    tab_press(&browser, "#audit-download", Key::Enter).await;
    let file = browser.wait_download(".json").await;
    let audit: Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("the audit file"))
            .expect("the audit file is JSON");
    assert!(audit["openings"].is_array(), "{audit}");
    let opened_values: Vec<Vec<u64>> = audit["openings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            c.as_array()
                .unwrap()
                .iter()
                .map(|o| o["value"].as_u64().unwrap())
                .collect()
        })
        .collect();
    assert_eq!(
        opened_values,
        vec![vec![1, 1, 1, 0, 0, 0, 0, 0], vec![0, 1, 0, 0]],
        "the audit file opens to the choices"
    );
    // The spoiled encryption never reaches the board.
    api.get(&format!("/elections/{}/ballots/{spoiled}", e.id))
        .await
        .expect(404);
    // The command-line verifier checks the file against the election's record.
    let record = dir.path().join("record");
    support::download_record_async(&base, &e.id, &record).await;
    let output = verify_audit(&record, &file).await;
    assert!(output.status.success(), "{}", support::describe(&output));
    let verdict: Value = serde_json::from_slice(&output.stdout).expect("verify --json");
    assert_eq!(verdict[0]["report"]["audits_checked"], 1, "{verdict}");
    // …and refuses it once a revealed value is changed.
    let mut forged = audit.clone();
    forged["openings"][0][3]["value"] = 1.into();
    forged["openings"][0][2]["value"] = 0.into();
    let forged_file = dir.path().join("forged-audit.json");
    std::fs::write(&forged_file, forged.to_string()).unwrap();
    let output = verify_audit(&record, &forged_file).await;
    assert!(!output.status.success(), "a forged audit file must fail");
    let verdict: Value = serde_json::from_slice(&output.stdout).expect("verify --json");
    assert_eq!(verdict[0]["valid"], false, "{verdict}");
    assert_eq!(verdict[0]["error"]["check"], "audits", "{verdict}");
    let why = verdict[0]["error"]["message"].as_str().unwrap_or_default();
    assert!(why.contains("does not encrypt the revealed value"), "{why}");

    // Start over: the choices are kept; change one, encrypt again, cast.
    tab_press(&browser, "#start-over", Key::Enter).await;
    browser.wait_for("#ballot-form").await;
    assert_heading_focused(&browser, "start over").await;
    assert!(checked(&browser, "#c0-0").await && checked(&browser, "#c1-1").await);
    tab_press(&browser, "#c0-2", Key::Space).await;
    assert!(!checked(&browser, "#c0-2").await);
    tab_press(&browser, "#to-review", Key::Enter).await;
    let review = browser.text_of("#review-list").await;
    assert!(!review.contains(members[2]), "{review}");
    tab_press(&browser, "#encrypt", Key::Enter).await;
    browser.wait_for("#encrypted").await;
    let pending = browser.text_of("#pending-code").await;
    assert_ne!(pending, spoiled, "a new encryption, a new tracking code");
    let browser_ms = browser
        .eval(
            "return Number(document.getElementById('main').dataset.encryptMs);",
            vec![],
        )
        .await
        .as_f64()
        .expect("the page measured its encryption");
    tab_press(&browser, "#cast", Key::Enter).await;
    let receipt = browser.text_of("#receipt").await;
    assert!(receipt.contains("final"), "{receipt}");
    assert_heading_focused(&browser, "receipt").await;
    let code = browser.text_of("#tracking-code").await;
    assert_eq!(code, pending, "the cast ballot is the one encrypted");
    let found = api
        .get(&format!("/elections/{}/ballots/{code}", e.id))
        .await
        .expect(200)
        .json();
    assert_eq!(found["tracking_code"], json!(code));
    assert_eq!(found["counted"], json!(true));
    api.get(&format!("/elections/{}/ballots/{spoiled}", e.id))
        .await
        .expect(404);
    let board = election::BoardSummary::parse(&api.board_jsonl(&e.id).await);
    assert!(board.codes().contains(&code) && !board.codes().contains(&spoiled));
    assert_eq!(board.ballots.len(), 1);
    browser.assert_translated("receipt (en)").await;
    support::browser::assert_file(&browser.screenshot("booth-receipt-en").await);
    // The check link opens the observer page, which finds the ballot.
    assert_eq!(
        attr(&browser, "#check-link", "href").await,
        json!(format!("/elections/{}?code={code}", e.id))
    );
    tab_press(&browser, "#check-link", Key::Enter).await;
    let lookup = browser.text_of("#lookup-result[data-found=\"true\"]").await;
    assert!(lookup.contains(&code), "{lookup}");
    let mut expected = election::zero_totals(&manifest);
    election::add_vote(
        &mut expected,
        &[vec![1, 1, 0, 0, 0, 0, 0, 0], vec![0, 1, 0, 0]],
        1,
    );

    // ---- Voter 2, Swedish ---------------------------------------------------------------------
    open(&browser, &with_lang(&links[1], &public, &base, "sv")).await;
    let setup_sv = booth_text("sv", "setup.ok");
    assert_ne!(setup_sv, booth_text("en", "setup.ok"));
    browser
        .wait_text("#setup-status[data-setup=\"ok\"]", &setup_sv)
        .await;
    assert_eq!(browser.page_lang().await, "sv");
    browser.wait_for("#ballot-form").await;
    let heading = browser.text_of("#step-heading").await;
    assert_eq!(heading, booth_text("sv", "ballot.heading"));
    assert_ne!(heading, booth_text("en", "ballot.heading"));
    assert_eq!(browser.text_of("#election-title").await, manifest.title.sv);
    // A blank vote together with a name is refused; the blank vote alone is fine.
    browser.click("#c0-7").await;
    browser.click("#c0-4").await;
    let status = browser
        .wait_for("#contest-status-0[data-valid=\"false\"]")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(status, booth_text("sv", "status.blank_and_options"));
    browser.click("#c0-4").await;
    browser
        .wait_for("#contest-status-0[data-valid=\"true\"]")
        .await;
    browser.click("#c1-2").await;
    browser
        .wait_for("#contest-status-1[data-valid=\"true\"]")
        .await;
    browser.assert_translated("ballot (sv)").await;
    support::browser::assert_file(&browser.screenshot("booth-sv").await);
    browser.click("#to-review").await;
    let review = browser.text_of("#review-list").await;
    assert!(
        review.contains(&booth_text("sv", "review.blank"))
            && review.contains(&manifest.contests[1].options[2].label.sv),
        "{review}"
    );
    browser.assert_translated("review (sv)").await;
    browser.click("#encrypt").await;
    browser.wait_for("#cast").await;
    browser.assert_translated("encrypted (sv)").await;
    browser.click("#cast").await;
    let code2 = browser.text_of("#tracking-code").await;
    let receipt = browser.text_of("#receipt").await;
    assert!(
        receipt.contains(&booth_text("sv", "receipt.final")),
        "{receipt}"
    );
    browser.assert_translated("receipt (sv)").await;
    api.get(&format!("/elections/{}/ballots/{code2}", e.id))
        .await
        .expect(200);
    election::add_vote(
        &mut expected,
        &[vec![0, 0, 0, 0, 0, 0, 0, 1], vec![0, 0, 1, 0]],
        1,
    );

    // ---- Voter 1's link again: already voted, no ballot -----------------------------------------
    open(&browser, &with_lang(&links[0], &public, &base, "en")).await;
    let blocked = browser.text_of("#blocked[data-reason=\"voted\"]").await;
    assert!(blocked.contains("already been cast"), "{blocked}");
    assert!(!exists(&browser, "#ballot-form").await);
    assert!(!exists(&browser, "input[type=checkbox], input[type=radio]").await);

    // ---- Damaged links: an error, no ballot -------------------------------------------------
    // One changed letter: a well-formed credential that is not on the election's list.
    let (path, fragment) = links[2].split_once('#').unwrap();
    let first = fragment.chars().next().unwrap();
    let other = if first == 'A' { 'B' } else { 'A' };
    let tampered = format!("{path}#{other}{}", &fragment[first.len_utf8()..]);
    open(&browser, &with_lang(&tampered, &public, &base, "en")).await;
    browser
        .wait_for("#setup-status[data-setup=\"failed\"]")
        .await;
    assert_eq!(
        attr(&browser, "#setup-error", "data-code").await,
        json!("not_on_roll")
    );
    let failed = browser.text_of("#setup-status").await;
    assert!(failed.contains("not let you vote"), "{failed}");
    assert!(!exists(&browser, "#ballot-form").await);
    // Not a credential at all, and no fragment.
    for link in [
        format!("{base}/vote/{}?lang=en#not-a-credential", e.id),
        format!("{base}/vote/{}?lang=en", e.id),
    ] {
        open(&browser, &link).await;
        let error = browser
            .text_of("#page-error[data-code=\"bad_credential\"]")
            .await;
        assert!(error.contains("incomplete or damaged"), "{link}: {error}");
        assert!(!exists(&browser, "#ballot-form").await, "{link}");
        browser.assert_translated("bad link").await;
    }

    // ---- A phone: the booth fits 360 px -----------------------------------------------------
    browser.client.set_window_size(360, 740).await.unwrap();
    open(&browser, &with_lang(&links[3], &public, &base, "sv")).await;
    browser.wait_for("#ballot-form").await;
    browser
        .assert_fits_width("no sideways scrolling on a phone")
        .await;
    support::browser::assert_file(&browser.screenshot("booth-phone").await);

    // Voter 4 on the phone: choices survive a switch of language…
    browser.click("#c0-1").await;
    browser.click("#c1-3").await;
    browser.click("#lang-switch button[data-lang=\"en\"]").await;
    browser
        .wait_text("#step-heading", &booth_text("en", "ballot.heading"))
        .await;
    assert_eq!(browser.page_lang().await, "en");
    assert!(checked(&browser, "#c0-1").await && checked(&browser, "#c1-3").await);
    assert_eq!(
        attr(&browser, "#to-review", "aria-disabled").await,
        json!("false")
    );
    browser.assert_translated("after the language switch").await;
    browser.click("#to-review").await;
    browser.click("#encrypt").await;
    browser.wait_for("#cast").await;
    let pending4 = browser.text_of("#pending-code").await;
    // …and a cast whose request fails, then whose answer is lost: the same encrypted ballot
    // is sent again, and the page ends with its receipt, not a second ballot.
    browser
        .eval(
            "const real = window.fetch; let posts = 0;
             window.fetch = async (url, options) => {
               if (String(url).endsWith('/ballots') && options && options.method === 'POST') {
                 posts += 1;
                 if (posts === 1) throw new TypeError('test: connection refused');
                 if (posts === 2) { await real(url, options); throw new TypeError('test: answer lost'); }
               }
               return real(url, options);
             };",
            vec![],
        )
        .await;
    browser.click("#cast").await;
    let failed = browser.text_of("#cast-error[data-code=\"network\"]").await;
    assert!(
        failed.contains(&booth_text("en", "cast.uncertain")),
        "{failed}"
    );
    assert_eq!(browser.text_of("#pending-code").await, pending4);
    api.get(&format!("/elections/{}/ballots/{pending4}", e.id))
        .await
        .expect(404);
    let again = browser.text_of("#cast").await;
    assert_eq!(again, booth_text("en", "encrypted.cast_again"));
    assert!(
        !exists(&browser, "#audit").await,
        "a ballot sent once can no longer be audited"
    );
    browser.click("#cast").await;
    support::wait_until_async(
        std::time::Duration::from_secs(30),
        "the second attempt's ballot on the board",
        || async {
            let reply = api
                .get(&format!("/elections/{}/ballots/{pending4}", e.id))
                .await;
            (reply.status == 200).then_some(())
        },
    )
    .await;
    browser.wait_for("#cast-error[data-code=\"network\"]").await;
    browser.wait_for("#cast:not([disabled])").await;
    browser.click("#cast").await;
    assert_eq!(browser.text_of("#tracking-code").await, pending4);
    let board = election::BoardSummary::parse(&api.board_jsonl(&e.id).await);
    assert_eq!(board.ballots.len(), 3, "one ballot per voter");
    board.assert_one_ballot_per_credential();
    // The receipt as a file, and the copy button answers.
    browser.click("#receipt-download").await;
    let receipt_file = browser.wait_download(".txt").await;
    let receipt_text = std::fs::read_to_string(&receipt_file).unwrap();
    assert!(receipt_text.contains(&pending4), "{receipt_text}");
    browser.click("#copy-code").await;
    let copied = browser.text_of("#copy-status").await;
    assert!(!copied.is_empty());
    election::add_vote(
        &mut expected,
        &[vec![0, 1, 0, 0, 0, 0, 0, 0], vec![0, 0, 0, 1]],
        1,
    );

    // ---- Other elections: a weighted vote says so; not yet open shows no ballot ------------
    browser.client.set_window_size(1280, 900).await.unwrap();
    let union = election::manifest("union-council");
    let (roll, _) = election::fixture_roll("union-council-weighted", 1);
    let weighted = election::prepare(&admin, &union, &roll, &mut rng).await;
    election::open(&admin, &weighted.id).await;
    let staff = election::manifest("technical-staff");
    let (roll, _) = election::roll("math.example.edu", 1);
    let scheduled = election::prepare(&admin, &staff, &roll, &mut rng).await;
    let link_of = |id: String| {
        let (outbox, public) = (outbox.clone(), public.clone());
        async move {
            support::wait_until_async(
                std::time::Duration::from_secs(60),
                "an invitation in the outbox",
                || async {
                    election::links(&election::outbox_mails(&outbox), &public, &id)
                        .into_iter()
                        .next()
                },
            )
            .await
        }
    };
    let link = link_of(weighted.id.clone()).await;
    open(&browser, &with_lang(&link, &public, &base, "en")).await;
    browser.wait_for("#ballot-form").await;
    let weight = browser.text_of("#voter-weight").await;
    assert_eq!(
        weight,
        booth_text("en", "facts.weight_value").replace("{weight}", "3"),
        "the roll gives this voter weight 3"
    );
    let link = link_of(scheduled.id.clone()).await;
    open(&browser, &with_lang(&link, &public, &base, "en")).await;
    let blocked = browser.text_of("#blocked[data-reason=\"scheduled\"]").await;
    assert!(
        blocked.contains(&booth_text("en", "blocked.not_open_heading")),
        "{blocked}"
    );
    assert!(!exists(&browser, "#ballot-form").await);
    browser.assert_translated("not open yet").await;

    // Native encryption of the same ballot, for comparison (printed, not asserted).
    let key = election::key_of_link(&links[3], &e.setup_hash());
    let context = e.context.clone();
    let native_ms = tokio::task::spawn_blocking(move || {
        let vote = vec![vec![1, 1, 0, 0, 0, 0, 0, 0], vec![0, 1, 0, 0]];
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let runs = 5;
        let t = Instant::now();
        for _ in 0..runs {
            urna_election::ballot::encrypt_ballot(&context, &key, &vote, &mut rng)
                .expect("encrypt");
        }
        t.elapsed().as_secs_f64() * 1000.0 / f64::from(runs)
    })
    .await
    .unwrap();
    eprintln!(
        "encrypt + prove + sign the teachers ballot (11 selections): browser {browser_ms:.1} ms, native {native_ms:.1} ms"
    );

    // ---- The count: exactly the three cast ballots ---------------------------------------------
    election::close(&admin, &e.id).await;
    assert_eq!(
        election::decrypt(&api, &e, &[0, 1], &mut rng).await,
        "published"
    );
    assert_eq!(
        election::result_totals(&api, &e.id).await,
        expected,
        "the result holds exactly the cast choices"
    );
    // Voter 3 never voted; now the booth says voting has closed and offers no ballot.
    open(&browser, &with_lang(&links[2], &public, &base, "en")).await;
    let closed = browser.text_of("#blocked[data-reason=\"closed\"]").await;
    assert!(
        closed.contains(&booth_text("en", "blocked.closed_heading")),
        "{closed}"
    );
    assert!(!exists(&browser, "#ballot-form").await);
    eprintln!("booth test took {:?}", started.elapsed());
    browser.close().await;
}
