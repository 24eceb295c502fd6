//! Session ids are never stored as they are: the store keeps a hash of each id (SHA-256,
//! truncated to 128 bits), so someone who reads the database file or a backup learns no
//! cookie that signs anyone in. The id in the cookie is 128 random bits: its hash cannot be
//! turned back into it.

use async_trait::async_trait;
use sha2::{Digest, Sha256};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

/// Separates these hashes from any other use of SHA-256.
const DOMAIN: &[u8] = b"intake-screener session id v1\0";

/// The id under which the session with cookie id `id` is stored.
pub fn stored_id(id: &Id) -> Id {
    let digest = Sha256::new()
        .chain_update(DOMAIN)
        .chain_update(id.0.to_le_bytes())
        .finalize();
    let mut first = [0u8; 16];
    first.copy_from_slice(&digest[..16]);
    Id(i128::from_le_bytes(first))
}

/// A session store that hands `inner` only hashed ids.
#[derive(Debug, Clone)]
pub struct HashedSessionIds<S> {
    inner: S,
}

impl<S> HashedSessionIds<S> {
    /// Wraps `inner`.
    pub fn new(inner: S) -> HashedSessionIds<S> {
        HashedSessionIds { inner }
    }
}

fn hashed(record: &Record) -> Record {
    Record {
        id: stored_id(&record.id),
        data: record.data.clone(),
        expiry_date: record.expiry_date,
    }
}

#[async_trait]
impl<S: SessionStore> SessionStore for HashedSessionIds<S> {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        loop {
            let mut stored = hashed(record);
            let wanted = stored.id;
            self.inner.create(&mut stored).await?;
            if stored.id == wanted {
                return Ok(());
            }
            // The inner store met a clash and picked an id of its own, which no cookie
            // hashes to: take it back and start over with a new cookie id.
            self.inner.delete(&stored.id).await?;
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.inner.save(&hashed(record)).await
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        Ok(self
            .inner
            .load(&stored_id(id))
            .await?
            .map(|record| Record { id: *id, ..record }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.inner.delete(&stored_id(id)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SessionCache;

    #[tokio::test]
    async fn the_inner_store_sees_only_hashed_ids() {
        let inner = SessionCache::default();
        let store = HashedSessionIds::new(inner.clone());
        let mut record = Record {
            id: Id::default(),
            data: Default::default(),
            expiry_date: time::OffsetDateTime::now_utc() + time::Duration::minutes(5),
        };
        store.create(&mut record).await.unwrap();
        assert_eq!(inner.load(&record.id).await.unwrap(), None);
        assert!(inner.load(&stored_id(&record.id)).await.unwrap().is_some());
        assert_eq!(store.load(&record.id).await.unwrap(), Some(record.clone()));
        // A stored id used as a cookie finds nothing.
        assert_eq!(store.load(&stored_id(&record.id)).await.unwrap(), None);
        store.delete(&record.id).await.unwrap();
        assert_eq!(inner.load(&stored_id(&record.id)).await.unwrap(), None);
    }
}
