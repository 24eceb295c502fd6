//! The screening form: the six intake questions, then the details section, built from the
//! instrument so the form always asks exactly what the rules score.

use askama::Template;
use askama_web::WebTemplate;

use crate::screening::answers::{DOCUMENT, is_ticked};
use crate::screening::guidance;
use crate::screening::questions::{CONTROL_FIELD, ESCAPE_DECLINED, PATTERN_FIELD};
use crate::screening::{
    AnswerErrors, Band, Coded, Control, CopingCode, FieldError, Indicator, IntakeQuestion, Pattern,
    Reply,
};
use crate::web::layout::Layout;
use crate::web::session::SignedIn;

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
    /// A note at the top of the form.
    pub notice: Option<&'static str>,
    /// The article's advice to read before asking, shown beside the questions.
    pub before_you_ask: &'static [&'static str],
}

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
            notice: None,
            before_you_ask: &guidance::BEFORE_YOU_ASK,
            levels: Band::ALL
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
