//! Throttles that a stranger cannot turn against clinicians or clients (OWASP ASVS 5.0
//! V6.1.1: rate limits that prevent malicious account lock-out; V6.3.1: brute force and
//! credential stuffing held off as documented in README's security section).
//!
//! - **Sign-in** ([`SignInThrottle`]): failures are counted only after a password check
//!   fails, and the attempts of one address run one at a time, so parallel guesses cannot
//!   slip past a limit while correct sign-ins are never counted as failures. Five failures
//!   lock an account *from that address* for 15 minutes, and twenty lock the address; once an
//!   account has five failures from anywhere, an address that has already failed for it waits
//!   before each retry, twice as long after each further failure (up to five minutes). An
//!   address that has not been failing is never refused, so a stranger cannot lock a
//!   clinician out.
//! - **Client links** ([`TokenThrottle`]): an address that keeps opening unknown tokens gets
//!   429 for them, but a valid token always opens.
//! - **Unlocking a handed-over device** ([`UnlockThrottle`]): no address limit (the right
//!   password always unlocks); the wrong ones are counted per session, one at a time, and the
//!   fifth ends the session.
//!
//! Everything keyed by a client address lives in this process's memory only and is never
//! stored (SPEC §4): with several instances each gives an address its own budget. Only the
//! failure counts of accounts are shared in the database (PostgreSQL), so every instance
//! agrees on an account's delay.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use tokio::sync::OwnedMutexGuard;

use crate::accounts::Username;
use crate::store::{AccountSubject, Store, StoreError};

/// Failures from one address for one account before that address is locked out of it.
pub const PAIR_FAILURES: u32 = 5;
/// Failed sign-ins from one address (any accounts) before the address is locked (higher: a
/// clinic's NAT puts many people behind one address).
pub const ADDRESS_FAILURES: u32 = 20;
/// Failures for one account (from anywhere) after which addresses that fail for it wait.
pub const ACCOUNT_FAILURES: u32 = 5;
/// The longest wait between the retries of an address failing for an account.
pub const MAX_DELAY: Duration = Duration::from_secs(5 * 60);
/// How long failures are remembered after the last one, and how long a lock lasts.
pub const LOCK_DURATION: Duration = Duration::from_secs(15 * 60);
/// Unknown client tokens from one address before its unknown tokens are answered 429.
pub const TOKEN_GUESSES: u32 = 20;
/// Entries kept before expired ones are swept.
const SWEEP_ABOVE: usize = 10_000;
/// What the sign-in counts are kept apart under in the database.
const SIGN_IN_SCOPE: &str = "sign-in";

/// How long an address that failed for an account waits before its next attempt, once the
/// account has `failures` failures: nothing below [`ACCOUNT_FAILURES`], then 1 s, doubling
/// with each further failure up to [`MAX_DELAY`].
pub fn account_delay(failures: u32) -> Duration {
    if failures < ACCOUNT_FAILURES {
        return Duration::ZERO;
    }
    let doublings = (failures - ACCOUNT_FAILURES).min(16);
    Duration::from_secs(1 << doublings).min(MAX_DELAY)
}

/// Failures counted against one key.
#[derive(Debug, Clone, Copy)]
struct Count {
    failures: u32,
    last: Instant,
    locked_until: Option<Instant>,
}

impl Count {
    /// Still counted at `now`: locked, or within [`LOCK_DURATION`] of the last failure.
    fn live(&self, now: Instant) -> bool {
        match self.locked_until {
            Some(until) => until > now,
            None => now.duration_since(self.last) < LOCK_DURATION,
        }
    }
}

/// Failure counts by key, in memory.
#[derive(Debug)]
struct Counts<K> {
    entries: HashMap<K, Count>,
}

impl<K> Default for Counts<K> {
    fn default() -> Self {
        Counts {
            entries: HashMap::new(),
        }
    }
}

impl<K: Eq + Hash> Counts<K> {
    fn get(&self, key: &K, now: Instant) -> Option<Count> {
        self.entries
            .get(key)
            .copied()
            .filter(|count| count.live(now))
    }

    /// The time left of `key`'s lock.
    fn locked(&self, key: &K, now: Instant) -> Option<Duration> {
        let until = self.get(key, now)?.locked_until?;
        Some(until - now)
    }

