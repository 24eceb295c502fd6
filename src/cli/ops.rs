//! Operations on the database file, safe while the server runs: `screener backup`,
//! `screener purge` and `screener check`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::{CONSOLE, EXIT_BAD_INPUT};
use crate::config::DatabaseConfig;
use crate::store::{AuditAction, AuditEntry, HealthReport, MigrationStep, Store};

/// Arguments of `screener backup`.
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The new file to write the backup to (e.g. screener-2026-11-03.db). It must not exist
    /// yet: a backup never overwrites anything.
    path: PathBuf,

    #[command(flatten)]
    database: DatabaseConfig,
}

/// Arguments of `screener purge`.
#[derive(Debug, Args)]
pub struct PurgeArgs {
    /// Delete every screening taken before this year (screenings of YEAR itself are kept).
    /// At most next year: a later one would be a typing error.
    #[arg(long, value_name = "YEAR", required = true,
          value_parser = clap::value_parser!(i32).range(2000..=9999))]
    before_year: i32,

    #[command(flatten)]
    database: DatabaseConfig,
}

/// Arguments of `screener check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    database: DatabaseConfig,
}

/// Opens the database as it is, with a message fit for the console on failure.
async fn open(database: &DatabaseConfig) -> Result<Store, String> {
    Store::open_existing(&database.url).await.map_err(|error| {
        format!(
            "cannot open the database {}: {error} (does it exist? give it with --database or DATABASE_URL)",
            database.url
        )
    })
}

fn fail(command: &str, code: u8, message: impl std::fmt::Display) -> ExitCode {
    eprintln!("screener {command}: {message}");
    ExitCode::from(code)
}

/// `screener backup PATH`.
pub async fn backup(args: BackupArgs) -> ExitCode {
    let path = &args.path;
    if path.exists() || path.symlink_metadata().is_ok() {
        return fail(
            "backup",
            EXIT_BAD_INPUT,
            format!(
                "{} already exists; a backup never overwrites a file. Choose a new name, e.g. with the date in it.",
                path.display()
            ),
        );
    }
    if let Some(directory) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        && !directory.is_dir()
    {
        return fail(
            "backup",
            EXIT_BAD_INPUT,
            format!("the directory {} does not exist", directory.display()),
        );
    }
    if crate::store::is_postgres_url(&args.database.url) {
        return backup_postgres(path, &args.database).await;
    }
    let store = match open(&args.database).await {
        Ok(store) => store,
        Err(message) => return fail("backup", 1, message),
    };
    let summary = match store.backup_to(path).await {
        Ok(summary) => summary,
        Err(error) => {
            store.close().await;
            return fail(
                "backup",
                1,
                format!("could not back up to {}: {error}", path.display()),
            );
        }
    };
    if let Err(code) = record_backup(
        store,
        path,
        format!("{} screenings to {}", summary.screenings, path.display()),
    )
    .await
    {
        return code;
    }
    println!(
        "Backed up {} screenings and {} accounts to {} (integrity ok).",
        summary.screenings,
        summary.clinicians,
        path.display()
    );
    ExitCode::SUCCESS
}

/// Exit code of `backup` on PostgreSQL when `pg_dump` is not installed.
const EXIT_NO_PG_DUMP: u8 = 3;

/// `screener backup PATH` on PostgreSQL: PostgreSQL's own `pg_dump` (custom format, for
/// `pg_restore`) when it is installed, without the sign-in sessions and throttle counts;
/// otherwise what to run instead, and exit 3.
/// Records a finished backup in the audit log and closes the store; a backup that could not
/// be recorded is still complete, and the exit code says so.
async fn record_backup(
    store: Store,
    path: &std::path::Path,
    detail: String,
) -> Result<(), ExitCode> {
    let recorded = store
        .record(AuditEntry::new(CONSOLE, AuditAction::BackupTaken).detail(detail))
        .await;
    store.close().await;
    recorded.map_err(|error| {
        fail(
            "backup",
            1,
            format!(
                "the backup {} is complete, but it could not be recorded in the audit log: {error}",
                path.display()
            ),
        )
    })
}

