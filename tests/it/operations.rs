//! The operations commands: `screener backup` (online, while the server takes submissions),
//! `screener purge --before-year`, and `screener check`; on SQLite files and, for purge,
//! check, export, accounts and backup through pg_dump, on PostgreSQL.

use std::collections::HashSet;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};
use tokio::sync::Mutex;

use crate::helpers;
use crate::helpers::engine::skip_without_postgres;
use crate::helpers::server::{Server, add_account, add_account_on, screener, screener_on};
use crate::helpers::{
    Browser, EXAMPLE_FORM, Engine, PASSWORD, TestDatabase, code_of, database_url,
};
use intake_screener::accounts::{NewPassword, Username};
use intake_screener::screening::{Answers, RulesVersion};
use intake_screener::store::Store;

/// A pool on the file that changes nothing (`mode=ro`).
async fn read_only(path: &Path) -> SqlitePool {
    SqlitePool::connect(&format!("{}?mode=ro", database_url(path)))
        .await
        .expect("open read-only")
}

/// A writable pool with foreign keys off, to damage a database on purpose.
async fn tamper(path: &Path) -> SqlitePool {
    let options = SqliteConnectOptions::from_str(&database_url(path))
        .unwrap()
        .foreign_keys(false);
    SqlitePool::connect_with(options).await.unwrap()
}

async fn codes_in(path: &Path) -> HashSet<String> {
    let pool = read_only(path).await;
    let codes = sqlx::query_scalar("SELECT review_code FROM screenings")
        .fetch_all(&pool)
        .await
        .unwrap()
        .into_iter()
        .collect();
    pool.close().await;
    codes
}

