//! The field-by-field rules both parsers share: a field's raw value, whichever way it
//! arrived, becomes a typed answer or a message saying what is accepted.

use std::collections::{BTreeMap, BTreeSet};

use super::form::is_ticked;
use super::{AnswerErrors, Answers, EscapeAnswer, FieldError};
use crate::screening::questions::{
    CONTROL_FIELD, Coded, Control, CopingCode, ESCAPE_DECLINED, Indicator, IntakeQuestion,
    PATTERN_FIELD, Pattern, Reply,
};

/// Where answers come from: JSON is typed, a form is all text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Source {
    Json,
    Form,
}

/// A field's value before it is understood, whichever way it arrived.
#[derive(Debug, Clone)]
pub(super) enum RawValue {
    Null,
    Text(String),
    List(Vec<String>),
    Flag(bool),
    /// A JSON value of a kind no field takes, with its kind's name.
    Unusable(&'static str),
    /// A JSON field given more than once.
    Repeated,
}

impl RawValue {
    fn kind(&self) -> &'static str {
        match self {
            RawValue::Null => "empty",
            RawValue::Text(_) => "text",
            RawValue::List(_) => "a list",
            RawValue::Flag(_) => "true/false",
            RawValue::Unusable(kind) => kind,
            RawValue::Repeated => "given more than once",
        }
    }
}

/// True for the field names of the answers document (PRODUCT §3.2).
pub fn is_answer_field(field: &str) -> bool {
    IntakeQuestion::from_field(field).is_some()
        || field == PATTERN_FIELD
        || field == CONTROL_FIELD
        || Indicator::from_code(field).is_some()
}

/// Collects the problems found while parsing field by field.
#[derive(Default)]
struct Problems(Vec<FieldError>);

impl Problems {
    fn take<T>(&mut self, field: &str, outcome: Result<T, String>) -> Option<T> {
        match outcome {
            Ok(value) => Some(value),
            Err(message) => {
                self.0.push(FieldError {
                    field: field.to_owned(),
                    message,
                });
                None
            }
        }
    }
}

pub(super) fn parse(
    mut raw: BTreeMap<String, RawValue>,
    source: Source,
) -> Result<Answers, AnswerErrors> {
    let mut problems = Problems::default();
    let mut reply = |question: IntakeQuestion, problems: &mut Problems| {
        let field = question.field();
        problems.take(field, parse_reply(raw.remove(field)))
    };
    let concern_expressed = reply(IntakeQuestion::ConcernExpressed, &mut problems);
    let self_concern = reply(IntakeQuestion::SelfConcern, &mut problems);
    let secrets = reply(IntakeQuestion::Secrets, &mut problems);
    let others_disturbed = reply(IntakeQuestion::OthersDisturbed, &mut problems);
    let shame = reply(IntakeQuestion::Shame, &mut problems);
    let escape_field = IntakeQuestion::Escape.field();
    let escape = problems.take(escape_field, parse_escape(raw.remove(escape_field), source));
    let pattern = problems.take(PATTERN_FIELD, parse_pattern(raw.remove(PATTERN_FIELD)));
    let control = problems.take(
        CONTROL_FIELD,
        parse_control(raw.remove(CONTROL_FIELD), source),
    );
    let mut observed = BTreeSet::new();
    for &indicator in Indicator::ALL {
        let field = indicator.code();
        if let Some(true) = problems.take(field, parse_indicator(raw.remove(field), source)) {
            observed.insert(indicator);
        }
    }
    for field in raw.into_keys() {
        let message = if is_answer_field(&field) {
            "is given more than once"
        } else {
            "is not a field of the answers document"
        };
        problems.take::<()>(&field, Err(message.to_owned()));
    }

    let mut errors = problems.0;
    match (
        concern_expressed,
        self_concern,
        escape,
        secrets,
        others_disturbed,
        shame,
        pattern,
        control,
    ) {
        (
            Some(concern_expressed),
            Some(self_concern),
            Some(escape),
            Some(secrets),
            Some(others_disturbed),
            Some(shame),
            Some(pattern),
            Some(control),
        ) if errors.is_empty() => Ok(Answers {
            concern_expressed,
            self_concern,
            escape,
            secrets,
            others_disturbed,
            shame,
            pattern,
            control,
            observed,
        }),
        _ => {
            errors.sort_by_key(|error| field_order(&error.field));
            Err(AnswerErrors(errors))
        }
    }
}

/// Sorts errors in the order the form shows the fields; unknown fields last.
fn field_order(field: &str) -> usize {
    let details = [PATTERN_FIELD, CONTROL_FIELD]
        .into_iter()
        .chain(Indicator::ALL.iter().map(|indicator| indicator.code()));
    IntakeQuestion::ALL
        .iter()
        .map(|question| question.field())
        .chain(details)
        .position(|known| known == field)
        .unwrap_or(usize::MAX)
}

fn choice<T: Coded>(text: &str, what: &str) -> Result<T, String> {
    T::from_code(text).ok_or_else(|| {
        format!(
            "\"{}\" is not {what}; accepted: {}",
            text.escape_debug(),
            T::accepted_codes()
        )
    })
}

/// The message for a field that appears more than once.
const GIVEN_TWICE: &str = "is given more than once; give it once";

