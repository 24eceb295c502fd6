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

/// Whether a route's requests may be logged one by one (PRODUCT §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Log {
    /// A line per request (route, status, duration): the route concerns no client, so its
    /// time dates nothing about one.
    Line,
    /// Counted hourly, never logged with its time, and nothing logged while it runs: the
    /// n-th such request could date the n-th stored row (OWASP ASVS 5.0 V16.2.5: no
    /// sensitive data in logs).
    Counted(Category),
}

/// What a counted route concerns; the hourly count gives one number per category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    /// Screenings: the form, saving, results, the list, deleting, exports.
    Screening,
    /// Invitations, made and managed by the clinician.
    Invitation,
    /// Drafts.
    Draft,
    /// Unlocking a handed-over device.
    Unlock,
    /// The client view (`/c/{token}`).
    Client,
    /// Anything else, including requests that match no route: a browser loading the
    /// stylesheet or asking for `/favicon.ico` on a client's first page would date its visit.
    Other,
}

impl Category {
    pub const ALL: [Category; 6] = [
        Category::Screening,
        Category::Invitation,
        Category::Draft,
        Category::Unlock,
        Category::Client,
        Category::Other,
    ];
}

/// One route of the app.
pub struct Route {
    pub path: &'static str,
    pub access: Access,
    /// Counted (in [`Category::Other`]) unless the route says otherwise: safe by default.
    pub log: Log,
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
            log: Log::Counted(Category::Other),
            keeps_form_through_sign_in: false,
            handler,
        }
    }

    /// Marks the route's form as one to keep through a new sign-in.
    pub fn keeping_form_through_sign_in(mut self) -> Route {
        self.keeps_form_through_sign_in = true;
        self
    }

    /// Counts the route's requests under `category`.
    pub fn counted(mut self, category: Category) -> Route {
        self.log = Log::Counted(category);
        self
    }

    /// Logs a line per request: only for routes that concern no client.
    pub fn logged(mut self) -> Route {
        self.log = Log::Line;
        self
    }
}

/// A route's path, access and log policy, as the tests see the table.
#[derive(Debug, Clone, Copy)]
pub struct RouteInfo {
    pub path: &'static str,
    pub access: Access,
    pub log: Log,
}
