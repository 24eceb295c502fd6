//! Signing in and out, and the first-run setup of the first administrator.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

use axum::extract::Request;

use super::plumbing::client_address::ClientAddress;
use super::plumbing::error::WebError;
use super::plumbing::form_token::{self, PublicForm};
use super::plumbing::layout::Layout;
use super::plumbing::pending_sign_in::Pending;
use super::plumbing::route::{Access, Category, Route};
use super::plumbing::session::{self, SignedIn};
use super::plumbing::state::AppState;
use super::plumbing::throttle;
use super::screenings;
use crate::accounts::{AccountError, NewPassword, PasswordHash, Username};
use crate::store::{AuditAction, AuditEntry, UNKNOWN_USERNAME};

pub fn routes() -> Vec<Route> {
    vec![
        Route::get("/", Access::Public, || async {
            Redirect::to("/screenings/new")
        })
        .counted(Category::Other),
        // Logged: signing in and out and setting up concern the clinician, not a client, and
        // the audit log records them with their time anyway.
        Route::get("/login", Access::Public, login_form).logged(),
        Route::post("/login", Access::Public, login).logged(),
        // Open while locked: whoever holds a locked device may end its session.
        Route::post("/logout", Access::Clinician, logout)
            .logged()
            .open_while_locked(),
        Route::get("/setup", Access::Public, setup_page).logged(),
        Route::post("/setup", Access::Public, setup).logged(),
    ]
}

/// `GET /login` and a failed `POST /login`.
#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    csrf_token: String,
    next: String,
    username: String,
    error: Option<String>,
    /// Screening answers kept through a sign-in after the session ended mid-form.
    carried: Vec<(String, String)>,
}

/// The prefix of form fields that carry screening answers through the sign-in form.
pub const CARRY_PREFIX: &str = "carry.";

/// The answer to a screening submitted after the session ended: instead of losing the
/// answers, the sign-in form carries them (coded answers only, in hidden fields) and, once
/// signed in, the screening form comes back filled in for a last check.
/// In front of the clinician gate on a route that keeps its form through a new sign-in: a
/// `POST` from a browser whose session ran out gets the sign-in page carrying the answers, so
/// nothing typed is lost.
pub async fn keep_form_through_sign_in(
    State(state): State<AppState>,
    session: Session,
    request: Request,
    next: axum::middleware::Next,
) -> Response {
    if request.method() == axum::http::Method::POST
        && matches!(session::current(&state, &session).await, Ok(None))
    {
        return sign_in_again(&state, request)
            .await
            .unwrap_or_else(IntoResponse::into_response);
    }
    next.run(request).await
}

async fn sign_in_again(state: &AppState, request: Request) -> Result<Response, WebError> {
    let token = state
        .form_tokens
        .issue(request.headers(), form_token::SIGN_IN);
    let body = axum::body::to_bytes(request.into_body(), super::BODY_LIMIT_BYTES)
        .await
        .map_err(|_| WebError::BadRequest("The form was too large.".into()))?;
    let carried: Vec<(String, String)> = form_urlencoded::parse(&body)
        .into_owned()
        .filter(|(field, _)| screenings::is_form_field(field))
        .collect();
    let page = LoginPage {
        layout: Layout::public("Sign in again"),
        csrf_token: token.field().to_owned(),
        next: "/screenings/new".to_owned(),
        username: String::new(),
        error: Some(
            "You were signed out after a while without activity, so the screening is not saved yet. \
             Sign in again: your answers are kept and the form comes back for you to save."
                .to_owned(),
        ),
        carried,
    };
    Ok((StatusCode::UNAUTHORIZED, token.cookie(), page).into_response())
}

#[derive(Debug, Deserialize)]
pub struct NextParam {
    next: Option<String>,
}

impl NextParam {
    /// The page to go on to, as asked.
    pub fn next(&self) -> Option<&str> {
        self.next.as_deref()
    }
}

