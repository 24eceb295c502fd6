//! An acknowledged submission survives a crash (PRODUCT §5): the real binary is killed with
//! SIGKILL in the middle of concurrent submissions, restarted on the same file, and every
//! review code it had answered 303 for is there, in a database that passes its integrity check.
//! Concurrent submissions never fail. Both on SQLite and on PostgreSQL.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use crate::helpers::server::{Server, add_account_on, screener_on};
use crate::helpers::{Browser, EXAMPLE_FORM, Engine, PASSWORD, TestApp, TestDatabase, code_of};

/// Concurrent submitters.
const TASKS: usize = 8;
/// Acknowledged submissions to wait for before the kill.
const ACKNOWLEDGED_BEFORE_KILL: usize = 300;

/// Everything the submitters saw.
#[derive(Default)]
struct Seen {
    /// Codes answered with a 303.
    acknowledged: Vec<String>,
    /// Any other status that came back.
    refused: Vec<u16>,
}

async fn signed_in(address: &str) -> Browser {
    let mut browser = Browser::new(address);
    let response = browser.sign_in("alice", PASSWORD).await;
    assert_eq!(response.status(), 303, "sign-in refused");
    browser.refresh_csrf_token().await;
    browser
}

async fn acknowledged_submissions_survive_kill_9(engine: Engine) {
    let db = TestDatabase::new(engine).await;
    let dir = &db.dir;
    add_account_on(&db.url, "alice");
    let mut server = Server::start_on(&db.url, &dir.path().join("first.log"), &[]);
    let browser = Arc::new(signed_in(&server.address).await);

    let seen = Arc::new(Mutex::new(Seen::default()));
    let server_gone = Arc::new(AtomicBool::new(false));
    let submitters: Vec<_> = (0..TASKS)
        .map(|_| {
            let (browser, seen, server_gone) = (browser.clone(), seen.clone(), server_gone.clone());
            tokio::spawn(async move {
                while !server_gone.load(Ordering::SeqCst) {
                    match browser.try_submit(EXAMPLE_FORM).await {
                        Ok((303, Some(path))) => {
                            seen.lock().await.acknowledged.push(code_of(&path))
                        }
                        Ok((status, _)) => seen.lock().await.refused.push(status),
                        // No answer: the request died with the server, so it was never
                        // acknowledged.
                        Err(_) => {}
                    }
                }
            })
        })
        .collect();

    let deadline = Instant::now() + Duration::from_secs(10);
    while seen.lock().await.acknowledged.len() < ACKNOWLEDGED_BEFORE_KILL {
        assert!(Instant::now() < deadline, "submissions too slow to test");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // The submitters are still sending: the kill lands in the middle of requests.
    server.kill();
    server_gone.store(true, Ordering::SeqCst);
    for submitter in submitters {
        submitter.await.unwrap();
    }
    let seen = std::mem::take(&mut *seen.lock().await);
    assert!(
        seen.refused.is_empty(),
        "submissions under load got {:?}; logs:\n{}",
        seen.refused,
        server.logs()
    );
    assert!(seen.acknowledged.len() >= ACKNOWLEDGED_BEFORE_KILL);

    let mut restarted = Server::start_on(&db.url, &dir.path().join("second.log"), &[]);
    let (code, stdout, stderr) = screener_on(&db.url, &["check"], "");
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("integrity: ok"), "{stdout}");
    let stored: HashSet<String> = db
        .texts("SELECT review_code FROM screenings")
        .await
        .into_iter()
        .collect();
    let lost: Vec<&String> = seen
        .acknowledged
        .iter()
        .filter(|code| !stored.contains(*code))
        .collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged screenings lost: {lost:?}",
        lost.len(),
        seen.acknowledged.len()
    );

    // The restarted server serves them.
    let last = seen.acknowledged.last().unwrap();
    let again = signed_in(&restarted.address).await;
    let html = again.get_html(&format!("/screenings/{last}")).await;
    assert!(html.contains(last.as_str()));
    assert_eq!(restarted.terminate(Duration::from_secs(5)), Some(0));
}

async fn concurrent_submissions_and_reads_never_fail(engine: Engine) {
    const SUBMITTERS: usize = 16;
    const EACH: usize = 25;
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = Arc::new(app.clinician("alice").await);
    let submitters = (0..SUBMITTERS).map(|_| {
        let alice = alice.clone();
        tokio::spawn(async move {
            let mut statuses = Vec::new();
            for _ in 0..EACH {
                let (status, _) = alice.try_submit(EXAMPLE_FORM).await.expect("an answer");
                statuses.push(status);
            }
            statuses
        })
    });
    let readers = (0..4).map(|_| {
        let alice = alice.clone();
        tokio::spawn(async move {
            let mut statuses = Vec::new();
            for _ in 0..EACH {
                statuses.push(alice.get("/screenings").await.status().as_u16());
            }
            statuses
        })
    });
    let submitted: Vec<Vec<u16>> = futures_join(submitters).await;
    let read: Vec<Vec<u16>> = futures_join(readers).await;
    assert!(
        submitted.iter().flatten().all(|status| *status == 303),
        "{submitted:?}"
    );
    assert!(
        read.iter().flatten().all(|status| *status == 200),
        "{read:?}"
    );
    assert_eq!(app.count_screenings().await, (SUBMITTERS * EACH) as i64);
}

async fn futures_join<T>(handles: impl Iterator<Item = tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut results = Vec::new();
    for handle in handles.collect::<Vec<_>>() {
        results.push(handle.await.expect("task"));
    }
    results
}

crate::both_engines!(
    acknowledged_submissions_survive_kill_9,
    concurrent_submissions_and_reads_never_fail,
);
