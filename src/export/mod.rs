//! Handing results on: CSV rows, JSON documents and FHIR R4 resources built from stored
//! screenings. Pure: the callers (web, command line) fetch the screenings and write the bytes.

pub mod fhir;
pub mod table;

use crate::screening::Coded;
use crate::store::StoredScreening;

/// One screening as a JSON document: answers and result side by side.
pub fn json_document(screening: &StoredScreening) -> serde_json::Value {
    serde_json::json!({
        "review_code": screening.review_code.as_str(),
        "clinician": screening.owner,
        "year": screening.year,
        "rules_version": screening.outcome.rules_version.as_str(),
        "band": screening.outcome.band.code(),
        "prior_review_code": screening.prior.as_ref().map(|code| code.as_str()),
        "administration": screening.administration.code(),
        "client_language": screening.client_language.map(|code| code.to_string()),
        "intake_corrected": screening.intake_corrected,
        "client_answers": screening.client_answers.as_ref().map(client_answers),
        "answers": screening.answers.to_document(),
        "result": screening.outcome.to_document(),
    })
}

/// The client's own answers to the six intake questions (PRODUCT §6.1), as in the answers
/// document (§3.2) but without the details, which are the clinician's.
fn client_answers(answers: &crate::screening::Answers) -> serde_json::Value {
    let mut document = answers.to_document();
    if let Some(fields) = document.as_object_mut() {
        fields.retain(|field, _| crate::screening::IntakeQuestion::from_field(field).is_some());
    }
    document
}
