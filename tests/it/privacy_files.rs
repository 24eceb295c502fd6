//! Privacy against whoever can read the machine's files (issue 12), proved on the real binary
//! started with umask 000: the files are 0600; no stored session id works as a cookie; a log
//! and the database cannot be joined by order; a deleted screening is in no file; anonymous
//! sign-in pages store nothing; a name typed at a failed sign-in is not kept; the setup link
//! closes once an account exists.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::helpers;
use crate::helpers::server::{BIN, Server, free_port};
use crate::helpers::{Browser, CASUAL_FORM, EXAMPLE_FORM, PASSWORD, code_of, database_url};
use sqlx::sqlite::SqlitePool;

/// Runs `screener ARGS --database DB` under umask 000; returns (exit code, stdout, stderr).
fn screener_open_umask(database: &Path, args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new("sh")
        .args(["-c", "umask 000 && exec \"$0\" \"$@\"", BIN])
        .args(args)
        .args(["--database", &database_url(database)])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run screener");
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), stdin.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn add_account(database: &Path, name: &str) {
    let (code, _, stderr) = screener_open_umask(
        database,
        &["user", "add", name, "--password-stdin"],
        &format!("{PASSWORD}\n"),
    );
    assert_eq!(code, 0, "user add: {stderr}");
}

/// `screener serve` under umask 000; returns the server and, when `fresh` (no account yet),
/// the setup link's path.
fn start_server(database: &Path, log: &Path, fresh: bool) -> (Server, Option<String>) {
    let port = free_port();
    let mut child = Command::new("sh")
        .args(["-c", "umask 000 && exec \"$0\" \"$@\"", BIN])
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .args(["--database", &database_url(database)])
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .expect("start screener serve");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut banner = String::new();
    stdout.read_line(&mut banner).unwrap();
    let address = format!("http://127.0.0.1:{port}");
    assert!(banner.contains(&address), "banner: {banner}");
    // Without accounts, two more lines: an explanation and the setup link.
    let mut setup = None;
    if fresh {
        let mut lines = String::new();
        for _ in 0..2 {
            let _ = stdout.read_line(&mut lines);
        }
        setup = lines
            .lines()
            .find_map(|line| line.trim().strip_prefix(&address).map(str::to_owned))
            .filter(|path| path.starts_with("/setup?token="));
    }
    let server = Server {
        child,
        address,
        log: log.to_owned(),
    };
    (server, setup)
}

async fn signed_in(server: &Server, name: &str) -> Browser {
    let mut browser = Browser::new(&server.address);
    assert_eq!(browser.sign_in(name, PASSWORD).await.status(), 303);
    browser.refresh_csrf_token().await;
    browser
}

async fn read_only(path: &Path) -> SqlitePool {
    SqlitePool::connect(&format!("{}?mode=ro", database_url(path)))
        .await
        .expect("open read-only")
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Every file of the database: the file, its `-wal` and `-shm` (those that exist).
fn database_files(database: &Path) -> Vec<PathBuf> {
    [
        database.to_owned(),
        with_suffix(database, "-wal"),
        with_suffix(database, "-shm"),
        with_suffix(database, "-journal"),
    ]
    .into_iter()
    .filter(|path| path.exists())
    .collect()
}

/// The files of the database that hold `needle`'s bytes.
fn files_holding(database: &Path, needle: &str) -> Vec<PathBuf> {
    database_files(database)
        .into_iter()
        .filter(|path| {
            let bytes = std::fs::read(path).unwrap();
            bytes
                .windows(needle.len())
                .any(|window| window == needle.as_bytes())
        })
        .collect()
}

#[tokio::test]
async fn database_wal_shm_and_backups_are_0600_whatever_the_umask() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("screener.db");
    let (server, _) = start_server(&db, &dir.path().join("log"), true);
    add_account(&db, "alice");
    let alice = signed_in(&server, "alice").await;
    alice.submit(EXAMPLE_FORM).await;

    let files = database_files(&db);
    assert!(files.len() >= 3, "database, -wal and -shm exist: {files:?}");
    for file in &files {
        assert_eq!(mode(file), 0o600, "{}", file.display());
    }
    let backup = dir.path().join("backup.db");
    let (code, _, stderr) = screener_open_umask(&db, &["backup", backup.to_str().unwrap()], "");
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(mode(&backup), 0o600);

    // A file left wider by an older version is narrowed when the server opens it.
    drop(server);
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (_server, _) = start_server(&db, &dir.path().join("log2"), false);
    assert_eq!(mode(&db), 0o600);
}

