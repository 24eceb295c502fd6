//! The route table: every route of the app by method and path, with who may use it, whether
//! its requests may be logged, and what a locked session meets there. The router is built
//! from this table with each route's access gate in front; the request log and the lock of
//! a handed-over device look up the same table ([`Policies`]); and tests walk it over HTTP
//! to prove every policy.
//!
//! Routes are grouped by guard: the clinician's app, and the client view under
//! [`CLIENT_PREFIX`], whose every route answers with the client's own pages and whose
//! unknown addresses get the client's own 404 page, which a locked device may see.

use axum::Router;
use axum::http::{HeaderMap, Uri};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use tower_sessions::Session;

use super::auth::keep_form_through_sign_in;
pub use super::plumbing::route::{Access, Category, Lock, Log, Policies, Route, RouteInfo};
use super::plumbing::session::{require_admin, require_clinician};
use super::plumbing::state::AppState;
use super::plumbing::{error::WebError, lock};

/// Where the client view's addresses begin.
pub const CLIENT_PREFIX: &str = super::client::PREFIX;

/// The clinician's app: every route outside the client view.
fn app() -> Vec<Route> {
    let mut routes = Vec::new();
    routes.extend(super::auth::routes());
    routes.extend(super::exports::routes());
    routes.extend(super::screenings::routes());
    routes.extend(super::invitations::routes());
    routes.extend(super::drafts::routes());
    routes.extend(super::dashboard::routes());
    routes.extend(super::accounts::routes());
    routes.extend(super::two_factor::routes());
    routes.extend(super::health::routes());
    routes.extend(super::static_files::routes());
    routes
}

/// The table without handlers: the app's routes, then the client view's.
pub fn table() -> Vec<RouteInfo> {
    app()
        .iter()
        .chain(super::client::routes().iter())
        .map(Route::info)
        .collect()
}

/// Every route's policies, for the gates that look them up by the matched route.
pub(super) fn policies() -> Policies {
    Policies::new(table())
}

/// The router for the table: each route behind its access gate, the client view's routes
/// answering with its own pages.
pub(super) fn router(state: &AppState) -> Router<AppState> {
    let client = super::client::routes().into_iter().map(|mut route| {
        // On the method's handler only: a method the route does not serve (405) is left to
        // the edge layer, which gives it the client's page too.
        route.handler = route
            .handler
            .route_layer(middleware::from_fn(super::client::own_pages));
        route
    });
    app()
        .into_iter()
        .chain(client)
        .fold(Router::new(), |router, route| {
            router.route(route.path, gate(state, route))
        })
        .fallback(not_found)
}

/// A route's handler behind its access gate (and, for a form kept through a new sign-in,
/// the layer that keeps it).
fn gate(state: &AppState, route: Route) -> MethodRouter<AppState> {
    let handler = match route.access {
        Access::Public => route.handler,
        Access::Clinician => route.handler.route_layer(middleware::from_fn_with_state(
            state.clone(),
            require_clinician,
        )),
        Access::Admin => route
            .handler
            .route_layer(middleware::from_fn(require_admin))
            .route_layer(middleware::from_fn_with_state(
                state.clone(),
                require_clinician,
            )),
    };
    if route.keeps_form_through_sign_in {
        handler.route_layer(middleware::from_fn_with_state(
            state.clone(),
            keep_form_through_sign_in,
        ))
    } else {
        handler
    }
}

/// Nothing at this address. Under the client view's prefix, the client's own 404 page (a
/// mistyped or cut-off link), which a locked device may see; elsewhere the app's, which a
/// locked session never sees: it is sent to `/unlock`.
async fn not_found(uri: Uri, headers: HeaderMap, session: Session) -> Response {
    if super::client::is_client_path(uri.path()) {
        return super::client::fallback(headers).await;
    }
    match lock::redirect_if_locked(&session).await {
        Some(response) => response,
        None => WebError::NotFound.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use axum::http::Method;

    use super::*;

    /// The gates look up what the table says, for every route; `HEAD` as `GET`; a method a
    /// path does not serve as the strictest of its methods.
    #[test]
    fn the_lock_gate_reads_each_route_s_policy_from_the_table() {
        let table = table();
        let policies = Policies::new(table.clone());
        for route in &table {
            assert_eq!(
                policies.lock(&route.method, route.path),
                route.lock,
                "{} {}",
                route.method,
                route.path
            );
            if route.method == Method::GET {
                assert_eq!(policies.lock(&Method::HEAD, route.path), route.lock);
            }
            let methods: Vec<&RouteInfo> = table
                .iter()
                .filter(|other| other.path == route.path)
                .collect();
            let unserved = [Method::PUT, Method::DELETE, Method::PATCH];
            let strictest = if methods.iter().all(|other| other.lock == Lock::Open) {
                Lock::Open
            } else {
                Lock::RedirectToUnlock
            };
            for method in unserved {
                assert_eq!(policies.lock(&method, route.path), strictest);
            }
        }
        assert_eq!(
            policies.lock(&Method::GET, "/no/such/route"),
            Lock::RedirectToUnlock
        );
    }

    /// The client view is open while locked; no administrator's route is.
    #[test]
    fn the_client_view_is_open_while_locked_and_no_admin_route_is() {
        for route in table() {
            if route.path.starts_with(CLIENT_PREFIX) {
                assert_eq!(route.lock, Lock::Open, "{}", route.path);
            }
            if route.access == Access::Admin {
                assert_eq!(route.lock, Lock::RedirectToUnlock, "{}", route.path);
            }
        }
    }
}
