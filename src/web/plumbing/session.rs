//! Who is signed in: the session's contents, the gate in front of private routes, and the
//! per-session CSRF token every form carries.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::Method;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use rand::distr::{Alphanumeric, SampleString};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use tower_sessions::Session;

use super::error::WebError;
pub use super::identity::SignedIn;
use super::state::AppState;
use crate::store::{Clinician, ClinicianId};

/// The session key under which [`SessionData`] lives.
const SESSION_KEY: &str = "screener";
/// The form field carrying the CSRF token.
pub const CSRF_FIELD: &str = "csrf_token";
/// Activity refreshes the idle timeout at most this often (each refresh is a write).
const REFRESH_AFTER_SECS: i64 = 60;

/// What a session holds: never client data.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SessionData {
    csrf_token: String,
    clinician: Option<ClinicianId>,
    /// The account's session epoch at sign-in.
    #[serde(default)]
    epoch: i64,
    /// Unix seconds of the last refresh of the idle timeout.
    refreshed: i64,
    /// Unix seconds of the sign-in, for the absolute lifetime; kept nowhere else, and never
    /// beside a screening. A session from before it was kept reads 0 and has ended.
    #[serde(default)]
    signed_in: i64,
    /// Set while the device is handed to a client (PRODUCT §6).
    #[serde(default)]
    lock: Option<Lock>,
}

/// A session locked while the clinician's device is handed to a client.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Lock {
    /// The invitation the client is answering (its id, never its token).
    pub invitation: String,
    /// Wrong passwords given to unlock so far.
    pub failures: u32,
}

fn now_secs() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn fresh_token() -> String {
    Alphanumeric.sample_string(&mut rand::rng(), 43)
}

async fn load(session: &Session) -> Result<Option<SessionData>, WebError> {
    Ok(session.get::<SessionData>(SESSION_KEY).await?)
}

/// Signs a clinician in: a new session id (against fixation) and a new CSRF token, which is
/// returned. This is the first time a session is stored: forms shown before signing in carry
/// a form token instead (see [`super::form_token`]).
pub async fn sign_in(session: &Session, clinician: &Clinician) -> Result<String, WebError> {
    session.cycle_id().await?;
    let data = SessionData {
        csrf_token: fresh_token(),
        clinician: Some(clinician.id),
        epoch: clinician.session_epoch,
        refreshed: now_secs(),
        signed_in: now_secs(),
        lock: None,
    };
    session.insert(SESSION_KEY, &data).await?;
    Ok(data.csrf_token)
}

/// Carries this session over an end of the account's other sessions: the account's new
/// `epoch`, and a new session id (the password was just given again; OWASP ASVS 5.0 V7.2.4).
/// The sign-in time, and so the absolute lifetime, stay as they were.
pub async fn restamp(session: &Session, epoch: i64) -> Result<(), WebError> {
    let Some(mut data) = load(session).await? else {
        return Err(WebError::Internal);
    };
    data.epoch = epoch;
    session.cycle_id().await?;
    session.insert(SESSION_KEY, &data).await?;
    Ok(())
}

/// Ends a sign-in older than the absolute session lifetime however active it has been, before
/// any handler or gate reads the session (OWASP ASVS 5.0 V7.3.2). Static files are left alone.
pub async fn end_old_sessions(
    State(state): State<AppState>,
    session: Session,
    request: Request,
    next: Next,
) -> Response {
    if !request.uri().path().starts_with("/static/") {
        match load(&session).await {
            Ok(Some(data))
                if data.clinician.is_some()
                    && now_secs() - data.signed_in >= state.security.session_max_secs() =>
            {
                if let Err(error) = sign_out(&session).await {
                    return error.into_response();
                }
            }
            Ok(_) => {}
            Err(error) => return error.into_response(),
        }
    }
    next.run(request).await
}

/// Locks a signed-in session while the device is handed to a client answering `invitation`.
pub async fn lock(session: &Session, invitation: &str) -> Result<(), WebError> {
    let Some(mut data) = load(session).await? else {
        return Err(WebError::Internal);
    };
    data.lock = Some(Lock {
        invitation: invitation.to_owned(),
        failures: 0,
    });
    session.insert(SESSION_KEY, &data).await?;
    Ok(())
}

/// The lock of this session with the clinician it belongs to, if it is locked.
pub async fn lock_state(session: &Session) -> Result<Option<(Lock, ClinicianId)>, WebError> {
    Ok(load(session)
        .await?
        .and_then(|data| Some((data.lock?, data.clinician?))))
}

/// Counts a wrong unlock password; returns the failures so far.
pub async fn unlock_failed(session: &Session) -> Result<u32, WebError> {
    let Some(mut data) = load(session).await? else {
        return Ok(0);
    };
    let Some(lock) = data.lock.as_mut() else {
        return Ok(0);
    };
    lock.failures += 1;
    let failures = lock.failures;
    session.insert(SESSION_KEY, &data).await?;
    Ok(failures)
}

