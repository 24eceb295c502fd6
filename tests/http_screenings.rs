//! The screening flow over HTTP against the real server and a real SQLite file.

mod common;

use common::{EXAMPLE_FORM, spawn_app, without};

#[tokio::test]
async fn the_form_shows_the_six_questions_and_the_details() {
    let app = spawn_app().await;
    let response = app.get("/screenings/new").await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
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
        assert!(html.contains(&format!("name=\"{field}\"")), "form lacks {field}");
    }
    assert_eq!(html.matches("<fieldset").count(), 9, "six questions and three detail groups");
    assert!(html.contains("Weiss"), "the form cites its source");
}

#[tokio::test]
async fn root_redirects_to_the_form() {
    let app = spawn_app().await;
    let response = app.get("/").await;
    assert!(response.status().is_redirection());
    assert_eq!(response.headers()["location"], "/screenings/new");
}

#[tokio::test]
async fn a_valid_submission_is_stored_and_redirects_to_its_result() {
    let app = spawn_app().await;
    let location = app.submit(EXAMPLE_FORM).await;
    let code = location.strip_prefix("/screenings/").expect("result path");
    assert_eq!(code.len(), 9);
    assert!(code.parse::<intake_screener::screening::ReviewCode>().is_ok());

    let response = app.get(&location).await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains(code));
    assert!(html.contains("At-risk"), "band shown");
    assert!(html.contains("not a diagnosis"), "disclaimer shown");
    assert!(html.contains("rules version 1"));
    assert!(html.contains("SAST-R"), "next steps name a validated test");
    assert!(html.contains("Weiss"), "citation shown");
    assert_eq!(app.count_screenings().await, 1);
}

#[tokio::test]
async fn an_addicted_result_recommends_referral() {
    let app = spawn_app().await;
    let mut form = without(EXAMPLE_FORM, "control");
    form.push(("control", "lost"));
    form.push(("functioning_impaired", "on"));
    let html = app.get(&app.submit(&form).await).await.text().await.unwrap();
    assert!(html.contains("badge-addicted"));
    assert!(html.contains("IITAP") && html.contains("SASH"));
}

#[tokio::test]
async fn an_invalid_submission_gets_422_with_answers_kept_and_nothing_stored() {
    let app = spawn_app().await;
    let mut form = without(EXAMPLE_FORM, "q2_self_concern");
    form.push(("control", "partial"));
    let form = without(&form, "control")
        .into_iter()
        .chain([("control", "partial")])
        .collect::<Vec<_>>();
    let response = app.post_form("/screenings", &form).await;
    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert!(html.contains("error-summary"), "summary at the top");
    assert!(html.contains("id=\"q2_self_concern-error\""), "error beside question 2");
    assert!(html.contains("id=\"control-error\""), "error beside control");
    assert!(html.contains("href=\"#q2_self_concern-yes\""), "summary links to the field");
    // Every valid answer is kept.
    assert!(html.contains("id=\"q1_concern_expressed-yes\" name=\"q1_concern_expressed\" value=\"yes\" checked"));
    assert!(html.contains("id=\"q3_escape-pornography\" name=\"q3_escape\" value=\"pornography\" checked"));
    assert!(html.contains("id=\"q3_escape-exercise\" name=\"q3_escape\" value=\"exercise\" checked"));
    assert!(html.contains("id=\"pattern-intense_periods\" name=\"pattern\" value=\"intense_periods\" checked"));
    assert!(html.contains("id=\"secrecy\" name=\"secrecy\" value=\"on\" checked"));
    assert_eq!(app.count_screenings().await, 0);
}

#[tokio::test]
async fn declined_mixed_with_ways_of_escaping_is_refused() {
    let app = spawn_app().await;
    let mut form = EXAMPLE_FORM.to_vec();
    form.push(("q3_escape", "declined"));
    let response = app.post_form("/screenings", &form).await;
    assert_eq!(response.status(), 422);
    assert!(response.text().await.unwrap().contains("must stand alone"));
    assert_eq!(app.count_screenings().await, 0);
}