async fn integrity(path: &Path) -> String {
    let pool = read_only(path).await;
    let result = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_serving_is_intact_and_complete() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("screener.db");
    add_account(&db, "alice");
    let mut server = Server::start(&db, &dir.path().join("server.log"));
    let mut browser = Browser::new(&server.address);
    assert_eq!(browser.sign_in("alice", PASSWORD).await.status(), 303);
    browser.refresh_csrf_token().await;
    let browser = Arc::new(browser);

    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let refused = Arc::new(Mutex::new(Vec::<u16>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let submitters: Vec<_> = (0..8)
        .map(|_| {
            let (browser, acknowledged, refused, stop) = (
                browser.clone(),
                acknowledged.clone(),
                refused.clone(),
                stop.clone(),
            );
            tokio::spawn(async move {
                while !stop.load(Ordering::SeqCst) {
                    match browser.try_submit(EXAMPLE_FORM).await.expect("an answer") {
                        (303, Some(path)) => acknowledged.lock().await.push(code_of(&path)),
                        (status, _) => refused.lock().await.push(status),
                    }
                }
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(10);
    while acknowledged.lock().await.len() < 100 {
        assert!(Instant::now() < deadline, "submissions too slow to test");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }

    // Everything acknowledged before the backup starts must be in it; submissions go on
    // during the backup.
    let before: Vec<String> = acknowledged.lock().await.clone();
    let backup = dir.path().join("backup.db");
    let (db_for_backup, backup_path) = (db.clone(), backup.clone());
    let (code, stdout, stderr) = tokio::task::spawn_blocking(move || {
        screener(
            &db_for_backup,
            &["backup", backup_path.to_str().unwrap()],
            "",
        )
    })
    .await
    .unwrap();
    let during = acknowledged.lock().await.len() - before.len();
    stop.store(true, Ordering::SeqCst);
    for submitter in submitters {
        submitter.await.unwrap();
    }
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("integrity ok"), "{stdout}");
    assert!(
        refused.lock().await.is_empty(),
        "{:?}",
        refused.lock().await
    );

    assert_eq!(integrity(&backup).await, "ok");
    let in_backup = codes_in(&backup).await;
    let missing: Vec<&String> = before
        .iter()
        .filter(|code| !in_backup.contains(*code))
        .collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged before the backup are missing from it",
        missing.len()
    );
    let all = acknowledged.lock().await.len();
    assert!(in_backup.len() >= before.len() && in_backup.len() <= all + 8);
    println!(
        "{} acknowledged before the backup, {during} during it; the backup holds {}",
        before.len(),
        in_backup.len()
    );

    let live = read_only(&db).await;
    let recorded: String = sqlx::query_scalar(
        "SELECT detail FROM audit_events WHERE action = 'backup_taken' AND actor = 'console'",
    )
    .fetch_one(&live)
    .await
    .unwrap();
    live.close().await;
    assert!(recorded.contains("backup.db"), "{recorded}");

    // The backup is a database of its own that `check` passes.
    let (code, stdout, stderr) = screener(&backup, &["check"], "");
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(server.terminate(Duration::from_secs(5)), Some(0));
}

#[test]
fn backup_never_overwrites_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("screener.db");
    add_account(&db, "alice");

    let existing = dir.path().join("existing.db");
    std::fs::write(&existing, b"precious").unwrap();
    let (code, _, stderr) = screener(&db, &["backup", existing.to_str().unwrap()], "");
    assert_eq!(code, 2);
    assert!(stderr.contains("already exists"), "{stderr}");
    assert_eq!(std::fs::read(&existing).unwrap(), b"precious");

    let nowhere = dir.path().join("no-such-dir").join("backup.db");
    let (code, _, stderr) = screener(&db, &["backup", nowhere.to_str().unwrap()], "");
    assert_eq!(code, 2);
    assert!(stderr.contains("does not exist"), "{stderr}");

    let missing_db = dir.path().join("missing.db");
    let target = dir.path().join("backup.db");
    let (code, _, stderr) = screener(&missing_db, &["backup", target.to_str().unwrap()], "");
    assert_eq!(code, 1);
    assert!(stderr.contains("cannot open the database"), "{stderr}");
    assert!(!missing_db.exists(), "a backup never creates the database");
    assert!(!target.exists());

    let (code, _, _) = screener(&db, &["backup"], "");
    assert_eq!(code, 2, "PATH is required");
}

/// A store with alice's screenings from these years.
async fn store_with_years(path: &Path, years: &[i32]) {
    store_with_years_on(&database_url(path), years).await;
}

/// A database (either engine) with alice's screenings from these years.
async fn store_with_years_on(url: &str, years: &[i32]) {
    let store = Store::open(url).await.unwrap();
    let alice = store
        .create_clinician(
            &Username::parse("alice").unwrap(),
            &NewPassword::parse(PASSWORD).unwrap().hash(),
            false,
            None,
        )
        .await
        .unwrap();
    let answers = Answers::from_form(EXAMPLE_FORM.iter().copied()).unwrap();
    let outcome = RulesVersion::CURRENT.score(&answers);
    for &year in years {
        store
            .save_screening(alice, &answers, &outcome, year)
            .await
            .unwrap();
    }
    store.close().await;
}

async fn purge_deletes_the_years_before_and_records_how_many(engine: Engine) {
    let database = TestDatabase::new(engine).await;
    let url = database.url.as_str();
    store_with_years_on(url, &[2022, 2023, 2023, 2024, 2025]).await;

    let next_year = time::OffsetDateTime::now_utc().year() + 1;
    for bad in [
        vec!["purge"],
        vec!["purge", "--before-year", "last-year"],
        vec!["purge", "--before-year", "1999"],
        vec!["purge", "--before-year", "-5"],
        vec!["purge", "--before-year", &(next_year + 1).to_string()],
    ] {
        let (code, stdout, stderr) = screener_on(url, &bad, "");
        assert_eq!(code, 2, "{bad:?}: {stdout}{stderr}");
        assert!(!stderr.is_empty() && stdout.is_empty(), "{bad:?}");
    }
    let (_, _, stderr) = screener_on(
        url,
        &["purge", "--before-year", &(next_year + 1).to_string()],
        "",
    );
    assert!(stderr.contains("in the future"), "{stderr}");

    let (code, stdout, stderr) = screener_on(url, &["purge", "--before-year", "2024"], "");
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.trim(), "Deleted 3 screenings taken before 2024.");
    let (code, stdout, _) = screener_on(url, &["purge", "--before-year", "2024"], "");
    assert_eq!(code, 0);
    assert_eq!(stdout.trim(), "Deleted 0 screenings taken before 2024.");

    let years = database
        .texts("SELECT CAST(year AS TEXT) FROM screenings ORDER BY year")
        .await;
    assert_eq!(years, ["2024", "2025"]);
    let details = database
        .texts(
            "SELECT detail FROM audit_events WHERE action = 'screenings_purged' AND actor = 'console' ORDER BY id",
        )
        .await;
    assert_eq!(
        details,
        [
            "3 screenings from before 2024",
            "0 screenings from before 2024"
        ]
    );

    let missing = match engine {
        Engine::Sqlite => database_url(&database.dir.path().join("missing.db")),
        Engine::Postgres => format!("{}/screener_no_such_database", database.server()),
    };
    let (code, _, stderr) = screener_on(&missing, &["purge", "--before-year", "2024"], "");
    assert_eq!(code, 1);
    assert!(stderr.contains("cannot open the database"), "{stderr}");
}

#[tokio::test]
async fn check_passes_a_sound_database_and_fails_a_damaged_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("screener.db");
    store_with_years(&db, &[2025, 2025]).await;

    let (code, stdout, stderr) = screener(&db, &["check"], "");
    assert_eq!(code, 0, "{stdout}{stderr}");
    let migrations = built_in_migrations("sqlite");
    let applied = format!("migrations: {migrations} applied, 0 pending");
    for line in [
        "integrity: ok",
        "foreign keys: ok",
        applied.as_str(),
        "No problems found.",
    ] {
        assert!(stdout.contains(line), "{line:?} in {stdout}");
    }

    // A screening whose clinician is gone.
    let pool = tamper(&db).await;
    sqlx::query(
        "UPDATE screenings SET clinician_id = 999 WHERE id = (SELECT min(id) FROM screenings)",
    )
    .execute(&pool)
    .await
    .unwrap();
    let (code, stdout, _) = screener(&db, &["check"], "");
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("foreign keys: 1 broken references"),
        "{stdout}"
    );
    assert!(
        stdout.contains("refers to a missing clinicians"),
        "{stdout}"
    );
    assert!(stdout.contains("PROBLEMS FOUND"));
    sqlx::query("UPDATE screenings SET clinician_id = 1 WHERE clinician_id = 999")
        .execute(&pool)
        .await
        .unwrap();

    // A migration edited after it ran, and one from a newer binary.
    sqlx::query("UPDATE _sqlx_migrations SET checksum = x'00'")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (99, 'from the future', 1, x'00', 0)",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    let (code, stdout, _) = screener(&db, &["check"], "");
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("CHANGED since they were applied: 1 initial"),
        "{stdout}"
    );
    assert!(
        stdout.contains("UNKNOWN to this version of screener"),
        "{stdout}"
    );
    assert!(stdout.contains("99 from the future"), "{stdout}");

    // A database nothing was applied to yet: pending, which the server fixes on start.
    let blank = dir.path().join("blank.db");
    let pool = SqlitePool::connect(&format!("{}?mode=rwc", database_url(&blank)))
        .await
        .unwrap();
    sqlx::query("CREATE TABLE t (x)")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let (code, stdout, _) = screener(&blank, &["check"], "");
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout.contains(&format!("0 applied, {migrations} pending")),
        "{stdout}"
    );
    assert!(stdout.contains("applied when the server next starts"));

    // A file damaged on disk.
    let corrupt = dir.path().join("corrupt.db");
    store_with_years(&corrupt, &[2025; 200]).await;
    // Everything into the main file, so that damaging it damages the data.
    let pool = tamper(&corrupt).await;
    sqlx::query("PRAGMA journal_mode = DELETE")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let mut bytes = std::fs::read(&corrupt).unwrap();
    assert!(bytes.len() > 3 * 4096);
    for byte in &mut bytes[2 * 4096 + 100..3 * 4096] {
        *byte = 0x5A;
    }
    std::fs::write(&corrupt, bytes).unwrap();
    let (code, stdout, stderr) = screener(&corrupt, &["check"], "");
    assert_eq!(code, 1, "{stdout}{stderr}");

    let (code, _, stderr) = screener(&dir.path().join("missing.db"), &["check"], "");
    assert_eq!(code, 1);
    assert!(stderr.contains("cannot open the database"), "{stderr}");
    assert!(!dir.path().join("missing.db").exists());
}

