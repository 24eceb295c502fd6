//! Two-factor sign-in (issue 19, first part): TOTP enrolment, the second step of a sign-in,
//! each code working once (on every instance), the throttle, the pending cookie's expiry,
//! recovery codes, removal, and no secret or code in the database in clear or in the logs.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use reqwest::redirect::Policy;
use sha2::Sha256;
use totp_rs::{Algorithm, Secret, TOTP};

use crate::helpers::engine::skip_without_postgres;
use crate::helpers::server::{Server, add_account_on, screener_on};
use crate::helpers::{
    Browser, EXAMPLE_FORM, Engine, PASSWORD, TestApp, TestDatabase, csrf_token_in, location,
};

/// The current TOTP step, after waiting out the last seconds of a step, so that a test has at
/// least 25 seconds before it turns.
async fn fresh_step() -> u64 {
    loop {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        if now % 30 < 25 {
            return now / 30;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The code of `step` for the base32 `key`, as an authenticator app computes it.
fn code(key: &str, step: u64) -> String {
    let secret = Secret::Encoded(key.to_owned()).to_bytes().unwrap();
    TOTP::new(Algorithm::SHA1, 6, 1, 30, secret)
        .unwrap()
        .generate(step * 30)
}

/// A six-digit code that is none of the codes of the steps around `step`.
fn wrong_code(key: &str, step: u64) -> String {
    let near: Vec<String> = (step - 2..=step + 2).map(|s| code(key, s)).collect();
    (0..)
        .map(|n: u32| {
            format!(
                "{:06}",
                (near[2].parse::<u32>().unwrap() + 1 + n) % 1_000_000
            )
        })
        .find(|candidate| !near.contains(candidate))
        .unwrap()
}

/// The text between `start` and the next `end` after it.
fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let from = html
        .find(start)
        .unwrap_or_else(|| panic!("{start} in {html}"))
        + start.len();
    let to = html[from..].find(end).unwrap() + from;
    &html[from..to]
}

/// What enrolment showed: the key to type and the recovery codes.
struct Enrolled {
    key: String,
    recovery: Vec<String>,
}

/// Enrols the signed-in `browser` with the code of `step - 1`.
async fn enrol(browser: &Browser, step: u64) -> Enrolled {
    let html = browser.get_html("/account/two-factor").await;
    assert!(html.contains("<svg") && html.contains("QR code"), "{html}");
    let key: String = between(
        &html,
        "<code class=\"key\" aria-describedby=\"key-hint\">",
        "</code>",
    )
    .replace(' ', "");
    let pending = between(&html, "name=\"pending\" value=\"", "\"").to_owned();
    let response = browser
        .post_form(
            "/account/two-factor",
            &[
                ("action", "enrol"),
                ("pending", &pending),
                ("code", &code(&key, step - 1)),
            ],
        )
        .await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    let recovery: Vec<String> = html
        .split("<li><code>")
        .skip(1)
        .map(|part| part[..part.find("</code>").unwrap()].to_owned())
        .collect();
    assert_eq!(recovery.len(), 10, "{html}");
    Enrolled { key, recovery }
}

/// A new browser past the password step for `name`; the second step's form token taken.
async fn password_step(address: &str, name: &str) -> Browser {
    let mut browser = Browser::new(address);
    let response = browser.sign_in(name, PASSWORD).await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        location(&response),
        "/login/two-factor?next=%2Fscreenings%2Fnew"
    );
    assert!(
        !browser.cookies().contains("screener_session="),
        "no session before the second step"
    );
    browser.take_token_from("/login/two-factor").await;
    browser
}

fn signed_in_session(browser: &Browser) -> bool {
    browser.cookies().contains("screener_session=")
}

async fn enrolment_needs_a_right_first_code(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let step = fresh_step().await;
    let html = alice.get_html("/account/two-factor").await;
    let key: String = between(
        &html,
        "<code class=\"key\" aria-describedby=\"key-hint\">",
        "</code>",
    )
    .replace(' ', "");
    let pending = between(&html, "name=\"pending\" value=\"", "\"").to_owned();
    for (typed, status) in [("12ab", 422), (wrong_code(&key, step).as_str(), 422)] {
        let response = alice
            .post_form(
                "/account/two-factor",
                &[("action", "enrol"), ("pending", &pending), ("code", typed)],
            )
            .await;
        assert_eq!(response.status(), status, "{typed}");
    }
    // A pending secret sealed for another account does not open for this one.
    let bob = app.clinician("bob").await;
    let response = bob
        .post_form(
            "/account/two-factor",
            &[
                ("action", "enrol"),
                ("pending", &pending),
                ("code", &code(&key, step)),
            ],
        )
        .await;
    assert_eq!(response.status(), 400);
    assert_eq!(app.count("SELECT count(*) FROM two_factor").await, 0);
    assert_eq!(app.count_audit("two_factor_enrolled").await, 0);

    let response = alice
        .post_form(
            "/account/two-factor",
            &[
                ("action", "enrol"),
                ("pending", &pending),
                ("code", &code(&key, step)),
            ],
        )
        .await;
    assert_eq!(response.status(), 200);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Two-factor sign-in is on.")
    );
    assert_eq!(app.count("SELECT count(*) FROM two_factor").await, 1);
    assert_eq!(app.count("SELECT count(*) FROM recovery_codes").await, 10);
    assert_eq!(app.count_audit("two_factor_enrolled").await, 1);
}

