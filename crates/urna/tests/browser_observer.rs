//! The observer pages in Chromium: the list of elections, an election's page with its
//! facts, the tracking-code lookup (by `?code=` and by hand), the published result, the board,
//! "Verify this election" in a worker, the WebAssembly verifier refusing a tampered board, both
//! languages and a phone's screen.

mod support;

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde_json::{json, Value};
use support::browser::Browser;
use support::election;
use support::http::{Admin, Api};
use support::{Database, Server, ServerOptions};

const VOTERS: usize = 6;
const CAST: usize = 4;

/// What the page shows as totals: per result table, its contest id and each row's total.
const TOTALS_JS: &str =
    "return Array.from(document.querySelectorAll('table.result-table')).map(t => \
     [t.dataset.contest, Array.from(t.querySelectorAll('tbody tr')).map(r => \
     Number(r.querySelector('td.total').textContent.replace(/\\D/g, '')))]);";

/// Replaces the text of the input at `css` and submits the lookup form.
async fn look_up(browser: &Browser, text: &str) {
    browser.fill("#lookup-code", text).await;
    browser.click("#lookup-submit").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn observers_look_up_read_and_verify_an_election() {
    let Some(browser) = Browser::start(1280, 900).await else {
        return;
    };
    let started = std::time::Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let db = Database::sqlite(dir.path());
    let server = Server::start(ServerOptions::new(&db));
    let base = server.url();
    let api = Api::new(&base);
    let admin = Admin::login(&api, "admin", server.admin_password()).await;
    let mut rng = ChaCha20Rng::seed_from_u64(4711);

    // A whole election over the API: 6 voters, 4 cast, 2 of 3 trustees decrypt.
    let manifest = election::manifest("teachers");
    let (roll, _) = election::roll("math.example.edu", VOTERS);
    let e = election::prepare(&admin, &manifest, &roll, &mut rng).await;
    election::open(&admin, &e.id).await;
    let keys = election::outbox_keys(server.outbox(), &server.public_url(), &e, VOTERS).await;
    let context = e.context.clone();
    let cast: Vec<_> = tokio::task::spawn_blocking(move || {
        let mut rng = ChaCha20Rng::seed_from_u64(4712);
        keys.iter()
            .take(CAST)
            .map(|k| election::ballot(&context, k, &mut rng))
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    let mut expected = election::zero_totals(&manifest);
    let mut codes = Vec::new();
    for (ballot, vote) in &cast {
        let receipt = election::cast_ok(&api, &e.id, ballot).await;
        codes.push(receipt.tracking_code);
        election::add_vote(&mut expected, vote, 1);
    }
    election::close(&admin, &e.id).await;
    assert_eq!(
        election::decrypt(&api, &e, &[0, 1], &mut rng).await,
        "published"
    );
    let published = election::result_totals(&api, &e.id).await;
    assert_eq!(
        published, expected,
        "the server's result is the plaintext count"
    );
    let summary = api
        .get(&format!("/elections/{}", e.id))
        .await
        .expect(200)
        .json();
    let fingerprint = summary["fingerprint"]
        .as_str()
        .expect("fingerprint")
        .to_owned();
    // A parallel election of the same event, still open, with one ballot.
    let staff = election::manifest("technical-staff");
    let (roll, _) = election::roll("math.example.edu", 3);
    let running = election::prepare(&admin, &staff, &roll, &mut rng).await;
    election::open(&admin, &running.id).await;
    let keys = election::outbox_keys(server.outbox(), &server.public_url(), &running, 3).await;
    let context = running.context.clone();
    let (ballot, _) = tokio::task::spawn_blocking(move || {
        election::ballot(&context, &keys[0], &mut ChaCha20Rng::seed_from_u64(4713))
    })
    .await
    .unwrap();
    let running_code = election::cast_ok(&api, &running.id, &ballot)
        .await
        .tracking_code;
    eprintln!("election ready after {:?}", started.elapsed());

    // The index lists the election under its event.
    browser.goto(&format!("{base}/?lang=en")).await;
    let item = format!("li[data-election=\"{}\"]", e.id);
    let text = browser.text_of(&item).await;
    assert!(text.contains(&manifest.title.en), "{text}");
    assert!(text.contains("Result published"), "{text}");
    assert!(text.contains(&format!("Ballots cast: {CAST}")), "{text}");
    let groups = browser.text_of("#elections").await;
    assert!(groups.contains(&manifest.event.en), "{groups}");
    let href = browser
        .eval(
            "return document.querySelector(arguments[0] + ' a').getAttribute('href');",
            vec![json!(item)],
        )
        .await;
    assert_eq!(href.as_str(), Some(format!("/elections/{}", e.id).as_str()));
    browser.assert_translated("index").await;

    // The election page, opened as the booth links to it: the ballot is found and counted.
    let page = format!("{base}/elections/{}", e.id);
    browser
        .goto(&format!(
            "{page}?lang=en&code={}",
            codes[0].to_lowercase().replace('-', " ")
        ))
        .await;
    let found = browser.text_of("#lookup-result[data-found=\"true\"]").await;
    assert!(found.contains(&codes[0]), "{found}");
    assert!(found.contains("counts in the tally"), "{found}");
    assert_eq!(browser.text_of("#election-title").await, manifest.title.en);
    assert_eq!(browser.text_of("#fingerprint").await, fingerprint);
    let turnout = browser.text_of("#turnout").await;
    assert!(turnout.contains("4 of 6 voters (66.7%)"), "{turnout}");
    support::browser::assert_file(&browser.screenshot("observer-election-en").await);

    // The result: every contest's totals as published and as cast.
    browser.wait_for("table.result-table").await;
    let shown: Vec<(String, Vec<u64>)> =
        serde_json::from_value(browser.eval(TOTALS_JS, vec![]).await).unwrap();
    let shown_ids: Vec<&str> = shown.iter().map(|(c, _)| c.as_str()).collect();
    let manifest_ids: Vec<&str> = manifest.contests.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(shown_ids, manifest_ids);
    let shown_totals: Vec<Vec<u64>> = shown.into_iter().map(|(_, t)| t).collect();
    assert_eq!(shown_totals, expected, "the page shows the counted votes");
    let counted = browser.text_of("#ballots-counted").await;
    assert!(counted.contains(&CAST.to_string()), "{counted}");
    let decrypted = browser.text_of("#decrypted-by").await;
    for name in &manifest.trustees.names[..2] {
        assert!(decrypted.contains(name.as_str()), "{decrypted}");
    }
    let bars_hidden = browser
        .eval(
            "return Array.from(document.querySelectorAll('td.bar-cell')).every(c => c.getAttribute('aria-hidden') === 'true');",
            vec![],
        )
        .await;
    assert_eq!(bars_hidden, Value::Bool(true), "bars are decoration");
    let commands = browser.text_of("#record-commands").await;
    assert!(
        commands.contains(&format!("urna record --server {base} --election {}", e.id))
            && commands.contains("urna verify"),
        "{commands}"
    );
    let board = browser.text_of("#board-table").await;
    assert!(
        board.contains("Election set up") && board.contains("Ballot"),
        "{board}"
    );

    // By hand: another cast ballot, an absent code, garbage.
    look_up(&browser, &codes[1]).await;
    let found = browser.text_of("#lookup-result[data-found=\"true\"]").await;
    assert!(found.contains(&codes[1]), "{found}");
    look_up(&browser, "aaaa-aaaa-aaaa-aaaa").await;
    let absent = browser
        .text_of("#lookup-result[data-state=\"not_found\"]")
        .await;
    assert!(absent.contains("AAAA-AAAA-AAAA-AAAA"), "{absent}");
    assert_eq!(
        browser
            .eval(
                "return document.getElementById('lookup-result').dataset.found;",
                vec![]
            )
            .await,
        json!("false")
    );
    look_up(&browser, "not a code!").await;
    let bad = browser
        .text_of("#lookup-result[data-state=\"bad_format\"]")
        .await;
    assert!(bad.contains("not a tracking code"), "{bad}");

    // Verify this election, in the worker.
    browser.click("#verify-start").await;
    let verdict = browser.text_of("#verify-verdict[data-ok]").await;
    let ok = browser
        .eval(
            "return document.getElementById('verify-verdict').dataset.ok;",
            vec![],
        )
        .await;
    assert_eq!(ok, json!("true"), "{verdict}");
    assert!(
        verdict.contains("every proof, the chain, the tally and the decryption check out"),
        "{verdict}"
    );
    assert!(
        verdict.contains("The verified result matches the published result"),
        "{verdict}"
    );
    let progress = browser
        .eval(
            "const p = document.getElementById('verify-progress'); return [p.value, p.max];",
            vec![],
        )
        .await;
    assert_eq!(
        progress[0], progress[1],
        "the progress bar is full: {progress}"
    );
    browser.scroll_to("verify").await;
    support::browser::assert_file(&browser.screenshot("observer-verify-en").await);
    browser.assert_translated("election (en)").await;
    browser.scroll_to("result").await;
    support::browser::assert_file(&browser.screenshot("results-en").await);

    // The WebAssembly verifier in this browser refuses a board with one line altered.
    let tampered = browser
        .eval_async(
            "const done = arguments[arguments.length - 1];
             (async () => {
               const urna = await (await import('/assets/js/wasm.js')).loadUrna();
               const text = await (await fetch('/api/v1/elections/' + arguments[0] + '/board.jsonl')).text();
               const lines = text.split('\\n').filter(l => l.length > 0);
               const good = new urna.Verifier();
               good.pushLines(lines, null, 0);
               const verdict = JSON.parse(good.finish(true, [arguments[1]]));
               const i = lines.findIndex(l => l.includes('\"type\":\"ballot\"'));
               lines[i] = lines[i].replace(/\"hash\":\"([0-9a-f]*)([0-9a-f])\"/, (m, a, b) =>
                 '\"hash\":\"' + a + (b === '0' ? '1' : '0') + '\"');
               const bad = new urna.Verifier();
               try {
                 bad.pushLines(lines, null, 0);
                 bad.finish(true, []);
                 return {ok: verdict.report.complete, found: verdict.found, thrown: null, index: i};
               } catch (e) {
                 return {ok: verdict.report.complete, found: verdict.found, index: i,
                         thrown: {code: e.code, check: e.check, seq: e.seq, culprit: e.culprit ?? null}};
               }
             })().then(done, e => done({error: String(e)}));",
            vec![json!(e.id), json!(codes[2])],
        )
        .await;
    eprintln!("tampered board: {tampered}");
    assert_eq!(tampered["ok"], json!(true), "{tampered}");
    assert_eq!(tampered["found"], json!([codes[2]]), "{tampered}");
    assert_eq!(
        tampered["thrown"]["code"],
        json!("check_failed"),
        "{tampered}"
    );
    assert!(
        tampered["thrown"]["check"]
            .as_str()
            .is_some_and(|c| c.starts_with('V')),
        "{tampered}"
    );
    assert_eq!(tampered["thrown"]["seq"], tampered["index"], "{tampered}");

    // Swedish, by the language switch: labels, numbers and the verdict re-rendered.
    browser.click("#lang-switch button[data-lang=\"sv\"]").await;
    browser.wait_text("#result-heading", "Resultat").await;
    assert_eq!(browser.page_lang().await, "sv");
    let turnout = browser.text_of("#turnout").await;
    assert!(
        turnout.contains("4 av 6") && turnout.contains("66,7"),
        "{turnout}"
    );
    let shares = browser
        .eval(
            "return Array.from(document.querySelectorAll('td.share')).map(c => c.textContent);",
            vec![],
        )
        .await;
    let shares: Vec<String> = serde_json::from_value(shares).unwrap();
    assert!(
        shares.iter().all(|s| s.contains(',') && s.contains('%')),
        "Swedish percentages: {shares:?}"
    );
    let verdict = browser.text_of("#verify-verdict").await;
    assert!(
        verdict.contains("stämmer med det publicerade resultatet"),
        "{verdict}"
    );
    let lookup = browser.text_of("#lookup-result").await;
    assert!(lookup.contains("ingen spårningskod"), "{lookup}");
    assert!(browser.text_of("#board-table").await.contains("Röst"));
    browser.assert_translated("election (sv)").await;
    browser.scroll_to("result").await;
    support::browser::assert_file(&browser.screenshot("results-sv").await);

    // A phone: the result page fits the screen.
    browser.client.set_window_size(390, 844).await.unwrap();
    browser
        .goto(&format!("{page}?lang=sv&code={}", codes[3]))
        .await;
    browser
        .wait_for("#lookup-result[data-found=\"true\"]")
        .await;
    browser.wait_for("table.result-table").await;
    browser
        .assert_fits_width("no sideways scrolling on a phone")
        .await;
    browser.scroll_to("result").await;
    support::browser::assert_file(&browser.screenshot("results-phone").await);
    browser.assert_translated("election (phone)").await;

    // The running election verifies as a partial record and says so.
    browser.client.set_window_size(1280, 900).await.unwrap();
    browser
        .goto(&format!(
            "{base}/elections/{}?lang=en&code={running_code}",
            running.id
        ))
        .await;
    browser
        .wait_for("#lookup-result[data-found=\"true\"]")
        .await;
    let pending = browser.text_of("#result-pending").await;
    assert!(pending.contains("not been published"), "{pending}");
    let note = browser.text_of("#verify-partial").await;
    assert!(note.contains("not finished"), "{note}");
    browser.click("#verify-start").await;
    let verdict = browser.text_of("#verify-verdict[data-ok]").await;
    let flags = browser
        .eval(
            "const v = document.getElementById('verify-verdict'); return [v.dataset.ok, v.dataset.partial];",
            vec![],
        )
        .await;
    assert_eq!(flags, json!(["true", "true"]), "{verdict}");
    assert!(verdict.contains("Verified so far"), "{verdict}");
    browser.assert_translated("running election").await;
    // Both elections are listed under their one event.
    browser.goto(&format!("{base}/?lang=en")).await;
    browser
        .wait_for(&format!("li[data-election=\"{}\"]", running.id))
        .await;
    let groups = browser
        .eval(
            "return document.querySelectorAll('#elections .event-group').length;",
            vec![],
        )
        .await;
    assert_eq!(groups, json!(1), "one event");

    // An unknown election says so.
    browser
        .goto(&format!("{base}/elections/no-such-election?lang=en"))
        .await;
    let missing = browser.text_of("#page-error").await;
    assert!(missing.contains("no public election"), "{missing}");

    eprintln!("observer test took {:?}", started.elapsed());
    browser.close().await;
}
