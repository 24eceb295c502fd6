//! The screening flow over HTTP against the real server and a real SQLite file.

use crate::helpers::{Engine, TestApp};

use crate::helpers::{CASUAL_FORM, EXAMPLE_FORM, code_of, without};

async fn the_form_shows_the_six_questions_and_the_details(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let html = alice.get_html("/screenings/new").await;
    for field in [
        "q1_concern_expressed",
        "q2_self_concern",
        "q3_escape",
        "q4_secrets",
        "q5_others_disturbed",
        "q6_shame",
        "pattern",
        "control",
        "escape_use",
        "minimizes_or_blames",
    ] {
        assert!(
            html.contains(&format!("name=\"{field}\"")),
            "form lacks {field}"
        );
    }
    assert_eq!(
        html.matches("<fieldset").count(),
        9,
        "six questions and three detail groups"
    );
    assert!(html.contains("<legend>"), "questions have legends");
    assert!(html.contains("Weiss"), "the form cites its source");
}

async fn root_leads_to_the_form(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let response = alice.get("/").await;
    assert!(response.status().is_redirection());
    assert_eq!(response.headers()["location"], "/screenings/new");
}

async fn a_valid_submission_is_stored_and_redirects_to_its_result(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let location = alice.submit(EXAMPLE_FORM).await;
    let code = code_of(&location);
    assert_eq!(code.len(), 9);
    assert!(
        code.parse::<intake_screener::screening::ReviewCode>()
            .is_ok()
    );

    let html = alice.get_html(&location).await;
    assert!(html.contains(&code));
    assert!(
        html.contains("Level: at-risk use (Weiss 2015)"),
        "the article's level shown"
    );
    assert!(html.contains("not a diagnosis"), "disclaimer shown");
    assert!(html.contains("rules version 3"));
    assert!(
        html.contains("SAST-R"),
        "next steps name the article's screening tests"
    );
    assert!(html.contains("Weiss"), "citation shown");
    assert_eq!(app.count_screenings().await, 1);
}

async fn an_addicted_result_recommends_referral(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let mut form = without(EXAMPLE_FORM, "control");
    form.push(("control", "lost"));
    form.push(("functioning_impaired", "on"));
    let html = alice.get_html(&alice.submit(&form).await).await;
    assert!(html.contains("badge-addicted"));
    assert!(html.contains("IITAP") && html.contains("SASH"));
}

async fn an_invalid_submission_gets_422_with_answers_kept_and_nothing_stored(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let mut form = without(&without(EXAMPLE_FORM, "q2_self_concern"), "control");
    form.push(("control", "partial"));
    let response = alice.post_form("/screenings", &form).await;
    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert!(html.contains("error-summary"), "summary at the top");
    assert!(
        html.contains("id=\"q2_self_concern-error\""),
        "error beside question 2"
    );
    assert!(
        html.contains("id=\"control-error\""),
        "error beside control"
    );
    assert!(
        html.contains("href=\"#q2_self_concern-yes\""),
        "summary links to the field"
    );
    // Every valid answer is kept.
    for (id, name, value) in [
        ("q1_concern_expressed-yes", "q1_concern_expressed", "yes"),
        ("q3_escape-pornography", "q3_escape", "pornography"),
        ("q3_escape-exercise", "q3_escape", "exercise"),
        ("pattern-intense_periods", "pattern", "intense_periods"),
        ("secrecy", "secrecy", "on"),
    ] {
        let input = format!("id=\"{id}\" name=\"{name}\" value=\"{value}\" checked");
        assert!(html.contains(&input), "{input} not kept");
    }
    assert_eq!(app.count_screenings().await, 0);
}

async fn declined_mixed_with_ways_of_escaping_is_refused(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let mut form = EXAMPLE_FORM.to_vec();
    form.push(("q3_escape", "declined"));
    let response = alice.post_form("/screenings", &form).await;
    assert_eq!(response.status(), 422);
    assert!(response.text().await.unwrap().contains("must stand alone"));
    assert_eq!(app.count_screenings().await, 0);
}

