//! Device cookies (OWASP Authentication Cheat Sheet, "Slow Down Online Guessing Attacks with
//! Device Cookies"; ASVS 5.0 V6.3.1 without the lock-out V6.1.1 warns of): a browser that has
//! signed in to an account gets a long-lived cookie, and a later sign-in to that account
//! carrying it is *trusted*: it is never refused by its address's lock or by the account-wide
//! delay that untrusted attempts meet, so a stranger sharing the clinic's address, or an attack
//! on the account from many addresses, does not lock the clinician out.
//!
//! The value is `nonce.mac`: 16 random bytes and an HMAC-SHA-256, under a server key used for
//! nothing else, over a purpose string, the account's (folded) username and the nonce. Nothing
//! is stored server-side. The username is not in the value, so the cookie names nobody; it is
//! checked against the name typed. The purpose keeps the MAC from verifying as anything else
//! (form tokens, throttle subjects use other keys and purposes). A password change, a
//! deactivation or "sign out everywhere" does not revoke it: it grants no access, only the
//! right to try a password without the account-wide delay (its own failures are still counted
//! against it, five lock it for 15 minutes).

use std::time::Duration;

use axum::http::HeaderMap;
use hmac::Mac;
use rand::RngCore;

use super::cookie::{self, SameSite, SetCookie, SigningKey};
use crate::accounts::Username;

/// The cookie's name (not `screener_device`, the handed-over device's client token).
pub const DEVICE_COOKIE: &str = "screener_trusted";
/// How long a device stays trusted after its last sign-in.
pub const DEVICE_LIFETIME: Duration = Duration::from_secs(365 * 24 * 60 * 60);
/// What the MAC is for: a device cookie's value verifies as nothing else.
const PURPOSE: &str = "intake-screener device cookie v1";
const NONCE_BYTES: usize = 16;

/// A device cookie's nonce, once verified for an account: what its failures count under.
pub type DeviceId = [u8; NONCE_BYTES];

/// Issues and checks device cookies under one server key.
#[derive(Debug, Clone)]
pub struct DeviceCookies {
    key: SigningKey,
    secure_cookie: bool,
}

impl DeviceCookies {
    /// Cookies under `key`; `secure_cookie` marks them `Secure` (behind HTTPS).
    pub fn with_key(key: [u8; 32], secure_cookie: bool) -> DeviceCookies {
        DeviceCookies {
            key: SigningKey::new(key),
            secure_cookie,
        }
    }

    /// A fresh cookie for `username`, to set after a successful sign-in.
    pub fn issue(&self, username: &Username) -> SetCookie {
        let mut nonce = [0u8; NONCE_BYTES];
        rand::rng().fill_bytes(&mut nonce);
        let value = format!(
            "{}.{}",
            cookie::encode(nonce),
            self.key.sign(|mac| feed(mac, username, &nonce))
        );
        SetCookie::new(
            DEVICE_COOKIE,
            &value,
            "/",
            DEVICE_LIFETIME.as_secs() as i64,
            SameSite::Lax,
            self.secure_cookie,
        )
    }

    /// The device of the request's cookie when it was issued for `username`.
    pub fn verify(&self, headers: &HeaderMap, username: &Username) -> Option<DeviceId> {
        cookie::read(headers, DEVICE_COOKIE).find_map(|value| self.verify_value(value, username))
    }

    fn verify_value(&self, value: &str, username: &Username) -> Option<DeviceId> {
        let (nonce, mac) = value.split_once('.')?;
        let nonce: DeviceId = cookie::decode(nonce)?.try_into().ok()?;
        self.key
            .verify(mac, |hmac| feed(hmac, username, &nonce))
            .then_some(nonce)
    }
}

/// What a device cookie's MAC covers: the purpose, the username and the nonce.
fn feed(mac: &mut impl Mac, username: &Username, nonce: &DeviceId) {
    mac.update(PURPOSE.as_bytes());
    mac.update(b"\0");
    mac.update(username.as_str().as_bytes());
    mac.update(b"\0");
    mac.update(nonce);
}

#[cfg(test)]
mod tests {
    use super::*;

    use axum::http::HeaderValue;
    use axum::http::header::COOKIE;

    fn request_with(cookie: &SetCookie) -> HeaderMap {
        let set = cookie.as_str();
        let pair = set.split(';').next().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, HeaderValue::from_str(pair).unwrap());
        headers
    }

    #[test]
    fn a_cookie_verifies_only_for_its_account_and_key() {
        let cookies = DeviceCookies::with_key([1; 32], true);
        let alice = Username::parse("alice").unwrap();
        let bob = Username::parse("bob").unwrap();
        let issued = cookies.issue(&alice);
        let set = issued.as_str();
        assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax") && set.contains("Secure"));
        assert!(!set.contains("alice"));
        let headers = request_with(&issued);
        assert!(cookies.verify(&headers, &alice).is_some());
        assert!(cookies.verify(&headers, &bob).is_none());
        assert!(
            DeviceCookies::with_key([2; 32], true)
                .verify(&headers, &alice)
                .is_none()
        );
        let mut forged = HeaderMap::new();
        forged.insert(
            COOKIE,
            HeaderValue::from_static("screener_trusted=AAAA.BBBB"),
        );
        assert!(cookies.verify(&forged, &alice).is_none());
    }
}