async fn sign_in_with_totp_takes_two_steps_and_each_code_works_once(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let step = fresh_step().await;
    let enrolled = enrol(&alice, step).await;
    let signed_in_before = app.count_audit("signed_in").await;

    let browser = password_step(&app.address, "alice").await;
    assert_eq!(
        location(&browser.get("/screenings/new").await),
        "/login?next=%2Fscreenings%2Fnew"
    );
    let response = browser
        .post_form("/login/two-factor", &[("code", "12345")])
        .await;
    assert_eq!(response.status(), 422);
    let response = browser
        .post_form(
            "/login/two-factor",
            &[("code", &wrong_code(&enrolled.key, step))],
        )
        .await;
    assert_eq!(response.status(), 401);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("That code is not right")
    );
    assert_eq!(app.count_audit("two_factor_failed").await, 1);
    assert!(!signed_in_session(&browser));
    // The code of the step enrolment used is spent already.
    let response = browser
        .post_form(
            "/login/two-factor",
            &[("code", &code(&enrolled.key, step - 1))],
        )
        .await;
    assert_eq!(response.status(), 401);

    let right = code(&enrolled.key, step);
    let response = browser
        .post_form("/login/two-factor", &[("code", &right)])
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/screenings/new");
    assert!(signed_in_session(&browser));
    assert!(!browser.cookies().contains("screener_second_step="));
    assert_eq!(browser.get("/screenings/new").await.status(), 200);
    assert_eq!(app.count_audit("signed_in").await, signed_in_before + 1);

    // The same code again, from another browser past the password: refused.
    let again = password_step(&app.address, "alice").await;
    let response = again
        .post_form("/login/two-factor", &[("code", &right)])
        .await;
    assert_eq!(response.status(), 401);
    assert!(!signed_in_session(&again));
}

async fn wrong_codes_are_counted_by_the_sign_in_throttle(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let step = fresh_step().await;
    let enrolled = enrol(&alice, step).await;
    let browser = password_step(&app.address, "alice").await;
    let wrong = wrong_code(&enrolled.key, step);
    for _ in 0..5 {
        let response = browser
            .post_form("/login/two-factor", &[("code", &wrong)])
            .await;
        assert_eq!(response.status(), 401);
    }
    // Now even the right code waits: the failures counted as wrong passwords do.
    let response = browser
        .post_form("/login/two-factor", &[("code", &code(&enrolled.key, step))])
        .await;
    assert_eq!(response.status(), 429);
    assert!(!signed_in_session(&browser));
    assert_eq!(app.count_audit("two_factor_failed").await, 5);
    assert!(app.count_audit("sign_in_throttled").await >= 1);
}

