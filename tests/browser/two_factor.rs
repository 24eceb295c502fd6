//! Two-factor sign-in in headless Chromium (issue 19): the enrolment page with its QR code, the
//! recovery codes, the removal form and the second step of a sign-in have no axe violation at
//! 390 and 820 px; enrolment and a two-step sign-in work by keyboard alone and with JavaScript
//! turned off. Codes are computed here from the key the page shows, as an authenticator app
//! would.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::helpers::{PASSWORD, TestApp};
use crate::webdriver::{Options, Page, browse, check_at_both_widths, h1, tab_to, tab_to_field};
use fantoccini::key::Key;
use totp_rs::{Algorithm, Secret, TOTP};

/// The clinician who enrols.
const CLINICIAN: &str = "casey";

/// The current TOTP step, after waiting out the last 5 seconds of a step, so that a code typed
/// now reaches the server within its step.
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

/// The code of `step` for the base32 `key`.
fn code(key: &str, step: u64) -> String {
    let secret = Secret::Encoded(key.to_owned()).to_bytes().unwrap();
    TOTP::new(Algorithm::SHA1, 6, 1, 30, secret)
        .unwrap()
        .generate(step * 30)
}

/// An app with one clinician and no browser signed in.
async fn app_with_clinician() -> TestApp {
    let app = TestApp::builder().spawn().await;
    app.create_account(CLINICIAN, false).await;
    app
}

/// The key the enrolment page shows, without its spaces.
async fn shown_key(page: &Page) -> String {
    page.text("code.key").await.replace(' ', "")
}

/// The recovery codes the page shows after enrolment.
async fn shown_recovery_codes(page: &Page) -> Vec<String> {
    let codes = page.texts(".recovery-codes code").await;
    assert_eq!(codes.len(), 10, "ten recovery codes");
    codes
}

/// Checks the page at both widths (axe, sideways scrolling, target sizes).
async fn check(page: &Page, what: &str) {
    let title = h1(page).await;
    check_at_both_widths(page, what, |what| {
        let title = &title;
        async move { assert_eq!(&h1(page).await, title, "{what}: the page changed") }
    })
    .await;
}

/// Types the password step by keyboard; lands on the second step.
async fn password_step_by_keyboard(page: &Page) {
    page.goto("/login").await;
    assert_eq!(page.focused().await.id, "username");
    page.find("#username")
        .await
        .send_keys(CLINICIAN)
        .await
        .expect("type");
    tab_to_field(page, "password").await;
    page.find("#password")
        .await
        .send_keys(PASSWORD)
        .await
        .expect("type");
    page.press_and_wait(Key::Enter).await;
}

#[tokio::test]
async fn enrolment_and_a_two_step_sign_in_by_keyboard_only_and_accessible() {
    let app = app_with_clinician().await;
    browse(&app.address, Options::default(), |page| async move {
        password_step_by_keyboard(&page).await;
        assert_eq!(page.path().await, "/screenings/new", "not enrolled yet");

        page.goto("/account/two-factor").await;
        let qr = page.find("svg.qr").await;
        assert_eq!(
            page.computed_label(&qr).await,
            "QR code for your authenticator app",
            "the QR code has an accessible name"
        );
        check(&page, "the enrolment page").await;
        let key = shown_key(&page).await;

        tab_to_field(&page, "code").await;
        let step = fresh_step().await;
        page.find("#code")
            .await
            .send_keys(&code(&key, step - 1))
            .await
            .expect("type");
        page.press_and_wait(Key::Enter).await;
        let recovery = shown_recovery_codes(&page).await;
        check(&page, "the recovery codes").await;

        page.goto("/account/two-factor").await;
        assert!(page.find_all("#code").await.is_empty(), "enrolled");
        check(&page, "the removal form").await;

        tab_to(&page, |f| f.text == "Sign out", "Sign out").await;
        page.press_and_wait(Key::Enter).await;
        assert_eq!(page.path().await, "/login");

        // A wrong code first: the error is announced and accessible too.
        password_step_by_keyboard(&page).await;
        assert!(
            page.path().await.starts_with("/login/two-factor"),
            "the second step: {}",
            page.path().await
        );
        assert_eq!(page.focused().await.id, "code", "the code field has focus");
        check(&page, "the second step").await;
        let step = fresh_step().await;
        let right = code(&key, step);
        let wrong = if right == "000000" {
            "000001"
        } else {
            "000000"
        };
        page.find("#code")
            .await
            .send_keys(wrong)
            .await
            .expect("type");
        page.press_and_wait(Key::Enter).await;
        assert!(
            page.find("#error-summary")
                .await
                .is_displayed()
                .await
                .unwrap()
        );
        check(&page, "the second step with an error").await;
        tab_to_field(&page, "code").await;
        let step = fresh_step().await;
        page.find("#code")
            .await
            .send_keys(&code(&key, step))
            .await
            .expect("type");
        page.press_and_wait(Key::Enter).await;
        assert_eq!(page.path().await, "/screenings/new", "signed in");

        // A recovery code in place of a TOTP code says how many remain.
        tab_to(&page, |f| f.text == "Sign out", "Sign out").await;
        page.press_and_wait(Key::Enter).await;
        password_step_by_keyboard(&page).await;
        page.find("#code")
            .await
            .send_keys(&recovery[0])
            .await
            .expect("type");
        page.press_and_wait(Key::Enter).await;
        assert_eq!(h1(&page).await, "Signed in with a recovery code");
        assert!(page.text("main").await.contains("9 recovery codes left"));
        check(&page, "the recovery code notice").await;
        tab_to(&page, |f| f.text == "Continue", "Continue").await;
        page.press_and_wait(Key::Enter).await;
        assert_eq!(page.path().await, "/screenings/new");
    })
    .await;
}

#[tokio::test]
async fn enrolment_and_a_two_step_sign_in_with_javascript_turned_off() {
    let app = app_with_clinician().await;
    browse(
        &app.address,
        Options::without_javascript(),
        |page| async move {
            page.client
                .goto("data:text/html,<title>off</title><script>document.title='on'</script>")
                .await
                .expect("data page");
            assert_eq!(page.title().await, "off", "JavaScript is turned off");

            crate::webdriver::sign_in(&page, CLINICIAN, PASSWORD).await;
            page.goto("/account/two-factor").await;
            let key = shown_key(&page).await;
            let step = fresh_step().await;
            page.fill("#code", &code(&key, step - 1)).await;
            page.click_and_wait("main button[type=submit]").await;
            shown_recovery_codes(&page).await;

            page.click_and_wait(".site-header button[type=submit]")
                .await;
            page.goto("/login").await;
            page.fill("#username", CLINICIAN).await;
            page.fill("#password", PASSWORD).await;
            page.click_and_wait("main button[type=submit]").await;
            assert!(
                page.path().await.starts_with("/login/two-factor"),
                "the second step: {}",
                page.path().await
            );
            let step = fresh_step().await;
            page.fill("#code", &code(&key, step)).await;
            page.click_and_wait("main button[type=submit]").await;
            assert_eq!(page.path().await, "/screenings/new", "signed in");
        },
    )
    .await;
}
