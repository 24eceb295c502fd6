//! Reading stored rows back: one small interface over both engines' rows, and the decoding of
//! stored codes into the instrument's types directly (never through the form parser).

use std::collections::BTreeSet;

use sqlx::Row;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;

use super::StoreError;
use crate::screening::answers::EscapeAnswer;
use crate::screening::questions::{CONTROL_FIELD, ESCAPE_DECLINED, PATTERN_FIELD};
use crate::screening::{
    Answers, Coded, Control, CopingCode, Indicator, IntakeQuestion, LanguageCode, Reply,
};

/// The columns of the six intake answers, in question order: named after the instrument's
/// fields (PRODUCT §3.2) in every table that holds them.
pub(super) fn intake_columns() -> impl Iterator<Item = &'static str> + Clone {
    IntakeQuestion::ALL.into_iter().map(IntakeQuestion::field)
}

/// The columns of all coded answers: the intake answers, the pattern, the control and the
/// observed indicators (a screening and a draft hold them all).
pub(super) fn answer_columns() -> impl Iterator<Item = &'static str> + Clone {
    intake_columns()
        .chain([PATTERN_FIELD, CONTROL_FIELD])
        .chain(Indicator::ALL.iter().map(|indicator| indicator.code()))
}

/// A row of either engine, read by column name.
pub(super) trait StoredRow {
    fn text(&self, column: &str) -> Result<String, StoreError>;
    fn maybe_text(&self, column: &str) -> Result<Option<String>, StoreError>;
    /// A 64-bit integer column (ids, counts, unix seconds).
    fn int(&self, column: &str) -> Result<i64, StoreError>;
    /// A year.
    fn year(&self, column: &str) -> Result<i32, StoreError>;
    /// A boolean (SQLite: 0/1).
    fn flag(&self, column: &str) -> Result<bool, StoreError>;
}

macro_rules! stored_row {
    ($row:ty) => {
        impl StoredRow for $row {
            fn text(&self, column: &str) -> Result<String, StoreError> {
                Ok(self.try_get(column)?)
            }
            fn maybe_text(&self, column: &str) -> Result<Option<String>, StoreError> {
                Ok(self.try_get(column)?)
            }
            fn int(&self, column: &str) -> Result<i64, StoreError> {
                Ok(self.try_get(column)?)
            }
            fn year(&self, column: &str) -> Result<i32, StoreError> {
                Ok(self.try_get(column)?)
            }
            fn flag(&self, column: &str) -> Result<bool, StoreError> {
                Ok(self.try_get(column)?)
            }
        }
    };
}

stored_row!(SqliteRow);
stored_row!(PgRow);

fn corrupt(what: String) -> StoreError {
    StoreError::Corrupt(what)
}

/// A coded value, or [`StoreError::Corrupt`] naming the column.
pub(super) fn coded<T: Coded>(column: &str, code: &str) -> Result<T, StoreError> {
    T::from_code(code).ok_or_else(|| corrupt(format!("{column} {code:?}")))
}

/// The stored form of question 3: its codes joined by single spaces, or `declined`.
pub(super) fn escape_from_codes(column: &str, codes: &str) -> Result<EscapeAnswer, StoreError> {
    if codes == ESCAPE_DECLINED {
        return Ok(EscapeAnswer::Declined);
    }
    let ways = codes
        .split(' ')
        .map(|code| coded::<CopingCode>(column, code))
        .collect::<Result<BTreeSet<_>, _>>()?;
    if ways.is_empty() {
        return Err(corrupt(format!("{column} is empty")));
    }
    Ok(EscapeAnswer::Ways(ways))
}

/// The six intake answers of a row (`None` in any of them: not answered yet).
pub(super) fn intake_answers(row: &impl StoredRow) -> Result<Option<[IntakeValue; 6]>, StoreError> {
    intake_answers_in(row, "")
}

/// The six intake answers of a row in the columns named `{prefix}{field}` (a screening's
/// `client_…` columns hold the client's own answers).
pub(super) fn intake_answers_in(
    row: &impl StoredRow,
    prefix: &str,
) -> Result<Option<[IntakeValue; 6]>, StoreError> {
    let mut values = Vec::with_capacity(6);
    for question in IntakeQuestion::ALL {
        let named = format!("{prefix}{}", question.field());
        let column = named.as_str();
        let Some(code) = row.maybe_text(column)? else {
            return Ok(None);
        };
        values.push(if question == IntakeQuestion::Escape {
            IntakeValue::Escape(escape_from_codes(column, &code)?)
        } else {
            IntakeValue::Reply(coded::<Reply>(column, &code)?)
        });
    }
    Ok(values.try_into().ok())
}

/// The stored language the client answered in (`client_language`), if any. A value that is
/// not a language code is [`StoreError::Corrupt`] on every path: a language is never guessed,
/// nor silently dropped. The message does not repeat the value.
pub(super) fn client_language(row: &impl StoredRow) -> Result<Option<LanguageCode>, StoreError> {
    row.maybe_text("client_language")?
        .map(|code| {
            LanguageCode::parse(&code)
                .ok_or_else(|| corrupt("client_language is not a language code".to_owned()))
        })
        .transpose()
}

/// One stored intake answer.
#[derive(Debug, Clone)]
pub(super) enum IntakeValue {
    Reply(Reply),
    Escape(EscapeAnswer),
}

/// Answers from the six intake answers and the details of a row (the details left at their
/// defaults when `with_details` is false: an invitation holds none).
pub(super) fn answers(
    row: &impl StoredRow,
    intake: [IntakeValue; 6],
    with_details: bool,
) -> Result<Answers, StoreError> {
    let [q1, q2, q3, q4, q5, q6] = intake;
    let reply = |value: IntakeValue| match value {
        IntakeValue::Reply(reply) => Ok(reply),
        IntakeValue::Escape(_) => Err(corrupt("a yes/no question holds coping codes".into())),
    };
    let escape = match q3 {
        IntakeValue::Escape(escape) => escape,
        IntakeValue::Reply(_) => return Err(corrupt("question 3 holds a reply".into())),
    };
    let (pattern, control, observed) = if with_details {
        let pattern = row
            .maybe_text(PATTERN_FIELD)?
            .map(|code| coded(PATTERN_FIELD, &code))
            .transpose()?;
        let control: Control = coded(CONTROL_FIELD, &row.text(CONTROL_FIELD)?)?;
        let mut observed = BTreeSet::new();
        for &indicator in Indicator::ALL {
            if row.flag(indicator.code())? {
                observed.insert(indicator);
            }
        }
        (pattern, control, observed)
    } else {
        (None, Control::default(), BTreeSet::new())
    };
    Ok(Answers {
        concern_expressed: reply(q1)?,
        self_concern: reply(q2)?,
        escape,
        secrets: reply(q4)?,
        others_disturbed: reply(q5)?,
        shame: reply(q6)?,
        pattern,
        control,
        observed,
    })
}

/// The stored form of an intake answer: its code, or question 3's codes joined by spaces.
pub(super) fn intake_code(answers: &Answers, question: IntakeQuestion) -> String {
    match answers.intake(question) {
        crate::screening::answers::IntakeAnswer::Reply(reply) => reply.code().to_owned(),
        crate::screening::answers::IntakeAnswer::Escape(escape) => escape.codes().join(" "),
    }
}
