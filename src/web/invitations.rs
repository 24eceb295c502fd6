//! Invitations, the clinician's side (SPEC §6): making one (a link and QR code for the
//! client's phone, or the device handed over and the session locked), seeing whether the
//! answers have arrived, cancelling one, and unlocking the handed-over device.

use std::net::SocketAddr;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use tower_sessions::Session;

use super::plumbing::error::WebError;
use super::plumbing::layout::Layout;
use super::plumbing::route::{Access, Route};
use super::plumbing::session::{self, SignedIn, VerifiedForm};
use super::plumbing::state::AppState;
use crate::accounts::PasswordHash;
use crate::screening::{Administration, LanguageCode};
use crate::store::{AuditAction, AuditEntry, Invitation, InvitationId};

/// Wrong passwords that end a locked session.
pub const UNLOCK_FAILURES: u32 = 5;

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(
            "/invitations",
            Access::Clinician,
            get(list_invitations).post(create_invitation),
        ),
        Route::new("/invitations/{id}", Access::Clinician, get(show_invitation)),
        Route::new(
            "/invitations/{id}/cancel",
            Access::Clinician,
            post(cancel_invitation),
        ),
        Route::new(
            "/invitations/{id}/new-link",
            Access::Clinician,
            post(new_link),
        ),
        Route::new("/unlock", Access::Public, get(unlock_page).post(unlock)),
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
            expires_in,
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
}

/// `GET /invitations/{id}`.
#[derive(Template, WebTemplate)]
#[template(path = "invitation_show.html")]
pub struct ShowPage {
    pub layout: Layout,
    pub csrf_token: String,
    pub row: InvitationRow,
    /// The client's link, shown only right after it is made (only its hash is stored).
    pub link: Option<String>,
    /// The link as an inline SVG QR code.
    pub qr_svg: Option<String>,
}

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
    })
}

/// `POST /invitations`: `mode=link` → 303 to the invitation with its link; `mode=device` →
/// locks this session and 303 to the client view on this device.
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
    let expiry = now() + i64::from(state.invitations.invitation_minutes) * 60;
    let made = state
        .store
        .create_invitation(signed_in.id, administration, expiry)
        .await?;
    if administration == Administration::ClientDevice {
        session::lock(&session, made.invitation.id.as_str()).await?;
        return Ok(Redirect::to(&format!("/c/{}", made.token)).into_response());
    }
    Ok(Redirect::to(&format!(
        "/invitations/{}?token={}",
        made.invitation.id, made.token
    ))
    .into_response())
}

#[derive(Debug, Deserialize)]
struct TokenParam {
    token: Option<String>,
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

async fn show_invitation(
    State(state): State<AppState>,
    signed_in: SignedIn,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(params): Query<TokenParam>,
) -> Result<ShowPage, WebError> {
    let invitation = own_invitation(&state, &signed_in, &id).await?;
    let mut link = None;
    if let Some(token) = params.token.as_deref()
        && !invitation.is_answered()
        && invitation.administration == Administration::ClientLink
        && state.store.token_matches(&invitation.id, token).await?
    {
        link = Some(format!("{}/c/{token}", origin(&state, &headers)));
    }
    Ok(ShowPage {
        layout: Layout::signed_in(format!("Invitation {}", invitation.match_words), &signed_in),
        csrf_token: signed_in.csrf_token.clone(),
        row: InvitationRow::new(&invitation, now()),
        qr_svg: link.as_deref().and_then(qr_svg),
        link,
    })
}

/// `POST /invitations/{id}/new-link`: a new link for an unanswered link invitation whose
/// link is no longer on screen (only its hash is kept); the old link stops working.
async fn new_link(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    _form: VerifiedForm,
) -> Result<Response, WebError> {
    let invitation = own_invitation(&state, &signed_in, &id).await?;
    if invitation.administration != Administration::ClientLink {
        return Err(WebError::NotFound);
    }
    let Some(token) = state
        .store
        .renew_token(signed_in.id, &invitation.id, now())
        .await?
    else {
        return Ok(Redirect::to(&format!("/invitations/{}", invitation.id)).into_response());
    };
    Ok(Redirect::to(&format!("/invitations/{}?token={token}", invitation.id)).into_response())
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
}

/// The locked session's page, or `None` when this session is not locked.
async fn unlock_form(
    state: &AppState,
    session: &Session,
    error: Option<String>,
) -> Result<Option<UnlockPage>, WebError> {
    let Some((_, clinician)) = session::lock_state(session).await? else {
        return Ok(None);
    };
    if state.store.find_clinician(clinician).await?.is_none() {
        return Ok(None);
    }
    Ok(Some(UnlockPage {
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
/// the client's answers (or the invitation, while they are not in); wrong passwords are
/// throttled by address, and the fifth ends the session.
async fn unlock(
    State(state): State<AppState>,
    session: Session,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    form: VerifiedForm,
) -> Result<Response, WebError> {
    let Some((lock, clinician_id)) = session::lock_state(&session).await? else {
        return Ok(Redirect::to("/screenings/new").into_response());
    };
    let address = super::plumbing::throttle::client_address(&state, peer, &headers);
    if let Err(wait) = state.client_throttle.begin(None, Some(address)).await {
        let page = unlock_form(&state, &session, Some(super::auth::too_many_attempts(wait)))
            .await?
            .ok_or(WebError::Internal)?;
        return Ok((StatusCode::TOO_MANY_REQUESTS, page).into_response());
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
        state.client_throttle.forgive(address).await;
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
    let failures = session::unlock_failed(&session).await?;
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
