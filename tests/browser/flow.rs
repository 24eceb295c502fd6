//! End-to-end tests in headless Chromium: the whole flow, accessibility (axe-core and what axe
//! cannot see), keyboard only, phone and tablet widths, and JavaScript turned off.
//!
//! Needs Debian's `chromium` and `chromium-driver`; without them these tests fail.

use crate::helpers::{EXAMPLE_FORM, PASSWORD, TestApp};
use crate::webdriver::{
    CLIENT_SEND, Options, Page, answer, assert_checked, browse, control_id, h1, tab_to,
    tab_to_field,
};
use fantoccini::key::Key;
use serde_json::json;

/// The administrator most tests sign in as.
const ADMIN: &str = "avery";

/// The casual screening of the HTTP tests, as form pairs.
const CASUAL: &[(&str, &str)] = crate::helpers::CASUAL_FORM;

/// What a page of [`SIGNED_IN_PAGES`] must be.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// A page of the app.
    Page,
    /// The Not found page itself.
    NotFound,
}

/// Every page a signed-in administrator sees, for axe, focus and the size checks: its path
/// (`{result}` is a stored result's), what it is, and what it must be.
const SIGNED_IN_PAGES: &[(&str, &str, Expect)] = &[
    ("/screenings/new", "the form", Expect::Page),
    ("{result}", "a result", Expect::Page),
    ("{result}/delete", "the delete confirmation", Expect::Page),
    ("/screenings", "the list", Expect::Page),
    (
        "/screenings?band=at_risk",
        "the filtered list",
        Expect::Page,
    ),
    ("/account/password", "the password page", Expect::Page),
    ("/admin/clinicians", "the clinicians page", Expect::Page),
    ("/admin/audit", "the audit log", Expect::Page),
    (
        "/screenings/AAAA-AAAA",
        "the not-found page",
        Expect::NotFound,
    ),
    ("/dashboard", "the dashboard", Expect::Page),
    ("/invitations", "the clients answering", Expect::Page),
];

async fn submit_screening(page: &Page) {
    page.click_and_wait("#screening-form button[type=submit]")
        .await;
}

/// Submits the form, which must be accepted; returns the result's path.
async fn submit_valid_screening(page: &Page) -> String {
    submit_screening(page).await;
    let path = page.path().await;
    if path == "/screenings" {
        panic!(
            "the screening was refused: {}",
            page.text("#error-summary").await
        );
    }
    path
}

async fn sign_in(page: &Page, name: &str) {
    crate::webdriver::sign_in(page, name, PASSWORD).await;
}

async fn sign_out(page: &Page) {
    page.click_and_wait(".site-header button[type=submit]")
        .await;
    assert_eq!(page.path().await, "/login", "sign-out lands on sign-in");
}

/// An app with an administrator account and no browser signed in yet.
async fn app_with_admin() -> TestApp {
    let app = TestApp::builder().spawn().await;
    app.create_account(ADMIN, true).await;
    app
}

/// Stores the example (at-risk) and a casual screening through the form; returns the at-risk
/// result's path.
async fn store_two_results(page: &Page) -> String {
    page.goto("/screenings/new").await;
    answer(page, CASUAL).await;
    submit_valid_screening(page).await;
    page.goto("/screenings/new").await;
    answer(page, EXAMPLE_FORM).await;
    submit_valid_screening(page).await
}

