//! The second factor of a sign-in, pure: TOTP secrets (RFC 6238, through `totp-rs`), their
//! encryption at rest, the codes a clinician types and the recovery codes.
//!
//! - A TOTP secret is 20 bytes (160 bits, RFC 4226 §4) from the operating system's CSPRNG
//!   (OWASP ASVS 5.0 V6.5.3); codes are six digits for 30-second steps, one step of clock drift
//!   either way, and the caller accepts a step only once (V6.5.1, V6.5.5).
//! - The server must read a secret back to check codes, so it cannot be hashed: it is stored
//!   sealed with ChaCha20-Poly1305 (authenticated encryption, V11.3.2, V11.3.3) under a server
//!   key kept for nothing else, bound to its clinician (the associated data), so a sealed
//!   secret copied onto another account does not open.
//! - A recovery code carries 125 random bits (25 base32 characters), so a plain SHA-256 of
//!   it is all that is stored: V6.5.2 asks for a salted slow hash only below 112 bits.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, Secret, TOTP};

/// Seconds per TOTP step.
pub const STEP_SECONDS: u64 = 30;
/// Digits of a TOTP code.
pub const DIGITS: usize = 6;
/// Bytes of a TOTP secret.
const SECRET_BYTES: usize = 20;
/// Recovery codes made at enrolment.
pub const RECOVERY_CODES: usize = 10;
/// Base32 characters of a recovery code (5 bits each: 125 bits).
const RECOVERY_CHARS: usize = 25;
const BASE32: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
const NONCE_BYTES: usize = 12;
/// What a sealed secret's associated data starts with: it opens as nothing else.
const PURPOSE: &[u8] = b"intake-screener totp secret v1";

/// A TOTP secret in clear; never shown in debug output.
#[derive(Clone)]
pub struct TotpSecret(Vec<u8>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("TotpSecret(secret)")
    }
}

impl TotpSecret {
    /// A fresh random secret.
    pub fn generate() -> TotpSecret {
        let mut bytes = vec![0u8; SECRET_BYTES];
        rand::rng().fill_bytes(&mut bytes);
        TotpSecret(bytes)
    }

    /// The secret as the base32 key an authenticator app takes (no padding).
    pub fn base32(&self) -> String {
        Secret::Raw(self.0.clone()).to_encoded().to_string()
    }

    /// The `otpauth://` URI of the secret for `account`, as a QR code carries it.
    pub fn otpauth_uri(&self, issuer: &str, account: &str) -> String {
        let issuer = percent_encode(issuer);
        format!(
            "otpauth://totp/{issuer}:{}?secret={}&issuer={issuer}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
            percent_encode(account),
            self.base32()
        )
    }

    fn totp(&self) -> Option<TOTP> {
        TOTP::new(Algorithm::SHA1, DIGITS, 1, STEP_SECONDS, self.0.clone()).ok()
    }

    /// The code of time step `step`.
    pub fn code_at_step(&self, step: u64) -> Option<String> {
        Some(self.totp()?.generate(step * STEP_SECONDS))
    }

    /// The step, of those one step either side of `unix_seconds`, whose code is `code`
    /// (compared in constant time), the latest first.
    pub fn matching_step(&self, code: &TotpCode, unix_seconds: u64) -> Option<u64> {
        let totp = self.totp()?;
        let now = unix_seconds / STEP_SECONDS;
        [now + 1, now, now.saturating_sub(1)]
            .into_iter()
            .find(|step| {
                let expected = totp.generate(step * STEP_SECONDS);
                bool::from(expected.as_bytes().ct_eq(code.0.as_bytes()))
            })
    }
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (byte as char).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

/// The key that seals TOTP secrets at rest; never shown in debug output.
#[derive(Clone)]
pub struct SealingKey([u8; 32]);

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("SealingKey(secret)")
    }
}

impl SealingKey {
    pub fn new(key: [u8; 32]) -> SealingKey {
        SealingKey(key)
    }

    fn cipher(&self) -> ChaCha20Poly1305 {
        ChaCha20Poly1305::new(Key::from_slice(&self.0))
    }

    /// `secret` sealed for the account `owner`: a random nonce, then the ciphertext and tag.
    pub fn seal(&self, secret: &TotpSecret, owner: i64) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_BYTES];
        rand::rng().fill_bytes(&mut nonce);
        let aad = associated_data(owner);
        let sealed = self
            .cipher()
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &secret.0,
                    aad: &aad,
                },
            )
            .expect("ChaCha20-Poly1305 seals any short message");
        let mut stored = nonce.to_vec();
        stored.extend_from_slice(&sealed);
        stored
    }

    /// The secret sealed for `owner`, when `stored` is that and untouched.
    pub fn open(&self, stored: &[u8], owner: i64) -> Option<TotpSecret> {
        if stored.len() <= NONCE_BYTES {
            return None;
        }
        let (nonce, sealed) = stored.split_at(NONCE_BYTES);
        let aad = associated_data(owner);
        self.cipher()
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: &aad,
                },
            )
            .ok()
            .map(TotpSecret)
    }
}

