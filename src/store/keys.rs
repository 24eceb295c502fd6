//! Secrets of the server, made once at random and kept in the database, so that every server
//! process on it (and the same process after a restart) agrees on them.

use rand::RngCore;

use super::{Store, StoreError};

/// The name of the key that signs the tokens of forms shown without a session.
pub const FORM_TOKEN_KEY: &str = "form_tokens";

/// The name of the key that signs device cookies (used for nothing else).
pub const DEVICE_COOKIE_KEY: &str = "device_cookies";

/// The name of the key that hashes accounts' usernames for sign-in throttling.
pub const THROTTLE_KEY: &str = "sign_in_throttle";

/// The name of the key that seals clinicians' TOTP secrets at rest (used for nothing else).
pub const TWO_FACTOR_KEY: &str = "two_factor_secrets";

/// The name of the key that signs the cookie of a sign-in waiting for its second step.
pub const PENDING_SIGN_IN_KEY: &str = "pending_sign_ins";

impl Store {
    /// The 32-byte key named `name`, made at random the first time it is asked for.
    pub async fn server_key(&self, name: &str) -> Result<[u8; 32], StoreError> {
        let mut fresh = [0u8; 32];
        rand::rng().fill_bytes(&mut fresh);
        // Every instance on the database gets the key the first one made.
        let stored: Vec<u8> = on_pool!(self.writer(), pool => {
            sqlx::query(
                "INSERT INTO server_keys (name, secret) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
            )
            .bind(name)
            .bind(fresh.as_slice())
            .execute(pool)
            .await?;
            sqlx::query_scalar("SELECT secret FROM server_keys WHERE name = $1")
                .bind(name)
                .fetch_one(pool)
                .await?
        });
        stored
            .try_into()
            .map_err(|_| StoreError::Corrupt(format!("server key {name:?} is not 32 bytes")))
    }
}
