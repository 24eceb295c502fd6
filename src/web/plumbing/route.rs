//! What a route is: a method and a path, who may use it, whether its requests may be logged,
//! what a locked session meets there, and its handler. Each page module lists its own
//! routes; the table in [`crate::web::routes`] gathers them, and every gate is derived from
//! it ([`Policies`]).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{MatchedPath, Request};
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::MethodRouter;

pub use super::policy::{Access, Category, Lock, Log};
use super::state::AppState;

/// One route of the app: one method on one path.
pub struct Route {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
    /// Counted (in [`Category::Other`]) unless the route says otherwise: safe by default.
    pub log: Log,
    /// [`Lock::RedirectToUnlock`] unless the route says otherwise: safe by default.
    pub lock: Lock,
    /// A `POST` here from a clinician whose session ran out keeps the submitted form through
    /// a new sign-in instead of losing it (the screening form).
    pub keeps_form_through_sign_in: bool,
    pub handler: MethodRouter<AppState>,
}

impl Route {
    /// `GET` (and so `HEAD`) `path`.
    pub fn get<H, T>(path: &'static str, access: Access, handler: H) -> Route
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        Route::with(Method::GET, path, access, axum::routing::get(handler))
    }

    /// `POST path`.
    pub fn post<H, T>(path: &'static str, access: Access, handler: H) -> Route
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        Route::with(Method::POST, path, access, axum::routing::post(handler))
    }

    fn with(
        method: Method,
        path: &'static str,
        access: Access,
        handler: MethodRouter<AppState>,
    ) -> Route {
        Route {
            method,
            path,
            access,
            log: Log::Counted(Category::Other),
            lock: Lock::RedirectToUnlock,
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

    /// Lets a locked session through ([`Lock::Open`]).
    pub fn open_while_locked(mut self) -> Route {
        self.lock = Lock::Open;
        self
    }

    /// The route's policies, without its handler.
    pub fn info(&self) -> RouteInfo {
        RouteInfo {
            method: self.method.clone(),
            path: self.path,
            access: self.access,
            log: self.log,
            lock: self.lock,
        }
    }
}

/// A route's method, path and policies, as the gates and the tests see the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteInfo {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
    pub log: Log,
    pub lock: Lock,
}

/// The policies of every route, by matched path and method, for the gates that run before
/// a route's own handler (the request log, the lock).
#[derive(Debug, Clone, Default)]
pub struct Policies(Arc<HashMap<&'static str, Vec<RouteInfo>>>);

impl Policies {
    pub fn new(table: impl IntoIterator<Item = RouteInfo>) -> Policies {
        let mut paths: HashMap<&'static str, Vec<RouteInfo>> = HashMap::new();
        for route in table {
            paths.entry(route.path).or_default().push(route);
        }
        Policies(Arc::new(paths))
    }

    /// The routes of a path, one per method.
    fn methods(&self, path: &str) -> &[RouteInfo] {
        self.0.get(path).map_or(&[], Vec::as_slice)
    }

    /// The route a request matched, if it is in the table: `HEAD` is `GET`'s.
    fn route(&self, method: &Method, path: &str) -> Option<&RouteInfo> {
        let method = if method == Method::HEAD {
            &Method::GET
        } else {
            method
        };
        self.methods(path)
            .iter()
            .find(|route| route.method == method)
    }

    /// The log policy for a request: its route's, or counted as [`Category::Other`] when it
    /// matched none (a browser's `/favicon.ico` on a client's first page, or a method the
    /// path does not serve).
    pub fn log(&self, request: &Request) -> Log {
        matched(request)
            .and_then(|path| self.route(request.method(), path))
            .map_or(Log::Counted(Category::Other), |route| route.log)
    }

    /// True for the requests that are counted, never logged one by one.
    pub fn is_unlogged(&self, request: &Request) -> bool {
        matches!(self.log(request), Log::Counted(_))
    }

    /// What a locked session meets at a matched path: its route's policy; for a method the
    /// path does not serve (answered 405), open only when every method of the path is; for
    /// a path not in the table, sent to `/unlock`. (A request that matched no route meets
    /// the fallback instead, which sends a locked session to `/unlock` except under the
    /// client view's prefix.)
    pub fn lock(&self, method: &Method, path: &str) -> Lock {
        if let Some(route) = self.route(method, path) {
            return route.lock;
        }
        let methods = self.methods(path);
        if !methods.is_empty() && methods.iter().all(|route| route.lock == Lock::Open) {
            Lock::Open
        } else {
            Lock::RedirectToUnlock
        }
    }
}

/// The route pattern a request matched, if any.
pub fn matched(request: &Request) -> Option<&str> {
    request
        .extensions()
        .get::<MatchedPath>()
        .map(MatchedPath::as_str)
}
