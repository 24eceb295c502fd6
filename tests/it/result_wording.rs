//! What a result says (PRODUCT §2.4c), for the results of every rules version: as properties
//! over arbitrary answers, the page's words never outrun the record — no article phrase for a
//! pattern or an indicator that was not recorded, no level description for a result not
//! screened, neutral styling for incomplete and provisional results, every contradiction
//! named, every observation under "Why", and next steps that follow the record.

use crate::helpers::arbitrary_answers::{arb_answers, regressions_beside_source};
use intake_screener::screening::guidance::{self, NextStep};
use intake_screener::screening::{
    Answers, Band, Coded, Control, Inconsistency, Indicator, Outcome, Pattern, RulesVersion,
};
use proptest::prelude::*;
use serde_json::json;

/// Everything a result page says in words, but the disclaimer.
fn page_words(answers: &Answers, outcome: &Outcome) -> String {
    let mut words = vec![outcome.band.level_name().to_owned()];
    words.extend(guidance::result_description(answers, outcome));
    words.extend(
        guidance::inconsistency_lines(answers)
            .into_iter()
            .map(str::to_owned),
    );
    words.extend(guidance::incomplete_lead(answers, outcome));
    words.extend(guidance::provisional_note(answers, outcome));
    words.extend(outcome.reasons.texts());
    words.extend(guidance::unnamed_observations(answers, outcome));
    words.extend(
        guidance::next_steps(answers, outcome)
            .iter()
            .map(NextStep::text),
    );
    words.join("\n")
}

/// A keyword that any line about this indicator carries, in every version's words.
fn keyword(indicator: Indicator) -> &'static str {
    match indicator {
        Indicator::EscapeUse => "escape",
        Indicator::Secrecy => "secre",
        Indicator::Escalation => "escalat",
        Indicator::DespiteConsequences => "despite",
        Indicator::FunctioningImpaired => "negatively affected",
        Indicator::MinimizesOrBlames => "minimiz",
    }
}

fn versions() -> impl Strategy<Value = RulesVersion> {
    prop::sample::select(RulesVersion::ALL.to_vec())
}

fn answers(document: serde_json::Value) -> Answers {
    Answers::from_json(&document.to_string()).unwrap()
}

