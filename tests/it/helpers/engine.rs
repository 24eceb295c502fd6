//! The two storage engines under test. Every test that runs on both gets a fresh database:
//! a SQLite file in a temporary directory, or a PostgreSQL database made for it and dropped
//! after, on the server at `SCREENER_TEST_POSTGRES` (default `postgres://root@127.0.0.1:5432`)
//! or, when nothing answers there, on one throwaway server this process starts from the
//! installed PostgreSQL binaries ([`pg_shared::shared`]). Where there are neither, the
//! PostgreSQL tests are skipped and one line at the end says what to install; with `CI=true`
//! they fail instead.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use sqlx::Connection as _;
use sqlx::postgres::{PgConnection, PgPool};
use sqlx::sqlite::SqlitePool;
use tempfile::TempDir;
use tokio::sync::OnceCell;

use super::pg_shared;

/// Where the PostgreSQL server for tests is: this variable, or the default below.
pub const POSTGRES_VARIABLE: &str = "SCREENER_TEST_POSTGRES";
const DEFAULT_POSTGRES: &str = "postgres://root@127.0.0.1:5432";

/// Which engine a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Engine {
    #[default]
    Sqlite,
    Postgres,
}

/// The server URL (no database name) that `SCREENER_TEST_POSTGRES` names.
fn configured_server() -> String {
    std::env::var(POSTGRES_VARIABLE)
        .unwrap_or_else(|_| DEFAULT_POSTGRES.to_owned())
        .trim_end_matches('/')
        .to_owned()
}

/// The PostgreSQL server of this process's tests, found once: the configured one when it
/// answers, else a throwaway one started from the installed binaries, else none.
static POSTGRES: OnceCell<Option<String>> = OnceCell::const_new();

/// The server URL (no database name) for PostgreSQL tests, or `None` when no server answers
/// and no binaries are installed to start one.
pub async fn postgres_server() -> Option<&'static str> {
    POSTGRES
        .get_or_init(|| async {
            let configured = configured_server();
            let attempt = tokio::time::timeout(
                Duration::from_secs(10),
                PgConnection::connect(&format!("{configured}/postgres")),
            )
            .await;
            match attempt {
                Ok(Ok(connection)) => {
                    let _ = connection.close().await;
                    return Some(configured);
                }
                // Nothing listens there (or nothing answers): start a server of our own.
                Ok(Err(sqlx::Error::Io(_))) | Err(_) => {}
                Ok(Err(error)) => panic!(
                    "the PostgreSQL server at {configured} ({POSTGRES_VARIABLE}) refused the \
                     tests: {error}. Point {POSTGRES_VARIABLE} at a server where they may create \
                     and drop databases: postgres://USER:PASSWORD@HOST:PORT"
                ),
            }
            pg_shared::binaries()?;
            let server = tokio::task::spawn_blocking(pg_shared::shared)
                .await
                .expect("start a throwaway PostgreSQL server");
            let _ = writeln!(
                std::io::stderr(),
                "PostgreSQL tests: no server answers at {configured} ({POSTGRES_VARIABLE}); \
                 running them on a throwaway server from {} on port {}",
                pg_shared::binaries().unwrap_or(Path::new("?")).display(),
                server.port
            );
            Some(server.base_url())
        })
        .await
        .as_deref()
}

/// PostgreSQL tests skipped in this process, for the line at its end.
static SKIPPED: AtomicUsize = AtomicUsize::new(0);

/// What to do when there is no PostgreSQL for the tests.
fn no_postgres_hint() -> String {
    format!(
        "no PostgreSQL server answers at {} ({POSTGRES_VARIABLE}), and no PostgreSQL server \
         binaries (initdb, pg_ctl, postgres) were found to start one ({}). Install them \
         (Debian: apt-get install postgresql) or point {POSTGRES_VARIABLE} at a server where \
         the tests may create and drop databases",
        configured_server(),
        pg_shared::where_binaries_are()
    )
}

/// For a test that needs PostgreSQL (a server, or the binaries to start one): true when there
/// is none, so the test returns at once and is counted as skipped; with `CI=true`, it fails
/// instead.
pub async fn skip_without_postgres() -> bool {
    if postgres_server().await.is_some() {
        return false;
    }
    skip()
}

