//! Screenings: the form, submitting it, a result, and the list of results.

mod form;
mod result;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use self::form::{FormPage, Submitted};
use self::result::{ListPage, ResultPage};
use super::error::WebError;
use super::state::AppState;
use crate::screening::{Answers, Band, Coded, ReviewCode, RulesVersion};
use crate::store::ScreeningQuery;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/screenings/new", get(new_screening))
        .route("/screenings", get(list_screenings).post(create_screening))
        .route("/screenings/{code}", get(show_screening))
}

async fn new_screening() -> FormPage {
    FormPage::new(&Submitted::default(), None)
}

/// `POST /screenings`: parse, score, store, then 303 to the result; 422 with the form again
/// when the answers are not valid.
async fn create_screening(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<Response, WebError> {
    let submitted = Submitted::parse(&body);
    let answers = match Answers::from_form(submitted.pairs()) {
        Ok(answers) => answers,
        Err(errors) => {
            return Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                FormPage::new(&submitted, Some(&errors)),
            )
                .into_response());
        }
    };
    let outcome = RulesVersion::CURRENT.score(&answers);
    let year = time::OffsetDateTime::now_utc().year();
    let code = state.store.save_screening(&answers, &outcome, year).await?;
    Ok(Redirect::to(&format!("/screenings/{code}")).into_response())
}

async fn show_screening(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<ResultPage, WebError> {
    let code: ReviewCode = code.parse().map_err(|_| WebError::NotFound)?;
    let screening = state
        .store
        .find_screening(&code)
        .await?
        .ok_or(WebError::NotFound)?;
    Ok(ResultPage::new(&screening))
}

#[derive(Debug, Deserialize)]
struct ListParams {
    band: Option<String>,
    older_than: Option<String>,
}

async fn list_screenings(
    State(state): State<AppState>,
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
        .list_screenings(&ScreeningQuery { band, older_than })
        .await?;
    Ok(ListPage::new(
        &page.screenings,
        band,
        page.next.map(|code| code.to_string()),
        is_first_page,
    ))
}
