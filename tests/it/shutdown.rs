//! Graceful shutdown of the real binary: on SIGTERM or Ctrl-C it stops accepting, lets the
//! requests in flight finish, closes the database and exits 0.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers;
use crate::helpers::server::{Server, add_account, send_signal};
use crate::helpers::{Browser, EXAMPLE_FORM, PASSWORD, form_body};

async fn signed_in(server: &Server) -> Browser {
    let mut browser = Browser::new(&server.address);
    assert_eq!(browser.sign_in("alice", PASSWORD).await.status(), 303);
    browser.refresh_csrf_token().await;
    browser
}

#[tokio::test]
async fn sigterm_lets_a_submission_in_flight_finish_then_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("screener.db");
    add_account(&db, "alice");
    let mut server = Server::start(&db, &dir.path().join("server.log"));
    let browser = signed_in(&server).await;

    // A submission whose body is half sent when the signal arrives.
    let mut pairs = EXAMPLE_FORM.to_vec();
    let token = browser.csrf_token.clone().unwrap();
    pairs.push(("csrf_token", &token));
    let body = form_body(&pairs);
    let (first, rest) = body.split_at(body.len() / 2);
    let host = server.address.trim_start_matches("http://").to_owned();
    let mut stream = TcpStream::connect(&host).await.unwrap();
    let head = format!(
        "POST /screenings HTTP/1.1\r\nHost: {host}\r\nCookie: {}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
        browser.cookies(),
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(first.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    send_signal(server.child.id(), "TERM");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        TcpStream::connect(&host).await.is_err(),
        "no new connection is accepted once shutting down"
    );
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "the server waits for the request in flight"
    );

    stream.write_all(rest.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    let mut buffer = [0; 4096];
    while !response.windows(4).any(|window| window == b"\r\n\r\n") {
        let read = stream.read(&mut buffer).await.unwrap();
        assert!(read > 0, "connection closed before the answer");
        response.extend_from_slice(&buffer[..read]);
    }
    let response = String::from_utf8_lossy(&response).into_owned();
    assert!(response.starts_with("HTTP/1.1 303"), "{response}");
    let code = response
        .lines()
        .find_map(|line| {
            line.to_ascii_lowercase()
                .strip_prefix("location: /screenings/")
                .map(str::to_owned)
        })
        .expect("a result location")
        .to_ascii_uppercase();
    drop(stream);

    let exit = tokio::task::spawn_blocking(move || {
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        loop {
            if let Some(status) = server.child.try_wait().unwrap() {
                return (status.code(), server);
            }
            if std::time::Instant::now() > deadline {
                server.kill();
                return (None, server);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    let (status, server) = exit.await.unwrap();
    assert_eq!(status, Some(0), "logs:\n{}", server.logs());
    assert!(server.logs().contains("shutting down"));

    let pool = sqlx::SqlitePool::connect(&format!("{}?mode=ro", helpers::database_url(&db)))
        .await
        .unwrap();
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM screenings WHERE review_code = ?")
        .bind(&code)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        stored, 1,
        "the submission finished during shutdown is stored"
    );
    pool.close().await;
}

#[tokio::test]
async fn ctrl_c_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("screener.db");
    add_account(&db, "alice");
    let mut server = Server::start(&db, &dir.path().join("server.log"));
    let browser = signed_in(&server).await;
    browser.submit(EXAMPLE_FORM).await;
    send_signal(server.child.id(), "INT");
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status.code();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still running after 5 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(status, Some(0));
}

#[tokio::test]
async fn a_client_that_never_finishes_its_request_cannot_hold_the_stop() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("screener.db");
    add_account(&db, "alice");
    let mut server = Server::start_with(
        &db,
        &dir.path().join("server.log"),
        &["--shutdown-grace-seconds", "1"],
    );
    let host = server.address.trim_start_matches("http://").to_owned();
    let mut stuck = TcpStream::connect(&host).await.unwrap();
    stuck
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: somewhere\r\n")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = std::time::Instant::now();
    let (status, server) = tokio::task::spawn_blocking(move || {
        let status = server.terminate(Duration::from_secs(5));
        (status, server)
    })
    .await
    .unwrap();
    assert_eq!(status, Some(0), "logs:\n{}", server.logs());
    assert!(started.elapsed() >= Duration::from_millis(900));
    assert!(server.logs().contains("grace period"), "{}", server.logs());
    drop(stuck);
}
