//! Rules version 3 over HTTP, on both engines (PRODUCT §2.3c, §2.4c): a client who declined all
//! six questions is "not screened" everywhere a band goes — the result page, the list and its
//! filter, the dashboard, CSV, JSON and FHIR — and never counted as casual; a provisional
//! result is a preliminary FHIR Observation; results stored with versions 1 and 2 keep their
//! own version's band and reasons.

use crate::helpers::{CASUAL_FORM, Engine, TestApp, code_of};
use intake_screener::accounts::Username;
use intake_screener::screening::{Answers, Band, ReviewCode, RulesVersion};
use serde_json::Value;

const ALL_DECLINED: &[(&str, &str)] = &[
    ("q1_concern_expressed", "declined"),
    ("q2_self_concern", "declined"),
    ("q3_escape", "declined"),
    ("q4_secrets", "declined"),
    ("q5_others_disturbed", "declined"),
    ("q6_shame", "declined"),
];

async fn not_screened_goes_everywhere_a_band_goes(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let declined = code_of(&alice.submit(ALL_DECLINED).await);
    let casual = code_of(&alice.submit(CASUAL_FORM).await);

    let html = alice.get_html(&format!("/screenings/{declined}")).await;
    assert!(html.contains("Not screened: the client declined all six questions"));
    assert!(html.contains("rules version 3"));

    let list = alice.get_html("/screenings?band=not_screened").await;
    assert!(
        list.contains(&declined) && !list.contains(&casual),
        "the filter"
    );
    assert!(
        list.contains("badge-neutral\">Not screened<"),
        "styled neutrally, never as casual"
    );
    let list = alice.get_html("/screenings?band=casual").await;
    assert!(
        list.contains(&casual) && !list.contains(&declined),
        "never counted as casual"
    );
    let list = alice.get_html("/screenings").await;
    assert!(
        list.contains("Not screened"),
        "a filter link and the row's label"
    );

    let dashboard = alice.get_html("/dashboard").await;
    assert!(
        dashboard
            .contains("2 screenings in all. Casual: 1, At-risk: 0, Addicted: 0, Not screened: 1."),
        "{dashboard}"
    );

    let csv = alice
        .get("/screenings/export.csv")
        .await
        .text()
        .await
        .unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let bands: Vec<(String, String)> = reader
        .deserialize::<std::collections::HashMap<String, String>>()
        .map(Result::unwrap)
        .map(|row| (row["band"].clone(), row["rules_version"].clone()))
        .collect();
    assert_eq!(
        bands,
        [
            ("not_screened".to_owned(), "3".to_owned()),
            ("casual".to_owned(), "3".to_owned())
        ]
    );

    let fhir: Value = alice
        .get(&format!("/screenings/{declined}/fhir"))
        .await
        .json()
        .await
        .unwrap();
    let observation = &fhir["contained"][0];
    assert_eq!(
        observation["valueCodeableConcept"]["coding"][0]["code"],
        "not_screened"
    );
    assert_eq!(
        observation["status"], "final",
        "not screened is not provisional"
    );

    let owner = app
        .store
        .find_clinician_by_username(&Username::parse("alice").unwrap())
        .await
        .unwrap()
        .unwrap()
        .id;
    let stored = app
        .store
        .find_screening(owner, &declined.parse::<ReviewCode>().unwrap())
        .await
        .unwrap()
        .unwrap();
    let json = intake_screener::export::json_document(&stored);
    assert_eq!(json["result"]["band"], "not_screened", "{json}");
    assert_eq!(json["result"]["rules_version"], "3", "{json}");
}

async fn a_provisional_result_is_a_preliminary_observation_with_its_sources(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let mut compulsive_retained = CASUAL_FORM.to_vec();
    compulsive_retained.extend([("pattern", "compulsive"), ("control", "retained")]);
    let code = code_of(&alice.submit(&compulsive_retained).await);
    let fhir: Value = alice
        .get(&format!("/screenings/{code}/fhir"))
        .await
        .json()
        .await
        .unwrap();
    let observation = &fhir["contained"][0];
    assert_eq!(observation["status"], "preliminary");
    let notes: Vec<&str> = observation["note"]
        .as_array()
        .unwrap()
        .iter()
        .map(|note| note["text"].as_str().unwrap())
        .collect();
    assert!(
        notes.iter().any(|note| note.contains("not a diagnosis")),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|note| note.contains("Weiss") && note.contains("https://")),
        "{notes:?}"
    );
    let html = alice.get_html(&format!("/screenings/{code}")).await;
    assert!(
        html.contains("compulsive users cannot stop"),
        "inconsistency (b) named"
    );

    let questionnaire: Value = alice
        .get("/fhir/Questionnaire/intake-screener")
        .await
        .json()
        .await
        .unwrap();
    let artifact = &questionnaire["extension"][0]["valueRelatedArtifact"];
    assert_eq!(artifact["type"], "citation");
    assert!(artifact["url"].as_str().unwrap().starts_with("https://"));
}

/// Rows scored by versions 1 and 2 are shown by their own version, not re-scored.
async fn stored_version_1_and_2_rows_keep_their_own_bands(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    let owner = app
        .store
        .find_clinician_by_username(&Username::parse("alice").unwrap())
        .await
        .unwrap()
        .unwrap()
        .id;
    let answers = Answers::from_form(ALL_DECLINED.iter().copied()).unwrap();
    assert_eq!(RulesVersion::V3.score(&answers).band, Band::NotScreened);
    for version in [RulesVersion::V1, RulesVersion::V2] {
        let outcome = version.score(&answers);
        assert_eq!(outcome.band, Band::Casual, "version {version} said casual");
        let code = app
            .store
            .save_screening(owner, &answers, &outcome, 2025)
            .await
            .unwrap();
        let html = alice.get_html(&format!("/screenings/{code}")).await;
        assert!(html.contains(&format!("scored with rules version {version}")));
        assert!(
            html.contains("Level: casual use (Weiss 2015)"),
            "its own band"
        );
        assert!(
            html.contains("This is not a finding of casual use."),
            "but the page says what the record holds"
        );
        assert!(
            html.contains("band-neutral"),
            "incomplete: styled neutrally"
        );
        for reason in outcome.reasons.texts() {
            assert!(html.contains(&reason.replace('\'', "&#39;")), "{reason}");
        }
    }
    let list = alice.get_html("/screenings?band=casual").await;
    assert_eq!(
        list.matches("badge-neutral\">Casual<").count(),
        2,
        "listed by their own band, styled neutrally: incomplete"
    );
}

crate::both_engines!(
    not_screened_goes_everywhere_a_band_goes,
    a_provisional_result_is_a_preliminary_observation_with_its_sources,
    stored_version_1_and_2_rows_keep_their_own_bands,
);
