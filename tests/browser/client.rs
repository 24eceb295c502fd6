//! The client flows of PRODUCT §6.1 in headless Chromium: the language switch keeping the
//! answers, the expired-while-answering grace path, and the unlock page's way back to the
//! questions. Each is checked with axe (0 violations) at 390 and 820 px, by keyboard only, and
//! with JavaScript turned off.
//!
//! Needs Debian's `chromium` and `chromium-driver`; without them these tests fail.

use std::sync::Arc;

use crate::helpers::{PASSWORD, TestApp};
use crate::webdriver::{
    CLIENT_SEND, Options, Page, answer, assert_checked, browse, check_at_both_widths,
    check_client_page, h1, is_ticked, sign_in, tab_to, tab_to_field,
};
use fantoccini::key::Key;

/// The clinician these tests sign in as.
const CLINICIAN: &str = "robin";

/// The client's answers: two red flags, one question declined.
const CLIENT: &[(&str, &str)] = &[
    ("q1_concern_expressed", "no"),
    ("q2_self_concern", "yes"),
    ("q3_escape", "exercise"),
    ("q3_escape", "pornography"),
    ("q4_secrets", "declined"),
    ("q5_others_disturbed", "no"),
    ("q6_shame", "no"),
];

async fn app() -> Arc<TestApp> {
    let app = TestApp::builder().spawn().await;
    app.create_account(CLINICIAN, false).await;
    Arc::new(app)
}

fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Makes a link for the client's phone from the form page; returns the client's path.
async fn make_link(page: &Page) -> String {
    page.goto("/screenings/new").await;
    page.click_and_wait(".client-answers form:nth-of-type(2) button")
        .await;
    let link = page.text("#client-link").await;
    link.split_once("/c/")
        .map(|(_, token)| format!("/c/{token}"))
        .expect("the link")
}

/// Sets every invitation's expiry this many seconds in the past.
async fn expire_all(app: &TestApp, seconds_ago: i64) {
    app.db
        .execute(&format!(
            "UPDATE invitations SET expiry = {}",
            unix_now() - seconds_ago
        ))
        .await;
}

/// The unlock page at both widths: axe, no sideways scrolling, 44 px targets, and nothing of
/// the clinician's.
async fn check_unlock_page(page: &Page) {
    check_at_both_widths(page, "the unlock page", |what| async move {
        assert!(!page.text("body").await.contains(CLINICIAN), "{what}");
    })
    .await;
}

#[tokio::test]
async fn the_language_switch_keeps_the_answers_by_keyboard() {
    let app = app().await;
    browse(&app.address, Options::default(), |page| async move {
        sign_in(&page, CLINICIAN, PASSWORD).await;
        let client = make_link(&page).await;
        page.goto(&client).await;
        assert_eq!(h1(&page).await, "A few questions from your therapist");
        assert_eq!(page.title().await, "A few questions from your therapist");
        check_client_page(&page, "the questions in English", CLINICIAN).await;

        tab_to_field(&page, "q1_concern_expressed").await;
        page.press(Key::Space).await;
        assert_checked(&page, "q1_concern_expressed", "yes").await;
        // Enter in a question sends the answers (the form's default button), never the
        // language switch: here, the errors of the questions not answered yet.
        page.press_and_wait(Key::Enter).await;
        assert!(page.title().await.contains("A few questions"));
        assert_eq!(h1(&page).await, "A few questions from your therapist");
        assert_eq!(page.find_all("#error-summary li").await.len(), 5);
        assert!(is_ticked(&page, "q1_concern_expressed-yes").await);
        check_client_page(&page, "the questions with errors", CLINICIAN).await;
        tab_to(&page, |f| f.id == "q3_escape-exercise", "exercise").await;
        page.press(Key::Space).await;
        // Back up to the switch, by keyboard, and switch: the answers come along.
        for _ in 0..40 {
            let focused = page.focused().await;
            if focused.tag == "button" && focused.text == "Español" {
                break;
            }
            page.press_with_shift(Key::Tab).await;
        }
        let focused = page.focused().await;
        assert_eq!(
            (focused.tag.as_str(), focused.text.as_str()),
            ("button", "Español")
        );
        assert!(focused.is_visible(), "visible focus on the switch");
        page.press_and_wait(Key::Enter).await;
        assert_eq!(h1(&page).await, "Unas preguntas de su terapeuta");
        assert!(is_ticked(&page, "q1_concern_expressed-yes").await, "kept");
        assert!(is_ticked(&page, "q3_escape-exercise").await, "kept");
        check_client_page(&page, "the questions in Spanish, answers kept", CLINICIAN).await;

        // Finish in Spanish by keyboard.
        tab_to_field(&page, "q2_self_concern").await;
        page.press(Key::Space).await;
        tab_to(&page, |f| f.id == "q3_escape-pornography", "pornography").await;
        page.press(Key::Space).await;
        for field in ["q4_secrets", "q5_others_disturbed", "q6_shame"] {
            tab_to_field(&page, field).await;
            page.press(Key::Right).await;
        }
        tab_to(
            &page,
            |f| f.tag == "button" && f.text == "Enviar mis respuestas",
            "the send button",
        )
        .await;
        page.press_and_wait(Key::Enter).await;
        assert_eq!(h1(&page).await, "Gracias");
        check_client_page(&page, "the thank-you page in Spanish", CLINICIAN).await;
    })
    .await;
}

