//! Clients answering the six questions themselves (PRODUCT §6), over real HTTP against a real
//! SQLite file: the link and the handed-over device, the client view in both languages,
//! single-use tokens (410 after use, expiry and cancelling; 404 unknown), owner-only
//! invitations, the lock, nothing stored on a 422, and the invitation gone once saved.

use crate::helpers;
use crate::helpers::{Engine, TestApp};

use crate::helpers::{Browser, PASSWORD, location};
use intake_screener::web::routes::{self, Lock};

/// The client's answers to the six questions: two red flags, one question declined.
const CLIENT_ANSWERS: &[(&str, &str)] = &[
    ("q1_concern_expressed", "no"),
    ("q2_self_concern", "yes"),
    ("q3_escape", "exercise"),
    ("q3_escape", "pornography"),
    ("q4_secrets", "declined"),
    ("q5_others_disturbed", "no"),
    ("q6_shame", "no"),
];

/// Words a client must never read.
const CLINICAL_WORDS: &[&str] = &[
    "red flag",
    "Red flag",
    "band",
    "Band",
    "At-risk",
    "Addicted",
    "Casual",
    "referral",
    "Referral",
    "provisional",
    "Provisional",
    "review code",
];

/// The client's way of answering: open the questions, then send the answers with the form's
/// own token (a form token, not a session's).
trait Answer {
    async fn answer(&self, path: &str, pairs: &[(&str, &str)]) -> reqwest::Response;
}

impl Answer for Browser {
    async fn answer(&self, path: &str, pairs: &[(&str, &str)]) -> reqwest::Response {
        let page = self.get_html(path).await;
        let token = helpers::csrf_token_in(&page).expect("the form's token");
        let mut pairs = pairs.to_vec();
        pairs.push(("csrf_token", &token));
        self.post_raw(path, &pairs).await
    }
}

/// Makes a link invitation; returns its id and the client's token, read from the invitation
/// page (the address the clinician's browser goes to holds no token).
async fn make_link(clinician: &Browser) -> (String, String) {
    let response = clinician
        .post_form("/invitations", &[("mode", "link")])
        .await;
    assert_eq!(response.status(), 303);
    let target = location(&response);
    let id = target
        .strip_prefix("/invitations/")
        .expect("to the invitation")
        .to_owned();
    assert!(!id.contains('?'), "no token in the address: {target}");
    (id, link_on(&clinician.get_html(&target).await))
}

/// The client's token in the link an invitation page shows.
fn link_on(page: &str) -> String {
    let start = page.find("id=\"client-link\">").expect("the link is shown");
    let link = &page[start..];
    let link = &link[..link.find("</code>").expect("the link's end")];
    link.split_once("/c/").expect("a client link").1.to_owned()
}

fn assert_no_clinical_words(html: &str, what: &str) {
    for word in CLINICAL_WORDS {
        assert!(!html.contains(word), "{what} says {word:?}:\n{html}");
    }
}

/// The client view holds no link into the clinician's app.
fn assert_no_app_links(html: &str, what: &str) {
    for path in [
        "href=\"/screenings",
        "href=\"/dashboard",
        "href=\"/invitations",
        "href=\"/admin",
        "href=\"/account",
        "href=\"/\"",
        "action=\"/logout",
    ] {
        assert!(!html.contains(path), "{what} links into the app ({path})");
    }
}

/// Scripts only from the app's own static files (the CSP forbids inline ones).
fn assert_no_inline_script(html: &str) {
    for script in html.split("<script").skip(1) {
        assert!(
            script.starts_with(" src=\"/static/"),
            "an inline or foreign script: <script{script}"
        );
    }
}

fn checked(html: &str, id: &str) -> bool {
    html.split('<')
        .any(|tag| tag.contains(&format!("id=\"{id}\"")) && tag.contains(" checked"))
}

async fn a_link_for_the_clients_phone_end_to_end(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    assert!(
        alice
            .get_html("/screenings/new")
            .await
            .contains("action=\"/invitations\""),
        "the new-screening page offers both ways"
    );
    let (id, token) = make_link(&alice).await;
    assert!(token.len() >= 22, "at least 128 random bits: {token}");

    // The clinician sees the link, its QR code and the match words.
    let page = alice.get_html(&format!("/invitations/{id}")).await;
    assert!(page.contains(&format!("/c/{token}</code>")), "{page}");
    assert!(page.contains("<svg role=\"img\""), "an inline SVG QR code");
    assert_no_inline_script(&page);
    assert!(page.contains("Waiting for the client"));
    let words: String = app.count_text("SELECT match_words FROM invitations").await;
    assert_eq!(words.split(' ').count(), 2);
    assert!(page.contains(&words));
    let list = alice.get_html("/invitations").await;
    assert!(list.contains(&words) && list.contains("Not yet"));
    // Only a hash of the token is stored.
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM invitations WHERE token_hash LIKE '%{token}%'"
        ))
        .await,
        0
    );

    // The client, with no account, answers on their phone.
    let phone = app.browser();
    let questions = phone.get_html(&format!("/c/{token}")).await;
    assert!(questions.contains("<html lang=\"en\">"));
    assert_eq!(questions.matches("Prefer not to answer</label>").count(), 6);
    assert_eq!(
        questions.matches("<fieldset").count(),
        6,
        "the six questions only"
    );
    assert!(!questions.contains("alice"), "no clinician name");
    assert!(!questions.contains("name=\"pattern\""), "no details");
    assert_no_clinical_words(&questions, "the client view");
    assert_no_app_links(&questions, "the client view");
    let thanks = phone.answer(&format!("/c/{token}"), CLIENT_ANSWERS).await;
    assert_eq!(thanks.status(), 200);
    let thanks = thanks.text().await.unwrap();
    assert!(thanks.contains("Your answers were received"), "{thanks}");
    assert!(thanks.contains(&words), "the match words");
    assert!(
        !thanks.contains("href=\"/unlock\""),
        "no device to hand back"
    );
    assert_no_clinical_words(&thanks, "the thank-you page");
    assert_no_app_links(&thanks, "the thank-you page");

    // Single use.
    assert_eq!(phone.get(&format!("/c/{token}")).await.status(), 410);
    assert_eq!(
        phone
            .post_raw(&format!("/c/{token}"), CLIENT_ANSWERS)
            .await
            .status(),
        410
    );

    // A plain reload shows the answers arrived; the form opens with them, marked.
    let page = alice.get_html(&format!("/invitations/{id}")).await;
    assert!(page.contains("answers have arrived"), "{page}");
    let form = alice
        .get_html(&format!("/screenings/new?invitation={id}"))
        .await;
    for id in [
        "q1_concern_expressed-no",
        "q2_self_concern-yes",
        "q3_escape-exercise",
        "q3_escape-pornography",
        "q4_secrets-declined",
        "q5_others_disturbed-no",
        "q6_shame-no",
    ] {
        assert!(checked(&form, id), "{id} is filled in from the client");
    }
    assert!(!checked(&form, "q1_concern_expressed-yes"));
    assert_eq!(form.matches("Client's own answer").count(), 6);
    assert!(form.contains(&format!("name=\"invitation\" value=\"{id}\"")));

    // The clinician adds the details and saves: the invitation is gone with it.
    let mut pairs: Vec<(&str, &str)> = CLIENT_ANSWERS.to_vec();
    pairs.extend([
        ("pattern", "occasional"),
        ("control", "retained"),
        ("invitation", id.as_str()),
    ]);
    let result = alice.submit(&pairs).await;
    assert_eq!(app.count("SELECT count(*) FROM invitations").await, 0);
    let html = alice.get_html(&result).await;
    assert!(
        html.contains("Answered by the client on their own device, by link"),
        "{html}"
    );
    assert!(!html.contains("corrected"));
    assert_eq!(
        app.count("SELECT count(*) FROM screenings WHERE administration = 'client_link' AND client_language = 'en' AND NOT intake_corrected")
            .await,
        1
    );
    assert_eq!(
        phone.get(&format!("/c/{token}")).await.status(),
        410,
        "still gone once saved"
    );
    assert_eq!(
        alice
            .get(&format!("/screenings/new?invitation={id}"))
            .await
            .status(),
        404
    );

    // Saving the same invitation twice stores nothing more.
    let again = alice.post_form("/screenings", &pairs).await;
    assert_eq!(again.status(), 409);
    assert_eq!(app.count_screenings().await, 1);

    let csv = alice
        .get("/screenings/export.csv")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        csv.lines()
            .next()
            .unwrap()
            .ends_with("administration,client_language,intake_corrected,prior_review_code"),
        "{csv}"
    );
    assert!(csv.contains("client_link,en,false,"), "{csv}");
}