/// Opens each page of [`SIGNED_IN_PAGES`] in turn and runs `check` on it.
async fn for_each_signed_in_page<F, Fut>(page: &Page, result: &str, check: F)
where
    F: Fn(Page, &'static str) -> Fut,
    Fut: Future<Output = ()>,
{
    for &(path, what, expect) in SIGNED_IN_PAGES {
        page.goto(&path.replace("{result}", result)).await;
        let not_found = page.title().await.starts_with("Not found");
        assert_eq!(
            not_found,
            expect == Expect::NotFound,
            "{what} ({path}) answered {}",
            page.title().await
        );
        check(page.clone(), what).await;
    }
}

/// Submits the empty form and checks the error page: the summary at the top holds focus and
/// links to a control of each question in error.
async fn submit_empty_form_and_check_errors(page: &Page) {
    page.goto("/screenings/new").await;
    submit_screening(page).await;
    assert_eq!(
        page.title().await,
        "Please correct the screening · Intake Screener"
    );
    let focused = page.focused().await;
    assert_eq!(
        focused.id, "error-summary",
        "focus after a failed submit: {focused:?}"
    );
    let links = page
        .js(
            r#"
            return [...document.querySelectorAll('#error-summary a')].map(a => {
                const target = document.getElementById(a.getAttribute('href').slice(1));
                const fieldset = target && target.closest('fieldset');
                return {
                    text: a.textContent.trim(),
                    target: target ? target.tagName.toLowerCase() : null,
                    in_error: !!fieldset && fieldset.classList.contains('has-error'),
                    described: !!fieldset && !!document.getElementById(fieldset.getAttribute('aria-describedby')),
                };
            });
            "#,
            vec![],
        )
        .await;
    let links = links.as_array().expect("links");
    assert_eq!(
        links.len(),
        6,
        "one link per unanswered question: {links:?}"
    );
    for link in links {
        assert_eq!(link["target"], "input", "{link}");
        assert_eq!(link["in_error"], true, "{link}");
        assert_eq!(link["described"], true, "{link}");
    }
    let summary_first = page
        .js(
            r#"
            const summary = document.getElementById('error-summary');
            const form = document.getElementById('screening-form');
            return !!(summary.compareDocumentPosition(form) & Node.DOCUMENT_POSITION_FOLLOWING);
            "#,
            vec![],
        )
        .await;
    assert_eq!(summary_first, true, "the summary comes before the form");
}

#[tokio::test]
async fn first_run_to_sign_out() {
    let app = TestApp::builder().spawn().await;
    let token = app
        .setup_token
        .clone()
        .expect("a new app has a setup token");
    browse(&app.address, Options::default(), |page| async move {
        page.goto("/login").await;
        assert_eq!(h1(&page).await, "Set up first");

        page.goto(&format!("/setup?token={token}")).await;
        page.assert_accessible("the setup page").await;
        page.fill("#username", "first.admin").await;
        page.fill("#password", PASSWORD).await;
        page.fill("#password_confirm", "a different password").await;
        page.click_and_wait("main button[type=submit]").await;
        assert_eq!(page.focused().await.id, "error-summary");
        page.click("#error-summary a[href=\"#password\"]").await;
        assert_eq!(page.focused().await.id, "password", "the link leads to the field");
        page.assert_accessible("the setup page with an error").await;
        page.fill("#password", PASSWORD).await;
        page.fill("#password_confirm", PASSWORD).await;
        page.click_and_wait("main button[type=submit]").await;
        assert_eq!(page.path().await, "/screenings/new", "setup signs in");
        assert_eq!(h1(&page).await, "New screening");

        submit_empty_form_and_check_errors(&page).await;
        page.assert_accessible("the form with errors").await;

        answer(&page, &EXAMPLE_FORM[..3]).await;
        submit_screening(&page).await;
        assert_eq!(page.find_all("#error-summary li").await.len(), 3);
        for (field, value) in &EXAMPLE_FORM[..3] {
            let control = page.find(&format!("#{}", control_id(field, value))).await;
            assert!(
                control.is_selected().await.expect("selected"),
                "{field}={value} is kept after a failed submit"
            );
        }
        answer(&page, &EXAMPLE_FORM[3..]).await;
        let result = submit_valid_screening(&page).await;
        assert_eq!(
            page.text("#band-title .badge").await,
            "Level: at-risk use (Weiss 2015)"
        );
        assert!(page.text(".disclaimer").await.contains("not a diagnosis"));

        page.cdp("Emulation.setEmulatedMedia", json!({ "media": "print" }))
            .await;
        let print = page
            .js(
                r#"
                const shown = sel => getComputedStyle(document.querySelector(sel)).display !== 'none';
                return {
                    print: matchMedia('print').matches,
                    navigation: shown('.site-header'),
                    actions: shown('.no-print'),
                    band: shown('.band-box') && document.querySelector('#band-title .badge').innerText,
                    answers: shown('.answers'),
                    reasons: shown('.reasons'),
                    next_steps: shown('.next-steps'),
                    disclaimer: shown('.disclaimer'),
                };
                "#,
                vec![],
            )
            .await;
        page.cdp("Emulation.setEmulatedMedia", json!({ "media": "" }))
            .await;
        assert_eq!(
            print,
            json!({ "print": true, "navigation": false, "actions": false, "band": "Level: at-risk use (Weiss 2015)",
                    "answers": false, "reasons": true, "next_steps": true, "disclaimer": true }),
            "the print view shows the summary for the chart (the answers table is left out to \
             keep it to one page), without navigation or buttons"
        );

        page.goto("/screenings/new").await;
        answer(&page, CASUAL).await;
        submit_valid_screening(&page).await;
        assert_eq!(
            page.text("#band-title .badge").await,
            "Level: casual use (Weiss 2015)"
        );

        page.click_and_wait(".site-header a[href=\"/screenings\"]").await;
        assert_eq!(page.find_all("table.results tbody tr").await.len(), 2);
        page.click_and_wait(".filters a[href=\"/screenings?band=at_risk\"]").await;
        assert_eq!(page.path().await, "/screenings?band=at_risk");
        assert_eq!(
            page.texts("table.results .badge").await,
            ["At-risk"],
            "the filter keeps only at-risk results"
        );
        assert_eq!(page.text(".filters a[aria-current=page]").await, "At-risk");
        page.click_and_wait(&format!("table.results a[href=\"{result}\"]"))
            .await;
        assert_eq!(page.path().await, result);

        page.click_and_wait(".site-header a[href=\"/dashboard\"]").await;
        assert_eq!(page.path().await, "/dashboard");
        assert_eq!(
            page.find_all("svg[role=img] > title").await.len(),
            2,
            "two charts, each with a title"
        );
        page.goto("/screenings").await;

        sign_out(&page).await;
        page.goto("/screenings").await;
        assert!(
            page.path().await.starts_with("/login"),
            "signed out: the list asks to sign in"
        );
        page.fill("#username", "first.admin").await;
        page.fill("#password", "not the password").await;
        page.click_and_wait("main button[type=submit]").await;
        assert_eq!(page.focused().await.id, "error-summary");
        page.assert_accessible("the sign-in page with an error")
            .await;
    })
    .await;
}

#[tokio::test]
async fn axe_finds_no_wcag_violations() {
    let app = app_with_admin().await;
    browse(&app.address, Options::default(), |page| async move {
        page.goto("/login").await;
        page.assert_accessible("the sign-in page").await;
        sign_in(&page, ADMIN).await;
        let result = store_two_results(&page).await;
        for_each_signed_in_page(&page, &result, |page, what| async move {
            page.assert_accessible(what).await;
        })
        .await;
        submit_empty_form_and_check_errors(&page).await;
        page.assert_accessible("the form with errors").await;
    })
    .await;
}

#[tokio::test]
async fn screen_readers_get_groups_names_and_words() {
    let app = app_with_admin().await;
    browse(&app.address, Options::default(), |page| async move {
        sign_in(&page, ADMIN).await;
        let fieldsets = page
            .js(
                r#"
                return [...document.querySelectorAll('#screening-form fieldset')].map(f => {
                    const legend = f.querySelector(':scope > legend');
                    return legend ? legend.textContent.trim() : '';
                });
                "#,
                vec![],
            )
            .await;
        let fieldsets = fieldsets.as_array().expect("fieldsets");
        assert_eq!(fieldsets.len(), 9, "six questions and three details");
        assert!(
            fieldsets.iter().all(|legend| legend.as_str() != Some("")),
            "every question has a legend: {fieldsets:?}"
        );

        // Unfold what is folded (the re-screen field): its label is read once it is open.
        page.js(
            "document.querySelectorAll('#screening-form details').forEach(d => d.open = true);",
            vec![],
        )
        .await;
        for control in page
            .find_all("#screening-form input:not([type=hidden])")
            .await
        {
            let id = control.attr("id").await.expect("id").expect("an id");
            let label = page
                .text(&format!("label[for=\"{id}\"]"))
                .await
                .trim()
                .to_owned();
            let name = page.computed_label(&control).await;
            assert!(!label.is_empty(), "#{id} has a visible label");
            assert_eq!(
                name, label,
                "#{id}: a screen reader reads the visible label, once, and nothing else"
            );
        }

        let result = store_two_results(&page).await;
        page.goto(&result).await;
        assert_eq!(
            page.text(".band-box .badge").await,
            "Level: at-risk use (Weiss 2015)"
        );
        page.goto("/screenings").await;
        assert_eq!(
            page.texts("table.results .badge").await,
            ["At-risk", "Casual"],
            "each band is a word"
        );
    })
    .await;
}

/// Tabs through every stop of the page, round to where it started, asserting a visible focus
/// indicator on each; returns how many stops there are.
async fn tab_round(page: &Page, what: &str) -> usize {
    let key = |f: &crate::webdriver::Focused| {
        format!("{} #{} {} {} {}", f.tag, f.id, f.name, f.value, f.text)
    };
    let mut seen = Vec::new();
    for _ in 0..300 {
        page.press(Key::Tab).await;
        let focused = page.focused().await;
        if focused.tag == "body" {
            continue;
        }
        if seen.first() == Some(&key(&focused)) {
            return seen.len();
        }
        assert!(
            focused.is_visible(),
            "{what}: focus is not visible on {focused:?}"
        );
        seen.push(key(&focused));
    }
    panic!("{what}: Tab never came round to the first stop: {seen:?}");
}

#[tokio::test]
async fn every_control_shows_visible_focus() {
    let app = app_with_admin().await;
    browse(&app.address, Options::default(), |page| async move {
        page.goto("/login").await;
        assert!(tab_round(&page, "the sign-in page").await >= 5);
        sign_in(&page, ADMIN).await;
        let result = store_two_results(&page).await;
        for_each_signed_in_page(&page, &result, |page, what| async move {
            assert!(tab_round(&page, what).await >= 3, "{what} has its controls");
        })
        .await;
        submit_empty_form_and_check_errors(&page).await;
        let stops = tab_round(&page, "the form with errors").await;
        assert!(stops > 40, "every control of the form is a stop: {stops}");
    })
    .await;
}

/// The axe check reports what it finds: a page with known faults fails it.
#[tokio::test]
async fn axe_reports_a_page_with_known_faults() {
    browse("", Options::default(), |page| async move {
        page.client
            .goto("data:text/html,<title>faulty</title><img src=x><button></button>")
            .await
            .expect("data page");
        let violations = page.axe_violations().await;
        for rule in ["html-has-lang", "image-alt", "button-name"] {
            assert!(
                violations.iter().any(|v| v.starts_with(rule)),
                "axe missed {rule}: {violations:?}"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn keyboard_only_flow() {
    let app = app_with_admin().await;
    browse(&app.address, Options::default(), |page| async move {
        page.goto("/login").await;
        assert_eq!(
            page.focused().await.id,
            "username",
            "sign-in starts in the username"
        );
        page.find("#username")
            .await
            .send_keys(ADMIN)
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

        // Tab from the top of the page to the submit button: every stop shows focus.
        let mut stops = 0;
        tab_to(
            &page,
            |f| {
                stops += 1;
                f.tag == "button" && f.text == "Score and save"
            },
            "the submit button",
        )
        .await;
        assert!(stops > 20, "every question is on the way: {stops} stops");

        // Enter on the empty form: focus goes to the error summary; its first link leads to
        // question 1.
        page.press_and_wait(Key::Enter).await;
        assert_eq!(page.focused().await.id, "error-summary");
        tab_to(&page, |f| f.tag == "a", "the first error link").await;
        page.press(Key::Enter).await;
        let focused = page.focused().await;
        assert_eq!(
            focused.id, "q1_concern_expressed-yes",
            "the error link moves focus to question 1"
        );

        // Answer with Space and the arrow keys, as the example screening.
        page.press(Key::Space).await;
        assert_checked(&page, "q1_concern_expressed", "yes").await;
        tab_to_field(&page, "q2_self_concern").await;
        page.press(Key::Down).await;
        assert_checked(&page, "q2_self_concern", "no").await;
        tab_to(&page, |f| f.id == "q3_escape-pornography", "pornography").await;
        page.press(Key::Space).await;
        assert_checked(&page, "q3_escape", "pornography").await;
        tab_to(&page, |f| f.id == "q3_escape-exercise", "exercise").await;
        page.press(Key::Space).await;
        assert_checked(&page, "q3_escape", "exercise").await;
        tab_to_field(&page, "q4_secrets").await;
        page.press(Key::Space).await;
        assert_checked(&page, "q4_secrets", "yes").await;
        tab_to_field(&page, "q5_others_disturbed").await;
        page.press(Key::Right).await;
        page.press(Key::Right).await;
        assert_checked(&page, "q5_others_disturbed", "declined").await;
        tab_to_field(&page, "q6_shame").await;
        page.press(Key::Right).await;
        assert_checked(&page, "q6_shame", "no").await;
        tab_to_field(&page, "pattern").await;
        page.press(Key::Down).await;
        page.press(Key::Down).await;
        page.press(Key::Down).await;
        assert_checked(&page, "pattern", "intense_periods").await;
        tab_to_field(&page, "control").await;
        page.press(Key::Down).await;
        assert_checked(&page, "control", "retained").await;
        tab_to_field(&page, "escape_use").await;
        page.press(Key::Space).await;
        assert_checked(&page, "escape_use", "on").await;
        tab_to_field(&page, "secrecy").await;
        page.press(Key::Space).await;
        assert_checked(&page, "secrecy", "on").await;
        tab_to(
            &page,
            |f| f.tag == "button" && f.text == "Score and save",
            "the submit button",
        )
        .await;
        page.press_and_wait(Key::Enter).await;

        let result = page.path().await;
        assert!(result.starts_with("/screenings/"), "scored: {result}");
        assert_eq!(
            page.text("#band-title .badge").await,
            "Level: at-risk use (Weiss 2015)"
        );

        // To the list and its filter, then sign out, by keyboard.
        tab_to(&page, |f| f.text == "Results", "the Results link").await;
        page.press_and_wait(Key::Enter).await;
        assert_eq!(page.path().await, "/screenings");
        tab_to(&page, |f| f.text == "At-risk", "the at-risk filter").await;
        page.press_and_wait(Key::Enter).await;
        assert_eq!(page.path().await, "/screenings?band=at_risk");
        tab_to(&page, |f| f.text == "Sign out", "Sign out").await;
        page.press_and_wait(Key::Enter).await;
        assert_eq!(page.path().await, "/login");
    })
    .await;
}

#[tokio::test]
async fn phone_and_tablet_widths() {
    let app = app_with_admin().await;
    browse(&app.address, Options::default(), |page| async move {
        sign_in(&page, ADMIN).await;
        let result = store_two_results(&page).await;
        sign_out(&page).await;
        for width in [390, 820] {
            page.emulate_touch_screen(width, 900).await;
            page.goto("/login").await;
            assert_eq!(page.viewport_width().await, u64::from(width));
            page.assert_no_horizontal_scroll("the sign-in page").await;
            page.assert_touch_targets("the sign-in page").await;
            sign_in(&page, ADMIN).await;
            for_each_signed_in_page(&page, &result, |page, what| async move {
                page.assert_no_horizontal_scroll(what).await;
                page.assert_touch_targets(what).await;
            })
            .await;
            submit_empty_form_and_check_errors(&page).await;
            page.assert_no_horizontal_scroll("the form with errors")
                .await;
            page.assert_touch_targets("the form with errors").await;
            sign_out(&page).await;
        }
    })
    .await;
}

#[tokio::test]
async fn works_with_javascript_turned_off() {
    let app = TestApp::builder().spawn().await;
    let token = app.setup_token.clone().expect("setup token");
    browse(
        &app.address,
        Options::without_javascript(),
        |page| async move {
            page.client
                .goto("data:text/html,<title>off</title><script>document.title='on'</script>")
                .await
                .expect("data page");
            assert_eq!(page.title().await, "off", "JavaScript is turned off");

            page.goto(&format!("/setup?token={token}")).await;
            page.fill("#username", "first.admin").await;
            page.fill("#password", PASSWORD).await;
            page.fill("#password_confirm", PASSWORD).await;
            page.click_and_wait("main button[type=submit]").await;
            assert_eq!(page.path().await, "/screenings/new");

            submit_screening(&page).await;
            assert_eq!(page.find_all("#error-summary li").await.len(), 6);
            page.click("#error-summary a[href=\"#q1_concern_expressed-yes\"]")
                .await;
            answer(&page, EXAMPLE_FORM).await;
            page.click("details.levels summary").await;
            assert!(
                page.find("details.levels dl")
                    .await
                    .is_displayed()
                    .await
                    .expect("displayed"),
                "the levels open without JavaScript"
            );
            let result = submit_valid_screening(&page).await;
            assert_eq!(
                page.text("#band-title .badge").await,
                "Level: at-risk use (Weiss 2015)"
            );

            page.click_and_wait(".site-header a[href=\"/screenings\"]")
                .await;
            page.click_and_wait(".filters a[href=\"/screenings?band=casual\"]")
                .await;
            assert!(page.text("main").await.contains("No results yet"));
            page.click_and_wait(".filters a[href=\"/screenings?band=at_risk\"]")
                .await;
            page.click_and_wait(&format!("table.results a[href=\"{result}\"]"))
                .await;
            assert_eq!(page.path().await, result);

            sign_out(&page).await;
            sign_in(&page, "first.admin").await;
            sign_out(&page).await;
        },
    )
    .await;
}

/// The client's answers in the browser tests: two red flags, one question declined.
const CLIENT: &[(&str, &str)] = &[
    ("q1_concern_expressed", "no"),
    ("q2_self_concern", "yes"),
    ("q3_escape", "exercise"),
    ("q3_escape", "pornography"),
    ("q4_secrets", "declined"),
    ("q5_others_disturbed", "no"),
    ("q6_shame", "no"),
];

/// Checks the client view at a phone's and a tablet's width (see the shared helper).
async fn check_client_page(page: &Page, what: &str) {
    crate::webdriver::check_client_page(page, what, ADMIN).await;
}

#[tokio::test]
async fn a_client_answers_on_their_phone_by_link() {
    let app = app_with_admin().await;
    browse(&app.address, Options::default(), |page| async move {
        sign_in(&page, ADMIN).await;
        // Handing the device over by mistake: unlocking before the client answered leads to
        // the invitation, which waits.
        page.click_and_wait(".client-answers form:first-of-type button")
            .await;
        assert!(page.path().await.starts_with("/c/"));
        page.goto("/unlock").await;
        page.fill("#password", PASSWORD).await;
        page.click_and_wait("form[action=\"/unlock\"] button[type=submit]")
            .await;
        assert!(page.path().await.starts_with("/invitations/"));
        assert!(page.text("main").await.contains("Waiting for the client"));

        // A link for the client's phone.
        page.goto("/screenings/new").await;
        page.click_and_wait(".client-answers form:nth-of-type(2) button")
            .await;
        assert!(page.path().await.starts_with("/invitations/"));
        // The page reloads itself while it waits; the checks below stop that first.
        assert!(
            page.find("#copy-link")
                .await
                .is_displayed()
                .await
                .expect("shown")
        );
        page.click("#stop-refresh").await;
        assert!(page.text("#waiting").await.contains("Reloading stopped"));
        assert_eq!(
            page.find_all("svg[role=img][aria-label]").await.len(),
            1,
            "a QR code with a name"
        );
        page.assert_accessible("the invitation with its link").await;
        for width in [390, 820] {
            page.emulate_touch_screen(width, 900).await;
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            page.assert_no_horizontal_scroll("the invitation with its link")
                .await;
            page.assert_touch_targets("the invitation with its link")
                .await;
        }
        page.cdp("Emulation.clearDeviceMetricsOverride", json!({}))
            .await;
        let words = page.text("h1").await;
        let link = page.text("#client-link").await;
        let invitation = page.path().await;
        let invitation = invitation.split('?').next().unwrap_or_default().to_owned();
        let client_path = link
            .split_once("/c/")
            .map(|(_, token)| format!("/c/{token}"))
            .expect("the link");

        // The client's phone (the same browser stands in for it).
        page.goto(&client_path).await;
        assert_eq!(h1(&page).await, "A few questions from your therapist");
        check_client_page(&page, "the client view in English").await;
        page.click_and_wait(".language-switch button[value=es]")
            .await;
        assert_eq!(h1(&page).await, "Unas preguntas de su terapeuta");
        check_client_page(&page, "the client view in Spanish").await;

        // Sending it half answered: the errors, in Spanish, beside their questions.
        answer(&page, &CLIENT[..2]).await;
        page.click_and_wait(CLIENT_SEND).await;
        assert_eq!(page.focused().await.id, "error-summary");
        assert_eq!(page.find_all("#error-summary li").await.len(), 4);
        check_client_page(&page, "the Spanish client view with errors").await;
        assert!(
            page.find("#q2_self_concern-yes")
                .await
                .is_selected()
                .await
                .expect("selected"),
            "kept"
        );
        answer(&page, &CLIENT[2..]).await;
        page.click_and_wait(CLIENT_SEND).await;
        assert_eq!(h1(&page).await, "Gracias");
        assert_eq!(page.text("#match-words").await, words);
        check_client_page(&page, "the thank-you page").await;

        // The clinician's reload shows the answers; the form opens with them.
        page.goto(&invitation).await;
        page.click_and_wait("a.button-primary").await;
        assert!(page.path().await.starts_with("/screenings/new?invitation="));
        page.assert_accessible("the form with the client's answers")
            .await;
        assert_eq!(page.find_all(".client-answer").await.len(), 6);
        for (field, value) in CLIENT {
            let control = page.find(&format!("#{}", control_id(field, value))).await;
            assert!(
                control.is_selected().await.expect("selected"),
                "{field}={value}"
            );
        }
        answer(&page, &[("pattern", "occasional"), ("control", "retained")]).await;
        submit_valid_screening(&page).await;
        let meta = page.text(".administration").await;
        assert!(
            meta.contains("by link") && meta.contains("Spanish"),
            "{meta}"
        );
        page.assert_accessible("a result the client answered").await;
        page.goto(&client_path).await;
        assert_eq!(h1(&page).await, "This link has already been used");
        page.assert_accessible("the 410 page").await;
    })
    .await;
}

#[tokio::test]
async fn a_client_answers_on_the_handed_over_device_by_keyboard_only() {
    let app = app_with_admin().await;
    browse(&app.address, Options::default(), |page| async move {
        sign_in(&page, ADMIN).await;
        tab_to(
            &page,
            |f| f.tag == "button" && f.text == "Hand this device to the client",
            "the hand-over button",
        )
        .await;
        page.press_and_wait(Key::Enter).await;
        assert!(page.path().await.starts_with("/c/"));
        let client_path = page.path().await;

        // Locked: the clinician's pages are out of reach.
        page.goto("/screenings").await;
        assert_eq!(page.path().await, "/unlock");
        page.goto(&client_path).await;

        tab_to_field(&page, "q1_concern_expressed").await;
        page.press(Key::Right).await;
        assert_checked(&page, "q1_concern_expressed", "no").await;
        tab_to_field(&page, "q2_self_concern").await;
        page.press(Key::Space).await;
        assert_checked(&page, "q2_self_concern", "yes").await;
        tab_to(&page, |f| f.id == "q3_escape-exercise", "exercise").await;
        page.press(Key::Space).await;
        tab_to(&page, |f| f.id == "q3_escape-pornography", "pornography").await;
        page.press(Key::Space).await;
        assert_checked(&page, "q3_escape", "pornography").await;
        tab_to_field(&page, "q4_secrets").await;
        page.press(Key::Right).await;
        page.press(Key::Right).await;
        assert_checked(&page, "q4_secrets", "declined").await;
        tab_to_field(&page, "q5_others_disturbed").await;
        page.press(Key::Right).await;
        assert_checked(&page, "q5_others_disturbed", "no").await;
        tab_to_field(&page, "q6_shame").await;
        page.press(Key::Right).await;
        assert_checked(&page, "q6_shame", "no").await;
        tab_to(
            &page,
            |f| f.tag == "button" && f.text == "Send my answers",
            "the send button",
        )
        .await;
        page.press_and_wait(Key::Enter).await;
        assert_eq!(h1(&page).await, "Thank you");
        assert!(page.text("main").await.contains("hand the device back"));

        tab_to(&page, |f| f.tag == "a", "the way back for the clinician").await;
        page.press_and_wait(Key::Enter).await;
        assert_eq!(page.path().await, "/unlock");
        page.assert_accessible("the unlock page").await;
        assert_eq!(page.focused().await.id, "password");
        page.find("#password")
            .await
            .send_keys(PASSWORD)
            .await
            .expect("type");
        page.press_and_wait(Key::Enter).await;
        assert!(page.path().await.starts_with("/screenings/new?invitation="));
        assert!(
            page.find("#q2_self_concern-yes")
                .await
                .is_selected()
                .await
                .expect("selected")
        );
        submit_valid_screening(&page).await;
        assert!(
            page.text(".administration")
                .await
                .contains("on the clinician")
        );
    })
    .await;
}

#[tokio::test]
async fn both_ways_work_with_javascript_turned_off() {
    let app = app_with_admin().await;
    browse(
        &app.address,
        Options::without_javascript(),
        |page| async move {
            sign_in(&page, ADMIN).await;
            // Hand the device over, answer, unlock, save.
            page.click_and_wait(".client-answers form:first-of-type button")
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
            submit_valid_screening(&page).await;

            // A link, in Spanish, with a refused first try.
            page.goto("/invitations").await;
            page.click_and_wait(".client-answers form:nth-of-type(2) button")
                .await;
            let invitation = page.path().await;
            let invitation = invitation.split('?').next().unwrap_or_default().to_owned();
            let link = page.text("#client-link").await;
            let client_path = link
                .split_once("/c/")
                .map(|(_, token)| format!("/c/{token}?lang=es"))
                .expect("the link");
            page.goto(&client_path).await;
            assert_eq!(h1(&page).await, "Unas preguntas de su terapeuta");
            page.click_and_wait(CLIENT_SEND).await;
            assert_eq!(page.find_all("#error-summary li").await.len(), 6);
            answer(&page, CLIENT).await;
            page.click_and_wait(CLIENT_SEND).await;
            assert_eq!(h1(&page).await, "Gracias");
            page.goto(&invitation).await;
            page.click_and_wait("a.button-primary").await;
            submit_valid_screening(&page).await;
            assert!(page.text(".administration").await.contains("Spanish"));
        },
    )
    .await;
}

/// Every question declined.
const ALL_DECLINED: &[(&str, &str)] = &[
    ("q1_concern_expressed", "declined"),
    ("q2_self_concern", "declined"),
    ("q3_escape", "declined"),
    ("q4_secrets", "declined"),
    ("q5_others_disturbed", "declined"),
    ("q6_shame", "declined"),
];

/// No red flag; an occasional pattern, but the client cannot stop: at-risk, provisional.
const LOST_CONTROL: &[(&str, &str)] = &[
    ("q1_concern_expressed", "no"),
    ("q2_self_concern", "no"),
    ("q3_escape", "sleep"),
    ("q4_secrets", "no"),
    ("q5_others_disturbed", "no"),
    ("q6_shame", "no"),
    ("pattern", "occasional"),
    ("control", "lost"),
];

/// The product contract's example (PRODUCT §3.2) with control lost: addicted.
const ADDICTED: &[(&str, &str)] = &[
    ("q1_concern_expressed", "yes"),
    ("q2_self_concern", "no"),
    ("q3_escape", "exercise"),
    ("q3_escape", "pornography"),
    ("q4_secrets", "yes"),
    ("q5_others_disturbed", "declined"),
    ("q6_shame", "no"),
    ("pattern", "intense_periods"),
    ("control", "lost"),
    ("escape_use", "on"),
    ("secrecy", "on"),
];

/// One red flag, details not assessed, two declined: casual, provisional and incomplete.
const PROVISIONAL_AND_INCOMPLETE: &[(&str, &str)] = &[
    ("q1_concern_expressed", "yes"),
    ("q2_self_concern", "declined"),
    ("q3_escape", "declined"),
    ("q4_secrets", "no"),
    ("q5_others_disturbed", "no"),
    ("q6_shame", "no"),
];

async fn store_result(page: &Page, pairs: &[(&str, &str)]) -> String {
    page.goto("/screenings/new").await;
    answer(page, pairs).await;
    submit_valid_screening(page).await
}

/// What a result page shows, read in the browser.
async fn result_facts(page: &Page) -> serde_json::Value {
    page.js(
        r#"
        const q = sel => document.querySelector(sel);
        const top = sel => q(sel) ? q(sel).getBoundingClientRect().top + scrollY : null;
        return {
            band: q('#band-title .badge').innerText,
            description: q('.band-description') ? q('.band-description').innerText : null,
            tone: [...q('.band-box').classList].find(c => c.startsWith('band-') && c !== 'band-box').slice(5),
            inconsistent_top: top('#inconsistent-lead'),
            lead: q('#incomplete-lead') ? q('#incomplete-lead').innerText : null,
            lead_top: top('#incomplete-lead'),
            band_top: top('.band-box'),
            disclaimer_top: top('.disclaimer'),
            provisional: q('.notes') ? q('.notes').innerText : null,
            reasons: [...document.querySelectorAll('.reasons li')].map(li => li.innerText),
            steps: q('#steps-title').parentElement.innerText,
        };
        "#,
        vec![],
    )
    .await
}

/// Occasional use, control lost, secrecy: addicted by the rules, but the record contradicts
/// itself (PRODUCT §2.3c (c)).
const INCONSISTENT_ADDICTED: &[(&str, &str)] = &[
    ("q1_concern_expressed", "no"),
    ("q2_self_concern", "no"),
    ("q3_escape", "sleep"),
    ("q4_secrets", "yes"),
    ("q5_others_disturbed", "no"),
    ("q6_shame", "no"),
    ("pattern", "occasional"),
    ("control", "lost"),
    ("secrecy", "on"),
];

/// The result pages as a clinician sees them (PRODUCT §2.4c): no use, not screened, lost
/// control, addicted and an inconsistent addicted result say nothing beyond the record; axe
/// finds nothing; at 390 and 820 px nothing scrolls sideways, and the list with provisional
/// and incomplete notes keeps each review code on one line.
#[tokio::test]
async fn result_pages_that_never_contradict_the_record() {
    let app = app_with_admin().await;
    browse(&app.address, Options::default(), |page| async move {
        sign_in(&page, ADMIN).await;
        let no_use = store_result(&page, CASUAL).await;
        let declined = store_result(&page, ALL_DECLINED).await;
        let lost = store_result(&page, LOST_CONTROL).await;
        let addicted = store_result(&page, ADDICTED).await;
        let inconsistent = store_result(&page, INCONSISTENT_ADDICTED).await;
        store_result(&page, PROVISIONAL_AND_INCOMPLETE).await;

        for width in [None, Some(820), Some(390)] {
            if let Some(width) = width {
                page.emulate_touch_screen(width, 900).await;
            }
            for (path, what) in [
                (&no_use, "the no-use result"),
                (&declined, "the not-screened result"),
                (&lost, "the lost-control result"),
                (&addicted, "the addicted result"),
                (&inconsistent, "the inconsistent addicted result"),
            ] {
                page.goto(path).await;
                page.assert_accessible(what).await;
                page.assert_no_horizontal_scroll(what).await;
                page.assert_touch_targets(what).await;
                let facts = result_facts(&page).await;
                assert!(
                    facts["disclaimer_top"].as_f64() < facts["band_top"].as_f64(),
                    "{what}: the disclaimer is read before the level: {facts}"
                );
                for reason in facts["reasons"].as_array().unwrap() {
                    let reason = reason.as_str().unwrap();
                    for band in ["Casual:", "At-risk:", "Addicted:"] {
                        assert!(!reason.starts_with(band), "{what}: {reason}");
                    }
                }
                assert!(!facts["steps"].as_str().unwrap().contains("validated"));
            }

            page.goto(&no_use).await;
            let facts = result_facts(&page).await;
            assert_eq!(facts["band"], "Level: casual use (Weiss 2015)");
            let description = facts["description"].as_str().unwrap();
            assert!(description.contains("No at-risk sign recorded so far"), "{facts}");
            assert!(!description.contains("fascinating"), "{facts}");
            assert_eq!(facts["lead"], serde_json::Value::Null);

            page.goto(&declined).await;
            let facts = result_facts(&page).await;
            assert_eq!(
                facts["band"],
                "Not screened: the client declined all six questions"
            );
            assert_eq!(facts["tone"], "neutral", "{facts}");
            assert_eq!(facts["description"], serde_json::Value::Null, "no level description");
            assert!(
                facts["lead"]
                    .as_str()
                    .unwrap()
                    .starts_with("Incomplete: 6 of 6 declined"),
                "{facts}"
            );
            assert!(
                facts["lead_top"].as_f64() < facts["band_top"].as_f64(),
                "incomplete leads, before the level: {facts}"
            );
            assert!(page.text("main").await.contains("Q1 · concern from others"));
            assert!(facts["steps"].as_str().unwrap().contains("A declined answer is not a no"));

            page.goto(&lost).await;
            let facts = result_facts(&page).await;
            assert_eq!(facts["band"], "Level: at-risk use (Weiss 2015)");
            assert_eq!(facts["tone"], "neutral", "provisional: {facts}");
            assert!(!facts["description"].as_str().unwrap().contains("retain control"));
            assert!(facts["provisional"].as_str().unwrap().contains("Provisional"));

            page.goto(&addicted).await;
            let facts = result_facts(&page).await;
            assert_eq!(facts["band"], "Level: addicted use (Weiss 2015)");
            let steps = facts["steps"].as_str().unwrap();
            for words in ["IITAP", "SASH", "Sexual Recovery Institute", "early-life trauma"] {
                assert!(steps.contains(words), "{words}: {steps}");
            }

            page.goto(&inconsistent).await;
            let facts = result_facts(&page).await;
            assert_eq!(facts["band"], "Level: addicted use (Weiss 2015)");
            assert_eq!(facts["tone"], "neutral", "{facts}");
            assert!(
                facts["inconsistent_top"].as_f64() < facts["band_top"].as_f64(),
                "the contradiction leads: {facts}"
            );
            let description = facts["description"].as_str().unwrap();
            for words in ["regardless of", "compulsive", "negatively affected", "intense"] {
                assert!(!description.contains(words), "{words} not recorded: {description}");
            }
            assert!(
                facts["steps"]
                    .as_str()
                    .unwrap()
                    .contains("once the details are confirmed"),
                "{facts}"
            );

            page.goto("/screenings").await;
            page.assert_accessible("the list with notes").await;
            page.assert_no_horizontal_scroll("the list with notes").await;
            assert!(page.text("table.results").await.contains("Provisional, Incomplete"));
            assert!(page.text("table.results").await.contains("Not screened"));
            let lines = page
                .js(
                    r#"
                    return [...document.querySelectorAll('table.results a.review-code')].map(a => {
                        const range = document.createRange();
                        range.selectNodeContents(a);
                        return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
                    });
                    "#,
                    vec![],
                )
                .await;
            let lines = lines.as_array().unwrap();
            assert_eq!(lines.len(), 6);
            assert!(
                lines.iter().all(|n| n == 1),
                "every review code on one line: {lines:?}"
            );
            page.goto("/screenings?band=not_screened").await;
            assert_eq!(page.find_all("table.results a.review-code").await.len(), 1);
        }

        // By keyboard alone, from the not-screened and the inconsistent results on to a
        // re-screen.
        page.emulate_touch_screen(1280, 900).await;
        for path in [&declined, &inconsistent] {
            page.goto(path).await;
            tab_to(&page, |f| f.text == "Re-screen this client", "Re-screen").await;
            page.press_and_wait(Key::Enter).await;
            assert!(page.path().await.starts_with("/screenings/new"));
        }
    })
    .await;

    // With JavaScript off, the same two pages read the same.
    browse(
        &app.address,
        Options::without_javascript(),
        |page| async move {
            sign_in(&page, ADMIN).await;
            let declined = store_result(&page, ALL_DECLINED).await;
            let inconsistent = store_result(&page, INCONSISTENT_ADDICTED).await;
            page.goto(&declined).await;
            let main = page.text("main").await;
            assert!(main.contains("Not screened: the client declined all six questions"));
            page.goto(&inconsistent).await;
            let main = page.text("main").await;
            assert!(main.contains("The details recorded disagree"), "{main}");
            assert!(main.contains("Level: addicted use (Weiss 2015)"));
        },
    )
    .await;
}

/// On a tablet the form needs less scrolling: coping codes and the details in columns.
#[tokio::test]
async fn the_form_on_a_tablet_uses_columns() {
    let app = app_with_admin().await;
    browse(&app.address, Options::default(), |page| async move {
        sign_in(&page, ADMIN).await;
        for width in [768, 1024] {
            page.emulate_touch_screen(width, 1000).await;
            page.goto("/screenings/new").await;
            let columns = page
                .js(
                    r#"
                    const columns = sel => new Set([...document.querySelectorAll(sel)]
                        .map(el => Math.round(el.getBoundingClientRect().left))).size;
                    return {
                        coping: columns('#q3_escape .options-grid .option'),
                        indicators: columns('#indicators .option'),
                        pattern: columns('#pattern .option'),
                        prior_open: document.querySelector('details.prior').open,
                    };
                    "#,
                    vec![],
                )
                .await;
            assert!(columns["coping"].as_u64() >= Some(2), "{width}: {columns}");
            assert!(
                columns["indicators"].as_u64() >= Some(2),
                "{width}: {columns}"
            );
            assert!(columns["pattern"].as_u64() >= Some(2), "{width}: {columns}");
            assert_eq!(
                columns["prior_open"], false,
                "the re-screen field is folded"
            );
            page.assert_no_horizontal_scroll("the form on a tablet")
                .await;
            page.assert_touch_targets("the form on a tablet").await;
            assert!(
                !page.text("main").await.to_lowercase().contains("red flag"),
                "no red-flag wording a client could glimpse"
            );
        }
    })
    .await;
}
