//! A client's one-time token carried by a cookie instead of a URL, so that it never sits in
//! the clinician's browser history (issue 17, break 8). Two cookies, each `HttpOnly`,
//! `SameSite=Strict`, `Secure` with `--secure-cookies`, and gone when the invitation is:
//! the link for the invitation page (`Path=/invitations/{id}`), and the handed-over
//! device's questions (`Path=/c/`, opened at the token-less `/c/here`).
//! OWASP ASVS 5.0 V14.2.1 (no sensitive data in URLs) and V3.3.1, V3.3.2, V3.3.4 (cookie
//! attributes).

use axum::http::HeaderMap;

use super::cookie::{self, SameSite, SetCookie};

/// The cookie carrying the link of one invitation to its page.
const LINK_COOKIE: &str = "screener_link";
/// The cookie carrying the handed-over device's token to the client view.
const DEVICE_COOKIE: &str = "screener_device";
/// The client view's address on a handed-over device: the token is in [`DEVICE_COOKIE`].
pub const DEVICE_PATH: &str = "/c/here";
/// What stands for the token in [`DEVICE_PATH`].
pub const DEVICE_SEGMENT: &str = "here";

/// A `Set-Cookie` of a client's token: scoped to its path, `SameSite=Strict`.
fn set_cookie(name: &str, value: &str, path: &str, max_age: i64, secure: bool) -> SetCookie {
    SetCookie::new(name, value, path, max_age, SameSite::Strict, secure)
}

/// Only a token's own characters are ever put in or read from a cookie.
fn is_token_like(value: &str) -> bool {
    !value.is_empty() && value.len() <= 64 && value.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The page path of an invitation.
fn invitation_path(invitation_id: &str) -> String {
    format!("/invitations/{invitation_id}")
}

/// The link's token for the page of `invitation_id`, for `max_age` seconds.
pub fn link(invitation_id: &str, token: &str, max_age: i64, secure: bool) -> SetCookie {
    set_cookie(
        LINK_COOKIE,
        token,
        &invitation_path(invitation_id),
        max_age,
        secure,
    )
}

/// Removes the link cookie of `invitation_id`.
pub fn clear_link(invitation_id: &str, secure: bool) -> SetCookie {
    set_cookie(LINK_COOKIE, "", &invitation_path(invitation_id), 0, secure)
}

/// The handed-over device's token for the client view, for `max_age` seconds.
pub fn device(token: &str, max_age: i64, secure: bool) -> SetCookie {
    set_cookie(DEVICE_COOKIE, token, "/c/", max_age, secure)
}

fn read(headers: &HeaderMap, name: &str) -> Option<String> {
    cookie::read(headers, name)
        .next()
        .filter(|value| is_token_like(value))
        .map(str::to_owned)
}

/// The link token the request's cookie carries (sent only to its invitation's page).
pub fn link_token(headers: &HeaderMap) -> Option<String> {
    read(headers, LINK_COOKIE)
}

/// The handed-over device's token the request's cookie carries.
pub fn device_token(headers: &HeaderMap) -> Option<String> {
    read(headers, DEVICE_COOKIE)
}

#[cfg(test)]
mod tests {
    use super::*;

    use axum::http::HeaderValue;
    use axum::http::header::COOKIE;

    fn header(cookie: &SetCookie) -> String {
        cookie.as_str().to_owned()
    }

    #[test]
    fn cookies_are_scoped_strict_http_only_and_expire() {
        let made = header(&link("0123abcd", "Tok3n", 600, true));
        assert_eq!(
            made,
            "screener_link=Tok3n; Path=/invitations/0123abcd; Max-Age=600; HttpOnly; SameSite=Strict; Secure"
        );
        let made = header(&device("Tok3n", -5, false));
        assert_eq!(
            made,
            "screener_device=Tok3n; Path=/c/; Max-Age=0; HttpOnly; SameSite=Strict"
        );
    }

    #[test]
    fn only_token_like_values_are_read() {
        let mut headers = HeaderMap::new();
        headers.insert(
            COOKIE,
            HeaderValue::from_static("a=b; screener_device=abc123; screener_link=x<y"),
        );
        assert_eq!(device_token(&headers).as_deref(), Some("abc123"));
        assert_eq!(link_token(&headers), None);
    }
}