#[tokio::test]
async fn the_language_switch_keeps_the_answers_without_javascript() {
    let app = app().await;
    browse(
        &app.address,
        Options::without_javascript(),
        |page| async move {
            sign_in(&page, CLINICIAN, PASSWORD).await;
            let client = make_link(&page).await;
            page.goto(&client).await;
            answer(&page, &CLIENT[..4]).await;
            page.click_and_wait(".language-switch button[value=es]")
                .await;
            assert_eq!(h1(&page).await, "Unas preguntas de su terapeuta");
            for (field, value) in &CLIENT[..4] {
                assert!(
                    is_ticked(&page, &format!("{field}-{value}")).await,
                    "{field}={value} kept"
                );
            }
            page.click_and_wait(".language-switch button[value=en]")
                .await;
            assert_eq!(h1(&page).await, "A few questions from your therapist");
            assert!(is_ticked(&page, "q2_self_concern-yes").await);
            answer(&page, &CLIENT[4..]).await;
            page.click_and_wait(CLIENT_SEND).await;
            assert_eq!(h1(&page).await, "Thank you");
        },
    )
    .await;
}

#[tokio::test]
async fn a_form_open_when_the_link_expires_is_still_taken_in_the_grace_period() {
    let app = app().await;
    let shared = app.clone();
    browse(&app.address, Options::default(), |page| async move {
        let app = shared;
        sign_in(&page, CLINICIAN, PASSWORD).await;
        let client = make_link(&page).await;
        page.goto(&client).await;
        // The client answers by keyboard; meanwhile the link expires.
        tab_to_field(&page, "q1_concern_expressed").await;
        page.press(Key::Right).await;
        assert_checked(&page, "q1_concern_expressed", "no").await;
        tab_to_field(&page, "q2_self_concern").await;
        page.press(Key::Space).await;
        tab_to(&page, |f| f.id == "q3_escape-sleep", "sleep").await;
        page.press(Key::Space).await;
        for field in ["q4_secrets", "q5_others_disturbed", "q6_shame"] {
            tab_to_field(&page, field).await;
            page.press(Key::Right).await;
        }
        expire_all(&app, 120).await;
        tab_to(
            &page,
            |f| f.tag == "button" && f.text == "Send my answers",
            "the send button",
        )
        .await;
        page.press_and_wait(Key::Enter).await;
        assert_eq!(h1(&page).await, "Thank you", "taken in the grace period");
        check_client_page(&page, "the thank-you page after the expiry", CLINICIAN).await;

        // Past the grace: the expired page, calm, and nothing kept.
        let late = make_link(&page).await;
        page.goto(&late).await;
        answer(&page, CLIENT).await;
        expire_all(&app, intake_screener::store::EXPIRY_GRACE_SECS + 60).await;
        page.click_and_wait(CLIENT_SEND).await;
        assert_eq!(h1(&page).await, "This link has expired");
        check_client_page(&page, "the expired page", CLINICIAN).await;
        page.goto(&format!("{late}?lang=es")).await;
        assert_eq!(h1(&page).await, "Este enlace venció");
        check_client_page(&page, "the expired page in Spanish", CLINICIAN).await;
        assert_eq!(
            app.count("SELECT count(*) FROM invitations WHERE q1_concern_expressed IS NOT NULL")
                .await,
            1,
            "only the answers sent in time"
        );
    })
    .await;
}

