//! Throttles that a stranger cannot turn against clinicians or clients (OWASP ASVS 5.0
//! V6.1.1: rate limits that prevent malicious account lock-out; V6.3.1: brute force and
//! credential stuffing held off as documented in README's security section).
//!
//! - **Sign-in** ([`SignInThrottle`]): failures are counted only after a password check
//!   fails, and the attempts of one address (or device) run one at a time, so parallel
//!   guesses cannot slip past a limit while correct sign-ins are never counted as failures.
//!   An attempt carrying a device cookie the account's sign-in set in that browser
//!   ([`super::device_cookie`]) is *trusted*: only its own device's five failures refuse it
//!   (for 15 minutes), and its failures count against nothing else. An *untrusted* attempt is
//!   refused when its address has 20 failures, or 5 for this account (15 minutes), or when the
//!   account has 5 untrusted failures from anywhere and the last was too recent: 1 s, doubling
//!   with each further failure up to five minutes. So neither many addresses guessing one
//!   account nor a stranger on the clinic's address can keep a clinician out of a browser she
//!   signed in on. IPv6 addresses are counted by their /64.
//! - **Memory**: each count map holds at most 100,000 entries; full of live ones, the unknown
//!   token or untrusted sign-in that would add one gets 429 instead.
//! - **Client links** ([`TokenThrottle`]): an address that keeps opening unknown tokens gets
//!   429 for them, but a valid token always opens.
//! - **Unlocking a handed-over device** ([`UnlockThrottle`]): no address limit (the right
//!   password always unlocks); the wrong ones are counted per session, one at a time, and the
//!   fifth ends the session.
//!
//! Everything keyed by a client address lives in this process's memory only and is never
//! stored (PRODUCT §4): with several instances each gives an address its own budget. Only the
//! failure counts of accounts are shared in the database (PostgreSQL), so every instance
//! agrees on an account's delay.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::OwnedMutexGuard;

use super::device_cookie::DeviceId;
use crate::accounts::Username;
use crate::store::{AccountSubject, AuditAction, AuditEntry, SharedFailures, Store, StoreError};

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
/// The most entries a count map holds; when it is full of live ones, the unknown token or
/// untrusted sign-in that would add one is refused (429) instead.
const MAX_ENTRIES: usize = 100_000;
/// A map is not swept before it has this many entries.
const MIN_SWEEP: usize = 1_024;
/// The wait told to an attempt refused because the counts are full.
const FULL_WAIT: Duration = Duration::from_secs(60);
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

/// Failure counts by key, in memory, at most [`Counts::cap`] of them: an attacker with many
/// addresses cannot make them grow without bound (ASVS 5.0 V6.3.1 without unbounded memory).
#[derive(Debug)]
struct Counts<K> {
    entries: HashMap<K, Count>,
    cap: usize,
    /// The size after the last sweep: the next one waits until it has doubled.
    swept_size: usize,
    swept_at: Option<Instant>,
}

impl<K> Default for Counts<K> {
    fn default() -> Self {
        Counts {
            entries: HashMap::new(),
            cap: MAX_ENTRIES,
            swept_size: 0,
            swept_at: None,
        }
    }
}

impl<K: Eq + Hash> Counts<K> {
    #[cfg(test)]
    fn with_cap(cap: usize) -> Self {
        Counts {
            cap,
            ..Counts::default()
        }
    }

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

    /// Whether a failure of `key` can be counted: it has an entry, or there is room for one.
    /// Expired entries are swept only when the map has doubled since the last sweep (or, when
    /// full, at most once a second), so a sweep's cost is spread over the entries it follows.
    fn room(&mut self, key: &K, now: Instant) -> bool {
        if self.entries.contains_key(key) {
            return true;
        }
        let len = self.entries.len();
        let doubled = len >= (self.swept_size * 2).max(MIN_SWEEP);
        let full_and_due = len >= self.cap
            && self
                .swept_at
                .is_none_or(|at| now.duration_since(at) >= Duration::from_secs(1));
        if doubled || full_and_due {
            self.entries.retain(|_, count| count.live(now));
            self.swept_size = self.entries.len();
            self.swept_at = Some(now);
        }
        self.entries.len() < self.cap
    }

