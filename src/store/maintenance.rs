//! Looking after the database file: an online backup, purging old screenings, and checking
//! integrity and migrations.

use std::path::Path;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, Row};

use super::audit::{self, AuditAction, AuditEntry};
use super::{MIGRATOR, Store, StoreError, files};

/// What a backup holds, read back from the backup file itself.
#[derive(Debug, Clone)]
pub struct BackupSummary {
    /// Screenings in the backup.
    pub screenings: i64,
    /// Accounts in the backup.
    pub clinicians: i64,
}

/// One migration: its version and description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStep {
    pub version: i64,
    pub description: String,
}

/// The database's migrations against those built into this binary.
#[derive(Debug, Clone, Default)]
pub struct MigrationState {
    /// Applied, and the same as built into this binary.
    pub applied: Vec<MigrationStep>,
    /// Built in but not applied yet: the server applies them when it next starts.
    pub pending: Vec<MigrationStep>,
    /// Applied, but the migration built into this binary differs from what ran.
    pub changed: Vec<MigrationStep>,
    /// Applied by some other (newer) binary: this one does not know them.
    pub unknown: Vec<MigrationStep>,
    /// Started and never finished.
    pub failed: Vec<MigrationStep>,
}

impl MigrationState {
    /// True when nothing is wrong (pending migrations are not wrong: they run on start).
    pub fn is_ok(&self) -> bool {
        self.changed.is_empty() && self.unknown.is_empty() && self.failed.is_empty()
    }
}

/// What the checks found.
#[derive(Debug, Clone)]
pub struct HealthReport {
    /// `PRAGMA integrity_check`: `["ok"]`, or the problems found.
    pub integrity: Vec<String>,
    /// `PRAGMA foreign_key_check`: one line per row pointing at nothing.
    pub foreign_key_violations: Vec<String>,
    pub migrations: MigrationState,
}

impl HealthReport {
    /// True when the file is sound, every reference holds and the migrations are in order.
    pub fn is_ok(&self) -> bool {
        self.integrity == ["ok"]
            && self.foreign_key_violations.is_empty()
            && self.migrations.is_ok()
    }
}

