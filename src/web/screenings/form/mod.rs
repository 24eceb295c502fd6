//! The screening form: the six intake questions, then the details section, built from the
//! instrument so the form always asks exactly what the rules score. The page is here; what
//! was submitted in `submitted.rs`, the view of each question in `views.rs`, the words of its
//! errors in `errors.rs`, the pre-rendered blank form in `blank.rs`.

mod blank;
mod errors;
mod submitted;
mod views;

pub use self::blank::blank_form;
use self::errors::shown_message;
pub use self::submitted::Submitted;
pub use self::views::answer_words;
use self::views::{ErrorLink, OptionGroup, OptionView, QuestionView, escape_groups, option};

use askama::Template;
use askama_web::WebTemplate;

use crate::screening::guidance;
use crate::screening::questions::{CONTROL_FIELD, PATTERN_FIELD};
use crate::screening::{
    Administration, AnswerErrors, Band, Coded, Control, Indicator, IntakeQuestion, Pattern, Reply,
};
use crate::store::Invitation;
use crate::web::plumbing::identity::SignedIn;
use crate::web::plumbing::layout::Layout;

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
}
