//! The real `screener` binary as a child process: accounts made through `screener user add`,
//! the server started on a free loopback port, stopped by SIGTERM or killed with SIGKILL.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{PASSWORD, database_url};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_screener");

/// Runs `screener ARGS --database URL` with `stdin`; returns (exit code, stdout, stderr).
pub fn screener(database: &Path, args: &[&str], stdin: &str) -> (i32, String, String) {
    screener_on(&database_url(database), args, stdin)
}

/// Runs `screener ARGS --database URL` on any engine's URL.
pub fn screener_on(url: &str, args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .args(["--database", url])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run screener");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let output = child.wait_with_output().expect("wait for screener");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Creates a clinician account with [`PASSWORD`] through the command line.
pub fn add_account(database: &Path, name: &str) {
    add_account_on(&database_url(database), name);
}

/// Creates a clinician account with [`PASSWORD`] through the command line, on any engine.
pub fn add_account_on(url: &str, name: &str) {
    let (code, _, stderr) = screener_on(
        url,
        &["user", "add", name, "--password-stdin"],
        &format!("{PASSWORD}\n"),
    );
    assert_eq!(code, 0, "screener user add {name}: {stderr}");
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("local addr")
        .port()
}

/// A running `screener serve`.
pub struct Server {
    pub child: Child,
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    /// Where its logs (standard error) go.
    pub log: PathBuf,
}

impl Server {
    /// Starts the server on `database`, logging to `log`, and returns once it listens.
    pub fn start(database: &Path, log: &Path) -> Server {
        Server::start_with(database, log, &[])
    }

    /// Starts the server with extra `serve` arguments.
    pub fn start_with(database: &Path, log: &Path, args: &[&str]) -> Server {
        Server::start_on(&database_url(database), log, args)
    }

    /// Starts the server on the database at `url` (either engine) with extra arguments.
    pub fn start_on(url: &str, log: &Path, args: &[&str]) -> Server {
        Server::start_on_env(url, log, args, &[])
    }

    /// Starts the server on `url` with extra arguments and environment variables.
    pub fn start_on_env(url: &str, log: &Path, args: &[&str], env: &[(&str, &str)]) -> Server {
        Server::spawn(url, log, args, env, None)
    }

    /// Starts the server with extra arguments, under `ulimit -n DESCRIPTORS` when given.
    pub fn start_limited(url: &str, log: &Path, args: &[&str], descriptors: Option<u32>) -> Server {
        Server::spawn(url, log, args, &[], descriptors)
    }

    fn spawn(
        url: &str,
        log: &Path,
        args: &[&str],
        env: &[(&str, &str)],
        descriptors: Option<u32>,
    ) -> Server {
        for _ in 0..3 {
            let port = free_port();
            let mut command = match descriptors {
                None => Command::new(BIN),
                Some(limit) => {
                    let mut command = Command::new("bash");
                    command.args([
                        "-c",
                        &format!("ulimit -n {limit} && exec \"$0\" \"$@\""),
                        BIN,
                    ]);
                    command
                }
            };
            let mut child = command
                .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
                .args(["--database", url])
                .args(args)
                .envs(env.iter().copied())
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(File::create(log).expect("log file"))
                .spawn()
                .expect("start screener serve");
            let mut banner = String::new();
            let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
            let _ = stdout.read_line(&mut banner);
            if banner.contains(&format!("127.0.0.1:{port}")) {
                return Server {
                    child,
                    address: format!("http://127.0.0.1:{port}"),
                    log: log.to_owned(),
                };
            }
            // The port was taken in the meantime: try another.
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("the server did not start; see {}", log.display());
    }

    /// Sends SIGTERM and waits up to `timeout` for the exit code (`None`: still running, so
    /// it was killed).
    pub fn terminate(&mut self, timeout: Duration) -> Option<i32> {
        send_signal(self.child.id(), "TERM");
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.kill();
        None
    }

    /// Kills the server at once (SIGKILL): no chance to flush, close or finish anything.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The logs written so far.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.kill();
        }
    }
}

/// Sends a signal (`TERM`, `INT`, …) to a process.
pub fn send_signal(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{signal} {pid}");
}