/// The sign-in form again, with `message` (401): a sign-in to start over.
pub fn sign_in_again_page(state: &AppState, headers: &HeaderMap, message: &str) -> Response {
    let token = state.form_tokens.issue(headers, form_token::SIGN_IN);
    let page = LoginPage {
        layout: Layout::public("Sign in"),
        csrf_token: token.field().to_owned(),
        next: "/screenings/new".to_owned(),
        username: String::new(),
        error: Some(message.to_owned()),
        carried: Vec::new(),
    };
    (StatusCode::UNAUTHORIZED, token.cookie(), page).into_response()
}

/// `GET /login`: stores nothing (the form's CSRF defence is a signed form token).
pub async fn login_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<NextParam>,
) -> Result<Response, WebError> {
    if state.store.count_clinicians().await? == 0 {
        return Ok(first_run_page());
    }
    let token = state.form_tokens.issue(&headers, form_token::SIGN_IN);
    let page = LoginPage {
        layout: Layout::public("Sign in"),
        csrf_token: token.field().to_owned(),
        next: session::local_path(params.next.as_deref()),
        username: String::new(),
        error: None,
        carried: Vec::new(),
    };
    Ok((token.cookie(), page).into_response())
}

/// The screening answers a sign-in form carries (`carry.` fields of the form's own names).
pub fn carried_answers(form: &PublicForm) -> Vec<(String, String)> {
    form.pairs
        .iter()
        .filter_map(|(field, value)| {
            let field = field.strip_prefix(CARRY_PREFIX)?;
            screenings::is_form_field(field).then(|| (field.to_owned(), value.clone()))
        })
        .collect()
}

/// The message for a locked sign-in.
pub fn too_many_attempts(wait: std::time::Duration) -> String {
    let seconds = wait.as_secs_f64().ceil() as u64;
    let (amount, unit) = if seconds < 60 {
        (seconds.max(1), "second")
    } else {
        (seconds.div_ceil(60), "minute")
    };
    format!(
        "Too many failed attempts. Try again in {amount} {unit}{}.",
        if amount == 1 { "" } else { "s" }
    )
}

/// A sign-in form sent without a good form token.
const FORM_EXPIRED: &str =
    "This sign-in form had expired, so nothing was sent. Enter your password again.";

/// The same words for an unknown username, a wrong password and a deactivated account.
const SIGN_IN_REFUSED: &str = "The username or password is not right.";

