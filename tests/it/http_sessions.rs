//! Issue 17, sessions: an absolute lifetime besides the idle timeout (OWASP ASVS 5.0 V7.3.2),
//! "Sign out everywhere else" on the account page (V7.4.3, V7.5.2), and an administrator
//! ending a clinician's sessions (V7.4.5), audited. On both engines.

use std::time::{Duration, Instant};

use crate::helpers;
use crate::helpers::{Browser, CASUAL_FORM, Engine, PASSWORD, TestApp, location};
use intake_screener::config::SecurityConfig;

/// The session id a browser holds.
fn session_id(browser: &Browser) -> String {
    browser
        .cookies()
        .split("; ")
        .find(|pair| pair.starts_with("screener_session="))
        .expect("a session cookie")
        .to_owned()
}

/// True when this browser's session is signed in (a private page answers 200).
async fn signed_in(browser: &Browser) -> bool {
    let response = browser.get("/screenings").await;
    match response.status().as_u16() {
        200 => true,
        303 => {
            assert!(location(&response).starts_with("/login"), "to sign in");
            false
        }
        other => panic!("/screenings answered {other}"),
    }
}

async fn sleep_until(start: Instant, seconds: f64) {
    let at = start + Duration::from_secs_f64(seconds);
    tokio::time::sleep_until(at.into()).await;
}

async fn a_session_ends_at_its_absolute_lifetime_however_active(engine: Engine) {
    let app = TestApp::builder()
        .engine(engine)
        .security(SecurityConfig {
            session_max_seconds: Some(3),
            ..SecurityConfig::default()
        })
        .spawn()
        .await;
    let alice = app.clinician("alice").await;
    let started = Instant::now();
    // Active all along: well inside the idle timeout (30 minutes).
    for at in [0.5, 1.0, 1.5] {
        sleep_until(started, at).await;
        assert!(signed_in(&alice).await, "still signed in at {at} s");
    }
    sleep_until(started, 4.2).await;
    // The sign-in form keeps a screening sent after the end (nothing stored, nothing lost).
    let late = alice.post_form("/screenings", CASUAL_FORM).await;
    assert_eq!(late.status(), 401, "signed out after 3 seconds");
    assert!(late.text().await.unwrap().contains("answers are kept"));
    assert_eq!(app.count_screenings().await, 0);
    assert!(!signed_in(&alice).await);
    assert_eq!(
        app.count("SELECT count(*) FROM tower_sessions").await,
        0,
        "the session is deleted, not only refused"
    );
    // Signing in again starts a new lifetime.
    let mut again = app.browser();
    assert_eq!(again.sign_in("alice", PASSWORD).await.status(), 303);
    assert!(signed_in(&again).await);
}

/// A handed-over device whose session reaches its end: the client still answers (the token
/// is in its own cookie), and nothing of the clinician's opens.
async fn a_locked_session_ends_too_and_the_clients_answers_still_arrive(engine: Engine) {
    let app = TestApp::builder()
        .engine(engine)
        .security(SecurityConfig {
            session_max_seconds: Some(2),
            ..SecurityConfig::default()
        })
        .spawn()
        .await;
    let alice = app.clinician("alice").await;
    let started = Instant::now();
    let handed = alice.post_form("/invitations", &[("mode", "device")]).await;
    assert_eq!(location(&handed), "/c/here");
    let questions = alice.get_html("/c/here").await;
    sleep_until(started, 3.2).await;
    let mut pairs = vec![
        ("q1_concern_expressed", "no"),
        ("q2_self_concern", "no"),
        ("q3_escape", "sleep"),
        ("q4_secrets", "no"),
        ("q5_others_disturbed", "no"),
        ("q6_shame", "no"),
    ];
    let form_token = helpers::csrf_token_in(&questions).unwrap();
    pairs.push(("csrf_token", &form_token));
    let thanks = alice.post_raw("/c/here", &pairs).await;
    assert_eq!(thanks.status(), 200, "the client's answers are taken");
    assert_eq!(
        app.count("SELECT count(*) FROM invitations WHERE client_language IS NOT NULL")
            .await,
        1
    );
    // The session is gone: the unlock page has nothing to unlock, and every page asks to
    // sign in.
    assert!(location(&alice.get("/unlock").await).starts_with("/screenings/new"));
    assert!(!signed_in(&alice).await);
    let mut again = app.browser();
    assert_eq!(again.sign_in("alice", PASSWORD).await.status(), 303);
    let list = again.get_html("/invitations").await;
    assert!(list.contains("Arrived"), "the answers wait for her: {list}");
}

