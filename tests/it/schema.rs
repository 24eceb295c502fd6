//! De-identification (PRODUCT §4) read off the schema itself: a screening table may hold the
//! review code, the owner, coded answers, the result, the rules version and the year —
//! nothing that could identify a client or date a screening finer than the year.

use crate::helpers;
use crate::helpers::engine::skip_without_postgres;
use crate::helpers::{Engine, TestApp, TestDatabase};
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
    // The client's own answers to the six questions (PRODUCT §6.1), kept to show what the
    // clinician corrected: coded answers like the recorded ones, which §4 allows.
    allowed.extend(
        IntakeQuestion::ALL
            .iter()
            .map(|question| format!("client_{}", question.field())),
    );
    allowed
}

/// Types that could hold a date finer than the year, or anything at all.
const FORBIDDEN_TYPES: &[&str] = &[
    "DATE",
    "DATETIME",
    "TIMESTAMP",
    "TIMESTAMP WITH TIME ZONE",
    "TIMESTAMP WITHOUT TIME ZONE",
    "BLOB",
    "BYTEA",
    "INET",
    "JSON",
    "JSONB",
];

async fn screening_tables_hold_no_identifying_column(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let tables = app.db.tables().await;
    let allowed = allowed_columns();
    let mut checked = 0;
    for table in tables {
        let columns = app.db.columns(&table).await;
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
                !FORBIDDEN_TYPES.contains(&kind.to_uppercase().as_str()),
                "{table}.{column} has type {kind}"
            );
        }
    }
    assert!(checked >= 1, "the screenings table was not found");
}

/// The columns an invitation (PRODUCT §6) may hold: who made it, how it is answered, a hash of
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
        // Why a spent token stopped working (used, cancelled, expired): coded.
        "reason",
        // A re-screening's earlier screening, as its row id (never its review code).
        "prior_id",
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

async fn invitation_tables_hold_no_identifying_column_and_no_review_code(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let allowed = allowed_invitation_columns();
    let mut checked = 0;
    for table in ["invitations", "spent_tokens"] {
        let columns = app.db.columns(table).await;
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
                !FORBIDDEN_TYPES.contains(&kind.to_uppercase().as_str()),
                "{table}.{column} has type {kind}"
            );
        }
    }
    assert_eq!(checked, 2);
}

