//! Review over time and handing results on: dashboard, print, CSV, FHIR, re-screening, find.

use crate::helpers;
use crate::helpers::{Engine, TestApp};

use std::collections::{HashMap, HashSet};

use crate::helpers::{CASUAL_FORM, EXAMPLE_FORM, code_of, location};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_screener");

#[tokio::test]
async fn csv_export_has_a_header_and_one_row_per_own_screening() {
    let app = TestApp::builder().spawn().await;
    let alice = app.clinician("alice").await;
    let bob = app.clinician("bob").await;
    let first = code_of(&alice.submit(EXAMPLE_FORM).await);
    let second = code_of(&alice.submit(CASUAL_FORM).await);
    let bobs = code_of(&bob.submit(CASUAL_FORM).await);

    let response = alice.get("/screenings/export.csv").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body = response.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    for column in [
        "review_code",
        "year",
        "rules_version",
        "band",
        "q3_escape",
        "pattern",
        "secrecy",
        "red_flags",
    ] {
        assert!(header.iter().any(|h| h == column), "no {column} column");
    }
    let rows: Vec<HashMap<String, String>> = reader.deserialize().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["review_code"], first, "oldest first");
    assert_eq!(rows[0]["band"], "at_risk");
    assert_eq!(
        rows[0]["rules_version"], "3",
        "scored with the current rules"
    );
    assert_eq!(rows[0]["q3_escape"], "pornography;exercise");
    assert_eq!(
        rows[0]["red_flags"],
        "q1_concern_expressed;q3_escape;q4_secrets"
    );
    assert_eq!(rows[1]["review_code"], second);
    assert_eq!(rows[1]["band"], "casual");
    assert!(!body.contains(&bobs), "only one's own screenings");
    assert_eq!(app.count_audit("exported").await, 1);
    let db = app.database().await;
    let detail: String =
        sqlx::query_scalar("SELECT detail FROM audit_events WHERE action = 'exported'")
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(detail, "csv, 2 rows");
}

async fn csv_export_streams_many_rows_in_batches(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let owner = app
        .store
        .find_clinician_by_username(&intake_screener::accounts::Username::parse("alice").unwrap())
        .await
        .unwrap()
        .unwrap()
        .id;
    let answers =
        intake_screener::screening::Answers::from_form(CASUAL_FORM.iter().copied()).unwrap();
    let outcome = intake_screener::screening::RulesVersion::CURRENT.score(&answers);
    for _ in 0..1_234 {
        app.store
            .save_screening(owner, &answers, &outcome, 2026)
            .await
            .unwrap();
    }
    let body = alice
        .get("/screenings/export.csv")
        .await
        .text()
        .await
        .unwrap();
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let codes: HashSet<String> = reader
        .records()
        .map(|record| record.unwrap()[0].to_owned())
        .collect();
    assert_eq!(codes.len(), 1_234, "every row once, across batches");
}

fn code_path(code: &str) -> String {
    format!("/screenings/{code}")
}

fn walk_items<'a>(items: &'a Value, out: &mut Vec<&'a Value>) {
    for item in items.as_array().into_iter().flatten() {
        out.push(item);
        walk_items(&item["item"], out);
    }
}

fn questionnaire_items(questionnaire: &Value) -> HashMap<String, Value> {
    let mut items = Vec::new();
    walk_items(&questionnaire["item"], &mut items);
    items
        .into_iter()
        .map(|item| (item["linkId"].as_str().unwrap().to_owned(), item.clone()))
        .collect()
}

/// Fails on any date or time finer than a year anywhere in a resource.
fn assert_no_date_finer_than_year(value: &Value) {
    match value {
        Value::String(text) => {
            let bytes = text.as_bytes();
            let looks_like_date = bytes.windows(7).any(|w| {
                w[..4].iter().all(u8::is_ascii_digit)
                    && w[4] == b'-'
                    && w[5].is_ascii_digit()
                    && w[6].is_ascii_digit()
            });
            assert!(!looks_like_date, "date finer than the year: {text}");
        }
        Value::Array(values) => values.iter().for_each(assert_no_date_finer_than_year),
        Value::Object(map) => map.values().for_each(assert_no_date_finer_than_year),
        _ => {}
    }
}