#[tokio::test]
async fn no_session_id_read_from_the_database_or_a_backup_works_as_a_cookie() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("screener.db");
    let (server, _) = start_server(&db, &dir.path().join("log"), true);
    add_account(&db, "alice");
    let alice = signed_in(&server, "alice").await;
    let cookie = alice
        .cookies()
        .split("; ")
        .find_map(|pair| pair.strip_prefix("screener_session="))
        .expect("signed in")
        .to_owned();
    assert_eq!(alice.get("/screenings").await.status(), 200);

    let backup = dir.path().join("backup.db");
    let (code, _, stderr) = screener_open_umask(&db, &["backup", backup.to_str().unwrap()], "");
    assert_eq!(code, 0, "{stderr}");
    let pool = read_only(&backup).await;
    let in_backup: i64 = sqlx::query_scalar("SELECT count(*) FROM tower_sessions")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(in_backup, 0, "a backup carries no sessions");
    pool.close().await;

    let pool = read_only(&db).await;
    let stored: Vec<String> = sqlx::query_scalar("SELECT id FROM tower_sessions")
        .fetch_all(&pool)
        .await
        .unwrap();
    pool.close().await;
    assert!(!stored.is_empty(), "alice's session is stored");
    assert!(!stored.contains(&cookie));
    assert!(
        files_holding(&db, &cookie).is_empty(),
        "the cookie's id is in no file"
    );
    assert!(files_holding(&backup, &cookie).is_empty());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for id in &stored {
        let response = client
            .get(format!("{}/screenings", server.address))
            .header("cookie", format!("screener_session={id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303, "a stored id signs nobody in");
    }
    // The real cookie still works: the refusals above are not a broken server.
    let response = client
        .get(format!("{}/screenings", server.address))
        .header("cookie", format!("screener_session={cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_log_of_saves_and_the_database_cannot_be_joined_by_order() {
    const SAVES: usize = 12;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("screener.db");
    let (mut server, _) = start_server(&db, &dir.path().join("log"), true);
    add_account(&db, "alice");
    add_account(&db, "bob");
    let alice = signed_in(&server, "alice").await;
    let bob = signed_in(&server, "bob").await;
    let mut created = Vec::new();
    for index in 0..SAVES {
        let who = if index % 3 == 2 { &bob } else { &alice };
        let path = who.submit(CASUAL_FORM).await;
        who.get_html(&path).await;
        created.push(code_of(&path));
    }
    assert_eq!(server.terminate(Duration::from_secs(10)), Some(0));
    let logs = server.logs();

    // The join: the n-th logged save is the n-th row.
    let save_lines: Vec<&str> = logs
        .lines()
        .filter(|line| line.contains("POST") && line.contains("/screenings"))
        .collect();
    let result_lines: Vec<&str> = logs
        .lines()
        .filter(|line| line.contains("/screenings/{code}"))
        .collect();
    assert!(
        save_lines.is_empty() && result_lines.is_empty(),
        "no save or result is logged one by one: {save_lines:?} {result_lines:?}"
    );
    // 12 saves, 12 results and the two forms read for their CSRF tokens.
    assert!(
        logs.contains("screening=26 "),
        "an hourly (here: final) count instead: {logs}"
    );
    let pool = read_only(&db).await;
    let by_row: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, review_code FROM screenings ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    pool.close().await;
    assert_eq!(by_row.len(), SAVES);
    let paired = by_row
        .iter()
        .zip(&created)
        .filter(|((_, stored), made)| stored == *made)
        .count();
    assert!(
        paired < SAVES / 2,
        "row order is creation order ({paired} of {SAVES} in place)"
    );
    assert!(
        by_row.iter().all(|(id, _)| *id >= 1 << 32),
        "row ids are random, not counted: {by_row:?}"
    );
}

#[tokio::test]
async fn a_deleted_screening_is_in_no_file_of_the_database_once_the_delete_returns() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("screener.db");
    let (server, _) = start_server(&db, &dir.path().join("log"), true);
    add_account(&db, "alice");
    let alice = signed_in(&server, "alice").await;
    for _ in 0..5 {
        alice.submit(CASUAL_FORM).await;
    }
    // Answers no other screening here has.
    let unusual = [
        ("q1_concern_expressed", "declined"),
        ("q2_self_concern", "yes"),
        ("q3_escape", "sexual_chat_or_webcam"),
        ("q3_escape", "alcohol_or_drugs"),
        ("q3_escape", "work"),
        ("q4_secrets", "declined"),
        ("q5_others_disturbed", "yes"),
        ("q6_shame", "yes"),
    ];
    let code = code_of(&alice.submit(&unusual).await);
    for _ in 0..5 {
        alice.submit(CASUAL_FORM).await;
    }
    let pool = read_only(&db).await;
    let q3: String = sqlx::query_scalar("SELECT q3_escape FROM screenings WHERE review_code = ?")
        .bind(&code)
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    assert!(
        !files_holding(&db, &code).is_empty(),
        "the test sees the row"
    );
    assert!(!files_holding(&db, &q3).is_empty());

    let response = alice
        .post_form(&format!("/screenings/{code}/delete"), &[])
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(files_holding(&db, &code), Vec::<PathBuf>::new(), "{code}");
    assert_eq!(files_holding(&db, &q3), Vec::<PathBuf>::new(), "{q3}");
    let pool = read_only(&db).await;
    let (left, audit_mentions): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM screenings), \
         (SELECT count(*) FROM audit_events WHERE action = 'screening_deleted' \
          AND (subject IS NOT NULL OR detail LIKE '%' || ?1 || '%'))",
    )
    .bind(&code)
    .fetch_one(&pool)
    .await
    .unwrap();
    pool.close().await;
    assert_eq!(left, 10, "the others are kept");
    assert_eq!(
        audit_mentions, 0,
        "the deletion is recorded without the code"
    );
}