#[tokio::test]
async fn restoring_a_backup_as_the_readme_says_brings_back_its_screenings() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("screener.db");
    add_account(&db, "alice");
    let mut server = Server::start(&db, &dir.path().join("first.log"));
    let mut browser = Browser::new(&server.address);
    assert_eq!(browser.sign_in("alice", PASSWORD).await.status(), 303);
    browser.refresh_csrf_token().await;
    let kept = [
        code_of(&browser.submit(EXAMPLE_FORM).await),
        code_of(&browser.submit(EXAMPLE_FORM).await),
    ];
    let backup = dir.path().join("backup.db");
    let (code, _, stderr) = screener(&db, &["backup", backup.to_str().unwrap()], "");
    assert_eq!(code, 0, "{stderr}");
    let later = code_of(&browser.submit(EXAMPLE_FORM).await);
    // The worst case: the server died, leaving its write-ahead log behind.
    server.kill();

    std::fs::copy(&backup, &db).unwrap();
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(dir.path().join(format!("screener.db{suffix}")));
    }
    let mut restarted = Server::start(&db, &dir.path().join("second.log"));
    assert_eq!(integrity(&db).await, "ok");
    let codes = codes_in(&db).await;
    assert_eq!(codes, kept.iter().cloned().collect::<HashSet<_>>());
    assert!(!codes.contains(&later));
    let mut browser = Browser::new(&restarted.address);
    assert_eq!(browser.sign_in("alice", PASSWORD).await.status(), 303);
    browser.get_html(&format!("/screenings/{}", kept[0])).await;
    let (code, stdout, _) = screener(&db, &["check"], "");
    assert_eq!(code, 0, "{stdout}");
    assert_eq!(restarted.terminate(Duration::from_secs(5)), Some(0));
}