async fn spanish_by_choice_or_by_the_browser_and_said_on_the_result(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let (id, token) = make_link(&alice).await;
    let phone = app.browser();
    let english = phone.get_html(&format!("/c/{token}")).await;
    assert!(
        english.contains("name=\"switch_lang\" value=\"es\""),
        "a visible switch, posting the answers given so far"
    );
    let spanish = phone.get_html(&format!("/c/{token}?lang=es")).await;
    assert!(spanish.contains("<html lang=\"es\">"));
    assert_eq!(spanish.matches("Prefiero no responder</label>").count(), 6);
    assert!(spanish.contains("¿Guarda usted secretos"));
    let by_header = phone
        .client
        .get(phone.url(&format!("/c/{token}")))
        .header("accept-language", "es-MX,es;q=0.9,en;q=0.5")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(by_header.contains("<html lang=\"es\">"));

    // A refused answer keeps the language, every answer, and says what is missing.
    let partial = phone
        .answer(
            &format!("/c/{token}"),
            &[("lang", "es"), ("q1_concern_expressed", "yes")],
        )
        .await;
    assert_eq!(partial.status(), 422);
    let partial = partial.text().await.unwrap();
    assert!(partial.contains("<html lang=\"es\">"));
    assert!(checked(&partial, "q1_concern_expressed-yes"));
    assert_eq!(partial.matches("class=\"field-error\"").count(), 5);
    assert!(partial.contains("Por favor, elija una respuesta"));

    let mut pairs = CLIENT_ANSWERS.to_vec();
    pairs.push(("lang", "es"));
    let thanks = phone.answer(&format!("/c/{token}"), &pairs).await;
    assert_eq!(thanks.status(), 200);
    assert!(
        thanks
            .text()
            .await
            .unwrap()
            .contains("Sus respuestas se recibieron correctamente.")
    );

    assert!(
        alice
            .get_html("/invitations")
            .await
            .contains("Arrived (in Spanish)")
    );

    // The clinician corrects one answer: the result says both things.
    let mut saved: Vec<(&str, &str)> = CLIENT_ANSWERS
        .iter()
        .copied()
        .filter(|(field, _)| *field != "q6_shame")
        .collect();
    saved.extend([("q6_shame", "yes"), ("invitation", id.as_str())]);
    let result = alice.submit(&saved).await;
    let html = alice.get_html(&result).await;
    assert!(html.contains("in Spanish"), "{html}");
    assert!(html.contains("this app's own translation"));
    assert!(html.contains("corrected some of the client's answers"));
    let fhir: serde_json::Value = alice
        .get(&format!("{result}/fhir"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(fhir["language"], "es");
    assert_eq!(fhir["source"]["type"], "Patient");
    assert_eq!(fhir["author"]["type"], "Patient");
    assert!(fhir.get("subject").is_none(), "still no subject");
    assert_eq!(fhir["extension"][0]["valueCoding"]["code"], "client_link");
    assert_eq!(fhir["extension"][1]["valueBoolean"], true);
}

async fn tokens_are_gone_after_expiry_or_cancelling_and_unknown_ones_are_404(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let phone = app.browser();
    let unknown = phone.get("/c/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").await;
    assert_eq!(unknown.status(), 404);
    let unknown = unknown.text().await.unwrap();
    assert!(unknown.contains("This link does not work"));
    assert_no_app_links(&unknown, "the 404 page");
    assert_eq!(phone.get("/c/short").await.status(), 404);
    for path in ["/c/", "/c", "/c/a/b"] {
        let response = phone.get(path).await;
        assert_eq!(response.status(), 404, "{path}");
        let html = response.text().await.unwrap();
        assert!(html.contains("This link does not work"), "{path}");
        assert_no_app_links(&html, path);
    }

    // Expired, unanswered: 410 at once, and still 410 once the sweep deleted it.
    let (_, expired) = make_link(&alice).await;
    app.db.execute("UPDATE invitations SET expiry = 1").await;
    let gone = phone.get(&format!("/c/{expired}")).await;
    assert_eq!(gone.status(), 410);
    let gone = gone.text().await.unwrap();
    assert!(gone.contains("ask your therapist for a new link"), "{gone}");
    assert!(!gone.contains("alice"), "it does not say whose it was");
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert_eq!(app.store.sweep_invitations(now).await.unwrap(), 1);
    assert_eq!(app.count("SELECT count(*) FROM invitations").await, 0);
    assert_eq!(phone.get(&format!("/c/{expired}")).await.status(), 410);

    // Answered but never saved: kept 24 hours, then swept.
    let (id, answered) = make_link(&alice).await;
    phone
        .answer(&format!("/c/{answered}"), CLIENT_ANSWERS)
        .await;
    let expiry = app.count("SELECT expiry FROM invitations").await;
    assert!(expiry - now > 23 * 3600, "answered ones wait a day");
    assert_eq!(app.store.sweep_invitations(now).await.unwrap(), 0);
    // A day on, unsaved: the answers are deleted, the invitation listed as expired.
    app.db
        .execute(&format!("UPDATE invitations SET expiry = {}", now - 60))
        .await;
    assert_eq!(app.store.sweep_invitations(now).await.unwrap(), 1);
    assert_eq!(
        app.count("SELECT count(*) FROM invitations WHERE q1_concern_expressed IS NOT NULL OR client_language IS NOT NULL")
            .await,
        0,
        "an expired invitation keeps no answers"
    );
    assert_eq!(
        alice
            .get(&format!("/screenings/new?invitation={id}"))
            .await
            .status(),
        404
    );
    // Listed a day after its expiry, then swept.
    assert_eq!(
        app.store.sweep_invitations(now + 24 * 3600).await.unwrap(),
        1
    );
    assert_eq!(app.count("SELECT count(*) FROM invitations").await, 0);
    assert_eq!(phone.get(&format!("/c/{answered}")).await.status(), 410);

    // Cancelled by the clinician.
    let (id, cancelled) = make_link(&alice).await;
    let response = alice
        .post_form(&format!("/invitations/{id}/cancel"), &[])
        .await;
    assert_eq!(location(&response), "/invitations");
    assert_eq!(phone.get(&format!("/c/{cancelled}")).await.status(), 410);
    assert_eq!(app.count("SELECT count(*) FROM invitations").await, 0);
    // Spent tokens keep no more than a hash and a whole day.
    let forget = app
        .count("SELECT min(forget_after) FROM spent_tokens")
        .await;
    assert_eq!(forget % 86_400, 0);
}

async fn invitations_are_their_owners_only(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let bob = app.clinician("bob").await;
    let (id, token) = make_link(&alice).await;
    app.browser()
        .answer(&format!("/c/{token}"), CLIENT_ANSWERS)
        .await;
    for path in [
        format!("/invitations/{id}"),
        format!("/invitations/{id}?token={token}"),
        format!("/screenings/new?invitation={id}"),
        "/invitations/not-an-id".to_owned(),
    ] {
        assert_eq!(bob.get(&path).await.status(), 404, "{path}");
    }
    assert!(!bob.get_html("/invitations").await.contains(&id));
    assert_eq!(
        bob.post_form(&format!("/invitations/{id}/cancel"), &[])
            .await
            .status(),
        404
    );
    let mut pairs = CLIENT_ANSWERS.to_vec();
    pairs.push(("invitation", id.as_str()));
    assert_eq!(bob.post_form("/screenings", &pairs).await.status(), 409);
    assert_eq!(app.count_screenings().await, 0, "nothing stored for bob");
    assert_eq!(app.count("SELECT count(*) FROM invitations").await, 1);
    assert_eq!(
        alice
            .get(&format!("/screenings/new?invitation={id}"))
            .await
            .status(),
        200
    );
    // Answered, the owner's page shows the link no more.
    let page = alice.get_html(&format!("/invitations/{id}")).await;
    assert!(!page.contains("/c/"));
}

async fn a_refused_client_answer_stores_nothing_and_keeps_the_link_open(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let (_, token) = make_link(&alice).await;
    let phone = app.browser();
    let refused = phone
        .answer(
            &format!("/c/{token}"),
            &[
                ("q1_concern_expressed", "yes"),
                ("q3_escape", "declined"),
                ("q3_escape", "exercise"),
                ("q4_secrets", "maybe"),
            ],
        )
        .await;
    assert_eq!(refused.status(), 422);
    let html = refused.text().await.unwrap();
    assert!(checked(&html, "q1_concern_expressed-yes"), "answers kept");
    assert!(checked(&html, "q3_escape-exercise"));
    assert!(html.contains("id=\"error-summary\""));
    assert!(html.contains("cannot be chosen together with other answers"));
    assert!(html.contains("This answer was not understood"));
    assert!(html.contains("aria-describedby=\"q2_self_concern-error\""));
    assert_no_clinical_words(&html, "the refused client view");
    assert_eq!(
        app.count("SELECT count(*) FROM invitations WHERE q1_concern_expressed IS NULL AND client_language IS NULL")
            .await,
        1,
        "nothing stored"
    );
    assert_eq!(app.count("SELECT count(*) FROM spent_tokens").await, 0);
    assert_eq!(phone.get(&format!("/c/{token}")).await.status(), 200);

    // Without the form's token nothing is stored: the answers come back to send again.
    let forged = phone.post_raw(&format!("/c/{token}"), CLIENT_ANSWERS).await;
    assert_eq!(forged.status(), 403);
    let html = forged.text().await.unwrap();
    assert!(checked(&html, "q2_self_concern-yes"), "answers kept");
    assert!(html.contains("please press"), "{html}");
    assert_eq!(
        app.count("SELECT count(*) FROM invitations WHERE q1_concern_expressed IS NULL")
            .await,
        1
    );
    let other = app.browser();
    let stolen = helpers::csrf_token_in(&phone.get_html(&format!("/c/{token}")).await).unwrap();
    let mut pairs = CLIENT_ANSWERS.to_vec();
    pairs.push(("csrf_token", &stolen));
    assert_eq!(
        other
            .post_raw(&format!("/c/{token}"), &pairs)
            .await
            .status(),
        403,
        "a token without its cookie is refused"
    );

    // The details stay the clinician's: a client cannot send them.
    let mut pairs = CLIENT_ANSWERS.to_vec();
    pairs.extend([("pattern", "compulsive"), ("control", "lost")]);
    assert_eq!(
        phone.answer(&format!("/c/{token}"), &pairs).await.status(),
        200
    );
    let id: String = app.count_text("SELECT id FROM invitations").await;
    let form = alice
        .get_html(&format!("/screenings/new?invitation={id}"))
        .await;
    assert!(!checked(&form, "pattern-compulsive"));
    assert!(!checked(&form, "control-lost"));
}

async fn a_handed_over_device_is_locked_until_the_password(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let mut alice = app.clinician("alice").await;
    let response = alice.post_form("/invitations", &[("mode", "device")]).await;
    assert_eq!(response.status(), 303);
    let client_view = location(&response);
    assert_eq!(client_view, "/c/here");
    let token = alice.device_token();

    // Every clinician route, and any other address, answers 303 /unlock.
    for route in routes::table() {
        if route.lock == Lock::Open {
            continue;
        }
        let path = route
            .path
            .replace("{code}", "K7QF-29MX")
            .replace("{username}", "alice")
            .replace("{id}", "0123456789abcdef");
        let response = alice.get(&path).await;
        assert_eq!(response.status(), 303, "GET {path} while locked");
        assert_eq!(location(&response), "/unlock", "GET {path}");
        let response = alice.post_form(&path, &[]).await;
        assert_eq!(location(&response), "/unlock", "POST {path}");
    }
    for path in ["/no/such/page", "/screenings/new?invitation=x"] {
        assert_eq!(location(&alice.get(path).await), "/unlock", "{path}");
    }
    assert_eq!(alice.get("/static/app.css").await.status(), 200);

    // The client answers on the same device.
    let questions = alice.get_html(&client_view).await;
    assert!(!questions.contains("alice"), "no clinician name");
    assert_no_app_links(&questions, "the client view on the device");
    let thanks = alice.answer(&client_view, CLIENT_ANSWERS).await;
    assert_eq!(thanks.status(), 200);
    let thanks = thanks.text().await.unwrap();
    assert!(thanks.contains("hand the device back"), "{thanks}");
    assert!(thanks.contains("href=\"/unlock\""));
    assert_eq!(alice.get(&client_view).await.status(), 410);

    // The unlock page names nobody; a wrong password is refused.
    let unlock = alice.get_html("/unlock").await;
    assert!(!unlock.contains("alice"), "the unlock page names nobody");
    alice.csrf_token = helpers::csrf_token_in(&unlock);
    let wrong = alice
        .post_form("/unlock", &[("password", "not the password")])
        .await;
    assert_eq!(wrong.status(), 401);
    assert_eq!(location(&alice.get("/screenings").await), "/unlock");

    // The password unlocks and opens the form with the client's answers.
    let right = alice.post_form("/unlock", &[("password", PASSWORD)]).await;
    assert_eq!(right.status(), 303);
    let next = location(&right);
    assert!(next.starts_with("/screenings/new?invitation="), "{next}");
    let form = alice.get_html(&next).await;
    assert!(form.contains("given on this device"));
    assert!(checked(&form, "q2_self_concern-yes"));
    alice.csrf_token = helpers::csrf_token_in(&form);
    let id = next.trim_start_matches("/screenings/new?invitation=");
    let mut pairs = CLIENT_ANSWERS.to_vec();
    pairs.push(("invitation", id));
    let result = alice.submit(&pairs).await;
    assert!(
        alice
            .get_html(&result)
            .await
            .contains("Answered by the client on the clinician")
    );
    assert_eq!(
        app.count("SELECT count(*) FROM screenings WHERE administration = 'client_device'")
            .await,
        1
    );
    assert_eq!(alice.get(&format!("/c/{token}")).await.status(), 410);
}

async fn five_wrong_unlock_passwords_end_the_session_without_locking_sign_in(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let mut alice = app.clinician("alice").await;
    let response = alice.post_form("/invitations", &[("mode", "device")]).await;
    assert_eq!(response.status(), 303);
    alice.csrf_token = helpers::csrf_token_in(&alice.get_html("/unlock").await);
    for attempt in 1..5 {
        let wrong = alice.post_form("/unlock", &[("password", "wrong")]).await;
        assert_eq!(wrong.status(), 401, "attempt {attempt}");
    }
    let fifth = alice.post_form("/unlock", &[("password", "wrong")]).await;
    assert_eq!(location(&fifth), "/login", "the fifth ends the session");
    assert!(location(&alice.get("/screenings").await).starts_with("/login"));
    assert!(location(&alice.get("/unlock").await).starts_with("/screenings/new"));
    // Signing in again still works: unlock failures are not sign-in failures.
    let again = alice.sign_in("alice", PASSWORD).await;
    assert_eq!(again.status(), 303);
    assert_eq!(
        app.count_audit("sign_in_throttled").await,
        1,
        "the ended session is in the audit log"
    );
}

async fn guessing_tokens_is_throttled_by_address(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let (_, token) = make_link(&alice).await;
    let guesser = app.browser();
    let mut statuses = Vec::new();
    for n in 0..25 {
        let guess = format!("{n:0>32}");
        statuses.push(guesser.get(&format!("/c/{guess}")).await.status().as_u16());
    }
    assert!(
        statuses[..20].iter().all(|status| *status == 404),
        "{statuses:?}"
    );
    assert!(
        statuses[20..].iter().all(|status| *status == 429),
        "{statuses:?}"
    );
    // From that address, a real token still opens (issue 17, break 6).
    assert_eq!(guesser.get(&format!("/c/{token}")).await.status(), 200);
}

async fn a_bad_mode_is_a_clear_400_and_makes_nothing(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    for mode in ["", "phone", "DEVICE"] {
        let response = alice.post_form("/invitations", &[("mode", mode)]).await;
        assert_eq!(response.status(), 400, "{mode:?}");
    }
    let forged = alice.post_raw("/invitations", &[("mode", "link")]).await;
    assert_eq!(forged.status(), 403, "no CSRF token");
    assert_eq!(app.count("SELECT count(*) FROM invitations").await, 0);
}

crate::both_engines!(
    a_link_for_the_clients_phone_end_to_end,
    spanish_by_choice_or_by_the_browser_and_said_on_the_result,
    tokens_are_gone_after_expiry_or_cancelling_and_unknown_ones_are_404,
    invitations_are_their_owners_only,
    a_refused_client_answer_stores_nothing_and_keeps_the_link_open,
    a_handed_over_device_is_locked_until_the_password,
    five_wrong_unlock_passwords_end_the_session_without_locking_sign_in,
    guessing_tokens_is_throttled_by_address,
    a_bad_mode_is_a_clear_400_and_makes_nothing,
);

async fn the_clients_answers_stay_marked_through_a_new_sign_in(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let (id, token) = make_link(&alice).await;
    app.browser()
        .answer(&format!("/c/{token}"), CLIENT_ANSWERS)
        .await;

    // Alice's session ended while the form was open: the sign-in form carries it all.
    let mut late = app.browser();
    let mut form = CLIENT_ANSWERS.to_vec();
    form.push(("invitation", id.as_str()));
    let expired = late.post_raw("/screenings", &form).await;
    assert_eq!(expired.status(), 401);
    let html = expired.text().await.unwrap();
    assert!(html.contains(&format!("name=\"carry.invitation\" value=\"{id}\"")));
    late.csrf_token = helpers::csrf_token_in(&html);
    let mut sign_in: Vec<(String, String)> = vec![
        ("username".into(), "alice".into()),
        ("password".into(), PASSWORD.into()),
    ];
    sign_in.extend(
        form.iter()
            .map(|(field, value)| (format!("carry.{field}"), (*value).to_owned())),
    );
    let pairs: Vec<(&str, &str)> = sign_in
        .iter()
        .map(|(f, v)| (f.as_str(), v.as_str()))
        .collect();
    let resumed = late.post_form("/login", &pairs).await;
    assert_eq!(resumed.status(), 200);
    let resumed = resumed.text().await.unwrap();
    assert_eq!(resumed.matches("Client's own answer").count(), 6);
    assert!(resumed.contains(&format!("name=\"invitation\" value=\"{id}\"")));
    late.csrf_token = helpers::csrf_token_in(&resumed);
    late.submit(&form).await;
    assert_eq!(
        app.count("SELECT count(*) FROM screenings WHERE administration = 'client_link'")
            .await,
        1
    );
    assert_eq!(app.count("SELECT count(*) FROM invitations").await, 0);
}

async fn one_token_one_answer_and_one_invitation_one_screening_even_at_once(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let (id, token) = make_link(&alice).await;
    let phone = app.browser();
    let path = format!("/c/{token}");
    let questions = phone.get(&path).await;
    for (header, value) in [
        ("cache-control", "no-store"),
        ("referrer-policy", "no-referrer"),
        ("x-frame-options", "DENY"),
    ] {
        assert_eq!(questions.headers()[header], value, "{header}");
    }
    assert!(questions.headers().contains_key("content-security-policy"));
    let form_token = helpers::csrf_token_in(&questions.text().await.unwrap()).unwrap();
    let mut pairs = CLIENT_ANSWERS.to_vec();
    pairs.push(("csrf_token", &form_token));
    let (first, second) =
        tokio::join!(phone.post_raw(&path, &pairs), phone.post_raw(&path, &pairs));
    let mut statuses = [first.status().as_u16(), second.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 410], "one answer per token");

    // Two tabs save the same client's answers at once: one screening.
    let mut pairs = CLIENT_ANSWERS.to_vec();
    pairs.push(("invitation", id.as_str()));
    let (first, second) = tokio::join!(
        alice.post_form("/screenings", &pairs),
        alice.post_form("/screenings", &pairs)
    );
    let mut statuses = [first.status().as_u16(), second.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [303, 409]);
    assert_eq!(app.count_screenings().await, 1);
    assert_eq!(app.count("SELECT count(*) FROM invitations").await, 0);
}

/// The files of the database (file, `-wal`, `-shm`) that hold `needle`'s bytes.
fn files_holding(app: &helpers::TestApp, needle: &str) -> Vec<String> {
    ["", "-wal", "-shm", "-journal"]
        .into_iter()
        .map(|suffix| format!("{}{suffix}", app.db_path.display()))
        .filter(|path| {
            std::fs::read(path).is_ok_and(|bytes| {
                bytes
                    .windows(needle.len())
                    .any(|window| window == needle.as_bytes())
            })
        })
        .collect()
}

/// SQLite only: the files are SQLite's (PostgreSQL's are the server's, see DEPLOYMENT.md).
#[tokio::test]
async fn nothing_of_an_invitation_outlives_it_in_any_file() {
    let app = TestApp::builder().engine(Engine::Sqlite).spawn().await;
    let alice = app.clinician("alice").await;
    let phone = app.browser();

    let (cancelled, _) = make_link(&alice).await;
    let (expired, _) = make_link(&alice).await;
    let (saved, token) = make_link(&alice).await;
    for id in [&cancelled, &expired, &saved] {
        assert!(
            !files_holding(&app, id).is_empty(),
            "{id} is stored at first"
        );
    }
    alice
        .post_form(&format!("/invitations/{cancelled}/cancel"), &[])
        .await;
    assert_eq!(
        files_holding(&app, &cancelled),
        Vec::<String>::new(),
        "cancelled"
    );
    app.db
        .execute(&format!(
            "UPDATE invitations SET expiry = 1 WHERE id = '{expired}'"
        ))
        .await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert_eq!(app.store.sweep_invitations(now).await.unwrap(), 1);
    assert_eq!(files_holding(&app, &expired), Vec::<String>::new(), "swept");
    phone.answer(&format!("/c/{token}"), CLIENT_ANSWERS).await;
    let mut pairs = CLIENT_ANSWERS.to_vec();
    pairs.push(("invitation", saved.as_str()));
    alice.submit(&pairs).await;

    for id in [&cancelled, &expired, &saved] {
        assert_eq!(
            files_holding(&app, id),
            Vec::<String>::new(),
            "invitation {id} is left in a file"
        );
    }
}

async fn refusals_at_the_edge_show_the_clients_own_page(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let phone = app.browser();
    // Refused at the edge (too large, cross-site, wrong method): the client's page too.
    let (_, open) = make_link(&alice).await;
    let huge = "x".repeat(64 * 1024);
    let responses = [
        phone
            .post_raw(&format!("/c/{open}"), &[("q1_concern_expressed", &huge)])
            .await,
        phone
            .client
            .post(phone.url(&format!("/c/{open}")))
            .header("origin", "https://elsewhere.example")
            .header("sec-fetch-site", "cross-site")
            .form(&CLIENT_ANSWERS)
            .send()
            .await
            .unwrap(),
        phone
            .client
            .put(phone.url(&format!("/c/{open}")))
            .send()
            .await
            .unwrap(),
    ];
    for (response, expected) in responses.into_iter().zip([413, 403, 405]) {
        let status = response.status().as_u16();
        assert_eq!(status, expected);
        let html = response.text().await.unwrap();
        assert!(
            html.contains("Your answers were not sent"),
            "{status}: {html}"
        );
        assert_no_app_links(&html, "an edge refusal under /c/");
    }
    assert_eq!(
        app.count("SELECT count(*) FROM invitations WHERE q1_concern_expressed IS NOT NULL")
            .await,
        0
    );
}

async fn a_link_off_screen_can_be_made_again_and_the_old_one_stops(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let bob = app.clinician("bob").await;
    let (id, old) = make_link(&alice).await;
    // Signed in on another browser, alice has no cookie with the link.
    let mut elsewhere = app.browser();
    assert_eq!(elsewhere.sign_in("alice", PASSWORD).await.status(), 303);
    let page = elsewhere.get_html(&format!("/invitations/{id}")).await;
    assert!(page.contains(&format!("action=\"/invitations/{id}/new-link\"")));
    assert!(!page.contains(&old));
    assert_eq!(
        bob.post_form(&format!("/invitations/{id}/new-link"), &[])
            .await
            .status(),
        404
    );
    let renewed = alice
        .post_form(&format!("/invitations/{id}/new-link"), &[])
        .await;
    assert_eq!(renewed.status(), 303);
    let target = location(&renewed);
    assert_eq!(target, format!("/invitations/{id}"));
    let new = link_on(&alice.get_html(&target).await);
    assert_ne!(new, old);
    let phone = app.browser();
    assert_eq!(phone.get(&format!("/c/{old}")).await.status(), 410);
    assert_eq!(
        phone
            .answer(&format!("/c/{new}"), CLIENT_ANSWERS)
            .await
            .status(),
        200
    );
    // Answered: no new link any more.
    let again = alice
        .post_form(&format!("/invitations/{id}/new-link"), &[])
        .await;
    assert_eq!(location(&again), format!("/invitations/{id}"));
    assert_eq!(phone.get(&format!("/c/{new}")).await.status(), 410);
}

crate::both_engines!(
    the_clients_answers_stay_marked_through_a_new_sign_in,
    one_token_one_answer_and_one_invitation_one_screening_even_at_once,
    refusals_at_the_edge_show_the_clients_own_page,
    a_link_off_screen_can_be_made_again_and_the_old_one_stops,
);

// ---- PRODUCT §6.1: nothing a client or clinician typed is lost ----

fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Opens the client's questions and returns the form's own token (the form as it stands on
/// the client's screen).
async fn open_form(phone: &Browser, path: &str) -> String {
    let page = phone.get_html(path).await;
    helpers::csrf_token_in(&page).expect("the form's token")
}

/// Sends answers with a token from a form opened earlier.
async fn send_with(
    phone: &Browser,
    path: &str,
    token: &str,
    pairs: &[(&str, &str)],
) -> reqwest::Response {
    let mut pairs = pairs.to_vec();
    pairs.push(("csrf_token", token));
    phone.post_raw(path, &pairs).await
}

async fn a_form_opened_before_expiry_is_taken_in_the_grace_period_and_not_after(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let phone = app.browser();

    // Opened before the expiry, sent a minute after it: taken.
    let (id, token) = make_link(&alice).await;
    let path = format!("/c/{token}");
    let form = open_form(&phone, &path).await;
    app.db
        .execute(&format!(
            "UPDATE invitations SET expiry = {} WHERE id = '{id}'",
            unix_now() - 60
        ))
        .await;
    // A page load after the expiry says it expired and opens no new form.
    let reload = phone.get(&path).await;
    assert_eq!(reload.status(), 410);
    let reload = reload.text().await.unwrap();
    assert!(reload.contains("This link has expired"), "{reload}");
    assert!(!reload.contains("already been used"));
    assert!(
        helpers::csrf_token_in(&reload).is_none(),
        "no form after expiry"
    );
    // Not a form opened before the expiry (no token of this page): refused, nothing kept.
    let forged = phone.post_raw(&path, CLIENT_ANSWERS).await;
    assert_eq!(forged.status(), 410);
    assert!(
        forged
            .text()
            .await
            .unwrap()
            .contains("This link has expired")
    );
    assert_eq!(
        app.count("SELECT count(*) FROM invitations WHERE q1_concern_expressed IS NOT NULL")
            .await,
        0
    );
    // The form from before the expiry: its answers land.
    let thanks = send_with(&phone, &path, &form, CLIENT_ANSWERS).await;
    assert_eq!(thanks.status(), 200);
    assert!(thanks.text().await.unwrap().contains("Thank you"));
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM invitations WHERE id = '{id}' AND q2_self_concern = 'yes'"
        ))
        .await,
        1
    );
    let form_page = alice
        .get_html(&format!("/screenings/new?invitation={id}"))
        .await;
    assert!(
        checked(&form_page, "q2_self_concern-yes"),
        "ready to complete"
    );

    // Opened before the expiry, sent after the grace: refused as expired, nothing kept.
    let (late_id, late) = make_link(&alice).await;
    let late_path = format!("/c/{late}");
    let late_form = open_form(&phone, &late_path).await;
    app.db
        .execute(&format!(
            "UPDATE invitations SET expiry = {} WHERE id = '{late_id}'",
            unix_now() - intake_screener::store::EXPIRY_GRACE_SECS - 60
        ))
        .await;
    let refused = send_with(&phone, &late_path, &late_form, CLIENT_ANSWERS).await;
    assert_eq!(refused.status(), 410);
    let refused = refused.text().await.unwrap();
    assert!(refused.contains("This link has expired"), "{refused}");
    assert!(refused.contains("Nothing was kept"));
    assert!(refused.contains("ask your therapist for a new link"));
    assert!(!refused.contains("checked"), "no answer shown back");
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM invitations WHERE id = '{late_id}' AND q1_concern_expressed IS NOT NULL"
        ))
        .await,
        0
    );
}