/// Unlocks the session with a new id and a new CSRF token (what the client's hands may have
/// seen of the old ones is worth nothing).
pub async fn unlock(session: &Session) -> Result<(), WebError> {
    let Some(mut data) = load(session).await? else {
        return Ok(());
    };
    data.lock = None;
    data.csrf_token = fresh_token();
    session.cycle_id().await?;
    session.insert(SESSION_KEY, &data).await?;
    Ok(())
}

/// The CSRF token of a session, if it has one (never creates a session).
pub async fn existing_csrf_token(session: &Session) -> Result<Option<String>, WebError> {
    Ok(load(session).await?.map(|data| data.csrf_token))
}

/// Ends the session: its data is deleted and the cookie removed.
pub async fn sign_out(session: &Session) -> Result<(), WebError> {
    session.flush().await?;
    Ok(())
}

/// Put in the request by [`require_clinician`]; a route without that gate has none and sends
/// the browser to sign in.
impl<S: Send + Sync> FromRequestParts<S> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<SignedIn>()
            .cloned()
            .ok_or_else(|| Redirect::to("/login").into_response())
    }
}

/// Who is signed in on this session, if anyone whose account is still active and whose
/// password has not changed since. Any other session ends here, at its next request.
pub async fn current(state: &AppState, session: &Session) -> Result<Option<SignedIn>, WebError> {
    let Some(mut data) = load(session).await? else {
        return Ok(None);
    };
    let Some(id) = data.clinician else {
        return Ok(None);
    };
    let clinician = match state.store.find_clinician(id).await? {
        Some(clinician) if clinician.is_active && clinician.session_epoch == data.epoch => {
            clinician
        }
        _ => {
            sign_out(session).await?;
            return Ok(None);
        }
    };
    let now = now_secs();
    if now - data.refreshed >= REFRESH_AFTER_SECS {
        data.refreshed = now;
        session.insert(SESSION_KEY, &data).await?;
    }
    Ok(Some(SignedIn {
        id: clinician.id,
        username: clinician.username,
        is_admin: clinician.is_admin,
        csrf_token: data.csrf_token,
    }))
}

/// Lets only signed-in clinicians through; others are sent to sign in, coming back here after.
/// (A locked session met the lock first, as the route table says: see `plumbing/lock.rs`.)
pub async fn require_clinician(
    State(state): State<AppState>,
    session: Session,
    mut request: Request,
    next: Next,
) -> Response {
    match current(&state, &session).await {
        Ok(Some(signed_in)) => {
            request.extensions_mut().insert(signed_in);
            next.run(request).await
        }
        Ok(None) => {
            let target = if request.method() == Method::GET {
                let back = request
                    .uri()
                    .path_and_query()
                    .map_or("/", |path| path.as_str());
                let query = form_urlencoded::Serializer::new(String::new())
                    .append_pair("next", back)
                    .finish();
                format!("/login?{query}")
            } else {
                "/login".to_owned()
            };
            Redirect::to(&target).into_response()
        }
        Err(error) => error.into_response(),
    }
}

/// Lets only administrators through; to anyone else the route does not exist.
pub async fn require_admin(signed_in: SignedIn, request: Request, next: Next) -> Response {
    if signed_in.is_admin {
        next.run(request).await
    } else {
        WebError::NotFound.into_response()
    }
}

/// Where to go after signing in: a local path only, never another site.
pub fn local_path(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && !path.chars().any(|c| c.is_control() || c == '\\') =>
        {
            path.to_owned()
        }
        _ => "/screenings/new".to_owned(),
    }
}

/// A form body, its CSRF token field taken out and checked against the session's.
#[derive(Debug, Default)]
pub struct SubmittedForm {
    /// The fields, without the token.
    pub pairs: Vec<(String, String)>,
    /// True when the token matched this session's.
    pub token_matches: bool,
}

impl FromRequest<AppState> for SubmittedForm {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let session = Session::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let request = Request::from_parts(parts, body);
        let body = Bytes::from_request(request, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let mut pairs: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
        let sent = pairs
            .iter()
            .position(|(field, _)| field == CSRF_FIELD)
            .map(|index| pairs.remove(index).1);
        let expected = load(&session)
            .await
            .map_err(IntoResponse::into_response)?
            .map(|data| data.csrf_token);
        let token_matches = matches!((sent, expected), (Some(sent), Some(expected))
            if bool::from(sent.as_bytes().ct_eq(expected.as_bytes())));
        Ok(SubmittedForm {
            pairs,
            token_matches,
        })
    }
}

/// A form body whose CSRF token matched the session's; anything else is refused with 403.
/// Every state-changing form is read through this (or through [`SubmittedForm`] where a
/// mismatch is answered otherwise).
#[derive(Debug, Default)]
pub struct VerifiedForm(pub Vec<(String, String)>);

impl VerifiedForm {
    /// The value of a single field.
    pub fn value(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(name, _)| name == field)
            .map(|(_, value)| value.as_str())
    }
}

impl FromRequest<AppState> for VerifiedForm {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        match SubmittedForm::from_request(request, state).await? {
            SubmittedForm {
                pairs,
                token_matches: true,
            } => Ok(VerifiedForm(pairs)),
            _ => Err(WebError::Forbidden.into_response()),
        }
    }
}