    /// Counts a failure; a count reaching `limit` starts a lock. Returns the count and
    /// whether this failure started the lock.
    fn fail(&mut self, key: K, now: Instant, limit: u32) -> (u32, bool) {
        if self.entries.len() > SWEEP_ABOVE {
            self.entries.retain(|_, count| count.live(now));
        }
        let entry = self.entries.entry(key).or_insert(Count {
            failures: 0,
            last: now,
            locked_until: None,
        });
        if !entry.live(now) {
            *entry = Count {
                failures: 0,
                last: now,
                locked_until: None,
            };
        }
        entry.failures += 1;
        entry.last = now;
        let started = entry.failures >= limit && entry.locked_until.is_none();
        if started {
            entry.locked_until = Some(now + LOCK_DURATION);
        }
        (entry.failures, started)
    }

    fn clear(&mut self, key: &K) {
        self.entries.remove(key);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One queue per key: the attempts of a key run one at a time, in order of arrival.
#[derive(Debug)]
struct Gates<K> {
    queues: Mutex<HashMap<K, Arc<tokio::sync::Mutex<()>>>>,
}

impl<K> Default for Gates<K> {
    fn default() -> Self {
        Gates {
            queues: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash + Clone> Gates<K> {
    /// Waits for `key`'s turn.
    async fn turn(&self, key: K) -> Turn<'_, K> {
        let queue = {
            let mut queues = lock(&self.queues);
            if queues.len() > SWEEP_ABOVE {
                queues.retain(|_, queue| Arc::strong_count(queue) > 1);
            }
            Arc::clone(queues.entry(key.clone()).or_default())
        };
        Turn {
            gates: self,
            key,
            guard: Some(queue.lock_owned().await),
        }
    }
}

/// A key's turn; the next attempt of the key starts when it is dropped.
#[derive(Debug)]
struct Turn<'a, K: Eq + Hash> {
    gates: &'a Gates<K>,
    key: K,
    guard: Option<OwnedMutexGuard<()>>,
}

impl<K: Eq + Hash> Drop for Turn<'_, K> {
    fn drop(&mut self) {
        self.guard = None;
        let mut queues = lock(&self.gates.queues);
        // Every holder of a queue took it under this lock: alone in the map, nobody waits.
        if queues
            .get(&self.key)
            .is_some_and(|queue| Arc::strong_count(queue) == 1)
        {
            queues.remove(&self.key);
        }
    }
}

/// The in-memory sign-in counts.
#[derive(Debug, Default)]
struct SignInCounts {
    /// By typed username (none when it is not a username) and address.
    pairs: Counts<(Option<String>, IpAddr)>,
    addresses: Counts<IpAddr>,
    /// Accounts' failures from anywhere (on PostgreSQL, only those of names that are not
    /// accounts: accounts are counted in the database).
    accounts: Counts<String>,
}

/// Failed sign-ins (and current-password checks), by account and address together, by
/// address, and by account.
#[derive(Debug)]
pub struct SignInThrottle {
    counts: Mutex<SignInCounts>,
    gates: Gates<IpAddr>,
    /// On PostgreSQL: where accounts' counts are shared, and the key they are hashed with.
    shared: Option<(Store, [u8; 32])>,
}

impl SignInThrottle {
    /// Counts kept in this process only (SQLite: one process per file).
    pub fn in_memory() -> SignInThrottle {
        SignInThrottle {
            counts: Mutex::default(),
            gates: Gates::default(),
            shared: None,
        }
    }

    /// The throttle for a server on `store`: accounts' counts in the database on PostgreSQL.
    pub async fn for_store(store: &Store) -> Result<SignInThrottle, StoreError> {
        let mut throttle = SignInThrottle::in_memory();
        if store.is_postgres() {
            let key = store.server_key(crate::store::THROTTLE_KEY).await?;
            throttle.shared = Some((store.clone(), key));
        }
        Ok(throttle)
    }

    /// Starts an attempt to check `username`'s password (`is_account`: the name is an
    /// account's) from `address`, once the address's earlier attempts are done. Refused with
    /// the time to wait when the address is locked, locked out of this account, or failed
    /// for it too recently while the account is under attack; an address that has not been
    /// failing is never refused.
    pub async fn begin(
        &self,
        username: Option<&Username>,
        is_account: bool,
        address: IpAddr,
    ) -> Result<SignInAttempt<'_>, Duration> {
        let turn = self.gates.turn(address).await;
        let name = username.map(|username| username.as_str().to_owned());
        let subject = match (&self.shared, username) {
            (Some((_, key)), Some(username)) => {
                Some(AccountSubject::new(key, SIGN_IN_SCOPE, username))
            }
            _ => None,
        };
        // Read for every typed name alike, so that an account's name takes no longer.
        let shared_failures = match (&self.shared, &subject) {
            (Some((store, _)), Some(subject)) => store
                .account_failures(subject, unix_now())
                .await
                .unwrap_or_else(|error| {
                    tracing::warn!(%error, "could not read an account's failed sign-ins");
                    0
                }),
            _ => 0,
        };
        let now = Instant::now();
        let counts = lock(&self.counts);
        let local_failures = name
            .as_ref()
            .and_then(|name| counts.accounts.get(name, now))
            .map_or(0, |count| count.failures);
        let account_failures = shared_failures.max(local_failures);
        let pair = (name.clone(), address);
        let delayed = counts.pairs.get(&pair, now).and_then(|count| {
            let ready = count.last + account_delay(account_failures);
            (ready > now).then(|| ready - now)
        });
        let wait = [
            counts.addresses.locked(&address, now),
            counts.pairs.locked(&pair, now),
            delayed,
        ]
        .into_iter()
        .flatten()
        .max();
        if let Some(wait) = wait {
            return Err(wait);
        }
        drop(counts);
        Ok(SignInAttempt {
            throttle: self,
            _turn: turn,
            name,
            subject: subject.filter(|_| is_account),
            address,
            account_failures,
        })
    }
}

/// An attempt under way: the address's next attempt waits until this one is over.
#[derive(Debug)]
pub struct SignInAttempt<'a> {
    throttle: &'a SignInThrottle,
    _turn: Turn<'a, IpAddr>,
    name: Option<String>,
    /// The account's subject in the database, when it is an account's and shared.
    subject: Option<AccountSubject>,
    address: IpAddr,
    account_failures: u32,
}

