//! What the parsers report: every problem, one per field, in the order the form shows them.

use std::fmt;

/// The pseudo-field named when the document as a whole is wrong.
pub const DOCUMENT: &str = "document";

/// One problem with one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field name (PRODUCT §3.2), or [`DOCUMENT`].
    pub field: String,
    /// What is wrong and what is accepted, in plain words.
    pub message: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Every problem found in a set of answers, in field order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerErrors(pub Vec<FieldError>);

impl AnswerErrors {
    pub(super) fn one(field: &str, message: impl Into<String>) -> Self {
        AnswerErrors(vec![FieldError {
            field: field.to_owned(),
            message: message.into(),
        }])
    }

    /// The message for a field, if it has one.
    pub fn for_field(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|error| error.field == field)
            .map(|error| error.message.as_str())
    }
}

impl fmt::Display for AnswerErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&lines.join("\n"))
    }
}

impl std::error::Error for AnswerErrors {}
