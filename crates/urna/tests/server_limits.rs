//! The abuse limits of `urna serve` over real sockets (issue 7): slow headers, stalled and
//! trickled bodies, idle keep-alive connections, the connection cap, the login and cast rate
//! limits, oversized bodies, the page bound and the discrete-log bound. Each test shows the
//! limit biting and ordinary traffic still served. The timeouts are set to a few seconds so the
//! tests are quick; every wait is bounded generously and nothing asserts how fast anything is.

mod support;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use reqwest::Method;
use serde_json::json;
use support::election;
use support::http::{Admin, Api, Reply};
use support::{Database, Server, ServerOptions};

/// The longest any test waits for the server to act on a limit of a few seconds.
const BOUND: Duration = Duration::from_secs(30);

fn server_with(
    dir: &std::path::Path,
    opts: impl FnOnce(ServerOptions) -> ServerOptions,
) -> (Database, Server) {
    let db = Database::sqlite(dir);
    let server = Server::start(opts(ServerOptions::new(&db)));
    (db, server)
}

fn args(opts: ServerOptions, extra: &[&str]) -> ServerOptions {
    let mut opts = opts;
    opts.extra_args.extend(extra.iter().map(|s| s.to_string()));
    opts
}

fn connect(server: &Server) -> TcpStream {
    let s = TcpStream::connect(server.addr()).expect("connect");
    s.set_nodelay(true).ok();
    s
}

/// One parsed HTTP/1.1 response: status, lower-cased header lines, body.
#[derive(Debug)]
struct Raw {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn closes(&self) -> bool {
        self.header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"))
    }
}

/// Reads one response (headers, then a Content-Length body) within `within`; None when the
/// connection ends or nothing complete arrives in time.
fn read_response(s: &mut TcpStream, within: Duration) -> Option<Raw> {
    let deadline = Instant::now() + within;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let left = deadline.checked_duration_since(Instant::now())?;
        s.set_read_timeout(Some(left.max(Duration::from_millis(1))))
            .ok();
        match s.read(&mut chunk) {
            Ok(0) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return None
            }
            Err(_) => return None,
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end..].to_vec();
    while body.len() < len {
        let left = deadline.checked_duration_since(Instant::now())?;
        s.set_read_timeout(Some(left.max(Duration::from_millis(1))))
            .ok();
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => body.extend_from_slice(&chunk[..n]),
        }
    }
    Some(Raw {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// Whether the server closes the connection (EOF or reset) within `within`, discarding any
/// bytes that arrive first.
fn closed_within(s: &mut TcpStream, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    let mut chunk = [0u8; 4096];
    loop {
        let Some(left) = deadline.checked_duration_since(Instant::now()) else {
            return false;
        };
        s.set_read_timeout(Some(left.max(Duration::from_millis(1))))
            .ok();
        match s.read(&mut chunk) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return false
            }
            Err(_) => return true,
        }
    }
}

fn get_healthz(s: &mut TcpStream) -> Raw {
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: urna\r\n\r\n")
        .expect("send GET /healthz");
    read_response(s, BOUND).expect("an answer to GET /healthz")
}

fn login_body(password: &str) -> String {
    json!({"username": "admin", "password": password}).to_string()
}

fn login_head(len: usize) -> String {
    format!(
        "POST /api/v1/admin/login HTTP/1.1\r\nHost: urna\r\nContent-Type: application/json\r\n\
         Content-Length: {len}\r\n\r\n"
    )
}

