//! The web layer: parses requests into clinical types at the boundary, calls the store and
//! renders templates. One module per resource (the client view, PRODUCT §6, in `client`, apart from
//! the clinician's pages); the plumbing every page shares in `plumbing`, which needs no page;
//! [`routes`] is the table of them all.

mod accounts;
mod auth;
mod client;
mod dashboard;
mod drafts;
mod exports;
mod health;
mod invitations;
mod plumbing;
pub mod routes;
mod screenings;
mod static_files;
mod two_factor;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Router, middleware};
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::csrf::{CsrfLayer, ProtectionError};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, OnResponse, TraceLayer};
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};
use tracing::Level;

pub use plumbing::activity::keep_failure_for_count;
pub use plumbing::activity::may_log;
pub use plumbing::error::WebError;
pub use plumbing::limit::BODY_LIMIT_BYTES;
pub use plumbing::listen::{HEADER_READ_TIMEOUT, connection_cap};
pub use plumbing::state::AppState;
use plumbing::{activity, error, limit, listen, lock, session};

/// How long a request may take before it is answered 408.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// The session cookie's name.
pub const SESSION_COOKIE: &str = "screener_session";

const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

/// The application's routes and middleware.
pub fn router(state: AppState) -> Router {
    let sessions = SessionManagerLayer::new(state.store.session_store())
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.security.secure_cookies)
        .with_expiry(Expiry::OnInactivity(time::Duration::minutes(i64::from(
            state.security.session_idle_minutes,
        ))));
    let hsts = state
        .security
        .secure_cookies
        .then(|| HeaderValue::from_static("max-age=31536000; includeSubDomains"));

    let policies = routes::policies();
    let counting = (policies.clone(), state.activity.clone());
    routes::router(&state)
        .layer(middleware::from_fn_with_state(
            policies.clone(),
            lock::enforce,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            session::end_old_sessions,
        ))
        .layer(sessions)
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .layer(middleware::from_fn(limit::limit_body))
        .layer(
            CsrfLayer::new()
                .with_rejection_response(|_: ProtectionError| WebError::Forbidden.into_response()),
        )
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(middleware::from_fn(explain_edge_refusals))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        // Pages show results and account data: never cached. Static assets set their own.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            hsts,
        ))
        .layer(CatchPanicLayer::custom(error::panic_response))
        // Outside every other layer but the log's, so that nothing they log (sessions, CSRF,
        // the lock, a panic) is written while a counted request runs.
        .layer(middleware::from_fn_with_state(counting, mark_unlogged))
        .layer(
            // Logs name the matched route (`/admin/clinicians/{username}/active`), never the
            // concrete path, a query, a header, an address or a body (PRODUCT §4). Routes that
            // concern a client are counted, never logged with a time: see `activity` and the
            // route table.
            TraceLayer::new_for_http()
                .make_span_with(move |request: &Request| {
                    if policies.is_unlogged(request) {
                        return tracing::Span::none();
                    }
                    let route = request
                        .extensions()
                        .get::<MatchedPath>()
                        .map_or("(no route)", MatchedPath::as_str);
                    tracing::info_span!("request", method = %request.method(), route = %route)
                })
                .on_request(())
                .on_eos(())
                // Server errors are logged by `on_response`, for logged routes only.
                .on_failure(())
                .on_response(
                    |response: &Response, latency: Duration, span: &tracing::Span| {
                        if response.extensions().get::<activity::Unlogged>().is_none() {
                            let level = if response.status().is_server_error() {
                                Level::ERROR
                            } else {
                                Level::INFO
                            };
                            DefaultOnResponse::new()
                                .level(level)
                                .on_response(response, latency, span);
                        }
                    },
                ),
        )
        .with_state(state)
}

/// Runs the requests of counted routes with logging off, counts them and marks their
/// responses (see [`activity`]); the route table says which routes are counted.
async fn mark_unlogged(
    State((policies, activity)): State<(routes::Policies, Arc<activity::Activity>)>,
    request: Request,
    next: middleware::Next,
) -> Response {
    match policies.log(&request) {
        routes::Log::Line => next.run(request).await,
        routes::Log::Counted(category) => activity.run_counted(category, next.run(request)).await,
    }
}

/// The timeout (and the extractors' body limit, should a body ever reach one over the limit)
/// answer with a bare status; this gives them a page that says what happened. Under `/c/`,
/// every refusal that is not the client view's own page (a body too large, a timeout, a
/// cross-site form) gets the client's page instead of the clinician's.
async fn explain_edge_refusals(request: Request, next: middleware::Next) -> Response {
    let client_headers =
        client::is_client_path(request.uri().path()).then(|| request.headers().clone());
    let response = next.run(request).await;
    if let Some(headers) = client_headers {
        let status = response.status();
        let own = response.extensions().get::<client::ClientPage>().is_some();
        if !own && (status.is_client_error() || status.is_server_error()) {
            let mut page = client::trouble(&headers, status);
            if let Some(retry) = response.headers().get(header::RETRY_AFTER) {
                page.headers_mut()
                    .insert(header::RETRY_AFTER, retry.clone());
            }
            return page;
        }
        return response;
    }
    match response.status() {
        StatusCode::PAYLOAD_TOO_LARGE => WebError::TooLarge(BODY_LIMIT_BYTES).into_response(),
        StatusCode::REQUEST_TIMEOUT => WebError::TimedOut.into_response(),
        _ => response,
    }
}

/// How long, by default, a stopping server waits for open connections before closing them.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// How often expired sessions are deleted from the database.
const SESSION_SWEEP_PERIOD: Duration = Duration::from_secs(15 * 60);
/// How often expired invitations are deleted from the database.
const INVITATION_SWEEP_PERIOD: Duration = Duration::from_secs(5 * 60);
/// How often expired drafts are deleted from the database.
const DRAFT_SWEEP_PERIOD: Duration = Duration::from_secs(5 * 60);

/// Serves the app on `listener` until `shutdown` completes, then lets in-flight requests
/// finish (for at most [`SHUTDOWN_GRACE`]).
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with_grace(listener, state, shutdown, SHUTDOWN_GRACE).await
}

/// Serves the app on `listener` until `shutdown` completes; then stops accepting and lets the
/// requests in flight finish. Connections still open `grace` later (a client that never
/// finishes sending its request would otherwise hold the stop forever) are closed. Idle
/// connections are bounded by a header-read timeout ([`HEADER_READ_TIMEOUT`]) and a
/// connection cap ([`connection_cap`]).
pub async fn serve_with_grace(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> std::io::Result<()> {
    let sweeper = tokio::spawn(
        state
            .store
            .clone()
            .sweep_expired_sessions(SESSION_SWEEP_PERIOD),
    );
    let activity = state.activity.clone();
    let reporter = tokio::spawn(activity.clone().report());
    let invitation_sweeper = tokio::spawn(
        state
            .store
            .clone()
            .sweep_invitations_every(INVITATION_SWEEP_PERIOD),
    );
    let draft_sweeper = tokio::spawn(state.store.clone().sweep_drafts_every(DRAFT_SWEEP_PERIOD));
    let served = listen::serve(listener, router(state), shutdown, grace).await;
    sweeper.abort();
    reporter.abort();
    activity.log_counts();
    invitation_sweeper.abort();
    draft_sweeper.abort();
    served
}
