//! Drafts of an interrupted intake (PRODUCT §6.1) in headless Chromium: a draft saved from the
//! form and resumed from the list, with axe-core finding no WCAG violation, at a phone's and
//! a tablet's width, by keyboard alone, and with JavaScript turned off.
//!
//! Needs Debian's `chromium` and `chromium-driver`; without them these tests fail.

use crate::helpers::{PASSWORD, TestApp};
use crate::webdriver::{Options, Page, answer, browse, control_id, tab_to, tab_to_field};
use fantoccini::key::Key;
use serde_json::json;

const CLINICIAN: &str = "dana.reyes";

/// The intake as far as it got before the interruption.
const PARTIAL: &[(&str, &str)] = &[
    ("q1_concern_expressed", "yes"),
    ("q3_escape", "pornography"),
    ("pattern", "intense_periods"),
    ("secrecy", "on"),
];

/// The rest of it, answered after resuming.
const REST: &[(&str, &str)] = &[
    ("q2_self_concern", "no"),
    ("q4_secrets", "yes"),
    ("q5_others_disturbed", "no"),
    ("q6_shame", "no"),
    ("control", "retained"),
];

async fn app_with_clinician() -> TestApp {
    let app = TestApp::builder().spawn().await;
    app.create_account(CLINICIAN, false).await;
    app
}

async fn sign_in(page: &Page) {
    page.goto("/login").await;
    page.fill("#username", CLINICIAN).await;
    page.fill("#password", PASSWORD).await;
    page.click_and_wait("main button[type=submit]").await;
    assert_eq!(page.path().await, "/screenings/new");
}

async fn is_checked(page: &Page, id: &str) -> bool {
    page.js(
        "return document.getElementById(arguments[0]).checked;",
        vec![json!(id)],
    )
    .await
        == json!(true)
}

/// The resumed form holds the draft's answers, and nothing else.
async fn assert_resumed(page: &Page) {
    let path = page.path().await;
    assert!(
        path.starts_with("/screenings/new?draft="),
        "resumed: {path}"
    );
    for (field, value) in PARTIAL {
        let id = control_id(field, value);
        assert!(
            is_checked(page, &id).await,
            "{id} is filled in from the draft"
        );
    }
    for (field, value) in REST.iter().filter(|(field, _)| *field != "control") {
        let id = control_id(field, value);
        assert!(!is_checked(page, &id).await, "{id} was not answered yet");
    }
    assert!(
        page.text(".notice")
            .await
            .contains("Resumed from your draft")
    );
}

/// axe, no sideways scrolling and 44 px touch targets.
async fn assert_fit(page: &Page, what: &str) {
    page.assert_accessible(what).await;
    page.assert_no_horizontal_scroll(what).await;
    page.assert_touch_targets(what).await;
}

#[tokio::test]
async fn a_draft_is_saved_and_resumed_at_phone_and_tablet_widths_without_axe_violations() {
    let app = app_with_clinician().await;
    browse(&app.address, Options::default(), |page| async move {
        sign_in(&page).await;
        page.assert_accessible("the form with Save as draft").await;
        answer(&page, PARTIAL).await;
        page.click_and_wait("#screening-form button[formaction=\"/drafts\"]")
            .await;
        assert_eq!(page.path().await, "/screenings?saved=draft");
        assert!(page.text("#open-drafts").await.contains("Draft saved"));
        assert!(
            page.text("#open-drafts")
                .await
                .contains("2 of 6 questions, and details"),
            "{}",
            page.text("#open-drafts").await
        );
        for width in [390, 820] {
            page.emulate_touch_screen(width, 900).await;
            page.goto("/screenings?saved=draft").await;
            assert_eq!(page.viewport_width().await, u64::from(width));
            assert_fit(&page, "the list with an open draft").await;
            page.click_and_wait("#open-drafts a[href^=\"/screenings/new?draft=\"]")
                .await;
            assert_resumed(&page).await;
            assert_fit(&page, "the resumed form").await;
            page.goto("/screenings/new?draft=not-a-draft").await;
            assert!(
                page.title()
                    .await
                    .starts_with("This draft is no longer available")
            );
            assert_fit(&page, "the page of a draft no longer available").await;
        }
        page.goto("/screenings").await;
        page.click_and_wait("#open-drafts a[href^=\"/screenings/new?draft=\"]")
            .await;
        answer(&page, REST).await;
        page.click_and_wait("#screening-form button.button-primary")
            .await;
        let result = page.path().await;
        assert!(
            result.starts_with("/screenings/") && !result.contains("new"),
            "scored: {result}"
        );
        page.goto("/screenings").await;
        assert!(
            page.find_all("#open-drafts").await.is_empty(),
            "the draft is gone once saved"
        );
    })
    .await;
}

