//! The client view (PRODUCT §6): a client answers the six intake questions on their own phone
//! through a one-time link, or on the clinician's device handed over. A room of its own: it
//! uses the app's plumbing (errors, limits, throttle, store, the screening parser) and
//! nothing of the clinician's pages. Its words come from one catalogue per language.

pub mod catalogue;
mod en;
mod es;
pub mod languages;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tower_sessions::Session;

use self::catalogue::Catalogue;
use super::plumbing::client_address::ClientAddress;
use super::plumbing::error::WebError;
use super::plumbing::form_token::{IssuedToken, PublicForm};
use super::plumbing::route::{Access, Category, Route};
use super::plumbing::state::AppState;
use super::plumbing::{session, token_cookie};
use crate::screening::questions::ESCAPE_DECLINED;
use crate::screening::{
    Administration, AnswerErrors, Answers, CopingCode, IntakeQuestion, LanguageCode,
};
use crate::store::{ClientToken, Invitation, Spent, TokenLookup};

/// Answered invitations wait this long for the clinician to complete them.
pub const ANSWERED_KEEP_SECS: i64 = 24 * 60 * 60;
/// The field carrying the chosen language through the form.
const LANG_FIELD: &str = "lang";
/// The language switch: a submit button of the questions' own form, so the answers given so
/// far come along without JavaScript (PRODUCT §6.1).
const SWITCH_FIELD: &str = "switch_lang";
/// How the client pages cite the questions' source: short, since the clinician's pages carry
/// the full reference.
const CLIENT_CITATION: &str = "Weiss (2015)";

pub fn routes() -> Vec<Route> {
    vec![
        Route::get("/c/{token}", Access::Public, show_questions)
            .counted(Category::Client)
            .open_while_locked(),
        Route::post("/c/{token}", Access::Public, answer_questions)
            .counted(Category::Client)
            .open_while_locked(),
    ]
}

/// Marks a response as a page of the client view, so the edge layers leave it alone.
#[derive(Debug, Clone, Copy)]
pub struct ClientPage;

/// Where the client view's addresses begin.
pub const PREFIX: &str = "/c";

