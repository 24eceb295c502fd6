//! Drafts of an interrupted intake (PRODUCT §6.1), the clinician's side: *Save as draft* on the
//! screening form (`POST /drafts`), the open drafts on the list of results, resuming one
//! (`GET /screenings/new?draft={id}`, in `screenings`), and discarding one.
//!
//! Bad ids: a draft that is not the clinician's (or no longer there) answers 404; an id that
//! is not a draft id at all, or a draft past its expiry, answers 410. Nothing is changed by
//! any of them. Their requests are counted, never logged (see `plumbing::activity`).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::plumbing::error::WebError;
use super::plumbing::layout::Layout;
use super::plumbing::route::{Access, Category, Route};
use super::plumbing::session::{SignedIn, SubmittedForm, VerifiedForm};
use super::plumbing::state::AppState;
use super::screenings::{self, FormPage, Submitted};
use crate::screening::{AnswerErrors, DraftAnswers, FieldError};
use crate::store::{Draft, DraftId, DraftLookup, InvitationId, NewDraft, draft_expiry};

/// The form field naming the draft a form was resumed from.
pub const DRAFT_FIELD: &str = "draft";

/// Where a saved or discarded draft leads: the list, at its open drafts.
const DRAFTS_ON_LIST: &str = "/screenings?saved=draft#open-drafts";

pub fn routes() -> Vec<Route> {
    vec![
        Route::post("/drafts", Access::Clinician, save_draft)
            .keeping_form_through_sign_in()
            .counted(Category::Draft),
        Route::post("/drafts/{id}/discard", Access::Clinician, discard_draft)
            .counted(Category::Draft),
    ]
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Why a draft cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unavailable {
    /// Not one of the clinician's drafts (or deleted already): 404.
    NotFound,
    /// Past its 24 hours, or not a draft id at all: 410.
    Gone,
}

impl Unavailable {
    pub fn status(self) -> StatusCode {
        match self {
            Unavailable::NotFound => StatusCode::NOT_FOUND,
            Unavailable::Gone => StatusCode::GONE,
        }
    }

    fn title(self) -> &'static str {
        match self {
            Unavailable::NotFound => "No such draft",
            Unavailable::Gone => "This draft is no longer available",
        }
    }

    /// What the page says, in full.
    pub fn message(self) -> &'static str {
        match self {
            Unavailable::NotFound => {
                "There is no draft of yours at this address: it was saved as a screening or \
                 discarded already, or it is not yours. Nothing was changed."
            }
            Unavailable::Gone => {
                "This draft is no longer available: drafts are kept 24 hours, then deleted with \
                 their answers. Nothing was changed."
            }
        }
    }

    /// The note on the form sent back with its answers when it named an unavailable draft.
    pub fn form_notice(self) -> &'static str {
        match self {
            Unavailable::NotFound => {
                "Nothing was saved: the draft this form came from is not one of yours any more \
                 (saved as a screening or discarded already). Your answers are below; check your \
                 results before saving them again."
            }
            Unavailable::Gone => {
                "Nothing was saved: this draft is no longer available (drafts are kept 24 hours). \
                 Your answers are below; check your results before saving them again."
            }
        }
    }
}

/// The page for a draft that cannot be opened or discarded.
#[derive(Template, WebTemplate)]
#[template(path = "draft_gone.html")]
pub struct UnavailablePage {
    pub layout: Layout,
    pub title: &'static str,
    pub message: &'static str,
}

pub fn unavailable_page(signed_in: &SignedIn, why: Unavailable) -> Response {
    let page = UnavailablePage {
        layout: Layout::signed_in(why.title(), signed_in),
        title: why.title(),
        message: why.message(),
    };
    (why.status(), page).into_response()
}

/// The clinician's open draft with the id `text`, or why there is none to use.
pub async fn own_draft(
    state: &AppState,
    signed_in: &SignedIn,
    text: &str,
) -> Result<Result<Draft, Unavailable>, WebError> {
    let Some(id) = DraftId::parse(text) else {
        // Not an id this app makes: an old or altered link.
        return Ok(Err(Unavailable::Gone));
    };
    Ok(
        match state.store.find_draft(signed_in.id, &id, now()).await? {
            DraftLookup::Open(draft) => Ok(*draft),
            DraftLookup::Expired => Err(Unavailable::Gone),
            DraftLookup::NotFound => Err(Unavailable::NotFound),
        },
    )
}

