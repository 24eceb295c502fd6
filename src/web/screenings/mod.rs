//! Screenings: the form, submitting it, a result, the list of results, and deleting one.

mod form;
mod result;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

pub(super) use self::form::{FormPage, INVITATION_FIELD, PRIOR_FIELD, Submitted};
use self::result::{DeletePage, ListPage, ResultPage};
use super::plumbing::error::WebError;
use super::plumbing::route::{Access, Category, Route};
use super::plumbing::session::{SignedIn, SubmittedForm, VerifiedForm};
use super::plumbing::state::AppState;
use crate::screening::{AnswerErrors, Answers, Band, Coded, FieldError, ReviewCode, RulesVersion};
use crate::store::{
    Invitation, InvitationId, NewScreening, ScreeningQuery, StoreError, StoredScreening,
};

pub fn routes() -> Vec<Route> {
    vec![
        Route::get("/screenings/new", Access::Clinician, new_screening)
            .counted(Category::Screening),
        Route::get("/screenings", Access::Clinician, list_screenings).counted(Category::Screening),
        Route::post("/screenings", Access::Clinician, create_screening)
            .keeping_form_through_sign_in()
            .counted(Category::Screening),
        Route::get("/screenings/{code}", Access::Clinician, show_screening)
            .counted(Category::Screening),
        Route::get(
            "/screenings/{code}/delete",
            Access::Clinician,
            confirm_delete,
        )
        .counted(Category::Screening),
        Route::post(
            "/screenings/{code}/delete",
            Access::Clinician,
            delete_screening,
        )
        .counted(Category::Screening),
    ]
}

#[derive(Debug, Deserialize)]
struct NewParams {
    prior_code: Option<String>,
    /// An invitation whose answers the client gave themselves.
    invitation: Option<String>,
    /// A draft to resume.
    draft: Option<String>,
}

/// True for the fields the screening form sends (answers and the earlier screening).
pub fn is_form_field(field: &str) -> bool {
    crate::screening::answers::is_answer_field(field)
        || field == PRIOR_FIELD
        || field == INVITATION_FIELD
        || field == super::drafts::DRAFT_FIELD
}

/// The form filled in with answers carried through a new sign-in, for a last check; the
/// client's own answers stay marked when they came from an invitation.
pub async fn resumed_form(
    state: &AppState,
    signed_in: &SignedIn,
    carried: Vec<(String, String)>,
) -> Result<FormPage, WebError> {
    let submitted = Submitted::new(carried);
    let invitation =
        answered_invitation(state, signed_in, submitted.value(INVITATION_FIELD)).await?;
    let mut page = FormPage::new(signed_in, &submitted, None);
    if let Some(invitation) = &invitation {
        mark(&mut page, invitation);
    }
    page.notice = Some(
        "You are signed in again and your answers are kept. Check them, then press Score and save.",
    );
    Ok(page)
}

