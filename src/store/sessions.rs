//! The sign-in session store of either engine: SQLite's with an in-memory copy in front (one
//! process per file), or PostgreSQL's read from the database on every request (any number of
//! instances), both under hashed ids (see [`super::session_ids`]).

use async_trait::async_trait;
use sqlx::PgPool;
use tower_sessions::CachingSessionStore;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore as Sessions};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

use super::SessionCache;

/// The session store the web layer uses.
pub type SessionStore = super::session_ids::HashedSessionIds<EngineSessions>;

/// The session store of the store's engine.
#[derive(Debug, Clone)]
pub enum EngineSessions {
    /// The in-memory copy, then SQLite.
    Sqlite(CachingSessionStore<SessionCache, SqliteStore>),
    /// PostgreSQL only.
    Postgres(PostgresStore),
}

/// tower-sessions' PostgreSQL store on the `tower_sessions` table of this app's migrations.
/// True when a session failed because its store, the database, did not answer: the
/// session store reports only a message for any failure of its backend, which is the
/// database (the web layer answers 503 with `Retry-After`, as for [`super::StoreError`]).
pub fn is_unavailable(error: &tower_sessions::session::Error) -> bool {
    matches!(
        error,
        tower_sessions::session::Error::Store(session_store::Error::Backend(_))
    )
}

pub(super) fn postgres_store(pool: &PgPool) -> PostgresStore {
    PostgresStore::new(pool.clone())
        .with_schema_name("public")
        .and_then(|store| store.with_table_name("tower_sessions"))
        .expect("valid identifiers")
}

#[async_trait]
impl Sessions for EngineSessions {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            EngineSessions::Sqlite(store) => store.create(record).await,
            EngineSessions::Postgres(store) => store.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            EngineSessions::Sqlite(store) => store.save(record).await,
            EngineSessions::Postgres(store) => store.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            EngineSessions::Sqlite(store) => store.load(id).await,
            EngineSessions::Postgres(store) => store.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            EngineSessions::Sqlite(store) => store.delete(id).await,
            EngineSessions::Postgres(store) => store.delete(id).await,
        }
    }
}
