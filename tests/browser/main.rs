//! The browser tests, one binary of their own (they need Chromium and chromedriver, which the
//! integration tests in `tests/it/` do not): the whole flow (`flow`), the client's view
//! (`client`) and drafts (`drafts`) in headless Chromium through one chromedriver
//! (`webdriver`), against the app started by the integration tests' harness.

// The harness of `tests/it/`, shared: these tests start the app (`TestApp`) but use little
// else of it (no child servers, no PostgreSQL, no rules helpers).
#[allow(dead_code)]
#[path = "../it/helpers/mod.rs"]
mod helpers;
mod webdriver;

mod client;
mod drafts;
mod flow;
mod two_factor;
