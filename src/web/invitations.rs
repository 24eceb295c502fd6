//! Invitations, the clinician's side (PRODUCT §6): making one (a link and QR code for the
//! client's phone, or the device handed over and the session locked), seeing whether the
//! answers have arrived, cancelling one, and unlocking the handed-over device.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

use super::plumbing::cookie::SetCookie;
use super::plumbing::error::WebError;
use super::plumbing::layout::Layout;
use super::plumbing::route::{Access, Category, Route};
use super::plumbing::session::{self, SignedIn, VerifiedForm};
use super::plumbing::state::AppState;
use super::plumbing::token_cookie;
use crate::accounts::PasswordHash;
use crate::screening::{Administration, LanguageCode, ReviewCode};
use crate::store::{AuditAction, AuditEntry, EXPIRY_GRACE_SECS, Invitation, InvitationId};

/// Wrong passwords that end a locked session.
pub const UNLOCK_FAILURES: u32 = 5;

pub fn routes() -> Vec<Route> {
    vec![
        Route::get("/invitations", Access::Clinician, list_invitations)
            .counted(Category::Invitation),
        Route::post("/invitations", Access::Clinician, create_invitation)
            .counted(Category::Invitation),
        Route::get("/invitations/{id}", Access::Clinician, show_invitation)
            .counted(Category::Invitation),
        Route::post(
            "/invitations/{id}/cancel",
            Access::Clinician,
            cancel_invitation,
        )
        .counted(Category::Invitation),
        Route::post("/invitations/{id}/new-link", Access::Clinician, new_link)
            .counted(Category::Invitation),
        Route::post(
            "/invitations/{id}/dismiss",
            Access::Clinician,
            dismiss_invitation,
        )
        .counted(Category::Invitation),
        Route::post(
            "/invitations/{id}/hand-over",
            Access::Clinician,
            hand_over_again,
        )
        .counted(Category::Invitation),
        // Open while locked: the way back for the clinician, and for the client to their own
        // questions.
        Route::get("/unlock", Access::Public, unlock_page)
            .counted(Category::Unlock)
            .open_while_locked(),
        Route::post("/unlock", Access::Public, unlock)
            .counted(Category::Unlock)
            .open_while_locked(),
        Route::post("/unlock/questions", Access::Public, back_to_the_questions)
            .counted(Category::Unlock)
            .open_while_locked(),
    ]
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// One invitation as the clinician's pages show it.
pub struct InvitationRow {
    pub id: String,
    pub match_words: String,
    pub answered: bool,
    /// Answered on this (handed-over) device rather than by link.
    pub on_device: bool,
    pub how: &'static str,
    /// The language the client answered in, when not English.
    pub language: Option<&'static str>,
    /// "in 42 minutes", "in 23 hours".
    pub expires_in: String,
    /// Its time ran out: listed as "Expired · make a new link" until dismissed or a day on.
    pub expired: bool,
    /// Closed to new visits, but a form the client opened before the expiry may still come.
    pub in_grace: bool,
    /// The review code of the earlier screening this re-screening follows.
    pub prior: Option<String>,
}

impl InvitationRow {
    fn new(invitation: &Invitation, now: i64) -> InvitationRow {
        let left = (invitation.expiry - now).max(0);
        let expires_in = if left >= 2 * 3600 {
            format!("in {} hours", left / 3600)
        } else {
            let minutes = (left + 59) / 60;
            format!("in {minutes} minute{}", if minutes == 1 { "" } else { "s" })
        };
        InvitationRow {
            id: invitation.id.to_string(),
            match_words: invitation.match_words.clone(),
            answered: invitation.is_answered(),
            on_device: invitation.administration == Administration::ClientDevice,
            language: invitation
                .language
                .filter(|code| *code != LanguageCode::ENGLISH)
                .map(|code| super::client::language_for_clinician(code).0),
            how: match invitation.administration {
                Administration::ClientDevice => "On this device",
                _ => "Link for the client's phone",
            },
            expires_in: if invitation.is_closed(now) && !invitation.is_answered() {
                "now: closed to new visits, a form already open is still accepted".to_owned()
            } else {
                expires_in
            },
            in_grace: invitation.is_closed(now) && !invitation.is_expired(now),
            expired: invitation.is_expired(now),
            prior: invitation.prior.as_ref().map(ToString::to_string),
        }
    }
}

/// `GET /invitations`.
#[derive(Template, WebTemplate)]
#[template(path = "invitation_list.html")]
pub struct ListPage {
    pub layout: Layout,
    pub csrf_token: String,
    pub rows: Vec<InvitationRow>,
    pub minutes: u32,
    /// The invitation buttons' earlier screening (none from this page).
    pub prior_code: String,
}

/// `GET /invitations/{id}`.
#[derive(Template, WebTemplate)]
#[template(path = "invitation_show.html")]
pub struct ShowPage {
    pub layout: Layout,
    pub csrf_token: String,
    pub row: InvitationRow,
    /// The client's link, shown only to the browser that made it, by a cookie for this page
    /// (only its hash is stored).
    pub link: Option<String>,
    /// The link as an inline SVG QR code.
    pub qr_svg: Option<String>,
    /// The link's host is this computer itself (127.0.0.0/8, ::1, localhost): a phone
    /// cannot reach it.
    pub loopback: bool,
    /// The page's small script (progressive enhancement): it reloads the page while it
    /// waits, with a button to stop that, and works the Copy button.
    pub script: &'static str,
    /// How often the waiting page reloads itself, in seconds.
    pub refresh_seconds: u32,
}

/// How often a waiting invitation page reloads itself.
const REFRESH_SECONDS: u32 = 10;

async fn list_invitations(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<ListPage, WebError> {
    let now = now();
    let invitations = state.store.list_invitations(signed_in.id, now).await?;
    Ok(ListPage {
        layout: Layout::signed_in("Clients answering", &signed_in),
        csrf_token: signed_in.csrf_token.clone(),
        rows: invitations
            .iter()
            .map(|invitation| InvitationRow::new(invitation, now))
            .collect(),
        minutes: state.invitations.invitation_minutes,
        prior_code: String::new(),
    })
}

/// `POST /invitations`: `mode=link` → 303 to the invitation, its link in a cookie for that
/// page; `mode=device` → locks this session and 303 to the client view on this device, the
/// token in a cookie for it. No URL the browser keeps holds the token (issue 17, break 8).
async fn create_invitation(
    State(state): State<AppState>,
    session: Session,
    signed_in: SignedIn,
    form: VerifiedForm,
) -> Result<Response, WebError> {
    let administration = match form.value("mode") {
        Some("link") => Administration::ClientLink,
        Some("device") => Administration::ClientDevice,
        _ => {
            return Err(WebError::BadRequest(
                "Choose how the client answers: on this device, or by a link on their phone."
                    .into(),
            ));
        }
    };
    // A re-screening: the earlier screening travels with the invitation (one of the
    // clinician's own, or a clear 400 and nothing made).
    let prior = match form
        .value("prior_code")
        .map(str::trim)
        .filter(|typed| !typed.is_empty())
    {
        None => None,
        Some(typed) => {
            let code: ReviewCode = typed.parse().map_err(|_| {
                WebError::BadRequest(format!(
                    "\"{typed}\" is not a review code: eight letters and digits, like K7QF-29MX."
                ))
            })?;
            if state
                .store
                .find_screening(signed_in.id, &code)
                .await?
                .is_none()
            {
                return Err(WebError::BadRequest(format!(
                    "None of your screenings has the review code {code}."
                )));
            }
            Some(code)
        }
    };
    let now = now();
    let expiry = now + i64::from(state.invitations.invitation_minutes) * 60;
    let made = state
        .store
        .create_invitation(signed_in.id, administration, expiry, prior.as_ref())
        .await?;
    if administration == Administration::ClientDevice {
        session::lock(&session, made.invitation.id.as_str()).await?;
        return Ok(to_the_device_questions(&state, &made.token, expiry, now));
    }
    Ok(to_the_link(
        &state,
        &made.invitation.id,
        &made.token,
        expiry,
        now,
    ))
}

/// 303 to an invitation's page, its new link in a cookie only that page receives, until the
/// invitation expires.
fn to_the_link(
    state: &AppState,
    id: &InvitationId,
    token: &str,
    expiry: i64,
    now: i64,
) -> Response {
    let cookie = token_cookie::link(
        id.as_str(),
        token,
        expiry - now,
        state.security.secure_cookies,
    );
    (cookie, Redirect::to(&format!("/invitations/{id}"))).into_response()
}

/// 303 to the client view on this (handed-over) device at its token-less address, the token
/// in a cookie for the client view until the invitation's grace period ends.
fn to_the_device_questions(state: &AppState, token: &str, expiry: i64, now: i64) -> Response {
    let cookie = token_cookie::device(
        token,
        expiry - now + EXPIRY_GRACE_SECS,
        state.security.secure_cookies,
    );
    (cookie, Redirect::to(token_cookie::DEVICE_PATH)).into_response()
}

#[cfg(test)]
mod tests {
    use super::is_loopback_link;

    #[test]
    fn loopback_links_are_told_apart() {
        for loopback in [
            "http://127.0.0.1:3000/c/x",
            "http://127.1.2.3/c/x",
            "http://localhost:3000/c/x",
            "http://LOCALHOST/c/x",
            "http://[::1]:3000/c/x",
            "http://app.localhost/c/x",
        ] {
            assert!(is_loopback_link(loopback), "{loopback}");
        }
        for reachable in [
            "http://10.0.0.5:3000/c/x",
            "https://screener.clinic.example/c/x",
            "http://[fe80::1]:3000/c/x",
            "http://192.168.1.20/c/x",
            "http://localhost.example/c/x",
        ] {
            assert!(!is_loopback_link(reachable), "{reachable}");
        }
    }
}

/// The owner's invitation with this id; 404 for anyone else's, or when there is none.
async fn own_invitation(
    state: &AppState,
    signed_in: &SignedIn,
    id: &str,
) -> Result<Invitation, WebError> {
    let id = InvitationId::parse(id).ok_or(WebError::NotFound)?;
    state
        .store
        .find_invitation(signed_in.id, &id, now())
        .await?
        .ok_or(WebError::NotFound)
}

/// The owner's invitation with this id, expired ones included while they are listed; 404
/// for anyone else's, or when there is none.
async fn own_listed_invitation(
    state: &AppState,
    signed_in: &SignedIn,
    id: &str,
) -> Result<Invitation, WebError> {
    let id = InvitationId::parse(id).ok_or(WebError::NotFound)?;
    state
        .store
        .find_listed_invitation(signed_in.id, &id, now())
        .await?
        .ok_or(WebError::NotFound)
}

/// True when a link's address is this computer itself (127.0.0.0/8, ::1, localhost), which
/// a client's phone cannot reach.
fn is_loopback_link(link: &str) -> bool {
    let rest = link.split_once("://").map_or(link, |(_, rest)| rest);
    let authority = rest.split('/').next().unwrap_or_default();
    let host = if let Some(bracketed) = authority.strip_prefix('[') {
        bracketed.split(']').next().unwrap_or_default()
    } else {
        authority
            .rsplit_once(':')
            .map_or(authority, |(host, _)| host)
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host == "localhost"
        || host.ends_with(".localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|address| address.is_loopback())
}

/// Where clients' phones reach the app: `--public-url`, else the address this browser used.
fn origin(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(url) = &state.invitations.public_url {
        return url.trim_end_matches('/').to_owned();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .filter(|host| {
            !host.is_empty()
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("localhost");
    let scheme = if state.security.secure_cookies {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}")
}

/// The QR code of `text` as an inline SVG image with an accessible name.
fn qr_svg(text: &str) -> Option<String> {
    let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(232, 232)
        .quiet_zone(true)
        .build();
    let start = svg.find("<svg")?;
    Some(svg[start..].replacen(
        "<svg ",
        "<svg role=\"img\" aria-label=\"QR code of the client's link\" class=\"qr\" ",
        1,
    ))
}

/// `GET /invitations/{id}`: the link is shown while this browser holds the cookie made with
/// it and the link is still open; a cookie that opens nothing any more is removed.
async fn show_invitation(
    State(state): State<AppState>,
    signed_in: SignedIn,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let invitation = own_listed_invitation(&state, &signed_in, &id).await?;
    let now = now();
    let mut link = None;
    let mut spent_cookie: Option<SetCookie> = None;
    if let Some(token) = token_cookie::link_token(&headers) {
        if !invitation.is_answered()
            && !invitation.is_closed(now)
            && invitation.administration == Administration::ClientLink
            && state.store.token_matches(&invitation.id, &token).await?
        {
            link = Some(format!("{}/c/{token}", origin(&state, &headers)));
        } else {
            spent_cookie = Some(token_cookie::clear_link(
                invitation.id.as_str(),
                state.security.secure_cookies,
            ));
        }
    }
    let page = ShowPage {
        layout: Layout::signed_in(format!("Invitation {}", invitation.match_words), &signed_in),
        csrf_token: signed_in.csrf_token.clone(),
        row: InvitationRow::new(&invitation, now),
        qr_svg: link.as_deref().and_then(qr_svg),
        loopback: link.as_deref().is_some_and(is_loopback_link),
        link,
        script: super::plumbing::assets::invitation_script_url(),
        refresh_seconds: REFRESH_SECONDS,
    };
    Ok(match spent_cookie {
        Some(cookie) => (cookie, page).into_response(),
        None => page.into_response(),
    })
}

/// `POST /invitations/{id}/new-link`: a new link for an unanswered link invitation whose
/// link is no longer on screen (only its hash is kept), or for an expired invitation of
/// either kind (it becomes a link with a new expiry, its match words and earlier screening
/// kept); the old link stops working.
async fn new_link(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    _form: VerifiedForm,
) -> Result<Response, WebError> {
    let invitation = own_listed_invitation(&state, &signed_in, &id).await?;
    let now = now();
    if invitation.is_expired(now) {
        let expiry = now + i64::from(state.invitations.invitation_minutes) * 60;
        let Some(token) = state
            .store
            .revive_invitation(signed_in.id, &invitation.id, now, expiry)
            .await?
        else {
            return Ok(Redirect::to(&format!("/invitations/{}", invitation.id)).into_response());
        };
        return Ok(to_the_link(&state, &invitation.id, &token, expiry, now));
    }
    if invitation.administration != Administration::ClientLink {
        return Err(WebError::NotFound);
    }
    if invitation.is_closed(now) {
        // The grace period: a form the client opened before the expiry may still come in,
        // and a new link would throw it away. Nothing changes.
        return Ok(Redirect::to(&format!("/invitations/{}", invitation.id)).into_response());
    }
    let Some(token) = state
        .store
        .renew_token(signed_in.id, &invitation.id, now)
        .await?
    else {
        return Ok(Redirect::to(&format!("/invitations/{}", invitation.id)).into_response());
    };
    Ok(to_the_link(
        &state,
        &invitation.id,
        &token,
        invitation.expiry,
        now,
    ))
}

/// `POST /invitations/{id}/dismiss`: takes an expired invitation off the list; 404 for
/// anyone else's and for one not expired (cancel that instead).
async fn dismiss_invitation(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    _form: VerifiedForm,
) -> Result<Response, WebError> {
    let id = InvitationId::parse(&id).ok_or(WebError::NotFound)?;
    if !state
        .store
        .dismiss_invitation(signed_in.id, &id, now())
        .await?
    {
        return Err(WebError::NotFound);
    }
    Ok(Redirect::to("/invitations").into_response())
}

/// `POST /invitations/{id}/hand-over`: the device goes back to the client of an unanswered
/// device invitation: the session locks again and the client view opens under a new token
/// (the old one answers 410; only hashes are stored, so it cannot be shown again).
async fn hand_over_again(
    State(state): State<AppState>,
    session: Session,
    signed_in: SignedIn,
    Path(id): Path<String>,
    _form: VerifiedForm,
) -> Result<Response, WebError> {
    let invitation = own_invitation(&state, &signed_in, &id).await?;
    if invitation.administration != Administration::ClientDevice || invitation.is_answered() {
        return Err(WebError::NotFound);
    }
    let now = now();
    let Some(token) = state
        .store
        .renew_token(signed_in.id, &invitation.id, now)
        .await?
    else {
        return Err(WebError::NotFound);
    };
    session::lock(&session, invitation.id.as_str()).await?;
    Ok(to_the_device_questions(
        &state,
        &token,
        invitation.expiry,
        now,
    ))
}

/// The locked session's device invitation while the client has not answered it yet.
async fn unanswered_device_invitation(
    state: &AppState,
    lock: &session::Lock,
    clinician: crate::store::ClinicianId,
) -> Result<Option<Invitation>, WebError> {
    let Some(id) = InvitationId::parse(&lock.invitation) else {
        return Ok(None);
    };
    Ok(state
        .store
        .find_invitation(clinician, &id, now())
        .await?
        .filter(|invitation| {
            !invitation.is_answered() && invitation.administration == Administration::ClientDevice
        }))
}

/// `POST /unlock/questions`: "Back to the questions" on a handed-over device whose client
/// has not answered yet. The lock knows only the invitation's id and the token is stored
/// only as a hash, so the client view opens under a new token (the old one answers 410);
/// the session stays locked and nothing of the clinician's is shown. Once answered or
/// expired, back to the unlock page.
async fn back_to_the_questions(
    State(state): State<AppState>,
    session: Session,
    _form: VerifiedForm,
) -> Result<Response, WebError> {
    let Some((lock, clinician)) = session::lock_state(&session).await? else {
        return Ok(Redirect::to("/screenings/new").into_response());
    };
    let Some(invitation) = unanswered_device_invitation(&state, &lock, clinician).await? else {
        return Ok(Redirect::to("/unlock").into_response());
    };
    let now = now();
    let Some(token) = state
        .store
        .renew_token(clinician, &invitation.id, now)
        .await?
    else {
        return Ok(Redirect::to("/unlock").into_response());
    };
    Ok(to_the_device_questions(
        &state,
        &token,
        invitation.expiry,
        now,
    ))
}

async fn cancel_invitation(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    _form: VerifiedForm,
) -> Result<Response, WebError> {
    let id = InvitationId::parse(&id).ok_or(WebError::NotFound)?;
    if !state
        .store
        .cancel_invitation(signed_in.id, &id, now())
        .await?
    {
        return Err(WebError::NotFound);
    }
    Ok(Redirect::to("/invitations").into_response())
}

/// `GET /unlock` and a refused `POST /unlock`.
#[derive(Template, WebTemplate)]
#[template(path = "unlock.html")]
pub struct UnlockPage {
    pub layout: Layout,
    pub csrf_token: String,
    pub error: Option<String>,
    /// The client has not answered yet: offer "Back to the questions".
    pub questions_open: bool,
}

/// The locked session's page, or `None` when this session is not locked.
async fn unlock_form(
    state: &AppState,
    session: &Session,
    error: Option<String>,
) -> Result<Option<UnlockPage>, WebError> {
    let Some((lock, clinician)) = session::lock_state(session).await? else {
        return Ok(None);
    };
    if state.store.find_clinician(clinician).await?.is_none() {
        return Ok(None);
    }
    let questions_open = unanswered_device_invitation(state, &lock, clinician)
        .await?
        .is_some();
    Ok(Some(UnlockPage {
        questions_open,
        layout: Layout::public("Unlock"),
        csrf_token: session::existing_csrf_token(session)
            .await?
            .unwrap_or_default(),
        error,
    }))
}

async fn unlock_page(
    State(state): State<AppState>,
    session: Session,
) -> Result<Response, WebError> {
    Ok(match unlock_form(&state, &session, None).await? {
        Some(page) => page.into_response(),
        None => Redirect::to("/screenings/new").into_response(),
    })
}

/// `POST /unlock`: the clinician's password unlocks the session and opens the form with
/// the client's answers (or the invitation, while they are not in). No address limit refuses
/// the right password; the wrong ones are counted per session, one attempt at a time, and the
/// fifth ends the session (ASVS 5.0 V6.3.1: five guesses per session, and a new session
/// needs a sign-in).
async fn unlock(
    State(state): State<AppState>,
    session: Session,
    form: VerifiedForm,
) -> Result<Response, WebError> {
    let Some((lock, clinician_id)) = session::lock_state(&session).await? else {
        return Ok(Redirect::to("/screenings/new").into_response());
    };
    let Some(session_id) = session.id() else {
        return Ok(Redirect::to("/login").into_response());
    };
    let attempt = state.unlock_throttle.begin(session_id.0).await;
    if attempt.failures() >= UNLOCK_FAILURES {
        // Sent alongside the guess that ended the session.
        session::sign_out(&session).await?;
        return Ok(Redirect::to("/login").into_response());
    }
    let clinician = state.store.find_clinician(clinician_id).await?;
    let hash = clinician.as_ref().map_or_else(
        || PasswordHash::decoy().clone(),
        |clinician| clinician.password_hash.clone(),
    );
    let password = form.value("password").unwrap_or_default().to_owned();
    let password_ok = hash.verify_off_runtime(password).await;
    let Some(clinician) = clinician.filter(|clinician| clinician.is_active) else {
        session::sign_out(&session).await?;
        return Ok(Redirect::to("/login").into_response());
    };
    if password_ok {
        attempt.done();
        session::unlock(&session).await?;
        let answered = match InvitationId::parse(&lock.invitation) {
            Some(id) => state
                .store
                .find_invitation(clinician.id, &id, now())
                .await?
                .map(|invitation| (invitation.is_answered(), id)),
            None => None,
        };
        let next = match answered {
            Some((true, id)) => format!("/screenings/new?invitation={id}"),
            Some((false, id)) => format!("/invitations/{id}"),
            None => "/invitations".to_owned(),
        };
        return Ok(Redirect::to(&next).into_response());
    }
    let failures = attempt
        .failed()
        .max(session::unlock_failed(&session).await?);
    if failures >= UNLOCK_FAILURES {
        session::sign_out(&session).await?;
        state
            .store
            .record(
                AuditEntry::new(clinician.username.as_str(), AuditAction::SignInThrottled)
                    .detail(format!(
                        "session ended after {UNLOCK_FAILURES} wrong passwords to unlock a handed-over device"
                    )),
            )
            .await?;
        return Ok(Redirect::to("/login").into_response());
    }
    let left = UNLOCK_FAILURES - failures;
    let message = format!(
        "That password is not right. After {left} more wrong attempt{} this session ends and you sign in again.",
        if left == 1 { "" } else { "s" }
    );
    let page = unlock_form(&state, &session, Some(message))
        .await?
        .ok_or(WebError::Internal)?;
    Ok((StatusCode::UNAUTHORIZED, page).into_response())
}
