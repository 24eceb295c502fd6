//! Scoring rules, version 2 (PRODUCT §2.3b), kept for the results scored with it.
//!
//! First a table of named cases covering every clause of every rule and each boundary, each
//! asserting the whole outcome (band, red flags, declined, the four derived flags and the
//! exact reasons in order). Then where version 2 parts from version 1, and why. Then
//! properties over arbitrary valid answers: monotone, deterministic and total, explained, and
//! derived flags matching their definitions, against an independent reading of the product contract (docs/PRODUCT.md).

use std::collections::{BTreeSet, HashSet};

use crate::helpers::arbitrary_answers::{
    arb_answers, expected_declined, expected_red_flags, regressions_beside_source, reply_mut,
};
use intake_screener::screening::IntakeQuestion::{
    ConcernExpressed as Q1, Escape as Q3, OthersDisturbed as Q5, Secrets as Q4, SelfConcern as Q2,
    Shame as Q6,
};
use intake_screener::screening::{
    Answers, Band, Coded, Control, CopingCode, EscapeAnswer, Indicator, IntakeQuestion, Outcome,
    Pattern, ReasonV2, ReasonV2 as R, Reply, RulesVersion,
};
use proptest::prelude::*;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// Every intake question answered `no`, question 3 a non-sexual way, no details.
fn answers_with(patch: &Value) -> Answers {
    let mut document = json!({
        "q1_concern_expressed": "no", "q2_self_concern": "no", "q3_escape": ["exercise"],
        "q4_secrets": "no", "q5_others_disturbed": "no", "q6_shame": "no",
    });
    let fields = document.as_object_mut().expect("an object");
    for (field, value) in patch.as_object().expect("a patch is an object") {
        fields.insert(field.clone(), value.clone());
    }
    let text = document.to_string();
    Answers::from_json(&text).unwrap_or_else(|errors| panic!("{text} should parse: {errors}"))
}

fn score(answers: &Answers) -> Outcome {
    RulesVersion::V2.score(answers)
}

fn v2_reasons(outcome: &Outcome) -> Vec<ReasonV2> {
    outcome
        .reasons
        .v2()
        .expect("a version-2 outcome has version-2 reasons")
        .to_vec()
}

/// The derived flags of a case: further investigation, referral, provisional, incomplete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Flags {
    further: bool,
    referral: bool,
    provisional: bool,
    incomplete: bool,
}

const fn flags(further: bool, referral: bool, provisional: bool, incomplete: bool) -> Flags {
    Flags {
        further,
        referral,
        provisional,
        incomplete,
    }
}

/// One named case: a patch on the baseline and the whole expected outcome.
struct Case {
    name: &'static str,
    patch: Value,
    band: Band,
    red_flags: Vec<IntakeQuestion>,
    declined: Vec<IntakeQuestion>,
    flags: Flags,
    reasons: Vec<ReasonV2>,
}

fn case(
    name: &'static str,
    patch: Value,
    band: Band,
    red_flags: Vec<IntakeQuestion>,
    declined: Vec<IntakeQuestion>,
    flags: Flags,
    reasons: Vec<ReasonV2>,
) -> Case {
    Case {
        name,
        patch,
        band,
        red_flags,
        declined,
        flags,
        reasons,
    }
}

