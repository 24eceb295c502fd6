//! Clinician accounts, pure: what a username and a password may be, and password hashing
//! (Argon2id through `password-auth`). Nothing here touches HTTP or the database.

use std::fmt;

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// The longest password accepted (hashing is deliberately slow; this bounds it).
pub const MAX_PASSWORD_CHARS: usize = 256;
/// The longest username accepted.
pub const MAX_USERNAME_CHARS: usize = 64;

/// A well-formed username: 1–64 characters of lowercase letters, digits, `.`, `_` or `-`.
/// Input is folded to lowercase, so `Alice` and `alice` are the same account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Username(String);

impl Username {
    /// Parses a username as typed.
    pub fn parse(typed: &str) -> Result<Username, AccountError> {
        let folded = typed.trim().to_lowercase();
        if folded.is_empty() {
            return Err(AccountError::UsernameEmpty);
        }
        if folded.chars().count() > MAX_USERNAME_CHARS
            || !folded.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')
            })
        {
            return Err(AccountError::UsernameInvalid);
        }
        Ok(Username(folded))
    }

    /// The username.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A password that meets the policy, ready to hash. Its `Debug` hides it.
#[derive(Clone)]
pub struct NewPassword(String);

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

impl NewPassword {
    /// Checks a chosen password against the policy.
    pub fn parse(chosen: &str) -> Result<NewPassword, AccountError> {
        let length = chosen.chars().count();
        if length < MIN_PASSWORD_CHARS {
            return Err(AccountError::PasswordTooShort);
        }
        if length > MAX_PASSWORD_CHARS {
            return Err(AccountError::PasswordTooLong);
        }
        Ok(NewPassword(chosen.to_owned()))
    }

    /// Hashes it with Argon2id and a fresh salt (PHC string). Slow by design: from async
    /// code, use [`NewPassword::hash_off_runtime`].
    pub fn hash(&self) -> PasswordHash {
        PasswordHash::argon2id(&self.0)
    }

    /// Hashes it on the hashing thread (see [`off_runtime`]), so the async runtime keeps
    /// serving meanwhile.
    pub async fn hash_off_runtime(self) -> Result<PasswordHash, HashingInterrupted> {
        off_runtime(move || self.hash()).await
    }
}

/// A password hashing job for the hashing thread.
type HashJob = Box<dyn FnOnce() + Send>;

/// The queue of the one thread that hashes and verifies passwords.
fn hashing_queue() -> &'static std::sync::mpsc::Sender<HashJob> {
    static QUEUE: std::sync::OnceLock<std::sync::mpsc::Sender<HashJob>> =
        std::sync::OnceLock::new();
    QUEUE.get_or_init(|| {
        let (sender, jobs) = std::sync::mpsc::channel::<HashJob>();
        std::thread::Builder::new()
            .name("password-hashing".into())
            .spawn(move || {
                for job in jobs {
                    crate::memory::hand_back_free_memory();
                    // A job that panics must not take the queue down with it; its caller
                    // sees the dropped answer as `HashingInterrupted`.
                    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                }
            })
            .expect("start the password hashing thread");
        sender
    })
}

/// Runs a password hash or check on the one hashing thread and waits for it without
/// blocking the async runtime. Each Argon2id hash takes 12 MiB for its duration
/// (`ARGON2_MEMORY_KIB`); running them one at a time, in arrival order, bounds the
/// memory that simultaneous sign-ins take to one hash's worth, at the cost of queueing them
/// (a few tens of milliseconds each).
pub async fn off_runtime<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, HashingInterrupted> {
    let (answer, answered) = tokio::sync::oneshot::channel();
    hashing_queue()
        .send(Box::new(move || {
            // The requester has gone (its request was dropped): no hash for nobody.
            if !answer.is_closed() {
                let _ = answer.send(work());
            }
        }))
        .map_err(|_| HashingInterrupted)?;
    answered.await.map_err(|_| HashingInterrupted)
}

/// Hashing on a blocking thread did not finish (the runtime is shutting down).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("password hashing was interrupted")]
pub struct HashingInterrupted;

/// A stored password hash (PHC string).
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(pub String);

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(***)")
    }
}

/// Argon2id's memory per hash, in KiB: 12 MiB with 3 passes, one of the settings OWASP's
/// Password Storage Cheat Sheet rates as equally strong as 19 MiB with 2 passes (the argon2
/// crate's default). The smaller block keeps a server's peak memory low while sign-ins queue
/// for the hashing thread. Hashes stored with other settings still verify: a PHC string names
/// its own.
const ARGON2_MEMORY_KIB: u32 = 12 * 1024;
/// Argon2id's passes over that memory.
const ARGON2_PASSES: u32 = 3;

impl PasswordHash {
    /// Hashes `secret` with Argon2id ([`ARGON2_MEMORY_KIB`], [`ARGON2_PASSES`], one lane) and a
    /// fresh random salt, as a PHC string.
    fn argon2id(secret: &str) -> PasswordHash {
        use argon2::password_hash::{PasswordHasher, SaltString};
        let params = argon2::Params::new(ARGON2_MEMORY_KIB, ARGON2_PASSES, 1, None)
            .expect("Argon2 parameters within their bounds");
        let hasher =
            argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
            .expect("16 bytes make a valid salt");
        PasswordHash(
            hasher
                .hash_password(secret.as_bytes(), &salt)
                .expect("Argon2id hashes any password up to the policy's length")
                .to_string(),
        )
    }

    /// True when `typed` is the password. Slow by design: call it off the async runtime.
    pub fn verify(&self, typed: &str) -> bool {
        typed.chars().count() <= MAX_PASSWORD_CHARS
            && password_auth::verify_password(typed, &self.0).is_ok()
    }

