//! The two storage engines under test. Every test that runs on both gets a fresh database:
//! a SQLite file in a temporary directory, or a PostgreSQL database made for it on the server
//! at `SCREENER_TEST_POSTGRES` (default `postgres://root@127.0.0.1:5432`) and dropped after.
//! A PostgreSQL server that cannot be reached fails the test, saying how to point it at one:
//! it is never skipped.

use std::path::{Path, PathBuf};

use sqlx::postgres::PgPool;
use sqlx::sqlite::SqlitePool;
use tempfile::TempDir;

/// Where the PostgreSQL server for tests is: this variable, or the default below.
pub const POSTGRES_VARIABLE: &str = "SCREENER_TEST_POSTGRES";
const DEFAULT_POSTGRES: &str = "postgres://root@127.0.0.1:5432";

/// Which engine a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// The server URL (no database name) for PostgreSQL tests.
pub fn postgres_server() -> String {
    std::env::var(POSTGRES_VARIABLE)
        .unwrap_or_else(|_| DEFAULT_POSTGRES.to_owned())
        .trim_end_matches('/')
        .to_owned()
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
                dir,
            },
            Engine::Postgres => {
                let server = postgres_server();
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

    pub fn path(&self) -> &Path {
        &self.path
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
        let server = postgres_server();
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
                    super::$name($crate::common::engine::Engine::Sqlite).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name($crate::common::engine::Engine::Postgres).await
                }
            }
        )*
    };
}