fn associated_data(owner: i64) -> Vec<u8> {
    let mut aad = PURPOSE.to_vec();
    aad.push(0);
    aad.extend_from_slice(&owner.to_be_bytes());
    aad
}

/// Six digits, as typed (spaces allowed between them).
#[derive(Clone, PartialEq, Eq)]
pub struct TotpCode(String);

/// A recovery code, as typed (any case, dashes and spaces ignored).
#[derive(Clone, PartialEq, Eq)]
pub struct RecoveryCode(String);

/// What was typed in a second step's `code` field.
pub enum SecondFactor {
    Totp(TotpCode),
    Recovery(RecoveryCode),
}

impl SecondFactor {
    /// The typed code, if it has the shape of either kind; `None` is a malformed code.
    pub fn parse(typed: &str) -> Option<SecondFactor> {
        let compact: String = typed
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect::<String>()
            .to_ascii_lowercase();
        if compact.len() == DIGITS && compact.bytes().all(|b| b.is_ascii_digit()) {
            return Some(SecondFactor::Totp(TotpCode(compact)));
        }
        if compact.len() == RECOVERY_CHARS && compact.bytes().all(|b| BASE32.contains(&b)) {
            return Some(SecondFactor::Recovery(RecoveryCode(compact)));
        }
        None
    }
}

impl TotpCode {
    /// Six digits, or `None`.
    pub fn parse(typed: &str) -> Option<TotpCode> {
        match SecondFactor::parse(typed)? {
            SecondFactor::Totp(code) => Some(code),
            SecondFactor::Recovery(_) => None,
        }
    }
}

impl RecoveryCode {
    /// A fresh random code.
    pub fn generate() -> RecoveryCode {
        let mut bytes = [0u8; RECOVERY_CHARS];
        rand::rng().fill_bytes(&mut bytes);
        RecoveryCode(
            bytes
                .iter()
                .map(|byte| BASE32[usize::from(byte % 32)] as char)
                .collect(),
        )
    }

    /// The code in groups of five, as shown once at enrolment.
    pub fn shown(&self) -> String {
        self.0
            .as_bytes()
            .chunks(5)
            .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
            .collect::<Vec<_>>()
            .join("-")
    }

    /// The SHA-256 that is all the database keeps of it.
    pub fn hash(&self) -> Vec<u8> {
        Sha256::digest(self.0.as_bytes()).to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_for_its_owner_and_key() {
        let key = SealingKey::new([7; 32]);
        let secret = TotpSecret::generate();
        let sealed = key.seal(&secret, 1);
        assert!(!sealed.windows(SECRET_BYTES).any(|w| w == secret.0));
        assert_eq!(key.open(&sealed, 1).unwrap().0, secret.0);
        assert!(key.open(&sealed, 2).is_none());
        assert!(SealingKey::new([8; 32]).open(&sealed, 1).is_none());
        let mut tampered = sealed.clone();
        tampered[NONCE_BYTES] ^= 1;
        assert!(key.open(&tampered, 1).is_none());
    }

    #[test]
    fn a_code_matches_one_step_either_side_only() {
        let secret = TotpSecret::generate();
        let now = 1_800_000_015;
        let step = now / STEP_SECONDS;
        for near in [step - 1, step, step + 1] {
            let code = TotpCode::parse(&secret.code_at_step(near).unwrap()).unwrap();
            assert_eq!(secret.matching_step(&code, now), Some(near));
        }
        let far = TotpCode::parse(&secret.code_at_step(step + 3).unwrap()).unwrap();
        // A far step's code may collide with a near one's by chance (1 in 10^6 per step).
        if ![step - 1, step, step + 1]
            .iter()
            .any(|s| secret.code_at_step(*s).unwrap() == far.0)
        {
            assert_eq!(secret.matching_step(&far, now), None);
        }
    }

    #[test]
    fn codes_are_told_apart_by_shape() {
        assert!(matches!(
            SecondFactor::parse(" 123 456 "),
            Some(SecondFactor::Totp(_))
        ));
        let recovery = RecoveryCode::generate();
        assert!(matches!(
            SecondFactor::parse(&recovery.shown().to_uppercase()),
            Some(SecondFactor::Recovery(code)) if code == recovery
        ));
        for malformed in [
            "",
            "12345",
            "1234567",
            "abcdef",
            "12345a",
            "1111111111111111111111111",
        ] {
            assert!(SecondFactor::parse(malformed).is_none(), "{malformed}");
        }
    }

    #[test]
    fn the_otpauth_uri_names_the_account_and_the_parameters() {
        let secret = TotpSecret::generate();
        let uri = secret.otpauth_uri("Intake Screener", "alice");
        assert!(uri.starts_with("otpauth://totp/Intake%20Screener:alice?secret="));
        assert!(uri.contains(&secret.base32()));
        assert!(uri.ends_with("&digits=6&period=30"));
    }
}