/// The form sent back, answers kept and the draft reference dropped, saying why nothing was
/// saved.
pub fn form_without_draft(
    signed_in: &SignedIn,
    submitted: &Submitted,
    why: Unavailable,
) -> Response {
    let pairs = submitted
        .pairs()
        .filter(|(field, _)| *field != DRAFT_FIELD)
        .map(|(field, value)| (field.to_owned(), value.to_owned()))
        .collect();
    let mut page = FormPage::new(signed_in, &Submitted::new(pairs), None);
    page.notice = Some(why.form_notice());
    (why.status(), page).into_response()
}

/// `POST /drafts` (the form's *Save as draft*): keeps the coded answers given so far, the
/// earlier screening of a re-screening and the client's invitation, for 24 hours; a draft
/// resumed from is replaced. `303` to the open drafts; `422` with the form when a value is
/// not one of the form's codes (nothing stored).
async fn save_draft(
    State(state): State<AppState>,
    signed_in: SignedIn,
    form: SubmittedForm,
) -> Result<Response, WebError> {
    if !form.token_matches {
        // A form opened before the clinician last signed in: nothing is stored; the answers
        // come back with this session's token.
        let carried = form
            .pairs
            .into_iter()
            .filter(|(field, _)| screenings::is_form_field(field))
            .collect();
        let mut page = screenings::resumed_form(&state, &signed_in, carried).await?;
        page.notice = Some(
            "This form was opened before you last signed in, so no draft was saved. Your \
             answers are kept: press Save as draft again.",
        );
        return Ok((StatusCode::FORBIDDEN, page).into_response());
    }
    let submitted = Submitted::new(form.pairs);
    let resumed = match submitted.value(DRAFT_FIELD) {
        None | Some("") => None,
        Some(text) => match own_draft(&state, &signed_in, text).await? {
            Ok(draft) => Some(draft.id),
            Err(why) => return Ok(form_without_draft(&signed_in, &submitted, why)),
        },
    };
    let prior =
        screenings::prior_screening(&state, &signed_in, submitted.value(screenings::PRIOR_FIELD))
            .await?;
    let answers = DraftAnswers::from_form(
        submitted
            .pairs()
            .filter(|(field, _)| !is_reference_field(field)),
    );
    let (answers, prior) = match (answers, prior) {
        (Ok(answers), Ok(prior)) => (answers, prior),
        (answers, prior) => {
            let mut errors: Vec<FieldError> = answers.err().map_or_else(Vec::new, |e| e.0);
            errors.extend(prior.err());
            let mut page = FormPage::new(&signed_in, &submitted, Some(&AnswerErrors(errors)));
            page.notice = Some(
                "Nothing was saved as a draft: a draft keeps the form's own answers only. \
                 Correct what is marked below, then press Save as draft again.",
            );
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    // The client's invitation is kept while it is there; the answers are in the draft anyway.
    let invitation = submitted
        .value(screenings::INVITATION_FIELD)
        .and_then(InvitationId::parse);
    let now = now();
    let draft = NewDraft {
        owner: signed_in.id,
        prior: prior.as_ref(),
        invitation: invitation.as_ref(),
        answers: &answers,
        expiry: draft_expiry(now),
    };
    match resumed {
        None => {
            state.store.create_draft(&draft).await?;
        }
        Some(id) => match state.store.update_draft(&id, &draft, now).await? {
            DraftLookup::Open(_) => {}
            DraftLookup::Expired => {
                return Ok(form_without_draft(
                    &signed_in,
                    &submitted,
                    Unavailable::Gone,
                ));
            }
            DraftLookup::NotFound => {
                return Ok(form_without_draft(
                    &signed_in,
                    &submitted,
                    Unavailable::NotFound,
                ));
            }
        },
    }
    Ok(Redirect::to(DRAFTS_ON_LIST).into_response())
}

/// True for the form's fields that are not answers: what a draft refers to.
fn is_reference_field(field: &str) -> bool {
    field == DRAFT_FIELD
        || field == screenings::PRIOR_FIELD
        || field == screenings::INVITATION_FIELD
}

/// `POST /drafts/{id}/discard`: deletes the draft (then in no file of the database).
async fn discard_draft(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    _form: VerifiedForm,
) -> Result<Response, WebError> {
    let Some(id) = DraftId::parse(&id) else {
        return Ok(unavailable_page(&signed_in, Unavailable::Gone));
    };
    Ok(
        match state.store.discard_draft(signed_in.id, &id, now()).await? {
            DraftLookup::Open(_) => Redirect::to("/screenings#open-drafts").into_response(),
            DraftLookup::Expired => unavailable_page(&signed_in, Unavailable::Gone),
            DraftLookup::NotFound => unavailable_page(&signed_in, Unavailable::NotFound),
        },
    )
}

/// One open draft as the list shows it.
pub struct DraftRow {
    pub id: String,
    /// "4 of 6 questions", with "and details" when any were recorded.
    pub answered: String,
    /// The earlier screening of a re-screening.
    pub prior: Option<String>,
    /// Started from the client's own answers.
    pub from_client: bool,
    /// "in 23 hours", "in 40 minutes".
    pub deleted_in: String,
}

/// The open drafts section of the list of results.
#[derive(Default)]
pub struct DraftsSection {
    pub rows: Vec<DraftRow>,
    pub csrf_token: String,
    /// Right after *Save as draft*: says it was saved.
    pub just_saved: bool,
}

impl DraftsSection {
    /// The clinician's open drafts.
    pub async fn load(
        state: &AppState,
        signed_in: &SignedIn,
        just_saved: bool,
    ) -> Result<DraftsSection, WebError> {
        let now = now();
        let drafts = state.store.list_drafts(signed_in.id, now).await?;
        Ok(DraftsSection {
            rows: drafts
                .iter()
                .map(|draft| DraftRow::new(draft, now))
                .collect(),
            csrf_token: signed_in.csrf_token.clone(),
            just_saved,
        })
    }
}

impl DraftRow {
    fn new(draft: &Draft, now: i64) -> DraftRow {
        let left = (draft.expiry - now).max(0);
        let deleted_in = if left >= 2 * 3600 {
            format!("in {} hours", left / 3600)
        } else {
            let minutes = (left + 59) / 60;
            format!("in {minutes} minute{}", if minutes == 1 { "" } else { "s" })
        };
        let answered = draft.answers.answered();
        DraftRow {
            id: draft.id.to_string(),
            answered: format!(
                "{answered} of 6 question{}{}",
                if answered == 1 { "" } else { "s" },
                if draft.answers.has_details() {
                    ", and details"
                } else {
                    ""
                }
            ),
            prior: draft.prior.as_ref().map(ToString::to_string),
            from_client: draft.invitation.is_some(),
            deleted_in,
        }
    }
}

/// `GET /screenings/new?draft={id}`: the form filled in from the draft, the earlier
/// screening and the client's own answers with it; saving it deletes the draft.
pub async fn resume(
    state: &AppState,
    signed_in: &SignedIn,
    id: &str,
) -> Result<Response, WebError> {
    let draft = match own_draft(state, signed_in, id).await? {
        Ok(draft) => draft,
        Err(why) => return Ok(unavailable_page(signed_in, why)),
    };
    let mut prefill = draft.answers.to_form();
    if let Some(prior) = &draft.prior {
        prefill.push((screenings::PRIOR_FIELD.to_owned(), prior.to_string()));
    }
    prefill.push((DRAFT_FIELD.to_owned(), draft.id.to_string()));
    let invitation = screenings::answered_invitation(
        state,
        signed_in,
        draft.invitation.as_ref().map(InvitationId::as_str),
    )
    .await?;
    let mut page = FormPage::new(signed_in, &Submitted::new(prefill), None);
    if let Some(invitation) = &invitation {
        screenings::mark(&mut page, invitation);
    }
    page.notice = Some(
        "Resumed from your draft: check the answers, finish the intake, then press Score and \
         save (the draft is deleted then), or Save as draft again.",
    );
    Ok(page.into_response())
}
