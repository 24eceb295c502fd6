//! Parsing the answers document (PRODUCT §3.2) and the form (PRODUCT §3.4): what is accepted, and
//! that every error names its field and, where it applies, lists the accepted values.

use std::collections::BTreeSet;

use intake_screener::screening::{
    AnswerErrors, Answers, Coded, Control, CopingCode, EscapeAnswer, Indicator, IntakeQuestion,
    Pattern, Reply,
};
use proptest::prelude::*;

use crate::helpers::arbitrary_answers::regressions_beside_source;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const YES_NO_FIELDS: [&str; 5] = [
    "q1_concern_expressed",
    "q2_self_concern",
    "q4_secrets",
    "q5_others_disturbed",
    "q6_shame",
];

const INDICATOR_FIELDS: [&str; 6] = [
    "escape_use",
    "secrecy",
    "escalation",
    "despite_consequences",
    "functioning_impaired",
    "minimizes_or_blames",
];

/// Every field of the answers document, in the order the form shows them.
const FIELDS: [&str; 14] = [
    "q1_concern_expressed",
    "q2_self_concern",
    "q3_escape",
    "q4_secrets",
    "q5_others_disturbed",
    "q6_shame",
    "pattern",
    "control",
    "escape_use",
    "secrecy",
    "escalation",
    "despite_consequences",
    "functioning_impaired",
    "minimizes_or_blames",
];

const REPLY_CODES: &str = "yes, no, declined";
const PATTERN_CODES: &str = "none, occasional, intense_periods, compulsive";
const CONTROL_CODES: &str = "not_assessed, retained, lost";

/// The example answers document of PRODUCT §3.2.
fn spec_example() -> Value {
    json!({
        "q1_concern_expressed": "yes", "q2_self_concern": "no",
        "q3_escape": ["exercise", "pornography"],
        "q4_secrets": "yes", "q5_others_disturbed": "declined", "q6_shame": "no",
        "pattern": "intense_periods", "control": "retained",
        "escape_use": true, "secrecy": true, "escalation": false,
        "despite_consequences": false, "functioning_impaired": false, "minimizes_or_blames": false
    })
}

/// The smallest valid document: the six required fields only.
fn minimal() -> Value {
    json!({
        "q1_concern_expressed": "no", "q2_self_concern": "no", "q3_escape": ["eating"],
        "q4_secrets": "no", "q5_others_disturbed": "no", "q6_shame": "no",
    })
}

fn minimal_answers() -> Answers {
    Answers {
        concern_expressed: Reply::No,
        self_concern: Reply::No,
        escape: EscapeAnswer::Ways([CopingCode::Eating].into()),
        secrets: Reply::No,
        others_disturbed: Reply::No,
        shame: Reply::No,
        pattern: None,
        control: Control::NotAssessed,
        observed: BTreeSet::new(),
    }
}

fn parse(document: &Value) -> Result<Answers, AnswerErrors> {
    Answers::from_json(&document.to_string())
}

/// The minimal document with one field set to a value.
fn with(field: &str, value: Value) -> Value {
    let mut document = minimal();
    document[field] = value;
    document
}

/// The minimal document without one field.
fn without(field: &str) -> Value {
    let mut document = minimal();
    document
        .as_object_mut()
        .expect("an object")
        .remove(field)
        .expect("the field was there");
    document
}

fn ok(result: Result<Answers, AnswerErrors>, what: &str) -> Answers {
    result.unwrap_or_else(|errors| panic!("{what} should be accepted, got: {errors}"))
}

/// Asserts exactly one error, on this field, and returns its message.
fn single_error(result: Result<Answers, AnswerErrors>, field: &str, what: &str) -> String {
    let errors = match result {
        Ok(answers) => panic!("{what} should be rejected, got {answers:?}"),
        Err(errors) => errors,
    };
    assert_eq!(
        errors.0.len(),
        1,
        "{what}: expected one error on {field}, got: {errors}"
    );
    assert_eq!(errors.0[0].field, field, "{what}: wrong field named");
    assert!(
        !errors.0[0].message.trim().is_empty(),
        "{what}: an empty message"
    );
    assert_eq!(errors.for_field(field), Some(errors.0[0].message.as_str()));
    errors.0[0].message.clone()
}

