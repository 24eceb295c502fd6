//! A client's answers (PRODUCT §3.2): the type, and where it comes from. Every value in
//! [`Answers`] is valid by its type (a [`Reply`], an [`EscapeAnswer`] that is never empty nor
//! mixes `declined`, …): it is built by one of the two parsers, [`Answers::from_json`] (the
//! JSON answers document, `json.rs`) and [`Answers::from_form`] (the form's field pairs,
//! `form.rs`), which share the field-by-field rules of `parse.rs`; or by the store from stored
//! codes decoded into the same types. What a parser reports is in `errors.rs`.

mod errors;
mod form;
mod json;
mod parse;

use std::collections::BTreeSet;

use super::questions::{
    CONTROL_FIELD, Coded, Control, CopingCode, ESCAPE_DECLINED, Indicator, IntakeQuestion,
    PATTERN_FIELD, Pattern, Reply,
};

pub use errors::{AnswerErrors, DOCUMENT, FieldError};
pub use form::is_ticked;
pub use parse::is_answer_field;

/// The answer to question 3: the ways of escaping chosen, or declined.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EscapeAnswer {
    /// The client declined to answer.
    Declined,
    /// One or more ways of escaping (never empty).
    Ways(BTreeSet<CopingCode>),
}

impl EscapeAnswer {
    /// True when any chosen way is sexual or romantic.
    pub fn is_sexual_or_romantic(&self) -> bool {
        match self {
            EscapeAnswer::Declined => false,
            EscapeAnswer::Ways(ways) => ways.iter().any(|way| way.is_sexual_or_romantic()),
        }
    }

    /// The codes as they appear in JSON and the form.
    pub fn codes(&self) -> Vec<&'static str> {
        match self {
            EscapeAnswer::Declined => vec![ESCAPE_DECLINED],
            EscapeAnswer::Ways(ways) => ways.iter().map(|way| way.code()).collect(),
        }
    }
}

/// What the therapist recorded about one intake question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntakeAnswer<'a> {
    /// A yes/no/declined question.
    Reply(Reply),
    /// Question 3.
    Escape(&'a EscapeAnswer),
}

/// A complete, valid set of answers: the six intake questions and the details.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Answers {
    pub concern_expressed: Reply,
    pub self_concern: Reply,
    pub escape: EscapeAnswer,
    pub secrets: Reply,
    pub others_disturbed: Reply,
    pub shame: Reply,
    /// `None` when the pattern was not assessed.
    pub pattern: Option<Pattern>,
    pub control: Control,
    /// The indicators observed.
    pub observed: BTreeSet<Indicator>,
}

impl Answers {
    /// The answer to one intake question.
    pub fn intake(&self, question: IntakeQuestion) -> IntakeAnswer<'_> {
        match question {
            IntakeQuestion::ConcernExpressed => IntakeAnswer::Reply(self.concern_expressed),
            IntakeQuestion::SelfConcern => IntakeAnswer::Reply(self.self_concern),
            IntakeQuestion::Escape => IntakeAnswer::Escape(&self.escape),
            IntakeQuestion::Secrets => IntakeAnswer::Reply(self.secrets),
            IntakeQuestion::OthersDisturbed => IntakeAnswer::Reply(self.others_disturbed),
            IntakeQuestion::Shame => IntakeAnswer::Reply(self.shame),
        }
    }

    /// True when the answer to this question raises a red flag (PRODUCT §2.1).
    pub fn raises_red_flag(&self, question: IntakeQuestion) -> bool {
        match self.intake(question) {
            IntakeAnswer::Reply(reply) => reply == Reply::Yes,
            IntakeAnswer::Escape(escape) => escape.is_sexual_or_romantic(),
        }
    }

    /// True when the client declined this question.
    pub fn is_declined(&self, question: IntakeQuestion) -> bool {
        match self.intake(question) {
            IntakeAnswer::Reply(reply) => reply == Reply::Declined,
            IntakeAnswer::Escape(escape) => *escape == EscapeAnswer::Declined,
        }
    }

    /// The questions whose answer raises a red flag, in question order (PRODUCT §2.3).
    pub fn red_flags(&self) -> Vec<IntakeQuestion> {
        IntakeQuestion::ALL
            .into_iter()
            .filter(|&question| self.raises_red_flag(question))
            .collect()
    }

    /// The questions the client declined, in question order (PRODUCT §2.3).
    pub fn declined(&self) -> Vec<IntakeQuestion> {
        IntakeQuestion::ALL
            .into_iter()
            .filter(|&question| self.is_declined(question))
            .collect()
    }

    /// True when this indicator was observed.
    pub fn observed(&self, indicator: Indicator) -> bool {
        self.observed.contains(&indicator)
    }

    /// The answers as the JSON answers document (PRODUCT §3.2), every field present.
    pub fn to_document(&self) -> serde_json::Value {
        let mut document = serde_json::Map::new();
        for question in IntakeQuestion::ALL {
            let value = match self.intake(question) {
                IntakeAnswer::Reply(reply) => reply.code().into(),
                IntakeAnswer::Escape(escape) => escape.codes().into(),
            };
            document.insert(question.field().into(), value);
        }
        document.insert(
            PATTERN_FIELD.into(),
            self.pattern.map(|pattern| pattern.code()).into(),
        );
        document.insert(CONTROL_FIELD.into(), self.control.code().into());
        for &indicator in Indicator::ALL {
            document.insert(indicator.code().into(), self.observed(indicator).into());
        }
        serde_json::Value::Object(document)
    }
}
