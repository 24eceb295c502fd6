//! Sign-in throttling: after repeated failures for a username or from an address, further
//! attempts are refused for a while. Kept in memory only: addresses are never stored
//! (SPEC §4), and a restart clearing the counts is an acceptable cost.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::accounts::Username;

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

/// Counts failed sign-ins per username and per address.
#[derive(Debug, Default)]
pub struct Throttle {
    failures: Mutex<HashMap<Key, Failures>>,
}

impl Throttle {
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
    /// slip past the limit while passwords are being checked — and [`Throttle::succeeded`]
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

    /// Takes back an attempt [`Throttle::begin`] counted against `address` alone.
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
    /// address's count loses the attempt [`Throttle::begin`] counted.
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
        let throttle = Throttle::default();
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
        let throttle = Throttle::default();
        let address: IpAddr = "192.0.2.7".parse().unwrap();
        let alice = Username::parse("alice").unwrap();
        for _ in 0..ADDRESS_FAILURES * 2 {
            assert_eq!(throttle.begin(Some(&alice), Some(address)), Ok(false));
            throttle.succeeded(&alice, Some(address));
        }
    }

    #[test]
    fn an_address_locks_after_its_own_limit() {
        let throttle = Throttle::default();
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
