//! Sign-in throttling: after repeated failures for a username or from an address, further
//! attempts are refused for a while. On SQLite (one server process) the counts are kept in
//! memory only: addresses are never stored (SPEC §4), and a restart clearing the counts is an
//! acceptable cost. On PostgreSQL (any number of instances) they are counted in the database,
//! under a keyed hash of the username or address with an expiry (see the store), so that
//! every instance counts the same failures.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::accounts::Username;
use crate::store::{FailureCount, Store, ThrottleSubject};

/// Failures for one username before it is locked.
pub const USERNAME_FAILURES: u32 = 5;
/// Failures from one address before it is locked (higher: a clinic's proxy or NAT puts many
/// people behind one address).
pub const ADDRESS_FAILURES: u32 = 20;
/// How long failures are counted, and how long a lock lasts.
pub const LOCK_DURATION: Duration = Duration::from_secs(15 * 60);
/// Entries kept before expired ones are swept.
const SWEEP_ABOVE: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Username(String),
    Address(IpAddr),
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    since: Instant,
    locked_until: Option<Instant>,
}

/// Counts failed sign-ins per username and per address, in memory or in the database.
#[derive(Debug)]
pub enum Throttle {
    /// This process's own counts (SQLite).
    Memory(MemoryThrottle),
    /// Counts shared by every instance (PostgreSQL); `scope` keeps sign-in's counts apart
    /// from others'.
    Database { store: Store, scope: &'static str },
}

impl Throttle {
    /// The throttle for a server on `store`.
    pub fn for_store(store: &Store, scope: &'static str) -> Throttle {
        if store.is_postgres() {
            Throttle::Database {
                store: store.clone(),
                scope,
            }
        } else {
            Throttle::Memory(MemoryThrottle::default())
        }
    }

    /// See [`MemoryThrottle::begin`]. A database that fails to count lets the attempt
    /// through (logged): the sign-in itself needs the database and fails with it.
    pub async fn begin(
        &self,
        username: Option<&Username>,
        address: Option<IpAddr>,
    ) -> Result<bool, Duration> {
        match self {
            Throttle::Memory(throttle) => throttle.begin(username, address),
            Throttle::Database { store, scope } => {
                let (subjects, limits) = subjects(username, address);
                let now = unix_now();
                let lock = LOCK_DURATION.as_secs() as i64;
                let counted = store
                    .update_failures(scope, &subjects, now, |counts| {
                        let locked = counts
                            .iter()
                            .filter_map(|count| count.locked_until)
                            .filter(|until| *until > now)
                            .max();
                        if let Some(until) = locked {
                            return Err(Duration::from_secs((until - now) as u64));
                        }
                        let mut lock_started = false;
                        for (count, limit) in counts.iter_mut().zip(&limits) {
                            let lock_over = count.locked_until.is_some_and(|until| until <= now);
                            if lock_over || count.expires <= now {
                                *count = FailureCount {
                                    failures: 0,
                                    expires: now + lock,
                                    locked_until: None,
                                };
                            }
                            count.failures += 1;
                            if count.failures >= *limit && count.locked_until.is_none() {
                                count.locked_until = Some(now + lock);
                                lock_started = true;
                            }
                        }
                        Ok(lock_started)
                    })
                    .await;
                counted.unwrap_or_else(|error| {
                    tracing::warn!(%error, "could not count a sign-in attempt");
                    Ok(false)
                })
            }
        }
    }

    /// See [`MemoryThrottle::forgive`].
    pub async fn forgive(&self, address: IpAddr) {
        match self {
            Throttle::Memory(throttle) => throttle.forgive(address),
            Throttle::Database { store, scope } => {
                let forgiven = store
                    .update_failures(
                        scope,
                        &[ThrottleSubject::Address(address)],
                        unix_now(),
                        |counts| {
                            for count in counts {
                                forgive(count);
                            }
                        },
                    )
                    .await;
                if let Err(error) = forgiven {
                    tracing::warn!(%error, "could not take back a sign-in attempt");
                }
            }
        }
    }

    /// See [`MemoryThrottle::succeeded`].
    pub async fn succeeded(&self, username: &Username, address: Option<IpAddr>) {
        match self {
            Throttle::Memory(throttle) => throttle.succeeded(username, address),
            Throttle::Database { store, scope } => {
                let (subjects, _) = subjects(Some(username), address);
                let cleared = store
                    .update_failures(scope, &subjects, unix_now(), |counts| {
                        if let Some((first, addresses)) = counts.split_first_mut() {
                            *first = FailureCount::default();
                            for count in addresses {
                                forgive(count);
                            }
                        }
                    })
                    .await;
                if let Err(error) = cleared {
                    tracing::warn!(%error, "could not clear sign-in failures");
                }
            }
        }
    }
}

/// Takes one attempt back from an address's count.
fn forgive(count: &mut FailureCount) {
    count.failures = count.failures.saturating_sub(1);
    if count.failures < ADDRESS_FAILURES {
        count.locked_until = None;
    }
}

/// The subjects of an attempt and their limits: the username first, then the address.
fn subjects(
    username: Option<&Username>,
    address: Option<IpAddr>,
) -> (Vec<ThrottleSubject>, Vec<u32>) {
    let mut subjects = Vec::with_capacity(2);
    let mut limits = Vec::with_capacity(2);
    if let Some(username) = username {
        subjects.push(ThrottleSubject::Username(username.as_str().to_owned()));
        limits.push(USERNAME_FAILURES);
    }
    if let Some(address) = address {
        subjects.push(ThrottleSubject::Address(address));
        limits.push(ADDRESS_FAILURES);
    }
    (subjects, limits)
}

fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Counts failed sign-ins per username and per address, in this process's memory.
#[derive(Debug, Default)]
pub struct MemoryThrottle {
    failures: Mutex<HashMap<Key, Failures>>,
}

impl MemoryThrottle {
    fn keys(username: Option<&Username>, address: Option<IpAddr>) -> Vec<(Key, u32)> {
        let mut keys = Vec::with_capacity(2);
        if let Some(username) = username {
            keys.push((
                Key::Username(username.as_str().to_owned()),
                USERNAME_FAILURES,
            ));
        }
        if let Some(address) = address {
            keys.push((Key::Address(address), ADDRESS_FAILURES));
        }
        keys
    }

