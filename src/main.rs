use std::process::ExitCode;

use clap::Parser;
use intake_screener::cli::Cli;

#[tokio::main]
async fn main() -> ExitCode {
    Cli::parse().run().await
}
