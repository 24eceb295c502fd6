//! Settings, in one place: each comes from a flag or an environment variable (flags win),
//! with a default that runs the app on this machine alone.

use std::net::SocketAddr;

use clap::Args;

/// Settings of the web server.
#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// Address to listen on.
    #[arg(long, env = "SCREENER_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,

    #[command(flatten)]
    pub database: DatabaseConfig,

    /// Write logs as JSON lines instead of human-readable text.
    #[arg(long, env = "SCREENER_LOG_JSON")]
    pub log_json: bool,
}

/// Where the database is.
#[derive(Debug, Clone, Args)]
pub struct DatabaseConfig {
    /// SQLite database URL; the file is created and migrated on start.
    #[arg(
        long = "database",
        env = "DATABASE_URL",
        default_value = "sqlite://screener.db"
    )]
    pub url: String,
}