async fn used_cancelled_and_expired_links_say_so_in_both_languages(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let phone = app.browser();

    let (_, used) = make_link(&alice).await;
    phone.answer(&format!("/c/{used}"), CLIENT_ANSWERS).await;
    let (cancelled_id, cancelled) = make_link(&alice).await;
    alice
        .post_form(&format!("/invitations/{cancelled_id}/cancel"), &[])
        .await;
    let (replaced_id, replaced) = make_link(&alice).await;
    alice
        .post_form(&format!("/invitations/{replaced_id}/new-link"), &[])
        .await;
    let (expired_id, expired) = make_link(&alice).await;
    app.db
        .execute(&format!(
            "UPDATE invitations SET expiry = {} WHERE id = '{expired_id}'",
            unix_now() - 3600
        ))
        .await;

    let cases = [
        (
            &used,
            "This link has already been used",
            "Este enlace ya se usó",
        ),
        (
            &cancelled,
            "This link is no longer available",
            "Este enlace ya no está disponible",
        ),
        (
            &replaced,
            "This link is no longer available",
            "Este enlace ya no está disponible",
        ),
        (&expired, "This link has expired", "Este enlace venció"),
    ];
    let all_titles = [
        "This link has already been used",
        "This link is no longer available",
        "This link has expired",
    ];
    for (token, english, spanish) in cases {
        let response = phone.get(&format!("/c/{token}")).await;
        assert_eq!(response.status(), 410, "{english}");
        let html = response.text().await.unwrap();
        assert!(html.contains(english), "{english}: {html}");
        assert!(
            html.contains(&format!(
                "<title>{english} · A few questions from your therapist</title>"
            )),
            "every client page titles itself so: {html}"
        );
        for other in all_titles.iter().filter(|title| *title != &english) {
            assert!(!html.contains(other), "{english} also says {other}");
        }
        assert_no_app_links(&html, english);
        assert!(!html.contains("alice"));
        let response = phone.get(&format!("/c/{token}?lang=es")).await;
        assert_eq!(response.status(), 410);
        let html = response.text().await.unwrap();
        assert!(html.contains(spanish), "{spanish}: {html}");
        assert!(html.contains(&format!(
            "<title>{spanish} · Unas preguntas de su terapeuta</title>"
        )));
    }
    // Still "expired" once the sweep has deleted it.
    assert!(
        app.store
            .sweep_invitations(unix_now() + 24 * 3600)
            .await
            .unwrap()
            >= 1
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM invitations WHERE id = '{expired_id}'"
        ))
        .await,
        0
    );
    let html = phone
        .get(&format!("/c/{expired}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("This link has expired"), "{html}");
    assert_eq!(
        app.count("SELECT count(*) FROM spent_tokens WHERE reason = 'expired'")
            .await,
        1
    );
}

async fn the_language_switch_keeps_the_answers_given_so_far(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let (id, token) = make_link(&alice).await;
    let phone = app.browser();
    let path = format!("/c/{token}");
    let form = open_form(&phone, &path).await;

    let switched = send_with(
        &phone,
        &path,
        &form,
        &[
            ("lang", "en"),
            ("switch_lang", "es"),
            ("q1_concern_expressed", "yes"),
            ("q2_self_concern", "perhaps"),
            ("q3_escape", "exercise"),
            ("q3_escape", "pornography"),
            ("q3_escape", "knitting"),
            ("q6_shame", "declined"),
        ],
    )
    .await;
    assert_eq!(switched.status(), 200, "a switch is no error");
    let html = switched.text().await.unwrap();
    assert!(html.contains("<html lang=\"es\">"));
    assert!(html.contains("Unas preguntas de su terapeuta"));
    assert!(checked(&html, "q1_concern_expressed-yes"));
    assert!(checked(&html, "q3_escape-exercise"));
    assert!(checked(&html, "q3_escape-pornography"));
    assert!(checked(&html, "q6_shame-declined"));
    assert!(!html.contains("class=\"field-error\""), "nothing validated");
    // The values that could not be kept are dropped, and the page says which.
    assert!(
        html.contains("no se pudieron conservar algunas respuestas")
            && html.contains("Pregunta 2, Pregunta 3"),
        "{html}"
    );
    assert!(!html.contains("perhaps") && !html.contains("knitting"));
    // Nothing stored; the link still open; the switch back to English is a button.
    assert_eq!(
        app.count("SELECT count(*) FROM invitations WHERE q1_concern_expressed IS NOT NULL")
            .await,
        0
    );
    assert!(html.contains("name=\"switch_lang\" value=\"en\""));
    let again = helpers::csrf_token_in(&html).unwrap();
    let back = send_with(
        &phone,
        &path,
        &again,
        &[
            ("lang", "es"),
            ("switch_lang", "en"),
            ("q1_concern_expressed", "yes"),
            ("q4_secrets", "no"),
        ],
    )
    .await;
    let back = back.text().await.unwrap();
    assert!(back.contains("<html lang=\"en\">"));
    assert!(checked(&back, "q1_concern_expressed-yes") && checked(&back, "q4_secrets-no"));
    assert!(!back.contains("could not be kept"));
    // The GET link still works.
    assert!(
        phone
            .get_html(&format!("{path}?lang=es"))
            .await
            .contains("<html lang=\"es\">")
    );
    // And the answers are sent in the language switched to.
    let mut pairs = CLIENT_ANSWERS.to_vec();
    pairs.push(("lang", "es"));
    let thanks = phone.answer(&path, &pairs).await;
    assert_eq!(thanks.status(), 200);
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM invitations WHERE id = '{id}' AND client_language = 'es'"
        ))
        .await,
        1
    );
}

