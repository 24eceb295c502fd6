//! The web layer's error type: every failure becomes a page with the right status and a
//! message fit for the user; internal details go to the log only, never client data.

use std::any::Any;

use askama::Template;
use askama_web::WebTemplate;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::layout::Layout;
use crate::store::StoreError;

/// A request that could not be served.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// Nothing here, or not yours to see.
    #[error("not found")]
    NotFound,
    /// The request itself is wrong; the message says how.
    #[error("{0}")]
    BadRequest(String),
    /// A form without a valid CSRF token, or a cross-origin request.
    #[error("forbidden")]
    Forbidden,
    /// No account exists yet: the setup link must be used first.
    #[error("no account exists yet")]
    FirstRun,
    /// The request body is larger than the limit it carries, in bytes
    /// ([`crate::web::BODY_LIMIT_BYTES`]).
    #[error("request body too large")]
    TooLarge(usize),
    /// The request took longer than [`crate::web::REQUEST_TIMEOUT`].
    #[error("request timed out")]
    TimedOut,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The session store failed.
    #[error("session error: {0}")]
    Session(#[from] tower_sessions::session::Error),
    /// Something failed that the user cannot fix.
    #[error("internal error")]
    Internal,
}

impl From<crate::accounts::HashingInterrupted> for WebError {
    fn from(_: crate::accounts::HashingInterrupted) -> Self {
        WebError::Internal
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    title: &'static str,
    message: String,
}

/// The `Retry-After` of a 503 for an unavailable database, in seconds: about the time a
/// restarting PostgreSQL takes.
pub const RETRY_AFTER_SECONDS: &str = "5";

impl WebError {
    /// True when the database (or the session store on it) did not answer: a 503 with
    /// `Retry-After`, not a 500 (ASVS 5.0 V16.5.2, fail gracefully when a dependency is down).
    pub fn is_unavailable(&self) -> bool {
        match self {
            WebError::Store(error) => error.is_unavailable(),
            WebError::Session(error) => crate::store::session_unavailable(error),
            _ => false,
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, title, message) = match &self {
            WebError::NotFound => (
                StatusCode::NOT_FOUND,
                "Not found",
                "There is nothing at this address. Check the review code, or find it in your list of results.".to_owned(),
            ),
            WebError::BadRequest(message) => (StatusCode::BAD_REQUEST, "Cannot do that", message.clone()),
            WebError::Forbidden => (
                StatusCode::FORBIDDEN,
                "Not allowed",
                "This form has expired or was sent from another site, so nothing was changed. Go back, reload the page and try again.".to_owned(),
            ),
            WebError::FirstRun => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Set up first",
                "No account exists yet. Open the one-time setup link that the server printed on its console when it started, and create the first administrator.".to_owned(),
            ),
            WebError::TooLarge(limit) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "Too large",
                format!(
                    "What was sent is larger than the {} KiB this app accepts, so nothing was saved. A screening form is far smaller: go back, reload the form and try again.",
                    limit / 1024
                ),
            ),
            WebError::TimedOut => (
                StatusCode::REQUEST_TIMEOUT,
                "Took too long",
                "The request took too long and was stopped. Please try again.".to_owned(),
            ),
            _ if self.is_unavailable() => {
                tracing::warn!(error = %self, "database unavailable");
                let page = ErrorPage {
                    layout: Layout::public("Try again shortly"),
                    title: "Try again shortly",
                    message: "The database is not answering right now, so this could not be completed. Wait a few seconds and try again. If you were saving a screening, look for it in your list of results before saving it again.".to_owned(),
                };
                return (
                    StatusCode::SERVICE_UNAVAILABLE,
                    [(header::RETRY_AFTER, RETRY_AFTER_SECONDS)],
                    page,
                )
                    .into_response();
            }
            WebError::Store(StoreError::Corrupt(_)) => {
                if !super::activity::keep_failure_for_count(&self) {
                    tracing::error!(error = %self, "a stored record does not read back");
                }
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Stored record unreadable",
                    "A record this page needs does not read back as it was saved: the database was changed outside the app. Nothing is shown rather than something wrong, and nothing was changed. Tell your administrator; the record may need restoring from a backup.".to_owned(),
                )
            }
            WebError::Store(_) | WebError::Session(_) | WebError::Internal => {
                // During a counted request the message waits for the hourly count: a line now
                // would date the request (PRODUCT §4).
                if !super::activity::keep_failure_for_count(&self) {
                    tracing::error!(error = %self, "request failed");
                }
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "The request could not be completed. Please try again; if it keeps happening, tell your administrator.".to_owned(),
                )
            }
        };
        let page = ErrorPage {
            layout: Layout::public(title),
            title,
            message,
        };
        (status, page).into_response()
    }
}

/// The answer to a panic in a handler: a plain 500 page without details.
pub fn panic_response(_panic: Box<dyn Any + Send + 'static>) -> Response {
    if !super::activity::keep_failure_for_count(&"a request handler panicked") {
        tracing::error!("a request handler panicked");
    }
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Html("<!doctype html><title>Something went wrong</title><h1>Something went wrong</h1><p>Nothing was changed. Please try again.</p>"),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::http::Request;
    use axum::routing::get;
    use tower::ServiceExt;
    use tower_http::catch_panic::CatchPanicLayer;

    use super::*;

    #[tokio::test]
    async fn a_panic_becomes_a_500_page_without_its_details() {
        let app = Router::new()
            .route(
                "/",
                get(|| async { panic!("secret detail K7QF-29MX") as &'static str }),
            )
            .layer(CatchPanicLayer::custom(panic_response));
        let response = app
            .oneshot(Request::get("/").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .unwrap();
        let body = String::from_utf8_lossy(&body);
        assert!(body.contains("Something went wrong"));
        assert!(!body.contains("secret") && !body.contains("K7QF"), "{body}");
    }
}