#[tokio::test]
async fn a_draft_is_saved_resumed_and_discarded_by_keyboard_only() {
    let app = app_with_clinician().await;
    browse(&app.address, Options::default(), |page| async move {
        page.goto("/login").await;
        page.find("#username")
            .await
            .send_keys(CLINICIAN)
            .await
            .expect("type");
        tab_to_field(&page, "password").await;
        page.find("#password")
            .await
            .send_keys(PASSWORD)
            .await
            .expect("type");
        page.press_and_wait(Key::Enter).await;
        assert_eq!(page.path().await, "/screenings/new");

        // Question 1, then interrupted: Save as draft.
        tab_to_field(&page, "q1_concern_expressed").await;
        page.press(Key::Space).await;
        tab_to(
            &page,
            |f| f.tag == "button" && f.text == "Save as draft",
            "Save as draft",
        )
        .await;
        page.press_and_wait(Key::Enter).await;
        assert_eq!(page.path().await, "/screenings?saved=draft");

        // Resumed from the list.
        tab_to(&page, |f| f.tag == "a" && f.text == "Resume", "Resume").await;
        page.press_and_wait(Key::Enter).await;
        assert!(page.path().await.starts_with("/screenings/new?draft="));
        assert!(is_checked(&page, "q1_concern_expressed-yes").await);

        // The rest of the intake, then saved as a screening.
        tab_to_field(&page, "q2_self_concern").await;
        page.press(Key::Space).await;
        tab_to(&page, |f| f.id == "q3_escape-exercise", "exercise").await;
        page.press(Key::Space).await;
        for field in ["q4_secrets", "q5_others_disturbed", "q6_shame"] {
            tab_to_field(&page, field).await;
            page.press(Key::Space).await;
        }
        tab_to(
            &page,
            |f| f.tag == "button" && f.text == "Score and save",
            "Score and save",
        )
        .await;
        page.press_and_wait(Key::Enter).await;
        let result = page.path().await;
        assert!(
            result.starts_with("/screenings/") && !result.contains("new"),
            "scored: {}",
            page.text("main").await
        );

        // Another draft, discarded.
        page.goto("/screenings/new").await;
        tab_to_field(&page, "q6_shame").await;
        page.press(Key::Space).await;
        tab_to(
            &page,
            |f| f.tag == "button" && f.text == "Save as draft",
            "Save as draft",
        )
        .await;
        page.press_and_wait(Key::Enter).await;
        tab_to(
            &page,
            |f| f.tag == "button" && f.text == "Discard",
            "Discard",
        )
        .await;
        page.press_and_wait(Key::Enter).await;
        assert_eq!(page.path().await, "/screenings");
        assert!(page.find_all("#open-drafts").await.is_empty());
    })
    .await;
    assert_eq!(app.count("SELECT count(*) FROM drafts").await, 0);
    assert_eq!(app.count_screenings().await, 1);
}

#[tokio::test]
async fn a_draft_is_saved_resumed_and_discarded_with_javascript_turned_off() {
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
            sign_in(&page).await;
            answer(&page, PARTIAL).await;
            page.click_and_wait("#screening-form button[formaction=\"/drafts\"]")
                .await;
            assert_eq!(page.path().await, "/screenings?saved=draft");
            page.click_and_wait("#open-drafts a[href^=\"/screenings/new?draft=\"]")
                .await;
            assert_eq!(page.path().await.len(), "/screenings/new?draft=".len() + 16);
            for (field, value) in PARTIAL {
                let control = page.find(&format!("#{}", control_id(field, value))).await;
                assert!(
                    control.is_selected().await.expect("selected"),
                    "{field}={value} is filled in"
                );
            }
            // Saved again as a draft, then discarded.
            page.click_and_wait("#screening-form button[formaction=\"/drafts\"]")
                .await;
            assert_eq!(
                page.find_all("#open-drafts li").await.len(),
                1,
                "the same draft"
            );
            page.click_and_wait("#open-drafts button[type=submit]")
                .await;
            assert_eq!(page.path().await, "/screenings");
            assert!(page.find_all("#open-drafts").await.is_empty());
        },
    )
    .await;
    assert_eq!(app.count("SELECT count(*) FROM drafts").await, 0);
}
