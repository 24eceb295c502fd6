//! Idle connections (issue 17, break 5): the real binary under `ulimit -n 256` keeps answering
//! `/healthz` while 300 sockets sit open sending nothing or half their headers, and closes
//! them itself after the header-read timeout; a kept-alive connection that goes quiet after
//! its response is closed after it too.

use std::time::{Duration, Instant};

use intake_screener::web::HEADER_READ_TIMEOUT;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::database_url;
use crate::helpers::server::{Server, add_account};

/// The server's descriptor limit in the test.
const DESCRIPTORS: u32 = 256;
/// Idle sockets opened against it: more than it has descriptors.
const IDLE_SOCKETS: usize = 300;
/// How long `/healthz` may take to answer during the attack.
const HEALTHZ_BOUND: Duration = Duration::from_secs(2);
/// Slack for a loaded machine around the header-read timeout.
const SLACK: Duration = Duration::from_secs(3);

/// One `GET /healthz` on a fresh connection: the status line, and how long the whole answer
/// took (`None` when no answer came within [`HEALTHZ_BOUND`]).
async fn healthz(host: &str) -> (Option<String>, Duration) {
    let started = Instant::now();
    let answer = tokio::time::timeout(HEALTHZ_BOUND, async {
        let mut stream = TcpStream::connect(host).await.ok()?;
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .await
            .ok()?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await.ok()?;
        let response = String::from_utf8_lossy(&response).into_owned();
        response.lines().next().map(str::to_owned)
    })
    .await
    .ok()
    .flatten();
    (answer, started.elapsed())
}

/// Reads until the server closes the connection; when it did, measured from `since`.
async fn closed_after(mut stream: TcpStream, since: Instant, limit: Duration) -> Option<Duration> {
    let mut buffer = [0; 1024];
    tokio::time::timeout(limit, async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return since.elapsed(),
                Ok(_) => {}
            }
        }
    })
    .await
    .ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_sockets_neither_exhaust_descriptors_nor_stay_open() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("screener.db");
    // With an account, the server prints one line only (the harness reads that one).
    add_account(&db, "alice");
    let server = Server::start_limited(
        &database_url(&db),
        &dir.path().join("server.log"),
        &[],
        Some(DESCRIPTORS),
    );
    let host = server.address.trim_start_matches("http://").to_owned();

    // /healthz, every quarter second on a new connection, for the whole attack.
    let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
    let prober = tokio::spawn({
        let host = host.clone();
        async move {
            let mut answers = Vec::new();
            loop {
                answers.push(healthz(&host).await);
                tokio::select! {
                    _ = &mut stopped => return answers,
                    () = tokio::time::sleep(Duration::from_millis(250)) => {}
                }
            }
        }
    });

    // Half send nothing, half stop in the middle of their headers.
    let mut watchers = Vec::new();
    for i in 0..IDLE_SOCKETS {
        let mut stream = tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(&host))
            .await
            .expect("connect in time")
            .unwrap_or_else(|error| panic!("connect {i}: {error}\nlogs:\n{}", server.logs()));
        let opened = Instant::now();
        if i % 2 == 1 {
            stream
                .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
                .await
                .expect("half a request");
        }
        watchers.push(tokio::spawn(closed_after(
            stream,
            opened,
            HEADER_READ_TIMEOUT + SLACK,
        )));
    }
    let mut closed = Vec::new();
    for watcher in watchers {
        closed.push(watcher.await.unwrap());
    }
    let _ = stop.send(());
    let answers = prober.await.unwrap();

    let still_open = closed.iter().filter(|after| after.is_none()).count();
    let timed_out = closed
        .iter()
        .flatten()
        .filter(|after| **after >= HEADER_READ_TIMEOUT - Duration::from_millis(500))
        .count();
    let slowest = answers.iter().map(|(_, took)| *took).max().unwrap();
    let failed: Vec<_> = answers
        .iter()
        .filter(|(status, _)| status.as_deref() != Some("HTTP/1.1 200 OK"))
        .collect();
    eprintln!(
        "{} /healthz probes during the attack, slowest {slowest:?}; {} of {IDLE_SOCKETS} sockets \
         closed at the header-read timeout, the rest by the cap",
        answers.len(),
        timed_out
    );
    assert!(answers.len() >= 20, "{answers:?}");
    assert!(
        failed.is_empty(),
        "/healthz did not answer 200 within {HEALTHZ_BOUND:?}: {failed:?}\nlogs:\n{}",
        server.logs()
    );
    assert_eq!(
        still_open,
        0,
        "sockets still open {:?} after they were opened",
        HEADER_READ_TIMEOUT + SLACK
    );
    assert!(
        timed_out > 0,
        "some sockets are closed by the header-read timeout, not all by the cap: {closed:?}"
    );

    assert!(
        !server.logs().contains("Too many open files"),
        "{}",
        server.logs()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_alive_connection_that_goes_quiet_is_closed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("screener.db");
    // With an account, the server prints one line only (the harness reads that one).
    add_account(&db, "alice");
    let server = Server::start(&db, &dir.path().join("server.log"));
    let host = server.address.trim_start_matches("http://").to_owned();
    let mut stream = TcpStream::connect(&host).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut response = Vec::new();
    let mut buffer = [0; 1024];
    while !String::from_utf8_lossy(&response).ends_with("ok") {
        let read = stream.read(&mut buffer).await.unwrap();
        assert!(read > 0, "closed before the answer");
        response.extend_from_slice(&buffer[..read]);
    }
    let answered = Instant::now();
    let after = closed_after(stream, answered, HEADER_READ_TIMEOUT + SLACK)
        .await
        .expect("the server closes an idle kept-alive connection");
    assert!(
        after >= HEADER_READ_TIMEOUT - Duration::from_millis(500),
        "kept alive for {after:?}: not closed at once"
    );
}