fn assert_mentions(message: &str, needles: &[&str], what: &str) {
    for needle in needles {
        assert!(
            message.contains(needle),
            "{what}: the message {message:?} should mention {needle:?}"
        );
    }
}

fn error_fields(errors: &AnswerErrors) -> Vec<&str> {
    errors.0.iter().map(|error| error.field.as_str()).collect()
}

fn form(pairs: &[(&'static str, &'static str)]) -> Result<Answers, AnswerErrors> {
    Answers::from_form(pairs.iter().copied())
}

/// A valid form: the PRODUCT §3.2 example as a browser would post it.
const EXAMPLE_FORM_PAIRS: [(&str, &str); 10] = [
    ("q1_concern_expressed", "yes"),
    ("q2_self_concern", "no"),
    ("q3_escape", "exercise"),
    ("q3_escape", "pornography"),
    ("q4_secrets", "yes"),
    ("q5_others_disturbed", "declined"),
    ("q6_shame", "no"),
    ("pattern", "intense_periods"),
    ("control", "retained"),
    ("escape_use", "on"),
];

fn spec_form_with(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    EXAMPLE_FORM_PAIRS.iter().chain(extra).copied().collect()
}

// ---------------------------------------------------------------------------------------------
// The JSON answers document
// ---------------------------------------------------------------------------------------------

#[test]
fn the_spec_example_parses() {
    let answers = ok(parse(&spec_example()), "the PRODUCT §3.2 example");
    assert_eq!(
        answers,
        Answers {
            concern_expressed: Reply::Yes,
            self_concern: Reply::No,
            escape: EscapeAnswer::Ways([CopingCode::Exercise, CopingCode::Pornography].into()),
            secrets: Reply::Yes,
            others_disturbed: Reply::Declined,
            shame: Reply::No,
            pattern: Some(Pattern::IntensePeriods),
            control: Control::Retained,
            observed: [Indicator::EscapeUse, Indicator::Secrecy].into(),
        }
    );
    assert_eq!(parse(&answers.to_document()), Ok(answers));
}

#[test]
fn the_six_intake_fields_alone_are_enough() {
    assert_eq!(parse(&minimal()), Ok(minimal_answers()));
}

#[test]
fn every_accepted_value_parses() {
    for (field, reply) in YES_NO_FIELDS
        .iter()
        .flat_map(|f| Reply::ALL.iter().map(move |r| (f, r)))
    {
        let answers = ok(parse(&with(field, json!(reply.code()))), field);
        let question = IntakeQuestion::from_field(field).expect("a question");
        assert_eq!(answers.is_declined(question), *reply == Reply::Declined);
        assert_eq!(answers.raises_red_flag(question), *reply == Reply::Yes);
    }
    for &code in CopingCode::ALL {
        let answers = ok(parse(&with("q3_escape", json!([code.code()]))), code.code());
        assert_eq!(answers.escape, EscapeAnswer::Ways([code].into()));
    }
    let all_codes: Vec<&str> = CopingCode::ALL.iter().map(|code| code.code()).collect();
    let answers = ok(parse(&with("q3_escape", json!(all_codes))), "every code");
    assert_eq!(
        answers.escape,
        EscapeAnswer::Ways(CopingCode::ALL.iter().copied().collect())
    );
    for &pattern in Pattern::ALL {
        let answers = ok(
            parse(&with("pattern", json!(pattern.code()))),
            pattern.code(),
        );
        assert_eq!(answers.pattern, Some(pattern));
    }
    for &control in Control::ALL {
        let answers = ok(
            parse(&with("control", json!(control.code()))),
            control.code(),
        );
        assert_eq!(answers.control, control);
    }
}

#[test]
fn a_repeated_coping_code_counts_once() {
    let answers = ok(
        parse(&with("q3_escape", json!(["work", "pornography", "work"]))),
        "a repeated code",
    );
    assert_eq!(
        answers.escape,
        EscapeAnswer::Ways([CopingCode::Work, CopingCode::Pornography].into())
    );
}

#[test]
fn missing_each_required_field() {
    for field in YES_NO_FIELDS {
        let message = single_error(parse(&without(field)), field, &format!("missing {field}"));
        assert_mentions(&message, &["required", REPLY_CODES], field);
    }
    let message = single_error(parse(&without("q3_escape")), "q3_escape", "missing q3");
    assert_mentions(&message, &["required", "declined"], "missing q3");
}

