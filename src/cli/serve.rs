//! `screener serve`: the web server.

use std::process::ExitCode;

use tokio::net::TcpListener;

use super::EXIT_BAD_INPUT;
use crate::config::ServeConfig;
use crate::store::Store;
use crate::web::{self, AppState};

pub async fn run(config: ServeConfig) -> ExitCode {
    init_tracing(config.log_json);
    if !config.addr.ip().is_loopback() {
        eprintln!(
            "screener: refusing to listen on {}: without clinician accounts anyone who can reach \
             this address could read every result. Listen on a loopback address such as \
             127.0.0.1:3000.",
            config.addr
        );
        return ExitCode::from(EXIT_BAD_INPUT);
    }
    let store = match Store::open(&config.database.url).await {
        Ok(store) => store,
        Err(error) => {
            eprintln!("screener: cannot open the database: {error}");
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
    println!("Intake Screener is running at http://{}/", config.addr);
    let served = web::serve(
        listener,
        AppState {
            store: store.clone(),
        },
        shutdown_signal(),
    )
    .await;
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

fn init_tracing(json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_sessions=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
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