impl Store {
    /// Writes a consistent copy of the database to the new file `path` (created 0600; it must
    /// not exist) with `VACUUM INTO`, while the app may go on reading and writing; removes the
    /// sign-in sessions from the copy, flushes it to disk, then reads it back to check it.
    pub async fn backup_to(&self, path: &Path) -> Result<BackupSummary, StoreError> {
        let file_error = |source| StoreError::File {
            path: path.to_owned(),
            source,
        };
        let target = path.to_str().ok_or_else(|| {
            file_error(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "the path is not valid UTF-8",
            ))
        })?;
        // SQLite writes into an empty file as it finds it: make it private first.
        let owned = path.to_owned();
        tokio::task::spawn_blocking(move || files::create_private(&owned))
            .await
            .map_err(|error| file_error(std::io::Error::other(error)))?
            .map_err(file_error)?;
        sqlx::query("VACUUM INTO ?")
            .bind(target)
            .execute(&self.readers)
            .await?;
        without_sessions(path).await?;
        // SQLite does not sync the file VACUUM INTO writes: do it, and its directory entry.
        tokio::fs::File::open(path)
            .await
            .map_err(file_error)?
            .sync_all()
            .await
            .map_err(file_error)?;
        if let Some(directory) = path
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
        {
            tokio::fs::File::open(directory)
                .await
                .map_err(file_error)?
                .sync_all()
                .await
                .map_err(file_error)?;
        }
        verify_backup(path).await
    }

    /// Deletes every screening taken before `year` and records it in the audit log, in one
    /// transaction; returns how many were deleted, once they are in no file (see
    /// [`Store::checkpoint`]).
    pub async fn purge_screenings_before(&self, year: i32, actor: &str) -> Result<u64, StoreError> {
        let mut transaction = self.writer.begin().await?;
        let deleted = sqlx::query("DELETE FROM screenings WHERE year < ?")
            .bind(year)
            .execute(&mut *transaction)
            .await?
            .rows_affected();
        audit::insert(
            &mut transaction,
            AuditEntry::new(actor, AuditAction::ScreeningsPurged)
                .detail(format!("{deleted} screenings from before {year}")),
        )
        .await?;
        transaction.commit().await?;
        self.checkpoint().await;
        Ok(deleted)
    }

    /// Runs `PRAGMA integrity_check` and `PRAGMA foreign_key_check` and compares the applied
    /// migrations with those built into this binary. Changes nothing.
    pub async fn check(&self) -> Result<HealthReport, StoreError> {
        let integrity = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_all(&self.readers)
            .await?;
        let foreign_key_violations = sqlx::query("PRAGMA foreign_key_check")
            .fetch_all(&self.readers)
            .await?
            .iter()
            .map(|row| {
                let table: String = row.try_get(0)?;
                let rowid: Option<i64> = row.try_get(1)?;
                let parent: String = row.try_get(2)?;
                Ok(format!(
                    "{table} row {} refers to a missing {parent}",
                    rowid.map_or_else(|| "?".to_owned(), |rowid| rowid.to_string())
                ))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(HealthReport {
            integrity,
            foreign_key_violations,
            migrations: self.migration_state().await?,
        })
    }

    pub(super) async fn migration_state(&self) -> Result<MigrationState, StoreError> {
        let has_table: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations')",
        )
        .fetch_one(&self.readers)
        .await?;
        let ran = if has_table {
            sqlx::query(
                "SELECT version, description, success, checksum FROM _sqlx_migrations ORDER BY version",
            )
            .fetch_all(&self.readers)
            .await?
        } else {
            Vec::new()
        };
        let mut state = MigrationState::default();
        for row in &ran {
            let step = MigrationStep {
                version: row.try_get("version")?,
                description: row.try_get("description")?,
            };
            let success: bool = row.try_get("success")?;
            let checksum: Vec<u8> = row.try_get("checksum")?;
            let built_in = MIGRATOR
                .iter()
                .find(|migration| migration.version == step.version);
            match built_in {
                _ if !success => state.failed.push(step),
                None => state.unknown.push(step),
                Some(migration) if *migration.checksum != *checksum => state.changed.push(step),
                Some(_) => state.applied.push(step),
            }
        }
        for migration in MIGRATOR.iter() {
            if migration.migration_type.is_down_migration() {
                continue;
            }
            let ran_already = ran.iter().any(|row| {
                row.try_get::<i64, _>("version")
                    .is_ok_and(|version| version == migration.version)
            });
            if !ran_already {
                state.pending.push(MigrationStep {
                    version: migration.version,
                    description: migration.description.to_string(),
                });
            }
        }
        Ok(state)
    }
}

/// Deletes every sign-in session from a backup just written: a backup restores accounts and
/// screenings, never anyone's sign-in. Deleted rows are overwritten (`secure_delete`) and the
/// rollback journal stays in memory, so no copy of them reaches the disk.
async fn without_sessions(path: &Path) -> Result<(), StoreError> {
    let mut connection = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(false)
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Memory)
        .pragma("secure_delete", "ON")
        .connect()
        .await?;
    sqlx::query("DELETE FROM tower_sessions")
        .execute(&mut connection)
        .await?;
    connection.close().await?;
    Ok(())
}

/// Opens a backup file read-only (changing nothing in it) and checks and counts it.
async fn verify_backup(path: &Path) -> Result<BackupSummary, StoreError> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .create_if_missing(false);
    let mut connection = options.connect().await?;
    let integrity: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(&mut connection)
        .await?;
    if integrity != ["ok"] {
        return Err(StoreError::UnsoundBackup(integrity.join("; ")));
    }
    let screenings = sqlx::query_scalar("SELECT count(*) FROM screenings")
        .fetch_one(&mut connection)
        .await?;
    let clinicians = sqlx::query_scalar("SELECT count(*) FROM clinicians")
        .fetch_one(&mut connection)
        .await?;
    connection.close().await?;
    Ok(BackupSummary {
        screenings,
        clinicians,
    })
}
