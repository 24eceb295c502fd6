//! The screening form: the six intake questions, then the details section, built from the
//! instrument so the form always asks exactly what the rules score.

use askama::Template;
use askama_web::WebTemplate;

use crate::screening::answers::{DOCUMENT, IntakeAnswer, is_ticked};
use crate::screening::guidance;
use crate::screening::questions::{CONTROL_FIELD, ESCAPE_DECLINED, PATTERN_FIELD};
use crate::screening::{
    Administration, AnswerErrors, Answers, Band, Coded, Control, CopingCode, EscapeAnswer,
    FieldError, Indicator, IntakeQuestion, Pattern, Reply,
};
use crate::store::Invitation;
use crate::web::plumbing::layout::Layout;
use crate::web::plumbing::session::SignedIn;

/// The field pairs of a submitted form, kept to show every answer again.
#[derive(Debug, Default)]
pub struct Submitted(Vec<(String, String)>);

impl Submitted {
    /// The fields of a verified form.
    pub fn new(pairs: Vec<(String, String)>) -> Submitted {
        Submitted(pairs)
    }

    /// The pairs, for parsing into answers.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0
            .iter()
            .map(|(field, value)| (field.as_str(), value.as_str()))
    }

    fn has(&self, field: &str, value: &str) -> bool {
        self.0.iter().any(|(f, v)| f == field && v == value)
    }

    /// The first value of a field.
    pub fn value(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, value)| value.as_str())
    }

    fn has_field(&self, field: &str) -> bool {
        self.0.iter().any(|(f, _)| f == field)
    }

    fn is_checked(&self, field: &str) -> bool {
        self.0.iter().any(|(f, v)| f == field && is_ticked(v))
    }
}

/// One radio button or checkbox.
pub struct OptionView {
    pub id: String,
    pub name: &'static str,
    pub value: &'static str,
    pub label: &'static str,
    pub hint: Option<&'static str>,
    pub checked: bool,
}

/// Options shown together, with an optional sub-heading.
pub struct OptionGroup {
    pub title: Option<&'static str>,
    pub options: Vec<OptionView>,
}

/// One question of the form: a fieldset with a legend.
pub struct QuestionView {
    /// The fieldset's id; the error summary links to its first control.
    pub field: &'static str,
    pub number: Option<u8>,
    pub legend: &'static str,
    pub hint: Option<&'static str>,
    /// `radio` or `checkbox`.
    pub input_type: &'static str,
    pub groups: Vec<OptionGroup>,
    pub error: Option<String>,
    /// What the client answered themselves, in words (PRODUCT §6), when they did.
    pub client_answer: Option<String>,
}

impl QuestionView {
    /// The id of the first control, for the error summary's link.
    pub fn first_input_id(&self) -> &str {
        self.groups
            .first()
            .and_then(|group| group.options.first())
            .map_or(self.field, |option| option.id.as_str())
    }
}

/// A link in the error summary.
pub struct ErrorLink {
    pub target: String,
    pub message: String,
}

/// The form page, empty or with a failed submission's answers and errors.
#[derive(Template, WebTemplate)]
#[template(path = "screening_form.html")]
pub struct FormPage {
    pub layout: Layout,
    pub csrf_token: String,
    pub intake: Vec<QuestionView>,
    pub details: Vec<QuestionView>,
    pub errors: Vec<ErrorLink>,
    pub levels: Vec<(&'static str, &'static str)>,
    /// The review code of the screening this one follows, as typed.
    pub prior_code: String,
    pub prior_error: Option<String>,
    /// "Re-screen of K7QF-29MX" at the top, whenever a review code is set as the earlier
    /// screening (typed, from `?prior_code=`, or carried by the client's invitation).
    pub rescreen_of: Option<String>,
    /// A note at the top of the form.
    pub notice: Option<&'static str>,
    /// The invitation whose answers the client gave themselves, when they did.
    pub invitation: Option<ClientAnswers>,
    /// The draft this form was resumed from, sent back with it (deleted when it is saved).
    pub draft: Option<String>,
    /// The article's advice to read before asking, shown beside the questions.
    pub before_you_ask: &'static [&'static str],
}

/// Where each request's username goes in the pre-rendered blank form (see [`blank_form`]).
/// Usernames are lowercase, so this can be no one's.
const USERNAME_SLOT: &str = "@@USERNAME@@";
/// Where each request's CSRF token goes in the pre-rendered blank form.
const TOKEN_SLOT: &str = "@@CSRF-TOKEN@@";

/// A piece of the pre-rendered blank form.
enum Piece {
    Text(String),
    Username,
    Token,
}