/// True for the addresses of the client view, known or not: for the fallback and for the
/// layers outside the router (the timeout, the body limit, the cross-site check).
pub fn is_client_path(path: &str) -> bool {
    path.strip_prefix(PREFIX)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// Every answer of the client view is its own page: a failure the handlers could not turn
/// into one (the database failed) becomes the client's "something did not work" page.
pub async fn own_pages(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let headers = request.headers().clone();
    let mut response = next.run(request).await;
    if response.status().is_server_error() {
        response = trouble(&headers, response.status());
    }
    response.extensions_mut().insert(ClientPage);
    response
}

/// The client's page for a request refused or failed with `status` (too large, timed out,
/// sent from another site, a server error): in their words, with nothing of the app's.
pub fn trouble(headers: &HeaderMap, status: StatusCode) -> Response {
    let words = language(None, headers);
    let mut response = (
        status,
        MessagePage::plain(words, words.trouble_title, words.trouble_text),
    )
        .into_response();
    response.extensions_mut().insert(ClientPage);
    response
}

/// The order the client sees the ways of escaping in: everyday ways first, as the question's
/// own examples mix them, then the sexual and romantic ones, then "something else".
const COPING_ORDER: [CopingCode; 14] = [
    CopingCode::Eating,
    CopingCode::Exercise,
    CopingCode::Sleep,
    CopingCode::Work,
    CopingCode::TalkingToSomeone,
    CopingCode::GamingOrSocialMedia,
    CopingCode::ShoppingOrGambling,
    CopingCode::AlcoholOrDrugs,
    CopingCode::Masturbation,
    CopingCode::Pornography,
    CopingCode::SexualChatOrWebcam,
    CopingCode::DatingOrHookupApps,
    CopingCode::RomanticOrSexualFantasy,
    CopingCode::Other,
];

/// What every client page shares.
pub struct Frame {
    pub lang: &'static str,
    /// Every client page is titled "A few questions from your therapist" (in the client's
    /// language), after its own heading when it has another one.
    pub title: String,
    pub stylesheets: [&'static str; 2],
    pub source: &'static str,
    pub citation: &'static str,
}

impl Frame {
    fn new(words: &'static Catalogue, heading: &'static str) -> Frame {
        Frame {
            lang: words.code,
            title: if heading == words.page_title {
                heading.to_owned()
            } else {
                format!("{heading} · {}", words.page_title)
            },
            stylesheets: [
                super::plumbing::assets::stylesheet_url(),
                super::plumbing::assets::client_stylesheet_url(),
            ],
            source: words.source,
            citation: CLIENT_CITATION,
        }
    }
}

/// One answer to tick.
pub struct ClientOption {
    pub id: String,
    pub name: &'static str,
    pub value: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

/// One question as the client sees it.
pub struct ClientQuestion {
    pub field: &'static str,
    pub number: u8,
    pub text: &'static str,
    pub hint: Option<&'static str>,
    pub input_type: &'static str,
    pub options: Vec<ClientOption>,
    pub error: Option<&'static str>,
}

/// A link in the error summary.
pub struct ClientErrorLink {
    pub target: String,
    pub message: String,
}

/// One language of the switch: the current one, or a button that posts the answers given
/// so far and shows them again in that language.
pub struct LanguageLink {
    pub code: &'static str,
    pub name: &'static str,
    pub current: bool,
}

/// `GET /c/{token}` and a refused `POST`: the six questions.
#[derive(Template, WebTemplate)]
#[template(path = "client_questions.html")]
pub struct QuestionsPage {
    pub frame: Frame,
    pub words: &'static Catalogue,
    pub action: String,
    /// The signed form token (issue 12's double-submit token, bound to this invitation).
    pub csrf_token: String,
    pub languages: Vec<LanguageLink>,
    pub questions: Vec<ClientQuestion>,
    pub errors: Vec<ClientErrorLink>,
    pub notice: Option<String>,
}

/// The thank-you page, and the pages for links that are gone or unknown.
#[derive(Template, WebTemplate)]
#[template(path = "client_message.html")]
pub struct MessagePage {
    pub frame: Frame,
    pub heading: &'static str,
    pub paragraphs: Vec<&'static str>,
    pub match_words_intro: &'static str,
    pub match_words: Option<String>,
    /// The way back for the clinician, on a handed-over device.
    pub continue_label: Option<&'static str>,
}

impl MessagePage {
    fn plain(words: &'static Catalogue, heading: &'static str, text: &'static str) -> MessagePage {
        MessagePage {
            frame: Frame::new(words, heading),
            heading,
            paragraphs: vec![text],
            match_words_intro: words.match_words_intro,
            match_words: None,
            continue_label: None,
        }
    }
}

#[derive(Debug, Deserialize)]
struct LangParam {
    lang: Option<String>,
}

/// The language asked for by `?lang=` (or the form's field), else by `Accept-Language`.
fn language(asked: Option<&str>, headers: &HeaderMap) -> &'static Catalogue {
    asked.and_then(languages::find).unwrap_or_else(|| {
        languages::negotiate(
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|value| value.to_str().ok()),
        )
    })
}

/// The answer for a token that opens nothing: 410 saying calmly why (used, expired or
/// cancelled), or 404 for a token never made.
fn refusal(words: &'static Catalogue, token: &TokenLookup) -> Response {
    match token {
        TokenLookup::Gone(spent) => gone(words, *spent),
        TokenLookup::Grace(_) => gone(words, Spent::Expired),
        _ => (
            StatusCode::NOT_FOUND,
            MessagePage::plain(words, words.unknown_title, words.unknown_text),
        )
            .into_response(),
    }
}

/// 410 Gone with the page for why the link stopped working.
fn gone(words: &'static Catalogue, spent: Spent) -> Response {
    let (title, text) = match spent {
        Spent::Used => (words.used_title, words.used_text),
        Spent::Expired => (words.expired_title, words.expired_text),
        Spent::Cancelled => (words.cancelled_title, words.cancelled_text),
    };
    (StatusCode::GONE, MessagePage::plain(words, title, text)).into_response()
}

/// An invitation a client's token opens, and whether it is in its grace period (expired,
/// but still taking a form opened before the expiry).
struct Opened {
    invitation: Invitation,
    in_grace: bool,
    token: ClientToken,
}

/// Looks the token up. A token that opens an invitation (or says why it stopped working) is
/// never refused by the address throttle, so one address guessing (or everyone behind a
/// proxy) cannot lock clients out; an address that keeps sending unknown tokens gets 429 for
/// them. Guessing stays infeasible by the token's entropy (see [`TokenThrottle`]), not by
/// the throttle (ASVS 5.0 V6.3.1 in spirit: brute force is held off without a lock-out).
///
/// [`TokenThrottle`]: super::plumbing::throttle::TokenThrottle
async fn open_invitation(
    state: &AppState,
    words: &'static Catalogue,
    address: ClientAddress,
    token: &str,
) -> Result<Result<Opened, Response>, WebError> {
    let token = ClientToken::parse(token);
    let found = match &token {
        Some(token) => state.store.client_token(token, now()).await?,
        None => TokenLookup::Unknown,
    };
    if matches!(found, TokenLookup::Unknown) && state.client_throttle.unknown(address.0) {
        let page = MessagePage::plain(words, words.too_many_title, words.too_many_text);
        return Ok(Err((StatusCode::TOO_MANY_REQUESTS, page).into_response()));
    }
    Ok(match (found, token) {
        (TokenLookup::Open(invitation), Some(token)) => Ok(Opened {
            invitation,
            in_grace: false,
            token,
        }),
        (TokenLookup::Grace(invitation), Some(token)) => Ok(Opened {
            invitation,
            in_grace: true,
            token,
        }),
        (other, _) => Err(refusal(words, &other)),
    })
}

/// What the form token of an invitation's questions is for: bound to the invitation.
fn purpose(invitation: &Invitation) -> String {
    format!("client:{}", invitation.id)
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// The token a client-view address stands for: the address's own, or on a handed-over
/// device (`/c/here`) the one its cookie carries, so that the clinician's browser history
/// holds no token (issue 17, break 8). `None` when that cookie is gone.
fn token_for(segment: &str, headers: &HeaderMap) -> Option<String> {
    if segment == token_cookie::DEVICE_SEGMENT {
        token_cookie::device_token(headers)
    } else {
        Some(segment.to_owned())
    }
}

/// A session locked for one client's questions opens no other invitation: a link kept in the
/// device's history or typed in is refused (403) and nothing is stored. OWASP ASVS 5.0
/// V8.2.2 (access to data items only as authorised).
async fn other_invitation_refused(
    session: &Session,
    words: &'static Catalogue,
    invitation: &Invitation,
) -> Result<Option<Response>, WebError> {
    let Some((lock, _)) = session::lock_state(session).await? else {
        return Ok(None);
    };
    if lock.invitation == invitation.id.as_str() {
        return Ok(None);
    }
    let mut page = MessagePage::plain(
        words,
        words.other_invitation_title,
        words.other_invitation_text,
    );
    page.continue_label = Some(words.therapist_continue);
    Ok(Some((StatusCode::FORBIDDEN, page).into_response()))
}

/// `GET /c/{token}`, and `GET /c/here` on a handed-over device.
async fn show_questions(
    State(state): State<AppState>,
    session: Session,
    address: ClientAddress,
    headers: HeaderMap,
    Path(segment): Path<String>,
    Query(params): Query<LangParam>,
) -> Result<Response, WebError> {
    let words = language(params.lang.as_deref(), &headers);
    let Some(token) = token_for(&segment, &headers) else {
        return Ok(gone(words, Spent::Expired));
    };
    let invitation = match open_invitation(&state, words, address, &token).await? {
        // A page load after the expiry opens no new form, grace or not.
        Ok(opened) if opened.in_grace => return Ok(gone(words, Spent::Expired)),
        Ok(opened) => opened.invitation,
        Err(refused) => return Ok(refused),
    };
    if let Some(refused) = other_invitation_refused(&session, words, &invitation).await? {
        return Ok(refused);
    }
    let form_token = state.form_tokens.issue(&headers, &purpose(&invitation));
    let page = questions_page(words, &segment, &form_token, &[], None);
    Ok((form_token.cookie(), page).into_response())
}

/// `POST /c/{token}`: the same parser and rules as the clinician's form; 422 with every
/// answer kept and each error beside its question; a thank-you page once stored. A press of
/// the language switch shows the answers given so far again in the other language and
/// stores nothing. After the expiry, only a form opened before it (its form token is
/// genuine, and such a token is only ever issued to a form shown before the expiry or
/// shown again from one) is taken, for [`crate::store::EXPIRY_GRACE_SECS`].
async fn answer_questions(
    State(state): State<AppState>,
    session: Session,
    address: ClientAddress,
    headers: HeaderMap,
    Path(segment): Path<String>,
    form: PublicForm,
) -> Result<Response, WebError> {
    let field = |name: &str| {
        form.pairs
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, value)| value.as_str())
    };
    let switch_to = field(SWITCH_FIELD).and_then(languages::find);
    let switching = field(SWITCH_FIELD).is_some();
    let words = switch_to.unwrap_or_else(|| language(field(LANG_FIELD), &headers));
    let Some(token) = token_for(&segment, &headers) else {
        return Ok(gone(words, Spent::Expired));
    };
    let Opened {
        invitation,
        in_grace,
        token,
    } = match open_invitation(&state, words, address, &token).await? {
        Ok(opened) => opened,
        Err(refused) => return Ok(refused),
    };
    if let Some(refused) = other_invitation_refused(&session, words, &invitation).await? {
        return Ok(refused);
    }
    // Only the six intake questions are the client's; anything else sent is left out.
    let intake: Vec<(&str, &str)> = form
        .pairs
        .iter()
        .filter(|(field, _)| IntakeQuestion::from_field(field).is_some())
        .map(|(field, value)| (field.as_str(), value.as_str()))
        .collect();
    let purpose = purpose(&invitation);
    let genuine = form.is_genuine(&state.form_tokens, &purpose);
    if in_grace && !genuine {
        // Expired, and not a form opened before the expiry: nothing is kept.
        return Ok(gone(words, Spent::Expired));
    }
    if switching {
        // The language switch: the answers so far, in the other language; nothing stored,
        // nothing validated but what can be kept.
        let (kept, dropped) = keep_valid(&intake);
        let form_token = state.form_tokens.issue(&headers, &purpose);
        let mut page = questions_page(words, &segment, &form_token, &kept, None);
        if !dropped.is_empty() {
            let named: Vec<String> = dropped
                .iter()
                .map(|question| words.numbered(*question))
                .collect();
            page.notice = Some(
                words
                    .switch_dropped
                    .replace("{questions}", &named.join(", ")),
            );
        }
        return Ok((form_token.cookie(), page).into_response());
    }
    if !genuine {
        // Open too long, or not sent from this page: nothing is stored, and the answers come
        // back with a fresh token to send again.
        let form_token = state.form_tokens.issue(&headers, &purpose);
        let mut page = questions_page(words, &segment, &form_token, &intake, None);
        page.notice = Some(words.form_expired.to_owned());
        return Ok((StatusCode::FORBIDDEN, form_token.cookie(), page).into_response());
    }
    let answers = match Answers::from_form(intake.iter().copied()) {
        Ok(answers) => answers,
        Err(errors) => {
            let form_token = state.form_tokens.issue(&headers, &purpose);
            let page = questions_page(words, &segment, &form_token, &intake, Some(&errors));
            return Ok(
                (StatusCode::UNPROCESSABLE_ENTITY, form_token.cookie(), page).into_response(),
            );
        }
    };
    let language = LanguageCode::parse(words.code).unwrap_or(LanguageCode::ENGLISH);
    let now = now();
    let stored = state
        .store
        .record_client_answers(&token, &answers, language, now, now + ANSWERED_KEEP_SECS)
        .await?;
    if !stored {
        // Answered meanwhile in another tab, cancelled, or past the grace: say which.
        let now_found = state.store.client_token(&token, now).await?;
        return Ok(match now_found {
            TokenLookup::Gone(spent) => gone(words, spent),
            TokenLookup::Unknown => refusal(words, &TokenLookup::Unknown),
            _ => gone(words, Spent::Expired),
        });
    }
    let on_device = invitation.administration == Administration::ClientDevice;
    let mut paragraphs = vec![words.thanks_text];
    paragraphs.push(if on_device {
        words.hand_back
    } else {
        words.close_page
    });
    Ok(MessagePage {
        frame: Frame::new(words, words.thanks_title),
        heading: words.thanks_title,
        paragraphs,
        match_words_intro: words.match_words_intro,
        match_words: Some(invitation.match_words),
        continue_label: on_device.then_some(words.therapist_continue),
    }
    .into_response())
}

