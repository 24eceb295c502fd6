//! Clinician accounts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::Row;

use super::{Store, StoreError};
use crate::accounts::{AccountError, PasswordHash, Username};

/// A clinician's internal id; screenings belong to one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct ClinicianId(pub i64);

/// A clinician account.
#[derive(Debug, Clone)]
pub struct Clinician {
    pub id: ClinicianId,
    pub username: Username,
    pub password_hash: PasswordHash,
    pub is_admin: bool,
    pub is_active: bool,
    /// Sessions signed in under another epoch are no longer valid.
    pub session_epoch: i64,
}

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

fn decode(row: &sqlx::sqlite::SqliteRow) -> Result<Clinician, StoreError> {
    let username: String = row.try_get("username")?;
    Ok(Clinician {
        id: ClinicianId(row.try_get("id")?),
        username: Username::parse(&username)
            .map_err(|_| StoreError::Corrupt(format!("username {username:?}")))?,
        password_hash: PasswordHash(row.try_get("password_hash")?),
        is_admin: row.try_get("is_admin")?,
        is_active: row.try_get("is_active")?,
        session_epoch: row.try_get("session_epoch")?,
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
    /// How many accounts exist.
    pub async fn count_clinicians(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT count(*) FROM clinicians")
            .fetch_one(&self.readers)
            .await?)
    }

    /// Creates an account; refuses a username already taken.
    pub async fn create_clinician(
        &self,
        username: &Username,
        password_hash: &PasswordHash,
        is_admin: bool,
    ) -> Result<ClinicianId, AccountChangeError> {
        let inserted = sqlx::query(
            "INSERT INTO clinicians (username, password_hash, is_admin) VALUES (?, ?, ?) \
             ON CONFLICT (username) DO NOTHING RETURNING id",
        )
        .bind(username.as_str())
        .bind(&password_hash.0)
        .bind(is_admin)
        .fetch_optional(&self.writer)
        .await?;
        match inserted {
            Some(row) => Ok(ClinicianId(row.try_get("id")?)),
            None => Err(AccountError::UsernameTaken.into()),
        }
    }

    /// Creates the first account, an admin, only while no account exists. Returns `None` when
    /// some account already exists.
    pub async fn create_first_admin(
        &self,
        username: &Username,
        password_hash: &PasswordHash,
    ) -> Result<Option<ClinicianId>, StoreError> {
        let inserted = sqlx::query(
            "INSERT INTO clinicians (username, password_hash, is_admin) \
             SELECT ?, ?, 1 WHERE NOT EXISTS (SELECT 1 FROM clinicians) RETURNING id",
        )
        .bind(username.as_str())
        .bind(&password_hash.0)
        .fetch_optional(&self.writer)
        .await?;
        inserted
            .map(|row| Ok(ClinicianId(row.try_get("id")?)))
            .transpose()
    }

    /// The account with this username, active or not.
    pub async fn find_clinician_by_username(
        &self,
        username: &Username,
    ) -> Result<Option<Clinician>, StoreError> {
        let row = sqlx::query(&format!("{SELECT_CLINICIAN} WHERE username = ?"))
            .bind(username.as_str())
            .fetch_optional(&self.readers)
            .await?;
        row.as_ref().map(decode).transpose()
    }

    /// The account with this id, active or not. Asked on every signed-in request, so it is
    /// reused for up to [`CLINICIAN_CACHE_TTL`].
    pub async fn find_clinician(&self, id: ClinicianId) -> Result<Option<Clinician>, StoreError> {
        if let Some(clinician) = self.clinician_cache.get(id) {
            return Ok(Some(clinician));
        }
        let row = sqlx::query(&format!("{SELECT_CLINICIAN} WHERE id = ?"))
            .bind(id.0)
            .fetch_optional(&self.readers)
            .await?;
        let clinician = row.as_ref().map(decode).transpose()?;
        if let Some(clinician) = &clinician {
            self.clinician_cache.put(clinician);
        }
        Ok(clinician)
    }

    /// Every account, by username.
    pub async fn list_clinicians(&self) -> Result<Vec<Clinician>, StoreError> {
        let rows = sqlx::query(&format!("{SELECT_CLINICIAN} ORDER BY username"))
            .fetch_all(&self.readers)
            .await?;
        rows.iter().map(decode).collect()
    }

    /// Activates or deactivates an account.
    pub async fn set_clinician_active(
        &self,
        username: &Username,
        is_active: bool,
    ) -> Result<(), AccountChangeError> {
        let updated = sqlx::query(
            "UPDATE clinicians SET is_active = ?1, \
             session_epoch = session_epoch + (CASE WHEN ?1 THEN 0 ELSE 1 END) WHERE username = ?2",
        )
        .bind(is_active)
        .bind(username.as_str())
        .execute(&self.writer)
        .await?;
        self.clinician_cache.forget_all();
        if updated.rows_affected() == 0 {
            return Err(AccountError::UnknownUsername.into());
        }
        Ok(())
    }

    /// Replaces an account's password hash; every session of the account ends.
    pub async fn set_clinician_password(
        &self,
        username: &Username,
        password_hash: &PasswordHash,
    ) -> Result<(), AccountChangeError> {
        let updated = sqlx::query(
            "UPDATE clinicians SET password_hash = ?, session_epoch = session_epoch + 1 \
             WHERE username = ?",
        )
        .bind(&password_hash.0)
        .bind(username.as_str())
        .execute(&self.writer)
        .await?;
        self.clinician_cache.forget_all();
        if updated.rows_affected() == 0 {
            return Err(AccountError::UnknownUsername.into());
        }
        Ok(())
    }
}
