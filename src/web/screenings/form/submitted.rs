//! What a submitted form held, kept to show every answer again.

use crate::screening::answers::is_ticked;

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

    pub(super) fn has(&self, field: &str, value: &str) -> bool {
        self.0.iter().any(|(f, v)| f == field && v == value)
    }

    /// The first value of a field.
    pub fn value(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, value)| value.as_str())
    }

    pub(super) fn has_field(&self, field: &str) -> bool {
        self.0.iter().any(|(f, _)| f == field)
    }

    pub(super) fn is_checked(&self, field: &str) -> bool {
        self.0.iter().any(|(f, v)| f == field && is_ticked(v))
    }
}
