//! The request log, minus the requests whose time must not be kept: submitting a screening
//! and opening a result (where every submission lands).
//!
//! The n-th logged `POST /screenings` would be the n-th screening stored, so its log line's
//! time would date a screening; so would the n-th `GET /screenings/{code}` that follows it.
//! These requests get no log line (and no span, so nothing logged while they run carries
//! their route); an hourly count says how many there were instead.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::{MatchedPath, Request};
use axum::http::Method;

/// How often the count of screening submissions is logged.
pub const REPORT_PERIOD: Duration = Duration::from_secs(60 * 60);

/// True for the requests that are counted, never logged one by one: `POST /screenings` and
/// `GET /screenings/{code}`.
pub fn is_unlogged(request: &Request) -> bool {
    let Some(route) = request.extensions().get::<MatchedPath>() else {
        return false;
    };
    matches!(
        (request.method(), route.as_str()),
        (&Method::POST, "/screenings") | (&Method::GET, "/screenings/{code}")
    )
}

/// Counts of the requests not logged one by one.
#[derive(Debug, Default)]
pub struct Activity {
    /// Screenings submitted and stored (`POST /screenings` answered 303).
    saved: AtomicU64,
    /// The other unlogged requests: submissions not stored (422, 403…) and results opened.
    other: AtomicU64,
}

/// The marker a response carries when its request was not logged: the request's method.
#[derive(Debug, Clone)]
pub struct Unlogged(pub Method);

impl Activity {
    /// Counts one unlogged request of `method` that was answered `status`.
    pub fn count(&self, method: &Method, status: axum::http::StatusCode) {
        let counter = if method == Method::POST && status == axum::http::StatusCode::SEE_OTHER {
            &self.saved
        } else {
            &self.other
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
        let other = self.other.swap(0, Ordering::Relaxed);
        if saved + other > 0 {
            tracing::info!(
                screenings_saved = saved,
                other_screening_requests = other,
                "screening requests since the last count (not logged one by one)"
            );
        }
    }
}