async fn the_unlock_page_leads_back_to_the_questions_while_unanswered(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let mut alice = app.clinician("alice").await;
    let response = alice.post_form("/invitations", &[("mode", "device")]).await;
    let first = format!("/c/{}", alice.device_token());
    assert_eq!(location(&response), "/c/here");
    // The client taps Back: the unlock page offers the way back, naming nobody.
    let unlock = alice.get_html("/unlock").await;
    assert!(unlock.contains("Back to the questions"), "{unlock}");
    assert!(unlock.contains("action=\"/unlock/questions\""));
    assert!(!unlock.contains("alice"));
    alice.csrf_token = helpers::csrf_token_in(&unlock);
    let forged = alice.post_raw("/unlock/questions", &[]).await;
    assert_eq!(forged.status(), 403, "a form of this page only");
    let back = alice.post_form("/unlock/questions", &[]).await;
    assert_eq!(back.status(), 303);
    let view = location(&back);
    assert_eq!(view, "/c/here", "no token in the address");
    assert_ne!(format!("/c/{}", alice.device_token()), first, "a new token");
    let questions = alice.get_html(&view).await;
    assert!(questions.contains("A few questions from your therapist"));
    assert_no_app_links(&questions, "the questions again");
    // Still locked; the old address is spent.
    assert_eq!(location(&alice.get("/screenings").await), "/unlock");
    assert_eq!(alice.get(&first).await.status(), 410);
    // Answered: no way back any more.
    assert_eq!(alice.answer(&view, CLIENT_ANSWERS).await.status(), 200);
    let unlock = alice.get_html("/unlock").await;
    assert!(!unlock.contains("Back to the questions"));
    let late = alice.post_form("/unlock/questions", &[]).await;
    assert_eq!(location(&late), "/unlock");
    assert_eq!(alice.get(&view).await.status(), 410);
    // Not locked: nothing to go back to.
    let other = app.clinician("bob").await;
    let response = other.post_form("/unlock/questions", &[]).await;
    assert_eq!(location(&response), "/screenings/new");
}