#[tokio::test]
async fn an_empty_or_garbled_body_is_a_422_not_a_5xx() {
    let app = spawn_app().await;
    for body in ["", "%%%", "q1_concern_expressed=%FF%FE", "\u{0}\u{1}garbage=&&=="] {
        let response = app
            .client
            .post(app.url("/screenings"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422, "body {body:?}");
    }
    assert_eq!(app.count_screenings().await, 0);
}

#[tokio::test]
async fn the_list_shows_results_newest_first_and_filters_by_band() {
    let app = spawn_app().await;
    let at_risk = app.submit(EXAMPLE_FORM).await;
    let casual_form = [
        ("q1_concern_expressed", "no"),
        ("q2_self_concern", "no"),
        ("q3_escape", "sleep"),
        ("q4_secrets", "no"),
        ("q5_others_disturbed", "no"),
        ("q6_shame", "no"),
    ];
    let casual = app.submit(&casual_form).await;
    let code = |path: &str| path.trim_start_matches("/screenings/").to_owned();

    let html = app.get("/screenings").await.text().await.unwrap();
    let (first, second) = (html.find(&code(&casual)).unwrap(), html.find(&code(&at_risk)).unwrap());
    assert!(first < second, "newest first");

    let html = app.get("/screenings?band=casual").await.text().await.unwrap();
    assert!(html.contains(&code(&casual)));
    assert!(!html.contains(&code(&at_risk)));

    let response = app.get("/screenings?band=severe").await;
    assert_eq!(response.status(), 400);
    assert!(response.text().await.unwrap().contains("is not a band"));
}

#[tokio::test]
async fn the_list_is_paginated() {
    let app = spawn_app().await;
    let casual_form = [
        ("q1_concern_expressed", "no"),
        ("q2_self_concern", "no"),
        ("q3_escape", "sleep"),
        ("q4_secrets", "no"),
        ("q5_others_disturbed", "no"),
        ("q6_shame", "no"),
    ];
    let mut codes = Vec::new();
    for _ in 0..30 {
        codes.push(app.submit(&casual_form).await.trim_start_matches("/screenings/").to_owned());
    }
    let first = app.get("/screenings").await.text().await.unwrap();
    assert!(first.contains(&codes[29]) && first.contains(&codes[5]));
    assert!(!first.contains(&codes[4]), "page holds 25");
    let older = format!("/screenings?older_than={}", codes[5]);
    assert!(first.contains(&older.replace('&', "&amp;")));
    let second = app.get(&older).await.text().await.unwrap();
    for code in &codes[..5] {
        assert!(second.contains(code.as_str()));
    }
    assert!(!second.contains(&codes[5]));
}

#[tokio::test]
async fn unknown_and_malformed_codes_are_404() {
    let app = spawn_app().await;
    assert_eq!(app.get("/screenings/ZZZZ-ZZZZ").await.status(), 404);
    assert_eq!(app.get("/screenings/not-a-code").await.status(), 404);
    assert_eq!(app.get("/nowhere").await.status(), 404);
}

#[tokio::test]
async fn a_result_can_be_found_by_a_code_typed_loosely() {
    let app = spawn_app().await;
    let location = app.submit(EXAMPLE_FORM).await;
    let loose = location.to_lowercase().replace('-', "");
    assert_eq!(app.get(&loose).await.status(), 200);
}

#[tokio::test]
async fn healthz_answers_ok() {
    let app = spawn_app().await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "ok");
}

#[tokio::test]
async fn the_stylesheet_is_served_with_a_long_cache() {
    let app = spawn_app().await;
    let html = app.get("/screenings/new").await.text().await.unwrap();
    let start = html.find("/static/app.css?v=").expect("stylesheet link");
    let href = &html[start..html[start..].find('"').unwrap() + start];
    let response = app.get(href).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/css");
    assert!(response.headers()["cache-control"].to_str().unwrap().contains("immutable"));
    assert!(response.text().await.unwrap().contains("@media print"));
}
