//! The database going away (issue 17, break 3): the real binary on a throwaway PostgreSQL
//! server of its own (tests/common/pg_server.rs; the shared server is never touched), with
//! clinicians submitting concurrently while the server is restarted (`pg_ctl restart -m
//! fast`) and then stopped for several seconds and started again. Every screening answered
//! 303 is in the database afterwards; every other answer is a 503 page with `Retry-After`,
//! none slower than the request timeout; and submissions succeed again without restarting
//! the app.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use intake_screener::web::REQUEST_TIMEOUT;

use crate::helpers::engine::skip_without_postgres_binaries;
use crate::helpers::pg_server::PgServer;
use crate::helpers::server::{Server, add_account_on};
use crate::helpers::{Browser, EXAMPLE_FORM, PASSWORD, form_body};

/// What one request got.
#[derive(Debug)]
struct Answer {
    path: &'static str,
    status: Option<u16>,
    retry_after: Option<String>,
    /// The result path of a 303.
    location: Option<String>,
    page: String,
    took: Duration,
}

async fn post_screening(browser: &Browser) -> Answer {
    let mut pairs = EXAMPLE_FORM.to_vec();
    let token = browser.csrf_token.clone().expect("csrf token");
    pairs.push(("csrf_token", &token));
    let started = Instant::now();
    let response = browser
        .client
        .post(browser.url("/screenings"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_body(&pairs))
        .timeout(REQUEST_TIMEOUT * 2)
        .send()
        .await;
    answer("POST /screenings", response, started).await
}

async fn get_results(browser: &Browser) -> Answer {
    let started = Instant::now();
    let response = browser
        .client
        .get(browser.url("/screenings"))
        .timeout(REQUEST_TIMEOUT * 2)
        .send()
        .await;
    answer("GET /screenings", response, started).await
}

async fn answer(
    path: &'static str,
    response: reqwest::Result<reqwest::Response>,
    started: Instant,
) -> Answer {
    match response {
        Err(_) => Answer {
            path,
            status: None,
            retry_after: None,
            location: None,
            page: String::new(),
            took: started.elapsed(),
        },
        Ok(response) => {
            let header = |name: &str| {
                response
                    .headers()
                    .get(name)
                    .and_then(|value| value.to_str().ok())
                    .map(str::to_owned)
            };
            let status = Some(response.status().as_u16());
            let retry_after = header("retry-after");
            let location = header("location");
            let page = response.text().await.unwrap_or_default();
            Answer {
                path,
                status,
                retry_after,
                location,
                page,
                took: started.elapsed(),
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_or_stopped_database_loses_no_acknowledged_screening() {
    if skip_without_postgres_binaries() {
        return;
    }
    let postgres = PgServer::start(None);
    let url = postgres.url();
    add_account_on(&url, "alice");
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_on(&url, &dir.path().join("server.log"), &[]);
    let mut browser = Browser::new(&server.address);
    assert_eq!(browser.sign_in("alice", PASSWORD).await.status(), 303);
    browser.refresh_csrf_token().await;
    let browser = Arc::new(browser);

    let running = Arc::new(AtomicBool::new(true));
    let mut clients = Vec::new();
    for client in 0..7 {
        let (browser, running) = (browser.clone(), running.clone());
        clients.push(tokio::spawn(async move {
            let mut answers = Vec::new();
            while running.load(Ordering::Relaxed) {
                answers.push(if client == 0 {
                    get_results(&browser).await
                } else {
                    post_screening(&browser).await
                });
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            answers
        }));
    }

    let postgres = Arc::new(postgres);
    let operator = |what: fn(&PgServer)| {
        let postgres = postgres.clone();
        tokio::task::spawn_blocking(move || what(&postgres))
    };
    tokio::time::sleep(Duration::from_secs(2)).await;
    operator(PgServer::restart).await.unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    operator(PgServer::stop).await.unwrap();
    // Down for longer than the pool waits for a connection.
    tokio::time::sleep(Duration::from_secs(8)).await;
    operator(PgServer::start_again).await.unwrap();
    let restarted = Instant::now();
    tokio::time::sleep(Duration::from_secs(6)).await;
    running.store(false, Ordering::Relaxed);
    let mut answers = Vec::new();
    for client in clients {
        answers.extend(client.await.unwrap());
    }

    // The app recovered on its own.
    for _ in 0..3 {
        let answer = post_screening(&browser).await;
        assert_eq!(
            answer.status,
            Some(303),
            "after recovery ({:?} after the start): {answer:?}\nlogs:\n{}",
            restarted.elapsed(),
            server.logs()
        );
        answers.push(answer);
    }

    let count = |status: u16| {
        answers
            .iter()
            .filter(|answer| answer.status == Some(status))
            .count()
    };
    let slowest = answers.iter().map(|answer| answer.took).max().unwrap();
    eprintln!(
        "{} requests: {} × 303, {} × 200, {} × 503; slowest {slowest:?}",
        answers.len(),
        count(303),
        count(200),
        count(503)
    );
    for answer in &answers {
        match (answer.path, answer.status) {
            ("POST /screenings", Some(303)) | ("GET /screenings", Some(200)) => {}
            (_, Some(503)) => {
                assert_eq!(answer.retry_after.as_deref(), Some("5"), "{answer:?}");
                assert!(answer.page.contains("Try again shortly"), "{answer:?}");
            }
            _ => panic!("neither done nor 503: {answer:?}\nlogs:\n{}", server.logs()),
        }
        assert!(answer.took < REQUEST_TIMEOUT, "too slow: {answer:?}");
    }
    assert!(count(503) > 0, "the outage was seen");
    assert!(!server.logs().contains("panicked"), "{}", server.logs());

    // Every acknowledged screening is stored.
    let codes: Vec<String> = answers
        .iter()
        .filter_map(|answer| answer.location.as_deref())
        .map(|path| path.trim_start_matches("/screenings/").to_owned())
        .collect();
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let stored: i64 =
        sqlx::query_scalar("SELECT count(*) FROM screenings WHERE review_code = ANY($1)")
            .bind(&codes)
            .fetch_one(&pool)
            .await
            .unwrap();
    pool.close().await;
    assert_eq!(
        stored as usize,
        codes.len(),
        "acknowledged screenings missing from the database"
    );
}
