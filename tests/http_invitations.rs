//! Clients answering the six questions themselves (SPEC §6), over real HTTP against a real
//! SQLite file: the link and the handed-over device, the client view in both languages,
//! single-use tokens (410 after use, expiry and cancelling; 404 unknown), owner-only
//! invitations, the lock, nothing stored on a 422, and the invitation gone once saved.

mod common;

use common::{Engine, spawn_app_on};

use common::{Browser, PASSWORD, location};
use intake_screener::web::routes::{self, Access};

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
        let token = common::csrf_token_in(&page).expect("the form's token");
        let mut pairs = pairs.to_vec();
        pairs.push(("csrf_token", &token));
        self.post_raw(path, &pairs).await
    }
}

/// Makes a link invitation; returns its id and the client's token.
async fn make_link(clinician: &Browser) -> (String, String) {
    let response = clinician
        .post_form("/invitations", &[("mode", "link")])
        .await;
    assert_eq!(response.status(), 303);
    let target = location(&response);
    let rest = target
        .strip_prefix("/invitations/")
        .expect("to the invitation");
    let (id, token) = rest.split_once("?token=").expect("with the token");
    (id.to_owned(), token.to_owned())
}

/// The client's token in a `/c/{token}` location.
fn token_of(target: &str) -> String {
    target
        .strip_prefix("/c/")
        .expect("the client view")
        .to_owned()
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

fn checked(html: &str, id: &str) -> bool {
    html.split('<')
        .any(|tag| tag.contains(&format!("id=\"{id}\"")) && tag.contains(" checked"))
}

async fn a_link_for_the_clients_phone_end_to_end(engine: Engine) {
    let app = spawn_app_on(engine).await;
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
    let page = alice
        .get_html(&format!("/invitations/{id}?token={token}"))
        .await;
    assert!(page.contains(&format!("/c/{token}</code>")), "{page}");
    assert!(page.contains("<svg role=\"img\""), "an inline SVG QR code");
    assert!(!page.contains("<script"));
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
    let app = spawn_app_on(engine).await;
    let alice = app.clinician("alice").await;
    let (id, token) = make_link(&alice).await;
    let phone = app.browser();
    let english = phone.get_html(&format!("/c/{token}")).await;
    assert!(
        english.contains(&format!("href=\"/c/{token}?lang=es\"")),
        "a visible switch"
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
            .contains("Recibimos sus respuestas")
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
    let app = spawn_app_on(engine).await;
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
    assert_eq!(
        app.store.sweep_invitations(now + 25 * 3600).await.unwrap(),
        1
    );
    assert_eq!(
        alice
            .get(&format!("/screenings/new?invitation={id}"))
            .await
            .status(),
        404
    );

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
    let app = spawn_app_on(engine).await;
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
    // Without the token, the owner's page does not show a link.
    let page = alice.get_html(&format!("/invitations/{id}")).await;
    assert!(!page.contains("/c/"));
}

async fn a_refused_client_answer_stores_nothing_and_keeps_the_link_open(engine: Engine) {
    let app = spawn_app_on(engine).await;
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
    let stolen = common::csrf_token_in(&phone.get_html(&format!("/c/{token}")).await).unwrap();
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
    let app = spawn_app_on(engine).await;
    let mut alice = app.clinician("alice").await;
    let response = alice.post_form("/invitations", &[("mode", "device")]).await;
    assert_eq!(response.status(), 303);
    let client_view = location(&response);
    let token = token_of(&client_view);

    // Every clinician route, and any other address, answers 303 /unlock.
    for route in routes::table() {
        let public_but_locked = ["/", "/login", "/setup", "/healthz"].contains(&route.path);
        if (route.access == Access::Public && !public_but_locked) || route.path == "/logout" {
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
    alice.csrf_token = common::csrf_token_in(&unlock);
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
    alice.csrf_token = common::csrf_token_in(&form);
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
    let app = spawn_app_on(engine).await;
    let mut alice = app.clinician("alice").await;
    let response = alice.post_form("/invitations", &[("mode", "device")]).await;
    assert_eq!(response.status(), 303);
    alice.csrf_token = common::csrf_token_in(&alice.get_html("/unlock").await);
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
    let app = spawn_app_on(engine).await;
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
    // From that address, even a real token waits.
    assert_eq!(guesser.get(&format!("/c/{token}")).await.status(), 429);
}

async fn a_bad_mode_is_a_clear_400_and_makes_nothing(engine: Engine) {
    let app = spawn_app_on(engine).await;
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
    let app = spawn_app_on(engine).await;
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
    late.csrf_token = common::csrf_token_in(&html);
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
    late.csrf_token = common::csrf_token_in(&resumed);
    late.submit(&form).await;
    assert_eq!(
        app.count("SELECT count(*) FROM screenings WHERE administration = 'client_link'")
            .await,
        1
    );
    assert_eq!(app.count("SELECT count(*) FROM invitations").await, 0);
}

async fn one_token_one_answer_and_one_invitation_one_screening_even_at_once(engine: Engine) {
    let app = spawn_app_on(engine).await;
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
    let form_token = common::csrf_token_in(&questions.text().await.unwrap()).unwrap();
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
fn files_holding(app: &common::TestApp, needle: &str) -> Vec<String> {
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
    let app = spawn_app_on(Engine::Sqlite).await;
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
    let app = spawn_app_on(engine).await;
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
    let app = spawn_app_on(engine).await;
    let alice = app.clinician("alice").await;
    let bob = app.clinician("bob").await;
    let (id, old) = make_link(&alice).await;
    let page = alice.get_html(&format!("/invitations/{id}")).await;
    assert!(page.contains(&format!("action=\"/invitations/{id}/new-link\"")));
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
    let new = target
        .split_once("?token=")
        .map(|(_, token)| token.to_owned())
        .expect("a new token");
    assert_ne!(new, old);
    assert!(
        alice
            .get_html(&target)
            .await
            .contains(&format!("/c/{new}</code>"))
    );
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