/// The owner's answered invitation with this id, if there is one.
pub(super) async fn answered_invitation(
    state: &AppState,
    signed_in: &SignedIn,
    id: Option<&str>,
) -> Result<Option<Invitation>, WebError> {
    let Some(id) = id.and_then(InvitationId::parse) else {
        return Ok(None);
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    Ok(state
        .store
        .find_invitation(signed_in.id, &id, now)
        .await?
        .filter(Invitation::is_answered))
}

/// Marks the form's intake questions with the invitation's answers.
pub(super) fn mark(page: &mut FormPage, invitation: &Invitation) {
    let language = invitation
        .language
        .filter(|code| *code != crate::screening::LanguageCode::ENGLISH)
        .map(|code| super::client::language_for_clinician(code).0);
    page.mark_client_answers(invitation, language);
}

/// `GET /screenings/new`, optionally pre-filled as a re-screening of `prior_code`.
async fn new_screening(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(params): Query<NewParams>,
) -> Result<Response, WebError> {
    if let Some(id) = &params.draft {
        return super::drafts::resume(&state, &signed_in, id).await;
    }
    let mut prefill: Vec<(String, String)> = params
        .prior_code
        .map(|code| vec![(PRIOR_FIELD.to_owned(), code)])
        .unwrap_or_default();
    let Some(id) = params.invitation else {
        if prefill.is_empty() {
            // The blank form, pre-rendered: the page every screening starts from.
            if let Ok(page) = form::blank_form(&signed_in) {
                return Ok(page.into_response());
            }
        }
        return Ok(FormPage::new(&signed_in, &Submitted::new(prefill), None).into_response());
    };
    // Owner only: anyone else's invitation, or none, is 404.
    let id = InvitationId::parse(&id).ok_or(WebError::NotFound)?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let invitation = state
        .store
        .find_invitation(signed_in.id, &id, now)
        .await?
        .ok_or(WebError::NotFound)?;
    let Some(answers) = &invitation.answers else {
        // Not answered yet: the invitation says so.
        return Ok(Redirect::to(&format!("/invitations/{id}")).into_response());
    };
    // A re-screening sent to the client: its earlier screening comes with it.
    if let Some(prior) = &invitation.prior {
        prefill.retain(|(field, _)| field != PRIOR_FIELD);
        prefill.push((PRIOR_FIELD.to_owned(), prior.to_string()));
    }
    for question in crate::screening::IntakeQuestion::ALL {
        let field = question.field();
        match answers.intake(question) {
            crate::screening::answers::IntakeAnswer::Reply(reply) => {
                prefill.push((field.to_owned(), reply.code().to_owned()));
            }
            crate::screening::answers::IntakeAnswer::Escape(escape) => {
                prefill.extend(
                    escape
                        .codes()
                        .into_iter()
                        .map(|code| (field.to_owned(), code.to_owned())),
                );
            }
        }
    }
    let mut page = FormPage::new(&signed_in, &Submitted::new(prefill), None);
    mark(&mut page, &invitation);
    Ok(page.into_response())
}

/// Reads the optional earlier screening of a re-screening: it must be one of the
/// clinician's own.
pub(super) async fn prior_screening(
    state: &AppState,
    signed_in: &SignedIn,
    typed: Option<&str>,
) -> Result<Result<Option<ReviewCode>, FieldError>, WebError> {
    let typed = typed.unwrap_or_default().trim();
    if typed.is_empty() {
        return Ok(Ok(None));
    }
    let refuse = |message: String| {
        Ok(Err(FieldError {
            field: PRIOR_FIELD.to_owned(),
            message,
        }))
    };
    let Ok(code) = typed.parse::<ReviewCode>() else {
        return refuse(format!(
            "\"{typed}\" is not a review code; a review code is eight letters and digits, like K7QF-29MX"
        ));
    };
    if state
        .store
        .find_screening(signed_in.id, &code)
        .await?
        .is_none()
    {
        return refuse(format!(
            "none of your screenings has the review code {code}"
        ));
    }
    Ok(Ok(Some(code)))
}

/// `POST /screenings`: parse, score, store, then 303 to the result; 422 with the form again
/// when the answers are not valid.
async fn create_screening(
    State(state): State<AppState>,
    signed_in: SignedIn,
    form: SubmittedForm,
) -> Result<Response, WebError> {
    if !form.token_matches {
        // A form opened before the clinician signed in again: nothing is stored, and the
        // answers come back with this session's token instead of being lost.
        let carried = form
            .pairs
            .into_iter()
            .filter(|(field, _)| is_form_field(field))
            .collect();
        let mut page = resumed_form(&state, &signed_in, carried).await?;
        page.notice = Some(
            "This form was opened before you last signed in, so it was not saved. Your answers \
             are kept: check them, then press Score and save.",
        );
        return Ok((StatusCode::FORBIDDEN, page).into_response());
    }
    let submitted = Submitted::new(form.pairs);
    let prior = prior_screening(&state, &signed_in, submitted.value(PRIOR_FIELD)).await?;
    let invitation =
        answered_invitation(&state, &signed_in, submitted.value(INVITATION_FIELD)).await?;
    if submitted.value(INVITATION_FIELD).is_some() && invitation.is_none() {
        return Ok(invitation_gone(&signed_in, &submitted));
    }
    let draft = match submitted.value(super::drafts::DRAFT_FIELD) {
        None => None,
        Some(id) => match super::drafts::own_draft(&state, &signed_in, id).await? {
            Ok(draft) => Some(draft.id),
            Err(why) => {
                return Ok(super::drafts::form_without_draft(
                    &signed_in, &submitted, why,
                ));
            }
        },
    };
    let answers = Answers::from_form(submitted.pairs().filter(|(field, _)| {
        *field != PRIOR_FIELD && *field != INVITATION_FIELD && *field != super::drafts::DRAFT_FIELD
    }));
    let (answers, prior) = match (answers, prior) {
        (Ok(answers), Ok(prior)) => (answers, prior),
        (answers, prior) => {
            let mut errors = answers.err().map_or_else(Vec::new, |errors| errors.0);
            errors.extend(prior.err());
            let mut page = FormPage::new(&signed_in, &submitted, Some(&AnswerErrors(errors)));
            if let Some(invitation) = &invitation {
                mark(&mut page, invitation);
            }
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let outcome = RulesVersion::CURRENT.score(&answers);
    let year = time::OffsetDateTime::now_utc().year();
    let corrected = invitation.as_ref().is_some_and(|invitation| {
        invitation.answers.as_ref().is_some_and(|given| {
            crate::screening::IntakeQuestion::ALL
                .into_iter()
                .any(|question| given.intake(question) != answers.intake(question))
        })
    });
    let saved = state
        .store
        .save(NewScreening {
            owner: signed_in.id,
            prior,
            answers,
            outcome,
            year,
            invitation: invitation
                .as_ref()
                .map(|invitation| (invitation.id.clone(), corrected)),
            draft,
        })
        .await;
    let code = match saved {
        Err(StoreError::InvitationGone) => {
            return Ok(invitation_gone(&signed_in, &submitted));
        }
        Err(StoreError::DraftGone { expired }) => {
            let why = if expired {
                super::drafts::Unavailable::Gone
            } else {
                super::drafts::Unavailable::NotFound
            };
            return Ok(super::drafts::form_without_draft(
                &signed_in, &submitted, why,
            ));
        }
        other => other?,
    };
    Ok(Redirect::to(&format!("/screenings/{code}")).into_response())
}

/// The answer to a form sent for an invitation that is no longer there (saved already in
/// another tab, cancelled or expired): nothing is stored; the form comes back without the
/// invitation, every answer kept, saying so.
fn invitation_gone(signed_in: &SignedIn, submitted: &Submitted) -> Response {
    let pairs = submitted
        .pairs()
        .filter(|(field, _)| *field != INVITATION_FIELD)
        .map(|(field, value)| (field.to_owned(), value.to_owned()))
        .collect();
    let mut page = FormPage::new(signed_in, &Submitted::new(pairs), None);
    page.notice = Some(
        "Nothing was saved: the client's answers for this invitation were saved already, \
         cancelled or have expired. Check your results before saving this form as a new screening.",
    );
    (StatusCode::CONFLICT, page).into_response()
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
    let code: ReviewCode = code.parse().map_err(|_| WebError::NotFound)?;
    let (screening, trajectory) = state
        .store
        .screening_with_trajectory(signed_in.id, &code)
        .await?
        .ok_or(WebError::NotFound)?;
    Ok(ResultPage::new(&signed_in, &screening, &trajectory))
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
    let deleted = state
        .store
        .delete_screening(signed_in.id, &code, signed_in.username.as_str())
        .await?;
    if !deleted {
        return Err(WebError::NotFound);
    }
    Ok(Redirect::to("/screenings").into_response())
}

#[derive(Debug, Deserialize)]
struct ListParams {
    band: Option<String>,
    older_than: Option<String>,
    /// A review code to find, typed loosely.
    code: Option<String>,
    /// `draft` right after a draft was saved.
    saved: Option<String>,
}

/// `GET /screenings`: the clinician's results, newest first; `?band=` filters, `?code=` finds
/// one result (any case, dash optional, O/I/L read as 0/1/1) and goes straight to it.
async fn list_screenings(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Query(params): Query<ListParams>,
) -> Result<Response, WebError> {
    if let Some(typed) = params
        .code
        .as_deref()
        .map(str::trim)
        .filter(|typed| !typed.is_empty())
    {
        let (status, message) = match typed.parse::<ReviewCode>() {
            Ok(code) => match state.store.find_screening(signed_in.id, &code).await? {
                Some(found) => {
                    return Ok(
                        Redirect::to(&format!("/screenings/{}", found.review_code)).into_response()
                    );
                }
                None => (
                    StatusCode::NOT_FOUND,
                    format!("None of your results has the review code {code}."),
                ),
            },
            Err(_) => (
                StatusCode::BAD_REQUEST,
                format!(
                    "\"{typed}\" is not a review code: eight letters and digits, like K7QF-29MX."
                ),
            ),
        };
        let page = state
            .store
            .list_screenings(&ScreeningQuery {
                owner: signed_in.id,
                band: None,
                older_than: None,
            })
            .await?;
        let mut list = ListPage::new(
            &signed_in,
            &page.screenings,
            None,
            page.next.map(|code| code.to_string()),
            true,
        );
        list.search = typed.to_owned();
        list.search_error = Some(message);
        return Ok((status, list).into_response());
    }
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
    let drafts = if is_first_page {
        let just_saved = params.saved.as_deref() == Some("draft");
        super::drafts::DraftsSection::load(&state, &signed_in, just_saved).await?
    } else {
        super::drafts::DraftsSection::default()
    };
    let page = state
        .store
        .list_screenings(&ScreeningQuery {
            owner: signed_in.id,
            band,
            older_than,
        })
        .await?;
    let mut list = ListPage::new(
        &signed_in,
        &page.screenings,
        band,
        page.next.map(|code| code.to_string()),
        is_first_page,
    );
    list.drafts = drafts;
    Ok(list.into_response())
}
