//! A throwaway PostgreSQL server of its own for a test, from the installed binaries
//! ([`pg_shared::binaries`]): for tests that stop and restart the server or change its TLS
//! settings, which must not touch the shared one ([`pg_shared::shared`] is one too).
//! initdb refuses to run as root: as root, the server runs as the `postgres` account (through
//! `runuser`) in a temporary directory handed to it. It listens on 127.0.0.1 on a free port,
//! trusts local connections, and is stopped (`-m immediate`) with this value.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

use super::pg_shared;
use super::server::free_port;

/// TLS files for the server: its certificate chain and key (PEM).
pub struct ServerTls {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// A running throwaway PostgreSQL server.
pub struct PgServer {
    pub(super) dir: TempDir,
    pub port: u16,
    options: String,
}

pub(super) fn bin(name: &str) -> String {
    let dir = pg_shared::binaries().unwrap_or_else(|| {
        panic!(
            "no PostgreSQL server binaries ({}): apt-get install postgresql",
            pg_shared::where_binaries_are()
        )
    });
    dir.join(name).display().to_string()
}

pub(super) fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// Runs a server binary, as `postgres` when this process is root.
fn run(program: &str, args: &[&str]) {
    let mut command = if is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--", &bin(program)]);
        command
    } else {
        Command::new(bin(program))
    };
    let output = command
        .args(args)
        .output()
        .unwrap_or_else(|error| panic!("cannot run {program} ({error}): is PostgreSQL installed?"));
    assert!(
        output.status.success(),
        "{program} {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Hands a path to the `postgres` account when this process is root.
fn hand_over(path: &Path) {
    if is_root() {
        let status = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(path)
            .status()
            .expect("chown");
        assert!(status.success(), "chown {}", path.display());
    }
}

impl PgServer {
    /// A fresh server; with `tls`, `ssl = on` with that certificate and key (copied in).
    pub fn start(tls: Option<&ServerTls>) -> PgServer {
        PgServer::start_with(tls, 40)
    }

    /// A fresh server taking up to `max_connections` connections.
    pub(super) fn start_with(tls: Option<&ServerTls>, max_connections: u32) -> PgServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data");
        hand_over(dir.path());
        run(
            "initdb",
            &[
                "-D",
                data.to_str().unwrap(),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
                "-E",
                "UTF8",
            ],
        );
        let port = free_port();
        let mut options = format!(
            "-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} \
             -c max_connections={max_connections}",
            dir.path().display()
        );
        if let Some(tls) = tls {
            let cert = dir.path().join("server.crt");
            let key = dir.path().join("server.key");
            std::fs::copy(&tls.cert, &cert).expect("copy certificate");
            std::fs::copy(&tls.key, &key).expect("copy key");
            std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600))
                .expect("key mode");
            hand_over(&cert);
            hand_over(&key);
            options.push_str(&format!(
                " -c ssl=on -c ssl_cert_file={} -c ssl_key_file={}",
                cert.display(),
                key.display()
            ));
        }
        let server = PgServer { dir, port, options };
        server.start_again();
        server
    }

    pub(super) fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    /// `postgres://postgres@HOST:PORT/postgres` with `query` appended.
    pub fn url_at(&self, host: &str, query: &str) -> String {
        format!("postgres://postgres@{host}:{}/postgres{query}", self.port)
    }

    /// `postgres://postgres@127.0.0.1:PORT`, without a database name.
    pub fn base_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}", self.port)
    }

    /// The URL of the server's `postgres` database over TCP on 127.0.0.1.
    pub fn url(&self) -> String {
        self.url_at("127.0.0.1", "")
    }

    /// Starts the (stopped) server and waits until it accepts connections.
    pub fn start_again(&self) {
        self.pg_ctl_start("start", &[]);
    }

    /// `pg_ctl start` or `restart`, its output to the log (not to a pipe the server would
    /// hold open).
    fn pg_ctl_start(&self, action: &str, extra: &[&str]) {
        let log = self.dir.path().join("server.log");
        let data = self.data();
        let mut args = vec![
            action,
            "-D",
            &data,
            "-w",
            "-l",
            log.to_str().unwrap(),
            "-o",
            &self.options,
        ];
        args.extend_from_slice(extra);
        run("pg_ctl", &args);
    }

    /// Stops the server as an operator would (`-m fast`: transactions in progress are
    /// rolled back, connections closed).
    pub fn stop(&self) {
        run("pg_ctl", &["stop", "-D", &self.data(), "-m", "fast", "-w"]);
    }

    /// `pg_ctl restart -m fast`.
    pub fn restart(&self) {
        self.pg_ctl_start("restart", &["-m", "fast"]);
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let mut command = if is_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--", &bin("pg_ctl")]);
            command
        } else {
            Command::new(bin("pg_ctl"))
        };
        let _ = command
            .args(["stop", "-D", &self.data(), "-m", "immediate", "-w"])
            .output();
    }
}
