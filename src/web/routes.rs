//! The route table: every route with who may use it. The router is built from this table, and
//! a test walks the same table to prove that no private route answers without a session.

use axum::Router;
use axum::middleware;
use axum::routing::MethodRouter;

use super::session::{require_admin, require_clinician};
use super::state::AppState;

/// Who may use a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone: sign-in, setup, static files, health.
    Public,
    /// A signed-in clinician.
    Clinician,
    /// A signed-in administrator; to others the route does not exist (404).
    Admin,
}

/// One route of the app.
pub struct Route {
    pub path: &'static str,
    pub access: Access,
    handler: MethodRouter<AppState>,
}

impl Route {
    pub fn new(path: &'static str, access: Access, handler: MethodRouter<AppState>) -> Route {
        Route {
            path,
            access,
            handler,
        }
    }
}

/// A route's path and access, as the tests see the table.
#[derive(Debug, Clone, Copy)]
pub struct RouteInfo {
    pub path: &'static str,
    pub access: Access,
}

/// Every route of the app.
pub(super) fn all() -> Vec<Route> {
    let mut routes = Vec::new();
    routes.extend(super::auth::routes());
    routes.extend(super::exports::routes());
    routes.extend(super::screenings::routes());
    routes.extend(super::invitations::routes());
    routes.extend(super::client::routes());
    routes.extend(super::dashboard::routes());
    routes.extend(super::accounts::routes());
    routes.extend(super::health::routes());
    routes.extend(super::assets::routes());
    routes
}

/// The table without handlers.
pub fn table() -> Vec<RouteInfo> {
    all()
        .into_iter()
        .map(|route| RouteInfo {
            path: route.path,
            access: route.access,
        })
        .collect()
}

/// The router for the table, with the sign-in gate on every private route.
pub(super) fn router(state: &AppState) -> Router<AppState> {
    all().into_iter().fold(Router::new(), |router, route| {
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
        router.route(route.path, handler)
    })
}
