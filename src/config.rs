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

    #[command(flatten)]
    pub security: SecurityConfig,

    #[command(flatten)]
    pub invitations: InvitationConfig,

    /// Once asked to stop (SIGTERM, Ctrl-C), how many seconds to wait for requests in flight
    /// before closing the connections still open.
    #[arg(long, env = "SCREENER_SHUTDOWN_GRACE_SECONDS", default_value_t = 10, value_name = "SECONDS",
          value_parser = clap::value_parser!(u64).range(0..=600))]
    pub shutdown_grace_seconds: u64,

    /// Write logs as JSON lines instead of human-readable text.
    #[arg(long, env = "SCREENER_LOG_JSON")]
    pub log_json: bool,
}

/// Where the database is.
#[derive(Debug, Clone, Args)]
pub struct DatabaseConfig {
    /// Database URL: a SQLite file (sqlite://screener.db, the default) or a PostgreSQL
    /// database (postgres://user@host/database?sslmode=verify-full), which several server
    /// instances may share. The server and `user` create (SQLite) and migrate it when
    /// needed; backup, purge and check only open an existing one.
    #[arg(
        long = "database",
        env = "DATABASE_URL",
        default_value = "sqlite://screener.db"
    )]
    pub url: String,
}

/// Sign-in sessions and transport security.
#[derive(Debug, Clone, Args)]
pub struct SecurityConfig {
    /// Mark the session cookie `Secure` and send HSTS: set this when a TLS reverse proxy
    /// serves the app over HTTPS.
    #[arg(long, env = "SCREENER_SECURE_COOKIES")]
    pub secure_cookies: bool,

    /// Minutes without activity after which a sign-in ends.
    #[arg(long, env = "SCREENER_SESSION_IDLE_MINUTES", default_value_t = 30, value_name = "MINUTES",
          value_parser = clap::value_parser!(u32).range(1..=1440))]
    pub session_idle_minutes: u32,

    /// Hours after signing in at which a sign-in ends however active it is; the clinician
    /// signs in again (OWASP ASVS 5.0 V7.3.2).
    #[arg(long, env = "SCREENER_SESSION_MAX_HOURS", default_value_t = 12, value_name = "HOURS",
          value_parser = clap::value_parser!(u32).range(1..=168))]
    pub session_max_hours: u32,

    /// Tests only (no flag): the absolute lifetime in seconds instead of hours.
    #[arg(skip)]
    pub session_max_seconds: Option<u32>,

    /// The app sits behind a reverse proxy on this machine: take the client's address (for
    /// sign-in throttling only; it is never stored) from the last `X-Forwarded-For` entry.
    #[arg(long, env = "SCREENER_BEHIND_PROXY")]
    pub behind_proxy: bool,
}

impl Default for SecurityConfig {
    fn default() -> Self {
        SecurityConfig {
            secure_cookies: false,
            session_idle_minutes: 30,
            session_max_hours: 12,
            session_max_seconds: None,
            behind_proxy: false,
        }
    }
}

impl SecurityConfig {
    /// Seconds after signing in at which a session ends, however active.
    pub fn session_max_secs(&self) -> i64 {
        self.session_max_seconds
            .map_or(i64::from(self.session_max_hours) * 3600, i64::from)
    }
}

/// Clients answering the six questions themselves (PRODUCT §6).
#[derive(Debug, Clone, Args)]
pub struct InvitationConfig {
    /// Minutes an unanswered invitation (link or handed-over device) stays open. Answered
    /// ones are kept 24 hours for the clinician to complete.
    #[arg(long, env = "SCREENER_INVITATION_MINUTES", default_value_t = 60, value_name = "MINUTES",
          value_parser = clap::value_parser!(u32).range(1..=1440))]
    pub invitation_minutes: u32,

    /// The address clients' phones reach the app at, for invitation links and QR codes
    /// (e.g. https://screener.clinic.example). Default: the address the clinician's browser
    /// used.
    #[arg(long, env = "SCREENER_PUBLIC_URL", value_name = "URL", value_parser = public_url)]
    // The comment above is also clap's help text, where the address reads best bare.
    #[allow(rustdoc::bare_urls)]
    pub public_url: Option<String>,
}

impl Default for InvitationConfig {
    fn default() -> Self {
        InvitationConfig {
            invitation_minutes: 60,
            public_url: None,
        }
    }
}

/// An `http://` or `https://` origin, without a trailing slash.
fn public_url(text: &str) -> Result<String, String> {
    let trimmed = text.trim().trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"))
        .ok_or("the public URL starts with https:// or http://")?;
    if rest.is_empty() || rest.contains(['/', '?', '#', ' ']) {
        return Err(
            "the public URL is an origin only, like https://screener.clinic.example".into(),
        );
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::public_url;

    #[test]
    fn a_public_url_is_an_origin() {
        assert_eq!(
            public_url("https://screener.clinic.example/").as_deref(),
            Ok("https://screener.clinic.example")
        );
        assert!(public_url("http://10.0.0.5:3000").is_ok());
        for bad in [
            "screener.clinic.example",
            "ftp://x",
            "https://",
            "https://x/path",
        ] {
            assert!(public_url(bad).is_err(), "{bad}");
        }
    }
}
