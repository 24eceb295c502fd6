//! Failed sign-ins in the database, so that every instance on a PostgreSQL database counts
//! the same failures (SPEC §7). What is counted against — a username or a client address —
//! is stored only as a keyed hash (HMAC-SHA-256 under a server key): a client address is
//! never stored in clear, and an address's hash cannot be tested against guesses without the
//! key. Each row carries when it may be forgotten, and expired rows are swept on every
//! attempt. (On SQLite the web layer counts in memory: one process per file.)

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::keys::THROTTLE_KEY;
use super::rows::StoredRow;
use super::{Engine, Store, StoreError, Tx};

/// What failures are counted against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ThrottleSubject {
    /// A username, as typed and folded.
    Username(String),
    /// A client address.
    Address(std::net::IpAddr),
}

impl ThrottleSubject {
    fn text(&self, scope: &str) -> String {
        match self {
            ThrottleSubject::Username(name) => format!("{scope}\0username\0{name}"),
            ThrottleSubject::Address(address) => format!("{scope}\0address\0{address}"),
        }
    }
}

/// The failures counted against one subject (unix seconds).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FailureCount {
    pub failures: u32,
    /// When the count may be forgotten (the end of its window, or of its lock).
    pub expires: i64,
    pub locked_until: Option<i64>,
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

impl Store {
    /// Reads the failure counts of `subjects` (in `scope`, e.g. "sign-in"), lets `update`
    /// change them, and writes them back, in one transaction that holds the subjects' rows
    /// (so two instances never count the same attempt past each other). Counts left at zero
    /// without a lock are deleted; every row expired at `now` is swept. PostgreSQL only.
    pub async fn update_failures<T>(
        &self,
        scope: &str,
        subjects: &[ThrottleSubject],
        now: i64,
        update: impl FnOnce(&mut [FailureCount]) -> T,
    ) -> Result<T, StoreError> {
        let Engine::Postgres { .. } = &self.engine else {
            return Err(StoreError::NotOnThisEngine(
                "sign-in failures are counted in memory on SQLite",
            ));
        };
        let key = self.server_key(THROTTLE_KEY).await?;
        let hashes: Vec<String> = subjects
            .iter()
            .map(|subject| keyed_hash(&key, &subject.text(scope)))
            .collect();
        // Lock the rows in one order, so that two attempts never wait for each other.
        let mut order: Vec<usize> = (0..hashes.len()).collect();
        order.sort_by(|a, b| hashes[*a].cmp(&hashes[*b]));
        let mut counts = vec![FailureCount::default(); hashes.len()];
        let mut transaction = self.writer().begin().await?;
        for &index in &order {
            counts[index] = on_tx!(&mut transaction, connection => {
                sqlx::query(
                    "INSERT INTO sign_in_failures (subject, failures, locked_until, expires) \
                     VALUES ($1, 0, NULL, 0) ON CONFLICT (subject) DO NOTHING",
                )
                .bind(&hashes[index])
                .execute(&mut *connection)
                .await?;
                let row = sqlx::query(
                    "SELECT failures, locked_until, expires FROM sign_in_failures \
                     WHERE subject = $1 FOR UPDATE",
                )
                .bind(&hashes[index])
                .fetch_one(&mut *connection)
                .await?;
                let locked_until: Option<i64> = sqlx::Row::try_get(&row, "locked_until")?;
                FailureCount {
                    failures: u32::try_from(row.int("failures")?).unwrap_or(u32::MAX),
                    expires: row.int("expires")?,
                    locked_until,
                }
            });
        }
        let answer = update(&mut counts);
        for (hash, count) in hashes.iter().zip(&counts) {
            write_count(&mut transaction, hash, count).await?;
        }
        on_tx!(&mut transaction, connection => sqlx::query(
            "DELETE FROM sign_in_failures WHERE expires <= $1 \
             AND (locked_until IS NULL OR locked_until <= $1)",
        )
        .bind(now)
        .execute(&mut *connection)
        .await?.rows_affected());
        transaction.commit().await?;
        Ok(answer)
    }
}

async fn write_count(
    transaction: &mut Tx<'_>,
    hash: &str,
    count: &FailureCount,
) -> Result<(), StoreError> {
    on_tx!(transaction, connection => {
        if count.failures == 0 && count.locked_until.is_none() {
            sqlx::query("DELETE FROM sign_in_failures WHERE subject = $1")
                .bind(hash)
                .execute(&mut *connection)
                .await?;
        } else {
            sqlx::query(
                "UPDATE sign_in_failures SET failures = $2, locked_until = $3, expires = $4 \
                 WHERE subject = $1",
            )
            .bind(hash)
            .bind(i64::from(count.failures))
            .bind(count.locked_until)
            .bind(count.expires.max(count.locked_until.unwrap_or(0)))
            .execute(&mut *connection)
            .await?;
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_are_stored_as_keyed_hashes_only() {
        let key = [7u8; 32];
        let address = ThrottleSubject::Address("192.0.2.7".parse().unwrap());
        let hash = keyed_hash(&key, &address.text("sign-in"));
        assert_eq!(hash.len(), 64);
        assert!(!hash.contains("192"));
        assert_ne!(hash, keyed_hash(&[8u8; 32], &address.text("sign-in")));
        assert_ne!(hash, keyed_hash(&key, &address.text("client")));
    }
}
