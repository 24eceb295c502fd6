//! What the route table says of each route, as types only: who may use it, whether its
//! requests may be logged, and what a locked session meets there. The table itself and its
//! lookup are in `route.rs`; the request counts (`activity.rs`) need only these types.

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

/// What a session locked while its device is handed to a client (PRODUCT §6) meets at a
/// route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock {
    /// The route answers as usual: the client view, its stylesheet, the unlock page, signing
    /// out.
    Open,
    /// The request is sent to `/unlock`: nothing of the clinician's app shows (the default).
    RedirectToUnlock,
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
