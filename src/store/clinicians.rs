//! Clinician accounts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::audit::{self, AuditEntry};
use super::rows::StoredRow;
use super::{Engine, Store, StoreError};
use crate::accounts::{AccountError, Clinician, ClinicianId, PasswordHash, Username};

/// How long an account read by id is reused before it is read again. Changes made through
/// this store take effect at once; changes made by another process (`screener user
/// deactivate` on the console) within this time.
pub const CLINICIAN_CACHE_TTL: Duration = Duration::from_secs(1);

/// Accounts recently read by id, with when they were read.
#[derive(Debug, Clone, Default)]
pub(super) struct ClinicianCache(Arc<Mutex<HashMap<ClinicianId, (Instant, Clinician)>>>);

impl ClinicianCache {
    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<ClinicianId, (Instant, Clinician)>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn get(&self, id: ClinicianId) -> Option<Clinician> {
        self.entries()
            .get(&id)
            .filter(|(read, _)| read.elapsed() < CLINICIAN_CACHE_TTL)
            .map(|(_, clinician)| clinician.clone())
    }

    fn put(&self, clinician: &Clinician) {
        let mut entries = self.entries();
        if entries.len() >= 1_000 {
            entries.clear();
        }
        entries.insert(clinician.id, (Instant::now(), clinician.clone()));
    }

    fn forget_all(&self) {
        self.entries().clear();
    }
}

const SELECT_CLINICIAN: &str =
    "SELECT id, username, password_hash, is_admin, is_active, session_epoch FROM clinicians";

fn decode(row: &impl StoredRow) -> Result<Clinician, StoreError> {
    let username = row.text("username")?;
    Ok(Clinician {
        id: ClinicianId(row.int("id")?),
        username: Username::parse(&username)
            .map_err(|_| StoreError::Corrupt(format!("username {username:?}")))?,
        password_hash: PasswordHash(row.text("password_hash")?),
        is_admin: row.flag("is_admin")?,
        is_active: row.flag("is_active")?,
        session_epoch: row.int("session_epoch")?,
    })
}

/// An account change that could not be made: the account rules, or the database.
#[derive(Debug, thiserror::Error)]
pub enum AccountChangeError {
    #[error(transparent)]
    Refused(#[from] AccountError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for AccountChangeError {
    fn from(error: sqlx::Error) -> Self {
        AccountChangeError::Store(StoreError::Database(error))
    }
}

impl Store {
    /// The SQLite store's cache of accounts (PostgreSQL has none: another instance may have
    /// changed an account a moment ago).
    fn clinician_cache(&self) -> Option<&ClinicianCache> {
        match &self.engine {
            Engine::Sqlite {
                clinician_cache, ..
            } => Some(clinician_cache),
            Engine::Postgres { .. } => None,
        }
    }

    fn forget_cached_clinicians(&self) {
        if let Some(cache) = self.clinician_cache() {
            cache.forget_all();
        }
    }

    /// How many accounts exist.
    pub async fn count_clinicians(&self) -> Result<i64, StoreError> {
        Ok(
            on_pool!(self.readers(), pool => sqlx::query_scalar("SELECT count(*) FROM clinicians")
            .fetch_one(pool)
            .await?),
        )
    }

    /// Creates an account, and records `audit` in the same transaction; refuses a username
    /// already taken.
    pub async fn create_clinician(
        &self,
        username: &Username,
        password_hash: &PasswordHash,
        is_admin: bool,
        audit: Option<AuditEntry<'_>>,
    ) -> Result<ClinicianId, AccountChangeError> {
        let mut transaction = self.writer().begin().await?;
        let inserted: Option<i64> = on_tx!(&mut transaction, connection => sqlx::query_scalar(
            "INSERT INTO clinicians (username, password_hash, is_admin) VALUES ($1, $2, $3) \
             ON CONFLICT (username) DO NOTHING RETURNING id",
        )
        .bind(username.as_str())
        .bind(&password_hash.0)
        .bind(is_admin)
        .fetch_optional(&mut *connection)
        .await?);
        let Some(id) = inserted else {
            return Err(AccountError::UsernameTaken.into());
        };
        if let Some(entry) = audit {
            audit::insert(&mut transaction, entry).await?;
        }
        transaction.commit().await?;
        Ok(ClinicianId(id))
    }

    /// Creates the first account, an admin, only while no account exists, and records
    /// `audit` in the same transaction. Returns `None` when some account already exists.
    pub async fn create_first_admin(
        &self,
        username: &Username,
        password_hash: &PasswordHash,
        audit: AuditEntry<'_>,
    ) -> Result<Option<ClinicianId>, StoreError> {
        let mut transaction = self.writer().begin().await?;
        if let super::Tx::Postgres(connection) = &mut transaction {
            // Two instances may be set up at once: one at a time (released at commit).
            sqlx::query("LOCK TABLE clinicians IN SHARE ROW EXCLUSIVE MODE")
                .execute(&mut **connection)
                .await?;
        }
        let inserted: Option<i64> = on_tx!(&mut transaction, connection => sqlx::query_scalar(
            "INSERT INTO clinicians (username, password_hash, is_admin) \
             SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM clinicians) RETURNING id",
        )
        .bind(username.as_str())
        .bind(&password_hash.0)
        .bind(true)
        .fetch_optional(&mut *connection)
        .await?);
        if inserted.is_some() {
            audit::insert(&mut transaction, audit).await?;
        }
        transaction.commit().await?;
        Ok(inserted.map(ClinicianId))
    }