pub async fn login(
    State(state): State<AppState>,
    session: Session,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    form: PublicForm,
) -> Result<Response, WebError> {
    let typed = form.value("username").unwrap_or_default().to_owned();
    let password = form.value("password").unwrap_or_default().to_owned();
    let next = session::local_path(form.value("next"));
    let username = Username::parse(&typed).ok();
    let carried = carried_answers(&form);
    let refuse = |status: StatusCode, message: String| {
        let token = state.form_tokens.issue(&headers, form_token::SIGN_IN);
        (
            status,
            token.cookie(),
            LoginPage {
                layout: Layout::public("Sign in"),
                csrf_token: token.field().to_owned(),
                next: next.clone(),
                username: typed.clone(),
                error: Some(message),
                carried: carried.clone(),
            },
        )
            .into_response()
    };
    if !form.is_genuine(&state.form_tokens, form_token::SIGN_IN) {
        // Another site's form, or this one left open past its token's life (or across a
        // restart): nothing is tried; the form comes back, ready to send again.
        return Ok(refuse(StatusCode::FORBIDDEN, FORM_EXPIRED.to_owned()));
    }

    let clinician = match &username {
        Some(username) => state.store.find_clinician_by_username(username).await?,
        None => None,
    };
    // A browser that signed in to this account before is trusted (device cookie).
    let device = username
        .as_ref()
        .and_then(|username| state.device_cookies.verify(&headers, username));
    // Failures are counted once the password is checked; this address's (or device's) next
    // attempt waits until then (ASVS 5.0 V6.3.1).
    let attempt = match state
        .throttle
        .begin(username.as_ref(), clinician.is_some(), address, device)
        .await
    {
        Ok(attempt) => attempt,
        Err(wait) => {
            return Ok(refuse(
                StatusCode::TOO_MANY_REQUESTS,
                too_many_attempts(wait),
            ));
        }
    };
    let hash = clinician.as_ref().map_or_else(
        || PasswordHash::decoy().clone(),
        |clinician| clinician.password_hash.clone(),
    );
    let password_ok = hash.verify_off_runtime(password).await;

    match clinician {
        Some(clinician) if password_ok && clinician.is_active => {
            if state.store.two_factor(clinician.id).await?.is_some() {
                // No session yet: a short-lived signed cookie names the account until the
                // second step passes (OWASP ASVS 5.0 V6.3.2). The attempt is neither a
                // success nor a failure: its failures are forgotten only once both factors
                // pass, so a known password does not reset the count of guessed codes.
                drop(attempt);
                let pending = Pending {
                    clinician: clinician.id,
                    epoch: clinician.session_epoch,
                };
                let now = time::OffsetDateTime::now_utc().unix_timestamp();
                let cookie = state.pending_sign_ins.issue(pending, now);
                if carried.is_empty() {
                    let to = super::two_factor::second_step_address(&next);
                    return Ok((cookie, Redirect::to(&to)).into_response());
                }
                // Answers carried through this sign-in stay in the form, never in an address.
                let page = super::two_factor::second_step_page(&state, &headers, next, carried);
                return Ok((cookie, page).into_response());
            }
            attempt.succeeded();
            let csrf_token = session::sign_in(&session, &clinician).await?;
            state
                .store
                .record(AuditEntry::new(
                    clinician.username.as_str(),
                    AuditAction::SignedIn,
                ))
                .await?;
            let done = state.form_tokens.clear_cookie();
            // A fresh device cookie each time: its year runs from the last sign-in.
            let trusted = state.device_cookies.issue(&clinician.username);
            if carried.is_empty() {
                return Ok((done, trusted, Redirect::to(&next)).into_response());
            }
            let signed_in = SignedIn {
                id: clinician.id,
                username: clinician.username,
                is_admin: clinician.is_admin,
                csrf_token,
            };
            Ok((
                done,
                trusted,
                screenings::resumed_form(&state, &signed_in, carried).await?,
            )
                .into_response())
        }
        clinician => {
            let failure = attempt.failed().await;
            // Only an account's name is kept: what else was typed may be anyone's name.
            let actor = clinician
                .as_ref()
                .map_or(UNKNOWN_USERNAME, |clinician| clinician.username.as_str());
            audit_failure(&state, actor, failure).await?;
            Ok(refuse(StatusCode::UNAUTHORIZED, SIGN_IN_REFUSED.to_owned()))
        }
    }
}

/// Audits a failed password check (`sign_in_failed`) and any lock or delay it started
/// (`sign_in_throttled`), for a sign-in or a check of the current password (ASVS 5.0 V16.3.1).
pub async fn audit_failure(
    state: &AppState,
    actor: &str,
    failure: throttle::Failure,
) -> Result<(), WebError> {
    state
        .store
        .record(AuditEntry::new(actor, AuditAction::SignInFailed))
        .await?;
    audit_failure_detail(state, actor, failure).await
}

/// Audits any lock or delay a failed attempt started (`sign_in_throttled`).
pub async fn audit_failure_detail(
    state: &AppState,
    actor: &str,
    failure: throttle::Failure,
) -> Result<(), WebError> {
    if let Some(detail) = failure.describe() {
        state
            .store
            .record(AuditEntry::new(actor, AuditAction::SignInThrottled).detail(detail))
            .await?;
    }
    Ok(())
}

pub async fn logout(
    State(state): State<AppState>,
    session: Session,
    signed_in: SignedIn,
    _form: super::plumbing::session::VerifiedForm,
) -> Result<Response, WebError> {
    session::sign_out(&session).await?;
    state
        .store
        .record(AuditEntry::new(
            signed_in.username.as_str(),
            AuditAction::SignedOut,
        ))
        .await?;
    Ok(Redirect::to("/login").into_response())
}