/// The blank form for this clinician: the page every screening starts from, rendered once per
/// kind of account (with or without the administrator's links) with slots where each
/// request's username and CSRF token go, then served by filling them in. The same bytes as
/// `FormPage::new(signed_in, &Submitted::default(), None)` renders, at a fraction of the cost.
pub fn blank_form(signed_in: &SignedIn) -> Result<axum::response::Html<String>, askama::Error> {
    static BLANKS: [std::sync::OnceLock<Vec<Piece>>; 2] =
        [std::sync::OnceLock::new(), std::sync::OnceLock::new()];
    let slot = &BLANKS[usize::from(signed_in.is_admin)];
    let pieces = match slot.get() {
        Some(pieces) => pieces,
        None => {
            let mut page = FormPage::new(signed_in, &Submitted::default(), None);
            page.csrf_token = TOKEN_SLOT.to_owned();
            if let Some(account) = &mut page.layout.account {
                account.username = USERNAME_SLOT.to_owned();
                account.csrf_token = TOKEN_SLOT.to_owned();
            }
            slot.get_or_init(|| pieces_of(&page.render().unwrap_or_default()));
            match slot.get() {
                Some(pieces) if !pieces.is_empty() => pieces,
                _ => return Err(askama::Error::Fmt),
            }
        }
    };
    let username = escape_html(signed_in.username.as_str());
    let token = escape_html(&signed_in.csrf_token);
    let mut html = String::with_capacity(
        pieces
            .iter()
            .map(|piece| match piece {
                Piece::Text(text) => text.len(),
                Piece::Username => username.len(),
                Piece::Token => token.len(),
            })
            .sum(),
    );
    for piece in pieces {
        html.push_str(match piece {
            Piece::Text(text) => text,
            Piece::Username => &username,
            Piece::Token => &token,
        });
    }
    Ok(axum::response::Html(html))
}

/// Splits rendered HTML at the slots.
fn pieces_of(mut html: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    loop {
        let next = [(USERNAME_SLOT, Piece::Username), (TOKEN_SLOT, Piece::Token)]
            .into_iter()
            .filter_map(|(slot, piece)| html.find(slot).map(|at| (at, slot, piece)))
            .min_by_key(|(at, _, _)| *at);
        match next {
            Some((at, slot, piece)) => {
                pieces.push(Piece::Text(html[..at].to_owned()));
                pieces.push(piece);
                html = &html[at + slot.len()..];
            }
            None => {
                if !html.is_empty() {
                    pieces.push(Piece::Text(html.to_owned()));
                }
                return pieces;
            }
        }
    }
}

/// Escapes text for HTML exactly as the templates do.
fn escape_html(text: &str) -> String {
    askama::filters::escape(text, askama::filters::Html)
        .map(|escaped| escaped.to_string())
        .unwrap_or_default()
}

/// The client's own answers to the intake questions, which the form starts from.
pub struct ClientAnswers {
    /// The invitation's id, sent back with the form.
    pub id: String,
    /// How and in what language the client answered, and the match words.
    pub note: String,
}

/// The form field naming the invitation whose answers the client gave.
pub const INVITATION_FIELD: &str = "invitation";

/// The form field naming the screening a re-screening follows.
pub const PRIOR_FIELD: &str = "prior_code";

fn option<T: Coded>(
    name: &'static str,
    value: T,
    hint: Option<&'static str>,
    checked: bool,
) -> OptionView {
    OptionView {
        id: format!("{name}-{}", value.code()),
        name,
        value: value.code(),
        label: value.label(),
        hint,
        checked,
    }
}

