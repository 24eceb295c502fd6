//! The view of each question: its options, grouped, checked as submitted; the error summary's
//! links; an intake answer in the clinician's words.

use super::Submitted;
use crate::screening::answers::IntakeAnswer;
use crate::screening::questions::ESCAPE_DECLINED;
use crate::screening::{Answers, Coded, CopingCode, EscapeAnswer, IntakeQuestion};

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

pub(super) fn option<T: Coded>(
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

pub(super) fn escape_groups(submitted: &Submitted) -> Vec<OptionGroup> {
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
