//! The trustee page in Chromium: trustee 1 of 3 (threshold 2) runs the key ceremony in the
//! browser while the test plays trustees 2 and 3 over the API round by round; the page is
//! reloaded in the middle, and closed while the others seal the election, and both times
//! resumes from its sealed state; a weak or mistyped passphrase is refused; the key backup is
//! downloaded and is a sealed key share; after voting, trustee 1 decrypts in the browser (in
//! Swedish, on a phone-sized screen) after a file that is no backup, a wrong passphrase and a
//! board altered on its way, none of which posts anything, and trustee 2 over the API; the
//! published result is the cast votes.

mod support;

use std::time::Duration;

use fantoccini::key::Key;
use fantoccini::Locator;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde_json::{json, Value};
use support::browser::Browser;
use support::election;
use support::http::{Admin, Api};
use support::{Database, Server, ServerOptions};
use urna_api::{CreatedElection, TrusteeView};
use urna_crypto::dkg::{self, CeremonyTranscript, DkgParameters, KeyShare, KeyShareFile};
use urna_election::sealed::{self, SealedFile};
use urna_election::tally::{decode_tally, decrypt_share};

const VOTERS: usize = 3;
const PASSPHRASE: &str = "korp fyr vinter 1984";

async fn view(api: &Api, created: &CreatedElection, position: usize) -> TrusteeView {
    election::trustee_view(api, &created.id, &created.trustees[position].token).await
}

/// Waits until trustee 1 (the browser) has posted round `round`.
async fn wait_browser_posted(api: &Api, created: &CreatedElection, round: usize) -> TrusteeView {
    support::wait_until_async(
        Duration::from_secs(60),
        &format!("the page's round-{round} message"),
        || async {
            let v = view(api, created, 1).await;
            let posted = match round {
                1 => v.round1.iter().any(|p| p.from == 1),
                2 => v.round2.iter().any(|p| p.from == 1),
                _ => v.round3.iter().any(|p| p.from == 1),
            };
            posted.then_some(v)
        },
    )
    .await
}