/// A pending cookie signed as the server does, for `clinician`, expiring at `expires`.
fn forged_pending(key: &[u8; 32], clinician: i64, expires: i64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(b"intake-screener pending sign-in v1");
    mac.update(format!("\0{clinician}\0{}\0{expires}", 0).as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{clinician}.0.{expires}.{signature}")
}

async fn an_expired_or_forged_pending_cookie_starts_the_sign_in_again(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let step = fresh_step().await;
    let enrolled = enrol(&alice, step).await;
    let id = app
        .count("SELECT id FROM clinicians WHERE username = 'alice'")
        .await;
    let key = app
        .store
        .server_key(intake_screener::store::PENDING_SIGN_IN_KEY)
        .await
        .unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    // The forgery is right: a live one is taken.
    let live = forged_pending(&key, id, now + 60);
    let expired = forged_pending(&key, id, now - 1);
    let tampered = live.replacen(&format!("{id}."), &format!("{}.", id + 1), 1);
    for (value, works) in [(expired, false), (tampered, false), (live, true)] {
        let browser = Browser::new(&app.address);
        let url = browser.url("/login").parse().unwrap();
        browser
            .jar
            .add_cookie_str(&format!("screener_second_step={value}; Path=/login"), &url);
        let response = browser.get("/login/two-factor").await;
        if works {
            assert_eq!(response.status(), 200);
            continue;
        }
        assert_eq!(response.status(), 401);
        let html = response.text().await.unwrap();
        assert!(html.contains("action=\"/login\"") && html.contains("Sign in again"));
        let mut browser = browser;
        browser.csrf_token = csrf_token_in(&html);
        let response = browser
            .post_form("/login/two-factor", &[("code", &code(&enrolled.key, step))])
            .await;
        assert_eq!(response.status(), 401);
        assert!(response.text().await.unwrap().contains("action=\"/login\""));
        assert!(!signed_in_session(&browser));
    }
}

async fn a_recovery_code_works_once_and_says_how_many_remain(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let step = fresh_step().await;
    let enrolled = enrol(&alice, step).await;
    let recovery = enrolled.recovery[3].to_uppercase();

    let browser = password_step(&app.address, "alice").await;
    let response = browser
        .post_form("/login/two-factor", &[("code", &recovery)])
        .await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("9 recovery codes left"), "{html}");
    assert!(signed_in_session(&browser));
    assert_eq!(browser.get("/screenings/new").await.status(), 200);
    assert_eq!(app.count_audit("recovery_code_used").await, 1);
    assert_eq!(app.count("SELECT count(*) FROM recovery_codes").await, 9);

    let again = password_step(&app.address, "alice").await;
    let response = again
        .post_form("/login/two-factor", &[("code", &recovery)])
        .await;
    assert_eq!(response.status(), 401);
    assert!(!signed_in_session(&again));
}