impl FormPage {
    /// The form, showing what was submitted and the errors found in it.
    pub fn new(
        signed_in: &SignedIn,
        submitted: &Submitted,
        errors: Option<&AnswerErrors>,
    ) -> FormPage {
        let error_for = |field: &str| {
            errors
                .and_then(|errors| errors.for_field(field))
                .map(|message| shown_message(field, message, submitted))
        };
        let intake = IntakeQuestion::ALL
            .into_iter()
            .map(|question| {
                let field = question.field();
                let groups = if question == IntakeQuestion::Escape {
                    escape_groups(submitted)
                } else {
                    vec![OptionGroup {
                        title: None,
                        options: Reply::ALL
                            .iter()
                            .map(|&reply| {
                                option(field, reply, None, submitted.has(field, reply.code()))
                            })
                            .collect(),
                    }]
                };
                QuestionView {
                    field,
                    number: Some(question.number()),
                    legend: question.text(),
                    hint: (question == IntakeQuestion::Escape)
                        .then_some("Choose every way the client names."),
                    input_type: if question == IntakeQuestion::Escape {
                        "checkbox"
                    } else {
                        "radio"
                    },
                    groups,
                    error: error_for(field),
                    client_answer: None,
                }
            })
            .collect();

        let pattern_assessed = submitted
            .pairs()
            .any(|(field, value)| field == PATTERN_FIELD && !value.is_empty());
        let mut pattern_options = vec![OptionView {
            id: format!("{PATTERN_FIELD}-not_assessed"),
            name: PATTERN_FIELD,
            value: "",
            label: "Not assessed",
            hint: Some(
                "Leave here when the details were not explored; the result is then provisional.",
            ),
            checked: !pattern_assessed,
        }];
        pattern_options.extend(Pattern::ALL.iter().map(|&pattern| {
            option(
                PATTERN_FIELD,
                pattern,
                Some(pattern.description()),
                submitted.has(PATTERN_FIELD, pattern.code()),
            )
        }));
        let control_given = submitted.has_field(CONTROL_FIELD)
            && !submitted.has(CONTROL_FIELD, Control::NotAssessed.code());
        let control_options = Control::ALL
            .iter()
            .map(|&control| {
                let checked = if control == Control::NotAssessed {
                    !control_given
                } else {
                    submitted.has(CONTROL_FIELD, control.code())
                };
                option(CONTROL_FIELD, control, Some(control.description()), checked)
            })
            .collect();
        let indicator_options = Indicator::ALL
            .iter()
            .map(|&indicator| OptionView {
                id: indicator.code().to_owned(),
                name: indicator.code(),
                value: "on",
                label: indicator.label(),
                hint: Some(indicator.description()),
                checked: submitted.is_checked(indicator.code()),
            })
            .collect();
        let indicator_errors: Vec<String> = Indicator::ALL
            .iter()
            .filter_map(|indicator| {
                error_for(indicator.code())
                    .map(|message| format!("{}: {message}", indicator.label()))
            })
            .collect();
        let details = vec![
            QuestionView {
                field: PATTERN_FIELD,
                number: None,
                legend: "Pattern of online sexual activity",
                hint: None,
                input_type: "radio",
                groups: vec![OptionGroup {
                    title: None,
                    options: pattern_options,
                }],
                error: error_for(PATTERN_FIELD),
                client_answer: None,
            },
            QuestionView {
                field: CONTROL_FIELD,
                number: None,
                legend: "Control: can the client limit or stop on their own?",
                hint: None,
                input_type: "radio",
                groups: vec![OptionGroup {
                    title: None,
                    options: control_options,
                }],
                error: error_for(CONTROL_FIELD),
                client_answer: None,
            },
            QuestionView {
                field: "indicators",
                number: None,
                legend: "Observed: the client…",
                hint: Some("Tick what you observed; leave the rest."),
                input_type: "checkbox",
                groups: vec![OptionGroup {
                    title: None,
                    options: indicator_options,
                }],
                error: (!indicator_errors.is_empty()).then(|| indicator_errors.join(" ")),
                client_answer: None,
            },
        ];

        let mut page = FormPage {
            layout: Layout::signed_in(
                if errors.is_some() {
                    "Please correct the screening"
                } else {
                    "New screening"
                },
                signed_in,
            ),
            csrf_token: signed_in.csrf_token.clone(),
            intake,
            details,
            errors: Vec::new(),
            prior_code: submitted.value(PRIOR_FIELD).unwrap_or_default().to_owned(),
            prior_error: error_for(PRIOR_FIELD),
            rescreen_of: submitted
                .value(PRIOR_FIELD)
                .and_then(|typed| typed.trim().parse::<crate::screening::ReviewCode>().ok())
                .map(|code| code.to_string()),
            notice: None,
            invitation: None,
            draft: submitted
                .value(crate::web::drafts::DRAFT_FIELD)
                .filter(|id| crate::store::DraftId::parse(id).is_some())
                .map(str::to_owned),
            before_you_ask: &guidance::BEFORE_YOU_ASK,
            levels: Band::LEVELS
                .iter()
                .map(|&band| (band.label(), guidance::band_description(band)))
                .collect(),
        };
        if let Some(errors) = errors {
            page.errors = errors
                .0
                .iter()
                .map(|error| page.error_link(error, submitted))
                .collect();
        }
        page
    }

    /// Marks the intake questions with the client's own answers to `invitation`.
    pub fn mark_client_answers(&mut self, invitation: &Invitation, language: Option<&str>) {
        let Some(answers) = &invitation.answers else {
            return;
        };
        for question in &mut self.intake {
            if let Some(asked) = IntakeQuestion::from_field(question.field) {
                question.client_answer = Some(answer_words(answers, asked));
            }
        }
        let how = match invitation.administration {
            Administration::ClientDevice => "on this device",
            _ => "on their own phone",
        };
        let language = language.map_or_else(String::new, |name| format!(", in {name}"));
        self.invitation = Some(ClientAnswers {
            id: invitation.id.to_string(),
            note: format!(
                "Questions 1 to 6 hold the client's own answers, given {how}{language} (match words: {}). \
                 Go through them with the client; you can correct an answer, and the result will then say \
                 it was corrected. Then add the details and save.",
                invitation.match_words
            ),
        });
    }

