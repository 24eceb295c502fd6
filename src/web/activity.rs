//! The request log, minus the one request whose time must not be kept: submitting a screening.
//!
//! The n-th logged `POST /screenings` would be the n-th screening stored, so its log line's
//! time would date a screening. Those requests get no log line (and no span, so nothing logged
//! while they run carries their route); an hourly count says how many there were instead.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::{MatchedPath, Request};
use axum::http::Method;

/// How often the count of screening submissions is logged.
pub const REPORT_PERIOD: Duration = Duration::from_secs(60 * 60);

/// True for the requests that are counted, never logged one by one: `POST /screenings`.
pub fn is_unlogged(request: &Request) -> bool {
    request.method() == Method::POST
        && request
            .extensions()
            .get::<MatchedPath>()
            .is_some_and(|route| route.as_str() == "/screenings")
}

/// Counts of the requests not logged one by one.
#[derive(Debug, Default)]
pub struct Activity {
    /// Screenings submitted and stored (303).
    saved: AtomicU64,
    /// Submissions answered otherwise (422, 403, 401…).
    not_saved: AtomicU64,
}

/// The marker a response carries when its request was not logged.
#[derive(Debug, Clone, Copy)]
pub struct Unlogged;

impl Activity {
    /// Counts one unlogged request that was answered `status`.
    pub fn count(&self, status: axum::http::StatusCode) {
        let counter = if status == axum::http::StatusCode::SEE_OTHER {
            &self.saved
        } else {
            &self.not_saved
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Logs the counts every [`REPORT_PERIOD`] (when there was anything), until dropped.
    pub async fn report(self: Arc<Self>) {
        let mut interval = tokio::time::interval(REPORT_PERIOD);
        interval.tick().await;
        loop {
            interval.tick().await;
            self.log_counts();
        }
    }

    /// Logs and resets the counts, if any.
    pub fn log_counts(&self) {
        let saved = self.saved.swap(0, Ordering::Relaxed);
        let not_saved = self.not_saved.swap(0, Ordering::Relaxed);
        if saved + not_saved > 0 {
            tracing::info!(
                saved,
                not_saved,
                "screening submissions since the last count"
            );
        }
    }
}
