//! Looking after the database file: an online backup, purging old screenings, and checking
//! integrity and migrations.

use std::path::Path;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, Row};

use super::audit::{self, AuditAction, AuditEntry};
use super::rows::StoredRow;
use super::{Engine, POSTGRES_MIGRATOR, SQLITE_MIGRATOR, Store, StoreError, files};

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
    /// SQLite's `PRAGMA integrity_check`: `["ok"]`, or the problems found. On PostgreSQL,
    /// `["ok"]` when every table reads back (the server checks its own pages).
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
    /// sign-in sessions and drafts from the copy, flushes it to disk, then reads it back to check it.
    pub async fn backup_to(&self, path: &Path) -> Result<BackupSummary, StoreError> {
        let Engine::Sqlite { readers, .. } = &self.engine else {
            return Err(StoreError::NotOnThisEngine(
                "a PostgreSQL database is backed up with PostgreSQL's own tools (pg_dump)",
            ));
        };
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
            .execute(readers)
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
    /// transaction; returns how many were deleted, once they are in no file (the
    /// write-ahead log is checkpointed after the commit).
    pub async fn purge_screenings_before(&self, year: i32, actor: &str) -> Result<u64, StoreError> {
        let mut deletion = self.begin_deletion().await?;
        let deleted = on_tx!(deletion.tx(), connection => sqlx::query(
            "DELETE FROM screenings WHERE year < $1",
        )
        .bind(year)
        .execute(&mut *connection)
        .await?
        .rows_affected());
        audit::insert(
            deletion.tx(),
            AuditEntry::new(actor, AuditAction::ScreeningsPurged)
                .detail(format!("{deleted} screenings from before {year}")),
        )
        .await?;
        deletion.commit().await?;
        Ok(deleted)
    }

    /// Checks the database and compares the applied migrations with those built into this
    /// binary. Changes nothing. On SQLite: `PRAGMA integrity_check` and `PRAGMA
    /// foreign_key_check`. On PostgreSQL (which checks its own pages and enforces every
    /// reference as it writes): every table of the app is read through.
    pub async fn check(&self) -> Result<HealthReport, StoreError> {
        let (integrity, foreign_key_violations) = match &self.engine {
            Engine::Sqlite { readers, .. } => {
                let integrity = sqlx::query_scalar("PRAGMA integrity_check")
                    .fetch_all(readers)
                    .await?;
                let violations = sqlx::query("PRAGMA foreign_key_check")
                    .fetch_all(readers)
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
                (integrity, violations)
            }
            Engine::Postgres { pool } => {
                let mut problems = Vec::new();
                for table in [
                    "clinicians",
                    "screenings",
                    "audit_events",
                    "tower_sessions",
                    "server_keys",
                    "invitations",
                    "spent_tokens",
                    "drafts",
                    "sign_in_failures",
                ] {
                    let read: Result<i64, _> =
                        sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
                            .fetch_one(pool)
                            .await;
                    if let Err(error) = read {
                        problems.push(format!("{table}: {error}"));
                    }
                }
                if problems.is_empty() {
                    problems.push("ok".to_owned());
                }
                (problems, Vec::new())
            }
        };
        Ok(HealthReport {
            integrity,
            foreign_key_violations,
            migrations: self.migration_state().await?,
        })
    }

    pub(super) async fn migration_state(&self) -> Result<MigrationState, StoreError> {
        let (migrator, has_table_sql) = match &self.engine {
            Engine::Sqlite { .. } => (
                &SQLITE_MIGRATOR,
                "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations')",
            ),
            Engine::Postgres { .. } => (
                &POSTGRES_MIGRATOR,
                "SELECT to_regclass('_sqlx_migrations') IS NOT NULL",
            ),
        };
        let ran: Vec<(MigrationStep, bool, Vec<u8>)> = on_pool!(self.readers(), pool => {
            let has_table: bool = sqlx::query_scalar(has_table_sql).fetch_one(pool).await?;
            if has_table {
                let rows = sqlx::query(
                    "SELECT version, description, success, checksum FROM _sqlx_migrations ORDER BY version",
                )
                .fetch_all(pool)
                .await?;
                let mut ran = Vec::with_capacity(rows.len());
                for row in &rows {
                    ran.push((
                        MigrationStep {
                            version: row.int("version")?,
                            description: row.text("description")?,
                        },
                        row.flag("success")?,
                        row.try_get::<Vec<u8>, _>("checksum")?,
                    ));
                }
                ran
            } else {
                Vec::new()
            }
        });
        let mut state = MigrationState::default();
        for (step, success, checksum) in &ran {
            let built_in = migrator
                .iter()
                .find(|migration| migration.version == step.version);
            match built_in {
                _ if !success => state.failed.push(step.clone()),
                None => state.unknown.push(step.clone()),
                Some(migration) if *migration.checksum != **checksum => {
                    state.changed.push(step.clone())
                }
                Some(_) => state.applied.push(step.clone()),
            }
        }
        for migration in migrator.iter() {
            if migration.migration_type.is_down_migration() {
                continue;
            }
            if !ran
                .iter()
                .any(|(step, _, _)| step.version == migration.version)
            {
                state.pending.push(MigrationStep {
                    version: migration.version,
                    description: migration.description.to_string(),
                });
            }
        }
        Ok(state)
    }
}

/// Deletes every sign-in session (and every draft) from a backup just written: a backup
/// restores accounts and screenings, never anyone's sign-in or a draft past its 24 hours. Deleted rows are overwritten (`secure_delete`) and the
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
    // Nor drafts (PRODUCT §6.1): kept 24 hours at most, they must not outlive that in a backup.
    // (A database an older release made, not migrated yet, has none.)
    let has_drafts: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'drafts')",
    )
    .fetch_one(&mut connection)
    .await?;
    if has_drafts {
        sqlx::query("DELETE FROM drafts")
            .execute(&mut connection)
            .await?;
    }
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
