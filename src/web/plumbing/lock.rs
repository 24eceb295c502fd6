//! The lock of a handed-over device (PRODUCT §6): while a session is locked, every request but
//! the client view, `/unlock` (with its way back to the questions), `/logout` and static
//! files is sent to `/unlock` — unknown addresses included, so nothing of the clinician's
//! app shows, not even its 404 page.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

use super::session;

/// True for the paths a locked session may still reach.
pub fn open_while_locked(path: &str) -> bool {
    path.starts_with("/c/")
        || path.starts_with("/static/")
        || path == "/unlock"
        || path == "/unlock/questions"
        || path == "/logout"
}

/// Sends every request of a locked session elsewhere than [`open_while_locked`] to `/unlock`.
pub async fn enforce(session: Session, request: Request, next: Next) -> Response {
    if open_while_locked(request.uri().path()) {
        return next.run(request).await;
    }
    match session::lock_state(&session).await {
        Ok(Some(_)) => Redirect::to("/unlock").into_response(),
        Ok(None) => next.run(request).await,
        Err(error) => error.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::open_while_locked;

    #[test]
    fn only_the_client_view_unlock_logout_and_static_files_stay_open() {
        for open in [
            "/c/abc",
            "/unlock",
            "/unlock/questions",
            "/logout",
            "/static/app.css",
        ] {
            assert!(open_while_locked(open), "{open}");
        }
        for closed in [
            "/",
            "/screenings",
            "/screenings/new",
            "/invitations",
            "/c",
            "/cx/abc",
            "/unlock/x",
            "/login",
            "/nothing-here",
            "/healthz",
        ] {
            assert!(!open_while_locked(closed), "{closed}");
        }
    }
}
