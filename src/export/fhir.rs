//! FHIR R4: the instrument as a `Questionnaire`, and a stored screening as a
//! `QuestionnaireResponse` with its result in a contained `Observation`. Dates are the year
//! only and there is no subject (PRODUCT §4).

use serde_json::{Value, json};

use crate::screening::answers::IntakeAnswer;
use crate::screening::guidance::{CITATION, CITATION_URL, DISCLAIMER};
use crate::screening::questions::{CONTROL_FIELD, PATTERN_FIELD};
use crate::screening::{
    Administration, Band, Coded, Control, CopingCode, Indicator, IntakeQuestion, Pattern, Reply,
};
use crate::store::StoredScreening;

/// The id of the Questionnaire resource.
pub const QUESTIONNAIRE_ID: &str = "intake-screener";
/// The Questionnaire's canonical URL.
pub const QUESTIONNAIRE_URL: &str = "urn:intake-screener:fhir:Questionnaire:intake-screener";
/// The instrument's version (the questions and answer codes; scoring rules have their own).
pub const QUESTIONNAIRE_VERSION: &str = "1";
/// The group of the six intake questions.
pub const INTAKE_GROUP: &str = "intake";
/// The group of the details.
pub const DETAILS_GROUP: &str = "details";
/// The extension coding how the intake answers were given (PRODUCT §6).
pub const ADMINISTRATION_EXTENSION: &str =
    "urn:intake-screener:fhir:StructureDefinition:administration";
/// The extension saying the clinician corrected some of the client's own answers.
pub const CORRECTED_EXTENSION: &str =
    "urn:intake-screener:fhir:StructureDefinition:intake-corrected";
/// The identifier system of review codes.
pub const REVIEW_CODE_SYSTEM: &str = "urn:intake-screener:fhir:review-code";

/// The app's own CodeSystem for a kind of code.
pub fn code_system(kind: &str) -> String {
    format!("urn:intake-screener:fhir:CodeSystem:{kind}")
}

fn coding<T: Coded>(kind: &str, value: T) -> Value {
    json!({ "system": code_system(kind), "code": value.code(), "display": value.label() })
}

fn choice_item<T: Coded>(
    link_id: &str,
    text: &str,
    kind: &str,
    required: bool,
    repeats: bool,
) -> Value {
    let options: Vec<Value> = T::ALL
        .iter()
        .map(|&value| json!({ "valueCoding": coding(kind, value) }))
        .collect();
    json!({
        "linkId": link_id,
        "text": text,
        "type": "choice",
        "required": required,
        "repeats": repeats,
        "answerOption": options,
    })
}

/// The "declined" answer of question 3, which is not a coping code.
#[derive(Debug, Clone, Copy)]
struct EscapeDeclined;

impl Coded for EscapeDeclined {
    const ALL: &'static [Self] = &[EscapeDeclined];
    fn code(self) -> &'static str {
        crate::screening::questions::ESCAPE_DECLINED
    }
    fn label(self) -> &'static str {
        "Declined to answer"
    }
}

/// The instrument as a FHIR R4 Questionnaire.
pub fn questionnaire() -> Value {
    let intake: Vec<Value> = IntakeQuestion::ALL
        .into_iter()
        .map(|question| {
            if question == IntakeQuestion::Escape {
                let mut item = choice_item::<CopingCode>(
                    question.field(),
                    question.text(),
                    "coping",
                    true,
                    true,
                );
                if let Some(options) = item["answerOption"].as_array_mut() {
                    options.push(json!({ "valueCoding": coding("coping", EscapeDeclined) }));
                }
                item
            } else {
                choice_item::<Reply>(question.field(), question.text(), "reply", true, false)
            }
        })
        .collect();
    let mut details = vec![
        choice_item::<Pattern>(
            PATTERN_FIELD,
            "Pattern of online sexual activity",
            "pattern",
            false,
            false,
        ),
        choice_item::<Control>(
            CONTROL_FIELD,
            "Control: can the client limit or stop on their own?",
            "control",
            false,
            false,
        ),
    ];
    details.extend(Indicator::ALL.iter().map(|indicator| {
        json!({
            "linkId": indicator.code(),
            "text": format!("Observed: the client {}", indicator.description()),
            "type": "boolean",
            "required": false,
        })
    }));
    json!({
        "resourceType": "Questionnaire",
        "id": QUESTIONNAIRE_ID,
        "url": QUESTIONNAIRE_URL,
        "version": QUESTIONNAIRE_VERSION,
        "name": "IntakeScreener",
        "title": "Intake Screener: cybersex use",
        "status": "active",
        "publisher": "Intake Screener",
        "description": format!(
            "Six intake questions about the client's sexual and romantic life and the details a \
             therapist records when red flags come up. A screening aid, not a diagnosis. Source: {CITATION} {CITATION_URL}"
        ),
        "extension": [{
            "url": "http://hl7.org/fhir/StructureDefinition/cqf-relatedArtifact",
            "valueRelatedArtifact": { "type": "citation", "citation": CITATION, "url": CITATION_URL },
        }],
        "item": [
            { "linkId": INTAKE_GROUP, "text": "Intake questions", "type": "group", "required": true, "item": intake },
            { "linkId": DETAILS_GROUP, "text": "Details, when red flags come up", "type": "group", "required": false, "item": details },
        ],
    })
}