async fn backup_postgres(path: &std::path::Path, database: &DatabaseConfig) -> ExitCode {
    let available = tokio::process::Command::new("pg_dump")
        .arg("--version")
        .output()
        .await
        .is_ok_and(|output| output.status.success());
    if !available {
        return fail(
            "backup",
            EXIT_NO_PG_DUMP,
            "this database is PostgreSQL, which is backed up with its own tools, and pg_dump \
             is not installed here. Install the PostgreSQL client tools (e.g. apt-get install \
             postgresql-client) and run this again, or run on a machine that has them:\n  \
             pg_dump --format=custom --exclude-table-data=tower_sessions \
             --exclude-table-data=sign_in_failures --file=BACKUP.dump \"$DATABASE_URL\"\n\
             Restore with pg_restore; for point-in-time recovery see docs/DEPLOYMENT.md.",
        );
    }
    let store = match open(database).await {
        Ok(store) => store,
        Err(message) => return fail("backup", 1, message),
    };
    // The dump holds every account and screening: private from its first byte.
    let created = crate::store::create_private(path);
    if let Err(error) = created {
        store.close().await;
        return fail("backup", 1, format!("{}: {error}", path.display()));
    }
    let dumped = tokio::process::Command::new("pg_dump")
        .args([
            "--format=custom",
            "--no-owner",
            "--exclude-table-data=tower_sessions",
            "--exclude-table-data=sign_in_failures",
        ])
        .arg(format!("--file={}", path.display()))
        .arg(format!("--dbname={}", database.url))
        .output()
        .await;
    let failure = match dumped {
        Ok(output) if output.status.success() => None,
        Ok(output) => Some(String::from_utf8_lossy(&output.stderr).trim().to_owned()),
        Err(error) => Some(error.to_string()),
    };
    if let Some(message) = failure {
        let _ = std::fs::remove_file(path);
        store.close().await;
        return fail("backup", 1, format!("pg_dump failed: {message}"));
    }
    if let Err(code) = record_backup(store, path, format!("pg_dump to {}", path.display())).await {
        return code;
    }
    println!(
        "Backed up the PostgreSQL database to {} with pg_dump (custom format; restore with pg_restore).",
        path.display()
    );
    ExitCode::SUCCESS
}

/// `screener purge --before-year YEAR`.
pub async fn purge(args: PurgeArgs) -> ExitCode {
    let next_year = time::OffsetDateTime::now_utc().year() + 1;
    if args.before_year > next_year {
        return fail(
            "purge",
            EXIT_BAD_INPUT,
            format!(
                "--before-year {} is in the future; at most {next_year} (which deletes every screening)",
                args.before_year
            ),
        );
    }
    let store = match open(&args.database).await {
        Ok(store) => store,
        Err(message) => return fail("purge", 1, message),
    };
    let purged = store
        .purge_screenings_before(args.before_year, CONSOLE)
        .await;
    store.close().await;
    match purged {
        Ok(count) => {
            println!(
                "Deleted {count} screening{} taken before {}.",
                if count == 1 { "" } else { "s" },
                args.before_year
            );
            ExitCode::SUCCESS
        }
        Err(error) => fail("purge", 1, format!("nothing was deleted: {error}")),
    }
}

/// `screener check`.
pub async fn check(args: CheckArgs) -> ExitCode {
    let store = match open(&args.database).await {
        Ok(store) => store,
        Err(message) => return fail("check", 1, message),
    };
    let report = store.check().await;
    store.close().await;
    match report {
        Ok(report) => {
            print!("{}", describe(&report));
            if report.is_ok() {
                println!("No problems found.");
                ExitCode::SUCCESS
            } else {
                println!("PROBLEMS FOUND: restore the latest good backup (see README, Restore).");
                ExitCode::FAILURE
            }
        }
        Err(error) => fail("check", 1, format!("the check could not run: {error}")),
    }
}

fn steps(steps: &[MigrationStep]) -> String {
    steps
        .iter()
        .map(|step| format!("{} {}", step.version, step.description))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The report as lines for the console.
fn describe(report: &HealthReport) -> String {
    let mut lines = Vec::new();
    if report.integrity == ["ok"] {
        lines.push("integrity: ok".to_owned());
    } else {
        lines.push("integrity: FAILED".to_owned());
        lines.extend(report.integrity.iter().map(|line| format!("  {line}")));
    }
    if report.foreign_key_violations.is_empty() {
        lines.push("foreign keys: ok".to_owned());
    } else {
        lines.push(format!(
            "foreign keys: {} broken references",
            report.foreign_key_violations.len()
        ));
        lines.extend(
            report
                .foreign_key_violations
                .iter()
                .map(|line| format!("  {line}")),
        );
    }
    let migrations = &report.migrations;
    lines.push(format!(
        "migrations: {} applied, {} pending",
        migrations.applied.len(),
        migrations.pending.len()
    ));
    if !migrations.pending.is_empty() {
        lines.push(format!(
            "  pending (applied when the server next starts): {}",
            steps(&migrations.pending)
        ));
    }
    if !migrations.failed.is_empty() {
        lines.push(format!("  FAILED part-way: {}", steps(&migrations.failed)));
    }
    if !migrations.changed.is_empty() {
        lines.push(format!(
            "  CHANGED since they were applied: {}",
            steps(&migrations.changed)
        ));
    }
    if !migrations.unknown.is_empty() {
        lines.push(format!(
            "  UNKNOWN to this version of screener (applied by a newer one): {}",
            steps(&migrations.unknown)
        ));
    }
    lines.iter().map(|line| format!("{line}\n")).collect()
}