#[tokio::test]
async fn the_grace_period_works_without_javascript() {
    let app = app().await;
    let shared = app.clone();
    browse(
        &app.address,
        Options::without_javascript(),
        |page| async move {
            let app = shared;
            sign_in(&page, CLINICIAN, PASSWORD).await;
            let client = make_link(&page).await;
            page.goto(&client).await;
            answer(&page, CLIENT).await;
            expire_all(&app, 60).await;
            page.click_and_wait(CLIENT_SEND).await;
            assert_eq!(h1(&page).await, "Thank you");
            // A reload after the expiry opens no new form.
            let late = make_link(&page).await;
            expire_all(&app, 60).await;
            page.goto(&late).await;
            assert_eq!(h1(&page).await, "This link has expired");
        },
    )
    .await;
}

#[tokio::test]
async fn the_unlock_page_leads_back_to_the_questions_by_keyboard() {
    let app = app().await;
    browse(&app.address, Options::default(), |page| async move {
        sign_in(&page, CLINICIAN, PASSWORD).await;
        tab_to(
            &page,
            |f| f.tag == "button" && f.text == "Hand this device to the client",
            "the hand-over button",
        )
        .await;
        page.press_and_wait(Key::Enter).await;
        assert!(page.path().await.starts_with("/c/"));
        // The client taps Back and lands on the unlock page.
        page.goto("/screenings/new").await;
        assert_eq!(page.path().await, "/unlock");
        check_unlock_page(&page).await;
        tab_to(
            &page,
            |f| f.tag == "button" && f.text == "Back to the questions",
            "the way back",
        )
        .await;
        page.press_and_wait(Key::Enter).await;
        assert!(page.path().await.starts_with("/c/"));
        assert_eq!(h1(&page).await, "A few questions from your therapist");
        check_client_page(&page, "the questions again", CLINICIAN).await;
        answer(&page, CLIENT).await;
        tab_to(
            &page,
            |f| f.tag == "button" && f.text == "Send my answers",
            "the send button",
        )
        .await;
        page.press_and_wait(Key::Enter).await;
        assert_eq!(h1(&page).await, "Thank you");
        // Answered: the unlock page offers no way back any more.
        page.goto("/unlock").await;
        assert!(
            page.find_all("form[action=\"/unlock/questions\"]")
                .await
                .is_empty()
        );
    })
    .await;
}

#[tokio::test]
async fn the_way_back_and_handing_over_again_work_without_javascript() {
    let app = app().await;
    browse(
        &app.address,
        Options::without_javascript(),
        |page| async move {
            sign_in(&page, CLINICIAN, PASSWORD).await;
            page.click_and_wait(".client-answers form:first-of-type button")
                .await;
            assert!(page.path().await.starts_with("/c/"));
            page.goto("/screenings").await;
            assert_eq!(page.path().await, "/unlock");
            page.click_and_wait("form[action=\"/unlock/questions\"] button")
                .await;
            assert_eq!(h1(&page).await, "A few questions from your therapist");
            // The clinician takes the device back before the client is done…
            page.goto("/unlock").await;
            page.fill("#password", PASSWORD).await;
            page.click_and_wait("form[action=\"/unlock\"] button[type=submit]")
                .await;
            assert!(page.path().await.starts_with("/invitations/"));
            // …and hands it over again.
            page.click_and_wait("form[action$=\"/hand-over\"] button")
                .await;
            assert!(page.path().await.starts_with("/c/"));
            answer(&page, CLIENT).await;
            page.click_and_wait(CLIENT_SEND).await;
            assert_eq!(h1(&page).await, "Thank you");
            page.click_and_wait(".therapist-continue a").await;
            page.fill("#password", PASSWORD).await;
            page.click_and_wait("form[action=\"/unlock\"] button[type=submit]")
                .await;
            assert!(page.path().await.starts_with("/screenings/new?invitation="));
        },
    )
    .await;
}

