//! Storage: every SQL statement of the app lives below this module. SQLite through sqlx,
//! migrations embedded from `migrations/` and applied on open.

mod audit;
mod clinicians;
mod files;
mod invitations;
mod keys;
mod maintenance;
mod screenings;
mod session_cache;
mod session_ids;

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use sqlx::ConnectOptions;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use tokio::sync::mpsc;
use tower_sessions::CachingSessionStore;

pub use keys::FORM_TOKEN_KEY;
pub use session_cache::{SessionCache, SessionStore};

pub use audit::{AUDIT_PAGE_SIZE, AuditAction, AuditEntry, AuditEvent, UNKNOWN_USERNAME};
pub use clinicians::{AccountChangeError, Clinician, ClinicianId};
pub use invitations::{ClientToken, Invitation, InvitationId, NewInvitation};
pub use maintenance::{BackupSummary, HealthReport, MigrationState, MigrationStep};
pub use screenings::{
    ExportExtent, PAGE_SIZE, ScreeningPage, ScreeningQuery, ScreeningSummary, StoredScreening,
};

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database URL could not be understood.
    #[error(
        "database URL {url:?} is not a SQLite URL (expected e.g. sqlite://screener.db): {source}"
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
    /// A write was not committed (the transaction holding it failed, or the store closed).
    #[error("not saved: {0}")]
    NotCommitted(String),
    /// A client's invitation to save from is gone: saved already, cancelled or expired.
    #[error("the client's answers are no longer there: saved already, cancelled or expired")]
    InvitationGone,
    /// A backup just written does not pass its integrity check.
    #[error("the backup fails its integrity check: {0}")]
    UnsoundBackup(String),
    /// A file beside the database (a backup) could not be written or read.
    #[error("{}: {source}", path.display())]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The migrations built into this binary from `migrations/`.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// True for a database that lives in memory only (no files to protect).
fn is_in_memory(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}

/// The database: one writer connection (so concurrent writes queue instead of failing with
/// SQLITE_BUSY) and a pool of readers (WAL lets them read while the writer writes).
#[derive(Debug, Clone)]
pub struct Store {
    writer: SqlitePool,
    readers: SqlitePool,
    sessions: SqlitePool,
    /// Screenings waiting for the batch writer.
    screening_jobs: mpsc::Sender<screenings::SaveJob>,
    /// The in-memory copy of sessions, shared by every session store made from this store.
    session_cache: SessionCache,
    /// Accounts read recently (see [`Store::find_clinician`]).
    clinician_cache: clinicians::ClinicianCache,
}

impl Store {
    /// Opens (creating if missing) and migrates the database at `url`.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        let store = Store::connect(url, true).await?;
        let migrating = !store.migration_state().await?.pending.is_empty();
        MIGRATOR.run(&store.writer).await?;
        if migrating {
            // What a migration rewrote or deleted (sessions, audit rows) leaves the log at once.
            store.checkpoint().await;
        }
        Ok(store)
    }

    /// Opens the existing database at `url` as it is: never creates or migrates it, and
    /// leaves its journal mode alone (for maintenance commands, which must not change what
    /// they look at; a database the server made is in WAL mode already).
    pub async fn open_existing(url: &str) -> Result<Store, StoreError> {
        Store::connect(url, false).await
    }

    /// Connects the pools; `create` makes a missing file and puts it in WAL mode.
    async fn connect(url: &str, create: bool) -> Result<Store, StoreError> {
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
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            // sqlx would log statements with their times; an INSERT's time dates a screening.
            .disable_statement_logging()
            // Sorts and temporary tables stay in memory: no stray copy of rows in a temp file.
            .pragma("temp_store", "MEMORY")
            // A deleted screening is overwritten, not left readable in free pages.
            .pragma("secure_delete", "ON");
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await?;
        let sessions = SqlitePoolOptions::new()
            .max_connections(2)
            .connect_with(options.clone())
            .await?;
        let readers = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.read_only(true))
            .await?;
        let (screening_jobs, waiting) = mpsc::channel(4 * 1024);
        tokio::spawn(screenings::write_batches(writer.clone(), waiting));
        Ok(Store {
            writer,
            readers,
            sessions,
            screening_jobs,
            session_cache: SessionCache::default(),
            clinician_cache: clinicians::ClinicianCache::default(),
        })
    }

    /// True when the database answers.
    pub async fn is_healthy(&self) -> bool {
        sqlx::query_scalar::<_, i64>("SELECT 1")
            .fetch_one(&self.readers)
            .await
            .is_ok()
    }

    /// The session store for `tower-sessions` (its table is created by this app's
    /// migrations): reads come from memory when they can; writes go to SQLite, on connections
    /// of its own so that they never wait for the screening writer (they wait their turn
    /// through `busy_timeout`).
    pub fn session_store(&self) -> SessionStore {
        session_ids::HashedSessionIds::new(CachingSessionStore::new(
            self.session_cache.clone(),
            tower_sessions_sqlx_store::SqliteStore::new(self.sessions.clone()),
        ))
    }

    /// Deletes expired sessions from SQLite every `period`, until an error (run it as a task).
    /// The in-memory copy never serves an expired session and drops them when it fills up.
    pub async fn sweep_expired_sessions(
        self,
        period: std::time::Duration,
    ) -> Result<(), tower_sessions::session_store::Error> {
        use tower_sessions::session_store::ExpiredDeletion;
        tower_sessions_sqlx_store::SqliteStore::new(self.sessions.clone())
            .continuously_delete_expired(period)
            .await
    }

    /// Copies everything in the write-ahead log into the database file and empties the log
    /// (`wal_checkpoint(TRUNCATE)`): after a delete, the deleted rows (overwritten in the
    /// database file by `secure_delete`) are then in no file at all. Waits for readers
    /// through the busy timeout; a checkpoint that cannot finish is tried again at the next
    /// delete, and logged.
    pub async fn checkpoint(&self) {
        const ATTEMPTS: usize = 2;
        for _ in 0..ATTEMPTS {
            match sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(TRUNCATE)")
                .fetch_one(&self.writer)
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
        self.readers.close().await;
        self.sessions.close().await;
        self.writer.close().await;
    }
}