/// A stored screening as a FHIR R4 QuestionnaireResponse: answers as items, the result
/// (band, red-flag count, flags, rules version) in a contained Observation.
pub fn questionnaire_response(screening: &StoredScreening) -> Value {
    let answers = &screening.answers;
    let outcome = &screening.outcome;
    let intake: Vec<Value> = IntakeQuestion::ALL
        .into_iter()
        .map(|question| {
            let answer: Vec<Value> = match answers.intake(question) {
                IntakeAnswer::Reply(reply) => {
                    vec![json!({ "valueCoding": coding("reply", reply) })]
                }
                IntakeAnswer::Escape(crate::screening::EscapeAnswer::Declined) => {
                    vec![json!({ "valueCoding": coding("coping", EscapeDeclined) })]
                }
                IntakeAnswer::Escape(crate::screening::EscapeAnswer::Ways(ways)) => ways
                    .iter()
                    .map(|&way| json!({ "valueCoding": coding("coping", way) }))
                    .collect(),
            };
            json!({ "linkId": question.field(), "text": question.text(), "answer": answer })
        })
        .collect();
    let mut details = Vec::new();
    if let Some(pattern) = answers.pattern {
        details.push(json!({ "linkId": PATTERN_FIELD, "answer": [{ "valueCoding": coding("pattern", pattern) }] }));
    }
    details.push(json!({ "linkId": CONTROL_FIELD, "answer": [{ "valueCoding": coding("control", answers.control) }] }));
    details.extend(Indicator::ALL.iter().map(|&indicator| {
        json!({ "linkId": indicator.code(), "answer": [{ "valueBoolean": answers.observed(indicator) }] })
    }));
    let year = screening.year.to_string();
    let result_code = |code: &str, display: &str| json!({ "coding": [{ "system": code_system("result"), "code": code, "display": display }] });
    let observation = json!({
        "resourceType": "Observation",
        "id": "result",
        // Provisional results rest on details not assessed or inconsistent (PRODUCT §2.4c).
        "status": if outcome.provisional { "preliminary" } else { "final" },
        "code": result_code("band", "Level of cybersex use (Intake Screener)"),
        "effectiveDateTime": year,
        "valueCodeableConcept": { "coding": [coding::<Band>("band", outcome.band)], "text": outcome.band.label() },
        "component": [
            { "code": result_code("red_flag_count", "Intake questions raising a red flag"), "valueInteger": outcome.red_flags.len() },
            { "code": result_code("further_investigation", "Further investigation merited"), "valueBoolean": outcome.further_investigation },
            { "code": result_code("referral", "Referral to a specialist"), "valueBoolean": outcome.referral },
            { "code": result_code("provisional", "Provisional: details not assessed or inconsistent"), "valueBoolean": outcome.provisional },
            { "code": result_code("incomplete", "Incomplete: two or more questions declined"), "valueBoolean": outcome.incomplete },
            { "code": result_code("rules_version", "Scoring rules version"), "valueString": outcome.rules_version.as_str() },
        ],
        "derivedFrom": [{ "reference": "#" }],
        "note": [
            { "text": DISCLAIMER },
            { "text": format!("Source: {CITATION} {CITATION_URL}") },
        ],
    });
    // Who answered (`source`) and who recorded the answers (`author`), as FHIR R4 defines
    // them: logical references by type only — the app never knows who either person is.
    let client = |display: &str| json!({ "type": "Patient", "display": display });
    let (author, source) = match screening.administration {
        Administration::Clinician => (
            json!({ "type": "Practitioner", "display": "The clinician, who asked the questions and recorded the answers" }),
            client("The client, answering the clinician's questions"),
        ),
        Administration::ClientDevice | Administration::ClientLink => (
            client(
                "The client, who entered the intake answers themselves; the clinician recorded the details",
            ),
            client("The client"),
        ),
    };
    let mut extension = vec![json!({
        "url": ADMINISTRATION_EXTENSION,
        "valueCoding": coding("administration", screening.administration),
    })];
    if screening.intake_corrected {
        extension.push(json!({ "url": CORRECTED_EXTENSION, "valueBoolean": true }));
    }
    let mut response = json!({
        "resourceType": "QuestionnaireResponse",
        "id": screening.review_code.as_str(),
        "extension": extension,
        "author": author,
        "source": source,
        "contained": [observation],
        "identifier": { "system": REVIEW_CODE_SYSTEM, "value": screening.review_code.as_str() },
        "questionnaire": format!("{QUESTIONNAIRE_URL}|{QUESTIONNAIRE_VERSION}"),
        "status": "completed",
        "authored": year,
        "item": [
            { "linkId": INTAKE_GROUP, "item": intake },
            { "linkId": DETAILS_GROUP, "item": details },
        ],
    });
    if let Some(language) = screening.client_language {
        response["language"] = json!(language.as_str());
    }
    response
}