async fn an_unanswered_device_invitation_can_be_handed_over_again(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let mut alice = app.clinician("alice").await;
    let response = alice.post_form("/invitations", &[("mode", "device")]).await;
    let first = location(&response);
    let first_token = alice.device_token();
    alice.csrf_token = helpers::csrf_token_in(&alice.get_html("/unlock").await);
    let unlocked = alice.post_form("/unlock", &[("password", PASSWORD)]).await;
    let page_path = location(&unlocked);
    assert!(page_path.starts_with("/invitations/"), "{page_path}");
    let id = page_path.trim_start_matches("/invitations/").to_owned();
    let page = alice.get_html(&page_path).await;
    assert!(page.contains("Hand the device over again"), "{page}");
    alice.csrf_token = helpers::csrf_token_in(&page);

    // Someone else's, or a link invitation: 404, nothing changes.
    let bob = app.clinician("bob").await;
    let response = bob
        .post_form(&format!("/invitations/{id}/hand-over"), &[])
        .await;
    assert_eq!(response.status(), 404);
    let (link_id, _) = make_link(&alice).await;
    assert_eq!(
        alice
            .post_form(&format!("/invitations/{link_id}/hand-over"), &[])
            .await
            .status(),
        404
    );
    assert_eq!(alice.get(&first).await.status(), 200, "still open");

    let again = alice
        .post_form(&format!("/invitations/{id}/hand-over"), &[])
        .await;
    assert_eq!(again.status(), 303);
    let view = location(&again);
    assert_eq!(view, first, "the token-less address");
    assert_ne!(alice.device_token(), first_token, "a new token");
    assert_eq!(
        location(&alice.get("/invitations").await),
        "/unlock",
        "locked"
    );
    assert_eq!(alice.answer(&view, CLIENT_ANSWERS).await.status(), 200);
    alice.csrf_token = helpers::csrf_token_in(&alice.get_html("/unlock").await);
    let unlocked = alice.post_form("/unlock", &[("password", PASSWORD)]).await;
    assert_eq!(
        location(&unlocked),
        format!("/screenings/new?invitation={id}")
    );
    let page = alice.get_html(&format!("/invitations/{id}")).await;
    assert!(!page.contains("Hand the device over again"), "answered");
}