/// The submitted intake answers a language switch can keep: every known value (a yes/no
/// question's one answer, question 3's known ways), and the questions whose values could not
/// be kept (unknown, or two answers to a yes/no question). Nothing else is checked: an
/// unanswered question is no error until the answers are sent.
fn keep_valid<'a>(
    submitted: &[(&'a str, &'a str)],
) -> (Vec<(&'a str, &'a str)>, Vec<IntakeQuestion>) {
    let mut kept = Vec::new();
    let mut dropped = Vec::new();
    for question in IntakeQuestion::ALL {
        let field = question.field();
        let values: Vec<&str> = submitted
            .iter()
            .filter(|(name, value)| *name == field && !value.is_empty())
            .map(|(_, value)| *value)
            .collect();
        let known = |value: &str| {
            if question == IntakeQuestion::Escape {
                value == ESCAPE_DECLINED
                    || <CopingCode as crate::screening::Coded>::from_code(value).is_some()
            } else {
                ["yes", "no", "declined"].contains(&value)
            }
        };
        let mut lost = false;
        if question == IntakeQuestion::Escape {
            for value in &values {
                if known(value) {
                    kept.push((field, *value));
                } else {
                    lost = true;
                }
            }
        } else if let [value] = values.as_slice() {
            if known(value) {
                kept.push((field, *value));
            } else {
                lost = true;
            }
        } else {
            lost = values.len() > 1;
        }
        if lost {
            dropped.push(question);
        }
    }
    (kept, dropped)
}

