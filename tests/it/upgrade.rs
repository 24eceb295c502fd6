//! A SQLite database made by the release before PostgreSQL support (commit 3aa744c: the
//! migrations were then in `migrations/`, now in `migrations/sqlite/`, unchanged) opens with
//! this binary: its migration history is valid, the newer migrations run, and every
//! screening, link and account is still there. The fixture was made with that release's
//! migrations 0001–0002 and its `_sqlx_migrations` rows (checksums of those files).

use crate::helpers;
use crate::helpers::server::screener;
use intake_screener::accounts::{ClinicianId, Username};
use intake_screener::screening::{Band, ReviewCode};
use intake_screener::store::{ScreeningQuery, Store};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/made-by-3aa744c.db"
);

#[tokio::test]
async fn a_database_of_the_previous_release_opens_and_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("screener.db");
    std::fs::copy(FIXTURE, &db).unwrap();

    // Before: the check finds migrations 1–2 applied and the rest pending, nothing changed.
    let built_in = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"))
        .unwrap()
        .filter(|entry| entry.as_ref().unwrap().path().extension() == Some("sql".as_ref()))
        .count();
    let (code, stdout, stderr) = screener(&db, &["check"], "");
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!("2 applied, {} pending", built_in - 2)),
        "{stdout}"
    );

    let store = Store::open(&helpers::database_url(&db))
        .await
        .expect("upgrade");
    let report = store.check().await.unwrap();
    assert!(report.is_ok(), "{report:?}");
    assert_eq!(report.migrations.applied.len(), built_in);
    assert!(report.migrations.pending.is_empty());

    let alice = store
        .find_clinician_by_username(&Username::parse("alice").unwrap())
        .await
        .unwrap()
        .expect("alice kept");
    assert!(alice.is_admin);
    assert_eq!(store.count_clinicians().await.unwrap(), 2);

    let page = store
        .list_screenings(&ScreeningQuery {
            owner: alice.id,
            band: None,
            older_than: None,
        })
        .await
        .unwrap();
    let codes: Vec<String> = page
        .screenings
        .iter()
        .map(|screening| screening.review_code.to_string())
        .collect();
    assert_eq!(codes, ["R9VX-4HJK", "K7QF-29MX"], "newest first");
    let follow_up = store
        .find_screening(alice.id, &"R9VX-4HJK".parse::<ReviewCode>().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(follow_up.outcome.band, Band::Addicted);
    assert_eq!(
        follow_up.prior.map(|code| code.to_string()).as_deref(),
        Some("K7QF-29MX")
    );
    assert_eq!(follow_up.outcome.rules_version.as_str(), "1");
    // Another clinician's screening stays theirs.
    assert!(
        store
            .find_screening(alice.id, &"M3PD-8TQW".parse::<ReviewCode>().unwrap())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .find_screening(ClinicianId(2), &"M3PD-8TQW".parse::<ReviewCode>().unwrap())
            .await
            .unwrap()
            .is_some()
    );
    store.close().await;

    let (code, stdout, stderr) = screener(&db, &["check"], "");
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!("{built_in} applied, 0 pending")),
        "{stdout}"
    );
}