/// What a failed attempt started, for the audit log.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Failure {
    /// The address is now locked out of this account for [`LOCK_DURATION`].
    pub pair_locked: bool,
    /// The address is now locked out of every account for [`LOCK_DURATION`].
    pub address_locked: bool,
    /// The account reached [`ACCOUNT_FAILURES`]: retries from failing addresses wait.
    pub account_delayed: bool,
}

impl Failure {
    /// The audit log's words for what started, if anything did.
    pub fn describe(&self) -> Option<String> {
        let mut parts = Vec::new();
        if self.pair_locked {
            parts.push(format!(
                "{PAIR_FAILURES} wrong passwords from one address: it may not sign in to this account for 15 minutes"
            ));
        }
        if self.address_locked {
            parts.push(format!(
                "{ADDRESS_FAILURES} failed sign-ins from one address: it may not sign in for 15 minutes"
            ));
        }
        if self.account_delayed {
            parts.push(format!(
                "{ACCOUNT_FAILURES} failed sign-ins for this account: addresses that fail again wait longer each time"
            ));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

impl SignInAttempt<'_> {
    /// The password was wrong: counts the failure against the address and this account
    /// from it, the address, and the account.
    pub async fn failed(self) -> Failure {
        let now = Instant::now();
        let mut failure = Failure::default();
        {
            let mut counts = lock(&self.throttle.counts);
            let pair = (self.name.clone(), self.address);
            failure.pair_locked = counts.pairs.fail(pair, now, PAIR_FAILURES).1;
            failure.address_locked = counts.addresses.fail(self.address, now, ADDRESS_FAILURES).1;
            if self.subject.is_none()
                && let Some(name) = &self.name
            {
                counts.accounts.fail(name.clone(), now, u32::MAX);
            }
        }
        failure.account_delayed =
            self.name.is_some() && self.account_failures.saturating_add(1) == ACCOUNT_FAILURES;
        if let (Some((store, _)), Some(subject)) = (&self.throttle.shared, self.subject) {
            // Written off the answer's path, so that an account's name takes no longer to
            // refuse than any other.
            let store = store.clone();
            tokio::spawn(async move {
                let window = LOCK_DURATION.as_secs() as i64;
                if let Err(error) = store
                    .count_account_failure(&subject, unix_now(), window)
                    .await
                {
                    tracing::warn!(%error, "could not count a failed sign-in");
                }
            });
        }
        failure
    }

    /// The password was right: the address's failures for this account are forgotten (the
    /// account's own count runs out by itself, so a stranger's count is not reset by it).
    pub fn succeeded(self) {
        let pair = (self.name.clone(), self.address);
        lock(&self.throttle.counts).pairs.clear(&pair);
    }
}

/// Unknown client tokens, by address, in memory. Guessing a token stays infeasible however
/// fast it goes: a token is 32 random letters and digits (62³² ≈ 2¹⁹⁰), so even a billion
/// guesses a second for a century find none of a million open links with any real chance.
/// This throttle only slows a scanner down: a valid token is never refused by it, so one
/// address (or everyone behind a proxy) guessing cannot lock clients out.
#[derive(Debug, Default)]
pub struct TokenThrottle {
    counts: Mutex<Counts<IpAddr>>,
}

impl TokenThrottle {
    /// Counts an unknown token from `address`. True when the address is over its limit and
    /// the answer is 429 (such refusals are not counted again).
    pub fn unknown(&self, address: IpAddr) -> bool {
        let now = Instant::now();
        let mut counts = lock(&self.counts);
        if counts.locked(&address, now).is_some() {
            return true;
        }
        counts.fail(address, now, TOKEN_GUESSES);
        false
    }
}

/// Wrong passwords to unlock a handed-over device, by session: the attempts on one session
/// run one at a time, so parallel guesses are each counted (the session's own count, saved
/// only when a request ends, would miss them).
#[derive(Debug, Default)]
pub struct UnlockThrottle {
    counts: Mutex<Counts<i128>>,
    gates: Gates<i128>,
}

impl UnlockThrottle {
    /// Waits for the session's earlier unlock attempts to be over.
    pub async fn begin(&self, session: i128) -> UnlockAttempt<'_> {
        UnlockAttempt {
            throttle: self,
            turn: self.gates.turn(session).await,
        }
    }
}

/// An unlock attempt under way.
#[derive(Debug)]
pub struct UnlockAttempt<'a> {
    throttle: &'a UnlockThrottle,
    turn: Turn<'a, i128>,
}