    /// [`PasswordHash::verify`] on the hashing thread; false if it cannot finish.
    pub async fn verify_off_runtime(&self, typed: String) -> bool {
        let hash = self.clone();
        off_runtime(move || hash.verify(&typed))
            .await
            .unwrap_or(false)
    }

    /// A hash of a random password nobody knows, for checking a password against when the
    /// username does not exist, so that both cases take the same time.
    pub fn decoy() -> &'static PasswordHash {
        static DECOY: std::sync::OnceLock<PasswordHash> = std::sync::OnceLock::new();
        DECOY.get_or_init(|| {
            let secret: String = (0..32).map(|_| rand::random::<char>()).collect();
            PasswordHash::argon2id(&secret)
        })
    }
}

/// Why an account change cannot be made, in words fit to show.
/// A clinician's internal id; screenings belong to one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct ClinicianId(pub i64);

/// A clinician account.
#[derive(Debug, Clone)]
pub struct Clinician {
    pub id: ClinicianId,
    pub username: Username,
    pub password_hash: PasswordHash,
    pub is_admin: bool,
    pub is_active: bool,
    /// Sessions signed in under another epoch are no longer valid.
    pub session_epoch: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    #[error("enter a username")]
    UsernameEmpty,
    #[error("a username is up to 64 letters, digits, dots, dashes or underscores")]
    UsernameInvalid,
    #[error("a password must be at least 12 characters long")]
    PasswordTooShort,
    #[error("a password must be at most 256 characters long")]
    PasswordTooLong,
    #[error("the two passwords do not match")]
    PasswordsDiffer,
    #[error("an account with this username already exists")]
    UsernameTaken,
    #[error("no account has this username")]
    UnknownUsername,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_job_whose_requester_has_gone_is_skipped() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, Ordering};
        let (release, held) = std::sync::mpsc::channel::<()>();
        let blocker = tokio::spawn(off_runtime(move || {
            let _ = held.recv();
        }));
        let ran = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&ran);
        let gone = tokio::spawn(off_runtime(move || flag.store(true, Ordering::SeqCst)));
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        gone.abort();
        let _ = gone.await;
        release.send(()).unwrap();
        blocker.await.unwrap().unwrap();
        off_runtime(|| ()).await.unwrap();
        assert!(!ran.load(Ordering::SeqCst), "no work for a requester gone");
    }

    #[test]
    fn usernames_fold_case_and_refuse_odd_characters() {
        assert_eq!(Username::parse(" Alice ").unwrap().as_str(), "alice");
        assert_eq!(
            Username::parse("dr.m-smith_2").unwrap().as_str(),
            "dr.m-smith_2"
        );
        assert_eq!(Username::parse(""), Err(AccountError::UsernameEmpty));
        assert_eq!(Username::parse("a b"), Err(AccountError::UsernameInvalid));
        assert_eq!(
            Username::parse("<script>"),
            Err(AccountError::UsernameInvalid)
        );
        assert_eq!(
            Username::parse(&"a".repeat(65)),
            Err(AccountError::UsernameInvalid)
        );
    }

    #[test]
    fn passwords_need_twelve_characters() {
        assert_eq!(
            NewPassword::parse("short").unwrap_err(),
            AccountError::PasswordTooShort
        );
        assert_eq!(
            NewPassword::parse("elevenchars").unwrap_err(),
            AccountError::PasswordTooShort
        );
        assert!(NewPassword::parse("twelve chars").is_ok());
        assert_eq!(
            NewPassword::parse(&"x".repeat(257)).unwrap_err(),
            AccountError::PasswordTooLong
        );
    }

    /// Hashes run one at a time: never two at once, however many are asked for together.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn hashes_run_one_at_a_time() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let jobs = (0..4).map(|_| {
            let (running, most) = (running.clone(), most.clone());
            tokio::spawn(off_runtime(move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                let hash = NewPassword::parse("correct horse battery").unwrap().hash();
                running.fetch_sub(1, Ordering::SeqCst);
                hash
            }))
        });
        for job in jobs.collect::<Vec<_>>() {
            assert!(job.await.unwrap().unwrap().verify("correct horse battery"));
        }
        assert_eq!(most.load(Ordering::SeqCst), 1, "one hash at a time");
        // A job that panics does not stop the queue.
        assert_eq!(
            off_runtime(|| -> u8 { panic!("boom") }).await,
            Err(HashingInterrupted)
        );
        assert_eq!(off_runtime(|| 7).await, Ok(7));
    }

    #[test]
    fn a_hash_verifies_its_password_only() {
        let hash = NewPassword::parse("correct horse battery").unwrap().hash();
        assert!(hash.0.starts_with("$argon2id$"));
        assert!(hash.verify("correct horse battery"));
        assert!(!hash.verify("correct horse battery!"));
        assert!(!PasswordHash::decoy().verify("correct horse battery"));
        assert!(!format!("{hash:?}").contains("argon"));
    }

    #[test]
    fn new_hashes_take_twelve_mib_and_older_hashes_still_verify() {
        let hash = NewPassword::parse("correct horse battery").unwrap().hash();
        assert!(
            hash.0.starts_with("$argon2id$v=19$m=12288,t=3,p=1$"),
            "{}",
            hash.0
        );
        assert!(hash.verify("correct horse battery"));
        // A hash stored before this change, with the argon2 crate's defaults (19 MiB, 2 passes).
        let older = PasswordHash(password_auth::generate_hash("correct horse battery"));
        assert!(older.0.contains("m=19456,t=2"), "{}", older.0);
        assert!(older.verify("correct horse battery"));
        assert!(!older.verify("wrong horse battery"));
    }
}