#[test]
fn null_or_empty_text_for_a_required_field_is_missing() {
    for field in YES_NO_FIELDS {
        for value in [Value::Null, json!("")] {
            let what = format!("{field} = {value}");
            let message = single_error(parse(&with(field, value)), field, &what);
            assert_mentions(&message, &["required", REPLY_CODES], &what);
        }
    }
    let message = single_error(
        parse(&with("q3_escape", Value::Null)),
        "q3_escape",
        "q3 null",
    );
    assert_mentions(&message, &["required"], "q3 null");
}

#[test]
fn an_empty_document_names_all_six_questions_in_order() {
    let errors = parse(&json!({})).expect_err("an empty document");
    assert_eq!(
        error_fields(&errors),
        IntakeQuestion::ALL
            .iter()
            .map(|question| question.field())
            .collect::<Vec<_>>()
    );
}

#[test]
fn unknown_fields_are_errors() {
    for field in [
        "q7_extra",
        "notes",
        "client_name",
        "Q1_CONCERN_EXPRESSED",
        "",
    ] {
        let message = single_error(
            parse(&with(field, json!("yes"))),
            field,
            &format!("unknown field {field:?}"),
        );
        assert_mentions(&message, &["not a field"], field);
    }
}

#[test]
fn unknown_value_for_each_yes_no_field() {
    for field in YES_NO_FIELDS {
        for value in ["maybe", "YES", " yes", "true"] {
            let what = format!("{field} = {value:?}");
            let message = single_error(parse(&with(field, json!(value))), field, &what);
            assert_mentions(&message, &[value.trim(), REPLY_CODES], &what);
        }
    }
}

#[test]
fn unknown_coping_code() {
    let every_code: Vec<&str> = CopingCode::ALL.iter().map(|code| code.code()).collect();
    for value in [
        json!(["yoga"]),
        json!(["pornography", "yoga"]),
        json!(["Yoga"]),
    ] {
        let what = format!("q3_escape = {value}");
        let message = single_error(parse(&with("q3_escape", value)), "q3_escape", &what);
        assert_mentions(&message, &every_code, &what);
        assert_mentions(&message, &["declined"], &what);
    }
    let message = single_error(
        parse(&with("q3_escape", json!(["yoga"]))),
        "q3_escape",
        "yoga",
    );
    assert_mentions(&message, &["\"yoga\""], "yoga");
}

#[test]
fn unknown_control_and_pattern_values() {
    let message = single_error(
        parse(&with("control", json!("partial"))),
        "control",
        "control partial",
    );
    assert_mentions(&message, &["partial", CONTROL_CODES], "control partial");

    let message = single_error(
        parse(&with("pattern", json!("sometimes"))),
        "pattern",
        "pattern sometimes",
    );
    assert_mentions(&message, &["sometimes", PATTERN_CODES], "pattern sometimes");
}

#[test]
fn unknown_indicator_value() {
    for field in INDICATOR_FIELDS {
        let what = format!("{field} = \"maybe\"");
        let message = single_error(parse(&with(field, json!("maybe"))), field, &what);
        assert_mentions(&message, &["maybe", "true", "false"], &what);
    }
}

#[test]
fn an_empty_q3_list_is_an_error() {
    let message = single_error(
        parse(&with("q3_escape", json!([]))),
        "q3_escape",
        "empty q3",
    );
    assert_mentions(&message, &["at least one", "declined"], "empty q3");
}

#[test]
fn declined_mixed_with_codes_in_q3_is_an_error() {
    for value in [
        json!(["declined", "pornography"]),
        json!(["eating", "declined"]),
        json!(["declined", "yoga"]),
    ] {
        let what = format!("q3_escape = {value}");
        let message = single_error(parse(&with("q3_escape", value)), "q3_escape", &what);
        assert_mentions(&message, &["declined", "alone"], &what);
    }
}

#[test]
fn declined_alone_in_q3_is_fine() {
    let answers = ok(
        parse(&with("q3_escape", json!(["declined"]))),
        "q3 declined",
    );
    assert_eq!(answers.escape, EscapeAnswer::Declined);
    assert!(answers.is_declined(IntakeQuestion::Escape));
    assert!(!answers.raises_red_flag(IntakeQuestion::Escape));
    assert_eq!(answers.to_document()["q3_escape"], json!(["declined"]));
}