    /// Counts a failure; a count reaching `limit` starts a lock. Returns the count and
    /// whether this failure started the lock. (Callers check [`Counts::room`] first where a
    /// stranger picks the key.)
    fn fail(&mut self, key: K, now: Instant, limit: u32) -> (u32, bool) {
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

/// Where an attempt comes from, for running its attempts one at a time: an untrusted attempt
/// by its address, a trusted one by its device (so it never queues behind a stranger).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Origin {
    Address(IpAddr),
    Device(DeviceId),
}

/// The in-memory sign-in counts.
#[derive(Debug, Default)]
struct SignInCounts {
    /// Untrusted failures by typed username (none when it is not a username) and address.
    pairs: Counts<(Option<String>, IpAddr)>,
    /// Untrusted failures by address.
    addresses: Counts<IpAddr>,
    /// Untrusted failures of typed names from anywhere, in this process (on PostgreSQL the
    /// accounts' are also counted in the database, and the larger delay applies).
    accounts: Counts<String>,
    /// Trusted failures, by account and device cookie (only a sign-in makes such a cookie, so
    /// a stranger cannot make this grow).
    devices: Counts<(String, DeviceId)>,
}

/// Failed sign-ins (and current-password checks): untrusted ones by account and address
/// together, by address and by account; trusted ones (with a device cookie) by device.
#[derive(Debug)]
pub struct SignInThrottle {
    counts: Mutex<SignInCounts>,
    gates: Gates<Origin>,
    /// Untrusted attempts for one account run one at a time (in this process), so that
    /// parallel guesses from many addresses cannot slip past the account-wide delay.
    account_gates: Gates<String>,
    /// Where accounts' counts are shared by every instance, when the store shares them.
    shared: Option<SharedFailures>,
}

impl SignInThrottle {
    /// Counts kept in this process only (SQLite: one process per file).
    pub fn in_memory() -> SignInThrottle {
        SignInThrottle {
            counts: Mutex::default(),
            gates: Gates::default(),
            account_gates: Gates::default(),
            shared: None,
        }
    }

    /// The throttle for a server on `store`: accounts' counts in the database on PostgreSQL.
    pub async fn for_store(store: &Store) -> Result<SignInThrottle, StoreError> {
        let mut throttle = SignInThrottle::in_memory();
        throttle.shared = store.shared_failures(SIGN_IN_SCOPE).await?;
        Ok(throttle)
    }

