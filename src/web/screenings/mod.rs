//! Screenings: the form, submitting it, a result, the list of results, and deleting one.

mod form;
mod result;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use self::form::{FormPage, Submitted};
use self::result::{DeletePage, ListPage, ResultPage};
use super::error::WebError;
use super::routes::{Access, Route};
use super::session::{SignedIn, VerifiedForm};
use super::state::AppState;
use crate::screening::{Answers, Band, Coded, ReviewCode, RulesVersion};
use crate::store::{AuditAction, AuditEntry, ScreeningQuery, StoredScreening};

pub fn routes() -> Vec<Route> {
    vec![
        Route::new("/screenings/new", Access::Clinician, get(new_screening)),
        Route::new(
            "/screenings",
            Access::Clinician,
            get(list_screenings).post(create_screening),
        ),
        Route::new("/screenings/{code}", Access::Clinician, get(show_screening)),
        Route::new(
            "/screenings/{code}/delete",
            Access::Clinician,
            get(confirm_delete).post(delete_screening),
        ),
    ]
}

async fn new_screening(signed_in: SignedIn) -> FormPage {
    FormPage::new(&signed_in, &Submitted::default(), None)
}

/// `POST /screenings`: parse, score, store, then 303 to the result; 422 with the form again
/// when the answers are not valid.
async fn create_screening(
    State(state): State<AppState>,
    signed_in: SignedIn,
    form: VerifiedForm,
) -> Result<Response, WebError> {
    let submitted = Submitted::new(form.0);
    let answers = match Answers::from_form(submitted.pairs()) {
        Ok(answers) => answers,
        Err(errors) => {
            let page = FormPage::new(&signed_in, &submitted, Some(&errors));
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let outcome = RulesVersion::CURRENT.score(&answers);
    let year = time::OffsetDateTime::now_utc().year();
    let code = state
        .store
        .save_screening(signed_in.id, &answers, &outcome, year)
        .await?;
    Ok(Redirect::to(&format!("/screenings/{code}")).into_response())
}

/// The signed-in clinician's screening with this code; 404 for anyone else's.
async fn own_screening(
    state: &AppState,
    signed_in: &SignedIn,
    code: &str,
) -> Result<StoredScreening, WebError> {
    let code: ReviewCode = code.parse().map_err(|_| WebError::NotFound)?;
    state
        .store
        .find_screening(signed_in.id, &code)
        .await?
        .ok_or(WebError::NotFound)
}

async fn show_screening(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(code): Path<String>,
) -> Result<ResultPage, WebError> {
    let screening = own_screening(&state, &signed_in, &code).await?;
    Ok(ResultPage::new(&signed_in, &screening))
}

async fn confirm_delete(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(code): Path<String>,
) -> Result<DeletePage, WebError> {
    let screening = own_screening(&state, &signed_in, &code).await?;
    Ok(DeletePage::new(&signed_in, &screening))
}

async fn delete_screening(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(code): Path<String>,
    _form: VerifiedForm,
) -> Result<Response, WebError> {
    let code: ReviewCode = code.parse().map_err(|_| WebError::NotFound)?;
    if !state.store.delete_screening(signed_in.id, &code).await? {
        return Err(WebError::NotFound);
    }
    state
        .store
        .record(AuditEntry {
            actor: signed_in.username.as_str(),
            action: AuditAction::ScreeningDeleted,
            subject: Some(code.as_str()),
            detail: None,
        })
        .await?;
    Ok(Redirect::to("/screenings").into_response())
}

#[derive(Debug, Deserialize)]
struct ListParams {
    band: Option<String>,
    older_than: Option<String>,
}

async fn list_screenings(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(params): Query<ListParams>,
) -> Result<ListPage, WebError> {
    let band = match params.band.as_deref() {
        None | Some("") => None,
        Some(code) => Some(Band::from_code(code).ok_or_else(|| {
            WebError::BadRequest(format!(
                "\"{code}\" is not a band; choose one of: {}.",
                Band::accepted_codes()
            ))
        })?),
    };
    let older_than = match params.older_than.as_deref() {
        None | Some("") => None,
        Some(code) => Some(
            code.parse::<ReviewCode>()
                .map_err(|error| WebError::BadRequest(error.to_string()))?,
        ),
    };
    let is_first_page = older_than.is_none();
    let page = state
        .store
        .list_screenings(&ScreeningQuery {
            owner: signed_in.id,
            band,
            older_than,
        })
        .await?;
    Ok(ListPage::new(
        &signed_in,
        &page.screenings,
        band,
        page.next.map(|code| code.to_string()),
        is_first_page,
    ))
}