#[test]
fn wrong_json_types_for_yes_no_fields() {
    for field in YES_NO_FIELDS {
        for value in [
            json!(1),
            json!(true),
            json!({"answer": "yes"}),
            json!(["yes"]),
        ] {
            let what = format!("{field} = {value}");
            let message = single_error(parse(&with(field, value)), field, &what);
            assert_mentions(&message, &[REPLY_CODES], &what);
        }
    }
    let message = single_error(
        parse(&with("q2_self_concern", json!(2.5))),
        "q2_self_concern",
        "a number",
    );
    assert_mentions(&message, &["number"], "a number");
}

#[test]
fn wrong_json_types_for_q3() {
    for value in [
        json!(3),
        json!(false),
        json!({"pornography": true}),
        json!([1]),
        json!(["pornography", 2]),
        json!(["pornography", null]),
        json!([["pornography"]]),
    ] {
        let what = format!("q3_escape = {value}");
        let message = single_error(parse(&with("q3_escape", value)), "q3_escape", &what);
        assert_mentions(&message, &["list"], &what);
    }
}

#[test]
fn wrong_json_types_for_the_details() {
    for value in [json!(2), json!(true), json!({}), json!(["compulsive"])] {
        let what = format!("pattern = {value}");
        let message = single_error(parse(&with("pattern", value)), "pattern", &what);
        assert_mentions(&message, &[PATTERN_CODES], &what);
    }
    for value in [json!(0), json!(false), json!({}), json!(["lost"])] {
        let what = format!("control = {value}");
        let message = single_error(parse(&with("control", value)), "control", &what);
        assert_mentions(&message, &[CONTROL_CODES], &what);
    }
    for field in INDICATOR_FIELDS {
        for value in [json!(1), json!(0), json!({}), json!([true]), json!([])] {
            let what = format!("{field} = {value}");
            let message = single_error(parse(&with(field, value)), field, &what);
            assert_mentions(&message, &["true", "false"], &what);
        }
    }
}

#[test]
fn invalid_json_or_not_an_object_names_the_document() {
    for text in [
        "",
        "{",
        "not json",
        "{\"q1_concern_expressed\": }",
        "{\"q1_concern_expressed\": \"yes\",}",
        "{'q1_concern_expressed': 'yes'}",
        "[]",
        "[{\"q1_concern_expressed\": \"yes\"}]",
        "\"q1_concern_expressed\"",
        "42",
        "null",
        "true",
    ] {
        single_error(Answers::from_json(text), "document", &format!("{text:?}"));
    }
    let mut trailing = minimal().to_string();
    trailing.push_str(" {}");
    single_error(Answers::from_json(&trailing), "document", "trailing data");
}

#[test]
fn very_deep_nesting_is_an_error_not_a_crash() {
    let deep = "[".repeat(100_000);
    single_error(Answers::from_json(&deep), "document", "deep arrays");
    let deep = "{\"a\":".repeat(50_000);
    single_error(Answers::from_json(&deep), "document", "deep objects");
    let mut document = minimal().to_string();
    document.pop();
    document.push_str(",\"pattern\":");
    document.push_str(&"[".repeat(10_000));
    single_error(
        Answers::from_json(&document),
        "document",
        "a deep field value",
    );
}

#[test]
fn pattern_not_assessed() {
    assert_eq!(parse(&minimal()).map(|a| a.pattern), Ok(None), "absent");
    for value in [Value::Null, json!("")] {
        assert_eq!(
            parse(&with("pattern", value.clone())).map(|a| a.pattern),
            Ok(None),
            "pattern = {value}"
        );
    }
    assert_eq!(minimal_answers().to_document()["pattern"], Value::Null);
}

#[test]
fn control_not_assessed_by_default() {
    assert_eq!(
        parse(&minimal()).map(|a| a.control),
        Ok(Control::NotAssessed),
        "absent"
    );
    assert_eq!(
        parse(&with("control", json!("not_assessed"))).map(|a| a.control),
        Ok(Control::NotAssessed),
        "control = \"not_assessed\""
    );
    // PRODUCT §3.2 lets control be left out, not null or empty, in JSON.
    for value in [Value::Null, json!("")] {
        let what = format!("control = {value}");
        let message = single_error(parse(&with("control", value)), "control", &what);
        assert_mentions(&message, &["not_assessed", "retained", "lost"], &what);
    }
}