/// Headers sent a byte at a time, slower than `--header-timeout`: the server drops the
/// connection before the headers are complete. A connection that sends nothing is dropped too,
/// and so is a keep-alive connection left idle after its answer. Meanwhile, and after, ordinary
/// requests are answered.
#[test]
fn slow_headers_and_idle_connections_are_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let (_db, server) = server_with(dir.path(), |o| args(o, &["--header-timeout", "2"]));

    let request =
        b"GET /healthz HTTP/1.1\r\nHost: urna\r\nUser-Agent: slowloris\r\nAccept: */*\r\n\r\n";
    // 300 ms a byte: the whole request would take about 20 s, ten times the timeout.
    let mut slow = connect(&server);
    let mut silent = connect(&server);
    let started = Instant::now();
    let mut sent = 0;
    let mut closed = false;
    for byte in request {
        if slow.write_all(&[*byte]).is_err() {
            closed = true;
            break;
        }
        sent += 1;
        // Between bytes, look for the server's close (and serve a fast client meanwhile).
        let mut probe = [0u8; 64];
        slow.set_read_timeout(Some(Duration::from_millis(300))).ok();
        match slow.read(&mut probe) {
            Ok(0) => {
                closed = true;
                break;
            }
            Ok(n) => panic!(
                "the slow client got an answer: {}",
                String::from_utf8_lossy(&probe[..n])
            ),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => {
                closed = true;
                break;
            }
        }
        if sent == 3 {
            let mut fast = connect(&server);
            assert_eq!(
                get_healthz(&mut fast).status,
                200,
                "a fast client during the attack"
            );
        }
        if started.elapsed() > BOUND {
            break;
        }
    }
    assert!(
        closed && sent < request.len(),
        "the server did not drop a client sending its headers a byte every 300 ms \
         ({sent} of {} bytes sent in {:?})",
        request.len(),
        started.elapsed()
    );
    // The connection that never sent a byte is gone too.
    assert!(
        closed_within(&mut silent, BOUND),
        "a connection that sent nothing was kept open"
    );
    // A keep-alive connection: two requests are answered on it, then, idle, it is closed.
    let mut idle = connect(&server);
    assert_eq!(get_healthz(&mut idle).status, 200);
    assert_eq!(get_healthz(&mut idle).status, 200, "keep-alive works");
    assert!(
        closed_within(&mut idle, BOUND),
        "an idle keep-alive connection was kept open"
    );
    assert!(server.healthy());
}