async fn a_form_without_answers_or_with_garbled_fields_is_a_422_not_a_5xx(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let token = alice.csrf_token.clone().unwrap();
    for body in [
        format!("csrf_token={token}"),
        format!("csrf_token={token}&%%%"),
        format!("csrf_token={token}&q1_concern_expressed=%FF%FE"),
        format!("csrf_token={token}&\u{0}\u{1}garbage=&&=="),
    ] {
        let response = alice
            .client
            .post(alice.url("/screenings"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422, "body {body:?}");
    }
    assert_eq!(app.count_screenings().await, 0);
}

async fn the_list_shows_results_newest_first_and_filters_by_band(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let at_risk = code_of(&alice.submit(EXAMPLE_FORM).await);
    let casual = code_of(&alice.submit(CASUAL_FORM).await);

    let html = alice.get_html("/screenings").await;
    let (first, second) = (html.find(&casual).unwrap(), html.find(&at_risk).unwrap());
    assert!(first < second, "newest first");

    let html = alice.get_html("/screenings?band=casual").await;
    assert!(html.contains(&casual));
    assert!(!html.contains(&at_risk));

    let response = alice.get("/screenings?band=severe").await;
    assert_eq!(response.status(), 400);
    assert!(response.text().await.unwrap().contains("is not a band"));
}

async fn the_list_is_paginated(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let mut codes = Vec::new();
    for _ in 0..30 {
        codes.push(code_of(&alice.submit(CASUAL_FORM).await));
    }
    let first = alice.get_html("/screenings").await;
    assert!(first.contains(&codes[29]) && first.contains(&codes[5]));
    assert!(!first.contains(&codes[4]), "a page holds 25");
    let older = format!("/screenings?older_than={}", codes[5]);
    assert!(first.contains(&older));
    let second = alice.get_html(&older).await;
    for code in &codes[..5] {
        assert!(second.contains(code.as_str()));
    }
    assert!(!second.contains(&codes[5]));
}

async fn unknown_and_malformed_codes_are_404(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    assert_eq!(alice.get("/screenings/ZZZZ-ZZZZ").await.status(), 404);
    assert_eq!(alice.get("/screenings/not-a-code").await.status(), 404);
    assert_eq!(alice.get("/nowhere").await.status(), 404);
}

async fn a_result_can_be_found_by_a_code_typed_loosely(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let location = alice.submit(EXAMPLE_FORM).await;
    let loose = location.to_lowercase().replace('-', "");
    assert_eq!(alice.get(&loose).await.status(), 200);
}

async fn deleting_takes_a_confirmation_and_is_audited(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let location = alice.submit(EXAMPLE_FORM).await;
    let confirm = alice.get_html(&format!("{location}/delete")).await;
    assert!(confirm.contains("cannot be undone"));
    assert_eq!(app.count_screenings().await, 1, "asking is not deleting");
    let response = alice.post_form(&format!("{location}/delete"), &[]).await;
    assert_eq!(response.status(), 303);
    assert_eq!(app.count_screenings().await, 0);
    assert_eq!(alice.get(&location).await.status(), 404);
    assert_eq!(app.count_audit("screening_deleted").await, 1);
}

async fn healthz_answers_ok_without_signing_in(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let response = app.browser().get("/healthz").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "ok");
}

