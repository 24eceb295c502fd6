//! TLS to PostgreSQL (issue 17, break 2): sqlx is built with rustls, so `sslmode=require`
//! works. The local test server runs with `ssl = on`; the app's own commands connect with
//! `sslmode=require`, and the server reports the connection encrypted (`pg_stat_ssl`).

mod common;

use common::server::{add_account_on, screener_on};
use common::{Engine, TestDatabase};
use sqlx::Connection;

#[tokio::test]
async fn the_app_connects_to_postgres_over_tls() {
    let db = TestDatabase::new(Engine::Postgres).await;
    let url = format!("{}?sslmode=require", db.url);
    add_account_on(&url, "alice");
    let (code, stdout, stderr) = screener_on(&url, &["check"], "");
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(!stderr.contains("TLS"), "{stderr}");

    let encrypted = |url: String| async move {
        let mut connection = sqlx::PgConnection::connect(&url).await.expect("connect");
        let ssl: bool =
            sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
                .fetch_one(&mut connection)
                .await
                .expect("pg_stat_ssl");
        connection.close().await.ok();
        ssl
    };
    assert!(encrypted(url).await, "sslmode=require is encrypted");
    assert!(
        !encrypted(format!("{}?sslmode=disable", db.url)).await,
        "the check can tell: sslmode=disable is not"
    );
}
