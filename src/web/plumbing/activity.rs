//! The request log, minus every request whose time must not be kept (PRODUCT §4).
//!
//! The n-th logged `POST /screenings` would be the n-th screening stored, so its line's time
//! would date a screening; so would the n-th result opened, form shown, invitation answered,
//! draft saved or device unlocked, joined with the stored `seq_in_year` and `administration`.
//! The route table says which routes are counted ([`Log::Counted`](super::policy::Log::Counted),
//! the default) and which may be logged ([`Log::Line`](super::policy::Log::Line)). A counted request gets no line and no span, nothing at all
//! is logged while it runs (the subscriber asks [`may_log`], so a dependency's
//! per-request line cannot date it either), and an hourly count per category stands in for
//! it. OWASP ASVS 5.0 V16.2.5: data is logged according to its protection level.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::Response;

use super::policy::Category;

/// How often the counts are logged.
pub const REPORT_PERIOD: Duration = Duration::from_secs(60 * 60);

/// At most this many distinct failure messages are kept for the next count.
const KEPT_FAILURES: usize = 5;

tokio::task_local! {
    /// Set while a counted request runs.
    static COUNTED: Arc<Activity>;
}

/// Whether a span or event may be logged now: not while a counted request runs. A warning or
/// error held back then is kept for the next count by where it was raised (its text could
/// carry the request's data; the next count's time dates nothing finer than the hour).
pub fn may_log(metadata: &tracing::Metadata<'_>) -> bool {
    COUNTED
        .try_with(|activity| {
            if metadata.is_event() && *metadata.level() <= tracing::Level::WARN {
                activity.held_back.fetch_add(1, Ordering::Relaxed);
                activity.keep_failure(format!(
                    "{} {} ({}:{})",
                    metadata.level(),
                    metadata.target(),
                    metadata.file().unwrap_or("?"),
                    metadata.line().unwrap_or(0)
                ));
            }
        })
        .is_err()
}

/// Keeps a failure's message for the next count when it happens during a counted request
/// (where it cannot be logged with its time); true if it was kept.
pub fn keep_failure_for_count(message: &dyn std::fmt::Display) -> bool {
    COUNTED
        .try_with(|activity| activity.keep_failure(message.to_string()))
        .is_ok()
}

/// The marker a response carries when its request was counted, not logged.
#[derive(Debug, Clone, Copy)]
pub struct Unlogged;

/// Counts of the requests not logged one by one.
#[derive(Debug, Default)]
pub struct Activity {
    screening: AtomicU64,
    invitation: AtomicU64,
    draft: AtomicU64,
    unlock: AtomicU64,
    client: AtomicU64,
    other: AtomicU64,
    /// Counted requests answered with a server error.
    failed: AtomicU64,
    /// Warnings and errors raised during counted requests, not logged then.
    held_back: AtomicU64,
    /// Distinct messages of those failures and warnings, for the next count.
    failures: Mutex<Vec<String>>,
}

impl Activity {
    fn counter(&self, category: Category) -> &AtomicU64 {
        match category {
            Category::Screening => &self.screening,
            Category::Invitation => &self.invitation,
            Category::Draft => &self.draft,
            Category::Unlock => &self.unlock,
            Category::Client => &self.client,
            Category::Other => &self.other,
        }
    }

    /// Runs a counted request of `category` with logging off, and counts it.
    pub async fn run_counted(
        self: &Arc<Self>,
        category: Category,
        request: impl Future<Output = Response>,
    ) -> Response {
        let mut response = COUNTED.scope(self.clone(), request).await;
        self.count(category, response.status());
        response.extensions_mut().insert(Unlogged);
        response
    }

    /// Counts one counted request of `category` that was answered `status`.
    pub fn count(&self, category: Category, status: StatusCode) {
        self.counter(category).fetch_add(1, Ordering::Relaxed);
        if status.is_server_error() {
            self.failed.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn keep_failure(&self, message: String) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if failures.len() < KEPT_FAILURES && !failures.contains(&message) {
            failures.push(message);
        }
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

    /// Logs and resets the counts, if any. Every count is named, zero or not, so the line's
    /// shape says nothing either.
    pub fn log_counts(&self) {
        let [screening, invitation, draft, unlock, client, other] =
            Category::ALL.map(|category| self.counter(category).swap(0, Ordering::Relaxed));
        let failed = self.failed.swap(0, Ordering::Relaxed);
        let held_back = self.held_back.swap(0, Ordering::Relaxed);
        let failures =
            std::mem::take(&mut *self.failures.lock().unwrap_or_else(|e| e.into_inner()));
        if screening + invitation + draft + unlock + client + other > 0 {
            tracing::info!(
                screening,
                invitation,
                draft,
                unlock,
                client,
                other,
                failed,
                "requests since the last count (not logged one by one)"
            );
        }
        if failed + held_back > 0 {
            tracing::error!(
                failed,
                held_back,
                errors = ?failures,
                "counted requests failed or warned since the last count"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::response::IntoResponse;

    use super::*;

    fn in_counted_request() -> bool {
        COUNTED.try_with(|_| ()).is_ok()
    }

    #[tokio::test]
    async fn a_counted_request_is_known_as_such_while_it_runs_and_its_failure_is_kept() {
        let activity = Arc::new(Activity::default());
        assert!(!in_counted_request());
        let response = activity
            .run_counted(Category::Draft, async {
                assert!(in_counted_request());
                assert!(keep_failure_for_count(&"database gone"));
                axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response()
            })
            .await;
        assert!(response.extensions().get::<Unlogged>().is_some());
        assert!(!in_counted_request());
        assert!(!keep_failure_for_count(&"outside"));
        assert_eq!(activity.draft.load(Ordering::Relaxed), 1);
        assert_eq!(activity.failed.load(Ordering::Relaxed), 1);
        assert_eq!(*activity.failures.lock().unwrap(), ["database gone"]);
    }

    /// Counts the events that reach it.
    struct Seen(Arc<AtomicU64>);

    impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Seen {
        fn on_event(&self, _: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    #[test]
    fn nothing_is_logged_during_a_counted_request_and_its_warnings_wait_for_the_count() {
        use tracing_subscriber::prelude::*;
        let activity = Arc::new(Activity::default());
        let seen = Arc::new(AtomicU64::default());
        let subscriber = tracing_subscriber::registry()
            .with(tracing_subscriber::filter::filter_fn(may_log))
            .with(Seen(seen.clone()));
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!("outside");
            COUNTED.sync_scope(activity.clone(), || {
                tracing::warn!("inside");
                tracing::debug!("inside too");
            });
        });
        assert_eq!(seen.load(Ordering::Relaxed), 1, "only the line outside");
        assert_eq!(activity.held_back.load(Ordering::Relaxed), 1);
        let kept = activity.failures.lock().unwrap().clone();
        assert!(
            kept.len() == 1 && kept[0].starts_with("WARN intake_screener::web::plumbing::activity"),
            "{kept:?}"
        );
        assert!(!kept[0].contains("inside"), "where, never what: {kept:?}");
    }
}
