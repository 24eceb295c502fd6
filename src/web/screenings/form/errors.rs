//! The words of the form's errors: each beside its question, and the summary's links to them.

use super::Submitted;
use super::views::ErrorLink;
use super::{FormPage, PRIOR_FIELD};
use crate::screening::answers::DOCUMENT;
use crate::screening::questions::{CONTROL_FIELD, PATTERN_FIELD};
use crate::screening::{Coded, FieldError, Indicator, IntakeQuestion};

impl FormPage {
    /// The error summary's link to `error`, with its label and words.
    pub(super) fn error_link(&self, error: &FieldError, submitted: &Submitted) -> ErrorLink {
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
pub(super) fn shown_message(field: &str, message: &str, submitted: &Submitted) -> String {
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
