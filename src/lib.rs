//! Intake Screener: a self-hosted, de-identified screening aid for therapists (after
//! Weiss, 2015). The layers point one way: `screening` (pure clinical core) ← `store` (SQL)
//! ← `web` (HTTP) ← `cli`.

pub mod accounts;
pub mod cli;
pub mod config;
pub mod export;
pub mod memory;
pub mod screening;
pub mod store;
pub mod two_factor;
pub mod web;
