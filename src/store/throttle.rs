//! Failed sign-ins of accounts in the database, so that every instance on a PostgreSQL
//! database agrees on an account's count (PRODUCT §7). Only accounts are counted here, each under
//! a keyed hash (HMAC-SHA-256 under a server key) of its username: nothing keyed by a client
//! address is ever stored, since an address's hash falls to brute force by anyone who reads
//! the key from `server_keys` (counts by address stay in each process's memory). Each row
//! carries when it may be forgotten, and expired rows are swept by every count. (On SQLite
//! the web layer counts everything in memory: one process per file.)

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::{Engine, Store, StoreError};
use crate::accounts::Username;

/// What an account's failures are counted under: a keyed hash of its username. Made only from
/// a username, so no client address can be stored as one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSubject(String);

impl AccountSubject {
    /// The subject of `username` in `scope` (e.g. "sign-in") under `key`.
    pub fn new(key: &[u8; 32], scope: &str, username: &Username) -> AccountSubject {
        AccountSubject(keyed_hash(
            key,
            &format!("{scope}\0username\0{}", username.as_str()),
        ))
    }

    /// The hash, as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn keyed_hash(key: &[u8; 32], text: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(text.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Accounts' failure counts kept in the database for every instance on it, under keyed
/// hashes of their usernames in one scope. Made by [`Store::shared_failures`]: only where
/// several instances may share a database.
#[derive(Debug, Clone)]
pub struct SharedFailures {
    store: Store,
    key: [u8; 32],
    scope: &'static str,
}

impl SharedFailures {
    /// What `username`'s failures are counted under.
    pub fn subject(&self, username: &Username) -> AccountSubject {
        AccountSubject::new(&self.key, self.scope, username)
    }

    /// See [`Store::account_failures`].
    pub async fn failures(
        &self,
        subject: &AccountSubject,
        now: i64,
    ) -> Result<(u32, i64), StoreError> {
        self.store.account_failures(subject, now).await
    }

    /// See [`Store::count_account_failure`].
    pub async fn count(
        &self,
        subject: &AccountSubject,
        now: i64,
        window: i64,
    ) -> Result<u32, StoreError> {
        self.store.count_account_failure(subject, now, window).await
    }

    /// The store the counts are kept in (to audit what they start).
    pub fn store(&self) -> &Store {
        &self.store
    }
}

impl Store {
    /// Where accounts' failures in `scope` are counted for every instance: on PostgreSQL,
    /// which several instances may share; `None` on SQLite, where one process serves a file
    /// and counts them in memory.
    pub async fn shared_failures(
        &self,
        scope: &'static str,
    ) -> Result<Option<SharedFailures>, StoreError> {
        if !matches!(self.engine, Engine::Postgres { .. }) {
            return Ok(None);
        }
        Ok(Some(SharedFailures {
            store: self.clone(),
            key: self.server_key(super::THROTTLE_KEY).await?,
            scope,
        }))
    }

    /// The failures counted against `subject` that have not expired at `now` (unix seconds),
    /// and when the count expires (0 when there is none). PostgreSQL only.
    pub async fn account_failures(
        &self,
        subject: &AccountSubject,
        now: i64,
    ) -> Result<(u32, i64), StoreError> {
        let Engine::Postgres { pool } = &self.engine else {
            return Err(not_here());
        };
        let row: Option<(i64, i64)> = sqlx::query_as(
            "SELECT failures, expires FROM sign_in_failures WHERE subject = $1 AND expires > $2",
        )
        .bind(&subject.0)
        .bind(now)
        .fetch_optional(pool)
        .await?;
        Ok(row.map_or((0, 0), |(failures, expires)| {
            (u32::try_from(failures).unwrap_or(u32::MAX), expires)
        }))
    }

    /// Counts one more failure against `subject` (a count that had expired starts again at
    /// one), remembered until `window` seconds after `now`, and sweeps every expired row.
    /// Returns the count. PostgreSQL only.
    pub async fn count_account_failure(
        &self,
        subject: &AccountSubject,
        now: i64,
        window: i64,
    ) -> Result<u32, StoreError> {
        let Engine::Postgres { pool } = &self.engine else {
            return Err(not_here());
        };
        let mut transaction = pool.begin().await?;
        let failures: i64 = sqlx::query_scalar(
            "INSERT INTO sign_in_failures (subject, failures, locked_until, expires) \
             VALUES ($1, 1, NULL, $3) \
             ON CONFLICT (subject) DO UPDATE SET \
             failures = CASE WHEN sign_in_failures.expires <= $2 THEN 1 \
                        ELSE sign_in_failures.failures + 1 END, \
             locked_until = NULL, expires = EXCLUDED.expires \
             RETURNING failures",
        )
        .bind(&subject.0)
        .bind(now)
        .bind(now + window)
        .fetch_one(&mut *transaction)
        .await?;
        sqlx::query("DELETE FROM sign_in_failures WHERE expires <= $1")
            .bind(now)
            .execute(&mut *transaction)
            .await?;
        transaction.commit().await?;
        Ok(u32::try_from(failures).unwrap_or(u32::MAX))
    }
}

fn not_here() -> StoreError {
    StoreError::NotOnThisEngine("sign-in failures are counted in memory on SQLite")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_are_keyed_hashes_of_usernames() {
        let key = [7u8; 32];
        let alice = Username::parse("alice").unwrap();
        let AccountSubject(hash) = AccountSubject::new(&key, "sign-in", &alice);
        assert_eq!(hash.len(), 64);
        assert!(!hash.contains("alice"));
        assert_ne!(
            AccountSubject(hash.clone()),
            AccountSubject::new(&[8u8; 32], "sign-in", &alice)
        );
        assert_ne!(
            AccountSubject(hash),
            AccountSubject::new(&key, "client", &alice)
        );
    }
}
