//! `GET /healthz`: 200 `ok` when the database answers.

use axum::extract::State;
use axum::http::StatusCode;

use super::plumbing::route::{Access, Route};
use super::plumbing::state::AppState;

pub fn routes() -> Vec<Route> {
    // Logged: a probe's request concerns no client.
    vec![Route::get("/healthz", Access::Public, healthz).logged()]
}

async fn healthz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    if state.store.is_healthy().await {
        (StatusCode::OK, "ok")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
    }
}
