//! Managing accounts: one's own password; for administrators, the clinicians and the audit
//! log.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

use super::auth::{PasswordForm, capitalize, chosen_password, too_many_attempts};
use super::plumbing::client_address::ClientAddress;
use super::plumbing::error::WebError;
use super::plumbing::layout::Layout;
use super::plumbing::route::{Access, Route};
use super::plumbing::session::{self, SignedIn, VerifiedForm};
use super::plumbing::state::AppState;
use crate::accounts::{AccountError, Username};
use crate::screening::answers::is_ticked;
use crate::store::{AUDIT_PAGE_SIZE, AccountChangeError, AuditAction, AuditEntry, AuditEvent};

pub fn routes() -> Vec<Route> {
    // Logged: account and administration pages concern clinicians, not clients, and the audit
    // log records their changes with their time anyway.
    vec![
        Route::get("/account/password", Access::Clinician, password_page).logged(),
        Route::post("/account/password", Access::Clinician, change_password).logged(),
        Route::get("/admin/clinicians", Access::Admin, list_clinicians).logged(),
        Route::post("/admin/clinicians", Access::Admin, create_clinician).logged(),
        Route::post(
            "/admin/clinicians/{username}/active",
            Access::Admin,
            set_active,
        )
        .logged(),
        Route::post(
            "/admin/clinicians/{username}/password",
            Access::Admin,
            reset_password,
        )
        .logged(),
        Route::post(
            "/account/sign-out-others",
            Access::Clinician,
            sign_out_others,
        )
        .logged(),
        Route::post(
            "/admin/clinicians/{username}/sign-out",
            Access::Admin,
            end_clinician_sessions,
        )
        .logged(),
        Route::post(
            "/admin/clinicians/{username}/two-factor",
            Access::Admin,
            reset_two_factor,
        )
        .logged(),
        Route::get("/admin/audit", Access::Admin, audit_log).logged(),
    ]
}

fn own_password_form(
    signed_in: &SignedIn,
    errors: Vec<(&'static str, String)>,
    done: Option<&'static str>,
) -> PasswordForm {
    PasswordForm {
        layout: Layout::signed_in("Change password", signed_in),
        heading: "Change your password",
        intro: None,
        action: "/account/password",
        csrf_token: signed_in.csrf_token.clone(),
        setup_token: None,
        ask_username: false,
        ask_current: true,
        username: String::new(),
        submit_label: "Change password",
        errors,
        done,
        sign_out_others: true,
    }
}

pub async fn password_page(signed_in: SignedIn) -> PasswordForm {
    own_password_form(&signed_in, Vec::new(), None)
}

/// Checks the signed-in clinician's password, given again in `field`, throttled as a sign-in
/// from this address (a stolen session cannot guess at speed; OWASP ASVS 5.0 V6.3.1); a wrong
/// one is counted and audited like a failed sign-in. `Err` is the 429 page to answer when
/// the throttle refuses the attempt.
pub(super) async fn password_given_again(
    state: &AppState,
    ClientAddress(address): ClientAddress,
    headers: &HeaderMap,
    signed_in: &SignedIn,
    form: &VerifiedForm,
    field: &'static str,
) -> Result<Result<bool, Response>, WebError> {
    let clinician = state
        .store
        .find_clinician(signed_in.id)
        .await?
        .ok_or(WebError::NotFound)?;
    let password = form.value(field).unwrap_or_default().to_owned();
    let device = state.device_cookies.verify(headers, &signed_in.username);
    let attempt = match state
        .throttle
        .begin(Some(&signed_in.username), true, address, device)
        .await
    {
        Ok(attempt) => attempt,
        Err(wait) => {
            let errors = vec![(field, too_many_attempts(wait))];
            let page = own_password_form(signed_in, errors, None);
            return Ok(Err((StatusCode::TOO_MANY_REQUESTS, page).into_response()));
        }
    };
    if clinician.password_hash.verify_off_runtime(password).await {
        attempt.succeeded();
        Ok(Ok(true))
    } else {
        let failure = attempt.failed().await;
        super::auth::audit_failure(state, signed_in.username.as_str(), failure).await?;
        Ok(Ok(false))
    }
}

pub async fn change_password(
    State(state): State<AppState>,
    session: Session,
    address: ClientAddress,
    headers: HeaderMap,
    signed_in: SignedIn,
    form: VerifiedForm,
) -> Result<Response, WebError> {
    let current_ok = match password_given_again(
        &state,
        address,
        &headers,
        &signed_in,
        &form,
        "current_password",
    )
    .await?
    {
        Ok(right) => right,
        Err(refused) => return Ok(refused),
    };
    let mut errors = Vec::new();
    if !current_ok {
        errors.push((
            "current_password",
            "The current password is not right.".to_owned(),
        ));
    }
    let password = chosen_password(form.value("password"), form.value("password_confirm"))
        .map_err(|error| errors.push(("password", capitalize(&error.to_string()))))
        .ok();
    let Some(password) = password.filter(|_| errors.is_empty()) else {
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            own_password_form(&signed_in, errors, None),
        )
            .into_response());
    };
    let hash = password.hash_off_runtime().await?;
    state
        .store
        .set_clinician_password(
            &signed_in.username,
            &hash,
            AuditEntry::new(signed_in.username.as_str(), AuditAction::PasswordChanged)
                .subject(signed_in.username.as_str()),
        )
        .await
        .map_err(account_change)?;
    // Every other session of the account has ended; this one carries on under a new id.
    let clinician = state
        .store
        .find_clinician(signed_in.id)
        .await?
        .ok_or(WebError::NotFound)?;
    let signed_in = SignedIn {
        csrf_token: session::sign_in(&session, &clinician).await?,
        ..signed_in
    };
    Ok(own_password_form(
        &signed_in,
        Vec::new(),
        Some("Your password has been changed."),
    )
    .into_response())
}

