//! The `screener` command line (PRODUCT §3.1).

mod export;
mod ops;
mod score;
mod serve;
mod user;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{DatabaseConfig, ServeConfig};
use crate::store::Store;

/// Intake Screener: a de-identified screening aid for problematic cybersex use, after
/// Weiss (2015). Without a command it runs the web server.
#[derive(Debug, Parser)]
#[command(name = "screener", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    #[command(flatten)]
    serve: ServeConfig,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the web server (the default).
    ///
    /// Creates and migrates the database on start. Stops on SIGTERM or Ctrl-C: it stops
    /// accepting connections, lets requests in flight finish, closes the database and exits 0.
    Serve(ServeConfig),
    /// Score one answers document (JSON) and print the result JSON.
    ///
    /// Reads FILE, or standard input when FILE is absent or `-`. Touches no database. Exits 2
    /// on invalid input, with a message naming the field.
    Score(score::ScoreArgs),
    /// Manage clinician accounts.
    User(user::UserArgs),
    /// Export screenings as CSV, JSON or FHIR R4 on standard output.
    Export(export::ExportArgs),
    /// Copy the database to a new file, online, and check the copy.
    ///
    /// The copy (SQLite's VACUUM INTO) is consistent even while the server runs and takes
    /// submissions: it holds every screening stored before the backup started. It is flushed
    /// to disk, read back and checked, and the backup is recorded in the audit log. Exits 0 on
    /// success, 2 if PATH already exists or its directory does not, 1 if the backup failed.
    /// To restore, see README, "Back up and restore". On PostgreSQL it runs pg_dump (custom
    /// format, for pg_restore) when installed, and otherwise says what to run and exits 3.
    Backup(ops::BackupArgs),
    /// Delete every screening taken before a year.
    ///
    /// For a retention policy: screenings keep only their year, so a purge works by year.
    /// Records how many were deleted in the audit log, in the same transaction. Asks no
    /// confirmation: take a backup first. Safe while the server runs. Exits 0 on success, 2 on
    /// a missing or bad year, 1 if the database failed (then nothing was deleted).
    Purge(ops::PurgeArgs),
    /// Check the database without changing it.
    ///
    /// Runs SQLite's integrity check and foreign key check, and compares the migrations
    /// applied to the database with those built into this binary. Safe while the server
    /// runs. Exits 0 when all is well, 1 when something is wrong or the check cannot run.
    /// Pending migrations are not wrong: the server applies them when it starts.
    Check(ops::CheckArgs),
}

impl Cli {
    /// Runs the chosen command and returns the process exit code.
    pub async fn run(self) -> ExitCode {
        match self.command {
            None => serve::run(self.serve).await,
            Some(Command::Serve(config)) => serve::run(config).await,
            Some(Command::Score(args)) => score::run(args),
            Some(Command::User(args)) => user::run(args).await,
            Some(Command::Export(args)) => export::run(args).await,
            Some(Command::Backup(args)) => ops::backup(args).await,
            Some(Command::Purge(args)) => ops::purge(args).await,
            Some(Command::Check(args)) => ops::check(args).await,
        }
    }
}

/// Exit code for bad input or usage, as clap uses.
const EXIT_BAD_INPUT: u8 = 2;

/// Actor recorded in the audit log for console commands.
const CONSOLE: &str = "console";

/// Opens the configured database, with a message fit for the console on failure.
async fn open_store(database: &DatabaseConfig) -> Result<Store, String> {
    Store::open(&database.url)
        .await
        .map_err(|error| format!("cannot open the database: {error}"))
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    /// Every command and every argument explains itself in `--help`.
    #[test]
    fn help_is_complete() {
        fn walk(command: &clap::Command, path: &str, missing: &mut Vec<String>) {
            let path = format!("{path} {}", command.get_name());
            if command.get_about().is_none() {
                missing.push(format!("{path}: no description"));
            }
            for argument in command.get_arguments() {
                let id = argument.get_id().as_str();
                if !matches!(id, "help" | "version") && argument.get_help().is_none() {
                    missing.push(format!("{path} {id}: no help"));
                }
            }
            for subcommand in command.get_subcommands() {
                if subcommand.get_name() != "help" {
                    walk(subcommand, &path, missing);
                }
            }
        }
        let mut missing = Vec::new();
        walk(&Cli::command(), "", &mut missing);
        assert!(missing.is_empty(), "{missing:#?}");
        Cli::command().debug_assert();
    }
}