/// A body that stops half-way, and one trickled in slower than `--body-timeout` allows in all,
/// are answered 408 `timeout` with `Connection: close`, and the connection is closed. A body
/// sent at once on the same server is fine.
#[test]
fn stalled_and_trickled_bodies_get_408() {
    let dir = tempfile::tempdir().unwrap();
    let (_db, server) = server_with(dir.path(), |o| args(o, &["--body-timeout", "2"]));
    let body = login_body(server.admin_password());

    // Half the body, then nothing.
    let mut stalled = connect(&server);
    stalled
        .write_all(login_head(body.len()).as_bytes())
        .unwrap();
    stalled
        .write_all(&body.as_bytes()[..body.len() / 2])
        .unwrap();
    let reply = read_response(&mut stalled, BOUND).expect("an answer to the stalled body");
    assert_eq!(reply.status, 408, "{reply:?}");
    assert!(reply.body.contains("\"timeout\""), "{reply:?}");
    assert!(reply.closes(), "408 without Connection: close: {reply:?}");
    assert!(
        closed_within(&mut stalled, BOUND),
        "the connection stayed open"
    );

    // The whole body, one byte every 250 ms (about 20 s in all), against a 2 s deadline.
    let mut trickle = connect(&server);
    trickle
        .write_all(login_head(body.len()).as_bytes())
        .unwrap();
    let mut writer = trickle.try_clone().unwrap();
    let bytes = body.clone().into_bytes();
    let feeder = std::thread::spawn(move || {
        for b in bytes {
            if writer.write_all(&[b]).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    });
    let reply = read_response(&mut trickle, BOUND).expect("an answer to the trickled body");
    assert_eq!(reply.status, 408, "{reply:?}");
    assert!(reply.closes(), "{reply:?}");
    let _ = trickle.shutdown(std::net::Shutdown::Both);
    feeder.join().unwrap();

    // At ordinary speed the same request logs in.
    let mut normal = connect(&server);
    normal
        .write_all(format!("{}{body}", login_head(body.len())).as_bytes())
        .unwrap();
    let reply = read_response(&mut normal, BOUND).expect("an answer to the login");
    assert_eq!(reply.status, 200, "{reply:?}");
    assert!(
        !reply.closes(),
        "a fully read request needs no close: {reply:?}"
    );
    assert_eq!(
        get_healthz(&mut normal).status,
        200,
        "the connection is reused"
    );
}

/// With `--max-connections 2`, two open connections hold both places: a third is not served
/// while they stay, and is served as soon as one closes.
#[test]
fn connections_past_the_cap_wait_for_a_free_place() {
    let dir = tempfile::tempdir().unwrap();
    let (_db, server) = server_with(dir.path(), |o| {
        args(o, &["--max-connections", "2", "--header-timeout", "60"])
    });
    // Two connections, each answered once (so each surely holds a place), then idle.
    let mut first = connect(&server);
    let mut second = connect(&server);
    assert_eq!(get_healthz(&mut first).status, 200);
    assert_eq!(get_healthz(&mut second).status, 200);
    let mut third = connect(&server);
    third
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: urna\r\n\r\n")
        .unwrap();
    // It cannot be answered while both places are held, however long we wait: 2 s is only
    // how long we look.
    assert!(
        read_response(&mut third, Duration::from_secs(2)).is_none(),
        "a third connection was served past --max-connections 2"
    );
    // The two held connections are still served.
    assert_eq!(get_healthz(&mut first).status, 200);
    drop(second);
    let reply = read_response(&mut third, BOUND).expect("the waiting connection is served");
    assert_eq!(reply.status, 200);
    drop(first);
    drop(third);
    assert!(server.healthy());
}

/// `--login-rate-limit 3`: a fourth login from one address within the window is refused 429
/// `rate_limited` with Retry-After; another address is not affected, and the first one may log
/// in again after Retry-After seconds. Without `--trust-proxy`, X-Forwarded-For does not open
/// a new allowance.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_rate_limit_per_address() {
    let dir = tempfile::tempdir().unwrap();
    let (_db, server) = server_with(dir.path(), |o| {
        args(o.rate_limits(0, 3), &["--trust-proxy", "true"])
    });
    let api = Api::new(&server.url());
    let login = |from: &'static str, password: String| {
        let api = api.clone();
        async move {
            let body =
                serde_json::to_vec(&json!({"username": "admin", "password": password})).unwrap();
            api.request(
                Method::POST,
                "/admin/login",
                &[("x-forwarded-for", from)],
                Some(("application/json", body)),
            )
            .await
        }
    };
    let password = server.admin_password().to_owned();
    for _ in 0..3 {
        login("10.0.0.1", password.clone()).await.expect(200);
    }
    let refused = login("10.0.0.1", password.clone())
        .await
        .expect_error(429, "rate_limited");
    let retry: u64 = refused
        .headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    // A wrong password counts the same (it is refused before the password is looked at).
    login("10.0.0.1", "wrong password for sure".into())
        .await
        .expect_error(429, "rate_limited");
    // Another address logs in.
    login("10.0.0.2", password.clone()).await.expect(200);
    // After Retry-After the first address may try again.
    tokio::time::sleep(Duration::from_secs(retry) + Duration::from_millis(500)).await;
    login("10.0.0.1", password.clone()).await.expect(200);

    // Not behind a trusted proxy: the header is the client's own word and is ignored.
    let dir2 = tempfile::tempdir().unwrap();
    let (_db2, direct) = server_with(dir2.path(), |o| o.rate_limits(0, 2));
    let api2 = Api::new(&direct.url());
    let body = |p: &str| serde_json::to_vec(&json!({"username": "admin", "password": p})).unwrap();
    for _ in 0..2 {
        api2.post_raw("/admin/login", &body(direct.admin_password()))
            .await
            .expect(200);
    }
    for spoof in ["10.9.9.9", "10.9.9.10"] {
        api2.request(
            Method::POST,
            "/admin/login",
            &[("x-forwarded-for", spoof)],
            Some(("application/json", body(direct.admin_password()))),
        )
        .await
        .expect_error(429, "rate_limited");
    }
}

