//! `screener serve`: the web server.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::process::ExitCode;

use tokio::net::TcpListener;

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

pub(super) fn init_tracing(json: bool) {
    use tracing_subscriber::EnvFilter;
    let mut filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_sessions=warn"));
    // These log concrete request paths (which carry review codes) or peer addresses at trace
    // level; whatever
    // RUST_LOG asks for, they stay quiet (SPEC §4).
    for directive in [
        "tower_http::csrf=warn",
        "axum::serve=info",
        "hyper=info",
        "h2=info",
    ] {
        if let Ok(directive) = directive.parse() {
            filter = filter.add_directive(directive);
        }
    }
    // Colour codes only on a terminal: a file or the journal gets plain text.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
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