    /// Starts an attempt to check `username`'s password (`is_account`: the name is an
    /// account's) from `address`, `device` being the request's device cookie when it verified
    /// for this username. Refused with the time to wait:
    ///
    /// - a **trusted** attempt (with a device) only when its device failed five times;
    /// - an **untrusted** one when the address is locked, locked out of this account, the
    ///   account's untrusted failures (five or more, from anywhere) are too recent, or the
    ///   counts are full.
    pub async fn begin(
        &self,
        username: Option<&Username>,
        is_account: bool,
        address: IpAddr,
        device: Option<DeviceId>,
    ) -> Result<SignInAttempt<'_>, Duration> {
        let address = address_key(address);
        let name = username.map(|username| username.as_str().to_owned());
        let device = device.filter(|_| name.is_some());
        if let (Some(device), Some(name)) = (device, &name) {
            let turn = self.gates.turn(Origin::Device(device)).await;
            let now = Instant::now();
            let key = (name.clone(), device);
            if let Some(wait) = lock(&self.counts).devices.locked(&key, now) {
                return Err(wait);
            }
            return Ok(SignInAttempt {
                throttle: self,
                _turn: turn,
                _account_turn: None,
                name: Some(name.clone()),
                subject: None,
                address,
                device: Some(device),
            });
        }
        let turn = self.gates.turn(Origin::Address(address)).await;
        let account_turn = match &name {
            Some(name) => Some(self.account_gates.turn(name.clone()).await),
            None => None,
        };
        let subject = match (&self.shared, username) {
            (Some(shared), Some(username)) => Some(shared.subject(username)),
            _ => None,
        };
        // Read for every typed name alike, so that an account's name takes no longer.
        let shared_wait =
            match (&self.shared, &subject) {
                (Some(shared), Some(subject)) => {
                    let unix = unix_now();
                    let (failures, expires) = shared.failures(subject, unix).await.unwrap_or_else(
                        |error| {
                            tracing::warn!(%error, "could not read an account's failed sign-ins");
                            (0, 0)
                        },
                    );
                    // Stored in whole seconds: rounded up, the wait is never shorter than the delay.
                    let last = expires - LOCK_DURATION.as_secs() as i64 + 1;
                    let ready = last + account_delay(failures).as_secs() as i64;
                    (failures >= ACCOUNT_FAILURES && ready > unix)
                        .then(|| Duration::from_secs((ready - unix) as u64))
                }
                _ => None,
            };
        let now = Instant::now();
        let mut counts = lock(&self.counts);
        let local_wait = name
            .as_ref()
            .and_then(|name| counts.accounts.get(name, now))
            .and_then(|count| {
                let ready = count.last + account_delay(count.failures);
                (ready > now).then(|| ready - now)
            });
        let pair = (name.clone(), address);
        let wait = [
            counts.addresses.locked(&address, now),
            counts.pairs.locked(&pair, now),
            local_wait,
            shared_wait,
        ]
        .into_iter()
        .flatten()
        .max();
        if let Some(wait) = wait {
            return Err(wait);
        }
        let room = counts.pairs.room(&pair, now)
            && counts.addresses.room(&address, now)
            && name
                .as_ref()
                .is_none_or(|name| counts.accounts.room(name, now));
        if !room {
            return Err(FULL_WAIT);
        }
        drop(counts);
        Ok(SignInAttempt {
            throttle: self,
            _turn: turn,
            _account_turn: account_turn,
            name,
            subject: subject.filter(|_| is_account),
            address,
            device: None,
        })
    }
}

/// An attempt under way: the next attempt of its origin (and, untrusted, of its account)
/// waits until this one is over.
#[derive(Debug)]
pub struct SignInAttempt<'a> {
    throttle: &'a SignInThrottle,
    _turn: Turn<'a, Origin>,
    _account_turn: Option<Turn<'a, String>>,
    name: Option<String>,
    /// The account's subject in the database, when it is an account's and shared.
    subject: Option<AccountSubject>,
    address: IpAddr,
    /// The verified device cookie of a trusted attempt.
    device: Option<DeviceId>,
}

/// What a failed attempt started, for the audit log.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Failure {
    /// The address is now locked out of this account for [`LOCK_DURATION`].
    pub pair_locked: bool,
    /// The address is now locked out of every account for [`LOCK_DURATION`].
    pub address_locked: bool,
    /// The account reached [`ACCOUNT_FAILURES`]: untrusted attempts wait.
    pub account_delayed: bool,
    /// A trusted device is now locked out of this account for [`LOCK_DURATION`].
    pub device_locked: bool,
}

