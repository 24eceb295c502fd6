//! Throttles a stranger cannot turn against clinicians or clients (issue 17, breaks 6 and 7),
//! over real HTTP on both engines: guessing client tokens from one address never refuses a
//! valid link or the right unlock password; a stranger's wrong passwords for an account do
//! not keep its clinician out from another address; correct sign-ins are never counted as
//! failures, however many run at once; one address guessing one account is still stopped;
//! a browser that signed in before (device cookie) gets in through a stranger's address lock
//! and an attack from many addresses, which delays every untrusted attempt; IPv6 addresses
//! count by their /64; failed password checks on the account page are audited; and on
//! PostgreSQL nothing derived from a client address is stored.

use crate::helpers::engine::skip_without_postgres;
use crate::helpers::{Browser, Engine, PASSWORD, TestApp, location};
use intake_screener::accounts::Username;
use intake_screener::config::SecurityConfig;
use intake_screener::screening::Administration;
use intake_screener::store::{AccountSubject, THROTTLE_KEY};

/// Wrong passwords from one address for one account before it is locked out of it.
const PAIR_FAILURES: u32 = 5;
/// Unknown client tokens from one address before they are answered 429.
const TOKEN_GUESSES: u32 = 20;
/// Failed sign-ins from one address before it is locked.
const ADDRESS_FAILURES: u32 = 20;
/// Words of the audit entry written when an account reaches five untrusted failures.
const ACCOUNT_DELAYED: &str = "%from browsers it has not signed in on%";

/// Makes a link invitation for `name` in the store; returns the client's token.
async fn link_token(app: &TestApp, name: &str) -> String {
    let clinician = app
        .store
        .find_clinician_by_username(&Username::parse(name).unwrap())
        .await
        .unwrap()
        .expect("an account");
    let expiry = time::OffsetDateTime::now_utc().unix_timestamp() + 3600;
    app.store
        .create_invitation(clinician.id, Administration::ClientLink, expiry, None)
        .await
        .expect("invitation")
        .token
        .into()
}

/// A random well-formed token that opens nothing.
fn random_token(n: usize) -> String {
    format!("{n:0>8}{:0>24}", rand_digits())
}

fn rand_digits() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{nanos}")
}

/// An app behind a proxy, where alice has signed in from 203.0.113.5 in her browser, which
/// now carries her device cookie.
async fn alice_signed_in_behind_proxy(engine: Engine) -> (TestApp, Browser) {
    let app = behind_proxy(engine).await;
    app.create_account("alice", false).await;
    let mut alice = app.browser();
    assert_eq!(
        alice.sign_in_from("203.0.113.5", "alice", PASSWORD).await,
        303
    );
    (app, alice)
}

async fn behind_proxy(engine: Engine) -> TestApp {
    TestApp::builder()
        .engine(engine)
        .security(SecurityConfig {
            behind_proxy: true,
            ..SecurityConfig::default()
        })
        .spawn()
        .await
}

async fn guessing_tokens_never_refuses_a_valid_link_or_the_right_unlock_password(engine: Engine) {
    // No --behind-proxy and everyone on 127.0.0.1: the guesser shares its address with the
    // client and the clinician, as everyone behind such a proxy would.
    let app = TestApp::builder().engine(engine).spawn().await;
    let mut alice = app.clinician("alice").await;
    let token = link_token(&app, "alice").await;
    let guesser = app.browser();
    let mut statuses = Vec::new();
    for n in 0..TOKEN_GUESSES as usize + 5 {
        let guess = random_token(n);
        statuses.push(guesser.get(&format!("/c/{guess}")).await.status().as_u16());
    }
    let limit = TOKEN_GUESSES as usize;
    assert!(statuses[..limit].iter().all(|&s| s == 404), "{statuses:?}");
    assert!(statuses[limit..].iter().all(|&s| s == 429), "{statuses:?}");

    // The client's valid link opens, from the same address, on a fresh browser.
    let client = app.browser();
    let page = client.get(&format!("/c/{token}")).await;
    assert_eq!(page.status(), 200, "a valid link is never refused");

    // The clinician hands the device over and unlocks it with the right password.
    let handed = alice.post_form("/invitations", &[("mode", "device")]).await;
    assert_eq!(handed.status(), 303);
    alice.take_token_from("/unlock").await;
    let wrong = alice.post_form("/unlock", &[("password", "not it")]).await;
    assert_eq!(wrong.status(), 401);
    let right = alice.post_form("/unlock", &[("password", PASSWORD)]).await;
    assert_eq!(right.status(), 303, "the right password is never refused");
    assert!(location(&right).starts_with("/invitations/"));

    // Guessing is still answered 429.
    let guess = random_token(99);
    assert_eq!(guesser.get(&format!("/c/{guess}")).await.status(), 429);
    assert_eq!(client.get(&format!("/c/{token}")).await.status(), 200);
}