/// `--cast-rate-limit 2` behind a trusted proxy: a third ballot from one address within the
/// window is refused 429 with Retry-After and not stored; the same ballot from another address
/// is. The board of that election then serves the page bound: `limit=1001` is refused, pages
/// are never longer than asked and walk the whole board.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cast_rate_limit_and_page_bound() {
    let dir = tempfile::tempdir().unwrap();
    let (_db, server) = server_with(dir.path(), |o| {
        args(o.rate_limits(2, 0), &["--trust-proxy", "true"])
    });
    let api = Api::new(&server.url());
    let admin = Admin::login(&api, "admin", server.admin_password()).await;
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let (roll, _) = election::roll("math.example.edu", 4);
    let e = election::prepare(
        &admin,
        &election::manifest("technical-staff"),
        &roll,
        &mut rng,
    )
    .await;
    election::open(&admin, &e.id).await;
    let keys = election::outbox_keys(server.outbox(), &server.public_url(), &e, 4).await;
    let ballots: Vec<_> = keys
        .iter()
        .map(|k| election::ballot(&e.context, k, &mut rng).0)
        .collect();
    let cast = |from: &'static str, i: usize| {
        let body = serde_json::to_vec(&ballots[i]).unwrap();
        let (api, path) = (api.clone(), format!("/elections/{}/ballots", e.id));
        async move {
            api.request(
                Method::POST,
                &path,
                &[("x-forwarded-for", from)],
                Some(("application/json", body)),
            )
            .await
        }
    };
    cast("10.0.0.1", 0).await.expect(201);
    cast("10.0.0.1", 1).await.expect(201);
    let before = api.head(&e.id).await;
    let refused: Reply = cast("10.0.0.1", 2).await.expect_error(429, "rate_limited");
    assert!(
        refused.headers.get("retry-after").is_some(),
        "429 without Retry-After"
    );
    assert_eq!(
        api.head(&e.id).await,
        before,
        "a refused ballot changed the board"
    );
    cast("10.0.0.2", 2).await.expect(201);
    assert_eq!(api.head(&e.id).await.0, before.0 + 1);

    // Pages.
    let board = format!("/elections/{}/board", e.id);
    api.get(&format!("{board}?limit=1001"))
        .await
        .expect_error(400, "bad_request");
    api.get(&format!("{board}?limit=0"))
        .await
        .expect_error(400, "bad_request");
    let (entries, _) = api.head(&e.id).await;
    let all = api
        .get(&format!("{board}?limit=1000"))
        .await
        .expect(200)
        .json();
    assert_eq!(all["lines"].as_array().unwrap().len() as u64, entries);
    assert!(all["next"].is_null());
    let mut walked = Vec::new();
    let mut from = 0u64;
    loop {
        let page = api
            .get(&format!("{board}?from={from}&limit=3"))
            .await
            .expect(200)
            .json();
        let lines = page["lines"].as_array().unwrap();
        assert!(lines.len() <= 3, "a page longer than its limit");
        walked.extend(lines.iter().map(|l| l.as_str().unwrap().to_owned()));
        match page["next"].as_u64() {
            Some(next) => {
                assert_eq!(lines.len(), 3, "a short page before the end");
                from = next;
            }
            None => break,
        }
    }
    let jsonl = api.board_jsonl(&e.id).await;
    let expected: Vec<&str> = jsonl.lines().collect();
    assert_eq!(walked, expected, "the pages put together are the board");
}

/// A body past `--body-limit` gets 413 `too_large` with `Connection: close` (the rest of it is
/// still on the socket), and so does any request answered before its body was read (here a POST
/// to no route). A request whose body was read keeps its connection.
#[test]
fn refusals_before_the_body_close_the_connection() {
    let dir = tempfile::tempdir().unwrap();
    let (_db, server) = server_with(dir.path(), |o| args(o, &["--body-limit", "65536"]));
    let mut big = br#"{"username":"admin","password":""#.to_vec();
    big.extend(std::iter::repeat_n(b'x', 256 * 1024));
    big.extend(br#""}"#);

    let mut s = connect(&server);
    s.write_all(login_head(big.len()).as_bytes()).unwrap();
    let mut writer = s.try_clone().unwrap();
    let feeder = std::thread::spawn(move || {
        let _ = writer.write_all(&big);
    });
    let reply = read_response(&mut s, BOUND).expect("an answer to the oversized body");
    assert_eq!(reply.status, 413, "{reply:?}");
    assert!(reply.body.contains("too_large"), "{reply:?}");
    assert!(reply.closes(), "413 without Connection: close: {reply:?}");
    assert!(closed_within(&mut s, BOUND), "the connection stayed open");
    drop(s);
    feeder.join().unwrap();

    // Refused before the body is looked at.
    let mut s = connect(&server);
    s.write_all(
        b"POST /api/v1/no-such-route HTTP/1.1\r\nHost: urna\r\nContent-Type: application/json\r\n\
          Content-Length: 40000\r\n\r\n{\"a\":1",
    )
    .unwrap();
    let reply = read_response(&mut s, BOUND).expect("an answer to the unrouted POST");
    assert_eq!(reply.status, 404, "{reply:?}");
    assert!(
        reply.closes(),
        "404 before the body without Connection: close"
    );

    // A login whose body is read: the connection serves another request.
    let body = login_body(server.admin_password());
    let mut s = connect(&server);
    s.write_all(format!("{}{body}", login_head(body.len())).as_bytes())
        .unwrap();
    let reply = read_response(&mut s, BOUND).expect("an answer to the login");
    assert_eq!(reply.status, 200, "{reply:?}");
    assert!(!reply.closes(), "{reply:?}");
    // A refusal after the body was read (wrong password) keeps the connection too.
    let wrong = login_body("not the password at all");
    s.write_all(format!("{}{wrong}", login_head(wrong.len())).as_bytes())
        .unwrap();
    let reply = read_response(&mut s, BOUND).expect("an answer to the second login");
    assert_eq!(reply.status, 401, "{reply:?}");
    assert!(!reply.closes(), "{reply:?}");
    assert_eq!(get_healthz(&mut s).status, 200);
}

/// SIGTERM while a request is in flight: the request is finished and answered, idle
/// connections are closed, and the server exits cleanly.
#[test]
fn shutdown_finishes_requests_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let (_db, mut server) = server_with(dir.path(), |o| args(o, &["--body-timeout", "30"]));
    let body = login_body(server.admin_password());
    let mut idle = connect(&server);
    assert_eq!(get_healthz(&mut idle).status, 200);
    let mut busy = connect(&server);
    busy.write_all(login_head(body.len()).as_bytes()).unwrap();
    busy.write_all(&body.as_bytes()[..5]).unwrap();
    // Sequencing only (not a timing assertion): let the server read the headers first, so the
    // request is in flight when the signal comes.
    std::thread::sleep(Duration::from_secs(1));
    let pid = server.pid().expect("running");
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("kill -TERM");
    assert!(status.success());
    assert!(
        closed_within(&mut idle, BOUND),
        "an idle connection outlived the shutdown"
    );
    busy.write_all(&body.as_bytes()[5..]).unwrap();
    let reply = read_response(&mut busy, BOUND).expect("the request in flight is answered");
    assert_eq!(reply.status, 200, "{reply:?}");
    support::wait_until(BOUND, "the server to exit", || {
        (!server.is_running()).then_some(())
    });
}

