//! Test helpers (not part of the server's API): a real SMTP server on loopback that keeps every
//! message it is given.
//!
//! [`SmtpSink`] speaks the part of SMTP that lettre uses without TLS or authentication
//! (`SmtpSecurity::None`): the greeting, `EHLO`/`HELO` (advertising `8BITMIME` and `SMTPUTF8`,
//! whose parameters it accepts), `MAIL FROM`, `RCPT TO`, `DATA` (with dot-unstuffing), `RSET`,
//! `NOOP`, `VRFY` and `QUIT`, several messages per connection and many connections at once.
//! [`SmtpSink::fail_next`] makes it refuse messages, to test retries and failure reports.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch};

/// The longest command or data line accepted (RFC 5321 asks for 1000; this is lenient).
const MAX_LINE: u64 = 64 * 1024;
/// The largest message kept; bigger ones are refused with 552.
const MAX_MESSAGE: usize = 32 * 1024 * 1024;

/// One message the sink accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceivedMail {
    /// The envelope sender (`MAIL FROM`), without angle brackets.
    pub from: String,
    /// The envelope recipients (`RCPT TO`), without angle brackets.
    pub to: Vec<String>,
    /// The message as transmitted (dot-stuffing undone), ending with its last line's CRLF.
    pub raw: Vec<u8>,
}

impl ReceivedMail {
    /// The first link starting with `prefix` (see [`crate::mail::extract_link`]).
    pub fn link(&self, prefix: &str) -> Option<String> {
        crate::mail::extract_link(&self.raw, prefix)
    }

    /// A decoded header field, e.g. `Subject`.
    pub fn header(&self, name: &str) -> Option<String> {
        crate::mail::header(&self.raw, name)
    }

    /// The decoded text of the message.
    pub fn text(&self) -> String {
        crate::mail::text_body(&self.raw)
    }
}

#[derive(Debug)]
struct Shared {
    messages: Mutex<Vec<ReceivedMail>>,
    /// Number of messages kept, for waiters.
    count: watch::Sender<usize>,
    /// (messages still to refuse, reply code)
    refuse: Mutex<(usize, u16)>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Shared {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            messages: Mutex::new(Vec::new()),
            count: watch::channel(0).0,
            refuse: Mutex::new((0, 0)),
        })
    }

    /// Keeps the message, or gives the code of a refusal.
    fn deliver(&self, mail: ReceivedMail) -> Result<(), u16> {
        {
            let mut refuse = lock(&self.refuse);
            if refuse.0 > 0 {
                refuse.0 -= 1;
                return Err(refuse.1);
            }
        }
        let n = {
            let mut messages = lock(&self.messages);
            messages.push(mail);
            messages.len()
        };
        self.count.send_replace(n);
        Ok(())
    }
}

#[derive(Debug)]
enum Runner {
    Task(tokio::task::AbortHandle),
    Thread {
        stop: Option<oneshot::Sender<()>>,
        thread: Option<std::thread::JoinHandle<()>>,
    },
}

/// An SMTP server on `127.0.0.1` that keeps what it receives; stops when dropped.
#[derive(Debug)]
pub struct SmtpSink {
    port: u16,
    shared: Arc<Shared>,
    runner: Runner,
}