async fn the_questionnaire_follows_fhir_r4(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let response = alice.get("/fhir/Questionnaire/intake-screener").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/fhir+json");
    let questionnaire: Value = response.json().await.unwrap();
    assert_eq!(questionnaire["resourceType"], "Questionnaire");
    assert_eq!(questionnaire["status"], "active");
    assert!(questionnaire["url"].as_str().unwrap().contains(':'));
    assert!(questionnaire["version"].is_string());
    let name = questionnaire["name"].as_str().unwrap();
    assert!(
        name.chars().next().unwrap().is_ascii_uppercase()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    );
    let items = questionnaire_items(&questionnaire);
    let link_ids: Vec<&str> = items.keys().map(String::as_str).collect();
    assert_eq!(link_ids.len(), items.len(), "linkIds unique");
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
        "secrecy",
        "escalation",
        "despite_consequences",
        "functioning_impaired",
        "minimizes_or_blames",
    ] {
        assert!(items.contains_key(field), "no item {field}");
    }
    let valid_types = [
        "group",
        "display",
        "boolean",
        "choice",
        "open-choice",
        "string",
        "integer",
    ];
    for item in items.values() {
        let kind = item["type"].as_str().unwrap();
        assert!(valid_types.contains(&kind), "type {kind}");
        match kind {
            "group" => assert!(
                !item["item"].as_array().unwrap().is_empty(),
                "que-1: group has items"
            ),
            "choice" => {
                for option in item["answerOption"].as_array().unwrap() {
                    let coding = &option["valueCoding"];
                    assert!(coding["system"].is_string() && coding["code"].is_string());
                }
            }
            _ => assert!(item.get("answerOption").is_none()),
        }
    }
    assert_eq!(items["q3_escape"]["repeats"], true);
    assert_eq!(items["intake"]["type"], "group");
    assert_eq!(items["details"]["type"], "group");
    assert_no_date_finer_than_year(&questionnaire);
}