#[tokio::test]
async fn three_hundred_anonymous_sign_in_pages_add_no_rows() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("screener.db");
    add_account(&db, "alice");
    let (server, _) = start_server(&db, &dir.path().join("log"), false);
    let count_rows = || async {
        let pool = read_only(&db).await;
        let counts: (i64, i64) = sqlx::query_as(
            "SELECT (SELECT count(*) FROM tower_sessions), (SELECT count(*) FROM audit_events)",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        pool.close().await;
        counts
    };
    let before = count_rows().await;
    for index in 0..300 {
        // Half keep their cookies (one visitor reloading), half are new visitors each time.
        let browser = Browser::new(&server.address);
        let response = browser.get("/login").await;
        assert_eq!(response.status(), 200);
        assert!(
            !response
                .headers()
                .get_all("set-cookie")
                .iter()
                .any(|value| { value.to_str().unwrap().starts_with("screener_session=") })
        );
        if index % 2 == 0 {
            browser.get("/login").await;
        }
    }
    assert_eq!(count_rows().await, before, "(sessions, audit rows)");
    // Signing in is what stores a session.
    signed_in(&server, "alice").await;
    assert_eq!(count_rows().await.0, before.0 + 1);
}

#[tokio::test]
async fn a_failed_sign_in_with_an_unknown_name_stores_no_trace_of_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("screener.db");
    add_account(&db, "alice");
    let (server, _) = start_server(&db, &dir.path().join("log"), false);
    let typed = "maria.delgado-ruiz";
    let mut browser = Browser::new(&server.address);
    for _ in 0..6 {
        // Six tries: the sixth starts a lock, which is audited too.
        let response = browser.sign_in(typed, "not her password").await;
        assert!([401, 429].contains(&response.status().as_u16()));
    }
    let response = browser.sign_in("alice", "not alice's password").await;
    assert!([401, 429].contains(&response.status().as_u16()));
    assert_eq!(files_holding(&db, typed), Vec::<PathBuf>::new());
    assert!(!server.logs().contains(typed));
    let pool = read_only(&db).await;
    let actors: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT actor FROM audit_events WHERE action = 'sign_in_failed' ORDER BY actor",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    assert_eq!(actors, ["alice", "unknown username"]);
}

