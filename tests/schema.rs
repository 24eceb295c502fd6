//! De-identification (SPEC §4) read off the schema itself: a screening table may hold the
//! review code, the owner, coded answers, the result, the rules version and the year —
//! nothing that could identify a client or date a screening finer than the year.

mod common;

use common::spawn_app;
use intake_screener::screening::{Coded, Indicator, IntakeQuestion};

/// Words that, in a column name, suggest identifying data.
const IDENTIFYING: &[&str] = &[
    "name", "initial", "birth", "dob", "age", "date", "time", "created", "updated", "at", "ip",
    "addr", "agent", "note", "comment", "text", "free", "email", "phone", "address",
];

fn allowed_columns() -> Vec<String> {
    let mut allowed: Vec<String> = [
        "id",
        "review_code",
        "clinician_id",
        "year",
        "seq_in_year",
        "rules_version",
        "pattern",
        "control",
        "band",
        "red_flag_count",
        "further_investigation",
        "referral",
        "provisional",
        "incomplete",
        "prior_id",
        "administration",
        "client_language",
        "intake_corrected",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    allowed.extend(
        IntakeQuestion::ALL
            .iter()
            .map(|question| question.field().to_owned()),
    );
    allowed.extend(
        Indicator::ALL
            .iter()
            .map(|indicator| indicator.code().to_owned()),
    );
    allowed
}

#[tokio::test]
async fn screening_tables_hold_no_identifying_column() {
    let app = spawn_app().await;
    let db = app.database().await;
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
            .fetch_all(&db)
            .await
            .unwrap();
    let allowed = allowed_columns();
    let mut checked = 0;
    for table in tables {
        let columns: Vec<(String, String)> = sqlx::query_as(&format!(
            "SELECT name, type FROM pragma_table_info('{table}')"
        ))
        .fetch_all(&db)
        .await
        .unwrap();
        let is_screening_table =
            table.contains("screening") || columns.iter().any(|(name, _)| name == "review_code");
        if !is_screening_table {
            continue;
        }
        checked += 1;
        for (column, kind) in &columns {
            assert!(
                allowed.contains(column),
                "{table}.{column} is not a known de-identified column: add it here only if it cannot identify a client"
            );
            let words: Vec<&str> = column.split('_').collect();
            for word in IDENTIFYING {
                let hit = words.contains(word)
                    && !IntakeQuestion::ALL.iter().any(|q| q.field() == column);
                assert!(!hit, "{table}.{column} looks identifying ({word})");
            }
            assert!(
                !matches!(
                    kind.to_uppercase().as_str(),
                    "DATE" | "DATETIME" | "TIMESTAMP" | "BLOB"
                ),
                "{table}.{column} has type {kind}"
            );
        }
    }
    assert!(checked >= 1, "the screenings table was not found");
}

/// The columns an invitation (SPEC §6) may hold: who made it, how it is answered, a hash of
/// the client's token, two match words, its expiry, and the client's coded intake answers.
fn allowed_invitation_columns() -> Vec<String> {
    let mut allowed: Vec<String> = [
        "id",
        "token_hash",
        "clinician_id",
        "administration",
        "match_words",
        "expiry",
        "client_language",
        "forget_after",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    allowed.extend(
        IntakeQuestion::ALL
            .iter()
            .map(|question| question.field().to_owned()),
    );
    allowed
}

#[tokio::test]
async fn invitation_tables_hold_no_identifying_column_and_no_review_code() {
    let app = spawn_app().await;
    let db = app.database().await;
    let allowed = allowed_invitation_columns();
    let mut checked = 0;
    for table in ["invitations", "spent_tokens"] {
        let columns: Vec<(String, String)> = sqlx::query_as(&format!(
            "SELECT name, type FROM pragma_table_info('{table}')"
        ))
        .fetch_all(&db)
        .await
        .unwrap();
        assert!(!columns.is_empty(), "table {table} is missing");
        checked += 1;
        for (column, kind) in &columns {
            assert!(
                allowed.contains(column),
                "{table}.{column} is not a known de-identified column"
            );
            assert_ne!(
                column, "review_code",
                "an invitation never holds a review code"
            );
            let words: Vec<&str> = column.split('_').collect();
            for word in IDENTIFYING {
                let hit = words.contains(word)
                    && !IntakeQuestion::ALL.iter().any(|q| q.field() == column);
                assert!(!hit, "{table}.{column} looks identifying ({word})");
            }
            assert!(
                !matches!(
                    kind.to_uppercase().as_str(),
                    "DATE" | "DATETIME" | "TIMESTAMP" | "BLOB"
                ),
                "{table}.{column} has type {kind}"
            );
        }
    }
    assert_eq!(checked, 2);
}

#[tokio::test]
async fn a_stored_screening_holds_codes_only() {
    let app = spawn_app().await;
    let alice = app.clinician("alice").await;
    alice.submit(common::EXAMPLE_FORM).await;
    let db = app.database().await;
    let (year, q3, band): (i64, String, String) =
        sqlx::query_as("SELECT year, q3_escape, band FROM screenings")
            .fetch_one(&db)
            .await
            .unwrap();
    assert!((2024..=9999).contains(&year));
    assert_eq!(q3, "pornography exercise");
    assert_eq!(band, "at_risk");
    let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(journal, "wal");
}
