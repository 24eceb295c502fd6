//! The `screener` command line (SPEC §3.1).

mod export;
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
    Serve(ServeConfig),
    /// Score one answers document (JSON) from FILE, or standard input when FILE is absent,
    /// and print the result JSON. Touches no database. Exits 2 on invalid input, naming the
    /// field.
    Score(score::ScoreArgs),
    /// Manage clinician accounts.
    User(user::UserArgs),
    /// Export screenings as CSV, JSON or FHIR R4 on standard output.
    Export(export::ExportArgs),
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
        }
    }
}

/// Exit code for bad input or usage, as clap uses.
const EXIT_BAD_INPUT: u8 = 2;

/// Opens the configured database, with a message fit for the console on failure.
async fn open_store(database: &DatabaseConfig) -> Result<Store, String> {
    Store::open(&database.url)
        .await
        .map_err(|error| format!("cannot open the database: {error}"))
}
