//! Two-factor sign-in: a clinician's enrolment and removal of TOTP (`/account/two-factor`),
//! and the second step of a sign-in (`/login/two-factor`). The pure parts (secrets, codes,
//! sealing) are [`crate::two_factor`]; the cookie of a sign-in between its two steps is
//! [`super::plumbing::pending_sign_in`].

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use tower_sessions::Session;

use super::auth::{
    NextParam, audit_failure_detail, carried_answers, sign_in_again_page, too_many_attempts,
};
use super::plumbing::client_address::ClientAddress;
use super::plumbing::error::WebError;
use super::plumbing::form_token::PublicForm;
use super::plumbing::layout::Layout;
use super::plumbing::pending_sign_in::{Pending, PendingState};
use super::plumbing::route::{Access, Route};
use super::plumbing::session::{self, SignedIn, VerifiedForm};
use super::plumbing::state::AppState;
use crate::accounts::Clinician;
use crate::store::{AuditAction, AuditEntry};
use crate::two_factor::{RECOVERY_CODES, RecoveryCode, SecondFactor, TotpCode, TotpSecret};

/// The purpose of the second step's form token.
const SECOND_STEP: &str = "second-step";
/// The issuer an authenticator app shows beside the account.
const ISSUER: &str = "Intake Screener";

pub fn routes() -> Vec<Route> {
    // Logged, as the other account and sign-in routes: they concern a clinician, not a client.
    vec![
        Route::get("/account/two-factor", Access::Clinician, account_page).logged(),
        Route::post("/account/two-factor", Access::Clinician, account_change).logged(),
        Route::get("/login/two-factor", Access::Public, second_step_form).logged(),
        Route::post("/login/two-factor", Access::Public, second_step).logged(),
    ]
}

fn unix_now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// `GET/POST /account/two-factor`.
#[derive(Template, WebTemplate)]
#[template(path = "two_factor.html")]
struct AccountPage {
    layout: Layout,
    csrf_token: String,
    enrolled: bool,
    /// Enrolment: the QR code (inline SVG), the key to type, the sealed secret the form
    /// carries until the first code confirms it.
    qr_svg: String,
    key: String,
    pending: String,
    /// (field id, message) pairs.
    errors: Vec<(&'static str, String)>,
    done: Option<String>,
    /// Shown once, right after enrolment.
    recovery_codes: Vec<String>,
}

impl AccountPage {
    fn new(signed_in: &SignedIn, enrolled: bool) -> AccountPage {
        AccountPage {
            layout: Layout::signed_in("Two-factor sign-in", signed_in),
            csrf_token: signed_in.csrf_token.clone(),
            enrolled,
            qr_svg: String::new(),
            key: String::new(),
            pending: String::new(),
            errors: Vec::new(),
            done: None,
            recovery_codes: Vec::new(),
        }
    }

    /// The enrolment form for `secret`, carried sealed in the form (never stored before the
    /// first code confirms it).
    fn enrolling(mut self, state: &AppState, signed_in: &SignedIn, secret: &TotpSecret) -> Self {
        let uri = secret.otpauth_uri(ISSUER, signed_in.username.as_str());
        self.qr_svg = qr_svg(&uri).unwrap_or_default();
        self.key = grouped(&secret.base32());
        self.pending = URL_SAFE_NO_PAD.encode(state.two_factor_key.seal(secret, signed_in.id.0));
        self
    }
}

/// The key in groups of four, easier to type.
fn grouped(key: &str) -> String {
    key.as_bytes()
        .chunks(4)
        .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The QR code of the `otpauth://` URI as an inline SVG image with an accessible name.
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
        "<svg role=\"img\" aria-label=\"QR code for your authenticator app\" class=\"qr\" ",
        1,
    ))
}

async fn enrolled(state: &AppState, signed_in: &SignedIn) -> Result<bool, WebError> {
    Ok(state.store.two_factor(signed_in.id).await?.is_some())
}

