//! Each screening succeeds or fails on its own, and no acknowledged screening is ever missing
//! (issue 17, break 1), on both engines, by fault injection: a trigger refuses the screenings
//! of one marked answer while many others are submitted at once (so that the batch writer puts
//! them in the same transactions), and another trigger makes the database skip the marked rows
//! silently. Every 303 must name a stored screening; no unmarked submission may fail.

use std::sync::Arc;

use tokio::sync::Mutex;

use crate::helpers::{CASUAL_FORM, Engine, TestApp, code_of};

/// Concurrent submitters, and submissions each.
const TASKS: usize = 16;
const EACH: usize = 15;

/// Marked submissions: the last two questions declined (no other submission declines them).
fn marked() -> Vec<(&'static str, &'static str)> {
    let mut form: Vec<(&str, &str)> = CASUAL_FORM
        .iter()
        .copied()
        .filter(|(field, _)| !matches!(*field, "q5_others_disturbed" | "q6_shame"))
        .collect();
    form.extend([
        ("q5_others_disturbed", "declined"),
        ("q6_shame", "declined"),
    ]);
    form
}

const WHEN_MARKED: &str = "NEW.q5_others_disturbed = 'declined' AND NEW.q6_shame = 'declined'";

/// A trigger that raises an error for marked rows.
fn refusing_trigger(engine: Engine) -> Vec<String> {
    match engine {
        Engine::Sqlite => vec![format!(
            "CREATE TRIGGER refuse_marked BEFORE INSERT ON screenings WHEN {WHEN_MARKED} \
             BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
        )],
        Engine::Postgres => vec![
            format!(
                "CREATE FUNCTION refuse_marked() RETURNS trigger LANGUAGE plpgsql AS $$ \
                 BEGIN IF {WHEN_MARKED} THEN RAISE EXCEPTION 'refused by the test'; END IF; \
                 RETURN NEW; END $$"
            ),
            "CREATE TRIGGER refuse_marked BEFORE INSERT ON screenings FOR EACH ROW \
             EXECUTE FUNCTION refuse_marked()"
                .to_owned(),
        ],
    }
}

/// A trigger that silently skips marked rows (the insert affects no row).
fn skipping_trigger(engine: Engine) -> Vec<String> {
    match engine {
        Engine::Sqlite => vec![format!(
            "CREATE TRIGGER skip_marked BEFORE INSERT ON screenings WHEN {WHEN_MARKED} \
             BEGIN SELECT RAISE(IGNORE); END"
        )],
        Engine::Postgres => vec![
            format!(
                "CREATE FUNCTION skip_marked() RETURNS trigger LANGUAGE plpgsql AS $$ \
                 BEGIN IF {WHEN_MARKED} THEN RETURN NULL; END IF; RETURN NEW; END $$"
            ),
            "CREATE TRIGGER skip_marked BEFORE INSERT ON screenings FOR EACH ROW \
             EXECUTE FUNCTION skip_marked()"
                .to_owned(),
        ],
    }
}

/// PostgreSQL: the batch's one-statement insert skips the marked rows (as it skips rows whose
/// code or id clashed), and the one-by-one insert that follows raises an error: the case that
/// used to turn the batch's COMMIT into a ROLLBACK while every job was answered 303. SQLite has
/// no one-statement insert: there the trigger refuses.
fn skip_then_refuse_trigger(engine: Engine) -> Vec<String> {
    match engine {
        Engine::Sqlite => refusing_trigger(engine),
        Engine::Postgres => vec![
            format!(
                "CREATE FUNCTION skip_then_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ \
                 BEGIN IF {WHEN_MARKED} THEN \
                   IF current_query() LIKE '%unnest%' THEN RETURN NULL; END IF; \
                   RAISE EXCEPTION 'refused by the test'; \
                 END IF; RETURN NEW; END $$"
            ),
            "CREATE TRIGGER skip_then_refuse BEFORE INSERT ON screenings FOR EACH ROW \
             EXECUTE FUNCTION skip_then_refuse()"
                .to_owned(),
        ],
    }
}

#[derive(Default)]
struct Seen {
    acknowledged: Vec<String>,
    marked_acknowledged: usize,
    unmarked_refused: Vec<u16>,
}

async fn each_screening_on_its_own(engine: Engine, trigger: fn(Engine) -> Vec<String>) {
    let app = TestApp::builder().engine(engine).spawn().await;
    let alice = Arc::new(app.clinician("alice").await);
    for statement in trigger(engine) {
        app.db.execute(&statement).await;
    }
    let seen = Arc::new(Mutex::new(Seen::default()));
    let tasks: Vec<_> = (0..TASKS)
        .map(|task| {
            let (alice, seen) = (alice.clone(), seen.clone());
            tokio::spawn(async move {
                let marked = marked();
                for n in 0..EACH {
                    let is_marked = (task + n) % 5 == 0;
                    let form: &[(&str, &str)] = if is_marked { &marked } else { CASUAL_FORM };
                    let (status, path) = alice.try_submit(form).await.expect("an answer");
                    let mut seen = seen.lock().await;
                    match (status, is_marked) {
                        (303, true) => {
                            seen.marked_acknowledged += 1;
                            seen.acknowledged.push(code_of(&path.unwrap()));
                        }
                        (303, false) => seen.acknowledged.push(code_of(&path.unwrap())),
                        (status, false) => seen.unmarked_refused.push(status),
                        (status, true) => assert!(status >= 500, "a marked one failed: {status}"),
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let seen = std::mem::take(&mut *seen.lock().await);
    assert_eq!(
        seen.marked_acknowledged, 0,
        "the database refused every marked one"
    );
    assert!(
        seen.unmarked_refused.is_empty(),
        "collateral failures: {:?}",
        seen.unmarked_refused
    );
    let missing: Vec<&String> = {
        let mut missing = Vec::new();
        for code in &seen.acknowledged {
            let sql = format!("SELECT COUNT(*) FROM screenings WHERE review_code = '{code}'");
            if app.db.count(&sql).await != 1 {
                missing.push(code);
            }
        }
        missing
    };
    assert!(
        missing.is_empty(),
        "acknowledged but not stored: {missing:?}"
    );
    let unmarked = (0..TASKS)
        .flat_map(|task| (0..EACH).map(move |n| (task + n) % 5 != 0))
        .filter(|&unmarked| unmarked)
        .count();
    assert_eq!(seen.acknowledged.len(), unmarked);
    assert_eq!(app.count_screenings().await, unmarked as i64);
}

async fn a_refused_screening_fails_alone(engine: Engine) {
    each_screening_on_its_own(engine, refusing_trigger).await;
}

async fn a_skipped_screening_is_never_acknowledged(engine: Engine) {
    each_screening_on_its_own(engine, skipping_trigger).await;
}

async fn a_screening_skipped_then_refused_is_never_acknowledged(engine: Engine) {
    each_screening_on_its_own(engine, skip_then_refuse_trigger).await;
}

crate::both_engines!(
    a_refused_screening_fails_alone,
    a_skipped_screening_is_never_acknowledged,
    a_screening_skipped_then_refused_is_never_acknowledged,
);
