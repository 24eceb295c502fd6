//! What a route is: a path, who may use it, and its handler. Each page module lists its own
//! routes; the table in [`crate::web::routes`] gathers them and puts the gates in front.

use axum::routing::MethodRouter;

use super::state::AppState;

/// Who may use a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone: sign-in, setup, static files, health, the client view.
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
    /// A `POST` here from a clinician whose session ran out keeps the submitted form through
    /// a new sign-in instead of losing it (the screening form).
    pub keeps_form_through_sign_in: bool,
    pub handler: MethodRouter<AppState>,
}

impl Route {
    pub fn new(path: &'static str, access: Access, handler: MethodRouter<AppState>) -> Route {
        Route {
            path,
            access,
            keeps_form_through_sign_in: false,
            handler,
        }
    }

    /// Marks the route's form as one to keep through a new sign-in.
    pub fn keeping_form_through_sign_in(mut self) -> Route {
        self.keeps_form_through_sign_in = true;
        self
    }
}

/// A route's path and access, as the tests see the table.
#[derive(Debug, Clone, Copy)]
pub struct RouteInfo {
    pub path: &'static str,
    pub access: Access,
}