async fn parallel_wrong_unlock_passwords_are_each_counted(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let mut alice = app.clinician("alice").await;
    let handed = alice.post_form("/invitations", &[("mode", "device")]).await;
    assert_eq!(handed.status(), 303);
    alice.take_token_from("/unlock").await;
    let guesses = (0..12).map(|n| {
        let alice = &alice;
        async move {
            let password = format!("guess number {n}");
            let response = alice.post_form("/unlock", &[("password", &password)]).await;
            response.status().as_u16()
        }
    });
    let statuses = futures_util::future::join_all(guesses).await;
    let refused = statuses.iter().filter(|&&status| status == 401).count();
    assert_eq!(
        refused, 4,
        "four wrong passwords, then the session ends: {statuses:?}"
    );
    assert!(statuses.iter().all(|&status| [401, 303].contains(&status)));
    // The session has ended: even the right password unlocks nothing now.
    let after = alice.post_form("/unlock", &[("password", PASSWORD)]).await;
    assert_eq!(after.status(), 403, "no session, so no form token either");
    assert!(location(&alice.get("/screenings").await).starts_with("/login"));
}

async fn a_strangers_wrong_passwords_do_not_keep_alice_out(engine: Engine) {
    let (app, mut alice) = alice_signed_in_behind_proxy(engine).await;
    let mut stranger = app.browser();
    let mut statuses = Vec::new();
    for _ in 0..10 {
        statuses.push(
            stranger
                .sign_in_from("198.51.100.7", "alice", "wrong password!")
                .await,
        );
    }
    let limit = PAIR_FAILURES as usize;
    assert!(statuses[..limit].iter().all(|&s| s == 401), "{statuses:?}");
    assert!(statuses[limit..].iter().all(|&s| s == 429), "{statuses:?}");
    // Alice, in the browser she signed in on, gets in, from any address.
    assert_eq!(
        alice.sign_in_from("203.0.113.9", "alice", PASSWORD).await,
        303
    );
    assert_eq!(app.count_audit("signed_in").await, 2);
    assert_eq!(app.count_audit("sign_in_failed").await, 5);
    // The fifth failure locked the stranger's address out of the account and started the
    // account's delay: one entry says both.
    let delayed = format!(
        "SELECT count(*) FROM audit_events WHERE action = 'sign_in_throttled' AND detail LIKE '{ACCOUNT_DELAYED}'"
    );
    wait_for_count(&app, &delayed, 1).await;
    assert_eq!(app.count(&delayed).await, 1);
    assert_eq!(app.count_audit("sign_in_throttled").await, 1);
}

