//! SQLite only: a bounded in-memory copy of sign-in sessions in front of tower-sessions'
//! SQLite store, so that reading the session on every request costs no database round trip.
//! Every change is written to SQLite as well (sessions survive a restart); the copy is only
//! read by this process, the only one that writes sessions to that file. PostgreSQL has no
//! such copy (any number of instances share its sessions).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore as Sessions};

/// Sessions kept in memory before the oldest are let go.
const MAX_CACHED_SESSIONS: usize = 10_000;

/// The in-memory copy of recently used sessions.
#[derive(Debug, Clone, Default)]
pub struct SessionCache {
    records: Arc<Mutex<HashMap<Id, Record>>>,
}

impl SessionCache {
    fn records(&self) -> std::sync::MutexGuard<'_, HashMap<Id, Record>> {
        self.records
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn is_live(record: &Record) -> bool {
    record.expiry_date > time::OffsetDateTime::now_utc()
}

#[async_trait]
impl Sessions for SessionCache {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        self.save(record).await
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let mut records = self.records();
        if records.len() >= MAX_CACHED_SESSIONS && !records.contains_key(&record.id) {
            records.retain(|_, record| is_live(record));
            if records.len() >= MAX_CACHED_SESSIONS {
                // Still full of live sessions: start over; they are read back from SQLite.
                records.clear();
            }
        }
        records.insert(record.id, record.clone());
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        Ok(self
            .records()
            .get(id)
            .filter(|record| is_live(record))
            .cloned())
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.records().remove(id);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(expires_in: time::Duration) -> Record {
        Record {
            id: Id::default(),
            data: Default::default(),
            expiry_date: time::OffsetDateTime::now_utc() + expires_in,
        }
    }

    #[tokio::test]
    async fn keeps_live_sessions_forgets_expired_and_deleted_ones_and_stays_bounded() {
        let cache = SessionCache::default();
        let live = record(time::Duration::minutes(30));
        let expired = record(time::Duration::seconds(-1));
        cache.save(&live).await.unwrap();
        cache.save(&expired).await.unwrap();
        assert_eq!(cache.load(&live.id).await.unwrap(), Some(live.clone()));
        assert_eq!(cache.load(&expired.id).await.unwrap(), None);
        cache.delete(&live.id).await.unwrap();
        assert_eq!(cache.load(&live.id).await.unwrap(), None);
        for _ in 0..MAX_CACHED_SESSIONS + 10 {
            cache
                .save(&record(time::Duration::minutes(30)))
                .await
                .unwrap();
        }
        assert!(cache.records().len() <= MAX_CACHED_SESSIONS);
    }
}