/// The discrete-log bound: a weighted roll whose total weight times the contest's largest
/// per-selection value exceeds `MAX_DLOG_BOUND` (2^40) could never be tallied, so it must be
/// refused before the election can start (at the roll upload or the start of the ceremony); a
/// roll under the bound is accepted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_roll_past_the_dlog_bound_is_refused() {
    use urna_crypto::dlog::MAX_DLOG_BOUND;
    let dir = tempfile::tempdir().unwrap();
    let (_db, server) = server_with(dir.path(), |o| o);
    let api = Api::new(&server.url());
    let admin = Admin::login(&api, "admin", server.admin_password()).await;
    let mut manifest = serde_json::to_value(election::manifest("union-council")).unwrap();
    let per_option_max: u64 = 4000;
    manifest["contests"][0]["type"] = json!("cumulative");
    manifest["contests"][0]["per_option_max"] = json!(per_option_max);
    manifest["contests"][0]["budget"] = json!(per_option_max);
    let weight: u64 = 1_000_000;
    let voters = MAX_DLOG_BOUND / (weight * per_option_max) + 1;
    assert!(voters * weight * per_option_max > MAX_DLOG_BOUND);
    let roll = |n: u64| {
        let mut csv = String::from("email,name,weight\n");
        for i in 0..n {
            csv.push_str(&format!("d{i}@union.example.org,Delegat {i},{weight}\n"));
        }
        csv
    };
    let create = || async {
        let v = admin
            .post(
                "/admin/elections",
                &json!({"manifest": manifest, "orderer": {"name": "P", "email": "p@union.example.org"}}),
            )
            .await
            .expect(201)
            .json();
        v["id"].as_str().unwrap().to_owned()
    };
    // Under the bound: accepted.
    let ok = create().await;
    admin
        .put_csv(&format!("/admin/elections/{ok}/roll"), &roll(2))
        .await
        .expect(200);
    // Past it: refused at the upload or at the ceremony, with a 4xx and a message.
    let bad = create().await;
    let upload = admin
        .put_csv(&format!("/admin/elections/{bad}/roll"), &roll(voters))
        .await;
    let refused = if upload.status == 200 {
        admin
            .post_empty(&format!("/admin/elections/{bad}/ceremony"))
            .await
    } else {
        upload
    };
    assert!(
        (400..500).contains(&refused.status) && !refused.json()["message"].is_null(),
        "a roll of total weight {} (tally bound {} > 2^40) was accepted: {} {}",
        voters * weight,
        voters * weight * per_option_max,
        refused.status,
        refused.body
    );
    // Nothing of the refused roll was kept, and the election is still a draft.
    let view = admin
        .get(&format!("/admin/elections/{bad}"))
        .await
        .expect(200)
        .json();
    assert_eq!(view["summary"]["state"], "draft", "{view}");
    assert_eq!(view["roll_voters"], 0, "{view}");
}