/// True when the submitted pairs hold a non-empty value for `field`.
fn answered(submitted: &[(&str, &str)], field: &str) -> bool {
    submitted
        .iter()
        .any(|(name, value)| *name == field && !value.is_empty())
}

fn has(submitted: &[(&str, &str)], field: &str, value: &str) -> bool {
    submitted
        .iter()
        .any(|(name, given)| *name == field && *given == value)
}

/// The client's words for what is wrong with one question.
fn error_message(
    words: &'static Catalogue,
    question: IntakeQuestion,
    submitted: &[(&str, &str)],
) -> &'static str {
    let field = question.field();
    if !answered(submitted, field) {
        return if question == IntakeQuestion::Escape {
            words.error_choose_ways
        } else {
            words.error_choose_one
        };
    }
    let values = submitted.iter().filter(|(name, _)| *name == field).count();
    if question == IntakeQuestion::Escape && has(submitted, field, ESCAPE_DECLINED) && values > 1 {
        return words.error_prefer_not_alone;
    }
    words.error_not_understood
}

/// The questions page, with what was submitted and the errors found in it; it posts back to
/// `/c/{segment}` (the token, or `here` on a handed-over device).
fn questions_page(
    words: &'static Catalogue,
    segment: &str,
    form_token: &IssuedToken,
    submitted: &[(&str, &str)],
    errors: Option<&AnswerErrors>,
) -> QuestionsPage {
    let error_for = |question: IntakeQuestion| {
        errors
            .and_then(|errors| errors.for_field(question.field()))
            .map(|_| error_message(words, question, submitted))
    };
    let questions: Vec<ClientQuestion> = IntakeQuestion::ALL
        .into_iter()
        .map(|question| {
            let field = question.field();
            let option = |value: &'static str, label: &'static str| ClientOption {
                id: format!("{field}-{value}"),
                name: field,
                value,
                label,
                checked: has(submitted, field, value),
            };
            let (input_type, hint, options) = if question == IntakeQuestion::Escape {
                let mut options: Vec<ClientOption> = COPING_ORDER
                    .iter()
                    .map(|&code| option(crate::screening::Coded::code(code), words.coping(code)))
                    .collect();
                options.push(option(ESCAPE_DECLINED, words.prefer_not));
                ("checkbox", Some(words.escape_hint), options)
            } else {
                let options = vec![
                    option("yes", words.yes),
                    option("no", words.no),
                    option("declined", words.prefer_not),
                ];
                ("radio", None, options)
            };
            ClientQuestion {
                field,
                number: question.number(),
                text: words.question(question),
                hint,
                input_type,
                options,
                error: error_for(question),
            }
        })
        .collect();
    let errors = questions
        .iter()
        .filter_map(|question| {
            let message = question.error?;
            let question_id = IntakeQuestion::from_field(question.field)?;
            Some(ClientErrorLink {
                target: question
                    .options
                    .first()
                    .map_or_else(|| question.field.to_owned(), |option| option.id.clone()),
                message: format!("{}: {message}", words.numbered(question_id)),
            })
        })
        .collect();
    QuestionsPage {
        frame: Frame::new(words, words.page_title),
        words,
        action: format!("/c/{segment}"),
        csrf_token: form_token.field().to_owned(),
        languages: languages::ALL
            .iter()
            .map(|each| LanguageLink {
                code: each.code,
                name: each.own_name,
                current: each.code == words.code,
            })
            .collect(),
        questions,
        errors,
        notice: None,
    }
}

/// The 404 page for an address under `/c/` that is no client link at all (a mistyped or
/// cut-off link), in the client's words, with nothing of the clinician's app.
pub async fn fallback(headers: HeaderMap) -> Response {
    let mut response = refusal(language(None, &headers), &TokenLookup::Unknown);
    response.extensions_mut().insert(ClientPage);
    response
}

/// The clinician-facing name of a stored language ("Spanish"), and whether its wording is
/// this app's own translation.
pub fn language_for_clinician(code: LanguageCode) -> (&'static str, bool) {
    languages::find(code.as_str()).map_or(("an unknown language", false), |words| {
        (words.english_name, words.is_translation)
    })
}
