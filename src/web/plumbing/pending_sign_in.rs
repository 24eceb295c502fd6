//! The cookie of a sign-in waiting for its second step: the password was right, the account
//! has a second factor, and no session exists yet (OWASP ASVS 5.0 V6.3.2; a session id is made
//! only once both factors pass, V7.2.4).
//!
//! The value is `id.epoch.expires.mac`: the clinician's id, the account's session epoch (a
//! password change or deactivation meanwhile voids it), the expiry in unix seconds (5 minutes
//! on), and an HMAC-SHA-256 under a server key kept for nothing else, which every instance
//! shares, over a purpose string and the three. `HttpOnly`, `SameSite=Strict`, `Secure` behind
//! HTTPS, scoped to `/login`. It names an account by its number only, never its username.

use std::time::Duration;

use axum::http::HeaderMap;
use hmac::Mac;

use super::cookie::{self, SameSite, SetCookie, SigningKey};
use crate::accounts::ClinicianId;

/// The cookie's name.
pub const PENDING_COOKIE: &str = "screener_second_step";
/// How long the second step may take.
pub const PENDING_LIFETIME: Duration = Duration::from_secs(5 * 60);
/// What the MAC is for: the value verifies as nothing else.
const PURPOSE: &str = "intake-screener pending sign-in v1";
const PATH: &str = "/login";

/// A verified pending sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pending {
    pub clinician: ClinicianId,
    pub epoch: i64,
}

/// What a request's pending cookie says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PendingState {
    /// No cookie.
    Absent,
    /// A cookie that did not verify, or whose 5 minutes have passed.
    Void,
    Live(Pending),
}

/// Issues and checks pending sign-in cookies under one server key.
#[derive(Debug, Clone)]
pub struct PendingSignIns {
    key: SigningKey,
    secure_cookie: bool,
}

impl PendingSignIns {
    pub fn with_key(key: [u8; 32], secure_cookie: bool) -> PendingSignIns {
        PendingSignIns {
            key: SigningKey::new(key),
            secure_cookie,
        }
    }

    /// The cookie for a sign-in of `pending` whose password was just right, at `now` (unix).
    pub fn issue(&self, pending: Pending, now: i64) -> SetCookie {
        let expires = now + PENDING_LIFETIME.as_secs() as i64;
        let value = format!(
            "{}.{}.{expires}.{}",
            pending.clinician.0,
            pending.epoch,
            self.key
                .sign(|mac| feed(mac, pending.clinician.0, pending.epoch, expires))
        );
        SetCookie::new(
            PENDING_COOKIE,
            &value,
            PATH,
            PENDING_LIFETIME.as_secs() as i64,
            SameSite::Strict,
            self.secure_cookie,
        )
    }

    /// Removes the cookie.
    pub fn clear(&self) -> SetCookie {
        SetCookie::new(
            PENDING_COOKIE,
            "",
            PATH,
            0,
            SameSite::Strict,
            self.secure_cookie,
        )
    }

    /// What the request's cookie says at `now` (unix seconds).
    pub fn read(&self, headers: &HeaderMap, now: i64) -> PendingState {
        let mut values = cookie::read(headers, PENDING_COOKIE).peekable();
        if values.peek().is_none() {
            return PendingState::Absent;
        }
        values
            .find_map(|value| self.verify(value, now))
            .map_or(PendingState::Void, PendingState::Live)
    }

    fn verify(&self, value: &str, now: i64) -> Option<Pending> {
        let mut parts = value.splitn(4, '.');
        let id: i64 = parts.next()?.parse().ok()?;
        let epoch: i64 = parts.next()?.parse().ok()?;
        let expires: i64 = parts.next()?.parse().ok()?;
        let mac = parts.next()?;
        let genuine = self.key.verify(mac, |hmac| feed(hmac, id, epoch, expires));
        (genuine && now < expires).then_some(Pending {
            clinician: ClinicianId(id),
            epoch,
        })
    }
}

/// What the MAC covers: the purpose, the id, the epoch and the expiry.
fn feed(mac: &mut impl Mac, id: i64, epoch: i64, expires: i64) {
    mac.update(PURPOSE.as_bytes());
    mac.update(format!("\0{id}\0{epoch}\0{expires}").as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    use axum::http::HeaderValue;
    use axum::http::header::COOKIE;

    fn headers_with(cookie: &SetCookie) -> HeaderMap {
        let pair = cookie.as_str().split(';').next().unwrap().to_owned();
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, HeaderValue::from_str(&pair).unwrap());
        headers
    }

    #[test]
    fn a_pending_cookie_verifies_for_five_minutes_under_its_key_only() {
        let pending = Pending {
            clinician: ClinicianId(3),
            epoch: 1,
        };
        let cookies = PendingSignIns::with_key([1; 32], true);
        let issued = cookies.issue(pending, 1000);
        let set = issued.as_str();
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Secure")
        );
        let headers = headers_with(&issued);
        assert_eq!(cookies.read(&headers, 1299), PendingState::Live(pending));
        assert_eq!(cookies.read(&headers, 1300), PendingState::Void);
        let other = PendingSignIns::with_key([2; 32], true);
        assert_eq!(other.read(&headers, 1000), PendingState::Void);
        let forged = SetCookie::new(
            PENDING_COOKIE,
            &issued.as_str()[PENDING_COOKIE.len() + 1..].replacen("3.", "4.", 1),
            PATH,
            300,
            SameSite::Strict,
            true,
        );
        assert_eq!(
            cookies.read(&headers_with(&forged), 1000),
            PendingState::Void
        );
        assert_eq!(cookies.read(&HeaderMap::new(), 1000), PendingState::Absent);
    }
}
