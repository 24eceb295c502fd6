//! Several instances on one PostgreSQL database (PRODUCT §7): two `screener serve` processes
//! serve one clinician interchangeably, and signing out, deactivating an account, changing a
//! password and failed sign-ins on one hold on the other at once.

use std::sync::Arc;

use crate::helpers::engine::skip_without_postgres;
use crate::helpers::server::{Server, add_account_on, screener_on};
use crate::helpers::{Browser, CASUAL_FORM, EXAMPLE_FORM, Engine, PASSWORD, TestDatabase, code_of};
use reqwest::redirect::Policy;

/// Two servers on one fresh PostgreSQL database, with accounts alice and (admin) root.
async fn two_instances() -> (TestDatabase, Server, Server) {
    two_instances_with(&[]).await
}

/// [`two_instances`], each started with `args`.
async fn two_instances_with(args: &[&str]) -> (TestDatabase, Server, Server) {
    let database = TestDatabase::new(Engine::Postgres).await;
    add_account_on(&database.url, "alice");
    let (code, _, stderr) = screener_on(
        &database.url,
        &["user", "add", "root", "--admin", "--password-stdin"],
        &format!("{PASSWORD}\n"),
    );
    assert_eq!(code, 0, "{stderr}");
    let first = Server::start_on(&database.url, &database.dir.path().join("a.log"), args);
    let second = Server::start_on(&database.url, &database.dir.path().join("b.log"), args);
    (database, first, second)
}

/// The same browser (its cookies) talking to another instance, as behind a load balancer.
fn on(browser: &Browser, address: &str) -> Browser {
    Browser {
        address: address.to_owned(),
        client: reqwest::Client::builder()
            .redirect(Policy::none())
            .cookie_provider(browser.jar.clone())
            .build()
            .unwrap(),
        jar: Arc::clone(&browser.jar),
        csrf_token: browser.csrf_token.clone(),
    }
}

async fn signed_in(address: &str, name: &str) -> Browser {
    let mut browser = Browser::new(address);
    assert_eq!(browser.sign_in(name, PASSWORD).await.status(), 303);
    browser.refresh_csrf_token().await;
    browser
}

