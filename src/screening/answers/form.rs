//! [`Answers::from_form`]: the form's field pairs (PRODUCT §3.4). A form is all text:
//! checkboxes say `on`, `yes` or `true`, and `q3_escape` comes once per box ticked.

use std::collections::BTreeMap;

use super::parse::{RawValue, Source, parse};
use super::{AnswerErrors, Answers};

impl Answers {
    /// Parses form fields (PRODUCT §3.4): the §3.2 names, checkboxes `on`/`yes`/`true`,
    /// `q3_escape` repeated.
    pub fn from_form<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Answers, AnswerErrors> {
        let mut raw: BTreeMap<String, RawValue> = BTreeMap::new();
        for (field, value) in pairs {
            let value = value.to_owned();
            match raw.remove(field) {
                None => raw.insert(field.to_owned(), RawValue::Text(value)),
                Some(RawValue::Text(first)) => {
                    raw.insert(field.to_owned(), RawValue::List(vec![first, value]))
                }
                Some(RawValue::List(mut values)) => {
                    values.push(value);
                    raw.insert(field.to_owned(), RawValue::List(values))
                }
                Some(other) => raw.insert(field.to_owned(), other),
            };
        }
        parse(raw, Source::Form)
    }
}

/// True for the values a form sends for a ticked checkbox (PRODUCT §3.4).
pub fn is_ticked(value: &str) -> bool {
    matches!(value, "on" | "yes" | "true")
}