#[tokio::test]
async fn the_setup_link_shows_nothing_once_an_account_exists() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("screener.db");
    let (server, setup) = start_server(&db, &dir.path().join("log"), true);
    let setup = setup.expect("a fresh server prints a setup link");
    let browser = Browser::new(&server.address);
    let html = browser.get_html(&setup).await;
    let form_token = helpers::csrf_token_in(&html).unwrap();
    // Meanwhile an account is made from the command line.
    add_account(&db, "alice");
    assert_eq!(browser.get(&setup).await.status(), 404);
    let token = setup.trim_start_matches("/setup?token=");
    let response = browser
        .post_raw(
            "/setup",
            &[
                ("csrf_token", &form_token),
                ("token", token),
                ("username", "mallory"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
        )
        .await;
    assert_eq!(response.status(), 404);
    let pool = read_only(&db).await;
    let accounts: Vec<String> = sqlx::query_scalar("SELECT username FROM clinicians")
        .fetch_all(&pool)
        .await
        .unwrap();
    pool.close().await;
    assert_eq!(accounts, ["alice"]);
}

/// A database made by the version before issue 12: migrations 1 and 2 only.
async fn old_database(path: &Path) -> SqlitePool {
    let migrations = tempfile::tempdir().unwrap();
    for name in ["0001_initial.sql", "0002_prior_screening.sql"] {
        std::fs::copy(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("migrations/sqlite")
                .join(name),
            migrations.path().join(name),
        )
        .unwrap();
    }
    let pool = SqlitePool::connect(&format!("{}?mode=rwc", database_url(path)))
        .await
        .unwrap();
    sqlx::migrate::Migrator::new(migrations.path())
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();
    pool
}

#[tokio::test]
async fn the_migration_ends_sessions_shuffles_row_ids_keeps_links_and_cleans_the_audit_log() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("screener.db");
    let pool = old_database(&db).await;
    let hash = password_auth::generate_hash(PASSWORD);
    sqlx::raw_sql(&format!(
        "INSERT INTO clinicians (id, username, password_hash) VALUES (1, 'alice', '{hash}'), (2, 'bob', '{hash}');
         INSERT INTO tower_sessions (id, data, expiry_date) VALUES ('live-cookie-id', x'00', 9999999999);
         INSERT INTO audit_events (occurred_at, actor, action, subject) VALUES
           ('2026-01-02T03:04:05Z', 'alice', 'screening_deleted', 'AAAA-BBBB'),
           ('2026-01-02T03:04:06Z', 'Maria Lopez', 'sign_in_failed', NULL),
           ('2026-01-02T03:04:07Z', 'alice', 'sign_in_failed', NULL);"
    ))
    .execute(&pool)
    .await
    .unwrap();
    let rows = [
        (1, "CODE-0001", 1, 2025, None),
        (2, "CODE-0002", 1, 2026, None),
        (3, "CODE-0003", 1, 2026, Some(2)),
        (4, "CODE-0004", 2, 2026, None),
    ];
    for (id, code, owner, year, prior) in rows {
        sqlx::query(
            "INSERT INTO screenings (id, review_code, clinician_id, year, rules_version, \
             q1_concern_expressed, q2_self_concern, q3_escape, q4_secrets, q5_others_disturbed, \
             q6_shame, pattern, control, escape_use, secrecy, escalation, despite_consequences, \
             functioning_impaired, minimizes_or_blames, band, red_flag_count, \
             further_investigation, referral, provisional, incomplete, prior_id) \
             VALUES (?, ?, ?, ?, '1', 'no', 'no', 'sleep', 'no', 'no', 'no', NULL, 'not_assessed', \
             0, 0, 0, 0, 0, 0, 'casual', 0, 0, 0, 0, 0, ?)",
        )
        .bind(id)
        .bind(code.replace("CODE-", "ABCD-").replace('0', "1"))
        .bind(owner)
        .bind(year)
        .bind(prior)
        .execute(&pool)
        .await
        .unwrap();
    }
    pool.close().await;

    let (code, stdout, stderr) = screener_open_umask(&db, &["check"], "");
    assert_eq!(code, 0, "the old database checks out: {stdout}{stderr}");
    add_account(&db, "carol"); // opens the database with this version: migrates it
    let (code, stdout, stderr) = screener_open_umask(&db, &["check"], "");
    assert_eq!(
        code, 0,
        "the migrated database checks out: {stdout}{stderr}"
    );

    let pool = read_only(&db).await;
    let sessions: i64 = sqlx::query_scalar("SELECT count(*) FROM tower_sessions")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(sessions, 0);
    let migrated: Vec<(i64, String, i64, i64, i64, Option<String>)> = sqlx::query_as(
        "SELECT s.id, s.review_code, s.clinician_id, s.year, s.seq_in_year, p.review_code \
         FROM screenings s LEFT JOIN screenings p ON p.id = s.prior_id ORDER BY s.review_code",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let expected = [
        ("ABCD-1111", 1, 2025, 1, None),
        ("ABCD-1112", 1, 2026, 1, None),
        ("ABCD-1113", 1, 2026, 2, Some("ABCD-1112".to_owned())),
        ("ABCD-1114", 2, 2026, 1, None),
    ];
    assert_eq!(migrated.len(), expected.len());
    for ((id, code, owner, year, seq, prior), expected) in migrated.iter().zip(expected) {
        assert!(*id >= 1 << 32, "{code}: random id {id}");
        assert_eq!(
            (code.as_str(), *owner, *year, *seq, prior.clone()),
            expected
        );
    }
    let audit: Vec<(String, String, Option<String>)> =
        sqlx::query_as("SELECT actor, action, subject FROM audit_events ORDER BY id LIMIT 3")
            .fetch_all(&pool)
            .await
            .unwrap();
    pool.close().await;
    assert_eq!(
        audit,
        [
            ("alice".to_owned(), "screening_deleted".to_owned(), None),
            (
                "unknown username".to_owned(),
                "sign_in_failed".to_owned(),
                None
            ),
            ("alice".to_owned(), "sign_in_failed".to_owned(), None),
        ]
    );
    assert!(files_holding(&db, "Maria Lopez").is_empty());
    assert!(files_holding(&db, "AAAA-BBBB").is_empty());
    assert!(files_holding(&db, "live-cookie-id").is_empty());

    // The app reads the migrated rows: alice's list, newest first.
    let (server, _) = start_server(&db, &dir.path().join("log"), false);
    let alice = signed_in(&server, "alice").await;
    let html = alice.get_html("/screenings").await;
    let positions: Vec<usize> = ["ABCD-1113", "ABCD-1112", "ABCD-1111"]
        .iter()
        .map(|code| html.find(code).unwrap_or_else(|| panic!("{code} listed")))
        .collect();
    assert!(
        positions.windows(2).all(|pair| pair[0] < pair[1]),
        "{positions:?}"
    );
    assert!(!html.contains("ABCD-1114"), "bob's is not alice's");
}
