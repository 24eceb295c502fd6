//! `screener serve`: the web server.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::process::ExitCode;

use tokio::net::TcpListener;
use tracing::Level;

use crate::config::ServeConfig;
use crate::web::{self, AppState};

pub async fn run(config: ServeConfig) -> ExitCode {
    init_tracing(config.log_json);
    let store = match super::open_store(&config.database).await {
        Ok(store) => store,
        Err(message) => {
            eprintln!("screener: {message}");
            return ExitCode::FAILURE;
        }
    };
    let listener = match TcpListener::bind(config.addr).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("screener: cannot listen on {}: {error}", config.addr);
            return ExitCode::FAILURE;
        }
    };
    let state = match AppState::new(store.clone(), config.security.clone()).await {
        Ok(state) => state.with_invitations(config.invitations.clone()),
        Err(error) => {
            eprintln!("screener: cannot read the database: {error}");
            return ExitCode::FAILURE;
        }
    };
    let shown = shown_address(config.addr);
    println!("Intake Screener is running at http://{shown}/");
    if let Some(token) = state.setup_token() {
        println!(
            "No account exists yet. Open this one-time link to create the first administrator:\n  \
             http://{shown}/setup?token={token}"
        );
    }
    let grace = std::time::Duration::from_secs(config.shutdown_grace_seconds);
    let served = web::serve_with_grace(listener, state, shutdown_signal(), grace).await;
    store.close().await;
    match served {
        Ok(()) => {
            tracing::info!("stopped");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("screener: server failed: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The address to print: a wildcard address is shown as loopback, which works on this machine.
fn shown_address(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), addr.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), addr.port())
        }
        _ => addr,
    }
}

/// Dependencies' targets and the most they may log, whatever `RUST_LOG` asks for (PRODUCT §4).
/// Below these levels they log per request or per connection: concrete paths (which carry
/// review codes, tokens and draft ids), peer addresses, or lines whose mere presence counts
/// and dates requests (tower-sessions' `saving session` and `get_record`, sqlx's slow
/// acquire). OWASP ASVS 5.0 V16.2.5.
const PINNED_TARGETS: &[(&str, Level)] = &[
    ("axum::serve", Level::INFO),
    ("axum::rejection", Level::INFO),
    ("hyper", Level::INFO),
    ("hyper_util", Level::INFO),
    ("h2", Level::INFO),
    ("tower_http::csrf", Level::WARN),
    ("tower_sessions", Level::ERROR),
    ("tower_sessions_core", Level::ERROR),
    ("tower_sessions_sqlx_store", Level::ERROR),
    ("sqlx", Level::ERROR),
    ("sqlx_core", Level::ERROR),
    ("sqlx_sqlite", Level::ERROR),
    ("sqlx_postgres", Level::ERROR),
    ("rustls", Level::WARN),
];

pub(super) fn init_tracing(json: bool) {
    use tracing_subscriber::filter::{EnvFilter, Targets, filter_fn};
    use tracing_subscriber::prelude::*;
    let wanted = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // A filter of its own, so that no `RUST_LOG` directive, however specific, lifts a pin.
    let pinned = Targets::new()
        .with_default(Level::TRACE)
        .with_targets(PINNED_TARGETS.iter().copied());
    // Nothing is logged while a counted request runs (see `web::may_log`). Global filters all
    // three (a per-layer filter keeps its verdict in a thread-local that a nested call can
    // clobber, which dropped lines at random); this one asked last, so that it only holds
    // back what the others would let through.
    let outside_counted = filter_fn(web::may_log);
    // Colour codes only on a terminal: a file or the journal gets plain text.
    let layer = tracing_subscriber::fmt::layer()
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let filtered = tracing_subscriber::registry()
        .with(outside_counted)
        .with(pinned)
        .with(wanted);
    if json {
        filtered.with(layer.json()).init();
    } else {
        filtered.with(layer).init();
    }
    log_panics_through_tracing();
}

/// Panics are reported through the log, not by Rust's default hook straight to stderr, so the
/// log policy holds: a panic during a counted request is kept for the hourly count instead of
/// being written with its time (PRODUCT §4).
fn log_panics_through_tracing() {
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|text| (*text).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        if !crate::web::keep_failure_for_count(&message) {
            tracing::error!(location = ?info.location(), %message, "panic");
        }
    }));
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
