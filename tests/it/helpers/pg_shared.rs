//! The PostgreSQL server binaries the tests find ([`binaries`]), and the throwaway server
//! every PostgreSQL test of the process shares when none answers at `SCREENER_TEST_POSTGRES`
//! ([`shared`]), stopped and deleted when the process ends, however it ends.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use super::pg_server::{PgServer, ServerTls, bin, is_root};

/// The variable naming the directory of the server binaries, instead of looking for them.
pub const BIN_VARIABLE: &str = "SCREENER_TEST_PG_BIN";

/// Where [`binaries`] looks, for messages.
pub fn where_binaries_are() -> String {
    match std::env::var_os(BIN_VARIABLE) {
        Some(dir) => format!("looked in {BIN_VARIABLE}={}", Path::new(&dir).display()),
        None => "looked in PATH and /usr/lib/postgresql/*/bin".to_owned(),
    }
}

/// Whether `dir` holds the server binaries the tests run.
fn has_binaries(dir: &Path) -> bool {
    ["initdb", "pg_ctl", "postgres"]
        .iter()
        .all(|name| dir.join(name).is_file())
}

/// The directory of the PostgreSQL server binaries: `SCREENER_TEST_PG_BIN` when set (and
/// nothing else), else the first directory in `PATH` that has them, else the newest
/// `/usr/lib/postgresql/VERSION/bin` (where Debian's `postgresql` package puts them).
pub fn binaries() -> Option<&'static Path> {
    static FOUND: OnceLock<Option<PathBuf>> = OnceLock::new();
    FOUND
        .get_or_init(|| {
            if let Some(dir) = std::env::var_os(BIN_VARIABLE) {
                let dir = PathBuf::from(dir);
                return has_binaries(&dir).then_some(dir);
            }
            let path = std::env::var_os("PATH").unwrap_or_default();
            if let Some(dir) = std::env::split_paths(&path).find(|dir| has_binaries(dir)) {
                return Some(dir);
            }
            let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
                .into_iter()
                .flatten()
                .flatten()
                .filter_map(|entry| {
                    let version = entry.file_name().to_str()?.parse().ok()?;
                    Some((version, entry.path().join("bin")))
                })
                .filter(|(_, dir)| has_binaries(dir))
                .collect();
            versions.sort();
            versions.pop().map(|(_, dir)| dir)
        })
        .as_deref()
}

/// The throwaway server every PostgreSQL test of this process shares when none answers at
/// `SCREENER_TEST_POSTGRES`, started on first use, with TLS when the openssl command is there
/// to make it a certificate. A keeper process stops it and removes its files once this process
/// has ended, however it ends (its own process group, so that Ctrl-C in the terminal reaches
/// the tests, not the keeper).
pub fn shared() -> &'static PgServer {
    static SHARED: OnceLock<(PgServer, Child)> = OnceLock::new();
    let (server, _keeper) = SHARED.get_or_init(|| {
        // TLS on, as on Debian's clusters, for the tests that connect with sslmode=require.
        let certificate = tempfile::tempdir().expect("temp dir");
        let tls = self_signed(certificate.path());
        let server = PgServer::start_with(tls.as_ref(), 200);
        let pg_ctl = bin("pg_ctl");
        let stop = if is_root() {
            vec!["runuser", "-u", "postgres", "--", &pg_ctl]
        } else {
            vec![pg_ctl.as_str()]
        };
        let mut keeper = Command::new("sh");
        keeper
            .args([
                "-c",
                "cat >/dev/null; \"$@\" stop -D \"$DATA\" -m immediate -w; rm -rf \"$DIR\"",
                "sh",
            ])
            .args(stop)
            .env("DATA", server.data())
            .env("DIR", server.dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0);
        // Kept with its standard input open until this process ends.
        let keeper = keeper.spawn().expect("start the server's keeper");
        (server, keeper)
    });
    server
}

/// A self-signed certificate for `localhost` in `dir`, made with the openssl command (`None`
/// without it).
fn self_signed(dir: &Path) -> Option<ServerTls> {
    let status = Command::new("openssl")
        .current_dir(dir)
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        ])
        .args([
            "-keyout",
            "server.key",
            "-out",
            "server.crt",
            "-subj",
            "/CN=localhost",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .ok()?;
    status.success().then(|| ServerTls {
        cert: dir.join("server.crt"),
        key: dir.join("server.key"),
    })
}
