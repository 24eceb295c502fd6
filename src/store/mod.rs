//! Storage: every SQL statement of the app lives below this module.
//!
//! Two engines, one store. SQLite (the default: one file, nothing else to run) and
//! PostgreSQL (several instances on one database, PRODUCT §7). The shape: [`Store`] holds an
//! engine enum of sqlx pools, and each statement is written once and run on the engine's own
//! pool through the `on_pool!`/`on_tx!` macros (below), which expand the same code once per
//! engine with that engine's concrete types. So every query is type-checked against both
//! drivers, the shared logic (batching, savepoints, audit entries in the same transaction,
//! decoding) exists once, and where the engines truly differ (SQLite's single writer and WAL
//! checkpoints, PostgreSQL's per-clinician advisory lock, sessions and sign-in throttling in
//! the database) it is a visible `match`. Fixed statements use `$1`-style placeholders, which
//! both drivers bind by number; a statement assembled at run time (optional filters, column
//! lists) is built with [`sqlx::QueryBuilder::push_bind`], which numbers its own placeholders
//! for each engine. Client data is deleted only through `deletion::Deletion`, which
//! checkpoints SQLite's write-ahead log after the commit. Not `sqlx::Any`: it erases the
//! types the two drivers disagree on (booleans, blobs, timestamps, 32/64-bit integers) and
//! checks nothing at compile time.
//!
//! SQLite keeps in-memory read paths (a copy of sessions, recently read accounts, sign-in
//! throttling in memory): one server process per file. On PostgreSQL nothing that decides
//! access lives only in memory: sessions, accounts and failed sign-ins are read from the
//! database on every request.
//!
//! Migrations: `migrations/sqlite/` and `migrations/postgres/`, embedded and applied on open.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{ConnectOptions, Postgres, Sqlite};
use tokio::sync::mpsc;
use tower_sessions::CachingSessionStore;

/// Runs `$body` with `$p` bound to the engine's own pool (`&SqlitePool` or `&PgPool`): the
/// body is written once and compiled once per engine.
macro_rules! on_pool {
    ($pool:expr, $p:ident => $body:expr) => {
        match $pool {
            $crate::store::Pool::Sqlite($p) => $body,
            $crate::store::Pool::Postgres($p) => $body,
        }
    };
}

/// Runs `$body` with `$c` bound to the connection of the open transaction `$tx` (`&mut Tx`),
/// compiled once per engine like [`on_pool!`].
macro_rules! on_tx {
    ($tx:expr, $c:ident => $body:expr) => {
        match $tx {
            $crate::store::Tx::Sqlite(transaction) => {
                let $c = &mut **transaction;
                $body
            }
            $crate::store::Tx::Postgres(transaction) => {
                let $c = &mut **transaction;
                $body
            }
        }
    };
}

mod audit;
mod client_token;
mod clinicians;
mod deletion;
mod drafts;
mod files;
mod invitations;
mod keys;
mod maintenance;
mod reports;
mod rows;
mod screening_writer;
mod screenings;
mod session_cache;
mod session_ids;
mod sessions;
mod throttle;
mod two_factor;

/// Creates an empty file readable by this account alone (mode 0600), for backups made
/// outside the store (`pg_dump`).
pub use files::create_private;
pub use keys::{
    DEVICE_COOKIE_KEY, FORM_TOKEN_KEY, PENDING_SIGN_IN_KEY, THROTTLE_KEY, TWO_FACTOR_KEY,
};
pub use session_cache::SessionCache;
pub use sessions::{EngineSessions, SessionStore, is_unavailable as session_unavailable};