/// Checks every case and reports every mismatch at once.
fn run(cases: Vec<Case>) {
    let mut failures = Vec::new();
    let mut names = HashSet::new();
    for case in &cases {
        assert!(names.insert(case.name), "duplicate case name {}", case.name);
        let outcome = score(&answers_with(&case.patch));
        let got = (
            outcome.band,
            outcome.red_flags.clone(),
            outcome.declined.clone(),
            flags(
                outcome.further_investigation,
                outcome.referral,
                outcome.provisional,
                outcome.incomplete,
            ),
            v2_reasons(&outcome),
            outcome.rules_version,
        );
        let want = (
            case.band,
            case.red_flags.clone(),
            case.declined.clone(),
            case.flags,
            case.reasons.clone(),
            RulesVersion::V2,
        );
        if got != want {
            failures.push(format!(
                "case `{}` (patch {}):\n    want {want:?}\n    got  {got:?}",
                case.name, case.patch
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

const YES_NO: [IntakeQuestion; 5] = [Q1, Q2, Q4, Q5, Q6];

// ---------------------------------------------------------------------------------------------
// Rule 1: addicted = control lost AND (signs OR secrecy)
// ---------------------------------------------------------------------------------------------

#[test]
fn rule_1_addicted_by_each_sign_with_control_lost() {
    let mut cases = vec![
        case(
            "lost + compulsive",
            json!({"control": "lost", "pattern": "compulsive"}),
            Band::Addicted,
            vec![],
            vec![],
            flags(true, true, false, false),
            vec![R::ControlLost, R::Pattern(Pattern::Compulsive)],
        ),
        case(
            "lost + intense periods (v1: at-risk)",
            json!({"control": "lost", "pattern": "intense_periods"}),
            Band::Addicted,
            vec![],
            vec![],
            flags(true, true, false, false),
            vec![R::ControlLost, R::Pattern(Pattern::IntensePeriods)],
        ),
    ];
    // Each indicator alone, secrecy included, with a pattern that is no sign by itself.
    for &indicator in Indicator::ALL {
        let mut patch = json!({"control": "lost", "pattern": "occasional"});
        patch[indicator.code()] = json!(true);
        cases.push(case(
            Box::leak(format!("lost + {} (pattern occasional)", indicator.code()).into_boxed_str()),
            patch,
            Band::Addicted,
            vec![],
            vec![],
            flags(true, true, false, false),
            vec![R::ControlLost, R::Observed(indicator)],
        ));
    }
    run(cases);
}

#[test]
fn rule_1_reasons_and_flags() {
    run(vec![
        case(
            "lost + every sign: control first, then the pattern, then indicators in order",
            json!({
                "control": "lost", "pattern": "compulsive", "escape_use": true, "secrecy": true,
                "escalation": true, "despite_consequences": true, "functioning_impaired": true,
                "minimizes_or_blames": true,
            }),
            Band::Addicted,
            vec![],
            vec![],
            flags(true, true, false, false),
            vec![
                R::ControlLost,
                R::Pattern(Pattern::Compulsive),
                R::Observed(Indicator::EscapeUse),
                R::Observed(Indicator::Secrecy),
                R::Observed(Indicator::Escalation),
                R::Observed(Indicator::DespiteConsequences),
                R::Observed(Indicator::FunctioningImpaired),
                R::Observed(Indicator::MinimizesOrBlames),
            ],
        ),
        case(
            "lost + secrecy, pattern not assessed: provisional",
            json!({"control": "lost", "secrecy": true}),
            Band::Addicted,
            vec![],
            vec![],
            flags(true, true, true, false),
            vec![R::ControlLost, R::Observed(Indicator::Secrecy)],
        ),
        case(
            "lost + compulsive with three red flags: the red flags are no clause of rule 1",
            json!({
                "control": "lost", "pattern": "compulsive",
                "q1_concern_expressed": "yes", "q2_self_concern": "yes", "q4_secrets": "yes",
            }),
            Band::Addicted,
            vec![Q1, Q2, Q4],
            vec![],
            flags(true, true, false, false),
            vec![R::ControlLost, R::Pattern(Pattern::Compulsive)],
        ),
        case(
            "lost + functioning impaired, two declined: incomplete",
            json!({
                "control": "lost", "pattern": "none", "functioning_impaired": true,
                "q1_concern_expressed": "declined", "q3_escape": ["declined"],
            }),
            Band::Addicted,
            vec![],
            vec![Q1, Q3],
            flags(true, true, false, true),
            vec![R::ControlLost, R::Observed(Indicator::FunctioningImpaired)],
        ),
    ]);
}

// ---------------------------------------------------------------------------------------------
// Rule 2: at-risk = signs OR control lost OR red flags >= 3
// ---------------------------------------------------------------------------------------------

#[test]
fn rule_2_each_sign_alone_with_control_retained() {
    let mut cases = vec![
        case(
            "intense periods, control retained",
            json!({"pattern": "intense_periods", "control": "retained"}),
            Band::AtRisk,
            vec![],
            vec![],
            flags(true, false, false, false),
            vec![R::Pattern(Pattern::IntensePeriods)],
        ),
        case(
            "compulsive, control retained",
            json!({"pattern": "compulsive", "control": "retained"}),
            Band::AtRisk,
            vec![],
            vec![],
            flags(true, false, false, false),
            vec![R::Pattern(Pattern::Compulsive)],
        ),
    ];
    for &indicator in Indicator::ALL {
        if indicator == Indicator::Secrecy {
            continue;
        }
        let mut patch = json!({"pattern": "occasional", "control": "retained"});
        patch[indicator.code()] = json!(true);
        cases.push(case(
            Box::leak(format!("{} alone, control retained", indicator.code()).into_boxed_str()),
            patch,
            Band::AtRisk,
            vec![],
            vec![],
            flags(true, false, false, false),
            vec![R::Observed(indicator)],
        ));
    }
    run(cases);
}

#[test]
fn rule_2_control_lost_without_signs_is_at_risk_and_provisional() {
    run(vec![
        case(
            "lost alone, pattern occasional",
            json!({"control": "lost", "pattern": "occasional"}),
            Band::AtRisk,
            vec![],
            vec![],
            flags(true, false, true, false),
            vec![R::ControlLostWithoutSigns],
        ),
        case(
            "lost alone, pattern none",
            json!({"control": "lost", "pattern": "none"}),
            Band::AtRisk,
            vec![],
            vec![],
            flags(true, false, true, false),
            vec![R::ControlLostWithoutSigns],
        ),
        case(
            "lost alone, pattern not assessed",
            json!({"control": "lost"}),
            Band::AtRisk,
            vec![],
            vec![],
            flags(true, false, true, false),
            vec![R::ControlLostWithoutSigns],
        ),
        case(
            "lost with three red flags and no sign",
            json!({
                "control": "lost", "pattern": "occasional",
                "q1_concern_expressed": "yes", "q5_others_disturbed": "yes", "q6_shame": "yes",
            }),
            Band::AtRisk,
            vec![Q1, Q5, Q6],
            vec![],
            flags(true, false, true, false),
            vec![R::ControlLostWithoutSigns, R::RedFlags(3)],
        ),
    ]);
}

#[test]
fn rule_2_red_flag_threshold_and_provisional_boundaries() {
    let three = json!({
        "q1_concern_expressed": "yes", "q2_self_concern": "yes",
        "q3_escape": ["pornography", "exercise"],
    });
    let with = |extra: Value| {
        let mut patch = three.clone();
        for (field, value) in extra.as_object().unwrap() {
            patch[field] = value.clone();
        }
        patch
    };
    run(vec![
        case(
            "three red flags, details not assessed: provisional",
            three.clone(),
            Band::AtRisk,
            vec![Q1, Q2, Q3],
            vec![],
            flags(true, false, true, false),
            vec![R::RedFlags(3)],
        ),
        case(
            "three red flags, pattern and control assessed",
            with(json!({"pattern": "occasional", "control": "retained"})),
            Band::AtRisk,
            vec![Q1, Q2, Q3],
            vec![],
            flags(true, false, false, false),
            vec![R::RedFlags(3)],
        ),
        case(
            "three red flags, pattern assessed, control not: provisional",
            with(json!({"pattern": "occasional"})),
            Band::AtRisk,
            vec![Q1, Q2, Q3],
            vec![],
            flags(true, false, true, false),
            vec![R::RedFlags(3)],
        ),
        case(
            "three red flags, control assessed, pattern not: provisional",
            with(json!({"control": "retained"})),
            Band::AtRisk,
            vec![Q1, Q2, Q3],
            vec![],
            flags(true, false, true, false),
            vec![R::RedFlags(3)],
        ),
        case(
            "six red flags",
            json!({
                "q1_concern_expressed": "yes", "q2_self_concern": "yes", "q3_escape": ["masturbation"],
                "q4_secrets": "yes", "q5_others_disturbed": "yes", "q6_shame": "yes",
                "pattern": "none", "control": "retained",
            }),
            Band::AtRisk,
            vec![Q1, Q2, Q3, Q4, Q5, Q6],
            vec![],
            flags(true, false, false, false),
            vec![R::RedFlags(6)],
        ),
        case(
            "a sign with control not assessed: provisional",
            json!({"pattern": "intense_periods", "escalation": true}),
            Band::AtRisk,
            vec![],
            vec![],
            flags(true, false, true, false),
            vec![
                R::Pattern(Pattern::IntensePeriods),
                R::Observed(Indicator::Escalation),
            ],
        ),
        case(
            "signs, secrecy and three red flags: secrecy is no at-risk clause",
            with(json!({
                "pattern": "intense_periods", "control": "retained",
                "escape_use": true, "secrecy": true,
            })),
            Band::AtRisk,
            vec![Q1, Q2, Q3],
            vec![],
            flags(true, false, false, false),
            vec![
                R::Pattern(Pattern::IntensePeriods),
                R::Observed(Indicator::EscapeUse),
                R::RedFlags(3),
            ],
        ),
    ]);
}

// ---------------------------------------------------------------------------------------------
// Rule 3: casual
// ---------------------------------------------------------------------------------------------

#[test]
fn rule_3_casual() {
    let all_declined = json!({
        "q1_concern_expressed": "declined", "q2_self_concern": "declined",
        "q3_escape": ["declined"], "q4_secrets": "declined", "q5_others_disturbed": "declined",
        "q6_shame": "declined",
    });
    run(vec![
        case(
            "nothing at all",
            json!({}),
            Band::Casual,
            vec![],
            vec![],
            flags(false, false, false, false),
            vec![R::NoSign(0)],
        ),
        case(
            "two red flags, details not assessed: provisional",
            json!({"q2_self_concern": "yes", "q6_shame": "yes"}),
            Band::Casual,
            vec![Q2, Q6],
            vec![],
            flags(true, false, true, false),
            vec![R::NoSign(2)],
        ),
        case(
            "two red flags, occasional, control retained",
            json!({"q2_self_concern": "yes", "q6_shame": "yes", "pattern": "occasional", "control": "retained"}),
            Band::Casual,
            vec![Q2, Q6],
            vec![],
            flags(true, false, false, false),
            vec![R::NoSign(2)],
        ),
        case(
            "one red flag from a sexual coping code, details assessed",
            json!({"q3_escape": ["dating_or_hookup_apps"], "pattern": "none", "control": "retained"}),
            Band::Casual,
            vec![Q3],
            vec![],
            flags(true, false, false, false),
            vec![R::NoSign(1)],
        ),
        case(
            "secrecy alone (v1: at-risk)",
            json!({"pattern": "occasional", "secrecy": true}),
            Band::Casual,
            vec![],
            vec![],
            flags(false, false, false, false),
            vec![R::NoSign(0), R::SecrecyAlone],
        ),
        case(
            "secrecy with two red flags, details assessed",
            json!({
                "q1_concern_expressed": "yes", "q4_secrets": "yes", "secrecy": true,
                "pattern": "occasional", "control": "retained",
            }),
            Band::Casual,
            vec![Q1, Q4],
            vec![],
            flags(true, false, false, false),
            vec![R::NoSign(2), R::SecrecyAlone],
        ),
        case(
            "control retained alone",
            json!({"control": "retained"}),
            Band::Casual,
            vec![],
            vec![],
            flags(false, false, false, false),
            vec![R::NoSign(0)],
        ),
        case(
            "one question declined: complete",
            json!({"q5_others_disturbed": "declined"}),
            Band::Casual,
            vec![],
            vec![Q5],
            flags(false, false, false, false),
            vec![R::NoSign(0)],
        ),
        case(
            "two questions declined: incomplete",
            json!({"q5_others_disturbed": "declined", "q6_shame": "declined"}),
            Band::Casual,
            vec![],
            vec![Q5, Q6],
            flags(false, false, false, true),
            vec![R::NoSign(0)],
        ),
        case(
            "all six declined",
            all_declined,
            Band::Casual,
            vec![],
            vec![Q1, Q2, Q3, Q4, Q5, Q6],
            flags(false, false, false, true),
            vec![R::NoSign(0)],
        ),
    ]);
}

// ---------------------------------------------------------------------------------------------
// Where version 2 parts from version 1
// ---------------------------------------------------------------------------------------------

#[test]
fn version_2_corrects_the_three_contradictions_of_version_1() {
    let v1 = |patch: Value| RulesVersion::V1.score(&answers_with(&patch));
    let v2 = |patch: Value| RulesVersion::V2.score(&answers_with(&patch));

    // A client who cannot stop, with at-risk-like use, is addicted, not at-risk.
    let cannot_stop = json!({"control": "lost", "pattern": "intense_periods", "secrecy": true});
    assert_eq!(v1(cannot_stop.clone()).band, Band::AtRisk);
    assert_eq!(v2(cannot_stop).band, Band::Addicted);

    // Secrecy alone does not make a client at-risk.
    let secrecy = json!({"pattern": "occasional", "secrecy": true});
    assert_eq!(v1(secrecy.clone()).band, Band::AtRisk);
    assert_eq!(v2(secrecy).band, Band::Casual);

    // A compulsive pattern with consequences and impaired functioning, control never
    // assessed: at-risk in both, but only version 2 marks it provisional.
    let unassessed = json!({
        "pattern": "compulsive", "despite_consequences": true, "functioning_impaired": true,
    });
    let (old, new) = (v1(unassessed.clone()), v2(unassessed));
    assert_eq!((old.band, old.provisional), (Band::AtRisk, false));
    assert_eq!((new.band, new.provisional), (Band::AtRisk, true));
}

#[test]
fn version_2_is_named_2() {
    let outcome = RulesVersion::V2.score(&answers_with(&json!({})));
    assert_eq!(outcome.rules_version, RulesVersion::V2);
    assert_eq!(outcome.to_document()["rules_version"], "2");
}

#[test]
fn reason_texts_in_plain_words_without_the_band_word_in_front() {
    let mut all = vec![
        R::ControlLost,
        R::ControlLostWithoutSigns,
        R::RedFlags(3),
        R::RedFlags(6),
        R::NoSign(0),
        R::NoSign(1),
        R::NoSign(2),
        R::SecrecyAlone,
    ];
    all.extend([Pattern::IntensePeriods, Pattern::Compulsive].map(R::Pattern));
    all.extend(
        Indicator::ALL
            .iter()
            .map(|&indicator| R::Observed(indicator)),
    );
    for reason in all {
        let text = reason.text();
        assert_sentence(&text).unwrap_or_else(|error| panic!("{error}"));
        for band in Band::ALL {
            assert!(
                !text.starts_with(band.label()),
                "the band word is shown once, not on each reason: {text}"
            );
        }
        assert_eq!(reason.to_string(), text);
    }
    assert!(R::RedFlags(4).text().starts_with("4 of the six"));
    assert!(R::RedFlags(3).text().contains("this app's heuristic"));
    assert!(R::RedFlags(3).text().contains("not the article's"));
    assert!(
        R::NoSign(0)
            .text()
            .contains("No intake question raised a red flag")
    );
    assert!(R::NoSign(1).text().contains("1 red flag "));
    assert!(R::NoSign(2).text().contains("2 red flags"));
    assert!(R::SecrecyAlone.text().contains("compartmentalize"));
    assert!(R::ControlLost.text().contains("can stop on their own"));
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

fn band(answers: &Answers) -> Band {
    score(answers).band
}

/// PRODUCT §2.3b `signs`, written independently of the crate.
fn has_signs(answers: &Answers) -> bool {
    matches!(
        answers.pattern,
        Some(Pattern::IntensePeriods | Pattern::Compulsive)
    ) || answers
        .observed
        .iter()
        .any(|indicator| indicator.code() != "secrecy")
}

/// PRODUCT §2.3b rules 1–3, written independently of the crate.
fn expected_band(answers: &Answers) -> Band {
    let lost = answers.control == Control::Lost;
    let secrecy = answers.observed.contains(&Indicator::Secrecy);
    if lost && (has_signs(answers) || secrecy) {
        Band::Addicted
    } else if has_signs(answers) || lost || expected_red_flags(answers).len() >= 3 {
        Band::AtRisk
    } else {
        Band::Casual
    }
}

fn assert_sentence(text: &str) -> Result<(), TestCaseError> {
    prop_assert!(
        text.chars()
            .next()
            .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit()),
        "a reason starts with a capital: {text:?}"
    );
    prop_assert!(
        text.ends_with('.'),
        "a reason ends with a full stop: {text:?}"
    );
    prop_assert!(text.split_whitespace().count() >= 4, "too short: {text:?}");
    prop_assert!(
        !text.contains('_'),
        "a code leaked into the words: {text:?}"
    );
    prop_assert!(!text.contains(['{', '}']), "unformatted text: {text:?}");
    Ok(())
}

/// Guards against a vacuous strategy: it reaches every band and both values of every flag.
#[test]
fn the_answers_strategy_reaches_every_band_and_flag() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = arb_answers();
    let mut bands = BTreeSet::new();
    let mut seen = BTreeSet::new();
    for _ in 0..512 {
        let outcome = score(&strategy.new_tree(&mut runner).expect("a tree").current());
        bands.insert(outcome.band);
        seen.insert(("further", outcome.further_investigation));
        seen.insert(("referral", outcome.referral));
        seen.insert(("provisional", outcome.provisional));
        seen.insert(("incomplete", outcome.incomplete));
    }
    assert_eq!(bands.len(), 3, "bands reached: {bands:?}");
    assert_eq!(seen.len(), 8, "flags reached: {seen:?}");
}

proptest! {
    #![proptest_config(regressions_beside_source(ProptestConfig::default()))]
    // (a) Monotone (PRODUCT §2.3, the same properties for version 2).

    #[test]
    fn monotone_yes_instead_of_no(answers in arb_answers()) {
        let before = band(&answers);
        for question in YES_NO {
            let mut changed = answers.clone();
            let reply = reply_mut(&mut changed, question).expect("a yes/no question");
            if *reply == Reply::No {
                *reply = Reply::Yes;
                let after = band(&changed);
                prop_assert!(after >= before, "{question:?} no -> yes: {before:?} -> {after:?}");
            }
        }
    }

    #[test]
    fn monotone_adding_a_sexual_coping_code(answers in arb_answers()) {
        let before = band(&answers);
        if let EscapeAnswer::Ways(ways) = &answers.escape {
            for code in CopingCode::sexual_or_romantic() {
                let mut more = ways.clone();
                if more.insert(code) {
                    let mut changed = answers.clone();
                    changed.escape = EscapeAnswer::Ways(more);
                    let after = band(&changed);
                    prop_assert!(after >= before, "adding {code:?}: {before:?} -> {after:?}");
                }
            }
        }
    }

    #[test]
    fn monotone_observing_one_more_indicator(answers in arb_answers()) {
        let before = band(&answers);
        for &indicator in Indicator::ALL {
            let mut changed = answers.clone();
            if changed.observed.insert(indicator) {
                let after = band(&changed);
                prop_assert!(after >= before, "observing {indicator:?}: {before:?} -> {after:?}");
            }
        }
    }

    #[test]
    fn monotone_pattern_up(answers in arb_answers()) {
        let before = band(&answers);
        if let Some(pattern) = answers.pattern {
            for &higher in Pattern::ALL.iter().filter(|&&p| p > pattern) {
                let mut changed = answers.clone();
                changed.pattern = Some(higher);
                let after = band(&changed);
                prop_assert!(after >= before, "pattern {pattern:?} -> {higher:?}: {before:?} -> {after:?}");
            }
        }
    }

    #[test]
    fn monotone_control_to_lost(answers in arb_answers()) {
        let before = band(&answers);
        if answers.control != Control::Lost {
            let mut changed = answers.clone();
            changed.control = Control::Lost;
            let after = band(&changed);
            prop_assert!(after >= before, "control {:?} -> lost: {before:?} -> {after:?}", answers.control);
        }
    }

    // (b) Deterministic and total.

    #[test]
    fn deterministic_total_and_matches_the_rules(answers in arb_answers()) {
        let first = score(&answers);
        prop_assert_eq!(&first, &score(&answers));
        prop_assert_eq!(first.rules_version, RulesVersion::V2);
        prop_assert_eq!(first.band, expected_band(&answers));
        prop_assert_eq!(&first.red_flags, &expected_red_flags(&answers));
        prop_assert_eq!(&first.declined, &expected_declined(&answers));
        let document = first.to_document();
        prop_assert_eq!(&document["rules_version"], &json!("2"));
        prop_assert_eq!(&document["band"], &json!(first.band.code()));
        let texts: Vec<Value> = first.reasons.texts().into_iter().map(Value::from).collect();
        prop_assert_eq!(&document["reasons"], &Value::Array(texts));
    }

    // (c) Explained: exactly the clauses that hold, each once, in plain words.

    #[test]
    fn every_result_is_explained(answers in arb_answers()) {
            let outcome = score(&answers);
        let reasons = v2_reasons(&outcome);
        prop_assert!(!reasons.is_empty());
        let distinct: HashSet<ReasonV2> = reasons.iter().copied().collect();
        prop_assert_eq!(distinct.len(), reasons.len(), "a reason given twice: {:?}", reasons);
        for reason in &reasons {
            assert_sentence(&reason.text())?;
        }
        let has = |reason: ReasonV2| distinct.contains(&reason);
        let pattern_sign = answers
            .pattern
            .filter(|p| matches!(p, Pattern::IntensePeriods | Pattern::Compulsive));
        let red_flags = expected_red_flags(&answers).len();
        match outcome.band {
            Band::Addicted => {
                prop_assert_eq!(reasons[0], R::ControlLost);
                let mut expected = vec![R::ControlLost];
                expected.extend(pattern_sign.map(R::Pattern));
                expected.extend(answers.observed.iter().map(|&i| R::Observed(i)));
                prop_assert_eq!(&reasons, &expected);
            }
            Band::AtRisk => {
                let mut expected: Vec<ReasonV2> = pattern_sign.map(R::Pattern).into_iter().collect();
                expected.extend(
                    answers.observed.iter().filter(|&&i| i != Indicator::Secrecy).map(|&i| R::Observed(i)),
                );
                if answers.control == Control::Lost {
                    expected.push(R::ControlLostWithoutSigns);
                }
                if red_flags >= 3 {
                    expected.push(R::RedFlags(red_flags));
                }
                prop_assert_eq!(&reasons, &expected);
                prop_assert!(!has(R::Observed(Indicator::Secrecy)), "secrecy is no at-risk clause");
            }
            Band::Casual => {
                let mut expected = vec![R::NoSign(red_flags)];
                if answers.observed.contains(&Indicator::Secrecy) {
                    expected.push(R::SecrecyAlone);
                }
                prop_assert_eq!(&reasons, &expected);
            }
            Band::NotScreened => prop_assert!(false, "version 2 has no outcome not screened"),
        }
    }

    #[test]
    fn derived_flags_match_their_definitions(answers in arb_answers()) {
        let outcome = score(&answers);
        let red_flags = expected_red_flags(&answers).len();
        let concern = red_flags >= 1 || outcome.band != Band::Casual;
        let details_missing = answers.pattern.is_none() || answers.control == Control::NotAssessed;
        let lost_alone = answers.control == Control::Lost
            && !has_signs(&answers)
            && !answers.observed.contains(&Indicator::Secrecy);
        prop_assert_eq!(outcome.further_investigation, concern);
        prop_assert_eq!(outcome.referral, outcome.band == Band::Addicted);
        prop_assert_eq!(outcome.provisional, (concern && details_missing) || lost_alone);
        prop_assert_eq!(outcome.incomplete, expected_declined(&answers).len() >= 2);
    }
}
