//! The web layer's plumbing, shared by every page and needing none of them: sessions and
//! their gates, CSRF form tokens, device cookies, errors, the page layout, body limits,
//! throttles, the lock of a handed-over device, request counts, static assets, what a route
//! is, the cookies that carry a client's token instead of a URL, and the accept loop.

pub mod activity;
pub mod assets;
pub mod client_address;
pub mod cookie;
pub mod device_cookie;
pub mod error;
pub mod form_token;
pub mod identity;
pub mod layout;
pub mod limit;
pub mod listen;
pub mod lock;
pub mod pending_sign_in;
pub mod policy;
pub mod route;
pub mod session;
pub mod state;
pub mod throttle;
pub mod token_cookie;