/// Waits (up to 5 s) for a counting query to reach `expected`: the shared count, and its audit
/// entry, are written off the answer's path.
async fn wait_for_count(app: &TestApp, sql: &str, expected: i64) {
    for _ in 0..50 {
        if app.count(sql).await >= expected {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Finding 1: one guess per address, from many addresses at once, is no longer fast. Once the
/// account has five untrusted failures, every untrusted attempt waits, from any address; the
/// account's delay is audited once however the failures race.
async fn guesses_from_many_addresses_are_delayed_account_wide(engine: Engine) {
    let (app, mut alice) = alice_signed_in_behind_proxy(engine).await;
    let mut guessers = Vec::new();
    for _ in 0..12 {
        let mut guesser = app.browser();
        guesser.take_token_from("/login").await;
        guessers.push(guesser);
    }
    let guesses = guessers.iter().enumerate().map(|(n, guesser)| {
        let address = format!("198.51.100.{}", n + 1);
        let password = format!("wrong password {n}");
        let request = guesser.sign_in_request(&address, "alice", &password);
        async move { request.send().await.unwrap().status().as_u16() }
    });
    let statuses = futures_util::future::join_all(guesses).await;
    assert_eq!(
        statuses.iter().filter(|&&status| status == 401).count(),
        PAIR_FAILURES as usize,
        "five checked, from five fresh addresses: {statuses:?}"
    );
    assert_eq!(statuses.iter().filter(|&&status| status == 429).count(), 7);
    // A fresh address without the device cookie waits too, even with the right password.
    let mut untrusted = app.browser();
    assert_eq!(
        untrusted
            .sign_in_from("192.0.2.200", "alice", PASSWORD)
            .await,
        429
    );
    // Alice's browser is not delayed.
    assert_eq!(
        alice.sign_in_from("192.0.2.201", "alice", PASSWORD).await,
        303
    );
    let delayed = format!(
        "SELECT count(*) FROM audit_events WHERE action = 'sign_in_throttled' AND detail LIKE '{ACCOUNT_DELAYED}'"
    );
    wait_for_count(&app, &delayed, 1).await;
    assert_eq!(app.count(&delayed).await, 1, "audited once, on crossing");
}

/// Finding 2: a stranger on the clinic's address locks the address, but not a clinician in
/// a browser she signed in on; another account's cookie, or a forged one, gives no trust.
async fn a_locked_address_still_lets_a_trusted_browser_in(engine: Engine) {
    let app = behind_proxy(engine).await;
    app.create_account("alice", false).await;
    app.create_account("bob", false).await;
    let clinic = "203.0.113.5";
    let mut alice = app.browser();
    assert_eq!(alice.sign_in_from(clinic, "alice", PASSWORD).await, 303);
    let mut bobs = app.browser();
    assert_eq!(bobs.sign_in_from(clinic, "bob", PASSWORD).await, 303);
    // A stranger on the guest Wi-Fi, behind the same public address.
    let mut stranger = app.browser();
    for n in 0..ADDRESS_FAILURES {
        let name = format!("guess{n}");
        assert_eq!(
            stranger
                .sign_in_from(clinic, &name, "wrong password!")
                .await,
            401
        );
    }
    assert_eq!(
        stranger.sign_in_from(clinic, "alice", PASSWORD).await,
        429,
        "the address is locked for untrusted attempts"
    );
    // Bob's device cookie is not alice's.
    assert_eq!(bobs.sign_in_from(clinic, "alice", PASSWORD).await, 429);
    // A forged cookie, or alice's with its signature altered, is nobody's.
    let mut forged = app.browser();
    let url: reqwest::Url = forged.address.parse().unwrap();
    let real = alice
        .cookies()
        .split("; ")
        .find_map(|pair| pair.strip_prefix("screener_trusted="))
        .expect("alice's device cookie")
        .to_owned();
    let (nonce, _) = real.split_once('.').unwrap();
    forged.jar.add_cookie_str(
        &format!("screener_trusted={nonce}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA; Path=/"),
        &url,
    );
    assert_eq!(forged.sign_in_from(clinic, "alice", PASSWORD).await, 429);
    assert!(!real.contains("alice"), "the cookie names nobody");
    // Alice, in her own browser, gets in from the locked address; so does Bob in his.
    assert_eq!(alice.sign_in_from(clinic, "alice", PASSWORD).await, 303);
    assert_eq!(bobs.sign_in_from(clinic, "bob", PASSWORD).await, 303);
}

/// IPv6 addresses count by their /64: one subscriber's many addresses are one address.
async fn ipv6_addresses_in_one_64_share_a_count(engine: Engine) {
    let app = behind_proxy(engine).await;
    app.create_account("alice", false).await;
    let mut stranger = app.browser();
    for n in 0..ADDRESS_FAILURES {
        let address = format!("2001:db8:1:2::{:x}", n + 1);
        let name = format!("guess{n}");
        assert_eq!(
            stranger
                .sign_in_from(&address, &name, "wrong password!")
                .await,
            401
        );
    }
    assert_eq!(
        stranger
            .sign_in_from("2001:db8:1:2:ffff::9", "other", "wrong!")
            .await,
        429,
        "the same /64"
    );
    assert_eq!(
        stranger
            .sign_in_from("2001:db8:1:3::1", "other", "wrong!")
            .await,
        401,
        "another /64"
    );
}

/// A wrong current password on the account page is audited as a failed sign-in, and the lock
/// it starts as a throttled one, as at sign-in.
async fn wrong_passwords_on_the_account_page_are_audited(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let wrong = alice
        .post_form(
            "/account/sign-out-others",
            &[("others_password", "not it at all")],
        )
        .await;
    assert_eq!(wrong.status(), 422);
    assert_eq!(app.count_audit("sign_in_failed").await, 1);
    let mut statuses = Vec::new();
    for _ in 0..PAIR_FAILURES {
        let response = alice
            .post_form(
                "/account/password",
                &[
                    ("current_password", "not it at all"),
                    ("password", "a brand new password"),
                    ("password_confirm", "a brand new password"),
                ],
            )
            .await;
        statuses.push(response.status().as_u16());
    }
    // This browser signed in: its own failures (one above, four here) lock it after five.
    assert_eq!(statuses, vec![422, 422, 422, 422, 429], "{statuses:?}");
    assert_eq!(app.count_audit("sign_in_failed").await, 5);
    assert_eq!(app.count_audit("sign_in_throttled").await, 1);
}

async fn concurrent_correct_sign_ins_all_get_in(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    app.create_account("alice", false).await;
    let mut browsers = Vec::new();
    for _ in 0..32 {
        let mut browser = app.browser();
        browser.take_token_from("/login").await;
        browsers.push(browser);
    }
    let sign_ins = browsers.iter().map(|browser| async move {
        browser
            .post_form("/login", &[("username", "alice"), ("password", PASSWORD)])
            .await
            .status()
            .as_u16()
    });
    let statuses = futures_util::future::join_all(sign_ins).await;
    assert_eq!(statuses, vec![303; 32]);
    assert_eq!(app.count_audit("sign_in_failed").await, 0);
}

async fn one_address_guessing_one_account_is_still_stopped(engine: Engine) {
    let (app, mut alice) = alice_signed_in_behind_proxy(engine).await;
    let mut guesser = app.browser();
    guesser.take_token_from("/login").await;
    let guesses = (0..20).map(|n| {
        let password = format!("wrong password {n}");
        let request = guesser.sign_in_request("198.51.100.7", "alice", &password);
        async move { request.send().await.unwrap().status().as_u16() }
    });
    let statuses = futures_util::future::join_all(guesses).await;
    let checked = statuses.iter().filter(|&&status| status == 401).count();
    assert_eq!(checked, PAIR_FAILURES as usize, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|&&status| status == 429).count(), 15);
    assert_eq!(
        guesser
            .sign_in_from("198.51.100.7", "alice", PASSWORD)
            .await,
        429,
        "from that address, even the right password waits out the lock"
    );
    // In the browser she signed in on, alice gets in (an untrusted one would wait: the
    // account has five failures).
    assert_eq!(
        alice.sign_in_from("203.0.113.5", "alice", PASSWORD).await,
        303
    );
}

crate::both_engines!(
    guessing_tokens_never_refuses_a_valid_link_or_the_right_unlock_password,
    parallel_wrong_unlock_passwords_are_each_counted,
    a_strangers_wrong_passwords_do_not_keep_alice_out,
    concurrent_correct_sign_ins_all_get_in,
    one_address_guessing_one_account_is_still_stopped,
    guesses_from_many_addresses_are_delayed_account_wide,
    a_locked_address_still_lets_a_trusted_browser_in,
    ipv6_addresses_in_one_64_share_a_count,
    wrong_passwords_on_the_account_page_are_audited,
);

/// On PostgreSQL, after failed sign-ins from several addresses, unknown usernames, token
/// guesses and wrong unlock passwords, the database holds one count: alice's, under the
/// keyed hash of her username.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_nothing_derived_from_an_address_is_stored() {
    if skip_without_postgres().await {
        return;
    }
    let app = behind_proxy(Engine::Postgres).await;
    let mut alice = app.clinician("alice").await;
    let mut stranger = app.browser();
    for address in ["198.51.100.7", "198.51.100.8", "2001:db8::7"] {
        for name in ["alice", "nobody"] {
            assert_eq!(
                stranger
                    .sign_in_from(address, name, "wrong password!")
                    .await,
                401
            );
        }
    }
    for n in 0..TOKEN_GUESSES as usize + 2 {
        stranger.get(&format!("/c/{}", random_token(n))).await;
    }
    alice.post_form("/invitations", &[("mode", "device")]).await;
    alice.take_token_from("/unlock").await;
    assert_eq!(
        alice
            .post_form("/unlock", &[("password", "no")])
            .await
            .status(),
        401
    );

    let key = app.store.server_key(THROTTLE_KEY).await.unwrap();
    let subject = AccountSubject::new(&key, "sign-in", &Username::parse("alice").unwrap());
    // The account's count is written off the answer's path: give it a moment.
    let mut subjects = Vec::new();
    for _ in 0..50 {
        subjects = app.db.texts("SELECT subject FROM sign_in_failures").await;
        if !subjects.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(subjects, vec![subject.as_str().to_owned()]);
    assert_eq!(
        app.count("SELECT failures FROM sign_in_failures").await,
        3,
        "alice's three failures, from every address together"
    );
}

/// The migration forgets the counts kept before it, whose subjects may be addresses.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_migration_deletes_counts_that_may_be_addresses() {
    if skip_without_postgres().await {
        return;
    }
    let app = TestApp::builder().engine(Engine::Postgres).spawn().await;
    app.db
        .execute(
            "INSERT INTO sign_in_failures (subject, failures, locked_until, expires) \
             VALUES (repeat('a', 64), 3, NULL, 9999999999)",
        )
        .await;
    app.db
        .execute("DELETE FROM _sqlx_migrations WHERE description = 'throttle without addresses'")
        .await;
    let reopened = intake_screener::store::Store::open(&app.db.url)
        .await
        .expect("migrates again");
    assert_eq!(app.count("SELECT count(*) FROM sign_in_failures").await, 0);
    reopened.close().await;
}