    /// Starts a sign-in attempt. A locked username or address is refused with the time left.
    /// Otherwise the attempt is counted as a failure at once — so parallel attempts cannot
    /// slip past the limit while passwords are being checked — and [`MemoryThrottle::succeeded`]
    /// takes it back if it succeeds. The answer says whether this attempt started a lock.
    pub fn begin(
        &self,
        username: Option<&Username>,
        address: Option<IpAddr>,
    ) -> Result<bool, Duration> {
        let now = Instant::now();
        let mut failures = self
            .failures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let keys = Self::keys(username, address);
        let locked = keys
            .iter()
            .filter_map(|(key, _)| failures.get(key)?.locked_until)
            .filter(|until| *until > now)
            .map(|until| until - now)
            .max();
        if let Some(wait) = locked {
            return Err(wait);
        }
        if failures.len() > SWEEP_ABOVE {
            failures.retain(|_, entry| {
                now.duration_since(entry.since) < LOCK_DURATION
                    || entry.locked_until.is_some_and(|until| until > now)
            });
        }
        let mut lock_started = false;
        for (key, limit) in keys {
            let entry = failures.entry(key).or_insert(Failures {
                count: 0,
                since: now,
                locked_until: None,
            });
            let lock_over = entry.locked_until.is_some_and(|until| until <= now);
            if lock_over || now.duration_since(entry.since) >= LOCK_DURATION {
                *entry = Failures {
                    count: 0,
                    since: now,
                    locked_until: None,
                };
            }
            entry.count += 1;
            if entry.count >= limit && entry.locked_until.is_none() {
                entry.locked_until = Some(now + LOCK_DURATION);
                lock_started = true;
            }
        }
        Ok(lock_started)
    }

    /// Takes back an attempt [`MemoryThrottle::begin`] counted against `address` alone.
    pub fn forgive(&self, address: IpAddr) {
        let mut failures = self
            .failures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(entry) = failures.get_mut(&Key::Address(address)) {
            entry.count = entry.count.saturating_sub(1);
            if entry.count < ADDRESS_FAILURES {
                entry.locked_until = None;
            }
        }
    }

    /// Takes back a successful attempt: the username's failures are forgotten, and the
    /// address's count loses the attempt [`MemoryThrottle::begin`] counted.
    pub fn succeeded(&self, username: &Username, address: Option<IpAddr>) {
        let mut failures = self
            .failures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        failures.remove(&Key::Username(username.as_str().to_owned()));
        if let Some(entry) = address.and_then(|address| failures.get_mut(&Key::Address(address))) {
            entry.count = entry.count.saturating_sub(1);
            if entry.count < ADDRESS_FAILURES {
                entry.locked_until = None;
            }
        }
    }
}

/// The client's address: the TCP peer, or behind a reverse proxy (`--behind-proxy`) the
/// address the proxy appended last to `X-Forwarded-For`. Used only in memory, for throttling.
pub fn client_address(
    state: &super::state::AppState,
    peer: SocketAddr,
    headers: &HeaderMap,
) -> IpAddr {
    let forwarded = || {
        let last = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .next_back()?;
        last.trim().parse::<IpAddr>().ok()
    };
    if state.security.behind_proxy {
        forwarded().unwrap_or(peer.ip())
    } else {
        peer.ip()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_lock_a_username_and_success_clears_it() {
        let throttle = MemoryThrottle::default();
        let alice = Username::parse("alice").unwrap();
        for n in 1..USERNAME_FAILURES {
            assert_eq!(throttle.begin(Some(&alice), None), Ok(false), "attempt {n}");
        }
        assert_eq!(
            throttle.begin(Some(&alice), None),
            Ok(true),
            "the fifth starts the lock"
        );
        let wait = throttle.begin(Some(&alice), None).expect_err("locked");
        assert!(wait > Duration::from_secs(14 * 60));
        let bob = Username::parse("bob").unwrap();
        assert_eq!(
            throttle.begin(Some(&bob), None),
            Ok(false),
            "others unaffected"
        );
        throttle.succeeded(&alice, None);
        assert_eq!(throttle.begin(Some(&alice), None), Ok(false));
    }

    #[test]
    fn a_success_does_not_count_against_its_address() {
        let throttle = MemoryThrottle::default();
        let address: IpAddr = "192.0.2.7".parse().unwrap();
        let alice = Username::parse("alice").unwrap();
        for _ in 0..ADDRESS_FAILURES * 2 {
            assert_eq!(throttle.begin(Some(&alice), Some(address)), Ok(false));
            throttle.succeeded(&alice, Some(address));
        }
    }

    #[test]
    fn an_address_locks_after_its_own_limit() {
        let throttle = MemoryThrottle::default();
        let address: IpAddr = "192.0.2.7".parse().unwrap();
        for n in 0..ADDRESS_FAILURES {
            let name = Username::parse(&format!("user{n}")).unwrap();
            assert!(
                throttle.begin(Some(&name), Some(address)).is_ok(),
                "attempt {n}"
            );
        }
        let other = Username::parse("other").unwrap();
        assert!(throttle.begin(Some(&other), Some(address)).is_err());
    }
}
