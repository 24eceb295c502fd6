//! [`Answers::from_json`]: the JSON answers document (PRODUCT §3.2). JSON is typed, so it is
//! held to types: `q3_escape` is a list, the indicators are booleans, no field appears twice.

use std::collections::BTreeMap;
use std::fmt;

use super::parse::{RawValue, Source, parse};
use super::{AnswerErrors, Answers, DOCUMENT};

impl Answers {
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
}
