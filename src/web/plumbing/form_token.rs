//! CSRF defence for forms shown to people without a session (sign-in, setup, a client's
//! form): a signed double-submit token, so that showing such a form stores nothing.
//!
//! Showing the form sets a cookie holding a random nonce and puts, in the form's hidden
//! `csrf_token` field, an expiry time and an HMAC over (purpose, nonce, expiry) under a key
//! only this server process knows. A submission is genuine when its cookie's nonce, its field
//! and the purpose verify together before the expiry. Another site can neither read the
//! cookie nor compute the field; a cookie planted by someone else is useless without a field
//! signed for it.
//!
//! A handler uses it like this:
//!
//! ```text
//! // GET: show the form.
//! let token = state.form_tokens.issue(&headers, form_token::SIGN_IN);
//! Ok((token.cookie(), Page { csrf_token: token.field().to_owned(), .. }).into_response())
//! // POST: read the body through `PublicForm`, then
//! if !form.is_genuine(&state.form_tokens, form_token::SIGN_IN) { /* refuse, show again */ }
//! ```

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use hmac::Mac;
use rand::RngCore;

use super::cookie::{self, SameSite, SetCookie, SigningKey};

/// The hidden form field carrying the token (the same name as a signed-in form's token).
pub const FORM_TOKEN_FIELD: &str = "csrf_token";
/// The cookie carrying the nonce.
pub const FORM_COOKIE: &str = "screener_form";
/// The purpose of the sign-in form's token.
pub const SIGN_IN: &str = "sign-in";
/// The purpose of the first-run setup form's token.
pub const SETUP: &str = "setup";
/// How long a token shown in a form stays good: a working day, so that a sign-in page left
/// open in the morning still works in the afternoon.
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(12 * 60 * 60);

const NONCE_BYTES: usize = 16;

/// Issues and checks form tokens under one secret key.
#[derive(Debug, Clone)]
pub struct FormTokens {
    key: SigningKey,
    secure_cookie: bool,
    lifetime: Duration,
}

/// A token just issued: the cookie to set and the value of the form's hidden field.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    set_cookie: SetCookie,
    field: String,
}

impl IssuedToken {
    /// The value of the form's `csrf_token` field.
    pub fn field(&self) -> &str {
        &self.field
    }

    /// The `Set-Cookie` header to send with the page, as response parts:
    /// `(token.cookie(), page)`.
    pub fn cookie(&self) -> SetCookie {
        self.set_cookie.clone()
    }
}

impl FormTokens {
    /// Tokens under a fresh random key, known only to this process (for tests; the server
    /// uses [`FormTokens::with_key`] with the key kept in the database).
    pub fn random(secure_cookie: bool) -> FormTokens {
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        FormTokens::with_key(key, secure_cookie)
    }

    /// Tokens under `key`; `secure_cookie` marks the cookie `Secure` (behind HTTPS).
    pub fn with_key(key: [u8; 32], secure_cookie: bool) -> FormTokens {
        FormTokens {
            key: SigningKey::new(key),
            secure_cookie,
            lifetime: DEFAULT_LIFETIME,
        }
    }

    /// The same, with tokens good for `lifetime` instead of [`DEFAULT_LIFETIME`].
    pub fn with_lifetime(mut self, lifetime: Duration) -> FormTokens {
        self.lifetime = lifetime;
        self
    }

    /// A token for a form with this `purpose` (e.g. [`SIGN_IN`], or `client:` and the
    /// link's id). The nonce of the request's form cookie is kept when it has one, so that
    /// forms open in other tabs stay good; otherwise a new one is made.
    pub fn issue(&self, request_headers: &HeaderMap, purpose: &str) -> IssuedToken {
        let nonce = cookie_nonce(request_headers).unwrap_or_else(|| {
            let mut bytes = [0u8; NONCE_BYTES];
            rand::rng().fill_bytes(&mut bytes);
            cookie::encode(bytes)
        });
        let expires = now_secs() + self.lifetime.as_secs() as i64;
        let signature = self.key.sign(|mac| feed(mac, purpose, &nonce, expires));
        IssuedToken {
            set_cookie: self.form_cookie(&nonce, self.lifetime.as_secs() as i64),
            field: format!("{expires}.{signature}"),
        }
    }

    /// True when `submitted` (the form's `csrf_token` field) was issued by this server for
    /// this `purpose` and the form cookie of this request, and has not expired.
    pub fn verify(
        &self,
        request_headers: &HeaderMap,
        purpose: &str,
        submitted: Option<&str>,
    ) -> bool {
        let (Some(nonce), Some(submitted)) = (cookie_nonce(request_headers), submitted) else {
            return false;
        };
        self.verify_nonce(&nonce, purpose, submitted)
    }

    fn verify_nonce(&self, nonce: &str, purpose: &str, submitted: &str) -> bool {
        let Some((expires, signature)) = submitted.split_once('.') else {
            return false;
        };
        let Ok(expires) = expires.parse::<i64>() else {
            return false;
        };
        if expires < now_secs() {
            return false;
        }
        self.key
            .verify(signature, |mac| feed(mac, purpose, nonce, expires))
    }