#[tokio::test]
async fn the_invitation_page_reloads_while_waiting_and_copies_the_link() {
    let app = app().await;
    browse(&app.address, Options::default(), |page| async move {
        sign_in(&page, CLINICIAN, PASSWORD).await;
        make_link(&page).await;
        page.assert_accessible("the waiting invitation").await;
        assert!(
            page.text("#loopback-warning")
                .await
                .contains("--public-url")
        );
        assert!(
            page.find("#copy-link")
                .await
                .is_displayed()
                .await
                .expect("shown")
        );
        // It reloads itself while waiting…
        page.js("window.notReloaded = true; return null;", vec![])
            .await;
        tokio::time::sleep(std::time::Duration::from_secs(12)).await;
        assert_eq!(
            page.js("return window.notReloaded === true;", vec![]).await,
            serde_json::json!(false),
            "reloaded"
        );
        // …until told to stop.
        tab_to(&page, |f| f.id == "stop-refresh", "Stop reloading").await;
        page.press(Key::Enter).await;
        assert!(page.text("#waiting").await.contains("Reloading stopped"));
        page.js("window.notReloaded = true; return null;", vec![])
            .await;
        tokio::time::sleep(std::time::Duration::from_secs(12)).await;
        assert_eq!(
            page.js("return window.notReloaded === true;", vec![]).await,
            serde_json::json!(true),
            "stopped"
        );
        page.assert_accessible("the invitation, reloading stopped")
            .await;
    })
    .await;
    browse(
        &app.address,
        Options::without_javascript(),
        |page| async move {
            sign_in(&page, CLINICIAN, PASSWORD).await;
            make_link(&page).await;
            assert!(
                page.text("#waiting")
                    .await
                    .contains("Reload this page to see whether they have arrived.")
            );
            for script_only in ["#copy-link", "#stop-refresh"] {
                assert!(
                    !page
                        .find(script_only)
                        .await
                        .is_displayed()
                        .await
                        .expect("hidden"),
                    "{script_only} is hidden without JavaScript"
                );
            }
            assert!(page.text("#client-link").await.contains("/c/"));
        },
    )
    .await;
}

/// Issue 17, break 8: after a link is made and shown, and the device is handed over and
/// answered on, Chromium's own history holds no client token, and no script can read one
/// (the cookies that carry it are HttpOnly).
#[tokio::test]
async fn the_browser_history_holds_no_client_token() {
    let app = app().await;
    browse(&app.address, Options::default(), |page| async move {
        sign_in(&page, CLINICIAN, PASSWORD).await;
        let client = make_link(&page).await;
        let token = client.trim_start_matches("/c/").to_owned();
        assert_eq!(token.len(), 32, "{client}");
        let invitation = page.path().await;
        assert!(!invitation.contains('?'), "{invitation}");
        // A reload still shows the link: it comes by the page's own cookie.
        page.goto(&invitation).await;
        assert!(page.text("#client-link").await.ends_with(&client));
        let cookies = page.js("return document.cookie;", vec![]).await;
        assert!(!cookies.to_string().contains(&token), "{cookies}");

        page.goto("/screenings/new").await;
        tab_to(
            &page,
            |f| f.tag == "button" && f.text == "Hand this device to the client",
            "the hand-over button",
        )
        .await;
        page.press_and_wait(Key::Enter).await;
        assert_eq!(page.path().await, "/c/here");
        let cookies = page.js("return document.cookie;", vec![]).await;
        assert!(
            !cookies.to_string().contains("screener_device"),
            "{cookies}"
        );
        answer(&page, CLIENT).await;
        page.click_and_wait(CLIENT_SEND).await;
        assert_eq!(h1(&page).await, "Thank you");
        page.click_and_wait(".therapist-continue a").await;
        page.fill("#password", PASSWORD).await;
        page.click_and_wait("form[action=\"/unlock\"] button[type=submit]")
            .await;
        assert!(page.path().await.starts_with("/screenings/new?invitation="));

        let history = page
            .cdp("Page.getNavigationHistory", serde_json::json!({}))
            .await;
        let urls: Vec<String> = history["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .map(|entry| entry["url"].as_str().unwrap_or_default().to_owned())
            .collect();
        assert!(urls.len() >= 8, "{urls:?}");
        for url in &urls {
            assert!(!url.contains(&token), "the link's token in history: {url}");
            assert!(!url.contains("token="), "{url}");
            if let Some((_, rest)) = url.split_once("/c/") {
                assert_eq!(rest, "here", "only the token-less address: {url}");
            }
        }
    })
    .await;
}