async fn sign_out_everywhere_else_ends_the_others_and_keeps_this_one(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let mut alice = app.clinician("alice").await;
    let mut laptop = app.browser();
    assert_eq!(laptop.sign_in("alice", PASSWORD).await.status(), 303);
    let bob = app.clinician("bob").await;

    let page = alice.get_html("/account/password").await;
    assert!(
        page.contains("action=\"/account/sign-out-others\""),
        "{page}"
    );
    assert!(page.contains("Sign out everywhere else"));

    // Without the form's token, or the password: nothing ends.
    let forged = alice
        .post_raw("/account/sign-out-others", &[("others_password", PASSWORD)])
        .await;
    assert_eq!(forged.status(), 403);
    for wrong in ["", "not the password"] {
        let refused = alice
            .post_form("/account/sign-out-others", &[("others_password", wrong)])
            .await;
        assert_eq!(refused.status(), 422, "{wrong:?}");
        let html = refused.text().await.unwrap();
        assert!(html.contains("no session was ended"), "{html}");
        assert!(html.contains("href=\"#others_password\""));
    }
    assert!(signed_in(&laptop).await, "nothing ended yet");
    assert_eq!(app.count_audit("other_sessions_ended").await, 0);

    let before = session_id(&alice);
    let done = alice
        .post_form("/account/sign-out-others", &[("others_password", PASSWORD)])
        .await;
    assert_eq!(done.status(), 200);
    let html = done.text().await.unwrap();
    assert!(html.contains("signed out everywhere else"), "{html}");
    assert!(!signed_in(&laptop).await, "the other browser is signed out");
    assert!(signed_in(&alice).await, "this one carries on");
    assert_ne!(session_id(&alice), before, "under a new session id");
    alice.csrf_token = helpers::csrf_token_in(&html);
    alice.submit(CASUAL_FORM).await;
    assert!(signed_in(&bob).await, "another clinician is untouched");
    assert_eq!(
        app.count(
            "SELECT count(*) FROM audit_events WHERE action = 'other_sessions_ended' \
             AND actor = 'alice' AND subject = 'alice'"
        )
        .await,
        1
    );
    // The ended browser signs in again as usual.
    assert_eq!(laptop.sign_in("alice", PASSWORD).await.status(), 303);
    assert!(signed_in(&laptop).await);
}

async fn an_administrator_ends_a_clinicians_sessions(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let carol = app.admin("carol").await;
    let alice = app.clinician("alice").await;
    let mut phone = app.browser();
    assert_eq!(phone.sign_in("alice", PASSWORD).await.status(), 303);
    let bob = app.clinician("bob").await;

    let page = carol.get_html("/admin/clinicians").await;
    assert!(page.contains("action=\"/admin/clinicians/alice/sign-out\""));
    assert!(page.contains("End sessions of alice"));
    assert!(
        !page.contains("action=\"/admin/clinicians/carol/sign-out\""),
        "not one's own"
    );

    // Not an administrator: no such route. No form token: refused. Unknown: 404.
    let refused = bob.post_form("/admin/clinicians/alice/sign-out", &[]).await;
    assert_eq!(refused.status(), 404);
    let forged = carol
        .post_raw("/admin/clinicians/alice/sign-out", &[])
        .await;
    assert_eq!(forged.status(), 403);
    let unknown = carol
        .post_form("/admin/clinicians/nobody/sign-out", &[])
        .await;
    assert_eq!(unknown.status(), 404);
    let own = carol
        .post_form("/admin/clinicians/carol/sign-out", &[])
        .await;
    assert_eq!(own.status(), 400);
    assert!(
        own.text()
            .await
            .unwrap()
            .contains("Sign out everywhere else")
    );
    assert!(signed_in(&alice).await && signed_in(&phone).await);
    assert_eq!(app.count_audit("sessions_ended").await, 0);

    let ended = carol
        .post_form("/admin/clinicians/alice/sign-out", &[])
        .await;
    assert_eq!(ended.status(), 200);
    assert!(
        ended
            .text()
            .await
            .unwrap()
            .contains("Every session of alice has ended")
    );
    assert!(!signed_in(&alice).await, "alice's browser is signed out");
    assert!(!signed_in(&phone).await, "and her phone");
    assert!(signed_in(&bob).await, "bob is untouched");
    assert!(signed_in(&carol).await, "and so is the administrator");
    assert_eq!(
        app.count(
            "SELECT count(*) FROM audit_events WHERE action = 'sessions_ended' \
             AND actor = 'carol' AND subject = 'alice'"
        )
        .await,
        1
    );
    let audit = carol.get_html("/admin/audit").await;
    assert!(audit.contains("sessions_ended"));
    // Her account still works: she signs in again.
    assert_eq!(phone.sign_in("alice", PASSWORD).await.status(), 303);
    assert!(signed_in(&phone).await);
}

crate::both_engines!(
    a_session_ends_at_its_absolute_lifetime_however_active,
    a_locked_session_ends_too_and_the_clients_answers_still_arrive,
    sign_out_everywhere_else_ends_the_others_and_keeps_this_one,
    an_administrator_ends_a_clinicians_sessions,
);

/// `--session-max-hours`: 12 by default, from 1 to 168; anything else is a clear error.
#[test]
fn the_absolute_lifetime_is_a_flag_with_a_default() {
    assert_eq!(SecurityConfig::default().session_max_secs(), 12 * 3600);
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("screener.db");
    for bad in ["0", "169", "twelve"] {
        let (status, _, stderr) =
            helpers::server::screener(&database, &["serve", "--session-max-hours", bad], "");
        assert_eq!(status, 2, "{bad}: {stderr}");
        assert!(stderr.contains("--session-max-hours"), "{stderr}");
    }
    let (status, stdout, _) = helpers::server::screener(&database, &["serve", "--help"], "");
    assert_eq!(status, 0);
    assert!(stdout.contains("--session-max-hours"));
    assert!(stdout.contains("SCREENER_SESSION_MAX_HOURS"));
    assert!(!stdout.contains("session-max-seconds"), "no such flag");
}