async fn a_re_screening_sent_to_the_client_keeps_its_earlier_code(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let first = alice.submit(helpers::CASUAL_FORM).await;
    let code = helpers::code_of(&first);

    let form = alice
        .get_html(&format!("/screenings/new?prior_code={code}"))
        .await;
    assert!(form.contains(&format!("Re-screen of {code}")), "{form}");
    assert!(
        form.contains(&format!("name=\"prior_code\" value=\"{code}\"")),
        "the invitation buttons carry it"
    );
    // A code that is not the clinician's: 400 and nothing made.
    let bob = app.clinician("bob").await;
    for bad in [code.as_str(), "NOT-A-CODE"] {
        let refused = bob
            .post_form("/invitations", &[("mode", "link"), ("prior_code", bad)])
            .await;
        assert_eq!(refused.status(), 400, "{bad}");
    }
    assert_eq!(app.count("SELECT count(*) FROM invitations").await, 0);

    let made = alice
        .post_form("/invitations", &[("mode", "link"), ("prior_code", &code)])
        .await;
    let target = location(&made);
    let id = target.trim_start_matches("/invitations/");
    let token = link_on(&alice.get_html(&target).await);
    assert!(
        alice
            .get_html(&target)
            .await
            .contains(&format!("Re-screen of {code}"))
    );
    // Stored as the screening's row id, never as its code.
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM invitations i JOIN screenings s ON s.id = i.prior_id \
             WHERE i.id = '{id}' AND s.review_code = '{code}'"
        ))
        .await,
        1
    );
    let phone = app.browser();
    phone.answer(&format!("/c/{token}"), CLIENT_ANSWERS).await;
    let completing = alice
        .get_html(&format!("/screenings/new?invitation={id}"))
        .await;
    assert!(completing.contains(&format!("Re-screen of {code}")));
    assert!(
        completing.contains(&format!("value=\"{code}\"")),
        "pre-filled"
    );
    let mut pairs = CLIENT_ANSWERS.to_vec();
    pairs.push(("invitation", id));
    pairs.push(("prior_code", &code));
    let second = alice.submit(&pairs).await;
    let result = alice.get_html(&second).await;
    assert!(result.contains(&format!("follows <a href=\"/screenings/{code}\"")));

    // Deleting the earlier screening unlinks an invitation that carries it.
    let made = alice
        .post_form("/invitations", &[("mode", "link"), ("prior_code", &code)])
        .await;
    assert_eq!(made.status(), 303);
    alice
        .post_form(&format!("/screenings/{code}/delete"), &[])
        .await;
    assert_eq!(
        app.count("SELECT count(*) FROM invitations WHERE prior_id IS NOT NULL")
            .await,
        0
    );
    assert_eq!(app.count("SELECT count(*) FROM invitations").await, 1);
}

