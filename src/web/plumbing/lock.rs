//! The lock of a handed-over device (PRODUCT §6): while a session is locked, a request to a
//! route whose [`Lock`] policy in the route table is [`Lock::RedirectToUnlock`] is sent to
//! `/unlock`, and so is any address the clinician's app does not know, so nothing of the
//! app shows, not even its 404 page. The client view, its stylesheet, `/unlock` and signing
//! out are [`Lock::Open`].

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

use super::route::{self, Lock, Policies};
use super::session;

/// Where a locked session is sent.
pub const UNLOCK_PATH: &str = "/unlock";

/// The redirect to `/unlock` when `session` is locked (or the error reading it).
pub async fn redirect_if_locked(session: &Session) -> Option<Response> {
    match session::lock_state(session).await {
        Ok(Some(_)) => Some(Redirect::to(UNLOCK_PATH).into_response()),
        Ok(None) => None,
        Err(error) => Some(error.into_response()),
    }
}

/// Applies each matched route's lock policy. Requests that matched no route pass to the
/// fallback, which decides for itself.
pub async fn enforce(
    State(policies): State<Policies>,
    session: Session,
    request: Request,
    next: Next,
) -> Response {
    let policy = route::matched(&request).map(|path| policies.lock(request.method(), path));
    if policy == Some(Lock::RedirectToUnlock)
        && let Some(response) = redirect_if_locked(&session).await
    {
        return response;
    }
    next.run(request).await
}
