//! Sign-in throttling: after repeated failures for a username or from an address, further
//! attempts are refused for a while. Kept in memory only: addresses are never stored
//! (SPEC §4), and a restart clearing the counts is an acceptable cost.

use std::collections::HashMap;
use std::net::IpAddr;
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

    /// How long until a locked username or address may try again; `None` when not locked.
    pub fn locked_for(
        &self,
        username: Option<&Username>,
        address: Option<IpAddr>,
    ) -> Option<Duration> {
        let now = Instant::now();
        let failures = self
            .failures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Self::keys(username, address)
            .iter()
            .filter_map(|(key, _)| failures.get(key)?.locked_until)
            .filter(|until| *until > now)
            .map(|until| until - now)
            .max()
    }

    /// Records a failed sign-in.
    pub fn record_failure(&self, username: Option<&Username>, address: Option<IpAddr>) {
        let now = Instant::now();
        let mut failures = self
            .failures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if failures.len() > SWEEP_ABOVE {
            failures.retain(|_, entry| {
                now.duration_since(entry.since) < LOCK_DURATION
                    || entry.locked_until.is_some_and(|until| until > now)
            });
        }
        for (key, limit) in Self::keys(username, address) {
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
            if entry.count >= limit {
                entry.locked_until = Some(now + LOCK_DURATION);
            }
        }
    }

    /// Forgets a username's failures after it signs in.
    pub fn record_success(&self, username: &Username) {
        let mut failures = self
            .failures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        failures.remove(&Key::Username(username.as_str().to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_lock_a_username_and_success_clears_it() {
        let throttle = Throttle::default();
        let alice = Username::parse("alice").unwrap();
        for _ in 0..USERNAME_FAILURES - 1 {
            throttle.record_failure(Some(&alice), None);
            assert_eq!(throttle.locked_for(Some(&alice), None), None);
        }
        throttle.record_failure(Some(&alice), None);
        let locked = throttle.locked_for(Some(&alice), None).expect("locked");
        assert!(locked > Duration::from_secs(14 * 60));
        let bob = Username::parse("bob").unwrap();
        assert_eq!(
            throttle.locked_for(Some(&bob), None),
            None,
            "others unaffected"
        );
        throttle.record_success(&alice);
        assert_eq!(throttle.locked_for(Some(&alice), None), None);
    }

    #[test]
    fn an_address_locks_after_its_own_limit() {
        let throttle = Throttle::default();
        let address: IpAddr = "192.0.2.7".parse().unwrap();
        for n in 0..ADDRESS_FAILURES {
            assert_eq!(throttle.locked_for(None, Some(address)), None, "after {n}");
            let name = Username::parse(&format!("user{n}")).unwrap();
            throttle.record_failure(Some(&name), Some(address));
        }
        assert!(throttle.locked_for(None, Some(address)).is_some());
    }
}