/// `GET /account/two-factor`: enrolment with a fresh secret, or the removal form.
async fn account_page(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<Response, WebError> {
    let enrolled = enrolled(&state, &signed_in).await?;
    let page = AccountPage::new(&signed_in, enrolled);
    if enrolled {
        return Ok(page.into_response());
    }
    Ok(page
        .enrolling(&state, &signed_in, &TotpSecret::generate())
        .into_response())
}

/// `POST /account/two-factor`: `action=enrol` (the carried secret and its first code) or
/// `action=remove` (the password given again).
async fn account_change(
    State(state): State<AppState>,
    address: ClientAddress,
    headers: HeaderMap,
    signed_in: SignedIn,
    form: VerifiedForm,
) -> Result<Response, WebError> {
    match form.value("action") {
        Some("enrol") => enrol(&state, &signed_in, &form).await,
        Some("remove") => remove(&state, address, &headers, &signed_in, &form).await,
        _ => Err(WebError::BadRequest("Choose what to change.".into())),
    }
}

async fn enrol(
    state: &AppState,
    signed_in: &SignedIn,
    form: &VerifiedForm,
) -> Result<Response, WebError> {
    if enrolled(state, signed_in).await? {
        return Ok((StatusCode::CONFLICT, AccountPage::new(signed_in, true)).into_response());
    }
    let secret = form
        .value("pending")
        .and_then(|pending| URL_SAFE_NO_PAD.decode(pending).ok())
        .and_then(|sealed| state.two_factor_key.open(&sealed, signed_in.id.0))
        .ok_or_else(|| {
            WebError::BadRequest(
                "This enrolment form could not be read. Open the two-factor page again.".into(),
            )
        })?;
    let refuse = |message: &str| {
        let mut page = AccountPage::new(signed_in, false).enrolling(state, signed_in, &secret);
        page.errors.push(("code", message.to_owned()));
        (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
    };
    let Some(code) = form.value("code").and_then(TotpCode::parse) else {
        return Ok(refuse("Enter the 6 digits your authenticator app shows."));
    };
    let Some(step) = secret.matching_step(&code, unix_now() as u64) else {
        return Ok(refuse(
            "That code is not right. Check that the app shows the account just added, and enter its current code.",
        ));
    };
    let codes: Vec<RecoveryCode> = (0..RECOVERY_CODES)
        .map(|_| RecoveryCode::generate())
        .collect();
    let hashes: Vec<Vec<u8>> = codes.iter().map(RecoveryCode::hash).collect();
    let sealed = state.two_factor_key.seal(&secret, signed_in.id.0);
    let made = state
        .store
        .enrol_two_factor(
            signed_in.id,
            &sealed,
            step as i64,
            &hashes,
            AuditEntry::new(signed_in.username.as_str(), AuditAction::TwoFactorEnrolled)
                .subject(signed_in.username.as_str()),
        )
        .await?;
    let mut page = AccountPage::new(signed_in, true);
    if !made {
        return Ok((StatusCode::CONFLICT, page).into_response());
    }
    page.done = Some("Two-factor sign-in is on.".to_owned());
    page.recovery_codes = codes.iter().map(RecoveryCode::shown).collect();
    Ok(page.into_response())
}

async fn remove(
    state: &AppState,
    address: ClientAddress,
    headers: &HeaderMap,
    signed_in: &SignedIn,
    form: &VerifiedForm,
) -> Result<Response, WebError> {
    match super::accounts::password_given_again(
        state, address, headers, signed_in, form, "password",
    )
    .await?
    {
        Ok(true) => {}
        Ok(false) => {
            let mut page = AccountPage::new(signed_in, true);
            page.errors.push((
                "password",
                "The password is not right, so two-factor sign-in is still on.".to_owned(),
            ));
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
        Err(refused) => return Ok(refused),
    }
    state
        .store
        .remove_two_factor(
            signed_in.id,
            AuditEntry::new(signed_in.username.as_str(), AuditAction::TwoFactorRemoved)
                .subject(signed_in.username.as_str()),
        )
        .await?;
    let mut page =
        AccountPage::new(signed_in, false).enrolling(state, signed_in, &TotpSecret::generate());
    page.done = Some("Two-factor sign-in is off: a password alone signs you in.".to_owned());
    Ok(page.into_response())
}

/// `GET/POST /login/two-factor`, and the page after a recovery code signed in.
#[derive(Template, WebTemplate)]
#[template(path = "login_two_factor.html")]
struct SecondStepPage {
    layout: Layout,
    csrf_token: String,
    next: String,
    error: Option<String>,
    /// After signing in with a recovery code: how many are left.
    recovery_left: Option<i64>,
    /// Screening answers carried through the sign-in (see `auth::keep_form_through_sign_in`).
    carried: Vec<(String, String)>,
}

/// The second step's form, for a sign-in carrying screening answers (answered by
/// `POST /login` itself, so that the answers never travel in an address).
pub fn second_step_page(
    state: &AppState,
    headers: &HeaderMap,
    next: String,
    carried: Vec<(String, String)>,
) -> Response {
    let token = state.form_tokens.issue(headers, SECOND_STEP);
    let page = SecondStepPage {
        layout: Layout::public("Sign in: second step"),
        csrf_token: token.field().to_owned(),
        next,
        error: None,
        recovery_left: None,
        carried,
    };
    (token.cookie(), page).into_response()
}

/// `GET /login/two-factor`: the code form while the pending sign-in lives.
async fn second_step_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<NextParam>,
) -> Result<Response, WebError> {
    if !matches!(
        state.pending_sign_ins.read(&headers, unix_now()),
        PendingState::Live(_)
    ) {
        return Ok(start_again(&state, &headers));
    }
    let token = state.form_tokens.issue(&headers, SECOND_STEP);
    let page = SecondStepPage {
        layout: Layout::public("Sign in: second step"),
        csrf_token: token.field().to_owned(),
        next: session::local_path(params.next()),
        error: None,
        recovery_left: None,
        carried: Vec::new(),
    };
    Ok((token.cookie(), page).into_response())
}

/// No live pending sign-in: back to the sign-in form, the cookie removed.
fn start_again(state: &AppState, headers: &HeaderMap) -> Response {
    (
        state.pending_sign_ins.clear(),
        sign_in_again_page(
            state,
            headers,
            "Your sign-in was not finished within 5 minutes, or could not be read. Sign in again with your password.",
        ),
    )
        .into_response()
}

const WRONG_CODE: &str = "That code is not right, or it was used already. Enter the newest code your authenticator app shows, or a recovery code.";

/// `POST /login/two-factor`: a right code (or unused recovery code) signs in exactly as a
/// one-step sign-in does; wrong, reused and expired codes are counted by the sign-in
/// throttle like wrong passwords (OWASP ASVS 5.0 V6.3.1) and audited (V16.3.1).
async fn second_step(
    State(state): State<AppState>,
    session: Session,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    form: PublicForm,
) -> Result<Response, WebError> {
    let next = session::local_path(form.value("next"));
    let carried = carried_answers(&form);
    let page = |status: StatusCode, error: &str| {
        let token = state.form_tokens.issue(&headers, SECOND_STEP);
        (
            status,
            token.cookie(),
            SecondStepPage {
                layout: Layout::public("Sign in: second step"),
                csrf_token: token.field().to_owned(),
                next: next.clone(),
                error: Some(error.to_owned()),
                recovery_left: None,
                carried: carried.clone(),
            },
        )
            .into_response()
    };
    let PendingState::Live(pending) = state.pending_sign_ins.read(&headers, unix_now()) else {
        return Ok(start_again(&state, &headers));
    };
    if !form.is_genuine(&state.form_tokens, SECOND_STEP) {
        return Ok(page(
            StatusCode::FORBIDDEN,
            "This form had expired, so nothing was sent. Enter the code again.",
        ));
    }
    let Some(clinician) = pending_clinician(&state, pending).await? else {
        return Ok(start_again(&state, &headers));
    };
    let Some(typed) = form.value("code").and_then(SecondFactor::parse) else {
        return Ok(page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Enter the 6 digits your authenticator app shows, or one of your recovery codes.",
        ));
    };
    let device = state.device_cookies.verify(&headers, &clinician.username);
    let attempt = match state
        .throttle
        .begin(Some(&clinician.username), true, address, device)
        .await
    {
        Ok(attempt) => attempt,
        Err(wait) => {
            return Ok(page(
                StatusCode::TOO_MANY_REQUESTS,
                &too_many_attempts(wait),
            ));
        }
    };
    let accepted = match &typed {
        SecondFactor::Totp(code) => totp_accepted(&state, &clinician, code)
            .await?
            .then_some(None),
        SecondFactor::Recovery(code) => state
            .store
            .use_recovery_code(
                clinician.id,
                &code.hash(),
                AuditEntry::new(clinician.username.as_str(), AuditAction::RecoveryCodeUsed),
            )
            .await?
            .map(Some),
    };
    let Some(recovery_left) = accepted else {
        let failure = attempt.failed().await;
        state
            .store
            .record(AuditEntry::new(
                clinician.username.as_str(),
                AuditAction::TwoFactorFailed,
            ))
            .await?;
        audit_failure_detail(&state, clinician.username.as_str(), failure).await?;
        return Ok(page(StatusCode::UNAUTHORIZED, WRONG_CODE));
    };
    attempt.succeeded();
    let csrf_token = session::sign_in(&session, &clinician).await?;
    state
        .store
        .record(AuditEntry::new(
            clinician.username.as_str(),
            AuditAction::SignedIn,
        ))
        .await?;
    let cleared = (
        state.pending_sign_ins.clear(),
        state.form_tokens.clear_cookie(),
        state.device_cookies.issue(&clinician.username),
    );
    let signed_in = SignedIn {
        id: clinician.id,
        username: clinician.username,
        is_admin: clinician.is_admin,
        csrf_token,
    };
    if !carried.is_empty() {
        let form = super::screenings::resumed_form(&state, &signed_in, carried).await?;
        return Ok((cleared, form).into_response());
    }
    let Some(left) = recovery_left else {
        return Ok((cleared, Redirect::to(&next)).into_response());
    };
    let page = SecondStepPage {
        layout: Layout::signed_in("Signed in with a recovery code", &signed_in),
        csrf_token: signed_in.csrf_token.clone(),
        next,
        error: None,
        recovery_left: Some(left),
        carried: Vec::new(),
    };
    Ok((cleared, page).into_response())
}

/// The pending sign-in's account, while it is active and its sessions' epoch unchanged.
async fn pending_clinician(
    state: &AppState,
    pending: Pending,
) -> Result<Option<Clinician>, WebError> {
    Ok(state
        .store
        .find_clinician(pending.clinician)
        .await?
        .filter(|clinician| clinician.is_active && clinician.session_epoch == pending.epoch))
}

/// True when `code` is the clinician's TOTP code of a step near now later than every step
/// accepted before, which is then taken (each code works once, on every instance).
async fn totp_accepted(
    state: &AppState,
    clinician: &Clinician,
    code: &TotpCode,
) -> Result<bool, WebError> {
    let Some(stored) = state.store.two_factor(clinician.id).await? else {
        return Ok(false);
    };
    let secret = state
        .two_factor_key
        .open(&stored.sealed, clinician.id.0)
        .ok_or_else(|| {
            WebError::Store(crate::store::StoreError::Corrupt(
                "a sealed TOTP secret does not open".into(),
            ))
        })?;
    let Some(step) = secret.matching_step(code, unix_now() as u64) else {
        return Ok(false);
    };
    Ok(state
        .store
        .accept_totp_step(clinician.id, step as i64)
        .await?)
}

/// The address of the second step for a sign-in going on to `next`.
pub fn second_step_address(next: &str) -> String {
    let next: String = form_urlencoded::byte_serialize(next.as_bytes()).collect();
    format!("/login/two-factor?next={next}")
}