/// The audit log's words for an account reaching [`ACCOUNT_FAILURES`].
fn account_delayed_words() -> String {
    format!(
        "{ACCOUNT_FAILURES} failed sign-ins for this account from browsers it has not signed in on: \
         they wait longer after each further failure"
    )
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
            parts.push(account_delayed_words());
        }
        if self.device_locked {
            parts.push(format!(
                "{PAIR_FAILURES} wrong passwords from a browser this account signed in on: it may not sign in to it for 15 minutes"
            ));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

impl SignInAttempt<'_> {
    /// The password was wrong. A trusted attempt's failure counts against its device only;
    /// an untrusted one's against the address and this account from it, the address, and
    /// the account. The account's crossing of [`ACCOUNT_FAILURES`] is judged on the count
    /// after this failure, so concurrent failures cannot skip it (on PostgreSQL, when the
    /// shared count crosses but this process's did not, it is audited where it is written).
    pub async fn failed(self) -> Failure {
        let now = Instant::now();
        let mut failure = Failure::default();
        if let (Some(device), Some(name)) = (self.device, &self.name) {
            let mut counts = lock(&self.throttle.counts);
            failure.device_locked = counts
                .devices
                .fail((name.clone(), device), now, PAIR_FAILURES)
                .1;
            return failure;
        }
        {
            let mut counts = lock(&self.throttle.counts);
            let pair = (self.name.clone(), self.address);
            failure.pair_locked = counts.pairs.fail(pair, now, PAIR_FAILURES).1;
            failure.address_locked = counts.addresses.fail(self.address, now, ADDRESS_FAILURES).1;
            if let Some(name) = &self.name {
                let after = counts.accounts.fail(name.clone(), now, u32::MAX).0;
                failure.account_delayed = crossed(after);
            }
        }
        if let (Some(shared), Some(subject), Some(name)) =
            (&self.throttle.shared, self.subject, self.name)
        {
            // Written off the answer's path, so that an account's name takes no longer to
            // refuse than any other.
            let shared = shared.clone();
            let local_crossed = failure.account_delayed;
            tokio::spawn(async move {
                let window = LOCK_DURATION.as_secs() as i64;
                match shared.count(&subject, unix_now(), window).await {
                    // Audited here only when this process's count did not cross with it
                    // (the other instances' failures brought the shared count there).
                    Ok(after) if crossed(after) && !local_crossed => {
                        let entry = AuditEntry::new(&name, AuditAction::SignInThrottled)
                            .detail(account_delayed_words());
                        if let Err(error) = shared.store().record(entry).await {
                            tracing::warn!(%error, "could not audit an account's delay");
                        }
                    }
                    Ok(_) => {}
                    Err(error) => tracing::warn!(%error, "could not count a failed sign-in"),
                }
            });
        }
        failure
    }

    /// The password was right: the failures of this address (or device) for this account are
    /// forgotten (the account's own count runs out by itself, so a stranger's count is not
    /// reset by it).
    pub fn succeeded(self) {
        let mut counts = lock(&self.throttle.counts);
        match (self.device, &self.name) {
            (Some(device), Some(name)) => counts.devices.clear(&(name.clone(), device)),
            _ => counts.pairs.clear(&(self.name.clone(), self.address)),
        }
    }
}

/// Whether an account's count, just raised by one to `after`, crossed [`ACCOUNT_FAILURES`].
fn crossed(after: u32) -> bool {
    let before = after.saturating_sub(1);
    before < ACCOUNT_FAILURES && after >= ACCOUNT_FAILURES
}