/// On PostgreSQL the console commands work the same way: accounts, export, check, purge; and
/// `backup` runs pg_dump (a private file pg_restore reads), or says what to run and exits 3.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_commands_work_on_postgres() {
    if skip_without_postgres().await {
        return;
    }
    let database = TestDatabase::new(Engine::Postgres).await;
    let url = database.url.as_str();
    store_with_years_on(url, &[2024, 2025]).await;
    add_account_on(url, "bob");
    let (code, stdout, stderr) = screener_on(url, &["user", "list"], "");
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("alice") && stdout.contains("bob"),
        "{stdout}"
    );
    let (code, _, stderr) = screener_on(url, &["user", "deactivate", "bob"], "");
    assert_eq!(code, 0, "{stderr}");

    let (code, stdout, stderr) = screener_on(url, &["export", "--format", "csv"], "");
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.lines().count(), 3, "a header and two rows: {stdout}");

    let (code, stdout, stderr) = screener_on(url, &["check"], "");
    assert_eq!(code, 0, "{stdout}{stderr}");
    let migrations = built_in_migrations("postgres");
    let applied = format!("{migrations} applied, 0 pending");
    for line in ["integrity: ok", applied.as_str(), "No problems found."] {
        assert!(stdout.contains(line), "{line:?} in {stdout}");
    }

    let backup = database.dir.path().join("screener.dump");
    let backup_arg = backup.to_str().unwrap();
    let (code, stdout, stderr) = screener_on(url, &["backup", backup_arg], "");
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("pg_dump"), "{stdout}");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&backup).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the dump is private");
    let listed = std::process::Command::new("pg_restore")
        .args(["--list", backup_arg])
        .output()
        .expect("pg_restore (postgresql-client) is installed");
    let listing = String::from_utf8_lossy(&listed.stdout);
    assert!(
        listing.contains("TABLE DATA public screenings"),
        "{listing}"
    );
    assert_eq!(
        database
            .count("SELECT count(*) FROM audit_events WHERE action = 'backup_taken'")
            .await,
        1
    );
    let (code, _, stderr) = screener_on(url, &["backup", backup_arg], "");
    assert_eq!(code, 2, "never overwrites: {stderr}");

    // Without pg_dump on the PATH: what to run instead, and exit 3.
    let output = std::process::Command::new(helpers::server::BIN)
        .args(["backup", &format!("{backup_arg}.2"), "--database", url])
        .env("PATH", "/nonexistent")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("pg_dump --format=custom"), "{stderr}");
}

crate::both_engines!(purge_deletes_the_years_before_and_records_how_many);

/// How many migrations the binary carries for `engine` (`sqlite` or `postgres`).
fn built_in_migrations(engine: &str) -> usize {
    std::fs::read_dir(format!(
        "{}/migrations/{engine}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
    .filter(|entry| entry.as_ref().unwrap().path().extension() == Some("sql".as_ref()))
    .count()
}