fn signed_out(status: reqwest::StatusCode) -> bool {
    status.is_redirection()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_serve_one_clinician_interchangeably() {
    if skip_without_postgres().await {
        return;
    }
    let (database, first, second) = two_instances().await;
    let alice_a = signed_in(&first.address, "alice").await;
    let alice_b = on(&alice_a, &second.address);

    // Submitted on one, read and listed on the other; the lists agree.
    let path = alice_a.submit(EXAMPLE_FORM).await;
    let html = alice_b.get_html(&path).await;
    assert!(html.contains(&code_of(&path)));
    let path_b = alice_b.submit(CASUAL_FORM).await;
    let list_a = alice_a.get_html("/screenings").await;
    assert!(list_a.contains(&code_of(&path_b)) && list_a.contains(&code_of(&path)));
    assert!(
        list_a.find(&code_of(&path_b)) < list_a.find(&code_of(&path)),
        "newest first, whichever instance stored it"
    );

    // Concurrent submissions through both instances: every one stored, numbered without a
    // clash (the per-clinician order is counted across instances).
    let mut tasks = Vec::new();
    for i in 0..40 {
        let browser = if i % 2 == 0 {
            on(&alice_a, &first.address)
        } else {
            on(&alice_a, &second.address)
        };
        tasks.push(tokio::spawn(async move {
            browser.try_submit(EXAMPLE_FORM).await.expect("an answer").0
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), 303);
    }
    assert_eq!(database.count("SELECT count(*) FROM screenings").await, 42);
    assert_eq!(
        database
            .count("SELECT count(DISTINCT seq_in_year) FROM screenings")
            .await,
        42
    );

    // Signed out on the second: the cookie opens nothing on the first.
    assert_eq!(alice_b.post_form("/logout", &[]).await.status(), 303);
    assert!(signed_out(alice_a.get("/screenings").await.status()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deactivation_and_password_changes_hold_on_every_instance_at_once() {
    if skip_without_postgres().await {
        return;
    }
    let (_database, first, second) = two_instances().await;
    let root = signed_in(&first.address, "root").await;

    // Deactivated through the first: alice's session on the second ends at once.
    let alice_b = signed_in(&second.address, "alice").await;
    assert_eq!(alice_b.get("/screenings").await.status(), 200);
    let response = root
        .post_form("/admin/clinicians/alice/active", &[("active", "false")])
        .await;
    assert_eq!(response.status(), 303);
    assert!(signed_out(alice_b.get("/screenings").await.status()));
    assert_eq!(
        Browser::new(&second.address)
            .sign_in("alice", PASSWORD)
            .await
            .status(),
        401
    );
    let response = root
        .post_form("/admin/clinicians/alice/active", &[("active", "true")])
        .await;
    assert_eq!(response.status(), 303);

    // A password changed on the second ends alice's session on the first at once.
    let alice_a = signed_in(&first.address, "alice").await;
    let alice_b = signed_in(&second.address, "alice").await;
    let changed = alice_b
        .post_form(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("password", "another long password"),
                ("password_confirm", "another long password"),
            ],
        )
        .await;
    assert_eq!(changed.status(), 200);
    assert!(signed_out(alice_a.get("/screenings").await.status()));
    let mut again = Browser::new(&first.address);
    assert_eq!(again.sign_in("alice", PASSWORD).await.status(), 401);
    assert_eq!(
        again
            .sign_in("alice", "another long password")
            .await
            .status(),
        303
    );
}

/// Signs in as alice from `address` (the proxy's `X-Forwarded-For`) on `server`, in a fresh
/// browser; the status.
async fn alice_from(server: &str, address: &str, password: &str) -> u16 {
    Browser::new(server)
        .sign_in_from(address, "alice", password)
        .await
}

/// An account's failures are counted in the database, so every instance delays its untrusted
/// attempts from any address; counts by address stay in each instance (never stored), and a
/// browser that signed in before (device cookie, signed under a key every instance shares)
/// gets in on either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_sign_ins_are_counted_across_instances() {
    if skip_without_postgres().await {
        return;
    }
    let (database, first, second) = two_instances_with(&["--behind-proxy"]).await;
    // A count whose time is over: swept by the next failure on any instance.
    database
        .execute(
            "INSERT INTO sign_in_failures (subject, failures, locked_until, expires) \
             VALUES (repeat('a', 64), 3, 1, 1)",
        )
        .await;
    // Alice signs in once on the first instance: this browser is hers.
    let mut trusted = Browser::new(&first.address);
    assert_eq!(
        trusted.sign_in_from("203.0.113.5", "alice", PASSWORD).await,
        303
    );
    // Five addresses fail once each on the first instance: none reaches its own limit.
    for n in 1..=5 {
        let address = format!("198.51.100.{n}");
        assert_eq!(alice_from(&first.address, &address, "wrong!").await, 401);
    }
    let counted = || database.count("SELECT COALESCE(max(failures), 0) FROM sign_in_failures");
    for _ in 0..50 {
        if counted().await == 5 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        counted().await,
        5,
        "written off the answer's path, but written"
    );
    // The second instance knows: an untrusted attempt there waits (1 s after the fifth
    // failure, in whole seconds rounded up), from any address, the right password included;
    // and the first one too.
    assert_eq!(
        alice_from(&second.address, "198.51.100.9", PASSWORD).await,
        429
    );
    assert_eq!(
        alice_from(&first.address, "203.0.113.6", PASSWORD).await,
        429
    );
    // Alice, in the browser she signed in on, gets in on either (cookies go by host, not port).
    for server in [&first.address, &second.address] {
        trusted.address = server.clone();
        assert_eq!(
            trusted.sign_in_from("203.0.113.5", "alice", PASSWORD).await,
            303
        );
    }
    assert_eq!(
        database
            .count("SELECT count(*) FROM sign_in_failures WHERE subject = repeat('a', 64)")
            .await,
        0,
        "expired counts are swept"
    );
    // One row, alice's, under a keyed hash: nothing of an address, nor the name in clear.
    let subjects = database.texts("SELECT subject FROM sign_in_failures").await;
    assert_eq!(subjects.len(), 1, "{subjects:?}");
    assert_eq!(subjects[0].len(), 64);
    assert!(!subjects[0].contains("alice"));
}