impl UnlockAttempt<'_> {
    /// The session's wrong passwords so far in this process.
    pub fn failures(&self) -> u32 {
        let now = Instant::now();
        lock(&self.throttle.counts)
            .get(&self.turn.key, now)
            .map_or(0, |count| count.failures)
    }

    /// Counts a wrong password; the session's wrong passwords so far in this process.
    pub fn failed(self) -> u32 {
        let now = Instant::now();
        lock(&self.throttle.counts)
            .fail(self.turn.key, now, u32::MAX)
            .0
    }

    /// The session was unlocked: its count is forgotten. (A session ended by its wrong
    /// passwords keeps its count, so attempts sent alongside the last one are refused.)
    pub fn done(self) {
        lock(&self.throttle.counts).clear(&self.turn.key);
    }
}

fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
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

    fn address(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    async fn fail(throttle: &SignInThrottle, name: &Username, from: IpAddr) -> Failure {
        throttle
            .begin(Some(name), true, from)
            .await
            .expect("not refused")
            .failed()
            .await
    }

    #[tokio::test]
    async fn five_failures_lock_the_account_from_that_address_only() {
        let throttle = SignInThrottle::in_memory();
        let alice = Username::parse("alice").unwrap();
        let stranger = address("192.0.2.7");
        for n in 1..PAIR_FAILURES {
            assert_eq!(
                fail(&throttle, &alice, stranger).await,
                Failure::default(),
                "attempt {n}"
            );
        }
        let fifth = fail(&throttle, &alice, stranger).await;
        assert!(fifth.pair_locked && fifth.account_delayed && !fifth.address_locked);
        let wait = throttle
            .begin(Some(&alice), true, stranger)
            .await
            .expect_err("locked");
        assert!(wait > Duration::from_secs(14 * 60));
        // Alice elsewhere is not refused, nor is another account from the stranger's address.
        throttle
            .begin(Some(&alice), true, address("198.51.100.1"))
            .await
            .expect("another address")
            .succeeded();
        let bob = Username::parse("bob").unwrap();
        assert!(throttle.begin(Some(&bob), true, stranger).await.is_ok());
    }

    #[tokio::test]
    async fn successes_are_never_counted() {
        let throttle = SignInThrottle::in_memory();
        let alice = Username::parse("alice").unwrap();
        let from = address("192.0.2.7");
        for _ in 0..ADDRESS_FAILURES * 2 {
            throttle
                .begin(Some(&alice), true, from)
                .await
                .expect("never refused")
                .succeeded();
        }
    }

    #[tokio::test]
    async fn a_success_forgets_its_addresss_failures_for_the_account() {
        let throttle = SignInThrottle::in_memory();
        let alice = Username::parse("alice").unwrap();
        let from = address("192.0.2.7");
        for _ in 0..PAIR_FAILURES - 1 {
            fail(&throttle, &alice, from).await;
        }
        throttle
            .begin(Some(&alice), true, from)
            .await
            .unwrap()
            .succeeded();
        let counts = lock(&throttle.counts);
        let now = Instant::now();
        assert!(
            counts
                .pairs
                .get(&(Some("alice".into()), from), now)
                .is_none()
        );
        assert_eq!(counts.addresses.get(&from, now).unwrap().failures, 4);
        assert_eq!(
            counts.accounts.get(&"alice".into(), now).unwrap().failures,
            4
        );
    }

    #[tokio::test]
    async fn an_address_locks_after_its_own_limit() {
        let throttle = SignInThrottle::in_memory();
        let from = address("192.0.2.7");
        for n in 0..ADDRESS_FAILURES {
            let name = Username::parse(&format!("user{n}")).unwrap();
            let failure = fail(&throttle, &name, from).await;
            assert_eq!(failure.address_locked, n + 1 == ADDRESS_FAILURES);
        }
        let other = Username::parse("other").unwrap();
        assert!(throttle.begin(Some(&other), true, from).await.is_err());
        assert!(
            throttle
                .begin(Some(&other), true, address("192.0.2.8"))
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn an_account_under_attack_makes_failing_addresses_wait_longer_each_time() {
        let throttle = SignInThrottle::in_memory();
        let alice = Username::parse("alice").unwrap();
        // Many addresses, one failure each: no address reaches its own limit.
        for n in 0..8u8 {
            fail(&throttle, &alice, IpAddr::from([192, 0, 2, n])).await;
        }
        // Eight failures: an address that failed waits 2³ s; a fresh one does not.
        let wait = throttle
            .begin(Some(&alice), true, IpAddr::from([192, 0, 2, 0]))
            .await
            .expect_err("waits");
        assert!(wait > Duration::from_secs(7) && wait <= Duration::from_secs(8));
        assert!(
            throttle
                .begin(Some(&alice), true, address("198.51.100.1"))
                .await
                .is_ok()
        );
    }

    #[test]
    fn the_delay_doubles_up_to_its_cap() {
        assert_eq!(account_delay(ACCOUNT_FAILURES - 1), Duration::ZERO);
        assert_eq!(account_delay(ACCOUNT_FAILURES), Duration::from_secs(1));
        assert_eq!(account_delay(ACCOUNT_FAILURES + 3), Duration::from_secs(8));
        assert_eq!(account_delay(ACCOUNT_FAILURES + 20), MAX_DELAY);
        assert_eq!(account_delay(u32::MAX), MAX_DELAY);
    }

    #[tokio::test]
    async fn attempts_from_one_address_run_one_at_a_time() {
        let throttle = Arc::new(SignInThrottle::in_memory());
        let alice = Username::parse("alice").unwrap();
        let from = address("192.0.2.7");
        let first = throttle.begin(Some(&alice), true, from).await.unwrap();
        let second = {
            let throttle = Arc::clone(&throttle);
            let alice = alice.clone();
            tokio::spawn(async move {
                throttle
                    .begin(Some(&alice), true, from)
                    .await
                    .map(|_| ())
                    .map_err(|_| ())
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!second.is_finished(), "waits for the first");
        // Elsewhere, nobody waits.
        assert!(
            throttle
                .begin(Some(&alice), true, address("192.0.2.8"))
                .await
                .is_ok()
        );
        first.failed().await;
        assert_eq!(second.await.unwrap(), Ok(()));
        assert!(
            lock(&throttle.gates.queues).is_empty(),
            "queues are dropped"
        );
    }

    #[test]
    fn unknown_tokens_get_429_after_the_limit() {
        let throttle = TokenThrottle::default();
        let from = address("192.0.2.7");
        for n in 0..TOKEN_GUESSES {
            assert!(!throttle.unknown(from), "guess {n}");
        }
        assert!(throttle.unknown(from));
        assert!(!throttle.unknown(address("192.0.2.8")));
    }

    #[tokio::test]
    async fn unlock_failures_are_counted_per_session_until_done() {
        let throttle = UnlockThrottle::default();
        assert_eq!(throttle.begin(1).await.failed(), 1);
        assert_eq!(throttle.begin(1).await.failed(), 2);
        assert_eq!(throttle.begin(2).await.failed(), 1);
        throttle.begin(1).await.done();
        assert_eq!(throttle.begin(1).await.failed(), 1);
    }
}
