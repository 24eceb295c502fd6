//! A client's answers (PRODUCT §3.2) and their parsing from the JSON answers document or the
//! form's field pairs. Every value in [`Answers`] is valid by its type (a [`Reply`], an
//! [`EscapeAnswer`] that is never empty nor mixes `declined`, …): it is built by parsing here, or
//! by the store from stored codes decoded into the same types.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::questions::{
    CONTROL_FIELD, Coded, Control, CopingCode, ESCAPE_DECLINED, Indicator, IntakeQuestion,
    PATTERN_FIELD, Pattern, Reply,
};

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

    /// Parses the JSON answers document (PRODUCT §3.2). Strict: `q3_escape` is a list, the
    /// indicators are booleans, and no field may appear twice.
    pub fn from_json(text: &str) -> Result<Answers, AnswerErrors> {
        let JsonFields(fields) = serde_json::from_str(text).map_err(|error| {
            let message = match error.classify() {
                serde_json::error::Category::Data => {
                    "must be a JSON object of answers keyed by field name".to_owned()
                }
                _ => format!("is not valid JSON ({error})"),
            };
            AnswerErrors::one(DOCUMENT, message)
        })?;
        let mut raw: BTreeMap<String, RawValue> = BTreeMap::new();
        for (field, value) in fields {
            let value = if raw.contains_key(&field) {
                RawValue::Repeated
            } else {
                RawValue::from_json(value)
            };
            raw.insert(field, value);
        }
        parse(raw, Source::Json)
    }

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

/// The fields of a JSON object in document order, duplicates kept (a map would drop them).
struct JsonFields(Vec<(String, serde_json::Value)>);

impl<'de> serde::Deserialize<'de> for JsonFields {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Fields;
        impl<'de> serde::de::Visitor<'de> for Fields {
            type Value = JsonFields;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object of answers keyed by field name")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<JsonFields, A::Error> {
                let mut fields = Vec::new();
                while let Some(entry) = map.next_entry::<String, serde_json::Value>()? {
                    fields.push(entry);
                }
                Ok(JsonFields(fields))
            }
        }
        deserializer.deserialize_map(Fields)
    }
}

/// Where answers come from: JSON is typed, a form is all text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Json,
    Form,
}

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
    fn one(field: &str, message: impl Into<String>) -> Self {
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

/// A field's value before it is understood, whichever way it arrived.
#[derive(Debug, Clone)]
enum RawValue {
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
    fn from_json(value: serde_json::Value) -> RawValue {
        use serde_json::Value;
        match value {
            Value::Null => RawValue::Null,
            Value::Bool(flag) => RawValue::Flag(flag),
            Value::String(text) => RawValue::Text(text),
            Value::Number(_) => RawValue::Unusable("a number"),
            Value::Object(_) => RawValue::Unusable("an object"),
            Value::Array(values) => {
                let mut texts = Vec::with_capacity(values.len());
                for value in values {
                    match value {
                        Value::String(text) => texts.push(text),
                        _ => return RawValue::Unusable("a list holding something other than text"),
                    }
                }
                RawValue::List(texts)
            }
        }
    }

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

/// True for the values a form sends for a ticked checkbox (PRODUCT §3.4).
pub fn is_ticked(value: &str) -> bool {
    matches!(value, "on" | "yes" | "true")
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

fn parse(mut raw: BTreeMap<String, RawValue>, source: Source) -> Result<Answers, AnswerErrors> {
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