proptest! {
    #![proptest_config(regressions_beside_source(ProptestConfig::with_cases(2000)))]

    #[test]
    fn the_description_says_only_what_was_recorded(answers in arb_answers(), version in versions()) {
        let outcome = version.score(&answers);
        let description = guidance::result_description(&answers, &outcome);
        prop_assert_eq!(description.is_none(), outcome.band == Band::NotScreened);
        let description = description.unwrap_or_default();
        let recorded = |pattern: Pattern| answers.pattern == Some(pattern);
        for (phrase, allowed) in [
            ("intense engagement", recorded(Pattern::IntensePeriods)),
            ("compulsive", recorded(Pattern::Compulsive)),
            ("fascinating", recorded(Pattern::Occasional)),
            ("not sustained", recorded(Pattern::Occasional)),
            ("regardless of", answers.observed(Indicator::DespiteConsequences)),
            ("negatively affected", answers.observed(Indicator::FunctioningImpaired)),
            ("numb", answers.observed(Indicator::EscapeUse)),
            ("escalat", answers.observed(Indicator::Escalation)),
            ("minimiz", answers.observed(Indicator::MinimizesOrBlames)),
            ("retain", answers.control == Control::Retained),
        ] {
            prop_assert!(
                allowed || !description.contains(phrase),
                "{:?}: {:?} not recorded: {}", version, phrase, description
            );
        }
        if outcome.band == Band::Addicted {
            prop_assert!(description.starts_with("The article describes addicted users"));
        }
    }

    #[test]
    fn no_diagnosis_words_and_a_level_never_a_diagnosis(answers in arb_answers(), version in versions()) {
        let outcome = version.score(&answers);
        let words = page_words(&answers, &outcome).to_lowercase();
        for diagnosis in ["diagnos", "disorder", "is addicted", "is an addict", "suffers"] {
            prop_assert!(!words.contains(diagnosis), "{}: {}", diagnosis, words);
        }
        let level = outcome.band.level_name();
        prop_assert!(
            (level.starts_with("Level: ") && level.ends_with("use (Weiss 2015)"))
                || outcome.band == Band::NotScreened,
            "{}", level
        );
    }

    #[test]
    fn incomplete_provisional_and_not_screened_are_neutral(answers in arb_answers(), version in versions()) {
        let outcome = version.score(&answers);
        let neutral = outcome.provisional || outcome.incomplete || outcome.band == Band::NotScreened;
        prop_assert_eq!(guidance::tone(&outcome) == "neutral", neutral);
    }

    #[test]
    fn every_contradiction_leads_and_every_observation_is_in_why(answers in arb_answers(), version in versions()) {
        let outcome = version.score(&answers);
        let lines = guidance::inconsistency_lines(&answers);
        for inconsistency in Inconsistency::ALL {
            prop_assert_eq!(lines.contains(&inconsistency.text()), inconsistency.holds(&answers));
        }
        let why: Vec<String> = outcome
            .reasons
            .texts()
            .into_iter()
            .chain(guidance::unnamed_observations(&answers, &outcome))
            .collect::<Vec<_>>()
            .into_iter()
            .map(|line| line.to_lowercase())
            .collect();
        for &indicator in Indicator::ALL {
            if answers.observed(indicator) {
                prop_assert!(
                    why.iter().any(|line| line.contains(keyword(indicator))),
                    "{:?} observed but not in Why: {:?}", indicator, why
                );
            }
        }
    }

    #[test]
    fn next_steps_follow_the_record(answers in arb_answers(), version in versions()) {
        let outcome = version.score(&answers);
        let steps = guidance::next_steps(&answers, &outcome);
        let position = |wanted: fn(&NextStep) -> bool| steps.iter().position(wanted);
        if let (Some(investigate), Some(refer)) = (
            position(|step| matches!(step, NextStep::InvestigateFurther)),
            position(|step| matches!(step, NextStep::Refer { .. })),
        ) {
            prop_assert!(investigate < refer, "a deeper investigation before referral");
        }
        prop_assert_eq!(position(|step| matches!(step, NextStep::Refer { .. })).is_some(), outcome.referral);
        let texts: Vec<String> = steps.iter().map(NextStep::text).collect();
        let all = texts.join("\n");
        if answers.pattern.is_some() {
            prop_assert!(!all.contains("Record the pattern"), "the pattern is recorded: {}", all);
        }
        if answers.control != Control::NotAssessed {
            prop_assert!(!all.contains("(control)") && !all.contains("Assess control"), "{}", all);
        }
        prop_assert_eq!(all.contains("A declined answer is not a no"), !outcome.declined.is_empty());
        prop_assert_eq!(all.contains("early-life trauma"), outcome.band.is_concern());
        prop_assert!(!all.contains("validated") && !all.contains("is indicated"), "{}", all);
        if outcome.referral && outcome.provisional {
            prop_assert!(all.contains("once the details are confirmed"), "{}", all);
        }
    }
}

#[test]
fn casual_without_details_and_with_pattern_none() {
    let clear = answers(json!({
        "q1_concern_expressed": "no", "q2_self_concern": "no", "q3_escape": ["exercise"],
        "q4_secrets": "no", "q5_others_disturbed": "no", "q6_shame": "no",
    }));
    let outcome = RulesVersion::V3.score(&clear);
    let description = guidance::result_description(&clear, &outcome).unwrap();
    assert!(
        description.contains("No at-risk sign recorded so far; the details were not assessed."),
        "{description}"
    );
    let none = answers(json!({
        "q1_concern_expressed": "no", "q2_self_concern": "no", "q3_escape": ["exercise"],
        "q4_secrets": "no", "q5_others_disturbed": "no", "q6_shame": "no",
        "pattern": "none", "control": "retained",
    }));
    let outcome = RulesVersion::V3.score(&none);
    let description = guidance::result_description(&none, &outcome).unwrap();
    assert!(description.contains("No online sexual activity of note was recorded"));
    assert_eq!(
        guidance::tone(&outcome),
        "casual",
        "complete and consistent"
    );
}

