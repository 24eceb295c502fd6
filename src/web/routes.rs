//! The route table: every page module's routes, with who may use them and whether their
//! requests may be logged. The router is built from this table, with the gates in front, and
//! tests walk the same table to prove that no private route answers without a session and
//! that no route concerning a client is logged one by one.

use axum::Router;
use axum::middleware;

use super::auth::keep_form_through_sign_in;
pub use super::plumbing::route::{Access, Category, Log, Route, RouteInfo};
use super::plumbing::session::{require_admin, require_clinician};
use super::plumbing::state::AppState;

/// Every route of the app.
fn all() -> Vec<Route> {
    let mut routes = Vec::new();
    routes.extend(super::auth::routes());
    routes.extend(super::exports::routes());
    routes.extend(super::screenings::routes());
    routes.extend(super::invitations::routes());
    routes.extend(super::drafts::routes());
    routes.extend(super::client::routes());
    routes.extend(super::dashboard::routes());
    routes.extend(super::accounts::routes());
    routes.extend(super::health::routes());
    routes.extend(super::plumbing::assets::routes());
    routes
}

/// The table without handlers.
pub fn table() -> Vec<RouteInfo> {
    all()
        .into_iter()
        .map(|route| RouteInfo {
            path: route.path,
            access: route.access,
            log: route.log,
        })
        .collect()
}

/// Each route's log policy, by path.
pub(super) fn log_policies() -> super::plumbing::activity::Policies {
    super::plumbing::activity::Policies::new(
        table().into_iter().map(|route| (route.path, route.log)),
    )
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
        let handler = if route.keeps_form_through_sign_in {
            handler.route_layer(middleware::from_fn_with_state(
                state.clone(),
                keep_form_through_sign_in,
            ))
        } else {
            handler
        };
        router.route(route.path, handler)
    })
}