#[test]
fn indicators_absent_are_not_observed() {
    assert!(ok(parse(&minimal()), "minimal").observed.is_empty());
    for &indicator in Indicator::ALL {
        let field = indicator.code();
        let answers = ok(parse(&with(field, json!(true))), field);
        assert_eq!(answers.observed, [indicator].into(), "{field} = true");
        let answers = ok(parse(&with(field, json!(false))), field);
        assert!(answers.observed.is_empty(), "{field} = false");
        // PRODUCT §3.2 lets an indicator be left out, not null, in JSON.
        let message = single_error(parse(&with(field, Value::Null)), field, "null indicator");
        assert_mentions(&message, &["true or false"], "null indicator");
    }
    let mut document = minimal();
    for field in INDICATOR_FIELDS {
        document[field] = json!(true);
    }
    let answers = ok(parse(&document), "every indicator");
    assert_eq!(answers.observed, Indicator::ALL.iter().copied().collect());
}

#[test]
fn several_json_errors_are_all_reported_in_form_order() {
    let document = json!({
        "zz_unknown": 1,
        "minimizes_or_blames": "perhaps",
        "control": "partial",
        "pattern": 7,
        "q6_shame": "maybe",
        "q4_secrets": true,
        "q3_escape": ["yoga"],
        "q1_concern_expressed": "sure",
    });
    let errors = parse(&document).expect_err("many errors");
    assert_eq!(
        error_fields(&errors),
        [
            "q1_concern_expressed",
            "q2_self_concern",
            "q3_escape",
            "q4_secrets",
            "q5_others_disturbed",
            "q6_shame",
            "pattern",
            "control",
            "minimizes_or_blames",
            "zz_unknown",
        ]
    );
    let display = errors.to_string();
    assert_eq!(display.lines().count(), errors.0.len());
    assert!(display.starts_with("q1_concern_expressed: "), "{display}");
}

// ---------------------------------------------------------------------------------------------
// The form
// ---------------------------------------------------------------------------------------------

#[test]
fn the_spec_example_as_a_form() {
    let answers = ok(form(&EXAMPLE_FORM_PAIRS), "the form");
    assert_eq!(
        answers,
        Answers {
            concern_expressed: Reply::Yes,
            self_concern: Reply::No,
            escape: EscapeAnswer::Ways([CopingCode::Exercise, CopingCode::Pornography].into()),
            secrets: Reply::Yes,
            others_disturbed: Reply::Declined,
            shame: Reply::No,
            pattern: Some(Pattern::IntensePeriods),
            control: Control::Retained,
            observed: [Indicator::EscapeUse].into(),
        }
    );
}

#[test]
fn form_checkbox_values() {
    for value in ["on", "yes", "true"] {
        for &indicator in Indicator::ALL {
            let mut pairs: Vec<_> = EXAMPLE_FORM_PAIRS
                .iter()
                .copied()
                .filter(|(field, _)| *field != "escape_use")
                .collect();
            pairs.push((indicator.code(), value));
            let answers = ok(Answers::from_form(pairs), indicator.code());
            assert_eq!(answers.observed, [indicator].into());
            assert!(
                answers.observed(indicator),
                "{}={value} should be observed",
                indicator.code()
            );
        }
    }
    let pairs = spec_form_with(&[("secrecy", "nonsense")]);
    let message = single_error(Answers::from_form(pairs), "secrecy", "secrecy=nonsense");
    assert_mentions(&message, &["nonsense", "on", "yes", "true"], "secrecy");
}