pub use crate::accounts::{Clinician, ClinicianId};
pub use audit::{AUDIT_PAGE_SIZE, AuditAction, AuditEntry, AuditEvent, UNKNOWN_USERNAME};
pub use client_token::{ClientToken, TOKEN_CHARS};
pub use clinicians::AccountChangeError;
pub use drafts::{DRAFT_HOURS, Draft, DraftId, DraftLookup, NewDraft, draft_expiry};
pub use invitations::{
    EXPIRED_LISTED_SECS, EXPIRY_GRACE_SECS, Invitation, InvitationId, NewInvitation, Spent,
    TokenLookup,
};
pub use maintenance::{BackupSummary, HealthReport, MigrationState, MigrationStep};
pub use reports::{ExportExtent, ScreeningSummary};
pub use screening_writer::NewScreening;
pub use screenings::{PAGE_SIZE, ScreeningPage, ScreeningQuery, StoredScreening};
pub use throttle::{AccountSubject, SharedFailures};
pub use two_factor::StoredTotp;

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database URL could not be understood.
    #[error(
        "database URL {url:?} is neither a SQLite nor a PostgreSQL URL (expected e.g. \
         sqlite://screener.db or postgres://user@host/database): {source}"
    )]
    BadUrl { url: String, source: sqlx::Error },
    /// The database refused or failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Migrations could not be applied.
    #[error("could not migrate the database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored row does not decode; the database was changed outside the app.
    #[error("stored screening is unreadable: {0}")]
    Corrupt(String),
    /// Every fresh review code and row id tried was taken (a 1-in-10^12 event, repeated).
    #[error("could not find an unused review code")]
    NoUnusedReviewCode,
    /// A write was not committed (the transaction holding it failed, or the store closed).
    #[error("not saved: {0}")]
    NotCommitted(String),
    /// The database did not answer in time (down, restarting, unreachable, or a statement
    /// over [`STATEMENT_TIMEOUT`]): worth trying again shortly (see [`StoreError::is_unavailable`]).
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// A client's invitation to save from is gone: saved already, cancelled or expired.
    #[error("the client's answers are no longer there: saved already, cancelled or expired")]
    InvitationGone,
    /// A draft to save from is gone: saved already, discarded (`expired: false`) or expired.
    #[error("the draft is no longer there: saved already, discarded or expired")]
    DraftGone { expired: bool },
    /// A backup just written does not pass its integrity check.
    #[error("the backup fails its integrity check: {0}")]
    UnsoundBackup(String),
    /// Something only one engine can do was asked of the other (e.g. a file backup of a
    /// PostgreSQL database).
    #[error("{0}")]
    NotOnThisEngine(&'static str),
    /// A file beside the database (a backup) could not be written or read.
    #[error("{}: {source}", path.display())]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl StoreError {
    /// True when the database could not be reached or did not answer in time, rather than
    /// refusing the request: the web layer answers 503 with `Retry-After` (ASVS 5.0 V16.5.2:
    /// the app fails safely and says so when a resource it depends on is unavailable).
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Unavailable(_) => true,
            StoreError::Database(error) => is_unavailable(error),
            StoreError::Migrate(sqlx::migrate::MigrateError::Execute(error)) => {
                is_unavailable(error)
            }
            _ => false,
        }
    }

    /// This error as one that can be handed to every job of a failed batch: unavailability is
    /// kept (the web layer answers 503), anything else becomes [`StoreError::NotCommitted`].
    pub(crate) fn not_committed(&self) -> StoreError {
        if self.is_unavailable() {
            StoreError::Unavailable(self.to_string())
        } else {
            StoreError::NotCommitted(self.to_string())
        }
    }
}

/// True for a connection that failed or was lost, a pool with no connection free in
/// [`ACQUIRE_TIMEOUT`], a server shutting down or starting up, a statement cancelled by
/// [`STATEMENT_TIMEOUT`], or a SQLite file still locked after its busy timeout.
fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(error) => {
            let Some(code) = error.code() else {
                return false;
            };
            if error
                .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                .is_some()
            {
                // 08: connection exception; 57P01-57P03: the server is shutting down, crashed
                // or starting; 57014: cancelled (statement_timeout); 53300: too many
                // connections; 55P03: a lock not obtained in time.
                code.starts_with("08")
                    || matches!(
                        &*code,
                        "57P01" | "57P02" | "57P03" | "57014" | "53300" | "55P03"
                    )
            } else {
                // SQLITE_BUSY (5) and SQLITE_LOCKED (6), with their extended codes.
                code.parse::<i32>()
                    .is_ok_and(|code| matches!(code & 0xff, 5 | 6))
            }
        }
        _ => false,
    }
}

/// How long a request waits for a database connection before it is answered 503: well below
/// the request timeout (15 s), so that an unreachable database gives a clear answer, not a
/// hang; long enough to ride out a quick restart of PostgreSQL.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// PostgreSQL's `statement_timeout` on the app's connections: a statement (a lock wait
/// included) that runs longer is cancelled and the request answered 503. Migrations run
/// without it.
pub const STATEMENT_TIMEOUT: Duration = Duration::from_secs(5);

