//! What the app's own cookies share: a hardened `Set-Cookie` (always `HttpOnly`, a
//! `SameSite`, `Secure` behind HTTPS; OWASP ASVS 5.0 V3.3.1, V3.3.2, V3.3.4), reading a
//! cookie of a request, and signing with a server key (HMAC-SHA-256, base64url) for the
//! values a browser carries back and must not be able to forge.

use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponseParts, ResponseParts};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The `SameSite` attribute of a cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameSite {
    /// Sent on top-level navigation from other sites too (sign-in forms, device cookies).
    Lax,
    /// Sent only with this site's own requests (a client's token).
    Strict,
}

/// A `Set-Cookie` header, usable as response parts: `(cookie, page)`.
#[derive(Debug, Clone)]
pub struct SetCookie(HeaderValue);

impl SetCookie {
    /// `name=value` for `path`, kept `max_age` seconds (0, or less, removes it), `HttpOnly`,
    /// with `same_site`, and `Secure` when `secure`.
    pub fn new(
        name: &str,
        value: &str,
        path: &str,
        max_age: i64,
        same_site: SameSite,
        secure: bool,
    ) -> SetCookie {
        let header = format!(
            "{name}={value}; Path={path}; Max-Age={}; HttpOnly; SameSite={same_site:?}{}",
            max_age.max(0),
            if secure { "; Secure" } else { "" }
        );
        SetCookie(HeaderValue::from_str(&header).unwrap_or_else(|_| HeaderValue::from_static("")))
    }

    /// The header's text.
    pub fn as_str(&self) -> &str {
        self.0.to_str().unwrap_or_default()
    }
}

impl IntoResponseParts for SetCookie {
    type Error = std::convert::Infallible;

    fn into_response_parts(self, mut parts: ResponseParts) -> Result<ResponseParts, Self::Error> {
        parts.headers_mut().append(SET_COOKIE, self.0);
        Ok(parts)
    }
}

/// The values of every cookie called `name` the request carries.
pub fn read<'a>(headers: &'a HeaderMap, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(move |(found, _)| *found == name)
        .map(|(_, value)| value)
}

/// Bytes as URL-safe base64 without padding, as the signed values carry them.
pub fn encode(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The bytes of URL-safe base64 text, if it is that.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}

/// A server key for one kind of signed value; never shown in debug output.
#[derive(Clone)]
pub struct SigningKey([u8; 32]);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("SigningKey(secret)")
    }
}

impl SigningKey {
    pub fn new(key: [u8; 32]) -> SigningKey {
        SigningKey(key)
    }

    /// The base64url signature of what `write` feeds the MAC.
    pub fn sign(&self, write: impl FnOnce(&mut Hmac<Sha256>)) -> String {
        let mut mac = self.mac();
        write(&mut mac);
        encode(mac.finalize().into_bytes())
    }

    /// True when `signature` (base64url) signs what `write` feeds the MAC; compared in
    /// constant time.
    pub fn verify(&self, signature: &str, write: impl FnOnce(&mut Hmac<Sha256>)) -> bool {
        let Some(signature) = decode(signature) else {
            return false;
        };
        let mut mac = self.mac();
        write(&mut mac);
        mac.verify_slice(&signature).is_ok()
    }

    fn mac(&self) -> Hmac<Sha256> {
        Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length")
    }
}

#[cfg(test)]
mod tests {
    use hmac::Mac;

    use super::*;

    #[test]
    fn a_set_cookie_is_hardened() {
        let cookie = SetCookie::new("n", "v", "/c/", -5, SameSite::Strict, true);
        assert_eq!(
            cookie.as_str(),
            "n=v; Path=/c/; Max-Age=0; HttpOnly; SameSite=Strict; Secure"
        );
    }

    #[test]
    fn a_signature_verifies_only_under_its_key_and_bytes() {
        let key = SigningKey::new([1; 32]);
        let signature = key.sign(|mac| mac.update(b"abc"));
        assert!(key.verify(&signature, |mac| mac.update(b"abc")));
        assert!(!key.verify(&signature, |mac| mac.update(b"abd")));
        assert!(!SigningKey::new([2; 32]).verify(&signature, |mac| mac.update(b"abc")));
        assert!(!key.verify("not base64!", |mac| mac.update(b"abc")));
    }
}