#[test]
fn form_with_q3_once_or_repeated() {
    let answers = ok(
        form(&[
            ("q1_concern_expressed", "no"),
            ("q2_self_concern", "no"),
            ("q3_escape", "sleep"),
            ("q4_secrets", "no"),
            ("q5_others_disturbed", "no"),
            ("q6_shame", "no"),
        ]),
        "q3 once",
    );
    assert_eq!(
        answers.escape,
        EscapeAnswer::Ways([CopingCode::Sleep].into())
    );

    let answers = ok(
        form(&[
            ("q1_concern_expressed", "no"),
            ("q2_self_concern", "no"),
            ("q3_escape", "sleep"),
            ("q3_escape", "masturbation"),
            ("q3_escape", "talking_to_someone"),
            ("q4_secrets", "no"),
            ("q5_others_disturbed", "no"),
            ("q6_shame", "no"),
        ]),
        "q3 three times",
    );
    assert_eq!(
        answers.escape,
        EscapeAnswer::Ways(
            [
                CopingCode::Sleep,
                CopingCode::Masturbation,
                CopingCode::TalkingToSomeone
            ]
            .into()
        )
    );

    let answers = ok(
        form(&[
            ("q1_concern_expressed", "no"),
            ("q2_self_concern", "no"),
            ("q3_escape", "declined"),
            ("q4_secrets", "no"),
            ("q5_others_disturbed", "no"),
            ("q6_shame", "no"),
        ]),
        "q3 declined",
    );
    assert_eq!(answers.escape, EscapeAnswer::Declined);
}

#[test]
fn form_q3_declined_with_a_code_is_an_error() {
    let mut pairs: Vec<_> = EXAMPLE_FORM_PAIRS
        .iter()
        .copied()
        .filter(|(field, _)| *field != "q3_escape")
        .collect();
    pairs.push(("q3_escape", "declined"));
    pairs.push(("q3_escape", "eating"));
    let message = single_error(Answers::from_form(pairs), "q3_escape", "declined + eating");
    assert_mentions(&message, &["declined", "alone"], "declined + eating");
}

#[test]
fn form_with_no_q3_is_an_error() {
    let pairs: Vec<_> = EXAMPLE_FORM_PAIRS
        .iter()
        .copied()
        .filter(|(field, _)| *field != "q3_escape")
        .collect();
    let message = single_error(Answers::from_form(pairs), "q3_escape", "no q3");
    assert_mentions(&message, &["required"], "no q3");
}

#[test]
fn form_empty_selects_are_not_assessed() {
    let pairs: Vec<_> = EXAMPLE_FORM_PAIRS
        .iter()
        .copied()
        .map(|(field, value)| match field {
            "pattern" | "control" => (field, ""),
            _ => (field, value),
        })
        .collect();
    let answers = ok(Answers::from_form(pairs), "empty selects");
    assert_eq!(answers.pattern, None);
    assert_eq!(answers.control, Control::NotAssessed);
}

#[test]
fn a_yes_no_field_given_twice_in_a_form_is_an_error() {
    for field in YES_NO_FIELDS {
        for second in ["no", "yes"] {
            let pairs = spec_form_with(&[(field, second)]);
            let what = format!("{field} given twice");
            let message = single_error(Answers::from_form(pairs), field, &what);
            assert_mentions(&message, &[REPLY_CODES], &what);
        }
    }
    for (field, accepted) in [("pattern", PATTERN_CODES), ("control", CONTROL_CODES)] {
        let pairs = spec_form_with(&[(field, "none")]);
        let message = single_error(Answers::from_form(pairs), field, field);
        assert_mentions(&message, &[accepted], field);
    }
}

#[test]
fn form_unknown_field_is_an_error() {
    let pairs = spec_form_with(&[("client_initials", "JD")]);
    let message = single_error(Answers::from_form(pairs), "client_initials", "initials");
    assert_mentions(&message, &["not a field"], "initials");
}

#[test]
fn several_form_errors_are_all_reported_in_form_order() {
    // Given in the reverse of the form's order.
    let errors = form(&[
        ("control", "partial"),
        ("q6_shame", "no"),
        ("q5_others_disturbed", "no"),
        ("q4_secrets", "no"),
        ("q3_escape", "yoga"),
        ("q2_self_concern", "no"),
        ("q1_concern_expressed", "maybe"),
    ])
    .expect_err("three errors");
    assert_eq!(
        error_fields(&errors),
        ["q1_concern_expressed", "q3_escape", "control"]
    );
    assert_mentions(&errors.0[0].message, &["maybe", REPLY_CODES], "q1");
    assert_mentions(&errors.0[1].message, &["yoga", "pornography"], "q3");
    assert_mentions(&errors.0[2].message, &["partial", CONTROL_CODES], "control");

    let errors = form(&[
        ("a_stray_field", "x"),
        ("functioning_impaired", "maybe"),
        ("pattern", "sometimes"),
        ("q6_shame", "yes"),
        ("q5_others_disturbed", "yes"),
        ("q5_others_disturbed", "no"),
        ("q3_escape", "declined"),
        ("q3_escape", "work"),
        ("q1_concern_expressed", "no"),
    ])
    .expect_err("many errors");
    assert_eq!(
        error_fields(&errors),
        [
            "q2_self_concern",
            "q3_escape",
            "q4_secrets",
            "q5_others_disturbed",
            "pattern",
            "functioning_impaired",
            "a_stray_field",
        ]
    );
}