/// The key an address is counted under: an IPv6 address by its /64 (one subscriber's
/// network, which one attacker may own entirely), an IPv4-mapped one as IPv4.
pub fn address_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !((1u128 << 64) - 1)).into()),
        },
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
        let address = address_key(address);
        let mut counts = lock(&self.counts);
        if counts.locked(&address, now).is_some() || !counts.room(&address, now) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn address(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    async fn fail(throttle: &SignInThrottle, name: &Username, from: IpAddr) -> Failure {
        throttle
            .begin(Some(name), true, from, None)
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
            .begin(Some(&alice), true, stranger, None)
            .await
            .expect_err("locked");
        assert!(wait > Duration::from_secs(14 * 60));
        // Alice on a browser she signed in on is not refused, nor is another account from the
        // stranger's address.
        throttle
            .begin(Some(&alice), true, address("198.51.100.1"), Some([1; 16]))
            .await
            .expect("a trusted device")
            .succeeded();
        let bob = Username::parse("bob").unwrap();
        assert!(
            throttle
                .begin(Some(&bob), true, stranger, None)
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn successes_are_never_counted() {
        let throttle = SignInThrottle::in_memory();
        let alice = Username::parse("alice").unwrap();
        let from = address("192.0.2.7");
        for _ in 0..ADDRESS_FAILURES * 2 {
            throttle
                .begin(Some(&alice), true, from, None)
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
            .begin(Some(&alice), true, from, None)
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
        assert!(
            throttle
                .begin(Some(&other), true, from, None)
                .await
                .is_err()
        );
        assert!(
            throttle
                .begin(Some(&other), true, address("192.0.2.8"), None)
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn an_account_under_attack_makes_every_untrusted_attempt_wait_longer_each_time() {
        let throttle = SignInThrottle::in_memory();
        let alice = Username::parse("alice").unwrap();
        // Many addresses, one failure each: no address reaches its own limit.
        for n in 0..ACCOUNT_FAILURES as u8 {
            fail(&throttle, &alice, IpAddr::from([192, 0, 2, n])).await;
        }
        // Five failures: even a fresh address waits 1 s; a device that signed in does not.
        let wait = throttle
            .begin(Some(&alice), true, address("198.51.100.1"), None)
            .await
            .expect_err("waits");
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(1));
        throttle
            .begin(Some(&alice), true, address("198.51.100.1"), Some([9; 16]))
            .await
            .expect("trusted")
            .failed()
            .await;
        assert_eq!(
            lock(&throttle.counts)
                .accounts
                .get(&"alice".into(), Instant::now())
                .unwrap()
                .failures,
            ACCOUNT_FAILURES,
            "a trusted failure is not the account's"
        );
    }

    #[tokio::test]
    async fn a_trusted_device_ignores_the_address_lock_but_not_its_own_failures() {
        let throttle = SignInThrottle::in_memory();
        let alice = Username::parse("alice").unwrap();
        let clinic = address("192.0.2.7");
        for n in 0..ADDRESS_FAILURES {
            let name = Username::parse(&format!("user{n}")).unwrap();
            fail(&throttle, &name, clinic).await;
        }
        assert!(
            throttle
                .begin(Some(&alice), true, clinic, None)
                .await
                .is_err()
        );
        let device = Some([3; 16]);
        for _ in 0..PAIR_FAILURES {
            throttle
                .begin(Some(&alice), true, clinic, device)
                .await
                .expect("trusted")
                .failed()
                .await;
        }
        assert!(
            throttle
                .begin(Some(&alice), true, clinic, device)
                .await
                .is_err()
        );
        assert!(
            throttle
                .begin(Some(&alice), true, clinic, Some([4; 16]))
                .await
                .is_ok()
        );
    }

    #[test]
    fn ipv6_addresses_count_by_their_64() {
        assert_eq!(
            address_key(address("2001:db8:1:2:aaaa::1")),
            address_key(address("2001:db8:1:2:ffff::9"))
        );
        assert_ne!(
            address_key(address("2001:db8:1:2::1")),
            address_key(address("2001:db8:1:3::1"))
        );
        assert_eq!(
            address_key(address("::ffff:192.0.2.7")),
            address("192.0.2.7")
        );
    }

    #[test]
    fn full_counts_refuse_new_keys_and_sweep_only_when_doubled() {
        let mut counts = Counts::with_cap(3);
        let now = Instant::now();
        for n in 0..3u8 {
            assert!(counts.room(&n, now));
            counts.fail(n, now, u32::MAX);
        }
        assert!(!counts.room(&9, now), "full of live entries");
        assert!(counts.room(&1, now), "a counted key still counts");
        let later = now + LOCK_DURATION + Duration::from_secs(2);
        assert!(
            counts.room(&9, later),
            "expired entries are swept when full"
        );
        assert!(counts.entries.is_empty());
    }

    #[test]
    fn the_account_delay_is_audited_on_crossing() {
        assert!(!crossed(ACCOUNT_FAILURES - 1));
        assert!(crossed(ACCOUNT_FAILURES));
        assert!(!crossed(ACCOUNT_FAILURES + 1));
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
        let first = throttle
            .begin(Some(&alice), true, from, None)
            .await
            .unwrap();
        let second = {
            let throttle = Arc::clone(&throttle);
            let alice = alice.clone();
            tokio::spawn(async move {
                throttle
                    .begin(Some(&alice), true, from, None)
                    .await
                    .map(|_| ())
                    .map_err(|_| ())
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!second.is_finished(), "waits for the first");
        // Elsewhere, for another account, nobody waits.
        let bob = Username::parse("bob").unwrap();
        assert!(
            throttle
                .begin(Some(&bob), true, address("192.0.2.8"), None)
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