fn parse_reply(raw: Option<RawValue>) -> Result<Reply, String> {
    let accepted = Reply::accepted_codes();
    match raw {
        Some(RawValue::Repeated) => Err(GIVEN_TWICE.to_owned()),
        None | Some(RawValue::Null) => Err(format!("is required; answer one of: {accepted}")),
        Some(RawValue::Text(text)) if text.is_empty() => {
            Err(format!("is required; answer one of: {accepted}"))
        }
        Some(RawValue::Text(text)) => choice(&text, "an accepted answer"),
        Some(RawValue::List(_)) => Err(format!("takes a single answer, one of: {accepted}")),
        Some(other) => Err(format!(
            "must be text, one of: {accepted} (got {})",
            other.kind()
        )),
    }
}

fn parse_escape(raw: Option<RawValue>, source: Source) -> Result<EscapeAnswer, String> {
    let accepted = || {
        format!(
            "choose at least one of: {}; or \"{ESCAPE_DECLINED}\" alone if the client declined",
            CopingCode::accepted_codes()
        )
    };
    let codes = match raw {
        Some(RawValue::Repeated) => return Err(GIVEN_TWICE.to_owned()),
        None | Some(RawValue::Null) => Vec::new(),
        Some(RawValue::Text(text)) if source == Source::Form => vec![text],
        Some(RawValue::List(codes)) => codes,
        Some(other) => {
            return Err(format!(
                "must be a list of coping codes (got {}); {}",
                other.kind(),
                accepted()
            ));
        }
    };
    if codes.is_empty() {
        return Err(format!("is required; {}", accepted()));
    }
    if codes.iter().any(|code| code == ESCAPE_DECLINED) {
        return if codes.iter().all(|code| code == ESCAPE_DECLINED) {
            Ok(EscapeAnswer::Declined)
        } else {
            Err(format!(
                "\"{ESCAPE_DECLINED}\" must stand alone; it cannot be combined with ways of escaping"
            ))
        };
    }
    let ways = codes
        .iter()
        .map(|code| {
            CopingCode::from_code(code).ok_or_else(|| {
                format!(
                    "\"{}\" is not a coping code; {}",
                    code.escape_debug(),
                    accepted()
                )
            })
        })
        .collect::<Result<BTreeSet<_>, _>>()?;
    Ok(EscapeAnswer::Ways(ways))
}

/// A single-choice detail that may be left empty (not assessed).
fn parse_optional_choice<T: Coded>(raw: Option<RawValue>, what: &str) -> Result<Option<T>, String> {
    match raw {
        Some(RawValue::Repeated) => Err(GIVEN_TWICE.to_owned()),
        None | Some(RawValue::Null) => Ok(None),
        Some(RawValue::Text(text)) if text.is_empty() => Ok(None),
        Some(RawValue::Text(text)) => choice(&text, what).map(Some),
        Some(RawValue::List(_)) => Err(format!(
            "takes a single answer, one of: {}",
            T::accepted_codes()
        )),
        Some(other) => Err(format!(
            "must be one of: {} (got {})",
            T::accepted_codes(),
            other.kind()
        )),
    }
}

fn parse_pattern(raw: Option<RawValue>) -> Result<Option<Pattern>, String> {
    parse_optional_choice(raw, "a pattern")
}

fn parse_control(raw: Option<RawValue>, source: Source) -> Result<Control, String> {
    match raw {
        // PRODUCT §3.2: in JSON, control is given or left out; null and "" are not values.
        Some(RawValue::Null) if source == Source::Json => Err(format!(
            "must be one of: {} (leave it out when not assessed; got null)",
            Control::accepted_codes()
        )),
        Some(RawValue::Text(text)) if text.is_empty() && source == Source::Json => Err(format!(
            "must be one of: {} (leave it out when not assessed; got \"\")",
            Control::accepted_codes()
        )),
        raw => parse_optional_choice(raw, "a control value").map(Option::unwrap_or_default),
    }
}

fn parse_indicator(raw: Option<RawValue>, source: Source) -> Result<bool, String> {
    match raw {
        Some(RawValue::Repeated) => Err(GIVEN_TWICE.to_owned()),
        Some(RawValue::List(_)) if source == Source::Form => Err(GIVEN_TWICE.to_owned()),
        // PRODUCT §3.2: in JSON, an indicator is true, false or left out.
        Some(RawValue::Null) if source == Source::Json => {
            Err("must be true or false (leave it out when not observed; got null)".to_owned())
        }
        None | Some(RawValue::Null) => Ok(false),
        Some(RawValue::Flag(flag)) => Ok(flag),
        Some(RawValue::Text(text)) if source == Source::Form => match text.as_str() {
            ticked if is_ticked(ticked) => Ok(true),
            "off" | "no" | "false" | "" => Ok(false),
            _ => Err(format!(
                "\"{}\" is not a checkbox value; accepted: on, yes, true (ticked) or off, no, false",
                text.escape_debug()
            )),
        },
        Some(RawValue::Text(text)) => Err(format!(
            "\"{}\" is not a boolean; must be true or false",
            text.escape_debug()
        )),
        Some(other) => Err(format!("must be true or false (got {})", other.kind())),
    }
}