#[test]
fn an_empty_form_names_all_six_questions() {
    let errors = form(&[]).expect_err("an empty form");
    assert_eq!(
        error_fields(&errors),
        IntakeQuestion::ALL
            .iter()
            .map(|question| question.field())
            .collect::<Vec<_>>()
    );
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

/// Text that a field might plausibly hold: every code, checkbox values and some noise.
fn arb_text() -> impl Strategy<Value = String> {
    let mut codes: Vec<&'static str> = vec!["", "on", "off", "true", "false", "declined"];
    codes.extend(Reply::ALL.iter().map(|value| value.code()));
    codes.extend(CopingCode::ALL.iter().map(|value| value.code()));
    codes.extend(Pattern::ALL.iter().map(|value| value.code()));
    codes.extend(Control::ALL.iter().map(|value| value.code()));
    prop_oneof![
        3 => prop::sample::select(codes).prop_map(str::to_owned),
        1 => ".{0,12}",
    ]
}

fn arb_key() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => prop::sample::select(FIELDS.to_vec()).prop_map(str::to_owned),
        1 => "[a-z_]{0,12}",
    ]
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
            .map(Value::Number)),
        arb_text().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec((arb_key(), inner), 0..16)
                .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
}

/// Where a field sits in the form, unknown fields last.
fn form_position(field: &str) -> usize {
    FIELDS
        .iter()
        .position(|known| *known == field)
        .unwrap_or(usize::MAX)
}

fn check_errors(errors: &AnswerErrors) -> Result<(), TestCaseError> {
    prop_assert!(!errors.0.is_empty(), "an error without a field error");
    for error in &errors.0 {
        prop_assert!(!error.message.trim().is_empty(), "{:?}", error);
    }
    let positions: Vec<usize> = errors.0.iter().map(|e| form_position(&e.field)).collect();
    prop_assert!(
        positions.windows(2).all(|pair| pair[0] <= pair[1]),
        "errors not in form order: {:?}",
        error_fields(errors)
    );
    Ok(())
}