async fn the_result_shows_each_answer_the_clinician_corrected(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let (id, token) = make_link(&alice).await;
    app.browser()
        .answer(&format!("/c/{token}"), CLIENT_ANSWERS)
        .await;
    // The clinician goes through them with the client: question 4 becomes yes.
    let mut pairs: Vec<(&str, &str)> = CLIENT_ANSWERS
        .iter()
        .map(|&(field, value)| {
            if field == "q4_secrets" {
                (field, "yes")
            } else {
                (field, value)
            }
        })
        .collect();
    pairs.push(("invitation", &id));
    let result = alice.submit(&pairs).await;
    let html = alice.get_html(&result).await;
    assert!(html.contains("corrected some of the client's answers"));
    assert!(
        html.contains("client: Declined to answer → recorded: Yes"),
        "{html}"
    );
    assert_eq!(
        html.matches("→ recorded:").count(),
        1,
        "only the changed question"
    );
    assert_eq!(
        app.count(
            "SELECT count(*) FROM screenings WHERE client_q4_secrets = 'declined' \
             AND q4_secrets = 'yes' AND client_q3_escape = q3_escape \
             AND client_q2_self_concern = 'yes'"
        )
        .await,
        1
    );
    // The JSON export carries the client's own six answers beside the recorded ones.
    let owner = intake_screener::store::ClinicianId(
        app.count("SELECT id FROM clinicians WHERE username = 'alice'")
            .await,
    );
    let code: intake_screener::screening::ReviewCode = helpers::code_of(&result).parse().unwrap();
    let stored = app
        .store
        .find_screening(owner, &code)
        .await
        .unwrap()
        .expect("stored");
    let document = intake_screener::export::json_document(&stored);
    assert_eq!(document["client_answers"]["q4_secrets"], "declined");
    assert_eq!(document["answers"]["q4_secrets"], "yes");
    assert!(
        document["client_answers"].get("pattern").is_none(),
        "the six only"
    );
    // A screening the clinician asked keeps no client answers and shows no correction.
    let asked = alice.submit(helpers::CASUAL_FORM).await;
    assert!(!alice.get_html(&asked).await.contains("→ recorded:"));
    assert_eq!(
        app.count("SELECT count(*) FROM screenings WHERE client_q1_concern_expressed IS NULL")
            .await,
        1
    );
}