/// `POST /account/sign-out-others`, "Sign out everywhere else": with the password given
/// again, every other session of this account ends at its next request and this one carries
/// on under a new id (OWASP ASVS 5.0 V7.4.3, V7.5.2). Throttled like a password change.
pub async fn sign_out_others(
    State(state): State<AppState>,
    session: Session,
    address: ClientAddress,
    headers: HeaderMap,
    signed_in: SignedIn,
    form: VerifiedForm,
) -> Result<Response, WebError> {
    match password_given_again(
        &state,
        address,
        &headers,
        &signed_in,
        &form,
        "others_password",
    )
    .await?
    {
        Ok(true) => {}
        Ok(false) => {
            let errors = vec![(
                "others_password",
                "The password is not right, so no session was ended.".to_owned(),
            )];
            let page = own_password_form(&signed_in, errors, None);
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
        Err(refused) => return Ok(refused),
    }
    let epoch = state
        .store
        .end_sessions(
            &signed_in.username,
            AuditEntry::new(signed_in.username.as_str(), AuditAction::OtherSessionsEnded)
                .subject(signed_in.username.as_str()),
        )
        .await
        .map_err(account_change)?;
    session::restamp(&session, epoch).await?;
    Ok(own_password_form(
        &signed_in,
        Vec::new(),
        Some("You are signed out everywhere else: only this browser is still signed in."),
    )
    .into_response())
}

fn account_change(error: AccountChangeError) -> WebError {
    match error {
        AccountChangeError::Refused(AccountError::UnknownUsername) => WebError::NotFound,
        AccountChangeError::Refused(refused) => {
            WebError::BadRequest(capitalize(&refused.to_string()))
        }
        AccountChangeError::Store(error) => WebError::Store(error),
    }
}

/// One clinician in the admin list.
pub struct ClinicianRow {
    pub username: String,
    pub is_admin: bool,
    pub is_active: bool,
    pub is_self: bool,
}

/// `GET /admin/clinicians`.
#[derive(Template, WebTemplate)]
#[template(path = "admin_clinicians.html")]
pub struct CliniciansPage {
    layout: Layout,
    csrf_token: String,
    clinicians: Vec<ClinicianRow>,
    notice: Option<String>,
    error: Option<String>,
    new_username: String,
}

async fn clinicians_page(
    state: &AppState,
    signed_in: &SignedIn,
    notice: Option<String>,
    error: Option<String>,
    new_username: String,
) -> Result<CliniciansPage, WebError> {
    let clinicians = state
        .store
        .list_clinicians()
        .await?
        .into_iter()
        .map(|clinician| ClinicianRow {
            is_self: clinician.id == signed_in.id,
            username: clinician.username.to_string(),
            is_admin: clinician.is_admin,
            is_active: clinician.is_active,
        })
        .collect();
    Ok(CliniciansPage {
        layout: Layout::signed_in("Clinicians", signed_in),
        csrf_token: signed_in.csrf_token.clone(),
        clinicians,
        notice,
        error,
        new_username,
    })
}

pub async fn list_clinicians(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<CliniciansPage, WebError> {
    clinicians_page(&state, &signed_in, None, None, String::new()).await
}

pub async fn create_clinician(
    State(state): State<AppState>,
    signed_in: SignedIn,
    form: VerifiedForm,
) -> Result<Response, WebError> {
    let typed = form.value("username").unwrap_or_default().to_owned();
    let is_admin = form.value("is_admin").is_some_and(is_ticked);
    let created = match Username::parse(&typed).and_then(|username| {
        Ok((
            username,
            chosen_password(form.value("password"), form.value("password_confirm"))?,
        ))
    }) {
        Ok((username, password)) => {
            let hash = password.hash_off_runtime().await?;
            match state
                .store
                .create_clinician(
                    &username,
                    &hash,
                    is_admin,
                    Some(
                        AuditEntry::new(signed_in.username.as_str(), AuditAction::AccountCreated)
                            .subject(username.as_str())
                            .detail(is_admin.then(|| "administrator".to_owned())),
                    ),
                )
                .await
            {
                Ok(_) => Ok(username),
                Err(AccountChangeError::Refused(refused)) => Err(refused),
                Err(AccountChangeError::Store(error)) => return Err(error.into()),
            }
        }
        Err(refused) => Err(refused),
    };
    let username = match created {
        Ok(username) => username,
        Err(refused) => {
            let message = capitalize(&refused.to_string());
            let page = clinicians_page(&state, &signed_in, None, Some(message), typed).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let page = clinicians_page(
        &state,
        &signed_in,
        Some(format!("Account {username} created.")),
        None,
        String::new(),
    )
    .await?;
    Ok(page.into_response())
}

fn target(username: &str) -> Result<Username, WebError> {
    Username::parse(username).map_err(|_| WebError::NotFound)
}

/// The clinician an administrator acts on, who must be someone else: for one's own account,
/// `refusal` says where to go instead (400).
fn another(username: &str, signed_in: &SignedIn, refusal: &str) -> Result<Username, WebError> {
    let username = target(username)?;
    if username == signed_in.username {
        return Err(WebError::BadRequest(refusal.into()));
    }
    Ok(username)
}

/// The clinicians page with `notice` at its top, after an administrator's change.
async fn with_notice(
    state: &AppState,
    signed_in: &SignedIn,
    notice: String,
) -> Result<Response, WebError> {
    Ok(
        clinicians_page(state, signed_in, Some(notice), None, String::new())
            .await?
            .into_response(),
    )
}

pub async fn set_active(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(username): Path<String>,
    form: VerifiedForm,
) -> Result<Response, WebError> {
    let username = target(&username)?;
    let active = match form.value("active") {
        Some("true") => true,
        Some("false") => false,
        _ => {
            return Err(WebError::BadRequest(
                "Say whether the account is to be active: true or false.".into(),
            ));
        }
    };
    if !active && username == signed_in.username {
        return Err(WebError::BadRequest(
            "You cannot deactivate your own account.".into(),
        ));
    }
    state
        .store
        .set_clinician_active(
            &username,
            active,
            AuditEntry::new(
                signed_in.username.as_str(),
                if active {
                    AuditAction::AccountActivated
                } else {
                    AuditAction::AccountDeactivated
                },
            )
            .subject(username.as_str()),
        )
        .await
        .map_err(account_change)?;
    Ok(Redirect::to("/admin/clinicians").into_response())
}

pub async fn reset_password(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(username): Path<String>,
    form: VerifiedForm,
) -> Result<Response, WebError> {
    let username = target(&username)?;
    let password = match chosen_password(form.value("password"), form.value("password_confirm")) {
        Ok(password) => password,
        Err(error) => {
            let message = format!("{username}: {}", capitalize(&error.to_string()));
            let page =
                clinicians_page(&state, &signed_in, None, Some(message), String::new()).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let hash = password.hash_off_runtime().await?;
    state
        .store
        .set_clinician_password(
            &username,
            &hash,
            AuditEntry::new(signed_in.username.as_str(), AuditAction::PasswordReset)
                .subject(username.as_str()),
        )
        .await
        .map_err(account_change)?;
    let notice = format!("Password of {username} reset.");
    with_notice(&state, &signed_in, notice).await
}

/// `POST /admin/clinicians/{username}/sign-out`: an administrator ends every session of
/// another clinician at once (a lost laptop, a shared computer), recorded in the audit log
/// (OWASP ASVS 5.0 V7.4.5). One's own: "Sign out everywhere else" on the account page.
pub async fn end_clinician_sessions(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(username): Path<String>,
    _form: VerifiedForm,
) -> Result<Response, WebError> {
    let username = another(
        &username,
        &signed_in,
        "To end your own other sessions, use \"Sign out everywhere else\" on your account page.",
    )?;
    state
        .store
        .end_sessions(
            &username,
            AuditEntry::new(signed_in.username.as_str(), AuditAction::SessionsEnded)
                .subject(username.as_str()),
        )
        .await
        .map_err(account_change)?;
    let notice = format!("Every session of {username} has ended: {username} signs in again.");
    with_notice(&state, &signed_in, notice).await
}

/// `POST /admin/clinicians/{username}/two-factor`: an administrator removes another
/// clinician's second factor and recovery codes (a lost phone and lost codes), recorded in the
/// audit log as `two_factor_reset`; the clinician signs in with the password alone and enrols
/// again. One's own: the two-factor page, with the password (OWASP ASVS 5.0 V6.4.3: a password
/// reset never does this).
pub async fn reset_two_factor(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(username): Path<String>,
    _form: VerifiedForm,
) -> Result<Response, WebError> {
    let username = another(
        &username,
        &signed_in,
        "To turn off your own two-factor sign-in, use the two-factor page with your password.",
    )?;
    let removed = state
        .store
        .reset_two_factor(
            &username,
            AuditEntry::new(signed_in.username.as_str(), AuditAction::TwoFactorReset)
                .subject(username.as_str()),
        )
        .await
        .map_err(account_change)?;
    let notice = if removed {
        format!(
            "Two-factor sign-in of {username} reset: {username} signs in with the password and can set it up again."
        )
    } else {
        format!("{username} had no two-factor sign-in to reset.")
    };
    with_notice(&state, &signed_in, notice).await
}

/// `GET /admin/audit`.
#[derive(Template, WebTemplate)]
#[template(path = "admin_audit.html")]
pub struct AuditPage {
    layout: Layout,
    events: Vec<AuditEvent>,
    older_href: Option<String>,
    is_first_page: bool,
}

#[derive(Debug, Deserialize)]
pub struct AuditParams {
    before: Option<i64>,
}

pub async fn audit_log(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(params): Query<AuditParams>,
) -> Result<AuditPage, WebError> {
    let events = state.store.audit_page(params.before).await?;
    let older_href = (events.len() as i64 == AUDIT_PAGE_SIZE)
        .then(|| {
            events
                .last()
                .map(|event| format!("/admin/audit?before={}", event.id))
        })
        .flatten();
    Ok(AuditPage {
        layout: Layout::signed_in("Audit log", &signed_in),
        events,
        older_href,
        is_first_page: params.before.is_none(),
    })
}