async fn removal_needs_the_password(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let step = fresh_step().await;
    enrol(&alice, step).await;
    let response = alice
        .post_form(
            "/account/two-factor",
            &[
                ("action", "remove"),
                ("password", "not the password at all"),
            ],
        )
        .await;
    assert_eq!(response.status(), 422);
    assert_eq!(app.count("SELECT count(*) FROM two_factor").await, 1);
    assert_eq!(app.count_audit("two_factor_removed").await, 0);
    let response = alice
        .post_form(
            "/account/two-factor",
            &[("action", "remove"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(app.count("SELECT count(*) FROM two_factor").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM recovery_codes").await, 0);
    assert_eq!(app.count_audit("two_factor_removed").await, 1);
    let mut browser = app.browser();
    let response = browser.sign_in("alice", PASSWORD).await;
    assert_eq!(location(&response), "/screenings/new");
    assert!(signed_in_session(&browser));
}

async fn nothing_of_the_secret_or_codes_is_stored_in_clear(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let step = fresh_step().await;
    let enrolled = enrol(&alice, step).await;
    let hex = match engine {
        Engine::Sqlite => "lower(hex(totp_sealed))",
        Engine::Postgres => "encode(totp_sealed, 'hex')",
    };
    let sealed = app
        .count_text(&format!("SELECT {hex} FROM two_factor"))
        .await;
    let raw: String = Secret::Encoded(enrolled.key.clone())
        .to_bytes()
        .unwrap()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let key_hex: String = enrolled
        .key
        .bytes()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    assert!(sealed.len() > raw.len());
    assert!(!sealed.contains(&raw) && !sealed.contains(&key_hex.to_lowercase()));
    let hashes = match engine {
        Engine::Sqlite => "SELECT lower(hex(code_hash)) FROM recovery_codes",
        Engine::Postgres => "SELECT encode(code_hash, 'hex') FROM recovery_codes",
    };
    let stored = app.db.texts(hashes).await.join(" ");
    for recovery in &enrolled.recovery {
        let compact = recovery.replace('-', "");
        let hex: String = compact.bytes().map(|byte| format!("{byte:02x}")).collect();
        assert!(!stored.contains(&hex));
    }
}

/// The answers of a screening sent after the session ended are carried through both steps of
/// the sign-in again, in the forms (never an address), and the form comes back filled in.
async fn answers_carried_through_a_sign_in_survive_the_second_step(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let step = fresh_step().await;
    let enrolled = enrol(&alice, step).await;
    let mut late = app.browser();
    let expired = late.post_raw("/screenings", EXAMPLE_FORM).await;
    assert_eq!(expired.status(), 401);
    late.csrf_token = csrf_token_in(&expired.text().await.unwrap());
    let carried: Vec<(String, String)> = EXAMPLE_FORM
        .iter()
        .map(|(field, value)| (format!("carry.{field}"), (*value).to_owned()))
        .collect();
    let with = |first: &[(&'static str, String)]| -> Vec<(String, String)> {
        first
            .iter()
            .map(|(field, value)| ((*field).to_owned(), value.clone()))
            .chain(carried.iter().cloned())
            .collect()
    };
    let pairs = with(&[("username", "alice".into()), ("password", PASSWORD.into())]);
    let pairs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(f, v)| (f.as_str(), v.as_str()))
        .collect();
    let second = late.post_form("/login", &pairs).await;
    assert_eq!(second.status(), 200);
    assert!(!signed_in_session(&late));
    let html = second.text().await.unwrap();
    assert!(html.contains("action=\"/login/two-factor\""));
    assert!(html.contains("name=\"carry.q3_escape\" value=\"pornography\""));
    late.csrf_token = csrf_token_in(&html);
    let pairs = with(&[("code", code(&enrolled.key, step))]);
    let pairs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(f, v)| (f.as_str(), v.as_str()))
        .collect();
    let resumed = late.post_form("/login/two-factor", &pairs).await;
    assert_eq!(resumed.status(), 200);
    let form = resumed.text().await.unwrap();
    assert!(form.contains("your answers are kept"));
    assert!(
        form.contains(
            "id=\"q3_escape-pornography\" name=\"q3_escape\" value=\"pornography\" checked"
        )
    );
    late.csrf_token = csrf_token_in(&form);
    late.submit(EXAMPLE_FORM).await;
    assert_eq!(app.count_screenings().await, 1);
}

/// An administrator resets a clinician's second factor (a lost phone): only an administrator,
/// with the form token, never their own; audited with the administrator as actor; the
/// clinician then signs in with the password alone.
async fn an_administrator_resets_a_clinicians_second_factor(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let bob = app.clinician("bob").await;
    let root = app.admin("root").await;
    let step = fresh_step().await;
    enrol(&alice, step).await;

    let page = root.get_html("/admin/clinicians").await;
    assert!(page.contains("action=\"/admin/clinicians/alice/two-factor\""));
    assert!(!page.contains("action=\"/admin/clinicians/root/two-factor\""));
    let refused = bob
        .post_form("/admin/clinicians/alice/two-factor", &[])
        .await;
    assert_eq!(refused.status(), 404, "not an administrator: no such route");
    let forged = root
        .post_raw("/admin/clinicians/alice/two-factor", &[])
        .await;
    assert_eq!(forged.status(), 403, "no form token");
    let unknown = root
        .post_form("/admin/clinicians/nobody/two-factor", &[])
        .await;
    assert_eq!(unknown.status(), 404);
    let own = root
        .post_form("/admin/clinicians/root/two-factor", &[])
        .await;
    assert_eq!(own.status(), 400);
    assert_eq!(app.count("SELECT count(*) FROM two_factor").await, 1);
    assert_eq!(app.count("SELECT count(*) FROM recovery_codes").await, 10);
    assert_eq!(app.count_audit("two_factor_reset").await, 0);

    let response = root
        .post_form("/admin/clinicians/alice/two-factor", &[])
        .await;
    assert_eq!(response.status(), 200);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Two-factor sign-in of alice reset")
    );
    assert_eq!(app.count("SELECT count(*) FROM two_factor").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM recovery_codes").await, 0);
    assert_eq!(
        app.count(
            "SELECT count(*) FROM audit_events WHERE action = 'two_factor_reset' \
             AND actor = 'root' AND subject = 'alice'"
        )
        .await,
        1
    );
    let mut browser = app.browser();
    let response = browser.sign_in("alice", PASSWORD).await;
    assert_eq!(location(&response), "/screenings/new");
    assert!(signed_in_session(&browser));

    let again = root
        .post_form("/admin/clinicians/alice/two-factor", &[])
        .await;
    assert_eq!(again.status(), 200);
    assert!(again.text().await.unwrap().contains("had no two-factor"));
    assert_eq!(app.count_audit("two_factor_reset").await, 1);
}

/// `screener user reset-two-factor NAME` does the same from the console, audited with the
/// console as actor.
async fn the_console_resets_a_clinicians_second_factor(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let step = fresh_step().await;
    enrol(&alice, step).await;
    let (code, stdout, stderr) =
        screener_on(&app.db.url, &["user", "reset-two-factor", "alice"], "");
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("Reset the two-factor sign-in of alice"),
        "{stdout}"
    );
    assert_eq!(app.count("SELECT count(*) FROM two_factor").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM recovery_codes").await, 0);
    assert_eq!(
        app.count(
            "SELECT count(*) FROM audit_events WHERE action = 'two_factor_reset' \
             AND actor = 'console' AND subject = 'alice'"
        )
        .await,
        1
    );
    let mut browser = app.browser();
    let response = browser.sign_in("alice", PASSWORD).await;
    assert_eq!(location(&response), "/screenings/new");
}

/// A password reset, by an administrator or from the console, leaves the second factor
/// enrolled (OWASP ASVS 5.0 V6.4.3): the new password still leads to the second step.
async fn a_password_reset_leaves_the_second_factor(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let root = app.admin("root").await;
    let step = fresh_step().await;
    enrol(&alice, step).await;

    let new_password = "a brand new long password";
    let response = root
        .post_form(
            "/admin/clinicians/alice/password",
            &[
                ("password", new_password),
                ("password_confirm", new_password),
            ],
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(app.count_audit("password_reset").await, 1);
    assert_eq!(app.count("SELECT count(*) FROM two_factor").await, 1);
    assert_eq!(app.count("SELECT count(*) FROM recovery_codes").await, 10);
    let mut browser = app.browser();
    let response = browser.sign_in("alice", new_password).await;
    assert_eq!(
        location(&response),
        "/login/two-factor?next=%2Fscreenings%2Fnew"
    );
    assert!(!signed_in_session(&browser));

    let (code, _, stderr) = screener_on(
        &app.db.url,
        &["user", "set-password", "alice", "--password-stdin"],
        &format!("{PASSWORD}\n"),
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(app.count_audit("password_reset").await, 2);
    assert_eq!(app.count("SELECT count(*) FROM two_factor").await, 1);
    assert_eq!(app.count("SELECT count(*) FROM recovery_codes").await, 10);
    password_step(&app.address, "alice").await;
}

crate::both_engines!(
    an_administrator_resets_a_clinicians_second_factor,
    the_console_resets_a_clinicians_second_factor,
    a_password_reset_leaves_the_second_factor,
    answers_carried_through_a_sign_in_survive_the_second_step,
    enrolment_needs_a_right_first_code,
    sign_in_with_totp_takes_two_steps_and_each_code_works_once,
    wrong_codes_are_counted_by_the_sign_in_throttle,
    an_expired_or_forged_pending_cookie_starts_the_sign_in_again,
    a_recovery_code_works_once_and_says_how_many_remain,
    removal_needs_the_password,
    nothing_of_the_secret_or_codes_is_stored_in_clear,
);

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

/// Two instances on one PostgreSQL database: a code used on one is refused on the other, and
/// the same code sent to both at once signs in on one only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_used_on_one_instance_is_refused_on_the_other() {
    if skip_without_postgres().await {
        return;
    }
    let database = TestDatabase::new(Engine::Postgres).await;
    add_account_on(&database.url, "alice");
    let first = Server::start_on(&database.url, &database.dir.path().join("a.log"), &[]);
    let second = Server::start_on(&database.url, &database.dir.path().join("b.log"), &[]);
    let mut alice = Browser::new(&first.address);
    assert_eq!(alice.sign_in("alice", PASSWORD).await.status(), 303);
    alice.refresh_csrf_token().await;
    let step = fresh_step().await;
    let enrolled = enrol(&alice, step).await;

    // Past the password on the first instance, the second step on the other.
    let code_now = code(&enrolled.key, step);
    let one = password_step(&first.address, "alice").await;
    let response = on(&one, &second.address)
        .post_form("/login/two-factor", &[("code", &code_now)])
        .await;
    assert_eq!(response.status(), 303);
    let two = password_step(&second.address, "alice").await;
    let response = on(&two, &first.address)
        .post_form("/login/two-factor", &[("code", &code_now)])
        .await;
    assert_eq!(response.status(), 401);

    // The next code, sent through both instances at once: one sign-in only.
    let code_next = code(&enrolled.key, step + 1);
    let a = password_step(&first.address, "alice").await;
    let b = password_step(&second.address, "alice").await;
    let pairs = [("code", code_next.as_str())];
    let (ra, rb) = tokio::join!(
        a.post_form("/login/two-factor", &pairs),
        b.post_form("/login/two-factor", &pairs),
    );
    let mut statuses = [ra.status().as_u16(), rb.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [303, 401]);
}

/// Every level, the noisiest targets named one by one (as `log_privacy.rs` runs them).
const EVERYTHING: &str = "trace,tower_sessions_core::session=trace,tower_sessions::service=trace,\
     sqlx::query=trace,sqlx::pool=trace,hyper::proto=trace,tower_http::csrf::service=trace";

/// The real binary at `RUST_LOG=trace`: enrolment, a second step with a code and one with a
/// recovery code leave no key, pending secret, code or recovery code in the log.
async fn no_secret_or_code_reaches_the_log_at_trace(engine: Engine) {
    let database = TestDatabase::new(engine).await;
    add_account_on(&database.url, "alice");
    let log = database.dir.path().join("trace.log");
    let mut server = Server::start_on_env(
        &database.url,
        &log,
        &[],
        &[("RUST_LOG", EVERYTHING), ("NO_COLOR", "1")],
    );
    let mut alice = Browser::new(&server.address);
    assert_eq!(alice.sign_in("alice", PASSWORD).await.status(), 303);
    alice.refresh_csrf_token().await;
    let step = fresh_step().await;
    let html = alice.get_html("/account/two-factor").await;
    let pending = between(&html, "name=\"pending\" value=\"", "\"").to_owned();
    let enrolled = enrol(&alice, step).await;
    let browser = password_step(&server.address, "alice").await;
    let wrong = wrong_code(&enrolled.key, step);
    assert_eq!(
        browser
            .post_form("/login/two-factor", &[("code", &wrong)])
            .await
            .status(),
        401
    );
    let right = code(&enrolled.key, step);
    assert_eq!(
        browser
            .post_form("/login/two-factor", &[("code", &right)])
            .await
            .status(),
        303
    );
    let other = password_step(&server.address, "alice").await;
    let recovery = &enrolled.recovery[0];
    assert_eq!(
        other
            .post_form("/login/two-factor", &[("code", recovery)])
            .await
            .status(),
        200
    );
    assert_eq!(server.terminate(Duration::from_secs(10)), Some(0));
    let logs = server.logs();
    assert!(
        logs.contains("/login/two-factor"),
        "the routes are logged: {logs}"
    );
    let first_key_part = &enrolled.key[..16];
    assert!(!logs.contains(first_key_part), "the key in the log");
    assert!(
        !logs.contains(&pending[..24]),
        "the pending secret in the log"
    );
    for recovery in &enrolled.recovery {
        assert!(!logs.contains(recovery.as_str()) && !logs.contains(&recovery.replace('-', "")));
    }
    for six in [code(&enrolled.key, step - 1), right, wrong] {
        let found = logs.match_indices(six.as_str()).any(|(at, _)| {
            let before = logs[..at].chars().next_back();
            let after = logs[at + 6..].chars().next();
            !before.is_some_and(|c| c.is_ascii_digit())
                && !after.is_some_and(|c| c.is_ascii_digit())
        });
        assert!(!found, "a code in the log");
    }
}

crate::both_engines!(no_secret_or_code_reaches_the_log_at_trace);