async fn an_expired_invitation_is_listed_until_dismissed(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let (id, token) = make_link(&alice).await;
    let (kept_id, kept) = make_link(&alice).await;
    let words = app
        .count_text(&format!(
            "SELECT match_words FROM invitations WHERE id = '{id}'"
        ))
        .await;
    // Within the grace period the client may still be answering a form opened before the
    // expiry: no "make a new link" or "dismiss" that would throw those answers away.
    app.db
        .execute(&format!(
            "UPDATE invitations SET expiry = {}",
            unix_now() - 60
        ))
        .await;
    let list = alice.get_html("/invitations").await;
    assert!(!list.contains("Expired"), "{list}");
    assert!(list.contains("closed to new visits"), "{list}");
    assert!(!list.contains(&format!("action=\"/invitations/{id}/dismiss\"")));
    assert_eq!(
        alice
            .post_form(&format!("/invitations/{id}/dismiss"), &[])
            .await
            .status(),
        404,
        "not expired yet: the grace period runs"
    );
    let hashes = "SELECT token_hash FROM invitations ORDER BY token_hash";
    let before = app.db.texts(hashes).await;
    assert_eq!(
        alice
            .post_form(&format!("/invitations/{id}/new-link"), &[])
            .await
            .status(),
        303,
    );
    assert_eq!(
        app.db.texts(hashes).await,
        before,
        "the link is not replaced"
    );
    assert_eq!(app.count("SELECT count(*) FROM invitations").await, 2);
    let page = alice.get_html(&format!("/invitations/{id}")).await;
    assert!(!page.contains("Expired · make a new link"), "{page}");

    app.db
        .execute(&format!(
            "UPDATE invitations SET expiry = {}",
            unix_now() - 60 - intake_screener::store::EXPIRY_GRACE_SECS
        ))
        .await;
    let list = alice.get_html("/invitations").await;
    assert!(list.contains(&words), "still listed");
    assert!(
        list.contains("Expired") && list.contains("make a new link"),
        "{list}"
    );
    assert!(list.contains(&format!("action=\"/invitations/{id}/dismiss\"")));
    let page = alice.get_html(&format!("/invitations/{id}")).await;
    assert!(page.contains("Expired · make a new link"), "{page}");
    assert!(!page.contains("data-refresh"), "nothing to wait for");

    // Someone else's: 404; without the form's token: 403; nothing changes.
    let bob = app.clinician("bob").await;
    assert_eq!(
        bob.post_form(&format!("/invitations/{id}/dismiss"), &[])
            .await
            .status(),
        404
    );
    assert_eq!(
        alice
            .post_raw(&format!("/invitations/{id}/dismiss"), &[])
            .await
            .status(),
        403
    );
    assert_eq!(app.count("SELECT count(*) FROM invitations").await, 2);

    let dismissed = alice
        .post_form(&format!("/invitations/{id}/dismiss"), &[])
        .await;
    assert_eq!(location(&dismissed), "/invitations");
    assert!(!alice.get_html("/invitations").await.contains(&words));
    assert_eq!(alice.get(&format!("/invitations/{id}")).await.status(), 404);
    let gone = app.browser().get(&format!("/c/{token}")).await;
    assert_eq!(gone.status(), 410);
    assert!(gone.text().await.unwrap().contains("This link has expired"));

    // "Make a new link": the same invitation opens again under a new link.
    let renewed = alice
        .post_form(&format!("/invitations/{kept_id}/new-link"), &[])
        .await;
    let fresh = link_on(&alice.get_html(&location(&renewed)).await);
    assert_eq!(
        app.browser().get(&format!("/c/{fresh}")).await.status(),
        200
    );
    assert_eq!(app.browser().get(&format!("/c/{kept}")).await.status(), 410);
    assert!(!alice.get_html("/invitations").await.contains("Expired"));
    // An open invitation is not dismissed (cancel it instead).
    assert_eq!(
        alice
            .post_form(&format!("/invitations/{kept_id}/dismiss"), &[])
            .await
            .status(),
        404
    );
    // A day after its expiry, an expired invitation is swept.
    app.db
        .execute(&format!(
            "UPDATE invitations SET expiry = {}",
            unix_now() - 24 * 3600 - 60
        ))
        .await;
    assert_eq!(app.store.sweep_invitations(unix_now()).await.unwrap(), 1);
    assert!(!alice.get_html("/invitations").await.contains("Expired"));
}

async fn the_invitation_page_refreshes_copies_and_warns_about_loopback(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let (id, token) = make_link(&alice).await;
    let page = alice
        .get_html(&format!("/invitations/{id}?token={token}"))
        .await;
    // It reloads itself while waiting (a script of the app's own, with a button to stop it:
    // axe counts a <meta> refresh as a WCAG 2.2.1 failure), and says to reload without it.
    assert!(page.contains("data-refresh=\"10\""));
    assert!(page.contains("id=\"stop-refresh\" hidden"));
    assert!(page.contains("Reload this page to see whether they have arrived."));
    assert!(
        page.contains("id=\"copy-link\" hidden"),
        "hidden without JavaScript"
    );
    assert_no_inline_script(&page);
    let script = page
        .split("<script src=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the copy script");
    let served = alice.get(script).await;
    assert_eq!(served.status(), 200);
    let served = served.text().await.unwrap();
    assert!(served.contains("clipboard") && served.contains("location.reload"));
    // The test server listens on 127.0.0.1: a phone cannot reach that.
    assert!(
        page.contains("A phone cannot reach this address: start the server with --public-url"),
        "{page}"
    );
    // The client's pages: their own title and a short citation.
    let phone = app.browser();
    let questions = phone.get_html(&format!("/c/{token}")).await;
    assert!(questions.contains("<title>A few questions from your therapist</title>"));
    assert!(questions.contains("Questions adapted from Weiss (2015)"));
    assert!(!questions.contains("Does Your Client Have a Cybersex Problem"));
    let spanish = phone.get_html(&format!("/c/{token}?lang=es")).await;
    assert!(spanish.contains("<title>Unas preguntas de su terapeuta</title>"));
    assert!(spanish.contains(
        "Traducción propia de esta aplicación; preguntas originales (en inglés) de: Weiss (2015)"
    ));
    // Answered: nothing to wait for, no reloading, no script.
    phone.answer(&format!("/c/{token}"), CLIENT_ANSWERS).await;
    let page = alice.get_html(&format!("/invitations/{id}")).await;
    assert!(!page.contains("data-refresh") && !page.contains("<script"));
}

crate::both_engines!(
    a_form_opened_before_expiry_is_taken_in_the_grace_period_and_not_after,
    used_cancelled_and_expired_links_say_so_in_both_languages,
    the_language_switch_keeps_the_answers_given_so_far,
    the_unlock_page_leads_back_to_the_questions_while_unanswered,
    an_unanswered_device_invitation_can_be_handed_over_again,
    a_re_screening_sent_to_the_client_keeps_its_earlier_code,
    the_result_shows_each_answer_the_clinician_corrected,
    an_expired_invitation_is_listed_until_dismissed,
    the_invitation_page_refreshes_copies_and_warns_about_loopback,
);