async fn a_questionnaire_response_matches_its_questionnaire(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let bob = app.clinician("bob").await;
    let location = alice.submit(EXAMPLE_FORM).await;
    let code = code_of(&location);
    let questionnaire: Value = alice
        .get("/fhir/Questionnaire/intake-screener")
        .await
        .json()
        .await
        .unwrap();
    let items = questionnaire_items(&questionnaire);

    assert_eq!(bob.get(&format!("{location}/fhir")).await.status(), 404);
    let response = alice.get(&format!("{location}/fhir")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/fhir+json");
    let qr: Value = response.json().await.unwrap();
    assert_eq!(qr["resourceType"], "QuestionnaireResponse");
    assert_eq!(qr["status"], "completed");
    assert_eq!(
        qr["questionnaire"],
        format!(
            "{}|{}",
            questionnaire["url"].as_str().unwrap(),
            questionnaire["version"].as_str().unwrap()
        )
    );
    let authored = qr["authored"].as_str().unwrap();
    assert!(
        authored.len() == 4 && authored.chars().all(|c| c.is_ascii_digit()),
        "authored is the year: {authored}"
    );
    assert!(qr.get("subject").is_none(), "no subject");
    assert_eq!(qr["identifier"]["value"], code.as_str());
    assert!(qr["identifier"].is_object(), "R4: a single Identifier");

    let mut answered = Vec::new();
    walk_items(&qr["item"], &mut answered);
    for item in &answered {
        let link_id = item["linkId"].as_str().unwrap();
        let definition = items
            .get(link_id)
            .unwrap_or_else(|| panic!("linkId {link_id} not in the Questionnaire"));
        let answers = item.get("answer").and_then(Value::as_array);
        assert!(
            answers.is_some() != item.get("item").is_some(),
            "{link_id}: answer or items, not both"
        );
        for answer in answers.into_iter().flatten() {
            match definition["type"].as_str().unwrap() {
                "choice" => {
                    let coding = &answer["valueCoding"];
                    let allowed = definition["answerOption"].as_array().unwrap();
                    assert!(
                        allowed
                            .iter()
                            .any(|option| option["valueCoding"]["code"] == coding["code"]
                                && option["valueCoding"]["system"] == coding["system"]),
                        "{link_id}: {coding} not an option"
                    );
                }
                "boolean" => assert!(answer["valueBoolean"].is_boolean(), "{link_id}"),
                other => panic!("unexpected type {other}"),
            }
        }
        if definition["repeats"] != true {
            assert!(
                answers.is_none_or(|answers| answers.len() == 1),
                "{link_id} answered more than once"
            );
        }
    }
    let answered_ids: HashSet<&str> = answered
        .iter()
        .map(|item| item["linkId"].as_str().unwrap())
        .collect();
    for item in items.values().filter(|item| item["required"] == true) {
        assert!(
            answered_ids.contains(item["linkId"].as_str().unwrap()),
            "required {} unanswered",
            item["linkId"]
        );
    }

    let observation = &qr["contained"][0];
    assert_eq!(observation["resourceType"], "Observation");
    assert_eq!(observation["status"], "final");
    assert!(observation["code"]["coding"][0]["code"].is_string());
    assert_eq!(
        observation["valueCodeableConcept"]["coding"][0]["code"],
        "at_risk"
    );
    assert_eq!(
        observation["derivedFrom"][0]["reference"], "#",
        "dom-3: the contained resource refers to its container"
    );
    let red_flags = observation["component"]
        .as_array()
        .unwrap()
        .iter()
        .find(|component| component["code"]["coding"][0]["code"] == "red_flag_count")
        .unwrap();
    assert_eq!(red_flags["valueInteger"], 3);
    assert_no_date_finer_than_year(&qr);
}

async fn the_dashboard_draws_bands_and_red_flags(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let empty = alice.get_html("/dashboard").await;
    assert!(empty.contains("No screenings yet"));
    alice.submit(EXAMPLE_FORM).await;
    alice.submit(CASUAL_FORM).await;
    alice.submit(CASUAL_FORM).await;
    let html = alice.get_html("/dashboard").await;
    assert!(html.contains("<svg"));
    assert!(
        html.contains("role=\"img\"") && html.contains("<title"),
        "accessible chart"
    );
    assert!(
        html.contains("3 screenings in all. Casual: 2, At-risk: 1, Addicted: 0, Not screened: 0.")
    );
    assert!(html.contains("<table"), "a table equivalent");
    assert!(html.contains("Red flags per question"));
    assert!(
        html.contains("33% (1)"),
        "question 1 flagged in one of three"
    );
    let bob = app.clinician("bob").await;
    assert!(
        bob.get_html("/dashboard")
            .await
            .contains("No screenings yet"),
        "counts are one's own"
    );
}

async fn the_stylesheet_prints_a_result_cleanly(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let css = app.browser().get_html("/static/app.css").await;
    let print = &css[css.find("@media print").expect("print section")..];
    for hidden in [".site-header", ".no-print", "nav"] {
        assert!(print.contains(hidden), "print hides {hidden}");
    }
}

async fn a_rescreening_links_back_and_shows_what_changed(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let first = code_of(&alice.submit(EXAMPLE_FORM).await);
    let form_html = alice
        .get_html(&format!("/screenings/new?prior_code={first}"))
        .await;
    assert!(
        form_html.contains(&format!("value=\"{first}\"")),
        "the form is pre-filled"
    );
    let mut follow_up = CASUAL_FORM.to_vec();
    follow_up.push(("q6_shame", "yes"));
    let follow_up: Vec<(&str, &str)> = follow_up
        .into_iter()
        .filter(|pair| *pair != ("q6_shame", "no"))
        .collect();
    let loose = first.to_lowercase().replace('-', "");
    let mut with_prior = follow_up.clone();
    with_prior.push(("prior_code", &loose));
    let second = code_of(&alice.submit(&with_prior).await);
    let html = alice.get_html(&format!("/screenings/{second}")).await;
    assert!(
        html.contains(&format!("follows <a href=\"/screenings/{first}\"")),
        "links back"
    );
    assert!(html.contains("Trajectory"));
    let (at_first, at_second) = (
        html.find(&format!(">{first}<")).unwrap(),
        html.rfind(&second).unwrap(),
    );
    assert!(at_first < at_second, "oldest first");
    let new_section =
        &html[html.find("New red flags").unwrap()..html.find("Red flags cleared").unwrap()];
    assert!(new_section.contains("Ashamed or uncomfortable"));
    let cleared = &html[html.find("Red flags cleared").unwrap()..];
    assert!(cleared.contains("Others have expressed concern") && cleared.contains("Keeps secrets"));
    let changes = &html[html.find("Changes since the earlier screening").unwrap()
        ..html.find("New red flags").unwrap()];
    for line in [
        "Band: At-risk → Casual",
        "Pattern: Periods of intense engagement → Not assessed",
        "Control: Retained → Not assessed",
        "No longer observed: Uses it to escape",
        "No longer observed: Secrecy",
    ] {
        assert!(
            changes.contains(line),
            "the trajectory shows {line}: {changes}"
        );
    }
    let earlier = alice.get_html(&format!("/screenings/{first}")).await;
    assert!(
        earlier.contains(&second),
        "the earlier result shows the trajectory too"
    );

    let csv = alice
        .get("/screenings/export.csv")
        .await
        .text()
        .await
        .unwrap();
    let second_row = csv
        .lines()
        .find(|line| line.starts_with(second.as_str()))
        .expect("the second screening is exported");
    assert!(
        second_row.split(',').any(|field| field == first),
        "the export carries the link: {second_row}"
    );
}

async fn an_unknown_or_foreign_prior_code_is_refused(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let bob = app.clinician("bob").await;
    let bobs = code_of(&bob.submit(CASUAL_FORM).await);
    for (prior, message) in [
        ("ZZZZ-ZZZZ", "none of your screenings"),
        (bobs.as_str(), "none of your screenings"),
        ("hello", "is not a review code"),
    ] {
        let mut form = CASUAL_FORM.to_vec();
        form.push(("prior_code", prior));
        let response = alice.post_form("/screenings", &form).await;
        assert_eq!(response.status(), 422, "{prior}");
        let html = response.text().await.unwrap();
        assert!(html.contains(message), "{prior}: {message}");
        assert!(
            html.contains("href=\"#prior_code\""),
            "the summary links to the field"
        );
        assert!(
            html.contains(
                "id=\"q1_concern_expressed-no\" name=\"q1_concern_expressed\" value=\"no\" checked"
            ),
            "answers kept"
        );
    }
    assert_eq!(app.count_screenings().await, 1);
}

async fn the_list_finds_a_result_by_a_loosely_typed_code(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let bob = app.clinician("bob").await;
    let code = code_of(&alice.submit(EXAMPLE_FORM).await);
    let typed = code
        .to_lowercase()
        .replace('-', "")
        .replace('0', "o")
        .replace('1', "l");
    let found = alice.get(&format!("/screenings?code={typed}")).await;
    assert_eq!(found.status(), 303);
    assert_eq!(location(&found), code_path(&code));
    let not_a_code = alice.get("/screenings?code=hello").await;
    assert_eq!(not_a_code.status(), 400);
    assert!(
        not_a_code
            .text()
            .await
            .unwrap()
            .contains("is not a review code")
    );
    let foreign = bob.get(&format!("/screenings?code={code}")).await;
    assert_eq!(foreign.status(), 404);
    assert!(
        foreign
            .text()
            .await
            .unwrap()
            .contains("None of your results")
    );
}

fn export(database: &str, args: &[&str]) -> (i32, String, String) {
    let output = std::process::Command::new(BIN)
        .arg("export")
        .args(args)
        .args(["--database", database])
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[tokio::test]
async fn the_command_line_exports_csv_json_and_fhir() {
    let app = TestApp::builder().spawn().await;
    let alice = app.clinician("alice").await;
    let bob = app.clinician("bob").await;
    let alices = code_of(&alice.submit(EXAMPLE_FORM).await);
    let bobs = code_of(&bob.submit(CASUAL_FORM).await);
    let db = helpers::database_url(&app.db_path);

    let (code, csv, _) = export(&db, &["--format", "csv"]);
    assert_eq!(code, 0);
    assert_eq!(csv.lines().count(), 3, "header and both rows");
    let (_, csv, _) = export(&db, &["--format", "csv", "--clinician", "bob"]);
    assert!(csv.contains(&bobs) && !csv.contains(&alices));

    let (code, json, _) = export(&db, &["--format", "json"]);
    assert_eq!(code, 0);
    let documents: Vec<Value> = serde_json::from_str(&json).unwrap();
    assert_eq!(documents.len(), 2);
    assert_eq!(documents[0]["review_code"], alices.as_str());
    assert_eq!(documents[0]["result"]["band"], "at_risk");
    assert_eq!(
        documents[0]["answers"]["q3_escape"],
        serde_json::json!(["pornography", "exercise"])
    );

    let (code, fhir, _) = export(&db, &["--format", "fhir", "--clinician", "alice"]);
    assert_eq!(code, 0);
    let bundle: Value = serde_json::from_str(&fhir).unwrap();
    assert_eq!(bundle["resourceType"], "Bundle");
    assert_eq!(bundle["type"], "collection");
    let entries = bundle["entry"].as_array().unwrap();
    assert_eq!(
        entries.len(),
        2,
        "the Questionnaire and alice's one response"
    );
    assert_eq!(entries[0]["resource"]["resourceType"], "Questionnaire");
    assert_eq!(entries[1]["resource"]["id"], alices.as_str());
    assert_no_date_finer_than_year(&bundle);

    let (code, _, stderr) = export(&db, &["--clinician", "nobody"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("no account"));
    let (code, _, stderr) = export(&db, &["--format", "xml"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("possible values"));
    assert_eq!(app.count_audit("exported").await, 4);
}

/// A stored record that does not read back (the database changed outside the app) is a
/// clear error page: never a panic, never the wrong level, never a silently dropped value.
async fn assert_unreadable(response: reqwest::Response, what: &str) {
    assert_eq!(response.status(), 500, "{what}");
    let html = response.text().await.unwrap();
    assert!(html.contains("Stored record unreadable"), "{what}: {html}");
    assert!(!html.contains("Something went wrong"), "{what}: {html}");
    for level in ["Level:", "band-"] {
        assert!(!html.contains(level), "{what} shows a level: {html}");
    }
}

/// The level is re-scored from the stored answers on every read and compared with the stored
/// one: a stored level they do not score is an error, not a pick of either.
async fn a_stored_level_its_answers_do_not_score_is_a_clear_error(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let code = code_of(&alice.submit(EXAMPLE_FORM).await);
    let page = alice.get_html(&format!("/screenings/{code}")).await;
    assert!(page.contains("Level: at-risk use"), "{page}");
    app.db
        .execute(&format!(
            "UPDATE screenings SET band = 'casual' WHERE review_code = '{code}'"
        ))
        .await;
    assert_unreadable(
        alice.get(&format!("/screenings/{code}")).await,
        "the result",
    )
    .await;
    assert_unreadable(alice.get("/screenings").await, "the list").await;
}

/// Runs `sql` past the tables' CHECK constraints, as a hand-edited database might have it.
async fn execute_unchecked(app: &helpers::TestApp, sql: &str) {
    match app.db.engine() {
        Engine::Sqlite => {
            let pool = sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(1)
                .connect(&helpers::database_url(&app.db_path))
                .await
                .unwrap();
            sqlx::query("PRAGMA ignore_check_constraints = ON")
                .execute(&pool)
                .await
                .unwrap();
            sqlx::query(sql).execute(&pool).await.unwrap();
            pool.close().await;
        }
        Engine::Postgres => {
            for table in ["screenings", "invitations"] {
                app.db
                    .execute(&format!(
                        "ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {table}_client_language_check"
                    ))
                    .await;
            }
            app.db.execute(sql).await;
        }
    }
}

/// A stored language that is not a language code (the schema's CHECK bypassed) is an error on
/// every path (the result, the invitations), never dropped and never guessed.
async fn a_stored_language_that_does_not_decode_is_a_clear_error(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let code = code_of(&alice.submit(EXAMPLE_FORM).await);
    execute_unchecked(
        &app,
        &format!("UPDATE screenings SET client_language = 'XX' WHERE review_code = '{code}'"),
    )
    .await;
    assert_unreadable(
        alice.get(&format!("/screenings/{code}")).await,
        "the result",
    )
    .await;
    let response = alice.post_form("/invitations", &[("mode", "link")]).await;
    assert_eq!(response.status(), 303);
    execute_unchecked(&app, "UPDATE invitations SET client_language = 'english'").await;
    assert_unreadable(alice.get("/invitations").await, "the invitations").await;
}

crate::both_engines!(
    a_stored_level_its_answers_do_not_score_is_a_clear_error,
    a_stored_language_that_does_not_decode_is_a_clear_error,
    csv_export_streams_many_rows_in_batches,
    the_questionnaire_follows_fhir_r4,
    a_questionnaire_response_matches_its_questionnaire,
    the_dashboard_draws_bands_and_red_flags,
    the_stylesheet_prints_a_result_cleanly,
    a_rescreening_links_back_and_shows_what_changed,
    an_unknown_or_foreign_prior_code_is_refused,
    the_list_finds_a_result_by_a_loosely_typed_code,
);