/// The columns a draft of an interrupted intake (PRODUCT §6.1) may hold: its random id, its
/// owner, its expiry, the internal ids of the earlier screening and of the client's
/// invitation it resumes, and the coded answers given so far. Never a review code.
fn allowed_draft_columns() -> Vec<String> {
    let mut allowed: Vec<String> = [
        "id",
        "clinician_id",
        "expiry",
        "prior_id",
        "invitation_id",
        "pattern",
        "control",
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

async fn the_drafts_table_holds_no_identifying_column_and_no_review_code(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let allowed = allowed_draft_columns();
    let columns = app.db.columns("drafts").await;
    assert!(!columns.is_empty(), "table drafts is missing");
    for (column, kind) in &columns {
        assert!(
            allowed.contains(column),
            "drafts.{column} is not a known de-identified column"
        );
        assert_ne!(column, "review_code", "a draft never holds a review code");
        let words: Vec<&str> = column.split('_').collect();
        for word in IDENTIFYING {
            let hit =
                words.contains(word) && !IntakeQuestion::ALL.iter().any(|q| q.field() == column);
            assert!(!hit, "drafts.{column} looks identifying ({word})");
        }
        assert!(
            !FORBIDDEN_TYPES.contains(&kind.to_uppercase().as_str()),
            "drafts.{column} has type {kind}"
        );
    }
    assert_eq!(
        columns.len(),
        allowed.len(),
        "every column of a draft is known"
    );
    // Codes only, and an expiry on the whole hour: the database refuses anything else.
    app.create_account("alice", false).await;
    let owner = app.count("SELECT id FROM clinicians").await;
    let insert = |id: &str, expiry: i64, q1: &str| {
        format!(
            "INSERT INTO drafts (id, clinician_id, expiry, q1_concern_expressed)              VALUES ('{id}', {owner}, {expiry}, {q1})"
        )
    };
    assert!(
        app.db
            .accepts(&insert("0123456789abcdef", 7200, "'yes'"))
            .await
    );
    assert!(
        !app.db
            .accepts(&insert("0123456789abcde0", 7201, "'yes'"))
            .await,
        "a finer expiry"
    );
    assert!(
        !app.db
            .accepts(&insert("0123456789abcde1", 7200, "'Jane'"))
            .await,
        "free text"
    );
    assert!(
        !app.db.accepts(&insert("short", 7200, "NULL")).await,
        "another id"
    );
}

async fn a_stored_screening_holds_codes_only(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    alice.submit(helpers::EXAMPLE_FORM).await;
    let year = app
        .count("SELECT CAST(year AS BIGINT) FROM screenings")
        .await;
    assert!((2024..=9999).contains(&year));
    assert_eq!(
        app.count_text("SELECT q3_escape FROM screenings").await,
        "pornography exercise"
    );
    assert_eq!(
        app.count_text("SELECT band FROM screenings").await,
        "at_risk"
    );
    if engine == Engine::Sqlite {
        assert_eq!(app.count_text("PRAGMA journal_mode").await, "wal");
    }
}

/// Both engines hold the same tables with the same columns (PostgreSQL adds the table that
/// counts failed sign-ins across instances; SQLite counts them in memory).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_engines_have_the_same_schema() {
    if skip_without_postgres().await {
        return;
    }
    let sqlite = TestApp::builder().engine(Engine::Sqlite).spawn().await;
    let postgres = TestApp::builder().engine(Engine::Postgres).spawn().await;
    let mut postgres_tables = postgres.db.tables().await;
    postgres_tables.retain(|table| table != "sign_in_failures");
    assert_eq!(sqlite.db.tables().await, postgres_tables);
    for table in postgres_tables {
        let names = |columns: Vec<(String, String)>| {
            let mut names: Vec<String> = columns.into_iter().map(|(name, _)| name).collect();
            names.sort();
            names
        };
        assert_eq!(
            names(sqlite.db.columns(&table).await),
            names(postgres.db.columns(&table).await),
            "columns of {table}"
        );
    }
}

/// The CHECK constraints refuse the same bad rows on both engines, and the audit log is
/// append-only on both.
async fn the_database_refuses_what_the_app_never_writes(engine: Engine) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = app.clinician("alice").await;
    alice.submit(helpers::EXAMPLE_FORM).await;
    let db: &TestDatabase = &app.db;
    let copy = |change: &str| {
        format!(
            "INSERT INTO screenings (id, review_code, clinician_id, year, seq_in_year, rules_version, \
             q1_concern_expressed, q2_self_concern, q3_escape, q4_secrets, q5_others_disturbed, q6_shame, \
             pattern, control, escape_use, secrecy, escalation, despite_consequences, \
             functioning_impaired, minimizes_or_blames, band, red_flag_count, further_investigation, \
             referral, provisional, incomplete) \
             SELECT {change} FROM screenings"
        )
    };
    let good = "id + 1, 'ZZZZ-ZZZZ', clinician_id, year, seq_in_year + 1, rules_version, \
        q1_concern_expressed, q2_self_concern, q3_escape, q4_secrets, q5_others_disturbed, q6_shame, \
        pattern, control, escape_use, secrecy, escalation, despite_consequences, \
        functioning_impaired, minimizes_or_blames, band, red_flag_count, further_investigation, \
        referral, provisional, incomplete";
    for (bad, what) in [
        (
            good.replace("band, red_flag_count", "'severe', red_flag_count"),
            "an unknown band",
        ),
        (
            good.replace("clinician_id, year,", "clinician_id, 1999,"),
            "a year before 2000",
        ),
        (
            good.replace("q1_concern_expressed, q2", "'maybe', q2"),
            "an unknown answer",
        ),
        (
            good.replace("'ZZZZ-ZZZZ'", "'Jane Doe, born 1990-01-01'"),
            "text for a code",
        ),
        (good.replace("id + 1,", "7,"), "a small row id"),
        (
            good.replace("red_flag_count, further", "7, further"),
            "seven red flags",
        ),
        (
            good.replace("control, escape_use", "'unclear', escape_use"),
            "an unknown control",
        ),
    ] {
        assert!(!db.accepts(&copy(&bad)).await, "{what} was stored");
    }
    assert!(db.accepts(&copy(good)).await, "the good copy is refused");
    assert!(
        !db.accepts("UPDATE audit_events SET actor = 'mallory'")
            .await,
        "the audit log changed"
    );
    assert!(
        !db.accepts("DELETE FROM audit_events").await,
        "the audit log lost rows"
    );
}

crate::both_engines!(
    screening_tables_hold_no_identifying_column,
    invitation_tables_hold_no_identifying_column_and_no_review_code,
    the_drafts_table_holds_no_identifying_column_and_no_review_code,
    a_stored_screening_holds_codes_only,
    the_database_refuses_what_the_app_never_writes,
);
