//! The integration tests, one binary (one link of the app, reqwest and sqlx instead of one
//! per file): a module per area, the harness in `helpers/`. Run one area with
//! `cargo test --test it http_accounts::`, one engine with `cargo test --test it sqlite`.
//! The browser tests are the other binary, `tests/browser/`.

mod helpers;

// The scoring rules and the answers' parsers, pure (no server, no database).
mod answers_parsing;
mod result_wording;
mod rules_pinned;
mod scoring_rules;
mod scoring_rules_v2;
mod scoring_rules_v3;

// HTTP against the app in process (helpers::TestApp), mostly on both engines.
mod http_accounts;
mod http_drafts;
mod http_edge;
mod http_invitations;
mod http_not_screened;
mod http_review;
mod http_screenings;
mod http_sessions;
mod http_throttle;
mod http_token_history;
mod schema;
mod store_faults;
mod two_factor;

// The real `screener` binary as a child process (helpers::server), and PostgreSQL servers of
// their own (helpers::pg_server).
mod cli;
mod database_outage;
mod durability;
mod idle_connections;
mod instances;
mod log_privacy;
mod operations;
mod postgres_tls;
mod privacy_files;
mod shutdown;
mod upgrade;