/// A form asking for a new password (setup, or changing one's own).
#[derive(Template, WebTemplate)]
#[template(path = "password_form.html")]
pub struct PasswordForm {
    pub layout: Layout,
    pub heading: &'static str,
    pub intro: Option<&'static str>,
    pub action: &'static str,
    pub csrf_token: String,
    pub setup_token: Option<String>,
    pub ask_username: bool,
    pub ask_current: bool,
    pub username: String,
    pub submit_label: &'static str,
    /// (field id, message) pairs.
    pub errors: Vec<(&'static str, String)>,
    pub done: Option<&'static str>,
    /// The account page's "Sign out everywhere else".
    pub sign_out_others: bool,
}

/// Reads a chosen password and its confirmation.
pub fn chosen_password(
    password: Option<&str>,
    confirmation: Option<&str>,
) -> Result<NewPassword, AccountError> {
    let parsed = NewPassword::parse(password.unwrap_or_default())?;
    if confirmation != password {
        return Err(AccountError::PasswordsDiffer);
    }
    Ok(parsed)
}

fn first_run_page() -> Response {
    WebError::FirstRun.into_response()
}

#[derive(Debug, Deserialize)]
pub struct SetupParams {
    token: Option<String>,
}

fn setup_form(
    csrf_token: String,
    token: String,
    username: String,
    errors: Vec<(&'static str, String)>,
) -> PasswordForm {
    PasswordForm {
        layout: Layout::public("Set up"),
        heading: "Set up Intake Screener",
        intro: Some(
            "Create the first account. It is an administrator: it can add the other clinicians. This link stops working once the account exists.",
        ),
        action: "/setup",
        csrf_token,
        setup_token: Some(token),
        ask_username: true,
        ask_current: false,
        username,
        submit_label: "Create account and sign in",
        errors,
        done: None,
        sign_out_others: false,
    }
}

/// True when `token` is the live setup token and still no account exists. An account made
/// meanwhile another way (`screener user add` while the server runs) closes the link for good.
async fn setup_link_open(state: &AppState, token: &str) -> Result<bool, WebError> {
    if !state.setup.matches(token) {
        return Ok(false);
    }
    if state.store.count_clinicians().await? > 0 {
        state.setup.consume();
        return Ok(false);
    }
    Ok(true)
}

/// `GET /setup?token=…`: stores nothing (the form carries a signed form token).
pub async fn setup_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<SetupParams>,
) -> Result<Response, WebError> {
    let token = params.token.unwrap_or_default();
    if !setup_link_open(&state, &token).await? {
        return Err(WebError::NotFound);
    }
    let form_token = state.form_tokens.issue(&headers, form_token::SETUP);
    let page = setup_form(
        form_token.field().to_owned(),
        token,
        String::new(),
        Vec::new(),
    );
    Ok((form_token.cookie(), page).into_response())
}

pub async fn setup(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    form: PublicForm,
) -> Result<Response, WebError> {
    let token = form.value("token").unwrap_or_default().to_owned();
    if !setup_link_open(&state, &token).await? {
        return Err(WebError::NotFound);
    }
    if !form.is_genuine(&state.form_tokens, form_token::SETUP) {
        return Err(WebError::Forbidden);
    }
    let typed = form.value("username").unwrap_or_default().to_owned();
    let mut errors = Vec::new();
    let username = Username::parse(&typed)
        .map_err(|error| errors.push(("username", capitalize(&error.to_string()))))
        .ok();
    let password = chosen_password(form.value("password"), form.value("password_confirm"))
        .map_err(|error| errors.push(("password", capitalize(&error.to_string()))))
        .ok();
    let (Some(username), Some(password)) = (username, password) else {
        let form_token = state.form_tokens.issue(&headers, form_token::SETUP);
        let page = setup_form(form_token.field().to_owned(), token, typed, errors);
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, form_token.cookie(), page).into_response());
    };
    let hash = password.hash_off_runtime().await?;
    let created = state
        .store
        .create_first_admin(
            &username,
            &hash,
            AuditEntry::new(username.as_str(), AuditAction::AccountCreated)
                .subject(username.as_str())
                .detail("first administrator, via setup link".to_owned()),
        )
        .await?;
    state.setup.consume();
    let Some(id) = created else {
        return Err(WebError::NotFound);
    };
    let admin = state
        .store
        .find_clinician(id)
        .await?
        .ok_or(WebError::Internal)?;
    session::sign_in(&session, &admin).await?;
    Ok((
        state.form_tokens.clear_cookie(),
        Redirect::to("/screenings/new"),
    )
        .into_response())
}

/// "enter a username" → "Enter a username."
pub fn capitalize(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}