#[test]
fn an_incomplete_lead_says_what_the_level_rests_on() {
    let base = json!({
        "q1_concern_expressed": "declined", "q2_self_concern": "declined",
        "q3_escape": ["declined"], "q4_secrets": "declined", "q5_others_disturbed": "no",
        "q6_shame": "yes",
    });
    let lead = |patch: serde_json::Value| {
        let mut document = base.clone();
        for (field, value) in patch.as_object().unwrap() {
            document[field] = value.clone();
        }
        let answers = answers(document);
        guidance::incomplete_lead(&answers, &RulesVersion::V3.score(&answers)).unwrap()
    };
    assert_eq!(
        lead(json!({})),
        "Incomplete: 4 of 6 declined. The level rests on the 2 answered questions alone; the \
         details were not assessed."
    );
    assert_eq!(
        lead(json!({"pattern": "occasional"})),
        "Incomplete: 4 of 6 declined. The level rests on the 2 answered questions and the \
         clinician's observations."
    );
    assert_eq!(
        lead(
            json!({"q5_others_disturbed": "declined", "q6_shame": "declined", "pattern": "compulsive", "control": "lost"})
        ),
        "Incomplete: 6 of 6 declined. The level rests on the clinician's observations alone."
    );
    assert_eq!(
        lead(json!({"q5_others_disturbed": "declined", "q6_shame": "declined"})),
        "Incomplete: 6 of 6 declined. Nothing was recorded for a level to rest on."
    );
}

#[test]
fn the_faithful_quotes() {
    let secrecy_alone = answers(json!({
        "q1_concern_expressed": "no", "q2_self_concern": "no", "q3_escape": ["exercise"],
        "q4_secrets": "yes", "q5_others_disturbed": "no", "q6_shame": "no",
        "pattern": "occasional", "control": "retained", "secrecy": true,
    }));
    let outcome = RulesVersion::V3.score(&secrecy_alone);
    assert_eq!(outcome.band, Band::Casual);
    let words = page_words(&secrecy_alone, &outcome);
    assert!(
        words.contains("\"may only be casual or at-risk cybersex users, rather than addicted\"")
    );
    let addicted = answers(json!({
        "q1_concern_expressed": "yes", "q2_self_concern": "no", "q3_escape": ["pornography"],
        "q4_secrets": "yes", "q5_others_disturbed": "no", "q6_shame": "no",
        "pattern": "compulsive", "control": "lost", "despite_consequences": true,
    }));
    let outcome = RulesVersion::V3.score(&addicted);
    assert!(!outcome.provisional);
    let steps: Vec<String> = guidance::next_steps(&addicted, &outcome)
        .iter()
        .map(NextStep::text)
        .collect();
    assert!(steps.iter().any(|step| step.contains(
        "\"the confidential, easily administered sex addiction screening tests found on the \
         Sexual Recovery Institute website\" (e.g. SAST-R, ISST)"
    )));
    assert!(steps.iter().any(|step| step.contains(
        "The article advises referral to a sexual addiction treatment specialist (IITAP and SASH \
         train and certify them and list providers)"
    )));
    let description = guidance::result_description(&addicted, &outcome).unwrap();
    assert!(description.contains("regardless of potential or actual consequences"));
    assert!(!description.contains("negatively affected"), "not observed");
}

#[test]
fn the_form_carries_the_articles_two_missing_points() {
    let advice = guidance::BEFORE_YOU_ASK.join(" ");
    assert!(advice.contains("tempting for therapists to take these clients at their word"));
    assert!(advice.contains("anonymous") && advice.contains("compartmentalized"));
}

/// At-risk by this app's three-red-flag threshold, with secrecy observed: the description says
/// the level rests on the app's threshold, and that secrecy did not count (versions 2 and 3).
#[test]
fn an_at_risk_result_by_red_flags_with_secrecy_names_the_threshold() {
    let record = answers(json!({
        "q1_concern_expressed": "yes", "q2_self_concern": "yes", "q3_escape": ["exercise"],
        "q4_secrets": "yes", "q5_others_disturbed": "no", "q6_shame": "no",
        "pattern": "occasional", "control": "retained", "secrecy": true,
    }));
    for version in [RulesVersion::V2, RulesVersion::V3] {
        let outcome = version.score(&record);
        assert_eq!(outcome.band, Band::AtRisk);
        let description = guidance::result_description(&record, &outcome).unwrap();
        assert!(
            description.contains("this app (not the article)"),
            "{description}"
        );
        assert!(description.contains("secrecy was observed, which alone raises no level"));
        assert!(
            !description.contains("The article describes at-risk users"),
            "{description}"
        );
    }
}