impl SmtpSink {
    /// Starts the sink on a free loopback port, as a task of the current tokio runtime.
    pub async fn start() -> std::io::Result<SmtpSink> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let port = listener.local_addr()?.port();
        let shared = Shared::new();
        let task = tokio::spawn(serve(listener, shared.clone()));
        Ok(SmtpSink {
            port,
            shared,
            runner: Runner::Task(task.abort_handle()),
        })
    }

    /// Starts the sink on its own thread (with its own runtime), for tests without a runtime
    /// or whose runtime blocks (e.g. while running the `urna` binary).
    pub fn start_blocking() -> std::io::Result<SmtpSink> {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
        listener.set_nonblocking(true)?;
        let port = listener.local_addr()?.port();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let shared = Shared::new();
        let (stop, stopped) = oneshot::channel::<()>();
        let for_thread = shared.clone();
        let thread = std::thread::Builder::new()
            .name(format!("smtp-sink-{port}"))
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = TcpListener::from_std(listener) else {
                        return;
                    };
                    tokio::select! {
                        () = serve(listener, for_thread) => {}
                        _ = stopped => {}
                    }
                });
            })?;
        Ok(SmtpSink {
            port,
            shared,
            runner: Runner::Thread {
                stop: Some(stop),
                thread: Some(thread),
            },
        })
    }

    /// The port the sink listens on (host `127.0.0.1`).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Every message accepted so far, in order of acceptance.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        lock(&self.shared.messages).clone()
    }

    /// Waits until at least `count` messages were accepted or `timeout` passed, then returns
    /// every message accepted so far (fewer than `count` on timeout).
    pub async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<ReceivedMail> {
        let mut changes = self.shared.count.subscribe();
        let _ = tokio::time::timeout(timeout, async {
            let _ = changes.wait_for(|n| *n >= count).await;
        })
        .await;
        self.messages()
    }

    /// [`SmtpSink::wait_for`] for code outside a runtime.
    pub fn wait_for_blocking(&self, count: usize, timeout: Duration) -> Vec<ReceivedMail> {
        let deadline = Instant::now() + timeout;
        loop {
            let messages = self.messages();
            if messages.len() >= count || Instant::now() >= deadline {
                return messages;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Refuses the next `n` messages at the end of `DATA` with reply `code` (a 4xx is a
    /// temporary failure, a 5xx a permanent one; anything else counts as 554). Refused
    /// messages are not kept. Replaces an earlier setting; `n = 0` turns refusing off.
    pub fn fail_next(&self, n: usize, code: u16) {
        let code = if (400..=599).contains(&code) {
            code
        } else {
            554
        };
        *lock(&self.shared.refuse) = (n, code);
    }

    /// Forgets the messages accepted so far.
    pub fn clear(&self) {
        lock(&self.shared.messages).clear();
        self.shared.count.send_replace(0);
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        match &mut self.runner {
            Runner::Task(task) => task.abort(),
            Runner::Thread { stop, thread } => {
                if let Some(stop) = stop.take() {
                    let _ = stop.send(());
                }
                if let Some(thread) = thread.take() {
                    let _ = thread.join();
                }
            }
        }
    }
}

/// Accepts connections until dropped (dropping also ends the open sessions).
async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    let mut sessions = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    sessions.spawn(session(stream, shared.clone()));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            Some(_) = sessions.join_next(), if !sessions.is_empty() => {}
        }
    }
}

/// Reads one line (up to `MAX_LINE` bytes) into `line`; false at the end of the stream or
/// when the line is too long.
async fn read_line<R: tokio::io::AsyncBufRead + Unpin>(
    reader: &mut R,
    line: &mut Vec<u8>,
) -> std::io::Result<bool> {
    line.clear();
    let n = reader.take(MAX_LINE).read_until(b'\n', line).await?;
    Ok(n > 0 && (line.ends_with(b"\n") || (n as u64) < MAX_LINE))
}

/// The address of `FROM:<a@b> PARAMS` / `TO:<a@b>`, without brackets.
fn path_argument(argument: &str, keyword: &str) -> Option<String> {
    let head = argument.get(..keyword.len())?;
    if !head.eq_ignore_ascii_case(keyword) {
        return None;
    }
    let rest = argument.get(keyword.len()..)?.trim_start();
    if let Some(inner) = rest.strip_prefix('<') {
        let end = inner.find('>')?;
        Some(inner[..end].to_owned())
    } else {
        let address = rest.split_whitespace().next()?;
        Some(address.to_owned())
    }
}