    /// A `Set-Cookie` that removes the form cookie (after signing in it is not needed).
    pub fn clear_cookie(&self) -> SetCookie {
        self.form_cookie("", 0)
    }

    fn form_cookie(&self, nonce: &str, max_age: i64) -> SetCookie {
        SetCookie::new(
            FORM_COOKIE,
            nonce,
            "/",
            max_age,
            SameSite::Lax,
            self.secure_cookie,
        )
    }
}

/// What a form token's MAC covers: lengths first, so that no two (purpose, nonce) pairs sign
/// the same bytes, then the expiry.
fn feed(mac: &mut impl Mac, purpose: &str, nonce: &str, expires: i64) {
    for part in [purpose.as_bytes(), nonce.as_bytes()] {
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part);
    }
    mac.update(&expires.to_be_bytes());
}

fn now_secs() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// The nonce in the request's form cookie, when it has a well-formed one.
fn cookie_nonce(headers: &HeaderMap) -> Option<String> {
    cookie::read(headers, FORM_COOKIE)
        .next()
        .filter(|value| cookie::decode(value).is_some_and(|bytes| bytes.len() == NONCE_BYTES))
        .map(str::to_owned)
}

/// A form body from someone who may have no session, its `csrf_token` field taken out; check
/// it with [`PublicForm::is_genuine`].
#[derive(Debug, Default)]
pub struct PublicForm {
    /// The fields, without the token.
    pub pairs: Vec<(String, String)>,
    submitted: Option<String>,
    nonce: Option<String>,
}

impl PublicForm {
    /// The value of a single field.
    pub fn value(&self, field: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(name, _)| name == field)
            .map(|(_, value)| value.as_str())
    }

    /// True when the form's token is good for `purpose` and this request's form cookie.
    pub fn is_genuine(&self, tokens: &FormTokens, purpose: &str) -> bool {
        match (&self.nonce, &self.submitted) {
            (Some(nonce), Some(submitted)) => tokens.verify_nonce(nonce, purpose, submitted),
            _ => false,
        }
    }
}

impl<S: Send + Sync> FromRequest<S> for PublicForm {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let nonce = cookie_nonce(request.headers());
        let body = Bytes::from_request(request, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let mut pairs: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
        let submitted = pairs
            .iter()
            .position(|(field, _)| field == FORM_TOKEN_FIELD)
            .map(|index| pairs.remove(index).1);
        Ok(PublicForm {
            pairs,
            submitted,
            nonce,
        })
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;
    use axum::http::header::COOKIE;

    use super::*;

    fn headers_with_cookie(issued: &IssuedToken) -> HeaderMap {
        let set_cookie = issued.set_cookie.as_str();
        let pair = set_cookie.split(';').next().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, HeaderValue::from_str(pair).unwrap());
        headers
    }

    #[test]
    fn a_token_verifies_only_with_its_cookie_purpose_and_key() {
        let tokens = FormTokens::random(false);
        let issued = tokens.issue(&HeaderMap::new(), SIGN_IN);
        let headers = headers_with_cookie(&issued);
        assert!(tokens.verify(&headers, SIGN_IN, Some(issued.field())));
        // Another purpose, no cookie, another cookie, no field, another key, a changed field.
        assert!(!tokens.verify(&headers, SETUP, Some(issued.field())));
        assert!(!tokens.verify(&HeaderMap::new(), SIGN_IN, Some(issued.field())));
        let other = headers_with_cookie(&tokens.issue(&HeaderMap::new(), SIGN_IN));
        assert!(!tokens.verify(&other, SIGN_IN, Some(issued.field())));
        assert!(!tokens.verify(&headers, SIGN_IN, None));
        assert!(!FormTokens::random(false).verify(&headers, SIGN_IN, Some(issued.field())));
        let (expires, signature) = issued.field().split_once('.').unwrap();
        let later = format!("{}.{signature}", expires.parse::<i64>().unwrap() + 1);
        assert!(!tokens.verify(&headers, SIGN_IN, Some(&later)));
        assert!(!tokens.verify(&headers, SIGN_IN, Some("garbage")));
    }

    #[test]
    fn an_expired_token_is_refused_and_the_cookie_nonce_is_kept_across_issues() {
        let tokens = FormTokens::random(true).with_lifetime(Duration::ZERO);
        let issued = tokens.issue(&HeaderMap::new(), SIGN_IN);
        assert!(issued.set_cookie.as_str().ends_with("; Secure"));
        let headers = headers_with_cookie(&issued);
        let signature = issued.field().split_once('.').unwrap().1;
        let past = format!("{}.{signature}", now_secs() - 1);
        assert!(!tokens.verify(&headers, SIGN_IN, Some(&past)));

        let tokens = FormTokens::random(false);
        let first = tokens.issue(&HeaderMap::new(), SIGN_IN);
        let headers = headers_with_cookie(&first);
        let second = tokens.issue(&headers, SETUP);
        assert_eq!(headers_with_cookie(&second), headers);
        assert!(tokens.verify(&headers, SIGN_IN, Some(first.field())));
        assert!(tokens.verify(&headers, SETUP, Some(second.field())));
    }
}
