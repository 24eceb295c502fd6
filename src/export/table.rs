//! The CSV layout: one row per screening, every coded answer and the result.

use crate::screening::answers::IntakeAnswer;
use crate::screening::{Coded, Indicator, IntakeQuestion};
use crate::store::StoredScreening;

/// Joins several codes in one cell.
const LIST_SEPARATOR: &str = ";";

/// The header row.
pub fn header() -> Vec<&'static str> {
    let mut header = vec!["review_code", "clinician", "year", "rules_version"];
    header.extend(IntakeQuestion::ALL.iter().map(|question| question.field()));
    header.extend(["pattern", "control"]);
    header.extend(Indicator::ALL.iter().map(|indicator| indicator.code()));
    header.extend([
        "band",
        "red_flag_count",
        "red_flags",
        "declined",
        "further_investigation",
        "referral",
        "provisional",
        "incomplete",
        "administration",
        "client_language",
        "intake_corrected",
        "prior_review_code",
    ]);
    header
}

/// One screening's row, in the header's order.
pub fn row(screening: &StoredScreening) -> Vec<String> {
    let answers = &screening.answers;
    let outcome = &screening.outcome;
    let fields = |questions: &[IntakeQuestion]| {
        questions
            .iter()
            .map(|question| question.field())
            .collect::<Vec<_>>()
            .join(LIST_SEPARATOR)
    };
    let mut row = vec![
        screening.review_code.to_string(),
        screening.owner.clone(),
        screening.year.to_string(),
        outcome.rules_version.to_string(),
    ];
    row.extend(
        IntakeQuestion::ALL
            .iter()
            .map(|&question| match answers.intake(question) {
                IntakeAnswer::Reply(reply) => reply.code().to_owned(),
                IntakeAnswer::Escape(escape) => escape.codes().join(LIST_SEPARATOR),
            }),
    );
    row.push(
        answers
            .pattern
            .map_or("", |pattern| pattern.code())
            .to_owned(),
    );
    row.push(answers.control.code().to_owned());
    row.extend(
        Indicator::ALL
            .iter()
            .map(|&indicator| answers.observed(indicator).to_string()),
    );
    row.extend([
        outcome.band.code().to_owned(),
        outcome.red_flags.len().to_string(),
        fields(&outcome.red_flags),
        fields(&outcome.declined),
        outcome.further_investigation.to_string(),
        outcome.referral.to_string(),
        outcome.provisional.to_string(),
        outcome.incomplete.to_string(),
        screening.administration.code().to_owned(),
        screening
            .client_language
            .map(|code| code.to_string())
            .unwrap_or_default(),
        screening.intake_corrected.to_string(),
        screening
            .prior
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
    ]);
    row
}

/// Writes rows as CSV into a buffer (the `csv` crate does the quoting).
pub fn to_csv<'a>(
    with_header: bool,
    screenings: impl IntoIterator<Item = &'a StoredScreening>,
) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    if with_header {
        writer.write_record(header())?;
    }
    for screening in screenings {
        writer.write_record(row(screening))?;
    }
    writer
        .into_inner()
        .map_err(|error| error.into_error().into())
}
