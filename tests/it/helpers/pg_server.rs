//! Throwaway PostgreSQL servers from the installed binaries ([`binaries`]): one of its own for
//! a test that stops and restarts the server or changes its TLS settings, which must not touch
//! the shared one; and, when no server answers at `SCREENER_TEST_POSTGRES`, the one [`shared`]
//! by every PostgreSQL test of the process.
//! initdb refuses to run as root: as root, the server runs as the `postgres` account (through
//! `runuser`) in a temporary directory handed to it. It listens on 127.0.0.1 on a free port,
//! trusts local connections, and is stopped (`-m immediate`) with this value; the shared one
//! when the process ends, however it ends.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use tempfile::TempDir;

use super::server::free_port;

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

/// TLS files for the server: its certificate chain and key (PEM).
pub struct ServerTls {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// A running throwaway PostgreSQL server.
pub struct PgServer {
    dir: TempDir,
    pub port: u16,
    options: String,
}

fn bin(name: &str) -> String {
    let dir = binaries().unwrap_or_else(|| {
        panic!(
            "no PostgreSQL server binaries ({}): apt-get install postgresql",
            where_binaries_are()
        )
    });
    dir.join(name).display().to_string()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// A server binary's command, run as `postgres` when this process is root.
fn command(program: &str) -> Command {
    if is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--", &bin(program)]);
        command
    } else {
        Command::new(bin(program))
    }
}

/// Runs a server binary, as `postgres` when this process is root.
fn run(program: &str, args: &[&str]) {
    let output = command(program)
        .args(args)
        .output()
        .unwrap_or_else(|error| panic!("cannot run {program} ({error})"));
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

/// The throwaway server every PostgreSQL test of this process shares when none answers at
/// `SCREENER_TEST_POSTGRES`, started on first use, with TLS when the openssl command is there
/// to make it a certificate. A keeper process stops it and removes its
/// files once this process has ended, however it ends (its own process group, so that Ctrl-C
/// in the terminal reaches the tests, not the keeper).
pub fn shared() -> &'static PgServer {
    static SHARED: OnceLock<(PgServer, Child)> = OnceLock::new();
    let (server, _keeper) = SHARED.get_or_init(|| {
        // TLS on, as on Debian's clusters, for the tests that connect with sslmode=require.
        let certificate = tempfile::tempdir().expect("temp dir");
        let tls = self_signed(certificate.path());
        let server = PgServer::start_with(tls.as_ref(), 200);
        let stop = command("pg_ctl");
        let mut keeper = Command::new("sh");
        keeper
            .args([
                "-c",
                "cat >/dev/null; \"$@\" stop -D \"$DATA\" -m immediate -w; rm -rf \"$DIR\"",
                "sh",
            ])
            .arg(stop.get_program())
            .args(stop.get_args())
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

impl PgServer {
    /// A fresh server; with `tls`, `ssl = on` with that certificate and key (copied in).
    pub fn start(tls: Option<&ServerTls>) -> PgServer {
        PgServer::start_with(tls, 40)
    }

    /// A fresh server taking up to `max_connections` connections.
    fn start_with(tls: Option<&ServerTls>, max_connections: u32) -> PgServer {
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

    fn data(&self) -> String {
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
        let _ = command("pg_ctl")
            .args(["stop", "-D", &self.data(), "-m", "immediate", "-w"])
            .output();
    }
}