async fn session(stream: TcpStream, shared: Arc<Shared>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    write
        .write_all(b"220 urna-test-sink ESMTP ready\r\n")
        .await?;
    let mut from: Option<String> = None;
    let mut to: Vec<String> = Vec::new();
    let mut line = Vec::new();
    loop {
        if !read_line(&mut reader, &mut line).await? {
            if !line.is_empty() {
                write.write_all(b"500 5.5.6 line too long\r\n").await?;
            }
            return Ok(());
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        let (verb, argument) = text.split_once(' ').unwrap_or((text, ""));
        let reply: String = match verb.to_ascii_uppercase().as_str() {
            "EHLO" => {
                from = None;
                to.clear();
                "250-urna-test-sink\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 HELP".into()
            }
            "HELO" => {
                from = None;
                to.clear();
                "250 urna-test-sink".into()
            }
            "MAIL" if from.is_some() => "503 5.5.1 MAIL already given".into(),
            "MAIL" => match path_argument(argument, "FROM:") {
                Some(address) => {
                    from = Some(address);
                    "250 2.1.0 OK".into()
                }
                None => "501 5.5.4 syntax: MAIL FROM:<address>".into(),
            },
            "RCPT" if from.is_none() => "503 5.5.1 MAIL first".into(),
            "RCPT" => match path_argument(argument, "TO:").filter(|a| !a.is_empty()) {
                Some(address) => {
                    to.push(address);
                    "250 2.1.5 OK".into()
                }
                None => "501 5.5.4 syntax: RCPT TO:<address>".into(),
            },
            "DATA" if to.is_empty() => "503 5.5.1 RCPT first".into(),
            "DATA" => {
                write
                    .write_all(b"354 end data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let mut raw = Vec::new();
                let mut too_big = false;
                loop {
                    if !read_line(&mut reader, &mut line).await? {
                        return Ok(());
                    }
                    if line == b".\r\n" || line == b".\n" {
                        break;
                    }
                    let content = line.strip_prefix(b".").unwrap_or(&line);
                    if raw.len() + content.len() > MAX_MESSAGE {
                        too_big = true;
                    } else {
                        raw.extend_from_slice(content);
                    }
                }
                let mail = ReceivedMail {
                    from: from.take().unwrap_or_default(),
                    to: std::mem::take(&mut to),
                    raw,
                };
                if too_big {
                    "552 5.3.4 message too big".into()
                } else {
                    match shared.deliver(mail) {
                        Ok(()) => "250 2.0.0 OK: queued".into(),
                        Err(code) => format!("{code} refused by the test sink (fail_next)"),
                    }
                }
            }
            "RSET" => {
                from = None;
                to.clear();
                "250 2.0.0 OK".into()
            }
            "NOOP" => "250 2.0.0 OK".into(),
            "VRFY" => "252 2.1.5 cannot verify".into(),
            "QUIT" => {
                write.write_all(b"221 2.0.0 bye\r\n").await?;
                return Ok(());
            }
            _ => "502 5.5.2 command not implemented".into(),
        };
        // One write per reply: split writes meet the client's delayed acknowledgement and
        // cost tens of milliseconds each.
        write.write_all(format!("{reply}\r\n").as_bytes()).await?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn command(
        reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
        write: &mut tokio::net::tcp::OwnedWriteHalf,
        line: &str,
    ) -> String {
        write.write_all(line.as_bytes()).await.unwrap();
        reply(reader).await
    }

    async fn reply(reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> String {
        let mut all = String::new();
        loop {
            let mut l = String::new();
            reader.read_line(&mut l).await.unwrap();
            all.push_str(&l);
            if l.len() < 4 || l.as_bytes()[3] != b'-' {
                return all;
            }
        }
    }

    #[tokio::test]
    async fn speaks_smtp_by_hand() {
        let sink = SmtpSink::start().await.unwrap();
        let stream = TcpStream::connect(("127.0.0.1", sink.port()))
            .await
            .unwrap();
        let (read, mut w) = stream.into_split();
        let mut r = BufReader::new(read);
        assert!(reply(&mut r).await.starts_with("220 "));
        let ehlo = command(&mut r, &mut w, "EHLO test\r\n").await;
        assert!(
            ehlo.contains("250-8BITMIME") && ehlo.ends_with("250 HELP\r\n"),
            "{ehlo}"
        );
        assert!(command(&mut r, &mut w, "RCPT TO:<a@b>\r\n")
            .await
            .starts_with("503"));
        assert!(command(&mut r, &mut w, "DATA\r\n").await.starts_with("503"));
        assert!(command(&mut r, &mut w, "MAIL FROM:<s@x> BODY=8BITMIME\r\n")
            .await
            .starts_with("250"));
        assert!(command(&mut r, &mut w, "MAIL FROM:<s@x>\r\n")
            .await
            .starts_with("503"));
        assert!(command(&mut r, &mut w, "RCPT TO:<>\r\n")
            .await
            .starts_with("501"));
        assert!(command(&mut r, &mut w, "rcpt to:<a@b>\r\n")
            .await
            .starts_with("250"));
        assert!(command(&mut r, &mut w, "RCPT TO: c@d\r\n")
            .await
            .starts_with("250"));
        assert!(command(&mut r, &mut w, "DATA\r\n").await.starts_with("354"));
        let body = "Subject: t\r\n\r\n..leading dot\r\n..\r\nlast\r\n.\r\n";
        assert!(command(&mut r, &mut w, body).await.starts_with("250"));
        // A second message on the same connection, abandoned with RSET, then a third.
        assert!(command(&mut r, &mut w, "MAIL FROM:<>\r\n")
            .await
            .starts_with("250"));
        assert!(command(&mut r, &mut w, "RSET\r\n").await.starts_with("250"));
        assert!(command(&mut r, &mut w, "NOOP\r\n").await.starts_with("250"));
        assert!(command(&mut r, &mut w, "AUTH PLAIN x\r\n")
            .await
            .starts_with("502"));
        assert!(command(&mut r, &mut w, "HELO again\r\n")
            .await
            .starts_with("250 "));
        sink.fail_next(1, 452);
        for expect in ["452", "250"] {
            assert!(command(&mut r, &mut w, "MAIL FROM:<>\r\n")
                .await
                .starts_with("250"));
            assert!(command(&mut r, &mut w, "RCPT TO:<e@f>\r\n")
                .await
                .starts_with("250"));
            assert!(command(&mut r, &mut w, "DATA\r\n").await.starts_with("354"));
            let got = command(&mut r, &mut w, "x\r\n.\r\n").await;
            assert!(got.starts_with(expect), "{got}");
        }
        assert!(command(&mut r, &mut w, "QUIT\r\n").await.starts_with("221"));

        let got = sink.wait_for(2, Duration::from_secs(5)).await;
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].from, "s@x");
        assert_eq!(got[0].to, vec!["a@b".to_owned(), "c@d".to_owned()]);
        assert_eq!(
            got[0].raw,
            b"Subject: t\r\n\r\n.leading dot\r\n.\r\nlast\r\n"
        );
        assert_eq!(got[0].header("subject").as_deref(), Some("t"));
        assert_eq!(got[1].from, "");
        assert_eq!(got[1].to, vec!["e@f".to_owned()]);
        assert_eq!(got[1].raw, b"x\r\n");

        // Timing out returns what there is.
        let started = Instant::now();
        assert_eq!(sink.wait_for(3, Duration::from_millis(100)).await.len(), 2);
        assert!(started.elapsed() >= Duration::from_millis(100));
        sink.clear();
        assert!(sink.messages().is_empty());
    }

    #[tokio::test]
    async fn dropping_the_sink_stops_it() {
        let sink = SmtpSink::start().await.unwrap();
        let port = sink.port();
        drop(sink);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(TcpStream::connect(("127.0.0.1", port)).await.is_err());

        let sink = SmtpSink::start_blocking().unwrap();
        let port = sink.port();
        drop(sink);
        assert!(TcpStream::connect(("127.0.0.1", port)).await.is_err());
    }
}