async fn the_stylesheet_is_served_with_a_long_cache(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let html = alice.get_html("/screenings/new").await;
    let start = html.find("/static/app.css?v=").expect("stylesheet link");
    let href = &html[start..html[start..].find('"').unwrap() + start];
    let response = app.browser().get(href).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/css");
    assert!(
        response.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    assert!(response.text().await.unwrap().contains("@media print"));
}

crate::both_engines!(
    the_form_shows_the_six_questions_and_the_details,
    root_leads_to_the_form,
    a_valid_submission_is_stored_and_redirects_to_its_result,
    an_addicted_result_recommends_referral,
    an_invalid_submission_gets_422_with_answers_kept_and_nothing_stored,
    declined_mixed_with_ways_of_escaping_is_refused,
    a_form_without_answers_or_with_garbled_fields_is_a_422_not_a_5xx,
    the_list_shows_results_newest_first_and_filters_by_band,
    the_list_is_paginated,
    unknown_and_malformed_codes_are_404,
    a_result_can_be_found_by_a_code_typed_loosely,
    deleting_takes_a_confirmation_and_is_audited,
    healthz_answers_ok_without_signing_in,
    the_stylesheet_is_served_with_a_long_cache,
);

/// A result stored under rules version 1 (before version 2 was current) is shown as it was
/// scored: version 1's band and version 1's reasons, on its page and in the list.
async fn a_stored_version_1_result_keeps_its_band_and_reasons(engine: Engine) {
    use intake_screener::accounts::Username;
    use intake_screener::screening::{Answers, Band, RulesVersion};

    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let owner = app
        .store
        .find_clinician_by_username(&Username::parse("alice").unwrap())
        .await
        .unwrap()
        .unwrap()
        .id;
    // Secrecy observed, nothing else: at-risk by version 1, casual by version 2.
    let mut form = CASUAL_FORM.to_vec();
    form.extend([("pattern", "occasional"), ("secrecy", "on")]);
    let answers = Answers::from_form(form.iter().copied()).unwrap();
    let v1 = RulesVersion::V1.score(&answers);
    assert_eq!(v1.band, Band::AtRisk);
    assert_eq!(RulesVersion::V2.score(&answers).band, Band::Casual);
    let code = app
        .store
        .save_screening(owner, &answers, &v1, 2025)
        .await
        .unwrap();

    let html = alice.get_html(&format!("/screenings/{code}")).await;
    assert!(html.contains("rules version 1"), "the page names version 1");
    assert!(html.contains("badge-at_risk"), "version 1's band");
    assert!(!html.contains("badge-casual"), "not re-scored by version 2");
    for reason in v1.reasons.texts() {
        assert!(
            html.contains(&reason.replace('\'', "&#39;")),
            "version 1's reason shown: {reason}"
        );
    }
    assert!(
        html.contains("At-risk: observed that the client hides the extent of it"),
        "the version 1 wording"
    );
    let list = alice.get_html("/screenings?band=at_risk").await;
    assert!(
        list.contains(&code.to_string()),
        "listed under version 1's band"
    );

    // The same answers submitted today are scored by the current version, and casual.
    let today = alice.get_html(&alice.submit(&form).await).await;
    assert!(today.contains("rules version 3") && today.contains("badge-casual"));
}

/// A form a client may glimpse: no red-flag wording anywhere in it, empty or with errors; the
/// article's advice to the clinician beside the questions (PRODUCT §2.4b, issue 9).
async fn the_form_has_no_red_flag_wording_and_the_articles_advice(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let html = alice.get_html("/screenings/new").await;
    assert!(!html.to_lowercase().contains("red flag"), "the empty form");
    assert!(html.contains("Sexual or romantic"), "a neutral group name");
    assert!(html.contains("Before you ask"));
    assert!(html.contains("rarely volunteer"));
    assert!(html.contains("non-intrusive and non-graphic"));
    let refused = alice.post_form("/screenings", &EXAMPLE_FORM[..3]).await;
    assert_eq!(refused.status(), 422);
    let html = refused.text().await.unwrap();
    assert!(
        !html.to_lowercase().contains("red flag"),
        "the form with errors"
    );
    // The re-screen field is folded away below the questions, open when it has a value.
    let at = |html: &str, needle: &str| html.find(needle).expect(needle);
    let html = alice.get_html("/screenings/new").await;
    assert!(at(&html, "id=\"prior_code\"") > at(&html, "id=\"q6_shame\""));
    assert!(html.contains("<details class=\"prior\">"));
    let html = alice.get_html("/screenings/new?prior_code=K7QF-29MX").await;
    assert!(html.contains("<details class=\"prior\" open>"));
}

/// The result page never says more than the record (PRODUCT §2.4c).
async fn result_pages_say_what_the_article_says(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let page = |form: Vec<(&'static str, &'static str)>| {
        let alice = &alice;
        async move { alice.get_html(&alice.submit(&form).await).await }
    };
    let before = |html: &str, first: &str, second: &str| {
        html.find(first).expect(first) < html.find(second).expect(second)
    };

    // No red flag, details not assessed: no at-risk sign so far, not the casual user.
    let html = page(CASUAL_FORM.to_vec()).await;
    assert!(html.contains("Level: casual use (Weiss 2015)"));
    assert!(html.contains("No at-risk sign recorded so far; the details were not assessed."));
    assert!(
        !html.contains("fascinating"),
        "not the article's casual user"
    );
    assert!(
        !html.contains("early-life trauma"),
        "no co-occurring note for casual"
    );
    assert!(
        before(&html, "not diagnostic categories", "id=\"band-title\""),
        "disclaimer first, saying the levels are not diagnoses"
    );
    assert!(
        !html.contains("<li>Casual:"),
        "no band word in front of each reason"
    );

    // Occasional use recorded: the article's casual description, attributed.
    let mut occasional = CASUAL_FORM.to_vec();
    occasional.extend([("pattern", "occasional"), ("control", "retained")]);
    let html = page(occasional).await;
    assert!(
        html.contains("band-casual"),
        "a complete casual result keeps its colour"
    );
    assert!(html.contains("The article describes casual users"));
    assert!(
        html.contains("&quot;fascinating and fun&quot;")
            || html.contains("&#34;fascinating and fun&#34;")
    );

    // All six declined, nothing recorded: not screened, neutral, no level description.
    let declined = vec![
        ("q1_concern_expressed", "declined"),
        ("q2_self_concern", "declined"),
        ("q3_escape", "declined"),
        ("q4_secrets", "declined"),
        ("q5_others_disturbed", "declined"),
        ("q6_shame", "declined"),
    ];
    let html = page(declined).await;
    assert!(html.contains("Not screened: the client declined all six questions"));
    assert!(html.contains("band-neutral") && !html.contains("band-casual"));
    assert!(!html.contains("band-description"), "no level description");
    assert!(html.contains("Incomplete: 6 of 6 declined"));
    assert!(before(
        &html,
        "Incomplete: 6 of 6 declined",
        "id=\"band-title\""
    ));
    assert!(html.contains("Q1 · concern from others"));
    assert!(html.contains("Q6 · shame or discomfort"));
    assert!(html.contains("A declined answer is not a no: return to Q1, Q2, Q3, Q4, Q5 and Q6"));
    assert!(
        !html.contains("Provisional."),
        "not screened is not provisional"
    );

    // Control lost with occasional use: at-risk, inconsistent, never "they retain control".
    let mut lost = CASUAL_FORM.to_vec();
    lost.extend([("pattern", "occasional"), ("control", "lost")]);
    let html = page(lost).await;
    assert!(html.contains("Level: at-risk use (Weiss 2015)"));
    assert!(
        html.contains("band-neutral"),
        "provisional: styled neutrally"
    );
    assert!(
        !html.contains("retain control"),
        "lost control is not retained"
    );
    assert!(html.contains("The details recorded disagree"));
    assert!(before(
        &html,
        "The details recorded disagree",
        "id=\"band-title\""
    ));
    assert!(html.contains("Provisional."));
    assert!(
        !html.contains("periods of intense engagement"),
        "not recorded"
    );
    assert!(
        html.contains("early-life trauma"),
        "co-occurring note for at-risk"
    );

    // Occasional use, control lost, secrecy: addicted, but the contradiction leads, the
    // description stays within the record, and referral waits for the details.
    let mut thin = CASUAL_FORM.to_vec();
    thin.extend([
        ("q4_secrets", "yes"),
        ("pattern", "occasional"),
        ("control", "lost"),
        ("secrecy", "on"),
    ]);
    thin.retain(|(field, value)| !(*field == "q4_secrets" && *value == "no"));
    let html = page(thin).await;
    assert!(html.contains("Level: addicted use (Weiss 2015)"));
    assert!(before(
        &html,
        "The details recorded disagree",
        "id=\"band-title\""
    ));
    for words in [
        "regardless of",
        "compulsive",
        "negatively affected",
        "periods of intense",
    ] {
        assert!(!html.contains(words), "{words}: not recorded, not said");
    }
    assert!(html.contains("Refer for specialist assessment once the details are confirmed."));
    assert!(
        before(
            &html,
            "deeper investigation",
            "Refer for specialist assessment"
        ),
        "a deeper investigation comes before referral"
    );

    // Addicted and complete: referral and the treatment note attributed to the article.
    let mut addicted = without(EXAMPLE_FORM, "control");
    addicted.push(("control", "lost"));
    let html = page(addicted).await;
    assert!(html.contains("Level: addicted use (Weiss 2015)"));
    for words in [
        "IITAP",
        "SASH",
        "Sexual Recovery Institute",
        "SAST-R",
        "ISST",
        "deeper investigation",
        "The article advises referral",
        "not particularly helpful with behavioral compulsions",
        "early-life trauma",
    ] {
        assert!(html.contains(words), "addicted page names {words}");
    }
    assert!(!html.contains("validated"));
    assert!(
        !html.contains("is indicated"),
        "the app asserts no treatment"
    );
    assert!(!html.contains("<li>Addicted:"));

    // Compulsive use, continued despite consequences, control not assessed: assess it now.
    let mut unassessed = CASUAL_FORM.to_vec();
    unassessed.extend([("pattern", "compulsive"), ("despite_consequences", "on")]);
    let html = page(unassessed).await;
    assert!(html.contains(
        "Assess control now: if the client cannot stop on their own, the article advises referral."
    ));
    assert!(
        !html.contains("Record the pattern of use"),
        "the pattern is recorded"
    );
}

crate::both_engines!(
    a_stored_version_1_result_keeps_its_band_and_reasons,
    the_form_has_no_red_flag_wording_and_the_articles_advice,
    result_pages_say_what_the_article_says,
);