/// SQLite's busy timeout: how long a statement waits for a lock held by another connection
/// or process (a backup, a maintenance command) before it fails and the request is answered 503.
pub const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The SQLite migrations built into this binary from `migrations/sqlite/`.
static SQLITE_MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");
/// The PostgreSQL migrations built into this binary from `migrations/postgres/`.
static POSTGRES_MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// True for a database that lives in memory only (no files to protect).
fn is_in_memory(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}

/// True for a PostgreSQL URL (`postgres://…` or `postgresql://…`).
pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// The database engine and its connections.
#[derive(Debug, Clone)]
enum Engine {
    /// One writer connection (so concurrent writes queue instead of failing with
    /// SQLITE_BUSY), a pool of readers (WAL lets them read while the writer writes), session
    /// connections of their own, and the in-memory read paths of one server process.
    Sqlite {
        writer: SqlitePool,
        readers: SqlitePool,
        sessions: SqlitePool,
        /// The in-memory copy of sessions, shared by every session store made from this store.
        session_cache: SessionCache,
        /// Accounts read recently (see [`Store::find_clinician`]).
        clinician_cache: clinicians::ClinicianCache,
    },
    /// One pool; PostgreSQL does its own concurrency control.
    Postgres { pool: PgPool },
}

/// A pool of either engine, for [`on_pool!`].
#[derive(Debug, Clone, Copy)]
pub(crate) enum Pool<'a> {
    Sqlite(&'a SqlitePool),
    Postgres(&'a PgPool),
}

impl Pool<'_> {
    /// Begins a transaction.
    async fn begin(self) -> Result<Tx<'static>, sqlx::Error> {
        Ok(match self {
            Pool::Sqlite(pool) => Tx::Sqlite(pool.begin().await?),
            Pool::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }
}

/// An open transaction (or savepoint) of either engine, for [`on_tx!`].
#[derive(Debug)]
pub(crate) enum Tx<'c> {
    Sqlite(sqlx::Transaction<'c, Sqlite>),
    Postgres(sqlx::Transaction<'c, Postgres>),
}

impl Tx<'_> {
    /// A savepoint inside this transaction.
    async fn savepoint(&mut self) -> Result<Tx<'_>, sqlx::Error> {
        Ok(match self {
            Tx::Sqlite(transaction) => {
                Tx::Sqlite(sqlx::Connection::begin(&mut **transaction).await?)
            }
            Tx::Postgres(transaction) => {
                Tx::Postgres(sqlx::Connection::begin(&mut **transaction).await?)
            }
        })
    }

    async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(transaction) => transaction.commit().await,
            Tx::Postgres(transaction) => transaction.commit().await,
        }
    }

    async fn rollback(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(transaction) => transaction.rollback().await,
            Tx::Postgres(transaction) => transaction.rollback().await,
        }
    }
}

/// The database.
#[derive(Debug, Clone)]
pub struct Store {
    engine: Engine,
    /// Screenings waiting for the batch writer.
    screening_jobs: mpsc::Sender<screening_writer::SaveJob>,
}