    /// The account with this username, active or not.
    pub async fn find_clinician_by_username(
        &self,
        username: &Username,
    ) -> Result<Option<Clinician>, StoreError> {
        let sql = format!("{SELECT_CLINICIAN} WHERE username = $1");
        on_pool!(self.readers(), pool => {
            let row = sqlx::query(&sql)
                .bind(username.as_str())
                .fetch_optional(pool)
                .await?;
            row.as_ref().map(decode).transpose()
        })
    }

    /// The account with this id, active or not. Asked on every signed-in request, so on
    /// SQLite it is reused for up to `CLINICIAN_CACHE_TTL`; on PostgreSQL it is read every
    /// time, so that a change made through any instance holds at once on all.
    pub async fn find_clinician(&self, id: ClinicianId) -> Result<Option<Clinician>, StoreError> {
        let cache = self.clinician_cache();
        if let Some(clinician) = cache.and_then(|cache| cache.get(id)) {
            return Ok(Some(clinician));
        }
        let sql = format!("{SELECT_CLINICIAN} WHERE id = $1");
        let clinician = on_pool!(self.readers(), pool => {
            let row = sqlx::query(&sql).bind(id.0).fetch_optional(pool).await?;
            row.as_ref().map(decode).transpose()?
        });
        if let (Some(cache), Some(clinician)) = (cache, &clinician) {
            cache.put(clinician);
        }
        Ok(clinician)
    }

    /// Every account, by username.
    pub async fn list_clinicians(&self) -> Result<Vec<Clinician>, StoreError> {
        let sql = format!("{SELECT_CLINICIAN} ORDER BY username");
        on_pool!(self.readers(), pool => {
            let rows = sqlx::query(&sql).fetch_all(pool).await?;
            rows.iter().map(decode).collect()
        })
    }

    /// Activates or deactivates an account, and records `audit` in the same transaction.
    pub async fn set_clinician_active(
        &self,
        username: &Username,
        is_active: bool,
        audit: AuditEntry<'_>,
    ) -> Result<(), AccountChangeError> {
        let mut transaction = self.writer().begin().await?;
        let updated = on_tx!(&mut transaction, connection => sqlx::query(
            "UPDATE clinicians SET is_active = $1, \
             session_epoch = session_epoch + (CASE WHEN $1 THEN 0 ELSE 1 END) WHERE username = $2",
        )
        .bind(is_active)
        .bind(username.as_str())
        .execute(&mut *connection)
        .await?
        .rows_affected());
        if updated == 0 {
            return Err(AccountError::UnknownUsername.into());
        }
        audit::insert(&mut transaction, audit).await?;
        transaction.commit().await?;
        self.forget_cached_clinicians();
        Ok(())
    }

    /// Ends every session of an account (its session epoch moves on, so each one is refused
    /// at its next request), and records `audit` in the same transaction. Returns the new
    /// epoch, for a session that is to carry on.
    pub async fn end_sessions(
        &self,
        username: &Username,
        audit: AuditEntry<'_>,
    ) -> Result<i64, AccountChangeError> {
        let mut transaction = self.writer().begin().await?;
        let epoch: Option<i64> = on_tx!(&mut transaction, connection => sqlx::query_scalar(
            "UPDATE clinicians SET session_epoch = session_epoch + 1 WHERE username = $1 \
             RETURNING session_epoch",
        )
        .bind(username.as_str())
        .fetch_optional(&mut *connection)
        .await?);
        let Some(epoch) = epoch else {
            return Err(AccountError::UnknownUsername.into());
        };
        audit::insert(&mut transaction, audit).await?;
        transaction.commit().await?;
        self.forget_cached_clinicians();
        Ok(epoch)
    }

    /// Replaces an account's password hash, and records `audit` in the same transaction;
    /// every session of the account ends.
    pub async fn set_clinician_password(
        &self,
        username: &Username,
        password_hash: &PasswordHash,
        audit: AuditEntry<'_>,
    ) -> Result<(), AccountChangeError> {
        let mut transaction = self.writer().begin().await?;
        let updated = on_tx!(&mut transaction, connection => sqlx::query(
            "UPDATE clinicians SET password_hash = $1, session_epoch = session_epoch + 1 \
             WHERE username = $2",
        )
        .bind(&password_hash.0)
        .bind(username.as_str())
        .execute(&mut *connection)
        .await?
        .rows_affected());
        if updated == 0 {
            return Err(AccountError::UnknownUsername.into());
        }
        audit::insert(&mut transaction, audit).await?;
        transaction.commit().await?;
        self.forget_cached_clinicians();
        Ok(())
    }
}