/// For a test that starts PostgreSQL servers of its own ([`super::pg_server::PgServer`]): true when
/// the binaries are not installed (skipped; with `CI=true` it fails instead).
pub fn skip_without_postgres_binaries() -> bool {
    if pg_shared::binaries().is_some() {
        return false;
    }
    skip()
}

fn skip() -> bool {
    let on_ci =
        std::env::var("CI").is_ok_and(|value| !matches!(value.as_str(), "" | "0" | "false"));
    assert!(
        !on_ci,
        "CI is set, so PostgreSQL tests may not be skipped: {}",
        no_postgres_hint()
    );
    static AT_EXIT: Once = Once::new();
    AT_EXIT.call_once(|| {
        // SAFETY: registers a plain function with the C library, which calls it at exit.
        unsafe { atexit(report_skipped) };
    });
    SKIPPED.fetch_add(1, Ordering::Relaxed);
    true
}

unsafe extern "C" {
    fn atexit(callback: extern "C" fn()) -> std::ffi::c_int;
}

/// The line at the end of a run that skipped PostgreSQL tests (after the test summary, to
/// the terminal: the test harness captures only what the tests print).
extern "C" fn report_skipped() {
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {} PostgreSQL tests: {}.",
        SKIPPED.load(Ordering::Relaxed),
        no_postgres_hint()
    );
}

/// A fresh, empty database for one test.
pub struct TestDatabase {
    /// The URL the app is given.
    pub url: String,
    /// The SQLite file (for PostgreSQL, a path in the temporary directory that is never a
    /// database).
    pub path: PathBuf,
    /// The PostgreSQL database's name, dropped with this value.
    postgres: Option<String>,
    /// The PostgreSQL server it is on (URL without a database name; empty for SQLite).
    server: String,
    pub dir: TempDir,
}