async fn local_storage(browser: &Browser, key: &str) -> Value {
    browser
        .eval(
            "return localStorage.getItem(arguments[0]);",
            vec![json!(key)],
        )
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trustee_runs_the_ceremony_and_decrypts_in_the_browser() {
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
    let mut rng = ChaCha20Rng::seed_from_u64(5150);

    let manifest = election::manifest("teachers");
    assert_eq!(
        (manifest.trustees.count, manifest.trustees.threshold),
        (3, 2)
    );
    let (roll, _) = election::roll("math.example.edu", VOTERS);
    let created = election::create(&admin, &manifest, &roll).await;
    let id = created.id.clone();
    let base_path = format!("/trustee/elections/{id}");
    assert_eq!(
        created.trustees.iter().map(|t| t.index).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    election::start_ceremony(&admin, &id).await;
    let v = view(&api, &created, 0).await;
    let params = DkgParameters::new(v.trustees, v.threshold).unwrap();
    let context = v.setup_hash.expect("the ceremony has started");
    let page = format!("{base}/trustee/{id}");
    let state_key = format!("urna.trustee.{id}.1.state");

    // The link from the admin: the token leaves the address bar and waits in sessionStorage.
    browser
        .goto(&format!("{page}?lang=en#{}", created.trustees[0].token))
        .await;
    browser.wait_visible("#start-form").await;
    let href = browser.eval("return location.href;", vec![]).await;
    assert!(
        !href.as_str().unwrap_or("#").contains('#'),
        "the token is not in the address bar: {href}"
    );
    let kept = browser
        .eval(
            "return sessionStorage.getItem(arguments[0]);",
            vec![json!(format!("urna.trustee.token.{id}"))],
        )
        .await;
    assert_eq!(kept, json!(created.trustees[0].token));
    assert_eq!(browser.text_of("#election-title").await, manifest.title.en);
    let role = browser.text_of("#role").await;
    assert!(
        role.contains("trustee 1 of 3") && role.contains("Any 2 trustees"),
        "{role}"
    );
    browser
        .wait_text("#setup-check", "describes exactly this election")
        .await;
    let rows = browser
        .eval(
            "return document.querySelectorAll('#trustee-rows tr').length;",
            vec![],
        )
        .await;
    assert_eq!(rows, json!(3));
    let names = browser.text_of("#trustee-table").await;
    assert!(names.contains(&manifest.trustees.names[1]), "{names}");

    // A short passphrase, then two that differ: refused, nothing posted or kept.
    browser.tab_to("#passphrase", 40).await;
    browser.type_text("kort").await;
    browser.press(Key::Tab).await;
    browser.type_text("kort").await;
    browser.press(Key::Enter).await;
    browser.wait_text("#start-error", "too short").await;
    browser.fill("#passphrase", PASSPHRASE).await;
    browser
        .fill("#passphrase-again", "korp fyr vinter 1985")
        .await;
    browser.press(Key::Enter).await;
    browser.wait_text("#start-error", "differ").await;
    assert!(view(&api, &created, 0).await.round1.is_empty());
    assert_eq!(local_storage(&browser, &state_key).await, Value::Null);

    // The right passphrase (keyboard only): the state is sealed, kept, and round 1 posted.
    browser.fill("#passphrase-again", PASSPHRASE).await;
    browser.press(Key::Enter).await;
    wait_browser_posted(&api, &created, 1).await;
    let state = local_storage(&browser, &state_key).await;
    let state = state.as_str().expect("the sealed state in localStorage");
    let sealed_state: SealedFile = serde_json::from_str(state).expect("a sealed file");
    assert_eq!(sealed_state.format, sealed::SEALED_FORMAT);
    assert_eq!(sealed_state.purpose, sealed::TRUSTEE_CEREMONY_STATE);
    assert!(
        !state.contains("coefficients") && !state.contains(PASSPHRASE),
        "sealed"
    );
    browser
        .wait_text("#ceremony-status", "1 of 3 have posted round 1")
        .await;

    // Trustees 2 and 3 post round 1; the page deals (round 2) by itself.
    let mut secrets1 = Vec::new();
    for t in &created.trustees[1..] {
        let (secret, package) = dkg::start(params, t.index, context.as_bytes(), &mut rng).unwrap();
        secrets1.push(secret);
        api.trustee_post(&format!("{base_path}/round1"), &t.token, &package)
            .await
            .expect(200);
    }
    let v = wait_browser_posted(&api, &created, 2).await;
    assert_eq!(v.round1.len(), 3);

    // A reload in the middle: the page asks for the passphrase and carries on.
    browser.goto(&format!("{page}?lang=en")).await;
    browser.wait_visible("#unlock-form").await;
    assert!(
        browser
            .eval(
                "return document.getElementById('start-form').hidden;",
                vec![]
            )
            .await
            .as_bool()
            .unwrap_or(false),
        "no new start after a reload"
    );
    browser
        .fill("#unlock-passphrase", "not the passphrase")
        .await;
    browser.click("#unlock-submit").await;
    browser.wait_text("#unlock-error", "Wrong passphrase").await;
    browser.fill("#unlock-passphrase", PASSPHRASE).await;
    browser.click("#unlock-submit").await;
    browser
        .wait_text("#ceremony-status", "1 of 3 have posted round 2")
        .await;
    let steps = browser
        .eval(
            "return Array.from(document.querySelectorAll('#ceremony-steps li')).map(l => [l.dataset.step, l.dataset.state]);",
            vec![],
        )
        .await;
    assert_eq!(
        steps,
        json!([
            ["passphrase", "done"],
            ["round1", "done"],
            ["round2", "waiting"],
            ["round3", "todo"],
            ["seal", "todo"],
            ["backup", "todo"]
        ])
    );
    let table = browser
        .eval(
            "return Array.from(document.querySelectorAll('#trustee-rows tr')).map(r => r.querySelectorAll('.mark.done').length);",
            vec![],
        )
        .await;
    assert_eq!(table, json!([2, 1, 1]), "rounds done per trustee");
    support::browser::assert_file(&browser.screenshot("trustee-ceremony-en").await);
    browser.assert_translated("ceremony (en)").await;

    // Round 2 of the others; the page checks its shares (round 3).
    let v = view(&api, &created, 1).await;
    let mut secrets2 = Vec::new();
    for (secret, t) in secrets1.into_iter().zip(&created.trustees[1..]) {
        let (next, package) = secret.deal(&v.round1, &mut rng).unwrap();
        secrets2.push(next);
        api.trustee_post(&format!("{base_path}/round2"), &t.token, &package)
            .await
            .expect(200);
    }
    let v = wait_browser_posted(&api, &created, 3).await;
    assert!(v.round3[0].complaints.is_empty(), "no complaints");
    // The page is closed before the others finish: the seal happens without it.
    browser.goto("about:blank").await;

    // Round 3 of the others; the last seals the election.
    let mut secrets3 = Vec::new();
    let mut last = Value::Null;
    for (secret, t) in secrets2.into_iter().zip(&created.trustees[1..]) {
        let (next, package) = secret.check(&v.round2, &mut rng).unwrap();
        secrets3.push(next);
        last = api
            .trustee_post(&format!("{base_path}/round3"), &t.token, &package)
            .await
            .expect(200)
            .json();
    }
    assert_eq!(last["state"], "awaiting_approval", "{last}");
    let v = view(&api, &created, 1).await;
    let transcript = CeremonyTranscript {
        round1: v.round1.clone(),
        round2: v.round2.clone(),
        round3: v.round3.clone(),
    };
    let finished: Vec<_> = secrets3
        .into_iter()
        .map(|s| s.finish(&transcript).unwrap())
        .collect();
    let outcome = &finished[0].1;
    let shares: Vec<KeyShare> = finished.iter().map(|(s, _)| s.clone()).collect();
    let fingerprint = v.fingerprint.expect("sealed").to_hex();

    // Opened again after the seal, the page needs the passphrase to derive its share; until
    // then it does not claim there is nothing left to do.
    browser.goto(&format!("{page}?lang=en")).await;
    browser.wait_visible("#unlock-form").await;
    assert!(
        browser
            .eval(
                "return document.getElementById('waiting').hidden && document.getElementById('backup').hidden;",
                vec![]
            )
            .await
            .as_bool()
            .unwrap_or(false),
        "no 'nothing to do' and no key share before the passphrase"
    );
    browser.fill("#unlock-passphrase", PASSPHRASE).await;
    browser.press(Key::Enter).await;

    // The page derives its share and insists on the download before it says "done".
    browser.wait_visible("#backup-download").await;
    assert_eq!(browser.text_of("#key-fingerprint").await, fingerprint);
    assert_eq!(browser.text_of("#fingerprint").await, fingerprint);
    let required = browser.text_of("#backup-required").await;
    assert!(required.contains("not done yet"), "{required}");
    assert!(!browser
        .client
        .find(Locator::Css("#backup-done"))
        .await
        .unwrap()
        .is_displayed()
        .await
        .unwrap());
    let verification = browser.text_of("#verification-key").await;
    assert_eq!(
        verification,
        outcome.verification_keys[0].to_bytes().to_hex(),
        "the page shows trustee 1's verification key as the ceremony made it"
    );
    assert_eq!(
        browser.text_of("#election-key").await,
        outcome.election_key.to_bytes().to_hex()
    );
    assert_eq!(
        local_storage(&browser, &state_key).await,
        Value::Null,
        "the ceremony state is dropped once the key share is kept"
    );
    browser.click("#backup-download").await;
    let file = browser.wait_download(".key.json").await;
    assert_eq!(
        file.file_name().unwrap().to_string_lossy(),
        format!("urna-{id}-trustee-1.key.json")
    );
    let done = browser.text_of("#backup-done").await;
    assert!(
        done.contains(&format!("urna-{id}-trustee-1.key.json"))
            && done.contains("urna trustee decrypt")
            && done.contains("--key"),
        "{done}"
    );
    support::browser::assert_file(&browser.screenshot("trustee-done-en").await);
    browser.assert_translated("done (en)").await;

    // The backup is a sealed key share, opened as `urna trustee decrypt --key` opens it.
    let backup_text = std::fs::read_to_string(&file).unwrap();
    assert!(!backup_text.contains("\"secret\""), "sealed");
    let backup: SealedFile = serde_json::from_str(&backup_text).expect("a sealed file");
    assert_eq!(backup.format, "urna-sealed/v1");
    assert_eq!(backup.purpose, sealed::TRUSTEE_KEY_SHARE);
    assert!(sealed::open(&backup, "not the passphrase", sealed::TRUSTEE_KEY_SHARE).is_err());
    let plain = sealed::open(&backup, PASSPHRASE, sealed::TRUSTEE_KEY_SHARE).expect("opens");
    let key_file: KeyShareFile = serde_json::from_slice(&plain).expect("a key share file");
    let share1 = KeyShare::import_key_file(&key_file).expect("a key share");
    assert_eq!(share1.index(), 1);
    assert_eq!(
        share1.verification_key().to_bytes(),
        outcome.verification_keys[0].to_bytes()
    );
    assert_eq!(
        share1.election_key().to_bytes(),
        outcome.election_key.to_bytes()
    );

    // Approval, voting: three ballots over the API.
    let approved = election::approve(&api, &created).await;
    assert_eq!(approved.to_hex(), fingerprint);
    election::open(&admin, &id).await;
    let prepared = election::Prepared {
        id: id.clone(),
        created: created.clone(),
        shares: shares.clone(),
        context: election::booth_context(&api, &id).await,
        manifest: manifest.clone(),
    };
    let keys =
        election::outbox_keys(server.outbox(), &server.public_url(), &prepared, VOTERS).await;
    let booth_context = prepared.context.clone();
    let cast: Vec<_> = tokio::task::spawn_blocking(move || {
        let mut rng = ChaCha20Rng::seed_from_u64(5151);
        keys.iter()
            .map(|k| election::ballot(&booth_context, k, &mut rng))
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    let mut expected = election::zero_totals(&manifest);
    for (ballot, vote) in &cast {
        election::cast_ok(&api, &id, ballot).await;
        election::add_vote(&mut expected, vote, 1);
    }
    election::close(&admin, &id).await;
    eprintln!("voting closed after {:?}", started.elapsed());

    // Trustee 1 decrypts in the browser, in Swedish on a phone, with the downloaded file.
    browser.client.set_window_size(360, 800).await.unwrap();
    browser.goto(&format!("{page}?lang=sv")).await;
    browser.wait_visible("#decrypt-form").await;
    assert_eq!(browser.page_lang().await, "sv");
    let heading = browser.text_of("#decrypt-heading").await;
    assert_eq!(heading, "Dekryptera resultatet");
    browser.click("#source-file").await;
    // First a file that is not a key backup: refused before anything is opened or fetched.
    let not_backup = dir.path().join("notes.key.json");
    std::fs::write(&not_backup, r#"{"format":"urna-notes/v1"}"#).unwrap();
    browser
        .wait_visible("#decrypt-file")
        .await
        .send_keys(not_backup.to_str().unwrap())
        .await
        .expect("choosing the wrong file");
    browser.fill("#decrypt-passphrase", PASSPHRASE).await;
    browser.click("#decrypt-submit").await;
    browser
        .wait_text("#decrypt-error", "ingen säkerhetskopia av en Urna-nyckel")
        .await;
    assert!(view(&api, &created, 0).await.decrypted_by.is_empty());
    browser
        .wait_visible("#decrypt-file")
        .await
        .send_keys(file.to_str().unwrap())
        .await
        .expect("choosing the file");
    let chosen = browser
        .eval(
            "const f = document.getElementById('decrypt-file').files; return [f.length, f[0].name];",
            vec![],
        )
        .await;
    assert_eq!(chosen, json!([1, format!("urna-{id}-trustee-1.key.json")]));
    browser
        .fill("#decrypt-passphrase", "fel lösenfras helt")
        .await;
    browser.click("#decrypt-submit").await;
    let error = browser.wait_text("#decrypt-error", "Fel lösenfras").await;
    assert!(error.contains("nyckelsäkerhetskopia"), "{error}");
    let v = view(&api, &created, 0).await;
    assert!(
        v.decrypted_by.is_empty(),
        "nothing posted after a wrong passphrase"
    );
    assert_eq!(api.state(&id).await, "tallying");

    // A board altered on its way to the browser (one ballot's hash): the page's verifier
    // refuses it, says which check failed, and neither decrypts nor posts anything.
    browser
        .eval(
            r#"const real = window.fetch;
               window.urnaRealFetch = real;
               window.fetch = async (url, options) => {
                 const response = await real(url, options);
                 if (!String(url).includes('/board?')) return response;
                 const page = await response.json();
                 const i = page.lines.findIndex((l) => l.includes('"type":"ballot"'));
                 if (i >= 0) page.lines[i] = page.lines[i].replace(/"hash":"([0-9a-f]*)([0-9a-f])"/,
                   (m, a, b) => '"hash":"' + a + (b === '0' ? '1' : '0') + '"');
                 return new Response(JSON.stringify(page), { status: response.status, headers: response.headers });
               };"#,
            vec![],
        )
        .await;
    browser.fill("#decrypt-passphrase", PASSPHRASE).await;
    browser.click("#decrypt-submit").await;
    let error = browser
        .wait_text("#decrypt-error", "anslagstavlan stämmer inte")
        .await;
    assert!(
        error.contains("(kontroll V") && error.contains("Ingenting har dekrypterats"),
        "{error}"
    );
    assert!(view(&api, &created, 0).await.decrypted_by.is_empty());
    browser
        .eval("window.fetch = window.urnaRealFetch;", vec![])
        .await;

    browser.fill("#decrypt-passphrase", PASSPHRASE).await;
    browser.click("#decrypt-submit").await;
    let done = browser
        .wait_text("#decrypt-done", "Din deldekryptering finns")
        .await;
    assert!(done.contains("1 av de 2"), "{done}");
    let v = view(&api, &created, 0).await;
    assert_eq!(v.decrypted_by, [1]);
    let progress = browser
        .eval(
            "const p = document.getElementById('decrypt-progress'); return [p.value, p.max];",
            vec![],
        )
        .await;
    assert_eq!(
        progress[0], progress[1],
        "the board was verified to the end"
    );
    browser
        .assert_fits_width("no sideways scrolling at 360 px")
        .await;
    browser.scroll_to("decrypt").await;
    support::browser::assert_file(&browser.screenshot("trustee-decrypt-sv").await);
    browser.assert_translated("decrypt (sv)").await;

    // The command-line tool reads the same backup: with a wrong passphrase it fails; with the
    // right one it opens the share, checks it is trustee 1's and finds its decryption posted.
    let cli = |passphrase: &'static str| {
        let args = [
            "trustee".to_owned(),
            "decrypt".to_owned(),
            "--server".to_owned(),
            base.clone(),
            "--election".to_owned(),
            id.clone(),
            "--key".to_owned(),
            file.to_string_lossy().into_owned(),
        ];
        let token = created.trustees[0].token.clone();
        tokio::task::spawn_blocking(move || {
            support::run_urna_env(
                &args,
                &[
                    ("URNA_TRUSTEE_TOKEN", token.as_str()),
                    ("URNA_KEY_PASSPHRASE", passphrase),
                ],
            )
        })
    };
    let wrong = cli("not the passphrase").await.unwrap();
    assert!(!wrong.status.success(), "{}", support::describe(&wrong));
    let right = cli(PASSPHRASE).await.unwrap();
    assert!(right.status.success(), "{}", support::describe(&right));
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&right.stdout),
        String::from_utf8_lossy(&right.stderr)
    );
    assert!(said.contains("already on the board"), "{said}");

    // Trustee 2 over the API: the second decryption publishes the counted votes.
    let t2 = &created.trustees[1];
    let totals = decode_tally(&v.tally.expect("the tally")).unwrap();
    let d = decrypt_share(&prepared.fingerprint(), &shares[0], &totals, &mut rng);
    let posted = api
        .trustee_post(&format!("{base_path}/decryption"), &t2.token, &d)
        .await
        .expect(200)
        .json();
    assert_eq!(posted["state"], "published", "{posted}");
    assert_eq!(election::result_totals(&api, &id).await, expected);
    browser
        .wait_text("#decrypt-done", "Se det publicerade resultatet")
        .await;

    // A link with someone else's (or a mistyped) token says so instead of showing anything.
    browser
        .goto(&format!("{page}?lang=en#AAAAAAAAAAAAAAAAAAAAAAAAAA"))
        .await;
    let refused = browser.text_of("#page-error").await;
    assert!(refused.contains("not valid for this election"), "{refused}");
    assert!(!browser
        .client
        .find(Locator::Css("#trustee"))
        .await
        .unwrap()
        .is_displayed()
        .await
        .unwrap());

    eprintln!("trustee test took {:?}", started.elapsed());
    browser.close().await;
}
