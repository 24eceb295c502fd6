//! Test harness: the real server on a random port against a fresh SQLite file.
#![allow(dead_code)]

use std::path::PathBuf;

use intake_screener::store::Store;
use intake_screener::web::{self, AppState};
use reqwest::redirect::Policy;
use sqlx::sqlite::SqlitePool;
use tempfile::TempDir;
use tokio::net::TcpListener;

/// A running app and a client that keeps cookies and does not follow redirects.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db_path: PathBuf,
    _dir: TempDir,
}

/// The answers of SPEC §3.2's example, as form pairs.
pub const EXAMPLE_FORM: &[(&str, &str)] = &[
    ("q1_concern_expressed", "yes"),
    ("q2_self_concern", "no"),
    ("q3_escape", "exercise"),
    ("q3_escape", "pornography"),
    ("q4_secrets", "yes"),
    ("q5_others_disturbed", "declined"),
    ("q6_shame", "no"),
    ("pattern", "intense_periods"),
    ("control", "retained"),
    ("escape_use", "on"),
    ("secrecy", "on"),
];

/// Starts the app on 127.0.0.1 with a port the OS picks and a new database file.
pub async fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let db_path = dir.path().join("screener.db");
    let store = Store::open(&database_url(&db_path)).await.expect("open store");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = format!("http://{}", listener.local_addr().expect("local addr"));
    tokio::spawn(web::serve(listener, AppState { store }, std::future::pending()));
    let client = reqwest::Client::builder()
        .redirect(Policy::none())
        .cookie_store(true)
        .build()
        .expect("client");
    TestApp {
        address,
        client,
        db_path,
        _dir: dir,
    }
}

pub fn database_url(path: &std::path::Path) -> String {
    format!("sqlite://{}", path.display())
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn post_form(&self, path: &str, pairs: &[(&str, &str)]) -> reqwest::Response {
        let body = form_body(pairs);
        self.client
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("POST")
    }

    /// Submits a screening that must be accepted and returns its result path.
    pub async fn submit(&self, pairs: &[(&str, &str)]) -> String {
        let response = self.post_form("/screenings", pairs).await;
        assert_eq!(response.status(), 303, "submission refused");
        response
            .headers()
            .get("location")
            .expect("location")
            .to_str()
            .expect("ascii location")
            .to_owned()
    }

    /// A separate read-only look at the database file, as an auditor with sqlite3 would.
    pub async fn database(&self) -> SqlitePool {
        SqlitePool::connect(&format!("{}?mode=ro", database_url(&self.db_path)))
            .await
            .expect("open database")
    }

    pub async fn count_screenings(&self) -> i64 {
        let pool = self.database().await;
        let count = sqlx::query_scalar("SELECT count(*) FROM screenings")
            .fetch_one(&pool)
            .await
            .expect("count");
        pool.close().await;
        count
    }
}

pub fn form_body(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// The pairs with `field` removed.
pub fn without(pairs: &[(&'static str, &'static str)], field: &str) -> Vec<(&'static str, &'static str)> {
    pairs.iter().copied().filter(|(f, _)| *f != field).collect()
}