    fn error_link(&self, error: &FieldError, submitted: &Submitted) -> ErrorLink {
        if error.field == PRIOR_FIELD {
            return ErrorLink {
                target: PRIOR_FIELD.to_owned(),
                message: format!("Earlier screening: {}", error.message),
            };
        }
        let target = self
            .intake
            .iter()
            .chain(&self.details)
            .find(|question| {
                question.field == error.field
                    || question.groups.iter().any(|group| {
                        group
                            .options
                            .iter()
                            .any(|option| option.name == error.field)
                    })
            })
            .map_or_else(
                || "screening-form".to_owned(),
                |question| question.first_input_id().to_owned(),
            );
        let label = if error.field == DOCUMENT {
            "The form".to_owned()
        } else if let Some(question) = IntakeQuestion::from_field(&error.field) {
            format!("Question {}", question.number())
        } else {
            match error.field.as_str() {
                PATTERN_FIELD => "Pattern".to_owned(),
                CONTROL_FIELD => "Control".to_owned(),
                other => Indicator::from_code(other).map_or_else(
                    || format!("Field \"{other}\""),
                    |indicator| indicator.label().to_owned(),
                ),
            }
        };
        ErrorLink {
            target,
            message: format!(
                "{label}: {}",
                shown_message(&error.field, &error.message, submitted)
            ),
        }
    }
}

/// One intake answer in the clinician's words.
pub fn answer_words(answers: &Answers, question: IntakeQuestion) -> String {
    match answers.intake(question) {
        IntakeAnswer::Reply(reply) => reply.label().to_owned(),
        IntakeAnswer::Escape(EscapeAnswer::Declined) => "Declined to answer".to_owned(),
        IntakeAnswer::Escape(EscapeAnswer::Ways(ways)) => ways
            .iter()
            .map(|way| way.label())
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// The words the form shows for an error. An unanswered intake question gets the form's own
/// words; the parser's name the codes, which suit the JSON interface but not a person.
fn shown_message(field: &str, message: &str, submitted: &Submitted) -> String {
    let answered = submitted
        .pairs()
        .any(|(name, value)| name == field && !value.is_empty());
    match IntakeQuestion::from_field(field) {
        Some(IntakeQuestion::Escape) if !answered => {
            "not answered; tick each way the client names, or \"Declined to answer\" alone"
                .to_owned()
        }
        Some(_) if !answered => "not answered; choose Yes, No or Declined to answer".to_owned(),
        _ => message.to_owned(),
    }
}

fn escape_groups(submitted: &Submitted) -> Vec<OptionGroup> {
    let field = IntakeQuestion::Escape.field();
    let coping = |codes: &mut dyn Iterator<Item = CopingCode>| -> Vec<OptionView> {
        codes
            .map(|code| option(field, code, None, submitted.has(field, code.code())))
            .collect()
    };
    vec![
        OptionGroup {
            title: Some("Sexual or romantic"),
            options: coping(&mut CopingCode::sexual_or_romantic()),
        },
        OptionGroup {
            title: Some("Other"),
            options: coping(&mut CopingCode::other_ways()),
        },
        OptionGroup {
            title: Some("Or"),
            options: vec![OptionView {
                id: format!("{field}-{ESCAPE_DECLINED}"),
                name: field,
                value: ESCAPE_DECLINED,
                label: "Declined to answer",
                hint: Some("Alone: not together with other ways."),
                checked: submitted.has(field, ESCAPE_DECLINED),
            }],
        },
    ]
}

#[cfg(test)]
mod tests {
    use askama::Template;

    use super::*;
    use crate::accounts::Username;
    use crate::store::ClinicianId;

    fn clinician(name: &str, is_admin: bool, token: &str) -> SignedIn {
        SignedIn {
            id: ClinicianId(1),
            username: Username::parse(name).unwrap(),
            is_admin,
            csrf_token: token.to_owned(),
        }
    }

    /// The pre-rendered blank form is byte for byte the form rendered afresh, for each kind of
    /// account and each clinician and token.
    #[test]
    fn the_blank_form_is_the_form_rendered_afresh() {
        for (name, admin, token) in [
            ("alice", false, "tokenA1"),
            ("bob", false, "tokenB2"),
            ("carol.admin", true, "tokenC3"),
            ("dave", true, "tokenD4"),
        ] {
            let signed_in = clinician(name, admin, token);
            let fresh = FormPage::new(&signed_in, &Submitted::default(), None)
                .render()
                .unwrap();
            let blank = blank_form(&signed_in).unwrap().0;
            assert_eq!(blank, fresh, "{name}");
            assert!(blank.contains(token) && blank.contains(name));
            assert!(!blank.contains("@@"), "no slot left unfilled");
        }
    }
}