impl Store {
    /// Opens and migrates the database at `url`: a SQLite file (created if missing) or a
    /// PostgreSQL database (which must exist).
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        if is_postgres_url(url) {
            let store = Store::connect_postgres(url).await?;
            if let Engine::Postgres { pool } = &store.engine {
                // A migration may rewrite a large table: no statement timeout for it.
                let mut connection = pool.acquire().await?;
                sqlx::query("SET statement_timeout = 0")
                    .execute(&mut *connection)
                    .await?;
                let migrated = POSTGRES_MIGRATOR.run(&mut *connection).await;
                // Back to the connection's own setting before it returns to the pool; if that
                // fails, the connection is not returned.
                if sqlx::query("RESET statement_timeout")
                    .execute(&mut *connection)
                    .await
                    .is_err()
                {
                    connection.detach();
                }
                migrated?;
            }
            return Ok(store);
        }
        let store = Store::connect_sqlite(url, true).await?;
        let migrating = !store.migration_state().await?.pending.is_empty();
        if let Engine::Sqlite { writer, .. } = &store.engine {
            SQLITE_MIGRATOR.run(writer).await?;
        }
        if migrating {
            // What a migration rewrote or deleted (sessions, audit rows) leaves the log at once.
            store.checkpoint().await;
        }
        Ok(store)
    }

    /// Opens the existing database at `url` as it is: never creates or migrates it, and
    /// leaves a SQLite file's journal mode alone (for maintenance commands, which must not
    /// change what they look at; a database the server made is in WAL mode already).
    pub async fn open_existing(url: &str) -> Result<Store, StoreError> {
        if is_postgres_url(url) {
            Store::connect_postgres(url).await
        } else {
            Store::connect_sqlite(url, false).await
        }
    }

    /// True when this store is on PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        matches!(self.engine, Engine::Postgres { .. })
    }

    /// Where writes go.
    fn writer(&self) -> Pool<'_> {
        match &self.engine {
            Engine::Sqlite { writer, .. } => Pool::Sqlite(writer),
            Engine::Postgres { pool } => Pool::Postgres(pool),
        }
    }

    /// Where reads go.
    fn readers(&self) -> Pool<'_> {
        match &self.engine {
            Engine::Sqlite { readers, .. } => Pool::Sqlite(readers),
            Engine::Postgres { pool } => Pool::Postgres(pool),
        }
    }

    /// Connects to PostgreSQL: statements unlogged (an INSERT's time would date a
    /// screening), `synchronous_commit=on` whatever the server's default (a 303 only after
    /// the commit is durable), sessions in UTC, [`STATEMENT_TIMEOUT`] and [`ACQUIRE_TIMEOUT`].
    /// Connections are checked before use, so after a restart of the server dead ones are
    /// replaced: the app recovers on its own.
    async fn connect_postgres(url: &str) -> Result<Store, StoreError> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|source| StoreError::BadUrl {
                url: url.to_owned(),
                source,
            })?
            .application_name("screener")
            // TimeZone UTC: tower-sessions' sweep compares expiries with `now() at time
            // zone 'utc'`, which is right only in a UTC session.
            .options([
                ("synchronous_commit", "on"),
                ("TimeZone", "UTC"),
                (
                    "statement_timeout",
                    &format!("{}ms", STATEMENT_TIMEOUT.as_millis()),
                ),
            ])
            .disable_statement_logging();
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .test_before_acquire(true)
            .connect_with(options)
            .await?;
        let (screening_jobs, waiting) = mpsc::channel(4 * 1024);
        tokio::spawn(screening_writer::write_batches(
            Pool::Postgres(&pool).to_owned_pool(),
            waiting,
        ));
        Ok(Store {
            engine: Engine::Postgres { pool },
            screening_jobs,
        })
    }

    /// Connects the SQLite pools; `create` makes a missing file and puts it in WAL mode.
    async fn connect_sqlite(url: &str, create: bool) -> Result<Store, StoreError> {
        let mut options = SqliteConnectOptions::from_str(url)
            .map_err(|source| StoreError::BadUrl {
                url: url.to_owned(),
                source,
            })?
            .create_if_missing(create);
        if !is_in_memory(url) {
            let database = options.get_filename().to_owned();
            tokio::task::spawn_blocking(move || {
                files::prepare_database(&database, create).map_err(|source| StoreError::File {
                    path: database,
                    source,
                })
            })
            .await
            .map_err(|error| StoreError::NotCommitted(error.to_string()))??;
        }
        if create {
            options = options.journal_mode(SqliteJournalMode::Wal);
        }
        let options = options
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(SQLITE_BUSY_TIMEOUT)
            .foreign_keys(true)
            // sqlx would log statements with their times; an INSERT's time dates a screening.
            .disable_statement_logging()
            // Sorts and temporary tables stay in memory: no stray copy of rows in a temp file.
            .pragma("temp_store", "MEMORY")
            // A deleted screening is overwritten, not left readable in free pages.
            .pragma("secure_delete", "ON");
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options.clone())
            .await?;
        let sessions = SqlitePoolOptions::new()
            .max_connections(2)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options.clone())
            .await?;
        let readers = SqlitePoolOptions::new()
            .max_connections(4)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options.read_only(true))
            .await?;
        let (screening_jobs, waiting) = mpsc::channel(4 * 1024);
        tokio::spawn(screening_writer::write_batches(
            Pool::Sqlite(&writer).to_owned_pool(),
            waiting,
        ));
        Ok(Store {
            engine: Engine::Sqlite {
                writer,
                readers,
                sessions,
                session_cache: SessionCache::default(),
                clinician_cache: clinicians::ClinicianCache::default(),
            },
            screening_jobs,
        })
    }

    /// True when the database answers.
    pub async fn is_healthy(&self) -> bool {
        on_pool!(self.readers(), pool => sqlx::query_scalar::<_, i32>("SELECT 1")
            .fetch_one(pool)
            .await
            .is_ok())
    }

    /// The session store for `tower-sessions` (its table is created by this app's
    /// migrations), under hashed ids. On SQLite reads come from memory when they can and
    /// writes go to SQLite on connections of their own, so that they never wait for the
    /// screening writer; on PostgreSQL every read and write goes to the database, so that
    /// every instance sees a sign-out at once.
    pub fn session_store(&self) -> SessionStore {
        session_ids::HashedSessionIds::new(match &self.engine {
            Engine::Sqlite {
                sessions,
                session_cache,
                ..
            } => EngineSessions::Sqlite(CachingSessionStore::new(
                session_cache.clone(),
                tower_sessions_sqlx_store::SqliteStore::new(sessions.clone()),
            )),
            Engine::Postgres { pool } => EngineSessions::Postgres(sessions::postgres_store(pool)),
        })
    }

    /// Deletes expired sessions every `period`, until an error (run it as a task). The
    /// in-memory copy of SQLite's never serves an expired session and drops them when it
    /// fills up.
    pub async fn sweep_expired_sessions(
        self,
        period: std::time::Duration,
    ) -> Result<(), tower_sessions::session_store::Error> {
        use tower_sessions::session_store::ExpiredDeletion;
        match &self.engine {
            Engine::Sqlite { sessions, .. } => {
                tower_sessions_sqlx_store::SqliteStore::new(sessions.clone())
                    .continuously_delete_expired(period)
                    .await
            }
            Engine::Postgres { pool } => {
                sessions::postgres_store(pool)
                    .continuously_delete_expired(period)
                    .await
            }
        }
    }

    /// On SQLite, copies everything in the write-ahead log into the database file and
    /// empties the log (`wal_checkpoint(TRUNCATE)`): after a delete, the deleted rows
    /// (overwritten in the database file by `secure_delete`) are then in no file at all.
    /// Waits for readers through the busy timeout; a checkpoint that cannot finish is tried
    /// again at the next delete, and logged. On PostgreSQL, nothing: its files are the
    /// server's (VACUUM reclaims deleted rows; see docs/DEPLOYMENT.md). Deletes reach it
    /// through [`deletion::Deletion`].
    async fn checkpoint(&self) {
        let Engine::Sqlite { writer, .. } = &self.engine else {
            return;
        };
        const ATTEMPTS: usize = 2;
        for _ in 0..ATTEMPTS {
            match sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(TRUNCATE)")
                .fetch_one(writer)
                .await
            {
                Ok((0, _, _)) => return,
                Ok(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                Err(error) => {
                    tracing::warn!(%error, "the write-ahead log could not be checkpointed");
                    return;
                }
            }
        }
        tracing::warn!(
            "the write-ahead log is still in use; it is checkpointed at the next delete"
        );
    }

    /// Waits for open connections to finish and closes them.
    pub async fn close(&self) {
        match &self.engine {
            Engine::Sqlite {
                writer,
                readers,
                sessions,
                ..
            } => {
                readers.close().await;
                sessions.close().await;
                writer.close().await;
            }
            Engine::Postgres { pool } => pool.close().await,
        }
    }
}

/// A pool of either engine, owned (for tasks that outlive a borrow).
#[derive(Debug, Clone)]
pub(crate) enum OwnedPool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl OwnedPool {
    fn pool(&self) -> Pool<'_> {
        match self {
            OwnedPool::Sqlite(pool) => Pool::Sqlite(pool),
            OwnedPool::Postgres(pool) => Pool::Postgres(pool),
        }
    }
}

impl Pool<'_> {
    fn to_owned_pool(self) -> OwnedPool {
        match self {
            Pool::Sqlite(pool) => OwnedPool::Sqlite(pool.clone()),
            Pool::Postgres(pool) => OwnedPool::Postgres(pool.clone()),
        }
    }
}