proptest! {
    #![proptest_config(regressions_beside_source(ProptestConfig::default()))]
    #[test]
    fn any_text_never_panics(text in any::<String>()) {
        if let Err(errors) = Answers::from_json(&text) {
            check_errors(&errors)?;
        }
    }

    #[test]
    fn json_looking_text_never_panics(text in r#"[\[\]{}",:0-9a-z_ \\.-]{0,80}"#) {
        if let Err(errors) = Answers::from_json(&text) {
            check_errors(&errors)?;
        }
    }

    #[test]
    fn any_json_value_never_panics(value in arb_json()) {
        match Answers::from_json(&value.to_string()) {
            Ok(answers) => {
                prop_assert_eq!(parse(&answers.to_document()), Ok(answers));
            }
            Err(errors) => {
                check_errors(&errors)?;
                if !value.is_object() {
                    prop_assert_eq!(error_fields(&errors), vec!["document"]);
                }
            }
        }
    }

    /// A valid document with one field replaced by anything: accepted, or rejected with one
    /// error naming exactly that field.
    #[test]
    fn one_bad_field_is_named_alone(field in arb_key(), value in arb_json()) {
        let mut document = spec_example();
        document[field.as_str()] = value;
        match parse(&document) {
            Ok(answers) => prop_assert_eq!(parse(&answers.to_document()), Ok(answers)),
            Err(errors) => prop_assert_eq!(error_fields(&errors), vec![field.as_str()]),
        }
    }

    #[test]
    fn any_form_never_panics(
        pairs in prop::collection::vec((arb_key(), arb_text()), 0..24)
    ) {
        let borrowed = pairs.iter().map(|(field, value)| (field.as_str(), value.as_str()));
        match Answers::from_form(borrowed) {
            Ok(answers) => prop_assert_eq!(parse(&answers.to_document()), Ok(answers)),
            Err(errors) => check_errors(&errors)?,
        }
    }

    /// Any bytes as a form body, decoded as the web layer decodes it (percent-decoding, lossy
    /// UTF-8): parsed or refused with named fields, never a panic.
    #[test]
    fn any_form_body_never_panics(body in prop::collection::vec(any::<u8>(), 0..512)) {
        let pairs: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
        let borrowed = pairs.iter().map(|(field, value)| (field.as_str(), value.as_str()));
        if let Err(errors) = Answers::from_form(borrowed) {
            check_errors(&errors)?;
        }
    }

    /// Any valid form, as a browser would send it, gives back what was chosen.
    #[test]
    fn valid_forms_parse_to_what_was_chosen(
        replies in prop::collection::vec(prop::sample::select(Reply::ALL), 5),
        escape in prop_oneof![
            1 => Just(None),
            4 => prop::sample::subsequence(CopingCode::ALL.to_vec(), 1..=5).prop_map(Some),
        ],
        pattern in prop::option::of(prop::sample::select(Pattern::ALL)),
        control in prop::option::of(prop::sample::select(Control::ALL)),
        checkboxes in prop::collection::vec(
            prop::option::of(prop::sample::select(vec!["on", "yes", "true"])),
            6,
        ),
        shuffle_seed in any::<u64>(),
    ) {
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        for (field, reply) in YES_NO_FIELDS.iter().zip(&replies) {
            pairs.push((field, reply.code()));
        }
        match &escape {
            None => pairs.push(("q3_escape", "declined")),
            Some(codes) => pairs.extend(codes.iter().map(|code| ("q3_escape", code.code()))),
        }
        pairs.push(("pattern", pattern.map_or("", |p| p.code())));
        if let Some(control) = control {
            pairs.push(("control", control.code()));
        }
        for (field, value) in INDICATOR_FIELDS.iter().zip(&checkboxes) {
            if let Some(value) = value {
                pairs.push((field, value));
            }
        }
        // Browsers keep the form's order, but the parser must not depend on it.
        let rotate = (shuffle_seed % pairs.len() as u64) as usize;
        pairs.rotate_left(rotate);

        let answers = Answers::from_form(pairs.iter().copied());
        let expected = Answers {
            concern_expressed: replies[0],
            self_concern: replies[1],
            escape: match escape {
                None => EscapeAnswer::Declined,
                Some(codes) => EscapeAnswer::Ways(codes.into_iter().collect()),
            },
            secrets: replies[2],
            others_disturbed: replies[3],
            shame: replies[4],
            pattern,
            control: control.unwrap_or(Control::NotAssessed),
            observed: Indicator::ALL
                .iter()
                .zip(&checkboxes)
                .filter(|(_, value)| value.is_some())
                .map(|(&indicator, _)| indicator)
                .collect(),
        };
        prop_assert_eq!(answers, Ok(expected), "form {:?}", pairs);
    }
}

#[test]
fn a_json_field_given_twice_is_an_error() {
    let text = r#"{"q1_concern_expressed":"yes","q1_concern_expressed":"no","q2_self_concern":"no","q3_escape":["sleep"],"q4_secrets":"no","q5_others_disturbed":"no","q6_shame":"no"}"#;
    let message = single_error(Answers::from_json(text), "q1_concern_expressed", "q1 twice");
    assert_mentions(&message, &["more than once"], "q1 twice");
}

#[test]
fn json_is_typed_where_a_form_is_all_text() {
    let message = single_error(
        parse(&with("q3_escape", json!("pornography"))),
        "q3_escape",
        "q3 as text",
    );
    assert_mentions(&message, &["list", "pornography", "declined"], "q3 as text");
    let message = single_error(
        parse(&with("secrecy", json!("yes"))),
        "secrecy",
        "indicator as text",
    );
    assert_mentions(&message, &["true or false"], "indicator as text");
    let answers = ok(
        form(&spec_form_with(&[("secrecy", "yes")])),
        "the same words from a form",
    );
    assert!(answers.observed(Indicator::Secrecy));
}

#[test]
fn a_form_checkbox_sent_twice_says_so() {
    let message = single_error(
        form(&spec_form_with(&[
            ("escalation", "on"),
            ("escalation", "on"),
        ])),
        "escalation",
        "checkbox twice",
    );
    assert_mentions(&message, &["more than once"], "checkbox twice");
}