impl TestDatabase {
    /// A fresh database on `engine`.
    pub async fn new(engine: Engine) -> TestDatabase {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("screener.db");
        match engine {
            Engine::Sqlite => TestDatabase {
                url: super::database_url(&path),
                path,
                postgres: None,
                server: String::new(),
                dir,
            },
            Engine::Postgres => {
                let server = postgres_server()
                    .await
                    .unwrap_or_else(|| {
                        panic!(
                            "this test runs against PostgreSQL too: {}",
                            no_postgres_hint()
                        )
                    })
                    .to_owned();
                let name = format!("screener_test_{:016x}", rand_u64());
                let admin = PgPool::connect(&format!("{server}/postgres"))
                    .await
                    .unwrap_or_else(|error| {
                        panic!(
                            "this test runs against PostgreSQL too, and no PostgreSQL server \
                             answers at {server} ({error}). Start one (e.g. pg_ctlcluster 15 main \
                             start), or point the tests at a server where they may create and \
                             drop databases: {POSTGRES_VARIABLE}=postgres://USER:PASSWORD@HOST:PORT"
                        )
                    });
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&admin)
                    .await
                    .unwrap_or_else(|error| {
                        panic!("cannot create a test database on {server} ({POSTGRES_VARIABLE}): {error}")
                    });
                admin.close().await;
                TestDatabase {
                    url: format!("{server}/{name}"),
                    path,
                    postgres: Some(name),
                    server,
                    dir,
                }
            }
        }
    }

    pub fn engine(&self) -> Engine {
        if self.postgres.is_some() {
            Engine::Postgres
        } else {
            Engine::Sqlite
        }
    }

    /// The PostgreSQL server's URL without a database name.
    pub fn server(&self) -> &str {
        assert_eq!(self.engine(), Engine::Postgres, "a PostgreSQL database");
        &self.server
    }

    /// A separate connection to the database, as an operator would open one (read-only on
    /// SQLite).
    pub async fn connect(&self) -> Connection {
        match &self.postgres {
            None => Connection::Sqlite(
                SqlitePool::connect(&format!("{}?mode=ro", self.url))
                    .await
                    .expect("open database"),
            ),
            Some(_) => Connection::Postgres(
                PgPool::connect(&self.url)
                    .await
                    .expect("connect to database"),
            ),
        }
    }

    /// The single number a query returns.
    pub async fn count(&self, sql: &str) -> i64 {
        let connection = self.connect().await;
        let count = match &connection {
            Connection::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
            Connection::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
        }
        .unwrap_or_else(|error| panic!("{sql}: {error}"));
        connection.close().await;
        count
    }

    /// The single text a query returns.
    pub async fn text(&self, sql: &str) -> String {
        let connection = self.connect().await;
        let text = match &connection {
            Connection::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
            Connection::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
        }
        .unwrap_or_else(|error| panic!("{sql}: {error}"));
        connection.close().await;
        text
    }

    /// Every text a query returns, in order.
    pub async fn texts(&self, sql: &str) -> Vec<String> {
        let connection = self.connect().await;
        let texts = match &connection {
            Connection::Sqlite(pool) => sqlx::query_scalar(sql).fetch_all(pool).await,
            Connection::Postgres(pool) => sqlx::query_scalar(sql).fetch_all(pool).await,
        }
        .unwrap_or_else(|error| panic!("{sql}: {error}"));
        connection.close().await;
        texts
    }

    /// The app's tables (not the migration table).
    pub async fn tables(&self) -> Vec<String> {
        let mut tables = match self.engine() {
            Engine::Sqlite => {
                self.texts("SELECT name FROM sqlite_master WHERE type = 'table'")
                    .await
            }
            Engine::Postgres => {
                self.texts(
                    "SELECT table_name::text FROM information_schema.tables \
                     WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
                )
                .await
            }
        };
        tables.retain(|table| table != "_sqlx_migrations");
        tables.sort();
        tables
    }

    /// A table's columns with their declared types, in order.
    pub async fn columns(&self, table: &str) -> Vec<(String, String)> {
        let connection = self.connect().await;
        let columns = match &connection {
            Connection::Sqlite(pool) => {
                sqlx::query_as(&format!(
                    "SELECT name, type FROM pragma_table_info('{table}') ORDER BY cid"
                ))
                .fetch_all(pool)
                .await
            }
            Connection::Postgres(pool) => {
                sqlx::query_as(
                    "SELECT column_name::text, data_type::text FROM information_schema.columns \
                     WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
                )
                .bind(table)
                .fetch_all(pool)
                .await
            }
        }
        .expect("columns");
        connection.close().await;
        columns
    }

    /// Runs a statement and says whether the database accepted it.
    pub async fn accepts(&self, sql: &str) -> bool {
        match &self.postgres {
            None => {
                let pool = SqlitePool::connect(&self.url).await.expect("open database");
                let accepted = sqlx::query(sql).execute(&pool).await.is_ok();
                pool.close().await;
                accepted
            }
            Some(_) => {
                let pool = PgPool::connect(&self.url).await.expect("connect");
                let accepted = sqlx::query(sql).execute(&pool).await.is_ok();
                pool.close().await;
                accepted
            }
        }
    }

    /// Runs a statement (PostgreSQL: read-write; SQLite: opened read-write for it).
    pub async fn execute(&self, sql: &str) {
        match &self.postgres {
            None => {
                let pool = SqlitePool::connect(&self.url).await.expect("open database");
                sqlx::query(sql)
                    .execute(&pool)
                    .await
                    .unwrap_or_else(|error| panic!("{sql}: {error}"));
                pool.close().await;
            }
            Some(_) => {
                let pool = PgPool::connect(&self.url).await.expect("connect");
                sqlx::query(sql)
                    .execute(&pool)
                    .await
                    .unwrap_or_else(|error| panic!("{sql}: {error}"));
                pool.close().await;
            }
        }
    }
}

/// A connection of either engine.
pub enum Connection {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Connection {
    pub async fn close(&self) {
        match self {
            Connection::Sqlite(pool) => pool.close().await,
            Connection::Postgres(pool) => pool.close().await,
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some(name) = self.postgres.take() else {
            return;
        };
        let server = std::mem::take(&mut self.server);
        // Drop may run inside a runtime: do it on a thread with one of its own.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async {
                if let Ok(admin) = PgPool::connect(&format!("{server}/postgres")).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&admin)
                        .await;
                    admin.close().await;
                }
            });
        })
        .join();
    }
}

fn rand_u64() -> u64 {
    rand::random()
}

/// Runs each named `async fn NAME(engine: Engine)` as two tests, `NAME::sqlite` and
/// `NAME::postgres`.
#[macro_export]
macro_rules! both_engines {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::helpers::engine::Engine::Sqlite).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if $crate::helpers::engine::skip_without_postgres().await {
                        return;
                    }
                    super::$name($crate::helpers::engine::Engine::Postgres).await
                }
            }
        )*
    };
}
